"""Whether an Ogg file is whole (:func:`check_ogg_whole`, for :func:`loaders.audio.probe`): libsndfile
counts, and reads, only the pages a file cut short still holds, without a word, so a copy stopped at 90%
of its bytes was read as 0.81 of its length.  An Ogg stream is a chain of pages, each saying how long it
is, the last one flagged end-of-stream: a file cut short ends inside a page, or after a page not so flagged."""

from __future__ import annotations

import struct
from pathlib import Path

from .errors import truncated_file

_HEADER = struct.Struct("<4sBBqIIIB")  # capture 'OggS', version, flags, granule, serial, sequence, CRC, segments
_END_OF_STREAM = 0x04


def check_ogg_whole(path: Path) -> None:
    """Raise the ``truncated`` error where ``path``'s pages run past its end, or where none is flagged
    end-of-stream; bytes after the last whole page that are no page (a tag a tool appended) end the walk
    as the decoders' does.  One small read per page (4 to 8 KiB of audio each).  Raises OSError as it comes."""
    size = path.stat().st_size
    ended = False
    with open(path, "rb") as f:
        pos = 0
        while pos + _HEADER.size <= size:
            f.seek(pos)
            header = f.read(_HEADER.size)
            capture, version, flags, *_, segments = _HEADER.unpack(header)
            if capture != b"OggS" or version != 0:
                break
            lacing = f.read(segments)
            end = pos + _HEADER.size + segments + sum(lacing)
            if len(lacing) < segments or end > size:
                raise truncated_file(
                    path,
                    f"Ogg page at byte {pos} declares {end - pos} bytes but only {size - pos} are present: "
                    "the file is truncated",
                )
            ended = ended or bool(flags & _END_OF_STREAM)
            pos = end
    if not ended:
        raise truncated_file(
            path, f"Ogg stream ends after {pos} bytes with no end-of-stream page: the file is truncated"
        )
