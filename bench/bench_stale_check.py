"""The check a grid's worker makes of each finished unit before writing the tables
(:func:`bimotion.grid.workers.stale_metrics`): the unit's saved prediction files read for the dtype each
records and their SHA-256.  Before, each file was read three times a check (the dtype of all the files, then
of each alone, then its SHA-256: the baseline, kept below); now once (:func:`bimotion.grid.saved.prediction_records`).
A unit's prediction files as a grid saves them (``--files`` test sets of ``--clips`` clips each, 13 labels),
CPU milliseconds of this process per check (the machine's other jobs count less than in wall time), best of
the repeats, warm page cache, both ways in this process, interleaved.

    python bench/bench_stale_check.py            # --files 11 --clips 1000 --repeats 20"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def unit_files(folder: Path, files: int, clips: int) -> list[Path]:
    """``files`` prediction files of ``clips`` clips each, the arrays and types a grid saves (random values)."""
    import numpy as np

    from bimotion.grid.saved import SCORED_IN
    from loaders.files import save_npz

    rng = np.random.default_rng(0)
    paths = []
    for k in range(files):
        labels = np.zeros((clips, 13), dtype=np.int8)
        labels[np.arange(clips), rng.integers(0, 6, clips)] = 1
        arrays = {
            "id": np.array([f"bimotion-test-{k:02d}-{i:011d}" for i in range(clips)]),
            "corpus": np.array(["crema_d"] * clips), "group": np.array(["eng_eld"] * clips),
            "labels": labels, "label_mask": np.ones_like(labels),
            "logits": rng.normal(size=(clips, 13)).astype(np.float32),
            "speaker": np.array([f"s{i % 90}" for i in range(clips)]), SCORED_IN: np.array("float32"),
        }  # fmt: skip
        paths.append(save_npz(folder / f"bimotion.corpus{k:02d}.eng_eld.npz", arrays))
    return paths


def scored_in(paths: list[Path]) -> str | None:
    """The dtype every one of the saved prediction files ``paths`` records it was scored in (``SCORED_IN``), each
    file opened for it alone (the baseline's way; :func:`bimotion.grid.saved.one_dtype` of the records)."""
    import numpy as np

    from bimotion.grid.saved import SCORED_IN, one_dtype

    dtypes = []
    for path in paths:
        with np.load(path) as data:
            dtypes.append(str(data[SCORED_IN]) if SCORED_IN in data.files else None)
    return one_dtype(dtypes)


def predictions_sha256(paths: list[Path]) -> dict[str, str]:
    """Each saved prediction file's SHA-256 by its name, each file read for it alone (the baseline's way):
    the record a metrics file keeps (:func:`bimotion.grid.saved.sha256_record`)."""
    from bimotion.grid.saved import sha256_record
    from loaders.files import sha256_of

    return sha256_record(paths, [sha256_of(path) for path in paths])


def baseline(files: list[Path]) -> tuple:
    """What the check read before: each file three times."""
    return scored_in(files), {scored_in([f]) for f in files}, predictions_sha256(files)


def ours(files: list[Path]) -> tuple:
    from bimotion.grid.saved import one_dtype, prediction_records

    records = prediction_records(files)
    dtypes = [dtype for dtype, _ in records]
    return one_dtype(dtypes), set(dtypes), {f.name: digest for f, (_, digest) in zip(files, records)}


def best_ms(check, files: list[Path], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        check(files)
        times.append(time.process_time() - start)
    return 1000 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=11, help="the unit's prediction files (default: 11)")
    parser.add_argument("--clips", type=int, default=1000, help="clips in each file (default: 1000)")
    parser.add_argument("--repeats", type=int, default=20, help="checks timed each way (default: 20)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-stale-check-") as tmp:
        files = unit_files(Path(tmp), args.files, args.clips)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        if baseline(files) != ours(files):  # the same dtype and digests, or the figures mean nothing
            raise SystemExit("the two ways disagree")
        old, new = [], []
        for _ in range(3):  # interleaved: the machine's other jobs weigh on both alike
            old.append(best_ms(baseline, files, args.repeats))
            new.append(best_ms(ours, files, args.repeats))
    print(f"{args.files} files of {args.clips} clips ({size_mb:.1f} MB), best of {3 * args.repeats} checks each way")
    print("| | CPU ms per check | vs baseline |\n|---|--:|--:|")
    print(f"| each file read three times (baseline) | {min(old):.2f} | 1.00 |")
    print(f"| each file read once | {min(new):.2f} | {min(new) / min(old):.2f} |")


if __name__ == "__main__":
    main()
