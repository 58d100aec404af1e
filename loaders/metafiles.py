"""Reading the corpora's metadata files (tables, transcripts, label maps, a user corpus's
``metadata.csv``/``.jsonl``): their bytes and text, with errors naming the file and the fix (a
missing or unreadable file, a spreadsheet saved as itself, a text in another encoding)."""

from __future__ import annotations

import codecs
import collections
import errno
import os
import re
import shlex
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import LayoutError
from .walk import broken_link

# A user's own corpus (loaders.audiofolder) is the folder holding one of these.
METADATA_FILES = ("metadata.csv", "metadata.jsonl")


def metadata_files(root: str | os.PathLike) -> tuple[Path, ...]:
    """The user corpus's metadata files ``root`` holds (:data:`METADATA_FILES`, in that order): every
    entry of those names, a folder or a broken link too (:func:`read_bytes` then says what it is; taken
    for no entry, the folder was said to hold no metadata.csv); ``()`` for none, or a root that is no folder."""
    root = Path(root).expanduser()
    return tuple(root / name for name in METADATA_FILES if os.path.lexists(root / name))


def composed(text: str) -> str:
    """``text`` in Unicode's composed form (NFC).  macOS's file systems and the zips made there keep
    names decomposed ('e' and a combining accent), what is typed on Windows or into a spreadsheet is
    composed: the two look the same, and are read as one text."""
    return unicodedata.normalize("NFC", text)


def listed_name(file_name: str) -> str:
    """A clip's file name as a corpus's label table is matched against it: its extension in any case
    (``.WAV``, ``.MP4``, as a camera, a FAT stick or a Windows tool may write it), its name in the
    composed Unicode form; the name's own case still counts (it is the clip's id)."""
    stem, dot, suffix = file_name.rpartition(".")
    return composed(f"{stem}{dot}{suffix.lower()}" if dot else file_name)


def _folded(name: str) -> str:
    return composed(name).casefold()


def case_matches(listed: Iterable[str], found: Iterable[tuple[Path, str]]) -> dict[str, str]:
    """``{name found: the listed name it is}`` of ``found``, ``(file, its name as the table lists names)``: each
    name that no listed name equals but one equals in another case (``A.WAV``, ``14_M60_08_1.wav``: a FAT copy
    or a Windows tool changed it), when that listed name is the only one of its letters and the files found of
    its letters are in one folder: the one such file, or files beside each other named alike but for case (a
    copy from a disk that ignores case merged into one that does not: ``x.wav`` and ``X.wav``, one of them
    maybe named as listed; not one named so but in another Unicode form, a file of its own), each then read as
    the name listed, one clip, which :func:`loaders.copy_reports.case_copies` reads once or reports.  Never a guess
    between two rows, nor between files in two folders.  Callers report each
    (:meth:`loaders.base.Collector.other_case`)."""
    listed, found = list(listed), list(found)
    rows = collections.Counter(map(_folded, listed))
    folders = collections.defaultdict(set)
    for path, name in found:
        folders[_folded(name)].add(path.parent)
    named = {_folded(name): name for name in listed}
    return {
        name: named[_folded(name)]
        for _, name in found
        if rows[_folded(name)] == 1
        and len(folders[_folded(name)]) == 1
        and composed(name) != composed(named[_folded(name)])  # listed, or in its other Unicode form: a file of its own
    }


def case_hint(name: str, listed: Iterable[str]) -> str:
    """What a name no row lists tells by its case (``" (...)"``, or ``""``): rows that list it in another case,
    which :func:`case_matches` could not take for it (another row, or a file in another folder, is alike), or a
    name all in capitals, as an old FAT copy leaves names, which no row lists in any case."""
    alike = sorted(other for other in listed if _folded(other) == _folded(name))
    if alike:
        return (
            f" ({' and '.join(alike)} {'differs' if len(alike) == 1 else 'differ'} from it only in case, but another "
            "row, or a file in another folder, is named alike: rename the files as the table lists them, one file each)"
        )
    stem = name.rpartition(".")[0] or name
    if stem.upper() == stem and stem.lower() != stem:
        return (
            " (its name is all in capitals, as an old FAT copy or a Windows tool may leave names, and no row lists it "
            "in any case: restore the file's original name)"
        )
    return ""


