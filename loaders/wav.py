"""A WAV's length and format from its RIFF/RF64 chunks (:func:`probe_wav`, for :func:`loaders.audio.probe`):
cheap, and it notices truncated data chunks and headers never finalised; a WAV whose blocks hold many
frames each (ADPCM, GSM 6.10) is counted by libsndfile (:func:`libsndfile_info`, the one call of it whose
failure names the file, :func:`loaders.audio.probe`'s too)."""

from __future__ import annotations

import struct
from pathlib import Path

from .errors import SKIP_IT, BadFileError, impossible_header, libsndfile_error, truncated_file

_WAV_FORMATS = {1: "PCM", 3: "FLOAT", 6: "ALAW", 7: "ULAW", 0xFFFE: "EXTENSIBLE"}
_FRAME_PER_BLOCK = (1, 3, 6, 7)  # PCM, float, A-law, mu-law: one frame per block_align bytes


def probe_wav(path: Path, f, file_size: int) -> tuple[int, int, int, str]:
    """``(sample_rate_hz, num_channels, num_frames, subtype)`` from a RIFF/RF64 chunk walk."""
    riff = f.read(12)
    endian = ">" if riff[:4] == b"RIFX" else "<"
    fmt = data_size = data_offset = ds64_data_size = None
    pos = 12
    while pos + 8 <= file_size:
        f.seek(pos)
        chunk = f.read(8)
        if len(chunk) < 8:
            break
        cid, size = chunk[:4], struct.unpack(endian + "I", chunk[4:])[0]
        if cid == b"ds64":
            ds64_data_size = struct.unpack("<Q", f.read(16)[8:16])[0]
        elif cid == b"fmt ":
            body = f.read(min(size, 40))
            if len(body) < 16:
                break
            tag, channels, rate, _, block_align, bits = struct.unpack(endian + "HHIIHH", body[:16])
            if tag == 0xFFFE and len(body) >= 26:
                tag = struct.unpack(endian + "H", body[24:26])[0]
            fmt = (tag, channels, rate, block_align, bits)
        elif cid == b"data":
            data_offset = pos + 8
            data_size = ds64_data_size if (size == 0xFFFFFFFF and ds64_data_size) else size
            break
        pos += 8 + size + (size & 1)
    if fmt is None or data_offset is None:
        raise truncated_file(
            path, "WAV header is incomplete (no 'fmt ' or 'data' chunk): the file is truncated or corrupt"
        )
    tag, channels, rate, block_align, bits = fmt
    if error := impossible_header(path, "wav", channels, rate):
        raise error
    if block_align == 0:
        raise BadFileError(path, "corrupt_header", "WAV header has 0 bytes per frame", "replace the file")
    available = file_size - data_offset
    if data_size == 0xFFFFFFFF and ds64_data_size is None:  # "to the end": written by a tool streaming to a pipe
        data_size = available - available % block_align
    if data_size == 0 and available >= block_align:
        raise BadFileError(
            path,
            "unfinished_header",
            f"WAV data chunk declares 0 bytes but {available} follow: the header was never finalised (a recording "
            "or a stream cut off before its tool wrote the sizes), so decoders read no audio",
            "rewrite the header (`sox IN.wav OUT.wav` or `ffmpeg -i IN.wav OUT.wav`)",
            SKIP_IT,
        )
    if data_size > available:
        raise truncated_file(
            path, f"WAV data chunk declares {data_size} bytes but only {available} are present: the file is truncated"
        )
    subtype = _subtype(tag, bits)
    if tag not in _FRAME_PER_BLOCK:  # ADPCM, GSM...: a block holds many frames, counted by libsndfile
        return _probe_compressed_wav(path, subtype)
    return rate, channels, data_size // block_align, subtype


def _subtype(tag: int, bits: int) -> str:
    """libsndfile's name of a WAV's sample format (``PCM_16``, ``PCM_U8``, ``FLOAT``, ``DOUBLE``, ``ULAW``),
    which :mod:`loaders.levels` measures full scale by: 8-bit WAV PCM is unsigned, 64-bit float is DOUBLE."""
    if tag == 1:
        return "PCM_U8" if bits == 8 else f"PCM_{bits}"
    if tag == 3:
        return "DOUBLE" if bits == 64 else "FLOAT"
    return _WAV_FORMATS.get(tag, str(tag))


def _probe_compressed_wav(path: Path, subtype: str) -> tuple[int, int, int, str]:
    """A WAV whose blocks hold many frames each (IMA/MS ADPCM, GSM 6.10 ...): libsndfile reads its
    ``fact`` chunk and blocks for the true length (``data size // block size`` would be ~1000x short)."""
    info = libsndfile_info(
        path,
        "unsupported_format",
        f"WAV with compressed audio (format {subtype}) that cannot be read",
        "convert it to PCM (`ffmpeg -i IN.wav -c:a pcm_s16le OUT.wav`)",
        offer=SKIP_IT,
    )
    return int(info.samplerate), int(info.channels), int(info.frames), info.subtype


def libsndfile_info(path: Path, reason: str, what: str, fix: str, check=None, *, offer: str = ""):
    """``path``'s header as libsndfile reads it (a closed ``soundfile.SoundFile``: ``samplerate``, ``channels``,
    ``frames``, ``subtype``); where libsndfile cannot parse it, a :class:`BadFileError` of ``reason`` saying
    ``what: <libsndfile's words>`` and ``fix`` (and ``offer``, :class:`~loaders.errors.CorpusError`'s) (here, and :func:`loaders.audio.probe`'s).  ``check``, where
    given, is called with the file still open, in this one open (a FLAC's read of its last frame,
    :func:`loaders.flac.check_flac_whole`); its errors are raised as they come."""
    import soundfile

    try:
        f = soundfile.SoundFile(str(path))
    except Exception as err:  # libsndfile's RuntimeError/LibsndfileError
        raise BadFileError(path, reason, f"{what}: {libsndfile_error(err)}", fix, offer) from err
    with f:
        if check is not None:
            check(f)
    return f
