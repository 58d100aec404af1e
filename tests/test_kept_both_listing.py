"""Finder's "Keep Both" names (``take 2.wav``, :func:`loaders.copies.kept_both`) in the readers' walk: each numbered
file's lower names (``take.wav``, ``take 2.wav`` ... ``take 99.wav``) were each stat'ed, some 98 failed stats a file
(about 6 s in a walk of 10,000 numbered recordings, bench/bench_walk.py); they are now looked up in the folder's
listing, which the walk has already made (``Collector.names_in``), and only names there are stat'ed."""

from __future__ import annotations

import os
import shutil
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
