"""What names a second copy of a file or a folder, and which file it copies: the names a browser or a file
manager gives a second copy (:data:`COPY_NAMES`, :func:`copy_of`; Finder's "Keep Both", only beside a file of its
bytes: :data:`KEPT_BOTH`, :func:`kept_both`), a folder so named beside its folder
(:func:`copied_folder`), and the file a copy's name points to (:func:`original_of`), and whether it holds that
file's bytes (:func:`same_bytes`).  The readers' walk (:mod:`loaders.walk`) and :class:`~loaders.base.Collector`
decide with these what a file below a corpus is; what is then done with a copy (its error, its warning, one set
aside) is :mod:`loaders.copy_reports`'s."""

from __future__ import annotations

import filecmp
import functools
import os
import re
import stat
from collections.abc import Callable, Container
from pathlib import Path

from .files import sha256_of

# How a second copy of a file is named beside it, by what made it: a web browser downloading it again, a
# file manager's paste or duplicate in the same folder ("{stem}": the file's name without its suffix, which
# the copy keeps; "{n}": a number, "{nth}": an ordinal, 3rd or 21st; letters in any case, as a FAT copy may
# change them).  The one table: :func:`copy_of` reads it, loaders.testing.mangle.copy_names writes every
# form of it for the tests.  No file name of a corpus's release holds a space or ends in "(n)", nor is a
# folder's named so (CSED's "Training Data (wav)" is not): none is taken for a copy (docs/corpora.md).
COPY_NAMES: dict[str, tuple[str, ...]] = {
    "a web browser (a second download) or Windows": ("{stem} ({n})",),
    "Firefox (a second download)": ("{stem}({n})",),
    "Windows Explorer in English": ("{stem} - Copy", "{stem} - Copy ({n})"),
    "Windows Explorer in German or Dutch": ("{stem} - Kopie", "{stem} - Kopie ({n})"),
    "Windows Explorer in French": ("{stem} - Copie", "{stem} - Copie ({n})"),
    "Windows Explorer in Spanish or Italian": ("{stem} - copia", "{stem} - copia ({n})"),
    "Windows XP's Explorer or Google Drive": ("Copy of {stem}", "Copy ({n}) of {stem}"),
    "macOS Finder or KDE Dolphin": ("{stem} copy", "{stem} copy {n}"),
    "KDE Dolphin": ("{stem} copy ({n})",),
    "GNOME Files": ("{stem} (copy)", "{stem} (another copy)", "{stem} ({nth} copy)"),
}
# macOS Finder's "Keep Both" (a file copied into a folder that holds one of its name) names the copy "{stem} {n}"
# ("x 2.wav"): a name recordings have of their own ("recording 7.wav", "take 2.wav"), so not in COPY_NAMES, whose
# every form is a copy by its name alone (other bytes a copy_name error, a folder so named a copied folder).  A
# file so named is a second copy only beside the file it names holding its bytes (:func:`kept_both`; Finder numbers a
# copy of "x 2.wav" "x 3.wav": beside an "x 2.wav" of its bytes, that file's copy); else it is a file of its own,
# and a folder so named ("Angry 2/") is a folder of its own: a folder has no bytes to compare.
KEPT_BOTH: dict[str, tuple[str, ...]] = {"macOS Finder (Keep Both)": ("{stem} {n}",)}
_NUMBERS = {re.escape("{n}"): r"\d+", re.escape("{nth}"): r"\d+(?:st|nd|rd|th)", re.escape("{stem}"): "(?P<stem>.+?)"}


def _pattern(form: str) -> str:
    pattern = re.escape(form)
    for placeholder, number in _NUMBERS.items():
        pattern = pattern.replace(placeholder, number)
    return pattern + r"(?P<suffix>\.[^.]*)?"


_COPY_NAMES = [(maker, re.compile(_pattern(form), re.I)) for maker, forms in COPY_NAMES.items() for form in forms]
# any of them at once, which most names (every folder's above each clip) fail in one go
_ANY_COPY_NAME = re.compile(re.sub(r"\(\?P<\w+>", "(?:", "|".join(f"(?:{p.pattern})" for _, p in _COPY_NAMES)), re.I)
KEPT_BOTH_NAMES = [(maker, re.compile(_pattern(form), re.I)) for maker, forms in KEPT_BOTH.items() for form in forms]
_folder_named_copy = functools.lru_cache(1024)(lambda name: named_copy(name))  # tested for each clip below it


def copy_of(name: str) -> str | None:
    """The file name ``name`` is named as a second copy of (``a (1).wav``, ``a - Kopie.wav``, ``a copy 2.wav``
    -> ``a.wav``: :data:`COPY_NAMES`), or None, also for a hidden name (``._a (1).wav``, a resource fork, is
    counted as one); whether that file is beside it, and holds the same bytes, is the caller's to see."""
    named = named_copy(name)
    return named[0] if named else None


