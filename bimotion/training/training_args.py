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
        missing = tf32_missing() if self.tf32 else None  # transformers' own line names neither the value nor the fix
        if missing:
            raise ValueError(
                "--tf32 turns on TF32 matmuls, which need an NVIDIA Ampere or newer GPU (compute capability 8.0 or "
                f"higher) with CUDA, and {missing}: leave --tf32 out (or give --tf32 false)"
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
    """Whether this machine has no GPU that runs TF32 (:func:`tf32_missing`)."""
    return tf32_missing() is not None


def tf32_missing() -> str | None:
    """Why this machine runs no TF32 matmuls, in words that follow "and", or None where it can: as transformers'
    ``is_torch_tf32_available`` tests it (5.x: a CUDA build of torch, a GPU of compute capability 8.0 or higher),
    asked of every visible GPU, not of the current one, which is cached there and not chosen yet (a launcher
    picks each process's): a T4 or V100 (7.5, 7.0) was left to transformers' refusal, a flag ``--tf32`` the
    user of an arguments file never typed.  A machine with an Ampere GPU beside older ones is left to
    transformers' check of the process's own device.  Without CUDA: transformers' answer (another
    accelerator's); on a CUDA GPU it reads their capabilities, which sets up CUDA (no device is chosen)."""
    import torch

    if not torch.cuda.is_available():
        return None if is_torch_tf32_available() else "this machine has none"
    if torch.version.cuda is None:  # a ROCm build: transformers refuses TF32 there
        return "this machine's torch is not a CUDA build (ROCm)"
    count = torch.cuda.device_count()
    gpus = {torch.cuda.get_device_name(i): torch.cuda.get_device_capability(i) for i in range(count)}
    if not gpus or any(major >= 8 for major, _ in gpus.values()):
        return None
    named = ", ".join(f"{name}: compute capability {major}.{minor}" for name, (major, minor) in gpus.items())
    return f"this machine's {count} GPUs ({named}) are older" if count > 1 else f"this machine's GPU ({named}) is older"


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
