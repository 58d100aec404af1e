"""The registry of benchmarks, groups and configurations, derived from the corpora's SourceInfo.

A *group* (:class:`Group`) is a (language, age group) pair named like ``eng_eld``; a *shard* is one corpus's part of
one group, the unit stored on disk (``data/<corpus>/<group>/<split>-*.parquet``).  Every
configuration is a set of shards, so unions (``eng``, ``eld``, ``all``) and per-corpus configs
reference the same files and never store audio twice.  The CLI, the dataset card, the docs and
the parametrised tests all read this one registry.

The two benchmarks of the seven corpora are fixed (:data:`BUILTIN`); a user's own corpora
(:mod:`loaders.audiofolder`) extend one at run time, with groups from their data (any ISO 639-3
language x age group): :func:`extend` builds the extended benchmark, ``prepare.json`` records the
user corpora's sources, and :func:`benchmark_of` rebuilds it from there in any later process.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from loaders import SOURCES, SourceInfo, register_source
from loaders.languages import LANGUAGE_NAMES
from loaders.record import age_band

from .group_names import AGE_GROUP_NAMES, youngest_adult_age
from .mistyped import did_you_mean

SPLITS: tuple[str, ...] = ("train", "validation", "test")


_LANGUAGE_CODE = re.compile(r"[a-z]{3}")


@dataclass(frozen=True, order=True)
class Group:
    """A (language, age group) pair.  Its :attr:`name` (``eng_eld``) is what configs, files, JSON and the
    CLI hold; code that needs either half parses the name once with :meth:`parse`."""

    language: str
    age_group: str

    @classmethod
    def parse(cls, name: str) -> Group:
        """The group ``name``: an ISO 639-3 language code, ``_`` and an age group (``eld``/``adu``).
        Whether a benchmark has it is :meth:`Benchmark.group`'s question."""
        language, sep, age_group = name.partition("_")
        if not sep or not _LANGUAGE_CODE.fullmatch(language) or age_group not in AGE_GROUP_NAMES:
            known = ", ".join(dict.fromkeys(g for b in BENCHMARKS.values() for g in b.groups))
            raise ValueError(
                f"{name!r} is not a group (an ISO 639-3 language code _ {'/'.join(AGE_GROUP_NAMES)}); "
                f"known groups: {known}"
            )
        return cls(language, age_group)

    @property
    def name(self) -> str:
        return f"{self.language}_{self.age_group}"

    @property
    def description(self) -> str:
        """``English elderly (60+)``, ``Cantonese elderly (59+)`` (:func:`loaders.record.age_band`)."""
        return self.described(())

    def described(self, corpora: Iterable[str]) -> str:
        """:attr:`description` of the group's rows of ``corpora``: ``Indonesian adults (18-59)`` where one
        is a corpus of one's own (:func:`bimotion.group_names.youngest_adult_age`)."""
        youngest = youngest_adult_age(corpora)
        return f"{LANGUAGE_NAMES[self.language]} {age_band(self.language, self.age_group, youngest)}"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    shards: tuple[tuple[str, str], ...]  # (corpus, group)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g for _, g in self.shards))

    @property
    def corpora(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.shards))


@dataclass(frozen=True)
class Benchmark:
    name: str
    corpora: tuple[str, ...]
    groups: tuple[str, ...]
    unions: tuple[tuple[str, tuple[str, ...]], ...]  # (config name, groups)
    per_corpus_configs: bool
    default_config: str
    user_corpora: tuple[str, ...] = ()  # added at run time (:func:`extend`): each gets its own config
    paper_table: int | None = None  # the paper's table of its statistics and `paper` splits (cards cite it)
    paper_table_by_gender: bool = False  # whether that table also counts by gender (Table 2 does, Table 1 not)

    @cached_property
    def typed_groups(self) -> tuple[Group, ...]:
        return tuple(Group.parse(name) for name in self.groups)

    def group(self, name: str) -> Group:
        """The typed group ``name`` of this benchmark."""
        if name not in self.groups:
            raise KeyError(f"{self.name} has no group {name!r}; choose one of: {', '.join(self.groups)}")
        return Group.parse(name)

    @property
    def languages(self) -> list[str]:
        return sorted({g.language for g in self.typed_groups})

    @property
    def age_groups(self) -> list[str]:
        return sorted({g.age_group for g in self.typed_groups})

    @cached_property
    def shards(self) -> tuple[tuple[str, str], ...]:
        """Every (corpus, group) pair that exists, in registry order."""
        out = []
        for group in self.typed_groups:
            for corpus in self.corpora:
                if SOURCES[corpus].has_group(group.language, group.age_group):
                    out.append((corpus, group.name))
        return tuple(out)

    def corpora_of(self, group: str) -> tuple[str, ...]:
        return tuple(c for c, g in self.shards if g == group)

    @cached_property
    def configs(self) -> dict[str, Config]:
        configs: dict[str, Config] = {}
        for group in self.typed_groups:
            corpora = self.corpora_of(group.name)
            configs[group.name] = Config(
                group.name, f"{group.described(corpora)}: {', '.join(corpora)}", tuple((c, group.name) for c in corpora)
            )
        for name, groups in self.unions:
            configs[name] = Config(
                name,
                "union of " + ", ".join(groups),
                tuple(shard for shard in self.shards if shard[1] in groups),
            )
        for corpus in self.corpora if self.per_corpus_configs else self.user_corpora:
            configs[corpus] = Config(
                corpus, f"{SOURCES[corpus].title}, all of its groups", tuple(s for s in self.shards if s[0] == corpus)
            )
        return configs

    def config(self, name: str) -> Config:
        try:
            return self.configs[name]
        except KeyError:
            raise KeyError(
                f"{self.name} has no config {name!r}{did_you_mean(name, self.configs)}; "
                f"choose one of: {', '.join(self.configs)}"
            ) from None


