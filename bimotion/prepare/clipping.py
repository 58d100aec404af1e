"""Hard clipping as ``prepare.json`` (and ``scan --levels``) records it: per corpus, the clips whose source
has a run of :data:`~loaders.levels.CLIP_RUN_SAMPLES` or more samples at full scale, per label, and whether that
is :func:`uneven` across labels, a shortcut a model can learn in place of the emotion."""

from __future__ import annotations

import collections
import math

from loaders.levels import CLIP_RUN_SAMPLES

from .info import MAX_LISTED_CLIPS, ShardKey, ShardStats


def shard_clipping(stats: dict[ShardKey, ShardStats]) -> dict:
    """:func:`clipped_info` of the shards' hard-clipped rows (:attr:`ShardStats.clipped`) among all they hold."""
    clipped: dict[str, dict] = {}
    totals: dict[str, tuple[int, collections.Counter]] = {}
    for (corpus, _, _), shard in stats.items():
        clipped.setdefault(corpus, {}).update(shard.clipped)
        rows, labels = totals.get(corpus, (0, collections.Counter()))
        totals[corpus] = (rows + shard.rows, labels + shard.emotions)
    return clipped_info(clipped, totals)


def clipped_info(clipped: dict[str, dict[str, tuple]], totals: dict[str, tuple[int, dict]]) -> dict:
    """``prepare.json``'s ``clipped`` (and ``scan --levels``'s): per corpus of ``clipped`` (``{corpus: {id:
    (fraction of its source's samples in runs at full scale, its labels)}}``, :func:`loaders.levels.clipped_fraction`),
    how many of its clips (``totals``: ``{corpus: (clips, {label: clips})}``, all it stores) are hard-clipped,
    per label, the largest fraction (unrounded: its readers word it by :func:`loaders.levels.clipped_percent`),
    whether clipping is :func:`uneven` across labels (a shortcut a model can learn in place of the emotion),
    and the first ids in id order."""
    out = {}
    for corpus, found in clipped.items():
        if not found:
            continue
        per_label = collections.Counter(label for _, labels in found.values() for label in labels)
        clips, of = totals[corpus]
        by_label = {label: {"clips": per_label[label], "of": n} for label, n in sorted(of.items())}
        out[corpus] = {
            "clips": len(found),
            "of": clips,
            "run_samples": CLIP_RUN_SAMPLES,
            "most_clipped_fraction": max(f for f, _ in found.values()),  # unrounded: 3 samples in 5 s are not 0
            "by_label": by_label,
            "uneven": uneven([(k["clips"], k["of"]) for k in by_label.values()]),
            "listed": sorted(found)[:MAX_LISTED_CLIPS],
        }
    return out


UNEVEN_RATIO = 1.5  # the most clipped label's rate at least this many times the least's...
UNEVEN_Z = 2.3263  # ...and a chi-square test of clipping against label at p < 0.01 (the normal's 99% quantile)


def uneven(counts: list[tuple[int, int]]) -> bool:
    """Whether hard clipping is uneven across labels (``counts``: ``(clipped, clips)`` per label): the
    highest rate at least :data:`UNEVEN_RATIO` times the lowest, and beyond chance (Pearson's chi-square
    of the labels x clipped table above its 99% quantile, by the Wilson-Hilferty approximation)."""
    counts = [(k, n) for k, n in counts if n]
    clipped, total = sum(k for k, _ in counts), sum(n for _, n in counts)
    if len(counts) < 2 or clipped in (0, total):
        return False
    rates = [k / n for k, n in counts]
    if max(rates) < UNEVEN_RATIO * min(rates):
        return False
    p = clipped / total
    chi2 = sum((k - n * p) ** 2 / (n * p) + ((n - k) - n * (1 - p)) ** 2 / (n * (1 - p)) for k, n in counts)
    df = len(counts) - 1
    quantile = df * (1 - 2 / (9 * df) + UNEVEN_Z * math.sqrt(2 / (9 * df))) ** 3
    return chi2 > quantile
