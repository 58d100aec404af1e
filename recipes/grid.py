r"""Reproduce the paper's Tables 3, 4 and 5 (and Figures 2 and 3): train the distinct models the
tables need, score every cell, write the tables beside the paper's numbers.

    python recipes/grid.py --config bimotion/configs/paper.yaml \
        --bimotion DIR_OR_HUB_ID --yuemotion DIR_OR_HUB_ID --output_dir results/paper

Rerunning the same command resumes: finished models are reused and a killed run loses at most the
model in progress.  Scaling out (``docs/recipes-grid.md``): ``accelerate launch recipes/grid.py ...``
trains each model with DDP over every process, each predicting a share of its test clips (rank 0
scores and writes); independent workers sharing one ``--output_dir`` (``--shard I/N``, or a Slurm
job array's index) each claim a model before training it, and the one that finishes the last model
writes the tables (the others exit 0, their log naming the units left); a worker that finds another
writing them, or a unit to score again held by another (which then writes them once done with it),
exits 0 too, its last line saying which.

Writes ``tables/table{3,4,5}.{md,csv,tex}``, ``tables/heatmap.{png,svg,csv}``,
``metrics/<model>/seed<k>.json`` and, when the config lists projections, ``figures/``
(see ``docs/recipes-grid.md``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from bimotion.extras import exit_if_missing

if __name__ == "__main__":  # without the extras: one line naming them (exit 2), not a traceback at an import
    exit_if_missing("recipes/grid.py", ("torch", "transformers", "accelerate", "sklearn", "matplotlib", "umap"))

from transformers import HfArgumentParser

from loaders.errors import DamagedFileError


@dataclass
class GridArguments:
    config: str = field(
        metadata={"help": "grid config: a YAML file, or a shipped config's name (paper, probe, demo, ...)"}
    )
    output_dir: str = field(default="results/grid", metadata={"help": "where models, metrics, tables, figures go"})
    bimotion: str | None = field(default=None, metadata={"help": "prepared BiMotion dataset (folder or Hub id)"})
    yuemotion: str | None = field(default=None, metadata={"help": "prepared YueMotion dataset (folder or Hub id)"})
    tables: list[str] | None = field(
        default=None, metadata={"help": "override the config's tables, e.g. table3 table4"}
    )
    seeds: list[int] | None = field(default=None, metadata={"help": "override the config's seeds"})
    model_name_or_path: str | None = field(default=None, metadata={"help": "override the base checkpoint"})
    bootstrap_samples: int | None = field(default=None, metadata={"help": "override the bootstrap resamples"})
    no_projections: bool = field(default=False, metadata={"help": "skip the config's feature-space projections"})
    shard: str | None = field(
        default=None,
        metadata={
            "help": "I/N: this worker does the plan's units (model x seed) I, I+N, ... (default: a Slurm job array's "
            "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN / SLURM_ARRAY_TASK_COUNT, else all); workers sharing --output_dir never train a model twice"
        },
    )


def grid_config(args: GridArguments):
    """The config file with the flags' overrides, checked (with the data) before anything trains."""
    from bimotion.grid.checks import check_inputs
    from bimotion.grid.config import config_error, find_config, load_config
    from bimotion.grid.plan import make_plan
    from bimotion.training.data_checks import register_prepared
    from bimotion.training.parsing import ArgumentError, check_bootstrap_samples, check_seeds

    try:
        find_config(args.config)
    except FileNotFoundError as err:
        raise ArgumentError(f"--config: {err}") from err
    from bimotion.data.layout import output_error

    if error := output_error(args.output_dir, "--output_dir"):
        raise ArgumentError(error)
    import yaml

    try:
        config = load_config(args.config)
    except (ValueError, TypeError, yaml.YAMLError) as err:  # unknown keys, bad values, YAML syntax
        raise ArgumentError(config_error(args.config, err)) from err
    dropped = [t for t in config.tables if t not in (args.tables or config.tables)]  # the file's, left out by --tables
    check_seeds(args.seeds, "--seeds")  # the flag's, named so (check_inputs names the config file's seeds:)
    if args.bootstrap_samples is not None:  # alike (check_inputs names the file's bootstrap_samples:)
        check_bootstrap_samples(args.bootstrap_samples, "--bootstrap_samples")
    for name in ("tables", "seeds", "model_name_or_path", "bootstrap_samples"):
        if getattr(args, name) is not None:
            setattr(config, name, getattr(args, name))
    if args.model_name_or_path is not None:
        config.tiny_model = None
    if args.no_projections:
        config.projections = []
    try:
        config.__post_init__()
    except ValueError as err:
        raise ArgumentError(config_error(args.config, err, " with the flags")) from err
    data_dirs = {"bimotion": args.bimotion, "yuemotion": args.yuemotion}
    register_prepared(data_dirs)  # a prepared folder's own groups (ind_eld) are in the plan, as the grid's
    try:  # made once, for the figures left out and every check (its figures do not change it)
        plan = make_plan(config)
    except (KeyError, ValueError, TypeError):  # a spec that resolves to no data: check_inputs names it, in one line
        plan = None
    if dropped and config.projections and plan is not None:
        _leave_out_figures_of_dropped_tables(config, args.tables, plan, dropped)
    check_inputs(config, data_dirs, plan=plan, registered=True)
    return config


