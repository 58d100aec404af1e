"""A SIGTERM taken as a Ctrl-C (:mod:`bimotion.signals`) is never lost: Python swallows an exception
raised in a finalizer, and a stop raised there (the signal's handler ran inside a ParquetWriter's
``__del__`` as the garbage collector ran) let prepare go on, publish its output and exit 0 (CI: the
slurm-job SIGTERM test of test_prepare_guarantees.py, once)."""

from __future__ import annotations

import gc
import os
import signal
import sys

import pytest

from bimotion.data.publish import publishing
from bimotion.signals import Terminated, stop_at_safe_points, stop_if_lost, terminate_as_interrupt


def _step() -> None:
    """A Python call: the interpreter runs pending signal handlers on entering it."""


class _Finalized:
    """An object whose finalizer gets ``signum``, as the garbage collector may run one when it comes."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self) -> None:
        os.kill(os.getpid(), self.signum)
        _step()  # the handler runs here, and what it raises ends in sys.unraisablehook


def _lose_a_stop_in_a_finalizer(monkeypatch, signum: int = signal.SIGTERM) -> list:
    swallowed = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: swallowed.append(unraisable.exc_type))
    _Finalized(signum)
    gc.collect()
    _step()
    return swallowed


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_in_a_finalizer_stops_at_the_next_safe_point(monkeypatch):
    with terminate_as_interrupt():
        stop_if_lost()  # no SIGTERM yet: nothing to take
        assert _lose_a_stop_in_a_finalizer(monkeypatch) == [Terminated]  # Python printed it and went on
        with pytest.raises(Terminated, match="stopped by SIGTERM"):
            stop_if_lost()
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # a second SIGTERM still cannot kill it
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    stop_if_lost()  # the block's stop ended with it: a later run is not stopped by it


def test_a_ctrl_c_lost_in_a_finalizer_stops_at_the_next_safe_point(monkeypatch):
    with terminate_as_interrupt():
        assert _lose_a_stop_in_a_finalizer(monkeypatch, signal.SIGINT) == [KeyboardInterrupt]
        with pytest.raises(KeyboardInterrupt, match="stopped by Ctrl-C") as stop:
            stop_if_lost()
        assert not isinstance(stop.value, Terminated)  # exit 130, "interrupted"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_stop_pending_from_an_earlier_run_does_not_stop_the_next_one():
    """A SIGTERM after a loop's last safe point is pending for the block's caller (``take_pending_stop``): the
    training recipe takes it after its run (it says so and exits 0), the grid before its next unit or its tables.
    One no caller took was still pending when the next run in the process began (a notebook, a script of grids):
    that grid stopped at its first unit, though no signal came.  Each run begins with none now."""
    from bimotion.signals import stop_requested, take_pending_stop

    for taken_after in (True, False):
        with terminate_as_interrupt():
            with stop_at_safe_points():
                os.kill(os.getpid(), signal.SIGTERM)  # after the loop's last safe point: pending
        if taken_after:  # its caller's still, after the block (the training recipe's closing line)
            assert take_pending_stop() and not take_pending_stop()
    with terminate_as_interrupt():  # the next run in this process: no signal came
        assert not take_pending_stop() and not stop_requested()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_while_writing_publishes_nothing(monkeypatch, tmp_path):
    out = tmp_path / "out"
    with terminate_as_interrupt(), pytest.raises(Terminated):
        with publishing(out, overwrite=False) as stage:
            (stage / "part.parquet").write_bytes(b"rows")
            assert _lose_a_stop_in_a_finalizer(monkeypatch) == [Terminated]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nor its work folder


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_before_training_stops_it_before_its_first_step(monkeypatch):
    """A stop lost before :func:`stop_at_safe_points` (as the datasets loaded) left SIGTERM to the
    handler that ignores a second one: the block found no SIGTERM of its own to take, and training ran
    to its end deaf to every later SIGTERM (Slurm's, then its SIGKILL: no checkpoint)."""
    with terminate_as_interrupt():
        assert _lose_a_stop_in_a_finalizer(monkeypatch) == [Terminated]
        with pytest.raises(Terminated, match="stopped by SIGTERM"), stop_at_safe_points():
            pytest.fail("training began after a stop")


def _losing_once(monkeypatch, owner, name: str) -> None:
    """``owner.name`` loses a SIGTERM's stop in a finalizer as it is first called."""
    original, calls = getattr(owner, name), []

    def losing(*args, **kwargs):
        if not calls:
            _lose_a_stop_in_a_finalizer(monkeypatch)
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, losing)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_while_predicting_writes_no_predictions(monkeypatch, tmp_path, capsys):
    import numpy as np
    import soundfile

    from bimotion.cli import main
    from bimotion.predict.output import RowWriter
    from bimotion.training.model import build_model
    from bimotion.training.testing import save_tiny_model

    model, feature_extractor = build_model(str(save_tiny_model(tmp_path / "tiny")), classifier_proj_size=16)
    model.save_pretrained(tmp_path / "model")
    feature_extractor.save_pretrained(tmp_path / "model")
    (tmp_path / "recordings").mkdir()
    for name in ("a.wav", "b.wav"):
        soundfile.write(tmp_path / "recordings" / name, np.sin(np.arange(16000 * 3) / 7) * 0.3, 16000)
    _losing_once(monkeypatch, RowWriter, "write")
    out = tmp_path / "scores.csv"
    argv = ["predict", str(tmp_path / "recordings"), "--model", str(tmp_path / "model"), "-o", str(out)]
    assert main([*argv, "--no-progress"]) == 143
    assert capsys.readouterr().err.splitlines()[-1] == "terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "recordings", "tiny"]  # nor a partial file


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_while_checking_reports_nothing(monkeypatch, tmp_path, capsys):
    from bimotion import verify
    from bimotion.cli import main
    from bimotion.training.testing import write_prepared

    folder = write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 6, "test": 4})
    assert main(["check", str(folder)]) == 0
    capsys.readouterr()
    _losing_once(monkeypatch, verify._AudioCheck, "add")
    assert main(["check", str(folder)]) == 143
    said = capsys.readouterr()
    assert said.err.splitlines()[-1] == "terminated" and said.out == ""  # no report of clips it never read
    assert main(["check", str(folder)]) == 0  # a later run in this process (tests, a notebook): no stop left over
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_while_scanning_writes_no_manifest(monkeypatch, tmp_path, capsys):
    from bimotion.cli import main
    from loaders import manifest, testing

    root = testing.make_corpus("tess", tmp_path / "raw")
    _losing_once(monkeypatch, manifest, "scan")
    assert main(["scan", "--source", f"tess={root}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 143
    assert capsys.readouterr().err.splitlines()[-1] == "terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]  # nor its temporary file


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_while_a_probe_extracts_features_stops_it_at_the_next_chunk(monkeypatch, tmp_path):
    from bimotion.mixture import Shard
    from bimotion.probe import cache
    from bimotion.probe.features import FeatureSpec
    from bimotion.training.data import Sources
    from bimotion.training.testing import write_prepared

    folder = write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8, "test": 2})
    monkeypatch.setattr(cache, "CHUNK_CLIPS", 2)  # 4 chunks
    _losing_once(monkeypatch, cache, "_extract_chunk")
    sources = Sources(str(folder), None, str(tmp_path / "cache"))
    with terminate_as_interrupt(), pytest.raises(Terminated):
        cache.shard_features(
            sources, Shard("bimotion", "csed", "zho_eld"), "train", FeatureSpec("logmel"), progress=False
        )
    assert (
        len(list((tmp_path / "cache").rglob("*.npz"))) == 1
    )  # the chunk under way, whole (a rerun resumes after it); no more


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_while_a_projection_extracts_features_draws_no_figure(monkeypatch, tmp_path):
    from bimotion import projection
    from bimotion.training.model import build_model
    from bimotion.training.testing import save_tiny_model, write_prepared

    folder = write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 4, "test": 4})
    model, feature_extractor = build_model(str(save_tiny_model(tmp_path / "tiny")), classifier_proj_size=16)
    model.save_pretrained(tmp_path / "model")
    feature_extractor.save_pretrained(tmp_path / "model")
    spec = {"name": "zho", "title": "zho", "model": str(tmp_path / "model"), "test": "zho_eld",
            "panels": [{"title": "zho", "train": "zho_eld"}]}  # fmt: skip
    _losing_once(monkeypatch, projection, "_subset")
    sources = {"bimotion": str(folder), "yuemotion": None, "cache_dir": str(tmp_path / "cache")}
    with terminate_as_interrupt(), pytest.raises(Terminated):
        projection.project(spec, sources, tmp_path / "figures", log=None)
    assert list((tmp_path / "figures").iterdir()) == []


