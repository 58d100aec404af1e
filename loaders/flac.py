"""Whether a FLAC is whole (:func:`check_flac_whole`, for :func:`loaders.audio.probe`): its STREAMINFO
declares its length, which libsndfile counts whatever the file still holds, so a copy cut short passed the
scan and failed only when prepare decoded it ("flac decoder lost sync", reason ``corrupt``).  libFLAC
seeks by the file's bytes to the frame holding a sample: the one holding the last sample declared is read
where the file is whole, and is missing (or unreadable) where the file is cut short."""

from __future__ import annotations

from pathlib import Path

from .errors import truncated_file

UNKNOWN_FRAMES = 2**63 - 1  # libsndfile's count where STREAMINFO declares no length (an encoder writing to a pipe)


def check_flac_whole(path: Path, f) -> None:
    """Raise the ``truncated`` error where the frame holding the last of the frames that ``path``'s STREAMINFO
    declares (``f.frames``, as libsndfile counts them) cannot be read from ``f``, ``path`` open in libsndfile
    (the open :func:`loaders.wav.libsndfile_info` reads its header in: the file is opened once): one seek and a
    read of one frame (well under 1 ms).  Nothing is checked where STREAMINFO declares no length, or none at all."""
    counted_frames = int(f.frames)
    if counted_frames <= 0 or counted_frames >= UNKNOWN_FRAMES:
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
