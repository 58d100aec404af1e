"""Prepare YueMotion from its raw release into a folder that `datasets` loads and the Hub serves.

Example:
  yuemotion prepare --source ~/corpora/YueMotion --output yuemotion --protocol speaker

--source DIR is the folder holding the extracted wavs (and, when present, the published
{train,validation,test}_metadata.csv, whose split the `paper` protocol then uses).  Configs:
yue_adu, yue_eld and all.  Everything else works as in `bimotion prepare`.
"""

from __future__ import annotations

from bimotion.commands.prepare import add_output_arguments, execute

HELP = "decode, resample and write YueMotion as Parquet shards + dataset card"


def add_arguments(parser) -> None:
    parser.add_argument("--source", required=True, metavar="DIR", help="the YueMotion folder (wavs extracted)")
    parser.add_argument(
        "--skip-bad", action="store_true", help="skip unusable files and report them by reason, instead of stopping"
    )
    add_output_arguments(parser, benchmark="yuemotion")


def run(args) -> int:
    return execute({"yuemotion": args.source}, args, benchmark="yuemotion")
