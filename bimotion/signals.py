"""A request to stop (SIGTERM: Slurm's time limit, ``scancel``, ``kill``, ``docker stop``) taken as a
Ctrl-C is: an exception that unwinds the run, so what it was writing is removed (``prepare``'s work
folder and lock, ``bimotion.data.publish``), its workers are stopped by the run, and the command
ends with one line and the shell's code for the signal (143; 130 for Ctrl-C).  By default Python
dies of SIGTERM at once, leaving ``OUT.partial-tmp`` and the lock for the next run to clear.

:class:`Terminated` is a ``KeyboardInterrupt``, so every place that stops cleanly on Ctrl-C stops
the same way on SIGTERM; :func:`exit_code` and :func:`stop_word` tell the two apart, and
:func:`stopped_during` records on the stop what it stopped (a grid's model, seed and shard), which
the closing line says (:func:`during`).

A loop that can stop cleanly at its own safe points (training: after a step, with a checkpoint)
runs within :func:`stop_at_safe_points`: there SIGTERM only sets a flag, :func:`stop_requested`,
which the loop reads, and the loop raises :class:`Terminated` itself once it has stopped.  A SIGTERM
that came after the loop's last safe point (its work done: a trained model scored) stops nothing that
is left: the block ends, and the stop is *pending* (:func:`take_pending_stop`) for its caller, which
finishes with the loop's result and stops before its next piece of work."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, what a shell reports for a Ctrl-C
TERMINATED_EXIT_CODE = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process gets SIGTERM inside :func:`terminate_as_interrupt`."""


def _raise_terminated(signum, frame) -> None:
    signal.signal(signal.SIGTERM, _stopping)  # a second SIGTERM must not cut this one's clean-up short
    _Flags.raised = Terminated  # read by stop_if_lost: a finalizer may swallow what this raises
    raise Terminated(f"terminated by signal {signum} (SIGTERM)")


def _raise_interrupt(signum, frame) -> None:
    """Python's own Ctrl-C (``signal.default_int_handler``), remembered for :func:`stop_if_lost`."""
    _Flags.raised = _Flags.raised or KeyboardInterrupt
    raise KeyboardInterrupt


def stop_if_lost() -> None:
    """Raise the :class:`Terminated` (or ``KeyboardInterrupt``) that a SIGTERM (or Ctrl-C) within
    :func:`terminate_as_interrupt` raised but that never reached the run.  A handler runs between
    any two bytecodes, those of a finalizer too (a ``ParquetWriter.__del__`` as the garbage collector
    ran), and Python prints an exception raised in a finalizer ("Exception ignored in: ...") and goes
    on: the run went on to publish its output and exit 0, deaf to the SIGTERMs after it
    (:func:`_stopping`).  Called at a run's safe points in its normal course (a clip written, a grid
    unit begun, before publishing), never in clean-up code: there the stop is the one unwinding."""
    if _Flags.raised is not None:
        raise _Flags.raised(
            f"stopped by {signal_word(_Flags.raised)} (its stop was lost in a finalizer, and taken here)"
        )


def signal_word(stop: type[KeyboardInterrupt]) -> str:
    """What sent a stop of this kind: "SIGTERM" (:class:`Terminated`) or "Ctrl-C"."""
    return "SIGTERM" if issubclass(stop, Terminated) else "Ctrl-C"


def lost_stop() -> type[KeyboardInterrupt] | None:
    """The stop :func:`stop_if_lost` would raise now (:class:`Terminated`, or ``KeyboardInterrupt`` for a
    Ctrl-C), None where none came: for a caller that must agree on it with other processes before any of
    them raises (:func:`stop_if_lost_agreed`)."""
    return _Flags.raised


def stop_if_lost_agreed(anywhere: Callable[[bool], bool], where: str) -> None:
    """:func:`stop_if_lost` taken by every process of a launch together, or by none: ``anywhere(flag)``
    says whether ``flag`` is true on any of them (a collective every process calls at the same point: the
    grid's ``Ranks.any``, training's :func:`bimotion.training.stopping.any_process`).  Taken by the one process
    that lost the stop alone, it left the others waiting in their next collective until the launch was
    killed.  The stop raised is a SIGTERM's (:class:`Terminated`) where any process lost one, else a
    Ctrl-C's; ``where`` is the safe point the message names."""
    lost = lost_stop()
    if not anywhere(lost is not None):
        return
    stop, word = (Terminated, "SIGTERM") if anywhere(lost is Terminated) else (KeyboardInterrupt, "Ctrl-C")
    whose = "its stop was lost" if lost is not None else "another process of the launch lost its stop"
    raise stop(f"stopped by {word} ({whose} in a finalizer; taken at {where})")


