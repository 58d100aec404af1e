"""The columns of a prepared BiMotion/YueMotion dataset, and the audio encoding they use.

Audio is stored once, as 16 kHz mono 16-bit FLAC bytes inside the Parquet files (the ``datasets``
``Audio`` feature's ``{"bytes", "path"}`` struct), so that plain ``load_dataset`` decodes it and
so that training can decode it far faster with ``soundfile`` (:func:`decode_audio_bytes`).

The dataset describes itself: ``emotions`` is a list of ``ClassLabel(names=LABELS)`` and the
categorical columns (:data:`CATEGORICAL`) are ``ClassLabel`` s whose names are the same for every
benchmark this package prepares: every built-in benchmark's values in one canonical order (BiMotion's,
then YueMotion's), then those of the benchmark prepared (a user corpus or group registered at run time),
then any other value the prepared rows hold (:func:`categories`).  So a prepared BiMotion and a
prepared YueMotion have equal features, and plain ``datasets.concatenate_datasets`` joins them.  The
names travel in the Parquet files' schema metadata, so ``load_dataset(folder, config)`` gives
``features["emotions"].feature.names`` and ``features["gender"].int2str(row["gender"])`` with no
import of this package.  Rows are made with strings (:func:`example`) and encoded on writing.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from loaders.labels import LABELS, mask, multi_hot

SAMPLE_RATE_HZ = 16000
AUDIO_FORMAT = "FLAC"
CATEGORICAL = ("corpus", "group", "language", "age_group", "gender")  # ClassLabel columns
GENDERS = ("f", "m")  # the loaders' gender codes; a clip of unknown gender stores null


def categories(benchmarks: Iterable | None = None, rows: Iterable = ()) -> dict[str, tuple[str, ...]]:
    """The names of every :data:`CATEGORICAL` column: the values every built-in benchmark declares
    (:data:`~bimotion.registry.BUILTIN`, in its order: the canonical names, shared by every dataset
    this package prepares), then those of ``benchmarks`` not among them (default: every registered
    benchmark, which holds a user corpus's corpora and groups), then any other value of ``rows``
    (records or row dicts) sorted.  ``None`` values (an unknown gender) are no name: they are stored as null."""
    from .registry import BENCHMARKS, BUILTIN

    declared: dict[str, dict[str, None]] = {name: {} for name in CATEGORICAL}
    extra = list(BENCHMARKS.values() if benchmarks is None else benchmarks)
    for bench in [*BUILTIN.values(), *extra]:
        declared["corpus"].update(dict.fromkeys(bench.corpora))
        declared["group"].update(dict.fromkeys(bench.groups))
        declared["language"].update(dict.fromkeys(g.language for g in bench.typed_groups))
        declared["age_group"].update(dict.fromkeys(g.age_group for g in bench.typed_groups))
    declared["gender"].update(dict.fromkeys(GENDERS))
    found: dict[str, set[str]] = {name: set() for name in CATEGORICAL}
    for row in rows:
        for name in CATEGORICAL:
            value = row[name] if isinstance(row, Mapping) else getattr(row, name)
            if value is not None:
                found[name].add(str(value))
    return {name: (*declared[name], *sorted(found[name] - set(declared[name]))) for name in CATEGORICAL}


def features(names: Mapping[str, Iterable[str]] | None = None):
    """The ``datasets.Features`` of a prepared dataset; ``names``: the ``ClassLabel`` names of each
    categorical column (default: :func:`categories` of every registered benchmark)."""
    from datasets import Audio, ClassLabel, Features, List, Value

    names = categories() if names is None else names
    label = {column: ClassLabel(names=list(names[column])) for column in CATEGORICAL}
    return Features(
        {
            "audio": Audio(sampling_rate=SAMPLE_RATE_HZ),
            "id": Value("string"),
            "corpus": label["corpus"],
            "group": label["group"],
            "language": label["language"],
            "age_group": label["age_group"],
            "age": Value("float32"),
            "gender": label["gender"],
            "speaker_id": Value("string"),
            "emotions": List(ClassLabel(names=list(LABELS))),
            "labels": List(Value("int8"), length=len(LABELS)),
            "label_mask": List(Value("int8"), length=len(LABELS)),
            "duration_s": Value("float32"),
            "text": Value("string"),
        }
    )


def class_names(features) -> dict[str, list[str]]:
    """``{column: names}`` of every ``ClassLabel`` column of ``features`` (a list of ``ClassLabel``:
    its item's names); empty for a dataset prepared before the columns carried names."""
    from datasets import ClassLabel, List, Sequence

    out = {}
    for column, feature in features.items():
        if isinstance(feature, List | Sequence) and isinstance(feature.feature, ClassLabel):
            feature = feature.feature
        if isinstance(feature, ClassLabel):
            out[column] = list(feature.names)
    return out


def encode_names(columns, row: Mapping) -> dict:
    """``row`` with the names of its ``ClassLabel`` columns (``columns``: the dataset's
    ``Features``) replaced by their ids; every other column as it is.  Cheaper than
    ``Features.encode_example``, whose ``Audio`` encoder imports torch and torchcodec for
    bytes that are already encoded."""
    from datasets import ClassLabel

    out = dict(row)
    for column in class_names(columns):
        feature, value = columns[column], row[column]
        if value is None:
            continue
        if isinstance(feature, ClassLabel):
            out[column] = feature.str2int(value)
        else:
            out[column] = [feature.feature.str2int(v) for v in value]
    return out


def encode_audio(samples: np.ndarray, sample_rate_hz: int = SAMPLE_RATE_HZ) -> bytes:
    """16-bit FLAC bytes of float samples in [-1, 1] (clipped) or of int16 samples."""
    import soundfile

    if samples.dtype != np.int16:
        samples = np.clip(samples, -1.0, 1.0)
    buf = io.BytesIO()
    with interrupts_deferred():
        soundfile.write(buf, samples, sample_rate_hz, format=AUDIO_FORMAT, subtype="PCM_16")
    return buf.getvalue()


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT), and a SIGTERM that :mod:`bimotion.signals` takes as one, back for the
    block, then take it as it would have been taken.  soundfile reads and writes bytes in memory
    through Python callbacks called from C (cffi), and a KeyboardInterrupt raised in one is printed
    ("Exception ignored from cffi callback") and dropped: a Ctrl-C during training went unheeded, and
    a good clip could fail to decode or be encoded differently.  Only the main thread runs signal
    handlers, so elsewhere this does nothing; a signal whose handler is not Python's is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = [signal.SIGINT] if signal.getsignal(signal.SIGINT) is not None else []  # None: set outside Python
    held += [signal.SIGTERM] if callable(signal.getsignal(signal.SIGTERM)) else []  # else it ends the process
    caught: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: caught.append(signum)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):  # each signal once, in the order they came
            if callable(previous[signum]):
                previous[signum](signum, None)  # e.g. KeyboardInterrupt, here, outside the callbacks
            elif previous[signum] == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


def decode_audio_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Float32 mono samples and rate from stored audio bytes (any format libsndfile reads)."""
    import soundfile

    with interrupts_deferred():
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return (samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]), rate


def audio_digest(samples: np.ndarray) -> str:
    """A digest of 16-bit samples (prepare's stored 16 kHz mono audio, or a file decoded as prepare decodes it,
    ``loaders.audio.decode(path, SAMPLE_RATE_HZ, dtype="int16")``): equal for the same audio, whatever its name."""
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(samples, dtype="<i2").tobytes()).hexdigest()[:32]


def stored_digest(data: bytes) -> tuple[int, str]:
    """``(samples, digest)`` of a stored clip's audio bytes (16-bit FLAC: its samples exactly, :func:`audio_digest`)."""
    import soundfile

    with interrupts_deferred():
        samples, _ = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    samples = samples[:, 0] if samples.shape[1] == 1 else samples
    return len(samples), audio_digest(samples)


def example(record, samples: np.ndarray) -> dict:
    """One dataset row from a loader record and its decoded 16 kHz mono samples, with its
    categorical values and emotions as strings (:func:`encode_names` stores them as ids)."""
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
