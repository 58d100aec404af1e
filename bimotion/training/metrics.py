"""The paper's metrics, per corpus and per group: one weighted-F1 kernel (:func:`weighted_f1`, which
the grid's bootstrap runs over all its resamples at once), scikit-learn for the accuracies.

* **weighted F1** (the paper's metric, as its text defines it): sigmoid > 0.5 per label, binary F1
  per *annotated* label, averaged weighted by each label's support (its positives).  Labels outside
  a corpus's label space are never scored; labels with no positives weigh nothing.
* **weighted F1, arg-max** (``weighted_f1_argmax``, as the authors' released code computes it, see
  :mod:`.f1`): the single-label weighted F1 of the arg-max over the annotated labels, with its own
  chance level (``chance["weighted_f1_argmax"]``, :func:`.f1.argmax_chance`: a blind guesser that,
  as the arg-max, picks each clip's label among the labels that clip annotates, so a pooled group
  of corpora with different label spaces is not judged against guesses its model cannot make).
* **per-label** precision, recall, F1 and support; **macro F1** over the annotated labels that occur.
* **unweighted accuracy** (UA, balanced accuracy: mean per-class recall of the arg-max over the
  annotated labels) and plain accuracy, for single-label corpora (every clip has exactly one label).
* the masked BCE **loss**.
* **confusion counts** per corpus (:func:`confusion`, ``scores()["confusion"]``): a K×K matrix over a
  single-label corpus's labels, per-label TP/FP/FN/TN for a multi-label one; drawn by
  :mod:`bimotion.training.confusion_plot`.

**Chance levels** (:func:`chance_levels`, beside every score): the weighted F1 of (i) an
all-positive predictor and (ii) a prior-matched random predictor, which says "present" for each label
independently with the label's test prevalence ``p``.  (ii) is computed exactly from its expected
confusion counts (F1 = 2p²/(2p² + 2p(1-p)) = p per label; the expected F1 of a finite sample tends to
it), no simulation.  ``chance`` is the larger of the two; it is always (i), as 2p/(1+p) >= p, and both
are reported.  Likewise for macro F1, and for UA on single-label sets (:func:`.f1.ua_chance`: 1/(classes
present) for one label space; pooled corpora of different ones, each clip guessed among its own labels).

**Untrained labels**: a model whose ``config.trained_labels`` (:func:`read_trained_labels`; absent:
all labels) lacks a label the test set annotates is scored with that label predicted absent (its
predictions forced to 0 before the kernel; the loss still reads the raw logits).  Each score lists
the test set's ``annotated_labels`` and the ``untrained_labels`` among them.

**Group aggregation** (``group_score``, :data:`GROUP_SCORES`): a group's number from its corpora is
``mean`` (default, as the grid's tables: every test corpus scored on its own, then averaged),
``weighted`` (mean weighted by each corpus's clips) or ``pooled`` (all of the group's clips scored
together, each label over the clips that annotate it).  Every group reports all three in
``weighted_f1_by``.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np

from loaders.labels import LABELS

from .f1 import (
    GROUP_SCORES,
    THRESHOLD,
    arg_max,
    argmax_chance,
    argmax_reading,
    label_counts,
    present,
    ratio,
    ua_chance,
    weighted_f1,
)
from .outputs import MODEL_CONFIG, PROBE_CONFIG, model_kind

DAGGER = "†"  # marks a score at or below its test set's chance level, in every table, report and figure
CHANCE = "the better of an all-positive and a prior-matched random predictor"  # what every chance level is
# marks a score of a model that never trained on some labels its test set annotates, in the demo's tables
# and the heat map; UNTRAINED says what the mark means
UNTRAINED_MARK = "*"
UNTRAINED = (
    "the model never trained on some labels this test set annotates (its training data lacks them; "
    "scored as predicted absent)"
)
CHANCE_OF = {  # ... by metric (:data:`~.f1.METRICS`)
    "weighted_f1": CHANCE,
    "weighted_f1_argmax": "the better of always the most frequent label and guessing at the labels' frequencies, "
    "each clip among its own annotated labels",
}


def masked_bce(logits: np.ndarray, labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-sample masked BCE (numpy twin of :func:`bimotion.training.loss.per_sample_loss`)."""
    x, y = logits.astype(np.float64), labels.astype(np.float64)
    bce = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    return (bce * mask).sum(-1) / np.maximum(mask.sum(-1), 1)


