"""Whether an Ogg file is whole (:func:`check_ogg_whole`, for :func:`loaders.audio.probe`): libsndfile
counts, and reads, only the pages a file cut short still holds, without a word, so a copy stopped at 90%
of its bytes was read as 0.81 of its length.  An Ogg stream is a chain of pages, each saying how long it
is, the last one flagged end-of-stream: a file cut short ends inside a page, or after a page not so flagged.
A second stream after that page (a chained Ogg) libsndfile does not read: :func:`chained_ogg`."""

from __future__ import annotations

from pathlib import Path

from .errors import SKIP_IT, BadFileError, truncated_file

_HEADER_BYTES = 27  # capture 'OggS', version, flags, granule, serial, sequence, CRC, segments (the table's length)
_BEGINNING_OF_STREAM, _END_OF_STREAM = 0x02, 0x04
_BLOCK_BYTES = 1 << 20  # read at a time: a page is at most 65,307 bytes (27 + 255 + 255 x 255)


def check_ogg_whole(path: Path) -> None:
    """Raise the ``truncated`` error where ``path``'s pages run past its end, or where none is flagged
    end-of-stream; bytes after the last whole page that are no page (a tag a tool appended) end the walk
    as the decoders' does.  A stream beginning after one has ended (a chained Ogg) is :func:`chained_ogg`'s
    error.  The file is read in blocks of 1 MiB, each page's header and segment table
    parsed there and its body skipped (a 30-minute Vorbis file, 1.9k pages: ~2 ms).  Raises OSError as it comes."""
    size = path.stat().st_size
    ended = False
    block = bytearray(min(size, _BLOCK_BYTES))  # a short file: no 1 MiB zero-filled for it
    with open(path, "rb", buffering=0) as f:
        held, start, pos = 0, 0, 0  # block[:held]: the bytes at file offset start; pos: the page's offset
        while pos + _HEADER_BYTES <= size:
            at = pos - start
            if at + _HEADER_BYTES + 255 > held and start + held < size:  # its header may run past the block
                f.seek(pos)
                held, start, at = f.readinto(block), pos, 0
            if at + _HEADER_BYTES > held or block[at : at + 5] != b"OggS\x00":  # capture, version 0
                break
            table = at + _HEADER_BYTES + block[at + 26]
            end = pos + table - at + sum(block[at + _HEADER_BYTES : min(table, held)])
            if table > held or end > size:
                raise truncated_file(
                    path,
                    f"Ogg page at byte {pos} declares {end - pos} bytes but only {size - pos} are present: "
                    "the file is truncated",
                )
            if ended and block[at + 5] & _BEGINNING_OF_STREAM:
                raise chained_ogg(path, pos)
            ended = ended or bool(block[at + 5] & _END_OF_STREAM)
            pos = end
    if not ended:
        raise truncated_file(
            path, f"Ogg stream ends after {pos} bytes with no end-of-stream page: the file is truncated"
        )


def chained_ogg(path: Path, pos: int) -> BadFileError:
    """The ``unsupported_format`` error of a chained Ogg (streams one after another, as two Ogg files joined
    end to end make): libsndfile reads its first stream only, without a word (109,628 + 109,628 frames
    probed, and were read, as 109,628), and the walk stopped at that stream's end.  ``pos``: the byte
    where the second stream begins."""
    return BadFileError(
        path,
        "unsupported_format",
        f"a chained Ogg (a second stream begins at byte {pos}, after the first one's end-of-stream page): "
        "only its first stream would be read",
        "split it into one file per stream, or convert it to WAV or FLAC",
        SKIP_IT,
    )
