"""What a grid is: its config (``bimotion/configs/*.yaml``, package data), and where its inputs and
finished models lie."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import ClassVar

from ..mistyped import check_keys, did_you_mean
from ..paper import TABLES
from ..training.f1 import GROUP_SCORES, METRICS
from ..training.parsing import one_line, whole_number

MARKER = "grid-trained.json"  # written beside a model once the grid has finished training it
BUILT_IN_PYTHON = "a grid config built in Python"  # the source errors name for a config read from no file


def shipped_config(name: str) -> Path:
    """``bimotion/configs/<name>.yaml``, package data of this install: ``paper`` (XLSR-53, the
    paper's hyper-parameters), ``probe`` (frozen features, CPU), ``demo`` (tiny random model,
    fixture corpora, CPU), ... (:func:`shipped_configs`)."""
    from importlib import resources

    path = resources.files("bimotion.configs") / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"no grid config {name!r} in this install{did_you_mean(name, shipped_configs())}; "
            f"shipped configs: {shipped_configs()}"
        )
    return Path(str(path))


def shipped_configs() -> list[str]:
    """The names of the grid configs this install ships (``bimotion/configs/*.yaml``)."""
    from importlib import resources

    return sorted(
        p.name.removesuffix(".yaml") for p in resources.files("bimotion.configs").iterdir() if p.name.endswith(".yaml")
    )


def find_config(config: str | os.PathLike) -> Path:
    """A grid config's file: ``config`` when it is a file, else the shipped config of that name
    (``paper``, ``probe``, ...); FileNotFoundError naming both kinds otherwise."""
    path = Path(config)
    if path.is_file():
        return path
    if isinstance(config, str) and len(path.parts) == 1 and path.suffix not in (".yaml", ".yml"):
        return shipped_config(config)
    raise FileNotFoundError(
        f"no grid config file {str(config)!r}; or give a shipped config's name: {shipped_configs()}"
    )


@contextmanager
def torch_threads(count: int | None):
    """torch's CPU threads set to ``count`` for the block (``None``: left as they are), as a grid
    config's ``num_threads`` asks: a grid's runs and the figures drawn from it again (their features,
    and so their UMAP layout, depend on the threads that computed them)."""
    import torch

    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _as_int(value):
    """A numpy integer as the int of the same number; any other value as it is."""
    return int(value) if whole_number(value) and type(value) is not int else value


@dataclass
class GridConfig:
    """A grid, as written in ``bimotion/configs/*.yaml`` (:func:`shipped_config`) or any such file.

    ``training`` holds the training recipe's arguments (``recipes/train.py --help``: model, data and
    ``TrainingArguments`` fields) for every model; ``seed`` and ``output_dir`` are set per model."""

    tables: list[str] = field(default_factory=lambda: list(TABLES))
    seeds: list[int] = field(default_factory=lambda: [0])
    model_name_or_path: str = "facebook/wav2vec2-large-xlsr-53"
    training: dict = field(default_factory=dict)
    mixtures: list[str] = field(default_factory=list)  # more models, beyond the tables' (heat-map rows)
    extra_tests: list[str] = field(default_factory=list)  # more test sets (heat-map columns)
    bootstrap_samples: int = 1000
    # How a test set's number is made from its (group, corpus) parts: ``mean`` (the paper's tables as
    # we read them: each corpus scored on its own, then averaged), ``weighted`` (by clips), ``pooled``.
    group_score: str = "mean"
    # The tables' number: ``weighted_f1`` (the paper's text: sigmoid > 0.5, binary F1 per label) or
    # ``weighted_f1_argmax`` (the authors' released code: arg-max, single-label weighted F1).
    metric: str = "weighted_f1"
    confidence: float = 0.95
    # Clips per batch as the grid predicts its test sets with a fine-tuned model (a probe's heads and the
    # figures' features do not read it; ``training:``'s per_device_eval_batch_size is validation's in training).
    eval_batch_size: int = 8
    projections: list[dict] = field(default_factory=list)  # see bimotion.projection.ProjectionSpec
    # A random-initialised tiny wav2vec2 with these config overrides (``{}``: the defaults of
    # :func:`bimotion.training.testing.save_tiny_model`) replaces ``model_name_or_path``: for demos
    # and tests, no download.
    tiny_model: dict | None = None
    # torch's CPU threads while the grid runs (None: torch's default).  On a small or shared CPU, 1
    # avoids thread oversubscription, which slows a tiny model's training several times over.
    num_threads: int | None = None
    # ``finetune`` (bimotion.training.run) or ``probe`` (bimotion.probe: a head on frozen
    # ``features``: logmel, egemaps or an audio encoder id; ``training:`` holds ProbeArguments)
    backend: str = "finetune"
    features: str | None = None
    # The paper's question for one group (``bimotion advise``, docs/advise.md): ``target`` (a group such
    # as ``zho_eld``) adds its in-group baseline, every cross-group augmentation and every cross-group
    # inference model that ``groups`` allow to the plan, each scored on the target's test set.
    # ``groups``: the groups to draw from, as mixture specs (``eng_eld`` or ``eng_eld[crema_d]``);
    # empty: every group the prepared datasets hold (:func:`prepared_groups`, filled in by advise).
    target: str | None = None
    groups: list[str] = field(default_factory=list)
    # Groups of ``groups`` only ever added to the target's data: no model of them alone (advise fills
    # it with the groups that have training rows but no validation rows, e.g. two speakers split by speaker).
    augment_only: list[str] = field(default_factory=list)
    # A finished model's checkpoint-* folders (weights and optimizer state, for resuming it) are removed
    # once its marker is written; true keeps them (XLSR-53: ~3.8 GB each, save_total_limit per model).
    keep_checkpoints: bool = False
    # Where the config was read from, for its errors (``grid config FILE``, else :data:`BUILT_IN_PYTHON`): set by :func:`load_config`,
    # not a field (no key of a file, nor in ``dataclasses.asdict``, whose YAML dump loads again).
    source: ClassVar[str] = BUILT_IN_PYTHON

    def replaced(self, **changes) -> GridConfig:
        """``dataclasses.replace``, keeping where the config was read from (not a field, which
        ``replace`` would carry: advise's errors named a config built in Python, not the user's file)."""
        out = replace(self, **changes)
        out.source = self.source
        return out

    def __post_init__(self):
        for key in LIST_KEYS:  # in Python, any ordered iterable of items is a list: seeds=range(3), np.arange(3)
            if is_sequence(value := getattr(self, key)):
                setattr(self, key, list(value))
        check_lists({key: getattr(self, key) for key in LIST_KEYS}, self.source)
        if self.backend not in ("finetune", "probe"):
            raise ValueError(f"backend must be finetune or probe, not {self.backend!r}")
        if (self.backend == "probe") != (self.features is not None):
            raise ValueError("features (logmel, egemaps or an encoder id) go with backend: probe, and only with it")
        unknown = [t for t in self.tables if t not in TABLES]
        if unknown:
            raise ValueError(f"unknown tables {unknown}; choose from {list(TABLES)}")
        if not self.seeds:
            raise ValueError("seeds must list at least one seed")
        if self.group_score not in GROUP_SCORES:
            raise ValueError(f"group_score must be one of {', '.join(GROUP_SCORES)}, not {self.group_score!r}")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {self.metric!r}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), not {self.confidence}")
        if self.groups and not self.target:
            raise ValueError("groups: lists the groups a target: draws from; give the target too")
        self._check_run_keys()

    def _check_run_keys(self) -> None:
        """``num_threads``, ``eval_batch_size``, ``tiny_model`` and ``keep_checkpoints``, read only as the grid runs (a bad one
        surfaced after the demo had made its data, or once a model had trained; a mistyped key of ``tiny_model``
        never): one ValueError naming the key, the value and the fix.  A numpy integer passes, kept as an int (:meth:`_as_ints`); a numpy bool, as a bool."""
        fix = "correct it, or delete the line"
        if self.num_threads is not None and (not whole_number(self.num_threads) or self.num_threads < 1):
            raise ValueError(
                f"num_threads must be a whole number ≥ 1 (torch's CPU threads) or null (torch's default), "
                f"not {self.num_threads!r}: {fix}"
            )
        if not whole_number(self.eval_batch_size) or self.eval_batch_size < 1:  # read as the grid predicts its tests
            raise ValueError(
                f"eval_batch_size must be a whole number ≥ 1 (clips per batch as the grid predicts its test sets), "
                f"not {self.eval_batch_size!r}: {fix}"
            )
        kind = type(self.keep_checkpoints)  # numpy's np.bool_ too (a config built in Python), held as a bool
        if kind is not bool and not (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")):
            raise ValueError(f"keep_checkpoints must be true or false, not {self.keep_checkpoints!r}: {fix}")
        self.keep_checkpoints = bool(self.keep_checkpoints)
        self._as_ints()
        if self.tiny_model is None:
            return
        if not isinstance(self.tiny_model, Mapping) or not all(isinstance(k, str) for k in self.tiny_model):
            raise ValueError(
                f"tiny_model must be a mapping of wav2vec2 config overrides ({{}}: the defaults), or null, "
                f"not {self.tiny_model!r}: {fix}"
            )
        from ..training.testing import TINY, tiny_model_keys

        if set(self.tiny_model) - set(TINY):  # transformers read only then: a key TINY sets needs no look-up
            try:
                check_keys(self.tiny_model, tiny_model_keys(), "tiny_model")
            except ValueError as err:  # hiden_size was kept by Wav2Vec2Config as an attribute no layer reads
                raise ValueError(f"{err}: {fix}") from err
        sizes = {**TINY, **self.tiny_model}
        for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"):
            if not whole_number(sizes[key]) or sizes[key] < 1:
                raise ValueError(f"tiny_model: {key} must be a whole number ≥ 1, not {sizes[key]!r}: {fix}")
        if sizes["hidden_size"] % sizes["num_attention_heads"]:
            raise ValueError(
                f"tiny_model: hidden_size ({sizes['hidden_size']}) must be a multiple of num_attention_heads "
                f"({sizes['num_attention_heads']}): {fix}"
            )

    def _as_ints(self) -> None:
        """The config's whole numbers given as numpy integers (``np.int64(2)``, a config built in Python) held as
        ints, the same numbers: the JSON records of a run (``plan.json``'s settings, a table's seeds) take no
        numpy integer, and would have failed once every model had trained.  Nothing else is changed."""
        for key in ("num_threads", "eval_batch_size", "bootstrap_samples"):
            setattr(self, key, _as_int(getattr(self, key)))
        if isinstance(self.seeds, list | tuple) and any(_as_int(s) is not s for s in self.seeds):
            self.seeds = [_as_int(s) for s in self.seeds]
        if isinstance(self.tiny_model, Mapping) and any(_as_int(v) is not v for v in self.tiny_model.values()):
            self.tiny_model = {k: _as_int(v) for k, v in self.tiny_model.items()}


LIST_KEYS = tuple(f.name for f in fields(GridConfig) if str(f.type).startswith("list["))  # tables, seeds, mixtures, ...


def is_sequence(value) -> bool:
    """Whether ``value`` is an ordered iterable of items other than a list or tuple (``range(3)``, a numpy array, a
    generator), which a config built in Python gives as a list: not a string, bytes, a mapping or a set (unordered:
    its order changes from one process to the next)."""
    from collections.abc import Iterable, Set

    skipped = str | bytes | list | tuple | Mapping | Set
    return isinstance(value, Iterable) and not isinstance(value, skipped)


def check_lists(values: Mapping, source: str) -> None:
    """Each list-valued key of ``values`` (:data:`LIST_KEYS`) a list (or a tuple, in Python): one given as a single
    value was read item by item (``mixtures: eld``: "config 'e' is unknown"; ``extra_tests: 5``: a TypeError).
    One ValueError naming ``source`` (the config file), the key, what it holds and the fix: write it as a list.  Each
    item of :data:`SPEC_KEYS` a string (``mixtures: [5]`` was a TypeError traceback as the plan was made; ``[{a: 1}]``
    was read as config 'a'): one naming the key, the item and a spec to write (whether it resolves: check_config's)."""
    from collections.abc import Set

    for key in LIST_KEYS:
        value = values.get(key, [])
        if isinstance(value, list | tuple):
            continue
        if value is None:
            holds, fixed = "nothing (null)", []
        elif isinstance(value, Mapping):
            holds, fixed = f"one mapping ({', '.join(map(str, value))})", [dict(value)]
        elif isinstance(value, Set):  # its order is not the same from one process to the next
            holds, fixed = f"a set {value!r} (no order)", sorted(value, key=str)
        else:
            holds, fixed = f"the single value {value!r}", [value]
        if source == BUILT_IN_PYTHON:
            fix = f"give it as a list: {key}={fixed!r}"
        else:
            import yaml

            flow = yaml.safe_dump({key: fixed}, default_flow_style=True, sort_keys=False, width=float("inf"))
            line = flow.strip()[1:-1]  # `{mixtures: [eld]}` without its braces; quoted where YAML needs it
            fix = f"write it as a list: {line}" + (" (none), or delete the line" if value is None else "")
        raise ValueError(f"{source}: {key}: holds {holds}, not a list: {fix}")
    for key in SPEC_KEYS:
        for index, item in enumerate(values.get(key) or [], 1):
            if not isinstance(item, str):
                raise ValueError(_not_a_spec(f"{source}: {key}: item {index}", item, key, source))


SPEC_KEYS = ("mixtures", "extra_tests", "groups", "augment_only")  # lists of mixture specs (bimotion.mixture)


def _not_a_spec(where: str, item, key: str, source: str) -> str:
    """Why ``item`` of ``key`` is no spec (``the number 5``), and what to write, the key's (:func:`.config_items.item_fix`)."""
    kinds = [(bool, "the boolean"), (int | float, "the number"), (list | tuple, "the list"), (Mapping, "the mapping")]
    given = (
        "nothing (null)"
        if item is None
        else f"{next((w for k, w in kinds if isinstance(item, k)), 'the value')} {item!r}"
    )
    from .config_items import item_fix

    return f"{where} is {given}, {item_fix(key, source == BUILT_IN_PYTHON)}"


def config_error(config: str | os.PathLike, err: BaseException, where: str = "") -> str:
    """``err`` in one line after ``--config config{where}: ``, less its ``grid config FILE`` (the same file: named once)."""
    line = one_line(err)
    with suppress(OSError):  # a config that is no file names none
        line = line.removeprefix(f"grid config {find_config(config)}").removeprefix(":").strip()
    return f"--config {config}{where}: {line}"


def load_config(config: str | os.PathLike | Mapping | GridConfig) -> GridConfig:
    """A :class:`GridConfig` from a YAML file, a shipped config's name (:func:`find_config`), a
    mapping, or itself; unknown keys raise ValueError naming the file (:func:`bimotion.mistyped.check_keys`).
    Its ``source`` (for its errors) is where it was read from: ``grid config FILE`` for a file; for a
    mapping, its ``source`` entry: a loaded config's ``__dict__`` (changed and loaded again) holds it."""
    if isinstance(config, GridConfig):
        return config
    if isinstance(config, Mapping):  # an instance attribute, so `{**load_config(FILE).__dict__, ...}` names FILE
        source = config.get("source", BUILT_IN_PYTHON)
        config = {k: list(v) if k in LIST_KEYS and is_sequence(v) else v for k, v in config.items() if k != "source"}
    else:
        import yaml

        path = find_config(config)
        source, config = f"grid config {path}", yaml.safe_load(path.read_text(encoding="utf-8"))
        config = {} if config is None else config  # an empty file: every default
        if not isinstance(config, dict):  # its items were read as keys: 'unknown keys 'h', 'i'' of a file saying hi
            what = "a list" if isinstance(config, list) else f"the single value {config!r}"
            raise ValueError(
                f"{source} holds {what}, not a grid config's `key: value` lines (backend: probe, seeds: [0, 1, 2], "
                "...): give a grid config file, or a shipped config's name: " + ", ".join(shipped_configs())
            )
    if "source" in config:  # was a field, so a dump of a config held it; read, it named another file than this one
        raise ValueError(
            f"{source}: 'source' is not a key of a grid config (bimotion records itself which file a config "
            "was read from): delete that line"
        )
    check_keys(config, [f.name for f in fields(GridConfig)], source)
    check_lists(config, source)  # before the dataclass, which does not know the file yet
    loaded = GridConfig(**config)
    loaded.source = source
    return loaded


def data_sources(data_dirs: Mapping[str, str | os.PathLike | None], cache_root: str | os.PathLike) -> dict[str, str]:
    """``{"bimotion", "yuemotion", "cache_dir"}`` for :class:`bimotion.training.data.Sources`: the
    prepared datasets and the ``datasets`` cache root they share.  Each local folder's cache lies
    under it at :func:`bimotion.data.layout.cache_dir`, keyed on the folder's ``prepare.json``: two
    folders never share one, and a moved folder keeps its own."""
    return {**{k: str(v) for k, v in data_dirs.items() if v and k != "cache_dir"}, "cache_dir": str(cache_root)}


def unrecorded_groups(folder: str | os.PathLike, benchmark: str, *, named: str = "") -> str:
    """Why the groups of ``folder`` (``named``: ``--bimotion DIR``), a ``benchmark`` dataset whose
    ``prepare.json`` is not read (:func:`bimotion.data.layout.held_info` is None), cannot be read, and
    the fixes: without a record, the groups its card has configs of to list
    (:func:`bimotion.data.held.held_pairs`), or the record to make (:func:`bimotion.data.held.unrecorded`);
    without a card either, the folder to prepare or the groups to list; a Hub dataset whose record could not
    be fetched (:class:`~bimotion.hub.HubUnreachableError`), why, and the groups to list."""
    from ..data.held import card_configs, held_pairs, unrecorded

    named = named or str(folder)
    if card_configs(folder) is not None:  # a dataset without the record of its groups, its card's configs
        groups = list(dict.fromkeys(group for group, _ in held_pairs(folder, benchmark) or []))
        card = f"; its card has configs of {', '.join(groups)}" if groups else ""
        why = unrecorded(
            folder,
            "and which groups have training clips is not",
            f"list the groups to draw from (--groups, or groups: in the config{card})",
            named=named,
        )
        if why:  # "": its record is read after all; said as for any folder whose groups cannot be read
            return why
    from ..data.layout import prepared_near, recorded_info
    from ..hub import HubUnreachableError

    try:  # a Hub dataset whose record (and card) could not be fetched: said so, not as one that does not exist
        recorded_info(folder)
    except HubUnreachableError as err:
        why = f"{named}: no such folder here, and {err}; so its groups cannot be read"  # a Hub id is no path here
        return f"{why}: list the groups to draw from (--groups, or groups: in the config)"
    what = "is not a local prepared folder" if Path(folder).expanduser().exists() else "does not exist"
    return (
        f"{named} {what}{prepared_near(folder)}, so its groups cannot be read: prepare it, or (for a Hub dataset id) "
        "list the groups to draw from (--groups, or groups: in the config)"
    )


def prepared_groups(data_dirs: Mapping[str, str | os.PathLike | None], *, local_only: bool = False) -> list[str]:
    """Every group that the prepared datasets of ``data_dirs`` (``{benchmark: folder or Hub id}``) hold
    training clips of, as mixture specs in the datasets' order: ``eng_eld`` when the dataset has all of
    the group's corpora, ``eng_eld[crema_d,tess]`` when it has some (read from ``prepare.json``, a Hub
    dataset's as ``bimotion push`` uploaded it: :func:`bimotion.data.layout.held_info`).
    A dataset prepared with a user's own corpora registers its extended benchmark
    (:func:`bimotion.registry.register`), so that their groups (``ind_eld``) resolve in this process.
    A dataset without a record is an error (:func:`unrecorded_groups`); ``local_only``: only local
    prepared folders are read, others skipped (a Hub dataset is not asked)."""
    from ..data.held import held_pairs, prepared_as
    from ..data.layout import is_prepared
    from ..mixture import group_spec

    groups: list[str] = []
    for name, folder in data_dirs.items():
        if not folder or name == "cache_dir" or (local_only and not is_prepared(folder)):
            continue
        # a local folder's prepare.json, or a Hub dataset's, its benchmark registered: its own groups resolve
        if prepared_as(folder, name, named=f"--{name} {folder}") is None:
            raise ValueError(unrecorded_groups(folder, name, named=f"--{name} {folder}"))
        corpora: dict[str, list[str]] = {}
        for group, corpus in held_pairs(folder, name, split="train"):
            corpora.setdefault(group, []).append(corpus)
        groups += [group_spec(name, group, have) for group, have in corpora.items()]
    return groups
