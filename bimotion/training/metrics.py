"""The paper's metrics, per corpus and per group: one weighted-F1 kernel (:func:`weighted_f1`, which
the grid's bootstrap runs over all its resamples at once), scikit-learn for the accuracies.

* **weighted F1** (the paper's metric): sigmoid > 0.5 per label, binary F1 per *annotated* label,
  averaged weighted by each label's support (its positives).  Labels outside a corpus's label space
  are never scored; labels with no positives weigh nothing.
* **per-label** precision, recall, F1 and support; **macro F1** over the annotated labels that occur.
* **unweighted accuracy** (UA, balanced accuracy: mean per-class recall of the arg-max over the
  annotated labels) and plain accuracy, for single-label corpora (every clip has exactly one label).
* the masked BCE **loss**.

A group's ``weighted_f1`` is the mean of its corpora's (every test corpus scored on its own, as in
the paper); ``pooled`` scores all of a group's clips together, each label over the clips that
annotate it.
"""

from __future__ import annotations

import warnings

import numpy as np

from loaders.labels import LABELS

THRESHOLD = 0.5


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def masked_bce(logits: np.ndarray, labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-sample masked BCE (numpy twin of :func:`bimotion.training.loss.per_sample_loss`)."""
    x, y = logits.astype(np.float64), labels.astype(np.float64)
    bce = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    return (bce * mask).sum(-1) / np.maximum(mask.sum(-1), 1)


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


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0 where the denominator is 0 (sklearn's ``zero_division=0``)."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def weighted_f1(
    preds: np.ndarray, labels: np.ndarray, mask: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """The paper's weighted F1 (a fraction) of one set of clips from 0/1 predictions: binary F1
    per annotated label, averaged weighted by support; one value per row of ``weights``
    (:func:`label_counts`), so a bootstrap scores all its resamples at once."""
    tp, fp, fn = label_counts(preds, labels, mask, weights)
    support = tp + fn
    total = support.sum(1)
    return _ratio((_ratio(2 * tp, 2 * tp + fp + fn) * support).sum(1), total)


def scores(logits: np.ndarray, labels: np.ndarray, mask: np.ndarray, threshold: float = THRESHOLD) -> dict:
    """Every metric for one set of clips (one corpus, or a pooled group)."""
    logits, labels, mask = np.asarray(logits), np.asarray(labels).astype(int), np.asarray(mask).astype(bool)
    preds = (sigmoid(logits) > threshold).astype(int)
    tp, fp, fn = (counts[0] for counts in label_counts(preds, labels, mask))
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    support = (tp + fn).astype(int)
    annotated = [j for j in range(len(LABELS)) if mask[:, j].any()]
    per_label = {
        LABELS[j]: {"f1": float(f1[j]), "precision": float(precision[j]), "recall": float(recall[j]),
                    "support": int(support[j])}
        for j in annotated
    }  # fmt: skip
    supported = [j for j in annotated if support[j] > 0]
    out = {
        "num_samples": int(len(labels)),
        "loss": float(masked_bce(logits, labels, mask).mean()) if len(labels) else float("nan"),
        "weighted_f1": float(weighted_f1(preds, labels, mask)[0]),
        "macro_f1": float(f1[supported].mean()) if supported else 0.0,
        "per_label": per_label,
    }
    if len(labels) and ((labels * mask).sum(-1) == 1).all():  # single-label
        from sklearn.metrics import accuracy_score, balanced_accuracy_score

        truth = np.argmax(labels * mask, -1)
        guess = np.argmax(np.where(mask, logits, -np.inf), -1)
        with warnings.catch_warnings():  # a class predicted but absent from this test set is fine
            warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
            warnings.filterwarnings("ignore", message="A single label was found")
            out["unweighted_accuracy"] = float(balanced_accuracy_score(truth, guess))
        out["accuracy"] = float(accuracy_score(truth, guess))
    return out


def score_groups(
    logits: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    corpora: list[str] | np.ndarray,
    groups: list[str] | np.ndarray,
    threshold: float = THRESHOLD,
) -> dict:
    """``{"weighted_f1", "macro_f1", "loss", "num_samples", "groups": {group: {..., "corpora": {corpus: scores}}}}``.

    Top-level ``weighted_f1``/``macro_f1`` are means over every (group, corpus) test set."""
    corpora, groups = np.asarray(corpora), np.asarray(groups)
    out_groups, all_f1, all_macro = {}, [], []
    for group in dict.fromkeys(groups.tolist()):
        in_group = groups == group
        per_corpus = {}
        for corpus in dict.fromkeys(corpora[in_group].tolist()):
            rows = in_group & (corpora == corpus)
            per_corpus[corpus] = scores(logits[rows], labels[rows], mask[rows], threshold)
        f1 = [s["weighted_f1"] for s in per_corpus.values()]
        macro = [s["macro_f1"] for s in per_corpus.values()]
        all_f1 += f1
        all_macro += macro
        pooled = scores(logits[in_group], labels[in_group], mask[in_group], threshold)
        out_groups[group] = {
            "num_samples": int(in_group.sum()),
            "weighted_f1": float(np.mean(f1)),
            "macro_f1": float(np.mean(macro)),
            "loss": pooled["loss"],
            "pooled": {k: pooled[k] for k in ("weighted_f1", "macro_f1", "per_label")},
            "corpora": per_corpus,
        }
    return {
        "num_samples": int(len(labels)),
        "loss": float(masked_bce(logits, labels, mask).mean()) if len(labels) else float("nan"),
        "weighted_f1": float(np.mean(all_f1)) if all_f1 else 0.0,
        "macro_f1": float(np.mean(all_macro)) if all_macro else 0.0,
        "groups": out_groups,
    }


def flat(result: dict) -> dict[str, float]:
    """The scalars Trainer logs (``weighted_f1``, ``macro_f1``, ``weighted_f1_<group>``, …)."""
    out = {"weighted_f1": result["weighted_f1"], "macro_f1": result["macro_f1"]}
    for group, g in result["groups"].items():
        out[f"weighted_f1_{group}"] = g["weighted_f1"]
        for corpus, c in g["corpora"].items():
            out[f"weighted_f1_{group}_{corpus}"] = c["weighted_f1"]
    return out


class GroupMetrics:
    """``compute_metrics`` for Trainer: maps each prediction back to its dataset row through the
    ``row`` label (any sampler order, any number of processes) and scores per group and corpus."""

    def __init__(self, dataset, threshold: float = THRESHOLD):
        from .data import column

        self.corpora = column(dataset, "corpus")
        self.groups = column(dataset, "group")
        self.threshold = threshold
        self.last: dict | None = None

    def __call__(self, eval_pred) -> dict[str, float]:
        logits = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
        labels, mask, rows = eval_pred.label_ids
        order = np.argsort(rows, kind="stable")  # dataset order: groups and corpora listed as the dataset has them
        logits, labels, mask, rows = logits[order], labels[order], mask[order], rows[order].astype(int)
        self.last = score_groups(logits, labels, mask, self.corpora[rows], self.groups[rows], self.threshold)
        return flat(self.last)
