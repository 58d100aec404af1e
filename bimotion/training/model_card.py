"""The model card (with a ``model-index`` of weighted F1 per test group and corpus), written next to
every trained model, and what it may say about the run: no local path (:func:`public_summary`).

Rendered with ``huggingface_hub.ModelCard.from_template`` from ``bimotion/templates/model_card.md``:
the metadata is a ``ModelCardData`` whose ``eval_results`` make the model-index.  Publishing the
folder is :func:`bimotion.hub.publish`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from loaders.labels import LABELS, label_space

from ..registry import Group
from .model import UNTRAINED_BIAS

CODE = "https://github.com/HLTCHKUST/elderly_ser"
BENCHMARK_TITLES = {"bimotion": "BiMotion", "yuemotion": "YueMotion"}
LANGUAGE_CODES = {"eng": "en", "zho": "zh", "yue": "yue"}
TEMPLATE = "model_card.md"


LOCAL = "local:"


def public_source(source: str | None) -> str | None:
    """How published files (scores.json, the card) name a model or dataset source: a Hub id as
    given, a local folder as ``local:<folder name>``, never as a path of this machine."""
    if not source or source.startswith(LOCAL):
        return source
    path = Path(source).expanduser()
    return f"{LOCAL}{path.resolve().name}" if path.exists() or path.is_absolute() else source


def public_path(path: str | None, root: str | os.PathLike) -> str | None:
    """A path under ``root`` (a checkpoint of the model folder) relative to it; any other as :func:`public_source`."""
    if not path:
        return path
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return public_source(path)


def public_summary(summary: dict, output_dir: str | os.PathLike) -> dict:
    """``summary`` (scores.json's content) with no local path: it is published with the model."""
    return {
        **summary,
        "base_model": public_source(summary["base_model"]),
        "datasets": {name: public_source(source) for name, source in summary["datasets"].items()},
        "resumed_from": public_path(summary.get("resumed_from"), output_dir),
        "selection": {
            **summary["selection"],
            "best_checkpoint": public_path(summary["selection"].get("best_checkpoint"), output_dir),
        },
    }


def is_local(source: str | None) -> bool:
    return bool(source) and (source.startswith(LOCAL) or Path(source).expanduser().exists())


def dataset_id(source: str | None, benchmark: str) -> str:
    """A Hub dataset id for the model-index: the id itself, or the benchmark's name for a local folder."""
    if not source or is_local(source):
        return benchmark
    return source


def eval_results(summary: dict) -> list:
    """Weighted F1 (%) on each test group: the mean over its corpora, and each corpus's (named in the
    metric, since a model-index entry is one dataset configuration, here the group)."""
    from huggingface_hub import EvalResult

    from .mixtures import benchmark_of_group

    out = []
    for group, g in summary["test"]["groups"].items():
        bench = benchmark_of_group(group)
        common = dict(
            task_type="audio-classification",
            task_name="Speech emotion recognition",
            dataset_type=dataset_id(summary["datasets"].get(bench), bench),
            dataset_name=f"{BENCHMARK_TITLES[bench]} {group}",
            dataset_config=group,
            dataset_split="test",
            metric_type="f1",
        )
        out.append(
            EvalResult(
                **common, metric_name="weighted F1 (mean over corpora)", metric_value=round(100 * g["weighted_f1"], 2)
            )
        )
        for corpus, c in g["corpora"].items():
            out.append(
                EvalResult(**common, metric_name=f"weighted F1 {corpus}", metric_value=round(100 * c["weighted_f1"], 2))
            )
    return out


def render_card(summary: dict):
    """A ``huggingface_hub.ModelCard`` for a training run's ``summary`` (the content of scores.json)."""
    from huggingface_hub import ModelCard

    from .mixtures import groups_of

    corpora = sorted(
        {c for g in summary["test"]["groups"].values() for c in g["corpora"]} | set(summary["train_corpora"])
    )
    mixture = (
        f"`{summary['mixture']}` for target group `{summary['target']}`"
        if summary.get("mixture")
        else "an explicit list of configurations"
    )
    trained = summary.get("trained_labels")  # absent from scores.json of older runs
    template = (resources.files("bimotion.templates") / TEMPLATE).read_text(encoding="utf-8")
    return ModelCard.from_template(
        card_data(summary),
        template_str=template,
        run_name=summary["run_name"],
        base_model=public_source(summary["base_model"]),
        model_id=summary.get("hub_model_id") or summary["run_name"],
        code_url=CODE,
        hp=summary["hyperparameters"],
        mixture=mixture,
        train_configs=summary["train_configs"],
        train_groups=groups_of(summary["train_configs"]),
        manifest=summary["train_manifest"],
        validation_configs=summary["validation_configs"],
        selection_metric=summary["selection"]["metric"],
        labels=LABELS,
        label_spaces={c: label_space(c) for c in corpora},
        trained_labels=trained,
        untrained_labels=[label for label in LABELS if label not in trained] if trained else [],
        untrained_bias=UNTRAINED_BIAS,
        test_groups=summary["test"]["groups"],
    )


def card_data(summary: dict):
    """The card's YAML metadata, with the model-index made of :func:`eval_results`."""
    from huggingface_hub import ModelCardData

    from .mixtures import groups_of

    groups = groups_of(summary["train_configs"]) + list(summary["test"]["groups"])
    return ModelCardData(
        language=sorted({LANGUAGE_CODES[Group.parse(g).language] for g in groups}),
        license="apache-2.0",
        library_name="transformers",
        pipeline_tag="audio-classification",
        tags=[
            "audio-classification",
            "speech-emotion-recognition",
            "multi-label",
            "elderly",
            "cross-lingual",
            "bimotion",
        ],
        base_model=None if is_local(summary["base_model"]) else summary["base_model"],
        datasets=sorted({dataset_id(path, bench) for bench, path in summary["datasets"].items()}),
        metrics=["f1"],
        model_name=summary["run_name"],
        eval_results=eval_results(summary),
    )
