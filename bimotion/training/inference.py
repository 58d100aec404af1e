"""Inference, once for every caller: logits (and pooled features) of a trained classifier for every
row of a dataset, in row order, on whole clips.  :func:`bimotion.training.evaluation.infer` (cross-group
inference), the grid's predictions (:mod:`bimotion.grid.runner`) and the feature-space projections
(:mod:`bimotion.projection`) all run :func:`predict`; ``bimotion predict`` runs :func:`batch_logits`,
and the trainer's evaluations :func:`clip_logits`.

A clip's scores never depend on the clips batched with it, nor so on the batch size.  Where the
padding is unheard (:func:`padding_unheard`: an attention mask and a layer-norm feature encoder, as
XLSR-53), a batch is padded to its longest clip (rounded up to :data:`PAD_MULTIPLE_S`) and masked.
A model that hears padding (a group-norm feature encoder, as wav2vec2-base, HuBERT and WavLM base,
or no attention mask) scores the clips of each length together, unpadded (:func:`clip_logits`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# Masked batches are padded to a multiple of this (unheard, so the scores do not change): clips of every
# length (--segment vad, a folder of short clips, a corpus's test set) would otherwise each be a new input
# shape, and torch's oneDNN keeps the convolutions it builds for each shape (up to 1024 of them), so memory
# grew with the number of distinct lengths scored: 1.2 GB for 3000 clips of 1-3 s, against 0.5 GB here.
PAD_MULTIPLE_S = 0.5


def padding_unheard(config, masked: bool) -> bool:
    """Whether zeros padded after a clip leave its scores as they are: the model is given an attention
    mask (``masked``) and its feature encoder normalises each frame alone (layer norm).  A group-norm
    encoder (wav2vec2-base, HuBERT and WavLM base) normalises each channel over the whole input,
    padding included, with or without a mask."""
    return bool(masked) and getattr(config, "feat_extract_norm", "layer") != "group"


def clip_logits(model, inputs: dict, *, sample_rate_hz: int | None = None, features: list | None = None):
    """``model``'s logits (a tensor) for a collated batch (``input_values``, ``attention_mask`` when
    the feature extractor returns one, else ``input_lengths``), each clip's as if it were scored alone.
    Where the padding is heard (:func:`padding_unheard`), the clips of each length run as one batch,
    cut to that length; on a CPU those of a length that is not a multiple of :data:`PAD_MULTIPLE_S`
    at ``sample_rate_hz`` run without oneDNN, which would build and keep convolutions for every new
    input shape (RSS grew by 0.98 GB over 200 lengths with wav2vec2-base's feature encoder; see
    docs/performance.md).  ``features``: a list that gets the classifier's input (the pooled
    features), rows in batch order."""
    import torch

    config = getattr(model, "module", model).config
    values, mask, lengths = inputs["input_values"], inputs.get("attention_mask"), inputs.get("input_lengths")
    if padding_unheard(config, mask is not None) or (lengths is None and mask is None):
        return _forward(model, values, mask, features)
    lengths = (mask.sum(-1) if lengths is None else lengths).tolist()
    steady = round(PAD_MULTIPLE_S * sample_rate_hz) if sample_rate_hz else None
    logits, pooled = [None] * len(lengths), [None] * len(lengths)
    for length in sorted(set(lengths), reverse=True):
        rows = [i for i, n in enumerate(lengths) if n == length]
        part_mask = None if mask is None else mask[rows, :length]
        caught = [] if features is not None else None
        with one_off_shape(values.device.type, varying=not steady or length % steady != 0):
            part = _forward(model, values[rows, :length], part_mask, caught)
        for j, i in enumerate(rows):
            logits[i] = part[j]
            if caught is not None:
                pooled[i] = caught[0][j]
    if features is not None:
        features.append(torch.stack(pooled))
    return torch.stack(logits)


def _forward(model, values, mask, features: list | None):
    """``model(input_values, attention_mask).logits``; ``features`` gets the classifier's input."""
    if features is None:
        return model(input_values=values, attention_mask=mask).logits
    head = getattr(model, "module", model).classifier
    hook = head.register_forward_hook(lambda module, args, out: features.append(args[0]))
    try:
        return model(input_values=values, attention_mask=mask).logits
    finally:
        hook.remove()


