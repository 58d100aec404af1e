"""Scoring precision, one rule, decided without a GPU: a model's training evaluates it (checkpoint
selection, the end-of-run scores in ``scores.json``) under accelerate's autocast to its training
precision, so ``infer.py``, the grid and ``bimotion predict`` score it in that precision on a GPU too
(:func:`bimotion.training.inference.scoring_precision`), not in bfloat16 whatever it trained in."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bimotion.training import testing
from bimotion.training.inference import scoring_precision
from bimotion.training.outputs import SCORES, model_scores


@pytest.mark.parametrize(
    ("device_type", "trained", "expected"),
    [
        ("cuda", "fp16", "float16"),  # --fp16 (the authors' setting): was bfloat16
        ("cuda", "bf16", "bfloat16"),
        ("cuda", "no", "float32"),  # neither flag: was bfloat16
        ("cuda", None, "bfloat16"),  # not recorded (a model trained elsewhere): as before
        ("cpu", "fp16", "float32"),
        ("cpu", "bf16", "float32"),
        ("cpu", None, "float32"),
    ],
)
def test_scoring_computes_in_the_precision_the_model_trained_in(device_type, trained, expected):
    assert scoring_precision(device_type, trained) == expected


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ({"precision": "fp16"}, "fp16"),
        ({"precision": "no"}, "no"),
        ({"precision": "fp8"}, None),
        ({}, None),
        ([], None),
    ],
)
def test_the_trained_precision_is_read_from_scores_json(tmp_path, recorded, expected):
    (tmp_path / SCORES).write_text(json.dumps({"hyperparameters": recorded}))
    assert model_scores(tmp_path).precision == expected
    assert model_scores(tmp_path / "elsewhere").precision is None  # no scores.json


def test_dataset_scoring_and_bimotion_predict_take_the_trained_precision(tmp_path, monkeypatch):
    """``predict`` (infer.py, the grid) and the ``Predictor`` (``bimotion predict``) hand the model's
    recorded precision to the forward pass; before, neither read it and a GPU scored in bfloat16."""
    from bimotion.predict import load_predictor
    from bimotion.training import inference
    from bimotion.training.model import build_model

    model, fe = build_model(str(testing.save_tiny_model(tmp_path / "tiny")))
    folder = tmp_path / "classifier"
    model.save_pretrained(folder)
    fe.save_pretrained(folder)
    (folder / SCORES).write_text(json.dumps({"hyperparameters": {"precision": "fp16"}}))
    seen = []
    forward = inference.batch_logits

    def batch_logits(*args, **kwargs):
        seen.append(kwargs.get("trained_precision"))
        return forward(*args, **kwargs)

    monkeypatch.setattr(inference, "batch_logits", batch_logits)
    clips = testing.rows_dataset(testing.synth_rows("csed", "zho_eld", "test", 2))
    inference.predict(folder, clips, batch_size=2, progress=False)
    predictor = load_predictor(folder, progress=False)
    predictor.logits([np.zeros(16000, np.float32)])
    assert seen == ["fp16", "fp16"] and predictor.trained_precision == "fp16"
