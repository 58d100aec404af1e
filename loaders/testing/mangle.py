"""What passing a corpus around does to it: a metadata file opened and saved again in a spreadsheet
(:data:`SPREADSHEET_SAVES`), for tests that the readers read such copies as the originals.

>>> from loaders.testing.mangle import SPREADSHEET_SAVES
>>> path.write_bytes(SPREADSHEET_SAVES["semicolon"](path.read_text(encoding="utf-8")))
"""

from __future__ import annotations

from collections.abc import Callable


def _semicolon(text: str) -> bytes:
    """Excel in a locale with a decimal comma, "CSV UTF-8": a BOM, ``;`` between cells, CRLF."""
    return b"\xef\xbb\xbf" + _crlf(text.replace(",", ";")).encode("utf-8")


def _unicode_text(text: str) -> bytes:
    """Excel's "Unicode text": UTF-16 with its BOM, tabs between cells, CRLF."""
    return _crlf(text.replace(",", "\t")).encode("utf-16")


def _sep_line(text: str) -> bytes:
    """A ``sep=;`` first line naming the separator (which some exporters write, and Excel reads)."""
    return _crlf("sep=;\n" + text.replace(",", ";")).encode("utf-8")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


# A comma-separated UTF-8 text (cells without commas of their own) -> its bytes as saved that way.
SPREADSHEET_SAVES: dict[str, Callable[[str], bytes]] = {
    "semicolon": _semicolon,
    "unicode-text": _unicode_text,
    "sep-line": _sep_line,
}
