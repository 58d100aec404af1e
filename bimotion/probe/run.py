"""Train a probe (a head on frozen features) on configurations, score every test group, and predict
with it: the same ``scores.json`` (:func:`bimotion.training.metrics.score_groups`) and the same
prediction arrays as the fine-tuning backend (:mod:`bimotion.training.run`,
:func:`bimotion.training.inference.predict`), so the grid reads either."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from bimotion.data.held import held_shards
from bimotion.mixture import Shard, parse_mixture
from bimotion.registry import BENCHMARKS
from bimotion.training.bootstrap import INTERVAL_SAMPLES
from bimotion.training.data import Sources, sources_of, with_split_rows
from bimotion.training.metrics import trained_mask
from bimotion.training.model import UNTRAINED_BIAS, trained_labels
from bimotion.training.outputs import PROBE_CONFIG, SCORES, model_kind, write_training_manifest
from bimotion.training.provenance import command_scope, provenance
from loaders.files import write_text_atomic

from .cache import features_of
from .features import FeatureSpec, check_features
from .head import ProbeArguments, build_head, clipped_clips, fit_head, head_config, head_outputs

WEIGHTS = "probe.pt"
CONFIG = PROBE_CONFIG


def _test_shards(sources, test_configs: list[str] | None) -> tuple[list[str], list[Shard]]:
    from bimotion.training.data import default_test_configs
    from bimotion.training.data_checks import split_list

    configs = split_list(test_configs) or default_test_configs(sources)
    return configs, held_shards(sources.path, parse_mixture(configs).shards, "test")


def train_probe(
    train_configs: list[str],
    data_args,
    probe_args: ProbeArguments,
    *,
    features: str,
    seed: int,
    output_dir: str | os.PathLike,
    run_name: str | None = None,
    progress: bool = True,
    command: list[str] | None = None,
) -> dict:
    """Extract (or reuse) the features, train the head on ``train_configs`` (selected on
    ``data_args.validation_configs``, default the training configs), score the test configs; writes
    ``probe.pt``, ``probe.json`` and ``scores.json`` in ``output_dir`` and returns scores.json's content.
    ``data_args``: :class:`bimotion.training.spec.DataArguments`; ``command``: the command line
    ``provenance`` names (default: this process's; :func:`~bimotion.training.provenance.command_scope`)."""
    from bimotion.training.data_checks import check_datasets

    # a missing folder (or a Hub id) named now, not by the feature cache
    check_datasets(data_args.datasets, local_only=True)
    with command_scope(command):
        return _train_probe(train_configs, data_args, probe_args, features=features, seed=seed,
                            output_dir=output_dir, run_name=run_name, progress=progress)  # fmt: skip


def _train_probe(train_configs, data_args, probe_args, *, features, seed, output_dir, run_name, progress) -> dict:
    from bimotion.training.data_checks import split_list

    spec, sources = FeatureSpec(features), sources_of(data_args)
    mixture = parse_mixture(split_list(train_configs))
    mixture = mixture.within(held_shards(sources.path, mixture.shards))  # zho without zho_adu when only CSED is
    validation_configs = split_list(data_args.validation_configs) or list(mixture.configs)
    test_configs, test_shards = _test_shards(sources, data_args.test_configs)
    start = time.time()
    train = features_of(sources, held_shards(sources.path, mixture.shards, "train"), "train", spec, progress=progress)
    validation = features_of(
        sources,
        held_shards(sources.path, parse_mixture(validation_configs).shards, "validation"),
        "validation",
        spec,
        progress=progress,
    )
    test = features_of(sources, test_shards, "test", spec, progress=progress)
    extract_s = time.time() - start
    _check_layer(probe_args, train["features"].shape)
    head, history = fit_head(train, validation, probe_args, seed=seed)
    trained = trained_labels(train["label_mask"])  # the others are scored (and predicted) absent
    out = Path(output_dir).expanduser()  # as a training run's output_dir (TrainingArguments expands it)
    out.mkdir(parents=True, exist_ok=True)
    _save_head(out, head, spec, train["features"].shape[1:], probe_args, trained)
    # the clips it trained on, as training writes them: scoring anywhere checks them (training_clips)
    manifest = write_training_manifest(out, train["id"].tolist())
    scores = {  # the test split's groups get a 95% interval (bootstrap over speakers)
        "validation": score_head(head, validation, trained),
        "test": score_head(head, test, trained, intervals=INTERVAL_SAMPLES),
    }
    heard = _training_clips(out, test, sources, scores["test"])
    summary = {
        **_summary(spec, sources, mixture, train, probe_args, seed, history),
        "train_manifest": manifest,  # as written beside it
        "trained_labels": trained,
        "run_name": run_name or mixture.spec,
        "validation_configs": validation_configs,
        "test_configs": test_configs,
        "feature_seconds": round(extract_s, 1),
        # clips with a feature beyond feature_clip training sd (heavy-tailed eGeMAPS ratios), clipped by the head
        "feature_clipped": {
            split: clipped_clips(head, data["features"], probe_args.feature_clip)
            for split, data in (("train", train), ("validation", validation), ("test", test))
        },
        "training_clips": heard,
        **scores,
    }
    write_text_atomic(out / SCORES, json.dumps(summary, indent=2) + "\n")  # the grid may be reading
    return summary


def _training_clips(out: Path, test: dict, sources, scores: dict) -> dict:
    """The test clips the probe at ``out`` trained on (:func:`bimotion.training.evaluation.training_clips`,
    as infer and the grid check: a test clip with a training clip's audio, which a user's own split can
    hold), marked in ``scores``' groups and warned of in one line."""
    from bimotion.data.layout import recorded_infos
    from bimotion.training.evaluation import training_clips, warn_training_clips

    given = {name: getattr(sources, name) for name in BENCHMARKS if getattr(sources, name)}
    seen = training_clips(out, test, recorded_infos(given).values())
    for group, count in seen.get("groups", {}).items():
        scores["groups"][group]["training_clips"] = count["clips"]
    warn_training_clips(
        seen, f"the probe {out}", given, "test", marked="scores.json (training_clips) and the table (‡) mark them",
        fix="Prepare the data again so that no test clip has a training clip's audio (prepare.json lists them: "
        "identical_audio)",
    )  # fmt: skip
    return seen


def _summary(spec: FeatureSpec, sources, mixture, train: dict, args: ProbeArguments, seed: int, history) -> dict:
    """scores.json's description of a probe run (no local path: folders are ``local:<name>``)."""
    best = min(history, key=lambda h: h["validation_loss"])
    local = lambda p: f"local:{Path(p).name}" if Path(p).exists() else p  # noqa: E731
    return {
        "backend": "probe",
        "base_model": local(spec.name),
        "train_configs": list(mixture.configs),
        "train_groups": list(mixture.groups),
        "train_corpora": sorted(set(train["corpus"].tolist())),
        "datasets": {name: local(getattr(sources, name)) for name in BENCHMARKS if getattr(sources, name)},
        "selection": {
            "metric": "loss",
            "best_epoch": best["epoch"],
            "best_metric": best["validation_loss"],
            "epochs_run": len(history),
        },
        "hyperparameters": {**head_config(train["features"].shape[1:], args)["arguments"], "seed": seed},
        "provenance": provenance({name: getattr(sources, name) for name in BENCHMARKS}, seed),
        "train_loss": best["train_loss"],
        "history": history,
    }


def _check_layer(args: ProbeArguments, shape: tuple[int, ...]) -> None:
    if args.layer is None:
        return
    if len(shape) != 3:
        raise ValueError(f"--layer picks an encoder's hidden state; these features have none (shape {shape[1:]})")
    if not 0 <= args.layer < shape[1]:
        raise ValueError(f"--layer must be in [0, {shape[1]}) for this encoder, not {args.layer}")


def score_head(head, data: dict, trained: list[str] | None = None, *, intervals: int = 0) -> dict:
    """:func:`~bimotion.training.metrics.score_groups` of a trained head on ``data`` (features with
    their labels, label masks, corpora and groups, as :func:`~.cache.features_of` returns them);
    labels outside ``trained`` are predicted absent, as a fine-tuned model's are."""
    from bimotion.training.metrics import score_groups

    logits, _ = head_outputs(head, data["features"])
    return score_groups(
        logits,
        data["labels"],
        data["label_mask"],
        data["corpus"],
        data["group"],
        trained_labels=trained,
        intervals=intervals,
        speakers=data.get("speaker"),
    )


def _save_head(out: Path, head, spec: FeatureSpec, input_shape, args: ProbeArguments, trained: list[str]) -> None:
    import torch

    torch.save(head.state_dict(), out / WEIGHTS)
    config = {
        "features": spec.name,
        "feature_digest": spec.digest,
        "trained_labels": trained,  # read by bimotion.training.metrics.read_trained_labels
        **head_config(tuple(input_shape), args),
    }
    (out / CONFIG).write_text(json.dumps(config, indent=2) + "\n")


def load_probe(model_dir: str | os.PathLike):
    """``(head, FeatureSpec)`` of a probe saved by :func:`train_probe`."""
    import torch

    model_dir = Path(model_dir)
    if not (model_dir / CONFIG).is_file():
        raise FileNotFoundError(f"{model_dir} holds no probe ({CONFIG}); train one with recipes/probe.py")
    config = json.loads((model_dir / CONFIG).read_text())
    shape = tuple(config["input_shape"])
    arguments = {"feature_clip": 0.0, **config["arguments"]}  # a head saved before feature_clip: as trained
    head = build_head(shape, ProbeArguments(**arguments), np.zeros(shape[-1]), np.ones(shape[-1]))
    head.load_state_dict(torch.load(model_dir / WEIGHTS, weights_only=True))
    return head.eval(), FeatureSpec(config["features"])


def is_probe(model_dir: str | os.PathLike) -> bool:
    """Whether ``model_dir`` holds a probe saved by :func:`train_probe` (else: a fine-tuned model; a
    folder with both is an error, :func:`bimotion.training.outputs.model_kind`)."""
    return model_kind(model_dir) == "probe"


def predict_probe(
    model_dir, dataset, *, sources, shards: list[Shard], split: str = "test", features: bool = False
) -> dict:
    """:func:`bimotion.training.inference.predict`'s arrays for every row of ``dataset`` (rows of
    ``shards``' ``split``, any order), from the cached features (``sources``: the grid's
    ``{"bimotion", "yuemotion", "cache_dir"}``); ``features``: also the head's input of its last
    linear layer (an MLP's hidden activations, a linear head's standardised input), as ``predict``'s
    are the fine-tuned model's."""
    from bimotion.training.data import Sources, column

    head, spec = load_probe(model_dir)
    data = features_of(Sources(**sources), list(shards), split, spec, progress=False)
    where = {key: i for i, key in enumerate(zip(data["group"].tolist(), data["id"].tolist(), strict=True))}
    keys = zip(column(dataset, "group").astype(str).tolist(), column(dataset, "id").astype(str).tolist(), strict=True)
    try:
        rows = np.array([where[key] for key in keys], dtype=np.int64)
    except KeyError as err:
        raise ValueError(f"clip {err.args[0]} is not in the {split} split of the shards given") from err
    picked = {k: v[rows] for k, v in data.items() if k != "features"}
    logits, pooled = head_outputs(head, data["features"][rows])
    trained = json.loads((Path(model_dir) / CONFIG).read_text()).get("trained_labels")
    if trained is not None:  # as a fine-tuned model's untrained labels (bimotion.training.model.suppress_untrained)
        logits[:, ~trained_mask(trained)] = UNTRAINED_BIAS
    out = {**picked, "logits": logits.astype(np.float32)}
    if features:
        out["features"] = pooled.astype(np.float32)
    return out


def probe_arguments(features: str, training: dict, source: str) -> ProbeArguments:
    """A grid config's ``features`` and ``training:`` for ``backend: probe``, checked: the head's
    :class:`ProbeArguments` (ValueError naming an unknown or bad one, and ``source``, the config's file)."""
    from ..mistyped import check_keys

    check_keys(training, ProbeArguments.__dataclass_fields__, f"{source}: training: (backend: probe)")
    args = ProbeArguments(**training)
    args.check()
    FeatureSpec(features)
    check_features(features, args.layer)
    return args


def probe_trainer(features: str, training: dict, sources: dict, source: str):
    """The grid's trainer for ``backend: probe``: ``job -> model folder`` (a
    :class:`bimotion.grid.jobs.TrainJob`), its arguments checked now, before any model trains, their
    errors naming ``source``, where they came from (the grid config's file, or a config built in Python)."""
    from bimotion.training.data_checks import check_datasets
    from bimotion.training.spec import DataArguments

    args = probe_arguments(features, training, source)
    check_datasets({k: sources.get(k) for k in BENCHMARKS}, required=False)

    def train(job) -> Path:
        configs = list(parse_mixture(job.name).configs)
        held = Sources(job.sources.get("bimotion"), job.sources.get("yuemotion"))
        data_args = DataArguments(
            bimotion=held.bimotion,
            yuemotion=held.yuemotion,
            dataset_cache_dir=job.sources.get("cache_dir"),
            validation_configs=with_split_rows(held, configs, "validation"),  # those with rows to select on
            test_configs=with_split_rows(held, configs, "test"),
        )  # the grid scores every test set itself
        train_probe(
            configs,
            data_args,
            args,
            features=features,
            seed=job.seed,
            output_dir=job.output_dir,
            run_name=job.name,
            progress=False,
        )
        return Path(job.output_dir)

    return train


# ---------------------------------------------------------------------------------------- the grid's dispatch
def backend_trainer(config, sources: dict):
    """The grid's trainer for ``config.backend`` (a :class:`bimotion.grid.config.GridConfig`):
    :func:`probe_trainer` for ``probe``, None for ``finetune`` (the grid's own)."""
    if config.backend != "probe":
        return None
    return probe_trainer(config.features, dict(config.training), sources, config.source)


def predict_model(
    model_dir, dataset, *, sources: dict, shards: list[Shard], split: str = "test", batch_size: int = 8,
    features: bool = False, say=None, processes: tuple[int, int] | None = None,
) -> dict:  # fmt: skip
    """Predictions (and with ``features`` the input of the last linear layer) of any saved model on
    ``dataset`` (rows of ``shards``' ``split``): :func:`predict_probe` for a probe folder, else
    :func:`bimotion.training.inference.predict` (``say``: where its note goes, default stderr).  ``processes``:
    ``(process_index, world_size)`` of a launch whose every process calls it and gets the whole: a fine-tuned
    model's batches shared among them (``predict``'s), a probe's head (on cached features, cheap) run on the main
    process alone (:func:`~bimotion.training.processes.on_main_process_only`)."""
    if is_probe(model_dir):
        from bimotion.training.processes import on_main_process_only

        return on_main_process_only(
            lambda: predict_probe(model_dir, dataset, sources=sources, shards=shards, split=split, features=features),
            *(processes or (0, 1)),
        )
    from bimotion.training.inference import predict

    return predict(model_dir, dataset, batch_size=batch_size, features=features, say=say, processes=processes)


def backend_predict(config, sources: dict, model_dir, dataset, shards: list[Shard], say=None, processes=None) -> dict:
    """Test predictions of a grid model (:func:`predict_model`; ``say``: where a note goes, the grid's log;
    ``processes``: a launch's, whose every process calls it, as :func:`predict_model`'s)."""
    return predict_model(
        model_dir, dataset, sources=sources, shards=shards, batch_size=config.eval_batch_size, say=say,
        processes=processes,
    )  # fmt: skip


def backend_settings(config) -> dict:
    """What a grid folder's models share beyond the config's training arguments: the probe's
    features and every head argument in effect (defaults included, so a changed default never
    mixes heads trained two ways into one folder)."""
    if config.backend != "probe":
        return {}
    return {
        "backend": "probe",
        "features": config.features,
        **asdict(probe_arguments(config.features, config.training, config.source)),
    }