def _leave_out_figures_of_dropped_tables(config, tables: list[str], plan, dropped: list[str]) -> None:
    """``--tables`` dropped the config file's tables ``dropped``: its figures drawn from a model that only those
    trained are left out of ``config``, said in one note (``--tables table3 table4`` on the paper's config: Figure
    2's model is Table 5's), where they would be refused; a figure's model that no table of the file trains
    (mistyped, a folder not there) is the error it is without ``--tables``, naming the config file."""
    from bimotion.grid.checks import figures_without_their_models

    try:
        left_out = figures_without_their_models(config, plan, dropped)
    except (KeyError, ValueError):  # a figure's keys: check_inputs names them, in one line
        return
    if left_out:
        config.projections = [p for p in config.projections if p.get("name") not in left_out]
        print(
            f"note: --tables {' '.join(tables)} {'trains' if len(tables) == 1 else 'train'} no model of {', '.join(left_out)}: left out (add the table "
            "that trains it to --tables to draw it)",
            file=sys.stderr,
        )


def in_progress(err: KeyboardInterrupt) -> str:
    """What the rerun does with the model a stop came in, for the closing line: the one wording of every path (a
    unit trained or reused by :func:`bimotion.grid.workers.work`, one scored again before the tables by
    ``rescore_stale``), from what the stop recorded (``stopped_in``: the unit's model folder; where it stopped) and
    what that folder holds (its trained-model marker, a checkpoint); one it cannot look at (a folder that cannot be
    entered, a marker that is no file: :func:`bimotion.grid.saved.marker_at`) said so, naming it and the fix, in the
    closing line, not a traceback after it."""
    from bimotion.grid.config import MARKER
    from bimotion.grid.saved import marker_at
    from bimotion.grid.stops import SCORING, stopped_before
    from bimotion.training.checkpoints import last_checkpoint
    from bimotion.training.stopping import not_scored_words

    folder, before = getattr(err, "stopped_in", None), stopped_before(err)
    if unscored := not_scored_words(err):  # stopped in its scoring, after training (stopping.scoring_stops)
        return (
            f"the model in progress is trained, but {unscored} were not scored: "
            "the rerun trains nothing of it, it scores from its last checkpoint"
        )
    stake = "the grid cannot tell whether the model in progress is trained"
    try:  # its folder that cannot be entered, a folder, FIFO or dead link in its marker's place: one error's words
        marked = before != SCORING and folder and marker_at(folder / MARKER, stake)
    except DamagedFileError as unseen:
        return f"the model in progress cannot be looked at: {unseen}"
    if before == SCORING or marked:  # trained and marked (a rerun reuses it):
        # stopped before its scoring (stops.stop_after_training), in it, or as it was read to be reused or scored again
        return "the model in progress is trained and saved, not yet scored: the rerun trains nothing of it"
    if before:  # between models, before or while the tables are written (stops.stop_if_asked, stopping_before)
        return f"no model was in progress: it stopped before {before}"
    if folder and not last_checkpoint(folder):  # none saved (a Ctrl-C in a grid that saves none)
        return "the model in progress saved no checkpoint: the rerun trains it again from the start"
    return "the model in progress resumes from its last checkpoint"


def main(argv=None) -> int:
    from bimotion.training.parsing import error_once, parse_arguments, usage_error

    parser = HfArgumentParser(GridArguments)
    args = parse_arguments(parser, argv)[0]  # [1:]: use_cpu, set for several CPU processes (train's)
    from bimotion.grid.claims import parse_shard, shard_from_env

    try:
        config = grid_config(args)
        shard = parse_shard(args.shard) if args.shard else shard_from_env()
    except ValueError as err:  # exit 2 with one line naming the argument, before anything trains
        usage_error(err, parser)

    data = {"bimotion": args.bimotion, "yuemotion": args.yuemotion}
    from bimotion.grid.plan import StaleMarker
    from bimotion.grid.runner import run_grid  # torch: after the arguments and the config are checked
    from bimotion.grid.settings import SettingsMismatch
    from bimotion.hub import HubError
    from bimotion.memory import ALLOCATION_FAILURES, ready_for_a_limit, said_out_of_memory
    from bimotion.signals import during, exit_code, stop_word, terminate_as_interrupt
    from bimotion.training.checkpoints import ForeignCard
    from bimotion.training.processes import on_main_process
    from bimotion.training.provenance import recorded_command

    ready_for_a_limit()  # under a memory limit: memory kept for the out-of-memory line, and no glibc abort after it
    try:  # its files name this command (the one parsed), not one of an earlier run in this process
        with terminate_as_interrupt():  # SIGTERM (Slurm's time limit) stops as Ctrl-C does
            result = run_grid(config, data, args.output_dir, shard=shard, command=recorded_command())
    except SettingsMismatch as err:  # checked before anything trains
        usage_error(err, parser)
    except KeyboardInterrupt as err:  # models and scores already written are kept, claims released
        if on_main_process():  # one line for a launch, not one per process
            print(  # "terminated during model eng_eld seed 0, shard 1/4: ..." (bimotion.grid.workers.unit_words)
                f"{stop_word(err)}{during(err)}: rerun the same command to continue; finished models are reused "
                f"and {in_progress(err)}",
                file=sys.stderr,
            )
        return exit_code(err)
    except (DamagedFileError, StaleMarker, ForeignCard) as err:  # a dataset's file or clip, a model's weights; a
        # marker; a model folder holding the user's README.md (refused as recipes/train.py does).  Each may reach
        # every process of a launch (on_every_process): said once, by the main process (error_once); all exit non-zero
        error_once(err)
        return 2
    except HubError as err:  # a model's load from the Hub (bimotion.hub_models: the config's base model or probe
        error_once(err)  # encoder), by every process of a launch: said once, exit 1 as recipes/train.py and infer.py
        return 1
    except ALLOCATION_FAILURES as err:  # an allocation that failed: one line, the fix (HubError, a RuntimeError: above)
        return said_out_of_memory(err, "grid.py")
    if result is None:  # another process of this launch; or another worker writes the tables, as its log says
        return 0
    print(result.markdown())
    print("\nwrote:")
    for path in result.files:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
