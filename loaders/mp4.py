"""MP4/M4A audio (ElderReact's clips, phone recordings) probed from the container's boxes: the
first sound track's rate, channels and length, read without decoding (:func:`loaders.audio.probe`)."""

from __future__ import annotations

import struct
from pathlib import Path

from .errors import BadFileError


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


def probe_mp4(path: Path, f, file_size: int) -> tuple[int, int, int, str]:
    """The first sound track's ``(sample rate, channels, frames, codec)``, from moov/trak/mdia."""
    top = list(_mp4_boxes(f, 0, file_size))
    if any(end > file_size for _, _, end in top):
        raise BadFileError(
            path,
            "truncated",
            "MP4 file is shorter than its boxes declare (no complete 'moov'/'mdat'): it is truncated",
            "re-download this clip, or pass --skip-bad to skip it",
        )
    for kind, body, end in top:
        if kind != b"moov":
            continue
        for tkind, tbody, tend in _mp4_boxes(f, body, end):
            if tkind != b"trak":
                continue
            mdia = next((b for b in _mp4_boxes(f, tbody, tend) if b[0] == b"mdia"), None)
            if mdia is None:
                continue
            children = {k: (b, e) for k, b, e in _mp4_boxes(f, mdia[1], mdia[2])}
            if b"hdlr" not in children or b"mdhd" not in children:
                continue
            f.seek(children[b"hdlr"][0] + 8)
            if f.read(4) != b"soun":
                continue
            f.seek(children[b"mdhd"][0])
            version = f.read(4)[0]
            if version == 1:
                timescale, duration = struct.unpack(">IQ", f.read(28)[16:28])
            else:
                timescale, duration = struct.unpack(">II", f.read(16)[8:16])
            rate, channels, codec = timescale, 1, "audio"
            minf = children.get(b"minf")
            if minf:
                stbl = next((b for b in _mp4_boxes(f, *minf) if b[0] == b"stbl"), None)
                stsd = stbl and next((b for b in _mp4_boxes(f, stbl[1], stbl[2]) if b[0] == b"stsd"), None)
                if stsd:
                    f.seek(stsd[1] + 8)
                    entry = f.read(36)
                    if len(entry) == 36:
                        codec = entry[4:8].decode("latin-1").strip()
                        channels = struct.unpack(">H", entry[24:26])[0] or 1
                        rate = struct.unpack(">I", entry[32:36])[0] >> 16 or timescale
                        entry_end = stsd[1] + 8 + struct.unpack(">I", entry[:4])[0]
                        if codec == "mp4a":  # the sample entry's channel count is a template; ask the esds
                            esds = next((b for b in _mp4_boxes(f, stsd[1] + 44, entry_end) if b[0] == b"esds"), None)
                            if esds:
                                f.seek(esds[1])
                                channels = _aac_channels(f.read(esds[2] - esds[1])) or channels
            frames = round(duration / timescale * rate) if timescale else 0
            return rate, channels, frames, codec
        raise BadFileError(
            path, "no_audio_track", "the MP4 file has no audio track", "use the original video with sound"
        )
    raise BadFileError(
        path,
        "truncated",
        "MP4 file has no complete 'moov' box: it is truncated or still downloading",
        "re-download this clip, or pass --skip-bad to skip it",
    )
