"""The processes of a launch (``accelerate launch``, torchrun): whether they train on CPU, how one
run holds its output folder against another, how work done on the main process alone reaches the
others (:func:`on_main_process_only`), how work shared among them reaches every one (:func:`on_every_process`),
and how they leave their process group at exit (a launch accelerate started as one process of several is refused
by :mod:`.launched_alone`).  Imports only torch and :mod:`bimotion.signals` (the standard library), lazily: a
launched process registers its exit handler before anything heavy loads."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


def on_main_process() -> bool:
    """Whether this is a launch's main process (rank 0, :func:`launch_rank`), or no launcher started it; readable
    before any process group is set up."""
    return launch_rank() == 0


def launch_rank() -> int:
    """This process's rank in its launch: the first of :data:`RANK_NAMES` set (``RANK``; under mpirun, which
    accelerate's state copies to ``RANK`` only later, ``PMI_RANK`` or ``OMPI_COMM_WORLD_RANK``), as accelerate reads
    it; 0 where none is set (no launcher)."""
    return next((int(value) for name in RANK_NAMES if (value := os.environ.get(name, "").strip())), 0)


def local_process_index() -> int | None:
    """This process's index among a launch's processes on its machine (``LOCAL_RANK``, which
    ``accelerate launch`` and torchrun set) where several processes run (``WORLD_SIZE`` > 1), else
    None (one process); readable before any process group is set up."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    return int(os.environ.get("LOCAL_RANK", "0"))


def note(*lines: str) -> None:
    """Print ``lines`` (each a ``note: ...``) to standard error once per launch: on the main process
    only (:func:`on_main_process`), each line once."""
    if lines and on_main_process():
        print("\n".join(dict.fromkeys(lines)), file=sys.stderr, flush=True)


