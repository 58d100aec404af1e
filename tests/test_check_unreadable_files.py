"""``bimotion check`` of a prepared folder with a listed file it cannot read.

A Parquet file at ``chmod 000`` stopped check with exit 2 (``error: OUT: cannot read FILE (Permission denied)``) and
the rest of the report was lost; it is now one problem naming the file and the fix, the other files are checked,
exit 1.  And of a corpus of one's own split by its ``split`` column, check compared prepare.json's count of speakers
in more than one split (``user_split_shared_speakers``) with a recount from only the files it read: a missing,
unreadable or unlistable file made the counts differ, and check added a false "a file was replaced or edited since
`bimotion prepare`" problem on top of the true one; such a corpus's count is now said not to be compared."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import unprivileged

from bimotion.data.layout import INFO_FILE
from bimotion.prepare import prepare
from bimotion.verify_files import unreadable
from loaders import testing

MAKE_READABLE = "make it and its folders readable (chmod u+rx, or run as its owner)"
REPLACED = "a file was replaced or edited since `bimotion prepare`"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """``home`` with a `split` column that puts one speaker (``ind-eld-s0``) in train and test: prepare.json records
    1 speaker in more than one split; its three Parquet files (one a split) in ``data/home/ind_eld/``."""
    base = tmp_path_factory.mktemp("check_unreadable")
    root = testing.make_corpus("audiofolder", base / "raw", corpus="home", split_column=True,
                               speakers=4, clips_per_speaker=3)  # fmt: skip
    metadata = root / "metadata.csv"
    with metadata.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["speaker_id"] == "ind-eld-s0" and rows[0]["split"] == "train"
    rows[0]["split"] = "test"  # s0's other rows stay in train
    with metadata.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the small group's split note, the shared speaker's
        out = prepare({"home": root}, base / "out", protocol="speaker", num_proc=1, progress=False).out_dir
    assert json.loads((out / INFO_FILE).read_text(encoding="utf-8"))["user_split_shared_speakers"] == {"home": 1}
    return out


def _shard_file(folder: Path, split: str) -> str:
    info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    (rel,) = next(s["files"] for s in info["shards"] if s["split"] == split)
    return rel


def _check(out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "bimotion.cli", "check", str(out), *options]


def _run_locked(path: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """``argv`` as a user without root's privileges (as root, chmod does not stop reading), ``path`` at 000."""
    argv = unprivileged(argv)
    mode = path.stat().st_mode & 0o777
    path.chmod(0o000)
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=300)
    finally:
        path.chmod(mode)


def _problems(stdout: str) -> list[str]:
    head, _, listed = stdout.partition(" problem(s):\n")
    assert listed, stdout
    return [line.removeprefix("  - ") for line in listed.splitlines()]


def _overlap_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("  home ") and "split" in line)


