"""The columns of a user corpus's ``metadata.csv`` / ``metadata.jsonl`` (:mod:`loaders.metadata` reads
its rows): the required ones are there, and a column named like one that is read (``speaker`` for
``speaker_id``, ``Gender``) is said, since its values would be silently absent."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from .errors import InputWarning, LayoutError

# The columns a row is read from; a column named like one of them (another case, an alias) is not read.
COLUMNS = ("file_name", "emotion", "emotions", "language", "age", "age_group", "gender", "speaker_id", "split", "text")
ALIASES = {"speaker": "speaker_id", "spk": "speaker_id", "speakerid": "speaker_id", "label": "emotion",
           "labels": "emotions", "filename": "file_name", "file": "file_name", "path": "file_name",
           "audio": "file_name", "lang": "language", "sex": "gender", "transcript": "text",
           "transcription": "text", "sentence": "text", "agegroup": "age_group", "partition": "split"}  # fmt: skip


def _unread_columns(columns: set[str]) -> dict[str, str]:
    """``{column: the column it likely means}`` for the columns that look like one the reader reads
    but are not (``speaker`` for ``speaker_id``, ``Gender`` for ``gender``)."""
    import difflib

    meant = {}
    read = columns | ({"emotion", "emotions"} if columns & {"emotion", "emotions"} else set())  # either is the labels
    for column in sorted(columns - set(COLUMNS)):
        key = re.sub(r"[\s_\-]+", "_", column.strip().casefold())
        guess = key if key in COLUMNS else ALIASES.get(key.replace("_", "")) or ALIASES.get(key)
        guess = guess or next(iter(difflib.get_close_matches(key, COLUMNS, n=1, cutoff=0.8)), None)
        words = {w if w in COLUMNS else ALIASES.get(w) for w in key.split("_")} - {None}  # "emotion label"
        guess = guess or (words.pop() if len(words) == 1 else None)
        if guess and guess not in read:
            meant[column] = guess
    return meant


def check_columns(metadata: Path, rows: list) -> None:
    """The required columns are there (else one error, naming a column that likely means one); a
    column that looks like one read but is not is one :class:`InputWarning`: its values would be
    silently absent."""
    columns = {key for _, cells in rows if isinstance(cells, dict) for key in cells if key is not None}
    meant = _unread_columns(columns)
    listed = ", ".join(f"{column!r} (did you mean {guess!r}?)" for column, guess in meant.items())
    needs = [("file_name",), ("emotion", "emotions"), ("language",), ("age", "age_group")]
    missing = [" or ".join(alts) for alts in needs if not columns & set(alts)]
    if not rows:  # a header line alone: its columns are not what is wrong
        raise LayoutError(metadata, "bad_metadata", "holds no rows", "add a row for each clip (below the header line)")
    if missing:
        raise LayoutError(
            metadata,
            "bad_metadata",
            f"no {', no '.join(missing)} column (its columns: {', '.join(sorted(columns)) or 'none'}"
            + (f"; not read: {listed}" if listed else "")
            + ")",
            "the metadata needs file_name, emotion (or emotions), language and age (or age_group) columns",
        )
    if meant:
        warnings.warn(
            f"{metadata}: {'columns' if len(meant) > 1 else 'column'} {listed} "
            f"{'are' if len(meant) > 1 else 'is'} not read: rename to be read (columns read: {', '.join(COLUMNS)})",
            InputWarning,
            stacklevel=3,
        )
    if {"emotion", "emotions"} <= columns:
        raise LayoutError(metadata, "bad_metadata", "has both an emotion and an emotions column", "keep one")
