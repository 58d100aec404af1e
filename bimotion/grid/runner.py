"""Running a grid: train each planned model once per seed (or reuse it), predict every test clip
once, score, and write the reports and projections; every step resumes from ``output_dir``."""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from loaders.files import save_npz, write_text_atomic
from loaders.tables import counted

from ..extras import not_drawn
from ..figures import notes_once
from ..mixture import Shard
from ..probe.run import backend_predict, backend_trainer, is_probe
from ..training.data_checks import register_prepared
from ..training.processes import note, on_every_process
from ..training.provenance import command_scope, provenance
from .cells import collect
from .checks import check_inputs
from .claims import Claims, Ranks
from .config import MARKER, GridConfig, data_sources, load_config, torch_threads
from .heard import mark_training_clips
from .jobs import Trainer, TrainJob, train_model
from .plan import PlannedModel, make_plan, marked_model, model_record, shard_name, unseen_marker
from .report import GridResult, tables_key, write_reports
from .saved import SCORED_IN, concat_predictions, marker_at, metrics_records, read_marker, read_predictions, writing
from .scoring import entry_of_test
from .settings import check_settings, grid_settings, write_plan


class Grid:
    """Runs a plan step by step; every step checks what ``output_dir`` already holds."""

    runs_as = "grid"  # the command its refusals' fixes name (settings.RUN_AS): bimotion advise's grid sets "advise"

    def __init__(self, config, data_dirs: Mapping[str, str], output_dir, *, trainer: Trainer | None = None, log=print,
                 shard: tuple[int, int] | None = None, ranks: Ranks | None = None, command: list[str] | None = None):  # fmt: skip
        """``shard`` ``(I, N)``: this worker does the plan's units I, I+N, ... (:mod:`.claims`); ``command``:
        the command line its files name (default: this process's, never a recipe's run before it)."""
        self.config = load_config(config)
        register_prepared(dict(data_dirs))  # a prepared folder's own groups (ind_eld) in the plan, every run alike
        self.plan = make_plan(self.config)
        self.out = Path(output_dir)
        self.sources = data_sources(data_dirs, self.out / "datasets-cache")
        self.trainer = trainer or backend_trainer(self.config, self.sources) or train_model
        self.log = log or (lambda *a: None)
        self.trained: list[str] = []
        self._test_data = None
        self._dtypes: dict[tuple[str, int], str] = {}  # scoring_dtype of each (model, seed)
        self.unread: dict = {}  # the datasets whose prepare.json could not be fetched (recorded)
        self.shard = shard
        self.ranks = ranks or Ranks.current()
        self.claims = Claims(self.out / "claims", log=self.log)
        self.command = command

    @functools.cached_property
    def recorded(self) -> dict[str, dict | None]:
        """Each dataset's prepare.json (:func:`~bimotion.data.layout.recorded_infos`), read once (a Hub dataset's
        asked of the Hub) for the whole run: its generated corpora (:attr:`generated`), its identical audio.  A Hub
        dataset's that could not be fetched is None, warned of, and in :attr:`unread` (``{benchmark: the error}``)."""
        import sys

        from ..data.layout import recorded_infos, unread_warning

        infos = recorded_infos(self.sources, unreached=self.unread)
        for err in self.unread.values():
            print(unread_warning(err), file=sys.stderr)
        return infos

    @functools.cached_property
    def generated(self) -> dict[str, dict[str, str]]:
        """The generated corpora of the grid's data (:func:`~bimotion.data.layout.synthetic_recorded`): the
        confusion figures' titles, the tables and heat map (:attr:`GridResult.generated`) and the projections say so."""
        from ..data.layout import synthetic_recorded

        return synthetic_recorded(self.recorded)

    @property
    def base_model(self) -> str:
        """The checkpoint every model starts from (the tiny random one is made on first use)."""
        if self.config.tiny_model is None:
            return self.config.model_name_or_path
        path = self.out / "base-model"
        if not (path / "config.json").is_file():
            from ..training.testing import save_tiny_model

            tmp = save_tiny_model(path.with_name(f"base-model.{os.getpid()}.tmp"), **self.config.tiny_model)
            try:
                os.rename(tmp, path)
            except OSError:  # another worker sharing this folder made it first
                shutil.rmtree(tmp)
        return str(path)

    def model_dir(self, model: PlannedModel, seed: int) -> Path:
        return self.out / "models" / model.slug / f"seed{seed}"

    def prediction_file(self, model: PlannedModel, seed: int, shard: Shard) -> Path:
        return self.out / "predictions" / model.slug / f"seed{seed}" / f"{shard_name(shard)}.npz"

    def metrics_file(self, model: PlannedModel, seed: int) -> Path:
        return self.out / "metrics" / model.slug / f"seed{seed}.json"

    # -- steps
    def train_or_reuse(self, model: PlannedModel, seed: int, *, together: bool = False) -> Path:
        """The saved model of ``model`` for ``seed``: trained now with :attr:`trainer`, unless finished before
        (``together``: every process of a launch is here, and reads its marker: :meth:`_reused`)."""
        out = self.model_dir(model, seed)
        marker = out / MARKER
        if (reused := self._reused(model, seed, marker, together)) is not None:
            return reused
        main, start = self.ranks.is_main, time.time()
        if main:
            self.log(f"[grid] training {model.name} (seed {seed}) on {counted(len(model.shards), 'shard')} -> {out}")
        job = TrainJob(model.name, model.shards, seed, out, self.sources, self.base_model, self.config.training)
        saved = None
        if main or self.trainer is train_model:  # every process of a launch trains it together (DDP)
            saved = str(self.trainer(job))
        saved = Path(self.ranks.broadcast(saved))  # after the model is saved whole
        if main:
            seconds = round(time.time() - start, 1)
            stake = f"the grid cannot mark {model.name} seed {seed} as trained (a rerun would train it again)"
            with writing(marker, "a trained-model marker", stake):  # a folder made there as it trained
                record = {**self._provenance(model, seed, saved), "train_seconds": seconds}
                write_text_atomic(marker, json.dumps(record, indent=2))
            self.trained.append(f"{model.name}/seed{seed}")
            self.log(f"[grid] trained {model.name} (seed {seed}) in {seconds} s")
            if not self.config.keep_checkpoints:  # finished: nothing will resume it (keep_checkpoints: true keeps them)
                from ..training.checkpoints import discard_checkpoints

                discard_checkpoints(saved)
        self.ranks.barrier()
        from .stops import stop_after_training

        stop_after_training(self)  # a stop lost, or a SIGTERM left pending, as training saved: nothing predicted
        return saved

    def _reused(self, model: PlannedModel, seed: int, marker: Path, together: bool) -> Path | None:
        """The model ``marker`` names (None: none), read by every process of a launch (``together``) or this one:
        all read the same or all stop (:func:`on_every_process`), so none trains what another reuses, nor waits."""
        stake = f"the grid cannot reuse {model.name} seed {seed}'s trained model"

        def read(_share: int, _of: int) -> Path | None:  # a damaged marker, a folder or dead link there: one line
            return marked_model(self.out, read_marker(marker, stake), marker) if marker_at(marker, stake) else None

        seen = on_every_process(read, *(self.ranks.processes if together else (0, 1)))
        blind = [i for i, path in enumerate(seen) if path is None]
        if blind and len(blind) < len(seen):
            raise unseen_marker(marker, f"{model.name} seed {seed}", blind, len(seen))
        return seen[self.ranks.rank if together else 0]

    def _provenance(self, model: PlannedModel, seed: int, model_dir: Path, shards_key: str = "shards") -> dict:
        """Which model, trained on what, with which seed, saved where (:func:`.plan.model_record`: a Hub id
        as one, a folder relative to the grid's: the folder may move)."""
        return {
            "model": model.name,
            "specs": list(model.specs),
            shards_key: [list(s) for s in model.shards],
            "seed": seed,
            **model_record(self.out, model_dir),
        }

    def test_data(self):
        """The test split of every shard the grid scores, loaded once, with each shard's rows."""
        if self._test_data is None:
            from ..training.data import Sources, column, load_shards

            shards = self.plan.test_shards
            data = load_shards(Sources(**self.sources), shards, "test")
            keys = list(zip(column(data, "corpus").tolist(), column(data, "group").tolist(), strict=True))
            rows = {s: [i for i, key in enumerate(keys) if key == (s.corpus, s.group)] for s in shards}
            self._test_data = (data, rows)
        return self._test_data

    def predictions(self, model: PlannedModel, seed: int, shards: list[Shard], model_dir=None, *, together=False):
        """Test predictions of one model on ``shards`` (predicted once per shard, then read back; predicted
        again where the file records another dtype than scoring computes in now, :meth:`scoring_dtype`).
        ``together``: every process of a launch is here (a unit of :func:`.workers.work`): rank 0 says which shards
        to predict, each process predicts a share of their batches (``predict``'s ``processes``), rank 0 saves and
        returns them, the others None; else this process alone (the tables' rescoring, the projections)."""
        processes = self.ranks.processes if together else (0, 1)
        main = processes[0] == 0
        saved = {s: self.saved_predictions(model, seed, s, model_dir) for s in shards} if main else {}
        todo = [i for i, s in enumerate(shards) if saved[s] is None] if main else None
        missing = [shards[i] for i in (self.ranks.broadcast(todo) if processes[1] > 1 else todo)]  # rank 0's
        if missing:
            for first in (True, False) if processes[1] > 1 else ():  # its cache made by rank 0 first, as training's
                self.ranks.barrier() if first != main else self.test_data()
            data, rows = self.test_data()
            model_dir = model_dir or self.train_or_reuse(model, seed, together=together)
            wanted = [i for s in missing for i in rows[s]]
            pred = backend_predict(
                self.config, self.sources, model_dir, data.select(wanted), missing,
                say=lambda line: self.log(f"[grid] {line}"),  # its note (precision_note) in the grid's log
                processes=processes,
            )  # fmt: skip
            if not main:
                return None
            dtype = self.scoring_dtype(model, seed, model_dir)
            start = 0
            for shard in missing:
                n = len(rows[shard])
                saved[shard] = {k: v[start : start + n] for k, v in pred.items()}
                path = self.prediction_file(model, seed, shard)
                stake = f"the grid cannot save {model.name} seed {seed}'s predictions of {shard_name(shard)}"
                with writing(path, "a prediction file", stake):
                    save_npz(path, {**saved[shard], SCORED_IN: np.array(dtype)})
                start += n
        return concat_predictions([saved[s] for s in shards]) if main else None

    def saved_predictions(self, model: PlannedModel, seed: int, shard: Shard, model_dir=None, say=True) -> dict | None:
        """One shard's saved predictions, without their :data:`SCORED_IN`; None where there are none, or where
        they record another dtype than :meth:`scoring_dtype` (said in the log, where ``say``: the file is predicted
        again, as :meth:`predictions` does, not where it is only checked).  A file of a grid before the
        record is read back as it is (docs/recipes.md: delete ``predictions/`` to score again)."""
        path = self.prediction_file(model, seed, shard)
        if not path.is_file():
            return None
        pred = read_predictions(path, model.name, seed)  # one it cannot read: one error line naming it and the fix
        recorded = pred.pop(SCORED_IN, None)
        now = None if recorded is None else self.scoring_dtype(model, seed, model_dir)
        if now is not None and str(recorded) != now:
            if say:
                self.log(f"[grid] {path} was predicted in {recorded}; scoring is now in {now}: predicting it again")
            return None
        return pred

    def scoring_dtype(self, model: PlannedModel, seed: int, model_dir: Path | None = None) -> str | None:
        """The dtype this machine scores the model in (a probe's frozen features and head: float32; else
        :func:`~bimotion.training.inference.scoring_precision`), asked once per model and seed; None where
        no model is finished here (predictions only: none to predict a file again with, and no scores.json
        to read its precision from), on a CPU too."""
        key = (model.name, seed)
        if key not in self._dtypes:
            from ..training.inference import autocast_device_type, scoring_device, scoring_precision
            from ..training.outputs import model_scores

            kind = autocast_device_type(scoring_device())
            marker = self.model_dir(model, seed) / MARKER
            stake = f"the grid cannot find the precision {model.name} seed {seed} is scored in"
            # read on a CPU too, as on a GPU: a folder, FIFO, dead link, unreadable or damaged one is saved.py's line
            if not (model_dir or marker_at(marker, stake)):
                return None  # no model finished here
            record = None if model_dir else read_marker(marker, stake)
            if kind != "cuda":
                self._dtypes[key] = scoring_precision(kind, None)
            else:
                model_dir = model_dir or marked_model(self.out, record, marker)
                probe = is_probe(model_dir)
                self._dtypes[key] = "float32" if probe else scoring_precision(kind, model_scores(model_dir).precision)
        return self._dtypes[key]

    def score_model(self, model: PlannedModel, seed: int, *, together: bool = False) -> dict | None:
        """Train (or reuse) one model, predict every test clip once, write its metrics file:
        every metric per group and corpus over all test clips, and each test set's weighted F1.  ``together``:
        every process of a launch is here (:func:`.workers.work`'s units): all train and predict, rank 0 scores
        (the others return None); else this process alone (the tables' rescoring of a finished unit, rank 0)."""
        from .stops import SCORING, stopping_before

        model_dir = self.train_or_reuse(model, seed, together=together)
        with stopping_before(SCORING):  # trained and saved (its marker): a stop from here leaves it to score, not train
            pred = self.predictions(model, seed, self.plan.test_shards, model_dir, together=together)
            return None if pred is None else self._score_trained(model, seed, model_dir, pred)

    def _score_trained(self, model: PlannedModel, seed: int, model_dir: Path, pred: dict) -> dict:
        """:meth:`score_model` of the trained model saved in ``model_dir``, given its predictions ``pred``: its
        metrics file and confusion figure."""
        from ..training.confusion_plot import confusion_title, draw_confusion
        from ..training.metrics import read_trained_labels, score_groups

        files = [self.prediction_file(model, seed, s) for s in self.plan.test_shards]
        trained = read_trained_labels(model_dir)
        mode = self.config.group_score
        scores = score_groups(
            pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"],
            trained_labels=trained, group_score=mode,
        )  # fmt: skip
        seen, heard = mark_training_clips(self, model, seed, model_dir, pred, scores)  # warns; marks scores' groups
        tests = {test: entry_of_test(pred, scores, test, trained, mode, heard) for test in self.plan.tests}
        metrics = {
            **self._provenance(model, seed, model_dir, shards_key="train_shards"),
            "trained_labels": trained,  # None: not recorded by the model (all labels)
            "training_clips": seen,  # the test clips it was trained on (its train_manifest.txt)
            "provenance": provenance(self.sources, seed),  # software, command, data: what made these scores
            **metrics_records(files),  # its predictions' dtype and files' SHA-256, each opened once: stale_metrics
            "tests": tests,  # weighted F1 from the test set's (group, corpus) parts by group_score, as in the tables
            "scores": scores,  # bimotion.training.metrics.score_groups over every test clip
        }
        stake = f"the grid cannot save {model.name} seed {seed}'s scores"
        with writing(self.metrics_file(model, seed), "a metrics file", stake):
            write_text_atomic(self.metrics_file(model, seed), json.dumps(metrics, indent=2))
        figure = self.metrics_file(model, seed).with_suffix(".confusion.png")
        if skipped := not_drawn(f"the confusion figure {figure}"):  # run_grid() with the [train] extra alone
            note(skipped)  # its metrics file written, and the tables
            return metrics
        title = confusion_title(model.name, "every test set", seed)  # the numbers: scores' "confusion"
        stake = f"the grid cannot save {model.name} seed {seed}'s confusion figure"
        with writing(figure, "a figure", stake), writing(figure.with_suffix(".svg"), "a figure", stake):
            draw_confusion(scores, figure, title, self.generated, tables_key(self.config))
        return metrics

    @property
    def settings(self) -> dict:
        """What every model of this folder must share (:func:`.settings.grid_settings`), the processes of a
        launch training each model among them: the grid's own trainer's (DDP); a trainer of its own (the probe's)
        trains on the main process alone (:meth:`train_or_reuse`), its batch the same in a launch of any size."""
        return grid_settings(self.config, self.sources, self.ranks.world if self.trainer is train_model else 1)

    def run(self) -> GridResult:
        """:meth:`_run` on the config's threads, its files naming :attr:`command` (:func:`command_scope`), a
        note of a figure over a page said once, not for each model's confusion figure, naming its path in
        :attr:`out` (:func:`notes_once`)."""
        with torch_threads(self.config.num_threads), command_scope(self.command), notes_once(self.out):
            return self._run()

    def _run(self) -> GridResult | None:
        """The steps in order, every process of a launch in step (:mod:`.workers`)."""
        from .stops import stop_if_asked, stop_if_lost_in_launch, stopping_before
        from .workers import SHARE_DONE, tables_on_main, work

        settings = self.settings  # digests every dataset's prepare.json: once per run
        own = self.trainer is not train_model  # registered in __init__, before the plan; trains on one process
        check_settings(self.out, settings, self.runs_as, launch_counts=not own)
        # fail now, not after hours of training the first models: the config, and the data its models, test sets
        # and figures read; a trainer of its own (the probe's) checks its base model and training arguments
        check_inputs(self.config, self.sources, self.out, own_trainer=own, plan=self.plan, registered=True)
        if self.ranks.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_plan(  # exclusive: another worker's since, checked
                self.out, settings, self.plan.to_json(), self.runs_as, launch_counts=not own
            )
            self.base_model  # noqa: B018 (made once, before any process reads it)
        self.ranks.barrier()
        missing = work(self)
        stop_if_lost_in_launch(self, "the end of its units, before the tables", "the tables")  # as at a unit's start
        stop_if_asked(self, "the tables")  # a SIGTERM left pending as the last unit ended: every process, agreed
        result = None
        if missing and self.ranks.is_main:
            self.log(
                f"[grid] {SHARE_DONE}; {len(missing)} unfinished: {'; '.join(missing)}. The worker "
                "that finishes the last of them writes the tables. For what no live worker holds (its worker gone, "
                "or not started), rerun its shard, or this command with --shard 0/1 for every unit left and the tables."
            )
        elif not missing:  # rank 0 writes them, the others wait: its error (a unit's file) stops each, said once
            with stopping_before("the tables"):  # their checks, rescoring, tables and figures: no model in progress
                result = tables_on_main(self)
        self.ranks.barrier()
        return result

    def report(self) -> GridResult:
        """Every table, heat map and projection of a finished grid, from its saved predictions."""
        result = collect(self)
        result.files += write_reports(result)
        if self.config.projections:
            from ..projection import project_from_grid

            for spec in self.config.projections:
                result.files += project_from_grid(self, spec)
        return result

    def trained_labels(self, model: PlannedModel, seed: int) -> list[str] | None:
        """``config.trained_labels`` of a finished model (``None``: not recorded, i.e. all labels, or
        no finished model here: predictions only); never trains."""
        from ..training.metrics import read_trained_labels

        marker = self.model_dir(model, seed) / MARKER
        stake = f"the tables cannot read the labels {model.name} seed {seed} was trained on"
        if not marker_at(marker, stake):  # as train_or_reuse: a folder, FIFO or dead link there is one line, the fix
            return None
        return read_trained_labels(marked_model(self.out, read_marker(marker, stake), marker))


def run_grid(
    config: str | os.PathLike | Mapping | GridConfig,
    data_dirs: Mapping[str, str | os.PathLike],
    output_dir: str | os.PathLike,
    *,
    trainer: Trainer | None = None,
    log=print,
    shard: tuple[int, int] | None = None,
    command: list[str] | None = None,
) -> GridResult | None:
    """Train (or reuse), score and report the whole grid; ``data_dirs`` = ``{"bimotion": DIR,
    "yuemotion": DIR}`` (prepared datasets; one may be missing when no table needs it).  None when
    other workers sharing ``output_dir`` still hold models (the log says which), and on the processes
    of a launch but the main one (:mod:`.workers`).  ``command`` (the script and its arguments) is the
    command line its files' ``provenance`` names; by default this process's ``sys.argv``, whatever
    recipe ran before in this process (``recipes/grid.py`` passes the one it parsed)."""
    dirs = {k: str(v) for k, v in data_dirs.items() if v}
    return Grid(config, dirs, output_dir, trainer=trainer, log=log, shard=shard, command=command).run()
