"""FFmpeg, the one way to audio libsndfile does not read: MP4/M4A (AAC), and MP3s that libsndfile
would read only in part (:mod:`loaders.mp3`); :func:`missing_ffmpeg` is the error that names the files
that need it when it is not installed.  :func:`loaders.audio.decode` reads a whole file
through :func:`ffmpeg_decode`, ``bimotion predict`` streams one through :func:`ffmpeg_blocks`; both
run :func:`ffmpeg_command`, so both give the same samples.

An MP4's sound track is decoded as stored (FFmpeg's own edit-list and iTunSMPB handling is off,
which differs between its versions and never cuts the encoder's padding at the end) and then cut
to the recording the container declares (``trim``: :class:`loaders.mp4.Mp4Audio`'s delay and
length) before it is resampled: a clip is as long as the one encoded and starts where it did.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import SKIP_IT, BadFileError, MissingToolError, some_files

_REPLACE = "replace it with the original file"

NEEDS_FFMPEG = "MP4/M4A audio, or MP3s that libsndfile reads only in part"  # what FFmpeg decodes, in words
FFMPEG_INSTALL = (
    "install it (Debian/Ubuntu: `apt-get install ffmpeg`, macOS: `brew install ffmpeg`, conda: `conda install ffmpeg`)"
)


def missing_ffmpeg(paths, *, skip_bad: bool = False, shown: int = 3) -> MissingToolError:
    """The error when `ffmpeg` is not on PATH and ``paths`` (the files :func:`loaders.audio.needs_ffmpeg`)
    need it: the first ``shown`` named, how many there are, how to install it, and (unless ``skip_bad``
    was given already) that ``--skip-bad`` skips them."""
    paths = list(paths)
    needed = f"FFmpeg is needed to decode {len(paths)} file(s): {some_files(paths, shown)} ({NEEDS_FFMPEG})"
    skip = "" if skip_bad else ", or pass --skip-bad to skip those files"
    return MissingToolError(f"{needed}; `ffmpeg` is not on PATH: {FFMPEG_INSTALL}{skip}")


MP4_AUDIO = "MP4/M4A audio"  # why a file takes FFmpeg (loaders.audio.why_ffmpeg, bimotion predict)
MP3_IN_PART = "an MP3 that libsndfile reads only in part"


def ffmpeg_reason(kind: str) -> str:
    """Why a file of ``kind`` (:attr:`loaders.audio.AudioInfo.format`) that is decoded by FFmpeg takes
    it, in words: :data:`MP4_AUDIO`, or :data:`MP3_IN_PART`."""
    return MP4_AUDIO if kind == "mp4" else MP3_IN_PART


def needs_ffmpeg_skip(path, why: str) -> BadFileError:
    """The counted skip (``needs_ffmpeg``) of a file that takes FFmpeg for ``why`` (:data:`MP4_AUDIO`,
    :data:`MP3_IN_PART`) when `ffmpeg` is not on PATH and ``--skip-bad`` was given."""
    message = f"FFmpeg is needed to decode it ({why}), but `ffmpeg` is not on PATH"
    return BadFileError(path, "needs_ffmpeg", message, f"{FFMPEG_INSTALL}, then run again")


def ffmpeg() -> str:
    """The ``ffmpeg`` program's path; :class:`~loaders.errors.MissingToolError` saying how to install it."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MissingToolError(
            f"FFmpeg is needed to read {NEEDS_FFMPEG}, but `ffmpeg` is not on PATH; {FFMPEG_INSTALL}"
        )
    return exe


def ffmpeg_command(
    path: Path, sample_rate_hz: int, num_channels: int, *, trim: tuple[int, int, int] | None = None
) -> list[str]:
    """FFmpeg decoding the first sound track of ``path`` to float32 frames of ``num_channels``
    channels at ``sample_rate_hz`` on standard output: the channels stay apart, so that they are
    mixed down as every other format's (:func:`loaders.levels.downmix`, which leaves a silent one out).

    ``trim`` (an MP4's ``(start, end, rate)``: frames at its container's rate, :attr:`loaders.audio.AudioInfo.trim`)
    keeps those decoded frames only, counted from the first frame the codec puts out (at that rate: a
    decoder that puts out another, HE-AAC's SBR twice it, is resampled to it first; equal rates pass as they are)."""
    try:
        exe = ffmpeg()
    except MissingToolError as err:  # which file needs it: the first one met
        raise MissingToolError(f"{path}: {err}") from None
    command = [exe, "-nostdin", "-v", "error"]
    if trim is not None:  # every decoded frame, whatever edit list or iTunSMPB tag FFmpeg would apply itself
        command += ["-ignore_editlist", "1", "-flags2", "+skip_manual"]
    command += ["-i", str(path), "-vn"]
    if trim is not None:  # before the resampler, at the container's rate (HE-AAC's SBR decodes at twice it)
        start, end, rate = trim
        command += ["-af", f"aresample={rate},atrim=start_sample={start}:end_sample={end}"]
    return [*command, "-ac", str(max(1, num_channels)), "-ar", str(sample_rate_hz), "-f", "f32le", "-"]


def ffmpeg_decode(
    path: Path, sample_rate_hz: int, num_channels: int, *, trim: tuple[int, int, int] | None = None
) -> np.ndarray:
    """Frames x ``num_channels`` of :func:`ffmpeg_command`'s output, the whole file at once."""
    proc = subprocess.run(ffmpeg_command(path, sample_rate_hz, num_channels, trim=trim), capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip()[-300:]
        raise BadFileError(path, "corrupt", f"FFmpeg cannot decode the audio: {message}", _REPLACE, SKIP_IT)
    samples = np.frombuffer(proc.stdout, dtype=np.float32)
    channels = max(1, num_channels)
    return samples[: len(samples) - len(samples) % channels].reshape(-1, channels)


def ffmpeg_blocks(
    path: Path, sample_rate_hz: int, block_s: float, num_channels: int, *, trim: tuple[int, int, int] | None = None
) -> Iterator[np.ndarray]:
    """Blocks of frames x ``num_channels`` of :func:`ffmpeg_command`'s output, about ``block_s``
    seconds each, read from a pipe; the process never outlives the generator."""
    channels = max(1, num_channels)
    cmd = ffmpeg_command(path, sample_rate_hz, channels, trim=trim)
    frame_bytes = 4 * channels
    nbytes = frame_bytes * max(1, int(block_s * sample_rate_hz))
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
        try:
            while True:
                data = proc.stdout.read(nbytes)
                usable = len(data) - len(data) % frame_bytes
                if usable:
                    yield np.frombuffer(data[:usable], dtype=np.float32).reshape(-1, channels).copy()
                if len(data) < nbytes:
                    break
            if proc.wait() != 0:
                errors.seek(0)
                message = errors.read().decode(errors="replace").strip()[-300:]
                raise BadFileError(path, "corrupt", f"FFmpeg cannot decode the audio: {message}", _REPLACE, SKIP_IT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
