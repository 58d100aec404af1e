"""Miniature copies of the seven corpora in their real on-disk layouts, for tests and demos.

>>> from loaders import testing
>>> root = testing.make_corpus("crema_d", tmp_path)          # small, deterministic from seed=0
>>> full = testing.make_corpus("esd", tmp_path, size="full")  # the real 35000 files, hard-linked

Every generator reproduces its corpus's layout variants and tolerated quirks (96 kHz or float
files, AIFF bytes behind ``.wav``, UTF-16/GB2312 transcripts, hidden files, decoy folders, …);
``bad=True`` also plants the bad inputs a reader must reject (git-LFS stub, truncated and non-audio
files, unknown label codes, missing metadata rows).  ``make_corpus("audiofolder", ..., language="ind")``
makes a user's own corpus in the audiofolder convention (:mod:`loaders.testing.audiofolder`).  Audio is synthesised speech-like sound
(:mod:`loaders.testing.synth`) whose prosody follows the emotion and whose voice follows the
speaker's age group and language, so that a model can learn from it.

Every generated corpus root holds a marker (:data:`loaders.synthetic.MARKER`) saying its audio is
synthetic: ``prepare`` records it, and the cards and tables made from it say so.

``size="full"`` makes the real file counts cheaply: short clips from a small pool of synthesised
sounds, hard-linked into place (their audio content therefore repeats).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from .. import READERS
from ..synthetic import write_marker
from ._common import FixtureWriter, Sizes

__all__ = ["FixtureWriter", "GENERATORS", "Sizes", "digest", "make_all", "make_corpus", "snapshot"]

GENERATORS: tuple[str, ...] = READERS
# A user's own corpus (loaders.audiofolder) in any language code and age groups: make_corpus("audiofolder", ...).
EXTRA_GENERATORS: tuple[str, ...] = ("audiofolder",)


def make_corpus(
    name: str,
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    size: str = "small",
    bad: bool = False,
    scale: int = 1,
    **options,
) -> Path:
    """Generate corpus ``name`` below ``out_dir``; returns the root to hand to its reader.

    ``scale`` (small size): about that many times the small size's distinct clips per group and
    split, all distinct.  ``options`` are generator-specific (e.g. ``layout="b"``
    for ESD/TESS)."""
    if name not in GENERATORS + EXTRA_GENERATORS:
        raise KeyError(f"no fixture generator for {name!r}; choose one of: {', '.join(GENERATORS + EXTRA_GENERATORS)}")
    if size not in Sizes.NAMES:
        raise ValueError(f"size must be one of {Sizes.NAMES}, not {size!r}")
    module = importlib.import_module(f"{__name__}.{name}")
    if scale != 1 and size != "small":
        raise ValueError(f"scale applies to size='small' only, not to size={size!r}")
    writer = FixtureWriter(Path(out_dir), seed=seed, size=size, scale=scale)
    root = module.make(writer, bad=bad, **options)
    # prepare records the corpus as synthetic from it (the same options give the same bytes: no layout in it)
    write_marker(root, _title(name), f"{__name__}.{name}, seed {seed}, size {size}, scale {scale}")
    return root


def _title(name: str) -> str:
    """The corpus a generator imitates (a user's own corpus: any)."""
    from .. import READERS, SOURCES

    return SOURCES[name].title if name in READERS else "a user's own corpus"


def make_all(
    out_dir: str | os.PathLike, *, seed: int = 0, size: str = "small", names=GENERATORS, scale: int = 1
) -> dict[str, Path]:
    """Generate several corpora side by side (``scale``: see :func:`make_corpus`); returns ``{name: root}``."""
    return {name: make_corpus(name, Path(out_dir), seed=seed, size=size, scale=scale) for name in names}


def snapshot(root: str | os.PathLike) -> dict[str, tuple[int, int]]:
    """``{relative path: (size, mtime_ns)}`` of every file and folder below ``root``: equal before
    and after a reader ran proves that it wrote, moved and renamed nothing there."""
    root = Path(root)
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def digest(root: str | os.PathLike) -> dict[str, str]:
    """``{relative path: sha1}`` of every file below ``root`` (byte-identical trees compare equal)."""
    import hashlib

    root = Path(root)
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
