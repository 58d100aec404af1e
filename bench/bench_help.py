"""Start-up cost of the command lines: CPU and wall seconds of each recipe's ``--help`` and each
``bimotion`` command's, against a baseline revision in the same session.

    python bench/bench_help.py --baseline b2a011f            # a commit before the lazy imports
    python bench/bench_help.py                               # this checkout only

The baseline is ``git archive``'d into a temporary folder (the checkout is left alone); each command
runs ``--runs`` times per tree, the trees alternating so that both see the same load, and the median
is reported. CPU seconds are the child process's user + system time: on a shared machine they move
less than wall seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def commands() -> list[list[str]]:
    from bimotion.cli import COMMANDS

    recipes = [[f"recipes/{p.name}", "--help"] for p in sorted((REPO / "recipes").glob("*.py"))]
    return recipes + [["-m", "bimotion", "--help"]] + [["-m", "bimotion", name, "--help"] for name in COMMANDS]


def run_once(tree: Path, argv: list[str]) -> tuple[float, float]:
    """(CPU s, wall s) of ``python argv`` in ``tree``, importing ``tree``'s packages."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *argv], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} in {tree} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def baseline_tree(revision: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "archive", revision], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def baseline_args(doc: str, runs: int, per: str) -> argparse.Namespace:
    """The command line of a bench timed against a baseline revision (this one, ``bench_hub_*.py``): ``--baseline``,
    the revision (default: none), and ``--runs``, the runs (default ``runs``) per ``per``, the median reported."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="a git revision to compare with (default: none)")
    parser.add_argument("--runs", type=int, default=runs, help=f"runs per {per}; the median is reported")
    return parser.parse_args()


def baseline_trees(baseline: str | None, folder: Path) -> dict[str, Path]:
    """The trees to time: this checkout (``now``) and, given a ``baseline`` revision, its :func:`baseline_tree`
    extracted into ``folder``."""
    return {"now": REPO} | ({"baseline": baseline_tree(baseline, folder)} if baseline else {})


def main() -> None:
    args = baseline_args(__doc__, 3, "command and tree")
    with tempfile.TemporaryDirectory() as tmp:
        trees = baseline_trees(args.baseline, Path(tmp))
        header = "| command | " + " | ".join(f"{name} CPU s | {name} wall s" for name in trees)
        print(header + (" | CPU ratio |" if args.baseline else " |"))
        print("|---|" + "--:|" * (2 * len(trees) + bool(args.baseline)))
        for argv in commands():
            times = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in reversed(trees.items()):  # baseline first, then this checkout
                    times[name].append(run_once(tree, argv))
            cells, cpu = [], {}
            for name in trees:
                cpu[name] = statistics.median(t[0] for t in times[name])
                cells += [f"{cpu[name]:.2f}", f"{statistics.median(t[1] for t in times[name]):.2f}"]
            ratio = [f"{cpu['baseline'] / cpu['now']:.1f}x"] if args.baseline else []
            print(f"| `python {' '.join(argv)}` | " + " | ".join(cells + ratio) + " |", flush=True)
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
