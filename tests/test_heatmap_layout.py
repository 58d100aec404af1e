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
    renderer = fig.canvas.get_renderer()
    bar_ax = fig.axes[1]
    label = bar_ax.yaxis.label
    assert " ".join(label.get_text().split()) == "weighted F1 − chance level (points)"
    bar, text, title = (a.get_window_extent(renderer) for a in (bar_ax, label, ax.title))
    assert bar.y0 - 0.5 <= text.y0 and text.y1 <= bar.y1 + 0.5, (n_models, text, bar)
    assert not text.overlaps(title), (n_models, text, title)
    assert label.get_fontsize() >= 7
    plt.close(fig)
