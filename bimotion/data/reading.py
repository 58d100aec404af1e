"""One way to read a prepared folder: the stock ``datasets`` Parquet loader, driven by the card's
YAML ``configs:``, with the folder's own cache (:func:`bimotion.data.layout.cache_dir`), and the
fast batch decoding used for training::

    >>> import bimotion
    >>> ds = bimotion.load("bimotion", "eng_eld", split="train")   # the prepared folder

The folder also loads without this package (``datasets.load_dataset(OUT, "eng_eld")``); this adds
the private cache (a folder prepared again is never answered from a stale one, a moved folder keeps
its cache) and a clear error for a config the folder lacks.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bimotion.features import decode_audio_bytes
from bimotion.registry import benchmark_of

from . import layout


def load(
    out_dir: str | os.PathLike,
    config: str | None = None,
    split: str | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
):
    """A config of a prepared folder as a ``DatasetDict`` (or a ``Dataset`` when ``split`` is given).

    ``cache_dir`` is the cache root (default: the ``datasets`` cache); the Arrow files go under
    :func:`bimotion.data.layout.cache_dir` of the folder there."""
    import datasets

    folder = Path(out_dir).expanduser().absolute()
    info = layout.read_info(folder)
    bench = benchmark_of(info)
    name = config or bench.default_config
    if name not in layout.config_files(info):
        missing = sorted(set(bench.config(name).corpora) - set(info["corpora"]))
        raise ValueError(f"config {name!r} was not prepared in {folder}: no source for {', '.join(missing)}")
    return datasets.load_dataset(str(folder), name, split=split, cache_dir=str(layout.cache_dir(folder, cache_dir)))


def names_of(dataset, column: str):
    """One column of ``dataset`` as an Arrow array in row order; a ``ClassLabel`` column (or a list
    of them, ``emotions``) as its label names, nulls kept.  A column prepared before the columns
    carried names is already strings and comes back as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from bimotion.features import class_names

    values = dataset.with_format("arrow")[column].combine_chunks()
    names = class_names(dataset.features.copy()).get(column)
    if names is None:
        return values
    labels = pa.array(names, type=pa.string())
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        return type(values).from_arrays(values.offsets, pc.take(labels, values.values), mask=values.is_null())
    return pc.take(labels, values)


def with_names(dataset, columns: list[str] | None = None):
    """``dataset`` with its ``ClassLabel`` columns (or those of ``columns``) replaced by string
    columns of their names (:func:`names_of`), in place, so that datasets prepared with different
    names (BiMotion and YueMotion) concatenate and a column compares with names.  The audio is not
    copied; call it before ``filter``/``select`` (which would make ``add_column`` copy every row)."""
    import datasets

    from bimotion.features import class_names

    order = list(dataset.column_names)
    for column in class_names(dataset.features.copy()):
        if columns is not None and column not in columns:
            continue
        strings = names_of(dataset, column)
        feature = datasets.List(datasets.Value("string")) if strings.type != "string" else datasets.Value("string")
        dataset = dataset.remove_columns([column]).add_column(column, strings.to_pylist(), feature=feature)
    return dataset.select_columns(order)


def raw_audio(dataset):
    """``dataset`` with its audio left as stored bytes, for :func:`decode_batch`."""
    import datasets

    return dataset.cast_column("audio", datasets.Audio(sampling_rate=16000, decode=False))


def decode_batch(audio: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Decode stored audio (``{"bytes", "path"}`` items, as :func:`raw_audio` yields them) with
    soundfile and collate: float32 ``(batch, max_samples)`` zero-padded, and the lengths."""
    waves = [decode_audio_bytes(item["bytes"])[0] for item in audio]
    lengths = np.array([len(w) for w in waves], dtype=np.int64)
    batch = np.zeros((len(waves), int(lengths.max(initial=0))), dtype=np.float32)
    for row, wave in zip(batch, waves, strict=True):
        row[: len(wave)] = wave
    return batch, lengths


def load_source(
    source: str | os.PathLike, config: str, split: str | None = None, *, cache_dir: str | os.PathLike | None = None
):
    """:func:`load` for a local prepared folder, else ``datasets.load_dataset`` of a Hub dataset id
    (``cache_dir`` then used as it is)."""
    if layout.is_prepared(source):
        return load(source, config, split, cache_dir=cache_dir)
    import datasets

    return datasets.load_dataset(str(source), config, split=split, cache_dir=cache_dir and str(cache_dir))
