"""The `--source NAME=DIR` arguments (raw corpus folders) shared by the commands that read raw corpora."""

from __future__ import annotations

import argparse

from loaders import READERS


def parse_source(text: str) -> tuple[str, str]:
    name, sep, root = text.partition("=")
    if not sep or not root:
        raise argparse.ArgumentTypeError(f"expected NAME=DIR, got {text!r}")
    if name not in READERS:
        raise argparse.ArgumentTypeError(f"unknown corpus {name!r}; choose one of: {', '.join(READERS)}")
    return name, root


def add_source_argument(parser: argparse.ArgumentParser, *, required: bool = True, help: str | None = None) -> None:
    """The repeatable ``--source NAME=DIR`` (``args.sources``: a list of ``(name, dir)``, empty when not given)."""
    parser.add_argument(
        "--source",
        dest="sources",
        metavar="NAME=DIR",
        action="append",
        type=parse_source,
        required=required,
        default=[],
        help=help
        or f"a corpus and the folder its raw release was unpacked into (repeatable); NAME is one of: {', '.join(READERS)}",
    )


def add_source_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--source`` and ``--skip-bad``, of the commands that read whole raw corpora."""
    add_source_argument(parser, required=required)
    parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unusable files (git-LFS stubs, truncated or non-audio files, unknown labels, missing metadata) "
        "and report them by reason, instead of stopping at the first one",
    )


def sources_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, root in pairs:
        if name in out:
            raise SystemExit(f"error: --source {name}= given twice ({out[name]} and {root})")
        out[name] = root
    return out
