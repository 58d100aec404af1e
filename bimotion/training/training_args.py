"""``SERTrainingArguments``: ``transformers.TrainingArguments`` with the paper's defaults.  Its own
module because ``TrainingArguments`` imports torch and accelerate (seconds): :mod:`.args` hands it out
on first use, so a recipe that needs no training arguments, or a check's error, does not wait for them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from transformers import TrainingArguments
from transformers.utils import is_torch_tf32_available

from .loss import REDUCTIONS


@dataclass
class SERTrainingArguments(TrainingArguments):
    """``TrainingArguments`` with the paper's defaults (§5.2, :data:`bimotion.paper.HYPERPARAMETERS`) and,
    where the paper states none, the authors' released code's (:data:`bimotion.paper.AUTHORS_CODE_SETTINGS`);
    ``--metric_for_best_model`` is the selection criterion (``loss``, the authors' code's, or ``weighted_f1``)."""

    output_dir: str | None = field(
        default=None,
        metadata={"help": "where checkpoints, the model, scores.json and the card go (default: results/<run>)"},
    )
    num_train_epochs: float = field(default=20.0, metadata={"help": "the paper's: 20 epochs"})
    per_device_train_batch_size: int = field(
        default=8, metadata={"help": "the authors' code's: 8 clips per process and step"}
    )
    per_device_eval_batch_size: int = field(default=8, metadata={"help": "clips per process in evaluation"})
    learning_rate: float = field(
        default=5e-5, metadata={"help": "the paper's: AdamW at 5e-5 (linear decay, the Trainer's)"}
    )
    seed: int = field(default=0, metadata={"help": "the authors' code's: 0; also seeds the new head"})
    eval_strategy: str = field(default="epoch", metadata={"help": "evaluate on validation after every epoch"})
    save_strategy: str = field(default="epoch", metadata={"help": "a checkpoint per epoch (resumable)"})
    logging_steps: float = field(default=50, metadata={"help": "log the loss every N steps"})
    save_total_limit: int | None = field(default=2, metadata={"help": "checkpoints kept (the best one too)"})
    load_best_model_at_end: bool = field(default=True, metadata={"help": "keep the best validation model"})
    metric_for_best_model: str | None = field(
        default="loss", metadata={"help": "selection: loss (the authors' code's), weighted_f1 or weighted_f1_<group>"}
    )
    train_sampling_strategy: str = field(
        default="group_by_length", metadata={"help": "batches of similar durations (the duration_s column)"}
    )
    length_column_name: str = field(default="duration_s", metadata={"help": "the prepared datasets' duration column"})
    remove_unused_columns: bool = field(default=False, metadata={"help": "the collator reads the audio column"})
    label_names: list[str] | None = field(
        default_factory=lambda: ["labels", "label_mask", "row"], metadata={"help": "what the loss and metrics read"}
    )
    ddp_find_unused_parameters: bool | None = field(
        default=None,
        metadata={
            "help": "default: on exactly when a parameter can miss a step's gradient (layerdrop above 0, or "
            "SpecAugment's mask embedding without time masking); off otherwise: saves DDP a graph traversal per step"
        },
    )
    hub_private_repo: bool | None = field(
        default=None, metadata={"help": "the model repository is private unless this is false or --public is given"}
    )
    public: bool = field(
        default=False, metadata={"help": "with --push_to_hub: create the model repository public (default: private)"}
    )
    max_batch_duration_s: float | None = field(
        default=None,
        metadata={
            "help": "training batches of at most this many padded audio-seconds per device (clips x the longest "
            "cropped clip), length-grouped, instead of per_device_train_batch_size clips: fewer, fuller batches on a GPU"
        },
    )
    loss_reduction: str = field(
        default="annotated",
        metadata={
            "help": "annotated: each clip's BCE is the mean over its annotated labels; label_space: the same "
            "divided by the 13 labels, as the authors' code (gradient clipping then bites less often)"
        },
    )

    def __post_init__(self):
        if self.public and self.hub_private_repo:
            raise ValueError("--public contradicts --hub_private_repo true: give one of them")
        if self.loss_reduction not in REDUCTIONS:
            raise ValueError(f"--loss_reduction must be one of {list(REDUCTIONS)}, not {self.loss_reduction!r}")
        if getattr(self, "enable_jit_checkpoint", False):  # transformers' own SIGTERM handler would replace ours
            raise ValueError(
                "--enable_jit_checkpoint replaces bimotion's own save at SIGTERM (after the step under way, on "
                "every process at the same step, resumed as an uninterrupted run): leave it out"
            )
        if self.tf32 and without_tf32():  # transformers' own line names neither the value nor the fix
            raise ValueError(
                "--tf32 turns on TF32 matmuls, which need an NVIDIA Ampere or newer GPU with CUDA, and this machine "
                "has none: leave --tf32 out (or give --tf32 false)"
            )
        # never left to the Hub's default (public): private unless asked otherwise
        self.hub_private_repo = not self.public and self.hub_private_repo is not False
        self.output_dir_given = self.output_dir is not None
        super().__post_init__()

    def __getstate__(self) -> dict:
        """What pickling keeps (a copy, another process; ``training_args.bin`` holds
        :func:`plain_arguments`): everything but the secrets, as ``TrainingArguments.to_dict`` does.
        The token stays on this object for publishing."""
        return _without_secrets(self.__dict__)


def _without_secrets(state: dict) -> dict:
    """``state`` with every ``*_token`` set to None."""
    return {key: None if key.endswith("_token") else value for key, value in state.items()}


def without_tf32() -> bool:
    """Whether this machine has no GPU that runs TF32 (transformers' ``is_torch_tf32_available``), asked
    without setting up CUDA before the process's device is chosen: a machine with a CUDA GPU is left to
    transformers' own check, made after that (so a GPU older than Ampere still gets its line)."""
    import torch

    return not torch.cuda.is_available() and not is_torch_tf32_available()


OWN_ATTRIBUTES = ("output_dir_given",)  # set by SERTrainingArguments.__post_init__, not TrainingArguments'
PATH_FIELDS = ("output_dir", "logging_dir", "resume_from_checkpoint", "deepspeed", "fsdp_config")  # when text


def plain_arguments(args: TrainingArguments) -> TrainingArguments:
    """``args`` as a plain ``transformers.TrainingArguments``, which :class:`~.trainer.SERTrainer`
    saves as ``training_args.bin`` (the model folder and every checkpoint; published with the model):
    ``torch.load(path, weights_only=False)`` reads it where only transformers and torch are installed,
    as a Hub user has them.  Left out: our own fields (``loss_reduction``, ``max_batch_duration_s``,
    ``public``; ``run_identity.json`` records them), the secrets (as pickling
    :class:`SERTrainingArguments` does) and ``distributed_state``, accelerate's handle on this
    process's devices and process group (not a setting; unpickling it needs accelerate), as None.
    Folders and files of this machine (:data:`PATH_FIELDS`) are named as ``scores.json`` names them,
    ``local:<name>`` (:func:`~.model_card.public_source`)."""
    from .public import public_source

    plain = TrainingArguments.__new__(TrainingArguments)
    own = {f.name for f in fields(args)} - {f.name for f in fields(TrainingArguments)}
    state = {key: value for key, value in vars(args).items() if key not in own and key not in OWN_ATTRIBUTES}
    paths = {key: public_source(state[key]) for key in PATH_FIELDS if isinstance(state.get(key), str)}
    plain.__dict__.update(_without_secrets(state), **paths, distributed_state=None)
    return plain
