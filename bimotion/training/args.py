"""The recipes' arguments, as dataclasses for ``transformers.HfArgumentParser``, with the paper's
hyper-parameters as defaults: AdamW, learning rate 5e-5, dropout 0.1, 20 epochs, batch size 8,
early stopping after 5 epochs without improvement, seed 0, best model on validation loss."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
    overwrite_output_dir: bool = field(
        default=False,
        metadata={"help": "discard output_dir's checkpoints and scores.json and train from scratch (no resume)"},
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
    hub_private_repo: bool | None = field(
        default=None, metadata={"help": "the model repository is private unless this is false or --public is given"}
    )
    public: bool = field(
        default=False, metadata={"help": "with --push_to_hub: create the model repository public (default: private)"}
    )

    def __post_init__(self):
        if self.public and self.hub_private_repo:
            raise ValueError("--public contradicts --hub_private_repo true: give one of them")
        # never left to the Hub's default (public): private unless asked otherwise
        self.hub_private_repo = not self.public and self.hub_private_repo is not False
        self.output_dir_given = self.output_dir is not None
        if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not self.use_cpu and not _has_accelerator():
            # Several processes on a machine without GPUs (`accelerate launch --multi_gpu --num_processes N`,
            # torchrun): train on CPU with gloo instead of N unrelated single-process runs.
            self.use_cpu = True
        super().__post_init__()

    def __getstate__(self) -> dict:
        """What pickling keeps (``Trainer`` saves these arguments as ``training_args.bin`` in the model
        folder and every checkpoint, which ``--push_to_hub`` uploads): everything but the secrets, as
        ``TrainingArguments.to_dict`` does. The token stays on this object for publishing."""
        state = dict(self.__dict__)
        for key in state:
            if key.endswith("_token"):
                state[key] = None
        return state


def _has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available())


# ---------------------------------------------------------------------------------------------- checked up front
class ArgumentError(ValueError):
    """A bad recipe argument, found before any data is read or any model is built; the message names it."""


HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?")
SPLITS = ("train", "validation", "test")


def one_line(err: BaseException | str) -> str:
    text = err.args[0] if isinstance(err, KeyError) and err.args else err  # KeyError's str() adds quotes
    return " ".join(str(text).split())


def parse_arguments(parser, argv=None, check=None) -> tuple:
    """``parser.parse_args_into_dataclasses(argv)``, then ``check(*parsed)``: a bad value, including
    one ``TrainingArguments`` itself rejects, exits as a usage error (code 2, one line naming the
    argument), never as a traceback, and before any data is read."""
    parser.usage = parser.usage or "%(prog)s [-h] [--ARGUMENT VALUE ...]"  # the full list is --help's
    try:
        parsed = parser.parse_args_into_dataclasses(argv)
        if check is not None:
            check(*parsed)
    except ValueError as err:  # ArgumentError, and the dataclasses' own __post_init__ checks
        parser.error(one_line(err))
    return parsed


def _looks_local(value: str) -> bool:
    """A path rather than a Hub id: absolute, ``./``, ``~``, two slashes or more, or its first part a local folder."""
    if value.startswith(("/", ".", "~")) or "\\" in value or value.count("/") > 1:
        return True
    return "/" in value and Path(value.split("/")[0]).expanduser().is_dir()


def check_model(value: str | None, flag: str) -> None:
    """A saved model folder (with config.json) or a plausible Hub model id."""
    if not value:
        raise ArgumentError(f"{flag} is required: a model folder or a Hub id (OWNER/NAME)")
    path = Path(value).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ArgumentError(f"{flag} {value}: the folder has no config.json; give a saved model folder or a Hub id")
    elif path.exists() or _looks_local(value) or not HUB_ID.fullmatch(value):
        raise ArgumentError(f"{flag} {value}: no such model folder, and not a Hub id (OWNER/NAME)")


def check_dataset(value: str | None, flag: str, benchmark: str) -> None:
    """A folder written by ``bimotion prepare`` for ``benchmark`` (has prepare.json) or a plausible Hub dataset id."""
    if value is None:
        return
    path = Path(value).expanduser()
    info = path / "prepare.json"
    if path.is_dir():
        if not info.is_file():
            if _hub_dataset_card(path):  # a dataset folder in the Hub's layout (configs in README.md)
                return
            raise ArgumentError(
                f"{flag} {value} is not a prepared dataset folder (no prepare.json): make one with `bimotion prepare`"
            )
        import json

        try:
            found = json.loads(info.read_text(encoding="utf-8")).get("benchmark", benchmark)
        except (ValueError, AttributeError) as err:
            raise ArgumentError(f"{flag} {value}: unreadable {info} ({one_line(err)}); prepare it again") from err
        if found != benchmark:
            raise ArgumentError(f"{flag} {value} holds the prepared {found} dataset, not {benchmark}")
    elif path.exists() or _looks_local(value) or not HUB_ID.fullmatch(value):
        raise ArgumentError(f"{flag} {value}: no such folder, and not a Hub dataset id (OWNER/NAME)")


def _hub_dataset_card(folder: Path) -> bool:
    """Whether ``folder/README.md`` declares ``configs:`` in its YAML header, as a Hub dataset does."""
    card = folder / "README.md"
    if not card.is_file():
        return False
    header = card.read_text(encoding="utf-8", errors="replace").split("\n---", 1)[0]
    return header.startswith("---") and re.search(r"^configs:", header, re.MULTILINE) is not None


def check_datasets(datasets: dict[str, str | None], *, required: bool = True) -> None:
    """``{"bimotion": ..., "yuemotion": ...}``: each given one valid, and (``required``) at least one given."""
    for name, value in datasets.items():
        check_dataset(value, f"--{name}", name)
    if required and not any(datasets.values()):
        raise ArgumentError("give a prepared dataset: --bimotion DIR_OR_HUB_ID and/or --yuemotion DIR_OR_HUB_ID")


def check_configs(configs: Iterable[str] | None, flag: str, datasets: dict[str, str | None]) -> None:
    """Config names (``eng_eld``, ``eng``, ``esd``, ``eng_adu[esd]``, ``yuemotion:all``) that exist, from given datasets."""
    if configs is None:
        return
    from .mixtures import shards

    configs = split_list(list(configs))
    try:
        found = shards(configs)
    except (KeyError, ValueError) as err:
        raise ArgumentError(f"{flag}: {one_line(err)}") from err
    for bench in dict.fromkeys(s.benchmark for s in found):
        if not datasets.get(bench):
            raise ArgumentError(
                f"{flag} {' '.join(configs)} needs the prepared {bench} dataset: pass --{bench} DIR_OR_HUB_ID"
            )


def check_seeds(seeds: Iterable[int] | None, flag: str = "--seeds") -> None:
    if seeds is None:
        return
    seeds = list(seeds)
    if not seeds:
        raise ArgumentError(f"{flag} must list at least one seed")
    bad = [s for s in seeds if not 0 <= s < 2**32]
    if bad:
        raise ArgumentError(f"{flag} must be integers in [0, 2**32), not {bad[0]}")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ArgumentError(f"{flag} lists seed {repeated[0]} more than once")


def check_positive(obj, *names: str, optional: bool = False) -> None:
    """Each ``--name`` > 0 (``optional``: or unset)."""
    for name in names:
        value = getattr(obj, name)
        if optional and value is None:
            continue
        if not value > 0:  # also NaN
            raise ArgumentError(f"--{name} must be > 0, not {value}")


def check_training(
    model_args: ModelArguments,
    data_args: DataArguments,
    run_args: RunArguments,
    training_args: SERTrainingArguments,
    *,
    train_configs: Iterable[str] | None,
    train_flag: str = "--train_configs",
) -> None:
    """Everything about a training run that needs no data and no model; raises :class:`ArgumentError`."""
    datasets = {"bimotion": data_args.bimotion, "yuemotion": data_args.yuemotion}
    check_model(model_args.model_name_or_path, "--model_name_or_path")
    check_datasets(datasets)
    check_configs(train_configs, train_flag, datasets)
    check_configs(data_args.validation_configs, "--validation_configs", datasets)
    check_configs(data_args.test_configs, "--test_configs", datasets)
    check_hyperparameters(model_args, data_args, run_args, training_args)


def check_hyperparameters(
    model_args: ModelArguments, data_args: DataArguments, run_args: RunArguments, training_args: SERTrainingArguments
) -> None:
    """The numbers and the publishing flags of a training run; raises :class:`ArgumentError`."""
    check_positive(training_args, "learning_rate", "per_device_train_batch_size", "per_device_eval_batch_size")
    check_positive(training_args, "gradient_accumulation_steps")
    if training_args.max_steps == 0 or training_args.max_steps < -1:
        raise ArgumentError(f"--max_steps must be > 0 (or -1: train --num_train_epochs), not {training_args.max_steps}")
    if training_args.max_steps < 0:
        check_positive(training_args, "num_train_epochs")
    check_seeds([training_args.seed], "--seed")
    check_positive(model_args, "classifier_proj_size")
    if not 0 <= model_args.dropout < 1:
        raise ArgumentError(f"--dropout must be in [0, 1), not {model_args.dropout}")
    check_positive(data_args, "max_duration_s", "pad_to_multiple_of", "max_train_samples", optional=True)
    if run_args.early_stopping_patience < 0:
        raise ArgumentError(f"--early_stopping_patience must be >= 0 (0: off), not {run_args.early_stopping_patience}")
    if training_args.output_dir and Path(training_args.output_dir).is_file():
        raise ArgumentError(f"--output_dir {training_args.output_dir} is a file; give a folder")
    if training_args.push_to_hub or training_args.hub_model_id:
        if not training_args.hub_model_id:
            raise ArgumentError("--push_to_hub needs --hub_model_id OWNER/NAME")
        if "/" not in training_args.hub_model_id or not HUB_ID.fullmatch(training_args.hub_model_id):
            raise ArgumentError(f"--hub_model_id {training_args.hub_model_id} must be a Hub id OWNER/NAME")
    if run_args.push_dry_run and not training_args.push_to_hub:
        raise ArgumentError("--push_dry_run lists what --push_to_hub would upload: give --push_to_hub too")
