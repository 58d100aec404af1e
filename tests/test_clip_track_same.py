"""`bimotion predict`'s per-window clipping (:class:`bimotion.predict.clipping.ClipTrack`) used to feed
its :class:`loaders.levels.ClipMeter` one 20 ms step at a time wherever a block reached full scale:
a recording clipped in every cycle cost its first decode 1.8x.  It now feeds each block once
(:meth:`ClipMeter.add_counted`).  The counts after every step, each window's fraction and the file's
must be those of the old code, here copied as the reference (``OldClipMeter``, ``OldClipTrack``), on
the same inputs: clean, clipped throughout, clipping that starts and ends mid-step and mid-block, runs
across block boundaries, short runs, mono and stereo, PCM read as int32 or float32, float and double."""

from __future__ import annotations

from array import array

import numpy as np
import pytest

from bimotion.predict.clipping import STEP_S, ClipTrack
from loaders.levels import CLIP_RUN_SAMPLES, ClipMeter, clipped_fraction, full_scale


class OldClipMeter:
    """loaders.levels.ClipMeter as it was (commit 99d2f24)."""

    def __init__(self, subtype: str):
        self.subtype = subtype
        self.samples = 0
        self.in_runs = 0
        self.open: np.ndarray | None = None

    def add(self, block: np.ndarray) -> None:
        self.samples += block.size
        limit = full_scale(self.subtype, block.dtype)
        if limit is None or block.size == 0:
            return
        block = block.reshape(len(block), -1)
        open_runs = np.zeros(block.shape[1], dtype=np.int64) if self.open is None else self.open
        if not open_runs.any() and block.max() < limit and block.min() > -limit:
            self.open = open_runs
            return
        at = (block >= limit) | (block <= -limit)
        for channel, column in enumerate(at.T):
            edges = np.diff(column.astype(np.int8), prepend=0, append=0)
            starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            lengths = ends - starts
            if len(starts) and starts[0] == 0:
                lengths[0] += open_runs[channel]
            elif open_runs[channel] >= CLIP_RUN_SAMPLES:
                self.in_runs += int(open_runs[channel])
            open_runs[channel] = 0
            if len(ends) and ends[-1] == len(column):
                open_runs[channel], lengths = lengths[-1], lengths[:-1]
            self.in_runs += int(lengths[lengths >= CLIP_RUN_SAMPLES].sum())
        self.open = open_runs

    @property
    def fraction(self) -> float | None:
        if full_scale(self.subtype) is None or self.samples == 0:
            return None
        still = 0 if self.open is None else int(self.open[self.open >= CLIP_RUN_SAMPLES].sum())
        return (self.in_runs + still) / self.samples


class OldClipTrack:
    """bimotion.predict.clipping.ClipTrack as it was (commit 99d2f24): the meter fed step by step."""

    def __init__(self, subtype: str, sample_rate_hz: int):
        self.meter = OldClipMeter(subtype)
        self.subtype = subtype
        self.sample_rate_hz = sample_rate_hz
        self.step = max(1, round(sample_rate_hz * STEP_S))
        self.frames = 0
        self.channels = 1
        self.counts = array("q", [0])

    @property
    def fraction(self) -> float | None:
        return self.meter.fraction

    def _clipped(self) -> int:
        fraction = self.meter.fraction
        return 0 if fraction is None else round(fraction * self.meter.samples)

    def add(self, block: np.ndarray) -> None:
        if block.size == 0:
            return
        block = block.reshape(len(block), -1)
        self.channels = block.shape[1]
        limit = full_scale(self.subtype, block.dtype)
        quiet = limit is None or (
            (self.meter.open is None or not self.meter.open.any()) and block.max() < limit and block.min() > -limit
        )
        if quiet:
            self.meter.add(block)
            done = (self.frames + len(block)) // self.step - self.frames // self.step
            self.counts.extend([self._clipped()] * done)
            self.frames += len(block)
            return
        at = 0
        while at < len(block):
            take = min(self.step - self.frames % self.step, len(block) - at)
            self.meter.add(block[at : at + take])
            at, self.frames = at + take, self.frames + take
            if self.frames % self.step == 0:
                self.counts.append(self._clipped())

    def between(self, start_s: float, end_s: float) -> float | None:
        if self.fraction is None:
            return None
        ends = np.arange(len(self.counts), dtype=np.float64) * self.step
        counts = np.asarray(self.counts, dtype=np.float64)
        if self.frames > ends[-1]:
            ends, counts = np.append(ends, self.frames), np.append(counts, self._clipped())
        first, last = (min(max(t * self.sample_rate_hz, 0.0), self.frames) for t in (start_s, end_s))
        if last <= first:
            return 0.0
        clipped = np.interp(last, ends, counts) - np.interp(first, ends, counts)
        return float(min(1.0, max(0.0, clipped / ((last - first) * self.channels))))


