"""Files written whole or not at all: a temporary file of this process's own beside the target,
renamed over it once complete, so that an interrupted run leaves no truncated file under the
target's name and two runs writing the same target never mix their contents (the last one wins).

A temporary file's name holds its writer's machine and pid (``.NAME.<machine>-<pid>.<random>SUFFIX``;
the machine is a short hash of the host name and the pid namespace, so two containers on one host
differ).  A run killed outright leaves its temporary file behind: the next run writing that target
removes those of processes no longer alive on its own machine, and those of any machine older than
:data:`ORPHAN_AGE_S` (a folder shared by several machines, where another machine's pid says nothing
here).  Files of other names are never touched.

:func:`sha256_of` is the one reading of a file's bytes into a digest (datasets' file names, runs'
identities, feature caches, identical audio; :func:`sha256_of_open` of a file a caller has open, a grid's saved
predictions); :func:`normal_path` the one absolute form of a path a command is given to write (``--output ..``); :func:`write_error` the one
error line of a write into it that failed (a full disk, a folder not writable)."""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import hashlib
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ORPHAN_AGE_S = 24 * 3600.0  # no file is written for a day: a temporary file this old is an orphan
# the names temp_file_beside gives, whatever the suffix (fnmatch): an upload leaves them out
TEMP_FILE_GLOB = ".*.????????-[0-9]*.????????*"


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 (hex) of the file's bytes, read in blocks of 1 MiB.  Raises OSError."""
    with open(path, "rb") as f:
        return sha256_of_open(f)


def sha256_of_open(f: IO[bytes]) -> str:
    """:func:`sha256_of` of a file open for reading bytes, from where it stands to its end: for a caller that
    reads the file for more than its digest, without opening it again (a grid's saved predictions)."""
    digest = hashlib.sha256()
    while block := f.read(1 << 20):
        digest.update(block)
    return digest.hexdigest()


