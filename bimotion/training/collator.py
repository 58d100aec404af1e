"""Batches from dataset rows: decode the stored audio, crop (training only), normalise, pad, mask.

Rows carry the audio as stored bytes (``dataset.cast_column("audio", Audio(decode=False))``), decoded
here with ``soundfile`` — far faster than per-row decoding through the ``Audio`` feature.  A
training crop's window is a function of ``(seed, epoch, clip id)`` alone — no global random state —
so a run resumed from a checkpoint crops exactly as an uninterrupted one, whatever the batch order,
the number of processes or the batches skipped on resume; the epoch reaches data loader workers,
persistent ones too, through shared memory.  The
normalisation is the checkpoint's feature extractor's (zero mean and unit variance per utterance
over its real samples when ``do_normalize``), exactly what ``pipeline("audio-classification")``
does at inference; the attention mask is returned when the feature extractor says so (wav2vec2
checkpoints with layer-norm feature encoders such as XLSR-53).  Evaluation batches are never cut:
each clip is scored whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from .sampler import epoch_seed


def load_samples(audio, sample_rate_hz: int) -> np.ndarray:
    """Float32 mono samples at ``sample_rate_hz`` from a row's ``audio`` value.

    Accepts the stored ``{"bytes", "path"}`` struct, a decoded ``{"array", "sampling_rate"}`` dict, or
    an array already at ``sample_rate_hz``."""
    from bimotion.data.reading import decode_stored
    from bimotion.features import decode_audio_bytes

    if isinstance(audio, dict) and audio.get("bytes") is not None:
        samples, rate = decode_stored(audio)  # audio that does not decode: one error naming its clip and file
    elif isinstance(audio, dict) and audio.get("array") is not None:
        samples, rate = np.asarray(audio["array"], dtype=np.float32), int(audio["sampling_rate"])
    elif isinstance(audio, dict) and audio.get("path"):
        with open(audio["path"], "rb") as f:
            samples, rate = decode_audio_bytes(f.read())
    elif isinstance(audio, np.ndarray | list):
        samples, rate = np.asarray(audio, dtype=np.float32), sample_rate_hz
    else:
        raise TypeError(f"cannot read audio from {type(audio).__name__}: expected the dataset's audio struct")
    if rate != sample_rate_hz:
        import soxr

        samples = soxr.resample(samples, rate, sample_rate_hz).astype(np.float32)
    return samples


@dataclass
class AudioCollator:
    """``collate(rows) -> {"input_values", "attention_mask"?, "input_lengths"?, "labels", "label_mask", "row"?}``.

    ``max_duration_s`` crops longer clips to a random window drawn from ``(seed, epoch, row id)``
    (set it for training only; the trainer calls ``set_epoch``); ``pad_to_multiple_of`` (samples)
    limits the number of distinct batch shapes.  ``input_lengths=True`` adds each clip's samples,
    which scoring needs to cut the padding off for a model that hears it and takes no attention mask
    (:func:`bimotion.training.inference.clip_logits`); off, a batch feeds ``model(**batch)``."""

    feature_extractor: object
    max_duration_s: float | None = None
    pad_to_multiple_of: int | None = None
    seed: int = 0
    epoch: int = 0
    input_lengths: bool = False

    def __post_init__(self) -> None:
        # The epoch the crops are drawn for, in shared memory: a data loader's worker processes collate with
        # copies of this collator, persistent ones (--dataloader_persistent_workers) made in the epoch they
        # started in; each copy reads set_epoch's value here (a plain attribute left them cropping the same
        # windows every epoch, and a resumed run's windows differed from an uninterrupted one's).
        self._shared_epoch = torch.tensor([int(self.epoch)], dtype=torch.int64)
        if self.max_duration_s is not None:  # only crops read it
            self._shared_epoch.share_memory_()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self._shared_epoch[0] = self.epoch

    @property
    def sample_rate_hz(self) -> int:
        return int(self.feature_extractor.sampling_rate)

    def crop(self, samples: np.ndarray, clip_id: str) -> np.ndarray:
        """``samples`` cut to ``max_duration_s`` at a window chosen by ``(seed, epoch, clip_id)``."""
        if self.max_duration_s is None:
            return samples
        limit = int(round(self.max_duration_s * self.sample_rate_hz))
        if len(samples) <= limit:
            return samples
        key = int.from_bytes(hashlib.blake2b(str(clip_id).encode(), digest_size=8).digest(), "little")
        epoch = int(self._shared_epoch[0])  # set_epoch's, in a worker's copy too
        start = int(np.random.default_rng(epoch_seed(self.seed, epoch, key)).integers(len(samples) - limit + 1))
        return samples[start : start + limit]

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        fe = self.feature_extractor
        if self.max_duration_s is not None and any("id" not in row for row in rows):
            raise KeyError("cropping training clips needs each row's 'id' column (the crop is drawn from it)")
        clips = [self.crop(load_samples(row["audio"], self.sample_rate_hz), row.get("id")) for row in rows]
        lengths = [len(c) for c in clips]
        width = max(lengths)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        values = np.full((len(clips), width), getattr(fe, "padding_value", 0.0), dtype=np.float32)
        for i, clip in enumerate(clips):
            if getattr(fe, "do_normalize", False):
                clip = (clip - clip.mean()) / np.sqrt(clip.var() + 1e-7)
            values[i, : len(clip)] = clip
        batch = {"input_values": torch.from_numpy(values)}
        if self.input_lengths:
            batch["input_lengths"] = torch.tensor(lengths, dtype=torch.long)
        if getattr(fe, "return_attention_mask", False):
            batch["attention_mask"] = (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).long()
        if "labels" in rows[0]:
            batch["labels"] = torch.tensor([row["labels"] for row in rows], dtype=torch.float32)
            batch["label_mask"] = torch.tensor([row["label_mask"] for row in rows], dtype=torch.float32)
        if "row" in rows[0]:
            batch["row"] = torch.tensor([row["row"] for row in rows], dtype=torch.long)
        return batch
