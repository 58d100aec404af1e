"""A grid table's note names the reading of weighted F1 its numbers are in the words the heat map's
title and advise use (:data:`bimotion.training.f1.READINGS`): it said "Weighted F1 (%): sigmoid > 0.5, ..."
or "Weighted F1 (%) of the arg-max label, ..." (grid.report's own METRIC_WORDS), where the heat map of the
same grid said "Weighted F1 (%) at the 0.5 threshold" or "read by arg-max"."""

from __future__ import annotations

import pytest


def _result(tmp_path, metric: str):
    from bimotion import paper
    from bimotion.grid.config import GridConfig
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult
    from bimotion.grid.scoring import CellResult

    config = GridConfig(tables=["table3"], bootstrap_samples=10, metric=metric)
    cells = []
    for row in paper.TABLE3.rows:
        for col in paper.TABLE3.columns:
            cell = paper.TABLE3.cell(row.key, col.key)
            cells.append(CellResult("table3", row.key, col.key, cell.train, cell.test, [0], [50.0], 50.0, 0.0,
                                    45.0, 55.0, 10, cell.paper, chance=40.0))  # fmt: skip
    averages = {("table3", r.key): {"values": [50.0], "mean": 50.0, "std": 0.0, "ci_low": 45.0, "ci_high": 55.0}
                for r in paper.TABLE3.rows}  # fmt: skip
    return GridResult(tmp_path, config, make_plan(config), cells, averages, {}, [], [], {}, {})


@pytest.mark.parametrize("metric", ["weighted_f1", "weighted_f1_argmax"])
def test_a_tables_note_names_its_reading_as_the_heat_maps_title_does(tmp_path, metric):
    from bimotion import paper
    from bimotion.grid.heatmap import heatmap_title
    from bimotion.grid.report import render_latex, render_markdown
    from bimotion.training.f1 import READINGS

    result = _result(tmp_path, metric)
    notes = [line[2:] for line in render_markdown(result, paper.TABLE3).splitlines() if line.startswith("- ")]
    words = f"Weighted F1 (%) {READINGS[metric]}"
    assert notes[0].startswith(f"{words}: "), notes[0]
    title = heatmap_title({"models": ["a", "b"], "model_names": ["a", "b"], "tests": ["x", "y"],
                           "test_names": ["x", "y"], "metric": metric}, [0])  # fmt: skip
    assert title.startswith(words), title  # the same words in the grid's heat map
    assert ("sigmoid > 0.5" in notes[0]) == (metric == "weighted_f1"), notes[0]
    other = next(r for m, r in READINGS.items() if m != metric)
    assert other not in "\n".join(notes)
    assert f"Weighted F1 (\\%) {READINGS[metric]}: " in render_latex(result, paper.TABLE3)


@pytest.mark.parametrize("metric", ["weighted_f1", "weighted_f1_argmax"])
def test_the_demos_tables_note_says_what_chance_is_in_the_grids_reading(tmp_path, metric):
    """``bimotion demo --config`` of a grid with ``metric: weighted_f1_argmax`` printed its tables' note
    "† at or below the test set's chance level (the better of an all-positive and a prior-matched random
    predictor)": the 0.5 threshold's chance; its chance levels were arg-max's (training.f1.argmax_chance:
    the better of always the most frequent label and guessing at the labels' frequencies)."""
    from bimotion.commands.demo_tables import compact_tables
    from bimotion.training.metrics import CHANCE_OF

    printed = compact_tables(_result(tmp_path, metric))
    note = next(line for line in printed.splitlines() if line.startswith("† "))
    assert note == f"† at or below the test set's chance level ({CHANCE_OF[metric]})", note
    assert ("all-positive" in note) == (metric == "weighted_f1"), note
    assert ("most frequent label" in note) == (metric == "weighted_f1_argmax"), note