def read_bytes(path: Path, corpus: str) -> bytes:
    """A metadata file's bytes; a :class:`LayoutError` naming the file when it is missing, a broken
    link, a folder or no regular file (never opened, so a FIFO cannot block), or cannot be read."""
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ELOOP) and path.is_symlink():
            why = broken_link(path, err).message
            raise LayoutError(path, "broken_link", f"{corpus}: {why}", "fix or remove the link") from None
        if isinstance(err, FileNotFoundError):
            raise LayoutError(path, "missing_file", f"{corpus}: there is no such file", "check the path") from None
        raise _unreadable(path, corpus, err) from None
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a FIFO, socket or device"
        raise LayoutError(
            path, "not_a_file", f"{corpus}: this is {what}, not a regular file", "replace it with the file itself"
        )
    try:
        return path.read_bytes()
    except OSError as err:
        raise _unreadable(path, corpus, err) from None


def _unreadable(path: Path, corpus: str, err: OSError) -> LayoutError:
    return LayoutError(
        path,
        "unreadable",
        f"{corpus}: cannot read this file ({err.strerror or err})",
        "make it readable (chmod u+r, or run as its owner)",
    )


_WORKBOOKS = {b"PK\x03\x04": "a zip file (an Excel .xlsx or OpenDocument .ods workbook?)",
              b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an Excel 97-2003 workbook (.xls)"}  # fmt: skip


def read_text(path: Path, corpus: str, *, own: bool = False) -> str:
    """A metadata file's text: UTF-8 (a BOM allowed), or UTF-16/32 with its BOM (as Windows tools save
    it); a :class:`LayoutError` naming the file for any other encoding or a file that cannot be read.
    ``own``: a file of the user's own making (no official release to restore it from)."""
    data = read_bytes(path, corpus)
    workbook = next((name for magic, name in _WORKBOOKS.items() if data.startswith(magic)), None)
    if workbook:  # saved as the spreadsheet itself, or renamed to .csv
        raise LayoutError(
            path,
            "not_text",
            f"{corpus}: this is {workbook}, not a text file",
            "open it in the spreadsheet and save it as text (Excel: 'CSV UTF-8') under this name",
        )
    utf32 = data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE))
    encoding = "utf-32" if utf32 else "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None
    try:
        text = data.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as err:
        # utf-8-sig counts from after a BOM (Excel's 'CSV UTF-8' writes one): the offset in the file
        offset = err.start + len(data) - len(err.object)
        chinese = _chinese_readings(data, offset) if encoding is None else []
        where = _where(data, offset, utf8=encoding is None) + "".join(
            f"; {'it' if i else 'the line'} reads {line!r} in {name}" for i, (_, name, line) in enumerate(chinese)
        )
        raise LayoutError(
            path,
            "bad_encoding",
            f"{corpus}: this text file is not {(encoding or 'utf-8').upper()} ({where})",
            _convert_hint(path, own, [code for code, _, _ in chinese]),
        ) from None
    if "\x00" in text:  # UTF-16 without its BOM reads as UTF-8 full of NULs
        raise LayoutError(
            path,
            "bad_encoding",
            f"{corpus}: this text file holds NUL characters (UTF-16 without a BOM?)",
            _convert_hint(path, own),
        )
    return text


def _where(data: bytes, offset: int, utf8: bool) -> str:
    """Where a byte that does not decode is (offset and line); in a file meant as UTF-8, also what it
    reads as in the two 8-bit encodings spreadsheets most often save in, for the user to tell which
    one the file is in (never guessed here)."""
    if offset >= len(data):
        return "it ends mid-character"
    byte, line = data[offset : offset + 1], len(re.findall(rb"\r\n|\r|\n", data[:offset])) + 1  # a Mac's CSV: \r
    readings = []
    for code, name in (("cp1252", "CP1252"), ("mac_roman", "MacRoman")) if utf8 else ():
        try:
            readings.append(f"{byte.decode(code)!r} in {name}")
        except UnicodeDecodeError:  # one of the five bytes CP1252 leaves undefined
            readings.append(f"no character in {name}")
    return f"byte 0x{byte[0]:02x} at offset {offset}, line {line}" + (f": {', '.join(readings)}" if readings else "")


# The encodings a Chinese Windows saves 'CSV' and 'ANSI' text in: iconv's name, Python's codec, what it is
CHINESE_ENCODINGS = (
    ("BIG5-HKSCS", "big5hkscs", "Big5-HKSCS (Traditional Chinese: Hong Kong, Taiwan)"),
    ("GB18030", "gb18030", "GB18030 (Simplified Chinese)"),
)
_HAN = re.compile(r"[\u3400-\u9fff]")


