"""A saved model knows the labels it was trained on (``config.trained_labels``, the card) and never
reports another one as present; the authors' setting ships as a grid config beside the paper's."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

import numpy as np
import pytest
import torch

from bimotion.grid.config import load_config, shipped_config
from bimotion.paper import AUTHORS_CODE_SETTINGS, HYPERPARAMETERS
from bimotion.training import testing
from bimotion.training.model import UNTRAINED_BIAS, suppress_untrained, trained_labels
from bimotion.training.spec import DataArguments, ModelArguments, RunArguments, TrainSpec
from bimotion.training.training_args import SERTrainingArguments
from loaders.labels import LABELS, mask

torch.set_num_threads(2)

CSED = ["neutral", "positive", "negative"]  # in label-space order


@pytest.fixture(scope="module")
def csed_model(tmp_path_factory):
    """A tiny model trained on CSED only (3 labels), through the real train()."""
    from bimotion.training.run import train

    root = tmp_path_factory.mktemp("trained")
    tiny = testing.save_tiny_model(root / "tiny")
    data = testing.write_prepared(
        root / "bimotion",
        shards=[("csed", "zho_eld"), ("esd", "zho_adu")],
        sizes={"train": 12, "validation": 4, "test": 6},
    )
    values = {
        "model_name_or_path": str(tiny),
        "classifier_proj_size": 16,
        "bimotion": str(data),
        "dataset_cache_dir": str(root / "cache"),
        "test_configs": ["zho_eld", "zho_adu"],
        "output_dir": str(root / "model"),
        "per_device_train_batch_size": 4,
        "num_train_epochs": 2,
        "learning_rate": 3e-3,
        "eval_strategy": "no",
        "save_strategy": "no",
        "load_best_model_at_end": False,
        "early_stopping_patience": 0,
        "disable_tqdm": True,
        "report_to": "none",
        "use_cpu": True,
        "dataloader_pin_memory": False,
    }
    summary = train(TrainSpec.from_values(["zho_eld"], values, run_name="csed"))
    return root / "model", data, summary


def test_trained_labels_are_the_annotated_ones_in_label_space_order():
    rows = [mask(("positive", "neutral", "negative")), mask(("anger",)), [0] * len(LABELS)]
    assert trained_labels(rows) == ["anger", "neutral", "positive", "negative"]
    assert trained_labels(np.zeros((0, len(LABELS)))) == []


def test_a_csed_model_records_its_labels_and_never_reports_another(csed_model):
    from transformers import pipeline

    model_dir, data, summary = csed_model
    config = json.loads((model_dir / "config.json").read_text())
    assert config["trained_labels"] == CSED == summary["trained_labels"]
    card = (model_dir / "README.md").read_text()
    assert "\nneutral, positive, negative. The other labels (sadness, fear," in card

    classify = pipeline("audio-classification", model=str(model_dir), top_k=None, device="cpu")
    clips = [c for corpus, group in [("csed", "zho_eld"), ("esd", "zho_adu")] for c in _test_clips(corpus, group)]
    trained_scores = []
    for samples in clips:
        scores = {r["label"]: r["score"] for r in classify({"raw": samples, "sampling_rate": 16000})}
        assert len(scores) == len(LABELS)
        assert max(v for k, v in scores.items() if k not in CSED) < 1e-6, scores
        trained_scores.append([scores[k] for k in CSED])
    assert np.ptp(np.asarray(trained_scores), axis=0).max() > 1e-3  # the trained labels still respond to the audio


def _test_clips(corpus: str, group: str) -> list[np.ndarray]:
    return [samples for _, samples in testing.synth_clips(corpus, group, "test", 4)]


def test_suppression_needs_the_trained_labels(tmp_path):
    from bimotion.training.model import build_model

    model, _ = build_model(str(testing.save_tiny_model(tmp_path / "tiny")), classifier_proj_size=16)
    with pytest.raises(ValueError, match="trained_labels is not set"):
        suppress_untrained(model)
    model.config.trained_labels = ["anger"]
    assert suppress_untrained(model) == [label for label in LABELS if label != "anger"]
    others = [i for i, label in enumerate(LABELS) if label != "anger"]
    assert (model.classifier.bias[others] == UNTRAINED_BIAS).all() and (model.classifier.weight[others] == 0).all()
    assert model.classifier.bias[LABELS.index("anger")] != UNTRAINED_BIAS
    model.config.trained_labels = ["joy"]
    with pytest.raises(ValueError, match="joy"):
        suppress_untrained(model)


# ---------------------------------------------------------------------------------------------- two arms
def effective_training(name: str) -> dict:
    """Every training value a shipped config sets, the defaults filled in (no TrainingArguments is
    built: fp16 needs a GPU)."""
    spec = TrainSpec.from_values("zho_eld", load_config(shipped_config(name)).training)
    defaults = {
        f.name: f.default
        for f in fields(SERTrainingArguments)
        if f.init and isinstance(f.default, bool | float | str | int)
    }
    return {**asdict(spec.model), **asdict(spec.data), **asdict(spec.run), **defaults, **spec.training}


def test_the_authors_config_differs_from_the_papers_exactly_in_the_authors_code_setting():
    paper, authors = effective_training("paper"), effective_training("authors")
    differing = {k: (paper[k], authors[k]) for k in paper.keys() | authors.keys() if paper.get(k) != authors.get(k)}
    assert differing == {
        "normalize_audio": (True, False),
        "freeze_feature_encoder": (True, False),
        "max_duration_s": (10.0, None),
        "loss_reduction": ("annotated", "label_space"),
        "bf16": (True, False),
        "fp16": (False, True),
        "gradient_checkpointing": (False, True),
        "train_sampling_strategy": ("group_by_length", "random"),
    }
    assert authors["max_grad_norm"] == paper["max_grad_norm"] == 1.0
    assert load_config(shipped_config("authors")).seeds == load_config(shipped_config("paper")).seeds


def test_a_default_is_called_the_papers_only_where_section_5_2_states_it():
    """§5.2 states the learning rate, dropout, epochs and early stopping; ``--help`` also called the
    batch of 8, seed 0 and selection on validation loss "the paper's", which come from the authors'
    code.  Each default and the paper's grid config hold the value of its source."""
    sources = {"the paper's": HYPERPARAMETERS, "the authors' code's": AUTHORS_CODE_SETTINGS}
    for cls in (ModelArguments, DataArguments, RunArguments, SERTrainingArguments):
        for f in fields(cls):
            for phrase, values in sources.items():
                if phrase in f.metadata.get("help", ""):
                    assert f.name in values, f"--{f.name}'s help calls its default {phrase}: {f.metadata['help']!r}"
    shipped = effective_training("paper")
    defaults = {**asdict(ModelArguments()), **asdict(RunArguments())}
    defaults |= {f.name: f.default for f in fields(SERTrainingArguments) if f.name in AUTHORS_CODE_SETTINGS}
    defaults |= {f.name: f.default for f in fields(SERTrainingArguments) if f.name in HYPERPARAMETERS}
    for name, value in {**HYPERPARAMETERS, **AUTHORS_CODE_SETTINGS}.items():
        assert shipped[name] == defaults[name] == value, name