def cpu_only_distributed() -> bool:
    """Several processes (``WORLD_SIZE`` > 1: ``accelerate launch --multi_gpu --num_processes N``,
    torchrun) on a machine without GPUs: they must train on CPU with gloo (``use_cpu``), not as N
    unrelated single-process runs.  Read where ``TrainingArguments`` are built, before they set up devices."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    import torch

    return not (torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available()))


# set by a launcher that starts several processes, one row each: the launch's count of processes, this process's rank
# (torchrun, accelerate's --multi_gpu; mpirun: MPICH and Intel MPI, Open MPI, MVAPICH2), in accelerate's order
LAUNCH_VARIABLES = (
    ("WORLD_SIZE", "RANK"),
    ("PMI_SIZE", "PMI_RANK"),
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
    ("MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK"),
)
WORLD_SIZE_NAMES = tuple(size for size, _ in LAUNCH_VARIABLES)
RANK_NAMES = tuple(rank for _, rank in LAUNCH_VARIABLES)
# A grid worker killed a moment ago can still hold its model's lock while its last threads exit
# (its process already reads as a zombie, so another worker has taken over its claim): wait this long.
LOCK_GRACE_S = 3.0


@contextlib.contextmanager
def exclusive_output(output_dir: Path, process_index: int) -> Iterator[None]:
    """Hold ``OUTPUT_DIR/.train.lock`` (:func:`bimotion.data.publish.locked`) on the launch's main
    process for the block.  When another training run holds it, every process of this launch
    raises :class:`~bimotion.data.publish.OutputLockedError` within :data:`LOCK_GRACE_S` (the main
    process tells the others, whatever went wrong there), so two runs never write one folder's
    checkpoints, model and scores.  Where no lock can be taken (a file system without ``flock``),
    the run goes on with a warning."""
    from bimotion.data.publish import OutputLockedError, locked, output_path

    with contextlib.ExitStack() as stack:
        outcome = None  # None, or (kind, message): "busy" stops every process, "unlocked" warns
        if process_index == 0:
            try:
                lock = locked(output_path(output_dir), "train", flag="--output_dir", inside=True, grace_s=LOCK_GRACE_S)
                stack.enter_context(lock)
            except OutputLockedError as err:
                outcome = ("busy", str(err))
            except FileExistsError as err:  # --output_dir names a file, or the lock file is someone else's
                outcome = ("busy", str(err))
            except OSError as err:  # no flock here (some network or FUSE file systems)
                outcome = ("unlocked", f"cannot lock {output_dir} ({err}); a second run into it would not be stopped")
            except Exception as err:  # the other processes must not wait for a main process that stopped
                outcome = ("busy", f"cannot lock {output_dir}: {err}")
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                told = [outcome]
                dist.broadcast_object_list(told, src=0)
                outcome = told[0]
        if outcome and outcome[0] == "busy":
            raise OutputLockedError(outcome[1])
        if outcome and process_index == 0:
            import warnings

            warnings.warn(outcome[1], stacklevel=3)
        yield


_LEAVING = False  # leave_process_group_at_exit has registered its handler
SETTLE_S = 0.5  # how long the exit handler lets gloo's worker threads take the GIL


def leave_process_group_at_exit() -> None:
    """In a process of a launch (``WORLD_SIZE`` > 1), before the interpreter exits: give the
    process group's threads time to finish, then destroy the group.  Registered once per process
    however often called: by :func:`~.parsing.parse_arguments` (every recipe), by
    :func:`~bimotion.training.run.training_arguments` and by the grid's ``Ranks.current``.

    Why: gloo runs each collective on a worker thread, which drops its last reference to the
    collective's tensors just after the caller has its result.  Dropping a tensor that Python also
    knew needs the GIL; when the main thread has meanwhile reached interpreter shutdown, the worker
    thread is torn down mid-destructor and the process aborts ("terminate called without an active
    exception", SIGABRT): the run finished and saved, yet the launcher reports it failed.  Releasing
    the GIL for :data:`SETTLE_S` lets the worker threads finish first; it makes the abort unlikely
    (none in over 200 launches of a script built to provoke it, which aborted about 1 launch in 8
    without), it cannot make it impossible.
    After an unhandled exception the group is left alone: destroying it could wait on a collective
    that the other processes never finish."""
    global _LEAVING
    if not _LEAVING and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        import atexit

        atexit.register(_leave_process_group)
        _LEAVING = True


def _leave_process_group() -> None:
    import time

    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        time.sleep(SETTLE_S)  # releases the GIL: gloo's worker threads drop their last tensors now
        if getattr(sys, "last_value", None) is None:  # set when an unhandled exception ends the run
            dist.destroy_process_group()


# how long the other processes of a launch wait for the main one to finish work done there alone (scoring)
MAIN_PROCESS_WAIT_S = 4 * 3600


def on_main_process_only(work, process_index: int, world_size: int):
    """``work()`` on the launch's main process alone; every other process waits for it and returns its
    result, or raises its exception (a ``RuntimeError`` naming it where it cannot be sent, or for a ``SystemExit``;
    a main process stopped by a Ctrl-C or a SIGTERM, a ``KeyboardInterrupt`` or
    :class:`bimotion.signals.Terminated`, stops them with a stop of its kind naming it, ``the main process stopped:
    Terminated``, as :func:`on_every_process` does), so that
    N processes do not do the same work N times.  They wait on a gloo group of their own with
    :data:`MAIN_PROCESS_WAIT_S` as its timeout (left when the call returns), not the launch's (``--ddp_timeout``, 30 min by default),
    which long scoring on a CPU would outlast.  A stop a finalizer swallowed before the call, on any process, stops
    every one once all are in that group (:func:`bimotion.signals.stop_if_lost_agreed`), before the work.  A SIGTERM to a waiting process is left pending until the outcome is
    there (:func:`bimotion.signals.stop_at_safe_points`), and a Ctrl-C raised once it is there
    (:func:`bimotion.signals.ctrl_c_held`): taken in the wait, either left the main process a gloo error.
    A SIGTERM is held, not taken as the main process's own stop is (which ends every process with ``terminated``):
    the outcome is seconds away and whole, so the caller finishes with it and says the stop was held, on that process
    (:func:`bimotion.signals.take_pending_stop`; ``recipes/infer.py``'s ``HELD`` line, exit 0).
    One process, or no process group: ``work()`` here."""
    import torch.distributed as dist

    if world_size <= 1 or not (dist.is_available() and dist.is_initialized()):
        return work()
    from bimotion.signals import ctrl_c_held, stop_at_safe_points, stop_if_lost_agreed

    with (
        contextlib.nullcontext() if process_index == 0 else stop_at_safe_points(taken_inside=True),
        contextlib.nullcontext() if process_index == 0 else ctrl_c_held(),
    ):
        group = _waiting_group()
        try:  # the group left each time: a script scoring model after model would hold one (its sockets) a call
            # a stop a finalizer swallowed before the wait, on any process, taken by every one, once all are in the
            # group: taken by a waiting process alone, before it, it left the main process in new_group until killed
            stop_if_lost_agreed(lambda flag: anywhere(flag, group=group), "the wait for the main process")
            outcome = None
            if process_index == 0:
                try:
                    outcome = ("done", work())
                except BaseException as err:  # the others must not wait for a result that never comes (nor on Ctrl-C)
                    stop = type(err) if isinstance(err, KeyboardInterrupt) else RuntimeError  # a SystemExit: an error
                    stopped = stop(f"the main process stopped: {type(err).__name__}")
                    outcome = ("failed", _sendable(err) if isinstance(err, Exception) else stopped)
                    box = [outcome]
                    dist.broadcast_object_list(box, src=0, group=group)
                    raise
            box = [outcome]
            dist.broadcast_object_list(box, src=0, group=group)
        finally:
            dist.destroy_process_group(group)
    kind, value = box[0]
    if kind == "failed":
        raise value
    return value


def on_every_process(work, process_index: int, world_size: int, *, in_steps: bool = False) -> list:
    """``work(index, count)`` on every process of a launch, each doing its share (``index`` of ``count``:
    its process index and the launch's number of processes); every process gets every share's result, in
    process order.  Where one process fails (an exception, or ``KeyboardInterrupt``/``SystemExit``), the
    others do not wait for its share: each raises its exception (a ``RuntimeError`` naming it where it cannot
    be sent, or for a ``SystemExit``), the failed one its own; a process stopped by a Ctrl-C or a SIGTERM (a
    ``KeyboardInterrupt``, :class:`bimotion.signals.Terminated`) stops the others with a stop of its kind, naming
    it (``process 1 of the launch stopped: Terminated``), so that each ends as a stopped run, not a failed one.
    ``in_steps``: ``work(index, count, steps)``, whose :class:`Steps` it ends each of its steps with (a batch), so
    that the others learn of a failure or a stop at their step's end, not once their whole share is done.
    They wait for one another on a gloo group of their own with :data:`MAIN_PROCESS_WAIT_S` as its timeout (left
    when the call returns).  One process, or no process group: ``[work(0, 1)]``, the whole work here."""
    import torch.distributed as dist

    if world_size <= 1 or not (dist.is_available() and dist.is_initialized()):
        return [work(0, 1, Steps(None)) if in_steps else work(0, 1)]
    group = _waiting_group()
    steps = Steps(group if in_steps else None)  # without steps: no agreement to take part in
    try:
        try:
            outcome = ("done", work(process_index, world_size, steps) if in_steps else work(process_index, world_size))
        except StoppedElsewhere:  # another process failed or stopped at this step: its outcome is raised below
            outcome = ("done", None)
        except BaseException as err:  # the others must not wait for a share that never comes (nor on Ctrl-C)
            steps.stopped_here()
            stop = type(err) if isinstance(err, KeyboardInterrupt) else RuntimeError  # a SystemExit: an error
            stopped = stop(f"process {process_index} of the launch stopped: {type(err).__name__}")
            outcome = ("failed", _sendable(err, f"process {process_index}") if isinstance(err, Exception) else stopped)
            dist.all_gather_object([None] * world_size, outcome, group=group)
            raise
        outcomes = [None] * world_size
        dist.all_gather_object(outcomes, outcome, group=group)
    finally:
        dist.destroy_process_group(group)
    for kind, value in outcomes:
        if kind == "failed":
            raise value
    return [value for _, value in outcomes]


class StoppedElsewhere(Exception):
    """Raised by :meth:`Steps.agree` where another process of the launch failed or was stopped within the step:
    :func:`on_every_process` then raises that process's error (or stop) on this one too."""


class Steps:
    """The steps of :func:`on_every_process`'s work (``in_steps``: a batch each), each agreed as it ends by every
    process of the launch (:meth:`agree`: one all-reduce, :func:`anywhere`), so that a process that fails or is
    stopped (an exception, a Ctrl-C, a SIGTERM, a stop a finalizer swallowed) is known to the others within a step.
    Every process takes the same number of steps (:meth:`count`; one with nothing left to do takes empty ones).
    With no group (one process), each step is its own."""

    def __init__(self, group):
        self._group = group
        self._left: int | None = None  # steps whose end the others will still agree on (None: not yet counted)

    def count(self, steps: int) -> None:
        """The number of steps of the work, the same on every process, said before the first ends."""
        self._left = steps

    def agree(self) -> None:
        """The end of a step: a stop lost in a finalizer here (:func:`bimotion.signals.stop_if_lost`) is raised;
        :class:`StoppedElsewhere` where another process stopped."""
        from bimotion.signals import stop_if_lost

        stop_if_lost()
        if self._group is None:
            return
        elsewhere = anywhere(False, group=self._group)
        self._left = 0 if elsewhere else self._left - 1
        if elsewhere:
            raise StoppedElsewhere("another process of the launch stopped")

    def stopped_here(self) -> None:
        """This process failed or stopped: the others, at the end of the step they are in, learn of it."""
        if self._group is not None and (self._left is None or self._left > 0):
            self._left = 0
            anywhere(True, group=self._group)


def anywhere(flag: bool, *, device="cpu", group=None) -> bool:
    """Whether ``flag`` is true on this process or any other of its launch: one all-reduce (max) of it on
    ``device`` over ``group`` (default: the launch's), which every process calls at the same point (training's
    :func:`~.stopping.any_process`, :meth:`Steps.agree`); ``flag`` itself for one process alone, or none set up."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size(group) <= 1:
        return bool(flag)
    import torch

    agreed = torch.tensor([int(flag)], dtype=torch.int32, device=device)
    dist.all_reduce(agreed, op=dist.ReduceOp.MAX, group=group)
    return bool(agreed.item())


def _waiting_group():
    """A gloo group of the launch's processes to wait on one another for work of their own (scoring), with
    :data:`MAIN_PROCESS_WAIT_S` as its timeout, not the launch's (``--ddp_timeout``, 30 min by default); the
    caller destroys it when done."""
    from datetime import timedelta

    import torch.distributed as dist

    return dist.new_group(backend="gloo", timeout=timedelta(seconds=MAIN_PROCESS_WAIT_S))


def _sendable(err: Exception, who: str = "the main process") -> Exception:
    """``err`` if it survives pickling (to reach the other processes), else a RuntimeError naming it."""
    import pickle

    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return RuntimeError(f"{who} failed: {type(err).__name__}: {err}")
    return err
