"""Where ``recipes/infer.py`` writes its scores: ``--output_file``, else ``inference_<split>.json`` in
``--output_dir``, else in the model folder.  ``--output_dir`` was accepted (the recipe shares the
training dataclasses) and ignored: the scores went into the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import load_recipe as recipe

from bimotion.training import testing

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """A small prepared folder and a tiny fine-tuned-like classifier (13-label head, 3 trained labels)."""
    from bimotion.training.model import build_model, suppress_untrained

    root = tmp_path_factory.mktemp("infer_output")
    data = testing.write_prepared(root / "data", shards=[("csed", "zho_eld")])
    model, fe = build_model(str(testing.save_tiny_model(root / "tiny")), classifier_proj_size=16)
    model.config.trained_labels = ["neutral", "positive", "negative"]
    suppress_untrained(model)
    model.save_pretrained(root / "model")
    fe.save_pretrained(root / "model")
    return {"data": data, "model": root / "model"}


def _infer(made, *argv: str) -> int:
    base = ["--model", str(made["model"]), "--bimotion", str(made["data"]), "--disable_tqdm", "true"]
    return recipe("infer").main([*base, *argv])


def test_scores_go_to_the_output_dir_and_the_output_file_wins_over_it(made, tmp_path, capsys):
    out = tmp_path / "scores" / "new"  # made as needed
    assert _infer(made, "--output_dir", str(out), "--split", "validation") == 0
    written = out / "inference_validation.json"
    assert json.loads(written.read_text())["split"] == "validation"
    assert not list(made["model"].glob("inference_*.json"))  # the model folder is left as it was
    assert f"scores of {made['model']}: {written}" in capsys.readouterr().out
    named = tmp_path / "named.json"
    assert _infer(made, "--output_dir", str(out), "--output_file", str(named)) == 0
    assert named.is_file() and not (out / "inference_test.json").exists()
