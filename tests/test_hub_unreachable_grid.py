"""A grid whose model is on the Hub (a trainer of the user's own returns its Hub id; its weights in the
Hub cache), run where the Hub cannot be reached: scoring asked the Hub for the model's
``train_manifest.txt`` and ended in a traceback (``HubUnreachableError``), the grid's other models
unscored.  Now the grid says so as ``bimotion infer`` does (:func:`bimotion.training.evaluation.training_clips`):
one warning naming the model, why and what to do, and ``training_clips.unreached`` in its metrics file.
For real, without network: the Hub's endpoint at a closed local port (connection refused)."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from conftest import local_hubs
from huggingface_hub import constants
from test_grid import grid_config
from test_hub_unreachable_records import at

from bimotion.grid import prepare_fixtures, run_grid, train_model

COMMIT = "0" * 40


@pytest.fixture
def refused(monkeypatch, tmp_path):
    """The Hub at a closed local port, an empty Hub cache at ``tmp_path / "hub"``."""
    sleep = time.sleep  # huggingface_hub's retries of transformers' own look-ups back off for ~30 s: not slept here
    monkeypatch.setattr(time, "sleep", lambda seconds: None if seconds >= 1 else sleep(seconds))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    with local_hubs({}) as urls:
        at(monkeypatch, urls["refused"])
        yield urls["refused"]


def _on_the_hub(cache, repo_id: str):
    """A trainer that trains each job here, then keeps the model only in the Hub cache (``repo_id``'s
    snapshot, as a download leaves it, without its ``train_manifest.txt``) and returns its Hub id."""

    def train(job):
        saved = train_model(job)
        repo = cache / f"models--{repo_id.replace('/', '--')}"
        shutil.copytree(saved, repo / "snapshots" / COMMIT, ignore=shutil.ignore_patterns("train_manifest.txt"))
        (repo / "refs").mkdir()
        (repo / "refs" / "main").write_text(COMMIT)
        shutil.rmtree(saved)
        return repo_id

    return train


def test_a_grid_of_a_hub_model_scores_it_and_says_its_manifest_could_not_be_read(refused, tmp_path, capsys):
    data = prepare_fixtures(tmp_path / "data")
    out = tmp_path / "grid"
    config = grid_config(tables=[], mixtures=["zho_eld"], extra_tests=["zho_eld"], projections=[])
    trainer = _on_the_hub(tmp_path / "hub", "me/ser")
    result = run_grid(config, {"bimotion": data["bimotion"]}, out, trainer=trainer, log=None)

    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(
        "warning: the test clips scored were not checked against those the grid's model zho_eld (seed 0, me/ser) "
        f"was trained on: could not reach the Hub to read train_manifest.txt of me/ser: cannot reach the Hub at {refused}"
    ) and warnings[0].endswith("or pass a local folder of me/ser"), warnings[0]
    metrics = json.loads((out / "metrics" / "zho_eld" / "seed0.json").read_text())
    seen = metrics["training_clips"]
    assert seen["checked"] is False and seen["unreached"] is True
    assert seen["why"] == warnings[0].split(" was trained on: ", 1)[1]  # infer's record of it
    assert "training_clips" not in metrics["tests"]["zho_eld"]  # not counted: nothing marked, nothing said to be
    assert result.matrix[("zho_eld", "zho_eld")]["training_clips"] == 0
    assert metrics["tests"]["zho_eld"]["num_samples"] > 0  # scored
