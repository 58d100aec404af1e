"""Upload a prepared YueMotion folder to the Hugging Face Hub (as `bimotion push`; private by default)."""

from bimotion.commands.push import HELP, add_arguments, run

__all__ = ["HELP", "add_arguments", "run"]