def test_a_ctrl_c_lost_while_training_stops_it_after_its_step_as_a_ctrl_c_does(monkeypatch, tmp_path, capsys):
    """Within :func:`stop_at_safe_points` SIGTERM only sets a flag, but Ctrl-C still raises, and a
    finalizer may swallow it: the training callback read only the SIGTERM flag, so the run trained to its
    end, scored, and exited 0.  The step's safe point (``stopping.agreed_stop``) takes it as a Ctrl-C is
    taken: nothing saved, ``interrupted:`` and how to continue, exit 130."""
    from conftest import with_callback
    from transformers import TrainerCallback

    from bimotion.training.run import train_and_report
    from bimotion.training.spec import TrainSpec
    from bimotion.training.testing import save_tiny_model, write_prepared

    data = write_prepared(
        tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8, "validation": 2, "test": 2}
    )
    out, steps = tmp_path / "out", []

    class LosingACtrlCAtStep3(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            steps.append(state.global_step + 1)
            if state.global_step + 1 == 3:
                assert _lose_a_stop_in_a_finalizer(monkeypatch, signal.SIGINT) == [KeyboardInterrupt]

    with_callback(monkeypatch, LosingACtrlCAtStep3)
    values = {"model_name_or_path": str(save_tiny_model(tmp_path / "tiny")), "classifier_proj_size": 16,
              "bimotion": str(data), "dataset_cache_dir": str(tmp_path / "cache"), "output_dir": str(out),
              "max_steps": 6, "per_device_train_batch_size": 4, "max_duration_s": 0.5, "eval_strategy": "steps",
              "eval_steps": 2, "save_strategy": "steps", "save_steps": 2, "disable_tqdm": True, "report_to": "none",
              "dataloader_pin_memory": False, "use_cpu": True}  # fmt: skip
    assert train_and_report(TrainSpec.from_values(["zho_eld"], values, run_name="r")) == 130
    assert steps == [1, 2, 3]  # stopped after the step it came in, as a Ctrl-C there stops it
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2"]  # nothing saved at the stop
    assert not (out / "scores.json").exists()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"interrupted: rerun the same command to continue from {out / 'checkpoint-2'}", last
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
@pytest.mark.parametrize("stop", ["Ctrl-C as its outputs are written", "SIGTERM as the run ends"])
def test_a_stop_lost_once_the_model_is_scored_is_said_as_a_pending_sigterm_is(monkeypatch, tmp_path, capsys, stop):
    """A stop that a finalizer swallowed once the trained model was scored (a Ctrl-C as ``scores.json`` and the
    card were written; a SIGTERM as the run ended, its training's block done) came after the run's last safe
    point, with no upload to take it before: the run exited 0 and said nothing of it.  It is said as a SIGTERM
    left pending there is (the run's outputs are whole): ``... came as the run ended: the run finished all the
    same; nothing to rerun``, exit 0."""
    from bimotion.training import run as training_run
    from bimotion.training.run import train_and_report
    from bimotion.training.spec import TrainSpec
    from bimotion.training.testing import save_tiny_model, write_prepared

    data = write_prepared(
        tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8, "validation": 2, "test": 2}
    )
    out, lost = tmp_path / "out", []
    owner, name = (training_run, "write_outputs") if stop.startswith("Ctrl-C") else (training_run, "_train")
    original = getattr(owner, name)

    def losing(*args, **kwargs):
        result = original(*args, **kwargs)
        lost.extend(
            _lose_a_stop_in_a_finalizer(monkeypatch, signal.SIGINT if stop.startswith("Ctrl-C") else signal.SIGTERM)
        )
        return result

    monkeypatch.setattr(owner, name, losing)
    values = {"model_name_or_path": str(save_tiny_model(tmp_path / "tiny")), "classifier_proj_size": 16,
              "bimotion": str(data), "dataset_cache_dir": str(tmp_path / "cache"), "output_dir": str(out),
              "max_steps": 2, "per_device_train_batch_size": 4, "max_duration_s": 0.5, "disable_tqdm": True,
              "report_to": "none", "dataloader_pin_memory": False, "use_cpu": True}  # fmt: skip
    assert train_and_report(TrainSpec.from_values(["zho_eld"], values, run_name="r")) == 0
    assert lost == [KeyboardInterrupt if stop.startswith("Ctrl-C") else Terminated]  # swallowed: Python went on
    assert (out / "scores.json").is_file()
    word = stop.split()[0]
    err = capsys.readouterr().err
    assert f"{word} came as the run ended: the run finished all the same; nothing to rerun" in err.splitlines(), err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def _launch_two_ranks(script, *args: str) -> tuple[list[int], list[str]]:
    """Run ``script`` (with ``args``) as ranks 0 and 1 of a two-process launch (a launcher's RANK, WORLD_SIZE,
    MASTER_ADDR/PORT): each one's exit code and what it printed (stdout and stderr), both killed if still running."""
    import subprocess

    from bimotion.training.testing import free_port, subprocess_env

    port, procs = str(free_port()), []
    try:
        for rank in (0, 1):
            env = subprocess_env(RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
            procs.append(subprocess.Popen(
                [sys.executable, str(script), *args], env=env, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            ))  # fmt: skip
        said = [proc.communicate(timeout=120)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return [proc.returncode for proc in procs], said


# A launched rank's lines that lose a stop: its swallowed exceptions printed, and Finalized, whose collection
# takes a SIGTERM in a finalizer (``Finalized(); gc.collect(); step()``, as :func:`_lose_a_stop_in_a_finalizer`)
_LOSES_A_STOP = """sys.unraisablehook = lambda unraisable: print(f"swallowed {unraisable.exc_type.__name__}", flush=True)


def step():
    pass


class Finalized:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        step()  # the handler runs here: its Terminated ends in sys.unraisablehook
"""

_GRID_RANK = (
    """
import gc, os, signal, sys
from pathlib import Path
from types import SimpleNamespace

from bimotion.grid.claims import Claims, Ranks
from bimotion.grid.workers import work
from bimotion.signals import exit_code, terminate_as_interrupt

launch, out = Ranks.current(), Path(sys.argv[1])  # the grid's: gloo on CPU, its group left cleanly at exit
rank = launch.rank
"""
    + _LOSES_A_STOP
    + """

class Grid:  # the grid work() walks: three units, each trained by both processes together (a collective)
    shard = None
    ranks = launch
    plan = SimpleNamespace(models=[SimpleNamespace(name=f"m{i}", slug=f"m{i}") for i in (1, 2, 3)],
                           tests=["zho_eld"], test_shards=["zho_eld"])
    config = SimpleNamespace(seeds=[0], metric="weighted_f1")
    claims = Claims(out / "claims")

    def log(self, line):
        pass

    def model_dir(self, model, seed):
        return out / model.slug

    def prediction_file(self, model, seed, shard):
        return out / model.slug / "predictions"

    metrics_file = model_dir

    def score_model(self, model, seed, together=False):
        print(f"training {model.name}", flush=True)
        self.ranks.barrier()
        if model.name == "m1" and rank == 1:
            Finalized()
            gc.collect()
            step()
        self.ranks.barrier()


try:
    with terminate_as_interrupt():
        work(Grid())
except KeyboardInterrupt as err:
    print(f"stopped: {err}", flush=True)
    print(f"stopped before: {getattr(err, 'stopped_before', None)}", flush=True)  # the closing line's "no model in progress"
    sys.exit(exit_code(err))
"""
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_stop_lost_on_one_process_of_a_launched_grid_stops_every_process_at_the_same_unit(tmp_path):
    """A grid unit's start is a safe point (:func:`stop_if_lost`), but it raised on the one process of an
    ``accelerate launch`` that lost the stop: the others went on into the next unit's training and waited
    in its first collective until the launch was killed.  Two real gloo processes (a launcher's RANK,
    WORLD_SIZE, MASTER_ADDR/PORT) walk the grid's real ``work`` loop (its claims and ``Ranks``), each unit's
    training one collective; rank 1 loses a SIGTERM in a finalizer while training the first: both stop
    at the second unit's start, with ``Terminated`` (143)."""
    script = tmp_path / "grid_rank.py"
    script.write_text(_GRID_RANK)
    codes, said = _launch_two_ranks(script, str(tmp_path / "out"))
    assert codes == [143, 143], said
    for rank, text in enumerate(said):
        lines = [line for line in text.splitlines() if not line.startswith("swallowed")]
        assert lines[0] == "training m1" and lines[-2].startswith("stopped: stopped by SIGTERM"), (rank, text)
        # taken at the unit's start, before the wait for rank 0's look at it (which records nothing of units: the
        # closing line said the model in progress would resume, none being in progress)
        assert lines[-1] == "stopped before: the next model", (rank, text)
        assert "training m2" not in text, (rank, text)
    assert "swallowed Terminated" in said[1] and "another process of the launch" in said[0], said


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_stop_lost_on_another_process_of_a_launch_stops_training_at_its_start(monkeypatch, tmp_path, capsys):
    """Training's start (:func:`stop_at_safe_points`) took a stop lost as the datasets loaded on the process
    that lost it alone: under ``accelerate launch`` the others went on into training's first collective and
    waited there until the launch was killed.  The start is agreed over the launch now, through training's one
    agreement (``stopping.any_process``); here a fake 2-rank reducer, whose other process lost a SIGTERM."""
    from conftest import with_callback
    from transformers import TrainerCallback

    from bimotion.training import run
    from bimotion.training.spec import TrainSpec
    from bimotion.training.testing import save_tiny_model, write_prepared

    data = write_prepared(
        tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8, "validation": 2, "test": 2}
    )
    out, steps, asked = tmp_path / "out", [], []

    class Steps(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            steps.append(state.global_step + 1)

    def other_rank_lost_a_sigterm(args, flag: bool) -> bool:
        asked.append(flag)
        return True  # rank 1 lost one (any), and it was a SIGTERM's (any is Terminated)

    with_callback(monkeypatch, Steps)
    monkeypatch.setattr(run, "any_process", other_rank_lost_a_sigterm, raising=False)
    values = {"model_name_or_path": str(save_tiny_model(tmp_path / "tiny")), "classifier_proj_size": 16,
              "bimotion": str(data), "dataset_cache_dir": str(tmp_path / "cache"), "output_dir": str(out),
              "max_steps": 2, "per_device_train_batch_size": 4, "max_duration_s": 0.5, "disable_tqdm": True,
              "report_to": "none", "dataloader_pin_memory": False, "use_cpu": True}  # fmt: skip
    assert run.train_and_report(TrainSpec.from_values(["zho_eld"], values, run_name="r")) == 143
    assert asked == [False, False] and steps == []  # this process lost nothing; no step trained
    assert not list(out.glob("checkpoint-*")) and not (out / "scores.json").exists()
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("terminated: ")


_TRAINING_RANK = (
    """
import gc, os, signal, sys
from datetime import timedelta
from functools import partial
from types import SimpleNamespace

import torch.distributed as dist

from bimotion.signals import exit_code, stop_at_safe_points, terminate_as_interrupt
from bimotion.training.processes import leave_process_group_at_exit
from bimotion.training.stopping import agreed_stop, any_process

leave_process_group_at_exit()
dist.init_process_group("gloo", timeout=timedelta(seconds=60))
rank, args = dist.get_rank(), SimpleNamespace(world_size=2, device="cpu")
"""
    + _LOSES_A_STOP
    + """

try:
    with terminate_as_interrupt():
        if rank == 1:  # its datasets loading
            Finalized()
            gc.collect()
            step()
        dist.barrier()  # main_process_first's
        with stop_at_safe_points(partial(any_process, args)):
            print("training", flush=True)
            agreed_stop(args)  # the first step's collective
except KeyboardInterrupt as err:
    print(f"stopped: {err}", flush=True)
    sys.exit(exit_code(err))
"""
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_stop_lost_on_one_launched_process_stops_every_process_at_trainings_start(tmp_path):
    """Two real gloo processes (a launcher's RANK, WORLD_SIZE, MASTER_ADDR/PORT): rank 1 loses a SIGTERM in a
    finalizer before training; both stop at training's start (143), neither enters its first step's collective."""
    script = tmp_path / "training_rank.py"
    script.write_text(_TRAINING_RANK)
    codes, said = _launch_two_ranks(script)
    assert codes == [143, 143], said
    for rank, text in enumerate(said):
        assert "training" not in text.replace("training's start", ""), (rank, text)
        assert text.splitlines()[-1].startswith("stopped: stopped by SIGTERM"), (rank, text)
        assert text.splitlines()[-1].endswith("taken at training's start)"), (rank, text)
    assert "swallowed Terminated" in said[1] and "another process of the launch" in said[0], said


_WAITING_RANK = (
    """
import gc, os, signal, sys
from datetime import timedelta

import torch.distributed as dist

from bimotion.signals import exit_code, terminate_as_interrupt
from bimotion.training import processes

processes.MAIN_PROCESS_WAIT_S = 20  # a main process left waiting fails within it, not in 4 hours
processes.leave_process_group_at_exit()
dist.init_process_group("gloo", timeout=timedelta(seconds=20))
rank = dist.get_rank()
"""
    + _LOSES_A_STOP
    + """

def score():
    print("scoring", flush=True)
    return "scores"


try:
    with terminate_as_interrupt():
        if rank == 1:  # its predictions, before the main process scores them
            Finalized()
            gc.collect()
            step()
        dist.barrier()
        print(processes.on_main_process_only(score, rank, 2), flush=True)
except KeyboardInterrupt as err:
    print(f"stopped: {err}", flush=True)
    sys.exit(exit_code(err))
"""
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_stop_lost_on_a_waiting_process_stops_every_process_before_the_main_ones_work(tmp_path):
    """A process waiting for the main one's work (:func:`on_main_process_only`: ``recipes/infer.py``'s scoring) took a
    stop lost before the wait (a finalizer swallowed its SIGTERM) alone, before the wait's group was made: it exited
    143 and the main process waited in ``new_group`` until it timed out (here 20 s; under a launcher, until killed).
    Two real gloo processes: rank 1 loses a SIGTERM; both stop now, once in the group, before the work (143)."""
    script = tmp_path / "waiting_rank.py"
    script.write_text(_WAITING_RANK)
    codes, said = _launch_two_ranks(script)
    assert codes == [143, 143], said
    for rank, text in enumerate(said):
        assert "scoring" not in text and "scores" not in text, (rank, text)
        assert text.splitlines()[-1].startswith("stopped: stopped by SIGTERM"), (rank, text)
        assert text.splitlines()[-1].endswith("taken at the wait for the main process)"), (rank, text)
    assert "swallowed Terminated" in said[1] and "another process of the launch" in said[0], said


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_before_an_upload_sends_nothing(monkeypatch, tmp_path, hub):
    """``publish`` (``bimotion push``, ``--push_to_hub`` once training wrote its model) created the repository
    and sent its commit after a stop a finalizer swallowed as the run wrote what it sends."""
    from bimotion.hub_upload import publish

    (tmp_path / "model.safetensors").write_bytes(b"weights")
    with terminate_as_interrupt(), pytest.raises(Terminated, match="stopped by SIGTERM"):
        assert _lose_a_stop_in_a_finalizer(monkeypatch) == [Terminated]
        publish(tmp_path, "me/ser", token="hf_x")
    assert hub == []  # no repository created, nothing sent


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_as_push_reads_a_model_writes_and_sends_nothing(monkeypatch, tmp_path, hub, capsys):
    """``bimotion push`` of a model wrote its card and run files again naming the repository, then uploaded,
    after a stop a finalizer swallowed as it read the folder."""
    from test_push_links import prepared_and_trained

    from bimotion import hub_upload
    from bimotion.cli import main

    _, model = prepared_and_trained(tmp_path)
    before = {p: p.read_bytes() for p in model.rglob("*") if p.is_file()}
    _losing_once(monkeypatch, hub_upload, "plan_lines")  # the listing it prints, before it writes and sends
    assert main(["push", str(model), "--repo-id", "my-lab/ser", "--token", "hf_x"]) == 143
    assert capsys.readouterr().err.splitlines()[-1] == "terminated"
    assert [name for name, _ in hub if name == "create_commit"] == []
    assert {p: p.read_bytes() for p in model.rglob("*") if p.is_file()} == before  # the folder as it was


_HELD_RANK = """
import os, signal, sys, threading, time

from bimotion.grid.claims import Ranks
from bimotion.grid.stops import take_held_stop
from bimotion.signals import exit_code, terminate_as_interrupt
from bimotion.training.processes import on_main_process_only

ranks = Ranks.current()  # gloo on CPU
try:
    with terminate_as_interrupt():
        if ranks.rank == 1:  # a SIGTERM to this process alone, as it waits for the main process's work
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
        on_main_process_only(lambda: time.sleep(3), *ranks.processes)
        print("waited", flush=True)
        take_held_stop(ranks, "the main process's work")
        print("went on", flush=True)
except KeyboardInterrupt as err:
    print(f"stopped: {err}", flush=True)
    sys.exit(exit_code(err))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_held_while_the_main_process_worked_stops_every_process_after_it(tmp_path):
    """`bimotion demo` under a launch: the main process writes the datasets (minutes) while the others wait
    (on_main_process_only), holding a SIGTERM that comes to one of them; the hold was then cleared at the grid's
    first unit and the launch trained to its end (with --no-grid: exit 0), the SIGTERM unsaid.  Two real gloo
    processes: the held SIGTERM now stops both once the wait is over, with Terminated (143)."""
    script = tmp_path / "held_rank.py"
    script.write_text(_HELD_RANK)
    codes, said = _launch_two_ranks(script)
    assert codes == [143, 143], said
    for text in said:
        lines = text.splitlines()
        assert lines[-2:] == ["waited", "stopped: terminated by SIGTERM during the main process's work"], text
