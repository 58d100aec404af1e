"""A grid's saved test predictions record the dtype they were scored in
(:func:`bimotion.training.inference.scoring_precision`): a file scored in another is predicted again."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import QUICK_TRAINING

from bimotion.grid import prepare_fixtures, run_grid
from bimotion.grid.saved import PREDICTIONS_SHA256, SCORED_IN, load_npz
from loaders.files import save_npz, sha256_of

TRAINING = QUICK_TRAINING
CONFIG = {"tiny_model": {}, "seeds": [0], "training": TRAINING, "bootstrap_samples": 50, "num_threads": 1,
          "tables": [], "mixtures": ["zho_eld"], "extra_tests": ["zho_eld", "eng_eld"]}  # fmt: skip


@pytest.fixture(scope="session")
def data_dirs(tmp_path_factory):
    return prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")


def test_a_prediction_file_scored_in_another_dtype_is_predicted_again_and_one_without_a_record_is_read(
    data_dirs, tmp_path
):
    out = tmp_path / "grid"
    first = run_grid(CONFIG, data_dirs, out, log=None)
    files = sorted((out / "predictions").rglob("*.npz"))
    assert len(files) == 4  # two corpora per test set
    assert {str(np.load(f)[SCORED_IN]) for f in files} == {"float32"}  # on a CPU

    other, older = files[:2]
    save_npz(other, {**load_npz(other), SCORED_IN: np.array("bfloat16")})  # as scored on a GPU before
    old = {k: v for k, v in load_npz(older).items() if k != SCORED_IN}
    save_npz(older, old)  # a grid's file before the record
    older_mtime = older.stat().st_mtime_ns

    said = []
    again = run_grid(CONFIG, data_dirs, out, log=said.append)
    lines = [s for s in said if "predicting it again" in s]
    assert lines == [f"[grid] {other} was predicted in bfloat16; scoring is now in float32: predicting it again"]
    assert str(np.load(other)[SCORED_IN]) == "float32"
    assert older.stat().st_mtime_ns == older_mtime and SCORED_IN not in np.load(older).files  # read back as it was
    assert again.matrix == first.matrix  # float32 both times: the same numbers


def _metrics_and_figure(out):
    (metrics,) = (out / "metrics").rglob("seed0.json")
    return metrics, metrics.with_suffix(".confusion.png")


def test_the_worker_writing_the_tables_scores_again_a_unit_it_predicts_again(data_dirs, tmp_path):
    """The tables' worker re-predicts a unit of another shard whose files record another dtype (scored on a GPU
    before, on a CPU now): that unit's metrics file and confusion figure are written again from them, not left
    describing the old predictions beside tables of the new."""
    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)  # one unit, shard 0/2's
    files = sorted((out / "predictions").rglob("*.npz"))
    for f in files:
        save_npz(f, {**load_npz(f), SCORED_IN: np.array("bfloat16")})  # as scored on a GPU before
    metrics, figure = _metrics_and_figure(out)
    before = metrics.stat().st_mtime_ns, figure.stat().st_mtime_ns

    said = []
    run_grid(CONFIG, data_dirs, out, log=said.append, shard=(1, 2))  # nothing of its own: only the tables
    assert len([s for s in said if "predicting it again" in s]) == len(files)  # once each, not again for the tables
    (line,) = [s for s in said if "scoring it again" in s]
    assert "zho_eld seed 0" in line and "bfloat16" in line and "float32" in line
    assert metrics.stat().st_mtime_ns != before[0] and figure.stat().st_mtime_ns != before[1]
    assert json.loads(metrics.read_text())[SCORED_IN] == "float32"


def test_a_metrics_file_of_other_predictions_than_the_saved_ones_is_written_again(data_dirs, tmp_path):
    """A run stopped between predicting a unit again and writing its metrics left a metrics file of the old
    predictions (its record says which dtype): the tables' worker writes it again."""
    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    metrics, _ = _metrics_and_figure(out)
    assert json.loads(metrics.read_text())[SCORED_IN] == "float32"
    metrics.write_text(json.dumps({**json.loads(metrics.read_text()), SCORED_IN: "bfloat16"}))

    said = []
    run_grid(CONFIG, data_dirs, out, log=said.append, shard=(1, 2))
    assert [s for s in said if "predicting it again" in s] == []  # the predictions are this machine's dtype
    assert len([s for s in said if "scoring it again" in s]) == 1
    assert json.loads(metrics.read_text())[SCORED_IN] == "float32"


