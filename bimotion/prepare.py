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
encoded as 16-bit FLAC and streamed into Parquet files of at most ``rows_per_file`` rows, written
in row groups of ``ROWS_PER_ROW_GROUP``.  Worker processes decode a bounded window of records
ahead of the writer, so peak memory depends on the window, never on the corpus size.

The run is atomic and exclusive: it holds an ``flock`` on ``OUT.prepare-lock`` (beside ``OUT``,
removed at the end), so a second run into the same ``OUT`` fails at once.  Everything is written into
``OUT.partial-tmp/new`` (Parquet files as hidden ``.*.parquet.tmp`` files, the card last) and renamed
to ``OUT`` at the very end; ``--overwrite`` first moves the previous ``OUT`` to ``OUT.partial-tmp/old``.
A failed run removes ``OUT.partial-tmp`` (restoring ``OUT`` first if it had been moved); after a
killed run, the next run does the same and says so.  ``OUT.partial-tmp`` carries a marker file: a
folder of that name that prepare did not make is never deleted.  Worker processes die with the run.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import functools
import json
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from loaders import SOURCES, BadFileError, CorpusError, SkipReport
from loaders.audio import decode

from . import __version__
from .data.layout import CARD_FILE, DATA_DIR, INFO_FILE, PARTIAL_SUFFIX, config_files, read_info  # noqa: F401
from .features import SAMPLE_RATE_HZ, example, features
from .registry import BENCHMARKS, SPLITS, Benchmark
from .splits import assign_splits

LOCK_SUFFIX = ".prepare-lock"  # OUT.prepare-lock: flock'ed while a run writes OUT
WORK_MARKER = ".bimotion-prepare"  # inside OUT.partial-tmp: prepare made this folder
ROWS_PER_FILE = 1000
ROWS_PER_ROW_GROUP = 100
RECORDS_PER_TASK = 8
TASKS_AHEAD_PER_PROC = 4


class OutputLockedError(RuntimeError):
    """Another prepare run is writing the same output folder."""


@dataclass
class Prepared:
    out_dir: Path
    info: dict
    report: SkipReport


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
) -> Prepared:
    """Read ``{corpus: raw root}`` and write the prepared dataset to ``out_dir`` (see the module
    docstring).  Bad input raises :class:`loaders.CorpusError`, or with ``skip_bad`` is counted in
    the returned report."""
    from loaders.manifest import scan

    bench = BENCHMARKS[benchmark] if isinstance(benchmark, str) else benchmark
    foreign = sorted(set(sources) - set(bench.corpora))
    if foreign:
        raise ValueError(
            f"{', '.join(foreign)} is not part of {bench.name} (its corpora: {', '.join(bench.corpora)})"
            + ("; prepare it with `yuemotion prepare`" if "yuemotion" in foreign else "")
        )
    if not sources:
        raise ValueError("no --source given")
    _check_counts(num_proc, rows_per_file)
    out_dir = _output_path(out_dir)
    with _locked(out_dir):
        _check_output(out_dir, overwrite)
        records, report = scan(dict(sources), skip_bad=skip_bad, progress=progress)
        return _write(
            records,
            out_dir,
            benchmark=bench,
            corpora=list(sources),
            protocol=protocol,
            seed=seed,
            num_proc=num_proc,
            skip_bad=skip_bad,
            report=report,
            overwrite=overwrite,
            rows_per_file=rows_per_file,
            progress=progress,
        )


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
) -> Prepared:
    """Write already-scanned ``records`` of ``corpora`` as a prepared dataset (atomically).

    ``split_of`` (``{record id: split}``) gives every record's split instead of drawing them under
    ``protocol`` (which is still recorded): for fixtures that need exact split sizes."""
    _check_counts(num_proc, rows_per_file)
    out_dir = _output_path(out_dir)
    with _locked(out_dir):
        _check_output(out_dir, overwrite)
        report = report if report is not None else SkipReport()
        return _write(
            records,
            out_dir,
            benchmark=benchmark,
            corpora=list(corpora),
            protocol=protocol,
            seed=seed,
            num_proc=num_proc,
            skip_bad=skip_bad,
            report=report,
            overwrite=overwrite,
            rows_per_file=rows_per_file,
            progress=progress,
            split_of=split_of,
        )


