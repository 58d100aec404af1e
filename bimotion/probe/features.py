"""What a probe reads: one fixed-size feature vector (or one per encoder layer) per clip.

Three kinds, named by :class:`FeatureSpec`:

* ``logmel`` (built in, numpy only): mean and standard deviation over time of 64 log-mel bands
  (25 ms windows, 10 ms hop, 16 kHz) and of their deltas, plus the same of the log frame energy:
  260 numbers per clip;
* ``egemaps``: the 88 eGeMAPSv02 functionals of openSMILE (``pip install bimotion[egemaps]``);
* any Hugging Face audio encoder (Hub id or local folder), frozen: every hidden state, mean-pooled
  over the clip's frames, shape ``(layers + 1, hidden)``; the head picks one layer or learns a
  weighted sum of them, as SUPERB and EmoBox do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from loaders.files import sha256_of

SAMPLE_RATE_HZ = 16000
N_MELS = 64
WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
N_FFT = 512
BUILT_IN = ("logmel", "egemaps")
Extractor = Callable[[np.ndarray], np.ndarray]
VERSION = 1  # bump when an extractor's output changes: cached features are then extracted again


def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1)`` triangular filters, equally spaced on the HTK mel scale."""
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)  # noqa: E731
    edges_hz = hz(np.linspace(mel(20.0), mel(rate_hz / 2), n_mels + 2))
    bins_hz = np.linspace(0, rate_hz / 2, n_fft // 2 + 1)
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz - lower) / (centre - lower)
    falling = (upper - bins_hz) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


_FILTERBANK = mel_filterbank()


def log_mel(samples: np.ndarray) -> np.ndarray:
    """``(frames, N_MELS + 1)``: log-mel energies and the log frame energy of 16 kHz samples."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) < WINDOW_SAMPLES:
        samples = np.pad(samples, (0, WINDOW_SAMPLES - len(samples)))
    n_frames = 1 + (len(samples) - WINDOW_SAMPLES) // HOP_SAMPLES
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW_SAMPLES)[::HOP_SAMPLES][:n_frames]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * np.hanning(WINDOW_SAMPLES).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, n=N_FFT, axis=1)) ** 2
    mels = np.log(power @ _FILTERBANK.T + 1e-8)
    energy = np.log(power.sum(axis=1, keepdims=True) + 1e-8)
    return np.concatenate([mels, energy], axis=1)


def logmel_stats(samples: np.ndarray) -> np.ndarray:
    """Mean and std over time of :func:`log_mel` and of its deltas: ``4 * (N_MELS + 1)`` float32."""
    frames = log_mel(samples)
    delta = np.diff(frames, axis=0) if len(frames) > 1 else np.zeros_like(frames)
    parts = [frames.mean(0), frames.std(0), delta.mean(0), delta.std(0)]
    return np.concatenate(parts).astype(np.float32)


def check_features(name: str, layer: int | None = None) -> None:
    """``--features`` and ``--layer`` before any data is read (ValueError naming them): a feature set of
    :data:`BUILT_IN`, an existing folder or a Hub id ``OWNER/NAME`` (a bare name that is none of these is a
    mistyped feature set: did you mean ...); ``--layer`` for an encoder only, and within its hidden states
    where its config is at hand (a local folder's, or the Hub cache's; nothing is downloaded)."""
    import difflib

    path = Path(name).expanduser()
    if name not in BUILT_IN and "/" not in name and not path.exists():
        close = difflib.get_close_matches(name.lower(), BUILT_IN, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"choose {' or '.join(BUILT_IN)}"
        raise ValueError(
            f"--features {name}: not a feature set ({', '.join(BUILT_IN)}), a model folder or a Hub id "
            f"(OWNER/NAME); {hint}"
        )
    if layer is None:
        return
    if name in BUILT_IN:
        raise ValueError(f"--layer picks an encoder's hidden state; --features {name} has none (leave --layer out)")
    layers = _encoder_layers(name)
    if layers is not None and layer > layers:
        raise ValueError(f"--layer must be in [0, {layers}] for {name} ({layers} layers + its CNN output), not {layer}")


def _encoder_layers(name: str) -> int | None:
    """An encoder's transformer layers as its config.json says (local folder, or the Hub cache), else None."""
    path = Path(name).expanduser()
    config = path / "config.json"
    if not path.is_dir():
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(name, "config.json")
        config = Path(cached) if isinstance(cached, str) else None
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("num_hidden_layers")
    except (AttributeError, OSError, ValueError):
        return None
    return value if isinstance(value, int) else None


