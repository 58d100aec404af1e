"""What passing a corpus (or a prepared folder) around does to it: a metadata file opened and saved
again in a spreadsheet (:data:`SPREADSHEET_SAVES`), the files Finder, Explorer and a zip made on macOS
leave in every folder (:func:`add_browser_files`), a zip made on Windows unpacked by a tool that keeps
its backslashes (:func:`unpacked_with_backslashes`), the names a browser or a file manager gives a second
copy of a file (:func:`copy_names`); for tests that such copies read as the originals.

>>> from loaders.testing.mangle import SPREADSHEET_SAVES, add_browser_files
>>> path.write_bytes(SPREADSHEET_SAVES["semicolon"](path.read_text(encoding="utf-8")))
>>> add_browser_files(root)   # ._x.wav beside x.wav, .DS_Store, Thumbs.db, desktop.ini, __MACOSX/
>>> unpacked_with_backslashes(root)   # AudioWAV/a.wav -> a file named 'AudioWAV\\a.wav' in root
>>> copy_names("a.wav")   # ["a (2).wav", "a(2).wav", "a - Copy.wav", ..., "Copy of a.wav", ..., "a (3rd copy).wav"]
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .. import browser_files, copies

# A macOS resource fork as a zip or a FAT/exFAT stick stores it beside its file: ``._NAME``.
APPLEDOUBLE = browser_files.APPLEDOUBLE_MAGIC + b"\x00\x02\x00\x00Mac OS X        " + bytes(58)
_CONTENTS = {
    ".DS_Store": b"\x00\x00\x00\x01Bud1" + bytes(32),  # Finder
    "Thumbs.db": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56),  # Explorer's thumbnails (an OLE file)
    "desktop.ini": "\ufeff[.ShellClassInfo]\r\nIconResource=x\r\n".encode("utf-16-le"),  # Explorer
}
# Each of loaders.browser_files.BROWSER_FILES (the one list of them) with bytes like a browser's own (a name
# added there without bytes here fails this import, and with it the tests).
BROWSER_FILES = {name: _CONTENTS[name] for name in browser_files.BROWSER_FILES}


def add_browser_files(root: str | os.PathLike) -> int:
    """Add below ``root`` what copying it through macOS, Windows and a zip leaves: an AppleDouble
    ``._NAME`` beside every file, :data:`BROWSER_FILES` in every folder, and a ``__MACOSX/`` mirror of
    the tree holding the AppleDouble files; returns how many files were added."""
    root = Path(root)
    tree = sorted((Path(d), sorted(f for f in files if not f.startswith("."))) for d, _, files in os.walk(root))
    added = 0
    for folder, files in tree:
        mirror = root / "__MACOSX" / folder.relative_to(root)
        mirror.mkdir(parents=True, exist_ok=True)
        for name in files:
            for where in (folder, mirror):
                (where / f"._{name}").write_bytes(APPLEDOUBLE)
                added += 1
        for name, content in BROWSER_FILES.items():
            (folder / name).write_bytes(content)
            added += 1
    return added


def unpacked_with_backslashes(root: str | os.PathLike) -> int:
    """Make ``root`` what unpacking a zip of it made on Windows (PowerShell's Compress-Archive, which
    stores ``AudioWAV\\a.wav``) with a tool that keeps those names (Python's ``zipfile``) gives: every
    file below it moved into ``root`` itself under its path with backslashes, no folder left; returns
    how many files were moved."""
    root = Path(root)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.parent != root)
    for path in files:
        path.rename(root / "\\".join(path.relative_to(root).parts))
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        folder.rmdir()
    return len(files)


def copy_names(name: str) -> list[str]:
    """Every name a second copy of the file ``name`` is given beside it (each form of
    :data:`loaders.copies.COPY_NAMES`, its number 2, its ordinal 3rd), in the table's order."""
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, dot + suffix) if dot else (name, "")
    forms = (form for forms in copies.COPY_NAMES.values() for form in forms)
    return [form.replace("{nth}", "3rd").replace("{n}", "2").replace("{stem}", stem) + suffix for form in forms]


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
