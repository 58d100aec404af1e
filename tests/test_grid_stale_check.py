"""Before the tables, a grid's worker checks each finished unit's metrics file against its saved prediction
files (:func:`bimotion.grid.workers.stale_metrics`): each check reads each prediction file once, and a file it
cannot read is one ``error:`` line naming it and the fix; so is one that scoring a unit again cannot read, and that
scoring reads each file's records once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import ONE_UNIT_GRID, REPO, run_snippet_locked, unprivileged

from bimotion.grid import Grid, run_grid
from bimotion.grid.saved import SCORED_IN, load_npz
from bimotion.grid.workers import stale_metrics
from loaders.files import save_npz

CONFIG = ONE_UNIT_GRID  # data_dirs, finished_grid: conftest's


def _opened_below(monkeypatch, folder: Path) -> list[str]:
    """The files below ``folder`` opened from now on, once per opening (``open``: NumPy's ``np.load``,
    :func:`loaders.files.sha256_of`; ``io.open``: ``Path.read_bytes``), whatever reads them."""
    import builtins
    import io

    opened, real = [], io.open

    def counting(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(os.fsdecode(file)).is_relative_to(folder):
            opened.append(os.fsdecode(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    monkeypatch.setattr(io, "open", counting)
    return opened


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_each_check_of_a_unit_reads_each_prediction_file_once(finished_grid, data_dirs, tmp_path, monkeypatch):
    """The check read each prediction file three times (its dtype for all the files, then for each alone, then
    its SHA-256), and rescore_stale checks a stale unit twice (again under its claim): six readings of every
    file.  It reads each once now, and judges as before: a unit as scored is not stale, other predictions of the
    same dtype (their SHA-256) are, and so are predictions recording another dtype than this machine scores in."""
    import shutil

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    grid = Grid(CONFIG, data_dirs, out, log=None)
    (model,) = grid.plan.models
    files = sorted((out / "predictions").rglob("*.npz"))
    assert len(files) == 4
    opened = _opened_below(monkeypatch, out / "predictions")

    assert stale_metrics(grid, model, 0) is None
    assert Counter(opened) == {str(f): 1 for f in files}

    first = load_npz(files[0])
    save_npz(files[0], {**first, "logits": first["logits"] + 1.0})  # other predictions, float32 as before
    opened.clear()
    why = stale_metrics(grid, model, 0)
    assert why == "its metrics file was computed from other prediction files than those saved (their SHA-256)"
    assert Counter(opened) == {str(f): 1 for f in files}

    save_npz(files[1], {**load_npz(files[1]), SCORED_IN: np.array("bfloat16")})  # as scored on a GPU
    opened.clear()
    assert stale_metrics(grid, model, 0) == "its predictions were scored in bfloat16, scoring is now in float32"
    assert Counter(opened) == {str(f): 1 for f in files}


def _recipe_with_locked(locked: Path, out: Path, data_dirs, shard: str, tmp_path: Path):
    """``python recipes/grid.py --shard SHARD`` on the grid ``out`` whose file ``locked`` it cannot read (``chmod 000``,
    run unprivileged: skipped where root cannot drop its capabilities)."""
    import yaml

    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
            *(f"--{name}={where}" for name, where in data_dirs.items()), "--shard", shard]  # fmt: skip
    argv = unprivileged(argv)  # as root, chmod 000 does not stop reading: without root's capabilities, or skipped
    locked.chmod(0o000)
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    finally:
        locked.chmod(0o644)


def _assert_one_error_line(proc, out: Path, path: Path, stake: str) -> None:
    """``proc`` (:func:`_recipe_with_locked`) stopped with exit 2 and no traceback, its one ``error:`` line naming the
    file ``path`` it cannot read, ``stake`` (what the grid cannot do without it) and the fix; no claim left in
    ``out``."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
    assert line == (
        f"error: {path}: cannot be read (Permission denied), so {stake}: make it readable (chmod u+r, or run as its "
        "owner), then run the same command again"
    )
    assert not list(out.glob("claims/*.claim"))


@pytest.mark.parametrize("locked", ["prediction", "metrics"])
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_prediction_or_metrics_file_the_check_cannot_read_is_one_error_line(
    finished_grid, data_dirs, tmp_path, locked
):
    """``python recipes/grid.py`` writing the tables of a finished grid (here a worker of another shard) whose
    prediction file or metrics file it cannot read (``chmod 000``) stopped with a PermissionError traceback (the
    metrics file's after the check took it for one to read as it is, in the tables' collect).  The check now
    stops with one ``error:`` line naming the file and the fix, exit 2, the tables' claim released."""
    import shutil

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    path = sorted((out / "predictions").rglob("*.npz"))[0] if locked == "prediction" else out / "metrics"
    if locked == "metrics":
        (path,) = path.rglob("seed0.json")
    proc = _recipe_with_locked(path, out, data_dirs, "1/2", tmp_path)
    stake = "the grid cannot check that the metrics file of zho_eld seed 0 describes its saved predictions"
    _assert_one_error_line(proc, out, path, stake + " before writing the tables")


