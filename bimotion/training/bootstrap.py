"""Weighted F1 with a bootstrap over test clips: each (group, corpus) part of a test set scored on
its own, combined by ``group_score`` (their mean, size-weighted mean, or all clips pooled), and the
same numbers over resamples of each part's clips (:func:`score_test`, which the grid's tables and
``advise`` use); :func:`group_intervals`, the interval of each group of one run's scores (the end
table of ``train.py`` and ``probe.py``).  All on the one kernel of :mod:`.f1`."""

from __future__ import annotations

import numpy as np

from .f1 import GROUP_SCORES, f1_from_counts, label_counts

INTERVAL_SAMPLES = 1000  # bootstrap resamples behind a run's test intervals
CONFIDENCE = 0.95


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


def group_intervals(
    logits: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    corpora: np.ndarray,
    groups: np.ndarray,
    *,
    trained: np.ndarray | None = None,
    group_score: str = "mean",
    samples: int = INTERVAL_SAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> dict[str, list[float]]:
    """``{group: [low, high]}``: the ``confidence`` bootstrap interval of each group's weighted F1
    (a fraction, as :func:`~.metrics.score_groups` gives it), clips resampled within each corpus:
    how far another test set of the same size could move the number."""
    out = {}
    alpha = (1 - confidence) / 2
    for group in dict.fromkeys(np.asarray(groups).tolist()):
        rows = np.asarray(groups) == group
        pred = {
            "id": np.flatnonzero(rows).astype(str),
            "group": np.asarray(groups)[rows].astype(str),
            "corpus": np.asarray(corpora)[rows].astype(str),
            "logits": logits[rows],
            "labels": labels[rows],
            "label_mask": mask[rows],
        }
        _, boot = score_test([pred], samples=samples, confidence=confidence, seed=seed, group_score=group_score,
                             trained=[trained])  # fmt: skip
        low, high = np.quantile(boot, [alpha, 1 - alpha])
        out[group] = [float(low) / 100, float(high) / 100]
    return out
