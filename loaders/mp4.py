"""MP4/M4A audio (ElderReact's clips, phone recordings) probed from the container's boxes: the
first sound track's rate, channels and true length, read without decoding (:func:`loaders.audio.probe`).

An AAC encoder starts its output with priming samples (its *encoder delay*, 1024 for FFmpeg, 2112
for Apple's) and pads its last frame, so a decoder returns more samples than were encoded, the
signal shifted by the delay.  The container says which of them are the recording: the sound
track's edit list (``edts/elst``: the first ``media_time`` samples are skipped, ``segment_duration``
are played) or, in files from iTunes and most phone apps, the ``iTunSMPB`` tag (delay, padding and
the original sample count).  :class:`Mp4Audio` gives that length and the delay, which
:mod:`loaders.ffmpeg` cuts off when decoding.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import SKIP_IT, BadFileError

_REDOWNLOAD = "re-download this clip"


@dataclass(frozen=True)
class Mp4Audio:
    """The first sound track of an MP4: ``num_frames`` is the recording's length, ``delay_frames`` the
    decoded frames before it (the encoder delay) and ``packet_frames`` its longest packet, all at ``sample_rate_hz``."""

    sample_rate_hz: int
    num_channels: int
    num_frames: int
    codec: str
    delay_frames: int = 0
    packet_frames: int = 0  # the longest packet its sample table (stts) times: how far a decode may stray


def _mp4_boxes(f, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        header_len = 8
        if size == 1:
            size = struct.unpack(">Q", f.read(8))[0]
            header_len = 16
        elif size == 0:
            size = end - pos
        if size < header_len:
            return
        yield kind, pos + header_len, pos + size
        pos += size


def _child(f, box: tuple[int, int] | None, kind: bytes) -> tuple[int, int] | None:
    """The body (start, end) of ``box``'s first child of ``kind``, or None."""
    if box is None:
        return None
    return next(((b, e) for k, b, e in _mp4_boxes(f, *box) if k == kind), None)


def _read(f, box: tuple[int, int], limit: int = 1 << 16) -> bytes:
    f.seek(box[0])
    return f.read(min(box[1] - box[0], limit))


def _aac_channels(esds: bytes) -> int | None:
    """Channel configuration from the AudioSpecificConfig (descriptor tag 5) inside an esds box."""
    i = esds.find(b"\x05", 4)
    while i != -1:
        j = i + 1
        while j < len(esds) and esds[j] & 0x80:  # variable-length size bytes
            j += 1
        if j + 2 < len(esds):
            config = (esds[j + 2] >> 3) & 0x0F
            if 0 < config <= 7:
                return {7: 8}.get(config, config)
        i = esds.find(b"\x05", i + 1)
    return None


def _timescale(header: bytes) -> tuple[int, int]:
    """``(timescale, duration)`` of an mvhd or mdhd body (version 0 or 1)."""
    if header[:1] == b"\x01":
        return struct.unpack(">IQ", header[20:32])
    return struct.unpack(">II", header[12:20])