def test_trained_labels_are_read_from_a_folder_given_with_a_tilde(tmp_path, monkeypatch):
    """model_kind expands ``~`` and found the config; the read that followed did not, and failed."""
    from bimotion.training.metrics import read_trained_labels

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps({"trained_labels": ["anger", "sadness"]}))
    assert read_trained_labels("~/model") == ["anger", "sadness"]


def test_checkpoint_selection_scores_validation_as_the_selected_model_is_scored(tmp_path):
    """A model validated on a group whose labels it never trains on (CSED training, ESD validation): its
    validations during training score those labels as predicted absent, as its validation scores after;
    before, the random head's guesses at them counted, and the run selected the checkpoint of its best guess
    (best_metric 0.036) while the selected model's validation weighted F1 in scores.json was 0.0."""
    from bimotion.training.run import train

    tiny = testing.save_tiny_model(tmp_path / "tiny")
    data = testing.write_prepared(
        tmp_path / "bimotion",
        shards=[("csed", "zho_eld"), ("esd", "zho_adu")],
        sizes={"train": 12, "validation": 8, "test": 4},
    )
    values = {
        "model_name_or_path": str(tiny), "classifier_proj_size": 16, "bimotion": str(data),
        "dataset_cache_dir": str(tmp_path / "cache"), "validation_configs": ["zho_adu"], "test_configs": ["zho_adu"],
        "output_dir": str(tmp_path / "model"), "per_device_train_batch_size": 4, "num_train_epochs": 2,
        "learning_rate": 1e-3, "max_duration_s": 0.5, "metric_for_best_model": "weighted_f1",
        "disable_tqdm": True, "report_to": "none", "use_cpu": True, "dataloader_pin_memory": False,
    }  # fmt: skip
    summary = train(TrainSpec.from_values(["zho_eld"], values, run_name="csed"))
    assert summary["validation"]["groups"]["zho_adu"]["untrained_labels"] == [
        "sadness",
        "anger",
        "happiness",
        "surprise",
    ]
    state = json.loads((tmp_path / "model" / "trainer_state.json").read_text())
    validations = [entry["eval_weighted_f1"] for entry in state["log_history"] if "eval_weighted_f1" in entry]
    assert len(validations) == 2
    assert summary["selection"]["best_metric"] == max(validations)
    assert summary["selection"]["best_metric"] == pytest.approx(summary["validation"]["weighted_f1"], abs=1e-12)
