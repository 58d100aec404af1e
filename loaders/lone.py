"""A second copy's name on a file with no original beside it, in a built-in corpus: ``x 2.wav``, ``x (1).wav`` or
``x - Copy.wav`` with no ``x.wav`` (the original renamed or lost) is the clip ``x`` under its copy's name, read as
it (:func:`read_as`), counted and named in one warning (:func:`warn_lone`); several such copies of one ``x`` are
read once where they hold one content, and none where they differ (:func:`lone_copies`).  What names a copy is
:mod:`loaders.copies`'s."""

from __future__ import annotations

import os
from collections.abc import Container
from pathlib import Path

from .copies import (
    KEPT_BOTH,
    KEPT_BOTH_NAMES,
    copied_folder,
    file_digest,
    file_signature,
    in_other_letters,
    named_copy,
)
from .copy_reports import copy_name_error
from .errors import BadFileError
from .named import warn_files


def lone_copy(
    path: Path,
    root: Path | None = None,
    suffixes: tuple[str, ...] | None = None,
    names: Container[str] | None = None,
) -> tuple[Path, str] | None:
    """The file ``path`` is named as a second copy of (:data:`.copies.COPY_NAMES` or :data:`KEPT_BOTH`: ``x (1).wav``,
    ``x - Copy.wav``, ``x 2.wav``), and what names a copy so, where that file is not beside it (renamed or lost:
    ``path`` is the clip, under its copy's name); None for any other name, or where that file is there (in any
    letters: ``x.wav`` renamed by a FAT copy, which the reader reads as ``X.wav``; ``X 2.wav`` then is its copy).  For a
    built-in corpus only, whose release names no file so (:data:`.copies.COPY_NAMES`); in your own, ``take 2.wav`` is its own.
    None also in a copied folder below ``root`` (``AudioWAV - Copy/x 2.wav``: the copy's, :func:`copied_folder`), and
    for a name not ending in one of ``suffixes`` (where given: a clip's, not a table's, ``train_labels (1).txt``).
    ``names``: the names in ``path``'s folder, as its walk listed them (:meth:`~loaders.base.Collector.names_in`), where
    the file named is looked for in other letters; None: the folder is listed for each call (:func:`.copies.in_other_letters`)."""
    if path.name.startswith(".") or (suffixes is not None and not path.name.lower().endswith(suffixes)):
        return None
    named = named_copy(path.name) or next(
        ((f"{m['stem']}{m['suffix'] or ''}", maker) for maker, p in KEPT_BOTH_NAMES if (m := p.fullmatch(path.name))),
        None,
    )
    if named is None or os.path.lexists(path.with_name(named[0])) or in_other_letters(path.with_name(named[0]), names):
        return None  # there, also in other letters ('X 2.wav' beside 'x.wav', a FAT copy's: read as X, this its copy)
    if root is not None and copied_folder(path.parent, root):  # its folder's copy: loaders.copies.original_of's
        return None
    return path.with_name(named[0]), named[1]


def lone_copies(collector, paths: list[Path], alone_of: dict[Path, tuple[Path, str] | None]) -> list[Path]:
    """``paths`` (a walk's candidates, name order), the :func:`lone_copy` ones (``alone_of``: its answer for each, as
    the walk asked it, once a clip) kept in ``collector.lone`` (path -> the file it is read as, what names it so), each
    read as that file (:func:`read_as`), counted and named in one warning when read (:func:`warn_lone`): where several stand for one
    file, with one content the first (in name order) is read and the others set aside as its duplicate copies;
    with other contents none is read, each a ``copy_name`` error (with ``skip_bad`` counted skips)."""
    c, groups = collector, {}
    for path in paths:
        if found := alone_of.get(path):
            groups.setdefault(found[0], []).append((path, found[1]))
    dropped = set()
    for original, found in groups.items():
        first, maker = found[0]
        if len(found) == 1 or _one_content(path for path, _ in found):  # a lone copy alone is not read here
            c.lone[str(first)] = (original, maker)
            for path, _ in found[1:]:
                dropped.add(path)
                c.set_aside("duplicate", path)
                c.copies.append((path, first.name))
            continue
        for path, named in found:
            dropped.add(path)
            others = ", ".join(p.name for p, _ in found if p != path)
            with c.item(path):
                raise BadFileError(
                    path,
                    "copy_name",
                    f"named as {named} names a second copy of {original.name}, and there is no {original.name} beside "
                    f"it; {others}, named as its copy too, holds other bytes: none of them is read",
                    f"keep the right one as {original.name} and delete the others",
                    "pass --skip-bad (reads none)",
                )
    return [path for path in paths if path not in dropped]


def _one_content(paths) -> bool:
    """Whether ``paths`` (two or more) all hold the same bytes, each read once (:func:`.copies.file_digest`); False
    where one cannot be read."""
    digests = {file_digest(os.fspath(p), file_signature(os.fspath(p)) or ()) for p in paths}
    return len(digests) == 1 and None not in digests


def read_as(collector, path: Path) -> Path:
    """The path whose name a reader parses for ``path``: the file a lone copy stands for (:func:`lone_copies`:
    ``x 2.wav`` read as ``x.wav``), else ``path`` itself."""
    return collector.lone[str(path)][0] if str(path) in collector.lone else path


# what a reader says of a lone copy whose x is no clip's name: then its copy's name is the question (copy_name)
_NAMING = frozenset({"bad_name", "unexpected_name", "unknown_label", "missing_metadata"})


def lone_error(collector, path: Path, error: BadFileError) -> BadFileError:
    """``error``, raised reading ``path``, or where ``path`` is a lone copy by a name that is a copy's alone
    (:data:`.copies.COPY_NAMES`: ``x (1).wav``) and ``error`` says ``x`` is no clip's name, the ``copy_name`` error: named as
    a second copy of ``x.wav``, with no ``x.wav`` beside it.  Either way it is not read as ``x`` (not counted)."""
    c = collector
    if error.reason not in _NAMING or (lone := c.lone.pop(str(path), None)) is None or lone[1] in KEPT_BOTH:
        return error  # 'recording 7.wav' alone: a name of its own (KEPT_BOTH), as the reader says of it
    return copy_name_error(path, *lone)


def warn_lone(collector, read: set[str]) -> None:
    """Count the lone copies read (of ``read``, the records' paths) and name them in one warning."""
    c = collector
    lone = [(Path(path), original) for path, (original, _) in c.lone.items() if path in read]
    if lone:
        c.count("lone_copy", len(lone))
        path, original = lone[0]
        said = (
            f"read {path.name!r} as {original.stem}: no {original.name} beside it (named as a file manager names a "
            "second copy; the original renamed or lost; counted as read under a copy's name); rename it to "
            f"{original.name} to silence this"
        )
        warn_files(c, "lone_copy", lone, said, 5)  # the caller of loaders.load
