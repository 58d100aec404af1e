"""The plan of a grid: the distinct models its tables need (mixtures resolving to the same shards
are one model), the cells each model serves, and the test sets every model is scored on."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from loaders.tables import joined

from ..mistyped import did_you_mean
from ..mixture import Shard, group_spec, parse_mixture
from ..paper import TABLES, Cell, Table
from ..registry import Group
from ..training.outputs import GRID_PLAN
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


@dataclass(frozen=True)
class TargetMixture:
    """One model a ``target:`` grid trains for its target group ``l_a`` (:func:`target_mixtures`)."""

    spec: str  # the training mixture
    role: str  # ``baseline`` (in-group), ``augment`` (target + others) or ``inference`` (others only)
    notation: str  # the paper's: X(l,a), X(l,a)+g, X(l,A), X(L,a), X(L,A); X(¬l,a), X(l,¬a), X(¬l,¬a), X(L,A)∖l_a
    added: tuple[str, ...]  # the other groups in it, beside (augment) or instead of (inference) the target


@dataclass
class Plan:
    models: list[PlannedModel]
    cells: list[tuple[Cell, str]]  # (cell, name of the model it reads)
    tests: list[str]  # every test spec scored (table columns, then extra tests)
    tables: list[Table]
    target: list[TargetMixture] = field(default_factory=list)  # a ``target:`` grid's mixtures

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
        target = [{**asdict(m), "added": list(m.added), "model": self.model(m.spec).name} for m in self.target]
        return {
            "models": [
                {"name": m.name, "specs": list(m.specs), "shards": [list(s) for s in m.shards]} for m in self.models
            ],
            "tests": {t: [list(s) for s in _shards(t)] for t in self.tests},
            "cells": [{**asdict(cell), "model": model} for cell, model in self.cells],
            **({"target": target} if target else {}),
        }


def synthetic_corpora(plan: Plan, generated: Mapping[str, Mapping[str, str]], table: Table | None = None) -> list[str]:
    """The generated corpora (``generated``: the prepared folders' ``synthetic``,
    :func:`bimotion.data.layout.synthetic_data`, read once per grid by
    :attr:`bimotion.grid.runner.Grid.generated`) among the data of ``table``'s models and test
    sets, or of every model and test set of ``plan``."""
    if table is None:
        shards = [s for m in plan.models for s in m.shards] + plan.test_shards
    else:
        shards = [s for c in table.cells() for s in (*plan.model(c.train).shards, *_shards(c.test))]
    return list(dict.fromkeys(s.corpus for s in shards if s.corpus in generated.get(s.benchmark, {})))


def make_plan(config: GridConfig) -> Plan:
    """The models, cells and test sets of ``config``'s tables, ``mixtures`` and ``extra_tests``."""
    tables = [TABLES[name] for name in config.tables]
    target = target_mixtures(config.target, config.groups, config.augment_only) if config.target else []
    specs = [c.train for t in tables for c in t.cells()] + list(config.mixtures) + [m.spec for m in target]
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
    plan = Plan(models, [], [], tables, target)
    plan.cells = [(cell, plan.model(cell.train).name) for t in tables for cell in t.cells()]
    tests = [c.test for t in tables for c in t.columns] + list(config.extra_tests)
    if config.target:
        tests.append(target_test(config.target, config.groups))
    plan.tests = list(dict.fromkeys(tests))
    if models and not plan.tests:
        raise ValueError("the config trains models but scores them on nothing: list tables or extra_tests")
    return plan


def target_test(target: str, groups: list[str]) -> str:
    """The spec of ``target``'s own data among ``groups`` (``zho_eld`` or ``zho_eld[csed]``)."""
    if not groups:
        raise ValueError(
            f"target: {target} needs the groups to draw from: run it with `bimotion advise`, which reads them "
            "from the prepared datasets, or list them under groups:"
        )
    names = item_groups("groups", groups)
    found = [g for g, name in zip(groups, names, strict=True) if name == target]
    if not found:
        raise ValueError(
            f"target {target!r} is not among the groups with training data{did_you_mean(target, names)}: "
            + ", ".join(names)
        )
    return found[0]


class GroupItemError(ValueError):
    """Item ``index`` of ``key`` (``groups`` or ``augment_only``, whose items are ``specs``) that is several
    ``groups`` (:func:`item_groups`): its words name the fix, ``items``, the groups to list instead."""

    def __init__(self, key: str, specs: list[str], index: int, groups: tuple[str, ...], items: list[str]):
        from .config_items import several_groups

        super().__init__(several_groups(key, index, specs[index - 1], groups, items))
        self.key, self.specs, self.index, self.groups, self.items = key, list(specs), index, groups, items

    def __reduce__(self):  # pickled with its fields (a worker process raising it), not its message alone
        return type(self), (self.key, self.specs, self.index, self.groups, self.items), self.__dict__

    def said(self, flag: str | None, source: str) -> str:
        """Its words where a command's ``flag`` (advise's ``--groups``) gave the items, as typed; else naming the
        config they are read from, ``source``."""
        from .config_items import several_groups_given

        if flag:
            return several_groups_given(flag, self.specs, self.index, self.groups, self.items)
        return f"{source}: {self}"


