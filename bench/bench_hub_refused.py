"""What a Hub model's or dataset's optional files (``train_manifest.txt``, ``scores.json``,
``prepare.json``: :func:`bimotion.hub.hub_file`) cost where the Hub refuses the connection (no
network behind a proxy-less firewall that rejects, a mistyped ``HF_ENDPOINT``): wall seconds of each
look-up in a fresh process with ``HF_ENDPOINT=http://127.0.0.1:9`` (nothing listens there; not
offline mode) and an empty Hub cache, against a baseline revision in the same session.

    python bench/bench_hub_refused.py --baseline 1c7c15b   # the commit before the look-ups were asked once
    python bench/bench_hub_refused.py                      # this checkout only

The baseline is ``git archive``'d into a temporary folder (``bench_help.baseline_tree``); each
look-up runs ``--runs`` times per tree, the trees alternating, and the median is reported.  Each run
must end in the look-up's "could not be fetched" answer, or the bench stops.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_help import REPO, baseline_tree

ENDPOINT = "http://127.0.0.1:9"
UNREACHED = """
from bimotion.hub import HubUnreachableError
def unreached(lookup):
    try:
        lookup()
    except HubUnreachableError:
        return "unreached"
"""
LOOKUPS = {  # what each asks of the Hub, and which commands ask it
    "`training_manifest(model)` (infer, predict, the grid)": (
        "from bimotion.training.outputs import training_manifest; print(unreached(lambda: training_manifest('me/ser')))"
    ),
    "`model_scores(model)` (predict's chance line)": (
        "from bimotion.training.outputs import model_scores; print(model_scores('me/ser').state)"
    ),
    "`recorded_info(dataset)` (infer, training, the grid)": (
        "from bimotion.data.layout import recorded_info; print(unreached(lambda: recorded_info('me/data')))"
    ),
}
ANSWER = {"unreached", "unfetched"}  # HubUnreachableError, ModelScores.state


def run_once(tree: Path, code: str, home: Path) -> float:
    """Wall seconds of ``python -c code`` in ``tree`` against the refused endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "proxy" not in k.lower()}
    env |= {"PYTHONPATH": str(tree), "HF_ENDPOINT": ENDPOINT, "HF_HOME": str(home), "HF_HUB_DISABLE_TELEMETRY": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", UNREACHED + code], cwd=home, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0 or done.stdout.strip() not in ANSWER:
        raise SystemExit(f"{code} in {tree}: exit {done.returncode}, {done.stdout!r}: {done.stderr[-500:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="a git revision to compare with (default: none)")
    parser.add_argument("--runs", type=int, default=2, help="runs per look-up and tree; the median is reported")
    args = parser.parse_args()
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=2).close()
        raise SystemExit("something listens on 127.0.0.1:9 here: the bench needs a refused port")
    except ConnectionRefusedError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"now": REPO} | ({"baseline": baseline_tree(args.baseline, Path(tmp))} if args.baseline else {})
        print(
            "| look-up | " + " | ".join(f"{name} wall s" for name in trees) + (" | ratio |" if args.baseline else " |")
        )
        print("|---|" + "--:|" * (len(trees) + bool(args.baseline)))
        for label, code in LOOKUPS.items():
            times: dict[str, list[float]] = {name: [] for name in trees}
            for run in range(args.runs):
                for name, tree in reversed(trees.items()):  # baseline first, then this checkout
                    home = Path(tmp) / f"hf-{name}-{run}-{len(times[name])}-{abs(hash(label))}"  # an empty cache
                    home.mkdir()
                    times[name].append(run_once(tree, code, home))
            wall = {name: statistics.median(t) for name, t in times.items()}
            ratio = [f"{wall['baseline'] / wall['now']:.1f}x"] if args.baseline else []
            print(f"| {label} | " + " | ".join([f"{w:.2f}" for w in wall.values()] + ratio) + " |", flush=True)
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
