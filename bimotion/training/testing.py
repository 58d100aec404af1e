"""Small stand-ins for tests, benchmarks and demos: a tiny random wav2vec2 checkpoint and prepared
datasets in the real layout, with synthesised speech whose prosody follows the emotion
(:mod:`loaders.testing.synth`), so a model can learn from them.

>>> from bimotion.training import testing
>>> model_dir = testing.save_tiny_model(tmp_path / "tiny")
>>> data_dir = testing.write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld"), ("esd", "zho_adu")])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bimotion.registry import Group
from loaders.labels import label_space
from loaders.record import Utterance
from loaders.testing.synth import make_voice, stable_seed, synthesize

SPLIT_SIZES = {"train": 24, "validation": 8, "test": 12}
TINY = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    conv_dim=(32, 32, 32, 32),
    conv_stride=(5, 4, 4, 4),
    conv_kernel=(10, 8, 8, 4),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=4,
    feat_extract_norm="layer",
    do_stable_layer_norm=True,
    mask_time_prob=0.0,
    layerdrop=0.0,
    classifier_proj_size=16,
    initializer_range=0.2,  # at this width the default 0.02 leaves the new head's logits nearly constant
)


def tiny_model_keys() -> list[str]:
    """The keys :func:`save_tiny_model`'s overrides may set: ``Wav2Vec2Config``'s arguments, beside :data:`TINY`'s
    (``Wav2Vec2Config`` keeps any other key as an attribute that no layer reads: ``hiden_size`` was ignored)."""
    import inspect

    from transformers import Wav2Vec2Config

    named = inspect.signature(Wav2Vec2Config.__init__).parameters.values()
    return sorted({*TINY, *(p.name for p in named if p.name != "self" and p.kind is not p.VAR_KEYWORD)})


def save_tiny_model(path: str | Path, *, seed: int = 0, **overrides) -> Path:
    """A random-initialised wav2vec2 encoder (XLSR-53's layout, tiny) and its feature extractor,
    saved like a pretrained checkpoint (no classification head) but marked random in its config
    (:data:`.public.RANDOM_INIT`, which a model card reads), quietly: no "Writing model shards"
    bar (:func:`bimotion.console.transformers_bars`) for a file written in a moment."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    from bimotion.console import transformers_bars

    from .public import RANDOM_INIT

    path = Path(path)
    config = Wav2Vec2Config(**{**TINY, **overrides})
    setattr(config, RANDOM_INIT, f"bimotion.training.testing.save_tiny_model, seed {seed}")  # the cards say so
    with torch.random.fork_rng(), transformers_bars():  # seeded weights, the caller's random state left alone
        torch.manual_seed(seed)
        Wav2Vec2Model(config).save_pretrained(path)
    Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=True
    ).save_pretrained(path)
    return path


def synth_clips(
    corpus: str,
    group: str,
    split: str,
    n: int,
    *,
    emotions: tuple[str, ...] | None = None,
    speakers: int = 3,
    duration_s: tuple[float, float] = (0.6, 1.6),
    seed: int = 0,
) -> list[tuple[Utterance, np.ndarray]]:
    """``n`` synthesised clips of ``corpus`` in ``group`` (records and float samples at 16 kHz) from
    ``speakers`` speakers (the same speakers in every split, as in the utterance-level splits of the
    paper; the clips all differ).  A record's ``path`` is a placeholder until the clip is saved."""
    parsed = Group.parse(group)
    space = label_space(corpus)
    choices = [e for e in (emotions or ()) if e in space] or list(space)  # the wanted ones this corpus has
    rng = np.random.default_rng(stable_seed(corpus, group, split, seed))
    clips = []
    for i in range(n):
        speaker = f"{corpus}-{group}-{i % speakers}"
        gender = "fm"[i % 2]
        if corpus == "elderreact":  # multi-label, possibly none
            k = int(rng.integers(0, 3))
            emo = tuple(sorted(rng.choice(choices, size=min(k, len(choices)), replace=False).tolist()))
        else:
            emo = (choices[i % len(choices)],)
        dur = float(rng.uniform(*duration_s))
        voice = make_voice(speaker, gender, parsed.age_group, seed=seed)
        samples = synthesize(emo, voice, parsed.language, duration_s=dur, rng=rng)
        record = Utterance(
            id=f"{corpus}/{group}-{split}-{i:04d}",
            corpus=corpus,
            path=f"{split}/{i:04d}.wav",
            language=parsed.language,
            age_group=parsed.age_group,
            emotions=emo,
            label_space=space,
            duration_s=dur,
            sample_rate_hz=16000,
            age=70.0 if parsed.age_group == "eld" else 35.0,
            gender=gender,
            speaker_id=speaker,
            text=None,
        )
        clips.append((record, samples))
    return clips


