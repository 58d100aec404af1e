"""The ``ffmpeg`` program, which decodes MP4/M4A audio (ElderReact, users' phone recordings) and MP3
files libsndfile reads only in part (:mod:`loaders.audio`): finding it, the command that decodes a
file to float frames, and the error that says which files need it and how to install it."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import MissingToolError, display

FFMPEG_INSTALL = (
    "install it (Debian/Ubuntu: `apt-get install ffmpeg`, macOS: `brew install ffmpeg`, conda: `conda install ffmpeg`)"
)


def missing_ffmpeg(paths, *, skip_bad: bool = False, shown: int = 3) -> MissingToolError:
    """The error when `ffmpeg` is not on PATH and ``paths`` (the files :func:`loaders.audio.needs_ffmpeg`) need it:
    the first ``shown`` named, how many there are, how to install it, and (unless ``skip_bad`` was
    given already) that ``--skip-bad`` skips them."""
    paths = list(paths)
    names = ", ".join(display(p) for p in paths[:shown]) + (
        f" and {len(paths) - shown} more" if len(paths) > shown else ""
    )
    return MissingToolError(
        f"FFmpeg is needed to decode {len(paths)} file(s) (MP4/M4A audio, or MP3 whose length libsndfile guesses "
        f"short): {names}; but `ffmpeg` is not on PATH: {FFMPEG_INSTALL}"
        + ("" if skip_bad else ", or pass --skip-bad to skip those files")
    )


def ffmpeg() -> str:
    """The ``ffmpeg`` program's path; :class:`~loaders.errors.MissingToolError` saying how to install it."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MissingToolError(
            "FFmpeg is needed to read audio from MP4 files (ElderReact), and MP3 files whose length libsndfile guesses "
            f"short, but `ffmpeg` is not on PATH; {FFMPEG_INSTALL}"
        )
    return exe


def ffmpeg_command(path: Path, sample_rate_hz: int, num_channels: int) -> list[str]:
    """FFmpeg decoding the first sound track of ``path`` to float32 frames of ``num_channels``
    channels at ``sample_rate_hz`` on standard output: the channels stay apart, so that they are
    mixed down as every other format's (:func:`loaders.levels.downmix`, which leaves a silent one out)."""
    try:
        exe = ffmpeg()
    except MissingToolError as err:  # which file needs it: the first one met
        raise MissingToolError(f"{path}: {err}") from None
    return [
        *(exe, "-nostdin", "-v", "error", "-i", str(path), "-vn"),
        *("-ac", str(max(1, num_channels)), "-ar", str(sample_rate_hz), "-f", "f32le", "-"),
    ]
