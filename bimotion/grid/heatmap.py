"""The grid's heat map: the weighted F1 of every model (rows) on every test set (columns), as a reader
of the paper reads it.

* **Names**, not specs: a mixture is named by its data (:func:`mixture_name`: ``eng_eld`` ->
  "English elderly", ``zho`` -> "Mandarin, all ages", ``yuemotion:all+eng_adu[esd]`` -> "all of
  YueMotion + ESD English adults"); the CSV beside the figure keeps the specs.
* **The paper's order** (:func:`paper_order`): the single-group models first, in the paper's column
  order (their in-group cells on the diagonal), then every other mixture as Tables 3, 4 and 5 name
  it, row by row; test sets as the tables' columns; anything else after, in the plan's order.
* **In-group cells boxed**: solid where the model trained on exactly the test set's data (the
  in-group baseline), dashed where the test set's data is part of a wider training mixture.
* **Colour = score minus the test set's chance level** (percentage points) on a diverging scale
  centred on chance, symmetric, so columns with different chance levels compare and equal
  distances look equal; each cell prints its score and its distance to chance, and a cell at or
  below chance is hatched and marked ``†``.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np

from ..mixture import parse_mixture
from ..paper import GROUPS, TABLES
from ..registry import age_group_name, find_config, group_name, language_name
from ..training.metrics import CHANCE, DAGGER

_BENCHMARK_NAMES = {"bimotion": "BiMotion", "yuemotion": "YueMotion"}


def _corpus_name(corpus: str) -> str:
    from loaders import SOURCES

    return SOURCES[corpus].title.split(":")[0]


def _config_name(name: str) -> str:
    bench, config = find_config(name)
    groups = config.groups
    if config.name in bench.groups:
        return group_name(config.name)
    if config.name in bench.corpora:
        return _corpus_name(config.name)
    if set(groups) == set(bench.groups):
        return f"all of {_BENCHMARK_NAMES.get(bench.name, bench.name)}"
    languages = {g.partition("_")[0] for g in groups}
    ages = {g.partition("_")[2] for g in groups}
    if len(languages) == 1:
        return f"{language_name(languages.pop())}, all ages"
    if len(ages) == 1:
        return f"{age_group_name(ages.pop())}, all languages"
    return ", ".join(map(group_name, groups))


def mixture_name(spec: str) -> str:
    """A reader's name of a mixture spec: its parts' names joined by `` + `` (a corpus restriction
    ``eng_adu[esd]`` reads "ESD English adults"); a spec that names no registry config (a model
    folder, say) is returned as it is."""
    try:
        parts = parse_mixture(spec).configs
        names = []
        for part in parts:
            match = re.fullmatch(r"\s*([^\[\]]+?)\s*(?:\[([^\]]*)\])?\s*", part)
            name, only = match.groups() if match else (part, None)
            corpora = [_corpus_name(c.strip()) for c in (only or "").split(",") if c.strip()]
            names.append(" ".join([" and ".join(corpora), _config_name(name)]).strip())
    except (KeyError, ValueError):
        return spec
    return " + ".join(names)


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
    ``relation`` (per cell: ``baseline``, ``included`` or None)."""
    plan_models = list(result.plan.models)
    models = [plan_models[i] for i in paper_order([list(m.specs) for m in plan_models], _paper_models())]
    tests = [result.plan.tests[i] for i in paper_order([[t] for t in result.plan.tests], _paper_tests())]
    values = np.array([[result.matrix[(m.name, t)]["mean"] for t in tests] for m in models], dtype=float)
    chance = [result.matrix[(models[0].name, t)].get("chance") for t in tests]
    chance = np.array([np.nan if c is None else c for c in chance], dtype=float)
    relation = [[_relation(m.shards, parse_mixture(t).shards) for t in tests] for m in models]
    return {"models": [m.name for m in models], "tests": tests, "values": values, "chance": chance,
            "model_names": [mixture_name(m.name) for m in models], "test_names": [mixture_name(t) for t in tests],
            "relation": relation}  # fmt: skip


