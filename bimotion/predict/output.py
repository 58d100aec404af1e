"""Prediction rows and the files they are written to: CSV or JSON Lines, chosen by the extension.

A CSV row is ``file, start_s, end_s``, one score column per reported label, ``predicted`` (the
labels above the threshold, joined by ``;``), ``silent`` (``true`` for a window with nothing
to hear, whose scores mean nothing and which predicts no label), ``clipped`` (the fraction of the window's
own stretch of its file that is hard-clipped, :class:`WindowPrediction`; empty where not measured),
``file_clipped`` (the same of the whole file) and ``file_notes`` (why the window's file's scores are
doubtful, joined by ``; ``; empty when nothing is); a JSON line has the same fields with ``scores`` as an
object, ``predicted`` as a list, ``silent`` as a boolean, ``clipped`` and ``file_clipped`` as numbers or
null and ``file_notes`` as a list.  A file is written as a ``.NAME.*.partial`` file of its
own beside it and renamed when complete, so an interrupted run never leaves a truncated file under
the requested name, and two runs writing the same file never mix their rows (the last one wins).

A CSV is UTF-8 without a byte-order mark, as pandas, R, Python's ``csv`` and the command-line tools
read it; ``excel=True`` (``bimotion predict --excel``) writes the mark Excel needs to read UTF-8 when a
file is opened by a double click (without it Excel reads the system's code page: a Chinese file name
comes out as garbage), which Python's ``csv`` then needs ``encoding="utf-8-sig"`` to read.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from .audio import PredictError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
# a CSV's own columns, before and after one score column per label (a label may take none of their names)
BEFORE_SCORES = ("file", "start_s", "end_s")
AFTER_SCORES = ("predicted", "silent", "clipped", "file_clipped", "file_notes")
NOTES_SEPARATOR = "; "  # between a file's notes in a CSV cell


@dataclass(frozen=True)
class WindowPrediction:
    """One window of one file: its time span (seconds), a score per reported label, the predicted ones,
    and whether it is silent (peak at most ``loaders.levels.SILENT_PEAK_DBFS``: its scores mean nothing,
    and ``predicted`` is empty), and ``file_clipped``, the fraction of its file's samples that are hard-clipped
    (runs of ``loaders.levels.CLIP_RUN_SAMPLES`` or more at full scale, measured as ``prepare`` measures a
    clip; 0.0: none; None: not measured, a lossy or companded file, or one that failed part-way), ``clipped``
    the same of the window's own stretch of the file (:class:`~.clipping.ClipTrack`, to 20 ms), and
    ``file_notes``, why its file's scores are doubtful (:meth:`~bimotion.predict.PredictReport.file_notes`:
    silent, a noise floor, too short, clipped, upsampled, failed part-way; empty when nothing is): its labels
    are kept, for the caller to doubt."""

    file: str
    start_s: float
    end_s: float
    scores: dict[str, float]
    predicted: tuple[str, ...]
    silent: bool = False
    file_clipped: float | None = None
    file_notes: tuple[str, ...] = ()
    clipped: float | None = None  # of the window's own stretch of its file, to 20 ms; None: not measured

    def to_json(self) -> dict:
        return {"file": self.file, "start_s": self.start_s, "end_s": self.end_s,
                "scores": dict(self.scores), "predicted": list(self.predicted), "silent": self.silent,
                "clipped": _fraction(self.clipped), "file_clipped": _fraction(self.file_clipped),
                "file_notes": list(self.file_notes)}  # fmt: skip

    def to_csv(self) -> dict:
        return {"file": self.file, "start_s": self.start_s, "end_s": self.end_s,
                **self.scores, "predicted": ";".join(self.predicted), "silent": str(self.silent).lower(),
                "clipped": "" if self.clipped is None else _fraction(self.clipped),
                "file_clipped": "" if self.file_clipped is None else _fraction(self.file_clipped),
                "file_notes": NOTES_SEPARATOR.join(self.file_notes)}  # fmt: skip


def _fraction(value: float | None) -> float | None:
    """A fraction as written: 6 decimals, as the scores."""
    return None if value is None else round(value, 6)


def output_format(path: str | os.PathLike | None) -> str:
    """``csv`` or ``jsonl`` from a file name (stdout, ``None`` or ``-``, is CSV)."""
    if path is None or str(path) == "-":
        return "csv"
    if Path(path).is_dir():
        raise PredictError(f"--output {path} is a folder; give a file name, e.g. {Path(path) / 'predictions.csv'}")
    parent = Path(path).expanduser().parent
    if parent.exists() and not parent.is_dir():
        raise PredictError(f"--output {path}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise PredictError(
            f"--output {path}: the folder {parent} does not exist; create it first (mkdir -p {shlex.quote(str(parent))})"
        )
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise PredictError(f"--output {path}: the extension says the format; use .csv or .jsonl (JSON Lines)")
    return FORMATS[suffix]


def check_excel(path: str | os.PathLike | None) -> None:
    """``excel`` (a byte-order mark for Excel) asks for a CSV file: refuse it for stdout or JSON Lines."""
    if path is None or str(path) == "-":
        raise PredictError("--excel marks a CSV file for Excel: give --output FILE.csv")
    if output_format(path) != "csv":
        raise PredictError(f"--excel marks a CSV file for Excel; --output {path} is JSON Lines: name it .csv")


class RowWriter:
    """``with RowWriter(path, labels) as w: w.write(row)``; ``path`` None or ``-`` writes CSV to stdout.
    ``excel``: a CSV file with a UTF-8 byte-order mark, for Excel (:func:`check_excel`)."""

    def __init__(self, path: str | os.PathLike | None, labels: list[str], *, excel: bool = False):
        if excel:
            check_excel(path)
        self.format = output_format(path)
        self.encoding = "utf-8-sig" if excel else "utf-8"
        self.path = None if path is None or str(path) == "-" else Path(path).expanduser()
        self.labels = list(labels)
        reserved = {*BEFORE_SCORES, *AFTER_SCORES} & set(self.labels)
        if reserved and self.format == "csv":
            raise PredictError(f"label names {sorted(reserved)} collide with the CSV's own columns; rename them")
        self.rows = 0

    def __enter__(self) -> RowWriter:
        if self.path is None:
            self.stream = sys.stdout
        else:
            from loaders.files import temp_file_beside

            if not self.path.parent.is_dir():
                raise PredictError(f"--output {self.path}: the folder {self.path.parent} does not exist")
            try:
                fd, self.partial = temp_file_beside(self.path, ".partial")
            except OSError as err:
                raise PredictError(
                    f"--output {self.path}: cannot write in {self.path.parent} ({err.strerror})"
                ) from err
            self.stream = open(fd, "w", encoding=self.encoding, newline="")
        try:
            if self.format == "csv":
                self.csv = csv.DictWriter(self.stream, [*BEFORE_SCORES, *self.labels, *AFTER_SCORES])
                self.csv.writeheader()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def write(self, row: WindowPrediction) -> None:
        if self.format == "csv":
            self.csv.writerow(row.to_csv())
        else:
            self.stream.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
        self.rows += 1

    def __exit__(self, kind, value, traceback) -> None:
        if self.path is None:
            self.stream.flush()
            return
        try:
            self.stream.close()
            if kind is None:
                os.replace(self.partial, self.path)
        finally:
            self.partial.unlink(missing_ok=True)  # gone once renamed; else a failed or interrupted run
