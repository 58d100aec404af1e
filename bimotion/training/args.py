"""The recipes' arguments, as dataclasses for ``transformers.HfArgumentParser``, with the paper's
hyper-parameters as defaults: AdamW, learning rate 5e-5, dropout 0.1, 20 epochs, batch size 8,
early stopping after 5 epochs without improvement, seed 0, best model on validation loss."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from transformers import TrainingArguments

from .model import DEFAULT_MODEL


def split_list(values: list[str] | None) -> list[str] | None:
    """``["eng_eld,zho_eld", "eng_adu[esd,crema_d]"]`` -> ``["eng_eld", "zho_eld", "eng_adu[esd,crema_d]"]``
    (commas inside brackets belong to the config)."""
    if values is None:
        return None
    return [v.strip() for value in values for v in re.split(r",(?![^\[]*\])", value) if v.strip()]


@dataclass
class ModelArguments:
    model_name_or_path: str = field(
        default=DEFAULT_MODEL,
        metadata={"help": "wav2vec2-family checkpoint (Hub id or local folder) to fine-tune"},
    )
    dropout: float = field(default=0.1, metadata={"help": "encoder hidden and attention dropout"})
    classifier_proj_size: int = field(default=256, metadata={"help": "projector width before mean pooling"})
    freeze_feature_encoder: bool = field(default=True, metadata={"help": "keep the CNN feature encoder frozen"})
    layerdrop: float | None = field(default=None, metadata={"help": "override the checkpoint's layerdrop"})
    mask_time_prob: float | None = field(default=None, metadata={"help": "override SpecAugment time masking"})
    attn_implementation: str | None = field(default=None, metadata={"help": "eager, sdpa or flash_attention_2"})
    model_revision: str = field(default="main")
    model_cache_dir: str | None = field(default=None)

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
        default=10.0, metadata={"help": "random crop of training clips, seconds (evaluation never crops)"}
    )
    pad_to_multiple_of: int | None = field(default=None, metadata={"help": "pad batches to a multiple of N samples"})
    max_train_samples: int | None = field(default=None, metadata={"help": "debug: a seeded subset of training"})
    dataset_cache_dir: str | None = field(default=None)


@dataclass
class RunArguments:
    early_stopping_patience: int = field(default=5, metadata={"help": "evaluations without improvement; 0: off"})
    resume: bool = field(
        default=True, metadata={"help": "resume from the last complete checkpoint in output_dir when there is one"}
    )
    push_dry_run: bool = field(
        default=False, metadata={"help": "with --push_to_hub: list what would be uploaded, upload nothing"}
    )


@dataclass
class SERTrainingArguments(TrainingArguments):
    """``TrainingArguments`` with the paper's defaults; ``--metric_for_best_model`` is the selection
    criterion (``loss``, the paper's, or ``weighted_f1``)."""

    output_dir: str | None = field(
        default=None,
        metadata={"help": "where checkpoints, the model, scores.json and the card go (default: results/<run>)"},
    )
    num_train_epochs: float = field(default=20.0)
    per_device_train_batch_size: int = field(default=8)
    per_device_eval_batch_size: int = field(default=8)
    learning_rate: float = field(default=5e-5)
    seed: int = field(default=0)
    eval_strategy: str = field(default="epoch")
    save_strategy: str = field(default="epoch")
    logging_steps: float = field(default=50)
    save_total_limit: int | None = field(default=2)
    load_best_model_at_end: bool = field(default=True)
    metric_for_best_model: str | None = field(default="loss")
    train_sampling_strategy: str = field(default="group_by_length")
    length_column_name: str = field(default="duration_s")
    remove_unused_columns: bool = field(default=False)
    label_names: list[str] | None = field(default_factory=lambda: ["labels", "label_mask", "row"])
    ddp_find_unused_parameters: bool | None = field(
        default=True, metadata={"help": "layerdrop and SpecAugment leave parameters unused in some steps"}
    )

    def __post_init__(self):
        self.output_dir_given = self.output_dir is not None
        if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not self.use_cpu and not _has_accelerator():
            # Several processes on a machine without GPUs (`accelerate launch --multi_gpu --num_processes N`,
            # torchrun): train on CPU with gloo instead of N unrelated single-process runs.
            self.use_cpu = True
        super().__post_init__()


def _has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available())