def synth_rows(corpus: str, group: str, split: str, n: int, **options) -> list[dict]:
    """``n`` dataset rows of :func:`synth_clips` (same options), encoded as ``prepare`` stores them."""
    from bimotion.features import example

    return [example(record, samples) for record, samples in synth_clips(corpus, group, split, n, **options)]


def rows_dataset(rows: list[dict]):
    """An in-memory ``datasets.Dataset`` of prepared rows (:func:`synth_rows`), stored as ``prepare``
    stores them: the dataset's features, label names as ``ClassLabel`` ids, the audio bytes as they
    are and not decoded (the collator decodes them).  Needs no torchcodec, which
    ``Dataset.from_list`` with an ``Audio`` feature imports even for encoded bytes.  Its fingerprint
    comes from the rows' ids in order (``datasets`` would hash the whole table, which fails to pickle
    pyarrow's types on some Python/dill versions and costs a pass over the audio)."""
    import hashlib

    import pyarrow as pa
    from datasets import Audio, Dataset
    from datasets.table import InMemoryTable

    from bimotion.features import encode_names, features

    columns = features()
    table = pa.Table.from_pylist([encode_names(columns, row) for row in rows], schema=columns.arrow_schema)
    fingerprint = hashlib.sha256("\n".join(row["id"] for row in rows).encode()).hexdigest()[:16]
    return Dataset(InMemoryTable(table), fingerprint=fingerprint).cast_column("audio", Audio(decode=False))


def write_prepared(
    root: str | Path,
    *,
    benchmark: str = "bimotion",
    shards: list[tuple[str, str]],
    sizes: dict[str, int] | None = None,
    emotions: tuple[str, ...] | None = None,
    seed: int = 0,
) -> Path:
    """A prepared dataset folder with only ``shards`` filled in, ``sizes[split]`` clips each,
    written by the real writer (:func:`bimotion.prepare.write_dataset`) from synthesised WAVs."""
    import dataclasses
    import tempfile

    import soundfile

    from bimotion.prepare import write_dataset
    from bimotion.registry import BENCHMARKS, SPLITS

    sizes = {**SPLIT_SIZES, **(sizes or {})}
    records, split_of = [], {}
    with tempfile.TemporaryDirectory(prefix="bimotion-fixture-") as audio_dir:
        for corpus, group in shards:
            for split in SPLITS:
                for record, samples in synth_clips(corpus, group, split, sizes[split], emotions=emotions, seed=seed):
                    path = Path(audio_dir) / f"{record.id}.wav"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    soundfile.write(path, samples, record.sample_rate_hz, subtype="PCM_16")
                    records.append(dataclasses.replace(record, path=str(path)))
                    split_of[record.id] = split
        corpora = list(dict.fromkeys(corpus for corpus, _ in shards))
        write_dataset(
            records, root, benchmark=BENCHMARKS[benchmark], corpora=corpora, split_of=split_of, progress=False,
            synthetic=dict.fromkeys(corpora, f"{__name__}.synth_clips, seed {seed}"),  # its audio is generated
        )  # fmt: skip
    return Path(root)


def rewrite_parquet(folder: str | Path, path: str | Path, content) -> Path:
    """Replace the Parquet file ``path`` of the prepared ``folder`` with ``content`` (a pyarrow Table,
    or bytes) as prepare would have written it: named by its content's digest, listed so in
    ``prepare.json`` and the card (a mis-made folder whose files ``check`` cannot tell from
    prepare's, only by reading them); the new path."""
    import pyarrow.parquet as pq

    from bimotion.data.layout import CARD_FILE, INFO_FILE, content_digest, named_digest

    folder, path = Path(folder), Path(path)
    old = path.relative_to(folder).as_posix()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        pq.write_table(content, path)
    new = old.replace(named_digest(old), content_digest(path)) if named_digest(old) else old
    path.rename(folder / new)
    for name in (INFO_FILE, CARD_FILE):
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_text(text.replace(old, new), encoding="utf-8")
    return folder / new


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_launch(script: str | Path, *args: str, num_processes: int = 2) -> list[str]:
    """An ``accelerate launch`` command running ``script`` in ``num_processes`` CPU processes (gloo DDP).

    accelerate 1.x runs one process for ``accelerate launch --cpu --num_processes N`` (several CPU
    processes need mpirun there), so this uses its multi-process launcher; on a machine without GPUs
    :class:`~bimotion.training.args.SERTrainingArguments` then trains on CPU."""
    import sys

    return [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        str(num_processes),
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(free_port()),
        str(script),
        *map(str, args),
    ]


def subprocess_env(**extra: str) -> dict:
    """The environment for running recipes in a subprocess from a checkout: the repository on
    PYTHONPATH, one thread per process, no Hub access."""
    import os

    repo = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (repo, os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        **extra,
    }
