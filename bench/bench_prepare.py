"""How fast `bimotion prepare` turns the real CSED (652 WAVs, 44.1 kHz) into a prepared dataset,
against a naive baseline, and how fast a training batch is read back from it.

    python bench/bench_prepare.py [--csed DIR] [--num-proc N] [--workdir DIR] [--scaling]

1. prepare: ``bimotion.prepare.prepare`` (decode + soxr resample + FLAC + streamed Parquet) with
   ``--num-proc`` processes, against the naive way: per file ``soundfile.read`` +
   ``scipy.signal.resample_poly`` (librosa-style load-and-resample, one process), all arrays kept,
   then ``Dataset.from_dict`` with an ``Audio`` column and ``to_parquet``.  Each runs in a fresh
   process, after one warm-up pass over the files for the page cache, with ``datasets`` (and, for
   the baseline, torch/torchcodec warmed by one encode) imported before the clock starts.
   Reported: wall-clock and per-CPU-second rates (utterances, audio seconds; CPU time of the
   process and its workers, which stays meaningful on a busy machine), and peak RSS (ru_maxrss of
   the main process and of its largest worker).
2. read: the prepared ``zho_eld`` config, one process, batches of 16: stored bytes decoded with
   soundfile and collated into a padded array (``bimotion.data.reading.decode_batch``), against the
   default ``datasets`` ``Audio`` access (torchcodec ``AudioDecoder`` per row) + the same collate.
3. ``--scaling``: peak memory of prepare on a generated full-size CREMA-D (7442 files) too, to show
   that it does not grow with the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CSED = REPO.parent / "shared" / "corpora" / "csed"
BATCH = 16


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (the workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mb() -> dict:
    return {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


# --------------------------------------------------------------------------------- child runs


def run_ours(corpus: str, root: str, out: str, num_proc: int) -> dict:
    import datasets  # noqa: F401  (imported by both runs before their clocks start)

    from bimotion.prepare import prepare

    start, cpu = time.perf_counter(), _cpu_s()
    result = prepare({corpus: root}, out, num_proc=num_proc, progress=False)
    seconds, cpu = time.perf_counter() - start, _cpu_s() - cpu
    rows = sum(s["rows"] for s in result.info["shards"])
    audio_s = sum(s["duration_s"] for s in result.info["shards"])
    return {"seconds": seconds, "cpu_s": cpu, "rows": rows, "audio_s": audio_s, **_peak_mb()}


def run_naive(root: str, out: str) -> dict:
    import math

    import numpy as np
    import scipy.signal
    import soundfile
    import torchcodec.encoders  # noqa: F401  (datasets' Audio encoding imports it; keep it off the clock)
    from datasets import Audio, Dataset, Features, Value

    Dataset.from_dict(
        {"a": [{"array": np.zeros(160, np.float32), "sampling_rate": 16000}]}, features=Features({"a": Audio()})
    )

    start, cpu = time.perf_counter(), _cpu_s()
    paths = sorted(Path(root).rglob("*.wav"))
    arrays, labels = [], []
    for path in paths:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
        mono = samples.mean(axis=1)
        g = math.gcd(16000, rate)
        arrays.append(scipy.signal.resample_poly(mono, 16000 // g, rate // g).astype(np.float32))
        labels.append(path.parent.name)
    features = Features({"audio": Audio(sampling_rate=16000), "label": Value("string")})
    ds = Dataset.from_dict(
        {"audio": [{"array": a, "sampling_rate": 16000} for a in arrays], "label": labels}, features=features
    )
    ds.to_parquet(out)
    seconds, cpu = time.perf_counter() - start, _cpu_s() - cpu
    audio_s = sum(len(a) for a in arrays) / 16000
    return {"seconds": seconds, "cpu_s": cpu, "rows": len(paths), "audio_s": audio_s, **_peak_mb()}


def run_read(out: str, cache: str) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from bimotion.data.reading import decode_batch, load, raw_audio

    ds = load(out, "zho_eld", split="train+validation+test", cache_dir=cache)
    audio_s = float(sum(ds["duration_s"]))

    def timed(fn) -> dict:
        fn()  # warm-up pass (page cache, lazy imports)
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}

    fast = raw_audio(ds)

    def read_fast():
        for batch in fast.iter(batch_size=BATCH):
            decode_batch(batch["audio"])

    def read_default():  # datasets' Audio: a torchcodec AudioDecoder per row, then the same padding
        for batch in ds.iter(batch_size=BATCH):
            waves = [d.get_all_samples().data.numpy().mean(axis=0) for d in batch["audio"]]
            padded = np.zeros((len(waves), max(len(w) for w in waves)), dtype=np.float32)
            for row, w in zip(padded, waves, strict=True):
                row[: len(w)] = w

    return {"rows": len(ds), "audio_s": audio_s, "fast": timed(read_fast), "default": timed(read_default)}


# --------------------------------------------------------------------------------- driver


def child(kind: str, *args) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *map(str, args)]
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csed", type=Path, default=DEFAULT_CSED)
    parser.add_argument("--num-proc", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the temporary files go (created if missing; default: the system's)",
    )
    parser.add_argument("--scaling", action="store_true", help="also prepare a generated full-size CREMA-D")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = {
            "ours": lambda: run_ours(rest[0], rest[1], rest[2], int(rest[3])),
            "naive": lambda: run_naive(*rest),
            "read": lambda: run_read(*rest),
        }[kind]()
        print(json.dumps(result))
        return 0
    if not (args.csed / "Training Data (wav)").is_dir():
        print(f"the real CSED corpus is not at {args.csed}; pass --csed DIR", file=sys.stderr)
        return 2
    cores = args.num_proc
    for path in args.csed.rglob("*.wav"):  # warm the page cache for both runs alike
        path.read_bytes()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        ours = child("ours", "csed", args.csed, tmp / "ours", cores)
        naive = child("naive", args.csed, tmp / "naive.parquet")
        read = child("read", tmp / "ours", tmp / "cache")
        scaling = None
        if args.scaling:
            from loaders import testing

            root = testing.make_corpus("crema_d", tmp / "crema_d-src", size="full")
            for path in root.rglob("*.wav"):
                path.read_bytes()
            scaling = child("ours", "crema_d", root, tmp / "crema_d", cores)

    def line(name, r, procs):
        per_cpu = r["rows"] / r["cpu_s"]
        return (
            f"| {name} | {procs} | {r['seconds']:.2f} | {r['rows'] / r['seconds']:.0f} | "
            f"{r['audio_s'] / r['seconds']:.0f} | {r['cpu_s']:.2f} | {per_cpu:.0f} | "
            f"{r['audio_s'] / r['cpu_s']:.0f} | {r['peak_rss_mb']:.0f} / "
            + (f"{r['peak_worker_rss_mb']:.0f} |" if procs > 1 else "- |")
        )

    print(
        f"real CSED: {ours['rows']} utterances, {ours['audio_s'] / 60:.1f} min of audio; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print()
    print(
        "| prepare | processes | wall s | utt/s | audio-s/s | CPU s | utt per CPU-s | audio-s per CPU-s "
        "| peak RSS MB (main / largest worker) |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    print(line("bimotion prepare", ours, cores))
    print(line("naive: soundfile + resample_poly, Dataset.from_dict", naive, 1))
    if scaling:
        print(line(f"bimotion prepare, generated CREMA-D ({scaling['rows']} files)", scaling, cores))
    print()
    print(
        f"speed-up over the naive baseline: wall clock {naive['seconds'] / ours['seconds']:.1f}x "
        f"({cores} process(es) vs 1), per core (utterances per CPU-second) "
        f"{(ours['rows'] / ours['cpu_s']) / (naive['rows'] / naive['cpu_s']):.1f}x"
    )
    print()
    print(f"| read, batches of {BATCH}, decode + pad | wall s | utt/s | CPU s | utt per CPU-s | audio-s per CPU-s |")
    print("|---|--:|--:|--:|--:|--:|")
    for name, key in (
        ("soundfile on the stored bytes (`decode_batch`)", "fast"),
        ("datasets' Audio (torchcodec)", "default"),
    ):
        r = read[key]
        print(
            f"| {name} | {r['wall_s']:.2f} | {read['rows'] / r['wall_s']:.0f} | {r['cpu_s']:.2f} | "
            f"{read['rows'] / r['cpu_s']:.0f} | {read['audio_s'] / r['cpu_s']:.0f} |"
        )
    print(f"\n({read['rows']} rows of {read['audio_s'] / read['rows']:.2f} s on average, one process, torch threads 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
