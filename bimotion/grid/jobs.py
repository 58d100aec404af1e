"""What a grid trains: one planned model for one seed (:class:`TrainJob`), and the default trainer
(:func:`train_model`, what ``recipes/train.py`` runs); a grid config's ``backend: probe`` brings its
own (:func:`bimotion.probe.run.probe_trainer`), and a caller may pass any :data:`Trainer`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..mixture import Shard, parse_mixture


@dataclass(frozen=True)
class TrainJob:
    """One model to train: ``trainer(job) -> directory of the saved model`` (default :func:`train_model`)."""

    name: str
    shards: tuple[Shard, ...]
    seed: int
    output_dir: Path
    sources: Mapping[str, str]  # {"bimotion": dir, "yuemotion": dir, "cache_dir": dir}
    model_name_or_path: str
    training: Mapping  # the grid config's training arguments


Trainer = Callable[[TrainJob], Path]


def train_model(job: TrainJob) -> Path:
    """Train ``job`` in this process with :func:`bimotion.training.run.train` (what
    ``recipes/train.py`` runs): the mixture's configs are its training configs, and, where they have
    validation rows, its validation configs."""
    from ..training.data import Sources, with_split_rows
    from ..training.run import train
    from ..training.spec import TrainSpec

    configs = list(parse_mixture(job.name).configs)
    sources = Sources(job.sources.get("bimotion"), job.sources.get("yuemotion"))
    values = {
        "report_to": "none",
        **dict(job.training),
        "model_name_or_path": job.model_name_or_path,
        "seed": job.seed,
        "output_dir": str(job.output_dir),
        "bimotion": job.sources.get("bimotion"),
        "yuemotion": job.sources.get("yuemotion"),
        "dataset_cache_dir": job.sources.get("cache_dir"),
        # selected on those of its groups that have validation rows (check_rows: at least one has)
        "validation_configs": with_split_rows(sources, configs, "validation"),
        "test_configs": with_split_rows(sources, configs, "test"),  # the grid scores every test set itself
    }
    train(TrainSpec.from_values(job.name, values, run_name=job.name))
    return Path(job.output_dir)
