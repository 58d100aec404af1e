"""A grid model that the user's own trainer returns as a Hub id (``me/ser``) was recorded in its marker
as a path relative to the grid's folder (``../../me/ser``, of the directory the grid ran in), so a rerun of
the same folder read it back as a local folder that is not there: its metrics file then named another
model and recorded ``training_clips`` as "no manifest beside the model" instead of the Hub's answer.  Now
the marker records a Hub id as one (:func:`bimotion.grid.plan.marked_model`, the one reader of a marker),
a local folder still relative to the grid's folder, and an older marker's relative path still reads."""

from __future__ import annotations

import json

import pytest
from test_grid import grid_config
from test_hub_unreachable_grid import _on_the_hub, refused  # noqa: F401 (the fixture)

from bimotion.grid import MARKER, prepare_fixtures, run_grid
from bimotion.grid.plan import marked_model, model_dir_in_grid


@pytest.mark.usefixtures("refused")  # the Hub at a closed local port, an empty Hub cache
def test_a_hub_model_of_the_users_trainer_is_the_same_model_when_the_grid_runs_again(tmp_path):
    data = prepare_fixtures(tmp_path / "data")
    out = tmp_path / "grid"
    config = grid_config(tables=[], mixtures=["zho_eld"], extra_tests=["zho_eld"], projections=[])
    trainer = _on_the_hub(tmp_path / "hub", "me/ser")
    metrics_file = out / "metrics" / "zho_eld" / "seed0.json"
    runs = []
    for _ in range(2):
        run_grid(config, {"bimotion": data["bimotion"]}, out, trainer=trainer, log=None)
        runs.append(json.loads(metrics_file.read_text()))
    first, again = runs
    assert first["model_dir"] == again["model_dir"] == "me/ser"
    assert first["training_clips"]["unreached"] is True  # the Hub could not be asked: said so, both times
    assert again["training_clips"] == first["training_clips"]  # was "no train_manifest.txt beside the model"
    assert str(model_dir_in_grid(out, "zho_eld")) == "me/ser"  # the tools that read the markers see it alike
    marker = json.loads((out / "models" / "zho_eld" / "seed0" / MARKER).read_text())
    assert marker["model_dir"] == "me/ser" and marker["on_hub"] is True


def test_a_local_models_marker_stays_relative_and_an_older_one_still_reads(tmp_path):
    record = {"model": "zho_eld", "model_dir": "models/zho_eld/seed0"}  # every marker before on_hub
    assert marked_model(tmp_path / "moved", record) == tmp_path / "moved" / "models" / "zho_eld" / "seed0"
    assert str(marked_model(tmp_path, {"model_dir": "me/ser", "on_hub": True})) == "me/ser"
