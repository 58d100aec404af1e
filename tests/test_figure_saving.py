"""How often saving a figure lays it out and measures it: every measure of a figure's texts costs about a
drawing, and a grid saves one confusion figure per model (bimotion demo: 11 panels, six files each)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("matplotlib")
PIL = pytest.importorskip("PIL.Image")

from bimotion.figures import DPI  # noqa: E402


def _counting(monkeypatch) -> list[str]:
    """Record each measure of a whole figure (Figure.get_tightbbox) from now on."""
    from matplotlib.figure import Figure

    calls: list[str] = []
    measure = Figure.get_tightbbox

    def counted(self, *args, **kwargs):
        calls.append("get_tightbbox")
        return measure(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "get_tightbbox", counted)
    return calls


def _small_figure():
    from bimotion.figures import pyplot

    fig, ax = pyplot().subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    ax.set_title("a figure that fits a page")
    ax.set_ylabel("true label")
    return fig


def test_a_figure_is_measured_once_and_its_png_and_svg_cut_to_the_same_frame(tmp_path, monkeypatch):
    """The PNG and the SVG were each saved with bbox_inches="tight", which lays the figure out and measures
    all it draws before drawing it: two layout passes and two measures for one frame, and the SVG's frame
    measured by the SVG's text metrics came out up to a point narrower than the PNG's.  The frame is now
    measured once, at the PNG's resolution, and both are cut to it."""
    from bimotion.figures import save_figure

    calls = _counting(monkeypatch)
    png, svg = save_figure(_small_figure(), tmp_path / "figure.png")
    assert calls == ["get_tightbbox"]
    with PIL.open(png) as image:
        png_in = (image.size[0] / DPI, image.size[1] / DPI)
    svg_pt = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg.read_text(encoding="utf-8"))
    svg_in = (float(svg_pt[1]) / 72, float(svg_pt[2]) / 72)
    assert svg_in == pytest.approx(png_in, abs=1 / DPI), (png_in, svg_in)  # the PNG's rounded to its pixels


def test_a_figure_taller_than_a_page_is_measured_once_for_its_parts(tmp_path, monkeypatch):
    """A figure taller than a page (bimotion demo's confusion figure of eleven panels) was measured whole
    four times (its frame, its parts, again to cut them, again for the note) and each panel seven times
    (four within the whole's); now its frame once and its parts once: the whole twice, each panel three
    times (twice within the whole's)."""
    from matplotlib.axes import Axes

    from bimotion.figures import pyplot, save_figure

    calls = _counting(monkeypatch)
    axes_measure = Axes.get_tightbbox

    def counted(self, *args, **kwargs):
        calls.append("axes")
        return axes_measure(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "get_tightbbox", counted)
    fig, panels = pyplot().subplots(4, 1, figsize=(3, 12), gridspec_kw={"hspace": 0.8})
    for k, ax in enumerate(panels):
        ax.plot([0, 1], [0, k])
        ax.set_title(f"panel {k}")
    written = save_figure(fig, tmp_path / "figure.png")
    assert [p.name for p in written] == ["figure.png", "figure.svg", "figure-page1.png", "figure-page1.svg",
                                         "figure-page2.png", "figure-page2.svg"]  # fmt: skip
    assert calls.count("get_tightbbox") == 2 and calls.count("axes") == 3 * len(panels), calls


@pytest.mark.parametrize("canvas", ["none", "svg"])
def test_a_figure_not_made_through_pyplot_saves_as_before(tmp_path, canvas):
    """A ``Figure()`` made directly (matplotlib's base canvas) or on another backend's canvas (SVG) saved as
    ``savefig(bbox_inches="tight")`` saved it, until the frame was measured with ``fig.canvas.get_renderer()``,
    which only Agg's canvases have: an AttributeError.  It is measured on an Agg canvas, as its PNG is drawn."""
    from matplotlib.figure import Figure

    from bimotion.figures import save_figure

    fig = Figure(figsize=(3, 2))
    if canvas == "svg":
        from matplotlib.backends.backend_svg import FigureCanvasSVG

        FigureCanvasSVG(fig)
    fig.add_subplot().plot([0, 1], [0, 1])
    png, svg = save_figure(fig, tmp_path / "figure.png")
    with PIL.open(png) as image:
        assert 2.5 * DPI < image.size[0] < 3.2 * DPI, image.size
    assert svg.read_text(encoding="utf-8").startswith("<?xml")
