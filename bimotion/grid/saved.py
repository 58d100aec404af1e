"""A grid's saved test predictions (``predictions/<model>/seed<k>/<shard>.npz``): read back, joined over
shards, and the dtype each was scored in (:data:`SCORED_IN`), which :class:`~bimotion.grid.runner.Grid`
writes and checks; with their SHA-256, each file read once (:func:`prediction_records`); a unit's metrics file
(:func:`read_metrics`), a trained model's marker (:func:`read_marker`; whether one is there, :func:`marker_at`),
a grid's plan (:func:`read_plan`); and the one ``error:`` line of a grid's file
it cannot read (:func:`unreadable`), that is cut short (:func:`damaged_npz`, :func:`read_metrics`,
:func:`read_marker`, :func:`read_plan`) or where a folder stands in its place, read or written (:func:`folder_in_place`, :func:`writing`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

SCORED_IN = "scoring_dtype"  # the key of a saved prediction file recording the dtype it was scored in
PREDICTIONS_SHA256 = "predictions_sha256"  # the key of a metrics file recording the files it was computed from


def load_npz(path: Path) -> dict:
    """Predictions saved by :func:`loaders.files.save_npz`."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def read_predictions(path: Path, model: str, seed: int) -> dict:
    """:func:`load_npz` of one of the saved prediction files of ``model``'s ``seed``, to score it; one it cannot read
    (``chmod 000``) raises :func:`unreadable`'s error naming it and the fix, one cut short :func:`damaged_npz`'s."""
    import zipfile

    stake = f"the grid cannot score {model} seed {seed} from its saved predictions"
    try:
        return load_npz(path)
    except PermissionError as err:
        if err.filename is None:
            raise
        raise unreadable(err, stake) from err
    except (zipfile.BadZipFile, EOFError, ValueError) as err:  # cut short, or no .npz (numpy's pickle refusal)
        raise damaged_npz(path, err, stake) from err


# a unit's prediction file gone (deleted, a link removed): what the rerun does (:func:`damaged_npz`, :func:`file_at`)
PREDICT_AGAIN = (
    "then run the same command again (a grid run in shards: that unit's shard): the grid predicts that model's test "
    "clips again and scores it"
)


def damaged_npz(path: Path, err: Exception, stake: str):
    """The :class:`~loaders.errors.DamagedFileError` of a saved prediction file that is no whole ``.npz`` (``err``:
    numpy's or zipfile's words): the file, ``stake`` and the fix (deleted, the grid predicts it again)."""
    from loaders.errors import DamagedFileError

    return DamagedFileError(
        f"{path}: not a whole prediction file ({err}: cut short by a crash or a copy, or no .npz), so {stake}: "
        f"delete it, {PREDICT_AGAIN}",
        str(err),
    )


# a damaged file of the grid's (:func:`read_metrics`, :func:`read_predictions`): what makes it again
SCORE_AGAIN = (
    "then run the same command again (a grid run in shards: that unit's shard): the grid scores that model and seed "
    "again from its saved predictions"
)


def read_metrics(path: Path, stake: str) -> dict | None:
    """A unit's metrics file (``metrics/<model>/seed<k>.json``, a JSON object); None where it is not there.  One it
    cannot read (``chmod 000``) raises :func:`unreadable`'s error, ``stake`` saying what the grid cannot do without
    it; a folder in its place, or a file that is no JSON object (cut short by a crash, edited by hand), a
    :class:`~loaders.errors.DamagedFileError` naming it, what it holds and the fix (:data:`SCORE_AGAIN`)."""
    from loaders.errors import DamagedFileError

    try:
        metrics = _json_of(
            path, "metrics file", stake, cause="cut short by a crash, or edited by hand",
            folder_fix=f"remove the folder, {SCORE_AGAIN}", fix=f"delete it, {SCORE_AGAIN}",
        )  # fmt: skip
    except FileNotFoundError:
        return None
    if not isinstance(metrics, dict):
        raise DamagedFileError(
            f"{path}: holds JSON {_json_kind(metrics)}, not a metrics file's object (edited by hand?), so {stake}: "
            f"delete it, {SCORE_AGAIN}"
        )
    return metrics


