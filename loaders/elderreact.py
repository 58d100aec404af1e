"""ElderReact: video clips of elderly people reacting to stimuli, six binary emotions (multi-label).

Layout (videos by request from the authors; label files from the public GitHub repository)::

    ElderReact_Data/
      ElderReact_train/<clip>.mp4   (615)
      ElderReact_dev/<clip>.mp4     (355)
      ElderReact_test/<clip>.mp4    (353)
    Annotations/{train,dev,test}_labels.txt      # beside the data folder, or inside it

Label line, space-separated, no header:
``filename anger disgust fear happiness sadness surprise gender valence``, e.g.
``50_50_100.mp4 0 1 1 0 0 1 f 1.6666666666666667``.  A clip may have several emotions or none.  The
official split is the label file a clip is listed in (dev -> validation), whatever folder it sits
in.  Clip names are stimulus tags, so there is no speaker id and no age; every speaker is elderly.
The audio track is read from the mp4 (its header here, FFmpeg to decode).

Every mp4 below the root must be listed in a label file (else "missing metadata row") and every
listed clip must exist (else an error naming the label file and line).  A clip's name is its id, case
and all (``Branda_schmitz_12``); one a FAT copy upper-cased (``BRANDA_SCHMITZ_12.MP4``) is read as the
one line naming it in another case, with a warning (:func:`~loaders.metafiles.case_matches`); one named as its
second copy beside no such clip (``50_50_17 (1).mp4``, no ``50_50_17.mp4``) as that clip (:mod:`loaders.lone`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .base import Collector
from .errors import SKIP_BAD, SKIP_IT, LayoutError, bad, require_dir
from .labels import CORPUS_LABEL_MAPS
from .lone import read_as
from .metafiles import case_hint, case_matches, iter_lines, listed_name
from .record import Utterance
from .skips import SkipReport
from .source import SourceInfo
from .walk import backslashed_layout

CORPUS = "elderreact"
SPLITS = {"train": "train", "dev": "validation", "test": "test"}  # <name>_labels.txt -> official split
COLUMNS = tuple(CORPUS_LABEL_MAPS[CORPUS])  # the six binary columns, in file order
# matched whole (fullmatch) and in ASCII: a case-blind Unicode match takes 'te\u017ft_labels.txt' (a long s) for
# test_labels.txt, and its split 'te\u017ft' for a fourth
LABEL_FILE = re.compile(r"(train|dev|test)_labels\.txt", re.IGNORECASE | re.ASCII)
FORMAT = "filename anger disgust fear happiness sadness surprise gender valence"
REPO = "https://github.com/Mayer123/ElderReact"
EXPECTED = "a folder holding ElderReact_Data/ElderReact_{train,dev,test}/*.mp4 and Annotations/*_labels.txt"

INFO = SourceInfo(
    name=CORPUS,
    title="ElderReact: a multimodal dataset for recognizing emotional response in aging adults",
    languages=("eng",),
    age_groups=("eld",),
    expected_count=1323,
    license="Academic research use only (videos by request; annotations public)",
    url=REPO,
    layout=(
        "ElderReact_Data/\n"
        "  ElderReact_train/<clip>.mp4  ElderReact_dev/<clip>.mp4  ElderReact_test/<clip>.mp4\n"
        "Annotations/{train,dev,test}_labels.txt   (beside or inside ElderReact_Data)"
    ),
    citation=(
        "@inproceedings{ma2019elderreact,\n"
        "  title={ElderReact: A Multimodal Dataset for Recognizing Emotional Response in Aging Adults},\n"
        "  author={Ma, Kaixin and Wang, Xinyu and Yang, Xinru and Zhang, Mingtong and Girard, Jeffrey M. "
        "and Morency, Louis-Philippe},\n"
        "  booktitle={2019 International Conference on Multimodal Interaction (ICMI '19)},\n"
        "  pages={349--357},\n"
        "  year={2019}\n"
        "}"
    ),
    notes=(
        "Multi-label: six binary emotions per clip (several or none), majority vote of three crowd workers. "
        "Official split from the label files: 615 train / 355 validation (dev) / 353 test. Gender from the "
        "label file; valence (1-7) in extra. No speaker ids or ages: all speakers are elderly. Audio is "
        "demuxed from the mp4 with FFmpeg."
    ),
    speech="elicited: elderly people reacting spontaneously to stimuli, from videos",
    filed_without_ages="its release gives no ages",
    caveat=(
        "**ElderReact** clip names are stimuli, not people: there are no speaker ids, so its official "
        "split may share speakers between train and test. Labels are multi-label; a clip may have none."
    ),
)


@dataclass(frozen=True)
class _Row:
    split: str
    table: Path
    line: int
    emotions: tuple[str, ...]
    gender: str
    valence: float


def load(root, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read ElderReact below ``root`` (see the module docstring)."""
    root = require_dir(root, CORPUS, EXPECTED)
    c = Collector(CORPUS, root, skip_bad=skip_bad, report=report)
    files = c.walk(root, (".mp4", ".txt"), lone=(".mp4",))  # 'x 2.mp4' with no x.mp4 beside it: read as x
    rows, broken = _read_labels(c, _find_label_files(root, files))
    clips = [p for p in files if p.suffix.lower() == ".mp4"]
    c.set_aside("not_audio", *(p for p in files if p.suffix.lower() != ".mp4"))  # the label files, other .txt files
    keys = {path: listed_name(read_as(c, path).name) for path in clips}  # 50_50_17.MP4: the table's 50_50_17.mp4
    evicted = [(path, listed_name(path.name)) for path in c.evicted]  # '.A.MP4.icloud': its row's, in its letters
    cases = case_matches(
        [*rows, *broken], [*keys.items(), *evicted]
    )  # BRANDA_SCHMITZ_12.mp4 (a FAT copy's) its Branda_schmitz_12
    for path in clips:
        key = cases.get(keys[path], keys[path])
        row = rows.get(key)
        if row is None and key in broken:
            c.blame(path, broken[key])  # its label line was already reported
            continue
        if key != keys[path]:
            c.other_case(path, key)
        with c.item(path):
            if row is None:
                raise bad(
                    path,
                    "missing_metadata",
                    f"missing metadata row: the clip is not listed in any of {', '.join(_names())}"
                    + case_hint(key, rows),
                    f"use the label files of the official release ({REPO}/tree/master/Annotations), remove the clip",
                    SKIP_IT,
                )
            c.add(
                path,
                native_id=key.rpartition(".")[0],  # the table's name: the clip's id
                emotions=row.emotions,
                language="eng",
                age_group="eld",
                gender=row.gender,
                official_split=row.split,
                extra={"valence": row.valence},
            )
    present = {cases.get(key, key) for key in [*keys.values(), *(name for _, name in evicted)]}  # evicted: said
    for name, row in rows.items():
        if name not in present:
            c.skip(
                bad(
                    row.table,
                    "missing_audio",
                    f"line {row.line} lists {name} but no such clip was found below {root}",
                    "copy the missing video from the ElderReact release below the root",
                    SKIP_BAD,
                )
            )
    return c.finish(expected=EXPECTED)