def item_groups(key: str, specs: list[str]) -> list[str]:
    """The group of each item of ``key`` (``groups`` or ``augment_only``: one group an item, its name or with its
    corpora, ``eng_eld[crema_d]``).  An item of several (``eng_adu+eng_eld``, ``yuemotion:all``, ``bimotion:all``) is a
    :class:`GroupItemError` naming the key, the item, its groups and the items to list instead: it was read as its
    first group (``eng_adu+eng_eld`` trained X(l,a)+eng_adu on eng_eld too; augment_only's second group had a model)."""
    names = []
    for index, spec in enumerate(specs, 1):
        mixture = parse_mixture(spec)
        if len(mixture.groups) == 1:
            names.append(mixture.groups[0])
            continue
        of = {group: [s for s in mixture.shards if s.group == group] for group in mixture.groups}
        items = [group_spec(shards[0].benchmark, group, [s.corpus for s in shards]) for group, shards in of.items()]
        raise GroupItemError(key, specs, index, mixture.groups, items)
    return names


def target_mixtures(target: str, groups: list[str], augment_only: list[str] = ()) -> list[TargetMixture]:
    """What a ``target:`` grid trains for target ``l_a`` from ``groups`` (one spec per group): the
    in-group baseline X(l,a); the target plus each other group (X(l,a)+g), plus every group of its
    language X(l,A), of its age group X(L,a) and every group X(L,A); and, for cross-group inference,
    each other group alone (X(¬l,a), X(l,¬a) or X(¬l,¬a) by how it differs) and all of them together
    X(L,A)∖l_a.  ``augment_only`` groups (specs or names) are only added to the target's data: no
    model of one alone, nor of them alone together.  Mixtures with the same shards are listed once
    (the first)."""
    own = target_test(target, groups)
    by_group = dict(zip(item_groups("groups", groups), groups, strict=True))
    if len(by_group) != len(groups):
        raise ValueError(f"groups lists a group twice: {groups}")
    me = Group.parse(target)
    others = [g for g in by_group if g != target]
    same_language = [g for g in others if Group.parse(g).language == me.language]
    same_age = [g for g in others if Group.parse(g).age_group == me.age_group]
    spec = lambda names: "+".join(by_group[n] for n in names)  # noqa: E731
    out = [TargetMixture(own, "baseline", "X(l,a)", ())]
    out += [TargetMixture(spec([target, g]), "augment", f"X(l,a)+{g}", (g,)) for g in others]
    for notation, added in (("X(l,A)", same_language), ("X(L,a)", same_age), ("X(L,A)", others)):
        if added:
            out.append(TargetMixture(spec([target, *added]), "augment", notation, tuple(added)))
    alone = set(item_groups("augment_only", augment_only))
    if alone - set(others):
        raise ValueError(
            f"augment_only lists {', '.join(sorted(alone - set(others)))}: it may only name groups of groups:, "
            f"other than the target {target}"
        )
    out += [TargetMixture(by_group[g], "inference", _relation(me, g), (g,)) for g in others if g not in alone]
    if len(others) > 1 and set(others) - alone:
        out.append(TargetMixture(spec(others), "inference", "X(L,A)∖l_a", tuple(others)))
    seen: dict[frozenset, TargetMixture] = {}
    for mixture in out:
        key = frozenset(_shards(mixture.spec))
        first = seen.setdefault(key, mixture)
        if first is not mixture:  # the same data under two names: one model, both notations
            seen[key] = replace(first, notation=f"{first.notation} = {mixture.notation}")
    return list(seen.values())


NOTATION_WORDS = (
    "X(l,a): the paper's notation of a row's training data, by the test group's language l and age group a "
    "(¬l, ¬a: another language, another age group; L, A: every language, every age group)"
)


def _relation(target: Group, other: str) -> str:
    """The paper's notation of a single-group model scored on ``target`` (Table 3)."""
    group = Group.parse(other)
    language = "l" if group.language == target.language else "¬l"
    age = "a" if group.age_group == target.age_group else "¬a"
    return f"X({language},{age})"


