"""Two look-ups that listed a folder once for each file they asked of, now given the listing their walk made:
``prepare --overwrite``'s look at what an existing prepared folder holds (``publish.not_written_by_prepare``: each
numbered name below ``data/``, ``clip 1000.wav``, listed its folder again, and ``Path.rglob`` listed each folder
twice), and a built-in corpus's walk asking of each clip named as a second copy whether the file it names is there in
other letters (``loaders.lone.lone_copy``: each such clip listed its folder twice).  What they find is the same;
bench/bench_walk.py parts 5 and 6 time them.  So too the look of each file of a copied folder for its counterpart in
other letters (``loaders.copies.original_of``: ``Angry - Copy/a.wav``'s ``Angry/A.WAV``, ``Angry/`` listed a file)."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from test_kept_both_listing import _count_listings

from bimotion.data.publish import not_written_by_prepare
from loaders.base import Collector
from loaders.copies import in_other_letters
from loaders.errors import BadFileError


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
    (out / "data" / "linked").symlink_to(out / ".git", target_is_directory=True)  # into the folder: not walked, named
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
        "data/linked",  # prepare writes no links (tests/test_walker_links.py)
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


def _lone_corpus(root: Path) -> None:
    """Clips named as second copies whose originals are gone, in two folders, beside a copy of a file that is there."""
    for folder in (root / "one", root / "two"):
        folder.mkdir(parents=True)
        for n in range(1000, 1015):
            (folder / f"clip {n} (1).wav").write_bytes(n.to_bytes(4, "big") * 25)
    (root / "one" / "x.wav").write_bytes(b"x" * 100)
    (root / "one" / "X 2.wav").write_bytes(b"x" * 100)  # x.wav's copy in other letters: no lone copy
    (root / "two" / "y (1).wav").write_bytes(b"y" * 100)
    (root / "two" / "y 2.wav").write_bytes(b"y" * 100)  # two lone copies of y.wav, one content: read once


def test_lone_copies_walk_lists_each_folder_once(tmp_path, monkeypatch):
    """A built-in corpus's walk (``Collector.walk(..., lone=True)``) asked ``lone_copy`` of each clip named as a second
    copy, twice (the walk, then ``lone_copies``), each call listing the clip's folder to look for its original in other
    letters: 35 listings of ``two/`` here, 2,000 for 1,000 such clips (bench/bench_walk.py part 6).  The walk's
    listing is passed: each folder is listed once, and the same clips are read as the same originals."""
    root = tmp_path / "corpus"
    _lone_corpus(root)
    c = Collector("crema_d", root)
    listed = _count_listings(monkeypatch)
    found = c.walk(root, lone=True)
    monkeypatch.undo()
    one, two = root / "one", root / "two"
    lone = {f"clip {n} (1).wav": f"clip {n}.wav" for n in range(1000, 1015)}
    assert [p.relative_to(root).as_posix() for p in found] == [
        *(f"one/{name}" for name in lone),
        "one/x.wav",
        *(f"two/{name}" for name in lone),
        "two/y (1).wav",
    ]
    expected = {str(folder / copy): (folder / name) for folder in (one, two) for copy, name in lone.items()}
    assert {path: original for path, (original, _) in c.lone.items()} == {
        **expected,
        str(two / "y (1).wav"): two / "y.wav",
    }
    assert c.copies == [(one / "X 2.wav", "x.wav"), (two / "y 2.wav", "y (1).wav")]
    counts = Counter(os.path.normpath(folder) for folder in listed)
    assert counts[str(one)] == counts[str(two)] == max(counts.values()) == 1, counts  # was 32 and 35


def test_lone_copies_of_other_bytes_are_still_each_a_copy_name_error(tmp_path):
    """Two lone copies of one clip with other bytes: neither is read, each a ``copy_name`` naming the other, as before
    the listing was passed."""
    root = tmp_path / "corpus"
    _lone_corpus(root)
    (root / "two" / "y 2.wav").write_bytes(b"z" * 100)
    with pytest.raises(BadFileError) as err:
        Collector("crema_d", root).walk(root, lone=True)
    assert err.value.reason == "copy_name" and err.value.path == root / "two" / "y (1).wav"
    assert "there is no y.wav beside it; y 2.wav, named as its copy too, holds other bytes" in str(err.value)
    shutil.rmtree(root / "one")
    c = Collector("crema_d", root, skip_bad=True)
    found = c.walk(root, lone=True)
    assert [p.name for p in found] == [f"clip {n} (1).wav" for n in range(1000, 1015)]
    assert [reason for reason, _ in c.skips] == ["copy_name", "copy_name"]


def test_in_other_letters_finds_the_same_file_with_a_listing_or_without(tmp_path):
    """The file named in other letters is the first in name order of the files so named, whether the folder's names
    are passed as a walk's listing (a frozenset, looked up by its letters), another container, or listed here."""
    for name in ("Take.wav", "TAKE.wav", "take.WAV.txt", "other.wav"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "take.WAV").mkdir()  # a folder so named is no file
    listing = frozenset(os.listdir(tmp_path))
    for names in (None, listing, frozenset(listing), sorted(listing)):  # an equal listing of another walk too
        assert in_other_letters(tmp_path / "take.wav", names) == tmp_path / "TAKE.wav"
        assert in_other_letters(tmp_path / "OTHER.WAV", names) == tmp_path / "other.wav"
        assert in_other_letters(tmp_path / "none.wav", names) is None
    assert in_other_letters(tmp_path / "take.wav", listing - {"TAKE.wav"}) == tmp_path / "Take.wav"  # its names only


