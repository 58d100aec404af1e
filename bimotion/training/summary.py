"""What a finished training run records: ``scores.json``'s description of the run
(:func:`run_summary`, the scores added by :func:`~.run.train`), the files written beside the model
(:func:`write_outputs`: ``scores.json``, the test confusion figure, the training manifest, the model
card) and the model sent to the Hub (:func:`publish_model`)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np

from bimotion.card_caveats import data_caveats
from bimotion.data.layout import recorded_infos, synthetic_recorded
from bimotion.extras import not_drawn
from bimotion.hub_upload import plan_lines, publish, repo_url
from bimotion.registry import BENCHMARKS
from bimotion.splits import split_record
from loaders.files import write_text_atomic

from .confusion_plot import confusion_title, draw_confusion
from .data import column, manifest_hash
from .model import trained_labels
from .model_card import CARD_DIGEST, card_digest, render_card
from .outputs import CONFUSION, SCORES, write_training_manifest
from .processes import note
from .provenance import provenance
from .spec import TrainSpec
from .training_args import SERTrainingArguments


def write_json(path: Path, data: dict) -> None:
    """Atomically: a reader (the grid, a second worker) never sees half a file."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def prepared_records(sources) -> dict[str, dict | None]:
    """Each given benchmark's prepare.json (a Hub dataset's too; None where there is none), read once
    for the split protocols and the generated data scores.json records (:func:`~bimotion.data.layout.recorded_infos`);
    a Hub dataset's that could not be fetched is None too, and a warning says so (the run is done: kept)."""
    unreached: dict = {}
    records = recorded_infos({name: getattr(sources, name, None) for name in BENCHMARKS}, unreached=unreached)
    for err in unreached.values():
        note(f"warning: {err}; scores.json and the model card record no split rule or generated data of it")
    return records


def label_spaces(dataset) -> dict[str, list[str]]:
    """The labels each corpus of ``dataset`` annotates (its rows' ``label_mask``): what a model card
    lists, for a user's corpus too, which has no entry in :data:`loaders.labels.CORPUS_LABEL_MAPS`."""
    corpora = column(dataset, "corpus")
    masks = np.stack(column(dataset, "label_mask"))
    return {corpus: trained_labels(masks[corpora == corpus]) for corpus in sorted(set(corpora.tolist()))}


def run_summary(spec: TrainSpec, training_args, trainer, train_ds, sources, test_configs, validation_configs) -> dict:
    """scores.json's description of the run (the scores are added by :func:`~.run.train`)."""
    model_args, data_args = spec.model, spec.data
    durations, records = column(train_ds, "duration_s"), prepared_records(sources)
    return {
        "run_name": spec.name,
        "base_model": model_args.model_name_or_path,
        "target": spec.target,
        "mixture": spec.mixture,
        "train_configs": list(spec.train.configs),
        "validation_configs": validation_configs,
        "test_configs": test_configs,
        "train_groups": list(spec.train.groups),
        "train_corpora": sorted(set(column(train_ds, "corpus").tolist())),
        "protocols": {name: (info or {}).get("protocol") for name, info in records.items()},  # split protocols
        "user_splits": {n: split_record(i) for n, i in records.items() if split_record(i)},  # users' own split columns
        "synthetic": synthetic_recorded(records),  # generated data
        "data_caveats": data_caveats(records, sorted(set(column(train_ds, "corpus").tolist()))),  # the model card's
        "label_spaces": label_spaces(train_ds),
        "trained_labels": list(trainer.model.config.trained_labels),
        "datasets": {name: getattr(sources, name) for name in BENCHMARKS if getattr(sources, name)},
        "train_manifest": {
            "hash": manifest_hash(train_ds),
            "num_clips": len(train_ds),
            "hours": float(durations.sum() / 3600),
        },
        "resumed_from": None,
        "selection": {
            "metric": training_args.metric_for_best_model,
            "selected": bool(training_args.load_best_model_at_end),  # False: the model after the last step
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "best_metric": trainer.state.best_metric,
            "global_step": trainer.state.global_step,
            "max_steps": trainer.state.max_steps,  # planned: a run that stopped early ends before it
            "epochs": trainer.state.epoch,
        },
        "hyperparameters": {
            "learning_rate": training_args.learning_rate,
            "num_train_epochs": training_args.num_train_epochs,
            "max_steps": training_args.max_steps,
            "train_batch_size": training_args.per_device_train_batch_size,
            "gradient_accumulation_steps": training_args.gradient_accumulation_steps,
            "world_size": training_args.world_size,
            "seed": training_args.seed,
            "dropout": model_args.dropout,
            "classifier_proj_size": model_args.classifier_proj_size,
            "freeze_feature_encoder": model_args.freeze_feature_encoder,
            "max_duration_s": data_args.max_duration_s,
            "normalize_audio": data_args.normalize_audio,
            "loss_reduction": training_args.loss_reduction,
            "max_grad_norm": training_args.max_grad_norm,
            "early_stopping_patience": spec.run.early_stopping_patience,
            "precision": training_args.mixed_precision,
        },
        "train_loss": None,
        "provenance": provenance({name: getattr(sources, name) for name in BENCHMARKS}, training_args.seed),
        "hub_model_id": training_args.hub_model_id,
        "validation": None,
        "test": None,
    }


