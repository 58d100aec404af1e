"""Prepare YueMotion from its raw release into a folder that `datasets` loads and the Hub serves.

Example:
  yuemotion prepare --source ~/corpora/YueMotion --output yuemotion --protocol speaker
  yuemotion prepare --source ~/corpora/YueMotion --source canto=~/data/canto --output yuemotion-canto

--source DIR (or yuemotion=DIR) is the folder holding the extracted wavs (and, when present, the
published {train,validation,test}_metadata.csv, whose split the `paper` protocol then uses).  Your
own Cantonese corpus joins it as --source NAME=DIR (the audiofolder convention: `bimotion sources --own-corpus`), with
or without the release: its groups are YueMotion's (`yue_eld`, `yue_adu`), which then hold both
corpora.  Configs: yue_adu, yue_eld and all; with your corpus also its own and yue.  Everything else
works as in `bimotion prepare`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bimotion.commands.prepare import add_output_arguments, execute
from bimotion.commands.source_args import add_own_corpus_arguments, parse_source, sources_of, space_for_equals
from loaders.audiofolder import FORMAT_HELP, NAME

HELP = "decode, resample and write YueMotion as Parquet shards + dataset card"


def parse_yuemotion_source(text: str) -> tuple[str, str]:
    """``DIR`` (the YueMotion release) or ``NAME=DIR`` (``yuemotion=DIR``, or a user's own corpus); a
    bare name that is no folder here (``--source yuemotion raw/yue``: a space for the '=') is an error
    saying so, not a folder of that name, which left ``raw/yue`` an unrecognised argument."""
    name, sep, _ = text.partition("=")
    if sep and name and not any(c in name for c in "/\\~.") and not Path(text).expanduser().is_dir():
        return parse_source(text)
    if not sep and NAME.fullmatch(text) and not os.path.lexists(text):
        raise argparse.ArgumentTypeError(
            f"expected DIR or NAME=DIR, got {text!r}, which is no folder here{space_for_equals(text)}"
        )
    return "yuemotion", text


def add_arguments(parser) -> None:
    parser.add_argument(
        "--source",
        dest="sources",
        metavar="DIR | NAME=DIR",
        action="append",
        type=parse_yuemotion_source,
        required=True,
        help="the YueMotion folder (wavs extracted), as DIR or yuemotion=DIR; and/or your own Cantonese "
        f"corpus as NAME=DIR (a folder with metadata.csv or metadata.jsonl; {FORMAT_HELP}); repeatable",
    )
    add_own_corpus_arguments(parser)
    add_output_arguments(parser, benchmark="yuemotion")


def run(args: argparse.Namespace) -> int:
    return execute(sources_of(args), args, benchmark="yuemotion")
