"""What ``bimotion check`` (:func:`bimotion.verify.check_files`) says of a file ``prepare.json`` lists that it
could not check: missing (:func:`not_there`), unreadable (:func:`unreadable`: a fix for each cause), in a folder
below ``data/`` that could not be listed (:func:`unlisted_folder`), or not the bytes prepare wrote (:func:`changed_why`);
and a link to a folder that its walk does not enter (:func:`linked_folder`); :func:`a_problem` decides which of the
last two is a problem and which a note (``__MACOSX/``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

# what a file or folder that the permissions keep check from reading needs
MAKE_READABLE = "make it and its folders readable (chmod u+rx, or run as its owner)"


def unreadable(rel: str, err: Exception) -> str:
    """The problem of listed file ``rel`` that could not be read (``err``): a permission's fix where permissions
    stopped it (``chmod 000``), else prepare again (damaged data).  One wording for each, wherever it was read."""
    if isinstance(err, PermissionError):  # pyarrow's strerror is its whole message: the errno's words
        return f"unreadable file {rel} ({os.strerror(err.errno) if err.errno else err}): {MAKE_READABLE}"
    return f"unreadable file {rel} ({' '.join(str(err).split())}): prepare the dataset again"


def not_there(out: Path, rel: str, unreached: dict[str, int]) -> str | bool:
    """False for a listed file that is there; else its problem, or True where it lies in a folder that could not be
    listed (counted in ``unreached``, which that folder's problem says).  Path.is_file raises (Python 3.11) where a
    folder above the file cannot be entered: not here."""
    import stat

    try:
        if stat.S_ISREG(os.stat(out / rel).st_mode):
            return False
        why = None
    except OSError as err:
        why = err
    if folder := next((f for f in unreached if (out / rel).is_relative_to(f)), None):
        unreached[folder] += 1
        return True
    if why is not None and not isinstance(why, (FileNotFoundError, NotADirectoryError)):
        return f"unreadable file {rel} ({why.strerror}): {MAKE_READABLE}"
    return f"missing file {rel}: copy the whole folder again, or prepare the dataset again"


def unlisted_folder(err: OSError, unreached: int | None = None) -> str:
    """A folder that could not be listed: below ``data/`` a problem, saying how many files prepare.json lists in it
    could not be reached (``unreached``); the prepared folder itself or ``__MACOSX/`` a note (None)."""
    from loaders.unlisted import MAKE_LISTABLE, cannot_list

    if unreached is None:  # only what a file browser left there was to be counted
        return f"{cannot_list(err)}, so what a file browser left in it is not counted; {MAKE_LISTABLE} to count it"
    files = (
        f"{unreached} file(s) prepare.json lists in it could not be checked, nor" if unreached else "it is not known"
    )
    return f"{cannot_list(err)}, so {files} whether it holds files prepare.json does not list: {MAKE_LISTABLE} and check again"


def a_problem(out: Path, path: str | os.PathLike) -> bool:
    """Whether what check's walk of prepared folder ``out`` could not look into at ``path`` (a folder it could not
    list, a link to a folder it did not enter; absolute, or relative to ``out``) is a problem: below ``data/``, the
    dataset's.  Else it is ``out`` itself or in ``__MACOSX/`` (a macOS zip's leftovers, no one's work): a note."""
    from .data.layout import DATA_DIR

    return (out / path).is_relative_to(out / DATA_DIR)


def linked_folder(out: Path, rel: str, target: str) -> str:
    """What check says of a link ``rel`` in prepared folder ``out`` to the real folder ``target`` that the walk did
    not enter (:func:`bimotion.data.walk.walk_listings`'s ``links``): named, with where it points, never passed over;
    a problem below ``data/``, a note in ``__MACOSX/`` (:func:`a_problem`)."""
    from .data.walk import not_entered

    said = f"{rel}: a link to {target}, {not_entered(out, target)}"
    if a_problem(out, rel):
        return f"{said}: prepare writes no links; remove it"
    return f"{said}, not entered: a macOS zip's leftovers, not part of the dataset"


def linked_folders(out: Path, problems: list[str], notes: list[str]) -> Callable[[str, str], None]:
    """The ``onlink`` of check's walk of ``out`` (:func:`bimotion.data.layout.folder_files`): each link's words
    (:func:`linked_folder`) go to ``problems``, or to ``notes`` where it is in ``__MACOSX/`` (:func:`a_problem`)."""

    def said(rel: str, target: str) -> None:
        (problems if a_problem(out, rel) else notes).append(linked_folder(out, rel, target))

    return said


def changed_why(path: Path) -> str:
    """What a Parquet file unlike its name's digest is, and the fix: a Git LFS pointer of a Hub clone
    made without LFS, or bytes changed since prepare wrote them."""
    from loaders.sniff import LFS_MAGIC

    with open(path, "rb") as f:
        if f.read(len(LFS_MAGIC)) == LFS_MAGIC:
            return "a Git LFS pointer, not the file: run `git lfs pull` in the folder (a clone made without Git LFS)"
    return "its bytes are not those prepare wrote; prepare the dataset again"