def test_the_note_of_a_model_whose_training_precision_is_unknown_goes_to_the_grids_log(
    data_dirs, tmp_path, monkeypatch, capsys
):
    """On a GPU (faked: scoring's autocast device type), a model whose scores.json cannot be read is scored in
    bfloat16 with a note (:func:`bimotion.training.inference.precision_note`); in a grid it is a line of the
    grid's log (``log``, the demo's grid.log), not stderr beside it."""
    import shutil

    from bimotion.training import inference

    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    (scores,) = (out / "models").rglob("scores.json")
    scores.write_text('{"hyperparameters": {"precision": "fp16"')  # cut short: damaged
    shutil.rmtree(out / "predictions")  # to predict them again
    monkeypatch.setattr(inference, "autocast_device_type", lambda device: "cuda")  # autocast on a CPU: disabled
    capsys.readouterr()

    said = []
    run_grid(CONFIG, data_dirs, out, log=said.append)
    notes = [s for s in said if "the precision the model trained in is not known" in s]
    assert notes == [
        f"[grid] note: the precision the model trained in is not known ({scores} could not be read): scored on the "
        "GPU in bfloat16, as a model whose training is not recorded"
    ]
    assert "the precision the model trained in" not in capsys.readouterr().err
    assert {str(np.load(f)[SCORED_IN]) for f in (out / "predictions").rglob("*.npz")} == {"bfloat16"}


def test_tables_from_predictions_only_never_train_to_predict_a_file_again(data_dirs, tmp_path):
    """A grid folder of predictions without its models (models/ not copied): no model is finished here to
    predict a file again, so a file recording another dtype (a GPU's, read on a CPU) is read back as it is, as
    on a GPU (:meth:`~bimotion.grid.runner.Grid.scoring_dtype` None), not made again by training its model."""
    import shutil

    from bimotion.grid import Grid
    from bimotion.grid.cells import collect

    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    files = sorted((out / "predictions").rglob("*.npz"))
    for f in files:
        save_npz(f, {**load_npz(f), SCORED_IN: np.array("bfloat16")})  # as scored on a GPU
    shutil.rmtree(out / "models")

    result = collect(Grid(CONFIG, data_dirs, out, log=None))
    assert result.trained == [] and not (out / "models").exists()
    assert {str(np.load(f)[SCORED_IN]) for f in files} == {"bfloat16"}


