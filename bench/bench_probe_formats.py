"""What :func:`loaders.audio.probe` costs per file, by format: the FLAC and Ogg checks that a file is whole.

    python bench/bench_probe_formats.py [--files 200] [--minutes 30] [--repeats 3] [--wavs DIR] [--formats flac ogg]

Clips (speech-like, :mod:`loaders.testing.synth`, 4 s at 16 kHz; or the first ``--files`` WAVs under
``--wavs``, e.g. a corpus of one's own) are written as FLAC (PCM_16); one long recording of ``--minutes``
at 16 kHz is written as Ogg Vorbis and as Ogg Opus.  Each is probed ``--repeats`` times, in this one
process, warm page cache; the best wall time is kept, in milliseconds per file.  Beside each, the same
files through ``soundfile.info`` alone (libsndfile's header read, the floor no check can go under).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

RATE_HZ = 16000


def make_flacs(root: Path, files: int, wavs: Path | None) -> list[Path]:
    import soundfile

    from loaders.testing.synth import make_voice, synthesize

    paths = []
    sources = sorted(wavs.rglob("*.wav"))[:files] if wavs else [None] * files
    for i, source in enumerate(sources):
        if source is None:
            voice = make_voice(f"s{i % 7}", "fm"[i % 2], "adu")
            rng = np.random.default_rng(i)
            samples = synthesize(("neutral",), voice, "zho", duration_s=4.0, sample_rate_hz=RATE_HZ, rng=rng)
            rate = RATE_HZ
        else:
            samples, rate = soundfile.read(source, dtype="int16")
        path = root / f"{i:04d}.flac"
        soundfile.write(path, samples, rate, subtype="PCM_16")
        paths.append(path)
    return paths


def make_long_ogg(root: Path, minutes: float, subtype: str) -> Path:
    import soundfile

    rng = np.random.default_rng(0)
    path = root / f"long_{subtype.lower()}.ogg"
    block = RATE_HZ * 60
    t = np.arange(block) / RATE_HZ
    with soundfile.SoundFile(path, "w", RATE_HZ, 1, format="OGG", subtype=subtype) as f:
        for _ in range(int(minutes)):
            f.write((0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(block)).astype("float32"))
    return path


def best_ms_per_file(run, paths: list[Path], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for path in paths:
            run(path)
        best = min(best, time.perf_counter() - t0)
    return 1000 * best / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200, help="FLAC clips (default: 200)")
    parser.add_argument("--minutes", type=float, default=30, help="length of the long Ogg recordings (default: 30)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each, the best kept (default: 3)")
    parser.add_argument("--wavs", type=Path, help="a folder of WAVs to convert to FLAC (default: generated clips)")
    parser.add_argument(
        "--formats", nargs="+", choices=("flac", "ogg"), default=["flac", "ogg"], help="(default: both)"
    )
    args = parser.parse_args()
    import soundfile

    from loaders.audio import probe

    with tempfile.TemporaryDirectory(prefix="bench-probe-formats-") as tmp:
        root = Path(tmp)
        cases = []
        if "flac" in args.formats:
            cases.append((f"FLAC ({args.files} clips)", make_flacs(root, args.files, args.wavs)))
        for subtype in ("VORBIS", "OPUS") if "ogg" in args.formats else ():
            cases.append(
                (f"Ogg {subtype.title()} ({args.minutes:g} min)", [make_long_ogg(root, args.minutes, subtype)])
            )
        print("| files | probe, ms per file | soundfile.info alone, ms per file |")
        print("|---|--:|--:|")
        for name, paths in cases:
            probe_ms = best_ms_per_file(probe, paths, args.repeats)
            info_ms = best_ms_per_file(lambda p: soundfile.info(str(p)), paths, args.repeats)
            print(f"| {name} | {probe_ms:.3f} | {info_ms:.3f} |")


if __name__ == "__main__":
    main()
