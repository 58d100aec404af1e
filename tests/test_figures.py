"""The paper's figures, saved for print.  A new user's review: the confusion figure was a PNG at 100
dpi only, while the heat map and the projections were 150 dpi plus an SVG (three copies of savefig);
and the demo's heat map was 19.8 in wide, so at a page's width its 7-9 pt text printed at about 3 pt.
Every figure is now saved by one function (bimotion.figures.save_figure) at one resolution with a
vector copy, and the heat map is drawn at the size it prints at."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from conftest import REPO

pytest.importorskip("matplotlib")
PIL = pytest.importorskip("PIL.Image")

from bimotion.figures import DPI, PRINT_WIDTH_IN, SMALL_PT  # noqa: E402


def _inches(png) -> tuple[float, float]:
    """A saved PNG's size at the resolution it declares (its pHYs chunk), in inches."""
    with PIL.open(png) as image:
        dpi = image.info["dpi"]
        assert dpi[0] == pytest.approx(DPI, abs=0.1) and dpi[1] == pytest.approx(DPI, abs=0.1), png
        return image.size[0] / dpi[0], image.size[1] / dpi[1]


def _is_svg(path) -> bool:
    text = path.read_text(encoding="utf-8")
    return text.lstrip().startswith("<?xml") and "<svg" in text and "</svg>" in text


def _demo_grid(tmp_path):
    """The demo's grid (Tables 3-5 and its extra test sets: 13 models x 9 test sets), with numbers."""
    import yaml

    from bimotion.grid import shipped_config
    from bimotion.grid.config import GridConfig
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult

    demo = yaml.safe_load(shipped_config("demo").read_text(encoding="utf-8"))
    config = GridConfig(tables=demo["tables"], extra_tests=demo["extra_tests"], bootstrap_samples=10)
    plan = make_plan(config)
    rng = np.random.default_rng(0)
    matrix = {
        (m.name, t): {"mean": float(rng.uniform(10, 90)), "chance": 33.3} for m in plan.models for t in plan.tests
    }
    return GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {})


def test_the_demos_heat_map_prints_at_a_pages_width_with_readable_text(tmp_path):
    import matplotlib.pyplot as plt

    from bimotion.grid.heatmap import heatmap_data, heatmap_figure, render_heatmap

    result = _demo_grid(tmp_path)
    files = render_heatmap(result, tmp_path / "heatmap")
    assert [f.suffix for f in files] == [".csv", ".png", ".svg"] and _is_svg(tmp_path / "heatmap.svg")
    width, height = _inches(tmp_path / "heatmap.png")
    assert width <= PRINT_WIDTH_IN and height <= 9.0, (width, height)  # was 19.8 x 10.1 in
    # the text as drawn, at that size: no smaller than SMALL_PT, each row name on lines of at most 28
    # characters, and no two column names overlapping
    fig, ax = heatmap_figure(heatmap_data(result), [0])
    sizes = {t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text())}
    assert min(sizes) >= SMALL_PT, sorted(sizes)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert max(len(line) for row in rows for line in row.split("\n")) <= 28
    assert "all of YueMotion + ESD English adults + ESD Mandarin adults" in [" ".join(r.split()) for r in rows]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
    plt.close(fig)


