"""What the recipes run: train on a list of configurations and score every test group; score a
trained model on any groups (cross-group inference).  Results go to ``scores.json`` beside the model,
with the training manifest (``train_manifest.txt``) and the model card (``README.md``)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from pathlib import Path

import numpy as np

from bimotion.hub import HubError
from loaders.errors import DamagedFileError

from .bootstrap import INTERVAL_SAMPLES
from .checkpoints import (
    ForeignCard,
    check_card_replaceable,
    discard_run,
    how_to_continue,
    last_checkpoint,
    remove_incomplete_checkpoints,
    remove_saved_at_stop,
)
from .collator import AudioCollator
from .data import column, default_test_configs, load_split, sources_of
from .data_checks import check_datasets, split_list
from .evaluation import infer  # noqa: F401 (public API: `from bimotion.training.run import infer, train`, docs/recipes.md)
from .identity import (
    IncompleteCheckpoint,
    RunMismatch,
    argument_defaults,
    check_finished,
    check_resume,
    run_identity,
    write_identity,
)
from .inference import scoring_collator
from .metrics import GroupMetrics
from .model import build_model, leaves_parameters_unused, suppress_untrained, trained_labels
from .model_card import tested_as
from .outputs import INCOMPLETE, SCORES
from .parsing import error_once
from .processes import cpu_only_distributed, exclusive_output, leave_process_group_at_exit
from .provenance import command_scope
from .public import public_summary
from .report import run_ending, scores_report
from .spec import RunArguments, TrainSpec
from .stopping import any_process, last_step_stops, not_scored_words, scoring_stops, stop_before_upload
from .summary import not_uploaded_words, publish_model, run_summary, write_outputs
from .trainer import SERTrainer
from .training_args import SERTrainingArguments

log = logging.getLogger("bimotion.training")


def resume_point(
    output_dir: Path, run_args: RunArguments, training_args: SERTrainingArguments, identity: dict, defaults: dict
):
    """The checkpoint this run continues, if any, after checking that it is this run's
    (:mod:`.identity`; ``defaults``: :func:`~.identity.argument_defaults`); another run's checkpoints in
    ``output_dir`` are refused, resumed or not.  Records the run's identity in ``output_dir``."""
    explicit = training_args.resume_from_checkpoint
    if explicit and (Path(explicit) / INCOMPLETE).exists():
        raise IncompleteCheckpoint(
            f"{explicit} was not saved whole (it holds {INCOMPLETE}: a kill cut its save short): "
            f"resume from an earlier checkpoint, or leave out --resume_from_checkpoint to resume from the last whole one"
        )
    if run_args.overwrite_output_dir:
        if explicit:
            raise ValueError(
                "--overwrite_output_dir trains from scratch: pass it or --resume_from_checkpoint, not both"
            )
        with training_args.main_process_first(desc="discarding the previous run"):
            if training_args.process_index == 0:
                discard_run(output_dir)
        found = None
    else:
        with training_args.main_process_first(desc="removing incomplete checkpoints"):
            if training_args.process_index == 0:
                remove_incomplete_checkpoints(output_dir)
        found = last_checkpoint(output_dir) if output_dir.is_dir() else None
        if found:
            check_resume(output_dir, identity, found, defaults, explicit)
        elif output_dir.is_dir():
            check_finished(output_dir, identity, defaults, explicit)  # a model without checkpoints: not replaced
    if explicit and Path(explicit).resolve().parent != output_dir.resolve():
        check_resume(Path(explicit).parent, identity, explicit, defaults, explicit)
    checkpoint = explicit or (found if run_args.resume else None)
    if training_args.process_index == 0:
        write_identity(output_dir, identity)
    if checkpoint and training_args.process_index == 0:  # one line for the launch, not one per process
        log.warning("resuming from %s", checkpoint)
    return checkpoint


