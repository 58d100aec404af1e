"""How often `bimotion check --no-audio` lists a prepared folder's directories and looks at a file for a
browser's leftover, and how long it takes: the generated TESS at full size (2,800 clips) prepared with
one row per Parquet file (2,800 files), a `.DS_Store` at the top and in `data/tess/`.

    python bench/bench_check_walk.py [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import bimotion.data.layout as layout
from bimotion.prepare import prepare
from bimotion.verify import verify
from loaders import testing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary files go")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of check (default: 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        raw = testing.make_corpus("tess", Path(tmp) / "raw", size="full")
        out = prepare({"tess": raw}, Path(tmp) / "out", rows_per_file=1, num_proc=2, progress=False).out_dir
        for folder in (out, out / "data" / "tess"):
            (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
        calls = {"listings": 0, "looks": 0}
        scandir, left = os.scandir, layout.left_by_browser

        def counted_scandir(path="."):
            calls["listings"] += 1
            return scandir(path)

        def counted_left(*a):
            calls["looks"] += 1
            return left(*a)

        verify(out, hash_audio=False)  # warm the page cache
        os.scandir, layout.left_by_browser = counted_scandir, counted_left
        try:
            result = verify(out, hash_audio=False)
        finally:
            os.scandir, layout.left_by_browser = scandir, left
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            verify(out, hash_audio=False)
            seconds.append(time.perf_counter() - start)
    print(
        f"{result['files']} Parquet files, {result['browser_files']} left by a browser, {len(result['problems'])} problems"
    )
    print(f"directory listings {calls['listings']}, files looked at for a browser's leftover {calls['looks']}")
    print(f"check --no-audio: best {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s")


if __name__ == "__main__":
    main()