def test_the_folder_as_prepared_checks_as_recorded(prepared):
    proc = subprocess.run(_check(prepared, "--no-audio"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _overlap_line(proc.stdout).endswith(
        "1 of 4 speakers in more than one split (allowed: home's own split column put them there, as prepare.json records)"
    )


def test_a_missing_split_file_is_its_one_problem_and_the_count_is_not_compared(prepared, tmp_path):
    """Before: the recount without the test file (0 shared) against prepare.json's 1 was a second problem, "a file
    was replaced or edited", and the overlap line said PROBLEM.  Now only the missing file."""
    folder = Path(shutil.copytree(prepared, tmp_path / "copy"))
    gone = _shard_file(folder, "test")
    (folder / gone).unlink()
    proc = subprocess.run(_check(folder, "--no-audio"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert _problems(proc.stdout) == [f"missing file {gone}: copy the whole folder again, or prepare the dataset again"]
    line = _overlap_line(proc.stdout)
    assert line.endswith("; not counted against prepare.json: 1 of its files could not be checked)"), line
    assert "PROBLEM" not in proc.stdout and REPLACED not in proc.stdout


def test_an_unlistable_data_folder_is_its_one_problem_and_the_count_is_not_compared(prepared):
    """Before: ``chmod 000 data/home/ind_eld``: the folder's problem, and a false "replaced or edited" one (no file
    read: no speaker ids, against prepare.json's 1).  Now only the folder's."""
    folder = prepared / "data" / "home" / "ind_eld"
    proc = _run_locked(folder, _check(prepared, "--no-audio"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    (problem,) = _problems(proc.stdout)
    assert problem.startswith(f"{folder}: cannot list this folder (Permission denied), so 3 file(s)"), problem
    line = _overlap_line(proc.stdout)
    assert line.endswith("; not counted against prepare.json: 3 of its files could not be checked)"), line
    assert "PROBLEM" not in proc.stdout and REPLACED not in proc.stdout


def test_an_unreadable_shard_is_one_problem_and_the_others_are_checked(prepared):
    """Before: exit 2, ``error: OUT: cannot read FILE (Permission denied)``, no report.  Now the file is one problem
    with the fix, the other files are read (their rows counted, an unlisted file beside them still found), exit 1."""
    locked = _shard_file(prepared, "train")
    stray = prepared / "data" / "home" / "ind_eld" / "stray.parquet"
    shutil.copyfile(prepared / _shard_file(prepared, "test"), stray)
    try:
        proc = _run_locked(prepared / locked, _check(prepared))
    finally:
        stray.unlink()
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    assert _problems(proc.stdout) == [
        f"unreadable file {locked} (Permission denied): {MAKE_READABLE}",
        "unlisted file data/home/ind_eld/stray.parquet (left by an interrupted run?): remove it; prepare.json lists "
        "every file prepare wrote",
    ]
    assert " rows in 2 files" in proc.stdout.splitlines()[0]
    row = next(line.split() for line in proc.stdout.splitlines() if line.startswith("  home "))  # its rows per split
    assert row[1] == "0" and int(row[2]) > 0 and int(row[3]) > 0, row  # train unread; validation, test read
    assert "not counted against prepare.json: 1 of its files could not be checked" in _overlap_line(proc.stdout)


def test_an_unreadable_card_is_one_problem_and_the_files_are_checked(prepared):
    """Before: ``chmod 000 README.md`` ended check with exit 2 (``error: OUT: cannot read OUT/README.md``) and no
    report, though exit 2 is promised only where OUT or its prepare.json cannot be read.  Now the card is one
    problem, in the words of any unreadable file, the files are read, exit 1."""
    proc = _run_locked(prepared / "README.md", _check(prepared, "--no-audio"))
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    assert _problems(proc.stdout) == [f"unreadable file README.md (Permission denied): {MAKE_READABLE}"]
    assert " rows in 3 files" in proc.stdout.splitlines()[0]


def test_a_changed_file_is_counted_as_not_checked(prepared, tmp_path):
    """A split file whose bytes changed is readable, but not read: the overlap line counted it among the files that
    "could not be read"; it says "could not be checked"."""
    folder = Path(shutil.copytree(prepared, tmp_path / "copy"))
    changed = _shard_file(folder, "test")
    with (folder / changed).open("ab") as f:
        f.write(b"\0")
    proc = subprocess.run(_check(folder, "--no-audio"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert _problems(proc.stdout) == [
        f"changed file {changed}: its bytes are not those prepare wrote; prepare the dataset again"
    ]
    line = _overlap_line(proc.stdout)
    assert line.endswith("; not counted against prepare.json: 1 of its files could not be checked)"), line


def test_a_file_pyarrow_cannot_open_for_its_permissions_gets_the_permission_fix():
    """pyarrow's PermissionError carries its whole message as its strerror; the problem says the errno's words."""
    err = PermissionError(13, "Failed to open local file 'x.parquet'. Detail: [errno 13] Permission denied")
    assert unreadable("data/x.parquet", err) == f"unreadable file data/x.parquet (Permission denied): {MAKE_READABLE}"
    damaged = OSError("Couldn't deserialize thrift:\n TProtocolException: Invalid data")
    assert unreadable("data/x.parquet", damaged) == (
        "unreadable file data/x.parquet (Couldn't deserialize thrift: TProtocolException: Invalid data): "
        "prepare the dataset again"
    )