def test_scoring_a_unit_reads_each_prediction_file_once_for_its_records(
    finished_grid, data_dirs, tmp_path, monkeypatch
):
    """score_model opened each prediction file twice more after predicting it (its dtype, then its SHA-256, for the
    metrics file's records), so a unit scored again from its saved predictions read each three times.  It reads their
    records from one opening now (saved.prediction_records): a file predicted now once, a saved one twice (read back
    for its predictions, then its records); the metrics file records the same, and the check finds it as scored."""
    import json
    import shutil

    from loaders.files import sha256_of

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    grid = Grid(CONFIG, data_dirs, out, log=None)
    (model,) = grid.plan.models
    files = sorted((out / "predictions").rglob("*.npz"))
    files[0].unlink()  # predicted again by score_model
    opened = _opened_below(monkeypatch, out / "predictions")

    metrics = grid.score_model(model, 0)
    assert Counter(opened) == {str(f): 1 if f == files[0] else 2 for f in files}
    monkeypatch.undo()
    assert metrics[SCORED_IN] == "float32"
    assert metrics["predictions_sha256"] == {f.name: sha256_of(f) for f in files}
    assert json.loads(grid.metrics_file(model, 0).read_text())["predictions_sha256"] == metrics["predictions_sha256"]
    assert stale_metrics(grid, model, 0) is None


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_prediction_file_its_own_shard_cannot_read_is_one_error_line(finished_grid, data_dirs, tmp_path):
    """Rerunning a worker's own shard (``recipes/grid.py --shard 0/2``: the finished unit is scored again from its
    saved predictions) with a prediction file it cannot read (``chmod 000``) stopped with a PermissionError traceback
    from load_npz, exit 1.  It stops now with one ``error:`` line naming the file and the fix, in the words of the
    check before the tables (saved.unreadable), exit 2, the unit's claim released."""
    import shutil

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    path = sorted((out / "predictions").rglob("*.npz"))[0]
    proc = _recipe_with_locked(path, out, data_dirs, "0/2", tmp_path)
    _assert_one_error_line(proc, out, path, "the grid cannot score zho_eld seed 0 from its saved predictions")


def test_a_metrics_file_the_tables_cannot_read_is_one_error_not_a_missing_record(finished_grid, data_dirs, tmp_path):
    """The tables' count of test clips a model was trained on (heard.heard_counts, their ‡) read a metrics file it
    cannot read (``chmod 000``) with no care: a PermissionError traceback; what produced the scores
    (workers.metrics_provenance) took it for a file without that record: None, silently.  Both raise now the one
    ``error:`` line naming the file and the fix (saved.unreadable, DamagedFileError), as the check before the tables
    does; a metrics file not there is still none (no model to check; no record)."""
    import json
    import shutil

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    (path,) = (out / "metrics").rglob("seed0.json")
    script = tmp_path / "read.py"
    script.write_text(
        f"""from bimotion.grid import Grid
from bimotion.grid.heard import heard_counts
from bimotion.grid.workers import metrics_provenance

grid = Grid({CONFIG!r}, {json.dumps({k: str(v) for k, v in data_dirs.items()})}, {str(out)!r}, log=None)
(model,) = grid.plan.models
for call in (lambda: heard_counts(grid, model), lambda: metrics_provenance(grid)):
    try:
        print(call())
    except Exception as err:
        print(type(err).__name__ + ": " + str(err))
"""
    )
    argv = unprivileged([sys.executable, str(script)])  # as root, chmod 000 does not stop reading
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    path.chmod(0o000)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    finally:
        path.chmod(0o644)
    assert proc.returncode == 0, proc.stderr
    fix = "make it readable (chmod u+r, or run as its owner), then run the same command again"
    assert proc.stdout.splitlines() == [
        f"DamagedFileError: {path}: cannot be read (Permission denied), so the grid cannot tell how many test clips "
        f"zho_eld seed 0 was trained on (the tables' ‡): {fix}",
        f"DamagedFileError: {path}: cannot be read (Permission denied), so the tables cannot say what produced the "
        f"scores of zho_eld seed 0: {fix}",
    ]

    path.unlink()  # not there: no model to check, no record
    grid = Grid(CONFIG, data_dirs, out, log=None)
    (model,) = grid.plan.models
    from bimotion.grid.heard import heard_counts
    from bimotion.grid.workers import metrics_provenance

    assert heard_counts(grid, model) == {}
    assert metrics_provenance(grid) == {("zho_eld", 0): None}


