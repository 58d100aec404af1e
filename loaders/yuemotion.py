"""YueMotion: Cantonese emotional speech of adults and elderly speakers (the paper's new corpus).

Raw form, as published on the Hugging Face Hub (``CAiRE/YueMotion``)::

    YueMotion/
      data.tar.bz2                  # the wavs; extract it (this reader never does)
      train_metadata.csv  validation_metadata.csv  test_metadata.csv     # optional
      data/14_m60_08_1.wav ...      # after extraction (any folder depth is fine)

File name ``{speaker:02d}_{f|m}{age}_{sentence:02d}_{label_id}.wav``; label ids 1 anger, 2 happiness,
3 sadness, 4 neutral, 5 fear, 6 disgust.  18 speakers x 10 sentences x 6 emotions = 1080 utterances.

When the three metadata CSVs are present (columns include split, speaker_id, path, gender, age,
sentence_id, label_id, label) they give the official split, every wav must have a row, every row a
wav, and the row must agree with the file name.  Without them the file names alone are read and
``official_split`` is None.  Trees re-sorted into ``{female,male}/{elderly,non_elderly}/`` by the
authors' original loader (which moved the user's files) are read as they are; this reader never
moves, writes or extracts anything.  A wav a FAT copy upper-cased (``14_M60_08_1.WAV``) is
read under the release's id (its row's name, or without the tables the name in small letters), with
a warning; beside the wav named as listed (``14_m60_08_1.wav``), it is that clip's second copy: read once,
or reported (:func:`loaders.copy_reports.case_copies`); one named as its second copy beside no such wav
(``14_m60_08_1 (1).wav``, no ``14_m60_08_1.wav``) is that clip (:mod:`loaders.lone`).  A ``.wav`` below the root whose name does not follow the
pattern is reported (``bad_name``) when it is audio by content.
"""

from __future__ import annotations

import collections
import csv
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .base import Collector
from .errors import SKIP_BAD, SKIP_IT, BadFileError, LayoutError, bad, require_dir
from .labels import CORPUS_LABEL_MAPS
from .lone import read_as
from .metafiles import case_hint, case_matches, csv_text, listed_name, read_text
from .record import Utterance, age_group_of, elderly_min_age
from .skips import SkipReport
from .source import SourceInfo

CORPUS = "yuemotion"
# The authors grouped YueMotion speakers aged 59 or more as elderly (60 everywhere else in the paper);
# only 59 reproduces the published 660 adult / 420 elderly utterances, so it is kept for Cantonese
# (loaders.record.elderly_min_age: every corpus's Cantonese rows, a user's own too).
ELDERLY_MIN_AGE = elderly_min_age("yue")
SPLITS = ("train", "validation", "test")
# matched whole (fullmatch) and in ASCII: a case-blind Unicode match takes 'te\u017ft_metadata.csv' (a long s) for a
# table, of a split 'te\u017ft'
METADATA_NAME = re.compile(r"(train|validation|test)_metadata\.csv", re.IGNORECASE | re.ASCII)
# Loose shape first (so other corpora's wavs below a shared root are left alone), then strict fields; matched whole
# (fullmatch): ``$`` lets a name end in a newline, '14_m60_08_1\n.wav' read as a clip of its own; in ASCII: ``\d``
# takes other scripts' digits, '14_m60_08_１.wav' (a full-width 1) read as one too
NAME = re.compile(
    r"(?P<speaker>\d+)_(?P<gender>[a-z])(?P<age>\d+)_(?P<sentence>\d+)_(?P<label>\w+)", re.IGNORECASE | re.ASCII
)
ARCHIVE = "data.tar.bz2"
EXPECTED = "the YueMotion folder: wavs named like 14_m60_08_1.wav (data.tar.bz2 extracted), optional *_metadata.csv"

INFO = SourceInfo(
    name=CORPUS,
    title="YueMotion: Cantonese speech emotion dataset (adults and elderly)",
    languages=("yue",),
    age_groups=("adu", "eld"),
    expected_count=1080,
    license="CC-BY-SA-4.0",
    url="https://huggingface.co/datasets/CAiRE/YueMotion",
    layout=(
        "YueMotion/\n"
        "  data.tar.bz2 -> extract: <dir>/14_m60_08_1.wav ...\n"
        "  train_metadata.csv  validation_metadata.csv  test_metadata.csv   (optional)"
    ),
    citation=(
        "@inproceedings{cahyawijaya2023crosslingual,\n"
        "  title     = {Cross-Lingual Cross-Age Group Adaptation for Low-Resource Elderly Speech Emotion Recognition},\n"
        "  author    = {Cahyawijaya, Samuel and Lovenia, Holy and Chung, Willy and Frieske, Rita and Liu, Zihan "
        "and Fung, Pascale},\n"
        "  booktitle = {Proc. Interspeech},\n"
        "  year      = {2023}\n"
        "}"
    ),
    notes=(
        f"Age group from the speaker's age with the authors' YueMotion threshold: elderly = age >= "
        f"{ELDERLY_MIN_AGE}, which gives 660 adult and 420 elderly utterances (your own corpus's Cantonese rows are "
        "grouped so too; 60 for the other languages). "
        "Official split (540/162/378) from the metadata CSVs when present: 0.5/0.15/0.35 within each "
        "gender x age group, stratified by emotion; speakers are shared across splits."
    ),
    speech="acted: speakers reading set sentences",
    ages_from="its speakers' ages (in its file names)",
)


