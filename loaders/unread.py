"""The files below a corpus's root that a reader does not read, each accounted for: judged audio or not by its content
(:func:`is_audio`), set aside as a second copy (:func:`left_copy`) or a stray (:func:`stray`), and every file beside
the folders a reader reads (:func:`beside`, :func:`not_read`).  Each function takes the reader's
:class:`~loaders.base.Collector` first, whose methods of the same names they are."""

from __future__ import annotations

import codecs
import warnings
from collections.abc import Iterable
from pathlib import Path

from .copies import first_copied, folder_name, original_of, same_bytes
from .copy_reports import copy_name_error, shown
from .errors import BadFileError, InputWarning, display, outside_level
from .sniff import sniff, unread_format, unreadable_file
from .walk import blank_file, folder_entries, reached, searched, walk_files

# Container formats that count as audio when a file is judged by its content.
AUDIO_FORMATS = frozenset({"wav", "aiff", "flac", "ogg", "mp3", "mp4", "aac"})
_TEXT_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)
# In a release's own folders not read (IEMOCAP's MOCAP_*/, ForcedAlignment/, lab/: some 70,000 files), its text
# data counted as not audio by name, unopened (a scan on a cold disk opened each); any other file is judged by content
RELEASE_TEXT_SUFFIXES = frozenset({".txt", ".lab", ".wdseg", ".phseg", ".syseg", ".log"})


