"""The report of what a lenient run skipped: every skip counted by corpus and reason, with its file, its
message and its fix (the error's ``fix``, never its offer of --skip-bad), printed by the command line (:meth:`SkipReport.format`) and listed whole
in ``OUTPUT.skipped.tsv`` (:meth:`SkipReport.write_tsv`); and how many files each reader saw, so that nothing
goes missing unsaid."""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .errors import CorpusError, display, spoken
from .tables import aligned_lines


class Skip(NamedTuple):
    """One skipped input: its file (as :func:`~loaders.errors.display` shows it), what was wrong with it and its
    fix (its error's ``fix``, ``""`` where it has none), kept together so that no skip is shown with another's
    fix."""

    file: str
    message: str
    fix: str


@dataclass
class SkipReport:
    """Counts of skipped inputs by corpus and reason, every skipped path with its message and fix, and how
    many files each reader saw below its root (``files[(corpus, kind)]``, kind: seen, read,
    not_audio, duplicate, not_read, blank, table_copy), so that a scan can show that nothing went missing: seen = read
    + file skips + not audio + duplicate + not read (audio in a folder its reader reads none from) + blank + table
    copies (a second copy of a table beside it, not read), where ``file_skips`` counts the skips that were of a file
    seen (the others are of metadata rows without a file, or of folders that could not be listed).
    :meth:`format` lists ``max_examples`` paths per reason, each fix once; :meth:`write_tsv` writes them all."""

    max_examples: int = 10
    counts: collections.Counter = field(default_factory=collections.Counter)
    examples: dict = field(default_factory=dict)  # (corpus, reason) -> [Skip(file, message, fix), ...], every one
    files: collections.Counter = field(default_factory=collections.Counter)
    file_skips: collections.Counter = field(default_factory=collections.Counter)  # (corpus, reason) -> files
    named: dict = field(default_factory=dict)  # (corpus, warning) -> [(file, of), ...]: loaders.named.warn_files
    # corpus -> (metadata file name, {record id: line}) of a user corpus holding audio no row lists
    # (unlisted_file): where each clip is listed, for an unlisted copy's skip (loaders.identical.identical_audio)
    listed_at: dict = field(default_factory=dict)

    def add(self, corpus: str, error: CorpusError) -> None:
        key = (corpus, error.reason)
        self.counts[key] += 1
        self.examples.setdefault(key, []).append(Skip(display(error.path), error.message, error.fix))

    def reword(self, corpus: str, reason: str, file: str, message: str, fix: str | None = None) -> None:
        """Say the skip of ``file`` (as :meth:`add` showed it) as ``message``, with ``fix`` (None: its fix as it
        was): what was found of it after it was counted."""
        key = (corpus, reason)
        self.examples[key] = [
            Skip(file, message, skip.fix if fix is None else fix) if skip.file == file else skip
            for skip in self.examples[key]
        ]

    def skip_read(self, corpus: str, error: CorpusError) -> None:
        """A file the scan read (its header) that failed later, when its audio was decoded: counted
        as skipped and no longer as read, so that seen = read + skipped + not audio still holds."""
        self.add(corpus, error)
        if self.files[(corpus, "read")] > 0:  # records that came from a scan
            self.files[(corpus, "read")] -= 1
            self.file_skips[(corpus, error.reason)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def by_reason(self, corpus: str) -> dict[str, int]:
        """``{reason: skips}`` of ``corpus``, in reason order: the one count of a corpus's skips by reason."""
        return {reason: n for (c, reason), n in sorted(self.counts.items()) if c == corpus}

    def __bool__(self) -> bool:  # an empty report is falsy, so `if report:` reads naturally
        return self.total > 0

    def format(self, *, corpus_column: bool = True) -> str:
        """Counts by corpus and reason, each with up to ``max_examples`` paths and their fixes (:meth:`_shown`);
        without ``corpus_column`` (``bimotion predict``: its files belong to no corpus, as in :meth:`write_tsv`), by
        reason alone."""
        if not self:
            return "skipped: none"
        lines = [f"skipped {self.total} input(s):"]
        counted = sorted(self.counts.items())
        first = (lambda corpus: [corpus]) if corpus_column else (lambda corpus: [])
        cells = [[*first(corpus), reason, str(n)] for (corpus, reason), n in counted]
        rows = aligned_lines(cells, text_columns=2 if corpus_column else 1)
        for row, ((corpus, reason), n) in zip(rows, counted):
            lines += [row, *self._shown((corpus, reason), n)]
        return "\n".join(lines)

    def _shown(self, key: tuple[str, str], n: int) -> list[str]:
        """The lines under a reason's count: its first ``max_examples`` skips, those of one fix together (in the
        order their fixes came) and followed by that fix once, not once a file (ten rows of one bad cell, ten
        times); a reason whose every skip has one fix says it after "... and N more", as theirs too."""
        skips = self.examples.get(key, [])
        fixes = [skip.fix for skip in skips]
        groups: dict[str, list[Skip]] = {}
        for skip in skips[: self.max_examples]:
            groups.setdefault(skip.fix, []).append(skip)
        more = [f"      ... and {n - self.max_examples} more"] if n > self.max_examples else []
        lines = []
        for fix, entries in groups.items():
            lines += [f"      {skip.file}: {skip.message}" for skip in entries]
            lines += more if len(set(fixes)) == 1 else []
            lines += [f"        fix: {spoken(fix)}"] if fix else []
        return lines + (more if len(set(fixes)) != 1 else [])

    def write_tsv(self, path: str | os.PathLike, *, corpus_column: bool = True) -> Path:
        """Every skipped input as a tab-separated row: corpus, reason, file, message, fix (CSV quoting, so a
        name with a tab or a line break reads back as it is; ``fix`` last, so that a reader of the four columns
        before it reads on), written atomically; without ``corpus_column`` (``bimotion predict``: its files belong
        to no corpus), reason, file, message, fix."""
        import csv
        import io

        from .files import write_text_atomic

        text = io.StringIO()
        writer = csv.writer(text, delimiter="\t", lineterminator="\n")  # a tab or newline in a name is quoted
        first = ["corpus"] if corpus_column else []
        writer.writerow([*first, "reason", "file", "message", "fix"])
        for (corpus, reason), skips in sorted(self.examples.items()):
            first = [corpus] if corpus_column else []
            writer.writerows([*first, reason, skip.file, skip.message, spoken(skip.fix)] for skip in skips)
        write_text_atomic(Path(path), text.getvalue())
        return Path(path)

    def format_files(self) -> str:
        """Per corpus: files seen below the root, read, skipped by reason, not audio (and duplicate
        copies not read twice)."""
        rows = []
        for corpus in sorted({corpus for corpus, _ in self.files}):
            n = {kind: self.files[(corpus, kind)] for kind in ("seen", "read", "not_audio", "duplicate")}
            reasons = self.by_reason(corpus)
            files = {reason: self.file_skips[(corpus, reason)] for reason in reasons}
            files = {reason: k for reason, k in files.items() if k}
            others = {reason: k - files.get(reason, 0) for reason, k in reasons.items() if k > files.get(reason, 0)}
            line = (
                f"files seen {n['seen']}, read {n['read']}, {_counted('skipped', files)}, "
                f"other files (not audio) {n['not_audio']}"
            )
            if n["duplicate"]:
                line += f", duplicate copies {n['duplicate']}"
            if self.files[(corpus, "table_copy")]:  # 'VideoDemographics copy.csv': named in a warning (loaders.unread)
                line += f", copies of a table beside it (not read) {self.files[(corpus, 'table_copy')]}"
            if self.files[(corpus, "not_read")]:  # CREMA-D's AudioMP3/: audio in a folder its reader reads none from
                line += f", audio in folders not read {self.files[(corpus, 'not_read')]}"
            if self.files[(corpus, "blank")]:  # CREMA-D's AudioMP3/ holds blank files: not audio, not text
                line += f", blank (0-byte) files in folders not read {self.files[(corpus, 'blank')]}"
            if self.files[(corpus, "other_case")]:  # taken as their table's name in another case
                line += (
                    f"; named in another case, read under the corpus's own name {self.files[(corpus, 'other_case')]}"
                )
            if self.files[(corpus, "lone_copy")]:  # 'x 2.wav' with no x.wav beside it: read as x (loaders.lone)
                line += f"; read under a copy's name, no original beside it {self.files[(corpus, 'lone_copy')]}"
            if self.files[(corpus, "hidden_folder")]:
                hidden = self.files[(corpus, "hidden_folder")]
                line += f"; hidden folders not searched {hidden} (.*, __MACOSX, $RECYCLE.BIN, ...)"
            if others:
                line += f"; besides files, {_counted('metadata rows and folders skipped', others)}"
            rows.append([corpus, line])
        return "\n".join(["files below the source folders:", *aligned_lines(rows, text_columns=2)]) if rows else ""

    def to_dict(self) -> dict:
        return {f"{corpus}/{reason}": n for (corpus, reason), n in sorted(self.counts.items())}


def _counted(what: str, reasons: dict[str, int]) -> str:
    text = f"{what} {sum(reasons.values())}"
    return text + (" (" + ", ".join(f"{reason} {k}" for reason, k in reasons.items()) + ")" if reasons else "")


def all_skipped(report: SkipReport, corpus: str, skipped: dict[str, int]) -> str:
    """Why ``corpus`` has no record left, every input skipped: its skips by reason (``skipped``, as
    :meth:`SkipReport.by_reason` counts them) and the first one's file, message and fix (with --skip-bad the
    read stopped before the report naming them was printed, and said only "1 skipped as bad gender",
    leaving the user to guess what was wrong, then to open ``OUTPUT.skipped.tsv`` for what to do)."""
    why = ", ".join(f"{n} skipped as {reason.replace('_', ' ')}" for reason, n in sorted(skipped.items()))
    first = next((skips[0] for (c, _), skips in report.examples.items() if c == corpus and skips), None)
    if first is None:
        return why
    return f"{why}; the first: {first.file}: {first.message}" + (f"; its fix: {first.fix}" if first.fix else "")
