"""What the Hub benches share (``bench_hub_refused.py``, ``bench_hub_cached_model.py``,
``bench_hub_silent.py``): a fresh process of a tree run against a stand-in Hub endpoint with its own
``HF_HOME`` (:func:`run_python`), the refused endpoint and its check (:func:`require_refused_port`), the
look-ups' "could not be fetched" answer (:data:`UNREACHED`), and the table of wall seconds per case and
tree, alternating, with the baseline's ratio (:func:`compare`)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REFUSED = "http://127.0.0.1:9"  # nothing listens there (checked: require_refused_port); not offline mode
UNREACHED = """
from bimotion.hub import HubUnreachableError
def unreached(lookup):
    try:
        lookup()
    except HubUnreachableError:
        return "unreached"
"""


def require_refused_port() -> None:
    """Stop unless a connection to :data:`REFUSED` is refused here."""
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=2).close()
        raise SystemExit("something listens on 127.0.0.1:9 here: the bench needs a refused port")
    except ConnectionRefusedError:
        pass


def run_python(
    tree: Path, code: str, home: Path, endpoint: str, answers: set[str], *, last_line: bool = False
) -> float:
    """Wall seconds of ``python -c code`` importing ``tree``'s packages, with ``HF_ENDPOINT=endpoint``, ``HF_HOME=home``
    and no proxy; it must exit 0 printing one of ``answers`` (its whole output, or with ``last_line`` its last line),
    or the bench stops."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "proxy" not in k.lower()}
    env |= {"PYTHONPATH": str(tree), "HF_ENDPOINT": endpoint, "HF_HOME": str(home), "HF_HUB_DISABLE_TELEMETRY": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=home, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    said = (done.stdout.strip().splitlines() or [""])[-1] if last_line else done.stdout.strip()
    if done.returncode != 0 or said not in answers:
        raise SystemExit(f"{code} in {tree}: exit {done.returncode}, {done.stdout!r}: {done.stderr[-500:]}")
    return wall


def compare(
    what: str,
    cases: dict[str, str],
    trees: dict[str, Path],
    runs: int,
    home: Callable[[str, int, int], Path],
    run: Callable[[Path, str, Path], float],
) -> None:
    """Print the table of each case's median wall seconds per tree (``run(tree, code, home(tree name, case, run))``,
    ``runs`` times, the baseline first, then this checkout), and the baseline's ratio where there is one."""
    baseline = "baseline" in trees
    print(f"| {what} | " + " | ".join(f"{name} wall s" for name in trees) + (" | ratio |" if baseline else " |"))
    print("|---|" + "--:|" * (len(trees) + baseline))
    for n, (label, code) in enumerate(cases.items()):
        times: dict[str, list[float]] = {name: [] for name in trees}
        for attempt in range(runs):
            for name, tree in reversed(trees.items()):  # baseline first, then this checkout
                times[name].append(run(tree, code, home(name, n, attempt)))
        wall = {name: statistics.median(t) for name, t in times.items()}
        ratio = [f"{wall['baseline'] / wall['now']:.1f}x"] if baseline else []
        print(f"| {label} | " + " | ".join([f"{w:.2f}" for w in wall.values()] + ratio) + " |", flush=True)
