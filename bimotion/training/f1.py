"""The paper's weighted F1 kernel: counts per label over annotated clips (one row per bootstrap
resample at once), and the F1 from them.  Imports only numpy: :mod:`.metrics` (scores per group)
and :mod:`.bootstrap` (intervals) both stand on it.

Two readings of a clip's predictions go through it (:data:`METRICS`):

* ``weighted_f1``, the paper's text (section 5.3): sigmoid > 0.5 per label, binary F1 per annotated
  label, weighted by support: a multi-label score.
* ``weighted_f1_argmax``, the authors' released code (``compute_metrics`` of HLTCHKUST/elderly_ser's
  ``utils/metrics.py``): the arg-max of the logits and of the labels over the test set's annotated
  labels, then scikit-learn's weighted-average F1 of that single-label problem
  (:func:`argmax_reading`).  Which of the two produced the paper's tables is not said; the grid's
  ``metric`` picks one for the tables, and every ``scores.json`` holds both."""

from __future__ import annotations

import numpy as np

THRESHOLD = 0.5
METRICS = ("weighted_f1", "weighted_f1_argmax")  # the paper's text's reading, and its released code's
READINGS = {  # which reading of the logits a score is, by the grid's ``metric``: the words every report and
    # figure names it by (advise's summary, table and verdicts; the heat map's title and note; the grid tables' note)
    "weighted_f1": "at the 0.5 threshold",
    "weighted_f1_argmax": "read by arg-max",
}
METRIC_WORDS = {  # what a grid table's numbers are, by its ``metric``: the reading's name (READINGS), then its rule
    "weighted_f1": f"Weighted F1 (%) {READINGS['weighted_f1']}: sigmoid > 0.5, binary F1 per label, weighted by "
    "support (the paper's text)",
    "weighted_f1_argmax": f"Weighted F1 (%) {READINGS['weighted_f1_argmax']}: F1 of the arg-max label, single-label "
    "(the authors' released code)",
}
GROUP_SCORES = ("mean", "weighted", "pooled")  # how a group's (or test set's) number is made from its corpora
GROUP_SCORE_WORDS = {  # each GROUP_SCORES value in words (as metrics.aggregate and bootstrap._combine compute it)
    "mean": "each scored on its own, then the plain mean of their scores (each corpus weighs the same)",
    "weighted": "each scored on its own, then the mean of their scores weighted by each corpus's test clips",
    "pooled": "all their clips scored together as one set (each label over the clips that annotate it)",
}


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


