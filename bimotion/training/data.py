"""Prepared BiMotion/YueMotion splits for training and scoring, without decoding any audio.

A prepared dataset is a folder (or a Hub dataset id) whose ``README.md`` declares one ``datasets``
configuration per group, union and corpus (:mod:`bimotion.registry`).  A list of configurations
resolves to shards (:func:`bimotion.training.mixtures.shards`); each shard is read once, through its
group's configuration, and the audio column keeps its stored FLAC bytes
(``Audio(decode=False)``) for the collator to decode.  Every split gets a ``row`` column so that
predictions can be matched back to their clips whatever the batch order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from bimotion.registry import BENCHMARKS

from ..mixture import Shard
from .mixtures import shards
from .processes import note as main_note

KEEP_COLUMNS = ("audio", "id", "corpus", "group", "speaker_id", "labels", "label_mask", "duration_s")


def column(dataset, name: str) -> np.ndarray:
    """One column as a numpy array in row order (one Arrow read, no per-row access); a ``ClassLabel``
    column as its label names."""
    from bimotion.data.reading import names_of

    return names_of(dataset, name).to_numpy(zero_copy_only=False)


def speakers(dataset) -> np.ndarray | None:
    """The ``speaker_id`` column as strings, ``""`` where a clip has none (CSED, ElderReact); ``None``
    for a dataset without the column (intervals then resample clips)."""
    if "speaker_id" not in dataset.column_names:
        return None
    return np.array([speaker or "" for speaker in column(dataset, "speaker_id").tolist()], dtype=str)


def clip_columns(dataset, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    """What every prediction and feature file carries of its clips, in the dataset's order: ``id``,
    ``corpus``, ``group``, ``labels`` and ``label_mask`` (int8), then ``arrays`` (a model's logits, the
    features), then ``speaker`` (:func:`speakers`: what the bootstrap resamples) where the dataset has one."""
    out = {name: column(dataset, name).astype(str) for name in ("id", "corpus", "group")}
    out.update({name: np.stack(column(dataset, name)).astype(np.int8) for name in ("labels", "label_mask")})
    out.update(arrays)
    if (speaker := speakers(dataset)) is not None:
        out["speaker"] = speaker
    return out


class DataError(ValueError):
    """The prepared data given cannot serve the run (a benchmark not given, a group without rows of the split, a
    folder that is no prepared dataset), met as it loads: the message names the data and the fix.  A user's error,
    which the recipes say in one line; not :class:`~.parsing.ArgumentError` (``parsing`` reaches this module)."""


@dataclass(frozen=True)
class Sources:
    """Where the prepared benchmarks are: local folders or Hub dataset ids."""

    bimotion: str | None = None
    yuemotion: str | None = None
    cache_dir: str | None = None  # the datasets cache root (a local folder's cache: layout.cache_dir under it)

    def path(self, benchmark: str) -> str:
        path = getattr(self, benchmark)
        if not path:
            raise DataError(
                f"these configurations need the prepared {benchmark} dataset: pass --{benchmark} DIR_OR_HUB_ID "
                f"(make it with `{'bimotion' if benchmark == 'bimotion' else 'yuemotion'} prepare`)"
            )
        return path


def sources_of(data_args) -> Sources:
    """The :class:`Sources` of a recipe's ``DataArguments``."""
    return Sources(data_args.bimotion, data_args.yuemotion, data_args.dataset_cache_dir)


def default_test_configs(sources: Sources, *, split: str = "test", log=None) -> list[str]:
    """Every group of every benchmark given that its prepared dataset has ``split`` rows of (the
    paper scores every model on every group); a group of a local folder without them (too few
    speakers) is left out, with a ``note:`` line to ``log`` (default: standard error, main process).
    The groups a dataset holds are :func:`bimotion.data.held.held_pairs`' (its prepare.json, else its
    card's configs); one with neither is a :class:`DataError` naming it, not a benchmark scored on nothing."""
    from bimotion.data.held import groups_unknown, held_pairs

    out = []
    for name, bench in BENCHMARKS.items():
        path = getattr(sources, name)
        if not path:
            continue
        # Not datasets.get_dataset_config_names, as before: it asks the Hub again (card_configs once per
        # process; offline, from the Hub's cache, where load_dataset keeps the card too), and names a
        # dataset without configs in its card "default", which is no group: its benchmark went unscored.
        instead = "name the groups to score with --test_configs"
        if why := groups_unknown(path, name, instead, named=f"--{name} {path}"):  # the recipes' checks say it first
            raise DataError(why)
        have = held_pairs(path, name)
        present = {group for group, _ in have}
        out += [g for g in bench.groups if g in present]
    kept = with_split_rows(sources, out, split)
    for group in out:
        if group not in kept:
            note = f"note: {group} is not scored: its prepared dataset has no {split} rows of it (too few speakers)"
            (log or main_note)(note)
    return kept


