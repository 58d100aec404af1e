"""What a grid needs, checked before its first model trains: the prepared datasets its models and
test sets read, its seeds, base model, and the training arguments every model gets."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .config import GridConfig
from .plan import make_plan


def check_inputs(config: GridConfig, data_dirs: Mapping[str, str | os.PathLike | None]) -> None:
    """What a grid needs, checked before its first model trains (raises ValueError naming the
    argument): the prepared datasets its models and test sets read, its seeds, base model, and the
    training arguments every model gets."""
    from ..training.args import (
        ArgumentError,
        check_datasets,
        check_hyperparameters,
        check_model,
        check_seeds,
        one_line,
    )
    from ..training.run import training_arguments
    from ..training.spec import TrainSpec

    check_seeds(config.seeds, "--seeds")
    if config.bootstrap_samples < 1:
        raise ArgumentError(f"--bootstrap_samples must be > 0, not {config.bootstrap_samples}")
    if config.tiny_model is None and config.backend == "finetune":
        check_model(config.model_name_or_path, "--model_name_or_path")
    plan = make_plan(config)
    datasets = {name: str(data_dirs[name]) if data_dirs.get(name) else None for name in ("bimotion", "yuemotion")}
    check_datasets(datasets, required=False)
    needs = {s.benchmark: m.name for m in plan.models for s in m.shards}
    needs.update({s.benchmark: f"test set {s.group}" for s in plan.test_shards if s.benchmark not in needs})
    for bench, user in needs.items():
        if not datasets[bench]:
            raise ArgumentError(f"--{bench} is required: this grid's {user} reads the prepared {bench} dataset")
    if not plan.models:
        return
    if config.backend == "probe":  # a head on frozen features: its own arguments
        from ..probe.run import probe_arguments

        try:
            probe_arguments(config.features, dict(config.training))
        except ValueError as err:
            raise ArgumentError(one_line(err)) from err
        return
    values = {"report_to": "none", **dict(config.training), "seed": config.seeds[0], "output_dir": "unused"}
    try:
        spec = TrainSpec.from_values(plan.models[0].name, values)
        check_hyperparameters(spec.model, spec.data, spec.run, training_arguments(spec))
    except ValueError as err:
        raise ArgumentError(f"the grid config's training: {one_line(err)}") from err
