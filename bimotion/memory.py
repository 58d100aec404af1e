"""What a command says when memory ran out: one line naming what failed and the fix (:func:`out_of_memory`),
with the address-space limit (``ulimit -v``, ``prlimit --as``) where one is set, printed with exit code 2 by
:func:`said_out_of_memory` from ``except ALLOCATION_FAILURES``, last of the handlers of every command and recipe;
:func:`ready_for_a_limit` keeps memory for that line and glibc from aborting the process after it under such
a limit.

Nothing heavy is imported here: it runs when everything else has failed for want of memory.
"""

from __future__ import annotations

import errno
import sys

# What torch's CPU allocator (and the C++ runtime under it) says when an allocation fails: a RuntimeError,
# not a MemoryError.  oneDNN says only that it could not build a convolution, which under an address-space
# limit is an allocation that failed too.
_ALLOCATION_FAILED = ("can't allocate memory", "std::bad_alloc")
_UNDER_A_LIMIT = ("could not create a primitive", "can't start new thread")  # oneDNN; a thread's stack
_MAP_FAILED = "failed to map segment from shared object"  # an extension module imported under the limit
# CPython's own, where a C function's allocation failed and set no exception (the re module compiling a pattern
# as datasets is imported under a limit, seen; the import machinery itself, CPython 3.11: "<function
# _find_and_load at 0x...> returned NULL without setting an exception"): an allocation that failed where a
# limit is set, else a bug
_NO_EXCEPTION_SET = ("error return without exception set", "returned NULL without setting an exception")


def out_of_memory(err: BaseException, command: str) -> str | None:
    """One line for ``command`` (``bimotion prepare``, ``train.py``) whose allocation failed: a
    ``MemoryError`` (pyarrow's ``ArrowMemoryError`` is one), torch's allocator's ``RuntimeError``,
    oneDNN's or a thread's that did not start under an address-space limit, an ``OSError`` ENOMEM (a
    folder's listing), an ``ImportError`` of an extension module that could not be mapped, or, under such a
    limit, CPython's ``SystemError`` of a C function that failed without saying why; naming
    that limit (``ulimit -v``, ``prlimit --as``) where one is set, with the fix.  None for any other
    error, which the caller raises as it is."""
    limit = _address_space_limit()
    text = " ".join(str(err).split())
    failed = (
        isinstance(err, MemoryError)
        or (isinstance(err, OSError) and err.errno == errno.ENOMEM)  # "[Errno 12] Cannot allocate memory": a listdir
        or (isinstance(err, ImportError) and _MAP_FAILED in text)
        or (isinstance(err, SystemError) and limit is not None and any(s in text for s in _NO_EXCEPTION_SET))
        or (
            isinstance(err, RuntimeError)
            and (
                any(s in text for s in _ALLOCATION_FAILED)
                or (limit is not None and any(s in text for s in _UNDER_A_LIMIT))
            )
        )
    )
    if not failed:
        return None
    text = text.split("] err == 0. ", 1)[-1]  # torch's "[enforce fail at alloc_cpu.cpp:127] err == 0. " prefix
    if len(text) > 160:  # an ImportError's path: its end says what failed
        text = "..." + text[-160:].split(" ", 1)[-1]
    what = f"{type(err).__name__}: {text}" if text else type(err).__name__
    if limit is None:
        return (
            f"{command} ran out of memory ({what}): close other programs, or give it less to do at once "
            "(--num-proc, a smaller batch size)"
        )
    return (
        f"{command} ran out of memory ({what}): this process may use at most {limit / 2**20:.0f} MB of "
        f"address space (ulimit -v or prlimit --as) and needed more; raise that limit ({_ADDRESS_SPACE})"
    )


# What out_of_memory's line under a limit says of what a step needs, in words a pip install has (no
# path into the repository; docs/performance.md#memory-limits measures it per step).
_ADDRESS_SPACE = (
    "a step needs several times the memory that top shows it use, as torch and its libraries reserve "
    "address space per thread"
)


# what an allocation that failed raises (among others of these types): ``except ALLOCATION_FAILURES``,
# last of a command's or a recipe's handlers, then :func:`said_out_of_memory`
ALLOCATION_FAILURES = (MemoryError, RuntimeError, ImportError, OSError, SystemError)


def said_out_of_memory(err: BaseException, command: str) -> int:
    """Print :func:`out_of_memory`'s line for ``command`` and return exit code 2; re-raise ``err`` where
    no allocation failed.  For ``except ALLOCATION_FAILURES as err:`` around a command's or a recipe's
    work, after its other handlers (one for an OSError among them would no longer be reached)."""
    release_reserve()  # memory for the line (the failed allocation may have left none)
    if (message := out_of_memory(err, command)) is None:
        raise err
    print(f"error: {message}", file=sys.stderr)
    return 2


# Freed by said_out_of_memory and by prepare's clean-up (release_reserve) so that they have memory to run in:
# without it, under a limit that the failed allocation left exhausted, the clean-up and the line itself each
# raised MemoryError again (a traceback of six chained MemoryErrors, 3 runs of 50 here, and in CI)
_RESERVE_BYTES = 16 * 2**20
_reserve: list[bytearray] = []


def ready_for_a_limit() -> None:
    """Under an address-space limit, before any work: hold a reserve of 16 MB for what runs once memory has
    run out (:func:`release_reserve`), and load the GCC unwinder (``libgcc_s.so.1``), which glibc loads the
    first time a thread exits: under the limit, once memory has run out, that load fails and glibc aborts the
    process ("libgcc_s.so.1 must be installed for pthread_exit to work", exit -6) right after
    :func:`said_out_of_memory`'s line, seen under ``prlimit --as``.  Nothing where no limit is set; no
    unwinder off glibc."""
    if _address_space_limit() is None:
        return
    if not _reserve:
        _reserve.append(bytearray(_RESERVE_BYTES))
    import ctypes

    try:
        ctypes.CDLL("libgcc_s.so.1")
    except OSError:  # not glibc (musl, macOS): no such load at a thread's exit
        pass


def release_reserve() -> None:
    """Give back :func:`ready_for_a_limit`'s reserve: first thing where an error is being cleaned up after or
    reported (an allocation may have failed); nothing where none is held."""
    _reserve.clear()


def _address_space_limit() -> int | None:
    """The process's address-space limit in bytes (``RLIMIT_AS``), None where none is set (or none exists)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft
