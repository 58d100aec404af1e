"""Small aligned text tables, as every command prints them: widths come from the cells, so a long
corpus or config name (a user's own corpus) shifts its column instead of pushing the row out of line."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: ``1 shard``, ``2 shards``, ``0 shards`` (``plural``:
    a noun that does not just take an ``s``)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def joined(items) -> str:
    """``items`` listed in a sentence: ``a``, ``a and b``, ``a, b and c`` (none: empty)."""
    items = [str(item) for item in items]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def hours_text(hours: float) -> str:
    """Hours to two decimals; under 0.005 but not none (a few clips, which 0.00 would show as none) ``<0.01``."""
    return "<0.01" if 0 < hours < 0.005 else f"{hours:.2f}"


def aligned_lines(rows: list[list[str]], *, indent: str = "  ", text_columns: int = 1) -> list[str]:
    """``rows`` (the first one usually a header) as lines: the first ``text_columns`` columns
    left-aligned, the others (numbers) right-aligned, two spaces between columns; no line ends in
    blanks (a last column of text, or an empty last cell: the mean row's clips)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        (
            indent
            + "  ".join(
                cell.ljust(w) if i < text_columns else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))
            )
        ).rstrip()
        for row in rows
    ]


def aligned(rows: list[list[str]], *, indent: str = "  ", text_columns: int = 1) -> str:
    """:func:`aligned_lines` joined into one text."""
    return "\n".join(aligned_lines(rows, indent=indent, text_columns=text_columns))
