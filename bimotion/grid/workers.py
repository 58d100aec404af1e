"""A grid's work split across workers and processes (:mod:`.claims`): each unit (one model × one
seed, in plan order) is done by the one worker whose shard it is and who claims it; the processes
of one ``accelerate launch`` train and predict it together, rank 0 scores it.  The tables are written once
every unit is finished, by the worker that sees that first (under the ``tables`` claim), or, where a
unit it would score again is held by a live worker, by that one once done with it (:func:`report_once`);
where ``bimotion demo`` or ``advise`` wrote none, :func:`no_tables` is the line it ends with (``recipes/grid.py``
exits 0 then, its log's last line saying who writes them)."""

from __future__ import annotations

from loaders.tables import counted

from ..signals import stopped_during
from ..training.processes import on_main_process_only
from .claims import Claim, describe, in_shard, read_claim
from .config import MARKER
from .plan import PlannedModel
from .saved import (
    PREDICT_AGAIN,
    PREDICTIONS_SHA256,
    SCORE_AGAIN,
    SCORED_IN,
    concat_predictions,
    file_at,
    marker_at,
    one_dtype,
    prediction_records,
    read_metrics,
    sha256_record,
    unreadable,
)
from .stops import stop_if_asked, stop_if_lost_in_launch

SHARE_DONE = "this worker's share is done"  # the grid's line where units are left to other workers (runner)


def unit_name(model: PlannedModel, seed: int) -> str:
    """A unit's claim name: ``<model slug>.seed<k>``."""
    return f"{model.slug}.seed{seed}"


def unit_words(grid, model: PlannedModel, seed: int) -> str:
    """A unit as the grid's closing line names it: ``model eng_eld seed 0``, and its shard (``, shard 1/4``), whichever
    worker trains or scores it (the tables' worker scores another shard's unit again: :func:`rescore_stale`)."""
    if not grid.shard:
        return f"model {model.name} seed {seed}"
    return f"model {model.name} seed {seed}, shard {units(grid).index((model, seed)) % grid.shard[1]}/{grid.shard[1]}"


def units(grid) -> list[tuple[PlannedModel, int]]:
    return [(model, seed) for model in grid.plan.models for seed in grid.config.seeds]


def finished(grid, model: PlannedModel, seed: int) -> bool:
    """Trained (its marker), predicted on every test shard and scored (its metrics file, written last,
    which the tables read): only rescoring is left, which is cheap.  A unit whose predictions are
    saved but whose metrics are not yet is its worker's still, so the tables wait for it."""
    return all(saved_files(grid, model, seed))


def saved_files(grid, model: PlannedModel, seed: int) -> tuple[bool, bool]:
    """Whether the unit is trained (its marker) and whether it is scored (every prediction file and its metrics
    file), each of its files looked at, never opened (:func:`.saved.file_at`).  One that is no file (a folder, a
    FIFO, a link to no file) or in a folder that cannot be entered: one line naming it and the fix, not a unit to
    train or score again (a link or FIFO replaced by the new file) or to say is not started or not scored."""
    trained = marker_at(
        grid.model_dir(model, seed) / MARKER, f"the grid cannot tell whether {model.name} seed {seed} is trained"
    )
    stake = f"the grid cannot tell whether {model.name} seed {seed} is scored"
    predicted = [
        file_at(grid.prediction_file(model, seed, s), "prediction file", stake, link_fix=f", {PREDICT_AGAIN}")
        for s in grid.plan.test_shards
    ]
    scored = file_at(grid.metrics_file(model, seed), "metrics file", stake, link_fix=f", {SCORE_AGAIN}")
    return trained, all(predicted) and scored


