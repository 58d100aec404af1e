"""How fast `bimotion scan` reads corpora: all seven generated at full size (the real file counts),
scanned on one core.  Prints files/s and seconds per 10k files.

    python bench/bench_scan.py [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from loaders import READERS, testing
from loaders.manifest import scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the temporary files go (created if missing; default: the system's)",
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        t0 = time.perf_counter()
        roots = {name: testing.make_corpus(name, Path(tmp) / name, size="full") for name in READERS}
        generated = time.perf_counter() - t0
        # warm the page cache the way a second scan of a user's disk would find it
        scan(roots, progress=False)
        t0 = time.perf_counter()
        records, _ = scan(roots, progress=False)
        seconds = time.perf_counter() - t0
    per_corpus = {}
    for r in records:
        per_corpus[r.corpus] = per_corpus.get(r.corpus, 0) + 1
    print(f"generated {len(records)} files in {generated:.1f} s: {per_corpus}")
    print(
        f"scan: {len(records)} files in {seconds:.2f} s = {len(records) / seconds:.0f} files/s "
        f"= {10000 * seconds / len(records):.2f} s per 10k files (one process)"
    )


if __name__ == "__main__":
    main()
