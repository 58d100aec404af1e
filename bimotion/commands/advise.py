"""Which cross-group data helps a target group?  From the groups the prepared datasets hold, train the
target's in-group baseline, every cross-group augmentation (the target plus each other group, plus
its language's other age groups, plus its age group's other languages, plus everything) and every
cross-group inference model (other groups alone), once per seed, score each on the target's test
set, and report which mixture helps most, with confidence intervals and a plain-language summary.

Examples:
  bimotion advise --target zho_eld --bimotion data/bimotion --yuemotion data/yuemotion
  bimotion advise --target yue_eld --bimotion data/bimotion --yuemotion data/yuemotion \\
      --config paper --seeds 0 1 2 --output results/advise-yue_eld      # fine-tune XLSR-53 (GPU)
  bimotion advise --config advise-tiny --bimotion demo/bimotion --yuemotion demo/yuemotion

--config is any grid config (a file, or a shipped one: probe, the default, a head on frozen log-mel
features that answers on a CPU in minutes; paper, fine-tuning XLSR-53; advise-tiny, a tiny random
wav2vec2 for generated data): its model or probe, training arguments, seeds and bootstrap are used,
its tables and projections are not; its target: and groups: are, unless given here.  Writes
advice.md, advice.json and the grid's models/, metrics/, tables/heatmap.* in --output; a rerun
resumes and reuses every finished model.  Where the backend cannot speak for the data (random
weights, as advise-tiny's; log-mel or eGeMAPS features with a baseline at chance) the advice says
so first, with the --config paper command that can.
"""

from __future__ import annotations

import sys
from pathlib import Path

NEEDS = ("torch", "transformers", "accelerate", "sklearn", "matplotlib")  # bimotion.extras
TRAINS = True  # refused as a launch of one process where several were asked (launched_alone.lone_launch)
HELP = "which cross-group data helps a target group most: train, score and report every mixture"


def add_arguments(parser) -> None:
    from .prepare import path_text

    parser.add_argument("--target", metavar="GROUP", help="the group to advise, e.g. zho_eld (or target: in --config)")
    parser.add_argument("--bimotion", metavar="DIR", help="prepared BiMotion dataset (`bimotion prepare`)")
    parser.add_argument("--yuemotion", metavar="DIR", help="prepared YueMotion dataset (`yuemotion prepare`)")
    parser.add_argument(
        "--config", metavar="NAME_OR_YAML", default=None, help="grid config: a file or a shipped name (default: probe)"
    )
    parser.add_argument(
        "--groups",
        nargs="+",
        metavar="GROUP",
        help="draw only from these groups (e.g. zho_eld zho_adu eng_eld[crema_d]; default: every prepared group)",
    )
    parser.add_argument("--seeds", nargs="+", type=int, metavar="N", help="seeds (default: the config's)")
    parser.add_argument(
        "--output", "-o", type=path_text, metavar="DIR", help="where everything goes (default: advise-TARGET)"
    )


def _checked_config(args, data_dirs: dict, note):
    """The advice's grid config, every argument checked before anything trains (``note``: its notes); None
    once the error is said (exit code 2; once for a launch, by its main process: ``error_once``): a wrong
    ``--config`` named as the flag, as the demo's (a YAML syntax error was a traceback)."""
    import yaml

    from bimotion.advise import advise_config
    from bimotion.advise.run import config_of
    from bimotion.grid.config import config_error
    from bimotion.training.parsing import error_once

    try:
        base = config_of(args.config)
    except (OSError, ValueError, TypeError, yaml.YAMLError) as err:
        error_once(config_error(args.config, err))
        return None
    try:
        return advise_config(base, data_dirs, target=args.target, groups=args.groups, seeds=args.seeds, log=note)
    except (ValueError, KeyError, FileNotFoundError) as err:
        error_once(err.args[0] if isinstance(err, KeyError) else err)
        return None


def run(args) -> int:
    from bimotion.advise import advise, summary_lines
    from bimotion.training.parsing import error_once  # a usage error, said once for a launch by its main process
    from bimotion.training.processes import note as said_once  # a note alike (on the main process alone)

    data_dirs = {"bimotion": args.bimotion, "yuemotion": args.yuemotion}
    if not any(data_dirs.values()):
        error_once("give the prepared datasets: --bimotion DIR and/or --yuemotion DIR")
        return 2
    noted: set[str] = set()  # advise() derives the same config again: its notes are printed once

    def note(line: str) -> None:
        noted.add(line)
        said_once(line)

    config = _checked_config(args, data_dirs, note)
    if config is None:
        return 2
    output = Path(args.output or f"advise-{config.target}")
    from bimotion.data.layout import output_error

    if error := output_error(output, "--output"):
        error_once(error)
        return 2
    from bimotion.advise.collect import AdviceNotCollected
    from bimotion.grid.settings import SettingsMismatch
    from bimotion.grid.workers import no_tables
    from bimotion.training.parsing import ArgumentError
    from bimotion.training.processes import on_main_process

    said: list[str] = []  # the grid's lines: the last says why it wrote no tables

    def progress(line: str) -> None:  # the grid's progress on stderr: stdout is the advice alone (`> advice.txt`)
        said.append(line)
        if line not in noted:
            print(line, file=sys.stderr)

    try:
        advice = advise(config, data_dirs, output, log=progress)
    except (SettingsMismatch, ArgumentError) as err:  # checked before anything trains, by every process of a launch
        error_once(err)  # (a probe given a Hub id, a model not cached): said once, as the usage errors above
        return 2
    except AdviceNotCollected as err:  # a unit's file to predict again: its claim's worker's (or a rerun's); every
        error_once(err)  # process of a launch reads it: said once
        return 1
    if advice is None:  # another process of the launch writes the advice
        if not on_main_process():
            return 0
        no_tables(advice, said)  # the main one: the grid wrote no tables, and the line says why
        return 1
    print("\n".join(summary_lines(advice)))
    print(f"\nadvice.md, advice.json, per-model metrics and heat map: {output}")
    return 0
