"""Audio files found in paths and folders, and decoded as a stream of blocks in bounded memory.

Files are judged by their content (:mod:`loaders.audio`), never by their extension.  Decoding never
holds a whole recording: WAV, AIFF, FLAC, OGG and MP3 are read with ``soundfile`` in blocks (an MP3
through FFmpeg where libsndfile would stop short of its end: :mod:`loaders.mp3`), mixed down to mono and
resampled with a streaming soxr resampler (the HQ quality of :func:`loaders.audio.resample`); MP4/M4A audio comes
through an FFmpeg pipe, mixed down and resampled by FFmpeg exactly as :func:`loaders.audio.decode`
does.  (torchcodec's ``AudioDecoder.get_samples_played_in_range`` re-decodes from the start of the
file for every range, so reading an hour in blocks that way takes time quadratic in its length.)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loaders.audio import AudioInfo, length_hold, needs_ffmpeg, probe, why_ffmpeg
from loaders.channels import ChannelMeter
from loaders.errors import SKIP_IT, BadFileError, CorpusError, libsndfile_error, spoken
from loaders.ffmpeg import ffmpeg_blocks, missing_ffmpeg, needs_ffmpeg_skip
from loaders.flac import blocks_to_end, unknown_length
from loaders.hold import LengthHold
from loaders.levels import ClipMeter, ClippedAudioWarning, as_float32, downmix, measure_dtype
from loaders.mp3 import mpg123_messages
from loaders.skips import SkipReport
from loaders.unread import AUDIO_FORMATS, is_audio
from loaders.walk import not_a_file, walk_files

# Names a folder walk takes as audio without looking; any other file is taken when its content is audio.
AUDIO_SUFFIXES = (".wav", ".wave", ".flac", ".mp3", ".mp4", ".m4a", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc")
BLOCK_S = 5.0  # seconds decoded at a time
_REPLACE = "replace it with the original file"


class PredictError(ValueError):
    """A problem with what ``bimotion predict`` was asked to do (a path, a model, an option)."""


class OptionError(PredictError):
    """A bad option of :func:`bimotion.predict.predict_files`, named as its parameter (``hop_s``): the
    command line names it as its flag (``--hop-s``) instead."""


@dataclass(frozen=True)
class AudioSource:
    """One audio file to predict on: its path, the name written in the output rows, its header, and its
    ``stamp`` when it was listed (:func:`file_stamp`; None: not checked), which every decode checks."""

    path: Path
    name: str
    info: AudioInfo
    stamp: tuple[int, int, int] | None = None


def find_audio(
    paths, *, skip_bad: bool = False, report: SkipReport | None = None
) -> tuple[list[AudioSource], list[str]]:
    """The audio files of ``paths`` (files, and every file below folders, sorted; hidden names are
    never read) with their headers, and the files below folders that are not audio (by content), walked.

    A bad audio file (truncated, an LFS stub, undecodable header) raises
    :class:`~loaders.errors.BadFileError`, or with ``skip_bad`` is counted in ``report``; a path that
    does not exist raises :class:`PredictError`, or with ``skip_bad`` is counted (reason ``missing``);
    paths without any audio raise :class:`PredictError`."""
    report = report if report is not None else SkipReport()
    found: list[AudioSource] = []
    seen: set[Path] = set()
    not_audio: list[str] = []

    def onerror(err: CorpusError) -> None:
        if not skip_bad:
            raise err
        report.add("predict", err)

    for given in paths:
        path = Path(os.path.expanduser(str(given)))
        if path.is_dir():
            candidates = _audio_below(path, onerror, not_audio)
        elif path.is_file():
            candidates = [path]
        elif os.path.lexists(path):  # a pipe (``cat a.wav |``, ``<(...)``), a device, a broken link: named as such
            onerror(_not_file(path))
            continue
        elif skip_bad:  # a file of a list that is gone (moved, deleted since): counted, the others read
            report.add("predict", BadFileError(path, "missing", "no such file or folder", ""))
            continue
        else:
            raise PredictError(
                spoken(f"{given}: no such file or folder\n  fix: correct the path, or pass --skip-bad to skip it")
            )
        for file in candidates:
            key = file.resolve()
            if key in seen:
                report.files[("predict", "duplicate")] += 1  # said in the summary: read once
                continue
            seen.add(key)
            try:
                stamp = file_stamp(file)  # before its header is read: a change from here on is seen
                found.append(AudioSource(file, str(file), probe(file), stamp))
            except CorpusError as err:
                onerror(_user_file(err))
    if not found:
        listed = ", ".join(map(str, paths))
        if report:
            raise PredictError(f"no readable audio file in {listed}: every audio file was skipped, nothing predicted")
        raise PredictError(f"no audio files in {listed}: expected WAV, FLAC, MP3, MP4/M4A, OGG or AIFF files")
    return found, not_audio


def _audio_below(folder: Path, onerror, not_audio: list[str]) -> list[Path]:
    """The audio files below ``folder`` (by name, else by content), in walk order; the others are
    appended to ``not_audio``; a file that cannot be read goes to ``onerror``."""
    found = []
    for file, by_name in walk_files(folder, AUDIO_SUFFIXES, onerror, corpus=False):  # any name is a recording's
        try:
            audio = by_name or (not file.name.startswith(".") and is_audio(file))
        except CorpusError as err:  # a file that cannot be read: whether it is audio is unknown
            onerror(_user_file(err))
            continue
        if audio:
            found.append(file)
        else:
            not_audio.append(str(file))
    return found


def _not_file(path: Path) -> CorpusError:
    """The error for a path given that exists but is no regular file (:func:`loaders.walk.not_a_file`): a pipe is
    not read, since each file is decoded twice (measured, then scored: :mod:`bimotion.predict`)."""
    err = not_a_file(path) or BadFileError(path, "not_regular_file", "not a regular file", "")
    if err.reason != "not_regular_file":
        return _user_file(err)
    return BadFileError(
        path,
        err.reason,
        "not a regular file (a pipe, socket or device): predict decodes each file twice (measured, then scored), "
        "which a pipe cannot give",
        "save the audio to a file and pass that",
        SKIP_IT,
    )


def _user_file(err: CorpusError) -> CorpusError:
    """``err`` with predict's fix: the readers' speaks of a corpus release, here it is the user's file
    (a format that is not read keeps its conversion, which names no release)."""
    if err.reason == "unsupported_format":
        return err
    return type(err)(err.path, err.reason, err.message, "leave it out", SKIP_IT)


def audio_blocks(
    source: AudioSource,
    sample_rate_hz: int,
    *,
    block_s: float = BLOCK_S,
    meter: ClipMeter | None = None,
    findings: list | None = None,
    channels: bool = True,
) -> Iterator[np.ndarray]:
    """Float32 mono samples of ``source`` at ``sample_rate_hz``, in consecutive blocks of about
    ``block_s`` seconds; clipped to [-1, 1] (with a :class:`~loaders.levels.ClippedAudioWarning` when
    the file exceeds full scale), never NaN.  Memory is bounded by the block, whatever the length.
    ``meter`` (a :class:`loaders.levels.ClipMeter` of the file's subtype) measures the file's hard
    clipping on the samples as read, as :func:`loaders.audio.decode_measured` does (what FFmpeg
    decodes, MP4 and MP3, is lossy: not measured).
    A damaged MP3 is held to the length its frames count, and an MP4 to the length its container
    declares, as :func:`loaders.audio.decode` holds them (:func:`loaders.audio.length_hold`).
    ``findings``: a list that what the file's channels were warned of, once it is read to its end
    (:class:`loaders.channels.ChannelFinding`: they cancel in the mix or hold different signals), is appended to;
    ``channels`` False: they are mixed down unmeasured (predict's second, scoring, decode: the first warned)."""
    level = _Level(source.path, channels)
    unchanged(source)
    if source.info.format not in AUDIO_FORMATS:
        raise BadFileError(source.path, "not_audio", f"{source.info.format} is not an audio format", "")
    if needs_ffmpeg(source.path, source.info):
        channels, trim = max(1, source.info.num_channels), source.info.trim
        live = [0]
        if channels > 1:  # a first pass finds the channels that carry a signal, as for libsndfile's formats
            live = _live(ffmpeg_blocks(source.path, sample_rate_hz, block_s, channels, trim=trim), channels)
        blocks = ffmpeg_blocks(source.path, sample_rate_hz, block_s, channels, trim=trim)
        hold = length_hold(source.path, source.info, sample_rate_hz, "FFmpeg")
        for block in blocks if hold is None else hold.blocks(blocks):
            yield level.check(level.mix(block, live, sample_rate_hz))
    else:
        hold = length_hold(source.path, source.info, source.info.sample_rate_hz, "libsndfile")
        meter = meter if meter is not None else ClipMeter(source.info.subtype)
        yield from _soundfile_blocks(source.path, sample_rate_hz, block_s, level, source.info, hold, meter)
    unchanged(source)  # grown as it was read (a recorder still writing it), or replaced
    found = level.warn()
    if findings is not None:
        findings.extend(found)


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """``(size, modified ns, inode)`` of ``path``, or None where it cannot be stat'ed (reading it says why)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def unchanged(source: AudioSource) -> None:
    """Nothing, where ``source``'s file is as it was listed (its :attr:`~AudioSource.stamp`); else the
    :class:`~loaders.errors.BadFileError` saying it is gone (``missing``) or changed (``changed``: written to
    or replaced since, so that a first decode's measures, the length, level and clipping its rows carry, and
    what was scored would not be of one file).  Each decode checks it as it starts and ends."""
    if source.stamp is None:
        return
    now = file_stamp(source.path)
    if now is None:
        raise BadFileError(
            source.path,
            "missing",
            "no such file now: moved or deleted since it was listed",
            "",
            SKIP_IT,
        )
    if now != source.stamp:
        (size, _, inode), (was_size, _, was_inode) = now, source.stamp
        what = "replaced" if inode != was_inode else f"{was_size} -> {size} bytes" if size != was_size else "rewritten"
        raise BadFileError(
            source.path,
            "changed",
            f"changed while predicted ({what}): still being written, or replaced, since it was listed",
            "predict it once nothing writes to it",
            SKIP_IT,
        )


def without_ffmpeg(
    sources: list[AudioSource], *, skip_bad: bool = False, report: SkipReport | None = None
) -> list[AudioSource]:
    """``sources`` when `ffmpeg` is on PATH or none of them needs it; else a
    :class:`~loaders.errors.MissingToolError` naming the files that need it and how to install it, or
    with ``skip_bad`` those files counted in ``report`` (reason ``needs_ffmpeg``) and the others."""
    import shutil

    if shutil.which("ffmpeg") is not None:
        return sources
    needing = {id(source): (source, why) for source in sources if (why := why_ffmpeg(source.path, source.info))}
    if needing and not skip_bad:
        raise missing_ffmpeg([source.path for source, _ in needing.values()])
    report = report if report is not None else SkipReport()
    for source, why in needing.values():
        report.add("predict", needs_ffmpeg_skip(source.path, why))
    skipped = set(needing)
    return [source for source in sources if id(source) not in skipped]


def _live_channels(f, frames: int, path: Path) -> list[int]:
    """:func:`_live` of the open sound file ``f``'s blocks; leaves ``f`` at its start."""
    import soundfile

    try:
        blocks = _blocks(f, frames, "float32")
        live = _live(blocks, f.channels)
    except (RuntimeError, soundfile.LibsndfileError) as err:
        raise BadFileError(path, "corrupt", f"cannot decode audio: {libsndfile_error(err)}", _REPLACE, SKIP_IT) from err
    f.seek(0)
    return live


def _live(blocks: Iterable[np.ndarray], channels: int) -> list[int]:
    """The channels of a file's frames x channels ``blocks`` that carry a signal somewhere (their peak
    around each block's mean above :data:`loaders.levels.SILENT_PEAK_DBFS`) or hold NaN/inf (refused
    later), as :func:`loaders.levels.downmix` keeps them; all when none does."""
    from loaders.levels import SILENT_PEAK_DBFS

    floor, peaks = 10 ** (SILENT_PEAK_DBFS / 20), np.zeros(channels)
    for block in blocks:
        if len(block):
            peaks = np.maximum(peaks, np.abs(block - block.mean(axis=0)).max(axis=0))  # NaN stays NaN: kept
    live = [i for i, peak in enumerate(peaks) if not peak <= floor]
    return live or list(range(channels))


def _soundfile_blocks(
    path: Path,
    sample_rate_hz: int,
    block_s: float,
    level: _Level,
    info: AudioInfo,
    hold: LengthHold | None,
    meter: ClipMeter,
) -> Iterator[np.ndarray]:
    """Blocks read by libsndfile (held to ``hold``'s length) and measured by ``meter`` as read, mixed down
    by the mean of the channels that carry a signal anywhere in the file (a first pass finds them),
    level-checked, resampled by a soxr stream, then clipped (as :func:`loaders.audio.decode`)."""
    import soundfile
    import soxr

    kind = info.format
    # Not loaders.audio.libsndfile_open: it keeps libmpg123's notes caught (file descriptor 2 redirected, a
    # process-wide lock held) for as long as the file is open, and this generator yields every block to the
    # caller (the model) between its reads: the process's standard error (a progress bar, another thread's
    # lines) would be held back and another thread's MP3 read blocked until the whole recording is read.  So
    # the notes are caught around the open and around each read alone.
    try:
        with mpg123_messages(path, kind):  # libmpg123's notes on an MP3: a warning naming it
            f = soundfile.SoundFile(str(path))
    except Exception as err:  # libsndfile's RuntimeError/LibsndfileError
        raise BadFileError(path, "corrupt", f"cannot decode audio: {libsndfile_error(err)}", _REPLACE, SKIP_IT) from err
    with f:
        rate = int(f.samplerate)
        stream = None if rate == sample_rate_hz else soxr.ResampleStream(rate, sample_rate_hz, 1, "float32", "HQ")
        frames = max(1, int(block_s * rate))
        with mpg123_messages(path, kind):
            live = _live_channels(f, frames, path) if f.channels > 1 else [0]
        blocks = _read_blocks(f, frames, path, kind, measure_dtype(info.subtype), meter)
        blocks = blocks if hold is None else hold.blocks(blocks)
        ahead = next(blocks, None)
        while ahead is not None:
            block, ahead = ahead, next(blocks, None)
            mono = level.check(level.mix(block, live, rate))
            if stream is not None:
                mono = np.clip(stream.resample_chunk(np.ascontiguousarray(mono), last=ahead is None), -1.0, 1.0)
            if len(mono):
                yield np.ascontiguousarray(mono, dtype=np.float32)


def _read_blocks(f, frames: int, path: Path, kind: str, dtype: str, meter: ClipMeter) -> Iterator[np.ndarray]:
    """Float32 frames x channels blocks of ``frames`` read from the open sound file ``f`` in ``dtype``
    (:func:`loaders.levels.measure_dtype`), measured by ``meter`` as read, to its end."""
    blocks = _blocks(f, frames, dtype)
    while True:
        try:
            with mpg123_messages(path, kind):
                block = next(blocks, None)
        except Exception as err:
            raise BadFileError(
                path, "corrupt", f"cannot decode audio: {libsndfile_error(err)}", _REPLACE, SKIP_IT
            ) from err
        if block is None:
            return
        meter.add(block)
        yield as_float32(block)


def _blocks(f, frames: int, dtype: str) -> Iterator[np.ndarray]:
    """The open sound file ``f``'s frames x channels, from where it stands to its end, in blocks of ``frames``
    (the last shorter); a FLAC that declares no length as a stream (:func:`loaders.flac.blocks_to_end`: libFLAC
    cannot seek to its end, where a read of a seekable file ends)."""
    if unknown_length(f):
        yield from blocks_to_end(f, dtype, frames)
        return
    while len(block := f.read(frames, dtype=dtype, always_2d=True)) == frames:
        yield block
    yield block


class _Level:
    """NaN/inf refused, samples beyond full scale counted, and the live channels mixed down by the meter that
    says whether they cancel or hold different signals (:class:`loaders.channels.ChannelMeter`: one warning
    per file each), as :func:`loaders.audio.decode` does for a whole file."""

    def __init__(self, path: Path, compare: bool = True):
        self.path = path
        self.compare = compare  # False: the channels mixed down, not measured
        self.over = 0
        self.total = 0
        self.peak = 0.0
        self.channels: ChannelMeter | None = None

    def mix(self, block: np.ndarray, live: list[int], rate_hz: int) -> np.ndarray:
        """Frames x channels ``block`` at ``rate_hz`` as mono: the mean of its ``live`` channels, measured by
        the file's :class:`~loaders.channels.ChannelMeter` where there are several."""
        if len(live) == 1 or not self.compare:
            return downmix(block, live)
        if self.channels is None:
            self.channels = ChannelMeter(rate_hz, live, block.shape[1])
        return self.channels.mix(block)

    def check(self, block: np.ndarray) -> np.ndarray:
        if not np.isfinite(block).all():
            raise BadFileError(self.path, "corrupt", "the audio holds NaN or infinite float samples", _REPLACE, SKIP_IT)
        self.total += block.size
        peak = float(np.max(np.abs(block))) if block.size else 0.0
        if peak > 1.0:
            self.over += int(np.count_nonzero(np.abs(block) > 1.0))
            self.peak = max(self.peak, peak)
            block = np.clip(block, -1.0, 1.0)
        return block

    def warn(self) -> list:
        """The warnings of the file read: its samples beyond full scale, and what its channels' meter found
        (returned: :class:`loaders.channels.ChannelFinding`)."""
        if self.over:
            warnings.warn(
                f"{self.path}: {self.over} of {self.total} samples exceed full scale (peak {self.peak:.3g}); "
                "they are clipped to [-1, 1]",
                ClippedAudioWarning,
                stacklevel=2,
            )
        return [] if self.channels is None else self.channels.warn(self.path, stacklevel=3)
