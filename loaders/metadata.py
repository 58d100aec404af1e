"""The rows of a user corpus's ``metadata.csv`` / ``metadata.jsonl`` (:mod:`loaders.audiofolder`;
its label map read by :mod:`loaders.label_map`, its columns checked by :mod:`loaders.metadata_columns`): each row becomes the
fields of an :class:`~loaders.record.Utterance` (its cells read by :mod:`loaders.metadata_cells`), or a
:class:`~loaders.errors.BadFileError` naming the metadata file, the line and the fix (raised, or counted by the
collector with ``skip_bad``); what the rows say together (a file listed twice, a split or a speaker most rows give
and one does not) is checked here.  Cells are read in Unicode's composed form (:func:`~loaders.metafiles.composed`):
a speaker or a label typed on macOS and on Windows is one."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .base import Collector
from .errors import SKIP_BAD, SKIP_IT, BadFileError, InputWarning, LayoutError, bad
from .metadata_cells import UNKNOWN, Where, cell, row_emotions, row_fields
from .metadata_columns import check_columns
from .metafiles import composed, csv_text, read_text


@dataclass(frozen=True)
class Row:
    line: int
    emotions: tuple[str, ...]
    fields: dict  # language, age_group, age, gender, speaker_id, official_split, text, extra (label_words)


def _raw_rows(metadata: Path, corpus: str) -> list[tuple[int, dict | BadFileError]]:
    """``(line, cells)`` per row of the metadata file (or the error of an unreadable JSON line); column
    names are read without spaces around them (``file_name , emotion``), as cells are, with one
    :class:`InputWarning` naming them."""
    text = read_text(metadata, corpus, own=True)
    text, delimiter, hint = csv_text(text) if metadata.suffix == ".csv" else (text, "", 0)
    spaced: dict[str, None] = {}  # column names written with spaces around them, in order
    try:
        with io.StringIO(text, newline="") as f:
            if metadata.suffix == ".csv":
                reader = csv.DictReader(f, delimiter=delimiter)
                if reader.fieldnames:
                    reader.fieldnames = _names(metadata, reader.fieldnames, spaced)
                out = [(reader.line_num + hint, row) for row in reader if any(_filled(v) for v in row.values())]
            else:
                out = [(line, _json_row(metadata, line, row_text, spaced)) for line, row_text in enumerate(f, 1)]
                out = [(line, cells) for line, cells in out if cells is not None]
    except csv.Error as err:
        raise LayoutError(metadata, "bad_metadata", f"cannot read it ({err})", "save it as a UTF-8 CSV") from err
    if spaced:
        warnings.warn(
            f"{metadata}: column name{'s' if len(spaced) > 1 else ''} {', '.join(map(repr, spaced))} "
            f"{'have' if len(spaced) > 1 else 'has'} spaces around {'them' if len(spaced) > 1 else 'it'}: read as "
            f"{', '.join(repr(name.strip()) for name in spaced)}, as cells are (remove the spaces to silence this)",
            InputWarning,
            stacklevel=4,
        )
    return out


def _names(metadata: Path, names: list, spaced: dict[str, None]) -> list:
    """A CSV header's column names without spaces around them; two columns of one name (after that) are
    an error naming it: ``csv.DictReader`` would keep the last one's cells only, without a word."""
    stripped = [name.strip() if isinstance(name, str) else name for name in names]
    spaced.update(dict.fromkeys(n for n, s in zip(names, stripped, strict=True) if n != s))
    twice = sorted({n for n in stripped if n and stripped.count(n) > 1})
    if twice:
        raise LayoutError(
            metadata,
            "bad_metadata",
            f"its header names {', '.join(map(repr, twice))} twice (spaces around a name aside): the cells of one "
            "column would be lost",
            "rename or remove one of the two columns",
        )
    return stripped


