"""The one way a figure is saved, and the text sizes every figure uses: the grid's heat map
(:mod:`bimotion.grid.heatmap`), the projections (:mod:`bimotion.projection_plot`) and the confusion
figure beside a model's scores (:mod:`bimotion.training.confusion_plot`) all print at the same
resolution, each as a PNG and a vector copy (SVG) for print, with the same type sizes.

Sizes are print sizes: a figure is drawn at the inches it is meant to be printed at (the heat map at
most :data:`PRINT_WIDTH_IN`), so a point here is a point on the page.  A figure taller than a page
(:data:`PAGE_HEIGHT_IN`: ten or more confusion panels, six or more projections, a heat map in blocks of
test sets or of models) is kept whole for screens and also written in page-sized parts beside it, cut
only between rows of panels, each part with the figure's title and key (:func:`page_parts`)."""

from __future__ import annotations

import contextlib
import functools
import glob
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from .figure_fonts import BOX, font_families, no_weight_note, quiet_glyph_warnings, warn_missing_glyphs

DPI = 150  # dots per inch of every PNG (its pHYs chunk says so)
FORMATS = (".png", ".svg")  # the raster copy, and the vector copy for print
PRINT_WIDTH_IN = 7.0  # a page's text width (a two-column paper's full width, a one-column one's text)
COLUMN_WIDTH_IN = 3.5  # a column's width in a two-column paper: a one-panel figure's at most
PAGE_HEIGHT_IN = 9.0  # a page's text height: a saved figure taller than this is also written in parts
SAVED_MARGIN_IN = 0.1  # what save_figure's tight frame adds at each edge around what is drawn

TITLE_PT = 10  # a figure's or a panel's title
TEXT_PT = 8  # axis labels, tick labels, legends, notes, a heat map cell's score
SMALL_PT = 7  # the smallest text any figure prints: a cell's second number, a confusion count
CHAR_IN = 0.062  # a TEXT_PT character's width (inches), with room to spare: what a label needs beside a plot
LINE_IN = 0.16  # a TEXT_PT line's height (inches), with its spacing
TITLE_CHARS_PER_IN = 11  # TITLE_PT characters per inch of width, with room to spare: a title centred on its figure
TITLE_LINE_IN = 0.18  # a TITLE_PT line's height (inches), with its spacing