def test_every_figure_is_saved_at_one_resolution_with_a_vector_copy(tmp_path):
    from bimotion.projection_plot import draw
    from bimotion.projection_spec import ProjectionSpec
    from bimotion.training.confusion_plot import draw_confusion
    from bimotion.training.metrics import score_groups
    from loaders.labels import LABEL2ID, LABELS

    labels = np.zeros((8, len(LABELS)), dtype=np.int8)
    mask = np.zeros_like(labels)
    for i, name in enumerate(["anger", "happiness", "neutral", "sadness"] * 2):
        labels[i, LABEL2ID[name]] = 1
        mask[i, [LABEL2ID[n] for n in ("anger", "happiness", "neutral", "sadness")]] = 1
    result = score_groups(labels * 2.0 - 1, labels, mask, ["csed"] * 8, ["zho_eld"] * 8)
    png = draw_confusion(
        result, tmp_path / "seed0.confusion.png", "Trained on Mandarin elderly (seed 0): confusion on the test split"
    )
    assert png == tmp_path / "seed0.confusion.png"  # was 100 dpi, and no vector copy
    assert _is_svg(tmp_path / "seed0.confusion.svg")
    with PIL.open(png) as image:
        assert image.info["Title"] == "Trained on Mandarin elderly (seed 0): confusion on the test split"
    _inches(png)

    rng = np.random.default_rng(0)
    xy = rng.normal(0, 1, (30, 2))
    names = [("happiness",), ("sadness",), ("neutral",)] * 10
    panel = {"title": "p", "train": "yue_adu", "model": "m", "train_xy": xy, "train_labels": names,
             "test_xy": xy[::3], "test_labels": names[::3]}  # fmt: skip
    spec = ProjectionSpec.from_dict({"name": "yue", "title": "t", "model": "m", "test": "yue_adu",
                                     "labels": ["happiness", "sadness", "neutral"], "panels": [{"title": "p", "train": "yue_adu"}]})  # fmt: skip
    files = draw(spec, [panel], ["happiness", "sadness", "neutral"], tmp_path / "yue")
    assert files == [tmp_path / "yue.png", tmp_path / "yue.svg"] and _is_svg(files[1])
    _inches(files[0])


def test_only_the_figure_seam_saves_a_figure():
    """One savefig in the package: a figure saved elsewhere would get its own resolution again."""
    calls = [str(p.relative_to(REPO)) for package in ("bimotion", "loaders", "yuemotion")
             for p in sorted((REPO / package).rglob("*.py")) if re.search(r"\.savefig\(", p.read_text(encoding="utf-8"))]  # fmt: skip
    assert calls == ["bimotion/figures.py"]