def _write(
    records: list,
    out_dir: Path,
    *,
    benchmark: Benchmark,
    corpora: list[str],
    protocol: str,
    seed: int,
    num_proc: int,
    skip_bad: bool,
    report: SkipReport,
    overwrite: bool,
    rows_per_file: int,
    progress: bool,
    split_of: Mapping[str, str] | None = None,
) -> Prepared:
    """The body of ``write_dataset``, run holding the output's lock after ``_check_output``."""
    from tqdm.auto import tqdm

    from . import dataset_card

    split_of = split_of or assign_splits(records, protocol, seed=seed)
    plan = _plan(records, split_of, benchmark, rows_per_file)
    work = _work_dir(out_dir)
    stage = work / "new"
    stats: dict[tuple[str, str, str], _ShardStats] = {}
    work.mkdir(parents=True)  # _check_output removed any leftover; a new one is a FileExistsError
    try:
        (work / WORK_MARKER).write_text("temporary folder of `bimotion prepare`; deleted when it ends\n")
        stage.mkdir()
        jobs = [(relpath, record) for relpath, rows in plan for record in rows]
        schema = features().arrow_schema
        current: _ParquetFile | None = None
        written: list[Path] = []
        encoded = _encoded(jobs, num_proc)
        bar = tqdm(total=len(jobs), desc="decoding -> 16 kHz FLAC", unit=" utt", disable=not progress)
        with bar, contextlib.closing(encoded):
            for (relpath, record), (row, error) in zip(jobs, encoded, strict=True):
                bar.update()
                if error is not None:
                    err = BadFileError(*error)
                    if not skip_bad:
                        raise err
                    report.add(record.corpus, err)
                    continue
                if current is None or current.relpath != relpath:
                    if current is not None and current.close():
                        written.append(current)
                    current = _ParquetFile(stage, relpath, schema)
                current.add(row)
                key = (record.corpus, record.group, split_of[record.id])
                stats.setdefault(key, _ShardStats()).add(row, relpath)
            if current is not None and current.close():
                written.append(current)
        names = {}
        for done in written:
            done.path.rename(stage / done.final_relpath)  # .x.parquet.tmp -> x-<hash>.parquet
            names[done.relpath] = done.final_relpath
        info = _info(benchmark, list(corpora), protocol, seed, stats, report, names)
        (stage / INFO_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (stage / CARD_FILE).write_text(dataset_card.render(info), encoding="utf-8")
        _swap_into_place(work, out_dir, overwrite)
    except BaseException:
        _put_back(work / "old", out_dir)
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)  # the replaced dataset, if any
    return Prepared(out_dir, info, report)


# ------------------------------------------------------------------------------------ internals


def _output_path(out_dir) -> Path:
    return Path(out_dir).expanduser().absolute()


def _work_dir(out_dir: Path) -> Path:
    return out_dir.with_name(out_dir.name + PARTIAL_SUFFIX)


def _check_counts(num_proc: int, rows_per_file: int) -> None:
    for name, value in (("num_proc", num_proc), ("rows_per_file", rows_per_file)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, not {value!r}")


def _check_output(out_dir: Path, overwrite: bool) -> None:
    """Finish what an interrupted run left (holding the lock), then refuse an ``out_dir`` that may
    not be replaced."""
    _restore(out_dir, _work_dir(out_dir))
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f"{out_dir} already exists; choose another --output or pass --overwrite")
    if out_dir.exists() and not (out_dir / INFO_FILE).is_file():
        raise FileExistsError(f"{out_dir} exists and is not a prepared dataset; refusing to overwrite it")


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def _restore(out_dir: Path, work: Path) -> None:
    """Put back a dataset that an interrupted ``--overwrite`` swap left in ``work/old`` (or, from
    older versions, in ``OUT.old-tmp``) and remove ``work``, which must carry prepare's marker."""
    if _put_back(out_dir.with_name(out_dir.name + ".old-tmp"), out_dir):
        _note(f"restored {out_dir} from {out_dir}.old-tmp, where an interrupted --overwrite run had left it")
    if not os.path.lexists(work):
        return
    if work.is_symlink() or not (work / WORK_MARKER).is_file():
        raise FileExistsError(
            f"{work} exists and was not made by prepare, which keeps its temporary files there; move it away"
        )
    if _put_back(work / "old", out_dir):
        _note(f"restored {out_dir} from {work / 'old'}, where an interrupted --overwrite run had left it")
    else:
        _note(f"removing {work}, left by an interrupted prepare")
    shutil.rmtree(work)