def evaluate(trainer: SERTrainer, dataset, prefix: str) -> dict:
    """Per-group, per-corpus scores of ``trainer.model`` on ``dataset`` (all processes get them)."""
    trained = getattr(trainer.model.config, "trained_labels", None)
    intervals = INTERVAL_SAMPLES if prefix == "test" else 0  # a 95% interval per group, for the end table
    trainer.compute_metrics = metrics = GroupMetrics(dataset, trained_labels=trained, intervals=intervals)
    trainer.predict(dataset, metric_key_prefix=prefix)
    return metrics.last


def split_words(splits: dict[str, tuple]) -> list[str]:
    """``["validation sets (zho_eld)", "test sets (zho_eld)"]``: what a stop before or in the scoring
    leaves unscored (:func:`~.stopping.not_scored_words`)."""
    return [f"{split} sets ({', '.join(configs)})" for split, (_, configs) in splits.items()]


def score_splits(trainer: SERTrainer, splits: dict[str, tuple]) -> dict[str, dict]:
    """The trained model's scores on each split's ``(dataset, configs)`` (:func:`evaluate`); a SIGTERM
    stops at the next batch, naming the splits not scored yet (:func:`~.stopping.scoring_stops`)."""
    not_scored = split_words(splits)
    scores = {}
    with scoring_stops(trainer, not_scored):  # a checkpoint of the last step kept to score from
        for split, (dataset, _) in splits.items():
            scores[split] = evaluate(trainer, dataset, split)
            not_scored.pop(0)
    return scores


def training_arguments(spec: TrainSpec) -> SERTrainingArguments:
    """``transformers.TrainingArguments`` of ``spec``: the paper's defaults, ``spec.training`` over
    them, ``output_dir`` ``results/<name>`` unless given, and CPU training for several processes on
    a machine without GPUs (:func:`~.processes.cpu_only_distributed`)."""
    values = {"output_dir": str(Path("results") / spec.name), **spec.training}
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(SERTrainingArguments) if f.init})
    if unknown:
        raise ValueError(f"unknown training arguments {unknown}: see `python recipes/train.py --help`")
    if "use_cpu" not in values and cpu_only_distributed():
        values["use_cpu"] = True
    leave_process_group_at_exit()  # the arguments set up the process group of a launch
    return SERTrainingArguments(**values)


def train(
    spec: TrainSpec, training_args: SERTrainingArguments | None = None, *, command: list[str] | None = None
) -> dict:
    """Fine-tune on ``spec.train``, select on validation, score the test sets; returns scores.json's content.
    ``training_args``: :func:`training_arguments` of ``spec``, when the caller has built them already.
    The run holds its output folder (:func:`~.processes.exclusive_output`): a second run into it fails within seconds.
    ``command``: the command line ``provenance`` names (default: this process's; :func:`~.provenance.command_scope`)."""
    # a folder that is not there is named now, not as a Hub dataset that cannot be reached
    check_datasets(spec.data.datasets, cache_dir=spec.data.dataset_cache_dir)
    training_args = training_args or training_arguments(spec)
    check_card_replaceable(training_args.output_dir)  # now, not when the run's card replaces it hours later
    with command_scope(command), exclusive_output(Path(training_args.output_dir), training_args.process_index):
        return _train(spec, training_args)