def test_a_titles_characters_per_inch_is_set_once():
    """The confusion figure, the projections and the heat map each defined how many 10 pt characters
    a title has per inch (11, 11 and 9) and the first two a title line's height: one is now in
    bimotion.figures, the heat map's own (its title off the figure's centre) named as such."""
    defined = re.compile(r"^(TITLE_)?CHARS_PER_IN\s*=|^TITLE_LINE_IN\s*=", re.MULTILINE)
    where = [str(p.relative_to(REPO)) for package in ("bimotion", "loaders", "yuemotion")
             for p in sorted((REPO / package).rglob("*.py")) for _ in defined.finditer(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert where == ["bimotion/figures.py", "bimotion/figures.py"]


@pytest.mark.parametrize(
    "train, seed, run_name, title",
    [
        ("bimotion:all", 0, None, "Trained on all of BiMotion (seed 0): confusion on every test set"),
        ("eng_adu", 0, "eng_adu", "Trained on English adults (seed 0): confusion on every test set"),
        ("eng_eld", 42, "my-run", "my-run: trained on English elderly (seed 42): confusion on every test set"),
    ],
)
def test_a_confusion_figure_is_titled_by_its_training_data_as_a_reader_names_it(train, seed, run_name, title):
    """The figure's title was the raw spec ('bimotion:all (seed 0): confusion on every test set'), while its
    panels and the heat map name the data ('all of BiMotion'): it is named the same way now."""
    from bimotion.training.confusion_plot import confusion_title

    assert confusion_title(train, "every test set", seed, run_name) == title


def test_a_corpus_titled_in_chinese_is_drawn_in_a_font_holding_it_or_named_by_its_corpus_name(tmp_path, monkeypatch):
    """A Hong Kong team's own corpus, its card's pretty_name 耆樂情緒語料: advise's heat map drew the
    title as empty boxes (matplotlib's DejaVu Sans holds no Chinese; twelve 'Glyph ... missing' warnings),
    even where a Chinese font was installed.  A figure's text now takes a glyph its font lacks from an
    installed Chinese font (bimotion.figure_fonts.font_families), and where none holds it the heat map names
    the corpus by its corpus name: no text is drawn as boxes either way."""
    import warnings

    import loaders
    from bimotion.figure_fonts import drawable
    from bimotion.figures import pyplot, save_figure
    from bimotion.grid.heatmap_layout import heatmap_size
    from bimotion.mixture import mixture_name
    from bimotion.registry import BENCHMARKS, BUILTIN, extend
    from loaders import testing

    title, name = "耆樂情緒語料", "canto_fig"
    root = testing.make_corpus("audiofolder", tmp_path, corpus=name, language="yue", speakers=2, clips_per_speaker=1)
    (root / "README.md").write_text(f"---\nlicense: cc-by-4.0\npretty_name: {title}\n---\n", encoding="utf-8")
    loaders.load(name, root)
    monkeypatch.setitem(loaders.SOURCES, name, loaders.SOURCES.pop(name))  # gone again after the test
    monkeypatch.setitem(BENCHMARKS, "yuemotion", extend(BUILTIN["yuemotion"], [loaders.SOURCES[name]]))
    shown = mixture_name(f"yue_eld[{name}]")
    assert shown == f"{title if drawable(title) else name} Cantonese elderly", shown
    assert drawable("Cantonese elderly") and drawable("weighted F1 − chance †")
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.set_title(f"Weighted F1 (%) of every model on {shown}")
    ax.set_yticks([0], [shown])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "Glyph 32774 (...) missing from font(s) DejaVu Sans."
        save_figure(fig, tmp_path / "names")
    # drawn, each character of the title is about two Latin ones wide: the map is laid out so (it was sized
    # as if they were one wide, and its cells squeezed to a third less to fit the names)
    columns = ["Cantonese elderly\n(chance 33.3)"]
    assert heatmap_size([f"{title} Cantonese elderly"], columns) == heatmap_size(
        ["x" * 12 + " Cantonese elderly"], columns
    )


def _many_test_sets(count: int) -> dict:
    """score_groups' result over ``count`` (group, corpus) test sets: CREMA-D's six labels, IEMOCAP's
    eleven and ElderReact's multi-label six in turn, predictions drawn at random."""
    from bimotion.training.metrics import score_groups
    from loaders.labels import LABEL2ID, LABELS

    spaces = [("crema_d", ["sadness", "fear", "anger", "happiness", "disgust", "neutral"]),
              ("iemocap", [lb for lb in LABELS if lb not in ("positive", "negative")]),
              ("elderreact", ["sadness", "fear", "anger", "happiness", "disgust", "surprise"])]  # fmt: skip
    rng = np.random.default_rng(0)
    parts = []
    for k in range(count):
        corpus, space = spaces[k % 3]
        labels = np.zeros((40, len(LABELS)), dtype=np.int8)
        mask = np.zeros_like(labels)
        mask[:, [LABEL2ID[lb] for lb in space]] = 1
        for i in range(40):
            chosen = rng.choice(space, size=2 if corpus == "elderreact" and i % 2 else 1, replace=False)
            labels[i, [LABEL2ID[lb] for lb in chosen]] = 1
        parts.append((rng.normal(0, 2, labels.shape), labels, mask, [corpus] * 40, [f"eng_adu{k}"] * 40))
    return score_groups(*(np.concatenate([p[j] for p in parts]) for j in range(5)))


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6, 9, 12, 13])
def test_the_confusion_figure_fits_a_pages_width_at_any_number_of_test_sets(tmp_path, count):
    """The demo's nine panels made a figure 10.2 x 11.1 in (three panels of 3.4 in a row), so at a
    page's width its 7-8 pt text printed at about 5 pt.  At any number of panels it is now at most
    the page's width, its text no smaller than SMALL_PT, no two panels' texts overlapping, and nine
    panels still fit a page's height."""
    import matplotlib.pyplot as plt

    from bimotion.training.confusion_plot import columns, confusion_figure, draw_confusion
    from loaders.labels import LABEL_CODES

    result = _many_test_sets(count)
    title = "Trained on all of BiMotion (seed 0): confusion on every test set — synthetic demo data: not comparable with the paper"
    width, height = _inches(draw_confusion(result, tmp_path / "confusion.png", title))
    assert width <= PRINT_WIDTH_IN and (height <= 9.5 or count > 9), (count, width, height)
    fig = confusion_figure(result, title)
    fig.canvas.draw()  # the axis labels are placed at drawing
    sizes = {t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text())}
    assert min(sizes) >= SMALL_PT, sorted(sizes)
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    boxes = []  # per panel: the box of every text it draws around its matrix
    for ax in fig.axes:
        texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
        boxes.append([t.get_window_extent(renderer) for t in texts if t.get_text()])
        for box in boxes[-1]:
            assert frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1, (count, ax.get_title())
        ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_rotation() in (0, 90)]
        assert not any(a.overlaps(b) for a, b in zip(ticks, ticks[1:], strict=False)), (count, ax.get_title())
        rows = [t.get_window_extent(renderer) for t in ax.get_yticklabels()]
        assert not any(a.overlaps(b) for a, b in zip(rows, rows[1:], strict=False)), (count, ax.get_title())
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not any(p.overlaps(q) for p in a for q in b), (count, fig.axes[i].get_title(), fig.axes[j].get_title())
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    if columns(count) >= 3:  # three panels a row: the labels' codes, spelled out under the title
        legend = next(t for t in fig.texts if t.get_gid() == "legend")
        assert "ang" in ticks and "labels: sad = sadness" in " ".join(legend.get_text().split())
        assert set(ticks) <= set(LABEL_CODES.values())
    else:
        assert "anger" in ticks
    plt.close(fig)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6])