@contextlib.contextmanager
def one_off_shape(device_type: str, *, varying: bool = True):
    """oneDNN off for a CPU forward pass at an input shape that may never come again (``varying``):
    oneDNN builds and keeps convolutions for every input shape it sees.  Here and for the probes'
    frozen encoders (:class:`bimotion.probe.features.EncoderFeatures`, a whole clip at a time)."""
    import torch

    if device_type != "cpu" or not varying or not torch.backends.mkldnn.enabled:
        yield
        return
    torch.backends.mkldnn.enabled = False  # not flags(): it would also set TF32 and warn about it
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = True


def scoring_collator(feature_extractor, pad_to_multiple_of: int | None = None):
    """The collator of every scoring, :func:`predict`'s, the trainer's evaluations
    (``bimotion.training.run``) and ``bimotion predict``'s windows (:class:`bimotion.predict.Predictor`):
    whole clips with their lengths (:func:`clip_logits` cuts the padding off for a model that hears it),
    batches padded to a multiple of ``pad_to_multiple_of`` samples (1: each batch as long as its longest
    clip), default (``None``) :data:`PAD_MULTIPLE_S`, so that a test set's batches come in a few input
    shapes."""
    from .collator import AudioCollator

    whole = isinstance(pad_to_multiple_of, int | np.integer) and not isinstance(pad_to_multiple_of, bool)
    if pad_to_multiple_of is not None and not (whole and pad_to_multiple_of >= 1):
        raise ValueError(
            f"pad_to_multiple_of must be a whole number of samples of at least 1, not {pad_to_multiple_of!r}; "
            f"leave it unset (None) for the default, {PAD_MULTIPLE_S:g} s, or give 1 for batches as long as their "
            "longest clip"
        )
    multiple = pad_to_multiple_of or round(PAD_MULTIPLE_S * int(feature_extractor.sampling_rate))
    return AudioCollator(feature_extractor, pad_to_multiple_of=multiple, input_lengths=True)


def autocast_device_type(device) -> str:
    """The device type ``torch.autocast`` takes for ``device`` (``"cuda:1"`` and ``torch.device("cuda", 1)``
    are ``"cuda"``): autocast (:func:`scoring_precision`) on every GPU a caller names, not only on ``"cuda"`` itself."""
    import torch

    return torch.device(device).type


def scoring_precision(device_type: str, trained: str | None) -> str:
    """The dtype scoring computes in (``"bfloat16"``, ``"float16"`` or ``"float32"``), one rule for every
    scoring: on a GPU, that of the model's training (``trained``: its ``scores.json``'s
    ``hyperparameters.precision``, :attr:`~.outputs.ModelScores.precision`), whose own evaluations (the
    checkpoint selection, the end-of-run scores) ran under accelerate's autocast to it: ``fp16``
    float16, ``bf16`` bfloat16, ``no`` float32; bfloat16 for a model whose training is not recorded.
    On a CPU, float32."""
    if device_type != "cuda":
        return "float32"
    return {"fp16": "float16", "no": "float32"}.get(trained or "bf16", "bfloat16")


def precision_note(device_type: str, state: str, where: str) -> str | None:
    """What to say of scoring on a GPU (``device_type`` ``"cuda"``) a model whose ``scores.json`` (at ``where``)
    could not be read (:class:`~.outputs.ModelScores`' ``state`` ``"unreadable"``, or ``"unfetched"`` from the
    Hub): the precision it trained in is unknown, so :func:`scoring_precision` scores it in bfloat16.  None on a
    CPU (float32 whatever it trained in) and where the file was read or is missing (a model trained elsewhere)."""
    if device_type != "cuda" or state not in ("unreadable", "unfetched"):
        return None
    return (
        f"the precision the model trained in is not known ({where} could not be read): scored on the GPU in "
        f"{scoring_precision(device_type, None)}, as a model whose training is not recorded"
    )


