"""Length-grouped sampling from the ``duration_s`` column: no audio is decoded to learn lengths.

Training batches follow ``transformers``' length grouping (random mega-batches, each sorted by
length, longest batch first) over the durations as a plain list — handing it the ``datasets``
column object costs seconds per epoch of per-item Arrow access.  The order of an epoch is a
function of ``(seed, epoch)`` alone (:func:`epoch_seed`), never of a generator carried from epoch
to epoch, so a run resumed from a checkpoint sees exactly the batches of an uninterrupted one and
every process of a distributed run agrees without synchronising anything.  With a budget of padded
audio-seconds per batch (:class:`DurationBatchSampler`, ``--max_batch_duration_s``) the batches are
fixed once from the lengths and only their order changes per ``(seed, epoch)``.  Evaluation batches go
longest first, so whole clips pad little and an out-of-memory shows up at once.
"""

from __future__ import annotations

import numpy as np
import torch

from .data import column as read_column

DURATION_COLUMN = "duration_s"


def durations(dataset, column: str = DURATION_COLUMN) -> list[float]:
    """Each row's duration in seconds, read from the column (one Arrow read)."""
    if column not in dataset.column_names:
        raise KeyError(f"the dataset has no {column!r} column to group by length; columns: {dataset.column_names}")
    return np.asarray(read_column(dataset, column), dtype=np.float64).tolist()


def epoch_seed(seed: int, epoch: int, *keys: int) -> int:
    """A 64-bit seed for ``(seed, epoch, *keys)``: independent streams, no ``seed + epoch`` collisions."""
    return int(np.random.SeedSequence([seed % 2**64, epoch, *keys]).generate_state(1, np.uint64)[0])


class EpochLengthGroupedSampler(torch.utils.data.Sampler):
    """Length-grouped indices whose order depends only on ``seed`` and the epoch set by ``set_epoch``."""

    def __init__(self, lengths: list[float], batch_size: int, seed: int):
        self.lengths = lengths
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        from transformers.trainer_pt_utils import get_length_grouped_indices

        generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
        return iter(get_length_grouped_indices(self.lengths, self.batch_size, generator=generator))


def length_grouped(dataset, batch_size: int, *, seed: int, column: str = DURATION_COLUMN) -> EpochLengthGroupedSampler:
    return EpochLengthGroupedSampler(durations(dataset, column), batch_size, seed)


def longest_first(dataset, *, column: str = DURATION_COLUMN) -> list[int]:
    """Row indices by decreasing duration (stable), for evaluation."""
    return np.argsort(-np.asarray(durations(dataset, column)), kind="stable").tolist()


def duration_batches(
    lengths: list[float], max_batch_duration_s: float, *, seed: int, max_duration_s: float | None = None
) -> list[list[int]]:
    """Row indices in batches of at most ``max_batch_duration_s`` *padded* audio-seconds (clips ×
    the batch's longest clip, after cropping to ``max_duration_s``): sorted by length, so short
    clips come many to a batch and long ones few, and padding stays small.  Ties are broken in an
    order drawn from ``seed``.  A clip longer than the budget is a batch on its own."""
    if not max_batch_duration_s > 0:
        raise ValueError(f"max_batch_duration_s must be > 0, not {max_batch_duration_s}")
    effective = np.asarray(lengths, dtype=np.float64)
    if max_duration_s is not None:
        effective = np.minimum(effective, max_duration_s)
    shuffled = np.random.default_rng(epoch_seed(seed, 0, 1)).permutation(len(effective))
    order = shuffled[np.argsort(-effective[shuffled], kind="stable")]  # longest first
    batches: list[list[int]] = []
    for i in order.tolist():
        if batches and (len(batches[-1]) + 1) * effective[batches[-1][0]] <= max_batch_duration_s:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


class DurationBatchSampler:
    """A batch sampler over :func:`duration_batches`: the same batches every epoch, in an order that
    depends only on ``seed`` and the epoch (``set_epoch``), the most padded audio first (an
    out-of-memory shows at once).  Its length is the same every epoch, as ``Trainer`` needs."""

    def __init__(self, lengths: list[float], max_batch_duration_s: float, *, seed: int, max_duration_s=None):
        self.batches = duration_batches(lengths, max_batch_duration_s, seed=seed, max_duration_s=max_duration_s)
        longest = np.minimum(np.asarray(lengths), max_duration_s or np.inf)
        self.cost_s = [len(b) * float(longest[b[0]]) for b in self.batches]
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        order = np.random.default_rng(epoch_seed(self.seed, self.epoch, 2)).permutation(len(self.batches)).tolist()
        first = int(np.argmax(self.cost_s))
        order.remove(first)
        return iter([list(self.batches[i]) for i in [first, *order]])
