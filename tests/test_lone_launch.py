"""``accelerate launch --cpu --num_processes 2 recipes/train.py ...`` started one process (accelerate 1.x's
``simple_launcher``: ``MASTER_ADDR``/``MASTER_PORT`` set, no ``WORLD_SIZE``), which trained alone, silently: N
times each process's work, with another global batch.  The recipes now refuse it, naming the command that runs N
CPU processes (:func:`bimotion.training.launched_alone.lone_launch`); a launch of one process goes on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO

from bimotion.training.testing import free_port, subprocess_env

TRAIN = REPO / "recipes" / "train.py"


def _launch(tmp_path, *flags: str, launcher: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess:
    """``accelerate launch FLAGS recipes/train.py`` on a prepared folder that is not there: a launch that goes on
    stops at that argument's error, before any data is read.  ``launcher``: the command that starts accelerate's
    launcher (default: ``python -m accelerate.commands.launch``)."""
    launch = [*(launcher or (sys.executable, "-m", "accelerate.commands.launch")), *flags, str(TRAIN)]
    argv = ["--bimotion", str(tmp_path / "not-there"), "--train_configs", "zho_eld", "--output_dir", str(tmp_path)]
    return subprocess.run([*launch, *argv], env=subprocess_env(**env), capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("cpu", [["--cpu"], []], ids=["cpu", "no-gpu"])
def test_a_launch_of_two_processes_that_accelerate_runs_as_one_is_refused_with_the_command_that_works(tmp_path, cpu):
    if torch.cuda.is_available():
        pytest.skip("GPUs here: the fix names them (test_a_launch_of_two_on_a_machine_with_one_gpu_...)")
    run = _launch(tmp_path, *cpu, "--num_processes", "2", "--main_process_port", str(free_port()))
    assert run.returncode != 0
    why = "with --cpu" if cpu else "with no GPU here"
    said = (
        f"train.py: error: accelerate launch started {TRAIN} in one process, not 2: {why} "
        "accelerate 1.x runs a single process whatever --num_processes says, and it would train alone, with another "
        "global batch; for 2 CPU processes (gloo) use its multi-process launcher: accelerate launch --multi_gpu "
        f"--num_processes 2 --mixed_precision no {TRAIN} ...; for one process, drop --num_processes\n"
    )
    assert said in run.stderr, run.stderr[-3000:]  # before: the folder's error, from the one process, training alone
    assert "not-there" not in run.stderr.split("Traceback")[0]


ONE_GPU = """import runpy, sys, torch
torch.cuda.device_count = lambda: 1  # one CUDA GPU, as torch counts them, on any machine
sys.argv[:] = sys.argv[1:]  # the recipe, as accelerate would have started it
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize("cpu", [["--cpu"], []], ids=["cpu", "no-flag"])
def test_a_launch_of_two_on_a_machine_with_one_gpu_is_refused_in_words_for_a_gpu_machine(tmp_path, cpu):
    """On one GPU, `accelerate launch --num_processes 2` also starts one process (accelerate's multi-GPU launcher
    only where it counts two GPUs); the refusal said "with --cpu (or with no GPU here)" and gave, for 2 CPU
    processes, a --multi_gpu launch that starts 2 GPU processes on the one GPU.  The GPU is faked where the
    launched process counts torch's; accelerate's launcher, seeing none here, takes the same single-process path."""
    script = tmp_path / "one_gpu.py"
    script.write_text(ONE_GPU)
    launch = [sys.executable, "-m", "accelerate.commands.launch", *cpu, "--num_processes", "2"]
    argv = ["--bimotion", str(tmp_path / "not-there"), "--train_configs", "zho_eld", "--output_dir", str(tmp_path)]
    command = [*launch, "--main_process_port", str(free_port()), str(script), str(TRAIN), *argv]
    run = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    cpu_fix = (
        "for 2 CPU processes (gloo) use its multi-process launcher with the GPU hidden: CUDA_VISIBLE_DEVICES= "
        f"accelerate launch --multi_gpu --num_processes 2 --mixed_precision no {TRAIN} ..."
    )
    if cpu:
        fixes = f"with --cpu accelerate 1.x runs a single process whatever --num_processes says, and it would train alone, with another global batch; {cpu_fix}; for one process, drop --num_processes"
    else:
        fixes = f"with one GPU here accelerate 1.x runs a single process whatever --num_processes says, and it would train alone, with another global batch; 2 GPU processes need 2 GPUs, one each; for one process on this GPU, drop --num_processes; {cpu_fix}"
    said = f"train.py: error: accelerate launch started {TRAIN} in one process, not 2: {fixes}\n"
    assert said in run.stderr, run.stderr[-3000:]