def _json_row(metadata: Path, line: int, text: str, spaced: dict[str, None]) -> dict | BadFileError | None:
    """One JSON Lines row: its object with keys stripped of spaces around them, an error, or None (blank)."""
    if not text.strip():
        return None
    try:
        cells = json.loads(text)
    except ValueError as err:
        return _row_error(metadata, line, f"not valid JSON ({err})")
    if not isinstance(cells, dict):
        return _row_error(metadata, line, "not an object")
    out = {key.strip(): value for key, value in cells.items()}
    if len(out) < len(cells):
        return _row_error(metadata, line, "two keys differ only in spaces around them: one value would be lost")
    spaced.update(dict.fromkeys(key for key in cells if key != key.strip()))
    return out


def _filled(value) -> bool:
    return bool(value.strip() if isinstance(value, str) else value)  # DictReader's surplus cells are a list


def _row_error(metadata: Path, line: int, message: str) -> BadFileError:
    return bad(metadata, "bad_row", f"line {line}: {message}", "fix the row", SKIP_IT)


def parse_rows(c: Collector, metadata: Path, labels: dict) -> tuple[dict[str, Row], set[str]]:
    """``{file_name: row}`` of the usable rows, and the file names of rows that were reported.

    A bad row that names a clip is reported as that clip's problem (the skipped-inputs list names
    the clip), its message saying which line of the metadata to fix."""
    raw = _raw_rows(metadata, c.corpus)
    check_columns(metadata, raw)
    gaps = _Gaps.of(raw)
    rows: dict[str, Row] = {}
    rejected: set[str] = set()
    # file_name (in either Unicode form) -> the line that first lists it, its cells and its name as written
    first: dict[str, tuple[int, dict, str]] = {}
    for line, cells in raw:
        name = _file_name(cells) if isinstance(cells, dict) else None
        with c.item(metadata):
            if isinstance(cells, BadFileError):
                raise cells
            if name is None:
                raise _row_error(metadata, line, _file_name_problem(cells, metadata.parent))
            at = Where(metadata.parent / name, f"{metadata.name} line {line}")
            if (again := first.get(composed(name))) is not None:
                rejected.add(again[2])
                raise _duplicate(metadata, line, name, cells, *again[:2], read=again[2] in rows)
            first[composed(name)] = (line, cells, name)
            rejected.add(name)
            # cells beyond the header's columns (not a trailing comma's empty one)
            if any(_filled(v) for v in cells.get(None) or ()):
                raise _surplus(at, cells)
            emotions, words = row_emotions(at, cells, labels)
            fields = gaps.check(at, row_fields(at, cells, gaps.ages_of))
            rows[name] = Row(line, emotions, fields | ({"extra": {"label_words": words}} if words else {}))
            rejected.discard(name)
    return rows, rejected


def _duplicate(metadata: Path, line: int, name: str, cells: dict, first: int, first_cells: dict, read: bool):
    """A second row for one file_name: "line 9 repeats line 4", or, when the two rows say different
    things, which cells differ (which row is right is the user's to say)."""
    keys = dict.fromkeys(k for k in [*first_cells, *cells] if k)  # not DictReader's surplus cells (None)
    differ = [k for k in keys if cell(cells, k) != cell(first_cells, k)]  # a JSON list compares as its text
    what = (
        f"line {line} repeats line {first} (file_name {name!r})"
        if not differ
        else f"line {line} lists file_name {name!r} again, first listed on line {first}, with another "
        + ", ".join(f"{k} ({cell(first_cells, k)!r} on line {first}, {cell(cells, k)!r} here)" for k in differ)
    )
    kept = f"the clip is read from line {first}" if read else f"line {first} was reported already"
    return bad(  # the row is skipped, not its clip (read from the first row)
        metadata,
        "duplicate_row",
        f"{what}; {kept}",
        f"remove one of the two rows (lines {first} and {line})",
        f"pass --skip-bad to skip line {line}",
    )