def _train(spec: TrainSpec, training_args: SERTrainingArguments) -> dict:
    """Long: one run from its data to its upload, with its SIGTERM safe points in their order (training, the
    scoring, the upload's start within :func:`~bimotion.signals.stop_at_safe_points`; the upload after it)."""
    from transformers import set_seed

    from bimotion.signals import stop_at_safe_points

    data_args, run_args = spec.data, spec.run
    train_configs = list(spec.train.configs)
    sources = sources_of(data_args)
    validation_configs = split_list(data_args.validation_configs) or train_configs
    test_configs = split_list(data_args.test_configs) or default_test_configs(sources)
    output_dir = Path(training_args.output_dir)
    push, training_args.push_to_hub = training_args.push_to_hub, False  # we publish once, with our card

    with training_args.main_process_first(desc="loading datasets"):
        train_ds = load_split(sources, train_configs, "train")
        validation_ds = load_split(sources, validation_configs, "validation")
        test_ds = load_split(sources, test_configs, "test")
    if data_args.max_train_samples:
        train_ds = train_ds.shuffle(seed=training_args.seed).select(
            range(min(data_args.max_train_samples, len(train_ds)))
        )

    identity = run_identity(
        spec.model,
        data_args,
        run_args,
        training_args,
        sources=sources,
        train_configs=train_configs,
        validation_configs=validation_configs,
        train_ds=train_ds,
        validation_ds=validation_ds,
    )
    defaults = argument_defaults(spec.model, data_args, run_args, training_args)  # of fields an identity lacks
    checkpoint = resume_point(output_dir, run_args, training_args, identity, defaults)  # before any model is loaded

    set_seed(training_args.seed)  # the new head's initialisation must not depend on what ran before
    trainer = _trainer(spec, training_args, train_ds, validation_ds)
    splits = {"validation": (validation_ds, validation_configs), "test": (test_ds, test_configs)}
    # SIGTERM: the step ends, a checkpoint is saved, Terminated (stopping.py); in the last step too, naming
    # the sets the rerun scores (last_step_stops); after it, the scoring stops at a batch (scoring_stops)
    with stop_at_safe_points(functools.partial(any_process, training_args)):  # a lost stop: all processes, or none
        with last_step_stops(trainer, split_words(splits)):
            train_result = trainer.train(resume_from_checkpoint=checkpoint)
        suppress_untrained(trainer.model)  # untrained labels score ~0 in the saved model (model.py)
        trainer.save_model()
        trainer.save_state()

        scores = score_splits(trainer, splits)
        summary = run_summary(spec, training_args, trainer, train_ds, sources, test_configs, validation_configs)
        train_loss = trainer.run_train_loss(train_result, bool(checkpoint))
        summary.update(resumed_from=checkpoint, train_loss=train_loss, **scores)
        summary = public_summary(summary, output_dir)  # published with the model: no local path
        if trainer.is_world_process_zero():
            write_outputs(output_dir, summary, train_ds)
        if training_args.should_save:  # the run is whole: no checkpoint an uninterrupted run would not have
            remove_saved_at_stop(output_dir)
        if push and not run_args.push_dry_run:  # a stop as the outputs were written: taken before the upload
            stop_before_upload(training_args, not_uploaded_words(output_dir, training_args, started=False))
    if push and trainer.is_world_process_zero():  # here a SIGTERM stops the upload at once
        publish_model(output_dir, training_args, run_args.push_dry_run)
    return summary


def _trainer(spec: TrainSpec, training_args: SERTrainingArguments, train_ds, validation_ds) -> SERTrainer:
    """The model of ``spec.model`` (a new head) in a :class:`SERTrainer` with the data's collators."""
    from transformers import EarlyStoppingCallback

    model_args, data_args = spec.model, spec.data
    model, feature_extractor = build_model(
        model_args.model_name_or_path,
        dropout=model_args.dropout,
        classifier_proj_size=model_args.classifier_proj_size,
        freeze_feature_encoder=model_args.freeze_feature_encoder,
        normalize_audio=data_args.normalize_audio,
        revision=model_args.model_revision,
        cache_dir=model_args.model_cache_dir,
        **model_args.config_overrides(),
    )
    model.config.trained_labels = trained_labels(np.stack(column(train_ds, "label_mask")))
    if training_args.ddp_find_unused_parameters is None:  # the search costs a graph traversal per step
        training_args.ddp_find_unused_parameters = leaves_parameters_unused(model)
    callbacks = []
    patience = spec.run.early_stopping_patience
    if patience > 0 and training_args.eval_strategy != "no":
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=patience))
    return SERTrainer(
        model=model,
        args=training_args,
        train_dataset=train_ds,
        eval_dataset=validation_ds,
        data_collator=AudioCollator(
            feature_extractor,
            data_args.max_duration_s,
            data_args.pad_to_multiple_of,
            seed=training_args.seed if training_args.data_seed is None else training_args.data_seed,
        ),
        eval_data_collator=scoring_collator(feature_extractor, data_args.pad_to_multiple_of),
        processing_class=feature_extractor,
        # scored as the selected model's validation is scored after: labels it never trained on predicted absent
        compute_metrics=GroupMetrics(validation_ds, trained_labels=model.config.trained_labels),
        callbacks=callbacks,
    )