def work(grid) -> list[str]:
    """Train and score every unit of this worker's shard that no live worker has claimed; returns
    the units still unfinished afterwards, each with why (empty: the grid is complete)."""
    ranks, everything = grid.ranks, units(grid)
    mine = [(i, m, s) for i, (m, s) in enumerate(everything) if in_shard(i, grid.shard)]
    if ranks.is_main:
        share = f", shard {grid.shard[0]}/{grid.shard[1]}: {len(mine)} of them" if grid.shard else ""
        world = f", {ranks.world} processes training each model together" if ranks.world > 1 else ""
        # bimotion demo reads "N model(s) x S seed(s)" for its bar (commands/demo.py: _advance)
        counts = ", ".join(
            [f"{counted(len(grid.plan.models), 'model')} x {counted(len(grid.config.seeds), 'seed')}",
             counted(len(grid.plan.tests), "test set")]
        )  # fmt: skip
        grid.log(f"[grid] {counts}{share}{world}")
    for done, (_, model, seed) in enumerate(mine, 1):
        # a stop a finalizer swallowed, taken here with what it came before (the closing line's "no model was in
        # progress"), not by the wait below, which knows nothing of units
        stop_if_lost_in_launch(grid)
        # rank 0 looks; a file of the unit that is no file (saved_files) stops every process with its error, said once
        if on_main_process_only(lambda m=model, s=seed: finished(grid, m, s), *ranks.processes):
            stop_if_asked(grid, came="the grid looked at a finished model")  # a SIGTERM held while rank 0 looked
        else:
            stop_if_asked(grid)  # before training anything new
        # a finished unit is rescored from its saved predictions (predicted again in another dtype): under its
        # claim too, as the tables' worker scores one again (rescore_stale), so no two write its files at once
        claim = grid.claims.acquire(unit_name(model, seed)) if ranks.is_main else None
        try:  # from its acquiring: a stop (or a failed collective) in the broadcast must not leave its claim behind
            holder = ranks.broadcast(None if isinstance(claim, Claim) else claim)
            if holder is not None:
                if ranks.is_main:
                    grid.log(
                        f"[grid] {done}/{len(mine)} {model.name} seed {seed}: claimed by {grid.claims.held_by(holder)}, skipped"
                    )
                continue
            stop_if_lost_in_launch(grid)  # every process of a launch at this unit's start, or none
            with stopped_during(unit_words(grid, model, seed), grid.model_dir(model, seed)):  # the closing line
                _score(grid, model, seed, f"{done}/{len(mine)}")
        finally:
            if isinstance(claim, Claim):  # held by this worker (else the holder's record, or None: not rank 0)
                claim.release()
    stop_if_lost_in_launch(grid, "the end of its units, before the tables", "the tables")  # as at a unit's start
    return on_main_process_only(lambda: unfinished(grid), *ranks.processes)


def _score(grid, model: PlannedModel, seed: int, progress: str) -> None:
    """Train (every process of a launch) or reuse, predict (each process a share), then score (rank 0) one unit."""
    metrics = grid.score_model(model, seed, together=True)
    grid.ranks.barrier()
    if metrics is not None:
        line = scored_line(metrics["tests"], grid.config.metric)
        # bimotion demo reads "k/N <model> seed S scored:" for its bar or its lines (commands/demo.py)
        grid.log(f"[grid] {progress} {model.name} seed {seed} scored: {line}")


def scored_line(tests: dict[str, dict], metric: str = "weighted_f1") -> str:
    """A model's test scores as the grid's log says them: ``metric`` (the grid's, the tables' numbers)
    in % beside each chance level, a score at or below it marked ``†`` as in the tables (no better than
    ignoring the audio)."""
    from bimotion.training.metrics import DAGGER
    from bimotion.training.report import at_or_below

    chance = "chance" if metric == "weighted_f1" else "chance_argmax"  # :func:`.scoring.entry_of_test`'s
    marked = {t: DAGGER if at_or_below(v[metric], v[chance]) else "" for t, v in tests.items()}
    scores = ", ".join(f"{t} {100 * v[metric]:.1f}{marked[t]} (chance {100 * v[chance]:.1f})" for t, v in tests.items())
    words = "weighted F1 %" if metric == "weighted_f1" else "weighted F1 (arg-max) %"
    return f"{words} {scores}" + (f" ({DAGGER} at or below chance)" if any(marked.values()) else "")


