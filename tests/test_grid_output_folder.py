"""A grid's output folder and what it writes there: run from Python without matplotlib (the ``[train]`` extra
alone), a folder or a FIFO where the grid reads or writes its own file, an earlier run's folder whose plan.json
was deleted."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ONE_UNIT_GRID, REPO

from bimotion.grid import run_grid
from bimotion.training.testing import subprocess_env

CONFIG = ONE_UNIT_GRID  # data_dirs, finished_grid: conftest's


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_run_grid_without_matplotlib_writes_its_metrics_and_tables_and_says_which_extra_draws_the_figures(
    finished_grid, data_dirs, tmp_path
):
    """``run_grid`` from Python with the ``[train]`` extra alone (no matplotlib; no recipe's check guards the API)
    wrote a unit's metrics file, then ended in ``ModuleNotFoundError: ... matplotlib`` drawing its confusion figure,
    no tables written.  Each figure is left out with the one line naming the extra that draws it (the confusion
    figure's and the heat map's); the metrics file and the tables are written."""
    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out, ignore=shutil.ignore_patterns("metrics", "tables", "claims"))  # to score
    done = _run_grid_without("matplotlib", CONFIG, data_dirs, out)
    (metrics,) = out.glob("metrics/*/seed0.json")
    extra = "is not drawn: it needs matplotlib, which the [plots] extra installs (pip install 'bimotion[plots]')\n"
    figure = metrics.with_suffix(".confusion.png")
    assert f"note: the confusion figure {figure} {extra}" in done.stderr, done.stderr
    assert f"note: the heat map {out / 'tables' / 'heatmap.png'} {extra}" in done.stderr, done.stderr
    assert done.stderr.count("is not drawn") == 2 and "Traceback" not in done.stderr, done.stderr
    assert not [p for p in (*out.glob("metrics/**/*"), *out.glob("tables/*")) if p.suffix in (".png", ".svg")]
    written = {p.name for p in (out / "tables").iterdir()}
    assert {"heatmap.csv", "heatmap.provenance.json"} <= written, written


def _run_grid_without(module: str, config: dict, data_dirs, out):
    """``run_grid(config)`` into ``out`` in a Python process where ``module`` is not installed (``pip install
    'bimotion[train]'`` alone): the finished process, its exit code 0 checked."""
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None\n"
        "from bimotion.grid import run_grid\n"
        f"run_grid({config!r}, { ({k: str(v) for k, v in data_dirs.items()})!r}, {str(out)!r}, log=None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=subprocess_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done


def test_run_grid_without_umap_writes_its_tables_and_says_which_extra_draws_its_projection(
    finished_grid, data_dirs, tmp_path
):
    """``run_grid`` from Python with matplotlib but without umap-learn, its config drawing a projection, computed the
    figure's features, then ended in an ImportError traceback of ``import umap``, after the tables.  The figure is
    left out with extras.not_drawn's one line, as the grid's other figures are, before any feature is computed."""
    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out, ignore=shutil.ignore_patterns("tables", "claims"))
    figure = {"name": "coverage", "title": "zho_eld", "model": "zho_eld", "test": "zho_eld",
              "panels": [{"title": "zho_eld", "train": "zho_eld"}]}  # fmt: skip
    done = _run_grid_without("umap", {**CONFIG, "projections": [figure]}, data_dirs, out)
    assert done.stderr.strip().splitlines()[-1] == (
        f"note: the projection {out / 'figures' / 'coverage.png'} is not drawn: it needs umap, which the [plots] "
        "extra installs (pip install 'bimotion[plots]')"
    ), done.stderr
    assert "Traceback" not in done.stderr and not (out / "figures").exists(), done.stderr
    assert {"heatmap.csv", "heatmap.png"} <= {p.name for p in (out / "tables").iterdir()}


def test_a_folder_in_the_place_of_a_finished_models_marker_is_one_error_for_the_tables_too(
    finished_grid, data_dirs, tmp_path
):
    """The tables read the labels each finished model was trained on from its marker: a folder in the marker's
    place (a user's mkdir, a sync tool's) read as 'no labels recorded' there (every label counted as trained),
    where training and reusing the model refuse it.  It is the grid's one line of a folder in its file's place."""
    from bimotion.grid import Grid
    from bimotion.grid.config import MARKER
    from loaders.errors import DamagedFileError

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out, ignore=shutil.ignore_patterns("tables"))
    (marker,) = out.glob(f"models/*/seed0/{MARKER}")
    marker.unlink()
    marker.mkdir()
    with pytest.raises(DamagedFileError) as raised:
        Grid(CONFIG, data_dirs, out, log=None).report()  # a finished grid's tables
    assert str(raised.value) == (
        f"{marker}: a folder, not a trained-model marker, so the tables cannot read the labels zho_eld seed 0 was "
        "trained on: remove or rename that folder, then run the same command again: the grid trains that model again"
    )
    assert not (out / "tables").exists()


def test_a_folder_made_where_the_grid_writes_its_plan_is_one_error_naming_it(data_dirs, tmp_path, monkeypatch):
    """A folder made in plan.json's place after the grid last looked for an earlier run's plan (its check just
    before the write), before it wrote its own (a second run, a sync tool): an IsADirectoryError traceback; now the
    grid's one folder_in_place line."""
    from bimotion.grid import runner
    from loaders.errors import DamagedFileError

    out = tmp_path / "grid"
    checked, looks = runner.check_settings, []

    def and_then_a_folder(*args, **kwargs):
        checked(*args, **kwargs)
        looks.append(args)
        if len(looks) == 1:  # its look before the write (write_plan's own, on finding a file there, reads it)
            (out / "plan.json").mkdir(parents=True)

    monkeypatch.setattr(runner, "check_settings", and_then_a_folder)
    with pytest.raises(DamagedFileError) as raised:
        run_grid(CONFIG, data_dirs, out, log=None)
    assert str(raised.value) == (
        f"{out / 'plan.json'}: a folder, not a grid plan, so the grid cannot record the settings its models are "
        "trained with: remove or rename that folder, then run the same command again"
    )
    assert not (out / "models").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="a FIFO")
