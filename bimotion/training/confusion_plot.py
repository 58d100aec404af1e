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

from ..figures import SMALL_PT, TEXT_PT, TITLE_PT, pyplot, save_figure

PANEL_IN = 3.4  # inches per panel


def panels(result: dict) -> list[tuple[str, dict, int, str]]:
    """``(title, confusion, clips, score)`` of every (group, corpus) test set of ``result``
    (score_groups'): ``score`` is the number the panel's counts give beside its chance level, so the
    figure reads against its table (:func:`summary`)."""
    out = []
    for group, g in result["groups"].items():
        for corpus, c in g["corpora"].items():
            if "confusion" in c:
                out.append((f"{group} · {corpus}", c["confusion"], int(c["num_samples"]), summary(c)))
    return out


def summary(corpus: dict) -> str:
    """The score a panel's counts give, beside its chance level: a single-label corpus's UA (the
    mean of the matrix's diagonal shares, arg-max), a multi-label one's weighted F1 (sigmoid > 0.5);
    "" where the scores hold neither."""
    chance = corpus.get("chance")
    if not isinstance(chance, dict):
        return ""
    if corpus["confusion"]["kind"] == "single_label" and "unweighted_accuracy" in corpus.keys() & chance.keys():
        return f"UA {100 * corpus['unweighted_accuracy']:.1f}% (chance {100 * chance['unweighted_accuracy']:.1f}%)"
    if corpus["confusion"]["kind"] == "multi_label" and "weighted_f1" in corpus:
        return f"weighted F1 {100 * corpus['weighted_f1']:.1f}% (chance {100 * chance['chance']:.1f}%)"
    return ""


def _grid(conf: dict) -> tuple[np.ndarray, list[str], list[str]]:
    """The counts to draw and their row and column names."""
    labels = conf["labels"]
    if conf["kind"] == "single_label":
        return np.asarray(conf["matrix"], dtype=int).reshape(len(labels), len(labels)), labels, labels
    parts = ("tp", "fn", "fp", "tn")
    counts = np.array([[conf["counts"][lb][k] for k in parts] for lb in labels], dtype=int).reshape(-1, 4)
    return counts, labels, [k.upper() for k in parts]


def _draw(ax, title: str, conf: dict, clips: int, score: str) -> None:
    counts, rows, cols = _grid(conf)
    totals = counts.sum(1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    single = conf["kind"] == "single_label"
    for i, j in np.ndindex(counts.shape):
        if single and not counts[i, j]:
            continue  # blank: none (fewer texts, a sparse matrix reads at a glance)
        ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=SMALL_PT,
                color="white" if share[i, j] > 0.6 else "black")  # fmt: skip
    ax.set_xticks(
        range(len(cols)), cols, rotation=45 if single else 0, ha="right" if single else "center", fontsize=TEXT_PT
    )
    ax.set_yticks(range(len(rows)), rows, fontsize=TEXT_PT)
    if single:
        ax.set_xlabel("predicted (arg-max)", fontsize=TEXT_PT)
        ax.set_ylabel("true label", fontsize=TEXT_PT)
        missed = sum(conf.get("no_prediction", []))
        note = f"{clips} clips" + (f", {missed} without a trained label" if missed else "")
    else:
        ax.set_xlabel("per-label counts (sigmoid > 0.5)", fontsize=TEXT_PT)
        note = f"{clips} clips, multi-label"
    ax.set_title("\n".join(part for part in (title, note, score) if part), fontsize=TEXT_PT)


LEGEND = "colour: share of the row; numbers: clips (blank: none)"
MIN_WIDTH_IN = 5.2  # a one-panel figure is no narrower: its title and LEGEND fit on their lines
CHARS_PER_IN = 11  # characters of the 10 pt title per inch of figure width, with room to spare
LINE_IN = 0.18  # height of one 10 pt title line


def confusion_figure(result: dict, title: str):
    """The figure of :func:`draw_confusion` (not saved; ``None`` when ``result`` holds no confusion
    counts): at least :data:`MIN_WIDTH_IN` wide, its title and :data:`LEGEND` wrapped to its width."""
    import textwrap

    plt = pyplot()

    found = panels(result)
    if not found:
        return None
    ncols = min(3, len(found))
    nrows = math.ceil(len(found) / ncols)
    width = max(PANEL_IN * ncols, MIN_WIDTH_IN)
    lines = [part for text in (title, LEGEND) for part in textwrap.wrap(text, int(width * CHARS_PER_IN))]
    top = 0.8 + LINE_IN * len(lines)  # inches above the panels: the title's lines, then the panels' titles
    height = PANEL_IN * nrows + 0.35 + LINE_IN * len(lines)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    # fixed margins (inches), not tight_layout: a layout pass re-measures every text, doubling the cost
    fig.subplots_adjust(left=1.0 / width, right=1 - 0.07 / width, bottom=0.75 / height, top=1 - top / height,
                        wspace=0.55, hspace=0.75)  # fmt: skip
    for ax, panel in zip(axes.flat, found, strict=False):
        _draw(ax, *panel)
    for ax in axes.flat[len(found) :]:
        ax.axis("off")
    fig.suptitle("\n".join(lines), fontsize=TITLE_PT, y=1 - 0.08 / height, va="top")
    return fig


def draw_confusion(
    result: dict, path: str | Path, title: str, synthetic: Mapping = MappingProxyType({})
) -> Path | None:
    """Draw every (group, corpus) panel of ``result`` (:func:`~.metrics.score_groups`' output) to the
    PNG ``path`` and an SVG beside it (:func:`bimotion.figures.save_figure`, :func:`confusion_figure`);
    returns the PNG's path, ``None`` (nothing written) when ``result`` holds no
    confusion counts.  ``synthetic``: the generated corpora of the data, ``{benchmark: {corpus: ...}}``
    (:func:`bimotion.data.layout.synthetic_data`); when there are any, the title ends
    ``— synthetic demo data: not comparable with the paper``, as the tables' and model card's do."""
    from loaders.synthetic import marked_title

    title = marked_title(title, any(synthetic.values()))
    fig = confusion_figure(result, title)
    if fig is None:
        return None
    # the image's own title too, for indexes and tests
    return save_figure(fig, path, metadata={"Title": title})[0]