def unfinished(grid) -> list[str]:
    """Every unfinished unit, with who holds it, whose worker is gone, or whose shard it is."""
    out = []
    for i, (model, seed) in enumerate(units(grid)):
        trained, scored = saved_files(grid, model, seed)
        if trained and scored:  # finished
            continue
        claim = read_claim(grid.claims.path(unit_name(model, seed)))
        gone = grid.claims.stale(claim) if claim is not None else None
        shard = f"shard {i % grid.shard[1]}/{grid.shard[1]}'s, " if grid.shard and not in_shard(i, grid.shard) else ""
        if claim is not None and gone is None:
            why = f"claimed by {grid.claims.held_by(claim)}"
        elif claim is not None:
            why = f"{shard}its worker {describe(claim)} is gone: {gone}"
        else:
            why = shard + ("trained, not scored" if trained else "not started")
        out.append(f"{model.name} seed {seed} ({why})")
    return out


def metrics_provenance(grid) -> dict[tuple[str, int], dict | None]:
    """(model, seed) -> its metrics file's ``provenance``, whichever worker wrote it (None: a file of an
    older version without one, or not there): what the tables say produced them
    (:meth:`~bimotion.grid.report.GridResult.produced_by`).  One it cannot read (``chmod 000``) is one ``error:``
    line naming it and the fix (:func:`.saved.read_metrics`), not taken for one without a record."""
    out = {}
    for model, seed in units(grid):
        stake = f"the tables cannot say what produced the scores of {model.name} seed {seed}"
        try:
            metrics = read_metrics(grid.metrics_file(model, seed), stake)
        except (OSError, ValueError):
            metrics = None
        out[(model.name, seed)] = metrics.get("provenance") if metrics is not None else None
    return out


def why_no_tables(said: list[str]) -> str:
    """Why the grid wrote no tables: its last ``[grid]`` line of ``said`` (the lines it logged), without the prefix."""
    return next((m.removeprefix("[grid] ") for m in reversed(said) if m.startswith("[grid] ")), "the grid said nothing")


def no_tables(result, said: list[str], log_path=None):
    """``result``; where it is None (the grid wrote no tables: :func:`report_once`, or this worker's share is done,
    :data:`SHARE_DONE`), first one line on stderr, as ``bimotion demo`` and ``bimotion advise`` end then (not
    ``recipes/grid.py``: it exits 0, its log's last line saying who writes them): the tables were not written, and why (:func:`why_no_tables`; ``log_path``: where the grid's log is,
    when not on the terminal)."""
    import sys

    if result is None:
        where = f" (the grid's log: {log_path})" if log_path else ""
        print(f"error: the tables were not written: {why_no_tables(said)}{where}", file=sys.stderr)
    return result


class ToScoreAgain(Exception):
    """A unit whose file the tables must predict again (:func:`tables_predictions`): ``unit``, its claim's name,
    and ``why``, naming the file (and the holder, where a live worker holds it).  :func:`report_once` then looks at
    the units again: held, the holder writes the tables; free, :func:`rescore_stale` scores it again under its claim
    (predictions, metrics file and confusion figure), as it does any unit whose files changed since it was scored."""

    def __init__(self, unit: str, why: str) -> None:
        super().__init__(why)
        self.unit, self.why = unit, why

    def __reduce__(self):  # pickled with its fields (a worker process raising it), not its message alone
        return type(self), (self.unit, self.why), self.__dict__


def tables_predictions(grid, model: PlannedModel, seed: int, shards: list) -> dict:
    """One unit's predictions on ``shards`` for the tables (:func:`~bimotion.grid.cells.collect`), read back
    with no claim, as a finished unit is.  Where a file must be predicted again (another worker predicted it again
    in its dtype after :func:`rescore_stale` checked it, or it is gone), the tables cannot be written from it
    beside the unit's metrics file: :class:`ToScoreAgain`, naming the file, and the holder where a live worker
    holds the unit, whether or not one does (:func:`rescore_stale`, which predicts it again, scores it again too)."""
    saved = [grid.saved_predictions(model, seed, shard, say=False) for shard in shards]
    if all(pred is not None for pred in saved):
        return concat_predictions(saved)
    unit = unit_name(model, seed)
    path = next(grid.prediction_file(model, seed, s) for s, pred in zip(shards, saved, strict=True) if pred is None)
    holder = grid.claims.holder(unit)
    held = f"; claimed by {grid.claims.held_by(holder)}" if holder is not None else ""
    raise ToScoreAgain(unit, f"{model.name} seed {seed} ({path} is to be predicted again{held})")