def logit_cut(threshold: float) -> np.float64:
    """The logit above which a label is present at the sigmoid ``threshold`` (0 at 0.5): labels are
    decided on the logit, as the bootstrap's ``logits > 0``, since sigmoid rounds a float32 logit of
    1e-8 to 0.5.  ``threshold`` is a probability strictly in (0, 1), else ValueError."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be a probability in (0, 1), not {threshold}")
    return np.log(threshold / (1 - threshold))  # a float64 scalar: float32 logits are compared in float64


def present(logits: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """Whether each label is present at ``threshold``: its logit above :func:`logit_cut` (``logits > 0``
    at 0.5), as scoring and ``bimotion predict`` both decide it."""
    return np.asarray(logits) > logit_cut(threshold)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """The scores (float64: a float32 logit's score is not rounded further) of ``logits``: what
    ``bimotion predict`` writes; which labels are present is decided on the logit (:func:`present`)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


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


def argmax_reading(
    logits: np.ndarray, labels: np.ndarray, mask: np.ndarray, trained: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The released code's reading of each clip, as one-hot rows ``(preds, labels)``: the arg-max of
    the logits over the annotated (and ``trained``) labels, and of the labels over the annotated
    ones (the first, for a clip with several or none, as ``np.argmax`` gives it).  Their
    :func:`weighted_f1` is scikit-learn's ``f1_score(truth, guess, average="weighted")``.  A clip
    whose annotated labels were all untrained predicts nothing."""
    mask = np.asarray(mask).astype(bool)
    allowed = mask if trained is None else mask & np.asarray(trained, dtype=bool)
    choice = arg_max(logits, allowed)
    guess = np.zeros(mask.shape, dtype=np.int8)
    guess[np.flatnonzero(choice >= 0), choice[choice >= 0]] = 1
    return guess, argmax_truth(labels, mask)


def arg_max(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Each clip's arg-max label over its ``allowed`` labels; -1 for a clip with none allowed (UA,
    the confusion matrix and :func:`argmax_reading` all read clips so)."""
    return np.where(allowed.any(-1), np.argmax(np.where(allowed, logits, -np.inf), -1), -1)


def argmax_truth(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Each clip's label as the released code reads it, one-hot: the first of its annotated labels
    that is present (the first annotated label for a clip with none)."""
    mask = np.asarray(mask).astype(bool)
    truth = np.zeros(mask.shape, dtype=np.int8)
    truth[np.arange(len(mask)), np.argmax(np.where(mask, labels, -1), -1)] = 1
    return truth * mask


def argmax_chance(labels: np.ndarray, mask: np.ndarray) -> float:
    """Chance level (a fraction) of ``weighted_f1_argmax`` on one set of clips: the better of always
    guessing the most frequent label (``p * 2p / (1 + p)``) and guessing at the labels' frequencies
    (``sum p_k^2``), over the labels as :func:`argmax_truth` reads them.  As the arg-max reading, the
    guesser picks each clip's label among the labels that clip annotates, and, blind, guesses alike
    for every clip of one label space: in a pool of corpora with different label spaces, the most
    frequent label among that space's clips, or that space's labels at their frequencies there; the
    F1 of the expected counts, as ``p`` and ``sum p_k^2`` are for a set of one label space."""
    mask = np.asarray(mask).astype(bool)
    truth = argmax_truth(labels, mask).astype(np.float64)
    if truth.sum() == 0:
        return 0.0
    frequent, at_frequencies = np.zeros(mask.shape), np.zeros(mask.shape)
    for space, rows in label_spaces(mask):
        own = truth[rows].sum(0)  # the label counts of this space's clips (none outside ``space``)
        if own.sum() > 0:
            frequent[rows, arg_max(own, space)] = 1.0
            at_frequencies[rows] = own / own.sum()
    return float(max(f1_from_counts(*label_counts(guess, truth, mask))[0] for guess in (frequent, at_frequencies)))


def ua_chance(labels: np.ndarray, mask: np.ndarray) -> float:
    """Chance level (a fraction) of UA (balanced accuracy: mean recall over the classes present) on
    one set of single-label clips: the best blind guesser that, as the arg-max, picks each clip's label
    among the labels that clip annotates, its expected recalls.  Blind, it guesses alike for every clip
    of one label space; its best guess there is the label whose clips of that space are the largest
    share of its class, so UA's chance is the sum of those shares over the label spaces, over the classes
    present: ``1 / classes present`` for one label space, more for corpora of different ones pooled.  A clip
    that annotates no label (all of ``mask``'s row false) has no class and no label to guess: it changes nothing."""
    mask = np.asarray(mask).astype(bool)
    truth = argmax_truth(labels, mask).astype(np.float64)
    support = truth.sum(0)
    classes = int((support > 0).sum())
    if not classes:
        return 0.0
    # an empty label space (clips annotating no label) has no guess: its share is 0, not max() of nothing
    best = sum(ratio(truth[rows].sum(0), support)[space].max(initial=0.0) for space, rows in label_spaces(mask))
    return float(best / classes)


def label_spaces(mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(space, rows)`` for each label space among ``mask``'s clips (a row of annotated labels; a corpus's,
    or several corpora's that annotate the same): the space, and the indices of its clips; what a blind
    guesser tells clips apart by (:func:`argmax_chance`, :func:`ua_chance`)."""
    spaces, which = np.unique(np.asarray(mask).astype(bool), axis=0, return_inverse=True)
    which = which.reshape(-1)
    return [(space, np.flatnonzero(which == s)) for s, space in enumerate(spaces)]