def test_the_projections_note_of_an_unknown_training_precision_goes_to_their_log(data_dirs, tmp_path, monkeypatch):
    """The grid's projections extract features with :func:`bimotion.training.inference.predict` too
    (:class:`bimotion.projection.FeatureCache`): its note goes to the log they are given (the grid's)."""
    from bimotion.mixture import parse_mixture
    from bimotion.projection import FeatureCache
    from bimotion.training import inference

    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    (scores,) = (out / "models").rglob("scores.json")
    scores.write_text("{")  # damaged
    monkeypatch.setattr(inference, "autocast_device_type", lambda device: "cuda")  # autocast on a CPU: disabled

    said = []
    shards = parse_mixture("zho_eld").shards
    FeatureCache({**data_dirs, "cache_dir": str(out / "datasets-cache")}, say=said.append).get(
        str(scores.parent), shards, "test", 4, 0
    )
    assert said and all(s.startswith("note: the precision the model trained in is not known") for s in said)


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_unit_to_score_again_that_a_live_worker_holds_is_skipped_and_the_tables_wait(data_dirs, tmp_path):
    """The tables' worker scores a stale unit again under its claim, as ``work`` trains one: a live worker
    holding it (a rerun of its own shard) is left to it, said as ``work`` says a skip, and the tables are not
    written beside that unit's old metrics file; rerun once that worker is done, they are."""
    import shutil

    from bimotion.grid.claims import Claims, describe
    from bimotion.mixture import parse_mixture

    unit = f"{parse_mixture('zho_eld').slug}.seed0"
    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    for f in (out / "predictions").rglob("*.npz"):
        save_npz(f, {**load_npz(f), SCORED_IN: np.array("bfloat16")})  # as scored on a GPU before
    metrics, _ = _metrics_and_figure(out)
    before = metrics.stat().st_mtime_ns
    shutil.rmtree(out / "tables")
    claims = Claims(out / "claims")
    held = claims.acquire(unit)  # a live worker of the same grid on that unit: this process

    said = []
    try:
        assert run_grid(CONFIG, data_dirs, out, log=said.append, shard=(1, 2)) is None
        holder = describe(claims.holder(unit))
    finally:
        held.release()
    assert f"[grid] zho_eld seed 0: claimed by {holder.split(' (heartbeat')[0]}" in "\n".join(said), said
    assert [s for s in said if "scoring it again" in s] == [] and metrics.stat().st_mtime_ns == before
    assert not (out / "tables").exists()
    assert "the tables are not written: 1 left to score again: zho_eld seed 0 (its predictions were scored in " \
        "bfloat16, scoring is now in float32; claimed by" in said[-1] and "The worker holding it writes them" in said[-1]  # fmt: skip

    said = []
    assert run_grid(CONFIG, data_dirs, out, log=said.append, shard=(1, 2)) is not None  # its worker done
    assert len([s for s in said if "scoring it again" in s]) == 1 and (out / "tables").is_dir()
    assert json.loads(metrics.read_text())[SCORED_IN] == "float32" and not list(out.glob("claims/*.claim"))


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_metrics_file_without_the_record_older_than_its_predictions_is_written_again(data_dirs, tmp_path):
    """A metrics file of a version before the records (no scoring_dtype, no predictions_sha256) left by a run
    stopped between predicting its unit again and writing its metrics is older than its predictions: the tables'
    worker writes it again.  One newer than its predictions is read as it is."""
    import os

    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    metrics, _ = _metrics_and_figure(out)
    old = {k: v for k, v in json.loads(metrics.read_text()).items() if k not in (SCORED_IN, PREDICTIONS_SHA256)}
    metrics.write_text(json.dumps(old))  # as written before the records
    newest = max(f.stat().st_mtime for f in (out / "predictions").rglob("*.npz"))

    said = []
    run_grid(CONFIG, data_dirs, out, log=said.append, shard=(1, 2))  # newer than its predictions: left
    assert [s for s in said if "scoring it again" in s] == [] and SCORED_IN not in json.loads(metrics.read_text())

    os.utime(metrics, (newest - 60, newest - 60))  # written a minute before its predictions were made again
    said = []
    run_grid(CONFIG, data_dirs, out, log=said.append, shard=(1, 2))
    (line,) = [s for s in said if "scoring it again" in s]
    assert "zho_eld seed 0: its metrics file" in line and "is older than its predictions" in line
    assert json.loads(metrics.read_text())[SCORED_IN] == "float32"


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_metrics_file_of_other_prediction_files_of_the_same_dtype_is_written_again_whatever_its_time(
    data_dirs, tmp_path
):
    """The metrics file records its prediction files' SHA-256: predictions made again in the same dtype (its
    scoring_dtype agrees) after it was written are told from it even where the metrics file looks newer (a copy,
    a touched file, another machine's clock)."""
    import os

    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    metrics, _ = _metrics_and_figure(out)
    files = sorted((out / "predictions").rglob("*.npz"))
    assert json.loads(metrics.read_text())[PREDICTIONS_SHA256] == {f.name: sha256_of(f) for f in files}
    first = files[0]
    pred = load_npz(first)
    save_npz(first, {**pred, "logits": pred["logits"] + 1.0})  # other predictions, float32 as before
    newest = first.stat().st_mtime
    os.utime(metrics, (newest + 60, newest + 60))

    said = []
    run_grid(CONFIG, data_dirs, out, log=said.append, shard=(1, 2))
    (line,) = [s for s in said if "scoring it again" in s]
    assert "computed from other prediction files than those saved" in line
    recorded = json.loads(metrics.read_text())[PREDICTIONS_SHA256]
    assert recorded[first.name] == sha256_of(first)