@dataclass(frozen=True)
class _Name:
    speaker: int
    gender: str
    age: int
    sentence: int
    label_id: int


@dataclass(frozen=True)
class _Row:
    split: str
    table: Path
    line: int
    values: dict


def load(root, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read YueMotion below ``root`` (see the module docstring)."""
    root = require_dir(root, CORPUS, EXPECTED)
    c = Collector(CORPUS, root, skip_bad=skip_bad, report=report)
    files = c.walk(root, (".wav", ".csv", ".bz2"), lone=(".wav",))  # 'x 2.wav' with no x.wav beside it: read as x
    wavs = [p for p in files if p.suffix.lower() == ".wav"]
    c.set_aside("not_audio", *(p for p in files if p.suffix.lower() != ".wav"))  # metadata CSVs and the archive
    if not wavs:
        archives = [p for p in files if p.name.lower() == ARCHIVE]
        if archives:
            raise LayoutError(
                archives[0],
                "not_extracted",
                f"{CORPUS}: no wavs found, only the archive {ARCHIVE}",
                f"extract it first (tar -xjf {shlex.quote(str(archives[0]))} -C {shlex.quote(str(archives[0].parent))}); "
                "this reader never "
                "writes below the root",
            )
    rows = _read_metadata(c, _find_metadata(root, files))
    keys = _keys(c, wavs, rows)
    for path in wavs:
        with c.item(path):
            if not NAME.fullmatch(read_as(c, path).stem):
                c.stray(path, _bad_name(path))
                continue
            name = _parse_name(path, read_as(c, path).stem)
            row = None
            if rows is not None:
                row = rows.get(keys[path])
                if row is None:
                    raise bad(
                        path,
                        "missing_metadata",
                        "missing metadata row: this wav is not listed in any *_metadata.csv"
                        + case_hint(keys[path], rows),
                        "use the wavs and CSVs of the same YueMotion release",
                        SKIP_IT,
                    )
                _check_row(path, name, row)
            c.add(
                path,
                native_id=keys[path].rpartition(".")[0],
                emotions=[CORPUS_LABEL_MAPS[CORPUS][str(name.label_id)]],
                language="yue",
                age_group=age_group_of(name.age, "yue"),
                age=name.age,
                gender=name.gender,
                speaker_id=f"yue{name.speaker:02d}",
                official_split=row.split if row else None,
                extra={"sentence_id": name.sentence},
            )
    evicted = [(path, listed_name(path.name)) for path in c.evicted]  # reported: its row is not missing too
    cases = case_matches(rows or {}, [*keys.items(), *evicted])  # '.14_M60_08_1.WAV.icloud': the row's, in its letters
    _missing_wavs(c, rows or {}, {*keys.values(), *(cases.get(name, name) for _, name in evicted)})
    return c.finish(expected=EXPECTED)


def _missing_wavs(c: Collector, rows: dict[str, _Row], present: set[str]) -> None:
    """Report each row whose wav is not ``present`` (its name as the tables list it)."""
    for file_name, row in rows.items():
        if file_name not in present:
            c.skip(
                bad(
                    row.table,
                    "missing_audio",
                    f"line {row.line} lists {row.values.get('path') or file_name} but no such wav was found below "
                    f"{c.root}",
                    f"extract {ARCHIVE} completely below the root",
                    "pass --skip-bad to skip the row",
                )
            )


def _keys(c: Collector, wavs: list[Path], rows: dict[str, _Row] | None) -> dict[Path, str]:
    """Each wav's name as the tables list it (:func:`~loaders.metafiles.listed_name`), its id the name
    without ``.wav``: in another case (``14_M60_08_1.WAV``, as a FAT copy leaves it), the one row's name of
    its letters (:func:`~loaders.metafiles.case_matches`), or without tables the release's own, in small
    letters (``14_m60_08_1.wav``); each one renamed so is reported (:meth:`~loaders.base.Collector.other_case`)."""
    keys = {path: listed_name(read_as(c, path).name) for path in wavs}  # a lone copy's, 'x 2.wav': x.wav's
    if rows is None:
        cases = {
            key: key.lower() for key in keys.values() if NAME.fullmatch(key.rpartition(".")[0]) and key != key.lower()
        }
    else:
        cases = case_matches(rows, keys.items())
    for path, key in keys.items():
        if key in cases:
            keys[path] = cases[key]
            c.other_case(path, cases[key])
    return keys


def _bad_name(path: Path) -> BadFileError:
    return bad(
        path,
        "bad_name",
        f"file name {path.name!r} is not '<speaker>_<f|m><age>_<sentence>_<label id>.wav'",
        "restore the original name from data.tar.bz2 or move the file out of the corpus root",
        SKIP_BAD,
    )


def _parse_name(path: Path, stem: str) -> _Name:
    """What the name ``stem`` says of ``path`` (a lone copy's, ``x 2.wav``, is x's: :func:`loaders.lone.read_as`)."""
    match = NAME.fullmatch(stem)
    gender = match["gender"].lower()
    if gender not in ("f", "m") or not match["label"].isdigit():
        raise _bad_name(path)
    label_id = int(match["label"])
    if str(label_id) not in CORPUS_LABEL_MAPS[CORPUS]:
        raise bad(
            path,
            "unknown_label",
            f"unknown label id {label_id} (known: 1 anger, 2 happy, 3 sad, 4 neutral, 5 fear, 6 disgust)",
            "restore the original file from data.tar.bz2",
            SKIP_IT,
        )
    return _Name(int(match["speaker"]), gender, int(match["age"]), int(match["sentence"]), label_id)


def _find_metadata(root: Path, files: list[Path]) -> dict[str, Path]:
    """``{split: csv}`` for the three metadata CSVs, or {} when there are none."""
    found = collections.defaultdict(list)
    for path in files:
        match = METADATA_NAME.fullmatch(path.name)
        if match:
            found[match[1].lower()].append(path)
    tables = {}
    for split, paths in found.items():
        for other in paths[1:]:
            if other.read_bytes() != paths[0].read_bytes():
                raise LayoutError(
                    other,
                    "conflicting_metadata",
                    f"{CORPUS}: this {other.name} differs from {paths[0]}",
                    "keep one copy of the YueMotion metadata below the root",
                )
        tables[split] = paths[0]
    missing = [f"{split}_metadata.csv" for split in SPLITS if split not in tables]
    if tables and missing:
        raise LayoutError(
            next(iter(tables.values())).parent,
            "incomplete_metadata",
            f"{CORPUS}: found {', '.join(p.name for p in tables.values())} but not {', '.join(missing)}",
            "put all three metadata CSVs of the release beside each other, or remove them all to read the "
            "file names only (then there is no official split)",
        )
    return {split: tables[split] for split in SPLITS if split in tables}


def _read_metadata(c: Collector, tables: dict[str, Path]) -> dict[str, _Row] | None:
    """``{wav file name (:func:`~loaders.metafiles.listed_name`): row}`` from the CSVs, or None when there are none."""
    if not tables:
        return None
    rows: dict[str, _Row] = {}
    for split, table in tables.items():
        text, delimiter, dropped = csv_text(read_text(table, CORPUS))  # as a spreadsheet saved it: ; or a tab
        with io.StringIO(text, newline="") as f:
            reader = csv.DictReader(f, delimiter=delimiter)
            columns = {(name or "").strip().lower() for name in reader.fieldnames or []}
            if not {"path", "label_id"} <= columns:
                raise LayoutError(
                    table,
                    "bad_metadata",
                    f"{CORPUS}: the CSV has columns {sorted(columns)}, expected at least 'path' and 'label_id'",
                    "use the metadata CSV of the YueMotion release",
                )
            for values in reader:
                values = {(k or "").strip().lower(): (v or "").strip() for k, v in values.items() if k}
                if not any(values.values()):
                    continue  # a row of empty cells, as spreadsheets save below the table
                line = reader.line_num + dropped
                with c.item(table):
                    row_split = _split_name(values.get("split") or split)
                    if row_split != split:
                        raise bad(
                            table,
                            "metadata_mismatch",
                            f"line {line}: split {values['split']!r} in {table.name}",
                            "use the metadata CSVs of the YueMotion release",
                        )
                    file_name = listed_name(PurePosixPath(values["path"].replace("\\", "/")).name)
                    if file_name in rows:
                        other = rows[file_name]
                        raise bad(
                            table,
                            "duplicate_row",
                            f"line {line}: {file_name} is also listed at {other.table.name} line {other.line}",
                            "remove one of the two rows",
                        )
                    rows[file_name] = _Row(split, table, line, values)
    return rows


def _split_name(text: str) -> str:
    text = text.strip().lower()
    return {"val": "validation", "valid": "validation", "dev": "validation"}.get(text, text)


def _check_row(path: Path, name: _Name, row: _Row) -> None:
    """The CSV row must say what the file name says."""
    expected = {
        "speaker_id": name.speaker,
        "gender": name.gender,
        "age": name.age,
        "sentence_id": name.sentence,
        "label_id": name.label_id,
    }
    for column, value in expected.items():
        text = row.values.get(column, "")
        if not text:
            continue
        if column == "gender":
            got = text[0].lower()
        else:
            digits = re.search(r"\d+", text)
            got = int(digits[0]) if digits else None
        if got != value:
            raise BadFileError(
                path,
                "metadata_mismatch",
                f"the file name says {column} {value} but {row.table.name} line {row.line} says {text!r}",
                "use the wavs and CSVs of the same YueMotion release",
                SKIP_IT,
            )
