"""The Parquet files prepare writes are ones the Hub's dataset viewer and `datasets` read row group by
row group: a row group is bounded by rows and by bytes (``bimotion.prepare.parquet``)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from bimotion.prepare.parquet import ROWS_PER_ROW_GROUP, ParquetFiles

SCHEMA = pa.schema([("audio", pa.struct([("bytes", pa.binary()), ("path", pa.string())])), ("id", pa.string())])


def _row(n: int, size: int) -> dict:
    return {"audio": {"bytes": bytes([n % 256]) * size, "path": f"c__{n}.flac"}, "id": f"c/{n}"}


def test_a_row_group_of_long_clips_stays_within_the_bytes_the_hubs_viewer_reads(tmp_path):
    """Row groups were 100 rows whatever their size: 100 clips of a minute or more (a user's own
    recordings) made a row group past `datasets`' 100 MB (datasets.config.MAX_ROW_GROUP_SIZE), which the
    Hub's dataset viewer expects and which a reader of one row must read whole.  Now a row group also
    ends before the clip that would take it past that."""
    from datasets import config
    from datasets.utils.py_utils import convert_file_size_to_int

    bound = convert_file_size_to_int(config.MAX_ROW_GROUP_SIZE)  # 100 MB: what push_to_hub writes
    clip = bound // 3 + 1  # three of them are past the bound
    files = ParquetFiles(tmp_path, SCHEMA)
    sizes = [clip] * 5 + [10] * (ROWS_PER_ROW_GROUP + 1)
    for n, size in enumerate(sizes):
        files.add("data/c/g/train-00000.parquet", _row(n, size))
    [(_, final)] = files.close().items()
    meta = pq.ParquetFile(tmp_path / final).metadata
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    assert [g.num_rows for g in groups] == [2, 2, ROWS_PER_ROW_GROUP, 2]
    assert all(g.total_byte_size <= bound for g in groups)
    assert pq.read_table(tmp_path / final, columns=["id"])["id"].to_pylist() == [f"c/{n}" for n in range(len(sizes))]
