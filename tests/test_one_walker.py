"""``bimotion check`` (``layout.folder_files``), ``prepare --overwrite`` (``publish.not_written_by_prepare``) and
``bimotion push`` (``hub_upload.upload_listing``) each walked a prepared folder their own way: check followed a link to
a folder (``loaders.walk.walk_tree``), overwrite and push did not (``os.walk``), so of one folder check said a linked
folder's files were not prepare's while overwrite called the folder prepare's alone and push sent none of them (a
``data/`` moved to another disk and linked: its shards were not sent, unsaid).  The three now make one walk
(``bimotion.data.walk.walk_listings``): a link to a folder outside the prepared folder is walked as that folder, a
link into it, to it or above it is not, and each folder is listed once; each keeps only its own filter."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

from test_kept_both_listing import _count_listings

from bimotion.data.layout import folder_files
from bimotion.data.publish import not_written_by_prepare
from bimotion.data.walk import walk_listings
from bimotion.hub_upload import upload_listing

SHARD = "train-00000-0123456789abcdef.parquet"


def _prepared(root: Path) -> Path:
    """A prepared folder holding a browser's copy of a user's clip below ``data/``, a macOS zip's ``__MACOSX/``, a link
    to a folder elsewhere (a user's, with a note and a shard), a link into the folder itself and a link above it."""
    out, csed, elsewhere = root / "out", root / "out" / "data" / "csed", root / "elsewhere"
    csed.mkdir(parents=True)
    elsewhere.mkdir()
    (out / "prepare.json").write_text("{}\n")
    (out / "README.md").write_text("card\n")
    (csed / SHARD).write_bytes(b"PAR1")
    (csed / "clip.wav").write_bytes(b"RIFF" + bytes(40))  # a user's own
    shutil.copyfile(csed / "clip.wav", csed / "clip (1).wav")  # Windows's copy of it, its bytes: a browser's
    (out / "__MACOSX" / "data" / "csed").mkdir(parents=True)
    (out / "__MACOSX" / "data" / "csed" / "._clip.wav").write_bytes(b"\x00\x05\x16\x07" + bytes(8))
    (elsewhere / "notes.txt").write_text("mine\n")
    (elsewhere / SHARD).write_bytes(b"PAR1")
    (out / "data" / "moved").symlink_to(elsewhere, target_is_directory=True)  # a folder elsewhere: walked
    (out / "data" / "again").symlink_to(csed, target_is_directory=True)  # into the folder: walked by its own path
    (out / "data" / "up").symlink_to(root, target_is_directory=True)  # above it: a loop, not walked
    return out


def test_check_overwrite_and_push_see_the_same_files_of_one_folder(tmp_path, monkeypatch):
    out = _prepared(tmp_path)
    listed = _count_listings(monkeypatch)
    checked, overwritten, pushed = folder_files(out), not_written_by_prepare(out), upload_listing(out)
    monkeypatch.undo()
    data = ["data/csed/clip.wav", f"data/csed/{SHARD}", "data/moved/notes.txt", f"data/moved/{SHARD}"]
    left = ["__MACOSX/data/csed/._clip.wav", "data/csed/clip (1).wav"]
    assert checked == (data, left)
    # was: data/csed/clip.wav alone; the links not entered are named too (prepare writes none: test_walker_links.py)
    assert overwritten == ["data/again", *(rel for rel in data if not rel.endswith(".parquet")), "data/up"]
    plan, browsers = pushed
    assert [path for path, _ in plan] == ["README.md", "prepare.json", *data]  # was: none of data/moved/
    assert browsers == left
    # each real folder once in each walk, a folder elsewhere by the link's path; no link into the folder or above it
    counts = Counter(os.path.normpath(folder) for folder in listed)
    walked = [out, out / "data", out / "data" / "csed", out / "data" / "moved"]
    macos = [out / "__MACOSX", out / "__MACOSX" / "data", out / "__MACOSX" / "data" / "csed"]  # not by --overwrite
    expected = {**dict.fromkeys(map(str, walked), 3), **dict.fromkeys(map(str, macos), 2)}
    assert dict(counts) == expected, counts  # nothing else: not data/again, data/up, nor elsewhere by its own path


def test_a_data_folder_moved_elsewhere_and_linked_is_checked_and_sent(tmp_path):
    """``data/`` moved to a bigger disk and linked: push's ``os.walk`` did not enter it, so a push sent the card and
    ``prepare.json`` but no shard, unsaid; the three now see its files, by their paths in the prepared folder."""
    out, disk = tmp_path / "out", tmp_path / "disk" / "data"
    (disk / "csed").mkdir(parents=True)
    out.mkdir()
    (out / "prepare.json").write_text("{}\n")
    (disk / "csed" / SHARD).write_bytes(b"PAR1")
    (disk / "csed" / "mine.txt").write_text("mine\n")
    (out / "data").symlink_to(disk, target_is_directory=True)
    assert folder_files(out) == (["data/csed/mine.txt", f"data/csed/{SHARD}"], [])
    assert not_written_by_prepare(out) == ["data/csed/mine.txt"]
    assert [path for path, _ in upload_listing(out)[0]] == ["prepare.json", "data/csed/mine.txt", f"data/csed/{SHARD}"]


def test_the_walk_enters_each_real_folder_once_whatever_its_links(tmp_path):
    """Two links to one folder elsewhere, one to a folder inside it and one from it back to the walked folder: each
    real folder is listed once (the first link in name order names it), no loop is followed."""
    root, other = tmp_path / "root", tmp_path / "other"
    (other / "sub").mkdir(parents=True)
    root.mkdir()
    (other / "sub" / "a.txt").write_text("a\n")
    (other / "back").symlink_to(root, target_is_directory=True)
    (root / "b").symlink_to(other, target_is_directory=True)
    (root / "a").symlink_to(other / "sub", target_is_directory=True)
    (root / "c").symlink_to(other, target_is_directory=True)
    unlisted: list[OSError] = []
    walked = [(listing.rel, sorted(listing.files)) for listing in walk_listings(root, unlisted.append)]
    assert walked == [("", []), ("a", ["a.txt"]), ("b", [])] and unlisted == []


def test_a_folder_it_cannot_list_goes_to_onerror_by_the_path_walked(tmp_path):
    """A folder that cannot be listed (here: gone between the listing of its parent and its own) goes to ``onerror``,
    named by its path below the folder walked; the walk goes on."""
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "b" / "x.txt").write_text("x\n")
    unlisted: list[OSError] = []
    walked = []
    for listing in walk_listings(root, unlisted.append):
        walked.append(listing.rel)
        if listing.rel == "":
            (root / "a").rmdir()
    assert walked == ["", "b"] and [err.filename for err in unlisted] == [str(root / "a")]
