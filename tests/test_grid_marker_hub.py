"""A grid model that the user's own trainer returns as a Hub id (``me/ser``) was recorded in its marker
as a path relative to the grid's folder (``../../me/ser``, of the directory the grid ran in), so a rerun of
the same folder read it back as a local folder that is not there: its metrics file then named another
model and recorded ``training_clips`` as "no manifest beside the model" instead of the Hub's answer.  Now
the marker records a Hub id as one (:func:`bimotion.grid.plan.marked_model`, the one reader of a marker),
a local folder still relative to the grid's folder, and an older marker's relative path still reads."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml
from test_grid import grid_config
from test_hub_unreachable_grid import _on_the_hub, refused  # noqa: F401 (the fixture)

from bimotion.grid import MARKER, prepare_fixtures, run_grid
from bimotion.grid.plan import StaleMarker, marked_model, model_dir_in_grid


@pytest.mark.usefixtures("refused")  # the Hub at a closed local port, an empty Hub cache
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
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
    (tmp_path / "moved" / "models" / "zho_eld" / "seed0").mkdir(parents=True)
    marker = tmp_path / "moved" / "models" / "zho_eld" / "seed0" / MARKER
    assert marked_model(tmp_path / "moved", record, marker) == tmp_path / "moved" / "models" / "zho_eld" / "seed0"
    assert str(marked_model(tmp_path, {"model_dir": "me/ser", "on_hub": True}, marker)) == "me/ser"
    with pytest.raises(StaleMarker) as err:  # its folder deleted: no Hub id is guessed from models/<name>/seedN
        marked_model(tmp_path / "elsewhere", record, marker)
    assert str(err.value) == (
        f"{marker} names the model models/zho_eld/seed0 (relative to {tmp_path / 'elsewhere'}), which is not there "
        f"(moved, deleted, or on a disk not mounted now): put it back there, or delete {marker} and run the grid "
        "again, which trains that model again"
    )


def test_a_deleted_folder_of_ones_own_trainer_outside_the_grid_is_not_called_a_hub_id(tmp_path):
    """A trainer of one's own that saves beside the grid (../ckpts/zho_eld/seed0), its seed0 deleted (or its
    disk not mounted): the marker was said to hold 'the Hub id zho_eld/seed0 that the trainer returned', as
    an older bimotion recorded one, and only to delete it and train again."""
    (tmp_path / "ckpts" / "zho_eld").mkdir(parents=True)  # seed0 deleted
    marker = tmp_path / "grid" / "models" / "zho_eld" / "seed0" / MARKER
    for model_dir in ("../ckpts/zho_eld/seed0", "../scratch/zho_eld/seed0"):  # the second: a disk not mounted
        with pytest.raises(StaleMarker) as err:
            marked_model(tmp_path / "grid", {"model_dir": model_dir}, marker)
        assert "Hub id" not in str(err.value), model_dir
        assert (
            f"which is not there (moved, deleted, or on a disk not mounted now): put it back there, or delete {marker}"
            in str(err.value)
        )


@pytest.mark.usefixtures("refused")  # the Hub at a closed local port, an empty Hub cache
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_an_older_marker_of_a_hub_model_is_one_error_naming_the_marker_and_the_fix(tmp_path, capsys):
    """A marker written before on_hub, for a Hub id its trainer returned, holds that id joined to the
    directory the grid ran in, relative to the grid's folder (`../work/me/ser`): read back as a local folder
    that is not there, a rerun wrote its metrics file naming `../work/me/ser` (`no train_manifest.txt beside
    the model`), and without its predictions ended in an OSError traceback (`Repo id must be in the form
    ...`).  Now it is one error naming the marker, the Hub id and the fix, the grid's command line exits 2,
    and that fix works."""
    from conftest import load_recipe

    data = prepare_fixtures(tmp_path / "data")
    out = tmp_path / "grid"
    config = grid_config(tables=[], mixtures=["zho_eld"], extra_tests=["zho_eld"], projections=[])
    hub_trainer = _on_the_hub(tmp_path / "hub", "me/ser")
    run_grid(config, {"bimotion": data["bimotion"]}, out, trainer=hub_trainer, log=None)
    marker = out / "models" / "zho_eld" / "seed0" / MARKER
    record = json.loads(marker.read_text())
    del record["on_hub"]  # as model_record wrote it before on_hub, the grid run from tmp_path / "work"
    record["model_dir"] = os.path.relpath((tmp_path / "work" / "me" / "ser").absolute(), out.absolute())
    assert record["model_dir"] == os.path.join("..", "work", "me", "ser")
    (tmp_path / "work").mkdir()  # the directory the grid ran in: there, and no folder me in it
    marker.write_text(json.dumps(record))
    trained = []

    def trainer(job):
        trained.append(job.name)
        return hub_trainer(job)

    said = (
        f"{marker} names the model {record['model_dir']} (relative to {out}), which is not there (as an older "
        "bimotion recorded the Hub id me/ser that the trainer returned, a folder of the directory it ran in; "
        f"markers now record a Hub id as one): delete {marker} and run the grid again, which trains that model again"
    )
    with pytest.raises(StaleMarker) as err:
        run_grid(config, {"bimotion": data["bimotion"]}, out, trainer=trainer, log=None)
    assert str(err.value) == said and trained == []
    with pytest.raises(StaleMarker, match="delete"):  # the other reader of markers says it alike
        model_dir_in_grid(out, "zho_eld")
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    argv = ["--config", str(tmp_path / "grid.yaml"), "--output_dir", str(out), "--bimotion", str(data["bimotion"])]
    assert load_recipe("grid").main(argv) == 2
    err_text = capsys.readouterr().err
    assert f"error: {said}" in err_text and "Traceback" not in err_text, err_text
    marker.unlink()  # the fix it gives
    shutil.rmtree(tmp_path / "hub" / "models--me--ser")  # the Hub model, as the trainer writes it again
    run_grid(config, {"bimotion": data["bimotion"]}, out, trainer=trainer, log=None)
    assert trained == ["zho_eld"] and str(model_dir_in_grid(out, "zho_eld")) == "me/ser"
    assert json.loads(marker.read_text())["on_hub"] is True


@pytest.mark.parametrize(
    ("blind", "processes", "said"),
    [
        ([1], 2, "but process 1 of this launch of 2 sees no such file"),
        ([1, 3], 4, "but processes 1 and 3 of this launch of 4 see no such file"),
        ([1, 2, 3], 4, "but processes 1, 2 and 3 of this launch of 4 see no such file"),
    ],
)
def test_a_marker_some_processes_of_a_launch_do_not_see_is_said_in_english(tmp_path, blind, processes, said):
    """The processes of a launch that see no trained model's marker were listed as "process 1, 2, 3 of this launch
    of 4 sees no such file"; one is "process 1 ... sees", several "processes 1, 2 and 3 ... see"."""
    from bimotion.grid.plan import unseen_marker

    marker = tmp_path / "models" / "zho_eld" / "seed0" / MARKER
    err = unseen_marker(marker, "zho_eld seed 0", blind, processes)
    assert isinstance(err, StaleMarker)
    assert str(err) == (
        f"{marker} marks zho_eld seed 0 as trained, {said} (its --output_dir is another folder there: on another "
        "machine, or not mounted): give every process of the launch one shared --output_dir, then run the same "
        "command again"
    )
