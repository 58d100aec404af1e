"""A request to stop (SIGTERM: Slurm's time limit, ``scancel``, ``kill``, ``docker stop``) taken as a
Ctrl-C is: an exception that unwinds the run, so what it was writing is removed (``prepare``'s work
folder and lock, ``bimotion.data.publish``), its workers are stopped by the run, and the command
ends with one line and the shell's code for the signal (143; 130 for Ctrl-C).  By default Python
dies of SIGTERM at once, leaving ``OUT.partial-tmp`` and the lock for the next run to clear.

:class:`Terminated` is a ``KeyboardInterrupt``, so every place that stops cleanly on Ctrl-C stops
the same way on SIGTERM; :func:`exit_code` and :func:`stop_word` tell the two apart."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, what a shell reports for a Ctrl-C
TERMINATED_EXIT_CODE = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process gets SIGTERM inside :func:`terminate_as_interrupt`."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated(f"terminated by signal {signum} (SIGTERM)")


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated`; the handler before it is put back
    after.  Only where SIGTERM still has its default action (a handler someone else set is kept)
    and in the main thread (the only one that runs signal handlers)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def exit_code(err: KeyboardInterrupt) -> int:
    """The command's exit code for a Ctrl-C (130) or a SIGTERM (143)."""
    return TERMINATED_EXIT_CODE if isinstance(err, Terminated) else INTERRUPTED_EXIT_CODE


def stop_word(err: KeyboardInterrupt) -> str:
    """The closing line's first word: "interrupted" (Ctrl-C) or "terminated" (SIGTERM)."""
    return "terminated" if isinstance(err, Terminated) else "interrupted"
