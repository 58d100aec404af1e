"""Writing a prepared folder ``OUT`` atomically and exclusively: the output side of the contract in
:mod:`bimotion.data.layout`.

* :func:`claim_output` holds an ``flock`` on ``OUT.prepare-lock`` (beside ``OUT``, removed at the
  end; :func:`locked`, which the demo takes as ``OUT.demo-lock`` and a training run inside its
  folder as ``OUT/.train.lock``), so a second run into the same ``OUT`` fails at once
  with :class:`OutputLockedError`; holding
  it, it finishes what an interrupted run left and refuses an ``OUT`` that may not be replaced.
* :func:`publishing` yields ``OUT.partial-tmp/new`` to write into and renames it to ``OUT`` when the
  block ends; with ``overwrite`` the previous ``OUT`` first moves to ``OUT.partial-tmp/old``.  A
  failed block removes ``OUT.partial-tmp`` (restoring ``OUT`` first if it had been moved); after a
  killed run, the next :func:`claim_output` does the same and says so.

``OUT.partial-tmp`` carries a marker file (:data:`WORK_MARKER`): a folder of that name that prepare
did not make is never deleted.  A SIGTERM whose stop a finalizer swallowed is taken before the
rename (:func:`bimotion.signals.stop_if_lost`): nothing is published after a stop.  This module
imports nothing from ``bimotion`` but the layout, :mod:`bimotion.memory` and :mod:`bimotion.signals`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from loaders.browser_files import left_by_browser
from loaders.errors import spoken
from loaders.files import normal_path

from ..memory import release_reserve
from ..signals import stop_if_lost
from .layout import CARD_FILE, DATA_DIR, INFO_FILE, PARTIAL_SUFFIX, PUSHED_FILE, is_prepared, prepared_around
from .walk import walk_listings

LOCK_SUFFIX = ".prepare-lock"  # OUT.prepare-lock: flock'ed while a run writes OUT
WORK_MARKER = ".bimotion-prepare"  # inside OUT.partial-tmp: prepare made this folder
LOCK_ATTEMPTS = 100


class OutputLockedError(RuntimeError):
    """Another run (prepare, training, demo) is writing the same output folder."""


def output_path(out_dir: str | os.PathLike) -> Path:
    """``out_dir`` as the absolute path every other function here expects: ``..`` taken away
    (:func:`loaders.files.normal_path`: ``--output ..`` in ``OUT/data`` is ``OUT``, not a folder inside it)."""
    return normal_path(out_dir)


def work_dir(out_dir: Path) -> Path:
    """``OUT.partial-tmp``: where a run writes (``new``) and parks the dataset it replaces (``old``)."""
    return out_dir.with_name(out_dir.name + PARTIAL_SUFFIX)


@contextlib.contextmanager
def claim_output(out_dir: str | os.PathLike, overwrite: bool) -> Iterator[Path]:
    """Lock ``out_dir`` (see :func:`locked`), clean up after an interrupted run and check that
    ``out_dir`` may be written; yield its absolute path."""
    out_dir = output_path(out_dir)
    with locked(out_dir):
        check_output(out_dir, overwrite)
        yield out_dir


@contextlib.contextmanager
def locked(
    out_dir: Path, command: str = "prepare", *, flag: str = "--output", inside: bool = False, grace_s: float = 0.0
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``OUT.<command>-lock`` (created beside ``out_dir``; ``inside``:
    ``OUT/.<command>.lock``, for a folder that is never replaced whole, whose parent may not be
    writable), removed at the end; :class:`OutputLockedError` when another run of ``command``
    holds it, at once or after ``grace_s`` seconds of retrying.  ``flag`` names the option that
    chose ``out_dir``, in the messages."""
    if inside:
        path = out_dir / f".{command}.lock"
    else:
        path = out_dir.with_name(out_dir.name + (LOCK_SUFFIX if command == "prepare" else f".{command}-lock"))
    above = next(folder for folder in (out_dir, *out_dir.parents) if folder.exists())
    if not above.is_dir():
        raise FileExistsError(f"{above} is a file, not a folder; choose another {flag} than {out_dir}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _lock_file(
        path,
        OutputLockedError(f"another {command} is writing {out_dir} (it holds {path}); wait or choose another {flag}"),
        grace_s,
    )
    if os.fstat(fd).st_size:
        os.close(fd)
        raise FileExistsError(f"{path} is not {command}'s (empty) lock file; move it away")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def _lock_file(path: Path, busy: OutputLockedError, grace_s: float = 0.0) -> int:
    """An open descriptor of ``path`` holding its ``flock``, retried while a run that just finished
    removes the file we locked; ``busy`` raised when another run holds it (after ``grace_s`` of
    retrying)."""
    import fcntl

    deadline = time.monotonic() + grace_s
    attempts = 0
    while attempts < LOCK_ATTEMPTS:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise busy from None
        except OSError:  # this file system has no flock: nobody can hold the file, so leave none behind
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        locked_file = os.fstat(fd)
        if current is not None and (current.st_dev, current.st_ino) == (locked_file.st_dev, locked_file.st_ino):
            return fd
        os.close(fd)  # a run that just finished removed the file we locked: lock the new one
        attempts += 1
    raise busy


