"""The paper's experiment grid: train the distinct models Tables 3-5 need, score every cell, write
the tables (with the paper's numbers beside ours), a heat map and the feature-space projections.

>>> from bimotion.grid import run_grid
>>> result = run_grid("recipes/configs/paper.yaml", {"bimotion": "bimotion", "yuemotion": "yuemotion"}, "results/paper")
>>> print(result.markdown())

Every table cell names a training mixture and a test set (:mod:`bimotion.paper`); mixtures that
resolve to the same (benchmark, corpus, group) shards are one model, so Tables 3 and 4 need 9
models and Table 5 four more.  Each model is trained once per seed and scored on the test sets of
every table column (and of ``extra_tests``) — the full cross-group inference matrix.

Layout of ``output_dir`` (everything is resumable: a finished step is never redone)::

    plan.json                         the models, the cells and which model each cell reads
    models/<model>/seed<k>/           the trained checkpoint (+ ``grid-trained.json`` once finished)
    predictions/<model>/seed<k>/<benchmark>.<corpus>.<group>.npz   per-utterance test logits
    metrics/<model>/seed<k>.json      per-model metrics on every test set (per group and corpus)
    tables/table{3,4,5}.{md,csv,tex}  ours (mean ± std over seeds, bootstrap CI) | paper | difference
    tables/heatmap.{png,svg,csv}      weighted F1, training mixture × test set
    figures/<name>.{png,svg,csv,json} feature-space projections (:mod:`bimotion.projection`)

A model counts as finished when ``grid-trained.json`` exists; a killed run therefore loses at most
the model in progress (which itself resumes from its last checkpoint when the trainer supports it).
Predictions are written atomically per test shard and reused.

A cell's value is the paper's weighted F1 in percent: every test corpus is scored on its own
(:func:`bimotion.training.metrics.score_groups`) and a test set's score is the mean over its
corpora.  With several seeds a cell shows the mean ± standard deviation over seeds, and the
confidence interval comes from a bootstrap over test utterances (resampled within each corpus, the
same resample for every seed, so the interval is that of the seed mean).
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .mixture import Shard, parse_mixture
from .paper import PAPER_ERRATA, TABLES, Cell, Table

MARKER = "grid-trained.json"


def shipped_config(name: str) -> Path:
    """``bimotion/configs/<name>.yaml``, package data of this install: ``paper`` (XLSR-53, the
    paper's hyper-parameters) or ``demo`` (tiny random model, fixture corpora, CPU)."""
    from importlib import resources

    folder = resources.files("bimotion.configs")
    path = folder / f"{name}.yaml"
    if not path.is_file():
        found = sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
        raise FileNotFoundError(f"no grid config {name!r} in {folder}; shipped configs: {found}")
    return Path(str(path))


# ------------------------------------------------------------------------------------ specs


def resolve(spec: str) -> tuple[Shard, ...]:
    """The shards of a mixture or test spec (:func:`bimotion.mixture.parse_mixture`)."""
    return parse_mixture(spec).shards


def slug(spec: str) -> str:
    """A file-name-safe form of a spec (``yuemotion:all+eng_adu[esd]`` -> ``yuemotion-all+eng_adu-esd``)."""
    return parse_mixture(spec).slug


def shard_name(shard: Shard) -> str:
    return ".".join(shard)


# ------------------------------------------------------------------------------------ config and plan


@dataclass
class GridConfig:
    """A grid, as written in ``recipes/configs/*.yaml``.

    ``training`` holds the training recipe's arguments (``recipes/train.py --help``: model, data and
    ``TrainingArguments`` fields) for every model; ``seed`` and ``output_dir`` are set per model."""

    tables: list[str] = field(default_factory=lambda: list(TABLES))
    seeds: list[int] = field(default_factory=lambda: [0])
    model_name_or_path: str = "facebook/wav2vec2-large-xlsr-53"
    training: dict = field(default_factory=dict)
    mixtures: list[str] = field(default_factory=list)  # more models, beyond the tables' (heat-map rows)
    extra_tests: list[str] = field(default_factory=list)  # more test sets (heat-map columns)
    bootstrap_samples: int = 1000
    confidence: float = 0.95
    eval_batch_size: int = 8
    projections: list[dict] = field(default_factory=list)  # see bimotion.projection.ProjectionSpec
    # A random-initialised tiny wav2vec2 with these config overrides (``{}``: the defaults of
    # :func:`bimotion.training.testing.save_tiny_model`) replaces ``model_name_or_path``: for demos
    # and tests, no download.
    tiny_model: dict | None = None
    # torch's CPU threads while the grid runs (None: torch's default).  On a small or shared CPU, 1
    # avoids thread oversubscription, which slows a tiny model's training several times over.
    num_threads: int | None = None

    def __post_init__(self):
        unknown = [t for t in self.tables if t not in TABLES]
        if unknown:
            raise ValueError(f"unknown tables {unknown}; choose from {list(TABLES)}")
        if not self.seeds:
            raise ValueError("seeds must list at least one seed")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), not {self.confidence}")


