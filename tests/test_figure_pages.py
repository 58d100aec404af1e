"""A figure as a reader of the paper sees it, page by page: the heat map's page-sized parts each
carry its title, none is taller than a page (a map of many models is cut between blocks of models),
its title and note keep within the figure as drawn, and text no installed font can draw is said once."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from conftest import REPO

pytest.importorskip("matplotlib")
PIL = pytest.importorskip("PIL.Image")

from bimotion.figures import DPI, PAGE_HEIGHT_IN, PRINT_WIDTH_IN  # noqa: E402


def _map(n_tests: int, n_models: int, names: list[str] | None = None) -> dict:
    """heatmap_data's numbers of ``n_models`` models on ``n_tests`` test sets, scores at random."""
    rng = np.random.default_rng(0)
    models = names or [f"mixture number {k} with a long name" for k in range(n_models)]
    return {"models": [f"m{k}" for k in range(n_models)], "tests": [f"t{j}" for j in range(n_tests)],
            "model_names": models, "test_names": [f"Mandarin elderly {j}" for j in range(n_tests)],
            "values": rng.uniform(10, 90, (n_models, n_tests)), "chance": np.full(n_tests, 33.3),
            "relation": [[None] * n_tests for _ in range(n_models)], "synthetic": []}  # fmt: skip


def _inches(png) -> tuple[float, float]:
    """A saved PNG's size at the resolution it declares, in inches."""
    with PIL.open(png) as image:
        assert image.info["dpi"][1] == pytest.approx(DPI, abs=0.1), png
        return image.size[0] / DPI, image.size[1] / DPI


SVG_LINE = re.compile(r"<!-- (.*?) -->\s*<g transform=\"translate\(([-\d.e]+) ([-\d.e]+)\)")


def _svg_lines(svg) -> list[tuple[str, float, float]]:
    """Every line of text an SVG draws (matplotlib writes each as a comment before its glyphs' group),
    those placed inside the drawing's frame."""
    text = svg.read_text(encoding="utf-8")
    width, height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text).groups())
    return [(m[1], float(m[2]), float(m[3])) for m in SVG_LINE.finditer(text)
            if 0 <= float(m[2]) <= width and 0 <= float(m[3]) <= height]  # fmt: skip


