"""The process that started this one (its launcher), as Linux's ``/proc`` shows it: its command line
(:func:`process_arguments`), the program that command line runs past its interpreter's options (:func:`program`),
its own options, before the script it launched (:func:`launcher_options`), the value they give a flag (:func:`flag_value`) and the environment it started with (:func:`process_environment`).
Standard library only: read by :mod:`bimotion.training.launched_alone` before anything heavy loads."""

from __future__ import annotations

from pathlib import Path


def process_environment(pid: int) -> dict[str, str] | None:
    """The environment process ``pid`` started with (Linux), None where it cannot be read."""
    try:
        cells = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    pairs = (cell.decode(errors="replace").partition("=") for cell in cells if b"=" in cell)
    return {name: value for name, _, value in pairs}


def process_arguments(pid: int) -> list[str]:
    """The command line of process ``pid`` (Linux), empty where it cannot be read."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


# the options of Python's interpreter that take a value (`-X importtime`, `-W ignore`, `--check-hash-based-pycs always`)
VALUED_OPTIONS = ("W", "X")
VALUED_LONG_OPTIONS = ("--check-hash-based-pycs",)


def program(arguments: list[str]) -> str | None:
    """What the Python command line ``arguments`` runs, past its interpreter's options (``python3 -X importtime -u
    -m accelerate.commands.launch ...``): ``-m``'s module, or its script's file name (``accelerate``, as a console
    script's shebang runs it: ``python3 .../bin/accelerate launch ...``); None for ``-c``'s code, or none."""
    rest = iter(arguments[1:])
    for arg in rest:
        if arg == "--" or arg == "-" or not arg.startswith("-"):  # the script (`--` ends the options: it is next)
            script = next(rest, None) if arg == "--" else arg
            return Path(script).name if script else None
        if arg.startswith("--"):
            if arg in VALUED_LONG_OPTIONS:
                next(rest, None)
            continue
        for k, letter in enumerate(arg[1:], start=2):  # short options, several in one (`-uB`, `-Ximporttime`)
            if letter == "c":
                return None
            if letter == "m":
                return arg[k:] or next(rest, None)
            if letter in VALUED_OPTIONS:
                if k == len(arg):
                    next(rest, None)
                break
    return None


def launcher_options(arguments: list[str], launched: list[str]) -> list[str]:
    """The launcher's own part of its command line ``arguments`` (``accelerate launch --cpu --num_processes 2``): what
    comes before the script it launched (or ``-m``'s module), whose own arguments, ``launched`` (this process's
    ``sys.argv[1:]``, passed on as they were given), end it: a script's own ``--num_processes`` is no launcher's.
    Where they do not end it (a wrapper that changed ``sys.argv``), all of ``arguments``."""
    launched = list(launched)
    if len(arguments) > len(launched) and arguments[len(arguments) - len(launched) :] == launched:
        return arguments[: len(arguments) - len(launched) - 1]
    return arguments


def flag_value(argv: list[str], flags: tuple[str, ...]) -> str | None:
    """The value ``argv`` gives a flag of ``flags``, its spellings (``--flag V`` or ``--flag=V``), its last; None
    where none."""
    value = None
    for k, arg in enumerate(argv):
        name, equals, given = arg.partition("=")
        if arg in flags and k + 1 < len(argv):
            value = argv[k + 1]
        elif equals and name in flags:
            value = given
    return value