def report_once(grid):
    """Rank 0 of the worker that gets the ``tables`` claim writes the tables and figures; None when another
    live worker holds it (it is writing the same tables), or when a unit to score again is held by a live
    worker: that worker writes them once it is done.  That handoff: the claim is let go before the held units
    are looked at again, so their holder, done with them (it lets its unit go before it asks for the tables),
    finds it free; or it had asked while this worker held it, then left, and its units are free now: this
    worker takes the claim again and writes them.  Either way at least one of the two writes them, never two at once (the
    ``tables`` claim); both may, one after the other, the later write of the newer state.  A unit to predict
    again that :func:`rescore_stale` found up to date (the two checks at odds) is a RuntimeError, not a loop."""
    again_before = None
    while True:
        claim = grid.claims.acquire("tables")
        if not isinstance(claim, Claim):
            grid.log(f"[grid] every model is finished; {grid.claims.held_by(claim)} is writing the tables")
            return None
        try:
            left = rescore_stale(grid)
            if not left:
                try:
                    return grid.report()
                except ToScoreAgain as again:  # a file to predict again: its holder's, or rescore_stale's next
                    if again.unit == again_before and grid.claims.holder(again.unit) is None:
                        raise RuntimeError(
                            f"the grid's check before the tables found {again.why.split(' (')[0]} up to date, but a "
                            f"file of it is to be predicted again: {again.why}. This is a bug of bimotion's; please "
                            "report it with this line"
                        ) from again
                    again_before, left = again.unit, {again.unit: again.why}
        finally:
            claim.release()
        if any(grid.claims.holder(unit) is not None for unit in left):
            who = (
                "The worker holding it writes them once it is done; should it stop first"
                if len(left) == 1
                else "The last of the workers holding them to be done writes them; should one stop first"
            )
            grid.log(
                f"[grid] every model is finished; the tables are not written: {len(left)} left to score again: "
                f"{'; '.join(left.values())}. {who}, rerun this command once its claim is taken over: it writes them."
            )
            return None


def tables_on_main(grid):
    """:func:`report_once` on rank 0 (its result; None on the others), every other process of a launch waiting for
    it (:func:`~bimotion.training.processes.on_main_process_only`): an error there (a unit's file the check before
    the tables cannot read, :func:`stale_metrics`) stops each process with it, said once, where the others, waiting
    at a barrier, ended in a traceback of their own (the connection to rank 0 closed)."""
    written = []
    on_main_process_only(lambda: written.append(report_once(grid)), *grid.ranks.processes)
    return written[0] if written else None


def stale_metrics(grid, model: PlannedModel, seed: int) -> str | None:
    """Why a finished unit's metrics file (and confusion figure) would describe other predictions than the
    tables read, or None: its prediction files record another dtype than this machine scores in
    (:meth:`~bimotion.grid.runner.Grid.scoring_dtype`; the tables predict them again), as where another
    worker scored it on a CPU and this one writes the tables on a GPU; or its metrics file was computed from
    other prediction files than those saved (a run stopped between predicting it again and writing its
    metrics): their SHA-256 it records (:data:`~.saved.PREDICTIONS_SHA256`) differ, or the dtype it records;
    a metrics file of a version before those records, older than any of its prediction files.  A file of the
    unit it cannot read (``chmod 000``) raises :class:`~loaders.errors.DamagedFileError` naming it and the fix."""
    files = [grid.prediction_file(model, seed, s) for s in grid.plan.test_shards]
    try:
        return _stale_metrics(grid, model, seed, files)
    except FileNotFoundError as err:  # removed after finished() saw it: scoring predicts a missing file again
        if str(err.filename) not in {str(f) for f in files}:  # the marker, the model's scores.json: not ours to mend
            raise
        return f"{err.filename} is gone (removed since the unit was finished, by another worker or by hand)"
    except PermissionError as err:  # chmod 000: one line naming the file and the fix (the CLI's), no traceback
        if err.filename is None:
            raise
        raise unreadable(  # its prediction files, its metrics file, its marker
            err,
            f"the grid cannot check that the metrics file of {model.name} seed {seed} describes its saved predictions "
            "before writing the tables",
        ) from err