def test_a_metrics_files_record_and_its_check_are_made_by_one_helper(tmp_path):
    """A metrics file's record of the prediction files it was computed from (predictions_sha256) and the check's
    (stale_metrics, from prediction_records) are one helper's, so the two cannot drift apart; the baseline of
    bench/bench_stale_check.py (each file read for its SHA-256 alone, its home since no library code used it)
    records the same."""
    import importlib.util

    from bimotion.grid.saved import prediction_records, sha256_record

    spec = importlib.util.spec_from_file_location("bench_stale_check", REPO / "bench" / "bench_stale_check.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    paths = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for i, path in enumerate(paths):
        save_npz(path, {"logits": np.full((2, 3), i, dtype=np.float32)})
    digests = [digest for _, digest in prediction_records(paths)]
    assert bench.predictions_sha256(paths) == sha256_record(paths, digests) == dict(zip(["a.npz", "b.npz"], digests))


def test_a_file_to_predict_again_that_the_check_finds_up_to_date_is_an_error_not_a_loop(
    finished_grid, data_dirs, tmp_path, monkeypatch
):
    """report_once loops while the tables find a file to predict again and rescore_stale scores its unit again; the
    two checks agree today, but were they at odds (the check finding a unit up to date whose file the tables must
    predict again), the worker would loop for ever holding nothing.  It now stops with a RuntimeError naming it."""
    import shutil

    from bimotion.grid import workers

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    read = Grid.saved_predictions
    monkeypatch.setattr(  # the tables' read finds a file to predict again, every time ...
        Grid, "saved_predictions", lambda grid, *a, say=True, **k: None if not say else read(grid, *a, say=say, **k)
    )
    monkeypatch.setattr(workers, "stale_metrics", lambda grid, model, seed: None)  # ... and the check never does
    with pytest.raises(RuntimeError, match=r"found zho_eld seed 0 up to date, but a file of it is to be predicted"):
        run_grid(CONFIG, data_dirs, out, log=None)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_stop_lost_in_the_last_units_scoring_writes_no_tables(finished_grid, data_dirs, tmp_path, monkeypatch):
    """A SIGTERM whose stop a finalizer swallowed while the grid scored its last unit was taken at the next unit's
    start only: there was none, so the worker wrote the tables and exited 0.  It is taken before the tables now."""
    import shutil

    from test_signals import _losing_once

    from bimotion.grid import workers
    from bimotion.signals import Terminated, terminate_as_interrupt

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    shutil.rmtree(out / "tables")
    _losing_once(monkeypatch, workers, "_score")  # the grid's one unit, scored again from its saved predictions
    with terminate_as_interrupt(), pytest.raises(Terminated, match="taken at the end of its units, before the tables"):
        run_grid(CONFIG, data_dirs, out, log=None)
    assert not (out / "tables").exists()


@pytest.mark.parametrize("reader", ["read_predictions", "read_metrics"])
def test_a_file_in_a_folder_that_cannot_be_entered_names_the_folder_and_its_fix(tmp_path, reader):
    """A grid's prediction or metrics file whose folder cannot be entered (``chmod 000`` on ``seed0/``, the file's
    own mode fine) was said to need ``chmod u+r`` on the file, which cannot help (and cannot even reach it).  The
    error now names the folder that cannot be entered and its fix (``chmod u+rx``), and the file it stops reading
    (run unprivileged: skipped where root cannot drop its capabilities)."""
    folder = tmp_path / "grid" / "predictions" / "zho_eld" / "seed0"
    folder.mkdir(parents=True)
    path = folder / ("bimotion-csed-zho_eld.npz" if reader == "read_predictions" else "seed0.json")
    if reader == "read_predictions":
        save_npz(path, {"logits": np.zeros((1, 2), np.float32)})
        call = f"read_predictions(Path({str(path)!r}), 'zho_eld', 0)"
    else:
        path.write_text("{}")
        call = f"read_metrics(Path({str(path)!r}), 'the tables cannot be written')"
    code = f"from pathlib import Path\nfrom bimotion.grid.saved import {reader}\ntry:\n    {call}\nexcept Exception as e:\n    print(e)"
    proc = run_snippet_locked(code, folder, 0o755)
    stake = (
        "the grid cannot score zho_eld seed 0 from its saved predictions"
        if reader == "read_predictions"
        else "the tables cannot be written"
    )
    assert proc.stdout.strip() == (
        f"{folder}: cannot enter this folder (Permission denied), so {path} cannot be read and {stake}: make it "
        "readable (chmod u+rx, or run as its owner), then run the same command again"
    ), proc.stdout + proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C to oneself")
def test_a_ctrl_c_lost_as_a_model_finished_training_is_taken_before_it_is_scored(data_dirs, tmp_path, monkeypatch):
    """A Ctrl-C whose stop a finalizer swallowed after training's last safe point (as the run saved its outputs)
    was taken at the next unit's start, or before the tables: the grid first predicted every test clip with the
    model and wrote its metrics.  It is taken once the model is saved (its marker: a rerun reuses it), before
    anything is predicted."""
    import signal

    from test_signals import _lose_a_stop_in_a_finalizer

    from bimotion.grid import MARKER
    from bimotion.grid.jobs import train_model
    from bimotion.signals import Terminated, terminate_as_interrupt

    def losing(job):
        saved = train_model(job)
        assert _lose_a_stop_in_a_finalizer(monkeypatch, signal.SIGINT) == [KeyboardInterrupt]
        return saved

    out = tmp_path / "grid"
    with terminate_as_interrupt(), pytest.raises(KeyboardInterrupt, match="before its scoring") as stop:
        run_grid(CONFIG, data_dirs, out, trainer=losing, log=None)
    assert not isinstance(stop.value, Terminated) and str(stop.value).startswith("stopped by Ctrl-C")
    assert (out / "models" / "zho_eld" / "seed0" / MARKER).is_file()
    assert not (out / "predictions").exists() and not (out / "metrics").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_after_the_last_units_training_writes_no_tables(data_dirs, tmp_path, monkeypatch):
    """A SIGTERM after training's last safe point (as the trained model's scores and card were written) is left
    pending (:func:`bimotion.signals.take_pending_stop`).  It was taken at the next unit's start, or before the
    tables: the grid first predicted every test clip with the model and wrote its metrics, which under Slurm may
    outlast the grace period before SIGKILL.  It is taken once the model is saved (its marker: a rerun reuses
    it), before anything is predicted, as a stop lost there is (exit 143); the rerun scores it and writes the tables."""
    import signal

    from bimotion.grid import MARKER
    from bimotion.signals import Terminated, exit_code, terminate_as_interrupt
    from bimotion.training import run as training_run

    original = training_run.write_outputs

    def signalled(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # within stop_at_safe_points: only its flag, left pending
        return original(*args, **kwargs)

    monkeypatch.setattr(training_run, "write_outputs", signalled)
    out, lines = tmp_path / "grid", []
    with terminate_as_interrupt(), pytest.raises(Terminated, match="before its scoring") as stop:
        run_grid(CONFIG, data_dirs, out, log=lines.append)
    assert exit_code(stop.value) == 143
    assert lines[-1] == (
        "[grid] SIGTERM came as a model finished training: it is saved, and a rerun reuses it; "
        "stopping before its scoring"
    )
    assert (out / "models" / "zho_eld" / "seed0" / MARKER).is_file()
    assert not (out / "predictions").exists() and not (out / "metrics").exists()
    assert not (out / "tables").exists() and not list(out.glob("claims/*.claim"))
    monkeypatch.undo()
    lines.clear()
    assert run_grid(CONFIG, data_dirs, out, log=lines.append) is not None and (out / "tables").is_dir()
    assert not any(line.startswith("[grid] training ") for line in lines), lines  # the model reused, only scored


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_damaged_metrics_file_is_one_error_naming_it_and_the_fix(finished_grid, data_dirs, tmp_path):
    """A metrics file cut short (a crash, or edited by hand) that the tables read, where a grid runs in shards (the
    worker writing the tables does not score that unit again: recipes/grid.py --shard 1/2), ended with a
    JSONDecodeError traceback, exit 1; a folder in its place with an IsADirectoryError, JSON that is no object
    with an AttributeError.  Each is one error: line now, exit 2, naming the file, what it holds and the fix; the
    fix holds: deleted, the unit's shard scores it again and the tables are written."""
    import json
    import re
    import shutil

    import yaml

    from bimotion.grid.saved import read_metrics
    from loaders.errors import DamagedFileError

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    (path,) = (out / "metrics").rglob("seed0.json")
    path.write_text(path.read_text(encoding="utf-8")[:100], encoding="utf-8")
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
            *(f"--{name}={where}" for name, where in data_dirs.items())]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def grid(shard: str):
        return subprocess.run([*argv, "--shard", shard], capture_output=True, text=True, timeout=300, env=env)

    proc = grid("1/2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
    assert line.startswith(f"error: {path}: not a whole metrics file (Expecting ") and line.endswith(
        ": cut short by a crash, or edited by hand), so the grid cannot tell how many test clips zho_eld seed 0 was "
        "trained on (the tables' ‡): delete it, then run the same command again (a grid run in shards: that unit's "
        "shard): the grid scores that model and seed again from its saved predictions"
    ), line
    path.unlink()
    assert grid("0/2").returncode == 0 and json.loads(path.read_text())["tests"]  # its shard scores it again

    for held, words in (("[]", "holds JSON an array, not a metrics file's object"), ("null", "holds JSON null")):
        path.write_text(held)
        with pytest.raises(DamagedFileError, match=rf"^{re.escape(f'{path}: {words}')}.*: delete it, then run"):
            read_metrics(path, "the tables cannot be written")
    path.unlink()
    path.mkdir()
    with pytest.raises(DamagedFileError, match=rf"^{re.escape(str(path))}: a folder, not a metrics file, so the "):
        read_metrics(path, "the tables cannot be written")


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_prediction_file_cut_short_is_one_error_naming_it_and_the_fix(finished_grid, data_dirs, tmp_path):
    """A saved prediction file cut short (a crash, a copy stopped halfway) or no .npz ended the grid with a
    BadZipFile (ValueError, EOFError) traceback, exit 1: as it scored the unit again (read_predictions), or, where
    a worker wrote the tables for another shard's unit, in the check before them (prediction_records).  Each is one
    error: line now, exit 2, naming the file and the fix; the fix holds: deleted, the grid predicts it again."""
    import shutil

    import yaml

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    path = sorted((out / "predictions").rglob("*.npz"))[0]
    whole = path.read_bytes()
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
            *(f"--{name}={where}" for name, where in data_dirs.items())]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def grid(*shard: str):
        return subprocess.run([*argv, *shard], capture_output=True, text=True, timeout=300, env=env)

    fix = (
        ": delete it, then run the same command again (a grid run in shards: that unit's shard): the grid predicts "
        "that model's test clips again and scores it"
    )
    stakes = {
        (): "the grid cannot score zho_eld seed 0 from its saved predictions",
        ("--shard", "1/2"): "the grid cannot check that the metrics file of zho_eld seed 0 describes its saved "
        "predictions",
    }
    half, plain, sharded = whole[: len(whole) // 2], (), ("--shard", "1/2")
    for held, shard in ((half, plain), (half, sharded), (b"", plain), (b"not a zip", sharded)):
        path.write_bytes(held)
        proc = grid(*shard)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
        assert line.startswith(f"error: {path}: not a whole prediction file (") and line.endswith(
            f": cut short by a crash or a copy, or no .npz), so {stakes[shard]}{fix}"
        ), line
        assert not list(out.glob("claims/*.claim"))
    path.unlink()
    assert grid().returncode == 0 and load_npz(path)["logits"].shape  # predicted again


@pytest.mark.parametrize("which", ["predictions", "metrics", "marker", "confusion"])
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_folder_where_a_unit_writes_its_file_is_one_error_naming_it_and_the_fix(
    finished_grid, data_dirs, tmp_path, which
):
    """A folder standing where a unit writes its prediction or metrics file, its confusion figure or its trained
    model's marker (a user's mkdir, a half-copied output) ended python recipes/grid.py with an IsADirectoryError
    traceback from the write, exit 1 (the marker's once its model was trained again: the folder was no marker).
    It is one error: line now, exit 2 (the marker's, a prediction file's and a metrics file's from the check of
    whether the unit is finished, workers.saved_files, before anything is trained or scored), naming the path, what
    it should be and the fix (remove or rename that folder), no claim and no temporary file left behind; the fix
    holds: the folder removed, the same command finishes."""
    import shutil

    import yaml

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    path = {
        "predictions": lambda: sorted((out / which).rglob("*.npz"))[0],
        "metrics": lambda: out / "metrics" / "zho_eld" / "seed0.json",
        "marker": lambda: out / "models" / "zho_eld" / "seed0" / "grid-trained.json",
        "confusion": lambda: out / "metrics" / "zho_eld" / "seed0.confusion.png",
    }[which]()
    path.unlink()
    path.mkdir()
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
            *(f"--{name}={where}" for name, where in data_dirs.items())]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
    what, stake = {
        "predictions": ("a prediction file", "tell whether zho_eld seed 0 is scored"),  # its check of the unit
        "metrics": ("a metrics file", "tell whether zho_eld seed 0 is scored"),
        "marker": ("a trained-model marker", "tell whether zho_eld seed 0 is trained"),
        "confusion": ("a figure", "save zho_eld seed 0's confusion figure"),
    }[which]
    assert line == (
        f"error: {path}: a folder, not {what}, so the grid cannot {stake}: remove or rename that folder, then run the "
        "same command again" + (": the grid trains that model again" if which == "marker" else "")
    )
    assert "[grid] training " not in proc.stdout and not list(out.glob("claims/*.claim"))
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []  # no temporary file
    path.rmdir()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0 and path.is_file(), proc.stderr


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_damaged_trained_model_marker_is_one_error_naming_it_and_the_fix(finished_grid, data_dirs, tmp_path):
    """A trained model's marker (grid-trained.json) cut short by a copy stopped halfway ended the rerun with a
    JSONDecodeError traceback, exit 1: as the grid reused its model (train_or_reuse), or, where the worker writing
    the tables does not score that unit again (recipes/grid.py --shard 1/2), as its check before the tables read the
    precision it is scored in (Grid.scoring_dtype, on a CPU as on a GPU).  Each is one error: line now, exit 2,
    naming the file and the fix, no claim left;
    the fix holds: the marker deleted, the same command trains that model again and writes the tables."""
    import re
    import shutil

    import yaml

    from bimotion.grid import MARKER
    from loaders.errors import DamagedFileError

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    shutil.rmtree(out / "tables")
    marker = out / "models" / "zho_eld" / "seed0" / MARKER
    marker.write_text(marker.read_text(encoding="utf-8")[:40], encoding="utf-8")
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
            *(f"--{name}={where}" for name, where in data_dirs.items())]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def grid(*shard: str):
        return subprocess.run([*argv, *shard], capture_output=True, text=True, timeout=300, env=env)

    fix = (
        ": cut short by a crash or a copy, or edited by hand), so {}: delete it to train that model again, or put a "
        "whole copy of it back, then run the same command again (a grid run in shards: that unit's shard)"
    )
    for shard, stake in (
        ((), "the grid cannot reuse zho_eld seed 0's trained model"),
        (("--shard", "1/2"), "the grid cannot find the precision zho_eld seed 0 is scored in"),  # its stale check
    ):
        proc = grid(*shard)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
        assert line.startswith(f"error: {marker}: not a whole trained-model marker (") and line.endswith(
            fix.format(stake)
        ), line
        assert not list(out.glob("claims/*.claim")) and not (out / "tables").exists()

    from bimotion.grid.saved import read_marker

    for held in ("[]", "null", '{"model": "zho_eld"}'):
        marker.write_text(held)
        with pytest.raises(DamagedFileError, match=rf"^{re.escape(f'{marker}: names no model folder')}.*: delete it"):
            read_marker(marker, "the grid cannot reuse it")
    marker.unlink()
    proc = grid()
    assert proc.returncode == 0, proc.stderr
    assert "[grid] trained zho_eld (seed 0)" in proc.stdout and (out / "tables" / "heatmap.csv").is_file()


