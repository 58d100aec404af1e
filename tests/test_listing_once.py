"""A look-up that listed a folder once for each file it asked of, now given the listing its walk made:
``prepare --overwrite``'s look at what an existing prepared folder holds (``publish.not_written_by_prepare``: each
numbered name below ``data/``, ``clip 1000.wav``, listed its folder again, and ``Path.rglob`` listed each folder
twice).  What it finds is the same; bench/bench_walk.py part 5 times it."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from test_kept_both_listing import _count_listings

from bimotion.data.publish import not_written_by_prepare


def _prepared_with_extras(out: Path) -> list[str]:
    """A prepared folder holding, besides prepare's files, a user's and a browser's; what is not prepare's, sorted."""
    shards = out / "data" / "csed"
    shards.mkdir(parents=True)
    (out / "prepare.json").write_text("{}\n")
    (out / "README.md").write_text("card\n")
    (out / "README 2.md").write_text("card\n")  # Finder's copy of the card: a browser's, not named
    (out / "notes 2.md").write_text("mine\n")  # beside no notes.md: a user's own
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    for n in range(3):
        (shards / f"train-0000{n}-{n:016x}.parquet").write_bytes(b"PAR1")
    (shards / "train 2.parquet").write_bytes(b"PAR1")  # a .parquet: prepare's by its name, never asked
    for n in range(1000, 1020):  # numbered, other bytes: a user's own
        (shards / f"clip {n}.txt").write_bytes(n.to_bytes(4, "big"))
    (shards / "take.txt").write_bytes(b"take")
    (shards / "take 7.txt").write_bytes(b"take")  # Finder's copy of take.txt: a browser's
    (shards / "TAKE 3.txt").write_bytes(b"take")  # in other letters: no copy of take.txt (no any_case here)
    (shards / "x (1).txt").write_bytes(b"other")  # a browser's name, other bytes than x.txt: a user's
    (shards / "x.txt").write_bytes(b"x")
    (shards / "extra" / ".cache").mkdir(parents=True)
    (shards / "extra" / ".cache" / "f 2.txt").write_bytes(b"f")  # in a hidden folder: still below data/
    (shards / "extra" / "f.txt").write_bytes(b"f")
    (shards / "extra" / "f 2.txt").write_bytes(b"f")  # Finder's copy, one folder down: a browser's
    (out / "data" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (out / "data" / "linked").symlink_to(out / ".git", target_is_directory=True)  # a link to a folder: not walked
    (out / "data" / "gone.txt").symlink_to(out / "nowhere.txt")  # a link to nothing: named, as a file
    return [  # the top's names, then the files below data/ in the order of their paths' parts
        ".git",
        "notes 2.md",
        "data/csed/TAKE 3.txt",
        *(f"data/csed/clip {n}.txt" for n in range(1000, 1020)),
        "data/csed/extra/.cache/f 2.txt",
        "data/csed/extra/f.txt",
        "data/csed/take.txt",
        "data/csed/x (1).txt",
        "data/csed/x.txt",
        "data/gone.txt",
    ]


def test_overwrite_look_lists_each_folder_of_a_prepared_folder_once(tmp_path, monkeypatch):
    """``not_written_by_prepare`` asked ``left_by_browser`` of each file below ``data/`` with no listing: each numbered
    name (``clip 1000.txt``, Finder's "Keep Both" form) listed ``data/csed/`` again (24 listings here, 5,000 in a folder
    of 5,000 such files: bench/bench_walk.py part 5), and ``Path.rglob`` listed each folder twice.  One ``os.walk`` now
    lists each folder once, its listing passed; the same files are named, in the same order."""
    out = tmp_path / "out"
    expected = _prepared_with_extras(out)
    listed = _count_listings(monkeypatch)
    found = not_written_by_prepare(out)
    monkeypatch.undo()
    assert found == expected
    counts = Counter(os.path.normpath(folder) for folder in listed)
    # was 24 and 3 (the top listed again for 'README 2.md' and 'notes 2.md')
    assert counts[str(out / "data" / "csed")] == counts[str(out)] == 1, counts
    assert max(counts.values()) == 1 and str(out / ".git") not in counts, counts


def test_overwrite_look_still_names_what_is_not_prepares_through_prepare(tmp_path):
    """The error ``prepare --overwrite`` gives is the same: the first five names, then how many more."""
    from bimotion.data.publish import check_output

    out = tmp_path / "out"
    expected = _prepared_with_extras(out)
    with pytest.raises(FileExistsError) as err:
        check_output(out, overwrite=True)
    shown = ", ".join(expected[:5]) + f" and {len(expected) - 5} more"
    assert f"{out} holds what prepare did not write ({shown}), which --overwrite would delete" in str(err.value)
