"""Readers for the raw releases of the seven corpora behind BiMotion and YueMotion.

>>> import loaders
>>> records = loaders.load("csed", "~/corpora/csed")          # list[loaders.Utterance]
>>> loaders.SOURCES["csed"].license
'Apache-2.0'

Every reader takes the folder the user unpacked the release into (or any folder above it), reads
it without ever writing there, and returns :class:`Utterance` records sorted by id.  Bad files
raise :class:`CorpusError` naming the file and the fix; ``skip_bad=True`` turns them into counted
skips in a :class:`SkipReport`.

A user's own corpus in the Hugging Face ``audiofolder`` convention (audio files plus
``metadata.csv``/``metadata.jsonl``) is read by :mod:`loaders.audiofolder` under any other name:
``loaders.load("carehome", "~/corpora/carehome")``; reading it registers its :class:`SourceInfo`
in :data:`SOURCES` at run time (:func:`register_source`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from types import MappingProxyType

from .errors import BadFileError, CorpusError, LayoutError, MissingToolError
from .labels import LABEL2ID, LABELS, label_space
from .record import Utterance
from .skips import SkipReport
from .source import SourceInfo

__all__ = [
    "LABELS",
    "LABEL2ID",
    "READERS",
    "SOURCES",
    "BadFileError",
    "CorpusError",
    "LayoutError",
    "MissingToolError",
    "SkipReport",
    "SourceInfo",
    "Utterance",
    "known_defects",
    "label_space",
    "load",
    "reader",
    "register_source",
]

# One module per corpus; each exposes INFO (SourceInfo) and load(root, *, skip_bad, report).
READERS: tuple[str, ...] = ("crema_d", "tess", "esd", "iemocap", "elderreact", "csed", "yuemotion")


def reader(name: str):
    """The reader module for corpus ``name``."""
    if name not in READERS:
        raise KeyError(f"unknown corpus {name!r}; choose one of: {', '.join(READERS)}")
    return importlib.import_module(f"{__name__}.{name}")


class _Sources(dict):
    """``SOURCES[name]`` -> SourceInfo: the seven corpora's, imported on first access, and the user
    corpora registered at run time (:func:`register_source`)."""

    def __missing__(self, name: str) -> SourceInfo:
        info = reader(name).INFO
        self[name] = info
        return info

    def __contains__(self, name: object) -> bool:
        """A corpus of the seven is in before its first access (``in`` said False until then)."""
        return name in READERS or super().__contains__(name)

    def all(self) -> list[SourceInfo]:
        """The seven corpora's (what `bimotion sources` lists)."""
        return [self[name] for name in READERS]


SOURCES = _Sources()


def register_source(info: SourceInfo) -> SourceInfo:
    """Add a user corpus's :class:`SourceInfo` to :data:`SOURCES` (the latest one of a name wins);
    the seven corpora's cannot be replaced."""
    if info.name in READERS:
        raise ValueError(f"{info.name!r} is one of the seven corpora; give your own corpus another name")
    SOURCES[info.name] = info
    return info


@functools.cache
def known_defects(corpus: str) -> Mapping[str, str]:
    """``{record id: what is wrong}`` of the clips that are broken in every copy of ``corpus``'s release
    (its reader's ``KNOWN_DEFECTS``, data: CREMA-D's near-silent ``1076_MTI_SAD_XX``); none for a user's
    corpus.  Another download does not mend them: ``prepare`` keeps them as released and says so,
    instead of the advice for a clip that may be a bad copy."""
    if corpus not in READERS:
        return MappingProxyType({})
    return MappingProxyType({f"{corpus}/{n}": what for n, what in getattr(reader(corpus), "KNOWN_DEFECTS", {}).items()})


def load(name: str, root, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read corpus ``name`` below ``root`` into records (see the module docstring).  A ``name`` that is
    not one of the seven corpora reads ``root`` (a folder, or a :class:`loaders.audiofolder.AudioFolder`
    with its label map and licence) as a user's audiofolder corpus."""
    if not isinstance(skip_bad, bool):
        raise TypeError(f"skip_bad must be True or False, not {skip_bad!r}")
    if report is not None and not isinstance(report, SkipReport):
        raise TypeError(f"report must be a loaders.SkipReport (or None), not {type(report).__name__}")
    if name in READERS:
        return reader(name).load(root, skip_bad=skip_bad, report=report)
    from . import audiofolder

    return audiofolder.load(name, root, skip_bad=skip_bad, report=report)
