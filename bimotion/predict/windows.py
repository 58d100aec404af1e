"""Cutting a stream of samples into the windows a model scores, holding at most a window and a block.

``fixed``: windows of ``window_s`` every ``hop_s`` from the start; the last window ends at the end
of the recording (it starts earlier, overlapping its neighbour more), so every window of a recording
at least ``window_s`` long is full length.  A recording of duration ``D`` gives
``1 + ceil(max(0, D - window_s) / hop_s)`` windows (:func:`window_count`); one shorter than the window
gives one window, the whole recording.

``vad``: energy-based voice activity.  Frames of ``VAD_FRAME_S`` whose RMS level is at least
``vad_threshold_db`` dBFS are speech; a pause shorter than ``vad_min_silence_s`` stays inside the
segment; a segment shorter than ``vad_min_speech_s`` is dropped; each segment is then cut into fixed
windows as above, so an hour of unbroken speech is still scored window by window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

SEGMENTS = ("fixed", "vad")
VAD_FRAME_S = 0.03
DEFAULT_HOP_S = 2.0  # seconds between window starts when none is given (at most the window)
MIN_WINDOW_S = 400 / 16000  # wav2vec2's receptive field: a shorter window cannot be scored


@dataclass(frozen=True)
class Windowing:
    """How recordings are cut (seconds).  Defaults: 4 s windows every 2 s (half overlap); ``hop_s`` not
    given (None) is :data:`DEFAULT_HOP_S`, or ``window_s`` where that is shorter (windows without gaps)."""

    window_s: float = 4.0
    hop_s: float | None = None
    segment: str = "fixed"
    vad_threshold_db: float = -40.0
    vad_min_silence_s: float = 0.3
    vad_min_speech_s: float = 0.25

    def __post_init__(self):
        if self.hop_s is None:  # a window shorter than the default hop: windows end to end, no audio skipped
            object.__setattr__(self, "hop_s", min(DEFAULT_HOP_S, self.window_s))
        if self.segment not in SEGMENTS:
            raise ValueError(f"segment must be one of {', '.join(SEGMENTS)}, not {self.segment!r}")
        for name in ("window_s", "hop_s", "vad_threshold_db", "vad_min_silence_s", "vad_min_speech_s"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, not {getattr(self, name)}")
        if not self.window_s >= MIN_WINDOW_S:
            raise ValueError(
                f"window_s must be at least {MIN_WINDOW_S} s (the model's receptive field), not {self.window_s}"
            )
        if not 0 < self.hop_s <= self.window_s:
            raise ValueError(
                f"hop_s must be in (0, window_s={self.window_s}], not {self.hop_s}: "
                + ("a hop longer than the window would skip audio" if self.hop_s > 0 else "the windows must move on")
            )
        if self.vad_threshold_db > 0:
            raise ValueError(
                f"vad_threshold_db is a level in dBFS, at most 0 (full scale), not {self.vad_threshold_db}: e.g. -40"
            )
        if not 0 <= self.vad_min_speech_s <= self.window_s or not self.vad_min_silence_s >= 0:
            raise ValueError("vad_min_speech_s must be in [0, window_s] and vad_min_silence_s at least 0")


def window_count(duration_s: float, window_s: float, hop_s: float) -> int:
    """Number of fixed windows of a recording of ``duration_s`` (the module docstring's formula)."""
    if duration_s <= 0:
        return 0
    return 1 + math.ceil(max(0.0, duration_s - window_s) / hop_s - 1e-9)


def min_window_samples(sample_rate_hz: int) -> int:
    """:data:`MIN_WINDOW_S` in samples: the shortest window of a model that names no receptive field."""
    return math.ceil(MIN_WINDOW_S * sample_rate_hz)


def windows(
    blocks: Iterable[np.ndarray], sample_rate_hz: int, how: Windowing, min_samples: int | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """``(start sample, samples)`` of every window of a recording given as consecutive blocks; a last
    window shorter than ``min_samples`` (the model's receptive field; default :func:`min_window_samples`)
    is left out."""
    min_samples = min_samples if min_samples is not None else min_window_samples(sample_rate_hz)
    cutter = _Cutter(round(how.window_s * sample_rate_hz), round(how.hop_s * sample_rate_hz), min_samples)
    if how.segment == "fixed":
        cutter.start(0)
        for block in blocks:
            yield from cutter.push(block)
        yield from cutter.flush()
    else:
        yield from _vad(blocks, sample_rate_hz, how, cutter)


class _Cutter:
    """Fixed windows of one segment that starts at ``start(at)`` and ends at ``flush()``; keeps the
    last ``window`` samples (and at most one block more)."""

    def __init__(self, window: int, hop: int, min_len: int):
        self.window, self.hop, self.min_len = window, hop, min_len
        self.start(0)

    def start(self, at: int) -> None:
        self.buf = np.zeros(0, dtype=np.float32)
        self.buf_start = self.seg_start = self.next_start = self.covered = at

    @property
    def end(self) -> int:
        return self.buf_start + len(self.buf)

    def push(self, samples: np.ndarray) -> list[tuple[int, np.ndarray]]:
        if not len(samples):
            return []
        self.buf = np.concatenate([self.buf, samples]) if len(self.buf) else samples
        out = []
        while self.next_start + self.window <= self.end:
            i = self.next_start - self.buf_start
            out.append((self.next_start, self.buf[i : i + self.window].copy()))
            self.covered = self.next_start + self.window
            self.next_start += self.hop
        keep_from = max(self.seg_start, min(self.next_start, self.end - self.window))
        self.buf = self.buf[keep_from - self.buf_start :]
        self.buf_start = keep_from
        return out

    def flush(self) -> list[tuple[int, np.ndarray]]:
        """The last window, ending at the segment's end, if the end is not covered yet."""
        if self.end <= self.covered:
            return []
        start = max(self.seg_start, self.end - self.window)
        samples = self.buf[start - self.buf_start :]
        self.covered = self.end
        return [(start, samples.copy())] if len(samples) >= self.min_len else []


def frame_levels_db(samples: np.ndarray, frame: int) -> np.ndarray:
    """RMS level (dBFS, full-scale sine at -3 dB) of consecutive ``frame``-sample frames; a last
    partial frame gets its own level."""
    n = -(-len(samples) // frame)
    padded = np.zeros(n * frame, dtype=np.float64)
    padded[: len(samples)] = samples
    power = (padded.reshape(n, frame) ** 2).sum(1)
    counts = np.full(n, frame, dtype=np.float64)
    if n and len(samples) % frame:
        counts[-1] = len(samples) % frame
    return 10 * np.log10(power / counts + 1e-20)


def _vad(blocks, sample_rate_hz: int, how: Windowing, cutter: _Cutter) -> Iterator[tuple[int, np.ndarray]]:
    """Windows of the speech segments (module docstring); state carried across blocks."""
    frame = max(1, round(VAD_FRAME_S * sample_rate_hz))
    min_silence = round(how.vad_min_silence_s * sample_rate_hz)
    min_speech = round(how.vad_min_speech_s * sample_rate_hz)
    carry = np.zeros(0, dtype=np.float32)  # a partial frame waiting for the next block
    pos = 0  # sample index of carry[0]
    in_speech, pending, pending_len = False, [], 0  # pending: a pause inside a segment, not yet pushed

    def end_segment():
        out = cutter.flush()
        return out if cutter.end - cutter.seg_start >= min_speech else []

    for block in _with_last(blocks):
        samples, last = block
        samples = np.concatenate([carry, samples]) if len(carry) else samples
        usable = len(samples) if last else len(samples) - len(samples) % frame
        carry = samples[usable:]
        voiced = np.repeat(frame_levels_db(samples[:usable], frame) >= how.vad_threshold_db, frame)[:usable]
        for begin, end, speech in _runs(voiced):
            run = samples[begin:end]
            if speech:
                if not in_speech:
                    cutter.start(pos + begin)
                    in_speech = True
                for gap in pending:
                    yield from cutter.push(gap)
                pending, pending_len = [], 0
                yield from cutter.push(run)
            elif in_speech:
                pending.append(run)
                pending_len += len(run)
                if pending_len >= min_silence:
                    yield from end_segment()
                    in_speech, pending, pending_len = False, [], 0
        pos += usable
    if in_speech:
        yield from end_segment()


def _runs(flags: np.ndarray) -> Iterator[tuple[int, int, bool]]:
    """``(begin, end, value)`` of each run of equal values."""
    if not len(flags):
        return
    edges = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), len(flags)]
    for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
        yield begin, end, bool(flags[begin])


def _with_last(blocks: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    """Each block with whether it is the last one (an empty last block when there are none)."""
    previous = None
    for block in blocks:
        if previous is not None:
            yield previous, False
        previous = block
    yield (previous if previous is not None else np.zeros(0, dtype=np.float32)), True
