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

    from bimotion.grid.heatmap import bar_label, heatmap_figure

    fig, ax = heatmap_figure(_data(n_models), [0, 1, 2])
    fig.canvas.draw()  # the bar's length is set at drawing: measured before, it was the map's height
    renderer = fig.canvas.get_renderer()
    bar_ax = fig.axes[1]
    label = bar_ax.yaxis.label
    assert " ".join(label.get_text().split()) == bar_label("weighted_f1")
    bar, text, title = (a.get_window_extent(renderer) for a in (bar_ax, label, fig._suptitle))
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


NAMES = ["Mandarin elderly", "Mandarin adults", "English elderly", "English adults", "Cantonese adults",
         "Cantonese elderly", "all of YueMotion + ESD English adults", "Mandarin, all ages", "English, all ages",
         "elderly, all languages", "CREMA-D English adults", "TESS English elderly", "ESD Mandarin adults",
         "IEMOCAP English adults", "ElderReact English elderly", "CSED Mandarin elderly"]  # fmt: skip


@pytest.mark.parametrize("n_tests", [1, 3, 9, 10, 12, 13, 16, 24])
@pytest.mark.slow  # draws page-sized figures of the largest grids (tens of seconds): the slow tier, which CI runs
def test_a_wide_map_fits_a_pages_width_with_every_score_inside_its_cell(tmp_path, n_tests):
    """A grid of more than about 9 test sets grew past the page (12 test sets: 7.9 in, 16: 9.7 in),
    its 7-8 pt text then printed smaller.  At any number of test sets the map is now at most
    PRINT_WIDTH_IN wide: the colour bar under the map, then 7 pt scores in narrower cells, then the
    test sets split into blocks stacked one over the other; every score within its cell, no column
    names overlapping, no text under SMALL_PT, every test set drawn once in each block of models."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from bimotion.figures import DPI, PRINT_WIDTH_IN, SMALL_PT, save_figure
    from bimotion.grid.heatmap import heatmap_figure

    names = [NAMES[k % len(NAMES)] + ("" if k < len(NAMES) else f" {k}") for k in range(n_tests)]
    models = ["Mandarin elderly", "English adults", "all of YueMotion + ESD English adults + ESD Mandarin adults"]
    models += [f"mixture {k}" for k in range(10)]
    values = np.random.default_rng(1).uniform(10, 95, (len(models), n_tests))
    data = {"models": models, "tests": names, "model_names": models, "test_names": names, "values": values,
            "chance": np.full(n_tests, 33.3), "synthetic": ["csed"],
            "relation": [["baseline" if i == j else None for j in range(n_tests)] for i in range(len(models))],
            "untrained": [[i == j + 1 for j in range(n_tests)] for i in range(len(models))]}  # fmt: skip
    # a cell with every mark: at chance, labels never trained on and not held out ("20.0†*‡", wider
    # than the cells were sized for: it ran out of its cell into the next one's score)
    data["training_clips"] = [[3 * (i == j + 1) for j in range(n_tests)] for i in range(len(models))]
    for j in range(min(n_tests, len(models) - 1)):
        values[j + 1, j] = 20.0
    fig, _ = heatmap_figure(data, [0])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    sizes = {t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text())}
    assert min(sizes) >= SMALL_PT, sorted(sizes)
    maps = [ax for ax in fig.axes if ax.get_images() and ax.get_yticklabels()]
    drawn = [" ".join(t.get_text().split("\n")[:-1]) for ax in maps for t in ax.get_xticklabels()]
    blocks_of_models = len({tuple(t.get_text() for t in ax.get_yticklabels()) for ax in maps})  # 13 models: two
    assert list(dict.fromkeys(drawn)) == names and len(drawn) == len(names) * blocks_of_models, drawn  # in order
    for ax in maps:
        columns = len(ax.get_xticklabels())
        cell = ax.get_window_extent(renderer).width / columns
        scores = [t for t in ax.texts if t.get_fontweight() == "bold"]
        assert scores and max(t.get_window_extent(renderer).width for t in scores) < cell, n_tests
        ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
        assert not any(a.overlaps(b) for a, b in zip(ticks, ticks[1:], strict=False))
    assert "20.0†*‡" in {t.get_text() for ax in maps for t in ax.texts}
    png = save_figure(fig, tmp_path / "heatmap")[0]
    with Image.open(png) as image:
        width = image.size[0] / DPI
    assert width <= PRINT_WIDTH_IN, (n_tests, width)  # 12 test sets: was 7.9 in, 16: 9.7 in
    plt.close(fig)


@pytest.mark.filterwarnings("ignore::bimotion.figure_fonts.MissingGlyphWarning")  # said where no font holds Chinese
def test_chinese_row_and_column_names_wrap_by_their_drawn_width():
    """Row names were wrapped at 28 characters, column names at 24, counted one a character: a name
    with Chinese in it (a corpus of one's own named 耆樂情緒語料), each of whose characters is drawn
    about two Latin ones wide, ran to nearly twice the width the layout left it before wrapping.
    Names now wrap by drawn width (bimotion.figures.text_width), a Chinese run without spaces broken
    where it reaches the width (with no font holding Chinese, each character drawn as the box matplotlib
    drew, bimotion.figure_fonts.boxed, as wide)."""
    import matplotlib.pyplot as plt

    from bimotion.figure_fonts import boxed
    from bimotion.figures import text_width, wrap
    from bimotion.grid.heatmap import heatmap_figure
    from bimotion.grid.heatmap_layout import COLUMN_CHARS, ROW_CHARS

    assert wrap("耆樂情緒語料 Cantonese elderly", 28) == ["耆樂情緒語料 Cantonese", "elderly"]
    assert wrap("香港長者情緒語音語料庫", 8) == ["香港長者", "情緒語音", "語料庫"]
    assert wrap("all of YueMotion + ESD English adults", 28) == ["all of YueMotion + ESD", "English adults"]
    names = [
        "耆樂情緒語料 Cantonese elderly",
        "耆樂情緒語料 + ESD English adults",
        "香港長者情緒語音語料庫耆樂情緒語料粵語長者",
    ]
    data = {"models": ["a", "b", "c"], "tests": ["t"], "model_names": names, "test_names": ["耆樂情緒語料 Cantonese elderly"],
            "values": np.array([[40.0], [50.0], [60.0]]), "chance": np.array([33.3]),
            "relation": [["baseline"], [None], [None]], "synthetic": []}  # fmt: skip
    fig, ax = heatmap_figure(data, [0])
    rows = [t.get_text() for t in ax.get_yticklabels()]
    shown = boxed(names)  # as they are drawn: the names themselves where a font holds Chinese
    assert [" ".join(r.split()) for r in rows[:2]] == shown[:2] and "".join(rows[2].split()) == shown[2]  # whole
    assert max(text_width(line) for row in rows for line in row.split("\n")) <= ROW_CHARS, rows  # was 30
    column = ax.get_xticklabels()[0].get_text().split("\n")
    assert max(text_width(line) for line in column) <= COLUMN_CHARS, column  # was 30
    plt.close(fig)


@pytest.mark.parametrize("n_tests", [2, 14])  # the colour bar beside the map, and under it
def test_below_chance_reads_in_greyscale_on_every_cell_and_on_the_colour_bar(n_tests):
    """Printed in greyscale, the diverging scale's two ends are one grey (RdBu's reds and blues are
    as light as each other): the colour bar did not say which side of chance a grey is, and a cell
    far below chance (dark red) had its hatch drawn black at 35 %, lost on it.  Each hatch is now
    black or white, whichever its cell's text is, and the bar's values at or below chance are hatched
    as the cells are."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    from bimotion.figures import contrast
    from bimotion.grid.heatmap import heatmap_figure

    values = np.full((3, n_tests), 40.0)
    values[0, 0], values[1, 0], values[2, -1] = 2.0, 30.0, 60.0  # darkest red (far below chance), light red, blue
    data = {"models": ["a", "b", "c"], "tests": [f"t{j}" for j in range(n_tests)], "model_names": ["a", "b", "c"],
            "test_names": [f"test set {j}" for j in range(n_tests)], "values": values,
            "chance": np.full(n_tests, 33.3), "relation": [[None] * n_tests] * 3, "synthetic": []}  # fmt: skip
    fig, ax = heatmap_figure(data, [0])
    image = ax.get_images()[0]
    hatches = [p for p in ax.patches if p.get_gid() == "at_or_below_chance"]
    assert len(hatches) == 2
    for patch in hatches:
        cell = image.cmap(image.norm(image.get_array()[round(patch.get_y() + 0.5), round(patch.get_x() + 0.5)]))
        *rgb, alpha = patch.get_edgecolor()
        seen = [alpha * a + (1 - alpha) * b for a, b in zip(rgb, to_rgb(cell), strict=True)]
        assert contrast(seen, cell) >= 1.5, (patch.get_x(), cell, patch.get_edgecolor())  # was 1.1 on the darkest
    bar = next(a for a in fig.axes if getattr(a, "_colorbar", None) is not None)
    spans = [p for p in bar.patches if p.get_gid() == "at_or_below_chance"]
    vertical = n_tests == 2
    ends = sorted(v for p in spans for v in (p.get_extents().transformed(bar.transData.inverted()).intervaly
                                            if vertical else p.get_extents().transformed(bar.transData.inverted()).intervalx))  # fmt: skip
    low, high = bar.get_ylim() if vertical else bar.get_xlim()
    assert spans and ends[0] == pytest.approx(low, abs=0.5) and ends[-1] == pytest.approx(0.0, abs=0.5), ends
    assert high > 0.5  # nothing above chance is hatched
    plt.close(fig)


