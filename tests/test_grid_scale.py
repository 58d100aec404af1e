"""The grid scaled out, on CPU with a tiny model and the generated corpora: ``accelerate launch`` with
two processes (gloo DDP) gives the tables of one process; two independent workers sharing one
output folder train every model exactly once, and a worker killed mid-model leaves a claim that the
next run recovers; claims are atomic under a race and stale ones are taken over."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import QUICK_TRAINING

from bimotion.grid import prepare_fixtures, run_grid
from bimotion.grid.claims import Claim, Claims, describe, in_shard, parse_shard, shard_from_env
from bimotion.training.testing import cpu_launch, subprocess_env

REPO = Path(__file__).resolve().parents[1]

# Two models, every test set: the heat map is the grid's table.  No dropout anywhere and one global
# batch that divides both training sets (4 and 30 clips), so one process with batches of 2 and two
# processes with batches of 1 each see the same clips in every optimizer step (a ragged last
# batch would differ: accelerate's even_batches pads it with clips from the epoch's start).
TRAINING = {**QUICK_TRAINING, "per_device_train_batch_size": 2, "dropout": 0.0}
CONFIG = {
    "tiny_model": {"activation_dropout": 0.0},
    "seeds": [0],
    "tables": [],
    "mixtures": ["zho_eld", "eng_eld"],
    "extra_tests": ["zho_eld", "eng_eld"],
    "bootstrap_samples": 100,
    "num_threads": 1,
    "training": TRAINING,
}


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory) -> dict[str, Path]:
    dirs = prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")  # shared with test_grid
    return {"bimotion": dirs["bimotion"]}


@pytest.fixture(scope="module")
def single(data_dirs, tmp_path_factory):
    """The reference: one process, one worker."""
    return run_grid(CONFIG, data_dirs, tmp_path_factory.mktemp("grid-single") / "out", log=None)


def recipe(config: dict, data_dirs, out: Path, *, launch: bool = False, cache_from: Path | None = None) -> list[str]:
    """The command of ``recipes/grid.py`` on ``out`` (``cache_from``: start from that grid's
    ``datasets`` cache, keyed on the prepared folders, so the run does not convert them again)."""
    import shutil

    import yaml

    if cache_from is not None:
        shutil.copytree(cache_from / "datasets-cache", out / "datasets-cache")

    path = out.parent / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(config))
    args = ["--config", str(path), "--output_dir", str(out), *[f"--{k}={v}" for k, v in data_dirs.items()]]
    script = REPO / "recipes" / "grid.py"
    return cpu_launch(script, *args) if launch else [sys.executable, str(script), *args]


@contextlib.contextmanager
def sigterm_in_training(monkeypatch, when):
    """Within the block, every training run sends this process SIGTERM at the beginning of a step where
    ``when(state)`` (the trainer's state), and SIGTERM has its default action, as in the recipe's
    process (its handler is the run's own); both as they were after."""
    from conftest import with_callback
    from transformers import TrainerCallback

    class Sigterm(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if when(state):
                os.kill(os.getpid(), signal.SIGTERM)

    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with_callback(monkeypatch, Sigterm)
        yield
    finally:
        signal.signal(signal.SIGTERM, signal_before)
        monkeypatch.undo()


def _grid_main(argv: list[str]) -> int:
    """recipes/grid.py's ``main(argv)`` in this process with SIGTERM's default handler, as in the recipe's own
    process (the test's handler restored after)."""
    from conftest import load_recipe

    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        return load_recipe("grid").main(argv)
    finally:
        signal.signal(signal.SIGTERM, signal_before)


def _grid_with_callback(callback, single, data_dirs, tmp_path: Path, monkeypatch) -> tuple[int, Path]:
    """recipes/grid.py on a new folder (the datasets' cache of ``single`` only) in this process (:func:`_grid_main`),
    every trainer with a ``callback()`` of its own (conftest's ``with_callback``): its exit code and the folder."""
    from conftest import with_callback

    out = tmp_path / "out"
    argv = recipe(CONFIG, data_dirs, out, cache_from=single.output_dir)[2:]
    with_callback(monkeypatch, callback)
    try:
        return _grid_main(argv), out
    finally:
        monkeypatch.undo()


def trained_counts(*logs: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in "\n".join(logs).splitlines():
        if line.startswith("[grid] trained "):
            name = line.split()[2]
            counts[name] = counts.get(name, 0) + 1
    return counts


def same_results(out: Path, reference: Path, atol: float) -> float:
    """Identical tables, and every prediction within ``atol``; returns the largest logit difference."""
    assert (out / "tables" / "heatmap.csv").read_text() == (reference / "tables" / "heatmap.csv").read_text()
    files = sorted(reference.glob("predictions/*/seed0/*.npz"))
    assert len(files) == 2 * 4  # 2 models x 4 test shards
    worst = max(
        float(np.abs(np.load(f)["logits"] - np.load(out / f.relative_to(reference))["logits"]).max()) for f in files
    )
    assert worst <= atol
    for f in reference.glob("metrics/*/seed0.json"):
        ours, theirs = (json.loads(p.read_text())["tests"] for p in (out / f.relative_to(reference), f))
        assert {t: v["weighted_f1"] for t, v in ours.items()} == {t: v["weighted_f1"] for t, v in theirs.items()}
    return worst


@pytest.mark.slow
def test_accelerate_launch_with_two_processes_gives_the_tables_of_one(single, data_dirs, tmp_path):
    """Two gloo processes with batches of 1 = one process with batches of 2: the same clips per step,
    the gradient exact up to float summation order (logits within 1e-4, tables identical)."""
    out = tmp_path / "ddp"
    config = {**CONFIG, "training": {**TRAINING, "per_device_train_batch_size": 1}}
    run = subprocess.run(
        recipe(config, data_dirs, out, launch=True, cache_from=single.output_dir),
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    assert "2 processes training each model together" in run.stdout
    # quiet on every process: the second process's Trainer had set transformers' warnings back on, so each
    # model after the first printed its "LOAD REPORT" (the new head's weights) once more in the job's log
    assert "LOAD REPORT" not in run.stdout + run.stderr, run.stderr[-3000:]
    assert trained_counts(run.stdout) == {"zho_eld": 1, "eng_eld": 1}  # each model once, by both processes
    for name in ("zho_eld", "eng_eld"):
        ddp, ref = (
            json.loads((o / "models" / name / "seed0" / "scores.json").read_text()) for o in (out, single.output_dir)
        )
        assert ddp["hyperparameters"]["world_size"] == 2 and ref["hyperparameters"]["world_size"] == 1
        assert ddp["selection"]["global_step"] == ref["selection"]["global_step"] > 0
    same_results(out, single.output_dir, atol=1e-4)


@pytest.mark.slow
def test_sigterm_to_a_launched_grid_saves_the_model_in_progress_and_says_so_once(data_dirs, tmp_path):
    """Slurm's time limit reaches every process of an ``accelerate launch`` of the grid: each process
    printed its own "terminated: rerun ..." line.  The launch now stops with one line, exit 143, and
    the model in progress keeps a checkpoint saved after the step under way, which the rerun resumes."""
    out = tmp_path / "ddp"
    config = {**CONFIG, "training": {**TRAINING, "per_device_train_batch_size": 1, "num_train_epochs": 200}}
    proc = subprocess.Popen(
        recipe(config, data_dirs, out, launch=True), env=subprocess_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        for line in proc.stdout:
            if line.startswith("[grid] training "):
                break
        deadline = time.monotonic() + 120  # the datasets are converted first; the run's identity starts training
        while not list(out.glob("models/*/seed0/run_identity.json")) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # a few training steps
        os.killpg(proc.pid, signal.SIGTERM)  # as Slurm does: the launcher and both workers
        _, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    said = [
        line
        for line in err.splitlines()
        if re.match(r"terminated during model \S+ seed 0: rerun the same command", line)
    ]
    assert proc.returncode == 143 and len(said) == 1, err[-4000:]
    assert "the model in progress resumes from its last checkpoint" in said[0]
    assert err.count("SIGTERM: saving checkpoint-") == 1, err[-4000:]
    saved = list(out.glob("models/*/seed0/checkpoint-*/rng_state_1.pth"))  # both processes' parts
    assert len(saved) == 1 and not list(out.glob("models/*/seed0/grid-trained.json")), err[-4000:]


def test_a_launch_of_two_processes_is_refused_on_a_folder_one_process_trained(single, data_dirs, tmp_path, monkeypatch):
    """A worker launched in 2 processes on a grid folder that one process started (or the other way round) trains
    its models with twice the batch (``per_device_train_batch_size`` clips a process), so one table mixed models of
    batch 8 and 16 (measured on the demo's Table 5: its baseline 58.4 by a launch of 2, 21.6 by one process, the
    same config).  It is refused before anything trains, naming the difference, as other training settings are."""
    import shutil

    from bimotion.grid.claims import Ranks
    from bimotion.grid.settings import SettingsMismatch

    out = tmp_path / "out"
    shutil.copytree(single.output_dir, out)
    monkeypatch.setattr(Ranks, "current", classmethod(lambda cls: cls(0, 2)))  # rank 0 of a launch of 2
    with pytest.raises(SettingsMismatch) as refused:
        run_grid(CONFIG, data_dirs, out, log=None)
    assert str(refused.value) == (  # the fix is the launch, not deleting the folder's models
        f"{out} holds models each trained by one process, and this worker is a launch of 2 processes "
        "(training.processes_training_each_model: unset there, 2 now): each process trains "
        "per_device_train_batch_size clips a step, so its models would mix two batches in one table. Run every worker "
        "of this folder as its models were trained (python recipes/grid.py ...); if a launch of N processes trained "
        'them (an earlier bimotion recorded no count), add "processes_training_each_model": N to settings.training in '
        "its plan.json."
    )


def test_one_process_on_a_folder_a_launch_trained_is_given_a_launch_accelerate_runs_in_several(tmp_path):
    """The refusal's fix for a worker of one process on a folder a launch of 2 trained was `accelerate launch
    --num_processes 2 recipes/grid.py ...`, which on a machine of fewer than 2 GPUs (a CPU one) accelerate starts in
    one process, refused as such (lone_launch): the fix met a second refusal.  It names --multi_gpu."""
    import json

    from bimotion.grid.settings import LAUNCH, SettingsMismatch, check_settings

    now = {"data": {}, "base_model": "tiny", "training": {}}
    (tmp_path / "plan.json").write_text(json.dumps({"settings": {**now, "training": {LAUNCH: 2}}}))
    with pytest.raises(SettingsMismatch) as refused:
        check_settings(tmp_path, now)
    assert "as its models were trained (accelerate launch --multi_gpu --num_processes 2 recipes/grid.py ...)." in str(
        refused.value
    ), refused.value


def _small_probe_config() -> dict:
    """The shipped probe config, made small: one seed, zho_eld alone, a small head trained 3 epochs."""
    from bimotion.grid import load_config, shipped_config

    shipped = load_config(shipped_config("probe"))
    training = {**shipped.training, "hidden_size": 24, "num_train_epochs": 3}
    return {**shipped.__dict__, "seeds": [0], "bootstrap_samples": 20, "tables": [], "projections": [],
            "mixtures": ["zho_eld"], "extra_tests": ["zho_eld"], "training": training}  # fmt: skip


def _main_of_two():
    """Rank 0 of a launch of 2 (:class:`bimotion.grid.claims.Ranks`), the other process agreeing with it."""
    from bimotion.grid.claims import Ranks

    class MainOfTwo(Ranks):
        def barrier(self) -> None:
            pass

        def any(self, flag: bool) -> bool:
            return bool(flag)

        def broadcast(self, value):
            return value

    return MainOfTwo(0, 2)


def test_a_launch_reuses_the_probes_one_process_trained(data_dirs, tmp_path, monkeypatch):
    """A probe (``backend: probe``, as any trainer of the grid's own) is trained by the main process alone, its
    batch the same in a launch of any size: a launch of 2 on a probe folder one process trained was refused as if
    its models would mix two batches ('each process trains per_device_train_batch_size clips a step').  It
    reuses them, with the same numbers."""
    from bimotion.grid.claims import Ranks

    config = _small_probe_config()
    out = tmp_path / "out"
    first = run_grid(config, data_dirs, out, log=None)
    monkeypatch.setattr(Ranks, "current", classmethod(lambda cls: _main_of_two()))
    said: list[str] = []
    again = run_grid(config, data_dirs, out, log=said.append)
    assert not [line for line in said if "[grid] training" in line], said  # the probe one process trained, reused
    assert again.matrix == first.matrix


def test_probes_a_launch_trained_before_their_count_was_left_out_are_reused_by_a_launch_or_one_process(
    data_dirs, tmp_path, monkeypatch
):
    """Before 27f83a4 a probe folder a launch of 2 trained recorded "processes_training_each_model": 2 in its
    plan.json; a probe now records none, so the same launch on it was refused ('holds models each trained by a
    launch of 2 processes, and this worker is one process ... (accelerate launch --num_processes 2 recipes/grid.py
    ...)', the command it was), and one process too: the folder was reused by no run.  A probe's count is not
    compared: both reuse it, with the same numbers."""
    import json

    from bimotion.grid.claims import Ranks
    from bimotion.grid.settings import LAUNCH

    config = _small_probe_config()
    out = tmp_path / "out"
    first = run_grid(config, data_dirs, out, log=None)
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    plan["settings"]["training"][LAUNCH] = 2  # as a launch of 2 recorded it before
    (out / "plan.json").write_text(json.dumps(plan, indent=2), encoding="utf-8")

    for ranks in (_main_of_two(), Ranks(0, 1)):
        monkeypatch.setattr(Ranks, "current", classmethod(lambda cls, ranks=ranks: ranks))
        said: list[str] = []
        again = run_grid(config, data_dirs, out, log=said.append)
        assert not [line for line in said if "[grid] training" in line], said  # reused, by either
        assert again.matrix == first.matrix


@pytest.mark.slow
def test_a_config_error_under_a_launch_is_said_once(data_dirs, tmp_path):
    """A grid config with a typo (`max_stpes`) under a launch of 2 processes printed the usage and its error
    twice, one per process.  The main process says it; the launch still ends non-zero."""
    config = {**CONFIG, "training": {**TRAINING, "max_stpes": 2}}
    done = subprocess.run(
        recipe(config, data_dirs, tmp_path / "out", launch=True), env=subprocess_env(), capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    said = [line for line in done.stderr.splitlines() if line.startswith("grid.py: error:")]
    assert done.returncode != 0 and len(said) == 1, done.stderr[-3000:]
    assert "unknown training arguments ['max_stpes']" in said[0], said


def test_two_workers_share_a_folder_and_a_killed_workers_claim_is_recovered(single, data_dirs, tmp_path):
    out = tmp_path / "shared"
    command = recipe(CONFIG, data_dirs, out, cache_from=single.output_dir)
    env = subprocess_env(PYTHONUNBUFFERED="1")  # A's log must hold what it did before the kill
    errors = [(tmp_path / f"{name}.err").open("w") for name in "ab"]
    a, b = (
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=err, text=True, cwd=tmp_path)
        for err in errors
    )
    try:
        deadline, held = time.time() + 300, None
        while held is None:  # A claims its first model: kill it there, mid-model
            why = (tmp_path / "a.err").read_text()[-3000:]
            assert a.poll() is None and time.time() < deadline, f"worker A ended before it could be killed: {why}"
            for path in out.glob("claims/*.claim"):
                try:
                    info = json.loads(path.read_text())  # written whole (claims.py), but may be released
                except FileNotFoundError:
                    continue
                if info.get("pid") == a.pid:
                    held = info["unit"]
            time.sleep(0.05)
        a.send_signal(signal.SIGKILL)
        log_a = a.communicate()[0]
        log_b = b.communicate(timeout=300)[0]
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
                p.wait()
    for err in errors:
        err.close()
    assert b.returncode == 0, (tmp_path / "b.err").read_text()[-3000:]
    lines: list[str] = []
    result = run_grid(CONFIG, data_dirs, out, log=lines.append)  # the next run finishes whatever is left
    log_next = "\n".join(lines)
    recovered = f"recovered the claim on {held} of {socket.gethostname()} pid {a.pid}"
    assert recovered in log_b + log_next and "its process is gone" in log_b + log_next
    # every model trained exactly once over the three workers, though A died holding one
    assert trained_counts(log_a, log_b, log_next) == {"zho_eld": 1, "eng_eld": 1}
    assert result is not None and not list(out.glob("claims/*.claim"))  # no claim left behind
    same_results(out, single.output_dir, atol=0.0)  # bit-identical: same seed, same batches, one process each


def test_sigterm_in_a_models_last_step_stops_before_its_scoring_and_the_rerun_only_scores_it(
    single, data_dirs, tmp_path, monkeypatch
):
    """Slurm's SIGTERM during a model's very last training step let that model be saved, scored on its
    validation and test sets and predicted before the grid stopped: minutes on the paper's data, past
    Slurm's KillWait (SIGKILL, nothing said).  Now the worker stops once that step's checkpoint is whole
    (Terminated naming the sets not scored: exit 143 in the recipe), its claim released, the model
    neither marked done nor scored; the rerun resumes it, training nothing, scores it, trains the next,
    and the tables are those of an uninterrupted run."""
    from bimotion.grid.config import MARKER
    from bimotion.signals import Terminated, terminate_as_interrupt
    from bimotion.training.stopping import not_scored_words

    out = tmp_path / "out"
    recipe(CONFIG, data_dirs, out, cache_from=single.output_dir)  # the datasets' cache only
    lines: list[str] = []
    with sigterm_in_training(monkeypatch, lambda state: state.global_step + 1 == state.max_steps):  # its last step
        with terminate_as_interrupt(), pytest.raises(Terminated) as stopped:
            run_grid(CONFIG, data_dirs, out, log=lines.append)
    (kept,) = out.glob("models/*/seed0/checkpoint-*")  # the last step's, which the rerun scores from
    first = kept.parent.parent.name
    assert f"the test sets ({first})" in (not_scored_words(stopped.value) or ""), stopped.value.__dict__
    assert not trained_counts(*lines) and not (out / "models" / first / "seed0" / MARKER).exists()
    assert not list(out.glob("metrics/*/seed0.json")) and not list(out.glob("claims/*.claim"))

    again: list[str] = []
    run_grid(CONFIG, data_dirs, out, log=again.append)
    assert trained_counts(*again) == {"zho_eld": 1, "eng_eld": 1}  # the first only scored: nothing trained again
    assert not list(out.glob("models/*/seed0/checkpoint-*"))  # the stop's went with the run's end
    same_results(out, single.output_dir, atol=0.0)


def test_sigterm_during_a_model_names_it_and_the_shard_in_the_closing_line(
    single, data_dirs, tmp_path, monkeypatch, capsys
):
    """Slurm's time limit stopped a grid of 13 models with "terminated: rerun the same command to
    continue; ... the model in progress resumes from its last checkpoint", which did not say which
    model that was, nor which shard's worker it came from.  The line names both."""
    from conftest import load_recipe

    out = tmp_path / "out"
    argv = recipe(CONFIG, data_dirs, out, cache_from=single.output_dir)[2:]  # the datasets' cache only
    grid = load_recipe("grid")
    with sigterm_in_training(monkeypatch, lambda state: state.global_step == 0 and state.max_steps > 1):  # not last
        code = grid.main([*argv, "--shard", "0/1"])
    (stopped,) = [path.parent.parent.name for path in out.glob("models/*/seed0/checkpoint-*")]
    err = capsys.readouterr().err
    assert code == 143
    assert f"terminated during model {stopped} seed 0, shard 0/1: rerun the same command to continue" in err, err


def test_sigterm_while_a_trained_model_is_scored_says_the_rerun_only_scores_it(
    single, data_dirs, tmp_path, monkeypatch, capsys
):
    """A SIGTERM while the model just trained was scored stops the scoring at its next batch and the
    rerun only scores it (training.stopping.scoring_stops), but the grid's closing line said only "the
    model in progress resumes from its last checkpoint", as if training were left.  It says the model
    is trained and which of its sets were not scored."""
    from transformers import TrainerCallback

    class SigtermWhileScored(TrainerCallback):
        trained = sent = False

        def on_train_end(self, args, state, control, **kwargs):
            self.trained = True

        def on_predict(self, args, state, control, **kwargs):  # its validation sets scored: its test sets next
            if self.trained and not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGTERM)

    code, out = _grid_with_callback(SigtermWhileScored, single, data_dirs, tmp_path, monkeypatch)
    (kept,) = out.glob("models/*/seed0/checkpoint-*")  # the trained model's, which the rerun scores
    model = kept.parent.parent.name
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 143
    assert last == (
        f"terminated during model {model} seed 0: rerun the same command to continue; finished models are reused "
        f"and the model in progress is trained, but the test sets ({model}) were not scored: the rerun trains "
        "nothing of it, it scores from its last checkpoint"
    ), last


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
@pytest.mark.parametrize("stop", ["pending", "lost"])
@pytest.mark.parametrize("before", ["the next model", "the tables"])
def test_a_stop_between_models_says_no_model_was_in_progress(
    single, data_dirs, tmp_path, monkeypatch, capsys, stop, before
):
    """A SIGTERM that came as a model finished (left pending: stops.stop_if_asked) or whose stop a finalizer
    swallowed as a model was scored (taken at the next unit's start, or before the tables:
    stops.stop_if_lost_in_launch) stops the worker between two models, or before its tables; its last line
    still said "finished models are reused and the model in progress resumes from its last checkpoint", though no
    model was in progress.  It says where it stopped."""
    import shutil

    from test_signals import _lose_a_stop_in_a_finalizer

    from bimotion.grid import workers
    from bimotion.signals import stop_at_safe_points

    out = tmp_path / "out"
    shutil.copytree(single.output_dir, out)  # both models finished, rescored from their saved predictions
    shutil.rmtree(out / "tables")
    if before == "the next model":
        (out / "metrics" / "eng_eld" / "seed0.json").unlink()  # the second unit left to score
    score, calls = workers._score, []

    def stopping(*args, **kwargs):  # the stop comes as the first (next model) or the last (tables) unit is scored
        score(*args, **kwargs)
        calls.append(args[1].name)
        if len(calls) == (1 if before == "the next model" else 2):
            if stop == "lost":
                _lose_a_stop_in_a_finalizer(monkeypatch)
            else:
                with stop_at_safe_points():  # as training's end: only its flag, left pending
                    os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(workers, "_score", stopping)
    argv = recipe(CONFIG, data_dirs, out)[2:]
    code = _grid_main(argv)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 143 and calls == (["zho_eld"] if before == "the next model" else ["zho_eld", "eng_eld"])
    assert last == (
        "terminated: rerun the same command to continue; finished models are reused and no model was in progress: "
        f"it stopped before {before}"
    ), last
    assert not (out / "tables").exists() and not list(out.glob("claims/*.claim"))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_as_a_model_is_saved_says_it_is_trained_not_scored(data_dirs, single, tmp_path, capsys, monkeypatch):
    """A SIGTERM as a model's training saved its outputs (left pending, taken before its scoring:
    stops.stop_after_training) ended with "... and no model was in progress: it stopped before its scoring"
    (its model is in progress: trained, marked, not scored); the line says what the rerun does."""
    from bimotion.training import run as training_run

    original = training_run.write_outputs

    def signalled(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # within stop_at_safe_points: only its flag, left pending
        return original(*args, **kwargs)

    monkeypatch.setattr(training_run, "write_outputs", signalled)
    argv = recipe(CONFIG, data_dirs, tmp_path / "out", cache_from=single.output_dir)[2:]
    code = _grid_main(argv)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 143
    assert last.endswith(
        "rerun the same command to continue; finished models are reused and the model in progress is trained and "
        "saved, not yet scored: the rerun trains nothing of it"
    ), last


def test_ctrl_c_during_a_model_that_saved_no_checkpoint_says_the_rerun_trains_it_again(
    single, data_dirs, tmp_path, monkeypatch, capsys
):
    """Ctrl-C halfway through a model of a grid that saves no checkpoints (`save_strategy: "no"`, as the demo's
    config) ended "... the model in progress resumes from its last checkpoint", though it had saved none and the
    rerun trains it again from the start.  The closing line says so."""
    from transformers import TrainerCallback

    class CtrlC(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == 1:  # the model's second step of two
                os.kill(os.getpid(), signal.SIGINT)

    code, out = _grid_with_callback(CtrlC, single, data_dirs, tmp_path, monkeypatch)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 130 and not list(out.glob("models/*/seed0/checkpoint-*")), last
    assert re.fullmatch(
        r"interrupted during model \S+ seed 0: rerun the same command to continue; finished models are reused "
        r"and the model in progress saved no checkpoint: the rerun trains it again from the start",
        last,
    ), last


def test_ctrl_c_as_a_trained_model_is_reused_says_the_rerun_trains_nothing_of_it(
    single, data_dirs, tmp_path, monkeypatch, capsys
):
    """Ctrl-C as the grid read the marker of a model it had trained (its metrics file gone, so the unit is scored
    again; its checkpoints discarded once trained) ended "... the model in progress saved no checkpoint: the rerun
    trains it again from the start", though its marker is there and the rerun reuses it."""
    import shutil

    from bimotion.grid import runner

    out = tmp_path / "out"
    shutil.copytree(single.output_dir, out, ignore=shutil.ignore_patterns("metrics", "tables"))
    reading = runner.marked_model

    def ctrl_c_as_read(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return reading(*args, **kwargs)

    monkeypatch.setattr(runner, "marked_model", ctrl_c_as_read)
    argv = recipe(CONFIG, data_dirs, out)[2:]
    code = _grid_main(argv)
    monkeypatch.undo()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 130, last
    assert re.fullmatch(
        r"interrupted during model \S+ seed 0: rerun the same command to continue; finished models are reused "
        r"and the model in progress is trained and saved, not yet scored: the rerun trains nothing of it",
        last,
    ), last
    assert _grid_main(argv) == 0
    assert "[grid] training" not in capsys.readouterr().out  # reused, as said


@pytest.mark.parametrize("scoring", ["its unit", "again before the tables"])
def test_ctrl_c_as_a_trained_model_is_read_to_be_scored_says_the_rerun_trains_nothing_of_it(
    single, data_dirs, tmp_path, monkeypatch, capsys, scoring
):
    """Ctrl-C as the grid read the marker of a model it had trained (its checkpoints deleted), to score its unit,
    ended "... the model in progress saved no checkpoint: the rerun trains it again from the start"; and as it read
    it to score a stale unit again before the tables (another shard's), "interrupted during model zho_eld seed 0:
    ... no model was in progress: it stopped before the tables".  The rerun trains nothing of it: both say so.  The
    closing line names the unit's shard (0/2), not that of the worker scoring it again (1/2, which it named)."""
    import shutil

    from bimotion.grid import runner
    from bimotion.grid.saved import PREDICTIONS_SHA256

    out, first = tmp_path / "out", single.plan.models[0]
    shutil.copytree(single.output_dir, out)
    shutil.rmtree(out / "tables")
    shard, worker = [], ""
    if scoring == "again before the tables":  # its metrics file of other predictions: rescored by shard 1/2's worker
        metrics = out / "metrics" / first.slug / "seed0.json"
        metrics.write_text(json.dumps({**json.loads(metrics.read_text()), PREDICTIONS_SHA256: {}}))
        shard, worker = ["--shard", "1/2"], ", shard 0/2"  # the unit's (the first), not this worker's (1/2)
    reused = runner.Grid._reused

    def interrupted(grid, model, *args, **kwargs):
        if model.name == first.name:
            os.kill(os.getpid(), signal.SIGINT)
        return reused(grid, model, *args, **kwargs)

    monkeypatch.setattr(runner.Grid, "_reused", interrupted)
    code = _grid_main([*recipe(CONFIG, data_dirs, out)[2:], *shard])
    monkeypatch.undo()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 130 and not list(out.glob("models/*/seed0/checkpoint-*")), last
    assert last == (
        f"interrupted during model {first.name} seed 0{worker}: rerun the same command to continue; finished models "
        "are reused and the model in progress is trained and saved, not yet scored: the rerun trains nothing of it"
    ), last
    again: list[str] = []
    run_grid(CONFIG, data_dirs, out, log=again.append)
    assert trained_counts(*again) == {} and (out / "tables").is_dir()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_while_a_trained_model_predicts_its_tests_says_the_rerun_only_scores_it(
    data_dirs, single, tmp_path, capsys, monkeypatch
):
    """A SIGTERM while the grid predicted the test clips of the model it had just trained (saved, marked, its
    checkpoints deleted) ended "... the model in progress resumes from its last checkpoint", though none was left
    and the rerun trains nothing; it says the model is trained and saved, not yet scored, which the rerun bears out."""
    from bimotion.grid import runner

    out, first = _without_its_first_unit(single, tmp_path)  # its unit trains again, then predicts
    original, sent = runner.backend_predict, []

    def signalled(*args, **kwargs):
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGTERM)
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "backend_predict", signalled)
    argv = recipe(CONFIG, data_dirs, out)[2:]
    code = _grid_main(argv)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 143 and sent
    assert last == (
        f"terminated during model {first.name} seed 0: rerun the same command to continue; finished models are "
        "reused and the model in progress is trained and saved, not yet scored: the rerun trains nothing of it"
    ), last
    assert (out / "models" / first.slug / "seed0" / "grid-trained.json").is_file()
    assert not list(out.glob("models/*/seed0/checkpoint-*")) and not list(out.glob("claims/*.claim"))
    monkeypatch.undo()
    assert _grid_main(argv) == 0
    assert trained_counts(capsys.readouterr().out) == {} and (out / "tables" / "heatmap.csv").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_while_the_tables_are_written_says_no_model_was_in_progress(
    data_dirs, single, tmp_path, capsys, monkeypatch
):
    """A SIGTERM while a finished grid wrote its tables ended "... the model in progress resumes from its last
    checkpoint", though every model was scored; it says no model was in progress, as a stop before the tables does."""
    import shutil

    from bimotion.grid import runner

    out = tmp_path / "out"
    shutil.copytree(single.output_dir, out)  # both models finished: only the tables are left
    shutil.rmtree(out / "tables")
    original = runner.write_reports

    def signalled(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "write_reports", signalled)
    code = _grid_main(recipe(CONFIG, data_dirs, out)[2:])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 143
    assert last == (
        "terminated: rerun the same command to continue; finished models are reused and no model was in progress: "
        "it stopped before the tables"
    ), last
    assert not list(out.glob("claims/*.claim"))


def test_the_tables_wait_for_a_model_predicted_but_not_yet_scored(single, data_dirs, tmp_path):
    """Two workers finishing at once: worker A has saved its last model's predictions and is scoring
    them, worker B finishes its own last model.  B counted A's unit finished (trained, predicted), took
    the ``tables`` claim and wrote the tables without A's metrics file ("1 of 2 metrics files record
    none", its provenance null in the sidecar); A then saw B writing them and left them so.  A unit is
    now finished once its metrics file is written: B leaves the tables to A, and A's run writes them."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(single.output_dir, out)  # a finished grid (a moved folder keeps working) ...
    first = single.plan.models[0]
    (out / "metrics" / first.slug / "seed0.json").unlink()  # ... whose first unit's worker is scoring it
    shutil.rmtree(out / "tables")
    lines: list[str] = []
    assert run_grid(CONFIG, data_dirs, out, log=lines.append, shard=(1, 2)) is None, lines  # B: its share done
    assert not (out / "tables").exists() and f"1 unfinished: {first.name} seed 0" in lines[-1], lines
    result = run_grid(CONFIG, data_dirs, out, log=lines.append, shard=(0, 2))  # A: scores it, writes the tables
    assert result is not None and "record none" not in result.produced_by()
    assert trained_counts(*lines) == {}
    same_results(out, single.output_dir, atol=0.0)


def test_a_recipe_worker_that_leaves_the_tables_to_another_says_so_and_exits_0(single, data_dirs, tmp_path, capsys):
    """recipes/grid.py on a finished grid whose ``tables`` claim a live worker holds writes no tables: its log's last
    line names the worker writing them, and it exits 0 (a Slurm array's task is not failed for it), as a worker
    whose share is done, the tables left to the worker finishing the last unit, does (docs/recipes-grid.md)."""
    import shutil

    from conftest import load_recipe

    out = tmp_path / "out"
    shutil.copytree(single.output_dir, out)  # a finished grid (a moved folder keeps working)
    shutil.rmtree(out / "tables")
    argv = recipe(CONFIG, data_dirs, out)[2:]
    claims = Claims(out / "claims")
    held = claims.acquire("tables")  # another worker writing the tables: this process
    try:
        holder = describe(claims.holder("tables")).split(" (heartbeat")[0]
        code = load_recipe("grid").main(argv)
    finally:
        held.release()
    captured = capsys.readouterr()
    last = captured.out.strip().splitlines()[-1]
    assert code == 0 and "error:" not in captured.err, captured
    assert last.startswith(f"[grid] every model is finished; {holder} (heartbeat ") and last.endswith(
        " is writing the tables"
    ), last
    assert not (out / "tables").exists()

    first = single.plan.models[0]  # unit 0, shard 0/2's: not finished, so shard 1/2's worker leaves the tables
    (out / "metrics" / first.slug / "seed0.json").unlink()
    assert load_recipe("grid").main([*argv, "--shard", "1/2"]) == 0
    captured = capsys.readouterr()
    assert "error:" not in captured.err and f"1 unfinished: {first.name} seed 0" in captured.out, captured


def _without_its_first_unit(single, tmp_path: Path):
    """A copy of the finished grid ``single`` without its first unit (shard 0/2's) nor its tables: ``(folder, model)``."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(single.output_dir, out)
    first = single.plan.models[0]
    for part in ("models", "predictions", "metrics"):
        shutil.rmtree(out / part / first.slug)
    shutil.rmtree(out / "tables")
    return out, first


def test_a_worker_whose_share_is_done_names_a_dead_workers_units_and_what_to_rerun(single, data_dirs, tmp_path):
    """Worker A (``--shard 0/2``) killed holding a unit, never rerun: worker B (``--shard 1/2``) ended
    "zho_eld seed 0 (shard 0/2's, not started) ... (or rerun this command then)", and rerunning B's
    command did nothing for that unit, every time.  B now says that unit's worker is gone (who, and
    why) and to rerun its shard or ``--shard 0/1``, which finishes it and writes the tables."""

    from loaders.files import machine_id

    out, first = _without_its_first_unit(single, tmp_path)
    dead = {"unit": f"{first.slug}.seed0", "host": socket.gethostname(), "machine": machine_id(), "pid": 2**22 + 1,
            "token": "t"}  # fmt: skip
    (out / "claims" / f"{first.slug}.seed0.claim").write_text(json.dumps(dead))
    lines: list[str] = []
    assert run_grid(CONFIG, data_dirs, out, log=lines.append, shard=(1, 2)) is None
    said = lines[-1]
    assert f"1 unfinished: {first.name} seed 0 (shard 0/2's, its worker {socket.gethostname()} pid {2**22 + 1}" in said
    assert "is gone: its process is gone)" in said and "rerun its shard, or this command with --shard 0/1" in said
    result = run_grid(CONFIG, data_dirs, out, log=lines.append, shard=(0, 1))
    assert result is not None and trained_counts(*lines) == {first.name: 1}
    same_results(out, single.output_dir, atol=0.0)


def test_a_unit_held_from_another_machine_says_who_holds_it_and_when_it_is_taken_over(single, data_dirs, tmp_path):
    """A claim from another machine on a shared folder (its process cannot be checked here) blocks its unit
    until its heartbeat is STALE_AFTER_S (600 s) old.  The workers said "claimed by node12 pid 4061 (heartbeat
    300 s ago), skipped" and "1 unfinished: ... (claimed by ...)": a worker gone with its node read as a live
    one, with no word of when the unit would be free.  Each line now says when a run takes the claim over."""

    from bimotion.grid.claims import STALE_AFTER_S

    out, first = _without_its_first_unit(single, tmp_path)
    claim = out / "claims" / f"{first.slug}.seed0.claim"
    claim.parent.mkdir(exist_ok=True)
    claim.write_text(json.dumps({"unit": f"{first.slug}.seed0", "host": "node12", "machine": "0" * 8, "pid": 4061,
                                 "token": "t"}))  # fmt: skip
    beat = time.time() - 300
    os.utime(claim, (beat, beat))  # its worker's node went down 5 minutes ago
    takeover = time.strftime("%H:%M", time.gmtime(beat + STALE_AFTER_S))
    lines: list[str] = []
    for shard in ((0, 2), (1, 2)):  # its own shard's worker skips it; the other's share is done
        assert run_grid(CONFIG, data_dirs, out, log=lines.append, shard=shard) is None
    skipped, closing = next(s for s in lines if "1/1" in s and "skipped" in s), lines[-1]
    for said in (skipped, closing):
        found = re.search(
            r"claimed by node12 pid 4061 \(heartbeat (\d+) s ago; if that worker is gone, a run from (\d\d:\d\d):\d\d "
            r"UTC on takes its claim over, in (\d+) s, its heartbeat then 600 s old\)",
            said,
        )
        assert found and found[2] == takeover and abs(int(found[1]) + int(found[3]) - STALE_AFTER_S) <= 1, said
    assert trained_counts(*lines) == {} and claim.is_file()  # not taken over yet, nothing trained


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
@pytest.mark.parametrize("stop", ["sigterm", "failed collective"])
def test_a_stop_right_after_a_unit_is_claimed_releases_its_claim(data_dirs, tmp_path, monkeypatch, stop):
    """A worker claimed a unit, then told a launch's processes who holds it (a broadcast) before the code that
    releases the claim began: a SIGTERM there, or a collective that failed (a process of the launch gone), left
    ``claims/<unit>.claim`` behind, and a worker on another machine skipped the unit as held for 600 s.  The
    claim is released on every path now: nothing is left, and nothing trained."""
    from bimotion.grid.claims import Ranks
    from bimotion.signals import Terminated, terminate_as_interrupt

    acquire, broadcast, claimed = Claims.acquire, Ranks.broadcast, []

    def claiming(self, unit):
        claimed.append(unit)
        return acquire(self, unit)

    def stopping(self, value):  # the broadcast of the holder, right after the first unit's claim
        if claimed == ["zho_eld.seed0"]:
            claimed.append("stopped")
            if stop == "sigterm":
                os.kill(os.getpid(), signal.SIGTERM)  # Terminated is raised here, on its return
            raise RuntimeError("[gloo] Connection closed by peer")
        return broadcast(self, value)

    monkeypatch.setattr(Claims, "acquire", claiming)
    monkeypatch.setattr(Ranks, "broadcast", stopping)
    out = tmp_path / "out"
    with terminate_as_interrupt(), pytest.raises(Terminated if stop == "sigterm" else RuntimeError):
        run_grid(CONFIG, data_dirs, out, log=None)
    assert claimed == ["zho_eld.seed0", "stopped"]
    assert not list(out.glob("claims/*.claim")) and not list(out.glob("models/*/seed0"))


def _race(folder: str, queue, done) -> None:
    claim = Claims(Path(folder), log=lambda *a: None).acquire("model.seed0")
    queue.put(isinstance(claim, Claim))
    done.wait(60)  # alive, holding it, until every racer has tried (a gone holder's claim is rightly taken over)


def test_claims_are_atomic_and_stale_ones_are_taken_over(tmp_path):
    ctx = multiprocessing.get_context("fork")
    queue, done = ctx.Queue(), ctx.Event()
    racers = [ctx.Process(target=_race, args=(str(tmp_path / "race"), queue, done)) for _ in range(6)]
    for p in racers:
        p.start()
    won = [queue.get(timeout=60) for _ in racers]
    done.set()
    for p in racers:
        p.join()
    assert sum(won) == 1  # exactly one of six simultaneous workers holds it

    logged: list[str] = []
    claims = Claims(tmp_path / "claims", stale_after_s=60, log=logged.append)
    mine = claims.acquire("m.seed0")
    assert isinstance(mine, Claim) and claims.acquire("m.seed0")["pid"] == os.getpid()  # held: refused
    mine.release()
    assert not claims.path("m.seed0").exists()
    # a claim from another host whose heartbeat stopped 2 minutes ago is taken over, and logged
    path = claims.path("x.seed1")
    path.write_text(json.dumps({"unit": "x.seed1", "host": "elsewhere", "pid": 1, "token": "t"}))
    assert not isinstance(claims.acquire("x.seed1"), Claim)  # fresh heartbeat: held
    os.utime(path, (time.time() - 120, time.time() - 120))
    taken = claims.acquire("x.seed1")
    assert isinstance(taken, Claim) and "of elsewhere pid 1" in logged[-1] and "no heartbeat for 120 s" in logged[-1]
    taken.release()
    # a container with this host name but its own pid namespace is another machine: its live claim,
    # whose pid is dead here, is not taken over while its heartbeat is fresh
    import socket

    from loaders.files import machine_id

    twin = {"unit": "y.seed0", "host": socket.gethostname(), "machine": "0" * 8, "pid": 2**22 + 1, "token": "t"}
    claims.path("y.seed0").write_text(json.dumps(twin))
    assert not isinstance(claims.acquire("y.seed0"), Claim)
    claims.path("y.seed0").write_text(json.dumps({**twin, "machine": machine_id()}))  # this machine's, pid gone
    assert isinstance(claims.acquire("y.seed0"), Claim) and "its process is gone" in logged[-1]


def test_a_stop_right_after_the_claims_link_leaves_no_claim_behind(tmp_path, monkeypatch):
    """A SIGTERM (raised as Terminated by the recipe's handler) that came as ``os.link`` had just made a
    worker's claim, before ``acquire`` returned it, left ``claims/<unit>.claim`` behind with no caller
    holding a Claim to release it: every worker, this one rerun too, skipped the unit as held by a live
    worker until its process was gone (600 s from another machine).  ``acquire`` removes its own claim
    (and its temporary file) on the way out now: nothing is left, and the next acquire claims the unit."""
    from bimotion.signals import Terminated

    link = os.link

    def linking_then_stopped(src, dst, *args, **kwargs):
        link(src, dst, *args, **kwargs)
        raise Terminated("terminated by signal 15 (SIGTERM)")

    claims = Claims(tmp_path / "claims", log=lambda *a: None)
    monkeypatch.setattr(os, "link", linking_then_stopped)
    with pytest.raises(Terminated):
        claims.acquire("m.seed0")
    monkeypatch.setattr(os, "link", link)
    assert sorted(p.name for p in claims.folder.iterdir()) == []  # no claim, no temporary file
    # a claim another worker holds is not removed by this worker's stop
    other = claims.path("o.seed0")
    other.write_text(json.dumps({"unit": "o.seed0", "host": "elsewhere", "pid": 1, "token": "theirs"}))
    monkeypatch.setattr(os, "link", lambda src, dst: (_ for _ in ()).throw(Terminated("terminated by signal 15")))
    with pytest.raises(Terminated):
        claims.acquire("o.seed0")
    monkeypatch.setattr(os, "link", link)
    assert sorted(p.name for p in claims.folder.iterdir()) == ["o.seed0.claim"]
    again = claims.acquire("m.seed0")
    assert isinstance(again, Claim)
    again.release()


def test_a_requeued_slurm_tasks_own_claim_is_taken_over_at_once(tmp_path, monkeypatch):
    """A job-array task killed with its node (no SIGTERM, so its claim stays) and requeued by Slurm
    on another node met its own claim, whose heartbeat was fresh: it skipped that unit as held by a
    live worker and exited 0, the unit left until someone reran after 10 minutes.  A claim records
    its Slurm job; the requeued run of that job (a higher ``SLURM_RESTART_COUNT``) takes it over at
    once, and every message naming a holder names its Slurm job (``squeue``'s ``1234_5``)."""
    task = {"SLURM_JOB_ID": "1239", "SLURM_ARRAY_JOB_ID": "1234", "SLURM_ARRAY_TASK_ID": "5"}
    for name, value in task.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLURM_RESTART_COUNT", raising=False)
    logged: list[str] = []
    claims = Claims(tmp_path / "claims", log=logged.append)
    path = claims.path("m.seed0")
    claims.folder.mkdir(parents=True)
    for job, restarts in (("1239", 0), ("1240", 0)):  # this task's first run on node12; another task
        path.write_text(json.dumps(
            {"unit": "m.seed0", "host": "node12", "machine": "0" * 8, "pid": 4061, "token": job, "slurm_job": job,
             "slurm_name": f"1234_{int(job) - 1234}", "slurm_restart": restarts}
        ))  # fmt: skip
        assert claims.acquire("m.seed0")["pid"] == 4061  # fresh heartbeat: held (restart 0 is this run too)
    assert "node12 pid 4061, Slurm job 1234_6 (heartbeat 0 s ago)" == describe(claims.holder("m.seed0"))
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")  # requeued
    assert claims.acquire("m.seed0")["pid"] == 4061  # another task's claim is still held
    path.write_text(path.read_text().replace('"1240"', '"1239"').replace("1234_6", "1234_5"))
    taken = claims.acquire("m.seed0")
    assert isinstance(taken, Claim), taken
    assert logged[-1] == (
        "[grid] recovered the claim on m.seed0 of node12 pid 4061, Slurm job 1234_5 (heartbeat 0 s ago): "
        "its Slurm job 1234_5 was requeued: this is its restart 1"
    )
    assert json.loads(path.read_text())["slurm_restart"] == 1
    taken.release()


def test_shards_split_the_plan_and_come_from_a_job_array():
    assert parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "x", "1/0", "-1/2"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)
    env = {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"}
    assert shard_from_env(env) == (2, 4) and shard_from_env({}) is None
    # --array=0-6:2 (a step): task 4 is the third of 4; --array=1,3,5: evenly spaced, but a list, not a range
    # (no step): it was said to be 'not evenly spaced'
    stepped = {"SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_STEP": "2"}
    assert shard_from_env({**stepped, "SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"}) == (2, 4)
    listed = {"SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_COUNT": "3"}
    for task in ("1", "3", "5"):  # was read as 0/3, 2/3 and 4/3 (an error naming --shard, never given)
        with pytest.raises(
            ValueError,
            match=r"are not a range \(a list, --array=1,3,5 or 1,3,4, gives no step\), .* submit it with --array=0-2",
        ):
            shard_from_env({**listed, "SLURM_ARRAY_TASK_ID": task})
    units = range(10)
    split = [[u for u in units if in_shard(u, (i, 3))] for i in range(3)]
    assert sorted(sum(split, [])) == list(units) and split[1] == [1, 4, 7]


def test_batches_by_padded_audio_duration_are_fixed_in_content_and_seeded_in_order(tmp_path):

    from bimotion.training import testing
    from bimotion.training.collator import AudioCollator
    from bimotion.training.model import build_model
    from bimotion.training.sampler import DurationBatchSampler, duration_batches
    from bimotion.training.trainer import SERTrainer
    from bimotion.training.training_args import SERTrainingArguments

    lengths = np.random.default_rng(0).uniform(0.5, 12.0, 300)
    batches = duration_batches(lengths.tolist(), 40.0, seed=0, max_duration_s=10.0)
    cropped = np.minimum(lengths, 10.0)
    assert sorted(i for b in batches for i in b) == list(range(300))  # every clip once
    assert all(len(b) * cropped[b].max() <= 40.0 for b in batches)
    assert max(map(len, batches)) > 3 * len(batches[0])  # short clips many to a batch, long ones few
    sampler = DurationBatchSampler(lengths.tolist(), 40.0, seed=0, max_duration_s=10.0)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert len(first) == len(second) == len(sampler) and first != second
    assert sorted(map(tuple, first)) == sorted(map(tuple, second))  # the same batches, reordered
    assert first == list(DurationBatchSampler(lengths.tolist(), 40.0, seed=0, max_duration_s=10.0))

    # through the trainer: collated batches hold at most the budget of padded audio
    rows = testing.synth_rows("csed", "zho_eld", "train", 10, duration_s=(0.4, 1.6))
    dataset = testing.rows_dataset(rows)
    model, fe = build_model(str(testing.save_tiny_model(tmp_path / "tiny")), classifier_proj_size=16)
    args = SERTrainingArguments(
        output_dir=str(tmp_path / "run"), use_cpu=True, max_batch_duration_s=2.0, report_to="none",
        eval_strategy="no", load_best_model_at_end=False,
    )  # fmt: skip
    assert args.optim == "adamw_torch_fused" and model.config._attn_implementation == "sdpa"  # the fast defaults
    trainer = SERTrainer(model=model, args=args, train_dataset=dataset, data_collator=AudioCollator(fe, 1.0))
    seen = []
    for batch in trainer.get_train_dataloader():
        assert batch["input_values"].numel() / 16000 <= 2.0 + 1e-9
        seen += batch["labels"].tolist()
    assert len(seen) == len(rows)


def test_the_grid_log_marks_a_score_at_or_below_chance_as_the_tables_do():
    """A new user read 'eng_eld 28.4 (chance 32.1)' in the demo's grid.log with no mark, where every
    table and figure marks such a score with a dagger."""
    from bimotion.grid.workers import scored_line

    tests = {"eng_eld": {"weighted_f1": 0.284, "chance": 0.321}, "zho_eld": {"weighted_f1": 0.56, "chance": 0.278}}
    assert scored_line(tests) == (
        "weighted F1 % eng_eld 28.4† (chance 32.1), zho_eld 56.0 (chance 27.8) († at or below chance)"
    )
    assert scored_line({"zho_eld": tests["zho_eld"]}) == "weighted F1 % zho_eld 56.0 (chance 27.8)"


def test_the_grid_log_says_the_tables_numbers_when_the_grid_scores_by_arg_max():
    """Under ``metric: weighted_f1_argmax`` the tables showed the arg-max F1 and its chance level while
    every model's log line said the sigmoid reading's (on the demo's predictions, eng_eld's model on its
    own test set: 56.7 against 32.1 in the log, 60.6 against 22.6 in the tables); the log now says the
    tables' numbers, with their chance level and mark."""
    import numpy as np

    from bimotion.grid.scoring import chance_of_test, entry_of_test
    from bimotion.grid.workers import scored_line
    from bimotion.training.bootstrap import score_test
    from bimotion.training.metrics import score_groups

    rng = np.random.default_rng(0)
    n, mask = 60, np.zeros((60, 13), dtype=np.int8)
    mask[:, [5, 7, 8]] = 1  # CSED's neutral, positive, negative
    labels = np.zeros_like(mask)
    labels[np.arange(n), rng.choice([5, 7, 8], n, p=[0.6, 0.2, 0.2])] = 1
    logits = (rng.normal(size=(n, 13)) + 2 * labels + 1).astype(np.float32)  # ranks well, every logit above 0
    pred = {"id": np.array([f"csed/{i}" for i in range(n)]), "group": np.array(["zho_eld"] * n),
            "corpus": np.array(["csed"] * n), "labels": labels, "label_mask": mask, "logits": logits}  # fmt: skip
    scores = score_groups(logits, labels, mask, pred["corpus"], pred["group"])
    tests = {"zho_eld": entry_of_test(pred, scores, "zho_eld", None, "mean")}
    cell, _ = score_test([pred], samples=0, confidence=0.95, metric="weighted_f1_argmax")
    chance = chance_of_test(pred, metric="weighted_f1_argmax")["chance"]
    assert abs(cell[0] - 100 * tests["zho_eld"]["weighted_f1"]) > 1  # the two readings differ here
    assert (
        scored_line(tests, "weighted_f1_argmax")
        == f"weighted F1 (arg-max) % zho_eld {cell[0]:.1f} (chance {chance:.1f})"
    )