def read_trained_labels(model_dir: str | os.PathLike, *, cache_dir: str | None = None) -> list[str] | None:
    """``trained_labels`` of a saved model's ``config.json``, or of a probe's ``probe.json``, in a
    local folder or a Hub model (its ``config.json``, from the Hub's cache where it was loaded
    from); ``None``: not recorded, i.e. all labels."""
    from bimotion.hub import download_kwargs, is_hub_id

    kind = model_kind(model_dir)
    if kind is not None:
        path = Path(model_dir).expanduser() / (PROBE_CONFIG if kind == "probe" else MODEL_CONFIG)
        return json.loads(path.read_text(encoding="utf-8")).get("trained_labels")
    if not Path(model_dir).exists() and is_hub_id(str(model_dir)):
        from huggingface_hub import hf_hub_download

        config = hf_hub_download(str(model_dir), "config.json", cache_dir=cache_dir, **download_kwargs(model_dir))
        return json.loads(Path(config).read_text(encoding="utf-8")).get("trained_labels")
    return None


def trained_mask(trained_labels: list[str] | None) -> np.ndarray:
    """``trained_labels`` as a boolean vector over :data:`LABELS` (``None``: every label)."""
    if trained_labels is None:
        return np.ones(len(LABELS), dtype=bool)
    unknown = sorted(set(trained_labels) - set(LABELS))
    if unknown:  # a model's config.json edited or damaged: a user's error, said in one line (infer's USER_ERRORS)
        from .model import NotAClassifier

        raise NotAClassifier(
            f"the model's config.json names trained_labels {unknown}, not BiMotion labels {list(LABELS)}: "
            "score a model fine-tuned with recipes/train.py or recipes/augment.py, as saved"
        )
    return np.isin(LABELS, list(trained_labels))


def chance_levels(labels: np.ndarray, mask: np.ndarray) -> dict:
    """Chance levels (fractions) of one set of clips: ``all_positive`` and ``prior_matched``
    weighted F1, ``chance`` (the larger), ``macro_f1`` (the larger of the two macro F1s) and, for
    single-label sets, ``unweighted_accuracy`` (:func:`.f1.ua_chance`: 1 / classes present for one
    label space)."""
    labels, mask = np.asarray(labels).astype(np.float64), np.asarray(mask).astype(np.float64)
    support, annotated = (labels * mask).sum(0), mask.sum(0)
    prevalence = ratio(support, annotated)
    all_positive = float(weighted_f1(np.ones_like(labels), labels, mask)[0])
    prior = float(ratio(np.array([(prevalence * support).sum()]), np.array([support.sum()]))[0])
    supported = support > 0
    macro = max(float((2 * prevalence / (1 + prevalence))[supported].mean()), float(prevalence[supported].mean())) \
        if supported.any() else 0.0  # fmt: skip
    out = {"all_positive": all_positive, "prior_matched": prior, "chance": max(all_positive, prior),
           "macro_f1": macro, "weighted_f1_argmax": argmax_chance(labels, mask) if len(labels) else 0.0}  # fmt: skip
    if len(labels) and ((labels * mask).sum(-1) == 1).all():
        out["unweighted_accuracy"] = ua_chance(labels, mask)
    return out


def aggregate(parts: list[dict], pooled: dict, mode: str, key: str = "weighted_f1") -> float:
    """A group's (or test set's) ``key`` from its corpora's ``parts`` (:func:`scores`-like dicts
    with ``num_samples``) and its ``pooled`` clips, by ``mode`` (:data:`GROUP_SCORES`)."""
    if mode == "pooled":
        return float(pooled[key])
    values = [p[key] for p in parts]
    if mode == "mean":
        return float(np.mean(values))
    if mode == "weighted":
        return float(np.average(values, weights=[p["num_samples"] for p in parts]))
    raise ValueError(f"group_score must be one of {GROUP_SCORES}, not {mode!r}")