def test_a_hyphenated_name_wider_than_a_line_breaks_after_a_hyphen_not_inside_a_word():
    """Names wrapped by drawn width (bimotion.figures.wrap) broke a hyphenated one wider than a line
    inside a word ("Mandarin elderly (CSED) · cross-corpus-augment" | "ed", a run's
    "wav2vec2-large-xlsr-53-bimotion-all-s" | "eed0"), where textwrap, which they replaced, broke it after
    a hyphen; they break there again, and a word with no hyphen wider than a line is still cut at the width."""
    from bimotion.figures import wrap

    assert wrap("Mandarin elderly (CSED) · cross-corpus-augmented", 20) == [
        "Mandarin elderly", "(CSED) · cross-", "corpus-augmented"
    ]  # fmt: skip
    assert wrap("wav2vec2-large-xlsr-53-bimotion-all-seed0", 28) == ["wav2vec2-large-xlsr-53-", "bimotion-all-seed0"]
    assert wrap("English (cross-lingual, speaker-independent)", 28) == [
        "English (cross-lingual,", "speaker-independent)"
    ]  # fmt: skip
    assert wrap("耆樂情緒語料-粵語長者", 13) == ["耆樂情緒語料-", "粵語長者"]  # a hyphen in Chinese too
    assert wrap("abcdefghijkl", 5) == ["abcde", "fghij", "kl"]


