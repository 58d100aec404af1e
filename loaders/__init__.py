"""Readers for the raw releases of the seven corpora behind BiMotion and YueMotion.

>>> import loaders
>>> records = loaders.load("csed", "~/corpora/csed")          # list[loaders.Utterance]
>>> loaders.SOURCES["csed"].license
'Apache-2.0'

Every reader takes the folder the user unpacked the release into (or any folder above it), reads
it without ever writing there, and returns :class:`Utterance` records sorted by id.  Bad files
raise :class:`CorpusError` naming the file and the fix; ``skip_bad=True`` turns them into counted
skips in a :class:`SkipReport`.
"""

from __future__ import annotations

import importlib
import os

from .base import SourceInfo
from .errors import BadFileError, CorpusError, LayoutError, SkipReport
from .labels import LABEL2ID, LABELS, label_space
from .record import Utterance

__all__ = [
    "LABELS",
    "LABEL2ID",
    "READERS",
    "SOURCES",
    "BadFileError",
    "CorpusError",
    "LayoutError",
    "SkipReport",
    "SourceInfo",
    "Utterance",
    "label_space",
    "load",
    "reader",
]

# One module per corpus; each exposes INFO (SourceInfo) and load(root, *, skip_bad, report).
READERS: tuple[str, ...] = ("crema_d", "tess", "esd", "iemocap", "elderreact", "csed", "yuemotion")


def reader(name: str):
    """The reader module for corpus ``name``."""
    if name not in READERS:
        raise KeyError(f"unknown corpus {name!r}; choose one of: {', '.join(READERS)}")
    return importlib.import_module(f"{__name__}.{name}")


class _Sources(dict):
    """``SOURCES[name]`` -> SourceInfo, imported on first access."""

    def __missing__(self, name: str) -> SourceInfo:
        info = reader(name).INFO
        self[name] = info
        return info

    def all(self) -> list[SourceInfo]:
        return [self[name] for name in READERS]


SOURCES = _Sources()


def load(
    name: str, root: str | os.PathLike, *, skip_bad: bool = False, report: SkipReport | None = None
) -> list[Utterance]:
    """Read corpus ``name`` below ``root`` into records (see the module docstring)."""
    return reader(name).load(root, skip_bad=skip_bad, report=report)