def model_dir_in_grid(grid_dir: str | os.PathLike, spec: str, seed: int | None = None) -> Path:
    """The trained model of mixture ``spec`` in a grid output folder: found by the markers of its
    finished models (each names its shards), so a model stays found after a later run of the same
    folder planned fewer tables; plan.json only says whether one is planned and not finished yet."""
    from .saved import read_marker, read_plan

    grid_dir = Path(grid_dir)
    wanted = {tuple(s) for s in parse_mixture(spec).shards}
    for marker in sorted((grid_dir / "models").glob(f"*/seed{'*' if seed is None else seed}/{MARKER}")):
        # one damaged, or a folder in its place: the grid's one error naming it and the fix, not a JSONDecodeError
        stake = f"the model trained on {spec} cannot be found"
        done = read_marker(marker, stake, again="run the grid again", keys=("model_dir", "shards"))
        if {tuple(s) for s in done["shards"]} == wanted:
            return marked_model(grid_dir, done, marker)
    plan = read_plan(grid_dir / GRID_PLAN, f"the grid in {grid_dir} cannot tell whether it plans a model of {spec!r}")
    for model in plan.get("models", []):
        if {tuple(s) for s in model["shards"]} == wanted:
            raise FileNotFoundError(f"the grid in {grid_dir} has not finished training {model['name']} yet")
    raise KeyError(f"the grid in {grid_dir} has no model trained on {spec!r}")


def model_record(grid_dir: str | os.PathLike, model: str | os.PathLike) -> dict:
    """How a marker (and a metrics file) records the trained model ``model``: a Hub id as it is, with
    ``on_hub`` (a trainer of the user's own may return one), else its folder relative to ``grid_dir``
    (the folder may move).  :func:`marked_model` reads it back."""
    from ..hub import is_hub_id

    if is_hub_id(str(model)):
        return {"model_dir": str(model), "on_hub": True}
    return {"model_dir": os.path.relpath(Path(model).absolute(), Path(grid_dir).absolute())}


class StaleMarker(ValueError):
    """A finished model's marker naming a model folder that is not there (:func:`marked_model`), or that some
    processes of a launch do not see (:func:`unseen_marker`)."""


def unseen_marker(marker: Path, trained: str, blind: list[int], processes: int) -> StaleMarker:
    """The error of ``marker``, marking ``trained`` (``zho_eld seed 0``) as trained, that the processes ``blind`` of
    a launch of ``processes`` do not see: in English for one or several ("process 1, 2 ... sees" was said)."""
    who = f"process {blind[0]}" if len(blind) == 1 else f"processes {joined(blind)}"
    return StaleMarker(
        f"{marker} marks {trained} as trained, but {who} of this launch of {processes} "
        f"{'sees' if len(blind) == 1 else 'see'} no such file (its --output_dir is another folder there: on another "
        "machine, or not mounted): give every process of the launch one shared --output_dir, then run the same "
        "command again"
    )


def marked_model(grid_dir: str | os.PathLike, record: Mapping, marker: str | os.PathLike) -> Path:
    """The model the ``record`` of the marker file ``marker`` names (:func:`model_record`; an older
    marker's is a relative folder): the one reading of a marker, the runner's and :func:`model_dir_in_grid`'s.
    A folder that is not there is a :class:`StaleMarker` naming the marker and the fix (delete it, run
    the grid again), not a model scored from nothing: moved, deleted or not mounted (or put it back), or a
    Hub id that a bimotion before ``on_hub`` recorded as a folder (the directory it ran in joined to the id,
    made relative to the grid's: ``../../work/me/ser``; that directory there, no folder ``me`` in it), whose
    id it names."""
    from ..hub import is_hub_id

    if record.get("on_hub"):
        return Path(record["model_dir"])
    path = Path(grid_dir) / record["model_dir"]
    if path.exists():
        return path
    parts = Path(record["model_dir"]).parts
    hub_id = "/".join(parts[-2:])
    # OWNER/NAME joined to the directory the grid ran in, which is there, and no folder OWNER in it (a folder of
    # one's own trainer's, ../ckpts/zho_eld/seed0, that was deleted has its parent, or none of its folders)
    older = len(parts) >= 2 and parts[0] != "models" and ".." not in parts[-2:] and is_hub_id(hub_id)
    older = older and path.parent.parent.is_dir() and not path.parent.exists()
    why = (
        f"as an older bimotion recorded the Hub id {hub_id} that the trainer returned, a folder of the directory it "
        "ran in; markers now record a Hub id as one): "
        if older
        else "moved, deleted, or on a disk not mounted now): put it back there, or "
    )
    raise StaleMarker(
        f"{marker} names the model {record['model_dir']} (relative to {grid_dir}), which is not there ({why}"
        f"delete {marker} and run the grid again, which trains that model again"
    )