@pytest.mark.parametrize("flags", [["--num-processes=2"], ["--num-processes", "2"]], ids=["equals", "spaced"])
def test_a_count_given_in_accelerates_hyphen_spelling_is_named(tmp_path, flags):
    """accelerate takes --num-processes as --num_processes (its help: "with either hyphens or underscores"); the
    refusal read the count from --num_processes alone, so it said 'not N' and '--num_processes N ...'."""
    run = _launch(tmp_path, "--cpu", *flags, "--main_process_port", str(free_port()))
    assert run.returncode != 0
    assert "in one process, not 2: " in run.stderr and "--multi_gpu --num_processes 2 " in run.stderr, run.stderr


BIN = Path(sys.executable).parent  # where pip put accelerate's console scripts, beside this python
LAUNCHERS = {
    "python-X-importtime": (sys.executable, "-X", "importtime", "-m", "accelerate.commands.launch"),
    "python-W-ignore-uB": (sys.executable, "-W", "ignore", "-uB", "-m", "accelerate.commands.launch"),
    "accelerate": (str(BIN / "accelerate"), "launch"),
    "accelerate-launch": (str(BIN / "accelerate-launch"),),
}


@pytest.mark.parametrize("launcher", LAUNCHERS.values(), ids=LAUNCHERS)
def test_a_launch_of_two_is_refused_however_the_launcher_was_started(tmp_path, launcher):
    """`python3 -X importtime -m accelerate.commands.launch --cpu --num_processes 2 recipes/train.py ...` (the
    interpreter's options before -m) was not taken for accelerate's launcher, whose name was looked for among its
    first 3 arguments alone: the one process trained alone, silently.  Its command line is now read past them, and the
    console scripts (`accelerate launch`, as their shebang runs them) are read alike."""
    if not Path(launcher[0]).is_file():
        pytest.skip(f"no {launcher[0]} here")
    run = _launch(tmp_path, "--cpu", "--num_processes", "2", "--main_process_port", str(free_port()), launcher=launcher)
    assert run.returncode != 0
    assert f"train.py: error: accelerate launch started {TRAIN} in one process, not 2: with --cpu " in run.stderr, (
        run.stderr[-3000:]
    )
    assert "not-there" not in run.stderr.split("Traceback")[0]  # before: the folder's error, from the one process


def test_a_launch_of_two_is_refused_where_the_users_master_port_is_the_one_accelerate_sets(tmp_path):
    """A job script's ``export MASTER_PORT=29500`` (torch's usual port, accelerate's default): the launcher's
    environment held the very port the process got, which was taken for the user's own MASTER_PORT of a launch of
    one, so `accelerate launch --cpu --num_processes 2` went on and trained alone, silently."""
    run = _launch(tmp_path, "--cpu", "--num_processes", "2", MASTER_ADDR="127.0.0.1", MASTER_PORT="29500")
    assert run.returncode != 0
    assert "train.py: error: accelerate launch started " in run.stderr and " in one process, not 2: " in run.stderr
    assert "not-there" not in run.stderr.split("Traceback")[0], run.stderr[-3000:]


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


@pytest.mark.parametrize("command", ["advise", "demo"])
def test_a_bimotion_command_that_trains_refuses_a_launch_that_accelerate_runs_as_one(tmp_path, command):
    """`accelerate launch --cpu --num_processes 2 -m bimotion advise ...` ran one process, training alone, silently:
    the refusal lived in the recipes' parse alone.  advise and demo (the commands that train) now refuse it alike."""
    taken = tmp_path / "taken"  # an --output the demo refuses at once where it goes on: it would run for minutes
    taken.mkdir()
    (taken / "mine.txt").write_text("not the demo's")
    argv = {
        "advise": ["--bimotion", str(tmp_path / "not-there"), "--target", "zho_eld"],
        "demo": ["--output", str(taken)],
    }
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2"]
    command_line = [*launch, "--main_process_port", str(free_port()), "-m", "bimotion", command, *argv[command]]
    run = subprocess.run(command_line, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    said = (
        f"error: accelerate launch started -m bimotion {command} in one process, not 2: with --cpu accelerate 1.x runs "
        "a single process whatever --num_processes says, and it would train alone, with another global batch; for 2 "
        "CPU processes (gloo) use its multi-process launcher: accelerate launch --multi_gpu --num_processes 2 "
        f"--mixed_precision no -m bimotion {command} ...; for one process, drop --num_processes\n"
    )
    if torch.cuda.is_available():
        said = said.split(": with --cpu")[0]  # the CPU command hides the GPUs there
    assert said in run.stderr, run.stderr[-3000:]  # before: the folder's error, from the one process
    own = run.stderr.split("Traceback")[0]  # the launcher's traceback then names the command line
    assert "not-there" not in own and "not written by" not in own, own


@pytest.mark.parametrize("recipe", ["probe", "project"])
def test_a_recipe_that_runs_in_one_process_refuses_a_lone_launch_by_naming_python_not_a_launch_of_two(tmp_path, recipe):
    """`accelerate launch --cpu --num_processes 2 recipes/probe.py ...` (and project.py) was refused with the fix "for 2
    CPU processes (gloo) use ... accelerate launch --multi_gpu --num_processes 2 ... recipes/probe.py ...", a launch
    that recipe refuses in turn ("runs in one process, not 2"): the fix met a second refusal.  A recipe that runs in one
    process now says so at once, with the command that runs it."""
    script = REPO / "recipes" / f"{recipe}.py"
    argv = {
        "probe": [
            "--bimotion",
            str(tmp_path / "not-there"),
            "--train_configs",
            "zho_eld",
            "--output_dir",
            str(tmp_path),
        ],
        "project": ["--grid_dir", str(tmp_path / "not-there"), "--output_dir", str(tmp_path / "o")],
    }
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2"]
    command = [*launch, "--main_process_port", str(free_port()), str(script), *argv[recipe]]
    run = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if line.startswith(f"{recipe}.py: error: ")]
    assert len(set(errors)) == 1, run.stderr[-3000:]  # accelerate's launcher repeats the child's stderr in its own
    assert errors[0].startswith(f"{recipe}.py: error: {script} runs in one process, not 2: "), errors
    assert errors[0].endswith(f"; run it alone: python {script} ..."), errors
    assert "--multi_gpu" not in run.stderr