def test_a_fifo_named_plan_json_is_one_error_line_not_a_hang(data_dirs, tmp_path):
    """A FIFO (or another file that is no regular file) named plan.json in the output folder: the grid opened it to
    read an earlier run's settings and waited for a writer, for ever.  It is never opened: one error line naming it
    and the fix, exit 2, nothing trained."""
    import os

    import yaml

    out = tmp_path / "grid"
    out.mkdir()
    os.mkfifo(out / "plan.json")
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
            *(f"--{name}={where}" for name, where in data_dirs.items())]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=180, env=subprocess_env())
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
    assert line == (
        f"error: {out / 'plan.json'}: a FIFO, socket or device, not a grid plan (not opened), so the grid cannot tell "
        "whether the models there were trained with this run's settings: remove it, then run the same command again"
    )
    assert sorted(p.name for p in out.iterdir()) == ["plan.json"] and "[grid] training " not in proc.stdout


def test_an_earlier_runs_folder_whose_plan_was_deleted_is_said_to_be_one(finished_grid, data_dirs, tmp_path):
    """A finished grid's folder whose plan.json was deleted (following a fix, or left out of a copy) was refused as
    holding 'files that no grid or advise run wrote (claims, metrics, models...)', which is false: it says what is
    the case, an earlier grid run's files without its plan.json, and the fix, which holds."""
    from bimotion.grid import Grid
    from bimotion.grid.settings import SettingsMismatch, check_settings

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    (out / "plan.json").unlink()
    settings = Grid(CONFIG, data_dirs, out, log=None).settings
    with pytest.raises(SettingsMismatch) as raised:
        check_settings(out, settings)
    held = sorted(p.name for p in out.iterdir() if p.name != "datasets-cache")
    named = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
    assert str(raised.value) == (
        f"{out} holds an earlier grid run's files ({named}) but not its plan.json, which records the settings its "
        "models were trained with, so they cannot be checked against this run's: put a whole copy of its plan.json "
        "back, or choose a new or empty output folder, or delete that one to start over."
    )
    shutil.copy(finished_grid / "plan.json", out / "plan.json")  # the fix
    check_settings(out, settings)
    (out / "plan.json").unlink()
    (out / "notes.txt").write_text("mine")  # a file no run writes beside them: still refused as before
    with pytest.raises(SettingsMismatch, match="holds files that no grid or advise run wrote"):
        check_settings(out, settings)