def load_config(config: str | os.PathLike | Mapping | GridConfig) -> GridConfig:
    if isinstance(config, GridConfig):
        return config
    if not isinstance(config, Mapping):
        import yaml

        config = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    known = {f.name for f in fields(GridConfig)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(f"unknown grid config keys {unknown}; known: {sorted(known)}")
    return GridConfig(**config)


@dataclass(frozen=True)
class PlannedModel:
    name: str  # the first spec that asked for it; also its directory name (slugged)
    shards: tuple[Shard, ...]
    specs: tuple[str, ...]  # every spec that resolves to these shards

    @property
    def slug(self) -> str:
        return slug(self.name)


@dataclass
class Plan:
    models: list[PlannedModel]
    cells: list[tuple[Cell, str]]  # (cell, name of the model it reads)
    tests: list[str]  # every test spec scored (table columns, then extra tests)
    tables: list[Table]

    def model(self, spec: str) -> PlannedModel:
        shards = set(resolve(spec))
        for model in self.models:
            if set(model.shards) == shards:
                return model
        raise KeyError(f"no model of this grid trains on {spec!r}; its models: {[m.name for m in self.models]}")

    @property
    def test_shards(self) -> list[Shard]:
        return list(dict.fromkeys(s for t in self.tests for s in resolve(t)))

    def to_json(self) -> dict:
        return {
            "models": [
                {"name": m.name, "specs": list(m.specs), "shards": [list(s) for s in m.shards]} for m in self.models
            ],
            "tests": {t: [list(s) for s in resolve(t)] for t in self.tests},
            "cells": [{**asdict(cell), "model": model} for cell, model in self.cells],
        }


def make_plan(config: GridConfig) -> Plan:
    tables = [TABLES[name] for name in config.tables]
    specs = [c.train for t in tables for c in t.cells()] + list(config.mixtures)
    by_shards: dict[frozenset, PlannedModel] = {}
    for spec in specs:
        shards = resolve(spec)
        key = frozenset(shards)
        if key in by_shards:
            model = by_shards[key]
            if spec not in model.specs:
                by_shards[key] = PlannedModel(model.name, model.shards, model.specs + (spec,))
        else:
            by_shards[key] = PlannedModel(spec, shards, (spec,))
    models = list(by_shards.values())
    slugs = [m.slug for m in models]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"two models would share a directory name: {slugs}")
    plan = Plan(models, [], [], tables)
    plan.cells = [(cell, plan.model(cell.train).name) for t in tables for cell in t.cells()]
    plan.tests = list(dict.fromkeys([c.test for t in tables for c in t.columns] + list(config.extra_tests)))
    return plan


# ------------------------------------------------------------------------------------ training


@dataclass(frozen=True)
class TrainJob:
    """One model to train: ``trainer(job) -> directory of the saved model`` (default :func:`train_model`)."""

    name: str
    shards: tuple[Shard, ...]
    seed: int
    output_dir: Path
    sources: Mapping[str, str]  # {"bimotion": dir, "yuemotion": dir, "cache_dir": dir}
    model_name_or_path: str
    training: Mapping  # the grid config's training arguments


Trainer = Callable[[TrainJob], Path]


def train_model(job: TrainJob) -> Path:
    """Train ``job`` in this process with :func:`bimotion.training.run.train` (what
    ``recipes/train.py`` runs): the mixture's configs are its training and validation configs."""
    from .training.run import train
    from .training.spec import TrainSpec

    configs = list(parse_mixture(job.name).configs)
    values = {
        "report_to": "none",
        **dict(job.training),
        "model_name_or_path": job.model_name_or_path,
        "seed": job.seed,
        "output_dir": str(job.output_dir),
        "bimotion": job.sources.get("bimotion"),
        "yuemotion": job.sources.get("yuemotion"),
        "dataset_cache_dir": job.sources.get("cache_dir"),
        "validation_configs": configs,
        "test_configs": configs,  # the grid scores every test set itself
    }
    train(TrainSpec.from_values(job.name, values, run_name=job.name))
    return Path(job.output_dir)