def write_csv(data: dict, path: Path) -> Path:
    """The numbers (specs as names, rows and columns as drawn; a last row ``chance``)."""
    lines = ["train \\ test," + ",".join(f'"{t}"' for t in data["tests"])]
    lines += [
        f'"{m}",' + ",".join(f"{v:.4f}" for v in row) for m, row in zip(data["models"], data["values"], strict=True)
    ]
    lines.append("chance," + ",".join(f"{v:.4f}" for v in data["chance"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def heatmap_figure(data: dict, seeds: list[int]):
    """The figure and its axes of :func:`heatmap_data`'s ``data`` (returned, not saved)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    values, chance = data["values"], data["chance"]
    above = values - np.where(np.isfinite(chance), chance, 0.0)[None, :]
    limit = max(5.0, float(np.nanmax(np.abs(above))))
    norm, cmap = Normalize(-limit, limit), plt.get_cmap("RdBu")
    n_models, n_tests = values.shape
    width = 1.35 * n_tests + 0.09 * max(map(len, data["model_names"])) + 2.5
    fig, ax = plt.subplots(figsize=(width, 0.55 * n_models + 3.0))
    image = ax.imshow(above, cmap=cmap, norm=norm, aspect="auto")
    for i, j in np.ndindex(values.shape):
        low = bool(np.isfinite(chance[j]) and values[i, j] <= chance[j])
        if low:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor=(0, 0, 0, 0.3),
                                   linewidth=0, gid="at_or_below_chance"))  # fmt: skip
        red, green, blue, _ = cmap(norm(above[i, j]))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(j, i - 0.12, f"{values[i, j]:.1f}" + (DAGGER if low else ""), ha="center", va="center",
                fontsize=9, fontweight="bold", color="white" if dark else "black")  # fmt: skip
        if np.isfinite(chance[j]):
            ax.text(j, i + 0.22, f"{above[i, j]:+.1f}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "0.25")  # fmt: skip
        relation = data["relation"][i][j]
        if relation:
            ax.add_patch(Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False, edgecolor="black",
                                   linewidth=2.2 if relation == "baseline" else 1.2,
                                   linestyle="-" if relation == "baseline" else "--", gid=f"in_group_{relation}"))  # fmt: skip
    ax.set_xticks(range(n_tests), [f"{name}\n(chance {c:.1f})" for name, c in zip(data["test_names"], chance,
                  strict=True)], rotation=30, ha="right", rotation_mode="anchor", fontsize=9)  # fmt: skip
    ax.set_yticks(range(n_models), data["model_names"], fontsize=9)
    ax.set_xticks(np.arange(n_tests + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n_models + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("test set (its chance level, %)")
    ax.set_ylabel("training mixture (one model each)")
    seeds_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"mean over seeds {list(seeds)}"
    title = f"Weighted F1 (%) of every model on every test set ({seeds_text})"
    ax.set_title(textwrap.fill(title, int(width * 9)), fontsize=11)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("weighted F1 − chance level (points)")
    note = ("Cell: weighted F1 (bold) and its distance to the test set's chance level. Solid box: trained on "
            "exactly this test set's data (in-group); dashed box: this test set's data is part of the training "
            f"mixture. Hatched, {DAGGER}: at or below chance ({CHANCE}).")  # fmt: skip
    note = textwrap.fill(note, int(width * 15))
    fig.text(0.01, 0.005, note, fontsize=8, va="bottom", ha="left")
    # room for the note, in inches (8 pt lines, ~0.16 in each), not a fraction of a figure that grows with the models
    fig.tight_layout(rect=(0, (0.16 * (note.count("\n") + 1) + 0.1) / fig.get_figheight(), 1, 1))
    return fig, ax


def render_heatmap(result, path_stem: Path) -> list[Path]:
    """Write the heat map of a :class:`~bimotion.grid.report.GridResult`: ``<stem>.csv`` (specs),
    ``<stem>.png`` and ``<stem>.svg``."""
    import matplotlib.pyplot as plt

    data = heatmap_data(result)
    out = [write_csv(data, path_stem.with_suffix(".csv"))]
    fig, _ = heatmap_figure(data, result.config.seeds)
    for suffix in (".png", ".svg"):
        fig.savefig(path_stem.with_suffix(suffix), dpi=150, bbox_inches="tight")  # nothing cut at the edges
        out.append(path_stem.with_suffix(suffix))
    plt.close(fig)
    return out
