"""Length-grouped sampling from the ``duration_s`` column: no audio is decoded to learn lengths.

Training batches come from ``transformers``' ``LengthGroupedSampler`` (random mega-batches, each
sorted by length, longest batch first) fed with the durations as a plain list — handing it the
``datasets`` column object costs seconds per epoch of per-item Arrow access.  Evaluation batches
go longest first, so whole clips pad little and an out-of-memory shows up at once.
"""

from __future__ import annotations

import numpy as np

from .data import column as read_column

DURATION_COLUMN = "duration_s"


def durations(dataset, column: str = DURATION_COLUMN) -> list[float]:
    """Each row's duration in seconds, read from the column (one Arrow read)."""
    if column not in dataset.column_names:
        raise KeyError(f"the dataset has no {column!r} column to group by length; columns: {dataset.column_names}")
    return np.asarray(read_column(dataset, column), dtype=np.float64).tolist()


def length_grouped(dataset, batch_size: int, *, column: str = DURATION_COLUMN, generator=None):
    from transformers.trainer_pt_utils import LengthGroupedSampler

    return LengthGroupedSampler(batch_size, lengths=durations(dataset, column), generator=generator)


def longest_first(dataset, *, column: str = DURATION_COLUMN) -> list[int]:
    """Row indices by decreasing duration (stable), for evaluation."""
    return np.argsort(-np.asarray(durations(dataset, column)), kind="stable").tolist()
