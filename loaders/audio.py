"""Audio files identified by their content, never by their extension.

``probe`` reads only a file's header (a few KiB) and returns :class:`AudioInfo`; ``decode`` returns
float32 mono samples, resampled with soxr.  Corpora in the wild hold AIFF bytes behind ``.wav``
names, 32-bit float WAVs, git-LFS pointer stubs and truncated downloads; each of these is either
handled or turned into a :class:`~loaders.errors.BadFileError` that names the file and the fix (a file's
format from its first bytes, and the errors of one that is not audio read here: :mod:`loaders.sniff`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from .aiff import check_aiff_length
from .channels import mixed_down
from .errors import BadFileError, MissingToolError, display, impossible_header, libsndfile_error
from .ffmpeg import ffmpeg_decode, ffmpeg_reason
from .flac import blocks_to_end, check_flac_whole, decoded_frames, unknown_length
from .hold import DAMAGE_FRAMES, LengthHold
from .levels import as_float32, check_level, clipped_fraction, downmix, live_channels, measure_dtype
from .mp3 import held_to_count, mp3_file_frames, mp3_irregular, mpg123_messages
from .mp4 import probe_mp4
from .ogg import check_ogg_whole
from .sniff import check_head, sniff, unreadable_file
from .wav import libsndfile_info, probe_wav

_HEADER_BYTES = 64


@dataclass(frozen=True)
class AudioInfo:
    format: str  # wav | aiff | flac | ogg | mp3 | mp4
    sample_rate_hz: int
    num_channels: int
    num_frames: int
    subtype: str = ""  # e.g. PCM_16, FLOAT, aac
    delay_frames: int = 0  # decoded frames before the recording (an MP4's encoder delay): not part of it
    packet_frames: int = 0  # an MP4's longest packet: how far a decode of it may stray from num_frames

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.sample_rate_hz if self.sample_rate_hz else 0.0

    @property
    def trim(self) -> tuple[int, int, int] | None:
        """``(start, end, rate)``: the decoded frames that are an MP4's recording (:mod:`loaders.mp4`), or None."""
        mp4 = self.format == "mp4"
        return (self.delay_frames, self.delay_frames + self.num_frames, self.sample_rate_hz) if mp4 else None


# -------------------------------------------------------------------------------------------- public


def probe(path: str | os.PathLike) -> AudioInfo:
    """Header facts of an audio file, identified by content. Raises BadFileError."""
    path = Path(path)
    try:
        file_size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(_HEADER_BYTES)
            kind = check_head(path, head)
            f.seek(0)
            if kind == "wav":
                return AudioInfo("wav", *probe_wav(path, f, file_size))
            if kind == "mp4":
                mp4 = probe_mp4(path, f, file_size)
                if error := impossible_header(path, kind, mp4.num_channels, mp4.sample_rate_hz):
                    raise error
                return AudioInfo(
                    "mp4", mp4.sample_rate_hz, mp4.num_channels, mp4.num_frames, mp4.codec, mp4.delay_frames,
                    mp4.packet_frames,
                )  # fmt: skip
    except OSError as err:
        raise unreadable_file(path, err) from err
    import soundfile

    if kind == "mp3" and "MP3" not in soundfile.available_formats():
        raise libsndfile_without_mp3(path)
    check = partial(check_flac_whole, path) if kind == "flac" else None  # in libsndfile's one open of the file
    with mpg123_messages(path, kind):
        info = libsndfile_info(
            path, "corrupt", f"{kind.upper()} file cannot be parsed", "replace it with the original file", check
        )
    if error := impossible_header(path, kind, int(info.channels), int(info.samplerate)):
        raise error
    frames = int(info.frames)
    if kind == "flac" and unknown_length(info):  # no length declared (written to a pipe): counted by decoding
        frames = decoded_frames(path)
    if kind == "mp3":  # libsndfile's length of a VBR file without a length header is a guess
        try:
            counted = mp3_file_frames(path)  # exact: the frames, less the LAME tag's delay and padding
        except OSError as err:
            raise unreadable_file(path, err) from err
        frames = frames if counted is None else counted
    try:  # libsndfile counts only the frames (pages) a file cut short still holds (a FLAC's as declared: above)
        if kind == "aiff":
            check_aiff_length(path, frames)
        elif kind == "ogg":
            check_ogg_whole(path)
    except OSError as err:
        raise unreadable_file(path, err) from err
    return AudioInfo(kind, int(info.samplerate), int(info.channels), frames, info.subtype)


