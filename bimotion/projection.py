"""Feature-space projection (paper §4.3, Figures 2 and 3): where the training data of a mixture lies
in a fine-tuned model's feature space, and whether it covers a target group's test clips.

For each panel (a training mixture) the features before the last linear layer — for
``Wav2Vec2ForSequenceClassification`` the masked mean of the projector output, the input of
``classifier`` — are extracted for the panel's training clips and for the target's test clips,
projected to 2-D with UMAP, and drawn as one density (KDE contours of the highest-density regions
holding 30 %, 60 % and 90 % of the clips) per label for the training data — training clips with
none of the drawn labels (another corpus's label space) as one grey density — with the test clips
on top as points coloured by their label; :mod:`bimotion.projection_plot` draws them, in a grid of
two columns (2×2 for four panels, as the paper's figures) with a legend of only what was drawn, under them.

Panels that use the same model share one embedding (one UMAP fitted on every clip they show),
as in the paper, where one model (trained on yue+eng+zho, or on all of BiMotion) draws every
panel; a panel may name its own model, which then gets its own embedding.

Outputs, side by side: ``<name>.png``, ``<name>.svg``, ``<name>.csv`` (one row per drawn point:
panel, role, id, corpus, group, labels, x, y) and ``<name>.json`` (the spec, the models, the UMAP
settings and the same points).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np

from loaders.labels import LABELS

from .extras import not_drawn
from .mixture import parse_mixture
from .projection_plot import draw
from .projection_spec import ProjectionSpec
from .signals import until_stopped
from .training.processes import note

# ------------------------------------------------------------------------------------ data


def label_names(labels: np.ndarray, mask: np.ndarray) -> list[tuple[str, ...]]:
    """Each clip's annotated positive labels."""
    on = (labels.astype(bool)) & (mask.astype(bool))
    return [tuple(LABELS[j] for j in np.flatnonzero(row)) for row in on]


def _subset(dataset, limit: int | None, seed: int):
    if limit is None or len(dataset) <= limit:
        return dataset
    rows = np.sort(np.random.default_rng(seed).choice(len(dataset), size=limit, replace=False))
    return dataset.select(rows.tolist())


