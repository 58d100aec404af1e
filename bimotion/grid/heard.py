"""Test clips that a grid's model was trained on: a model trained on data prepared with another seed
(a trainer of the user's own may return one), or a test clip with the audio of a training clip (a
user's own split), scores them as if held out.  Checked as ``recipes/infer.py`` checks
(:func:`bimotion.training.evaluation.training_clips`), once per model and seed as it is scored: one
warning, the metrics file's ``training_clips``, and the tables' ``‡`` (:mod:`.report`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .plan import PlannedModel
from .saved import read_metrics


def mark_training_clips(grid, model: PlannedModel, seed: int, model_dir: Path, pred: dict, scores: dict):
    """Which test clips of ``pred`` the model at ``model_dir`` was trained on, by its ``train_manifest.txt``
    (by clip id, and by identical audio that the data's prepare.json lists), warned of in one line naming
    the count, the data and the model, and marked in ``scores``' groups as infer marks them; returns
    the metrics file's ``training_clips`` and a mask of those clips (None: the model has no manifest, or it
    is on the Hub and its manifest could not be fetched: warned of, and ``training_clips.unreached``)."""
    from ..training.evaluation import training_clips, warn_training_clips

    masks: list = []  # (by clip id, by identical audio), where checked
    seen = training_clips(model_dir, pred, grid.recorded.values(), masks, unread=grid.unread)  # as infer
    for group, count in seen.get("groups", {}).items():
        scores["groups"][group]["training_clips"] = count["clips"]
    datasets = {name: source for name, source in grid.sources.items() if name in grid.recorded}
    warn_training_clips(
        seen, f"the grid's model {model.name} (seed {seed}, {model_dir})", datasets, "test",
        marked="its metrics file (training_clips) and tables (‡) mark them",
        fix="Give the grid the prepared data its models were trained from, or models that never heard these clips",
    )  # fmt: skip
    heard: np.ndarray | None = masks[0][0] | masks[0][1] if masks else None
    return seen, heard


def heard_counts(grid, model: PlannedModel) -> dict[str, int]:
    """Test set -> the most of its clips that one seed's model of ``model`` was trained on, as their
    metrics files record (:func:`mark_training_clips`; a file of an older version records none, and without
    one, predictions only as :meth:`~bimotion.grid.runner.Grid.trained_labels` reads them, there is no
    model to check).  One it cannot read (``chmod 000``) is one ``error:`` line naming it and the fix
    (:func:`.saved.read_metrics`)."""
    counts: dict[str, int] = {}
    for seed in grid.config.seeds:
        stake = f"the grid cannot tell how many test clips {model.name} seed {seed} was trained on (the tables' ‡)"
        metrics = read_metrics(grid.metrics_file(model, seed), stake)
        tests = metrics["tests"] if metrics is not None else {}
        for test, entry in tests.items():
            counts[test] = max(counts.get(test, 0), int(entry.get("training_clips", 0)))
    return counts
