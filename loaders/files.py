"""Files written whole or not at all: a temporary file of this process's own beside the target,
renamed over it once complete, so that an interrupted run leaves no truncated file under the
target's name and two runs writing the same target never mix their contents (the last one wins).
A run killed outright leaves its temporary file behind: the next run writing that target removes
those of processes no longer alive."""

from __future__ import annotations

import glob
import os
import secrets
from pathlib import Path


def temp_file_beside(path: str | os.PathLike, suffix: str = ".tmp") -> tuple[int, Path]:
    """``(descriptor, path)`` of a new, hidden file of this process's own in ``path``'s folder
    (``.NAME.<pid>.<random>SUFFIX``), open for writing, with the permissions ``open()`` would give."""
    path = Path(path)
    _remove_orphans(path, suffix)
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # a name drawn twice: draw again
            continue


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`temp_file_beside`: a reader never sees half a
    file, a failed write leaves nothing behind, and writers sharing a folder never collide."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_file_beside(path)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _remove_orphans(path: Path, suffix: str) -> None:
    """Remove the temporary files of ``path`` that processes no longer alive (on this machine) left."""
    for orphan in path.parent.glob(f".{glob.escape(path.name)}.*{glob.escape(suffix)}"):
        pid = orphan.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            orphan.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        return True
    except (ProcessLookupError, OverflowError):
        return False
    return True