def test_a_marker_the_tables_check_cannot_read_is_one_error_line_on_a_cpu_as_on_a_gpu(
    finished_grid, data_dirs, tmp_path
):
    """The worker writing the tables of a finished grid (recipes/grid.py --shard 1/2) checks each unit's predictions
    against the precision its model is scored in (Grid.scoring_dtype), read from its trained-model marker on a GPU;
    on a CPU it only asked ``is_file()``, so a marker it cannot read (``chmod 000``) passed the check, met later by
    the tables' read of its labels, with another line than a GPU's.  The check reads it on every machine (a folder
    or a FIFO there stops the check of whether the unit is finished, :func:`~bimotion.grid.workers.finished`, first):
    one ``error:`` line naming the marker, what the check cannot do and the fix, exit 2, no claim left."""
    import shutil

    from bimotion.grid import MARKER

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    shutil.rmtree(out / "tables")
    marker = out / "models" / "zho_eld" / "seed0" / MARKER
    proc = _recipe_with_locked(marker, out, data_dirs, "1/2", tmp_path)
    _assert_one_error_line(proc, out, marker, "the grid cannot find the precision zho_eld seed 0 is scored in")
    assert not (out / "tables").exists()


@pytest.mark.parametrize("damage", ["cut short", "folder", "no shards"])
def test_a_damaged_marker_that_project_reads_through_grid_dir_is_one_line_naming_it(tmp_path, damage):
    """recipes/project.py --grid_dir finds a grid's model by its markers (model_dir_in_grid), which it read with
    json.loads of its own: a marker cut short said "--model zho_eld: Unterminated string starting at: line 3 column
    15 (char 55)", naming no file, and a folder in its place ended in an IsADirectoryError traceback.  Both are the
    grid's own line now (saved.read_marker), naming the marker and the fix: the grid, not project.py, trains again."""
    from conftest import load_recipe

    from bimotion.training.parsing import ArgumentError

    grid_dir = tmp_path / "grid"
    marker = grid_dir / "models" / "zho_eld" / "seed0" / "grid-trained.json"
    marker.parent.mkdir(parents=True)
    (grid_dir / "plan.json").write_text('{"models": []}\n')
    if damage == "folder":
        marker.mkdir()
    elif damage == "no shards":  # edited by hand: said '--model zho_eld: shards', the KeyError's words
        marker.write_text('{"model_dir": "models/zho_eld/seed0"}')
    else:
        marker.write_text('{\n  "model_dir": "models/zho_eld/seed0",\n  "shards": [["bimo')
    project = load_recipe("project")
    with pytest.raises(ArgumentError) as raised:
        project.model_dir_of(project.ProjectArguments(grid_dir=str(grid_dir)), "zho_eld")
    stake = "so the model trained on zho_eld cannot be found"
    said = {
        "cut short": f"--model zho_eld: {marker}: not a whole trained-model marker (Unterminated string starting at: "
        f"line 3 column 15 (char 55): cut short by a crash or a copy, or edited by hand), {stake}: delete it to train "
        "that model again, or put a whole copy of it back, then run the grid again (a grid run in shards: that "
        "unit's shard)",
        "folder": f"--model zho_eld: {marker}: a folder, not a trained-model marker, {stake}: remove or rename that "
        "folder, then run the grid again: the grid trains that model again",
        "no shards": f'--model zho_eld: {marker}: names no shards it was trained on (no "shards": edited by hand?), '
        f"{stake}: delete it to train that model again, or put a whole copy of it back, then run the grid again (a "
        "grid run in shards: that unit's shard)",
    }
    assert str(raised.value) == said[damage]