LAUNCHED = {  # the launcher's command line (python -m accelerate.commands.launch ...), this process's sys.argv
    "script": (["--cpu", "--num_processes", "2", str(TRAIN)], [str(TRAIN), "--bimotion", "D", "--num_processes", "1"]),
    "module": (
        ["--cpu", "--num_processes", "2", "-m", "bimotion"],
        ["/x/bimotion/__main__.py", "advise", "--num_processes", "1"],
    ),
    "no-count": (["--cpu", str(TRAIN)], [str(TRAIN), "--bimotion", "D", "--num_processes", "4"]),
}


@pytest.mark.parametrize("case", LAUNCHED, ids=LAUNCHED)
def test_a_scripts_own_num_processes_is_not_taken_for_the_launchers(monkeypatch, case):
    """The count was read from the launcher's whole command line, its last --num_processes: the script's own flag of
    that name (`accelerate launch --cpu --num_processes 2 train.py ... --num_processes 1`) hid the launch of 2 that
    accelerate ran as one, which trained alone, silently; or, the count in accelerate's config, it was taken for
    the launcher's ('not 4') where the MASTER_PORT was the user's own.  Only the launcher's options count now."""
    from bimotion.training import launched_alone

    launcher, argv = LAUNCHED[case]
    for name in launched_alone.WORLD_SIZE_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACCELERATE_USE_CPU", "True")
    monkeypatch.setenv("MASTER_PORT", "29517")
    monkeypatch.setattr(sys, "argv", argv)
    parent = [sys.executable, "-m", "accelerate.commands.launch", *launcher, *argv[1:]]
    monkeypatch.setattr(launched_alone, "process_arguments", lambda pid: parent)
    monkeypatch.setattr(launched_alone, "process_environment", lambda pid: {"MASTER_PORT": "29517"})  # the user's own
    monkeypatch.setattr(launched_alone, "_cuda_gpus", lambda: 0)
    said = launched_alone.lone_launch()
    if case == "no-count":
        assert said is None  # before: "... in one process, not 4: ..."
    else:  # before: None, the launch of 2 run as one going on
        assert said is not None and said.startswith(f"accelerate launch started {argv[0]} in one process, not 2: "), (
            said
        )


@pytest.mark.parametrize(
    "size,rank", [("WORLD_SIZE", "RANK"), ("PMI_SIZE", "PMI_RANK"), ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK")]
)
def test_a_launchs_other_process_says_nothing_of_what_its_main_process_says_under_mpirun_too(
    monkeypatch, capsys, size, rank
):
    """Under mpirun (accelerate's CPU launch with --mpirun_hostfile) a process's rank is ``PMI_RANK`` or
    ``OMPI_COMM_WORLD_RANK`` until accelerate's state copies it to ``RANK``: read from ``RANK`` alone, every process
    took itself for the main one and said its notes and errors, once per process.  Process 1 now says a note never
    and an error every process meets only once the launcher had time to stop it; process 0 says both at once."""
    import time

    from bimotion.training import parsing
    from bimotion.training.processes import LAUNCH_VARIABLES, note

    for names in LAUNCH_VARIABLES:
        for name in names:
            monkeypatch.delenv(name, raising=False)
    waits = []
    monkeypatch.setattr(time, "sleep", waits.append)
    monkeypatch.setenv(size, "2")
    for index in ("1", "0"):
        monkeypatch.setenv(rank, index)
        note("note: said once")
        parsing.error_once("every process met it")
    assert capsys.readouterr().err.splitlines() == [
        "error: every process met it",  # process 1's, after its wait
        "note: said once",
        "error: every process met it",
    ]
    assert waits == [parsing.MAIN_SAYS_S]  # process 1's alone
