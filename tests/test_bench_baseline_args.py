"""The benches timed against a baseline revision (bench/bench_help.py and the Hub benches) take one command line,
``--baseline`` and ``--runs``, from one helper (``bench_help.baseline_args``) and time the same trees
(``bench_help.baseline_trees``): each script's ``--help`` says what its runs are of."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from conftest import REPO

RUNS = {  # each bench against a baseline, and what its --runs are runs of
    "bench_help.py": "command and tree",
    "bench_hub_cached_model.py": "load and tree",
    "bench_hub_refused.py": "look-up and tree",
    "bench_hub_silent.py": "tree",
}


def _bench_help():
    spec = importlib.util.spec_from_file_location("bench_help", REPO / "bench" / "bench_help.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", sorted(RUNS))
def test_each_bench_against_a_baseline_takes_its_command_line_from_one_helper(script):
    """The four repeated the same parser (``--baseline``, ``--runs``) and the same trees line, written out in each."""
    source = (REPO / "bench" / script).read_text(encoding="utf-8")
    assert "baseline_args(" in source and 'add_argument("--baseline"' not in source.split("def main")[-1]
    assert "baseline_trees(args.baseline" in source
    done = subprocess.run(
        [sys.executable, script, "--help"], cwd=REPO / "bench", capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    help_text = " ".join(done.stdout.split())
    assert "--baseline BASELINE a git revision to compare with (default: none)" in help_text
    assert f"--runs RUNS runs per {RUNS[script]}; the median is reported" in help_text


def test_the_helper_reads_the_flags_and_names_the_trees(monkeypatch, tmp_path):
    bench = _bench_help()
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])
    assert vars(bench.baseline_args("doc", 2, "tree")) == {"baseline": None, "runs": 2}
    monkeypatch.setattr(sys, "argv", ["bench_x.py", "--baseline", "b2a011f", "--runs", "5"])
    assert vars(bench.baseline_args("doc", 2, "tree")) == {"baseline": "b2a011f", "runs": 5}
    assert bench.baseline_trees(None, tmp_path) == {"now": REPO}
