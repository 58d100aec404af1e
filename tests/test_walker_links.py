"""``bimotion.data.walk.walk_listings`` (the one walk of ``check``, ``prepare --overwrite`` and ``push``) does not enter
a link into the prepared folder, to it or above it, or to a folder walked by another path, and said nothing of it: a
link ``data/x -> OUT/notes`` was not seen by ``check`` (which before that walk reported its files as unlisted data),
was left to ``--overwrite`` to delete, and was passed over by ``push``, unsaid.  Now each listing names such links
(``links``), which each caller words: ``check`` one problem, ``--overwrite`` a file prepare did not write (refused),
``push`` a link not sent (``onlink``).  And a folder that can be listed but not entered (``chmod 600``) with no folder
below it raised nothing in the walk, so ``check`` called each of its files unreadable and never named the folder: the
walk now gives it to ``onerror`` and ``check`` names it once, "cannot enter this folder"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import prepared_csed, unprivileged

from bimotion.data.publish import check_output, not_written_by_prepare
from bimotion.data.walk import walk_listings
from bimotion.hub_upload import upload_listing
from bimotion.verify import verify

MAKE_LISTABLE = "make it readable (chmod u+rx, or run as its owner)"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A real prepared folder: the generated CSED corpus through ``bimotion prepare`` (3 Parquet files, in
    ``data/csed/zho_eld/``, a folder with no folder below it)."""
    return prepared_csed(tmp_path_factory.mktemp("walker_links"))


@pytest.fixture
def linked(prepared):
    """``data/x -> OUT/notes`` (a folder of notes inside the prepared folder), removed after the test."""
    notes, link = prepared / "notes", prepared / "data" / "x"
    notes.mkdir()
    (notes / "mine.txt").write_text("mine\n")
    link.symlink_to(notes, target_is_directory=True)
    yield prepared, link, notes
    link.unlink()
    (notes / "mine.txt").unlink()
    notes.rmdir()


def test_each_listing_names_the_links_it_does_not_enter(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (root / "data" / "notes").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "data" / "in").symlink_to(root / "data" / "notes", target_is_directory=True)
    (root / "data" / "up").symlink_to(tmp_path, target_is_directory=True)
    (root / "data" / "a").symlink_to(elsewhere, target_is_directory=True)  # walked, as data/a
    (root / "data" / "b").symlink_to(elsewhere, target_is_directory=True)  # the same folder again: not
    unlisted: list[OSError] = []
    links = {listing.rel: listing.links for listing in walk_listings(root, unlisted.append)}
    real = os.path.realpath
    assert links == {
        "": {},
        "data": {"in": real(root / "data" / "notes"), "up": real(tmp_path), "b": real(elsewhere)},
        "data/a": {},
        "data/notes": {},
    }
    assert unlisted == []


def test_check_names_a_link_into_the_folder_as_one_problem(linked):
    """Before: check did not see ``data/x`` (nor its files) and the folder passed.  Now it is one problem."""
    out, link, notes = linked
    problems = verify(out, hash_audio=False)["problems"]
    assert problems == [
        f"data/x: a link to {os.path.realpath(notes)}, inside this folder: prepare writes no links; remove it"
    ]


def test_overwrite_refuses_a_folder_holding_a_link_and_push_does_not_send_it(linked):
    """Before: ``--overwrite`` called the folder prepare's (the link unnamed) and ``push`` passed it over unsaid."""
    out, link, notes = linked
    assert "data/x" in not_written_by_prepare(out)
    with pytest.raises(FileExistsError, match=r"holds what prepare did not write \(.*data/x.*\)"):
        check_output(out, overwrite=True)
    said: list[tuple[str, str]] = []
    plan, _ = upload_listing(out, onlink=lambda rel, target: said.append((rel, target)))
    assert said == [("data/x", os.path.realpath(notes))]
    assert "data/x/mine.txt" not in dict(plan) and "notes/mine.txt" in dict(plan)  # sent once, by its own path


def test_check_names_a_folder_with_no_folder_below_it_that_it_cannot_enter_once(prepared):
    """``chmod 600 data/csed/zho_eld`` (its three files, no folder below it).  Before: three problems, "unreadable file
    ... (Permission denied)", and no word of the folder.  Now one problem naming it, "cannot enter this folder"."""
    folder = prepared / "data" / "csed" / "zho_eld"
    argv = unprivileged([sys.executable, "-m", "bimotion.cli", "check", str(prepared), "--no-audio"])
    folder.chmod(0o600)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    problems = proc.stdout.split("1 problem(s):\n", 1)[1].splitlines()
    assert problems == [
        f"  - {folder}: cannot enter this folder (Permission denied), so 3 file(s) prepare.json lists in it could not "
        f"be checked, nor whether it holds files prepare.json does not list: {MAKE_LISTABLE} and check again"
    ]


def test_push_says_it_does_not_send_a_link_inside_the_folder(linked, capsys):
    """Before: ``bimotion push`` passed ``data/x -> OUT/notes`` over without a word (the walk does not enter it); its
    dry run now says it is not sent, and why, among its notes."""
    from bimotion.cli import main

    out, _, notes = linked
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    said = capsys.readouterr().err
    assert f"note: not sent: data/x, a link to {os.path.realpath(notes)}, inside this folder" in said, said
