"""Two cases of a prepared folder's one walk (``bimotion.data.walk.walk_listings``) beside tests/test_walker_links.py.
A link in ``__MACOSX/`` (a macOS zip's leftovers, no one's work) to a folder the walk does not enter was a ``bimotion
check`` problem, as one below ``data/`` is, so the folder failed: it is now a note, as an unlistable ``__MACOSX/`` is
(``bimotion.verify_files.a_problem`` decides both).  And ``prepare --overwrite`` over an output whose
``data/csed/zho_eld`` (no folder below it) is at ``chmod 600`` refuses, naming that folder (pinned: it already did)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import prepared_csed, unprivileged

from bimotion.verify import verify
from bimotion.verify_report import format_result


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A real prepared folder: the generated CSED corpus through ``bimotion prepare`` (3 Parquet files, in
    ``data/csed/zho_eld/``, a folder with no folder below it); its raw corpus is ``../raw/csed``."""
    return prepared_csed(tmp_path_factory.mktemp("walker_links_notes"))


@pytest.fixture
def macos_link(prepared):
    """``__MACOSX/x -> OUT/data`` (a folder inside the prepared folder), removed after the test."""
    macos = prepared / "__MACOSX"
    macos.mkdir()
    (macos / "x").symlink_to(prepared / "data", target_is_directory=True)
    yield prepared
    (macos / "x").unlink()
    macos.rmdir()


def test_check_notes_a_link_in_macosx_and_passes(macos_link):
    """Before: "__MACOSX/x: a link to ..., inside this folder: prepare writes no links; remove it", a problem, and
    check failed on a macOS zip's leftovers.  Now it is a note, after the counts, and the folder passes."""
    out = macos_link
    result = verify(out, hash_audio=False)
    note = (
        f"__MACOSX/x: a link to {os.path.realpath(out / 'data')}, inside this folder, not entered: a macOS zip's "
        "leftovers, not part of the dataset"
    )
    assert result["problems"] == []
    assert result["folder_notes"] == [note]
    assert note in format_result(result).splitlines() and format_result(result).endswith("\nOK")


def test_a_link_below_data_is_still_a_problem(prepared):
    """The same link below ``data/`` stays a problem (the note is ``__MACOSX/``'s alone)."""
    link = prepared / "data" / "x"
    link.symlink_to(prepared / "data" / "csed", target_is_directory=True)
    try:
        result = verify(prepared, hash_audio=False)
    finally:
        link.unlink()
    assert result["problems"] == [
        f"data/x: a link to {os.path.realpath(prepared / 'data' / 'csed')}, inside this folder: prepare writes no "
        "links; remove it"
    ]
    assert result["folder_notes"] == []


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_prepare_overwrite_refuses_a_data_folder_with_no_folder_below_it_it_cannot_enter(prepared):
    """``chmod 600 data/csed/zho_eld`` (three Parquet files, no folder below it), as a user without root's privileges:
    ``--overwrite`` refuses (exit 2), naming that folder, "cannot enter this folder", and replaces nothing."""
    csed, folder = prepared.parent / "raw" / "csed", prepared / "data" / "csed" / "zho_eld"
    before = _files(prepared)
    argv = [sys.executable, "-m", "bimotion.cli", "prepare", "-q", "--source", f"csed={csed}", "-o", str(prepared)]
    folder.chmod(0o600)
    try:
        proc = subprocess.run(unprivileged([*argv, "--overwrite"]), capture_output=True, text=True, timeout=300)
    finally:
        for dirpath, _, _ in os.walk(prepared.parent):  # root lists them all; a run that went on may have moved it
            os.chmod(dirpath, 0o755)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == (
        f"error: {folder}: cannot enter this folder (Permission denied), so what it holds cannot be told from what "
        "prepare wrote, and --overwrite would delete it: make it readable (chmod u+rx, or run as its owner) and run "
        f"again, or move it out of {prepared}"
    )
    assert _files(prepared) == before  # nothing replaced
    assert sorted(p.name for p in prepared.parent.iterdir()) == ["out", "raw"]  # no lock or temporary folder left
