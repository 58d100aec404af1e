"""``transformers.Trainer`` with the masked multi-label loss, exact under accumulation and DDP.

The model's own loss is not used.  For every optimizer step the trainer counts the annotated
samples over all its micro-batches and all processes (``get_batch_samples``), and each micro-batch's
loss is ``sum of its per-sample losses / that count × number of processes``: summed over the
micro-batches and averaged by DDP across processes, the gradient is exactly that of the mean
per-sample loss over the whole optimizer step, whatever the micro-batch sizes (a ragged last batch,
uneven shards).  Evaluation losses are plain per-batch means, which Trainer averages per sample.

Training batches are grouped by the ``duration_s`` column (a fixed number of clips, or with
``max_batch_duration_s`` a budget of padded audio-seconds per batch), evaluation batches go longest
first, and evaluation uses its own collator (no cropping) and scores each clip as if alone
(:func:`~.inference.clip_logits`: a model that hears padding, such as a group-norm wav2vec2-base,
runs the clips of each length unpadded), so the checkpoint selected and the end-of-run scores are
those the grid and ``bimotion predict`` give whatever the evaluation batch size; training batches
stay padded to their longest clip (length-grouped, so little), as transformers trains such models.
``args.loss_reduction`` (``"annotated"``, or the authors' ``"label_space"``: the same divided by 13)
is :func:`~.loss.masked_bce`'s.

Resuming gives the model of an uninterrupted run: the training order and the crops are functions of
``(seed, epoch)`` (:mod:`.sampler`, :mod:`.collator`), set at the start of every epoch from the
trainer's state, so the batches Trainer skips on resume are exactly those the interrupted run saw;
dropout and SpecAugment draw from the global random states, which Trainer saves in every checkpoint
and restores before the first resumed step (no batch drawing consumes them: persistent data loader
workers draw their seed from a generator of their own, :func:`_own_worker_seed`), and which a validation
leaves as it found them (:func:`random_states_kept`), so a checkpoint saved before a validation
holds the state the run trains on after it.

A checkpoint is saved in place (transformers writes into ``checkpoint-<step>``), so it holds
:data:`~.outputs.INCOMPLETE` until every process has written its part; a kill during the save
leaves the marker and resuming skips that checkpoint, and the checkpoints it replaces go only once
it is whole (:mod:`.checkpoints`).  SIGTERM (Slurm's time limit) within
:func:`bimotion.signals.stop_at_safe_points` ends the step under way, saves a checkpoint and raises
:class:`~bimotion.signals.Terminated` (:class:`~.stopping.StopOnTerminate`), on every process of a launch at the same step.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from transformers import PrinterCallback, ProgressCallback, Trainer, TrainerCallback
from transformers.modeling_outputs import SequenceClassifierOutput

from .checkpoints import saved_at_stop, saved_whole
from .inference import clip_logits
from .loss import annotated, masked_bce
from .outputs import SAVED_AT_STOP
from .progress import CompactPrinter, CompactProgress, close_bars
from .sampler import DurationBatchSampler, durations, length_grouped, longest_first
from .stopping import StopOnTerminate

LOSS_SUM_FILE = "bimotion_loss_sum.json"  # in a checkpoint: the training loss summed over its steps


def _read_loss_sum(checkpoint) -> tuple[float, int] | None:
    """``(loss sum, global step)`` a checkpoint recorded, or None (none given, or written before)."""
    path = Path(checkpoint) / LOSS_SUM_FILE if isinstance(checkpoint, str | Path) else None
    if path is None or not path.is_file():
        return None
    recorded = json.loads(path.read_text())
    return float(recorded["loss_sum"]), int(recorded["global_step"])


class SERTrainer(Trainer):
    loss_is_scaled_for_ga = True  # compute_loss already divides by the whole step's sample count

    def __init__(self, *args, eval_data_collator=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Never hand num_items_in_batch to the model, nor let Trainer count label entries: we count samples.
        self.model_accepts_loss_kwargs = False
        self.eval_data_collator = eval_data_collator
        self.train_sampler = None
        self._loss_before: tuple[float, int] | None = None
        self.add_callback(_SetEpoch(self))
        self._stop = StopOnTerminate()
        self.add_callback(self._stop)
        from bimotion.console import is_quiet

        if is_quiet():  # one line per evaluation, not every log dictionary (bars or, with disable_tqdm, prints)
            if self.pop_callback(ProgressCallback) is not None:
                self.add_callback(CompactProgress)
            if self.pop_callback(PrinterCallback) is not None:
                self.add_callback(CompactPrinter)
            if not self.args.should_log and self.args.log_level_replica == "warning":  # transformers' default
                from transformers.utils import logging  # Trainer set it for this replica: the next model's

                logging.set_verbosity_error()  # load report printed on every process of a launch but the first

    # ------------------------------------------------------------------ loss
    def train(self, resume_from_checkpoint=None, *args, **kwargs):
        self._loss_before = _read_loss_sum(resume_from_checkpoint)  # the resumed steps' loss, if recorded
        try:
            result = super().train(resume_from_checkpoint, *args, **kwargs)
        except BaseException:  # a stop or an error: the bars' last state now, before the command's closing line
            close_bars(self.callback_handler.callbacks)
            raise
        self._tr_loss = None  # drained into _total_loss_scalar: a checkpoint saved now counts it once
        return result

    def _run_epoch(self, *args, **kwargs):
        """transformers' epoch, but none once the run's last step is done: a checkpoint of that step resumed
        in an epoch (``--max_steps``, or a stop's after training) trained one step beyond the run."""
        if self.state.global_step >= self.state.max_steps:
            self.control.should_training_stop = True
            return None
        return super()._run_epoch(*args, **kwargs)

    def _save_checkpoint(self, model, trial) -> None:
        """transformers' checkpoint, marked :data:`~.outputs.INCOMPLETE` until every process has
        written its part (the model, optimizer and scheduler, each process's random states, the
        trainer state); also the training loss summed over all its steps (:data:`LOSS_SUM_FILE`),
        so that a resumed run reports its whole run's mean loss.

        A checkpoint saved only because of SIGTERM (:data:`~.outputs.SAVED_AT_STOP`) is never the
        selected model (nor kept as the best by ``save_total_limit``'s rotation in the real best's
        place), and the next scheduled save, once whole, or the run's end removes it
        (:func:`~.checkpoints.saved_whole`, which rotates older checkpoints then): an uninterrupted run has no
        checkpoint at that step, so it could not select it (``load_best_model_at_end`` picks the best
        step that has one)."""
        folder = Path(self._get_output_dir(trial=trial)) / f"checkpoint-{self.state.global_step}"
        at_stop = self._stop.unscheduled
        with saved_whole(self, folder, at_stop=at_stop):  # then the stop's checkpoint and rotated ones go
            # hidden if a stop's (this one, or one kept until this save is whole): transformers would name that
            best_step = self.state.best_global_step  # folder the best, and rotate the real best away to keep it
            hidden = best_step is not None and (
                at_stop and best_step == self.state.global_step or saved_at_stop(folder.parent, best_step)
            )
            self.state.best_global_step = None if hidden else best_step
            super()._save_checkpoint(model, trial)
            self.state.best_global_step = best_step
            if self.args.should_save:
                self._save_loss_sum(folder)
                if at_stop:
                    (folder / SAVED_AT_STOP).write_text("saved at SIGTERM: the next scheduled save removes it\n")
                if hidden:
                    self.state.save_to_json(str(folder / "trainer_state.json"))

    def _determine_best_metric(self, metrics, trial) -> bool:
        """transformers' (whether ``metrics`` is a new best, which ``save_strategy best`` saves), but a
        stop's evaluation always saves: a new best as an uninterrupted run saves it, anything else
        as :data:`~.outputs.SAVED_AT_STOP` (transformers would skip the save SIGTERM asked for)."""
        new_best = super()._determine_best_metric(metrics, trial)
        if self._stop.stopping and self.args.save_strategy == "best":
            self._stop.evaluated_for_best(self.state, self.control, new_best)
            return True
        return new_best

    def _save_loss_sum(self, folder: Path) -> None:
        before, _ = self._loss_before or (0.0, 0)
        pending = getattr(self, "_tr_loss", None)  # since the last log (transformers' running sum)
        session = getattr(self, "_total_loss_scalar", 0.0) + (float(pending.item()) if pending is not None else 0.0)
        (folder / LOSS_SUM_FILE).write_text(
            json.dumps({"loss_sum": before + session, "global_step": self.state.global_step}) + "\n"
        )

    def _save(self, output_dir: str | None = None, state_dict=None) -> None:
        """transformers' save (the model folder, and each checkpoint's; called on every process, the
        saving one writes), with ``training_args.bin`` holding plain ``TrainingArguments``
        (:func:`~.training_args.plain_arguments`): a Hub user without bimotion can load it.  Without
        transformers' "Writing model shards" bar (:func:`bimotion.console.transformers_bars`): a local
        file written in a moment, whose bar a library call (no ``quiet()``) printed at every save."""
        import torch
        from transformers.trainer import TRAINING_ARGS_NAME

        from bimotion.console import transformers_bars

        from .training_args import plain_arguments

        with transformers_bars():
            super()._save(output_dir, state_dict)
        if self.args.should_save:
            torch.save(plain_arguments(self.args), Path(output_dir or self.args.output_dir) / TRAINING_ARGS_NAME)

    def save_state(self) -> None:
        """transformers' ``trainer_state.json`` in the output folder (published with the model), its
        best checkpoint named relative to the folder, as ``scores.json`` names it, not by a path of this
        machine; a checkpoint's own keeps the whole path (resuming reads it)."""
        import copy

        from .public import public_path

        if not self.is_world_process_zero():
            return
        state = copy.copy(self.state)
        state.best_model_checkpoint = public_path(state.best_model_checkpoint, self.args.output_dir)
        state.save_to_json(str(Path(self.args.output_dir) / "trainer_state.json"))

    def run_train_loss(self, train_result, resumed: bool) -> float:
        """The mean training loss of the whole run: ``train_result.training_loss`` (the mean over
        this session's steps) for a run trained in one go; for a resumed one, combined with the
        loss its checkpoint recorded over the steps before (a checkpoint from before that record:
        the logged losses weighted by the steps each covers)."""
        if not resumed:
            return train_result.training_loss
        if self._loss_before is not None:
            loss_sum, step = self._loss_before
            total = loss_sum + train_result.training_loss * (self.state.global_step - step)
            return total / max(self.state.global_step, 1)
        done, total, steps = 0, 0.0, 0
        for entry in self.state.log_history:
            if "loss" in entry and entry.get("step", 0) > done:
                total += entry["loss"] * (entry["step"] - done)
                steps += entry["step"] - done
                done = entry["step"]
        return total / steps if steps else train_result.training_loss

    def get_batch_samples(self, epoch_iterator, num_batches, device):
        batches, _ = super().get_batch_samples(epoch_iterator, num_batches, device)
        if not batches:
            return batches, None
        count = sum(annotated(b["label_mask"]).reshape(1).to(device) for b in batches)
        if self.args.world_size > 1:
            count = self.accelerator.gather(count).sum()
        return batches, count.reshape(())

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        label_mask = inputs.pop("label_mask")
        inputs.pop("row", None)
        if model.training:  # padded batches (length-grouped); a model that hears padding learns with it
            inputs.pop("input_lengths", None)
            outputs = model(**inputs)
        else:  # evaluation scores each clip as if alone, as the grid and predict do
            outputs = SequenceClassifierOutput(logits=clip_logits(model, inputs, sample_rate_hz=self._sample_rate_hz))
        reduction = getattr(self.args, "loss_reduction", "annotated")
        if num_items_in_batch is None:
            loss = masked_bce(outputs.logits, labels, label_mask, reduction=reduction)
        else:
            loss = masked_bce(outputs.logits, labels, label_mask, num_items_in_batch, reduction=reduction)
            loss = loss * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        """transformers' step (loss and logits through :meth:`compute_loss`); for rows without labels,
        the logits alone, each clip's as if alone as well (:func:`~.inference.clip_logits`)."""
        if all(inputs.get(name) is not None for name in self.label_names):
            return super().prediction_step(model, inputs, prediction_loss_only, ignore_keys)
        import torch

        inputs = self._prepare_inputs(inputs)
        with torch.no_grad(), self.compute_loss_context_manager():
            logits = clip_logits(model, inputs, sample_rate_hz=self._sample_rate_hz)
        return None, None if prediction_loss_only else logits.detach(), None

    def evaluate(self, *args, **kwargs):
        """transformers' evaluation, leaving every random state as it found it (:func:`random_states_kept`):
        its data loader draws a seed from torch's, so a checkpoint saved at an epoch's end, before the
        epoch's validation, resumed from a state the uninterrupted run no longer had."""
        with random_states_kept(self.args.device):
            return super().evaluate(*args, **kwargs)

    def _evaluate(self, trial, ignore_keys_for_eval, skip_scheduler=False):
        """transformers' (``eval_on_start``'s is the one that skips the scheduler: at a run's start, not
        again at a resumed one's, which an uninterrupted run never has and early stopping would count)."""
        if skip_scheduler and self.state.global_step > 0:
            return {}
        return super()._evaluate(trial, ignore_keys_for_eval, skip_scheduler)

    # ------------------------------------------------------------------ data
    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if self.args.train_sampling_strategy == "group_by_length" and self._has_durations(dataset):
            # one optimizer step's clips over every process: N processes see the batches of one
            batch = self.args.train_batch_size * self.args.gradient_accumulation_steps * self.args.world_size
            self.train_sampler = length_grouped(
                dataset, batch, seed=self.data_seed, column=self.args.length_column_name
            )
            return self.train_sampler
        return super()._get_train_sampler(train_dataset)

    def get_train_dataloader(self):
        """transformers' loader or, with ``args.max_batch_duration_s``, batches by padded audio duration
        (:meth:`_duration_dataloader`); with persistent workers, one that draws its workers' seed from a
        generator of its own (:func:`_own_worker_seed`)."""
        budget = getattr(self.args, "max_batch_duration_s", None)
        loader = self._duration_dataloader(budget) if budget else super().get_train_dataloader()
        return _own_worker_seed(loader, self.data_seed)

    def _duration_dataloader(self, budget: float):
        """Batches of at most ``budget`` padded audio-seconds (:class:`~.sampler.DurationBatchSampler`,
        one per process, dealt out by accelerate)."""
        from functools import partial

        from torch.utils.data import DataLoader
        from transformers.trainer_utils import seed_worker

        crop = getattr(self.data_collator, "max_duration_s", None)
        lengths = durations(self.train_dataset, self.args.length_column_name)
        self.train_sampler = DurationBatchSampler(lengths, budget, seed=self.data_seed, max_duration_s=crop)
        args = self.args
        loader = DataLoader(
            self.train_dataset,
            batch_sampler=self.train_sampler,
            collate_fn=self.data_collator,
            num_workers=args.dataloader_num_workers,
            pin_memory=args.dataloader_pin_memory,
            persistent_workers=args.dataloader_persistent_workers,
            prefetch_factor=args.dataloader_prefetch_factor,
            worker_init_fn=partial(seed_worker, num_workers=args.dataloader_num_workers, rank=args.process_index),
        )
        return self.accelerator.prepare(loader)

    @property
    def _sample_rate_hz(self) -> int | None:
        return getattr(self.processing_class, "sampling_rate", None)

    @property
    def data_seed(self) -> int:
        return self.args.data_seed if self.args.data_seed is not None else self.args.seed

    def _get_eval_sampler(self, eval_dataset):
        if self._has_durations(eval_dataset):
            return longest_first(eval_dataset, column=self.args.length_column_name)
        return super()._get_eval_sampler(eval_dataset)

    def _has_durations(self, dataset) -> bool:
        return self.args.length_column_name in (getattr(dataset, "column_names", None) or ())

    @contextlib.contextmanager
    def _eval_collator(self):
        train_collator = self.data_collator
        if self.eval_data_collator is not None:
            self.data_collator = self.eval_data_collator
        try:
            yield
        finally:
            self.data_collator = train_collator

    def get_eval_dataloader(self, eval_dataset=None):
        with self._eval_collator():
            return super().get_eval_dataloader(eval_dataset)

    def get_test_dataloader(self, test_dataset):
        with self._eval_collator():
            return super().get_test_dataloader(test_dataset)


def _own_worker_seed(loader, seed: int):
    """``loader`` with a generator of its own when its workers persist (``--dataloader_persistent_workers``):
    a loader draws its workers' base seed from torch's global random state (which dropout draws from) when
    its iterator is made, once per run for persistent workers, so a run resumed in a later epoch drew it
    once more than an uninterrupted one and trained with other dropout masks.  Its own generator leaves the
    global state alone (the collator draws no random numbers: its crops are a function of the epoch)."""
    import torch

    from .sampler import epoch_seed

    base = getattr(loader, "base_dataloader", loader)  # the torch loader inside accelerate's DataLoaderShard
    if getattr(base, "persistent_workers", False) and base.num_workers > 0 and base.generator is None:
        base.generator = torch.Generator().manual_seed(epoch_seed(seed, 0, 3))
    return loader


@contextlib.contextmanager
def random_states_kept(device):
    """Python's, NumPy's, torch's and ``device``'s random states, as they were before the block."""
    import random

    import numpy as np
    import torch

    python, numpy = random.getstate(), np.random.get_state()
    accelerator = [device] if hasattr(getattr(torch, device.type, None), "get_rng_state") else []  # cuda, mps, xpu
    with torch.random.fork_rng(devices=accelerator, device_type=device.type if accelerator else None):
        try:
            yield
        finally:
            random.setstate(python)
            np.random.set_state(numpy)


class _SetEpoch(TrainerCallback):
    """At the start of every epoch, hand its number to the training sampler and collator.

    Trainer's own ``set_epoch`` does not reach a sampler under accelerate's skip-and-shard wrappers
    (a multi-process resume), so the epoch is set here, from the (restored) trainer state."""

    def __init__(self, trainer: SERTrainer):
        self.trainer = trainer

    def on_epoch_begin(self, args, state, control, **kwargs):
        epoch = int(state.epoch or 0)  # whole at an epoch's start; fractional when resumed mid-epoch
        for part in (self.trainer.train_sampler, self.trainer.data_collator):
            if hasattr(part, "set_epoch"):
                part.set_epoch(epoch)