def _chinese_readings(data: bytes, offset: int) -> list[tuple[str, str, str]]:
    """``(iconv name, what it is, the line of byte ``offset``)`` in each of :data:`CHINESE_ENCODINGS`
    the whole file decodes in with Chinese characters on that line: shown for the user to say which
    reads right (a Big5 file decodes in GB18030 too, as other characters); never chosen here."""
    runs = re.findall(rb"[\x80-\xff]+", data)  # Chinese: runs of 2+ high bytes; a Latin text's é, ü stand alone
    if sum(len(run) > 1 for run in runs) * 2 < len(runs):  # "Müller" decodes in Big5 too: 'ül' one character
        return []
    start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    end = min((i for i in (data.find(b"\n", offset), data.find(b"\r", offset)) if i >= 0), default=len(data))
    out = []
    for iconv_name, codec, name in CHINESE_ENCODINGS:
        try:
            data.decode(codec)
            before, after = data[start:offset].decode(codec), data[offset:end].decode(codec)
        except UnicodeDecodeError:
            continue
        if _HAN.search(after[:40]):  # from the byte on: 40 characters of the line, and up to 30 before it
            out.append((iconv_name, name, ("..." if len(before) > 30 else "") + before[-30:] + after[:40]))
    return out


def _convert_hint(path: Path, own: bool, chinese: list[str] = ()) -> str:
    """The fix for a text file not in UTF-8 (or UTF-16/32 with a BOM): a command that converts it in
    place (from Windows's CP1252, or from the first of the ``chinese`` encodings its line read in; the
    encodings others are saved in named for it)."""
    quoted, temporary = shlex.quote(str(path)), shlex.quote(f"{path}.utf-8")
    command = f"`iconv -f {(chinese or ['CP1252'])[0]} -t UTF-8 {quoted} > {temporary} && mv {temporary} {quoted}`"
    return (
        (
            f"convert it from the encoding in which the line reads right: {command}"
            + "".join(f" (-f {other} if it reads right in that)" for other in chinese[1:])
            if chinese
            else "convert it from the encoding it was saved in, e.g. from Windows's CP1252 (Excel's 'CSV', "
            f"Notepad's 'ANSI'): {command} (for -f: MACINTOSH for a Mac's MacRoman, GB18030 for Simplified Chinese, "
            "BIG5-HKSCS for Traditional)"
        )
        + "; or save it again as UTF-8 (Excel: 'CSV UTF-8')"
    ) + ("" if own else "; or restore the file of the official release")


def csv_text(text: str) -> tuple[str, str, int]:
    """``(text, separator, lines dropped)`` of a CSV file: a first line ``sep=;`` (Excel's separator hint,
    which some exporters write) names it and is dropped; else the header line's separator: a comma, as
    most tools write it; a tab (spreadsheets' "Unicode text") or a semicolon (spreadsheets in locales with
    a decimal comma) when the header has no comma."""
    if hint := re.match(r'"?sep=([^\r\n"])"?[^\r\n]*(\r\n|\r|\n|$)', text, flags=re.I):
        return text[hint.end() :], hint.group(1), 1
    header = re.split(r"[\r\n]", text, maxsplit=1)[0]  # a Mac spreadsheet's "CSV (Macintosh)" ends lines with \r
    return text, next((d for d in (",", "\t", ";") if d in header), ","), 0


def iter_lines(path: Path, corpus: str) -> Iterator[tuple[int, str]]:
    """``(line number, stripped line)`` of each non-blank line of a metadata file (:func:`read_text`)."""
    for number, line in enumerate(read_text(path, corpus).splitlines(), 1):
        line = line.strip()
        if line:
            yield number, line


def own_corpus_hint(root: Path) -> str:
    """``"; it holds metadata.csv, as your own corpus does: ..."`` for a built-in corpus's root that
    holds a user corpus's metadata (a Cantonese corpus given as `yuemotion prepare --source DIR`, or
    under a built-in NAME), whose clips were each "not the release's name"; it names both files where
    the folder holds both (:func:`metadata_files`); else ``""``."""
    found = " and ".join(path.name for path in metadata_files(root))
    if not found:
        return ""
    return f"; it holds {found}, as your own corpus does: give it a name of its own, --source mine={root}"
