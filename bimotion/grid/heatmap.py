"""The grid's heat map: the weighted F1 of every model (rows) on every test set (columns), as a reader
of the paper reads it.

* **Names**, not specs: a mixture is named by its data (:func:`bimotion.mixture.mixture_name`: ``eng_eld`` ->
  "English elderly", ``zho`` -> "Mandarin, all ages", ``yuemotion:all+eng_adu[esd]`` -> "all of
  YueMotion + ESD English adults"); the CSV beside the figure keeps the specs.
* **The paper's order** (:func:`paper_order`): the single-group models first, in the paper's column
  order (their in-group cells on the diagonal), then every other mixture as Tables 3, 4 and 5 name
  it, row by row; test sets as the tables' columns; anything else after, in the plan's order.  A
  ``target:`` grid's models (``bimotion advise``) come first, in its plan's order: the baseline, the
  augmentations, the cross-group inference models.
* **In-group cells boxed**: solid where the model trained on exactly the test set's data (the
  in-group baseline), dashed where the test set's data is part of a wider training mixture.
* **Colour = score minus the test set's chance level** (percentage points) on a diverging scale
  centred on chance, symmetric, so columns with different chance levels compare and equal
  distances look equal; each cell prints its score and its distance to chance in black or white,
  whichever contrasts more with the cell, and a cell at or below chance gets a hatched border (clear
  of its numbers, black or white as they are) and is marked ``†``, the colour bar's values at or below
  chance hatched alike (in greyscale the scale's two ends are one grey); a score of a model that never trained on some labels the test
  set annotates is marked ``*``, as in the tables, and one of test clips the model was trained on,
  not held out (``training_clips``, :mod:`.heard`), ``‡``, the note under the map naming the first
  few such cells' counts in the tables' words (:func:`~bimotion.training.report.trained_clips_note`)
  and counting the rest, which the CSV lists (:func:`write_csv`: each cell's ``training_clips``,
  ``num_test`` and ``untrained``, after the scores).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from loaders.synthetic import marked_title

from ..extras import not_drawn
from ..figure_fonts import with_figure_fonts
from ..figures import SMALL_PT, TEXT_PT, TITLE_LINE_IN, TITLE_PT, fill, pyplot, save_figure, text_color
from ..mixture import mixture_name, parse_mixture
from ..paper import GROUPS, TABLES
from ..training.f1 import READINGS
from ..training.metrics import CHANCE_OF, DAGGER, UNTRAINED, UNTRAINED_MARK
from ..training.processes import note
from ..training.report import TRAINED_MARK, at_or_below, trained_clips_note
from .heatmap_layout import (
    BAR_BELOW_IN,
    BAR_ROOM_IN,
    COLUMN_CHARS,
    ROW_CHARS,
    blocks_of,
    laid_out,
    note_in,
    part_of,
)


def paper_order(specs: list[list[str]], reference: list[str]) -> list[int]:
    """Indices of ``specs`` (each item: the specs of one model or test set) sorted by where
    ``reference`` first names one of them, or else their shards; ties and items it lacks keep their
    order, after the ones it has."""
    exact: dict[str, int] = {}
    by_shards: dict[frozenset, int] = {}
    for i, spec in enumerate(reference):
        exact.setdefault(spec, i)
        by_shards.setdefault(frozenset(parse_mixture(spec).shards), i)

    def rank(names: list[str]) -> int:
        found = [exact[n] for n in names if n in exact]
        return min(found) if found else by_shards.get(frozenset(parse_mixture(names).shards), len(reference))

    keys = [rank(names) for names in specs]
    return sorted(range(len(specs)), key=lambda i: (keys[i], i))


def _paper_models() -> list[str]:
    return [*GROUPS, *(c.train for t in TABLES.values() for c in t.cells())]


def _paper_tests() -> list[str]:
    return [c.test for t in TABLES.values() for c in t.columns]


def _relation(model_shards, test_shards) -> str | None:
    """``baseline`` (same data), ``included`` (the test data is part of the mixture) or None."""
    model, test = set(model_shards), set(test_shards)
    return "baseline" if model == test else "included" if test <= model else None


def heatmap_data(result) -> dict:
    """The heat map's numbers of a :class:`~bimotion.grid.report.GridResult` in the paper's order:
    ``models``/``tests`` (specs), their ``model_names``/``test_names``, ``values`` and ``chance`` (%),
    ``relation`` (per cell: ``baseline``, ``included`` or None), ``untrained`` (per cell: labels the
    model never trained on), ``training_clips`` and ``num_test`` (per cell: how many of its test clips
    the model was trained on, of how many), ``synthetic`` (the generated corpora among their data,
    which the title then names as such), ``metric`` (the grid's: which reading of weighted F1 the title
    and note name; a ``data`` without it is read as ``weighted_f1``, the config's default)."""
    plan_models = list(result.plan.models)
    # a target grid's models (advise's) as advice.md lists them: baseline, augmentations, inference
    reference = [m.spec for m in result.plan.target] + _paper_models()
    models = [plan_models[i] for i in paper_order([list(m.specs) for m in plan_models], reference)]
    tests = [result.plan.tests[i] for i in paper_order([[t] for t in result.plan.tests], _paper_tests())]
    values = np.array([[result.matrix[(m.name, t)]["mean"] for t in tests] for m in models], dtype=float)
    chance = [result.matrix[(models[0].name, t)].get("chance") for t in tests]
    chance = np.array([np.nan if c is None else c for c in chance], dtype=float)
    relation = [[_relation(m.shards, parse_mixture(t).shards) for t in tests] for m in models]
    untrained = [[list(result.matrix[(m.name, t)].get("untrained") or []) for t in tests] for m in models]
    heard = [[int(result.matrix[(m.name, t)].get("training_clips", 0)) for t in tests] for m in models]
    num_test = [int(result.matrix[(models[0].name, t)].get("num_test", 0)) for t in tests]
    return {"models": [m.name for m in models], "tests": tests, "values": values, "chance": chance,
            "model_names": [mixture_name(m.name) for m in models], "test_names": [mixture_name(t) for t in tests],
            "relation": relation, "untrained": untrained, "training_clips": heard, "num_test": num_test,
            "synthetic": result.synthetic(), "metric": result.config.metric}  # fmt: skip


def write_csv(data: dict, path: Path) -> Path:
    """The numbers (specs as names, rows and columns as drawn; a last row ``chance``), then per test set
    (:data:`CSV_PER_TEST`, each ``"<name> <test spec>"``) the cells' ``training_clips`` (how many of its
    test clips the model was trained on: ``‡``, not held out, where over 0), ``num_test`` (of how many)
    and ``untrained`` (labels the test set annotates that the model never trained on, space-separated:
    ``*``); the row ``chance`` holds ``num_test`` alone of them."""
    tests, n_tests = data["tests"], len(data["tests"])
    heard = data.get("training_clips") or [[0] * n_tests] * len(data["models"])
    untrained = data.get("untrained") or [[[]] * n_tests] * len(data["models"])
    num_test = [str(n) for n in data.get("num_test") or [""] * n_tests]
    lines = ["train \\ test," + ",".join(_quoted(t) for t in tests)
             + "".join(f",{_quoted(f'{name} {t}')}" for name in CSV_PER_TEST for t in tests)]  # fmt: skip
    for m, row, clips, labels in zip(data["models"], data["values"], heard, untrained, strict=True):
        extra = [*map(str, clips), *num_test, *(_quoted(" ".join(cell)) for cell in labels)]
        lines.append(_quoted(m) + "," + ",".join([*(f"{v:.4f}" for v in row), *extra]))
    lines.append("chance," + ",".join([*(f"{v:.4f}" for v in data["chance"]), *[""] * n_tests, *num_test,
                                       *[""] * n_tests]))  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CSV_PER_TEST = ("training_clips", "num_test", "untrained")  # heatmap.csv's columns after the scores, per test set


def _quoted(text: str) -> str:
    """``text`` as one CSV field in double quotes (a quote in it doubled)."""
    return '"' + text.replace('"', '""') + '"'


@with_figure_fonts
def heatmap_figure(data: dict, seeds: list[int]):
    """The figure and its axes of :func:`heatmap_data`'s ``data`` (returned, not saved): the axes of its
    first block; the title is the figure's (``fig.get_suptitle()``), so each page-sized part has it.  Its
    text is drawn in fonts holding its every glyph however it is saved (a name's character none holds, as
    the box matplotlib would draw, said once): :func:`~bimotion.figure_fonts.with_figure_fonts`."""
    plt = pyplot()
    from matplotlib.colors import Normalize

    values, chance = data["values"], data["chance"]
    above = values - np.where(np.isfinite(chance), chance, 0.0)[None, :]
    limit = max(5.0, float(np.nanmax(np.abs(above))))
    norm, cmap = Normalize(-limit, limit), plt.get_cmap("RdBu")
    n_models, n_tests = values.shape
    rows = [fill(name, ROW_CHARS) for name in data["model_names"]]
    columns = [f"{fill(name, COLUMN_CHARS)}\n(chance {c:.1f})" for name, c in zip(data["test_names"], chance,
               strict=True)]  # fmt: skip
    untrained = data.get("untrained") or [[False] * n_tests] * n_models
    heard = data.get("training_clips") or [[0] * n_tests] * n_models
    scores = [[score_text(values[m, j], chance[j], untrained[m][j], heard[m][j]) for j in range(n_tests)]
              for m in range(n_models)]  # fmt: skip
    metric = data.get("metric", "weighted_f1")
    note = (f"Cell: weighted F1 (bold), {READINGS[metric]}, and its distance to the test set's chance level. Solid "
            "box: trained on exactly this test set's data (in-group); dashed box: this test set's data is part of "
            f"the training mixture. Hatched border, {DAGGER}: at or below chance ({CHANCE_OF[metric]}).")  # fmt: skip
    if any(map(any, untrained)):
        note += f" {UNTRAINED_MARK}: {UNTRAINED}."
    note += _heard_note(data, heard)
    title = marked_title(heatmap_title(data, seeds), data.get("synthetic"))
    widest = max(len(text) for row in scores for text in row)
    layout, title, note = laid_out(rows, columns, title, note, score_chars=widest)
    width, height = layout["width"], layout["height"]
    blocks = blocks_of(n_models, n_tests, layout)
    fig, axes = plt.subplots(len(blocks), 1, figsize=(width, height), squeeze=False)
    axes = list(axes[:, 0])
    for ax, (models, tests) in zip(axes, blocks, strict=True):
        image = ax.imshow(above[np.ix_(models, tests)], cmap=cmap, norm=norm, aspect="auto")
        for i, k in np.ndindex(len(models), len(tests)):
            m, j = models[i], tests[k]
            _draw_cell(ax, (i, k), values[m, j], chance[j], cmap(norm(above[m, j])), data["relation"][m][j],
                       scores[m][j], layout["score_pt"])  # fmt: skip
        ax.set_xticks(range(len(tests)), [columns[j] for j in tests], rotation=90, fontsize=TEXT_PT)
        ax.set_yticks(range(len(models)), [rows[m] for m in models], fontsize=TEXT_PT)
        ax.set_xticks(np.arange(len(tests) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(models) + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        ax.set_ylabel(f"training mixture (one model each){part_of(models, n_models)}", fontsize=TEXT_PT)
        ax.set_xlabel(f"test set (its chance level, %){part_of(tests, n_tests)}", fontsize=TEXT_PT)
    title_in = 0.1 + TITLE_LINE_IN * (title.count("\n") + 1)
    sup = fig.suptitle(title, fontsize=TITLE_PT, y=1 - 0.05 / height, va="top")
    fig.text(0.01, 0.005, note, fontsize=TEXT_PT, va="bottom", ha="left")
    sup.set_in_layout(False)  # the rect leaves its room: tight_layout would leave it again
    _colour_bar(fig, axes, image, layout["bar"], (title_in, note_in(note)), bar_label(metric))
    sup.set_in_layout(True)  # and the saved copy's frame holds it
    for ax, (models, tests) in zip(axes, blocks, strict=True):
        _clip_hatches(ax, len(models), len(tests))
    return fig, axes[0]


def score_text(value: float, chance: float, untrained: bool = False, training_clips: int = 0) -> str:
    """A cell's score as printed, with its marks: :data:`DAGGER` at or below chance, :data:`UNTRAINED_MARK`
    where the model never trained on some of the test set's labels, :data:`TRAINED_MARK` where it was
    trained on some of its clips (not held out), in the tables' order."""
    low = at_or_below(value, chance)
    return (
        f"{value:.1f}"
        + (DAGGER if low else "")
        + (UNTRAINED_MARK if untrained else "")
        + (TRAINED_MARK if training_clips else "")
    )


def _heard_note(data: dict, heard: list[list[int]]) -> str:
    """The note's ``‡`` line, worded as the tables' (:func:`trained_clips_note`): the first
    :data:`HEARD_SHOWN` cells of test clips their model was trained on (as drawn: row by row), by name,
    with how many of its clips, and how many more, which heatmap.csv's ``training_clips`` columns list
    (a grid of many models on many test sets had a note of every such cell, longer than the map); or nothing."""
    num_test = data.get("num_test") or [0] * len(data["tests"])
    cells = {
        f"{model} on {test}": {"training_clips": count, "num_samples": num_test[j]}
        for model, row in zip(data["model_names"], heard, strict=True)
        for j, (test, count) in enumerate(zip(data["test_names"], row, strict=True))
        if count
    }
    note = trained_clips_note(dict(list(cells.items())[:HEARD_SHOWN])).strip()
    if len(cells) > HEARD_SHOWN:
        note += f" and {len(cells) - HEARD_SHOWN} more cells (heatmap.csv: training_clips)"
    return f" {note}." if note else ""


HEARD_SHOWN = 3  # the cells not held out (‡) the note names; the rest it counts, as a list of files is cut short


def _colour_bar(fig, axes: list, image, where: str, key_in: tuple[float, float], label: str) -> None:
    """Lay the map out under the title and over the note (``key_in``: the inches they take at the top
    and the bottom) and add its colour bar, labelled ``label``: beside the rows (``where`` ``side``),
    BAR_WIDTH_IN wide and as tall as they are, whatever the map's size; or under the last test sets'
    names, above the note, on a map too wide or too tall for a bar beside it."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    top_in, note_in = key_in
    if where == "side":
        fig.tight_layout(rect=(0, note_in / height, 1 - BAR_ROOM_IN / width, 1 - top_in / height))
        box = axes[0].get_position()
        cax = fig.add_axes((box.x1 + BAR_PAD_IN / width, box.y0, BAR_WIDTH_IN / width, box.height))
        bar = fig.colorbar(image, cax=cax)
        _fit_bar_label(fig, bar, label)
    else:  # a map too wide for a bar beside it: the bar under its last test sets' names, above the note
        fig.tight_layout(rect=(0, (note_in + BAR_BELOW_IN) / height, 1, 1 - top_in / height), h_pad=1.0)
        box = axes[-1].get_position()
        bottom = (note_in + BAR_BELOW_IN - BAR_WIDTH_IN - 0.05) / height
        cax = fig.add_axes((box.x0, bottom, min(box.width, 3.0 / width), BAR_WIDTH_IN / height))
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        bar.set_label(label, fontsize=TEXT_PT)
    bar.ax.tick_params(labelsize=TEXT_PT)
    _hatch_bar(bar, image.cmap, image.norm, where == "side")


def bar_label(metric: str) -> str:
    """The colour bar's label: what its colours are, a cell's weighted F1 in the grid's reading
    (:data:`~bimotion.training.f1.READINGS`, as the title and note name it) less its chance level."""
    return f"weighted F1 {READINGS[metric]} − chance level (percentage points)"


BAR_WIDTH_IN = 0.15  # the colour bar's width
BAR_PAD_IN = 0.1  # between the rows and the colour bar


def _fit_bar_label(fig, bar, label: str) -> bool:
    """Label the colour bar within its own height: a map of a few models (``bimotion advise``'s) has a
    bar shorter than the one-line label, which then ran into the title; it is wrapped, then made
    smaller, until it fits.  True when the one-line label fits as it is."""
    renderer = fig.canvas.get_renderer()
    room = bar.ax.get_window_extent(renderer).height
    for text, size in ((label, TEXT_PT), (fill(label, 20), TEXT_PT), (fill(label, 20), SMALL_PT)):
        bar.set_label(text, fontsize=size)
        if bar.ax.yaxis.label.get_window_extent(renderer).height <= room:
            return text == label
    bar.set_label(fill(label, 12), fontsize=SMALL_PT)
    return False


def heatmap_title(data: dict, seeds: list[int]) -> str:
    """The title of what is drawn: every model on every test set, or the one model or test set by name,
    and which reading of weighted F1 (``data["metric"]``, :data:`~bimotion.training.f1.READINGS`)."""
    seeds_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"mean over seeds {list(seeds)}"
    models = data["model_names"][0] if len(data["models"]) == 1 else "every model"
    tests = data["test_names"][0] if len(data["tests"]) == 1 else "every test set"
    return f"Weighted F1 (%) {READINGS[data.get('metric', 'weighted_f1')]} of {models} on {tests} ({seeds_text})"


HATCH_ALPHA = 0.5  # a hatch's opacity: seen on its cell, printed in colour or greyscale, yet a border only


def hatch_color(background) -> tuple[float, float, float, float]:
    """The hatch of a cell at or below chance on ``background``: black on a light cell, white on a dark
    one (:func:`text_color`): black on the darkest reds was lost, in greyscale above all."""
    from matplotlib.colors import to_rgb

    return (*to_rgb(text_color(background)), HATCH_ALPHA)


def _hatch_bar(bar, cmap, norm, vertical: bool) -> None:
    """Hatch the colour bar's values at or below chance as the cells are (:func:`hatch_color`): in
    greyscale the diverging scale's two ends are one grey, and the hatch tells them apart."""
    values = np.linspace(norm.vmin, 0.0, 65)
    colors = [hatch_color(cmap(norm(v))) for v in values]
    start = 0
    for k in range(1, len(values) + 1):
        if k == len(values) or colors[k] != colors[start]:
            span = bar.ax.axhspan if vertical else bar.ax.axvspan
            end = values[min(k, len(values) - 1)]
            span(values[start], end, fill=False, hatch="///", edgecolor=colors[start], linewidth=0,
                 gid="at_or_below_chance")  # fmt: skip
            start = k


HATCH_BORDER_IN = 0.06  # width of the hatched border of a cell at or below chance (inches): clear of its numbers


def _draw_cell(
    ax,
    cell: tuple[int, int],
    value: float,
    chance: float,
    rgba,
    relation: str | None,
    text: str,
    score_pt: float = TEXT_PT,
) -> None:
    """One cell's numbers, in black or white, whichever contrasts more with the cell's colour
    (:func:`text_color`): ``text``, its score with its marks (:func:`score_text`), and its distance to
    chance; at or below chance a hatched border (the numbers stay on plain colour); an in-group box."""
    from matplotlib.patches import Rectangle

    i, j = cell
    low = at_or_below(value, chance)
    if low:
        hatch = Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor=hatch_color(rgba),
                          linewidth=0, gid="at_or_below_chance")  # fmt: skip
        ax.add_patch(hatch)  # the whole cell; _clip_hatches keeps its border
    color = text_color(rgba)
    ax.text(j, i - 0.14, text, ha="center", va="center", fontsize=score_pt, fontweight="bold", color=color)
    if np.isfinite(chance):
        ax.text(j, i + 0.17, f"{value - chance:+.1f}", ha="center", va="center", fontsize=SMALL_PT, color=color)
    if relation:
        ax.add_patch(Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False, edgecolor="black",
                               linewidth=2.2 if relation == "baseline" else 1.2,
                               linestyle="-" if relation == "baseline" else "--", gid=f"in_group_{relation}"))  # fmt: skip


def _clip_hatches(ax, rows: int, columns: int) -> None:
    """Clip each hatched cell (:func:`_draw_cell`) to its border, :data:`HATCH_BORDER_IN` wide
    whatever the cells' size (read from the laid-out axes)."""
    size = ax.get_window_extent().transformed(ax.figure.dpi_scale_trans.inverted())  # inches
    wide, high = HATCH_BORDER_IN * columns / size.width, HATCH_BORDER_IN * rows / size.height  # cell units
    for patch in ax.patches:
        if patch.get_gid() == "at_or_below_chance":
            x, y = patch.get_x() + 0.5, patch.get_y() + 0.5
            patch.set_clip_path(_border(x, y, min(wide, 0.2), min(high, 0.2)), ax.transData)


def _border(x: float, y: float, wide: float, high: float):
    """The ring of the unit cell centred on (x, y) within ``wide`` of its left and right edges and
    ``high`` of its top and bottom: the outer square, and the inner one wound the other way (a hole)."""
    from matplotlib.path import Path as MplPath

    outer = [(x - 0.5, y - 0.5), (x + 0.5, y - 0.5), (x + 0.5, y + 0.5), (x - 0.5, y + 0.5), (x - 0.5, y - 0.5)]
    dx, dy = 0.5 - wide, 0.5 - high
    inner = [(x - dx, y - dy), (x - dx, y + dy), (x + dx, y + dy), (x + dx, y - dy), (x - dx, y - dy)]
    codes = [MplPath.MOVETO, *[MplPath.LINETO] * 3, MplPath.CLOSEPOLY]
    return MplPath(outer + inner, codes + codes)


def render_heatmap(result, path_stem: Path) -> list[Path]:
    """Write the heat map of a :class:`~bimotion.grid.report.GridResult`: ``<stem>.csv`` (specs),
    ``<stem>.png`` and ``<stem>.svg``, each image described (its ``Description`` metadata) by what
    produced its numbers (:meth:`~bimotion.grid.report.GridResult.produced_by`)."""
    data = heatmap_data(result)
    out = [write_csv(data, path_stem.with_suffix(".csv"))]
    if skipped := not_drawn(f"the heat map {path_stem.with_suffix('.png')}"):  # run_grid() with the [train] extra
        note(skipped)  # its CSV written, and the tables
        return out
    fig, _ = heatmap_figure(data, result.config.seeds)
    described = {"Description": result.produced_by()}  # every model's versions, commit, threads: to cite it
    return out + save_figure(fig, path_stem, metadata=described)