def test_the_projection_figure_fits_a_pages_width_with_its_legend_under_the_panels(tmp_path, count):
    """The projection figure was 4.2 in a panel plus a legend at its right: 10.5-11.2 in wide for two
    or four panels, its 8-10 pt text ~6 pt at a page's width.  It is now at most the page's width
    (one panel: a column's, 3.4 in), the legend under the panels, no text under SMALL_PT, and no
    two panels' titles overlapping."""
    import matplotlib.pyplot as plt

    from bimotion.projection_plot import draw, figure

    spec, panels, labels = _projection_panels(count)
    width, _ = _inches(draw(spec, panels, labels, tmp_path / "figure2")[0])
    assert width <= (3.5 if count == 1 else PRINT_WIDTH_IN), (count, width)  # was 7.4 for one panel, 11.2 for two
    fig = figure(spec, panels, labels)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    sizes = {t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text())}
    assert min(sizes) >= SMALL_PT, sorted(sizes)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    legend = fig.legends[0].get_window_extent(renderer)
    assert legend.y1 < min(ax.get_tightbbox(renderer).y0 for ax in shown), count  # under every panel
    assert fig.bbox.x0 <= legend.x0 and legend.x1 <= fig.bbox.x1
    titles = [ax.title.get_window_extent(renderer) for ax in shown]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(titles, 2))
    assert all(fig.bbox.x0 <= t.x0 and t.x1 <= fig.bbox.x1 for t in titles)
    plt.close(fig)


def test_every_confusion_count_reads_against_its_cell():
    """A count was white on any cell over 60 % of its row: on Blues at 61-70 % that is a contrast of
    3.3-4.4 to 1, under the 4.5 that 7 pt text needs, on the cells that matter most (the diagonal).  Each
    count is now black or white, whichever contrasts more with its cell (the heat map's rule)."""
    import matplotlib.pyplot as plt

    from bimotion.figures import contrast
    from bimotion.training.confusion_plot import confusion_figure

    fig = confusion_figure(_many_test_sets(3), "three test sets")
    checked = 0
    for ax in fig.axes:
        image = ax.get_images()[0]
        for text in ax.texts:
            x, y = text.get_position()
            background = image.cmap(image.norm(image.get_array()[round(y), round(x)]))
            assert contrast(text.get_color(), background) >= 4.5, (text.get_text(), background)
            checked += 1
    shares = np.concatenate([ax.get_images()[0].get_array().ravel() for ax in fig.axes])
    assert checked > 50 and ((shares > 0.6) & (shares < 0.7)).any()  # cells where white read at under 4.5:1
    plt.close(fig)