def scores(
    logits: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    threshold: float = THRESHOLD,
    trained: np.ndarray | None = None,
) -> dict:
    """Every metric for one set of clips (one corpus, or a pooled group), with its chance levels;
    labels outside ``trained`` (:func:`trained_mask`) are predicted absent."""
    logits, labels, mask = np.asarray(logits), np.asarray(labels).astype(int), np.asarray(mask).astype(bool)
    trained = np.ones(len(LABELS), dtype=bool) if trained is None else trained
    preds = present(logits, threshold).astype(int) * trained
    tp, fp, fn = (counts[0] for counts in label_counts(preds, labels, mask))
    f1 = ratio(2 * tp, 2 * tp + fp + fn)
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
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
        "weighted_f1_argmax": float(weighted_f1(*argmax_reading(logits, labels, mask, trained), mask)[0]),
        "macro_f1": float(f1[supported].mean()) if supported else 0.0,
        "chance": chance_levels(labels, mask),
        "annotated_labels": [LABELS[j] for j in annotated],
        "untrained_labels": [LABELS[j] for j in annotated if not trained[j]],
        "per_label": per_label,
    }
    single = bool(len(labels)) and bool(((labels * mask).sum(-1) == 1).all())
    if single:
        out.update(_accuracies(logits, labels * mask, mask & trained))
    out["confusion"] = confusion(logits, labels, mask, preds, trained, annotated, single)
    return out


def confusion(
    logits: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    preds: np.ndarray,
    trained: np.ndarray,
    annotated: list[int],
    single_label: bool,
) -> dict:
    """The confusion counts of one set of clips over its ``annotated`` labels (indices).

    Single-label sets: ``{"kind": "single_label", "labels", "matrix", "no_prediction"}``, ``matrix[i][j]``
    the clips of true label ``labels[i]`` whose arg-max over the annotated and trained labels (as
    UA's) is ``labels[j]``; ``no_prediction[i]``: those of a model trained on none of them.  Other
    sets: ``{"kind": "multi_label", "labels", "counts": {label: {"tp", "fp", "fn", "tn"}}}`` of the 0/1
    ``preds`` (sigmoid > threshold) over the clips that annotate each label."""
    names = [LABELS[j] for j in annotated]
    if not single_label:
        tp, fp, fn = (c[0] for c in label_counts(preds, labels, mask))
        total = mask.sum(0)
        counts = {LABELS[j]: {"tp": int(tp[j]), "fp": int(fp[j]), "fn": int(fn[j]),
                              "tn": int(total[j] - tp[j] - fp[j] - fn[j])} for j in annotated}  # fmt: skip
        return {"kind": "multi_label", "labels": names, "counts": counts}
    truth, guess = np.argmax(labels * mask, -1), arg_max(logits, mask & trained)
    matrix = np.zeros((len(annotated), len(annotated)), dtype=int)
    missed = np.zeros(len(annotated), dtype=int)
    where = {j: k for k, j in enumerate(annotated)}
    for t, g in zip(truth.tolist(), guess.tolist(), strict=True):
        if g < 0:
            missed[where[t]] += 1
        else:
            matrix[where[t], where[g]] += 1
    return {"kind": "single_label", "labels": names, "matrix": matrix.tolist(), "no_prediction": missed.tolist()}


