"""How long finding identical audio (:func:`loaders.identical.identical_audio`) takes on a corpus of one's
own whose clips all have one length, against comparing every clip whole as it did before.

    python bench/bench_identical.py [--files 1000] [--copies 10] [--seconds 3] [--repeats 3] [--workdir DIR]

A user's corpus of ``--files`` distinct 16-bit mono WAVs of ``--seconds`` s at 48 kHz, each beginning with
0.3 s of digital silence (speech-like sound from :mod:`loaders.testing.synth`: a pool of 8 voices, each
clip made distinct by its own faint noise), plus ``--copies`` exact copies of some of them under other
names.  Timed in this one process, wall seconds, the best of ``--repeats`` (the page cache warm):

- ``every clip whole`` (the baseline, 1.00): each clip of a shared rate and duration decoded whole and
  hashed (:func:`loaders.identical._content_digest`), as :func:`identical_audio` did before its window;
- ``window first``: :func:`identical_audio` as it is, which reads a window from the middle of each clip
  and decodes whole only those whose windows match.

Both must find the same sets (the script stops if not).  Ratios are against the baseline of the same run.
"""

from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time
from pathlib import Path

import numpy as np

RATE_HZ = 48000


def every_clip_whole(records) -> list[tuple[str, ...]]:
    """:func:`loaders.identical.identical_audio` before the window (the reference): every clip that shares
    its rate and duration with another decoded whole."""
    from loaders.identical import _content_digest

    alike = collections.defaultdict(list)
    for r in records:
        alike[(r.sample_rate_hz, r.duration_s)].append(r)
    by_content = collections.defaultdict(list)
    for group in alike.values():
        if len(group) > 1:
            for r in group:
                digest = _content_digest(r.path, round(r.duration_s * r.sample_rate_hz))
                if digest is not None:
                    by_content[digest].append(r.id)
    return sorted(tuple(sorted(ids)) for ids in by_content.values() if len(ids) > 1)


def make_records(root: Path, files: int, copies: int, seconds: float) -> list:
    import dataclasses
    import shutil

    import soundfile

    import loaders
    from loaders.testing.synth import make_voice, synthesize

    frames = round(seconds * RATE_HZ)
    silence = round(0.3 * RATE_HZ)
    pool = []
    for v in range(8):
        voice = make_voice(f"s{v}", "fm"[v % 2], "eld")
        speech = synthesize(
            ("anger",), voice, "eng", duration_s=seconds, sample_rate_hz=RATE_HZ, rng=np.random.default_rng(v)
        )
        pool.append(0.5 * speech[: frames - silence] / np.abs(speech).max())
    template = loaders.Utterance(
        id="x", corpus="mine", path="", language="eng", age_group="eld", emotions=("anger",),
        label_space=("anger",), duration_s=frames / RATE_HZ, sample_rate_hz=RATE_HZ,
    )  # fmt: skip
    root.mkdir(parents=True)
    names = []
    for i in range(files):
        samples = np.zeros(frames, np.float32)
        samples[silence:] = pool[i % len(pool)] + 1e-3 * np.random.default_rng(1000 + i).standard_normal(
            frames - silence
        )
        names.append(f"{i:05d}.wav")
        soundfile.write(root / names[-1], samples, RATE_HZ, subtype="PCM_16")
    for c in range(copies):
        shutil.copyfile(root / names[c * files // max(copies, 1)], root / f"copy{c:03d}.wav")
        names.append(f"copy{c:03d}.wav")
    return [dataclasses.replace(template, id=f"mine/{n}", path=str(root / n)) for n in names]


def wall_seconds(run, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000, help="distinct clips (default: 1000)")
    parser.add_argument("--copies", type=int, default=10, help="copies of some of them (default: 10)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of every clip (default: 3)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each, the best kept (default: 3)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the corpus is generated")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from loaders.identical import identical_audio

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        records = make_records(Path(tmp) / "mine", args.files, args.copies, args.seconds)
        megabytes = sum(os.path.getsize(r.path) for r in records) / 1e6
        every_clip_whole(records)  # warm the page cache and the imports
        old_s, old = wall_seconds(lambda: every_clip_whole(records), args.repeats)
        new_s, new = wall_seconds(lambda: identical_audio(records), args.repeats)
    if new != old:
        raise SystemExit(f"the sets differ: {len(old)} compared whole, {len(new)} with the window first")
    print(
        f"{len(records)} clips ({args.files} distinct + {args.copies} copies), {args.seconds:g} s at {RATE_HZ} Hz, "
        f"{megabytes:.0f} MB; {len(new)} sets found by both; best of {args.repeats}, one process"
    )
    print(f"{'':20} {'seconds':>8} {'ms/file':>8} {'vs baseline':>12}")
    for name, seconds in (("every clip whole", old_s), ("window first", new_s)):
        print(f"{name:20} {seconds:8.2f} {1000 * seconds / len(records):8.2f} {seconds / old_s:12.3f}")


if __name__ == "__main__":
    main()
