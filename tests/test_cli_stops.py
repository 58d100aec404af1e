"""The stop line of a ``bimotion`` command (``interrupted``, ``terminated``): once for a launch of several processes
(advise's, demo's), as ``recipes/grid.py`` says it, not once per process."""

from __future__ import annotations

import argparse

import pytest

from bimotion import cli
from bimotion.signals import Terminated


@pytest.mark.parametrize(
    "stop, code, word", [(KeyboardInterrupt(), 130, "interrupted"), (Terminated(), 143, "terminated")]
)
def test_a_commands_stop_line_is_said_by_a_launchs_main_process_alone(monkeypatch, capsys, stop, code, word):
    """Every process of a launched `bimotion demo` or `advise` stopped by a Ctrl-C printed `interrupted`: two lines
    for a launch of two.  The main process says it; every process still exits with the stop's code."""

    def stopped(args):
        raise stop

    args = argparse.Namespace(_run=stopped)
    monkeypatch.setenv("WORLD_SIZE", "2")
    said = []
    for rank in ("1", "0"):
        monkeypatch.setenv("RANK", rank)
        assert cli._run(args, "demo") == code
        said.append(capsys.readouterr().err)
    assert said == ["", f"{word}\n"], said
