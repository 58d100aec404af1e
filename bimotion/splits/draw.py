"""The drawing every split rule shares: a seeded generator per corpus, group and stratum (:class:`Context`),
records grouped by their fields, and the counts of a draw: rows per split within strata (:func:`sized_split`),
units apportioned by largest remainders (:func:`apportion`) with each split given one where there are enough
(:func:`ensure_each_split`)."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..registry import SPLITS


@dataclass
class Context:
    """What the rules of one corpus share as they draw: the ``seed``, the paper protocol's split of its
    records (``paper``, which the speaker protocol draws toward), the sets of ids whose audio is identical
    and the notes the draw leaves (:class:`~loaders.errors.SplitNote`)."""

    seed: int
    paper: dict[str, str] = field(default_factory=dict)
    identical: list[tuple[str, ...]] = field(default_factory=list)  # sets of ids whose audio is identical
    notes: list[str] = field(default_factory=list)  # what the small-group rule did (SplitNote)

    def rng(self, *key) -> np.random.Generator:
        """A generator seeded from a stable hash of (seed, ``key``): the same draw on every machine."""
        digest = hashlib.sha256("\x1f".join(map(str, (self.seed, *key))).encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def field_value(record, name: str):
    """A record's field as the draw compares it: a tuple (its emotions) joined by ``+``, else its text."""
    value = getattr(record, name)
    return "+".join(value) if isinstance(value, tuple) else str(value)


def grouped_by(records, fields) -> dict:
    """Records grouped by one field (key: its value) or several (key: tuple), keys sorted."""
    out = defaultdict(list)
    for r in records:
        out[field_value(r, fields) if isinstance(fields, str) else tuple(field_value(r, f) for f in fields)].append(r)
    return dict(sorted(out.items()))


def round_half_up(x: float) -> int:
    """Half-up rounding, robust to float noise (0.15 * 420 = 62.99999…)."""
    return math.floor(x + 0.5 + 1e-9)


def apportion(total: int, weights, caps=None) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` by largest remainders (ties to
    the first), none above its cap."""
    weights = np.asarray(weights, dtype=float)
    caps = np.full(len(weights), total) if caps is None else np.asarray(caps, dtype=int)
    if total > caps.sum():
        raise ValueError(f"cannot place {total} items in capacities {caps.tolist()}")
    if weights.sum() == 0:
        weights = np.ones(len(weights))
    quota = total * weights / weights.sum()
    counts = np.minimum(np.floor(quota + 1e-9).astype(int), caps)
    while counts.sum() < total:
        open_ = np.flatnonzero(counts < caps)
        counts[max(open_, key=lambda i: (quota[i] - counts[i], -i))] += 1
    return counts.tolist()


def sized_split(rows, validation: int, test: int, stratify, ctx: Context, key: tuple) -> dict[str, str]:
    """Exactly ``validation`` and ``test`` rows (at least one each, as far as there are rows),
    allocated to the strata in proportion to their sizes, drawn at random within each."""
    n = len(rows)
    # train, then test, then validation get at least one row, as far as there are rows
    test = min(max(test, 1), n - 1) if n >= 2 else 0
    validation = min(max(validation, 1), n - 1 - test) if n >= 3 else 0
    strata = grouped_by(rows, stratify)
    sizes = [len(s) for s in strata.values()]
    n_test = apportion(test, sizes, sizes)
    n_val = apportion(validation, sizes, [s - t for s, t in zip(sizes, n_test, strict=True)])
    out = {}
    for (stratum, members), v, t in zip(strata.items(), n_val, n_test, strict=True):
        order = ctx.rng(*key, stratum).permutation(len(members))
        for position, index in enumerate(order):
            out[members[index].id] = "validation" if position < v else "test" if position < v + t else "train"
    return out


MIXED = "mixed"  # the stratum of a unit whose records differ in a balanced field (a woman and a man sharing copies)


def unit_stratum(records, balance) -> tuple:
    """The stratum of a unit's ``records``: its value of each of ``balance``, :data:`MIXED` where they differ."""
    values = tuple({field_value(r, f) for r in records} for f in balance)
    return tuple(next(iter(v)) if len(v) == 1 else MIXED for v in values)


def ensure_each_split(counts: dict[tuple, list[int]], n_units: int) -> None:
    """Move units so that train, then test, then validation is non-empty, as far as there are
    units (each taken from the fullest split)."""
    for split in (SPLITS.index("train"), SPLITS.index("test"), SPLITS.index("validation"))[:n_units]:
        if sum(c[split] for c in counts.values()) == 0:
            donor = max(range(len(SPLITS)), key=lambda s: (sum(c[s] for c in counts.values()), -s))
            stratum = max(counts, key=lambda k: counts[k][donor])
            counts[stratum][donor] -= 1
            counts[stratum][split] += 1
