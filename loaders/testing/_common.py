"""The writer every fixture generator uses: synthesised audio in any format, bad-file planting,
and cheap full-size trees by hard-linking from a pool."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .synth import make_voice, stable_seed, synthesize

# (container, subtype) pairs FixtureWriter.audio writes: every sample format the corpora are known
# to use or that libsndfile writes losslessly-enough; tests/test_audio_levels.py round-trips each.
AUDIO_FORMATS: tuple[tuple[str, str], ...] = (
    *(("WAV", s) for s in ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW")),
    *(("AIFF", s) for s in ("PCM_S8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW")),
    *(("FLAC", s) for s in ("PCM_S8", "PCM_16", "PCM_24")),
    ("MP4", "AAC"),  # audio-only MP4 through the `ffmpeg` CLI
)


class Sizes:
    NAMES = ("small", "full")


class FixtureWriter:
    """Writes fixture files below ``out_dir``; deterministic for a given seed.

    In ``small`` size every file is synthesised; in ``full`` size files come from a pool of
    ``pool_size`` sounds per (speaker, emotion set, rate, format) and are hard-linked (copied where
    the file system cannot link).  ``scale`` (small size only) writes about ``scale`` times the small
    size's clips per group and split, every one synthesised (distinct audio, e.g. for a demo that
    trains on them); 1 leaves the small corpora byte-identical.
    """

    def __init__(self, out_dir: Path, *, seed: int = 0, size: str = "small", pool_size: int = 2, scale: int = 1):
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be a whole number >= 1, not {scale!r}")
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.size = size
        self.pool_size = pool_size
        self.pool_dir = self.out_dir / ".fixture-pool"
        self.full = size == "full"
        self.scale = scale

    # ------------------------------------------------------------------ audio
    def audio(
        self,
        path: str | os.PathLike,
        *,
        speaker: str,
        gender: str | None,
        age_group: str,
        language: str,
        emotions,
        sample_rate_hz: int = 16000,
        subtype: str = "PCM_16",
        container: str = "WAV",
        duration_s: float | None = None,
    ) -> Path:
        """Write a speech-like clip in one of :data:`AUDIO_FORMATS` (``container``: WAV, AIFF, FLAC
        or MP4; ``subtype``: its sample format)."""
        if (container, subtype) not in AUDIO_FORMATS:
            raise ValueError(
                f"the fixture writer does not write {container}/{subtype}; choose one of "
                f"{', '.join('/'.join(f) for f in AUDIO_FORMATS)} (or add it to AUDIO_FORMATS and its round-trip test)"
            )
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        emotions = tuple(emotions)
        clip = (speaker, gender, age_group, language, emotions, sample_rate_hz, subtype, container)  # as _render takes
        if self.full:
            slot = stable_seed(path.name, self.seed) % self.pool_size
            key = f"{speaker}-{'+'.join(emotions) or 'none'}-{sample_rate_hz}-{subtype}-{container}-{slot}"
            pooled = self.pool_dir / f"{key}.{container.lower()}"
            if not pooled.exists():
                self._render(pooled, *clip, duration_s or 0.4, key)
            _link(pooled, path)
            return path
        if duration_s is None:
            duration_s = 0.8 + 0.8 * (stable_seed("dur", path.name, self.seed) % 1000) / 1000
        self._render(path, *clip, duration_s, path.name)
        return path

    def _render(self, path, speaker, gender, age_group, language, emotions, rate, subtype, container, duration_s, key):
        import soundfile

        path.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(stable_seed("clip", key, self.seed))
        voice = make_voice(speaker, gender, age_group, seed=self.seed)
        samples = synthesize(emotions, voice, language, duration_s=duration_s, sample_rate_hz=rate, rng=rng)
        if path.exists():
            path.unlink()  # never write through a hard link into the pool
        if container == "MP4":
            _write_mp4(path, samples, rate)
            return
        soundfile.write(str(path), samples, rate, subtype=subtype, format=container)
        if subtype in ("FLOAT", "DOUBLE"):
            _zero_peak_timestamp(path)

    def samples(self, *, speaker, gender, age_group, language, emotions, duration_s=1.0, sample_rate_hz=16000):
        """The raw samples (for containers soundfile cannot write, e.g. MP4 through FFmpeg)."""
        rng = np.random.default_rng(stable_seed("clip", speaker, "+".join(emotions), self.seed))
        voice = make_voice(speaker, gender, age_group, seed=self.seed)
        return synthesize(emotions, voice, language, duration_s=duration_s, sample_rate_hz=sample_rate_hz, rng=rng)

    # ------------------------------------------------------------------ bad inputs
    @staticmethod
    def lfs_pointer(path: str | os.PathLike) -> Path:
        """A git-LFS pointer stub, as a GitHub zip download of CREMA-D contains."""
        path = _fresh(path)
        oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
        path.write_text(f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 85484\n")
        return path

    @staticmethod
    def truncate(path: str | os.PathLike, keep_bytes: int = 100) -> Path:
        """Cut a written file short, as an interrupted download leaves it."""
        path = Path(path)
        data = path.read_bytes()[:keep_bytes]
        path.unlink()  # break a hard link instead of truncating the pooled original
        path.write_bytes(data)
        return path

    @staticmethod
    def not_audio(path: str | os.PathLike) -> Path:
        path = _fresh(path)
        path.write_bytes(b"<html><body>404 Not Found</body></html>\n")
        return path

    def text(self, path: str | os.PathLike, content: str, encoding: str = "utf-8") -> Path:
        path = _fresh(path)
        path.write_bytes(content.encode(encoding))
        return path


def _fresh(path: str | os.PathLike) -> Path:
    """A path ready to be written: parents made, and any existing file (maybe a hard link into the
    pool) removed first, so writing never changes the pooled original."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    return path


def _write_mp4(path: Path, samples: np.ndarray, rate: int) -> None:
    """Audio-only MP4 (AAC) through the `ffmpeg` CLI, bit-exact for a given input."""
    import soundfile

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("writing an MP4 fixture needs the `ffmpeg` CLI on PATH (apt-get install ffmpeg)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "in.wav"
        soundfile.write(str(wav), samples, rate, subtype="FLOAT")
        flags = ["-c:a", "aac", "-b:a", "128k", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
        proc = subprocess.run(
            [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(wav), *flags, str(path)], capture_output=True
        )
    if proc.returncode:
        raise RuntimeError(f"ffmpeg failed to write {path}: {proc.stderr.decode()[-500:]}")


def _zero_peak_timestamp(path: Path) -> None:
    """libsndfile stamps a float WAV's PEAK chunk with the time of writing; zero it so that the same
    seed gives byte-identical files."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PEAK", 12)
    if at >= 0:
        data[at + 12 : at + 16] = bytes(4)  # PEAK: id, size, version, timestamp
        path.write_bytes(bytes(data))


def _link(src: Path, dst: Path) -> None:
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
