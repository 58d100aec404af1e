"""``transformers.Trainer`` with the masked multi-label loss, exact under accumulation and DDP.

The model's own loss is not used.  For every optimizer step the trainer counts the annotated
samples over all its micro-batches and all processes (``get_batch_samples``), and each micro-batch's
loss is ``sum of its per-sample losses / that count × number of processes``: summed over the
micro-batches and averaged by DDP across processes, the gradient is exactly that of the mean
per-sample loss over the whole optimizer step, whatever the micro-batch sizes (a ragged last batch,
uneven shards).  Evaluation losses are plain per-batch means, which Trainer averages per sample.

Training batches are grouped by the ``duration_s`` column, evaluation batches go longest first, and
evaluation uses its own collator (no cropping).
"""

from __future__ import annotations

import contextlib

import torch
from transformers import Trainer

from .loss import annotated, masked_bce
from .sampler import length_grouped, longest_first


class SERTrainer(Trainer):
    loss_is_scaled_for_ga = True  # compute_loss already divides by the whole step's sample count

    def __init__(self, *args, eval_data_collator=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Never hand num_items_in_batch to the model, nor let Trainer count label entries: we count samples.
        self.model_accepts_loss_kwargs = False
        self.eval_data_collator = eval_data_collator

    # ------------------------------------------------------------------ loss
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
        outputs = model(**inputs)
        if num_items_in_batch is None:
            loss = masked_bce(outputs.logits, labels, label_mask)
        else:
            loss = masked_bce(outputs.logits, labels, label_mask, num_items_in_batch) * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss

    # ------------------------------------------------------------------ data
    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if self.args.train_sampling_strategy == "group_by_length" and self._has_durations(dataset):
            batch = self.args.train_batch_size * self.args.gradient_accumulation_steps
            seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
            # accelerate keeps this generator in step across processes, epoch after epoch
            generator = torch.Generator().manual_seed(seed)
            return length_grouped(dataset, batch, column=self.args.length_column_name, generator=generator)
        return super()._get_train_sampler(train_dataset)

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
