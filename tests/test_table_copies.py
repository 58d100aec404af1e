"""A second copy of a table beside it, as Finder or Explorer names one (``VideoDemographics copy.csv``,
``dev_labels - Copy.txt``; Finder's "Keep Both" ``0001 2.txt`` with the table's bytes), is not read and was counted
among the other files, not audio, without a word: a user who edited the copy took it for read, and the summary
took it for a stray.  It is named in one warning as what it is, a copy of that table, not read, and counted so in
the scan's summary (``table_copy``: "copies of a table beside it (not read)"), no longer among the other files, not
audio, whose count then disagreed with the warning; every file seen is still accounted for once, and none is a skip."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import loaders
from loaders import testing
from loaders.errors import InputWarning, display
from loaders.skips import SkipReport

CASES = [  # (reader, a table it reads, the copy's name, the same bytes as the table)
    ("crema_d", "VideoDemographics.csv", "VideoDemographics copy.csv", False),  # beside the folder read: not_read
    ("crema_d", "VideoDemographics.csv", "VideoDemographics 2.csv", True),  # Finder's "Keep Both", its bytes
    ("esd", "0001.txt", "0001 - Copy.txt", False),  # beside the clips, not a candidate: Collector.walk
    ("elderreact", "dev_labels.txt", "dev_labels copy.txt", False),  # a candidate: Collector.left_copy
    ("yuemotion", "train_metadata.csv", "train_metadata (1).csv", False),
    ("audiofolder", "label_map.json", "label_map copy.json", False),
]


@pytest.mark.parametrize(("name", "table", "copy_name", "same"), CASES, ids=lambda v: str(v))
def test_a_copy_of_a_table_beside_it_is_named_as_a_copy_not_read(tmp_path, name, table, copy_name, same):
    corpus = "carehome" if name == "audiofolder" else name
    root = testing.make_corpus(name, tmp_path / "raw")
    before = SkipReport()
    records = loaders.load(corpus, root, report=before)
    original = min(root.rglob(table))
    copy = original.with_name(copy_name)
    copy.write_bytes(original.read_bytes() + (b"" if same else b"\n"))  # edited: other bytes than the table's
    report = SkipReport()
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        again = loaders.load(corpus, root, report=report)
    assert [r.id for r in again] == [r.id for r in records] and not report  # no skip, nothing else read
    kinds = ("seen", "not_audio", "table_copy", "duplicate", "read")
    counted = {kind: report.files[(corpus, kind)] - before.files[(corpus, kind)] for kind in kinds}
    assert counted == {"seen": 1, "not_audio": 0, "table_copy": 1, "duplicate": 0, "read": 0}
    copies = [w for w in said if issubclass(w.category, InputWarning) and copy_name in str(w.message)]
    assert [str(w.message) for w in copies] == [
        f"{corpus}: {display(copy)}: named as a browser or a file manager names a second copy of a file beside it "
        f"({original.name}), and not audio: a copy of {original.name}, not read (counted as copies of a table beside it); "
        "delete the copies to silence this (if a copy holds what the table should, save it under the table's name)"
    ]
    assert Path(copies[0].filename).resolve() == Path(__file__).resolve()  # it points at the caller of load


def test_a_file_named_like_a_copy_of_no_file_beside_it_is_only_not_audio(tmp_path):
    """``notes (1).txt`` with no ``notes.txt`` beside it (and ``notes 2.txt``, Finder's "Keep Both" name, beside a
    ``notes.txt`` of other bytes: a file of its own) is no copy of anything there: counted as not audio, unsaid."""
    root = testing.make_corpus("crema_d", tmp_path / "raw")
    (root / "notes (1).txt").write_text("a note\n")
    (root / "notes.TXT.bak").write_text("a note\n")
    (root / "todo.txt").write_text("to do\n")
    (root / "todo 2.txt").write_text("to do, too\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaders.load("crema_d", root)


def test_the_summary_counts_table_copies_on_their_own_line_and_every_file_once(tmp_path):
    """The scan's summary said "other files (not audio) 3" of CREMA-D's two table copies and a README, while the
    warning named the two as copies not read: it now counts them apart, "copies of a table beside it (not read) 2",
    beside "other files (not audio) 1"; they are no skips, and seen = read + not audio + table copies + the rest."""
    root = testing.make_corpus("crema_d", tmp_path / "raw")
    before = SkipReport()
    loaders.load("crema_d", root, report=before)
    table = root / "VideoDemographics.csv"
    (root / "VideoDemographics copy.csv").write_bytes(table.read_bytes() + b"\n")  # beside the folder read: not_read
    (root / "VideoDemographics 2.csv").write_bytes(table.read_bytes())  # Finder's "Keep Both", the table's bytes
    (root / "README.txt").write_text("my notes\n")
    report = SkipReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaders.load("crema_d", root, report=report)
    n = {kind: report.files[("crema_d", kind)] - before.files[("crema_d", kind)] for _, kind in report.files}
    assert {kind: k for kind, k in n.items() if k} == {"seen": 3, "not_audio": 1, "table_copy": 2}
    assert not report and not report.file_skips  # not a skip: no "Skipped inputs" row in prepare.json or the card
    files = {kind: k for (corpus, kind), k in report.files.items() if corpus == "crema_d"}
    assert files["seen"] == sum(k for kind, k in files.items() if kind not in ("seen", "other_case", "hidden_folder"))
    line = report.format_files()
    assert (
        f"other files (not audio) {files['not_audio']}, " in line and "copies of a table beside it (not read) 2" in line
    )
