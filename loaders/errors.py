"""Errors for bad corpus input.

Policy: every problem with a user's file raises :class:`CorpusError`, naming the file, what is
wrong and what to do.  With ``skip_bad=True`` the same problems become counted skips in a
:class:`loaders.skips.SkipReport`, which the CLI prints with their fixes; nothing is ever dropped silently.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import shlex
from pathlib import Path

# Who reads the errors: a Python caller (the default) or the command line (bimotion.cli sets it).
AUDIENCE: contextvars.ContextVar[str] = contextvars.ContextVar("bimotion_audience", default="python")
# a flag as a Python caller passes it
_KEYWORDS = {"--skip-bad": "skip_bad=True", "--overwrite": "overwrite=True", "--num-proc": "num_proc"}


def spoken(text: str) -> str:
    """``text`` in the words of whoever reads it: a command-line flag (``--skip-bad``) as the keyword
    argument a Python caller passes (``skip_bad=True``), unless the command line is reading."""
    if AUDIENCE.get() == "cli":
        return text
    for flag, keyword in _KEYWORDS.items():
        text = text.replace(flag, keyword)
    return text


def json_kind(value) -> str:
    """What a parsed JSON value is, in JSON's words (``a JSON array``, ``JSON null``; not Python's
    ``list``, ``NoneType``), for an error saying that a file holds the wrong kind of value."""
    if value is None:
        return "JSON null"
    kinds = (
        (bool, "a boolean"),
        ((int, float), "a number"),
        (str, "a string"),
        (list, "an array"),
        (dict, "an object"),
    )
    return "a JSON " + next(words.split(" ", 1)[1] for kind, words in kinds if isinstance(value, kind))


@contextlib.contextmanager
def audience(who: str):
    """Errors raised and shown inside are phrased for ``who`` (``cli`` or ``python``)."""
    token = AUDIENCE.set(who)
    try:
        yield
    finally:
        AUDIENCE.reset(token)


class MissingToolError(RuntimeError):
    """A program some input needs (FFmpeg for MP4 audio) is not installed; the message says how to install it."""

    def __str__(self) -> str:  # "--skip-bad" as a Python caller passes it, as CorpusError words it
        return spoken(super().__str__())


# an error's offer of --skip-bad (its ``offer``), said after its fix: "FIX, or pass --skip-bad to skip it"
SKIP_IT = "pass --skip-bad to skip it"
SKIP_BAD = "pass --skip-bad"


class CorpusError(Exception):
    """A problem with a corpus on disk.

    Attributes:
        path: the file or folder at fault.
        reason: a short, stable key (``lfs_pointer``, ``not_audio``, ``unknown_label`` …) used to
            group skips.
        message: what is wrong.
        fix: what the user can do about it (a skip's fix: ``OUTPUT.skipped.tsv``'s ``fix`` column).
        offer: where ``--skip-bad`` would skip it instead, the words offering it (:data:`SKIP_IT`,
            :data:`SKIP_BAD`, ``pass --skip-bad to skip the row``), else ``""``: never part of ``fix``.
        hint: what the error says to do, as shown: ``fix``, or ``offer``, or ``FIX, or OFFER``.
    """

    def __init__(self, path: str | Path, reason: str, message: str, fix: str = "", offer: str = ""):
        self.path = Path(path)
        self.reason = reason
        self.message = message
        self.fix = fix
        self.offer = offer
        hint = self.hint
        super().__init__(f"{display(self.path)}: {message}" + (f"\n  fix: {hint}" if hint else ""))

    @property
    def hint(self) -> str:
        return f"{self.fix}, or {self.offer}" if self.fix and self.offer else self.fix or self.offer

    def __reduce__(self):  # pickled with its fields (a worker process raising it), not its message alone
        return type(self), (self.path, self.reason, self.message, self.fix, self.offer), self.__dict__

    def __str__(self) -> str:  # phrased when shown: for the command line, or for a Python caller
        return spoken(super().__str__())


def display(path: str | Path) -> str:
    """``path`` as printable UTF-8 text: bytes of a name that is not UTF-8 appear as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def some_files(paths, shown: int = 3, *, total: int | None = None) -> str:
    """The first ``shown`` of ``paths`` (:func:`display`), and how many more: ``a, b, c and 4 more``
    (``total``: how many there are in all, where ``paths`` holds only the first of them)."""
    paths = list(paths)
    more = (len(paths) if total is None else total) - shown
    return ", ".join(display(p) for p in paths[:shown]) + (f" and {more} more" if more > 0 else "")


RATES_HZ = (1000, 1_000_000)  # sample rates a header may give; others are damage (1 Hz made 16000 samples 4 h)


def impossible_header(path, kind: str, channels: int, rate_hz: int) -> BadFileError | None:
    """The ``corrupt_header`` error of an audio header giving no channels or a sample rate no
    recording has (:data:`RATES_HZ`), or None: a damaged header's 1 Hz made 16000 samples a clip of
    4.4 hours, which prepare resampled and stored; 2**31 Hz made it "0.0 ms", too short.  ``kind``:
    the format, as :func:`loaders.sniff.sniff` names it."""
    if channels > 0 and RATES_HZ[0] <= rate_hz <= RATES_HZ[1]:
        return None
    why = f"{channels} channels at {rate_hz} Hz (recordings are at {RATES_HZ[0]} Hz to {RATES_HZ[1]} Hz)"
    return BadFileError(path, "corrupt_header", f"{kind.upper()} header has {why}", "replace the file", SKIP_IT)