def test_a_rerun_of_a_shard_leaves_a_finished_unit_a_live_worker_holds(data_dirs, tmp_path):
    """A rerun of a shard rescores its finished units from their saved predictions (predicting again a file of
    another dtype): under the unit's claim, as the tables' worker scores one again, so a live worker on it (that
    worker, or another rerun) is not written over at the same time; it is skipped as an unfinished one is."""
    from bimotion.grid.claims import Claims, describe
    from bimotion.mixture import parse_mixture

    unit = f"{parse_mixture('zho_eld').slug}.seed0"
    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    metrics, figure = _metrics_and_figure(out)
    before = metrics.stat().st_mtime_ns, figure.stat().st_mtime_ns
    claims = Claims(out / "claims")
    held = claims.acquire(unit)  # a live worker on that unit: this process

    said = []
    try:
        run_grid(CONFIG, data_dirs, out, log=said.append, shard=(0, 2))  # its own shard
        holder = describe(claims.holder(unit)).split(" (heartbeat")[0]
    finally:
        held.release()
    assert f"[grid] 1/1 zho_eld seed 0: claimed by {holder}" in "\n".join(said), said
    assert [s for s in said if " scored: " in s] == []
    assert (metrics.stat().st_mtime_ns, figure.stat().st_mtime_ns) == before


def test_the_tables_predict_a_unit_again_only_under_its_claim(data_dirs, tmp_path, monkeypatch):
    """The tables' worker checks each unit under its claim before the tables (rescore_stale), then cells.collect read
    the predictions and predicted again, with no claim, a file another worker had since predicted again in its dtype
    (a GPU's, this one scoring on a CPU) under that unit's claim: two workers wrote the same unit's files at once,
    the tables of one's predictions beside the other's metrics file.  The tables now predict a file again only
    under the unit's claim; a live worker holding it is said, and no tables are written: that worker writes them once it is done."""
    from bimotion.grid import workers
    from bimotion.grid.claims import Claims, describe
    from bimotion.mixture import parse_mixture

    unit = f"{parse_mixture('zho_eld').slug}.seed0"
    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    shutil.rmtree(out / "tables")
    other = sorted((out / "predictions").rglob("*.npz"))[0]
    claims, held = Claims(out / "claims"), []
    checked = workers.rescore_stale

    def then_another_worker_takes_the_unit(grid):  # as the tables' worker leaves rescore_stale: worker B starts
        left = checked(grid)
        held.append(claims.acquire(unit))  # B: a live worker on that unit (this process)
        save_npz(other, {**load_npz(other), SCORED_IN: np.array("bfloat16")})  # B predicted it again on a GPU
        return left

    monkeypatch.setattr(workers, "rescore_stale", then_another_worker_takes_the_unit)
    said = []
    try:
        result = run_grid(CONFIG, data_dirs, out, log=said.append)
        holder = describe(claims.holder(unit)).split(" (heartbeat")[0]
    finally:
        for claim in held:
            claim.release()
    assert result is None and not (out / "tables").exists(), said
    assert str(np.load(other)[SCORED_IN]) == "bfloat16"  # B's file, not written over
    assert not [s for s in said if "predicting it again" in s], said
    assert said[-1].startswith(f"[grid] every model is finished; the tables are not written: 1 left to score again: zho_eld seed 0 ({other} "
                               f"is to be predicted again; claimed by {holder} (heartbeat "), said  # fmt: skip
    assert "a run takes its claim over as soon as that process is gone)" in said[-1], said  # when it is taken over
    assert "The worker holding it writes them" in said[-1], said


