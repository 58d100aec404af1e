"""The model card (with a ``model-index`` of weighted F1 per test group and corpus) and publishing.

The card is written next to every trained model; ``--push_to_hub`` uploads the model folder with it
(checkpoints excluded), and ``--push_dry_run`` lists exactly the files the upload would send,
through the same include/exclude filter ``huggingface_hub`` applies, without any network access.
"""

from __future__ import annotations

import os
from pathlib import Path

from loaders.labels import LABELS, label_space

IGNORE_PATTERNS = ["checkpoint-*", "checkpoint-*/**", "runs/**", "*.lock", ".ipynb_checkpoints/**"]
CODE = "https://github.com/HLTCHKUST/elderly_ser"
BENCHMARK_TITLES = {"bimotion": "BiMotion", "yuemotion": "YueMotion"}
LANGUAGE_CODES = {"eng": "en", "zho": "zh", "yue": "yue"}


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


def _results_table(summary: dict) -> str:
    lines = ["| test group | corpus | clips | weighted F1 | macro F1 | UA |", "|---|---|---:|---:|---:|---:|"]
    for group, g in summary["test"]["groups"].items():
        for corpus, c in g["corpora"].items():
            ua = c.get("unweighted_accuracy")
            lines.append(
                f"| {group} | {corpus} | {c['num_samples']} | {100 * c['weighted_f1']:.2f} | {100 * c['macro_f1']:.2f} "
                f"| {'' if ua is None else f'{100 * ua:.2f}'} |"
            )
        lines.append(
            f"| **{group}** | mean | {g['num_samples']} | **{100 * g['weighted_f1']:.2f}** | "
            f"{100 * g['macro_f1']:.2f} | |"
        )
    return "\n".join(lines)


