"""Streaming rows into Parquet files written a row group at a time under hidden temporary names,
each renamed at the end to its content-hashed name (``<split>-00000-<hash>.parquet``)."""

from __future__ import annotations

import functools
from pathlib import Path

from ..data.layout import content_digest

ROWS_PER_ROW_GROUP = 100
# ... and at most this many bytes of audio: `datasets`' own bound on a row group (datasets.config.MAX_ROW_GROUP_SIZE,
# 100 MB uncompressed), which the Hub's dataset viewer expects; 100 clips of a minute or more pass it
ROW_GROUP_MAX_BYTES = 100_000_000


class ParquetFiles:
    """The files of one run, written one at a time in the order rows arrive: a row for another file
    closes the current one.  :meth:`close` names every file by its content."""

    def __init__(self, stage: Path, schema):
        self.stage = stage
        self.schema = schema
        self.current: ParquetFile | None = None
        self.written: list[ParquetFile] = []

    def add(self, relpath: str, row: dict) -> None:
        if self.current is None or self.current.relpath != relpath:
            self._close_current()
            self.current = ParquetFile(self.stage, relpath, self.schema)
        self.current.add(row)

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


class ParquetFile:
    """One output file, written a row group at a time as the hidden ``.<name>.tmp`` (which no
    loader picks up) until renamed to ``final_relpath``, ``<name>`` with its content hash."""

    def __init__(self, stage: Path, relpath: str, schema):
        self.relpath = relpath
        self.final_relpath = ""
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
        self.buffer, self.buffered_bytes = [], 0

    def close(self) -> bool:
        """Finish the file; False when it got no rows (and so was never created)."""
        self._flush()
        if self.writer is None:
            return False
        self.writer.close()
        digest = content_digest(self.path)
        self.final_relpath = f"{self.relpath.removesuffix('.parquet')}-{digest}.parquet"
        return True


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
