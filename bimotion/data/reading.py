"""One way to read a prepared folder: the stock ``datasets`` Parquet loader, driven by the card's
YAML ``configs:``, with the folder's own cache (:func:`bimotion.data.layout.cache_dir`), and the
fast batch decoding used for training::

    >>> import bimotion
    >>> ds = bimotion.load("bimotion", "eng_eld", split="train")   # the prepared folder

The folder also loads without this package (``datasets.load_dataset(OUT, "eng_eld")``); this adds
the private cache (a folder prepared again is never answered from a stale one, a moved folder keeps
its cache), a clear error for a config the folder lacks, and a damaged file or stored clip named
(:class:`loaders.errors.DamagedFileError`, one line with the fix) instead of a reader's traceback.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from bimotion.features import decode_audio_bytes
from bimotion.registry import benchmark_of
from loaders.errors import DamagedFileError

from . import layout

_READ: dict[Path, Path] = {}  # folder -> its datasets cache, each load() read, most recent last: a damaged clip's home


def load(
    out_dir: str | os.PathLike,
    config: str | None = None,
    split: str | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
):
    """A config of a prepared folder as a ``DatasetDict`` (or a ``Dataset`` when ``split`` is given).

    ``cache_dir`` is the cache root (default: the ``datasets`` cache); the Arrow files go under
    :func:`bimotion.data.layout.cache_dir` of the folder there.  A Parquet file of the config that does
    not read is a :class:`DamagedFileError` naming it."""
    import datasets
    import pyarrow as pa

    folder = Path(out_dir).expanduser().absolute()
    info = layout.read_info(folder)
    bench = benchmark_of(info)
    name = config or bench.default_config
    if name not in layout.config_files(info):
        missing = sorted(set(bench.config(name).corpora) - set(info["corpora"]))
        raise ValueError(f"config {name!r} was not prepared in {folder}: no source for {', '.join(missing)}")
    _READ.pop(folder, None)
    _READ[folder] = layout.cache_dir(folder, cache_dir)
    try:
        with _quiet_schema_errors():  # a file that does not read is named below, with the fix
            return _load_dataset(folder, name, split, layout.cache_dir(folder, cache_dir), info)
    except (OSError, ValueError, pa.ArrowException, datasets.exceptions.DatasetGenerationError) as err:
        if "Unknown split" in str(err):  # a split the config lacks (the callers say so), not a damaged file
            raise
        damaged = unreadable_file(folder, _flat(layout.config_files(info)[name]))
        if damaged is None:
            raise
        raise damaged from err


_BUILDERS: dict[tuple, object] = {}  # (folder, config, cache, its files' stats) -> its datasets builder
_MAX_BUILDERS = 64


def _load_dataset(folder: Path, name: str, split: str | None, cache: Path, info: dict):
    """``datasets.load_dataset(folder, name, split=split, cache_dir=cache)``, its builder made once per
    process for the folder's card and files as they are now (a grid loads each config's splits for every
    model: ``datasets`` parsed the card's YAML and hashed its data files each time, 0.4 s a load).  A card
    or data file changed since (prepared again) makes a new builder, as ``load_dataset`` would."""
    import datasets
    from datasets.utils.info_utils import is_small_dataset

    files = [layout.CARD_FILE, *_flat(layout.config_files(info)[name])]
    try:
        stats = tuple((st.st_mtime_ns, st.st_size, st.st_ino) for st in (os.stat(folder / f) for f in files))
    except OSError:  # a file gone: load_dataset says so, as before
        return datasets.load_dataset(str(folder), name, split=split, cache_dir=str(cache))
    key = (folder, name, cache, stats)
    builder = _BUILDERS.get(key) or datasets.load_dataset_builder(str(folder), name, cache_dir=str(cache))
    builder.download_and_prepare()  # as load_dataset: from the cache once it holds the config
    dataset = builder.as_dataset(split=split, in_memory=is_small_dataset(builder.info.dataset_size))
    if key not in _BUILDERS:  # only a builder that loaded
        while len(_BUILDERS) >= _MAX_BUILDERS:
            _BUILDERS.pop(next(iter(_BUILDERS)))
        _BUILDERS[key] = builder
    return dataset


@contextlib.contextmanager
def _quiet_schema_errors():
    """The ``datasets`` Parquet reader's own log line for a file it cannot read, off inside."""
    import logging

    log = logging.getLogger("datasets.packaged_modules.parquet.parquet")
    level, log.level = log.level, logging.CRITICAL
    try:
        yield
    finally:
        log.setLevel(level)


