"""``datasets`` builders for a prepared BiMotion/YueMotion folder, with one ``BuilderConfig`` per
registry config, and the fast batch decoding used for training.

``datasets`` 5 runs no dataset scripts, so the raw corpora are turned into a folder once by
``bimotion prepare`` (:mod:`bimotion.prepare`); these builders read that folder::

    >>> from bimotion.builder import BiMotion
    >>> builder = BiMotion(config_name="eng_eld", data_dir="bimotion")   # the prepared folder
    >>> builder.download_and_prepare()
    >>> ds = builder.as_dataset()

    >>> import bimotion
    >>> ds = bimotion.load("bimotion", "eng_eld", split="train")        # the same, in one call

The folder also loads without this package, from its card's YAML (``load_dataset(OUT, "eng_eld")``).
"""

from __future__ import annotations

import os
from pathlib import Path

import datasets
import numpy as np

from .features import decode_audio_bytes, features
from .prepare import INFO_FILE, config_files, read_info
from .registry import BIMOTION, YUEMOTION, Benchmark


class _PreparedBuilder(datasets.ArrowBasedBuilder):
    """Reads the Parquet shards that ``prepare`` wrote for the chosen config (``data_dir``)."""

    BENCHMARK: Benchmark

    def _info(self) -> datasets.DatasetInfo:
        from loaders import SOURCES

        return datasets.DatasetInfo(
            description=self.config.description,
            features=features(),
            citation=SOURCES["yuemotion"].citation,  # the paper that defines both benchmarks
        )

    def _split_generators(self, dl_manager):
        if not self.config.data_dir:
            raise ValueError(
                f"{type(self).__name__} reads a folder written by `{self.BENCHMARK.name} prepare`: "
                "pass data_dir=<that folder>"
            )
        root = Path(self.config.data_dir)
        info = read_info(root)
        if info["benchmark"] != self.BENCHMARK.name:
            raise ValueError(f"{root} holds {info['benchmark']}, not {self.BENCHMARK.name}")
        files = config_files(info).get(self.config.name)
        if files is None:
            missing = sorted({c for c in self.BENCHMARK.config(self.config.name).corpora} - set(info["corpora"]))
            raise ValueError(
                f"config {self.config.name!r} was not prepared in {root}: no source for {', '.join(missing)}"
            )
        return [
            datasets.SplitGenerator(name=split, gen_kwargs={"files": [str(root / p) for p in paths]})
            for split, paths in files.items()
        ]

    def _generate_tables(self, files):
        import pyarrow.parquet as pq

        for file_index, path in enumerate(files):
            parquet = pq.ParquetFile(path)
            for group in range(parquet.num_row_groups):
                yield datasets.builder.Key(file_index, group), parquet.read_row_group(group)


def _configs(benchmark: Benchmark) -> list[datasets.BuilderConfig]:
    return [datasets.BuilderConfig(name=c.name, description=c.description) for c in benchmark.configs.values()]


class BiMotion(_PreparedBuilder):
    """BiMotion: English/Mandarin x elderly/adults (configs: groups, unions, source corpora)."""

    BENCHMARK = BIMOTION
    BUILDER_CONFIGS = _configs(BIMOTION)
    DEFAULT_CONFIG_NAME = BIMOTION.default_config


class YueMotion(_PreparedBuilder):
    """YueMotion: Cantonese elderly/adults (configs ``yue_adu``, ``yue_eld``, ``all``)."""

    BENCHMARK = YUEMOTION
    BUILDER_CONFIGS = _configs(YUEMOTION)
    DEFAULT_CONFIG_NAME = YUEMOTION.default_config


BUILDERS: dict[str, type[_PreparedBuilder]] = {"bimotion": BiMotion, "yuemotion": YueMotion}


def load(
    out_dir: str | os.PathLike,
    config: str | None = None,
    split: str | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
):
    """A config of a prepared folder as a ``DatasetDict`` (or a ``Dataset`` when ``split`` is given).

    The Arrow cache lives under a directory keyed on the folder's path *and* its ``prepare.json``,
    so a folder prepared again with other data is never answered from a stale cache."""
    out_dir = Path(out_dir).expanduser().absolute()
    builder_class = BUILDERS[read_info(out_dir)["benchmark"]]
    builder = builder_class(
        config_name=config or builder_class.DEFAULT_CONFIG_NAME,
        data_dir=str(out_dir),
        cache_dir=str(cache_dir or cache_dir_for(out_dir)),
    )
    builder.download_and_prepare()
    return builder.as_dataset(split=split)


def cache_dir_for(out_dir: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """A ``datasets`` cache directory private to this prepared folder's path and contents."""
    import hashlib

    out_dir = Path(out_dir).expanduser().absolute()
    digest = hashlib.sha256(str(out_dir).encode() + b"\0" + (out_dir / INFO_FILE).read_bytes()).hexdigest()[:16]
    return Path(root or datasets.config.HF_DATASETS_CACHE) / "bimotion-prepared" / digest


def raw_audio(dataset):
    """``dataset`` with its audio left as stored bytes, for :func:`decode_batch`."""
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