def test_a_file_the_tables_must_predict_again_is_scored_again_with_its_metrics_file(data_dirs, tmp_path, monkeypatch):
    """Another worker predicted a unit again in bfloat16 (a GPU's) and wrote its metrics after the tables' worker
    checked it (rescore_stale), then let the unit go: the tables' worker predicted the file again for the tables
    (float32, on a CPU) but left the metrics file and confusion figure describing the other worker's predictions.
    It now scores the unit again under its claim (rescore_stale), so the metrics file is of the tables' predictions."""
    from bimotion.grid import workers

    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    shutil.rmtree(out / "tables")
    metrics, _ = _metrics_and_figure(out)
    checked, grids = workers.rescore_stale, []

    def then_another_worker_rescores_the_unit(grid):  # as the tables' worker leaves rescore_stale: B, done, leaves
        left = checked(grid)
        if not grids:
            grids.append(grid)
            files = sorted((out / "predictions").rglob("*.npz"))
            for f in files:  # B predicted the unit again on a GPU, then wrote its metrics of those files
                save_npz(f, {**load_npz(f), SCORED_IN: np.array("bfloat16")})
            record = json.loads(metrics.read_text())
            record.update({SCORED_IN: "bfloat16", PREDICTIONS_SHA256: {f.name: sha256_of(f) for f in files}})
            metrics.write_text(json.dumps(record))
        return left

    monkeypatch.setattr(workers, "rescore_stale", then_another_worker_rescores_the_unit)
    said = []
    result = run_grid(CONFIG, data_dirs, out, log=said.append)
    assert result is not None and (out / "tables").is_dir(), said
    (model,) = grids[0].plan.models
    assert workers.stale_metrics(grids[0], model, 0) is None, said  # the metrics file is of the tables' predictions
    assert json.loads(metrics.read_text())[SCORED_IN] == "float32"
    assert len([s for s in said if "scoring it again" in s]) == 1, said


def test_a_prediction_file_removed_after_its_unit_finished_is_said_and_scored_again(tmp_path):
    """stale_metrics read a finished unit's prediction files with no care for one removed since (another
    worker, a user): the tables' worker stopped with a FileNotFoundError traceback.  The unit is now stale,
    the file named: rescore_stale scores it again (predicting the missing file again), as the log says."""
    from types import SimpleNamespace

    from bimotion.grid.workers import stale_metrics

    for shard in ("a", "b"):
        save_npz(tmp_path / f"{shard}.npz", {"logits": np.zeros((1, 2)), SCORED_IN: np.array("float32")})
    (tmp_path / "m.json").write_text(json.dumps({SCORED_IN: "float32"}))
    grid = SimpleNamespace(
        plan=SimpleNamespace(test_shards=["a", "b"]), scoring_dtype=lambda model, seed: "float32",
        prediction_file=lambda model, seed, shard: tmp_path / f"{shard}.npz",
        metrics_file=lambda model, seed: tmp_path / "m.json",
    )  # fmt: skip
    model = SimpleNamespace(name="zho_eld")
    assert stale_metrics(grid, model, 0) is None
    (tmp_path / "b.npz").unlink()  # removed after finished() saw it
    why = stale_metrics(grid, model, 0)
    assert why == f"{tmp_path / 'b.npz'} is gone (removed since the unit was finished, by another worker or by hand)"


def test_a_missing_file_other_than_a_prediction_file_is_not_said_to_be_a_removed_prediction(tmp_path):
    """stale_metrics's catch of FileNotFoundError also covered grid.scoring_dtype (which reads the marker and
    the model's scores.json): a missing file there was said to be a prediction file removed since the unit was
    finished, and the unit scored again. It is now raised, as it is: only the unit's prediction files are gone."""
    from types import SimpleNamespace

    from bimotion.grid.workers import stale_metrics

    for shard in ("a", "b"):
        save_npz(tmp_path / f"{shard}.npz", {"logits": np.zeros((1, 2)), SCORED_IN: np.array("float32")})
    (tmp_path / "m.json").write_text(json.dumps({SCORED_IN: "float32"}))
    scores = tmp_path / "model" / "scores.json"

    def scoring_dtype(model, seed):
        return scores.read_text()  # its model's scores.json, missing

    grid = SimpleNamespace(
        plan=SimpleNamespace(test_shards=["a", "b"]), scoring_dtype=scoring_dtype,
        prediction_file=lambda model, seed, shard: tmp_path / f"{shard}.npz",
        metrics_file=lambda model, seed: tmp_path / "m.json",
    )  # fmt: skip
    with pytest.raises(FileNotFoundError) as raised:
        stale_metrics(grid, SimpleNamespace(name="zho_eld"), 0)
    assert raised.value.filename == str(scores)