def _accuracies(logits: np.ndarray, truths: np.ndarray, allowed: np.ndarray) -> dict:
    """UA and accuracy of the arg-max over the ``allowed`` (annotated and trained) labels of each
    single-label clip; a clip with none allowed is a miss."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    truth, guess = np.argmax(truths, -1), arg_max(logits, allowed)
    with warnings.catch_warnings():  # a class predicted but absent from this test set is fine
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", message="A single label was found")
        return {"unweighted_accuracy": float(balanced_accuracy_score(truth, guess)),
                "accuracy": float(accuracy_score(truth, guess))}  # fmt: skip


def score_groups(
    logits: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray,
    corpora: list[str] | np.ndarray,
    groups: list[str] | np.ndarray,
    threshold: float = THRESHOLD,
    *,
    trained_labels: list[str] | None = None,
    group_score: str = "mean",
    intervals: int = 0,
    speakers: np.ndarray | None = None,
) -> dict:
    """``{"weighted_f1", "macro_f1", "chance", "loss", "num_samples", "group_score", "trained_labels",
    "groups": {group: {..., "corpora": {corpus: scores}}}}``.

    A group's ``weighted_f1``/``macro_f1``/``chance`` aggregate its corpora by ``group_score`` (:data:`GROUP_SCORES`;
    all three in ``weighted_f1_by``).  Top-level ``weighted_f1``/``macro_f1``/``chance`` are means over every
    (group, corpus) test set.  Labels outside ``trained_labels`` (``None``: all) are predicted absent.
    ``intervals``: that many bootstrap resamples of ``speakers`` (per row, ``""``: none; ``None``: resample clips)
    give each group a 95% ``weighted_f1_ci`` (:func:`~.bootstrap.group_intervals`) and, where its rows name
    speakers, a ``num_speakers`` and ``unnamed_clips`` (its clips naming none: :func:`speaker_counts`), and the
    result an ``intervals`` entry saying how many resamples of what drew them."""
    if group_score not in GROUP_SCORES:
        raise ValueError(f"group_score must be one of {GROUP_SCORES}, not {group_score!r}")
    corpora, groups, trained = np.asarray(corpora), np.asarray(groups), trained_mask(trained_labels)
    out_groups, every = {}, []
    for group in dict.fromkeys(groups.tolist()):
        in_group = groups == group
        per_corpus = {}
        for corpus in dict.fromkeys(corpora[in_group].tolist()):
            rows = in_group & (corpora == corpus)
            per_corpus[corpus] = scores(logits[rows], labels[rows], mask[rows], threshold, trained)
        every += per_corpus.values()
        pooled = scores(logits[in_group], labels[in_group], mask[in_group], threshold, trained)
        out_groups[group] = _group(list(per_corpus.values()), pooled, group_score) | {"corpora": per_corpus}
    if intervals and threshold != THRESHOLD:
        raise ValueError(f"intervals are drawn at the threshold {THRESHOLD} (logits > 0), not {threshold}")
    if intervals and len(labels):
        from .bootstrap import group_intervals

        ci = group_intervals(logits, labels, mask, corpora, groups, speakers=speakers, trained=trained,
                             group_score=group_score, samples=intervals)  # fmt: skip
        for group, interval in ci.items():
            out_groups[group]["weighted_f1_ci"] = interval
        for group, (count, unnamed) in speaker_counts(groups, corpora, speakers).items():  # the end table, the card
            out_groups[group] |= {"num_speakers": count, "unnamed_clips": unnamed} if count else {}
    keys = np.char.add(groups.astype(str), corpora.astype(str))  # the parts the intervals resample within
    drawn = _interval_record(intervals, speakers, keys) if intervals and len(labels) else {}
    return {
        "num_samples": int(len(labels)),
        "loss": float(masked_bce(logits, labels, mask).mean()) if len(labels) else float("nan"),
        "weighted_f1": float(np.mean([s["weighted_f1"] for s in every])) if every else 0.0,
        "macro_f1": float(np.mean([s["macro_f1"] for s in every])) if every else 0.0,
        "chance": float(np.mean([s["chance"]["chance"] for s in every])) if every else 0.0,
        "group_score": group_score,
        "trained_labels": None if trained_labels is None else list(trained_labels),
        "groups": out_groups,
        **drawn,
    }


def speaker_counts(groups: np.ndarray, corpora: np.ndarray, speakers: np.ndarray | None) -> dict[str, tuple[int, int]]:
    """Each group's distinct speakers (within each corpus) from ``speakers`` (per row, ``""``: none) and its
    clips whose rows name none (a corpus without speaker ids, CSED's, beside one with them), which that
    count leaves out; ``(0, its clips)`` where ``speakers`` is None."""
    named = np.full(len(groups), "") if speakers is None else np.asarray(speakers).astype(str)
    out = {}
    for group in dict.fromkeys(groups.tolist()):
        rows = (groups == group) & (named != "")
        speakers_of = set(zip(corpora[rows].tolist(), named[rows].tolist(), strict=True))
        out[group] = (len(speakers_of), int(((groups == group) & (named == "")).sum()))
    return out


def _interval_record(samples: int, speakers, keys: np.ndarray) -> dict:
    """How the groups' ``weighted_f1_ci`` were drawn, for whoever labels them (the model card):
    ``{"intervals": {"samples", "confidence", "resampled"}}``."""
    from .bootstrap import CLIPS, CONFIDENCE, RESAMPLED, drew_speakers

    resampled = RESAMPLED if drew_speakers(speakers, keys) else CLIPS
    return {"intervals": {"samples": int(samples), "confidence": CONFIDENCE, "resampled": resampled}}


def _group(parts: list[dict], pooled: dict, mode: str) -> dict:
    """One group's numbers from its corpora's scores and its pooled clips' (see :func:`aggregate`)."""
    chances = [dict(p["chance"], num_samples=p["num_samples"]) for p in parts]
    return {
        "num_samples": pooled["num_samples"],
        "weighted_f1": aggregate(parts, pooled, mode),
        "weighted_f1_by": {m: aggregate(parts, pooled, m) for m in GROUP_SCORES},
        "macro_f1": aggregate(parts, pooled, mode, "macro_f1"),
        "weighted_f1_argmax": aggregate(parts, pooled, mode, "weighted_f1_argmax"),
        "chance": {
            k: aggregate(chances, pooled["chance"], mode, k)
            for k in ("chance", "all_positive", "prior_matched", "weighted_f1_argmax", "macro_f1")
        },
        "loss": pooled["loss"],
        "annotated_labels": pooled["annotated_labels"],
        "untrained_labels": pooled["untrained_labels"],
        "pooled": {k: pooled[k] for k in ("weighted_f1", "weighted_f1_argmax", "macro_f1", "chance", "per_label")},
    }


def flat(result: dict) -> dict[str, float]:
    """The scalars Trainer logs (``weighted_f1``, ``macro_f1``, ``weighted_f1_<group>``, …)."""
    out = {"weighted_f1": result["weighted_f1"], "macro_f1": result["macro_f1"]}
    for group, g in result["groups"].items():
        out[f"weighted_f1_{group}"] = g["weighted_f1"]
        for corpus, c in g["corpora"].items():
            out[f"weighted_f1_{group}_{corpus}"] = c["weighted_f1"]
    return out


def metric_names(shards) -> list[str]:
    """The names :func:`flat` gives for data of these ``(benchmark, corpus, group)`` shards, as
    Trainer logs them (``eval_`` prefix), with the loss: what ``--metric_for_best_model`` can select."""
    names = ["loss", "weighted_f1", "macro_f1"]
    for shard in shards:
        names += [f"weighted_f1_{shard.group}", f"weighted_f1_{shard.group}_{shard.corpus}"]
    return [f"eval_{name}" for name in dict.fromkeys(names)]


class GroupMetrics:
    """``compute_metrics`` for Trainer: maps each prediction back to its dataset row through the
    ``row`` label (any sampler order, any number of processes) and scores per group and corpus."""

    def __init__(
        self, dataset, threshold: float = THRESHOLD, trained_labels: list[str] | None = None, intervals: int = 0
    ):
        from .data import column, speakers

        self.corpora = column(dataset, "corpus")
        self.groups = column(dataset, "group")
        self.speakers = speakers(dataset)  # what the intervals resample
        self.threshold = threshold
        self.trained_labels = trained_labels
        self.intervals = intervals  # bootstrap resamples for each group's interval (the test split's)
        self.last: dict | None = None

    def __call__(self, eval_pred) -> dict[str, float]:
        logits = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
        labels, mask, rows = eval_pred.label_ids
        order = np.argsort(rows, kind="stable")  # dataset order: groups and corpora listed as the dataset has them
        logits, labels, mask, rows = logits[order], labels[order], mask[order], rows[order].astype(int)
        self.last = score_groups(
            logits, labels, mask, self.corpora[rows], self.groups[rows], self.threshold,
            trained_labels=self.trained_labels, intervals=self.intervals, speakers=None if self.speakers is None else self.speakers[rows],
        )  # fmt: skip
        return flat(self.last)