def with_split_rows(sources: Sources, configs: list[str], split: str) -> list[str]:
    """The ``configs`` whose every group has ``split`` rows in its prepared dataset, by its
    ``prepare.json`` (a Hub dataset's pushed with it; one without is kept whole: it is checked when it loads)."""
    from bimotion.data.held import groups_without

    lacking = set(groups_without(lambda bench: getattr(sources, bench), shards(configs), split))
    return [c for c in configs if not lacking & {s.group for s in shards([c])}]


def load_shards(sources: Sources, wanted: list[Shard], split: str):
    """The rows of ``wanted`` shards in ``split``, concatenated in shard order, with a ``row`` column;
    without ``datasets``' own bars (:func:`bimotion.console.datasets_bars`)."""
    from bimotion.console import datasets_bars

    with datasets_bars():
        return _load_shards(sources, wanted, split)


def _load_shards(sources: Sources, wanted: list[Shard], split: str):
    from datasets import concatenate_datasets

    from bimotion.data.held import no_rows
    from bimotion.data.reading import load_source, raw_audio, with_names

    parts = []
    for bench, group in dict.fromkeys((s.benchmark, s.group) for s in wanted):
        corpora = {s.corpus for s in wanted if (s.benchmark, s.group) == (bench, group)}
        try:
            ds = load_source(sources.path(bench), group, split, cache_dir=sources.cache_dir)
        except ValueError as err:
            if not any(s in str(err) for s in ("not found", "Unknown split", "was not prepared")):
                raise
            needs = ", ".join(sorted(BENCHMARKS[bench].corpora_of(group)))
            fix = f"prepare it with the corpora of {group} ({needs}), or leave {group} out"
            raise DataError(
                no_rows(sources.path(bench), bench, group, split=split, detail=str(err).rstrip("."), fix=fix)
            ) from err
        missing = [c for c in KEEP_COLUMNS if c not in ds.column_names]
        if missing:
            raise DataError(f"{sources.path(bench)} config {group} lacks columns {missing}: is it a prepared dataset?")
        ds = with_names(raw_audio(ds.select_columns(list(KEEP_COLUMNS))))  # BiMotion's and YueMotion's concatenate
        present = set(column(ds, "corpus").tolist())
        if not corpora >= present:
            ds = ds.filter(lambda c, keep=frozenset(corpora): c in keep, input_columns=["corpus"])
        if len(ds) == 0:
            raise DataError(f"{bench} {group} has no {split} rows for {sorted(corpora)}")
        parts.append(ds)
    out = parts[0] if len(parts) == 1 else concatenate_datasets(parts)
    return out.add_column("row", np.arange(len(out)))


def load_split(sources: Sources, configs: list[str], split: str):
    """``split`` of the union of ``configs`` (groups, unions, per-corpus configs; no row twice); a
    config of several groups (``zho``, ``all``) without those its local prepared folder has no rows
    of (:func:`bimotion.data.held.held_shards`; the recipes' checks name them in a ``note:``)."""
    from bimotion.data.held import held_shards

    wanted = shards(configs)
    return load_shards(sources, held_shards(lambda bench: getattr(sources, bench), wanted) or wanted, split)


def ids_hash(ids) -> str:
    """SHA-256 of the sorted clip ids: names a training set exactly, whatever its order."""
    return "sha256:" + hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def manifest_hash(dataset) -> str:
    """:func:`ids_hash` of a dataset's ``id`` column."""
    return ids_hash(column(dataset, "id").tolist())