class FeatureCache:
    """Features of (model, shard, split), extracted once."""

    def __init__(self, sources: Mapping[str, str], *, batch_size: int = 8, say=None):
        """``say``: where a model's scoring note goes (:func:`~bimotion.training.inference.predict`; default stderr)."""
        self.sources = dict(sources)
        self.batch_size = batch_size
        self.say = say
        self._cache: dict[tuple, dict] = {}

    def get(self, model_dir: str, shards, split: str, limit: int | None, seed: int) -> dict:
        from .data.held import held_shards
        from .probe.run import predict_model  # a fine-tuned model or a probe (its head's hidden features)
        from .training.data import Sources, load_shards

        # a group is read from the corpora prepared of it, as the recipes read it (eng_eld of crema_d alone)
        shards = held_shards(self.sources.get, shards, split) or shards
        parts = []
        for shard in until_stopped(shards):  # a stop a finalizer swallowed: no figure (project)
            key = (str(model_dir), tuple(shard), split, limit, seed)
            if key not in self._cache:
                data = _subset(load_shards(Sources(**self.sources), [shard], split), limit, seed)
                self._cache[key] = predict_model(
                    model_dir, data, sources=self.sources, shards=[shard], split=split,
                    batch_size=self.batch_size, features=True, say=self.say,
                )  # fmt: skip
            parts.append(self._cache[key])
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def embed(features: np.ndarray, *, n_neighbors: int = 15, min_dist: float = 0.1, seed: int = 0) -> np.ndarray:
    """UMAP to 2-D: the same features and seed give the same points (features that differ in their
    last bits, e.g. computed with another thread count, can give a differently oriented layout)."""
    import warnings

    import umap

    n_neighbors = max(2, min(n_neighbors, len(features) - 1))
    reducer = umap.UMAP(n_components=2, n_neighbors=n_neighbors, min_dist=min_dist, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        warnings.filterwarnings("ignore", message=".*using precomputed metric.*|.*Graph is not fully connected.*")
        return reducer.fit_transform(np.asarray(features, dtype=np.float32)).astype(np.float64)


# ------------------------------------------------------------------------------------ the run


def project(
    spec: ProjectionSpec | Mapping,
    sources: Mapping[str, str],
    output_dir: str | os.PathLike,
    *,
    model_dir_of=None,
    log=print,
    generated: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Path]:
    """Draw one figure; ``sources``: the prepared datasets (``{"bimotion": DIR, "yuemotion": DIR}``, and
    ``"cache_dir"``, the ``datasets`` cache root: default the ``datasets`` cache, never ``output_dir``);
    ``model_dir_of`` maps the spec's model names to model directories (None: the names are model
    folders or Hub ids, checked before anything is written; :func:`project_from_grid` maps grid
    mixture specs); ``generated``: the generated corpora of ``sources``
    (:func:`bimotion.data.layout.synthetic_data`, which None reads), whose clips mark the title."""
    spec = spec if isinstance(spec, ProjectionSpec) else ProjectionSpec.from_dict(spec)
    log = log or (lambda *args: None)
    by_model = _panels_by_model(spec, check_models=model_dir_of is None)
    model_dir_of = model_dir_of or str
    out_dir = Path(output_dir)
    if _not_drawable(out_dir / spec.name):  # before any model is read (a grid's tables written all the same)
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    # the datasets cache: the sources' (a grid's own), else every recipe's default, never the output folder (the figures)
    cache = FeatureCache(sources, batch_size=spec.batch_size, say=lambda line: log(f"[project] {line}"))
    drawn: list[dict | None] = [None] * len(spec.panels)
    test_names: list[tuple[str, ...]] = []
    for model_name, panel_ids in until_stopped(by_model.items()):  # its embedding too, before the figure
        model_dir = str(model_dir_of(model_name))
        log(f"[project] {spec.name}: features of {model_name} ({model_dir})")
        test = cache.get(model_dir, parse_mixture(spec.test).shards, "test", spec.max_test, spec.seed)
        train_parts = {
            i: cache.get(
                model_dir, parse_mixture(spec.panels[i].train).shards, "train", spec.max_train_per_shard, spec.seed
            )
            for i in panel_ids
        }
        points_of = _joint_embedding(spec, [test, *train_parts.values()])
        test_names = label_names(test["labels"], test["label_mask"])
        for i, part in train_parts.items():
            drawn[i] = {
                "title": spec.panels[i].title,
                "train": spec.panels[i].train,
                "model": model_name,
                "model_dir": model_dir,
                "train_xy": points_of(part),
                "train_labels": label_names(part["labels"], part["label_mask"]),
                "train_meta": part,
                "test_xy": points_of(test),
                "test_labels": test_names,
                "test_meta": test,
            }
    labels = spec.labels or [lb for lb in LABELS if any(lb in names for names in test_names)]
    _check_drawn(spec, drawn, labels, log)
    spec = _marked(spec, sources, generated, drawn)
    stem = out_dir / spec.name
    files = draw(spec, drawn, labels, stem)
    files += _save_points(spec, drawn, labels, stem)
    log(f"[project] wrote {', '.join(str(f) for f in files)}")
    return files


def _not_drawable(stem: Path) -> bool:
    """Whether matplotlib or umap-learn is not installed (the API without the ``[plots]`` extra: ``run_grid()``, whose
    recipe checks it first, as ``recipes/project.py`` does), then :func:`~bimotion.extras.not_drawn`'s one line said
    of the figure ``<stem>.png``."""
    skipped = not_drawn(f"the projection {stem}.png", ("matplotlib", "umap"))
    if skipped:
        note(skipped)
    return skipped is not None


def _marked(spec: ProjectionSpec, sources: Mapping[str, str], generated, panels: list[dict]) -> ProjectionSpec:
    """``spec`` with its title followed by ``— synthetic demo data: not comparable with the paper`` when
    a drawn clip comes from a generated corpus (``generated``: the prepared folders' ``synthetic``;
    None: read from ``sources``), as the grid's tables and heat map say it."""
    from dataclasses import replace

    from loaders.synthetic import NOTE, marked_title

    from .data.layout import synthetic_data

    generated = synthetic_data(sources) if generated is None else generated
    corpora = {corpus for bench in generated.values() for corpus in bench}
    drawn = {str(c) for p in panels for role in ("train", "test") for c in p[f"{role}_meta"]["corpus"]}
    if not corpora & drawn or NOTE in spec.title:
        return spec
    return replace(spec, title=marked_title(spec.title, corpora & drawn))


def _joint_embedding(spec: ProjectionSpec, parts: list[dict]):
    """One UMAP of every distinct clip in ``parts`` (one model's panels share it); returns
    ``points_of(part) -> (clips, 2)``."""
    ids = list(dict.fromkeys(clip for part in parts for clip in part["id"].tolist()))
    index = {clip: k for k, clip in enumerate(ids)}
    feats = np.zeros((len(ids), parts[0]["features"].shape[1]), dtype=np.float32)
    for part in parts:
        feats[[index[c] for c in part["id"].tolist()]] = part["features"]
    xy = embed(feats, n_neighbors=spec.n_neighbors, min_dist=spec.min_dist, seed=spec.seed)
    return lambda part: xy[[index[c] for c in part["id"].tolist()]]


class NoLabelDrawn(ValueError):
    """None of the labels a projection asks for is carried by a clip it draws."""


def _check_drawn(spec: ProjectionSpec, panels, labels: list[str], log) -> None:
    """Labels asked for that no drawn clip carries: an error when none is carried (the figure would
    be all grey), else a note naming them."""
    carried = {label for p in panels for role in ("train", "test") for names in p[f"{role}_labels"] for label in names}
    absent = [label for label in labels if label not in carried]
    if not absent or not spec.labels:
        return
    found = ", ".join(label for label in LABELS if label in carried) or "none"
    if len(absent) == len(labels):
        raise NoLabelDrawn(
            f"projection {spec.name!r}: no clip of its test set or training panels carries {', '.join(absent)} "
            f"(they carry: {found}); choose labels among those"
        )
    log(f"[project] {spec.name}: no clip drawn carries {', '.join(absent)} (they carry: {found})")


def _save_points(spec: ProjectionSpec, panels: list[dict], labels: list[str], stem: Path) -> list[Path]:
    import csv

    points = []
    for p in panels:
        for role in ("train", "test"):
            meta, xy, names = p[f"{role}_meta"], p[f"{role}_xy"], p[f"{role}_labels"]
            for k in range(len(xy)):
                points.append(
                    {
                        "panel": p["title"],
                        "role": role,
                        "id": str(meta["id"][k]),
                        "corpus": str(meta["corpus"][k]),
                        "group": str(meta["group"][k]),
                        "labels": ";".join(names[k]),
                        "x": round(float(xy[k, 0]), 5),
                        "y": round(float(xy[k, 1]), 5),
                    }
                )
    csv_path = stem.with_suffix(".csv")
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(points[0]))
        writer.writeheader()
        writer.writerows(points)
    meta = {
        **{k: v for k, v in asdict(spec).items() if k != "panels"},
        "panels": [
            {
                "title": p["title"],
                "train": p["train"],
                "model": p["model"],
                "model_dir": p["model_dir"],
                "num_train": len(p["train_xy"]),
                "num_test": len(p["test_xy"]),
            }
            for p in panels
        ],
        "drawn_labels": labels,
        "features": "input of the model's last linear layer (a fine-tuned model: its pooled projector output; "
        "a probe: its head's hidden layer, or its standardised features for a linear head)",
        "projection": {"method": "umap", "n_neighbors": spec.n_neighbors, "min_dist": spec.min_dist, "seed": spec.seed},
        "points": points,
    }
    json_path = stem.with_suffix(".json")
    json_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return [csv_path, json_path]


