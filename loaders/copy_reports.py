"""What is done with a second copy of a file once it is found (what names one, and which file it copies, is
:mod:`loaders.copies`'s): the ``copy_name`` error of a copy whose bytes differ from that file's, or of one beside no
such file (:func:`copy_name_error`), naming that file as the user knows it (:func:`shown`); one clip read from two
files whose paths differ only in letter case, read once with a warning or reported (:func:`case_copies`,
:func:`case_twin_error`, :func:`warn_case_twins`); and a second copy no name marks, compared by its bytes with the
file read, set aside or reported (:func:`copy_elsewhere`).  The readers and :class:`~loaders.base.Collector` call
these; they count in the reader's ``Collector``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .copies import copy_of, folder_name, same_bytes
from .errors import SKIP_BAD, BadFileError
from .named import warn_files


def copy_name_error(path: Path, original: Path, maker: str) -> BadFileError:
    """The error for ``path``, named as ``maker`` names a second copy of ``original`` (:func:`.copies.original_of`),
    whose bytes differ from that file's, or with no such file: which one is right, or whether the name is,
    is the user's to say."""
    name = shown(original, path)
    what = f"named as {maker} names a second copy of {name}"
    if original.parent != path.parent:  # in a copied folder: 'Angry - Copy/a.wav' for 'Angry/a.wav'
        copied, folder = shown(path, original).split("/")[0], name.split("/")[0]
        of = f"{folder}/"
        absent = copy_of(copied)  # 'AudioWAV - Copy/' of 'AudioWAV (1)/'; not 'AudioWAV - Copy - Copy/' of 'AudioWAV/'
        if folder.casefold() not in (absent.casefold(), folder_name(copied).casefold()):
            of = f"{absent}/, which is not there ({folder}/, first in name order of its copies, is read as it)"
        what = f"in {copied}/, named as {maker} names a second copy of {of}: a second copy of {name}"
    if original.is_file():  # beside it, or in the folder its own is a copy of
        why = f"{what}, but its bytes differ from that file's{' beside it' if original.parent == path.parent else ''}"
        fix = f"keep the right one as {name} and delete the other (or give it a name of its own)"
    else:
        why, fix = f"{what}, and there is no {name} beside it", f"rename it to {name}"
    return BadFileError(path, "copy_name", why, fix, SKIP_BAD)


def shown(original: Path, path: Path) -> str:
    """``original``, the file ``path`` is a second copy of, as the user knows it: its name (``a.wav``), or,
    in another folder, its path from where the two folders part (``Angry/a.wav`` for ``Angry - Copy/a.wav``)."""
    common = Path(os.path.commonpath([original, path]))
    return original.relative_to(common).as_posix()


def case_copies(collector) -> None:
    """Set aside, before :class:`~loaders.base.Collector`'s ``finish`` counts them, the clips read twice under one
    id from two files whose paths differ only in letter case: in one folder (``1001_IEO_ANG_HI.wav`` and
    ``1001_ieo_ang_hi.wav``) or in folders beside each other so named (``AudioWAV/`` and ``AUDIOWAV/``): a copy from
    a disk that ignores case merged into one that does not.  The file named as the release (or its table) names it
    is read (not one read under another case's name, its suffix in small letters, in a folder named in capitals;
    else the first in name order, or of folders the first the reader read); a file with its bytes is a duplicate
    copy, named in one warning; one with other bytes is a ``copy_name`` error naming both (with ``skip_bad`` a
    counted skip, the other read)."""
    c, groups = collector, {}
    renamed = {str(path) for path, _ in c.cased}
    for record in c.records:
        path = Path(record.path)
        groups.setdefault((record.id, str(path).casefold()), []).append(record)  # AUDIOWAV/ beside AudioWAV/ too
    twins = [found for found in groups.values() if len(found) > 1]
    if not twins:
        return
    dropped, same = set(), []
    for found in twins:
        key = lambda r: (  # noqa: E731
            r.path in renamed,
            Path(r.path).suffix != Path(r.path).suffix.lower(),
            sum(part.isupper() for part in Path(r.path).parent.parts),  # AUDIOWAV/, as a FAT copy names it: not read
            Path(r.path).name,
        )
        first = Path(min(found, key=key).path)
        for path in sorted(Path(r.path) for r in found if r.path != str(first)):
            dropped.add(str(path))
            name = shown(first, path)  # 'a.wav' beside it, or 'AudioWAV/a.wav' for 'AUDIOWAV/a.wav'
            if same_bytes(path, first):
                c.set_aside("duplicate", path)
                same.append((path, name))
                continue
            c.skip(case_twin_error(path, name, "one clip, two recordings"), path)
    c.records = [record for record in c.records if record.path not in dropped]
    warn_case_twins(c, same, 5)  # the stack level case_copies warned at


def case_twin_error(path: Path, name: str, what: str) -> BadFileError:
    """The ``copy_name`` error of ``path``, named as ``name`` (the file read: ``a.wav`` beside it, or
    ``AudioWAV/a.wav`` for ``AUDIOWAV/a.wav``) in other letters, with other bytes: ``what`` they are then."""
    return BadFileError(
        path,
        "copy_name",
        f"named as {name} beside it in other letters (a copy from a disk that ignores letter case, merged into one "
        f"that does not), but its bytes differ from that file's: {what}",
        f"keep the right one as {name} and delete the other",
        f"pass --skip-bad (reads {name})",
    )


def warn_case_twins(collector, same: list[tuple[Path, str]], stacklevel: int = 2) -> None:
    """One warning naming the files set aside as the copies in other letters of files read with their bytes
    (``(path, the name of the file read)``), if any (``stacklevel`` as the caller's ``warnings.warn`` would take)."""
    if same:
        name = same[0][1]
        said = (
            f"named as {name} beside it in other letters, with the same bytes (a copy from a disk that ignores letter "
            f"case, merged into one that does not): read once, as {name} (counted as duplicate copies); delete the "
            "copies to silence this"
        )
        warn_files(collector, "case_copy", same, said, stacklevel + 1)


def copy_elsewhere(
    collector, path: Path, read: Path, where: str, fix: str, offer: str, earlier: Iterable[Path] = ()
) -> Path | None:
    """``path``, a second copy of ``read``, the file read, that no name marks as one (a tree copied again
    deeper: TESS's clip, a wav in ESD's other copy of a speaker folder), compared by its bytes with ``read``, then
    with the ``earlier`` copies of it, reported already: with the bytes of one, set aside as a duplicate copy,
    and that file returned (one version is reported once, however many copies hold it); else, if it is audio, a
    ``copy_name`` error, ``where`` it is and that its bytes differ from ``read``'s, with ``fix`` and ``offer`` (with
    ``skip_bad`` a counted skip), and if not, counted as not audio (None)."""
    c = collector
    if twin := next((file for file in (read, *earlier) if same_bytes(path, file)), None):
        c.set_aside("duplicate", path)
        return twin
    with c.item(path):
        error = BadFileError(
            path, "copy_name", f"{where}, but its bytes differ from {read.relative_to(c.root).as_posix()}", fix, offer
        )
        c.stray(path, error)
    return None