def _projection_panels(count: int) -> tuple:
    """(spec, panels, labels) of a projection figure of ``count`` panels, points drawn at random."""
    from bimotion.projection_spec import ProjectionSpec

    rng = np.random.default_rng(0)
    names = [("happiness",), ("sadness",), ("neutral",), ("anger",)] * 10
    panels = [{"title": f"yue + zho (ESD Mandarin) {k}", "train": "yuemotion:all+zho_adu[esd]", "model": "bimotion:all",
               "train_xy": rng.normal(0, 1, (40, 2)), "train_labels": names, "test_xy": rng.normal(0, 1, (12, 2)),
               "test_labels": names[:12]} for k in range(count)]  # fmt: skip
    spec = ProjectionSpec.from_dict({"name": "figure2", "title": "Cross-group data augmentation on Cantonese adults "
                                     "(paper Figure 2)", "model": "bimotion:all", "test": "yue_adu",
                                     "panels": [{"title": "p", "train": "yue_adu"}]})  # fmt: skip
    return spec, panels, ["happiness", "sadness", "neutral"]


def _heatmap_of(n_tests: int, n_models: int = 12) -> dict:
    """heatmap_data's numbers of ``n_models`` models on ``n_tests`` test sets, scores at random."""
    rng = np.random.default_rng(0)
    return {"models": [f"m{k}" for k in range(n_models)], "tests": [f"t{j}" for j in range(n_tests)],
            "model_names": [f"mixture number {k} with a long name" for k in range(n_models)],
            "test_names": [f"Mandarin elderly {j}" for j in range(n_tests)],
            "values": rng.uniform(10, 90, (n_models, n_tests)), "chance": np.full(n_tests, 33.3),
            "relation": [[None] * n_tests for _ in range(n_models)], "synthetic": []}  # fmt: skip


def _save(kind: str, count: int, stem):
    """Save a figure of ``kind`` with ``count`` panels (test sets, for the heat map) at ``stem``."""
    from bimotion.figures import save_figure
    from bimotion.grid.heatmap import heatmap_figure
    from bimotion.projection_plot import draw
    from bimotion.training.confusion_plot import draw_confusion

    if kind == "confusion":
        draw_confusion(_many_test_sets(count), stem.with_suffix(".png"), "Trained on all of BiMotion (seed 0)")
        return sorted(p.name for p in stem.parent.iterdir())
    if kind == "projection":
        return [p.name for p in draw(*_projection_panels(count), stem)]
    return [p.name for p in save_figure(heatmap_figure(_heatmap_of(count), [0])[0], stem)]


@pytest.mark.parametrize("kind, count, parts", [("confusion", 10, 2), ("confusion", 13, 2), ("projection", 6, 2),
                                                ("heatmap", 20, 2)])  # fmt: skip
def test_a_figure_taller_than_a_page_is_also_written_in_page_sized_parts(tmp_path, capsys, kind, count, parts):
    """Ten confusion panels made a figure 11.4 in tall, six projections 11.3 in, a heat map of twenty
    test sets (two blocks) 15.7 in: wider than none, but taller than a page's 9 in of text, so a paper
    could not print them at size.  The whole is still written (for screens), and beside it the same
    figure in parts of at most 7 x 9 in, cut only between rows of panels, named <stem>-page<k>; one
    line on stderr names them."""
    stem = tmp_path / "figure"
    names = _save(kind, count, stem)
    pages = [f"figure-page{k}.png" for k in range(1, parts + 1)]
    assert [n for n in names if "-page" in n] == [p for k in range(parts) for p in (pages[k], pages[k][:-3] + "svg")]
    assert _inches(tmp_path / "figure.png")[1] > 9.0  # the whole, as it was
    for page in pages:
        width, height = _inches(tmp_path / page)
        assert width <= PRINT_WIDTH_IN and height <= 9.0, (page, width, height)
        assert _is_svg(tmp_path / page.replace(".png", ".svg"))
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and all(page in said[0] for page in pages) and "figure.png" in said[0], said


