"""What a command that runs a grid (``demo``, ``advise``) says where the grid wrote no tables
(:func:`bimotion.grid.workers.report_once`): :func:`no_tables`, one ``error:`` line naming why."""

from __future__ import annotations

import sys
from pathlib import Path


def no_tables(result, said: list[str], log_path: Path | None = None):
    """``result``; where it is None (no tables), first one line on stderr: the tables were not written, and
    why in the grid's last ``[grid]`` line of ``said`` (``log_path``: where its log is, when not on the terminal)."""
    if result is None:
        why = next(
            (m.removeprefix("[grid] ") for m in reversed(said) if m.startswith("[grid] ")), "the grid said nothing"
        )
        where = f" (the grid's log: {log_path})" if log_path else ""
        print(f"error: the tables were not written: {why}{where}", file=sys.stderr)
    return result
