"""The one way a figure is saved, and the text sizes every figure uses: the grid's heat map
(:mod:`bimotion.grid.heatmap`), the projections (:mod:`bimotion.projection_plot`) and the confusion
figure beside a model's scores (:mod:`bimotion.training.confusion_plot`) all print at the same
resolution, each as a PNG and a vector copy (SVG) for print, with the same type sizes.

Sizes are print sizes: a figure is drawn at the inches it is meant to be printed at (the heat map at
most :data:`PRINT_WIDTH_IN`), so a point here is a point on the page."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

DPI = 150  # dots per inch of every PNG (its pHYs chunk says so)
FORMATS = (".png", ".svg")  # the raster copy, and the vector copy for print
PRINT_WIDTH_IN = 7.0  # a page's text width (a two-column paper's full width, a one-column one's text)
SAVED_MARGIN_IN = 0.1  # what save_figure's tight frame adds at each edge around what is drawn

TITLE_PT = 10  # a figure's or a panel's title
TEXT_PT = 8  # axis labels, tick labels, legends, notes, a heat map cell's score
SMALL_PT = 7  # the smallest text any figure prints: a cell's second number, a confusion count
CHAR_IN = 0.062  # a TEXT_PT character's width (inches), with room to spare: what a label needs beside a plot
LINE_IN = 0.16  # a TEXT_PT line's height (inches), with its spacing


# Fonts holding Chinese (and Japanese) glyphs, as Windows, macOS and Linux install them: a figure's text
# that matplotlib's default font lacks a glyph of (a corpus of one's own named 耆樂情緒語料) takes it from
# the first of these installed (matplotlib's font fallback), instead of drawing an empty box.
CJK_FONTS = ("Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans TC",
             "Source Han Sans SC", "Microsoft JhengHei", "Microsoft YaHei", "PingFang HK", "PingFang TC",
             "PingFang SC", "Hiragino Sans GB", "Heiti TC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "AR PL UMing TW", "Arial Unicode MS")  # fmt: skip


@functools.cache
def font_families() -> tuple[str, ...]:
    """The families every figure's text is drawn in: matplotlib's default (``sans-serif``), then each
    installed font of :data:`CJK_FONTS`, which a glyph the default lacks is taken from."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ("sans-serif", *(name for name in CJK_FONTS if name in installed))


@functools.cache
def _glyphs() -> frozenset[int]:
    """The code points the fonts of :func:`font_families` hold a glyph of."""
    from matplotlib import font_manager, ft2font

    paths = {font_manager.findfont(font_manager.FontProperties(family=[family])) for family in font_families()}
    return frozenset(code for path in paths for code in ft2font.FT2Font(path).get_charmap())


def text_width(text: str) -> int:
    """``text``'s width in characters of a Latin text: a Chinese, Japanese or Korean character (East Asian
    wide or full-width) takes about two, so a layout sized by character counts leaves it room."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def drawable(text: str) -> bool:
    """Whether a figure draws every character of ``text`` (none as an empty box, for want of a font
    holding it: Chinese on a machine with no Chinese font)."""
    return all(ord(ch) in _glyphs() for ch in text if not ch.isspace())


def pyplot():
    """``matplotlib.pyplot``, drawing off screen (Agg), its text in :func:`font_families` where
    matplotlib's default family is unchanged: every figure is made through it."""
    import logging

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = list(font_families())
    if len(families) > 1 and list(matplotlib.rcParams["font.family"]) == ["sans-serif"]:
        matplotlib.rcParams["font.family"] = families
        logging.getLogger("matplotlib.font_manager").addFilter(_no_weight_note)  # once: the same filter
    return plt


def _no_weight_note(record) -> bool:
    """A CJK font with no face of normal weight (WenQuanYi Zen Hei's is medium) is used as it is: without
    matplotlib's log line for each text drawn in it."""
    return not str(record.msg).startswith("findfont: Failed to find font weight")


def save_figure(fig, path: str | Path, metadata: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``fig`` as ``<path stem>.png`` at :data:`DPI` and ``<path stem>.svg`` (``path``'s own
    suffix, if any, is replaced: ``seed0.confusion.png`` -> ``seed0.confusion.png`` and
    ``seed0.confusion.svg``), nothing cut at the edges, then close it; ``metadata``: keys both formats
    take (``Title``, ``Description``).  Returns the files written, PNG first."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    try:
        for suffix in FORMATS:
            target = path.with_suffix(suffix)
            fig.savefig(target, dpi=DPI, bbox_inches="tight", pad_inches=SAVED_MARGIN_IN, metadata=dict(metadata or {}))
            out.append(target)
    finally:
        plt.close(fig)
    return out


def _luminance(color) -> float:
    """WCAG relative luminance of a colour (any matplotlib colour)."""
    from matplotlib.colors import to_rgb

    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(color)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours (1 to 21; 4.5 or more reads as normal text)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_color(background) -> str:
    """Black or white, whichever contrasts more with ``background`` (at least 4.58:1 on any colour)."""
    return "black" if contrast(background, "black") >= contrast(background, "white") else "white"
