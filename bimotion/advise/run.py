"""Running the advice: any grid config turned into a ``target:`` grid over the groups the prepared
datasets hold, run by the grid's runner (resumable, models reused), then collected and reported."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..grid.config import GridConfig, load_config, prepared_groups
from ..grid.runner import Grid
from ..signals import stop_if_lost
from .collect import Advice, collect_advice
from .report import write_advice

DEFAULT_CONFIG = "probe"  # frozen log-mel features and a small head: an answer on a CPU in minutes


def config_of(config: str | os.PathLike | Mapping | GridConfig | None) -> GridConfig:
    """A grid config from a file, a shipped config's name (``probe``, ``paper``, ``advise-tiny``, ...),
    a mapping or itself (:func:`~bimotion.grid.config.load_config`); None: the shipped ``probe``."""
    return load_config(DEFAULT_CONFIG if config is None else config)


def advise_config(
    config: str | os.PathLike | Mapping | GridConfig | None,
    data_dirs: Mapping[str, str | os.PathLike | None],
    *,
    target: str | None = None,
    groups: list[str] | None = None,
    seeds: list[int] | None = None,
    log=print,
) -> GridConfig:
    """``config``'s training setting (model or probe, hyper-parameters, seeds, bootstrap) as a
    ``target:`` grid: no paper tables, extra mixtures, extra test sets or projections; ``target``
    and ``groups`` override the config's; groups default to every group of ``data_dirs`` with train
    rows (:func:`bimotion.grid.config.prepared_groups`); those without validation or test rows are
    only added to the target's data (:func:`augment_only`)."""
    base = config_of(config)
    target = target or base.target
    if not target:
        raise ValueError("give the target group (--target, or target: in the config), e.g. zho_eld")
    prepared_groups(data_dirs, local_only=True)  # registers the local folders' own corpora: their groups resolve
    from ..grid.checks import check_config, check_rows
    from ..grid.plan import make_plan

    given = {"groups": groups, "seeds": seeds}  # the flags that gave a value: their words name them
    flags = {"target": "--target", **{key: f"--{key}" for key, value in given.items() if value}}
    groups = list(groups or base.groups or prepared_groups(data_dirs))  # default: every group with train rows
    check_groups(groups, data_dirs)
    out = base.replaced(
        tables=[], mixtures=[], extra_tests=[], projections=[], target=target, groups=groups,
        seeds=list(seeds or base.seeds), augment_only=augment_only(groups, target, data_dirs, log=log),
    )  # fmt: skip
    # seeds and bootstrap, an unknown target or group, or one with no rows of a split it needs: a clear
    # error now, before anything trains
    check_config(out, flags=flags)
    check_rows(make_plan(out), data_dirs)
    return out


def check_groups(groups: list[str], data_dirs: Mapping) -> None:
    """A group to draw from that no benchmark knows is an error listing the prepared datasets' groups
    (it was the registry's "config 'x' is unknown", with a hint for Python users to register a folder
    that advise had registered already, and every config of every benchmark as the choice); a known group its
    prepared dataset (a folder, or a Hub dataset) has no rows of is one naming how to add it (:func:`not_held`).
    A group of a Hub dataset's own corpus (``ind_eld``) is known once its record is read (:func:`recorded_groups`,
    asked only for a group not known: it was "unknown", where advise without ``--groups`` drew from it)."""
    from ..mixture import parse_mixture

    held = None  # the prepared datasets' groups, read once a group is not known
    for group in groups:
        try:
            found = parse_mixture([group])
        except KeyError:
            held = recorded_groups(data_dirs) if held is None else held  # registers each one's own corpora
            found = _known(group, held)
        if why := not_held(group, found.shards, data_dirs):
            raise ValueError(why)


def _known(group: str, held: list[str]):
    """``group`` parsed once the prepared datasets' benchmarks are registered (``held``: their groups), or the
    error listing them; with none read (Hub datasets not reached), the registry's, listing what it knows."""
    from ..mistyped import did_you_mean
    from ..mixture import parse_mixture

    try:
        return parse_mixture([group])
    except KeyError:
        if not held:
            raise
        raise ValueError(
            f"group {group!r} (--groups, or groups: in the config) is not one the prepared datasets hold"
            f"{did_you_mean(group, held)}; they hold: {', '.join(held)}"
        ) from None


def recorded_groups(data_dirs: Mapping) -> list[str]:
    """The groups the prepared datasets of ``data_dirs`` whose record is read (a local folder's ``prepare.json``, a
    Hub dataset's: :func:`~bimotion.data.layout.held_info`) hold, each benchmark registered with its own corpora
    (:func:`~bimotion.grid.config.prepared_groups`); a Hub dataset not reached, or without a record, adds none."""
    from ..data.layout import held_info
    from ..registry import BENCHMARKS

    return prepared_groups({b: f for b, f in data_dirs.items() if b in BENCHMARKS and held_info(f) is not None})


