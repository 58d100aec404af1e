r"""Cross-group inference (paper §4.1): score a trained model on the test sets of any groups.

    accelerate launch recipes/infer.py --model results/eng_adu --bimotion DIR_OR_HUB_ID \
        --configs eng_eld zho_eld zho_adu

Writes per-group, per-corpus scores (weighted F1, per-label F1, macro F1, UA) to
``--output_file`` (default: ``inference_<split>.json`` in ``--output_dir``, or in the model folder),
with each test group's relation to the training groups (in_group, cross_lingual, cross_age, cross_all,
or cross_group: its language and age group each seen, never together; ``_not_held_out`` where the
scored clips include clips the model trained on).  It does not train: train.py's arguments it does not
read (learning rate, epochs, precision, seed, data loading...) may sit in a shared arguments file, and
are refused typed.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bimotion.extras import exit_if_missing

if __name__ == "__main__":  # without the extras: one line naming them (exit 2), not a traceback at an import
    exit_if_missing("recipes/infer.py", ("torch", "transformers", "accelerate", "sklearn"))

from transformers import HfArgumentParser

from bimotion.data.layout import output_error
from bimotion.hub import HubError
from bimotion.hub_timeouts import TimeoutSettingError
from bimotion.registry import SPLITS
from bimotion.training.args import check_classifier, check_model, check_positive
from bimotion.training.data import DataError
from bimotion.training.data_checks import check_configs, check_datasets, check_present, check_split_rows
from bimotion.training.model import NotAClassifier
from bimotion.training.outputs import ScoresNotWritten, inference_file
from bimotion.training.parsing import ArgumentError, error_once, one_line, parse_arguments
from bimotion.training.report import scores_report
from bimotion.training.spec import DataArguments, ModelArguments, RunArguments
from bimotion.training.training_args import SERTrainingArguments
from loaders.errors import DamagedFileError
from loaders.files import folder_not_writable


@dataclass
class InferArguments:
    model: str = field(
        metadata={
            "help": "fine-tuned model: folder or Hub id; scored clips listed in its train_manifest.txt (clips it "
            "trained on, as a dataset prepared again with another --seed holds) are warned of and marked "
            "training_clips in the scores"
        }
    )
    configs: list[str] | None = field(
        default=None,
        metadata={
            "help": "the groups scored (default: every group of the given datasets); train.py's test_configs is "
            "ignored in an arguments file and refused on the command line"
        },
    )
    split: str = field(default="test", metadata={"help": "train, validation or test"})
    output_file: str | None = field(
        default=None,
        metadata={
            "help": "where the scores go (default: inference_<split>.json in --output_dir if given, else in the "
            "model folder); given, it wins over --output_dir"
        },
    )


# the shared dataclasses' fields that inference reads (the others are accepted, for a shared arguments file)
INFER_FLAGS = (
    "bimotion", "yuemotion", "dataset_cache_dir", "pad_to_multiple_of", "output_dir",
    "per_device_eval_batch_size", "use_cpu",
)  # fmt: skip
# and those TrainingArguments reads for it: the processes (process_index, main_process_first: a launcher's
# --local_rank too), the progress bars, TF32 matmuls on a GPU
SETUP_FLAGS = (
    "local_rank", "ddp_backend", "ddp_timeout", "deepspeed", "accelerator_config", "parallelism_config",
    "disable_tqdm", "tf32",
)  # fmt: skip


# the errors of a user's that the run meets past its checks (a Hub model that is no 13-label classifier, a Hub
# dataset's group without rows, a scores file a full disk stops, BIMOTION_HUB_TIMEOUT_S not a number), each one line
# naming the fix, as are a damaged file (DamagedFileError) and the Hub's failure (HubError); any other exception (a
# ValueError or an OSError too) is a bug, and keeps its traceback
USER_ERRORS = (ArgumentError, DataError, NotAClassifier, ScoresNotWritten, TimeoutSettingError)

# the shared dataclasses' fields an arguments file may hold but the command line may not: typed, they would be ignored
FILE_ONLY = {"test_configs": "--test_configs {value}: infer.py scores the groups of --configs: give --configs {value}"}
IGNORED = "--{name} {{value}}: infer.py does not train and does not read it (an arguments file shared with train.py may hold it): leave it out"
# of those, the precision flags, which TrainingArguments checks against this machine (a GPU training's file's
# `bf16: true` is refused on a CPU): an arguments file's are parsed at their defaults (false)
FILE_IGNORED = ("bf16", "fp16", "bf16_full_eval", "fp16_full_eval")


def file_ignored(from_file: list[str] = ()) -> tuple[str, ...]:
    """:data:`FILE_IGNORED`, and ``tf32`` where the arguments file (``from_file``, its flags) sets it and this
    machine has no GPU that runs TF32 (:func:`without_tf32`; TrainingArguments checks it as it does ``bf16``):
    a GPU training's file's ``tf32: true`` is read as false there, as it would do nothing; typed on (``--tf32
    true``, ``1``, ``yes``), it is refused naming the flag.  Asked only then: on a CUDA machine it reads every
    GPU's compute capability, which sets up CUDA before a launcher's process has its device."""
    from bimotion.training.training_args import without_tf32

    return FILE_IGNORED + (("tf32",) if "--tf32" in from_file and without_tf32() else ())


def scoring_said(recipe: InferArguments, data_args: DataArguments, training_args: SERTrainingArguments, *_) -> str:
    """What infer.py does instead of an arguments file's precision flags (:func:`file_ignored`), said with
    them (:func:`~bimotion.training.parsing.parse_arguments`): it does not train, and scores where
    :func:`~bimotion.training.inference.scoring_device` says, in the precision
    :func:`~bimotion.training.inference.scoring_precision` gives."""
    import torch

    from bimotion.training.inference import autocast_device_type, scoring_device, scoring_precision
    from bimotion.training.outputs import model_scores

    if autocast_device_type(scoring_device(use_cpu=training_args.use_cpu)) != "cuda":
        why = "--use_cpu" if torch.cuda.is_available() else "this machine has no GPU"
        return f"infer.py does not train, and scores in {scoring_precision('cpu', None)} on the CPU ({why})"
    # a local model's scores.json (a Hub model's is fetched with it, later)
    trained = model_scores(recipe.model).precision if Path(recipe.model).expanduser().is_dir() else None
    if trained:
        dtype = scoring_precision("cuda", trained)
        return f"infer.py does not train, and scores on the GPU in {dtype}, the precision the model trained in"
    return (
        "infer.py does not train, and scores on the GPU in the precision the model trained in (its scores.json's "
        "hyperparameters.precision; bfloat16 where none is recorded)"
    )


@dataclass
class TrainConfigs:
    """train.py's own argument (its TrainArguments), so that train.py's arguments file serves this too."""

    train_configs: list[str] | None = None


# train.py's arguments that are no dataclass of this recipe's: read from an arguments file, and ignored
TRAINING_ONLY = (TrainConfigs, ModelArguments, RunArguments)
ARGUMENTS = (InferArguments, DataArguments, SERTrainingArguments, *TRAINING_ONLY)  # main's, in order


def file_only() -> dict[str, str]:
    """:data:`FILE_ONLY`, and every other field of the shared dataclasses inference does not read (train.py's
    --learning_rate, --num_train_epochs, --bf16, --seed, --train_configs, --model_name_or_path...), each with
    :data:`IGNORED`."""
    kinds = (DataArguments, SERTrainingArguments, *TRAINING_ONLY)
    shared = [f.name for kind in kinds for f in dataclasses.fields(kind) if f.init]
    ignored = [name for name in shared if name not in INFER_FLAGS + SETUP_FLAGS + tuple(FILE_ONLY)]
    return {**FILE_ONLY, **{name: IGNORED.format(name=name) for name in ignored}}


def check(recipe: InferArguments, data_args: DataArguments, training_args: SERTrainingArguments, *_) -> None:
    datasets = data_args.datasets
    check_model(recipe.model, "--model")
    check_datasets(datasets, cache_dir=data_args.dataset_cache_dir)
    if recipe.split not in SPLITS:
        raise ArgumentError(f"--split must be one of {', '.join(SPLITS)}, not {recipe.split}")
    check_configs(recipe.configs, "--configs", datasets)
    check_positive(training_args, "per_device_eval_batch_size")
    check_positive(data_args, "pad_to_multiple_of", optional=True)
    if not recipe.output_file and training_args.output_dir_given:
        if error := output_error(training_args.output_dir, "--output_dir"):
            raise ArgumentError(error)
    if recipe.output_file and Path(recipe.output_file).is_dir():
        raise ArgumentError(f"--output_file {recipe.output_file} is a folder; give a file name")
    if recipe.output_file and Path(recipe.output_file).suffix.lower() != ".json":  # what it writes
        raise ArgumentError(f"--output_file {recipe.output_file}: the scores are JSON: name it .json")
    check_writable(recipe, training_args)
    check_present({"--configs": recipe.configs}, datasets, every_group="--configs")
    check_split_rows([("--configs", recipe.split, recipe.configs)], datasets)
    check_classifier(recipe.model, "--model")  # a base model: named before any data is read, not a traceback


def check_writable(recipe: InferArguments, training_args: SERTrainingArguments) -> None:
    """The folder the scores go to (:func:`output_file`) can be written: else an ArgumentError now, not a traceback
    per process once every clip is predicted."""
    scores = inference_file(recipe.model, recipe.split, output_file(recipe, training_args))
    if not (problem := folder_not_writable(scores.parent)):
        return
    if recipe.output_file:
        raise ArgumentError(f"--output_file {recipe.output_file}: {problem}; choose another --output_file")
    flag = "--output_dir" if training_args.output_dir_given else "--output_file or --output_dir"
    raise ArgumentError(f"the scores go to {scores}: {problem}; give {flag} a folder that can be written")


def output_file(recipe: InferArguments, training_args: SERTrainingArguments) -> str | None:
    """Where the scores go: ``--output_file``; else ``inference_<split>.json`` in ``--output_dir`` (a
    shared arguments file's, or given for this run); else None, the model folder's (``infer``'s default)."""
    if recipe.output_file:
        return recipe.output_file
    if training_args.output_dir_given:
        return str(Path(training_args.output_dir).expanduser() / f"inference_{recipe.split}.json")
    return None


def main(argv=None) -> int:
    parser = HfArgumentParser(ARGUMENTS)
    # training's wording (checkpoints, the model, the card) says nothing of what inference writes there
    output_dir = parser._option_string_actions["--output_dir"]
    output_dir.help = "the folder inference_<split>.json goes to (default: the model's)"
    recipe, data_args, training_args, *_ = parse_arguments(
        parser, argv, check, shown=INFER_FLAGS, file_only=file_only(), file_ignored=file_ignored, said=scoring_said
    )
    from bimotion.memory import ALLOCATION_FAILURES, ready_for_a_limit, said_out_of_memory
    from bimotion.signals import exit_code, late_stop, lost_stop, stop_word, take_pending_stop, terminate_as_interrupt
    from bimotion.training.evaluation import infer  # torch, datasets: after the arguments are checked
    from bimotion.training.provenance import recorded_command

    ready_for_a_limit()  # under a memory limit: memory kept for the out-of-memory line, and no glibc abort after it
    scores = inference_file(recipe.model, recipe.split, output_file(recipe, training_args))
    before = _file_state(scores)
    try:
        # SIGTERM (Slurm's time limit, kill) stops as a Ctrl-C does: in a launch, every process at its batch's end
        with terminate_as_interrupt():
            result = infer(
                recipe.model,
                dataclasses.replace(data_args, test_configs=None),  # a shared arguments file's (train.py's): ignored
                training_args,
                configs=recipe.configs,
                split=recipe.split,
                output_file=output_file(recipe, training_args),
                command=recorded_command(),  # its file names this command, not one run earlier in this process
            )
            late = lost_stop()  # one a finalizer swallowed after the last batch: the scores were written all the same
    except DamagedFileError as err:  # a prepared dataset's file or clip, or the model's weights
        error_once(err)  # every process of a launch meets it (on_every_process): said once, by the main process
        return 2
    except HubError as err:  # the model's load from the Hub (bimotion.hub_models), by every process: said once
        error_once(err)
        return 1
    except USER_ERRORS as err:  # a model, folder or group it cannot use, found as it loads: every process meets it
        error_once(one_line(err))  # (on_every_process, on_main_process_only): said once, by the main process
        return 2
    except ALLOCATION_FAILURES as err:  # an allocation that failed: one line, with the fix; else (a bug) its traceback
        return said_out_of_memory(err, "infer.py")
    except KeyboardInterrupt as err:  # Ctrl-C or SIGTERM, to any process of a launch (on_every_process tells all)
        if training_args.process_index == 0:
            print(f"{stop_word(err)}: {stopped_words(scores, before)}", file=sys.stderr)
        return exit_code(err)
    if training_args.process_index != 0 and take_pending_stop():  # held in on_main_process_only: said by its process
        print(HELD.format(process=training_args.process_index), file=sys.stderr)
    elif (word := late_stop(late)) and training_args.process_index == 0:
        print(f"{word} came as the run ended: the run finished all the same; nothing to rerun", file=sys.stderr)
    if training_args.process_index == 0:
        from bimotion.training.model_card import tested_as

        # a group of which --configs named only some corpora (yue_eld[carehome]) as named, not as the whole group
        names = tested_as({"test_configs": result["configs"], "test": result[recipe.split]})
        print(f"\nscores of {recipe.model}: {result['output_file']}")
        print(scores_report(result[recipe.split], split=recipe.split, relation=result["relation"], names=names))
    return 0


# a SIGTERM to another process of a launch as it waited for the main process's scores (seconds away): held until they
# came (on_main_process_only), so the run finished; the process that got it says so, once, and exits 0
HELD = (
    "SIGTERM came to process {process} as it waited for the main process's scores: held until they arrived; the run "
    "finished all the same; nothing to rerun"
)


def _file_state(path: Path) -> tuple[int, int] | None:
    """``path``'s inode and modification time, None where it is not there: whether a run replaced it."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def stopped_words(scores: Path, before: tuple[int, int] | None) -> str:
    """The closing line of a stopped inference, after ``terminated:`` or ``interrupted:``: whether its scores file
    ``scores`` (``before``: :func:`_file_state` as the run began) was written, and what to do.  A stopped run keeps
    no predictions: its file is written once every clip is scored, whole or not at all."""
    if before != (now := _file_state(scores)) and now is not None:  # the stop came once the file was written
        return f"the scores were written to {scores} before the stop; nothing to rerun"
    kept = f"{scores} left as it was" if before else f"{scores} not written"
    return f"no scores were written ({kept}); rerun the same command to score again: it predicts every clip again"


if __name__ == "__main__":
    sys.exit(main())
