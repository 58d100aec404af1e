"""Training's stop at SIGTERM (Slurm's time limit), within :func:`bimotion.signals.stop_at_safe_points`:
:class:`StopOnTerminate`, the callback that saves a checkpoint at the step every process of a launch
agrees on (:func:`agreed_stop`) and raises :class:`~bimotion.signals.Terminated` (at the run's last
step too: the trained model is not scored, :func:`last_step_stops` names what the rerun scores).  A checkpoint saved only because of it is
marked :data:`~.outputs.SAVED_AT_STOP` (:meth:`~.trainer.SERTrainer._save_checkpoint`), and removed
by :func:`~.checkpoints.remove_saved_at_stop`.  Once training is done, the trained model's scoring
(:func:`scoring_stops`) stops at its next batch, the checkpoint a rerun only scores from kept."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from transformers import TrainerCallback


class StopOnTerminate(TrainerCallback):
    """SIGTERM (Slurm's time limit) within :func:`bimotion.signals.stop_at_safe_points`: the
    optimizer step under way ends (its evaluation too, when one is due; the epoch's end too, when
    the step ends an epoch or the run), or the validation under way, a checkpoint is saved and
    :class:`~bimotion.signals.Terminated` is raised; the command then names that checkpoint.  At the
    run's last step (or in its last validation) nothing is left to train, but the rest of the run
    (loading the best model, saving it, scoring it: minutes on the paper's data) would outlast Slurm's
    grace period (``KillWait``, 30 s by default): the run stops all the same once that step's checkpoint
    is whole, and the rerun resumes it, training nothing, and scores (:func:`last_step_stops`).

    Every process of a launch takes part after every optimizer step (and validation) in one all-reduce
    (max) of its flag, so all stop at the same point and save one checkpoint together, whichever of them got
    the signal (about 1 ms a step with gloo on 2 busy CPU cores, where the tiny test model's step takes 30 ms).
    Reading the agreed flag waits for the GPU; so does transformers' own check of each step's loss for
    NaN/Inf (``logging_nan_inf_filter``, on by default), so with it on only the all-reduce's latency is
    added; one process alone (no launch) reads its own flag and never waits."""

    def __init__(self):
        self.stopping = self.unscheduled = False  # unscheduled: no checkpoint was due at the stop
        self.due = False  # a save was due at the end of the step that ended an epoch (or the run)
        self.epoch_ending = False  # the step just done ended an epoch (or the run), whose end is still to come
        self.announced = False  # the save at the stop was announced
        self.scoring = False  # the trained model is being scored (scoring_stops): a stop ends it at a batch

    def on_step_end(self, args, state, control, **kwargs):
        self.epoch_ending = float(state.epoch or 0).is_integer() or _trained(state)
        if agreed_stop(args):
            self._stop(state, control)

    def on_epoch_end(self, args, state, control, **kwargs):
        self.epoch_ending = False
        if self.stopping:
            control.should_save = control.should_save or self.due
            self._save(state, control)

    def on_evaluate(self, args, state, control, **kwargs):
        # a SIGTERM during a validation: acted on after it, before its save (else only after the next
        # step; during the run's last validation, never, and nothing saved): after the last, before the scoring
        if state.global_step and not self.stopping and agreed_stop(args):
            self._stop(state, control)

    def on_prediction_step(self, args, state, control, **kwargs):
        if self.scoring and agreed_stop(args):  # every process of a launch after the same batch
            from bimotion.signals import Terminated

            raise Terminated("terminated by SIGTERM while the trained model was scored")

    def _stop(self, state, control) -> None:
        """Stop after this step (its validation, when one is due or under way): save now, or, when the step
        ended an epoch (or the run), at the epoch's end (:meth:`on_epoch_end`), after the epoch's validation
        (its log, best metric and early-stopping count, which a checkpoint keeps), as an uninterrupted run
        has them when it goes on, and with the epoch's own save, when one is due (``save_strategy
        epoch``): that checkpoint is a scheduled one; a save due now is kept for then."""
        self.stopping = control.should_training_stop = True
        if self.epoch_ending:
            self.due, control.should_save = control.should_save, False
        else:
            self._save(state, control)

    def evaluated_for_best(self, state, control, new_best: bool) -> None:
        """``save_strategy best``: the stop's validation (the step's, or one under way) has the checkpoint
        saved now, a scheduled one at a new best (transformers would skip the save SIGTERM asked for)."""
        self._save(state, control)
        self.unscheduled = not new_best

    def _save(self, state, control) -> None:
        """Have the checkpoint saved now: DefaultFlowCallback's (called before this one) if one is due."""
        self.unscheduled = not control.should_save
        control.should_save = True
        if state.is_world_process_zero and not self.announced:  # once, though a stop's validation saves too
            self.announced = True
            then = "stopping before the trained model is scored" if _trained(state) else "stopping"
            print(f"SIGTERM: saving checkpoint-{state.global_step}, then {then}", file=sys.stderr, flush=True)

    def on_save(self, args, state, control, **kwargs):
        if not self.stopping:
            return
        from bimotion.signals import Terminated

        # the checkpoint is whole (SERTrainer._save_checkpoint): nothing more to do (after the last step: the
        # rerun only scores, last_step_stops)
        raise Terminated(f"terminated by SIGTERM after step {state.global_step}, saved")


def _trained(state) -> bool:
    """Whether the run's last step is done (a stop there, or in the validation after it, leaves only the scoring)."""
    return state.global_step >= state.max_steps


def agreed_stop(args) -> bool:
    """Whether this process, or any process of its launch, was asked to stop (one all-reduce).  Each call
    is a safe point (:func:`bimotion.signals.stop_if_lost`): a Ctrl-C whose ``KeyboardInterrupt`` a
    finalizer swallowed (within :func:`~bimotion.signals.stop_at_safe_points` SIGTERM only sets a flag,
    but Ctrl-C still raises) is raised here, before the all-reduce, as a Ctrl-C is taken on this process
    alone wherever it comes: nothing saved, ``interrupted:`` (exit 130); it trained to the end and exited 0."""
    from bimotion.signals import stop_if_lost, stop_requested

    stop_if_lost()
    return any_process(args, stop_requested())


def any_process(args, flag: bool) -> bool:
    """Whether ``flag`` is true on this process or any other of its launch (one all-reduce, max, on
    ``args.device``); ``flag`` itself for one process alone.  Every process of the launch calls it at
    the same point (:func:`agreed_stop`, training's start: :func:`bimotion.signals.stop_at_safe_points`)."""
    if args.world_size > 1:
        from . import processes

        return processes.anywhere(flag, device=args.device)
    return bool(flag)


def stop_before_upload(args, not_uploaded: str) -> None:
    """The last safe point of a run that uploads its model (``--push_to_hub``), on every process of a launch,
    within :func:`bimotion.signals.stop_at_safe_points`, once the outputs are written: a stop that came as they
    were written (a SIGTERM's flag, or a stop lost in a finalizer), on any process, raises here, on all of them,
    before the main process starts an upload that could outlast Slurm's grace period; ``not_uploaded`` (what the
    closing line says: :func:`~.summary.not_uploaded_words`) is set on it."""
    import functools

    from bimotion.signals import Terminated, stop_if_lost_agreed, stop_requested

    anywhere = functools.partial(any_process, args)
    try:
        stop_if_lost_agreed(anywhere, "the upload's start")
        if anywhere(stop_requested()):
            raise Terminated("terminated by SIGTERM before the upload")
    except KeyboardInterrupt as err:
        err.not_uploaded = not_uploaded
        raise


@contextlib.contextmanager
def scoring_stops(trainer, not_scored: list[str]) -> Iterator[None]:
    """The trained model scored (its validation and test sets, minutes on the paper's data) within
    :func:`bimotion.signals.stop_at_safe_points`: a SIGTERM (Slurm's KillWait is 30 s by default) ends
    the scoring at its next batch, on every process of a launch, and raises
    :class:`~bimotion.signals.Terminated` naming what is still in ``not_scored`` (the block removes
    what it has scored), once a checkpoint of the run's last step is whole, which the rerun resumes,
    training nothing, to score: the newest one, or one saved now (:data:`~.outputs.SAVED_AT_STOP`,
    its weights the trained model's; gone once the rerun ends)."""
    from bimotion.signals import Terminated

    from .checkpoints import last_checkpoint
    from .progress import close_bars

    trainer._stop.scoring = True
    try:
        yield
    except BaseException as err:  # the scoring's bar, left open, printed after the closing line once collected
        close_bars(trainer.callback_handler.callbacks)
        if not isinstance(err, Terminated):
            raise
        trainer._stop.scoring = False
        found = last_checkpoint(trainer.args.output_dir)
        if found is None or Path(found).name != f"checkpoint-{trainer.state.global_step}":
            if trainer.is_world_process_zero():
                print(
                    f"SIGTERM: saving checkpoint-{trainer.state.global_step}, then stopping",
                    file=sys.stderr,
                    flush=True,
                )
            trainer._stop.unscheduled = True  # a stop's checkpoint: no scheduled save made it
            trainer._save_checkpoint(trainer.model, trial=None)
        err.not_scored = list(not_scored)
        raise
    finally:
        trainer._stop.scoring = False


@contextlib.contextmanager
def last_step_stops(trainer, not_scored: list[str]) -> Iterator[None]:
    """Training within :func:`bimotion.signals.stop_at_safe_points`: a stop in the run's last step (or its
    last validation) raises :class:`~bimotion.signals.Terminated` once that step's checkpoint is whole
    (:class:`StopOnTerminate`), naming ``not_scored``, all of it, as a stop in the scoring
    (:func:`scoring_stops`) names what is left: the rerun resumes that checkpoint, trains nothing, and scores."""
    from bimotion.signals import Terminated

    try:
        yield
    except Terminated as err:
        if _trained(trainer.state):
            err.not_scored = list(not_scored)
        raise


def not_scored_words(err: BaseException) -> str | None:
    """``the validation sets (zho_eld) and the test sets (zho_eld)``: what a stop in the trained model's
    scoring (:func:`scoring_stops`) left unscored, as the closing lines of ``train.py`` and the grid say it;
    None for a stop anywhere else (training was not done)."""
    sets = getattr(err, "not_scored", None)
    return f"the {' and the '.join(sets)}" if sets else None