def _put_back(old: Path, out_dir: Path) -> bool:
    """Move the prepared dataset ``old`` back to ``out_dir`` if nothing is there."""
    if os.path.lexists(out_dir) or not (old / INFO_FILE).is_file():
        return False
    old.rename(out_dir)
    return True


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``OUT.prepare-lock`` (created beside ``out_dir``, removed at
    the end); :class:`OutputLockedError` at once when another run holds it."""
    import fcntl

    path = out_dir.with_name(out_dir.name + LOCK_SUFFIX)
    busy = OutputLockedError(f"another prepare is writing {out_dir} (it holds {path}); wait or choose another --output")
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise busy from None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        locked = os.fstat(fd)
        if current is not None and (current.st_dev, current.st_ino) == (locked.st_dev, locked.st_ino):
            break
        os.close(fd)  # a run that just finished removed the file we locked: lock the new one
    else:
        raise busy
    if locked.st_size:
        os.close(fd)
        raise FileExistsError(f"{path} is not prepare's (empty) lock file; move it away")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def _plan(records, split_of, benchmark: Benchmark, rows_per_file: int) -> list[tuple[str, list]]:
    """``[(relative path, records)]``: one Parquet file per ``rows_per_file`` records of each
    (corpus, group, split), records sorted by id."""
    by_shard = collections.defaultdict(list)
    for record in sorted(records, key=lambda r: r.id):
        by_shard[(record.corpus, record.group, split_of[record.id])].append(record)
    unknown = {(c, g) for c, g, _ in by_shard} - set(benchmark.shards)
    if unknown:
        raise ValueError(f"records of {sorted(unknown)} do not belong to any {benchmark.name} group")
    plan = []
    for corpus, group in benchmark.shards:
        for split in SPLITS:
            rows = by_shard.get((corpus, group, split), [])
            for start in range(0, len(rows), rows_per_file):
                relpath = f"{DATA_DIR}/{corpus}/{group}/{split}-{start // rows_per_file:05d}.parquet"
                plan.append((relpath, rows[start : start + rows_per_file]))
    return plan


def _encode(records) -> list[tuple[dict | None, tuple | None]]:
    """Decode, resample and FLAC-encode records: ``(row, None)`` or ``(None, BadFileError args)``
    (a CorpusError does not survive pickling, so its fields travel instead)."""
    out = []
    for record in records:
        try:
            samples, _ = decode(record.path, SAMPLE_RATE_HZ, dtype="int16")
            if samples.size == 0:
                raise BadFileError(record.path, "no_samples", "the file decodes to no audio samples", "replace it")
            out.append((example(record, samples), None))
        except CorpusError as err:
            out.append((None, (err.path, err.reason, err.message, err.hint)))
    return out


def _encoded(jobs: list, num_proc: int) -> Iterator[tuple[dict | None, tuple | None]]:
    """``_encode`` over every job's record, in order, ``num_proc`` processes decoding a bounded
    window of tasks ahead."""
    tasks = [[record for _, record in jobs[i : i + RECORDS_PER_TASK]] for i in range(0, len(jobs), RECORDS_PER_TASK)]
    if num_proc <= 1:
        for task in tasks:
            yield from _encode(task)
        return
    # fork where there is one: workers start at once and scripts need no `__main__` guard
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = concurrent.futures.ProcessPoolExecutor(
        num_proc, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
    )
    with pool:
        window: collections.deque = collections.deque()
        try:
            for task in tasks:
                window.append(pool.submit(_encode, task))
                if len(window) >= num_proc * TASKS_AHEAD_PER_PROC:
                    yield from window.popleft().result()
            while window:
                yield from window.popleft().result()
        finally:
            for future in window:
                future.cancel()


def _die_with_parent(parent_pid: int) -> None:
    """Pool initializer: end this worker when the run that started it dies (even by SIGKILL), so
    no worker outlives it holding memory and the caller's pipes."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()


