"""Streaming rows into Parquet files written a row group at a time under hidden temporary names,
each renamed at the end to its content-hashed name (``<split>-00000-<hash>.parquet``).

A shard's rows go into files numbered in order (``-00000``, ``-00001``, ...), a new one after
``rows_per_file`` rows or before the row whose audio would take the file past ``bytes_per_file``
(:data:`BYTES_PER_FILE`): long clips (IEMOCAP's 30 s dialogue turns, a user's 10-minute recordings)
made files of several GB at 1000 rows, which the Hub stores and serves badly."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

# a file's rows and audio bytes, at most (prepare's rows_per_file and bytes_per_file, --rows-per-file
# and --bytes-per-file): the prepared folder's contract, kept there
from ..data.layout import BYTES_PER_FILE, ROWS_PER_FILE, content_digest

ROWS_PER_ROW_GROUP = 100
# ... and at most this many bytes of audio: `datasets`' own bound on a row group (datasets.config.MAX_ROW_GROUP_SIZE,
# 100 MB uncompressed), which the Hub's dataset viewer expects; 100 clips of a minute or more pass it
ROW_GROUP_MAX_BYTES = 100_000_000


def check_count(name: str, value) -> None:
    """A ValueError naming ``name`` unless ``value`` is a positive integer (``True`` is none: a flag
    passed where a count is meant): prepare's counts and caps, checked once, here."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


class ParquetFiles:
    """The files of one run, written one at a time in the order rows arrive: a row of another shard,
    or one past the current file's ``rows_per_file`` rows or ``bytes_per_file`` bytes of audio, closes
    the current file.  :meth:`close` names every file by its content."""

    def __init__(
        self, stage: Path, schema, *, rows_per_file: int = ROWS_PER_FILE, bytes_per_file: int = BYTES_PER_FILE
    ):
        for name, value in (("rows_per_file", rows_per_file), ("bytes_per_file", bytes_per_file)):
            check_count(name, value)
        self.stage = stage
        self.schema = schema
        self.rows_per_file = rows_per_file
        self.bytes_per_file = bytes_per_file
        self.current: ParquetFile | None = None
        self.written: list[ParquetFile] = []

    def add(self, shard: str, row: dict) -> str:
        """Write ``row`` into a file of ``shard`` (``data/<corpus>/<group>/<split>``): the current one,
        or the next one when it is full; returns that file's planned relpath (``<shard>-00000.parquet``)."""
        current, size = self.current, len(row["audio"]["bytes"])
        if current is None or current.shard != shard:
            self._close_current()
            self.current = ParquetFile(self.stage, shard, 0, self.schema)
        elif current.rows >= self.rows_per_file or (current.rows and current.audio_bytes + size > self.bytes_per_file):
            self._close_current()
            self.current = ParquetFile(self.stage, shard, current.index + 1, self.schema)
        self.current.add(row)
        return self.current.relpath

    def _close_current(self) -> None:
        if self.current is not None and self.current.close():
            self.written.append(self.current)
        self.current = None

    def close(self) -> dict[str, str]:
        """Finish every file and rename it to its final name: ``{planned relpath: final relpath}``
        of the files that got rows."""
        self._close_current()
        names = {}
        for done in self.written:
            done.path.rename(self.stage / done.final_relpath)  # .x.parquet.tmp -> x-<hash>.parquet
            names[done.relpath] = done.final_relpath
        return names

    def __enter__(self) -> ParquetFiles:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.abandon()

    def abandon(self) -> None:
        """Close the file being written, unnamed (a run that failed or was stopped: its stage is removed).
        Left open, its ``ParquetWriter`` lived on in the exception's frames and was closed whenever
        the garbage collector or the interpreter's exit reached it, writing into a removed folder."""
        current, self.current = self.current, None
        if current is not None and current.writer is not None:
            with contextlib.suppress(Exception):  # the failure being raised is the one to report
                current.writer.close()
            current.writer = None

    def sizes(self) -> dict[str, tuple[int, int]]:
        """``{planned relpath: (num_bytes, file_bytes)}`` of the files written: their rows' Arrow size, as
        ``datasets`` counts a split's ``num_bytes`` (the sum of the tables it writes), and the file's size."""
        return {done.relpath: (done.num_bytes, done.file_bytes) for done in self.written}