def not_held(group: str, shards, data_dirs: Mapping) -> str | None:
    """Why the prepared dataset of ``group`` (a known group, or a spec: ``eng_eld[crema_d]``), a local folder
    or a Hub dataset, has no rows of it by its record (``prepare.json``), what the datasets hold, and how to add
    them (prepare the folder again; a Hub dataset's, then push it again) or leave it out; None where it has
    some, or its record is not read (known by its card alone, or not fetched: the grid's check says so).  It
    was the grid's error: "... The paper's tables compare every group: ...; or give the grid groups it holds
    (tables: [], with mixtures: and extra_tests:), or run bimotion advise --target GROUP", to a user who had
    run just that."""
    from ..data.held import groups_without
    from ..data.layout import held_info, is_prepared
    from ..grid.checks import prepare_again

    lacking = groups_without(data_dirs.get, shards, None)
    bench = next((s.benchmark for s in shards if s.group in lacking), None)
    if bench is None or (info := held_info(source := str(data_dirs[bench]))) is None:
        return None
    held = recorded_groups(data_dirs)
    have = [c for c in info.get("corpora", []) if isinstance(c, str)]
    corpora = list(dict.fromkeys(s.corpus for s in shards if s.group in lacking and s.corpus not in have))
    where = source if is_prepared(source) else f"the Hub dataset {source}"
    return (
        f"group {group!r} (--groups, or groups: in the config) has no rows in {where} (prepared from "
        f"{', '.join(have) or 'no corpus'}; {', '.join(lacking)} is made from {', '.join(corpora)}; the prepared "
        f"datasets hold {', '.join(held)}): leave it out, or {prepare_again(source, info, [*have, *corpora])}"
    )


def augment_only(groups: list[str], target: str, data_dirs: Mapping, *, log=print) -> list[str]:
    """The groups other than ``target`` without validation or test rows in their local prepared
    folder (a group of one or two speakers, split by whole speakers): a model of one alone could
    neither select its checkpoint nor score itself, so each is only added to the target's data (the
    mixture selects on its other groups' validation rows), with a ``note:`` line.  A group with no train rows
    either is not one of them: the plan's check names what it lacks and how to prepare it."""
    from ..data.held import groups_without
    from ..mixture import parse_mixture

    only = []
    for group in groups:
        found = parse_mixture([group])  # a spec (eng_eld[crema_d]) names its group
        if groups_without(data_dirs.get, found.shards, "train"):  # not held at all: check_rows' error says so
            continue
        lacking = [split for split in ("validation", "test") if groups_without(data_dirs.get, found.shards, split)]
        if found.groups != (target,) and lacking:
            log(
                f"note: {group} has no {' or '.join(lacking)} rows (too few speakers): it is only added to {target}'s "
                "data, not trained on alone"
            )
            only.append(group)
    return only


def advise(
    config: str | os.PathLike | Mapping | GridConfig | None,
    data_dirs: Mapping[str, str | os.PathLike | None],
    output_dir: str | os.PathLike,
    *,
    target: str | None = None,
    groups: list[str] | None = None,
    seeds: list[int] | None = None,
    log=print,
) -> Advice | None:
    """Which cross-group data helps ``target``: train (or reuse) the in-group baseline, every
    cross-group augmentation and every cross-group inference model the groups allow, once per seed,
    score each on the target's test set, and write ``advice.json`` and ``advice.md`` (beside the
    grid's ``plan.json``, ``models/``, ``metrics/`` and ``tables/heatmap.*``) in ``output_dir``.
    None for a process of a multi-process launch that does not write the reports.  A stop a finalizer swallowed
    (:func:`bimotion.signals.stop_if_lost`) is taken before the reports are written.

    >>> advice = advise("probe", {"bimotion": "data/bimotion", "yuemotion": "data/yuemotion"},
    ...                 "results/advise-zho_eld", target="zho_eld")
    >>> from bimotion.advise.report import summary_lines
    >>> print("\\n".join(summary_lines(advice)))"""
    dirs = {k: str(v) for k, v in data_dirs.items() if v}
    grid_config = advise_config(config, dirs, target=target, groups=groups, seeds=seeds, log=log)
    grid = Grid(grid_config, dirs, output_dir, log=log)
    grid.runs_as = "advise"  # its refusals' fixes name this command, not recipes/grid.py
    result = grid.run()
    if result is None:  # one worker of several (bimotion.grid.workers): the last one to finish reports
        return None
    advice = collect_advice(grid)
    stop_if_lost()  # one process alone (the others returned above): a stop lost since the grid's last safe point
    advice.files = write_advice(advice) + list(result.files)
    return advice
