"""The code is linted and formatted as `pyproject.toml` says (ruff, pinned in the ``test`` extra so
every machine formats alike): `ruff check` and `ruff format --check` over the whole checkout."""

from __future__ import annotations

import configparser
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def ruff_versions() -> tuple[str | None, str]:
    """The installed ruff's version (None: not installed) and the one setup.cfg's test extra pins."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    pinned = re.search(r"^ruff==(\S+)$", config["options.extras_require"]["test"], re.M).group(1)
    try:
        return importlib.metadata.version("ruff"), pinned
    except importlib.metadata.PackageNotFoundError:
        return None, pinned


INSTALLED, PINNED = ruff_versions()


@pytest.mark.skipif(
    INSTALLED != PINNED, reason=f"ruff {INSTALLED} installed, the project pins {PINNED}: pip install ruff=={PINNED}"
)
@pytest.mark.parametrize(
    "command, fix",
    [(["check"], "ruff check --fix ."), (["format", "--check"], "ruff format .")],
    ids=["lint", "format"],
)
def test_ruff(command, fix):
    ruff = [sys.executable, "-m", "ruff"]
    proc = subprocess.run([*ruff, *command, "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"ruff {' '.join(command)} . failed (to fix: {fix})\n{proc.stdout}{proc.stderr}"
