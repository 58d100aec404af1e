"""What a command's optional Hub files (``train_manifest.txt``, ``scores.json``, ``prepare.json``:
:func:`bimotion.hub.hub_file`) cost where the Hub never answers (a firewall dropping packets: the
connection hangs until ``HF_HUB_ETAG_TIMEOUT``): wall seconds of a fresh process that looks up all
three, as ``infer`` of a Hub model on a Hub dataset does, with ``HF_ENDPOINT`` at a local server that
accepts every connection and never answers, an empty Hub cache and the default timeout (10 s), against
a baseline revision in the same session; then of a second process with the same ``HF_HOME`` right
after it (the next command, recipe or ``accelerate`` worker of the machine).

    python bench/bench_hub_silent.py --baseline 5ff23ad   # the commit before the second process was told
    python bench/bench_hub_silent.py --baseline 9b62793   # the commit before an unanswered look-up was kept
    python bench/bench_hub_silent.py                      # this checkout only

The baseline is ``git archive``'d into a temporary folder (``bench_help.baseline_tree``); each tree
runs the pair ``--runs`` times, the trees alternating, and the median is reported with the HEAD
requests the server was sent.  Each run must end in all three look-ups' "could not be fetched" answers.
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import threading
from pathlib import Path

from bench_help import baseline_args, baseline_trees
from hub_bench import UNREACHED, run_python

LOOKUPS = """
from bimotion.training.outputs import training_manifest, model_scores
from bimotion.data.layout import recorded_info
print(unreached(lambda: training_manifest('me/ser')), model_scores('me/ser').state,
      unreached(lambda: recorded_info('me/data')))
"""
ANSWER = {"unreached unreached unreached", "unreached unfetched unreached"}


def silent_server() -> tuple[str, list[str]]:
    """A local endpoint that accepts and never answers, and the request lines it was sent."""
    server, asked = socket.socket(), []
    server.bind(("127.0.0.1", 0))
    server.listen(64)

    def hold(conn):
        asked.append(conn.recv(4096).split(b"\r\n", 1)[0].decode())  # the connection is kept open, unanswered

    def accept():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=hold, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", asked


def main() -> None:
    args = baseline_args(__doc__, 2, "tree")
    endpoint, asked = silent_server()
    processes = ("first process", "second process, same HF_HOME")
    with tempfile.TemporaryDirectory() as tmp:
        trees = baseline_trees(args.baseline, Path(tmp))
        times = {(name, p): [] for name in trees for p in processes}
        heads = {(name, p): [] for name in trees for p in processes}
        for run in range(args.runs):
            for name, tree in reversed(trees.items()):  # baseline first, then this checkout
                home = Path(tmp) / f"hf-{name}-{run}"  # an empty cache, shared by the pair
                home.mkdir()
                for process in processes:
                    before = len(asked)
                    times[name, process].append(run_python(tree, UNREACHED + LOOKUPS, home, endpoint, ANSWER))
                    heads[name, process].append(sum(line.startswith("HEAD ") for line in asked[before:]))
        names, baseline = list(reversed(trees)), "baseline" in trees
        print(
            "| process | "
            + " | ".join(f"{n} wall s (median) | {n} HEAD requests" for n in names)
            + (" | baseline / now |" if baseline else " |")
        )
        print("|---|" + "--:|--:|" * len(names) + ("--:|" if baseline else ""))
        for process in processes:
            wall = {n: statistics.median(times[n, process]) for n in names}
            cells = [f"{wall[n]:.2f} | {max(heads[n, process])}" for n in names]
            cells += [f"{wall['baseline'] / wall['now']:.1f}x"] if baseline else []
            print(f"| {process} | " + " | ".join(cells) + " |")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
