"""A model whose ``scores.json`` could not be read (a Hub model's not fetched: no network, not cached; a local
one damaged) has no recorded training precision, and scoring on a GPU falls back to bfloat16
(:func:`bimotion.training.inference.scoring_precision`): that is said in one note on a GPU, and nothing on a
CPU (float32 whatever it trained in).  Offline: the Hub's endpoint at a closed local port, and a local server
answering 404 (no such file: nothing to say)."""

from __future__ import annotations

import time

import pytest
from conftest import local_hubs
from huggingface_hub import constants

from bimotion.training.inference import precision_note
from bimotion.training.outputs import model_scores


@pytest.fixture
def hub_at(monkeypatch, tmp_path):
    """Puts the Hub at ``"refused"`` (a closed local port) or ``"absent"`` (404 to everything); an empty cache."""
    sleep = time.sleep  # huggingface_hub's retries back off for ~30 s: not slept here
    monkeypatch.setattr(time, "sleep", lambda seconds: None if seconds >= 1 else sleep(seconds))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")

    def at(name: str) -> None:
        endpoint = urls[name]
        monkeypatch.setattr(constants, "ENDPOINT", endpoint)
        template = endpoint + "/{repo_id}/resolve/{revision}/{filename}"
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)

    with local_hubs({"absent": 404}) as urls:
        yield at


def test_a_hub_models_unfetched_training_precision_is_said_on_a_gpu_only(hub_at):
    hub_at("refused")
    scores = model_scores("me/ser")
    assert scores.state == "unfetched" and scores.precision is None
    assert precision_note("cuda", scores.state, scores.where) == (
        "the precision the model trained in is not known (me/ser's scores.json on the Hugging Face Hub could not "
        "be read): scored on the GPU in bfloat16, as a model whose training is not recorded"
    )
    assert precision_note("cpu", scores.state, scores.where) is None  # float32 on a CPU whatever it trained in

    hub_at("absent")  # the Hub answers that there is none: a model trained elsewhere, as documented
    scores = model_scores("me/ser")
    assert scores.state == "missing" and precision_note("cuda", scores.state, scores.where) is None


def test_a_damaged_scores_json_is_said_on_a_gpu_and_predict_on_a_cpu_prints_nothing_new(tmp_path):
    from bimotion.predict.model import load_predictor
    from bimotion.training import testing
    from bimotion.training.model import build_model

    model, fe = build_model(str(testing.save_tiny_model(tmp_path / "tiny")), classifier_proj_size=16)
    folder = tmp_path / "ser"
    model.save_pretrained(folder)
    fe.save_pretrained(folder)
    (folder / "scores.json").write_text('{"hyperparameters": {"precision": "fp16"')  # cut short
    scores = model_scores(folder)
    assert scores.state == "unreadable"
    assert precision_note("cuda", scores.state, scores.where).startswith(
        f"the precision the model trained in is not known ({folder / 'scores.json'} could not be read): "
        "scored on the GPU in bfloat16"
    )
    assert precision_note("cuda", "read", scores.where) is None  # read: its precision, or none recorded
    notes = load_predictor(folder, device="cpu", progress=False).notes
    assert "cannot be read" in notes[-1]  # the chance note, as before
    assert not any("precision" in note or "bfloat16" in note for note in notes)  # on a CPU: float32, nothing to say
