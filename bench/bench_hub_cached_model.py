"""What loading a Hub model costs where the Hub refuses the connection (a firewall that rejects, a
mistyped ``HF_ENDPOINT``) though its name resolves and offline mode is off: wall seconds of each load in
a fresh process with ``HF_ENDPOINT=http://127.0.0.1:9`` (nothing listens there), the model ``me/tiny``
(a tiny random wav2vec2, :func:`bimotion.training.testing.save_tiny_model`) in the Hub cache as a
download leaves it, against a baseline revision in the same session.

    python bench/bench_hub_cached_model.py --baseline 99d2f24   # the commit before download_kwargs asked once
    python bench/bench_hub_cached_model.py                      # this checkout only

The baseline is ``git archive``'d into a temporary folder (``bench_help.baseline_tree``); each load
runs ``--runs`` times per tree, the trees alternating, each with a fresh copy of the Hub cache, and the
median is reported.  Each run must end as expected (the cached model loaded, the uncached one refused
with predict's error), or the bench stops.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_help import REPO, baseline_tree

ENDPOINT = "http://127.0.0.1:9"
COMMIT = "0" * 40
LOADS = {  # what each loads, through which of bimotion's loads, and what it prints when done as expected
    "cached `me/tiny`, the probe's encoder (`EncoderFeatures`)": (
        "from bimotion.probe.features import EncoderFeatures; EncoderFeatures('me/tiny'); print('loaded')"
    ),
    "cached `me/tiny`, training's model (`build_model`)": (
        "from bimotion.training.model import build_model; build_model('me/tiny'); print('loaded')"
    ),
    "uncached `me/none`, predict's (`load_predictor`)": (
        "from bimotion.predict.audio import PredictError\n"
        "from bimotion.predict.model import load_predictor\n"
        "try:\n    load_predictor('me/none', progress=False)\n"
        "except PredictError as err:\n    print('refused' if 'hf download me/none' in str(err) else err)"
    ),
}
ANSWER = {"loaded", "refused"}


def seeded_home(folder: Path) -> Path:
    """An ``HF_HOME`` whose Hub cache holds ``me/tiny`` as a download leaves it."""
    sys.path.insert(0, str(REPO))
    from bimotion.training.testing import save_tiny_model

    repo = folder / "hub" / "models--me--tiny"
    save_tiny_model(repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    return folder


def run_once(tree: Path, code: str, home: Path) -> float:
    """Wall seconds of ``python -c code`` in ``tree`` against the refused endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "proxy" not in k.lower()}
    env |= {"PYTHONPATH": str(tree), "HF_ENDPOINT": ENDPOINT, "HF_HOME": str(home), "HF_HUB_DISABLE_TELEMETRY": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=home, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0 or last not in ANSWER:
        raise SystemExit(f"{code} in {tree}: exit {done.returncode}, {done.stdout!r}: {done.stderr[-500:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="a git revision to compare with (default: none)")
    parser.add_argument("--runs", type=int, default=2, help="runs per load and tree; the median is reported")
    args = parser.parse_args()
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=2).close()
        raise SystemExit("something listens on 127.0.0.1:9 here: the bench needs a refused port")
    except ConnectionRefusedError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        seeded = seeded_home(Path(tmp) / "seeded")
        trees = {"now": REPO} | ({"baseline": baseline_tree(args.baseline, Path(tmp))} if args.baseline else {})
        print("| load | " + " | ".join(f"{name} wall s" for name in trees) + (" | ratio |" if args.baseline else " |"))
        print("|---|" + "--:|" * (len(trees) + bool(args.baseline)))
        for n, (label, code) in enumerate(LOADS.items()):
            times: dict[str, list[float]] = {name: [] for name in trees}
            for run in range(args.runs):
                for name, tree in reversed(trees.items()):  # baseline first, then this checkout
                    home = shutil.copytree(seeded, Path(tmp) / f"hf-{name}-{n}-{run}")  # a fresh copy of the cache
                    times[name].append(run_once(tree, code, home))
            wall = {name: statistics.median(t) for name, t in times.items()}
            ratio = [f"{wall['baseline'] / wall['now']:.1f}x"] if args.baseline else []
            print(f"| {label} | " + " | ".join([f"{w:.2f}" for w in wall.values()] + ratio) + " |", flush=True)
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