@dataclass(frozen=True)
class _Gaps:
    """How many of the metadata's rows give a split and a speaker_id: a row without one, where others
    have one, is reported by its line (the split would otherwise stop on it, naming a clip, not the line;
    or its speaker would be no speaker); and each speaker's ages as its rows give them (``ages``:
    ``{speaker_id: {age or age_group: first line}}``), named where one of its rows gives none."""

    rows: int
    splits: int
    speakers: int
    ages: dict

    @classmethod
    def of(cls, raw: list) -> _Gaps:
        cells = [(n, c) for n, c in raw if isinstance(c, dict)]
        ages: dict = {}
        for n, c in cells:
            known = [v for v in (cell(c, "age"), cell(c, "age_group")) if v.lower() not in UNKNOWN]
            if (speaker := cell(c, "speaker_id")) and (age := next(iter(known), "")):
                ages.setdefault(speaker, {}).setdefault(age, n)
        splits, speakers = (sum(bool(cell(c, key)) for _, c in cells) for key in ("split", "speaker_id"))
        return cls(len(cells), splits, speakers, ages)

    def ages_of(self, cells: dict) -> str:
        """What the other rows of a row's speaker give as its age (``'S1' is 71 on line 62``), or ``""``."""
        given = self.ages.get(cell(cells, "speaker_id"), {})
        shown = " or ".join(f"{age} on line {line}" for age, line in list(given.items())[:3])
        return f"; its speaker {cell(cells, 'speaker_id')!r} is {shown}" if given else ""

    def check(self, at: Where, fields: dict) -> dict:
        if self.splits and not fields["official_split"]:
            raise bad(
                at.path,
                "missing_split",
                f"{at.line}: no split, while {self.splits} of {self.rows} rows give one",
                "give it a split (train, validation or test), or empty the split column of every row to split by "
                "whole speakers",
                SKIP_BAD,
            )
        if not self.splits and self.speakers and not fields["speaker_id"]:
            raise bad(
                at.path,
                "missing_speaker",
                f"{at.line}: no speaker_id, while {self.speakers} of {self.rows} rows give one (without a split "
                "column, your corpus is split by whole speakers)",
                "fill in its speaker_id, or give every row a split (train, validation or test)",
                SKIP_BAD,
            )
        return fields


def _surplus(at: Where, cells: dict) -> BadFileError:
    """A CSV row with more cells than the header has columns: usually an unquoted comma in a text,
    which would lose what follows it."""
    extra, columns = [v for v in cells[None] if _filled(v)], len(cells) - 1
    return bad(
        at.path,
        "bad_row",
        f"{at.line}: {columns + len(cells[None])} cells for {columns} columns (extra: {', '.join(map(repr, extra))})",
        'quote a text with a comma in it ("like, this")',
        SKIP_BAD,
    )


def _file_name(cells: dict) -> str | None:
    text = str(cells.get("file_name") or "").strip().replace("\\", "/")
    path = PurePosixPath(text)  # C:\data\a.wav is absolute too (it was looked for as a folder "C:")
    if not text or path.is_absolute() or re.match(r"[A-Za-z]:/", text) or ".." in path.parts:
        return None
    return path.as_posix()


def _file_name_problem(cells: dict, folder: Path) -> str:
    """What is wrong with a file_name :func:`_file_name` refuses (of an absolute one, the name from
    ``folder`` of the file a tail of it names)."""
    given = str(cells.get("file_name") or "").strip()
    parts = PurePosixPath(given.replace("\\", "/")).parts
    tail = next((Path(*parts[i:]) for i in range(1, len(parts)) if (folder / Path(*parts[i:])).is_file()), None)
    fix = f"give it relative to the metadata's folder{f': {tail.as_posix()}' if tail else ''}"
    if ".." in parts:
        return f"file_name '{given}' leads outside the corpus folder ('..'): move the clip below {folder}"
    return f"file_name '{given}' is an absolute path; {fix}" if given else "no file_name"
