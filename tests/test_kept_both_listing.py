"""Finder's "Keep Both" names (``take 2.wav``, :func:`loaders.copies.kept_both`) in the readers' walk: each numbered
file's lower names (``take.wav``, ``take 2.wav`` ... ``take 99.wav``) were each stat'ed, some 98 failed stats a file
(about 6 s in a walk of 10,000 numbered recordings, bench/bench_walk.py); they are now looked up in the folder's
listing, which the walk has already made (``Collector.names_in``), and only names there are stat'ed.  So in the
walks of a prepared folder (``bimotion check``) and of a folder pushed (``bimotion push``), which ask
``left_by_browser`` of each file: each folder is listed once, not once more for each numbered name."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

from loaders.base import Collector


def test_the_walk_stats_no_lower_name_that_is_not_in_the_folder(tmp_path, monkeypatch):
    folder = tmp_path / "own"
    folder.mkdir()
    for n in range(1000, 1030):  # a user's numbered recordings: 'clip.wav', 'clip 2.wav' ... are not there
        (folder / f"clip {n}.wav").write_bytes(n.to_bytes(4, "big") * 100)
    (folder / "take.wav").write_bytes(b"a" * 400)
    (folder / "take 7.wav").write_bytes(b"a" * 400)  # its copy: found as before
    stated, stat = [], os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: stated.append(os.fspath(path)) or stat(path, *a, **k))
    c = Collector("crema_d", tmp_path)
    found = c.walk(folder)
    monkeypatch.undo()
    there = {str(path) for path in folder.iterdir()}
    assert [p.name for p in found] == [*(f"clip {n}.wav" for n in range(1000, 1030)), "take.wav"]
    assert c.copies == [(folder / "take 7.wav", "take.wav")]
    assert [p for p in stated if p.startswith(f"{folder}{os.sep}") and p not in there] == []  # was 99 names a clip


def test_a_numbered_file_whose_lower_names_are_only_in_another_folder_is_no_copy(tmp_path):
    """``one/take/x 2.wav`` beside no ``x.wav``, while ``two/take/`` (a folder of the same name, walked in the same
    reading) holds ``x.wav`` of its bytes and ``x 2.wav``: each folder's names are its own, so ``one``'s file is read
    as its own; ``two``'s ``x 2.wav`` is ``two/take/x.wav``'s copy."""
    one, two = tmp_path / "one" / "take", tmp_path / "two" / "take"
    one.mkdir(parents=True)
    two.mkdir(parents=True)
    (two / "x.wav").write_bytes(b"x" * 400)
    shutil.copyfile(two / "x.wav", two / "x 2.wav")
    shutil.copyfile(two / "x.wav", one / "x 2.wav")
    (one / "x.wav").mkdir()  # a folder named so is no file of its bytes
    c = Collector("crema_d", tmp_path)
    found = c.walk(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["one/take/x 2.wav", "two/take/x.wav"]
    assert c.copies == [(two / "x 2.wav", "x.wav")]
    assert c.names_in(one) == frozenset({"x 2.wav"}) and c.names_in(Path(two)) == frozenset({"x.wav", "x 2.wav"})


def test_check_walk_lists_each_folder_of_a_prepared_folder_once(tmp_path, monkeypatch):
    """``bimotion check``'s walk of a prepared folder (``layout.folder_files``) asked ``left_by_browser`` of each file
    with no listing: each numbered name (``clip 1000.txt``, Finder's "Keep Both" form) listed its folder again, 1,000
    listings of a folder of 1,000 such files (bench/bench_walk.py, part 4).  The walk's own listing is passed: each
    folder is listed once, and what is a browser's copy is the same."""
    from bimotion.data import layout

    data = tmp_path / "data" / "notes"
    data.mkdir(parents=True)
    for n in range(1000, 1020):  # numbered, other bytes: no copies
        (data / f"clip {n}.txt").write_bytes(n.to_bytes(4, "big"))
    (data / "take.txt").write_bytes(b"take")
    (data / "take 7.txt").write_bytes(b"take")  # Finder's copy of take.txt: a browser's
    (tmp_path / "README.md").write_text("card\n")
    (tmp_path / "README 2.md").write_text("card\n")  # the same at the top
    (tmp_path / "notes 2.md").write_text("mine\n")  # beside no notes.md: its own
    listed = _count_listings(monkeypatch)
    found = layout.folder_files(tmp_path)
    monkeypatch.undo()
    assert found == (
        sorted(f"data/notes/{p.name}" for p in data.iterdir() if p.name != "take 7.txt"),
        ["README 2.md", "data/notes/take 7.txt"],
    )
    counts = Counter(os.path.normpath(folder) for folder in listed)
    # was 22 listings of data/notes/ and 3 of the top
    assert counts[str(data)] == counts[str(tmp_path)] == max(counts.values()) == 1


def test_push_lists_each_folder_of_a_model_folder_once(tmp_path, monkeypatch):
    """``bimotion push``'s walk (``hub_upload.upload_listing``) asked ``left_by_browser`` of each file with no listing: each
    numbered name (``eval 1000.json``) listed its folder again.  The walk's own listing is passed: each folder is
    listed once, and a Finder copy with its file's bytes is still not sent."""
    from bimotion.hub_upload import upload_listing

    evals = tmp_path / "eval"
    evals.mkdir()
    for n in range(1000, 1020):
        (evals / f"eval {n}.json").write_bytes(n.to_bytes(4, "big"))
    (tmp_path / "README.md").write_text("card\n")
    (tmp_path / "README 2.md").write_text("card\n")  # Finder's copy: a browser's, not sent
    listed = _count_listings(monkeypatch)
    plan, left = upload_listing(tmp_path)
    monkeypatch.undo()
    assert [path for path, _ in plan] == ["README.md", *(f"eval/eval {n}.json" for n in range(1000, 1020))]
    assert left == ["README 2.md"]
    counts = Counter(os.path.normpath(folder) for folder in listed)
    assert counts[str(evals)] == counts[str(tmp_path)] == max(counts.values()) == 1  # was 21 listings of eval/


def _count_listings(monkeypatch) -> list[str]:
    """The folders ``os.listdir`` and ``os.scandir`` list from now on (until ``monkeypatch.undo``), in order."""
    listed = []
    for name in ("listdir", "scandir"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda path=".", _real=real: listed.append(os.fspath(path)) or _real(path))
    return listed
