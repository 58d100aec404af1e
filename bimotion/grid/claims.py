"""Sharing one grid output folder: which models a worker does (``--shard I/N`` or a job-array
index), a claim per model so that no two workers train it, and the processes of one
``accelerate launch`` agreeing on every step.

A claim is ``claims/<unit>.claim`` in the output folder, holding the worker's host, machine id
(:func:`loaders.files.machine_id`: the host name and pid namespace), pid, start time and a random
token.  It is written whole to a private temporary file and then ``os.link``-ed
to its name: the link fails if the name exists, so exactly one worker wins, on local disks and on
NFS alike, and a reader never sees half a claim.  While it works, the holder touches the file every
``heartbeat_s`` seconds (a daemon thread).  A claim is *stale*, and the next worker that meets it
takes it over (and logs that), when its process is gone on this machine, when it is an earlier run
of this worker's own Slurm job (requeued, maybe on another node: :func:`slurm_job`), or when its
heartbeat is older than ``stale_after_s`` (another machine, a frozen node).  Taking over happens under a short
``<unit>.claim.takeover`` lock (``O_CREAT | O_EXCL``), re-checking staleness there, so two workers
never both take over one claim.  A finished unit needs no claim to be read (the grid's markers say it is
finished), but a worker scoring it again takes its claim, as one training it does (workers.work, workers.rescore_stale);
the tables' worker, meeting a file to predict again as it reads them, leaves it to workers.rescore_stale
(workers.tables_predictions).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from loaders.files import machine_id, process_alive

STALE_AFTER_S = 600.0  # a claim whose heartbeat is older than this is taken over
HEARTBEAT_S = 30.0
PROCESS_GROUP_TIMEOUT_S = 4 * 3600  # processes of one launch wait this long for the main one (scoring, tables)


# ---------------------------------------------------------------------------------------------- shards
def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` (0 <= I < N) -> ``(I, N)``; ValueError naming the fix otherwise."""
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: give I/N, e.g. 0/4 for the first of 4 workers") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"--shard {text}: I/N needs 0 <= I < N")
    return index, count


def shard_from_env(env=None) -> tuple[int, int] | None:
    """A Slurm job array task's shard ``(I, N)``: its place among the array's ``SLURM_ARRAY_TASK_COUNT``
    task ids (``--array=1-4``, or with a step, ``--array=0-6:2``), or None outside an array; ValueError
    naming the fix for an array whose ids are a list (``--array=1,3,4``, or ``1,3,5``: Slurm sets a step only
    for a range), not a range."""
    env = os.environ if env is None else env
    if "SLURM_ARRAY_TASK_ID" not in env or "SLURM_ARRAY_TASK_COUNT" not in env:
        return None
    task, count = int(env["SLURM_ARRAY_TASK_ID"]), int(env["SLURM_ARRAY_TASK_COUNT"])
    first, step = int(env.get("SLURM_ARRAY_TASK_MIN", "0")), int(env.get("SLURM_ARRAY_TASK_STEP") or 1)
    last = int(env.get("SLURM_ARRAY_TASK_MAX", first + (count - 1) * step))
    if last - first != (count - 1) * step or (task - first) % step or not first <= task <= last:
        raise ValueError(
            f"this Slurm job array's {count} task ids ({first} to {last}, task {task}) are not a range (a list, "
            f"--array=1,3,5 or 1,3,4, gives no step), so its tasks cannot be told apart as shards of the grid: "
            f"submit it with --array=0-{count - 1}, or give each task --shard I/{count}"
        )
    return parse_shard(f"{(task - first) // step}/{count}")


def in_shard(position: int, shard: tuple[int, int] | None) -> bool:
    """Whether the plan's ``position``-th unit (model × seed, in plan order) is this shard's."""
    return shard is None or position % shard[1] == shard[0]


