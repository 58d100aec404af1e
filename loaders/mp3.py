"""The length of an MP3 stream counted from its frame headers.

libsndfile (through mpg123) takes an MP3's length from its Xing/Info/VBRI header and, where a
variable-bitrate file has none (some recorders and phone apps write none; cut or joined files keep
a wrong one), estimates it from the file's size and its first frame's bitrate, and then *reads only
that many samples*: a 2 s clip came back as 0.73 s, two joined recordings as the first.  :func:`mp3_frames` walks every frame header
(4 bytes each, no decoding), so :func:`loaders.audio.probe` and :func:`loaders.audio.decode` can
tell when that estimate is wrong.
"""

from __future__ import annotations

import mmap
import os

# kbit/s by bitrate index (1..14) for MPEG-1 layers I, II, III and MPEG-2/2.5 layer I, II/III
_BITRATES = {
    (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits


def _frame(header: bytes) -> tuple[int, int] | None:
    """``(frame length in bytes, samples per channel)`` of an MPEG audio frame header, or None."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer = (header[1] >> 3) & 3, 4 - ((header[1] >> 1) & 3)  # layer 4: reserved
    index, rate_index, padding = header[2] >> 4, (header[2] >> 2) & 3, (header[2] >> 1) & 1
    if version not in _RATES or layer == 4 or not 0 < index < 15 or rate_index == 3:
        return None
    mpeg1 = version == 3
    bitrate = 1000 * _BITRATES[(1, layer) if mpeg1 else (2, min(layer, 2))][index - 1]
    rate = _RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4, 384
    samples = 1152 if layer == 2 or mpeg1 else 576
    return samples // 8 * bitrate // rate + padding, samples


def mp3_frames(data: bytes | mmap.mmap) -> int | None:
    """Samples per channel in the MPEG audio frames of ``data`` (a whole MP3 file; ID3v2 tags before
    and between its frames, and ID3v1 tags between them, are skipped, as in files joined by a tool), or None unless the frames run
    to its end or to an ID3v1/APE tag there (a free-format or damaged file: its length is unknown)."""
    pos, total = 0, 0
    while pos < len(data):
        if data[pos : pos + 3] == b"ID3" and pos + 10 <= len(data):
            size = int.from_bytes(bytes(b & 0x7F for b in data[pos + 6 : pos + 10]), "big")  # syncsafe
            pos += 10 + size + (10 if data[pos + 5] & 0x10 else 0)
        elif (frame := _frame(data[pos : pos + 4])) is not None:
            total += frame[1] if pos + frame[0] <= len(data) else 0  # a last frame cut short is not decoded
            pos += frame[0]
        elif data[pos : pos + 3] == b"TAG" and _frame(data[pos + 128 : pos + 132]) is not None:
            pos += 128  # the first recording's ID3v1 tag (128 bytes at its end) in a file joined by `cat`
        else:
            break
    ended = pos >= len(data) - 4 or data[pos : pos + 11].startswith((b"TAG", b"APETAGEX", b"LYRICSBEGIN"))
    return total if total and ended else None


def mp3_file_frames(path: str | os.PathLike) -> int | None:
    """:func:`mp3_frames` of the (non-empty) file at ``path``, mapped rather than read into memory: a
    scan or predict of an hour-long recording does not hold its 60 MB.  Raises OSError."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return mp3_frames(data)
