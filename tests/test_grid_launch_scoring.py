"""The grid's scoring under ``accelerate launch --num_processes N``: rank 0 predicted every test clip of a
trained model while the other processes waited at a barrier.  Each process now predicts a share of the batches
(:func:`~bimotion.training.inference.predict`'s ``processes``, as ``recipes/infer.py`` does), rank 0 scores and
writes; the files are one process's, bit for bit.  The processes agree on what they reuse and stop together:
a marker one process does not see, an error in one process's share and a SIGTERM to one process end every
process of the launch, none left waiting."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import QUICK_TRAINING

from bimotion.grid import prepare_fixtures
from bimotion.training.testing import cpu_launch, subprocess_env

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # CPU launches of the grid

# one model, scored on two test sets (4 test shards) in batches of 2
CONFIG = {
    "tiny_model": {"activation_dropout": 0.0},
    "seeds": [0],
    "tables": [],
    "mixtures": ["zho_eld"],
    "extra_tests": ["zho_eld", "eng_eld"],
    "bootstrap_samples": 100,
    "num_threads": 1,
    "eval_batch_size": 2,
    "training": {**QUICK_TRAINING, "dropout": 0.0},
}

# recipes/grid.py, each process writing the size of every batch it predicts to SCORED_RECORD/scored-by-rank-<rank>;
# GRID_ON_RANK_1 makes process 1 alone see no trained-model marker ("blind"), fail in its share ("fails") or get
# a SIGTERM as its share starts ("sigterm")
RECORDED = textwrap.dedent(
    """
    import os, pathlib, runpy, signal, sys
    from bimotion.training import inference

    rank, record, trouble = os.environ.get("RANK", "0"), os.environ["SCORED_RECORD"], os.environ.get("GRID_ON_RANK_1")
    scoring = inference.batch_logits

    def batch_logits(model, batch, *args, **kwargs):
        if rank == "1" and trouble == "fails":
            raise ValueError("clip 7 cannot be scored here")
        if rank == "1" and trouble == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
        with open(os.path.join(record, "scored-by-rank-" + rank), "a") as f:
            f.write(str(len(batch["input_values"])) + "\\n")
        return scoring(model, batch, *args, **kwargs)

    inference.batch_logits = batch_logits
    if rank == "1" and trouble == "blind":  # no marker there for it: stat (exists, is_file, saved.marker_at) finds none
        stat = pathlib.Path.stat

        def blind(path, *args, **kwargs):
            if path.name == "grid-trained.json":
                raise FileNotFoundError(2, "No such file or directory", str(path))
            return stat(path, *args, **kwargs)

        pathlib.Path.stat = blind
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    """
)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """A grid run in one process (which trains its model), its batches by rank, and the data."""
    root = tmp_path_factory.mktemp("grid-launch-scoring")
    data = prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")  # shared with test_grid
    (root / "recorded_grid.py").write_text(RECORDED)
    out = root / "single"
    run, batches = _grid(root, out, {"bimotion": data["bimotion"]}, launch=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return {"root": root, "out": out, "data": {"bimotion": data["bimotion"]}, "batches": batches}


def _grid(root: Path, out: Path, data: dict, *extra: str, launch: bool, trouble: str = "") -> tuple:
    """recipes/grid.py on ``out`` (``extra``: more of its arguments), in one process or a CPU launch of 2: the run,
    and each rank's batch sizes."""
    import yaml

    record = root / f"{out.name}-record"
    record.mkdir()
    config = root / "grid.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    args = ["--config", config, "--output_dir", out, *[f"--{k}={v}" for k, v in data.items()], *extra]
    script, recipe = root / "recorded_grid.py", REPO / "recipes" / "grid.py"
    command = cpu_launch(script, recipe, *args) if launch else [sys.executable, str(script), str(recipe), *args]
    env = subprocess_env(SCORED_RECORD=str(record), GRID_ON_RANK_1=trouble)
    run = subprocess.run(list(map(str, command)), env=env, capture_output=True, text=True, timeout=600)
    batches = {p.name: [int(n) for n in p.read_text().split()] for p in record.iterdir()}
    return run, dict(sorted(batches.items()))


def _trained_only(single, name: str, *, scored: bool = False) -> Path:
    """A copy of the single run's folder with its trained model and datasets' cache, nothing predicted or scored
    (``scored``: its predictions and metrics files kept too, no tables), whose plan says its models were trained by
    a launch of 2 (a grid refuses a launch of another count on a folder, whose models it would reuse: their batch
    differs); the weights are the single run's, so the predictions are."""
    out = single["root"] / name
    left_out = ("tables", "claims") if scored else ("predictions", "metrics", "tables", "claims")
    shutil.copytree(single["out"], out, ignore=shutil.ignore_patterns(*left_out))
    plan = json.loads((out / "plan.json").read_text())
    plan["settings"]["training"]["processes_training_each_model"] = 2
    (out / "plan.json").write_text(json.dumps(plan, indent=2))
    return out