def unreadable_file(folder: Path, files: list[str]) -> DamagedFileError | None:
    """The error of the first of ``files`` (relative to ``folder``) that does not read: its footer, then
    its data; ``None`` when all read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for read in (pq.ParquetFile, pq.read_table):
        for rel in files:
            try:
                read(folder / rel)
            except (pa.ArrowException, OSError) as err:
                detail = " ".join(str(err).split())
                return DamagedFileError(f"{folder / rel}: unreadable Parquet file ({detail}): {_fix(folder)}", detail)
    return None


def _fix(folder: Path | None) -> str:
    where = folder if folder is not None else "FOLDER"
    return f"the prepared dataset is damaged; prepare it again (`bimotion check {where}` lists every damaged file)"


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
    waves = [decode_stored(item)[0] for item in audio]
    lengths = np.array([len(w) for w in waves], dtype=np.int64)
    batch = np.zeros((len(waves), int(lengths.max(initial=0))), dtype=np.float32)
    for row, wave in zip(batch, waves, strict=True):
        row[: len(wave)] = wave
    return batch, lengths


def decode_stored(item: dict) -> tuple[np.ndarray, int]:
    """:func:`~bimotion.features.decode_audio_bytes` of one stored clip (``{"bytes", "path"}``); audio
    that does not decode is a :class:`DamagedFileError` naming the clip and, in a folder :func:`load`
    read, its Parquet file and row (or the folder's ``datasets`` cache, where only the cached copy is damaged)."""
    import soundfile

    try:
        return decode_audio_bytes(item["bytes"])
    except soundfile.SoundFileError as err:
        detail = " ".join(str(err).split())
        raise DamagedFileError(_damaged_clip(item, detail), detail) from None


def _damaged_clip(item: dict, detail: str) -> str:
    """Where ``item`` lies among the folders :func:`load` read (its stored name, then its bytes) and the fix."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    cached = None  # a stored clip of that name whose bytes differ: the cache's copy is the damaged one, unless
    for folder, cache in reversed(_READ.items()) if item.get("path") else ():  # another folder holds these bytes
        stale = f"delete the cache {cache} (it is made again from the folder)"
        try:
            for rel in sorted(
                {f for splits in layout.config_files(layout.read_info(folder)).values() for f in _flat(splits)}
            ):
                names = pq.read_table(folder / rel, columns=["audio.path"]).column(0)
                rows = pc.indices_nonzero(pc.equal(names, item["path"])).to_pylist()
                table = pq.read_table(folder / rel, columns=["audio", "id"]) if rows else None
                for stored in (table.slice(row, 1).to_pylist()[0] | {"row": row} for row in rows):
                    where = f"{folder / rel} row {stored['row']} (clip {stored['id']})"
                    if stored["audio"]["bytes"] == item["bytes"]:
                        return f"{where}: stored audio does not decode ({detail}): {_fix(folder)}, then {stale}"
                    cached = (
                        cached
                        or f"{where} reads, but its copy in the datasets cache does not decode ({detail}): {stale}"
                    )
        except (OSError, ValueError, pa.ArrowException):  # a folder gone or damaged since: look further
            continue
    return cached or f"clip {item.get('path')}: stored audio does not decode ({detail}): {_fix(None)}"


def _flat(splits: dict[str, list[str]]) -> list[str]:
    return [f for files in splits.values() for f in files]


def load_source(
    source: str | os.PathLike, config: str, split: str | None = None, *, cache_dir: str | os.PathLike | None = None
):
    """:func:`load` for a local prepared folder, else ``datasets.load_dataset`` of a Hub dataset id (``cache_dir``
    then used as it is; a local folder in the Hub's layout, no Hub id (:func:`bimotion.hub.is_hub_id`), read as it is,
    the Hub not asked).  Its card, which ``datasets`` reads first, is asked for once through
    :func:`bimotion.hub.hub_file`; where the Hub did not answer, stalled or refused (or ``HF_HUB_OFFLINE``), only
    ``datasets``' cache is read, at once, instead of its retries.  A Hub dataset that could not be read so is a
    :class:`~bimotion.hub.HubUnreachableError` worded by :func:`bimotion.hub.fetch_failure`, as every Hub failure
    (naming the dataset, what the Hub did, the fix), not ``datasets``' "Couldn't reach 'ID' on the Hub"."""
    if layout.is_prepared(source):
        return load(source, config, split, cache_dir=cache_dir)
    import datasets

    from bimotion import hub
    from bimotion.hub_timeouts import bounded

    bounded()  # the Hub's listings datasets asks for set no timeout: one that never answers ends the load
    name, what = str(source), f"config {config} of the dataset {source}"
    local = not hub.is_hub_id(name)  # a local folder in the Hub's layout (not prepared): read, nothing asked of the Hub
    unreached = why = None  # why the Hub was not read (then datasets reads its cache alone), and the error's words
    if not local:
        try:
            hub.hub_file(name, layout.CARD_FILE, repo_type="dataset")
            # read from the Hub's cache alone where it did not answer: datasets then reads its own alone too
            unreached = hub.hub_unreachable()
        except hub.HubUnreachableError as err:  # the card not at hand: datasets' cache may hold the dataset still
            unreached, why = err.why, err.why
    try:
        with _cache_only(unreached is not None):
            return datasets.load_dataset(name, config, split=split, cache_dir=cache_dir and str(cache_dir))
    except Exception as err:
        if local:  # a folder's error, as load_dataset words it
            raise
        if unreached is not None and isinstance(err, ConnectionError):  # datasets' own: its cache does not hold it
            why = why or hub.fetch_failure(err, name, offline=unreached)
        elif unreached is None and hub.from_the_hub(err) and not hub.absent_on_hub(err):  # a stall, a refusal
            why = hub.fetch_failure(err, name)
        else:  # not the Hub's (a config it lacks, a damaged file), or the Hub's answer that there is no such dataset
            raise
        raise hub.HubUnreachableError(hub.could_not_read(what, why), why) from err


@contextlib.contextmanager
def _cache_only(only: bool):
    """``datasets`` reads its cache alone inside (its ``HF_HUB_OFFLINE``, as that variable sets it), where ``only``."""
    import datasets.config

    offline = datasets.config.HF_HUB_OFFLINE
    datasets.config.HF_HUB_OFFLINE = offline or only
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE = offline
