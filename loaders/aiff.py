"""An AIFF's (AIFF-C's) length as its ``COMM`` chunk declares it, against what libsndfile counts
(:func:`check_aiff_length`, for :func:`loaders.audio.probe`): libsndfile counts, and reads, only the
frames a file cut short still holds, without a word, so a copy stopped halfway (TESS's AIFF bytes behind
a ``.wav`` name) was read as a clip half its length."""

from __future__ import annotations

import struct
from pathlib import Path

from .errors import truncated_file


def check_aiff_length(path: Path, counted_frames: int) -> None:
    """Raise the ``truncated`` error where ``path``'s COMM chunk declares more frames than libsndfile
    counted (``counted_frames``). Only more: an AIFF-C's IMA ADPCM declares packets of 64 frames, fewer
    than it holds. Raises OSError as it comes."""
    with open(path, "rb") as f:
        declared = _declared_frames(f, path.stat().st_size)
    if declared is not None and declared > counted_frames:
        raise truncated_file(
            path,
            f"AIFF COMM chunk declares {declared} frames but only {counted_frames} are present: the file is truncated",
        )


def _declared_frames(f, file_size: int) -> int | None:
    """``numSampleFrames`` of the COMM chunk (big-endian, after the 2-byte channel count), from a chunk
    walk after the 12-byte FORM header; None where the walk finds none."""
    pos = 12
    while pos + 8 <= file_size:
        f.seek(pos)
        chunk = f.read(8)
        if len(chunk) < 8:
            return None
        cid, size = chunk[:4], struct.unpack(">I", chunk[4:])[0]
        if cid == b"COMM":
            body = f.read(6)
            return struct.unpack(">I", body[2:6])[0] if len(body) == 6 else None
        pos += 8 + size + (size & 1)
    return None