# ---------------------------------------------------------------------------------------------- claims
@dataclass
class Claim:
    """A held claim: touched every ``heartbeat_s`` until :meth:`release`."""

    path: Path
    token: str
    heartbeat_s: float = HEARTBEAT_S
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self):
        threading.Thread(target=self._beat, name=f"claim {self.path.name}", daemon=True).start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            if not self.mine():
                return  # taken over (we were frozen past stale_after_s): the other worker owns it now
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def mine(self) -> bool:
        info = read_claim(self.path)
        return info is not None and info.get("token") == self.token

    def release(self) -> None:
        self._stop.set()
        remove_if_ours(self.path, self.token)


def remove_if_ours(path: Path, token: str) -> None:
    """Remove the claim at ``path`` if it is still the one with ``token`` (not taken over since)."""
    info = read_claim(path)
    if info is not None and info.get("token") == token:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def read_claim(path: Path) -> dict | None:
    """A claim's content with its heartbeat age (``age_s``), or None when there is none."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        info["age_s"] = max(0.0, time.time() - path.stat().st_mtime)
    except (FileNotFoundError, ValueError):
        return None
    return info


def slurm_job(env=None) -> dict:
    """This process's Slurm job as a claim records it (none outside Slurm): ``slurm_job`` (its
    ``SLURM_JOB_ID``, an array task's own), ``slurm_name`` (as ``squeue`` shows it: ``1234_5`` for task 5
    of array job 1234) and ``slurm_restart`` (``SLURM_RESTART_COUNT``: how often it was requeued)."""
    env = os.environ if env is None else env
    if "SLURM_JOB_ID" not in env:
        return {}
    array = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
    return {
        "slurm_job": env["SLURM_JOB_ID"],
        "slurm_name": f"{array[0]}_{array[1]}" if all(array) else env["SLURM_JOB_ID"],
        "slurm_restart": int(env.get("SLURM_RESTART_COUNT") or 0),
    }


def describe(info: dict, more: str = "") -> str:
    """Who holds a claim: its host and pid, its Slurm job (where it ran under Slurm), its heartbeat's age
    (and ``more`` beside it: :meth:`Claims.held_by`)."""
    job = f", Slurm job {info['slurm_name']}" if info.get("slurm_name") else ""
    more = f"; {more}" if more else ""
    return f"{info.get('host')} pid {info.get('pid')}{job} (heartbeat {info.get('age_s', 0):.0f} s ago{more})"


def on_this_machine(info: dict) -> bool:
    """Whether a claim is this machine's (host and pid namespace: a container that shares the host name is
    another machine, whose pids mean nothing here); a claim written before machine ids were recorded: its host."""
    return info["machine"] == machine_id() if "machine" in info else info.get("host") == socket.gethostname()


@dataclass
class Claims:
    """The claims of one output folder (``folder`` = ``OUT/claims``)."""

    folder: Path
    stale_after_s: float = STALE_AFTER_S
    heartbeat_s: float = HEARTBEAT_S
    log: object = print

    def path(self, unit: str) -> Path:
        return self.folder / f"{unit}.claim"

    def stale(self, info: dict) -> str | None:
        """Why a claim may be taken over, or None while its worker lives."""
        if on_this_machine(info) and not process_alive(int(info.get("pid", -1))):
            return "its process is gone"
        ours = slurm_job()  # Slurm runs one incarnation of a job at a time: a requeued task's old one is gone
        if ours and info.get("slurm_job") == ours["slurm_job"] and info.get("slurm_restart", 0) < ours["slurm_restart"]:
            return f"its Slurm job {ours['slurm_name']} was requeued: this is its restart {ours['slurm_restart']}"
        if info["age_s"] > self.stale_after_s:
            return f"no heartbeat for {info['age_s']:.0f} s > {self.stale_after_s:.0f} s"
        return None

    def held_by(self, info: dict) -> str:
        """A live claim's holder (:func:`describe`) and when a worker that meets the claim takes it over should
        that holder be gone: at once on this machine (its process is checked); from another machine, not before
        its heartbeat is ``stale_after_s`` old (its process cannot be checked), the time of day (UTC) and the
        seconds until then said: ``node12 pid 4061 (heartbeat 312 s ago; if that worker is gone, a run from
        02:51:07 UTC on takes its claim over, in 288 s, its heartbeat then 600 s old)``."""
        if on_this_machine(info):
            return describe(info, "a run takes its claim over as soon as that process is gone")
        wait_s = max(0.0, self.stale_after_s - info.get("age_s", 0.0))
        at = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait_s))
        return describe(
            info,
            f"if that worker is gone, a run from {at} on takes its claim over, in {wait_s:.0f} s, "
            f"its heartbeat then {self.stale_after_s:.0f} s old",
        )

    def acquire(self, unit: str) -> Claim | dict:
        """This worker's :class:`Claim` on ``unit``, or the live holder's claim (a dict) when another has it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path, token = self.path(unit), uuid.uuid4().hex
        info = {
            "unit": unit, "host": socket.gethostname(), "machine": machine_id(), "pid": os.getpid(),
            "started": time.time(), "token": token, **slurm_job(),
        }  # fmt: skip
        tmp = self.folder / f".{unit}.{token}.tmp"
        tmp.write_text(json.dumps(info), encoding="utf-8")
        try:
            holder = self._link(unit, path, tmp)
            tmp.unlink()
            return Claim(path, token, self.heartbeat_s) if holder is None else holder
        except BaseException:  # a stop (Terminated) or an error once os.link made our claim: no caller can release it
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                remove_if_ours(path, token)
            raise

    def _link(self, unit: str, path: Path, tmp: Path) -> dict | None:
        """Link ``tmp`` to the claim ``path`` (None: done, the claim is ours), or the live holder's claim."""
        for _ in range(5):
            try:
                os.link(tmp, path)  # atomic: fails when the claim exists
                return None
            except FileExistsError:
                holder = read_claim(path)
                if holder is None:
                    continue  # released between our link and our read
                why = self.stale(holder)
                if why is None:
                    return holder
                if self._take_over(path, holder):
                    self.log(f"[grid] recovered the claim on {unit} of {describe(holder)}: {why}")
                else:
                    time.sleep(0.2)  # another worker is taking it over: see who holds it then
        raise RuntimeError(f"{path}: could not claim it after 5 tries; other workers keep taking it")

    def _take_over(self, path: Path, holder: dict) -> bool:
        """Remove ``holder``'s stale claim under the takeover lock, if it is still that claim and stale."""
        lock = path.with_name(path.name + ".takeover")
        with contextlib.suppress(FileNotFoundError):
            if time.time() - lock.stat().st_mtime > 60:  # a worker died while taking over
                lock.unlink()
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False  # another worker is taking it over
        try:
            now = read_claim(path)
            if now is None or now.get("token") != holder.get("token") or self.stale(now) is None:
                return False
            path.unlink()
            return True
        finally:
            os.close(fd)
            lock.unlink()

    def holder(self, unit: str) -> dict | None:
        """The live claim on ``unit`` (None: unclaimed, or its claim is stale)."""
        info = read_claim(self.path(unit))
        return info if info is not None and self.stale(info) is None else None