def test_a_launch_of_two_shares_the_grids_scoring_and_writes_one_processs_files(single):
    out = _trained_only(single, "launched")
    run, batches = _grid(single["root"], out, single["data"], launch=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "[grid] trained" not in run.stdout  # the single run's model, reused
    (sizes,) = single["batches"].values()
    assert list(single["batches"]) == ["scored-by-rank-0"] and len(sizes) >= 4
    # before: {"scored-by-rank-0": sizes}, rank 1 waiting at a barrier; now the batches dealt in turn
    assert set(batches) == {"scored-by-rank-0", "scored-by-rank-1"}, batches
    assert sorted(batches["scored-by-rank-0"] + batches["scored-by-rank-1"]) == sorted(sizes)
    assert abs(len(batches["scored-by-rank-0"]) - len(batches["scored-by-rank-1"])) <= 1
    ref = single["out"]
    files = sorted(p.relative_to(ref) for p in ref.glob("predictions/**/*.npz"))
    assert len(files) == 4  # 1 model x 4 test shards
    for name in files:
        ours, theirs = np.load(out / name), np.load(ref / name)
        assert sorted(ours.files) == sorted(theirs.files)
        for key in theirs.files:
            assert np.array_equal(ours[key], theirs[key]), (name, key)  # bit for bit
    (metrics,) = [p.relative_to(ref) for p in ref.glob("metrics/*/seed0.json")]
    ours, theirs = (json.loads((o / metrics).read_text()) for o in (out, ref))
    for scores in (ours, theirs):
        scores["provenance"].pop("command")  # a launch's is accelerate's
    assert ours == theirs
    for table in sorted(p.relative_to(ref) for p in ref.glob("tables/*.csv")):
        assert (out / table).read_text() == (ref / table).read_text(), table


@pytest.mark.parametrize("trouble", ["blind", "fails", "sigterm"])
def test_what_one_process_meets_in_the_grids_scoring_stops_every_process(single, trouble):
    """Process 1 alone sees no marker of the trained model (its --output_dir another folder): it would train the
    model the other reuses, each waiting for the other; it fails in its share of the predictions, or gets a
    SIGTERM: every process ends, with the error or the grid's closing line, and nothing is scored."""
    out = _trained_only(single, f"trouble-{trouble}")
    run, _ = _grid(single["root"], out, single["data"], launch=True, trouble=trouble)
    said = run.stdout[-2000:] + run.stderr[-4000:]
    assert not list(out.glob("metrics/*/*.json")) and not (out / "tables").exists(), said
    if trouble == "blind":
        assert run.returncode != 0, said
        assert "sees no such file (its --output_dir is another folder there" in run.stderr, said
        assert "grid-trained.json marks zho_eld seed 0 as trained, but process 1 of this launch of 2" in run.stderr
        # every process meets it: said once, by the main process (was once per process: twice)
        assert run.stderr.count("sees no such file (its --output_dir") == 1, said
        assert run.stderr.count("error: ") == 1, said
    elif trouble == "fails":
        assert run.returncode != 0 and "clip 7 cannot be scored here" in run.stderr, said
    else:
        last = [line for line in run.stderr.splitlines() if line.startswith("terminated")]
        assert last == [
            "terminated during model zho_eld seed 0: rerun the same command to continue; finished models are reused "
            "and the model in progress is trained and saved, not yet scored: the rerun trains nothing of it"
        ], said


@pytest.mark.slow
@pytest.mark.parametrize("odd", ["marker", "prediction"])
def test_an_error_of_the_main_process_alone_stops_every_process_said_once(single, odd):
    """The main process alone looks at a unit's files, the others waiting for its answer: whether the unit is
    finished (workers.work, at a broadcast), and before the tables whether its metrics file describes its saved
    predictions (workers.stale_metrics, the others at a barrier).  Where it stopped with an error there (a
    trained-model marker that is a link to no file; a prediction file cut short, met by shard 1/2's worker, which
    writes the tables), process 1 did not hang, but ended in a traceback of its own beside the error line
    ("[rank1]: ... Connection closed by peer", gloo's).  The error reaches every process now
    (on_main_process_only): one error: line, said by the main process, nothing written, and no traceback of
    process 1's (the launcher's own report of a failed process is accelerate's)."""
    out = _trained_only(single, f"odd-{odd}", scored=odd == "prediction")
    if odd == "marker":
        path = out / "models" / "zho_eld" / "seed0" / "grid-trained.json"
        path.unlink()
        gone = single["root"] / "unmounted" / path.name
        path.symlink_to(gone)
        shard, said = (
            (),
            (
                f"error: {path}: a link to {gone}, which leads to no file (No such file or directory), so the grid cannot "
                "tell whether zho_eld seed 0 is trained: put back the file it points to (on a disk not mounted now?), or "
                "remove the link to train that model again, then run the same command again"
            ),
        )
    else:
        path = sorted(out.glob("predictions/*/seed0/*.npz"))[0]
        path.write_bytes(path.read_bytes()[:100])
        shard, said = ("--shard", "1/2"), f"error: {path}: not a whole prediction file ("
    run, batches = _grid(single["root"], out, single["data"], *shard, launch=True)
    told = run.stdout[-2000:] + run.stderr[-4000:]
    assert run.returncode != 0 and not batches and not (out / "tables").exists(), told
    (line,) = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert line == said if odd == "marker" else line.startswith(said), told
    assert "[rank1]" not in run.stderr and "Connection closed by peer" not in run.stderr, told
    assert path.is_symlink() if odd == "marker" else len(path.read_bytes()) == 100