def write_outputs(output_dir: Path, summary: dict, train_ds) -> None:
    card = render_card(summary)  # scores.json records its digest: a later push tells an edited card
    write_json(output_dir / SCORES, {**summary, CARD_DIGEST: card_digest(str(card))})
    skipped = not_drawn(f"the confusion figure {output_dir / CONFUSION}")  # train() without the [plots] extra
    if skipped:
        note(skipped)  # the run's other files are written
    else:
        spec, seed = "+".join(summary["train_configs"]), summary["hyperparameters"]["seed"]
        title = confusion_title(spec, "the test split", seed, summary.get("run_name"))
        draw_confusion(summary["test"], output_dir / CONFUSION, title, summary["synthetic"])
    write_training_manifest(output_dir, column(train_ds, "id").tolist(), _trained_audio(train_ds))
    card.save(output_dir / "README.md")


def _trained_audio(train_ds) -> list[tuple[str, int, str]]:
    """``(id, samples, digest)`` of each training clip's stored audio (:func:`bimotion.features.stored_digest`), a
    batch of rows at a time: what ``bimotion predict`` tells the recordings the model trained on by."""
    from bimotion.features import stored_digest

    found = []
    for batch in train_ds.select_columns(["id", "audio"]).with_format("arrow").iter(batch_size=256):
        audio = batch.column("audio").combine_chunks().field("bytes").to_pylist()
        found += [
            (clip, *stored_digest(data)) for clip, data in zip(batch.column("id").to_pylist(), audio, strict=True)
        ]
    return found


def publish_model(output_dir: Path, training_args: SERTrainingArguments, dry_run: bool) -> None:
    """Upload the trained model (``--push_to_hub``), on the main process, once its outputs are written, outside
    :func:`bimotion.signals.stop_at_safe_points`: a SIGTERM during the upload stops it at once (a multi-GB upload
    outlasts Slurm's grace period).  A stop that came before it (pending, or lost in a finalizer) uploads nothing.
    Either stop carries ``not_uploaded`` (:func:`not_uploaded_words`), what the closing line says."""
    from bimotion.signals import Terminated, stop_if_lost, take_pending_stop

    if not training_args.hub_model_id:
        raise ValueError("--push_to_hub needs --hub_model_id OWNER/NAME")
    started = False
    try:
        if not dry_run:
            if take_pending_stop():  # a SIGTERM as the run's last safe point passed: before any byte is sent
                raise Terminated("terminated by SIGTERM before the upload")
            stop_if_lost()
        started = True
        plan = publish(
            output_dir,
            training_args.hub_model_id,
            token=training_args.hub_token,
            private=training_args.hub_private_repo,
            dry_run=dry_run,
        )
    except KeyboardInterrupt as err:
        err.not_uploaded = not_uploaded_words(output_dir, training_args, started=started)
        raise
    private, hub_id = training_args.hub_private_repo, training_args.hub_model_id
    print("\n".join(plan_lines(plan, hub_id, repo_type="model", private=private, dry_run=dry_run, done=not dry_run)))


def push_command(output_dir: Path, training_args: SERTrainingArguments) -> str:
    """The command that uploads ``output_dir`` as ``--push_to_hub`` would have: ``bimotion push OUT --repo-id
    OWNER/NAME`` (``--public`` too where asked; the token is the logged-in one or ``HF_TOKEN``, never printed)."""
    public = " --public" if training_args.hub_private_repo is False else ""
    return f"bimotion push {shlex.quote(str(output_dir))} --repo-id {training_args.hub_model_id}{public}"


def not_uploaded_words(output_dir: Path, training_args: SERTrainingArguments, *, started: bool) -> str:
    """What a stop before (``started`` False) or during the upload of a trained model leaves, for the closing
    line: the model is whole in ``output_dir``, not on the Hub, and the command that uploads it."""
    url = repo_url(training_args.hub_model_id)
    if started:  # the Hub makes a commit whole or not at all: what went up before it is in no revision
        state = (
            f"its upload to {url} was cut short before the Hub made its commit, so the repository holds none of "
            "its files (it may have been created, empty)"
        )
    else:
        state = f"nothing was uploaded to {url}"
    return (
        f"the model is trained, scored and saved in {output_dir} (with {SCORES} and its card); {state}; "
        f"upload it with `{push_command(output_dir, training_args)}`"
    )
