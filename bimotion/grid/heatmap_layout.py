"""The heat map's layout (:mod:`bimotion.grid.heatmap` draws it): its size at print size, its blocks of
test sets and of models, each a page-sized part that reads alone, and its title and note wrapped by the
one measure of text width every figure wraps by (:mod:`bimotion.figures`)."""

from __future__ import annotations

from ..figures import (
    CHAR_IN,
    LINE_IN,
    PAGE_HEIGHT_IN,
    PART_MARK_IN,
    PRINT_WIDTH_IN,
    SAVED_MARGIN_IN,
    SMALL_PT,
    TEXT_PT,
    TITLE_CHARS_PER_IN,
    TITLE_LINE_IN,
    fill,
    text_width,
)

# The map is drawn at the size it prints at (its text sizes are the page's, bimotion.figures): at most
# PRINT_WIDTH_IN wide, long mixture names wrapped rather than widening it; a grid too wide for that even
# so (cells narrower than CELL_MIN_IN, whose scores would not fit) grows wider, cells CELL_MIN_IN each.
ROW_CHARS = 28  # a row's name wrapped to lines this many Latin characters wide (a Chinese one counts two)
COLUMN_CHARS = 24  # a column's name, likewise (upright labels: their lines side by side in a cell's width)
BAR_ROOM_IN = 0.95  # right of the rows: the pad, the bar, its ticks and its label (two lines, wrapped)
CELL_IN = 0.8  # a cell's width (inches) where the page has room
CELL_MIN_IN = 0.45  # a cell's narrowest: its bold 8 pt score with its marks ("88.5†*", 0.4 in)
CELL_SMALL_IN = 0.37  # a cell's narrowest with a bold 7 pt score (0.34 in), a map too wide for 8 pt ones
SCORE_CHARS = 6  # the characters of the score those widths hold ("88.5†*"); a longer one widens them alike
BAR_BELOW_IN = 0.75  # under a wide map: the colour bar, its ticks and its label, between the names and the note
ROW_IN = 0.4  # a row's height (inches)
MIN_ROWS_IN = 1.5  # the rows' height of a map of a few models (advise's): its colour bar's label fits beside the bar
MARGIN_IN = 0.1  # what the saved copy's tight frame adds around the drawn figure, with room to spare
XLABEL_IN = 0.3  # under a block's test-set names: its axis label
KEY_IN = 1.1  # the title's two lines and the note's four (inches), until they are wrapped to the map's width
KEY_PAD_IN = 0.4  # besides the rows, the names, the title and the note: the axis label and the pads between
PART_SLACK_IN = 0.1  # what a page-sized part of the map keeps spare of the page's height