@pytest.mark.parametrize("kind, count", [("confusion", 9), ("projection", 4), ("heatmap", 9)])
def test_a_figure_that_fits_a_page_gets_no_parts_and_loses_those_of_a_taller_one(tmp_path, capsys, kind, count):
    """A figure of a page's height or less is written as ever, nothing beside it and nothing said; the
    parts an earlier, taller figure of the same name left there are removed (they showed old numbers)."""
    (tmp_path / "figure-page1.png").write_bytes(b"old")
    (tmp_path / "figure-page2.svg").write_text("old", encoding="utf-8")
    (tmp_path / "figure-pages.txt").write_text("not ours", encoding="utf-8")
    names = _save(kind, count, tmp_path / "figure")
    assert not [n for n in names if re.fullmatch(r"figure-page\d+\.(png|svg)", n)]
    assert sorted(p.name for p in tmp_path.iterdir() if "-page" in p.name) == ["figure-pages.txt"]
    assert _inches(tmp_path / "figure.png")[1] <= 9.0
    assert capsys.readouterr().err == ""


def test_stale_parts_go_even_when_the_figures_name_holds_glob_characters(tmp_path):
    """A figure named ``grid[seed0]`` (a run's name may hold brackets) kept the parts of an earlier,
    taller one beside it, showing old numbers: its name was used as a glob pattern, ``[seed0]`` a class
    of one character, so no part was found to remove."""
    (tmp_path / "grid[seed0]-page1.png").write_bytes(b"old")
    (tmp_path / "grid[seed0]-page2.svg").write_text("old", encoding="utf-8")
    (tmp_path / "grids-page1.png").write_bytes(b"not ours")  # what grid[seed0]-page* matched as a pattern
    _save("heatmap", 9, tmp_path / "grid[seed0]")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid[seed0].png", "grid[seed0].svg", "grids-page1.png"]


SVG_TEXT = re.compile(r"<!-- (.*?) -->\s*<g transform=\"translate\(([-\d.e]+) ([-\d.e]+)\)")


def _svg_lines(svg) -> tuple[list[tuple[str, float, float]], tuple[float, float]]:
    """Every line of text an SVG draws (matplotlib writes each as a comment, then its glyphs' group
    placed at the line's start), with its place in points, and the drawing's width and height."""
    text = svg.read_text(encoding="utf-8")
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text)
    return [(m[1], float(m[2]), float(m[3])) for m in SVG_TEXT.finditer(text)], (float(box[1]), float(box[2]))


FIGURE_KEYS = {  # what a reader of each kind of figure needs to read its panels: some line of it
    "heatmap": [
        "test set (its chance level, %)",
        "weighted F1 at the 0.5 threshold − chance level (percentage points)",
        "Cell: weighted F1 (bold)",
    ],
    "confusion": ["colour: share of the row", "sad = sadness"],
    "projection": ["happiness (train density)", "neutral (test clip)"],
}


@pytest.mark.parametrize("kind, count", [("confusion", 13), ("projection", 6), ("heatmap", 20)])
@pytest.mark.slow  # draws page-sized figures of the largest grids (tens of seconds): the slow tier, which CI runs
def test_every_page_sized_part_carries_the_figures_key(tmp_path, kind, count):
    """A reviewer found a figure's page-sized parts unreadable on their own: the key was on one part
    only (the heat map's first part had no colour bar, note or test-set axis label; the confusion
    figure's second none of the label codes, "sad = sadness"; the projections' first no legend).
    Every part now draws the key inside its frame, a later one headed "(continued: part k of n)",
    each still at most 7 x 9 in."""
    names = _save(kind, count, tmp_path / "figure")
    parts = [n for n in names if re.fullmatch(r"figure-page\d\.svg", n)]
    assert len(parts) == 2, names
    for k, name in enumerate(sorted(parts), start=1):
        lines, (width, height) = _svg_lines(tmp_path / name)
        for key in FIGURE_KEYS[kind]:
            where = [(x, y) for text, x, y in lines if key in text]
            assert where and all(0 <= x <= width and 0 <= y <= height for x, y in where), (name, key, where)
        assert any(text == f"(continued: part {k} of 2)" for text, *_ in lines) == (k > 1), name
        inches = _inches(tmp_path / name.replace(".svg", ".png"))
        assert inches[0] <= PRINT_WIDTH_IN and inches[1] <= 9.0, (name, inches)


