"""Scoring a grid's cells: the paper's weighted F1 (%) per seed, the mean over a test set's
(group, corpus) parts, and a bootstrap over test clips for the confidence interval, all on the one
kernel :func:`bimotion.training.metrics.weighted_f1`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..training.metrics import weighted_f1


@dataclass
class CellResult:
    table: str
    row: str
    column: str
    model: str
    test: str
    seeds: list[int]
    values: list[float]  # weighted F1 (%) per seed
    mean: float
    std: float
    ci_low: float
    ci_high: float
    num_test: int
    paper: float | None

    @property
    def diff(self) -> float | None:
        return None if self.paper is None else self.mean - self.paper


def summarize(values: np.ndarray, boot: np.ndarray, confidence: float) -> dict:
    """Per-seed ``values``, their mean and std, and the ``confidence`` interval of ``boot``."""
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [alpha, 1 - alpha]) if len(boot) else (np.nan, np.nan)
    return {
        "values": [float(v) for v in values],
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "ci_low": float(lo),
        "ci_high": float(hi),
    }


def score_test(
    predictions: list[dict], *, samples: int, confidence: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted F1 (%) of one test set for each seed's predictions, and the bootstrap distribution
    of their mean.  Each (group, corpus) is scored on its own and the test set's score is the mean
    over them; the bootstrap resamples clips within each (group, corpus)."""
    ref = predictions[0]
    for other in predictions[1:]:
        if not np.array_equal(other["id"], ref["id"]):
            raise ValueError("the seeds were scored on different test clips")
    strata = np.char.add(np.char.add(ref["group"], "/"), ref["corpus"])
    rng = np.random.default_rng(seed)
    per_seed, boot = [], []
    for key in dict.fromkeys(strata.tolist()):
        rows = np.flatnonzero(strata == key)
        counts = rng.multinomial(len(rows), np.full(len(rows), 1 / len(rows)), size=samples) if samples else None
        seed_scores, seed_boot = [], []
        for pred in predictions:
            preds = (pred["logits"][rows] > 0).astype(np.int8)  # sigmoid > 0.5
            labels, mask = pred["labels"][rows], pred["label_mask"][rows]
            seed_scores.append(weighted_f1(preds, labels, mask)[0])
            if samples:
                seed_boot.append(weighted_f1(preds, labels, mask, counts))
        per_seed.append(seed_scores)
        boot.append(np.mean(seed_boot, axis=0) if samples else np.zeros(0))
    return 100 * np.mean(per_seed, axis=0), 100 * np.mean(boot, axis=0)