def is_audio(path: Path) -> bool:
    """Whether a regular file holds audio by its content (a UTF-16 text's BOM is not an MP3 sync), in
    a format that is read or in a recorder's that is not (AMR, WMA, CAF, WebM: reported by the probe
    with the conversion, never counted as not audio); a file that cannot be read raises its
    :class:`BadFileError` (``unreadable``, with the fix)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as err:
        raise unreadable_file(path, err) from None
    return not head.startswith(_TEXT_BOMS) and (sniff(head) in AUDIO_FORMATS or unread_format(head) is not None)


def audio_or_reported(c, path: Path) -> bool | None:
    """:func:`is_audio`, a file that cannot be read reported (raised, or counted with ``skip_bad``; then ``None``).
    Not an item: a README judged not audio is no corpus file read (the first clip's error keeps its hint)."""
    try:
        return is_audio(path)
    except BadFileError as err:
        c.skip(err, path)
        return None


def copy_beside(path: Path, names: frozenset[str] | None = None) -> str | None:
    """The name of the file beside ``path`` that ``path`` is named as a second copy of, where that file is there
    (``VideoDemographics copy.csv``: ``VideoDemographics.csv``; Finder's ``dev_labels 2.txt`` only with the bytes of
    ``dev_labels.txt``: :func:`~loaders.copies.original_of`; ``names``: its folder's, as walked), else None."""
    found = original_of(path, names=names)
    return found[0].name if found and found[0] != path and found[0].is_file() else None


def not_audio(c, paths: list[Path]) -> None:
    """Count ``paths``, judged not audio by content, as not audio; those named as a second copy of a file beside them
    (a table's copy, :func:`copy_beside`) as :func:`table_copy`, not strays."""
    copies = {path: name for path in paths if (name := copy_beside(path, c.names_in(path.parent)))}
    c.set_aside("not_audio", *(path for path in paths if path not in copies))
    for path, name in copies.items():
        table_copy(c, path, name)


def table_copy(c, path: Path, name: str) -> None:
    """``path``, not audio, named as a second copy of ``name`` beside it (a table's copy), not read: counted as such
    (``table_copy``: the summary's "copies of a table beside it (not read)", not among the other files, not audio) and
    named in :meth:`~loaders.base.Collector.finish`'s warning as what it is."""
    c.set_aside("table_copy", path)
    c.copies_not_read.append((path, name))


def beside(c, parent: Path, read: Iterable[Path], reads_from: str, release: Iterable[str] = ()) -> None:
    """Account for what ``parent`` holds beside the folders ``read`` (the reader's): its files and other folders, by
    :func:`not_read`, unsaid for the ``release``'s own (names in small letters, a second copy's as its folder's).
    A hidden folder is counted; a link to ``parent`` or above it, into a folder walked, or to one holding a folder
    walked (``Session1/s2 -> ../Session2``: walked by its own path, its clips not counted again), is passed over."""
    files, folders = folder_entries(parent, c.walk_problem)
    not_read(c, parent, reads_from, files)
    skip = [real for real in (path.resolve() for path in read) if not parent.resolve().is_relative_to(real)]
    for folder, real in ((folder, folder.resolve()) for folder in folders):
        if not searched(folder.name):  # .git/ of a git lfs clone, __MACOSX/
            c.hidden_folder(folder)
        elif not (parent.resolve().is_relative_to(real) or reached(real, c.walked + skip, folder.is_symlink())):
            c.walked.append(real)
            not_read(c, folder, reads_from, release=folder_name(folder.name).lower() in release)


def not_read(c, folder: Path, reads_from: str, files: list[Path] | None = None, *, release: bool = False) -> None:
    """Every file below ``folder`` (or of ``files``) not seen yet, seen and accounted for: audio by content counted
    as not read, and named in one warning for the folder (the clips are read from ``reads_from`` only) unless it is
    the ``release``'s own, whose text data (:data:`RELEASE_TEXT_SUFFIXES`) is counted by name; a 0-byte file as
    blank (CREMA-D's ``AudioMP3/`` has some); any other file as not audio; one that cannot be read reported."""
    audio, other, text, blank = [], [], [], []
    walked = files is None and [
        p for p, _ in walk_files(folder, (), c.walk_problem, c.hidden_folder, listings=c.listings)
    ]
    for path in (path for path in walked or files or () if str(path) not in c.seen):
        c.see(path)
        if release and path.suffix.lower() in RELEASE_TEXT_SUFFIXES:
            text.append(path)
        elif blank_file(path):
            blank.append(path)
        elif (found := audio_or_reported(c, path)) is not None:  # None: cannot be read, reported
            (audio if found else other).append(path)
    c.set_aside("not_audio", *text)
    not_audio(c, other)
    c.set_aside("not_read", *audio)
    c.set_aside("blank", *blank)
    if audio and not release:
        inside = folder.is_relative_to(c.root) and folder != c.root
        where = display(folder.relative_to(c.root) if inside else folder.name)
        warnings.warn(
            f"{c.corpus}: {len(audio)} audio file(s) in {where}/ not read (the first: {display(audio[0].name)}): "
            f"{c.corpus} reads its clips from {reads_from} only (counted as not read); move the clips to read "
            f"into {reads_from} and the others out of the corpus folder to silence this",
            InputWarning,
            outside_level(),  # the caller of load, whatever the depth (beside, or a reader's own call)
        )


def left_copy(c, path: Path, *, root: Path | None = None, beside_only: bool = False, data: bool = False) -> bool:
    """Whether ``path`` is named as a second copy of a file (:func:`~loaders.copies.original_of`: ``a (1).wav``, or
    below ``root`` ``Angry - Copy/a.wav``), then accounted for: with that file's bytes a duplicate (named in
    :meth:`~loaders.base.Collector.finish`'s warning); with other bytes, or with no such file beside it, reported if it
    is audio (which is the clip is the user's to say), else not audio.  ``beside_only``: only with that file beside it
    (your own corpus: "interview (2019).wav" is its own), else also in other letters (``X 2.wav`` beside ``x.wav``, a
    FAT copy's); ``data``: a metadata file, reported whatever its content."""
    found = original_of(path, root, any_case=not beside_only, names=c.names_in(path.parent), names_in=c.names_in)
    if found is None or (beside_only and not found[0].is_file()):
        return False
    if same_bytes(path, found[0]):  # original_of's file, found above
        c.set_aside("duplicate", path)
        c.copies.append((path, shown(first_copied(found[0], c.names_in(found[0].parent)), path)))
        return True
    with c.item(path):
        if is_audio(path) or data:  # (one that cannot be read is that: is_audio raises its error)
            raise copy_name_error(path, *found)
        if found[0].is_file():  # a table's copy with other bytes: not read, said so
            table_copy(c, path, shown(found[0], path))
        else:
            c.set_aside("not_audio", path)
    return True


def stray(c, path: Path, error: BadFileError) -> None:
    """A candidate whose name or place does not fit the corpus: ``error`` if it is audio by content (raised, or
    counted with ``skip_bad``), else counted as not audio.  Call inside :meth:`~loaders.base.Collector.item`."""
    if is_audio(path):
        raise error
    c.set_aside("not_audio", path)