def _panels_by_model(spec: ProjectionSpec, *, check_models: bool) -> dict[str, list[int]]:
    """``{model: its panels' indices}``, the spec's configs parsed (an unknown one: KeyError) and,
    with ``check_models``, its models found as folders or Hub ids (ValueError): before any folder
    is made or any data read."""
    from .hub import is_hub_id

    by_model: dict[str, list[int]] = {}
    for i, panel in enumerate(spec.panels):
        by_model.setdefault(panel.model or spec.model, []).append(i)
        parse_mixture(panel.train)
    parse_mixture(spec.test)
    for name in by_model if check_models else ():
        if not (Path(name).expanduser().is_dir() or is_hub_id(name)):
            raise ValueError(f"model {name!r}: no such model folder, and not a Hub id (OWNER/NAME)")
    return by_model


def project_from_grid(grid, spec: ProjectionSpec | Mapping) -> list[Path]:
    """Draw a figure whose models are mixtures of a :class:`bimotion.grid.Grid` (first seed)."""
    seed = grid.config.seeds[0]

    def model_dir_of(name: str) -> Path:
        if Path(name).is_dir():
            return Path(name)
        return grid.train_or_reuse(grid.plan.model(name), seed)

    try:
        return project(
            spec, grid.sources, grid.out / "figures", model_dir_of=model_dir_of, log=grid.log, generated=grid.generated
        )
    except NoLabelDrawn as err:  # a config's figure that this data cannot show: the tables stand
        grid.log(f"[project] skipped: {' '.join(str(err).split())}")
        return []
