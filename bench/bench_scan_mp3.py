"""How much of scanning a corpus of MP3s the per-file frame count takes, and what its cache saves.

    python bench/bench_scan_mp3.py [--files 400] [--seconds 6] [--repeats 3] [--workdir DIR]

A user's own corpus (``metadata.csv`` + MP3s, the audiofolder layout) is generated: speech-like
clips (:mod:`loaders.testing.synth`) at 44.1 kHz, half encoded by libsndfile (a LAME header), half
by the ffmpeg CLI as VBR without a header (libsndfile guesses their length, so the count decides).
Then, in this one process, each timed in CPU seconds (the best of ``--repeats``):

- ``scan, counts not cached``: :func:`loaders.manifest.scan` with the count cache emptied first,
  each MP3's frames counted (the baseline, 1.00; what every scan did before the cache);
- ``scan, counts cached``: the same scan again, the counts from the cache
  (:func:`loaders.mp3.mp3_file_frames`, keyed by path, size, mtime and inode);
- ``frame counts alone``: :func:`loaders.mp3.mp3_file_frames` over the files, not cached and cached.

Ratios are against the baseline of the same run, so they carry between machines better than seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

RATE_HZ = 44100
EMOTIONS = ("neutral", "happiness", "sadness", "anger")


def make_corpus(root: Path, files: int, seconds: float) -> Path:
    import soundfile

    from loaders.testing.synth import make_voice, synthesize

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("this benchmark needs the ffmpeg CLI (apt-get install ffmpeg)")
    clips = root / "clips"
    clips.mkdir(parents=True)
    rows = ["file_name,emotion,language,age_group,speaker_id"]
    for i in range(files):
        emotion = EMOTIONS[i % len(EMOTIONS)]
        voice = make_voice(f"s{i % 7}", "fm"[i % 2], "eld")
        rng = np.random.default_rng(i)
        samples = synthesize((emotion,), voice, "eng", duration_s=seconds, sample_rate_hz=RATE_HZ, rng=rng)
        path = clips / f"{i:04d}.mp3"
        if i % 2:
            wav = root / "tmp.wav"
            soundfile.write(wav, samples, RATE_HZ, subtype="PCM_16")
            command = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-q:a", "4"]
            subprocess.run([*command, "-write_xing", "0", str(path)], check=True)
            wav.unlink()
        else:
            soundfile.write(path, samples, RATE_HZ, format="MP3")
        rows.append(f"clips/{path.name},{emotion},eng,eld,s{i % 7}")
    (root / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def cpu_seconds(run, repeats: int, before=None) -> float:
    best = float("inf")
    for _ in range(repeats):
        if before is not None:
            before()
        t0 = time.process_time()
        run()
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=400, help="MP3 files in the corpus (default: 400)")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each clip (default: 6)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each, the best kept (default: 3)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the corpus is generated")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from loaders.manifest import scan
    from loaders.mp3 import _file_frames, mp3_file_frames

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        root = make_corpus(Path(tmp) / "mine", args.files, args.seconds)
        paths = sorted((root / "clips").glob("*.mp3"))
        megabytes = sum(p.stat().st_size for p in paths) / 1e6
        sources = {"mine": str(root)}
        scan(sources, progress=False)  # warm the page cache and the imports

        def scan_once():
            records, _ = scan(sources, progress=False)
            assert len(records) == args.files

        def count_all():
            for p in paths:
                mp3_file_frames(p)

        results = [
            ("scan, counts not cached", cpu_seconds(scan_once, args.repeats, _file_frames.cache_clear)),
            ("scan, counts cached", cpu_seconds(scan_once, args.repeats)),
            ("frame counts alone, not cached", cpu_seconds(count_all, args.repeats, _file_frames.cache_clear)),
            ("frame counts alone, cached", cpu_seconds(count_all, args.repeats)),
        ]
    baseline = results[0][1]
    print(f"{args.files} MP3 files, {args.seconds:g} s each, {megabytes:.1f} MB; best of {args.repeats}, one process")
    print(f"{'':32} {'CPU s':>7} {'ms/file':>8} {'vs baseline':>12}")
    for name, seconds in results:
        print(f"{name:32} {seconds:7.3f} {1000 * seconds / args.files:8.2f} {seconds / baseline:12.2f}")


if __name__ == "__main__":
    main()
