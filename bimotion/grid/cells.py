"""A grid's tables from its saved predictions (:func:`collect`): every cell, average and heat-map entry, each
test set's weighted F1 over seeds with its bootstrap interval; it reads what the units wrote and never trains, which
:meth:`~bimotion.grid.runner.Grid.report` renders and :meth:`~bimotion.grid.runner.Grid.run` writes once every unit is
done."""

from __future__ import annotations

import zlib

import numpy as np

from ..mixture import parse_mixture
from ..training.bootstrap import score_test
from .heard import heard_counts
from .report import GridResult
from .scoring import CellResult, chance_of_test, summarize


def collect(grid) -> GridResult:
    """Every cell, average and heat-map entry of ``grid`` (a :class:`~bimotion.grid.runner.Grid`) from the saved
    predictions."""
    from loaders.labels import LABELS

    from ..training.metrics import trained_mask
    from .workers import metrics_provenance, tables_predictions

    cfg = grid.config
    matrix: dict[tuple[str, str], dict] = {}
    boots: dict[tuple[str, str], np.ndarray] = {}
    for model in grid.plan.models:
        trained = [grid.trained_labels(model, seed) for seed in cfg.seeds]  # per model, not per test
        heard = heard_counts(grid, model)
        masks = [trained_mask(t) for t in trained]
        for test in grid.plan.tests:
            shards = list(parse_mixture(test).shards)  # predicted again only under the unit's claim
            preds = [tables_predictions(grid, model, seed, shards) for seed in cfg.seeds]
            seed = zlib.crc32(test.encode())  # the same resamples whatever else the grid holds
            values, boot = score_test(
                preds, samples=cfg.bootstrap_samples, confidence=cfg.confidence, seed=seed,
                group_score=cfg.group_score, trained=masks, metric=cfg.metric,
            )  # fmt: skip
            annotated = [lab for lab, on in zip(LABELS, preds[0]["label_mask"].any(0), strict=True) if on]
            matrix[(model.name, test)] = {
                **summarize(values, boot, cfg.confidence),
                "num_test": len(preds[0]["id"]),
                "chance": chance_of_test(preds[0], cfg.group_score, cfg.metric)["chance"],
                "untrained": [lab for lab in annotated if any(t is not None and lab not in t for t in trained)],
                "training_clips": heard.get(test, 0),
            }
            boots[(model.name, test)] = boot
    cells, averages = [], {}
    for table in grid.plan.tables:
        for row in table.rows:
            row_values, row_boots = [], []
            for col in table.columns:
                cell = table.cell(row.key, col.key)
                model = grid.plan.model(cell.train).name
                m = matrix[(model, cell.test)]
                seeds = list(cfg.seeds)
                cells.append(CellResult(table.name, row.key, col.key, model, cell.test, seeds, paper=cell.paper, **m))
                row_values.append(m["values"])
                row_boots.append(boots[(model, cell.test)])
            if table.paper_average is not None:
                averages[(table.name, row.key)] = summarize(
                    np.mean(row_values, axis=0), np.mean(row_boots, axis=0), cfg.confidence
                )
    return GridResult(grid.out, cfg, grid.plan, cells, averages, matrix, [], list(grid.trained), dict(grid.sources),
                      grid.generated, metrics_provenance(grid))  # fmt: skip
