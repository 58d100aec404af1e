"""The files below a user corpus's root (:mod:`loaders.audiofolder`) matched with its metadata's rows
(:mod:`loaders.metadata`): each listed clip read, under the name its row gives it (in another Unicode form or case),
every other audio file reported (``unlisted_file``) and every row left without a file (``missing_file``), each
naming its near miss among the others (the same name in another case, extension or folder)."""

from __future__ import annotations

import os
from pathlib import Path

from .base import Collector
from .errors import SKIP_BAD, bad
from .identical import unlisted_copy
from .metadata import Row
from .metafiles import case_hint, case_matches, composed
from .unread import is_audio
from .walk import searched, stood_for, walk_files


def read_files(c: Collector, metadata: Path, rows: dict[str, Row], rejected: set[str], own: set[Path]) -> None:
    """Read every listed clip; report every other audio file below the root and every row whose file is missing."""
    listed = dict(rows)
    unlisted: dict[str, Path] = {}  # reported after the walk, beside the rows left without a file

    def walk_problem(error) -> None:  # a listed file that is a broken link, a FIFO or evicted: one report, not missing
        rel = _as_listed(c.root, Path(os.path.relpath(stood_for(error), c.root)).as_posix(), forms)
        rel = case_matches([*rows, *rejected], [(stood_for(error), rel)]).get(rel, rel)  # '.A.WAV.icloud': a.wav's
        if error.reason == "icloud_placeholder" and rel not in listed and rel not in rejected:  # notes.txt's: no clip
            return c.see(error.path), c.set_aside("not_audio", error.path)
        c.walk_problem(error)
        listed.pop(rel, None)

    forms = {composed(rel): rel for rel in (*rows, *rejected)}  # a zip made on macOS holds decomposed names
    found = [
        (path, _as_listed(c.root, path.relative_to(c.root).as_posix(), forms))
        for path, _ in walk_files(c.root, ("",), walk_problem, c.hidden_folder)
    ]
    cases = case_matches([*rows, *rejected], found)  # a.WAV for a row's a.wav
    for path, relpath in found:
        c.see(path)
        if relpath in cases:
            relpath = cases[relpath]
            c.other_case(path, relpath)
        row = listed.pop(relpath, None) or rows.get(relpath)  # a second file alike but for case: one clip (case_copies)
        if row is None:
            if relpath in rejected:
                continue  # its row was reported
            if path in own:
                c.set_aside("not_audio", path)
                continue
            if not c.left_copy(path, root=c.root, beside_only=True):  # no copy of a file (or folder) beside it
                unlisted[relpath] = path
            continue
        with c.item(path):
            # one id whichever form the row wrote (a sheet made on macOS, or on Windows): one dataset, one split
            c.add(path, native_id=composed(relpath), emotions=row.emotions, **row.fields)
    _report_unread(c, metadata, (rows, listed), unlisted)


def _report_unread(c: Collector, metadata: Path, rows: tuple[dict, dict], unlisted: dict[str, Path]) -> None:
    """Report the audio files no row lists and the rows left without a file (``rows``: every row, and
    those left), each naming its near miss among the others (:func:`_near`), or for a file the rows
    that name it but for case (:func:`~loaders.metafiles.case_hint`)."""
    every, listed = rows
    skipped = c.report.counts[(c.corpus, "unlisted_file")]
    listed_near = _near_misses({rel: (rel, row) for rel, row in listed.items()})  # rows still without a file
    listed_at = (metadata.name, {f"{c.corpus}/{composed(r)}": row.line for r, row in every.items()})
    for relpath, path in unlisted.items():
        near, why = _near(relpath, listed_near)
        error = bad(
            path,
            "unlisted_file",
            f"audio by content, but not listed in {metadata.name}: its "
            "emotion, language and age are unknown"
            + (f" (line {near[1].line} lists {near[0]!r}: {why})" if near else case_hint(relpath, every)),
            "add a row for it or move it out of the corpus folder",
            SKIP_BAD,
        )
        with c.item(path):
            if not c.skip_bad and is_audio(path):  # raised now: a copy of a clip said as scan's look says its skip
                error = unlisted_copy(error, c.corpus, c.records, listed_at)
            c.stray(path, error)
    if c.report.counts[(c.corpus, "unlisted_file")] > skipped:  # where each clip is listed: for the skip of a copy
        c.report.listed_at[c.corpus] = listed_at
    unlisted_like = dict(zip(unlisted, unlisted, strict=True))
    unlisted_near = _near_misses(unlisted_like)
    for relpath, row in sorted(listed.items()):
        near, why = _near(relpath, unlisted_near)
        with c.item(c.root / relpath):
            raise bad(
                c.root / relpath,
                "missing_file",
                f"listed in {metadata.name} line {row.line}, but "
                + (
                    "it is a folder: each row's file_name names one audio file"
                    if os.path.isdir(c.root / relpath)  # False below a folder it cannot list
                    else "there is no such file below the corpus folder"
                )
                + (f" (the folder holds {near!r}: {why})" if near else "")
                + _in_hidden(relpath),
                "fix the row's file_name (relative to the metadata's folder) or restore the file",
                SKIP_BAD,
            )


def _in_hidden(relpath: str) -> str:
    """Why a listed file below a folder the readers never search (``.takes/``, ``__MACOSX/``) was not found."""
    hidden = next((part for part in Path(relpath).parts[:-1] if not searched(part)), None)
    return f" (it is inside {hidden}/, a folder that is never searched: move it out of there)" if hidden else ""


NAMES_DIFFER = "the names differ in case, extension or Unicode form"
FOLDERS_DIFFER = "the same file name in another folder: file_name is the path from the metadata's folder"


def _near_misses(items: dict) -> tuple[dict, dict]:
    """``items`` (``{relpath: value}``) by :func:`_alike` path, and by alike file name where that name
    is one file's only (a name in several folders names no near miss)."""
    by_name: dict = {}
    for rel, value in items.items():
        key = _alike(rel.rsplit("/", 1)[-1])
        by_name[key] = None if key in by_name else value
    return {_alike(rel): value for rel, value in items.items()}, {k: v for k, v in by_name.items() if v is not None}


def _near(relpath: str, misses: tuple[dict, dict]):
    """The near miss of ``relpath`` among :func:`_near_misses` and why it is one, or ``(None, "")``."""
    by_path, by_name = misses
    if (found := by_path.get(_alike(relpath))) is not None:
        return found, NAMES_DIFFER
    if (found := by_name.get(_alike(relpath.rsplit("/", 1)[-1]))) is not None:
        return found, FOLDERS_DIFFER
    return None, ""


def _as_listed(root: Path, relpath: str, forms: dict[str, str]) -> str:
    """``relpath`` as a row names it (``forms``: ``{NFC form: row's name}``): the same name in
    another Unicode form (``é`` as one code point, or as ``e`` and an accent) is the same name,
    unless the row's form is a file of its own: another file, not this one found under that form
    (macOS's file systems find a file under either form)."""
    named = forms.get(composed(relpath), relpath)
    if named == relpath or not (root / named).is_file():
        return named
    return named if os.path.samefile(root / named, root / relpath) else relpath


def _alike(relpath: str) -> str:
    """A file name as a near miss compares it: without case, without its extension, in one Unicode
    normal form (a zip made on macOS holds decomposed names, a spreadsheet composed ones)."""
    return composed(os.path.splitext(relpath)[0]).casefold()
