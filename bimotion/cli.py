"""`bimotion` command line: one sub-command per module in :mod:`bimotion.commands`.

Each command module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
A command that trains (``TRAINS = True``: advise, demo) is refused, as every recipe, where ``accelerate launch``
started one process of several asked (:func:`bimotion.training.launched_alone.lone_launch`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import textwrap

from bimotion.console import HELP_WIDTH  # the commands' descriptions are written to it

COMMANDS: tuple[str, ...] = ("sources", "scan", "prepare", "check", "push", "demo", "advise", "predict")


DESCRIPTION = (
    "Speech emotion recognition across languages and age groups: read the raw corpora, prepare "
    "BiMotion/YueMotion as Hub-ready datasets, check and publish them; advise which cross-group data "
    "helps a target group; predict emotions in recordings with a trained model. "
    "`bimotion COMMAND --help` says what a command reads and writes, its defaults and an example; "
    "`bimotion demo` runs every stage on a generated corpus."
)


def build_parser(
    prog: str = "bimotion", commands=COMMANDS, package: str = "bimotion.commands", description: str = DESCRIPTION
) -> argparse.ArgumentParser:
    from bimotion.training.parsing import said_by_the_main_process  # light: neither torch nor transformers

    parser = argparse.ArgumentParser(  # the description wrapped as the commands' docstrings are
        prog=prog,
        description=textwrap.fill(description, HELP_WIDTH),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    said_by_the_main_process(parser)  # a usage error: said once for a launch (accelerate launch -m bimotion advise)
    parser.add_argument("--version", action="version", version=_version(prog))
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands:
        module = importlib.import_module(f"{package}.{name}")
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=(module.__doc__ or module.HELP).strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        said_by_the_main_process(p)  # the command's (`advise --seeds x`) alike
        # also after the command (`bimotion demo --verbose`); SUPPRESS: not given there keeps the top level's
        p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
        p.set_defaults(_run=module.run, _parser=p)  # _parser: a stray is said with the command's usage and flags
    return parser


VERBOSE_HELP = (
    "print everything: the libraries' logs, progress bars and warnings "
    "(default: one bar per stage, the results, warnings about your files, errors)"
)


def _version(prog: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("bimotion")
    except PackageNotFoundError:  # a source checkout that was never installed
        found = "unknown (not installed)"
    return f"{prog} {found}" if prog == "bimotion" else f"{prog} (bimotion {found})"


def main(
    argv=None,
    *,
    prog: str = "bimotion",
    commands=COMMANDS,
    package: str = "bimotion.commands",
    description: str = DESCRIPTION,
) -> int:
    parser = build_parser(prog, commands, package, description)
    args, stray = parser.parse_known_args(argv)  # parse_args, with the fix of `--source NAME DIR` among its strays
    if stray:
        from bimotion.commands.source_args import unrecognized
        from bimotion.mistyped import did_you_mean

        said = unrecognized(sys.argv[1:] if argv is None else list(argv), stray)
        if stray[0].startswith("--"):  # a mistyped flag (--layot): the command's flag meant
            flags = [flag for action in args._parser._actions for flag in action.option_strings]
            said += did_you_mean(stray[0].partition("=")[0], flags)
        args._parser.error(said)
    from bimotion.console import quiet
    from bimotion.extras import said_missing
    from bimotion.memory import ready_for_a_limit

    command = f"{prog} {args.command}"
    if said_missing(command, getattr(sys.modules[args._run.__module__], "NEEDS", ())):  # before any work: a wheel
        return 2  # installed without its extras
    _refuse_lone_launch(args, prog)
    quiet(args.verbose)
    ready_for_a_limit()  # under a memory limit: memory kept for the out-of-memory line, and no glibc abort after it
    return _run(args, command)


def _run(args, command: str) -> int:
    """The command's exit code: its errors each one line, with the fix, said once for a launch (``error_once``)."""
    from bimotion.extras import EXTRAS, missing_message
    from bimotion.hub import HubError
    from bimotion.hub_timeouts import TimeoutSettingError
    from bimotion.memory import ALLOCATION_FAILURES, said_out_of_memory
    from bimotion.signals import during, exit_code, stop_word, terminate_as_interrupt
    from bimotion.training.checkpoints import ForeignCard
    from bimotion.training.parsing import error_once
    from bimotion.training.processes import on_main_process
    from loaders.errors import CorpusError, DamagedFileError, MissingToolError, audience

    with audience("cli"), terminate_as_interrupt():  # errors name flags (--skip-bad); SIGTERM stops as Ctrl-C does
        try:
            return int(args._run(args) or 0)
        except (CorpusError, DamagedFileError, MissingToolError, TimeoutSettingError) as err:  # named, with the fix;
            error_once(err)  # once for a launch (advise's), whose every process may meet it
            return 2
        except ForeignCard as err:  # the demo's grid: a model folder holding the user's README.md, as train.py says it
            error_once(err.said("--output"))  # advise and demo name their folder --output
            return 2
        except HubError as err:  # advise's grid: a config's base model or probe encoder the Hub refused or did not
            error_once(err)  # send (bimotion.hub_models), met by every process of a launch; exit 1 as the recipes'
            return 1
        except ModuleNotFoundError as err:  # an optional dependency that NEEDS did not name
            if err.name not in EXTRAS:  # not the package itself (a submodule missing from an old version: raised)
                raise
            print(f"error: {missing_message(command, [err.name])}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as err:  # Ctrl-C (130) or SIGTERM (143): what was being written is removed
            if on_main_process():  # one line for a launch (advise's, demo's), as recipes/grid.py says it
                print(f"{stop_word(err)}{during(err)}", file=sys.stderr)  # a grid's: the model it stopped
            return exit_code(err)
        except BrokenPipeError:  # `bimotion sources | head`: the reader left, which is no error to report
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor at the exit's flush
            return 141
        except ALLOCATION_FAILURES as err:  # an allocation that failed: one line, the fix (last: OSError is one)
            return said_out_of_memory(err, command)


def _refuse_lone_launch(args, prog: str) -> None:
    """Exit 2 where a command that trains (``TRAINS``: advise, demo) is the one process ``accelerate launch`` started
    of several asked (:func:`~bimotion.training.launched_alone.lone_launch`), as every recipe, before any work."""
    if getattr(sys.modules[args._run.__module__], "TRAINS", False):
        from bimotion.training.launched_alone import lone_launch
        from bimotion.training.parsing import usage_error

        if lone := lone_launch(f"-m {prog} {args.command}"):  # the one process of `accelerate launch --cpu -n 2`
            usage_error(lone)


if __name__ == "__main__":
    sys.exit(main())