def sample_format(path: str | os.PathLike) -> tuple[str, str]:
    """``(format, subtype)`` of a file :func:`probe` has read, as it gives them (``("wav", "PCM_24")``,
    ``("flac", "PCM_16")``, ``("ogg", "VORBIS")``), reading only its header: of an MP3 or an MP4 the format
    alone (subtype ``""``), none of the whole-file reads :func:`probe` makes to check its length (an MP3's
    frames counted, a FLAC's last frame, an Ogg's pages).  Its rate and channels are its record's."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            kind = check_head(path, f.read(_HEADER_BYTES))
            if kind == "wav":
                f.seek(0)
                return kind, probe_wav(path, f, path.stat().st_size)[3]
    except OSError as err:
        raise unreadable_file(path, err) from err
    if kind in ("mp3", "mp4"):
        return kind, ""
    info = libsndfile_info(
        path, "corrupt", f"{kind.upper()} file cannot be parsed", "replace it with the original file"
    )
    return kind, info.subtype


def libsndfile_without_mp3(path: str | os.PathLike) -> MissingToolError:
    """The error for an MP3 where the libsndfile soundfile uses reads none (before 1.1.0, or built
    without it): "MP3 file cannot be parsed ... replace it" of every good MP3 was wrong advice.  No
    fault of the file, so one error (as FFmpeg's absence is), never a skip of each MP3."""
    import soundfile

    version = soundfile.__libsndfile_version__
    why = "reads no MP3 (built without it)"
    if tuple(int(n) for n in re.findall(r"\d+", version)[:2]) < (1, 1):
        why = "is older than 1.1.0, the first libsndfile to read MP3"
    return MissingToolError(
        f"{display(path)} is MP3 audio, but libsndfile {version}, which soundfile {soundfile.__version__} uses, {why}: "
        "every MP3 would fail alike; upgrade soundfile to a wheel that bundles libsndfile 1.1 or later: "
        "`pip install -U soundfile` (where soundfile uses the system's libsndfile, as a conda or distribution "
        "package may, upgrade that libsndfile to 1.1 or later)"
    )


def libsndfile_stops_short(path: str | os.PathLike, info: AudioInfo) -> bool:
    """Whether libsndfile would read less of ``path`` than its :func:`probe` ``info`` counts (FFmpeg then
    reads it whole): an MP3 without a right length header (:mod:`loaders.mp3`), or one with junk between
    its frames or a change of its number of channels (:func:`loaders.mp3.mp3_irregular`), where libsndfile
    may stop, or give up with an error, whatever its header says (read through to find out).  Opened by
    :func:`libsndfile_open`, whose errors it raises."""
    if info.format != "mp3":
        return False
    with libsndfile_open(path) as f:
        if f.frames < info.num_frames or not mp3_irregular(path):
            return f.frames < info.num_frames
        try:
            return sum(iter(lambda: len(f.read(1 << 16, dtype="int16")), 0)) < info.num_frames  # (f.blocks pads)
        except RuntimeError:  # libmpg123 gives up resyncing after 1 KiB of junk ("Unspecified internal error")
            return True


@contextmanager
def libsndfile_open(path: str | os.PathLike) -> Iterator:
    """``path`` open in libsndfile (a ``soundfile.SoundFile``), libmpg123's notes on an MP3 (known by its first
    bytes) a warning naming it (:func:`loaders.mp3.mpg123_messages`): the one opener of :func:`libsndfile_read`,
    :func:`libsndfile_stops_short` and :func:`loaders.identical._window_digest` (not of predict's stream, which
    yields between its reads: ``bimotion.predict.audio._soundfile_blocks`` says why).  Raises OSError and
    libsndfile's errors (RuntimeError, ``soundfile.LibsndfileError``) as they come: decode makes them a
    BadFileError, the window a whole compare."""
    import soundfile

    with open(path, "rb") as head:
        kind = sniff(head.read(16))
    with mpg123_messages(path, kind), soundfile.SoundFile(str(path)) as f:
        yield f


def libsndfile_read(
    path: str | os.PathLike, counted_frames: float | None, *, dtype: str = "float32"
) -> tuple[np.ndarray, int] | None:
    """Frames x channels and their rate as libsndfile reads ``path``; or None for an MP3 it would
    read only in part, fewer frames than ``counted_frames`` (:func:`probe`'s count: its length
    header is a guess, or wrong, :mod:`loaders.mp3`), which is then not decoded at all (FFmpeg reads
    it whole); None too where its read stops short of them all the same, or fails at junk between its
    frames (:func:`libsndfile_stops_short`).  Opened by :func:`libsndfile_open`, whose errors it raises."""
    with libsndfile_open(path) as f:
        counted = counted_frames if f.format == "MP3" else None
        if counted is not None and f.frames < counted:
            return None
        try:
            if unknown_length(f):  # a FLAC of no declared length: read(-1) would allocate 2**63 frames
                samples = np.concatenate([np.empty((0, f.channels), dtype), *blocks_to_end(f, dtype)])
            else:  # GSM 6.10 is not seekable
                samples = f.read(-1 if f.seekable() else f.frames, dtype=dtype, always_2d=True)
        except RuntimeError:
            if counted is None or not mp3_irregular(path):
                raise
            return None  # libmpg123 gave up resyncing at junk between the frames: FFmpeg's to read
        if counted is not None and len(samples) < counted:
            return None
        return samples, int(f.samplerate)


def needs_ffmpeg(path: str | os.PathLike, info: AudioInfo | None = None) -> bool:
    """Whether decoding ``path`` takes FFmpeg: MP4/M4A audio, known by its first bytes, whatever its name,
    or an MP3 that libsndfile would read only in part (:func:`libsndfile_stops_short`).  ``info``: its
    :func:`probe`, where the caller has it (predict's sources); prepare's records are probed here."""
    return bool(why_ffmpeg(path, info))


def why_ffmpeg(path: str | os.PathLike, info: AudioInfo | None = None) -> str:
    """What in ``path`` takes FFmpeg (:func:`needs_ffmpeg`), in words; ``""`` when nothing does."""
    try:
        if info is None:
            with open(path, "rb") as f:
                kind = sniff(f.read(16))
        else:
            kind = info.format
        if kind == "mp4" or (kind == "mp3" and libsndfile_stops_short(path, info or probe(path))):
            return ffmpeg_reason(kind)
        return ""
    except (OSError, BadFileError):
        return ""  # decoding it will report the problem, naming the file


def decode(
    path: str | os.PathLike, sample_rate_hz: int | None = 16000, *, dtype: str = "float32"
) -> tuple[np.ndarray, int]:
    """Mono samples and their rate (``sample_rate_hz``, or the file's if None).

    Every sample format is read as float at its true amplitude (integer PCM of any width, µ-law,
    A-law, 32/64-bit float, AAC), mixed down and resampled in float, then clipped to [-1, 1]:
    float samples beyond full scale clip (with a warning naming the file), they never wrap.
    ``dtype="float32"`` gives those samples; ``dtype="int16"`` gives them as 16-bit integers
    (``round(x * 32768)``, so a 16-bit source at the target rate comes back bit-exact)."""
    samples, rate, _ = decode_measured(path, sample_rate_hz, dtype=dtype)
    return samples, rate


def decode_measured(
    path: str | os.PathLike, sample_rate_hz: int | None = 16000, *, dtype: str = "float32", findings: list | None = None
) -> tuple[np.ndarray, int, float | None]:
    """:func:`decode`, and the source's hard clipping measured in the same pass on the samples as read
    (:func:`loaders.levels.clipped_fraction`: the fraction in runs at full scale; None for a source
    without an exact full scale, and for what FFmpeg decodes: MP4 and MP3, lossy).  ``findings``: a list
    that what its channels' mix was warned of (:class:`loaders.channels.ChannelFinding`) is appended to."""
    if dtype not in ("float32", "int16"):
        raise ValueError(f"dtype must be 'float32' or 'int16', not {dtype!r}")
    path = Path(path)
    info = probe(path)
    if info.format == "mp4":
        return (*_ffmpeg_decode(path, info, sample_rate_hz, dtype, findings), None)
    try:
        # read where its full scale is exact (integer PCM as int32, loaders.levels.measure_dtype), then as
        # float32: every integer format in [-1, 1), float formats as written (an int16 read of a float file
        # would truncate its samples to 0, silence)
        read = libsndfile_read(path, info.num_frames, dtype=measure_dtype(info.subtype))
    except Exception as err:
        raise BadFileError(
            path, "corrupt", f"cannot decode audio: {libsndfile_error(err)}", "replace it with the original file"
        ) from err
    if read is None:  # an MP3 libsndfile would stop short of its end (loaders.mp3): all of it is FFmpeg's
        return (*_ffmpeg_decode(path, info, sample_rate_hz, dtype, findings), None)
    samples, rate = read
    clipped = clipped_fraction(samples, info.subtype)
    samples = as_float32(samples)
    hold = length_hold(path, info, rate, "libsndfile")
    samples = check_level(path, _mono(path, samples if hold is None else hold.whole(samples), rate, findings))
    return _to_dtype(resample(samples, rate, sample_rate_hz), dtype), (sample_rate_hz or rate), clipped


def length_hold(path: str | os.PathLike, info: AudioInfo, rate_hz: int, decoder: str) -> LengthHold | None:
    """What holds a decode of ``path`` (:func:`probe`'s ``info``) at ``rate_hz`` by ``decoder`` to the
    length ``info`` counts (:class:`loaders.hold.LengthHold`): an MP3's, where damage makes decoders
    disagree with its frames; an MP4's, where its codec's decoder (Vorbis in MP4) or damage (a cut
    ``mdat``) gives another length than its container declares, within two of its longest packets; None
    for other formats, whose decoders read the length they declare."""
    if info.format == "mp4":
        slack_frames = DAMAGE_FRAMES * max(1, info.packet_frames)
        return LengthHold.at_rate(path, info.num_frames, slack_frames, info.sample_rate_hz, rate_hz, decoder, "mp4")
    return held_to_count(path, info.num_frames, info.sample_rate_hz, rate_hz, decoder) if info.format == "mp3" else None


def _ffmpeg_decode(
    path: Path, info: AudioInfo, sample_rate_hz: int | None, dtype: str, findings: list | None = None
) -> tuple[np.ndarray, int]:
    """:func:`decode` through FFmpeg (:func:`loaders.ffmpeg.ffmpeg_decode`): an MP4 cut to its recording,
    an MP3 held to its frames' count (:func:`length_hold`)."""
    rate = sample_rate_hz or info.sample_rate_hz
    frames = ffmpeg_decode(path, rate, info.num_channels, trim=info.trim)
    hold = length_hold(path, info, rate, "FFmpeg")
    frames = frames if hold is None else hold.whole(frames)
    return _to_dtype(check_level(path, _mono(path, frames, rate, findings)), dtype), rate


def _mono(path: Path, channels: np.ndarray, rate_hz: int, findings: list | None = None) -> np.ndarray:
    """Frames x channels at ``rate_hz`` mixed down (:func:`loaders.levels.downmix`), warning when they
    cancel, or hold different signals (two speakers: :func:`loaders.channels.mixed_down`)."""
    if channels.shape[1] == 1:
        return downmix(channels)
    return mixed_down(path, channels, rate_hz, live_channels(channels), findings)


def _to_dtype(samples: np.ndarray, dtype: str) -> np.ndarray:
    """Float samples clipped to [-1, 1] (never wrapped) as float32 or as int16 (``round(x * 32768)``)."""
    samples = np.clip(samples, -1.0, 1.0)
    if dtype == "int16":
        return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)
    return np.ascontiguousarray(samples, dtype=np.float32)


def resample(samples: np.ndarray, from_hz: int, to_hz: int | None) -> np.ndarray:
    """soxr high-quality resampling; float32 and int16 samples keep their dtype (int16 output is
    clipped by soxr, float32 output may overshoot full scale slightly)."""
    if to_hz is None or from_hz == to_hz:
        return np.ascontiguousarray(samples)
    import soxr

    return soxr.resample(np.ascontiguousarray(samples), from_hz, to_hz, quality="HQ")
