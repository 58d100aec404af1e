"""What every corpus reader shares: finding files under a user's root, probing them, and the raise-or-skip policy
for bad input (the files not read, beside those read among them, are :mod:`loaders.unread`'s: :meth:`Collector.beside`).
Readers only ever read below the root.

Nothing is dropped silently: every file below a reader's root is read, or reported by path and reason (raised,
or counted with ``skip_bad``), or counted as not audio by content; folders that cannot be listed, names that are
not UTF-8, non-regular files (never opened) and clips shorter than :data:`MIN_DURATION_S` are reported too.
Hidden folders (``.git``) are not searched; links are followed, each real folder once (:func:`~loaders.walk.walk_tree`)."""

from __future__ import annotations

import contextvars
import warnings
from collections.abc import Iterable
from pathlib import Path

from . import unread
from .audio import probe
from .copies import folder_names
from .copy_reports import case_copies
from .errors import (
    SKIP_BAD,
    SKIP_IT,
    BadFileError,
    CorpusError,
    InputWarning,
    LayoutError,
    archives_in,
    bad,
)
from .labels import label_space
from .lone import lone_copies, lone_copy, lone_error, warn_lone
from .metafiles import own_corpus_hint
from .named import warn_files
from .record import Utterance
from .skips import SkipReport, all_skipped
from .unlisted import behind_unlisted, unreadable_folder
from .walk import stood_for, walk_files

# A callable ``progress(n)`` that readers report probed files to (set by `bimotion scan`).
PROGRESS: contextvars.ContextVar = contextvars.ContextVar("loaders_progress", default=None)


# Clips shorter than wav2vec2's receptive field (400 samples at 16 kHz) cannot be trained on.
MIN_DURATION_S = 400 / 16000
_DUPLICATE_FIX = (  # two recordings under one clip id
    "remove the extra copies from below the root (files copied into another folder, or a second copy of the corpus)"
)