BIMOTION = Benchmark(
    name="bimotion",
    corpora=("crema_d", "tess", "esd", "iemocap", "elderreact", "csed"),
    groups=("eng_eld", "eng_adu", "zho_eld", "zho_adu"),
    unions=(
        ("eng", ("eng_eld", "eng_adu")),
        ("zho", ("zho_eld", "zho_adu")),
        ("eld", ("eng_eld", "zho_eld")),
        ("adu", ("eng_adu", "zho_adu")),
        ("all", ("eng_eld", "eng_adu", "zho_eld", "zho_adu")),
    ),
    per_corpus_configs=True,
    default_config="all",
    paper_table=1,
)

YUEMOTION = Benchmark(
    name="yuemotion",
    corpora=("yuemotion",),
    groups=("yue_adu", "yue_eld"),
    unions=(("all", ("yue_adu", "yue_eld")),),
    per_corpus_configs=False,
    default_config="all",
    paper_table=2,
    paper_table_by_gender=True,
)

BUILTIN: dict[str, Benchmark] = {b.name: b for b in (BIMOTION, YUEMOTION)}
# The benchmarks code resolves names in: the built-in ones, or an extension made current by :func:`register`.
BENCHMARKS: dict[str, Benchmark] = dict(BUILTIN)
# The benchmarks whose data this process was given (:func:`given`): a config name of several
# benchmarks (``all``) means the one of them given (``bimotion:all`` when only --bimotion is).
GIVEN: dict[str, bool] = {}


def given(benchmarks: Iterable[str]) -> None:
    """Record that this process reads the data of ``benchmarks`` (and of no other): see :data:`GIVEN`."""
    GIVEN.clear()
    GIVEN.update(dict.fromkeys(benchmarks, True))


