"""Features extracted once per prepared folder, shard, split and feature spec, kept on disk.

``<root>/bimotion-features/<cache_key(folder)>-<spec digest>/<group>/<corpus>.<split>.<chunk>.npz``:
the folder's key is :func:`bimotion.data.layout.cache_key` (the digest of its ``prepare.json``, as
for the ``datasets`` cache: a moved folder keeps its features, a folder prepared again gets new
ones).  Each chunk of :data:`CHUNK_CLIPS` clips is written atomically once extracted, so an
interrupted extraction resumes at the first missing chunk.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bimotion.mixture import Shard
from bimotion.signals import until_stopped
from loaders.files import save_npz

from .features import FeatureSpec

CACHE_SUBDIR = "bimotion-features"
CHUNK_CLIPS = 256


def cache_root(root: str | os.PathLike | None) -> Path:
    """``root``, else the ``datasets`` cache (where the prepared folders' Arrow caches also lie)."""
    if root is None:
        import datasets

        root = datasets.config.HF_DATASETS_CACHE
    return Path(root).expanduser() / CACHE_SUBDIR


def shard_folder(folder: str | os.PathLike, spec: FeatureSpec, root: str | os.PathLike | None) -> Path:
    from bimotion.data.layout import cache_key, is_prepared

    if not is_prepared(folder):
        raise ValueError(f"{folder}: the probe reads local prepared folders only (bimotion prepare), not Hub ids")
    return cache_root(root) / f"{cache_key(folder)}-{spec.digest}"


def _extract_chunk(dataset, rows: range, extract) -> np.ndarray:
    from bimotion.data.reading import decode_stored

    audio = dataset.select_columns(["audio"])[rows.start : rows.stop]["audio"]
    return np.stack([extract(decode_stored(item)[0]) for item in audio])


def shard_features(sources, shard: Shard, split: str, spec: FeatureSpec, *, progress: bool = True) -> dict:
    """``{"id", "corpus", "group", "speaker", "labels", "label_mask", "features"}`` of ``split`` of one shard,
    in the order :func:`bimotion.training.data.load_shards` reads it; extracted chunk by chunk,
    each chunk at most once (``sources``: :class:`bimotion.training.data.Sources`, its
    ``cache_dir`` also the features' cache root)."""
    from tqdm.auto import tqdm

    from bimotion.console import bar_disabled
    from bimotion.training.data import clip_columns, load_shards

    dataset = load_shards(sources, [shard], split)
    stem = shard_folder(sources.path(shard.benchmark), spec, sources.cache_dir) / shard.group
    chunks = [range(s, min(s + CHUNK_CLIPS, len(dataset))) for s in range(0, len(dataset), CHUNK_CLIPS)]
    paths = [stem / f"{shard.corpus}.{split}.{i:05d}.npz" for i in range(len(chunks))]
    todo = [i for i, path in enumerate(paths) if not path.is_file()]
    if todo:
        extract = spec.extractor()
        total = sum(len(chunks[i]) for i in todo)
        desc = f"{spec.name} features {shard.group}/{shard.corpus} {split}"
        with tqdm(total=total, desc=desc, unit=" clip", disable=bar_disabled(progress)) as bar:
            for i in until_stopped(todo):  # a stop a finalizer swallowed: the chunks saved are kept, no more
                save_npz(paths[i], {"features": _extract_chunk(dataset, chunks[i], extract)})
                bar.update(len(chunks[i]))
    parts = []
    for path in paths:
        with np.load(path) as data:
            parts.append(data["features"])
    return clip_columns(dataset, features=np.concatenate(parts))


def features_of(sources, shards: list[Shard], split: str, spec: FeatureSpec, *, progress: bool = True) -> dict:
    """:func:`shard_features` of several shards, concatenated in shard order (no shard twice)."""
    parts = [shard_features(sources, s, split, spec, progress=progress) for s in dict.fromkeys(shards)]
    if not parts:
        raise ValueError(f"no shards to read the {split} split of")
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
