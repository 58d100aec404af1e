"""The heat map's colour-bar label stays beside its bar, whatever the number of models: on the map of
a few models that ``bimotion advise`` draws (three rows, one test set) the one-line label was taller
than the bar and ran into the title."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")


def _data(n_models: int) -> dict:
    names = ["Mandarin elderly", "Mandarin adults", "Mandarin elderly + Mandarin adults", "English elderly"]
    names += [f"mixture {k}" for k in range(n_models)]
    return {"models": [f"m{k}" for k in range(n_models)], "tests": ["zho_eld"], "model_names": names[:n_models],
            "test_names": ["Mandarin elderly"], "values": np.linspace(17.7, 59.1, n_models)[:, None],
            "chance": np.array([50.0]), "relation": [["baseline"]] + [[None]] * (n_models - 1),
            "synthetic": ["csed"]}  # fmt: skip


@pytest.mark.parametrize("n_models", [2, 3, 5, 13])
def test_the_colour_bar_label_fits_beside_its_bar_and_clear_of_the_title(n_models):
    import matplotlib.pyplot as plt

    from bimotion.grid.heatmap import heatmap_figure

    fig, ax = heatmap_figure(_data(n_models), [0, 1, 2])
    fig.canvas.draw()  # the bar's length is set at drawing: measured before, it was the map's height
    renderer = fig.canvas.get_renderer()
    bar_ax = fig.axes[1]
    label = bar_ax.yaxis.label
    assert " ".join(label.get_text().split()) == "weighted F1 − chance level (points)"
    bar, text, title = (a.get_window_extent(renderer) for a in (bar_ax, label, ax.title))
    assert bar.y0 - 0.5 <= text.y0 and text.y1 <= bar.y1 + 0.5, (n_models, text, bar)
    assert not text.overlaps(title), (n_models, text, title)
    assert label.get_fontsize() >= 7
    plt.close(fig)


def test_an_advise_map_lists_the_baseline_then_augmentations_then_inference(tmp_path):
    """advise's map of target ind_eld put the model of Mandarin elderly alone (a paper group) first,
    above the target's baseline, and the other cross-group inference models last: the paper's order
    ranks its own groups first.  A target grid's rows now read as advice.md: baseline, augmentations,
    inference."""
    import matplotlib.pyplot as plt

    from bimotion.grid.config import GridConfig
    from bimotion.grid.heatmap import heatmap_data, heatmap_figure
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult

    groups = ["zho_eld", "zho_adu", "eng_eld"]
    config = GridConfig(tables=[], target="zho_eld", groups=groups, bootstrap_samples=10)
    plan = make_plan(config)
    matrix = {(m.name, t): {"mean": 60.0, "chance": 50.0} for m in plan.models for t in plan.tests}
    data = heatmap_data(GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {}))
    roles = {m.spec: m.role for m in plan.target}
    role_of = {m.name: next(roles[s] for s in m.specs if s in roles) for m in plan.models}
    drawn = [role_of[name] for name in data["models"]]
    assert drawn == ["baseline", "augment", "augment", "augment", "inference", "inference", "inference"]
    fig, ax = heatmap_figure(data, [0])
    rows = [" ".join(t.get_text().split()) for t in ax.get_yticklabels()]  # long names wrapped (test_figures.py)
    assert rows[0] == "Mandarin elderly" and rows[-3:] == ["Mandarin adults", "English elderly",
                                                           "Mandarin adults + English elderly"]  # fmt: skip
    plt.close(fig)