def unions(groups: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The unions that make sense over ``groups``: each language with several age groups, each age
    group with several languages, and ``all`` (for BiMotion's four groups: eng, zho, eld, adu, all)."""
    typed = [Group.parse(g) for g in groups]
    out = []
    for part in ("language", "age_group"):
        for value in dict.fromkeys(getattr(g, part) for g in typed):
            members = tuple(g.name for g in typed if getattr(g, part) == value)
            if len(members) > 1:
                out.append((value, members))
    return (*out, ("all", tuple(g.name for g in typed)))


def extend(base: Benchmark, sources: Iterable[SourceInfo]) -> Benchmark:
    """``base`` with the user corpora of ``sources`` added: their groups (from their data) after the
    base's, the unions of :func:`unions` over all groups, and one config per user corpus.  The user corpora
    follow the base's in name order, whatever order ``sources`` gives them in (``--source`` flags' order)."""
    sources = sorted(sources, key=lambda s: s.name)
    if not sources:
        return base
    names = tuple(s.name for s in sources)
    taken = set(base.corpora) & set(names)
    if taken:
        raise ValueError(
            f"{', '.join(sorted(taken))} is already a corpus of {base.name}; give your corpus another name"
        )
    groups = _with_groups(base, [g for s in sources for g in s.groups])
    check_own_names(base, {s.name: s.groups for s in sources})
    return replace(base, corpora=(*base.corpora, *names), groups=groups, unions=unions(groups), user_corpora=names)


def _with_groups(base: Benchmark, groups: Iterable[str]) -> tuple[str, ...]:
    """``base``'s groups, then those of ``groups`` it lacks, by language and age group."""
    ages = list(AGE_GROUP_NAMES)
    new = sorted(set(groups) - set(base.groups), key=lambda g: (g[:3], ages.index(g[4:])))
    return (*base.groups, *new)


def check_own_names(base: Benchmark, groups: Mapping[str, Iterable[str]]) -> None:
    """A user corpus named as a group or union config of ``base`` extended by ``groups`` (``{corpus: its
    groups}``; ``()`` where not known yet: ``yue`` in YueMotion is one whatever the corpus holds), which would
    make the name mean two configs: ValueError saying to give it another name."""
    held = _with_groups(base, [g for corpus_groups in groups.values() for g in corpus_groups])
    clash = [n for n in groups if n in set(held) | {u for u, _ in unions(held)}]
    if clash:
        raise ValueError(
            f"corpus name {clash[0]!r} is also the name of a {base.name} group or union config; "
            f"give your corpus another name (e.g. {clash[0]}_corpus)"
        )


def source_flags(name: str, source: str | os.PathLike | None = None) -> str:
    """The flags that give corpus ``name`` to a command to paste: ``--source NAME=FOLDER``, and of a corpus of
    one's own (an :class:`~loaders.audiofolder.AudioFolder`) the ``--label-map NAME=FILE`` and ``--license
    NAME=TEXT`` given with it, each as the user gave it, quoted for the shell where it needs to be
    (``'canto=/data/care home'``); ``--source NAME=DIR`` where there is no folder yet (``source`` None)."""
    from loaders.audiofolder import AudioFolder

    if source is None:
        return f"--source {name}=DIR"
    own = source if isinstance(source, AudioFolder) else AudioFolder(source)
    label_map = None if isinstance(own.label_map, Mapping) else own.label_map  # a Python caller's: no flag
    given = (("--source", own.root), ("--label-map", label_map), ("--license", own.license))
    return " ".join(f"{flag} {shlex.quote(f'{name}={value}')}" for flag, value in given if value is not None)


def prepare_command(
    bench: str, names: Iterable[str], sources: Mapping, out_dir=None, *, alone: bool = True, **options
) -> str:
    """``BENCH prepare`` of the corpora ``names``, ready to paste: their flags as ``sources`` (``{corpus:
    folder}``) gives them (:func:`source_flags`), ``--output`` (``out_dir`` where they are all the corpora
    given, ``alone``; else a folder beside it named after ``bench``, as the others stay there; none where
    ``out_dir`` is None) and the options given that change what is written (``protocol``, ``seed``, ``skip_bad``)."""
    from pathlib import Path

    from loaders.files import normal_path

    command = [f"{bench} prepare", *(source_flags(n, sources.get(n)) for n in names)]
    if out_dir is not None:
        out = str(out_dir)
        if not alone:  # the others stay in the folder given: a folder of its own beside it
            base = normal_path(out) if ".." in Path(out).parts else Path(out).expanduser()  # `..` has no parent
            out = str(base.parent / (bench if base.name != bench else f"{base.name}-only"))
        command.append(f"--output {shlex.quote(out)}")
    if options.get("protocol", "paper") != "paper":
        command.append(f"--protocol {options['protocol']}")
    command += [f"--seed {options['seed']}"] * bool(options.get("seed")) + ["--skip-bad"] * bool(
        options.get("skip_bad")
    )
    return " ".join(command)


def check_own_groups(
    bench: Benchmark, sources: Mapping | None = None, *, groups: Mapping | None = None, out_dir=None, **options
) -> None:
    """A user corpus's group that another built-in benchmark holds (Cantonese ``yue_eld`` in BiMotion:
    YueMotion's), or a corpus named like one of its configurations (``eld`` in YueMotion), would make
    a name mean two datasets: ValueError saying what to do instead (the benchmark to prepare the
    corpus into, with the command that does it (:func:`prepare_command`: its folder as ``sources`` (``{corpus:
    folder}``, as :func:`bimotion.prepare.prepare` takes them) gives it, ``out_dir`` and the ``options`` given),
    where the group then holds both corpora; another name).  ``groups``: ``{corpus: its groups}`` where they
    are known before it is read (from its metadata: :func:`loaders.audiofolder.metadata_groups`); else those of
    ``bench``'s user corpora, as read."""
    sources = sources or {}
    held = groups if groups is not None else {corpus: SOURCES[corpus].groups for corpus in bench.user_corpora}
    for corpus, corpus_groups in held.items():
        for other in (b for b in BUILTIN.values() if b.name != bench.name):
            if corpus in other.configs:
                raise ValueError(
                    f"corpus name {corpus!r} is also the name of a {other.name} configuration; give your corpus "
                    f"another name (e.g. {corpus}_corpus)"
                )
            shared = [g for g in corpus_groups if g in other.groups]
            own = [g for g in corpus_groups if g not in shared]
            if shared and own:  # a Mandarin speaker among a Hong Kong centre's Cantonese ones: which rows go where
                languages = " and ".join(sorted({g.partition("_")[0] for g in shared}))
                raise ValueError(
                    f"{corpus} holds groups of both benchmarks: {', '.join(own)} ({bench.name}'s) and "
                    f"{', '.join(shared)} ({other.name}'s, from its rows of language {languages}); move those rows "
                    f"and their clips to a folder of their own, with a metadata.csv of those rows, and prepare it "
                    f"into {other.name} (`{other.name} prepare {source_flags(f'{corpus}_{languages.split()[0]}')}`), "
                    f"the rest into {bench.name}"
                )
            if shared:
                command = prepare_command(other.name, [corpus], sources, out_dir, alone=len(sources) <= 1, **options)
                raise ValueError(
                    f"{corpus}'s group{'s' if len(shared) > 1 else ''} {', '.join(shared)} "
                    f"{'are' if len(shared) > 1 else 'is'} {other.name}'s: prepare {corpus} into {other.name} "
                    f"(`{command}`, beside the {other.name} corpora you have), "
                    f"where {shared[0]} then holds both; a corpus with groups of both benchmarks: give each its "
                    "own part (one metadata file per part)"
                )


def benchmark_of(info: dict) -> Benchmark:
    """The benchmark a prepared folder's ``prepare.json`` (``info``) was written with: a built-in one,
    extended by the user corpora whose sources it records (registered in ``loaders.SOURCES``)."""
    user = info.get("user_sources") or {}
    return extend(BUILTIN[info["benchmark"]], [register_source(SourceInfo.from_dict(d)) for d in user.values()])


def register(bench: Benchmark) -> Benchmark:
    """Make ``bench`` (e.g. ``benchmark_of(read_info(folder))``) the one its name resolves to in
    :data:`BENCHMARKS` for the rest of the process, so that its user groups and configs are found."""
    BENCHMARKS[bench.name] = bench
    return bench


# how a group of one's own corpus becomes known, in words its caller can act on (find_config's own_group):
# a command's (the recipes', advise's, a grid config's: each takes the prepared folders as these flags) and a
# Python caller's (TrainSpec.from_values registers the folders its values give, as the recipes do)
OWN_GROUP_FLAGS = (
    "a group of your own corpus is known once its prepared folder is given: --bimotion DIR or --yuemotion DIR"
)
OWN_GROUP_PYTHON = (
    "a group of your own corpus is known once its prepared folder is given: TrainSpec.from_values(..., "
    "{'bimotion': DIR}) (or 'yuemotion') registers it, as does register(benchmark_of(read_info(DIR))) "
    "(bimotion.registry, bimotion.data.layout)"
)


def find_config(name: str, *, own_group: str = OWN_GROUP_FLAGS) -> tuple[Benchmark, Config]:
    """Resolve a config name (``eng_eld``, ``yue_adu``, ``bimotion:all``, ``yuemotion:all``; ``all``
    where the data of one of them is given, :func:`given`).  A name of none, with none close to it, is a
    KeyError that says how a group of one's own corpus becomes known in ``own_group``'s words: a command
    user's (:data:`OWN_GROUP_FLAGS`, the default) or a Python caller's (:data:`OWN_GROUP_PYTHON`)."""
    if ":" in name:
        bench, _, cfg = name.partition(":")
        if bench not in BENCHMARKS:  # bimotoin:all: the spec meant, as written (did you mean 'bimotion:all'?)
            close = did_you_mean(name, [f"{b.name}:{c}" for b in BENCHMARKS.values() for c in b.configs])
            raise KeyError(f"config {name!r}: no benchmark {bench!r}{close}; choose one of: {', '.join(BENCHMARKS)}")
        return BENCHMARKS[bench], BENCHMARKS[bench].config(cfg)
    hits = [(b, b.configs[name]) for b in BENCHMARKS.values() if name in b.configs]
    if len(hits) > 1 and sum(b.name in GIVEN for b, _ in hits) == 1:  # all, with one benchmark's data given
        hits = [hit for hit in hits if hit[0].name in GIVEN]
    if len(hits) > 1:  # a group of a user corpus prepared (before check_own_groups) into the other benchmark
        held = "; ".join(f"{b.name}:{name} ({', '.join(c.corpora)})" for b, c in hits)
        raise KeyError(f"config {name!r} is in more than one benchmark: write which one, {held}")
    if len(hits) != 1:
        every = [c for b in BENCHMARKS.values() for c in b.configs]  # a name in two: written with its benchmark
        options = sorted({f"{b.name}:{c}" if every.count(c) > 1 else c for b in BENCHMARKS.values() for c in b.configs})
        close = did_you_mean(name, options)
        raise KeyError(f"config {name!r} is unknown{close or f' ({own_group})'}; choose one of: {', '.join(options)}")
    return hits[0]