def test_an_earlier_run_stopped_before_any_model_finished_is_said_to_be_one(tmp_path):
    """A run stopped while training its first model (no marker, metrics file or claim yet: a checkpoint and the
    run's identity file) whose plan.json is gone was refused as 'files that no grid or advise run wrote (base-model,
    claims, models) ... a corpus folder is never written to', all of them the grid's own: it is an earlier run's."""
    from bimotion.grid.settings import SettingsMismatch, check_foreign_files

    out = tmp_path / "grid"
    (out / "base-model").mkdir(parents=True)
    (out / "claims").mkdir()
    seed = out / "models" / "zho_eld" / "seed0"
    (seed / "checkpoint-50").mkdir(parents=True)
    (seed / "run_identity.json").write_text("{}")
    with pytest.raises(SettingsMismatch) as raised:
        check_foreign_files(out)
    assert str(raised.value).startswith(
        f"{out} holds an earlier grid run's files (base-model, claims, models) but not its plan.json"
    ), raised.value


def test_a_plan_another_worker_wrote_while_this_one_checked_its_inputs_is_not_overwritten(
    data_dirs, tmp_path, monkeypatch
):
    """Two workers starting together on one folder (a Slurm array) both found no plan.json, both passed the
    settings check, and the last to write its plan won, though another worker's models, trained with other
    settings (another launch's batch), were to share its tables.  The plan found on writing is checked again:
    this worker is refused, the other's plan left as it was."""
    import json

    from bimotion.grid import runner
    from bimotion.grid.settings import SettingsMismatch

    out = tmp_path / "grid"
    theirs = {"settings": {"data": {}, "base_model": "another", "training": {}}, "models": []}
    checked = runner.check_inputs

    def meanwhile(*args, **kwargs):  # the other worker writes its plan while this one checks its inputs
        checked(*args, **kwargs)
        out.mkdir(parents=True, exist_ok=True)
        (out / "plan.json").write_text(json.dumps(theirs))

    monkeypatch.setattr(runner, "check_inputs", meanwhile)
    with pytest.raises(SettingsMismatch, match="holds a grid run with other settings"):
        run_grid(CONFIG, data_dirs, out, log=None)
    assert json.loads((out / "plan.json").read_text()) == theirs


@pytest.mark.parametrize("links", [True, False], ids=["hard-links", "no-hard-links"])
def test_of_two_workers_that_both_passed_the_settings_check_the_second_plan_is_refused_not_written_over(
    tmp_path, links, monkeypatch
):
    """Two workers with other settings starting together both found no plan.json and both passed check_settings;
    each then wrote its plan (replacing whatever was there), and the last write won: the first worker's models were
    trained under a plan.json naming the other's settings.  plan.json is created exclusively: the second write is
    refused with the refusal a mismatching plan gets, the first plan left as it was; the same settings again (a
    rerun, a worker of the same grid) still replace it.  Also on a file system without hard links (an exFAT drive,
    an SMB share: os.link fails with EPERM), where the exclusive write's link made every grid run fail there with
    'PermissionError: [Errno 1] Operation not permitted' on its plan.json."""
    import errno
    import json
    import os

    if not links:

        def no_link(src, dst, *args, **kwargs):
            raise PermissionError(errno.EPERM, "Operation not permitted", str(src), None, str(dst))

        monkeypatch.setattr(os, "link", no_link)

    from bimotion.grid.settings import SettingsMismatch, check_settings, write_plan

    out = tmp_path / "grid"
    out.mkdir()
    first, second = ({"data": {}, "base_model": model, "training": {}} for model in ("tiny-a", "tiny-b"))
    for settings in (first, second):  # both look before either writes
        check_settings(out, settings)
    write_plan(out, first, {"models": []})
    with pytest.raises(SettingsMismatch) as raised:
        write_plan(out, second, {"models": [], "cells": []})
    assert str(raised.value) == (
        f"{out} holds a grid run with other settings (base_model: tiny-a there, tiny-b now): its finished models would "
        "be reused. Choose another output folder, or delete that one to start over."
    )
    assert json.loads((out / "plan.json").read_text()) == {"settings": first, "models": []}
    write_plan(out, first, {"models": [], "cells": []})
    assert json.loads((out / "plan.json").read_text()) == {"settings": first, "models": [], "cells": []}
    assert sorted(p.name for p in out.iterdir()) == ["plan.json"]  # no temporary file left
