"""A folder that could not be listed, worded once: the start of every message about one whose files a
command needs (:func:`cannot_list`, naming the topmost folder that cannot be entered, :func:`blocked_at`) and
its fix (:data:`MAKE_LISTABLE`); a reader's error for one below a corpus (:func:`unreadable_folder`), and a
clip not found that may be in one (:func:`behind_unlisted`).  The walks that meet such folders are
:mod:`loaders.walk`'s (a corpus's) and :mod:`bimotion.data.walk`'s (a prepared folder's)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .errors import SKIP_BAD, BadFileError, CorpusError, some_files


def cannot_list(err: OSError) -> str:
    """``FOLDER: cannot list this folder (WHY)``: the start of every message about a folder that could not be
    listed whose files a command needs (what follows says what is at stake and ends with :data:`MAKE_LISTABLE`).
    Where a folder above it cannot be entered, ``TOP: cannot enter this folder (WHY)`` of the topmost such
    (:func:`blocked_at`): the fix is that one's, not the listed folder's, whose own mode may be fine."""
    why = err.strerror or err
    if (top := blocked_at(err)) != os.fsdecode(err.filename):
        return f"{top}: cannot enter this folder ({why})"
    return f"{err.filename}: cannot list this folder ({why})"


def blocked_at(err: OSError) -> str:
    """The folder :func:`cannot_list` names for ``err`` (a folder, or a file in it, that could not be reached): where
    permissions stopped it (EACCES), the topmost folder on its path that cannot be entered (``chmod 600``: the walk
    lists that one, and fails on each folder below it), else the path ``err`` names."""
    name = os.fsdecode(err.filename)
    if err.errno != errno.EACCES:
        return name
    closed = [folder for folder in Path(name).parents if not os.access(folder, os.X_OK)]  # nearest first
    return str(closed[-1]) if closed else name


MAKE_LISTABLE = "make it readable (chmod u+rx, or run as its owner)"  # the fix for a folder that cannot be listed
MAKE_READABLE_FILE = "make it readable (chmod u+r, or run as its owner)"  # the fix for a file that cannot be read


def unreadable_folder(err: OSError, root: Path) -> BadFileError:
    """The error for a folder that ``os.walk`` could not list (its ``onerror`` argument)."""
    return BadFileError(
        err.filename or root,
        "unreadable_folder",
        f"cannot list this folder ({err.strerror}): every file below it would be missing",
        "make it readable (chmod -R u+rX, or run as its owner)",
        "pass --skip-bad to go on without it",
    )


def behind_unlisted(error: CorpusError, unlisted: list[Path]) -> CorpusError:
    """``error`` as a reader reports it, given the folders below its root that could not be listed so far:
    one that could not be (``unreadable_folder``) is added to ``unlisted``; a clip a metadata row names and
    no walk found (``missing_audio``; in your own corpus ``missing_file``) may be in one of them, which says
    so and gives their fix (not "extract the release again"); any other error is as it was."""
    if error.reason == "unreadable_folder":
        unlisted.append(error.path)
    if error.reason not in ("missing_audio", "missing_file") or not unlisted:
        return error
    return type(error)(
        error.path,
        error.reason,
        f"{error.message}; it may be in {some_files(unlisted)}, which could not be listed (unreadable_folder)",
        "make that folder readable (chmod -R u+rX, or run as its owner) and run again",
        SKIP_BAD,
    )
