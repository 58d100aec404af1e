"""A grid output folder checked before a run writes into it (:meth:`~bimotion.grid.runner.Grid.run`, ``bimotion
advise``): an earlier run's settings, which its finished models were trained with, compared with this run's
(:func:`check_settings`, in words :func:`settings_diff`), and a folder of files no run wrote refused
(:func:`check_foreign_files`), each a :class:`SettingsMismatch`."""

from __future__ import annotations

import json
from pathlib import Path

from loaders.files import write_text_atomic

from ..training.outputs import ADVICE, GRID_PLAN, IDENTITY_FILE
from .config import MARKER
from .saved import read_plan, writing

LAUNCH = "processes_training_each_model"  # grid_settings' record of a launch's processes (none for one process)


class SettingsMismatch(ValueError):
    """An output folder holds a grid run with other data, model or training arguments."""


def grid_settings(config, sources: dict, processes: int = 1) -> dict:
    """What every model of a grid output folder must share (:attr:`~bimotion.grid.runner.Grid.settings`): data,
    base model, training arguments (no paths, so a folder moved together with its data keeps its models), and the
    ``processes`` of a launch that train each model together: each takes ``per_device_train_batch_size`` clips a
    step, so a worker of another count trains with another batch (recorded for a launch only: a folder of one keeps
    its plan)."""
    from ..probe.run import backend_settings
    from ..training.identity import dataset_identity

    launch = {LAUNCH: processes} if processes > 1 else {}
    return {
        "data": {k: dataset_identity(v) for k, v in sources.items() if k != "cache_dir"},  # by content
        "base_model": config.model_name_or_path if config.tiny_model is None else {"tiny": config.tiny_model},
        "training": {**config.training, **backend_settings(config), **launch},
    }


def settings_diff(before: dict, now: dict) -> str:
    """What differs between two :attr:`Grid.settings`, in words: the datasets by name (their digests
    say nothing to a reader), the other settings by value."""
    out = []
    data_before, data_now = before.get("data", {}), now.get("data", {})
    for name in dict.fromkeys([*data_before, *data_now]):
        if name not in data_before or name not in data_now:
            out.append(f"--{name} {'given' if name in data_now else 'not given'} now")
        elif data_before[name] != data_now[name]:
            out.append(f"the {name} dataset is another one (its prepare.json differs)")
    out += _differing({k: v for k, v in before.items() if k != "data"}, {k: v for k, v in now.items() if k != "data"})
    return "; ".join(out)


def _differing(before: dict, now: dict, path: str = "") -> list[str]:
    """``"training.lr: 1 there, 2 now"`` for each setting that differs, nested ones by their dotted path (a
    setting added since, such as a new head argument, is named alone, not in a dump of every setting)."""
    out = []
    for key in sorted(set(before) | set(now)):
        was, is_ = before.get(key, "unset"), now.get(key, "unset")
        if isinstance(was, dict) and isinstance(is_, dict):
            out += _differing(was, is_, f"{path}{key}.")
        elif was != is_:
            out.append(f"{path}{key}: {was} there, {is_} now")
    return out


# the command a worker runs (Grid.runs_as), as a launch-count refusal words its fix: (one process, a launch of N);
# --multi_gpu: without it accelerate starts one process where it counts fewer than 2 GPUs (refused: lone_launch)
RUN_AS = {
    "grid": ("python recipes/grid.py ...", "accelerate launch --multi_gpu --num_processes {n} recipes/grid.py ..."),
    "advise": ("bimotion advise ...", "accelerate launch --multi_gpu --num_processes {n} -m bimotion advise ..."),
}


def check_settings(out: Path, settings: dict, runs_as: str = "grid", *, launch_counts: bool = True) -> None:
    """Refuse to mix models trained on other data or with other arguments (``settings``, from
    :attr:`~bimotion.grid.runner.Grid.settings`) into the grid folder ``out``, and a run into a folder
    that holds files of its own, not an earlier run's (its ``plan.json``, the first thing a run writes).
    ``runs_as``: the command of this run (:data:`RUN_AS`), which a refusal's fix names.  ``launch_counts``: False
    for a trainer of the main process alone (a probe), whose folder an earlier bimotion recorded a launch's count
    in: that count is not compared."""
    try:  # a folder in its place (a user's mkdir, a sync tool's), damaged, unreadable: one error line, the fix
        plan = read_plan(
            out / GRID_PLAN, "the grid cannot tell whether the models there were trained with this run's settings"
        )
    except (FileNotFoundError, NotADirectoryError):  # no earlier run (or ``out`` a file: the write's error)
        check_foreign_files(out)
        return
    before = plan.get("settings")
    now = json.loads(json.dumps(settings))
    if before is not None and not launch_counts:
        before, now = _without_launch(before), _without_launch(now)
    if before is not None and before != now:
        if _without_launch(before) == _without_launch(now):  # only the launch differs: the fix is the launch
            raise SettingsMismatch(_other_launch(out, before, now, runs_as))
        raise SettingsMismatch(
            f"{out} holds a grid run with other settings ({settings_diff(before, now)}): its finished "
            "models would be reused. Choose another output folder, or delete that one to start over."
        )