def named_copy(name: str) -> tuple[str, str] | None:
    """:func:`copy_of` and what names a second copy so (a key of :data:`COPY_NAMES`), or None."""
    if name.startswith(".") or not _ANY_COPY_NAME.fullmatch(name):
        return None
    matches = [(match, maker) for maker, pattern in _COPY_NAMES if (match := pattern.fullmatch(name))]
    if not matches:  # of the forms it fits, the one leaving the shortest name: 'x - Copy (2).wav' is x.wav's
        return None
    match, maker = min(matches, key=lambda found: len(found[0]["stem"]))
    return f"{match['stem']}{match['suffix'] or ''}", maker


def kept_both(path: Path, *, any_case: bool = False, names: Container[str] | None = None) -> tuple[Path, str] | None:
    """The file beside ``path`` that it is a second copy of as macOS Finder's "Keep Both" names one (``a 2.wav``
    of ``a.wav``: :data:`KEPT_BOTH`), where that file holds the same bytes, and what named it so; else None (a
    ``recording 7.wav`` of its own, with no ``recording.wav`` of its bytes beside it, is no copy).  Finder numbers
    a copy of ``a 2.wav`` ``a 3.wav``: the file named is ``a.wav``, else the first of ``a 2.wav`` ... below
    ``path``'s number (at most :data:`_KEPT_BOTH_BELOW` of them) holding its bytes.  Compared by size, then by
    a digest of the bytes read once per file (:func:`file_digest`): 99 copies of one size are 99 reads, not 4,851
    comparisons (bench/bench_walk.py).  ``any_case``: ``a.wav`` in other letters too where it is not there
    (``A 2.wav`` beside ``a.wav``, a FAT copy's; a built-in corpus's reader reads ``a.wav`` as ``A.wav``; not for
    your own corpus's ``take 1.wav`` ... ``take 500.wav``).
    ``names``: the names in ``path``'s folder (the walk's listing, :meth:`~loaders.base.Collector.names_in`), where
    each name below is looked up; only those there are stat'ed (their sizes).  None: the folder is listed here, once
    per call (:func:`folder_names`): a caller asking of many files in one folder passes its listing."""
    for maker, pattern in KEPT_BOTH_NAMES if not path.name.startswith(".") else ():
        if match := pattern.fullmatch(path.name):
            stem, suffix = match["stem"], match["suffix"] or ""
            number = int(path.name[len(stem) + 1 : len(path.name) - len(suffix)])  # '{stem} {n}{suffix}'
            named = [f"{stem}{suffix}", *(f"{stem} {n}{suffix}" for n in range(2, min(number, _KEPT_BOTH_BELOW)))]
            folder = os.path.join(os.path.dirname(path), "")  # with its separator: a name is added, not joined
            names = folder_names(folder) if names is None else names
            if any_case and named[0] not in names:
                named[0] = (in_other_letters(path.with_name(named[0]), names) or path.with_name(named[0])).name
            there = [folder + n for n in named if n in names]  # ~98 names for 'take 99.wav': stat those there only
            if not there or (own := file_signature(os.fspath(path))) is None:
                return None
            for other in there:
                if (
                    (sig := file_signature(other))
                    and sig[1] == own[1]
                    and (bytes_ := file_digest(os.fspath(path), own))
                ):
                    if file_digest(other, sig) == bytes_:
                        return Path(other), maker
    return None


def folder_names(folder: str | os.PathLike) -> frozenset[str]:
    """The names in ``folder`` (``""``: the working folder), files and folders; none where it cannot be listed (its
    walk reports that): what :func:`kept_both` looks a name up in, in place of a stat of each."""
    try:
        return frozenset(os.listdir(folder or "."))
    except OSError:
        return frozenset()