def heatmap_layout(rows: list[str], columns: list[str], key_in: float = KEY_IN, score_chars: int = SCORE_CHARS) -> dict:
    """How a map of the (wrapped) row and column names ``rows`` and ``columns`` is drawn:
    ``width``/``height`` (inches), ``bar`` (the colour bar ``side`` or ``below``), ``per_block`` (test
    sets per block) and ``models_per_block``, and ``score_pt`` (a cell's score's size).  At most
    :data:`PRINT_WIDTH_IN` wide: cells :data:`CELL_MIN_IN` or wider with the bar beside them where
    they fit; else the bar under the map, then cells :data:`CELL_SMALL_IN` with a 7 pt score; a map
    too wide even so (over about 13 test sets) is split into blocks of test sets stacked one over the
    other, each naming which test sets it holds.  A map too tall for a page with its title and note
    (``key_in`` inches together) and its bar (more than about 12 models) is split into blocks of models
    alike, the bar under the map: each block a page-sized part (:func:`bimotion.figures.save_pages`)
    that reads alone, every name at its size.  A cell's narrowest widths hold a score of ``score_chars``
    characters, its marks with it ("88.5†*‡": 7, :data:`SCORE_CHARS` and wider scaled by their count)."""
    scale = max(1.0, score_chars / SCORE_CHARS)
    cell_min, cell_small = CELL_MIN_IN * scale, CELL_SMALL_IN * scale
    label_in = CHAR_IN * max(text_width(line) for name in rows for line in name.split("\n")) + 0.45  # + the axis label
    upright = CHAR_IN * max(text_width(line) for name in columns for line in name.split("\n"))
    row_in = max(ROW_IN, 0.12 * max(name.count("\n") + 1 for name in rows))
    count, room = len(columns), PRINT_WIDTH_IN - MARGIN_IN - label_in
    fixed = 2 * SAVED_MARGIN_IN + key_in + upright + XLABEL_IN + PART_SLACK_IN  # a part of the page, but its rows
    # a note longer than KEY_IN's room (one naming each cell not held out, ‡) took it from the rows: each
    # row keeps row_in, the title and the note key_in, the names and the axis label theirs (KEY_PAD_IN)
    height = max(
        max(row_in * len(rows), MIN_ROWS_IN) + upright + 0.12 * 3 + 1.6,
        row_in * len(rows) + upright + key_in + KEY_PAD_IN,
    )
    if (room - BAR_ROOM_IN) / count >= cell_min and height + 2 * SAVED_MARGIN_IN <= PAGE_HEIGHT_IN:
        cell = min(CELL_IN, (room - BAR_ROOM_IN) / count)  # as ever: the bar beside the rows
        return {"width": label_in + BAR_ROOM_IN + cell * count, "height": height, "bar": "side",
                "per_block": count, "models_per_block": len(rows), "score_pt": TEXT_PT}  # fmt: skip
    score_pt, per = TEXT_PT, int(room // cell_min)
    if per < count <= room // cell_small:
        score_pt, per = SMALL_PT, count
    blocks = -(-count // per)
    per = -(-count // blocks)  # blocks of even widths
    cell = min(CELL_IN, room / per)

    def tall(per_model: int) -> float:  # the map's height, each block of test sets in blocks of per_model models
        cells = max(row_in * per_model, MIN_ROWS_IN)
        blocks_in = blocks * -(-len(rows) // per_model) * (cells + upright + XLABEL_IN + LINE_IN)
        keyed = blocks_in - LINE_IN + key_in + KEY_PAD_IN + BAR_BELOW_IN  # a long note's room, as beside
        return max(blocks_in - LINE_IN + 0.12 * 3 + 1.3 + BAR_BELOW_IN, keyed)  # each block: its axis label

    per_model, whole = len(rows), blocks == 1 and tall(len(rows)) + 2 * SAVED_MARGIN_IN <= PAGE_HEIGHT_IN
    if not whole:  # in parts: each holds the title and the note, a block's names, the bar and over a later
        # part "continued", and as many rows as fit the rest; a map of one block, at least two
        most = max(1, int((PAGE_HEIGHT_IN - fixed - BAR_BELOW_IN - PART_MARK_IN) // row_in))
        most = min(most, len(rows) - 1) if blocks == 1 else most
        per_model = -(-len(rows) // -(-len(rows) // max(1, most)))  # blocks of even heights
    height = tall(per_model)
    return {"width": label_in + cell * per, "height": height, "bar": "below", "per_block": per,
            "models_per_block": per_model, "score_pt": score_pt}  # fmt: skip


def heatmap_size(rows: list[str], columns: list[str]) -> tuple[float, float]:
    """(width, height) in inches of :func:`heatmap_layout`'s map."""
    layout = heatmap_layout(rows, columns)
    return layout["width"], layout["height"]


def note_in(note: str) -> float:
    """The room (inches) the note under the map takes: 8 pt lines, ~0.14 in each, not a fraction of a
    figure that grows with the models."""
    return 0.14 * (note.count("\n") + 1) + 0.1


def laid_out(
    rows: list[str], columns: list[str], title: str, note: str, score_chars: int = SCORE_CHARS
) -> tuple[dict, str, str]:
    """:func:`heatmap_layout` of the names, and the title and the note wrapped to its width (the title
    centred on the figure, :data:`~bimotion.figures.TITLE_CHARS_PER_IN`; the note from its left edge,
    :data:`~bimotion.figures.CHAR_IN` a character): laid out again with the room they take, which
    sets how many models a page-sized part holds; cells as wide as a score of ``score_chars`` needs."""
    key_in = KEY_IN
    for _ in range(3):
        layout = heatmap_layout(rows, columns, key_in, score_chars)
        wrapped = fill(title, int(layout["width"] * TITLE_CHARS_PER_IN)), fill(note, int(layout["width"] / CHAR_IN))
        need = 0.1 + TITLE_LINE_IN * (wrapped[0].count("\n") + 1) + note_in(wrapped[1])
        if need <= key_in:
            break
        key_in = need
    return layout, *wrapped


def blocks_of(n_models: int, n_tests: int, layout: dict) -> list[tuple[list[int], list[int]]]:
    """The (models, test sets) each block of the map draws, stacked top to bottom: every block of test
    sets (:func:`heatmap_layout`'s ``per_block``), each over every block of models (``models_per_block``)."""
    per_test, per_model = layout["per_block"], layout["models_per_block"]
    return [(list(range(m, min(m + per_model, n_models))), list(range(t, min(t + per_test, n_tests))))
            for t in range(0, n_tests, per_test) for m in range(0, n_models, per_model)]  # fmt: skip


def part_of(indices: list[int], count: int) -> str:
    """What an axis label adds where its block holds some of the models or test sets: ": 1–10 of 20"."""
    return f": {indices[0] + 1}–{indices[-1] + 1} of {count}" if len(indices) < count else ""
