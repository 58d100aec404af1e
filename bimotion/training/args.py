"""The recipes' arguments, as dataclasses for ``transformers.HfArgumentParser``, with the paper's
hyper-parameters as defaults: AdamW, learning rate 5e-5, dropout 0.1, 20 epochs, batch size 8,
early stopping after 5 epochs without improvement, seed 0, best model on validation loss.

The model, data and run sections live in :mod:`.spec` (plain dataclasses), ``SERTrainingArguments`` in
:mod:`.training_args` (imported from here on first use); :func:`to_spec` turns parsed arguments into
the :class:`~.spec.TrainSpec` that :func:`bimotion.training.run.train` takes.  Every check here raises
:class:`ArgumentError` before any data is read, and importing this module imports neither torch nor
``transformers``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bimotion.hub import is_hub_id
from bimotion.mixture import Mixture, parse_mixture

from .data_checks import (
    check_configs,
    check_datasets,
    check_hub_id,
    check_present,
    check_split_rows,
    split_list,
)
from .parsing import (
    DROPOUT,
    NON_NEGATIVE,
    POSITIVE,
    PROBABILITY,
    ArgumentError,
    Range,
    check_ranges,
    check_seeds,
    one_line,
)
from .spec import DataArguments, ModelArguments, RunArguments, TrainSpec

if TYPE_CHECKING:
    from .training_args import SERTrainingArguments


def __getattr__(name: str):
    """``SERTrainingArguments`` on first use: ``transformers.TrainingArguments`` imports torch and
    accelerate, seconds that a recipe without training arguments, or a check's error, need not wait."""
    if name == "SERTrainingArguments":
        from .training_args import SERTrainingArguments

        return SERTrainingArguments
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def training_values(training_args: SERTrainingArguments) -> dict[str, Any]:
    """The ``TrainingArguments`` values that differ from :class:`SERTrainingArguments`' defaults
    (an ``output_dir`` that was not given stays out: the run names its own)."""
    out = {}
    for f in fields(training_args):
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        value = getattr(training_args, f.name)
        if f.init and value != default and not (f.name == "output_dir" and not training_args.output_dir_given):
            out[f.name] = value
    return out


def to_spec(
    model_args: ModelArguments,
    data_args: DataArguments,
    run_args: RunArguments,
    training_args: SERTrainingArguments,
    *,
    train: str | list[str] | Mixture,
    **kwargs,
) -> TrainSpec:
    """The :class:`~.spec.TrainSpec` of parsed recipe arguments (``kwargs``: ``run_name``, ``target``, ``mixture``)."""
    mixture = (
        train if isinstance(train, Mixture) else parse_mixture(split_list([train] if isinstance(train, str) else train))
    )
    return TrainSpec(mixture, model_args, data_args, run_args, training_values(training_args), **kwargs)


# ---------------------------------------------------------------------------------------------- checked up front


def check_model(
    value: str | None,
    flag: str,
    *,
    probes: bool = False,
    offline_check: bool = True,
    cache_dir: str | None = None,
    revision: str | None = None,
) -> None:
    """A saved model folder (:func:`.outputs.model_kind`; ``probes``: a probe's too), its weights there
    (:func:`.model.missing_weights`) and whole (:func:`.model.damaged_weights`), or a plausible Hub model id,
    which (``offline_check``) must be in the cache offline (:func:`check_hub_id`, with ``cache_dir``, ``revision``)."""
    from .model import damaged_weights, missing_weights
    from .outputs import MixedModelFolder, model_kind

    if not value:
        raise ArgumentError(f"{flag} is required: a model folder or a Hub id (OWNER/NAME)")
    path = Path(value).expanduser()
    try:
        kind = model_kind(path)
    except MixedModelFolder as err:
        raise ArgumentError(f"{flag} {err}") from None
    if kind == "probe" and not probes:
        raise ArgumentError(
            f"{flag} {value}: a probe (a head on frozen features, recipes/probe.py), which this recipe does not "
            "run; pass a fine-tuned model folder (recipes/train.py); a probe's scores are in its scores.json"
        )
    if kind is None and path.is_dir():
        raise ArgumentError(f"{flag} {value}: the folder has no config.json; give a saved model folder or a Hub id")
    if kind == "model" and (missing := missing_weights(value)):  # before any data is read, not at the model's load
        raise ArgumentError(f"{flag} {missing}")
    if kind == "model" and (damaged := damaged_weights(str(path))):  # before any data is read
        raise ArgumentError(f"{flag} {damaged}")
    if kind is None and not is_hub_id(value):
        raise ArgumentError(f"{flag} {value}: no such model folder, and not a Hub id (OWNER/NAME)")
    if kind is None and offline_check:
        check_hub_id(value, flag, "model", cache_dir=cache_dir, revision=revision)


