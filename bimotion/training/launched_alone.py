"""A launch that ``accelerate launch`` started as one process where several were asked, refused with the command
that runs them (:func:`lone_launch`), and the refusal of a launch of several by a recipe that runs in one
(:func:`one_process_only`).  Its launcher is read in :mod:`.parent_process`; standard library only (torch lazily,
for the fix's count of GPUs): read before anything heavy loads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .parent_process import flag_value, launcher_options, process_arguments, process_environment, program
from .processes import WORLD_SIZE_NAMES

# accelerate's launcher as its process's command line names it: `accelerate launch`, `python -m accelerate.commands.launch`
ACCELERATE_LAUNCHERS = (
    "accelerate",
    "accelerate-launch",
    "accelerate.commands.launch",
    "accelerate.commands.accelerate_cli",
)


def lone_launch(script: str | None = None, alone: str | None = None) -> str | None:
    """Why this process runs alone where ``accelerate launch`` was asked for several, with the command that runs
    them, or None.  accelerate 1.x starts one process for ``--cpu``, and for ``--num_processes N`` where it sees
    fewer than two GPUs (none, or one) or its config is not a multi-GPU one, whatever ``--num_processes`` says (its
    ``simple_launcher``: several CPU processes only through ``mpirun``, ``--mpirun_hostfile``), setting
    ``ACCELERATE_USE_CPU`` and, for N > 1 (or several machines), ``MASTER_ADDR``/``MASTER_PORT`` but no
    ``WORLD_SIZE``: the process trained alone, N times the work of each of N, and with another global batch.  The
    fix is worded for the case, ``--cpu`` or the CUDA GPUs this process sees (:func:`_lone_fix`).  The launcher's
    ``--num_processes``, its own (before the script: :func:`~.parent_process.launcher_options`; a script's flag of
    that name is the script's), decides where it gives one (a ``MASTER_PORT=29500`` exported as the launcher sets it hides
    nothing); without one (a config's count), a ``MASTER_PORT`` the launcher's own environment held (Linux:
    ``/proc``) is the user's, not a sign of N > 1; a process whose
    parent is not accelerate's launcher (``python`` run with those variables exported, or a parent that cannot be
    read) is not refused; its launcher is read past its interpreter's options (``python3 -X importtime -m
    accelerate.commands.launch``: :func:`~.parent_process.program`).  ``script``: what was launched, as the fix writes it (default: ``sys.argv[0]``; the
    ``bimotion`` commands give ``-m bimotion advise``).  ``alone``: of a recipe that runs in one process, why (its
    refusal is :func:`one_process_only`'s: a launch of N would be refused too)."""
    env = os.environ
    if "ACCELERATE_USE_CPU" not in env or "MASTER_PORT" not in env or any(name in env for name in WORLD_SIZE_NAMES):
        return None
    arguments = process_arguments(os.getppid())
    # what it runs past python's options (`python3 -X importtime -m accelerate.commands.launch`), or a wrapper's name
    ran = {program(arguments), Path(arguments[0]).name if arguments else None}
    if ran.isdisjoint(ACCELERATE_LAUNCHERS):  # a job script's python, say
        return None
    own = launcher_options(arguments, sys.argv[1:])  # not the script's own --num_processes
    count = flag_value(own, ("--num_processes", "--num-processes")) or "N"
    if count.isdigit() and int(count) <= 1:
        return None  # one process asked: a MASTER_PORT set is the user's
    launcher = process_environment(os.getppid())
    if not count.isdigit() and launcher is not None and launcher.get("MASTER_PORT") == env["MASTER_PORT"]:
        return None  # no count on its command line (a config's): the user's MASTER_PORT, as the process inherited it
    if alone is not None:
        return one_process_only(script or sys.argv[0], count, alone)
    cpu = env["ACCELERATE_USE_CPU"].strip().lower() in ("1", "true", "yes", "y", "on", "t")  # str(args.cpu) it sets
    return _lone_fix(script or sys.argv[0], count, cpu=cpu, gpus=_cuda_gpus())


def one_process_only(script: str, count: str, why: str) -> str:
    """The refusal of a launch of ``count`` processes of ``script``, a recipe that runs in one (``why``: what each of
    them would do), with the command that runs it."""
    return f"{script} runs in one process, not {count}: {why}; run it alone: python {script} ..."


def _cuda_gpus() -> int:
    """The CUDA GPUs this process sees, as accelerate's launcher counted them (the same ``CUDA_VISIBLE_DEVICES``)."""
    import torch

    return torch.cuda.device_count()  # 0 where torch has no CUDA


def _lone_fix(script: str, count: str, *, cpu: bool, gpus: int) -> str:
    """The refusal of :func:`lone_launch`: why accelerate ran one process (``--cpu``; no GPU, one GPU, or several
    with no ``--multi_gpu``) and the commands that run ``count`` processes, or one."""
    if cpu:
        why = "with --cpu"
    elif gpus == 0:
        why = "with no GPU here"
    elif gpus == 1:
        why = "with one GPU here"
    else:
        why = "without --multi_gpu (or an accelerate config of distributed_type MULTI_GPU)"
    launcher = f"accelerate launch --multi_gpu --num_processes {count}"
    ways = []
    if not cpu and gpus == 1:
        ways.append(
            f"{count} GPU processes need {count} GPUs, one each; for one process on this GPU, drop --num_processes"
        )
    elif not cpu and gpus > 1:
        ways.append(f"for {count} GPU processes use its multi-process launcher: {launcher} {script} ...")
    hidden = f" with the GPU{'s' if gpus > 1 else ''} hidden: CUDA_VISIBLE_DEVICES= " if gpus else ": "
    ways.append(
        f"for {count} CPU processes (gloo) use its multi-process launcher{hidden}{launcher} --mixed_precision no {script} ..."
    )
    if cpu or gpus != 1:
        ways.append("for one process, drop --num_processes")
    return (
        f"accelerate launch started {script} in one process, not {count}: {why} accelerate 1.x runs a single process "
        f"whatever --num_processes says, and it would train alone, with another global batch; {'; '.join(ways)}"
    )
