"""The drawing of a feature-space projection (:mod:`bimotion.projection`, the paper's Figures 2 and 3):
panels in a grid of two columns (2×2 for four panels, as the paper's) sharing their axes' limits;
per panel one density per label of the training clips (KDE contours of the highest-density regions
holding 30 %, 60 % and 90 % of the clips; a label with too few clips for a density as its points;
training clips with none of the drawn labels as one grey density) and the test clips on top as
points coloured by their label (:data:`LABEL_COLORS`: the paper's colours); under the figure's title,
that one model's features draw every panel and only the shading changes (:func:`_subtitle`); under
each panel's title the groups its training clips (its shading) come from (:func:`panel_title`); one
legend, under the panels, that names only what some panel drew.  Drawn at print size: at most a
page's text width (two panels a row), one panel a column's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .figure_fonts import with_figure_fonts
from .figures import (
    CHAR_IN,
    LINE_IN,
    PRINT_WIDTH_IN,
    SAVED_MARGIN_IN,
    TEXT_PT,
    TITLE_CHARS_PER_IN,
    TITLE_LINE_IN,
    TITLE_PT,
    fill,
    pyplot,
    save_figure,
    text_width,
)

HDR_MASSES = (0.9, 0.6, 0.3)  # highest-density regions drawn per label, outermost first


def _hdr_levels(density_at_points: np.ndarray) -> list[float]:
    """Density thresholds whose super-level sets hold HDR_MASSES of the clips."""
    return [float(np.quantile(density_at_points, 1 - mass)) for mass in HDR_MASSES]


def _kde(points: np.ndarray):
    """The Gaussian KDE of ``points`` (Scott's bandwidth), None when they are too few or degenerate."""
    from scipy.stats import gaussian_kde

    if len(points) < 3:
        return None
    try:
        return gaussian_kde(points.T)
    except (np.linalg.LinAlgError, ValueError):
        return None


def _densities(panel: dict, labels: list[str]) -> dict[str, tuple[np.ndarray, object]]:
    """``{label: (its training points, their KDE or None)}`` of a panel (:func:`_train_rows`): each
    density fitted once, for the frame (:func:`_extent`) and the contours (:func:`_draw_density`)."""
    out = {}
    for label, rows in _train_rows(panel, labels).items():
        points = panel["train_xy"][rows]
        out[label] = (points, _kde(points))
    return out


def _draw_density(ax, points: np.ndarray, kde, color, extent, linestyle="solid") -> bool:
    """KDE contours of ``points`` (``kde``: theirs, :func:`_kde`); False when they are too few or
    degenerate for a density (``kde`` None)."""
    if kde is None:
        return False
    (x0, x1), (y0, y1) = extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 120))
    zz = kde(np.vstack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    top, levels = float(zz.max()), _hdr_levels(kde(points.T))  # the density at its points, evaluated once
    for level in levels:
        if 0 < level < top:
            ax.contourf(xx, yy, zz, levels=[level, top], colors=[color], alpha=0.22)
    outer = levels[0]
    if 0 < outer < top:
        ax.contour(xx, yy, zz, levels=[outer], colors=[color], linewidths=0.9, linestyles=[linestyle])
    return True


def draw(spec, panels: list[dict], labels: list[str], path_stem: Path) -> list[Path]:
    """Plot prepared panels (``{"title", "train_xy", "train_labels", "test_xy", "test_labels", "model"}``)
    to ``<stem>.png`` and ``<stem>.svg`` (:func:`figure`, :func:`bimotion.figures.save_figure`), and
    six or more panels, taller than a page, also in page-sized parts ``<stem>-page<k>``."""
    return save_figure(figure(spec, panels, labels), path_stem, metadata={"Title": spec.title})  # its own, whole


def panel_grid(count: int) -> tuple[int, int]:
    """(rows, columns) of the panels: two columns, as the paper's Figures 2 and 3 (2×2 for 4)."""
    columns = 1 if count == 1 else 2
    return -(-count // columns), columns


PANEL_WIDTH_IN = 3.4  # a panel's column: two side by side fill a page's text width, one a column's
PANEL_HEIGHT_IN = 3.3  # a panel's row: its title's three lines, its axes, its axis label


@with_figure_fonts
def figure(spec, panels: list[dict], labels: list[str]):
    """The figure of :func:`draw` (``spec``: a :class:`bimotion.projection.ProjectionSpec`, its
    ``title`` and ``test``): panels in a grid of two columns sharing their axes' limits, one legend
    naming only what some panel drew, under the panels; drawn at the size it prints at: two columns
    :data:`~bimotion.figures.PRINT_WIDTH_IN` wide at most, one panel a column of a two-column page."""
    plt = pyplot()

    from .mixture import mixture_name

    colors = label_colors(labels)
    densities = [_densities(panel, list(colors)) for panel in panels]
    extent = _extent(panels, densities)
    rows, columns = panel_grid(len(panels))
    width = min(PRINT_WIDTH_IN - 2 * SAVED_MARGIN_IN, PANEL_WIDTH_IN * columns)
    drawn: dict[str, set] = {"density": set(), "scatter": set(), "test": set()}
    one_count = len({len(p["test_xy"]) for p in panels}) == 1  # the subtitle says it, not each panel
    subtitle = _subtitle(panels, f"{mixture_name(spec.test)} ({spec.test})", one_count)
    title = [fill(spec.title, int(width * TITLE_CHARS_PER_IN))]
    title += [fill(line, int(width / CHAR_IN)) for line in subtitle]
    top = 0.1 + TITLE_LINE_IN * (title[0].count("\n") + 1) + LINE_IN * sum(t.count("\n") + 1 for t in title[1:])
    fig, axes = plt.subplots(rows, columns, figsize=(width, top + PANEL_HEIGHT_IN * rows), squeeze=False)
    for ax, panel, density in zip(axes.flat, panels, densities, strict=False):
        for key, value in _draw_panel(ax, panel, density, colors, extent, not one_count).items():
            drawn[key] |= value
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    handles = _legend_handles(colors, **drawn)
    legend_columns = 2 if columns > 1 else 1
    bottom = 0.1 + LINE_IN * -(-len(handles) // legend_columns)  # the legend, under the panels
    height = top + PANEL_HEIGHT_IN * rows + bottom
    fig.set_size_inches(width, height)
    sup = fig.suptitle(title[0], fontsize=TITLE_PT, y=1 - 0.05 / height, va="top")
    under = 0.1 + TITLE_LINE_IN * (title[0].count("\n") + 1)
    fig.text(0.5, 1 - under / height, "\n".join(title[1:]), fontsize=TEXT_PT, ha="center", va="top", gid="subtitle")
    sup.set_in_layout(False)  # the rect leaves its room: tight_layout would leave it again
    fig.tight_layout(rect=(0, bottom / height, 1, 1 - top / height), h_pad=0.6, w_pad=0.8)
    sup.set_in_layout(True)  # and the saved copy's frame holds it
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0),
               ncol=legend_columns, fontsize=TEXT_PT, frameon=False, handletextpad=0.4, columnspacing=1.2)  # fmt: skip
    return fig


OTHERS = "other labels"  # training clips with none of the drawn labels: one grey density
UNLABELLED = "other or no label"  # test clips with none of the drawn labels: grey crosses

# One colour per label, the same in every figure whatever labels it draws or their order.  The paper's
# (Figures 2 and 3): happiness and positive blue, sadness and negative red, neutral olive
# (matplotlib's tab:blue, tab:red, tab:olive).  Every other label: a colour of Paul Tol's
# colour-blind-safe schemes (muted, vibrant, light, dark) that stays apart from those three and from
# the grey of OTHERS under normal vision and simulated deuteranopia, protanopia and tritanopia
# (tests/test_projection.py measures it).  This dict is the only place a label's colour is set.
LABEL_COLORS = {
    "happiness": "#1f77b4", "positive": "#1f77b4",  # blue
    "sadness": "#d62728", "negative": "#d62728",  # red
    "neutral": "#bcbd22",  # olive
    "anger": "#ee3377", "fear": "#332288", "disgust": "#882255", "surprise": "#33bbee",
    "excitement": "#ffaabb", "frustration": "#663333", "other": "#225555", "unknown": "#222255",
    OTHERS: "#8c8c8c", UNLABELLED: "#808080",  # grey: clips of none of the drawn labels
}  # fmt: skip


# A greyscale print turns the paper's blue and red into one grey: each label also has its own marker
# (its test clips) and line (its training density's outline), fixed as its colour is, so the labels
# stay apart without colour.  The square is the rare training clips' (too few for a density).
LABEL_MARKERS = {
    "happiness": "o", "sadness": "^", "neutral": "D", "positive": "h", "negative": "v", "anger": "P",
    "fear": "X", "disgust": "p", "surprise": "*", "excitement": "<", "frustration": ">", "other": "d", "unknown": "8",
}  # fmt: skip
LABEL_LINES = {
    "happiness": "solid", "sadness": "dashed", "neutral": "dotted", "positive": "dashdot", "negative": (0, (5, 1)),
    "anger": (0, (3, 1, 1, 1, 1, 1)), "fear": (0, (1, 3)), "disgust": (0, (8, 2, 1, 2)), "surprise": (0, (2, 2)),
    "excitement": (0, (6, 3, 1, 3, 1, 3)), "frustration": (0, (4, 1, 4, 4)), "other": (0, (1, 1, 4, 1)),
    "unknown": (0, (10, 3)), OTHERS: (0, (1, 1)),
}  # fmt: skip


def label_marker(label: str) -> str:
    """:data:`LABEL_MARKERS`' marker of ``label`` (a circle for a label outside the space)."""
    return LABEL_MARKERS.get(label, "o")


def label_line(label: str):
    """:data:`LABEL_LINES`' line style of ``label`` (solid for a label outside the space)."""
    return LABEL_LINES.get(label, "solid")


def label_color(label: str) -> str:
    """:data:`LABEL_COLORS`' colour of ``label`` (black for a label outside the space)."""
    return LABEL_COLORS.get(label, "#000000")


# positive and negative share the paper's blue and red with happiness and sadness (Figure 3 draws
# CSED alone); in a figure that draws both of a pair, the second takes its own colour (light green, Tol's light
# orange: apart from every other label's and the grey, also under simulated colour-blind vision)
SHARED_COLOUR_ALTERNATIVES = {"positive": "#98df8a", "negative": "#ee8866"}


def label_colors(labels) -> dict[str, str]:
    """``{label: colour}`` for the labels one figure draws: :func:`label_color`'s, but no two labels
    with one colour (:data:`SHARED_COLOUR_ALTERNATIVES`)."""
    out: dict[str, str] = {}
    for label in labels:
        color = label_color(label)
        out[label] = SHARED_COLOUR_ALTERNATIVES.get(label, color) if color in out.values() else color
    return out


KERNEL_REACH = 1.5  # kernel standard deviations beyond its points that a density's outer contour can reach


def _extent(panels: list[dict], densities: list[dict]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (x, y) limits shared by every panel: all points with a margin of 8 %, widened so that no
    density (``densities``: each panel's :func:`_densities`) has its outer contour cut by the frame (a label
    whose clips lie in two clusters gets one wide kernel: its contour reaches :data:`KERNEL_REACH`
    kernel widths beyond its points)."""
    every = np.vstack([np.vstack([p["train_xy"], p["test_xy"]]) for p in panels])
    pad = 0.08 * (every.max(0) - every.min(0) + 1e-9)
    low, high = every.min(0) - pad, every.max(0) + pad
    for density in densities:
        for points, kde in density.values():
            if kde is not None:
                reach = KERNEL_REACH * np.sqrt(np.diag(kde.covariance))
                low, high = np.minimum(low, points.min(0) - reach), np.maximum(high, points.max(0) + reach)
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


def _train_rows(panel: dict, labels: list[str]) -> dict[str, list[int]]:
    """The training clips of each drawn label, and of :data:`OTHERS` (none of them)."""
    train = {OTHERS: [i for i, names in enumerate(panel["train_labels"]) if not set(names) & set(labels)]}
    train.update({lb: [i for i, names in enumerate(panel["train_labels"]) if lb in names] for lb in labels})
    return train


def _draw_panel(ax, panel: dict, densities: dict, colors: dict, extent, with_test: bool = True) -> dict[str, set]:
    """One panel: training densities per label (``densities``: :func:`_densities`; grey: none of the
    drawn labels; a label too rare for a density as its points), test clips on top; returns what it
    drew: ``density`` and ``scatter`` (training labels, :data:`OTHERS`), ``test`` (labels, :data:`UNLABELLED`);
    ``with_test``: its title counts its test clips (:func:`panel_title`)."""
    labels = list(colors)
    drawn: dict[str, set] = {"density": set(), "scatter": set(), "test": set()}
    for label, (pts, kde) in densities.items():
        color = colors.get(label, label_color(label))
        if _draw_density(ax, pts, kde, color, extent, label_line(label)):
            drawn["density"].add(label)
        elif len(pts):
            ax.scatter(pts[:, 0], pts[:, 1], s=18, color=color, alpha=0.7, marker="s", linewidths=0)
            drawn["scatter"].add(label)
    shown = [next((n for n in names if n in colors), UNLABELLED) for names in panel["test_labels"]]
    for label in [*labels, UNLABELLED]:
        pts = panel["test_xy"][[i for i, first in enumerate(shown) if first == label]]
        if not len(pts):
            continue
        if label == UNLABELLED:
            ax.scatter(pts[:, 0], pts[:, 1], s=14, color=label_color(UNLABELLED), marker="x", linewidths=0.8)
        else:
            ax.scatter(pts[:, 0], pts[:, 1], s=18, color=colors[label], edgecolors="black", linewidths=0.5,
                       marker=label_marker(label))  # fmt: skip
        drawn["test"].add(label)
    ax.set_xlim(*extent[0])
    ax.set_ylim(*extent[1])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("UMAP 1", fontsize=TEXT_PT)
    ax.set_ylabel("UMAP 2", fontsize=TEXT_PT)
    ax.set_title(panel_title(panel, with_test), fontsize=TEXT_PT)
    return drawn


def _subtitle(panels: list[dict], test: str, one_count: bool) -> list[str]:
    """The lines under a figure's title: whose features every panel shows, that its test clips (the
    points, ``test``: their group) lie in the same places in every panel of one model, and that only
    the shading (each panel's training clips) changes.  Titled by their training data alone, the panels
    read as four models, while one model draws them all (the paper's Figures 2 and 3).  ``one_count``:
    every panel draws as many test clips, counted here rather than in each panel's title."""
    models = list(dict.fromkeys(_model_text(p["model"]) for p in panels))
    clips = f"the same {len(panels[0]['test_xy'])} test clips" if one_count else "the test clips"
    if len(models) == 1:
        return [f"one model's features in every panel (before its last linear layer, UMAP to 2-D): {models[0]}",
                f"points: {clips} of {test}, in the same places in every panel",
                "shading: each panel's training clips, the one thing that differs between panels"]  # fmt: skip
    return [f"features before the last linear layer (UMAP to 2-D) of {'; '.join(models)}",
            f"points: {clips} of {test}, in the same places in the panels of one model",
            "shading: each panel's training clips"]  # fmt: skip


def panel_title(panel: dict, with_test: bool = True) -> str:
    """A panel's title, then what its shading draws: the groups its training clips come from (their
    ``train_meta``'s groups, else its ``train`` spec's) and how many; ``with_test``: then how many test
    clips (the points), unless the figure's subtitle says it for every panel (:func:`_subtitle`)."""
    groups = list(panel.get("train_meta", {}).get("group", []))
    if not groups and panel.get("train"):
        from .mixture import parse_mixture

        try:
            groups = [shard.group for shard in parse_mixture(panel["train"]).shards]
        except (KeyError, ValueError):  # not a mixture of the registry: the counts only
            groups = []
    lines = [panel["title"]]
    count = f"({len(panel['train_xy'])} clips)"
    for part in groups_text(groups):  # one language per item, never split across lines
        if len(lines) > 1 and text_width(lines[-1]) + text_width(part) < TITLE_CHARS:
            lines[-1] += f", {part}"
        else:
            lines[-1] += "," if len(lines) > 1 else ""
            lines.append(("shading: " if len(lines) == 1 else "") + part)
    if len(lines) == 1:  # no group to name: the count alone
        lines.append(f"shading: {len(panel['train_xy'])} training clips")
    elif text_width(lines[-1]) + text_width(count) < TITLE_CHARS:
        lines[-1] += f" {count}"
    else:
        lines.append(count)
    if with_test:
        lines.append(f"points: {len(panel['test_xy'])} test clips")
    return "\n".join(lines)


TITLE_CHARS = 50  # characters of an 8 pt line over a panel (PANEL_WIDTH_IN)


def groups_text(groups) -> list[str]:
    """The groups of ``groups`` (names like ``yue_adu``, repeats allowed) for a reader, one item per
    language with its age groups: ``["yue_adu", "yue_eld", "zho_adu"]`` -> ["Cantonese adults +
    elderly", "Mandarin adults"]; in the order they first appear (a name that is not a group: as it is)."""
    from .group_names import age_group_name, language_name
    from .registry import Group

    ages: dict[str, list[str]] = {}
    for name in dict.fromkeys(groups):
        try:
            group = Group.parse(name)
        except ValueError:
            ages.setdefault(name, [])
            continue
        ages.setdefault(language_name(group.language), []).append(age_group_name(group.age_group))
    return [" ".join([language, " + ".join(names)]).strip() for language, names in ages.items()]


def _legend_handles(colors: dict, *, density: set, scatter: set, test: set) -> list:
    """Legend entries for what some panel drew, and nothing else: each label's training density (or
    points, when too rare for one), then its test clips."""
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def marker(symbol: str, label: str, **style) -> Line2D:
        return Line2D([], [], marker=symbol, linestyle="", label=label, **style)

    every = {**colors, OTHERS: label_color(OTHERS)}
    handles = [Patch(facecolor=(*to_rgb(c), 0.45), edgecolor=c, linestyle=label_line(lb), label=f"{lb} (train density)")
               for lb, c in every.items() if lb in density]  # fmt: skip
    handles += [marker("s", f"{lb} (train clips, too few for a density)", color=c, alpha=0.6, markeredgewidth=0)
                for lb, c in every.items() if lb in scatter]  # fmt: skip
    handles += [marker(label_marker(lb), f"{lb} (test clip)", markerfacecolor=c, markeredgecolor="black")
                for lb, c in colors.items() if lb in test]  # fmt: skip
    if UNLABELLED in test:
        handles.append(marker("x", f"test clip, {UNLABELLED}", color=label_color(UNLABELLED)))
    return handles


def _model_text(model: str) -> str:
    """A model for a title: "the model trained on <its data>" for a grid mixture spec
    (:func:`bimotion.mixture.mixture_name`), "model <parent>/<folder>" for a folder."""
    from .mixture import mixture_name

    name, path = mixture_name(model), Path(model)
    if name != model:
        return f"the model trained on {name}"
    return "model " + ("/".join(path.parts[-2:]) if len(path.parts) > 2 else model)
