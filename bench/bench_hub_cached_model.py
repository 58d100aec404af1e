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

import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench_help import REPO, baseline_args, baseline_trees
from hub_bench import REFUSED, compare, require_refused_port, run_python

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


def main() -> None:
    args = baseline_args(__doc__, 2, "load and tree")
    require_refused_port()
    with tempfile.TemporaryDirectory() as tmp:
        seeded = seeded_home(Path(tmp) / "seeded")
        trees = baseline_trees(args.baseline, Path(tmp))
        compare(
            "load", LOADS, trees, args.runs,
            lambda name, case, run: shutil.copytree(seeded, Path(tmp) / f"hf-{name}-{case}-{run}"),  # a fresh copy
            lambda tree, code, home: run_python(tree, code, home, REFUSED, ANSWER, last_line=True),
        )  # fmt: skip
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
