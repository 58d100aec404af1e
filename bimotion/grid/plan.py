"""The plan of a grid: the distinct models its tables need (mixtures resolving to the same shards
are one model), the cells each model serves, and the test sets every model is scored on."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ..mixture import Shard, parse_mixture
from ..paper import TABLES, Cell, Table
from .config import MARKER, GridConfig


def shard_name(shard: Shard) -> str:
    """``benchmark.corpus.group``: a shard's file name stem (its prediction file)."""
    return ".".join(shard)


def _shards(spec: str) -> tuple[Shard, ...]:
    return parse_mixture(spec).shards


@dataclass(frozen=True)
class PlannedModel:
    name: str  # the first spec that asked for it; also its directory name (slugged)
    shards: tuple[Shard, ...]
    specs: tuple[str, ...]  # every spec that resolves to these shards

    @property
    def slug(self) -> str:
        """Its directory name (``yuemotion:all+eng_adu[esd]`` -> ``yuemotion-all+eng_adu-esd``)."""
        return parse_mixture(self.name).slug


@dataclass
class Plan:
    models: list[PlannedModel]
    cells: list[tuple[Cell, str]]  # (cell, name of the model it reads)
    tests: list[str]  # every test spec scored (table columns, then extra tests)
    tables: list[Table]

    def model(self, spec: str) -> PlannedModel:
        shards = set(_shards(spec))
        for model in self.models:
            if set(model.shards) == shards:
                return model
        raise KeyError(f"no model of this grid trains on {spec!r}; its models: {[m.name for m in self.models]}")

    @property
    def test_shards(self) -> list[Shard]:
        return list(dict.fromkeys(s for t in self.tests for s in _shards(t)))

    def to_json(self) -> dict:
        return {
            "models": [
                {"name": m.name, "specs": list(m.specs), "shards": [list(s) for s in m.shards]} for m in self.models
            ],
            "tests": {t: [list(s) for s in _shards(t)] for t in self.tests},
            "cells": [{**asdict(cell), "model": model} for cell, model in self.cells],
        }


def make_plan(config: GridConfig) -> Plan:
    """The models, cells and test sets of ``config``'s tables, ``mixtures`` and ``extra_tests``."""
    tables = [TABLES[name] for name in config.tables]
    specs = [c.train for t in tables for c in t.cells()] + list(config.mixtures)
    by_shards: dict[frozenset, PlannedModel] = {}
    for spec in specs:
        shards = _shards(spec)
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


def model_dir_in_grid(grid_dir: str | os.PathLike, spec: str, seed: int | None = None) -> Path:
    """The trained model of mixture ``spec`` in a finished grid output folder."""
    grid_dir = Path(grid_dir)
    plan = json.loads((grid_dir / "plan.json").read_text(encoding="utf-8"))
    wanted = {tuple(s) for s in parse_mixture(spec).shards}
    for model in plan["models"]:
        if {tuple(s) for s in model["shards"]} == wanted:
            seeds = sorted(
                (grid_dir / "models" / parse_mixture(model["name"]).slug).glob(
                    f"seed{'*' if seed is None else seed}/{MARKER}"
                )
            )
            if seeds:
                return grid_dir / json.loads(seeds[0].read_text())["model_dir"]
            raise FileNotFoundError(f"the grid in {grid_dir} has not finished training {model['name']} yet")
    raise KeyError(f"the grid in {grid_dir} has no model trained on {spec!r}")
