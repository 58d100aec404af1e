"""IEMOCAP's EmoEvaluation files: each read (:func:`parse_evaluation`), one dialog's file beside its twin in other
letters read once or reported (:func:`case_twins`), an utterance evaluated twice reported
(:func:`read_evaluations`).  Which files are read, and the walk of the wavs, are :mod:`loaders.iemocap`'s.

A block (TAB-separated, blank-line separated)::

    [6.2901 - 8.2357]	Ses01F_impro01_F000	neu	[2.5000, 2.5000, 2.5000]
    C-E2:	Neutral;	()
    A-E3:	val 3; act 2; dom  2;	()
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from .base import Collector
from .copies import same_bytes
from .copy_reports import case_twin_error, warn_case_twins
from .errors import BadFileError, bad
from .metafiles import read_bytes

_RELEASE_DIALOG = re.compile(r"Ses0[1-5][FM]_[a-z]+\w*")  # an evaluation file's name as the release gives it
_NUMBER = r"(-?\d+(?:\.\d*)?|nan)"
_SUMMARY = re.compile(
    rf"^\[\s*{_NUMBER}\s*-\s*{_NUMBER}\s*\]\s+(\S+)\s+(\S+)\s+\[\s*{_NUMBER},\s*{_NUMBER},\s*{_NUMBER}\s*\]$"
)
_CATEGORIES = re.compile(r"^(C-[^:\s]+):\s*(.*?)\s*(\(.*\))?$")
_RATING = re.compile(r"(val|act|dom)\s*(\d+(?:\.\d+)?)?\s*;")


@dataclass
class Evaluation:
    """One EmoEvaluation block."""

    source: Path
    line: int
    code: str
    start_s: float
    end_s: float
    vad: tuple[float, float, float]
    categories: dict[str, list[str]] = field(default_factory=dict)
    ratings: dict[str, list[float | None]] = field(default_factory=dict)


def read_evaluations(c: Collector, sessions: list[list[Path]]) -> dict[str, Evaluation]:
    """``{utterance: its evaluation}`` from each session's evaluation files
    (:func:`loaders.iemocap.evaluation_files`); problems reported."""
    evaluations: dict[str, Evaluation] = {}
    same = []  # (an evaluation file set aside, the name of its twin in other letters, read)
    for files in sessions:
        twins = case_twins(files)
        for path in files:
            if c.left_copy(path, root=c.root, beside_only=True, data=True):  # 'Ses01F_impro01 (1).txt' beside it:
                c.see(path)  # one copy, read once or reported once, not each of its lines a duplicate_entry
                continue
            if twin := twins.get(path):  # 'ses01f_impro01.txt' beside 'Ses01F_impro01.txt': read once or reported
                c.see(path)
                if same_bytes(path, twin):
                    c.set_aside("duplicate", path)
                    same.append((path, twin.name))
                else:
                    c.skip(case_twin_error(path, twin.name, "one dialog's evaluations, two versions"), path)
                continue
            entries, problems = parse_evaluation(path)
            for problem in problems:
                c.skip(problem)
            for utterance, entry in entries.items():
                if utterance in evaluations:
                    c.skip(
                        bad(
                            path,
                            "duplicate_entry",
                            f"line {entry.line}: {utterance} is also evaluated in {evaluations[utterance].source}",
                            "keep one copy of the evaluation files",
                        )
                    )
                evaluations.setdefault(utterance, entry)
    warn_case_twins(c, same, 3)
    return evaluations


def case_twins(files: list[Path]) -> dict[Path, Path]:
    """``{an evaluation file: the one beside it named alike but for case that is read}`` (a copy from a disk that
    ignores case merged into one that does not): of each such set the one named as the release names its dialogs
    (``Ses01F_impro01.txt``), else the first in name order."""
    by_name: dict[tuple[Path, str], list[Path]] = {}
    for path in files:
        by_name.setdefault((path.parent, path.name.casefold()), []).append(path)
    twins = {}
    for found in by_name.values():
        first = min(found, key=lambda path: (_RELEASE_DIALOG.fullmatch(path.stem) is None, path.name))
        twins.update((path, first) for path in found if path != first)
    return twins


def parse_evaluation(path: Path) -> tuple[dict[str, Evaluation], list[BadFileError]]:
    """``{utterance: Evaluation}`` from one EmoEvaluation file, and the lines that could not be read."""
    entries: dict[str, Evaluation] = {}
    problems: list[BadFileError] = []
    current: Evaluation | None = None
    data = read_bytes(path, "iemocap")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # as a Windows editor saves it
    text = data.decode("utf-16" if utf16 else "utf-8-sig", errors="replace")
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):  # lines as an editor counts them
        line = raw.strip()
        if not line:
            current = None  # blocks end at a blank line
            continue
        if line.startswith("%"):
            continue
        if line.startswith("["):
            match = _SUMMARY.match(line)
            if match is None:
                current = None
                problems.append(
                    bad(
                        path,
                        "bad_evaluation_line",
                        f"line {number} is not '[start - end]<TAB>utterance<TAB>code<TAB>[V, A, D]': {line[:80]!r}",
                        "restore this file from the IEMOCAP release",
                    )
                )
                continue
            start, end, utterance, code, v, a, d = match.groups()
            current = Evaluation(path, number, code, float(start), float(end), (float(v), float(a), float(d)))
            if utterance in entries:  # the first block is kept, the other reported
                problems.append(
                    bad(
                        path,
                        "duplicate_entry",
                        f"line {number}: {utterance} is evaluated again (first at line {entries[utterance].line})",
                        "restore this file from the IEMOCAP release",
                    )
                )
                continue
            entries[utterance] = current
        elif current is not None and line.startswith("C-"):
            cat = _CATEGORIES.match(line)
            if cat:
                current.categories[cat[1]] = [x.strip() for x in cat[2].split(";") if x.strip()]
        elif current is not None and line.startswith("A-"):
            name = line.split(":", 1)[0]
            scores = {key: float(value) if value else None for key, value in _RATING.findall(line)}
            current.ratings[name] = [scores.get(key) for key in ("val", "act", "dom")]
    return entries, problems