def truncated_file(path, message: str) -> BadFileError:
    """The ``truncated`` error of an audio file cut short of the length its header declares (a WAV's
    data chunk, :mod:`loaders.wav`; an AIFF's COMM chunk, :mod:`loaders.aiff`; a FLAC's STREAMINFO, :mod:`loaders.flac`): ``message`` says by how much."""
    return BadFileError(path, "truncated", message, "copy, download or extract this file again", SKIP_IT)


def libsndfile_error(err: Exception) -> str:
    """libsndfile's message, without its claim that an existing file "does not exist or is not a
    regular file (possibly a pipe?)", which it makes of any content it cannot parse."""
    text = " ".join(str(err).split())
    return re.sub(
        r"File does not exist or is not a regular file \(possibly a pipe\?\)\.?",
        "its content cannot be parsed (damaged, or not audio despite its first bytes)",
        text,
    )


class DamagedFileError(Exception):
    """A file written or downloaded whole that no longer reads (a prepared dataset's Parquet file or
    stored clip, a model's weights): truncated or damaged.  The message is one line naming the file
    and how to get it whole again; ``detail`` is the reader's own words.  Not a ``ValueError``, so that
    no handler of bad arguments rewords it.  Raised in a ``DataLoader`` worker, it comes back from
    torch with the worker's traceback as its message, whose last line is ours: that line is kept."""

    def __init__(self, message: str, detail: str = ""):
        if message.startswith("Caught ") and "\nOriginal Traceback" in message:
            message = message.rstrip().rsplit("\n", 1)[-1].split(": ", 1)[-1]
        self.detail = detail
        super().__init__(message)


class InputWarning(UserWarning):
    """Something about a user's file worth knowing that does not stop the run (clipped float samples,
    channels that cancel); the command line prints it as one ``warning:`` line naming the file."""


class ProtocolWarning(UserWarning):
    """What a split protocol does to a corpus that its user may not expect (``--protocol speaker``
    replacing the split a corpus was released with); the command line prints it as one ``warning:`` line."""


class SplitNote(UserWarning):
    """What a split protocol chose for a corpus that its user should know but need not act on (a small
    group's speakers placed by the small-group rule, :mod:`bimotion.splits`); the command line prints it
    as one ``note:`` line.  Not a :class:`ProtocolWarning`: nothing went other than the docs promise."""


class BadFileError(CorpusError):
    """One file cannot be used (may be skipped with ``skip_bad``)."""


class LayoutError(CorpusError):
    """The corpus root does not look like the corpus at all (never skipped)."""


def require_dir(root: str | os.PathLike, corpus: str, expected: str) -> Path:
    root = Path(root).expanduser()
    if not root.is_dir():
        what = "this is a file, not the corpus folder" if root.exists() else "corpus folder does not exist"
        raise LayoutError(root, "missing_root", f"{corpus}: {what}{archive_hint(root)}",
                          f"point the corpus's --source at {expected}")  # fmt: skip
    return root.resolve()


# an archive's first bytes (a tar's at offset 257), its kind and the command that unpacks it into a folder
# (file and folder as the shell reads them: shlex.quote)
ARCHIVES = ((0, b"PK\x03\x04", "a zip archive", "unzip {file} -d {into}"),
            (0, b"\x1f\x8b", "a gzip archive", "tar -xzf {file} -C {into}"),
            (0, b"BZh", "a bzip2 archive", "tar -xjf {file} -C {into}"),
            (0, b"\xfd7zXZ\x00", "an xz archive", "tar -xJf {file} -C {into}"),
            (0, b"7z\xbc\xaf\x27\x1c", "a 7z archive", "7z x {file} -o{into}"),
            (0, b"Rar!\x1a\x07", "a RAR archive", "unrar x {file} {into}/"),
            (257, b"ustar", "a tar archive", "tar -xf {file} -C {into}"))  # fmt: skip
ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".7z", ".rar", ".tar")


def archive_hint(path: str | os.PathLike) -> str:
    """``": a zip archive: unpack it first (unzip x.zip -d .), then give the folder it makes"`` for a file
    whose first bytes are an archive's (a corpus's download given for its folder), else ``""``.  The command
    unpacks it beside itself: nothing is unpacked or written here."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(262)
    except OSError:
        return ""
    for offset, magic, kind, command in ARCHIVES:
        if head[offset : offset + len(magic)] == magic:
            unpack = command.format(file=shlex.quote(str(path)), into=shlex.quote(str(path.parent)))
            return f": {kind}: unpack it first ({unpack}), then give the folder it makes"
    return ""


def archives_in(root: Path) -> str:
    """``"; it holds csed.zip: a zip archive: unpack it first (...)"``: the first archive directly in a corpus
    folder where no clip was found (the download moved there, not unpacked), or ``""``."""
    try:
        files = sorted(f for f in root.iterdir() if f.suffix.lower() in ARCHIVE_SUFFIXES and f.is_file())
    except OSError:
        return ""
    for file in files:
        if hint := archive_hint(file):
            return f"; it holds {file.name}{hint}"
    return ""


def bad(path: Path, reason: str, message: str, fix: str = "", offer: str = "") -> BadFileError:
    return BadFileError(path, reason, message, fix, offer)


def outside_level(module_file: str = __file__) -> int:
    """The ``stacklevel`` that points a warning at the first caller outside the package of ``module_file``
    (default this package: the code that called :func:`loaders.load` or a reader's ``load``), for a warning
    its caller raises from a helper reached at several depths (:meth:`loaders.base.Collector.not_read`;
    a figure's text no font holds, :func:`bimotion.figure_fonts.boxed`)."""
    import sys

    package = os.path.dirname(os.path.abspath(module_file)) + os.sep
    frame, level = sys._getframe(1), 1  # the frame of the function that warns: stacklevel 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
