"""Walking a user's corpus folder: every real folder once, whatever its links
(:func:`walk_tree`), and every file below it accounted for (:func:`walk_files`): a folder that
cannot be listed, a name that is not UTF-8, a matching name that holds a backslash (a Windows zip
unpacked as it was stored), iCloud Drive's placeholder of a clip it evicted and one that is not a
regular file (never opened, so a FIFO cannot block) are reported, not skipped in silence.  What names a
second copy of a file or a folder (:data:`~loaders.copies.COPY_NAMES`, :func:`~loaders.copies.original_of`) is :mod:`loaders.copies`'s;
how a folder that cannot be listed is worded, :mod:`loaders.unlisted`'s; what a file browser leaves in a folder,
:mod:`loaders.browser_files`'s."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from .browser_files import MACOS_RESOURCES
from .errors import SKIP_BAD, SKIP_IT, BadFileError, CorpusError, LayoutError
from .unlisted import unreadable_folder

# What Windows keeps at a drive's root (a USB stick's, a share's): the recycle bin, whose deleted files
# and folders keep their audio (renamed $R..., their contents not), and the volume's own data.
WINDOWS_SYSTEM = frozenset(name.casefold() for name in ("$RECYCLE.BIN", "RECYCLER", "System Volume Information"))


def searched(folder_name: str) -> bool:
    """Whether the readers search a folder of this name: not hidden, not ``__MACOSX``, not Windows's
    recycle bin or volume data (a deleted clip is no clip); the folders left out are counted in the
    scan summary (:func:`walk_files`' ``on_hidden``)."""
    return (
        not folder_name.startswith(".")
        and folder_name != MACOS_RESOURCES
        and folder_name.casefold() not in WINDOWS_SYSTEM
    )


def walk_tree(
    root: str | os.PathLike, onerror: Callable[[OSError], None] | None = None, *, types: bool = False
) -> Iterator[tuple]:
    """``os.walk`` following links, each real folder entered once, and by its own path where the
    root holds it: a link to a folder that is walked directly below the root (whatever the order),
    a link back up the tree (``up -> ..``, to the root or above it) and a second link to a folder
    already walked are not descended, so a loop cannot recurse, no file is listed twice, and no file
    is listed under a link's path in place of its own.  A link to a folder elsewhere is followed.
    The root may itself be a link.  Callers sort ``dirnames`` (and may prune them), which fixes the
    order folders are entered in.  ``types``: the files as ``{name: known to be a regular file}`` (from the
    listing's own file types, :func:`_listed`: no stat for a plain file), not a list of names."""
    top, root_real = os.fspath(root), os.path.realpath(root)
    # the real folders below the root, and below each linked folder entered, reached without a
    # further link: listed at the first link met (a tree without links is walked once)
    direct: set[str] | None = None
    entered: set[str] = set()
    for dirpath, dirnames, filenames in _listed(top, onerror):
        real = os.path.realpath(dirpath)
        if real in entered:
            dirnames[:] = []
            continue
        if dirpath != top and os.path.islink(dirpath):  # the root itself may be a link: it is walked
            if direct is None:
                direct = _direct_folders(root)
            if real in direct or root_real == real or root_real.startswith(real.rstrip(os.sep) + os.sep):
                dirnames[:] = []
                continue
            direct |= _direct_folders(dirpath)  # a linked tree's own folders: by their path in it, too
        entered.add(real)
        yield dirpath, dirnames, filenames if types else list(filenames)


def _listed(top: str, onerror: Callable[[OSError], None] | None) -> Iterator[tuple[str, list[str], dict[str, bool]]]:
    """``os.walk(top, followlinks=True)``, top down, but each folder's files as ``{name: regular}``, ``regular``
    from the ``os.scandir`` entry's type (a plain file's is known from the listing: no stat; a link's or an
    unknown type's is False, left to :func:`not_a_file` to stat).  A folder that cannot be listed goes to
    ``onerror``; the caller may prune ``dirnames``, as with ``os.walk``."""
    stack = [top]
    while stack:
        dirpath = stack.pop()
        try:
            with os.scandir(dirpath) as listing:
                entries = list(listing)
        except OSError as err:
            if onerror is not None:
                onerror(err)
            continue
        dirnames, files = [], {}
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows a link, as os.walk(followlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                dirnames.append(entry.name)
            else:
                files[entry.name] = entry.is_file(follow_symlinks=False)
        yield dirpath, dirnames, files
        stack.extend(os.path.join(dirpath, name) for name in reversed(dirnames))


def _direct_folders(root: str | os.PathLike) -> set[str]:
    """Real paths of the folders below ``root`` (itself included) that a walk reaches without
    following a link and without entering hidden folders (those the readers never search)."""
    found = set()
    for dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = [d for d in dirnames if searched(d)]
        found.add(os.path.realpath(dirpath))
    return found


def walk_files(
    root: Path,
    suffixes: tuple[str, ...],
    onerror: Callable[[CorpusError], None],
    on_hidden: Callable[[Path], None] | None = None,
    *,
    corpus: bool = True,
    listings: dict[str, frozenset[str]] | None = None,
) -> list[tuple[Path, bool]]:
    """``(path, is a candidate)`` for every readable regular file below ``root``, sorted so the result
    does not depend on the file system's listing order.  A candidate's lower-cased name ends with one of
    ``suffixes`` and is not hidden (``.DS_Store``, ``._x.wav``, ``.git``).  Problems go to ``onerror``:
    a folder that cannot be listed, a name that is not valid UTF-8, a name (any, not only a matching one) that is not a
    regular file (a FIFO, socket, device or broken link), which is never opened, and, in a ``corpus``
    (whose layout is its folders; not a folder of recordings to predict on), a matching name holding a
    backslash (:func:`_backslashed`); in any folder, iCloud Drive's placeholder of a file with one of ``suffixes``
    (:func:`_evicted`).  Folders that are not :func:`searched` go to ``on_hidden``.  ``listings``: filled with each
    folder's file names, by its path (:meth:`~loaders.base.Collector.names_in`: a second copy's names looked up in it)."""
    found = []

    def unreadable(err: OSError) -> None:
        if Path(err.filename or root) == root and not root.exists():
            return  # a missing root is the reader's layout question, not an unreadable folder
        onerror(unreadable_folder(err, root))

    for dirpath, dirnames, files in walk_tree(root, onerror=unreadable, types=True):
        for name in sorted(d for d in dirnames if not searched(d)) if on_hidden else ():
            on_hidden(Path(dirpath) / name)
        dirnames[:] = sorted(d for d in dirnames if searched(d))
        folder = Path(dirpath)
        if listings is not None:
            listings[str(folder)] = frozenset(files)
        for name in sorted(files):  # problems reported in one order, whatever the file system's
            path = folder / name
            if problem := not_a_file(path, regular=files[name]):
                onerror(problem)
                continue
            candidate = not name.startswith(".") and name.lower().endswith(suffixes)
            if corpus and candidate and "\\" in name:  # a corpus's layout is its folders: a name must not hide them
                onerror(_backslashed(path))
                continue
            if name.startswith(".") and (
                evicted := _evicted(path, suffixes)
            ):  # '.a.wav.icloud': a clip (or recording) not on this disk
                onerror(evicted)
                continue
            found.append((path, candidate))
    found.sort(key=lambda item: str(item[0]))
    return found


def blank_file(path: Path) -> bool:
    """Whether ``path`` holds no byte (False where it cannot be stat'ed: reading it reports that)."""
    try:
        return os.stat(path).st_size == 0
    except OSError:
        return False


def not_a_file(path: Path, *, regular: bool = False) -> BadFileError | None:
    """The error for a name that is no regular file to read: not UTF-8, a link to nothing (or a loop), or a FIFO,
    socket or device (found by ``stat``, never opened: a FIFO opened for reading blocks); None for a regular file
    (not stat'ed where its listing said it is one: ``regular``)."""
    if not _utf8(str(path)):
        return _undecodable(path)
    if regular:
        return None
    try:
        mode = os.stat(path).st_mode  # follows links; never opens, so a FIFO cannot block
    except OSError as err:
        return broken_link(path, err)
    if stat.S_ISREG(mode):
        return None
    return BadFileError(
        path,
        "not_regular_file",
        "not a regular file (a FIFO, socket or device); it was not opened",
        "replace it with the audio file itself",
        SKIP_BAD,
    )


def folder_entries(folder: Path, onerror: Callable[[CorpusError], None]) -> tuple[list[Path], list[Path]]:
    """The regular files of ``folder`` itself, and its folders (links to folders included), in name order; a
    name that is no regular file to read (:func:`not_a_file`: a broken link, a FIFO) goes to ``onerror``, as
    :func:`walk_files` sends it, and so does a folder that cannot be listed (then nothing is listed)."""
    try:
        with os.scandir(folder) as listed:
            names = sorted(entry.name for entry in listed)
    except OSError as err:
        onerror(unreadable_folder(err, folder))
        return [], []
    files, folders = [], []
    for path in (folder / name for name in names):
        if _utf8(str(path)) and path.is_dir():  # follows a link: one to a folder is a folder
            folders.append(path)
        elif problem := not_a_file(path):
            onerror(problem)
        else:
            files.append(path)
    return files, folders


def reached(real: Path, walked: list[Path], link: bool) -> bool:
    """Whether the folder of real path ``real`` is walked already: it is in a folder of ``walked`` (real
    paths), or, reached by a ``link``, it holds one (``Session1/s2 -> ../Session2``, whose clips a walk of
    Session2 reads by their own path: a walk through the link would count them again)."""
    return any(real.is_relative_to(w) or (link and w.is_relative_to(real)) for w in walked)


def _evicted(path: Path, suffixes: tuple[str, ...]) -> BadFileError | None:
    """The error for ``.a.wav.icloud``: what iCloud Drive leaves of ``a.wav`` when it evicts the file to
    free space ("Optimize Mac Storage"), copied along with its folder; None for any other name, beside
    ``a.wav`` (a stale stand-in: the clip is here), and of a hidden name (``._a.wav``: never a clip)."""
    name = placeholder_of(path.name) or ""
    if name.startswith(".") or not name.lower().endswith(suffixes) or (path.parent / name).exists():
        return None
    return BadFileError(
        path,
        "icloud_placeholder",
        f"iCloud Drive's placeholder for {name}, whose content is not on this disk (iCloud evicted it to free space)",
        f"download it on the Mac (Finder: Download Now; Terminal: brctl download on its path in iCloud Drive) and copy "
        f"{name} here in its place",
        SKIP_BAD,
    )


def placeholder_of(name: str) -> str | None:
    """The name of the file iCloud Drive's placeholder ``name`` stands for (``.a.wav.icloud`` -> ``a.wav``), or None."""
    return name[1:-7] if name.startswith(".") and name.lower().endswith(".icloud") and len(name) > 8 else None


def stood_for(error: CorpusError) -> Path:
    """The file a :func:`walk_files` problem is of: the path it names, or for an ``icloud_placeholder`` the file
    the placeholder stands for (``a.wav`` for ``.a.wav.icloud``), which a metadata row may name."""
    path = Path(error.path)
    return path.with_name(placeholder_of(path.name)) if error.reason == "icloud_placeholder" else path


def _undecodable(path: Path) -> BadFileError:
    return BadFileError(
        path,
        "undecodable_name",
        "the file or folder name is not valid UTF-8, so it cannot be stored in a manifest or dataset",
        "rename it to a UTF-8 name (e.g. `convmv -f gbk -t utf8 --notest -r DIR`)",
        SKIP_BAD,
    )


_BACKSLASHED = "a zip made on Windows, unpacked by a tool that kept its folder separators in the file names"
_UNZIP_AGAIN = "unpack the zip again with `unzip` (Info-ZIP) or 7-Zip, which make folders of them"


def _backslashed(path: Path) -> BadFileError:
    """A file whose name holds ``\\``: a zip made on Windows (Windows PowerShell's Compress-Archive)
    stores its folders so, and a tool that does not convert them (Python's ``zipfile``) unpacks
    ``AudioWAV\\a.wav`` as one file, its folder lost from the name the readers parse."""
    return BadFileError(
        path,
        "backslash_name",
        f"its name holds '\\': {_BACKSLASHED}, so the folders the corpus's layout needs are missing",
        _UNZIP_AGAIN,
        SKIP_BAD,
    )


def backslashed_layout(root: Path, missing: str, folder: str = "") -> LayoutError | None:
    """The error for a corpus folder without the folder its layout needs (``missing``: what the
    reader's own error says) when files below ``root`` are named with backslashes (:func:`_backslashed`):
    that folder is in their names (``AudioWAV\\1001_DFA_ANG_XX.wav``), and the fix is to unpack the zip
    again, not to look for the folder.  The error names the first such file (in name order) whose name
    begins with ``folder`` and hides no part (``._x.wav``), else the first.  None when no name below
    ``root`` holds a backslash."""
    named = []
    for dirpath, dirnames, filenames in walk_tree(root):
        dirnames[:] = sorted(d for d in dirnames if searched(d))
        named += [Path(dirpath) / name for name in sorted(filenames) if "\\" in name]
    if not named:
        return None
    return LayoutError(
        next((p for p in named if p.name.startswith(f"{folder}\\") and "\\." not in p.name), named[0]),
        "backslash_names",
        f"{missing}; but {len(named)} file(s) below {root} have names holding '\\', like this one: {_BACKSLASHED}",
        f"{_UNZIP_AGAIN}, into an empty folder, and point at that",
    )


def broken_link(path: Path, err: OSError) -> BadFileError:
    """The error for a file name that cannot be followed to a file: a link to nothing, or a loop of
    links (it said "cannot stat the file (No such file or directory)" of a file just listed, and its
    fix left out --skip-bad)."""
    try:
        target = os.readlink(path)
    except OSError:
        return BadFileError(path, "broken_link", f"cannot stat the file ({err.strerror})", "check the file", SKIP_BAD)
    why = "does not exist" if err.errno == errno.ENOENT else f"cannot be followed ({err.strerror})"
    return BadFileError(path, "broken_link", f"a link to {target}, which {why}", "fix or remove the link", SKIP_IT)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # os.walk keeps undecodable bytes as lone surrogates
        return False
    return True