def _watch_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Fallback where there is no PR_SET_PDEATHSIG: exit once re-parented (the parent died)."""
    while os.getppid() == parent_pid:
        time.sleep(interval_s)
    os._exit(1)


class _ParquetFile:
    """One output file, written a row group at a time as the hidden ``.<name>.tmp`` (which no
    loader picks up) until renamed to ``final_relpath``, ``<name>`` with its content hash."""

    def __init__(self, stage: Path, relpath: str, schema):
        self.relpath = relpath
        self.final_relpath = ""
        final = stage / relpath
        self.path = final.with_name(f".{final.name}.tmp")
        self.schema = schema
        self.buffer: list[dict] = []
        self.writer = None

    def add(self, row: dict) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= ROWS_PER_ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.buffer:
            return
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.schema, compression=_compression(self.schema))
        columns = {name: [row[name] for row in self.buffer] for name in self.schema.names}
        self.writer.write_table(pa.Table.from_pydict(columns, schema=self.schema))
        self.buffer = []

    def close(self) -> bool:
        """Finish the file; False when it got no rows (and so was never created)."""
        self._flush()
        if self.writer is None:
            return False
        self.writer.close()
        self.final_relpath = f"{self.relpath.removesuffix('.parquet')}-{_sha256(self.path)[:16]}.parquet"
        return True


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def _leaf_columns(schema) -> tuple[str, ...]:
    import io

    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(schema.empty_table(), buffer)
    parquet_schema = pq.read_metadata(io.BytesIO(buffer.getvalue())).schema
    return tuple(parquet_schema.column(i).path for i in range(len(parquet_schema)))


def _compression(schema) -> dict[str, str]:
    """zstd for the metadata columns; none for the FLAC bytes, which do not compress (and which
    snappy would slow the writer down on for nothing)."""
    return {column: "none" if column == "audio.bytes" else "zstd" for column in _leaf_columns(schema)}


class _ShardStats:
    def __init__(self):
        self.rows = 0
        self.duration_s = 0.0
        self.files: dict[str, None] = {}
        self.genders: collections.Counter = collections.Counter()
        self.emotions: collections.Counter = collections.Counter()
        self.speakers: set[str] = set()

    def add(self, row: dict, relpath: str) -> None:
        self.rows += 1
        self.duration_s += row["duration_s"]
        self.files[relpath] = None
        self.genders[row["gender"] or "unknown"] += 1
        self.emotions.update(row["emotions"] or ["(none)"])
        if row["speaker_id"] is not None:
            self.speakers.add(row["speaker_id"])


def _info(
    benchmark: Benchmark, corpora: list[str], protocol: str, seed: int, stats, report: SkipReport, names: dict[str, str]
) -> dict:
    present = set(corpora)
    groups = {}
    for group in benchmark.groups:
        members = benchmark.corpora_of(group)
        have = [c for c in members if c in present]
        groups[group] = {
            "corpora": have,
            "missing": [c for c in members if c not in present],
            "status": "complete" if len(have) == len(members) else "partial" if have else "absent",
        }
    return {
        "benchmark": benchmark.name,
        "protocol": protocol,
        "seed": seed,
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "bimotion_version": __version__,
        "corpora": [c for c in benchmark.corpora if c in present],
        "licenses": {c: SOURCES[c].license for c in benchmark.corpora if c in present},
        "groups": groups,
        "shards": [
            {
                "corpus": corpus,
                "group": group,
                "split": split,
                "rows": s.rows,
                "duration_s": round(s.duration_s, 3),
                "speakers": len(s.speakers),
                "genders": dict(sorted(s.genders.items())),
                "emotions": dict(sorted(s.emotions.items())),
                "files": [names[f] for f in s.files],
            }
            for (corpus, group, split), s in sorted(
                stats.items(), key=lambda kv: (benchmark.shards.index(kv[0][:2]), SPLITS.index(kv[0][2]))
            )
        ],
        "skipped": report.to_dict(),
    }


def _swap_into_place(work: Path, out_dir: Path, overwrite: bool) -> None:
    """Rename the finished ``work/new`` to ``out_dir``; an existing ``out_dir`` (only with
    ``overwrite``, and only a prepared dataset) goes to ``work/old`` first, whence an interrupted
    swap is restored by ``_restore``."""
    if os.path.lexists(out_dir):
        if not overwrite:
            raise FileExistsError(
                f"{out_dir} appeared while this run was writing; nothing was replaced (pass --overwrite to replace it)"
            )
        if not (out_dir / INFO_FILE).is_file():
            raise FileExistsError(f"{out_dir} exists and is not a prepared dataset; refusing to overwrite it")
        out_dir.rename(work / "old")
    else:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    (work / "new").rename(out_dir)