def _json_kind(value) -> str:
    """What a JSON ``value`` is, in words: ``an object``, ``an array``, ``null`` ... (a file's or a key's, by hand)."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    return kinds.get(type(value), "a number")


# a damaged marker of the grid's (:func:`read_marker`): what the rerun needs of it (``{again}``: which command)
MARKER_FIX = (
    "delete it to train that model again, or put a whole copy of it back, then {again} (a grid run in shards: that "
    "unit's shard)"
)
SAME_COMMAND = "run the same command again"  # the grid's own reads of a marker
# a folder in a marker's place (:func:`read_marker`, :func:`marker_at`) (``{again}``: which command)
MARKER_FOLDER_FIX = "remove or rename that folder, then {again}: the grid trains that model again"
# what a marker's keys hold, as its error names one it lacks: the model (every reader), its shards (model_dir_in_grid)
MARKER_KEYS = {"model_dir": ("model folder", str), "shards": ("shards it was trained on", list)}


def read_marker(path: Path, stake: str, *, again: str = SAME_COMMAND, keys: tuple[str, ...] = ("model_dir",)) -> dict:
    """A trained model's marker (``models/<model>/seed<k>/grid-trained.json``, a JSON object naming the model:
    :func:`~bimotion.grid.plan.marked_model` reads it), which is there.  One it cannot read (``chmod 000``) raises
    :func:`unreadable`'s error, ``stake`` saying what the grid cannot do without it, a folder in its place
    :func:`folder_in_place`'s; one that is no JSON object naming a ``model_dir`` (cut short by a copy stopped halfway, edited by hand), a
    :class:`~loaders.errors.DamagedFileError` naming it and the fix (:data:`MARKER_FIX`).  ``again``: the command
    whose rerun trains the model again (default: the grid's own, :data:`SAME_COMMAND`; a tool that only reads the
    grid's models, ``recipes/project.py --grid_dir``: ``run the grid again``); ``keys``: those of
    :data:`MARKER_KEYS` the reader needs, each one it lacks that error too."""
    from loaders.errors import DamagedFileError

    fix = MARKER_FIX.format(again=again)
    marker = _json_of(
        path, "trained-model marker", stake, cause="cut short by a crash or a copy, or edited by hand",
        folder_fix=MARKER_FOLDER_FIX.format(again=again), fix=fix,
    )  # fmt: skip
    for key in keys:
        words, kind = MARKER_KEYS[key]
        if not isinstance(marker, dict) or not isinstance(marker.get(key), kind):
            raise DamagedFileError(f'{path}: names no {words} (no "{key}": edited by hand?), so {stake}: {fix}')
    return marker


def marker_at(path: Path, stake: str, *, again: str = SAME_COMMAND) -> bool:
    """Whether a trained model's marker is at ``path`` (:func:`file_at`), asked before a marker is read: a link to no
    file there is to be put back, or removed to train that model again (``stake``: what the grid cannot do;
    ``again``: as :func:`read_marker`'s)."""
    return file_at(
        path, "trained-model marker", stake, link_fix=f" to train that model again, then {again}",
        folder_fix=MARKER_FOLDER_FIX.format(again=again),
    )  # fmt: skip


def file_at(path: Path, what: str, stake: str, *, link_fix: str, folder_fix: str | None = None) -> bool:
    """Whether the grid's file ``path`` (a ``what``: trained-model marker, prediction file, metrics file) is there (a
    file, or a link to one; False: nothing there), asked never opening it.  Anything else there is one line naming it
    and the fix, not a file to make (again, its link or FIFO replaced by the new file) or to wait for: a folder
    (:func:`folder_in_place`, ``folder_fix``: :data:`REMOVE_FOLDER` by default), a FIFO, socket or device
    (:func:`_special`), a link to no file (put back the file it points to, or remove the link``link_fix``); a folder
    above it that cannot be entered :func:`unreadable`'s (``stake``: what the grid cannot do)."""
    import errno
    import os
    import stat

    from loaders.errors import DamagedFileError

    try:
        mode = path.stat().st_mode
    except PermissionError as err:
        raise unreadable(err, stake) from err
    except OSError as err:
        if not path.is_symlink():
            if isinstance(err, FileNotFoundError):
                return False
            raise
        raise DamagedFileError(
            f"{path}: a link to {os.readlink(path)}, which leads to no file ({err.strerror}), so {stake}: put back "
            f"the file it points to (on a disk not mounted now?), or remove the link{link_fix}",
            str(err),
        ) from err
    if stat.S_ISDIR(mode):
        err = IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        raise folder_in_place(path, f"a {what}", stake, folder_fix or REMOVE_FOLDER, err)
    if not stat.S_ISREG(mode):
        raise _special(path, what, stake)
    return True


# a folder in the place of a grid's file it rewrites whole (:func:`writing`, :func:`read_plan`): what to do of it
REMOVE_FOLDER = "remove or rename that folder, then run the same command again"

# a damaged plan.json (:func:`read_plan`): it records the settings the run there trained its models with
PLAN_FIX = "put a whole copy of it back, or choose another output folder, or delete that one to start over"


def read_plan(path: Path, stake: str) -> dict:
    """A grid output folder's ``plan.json`` (:data:`~bimotion.training.outputs.GRID_PLAN`, the first file a run
    writes: the settings its models were trained with, its models and cells), a JSON object: the one reading of
    it, :func:`~bimotion.grid.settings.check_settings`' and :func:`~bimotion.grid.plan.model_dir_in_grid`'s.  A
    missing one raises ``FileNotFoundError`` (no run there yet: the caller's); one it cannot read
    :func:`unreadable`'s error, ``stake`` saying what the grid cannot do without it, a folder in its place (a
    user's ``mkdir``, a sync tool's) :func:`folder_in_place`'s (:data:`REMOVE_FOLDER`, or a whole copy there), one that is no JSON object
    a :class:`~loaders.errors.DamagedFileError` naming it and the fix (:data:`PLAN_FIX`)."""
    from loaders.errors import DamagedFileError

    plan = _json_of(
        path, "grid plan", stake, cause="cut short by a crash or a copy, or edited by hand", fix=PLAN_FIX,
        folder_fix=f"{REMOVE_FOLDER} (an earlier run's files beside it: put a whole copy of its plan.json there instead)",
    )  # fmt: skip
    if not isinstance(plan, dict):
        raise DamagedFileError(f"{path}: holds no grid plan's object (edited by hand?), so {stake}: {PLAN_FIX}")
    models = plan.get("models", [])
    if not isinstance(models, list):
        raise DamagedFileError(
            f'{path}: its "models" is {_json_kind(models)}, not a list of the models it plans (edited by hand?), so '
            f"{stake}: {PLAN_FIX}"
        )
    for n, model in enumerate(models, 1):  # model_dir_in_grid reads each
        if (
            not isinstance(model, dict)
            or not isinstance(model.get("name"), str)
            or not _shard_list(model.get("shards"))
        ):
            raise DamagedFileError(
                f'{path}: its model {n} is no object naming its "name" and "shards" (edited by hand?), so {stake}: '
                f"{PLAN_FIX}"
            )
    return plan


def _shard_list(shards) -> bool:
    """Whether ``shards`` is a plan's list of shards, each ``[benchmark, corpus, group]`` (strings)."""
    return isinstance(shards, list) and all(
        isinstance(s, list) and len(s) == 3 and all(isinstance(part, str) for part in s) for s in shards
    )


def _json_of(path: Path, what: str, stake: str, *, cause: str, folder_fix: str, fix: str):
    """The JSON of the grid's file ``path`` (a ``what``: metrics file, trained-model marker), read as the grid reads
    its own files: one it cannot read raises :func:`unreadable`'s error, a folder in its place
    :func:`folder_in_place`'s (``folder_fix``), a FIFO, socket or device there one line naming it (never opened, so
    never a hang), one that is no JSON a :class:`~loaders.errors.DamagedFileError`
    naming it, ``cause`` (how it came to be so) and ``fix``; ``stake``: what the grid cannot do without it.  A
    missing file raises ``FileNotFoundError``: whether that is an error is the caller's."""
    import json
    import stat

    from loaders.errors import DamagedFileError

    try:
        mode = path.stat().st_mode  # never opens it: a FIFO opened for reading waits for a writer, for ever
    except OSError:
        mode = None  # not there, or a folder above it cannot be entered: the reading's error, below
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise _special(path, what, stake)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except PermissionError as err:
        raise unreadable(err, stake) from err
    except IsADirectoryError as err:
        raise folder_in_place(path, f"a {what}", stake, folder_fix, err) from err
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise DamagedFileError(f"{path}: not a whole {what} ({err}: {cause}), so {stake}: {fix}", str(err)) from err


def _special(path: Path, what: str, stake: str):
    """The :class:`~loaders.errors.DamagedFileError` of a FIFO, socket or device where the grid reads its file ``path``
    (a ``what``), never opened (a FIFO opened for reading waits for a writer, for ever): ``stake`` and the fix."""
    from loaders.errors import DamagedFileError

    return DamagedFileError(
        f"{path}: a FIFO, socket or device, not a {what} (not opened), so {stake}: remove it, then run the same "
        "command again"
    )


def folder_in_place(path: Path, what: str, stake: str, fix: str, err: OSError):
    """The :class:`~loaders.errors.DamagedFileError` (one ``error:`` line at the command line) of a folder standing
    where the grid reads or writes its file ``path`` (a user's ``mkdir``, a half-copied output): the path, ``what``
    file it should be, ``stake`` (what the grid cannot do for it) and ``fix``; ``err``, the system's words."""
    from loaders.errors import DamagedFileError

    return DamagedFileError(f"{path}: a folder, not {what}, so {stake}: {fix}", str(err))


@contextlib.contextmanager
def writing(path: Path, what: str, stake: str) -> Iterator[None]:
    """Around a write of the grid's file ``path`` (:func:`loaders.files.save_npz`, :func:`~loaders.files.write_text_atomic`,
    which leave nothing behind when it fails): a folder standing in its place, which the write cannot replace, is
    :func:`folder_in_place`'s error naming it, ``what`` file it should be, ``stake`` and the fix (remove or rename
    that folder), not an IsADirectoryError traceback."""
    try:
        yield
    except IsADirectoryError as err:
        if not path.is_dir():
            raise
        raise folder_in_place(path, what, stake, REMOVE_FOLDER, err) from err


def unreadable(err: PermissionError, stake: str):
    """The :class:`~loaders.errors.DamagedFileError` (one ``error:`` line at the command line) of a grid's file it
    cannot read (``err``, ``chmod 000``): the file, ``stake`` (what the grid cannot do without it) and the fix; where
    a folder above it cannot be entered (``chmod 000`` on ``seed0/``: the file's own mode is not the cause), that
    folder and its fix (:func:`loaders.unlisted.cannot_list`, :data:`~loaders.unlisted.MAKE_LISTABLE`)."""
    import os

    from loaders.errors import DamagedFileError
    from loaders.unlisted import MAKE_LISTABLE, MAKE_READABLE_FILE, blocked_at, cannot_list

    if err.filename is not None and blocked_at(err) != os.fsdecode(err.filename):
        return DamagedFileError(
            f"{cannot_list(err)}, so {err.filename} cannot be read and {stake}: {MAKE_LISTABLE}, "
            "then run the same command again",
            str(err),
        )
    return DamagedFileError(
        f"{err.filename}: cannot be read ({err.strerror or err}), so {stake}: {MAKE_READABLE_FILE}, "
        "then run the same command again",
        str(err),
    )


def concat_predictions(parts: list[dict]) -> dict:
    """Several shards' predictions as one, in order (the arrays every part has: a shard predicted
    by an older version has no ``speaker``, and the bootstrap then resamples clips)."""
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if all(k in p for p in parts)}


def one_dtype(dtypes: list[str | None]) -> str | None:
    """The dtype files recording ``dtypes`` were scored in (:data:`SCORED_IN`): the one they all record; None where
    any records none (a grid's before the record) or they record different ones."""
    recorded = set(dtypes)
    return recorded.pop() if len(recorded) == 1 else None


def _recorded_dtype(data) -> str | None:
    return str(data[SCORED_IN]) if SCORED_IN in data.files else None


def prediction_records(paths: list[Path], stake: str = "the grid cannot check them") -> list[tuple[str | None, str]]:
    """Each saved prediction file's dtype it records it was scored in (:data:`SCORED_IN`; None: none) and its
    SHA-256, the file opened once (:func:`loaders.files.sha256_of_open`, then its record from the same file):
    what :func:`~bimotion.grid.workers.stale_metrics` compares with the unit's metrics file.  One cut short, or no
    ``.npz``: :func:`damaged_npz`'s error, ``stake`` saying what the grid cannot do without it."""
    import zipfile

    from loaders.files import sha256_of_open

    records = []
    for path in paths:
        with open(path, "rb") as f:
            digest = sha256_of_open(f)
            f.seek(0)
            try:
                with np.load(f) as data:
                    records.append((_recorded_dtype(data), digest))
            except (zipfile.BadZipFile, EOFError, ValueError) as err:  # as read_predictions
                raise damaged_npz(path, err, stake) from err
    return records


def metrics_records(paths: list[Path]) -> dict:
    """What a metrics file records of the prediction files ``paths`` it is computed from, each opened once
    (:func:`prediction_records`): the dtype they were scored in (:data:`SCORED_IN`, :func:`one_dtype`) and each
    file's SHA-256 by its name (:data:`PREDICTIONS_SHA256`, :func:`sha256_record`), as the check compares them."""
    records = prediction_records(paths)
    return {
        SCORED_IN: one_dtype([dtype for dtype, _ in records]),
        PREDICTIONS_SHA256: sha256_record(paths, [digest for _, digest in records]),
    }


def sha256_record(paths: list[Path], digests: list[str]) -> dict[str, str]:
    """The record of :data:`PREDICTIONS_SHA256` of the files ``paths`` whose SHA-256 are ``digests``: each by its
    name, as a metrics file records it (:func:`metrics_records`) and its check compares it (:func:`prediction_records`)."""
    return {path.name: digest for path, digest in zip(paths, digests, strict=True)}