def batch_logits(
    model,
    batch: dict,
    device: str | torch.device,
    *,
    sample_rate_hz: int | None = None,
    features: bool = False,
    trained_precision: str | None = None,
):
    """Float32 logits of one collated batch (:func:`clip_logits`, each clip as if alone): the inputs
    moved to ``device``, inference mode, autocast on a GPU to the precision the model trained in
    (:func:`scoring_precision`; ``trained_precision``: ``"bf16"``, ``"fp16"``, ``"no"``, None where not
    known).  :func:`predict` and :mod:`bimotion.predict` (audio files in windows) run every forward pass
    here.  With ``features``: ``(logits, pooled features)``."""
    import torch

    keys = ("input_values", "attention_mask", "input_lengths")
    inputs = {k: v.to(device) for k, v in batch.items() if k in keys}
    caught = [] if features else None
    kind = autocast_device_type(device)
    dtype = scoring_precision(kind, trained_precision)
    with torch.inference_mode(), torch.autocast(kind, dtype=getattr(torch, dtype), enabled=dtype != "float32"):
        logits = clip_logits(model, inputs, sample_rate_hz=sample_rate_hz, features=caught).float().cpu().numpy()
    return (logits, caught[0].float().cpu().numpy()) if features else logits


def device_for_scoring(*, use_cpu: bool, cuda_available: bool, cuda_devices: int, local_index: int | None) -> str:
    """Where one process scores: ``cpu`` with ``use_cpu`` (``--use_cpu``) or without a GPU; ``cuda``
    for a single process (``local_index`` None); in a launch of several processes, the GPU of the
    process's own index on its machine, ``cuda:<local_index>`` (wrapped round the ``cuda_devices``
    GPUs as accelerate places them), so that N processes score on N GPUs, not all on GPU 0."""
    if use_cpu or not cuda_available:
        return "cpu"
    if local_index is None or cuda_devices < 1:
        return "cuda"
    return f"cuda:{local_index % cuda_devices}"


def scoring_device(device: str | None = None, *, use_cpu: bool = False) -> str:
    """``device``, else where scoring runs by default (:func:`device_for_scoring`: ``cuda`` where torch
    sees one, each launched process on its own GPU, else ``cpu``; ``use_cpu``: the CPU): inference,
    ``bimotion predict``, the probe's frozen features."""
    if device:
        return device
    import torch

    from .processes import local_process_index

    available = torch.cuda.is_available()
    return device_for_scoring(
        use_cpu=use_cpu,
        cuda_available=available,
        cuda_devices=torch.cuda.device_count() if available else 0,
        local_index=local_process_index(),
    )


def predict(
    model_dir: str | os.PathLike,
    dataset,
    *,
    batch_size: int = 8,
    features: bool = False,
    progress: bool = True,
    pad_to_multiple_of: int | None = None,
    device: str | None = None,
    say=None,
    processes: tuple[int, int] | None = None,
) -> dict:
    """``{"id", "corpus", "group", "speaker", "labels", "label_mask", "logits"}`` (and with ``features`` the
    pooled input of the last linear layer) for every row of a dataset from
    :func:`bimotion.training.data.load_shards`, in row order; whole clips, no cropping, longest
    first in batches of ``batch_size``, each clip's scores as if alone (:func:`clip_logits`; masked
    batches padded to ``pad_to_multiple_of`` samples, default :data:`PAD_MULTIPLE_S`); on a GPU in the
    precision the model trained in (:func:`scoring_precision`).  ``device``: where it scores (default: :func:`scoring_device`, ``cuda`` where a GPU
    is available, each launched process on its own, else the CPU; as :func:`bimotion.predict.load_predictor`).
    ``say``: where its :func:`precision_note` goes, one line (``note: ...``; default: stderr; the grid's log).
    ``processes``: ``(process_index, world_size)`` of a launch whose processes share the scoring
    (:func:`~.processes.on_every_process`): the batches, longest first, are dealt round-robin, so each process
    scores a share of about equal audio length in the very batches one process would, and every process returns
    the whole, the same arrays as one process (each clip's scores are its batch's); the progress bar and the note
    on process 0 alone.  Every process of the launch must call it.  The processes agree after each batch (and once
    the model is loaded): one that fails or is stopped there stops the others at the end of their batch, each
    raising its error (:class:`~.processes.Steps`)."""
    from .processes import on_every_process

    index, count = processes or (0, 1)
    shares = on_every_process(
        lambda share, of, steps: _predicted_share(
            model_dir, dataset, batch_size=batch_size, features=features, progress=progress and index == 0,
            pad_to_multiple_of=pad_to_multiple_of, device=device, say=say if index == 0 else _unsaid,
            share=share, of=of, steps=steps,
        ),
        index, count, in_steps=True,
    )  # fmt: skip
    return _whole(dataset, shares, features)