class Collector:
    """Builds one corpus's records under the raise-or-skip policy.

    ``with collector.item(path): ...`` runs the parsing of one input; a :class:`BadFileError`
    raised inside propagates, or with ``skip_bad`` is counted in the report and the item skipped.
    """

    def __init__(
        self,
        corpus: str,
        root: Path,
        *,
        skip_bad: bool = False,
        report: SkipReport | None = None,
        space: tuple[str, ...] | None = None,
        own: bool = False,
    ):
        self.corpus = corpus
        self.own = own  # a user's own corpus: no official release to compare it with
        self.root = root
        self.skip_bad = skip_bad
        self.report = report if report is not None else SkipReport()
        # the labels the corpus annotates: its map's (loaders.labels), or ``space`` for a user's corpus
        self.space = label_space(corpus) if space is None else space
        self.own_report = report is None  # nobody else will read it: finish() warns of its skips
        self.records: list[Utterance] = []
        self.items_ok = 0  # items that raised nothing: a corpus file fitted the reader
        self.seen: set[str] = set()  # every file below the root (see); finish() tells file skips from row skips
        self.skips: list[tuple[str, tuple[str, ...]]] = []  # (reason, the files it may be a skip of)
        self.accounted: set[str] = set()  # files set aside (not audio, duplicates): not file skips
        self.copies: list[tuple[Path, str]] = []  # (a second copy set aside, the file it copies): left_copy
        self.unlisted: list[Path] = []  # folders that could not be listed (unreadable_folder): skip
        self.evicted: list[Path] = []  # clips iCloud evicted (icloud_placeholder): a row naming one is reported there
        self.cased: list[tuple[Path, str]] = []  # (a file read, the name its table lists in another case): other_case
        self.walked: list[Path] = []  # real folders walked (walk, beside): beside passes over a link into one
        self.lone: dict[str, tuple[Path, str]] = {}  # a copy's name, no original beside it: (it, maker) (lone)
        self.copies_not_read: list[tuple[Path, str]] = []  # (not audio, the file beside it it copies): unread.not_audio
        self.listings: dict[str, frozenset[str]] = {}  # a folder's path -> its names, as walked (names_in)

    def item(self, path: Path) -> _Item:
        return _Item(self, path)

    def skip(self, error: CorpusError, item: Path | None = None) -> None:
        """Record a problem: raise it, or count it when skipping bad input.  The skip is of a file
        below the root when ``item`` (the file being read) or the error's path (a clip a metadata
        row names) is one that was seen and is not read (:meth:`finish`)."""
        error = behind_unlisted(error, self.unlisted)  # a row's clip not found may be in a folder not listed
        if not self.skip_bad:
            raise error
        self.report.add(self.corpus, error)
        self.skips.append((error.reason, tuple(str(p) for p in (item, error.path) if p is not None)))

    def blame(self, file: Path, reason: str) -> None:
        """``file`` is not read for a problem reported already as ``reason`` (its metadata line skipped): its skip."""
        self.skips.append((reason, (str(file),)))

    def see(self, path: Path) -> None:  # a file below the root: then read, skipped, or set aside
        self.count("seen")
        self.seen.add(str(path))

    def walk_problem(self, error: CorpusError) -> None:
        """``walk_files``' ``onerror``: a file it will not list (a broken link, a FIFO, a name not UTF-8) is seen, then
        skipped; an unlistable folder is skipped, as no file; an iCloud placeholder's file is :attr:`evicted`."""
        if error.reason == "icloud_placeholder":
            self.evicted.append(stood_for(error))
        if error.reason != "unreadable_folder":
            self.see(error.path)
        self.skip(error)

    def hidden_folder(self, path: Path) -> None:
        """``walk_files``' ``on_hidden``: a folder never searched (``.git``, ``__MACOSX``), counted for the summary."""
        self.count("hidden_folder")

    def names_in(self, folder: Path) -> frozenset[str]:
        """The names in ``folder``, as its walk listed them, else listed once now (:func:`~loaders.copies.folder_names`):
        where a second copy's name is looked for (``take 2.wav``'s ``take.wav``, :func:`~loaders.copies.kept_both`)."""
        if (key := str(folder)) not in self.listings:
            self.listings[key] = folder_names(folder)
        return self.listings[key]

    def count(self, kind: str, n: int = 1) -> None:
        """Count files by kind (``seen``, ``read``, ``not_audio``, ``duplicate``) for the scan summary."""
        self.report.files[(self.corpus, kind)] += n

    def set_aside(self, kind: str, *paths: Path) -> None:
        """Count files seen, neither read nor skipped: ``not_audio``, ``duplicate``, ``not_read``, ``blank``,
        ``table_copy``."""
        self.count(kind, len(paths))
        self.accounted.update(map(str, paths))

    def unreadable(self, err: OSError) -> None:
        """An ``os.walk`` ``onerror`` for the readers' own folder searches: report, never swallow."""
        self.skip(unreadable_folder(err, self.root))

    def walk(self, root: Path, suffixes=(".wav",), *, top: Path | None = None, lone: bool | tuple = False) -> list:
        """The candidate files below ``root`` (see :func:`~loaders.walk.walk_files`), accounting for every file below
        ``root``: each is counted as seen; one that is not a candidate (another suffix, hidden) is
        counted as not audio, or, when it is audio by content, reported as ``unexpected_file`` (and
        one that cannot be read as ``unreadable``); a second copy is :meth:`left_copy`'s, its folders' names
        read up to ``top`` (default ``root``); ``lone``: one with no original beside it, :mod:`loaders.lone`'s (True: of
        any of ``suffixes``; suffixes: of those only, a clip's, not a table's: ElderReact's ``.mp4``, not ``.txt``)."""
        candidates, top, clips = [], top or root, tuple(suffixes if lone is True else lone or ())
        alone_of = {}  # a candidate -> lone_copy's answer, asked once: lone_copies reads it
        self.walked.append(root.resolve())
        for path, candidate in walk_files(
            root, suffixes, self.walk_problem, self.hidden_folder, listings=self.listings
        ):
            self.see(path)
            if candidate:
                alone = clips and lone_copy(path, top, clips, self.names_in(path.parent))  # its walk's listing
                if alone or not self.left_copy(path, root=top):  # a copy: there
                    candidates.append(path)
                    alone_of[path] = alone
                continue
            audio = unread.audio_or_reported(self, path)  # None: unreadable, reported
            if audio:
                with self.item(path):
                    raise bad(
                        path,
                        "unexpected_file",
                        f"audio by content, but {self.corpus} clips are named *{'/*'.join(suffixes)} "
                        "(and not hidden), so it would not be read",
                        "rename it to the corpus's naming pattern or move it out of the corpus folder",
                        SKIP_BAD,
                    )
            elif audio is False:
                unread.not_audio(self, [path])
        return lone_copies(self, candidates, alone_of) if clips else candidates

    # what is not read, accounted for: loaders.unread's, as methods (c.beside(parent, ...), c.stray(path, error))
    beside, not_read, left_copy, stray = unread.beside, unread.not_read, unread.left_copy, unread.stray

    def other_case(self, path: Path, listed: str) -> None:
        """``path`` is taken as ``listed``, the name its table (or release) gives in another case (:func:`~loaders.
        metafiles.case_matches`): counted and named in :meth:`finish`'s warning if read, else counted as its skip."""
        self.cased.append((path, listed))

    def _warn_names(self) -> None:
        """One warning naming the second copies set aside (:meth:`left_copy`), one naming the files read
        under their listed name's case (:meth:`other_case`), one naming the copies of a file beside them that are not
        audio, a table's, not read (:func:`~loaders.unread.not_audio`); the summary counts them."""
        said = {
            "copies": "named as a browser or a file manager names a second copy of a file (or its folder) beside it ({}), with the same "
            "bytes: read once, as {} (counted as duplicate copies); delete the copies to silence this",
            "cased": "named in another case than the corpus names it ({}), as a FAT copy or a Windows tool may "
            "rename files: taken as {} (counted as named in another case); rename them to silence this",
            "copies_not_read": "named as a browser or a file manager names a second copy of a file beside it ({}), and "
            "not audio: a copy of {}, not read (counted as copies of a table beside it); delete the copies to "
            "silence this (if a copy holds what the table should, save it under the table's name)",
        }
        for kind, words in said.items():
            if found := getattr(self, kind):
                warn_files(self, kind, found, words.format(found[0][1], found[0][1]), 5)

    def add(self, path: Path, *, native_id: str, emotions: Iterable[str], **fields) -> Utterance:
        """Probe ``path``'s header and append its record."""
        info = probe(path)
        if info.duration_s < MIN_DURATION_S:
            raise bad(
                path,
                "too_short",
                f"the clip lasts {info.duration_s * 1000:.1f} ms ({info.num_frames} samples), shorter than the "
                f"{MIN_DURATION_S * 1000:.0f} ms a wav2vec2 model needs (400 samples at 16 kHz)",
                "remove it or replace it with the complete recording",
                SKIP_IT,
            )
        record = Utterance(
            id=f"{self.corpus}/{native_id}",
            corpus=self.corpus,
            path=str(path),
            emotions=tuple(sorted(set(emotions), key=self.space.index)),
            label_space=self.space,
            duration_s=round(info.duration_s, 6),
            sample_rate_hz=info.sample_rate_hz,
            num_channels=info.num_channels,
            **fields,
        )
        self.records.append(record)
        if (progress := PROGRESS.get()) is not None:
            progress(1)
        return record

    def finish(self, *, expected: str) -> list[Utterance]:
        """The records, sorted by id; an error if none was usable, also when every file was skipped (never a quiet
        0).  Skips are told apart: of a file seen below the root and not read, or of anything else (a metadata row
        without a file, an unlistable folder).  Skips that no report given by the caller will show are one warning."""
        case_copies(self)  # one clip read from two files named alike in other letters: read once, or copy_name
        read = {record.path for record in self.records}
        self.cased = [(path, listed) for path, listed in self.cased if str(path) in read]  # renamed and read
        if self.cased:
            self.count("other_case", len(self.cased))
        self._warn_names()
        warn_lone(self, read)
        counted = read | self.accounted  # read, or set aside
        for reason, files in self.skips:
            file = next((f for f in files if f in self.seen and f not in counted), None)
            if file is not None:  # each file once: seen = read + skipped + not audio + duplicate
                self.report.file_skips[(self.corpus, reason)] += 1
                counted.add(file)
        if self.own_report and self.report:
            warnings.warn(
                f"{self.corpus}: skipped {self.report.total} bad input(s) "
                f"({', '.join(f'{reason} {n}' for (_, reason), n in sorted(self.report.counts.items()))}); "
                "pass report=SkipReport() to load() to get every path and reason",
                InputWarning,
                stacklevel=4,
            )
        if not self.records:
            skipped = self.report.by_reason(self.corpus)
            why = all_skipped(self.report, self.corpus, skipped)
            hint = f"; check that this folder holds the {self.corpus} release{own_corpus_hint(self.root)}"
            fix = f"expected {expected}{'' if self.own else hint}"
            if "unreadable_folder" in skipped:  # the files may all be there, behind folders it could not list
                fix = "make the folders it could not list readable (their permissions), then run again; " + fix
            elif skipped:  # found, and each skipped for what it holds: "expected a folder holding" was no fix
                fix = f"mend what made it skip them (the first is named above, with its fix); if this is the wrong folder: {fix}"
            raise LayoutError(
                self.root,
                "empty_corpus",
                f"{self.corpus}: no usable audio files found below this folder"
                + (f" ({why})" if why else "")
                + archives_in(self.root),
                fix,
            )
        seen: dict[str, Utterance] = {}
        again = [r for r in self.records if seen.setdefault(r.id, r) is not r]  # a second copy of an id
        if again:
            clips = len({r.id for r in again})
            more = f" ({clips} clips are there more than once)" if clips > 1 else ""
            where = f"{again[0].id} is also at {seen[again[0].id].path}{more}"
            raise LayoutError(again[0].path, "duplicate_id", where, _DUPLICATE_FIX)
        self.count("read", len(self.records))
        return sorted(self.records, key=lambda r: r.id)


class _Item:
    def __init__(self, collector: Collector, path: Path):
        self.collector = collector
        self.path = path
        self.error: BadFileError | None = None  # what was skipped (with skip_bad)

    def __enter__(self) -> _Item:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        c = self.collector
        if exc is None:
            c.items_ok += 1
            return False
        if not isinstance(exc, BadFileError):
            return False
        if (named := lone_error(c, self.path, exc)) is not exc and not c.skip_bad:  # 'x 2.wav' alone, x no clip's
            raise named from None
        exc = named
        if c.skip_bad:
            c.skip(exc, self.path)
            self.error = exc
            return True
        # the first item fails: --source names another corpus? (a second copy's name says nothing of that)
        if not c.records and not c.items_ok and not c.own and exc.reason != "copy_name":
            hint = f"no {c.corpus} file was read before this one: if none fits, {c.root} is not the {c.corpus} release"
            hint += own_corpus_hint(c.root)
            fix = f"{exc.fix} ({hint})" if exc.fix else hint  # the fix's aside, before the offer of --skip-bad
            raise BadFileError(exc.path, exc.reason, exc.message, fix, exc.offer) from None
        return False
