"""`yuemotion` command line: prepare, check and push YueMotion (the `bimotion` CLI, for YueMotion).

Example:
  yuemotion prepare --source ~/corpora/YueMotion --output yuemotion
"""

from __future__ import annotations

import sys

from bimotion.cli import main as _main

COMMANDS: tuple[str, ...] = ("prepare", "check", "push")
DESCRIPTION = (
    "YueMotion, Cantonese speech emotion of adults and the elderly: prepare the raw release as a "
    "Hub-ready dataset, check it and publish it (training and advice: the `bimotion` command and recipes)."
)


def main(argv=None) -> int:
    return _main(argv, prog="yuemotion", commands=COMMANDS, package="yuemotion.commands", description=DESCRIPTION)


if __name__ == "__main__":
    sys.exit(main())
