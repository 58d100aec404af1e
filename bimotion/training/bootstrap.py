"""Weighted F1 with a bootstrap over test speakers: each (group, corpus) part of a test set scored
on its own, combined by ``group_score`` (their mean, size-weighted mean, or all clips pooled), and
the same numbers over resamples of each part (:func:`score_test`, which the grid's tables and
``advise`` use); :func:`group_intervals`, the interval of each group of one run's scores (the end
table of ``train.py`` and ``probe.py``).  All on the one kernel of :mod:`.f1`.

A resample draws a part's speakers with replacement, then each drawn speaker's clips with
replacement (a two-stage bootstrap, :func:`resample_weights`): clips of one speaker are not
independent, and resampling clips alone gave "100.0 (100.0-100.0)" for a test set of two speakers;
resampling whole speakers alone, with the handful of speakers a test split holds, hides the
variation within them (two similar speakers of 40 clips each gave an interval of 3 points where
their clips vary by 17).  A clip without a speaker id (CSED, ElderReact) is a unit of its own, and
so is each clip of a speaker with under :data:`MIN_SPEAKER_CLIPS` test clips (drawn as a unit, one
clip would make a quarter of a two-speaker part's resamples); a part without speaker ids, or of a
single speaker, is resampled clip by clip."""

from __future__ import annotations

from collections import Counter

import numpy as np

from .f1 import GROUP_SCORES, METRICS, argmax_reading, f1_from_counts, label_counts

INTERVAL_SAMPLES = 1000  # bootstrap resamples behind a run's test intervals
CONFIDENCE = 0.95
MIN_SPEAKER_CLIPS = 5  # a speaker with fewer test clips is resampled clip by clip
RESAMPLED = "test speakers within each corpus (clips where a corpus names none)"  # for captions and reports
CLIPS = "test clips, within each corpus"  # ... where no part names two speakers (or older predictions)


def _clusters(pred: dict, rows: np.ndarray) -> np.ndarray:
    """Which resampling unit each of ``rows`` belongs to (``0..k-1``): its speaker; the clip itself
    where it has no speaker id or its speaker fewer than :data:`MIN_SPEAKER_CLIPS` clips here, where
    the predictions carry none (saved by an older version), or where the part holds a single speaker."""
    speakers = pred.get("speaker")
    if speakers is None:
        return np.arange(len(rows))
    named = np.asarray(speakers)[rows].tolist()
    sizes = Counter(named)
    index: dict = {}  # units numbered in order of appearance
    cluster = np.array(
        [index.setdefault(s if s and sizes[s] >= MIN_SPEAKER_CLIPS else (i,), len(index)) for i, s in enumerate(named)],
        dtype=np.int64,
    )
    return cluster if len(speaker_units(cluster)) > 1 else np.arange(len(rows))


def speaker_units(cluster: np.ndarray) -> np.ndarray:
    """The units of ``cluster`` (:func:`_clusters`) that are speakers drawn whole: those of more than
    one clip (every other unit is a clip of its own).  What :func:`resample_weights` draws in two
    stages, and what :func:`drew_speakers` reports."""
    return np.flatnonzero(np.bincount(cluster) > 1)


def drew_speakers(speakers: np.ndarray | None, keys: np.ndarray) -> bool:
    """Whether some part (rows of one ``keys`` value, e.g. group/corpus) was resampled by speaker:
    whether its units (:func:`_clusters`) hold a speaker (:func:`speaker_units`)."""
    if speakers is None:
        return False
    keys = np.asarray(keys)
    return any(
        len(speaker_units(_clusters({"speaker": speakers}, rows)))
        for rows in (np.flatnonzero(keys == key) for key in set(keys.tolist()))
    )


def resample_weights(cluster: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each clip counts in each of ``samples`` resamples, shape ``(samples, clips)``, from
    the units of ``cluster`` (:func:`_clusters`): the clips that are units of their own drawn as a
    plain bootstrap (as many as there are), and the ``k`` speakers drawn ``k`` times with replacement,
    each drawn speaker's ``n`` clips then ``n`` times per time it was drawn (two stages).  Without
    speakers this is the clip bootstrap, draw for draw."""
    sizes = np.bincount(cluster)
    weights = np.zeros((samples, len(cluster)), dtype=np.int64)
    single = np.flatnonzero(sizes[cluster] == 1)
    if len(single):
        weights[:, single] = rng.multinomial(len(single), np.full(len(single), 1 / len(single)), size=samples)
    units = speaker_units(cluster)
    if len(units):
        drawn = rng.multinomial(len(units), np.full(len(units), 1 / len(units)), size=samples)
        for j, unit in enumerate(units):
            members = np.flatnonzero(cluster == unit)
            weights[:, members] = rng.multinomial(drawn[:, j] * len(members), np.full(len(members), 1 / len(members)))
    return weights


def strata(pred: dict) -> list[np.ndarray]:
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
    metric: str = "weighted_f1",
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted F1 (%) of one test set for each seed's predictions, and the bootstrap distribution
    of their mean.  Each (group, corpus) part is scored on its own and combined by ``group_score``
    (:data:`~bimotion.training.metrics.GROUP_SCORES`); the bootstrap resamples the speakers of each
    part and their clips (``predictions[0]["speaker"]``; see the module's docstring).  ``trained``:
    per seed, the labels its model trained on (boolean over the label space, ``None``: all); the
    others are predicted absent.  ``metric``: the paper's text's reading of the
    logits or its released code's (:data:`~.f1.METRICS`)."""
    if group_score not in GROUP_SCORES:
        raise ValueError(f"group_score must be one of {GROUP_SCORES}, not {group_score!r}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, not {metric!r}")
    ref = predictions[0]
    for other in predictions[1:]:
        if not np.array_equal(other["id"], ref["id"]):
            raise ValueError("the seeds were scored on different test clips")
    trained = trained or [None] * len(predictions)
    rng = np.random.default_rng(seed)
    per_part, sizes = [], []
    for rows in strata(ref):
        weights = np.ones((1, len(rows)))
        if samples:
            weights = np.vstack([weights, resample_weights(_clusters(ref, rows), samples, rng)])
        counts = []
        for pred, known in zip(predictions, trained, strict=True):
            labels, mask = pred["labels"][rows], pred["label_mask"][rows]
            if metric == "weighted_f1_argmax":
                preds, labels = argmax_reading(pred["logits"][rows], labels, mask, known)
            else:
                preds = (pred["logits"][rows] > 0).astype(np.int8)  # sigmoid > 0.5
                if known is not None:
                    preds = preds * known.astype(np.int8)
            counts.append(label_counts(preds, labels, mask, weights))
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
    speakers: np.ndarray | None = None,
    trained: np.ndarray | None = None,
    group_score: str = "mean",
    samples: int = INTERVAL_SAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> dict[str, list[float]]:
    """``{group: [low, high]}``: the ``confidence`` bootstrap interval of each group's weighted F1
    (a fraction, as :func:`~.metrics.score_groups` gives it), ``speakers`` (``None``: clips)
    resampled within each corpus: how far another test set of as many speakers could move it."""
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
        if speakers is not None:
            pred["speaker"] = np.asarray(speakers)[rows]
        _, boot = score_test([pred], samples=samples, confidence=confidence, seed=seed, group_score=group_score,
                             trained=[trained])  # fmt: skip
        low, high = np.quantile(boot, [alpha, 1 - alpha])
        out[group] = [float(low) / 100, float(high) / 100]
    return out