def write_plan(out: Path, settings: dict, plan: dict, runs_as: str = "grid", *, launch_counts: bool = True) -> None:
    """``out``'s ``plan.json``: ``settings`` (:func:`check_settings` passed them) and ``plan``.  A new one is created
    whole and exclusively: of two workers with other settings that both found none, the second is refused as a
    mismatching plan is (:class:`SettingsMismatch`), not its plan written over the first's; one there (an earlier
    run's, or a worker's since) is checked again and replaced only where its settings are these."""
    path, stake = out / GRID_PLAN, "the grid cannot record the settings its models are trained with"
    text = json.dumps({"settings": settings, **plan}, indent=2)
    with writing(path, "a grid plan", stake):  # a folder there: folder_in_place's line
        try:
            write_text_atomic(path, text, exclusive=True)
        except FileExistsError as err:
            if path.is_dir() and not path.is_symlink():  # a folder made there since check_settings looked
                raise IsADirectoryError(err.errno, "a folder in the plan's place", str(path)) from err
            check_settings(
                out, settings, runs_as, launch_counts=launch_counts
            )  # another worker's plan, written since this one's check
            write_text_atomic(path, text)


def _without_launch(settings: dict) -> dict:
    return {**settings, "training": {k: v for k, v in settings.get("training", {}).items() if k != LAUNCH}}


def _other_launch(out: Path, before: dict, now: dict, runs_as: str) -> str:
    """The refusal of a worker whose launch has another number of processes than the one that trained the models
    of ``out``: the fix is running it as they were (their batch), not deleting them; and where a launch trained
    them before bimotion recorded its count, how to record it."""
    was, is_ = (s.get("training", {}).get(LAUNCH) for s in (before, now))
    trained, this = (f"a launch of {n} processes" if n else "one process" for n in (was, is_))
    one, launch = RUN_AS[runs_as]
    run_as = launch.format(n=was) if was else one
    recorded = (
        ""
        if was
        else f"; if a launch of N processes trained them (an earlier bimotion recorded no count), add "
        f'"{LAUNCH}": N to settings.training in its {GRID_PLAN}'
    )
    return (
        f"{out} holds models each trained by {trained}, and this worker is {this} ({settings_diff(before, now)}): "
        "each process trains per_device_train_batch_size clips a step, so its models would mix two batches in one "
        f"table. Run every worker of this folder as its models were trained ({run_as}){recorded}."
    )


def check_foreign_files(out: Path, shown: int = 3) -> None:
    """Refuse ``out`` when it holds visible files or folders but no earlier run: advise -o CORPUS wrote
    models/, metrics/ and a datasets cache (Arrow files) into a user's raw corpus folder, beside its
    clips and metadata.csv.  Hidden entries (``.DS_Store``, a process's temporary file) do not count,
    nor ``datasets-cache``: another worker of a shared folder fills it (checking its data) before it
    writes ``plan.json``; nor ``plan.json``, a run's own, which the main process of a launch (or another
    worker) may write between :func:`check_settings`' look for it and this one (a launch failed so)."""
    ours = {"datasets-cache", GRID_PLAN}
    try:
        entries = sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and p.name not in ours)
    except (FileNotFoundError, NotADirectoryError):
        return
    if entries:
        named = ", ".join(entries[:shown]) + (f" and {len(entries) - shown} more" if len(entries) > shown else "")
        if _an_earlier_runs(out, entries):  # its plan.json deleted (as a fix was followed), or not copied with them
            raise SettingsMismatch(
                f"{out} holds an earlier grid run's files ({named}) but not its {GRID_PLAN}, which records the "
                "settings its models were trained with, so they cannot be checked against this run's: put a whole "
                f"copy of its {GRID_PLAN} back, or choose a new or empty output folder, or delete that one to start over."
            )
        raise SettingsMismatch(
            f"{out} holds files that no grid or advise run wrote ({named}): its models/, metrics/ and tables/ "
            "would be mixed with them, and a corpus folder is never written to. Choose a new or empty output folder."
        )


# what a grid or advise run writes beside its plan.json (runner.Grid's folders, the tables, the projections' figures,
# advise's report): a folder of these alone, with a trained model's marker, a metrics file or claims, is an earlier run's
RUNS_OWN = frozenset(
    {"base-model", "claims", "figures", "metrics", "models", "predictions", "tables", ADVICE, "advice.md"}
)


def _an_earlier_runs(out: Path, entries: list[str]) -> bool:
    """Whether ``entries`` of ``out`` (its visible ones, ``plan.json`` aside) are an earlier grid or advise run's:
    each one such a run writes (:data:`RUNS_OWN`), and a trained model's marker, a metrics file or its claims there."""
    if not set(entries) <= RUNS_OWN:
        return False
    made = (f"models/*/seed*/{MARKER}", f"models/*/seed*/{IDENTITY_FILE}", "metrics/*/seed*.json", "claims/*")
    return any(next(out.glob(pattern), None) is not None for pattern in made)
