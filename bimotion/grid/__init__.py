"""The paper's experiment grid: train the distinct models Tables 3-5 need, score every cell, write
the tables (with the paper's numbers beside ours), a heat map and the feature-space projections.

>>> from bimotion.grid import run_grid, shipped_config
>>> result = run_grid(shipped_config("paper"), {"bimotion": "bimotion", "yuemotion": "yuemotion"}, "results/paper")
>>> print(result.markdown())

Every table cell names a training mixture and a test set (:mod:`bimotion.paper`); mixtures that
resolve to the same (benchmark, corpus, group) shards are one model, so Tables 3 and 4 need 9
models and Table 5 four more.  Each model is trained once per seed and scored on the test sets of
every table column (and of ``extra_tests``) — the full cross-group inference matrix.

Layout of ``output_dir`` (everything is resumable: a finished step is never redone)::

    plan.json                         the models, the cells and which model each cell reads
    models/<model>/seed<k>/           the trained checkpoint (+ ``grid-trained.json`` once finished)
    predictions/<model>/seed<k>/<benchmark>.<corpus>.<group>.npz   per-utterance test logits
    metrics/<model>/seed<k>.json      per-model metrics on every test set (per group and corpus)
    tables/table{3,4,5}.{md,csv,tex}  ours (mean ± std over seeds, bootstrap CI) | paper | difference
                                      (generated data: no difference column, the paper's number for reference)
    tables/heatmap.{png,svg,csv}      weighted F1, training mixture × test set
    figures/<name>.{png,svg,csv,json} feature-space projections (:mod:`bimotion.projection`)

A model counts as finished when ``grid-trained.json`` exists; a killed run therefore loses at most
the model in progress (which itself resumes from its last checkpoint when the trainer supports it).
Predictions are written atomically per test shard and reused.

A cell's value is the paper's weighted F1 in percent: every test corpus is scored on its own
(:func:`bimotion.training.metrics.score_groups`) and a test set's score is the mean over its
corpora.  With several seeds a cell shows the mean ± standard deviation over seeds, and the
confidence interval comes from a bootstrap over test speakers (resampled within each corpus, clips
where a corpus names no speakers; the same resample for every seed, so the interval is that of the
seed mean).

The package, by job (each imports only those above it)::

    config    GridConfig, load_config, find_config, shipped_config, data_sources, MARKER
    plan      PlannedModel, Plan, make_plan: the distinct models and the cells they serve;
              model_dir_in_grid: a finished model in a grid output folder
    scoring   CellResult (score_test is training.bootstrap's): the paper's weighted F1 per seed with a bootstrap CI;
              entry_of_test: one test set's numbers in a model's metrics file
    report    GridResult, render_markdown/csv/latex, write_reports (render_heatmap is heatmap's)
    checks    check_inputs: what a grid needs, before its first model trains
    claims    shards, per-model claim files, the processes of one accelerate launch
    workers   which units this worker trains and scores; who writes the tables
    heard     mark_training_clips, heard_counts: test clips a model was trained on (the tables' ‡)
    jobs      TrainJob, Trainer, train_model: one planned model trained for one seed
    cells     collect: every cell, average and heat-map entry from the saved predictions
    runner    Grid, run_grid: train (or reuse), predict, score, report
    fixtures  prepare_fixtures: small synthetic corpora, prepared, for demos and tests
"""

from ..training.bootstrap import (
    score_test,  # the grid's bootstrap over test speakers, public as bimotion.grid.score_test
)
from .checks import check_inputs
from .config import MARKER, GridConfig, data_sources, find_config, load_config, shipped_config
from .fixtures import prepare_fixtures
from .heatmap import render_heatmap
from .jobs import Trainer, TrainJob, train_model
from .plan import Plan, PlannedModel, make_plan, model_dir_in_grid, shard_name
from .report import GridResult, render_csv, render_latex, render_markdown, write_reports
from .runner import Grid, run_grid
from .scoring import CellResult

__all__ = [
    "MARKER", "GridConfig", "data_sources", "load_config", "find_config", "shipped_config", "prepare_fixtures", "Plan",
    "PlannedModel", "make_plan", "model_dir_in_grid", "shard_name", "GridResult", "render_csv", "render_heatmap",
    "render_latex", "render_markdown", "write_reports", "Grid", "Trainer", "TrainJob", "check_inputs", "run_grid",
    "train_model", "CellResult", "score_test",
]  # fmt: skip
