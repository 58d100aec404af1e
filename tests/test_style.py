"""The code is linted and formatted as `pyproject.toml` says (ruff, pinned in the ``test`` extra so
every machine formats alike): `ruff check` and `ruff format --check` over the whole checkout."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed (pip install -e '.[test]')")
@pytest.mark.parametrize(
    "command, fix",
    [(["check"], "ruff check --fix ."), (["format", "--check"], "ruff format .")],
    ids=["lint", "format"],
)
def test_ruff(command, fix):
    ruff = [sys.executable, "-m", "ruff"]
    proc = subprocess.run([*ruff, *command, "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"ruff {' '.join(command)} . failed (to fix: {fix})\n{proc.stdout}{proc.stderr}"