def train_and_report(
    spec: TrainSpec, *, target: str | None = None, heading: str | None = None, command: list[str] | None = None
) -> int:
    """A training recipe's run after its arguments are checked: :func:`train` (naming ``command``), then
    (main process) where the outputs are, ``heading`` and the per-group scores with their chance levels (``target``
    starred).  Returns the exit code: 1 when only the upload failed (the model is saved), 2 when another run holds
    the output folder, its checkpoints are another run's, its README.md is not a model card bimotion wrote, the checkpoint given was not saved whole, a data or model file
    or the folder's run_identity.json is damaged or memory ran out (:func:`~bimotion.memory.said_out_of_memory`),
    130 on Ctrl-C and 143 on SIGTERM (Slurm's time limit: a checkpoint is saved after the step under way, the last one too; once training is done, the scoring
    stops at a batch; the closing line then names the sets not scored), each saying how to continue from the last
    checkpoint; 0 for a SIGTERM once the model is scored, or a stop a finalizer swallowed then: the run finishes; but with
    ``--push_to_hub`` such a stop is taken before the upload, and one during it stops it (143 or 130: the model is saved,
    not uploaded; the closing line gives the ``bimotion push`` command that uploads it)."""
    from bimotion.data.publish import OutputLockedError
    from bimotion.memory import ALLOCATION_FAILURES, ready_for_a_limit, said_out_of_memory
    from bimotion.signals import exit_code, late_stop, lost_stop, stop_word, terminate_as_interrupt

    ready_for_a_limit()  # under a memory limit: memory kept for the out-of-memory line, and no glibc abort after it
    training_args = training_arguments(spec)
    try:
        with terminate_as_interrupt():
            summary = train(spec, training_args, command=command)
            late = lost_stop()  # one a finalizer swallowed after the last safe point (as outputs were written)
    except HubError as err:  # the base model's load from the Hub, or the upload (trained and saved) failed: every
        error_once(err)  # process of a launch loads the base model, said once (the upload, the main process's alone)
        return 1
    except (OutputLockedError, RunMismatch, IncompleteCheckpoint, ForeignCard, DamagedFileError) as err:
        # a damaged file: every process of a launch may meet it, said once (error_once: one only this process met, too)
        if training_args.process_index == 0 or isinstance(err, DamagedFileError):
            error_once(err)
        return 2
    except ALLOCATION_FAILURES as err:  # an allocation that failed: one line, with the fix
        return said_out_of_memory(err, Path(sys.argv[0]).name or "training")
    except KeyboardInterrupt as err:  # Ctrl-C or SIGTERM
        if training_args.process_index == 0:
            out = training_args.output_dir
            found = last_checkpoint(out) if Path(out).is_dir() else None
            advice = how_to_continue(found, spec.run, out)
            if not_uploaded := getattr(err, "not_uploaded", None):  # before or in the upload: the model is whole
                advice = not_uploaded
            elif unscored := not_scored_words(err):  # training was done (stopping.scoring_stops)
                advice = f"training is done, but {unscored} were not scored (no {SCORES} yet); {advice}: it trains nothing, it scores"
            print(f"{stop_word(err)}: {advice}", file=sys.stderr)
        return exit_code(err)
    if (word := late_stop(late)) and training_args.process_index == 0:  # once the model was scored: nothing to stop
        print(f"{word} came as the run ended: the run finished all the same; nothing to rerun", file=sys.stderr)
    if training_args.process_index == 0:
        print(f"\nmodel, scores.json and model card: {training_args.output_dir}")
        print(run_ending(summary))
        if heading:
            print(heading)
        print(scores_report(summary["test"], target=target, names=tested_as(summary)))
    return 0
