"""Prepare BiMotion or YueMotion once, from the raw corpora, into a self-contained folder that
``datasets.load_dataset`` reads natively and that can be pushed to the Hub as it is::

    OUT/
      README.md                                          # dataset card; its YAML `configs:` name the files
      prepare.json                                       # protocol, sources, per-shard statistics, skips
      data/<corpus>/<group>/<split>-00000-<hash>.parquet # 16 kHz mono FLAC bytes + metadata columns

``<hash>`` is the start of the file's SHA-256: the same inputs give the same names and bytes, and
data that changed gets new names, which is what makes ``datasets.load_dataset(OUT, config)`` (whose
cache is keyed on the file names the card lists) see a folder prepared again with ``--overwrite``.

Each audio file is decoded once (``loaders.audio.decode``: by content, resampled with soxr),
encoded as 16-bit FLAC and streamed into Parquet files of at most ``rows_per_file`` rows and
``bytes_per_file`` bytes of audio (:data:`~.parquet.BYTES_PER_FILE`; a longer clip has a file of its
own), written in row groups of ``ROWS_PER_ROW_GROUP`` rows and at most ``ROW_GROUP_MAX_BYTES`` of audio.  Worker processes decode a bounded window of records
ahead of the writer, so peak memory depends on the window, never on the corpus size.

The run is atomic and exclusive (:mod:`bimotion.data.publish`): a second run into the same ``OUT``
fails at once, everything is written into ``OUT.partial-tmp/new`` (Parquet files as hidden
``.*.parquet.tmp`` files, the card last) and renamed to ``OUT`` at the very end, and a failed or
killed run leaves ``OUT`` as it was.  Worker processes (:mod:`.encode`) die with the run; Parquet
files are streamed by :mod:`.parquet`; ``prepare.json`` is made by :mod:`.info`.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from loaders import READERS, SOURCES, SkipReport
from loaders.identical import identical_audio

from ..data.layout import BYTES_PER_FILE, CARD_FILE, DATA_DIR, INFO_FILE, ROWS_PER_FILE
from ..data.publish import OutputLockedError, claim_output, publishing
from ..features import categories, encode_names, features
from ..registry import BUILTIN, SPLITS, Benchmark, check_own_groups, check_own_names, extend, prepare_command
from ..signals import stop_if_lost
from ..splits import assign_splits, joined_speakers
from .clipping import format_info, label_words, shard_clipping
from .encode import encoded, note_channels, refuse_or_skip
from .info import (
    ShardKey,
    ShardStats,
    clip_levels,
    identical_summary,
    low_rate_info,
    notable_peaks,
    prepare_info,
    warn_split_apart,
)
from .parquet import ParquetFiles, check_count

__all__ = ["BYTES_PER_FILE", "INFO_FILE", "ROWS_PER_FILE", "OutputLockedError", "Prepared", "prepare", "write_dataset"]


@dataclass
class Prepared:
    """What :func:`prepare` wrote: the folder, its ``prepare.json`` (``info``: protocol, corpora,
    shards with their row counts, skips) and the report of what was skipped (``report.format()``)."""

    out_dir: Path
    info: dict
    report: SkipReport


@dataclass(frozen=True)
class _Settings:
    """How a run writes, as given to :func:`prepare` or :func:`write_dataset`."""

    protocol: str
    seed: int
    num_proc: int
    skip_bad: bool
    overwrite: bool
    rows_per_file: int
    progress: bool
    bytes_per_file: int = BYTES_PER_FILE

    def __post_init__(self):  # before any file is read: prepare and write_dataset make these first
        for name in ("num_proc", "rows_per_file", "bytes_per_file"):
            check_count(name, getattr(self, name))


def prepare(
    sources: Mapping[str, str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    benchmark: str | Benchmark = "bimotion",
    protocol: str = "paper",
    seed: int = 0,
    num_proc: int = 1,
    skip_bad: bool = False,
    overwrite: bool = False,
    rows_per_file: int = ROWS_PER_FILE,
    progress: bool = True,
    bytes_per_file: int = BYTES_PER_FILE,
    report: SkipReport | None = None,
) -> Prepared:
    """Read ``{corpus: raw root}`` and write the prepared dataset to ``out_dir`` (see the module
    docstring; ``bytes_per_file``: a file's audio bytes, at most, where one clip is not larger).  Bad input raises :class:`loaders.CorpusError`, or with ``skip_bad`` is counted in
    the returned report (``report`` where given, which keeps what was skipped and warned of also when the run
    fails after reading: ``prepare`` lists them beside its output)."""
    from bimotion.console import stage_bar_options
    from loaders.audiofolder import metadata_groups
    from loaders.manifest import check_outside_sources, scan
    from loaders.synthetic import synthetic_sources

    _check_arguments(sources, benchmark, protocol, seed)  # before any file is read, as _Settings' counts
    settings = _Settings(protocol, seed, num_proc, skip_bad, overwrite, rows_per_file, progress, bytes_per_file)
    # the built-in one: a folder loaded earlier in this process registered its own corpora under the name
    bench = BUILTIN[benchmark] if isinstance(benchmark, str) else benchmark
    own = [name for name in sources if name not in READERS]  # users' corpora: they extend the benchmark
    foreign = sorted(set(sources) - set(bench.corpora) - set(own))
    if foreign:
        raise ValueError(
            f"{', '.join(foreign)} is not part of {bench.name} (its corpora: {', '.join(bench.corpora)})"
            + _prepared_elsewhere(bench, foreign, sources, out_dir, protocol=protocol, seed=seed, skip_bad=skip_bad)
        )
    if not sources:
        raise ValueError("no corpus given: sources is empty (--source NAME=DIR on the command line)")
    check_own_names(bench, dict.fromkeys(own, ()))  # `yue` in YueMotion: before anything is read or written
    check_outside_sources(out_dir, dict(sources))  # before the lock file beside it is made
    # a user corpus's groups that belong in the other benchmark, as its metadata gives them: before any clip is read
    early = {name: metadata_groups(sources[name]) for name in own}
    check_own_names(bench, early)  # and the unions its groups would make (`ind` of ind_eld and ind_adu)
    check_own_groups(bench, sources, groups=early, out_dir=out_dir, protocol=protocol, seed=seed, skip_bad=skip_bad)
    with claim_output(out_dir, overwrite) as out_dir:
        records, report = scan(
            dict(sources), skip_bad=skip_bad, progress=progress, bar=stage_bar_options(), report=report
        )
        if shutil.which("ffmpeg") is None:  # before any decoding, not at the first MP4 minutes in
            records = _without_ffmpeg(records, skip_bad, report)
        bench = extend(bench, [SOURCES[name] for name in own])  # groups from the data the readers registered
        # a user's yue_eld belongs in YueMotion: one name, one group (where its metadata could not say so at once)
        check_own_groups(bench, sources, out_dir=out_dir, protocol=protocol, seed=seed, skip_bad=skip_bad)
        synthetic = synthetic_sources(dict(sources), records)  # generated trees' markers, read only
        return _write(records, out_dir, bench, list(sources), report, settings, synthetic=synthetic)


def _without_ffmpeg(records: list, skip_bad: bool, report: SkipReport) -> list:
    """``records`` when none needs FFmpeg (which is not installed); else a
    :class:`~loaders.errors.MissingToolError` naming those that do and how to install it, or with
    ``skip_bad`` each of them a counted skip (``needs_ffmpeg``) and the others, unless that leaves a
    corpus nothing (an error, as a scan that finds no usable file is)."""
    from loaders.audio import why_ffmpeg
    from loaders.errors import MissingToolError
    from loaders.ffmpeg import missing_ffmpeg, needs_ffmpeg_skip

    why = {r.id: reason for r in records if (reason := why_ffmpeg(r.path))}
    if not why:
        return records
    needing = [r for r in records if r.id in why]
    if not skip_bad:
        raise missing_ffmpeg([r.path for r in needing])
    left = [r for r in records if r.id not in why]
    for corpus in sorted({r.corpus for r in needing} - {r.corpus for r in left}):
        every = [r.path for r in needing if r.corpus == corpus]
        raise MissingToolError(
            f"{corpus}: every clip needs FFmpeg, so skipping them would leave nothing of it; "
            + str(missing_ffmpeg(every, skip_bad=True))
        )
    for r in needing:
        report.skip_read(r.corpus, needs_ffmpeg_skip(r.path, why[r.id]))
    return left


def _prepared_elsewhere(bench: Benchmark, foreign: list[str], sources: Mapping, out_dir, **options) -> str:
    """``; prepare it with `yuemotion prepare --source yuemotion=DIR --output OUT`` for the ``foreign``
    corpora (given to ``bench``'s prepare), one command per benchmark they are part of, ready to paste
    (:func:`~bimotion.registry.prepare_command`: their folders as given, ``out_dir`` (where other corpora stay
    here, a folder beside it named after that benchmark) and the options that change what is written)."""
    said = ""
    for other in (b for b in BUILTIN.values() if b.name != bench.name):
        moved = [name for name in foreign if name in other.corpora]
        if not moved:
            continue
        alone = len(moved) == len(sources)
        command = prepare_command(other.name, moved, sources, out_dir, alone=alone, **options)
        said += f"; prepare {'it' if len(moved) == 1 else 'them'} with `{command}`"
        said += "" if alone else f", and the others here without {'it' if len(moved) == 1 else 'them'}"
    return said


def _check_arguments(sources, benchmark, protocol: str, seed: int) -> None:
    """prepare's arguments, checked before minutes of scanning: a TypeError or ValueError naming one."""
    from ..splits import PROTOCOLS

    if not isinstance(sources, Mapping):
        raise TypeError(f"sources must map corpus names to folders, e.g. {{'csed': '~/data/CSED'}}, not {sources!r}")
    if isinstance(benchmark, str) and benchmark not in BUILTIN:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose one of: {', '.join(BUILTIN)}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown split protocol {protocol!r}; choose one of: {', '.join(PROTOCOLS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, not {seed!r}")


def write_dataset(
    records: list,
    out_dir: str | os.PathLike,
    *,
    benchmark: Benchmark,
    corpora: Iterable[str],
    protocol: str = "paper",
    seed: int = 0,
    num_proc: int = 1,
    skip_bad: bool = False,
    report: SkipReport | None = None,
    overwrite: bool = False,
    rows_per_file: int = ROWS_PER_FILE,
    progress: bool = True,
    split_of: Mapping[str, str] | None = None,
    synthetic: Mapping[str, str] | None = None,
    bytes_per_file: int = BYTES_PER_FILE,
) -> Prepared:
    """Write already-scanned ``records`` of ``corpora`` as a prepared dataset (atomically).

    ``split_of`` (``{record id: split}``) gives every record's split instead of drawing them under
    ``protocol`` (which is still recorded): for fixtures that need exact split sizes.  ``synthetic``:
    ``{corpus: generator}`` of the corpora whose audio is generated, recorded in ``prepare.json``
    (:func:`loaders.synthetic.synthetic_sources`)."""
    settings = _Settings(protocol, seed, num_proc, skip_bad, overwrite, rows_per_file, progress, bytes_per_file)
    with claim_output(out_dir, overwrite) as out_dir:
        return _write(
            records,
            out_dir,
            benchmark,
            list(corpora),
            report if report is not None else SkipReport(),
            settings,
            split_of,
            synthetic,
        )


def _write(
    records: list,
    out_dir: Path,
    benchmark: Benchmark,
    corpora: list[str],
    report: SkipReport,
    settings: _Settings,
    split_of: Mapping[str, str] | None = None,
    synthetic: Mapping[str, str] | None = None,
) -> Prepared:
    """The body of ``write_dataset``, run holding :func:`~bimotion.data.publish.claim_output`."""
    from .. import dataset_card
    from ..console import stage_bar_options

    # report: the skip of a file no row lists that holds a listed clip's audio names that clip
    identical = identical_audio(records, progress=settings.progress, bar=stage_bar_options(), report=report)
    split_of = split_of or assign_splits(records, settings.protocol, seed=settings.seed, identical=identical)
    jobs = [(shard, record) for shard, rows in _plan(records, split_of, benchmark) for record in rows]
    labels = categories([benchmark], records)  # ClassLabel names: every built-in benchmark's, this one's, the data's
    with publishing(out_dir, settings.overwrite) as stage:
        stats, names = _write_rows(jobs, stage, split_of, report, settings, features(labels))
        _check_rows_left(records, stats, report)
        own_split = {r.corpus for r in records if r.corpus in benchmark.user_corpora and r.official_split}
        stored = set().union(*(shard.ids for shard in stats.values()))
        drawn = [r for r in records if r.corpus in benchmark.user_corpora and r.corpus not in own_split]  # by speaker
        info = prepare_info(
            benchmark, corpora, settings.protocol, settings.seed, stats, report, names, labels, own_split,
            identical=identical_summary(records, identical, split_of, stored=stored), synthetic=synthetic,
            joined=joined_speakers(drawn, identical),
            clip_notes={
                "low_rate": low_rate_info(records, stored),
                **clip_levels(notable_peaks(stats)),
                "clipped": shard_clipping(stats, label_words(r for r in records if r.id in stored)),
                "formats": format_info([r for r in records if r.id in stored]),
            },
        )  # fmt: skip
        warn_split_apart(info["identical_audio"], split_of)
        (stage / INFO_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (stage / CARD_FILE).write_text(dataset_card.render(info), encoding="utf-8")
    return Prepared(out_dir, info, report)


def _check_rows_left(records: list, stats: Mapping[ShardKey, ShardStats], report: SkipReport) -> None:
    """A corpus whose every clip was skipped when decoded is a LayoutError, as a scan that reads none
    is: with --skip-bad a corpus of damaged files (a download cut short: truncated FLACs whose headers
    read) was published as a dataset of 0 rows, exit status 0, and `check` said OK."""
    from loaders.errors import LayoutError

    kept = {corpus for corpus, _, _ in stats}
    for corpus in dict.fromkeys(r.corpus for r in records):
        if corpus in kept:
            continue
        paths = [r.path for r in records if r.corpus == corpus]
        skipped = ", ".join(f"{reason} {n}" for reason, n in report.by_reason(corpus).items())
        ours = [e for (c, _), entries in report.examples.items() if c == corpus for e in entries]
        file, message, _ = next((e for e in ours if e.file in paths), ours[0] if ours else (paths[0], "not stored", ""))
        raise LayoutError(
            Path(os.path.commonpath(paths)) if len(paths) > 1 else Path(paths[0]).parent,
            "empty_corpus",
            f"{corpus}: no clip is left to store: the {len(paths)} the scan read could not be decoded (skipped: "
            f"{skipped}; e.g. {file}: {message}), so it would be in the dataset without a row",
            f"replace the damaged files with good copies of the release, or leave --source {corpus} out",
        )


def _write_rows(
    jobs: list[tuple[str, object]],
    stage: Path,
    split_of: Mapping[str, str],
    report: SkipReport,
    settings: _Settings,
    columns,
) -> tuple[dict[ShardKey, ShardStats], dict[str, str]]:
    """Encode every ``(shard, record)`` job into a Parquet file of its shard under ``stage`` with the
    ``datasets.Features`` ``columns``: the statistics of every shard and ``{planned relpath: final
    relpath}``.  A bad file raises, or with ``skip_bad`` is counted in ``report``."""
    from tqdm.auto import tqdm

    from bimotion.console import stage_bar_options

    files = ParquetFiles(
        stage, columns.arrow_schema, rows_per_file=settings.rows_per_file, bytes_per_file=settings.bytes_per_file
    )
    stats: dict[ShardKey, ShardStats] = {}
    rows = encoded([record for _, record in jobs], settings.num_proc)
    bar = tqdm(
        total=len(jobs),
        desc="decoding -> 16 kHz FLAC",
        unit=" utt",
        disable=not settings.progress,
        **stage_bar_options(),  # in a log, a line every 30 s
    )
    with files, bar, contextlib.closing(rows):  # a failure or a stop closes the file being written
        for (shard_path, record), (row, error, peak_dbfs, clipped, findings) in zip(jobs, rows, strict=True):
            stop_if_lost()  # a SIGTERM whose stop a finalizer (a ParquetWriter's) swallowed stops here
            bar.update()
            note_channels(record, findings, report)
            if error is not None:
                refuse_or_skip(error, record, skip_bad=settings.skip_bad, report=report)
                continue
            relpath = files.add(shard_path, encode_names(columns, row))  # label names -> ClassLabel ids
            shard = stats.setdefault((record.corpus, record.group, split_of[record.id]), ShardStats())
            shard.add(row, relpath, peak_dbfs, clipped)
        names = files.close()
    sizes = files.sizes()
    for shard in stats.values():
        shard.num_bytes = sum(sizes[relpath][0] for relpath in shard.files)
        shard.file_bytes = sum(sizes[relpath][1] for relpath in shard.files)
    return stats, names


def _plan(records, split_of, benchmark: Benchmark) -> list[tuple[str, list]]:
    """``[(shard path, records)]``: each (corpus, group, split) with records, as
    ``data/<corpus>/<group>/<split>`` (its files are numbered as they fill, :class:`.parquet.ParquetFiles`),
    records sorted by id."""
    by_shard = collections.defaultdict(list)
    for record in sorted(records, key=lambda r: r.id):
        by_shard[(record.corpus, record.group, split_of[record.id])].append(record)
    unknown = {(c, g) for c, g, _ in by_shard} - set(benchmark.shards)
    if unknown:
        raise ValueError(f"records of {sorted(unknown)} do not belong to any {benchmark.name} group")
    return [
        (f"{DATA_DIR}/{corpus}/{group}/{split}", by_shard[corpus, group, split])
        for corpus, group in benchmark.shards
        for split in SPLITS
        if by_shard.get((corpus, group, split))
    ]
