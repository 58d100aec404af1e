"""The heat map names which reading of weighted F1 its cells are: a grid's ``metric`` may be
``weighted_f1`` (at the 0.5 threshold) or ``weighted_f1_argmax`` (read by arg-max), and the map said
"Weighted F1 (%)" and "Cell: weighted F1 (bold)" either way, with the 0.5 threshold's chance level; its
colour bar "weighted F1 − chance level (points)", of either reading, "points" of what unsaid."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")


@pytest.mark.parametrize("metric", ["weighted_f1", "weighted_f1_argmax"])
def test_the_heat_maps_title_and_note_name_the_grids_reading_and_its_chance_level(tmp_path, metric):
    import matplotlib.pyplot as plt

    from bimotion.grid.config import GridConfig
    from bimotion.grid.heatmap import heatmap_data, heatmap_figure
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult
    from bimotion.training.f1 import READINGS
    from bimotion.training.metrics import CHANCE_OF

    config = GridConfig(tables=[], target="zho_eld", groups=["zho_eld", "zho_adu"], bootstrap_samples=10,
                        metric=metric)  # fmt: skip
    plan = make_plan(config)
    matrix = {(m.name, t): {"mean": 60.0, "chance": 50.0} for m in plan.models for t in plan.tests}
    data = heatmap_data(GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {}))
    assert data["metric"] == metric
    fig, _ = heatmap_figure(data, [0])
    title = " ".join(fig.get_suptitle().split())
    assert title.startswith(f"Weighted F1 (%) {READINGS[metric]} of every model on "), title
    texts = [" ".join(t.get_text().split()) for t in fig.texts]
    note = next(t for t in texts if t.startswith("Cell: weighted F1 (bold)"))
    assert note.startswith(f"Cell: weighted F1 (bold), {READINGS[metric]}, and its distance"), note
    unwrapped = "".join(note.split())  # wrapped lines may break at a hyphen ("prior- matched")
    assert "".join(f"at or below chance ({CHANCE_OF[metric]})".split()) in unwrapped, note
    other = next(r for m, r in READINGS.items() if m != metric)
    assert other not in title and other not in note
    bar = " ".join(fig.axes[-1].yaxis.label.get_text().split())  # the colour bar's: what its colours are
    assert bar == f"weighted F1 {READINGS[metric]} − chance level (percentage points)", bar
    plt.close(fig)
