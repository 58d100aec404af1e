"""`yuemotion` command line: prepare, check and push YueMotion (the `bimotion` CLI, for YueMotion).

Example:
  yuemotion prepare --source ~/corpora/YueMotion --output yuemotion
"""

from __future__ import annotations

import sys

from bimotion.cli import main as _main

COMMANDS: tuple[str, ...] = ("prepare", "check", "push")


def main(argv=None) -> int:
    return _main(argv, prog="yuemotion", commands=COMMANDS, package="yuemotion.commands")


if __name__ == "__main__":
    sys.exit(main())
