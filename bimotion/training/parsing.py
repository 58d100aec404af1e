"""The recipes' command line, like the ``transformers`` examples': :func:`parse_arguments` (one usage
error line for any bad value, a file of arguments, a short ``--help`` with the recipe's docstring and
our defaults, ``--help_all``, ``--verbose``; the help text is :mod:`.recipe_help`'s).  The argument
dataclasses and their checks are :mod:`.args` (which re-exports these names).  Importing this module
is light (neither ``transformers`` nor torch), so a check that raises :class:`ArgumentError` answers
at once."""

from __future__ import annotations

import argparse
import copy
import itertools
import math
import numbers
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from .launched_alone import lone_launch, one_process_only
from .processes import WORLD_SIZE_NAMES, cpu_only_distributed, leave_process_group_at_exit, note, on_main_process
from .provenance import record_command
from .recipe_help import asks_help_all, describe


class ArgumentError(ValueError):
    """A bad recipe argument, found before any data is read or any model is built; the message names it."""


@dataclass(frozen=True)
class Range:
    """The values a numeric argument may take: from ``low`` to ``high``, each end included unless
    open, and never NaN or infinite; ``note`` is said after the range."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    note: str = ""

    def __contains__(self, value) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below) and math.isfinite(value)  # NaN fails every comparison

    def __str__(self) -> str:
        if self.high == math.inf:
            text = f"{'>' if self.low_open else '>='} {self.low:g}"
        else:
            text = f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"
        return f"{text} ({self.note})" if self.note else text


POSITIVE = Range(0, low_open=True)
NON_NEGATIVE = Range(0)
PROBABILITY = Range(0, 1)
DROPOUT = Range(0, 1, high_open=True)


def check_ranges(obj, ranges: Mapping[str, Range]) -> None:
    """Each ``--name`` of ``ranges`` that ``obj`` sets (not None) lies in its :class:`Range`: the one
    numeric check of the recipes' arguments; raises :class:`ArgumentError` naming the first that does not."""
    for name, allowed in ranges.items():
        value = getattr(obj, name)
        if value is not None and value not in allowed:
            raise ArgumentError(f"--{name} must be {allowed}, not {value}")