@pytest.mark.parametrize(
    "models",
    ['[{"name": "zho_eld", "specs": ["zho_eld"]}]', '[{"name": "zho_eld", "shards": "zho_eld"}]', '["zho_eld"]'],
)
def test_a_plan_whose_model_names_no_shards_that_project_reads_through_grid_dir_is_one_line_naming_it(tmp_path, models):
    """recipes/project.py --grid_dir looks for a model not trained yet in plan.json's models: one without "shards"
    (edited by hand) said "--model zho_eld: 'shards'", a KeyError's words naming no file.  read_plan checks each
    model as it checks the plan: one line naming plan.json and the fix."""
    from conftest import load_recipe

    from bimotion.training.parsing import ArgumentError

    grid_dir = tmp_path / "grid"
    grid_dir.mkdir()
    (grid_dir / "plan.json").write_text(f'{{"models": {models}}}\n')
    project = load_recipe("project")
    with pytest.raises(ArgumentError) as raised:
        project.model_dir_of(project.ProjectArguments(grid_dir=str(grid_dir)), "zho_eld")
    assert str(raised.value) == (
        f'--model zho_eld: {grid_dir / "plan.json"}: its model 1 is no object naming its "name" and "shards" (edited '
        f"by hand?), so the grid in {grid_dir} cannot tell whether it plans a model of 'zho_eld': put a whole copy of "
        "it back, or choose another output folder, or delete that one to start over"
    )


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_folder_in_the_place_of_a_grids_plan_is_one_error_naming_it_and_the_fix(
    finished_grid, data_dirs, tmp_path, capsys
):
    """A folder standing where a grid output folder's plan.json is (a user's mkdir, a sync tool's): in an earlier run's
    folder python recipes/grid.py refused it as 'grid.py: error: ... holds files that no grid or advise run wrote
    (claims, metrics, ...)', in a new one it ended with an IsADirectoryError traceback as it wrote its plan, exit 1; and
    recipes/project.py --grid_dir said 'is not a grid output folder (no plan.json)'.  Each is the one error: line
    of a folder in a grid's file's place now (exit 2, before anything trains), naming it and the fix; the fix holds."""
    import shutil

    import yaml
    from conftest import load_recipe

    from bimotion.grid.settings import check_settings

    earlier, new = tmp_path / "grid", tmp_path / "new"
    shutil.copytree(finished_grid, earlier)
    (earlier / "plan.json").unlink()
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    fix = (
        "remove or rename that folder, then run the same command again (an earlier run's files beside it: put a whole "
        "copy of its plan.json there instead)"
    )
    for out in (earlier, new):
        (out / "plan.json").mkdir(parents=True)
        argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
                *(f"--{name}={where}" for name, where in data_dirs.items())]  # fmt: skip
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
        assert line == (
            f"error: {out / 'plan.json'}: a folder, not a grid plan, so the grid cannot tell whether the models there "
            f"were trained with this run's settings: {fix}"
        )
        assert "[grid] training " not in proc.stdout
    assert [p.name for p in new.iterdir()] == ["plan.json"]  # nothing written

    figures = ["--output_dir", str(tmp_path / "figures"), "--test", "eng_eld", "--panels", "eng_eld"]
    project = ["--bimotion", str(data_dirs["bimotion"]), "--grid_dir", str(earlier), "--model", "eng_eld", *figures]
    with pytest.raises(SystemExit) as stop:
        load_recipe("project").main(project)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err, err
    assert (
        f"error: --model eng_eld: {earlier / 'plan.json'}: a folder, not a grid plan, so the grid in {earlier} cannot "
        f"tell whether it plans a model of 'eng_eld': {fix}\n"
    ) in err, err
    (new / "plan.json").rmdir()  # the fix: the folder removed, or the earlier run's plan put back
    check_settings(new, {})
    (earlier / "plan.json").rmdir()
    shutil.copy(finished_grid / "plan.json", earlier / "plan.json")
    check_settings(earlier, Grid(CONFIG, data_dirs, earlier, log=None).settings)