def _names() -> list[str]:
    return [f"{name}_labels.txt" for name in SPLITS]


def _find_label_files(root: Path, files: list[Path]) -> dict[str, Path]:
    """``{'train'|'dev'|'test': path}``; identical copies (beside and inside the data folder) are fine."""
    found: dict[str, Path] = {}
    for path in files:
        match = LABEL_FILE.fullmatch(path.name)
        if not match:
            continue
        name = match[1].lower()
        if name in found and found[name].read_bytes() != path.read_bytes():
            raise LayoutError(
                path,
                "conflicting_labels",
                f"{CORPUS}: this label file differs from {found[name]}",
                "keep one copy of the Annotations folder below the root",
            )
        found.setdefault(name, path)
    missing = [f"{name}_labels.txt" for name in SPLITS if name not in found]
    if missing:
        why = f"{CORPUS}: label file(s) {', '.join(missing)} not found below this folder"
        raise backslashed_layout(root, why, "Annotations") or LayoutError(
            root,
            "missing_labels",
            why,
            f"download Annotations/ from {REPO} and put it beside or inside ElderReact_Data",
        )
    return found


def _read_labels(c: Collector, tables: dict[str, Path]) -> tuple[dict[str, _Row], dict[str, str]]:
    """``{clip file name: row}`` and ``{clip file name: reason}`` of the names on lines that were
    reported (and skipped)."""
    rows: dict[str, _Row] = {}
    broken: dict[str, str] = {}
    for name, table in tables.items():
        for number, line in iter_lines(table, CORPUS):
            fields = line.split()
            key = listed_name(fields[0]) if fields else ""
            with c.item(table) as item:
                row = _parse_line(table, number, line, fields, SPLITS[name])
                if key in rows:
                    other = rows[key]
                    raise bad(
                        table,
                        "duplicate_row",
                        f"line {number}: {fields[0]} is also listed in {other.table.name} line {other.line}",
                        "use the label files of the official release",
                    )
                rows[key] = row
            if item.error and fields and fields[0].lower().endswith(".mp4") and key not in rows:
                broken.setdefault(key, item.error.reason)
    return rows, broken


def _parse_line(table: Path, number: int, line: str, fields: list[str], split: str) -> _Row:
    def malformed(problem: str):
        return bad(
            table,
            "bad_label_line",
            f"line {number}: {problem}: {line!r}; expected '{FORMAT}'",
            "use the label files of the official release",
            "pass --skip-bad to skip the line",
        )

    if len(fields) != 9:
        raise malformed(f"{len(fields)} fields instead of 9")
    if not fields[0].lower().endswith(".mp4"):
        raise malformed(f"{fields[0]!r} is not an .mp4 file name")
    flags = fields[1:7]
    for column, flag in zip(COLUMNS, flags):
        if flag not in ("0", "1"):
            raise malformed(f"{column} is {flag!r}, not 0 or 1")
    gender = fields[7].lower()
    if gender not in ("f", "m"):
        raise malformed(f"gender is {fields[7]!r}, not f or m")
    try:
        valence = float(fields[8])
    except ValueError:
        raise malformed(f"valence {fields[8]!r} is not a number") from None
    if not 1.0 <= valence <= 7.0:
        raise malformed(f"valence {valence} is outside the 1-7 scale")
    emotions = tuple(CORPUS_LABEL_MAPS[CORPUS][column] for column, flag in zip(COLUMNS, flags) if flag == "1")
    return _Row(split, table, number, emotions, gender, valence)