def check_output(out_dir: Path, overwrite: bool) -> None:
    """Finish what an interrupted run left (holding the lock), then refuse an ``out_dir`` that may
    not be replaced."""
    _restore(out_dir, work_dir(out_dir))
    around = prepared_around(out_dir.parent)
    if around is not None:
        raise FileExistsError(
            f"{out_dir} lies inside the prepared dataset {around}, which holds only what prepare wrote; "
            "choose an --output outside it"
        )
    try:
        prepared = not out_dir.exists() or is_prepared(out_dir)
    except PermissionError as err:  # it can be read but not entered (chmod 600): what it holds is not known
        _cannot_list(out_dir, err)
    if not prepared:  # --overwrite replaces only a prepared dataset
        raise FileExistsError(f"{out_dir} exists and is not a prepared dataset; choose another --output")
    if out_dir.exists() and not overwrite:
        raise FileExistsError(spoken(f"{out_dir} already exists; choose another output folder or pass --overwrite"))
    foreign = not_written_by_prepare(out_dir) if out_dir.exists() else []
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise FileExistsError(
            f"{out_dir} holds what prepare did not write ({shown}), which --overwrite would delete: move it out "
            "of the folder, or choose another --output"
        )


def not_written_by_prepare(out_dir: Path) -> list[str]:
    """What a prepared folder holds besides its card, ``prepare.json`` and ``data/**.parquet`` (a
    ``.git`` of a Hub clone, a user's notes), relative to it: the top's names, then the files below ``data/`` in the
    order of their paths' parts; what a file browser or a macOS zip left (:func:`loaders.browser_files.left_by_browser`) is no
    one's work and goes with the folder.  One walk of the top and ``data/`` (:func:`bimotion.data.walk.walk_listings`,
    the walk ``check`` and ``push`` make of it too: each folder listed once, its listing given to
    :func:`left_by_browser`).  A link to a folder the walk does not enter (into the folder, to it or above it: prepare
    writes no links) is named like a file, whatever its name.  A folder that cannot be listed is a ``FileExistsError``
    naming it (:func:`_cannot_list`): what it holds is not known, so it is not called prepare's."""
    ours = {CARD_FILE, INFO_FILE, DATA_DIR, PUSHED_FILE}  # PUSHED_FILE: a push of this data, gone with it
    top, below = [], []
    for listing in walk_listings(out_dir, functools.partial(_cannot_list, out_dir), only=(DATA_DIR,)):
        if not listing.rel:
            top = [
                name
                for name in sorted(listing.names)
                if (name not in ours or name in listing.links) and not left_by_browser(out_dir, name, listing.names)
            ]
            continue
        below += [
            rel
            for rel in map(listing.path, listing.files)
            if not rel.endswith(".parquet") and not left_by_browser(out_dir, rel, listing.names)
        ]
        below += map(listing.path, listing.links)
    return top + sorted(below, key=lambda rel: rel.split("/"))