def test_the_holder_of_a_unit_the_tables_worker_skipped_hands_the_tables_over_once(data_dirs, tmp_path, monkeypatch):
    """Worker A (``--shard 1/2``, the tables' worker) met a stale unit a live worker B held and skipped it; B,
    done with that unit while A still held the ``tables`` claim, read "A is writing the tables" and left; A then
    said "1 left to score again ... Rerun this command": neither wrote the tables, both exited 0, and nothing
    did until the user reran.  The last of them to finish now writes the tables, once."""
    import shutil

    from bimotion.grid.claims import Claims
    from bimotion.grid.runner import Grid
    from bimotion.mixture import parse_mixture

    unit = f"{parse_mixture('zho_eld').slug}.seed0"
    out = tmp_path / "grid"
    run_grid(CONFIG, data_dirs, out, log=None)
    for f in (out / "predictions").rglob("*.npz"):
        save_npz(f, {**load_npz(f), SCORED_IN: np.array("bfloat16")})  # as scored on a GPU before
    shutil.rmtree(out / "tables")
    held = Claims(out / "claims").acquire(unit)  # worker B, rescoring its own unit (a rerun of shard 0/2)
    writes, report = [], Grid.report
    monkeypatch.setattr(Grid, "report", lambda self: writes.append(self.shard) or report(self))

    said_a, said_b, results_b = [], [], []

    def log_a(line: str) -> None:  # A's log: at its skip (A holds the tables claim), B finishes its unit
        said_a.append(line)
        if "claimed by" in line and "skipped" in line and not results_b:
            held.release()
            results_b.append(run_grid(CONFIG, data_dirs, out, log=said_b.append, shard=(0, 2)))

    try:
        result_a = run_grid(CONFIG, data_dirs, out, log=log_a, shard=(1, 2))
    finally:
        held.release()
    assert results_b, said_a  # A did meet the held unit
    assert len(writes) == 1, (writes, said_a, said_b)  # the tables written once, by the last to finish
    assert (result_a is None) != (results_b[0] is None) and (out / "tables").is_dir()
    assert json.loads(_metrics_and_figure(out)[0].read_text())[SCORED_IN] == "float32"
    assert not list(out.glob("claims/*.claim"))


def test_the_tables_line_of_several_held_units_says_who_writes_them_in_the_plural(tmp_path, monkeypatch):
    """The line of a tables' worker that left two units held by live workers said "The worker holding it writes
    them once it is done; should it stop first ...", as if one unit and one worker were left."""
    from types import SimpleNamespace

    from bimotion.grid import workers
    from bimotion.grid.claims import Claims

    claims = Claims(tmp_path / "claims")
    held = [claims.acquire(unit) for unit in ("a.seed0", "b.seed0")]
    left = {"a.seed0": "a seed 0 (stale; claimed by B)", "b.seed0": "b seed 0 (stale; claimed by C)"}
    monkeypatch.setattr(workers, "rescore_stale", lambda grid: left)
    said = []
    try:
        assert workers.report_once(SimpleNamespace(claims=claims, log=said.append)) is None
    finally:
        for claim in held:
            claim.release()
    assert said[-1].endswith(
        "2 left to score again: a seed 0 (stale; claimed by B); b seed 0 (stale; claimed by C). The last of the "
        "workers holding them to be done writes them; should one stop first, rerun this command once its claim is "
        "taken over: it writes them."
    ), said