def _unsaid(line: str) -> None:
    """:func:`predict`'s ``say`` on a launch's other processes: process 0 says it, once."""


def _predicted_share(
    model_dir, dataset, *, batch_size, features, progress, pad_to_multiple_of, device, say, share: int, of: int, steps
) -> tuple[int, list[tuple]]:
    """:func:`predict`'s work on one process: the model's number of labels, and ``(rows, logits, pooled features
    or None)`` of each batch dealt to it (``share`` of ``of``: every ``of``-th batch, longest first, from the
    ``share``-th).  ``steps`` (:class:`~.processes.Steps`): the model's load and each batch, as many as process 0
    has (an empty one where this process has no batch left), agreed by every process as each ends."""
    from tqdm.auto import tqdm

    from bimotion.console import bar_disabled

    from .model import load_classifier
    from .outputs import model_scores
    from .sampler import longest_first

    order = longest_first(dataset)
    every = range(0, len(order), batch_size)
    starts, rounds = every[share::of], len(every[::of])  # process 0's share is the longest
    steps.count(1 + rounds)
    model, feature_extractor = load_classifier(str(model_dir))
    scores = model_scores(model_dir)
    trained = scores.precision  # the precision its training's own scores came in
    device = scoring_device(device)
    if note := precision_note(autocast_device_type(device), scores.state, scores.where):
        say(f"note: {note}") if say else print(f"note: {note}", file=sys.stderr)
    model.to(device).eval()
    rate_hz = int(feature_extractor.sampling_rate)
    collate = scoring_collator(feature_extractor, pad_to_multiple_of)
    audio = dataset.select_columns(["audio"])
    steps.agree()  # a model one process cannot load: said now, not once the others have scored their share
    done = []
    for k in tqdm(range(rounds), desc=f"inference {model_dir}", unit=" batch", disable=bar_disabled(progress)):
        if k < len(starts):
            rows = order[starts[k] : starts[k] + batch_size]
            batch = collate([{"audio": a} for a in audio[rows]["audio"]])
            out = batch_logits(
                model, batch, device, sample_rate_hz=rate_hz, features=features, trained_precision=trained
            )
            done.append((rows, *out) if features else (rows, out, None))
        steps.agree()
    return model.config.num_labels, done


def _whole(dataset, shares: list[tuple[int, list[tuple]]], features: bool) -> dict:
    """:func:`predict`'s output from every process's batches (:func:`_predicted_share`), each row in its place."""
    from .data import clip_columns

    logits = np.zeros((len(dataset), shares[0][0]), dtype=np.float32)
    batches = [batch for _, share in shares for batch in share]
    pooled = None
    for rows, scores, feats in batches:
        logits[rows] = scores
        if features:
            if pooled is None:
                pooled = np.zeros((len(dataset), feats.shape[1]), dtype=np.float32)
            pooled[rows] = feats
    out = clip_columns(dataset, logits=logits)
    if features:
        out["features"] = pooled
    return out