def _cannot_list(out_dir: Path, err: OSError) -> NoReturn:
    """Refuse to replace ``out_dir``, in which a folder (``err.filename``) could not be listed (also as ``os.walk``'s
    ``onerror``): what it holds may not be prepare's.  In the words ``push`` uses for a folder it cannot list."""
    from loaders.unlisted import MAKE_LISTABLE, blocked_at, cannot_list

    err.filename = err.filename or str(out_dir)
    away = "choose another --output" if Path(blocked_at(err)) == out_dir else f"move it out of {out_dir}"
    raise FileExistsError(
        f"{cannot_list(err)}, so what it holds cannot be told from what prepare wrote, and --overwrite would "
        f"delete it: {MAKE_LISTABLE} and run again, or {away}"
    ) from None


@contextlib.contextmanager
def publishing(out_dir: Path, overwrite: bool) -> Iterator[Path]:
    """Yield the empty folder ``OUT.partial-tmp/new`` and, when the block ends, swap it into
    ``out_dir``; on any error (or interrupt) put the previous dataset back and remove the rest.
    Call it holding :func:`claim_output`."""
    work = work_dir(out_dir)
    work.mkdir(parents=True)  # check_output removed any leftover; a new one is a FileExistsError
    try:
        (work / WORK_MARKER).write_text("temporary folder of `bimotion prepare`; deleted when it ends\n")
        (work / "new").mkdir()
        yield work / "new"
        stop_if_lost()  # a SIGTERM lost in a finalizer while the block ran: the stop it asked for
        _swap_into_place(work, out_dir, overwrite)
    except BaseException:
        release_reserve()  # memory for the clean-up, where an allocation failed under a limit
        _put_back(work / "old", out_dir)
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)  # the replaced dataset, if any


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def _restore(out_dir: Path, work: Path) -> None:
    """Put back a dataset that an interrupted ``--overwrite`` swap left in ``work/old`` (or, from
    older versions, in ``OUT.old-tmp``) and remove ``work``, which must carry prepare's marker."""
    if _put_back(out_dir.with_name(out_dir.name + ".old-tmp"), out_dir):
        _note(f"restored {out_dir} from {out_dir}.old-tmp, where an interrupted --overwrite run had left it")
    if not os.path.lexists(work):
        return
    if work.is_symlink() or not (work / WORK_MARKER).is_file():
        raise FileExistsError(
            f"{work} exists and was not made by prepare, which keeps its temporary files there; move it away"
        )
    if _put_back(work / "old", out_dir):
        _note(f"restored {out_dir} from {work / 'old'}, where an interrupted --overwrite run had left it")
    else:
        _note(f"removing {work}, left by an interrupted prepare")
    shutil.rmtree(work)


def _put_back(old: Path, out_dir: Path) -> bool:
    """Move the prepared dataset ``old`` back to ``out_dir`` if nothing is there."""
    if os.path.lexists(out_dir) or not is_prepared(old):
        return False
    old.rename(out_dir)
    return True


def _swap_into_place(work: Path, out_dir: Path, overwrite: bool) -> None:
    """Rename the finished ``work/new`` to ``out_dir``; an existing ``out_dir`` (only with
    ``overwrite``, and only a prepared dataset) goes to ``work/old`` first, whence an interrupted
    swap is restored by ``_restore``."""
    if os.path.lexists(out_dir):
        if not overwrite:
            raise FileExistsError(
                spoken(
                    f"{out_dir} appeared while this run was writing; nothing was replaced (pass --overwrite to replace it)"
                )
            )
        if not is_prepared(out_dir):
            raise FileExistsError(f"{out_dir} exists and is not a prepared dataset; refusing to overwrite it")
        out_dir.rename(work / "old")
    else:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    (work / "new").rename(out_dir)
