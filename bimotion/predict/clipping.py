"""Where in a file its hard clipping lies, so that each scored window says how much of it is clipped.

The one measure is :class:`loaders.levels.ClipMeter` (runs of ``CLIP_RUN_SAMPLES`` or more at full
scale, on the samples as read, as ``prepare`` measures a clip).  :class:`ClipTrack` feeds it a file's
blocks and keeps its count of clipped samples after each :data:`STEP_S` of the file
(:meth:`~loaders.levels.ClipMeter.add_counted`, one pass over each block), so the
clipped fraction of any stretch of the file (a window) is read from those counts, to a step: a run is
counted in the step where it reaches ``CLIP_RUN_SAMPLES`` samples and those after it.
"""

from __future__ import annotations

from array import array

import numpy as np

from loaders.levels import ClipMeter

STEP_S = 0.02  # the resolution of a window's clipped fraction: 20 ms of the file (a finer one keeps more counts: 8 bytes a step)


class ClipTrack:
    """A :class:`~loaders.levels.ClipMeter` of a file read in blocks (``add``, as the meter's), with the
    meter's count of clipped samples after every :data:`STEP_S` of the file's frames; ``fraction`` is the
    meter's (the whole file's), :meth:`between` a stretch's."""

    def __init__(self, subtype: str, sample_rate_hz: int):
        self.meter = ClipMeter(subtype)
        self.subtype = subtype
        self.sample_rate_hz = sample_rate_hz
        self.step = max(1, round(sample_rate_hz * STEP_S))
        self.frames = 0  # read so far
        self.channels = 1
        self.counts = array("q", [0])  # clipped samples (all channels) after each whole step
        self._cached: tuple | None = None  # (frames, step ends, counts) of :meth:`_steps`

    @property
    def fraction(self) -> float | None:
        return self.meter.fraction

    def add(self, block: np.ndarray) -> None:
        """Measure the next ``block`` (frames x channels, as read)."""
        if block.size == 0:  # a file's end: no frame of any width
            return
        block = block.reshape(len(block), -1)
        self.channels = block.shape[1]
        step_ends = np.arange(self.step - self.frames % self.step, len(block) + 1, self.step)  # frames of the block
        self.counts.extend(self.meter.add_counted(block, step_ends).tolist())
        self.frames += len(block)

    def _steps(self) -> tuple[np.ndarray, np.ndarray]:
        """``(frames, clipped samples)`` at every step's end and at the last frame read: built once
        the file is read, for all its windows."""
        if self._cached is None or self._cached[0] != self.frames:
            ends = np.arange(len(self.counts), dtype=np.float64) * self.step
            counts = np.asarray(self.counts, dtype=np.float64)
            if self.frames > ends[-1]:  # the last, part step
                ends, counts = np.append(ends, self.frames), np.append(counts, self.meter.clipped)
            self._cached = (self.frames, ends, counts)
        return self._cached[1], self._cached[2]

    def between(self, start_s: float, end_s: float) -> float | None:
        """The fraction of the file's samples from ``start_s`` to ``end_s`` (seconds) that lie in runs
        at full scale, to a step; None where the file is not measured (:attr:`fraction` None)."""
        if self.fraction is None:
            return None
        ends, counts = self._steps()
        first, last = (min(max(t * self.sample_rate_hz, 0.0), self.frames) for t in (start_s, end_s))
        if last <= first:
            return 0.0
        clipped = np.interp(last, ends, counts) - np.interp(first, ends, counts)
        return float(min(1.0, max(0.0, clipped / ((last - first) * self.channels))))
