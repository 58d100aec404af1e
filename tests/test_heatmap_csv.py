"""What the heat map's reader meets beyond the picture: heatmap.csv, the numbers behind it, had each
cell's score but not whether it was held out (``training_clips``, ``‡``) or scored on labels its model
never trained on (``untrained``, ``*``); the ``‡`` note under the map named every such cell, longer
than the map on a grid of many models; and the first figure a process drew said matplotlib's
"Glyph ... missing from font" once per character before bimotion's one line on it."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[1]
ODD = ("zho_eld", "eng_eld")  # the model of Mandarin elderly never trained on two of eng_eld's labels


def _result(tmp_path: Path, heard, tables=("table3",), extra_tests=()):
    """A grid's result without training (as tests/test_grid.py builds one): every score 60 on a chance of
    40, ``heard(model, test)`` of each test set's 40 clips the model trained on."""
    from bimotion.grid.config import GridConfig
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult

    config = GridConfig(tables=list(tables), extra_tests=list(extra_tests), bootstrap_samples=10)
    plan = make_plan(config)
    matrix = {(m.name, t): {"mean": 60.0, "chance": 40.0, "num_test": 40 + k, "training_clips": heard(m, t),
                            "untrained": ["fear", "disgust"] if (m.name, t) == ODD else []}
              for m in plan.models for k, t in enumerate(plan.tests)}  # fmt: skip
    return GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {})


def _in_group(model, test: str) -> int:
    return 12 if model.name == test else 0


def test_heatmap_csv_says_which_cells_are_not_held_out_and_which_lack_labels(tmp_path):
    """The grid's heatmap.csv kept its columns (the scores, by test spec, a last row ``chance``) and
    adds, after them, each test set's ``training_clips``, ``num_test`` and ``untrained``."""
    from bimotion.grid.heatmap import heatmap_data, render_heatmap

    result = _result(tmp_path, _in_group)
    data = heatmap_data(result)
    render_heatmap(result, tmp_path / "heatmap")
    rows = list(csv.reader((tmp_path / "heatmap.csv").open(encoding="utf-8")))
    tests = data["tests"]
    assert rows[0][: 1 + len(tests)] == ["train \\ test", *tests]  # as before, the new ones at the end
    assert rows[0][1 + len(tests) :] == [f"{name} {t}" for name in ("training_clips", "num_test", "untrained")
                                         for t in tests]  # fmt: skip
    assert [row[0] for row in rows[1:]] == [*data["models"], "chance"]
    assert all(len(row) == 1 + 4 * len(tests) for row in rows)
    by_model = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    for model in data["models"]:
        for test in tests:
            cell, entry = by_model[model], result.matrix[(model, test)]
            assert float(cell[test]) == entry["mean"]
            assert int(cell[f"training_clips {test}"]) == entry["training_clips"]
            assert int(cell[f"num_test {test}"]) == entry["num_test"]
            assert cell[f"untrained {test}"].split() == entry["untrained"]
    assert int(by_model["zho_eld"]["training_clips zho_eld"]) == 12  # in-group: not held out
    assert int(by_model["zho_eld"]["training_clips eng_eld"]) == 0
    assert by_model["zho_eld"]["untrained eng_eld"] == "fear disgust"
    chance = by_model["chance"]
    assert [float(chance[t]) for t in tests] == [40.0] * len(tests)
    assert [int(chance[f"num_test {t}"]) for t in tests] == [result.matrix[(ODD[0], t)]["num_test"] for t in tests]
    assert all(chance[f"training_clips {t}"] == chance[f"untrained {t}"] == "" for t in tests)


def _note(fig) -> str:
    return " ".join(" ".join(t.get_text().split()) for t in fig.texts if t.get_text().startswith("Cell:"))


def test_the_note_under_the_map_names_a_few_cells_not_held_out_and_counts_the_rest(tmp_path):
    """A grid of 13 models on 8 test sets, every cell of a model trained on its test set's data ‡:
    the note named all of them, 14 lines under the map.  It names the first few, as drawn, and counts
    the rest, which heatmap.csv lists; the map is no taller for more of them."""
    import matplotlib.pyplot as plt

    from bimotion.grid.heatmap import HEARD_SHOWN, heatmap_data, heatmap_figure

    def drawn(heard) -> tuple[str, float, dict]:
        data = heatmap_data(_result(tmp_path, heard, ("table5", "table3", "table4"), ["yue_adu"]))
        fig, _ = heatmap_figure(data, [0])
        note, height = _note(fig), fig.get_figheight()
        plt.close(fig)
        return note, height, data

    def included(model, test: str) -> int:
        from bimotion.mixture import parse_mixture

        return 7 if set(parse_mixture(test).shards) <= set(model.shards) else 0

    note, height, data = drawn(included)
    marked = [(m, t) for i, m in enumerate(data["model_names"]) for j, t in enumerate(data["test_names"])
              if data["training_clips"][i][j]]  # fmt: skip
    assert len(marked) > 2 * HEARD_SHOWN
    named = [(m, t) for m, t in marked if f"{m} on {t} 7 of its" in note]
    assert named == marked[:HEARD_SHOWN], (named, note)
    assert note.endswith(f"and {len(marked) - HEARD_SHOWN} more cells (heatmap.csv: training_clips)."), note
    assert note.startswith("Cell:") and "‡ scored on clips the model trained on, not held out: " in note
    singles = ("eng_eld", "eng_adu", "zho_eld", "zho_adu", "yuemotion:all")  # fewer marked cells: 5 rows' of 13
    fewer, fewer_height, data = drawn(lambda m, t: included(m, t) if m.name in singles else 0)
    count = sum(n > 0 for row in data["training_clips"] for n in row)
    assert HEARD_SHOWN < count < len(marked) and f"and {count - HEARD_SHOWN} more cells (heatmap.csv" in fewer, fewer
    assert height == pytest.approx(fewer_height), (height, fewer_height)  # the note as long: the map as tall
    groups = ["eng_eld", "eng_adu", "zho_eld", "zho_adu"][:HEARD_SHOWN]
    few, _, _ = drawn(lambda m, t: 12 if m.name == t and t in groups else 0)  # as many as it names: no count
    assert few.count(" 12 of its ") == HEARD_SHOWN and "more cells (heatmap.csv" not in few, few


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