def test_a_page_sized_part_never_cuts_a_panel():
    """Every panel (its matrix with its title, ticks and axis labels) lies whole in one part, and the
    parts hold every panel once, in order."""
    import matplotlib.pyplot as plt

    from bimotion.figures import page_parts
    from bimotion.training.confusion_plot import confusion_figure

    fig = confusion_figure(_many_test_sets(13), "Trained on all of BiMotion (seed 0)")
    fig.canvas.draw()
    parts = page_parts(fig)
    assert len(parts) == 2 and all(p.frame_top - p.frame_bottom <= 9.0 - 0.2 for p in parts)
    bands = [(p.top, p.bottom) for p in parts]
    renderer, inches = fig.canvas.get_renderer(), fig.dpi_scale_trans.inverted()
    home = []
    for ax in fig.axes:
        box = ax.get_tightbbox(renderer).transformed(inches)
        home.append([k for k, (top, bottom) in enumerate(bands) if bottom <= box.y0 and box.y1 <= top])
    assert all(len(h) == 1 for h in home) and [h[0] for h in home] == sorted(h[0] for h in home)
    plt.close(fig)


def _one_test_set(space: list[str], corpus: str, group: str, multi: bool = False) -> dict:
    """score_groups' result of one (group, corpus) test set of 60 clips annotating ``space``."""
    from bimotion.training.metrics import score_groups
    from loaders.labels import LABEL2ID, LABELS

    rng = np.random.default_rng(0)
    labels = np.zeros((60, len(LABELS)), dtype=np.int8)
    mask = np.zeros_like(labels)
    mask[:, [LABEL2ID[lb] for lb in space]] = 1
    for i in range(60):
        labels[i, [LABEL2ID[lb] for lb in rng.choice(space, size=2 if multi and i % 2 else 1, replace=False)]] = 1
    return score_groups(rng.normal(0, 2, labels.shape), labels, mask, [corpus] * 60, [group] * 60)


@pytest.mark.parametrize("labels", ["csed", "all 13", "multi-label"])
def test_a_one_panel_confusion_figure_fits_one_column_with_readable_labels(tmp_path, labels):
    """A one-panel confusion figure was 4.0-4.3 in wide: too wide for a column of a two-column paper
    (3.3-3.5 in), so it printed shrunk.  It is now at most COLUMN_WIDTH_IN as saved, its title and
    legend wrapped to it, every label named in full at no less than TEXT_PT, inside the figure, and
    no two column names overlapping (thirteen labels: upright, not at 45°)."""
    import matplotlib.pyplot as plt

    from bimotion.figures import COLUMN_WIDTH_IN, TEXT_PT
    from bimotion.training.confusion_plot import confusion_figure, draw_confusion
    from loaders.labels import LABELS

    space, corpus, group, multi = {
        "csed": (["anger", "happiness", "neutral", "sadness"], "csed", "zho_eld", False),
        "all 13": (list(LABELS), "iemocap", "eng_adu", False),
        "multi-label": (
            ["sadness", "fear", "anger", "happiness", "disgust", "surprise"],
            "elderreact",
            "eng_eld",
            True,
        ),
    }[labels]
    result = _one_test_set(space, corpus, group, multi)
    title = ("Trained on all of YueMotion + ESD English adults + ESD Mandarin adults (seed 0): confusion on the "
             "test split — synthetic demo data: not comparable with the paper")  # fmt: skip
    width, height = _inches(draw_confusion(result, tmp_path / "confusion.png", title))
    assert width <= COLUMN_WIDTH_IN and height <= 9.0, (width, height)  # was 4.02 in wide
    fig = confusion_figure(result, title)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    ticks = [*ax.get_xticklabels(), *ax.get_yticklabels()]
    assert {t.get_text() for t in ax.get_yticklabels()} == set(space)  # names, not codes
    assert min(t.get_fontsize() for t in ticks) >= TEXT_PT
    for text in [*ticks, ax.title, ax.xaxis.label, ax.yaxis.label, *fig.texts]:
        box = text.get_window_extent(renderer)
        assert fig.bbox.x0 - 1 <= box.x0 and box.x1 <= fig.bbox.x1 + 1, text.get_text()
    columns = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    if len(space) > 6:
        assert {t.get_rotation() for t in ax.get_xticklabels()} == {90.0}
        assert not any(a.overlaps(b) for a, b in zip(columns, columns[1:], strict=False))
    plt.close(fig)