def render_card(summary: dict):
    """A ``huggingface_hub.ModelCard`` for a training run's ``summary`` (the content of scores.json)."""
    from huggingface_hub import ModelCard, ModelCardData

    from .mixtures import groups_of

    train_groups = groups_of(summary["train_configs"])
    languages = sorted({LANGUAGE_CODES[g.split("_")[0]] for g in train_groups + list(summary["test"]["groups"])})
    corpora = sorted(
        {c for g in summary["test"]["groups"].values() for c in g["corpora"]} | set(summary["train_corpora"])
    )
    data = ModelCardData(
        language=languages,
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
    hp = summary["hyperparameters"]
    mixture = (
        f"`{summary['mixture']}` for target group `{summary['target']}`"
        if summary.get("mixture")
        else "an explicit list of configurations"
    )
    spaces = "\n".join(f"- `{c}`: {', '.join(label_space(c))}" for c in corpora)
    body = f"""
# {summary["run_name"]}: speech emotion recognition across languages and age groups

Fine-tuned from `{public_source(summary["base_model"])}` with a projector ({hp["classifier_proj_size"]} units), mean pooling
over the non-padded frames and a linear layer over 13 emotion labels, trained with a masked
multi-label binary cross-entropy: each clip is trained and scored only on the labels its corpus
annotates. It reproduces the method of *Cross-Lingual Cross-Age Group Adaptation for Low-Resource
Elderly Speech Emotion Recognition* (Cahyawijaya, Lovenia, Chung et al., 2023; [authors' code]({CODE})).

## How to use

```python
from transformers import pipeline

classify = pipeline("audio-classification", model="{summary.get("hub_model_id") or summary["run_name"]}", top_k=None)
classify("clip.wav")  # independent sigmoid scores for the 13 labels; > 0.5 means present
```

Read only the labels of the label space you care about (below): the others were never trained for
clips of that kind.

## Training data

- Mixture: {mixture}; configurations `{", ".join(summary["train_configs"])}` (groups {", ".join(train_groups)}).
- {summary["train_manifest"]["num_clips"]} training clips, {summary["train_manifest"]["hours"]:.2f} hours; manifest
  (sorted clip ids, `train_manifest.txt`) hash `{summary["train_manifest"]["hash"]}`.
- Protocol: the BiMotion/YueMotion splits (the paper's Table 1 sizes; official splits for ESD and
  ElderReact); model selected on the validation split of `{", ".join(summary["validation_configs"])}`
  by `{summary["selection"]["metric"]}`.

## Label space

The 13 labels, in output order: {", ".join(LABELS)}. Each corpus annotates a subset:

{spaces}

## Results (test splits)

Weighted F1 (%): sigmoid > 0.5, binary F1 per annotated label, weighted by support; each corpus
scored on its own, a group's figure is the mean over its corpora. UA: unweighted accuracy
(single-label corpora).

{_results_table(summary)}

## Training procedure

AdamW, learning rate {hp["learning_rate"]}, {hp["num_train_epochs"]} epochs at most with early stopping
(patience {hp["early_stopping_patience"]}), batch size {hp["train_batch_size"]} per device × {hp["gradient_accumulation_steps"]} accumulation ×
{hp["world_size"]} process(es), dropout {hp["dropout"]}, seed {hp["seed"]}, random crops of at most {hp["max_duration_s"]} s,
feature encoder {"frozen" if hp["freeze_feature_encoder"] else "trained"}, precision {hp["precision"]}.

## Intended use

Research on speech emotion recognition across languages (English, Mandarin, Cantonese) and age
groups (adults 20–59, elderly 60+), e.g. as a baseline for cross-group transfer. Not for decisions
about individuals (health, care, employment, security) and not for surveillance.

## Limitations

- **Elderly speech is scarce**: the elderly groups have a few hundred clips each (CSED: 200 training
  clips), so their scores have wide confidence intervals and models transfer poorly from adults.
- **Low-resource languages**: Mandarin elderly data comes from one corpus and Cantonese (YueMotion)
  from 11 speakers; results do not generalise to other varieties, accents or recording conditions.
- Mostly **acted** emotions read by actors in studios (CREMA-D, TESS, ESD, YueMotion); spontaneous
  speech (IEMOCAP improvisations, ElderReact) scores lower. Labels differ per corpus, and a missing
  label means "not annotated", not "absent".
- Generated splits are stratified by gender at utterance level: speakers can occur in both training
  and test sets of CREMA-D, TESS, IEMOCAP and CSED, which flatters the scores.
- Emotion categories and their expression are culture-dependent; age thresholds come from corpus
  metadata (CREMA-D actor ages, corpus descriptions).

## Citation

```bibtex
@misc{{cahyawijaya2023crosslingual,
  title  = {{Cross-Lingual Cross-Age Group Adaptation for Low-Resource Elderly Speech Emotion Recognition}},
  author = {{Cahyawijaya, Samuel and Lovenia, Holy and Chung, Willy and Frieske, Rita and Liu, Zihan and Fung, Pascale}},
  year   = {{2023}},
  url    = {{{CODE}}}
}}
```
"""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def upload_plan(folder: str | os.PathLike) -> list[tuple[str, int]]:
    """``(path in repo, bytes)`` of every file an upload of ``folder`` sends, checkpoints excluded."""
    from huggingface_hub.utils import filter_repo_objects

    folder = Path(folder)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    kept = filter_repo_objects(files, ignore_patterns=IGNORE_PATTERNS + [".git/**", ".cache/huggingface/**"])
    return [(f, (folder / f).stat().st_size) for f in kept]


def publish(folder, repo_id: str, *, token: str | None = None, private: bool | None = True, dry_run: bool = False):
    """Upload the model folder to ``repo_id`` (or, with ``dry_run``, only return what would go). A
    new repository is private unless ``private`` is False (None, the Hub's public default, is private)."""
    plan = upload_plan(folder)
    if dry_run:
        return plan
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, private=private is not False, exist_ok=True, repo_type="model")
    api.upload_folder(
        repo_id=repo_id,
        folder_path=str(folder),
        ignore_patterns=IGNORE_PATTERNS,
        commit_message="Upload speech emotion recognition model",
    )
    return plan