def _grid_recipe(out: Path, data_dirs, tmp_path: Path, *shard: str, unprivileged_run: bool = False):
    """``python recipes/grid.py`` on the grid ``out`` (``shard``: ``--shard I/N``), its run; ``unprivileged_run``: where
    permissions hold (:func:`conftest.unprivileged`: skipped where root cannot drop its capabilities)."""
    import yaml

    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    argv = [sys.executable, str(REPO / "recipes" / "grid.py"), "--config", str(config), "--output_dir", str(out),
            *(f"--{name}={where}" for name, where in data_dirs.items()), *shard]  # fmt: skip
    argv = unprivileged(argv) if unprivileged_run else argv
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)


def _each_worker_stops(out: Path, data_dirs, tmp_path: Path, said: str, unsaid: str) -> None:
    """python recipes/grid.py on the grid ``out`` by the unit's own worker (the one worker's) and another shard's
    (``--shard 1/2``): each exits 2, no traceback, its one error: line ``error: {said}``, ``unsaid`` not in its log
    and no claim left."""
    for shard in ((), ("--shard", "1/2")):
        proc = _grid_recipe(out, data_dirs, tmp_path, *shard)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (shard, proc.stdout, proc.stderr)
        (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
        assert line == f"error: {said}", shard
        assert unsaid not in proc.stdout and not list(out.glob("claims/*.claim"))


@pytest.mark.parametrize("damage", ["folder", "fifo", "dead link"])
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_marker_that_is_no_file_is_one_error_line_for_every_worker(finished_grid, data_dirs, tmp_path, damage):
    """A finished unit's marker (grid-trained.json) that is no file: a folder or a FIFO in its place was a unit
    "not started" to the worker of another shard (recipes/grid.py --shard 1/2 exited 0 saying "1 unfinished: zho_eld
    seed 0 (shard 0/2's, not started)"), as workers.finished asked is_file(); a link to no file (a disk not mounted)
    made its own worker train the model again and replace the link with a new marker, silently.  Every worker's
    check stops now with one error: line naming it and the fix, exit 2, nothing trained, the link left as it was."""
    import shutil

    from bimotion.grid import MARKER

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    shutil.rmtree(out / "tables")
    marker = out / "models" / "zho_eld" / "seed0" / MARKER
    marker.unlink()
    stake = "so the grid cannot tell whether zho_eld seed 0 is trained"
    if damage == "folder":
        marker.mkdir()
        said = f"{marker}: a folder, not a trained-model marker, {stake}: remove or rename that folder, then run the "
        said += "same command again: the grid trains that model again"
    elif damage == "fifo":
        os.mkfifo(marker)
        said = f"{marker}: a FIFO, socket or device, not a trained-model marker (not opened), {stake}: remove it, "
        said += "then run the same command again"
    else:
        gone = tmp_path / "unmounted" / MARKER
        marker.symlink_to(gone)
        said = f"{marker}: a link to {gone}, which leads to no file (No such file or directory), {stake}: put back the "
        said += "file it points to (on a disk not mounted now?), or remove the link to train that model again, then "
        said += "run the same command again"
    _each_worker_stops(out, data_dirs, tmp_path, said, "[grid] training ")
    assert not (out / "tables").exists()
    assert marker.is_symlink() if damage == "dead link" else not marker.is_file()


def test_a_model_folder_that_cannot_be_entered_is_one_error_line_naming_it(finished_grid, data_dirs, tmp_path):
    """A finished unit's model folder that cannot be entered (``chmod 000`` on ``models/zho_eld/seed0``) ended
    python recipes/grid.py with a PermissionError traceback from workers.finished's is_file(), exit 1, and the
    tables' read of its labels (Grid.trained_labels) with one from exists().  Both say now the one line of a folder
    that cannot be entered: the folder, the marker it stops reading, what the grid cannot do, and the fix (run
    unprivileged: skipped where root cannot drop its capabilities)."""
    import json
    import shutil

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    shutil.rmtree(out / "tables")
    folder = out / "models" / "zho_eld" / "seed0"
    marker = folder / "grid-trained.json"
    fix = "make it readable (chmod u+rx, or run as its owner), then run the same command again"

    folder.chmod(0o000)
    try:
        proc = _grid_recipe(out, data_dirs, tmp_path, unprivileged_run=True)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
    assert line == (
        f"error: {folder}: cannot enter this folder (Permission denied), so {marker} cannot be read and the grid "
        f"cannot tell whether zho_eld seed 0 is trained: {fix}"
    )
    assert "[grid] training " not in proc.stdout and not list(out.glob("claims/*.claim"))

    code = f"""from bimotion.grid import Grid
grid = Grid({CONFIG!r}, {json.dumps({k: str(v) for k, v in data_dirs.items()})}, {str(out)!r}, log=None)
(model,) = grid.plan.models
try:
    print(grid.trained_labels(model, 0))
except Exception as err:
    print(type(err).__name__ + ": " + str(err))
"""
    proc = run_snippet_locked(code, folder, 0o755)
    assert proc.stdout.strip() == (
        f"DamagedFileError: {folder}: cannot enter this folder (Permission denied), so {marker} cannot be read and "
        f"the tables cannot read the labels zho_eld seed 0 was trained on: {fix}"
    ), proc.stdout + proc.stderr


def _unit_file(out: Path, which: str) -> Path:
    """The finished unit's first prediction file (``which``: ``prediction``) or its metrics file, in the grid ``out``."""
    if which == "prediction":
        return sorted((out / "predictions").rglob("*.npz"))[0]
    return out / "metrics" / "zho_eld" / "seed0.json"


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
@pytest.mark.parametrize("which", ["prediction", "metrics"])
def test_a_unit_folder_that_cannot_be_entered_is_one_error_line_naming_it(finished_grid, data_dirs, tmp_path, which):
    """A finished unit's predictions or metrics folder that cannot be entered (``chmod 000`` on
    ``predictions/zho_eld/seed0``, ``metrics/zho_eld``) ended python recipes/grid.py, the unit's own worker's and
    another shard's, with a PermissionError traceback from workers.finished's is_file(), exit 1.  It is the one line
    of a folder that cannot be entered now, as for its model folder: the folder, the file it stops reading, what the
    grid cannot do and the fix, exit 2, no claim left (run unprivileged: skipped where root cannot drop its
    capabilities)."""
    import shutil

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    shutil.rmtree(out / "tables")
    folder = _unit_file(out, which).parent
    path = folder / ("bimotion.csed.zho_eld.npz" if which == "prediction" else "seed0.json")  # the first looked at
    for shard in ((), ("--shard", "1/2")):  # its own worker's, another shard's
        folder.chmod(0o000)
        try:
            proc = _grid_recipe(out, data_dirs, tmp_path, *shard, unprivileged_run=True)
        finally:
            folder.chmod(0o755)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (shard, proc.stderr)
        (line,) = [s for s in proc.stderr.splitlines() if s.startswith("error:")]
        assert line == (
            f"error: {folder}: cannot enter this folder (Permission denied), so {path} cannot be read and the grid "
            "cannot tell whether zho_eld seed 0 is scored: make it readable (chmod u+rx, or run as its owner), then "
            "run the same command again"
        ), shard
        assert "[grid] training " not in proc.stdout and not list(out.glob("claims/*.claim"))
    assert not (out / "tables").exists()


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
@pytest.mark.parametrize("damage", ["dead link", "fifo"])
@pytest.mark.parametrize("which", ["prediction", "metrics"])
def test_a_unit_file_that_is_no_file_is_one_error_line_as_its_markers(
    finished_grid, data_dirs, tmp_path, which, damage
):
    """A finished unit's prediction or metrics file that is a link to no file (a disk not mounted) or a FIFO: its
    own worker scored the unit again and replaced the link or FIFO with a new file, silently, exit 0; another
    shard's worker said it was "(shard 0/2's, trained, not scored)", exit 0.  Every worker stops now with one
    error: line naming it and the fix, as it does for such a trained-model marker (saved.file_at, marker_at's
    check): exit 2, nothing scored, the link left as it was; removed, the unit's worker makes that file again."""
    import shutil

    out = tmp_path / "grid"
    shutil.copytree(finished_grid, out)
    shutil.rmtree(out / "tables")
    path = _unit_file(out, which)
    path.unlink()
    stake = "so the grid cannot tell whether zho_eld seed 0 is scored"
    if damage == "fifo":
        os.mkfifo(path)
        said = f"{path}: a FIFO, socket or device, not a {which} file (not opened), {stake}: remove it, then run the "
        said += "same command again"
    else:
        gone = tmp_path / "unmounted" / path.name
        path.symlink_to(gone)
        again = (
            "predicts that model's test clips again and scores it"
            if which == "prediction"
            else "scores that model and seed again from its saved predictions"
        )
        said = f"{path}: a link to {gone}, which leads to no file (No such file or directory), {stake}: put back the "
        said += "file it points to (on a disk not mounted now?), or remove the link, then run the same command again "
        said += f"(a grid run in shards: that unit's shard): the grid {again}"
    _each_worker_stops(out, data_dirs, tmp_path, said, "scored")
    assert not (out / "tables").exists()
    assert path.is_symlink() if damage == "dead link" else path.is_fifo()
    if damage == "dead link" and which == "prediction":  # the fix holds
        path.unlink()
        proc = _grid_recipe(out, data_dirs, tmp_path)
        assert proc.returncode == 0 and path.is_file() and (out / "tables").is_dir(), proc.stderr


def test_a_stop_in_a_model_folder_that_cannot_be_entered_says_so_in_its_closing_line(tmp_path):
    """The closing line of a stopped grid (recipes/grid.py's in_progress) asked is_file() of the marker in the
    stopped unit's model folder: one that cannot be entered (``chmod 000``) turned the line into a PermissionError
    traceback raised while the stop was handled.  The line says now that it cannot look at the model in progress,
    naming the folder and its fix (saved.marker_at's words; run unprivileged: skipped where root cannot drop its
    capabilities)."""
    folder = tmp_path / "grid" / "models" / "zho_eld" / "seed0"
    folder.mkdir(parents=True)
    code = f"""import sys
from pathlib import Path
sys.path.insert(0, {str(REPO / "tests")!r})
from conftest import load_recipe
stop = KeyboardInterrupt("stopped by Ctrl-C")
stop.stopped_in = Path({str(folder)!r})
print(load_recipe("grid").in_progress(stop))
"""
    proc = run_snippet_locked(code, folder, 0o755)
    assert proc.returncode == 0 and proc.stdout.strip() == (
        f"the model in progress cannot be looked at: {folder}: cannot enter this folder (Permission denied), so "
        f"{folder / 'grid-trained.json'} cannot be read and the grid cannot tell whether the model in progress is "
        "trained: make it readable (chmod u+rx, or run as its owner), then run the same command again"
    ), proc.stdout + proc.stderr


@pytest.mark.parametrize("models", ["{}", "null", '"zho_eld"'])
def test_a_plan_whose_models_is_no_list_says_so(tmp_path, models):
    """plan.json whose "models" is no list (an object, null: edited by hand) was said to be "its model 1 is no object
    naming its "name" and "shards"", of a model it does not have.  It says now what is wrong: its "models" is no
    list, and what it is; where recipes/project.py --grid_dir reads it, and where a grid run checks its folder."""
    from conftest import load_recipe

    from bimotion.grid.settings import check_settings
    from bimotion.training.parsing import ArgumentError
    from loaders.errors import DamagedFileError

    grid_dir = tmp_path / "grid"
    grid_dir.mkdir()
    plan = grid_dir / "plan.json"
    plan.write_text(f'{{"models": {models}}}\n')
    kind = {"{}": "an object", "null": "null", '"zho_eld"': "a string"}[models]
    wrong = f'{plan}: its "models" is {kind}, not a list of the models it plans (edited by hand?), so'
    fix = "put a whole copy of it back, or choose another output folder, or delete that one to start over"
    project = load_recipe("project")
    with pytest.raises(ArgumentError) as raised:
        project.model_dir_of(project.ProjectArguments(grid_dir=str(grid_dir)), "zho_eld")
    assert str(raised.value) == (
        f"--model zho_eld: {wrong} the grid in {grid_dir} cannot tell whether it plans a model of 'zho_eld': {fix}"
    )
    with pytest.raises(DamagedFileError) as raised:
        check_settings(grid_dir, {})
    assert str(raised.value).startswith(wrong) and str(raised.value).endswith(fix)