# ------------------------------------------------------------------------------------ prediction


def predict(model_dir: str | os.PathLike, dataset, *, batch_size: int = 8, features: bool = False) -> dict:
    """Logits (and with ``features`` the pooled input of the last linear layer) for every row of a
    dataset from :func:`bimotion.training.data.load_shards`, in row order; whole clips, no cropping."""
    import torch

    from .training.collator import AudioCollator
    from .training.data import column
    from .training.model import load_classifier
    from .training.sampler import longest_first

    model, feature_extractor = load_classifier(str(model_dir))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device).eval()
    collate = AudioCollator(feature_extractor)
    captured: list = []
    hook = model.classifier.register_forward_hook(lambda module, args, out: captured.append(args[0].float().cpu()))
    order = longest_first(dataset)
    logits = np.zeros((len(dataset), model.config.num_labels), dtype=np.float32)
    pooled = None
    audio = dataset.select_columns(["audio"])
    try:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = collate([{"audio": a} for a in audio[rows]["audio"]])
            inputs = {k: v.to(device) for k, v in batch.items() if k in ("input_values", "attention_mask")}
            with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
                out = model(**inputs).logits.float().cpu().numpy()
            logits[rows] = out
            if features:
                feats = captured[-1].numpy()
                if pooled is None:
                    pooled = np.zeros((len(dataset), feats.shape[1]), dtype=np.float32)
                pooled[rows] = feats
            captured.clear()
    finally:
        hook.remove()
    out = {
        "id": column(dataset, "id").astype(str),
        "corpus": column(dataset, "corpus").astype(str),
        "group": column(dataset, "group").astype(str),
        "labels": np.stack(column(dataset, "labels")).astype(np.int8),
        "label_mask": np.stack(column(dataset, "label_mask")).astype(np.int8),
        "logits": logits,
    }
    if features:
        out["features"] = pooled
    return out


