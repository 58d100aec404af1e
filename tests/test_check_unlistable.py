"""``bimotion check OUT`` walks the prepared folder (``layout.folder_files``); a folder below ``data/`` that it could not
list (``chmod 000``) was passed over without a word (``walk_tree`` with no ``onerror``): check then stopped on a
traceback, or reported each of its files as missing, and never said the folder could not be read.  It is now one problem
naming the folder and the fix (``loaders.unlisted.cannot_list``, ``MAKE_LISTABLE``), counting the files it could not check,
and check exits 1; an unlistable ``__MACOSX/`` (only a file browser's leftovers) is a note."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import prepared_csed, unprivileged

MAKE_LISTABLE = "make it readable (chmod u+rx, or run as its owner)"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A real prepared folder: the generated CSED corpus through ``bimotion prepare`` (3 Parquet files, in
    ``data/csed/zho_eld/``)."""
    return prepared_csed(tmp_path_factory.mktemp("check_unlistable"))


def _run_locked(folder: Path, argv: list[str], mode: int = 0o000) -> subprocess.CompletedProcess:
    """``argv`` as a user without root's privileges (as root, chmod does not stop listing), ``folder`` at ``mode``."""
    argv = unprivileged(argv)
    folder.chmod(mode)
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=300)
    finally:
        folder.chmod(0o755)


def _check(out: Path) -> list[str]:
    return [sys.executable, "-m", "bimotion.cli", "check", str(out), "--no-audio"]


@pytest.mark.parametrize("locked", ["data/csed", "data/csed/zho_eld"])
def test_check_names_a_data_folder_it_cannot_list_and_fails(prepared, locked):
    """Before: a traceback (PermissionError from Path.is_file) and no word of the folder.  Now one problem naming it,
    the fix, and the listed files it could not check; none of them said to be missing."""
    folder = prepared / locked
    proc = _run_locked(folder, _check(prepared))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    problems = proc.stdout.split("1 problem(s):\n", 1)[1].splitlines()
    assert problems == [
        f"  - {folder}: cannot list this folder (Permission denied), so 3 file(s) prepare.json lists in it could not "
        f"be checked, nor whether it holds files prepare.json does not list: {MAKE_LISTABLE} and check again"
    ]
    assert "missing file" not in proc.stdout


def test_check_names_a_data_folder_it_cannot_enter_once(prepared):
    """``chmod 600 data/csed``: it can be read, not entered.  Before: the walk's error of each folder below it
    (``zho_eld``, ``drwxr-xr-x``) was a problem naming that one, whose "chmod u+rx" changed nothing.  Now one problem,
    naming ``data/csed``, that it cannot be entered, and the files below it that could not be checked."""
    folder = prepared / "data" / "csed"
    (folder / "extra").mkdir()  # a second folder below it: its error is the same folder's, said once
    try:
        proc = _run_locked(folder, _check(prepared), 0o600)
    finally:
        (folder / "extra").rmdir()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    problems = proc.stdout.split("1 problem(s):\n", 1)[1].splitlines()
    assert problems == [
        f"  - {folder}: cannot enter this folder (Permission denied), so 3 file(s) prepare.json lists in it could not "
        f"be checked, nor whether it holds files prepare.json does not list: {MAKE_LISTABLE} and check again"
    ]


def test_check_notes_an_unlistable_macos_folder_and_passes(prepared):
    """``__MACOSX/`` holds only what a macOS zip left: that it could not be listed is a note, and the check passes."""
    leftovers = prepared / "__MACOSX" / "data"
    leftovers.mkdir(parents=True)
    (leftovers / "._x.parquet").write_bytes(b"\x00\x05\x16\x07")
    try:
        proc = _run_locked(leftovers.parent, _check(prepared))
    finally:
        shutil.rmtree(leftovers.parent)  # the module's other tests see the folder as prepare wrote it
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert (
        f"{prepared / '__MACOSX'}: cannot list this folder (Permission denied), so what a file browser left in it is "
        f"not counted; {MAKE_LISTABLE} to count it"
    ) in proc.stdout.splitlines()
    assert proc.stdout.rstrip().endswith("OK")


def test_the_walk_without_onerror_names_the_folder(prepared):
    """``layout.browser_leftovers`` (``folder_files`` with no ``onerror``): an OSError naming the folder and the fix,
    not a silent count of the folders it could list."""
    folder = prepared / "data" / "csed"
    code = f"from pathlib import Path; from bimotion.data.layout import browser_leftovers; browser_leftovers(Path({str(prepared)!r}))"
    proc = _run_locked(folder, [sys.executable, "-c", code])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"OSError: {folder}: cannot list this folder (Permission denied), so what it holds is not known: {MAKE_LISTABLE}"
    )


def test_a_readable_folder_checks_as_before(prepared):
    """The same folder, readable: OK, exit 0, no note."""
    proc = subprocess.run(_check(prepared), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cannot list" not in proc.stdout and proc.stdout.rstrip().endswith("OK")


@pytest.mark.parametrize("mode", [0o000, 0o600])
def test_check_of_a_prepared_folder_it_cannot_enter_is_one_error(prepared, mode):
    """Before: a PermissionError traceback from reading prepare.json (check caught only a missing folder and a bad
    record).  Now one ``error:`` line naming what could not be read and the fix, exit 2."""
    proc = _run_locked(prepared, _check(prepared), mode)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {prepared}") and "Permission denied" in line and MAKE_LISTABLE in line, line
