"""``accelerate launch --cpu --num_processes 2 recipes/train.py ...`` started one process (accelerate 1.x's
``simple_launcher``: ``MASTER_ADDR``/``MASTER_PORT`` set, no ``WORLD_SIZE``), which trained alone, silently: N
times each process's work, with another global batch.  The recipes now refuse it, naming the command that runs N
CPU processes (:func:`bimotion.training.processes.lone_launch`); a launch of one process goes on."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from conftest import REPO

from bimotion.training.testing import free_port, subprocess_env

TRAIN = REPO / "recipes" / "train.py"


def _launch(tmp_path, *flags: str, **env: str) -> subprocess.CompletedProcess:
    """``accelerate launch FLAGS recipes/train.py`` on a prepared folder that is not there: a launch that goes on
    stops at that argument's error, before any data is read."""
    launch = [sys.executable, "-m", "accelerate.commands.launch", *flags, str(TRAIN)]
    argv = ["--bimotion", str(tmp_path / "not-there"), "--train_configs", "zho_eld", "--output_dir", str(tmp_path)]
    return subprocess.run([*launch, *argv], env=subprocess_env(**env), capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("cpu", [["--cpu"], []], ids=["cpu", "no-gpu"])
def test_a_launch_of_two_processes_that_accelerate_runs_as_one_is_refused_with_the_command_that_works(tmp_path, cpu):
    if not cpu and torch.cuda.is_available():
        pytest.skip("accelerate runs several GPU processes here")
    run = _launch(tmp_path, *cpu, "--num_processes", "2", "--main_process_port", str(free_port()))
    assert run.returncode != 0
    said = (
        f"train.py: error: accelerate launch started {TRAIN} in one process, not 2: with --cpu (or with no GPU here) "
        "accelerate 1.x runs a single process whatever --num_processes says, and it would train alone, with another "
        "global batch; for 2 CPU processes (gloo) use its multi-process launcher: accelerate launch --multi_gpu "
        f"--num_processes 2 --mixed_precision no {TRAIN} ...; for one process, drop --num_processes\n"
    )
    assert said in run.stderr, run.stderr[-3000:]  # before: the folder's error, from the one process, training alone
    assert "not-there" not in run.stderr.split("Traceback")[0]


@pytest.mark.parametrize("flags", [["--num-processes=2"], ["--num-processes", "2"]], ids=["equals", "spaced"])
def test_a_count_given_in_accelerates_hyphen_spelling_is_named(tmp_path, flags):
    """accelerate takes --num-processes as --num_processes (its help: "with either hyphens or underscores"); the
    refusal read the count from --num_processes alone, so it said 'not N' and '--num_processes N ...'."""
    run = _launch(tmp_path, "--cpu", *flags, "--main_process_port", str(free_port()))
    assert run.returncode != 0
    assert "in one process, not 2: " in run.stderr and "--multi_gpu --num_processes 2 " in run.stderr, run.stderr


@pytest.mark.parametrize("exported", [False, True], ids=["alone", "users-master-port"])
def test_a_launch_of_one_cpu_process_goes_on(tmp_path, exported):
    """One process asked (``--cpu``), also where the user's environment holds a MASTER_PORT of its own."""
    port = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())} if exported else {}
    run = _launch(tmp_path, "--cpu", **port)
    assert run.returncode != 0
    assert f"train.py: error: --bimotion {tmp_path / 'not-there'}: no such folder" in run.stderr, run.stderr[-3000:]
    assert "in one process, not" not in run.stderr


def test_a_recipe_run_by_python_with_accelerates_variables_set_goes_on(tmp_path):
    """``ACCELERATE_USE_CPU=1 MASTER_ADDR=... MASTER_PORT=... python recipes/train.py ...`` (a job script's exports:
    a shell's own /proc environ does not hold them) is one process no launcher started: it was refused as 'accelerate
    launch started recipes/train.py in one process, not N'.  Only a process accelerate launched is refused."""
    env = {"ACCELERATE_USE_CPU": "true", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())}
    argv = ["--bimotion", str(tmp_path / "not-there"), "--train_configs", "zho_eld", "--output_dir", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, str(TRAIN), *argv], env=subprocess_env(**env), capture_output=True, text=True, timeout=600
    )
    assert run.returncode != 0
    assert f"train.py: error: --bimotion {tmp_path / 'not-there'}: no such folder" in run.stderr, run.stderr[-3000:]
    assert "in one process, not" not in run.stderr
