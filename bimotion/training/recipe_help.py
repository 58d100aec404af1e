"""The recipes' ``--help`` (:func:`describe`, called by :func:`.parsing.parse_arguments`): the recipe's
docstring as the description, the arguments whose defaults are ours and :data:`COMMON_FLAGS` shown, the
other ``TrainingArguments`` flags hidden unless ``--help_all`` (:func:`asks_help_all`, in any abbreviation)
asks for every one.  Light: ``transformers`` is read only where it is already imported."""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import MISSING, dataclass, fields


def asks_help_all(parser, argv: list[str]) -> bool:
    """Whether ``argv`` asks for ``--help_all``: in full, or in any abbreviation argparse takes for it (a
    prefix longer than ``--help``, argparse's own flag: ``--help_a``), before a ``--`` that ends the flags."""
    args = itertools.takewhile(lambda arg: arg != "--", argv)
    return any(
        arg == "--help_all" or (parser.allow_abbrev and len(arg) > len("--help") and "--help_all".startswith(arg))
        for arg in args
    )


# TrainingArguments flags the short --help lists beside ours (every flag works; --help_all lists them)
COMMON_FLAGS = (
    "output_dir", "bf16", "fp16", "gradient_accumulation_steps", "activation_checkpointing", "max_steps",
    "dataloader_num_workers", "resume_from_checkpoint", "report_to", "push_to_hub", "hub_model_id", "use_cpu",
)  # fmt: skip
RENAMED_FLAGS = {"activation_checkpointing": "gradient_checkpointing"}  # transformers 5's name: its 4.x name


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The recipe's docstring (usage examples) kept as written; one spelling per flag (``--a_b``, not
    also ``--a-b``); a default shown unless it is None or the help already names one."""

    def _format_action_invocation(self, action) -> str:
        if not action.option_strings:
            return super()._format_action_invocation(action)
        if action.nargs == 0:
            return ", ".join(dict.fromkeys(o[:2] + o[2:].replace("-", "_") for o in action.option_strings))
        return f"{action.option_strings[0]} {self._format_args(action, self._get_default_metavar_for_optional(action))}"

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        if action.default is None or action.default is argparse.SUPPRESS or "(default" in text or action.nargs == 0:
            return text
        return f"{text} (default: %(default)s)".strip()


def describe(parser, doc: str | None, *, full: bool, shown=None, file_only: bool = False) -> None:
    """The recipe's docstring as the description; unless ``full``, hide the ``TrainingArguments`` flags
    that keep transformers' defaults (except :data:`COMMON_FLAGS`), or, given ``shown``, every flag but
    the first dataclass's and those; and say how to see them (``file_only``: and that those the recipe
    does not read are taken from an arguments file only)."""
    TrainingArguments = _training_arguments()
    parser.formatter_class = _HelpFormatter
    if doc and not parser.description:
        parser.description = doc.replace("``", "`").strip()
    own = {dtype: _own_fields(dtype) for dtype in parser.dataclass_types if dtype is not TrainingArguments}
    mine = set().union(*own.values())
    ours_over_stock = {name for dtype, names in own.items() if issubclass(dtype, TrainingArguments) for name in names}
    listed = None if shown is None else set(_own_fields(parser.dataclass_types[0])) | set(shown)
    stock = {f.name for f in fields(TrainingArguments)}
    common = {RENAMED_FLAGS.get(name, name) if name not in stock else name for name in COMMON_FLAGS}
    hidden = 0
    for action in parser._actions:
        # `--no_flag` that HfArgumentParser adds for a flag defaulting to true (`--flag false` says it);
        # a flag named no_* itself (grid.py's --no_projections) is no negation
        negation = any(option.startswith("--no_") and option[2:] != action.dest for option in action.option_strings)
        if action.help == argparse.SUPPRESS or action.dest == "help":
            continue
        if negation and not full:
            action.help = argparse.SUPPRESS
        elif not full and (
            action.dest not in listed
            if listed is not None
            else action.dest in stock and action.dest not in mine and action.dest not in common
        ):
            action.help, hidden = argparse.SUPPRESS, hidden + 1
        elif action.dest in ours_over_stock and action.dest in stock:
            stock_default = TrainingArguments.__dataclass_fields__[action.dest]
            base = (
                stock_default.default_factory()
                if stock_default.default_factory is not MISSING
                else stock_default.default
            )
            if base != action.default:
                action.help = f"{action.help or ''} (transformers' default: {base})".strip()
    if hidden and listed is not None:
        parser.epilog = (
            f"{hidden} more arguments, the training recipes' and transformers.TrainingArguments', are accepted "
            "too, so that one arguments file can serve training and this (--help_all lists them)."
            + (
                " Those this does not read are taken from an arguments file only: typed, they are refused."
                if file_only
                else ""
            )
        )
    elif hidden:
        parser.epilog = (
            f"Every transformers.TrainingArguments flag applies: {hidden} more keep transformers' defaults "
            "(--help_all lists them). Arguments may also come from one file: `%(prog)s args.yaml [--FLAG VALUE ...]`."
        )


def _training_arguments() -> type:
    """``transformers.TrainingArguments`` if it is imported, else a stand-in class: a parser none of
    whose dataclasses subclasses it (probe.py, project.py, grid.py) need not import torch and
    accelerate with it for its ``--help``."""
    module = sys.modules.get("transformers.training_args")
    return module.TrainingArguments if module is not None else _NoTrainingArguments


@dataclass
class _NoTrainingArguments:
    """No fields: what :func:`describe` hides and :func:`_own_fields` leaves out when no dataclass is
    a ``TrainingArguments``."""


def _own_fields(dtype) -> set[str]:
    """The fields ``dtype`` declares itself (for a ``TrainingArguments`` subclass: its changed defaults and new flags)."""
    TrainingArguments = _training_arguments()
    base = TrainingArguments.__dataclass_fields__ if issubclass(dtype, TrainingArguments) else {}
    return {name for name, f in dtype.__dataclass_fields__.items() if base.get(name) is not f}
