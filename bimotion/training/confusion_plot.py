"""The per-group confusion figure written beside a model's scores: one panel per (group, corpus) test
set of :func:`bimotion.training.metrics.score_groups`'s result, drawn from the counts its
``confusion`` holds (:func:`bimotion.training.metrics.confusion`), so the figure shows the numbers
of the JSON file next to it.

* single-label corpus: the K×K matrix (rows: true label, columns: arg-max prediction), each cell
  its count, coloured by the share of its row (per-label recall on the diagonal);
* multi-label corpus: one row per label with its TP, FN, FP and TN counts (clips that annotate
  the label), coloured by the share of the row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np

from loaders.labels import LABEL_CODES, LABELS

from ..figure_fonts import with_figure_fonts
from ..figures import (
    CHAR_IN,
    COLUMN_WIDTH_IN,
    LINE_IN,
    PRINT_WIDTH_IN,
    SAVED_MARGIN_IN,
    SMALL_PT,
    TEXT_PT,
    TITLE_CHARS_PER_IN,
    TITLE_LINE_IN,
    TITLE_PT,
    pyplot,
    save_figure,
    text_color,
    wrap,
)


def panels(result: dict) -> list[tuple[str, dict, int, str]]:
    """``(title, confusion, clips, score)`` of every (group, corpus) test set of ``result``
    (score_groups'), titled by :func:`test_set_name`: ``score`` is the number the panel's counts give beside its chance level, so the
    figure reads against its table (:func:`summary`)."""
    out = []
    for group, g in result["groups"].items():
        for corpus, c in g["corpora"].items():
            if "confusion" in c:
                out.append((test_set_name(group, corpus), c["confusion"], int(c["num_samples"]), summary(c)))
    return out


def test_set_name(group: str, corpus: str) -> str:
    """A reader's name of a (group, corpus) test set, as the heat map names groups: ``("eng_eld",
    "elderreact")`` -> "English elderly · ElderReact" (a corpus outside the registry: as it is)."""
    from loaders import SOURCES

    from ..group_names import group_name

    try:
        corpus_name = SOURCES[corpus].title.split(":")[0]
    except KeyError:
        corpus_name = corpus
    return f"{group_name(group)} · {corpus_name}"


def summary(corpus: dict) -> str:
    """The score a panel's counts give, beside its chance level: a single-label corpus's UA (the
    mean of the matrix's diagonal shares, arg-max), a multi-label one's weighted F1 (sigmoid > 0.5);
    one at or below its chance level marked :data:`~.metrics.DAGGER` as the tables mark it
    (:func:`~.report.at_or_below`); "" where the scores hold neither."""
    chance = corpus.get("chance")
    if not isinstance(chance, dict):
        return ""
    if corpus["confusion"]["kind"] == "single_label" and "unweighted_accuracy" in corpus.keys() & chance.keys():
        return _scored("UA", corpus["unweighted_accuracy"], chance["unweighted_accuracy"])
    if corpus["confusion"]["kind"] == "multi_label" and "weighted_f1" in corpus:
        return _scored("weighted F1", corpus["weighted_f1"], chance["chance"])
    return ""


def _scored(name: str, value: float, chance: float) -> str:
    """``"UA 33.3%† (chance 33.3%)"``: a score (a fraction) and its chance level in %, ``†`` at or below it."""
    from .metrics import DAGGER
    from .report import at_or_below

    mark = DAGGER if at_or_below(value, chance) else ""
    return f"{name} {100 * value:.1f}%{mark} (chance {100 * chance:.1f}%)"


def legend(found: list[tuple[str, dict, int, str]], short: bool, tables: str = "") -> str:
    """The figure's key under its title: :data:`LEGEND`, UA spelled out where a panel gives one (the
    tables' and heat map's metric is not UA), ``†`` where a panel has one, ``tables`` (what the tables
    beside the figure read, so a reader matches the two), and the label codes of a figure three panels
    or more to a row (``short``); short enough that nine panels fit a page."""
    from .metrics import DAGGER

    text = LEGEND
    if any(conf["kind"] == "single_label" and score for _, conf, _, score in found):
        text += "; unweighted accuracy (UA): mean recall per label, arg-max"
    if any(DAGGER in score for *_, score in found):
        text += f"; {DAGGER} at or below chance"
    text += f"; {tables}" if tables else ""
    if short:
        shown = {label for _, conf, *_ in found for label in conf["labels"]}
        text += "; labels: " + ", ".join(f"{LABEL_CODES.get(lb, lb)} = {lb}" for lb in LABELS if lb in shown)
    return text


def _grid(conf: dict) -> tuple[np.ndarray, list[str], list[str]]:
    """The counts to draw and their row and column names."""
    labels = conf["labels"]
    if conf["kind"] == "single_label":
        return np.asarray(conf["matrix"], dtype=int).reshape(len(labels), len(labels)), labels, labels
    parts = ("tp", "fn", "fp", "tn")
    counts = np.array([[conf["counts"][lb][k] for k in parts] for lb in labels], dtype=int).reshape(-1, 4)
    return counts, labels, [k.upper() for k in parts]


def _names(labels: list[str], short: bool) -> list[str]:
    """Labels as a panel's axes print them: their three-letter codes (:data:`loaders.labels.LABEL_CODES`,
    spelled out in the figure's key) in a panel too narrow for the names."""
    return [LABEL_CODES.get(label, label) for label in labels] if short else list(labels)