@pytest.mark.parametrize("n_tests, n_models", [(9, 16), (20, 14)])
@pytest.mark.slow  # draws page-sized figures of the largest grids (tens of seconds): the slow tier, which CI runs
def test_every_part_of_a_tall_heat_map_fits_a_page_and_carries_the_title(tmp_path, capsys, n_tests, n_models):
    """Sixteen models on nine test sets made a map of one row of panels 10.2 in tall, which was not
    cut ("note: ... one row of panels (nothing to cut between): scale it to the page"); fourteen on
    twenty test sets made parts 9.3 in tall; and the title was drawn on the first part only, so a
    reader of "-page2" could not tell what it showed.  A map too tall for a page is now split into
    blocks of models too, each a part of at most 7 x 9 in that names which models it holds, and every
    part carries the title (a later one under "(continued: part k of n)")."""
    from bimotion.figures import save_figure
    from bimotion.grid.heatmap import heatmap_figure

    data = _map(n_tests, n_models)
    fig, _ = heatmap_figure(data, [0])
    title = fig.get_suptitle()
    files = save_figure(fig, tmp_path / "map")
    pages = [p for p in files if "-page" in p.name and p.suffix == ".png"]
    assert len(pages) >= 2, files
    said = capsys.readouterr().err
    assert "one row of panels" not in said and "taller than a page" not in said, said
    models_seen: list[int] = []
    for k, png in enumerate(pages, start=1):
        width, height = _inches(png)
        assert width <= PRINT_WIDTH_IN and height <= PAGE_HEIGHT_IN, (png.name, width, height)
        lines = [text for text, *_ in _svg_lines(png.with_suffix(".svg"))]
        assert title.split("\n")[0] in lines, (png.name, lines[:5])  # the title, on every part
        assert (f"(continued: part {k} of {len(pages)})" in lines) == (k > 1), png.name
        rows = [int(m[1]) for line in lines for m in [re.match(r"mixture number (\d+)", line)] if m]
        assert any(re.fullmatch(rf"training mixture \(one model each\): \d+–\d+ of {n_models}", line)
                   for line in lines), lines  # fmt: skip
        models_seen += rows
    blocks_of_tests = -(-n_tests // 10)  # 7 in holds ten of these test sets a block (9: one block)
    assert sorted(models_seen) == sorted(list(range(n_models)) * blocks_of_tests)  # every model, once a block


def test_a_heat_map_that_fits_a_page_is_not_cut():
    """The cut is for maps taller than a page: twelve models on nine test sets stay one block."""
    from bimotion.grid.heatmap import heatmap_figure

    fig, _ = heatmap_figure(_map(9, 12), [0])
    blocks = [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is None]
    assert len(blocks) == 1 and len(blocks[0].get_yticklabels()) == 12


LONG = "all of YueMotion + ESD English adults + ESD Mandarin adults + CREMA-D English adults + TESS"


@pytest.mark.parametrize("n_tests", [1, 9])
def test_the_heat_maps_title_and_note_wrap_within_the_figure_as_drawn(n_tests):
    """The heat map wrapped its title at its own 9 characters an inch (centred over the cells, right of
    the figure's middle) and its note at its own 15, beside the one measure every other figure wraps by
    (bimotion.figures.TITLE_CHARS_PER_IN, CHAR_IN).  Its title is now the figure's, centred on it and
    wrapped by that measure, as is the note: both lie within the figure as the renderer draws them, on
    a map of one test set (3.7 in wide) and of nine, with a long title of a synthetic grid."""
    import matplotlib.pyplot as plt

    from bimotion.grid.heatmap import heatmap_figure

    data = _map(n_tests, 3, names=[LONG, "Mandarin elderly", "耆樂情緒語料 粵語長者"])
    data["test_names"][0] = LONG
    data["synthetic"] = ["tess", "yuemotion"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no Chinese font here: the glyphs' own warnings
        fig, _ = heatmap_figure(data, [0, 1, 2])
        fig.canvas.draw()
    renderer, frame = fig.canvas.get_renderer(), fig.bbox
    texts = [fig._suptitle, *fig.texts]
    assert fig.get_suptitle().count("\n") >= 1 and any(t.get_text().startswith("Cell: weighted F1") for t in texts)
    for text in texts:
        box = text.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, (text.get_text()[:40], box, frame)
    plt.close(fig)


def test_one_measure_of_text_width_wraps_every_figure():
    """Characters per inch are set once, in bimotion.figures (the heat map had its own two)."""
    defined = re.compile(r"^\w*CHARS_PER_IN\s*=", re.MULTILINE)
    where = [str(p.relative_to(REPO)) for package in ("bimotion", "loaders", "yuemotion")
             for p in sorted((REPO / package).rglob("*.py")) for _ in defined.finditer(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert where == ["bimotion/figures.py"], where


@pytest.fixture
def no_chinese_font(monkeypatch):
    """A machine with no font holding Chinese (this one, or any with matplotlib's DejaVu Sans alone)."""
    from bimotion import figure_fonts, figures

    for module in (figures, figure_fonts):  # pyplot's families, and the glyphs drawable() counts on
        monkeypatch.setattr(module, "font_families", lambda: ("sans-serif",))
    monkeypatch.setattr(figure_fonts, "_WARNED", set())
    figure_fonts._glyphs.cache_clear()
    yield
    figure_fonts._glyphs.cache_clear()


def test_text_no_font_can_draw_is_said_once_with_how_to_install_one(tmp_path, no_chinese_font):
    """A speaker or corpus named in Chinese (CSED's, YueMotion's) on a machine with no Chinese font was
    drawn as empty boxes, said only by matplotlib's warning per glyph.  Saving such a figure now
    warns once in a process, naming the text and how to install a font holding it."""
    from bimotion.figure_fonts import MissingGlyphWarning
    from bimotion.figures import pyplot, save_figure

    plt = pyplot()
    for k, name in enumerate(["陳大文", "粵語長者", "Mandarin elderly"]):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.set_title(f"speaker {name}")
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            save_figure(fig, tmp_path / f"fig{k}")
        ours = [w for w in said if issubclass(w.category, MissingGlyphWarning)]
        if k == 0:
            assert len(ours) == 1, [str(w.message) for w in said]
            message = str(ours[0].message)
            assert "'speaker 陳大文'" in message and "fonts-noto-cjk" in message and "fontlist" in message, message
        else:  # once: not for the second Chinese text, nor for Latin text
            assert ours == [], [str(w.message) for w in ours]


def test_a_users_own_figure_still_warns_of_its_missing_glyphs_after_a_bimotion_figure(tmp_path, no_chinese_font):
    """After bimotion's first figure with Chinese text and no font holding it, matplotlib's warning of each
    missing glyph was turned off for the whole process: a notebook user's own figure of Chinese text, drawn
    as empty boxes, said nothing.  It is kept quiet in bimotion's own drawing only (said once there, as
    MissingGlyphWarning); the user's own figure warns as matplotlib does."""
    import matplotlib

    from bimotion.figure_fonts import MissingGlyphWarning
    from bimotion.figures import pyplot, save_figure

    plt = pyplot()
    saves = []
    with warnings.catch_warnings(record=True) as said:  # what a save sets lasts to the block's end, as in a process
        warnings.simplefilter("always")
        for k in range(2):
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.set_title(f"speaker 陳大文{k}")
            start = len(said)
            save_figure(fig, tmp_path / f"ours{k}")
            saves.append(said[start:])
        with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.set_title("my speaker 陳大文")
            start = len(said)
            fig.savefig(tmp_path / "mine.png")
            saves.append(said[start:])
        plt.close(fig)
    counts = [(sum(issubclass(w.category, MissingGlyphWarning) for w in save),
               sum("missing from font" in str(w.message) for w in save)) for save in saves]  # fmt: skip
    assert counts[:2] == [(1, 0), (0, 0)], [[str(w.message) for w in save] for save in saves]
    assert counts[2][0] == 0 and counts[2][1] >= 3, [str(w.message) for w in saves[2]]  # a glyph each: 陳 大 文


@pytest.mark.parametrize(
    "name, cjk",
    [("Mandarin elderly 🧓", False), ("ｶﾀｶﾅ elderly", True), ("한국어 노인", True), ("、Ａ", True)],
)
def test_only_chinese_japanese_or_korean_text_gets_the_advice_of_a_chinese_font(tmp_path, no_chinese_font, name, cjk):
    """Text was judged Chinese by its East Asian width: an emoji (as wide) got "install a font holding
    Chinese", and half-width katakana (narrow) did not.  It is judged by its script now: CJK ideographs,
    kana, hangul, CJK punctuation and full- or half-width forms get that advice; an emoji the general one."""
    from bimotion.figure_fonts import MissingGlyphWarning, is_cjk
    from bimotion.figures import pyplot, save_figure

    assert any(map(is_cjk, name)) == cjk
    fig, ax = pyplot().subplots(figsize=(3, 2))
    ax.set_title(name)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        save_figure(fig, tmp_path / "fig")
    [ours] = [str(w.message) for w in said if issubclass(w.category, MissingGlyphWarning)]
    assert repr(name) in ours, ours
    if cjk:
        assert "a font holding Chinese" in ours and "fonts-noto-cjk" in ours, ours
    else:
        assert "a font holding these characters" in ours and "Chinese" not in ours and "CJK" not in ours, ours


def test_a_row_of_panels_taller_than_a_page_is_said_to_print_scaled(tmp_path, capsys):
    """A figure of one row of panels taller than a page was said to be so with "draw it in shorter rows",
    which no user of a command can do.  The note now says it is saved whole and prints scaled to fit a page
    (by how much), that no command of bimotion's draws one, and how tall a figure of one's own prints at its size."""
    from bimotion.figures import pyplot, save_figure

    fig, ax = pyplot().subplots(figsize=(4, 12))
    ax.plot([0, 1], [0, 1])
    files = save_figure(fig, tmp_path / "tall")
    assert [f.name for f in files] == ["tall.png", "tall.svg"]
    said = capsys.readouterr().err
    tall = float(re.search(r"tall\.png is ([\d.]+) in tall", said).group(1))
    scale = int(re.search(r"prints at (\d+)% of its size to fit a page", said).group(1))
    assert tall > PAGE_HEIGHT_IN and abs(scale - 100 * PAGE_HEIGHT_IN / tall) < 1, said
    assert "no command of bimotion's draws such a figure" in said and "at most 8.8 in tall: figsize" in said, said
    assert "shorter rows" not in said, said


def test_a_grid_says_the_note_of_a_figure_over_a_page_once_not_for_every_models_figure(tmp_path, capsys, monkeypatch):
    """The demo's grid.log said 'note: seed0.confusion.png is 11.1 in tall, over a page's 9 in: also wrote it in 2
    page-sized parts ...' once for every model (13 times).  A grid's run now says it once, for its first such
    figure, saying that the others are not noted again; a figure saved outside a run is still noted each time."""
    from types import SimpleNamespace

    from bimotion.figures import pyplot, save_figure
    from bimotion.grid.runner import Grid

    def tall(folder):
        fig, axes = pyplot().subplots(4, 1, figsize=(4, 14))
        for ax in axes:
            ax.plot([0, 1], [0, 1])
        return save_figure(fig, tmp_path / folder / "seed0.confusion.png")

    grid = Grid.__new__(Grid)  # Grid.run's own scope, its steps three models' figures
    grid.config, grid.command, grid.out = SimpleNamespace(num_threads=1), [], tmp_path
    monkeypatch.setattr(Grid, "_run", lambda self: [tall(f"metrics/{m}") for m in ("zho_adu", "zho_eld", "eng_adu")])
    files = grid.run()
    assert all(any(f.name == "seed0.confusion-page2.png" for f in written) for written in files), files
    said = capsys.readouterr().err
    assert said.count("in tall, over a page's 9 in: also wrote it in") == 1, said
    # which model's figure it measured: its path in the run's output folder (it named seed0.confusion.png alone)
    assert said.startswith("note: metrics/zho_adu/seed0.confusion.png is "), said
    assert "seed0.confusion-page1.png, seed0.confusion-page2.png (and each as .svg, each with the figure's key)" in said
    assert "said once: this run's other seed0.confusion.png files over a page in 2 parts are not noted again" in said
    tall("a")
    tall("b")  # outside a run: each figure, as before, named by its folder and name
    said = capsys.readouterr().err
    assert said.count("in tall, over a page's 9 in") == 2
    assert "note: a/seed0.confusion.png is " in said and "note: b/seed0.confusion.png is " in said
