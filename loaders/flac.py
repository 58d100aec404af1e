"""Whether a FLAC is whole (:func:`check_flac_whole`, for :func:`loaders.audio.probe`): its STREAMINFO
declares its length, which libsndfile counts whatever the file still holds, so a copy cut short passed the
scan and failed only when prepare decoded it ("flac decoder lost sync", reason ``corrupt``).  libFLAC
seeks by the file's bytes to the frame holding a sample: the one holding the last sample declared is read
where the file is whole, and is missing (or unreadable) where the file is cut short."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .errors import BadFileError, libsndfile_error, truncated_file

UNKNOWN_FRAMES = 2**63 - 1  # libsndfile's count where STREAMINFO declares no length (an encoder writing to a pipe)
BLOCK_FRAMES = 1 << 16  # frames per read of such a file


def unknown_length(f) -> bool:
    """Whether ``f`` (open in libsndfile) is a FLAC whose STREAMINFO declares no length (total samples 0: what
    ``ffmpeg ... -f flac pipe:`` writes, a valid file): libsndfile counts :data:`UNKNOWN_FRAMES`, and ``f.read(-1)``
    asks for an array that long."""
    return int(f.frames) >= UNKNOWN_FRAMES


def blocks_to_end(f, dtype: str, frames: int = BLOCK_FRAMES) -> Iterator:
    """``f``'s frames from where it stands to its end, as libsndfile decodes them (frames x channels), in blocks
    of ``frames`` (the last one shorter, none empty): how a file of :func:`unknown_length` is read.  soundfile seeks to where each read of a
    seekable file ends, and libFLAC cannot seek to the end of a file of no declared length ("Internal psf_fseek()
    failed" at the last read): ``f`` is read as a stream, as soundfile reads a file that is not seekable."""
    f._info.seekable = 0  # soundfile's SF_INFO of the open file: SoundFile.seekable() reads it
    while len(block := f.read(frames, dtype=dtype, always_2d=True)):
        yield block


def decoded_frames(path: Path) -> int:
    """The frames of the FLAC at ``path`` whose STREAMINFO declares no length (:func:`unknown_length`), counted by
    decoding it to its end (about 2 ms per 10 s of 16 kHz audio); a file that cannot be decoded to its end is the
    ``corrupt`` error, as its decode would be."""
    import soundfile

    try:
        with soundfile.SoundFile(str(path)) as f:
            return sum(len(block) for block in blocks_to_end(f, "int16"))
    except Exception as err:  # libsndfile's RuntimeError/LibsndfileError
        raise BadFileError(
            path,
            "corrupt",
            f"FLAC declares no length and cannot be decoded to its end to count it: {libsndfile_error(err)}",
            "replace it with the original file",
        ) from err


def check_flac_whole(path: Path, f) -> None:
    """Raise the ``truncated`` error where the frame holding the last of the frames that ``path``'s STREAMINFO
    declares (``f.frames``, as libsndfile counts them) cannot be read from ``f``, ``path`` open in libsndfile
    (the open :func:`loaders.wav.libsndfile_info` reads its header in: the file is opened once): one seek and a
    read of one frame (well under 1 ms).  Nothing is checked where STREAMINFO declares no length, or none at all
    (:func:`decoded_frames` decodes such a file whole)."""
    counted_frames = int(f.frames)
    if counted_frames <= 0 or unknown_length(f):
        return
    try:
        f.seek(counted_frames - 1)
        read = len(f.read(1, dtype="int16"))
    except RuntimeError:  # libsndfile's "Internal psf_fseek() failed": libFLAC found no such frame
        read = 0
    if read < 1:
        raise truncated_file(
            path,
            f"FLAC header declares {counted_frames} frames but the audio stops before its last frame: "
            "the file is truncated (or damaged at its end)",
        )