def _draw(ax, title: str, conf: dict, clips: int, score: str, short: bool = False, side_in: float = 9.0) -> None:
    """One panel, its matrix ``side_in`` inches wide (its column codes upright where they fit a cell)."""
    import matplotlib

    counts, rows, cols = _grid(conf)
    totals = counts.sum(1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    cmap = matplotlib.colormaps["Blues"]
    ax.imshow(share, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    single = conf["kind"] == "single_label"
    for i, j in np.ndindex(counts.shape):
        if single and not counts[i, j]:
            continue  # blank: none (fewer texts, a sparse matrix reads at a glance)
        ax.text(
            j, i, str(counts[i, j]), ha="center", va="center", fontsize=SMALL_PT, color=text_color(cmap(share[i, j]))
        )  # black or white, whichever reads better on the cell
    if single:
        cols = _names(cols, short)
        slanted = not short and _slanted(len(cols), side_in)
        rotation = 0 if short and _upright(len(cols), side_in) else 45 if slanted else 90
        ax.set_xticks(range(len(cols)), cols, rotation=rotation, ha="right" if slanted else "center",
                      fontsize=TEXT_PT)  # fmt: skip
    else:
        ax.set_xticks(range(len(cols)), cols, fontsize=TEXT_PT)
    ax.set_yticks(range(len(rows)), _names(rows, short), fontsize=TEXT_PT)
    ax.tick_params(length=2, pad=1.5)
    if single:
        ax.set_xlabel("predicted (arg-max)", fontsize=TEXT_PT, labelpad=2)
        ax.set_ylabel("true label", fontsize=TEXT_PT, labelpad=2)
        missed = sum(conf.get("no_prediction", []))
        note = f"{clips} clips" + (f", {missed} without a trained label" if missed else "")
    else:
        wrap = "\n" if short else " "  # a narrow panel's: two lines, clear of the next panel
        ax.set_xlabel(f"per-label counts{wrap}(sigmoid > 0.5)", fontsize=TEXT_PT, labelpad=2)
        ax.set_ylabel("label", fontsize=TEXT_PT, labelpad=2)
        note = f"{clips} clips, multi-label"
    ax.set_title(_panel_title(title, note, score, side_in), fontsize=TEXT_PT, pad=3)


def _panel_title(title: str, note: str, score: str, side_in: float) -> str:
    """A panel's title lines, each wrapped to the width of its matrix (and of its row names' room),
    so that titles side by side never run into each other; a score too long for a line is broken
    before its chance level."""
    chars = max(16, int((side_in + 0.3) / CHAR_IN))
    score = score.replace(" (", "\n(", 1) if len(score) > chars else score
    parts = [title, note, *score.split("\n")]
    return "\n".join(line for part in parts if part for line in wrap(part, chars))


def _upright(count: int, side_in: float) -> bool:
    """A matrix's column codes fit upright side by side: a cell is wider than three letters."""
    return side_in / count >= 3 * CHAR_IN + 0.04


def _slanted(count: int, side_in: float) -> bool:
    """A matrix's column names fit at 45° side by side: a cell's width across the slant (sin 45°)
    is a line's height; narrower cells (thirteen labels in a column's width) have them turned upright."""
    return side_in / count * math.sqrt(0.5) >= LINE_IN


LEGEND = "colour: share of the row; numbers: clips (blank: none)"
MATRIX_MAX_IN = 2.6  # a matrix's largest side: a one- or two-panel figure's
SHORT_ASPECT = 0.85  # a matrix's height to its width three panels a row: nine panels fit a page's height


def columns(count: int) -> int:
    """Panels per row: all in one row up to three, two by two for four, else three: the figure is
    :data:`~bimotion.figures.PRINT_WIDTH_IN` wide at most whatever the count, and nine panels fit a
    page's height (more run past it, and are also written in page-sized parts,
    :func:`bimotion.figures.save_pages`: a fourth column would leave an eleven-label matrix cells too
    small for its labels)."""
    return count if count <= 3 else 2 if count == 4 else 3


def _room(panel: tuple, short: bool, side_in: float) -> tuple[float, float, float]:
    """Inches a panel needs left of its matrix (its row names and axis label), above it (its title's
    lines) and under it (its column names and axis label)."""
    title, conf, clips, score = panel
    _, names, cols = _grid(conf)
    left = CHAR_IN * max(map(len, _names(names, short))) + 0.3
    above = (_panel_title(title, "-", score, side_in).count("\n") + 1) * LINE_IN + 0.1
    if conf["kind"] != "single_label":
        under = 1.0 + (1.5 if short else 0)  # upright TP/FN/FP/TN, the axis label wrapped when narrow
    elif short:
        under = 1.0 if _upright(len(cols), side_in) else 3.0  # codes upright, or turned
    else:  # names at 45°, or turned upright
        under = (0.75 if _slanted(len(cols), side_in) else 1.0) * max(map(len, cols))
    return left, above, CHAR_IN * under + 0.3


def confusion_title(train_spec: str, tested_on: str, seed: int | None = None, run_name: str | None = None) -> str:
    """The figure's title, naming the training data as a reader does (:func:`bimotion.mixture.mixture_name`:
    ``eng_eld`` -> "Trained on English elderly (seed 0): confusion on the test split"); a ``run_name``
    other than the spec leads it."""
    from ..mixture import mixture_name

    seed_note = "" if seed is None else f" (seed {seed})"
    title = f"trained on {mixture_name(train_spec)}{seed_note}: confusion on {tested_on}"
    return f"{run_name}: {title}" if run_name and run_name != train_spec else title[0].upper() + title[1:]


@with_figure_fonts
def confusion_figure(result: dict, title: str, tables: str = ""):
    """The figure of :func:`draw_confusion` (not saved; ``None`` when ``result`` holds no confusion
    counts), drawn at the size it prints at: at most :data:`~bimotion.figures.PRINT_WIDTH_IN` wide
    whatever the number of panels (:func:`columns` per row), one panel a column's
    (:data:`~bimotion.figures.COLUMN_WIDTH_IN`); its title and :data:`LEGEND` wrapped to its width.  Panels three or more to a row name the labels by their
    three-letter codes, spelled out after the legend; ``tables``: what the tables beside it read
    (:func:`legend`)."""
    plt = pyplot()

    found = panels(result)
    if not found:
        return None
    ncols = columns(len(found))
    nrows = math.ceil(len(found) / ncols)
    short = ncols >= 3
    width = min(PRINT_WIDTH_IN, COLUMN_WIDTH_IN * ncols) - 2 * SAVED_MARGIN_IN  # as saved: with its margins
    lines = wrap(title, int(width * TITLE_CHARS_PER_IN))
    key = wrap(legend(found, short, tables), int(width / CHAR_IN))  # at TEXT_PT, under the title
    cell = width / ncols  # inches of each panel's column
    left = max(_room(panel, short, 1.0)[0] for panel in found)
    side = min(MATRIX_MAX_IN, cell - left - 0.15)  # the matrix: as wide as the column leaves
    tall = side * (SHORT_ASPECT if short else 1.0)  # and square, or a little less tall three to a row
    rooms = [_room(panel, short, side) for panel in found]
    rows = [rooms[r * ncols : (r + 1) * ncols] for r in range(nrows)]  # each row as tall as its panels need
    heights = [max(a for _, a, _ in row) + tall + max(u for *_, u in row) + 0.1 for row in rows]
    top = TITLE_LINE_IN * len(lines) + LINE_IN * len(key) + 0.15
    height = top + sum(heights)
    fig = plt.figure(figsize=(width, height))
    # fixed geometry (inches), not tight_layout: a layout pass re-measures every text, doubling the cost
    for k, panel in enumerate(found):
        r, c = divmod(k, ncols)
        x0 = c * cell + left + max(0.0, (cell - left - side - 0.15) / 2)
        y0 = height - top - sum(heights[:r]) - max(a for _, a, _ in rows[r]) - tall
        ax = fig.add_axes((x0 / width, y0 / height, side / width, tall / height))
        _draw(ax, *panel, short=short, side_in=side)
    fig.suptitle("\n".join(lines), fontsize=TITLE_PT, y=1 - 0.06 / height, va="top")
    under_title = 0.1 + TITLE_LINE_IN * len(lines)
    fig.text(0.5, 1 - under_title / height, "\n".join(key), fontsize=TEXT_PT, ha="center", va="top", gid="legend")
    return fig


def draw_confusion(
    result: dict, path: str | Path, title: str, synthetic: Mapping = MappingProxyType({}), tables: str = ""
) -> Path | None:
    """Draw every (group, corpus) panel of ``result`` (:func:`~.metrics.score_groups`' output) to the
    PNG ``path`` and an SVG beside it (:func:`bimotion.figures.save_figure`, :func:`confusion_figure`);
    returns the PNG's path, ``None`` (nothing written) when ``result`` holds no
    confusion counts.  ``synthetic``: the generated corpora of the data, ``{benchmark: {corpus: ...}}``
    (:func:`bimotion.data.layout.synthetic_data`); when there are any, the title ends
    ``— synthetic demo data: not comparable with the paper``, as the tables' and model card's do.
    ``tables``: what the tables and heat map beside the figure read where that is not its panels'
    score (the grid's ``metric``), said in its key."""
    from loaders.synthetic import marked_title

    title = marked_title(title, any(synthetic.values()))
    fig = confusion_figure(result, title, tables)
    if fig is None:
        return None
    # the image's own title too, for indexes and tests
    return save_figure(fig, path, metadata={"Title": title})[0]
