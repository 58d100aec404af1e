"""What the heat map's reader meets beyond the picture: the first figure a process drew said matplotlib's
"Glyph ... missing from font" once per character before bimotion's one line on it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[1]


DRAW = """
import sys
from bimotion.figures import save_figure
from bimotion.grid.heatmap import heatmap_figure
import numpy as np

data = {"models": ["m0", "m1"], "tests": ["zho_eld"], "model_names": [sys.argv[2], "Mandarin adults"],
        "test_names": ["Mandarin elderly"], "values": np.array([[55.5], [41.0]]), "chance": np.array([42.0]),
        "relation": [["baseline"], [None]], "training_clips": [[3], [0]], "num_test": [20],
        "untrained": [[[]], [["fear"]]]}
fig, _ = heatmap_figure(data, [0])
save_figure(fig, sys.argv[1])
"""


@pytest.mark.parametrize("name", ["Mandarin elderly", "耆樂情緒語料 Cantonese elderly"])
def test_the_first_figure_a_process_draws_says_no_glyph_warning(tmp_path, name):
    """A process's first heat map of a corpus named in Chinese printed matplotlib's "Glyph 32774
    (\\N{CJK UNIFIED IDEOGRAPH-8006}) missing from font(s) DejaVu Sans." once per character at its
    first tight_layout (bimotion quietened them only when it saved the figure, after), then its own
    line.  Now no Glyph warning is printed: where a font holds the text, nothing is said; where none
    does, bimotion's one line names the text and the font to install."""
    from bimotion.figure_fonts import drawable

    done = subprocess.run([sys.executable, "-W", "default", "-c", DRAW, str(tmp_path / "map"), name], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=_env())  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not re.search(r"Glyph \d+|missing from font", done.stderr), done.stderr  # matplotlib's, per glyph
    said = [line for line in done.stderr.splitlines() if "MissingGlyphWarning" in line]
    if drawable(name):
        assert said == [], done.stderr
    else:
        assert len(said) == 1 and "耆樂情緒語料" in said[0] and "fonts-noto-cjk" in said[0], done.stderr
    assert (tmp_path / "map.png").is_file()


def _env() -> dict:
    """This process's environment, the checkout first on the path (the one under test)."""
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