def _save_npz(path: Path, arrays: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _load_npz(path: Path) -> dict:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _concat(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# ------------------------------------------------------------------------------------ scoring


def weighted_f1(
    preds: np.ndarray, labels: np.ndarray, mask: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """The paper's weighted F1 of one test corpus, for each row of ``weights`` (resample counts,
    shape ``(B, n)``; ``None``: every clip once).  Equal to
    :func:`bimotion.training.metrics.scores`'s ``weighted_f1``, vectorised for the bootstrap."""
    if weights is None:
        weights = np.ones((1, len(labels)))
    p, y, m = preds.astype(np.float64), labels.astype(np.float64), mask.astype(np.float64)
    tp = weights @ (p * y * m)
    fp = weights @ (p * (1 - y) * m)
    fn = weights @ ((1 - p) * y * m)
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    support = tp + fn
    total = support.sum(1)
    return np.divide((f1 * support).sum(1), total, out=np.zeros_like(total), where=total > 0)


@dataclass
class CellResult:
    table: str
    row: str
    column: str
    model: str
    test: str
    seeds: list[int]
    values: list[float]  # weighted F1 (%) per seed
    mean: float
    std: float
    ci_low: float
    ci_high: float
    num_test: int
    paper: float | None

    @property
    def diff(self) -> float | None:
        return None if self.paper is None else self.mean - self.paper


def _summary(values: np.ndarray, boot: np.ndarray, confidence: float) -> dict:
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [alpha, 1 - alpha]) if len(boot) else (np.nan, np.nan)
    return {
        "values": [float(v) for v in values],
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "ci_low": float(lo),
        "ci_high": float(hi),
    }


def score_test(
    predictions: list[dict], *, samples: int, confidence: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted F1 (%) of one test set for each seed's predictions, and the bootstrap distribution
    of their mean.  Each (group, corpus) is scored on its own and the test set's score is the mean
    over them; the bootstrap resamples clips within each (group, corpus)."""
    ref = predictions[0]
    for other in predictions[1:]:
        if not np.array_equal(other["id"], ref["id"]):
            raise ValueError("the seeds were scored on different test clips")
    strata = np.char.add(np.char.add(ref["group"], "/"), ref["corpus"])
    rng = np.random.default_rng(seed)
    per_seed, boot = [], []
    for key in dict.fromkeys(strata.tolist()):
        rows = np.flatnonzero(strata == key)
        counts = rng.multinomial(len(rows), np.full(len(rows), 1 / len(rows)), size=samples) if samples else None
        seed_scores, seed_boot = [], []
        for pred in predictions:
            preds = (pred["logits"][rows] > 0).astype(np.int8)  # sigmoid > 0.5
            labels, mask = pred["labels"][rows], pred["label_mask"][rows]
            seed_scores.append(weighted_f1(preds, labels, mask)[0])
            if samples:
                seed_boot.append(weighted_f1(preds, labels, mask, counts))
        per_seed.append(seed_scores)
        boot.append(np.mean(seed_boot, axis=0) if samples else np.zeros(0))
    return 100 * np.mean(per_seed, axis=0), 100 * np.mean(boot, axis=0)


# ------------------------------------------------------------------------------------ the run


@dataclass
class GridResult:
    output_dir: Path
    config: GridConfig
    plan: Plan
    cells: list[CellResult]
    averages: dict[tuple[str, str], dict]  # (table, row) -> summary of the row mean over columns
    matrix: dict[tuple[str, str], dict]  # (model, test) -> summary
    files: list[Path]
    trained: list[str]  # "<model>/seed<k>" trained by this call (the rest were reused)
    sources: dict[str, str]  # the prepared datasets (+ their private cache): ``Sources(**sources)``

    def table_cells(self, table: str) -> list[CellResult]:
        return [c for c in self.cells if c.table == table]

    def cell(self, table: str, row: str, column: str) -> CellResult:
        return next(c for c in self.cells if (c.table, c.row, c.column) == (table, row, column))

    def markdown(self) -> str:
        return "\n\n".join(render_markdown(self, t) for t in self.plan.tables)


class Grid:
    """Runs a plan step by step; every step checks what ``output_dir`` already holds."""

    def __init__(self, config, data_dirs: Mapping[str, str], output_dir, *, trainer: Trainer | None = None, log=print):
        self.config = load_config(config)
        self.plan = make_plan(self.config)
        self.out = Path(output_dir)
        self.sources = data_sources(data_dirs, self.out / "datasets-cache")
        self.trainer = trainer or train_model
        self.log = log or (lambda *a: None)
        self.trained: list[str] = []
        self._test_data = None

    @property
    def base_model(self) -> str:
        """The checkpoint every model starts from (the tiny random one is made on first use)."""
        if self.config.tiny_model is None:
            return self.config.model_name_or_path
        path = self.out / "base-model"
        if not (path / "config.json").is_file():
            from .training.testing import save_tiny_model

            save_tiny_model(path.with_name("base-model.tmp"), **self.config.tiny_model)
            os.replace(path.with_name("base-model.tmp"), path)
        return str(path)

    def model_dir(self, model: PlannedModel, seed: int) -> Path:
        return self.out / "models" / model.slug / f"seed{seed}"

    def prediction_file(self, model: PlannedModel, seed: int, shard: Shard) -> Path:
        return self.out / "predictions" / model.slug / f"seed{seed}" / f"{shard_name(shard)}.npz"

    def metrics_file(self, model: PlannedModel, seed: int) -> Path:
        return self.out / "metrics" / model.slug / f"seed{seed}.json"

    # -- steps
    def train_or_reuse(self, model: PlannedModel, seed: int) -> Path:
        """The saved model of ``model`` for ``seed``: trained now with :attr:`trainer`, unless finished before."""
        out = self.model_dir(model, seed)
        marker = out / MARKER
        if marker.is_file():
            return self.out / json.loads(marker.read_text())["model_dir"]  # relative: the folder may move
        self.log(f"[grid] training {model.name} (seed {seed}) on {len(model.shards)} shards -> {out}")
        start = time.time()
        job = TrainJob(model.name, model.shards, seed, out, self.sources, self.base_model, self.config.training)
        saved = Path(self.trainer(job))
        info = {
            "model": model.name,
            "specs": list(model.specs),
            "shards": [list(s) for s in model.shards],
            "seed": seed,
            "model_dir": os.path.relpath(saved.absolute(), self.out.absolute()),
            "train_seconds": round(time.time() - start, 1),
        }
        _atomic_write(marker, json.dumps(info, indent=2))
        self.trained.append(f"{model.name}/seed{seed}")
        return saved

    def test_data(self):
        """The test split of every shard the grid scores, loaded once, with each shard's rows."""
        if self._test_data is None:
            from .training.data import Sources, column, load_shards

            shards = self.plan.test_shards
            data = load_shards(Sources(**self.sources), shards, "test")
            keys = list(zip(column(data, "corpus").tolist(), column(data, "group").tolist(), strict=True))
            rows = {s: [i for i, key in enumerate(keys) if key == (s.corpus, s.group)] for s in shards}
            self._test_data = (data, rows)
        return self._test_data

    def predictions(self, model: PlannedModel, seed: int, shards: list[Shard], model_dir: Path | None = None) -> dict:
        """Test predictions of one model on ``shards`` (predicted once per shard, then read back)."""
        missing = [s for s in shards if not self.prediction_file(model, seed, s).is_file()]
        if missing:
            data, rows = self.test_data()
            model_dir = model_dir or self.train_or_reuse(model, seed)
            wanted = [i for s in missing for i in rows[s]]
            pred = predict(model_dir, data.select(wanted), batch_size=self.config.eval_batch_size)
            start = 0
            for shard in missing:
                n = len(rows[shard])
                _save_npz(self.prediction_file(model, seed, shard), {k: v[start : start + n] for k, v in pred.items()})
                start += n
        return _concat([_load_npz(self.prediction_file(model, seed, s)) for s in shards])

    def score_model(self, model: PlannedModel, seed: int) -> dict:
        """Train (or reuse) one model, predict every test clip once, write its metrics file:
        every metric per group and corpus over all test clips, and each test set's weighted F1."""
        from .training.metrics import score_groups

        model_dir = self.train_or_reuse(model, seed)
        pred = self.predictions(model, seed, self.plan.test_shards, model_dir)
        scores = score_groups(pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"])
        tests = {}
        for test in self.plan.tests:
            parts = {(s.group, s.corpus): scores["groups"][s.group]["corpora"][s.corpus] for s in resolve(test)}
            tests[test] = {
                "weighted_f1": float(np.mean([p["weighted_f1"] for p in parts.values()])),
                "macro_f1": float(np.mean([p["macro_f1"] for p in parts.values()])),
                "num_samples": int(sum(p["num_samples"] for p in parts.values())),
                "test_sets": [f"{group}/{corpus}" for group, corpus in parts],
            }
        metrics = {
            "model": model.name,
            "specs": list(model.specs),
            "train_shards": [list(s) for s in model.shards],
            "seed": seed,
            "model_dir": os.path.relpath(model_dir.absolute(), self.out.absolute()),
            "tests": tests,  # weighted F1 = mean over the test set's (group, corpus) parts, as in the tables
            "scores": scores,  # bimotion.training.metrics.score_groups over every test clip
        }
        _atomic_write(self.metrics_file(model, seed), json.dumps(metrics, indent=2))
        return metrics

    @property
    def settings(self) -> dict:
        """What every model of this folder must share: data, base model, training arguments (no
        paths, so a folder moved together with its data keeps its models)."""
        from .training.identity import dataset_identity

        return {
            "data": {k: dataset_identity(v) for k, v in self.sources.items() if k != "cache_dir"},  # by content
            "base_model": self.config.model_name_or_path
            if self.config.tiny_model is None
            else {"tiny": self.config.tiny_model},
            "training": dict(self.config.training),
        }

    def check_settings(self) -> None:
        """Refuse to mix models trained on other data or with other arguments into one folder."""
        path = self.out / "plan.json"
        if not path.is_file():
            return
        before = json.loads(path.read_text()).get("settings")
        now = json.loads(json.dumps(self.settings))
        if before is not None and before != now:
            changed = sorted(k for k in now if before.get(k) != now.get(k))
            diff = "; ".join(f"{k}: {before.get(k)} there, {now.get(k)} now" for k in changed)
            raise ValueError(
                f"{self.out} holds a grid run with other settings ({diff}): its finished models would be "
                "reused. Choose another output_dir, or delete that folder to start over."
            )

    def run(self) -> GridResult:
        import torch

        threads = torch.get_num_threads()
        if self.config.num_threads:
            torch.set_num_threads(self.config.num_threads)
        try:
            return self._run()
        finally:
            torch.set_num_threads(threads)

    def _run(self) -> GridResult:
        self.check_settings()
        if self.trainer is train_model:  # fail now, not after hours of training the first models
            check_inputs(self.config, self.sources)
        self.out.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.out / "plan.json", json.dumps({"settings": self.settings, **self.plan.to_json()}, indent=2))
        total = len(self.plan.models) * len(self.config.seeds)
        self.log(
            f"[grid] {len(self.plan.models)} models x {len(self.config.seeds)} seeds, {len(self.plan.tests)} test sets"
        )
        done = 0
        for model in self.plan.models:
            for seed in self.config.seeds:
                self.score_model(model, seed)
                done += 1
                self.log(f"[grid] {done}/{total} {model.name} seed {seed} scored")
        result = self.collect()
        result.files += write_reports(result)
        if self.config.projections:
            from .projection import project_from_grid

            for spec in self.config.projections:
                result.files += project_from_grid(self, spec)
        return result

    def collect(self) -> GridResult:
        """Every cell, average and heat-map entry from the saved predictions."""
        cfg = self.config
        matrix: dict[tuple[str, str], dict] = {}
        boots: dict[tuple[str, str], np.ndarray] = {}
        for model in self.plan.models:
            for test in self.plan.tests:
                preds = [self.predictions(model, seed, list(resolve(test))) for seed in cfg.seeds]
                seed = zlib.crc32(test.encode())  # the same resamples whatever else the grid holds
                values, boot = score_test(preds, samples=cfg.bootstrap_samples, confidence=cfg.confidence, seed=seed)
                matrix[(model.name, test)] = {**_summary(values, boot, cfg.confidence), "num_test": len(preds[0]["id"])}
                boots[(model.name, test)] = boot
        cells, averages = [], {}
        for table in self.plan.tables:
            for row in table.rows:
                row_values, row_boots = [], []
                for col in table.columns:
                    cell = table.cell(row.key, col.key)
                    model = self.plan.model(cell.train).name
                    m = matrix[(model, cell.test)]
                    seeds = list(cfg.seeds)
                    cells.append(
                        CellResult(table.name, row.key, col.key, model, cell.test, seeds, paper=cell.paper, **m)
                    )
                    row_values.append(m["values"])
                    row_boots.append(boots[(model, cell.test)])
                if table.paper_average is not None:
                    averages[(table.name, row.key)] = _summary(
                        np.mean(row_values, axis=0), np.mean(row_boots, axis=0), cfg.confidence
                    )
        return GridResult(self.out, cfg, self.plan, cells, averages, matrix, [], list(self.trained), dict(self.sources))


def check_inputs(config: GridConfig, data_dirs: Mapping[str, str | os.PathLike | None]) -> None:
    """What a grid needs, checked before its first model trains (raises ValueError naming the
    argument): the prepared datasets its models and test sets read, its seeds, base model, and the
    training arguments every model gets."""
    from .training.args import (
        ArgumentError,
        check_datasets,
        check_hyperparameters,
        check_model,
        check_seeds,
        one_line,
    )
    from .training.run import training_arguments
    from .training.spec import TrainSpec

    check_seeds(config.seeds, "--seeds")
    if config.bootstrap_samples < 1:
        raise ArgumentError(f"--bootstrap_samples must be > 0, not {config.bootstrap_samples}")
    if config.tiny_model is None:
        check_model(config.model_name_or_path, "--model_name_or_path")
    plan = make_plan(config)
    datasets = {name: str(data_dirs[name]) if data_dirs.get(name) else None for name in ("bimotion", "yuemotion")}
    check_datasets(datasets, required=False)
    needs = {s.benchmark: m.name for m in plan.models for s in m.shards}
    needs.update({s.benchmark: f"test set {s.group}" for s in plan.test_shards if s.benchmark not in needs})
    for bench, user in needs.items():
        if not datasets[bench]:
            raise ArgumentError(f"--{bench} is required: this grid's {user} reads the prepared {bench} dataset")
    values = {"report_to": "none", **dict(config.training), "seed": config.seeds[0], "output_dir": "unused"}
    if not plan.models:
        return
    try:
        spec = TrainSpec.from_values(plan.models[0].name, values)
        check_hyperparameters(spec.model, spec.data, spec.run, training_arguments(spec))
    except ValueError as err:
        raise ArgumentError(f"the grid config's training: {one_line(err)}") from err


def run_grid(
    config: str | os.PathLike | Mapping | GridConfig,
    data_dirs: Mapping[str, str | os.PathLike],
    output_dir: str | os.PathLike,
    *,
    trainer: Trainer | None = None,
    log=print,
) -> GridResult:
    """Train (or reuse), score and report the whole grid; ``data_dirs`` = ``{"bimotion": DIR,
    "yuemotion": DIR}`` (prepared datasets; one may be missing when no table needs it)."""
    return Grid(config, {k: str(v) for k, v in data_dirs.items() if v}, output_dir, trainer=trainer, log=log).run()


def data_sources(data_dirs: Mapping[str, str | os.PathLike | None], cache_root: str | os.PathLike) -> dict[str, str]:
    """``{"bimotion", "yuemotion", "cache_dir"}`` for :class:`bimotion.training.data.Sources`: the
    prepared datasets and the ``datasets`` cache root they share.  Each local folder's cache lies
    under it at :func:`bimotion.data.layout.cache_dir`, keyed on the folder's ``prepare.json``: two
    folders never share one, and a moved folder keeps its own."""
    return {**{k: str(v) for k, v in data_dirs.items() if v and k != "cache_dir"}, "cache_dir": str(cache_root)}


def prepare_fixtures(out_dir: str | os.PathLike, *, seed: int = 0, progress: bool = False) -> dict[str, Path]:
    """Generate the small fixture corpora (:func:`loaders.testing.make_all`) and prepare BiMotion and
    YueMotion from them into ``out_dir/{bimotion,yuemotion}`` (reused when already there); returns
    the ``data_dirs`` of :func:`run_grid`.  Synthetic audio: for demos and tests only."""
    from loaders.testing import make_all

    from .prepare import INFO_FILE, prepare

    out_dir = Path(out_dir)
    dirs = {"bimotion": out_dir / "bimotion", "yuemotion": out_dir / "yuemotion"}
    if all((d / INFO_FILE).is_file() for d in dirs.values()):
        return dirs
    import shutil

    shutil.rmtree(out_dir / "raw", ignore_errors=True)  # a generated tree left by an interrupted call
    roots = make_all(out_dir / "raw", seed=seed)
    yue = {"yuemotion": roots.pop("yuemotion")}
    for name, sources in (("bimotion", roots), ("yuemotion", yue)):
        if not (dirs[name] / INFO_FILE).is_file():
            prepare(sources, dirs[name], benchmark=name, seed=seed, progress=progress, overwrite=True)
    return dirs


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------ reports


def _fmt(summary: Mapping, seeds: int) -> str:
    text = f"{summary['mean']:.2f}"
    if seeds > 1:
        text += f" ± {summary['std']:.2f}"
    if np.isfinite(summary["ci_low"]):
        text += f" [{summary['ci_low']:.1f}, {summary['ci_high']:.1f}]"
    return text


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _rows(result: GridResult, table: Table) -> list[dict]:
    """One dict per table row: label, then per column (ours text, paper, diff)."""
    seeds = len(result.config.seeds)
    out = []
    for row in table.rows:
        cols = []
        for col in table.columns:
            c = result.cell(table.name, row.key, col.key)
            cols.append((_fmt(asdict(c), seeds), _num(c.paper), _num(c.diff, signed=True), c))
        avg = result.averages.get((table.name, row.key))
        if avg is not None:
            paper_avg = table.paper_average[row.key]
            cols.append((_fmt(avg, seeds), _num(paper_avg), _num(avg["mean"] - paper_avg, signed=True), None))
        out.append({"label": f"{row.label} {row.notation}", "key": row.key, "cols": cols})
    return out


def _headers(table: Table) -> list[str]:
    return [c.label for c in table.columns] + (["Avg."] if table.paper_average else [])


def _notes(result: GridResult, table: Table) -> list[str]:
    seeds, cfg = result.config.seeds, result.config
    ours = f"mean ± std over seeds {seeds}" if len(seeds) > 1 else f"seed {seeds[0]}"
    notes = [
        f"Weighted F1 (%). Ours: {ours}, [{100 * cfg.confidence:g}% bootstrap CI over test utterances, "
        f"{cfg.bootstrap_samples} resamples]; Δ = ours − paper; – = not in the paper.",
    ]
    for (name, row), text in PAPER_ERRATA.items():
        if name == table.name:
            notes.append(f"Paper erratum ({table.row(row).label} average): {text}.")
    models = dict.fromkeys(f"`{c.model}`" for c in result.table_cells(table.name))
    notes.append("Models: " + ", ".join(models) + ".")
    return notes


def render_markdown(result: GridResult, table: Table) -> str:
    head = ["Training data"]
    for h in _headers(table):
        head += [f"{h} (ours)", "paper", "Δ"]
    lines = [f"### {table.title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in _rows(result, table):
        cells = [row["label"]] + [x for ours, paper, diff, _ in row["cols"] for x in (ours, paper, diff)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + [f"- {n}" for n in _notes(result, table)]
    return "\n".join(lines)


CSV_COLUMNS = ("table", "row", "column", "train", "model", "test", "seeds", "values", "mean", "std", "ci_low",
               "ci_high", "num_test", "paper", "diff")  # fmt: skip


def _csv_numbers(summary: Mapping, seeds: list[int], paper: float | None) -> dict:
    diff = None if paper is None else summary["mean"] - paper
    return {
        "seeds": " ".join(map(str, seeds)),
        "values": " ".join(f"{v:.4f}" for v in summary["values"]),
        **{k: f"{summary[k]:.4f}" for k in ("mean", "std", "ci_low", "ci_high")},
        "paper": "" if paper is None else paper,
        "diff": "" if diff is None else f"{diff:.4f}",
    }


def render_csv(result: GridResult, table: Table) -> str:
    """One row per cell (which model, which test set, every seed's value) and per row average."""
    import csv
    import io

    rows = []
    for c in result.table_cells(table.name):
        train = table.cell(c.row, c.column).train
        numbers = _csv_numbers(asdict(c), c.seeds, c.paper)
        rows.append({"table": c.table, "row": c.row, "column": c.column, "train": train, "model": c.model,
                     "test": c.test, "num_test": c.num_test, **numbers})  # fmt: skip
    for (name, row), avg in result.averages.items():
        if name == table.name:
            numbers = _csv_numbers(avg, result.config.seeds, table.paper_average[row])
            rows.append({"table": name, "row": row, "column": "avg", **numbers})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _tex(text: str) -> str:
    return (
        text.replace("±", r"$\pm$")
        .replace("Δ", r"$\Delta$")
        .replace("¬", r"$\neg$")
        .replace("–", "--")
        .replace("_", r"\_")
        .replace("%", r"\%")
    )


def render_latex(result: GridResult, table: Table) -> str:
    heads = _headers(table)
    spec = "l" + "rrr" * len(heads)
    lines = [
        r"% requires \usepackage{booktabs}",
        r"\begin{table}[t]",
        r"\centering",
        r"\caption{" + _tex(table.title) + r". Ours vs.\ the paper; $\Delta$ = ours $-$ paper.}",
        r"\label{tab:" + table.name + "}",
        r"\resizebox{\linewidth}{!}{%",
        r"\begin{tabular}{" + spec + "}",
        r"\toprule",
        "Training data & " + " & ".join(r"\multicolumn{3}{c}{" + _tex(h) + "}" for h in heads) + r" \\",
        "".join(rf"\cmidrule(lr){{{2 + 3 * i}-{4 + 3 * i}}}" for i in range(len(heads))),
        " & " + " & ".join(["Ours & Paper & $\\Delta$"] * len(heads)) + r" \\",
        r"\midrule",
    ]
    for row in _rows(result, table):
        cells = [_tex(row["label"])] + [_tex(x) for ours, paper, diff, _ in row["cols"] for x in (ours, paper, diff)]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}}", r"\end{table}", ""]
    return "\n".join(lines)


def render_heatmap(result: GridResult, path_stem: Path) -> list[Path]:
    """Weighted F1 of every model (rows) on every test set (columns): PNG, SVG and CSV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [m.name for m in result.plan.models]
    tests = result.plan.tests
    values = np.array([[result.matrix[(m, t)]["mean"] for t in tests] for m in models])
    lines = ["train \\ test," + ",".join(tests)]
    lines += [f'"{m}",' + ",".join(f"{v:.4f}" for v in row) for m, row in zip(models, values, strict=True)]
    csv_path = path_stem.with_suffix(".csv")
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    fig, ax = plt.subplots(figsize=(1.2 * len(tests) + 4, 0.45 * len(models) + 2.2))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(tests)), tests, rotation=35, ha="right")
    ax.set_yticks(range(len(models)), models)
    for i, j in np.ndindex(values.shape):
        ax.text(
            j,
            i,
            f"{values[i, j]:.1f}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if values[i, j] < 60 else "black",
        )
    ax.set_xlabel("test set")
    ax.set_ylabel("training mixture (model)")
    ax.set_title(f"Cross-group weighted F1 (%), mean over seeds {result.config.seeds}")
    fig.colorbar(image, ax=ax, label="weighted F1 (%)")
    fig.tight_layout()
    out = [csv_path]
    for suffix in (".png", ".svg"):
        fig.savefig(path_stem.with_suffix(suffix), dpi=150)
        out.append(path_stem.with_suffix(suffix))
    plt.close(fig)
    return out


def write_reports(result: GridResult) -> list[Path]:
    out_dir = result.output_dir / "tables"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for table in result.plan.tables:
        for suffix, render in ((".md", render_markdown), (".csv", render_csv), (".tex", render_latex)):
            path = out_dir / f"{table.name}{suffix}"
            _atomic_write(path, render(result, table))
            files.append(path)
    files += render_heatmap(result, out_dir / "heatmap")
    return files