def temp_file_beside(path: str | os.PathLike, suffix: str = ".tmp") -> tuple[int, Path]:
    """``(descriptor, path)`` of a new, hidden file of this process's own in ``path``'s folder
    (``.NAME.<machine>-<pid>.<random>SUFFIX``), open for writing, with the permissions ``open()`` would give."""
    path = Path(path)
    _remove_orphans(path, suffix)
    while True:
        tmp = path.with_name(f".{path.name}.{_writer()}.{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # a name drawn twice: draw again
            continue


@contextlib.contextmanager
def open_atomic(
    path: str | os.PathLike, mode: str = "w", suffix: str = ".tmp", *, exclusive: bool = False
) -> Iterator[IO]:
    """A file object (``"w"``: UTF-8 text, ``"wb"``: bytes) whose contents replace ``path`` when the
    ``with`` block ends without an error; on an error nothing is left and ``path`` is as it was.
    ``exclusive``: ``path`` is created whole, never replaced (:func:`_place_new`): ``FileExistsError`` where anything
    is there, another writer's file that came first included.

    >>> with open_atomic("preds.npz", "wb") as f:
    ...     np.savez(f, logits=logits)
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"open_atomic writes whole files: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_file_beside(path, suffix)
    try:
        with open(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            yield f
        if exclusive:
            _place_new(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# what os.link raises on a file system without hard links (FAT, exFAT, some SMB and FUSE mounts)
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


def _place_new(tmp: Path, path: Path) -> None:
    """The whole file ``tmp`` at ``path``, a new name only: ``FileExistsError`` where anything is there.  A hard link
    (atomic); on a file system without them (:data:`NO_HARD_LINKS`: an exFAT drive, a share), ``path`` claimed by an
    exclusive create, then replaced by ``tmp``: still never two writers' file, a reader between the two sees it empty."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in NO_HARD_LINKS:
            raise
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # FileExistsError where one is there
        os.replace(tmp, path)
        return
    tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str, *, exclusive: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`open_atomic`: a reader never sees half a
    file, a failed write leaves nothing behind, and writers sharing a folder never collide (``exclusive``: a new
    file only, ``FileExistsError`` where one is there)."""
    with open_atomic(path, exclusive=exclusive) as f:
        f.write(text)
    return Path(path)


def save_npz(path: str | os.PathLike, arrays: dict) -> Path:
    """``numpy.savez`` of ``arrays`` to ``path`` through :func:`open_atomic` (processes sharing a
    cache or an output folder may write the same file at once: each file read is one writer's whole)."""
    import numpy as np

    with open_atomic(path, "wb", ".tmp.npz") as f:
        np.savez(f, **arrays)
    return Path(path)


def normal_path(path: str | os.PathLike) -> Path:
    """``path`` absolute, its ``..`` taken away as the file system takes it (``data/..``: the folder
    holding ``data``; ``link/..``: the one holding the link's target), links after the last ``..``
    kept as given (an output that is a link to a folder stays that link).  ``.`` and a trailing
    slash go as pathlib drops them: ``ds/``, ``./ds/../ds`` and, in ``ds/data``, ``..`` are all ``ds``."""
    path = Path(path).expanduser().absolute()
    if ".." not in path.parts:
        return path
    last = len(path.parts) - path.parts[::-1].index("..")  # the parts up to the last '..', resolved
    return Path(os.path.realpath(Path(*path.parts[:last]))).joinpath(*path.parts[last:])


def folder_not_writable(path: str | os.PathLike) -> str | None:
    """Why nothing can be written at ``path`` (a folder to create, or one that exists): its nearest
    existing folder is a file or is not writable (a read-only or foreign folder or file system),
    in words, or None.  Tried with a nameless temporary file, so it writes nothing there."""
    import tempfile

    folder = Path(path).expanduser()
    # os.path's tests, not Path's: below a folder that cannot be entered Path.exists raises (Python < 3.12)
    while not os.path.exists(folder) and folder != folder.parent:  # the folders that would be created
        folder = folder.parent
    if not os.path.isdir(folder):
        return f"{folder} is a file, not a folder"
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as err:
        return _not_writable(folder, err)
    return None


def _not_writable(folder: str | os.PathLike, err: OSError) -> str:
    return f"the folder {folder} is not writable ({err.strerror or err})"


def write_error(err: OSError, output: str | os.PathLike, what: str, option: str = "--output") -> str:
    """The one error line of a command's write of ``what`` (``the manifest``, ``the dataset``) into ``output``
    (its ``option``) that ``err`` stopped, ``scan``'s and ``prepare``'s alike: where, what, and the fix (a full
    disk or a file size limit: free some space; a folder not writable, in :func:`folder_not_writable`'s words:
    choose another), its temporary files removed and an earlier ``output`` untouched."""
    import errno

    detail = err.strerror or " ".join(str(err).split())  # pyarrow's messages span lines
    full = err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left" in str(err)
    named = f": {err.filename}" if err.filename and not full else ""
    cause, fix = f"cannot write {what} ({detail}{named})", "fix that and run again"
    if full:
        fix = f"free some space or choose another {option}"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and err.filename:  # was "OUT.prepare-lock: ..."
        cause, fix = _not_writable(os.path.dirname(os.path.abspath(err.filename)), err), f"choose another {option}"
    return f"error: {option} {output}: {cause}; {fix} (temporary files removed, {output} untouched)"


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs on this host (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


@functools.cache
def machine_id() -> str:
    """This machine as 8 hex digits: the host name and the pid namespace (containers sharing a host name
    have their own pids), hashed so that any host name gives a short, dot-free part of a file name."""
    with contextlib.suppress(OSError):
        namespace = os.stat("/proc/self/ns/pid").st_ino
        return hashlib.sha1(f"{socket.gethostname()}:{namespace}".encode()).hexdigest()[:8]
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _writer() -> str:
    return f"{machine_id()}-{os.getpid()}"


def _remove_orphans(path: Path, suffix: str) -> None:
    """Remove the temporary files of ``path`` (names :func:`temp_file_beside` gives, nothing else) whose
    writers are gone: processes no longer alive on this machine, and files of any machine untouched for
    :data:`ORPHAN_AGE_S`."""
    ours = re.compile(rf"\.{re.escape(path.name)}\.([0-9a-f]{{8}})-(\d+)\.[0-9a-f]{{8}}{re.escape(suffix)}")
    machine, now = machine_id(), time.time()
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*{glob.escape(suffix)}"):
        match = ours.fullmatch(candidate.name)
        if not match:
            continue
        with contextlib.suppress(OSError):
            if (match[1] == machine and not process_alive(int(match[2]))) or (
                now - candidate.stat().st_mtime > ORPHAN_AGE_S
            ):
                candidate.unlink(missing_ok=True)