def test_in_other_letters_reads_a_walks_listing_through_once(tmp_path):
    """Given a walk's listing, ``in_other_letters`` put each of the folder's names in one case for each file asked
    (1,000 names x 2,000 calls in a walk of 1,000 lone copies: bench/bench_walk.py part 6, still growing with the
    square of the count once the folder was no longer listed per call); now once per listing."""
    folded = []

    class Name(str):  # the real casefold, counted
        def casefold(self) -> str:
            folded.append(str(self))
            return str.casefold(self)

    names = frozenset(Name(f"clip {n}.wav") for n in range(100))
    asked = [tmp_path / f"CLIP {n}.WAV.txt" for n in range(10)]  # named in no letters there (a Name is no path's)
    assert [in_other_letters(path, names) for path in asked] == [None] * 10
    assert len(folded) == 100, len(folded)  # was 1,000: each name for each file asked


def test_a_lone_copy_alone_is_not_read_by_the_walk(tmp_path, monkeypatch):
    """``lone_copies`` read every lone copy's bytes (a SHA-256 of each clip, the whole of a corpus whose originals were
    all renamed), though only several copies of one clip are compared; now only those are read."""
    from loaders import copies

    root = tmp_path / "corpus"
    _lone_corpus(root)
    read, real = [], copies.sha256_of
    monkeypatch.setattr(copies, "sha256_of", lambda path: read.append(Path(path).name) or real(path))
    c = Collector("crema_d", root)
    found = c.walk(root, lone=True)
    monkeypatch.undo()
    assert len(found) == 32 and len(c.lone) == 31
    # the two copies of y.wav, compared; 'X 2.wav' and the x.wav it copies (kept_both); was these and 30 clips more
    assert sorted(read) == ["X 2.wav", "x.wav", "y (1).wav", "y 2.wav"]


def test_a_copied_folders_walk_lists_its_original_folder_once(tmp_path, monkeypatch):
    """``original_of`` looked for each file of a copied folder (``Angry - Copy/``) whose counterpart is not in
    ``Angry/`` under its exact name in other letters by listing ``Angry/`` again: 22 listings of it here, the walk's and one a file.
    The walk's listing is passed (``Collector.names_in``): ``Angry/`` is listed once, and the same files are the
    same copies of the same originals, or read as their own."""
    root = tmp_path / "corpus"
    angry, copy = root / "Angry", root / "Angry - Copy"
    angry.mkdir(parents=True)
    copy.mkdir()
    for n in range(1000, 1020):  # renamed in other letters in the original folder, as a FAT copy does
        (angry / f"CLIP {n}.WAV").write_bytes(n.to_bytes(4, "big") * 25)
        (copy / f"clip {n}.wav").write_bytes(n.to_bytes(4, "big") * 25)
    (copy / "own.wav").write_bytes(b"own" * 30)  # no counterpart in any letters: a file of its own
    c = Collector("crema_d", root)
    listed = _count_listings(monkeypatch)
    found = c.walk(root, suffixes=(".wav", ".WAV"))
    monkeypatch.undo()
    assert [p.relative_to(root).as_posix() for p in found] == [
        "Angry - Copy/own.wav",
        *(f"Angry/CLIP {n}.WAV" for n in range(1000, 1020)),
    ]
    assert c.copies == [(copy / f"clip {n}.wav", f"Angry/CLIP {n}.WAV") for n in range(1000, 1020)]
    counts = Counter(os.path.normpath(folder) for folder in listed)
    assert counts[str(angry)] == counts[str(copy)] == max(counts.values()) == 1, counts  # was 22 listings of Angry/


def test_the_walk_asks_lone_copy_once_of_each_clip(tmp_path, monkeypatch):
    """``Collector.walk(..., lone=True)`` asked ``lone_copy`` of each clip twice: in the walk (is it a copy to set aside,
    or a lone clip?), then in ``lone_copies`` (of which original?).  ``lone_copies`` now takes the walk's answers: the
    real function, counted, runs once a clip, and the same clips are read as the same originals."""
    from loaders import base, lone

    root = tmp_path / "corpus"
    _lone_corpus(root)
    asked, real = [], lone.lone_copy

    def counted(path, *args, **kwargs):  # the real lone_copy, each call noted
        asked.append(path.relative_to(root).as_posix())
        return real(path, *args, **kwargs)

    monkeypatch.setattr(base, "lone_copy", counted)
    monkeypatch.setattr(lone, "lone_copy", counted)
    c = Collector("crema_d", root)
    found = c.walk(root, lone=True)
    monkeypatch.undo()
    walked = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.wav"))
    assert sorted(asked) == walked and len(asked) == len(set(asked)) == 34, Counter(asked)  # was each twice: 68
    assert len(found) == 32 and c.copies == [
        (root / "one" / "X 2.wav", "x.wav"),
        (root / "two" / "y 2.wav", "y (1).wav"),
    ]
    assert {path: original.name for path, (original, _) in c.lone.items()} == {
        **{str(root / f / f"clip {n} (1).wav"): f"clip {n}.wav" for f in ("one", "two") for n in range(1000, 1015)},
        str(root / "two" / "y (1).wav"): "y.wav",
    }