Item = TypeVar("Item")


def until_stopped(items: Iterable[Item]) -> Iterator[Item]:
    """``items``, each one's start a safe point (:func:`stop_if_lost`), and the loop's end too: for a
    run's long loop whose work a stop unwinds cleanly and whose output is written after it (``predict``'s
    rows, ``check``'s files), so that a stop a finalizer swallowed stops it before it writes or reports."""
    for item in items:
        stop_if_lost()
        yield item
    stop_if_lost()


def _stopping(signum, frame) -> None:
    """SIGTERM once :class:`Terminated` is unwinding the run (to the end of :func:`terminate_as_interrupt`'s
    block): nothing more to do.  Slurm signals every process of a job step and ``accelerate launch``
    passes its SIGTERM on, so a process gets two a moment apart; the second, raised in turn, broke off
    the first one's clean-up (a half-written folder, a lock, a checkpoint's marker left behind)."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated`, once: a later one, while the run unwinds and
    cleans up, is taken as the same stop (:func:`_stopping`); the handler before it is put back after.
    Only where SIGTERM still has its default action (a handler someone else set is kept) and in the
    main thread (the only one that runs signal handlers).  A Ctrl-C raises KeyboardInterrupt as
    Python's own handler does; either stop, if a finalizer swallowed it, is taken at the run's next
    safe point (:func:`stop_if_lost`)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    _Flags.raised = None
    _Flags.stop = _Flags.pending = False  # an earlier run's stop that no caller took (a notebook): not this run's
    signal.signal(signal.SIGTERM, _raise_terminated)
    own_ctrl_c = signal.getsignal(signal.SIGINT) is signal.default_int_handler  # else a handler someone set: kept
    if own_ctrl_c:
        signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if own_ctrl_c:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        _Flags.raised = None
        _Flags.stop = False  # not pending: its caller takes that after the block (the training recipe's last line)


class _Flags:
    """What SIGTERM asked, as plain attributes, set and read in the main thread only.  Not a
    ``threading.Event``: a handler runs between any two bytecodes of the main thread, even inside the
    handler of the SIGTERM before it, and ``Event.set`` holds a lock that the second handler would
    then wait for forever (Slurm's SIGTERM and the launcher's copy of it, a moment apart: the process
    hung in its handler, its launch's other processes in their next collective, until killed)."""

    stop = False  # SIGTERM came within stop_at_safe_points
    raised: type[KeyboardInterrupt] | None = None  # what a stop raised, which a finalizer may swallow (stop_if_lost)
    pending = False  # ... after the loop's last safe point: its caller stops before its next piece of work


def _request_stop(signum, frame) -> None:
    _Flags.stop = True  # one store, no lock: a second SIGTERM (the launcher passing Slurm's on) changes nothing


def stop_requested() -> bool:
    """Whether SIGTERM came within :func:`stop_at_safe_points` (always False outside it)."""
    return _Flags.stop


def take_pending_stop() -> bool:
    """Whether the last :func:`stop_at_safe_points` block ended with a stop its loop did not act on
    (the signal came as the loop's work ended); clears it: the caller stops now, at its own safe point."""
    pending, _Flags.pending = _Flags.pending, False
    return pending


def late_stop(lost: type[KeyboardInterrupt] | None) -> str | None:
    """What sent a stop that came once a run's work was done (its outputs whole), which it finished all the same:
    "SIGTERM" for one left pending (:func:`take_pending_stop`, taken here), else ``lost``'s (:func:`signal_word`):
    the stop a finalizer swallowed after the run's last safe point (:func:`lost_stop`, read within
    :func:`terminate_as_interrupt`'s block, which forgets it at its end); None where none came."""
    if take_pending_stop():
        return "SIGTERM"
    return None if lost is None else signal_word(lost)


@contextlib.contextmanager
def stop_at_safe_points(
    anywhere: Callable[[bool], bool] | None = None, *, taken_inside: bool = False
) -> Iterator[None]:
    """Within :func:`terminate_as_interrupt`'s block, SIGTERM no longer raises: it sets
    :func:`stop_requested`, which the loop in this block reads at its safe points (and then raises
    :class:`Terminated`).  A SIGTERM the loop never acted on (it came after the loop's last safe point:
    its work is done) is pending when the block ends: the caller finishes with the loop's result and
    stops at its own next safe point (:func:`take_pending_stop`); after the block, a SIGTERM raises
    at once again.  Elsewhere (SIGTERM not taken as a Ctrl-C, or not the main thread) the block
    changes nothing.  Its start is a safe point (:func:`stop_if_lost`): a stop lost before it (a SIGTERM
    whose stop a finalizer swallowed as the datasets loaded) also left SIGTERM to :func:`_stopping`,
    and the block, disabled, would train to the end deaf to the SIGTERMs after it.  ``anywhere``: the
    launch's agreement on it (:func:`stop_if_lost_agreed`), so that every process stops there or none: one
    that stopped alone left the others waiting in training's first collective.  ``taken_inside``: the caller takes
    that stop as the block's first act, agreed with the other processes once it is in a collective with them (the
    wait of :func:`bimotion.training.processes.on_main_process_only`, whose group is made in the block)."""
    if taken_inside:
        pass
    elif anywhere is None:
        stop_if_lost()
    else:
        stop_if_lost_agreed(anywhere, "training's start")
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) != _raise_terminated
    ):
        yield
        return
    _Flags.stop = _Flags.pending = False  # pending: one left by an earlier block that its caller never took
    signal.signal(signal.SIGTERM, _request_stop)
    after = _raise_terminated
    try:
        yield
    except Terminated:
        after = _stopping  # the loop stopped: a SIGTERM now (the launcher's copy) must not cut its clean-up short
        raise
    finally:
        signal.signal(signal.SIGTERM, after)
        stopped, _Flags.stop = _Flags.stop, False
    if stopped:  # not reached when the block raised: its error (Terminated, or another) is the one reported
        _Flags.pending = True


