"""What the recipes run: train on a list of configurations and score every test group; score a
trained model on any groups (cross-group inference).  Results go to ``scores.json`` beside the model,
with the training manifest (``train_manifest.txt``) and the model card (``README.md``)."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import tempfile
from pathlib import Path

from bimotion.registry import BENCHMARKS

from .args import DataArguments, ModelArguments, RunArguments, SERTrainingArguments, split_list
from .card import public_summary, publish, render_card
from .collator import AudioCollator
from .data import Sources, column, load_split, manifest_hash
from .identity import check_resume, discard_run, run_identity, write_identity
from .metrics import GroupMetrics
from .mixtures import groups_of, relation
from .model import build_model, load_classifier
from .trainer import SERTrainer

log = logging.getLogger("bimotion.training")
SCORES = "scores.json"
MANIFEST = "train_manifest.txt"


def sources_of(data_args: DataArguments) -> Sources:
    return Sources(data_args.bimotion, data_args.yuemotion, data_args.dataset_cache_dir)


def default_test_configs(sources: Sources) -> list[str]:
    """Every group of every benchmark given that its prepared dataset has (the paper scores every
    model on every group)."""
    from datasets import get_dataset_config_names

    out = []
    for name, bench in BENCHMARKS.items():
        path = getattr(sources, name)
        if path:
            present = set(get_dataset_config_names(path))
            out += [g for g in bench.groups if g in present]
    return out


def last_checkpoint(output_dir: str | Path) -> str | None:
    """The newest *complete* checkpoint (its ``trainer_state.json`` is written last), if any."""
    found = []
    for path in Path(output_dir).glob("checkpoint-*"):
        match = re.fullmatch(r"checkpoint-(\d+)", path.name)
        if match and (path / "trainer_state.json").is_file():
            found.append((int(match.group(1)), str(path)))
    return max(found)[1] if found else None


def resume_point(output_dir: Path, run_args: RunArguments, training_args: SERTrainingArguments, identity: dict):
    """The checkpoint this run continues, if any, after checking that it is this run's
    (:mod:`.identity`); another run's checkpoints in ``output_dir`` are refused, resumed or not.
    Records the run's identity in ``output_dir``."""
    explicit = training_args.resume_from_checkpoint
    if run_args.overwrite_output_dir:
        if explicit:
            raise ValueError("--overwrite_output_dir trains from scratch: pass it or --resume_from_checkpoint, not both")
        with training_args.main_process_first(desc="discarding the previous run"):
            if training_args.process_index == 0:
                discard_run(output_dir)
        found = None
    else:
        found = last_checkpoint(output_dir) if output_dir.is_dir() else None
        if found:
            check_resume(output_dir, identity, found)
    if explicit and Path(explicit).resolve().parent != output_dir.resolve():
        check_resume(Path(explicit).parent, identity, explicit)
    checkpoint = explicit or (found if run_args.resume else None)
    if training_args.process_index == 0:
        write_identity(output_dir, identity)
    if checkpoint:
        log.warning("resuming from %s", checkpoint)
    return checkpoint


