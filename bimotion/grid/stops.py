"""How a grid's worker stops between its units (:mod:`.workers`): a SIGTERM left pending, or a stop a finalizer
swallowed, taken at a unit's start, once a model is trained (before its scoring, :data:`SCORING`) or before the
tables, by every process of a launch together; and what a stop came before (:func:`stopped_before`), for the
closing line (``recipes/grid.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def stop_if_asked(
    grid, before: str = "the next model", came: str = "a model finished", kept: str = "that model is done"
) -> None:
    """A SIGTERM that came after training's last safe point (:func:`bimotion.signals.take_pending_stop`, on any
    process of a launch; one in its training or scoring stops it, :mod:`bimotion.training.stopping`) let that
    model finish.  The worker stops now, as at any other SIGTERM (:class:`~bimotion.signals.Terminated`):
    ``before`` training another, or once the units are done, ``before`` the tables (the last unit's came after
    it: the worker wrote them and exited 0), or once a model is trained, before its scoring
    (:func:`stop_after_training`).  ``came`` and ``kept``: what its log line says came to an end, and what is kept."""
    from ..signals import Terminated, take_pending_stop

    if grid.ranks.any(take_pending_stop()):
        if grid.ranks.is_main:
            grid.log(f"[grid] SIGTERM came as {came}: {kept}; stopping before {before}")
        stop = Terminated(f"terminated by SIGTERM after {came}, before {before}")
        stop.stopped_before = before
        raise stop


def take_held_stop(ranks, during: str) -> None:
    """A SIGTERM a launch's other process got while it waited for the main process's work
    (:func:`bimotion.training.processes.on_main_process_only` holds it: taken in gloo's wait, it left the main
    process a gloo error), taken now by every process together (:meth:`~.claims.Ranks.any`), where the caller goes
    on to more work: left pending, the next safe-points block cleared it and the run went on to its end, unsaid.
    ``during``: what the main process was doing, for the stop's words (``bimotion demo``'s datasets)."""
    from ..signals import Terminated, take_pending_stop

    if ranks.any(take_pending_stop()):
        raise Terminated(f"terminated by SIGTERM during {during}")


SCORING = "its scoring"  # what a stop once a model is trained comes before (:func:`stop_after_training`)


def stop_after_training(grid) -> None:
    """Once a model is trained and saved (its marker written: a rerun reuses it), before anything is predicted
    with it: a stop a finalizer swallowed as training saved its outputs (:func:`stop_if_lost_in_launch`), and
    a SIGTERM left pending there (:func:`stop_if_asked`), which let the grid predict every test clip with
    it first, past Slurm's grace period.  Every process of a launch, agreed; not for a model reused."""
    stop_if_lost_in_launch(grid, f"the end of its training, before {SCORING}", before=SCORING)
    stop_if_asked(grid, SCORING, "a model finished training", "it is saved, and a rerun reuses it")


def stopped_before(err: KeyboardInterrupt) -> str | None:
    """What a stop between a worker's models came before (``the next model``, ``the tables``: no model was in
    progress; :data:`SCORING`: its model trained, not scored), as :func:`stop_if_asked`,
    :func:`stop_if_lost_in_launch` and :func:`stopping_before` record it; None for any other stop."""
    return getattr(err, "stopped_before", None)


@contextlib.contextmanager
def stopping_before(before: str) -> Iterator[None]:
    """A stop in the block that records nothing it came before records ``before`` (:func:`stopped_before`): a
    trained model's prediction and scoring (:data:`SCORING`), the tables and figures (``the tables``)."""
    try:
        yield
    except KeyboardInterrupt as stop:
        if stopped_before(stop) is None:
            stop.stopped_before = before
        raise


def stop_if_lost_in_launch(grid, where: str = "this unit's start", before: str = "the next model") -> None:
    """A stop (SIGTERM, Ctrl-C) that a finalizer swallowed on any process of a launch
    (:func:`bimotion.signals.stop_if_lost`), taken at a unit's start by every process together, agreed as
    :func:`stop_if_asked` agrees a pending stop (:meth:`~.claims.Ranks.any`, before any process raises:
    :func:`bimotion.signals.stop_if_lost_agreed`); one process alone (no launch) raises its own.  Also once the
    units are done (``where``), before the tables: a stop lost in the last unit's scoring wrote them and exited 0.
    ``before``: what the stop came before, for the closing line (:func:`stopped_before`; :data:`SCORING`: its model
    trained, not yet scored)."""
    from ..signals import stop_if_lost_agreed

    try:
        stop_if_lost_agreed(grid.ranks.any, where)
    except KeyboardInterrupt as stop:
        stop.stopped_before = before
        raise
