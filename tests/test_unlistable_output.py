"""``prepare --overwrite`` refuses a prepared folder holding files prepare did not write
(``publish.not_written_by_prepare``); a folder in it that could not be listed (``chmod 000``) was passed over without
a word (``os.walk``, as ``Path.rglob`` before it), so the look said "nothing foreign" of a folder it could not read,
and the run went on to delete it.  It is now an error naming that folder and the fix, and nothing is replaced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import unprivileged

from loaders import testing


def _prepared(out: Path) -> None:
    """A prepared folder as ``check_output`` sees one: ``prepare.json``, a card, ``data/csed/*.parquet``, and a folder
    of a user's notes below ``data/``."""
    (out / "data" / "csed" / "notes").mkdir(parents=True)
    (out / "prepare.json").write_text("{}\n")
    (out / "README.md").write_text("card\n")
    (out / "data" / "csed" / "train-00000-0000000000000000.parquet").write_bytes(b"PAR1")
    (out / "data" / "csed" / "notes" / "mine.txt").write_text("a user's own\n")


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "locked, mode, away",
    [
        ("data/csed/notes", 0o000, "move it out of {out}"),
        (".", 0o300, "choose another --output"),
        (".", 0o600, "choose another --output"),
        ("data/csed", 0o600, "move it out of {out}"),
    ],
    ids=["below-data", "the-output-itself", "the-output-not-entered", "a-data-folder-not-entered"],
)
def test_prepare_overwrite_names_a_folder_it_cannot_list_and_replaces_nothing(tmp_path, locked, mode, away):
    """As a user without root's privileges (as root, chmod does not stop listing): a folder below ``data/`` that
    cannot be listed went unsaid and ``--overwrite`` replaced the folder (exit 0); the output itself, writable and
    searchable but not readable, was a PermissionError reported as its parent "not writable".  A folder that can be
    read but not entered (``chmod 600``): the output itself was said "not writable" (``is_prepared`` raised before
    the walk), and of ``data/csed`` the walk named ``data/csed/notes`` (``drwxr-xr-x``), whose chmod changes nothing;
    now each names the folder at 600, that it cannot be entered, and the fix."""
    csed = testing.make_corpus("csed", tmp_path / "raw" / "csed")
    out = tmp_path / "out"
    _prepared(out)
    before = _files(out)
    folder = (out / locked) if locked != "." else out
    argv = [sys.executable, "-m", "bimotion.cli", "prepare", "-q", "--source", f"csed={csed}", "-o", str(out)]
    argv = unprivileged([*argv, "--overwrite"])
    folder.chmod(mode)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    finally:
        for dirpath, _, _ in os.walk(tmp_path):  # root lists them all; a run that went on may have moved the folder
            os.chmod(dirpath, 0o755)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    verb = "enter" if mode == 0o600 else "list"
    assert proc.stderr.strip() == (
        f"error: {folder}: cannot {verb} this folder (Permission denied), so what it holds cannot be told from what "
        "prepare wrote, and --overwrite would delete it: make it readable (chmod u+rx, or run as its owner) and run "
        f"again, or {away.format(out=out)}"
    )
    assert _files(out) == before  # nothing replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "raw"]  # no lock or temporary folder left


def test_a_readable_prepared_folder_is_looked_at_as_before(tmp_path):
    """The same folder, readable: the user's notes are named, as before."""
    from bimotion.data.publish import not_written_by_prepare

    out = tmp_path / "out"
    _prepared(out)
    assert not_written_by_prepare(out) == ["data/csed/notes/mine.txt"]
