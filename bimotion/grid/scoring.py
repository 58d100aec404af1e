"""Scoring a grid's cells: the paper's weighted F1 (%) per seed, a test set's number from its
(group, corpus) parts (``group_score``: their mean, as the tables always had, their size-weighted
mean, or all its clips pooled), a bootstrap over test clips for the confidence interval, and the
test set's chance level, all on the one kernel :func:`bimotion.training.metrics.weighted_f1`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..training.metrics import GROUP_SCORES, chance_levels, f1_from_counts, label_counts


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
    chance: float | None = None  # the test set's chance level (%, :func:`chance_of_test`)
    untrained: list[str] = field(default_factory=list)  # labels the test set annotates and the model never trained

    @property
    def diff(self) -> float | None:
        return None if self.paper is None else self.mean - self.paper

    @property
    def at_chance(self) -> bool:
        """The seed mean is at or below the test set's chance level."""
        return self.chance is not None and self.mean <= self.chance


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


def _strata(pred: dict) -> list[np.ndarray]:
    """The rows of each (group, corpus) part of a test set, in order of appearance."""
    keys = np.char.add(np.char.add(pred["group"], "/"), pred["corpus"])
    return [np.flatnonzero(keys == key) for key in dict.fromkeys(keys.tolist())]


def _combine(per_part: list[list[tuple]], sizes: list[int], group_score: str) -> np.ndarray:
    """Weighted F1 per seed and resample, shape ``(seeds, 1 + samples)``, from each part's counts."""
    if group_score == "pooled":
        seeds = range(len(per_part[0]))
        return np.stack([f1_from_counts(*(sum(part[s][i] for part in per_part) for i in range(3))) for s in seeds])
    f1 = np.stack([[f1_from_counts(*counts) for counts in part] for part in per_part])  # (parts, seeds, 1 + samples)
    return np.average(f1, axis=0, weights=sizes if group_score == "weighted" else None)


def score_test(
    predictions: list[dict],
    *,
    samples: int,
    confidence: float,
    seed: int = 0,
    group_score: str = "mean",
    trained: list[np.ndarray | None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted F1 (%) of one test set for each seed's predictions, and the bootstrap distribution
    of their mean.  Each (group, corpus) part is scored on its own and combined by ``group_score``
    (:data:`~bimotion.training.metrics.GROUP_SCORES`); the bootstrap resamples clips within each
    part.  ``trained``: per seed, the labels its model trained on (boolean over the label space,
    ``None``: all); the others are predicted absent."""
    if group_score not in GROUP_SCORES:
        raise ValueError(f"group_score must be one of {GROUP_SCORES}, not {group_score!r}")
    ref = predictions[0]
    for other in predictions[1:]:
        if not np.array_equal(other["id"], ref["id"]):
            raise ValueError("the seeds were scored on different test clips")
    trained = trained or [None] * len(predictions)
    rng = np.random.default_rng(seed)
    per_part, sizes = [], []
    for rows in _strata(ref):
        weights = np.ones((1, len(rows)))
        if samples:
            weights = np.vstack([weights, rng.multinomial(len(rows), np.full(len(rows), 1 / len(rows)), size=samples)])
        counts = []
        for pred, known in zip(predictions, trained, strict=True):
            preds = (pred["logits"][rows] > 0).astype(np.int8)  # sigmoid > 0.5
            if known is not None:
                preds = preds * known.astype(np.int8)
            counts.append(label_counts(preds, pred["labels"][rows], pred["label_mask"][rows], weights))
        per_part.append(counts)
        sizes.append(len(rows))
    f1 = 100 * _combine(per_part, sizes, group_score)
    return f1[:, 0], f1[:, 1:].mean(0)


def chance_of_test(pred: dict, group_score: str = "mean") -> dict:
    """Chance levels (%) of one test set's clips (:func:`~bimotion.training.metrics.chance_levels`),
    combined over its (group, corpus) parts as :func:`score_test` combines the scores."""
    keys = ("chance", "all_positive", "prior_matched")
    if group_score == "pooled":
        levels = chance_levels(pred["labels"], pred["label_mask"])
        return {k: 100 * levels[k] for k in keys}
    parts = [chance_levels(pred["labels"][rows], pred["label_mask"][rows]) for rows in _strata(pred)]
    weights = [len(rows) for rows in _strata(pred)] if group_score == "weighted" else None
    return {k: 100 * float(np.average([p[k] for p in parts], weights=weights)) for k in keys}
