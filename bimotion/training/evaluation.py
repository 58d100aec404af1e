"""Cross-group inference (§4.1, Table 3; ``recipes/infer.py``): :func:`infer` scores a trained model on
the test sets of any groups, per group and corpus with their chance levels, and writes
``inference_<split>.json`` with the model's training groups and each scored group's relation to them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bimotion.registry import BENCHMARKS
from loaders.files import write_text_atomic

from .args import DataArguments, SERTrainingArguments, check_datasets, split_list
from .bootstrap import INTERVAL_SAMPLES
from .data import default_test_configs, load_split, sources_of
from .inference import predict
from .metrics import read_trained_labels, score_groups
from .mixtures import relation
from .outputs import SCORES
from .provenance import command_scope, provenance
from .public import dataset_source, public_source


def infer(
    model_name_or_path: str | os.PathLike,
    data_args: DataArguments,
    training_args: SERTrainingArguments | None = None,
    *,
    configs: list[str] | None = None,
    split: str = "test",
    output_file: str | os.PathLike | None = None,
    command: list[str] | None = None,
) -> dict:
    """Score a trained model on ``split`` of ``configs`` (default: every group of the given datasets),
    with :func:`bimotion.training.inference.predict` on whole clips; writes ``output_file`` (default:
    ``inference_<split>.json`` in the model folder) and returns its content.  ``training_args``: the
    batch size, progress bar and processes (default: :class:`SERTrainingArguments`' defaults);
    ``command``: the command line ``provenance`` names (default: this process's; :func:`~.provenance.command_scope`)."""
    # a missing folder named now, not sought on the Hub
    check_datasets(data_args.datasets, cache_dir=data_args.dataset_cache_dir)
    name = os.fspath(model_name_or_path)
    name = os.path.expanduser(name) if name.startswith("~") else name  # a Hub id never starts with ~
    with command_scope(command):
        return _infer(name, data_args, training_args or SERTrainingArguments(),
                      configs=configs, split=split, output_file=output_file)  # fmt: skip


def _infer(model_name_or_path: str, data_args, training_args, *, configs, split: str, output_file) -> dict:
    sources = sources_of(data_args)
    configs = split_list(configs) or default_test_configs(sources, split=split)
    if not configs:
        raise ValueError(f"no group of the given prepared datasets has {split} rows: nothing to score")
    with training_args.main_process_first(desc="loading datasets"):
        dataset = load_split(sources, configs, split)
    pred = predict(
        model_name_or_path,
        dataset,
        batch_size=training_args.per_device_eval_batch_size,
        progress=not training_args.disable_tqdm and training_args.process_index == 0,
        pad_to_multiple_of=data_args.pad_to_multiple_of,
    )
    trained_labels = read_trained_labels(model_name_or_path)  # the others are scored as predicted absent
    scores = score_groups(
        pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"],
        trained_labels=trained_labels, intervals=INTERVAL_SAMPLES, speakers=pred["speaker"],
    )  # fmt: skip
    trained_on = _trained_groups(model_name_or_path)
    result = {
        "model": model_name_or_path,
        "split": split,
        "configs": configs,
        "datasets": {name: getattr(sources, name) for name in BENCHMARKS if getattr(sources, name)},
        "trained_on": trained_on,
        "trained_labels": trained_labels,
        "relation": {g: relation(trained_on, g) for g in scores["groups"]} if trained_on else None,
        "provenance": provenance({name: getattr(sources, name) for name in BENCHMARKS}),
        split: scores,
    }
    if training_args.process_index == 0:
        local = Path(model_name_or_path)
        path = (
            Path(output_file).expanduser()
            if output_file
            else (local if local.is_dir() else Path(".")) / f"inference_{split}.json"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # no path of this machine: by default the file lands in the model folder, which is published
        sources = {name: dataset_source(source) for name, source in result["datasets"].items()}
        write_text_atomic(
            path,
            json.dumps({**result, "model": public_source(model_name_or_path), "datasets": sources}, indent=2) + "\n",
        )
        result["output_file"] = str(path)
    return result


def _trained_groups(model_name_or_path: str) -> list[str] | None:
    path = Path(model_name_or_path) / SCORES
    if path.is_file():
        return json.loads(path.read_text()).get("train_groups")
    return None
