"""What a training run prints as it goes, in quiet output (:func:`bimotion.console.is_quiet`): one
short line per evaluation (:func:`evaluation_line`) in place of transformers' log dictionaries, the
training bar as a stage bar (a line per interval in a log file), evaluation bars only on a terminal.
:class:`~.trainer.SERTrainer` puts :class:`CompactProgress` and :class:`CompactPrinter` in place of
transformers' :class:`~transformers.ProgressCallback` and :class:`~transformers.PrinterCallback`."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm
from transformers import PrinterCallback, ProgressCallback
from transformers.trainer_utils import has_length

from bimotion.console import bar_disabled, stage_bar_options


def evaluation_line(state, logs) -> str | None:
    """One line for an evaluation's logs (None for any other log)."""
    if not (state.is_world_process_zero and logs and "eval_loss" in logs):
        return None
    f1 = logs.get("eval_weighted_f1")
    logged = next((h for h in reversed(state.log_history) if "loss" in h), None)  # the last logged
    train = ""
    if logged is not None:  # named by its step when it was logged before this evaluation's
        stale = logged.get("step", state.global_step) != state.global_step
        train = f"training loss {logged['loss']:.4f}" + (f" (logged at step {logged['step']})" if stale else "") + ", "
    return (
        f"epoch {logs.get('epoch', state.epoch or 0):.2f}, step {state.global_step}: "
        + train
        + f"validation loss {logs['eval_loss']:.4f}"
        + (f", weighted F1 {100 * f1:.1f}%" if f1 is not None else "")
    )


class CompactProgress(ProgressCallback):
    """transformers' progress bars, with one short line per evaluation in place of every log
    dictionary (quiet output, :func:`bimotion.console.is_quiet`)."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        line = evaluation_line(state, logs)
        if line and self.training_bar is not None:  # on the bar's stream: a log of both never glues them
            self.training_bar.write(line, file=sys.stderr)

    def on_train_begin(self, args, state, control, **kwargs):
        # transformers' bar, as a stage bar: in a log file a line per LOG_BAR_INTERVAL_S, not per step
        if state.is_world_process_zero:
            self.training_bar = tqdm(total=state.max_steps, dynamic_ncols=True, **stage_bar_options())
        self.current_step = 0

    def on_prediction_step(self, args, state, control, eval_dataloader=None, **kwargs):
        # an evaluation or prediction bar is an inner bar (bimotion.console.bar_disabled): on a terminal it
        # is redrawn in place, in a log file it is a line per refresh (with cursor codes inside the
        # training bar); there the evaluation's line and the end table say enough
        if bar_disabled():
            return
        first = self.training_bar is None and self.prediction_bar is None and has_length(eval_dataloader)
        if first and state.is_world_process_zero:
            # the trained model scored (validation, then test sets): transformers' bar, left on the screen
            # after it, made two bars named by nothing ("100%|####| 86/86") between the training bar and
            # the report; named, and gone once done, as a validation's bar within training is
            self.prediction_bar = tqdm(total=len(eval_dataloader), desc="scoring", leave=False, dynamic_ncols=True)
        super().on_prediction_step(args, state, control, eval_dataloader=eval_dataloader, **kwargs)


class CompactPrinter(PrinterCallback):
    """``disable_tqdm``: one printed line per evaluation in place of every log dictionary."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        line = evaluation_line(state, logs)
        if line:
            print(line, flush=True)


def close_bars(callbacks) -> None:
    """Close the bars of ``callbacks`` (a trainer's) that a run stopped by an exception (SIGTERM's
    :class:`~bimotion.signals.Terminated`, Ctrl-C, an error) left open: tqdm wrote their last state
    when they were garbage-collected, after the command's closing line, so a job's log ended with
    ``3%|▎| 2/60 [00:13<06:44]`` where ``tail -n 1`` should show how to continue."""
    for callback in callbacks:
        if isinstance(callback, ProgressCallback):
            for name in ("prediction_bar", "training_bar"):
                bar = getattr(callback, name, None)
                if bar is not None:
                    bar.close()
                    setattr(callback, name, None)
