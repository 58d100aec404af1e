"""The Parquet files prepare writes are ones the Hub's dataset viewer and `datasets` read row group by
row group: a row group is bounded by rows and by bytes, and so is a file (``bimotion.prepare.parquet``)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bimotion.data.layout import BYTES_PER_FILE
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
        files.add("data/c/g/train", _row(n, size))
    [(_, final)] = files.close().items()
    meta = pq.ParquetFile(tmp_path / final).metadata
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    assert [g.num_rows for g in groups] == [2, 2, ROWS_PER_ROW_GROUP, 2]
    assert all(g.total_byte_size <= bound for g in groups)
    assert pq.read_table(tmp_path / final, columns=["id"])["id"].to_pylist() == [f"c/{n}" for n in range(len(sizes))]


def _rows_per_file(tmp_path, sizes: list[int], **caps) -> list[int]:
    files = ParquetFiles(tmp_path, SCHEMA, **caps)
    planned = [files.add("data/c/g/train", _row(n, size)) for n, size in enumerate(sizes)]
    names = files.close()
    assert list(names) == list(dict.fromkeys(planned))  # numbered in order: -00000, -00001, ...
    assert [p.rsplit("-", 1)[1] for p in names] == [f"{i:05d}.parquet" for i in range(len(names))]
    ids = [i for final in names.values() for i in pq.read_table(tmp_path / final, columns=["id"])["id"].to_pylist()]
    assert ids == [f"c/{n}" for n in range(len(sizes))]  # every row, once, in order
    return [pq.ParquetFile(tmp_path / final).metadata.num_rows for final in names.values()]


def test_a_file_rolls_over_by_the_bytes_of_its_audio_as_well_as_by_rows(tmp_path):
    """Files were capped at 1000 rows only: 1000 clips of 30 s (IEMOCAP) or of 10 minutes (a user's)
    made files of several GB, which the Hub handles badly.  A file now also ends before the clip
    whose audio would take it past bytes_per_file (500 MB by default, as `datasets` shards a push);
    a clip larger than that has a file of its own, and the row cap still holds."""
    assert BYTES_PER_FILE == 500_000_000
    assert _rows_per_file(tmp_path / "a", [40, 40, 40, 10, 10, 200, 5], bytes_per_file=90) == [2, 3, 1, 1]
    assert _rows_per_file(tmp_path / "b", [1] * 7, rows_per_file=3, bytes_per_file=90) == [3, 3, 1]
    with pytest.raises(ValueError, match="bytes_per_file must be a positive integer, not 0"):
        ParquetFiles(tmp_path, SCHEMA, bytes_per_file=0)


def test_prepare_rolls_files_over_by_size_and_the_card_names_every_file(tmp_path):
    """prepare with a byte cap below one clip writes a file per row, and `datasets` reads them all
    through the card's configs."""
    from datasets import load_dataset

    from bimotion.prepare import prepare
    from bimotion.verify import verify
    from loaders import testing

    out = prepare(
        {"csed": testing.make_corpus("csed", tmp_path / "raw")}, tmp_path / "out", bytes_per_file=1, progress=False
    )
    for shard in out.info["shards"]:
        assert len(shard["files"]) == shard["rows"] > 0
    assert verify(out.out_dir, hash_audio=False)["problems"] == []
    ds = load_dataset(str(out.out_dir), "zho_eld", cache_dir=str(tmp_path / "cache"))
    assert {split: ds[split].num_rows for split in ds} == {s["split"]: s["rows"] for s in out.info["shards"]}
    with pytest.raises(ValueError, match="bytes_per_file must be a positive integer"):
        prepare({"csed": tmp_path / "raw"}, tmp_path / "never", bytes_per_file=-1, progress=False)
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("name", ["bytes_per_file", "rows_per_file", "num_proc"])
def test_a_flag_given_as_a_count_is_refused_before_any_corpus_is_read(tmp_path, name):
    """bytes_per_file=True (a flag where a count is meant) passed prepare's first checks, which took
    True for 1, and was refused only when the first file was written, after the scan (minutes on
    IEMOCAP); every count is now one check, made before anything is read (the source here does not
    exist, so any read fails first)."""
    from bimotion.prepare import prepare

    with pytest.raises(ValueError, match=f"^{name} must be a positive integer, not True$"):
        prepare({"csed": tmp_path / "no-such-corpus"}, tmp_path / "out", progress=False, **{name: True})
    assert not (tmp_path / "out").exists()


def test_the_prepare_command_takes_a_files_audio_bytes_with_units(tmp_path, capsys):
    """The Python API took bytes_per_file but `bimotion prepare` had no option for it: a user whose long
    clips wanted smaller (or larger) files than 500 MB could not ask.  --bytes-per-file takes plain
    bytes or a unit (500MB, 2GB, 1GiB); a bad value is one error line naming the option and an example."""
    from bimotion.cli import main
    from bimotion.commands.prepare import byte_size
    from loaders import testing

    sizes = {"123": 123, "500MB": 500_000_000, "500mb": 500_000_000, "2 GB": 2_000_000_000, "1GiB": 2**30}
    assert {text: byte_size(text) for text in sizes} == sizes
    assert byte_size("1.5kB") == 1500
    raw, out = testing.make_corpus("csed", tmp_path / "raw"), tmp_path / "out"
    argv = ["prepare", "--source", f"csed={raw}", "--output", str(out), "-q", "--num-proc", "1"]
    for bad in ("0", "-5", "5 XB", "MB", "1e9", ""):
        with pytest.raises(SystemExit) as exit_:
            main([*argv, "--bytes-per-file", bad])
        assert exit_.value.code == 2 and not out.exists()
        err = capsys.readouterr().err
        assert (
            f"argument --bytes-per-file: must be a size of at least 1 byte, in bytes or with a unit (e.g. 500MB, 2GB, 1GiB), not {bad!r}"
            in err
        )
    assert main([*argv, "--bytes-per-file", "1"]) == 0  # below one clip: a file per row
    shards = json.loads((out / "prepare.json").read_text())["shards"]
    assert shards and all(len(shard["files"]) == shard["rows"] > 0 for shard in shards)


def test_the_prepare_help_states_the_writers_own_file_limits(monkeypatch, capsys):
    """--rows-per-file's help said "1000" and "500 MB" in its own words, which a change of the writer's
    limits would have left stale: the help and the options' defaults now read the constants the writer uses."""
    import bimotion.data.layout
    from bimotion.cli import build_parser

    monkeypatch.setattr(bimotion.data.layout, "ROWS_PER_FILE", 250)
    monkeypatch.setattr(bimotion.data.layout, "BYTES_PER_FILE", 2_000_000_000)
    monkeypatch.setenv("COLUMNS", "100")
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["prepare", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "rows per Parquet file, at most (default: 250)" in help_text and "(default: 2 GB," in help_text
    args = parser.parse_args(["prepare", "--source", "csed=x", "-o", "y"])
    assert (args.rows_per_file, args.bytes_per_file) == (250, 2_000_000_000)


@pytest.mark.parametrize("row_groups", ["as written", "uneven"])
def test_the_cards_num_bytes_are_what_datasets_records_when_it_loads(tmp_path, monkeypatch, row_groups):
    """The card's dataset_info said a split held a few bytes fewer than `datasets` records when it loads
    it (5754012 for CSED's train split, 5754194 recorded): the sum of the nbytes of the tables written,
    where `datasets` reads the file back, in batches of its first row group's rows, and its integer
    columns come back with validity bitmaps (a byte per 8 rows each).  Now each file's num_bytes is
    counted as `datasets` counts it, also where row groups differ in size (long clips end them early).
    Not exact, by a few bytes a row, where a file's first row group is a single row (--rows-per-file 1, a
    long clip alone): `datasets` pools such rows across files (ArrowWriter.write_row)."""
    import datasets

    from bimotion.prepare import parquet, prepare
    from loaders import testing

    raw = testing.make_corpus("csed", tmp_path / "raw", size="full")  # 652 clips: splits of 52 to 400 rows
    if row_groups == "uneven":  # row groups bounded by the bytes of four clips of the median's: of 3 or 4 rows
        first = prepare({"csed": raw}, tmp_path / "first", progress=False).out_dir
        tables = [pq.read_table(f, columns=["audio"]) for f in (first / "data").rglob("*.parquet")]
        sizes = sorted(len(b) for t in tables for b in t["audio"].combine_chunks().field("bytes").to_pylist())
        monkeypatch.setattr(parquet, "ROW_GROUP_MAX_BYTES", 4 * sizes[len(sizes) // 2])
    out = prepare({"csed": raw}, tmp_path / "out", progress=False).out_dir
    if row_groups == "uneven":
        groups = [pq.ParquetFile(f).metadata for f in (out / "data").rglob("*.parquet")]
        groups = [[m.row_group(i).num_rows for i in range(m.num_row_groups)] for m in groups]
        assert any(max(g) > g[0] for g in groups)  # a row group larger than the first: batches split it
    card = datasets.load_dataset_builder(str(out), "zho_eld", cache_dir=str(tmp_path / "cache")).info
    loaded = datasets.load_dataset(
        str(out), "zho_eld", cache_dir=str(tmp_path / "cache"), verification_mode="all_checks"
    )
    recorded = json.loads((Path(loaded["train"].cache_files[0]["filename"]).parent / "dataset_info.json").read_text())
    assert {split: info.num_bytes for split, info in card.splits.items()} == {
        split: info["num_bytes"] for split, info in recorded["splits"].items()
    }
    assert card.dataset_size == recorded["dataset_size"] > 0


def test_num_bytes_is_read_by_arrow_from_the_path(tmp_path, monkeypatch):
    """A worker killed for memory ended `prepare` with its error and exit 2, then, once in CI, the
    process aborted ("terminate called without an active exception", exit -6): the count read the file
    through a Python file object, which Arrow's I/O threads read and release holding the GIL, and one
    still doing so at the interpreter's shutdown is ended mid-call (as gloo's were, training.processes).  The count
    now hands Arrow the path (no Python object for its threads to read or release) and is the same."""
    import builtins

    from bimotion.prepare.parquet import arrow_num_bytes

    files = ParquetFiles(tmp_path, SCHEMA)
    for n in range(ROWS_PER_ROW_GROUP + 7):  # two row groups, of 100 and 7 rows
        files.add("data/c/g/train", _row(n, 10 + n))
    [(_, final)] = files.close().items()
    path = tmp_path / final
    with open(path, "rb") as f:  # as datasets reads it: a Python file object, its batches' nbytes summed
        import pyarrow.dataset as ds

        fragment = ds.ParquetFileFormat().make_fragment(f)
        batches = fragment.to_batches(batch_size=fragment.row_groups[0].num_rows)
        expected = sum(pa.Table.from_batches([b]).combine_chunks().nbytes for b in batches)
    python_open = builtins.open

    def refuse(file, *args, **kwargs):
        if Path(file) == path:
            raise AssertionError(f"{path} opened as a Python file object")
        return python_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    assert arrow_num_bytes(path) == expected > 0


def test_a_run_that_fails_mid_file_closes_the_file_it_was_writing(tmp_path, monkeypatch):
    """A bad clip (silent) raised once a file had a row group written: the ParquetWriter of that file
    stayed open in the exception's frames, to be closed whenever the garbage collector or the
    interpreter's exit reached it (Ctrl-C, a full disk, a killed worker alike), writing into a removed
    folder.  Now a failed run closes it before the error reaches the caller."""
    import gc

    import numpy as np
    import soundfile

    from bimotion.prepare import parquet, prepare
    from loaders import BadFileError, testing

    monkeypatch.setattr(parquet, "ROWS_PER_ROW_GROUP", 1)  # a file's writer is open from its first row
    raw = testing.make_corpus("csed", tmp_path / "raw", size="full")
    path = sorted(raw.rglob("*.wav"))[300]
    path.unlink()  # the fixture links clips of one voice: this one alone goes silent
    soundfile.write(path, np.zeros(16000, dtype=np.int16), 16000)  # silent: refused without skip_bad
    with pytest.raises(BadFileError, match="silent") as failure:
        prepare({"csed": raw}, tmp_path / "out", progress=False)
    assert failure.value.path == path  # the failure is held, with its frames
    frames = {f.f_code.co_name: f.f_locals for f, _ in __import__("traceback").walk_tb(failure.tb)}
    run = frames["_write_rows"]
    assert [record for _, record in run["jobs"]].index(run["record"]) > 0  # rows were written before it
    gc.collect()
    assert [w for w in gc.get_objects() if isinstance(w, pq.ParquetWriter) and w.is_open] == []
    assert not (tmp_path / "out").exists()
