"""Inference, once for every caller: logits (and pooled features) of a trained classifier for every
row of a dataset, in row order, on whole clips.  :func:`bimotion.training.evaluation.infer` (cross-group
inference), the grid's predictions (:mod:`bimotion.grid.runner`) and the feature-space projections
(:mod:`bimotion.projection`) all run :func:`predict`."""

from __future__ import annotations

import os

import numpy as np


def batch_logits(model, batch: dict, device: str) -> np.ndarray:
    """Float32 logits of one collated batch (``input_values``, ``attention_mask``): the inputs moved to
    ``device``, inference mode, bfloat16 autocast on a GPU.  :func:`predict` and
    :mod:`bimotion.predict` (audio files in windows) run every forward pass here."""
    import torch

    inputs = {k: v.to(device) for k, v in batch.items() if k in ("input_values", "attention_mask")}
    with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
        return model(**inputs).logits.float().cpu().numpy()


def predict(
    model_dir: str | os.PathLike,
    dataset,
    *,
    batch_size: int = 8,
    features: bool = False,
    progress: bool = True,
    pad_to_multiple_of: int | None = None,
) -> dict:
    """``{"id", "corpus", "group", "speaker", "labels", "label_mask", "logits"}`` (and with ``features`` the
    pooled input of the last linear layer) for every row of a dataset from
    :func:`bimotion.training.data.load_shards`, in row order; whole clips, no cropping, longest
    first in batches of ``batch_size``; bfloat16 autocast on a GPU."""
    import torch
    from tqdm.auto import tqdm

    from bimotion.console import bar_disabled

    from .collator import AudioCollator
    from .data import clip_columns
    from .model import load_classifier
    from .sampler import longest_first

    model, feature_extractor = load_classifier(str(model_dir))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device).eval()
    collate = AudioCollator(feature_extractor, pad_to_multiple_of=pad_to_multiple_of)
    captured: list = []
    hook = model.classifier.register_forward_hook(lambda module, args, out: captured.append(args[0].float().cpu()))
    order = longest_first(dataset)
    logits = np.zeros((len(dataset), model.config.num_labels), dtype=np.float32)
    pooled = None
    audio = dataset.select_columns(["audio"])
    batches = range(0, len(order), batch_size)
    try:
        for start in tqdm(batches, desc=f"inference {model_dir}", unit=" batch", disable=bar_disabled(progress)):
            rows = order[start : start + batch_size]
            batch = collate([{"audio": a} for a in audio[rows]["audio"]])
            logits[rows] = batch_logits(model, batch, device)
            if features:
                feats = captured[-1].numpy()
                if pooled is None:
                    pooled = np.zeros((len(dataset), feats.shape[1]), dtype=np.float32)
                pooled[rows] = feats
            captured.clear()
    finally:
        hook.remove()
    out = clip_columns(dataset, logits=logits)
    if features:
        out["features"] = pooled
    return out