@contextlib.contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Within the block (a wait for other processes' result: gloo's exchange, which a Ctrl-C cut in its middle,
    leaving the process sending it a 'Connection closed by peer' error and a traceback), a Ctrl-C only sets a flag:
    once the block ends without an error of its own, it is raised as the ``KeyboardInterrupt`` it was.  Only where
    Python's Ctrl-C handler (or :func:`terminate_as_interrupt`'s) is in place, in the main thread."""
    ours = (signal.default_int_handler, _raise_interrupt)
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) not in ours:
        yield
        return
    came: list[int] = []
    before = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
    if came:
        before(signal.SIGINT, None)  # raises KeyboardInterrupt, remembered as the handler remembers it


def exit_code(err: KeyboardInterrupt) -> int:
    """The command's exit code for a Ctrl-C (130) or a SIGTERM (143)."""
    return TERMINATED_EXIT_CODE if isinstance(err, Terminated) else INTERRUPTED_EXIT_CODE


def stop_word(err: KeyboardInterrupt) -> str:
    """The closing line's first word: "interrupted" (Ctrl-C) or "terminated" (SIGTERM)."""
    return "terminated" if isinstance(err, Terminated) else "interrupted"


@contextlib.contextmanager
def stopped_during(what: str, folder: Path | None = None) -> Iterator[None]:
    """A Ctrl-C or SIGTERM that stops the block records ``what`` the block was doing (``model eng_eld
    seed 0, shard 1/4``) for the closing line (:func:`during`), and ``folder``, where it saves its work
    (the model's: whether it holds a checkpoint to resume from), as ``err.stopped_in``; the innermost
    block's are kept.  Its start is a safe point (:func:`stop_if_lost`)."""
    stop_if_lost()
    try:
        yield
    except KeyboardInterrupt as err:
        if not getattr(err, "stopped_during", None):
            err.stopped_during, err.stopped_in = what, folder
        raise


def during(err: KeyboardInterrupt) -> str:
    """`` during <what>`` for a stop that :func:`stopped_during` recorded, else ``""``: the closing line
    is ``f"{stop_word(err)}{during(err)}: ..."``."""
    what = getattr(err, "stopped_during", None)
    return f" during {what}" if what else ""