def text_width(text: str) -> int:
    """``text``'s width in characters of a Latin text: a Chinese, Japanese or Korean character (East Asian
    wide or full-width) takes about two, so a layout sized by character counts leaves it room; so does the
    box drawn for a character no font holds (:data:`~bimotion.figure_fonts.BOX`, most often such a one)."""
    import unicodedata

    return sum(2 if ch == BOX or unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


HYPHEN_BREAK = re.compile(r"(?<=\w-)(?=\w)")  # after a hyphen inside a word: cross-|corpus, as textwrap breaks
KEPT_TOGETHER = re.compile(r"\(\w+ [\w.]+\)")  # a two-word parenthesis, (seed 0): never "(seed" | "0)"


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` (:func:`text_width`: a Chinese character counts two, so
    a CJK name wraps where it reaches the width, not at twice it), broken at spaces and after a
    word's hyphens (``cross-`` | ``corpus``, as :mod:`textwrap` breaks); a part wider than a line
    (Chinese is written without spaces) is broken where it reaches the width; a two-word parenthesis
    (:data:`KEPT_TOGETHER`) is kept on one line."""
    lines, line = [], ""
    for word in KEPT_TOGETHER.sub(lambda m: m[0].replace(" ", "\0"), text).split():
        for k, part in enumerate(HYPHEN_BREAK.split(word)):
            joined = line + (" " if k == 0 else "") + part  # a word after a space, a hyphen's rest after it
            if line and text_width(joined) <= width:
                line = joined
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in part:  # the part, broken where a line is full
                if line and text_width(line + ch) > width:
                    lines.append(line)
                    line = ""
                line += ch
    return [kept.replace("\0", " ") for kept in ([*lines, line] if line else lines)]


def fill(text: str, width: int) -> str:
    """:func:`wrap`'s lines, joined."""
    return "\n".join(wrap(text, width))


def pyplot():
    """``matplotlib.pyplot``, drawing off screen (Agg), its text in :func:`font_families` where
    matplotlib's default family is unchanged, matplotlib's warning per glyph no such font holds kept
    quiet in bimotion's drawing (:func:`~bimotion.figure_fonts.quiet_glyph_warnings`: :func:`save_figure`
    says it once): every figure is made through it."""
    import logging

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = list(font_families())
    if len(families) > 1 and list(matplotlib.rcParams["font.family"]) == ["sans-serif"]:
        matplotlib.rcParams["font.family"] = families
        logging.getLogger("matplotlib.font_manager").addFilter(no_weight_note)  # once: the same filter
    if list(matplotlib.rcParams["font.family"]) == families:  # the fonts drawable() reads: save_figure says
        quiet_glyph_warnings()  # once what none holds, not matplotlib at each glyph of the first layout
    return plt


def save_figure(fig, path: str | Path, metadata: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``fig`` as ``<path stem>.png`` at :data:`DPI` and ``<path stem>.svg`` (``path``'s own
    suffix, if any, is replaced: ``seed0.confusion.png`` -> ``seed0.confusion.png`` and
    ``seed0.confusion.svg``), nothing cut at the edges, then close it; ``metadata``: keys both formats
    take (``Title``, ``Description``).  A figure taller than :data:`PAGE_HEIGHT_IN` is also written in
    page-sized parts, ``<stem>-page<k>.png`` and ``.svg`` (:func:`save_pages`), said in one line on
    stderr; parts an earlier, taller figure left there are removed.  Returns the files written, PNG
    first, then the parts'."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    warn_missing_glyphs(fig)
    if not hasattr(fig.canvas, "get_renderer"):  # a Figure() or another backend's (SVG, Cairo): no renderer
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # to measure with: measured as its PNG draws

        FigureCanvasAgg(fig)
    try:
        frame = tight_frame(fig)  # measured once: "tight" measured it again for each format, a layout pass each
        for suffix in FORMATS:
            target = path.with_suffix(suffix)
            fig.savefig(target, dpi=DPI, bbox_inches=frame, metadata=dict(metadata or {}))
            out.append(target)
        out += save_pages(fig, path, metadata)
    finally:
        plt.close(fig)
    return out


def tight_frame(fig):
    """What :func:`save_figure` saves of ``fig`` (inches): all it draws, laid out and measured at :data:`DPI` as
    ``savefig(bbox_inches="tight")`` does for a PNG, with :data:`SAVED_MARGIN_IN` at each edge; the SVG is cut
    to the same frame (its own measure differs by under a point, in the blank margin)."""
    dpi = fig.dpi
    try:
        fig.set_dpi(DPI)  # text is measured at the resolution it is drawn at
        fig.draw_without_rendering()  # places what drawing places (tick labels, titles), as savefig does
        return fig.get_tightbbox(fig.canvas.get_renderer()).padded(SAVED_MARGIN_IN)
    finally:
        fig.set_dpi(dpi)


def page_name(path: str | Path, page: int, suffix: str) -> Path:
    """The file of part ``page`` (from 1) of a figure saved at ``path``: ``<stem>-page<k><suffix>``."""
    stem = Path(path).with_suffix("")
    return stem.with_name(f"{stem.name}-page{page}{suffix}")


def _inches(fig, box):
    """A display box of ``fig`` in inches."""
    return box.transformed(fig.dpi_scale_trans.inverted())


PART_MARK_IN = LINE_IN + 0.04  # the line over a later part saying it continues: "(continued: part 2 of 3)"


class PagePart(NamedTuple):
    """One page-sized part of a figure, in inches from the whole figure's bottom edge: ``top`` and
    ``bottom`` bound the rows of panels it holds (cut half way between rows); ``frame_top`` and
    ``frame_bottom`` bound what is saved, the figure's key moved to it (``key_up``: inches the key
    under the last row is raised by, to sit under this part's last row; ``key_down``: the key over
    the first row is lowered by, to sit over this part's first)."""

    top: float
    bottom: float
    frame_top: float
    frame_bottom: float
    key_up: float
    key_down: float


class Measured(NamedTuple):
    """What :func:`page_parts` and the parts' saving read of a drawn figure, measured once: its
    ``renderer``, the ``whole`` of what it draws (inches), its ``rows`` of panels ([top, bottom] inches, top
    first; ``[]`` where the whole fits a page) and the inches ``box`` of each artist it shows, in its order."""

    renderer: object
    whole: object
    rows: list[list[float]]
    boxes: list[tuple[object, object]]


def measure(fig) -> Measured:
    """:class:`Measured` of ``fig``: the whole, then, for a figure taller than a page only, each shown
    artist's box and the rows its axes make (:func:`_rows`)."""
    renderer = fig.canvas.get_renderer()
    whole = fig.get_tightbbox(renderer)  # inches
    if whole.height + 2 * SAVED_MARGIN_IN <= PAGE_HEIGHT_IN + 1e-6:
        return Measured(renderer, whole, [], [])
    boxes = []
    for artist in fig.get_children():
        if artist is not fig.patch and artist.get_visible():
            box = artist.get_tightbbox(renderer) if hasattr(artist, "get_tightbbox") else artist.get_window_extent()
            boxes.append((artist, _inches(fig, box)))
    return Measured(renderer, whole, _rows(fig, boxes), boxes)


def page_parts(fig, measured: Measured | None = None) -> list[PagePart]:
    """The page-sized parts of ``fig``: the drawn figure cut only between rows of panels (its axes,
    colour bars kept with theirs), as many rows to a part as fit :data:`PAGE_HEIGHT_IN` with the saved
    margins, and each part with the figure's key: whatever lies over the first row of panels (the
    title, a key of label codes, a subtitle) and under the last (a legend, a colour bar, a note),
    room kept for both, and for a later part's line saying it continues (:data:`PART_MARK_IN`).
    ``[]`` when the whole fits a page; one part when it holds one row of panels only (nothing to
    cut).  ``measured``: :func:`measure`'s of ``fig``, where taken already."""
    whole, rows = (measured or measure(fig))[1:3]
    if not rows:
        return []
    over, under = whole.y1 - rows[0][0], rows[-1][1] - whole.y0  # the key over the first row, under the last
    room, groups, start = PAGE_HEIGHT_IN - 2 * SAVED_MARGIN_IN, [], 0
    for end in range(1, len(rows)):
        mark = PART_MARK_IN if groups else 0.0
        if over + mark + rows[start][0] - rows[end][1] + under > room + 1e-6:  # row `end` would overflow
            groups.append((start, end - 1))
            start = end
    groups.append((start, len(rows) - 1))
    edges = [whole.y1, *((a[1] + b[0]) / 2 for a, b in zip(rows, rows[1:], strict=False)), whole.y0]
    parts = []
    for k, (first, last) in enumerate(groups):
        down, up = rows[0][0] - rows[first][0], rows[last][1] - rows[-1][1]
        mark = PART_MARK_IN if k else 0.0
        parts.append(PagePart(edges[first], edges[last + 1], whole.y1 - down + mark, whole.y0 + up, up, down))
    return parts


def _rows(fig, boxes) -> list[list[float]]:
    """[top, bottom] (inches) of each row of panels of ``fig``, top first: its visible axes but colour
    bars (their inches ``boxes``, among its artists'), those that overlap in height one row."""
    axes = set(fig.axes)
    spans = sorted(((b.y1, b.y0) for ax, b in boxes if ax in axes and not _is_colour_bar(ax)), reverse=True)
    rows: list[list[float]] = []
    for top, bottom in spans:
        if rows and top > rows[-1][1]:  # beside (overlapping) the row above: the same row
            rows[-1][1] = min(rows[-1][1], bottom)
        else:
            rows.append([top, bottom])
    return rows


def _is_colour_bar(ax) -> bool:
    """Whether ``ax`` holds a colour bar (matplotlib marks the axes it draws one in), which goes with
    the panels beside or above it, never a part of its own."""
    return getattr(ax, "_colorbar", None) is not None


_ONCE: list[tuple[set[tuple[str, int]], Path | None]] = []  # within notes_once: the (PNG name, parts) said; the root


@contextlib.contextmanager
def notes_once(root: str | Path | None = None):
    """Within the block (a grid's run, which saves a ``seed0.confusion.png`` for every model), the note of
    :func:`save_pages` on a figure taller than a page is said once for each PNG name and number of parts,
    the first such figure's, saying so; not again for every model.  A block within one shares its record.
    ``root``: the run's output folder, which the note names the figure's path from
    (``metrics/zho_adu/seed0.confusion.png``: which model's figure it measured)."""
    said, outer = _ONCE[-1] if _ONCE else (set(), None)
    _ONCE.append((said, Path(root) if root is not None else outer))
    try:
        yield
    finally:
        _ONCE.pop()


def _named(path: Path) -> str:
    """``path`` as a note names it: from the output folder of the run it is saved in (:func:`notes_once`),
    else its folder and name (``zho_adu/seed0.confusion.png``)."""
    root = _ONCE[-1][1].resolve() if _ONCE and _ONCE[-1][1] is not None else None
    if root is not None and path.resolve().is_relative_to(root):
        return path.resolve().relative_to(root).as_posix()
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def save_pages(fig, path: str | Path, metadata: Mapping[str, str] | None = None) -> list[Path]:
    """Write the parts of :func:`page_parts` (two or more) of ``fig``, saved whole at ``path`` (its PNG
    read for its height), as ``<stem>-page<k>.png`` and ``.svg`` (:func:`page_name`), each as wide as
    the whole, holding its rows of panels and the figure's key; returns them (``[]`` when the figure
    fits a page).  Says in one line on stderr what it wrote, or why a figure taller than a page has
    no parts."""
    path = Path(path)
    with open(path.with_suffix(FORMATS[0]), "rb") as png:  # the saved whole's height, from its header
        tall = int.from_bytes(png.read(24)[20:24], "big") / DPI > PAGE_HEIGHT_IN + 0.01
    measured = measure(fig) if tall else None  # measured again only then, and once: a measure costs a drawing
    parts = page_parts(fig, measured) if measured else []
    written = [] if len(parts) < 2 else _write_pages(fig, path, parts, measured, metadata)
    _remove_stale_pages(path, len(parts) if len(parts) > 1 else 0)
    png = path.with_suffix(FORMATS[0]).name
    if parts and _ONCE and (png, len(parts)) in _ONCE[-1][0]:
        return written  # said for an earlier figure of this run (notes_once): not once per model
    if parts:
        whole = measured.whole.height + 2 * SAVED_MARGIN_IN
        once, named = "", _named(path.with_suffix(FORMATS[0]))
        if _ONCE:
            _ONCE[-1][0].add((png, len(parts)))
            cut = "of one row of panels" if len(parts) == 1 else f"in {len(parts)} parts"
            once = f"; said once: this run's other {png} files over a page {cut} are not noted again"
        if len(parts) == 1:
            print(f"note: {named} is {whole:.1f} in tall, over a page's {PAGE_HEIGHT_IN:g} in, and is one row of "
                  f"panels, not cut into parts: it is saved whole and prints at {PAGE_HEIGHT_IN / whole:.0%} of its "
                  f"size to fit a page (no command of bimotion's draws such a figure; a figure of your own prints at "
                  f"its size drawn at most {PAGE_HEIGHT_IN - 2 * SAVED_MARGIN_IN:g} in tall: figsize){once}",
                  file=sys.stderr, flush=True)  # fmt: skip
        else:
            tall = max(p.frame_top - p.frame_bottom for p in parts) + 2 * SAVED_MARGIN_IN
            over = f" (one row of panels is {tall:.1f} in, taller than a page)" if tall > PAGE_HEIGHT_IN + 1e-6 else ""
            names = ", ".join(p.name for p in written if p.suffix == FORMATS[0])
            print(f"note: {named} is {whole:.1f} in tall, over a page's {PAGE_HEIGHT_IN:g} in: also wrote it in "
                  f"{len(parts)} page-sized parts beside it, {names} (and each as .svg, each with the "
                  f"figure's key){over}{once}", file=sys.stderr, flush=True)  # fmt: skip
    return written


def _write_pages(fig, path: Path, parts: list[PagePart], measured: Measured, metadata) -> list[Path]:
    """Save each part of ``fig`` (as :func:`measure` measured it): its rows shown, the rest hidden, the key
    over the first row and under the last moved next to its rows, a later part headed "(continued: part k
    of n)"."""
    from matplotlib.transforms import Bbox

    whole, rows = measured.whole, measured.rows
    artists = [artist for artist, _ in measured.boxes]
    middles = [(box.y0 + box.y1) / 2 for _, box in measured.boxes]
    first_top, last_bottom = rows[0][0], rows[-1][1]  # over the first row and under the last: the key
    out = []
    for k, part in enumerate(parts, start=1):
        undo = []
        for artist, middle in zip(artists, middles, strict=True):
            if middle > first_top or middle < last_bottom:  # the key: moved next to this part's rows
                undo.append(_shifted(fig, artist, -part.key_down if middle > first_top else part.key_up))
            else:
                artist.set_visible(part.bottom <= middle <= part.top)
                undo.append(functools.partial(artist.set_visible, True))
        if k > 1:
            mark = fig.text(0.5, (part.frame_top - PART_MARK_IN + 0.04) / fig.get_figheight(),
                            f"(continued: part {k} of {len(parts)})", fontsize=TEXT_PT, ha="center", va="bottom",
                            style="italic", gid="continued")  # fmt: skip
            undo.append(mark.remove)
        try:
            frame = Bbox.from_extents(whole.x0, part.frame_bottom, whole.x1, part.frame_top).padded(SAVED_MARGIN_IN)
            for suffix in FORMATS:
                target = page_name(path, k, suffix)
                fig.savefig(target, dpi=DPI, bbox_inches=frame, metadata=dict(metadata or {}))
                out.append(target)
        finally:
            for step in reversed(undo):
                step()
    return out


def _shifted(fig, artist, up_in: float):
    """Move ``artist`` (a figure's text, legend or axes, as a colour bar's) ``up_in`` inches up, and
    return what moves it back."""
    from matplotlib.axes import Axes
    from matplotlib.legend import Legend
    from matplotlib.transforms import IdentityTransform, ScaledTranslation, TransformedBbox

    shift = ScaledTranslation(0, up_in, fig.dpi_scale_trans)  # inches, whatever the dpi it is saved at
    if isinstance(artist, Axes):
        where = artist.get_position()
        artist.set_position(where.translated(0, up_in / fig.get_figheight()))
        return functools.partial(artist.set_position, where)
    if isinstance(artist, Legend):
        anchor = artist.get_bbox_to_anchor()
        artist.set_bbox_to_anchor(TransformedBbox(anchor, shift), IdentityTransform())
        return functools.partial(artist.set_bbox_to_anchor, anchor, IdentityTransform())
    transform = artist.get_transform()
    artist.set_transform(transform + shift)
    return functools.partial(artist.set_transform, transform)


def _remove_stale_pages(path: Path, kept: int) -> None:
    """Remove the parts beyond the first ``kept`` that an earlier, taller figure of ``path`` left."""
    stem = path.with_suffix("").name
    pattern = re.compile(re.escape(stem) + r"-page(\d+)(" + "|".join(map(re.escape, FORMATS)) + ")")
    for old in path.parent.glob(f"{glob.escape(stem)}-page*"):  # a stem may hold [ ] * ?: seed[0].confusion
        match = pattern.fullmatch(old.name)
        if match and int(match.group(1)) > kept:
            old.unlink()


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
