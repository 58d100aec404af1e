"""What a grid needs, checked before its first model trains: the prepared datasets its models and
test sets read, its seeds, base model, and the training arguments every model gets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .config import GridConfig
from .plan import Plan, PlannedModel, make_plan


def check_inputs(
    config: GridConfig,
    data_dirs: Mapping[str, str | os.PathLike | None],
    output_dir: str | os.PathLike = ".",
    *,
    own_trainer: bool = False,
    plan: Plan | None = None,
    registered: bool = False,
) -> None:
    """What a grid needs, checked before its first model trains (raises ValueError naming the
    argument): the prepared datasets its models, test sets and figures read, its seeds, base model, and the
    training arguments every model gets, its models going below ``output_dir``; ``own_trainer``: the grid
    trains with a trainer of its own (the probe's, or one given to :class:`~.runner.Grid`), which checks its
    base model and training arguments itself; ``plan``: the config's :func:`.plan.make_plan`, where the caller
    has made it (else made once, after the config's checks); ``registered``: the caller ran register_prepared."""
    from ..mixture import parse_mixture
    from ..training.args import check_hyperparameters, check_model, check_selection_metric
    from ..training.data_checks import check_datasets, register_prepared
    from ..training.parsing import ArgumentError, one_line
    from ..training.run import training_arguments
    from ..training.spec import TrainSpec

    datasets = {name: str(data_dirs[name]) if data_dirs.get(name) else None for name in ("bimotion", "yuemotion")}
    if not registered:  # a local folder's own groups (ind_eld) and `all` resolve in the config's checks
        register_prepared(datasets)
    plan = check_config(config, plan=plan)  # the plan its figures' checks made, where they made it
    finetunes = config.backend == "finetune" and not own_trainer
    if config.tiny_model is None and finetunes:
        training = dict(config.training)
        check_model(
            config.model_name_or_path,
            "--model_name_or_path",
            cache_dir=training.get("model_cache_dir"),
            revision=training.get("model_revision"),
        )
    plan = plan or make_plan(config)
    check_datasets(datasets, required=False, local_only=config.backend == "probe")  # a probe's features: per folder
    needs = {s.benchmark: m.name for m in plan.models for s in m.shards}
    needs.update({s.benchmark: f"test set {s.group}" for s in plan.test_shards if s.benchmark not in needs})
    figures = _figure_needs(config)  # drawn once every model has trained: their data checked now
    needs.update({s.benchmark: user for user, shards, _ in figures for s in shards if s.benchmark not in needs})
    for bench, user in needs.items():
        if not datasets[bench]:
            raise ArgumentError(f"--{bench} is required: this grid's {user} reads the prepared {bench} dataset")
    if plan.models and finetunes:
        values = {"report_to": "none", **dict(config.training), "seed": config.seeds[0], "output_dir": str(output_dir)}
        try:
            spec = TrainSpec.from_values(parse_mixture(plan.models[0].name), values)  # a Mixture: none registered
            training_args = training_arguments(spec)
            check_hyperparameters(spec.model, spec.data, spec.run, training_args)
            for model in plan.models:  # each model validates on its own groups
                check_selection_metric(training_args.metric_for_best_model, model.shards, datasets)
        except ValueError as err:
            raise ArgumentError(f"the grid config's training: {one_line(err)}") from err
    check_rows(plan, datasets, figures)  # the arguments first, then what the data holds


def check_config(config: GridConfig, *, flags: Mapping[str, str] | None = None, plan: Plan | None = None):
    """What the config alone must hold (its seeds, its specs and target, its bootstrap, a probe's ``training:``,
    its figures); raises ArgumentError naming the argument.  ``flags``: the config keys the command's flags set,
    with the flag its fix names (advise's ``{"target": "--target", "seeds": "--seeds"}``; else the config's key:
    recipes/grid.py checks its --seeds and --bootstrap_samples as it reads them).  A figure whose model
    recipes/grid.py's ``--tables`` dropped is left out before this check (:func:`figures_without_their_models`).
    ``plan``: the config's :func:`.plan.make_plan` where the caller made it (else made here, after the specs, where
    figures need it): returned (a :class:`~.plan.Plan`), or None where none was given or made."""
    from ..training.parsing import (  # light: a usage error in well under a second
        ArgumentError,
        check_bootstrap_samples,
        check_seeds,
        one_line,
    )

    flags = flags or {}  # the config file's keys are named, not a flag, unless the flag gave the value
    check_seeds(config.seeds, flags.get("seeds", f"{config.source}: seeds:"))
    _check_specs(config)
    _check_target(config, flags)
    check_bootstrap_samples(
        config.bootstrap_samples, flags.get("bootstrap_samples", f"{config.source}: bootstrap_samples:")
    )
    if config.backend == "probe":  # a head on frozen features: its own arguments (the grid's trainer reads them
        from ..probe.run import probe_arguments  # as it is made: advise's got as far as a traceback)

        try:
            probe_arguments(config.features, dict(config.training), config.source)
        except ValueError as err:
            raise ArgumentError(one_line(err)) from err
    if config.projections:  # drawn when the grid has finished: their keys checked before it starts
        from ..projection_spec import ProjectionSpec

        for spec in config.projections:
            try:
                ProjectionSpec.from_dict(spec, config.source)
            except (TypeError, ValueError) as err:
                raise ArgumentError(one_line(err)) from err
        _check_projection_data(config)  # every figure's keys first
        plan = plan or make_plan(config)
        _check_projection_models(config, plan)
    return plan


def _check_projection_data(config: GridConfig) -> None:
    """Every figure's ``test:`` and every panel's ``train:`` of the config's ``projections:`` is a mixture
    spec that resolves (:func:`bimotion.mixture.parse_mixture`), as :func:`bimotion.projection.project`
    parses them once the grid has trained every model: else one ArgumentError naming the config, the
    figure (and panel), the spec, why (the valid configs or corpora) and the fix, before anything trains
    (``zho_eldd`` ended the run with a KeyError traceback); :func:`check_config`'s, after every figure's keys."""
    from ..projection_spec import ProjectionSpec

    for raw in config.projections:
        spec = ProjectionSpec.from_dict(raw, config.source)
        figure = f"{config.source}: projections: {spec.name!r}"
        _check_spec(spec.test, f"{figure}: test", "the figure")
        for k, panel in enumerate(spec.panels):
            _check_spec(panel.train, f"{figure}: panel {k + 1} ({panel.title!r}): train", "the panel")


def _check_specs(config: GridConfig) -> None:
    """Every spec of the config's ``mixtures:``, ``extra_tests:`` and ``groups:`` resolves
    (:func:`bimotion.mixture.parse_mixture`): else one ArgumentError naming the config, the key, the spec,
    the valid configs or corpora and the fix (make_plan's KeyError traceback, the demo's after it had
    generated and prepared the data)."""
    for key in ("mixtures", "extra_tests", "groups"):
        for index, spec in enumerate(getattr(config, key), 1):
            _check_spec(spec, f"{config.source}: {key}: item {index}", "it")


def _figure_needs(config: GridConfig) -> list[tuple[str, tuple, str]]:
    """What the config's ``projections:`` read, as :func:`bimotion.projection.project` does once the grid has
    trained every model: ``(user, shards, split)`` of each figure's ``test:`` and each panel's ``train:``."""
    from ..mixture import parse_mixture
    from ..projection_spec import ProjectionSpec

    needs = []
    for raw in config.projections:
        spec = ProjectionSpec.from_dict(raw, config.source)
        needs.append((f"figure {spec.name!r}", parse_mixture(spec.test).shards, "test"))
        for k, panel in enumerate(spec.panels):
            needs.append((f"figure {spec.name!r} (panel {k + 1})", parse_mixture(panel.train).shards, "train"))
    return needs


def _check_target(config: GridConfig, flags: Mapping[str, str]) -> None:
    """A config's ``target:`` is one of its ``groups:`` (``augment_only:`` among them), as :func:`.plan.make_plan` reads
    them (the demo's error came after it had made its data): else one ArgumentError naming the config and the fix;
    ``flags``' ``target`` (advise's ``--target``): make_plan's words; an item of several groups: as a flag gave it."""
    from ..training.parsing import ArgumentError, one_line
    from .plan import GroupItemError, target_mixtures

    if not config.target:
        return
    try:
        target_mixtures(config.target, config.groups, config.augment_only)
    except GroupItemError as err:  # its words name the fix: each group its own item (advise's --groups: value)
        raise ArgumentError(err.said(flags.get(err.key), config.source)) from err
    except (KeyError, ValueError, TypeError) as err:
        if "target" in flags:
            raise ArgumentError(one_line(err)) from err
        fix = ": correct target:, groups: or augment_only:" if config.groups else ""
        raise ArgumentError(f"{config.source}: {one_line(err)}{fix}") from err


def _check_spec(spec, where: str, whole: str) -> None:
    """``spec`` (a config's mixture spec, read at ``where``) resolves: else ArgumentError saying why and
    to correct it or delete ``whole``."""
    from ..mixture import parse_mixture
    from ..training.parsing import ArgumentError, one_line

    try:
        parse_mixture(spec)
    except (KeyError, ValueError, TypeError) as err:  # TypeError: not a string (mixtures: [1])
        raise ArgumentError(f"{where}: {spec!r}: {one_line(err)}; correct it, or delete {whole}") from err


def _check_projection_models(config: GridConfig, plan) -> None:
    """Every model the config's ``projections:`` draw from (a figure's ``model``, a panel's own) is a model
    of ``plan`` (``make_plan(config)``) or a model folder, as :func:`bimotion.projection.project_from_grid`
    reads them once the grid has trained every model: else one ArgumentError naming the config, the
    figure (and panel), the model, the plan's models and the fix, before anything trains (it ended the
    run with a KeyError traceback); :func:`check_config`'s, after every figure's keys."""
    from ..paper import TABLES
    from ..projection_spec import ProjectionSpec
    from ..training.parsing import ArgumentError

    for raw in config.projections:
        spec = ProjectionSpec.from_dict(raw, config.source)
        uses = [("", spec.model)] + [(f": panel {k + 1} ({p.title!r})", p.model) for k, p in enumerate(spec.panels)]
        for where, name in uses:
            if not _untrained(name, plan):
                continue
            tables = [t for t in TABLES if t not in config.tables and any(c.train == name for c in TABLES[t].cells())]
            add = f"add {' or '.join(tables)} to tables: (which trains it), or " if tables else ""
            raise ArgumentError(
                f"{config.source}: projections: {spec.name!r}{where}: model {name!r} is neither a model this grid "
                f"trains nor a model folder; its models: {', '.join(m.name for m in plan.models) or 'none'}: "
                f"name one of them, {add}list {name!r} under mixtures: so that the grid trains it too, or "
                "delete the figure"
            )


def _untrained(name: str | None, plan) -> bool:
    """Whether a figure's (or panel's) model ``name`` is neither a model of ``plan`` nor a model folder, as
    :func:`bimotion.projection.project_from_grid` reads it (None: the figure's own model)."""
    if name is None or Path(name).is_dir():
        return False
    try:
        plan.model(name)
    except (KeyError, ValueError):  # not trained by this grid, or no mixture at all
        return True
    return False


def figures_without_their_models(config: GridConfig, plan: Plan, dropped: list[str]) -> list[str]:
    """The names of the config's ``projections:`` that draw from a model (the figure's, a panel's) its ``plan``
    (:func:`.plan.make_plan`) does not train and a table of ``dropped`` does: those ``recipes/grid.py --tables``
    leaves out, saying so (``dropped``: the config file's tables the flag left out); a figure's model that no
    table of the file trains (mistyped, a missing folder) is :func:`check_config`'s error, as without the flag."""
    from ..mixture import parse_mixture
    from ..paper import TABLES
    from ..projection_spec import ProjectionSpec

    trains = {c.train for t in dropped for c in TABLES[t].cells()}  # the dropped tables' models, as a plan holds them
    theirs = Plan([PlannedModel(spec, parse_mixture(spec).shards, (spec,)) for spec in trains], [], [], [])
    specs = [ProjectionSpec.from_dict(raw, config.source) for raw in config.projections]
    names = {s.name: [n for n in [s.model, *(p.model for p in s.panels)] if _untrained(n, plan)] for s in specs}
    return [s for s, models in names.items() if models and not any(_untrained(n, theirs) for n in models)]


def check_rows(plan, datasets: Mapping[str, str | None], figures=()) -> None:
    """Every model's groups have train rows, at least one of them validation rows (a model selects
    its checkpoint on those of its groups that have them) and test rows, and every test set has test
    rows (per benchmark group, over the corpora it reads, as training reads them), as the local
    prepared folders' ``prepare.json`` counts them (a group of one speaker, split by speaker, has no
    validation or test rows): one ArgumentError naming the group, before anything trains.  ``figures``
    (:func:`_figure_needs`): the figures' groups are held too (:func:`check_prepared`)."""
    from ..data.held import groups_without
    from ..data.layout import split_rows
    from ..training.parsing import ArgumentError

    needs = [(model.name, model.shards, "train") for model in plan.models]
    needs += [(f"test set {shard.group}", [shard], "test") for shard in plan.test_shards]
    check_prepared([*needs, *figures], datasets)
    for user, shards, split in needs:
        for group in groups_without(datasets.get, shards, split):
            bench = next(s.benchmark for s in shards if s.group == group)
            corpora = sorted({s.corpus for s in shards if s.group == group})
            count = split_rows(datasets[bench], group, corpora)
            raise ArgumentError(
                f"{user} needs {split} rows of {group} ({', '.join(corpora)}), and {datasets[bench]} has "
                f"none (train/validation/test: {count['train']}/{count['validation']}/{count['test']}; a split by "
                "whole speakers needs enough speakers in the group for every split): add clips or speakers and "
                f"prepare again, or leave {group} out"
            )
    for model in plan.models:  # validation rows to select on, and its own test sets: at least one group's
        groups = list(dict.fromkeys(s.group for s in model.shards))
        for split in ("validation", "test"):
            if groups_without(datasets.get, model.shards, split) == groups:
                raise ArgumentError(
                    f"{model.name} needs {split} rows of at least one of its groups ({', '.join(groups)}), and the "
                    "prepared datasets have none (a split by whole speakers needs enough speakers in a group for "
                    "every split): add clips or speakers and prepare again, or leave it out"
                )


def check_prepared(needs, datasets: Mapping[str, str | None]) -> None:
    """Every group that ``needs`` (``(user, shards, split)``: a model, a test set, a figure) reads is in its prepared
    dataset, in some split: a dataset prepared from some corpora only (CSED alone: zho_eld) is one
    ArgumentError naming every group it lacks, what reads each, and the ``bimotion prepare`` command that
    adds them under the dataset's own protocol and seed (its splits stay as they are), for a Hub dataset
    then ``bimotion push`` again; its record read as every reader reads it (:func:`.layout.held_info`: a Hub
    dataset's too; by its card where it has none, :func:`.held.unrecorded`)."""
    from ..data.held import groups_without, unrecorded
    from ..data.layout import held_info
    from ..registry import BENCHMARKS
    from ..training.parsing import ArgumentError

    missing: dict[tuple[str, str], list[str]] = {}  # (benchmark, group) -> its users
    for user, shards, _ in needs:
        for group in groups_without(datasets.get, shards, None):
            bench = next(s.benchmark for s in shards if s.group == group)
            users = missing.setdefault((bench, group), [])
            name = user if user.startswith(("test set", "figure")) else f"model {user}"
            users += [] if name in users else [name]
    for bench in dict.fromkeys(b for b, _ in missing):
        folder, info = datasets[bench], held_info(datasets[bench])
        groups = {g: users for (b, g), users in missing.items() if b == bench}
        read_by = "; ".join(f"{g} by {', '.join(users)}" for g, users in groups.items())
        instead = "give the grid groups it holds (tables: [], with mixtures: and extra_tests:), or run "
        instead += "bimotion advise --target GROUP"
        if info is None:  # a dataset without a record (or not fetched): its card's configs lack them
            so = f"and its card has no config of {', '.join(groups)}, which this grid reads ({read_by})"
            raise ArgumentError(unrecorded(folder, so, instead) or f"{folder}: {so}: {instead}")
        held = [c for c in info.get("corpora", []) if isinstance(c, str)]
        lacking = [c for g in groups for c in BENCHMARKS[bench].config(g).corpora if c not in held]
        raise ArgumentError(
            f"{folder} holds no rows of {', '.join(groups)} (prepared from {', '.join(held) or 'no corpus'}), which "
            f"this grid reads ({read_by}). The paper's tables compare every group: "
            f"{prepare_again(folder, info, [*held, *lacking])}; or {instead}"
        )


def prepare_again(source: str, info: dict, corpora: list[str]) -> str:
    """How to add ``corpora``'s groups to the prepared dataset ``source`` (with the record ``info``) under its
    own protocol and seed, so that its splits stay: prepare its folder again, and a Hub dataset's push again."""
    from ..data.layout import is_prepared

    sources = " ".join(f"--source {c}=DIR" for c in dict.fromkeys(corpora))
    again = f"--protocol {info.get('protocol', 'paper')} --seed {info.get('seed', 0)}"
    if is_prepared(source):
        return (
            f"prepare the folder again with their corpora, under its own protocol and seed so its splits stay: "
            f"bimotion prepare {sources} {again} --output {source} --overwrite (each DIR the corpus's raw folder)"
        )
    return (
        f"prepare the Hub dataset again with their corpora, under its own protocol and seed so its splits stay, "
        f"and push it again: bimotion prepare {sources} {again} --output OUT (each DIR the corpus's raw folder), "
        f"then bimotion push OUT --repo-id {source}"
    )
