"""What :func:`bimotion.training.run.train` takes: a plain, typed description of one training run.

No argument parser and no ``transformers`` import here.  The recipes parse their flags into these
same dataclasses (``recipes/train.py --help`` lists them) and the grid builds them from its config;
:func:`bimotion.training.run.train` turns :attr:`TrainSpec.training` into
``transformers.TrainingArguments`` (the paper's defaults, :class:`~bimotion.training.args.SERTrainingArguments`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from bimotion.mixture import Mixture, parse_mixture
from bimotion.registry import OWN_GROUP_PYTHON

from .model import DEFAULT_MODEL


@dataclass
class ModelArguments:
    model_name_or_path: str = field(
        default=DEFAULT_MODEL,
        metadata={"help": "wav2vec2-family checkpoint (Hub id or local folder) to fine-tune"},
    )
    dropout: float = field(default=0.1, metadata={"help": "encoder hidden and attention dropout"})
    classifier_proj_size: int = field(default=256, metadata={"help": "projector width before mean pooling"})
    freeze_feature_encoder: bool = field(
        default=True,
        metadata={"help": "keep the CNN feature encoder frozen (false, or --no_freeze_feature_encoder: train it too)"},
    )
    layerdrop: float | None = field(default=None, metadata={"help": "override the checkpoint's layerdrop"})
    mask_time_prob: float | None = field(default=None, metadata={"help": "override SpecAugment time masking"})
    attn_implementation: str | None = field(default=None, metadata={"help": "eager, sdpa or flash_attention_2"})
    model_revision: str = field(
        default="main", metadata={"help": "branch, tag or commit of a Hub --model_name_or_path to download"}
    )
    model_cache_dir: str | None = field(
        default=None, metadata={"help": "where the downloaded base model is kept (default: the Hugging Face cache)"}
    )

    def __post_init__(self):
        _paths_as_text(self, "model_name_or_path", "model_cache_dir")

    def config_overrides(self) -> dict:
        out = {k: getattr(self, k) for k in ("layerdrop", "mask_time_prob") if getattr(self, k) is not None}
        if self.attn_implementation:
            out["attn_implementation"] = self.attn_implementation
        return out


@dataclass
class DataArguments:
    bimotion: str | None = field(default=None, metadata={"help": "prepared BiMotion dataset: folder or Hub id"})
    yuemotion: str | None = field(default=None, metadata={"help": "prepared YueMotion dataset: folder or Hub id"})
    validation_configs: list[str] | None = field(
        default=None, metadata={"help": "validation configs for model selection (default: the training configs)"}
    )
    test_configs: list[str] | None = field(
        default=None,
        metadata={"help": "configs whose test sets are scored at the end (default: every group of the given datasets)"},
    )
    max_duration_s: float | None = field(
        default=10.0,
        metadata={"help": "random crop of training clips, seconds (evaluation never crops); inf: no crop"},
    )
    normalize_audio: bool = field(
        default=True,
        metadata={
            "help": "normalise each clip as the checkpoint's feature extractor says; false: raw samples, as the "
            "authors' code (the saved feature extractor then says do_normalize false, so inference matches)"
        },
    )
    pad_to_multiple_of: int | None = field(default=None, metadata={"help": "pad batches to a multiple of N samples"})
    max_train_samples: int | None = field(default=None, metadata={"help": "debug: a seeded subset of training"})
    dataset_cache_dir: str | None = field(
        default=None, metadata={"help": "where `datasets` caches the prepared data (default: its own cache)"}
    )

    def __post_init__(self):
        _paths_as_text(self, "bimotion", "yuemotion", "dataset_cache_dir")
        if self.max_duration_s == math.inf:  # what the command line can say for "no crop" (None in a config)
            self.max_duration_s = None

    @property
    def datasets(self) -> dict[str, str | None]:
        """``{"bimotion": ..., "yuemotion": ...}``: the prepared datasets given (None: not given)."""
        return {"bimotion": self.bimotion, "yuemotion": self.yuemotion}


@dataclass
class RunArguments:
    early_stopping_patience: int = field(default=5, metadata={"help": "evaluations without improvement; 0: off"})
    resume: bool | None = field(
        default=None,
        metadata={
            "help": "resume from the last complete checkpoint in output_dir when there is one (default: true, "
            "false with --overwrite_output_dir; true with it is refused)",
            "nargs": "?",  # a bare --resume says true, as a flag that defaults to true would
            "const": True,
        },
    )
    no_resume: bool = field(default=False, metadata={"help": "--resume false"})
    overwrite_output_dir: bool = field(
        default=False,
        metadata={
            "help": "discard output_dir's checkpoints, scores.json, training manifest, model card and confusion figure and "
            "train from scratch (no resume)"
        },
    )
    push_dry_run: bool = field(
        default=False, metadata={"help": "with --push_to_hub: list what would be uploaded, upload nothing"}
    )

    def __post_init__(self):
        if self.no_resume:  # the flag a bool defaulting to true had (an Optional field gets none)
            if self.resume:
                raise ValueError("--resume true and --no_resume say opposite things: give one of them")
            self.resume = False
        if self.resume and self.overwrite_output_dir:  # a usage error through the recipes' parse path
            raise ValueError(
                "--resume true continues output_dir's run, --overwrite_output_dir discards it: give one of them"
            )
        if self.resume is None:
            self.resume = not self.overwrite_output_dir


@dataclass
class TrainSpec:
    """One training run: the data it trains on, the model, the data options, how it runs, and the
    ``transformers.TrainingArguments`` values that differ from the paper's defaults (optimisation:
    ``learning_rate``, ``num_train_epochs``, ``per_device_train_batch_size``, ``seed``; output:
    ``output_dir`` (default ``results/<name>``), ``push_to_hub``, ``hub_model_id``, ``public``...)."""

    train: Mixture
    model: ModelArguments = field(default_factory=ModelArguments)
    data: DataArguments = field(default_factory=DataArguments)
    run: RunArguments = field(default_factory=RunArguments)
    training: dict[str, Any] = field(default_factory=dict)
    run_name: str | None = None
    target: str | None = None  # the target group of a §4.2 mixture, recorded in scores.json
    mixture: str | None = None  # the §4.2 mixture's name

    def __post_init__(self) -> None:
        """:attr:`train`'s shards are those the data has: a config of several groups (``zho``, ``all``)
        without the groups a local prepared folder has no rows of, as training reads it
        (:func:`~bimotion.training.data.load_split`; scores.json's ``train_groups``)."""
        from bimotion.data.held import held_shards

        self.train = self.train.within(held_shards(self.data.datasets.get, self.train.shards))

    @property
    def name(self) -> str:
        """The run's name: ``run_name``, else the training spec (``eng_eld+zho_eld``)."""
        return self.run_name or self.train.spec

    @classmethod
    def from_values(cls, train: str | list[str] | Mixture, values: Mapping[str, Any], **kwargs) -> TrainSpec:
        """A spec from flat recipe values (``{"learning_rate": 1e-4, "dropout": 0.0, ...}``, as the grid
        config's ``training:`` holds them): model, data and run fields go to their sections by name,
        every other key is a ``TrainingArguments`` field."""
        sections = {"model": ModelArguments, "data": DataArguments, "run": RunArguments}
        picked = {name: {} for name in sections}
        training = {}
        for key, value in values.items():
            section = next((name for name, cls_ in sections.items() if key in _field_names(cls_)), None)
            (picked[section] if section else training)[key] = value
        parts = {name: sections[name](**picked[name]) for name in sections}
        if not isinstance(train, Mixture):  # a local prepared folder's own groups (ind_eld) resolve
            from .data_checks import register_prepared

            register_prepared(parts["data"].datasets)
        mixture = train if isinstance(train, Mixture) else parse_mixture(train, own_group=OWN_GROUP_PYTHON)
        return cls(mixture, **parts, training=training, **kwargs)


def _paths_as_text(args, *names: str) -> None:
    """``args``' fields ``names`` given as a ``Path`` (natural from Python) as the text the command line
    gives (what the data and model code, and ``datasets``, take): a folder works either way."""
    for name in names:
        value = getattr(args, name)
        if isinstance(value, os.PathLike):
            setattr(args, name, os.fspath(value))


def _field_names(cls) -> set[str]:
    return {f.name for f in fields(cls)}
