"""The heat map is drawn in fonts holding its every glyph however it is saved: bimotion's own save quieted
matplotlib's "Glyph ... missing from font" warnings, but a user's own ``fig.savefig`` of ``heatmap_figure``'s
figure warned of each (the marks †, ‡ and − in a font of their own settings lacking them, a name in Chinese)
and drew them as empty boxes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")


def _data(model_name: str) -> dict:
    """heatmap_data's numbers of three models on two test sets: one cell at or below chance (†), two of test
    clips their model trained on (‡)."""
    return {"models": ["m0", "m1", "m2"], "tests": ["zho_eld", "yue_eld"],
            "model_names": [model_name, "Mandarin adults", "Mandarin elderly + Mandarin adults"],
            "test_names": ["Mandarin elderly", "Cantonese elderly"],
            "values": np.array([[40.0, 55.0], [60.0, 30.0], [52.0, 61.0]]), "chance": np.array([50.0, 33.3]),
            "relation": [["baseline", None], [None, None], [None, "included"]],
            "training_clips": [[3, 0], [0, 0], [0, 2]], "num_test": [10, 10], "synthetic": []}  # fmt: skip


def _saved_as_a_user_saves(fig, path) -> list[str]:
    """The glyph warnings of a plain ``fig.savefig`` from the user's own code."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        fig.savefig(path)
    plt.close(fig)
    return [str(w.message) for w in said if "missing from font" in str(w.message)]


def test_a_users_own_savefig_draws_the_marks_in_a_font_of_their_settings_lacking_them(tmp_path):
    """With ``font.family: cmr10`` (Computer Modern, which holds no †, ‡ or −) the map's marks were empty
    boxes and a warning each; its text now takes them from matplotlib's own font."""
    import matplotlib
    from matplotlib.text import Text

    from bimotion.figure_fonts import drawable
    from bimotion.grid.heatmap import heatmap_figure

    with matplotlib.rc_context({"font.family": ["cmr10"], "axes.formatter.use_mathtext": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # what the map's own layout says is bimotion's to keep quiet
            fig, _ = heatmap_figure(_data("Cantonese elderly"), [0])
        texts = [t for t in fig.findobj(Text) if t.get_text()]
        assert _saved_as_a_user_saves(fig, tmp_path / "map.png") == []
    marked = [t for t in texts if set("†‡−") & set(t.get_text())]
    assert {"†", "‡", "−"} <= set("".join(t.get_text() for t in marked))
    assert all(drawable(t.get_text(), tuple(t.get_fontfamily())) for t in marked)  # its own fonts hold them
    assert all(t.get_fontfamily()[0] == "cmr10" for t in texts)  # the user's font first


def test_a_name_no_installed_font_holds_is_said_once_and_saves_with_no_glyph_warning(tmp_path, monkeypatch):
    """A model named in Chinese, no font holding Chinese: the map was built in silence and each of its
    saves by the user's own code warned of every glyph.  The name is drawn as the boxes matplotlib drew,
    said once when the map is made, and no save warns."""
    import matplotlib

    from bimotion import figure_fonts
    from bimotion.figure_fonts import MissingGlyphWarning
    from bimotion.grid.heatmap import heatmap_figure

    monkeypatch.setattr(figure_fonts, "font_families", lambda: ("sans-serif",))  # no Chinese font, here or not
    monkeypatch.setattr(figure_fonts, "_WARNED", set())
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        with pytest.warns(MissingGlyphWarning, match="'耆樂情緒語料 Cantonese elderly'") as said:
            fig, ax = heatmap_figure(_data("耆樂情緒語料 Cantonese elderly"), [0])
        assert [w.filename for w in said] == [__file__]  # the line that made the map
        rows = [t.get_text() for t in ax.get_yticklabels()]
        assert _saved_as_a_user_saves(fig, tmp_path / "map.png") == []
    assert rows[0].split() == [chr(0x25A1) * 6, "Cantonese", "elderly"]  # □, as matplotlib drew each
