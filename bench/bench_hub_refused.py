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

import os
import tempfile
from pathlib import Path

from bench_help import baseline_args, baseline_trees
from hub_bench import REFUSED, UNREACHED, compare, require_refused_port, run_python

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


def main() -> None:
    args = baseline_args(__doc__, 2, "look-up and tree")
    require_refused_port()
    with tempfile.TemporaryDirectory() as tmp:
        trees = baseline_trees(args.baseline, Path(tmp))

        def empty_cache(name: str, case: int, run: int) -> Path:
            (home := Path(tmp) / f"hf-{name}-{case}-{run}").mkdir()
            return home

        compare(
            "look-up", LOOKUPS, trees, args.runs, empty_cache,
            lambda tree, code, home: run_python(tree, UNREACHED + code, home, REFUSED, ANSWER),
        )  # fmt: skip
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
