"""The one way a figure is saved, and the text sizes every figure uses: the grid's heat map
(:mod:`bimotion.grid.heatmap`), the projections (:mod:`bimotion.projection_plot`) and the confusion
figure beside a model's scores (:mod:`bimotion.training.confusion_plot`) all print at the same
resolution, each as a PNG and a vector copy (SVG) for print, with the same type sizes.

Sizes are print sizes: a figure is drawn at the inches it is meant to be printed at (the heat map at
most :data:`PRINT_WIDTH_IN`), so a point here is a point on the page."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

DPI = 150  # dots per inch of every PNG (its pHYs chunk says so)
FORMATS = (".png", ".svg")  # the raster copy, and the vector copy for print
PRINT_WIDTH_IN = 7.0  # a page's text width (a two-column paper's full width, a one-column one's text)

TITLE_PT = 10  # a figure's or a panel's title
TEXT_PT = 8  # axis labels, tick labels, legends, notes, a heat map cell's score
SMALL_PT = 7  # the smallest text any figure prints: a cell's second number, a confusion count


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
            fig.savefig(target, dpi=DPI, bbox_inches="tight", metadata=dict(metadata or {}))
            out.append(target)
    finally:
        plt.close(fig)
    return out
