"""A decode held to the length its file declares, whichever decoder reads it (:class:`LengthHold`): an
MP3's to the samples its frames count (:func:`loaders.mp3.held_to_count`), an MP4's to the length its
container declares (:func:`loaders.audio.length_hold`).  Within a little of it the decode is cut, or
padded with silence, at its end, with a warning naming the file; far from it the file is a
:class:`~loaders.errors.BadFileError`.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import SKIP_IT, BadFileError, InputWarning

# frames a decoder may drop or add at each end of an MP3 (an MP4: packets) and at each stretch of junk
DAMAGE_FRAMES = 2


# by the kind of file held: what its length is ("... where {it} {expected}"), what makes a decoder stray a
# little from it (the warning), and far, longer and shorter (the error)
_HELD = {
    "mp3": (
        "its MP3 frames hold",
        "a damaged file: junk between its frames, a frame that does not decode, a last frame cut short",
        "bytes that are no frame of its stream (frames of another recording, at another rate) decode as audio",
        "frames that do not decode (damaged, or their checksum fails) are left out",
    ),
    "mp4": (
        "its MP4 container declares",
        "its codec's decoder stops short of, or runs past, the length its sample table times, or the file is damaged",
        "more decodes than its sample table times (a damaged or rewritten container)",
        "packets that do not decode (damaged) are left out",
    ),
}


@dataclass(frozen=True)
class LengthHold:
    """A decode of a damaged MP3 held to the samples its frames count (``expected``, at ``rate_hz``),
    whichever decoder reads it, or of an MP4 (``kind``) to the length its container declares: decoders
    drop the frame after junk (its bit reservoir lost) or a damaged one, and decode a last frame cut
    short, or an encoder's priming libmpg123 no longer cuts after junk.
    Within ``slack`` of the count the samples beyond it are cut from the end, or silence is added
    there, with an :class:`~loaders.errors.InputWarning` naming the file (one sample is a resampler's
    rounding: no warning); beyond it the file is a :class:`~loaders.errors.BadFileError`: bytes
    the count skipped were decoded as audio (another recording's frames at another rate), or frames
    do not decode at all (damaged, or a checksum that fails)."""

    path: str | os.PathLike
    expected: int
    slack: int
    rate_hz: int
    decoder: str
    kind: str = "mp3"  # or "mp4": the words of its messages (_HELD)

    @classmethod
    def at_rate(
        cls, path, frames: int, slack_frames: int, file_rate_hz: int, rate_hz: int, decoder: str, kind: str = "mp3"
    ) -> LengthHold:
        """The hold of a decode at ``rate_hz`` to ``frames`` (within ``slack_frames``) counted at the file's
        ``file_rate_hz``: the count scaled to the nearest sample (half to even), the slack up, each from the
        exact ratio (a float ratio put 962.5 at 962.5000000000001, and 122880 at 122880.00000000001)."""
        ratio = Fraction(rate_hz, file_rate_hz)
        return cls(path, round(frames * ratio), math.ceil(slack_frames * ratio), rate_hz, decoder, kind)

    def blocks(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """``blocks`` (frames on their first axis) held to the count: raises as soon as they run past it."""
        seen, last = 0, np.zeros((0, 1), np.float32)
        for block in blocks:
            kept = block[: max(0, self.expected - seen)]
            seen, last = seen + len(block), block
            if seen > self.expected + self.slack:
                raise self._error(seen, "at least ")
            if len(kept):
                yield kept
        if seen < self.expected - self.slack:
            raise self._error(seen, "")
        if seen < self.expected:
            yield np.zeros((self.expected - seen, *last.shape[1:]), last.dtype)
        if abs(seen - self.expected) > 1:
            done = "cut from its end" if seen > self.expected else "of silence added at its end"
            held, why = _HELD[self.kind][:2]
            warnings.warn(
                f"{self.path}: {self.decoder} decodes {seen} samples of it at {self.rate_hz} Hz where {held} "
                f"{self.expected}: {abs(seen - self.expected)} samples {done} ({why}); listen to it, or "
                "replace it with the original file",
                InputWarning,
                stacklevel=2,
            )

    def whole(self, frames: np.ndarray) -> np.ndarray:
        """``frames`` (a whole decode) held to the count (``frames`` itself where they are as many)."""
        return frames if len(frames) == self.expected else np.concatenate([frames[:0], *self.blocks([frames])])

    def _error(self, seen: int, at_least: str) -> BadFileError:
        held, _, longer, shorter = _HELD[self.kind]
        return BadFileError(
            self.path,
            "corrupt",
            f"{self.decoder} decodes {at_least}{seen / self.rate_hz:.3f} s of it where {held} "
            f"{self.expected / self.rate_hz:.3f} s: {longer if seen > self.expected else shorter}",
            "replace it with the original file",
            SKIP_IT,
        )