def check_classifier(value: str, flag: str) -> None:
    """A model folder (:func:`check_model` passed) whose config.json names the 13 BiMotion labels, its
    preprocessor_config.json beside it (:data:`.model.NO_FEATURE_EXTRACTOR`):
    a base model or another task's classifier is an ArgumentError before any data is read, not a
    traceback once it loads (:func:`.model.not_a_classifier`; a Hub id is checked as it loads)."""
    import json

    from .model import NO_FEATURE_EXTRACTOR, not_a_classifier
    from .outputs import MODEL_CONFIG, model_kind

    path = Path(value).expanduser()
    if model_kind(path) != "model":
        return
    try:
        config = json.loads((path / MODEL_CONFIG).read_text(encoding="utf-8"))
        id2label = config.get("id2label") or {}
        labels = [str(id2label[str(i)]) for i in range(len(id2label))] or ["LABEL_0", "LABEL_1"]
    except (OSError, ValueError, KeyError, AttributeError) as err:
        raise ArgumentError(f"{flag} {value}: its {MODEL_CONFIG} does not read ({one_line(err)})") from err
    if error := not_a_classifier(value, labels):
        raise ArgumentError(f"{flag} {error}")
    if not (path / "preprocessor_config.json").is_file():  # else transformers' OSError once the data is read
        raise ArgumentError(f"{flag} {value}: {NO_FEATURE_EXTRACTOR}")


def check_positive(obj, *names: str, optional: bool = False) -> None:
    """Each ``--name`` > 0 (``optional``: or unset)."""
    unset = [name for name in names if getattr(obj, name) is None]
    if unset and not optional:
        raise ArgumentError(f"--{unset[0]} must be {POSITIVE}, not None")
    check_ranges(obj, dict.fromkeys(names, POSITIVE))


# The numbers of a training run, by the arguments that hold them (an unset optional one is not checked);
# NaN and infinity are never in range (a NaN weight decay trained NaN weights and exited 0).
TRAINING_RANGES = {
    "learning_rate": POSITIVE,
    "weight_decay": NON_NEGATIVE,
    "max_grad_norm": NON_NEGATIVE,
    "per_device_train_batch_size": POSITIVE,
    "per_device_eval_batch_size": POSITIVE,
    "gradient_accumulation_steps": POSITIVE,
    "max_batch_duration_s": POSITIVE,
}
MODEL_RANGES = {
    "classifier_proj_size": POSITIVE,
    "dropout": DROPOUT,
    "layerdrop": PROBABILITY,
    "mask_time_prob": PROBABILITY,
}
DATA_RANGES = {"max_duration_s": POSITIVE, "pad_to_multiple_of": POSITIVE, "max_train_samples": POSITIVE}
RUN_RANGES = {"early_stopping_patience": Range(0, note="0: off")}


def check_training(
    model_args: ModelArguments,
    data_args: DataArguments,
    run_args: RunArguments,
    training_args: SERTrainingArguments,
    *,
    train_configs: Iterable[str] | None,
    train_flag: str = "--train_configs",
    validation_flag: str = "--validation_configs",
) -> None:
    """Everything about a training run that needs no audio and no model (of the data, only the local
    prepared folders' prepare.json); raises :class:`ArgumentError`.  Errors name ``train_flag`` and
    ``validation_flag``: a recipe that fills ``--validation_configs`` itself names what it filled
    them from."""
    datasets = data_args.datasets
    check_datasets(datasets, cache_dir=data_args.dataset_cache_dir)
    check_configs(train_configs, train_flag, datasets)  # a mistyped config first: it needs no network
    check_configs(data_args.validation_configs, validation_flag, datasets)
    check_configs(data_args.test_configs, "--test_configs", datasets)
    check_model(
        model_args.model_name_or_path,
        "--model_name_or_path",
        cache_dir=model_args.model_cache_dir,
        revision=model_args.model_revision,
    )
    check_hyperparameters(model_args, data_args, run_args, training_args)
    # what validation reads: --validation_configs, else the training configs
    validation = (
        None if train_configs is None else split_list(data_args.validation_configs) or split_list(list(train_configs))
    )
    if validation is not None:
        check_selection_metric(training_args.metric_for_best_model, parse_mixture(validation).shards, datasets)
    check_present(
        {
            train_flag: train_configs,
            validation_flag: data_args.validation_configs,
            "--test_configs": data_args.test_configs,
        },
        datasets,
        every_group="--test_configs",
    )
    if validation is not None:
        check_split_rows(
            [
                (train_flag, "train", train_configs),
                (validation_flag if data_args.validation_configs else train_flag, "validation", validation),
                ("--test_configs", "test", data_args.test_configs),
            ],
            datasets,
        )
    if training_args.push_to_hub and train_configs is not None:
        warn_licences(data_args, train_configs)