def _edits(body: bytes) -> list[tuple[int, int]]:
    """An elst body's ``(segment_duration, media_time)`` entries (movie, media timescale); ``media_time``
    -1 is an empty edit (a pause before the track).  Entries whose rate is not 1 are left out."""
    if len(body) < 8:
        return []
    version, count = body[0], struct.unpack(">I", body[4:8])[0]
    layout, size = (">Qq", 20) if version == 1 else (">Ii", 12)
    entries = []
    for i in range(min(count, (len(body) - 8) // size)):
        at = 8 + i * size
        duration, media_time = struct.unpack(layout, body[at : at + size - 4])
        if struct.unpack(">i", body[at + size - 4 : at + size])[0] == 0x10000:  # media rate 1.0
            entries.append((duration, media_time))
    return entries


def _itunsmpb(f, box: tuple[int, int]) -> tuple[int, int, int] | None:
    """``(delay, padding, original length)`` from an ``iTunSMPB`` tag in ``box``'s udta/meta/ilst, or None."""
    for kind, body, end in _mp4_boxes(f, *box):
        if kind == b"udta":
            found = _udta_itunsmpb(f, (body, end))
            if found is not None:
                return found
    return None


def _udta_itunsmpb(f, udta: tuple[int, int]) -> tuple[int, int, int] | None:
    meta = _child(f, udta, b"meta")
    if meta is None:
        return None
    f.seek(meta[0])
    if f.read(4) == bytes(4):  # ISO's meta is a full box (version, flags); QuickTime's is not
        meta = (meta[0] + 4, meta[1])
    ilst = _child(f, meta, b"ilst")
    for kind, body, end in _mp4_boxes(f, *ilst) if ilst else ():
        if kind != b"----":
            continue
        parts = {k: _read(f, (b, e), 4096) for k, b, e in _mp4_boxes(f, body, end)}
        if parts.get(b"name", b"")[4:] != b"iTunSMPB" or b"data" not in parts:
            continue
        fields = parts[b"data"][8:].decode("latin-1").split()
        try:
            _, delay, padding, length = (int(x, 16) for x in fields[:4])
        except ValueError:
            return None
        return delay, padding, length
    return None


def _longest_packet(f, stbl: tuple[int, int] | None, timescale: int, rate: int) -> int:
    """The longest packet a sound track's ``stts`` (sample count, duration) entries time, in frames at ``rate``."""
    stts = _child(f, stbl, b"stts")
    body = _read(f, stts) if stts and timescale else b""
    count = struct.unpack(">I", body[4:8])[0] if len(body) >= 8 else 0
    deltas = [struct.unpack(">I", body[12 + 8 * i : 16 + 8 * i])[0] for i in range(min(count, (len(body) - 8) // 8))]
    return math.ceil(max(deltas) * rate / timescale) if deltas else 0


def _gapless(
    f, trak: tuple[int, int], moov: tuple[int, int], movie_scale: int, media: tuple[int, int], rate: int
) -> tuple[int, int]:
    """``(delay, frames)`` of a sound track at ``rate``: from its edit list when that trims anything,
    else from an iTunSMPB tag, else the whole track (``media``: the mdhd timescale and duration)."""
    scale, duration = media
    whole = round(duration / scale * rate) if scale else 0
    elst = _child(f, _child(f, trak, b"edts"), b"elst")
    edits = [(d, t) for d, t in _edits(_read(f, elst)) if t >= 0] if elst else []  # empty edits: no audio
    if edits and scale and movie_scale:
        delay = round(edits[0][1] / scale * rate)
        played = sum(d for d, _ in edits) / movie_scale * rate  # 0: to the track's end
        # segments are timed in the movie's timescale (often ms); within one tick of the track's end,
        # that end (the media's own timescale) is the exact one
        frames = whole - delay if played >= whole - delay - rate / movie_scale or not played else round(played)
        if delay or frames < whole:
            return delay, max(0, frames)
    smpb = _itunsmpb(f, trak) or _itunsmpb(f, moov)
    if smpb is not None:
        delay, padding, length = smpb
        if delay < whole:
            return delay, min(length, whole - delay) if length else max(0, whole - delay - padding)
    return 0, whole


def probe_mp4(path: Path, f, file_size: int) -> Mp4Audio:
    """The first sound track (moov/trak/mdia) and its true length (its edit list or iTunSMPB tag); a
    file shorter than its boxes, or than its open-ended 'mdat' needs for its sound, is ``truncated``."""
    top = list(_mp4_boxes(f, 0, file_size))
    if any(end > file_size for _, _, end in top):
        raise BadFileError(
            path,
            "truncated",
            "MP4 file is shorter than its boxes declare (no complete 'moov'/'mdat'): it is truncated",
            _REDOWNLOAD,
            SKIP_IT,
        )
    for kind, body, end in top:
        if kind != b"moov":
            continue
        mvhd = _child(f, (body, end), b"mvhd")
        movie_scale = _timescale(_read(f, mvhd, 64))[0] if mvhd else 0
        for tkind, tbody, tend in _mp4_boxes(f, body, end):
            found = _sound_track(f, (tbody, tend), (body, end), movie_scale) if tkind == b"trak" else None
            if found is None:
                continue
            audio, stbl = found
            past = _media_end(f, stbl) - file_size if _open_ended(f, top) else 0
            if past > 0:  # a recorder's 'mdat' of size 0 runs to the file's end: cut, it still fits
                raise BadFileError(
                    path,
                    "truncated",
                    f"MP4 file is shorter than its sample table declares: its last audio packet ends {past} "
                    "bytes past the file's end (its 'mdat' runs to the end of the file): it is truncated",
                    _REDOWNLOAD,
                    SKIP_IT,
                )
            return audio
        raise BadFileError(
            path, "no_audio_track", "the MP4 file has no audio track", "use the original video with sound"
        )
    raise BadFileError(
        path,
        "truncated",
        "MP4 file has no complete 'moov' box: it is truncated or still downloading",
        _REDOWNLOAD,
        SKIP_IT,
    )


def _sound_track(f, trak: tuple[int, int], moov: tuple[int, int], movie_scale: int):
    """``(Mp4Audio, its stbl box)`` of ``trak`` when it is a sound track, else None."""
    mdia = _child(f, trak, b"mdia")
    if mdia is None:
        return None
    children = {k: (b, e) for k, b, e in _mp4_boxes(f, *mdia)}
    if b"hdlr" not in children or b"mdhd" not in children:
        return None
    f.seek(children[b"hdlr"][0] + 8)
    if f.read(4) != b"soun":
        return None
    timescale, duration = _timescale(_read(f, children[b"mdhd"], 64))
    rate, channels, codec = timescale, 1, "audio"
    stbl = _child(f, children.get(b"minf"), b"stbl")
    stsd = _child(f, stbl, b"stsd")
    if stsd:
        f.seek(stsd[0] + 8)
        entry = f.read(36)
        if len(entry) == 36:
            codec = entry[4:8].decode("latin-1").strip()
            channels = struct.unpack(">H", entry[24:26])[0] or 1
            rate = struct.unpack(">I", entry[32:36])[0] >> 16 or timescale
            entry_end = stsd[0] + 8 + struct.unpack(">I", entry[:4])[0]
            if codec == "mp4a":  # the sample entry's channel count is a template; ask the esds
                esds = _child(f, (stsd[0] + 44, entry_end), b"esds")
                if esds:
                    channels = _aac_channels(_read(f, esds)) or channels
    delay, frames = _gapless(f, trak, moov, movie_scale, (timescale, duration), rate)
    return Mp4Audio(rate, channels, frames, codec, delay, _longest_packet(f, stbl, timescale, rate)), stbl


def _open_ended(f, top: list[tuple[bytes, int, int]]) -> bool:
    """Whether the file's last top-level box has size 0: it runs to the file's end (a recorder writes
    its 'mdat' so before it knows the size), so a copy cut short still looks whole."""
    if not top:
        return False
    f.seek(top[-2][2] if len(top) > 1 else 0)  # boxes follow each other: its header starts where the last ended
    return f.read(4) == bytes(4)


def _u32s(f, at: int, count: int, width: int = 4) -> list[int]:
    """``count`` big-endian unsigned numbers of ``width`` bytes at ``at`` (zeros past the file's end)."""
    f.seek(at)
    data = f.read(count * width).ljust(count * width, b"\0")
    return list(struct.unpack(f">{count}{'I' if width == 4 else 'Q'}", data))


def _media_end(f, stbl: tuple[int, int] | None) -> int:
    """Where a sound track's last packet ends in the file: its last chunk's offset (stco/co64) plus
    the sizes (stsz) of the samples that chunk holds (stsc's last entry); 0 where its tables do not
    say (missing, or shorter than their counts: the decoder judges such a file)."""
    stsz, stsc = _child(f, stbl, b"stsz"), _child(f, stbl, b"stsc")
    stco = _child(f, stbl, b"stco")
    offsets, width = (stco, 4) if stco else (_child(f, stbl, b"co64"), 8)
    if not (stsz and stsc and offsets) or min(e - b for b, e in (stsz, stsc, offsets)) < 12:
        return 0
    (chunks,), (entries,), (size, count) = (
        _u32s(f, offsets[0] + 4, 1),
        _u32s(f, stsc[0] + 4, 1),
        _u32s(f, stsz[0] + 4, 2),
    )
    fits = (offsets[0] + 8 + chunks * width <= offsets[1], stsc[0] + 8 + entries * 12 <= stsc[1])
    if not (chunks and entries and count and all(fits)) or (not size and stsz[0] + 12 + count * 4 > stsz[1]):
        return 0
    (last,) = _u32s(f, offsets[0] + 8 + (chunks - 1) * width, 1, width)
    (per_chunk,) = _u32s(f, stsc[0] + 8 + (entries - 1) * 12 + 4, 1)
    per_chunk = min(per_chunk, count)
    return last + (size * per_chunk if size else sum(_u32s(f, stsz[0] + 12 + (count - per_chunk) * 4, per_chunk)))