class ParquetFile:
    """One output file, written a row group at a time as the hidden ``.<name>.tmp`` (which no
    loader picks up) until renamed to ``final_relpath``, ``<name>`` with its content hash."""

    def __init__(self, stage: Path, shard: str, index: int, schema):
        self.shard, self.index = shard, index
        self.relpath = relpath = f"{shard}-{index:05d}.parquet"
        self.final_relpath = ""
        self.rows = 0
        self.audio_bytes = 0  # of the whole file
        self.num_bytes = 0  # the Arrow size of its rows, as `datasets` counts it (:func:`arrow_num_bytes`)
        self.file_bytes = 0  # the file's size, once closed
        final = stage / relpath
        self.path = final.with_name(f".{final.name}.tmp")
        self.schema = schema
        self.buffer: list[dict] = []
        self.buffered_bytes = 0  # of audio
        self.writer = None

    def add(self, row: dict) -> None:
        """Buffer ``row``; a row group is written at :data:`ROWS_PER_ROW_GROUP` rows, or before the row
        whose audio would take it past :data:`ROW_GROUP_MAX_BYTES` (a longer clip has a row group of its own)."""
        size = len(row["audio"]["bytes"])
        if self.buffer and self.buffered_bytes + size > ROW_GROUP_MAX_BYTES:
            self._flush()
        self.buffer.append(row)
        self.buffered_bytes += size
        self.rows += 1
        self.audio_bytes += size
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
        table = pa.Table.from_pydict(columns, schema=self.schema)
        self.writer.write_table(table)
        self.buffer, self.buffered_bytes = [], 0

    def close(self) -> bool:
        """Finish the file; False when it got no rows (and so was never created)."""
        self._flush()
        if self.writer is None:
            return False
        self.writer.close()
        self.file_bytes = self.path.stat().st_size
        self.num_bytes = arrow_num_bytes(self.path)
        digest = content_digest(self.path)
        self.final_relpath = f"{self.relpath.removesuffix('.parquet')}-{digest}.parquet"
        return True


def arrow_num_bytes(path: Path) -> int:
    """The Arrow size of the rows of the Parquet file at ``path`` exactly as ``datasets`` counts a split's
    ``num_bytes`` when it loads the file: read back in batches of its first row group's rows
    (``datasets.packaged_modules.parquet``'s ``_generate_tables``), the ``nbytes`` of each table summed
    (``ArrowWriter``).  Not the ``nbytes`` of the tables written: columns read back from dictionary-encoded
    pages (the integer ones) carry a validity bitmap, a byte per 8 rows each, that those do not, and a
    batch of a row group split in several has offsets and bitmaps of its own.  Not exact where two
    single-row batches follow one another (``--rows-per-file 1``, a row group per clip): ``datasets``
    pools those (``ArrowWriter.write_row``) and counts them together, a few bytes a row fewer.

    Read by Arrow from the path, not through a Python file object as ``datasets`` opens it (the batches
    are the same): Arrow's I/O threads take the GIL to read that file and to release it, and one still
    doing so when a run ends at once (a worker killed for memory) is ended mid-call by the interpreter's
    shutdown, the likely cause of a run that aborted once in CI ("terminate called without an active
    exception", SIGABRT) after printing its error (as gloo's threads did, :mod:`bimotion.training.processes`)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    from pyarrow.fs import LocalFileSystem

    fragment = ds.ParquetFileFormat().make_fragment(str(path), filesystem=LocalFileSystem())
    size = fragment.row_groups[0].num_rows
    batches = fragment.to_batches(batch_size=size, batch_readahead=0, fragment_readahead=0, use_threads=False)
    return sum(pa.Table.from_batches([batch]).combine_chunks().nbytes for batch in batches)


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
