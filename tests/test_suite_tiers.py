"""The README's test command is the default suite (~10 min on 2 cores, the brief's bound); the slow tier (the
demo's learning check, the 13-model grid, real launches, full-size corpus trees: ~15 min more) is left out of it,
said at its end with how to run it, and runs with `--slow`, a `-m` expression (CI's `-m "slow or stress"`) or
its node id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLOW = "tests/test_demo.py::test_demo_runs_every_stage_learns_and_leaves_loadable_datasets"
QUICK = "tests/test_demo.py::test_the_readme_demos_lock_file_is_ignored_by_git"


def _pytest(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("workers", [["-n", "2"], ["-n", "0"]])
def test_the_default_suite_leaves_the_slow_tier_out_and_says_how_to_run_it(workers):
    out = _pytest(*workers, "tests/test_demo.py", "-k", "learns_and_leaves or lock_file_is_ignored")
    assert "1 passed" in out, out  # the quick one ran; the demo's ten minutes did not
    assert "1 slow test left out (the demo's learning check, " in out and "`--slow` runs it too, as CI does" in out


@pytest.mark.parametrize(
    "chosen",
    [["--slow", "tests/test_demo.py"], ["-m", "slow", "tests/test_demo.py"], [SLOW]],
    ids=["--slow", "-m", "id"],
)
def test_the_slow_tier_runs_where_it_is_asked_for(chosen):
    out = _pytest("-n", "0", "--collect-only", *chosen)
    assert SLOW in out and "slow test" not in out, out
    assert (QUICK in out) == (chosen[0] == "--slow"), out  # -m slow: that tier alone; an id: that test alone