def _stale_metrics(grid, model: PlannedModel, seed: int, files: list) -> str | None:
    """:func:`stale_metrics` of the unit's prediction ``files``, each read once (a missing one raises)."""
    import json

    now = grid.scoring_dtype(model, seed)
    stake = f"the grid cannot check that the metrics file of {model.name} seed {seed} describes its saved predictions"
    records = dict(zip(files, prediction_records(files, stake)))  # (dtype, SHA-256) of each; a damaged one: one line
    dtypes = [dtype for dtype, _ in records.values()]
    saved = one_dtype(dtypes)
    other = sorted(set(dtypes) - {None, now}) if now is not None else []
    if other:
        return f"its predictions were scored in {', '.join(other)}, scoring is now in {now}"
    path = grid.metrics_file(model, seed)
    try:
        metrics = json.loads(path.read_text())
    except PermissionError:  # nor could the tables read it: stale_metrics says so in one line
        raise
    except (OSError, ValueError):
        return None  # read by the tables as it is (it was written whole: write_text_atomic)
    scored, computed_from = metrics.get(SCORED_IN), metrics.get(PREDICTIONS_SHA256)
    if scored is not None and saved is not None and scored != saved:
        return f"its metrics file was computed from predictions in {scored}, its predictions are in {saved}"
    if computed_from is not None:  # the record: whatever the files' times (copied, touched, another clock)
        if computed_from != sha256_record(list(records), [digest for _, digest in records.values()]):
            return "its metrics file was computed from other prediction files than those saved (their SHA-256)"
    elif path.stat().st_mtime_ns < max(f.stat().st_mtime_ns for f in files):  # no record: their times
        return "its metrics file (of a version without the record of its predictions) is older than its predictions"
    return None


def rescore_stale(grid) -> dict[str, str]:
    """Before the tables: every unit whose metrics file would describe other predictions than the tables
    read (:func:`stale_metrics`; another worker's, or a stopped run's) scored again (predicted again where
    needed, its metrics file and confusion figure written again), each said in the log, under the unit's
    claim (as :func:`work` trains it), so no live worker on it writes its files at the same time.  Rank 0
    alone (the tables' worker): the model is finished, nothing trains.  Returns the units left stale, each
    with why and who holds it, by claim name (empty: the tables may be written)."""
    left = {}
    for model, seed in units(grid):
        why = stale_metrics(grid, model, seed)
        if why is None:
            continue
        claim = grid.claims.acquire(unit_name(model, seed))
        if not isinstance(claim, Claim):
            grid.log(f"[grid] {model.name} seed {seed}: claimed by {grid.claims.held_by(claim)}, skipped")
            left[unit_name(model, seed)] = f"{model.name} seed {seed} ({why}; claimed by {grid.claims.held_by(claim)})"
            continue
        try:
            if why := stale_metrics(grid, model, seed):  # again under the claim: its holder may have just scored it
                grid.log(f"[grid] {model.name} seed {seed}: {why}: scoring it again before the tables")
                with stopped_during(unit_words(grid, model, seed), grid.model_dir(model, seed)):  # the closing line
                    metrics = grid.score_model(model, seed)  # rank 0 alone
                line = scored_line(metrics["tests"], grid.config.metric)
                grid.log(f"[grid] {model.name} seed {seed} scored again: {line}")
        finally:
            claim.release()
    return left