def whole_number(value) -> bool:
    """``value`` is a whole number: an int or a numpy integer (``numbers.Integral``: a config built in Python with
    ``np.int64(2)``), not a bool (an int to Python, but ``true`` in a config is no count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_seeds(seeds: Iterable[int] | None, flag: str = "--seeds") -> None:
    """At least one seed, each a whole number (:func:`whole_number`) in [0, 2**32), none twice (``None``: not given,
    nothing to check)."""
    if seeds is None:
        return
    seeds = list(seeds)
    if not seeds:
        raise ArgumentError(f"{flag} must list at least one seed")
    bad = [s for s in seeds if not whole_number(s) or not 0 <= s < 2**32]  # a config's '0' or 1.5: not a seed
    if bad:
        raise ArgumentError(f"{flag} must be integers in [0, 2**32), not {bad[0]!r}")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ArgumentError(f"{flag} lists seed {repeated[0]} more than once")


def check_bootstrap_samples(samples: int, flag: str = "--bootstrap_samples") -> None:
    """A whole number (:func:`whole_number`) of bootstrap resamples > 0; ``flag`` names where it was given."""
    if not whole_number(samples) or samples < 1:  # a config's '10' was a TypeError
        raise ArgumentError(f"{flag} must be a whole number > 0, not {samples!r}")


def one_line(err: BaseException | str) -> str:
    text = err.args[0] if isinstance(err, KeyError) and err.args else err  # KeyError's str() adds quotes
    return " ".join(str(text).split())


MAIN_SAYS_S = 10.0  # how long a launch's other process waits to be stopped once the main process said a usage error


def said_by_the_main_process(parser) -> None:
    """On a launch's other processes (``accelerate launch --num_processes N``: not :func:`on_main_process`),
    ``parser``'s usage errors are the main process's to say, once: given the same arguments, it says the same error
    and exits 2, and the launcher (torchrun's agent) then stops the others, so none prints it again (each exits
    non-zero).  One still running after :data:`MAIN_SAYS_S` (its error its own, or a launcher that stops none)
    says it and exits 2 (:func:`main_says`).  The recipes' later ``parser.error`` (grid.py's) alike."""
    if on_main_process() or getattr(parser.error, "waits_for_the_main_process", False):  # a parser parsed twice
        return
    parser.error = main_says(parser.error)


def main_says(say):
    """``say`` (a function printing one error line), said once for a launch of several processes: at once on the
    main process, which then exits non-zero, and the launcher stops the others; on each other process only after
    :data:`MAIN_SAYS_S`, where it is still running (its error its own, or a launcher that stops none).  A usage
    error (:func:`said_by_the_main_process`) and an error every process meets (``recipes/grid.py``'s damaged
    marker, its ``StaleMarker``) alike."""
    if on_main_process():
        return say

    def later(*args, **kwargs):
        import time

        time.sleep(MAIN_SAYS_S)
        return say(*args, **kwargs)

    later.waits_for_the_main_process = True
    return later


def error_once(err: BaseException | str) -> None:
    """``error: ERR`` on standard error, said once for a launch of several processes (:func:`main_says`): an error
    every process meets (a grid's or advise's output folder, a damaged file of the data they all read)."""
    main_says(lambda line: print(f"error: {line}", file=sys.stderr, flush=True))(err)


def parse_arguments(
    parser, argv=None, check=None, *, shown=None, file_only=None, file_ignored=(), said=None, alone=None
) -> tuple:
    """``parser.parse_args_into_dataclasses(argv)``, then ``check(*parsed)``: a bad value, including one
    ``TrainingArguments`` itself rejects, exits as a usage error (code 2, one line naming the argument, said once
    in a launch: :func:`said_by_the_main_process`), never as a traceback, and before any data is read.

    Like the ``transformers`` examples: a single ``args.json``/``args.yaml`` argument holds the arguments
    (flags after it override it); ``--help`` shows the calling recipe's docstring and the arguments
    whose defaults are ours, ``--help_all`` every ``TrainingArguments`` flag.  ``shown`` (a recipe
    that only reads some of the shared dataclasses' fields, e.g. inference) narrows ``--help`` to the
    first dataclass's fields and these.  ``--verbose`` keeps the libraries' logs and bars
    (:func:`bimotion.console.quiet`).  ``file_only`` (``{field: error}``) names fields an arguments file
    may hold (the recipe ignores them) but the command line may not: typed, in any spelling argparse
    takes, they are refused with ``error`` (``{value}``: what was typed).  ``file_ignored`` (boolean fields
    whose value the dataclasses check against this machine: a file's ``bf16: true`` or ``tf32: true`` is
    refused without a GPU; or a function of the file's flags giving them) are parsed at their defaults from
    an arguments file, which the command names as written (:func:`file_defaults`); a value so changed is
    said after the checks, in one note on the main process, with ``said(*parsed)``: what the recipe does instead.
    ``alone`` (a recipe that runs in one process: what each process of a launch of several would do) refuses such a
    launch (:func:`several_processes`), first."""
    from bimotion.console import quiet

    argv = list(sys.argv[1:] if argv is None else argv)
    parser.usage = parser.usage or "%(prog)s [ARGS.yaml|ARGS.json] [-h] [--help_all] [--ARGUMENT VALUE ...]"
    _described(parser, sys._getframe(1).f_globals.get("__doc__"), argv, shown, file_only)
    leave_process_group_at_exit()
    said_by_the_main_process(parser)
    if cpu_only_distributed():
        parser.set_defaults(use_cpu=True)  # before TrainingArguments set up devices
    try:
        path, from_file = None, []
        if argv and argv[0].endswith((".json", ".yaml", ".yml")):
            path, from_file, argv = argv[0], file_arguments(argv[0]), argv[1:]
        typed, argv = argv, from_file + argv
        record_command(sys._getframe(1).f_globals.get("__file__"), argv)  # what scores.json's provenance names
        # before the dataclasses' own checks: a training flag's value is not what is wrong
        _refuse_file_only(parser, path, from_file, typed, file_only or {})
        from_file, defaulted = file_defaults(parser, from_file, file_ignored)
        parsed = list(parser.parse_args_into_dataclasses(from_file + typed))
        extra = parsed[-1] if parsed and isinstance(parsed[-1], argparse.Namespace) else argparse.Namespace()
        verbose = getattr(extra, "verbose", False)
        for key in {"verbose", "help_all"} & set(vars(extra)):  # ours
            delattr(extra, key)
        if parsed and parsed[-1] is extra and not vars(extra):
            parsed.pop()
        quiet(verbose)
        _checked(check, parsed, alone)  # accelerate launch --cpu --num_processes N (one process) refused first
        if defaulted and said:  # one note, not a silent change
            note(f"note: {path}'s {', '.join(defaulted)} {'are' if defaulted[1:] else 'is'} not read: {said(*parsed)}")
    except ValueError as err:  # ArgumentError, and the dataclasses' own __post_init__ checks
        usage_error(err, parser)
    return tuple(parsed)


def _described(parser, doc: str | None, argv: list[str], shown, file_only) -> None:
    """``parser``'s ``--help`` (the recipe's docstring ``doc`` and our defaults; :func:`describe`) and our flags,
    ``--verbose`` and ``--help_all``, for :func:`parse_arguments`."""
    describe(parser, doc, full=asks_help_all(parser, argv), shown=shown, file_only=bool(file_only))
    if "--verbose" not in parser._option_string_actions:  # a parser parsed twice keeps them
        parser.add_argument("--verbose", action="store_true", help="print the libraries' logs, bars and warnings too")
    if "--help_all" not in parser._option_string_actions:
        parser.add_argument("--help_all", action="help", help="show every argument, TrainingArguments' included")


def usage_error(err: Exception | str, parser: argparse.ArgumentParser | None = None) -> NoReturn:
    """Exit 2 on a usage error ``err``, before any work: the one way every command and recipe says one.  With a
    recipe's ``parser``, its usage and ``err`` on one line (``grid.py: error: ...``), said once for a launch: its
    processes parse the same arguments, so the main process says it and the others wait to be stopped
    (:func:`said_by_the_main_process`, which :func:`parse_arguments` installs; one error for the user, the launch
    still failing).  Without one (a ``bimotion`` command's check after argparse's: ``--source NAME=`` given twice),
    the line ``error: err`` on stderr, as the commands' other errors."""
    if parser is not None:
        parser.error(one_line(err))
    print(f"error: {err}", file=sys.stderr)
    raise SystemExit(2)


def _checked(check, parsed: list, alone: str | None = None) -> None:
    """The parsed arguments' checks: a usage error where ``accelerate launch`` started this one process of the
    several asked (:func:`~.launched_alone.lone_launch`), naming the command that starts them (of a recipe that runs in
    one, ``alone``, the command that runs it alone), or several processes of such a recipe (:func:`several_processes`);
    then ``check(*parsed)``, the recipe's own."""
    if lone := lone_launch(alone=alone):
        raise ArgumentError(lone)
    if alone is not None and (several := several_processes(alone)):
        raise ArgumentError(several)
    if check is not None:
        check(*parsed)


def several_processes(why: str) -> str | None:
    """Why a recipe that runs in one process refuses this launch of several (``WORLD_SIZE`` > 1: ``accelerate launch
    --multi_gpu --num_processes N``, torchrun; or mpirun's count, :data:`~.processes.WORLD_SIZE_NAMES`, which
    accelerate's state copies to ``WORLD_SIZE`` only later), ``why`` saying what each of them would do, with the
    command that runs it; None for one process."""
    count = max(int(os.environ.get(name) or "1") for name in WORLD_SIZE_NAMES)
    if count <= 1:
        return None
    return one_process_only(sys.argv[0], str(count), why)


def _refuse_file_only(parser, path: str | None, from_file: list[str], typed: list[str], file_only: dict) -> None:
    """Raise :class:`ArgumentError` where the command line (``typed``, after the arguments file ``path``
    read as ``from_file``) sets a field of ``file_only``: typed (its error), or by values typed bare after
    the file, which argparse reads as more of the file's last flag (naming them and that reading)."""
    typed_values = _typed_values(parser, from_file, typed, list(file_only))
    for name, error in file_only.items():
        if (value := typed_values[name]) is not None:
            raise ArgumentError(error.format(value=" ".join(map(str, value)) if isinstance(value, list) else value))
    if (extended := _extends_file(parser, from_file, typed)) and extended[0].dest in file_only:
        _, last, bare = extended
        raise ArgumentError(_extends_error(parser.prog, path, from_file, last, bare))


_UNTYPED = "\0untyped"
_HELP = "\0help"


def _typed_values(parser, from_file: list[str], typed: list[str], names: list[str]) -> dict:
    """What the command line (``typed``, after the arguments file's ``from_file``) sets each field of
    ``names`` to, None where it does not set it: argparse itself reads the typed arguments alone
    (:func:`_text_reader`: each spelling and abbreviation ``parser`` takes), its defaults replaced by a
    stand-in (argparse sets none an attribute already has), so what is not the stand-in was typed.
    Values typed bare, first, after an arguments file are left out (:func:`_extends_file` says what they
    extend)."""
    if not names:
        return {}
    bare = _bare(typed) if from_file else []
    namespace = argparse.Namespace(**dict.fromkeys(names, _UNTYPED))
    namespace, _ = _text_reader(parser, names).parse_known_args(typed[len(bare) :], namespace=namespace)
    if getattr(namespace, _HELP):  # help, as the parse after shows it, before any refusal
        return dict.fromkeys(names)
    return {name: None if getattr(namespace, name) == _UNTYPED else getattr(namespace, name) for name in names}


def _text_reader(parser, names: list[str]) -> argparse.ArgumentParser:
    """A parser of ``parser``'s flags (copies of its actions: each spelling, so the same abbreviations)
    that reads what was typed alone: none required (given in the file, or missing: not this question),
    the fields of ``names`` as text (so a number's, a boolean's or a choice's flag is read too), and a
    help flag only noted (``--help_all``: shown by the parse after, choices and all)."""
    reader = argparse.ArgumentParser(
        prog=parser.prog, usage=parser.usage, add_help=False, allow_abbrev=parser.allow_abbrev,
        prefix_chars=parser.prefix_chars,
    )  # fmt: skip
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            reader.add_argument(*action.option_strings, dest=_HELP, action="store_true")
            continue
        copied = copy.copy(action)
        copied.required = False
        if action.dest in names:
            copied.type = copied.choices = None
        reader._add_action(copied)
    return reader


def _bare(typed: list[str]) -> list[str]:
    """The values typed bare, first, on the command line (``eng_adu`` of ``infer.py args.yaml eng_adu``): after
    an arguments file, argparse reads them as more values of the file's last flag."""
    return list(itertools.takewhile(lambda arg: not arg.startswith("-"), typed))


def _extends_file(parser, from_file: list[str], typed: list[str]) -> tuple | None:
    """The action of the arguments file's last flag, that flag's index in ``from_file`` and the values
    typed bare, first, after the file (:func:`_bare`), where argparse reads them as more values of that
    flag: where it takes a list (after a single value's flag argparse itself refuses them, as unused); else None."""
    bare = _bare(typed)
    last = max((i for i, arg in enumerate(from_file) if arg.startswith("--")), default=None)
    action = parser._option_string_actions.get(from_file[last]) if last is not None else None
    if not bare or action is None or action.nargs not in ("+", "*"):
        return None
    return action, last, bare


def _extends_error(prog: str, path: str, from_file: list[str], last: int, bare: list[str]) -> str:
    """The refusal of values typed bare after the arguments file ``path`` that extend its last flag (at index
    ``last`` of ``from_file``), one ``prog`` takes from a file only: it names what was typed, how argparse read it,
    and the key as the file spells it."""
    read = " ".join([*from_file[last:], *bare])
    return (
        f"{' '.join(bare)}: typed after {path}, argparse reads this as more values of the file's last key, "
        f"{from_file[last][2:]} (`{read}`), which {prog} takes from an arguments file only: type the flag meant before it"
    )


def file_defaults(parser, from_file: list[str], names) -> tuple[list[str], list[str]]:
    """``from_file`` (:func:`file_arguments`) with the value of each flag of ``names`` (boolean fields, in any
    spelling the parser has; or a function of ``from_file`` giving them, asked once: where asking the machine
    costs, as infer.py's ``tf32``, which sets up CUDA) replaced by the field's default, ``true`` or ``false``
    (an optional boolean's None: ``false``), where the flag reads it (a value it does not read, as ``bf16: maybe``, is refused as
    before): the flags stay where they are, so values typed bare after the file extend (or are refused
    after) the same flag as before.  And the values so changed, ``key: value`` as the file spells them
    (``bf16: true``), to be said."""
    names = set(names(from_file) if callable(names) else names)
    out, changed, current = [], [], None
    for arg in from_file:
        if arg.startswith("--"):
            action = parser._option_string_actions.get(arg)
            current = action if action is not None and action.dest in names else None
            if current is not None and not (isinstance(current.default, bool) or _optional_boolean(current)):
                raise TypeError(f"file_ignored names {current.dest}, not a boolean field")
            key = arg[2:]
        elif current is not None and _reads(current, arg):
            changed += [f"{key}: {arg}"] if bool(current.type(arg)) != bool(current.default) else []
            arg = str(bool(current.default)).lower()
        out.append(arg)
    return out, changed


def _optional_boolean(action) -> bool:
    """Whether ``action`` is an optional boolean field's (``bool | None``, default None, as ``tf32``): its
    type reads ``false`` as False."""
    return action.default is None and action.type is not None and _reads(action, "false") and not action.type("false")


def _reads(action, value: str) -> bool:
    """Whether ``action``'s type takes ``value`` (one it does not is left for argparse to refuse)."""
    try:
        (action.type or str)(value)
    except (TypeError, ValueError, argparse.ArgumentTypeError):
        return False
    return True


def file_arguments(path: str) -> list[str]:
    """A JSON or YAML file of ``{argument: value}`` as command-line arguments (lists as several values,
    booleans as true/false), so that they go through the same parsing and checks as flags."""
    import json

    import yaml

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        values = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise ArgumentError(f"{path}: cannot read the arguments file ({one_line(err)})") from err
    if not isinstance(values, dict):
        raise ArgumentError(f"{path}: write the arguments as a mapping, one `name: value` per line")
    out = []
    for key, value in values.items():
        if value is None:
            raise ArgumentError(f"{path}: {key} is null; leave it out for its default")
        items = value if isinstance(value, list) else [value]
        out += [f"--{key}"] + [str(v).lower() if isinstance(v, bool) else str(v) for v in items]
    return out
