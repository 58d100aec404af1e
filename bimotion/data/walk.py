"""The one walk of a folder that ``bimotion`` checks, replaces or uploads whole (a prepared folder, a model folder):
:func:`walk_listings`, which ``bimotion check`` (:func:`bimotion.data.layout.folder_files`), ``prepare --overwrite``
(:func:`bimotion.data.publish.not_written_by_prepare`) and ``bimotion push`` (:func:`bimotion.hub_upload.upload_listing`)
each filter in their own way, so that the three never differ on what a folder holds, nor on a link in it.  This module
imports nothing from ``bimotion``."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Container, Iterator
from typing import NamedTuple


class Listing(NamedTuple):
    """One folder, as :func:`walk_listings` listed it."""

    rel: str  # the folder, relative to the one walked, '/'-separated ('' for that one itself)
    names: frozenset[str]  # every name in it, files and folders: what left_by_browser looks a file's original up in
    files: dict[str, bool]  # its names that are no folder: {name: a regular file by the listing (not a link)}
    links: dict[str, str]  # its links to a folder the walk does not enter: {name: that folder's real path}

    def path(self, name: str) -> str:
        """The file or folder ``name`` of this folder, relative to the one walked."""
        return f"{self.rel}/{name}" if self.rel else name

    def regular_files(self, root: str | os.PathLike) -> list[str]:
        """The paths (relative to ``root``, the folder walked) of its regular files, a link to one included: a link to
        nothing, a FIFO, a socket or a device is left out (by the listing's type, else by a stat of the link)."""
        return [
            self.path(name)
            for name, regular in self.files.items()
            if regular or os.path.isfile(os.path.join(root, self.rel, name))
        ]


def walk_listings(
    root: str | os.PathLike, onerror: Callable[[OSError], None], *, only: Container[str] | None = None
) -> Iterator[Listing]:
    """Each folder below ``root`` (itself first, then the others in name order, top down), listed once, with
    ``root``'s folders named in ``only`` the only ones walked below it (None: all).  Links to folders: a link to a
    folder outside ``root`` is walked as the folder it stands in for (``data -> /disk/data``, the shards moved to
    another disk), by the link's path; a link to a folder inside ``root`` (whose files are there by their own path,
    or in a folder the caller does not walk, ``.git``), to ``root`` or a folder above it (a loop), or to a folder
    already walked or to be walked (each real folder once, by the first path a listing names it by: no file under two
    paths) is not entered.  Such a link stays a name of its folder's listing, never one of its files, and is one of its
    ``links`` (with the folder it points to, :func:`not_entered` says why), which each caller words.  A folder that
    cannot be listed goes to ``onerror`` (its ``filename``: the folder, by the path walked), and nothing below it is
    listed; so does one that can be listed but not entered (``chmod 600``), by the path of a name in it (as a folder
    below it fails: :func:`loaders.unlisted.blocked_at` names the folder), and it is not yielded: what its names are is
    not known.  ``root`` may itself be a link."""
    top = os.fspath(root)
    top_real = os.path.realpath(top)
    seen = {top_real}  # each real folder named so far: walked, or to be
    stack = [("", top, top_real)]
    while stack:
        rel, dirpath, real = stack.pop()
        try:
            with os.scandir(dirpath) as listed:
                entries = list(listed)
        except OSError as err:
            onerror(err)
            continue
        if entries and not os.access(dirpath, os.X_OK):  # read, not entered: no name in it can be opened
            onerror(PermissionError(errno.EACCES, os.strerror(errno.EACCES), min(entry.path for entry in entries)))
            continue
        folders, files, links = [], {}, {}
        for entry in sorted(entries, key=lambda entry: entry.name):  # the first name of a folder names it
            try:
                is_dir = entry.is_dir()  # follows a link: one to a folder is a folder
            except OSError:
                is_dir = False
            if not is_dir:
                files[entry.name] = entry.is_file(follow_symlinks=False)
            elif only is None or rel or entry.name in only:
                link = entry.is_symlink()
                target = os.path.realpath(entry.path) if link else os.path.join(real, entry.name)
                if target not in seen and not (link and (_within(target, top_real) or _within(top_real, target))):
                    seen.add(target)  # a link out of root is walked as the folder it stands in for
                    folders.append((entry, target))
                elif link:
                    links[entry.name] = target  # into root, to root or above it, or to a folder named already
        listing = Listing(rel, frozenset(entry.name for entry in entries), files, links)
        yield listing
        stack += [(listing.path(entry.name), entry.path, real) for entry, real in reversed(folders)]  # in name order


def not_entered(root: str | os.PathLike, target: str) -> str:
    """Why :func:`walk_listings` of ``root`` did not enter a link to the real folder ``target`` (one of a listing's
    ``links``): ``inside this folder``, ``to this folder or above it`` or ``to a folder walked by another path``."""
    top_real = os.path.realpath(root)
    if _within(top_real, target):
        return "to this folder or above it"
    return "inside this folder" if _within(target, top_real) else "to a folder walked by another path"


def _within(path: str, folder: str) -> bool:
    """Whether the real path ``path`` is ``folder`` or lies below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