def test_a_note_naming_cells_not_held_out_leaves_the_rows_their_height():
    """advise's map of three models, two of them scored on clips they trained on (‡): the note under
    it, naming each such cell, grew by three lines and took them from the rows (0.36 in each without
    it, 0.22 with it: the scores ran over the in-group boxes).  The figure grows by the note instead."""
    import matplotlib.pyplot as plt

    from bimotion.grid.heatmap import heatmap_figure

    def drawn(heard: list[list[int]]) -> tuple[float, float, str]:
        data = {**_data(3), "num_test": [7], "training_clips": heard, "untrained": [[False], [False], [True]]}
        fig, ax = heatmap_figure(data, [0])
        fig.canvas.draw()
        rows_in = ax.get_window_extent().transformed(fig.dpi_scale_trans.inverted()).height
        note = " ".join(" ".join(t.get_text().split()) for t in fig.texts if t.get_text().startswith("Cell:"))
        height = fig.get_figheight()
        plt.close(fig)
        return rows_in, height, note

    held_rows, held_height, _ = drawn([[0], [0], [0]])
    rows, height, note = drawn([[3], [3], [0]])
    assert (
        "‡ scored on clips the model trained on, not held out: Mandarin elderly on Mandarin elderly 3 of its 7" in note
    )
    assert rows == pytest.approx(held_rows, abs=0.02) and height > held_height, (rows, held_rows)


@pytest.mark.parametrize("width", range(20, 90))
def test_a_titles_seed_is_never_parted_from_its_word(width):
    """The demo's heat map title wrapped as "... every test set (seed" | "0) — synthetic demo data ..." (2-core
    demo, 9 test sets): a two-word parenthesis is kept on one line, at every width; the words are unchanged."""
    from bimotion.figures import wrap

    title = (
        "Weighted F1 (%) at the 0.5 threshold of every model on every test set (seed 0) — synthetic demo data: "
        "not comparable with the paper"
    )
    lines = wrap(title, width)
    assert " ".join(lines) == title
    assert not any(line.endswith("(seed") or line.startswith("0)") for line in lines), lines
    assert all(len(line) <= width for line in lines), lines