def file_signature(path: str) -> tuple | None:
    """``(device, size, inode, modified ns, changed ns)`` of a regular file, or None (not there, not a file, cannot
    stat): a rewrite in place that keeps the size and the modified time (one tick of a coarse clock, FAT's 2 s, or a
    time set back: rsync -t, os.utime) still moves the change time, which no one sets.  Not on Windows, where
    ``st_ctime_ns`` is the creation time: there such a rewrite keeps its signature, and its old digest."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns) if stat.S_ISREG(st.st_mode) else None


_DIGESTS: dict[tuple[str, tuple], str] = {}  # (path, its signature) -> the SHA-256 of its bytes


def file_digest(path: str, signature: tuple) -> str | None:
    """The SHA-256 of ``path``'s bytes, read once for each ``signature`` it has (:func:`file_signature`: rewritten,
    it is read again); None where it cannot be read (not known to be the same as any file)."""
    if (key := (path, signature)) not in _DIGESTS:
        try:
            digest = sha256_of(path)
        except OSError:
            return None
        if len(_DIGESTS) >= 4096:  # a walk's worth of numbered names, not every file ever compared
            _DIGESTS.clear()
        _DIGESTS[key] = digest
    return _DIGESTS[key]


_KEPT_BOTH_BELOW = 100  # 'take 2019.wav' is compared with 'take.wav' and 'take 2.wav' ... 'take 99.wav' only


def copied_folder(folder: Path, root: Path) -> tuple[Path, Path, str] | None:
    """The folder at or above ``folder``, below ``root``, named as a second copy of a folder beside it
    (``Angry - Copy``, Explorer's paste of ``Angry/``; :data:`COPY_NAMES`; ``Angry - Copy - Copy``, a copy of
    that copy, of ``Angry/`` where ``Angry - Copy/`` is not there), or of one that is not there but
    another copy of it is (:func:`stand_in`), with that folder and what made the copy: ``(copy, original,
    maker)``, or None (also for ``root`` itself: a second download of a corpus pointed at is the corpus)."""
    top, below = str(root).rstrip(os.sep) + os.sep, str(folder)
    if not below.startswith(top):  # not below root (a string's test: this runs for every clip)
        return None
    parts = below[len(top) :].split(os.sep)
    for depth in range(len(parts), 0, -1):  # the nearest first
        name, maker = parts[depth - 1], None
        while named := _folder_named_copy(name):  # 'Angry - Copy - Copy': of 'Angry - Copy', else of 'Angry'
            maker, name = maker or named[1], named[0]
            original = stand_in(root.joinpath(*parts[: depth - 1]), name)
            if original and original.name != parts[depth - 1]:
                return root.joinpath(*parts[:depth]), original, maker
    return None


def stand_in(parent: Path, name: str) -> Path | None:
    """The folder that is ``parent / name`` to the readers: that folder, or where it is not there, that folder
    in other letters (``AUDIOWAV/``, as an old FAT copy names it), else the first in name order (code points,
    as ``sorted``) of the folders beside it named as its second copy: of ``AudioWAV (1)/`` and ``AudioWAV -
    Copy/`` alone, ``AudioWAV (1)/`` is read as ``AudioWAV/`` and the other is its copy, file by file
    (:func:`copied_folder`); None where none is there."""
    if os.path.isdir(parent / name):  # False, not PermissionError, below a folder that cannot be searched
        return parent / name
    try:
        with os.scandir(parent) as entries:
            found = sorted(
                (copy_of(entry.name) is not None, entry.name)
                for entry in entries
                if (copy_of(entry.name) or entry.name).casefold() == name.casefold() and entry.is_dir()
            )
    except OSError:  # a folder that cannot be listed: the walk reports it
        return None
    return parent / found[0][1] if found else None


def named_folders(parent: Path, name: str) -> list[Path]:
    """The folders in ``parent`` named ``name`` in any letters or as its second copy (:func:`folder_name`:
    ``AudioWAV``, ``AUDIOWAV``, ``AudioWAV (1)``, ``AudioWAV - Copy - Copy``), the one read as it first
    (:func:`stand_in`), then the others in name order: a reader walks them all, a copy's files read once or
    reported file by file (:func:`copied_folder`); none where ``parent`` cannot be listed (its walk reports it)."""
    try:
        with os.scandir(parent) as entries:
            found = sorted(e.name for e in entries if folder_name(e.name).casefold() == name.casefold() and e.is_dir())
    except OSError:
        return []
    first = stand_in(parent, name)
    return sorted((parent / found_name for found_name in found), key=lambda path: path != first)


def folder_name(name: str) -> str:
    """The name of the folder one named as its second copy stands for (``Angry (1)`` -> ``Angry``, ``Copy of
    0001 - Copy`` -> ``0001``), else ``name``: a reader that takes a clip's label, speaker or split from its
    folder's name takes it so.  A copy beside its folder holds copies, set aside or reported file by file
    (:func:`copied_folder`); one beside none is that folder, as a user renamed or unzipped it."""
    while named := _folder_named_copy(name):  # a folder's name once, not once per clip below it
        name = named[0]
    return name


def original_of(
    path: Path,
    root: Path | None = None,
    *,
    any_case: bool = False,
    names: Container[str] | None = None,
    names_in: Callable[[Path], Container[str]] | None = None,
) -> tuple[Path, str] | None:
    """The file ``path`` is named as a second copy of, and what named it so: by its own name (``a (1).wav`` ->
    ``a.wav``: :func:`named_copy`; ``a 2.wav`` -> ``a.wav`` only where that file holds its bytes:
    :func:`kept_both`), or, below ``root``, by a folder above it named as a second copy of the folder beside it,
    where that folder holds its counterpart (``Angry - Copy/a.wav`` -> ``Angry/a.wav``: :func:`copied_folder`;
    named there in other letters, ``Angry/A.WAV``, where it holds none named so; a file of its own there is no
    copy); else None.  Whether the file it names is there, and holds the same bytes, is the caller's to see.
    ``any_case``: the file a copy's own name names is looked for in other letters too where it is not there
    (``A (1).wav`` or ``A 2.wav`` beside ``a.wav``: :func:`in_other_letters`; a built-in corpus's, whose reader
    reads ``a.wav`` as ``A.wav``).  ``names``: the names in ``path``'s folder, where the walk has them (:func:`kept_both`);
    ``names_in``: a folder's names, as the walk listed them (:meth:`~loaders.base.Collector.names_in`), where a copied
    folder's counterpart is looked for in other letters: its original folder is listed once a walk, not once a file
    (None: listed for each call)."""
    if named := named_copy(path.name):
        original = path.parent / named[0]
        if any_case and not os.path.lexists(original):
            original = in_other_letters(original, names) or original
        return original, named[1]
    if kept := kept_both(
        path, any_case=any_case, names=names
    ):  # 'a 2.wav' beside an 'a.wav' of its bytes: Finder's "Keep Both"
        return kept
    if root is not None and (folder := copied_folder(path.parent, root)):
        copy, original, maker = folder
        counterpart = original / path.relative_to(copy)  # or in other letters: 'a.WAV' of 'Angry/a.wav', a FAT copy's
        if counterpart.is_file():
            return counterpart, maker
        if found := in_other_letters(counterpart, None if names_in is None else names_in(counterpart.parent)):
            return found, maker
    return None


def in_other_letters(path: Path, names: Container[str] | None = None) -> Path | None:
    """The file beside ``path`` named as it but for letter case (the first in name order), or None; ``names``: the
    names in its folder (:func:`kept_both`'s; a walk's frozenset is looked up by :func:`_by_letters`, not read through
    for each file), else it is listed (:func:`folder_names`)."""
    fold = path.name.casefold()
    if isinstance(names, frozenset):
        same = _by_letters(names).get(fold, ())
    else:
        same = [name for name in (folder_names(path.parent) if names is None else names) if name.casefold() == fold]
    found = sorted(name for name in same if path.with_name(name).is_file())
    return path.with_name(found[0]) if found else None


_BY_LETTERS: dict[int, tuple[frozenset[str], dict[str, list[str]]]] = {}  # a listing's id -> (it, its names by letters)


def _by_letters(names: frozenset[str]) -> dict[str, list[str]]:
    """A folder's listing by each name's letters in one case (:func:`in_other_letters`' look-up), made once per listing
    (the walk's, :meth:`~loaders.base.Collector.names_in`), not a pass over a folder of 5,000 names for each file.
    Kept by the listing's identity, not its contents: a second walk's equal listing is not compared name by name."""
    if (kept := _BY_LETTERS.get(id(names))) is None or kept[0] is not names:  # held here: its id is not reused
        if len(_BY_LETTERS) >= 16:  # a reading's folders at a time, not every listing ever looked up
            _BY_LETTERS.clear()
        folded: dict[str, list[str]] = {}
        for name in names:
            folded.setdefault(name.casefold(), []).append(name)
        kept = _BY_LETTERS[id(names)] = (names, folded)
    return kept[1]


def same_as_original(path: Path, root: Path | None = None, names: Container[str] | None = None) -> bool:
    """Whether ``path`` is named as a second copy (:func:`original_of`) of a file that holds the same
    bytes: that file's copy, nothing of its own; ``names``: the names in its folder (:func:`kept_both`'s)."""
    found = original_of(path, root, names=names)
    return found is not None and same_bytes(path, found[0])


def same_bytes(path: Path, original: Path) -> bool:
    """Whether ``original`` is a file holding the bytes of ``path`` (False where one of the two cannot be
    read: not known to be the same)."""
    try:
        return original.is_file() and filecmp.cmp(path, original, shallow=False)
    except OSError:
        return False


def first_copied(original: Path, names: Container[str] | None = None) -> Path:
    """The file a chain of second copies began with: ``a.wav`` for ``a (1).wav`` where ``a (1).wav`` is a copy
    of ``a.wav`` beside it with its bytes (so ``a (1) (1).wav`` or ``a (1) 2.wav`` is read once, as ``a.wav``),
    else ``original``; ``names``: the names in its folder (:func:`kept_both`'s)."""
    while (found := original_of(original, names=names)) and same_bytes(original, found[0]):
        original = found[0]
    return original
