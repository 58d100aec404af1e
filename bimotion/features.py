"""The columns of a prepared BiMotion/YueMotion dataset, and the audio encoding they use.

Audio is stored once, as 16 kHz mono 16-bit FLAC bytes inside the Parquet files (the ``datasets``
``Audio`` feature's ``{"bytes", "path"}`` struct), so that plain ``load_dataset`` decodes it and
so that training can decode it far faster with ``soundfile`` (:func:`decode_audio_bytes`).
"""

from __future__ import annotations

import io

import numpy as np

from loaders.labels import LABELS, mask, multi_hot

SAMPLE_RATE_HZ = 16000
AUDIO_FORMAT = "FLAC"


def features():
    from datasets import Audio, Features, List, Value

    return Features(
        {
            "audio": Audio(sampling_rate=SAMPLE_RATE_HZ),
            "id": Value("string"),
            "corpus": Value("string"),
            "group": Value("string"),
            "language": Value("string"),
            "age_group": Value("string"),
            "age": Value("float32"),
            "gender": Value("string"),
            "speaker_id": Value("string"),
            "emotions": List(Value("string")),
            "labels": List(Value("int8"), length=len(LABELS)),
            "label_mask": List(Value("int8"), length=len(LABELS)),
            "duration_s": Value("float32"),
            "text": Value("string"),
        }
    )


def encode_audio(samples: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> bytes:
    """16-bit FLAC bytes of float samples in [-1, 1] (clipped) or of int16 samples."""
    import soundfile

    if samples.dtype != np.int16:
        samples = np.clip(samples, -1.0, 1.0)
    buf = io.BytesIO()
    soundfile.write(buf, samples, sample_rate_hz, format=AUDIO_FORMAT, subtype="PCM_16")
    return buf.getvalue()


def decode_audio_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Float32 mono samples and rate from stored audio bytes (any format libsndfile reads)."""
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return (samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]), rate


def example(record, samples: np.ndarray) -> dict:
    """One dataset row from a loader record and its decoded 16 kHz mono samples."""
    return {
        "audio": {"bytes": encode_audio(samples), "path": record.id.replace("/", "__") + ".flac"},
        "id": record.id,
        "corpus": record.corpus,
        "group": record.group,
        "language": record.language,
        "age_group": record.age_group,
        "age": record.age,
        "gender": record.gender,
        "speaker_id": record.speaker_id,
        "emotions": list(record.emotions),
        "labels": multi_hot(record.emotions),
        "label_mask": mask(record.label_space),
        "duration_s": round(len(samples) / SAMPLE_RATE_HZ, 6),
        "text": record.text,
    }