def evaluate(trainer: SERTrainer, dataset, prefix: str) -> dict:
    """Per-group, per-corpus scores of ``trainer.model`` on ``dataset`` (all processes get them)."""
    trainer.compute_metrics = metrics = GroupMetrics(dataset)
    trainer.predict(dataset, metric_key_prefix=prefix)
    return metrics.last


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def train(
    model_args: ModelArguments,
    data_args: DataArguments,
    run_args: RunArguments,
    training_args: SERTrainingArguments,
    *,
    train_configs: list[str],
    run_name: str,
    target: str | None = None,
    mixture: str | None = None,
) -> dict:
    """Fine-tune on ``train_configs``, select on validation, score the test sets; returns scores.json's content."""
    from transformers import EarlyStoppingCallback, set_seed

    train_configs = split_list(train_configs)
    sources = sources_of(data_args)
    validation_configs = split_list(data_args.validation_configs) or train_configs
    test_configs = split_list(data_args.test_configs) or default_test_configs(sources)
    if not getattr(training_args, "output_dir_given", True):
        training_args.output_dir = str(Path("results") / run_name)
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
        model_args,
        data_args,
        run_args,
        training_args,
        sources=sources,
        train_configs=train_configs,
        validation_configs=validation_configs,
        train_ds=train_ds,
        validation_ds=validation_ds,
    )
    checkpoint = resume_point(output_dir, run_args, training_args, identity)  # before any model is loaded

    set_seed(training_args.seed)  # the new head's initialisation must not depend on what ran before
    model, feature_extractor = build_model(
        model_args.model_name_or_path,
        dropout=model_args.dropout,
        classifier_proj_size=model_args.classifier_proj_size,
        freeze_feature_encoder=model_args.freeze_feature_encoder,
        revision=model_args.model_revision,
        cache_dir=model_args.model_cache_dir,
        **model_args.config_overrides(),
    )
    callbacks = []
    if run_args.early_stopping_patience > 0 and training_args.eval_strategy != "no":
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=run_args.early_stopping_patience))
    trainer = SERTrainer(
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
        eval_data_collator=AudioCollator(feature_extractor, None, data_args.pad_to_multiple_of),
        processing_class=feature_extractor,
        compute_metrics=GroupMetrics(validation_ds),
        callbacks=callbacks,
    )
    train_result = trainer.train(resume_from_checkpoint=checkpoint)
    trainer.save_model()
    trainer.save_state()

    validation = evaluate(trainer, validation_ds, "validation")
    test = evaluate(trainer, test_ds, "test")
    durations = column(train_ds, "duration_s")
    summary = {
        "run_name": run_name,
        "base_model": model_args.model_name_or_path,
        "target": target,
        "mixture": mixture,
        "train_configs": train_configs,
        "validation_configs": validation_configs,
        "test_configs": test_configs,
        "train_groups": groups_of(train_configs),
        "train_corpora": sorted(set(column(train_ds, "corpus").tolist())),
        "datasets": {name: getattr(sources, name) for name in BENCHMARKS if getattr(sources, name)},
        "train_manifest": {
            "hash": manifest_hash(train_ds),
            "num_clips": len(train_ds),
            "hours": float(durations.sum() / 3600),
        },
        "resumed_from": checkpoint,
        "selection": {
            "metric": training_args.metric_for_best_model,
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "best_metric": trainer.state.best_metric,
            "global_step": trainer.state.global_step,
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
            "early_stopping_patience": run_args.early_stopping_patience,
            "precision": training_args.mixed_precision,
        },
        "train_loss": train_result.training_loss,
        "hub_model_id": training_args.hub_model_id,
        "validation": validation,
        "test": test,
    }
    summary = public_summary(summary, output_dir)  # published with the model: no local path
    if trainer.is_world_process_zero():
        _write_json(output_dir / SCORES, summary)
        (output_dir / MANIFEST).write_text("\n".join(sorted(column(train_ds, "id").tolist())) + "\n")
        render_card(summary).save(output_dir / "README.md")
        if push:
            if not training_args.hub_model_id:
                raise ValueError("--push_to_hub needs --hub_model_id OWNER/NAME")
            plan = publish(
                output_dir,
                training_args.hub_model_id,
                token=training_args.hub_token,
                private=training_args.hub_private_repo,
                dry_run=run_args.push_dry_run,
            )
            verb = "would upload" if run_args.push_dry_run else "uploaded"
            print(f"{verb} to {training_args.hub_model_id}:")
            for path, size in plan:
                print(f"  {path}\t{size}")
    return summary


def infer(
    model_name_or_path: str,
    data_args: DataArguments,
    training_args: SERTrainingArguments,
    *,
    configs: list[str] | None,
    split: str = "test",
    output_file: str | None = None,
) -> dict:
    """Score a trained model on ``split`` of ``configs`` (default: every group of the given datasets)."""
    sources = sources_of(data_args)
    configs = split_list(configs) or default_test_configs(sources)
    with tempfile.TemporaryDirectory(prefix="bimotion-infer-") as scratch:  # Trainer wants an output_dir
        training_args = dataclasses.replace(
            training_args,
            eval_strategy="no",
            save_strategy="no",
            load_best_model_at_end=False,
            output_dir=training_args.output_dir if getattr(training_args, "output_dir_given", True) else scratch,
        )
        with training_args.main_process_first(desc="loading datasets"):
            dataset = load_split(sources, configs, split)
        model, feature_extractor = load_classifier(model_name_or_path)
        collator = AudioCollator(feature_extractor, None, data_args.pad_to_multiple_of)
        trainer = SERTrainer(
            model=model,
            args=training_args,
            data_collator=collator,
            eval_data_collator=collator,
            processing_class=feature_extractor,
        )
        scores = evaluate(trainer, dataset, split)
    trained_on = _trained_groups(model_name_or_path)
    result = {
        "model": model_name_or_path,
        "split": split,
        "configs": configs,
        "datasets": {name: getattr(sources, name) for name in BENCHMARKS if getattr(sources, name)},
        "trained_on": trained_on,
        "relation": {g: relation(trained_on, g) for g in scores["groups"]} if trained_on else None,
        split: scores,
    }
    if trainer.is_world_process_zero():
        local = Path(model_name_or_path)
        path = (
            Path(output_file) if output_file else (local if local.is_dir() else Path(".")) / f"inference_{split}.json"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_json(path, result)
        result["output_file"] = str(path)
    return result


def _trained_groups(model_name_or_path: str) -> list[str] | None:
    path = Path(model_name_or_path) / SCORES
    if path.is_file():
        return json.loads(path.read_text()).get("train_groups")
    return None