# subtype, dtype as read: PCM read as int32 (predict's measuring read) and as float32, float, double
READS = [("PCM_16", "int32"), ("PCM_24", "int32"), ("PCM_16", "float32"), ("FLOAT", "float32"), ("DOUBLE", "float64")]


def _scaled(levels: np.ndarray, subtype: str, dtype: str) -> np.ndarray:
    """``levels`` in [-1, 1] (1: full scale) as a source of ``subtype`` read in ``dtype``."""
    limit = full_scale(subtype, dtype)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return np.round(levels * limit).astype(dtype)
    return np.where(np.abs(levels) >= 1, np.sign(levels) * limit, levels * limit * 0.999).astype(dtype)


def _levels(kind: str, frames: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """Frames x channels of levels (1: full scale), clipped as ``kind`` says."""
    levels = rng.uniform(-0.9, 0.9, (frames, channels))
    if kind == "throughout":
        levels = np.sign(levels) + (levels == 0)  # every sample at full scale, either sign
    elif kind == "mid":  # one loud stretch, from part-way into a step and a block to part-way into another
        levels[frames // 3 + 7 : 2 * frames // 3 - 5] *= 6
    elif kind == "runs":  # runs of 1 to 6 samples at full scale (short ones never count), anywhere
        for channel in range(channels):
            at = 0
            while at < frames:
                at += int(rng.integers(0, 12))
                levels[at : at + int(rng.integers(1, 7)), channel] = rng.choice([-1.0, 1.0])
                at += 6
    return np.clip(levels, -1, 1)


def _pieces(frames: int, how, rng: np.random.Generator) -> list[int]:
    """Where the blocks a file is read in end: ``how`` frames each, or at random (some empty)."""
    if how == "random":
        sizes = rng.integers(0, 700, frames // 100 + 2)
        return [int(end) for end in np.cumsum(sizes) if end < frames] + [frames]
    return [*range(how, frames, how), frames]


def _fed(track, samples: np.ndarray, ends: list[int]):
    start = 0
    for end in ends:
        track.add(samples[start:end])
        start = end
    return track


def _spans(duration_s: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    random = [tuple(sorted(rng.uniform(-0.1, duration_s + 0.1, 2))) for _ in range(40)]
    return [(0.0, duration_s), (0.0, STEP_S), (STEP_S / 3, 2.5 * STEP_S), (duration_s - 0.013, duration_s), *random]


def _assert_same(new: ClipTrack, old: OldClipTrack, spans) -> None:
    assert list(new.counts) == list(old.counts)
    assert new.fraction == old.fraction
    assert (new.frames, new.channels) == (old.frames, old.channels)
    assert [new.between(*span) for span in spans] == [old.between(*span) for span in spans]


@pytest.mark.parametrize("subtype, dtype", READS)
@pytest.mark.parametrize("kind", ["clean", "throughout", "mid", "runs"])
@pytest.mark.parametrize("channels", [1, 2])
def test_each_window_and_the_file_are_clipped_as_the_old_code_measured(subtype, dtype, kind, channels):
    rng = np.random.default_rng([channels, len(kind), len(subtype), len(dtype)])
    rate_hz = 11025  # a step of 220 frames (220.5 rounded)
    samples = _scaled(_levels(kind, 3 * rate_hz + 37, channels, rng), subtype, dtype)
    spans = _spans(len(samples) / rate_hz, rng)
    for how in (len(samples), 5000, 441, 221, 220, 219, "random"):
        ends = _pieces(len(samples), how, rng)
        new = _fed(ClipTrack(subtype, rate_hz), samples, ends)
        _assert_same(new, _fed(OldClipTrack(subtype, rate_hz), samples, ends), spans)
        assert new.meter.clipped == round(new.fraction * new.meter.samples)
        assert clipped_fraction(samples, subtype) == new.fraction


@pytest.mark.parametrize("rate_hz", [50, 100, 150, 16000])  # steps of 1, 2, 3 and 320 frames
@pytest.mark.parametrize("how", [1, 2, 3, 4, 7, "random"])
def test_steps_as_short_as_a_run_and_blocks_of_a_few_frames_are_counted_as_the_old_code_counted(rate_hz, how):
    rng = np.random.default_rng([rate_hz, 0 if how == "random" else how])
    samples = _scaled(_levels("runs", 2000, 2, rng), "PCM_16", "int32")
    ends = _pieces(len(samples), how, rng)
    spans = _spans(len(samples) / rate_hz, rng)
    _assert_same(
        _fed(ClipTrack("PCM_16", rate_hz), samples, ends), _fed(OldClipTrack("PCM_16", rate_hz), samples, ends), spans
    )


def test_runs_that_cross_block_ends_are_counted_as_the_old_code_counted():
    """Runs of 1 to 5 samples at full scale ending, starting or passing at every offset around a block's
    end, after a run that was open there or not."""
    for length in range(1, 6):
        for offset in range(-6, 3):
            for before in (0, 2, 3):
                levels = np.zeros((60, 2))
                levels[30 + offset : 30 + offset + length, 0] = 1.0
                levels[30 - before : 30, 1] = -1.0
                levels[31:36, 1] = 1.0  # a run in the next block, after one sample below full scale
                samples = _scaled(levels, "PCM_24", "int32")
                for ends in ([30, 60], [10, 30, 31, 32, 60], [29, 33, 60]):
                    new, old = (_fed(cls("PCM_24", 250), samples, ends) for cls in (ClipTrack, OldClipTrack))
                    _assert_same(new, old, [(0.0, 0.12), (0.1, 0.13), (0.116, 0.14), (0.12, 0.24)])


def test_a_source_with_no_exact_full_scale_is_not_measured_as_before():
    samples = np.ones((5000, 2), dtype=np.float32)
    new, old = (_fed(cls("VORBIS", 16000), samples, [1000, 4000, 5000]) for cls in (ClipTrack, OldClipTrack))
    _assert_same(new, old, [(0.0, 0.3), (0.1, 0.2)])
    assert new.between(0.0, 0.3) is None and new.meter.clipped == 0


@pytest.mark.parametrize("subtype, dtype", READS)
def test_prepare_measures_each_clip_as_before(subtype, dtype):
    """``clipped_fraction`` (what prepare notes) and a meter fed in blocks give the old meter's fraction."""
    rng = np.random.default_rng(7)
    for kind in ("clean", "throughout", "mid", "runs"):
        samples = _scaled(_levels(kind, 4000, 2, rng), subtype, dtype)
        old, new = OldClipMeter(subtype), ClipMeter(subtype)
        for start in range(0, len(samples), 333):
            old.add(samples[start : start + 333])
            new.add(samples[start : start + 333])
        assert new.fraction == old.fraction
        assert (new.in_runs, list(new.open)) == (old.in_runs, list(old.open))
        whole = OldClipMeter(subtype)
        whole.add(samples)
        assert clipped_fraction(samples, subtype) == whole.fraction