def check_selection_metric(metric: str | None, validation_shards, datasets: dict[str, str | None]) -> None:
    """``--metric_for_best_model`` is a score that validation on these shards produces, of the
    corpora the local prepared folders hold validation rows of (else training would run an epoch
    and then fail on a missing key); raises :class:`ArgumentError`."""
    from bimotion.data.held import held_shards

    from .metrics import metric_names

    if metric is None:
        return
    names = metric_names(held_shards(datasets.get, validation_shards, "validation") or validation_shards)
    if (metric if metric.startswith("eval_") else f"eval_{metric}") not in names:
        shown = [n.removeprefix("eval_") for n in names]
        raise ArgumentError(
            f"--metric_for_best_model {metric!r} is not a validation score of this run; choose one of: "
            f"{', '.join(shown)}"
        )


def check_hyperparameters(
    model_args: ModelArguments, data_args: DataArguments, run_args: RunArguments, training_args: SERTrainingArguments
) -> None:
    """The numbers and the publishing flags of a training run; raises :class:`ArgumentError`."""
    check_ranges(training_args, TRAINING_RANGES)
    if training_args.max_steps == 0 or training_args.max_steps < -1:
        raise ArgumentError(f"--max_steps must be > 0 (or -1: train --num_train_epochs), not {training_args.max_steps}")
    if training_args.max_steps < 0:
        check_ranges(training_args, {"num_train_epochs": POSITIVE})
    check_seeds([training_args.seed], "--seed")
    for args, ranges in ((model_args, MODEL_RANGES), (data_args, DATA_RANGES), (run_args, RUN_RANGES)):
        check_ranges(args, ranges)
    if run_args.overwrite_output_dir and training_args.resume_from_checkpoint:
        raise ArgumentError("--overwrite_output_dir trains from scratch: pass it or --resume_from_checkpoint, not both")
    from bimotion.data.layout import output_error

    # not given: transformers' placeholder (trainer_output) stands in it; the run's is results/<run> here
    output_dir = training_args.output_dir if training_args.output_dir_given else Path.cwd() / "results"
    if error := output_error(output_dir, "--output_dir"):
        raise ArgumentError(error)
    if run_args.push_dry_run and not training_args.push_to_hub:
        raise ArgumentError("--push_dry_run lists what --push_to_hub would upload: give --push_to_hub too")
    if training_args.push_to_hub or training_args.hub_model_id:
        check_hub(training_args, dry_run=run_args.push_dry_run or not training_args.push_to_hub)


def check_hub(training_args: SERTrainingArguments, *, dry_run: bool) -> None:
    """``--hub_model_id`` is ``OWNER/NAME``; unless ``dry_run``, the Hub is on, a token is there and
    answers (:func:`bimotion.hub_upload.check_push`): an upload that cannot happen fails before training."""
    from bimotion.hub import HubError
    from bimotion.hub_upload import check_push

    if not training_args.hub_model_id:
        raise ArgumentError("--push_to_hub needs --hub_model_id OWNER/NAME")
    try:
        check_push(training_args.hub_model_id, token=training_args.hub_token, flag="--hub_model_id", dry_run=dry_run)
    except HubError as err:
        raise ArgumentError(f"--push_to_hub: {err}" if "--hub_model_id" not in str(err) else str(err)) from err


def warn_licences(data_args: DataArguments, train_configs: Iterable[str]) -> None:
    """Before training for ``--push_to_hub``: warn about each training corpus whose licence (as the
    local prepared folder's prepare.json records it, else as the corpus's source says: a Hub
    dataset id too) restricts what is derived from it (:func:`bimotion.hub_licences.licence_warnings`: what,
    and what to do), and once when some are generated (:func:`bimotion.hub_licences.synthetic_warnings`)."""
    import sys

    from bimotion.data.layout import is_prepared, read_info
    from bimotion.hub_licences import licence_warnings, sharing_licences, synthetic_warnings

    licenses, unknown, generated = {}, [], []
    shards = parse_mixture(split_list(list(train_configs))).shards
    for bench in dict.fromkeys(s.benchmark for s in shards):
        path = getattr(data_args, bench)
        info = read_info(path) if path and is_prepared(path) else None
        corpora = [s.corpus for s in shards if s.benchmark == bench]
        made, found, missing = sharing_licences(corpora, (info or {}).get("synthetic") or {}, info)
        generated += made
        licenses.update(found)
        unknown += missing
    warnings = synthetic_warnings(generated, "model") + licence_warnings(licenses, "model")
    warnings += [
        f"{corpus}'s licence is unknown here: make sure you may share what is derived from it (the model is "
        "trained on it)"
        for corpus in unknown
    ]
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
