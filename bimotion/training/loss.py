"""The masked multi-label loss: binary cross-entropy on the labels a sample's corpus annotates only.

Every corpus annotates a subset of the 13 labels (:func:`loaders.labels.label_space`); a label outside
that subset is unknown for the sample, not negative, so it contributes neither loss nor gradient.
Each sample's loss is the mean over its annotated labels, and a batch's loss is the mean over its
samples (the paper's released code, without its bugs).

``reduction="label_space"`` reproduces the authors' code exactly: their
``BCEWithLogitsLoss(weight=mask / n)`` averaged over batch × 13 is this loss divided by the size of the
label space (13), which changes how often gradient clipping at ``max_grad_norm`` bites.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

REDUCTIONS = ("annotated", "label_space")  # per-sample mean over annotated labels; the same / 13 (authors')


def per_sample_loss(logits: torch.Tensor, labels: torch.Tensor, label_mask: torch.Tensor) -> torch.Tensor:
    """``(batch,)`` BCE-with-logits averaged over each sample's annotated labels (0 where it has none)."""
    mask = label_mask.to(logits.dtype)
    bce = F.binary_cross_entropy_with_logits(logits.float(), labels.float(), reduction="none")
    return (bce * mask).sum(-1) / mask.sum(-1).clamp(min=1)


def annotated(label_mask: torch.Tensor) -> torch.Tensor:
    """How many samples of the batch annotate at least one label (the denominator of the mean)."""
    return label_mask.bool().any(-1).sum()


def masked_bce(
    logits: torch.Tensor,
    labels: torch.Tensor,
    label_mask: torch.Tensor,
    num_samples: torch.Tensor | int | None = None,
    reduction: str = "annotated",
) -> torch.Tensor:
    """The batch loss: per-sample losses summed and divided by ``num_samples`` (``reduction``
    ``"label_space"``: and by the number of labels, as the authors' code).

    ``num_samples`` defaults to this batch's annotated samples (a plain mean).  Under gradient
    accumulation and data parallelism pass the count over the whole optimizer step (every micro-batch
    on every process) so that the accumulated gradient is that of the mean over all of them.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"loss reduction {reduction!r} is not one of {list(REDUCTIONS)}")
    total = per_sample_loss(logits, labels, label_mask).sum()
    if num_samples is None:
        num_samples = annotated(label_mask)
    if torch.is_tensor(num_samples):
        num_samples = num_samples.to(total.device, total.dtype)
    loss = total / (num_samples.clamp(min=1) if torch.is_tensor(num_samples) else max(num_samples, 1))
    return loss / logits.shape[-1] if reduction == "label_space" else loss
