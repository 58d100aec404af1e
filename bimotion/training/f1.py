"""The paper's weighted F1 kernel: counts per label over annotated clips (one row per bootstrap
resample at once), and the F1 from them.  Imports only numpy: :mod:`.metrics` (scores per group)
and :mod:`.bootstrap` (intervals) both stand on it."""

from __future__ import annotations

import numpy as np

THRESHOLD = 0.5
GROUP_SCORES = ("mean", "weighted", "pooled")  # how a group's (or test set's) number is made from its corpora


def label_counts(
    preds: np.ndarray, labels: np.ndarray, mask: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives and false negatives per label over the annotated clips,
    shape ``(B, labels)``: one row per row of ``weights`` (how often each clip counts, shape
    ``(B, clips)``, e.g. bootstrap resample counts; ``None``: every clip once)."""
    if weights is None:
        weights = np.ones((1, len(labels)))
    p, y, m = preds.astype(np.float64), labels.astype(np.float64), mask.astype(np.float64)
    return weights @ (p * y * m), weights @ (p * (1 - y) * m), weights @ ((1 - p) * y * m)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0 where the denominator is 0 (sklearn's ``zero_division=0``)."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def weighted_f1(
    preds: np.ndarray, labels: np.ndarray, mask: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """The paper's weighted F1 (a fraction) of one set of clips from 0/1 predictions: binary F1
    per annotated label, averaged weighted by support; one value per row of ``weights``
    (:func:`label_counts`), so a bootstrap scores all its resamples at once."""
    return f1_from_counts(*label_counts(preds, labels, mask, weights))


def f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Weighted F1 from :func:`label_counts` (counts of several sets of clips may be summed first)."""
    support = tp + fn
    return ratio((ratio(2 * tp, 2 * tp + fp + fn) * support).sum(1), support.sum(1))