# ---------------------------------------------------------------------------------------------- processes
@dataclass
class Ranks:
    """The processes of one ``accelerate launch`` (or torchrun): rank 0 decides, writes and scores;
    every process trains each model together (DDP) and predicts a share of its test clips.  One process:
    every method is trivial."""

    rank: int = 0
    world: int = 1

    @classmethod
    def current(cls) -> Ranks:
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return cls()
        from datetime import timedelta

        from accelerate import PartialState

        from ..training.processes import cpu_only_distributed, leave_process_group_at_exit

        leave_process_group_at_exit()
        state = PartialState(cpu=cpu_only_distributed(), timeout=timedelta(seconds=PROCESS_GROUP_TIMEOUT_S))
        return cls(state.process_index, state.num_processes)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def processes(self) -> tuple[int, int]:
        """``(rank, world)``: the ``processes`` of work the launch shares (:func:`bimotion.training.processes.on_every_process`)."""
        return self.rank, self.world

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any process of the launch."""
        if self.world == 1:
            return bool(flag)
        import torch.distributed as dist

        flags = [None] * self.world
        dist.all_gather_object(flags, bool(flag))
        return any(flags)

    def broadcast(self, value):
        """Rank 0's ``value`` on every process (a picklable object)."""
        if self.world == 1:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]
