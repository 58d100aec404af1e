"""Check a prepared YueMotion folder (as `bimotion check`)."""

from bimotion.commands.check import HELP, add_arguments, run

__all__ = ["HELP", "add_arguments", "run"]