@dataclass(frozen=True)
class FeatureSpec:
    """``name``: ``logmel``, ``egemaps`` or an audio encoder (Hub id or local folder)."""

    name: str

    def __post_init__(self):
        if not self.name:
            raise ValueError("features must be logmel, egemaps or an audio encoder (Hub id or local folder)")

    @property
    def is_encoder(self) -> bool:
        return self.name not in BUILT_IN

    @cached_property
    def digest(self) -> str:
        """16 hex digits naming what the extractor computes: its kind and version, and for a local
        encoder folder the content of its config and weights (a changed model gets new features)."""
        identity: dict = {"name": self.name, "version": VERSION}
        folder = Path(self.name).expanduser()
        if self.is_encoder and folder.is_dir():
            identity["name"] = "local-encoder"
            identity["files"] = {
                p.name: sha256_of(p) for p in sorted(folder.iterdir()) if p.suffix in (".json", ".bin", ".safetensors")
            }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]

    def extractor(self) -> Extractor:
        if self.name == "logmel":
            return logmel_stats
        if self.name == "egemaps":
            return _egemaps()
        return EncoderFeatures(self.name)


def _egemaps():
    """openSMILE's eGeMAPSv02 functionals (88 per clip) as an extractor."""
    try:
        import opensmile
    except ImportError as err:
        raise ImportError("features egemaps need openSMILE: pip install 'bimotion[egemaps]'") from err
    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals
    )

    def extract(samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32)
        if len(samples) < SAMPLE_RATE_HZ // 10:  # openSMILE's functionals need a few frames
            samples = np.pad(samples, (0, SAMPLE_RATE_HZ // 10 - len(samples)))
        return smile.process_signal(samples, SAMPLE_RATE_HZ).to_numpy()[0].astype(np.float32)

    return extract


class EncoderFeatures:
    """A frozen Hugging Face audio encoder: every hidden state mean-pooled, ``(layers + 1, hidden)``.

    One whole clip at a time (no padding, so no masking question), on a GPU when there is one; on a
    CPU without oneDNN, which would build and keep convolutions for each clip's length
    (:func:`bimotion.training.inference.one_off_shape`)."""

    def __init__(self, name_or_path: str):
        import torch
        from transformers import AutoFeatureExtractor, AutoModel

        from bimotion.hub_models import hub_model
        from bimotion.training.inference import scoring_device
        from bimotion.training.model import whole_weights

        self.torch = torch
        self.device = scoring_device()
        with hub_model(name_or_path) as kwargs:  # the Hub's failure: a HubError in bimotion.hub's words
            with whole_weights(name_or_path, **kwargs):  # a weight file cut short: named (DamagedFileError)
                self.model = AutoModel.from_pretrained(name_or_path, **kwargs).to(self.device).eval()
            # after the model: the feature extractor's load says a refusal as a file missing, in its own words
            self.processor = AutoFeatureExtractor.from_pretrained(name_or_path, **kwargs)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        from bimotion.training.inference import one_off_shape

        inputs = self.processor(np.asarray(samples, np.float32), sampling_rate=SAMPLE_RATE_HZ, return_tensors="pt")
        values = inputs["input_values"].to(self.device)
        if values.shape[-1] < WINDOW_SAMPLES:  # shorter than the encoder's first convolutions take
            values = self.torch.nn.functional.pad(values, (0, WINDOW_SAMPLES - values.shape[-1]))
        with self.torch.inference_mode(), one_off_shape(values.device.type):
            hidden = self.model(values, output_hidden_states=True).hidden_states
        return self.torch.stack([h[0].float().mean(0) for h in hidden]).cpu().numpy()
