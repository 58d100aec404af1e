"""Every figure bimotion makes (the heat map, the confusion figure, the projections) is drawn in fonts
holding its every glyph however it is saved: bimotion's own save quieted matplotlib's "Glyph ... missing
from font" warnings, but a user's own ``fig.savefig`` of the figure warned of each (the marks †, ‡ and −
in a font of their own settings lacking them, a name in Chinese) and drew them as empty boxes.  Only the
heat map was made so at first (``heatmap_figure``); each figure function now is
(:func:`bimotion.figure_fonts.with_figure_fonts`)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")

KINDS = ("heatmap", "confusion", "projection")
MARKS = "(†, ‡, −)"  # a group label of one's own with marks a font of one's settings lacks


def _data(model_name: str) -> dict:
    """heatmap_data's numbers of three models on two test sets: one cell at or below chance (†), two of test
    clips their model trained on (‡)."""
    return {"models": ["m0", "m1", "m2"], "tests": ["zho_eld", "yue_eld"],
            "model_names": [model_name, "Mandarin adults", "Mandarin elderly + Mandarin adults"],
            "test_names": ["Mandarin elderly", "Cantonese elderly"],
            "values": np.array([[40.0, 55.0], [60.0, 30.0], [52.0, 61.0]]), "chance": np.array([50.0, 33.3]),
            "relation": [["baseline", None], [None, None], [None, "included"]],
            "training_clips": [[3, 0], [0, 0], [0, 2]], "num_test": [10, 10], "synthetic": []}  # fmt: skip


def _scores() -> dict:
    """score_groups' result of one test set of 30 CSED clips, predictions drawn at random."""
    from bimotion.training.metrics import score_groups
    from loaders.labels import LABEL2ID, LABELS

    rng = np.random.default_rng(0)
    space = ["happiness", "sadness", "neutral", "anger"]
    labels = np.zeros((30, len(LABELS)), dtype=np.int8)
    mask = np.zeros_like(labels)
    mask[:, [LABEL2ID[lb] for lb in space]] = 1
    labels[np.arange(30), [LABEL2ID[space[i % 4]] for i in range(30)]] = 1
    return score_groups(rng.normal(0, 2, labels.shape), labels, mask, ["csed"] * 30, ["zho_eld"] * 30)


def _projection(name: str):
    """A two-panel projection figure titled ``name``, points drawn at random."""
    from bimotion.projection_plot import figure
    from bimotion.projection_spec import ProjectionSpec

    rng = np.random.default_rng(0)
    names = [("happiness",), ("sadness",), ("neutral",)] * 10
    panels = [{"title": f"{name} {k}", "train": "yue_adu", "model": "bimotion:all", "train_xy": rng.normal(0, 1, (30, 2)),
               "train_labels": names, "test_xy": rng.normal(0, 1, (9, 2)), "test_labels": names[:9]} for k in range(2)]  # fmt: skip
    spec = ProjectionSpec.from_dict({"name": "mine", "title": name, "model": "bimotion:all", "test": "yue_adu",
                                     "panels": [{"title": "p", "train": "yue_adu"}]})  # fmt: skip
    return figure(spec, panels, ["happiness", "sadness", "neutral"])


def _made(kind: str, name: str):
    """The figure of ``kind`` made by bimotion's function, with ``name`` in its text (a model's name, a
    confusion figure's title, a projection's title and its panels')."""
    if kind == "heatmap":
        from bimotion.grid.heatmap import heatmap_figure

        return heatmap_figure(_data(name), [0])[0]
    if kind == "confusion":
        from bimotion.training.confusion_plot import confusion_figure

        return confusion_figure(_scores(), f"{name}: confusion on the test split")
    return _projection(name)


def _texts(fig) -> list[str]:
    """Every text of ``fig`` as drawn (tick labels as their formatters wrote them at the last drawing)."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _saved_as_a_user_saves(fig, path) -> list[str]:
    """The glyph warnings of a plain ``fig.savefig`` from the user's own code."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        fig.savefig(path)
    plt.close(fig)
    return [str(w.message) for w in said if "missing from font" in str(w.message)]


@pytest.mark.parametrize("kind", KINDS)
def test_a_users_own_savefig_draws_the_marks_in_a_font_of_their_settings_lacking_them(kind, tmp_path):
    """With ``font.family: cmr10`` (Computer Modern, which holds no †, ‡ or −) a figure's marks (the heat
    map's own, a group label's) were empty boxes and a warning each; its text now takes them from
    matplotlib's own font."""
    import matplotlib
    from matplotlib.text import Text

    from bimotion.figure_fonts import drawable

    with matplotlib.rc_context({"font.family": ["cmr10"], "axes.formatter.use_mathtext": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # what the figure's own layout says is bimotion's to keep quiet
            fig = _made(kind, f"Cantonese elderly {MARKS}")
        texts = [t for t in fig.findobj(Text) if t.get_text()]
        assert _saved_as_a_user_saves(fig, tmp_path / f"{kind}.png") == []
    marked = [t for t in texts if set("†‡−") & set(t.get_text())]
    assert {"†", "‡", "−"} <= set("".join(t.get_text() for t in marked))
    assert all(drawable(t.get_text(), tuple(t.get_fontfamily())) for t in marked)  # its own fonts hold them
    assert all(t.get_fontfamily()[0] == "cmr10" for t in texts)  # the user's font first


@pytest.mark.parametrize("kind", KINDS)
def test_a_name_no_installed_font_holds_is_said_once_and_saves_with_no_glyph_warning(kind, tmp_path, monkeypatch):
    """A name in Chinese, no font holding Chinese: the figure was built in silence and each of its saves by
    the user's own code warned of every glyph.  The name is drawn as the boxes matplotlib drew, said once
    when the figure is made, and no save warns."""
    import matplotlib

    from bimotion import figure_fonts
    from bimotion.figure_fonts import BOX, MissingGlyphWarning, is_cjk

    monkeypatch.setattr(figure_fonts, "font_families", lambda: ("sans-serif",))  # no Chinese font, here or not
    monkeypatch.setattr(figure_fonts, "_WARNED", set())
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        with pytest.warns(MissingGlyphWarning, match="'[^']*耆樂情緒語料 Cantonese elderly") as said:
            fig = _made(kind, "耆樂情緒語料 Cantonese elderly")
        assert [w.filename for w in said] == [__file__]  # the line that made the figure
        assert _saved_as_a_user_saves(fig, tmp_path / f"{kind}.png") == []
    texts = _texts(fig)  # as the save drew them
    assert not any(map(is_cjk, "".join(texts)))
    assert any(f"{BOX * 6} Cantonese elderly" in " ".join(text.split()) for text in texts)  # □, as matplotlib drew each


def test_every_function_that_makes_a_figure_carries_its_fonts():
    """Only the heat map's function was made with ``with_figure_fonts``; the confusion figure's and the
    projections' were not.  Every function of bimotion's that draws through ``pyplot()`` now is."""
    import ast

    from conftest import REPO

    made, bare = [], []
    for path in sorted((REPO / "bimotion").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(call, ast.Call) and getattr(call.func, "id", None) == "pyplot" for call in ast.walk(node)
            ):
                decorated = any(getattr(d, "id", None) == "with_figure_fonts" for d in node.decorator_list)
                (made if decorated else bare).append(f"{path.relative_to(REPO)}::{node.name}")
    assert bare == [] and len(made) >= 3, bare
