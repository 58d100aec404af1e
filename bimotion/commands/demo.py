"""Run the whole pipeline on a generated corpus: generate small copies of the seven corpora
(synthetic speech-like audio, in the real layouts and with their quirks), read them, prepare
BiMotion and YueMotion from them as Hub-ready datasets, check the result, load it back with plain
`datasets`, then fine-tune the paper's grid of models (a tiny wav2vec2, random weights, trainable
CNN) on the CPU and write Tables 3-5, the heat map and the feature-space projections (Figures 2-3).

Examples:
  bimotion demo --output demo              # everything: 6-16 min on 2 CPU cores
  bimotion demo --output demo --no-grid    # the datasets only: about 1.5 min

It writes, below --output DIR: raw/ (the generated corpora), bimotion/ and yuemotion/ (the prepared
datasets), and, unless --no-grid, grid/ (tables/table3-5 as Markdown, CSV and LaTeX,
tables/heatmap.png, figures/, the models in models/, their scores in metrics/) and grid.log (what
the training printed).  While the grid trains, a terminal shows a progress bar over its models, each
once per seed; where stderr is no terminal (CI, a log file) a line says each model and seed scored
("models x seeds: 3/13 scored, 6.2 min", as the grid's log says "13 models x 1 seed").

The audio is SYNTHETIC and the model TINY: the demo shows that every stage runs and that the models
learn (the baseline row well above its chance level, the cross-group rows below the baseline), not
how well emotions are recognised in real speech.  With the real corpora:

  bimotion prepare --source crema_d=DIR --source tess=DIR ... --output bimotion
  yuemotion prepare --source DIR --output yuemotion
  bimotion check bimotion

Re-running with the same --output starts again from scratch (a folder the demo did not write is
refused).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

DEMO_MARKER = ".bimotion-demo"  # in --output: the demo wrote this folder
NEEDS = ("torch", "transformers", "accelerate", "sklearn", "matplotlib", "umap", "torchcodec")  # bimotion.extras
TRAINS = True  # refused as a launch of one process where several were asked (launched_alone.lone_launch)
HELP = "run the whole pipeline on a generated corpus with a tiny model (minutes on a laptop CPU)"
DEFAULT_SCALE = 8  # distinct generated clips: 8x the small fixtures (tens of training clips per group)
# By 20 ESD, CSED, CREMA-D and YueMotion's generators have written all the clips their corpora's layouts
# hold (about 3300 clips in all, under twice the default's); above it only TESS and IEMOCAP would grow
MAX_SCALE = 20
# The demo's last line: what to run next, by commands that are installed with the package (its docs/
# are not, and it records no public address to point at)
REAL_CORPORA = (
    "NOTE: the corpus is synthetic. For the real corpora, `bimotion sources --layout` says where to get each "
    "and the folders its reader expects; then run `bimotion prepare --source NAME=DIR ... --output bimotion` "
    "and `yuemotion prepare --source DIR --output yuemotion` (`bimotion prepare --help` and "
    "`yuemotion prepare --help` list their options)."
)


def add_arguments(parser) -> None:
    from .prepare import path_text, whole_number

    parser.add_argument(
        "--output",
        "-o",
        default="demo",
        type=path_text,
        metavar="DIR",
        help="where everything is written (default: demo)",
    )
    parser.add_argument(
        "--seed", type=whole_number(0), default=0, help="seed of the generated corpus and of the splits (default: 0)"
    )
    parser.add_argument(
        "--protocol", choices=("paper", "speaker"), default="paper", help="split protocol (default: paper)"
    )
    parser.add_argument(
        "--scale",
        type=whole_number(1, MAX_SCALE),
        default=DEFAULT_SCALE,
        help=f"generate about SCALE times the small fixtures' distinct clips, 1 to {MAX_SCALE} (at {MAX_SCALE} "
        f"most generated corpora hold all their layout's clips; default: {DEFAULT_SCALE})",
    )
    parser.add_argument(
        "--config",
        metavar="NAME_OR_YAML",
        default="demo",
        help="grid config to run: a YAML file or a shipped config's name, as `bimotion advise --config` takes "
        "(default: demo)",
    )
    parser.add_argument("--no-grid", action="store_true", help="stop after the datasets (skip training the grid)")


def run(args) -> int:
    import yaml

    from bimotion.grid import load_config
    from bimotion.grid.checks import check_config
    from bimotion.grid.config import config_error
    from bimotion.training.parsing import error_once  # every process of a launch meets these: said once

    out = Path(args.output)
    verbose = getattr(args, "verbose", False)
    start = time.perf_counter()
    try:
        config = None if args.no_grid else load_config(args.config)  # a wrong --config fails now, not minutes in
        if config is not None:  # and what it holds: a figure of a model its tables do not train, say
            check_config(config)
    except (OSError, ValueError, TypeError, yaml.YAMLError) as err:
        error_once(config_error(args.config, err))
        return 2
    from bimotion.commands.demo_tables import compact_tables
    from bimotion.grid.claims import Ranks
    from bimotion.grid.stops import take_held_stop
    from bimotion.training.processes import on_main_process_only

    ranks = Ranks.current()  # a launch's processes: the main one writes the datasets, then all train the grid together
    with contextlib.ExitStack() as held:  # the main process's lock on --output, to the end
        code, data = on_main_process_only(lambda: _datasets(args, out, verbose, held), *ranks.processes)
        take_held_stop(ranks, "the demo's datasets")  # a SIGTERM another process held in that wait: every one stops
        if data is None:  # said by the main process (a usage error raised there again): the others end with its code
            if isinstance(code, SystemExit) and ranks.is_main:
                raise code
            return getattr(code, "code", code)
        if config is not None and ranks.is_main:
            print(f"[5/5] training and scoring the demo grid (tiny wav2vec2, CPU) in {out / 'grid'} ...", flush=True)
            if not verbose:  # before minutes of training: where to follow them
                print(
                    f"      its log: {out / 'grid.log'} (follow it with `tail -f`, or run with --verbose)", flush=True
                )
        if config is not None:
            result = _run_grid(config, data, out, verbose, main=ranks.is_main)
            if not ranks.is_main:  # the main process writes and says the tables
                return 0
            if result is None:  # no tables (_run_grid said why)
                return 1
            print(result.markdown() if verbose else compact_tables(result))
            print(
                f"tables (Markdown with CIs and the paper's numbers, CSV, LaTeX), heat map and figures: {out / 'grid'}"
            )
            _how_to_predict(out / "grid")
    if not ranks.is_main:
        return code
    minutes = (time.perf_counter() - start) / 60
    print(
        f"\nDone in {minutes:.1f} min: datasets in {data['bimotion']} and {data['yuemotion']} "
        "(Parquet + README.md dataset card).\n"
        f"{REAL_CORPORA}"
    )
    return code


def _datasets(args, out: Path, verbose: bool, held: contextlib.ExitStack) -> tuple[int | SystemExit, dict | None]:
    """The demo's first stages, on a launch's main process alone
    (:func:`~bimotion.training.processes.on_main_process_only`), holding
    ``OUT.demo-lock`` in ``held``: ``(0 or 1 where a check found problems, {benchmark: folder})``, or ``(2, None)``
    after its error (another demo writes --output), ``(SystemExit, None)`` after its usage error (--output not the
    demo's)."""
    from bimotion.data.publish import OutputLockedError, locked, output_path
    from bimotion.training.parsing import error_once

    try:  # a second demo into the same --output fails at once
        held.enter_context(locked(output_path(out), "demo"))
    except (OutputLockedError, OSError) as err:  # another demo; an --output that cannot be written
        error_once(err)
        return 2, None
    try:
        _fresh_output(out)
    except SystemExit as err:  # its usage error, said
        return err, None
    print(f"[1/5] generating the seven fixture corpora in {out / 'raw'} ...", flush=True)
    roots = _generate_corpora(out / "raw", args.seed, args.scale, verbose)

    print(f"[2/5] preparing BiMotion and YueMotion ({args.protocol} protocol) ...", flush=True)
    data = _prepare_benchmarks(roots, out, args.protocol, args.seed, verbose)

    print("[3/5] checking the prepared folders ...", flush=True)
    problems = _check(data, verbose)

    print("[4/5] loading back with `datasets` ...", flush=True)
    _load_back(data)
    return (1 if problems else 0), data


def _how_to_predict(grid: Path) -> None:
    """Where the trained models are, and the command that puts one to use on recordings."""
    import shlex

    from bimotion.grid import model_dir_in_grid

    try:
        model = model_dir_in_grid(grid, "eng_eld", 0)
    except (KeyError, FileNotFoundError):
        return
    print(f"trained models: {grid / 'models'}/<training data>/seed<N>; score recordings with one:")
    print(f"  bimotion predict --model {shlex.quote(str(model))} RECORDINGS_DIR --output predictions.csv")


def _fresh_output(out: Path) -> None:
    """Empty ``out`` (only a folder the demo wrote, marked by ``.bimotion-demo``) and mark it."""
    from bimotion.data.layout import output_error
    from bimotion.training.parsing import usage_error

    if error := output_error(out, "--output"):
        usage_error(error)
    marker = out / DEMO_MARKER
    if out.exists() and any(out.iterdir()) and not marker.exists():
        usage_error(f"{out} exists and was not written by `bimotion demo`; choose another --output")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    marker.touch()


def _generate_corpora(raw: Path, seed: int, scale: int, verbose: bool = False) -> dict[str, Path]:
    """Write the seven fixture corpora under ``raw``, print what a scan reads: ``{corpus: root}``."""
    from loaders.manifest import scan, summary
    from loaders.testing import make_all

    roots = make_all(raw, seed=seed, scale=scale)
    records, _ = scan(roots, progress=False)
    if verbose:
        print(summary(records), "\n", flush=True)
    else:
        hours = sum(r.duration_s for r in records) / 3600
        groups = len({(r.corpus, r.language, r.age_group) for r in records})
        print(
            f"      {len(records)} clips ({hours:.2f} h) in {len(roots)} corpora, {groups} corpus/language/age groups "
            "(per corpus and emotion: --verbose)",
            flush=True,
        )
    return roots


def _prepare_benchmarks(
    roots: dict[str, Path], out: Path, protocol: str, seed: int, verbose: bool = False
) -> dict[str, Path]:
    """Prepare BiMotion from every corpus but YueMotion, and YueMotion from it: ``{benchmark: folder}``
    (one bar over both; ``verbose``: prepare's own bars)."""
    from tqdm.auto import tqdm

    from bimotion.console import bar_disabled
    from bimotion.prepare import prepare

    sources = {
        "bimotion": {c: r for c, r in roots.items() if c != "yuemotion"},
        "yuemotion": {"yuemotion": roots["yuemotion"]},
    }
    data = {}
    bars_off = bar_disabled(not verbose)  # a terminal's only: in a log, a bar is a line per refresh
    for name in tqdm(sources, desc="      datasets", unit=" dataset", disable=bars_off, file=sys.stderr):
        data[name] = out / name
        prepare(sources[name], data[name], benchmark=name, protocol=protocol, seed=seed, progress=verbose)
    return data


def _check(data: dict[str, Path], verbose: bool = False) -> int:
    """Print the check of every prepared folder (one line each when it passes, unless ``verbose``);
    the number of problems found."""
    from bimotion.verify import verify as check
    from bimotion.verify_report import format_result

    problems = 0
    for name, folder in data.items():
        result = check(folder)
        text = format_result(result)
        if verbose or result["problems"]:
            print(f"--- {name}\n{text}\n")
        else:
            lines = text.strip().splitlines()
            dups, silent = len(result["duplicates_across_splits"]), _first(lines, "silent clips")
            print(f"      {lines[0]}; duplicate audio across splits: {dups}; {silent}: {lines[-1]}")
        problems += len(result["problems"])
    return problems


def _first(lines: list[str], prefix: str) -> str:
    return next((line.strip() for line in lines if line.startswith(prefix)), prefix + ": ?")


def _load_back(data: dict[str, Path]) -> None:
    """Load one config of each benchmark with ``datasets`` and print its split sizes and first test row."""
    from bimotion import load

    for name, config in (("bimotion", "eng_eld"), ("yuemotion", "yue_eld")):
        splits = {split: load(data[name], config, split) for split in ("train", "validation", "test")}
        counts = ", ".join(f"{split} {len(ds)}" for split, ds in splits.items())
        row = splits["test"][0]
        emotions = splits["test"].features["emotions"].feature.int2str(row["emotions"])  # ClassLabel ids -> names
        samples = row["audio"].get_all_samples()  # datasets' Audio decodes through torchcodec
        print(
            f"      load_dataset({str(data[name])!r}, {config!r}): {counts}; first test row {row['id']}: "
            f"{', '.join(emotions) or 'no emotion'}, {samples.data.shape[-1] / samples.sample_rate:.2f} s "
            f"at {samples.sample_rate} Hz"
        )


def _run_grid(config, data: dict[str, Path], out: Path, verbose: bool, main: bool = True):
    """:func:`bimotion.grid.run_grid` in ``out/grid``; unless ``verbose``, what the grid and the libraries
    print goes to ``out/grid.log``, and the terminal gets one progress bar over its models, or, where
    stderr is no terminal (CI, a pipe: a bar there is off, :func:`bimotion.console.bar_disabled`), a
    line on stdout as each model is scored (:func:`_scored_line`).  None where the grid wrote no tables
    (:func:`bimotion.grid.workers.report_once`), after a line on stderr that says why
    (:func:`bimotion.grid.workers.no_tables`)."""
    import contextlib

    from tqdm.auto import tqdm

    from bimotion.console import bar_disabled
    from bimotion.grid import run_grid
    from bimotion.grid.workers import no_tables

    said = []  # the grid's lines: the last says why it wrote no tables
    if not main:  # another process of a launch: trains with the main one, which says and writes what the grid does
        with open(os.devnull, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            return run_grid(config, data, out / "grid", log=None)
    if verbose:

        def shown(message: str) -> None:
            said.append(message)
            print(message, flush=True)

        return no_tables(run_grid(config, data, out / "grid", log=shown), said)
    lines = bar_disabled()  # no terminal: a line per model rather than a bar's refreshes
    bar = tqdm(desc=MODELS, unit=" model x seed", file=sys.stderr, dynamic_ncols=True, disable=lines)
    stdout, start = sys.stdout, time.perf_counter()  # the real stdout: the grid's is its log
    log_path = out / "grid.log"
    try:
        with (
            open(log_path, "w", encoding="utf-8") as log,
            contextlib.redirect_stdout(log),
            contextlib.redirect_stderr(log),
        ):

            def progress(message: str) -> None:
                said.append(message)
                print(message, file=log, flush=True)
                _advance(bar, message)
                if lines and (line := _scored_line(message, time.perf_counter() - start)):
                    print(line, file=stdout, flush=True)

            result = run_grid(config, data, out / "grid", log=progress)
    except BaseException:
        print(f"the grid's log: {log_path}", file=sys.stderr)
        raise
    finally:
        bar.close()
    return no_tables(result, said, log_path)


# The bar's description, and the start of the lines that stand for it: both count (model, seed) units, in the
# words of the grid's "[grid] N models x S seeds" line
MODELS = "      models x seeds"


def _scored_line(message: str, seconds: float) -> str | None:
    """The line a grid's log line ``k/N <model> seed S scored: ...`` prints where no bar shows:
    ``models x seeds: k/N scored, M min`` (``seconds``: since the grid started); None for any other line."""
    import re

    if found := re.match(r"\[grid\] (\d+)/(\d+) .+ seed \d+ scored: ", message):
        return f"{MODELS}: {found[1]}/{found[2]} scored, {seconds / 60:.1f} min"
    return None


def _advance(bar, message: str) -> None:
    """Move the demo's bar on the grid's log lines: ``N models x S seeds``, ``k/N <model> ...``, ``training <model>``."""
    import re

    if found := re.match(r"\[grid\] (\d+) models? x (\d+) seeds?", message):
        bar.total = int(found[1]) * int(found[2])
    elif found := re.match(r"\[grid\] (\d+)/(\d+) ", message):
        bar.n, bar.total = int(found[1]), int(found[2])
        bar.set_postfix_str("", refresh=False)
    elif found := re.match(r"\[grid\] training (\S+)", message):
        bar.set_postfix_str(f"training {found[1]}", refresh=False)
    bar.refresh()
