"""What every corpus reader shares: finding files under a user's root, probing them, and the
raise-or-skip policy for bad input.  Readers only ever read below the root."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .audio import probe
from .errors import BadFileError, CorpusError, LayoutError, SkipReport
from .labels import label_space
from .record import Utterance

# A callable ``progress(n)`` that readers report probed files to (set by `bimotion scan`).
PROGRESS: contextvars.ContextVar = contextvars.ContextVar("loaders_progress", default=None)


@dataclass(frozen=True)
class SourceInfo:
    """What `bimotion sources` shows, and what the dataset card cites."""

    name: str
    title: str
    languages: tuple[str, ...]
    age_groups: tuple[str, ...]
    expected_count: int
    license: str
    url: str
    layout: str
    citation: str
    notes: str = ""


def walk_files(root: Path, suffixes: tuple[str, ...] = (".wav",)) -> list[Path]:
    """All regular files below ``root`` whose lower-cased name ends with one of ``suffixes``,
    skipping hidden files and folders (``.DS_Store``, ``._x.wav``, ``.git``), sorted so the
    result does not depend on the file system's listing order."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith(suffixes):
                found.append(Path(dirpath) / name)
    found.sort(key=lambda p: str(p))
    return found


def require_dir(root: str | os.PathLike, corpus: str, expected: str) -> Path:
    root = Path(root).expanduser()
    if not root.is_dir():
        raise LayoutError(
            root, "missing_root", f"{corpus}: corpus folder does not exist", f"point --source {corpus}=DIR at {expected}"
        )
    return root.resolve()


class Collector:
    """Builds one corpus's records under the raise-or-skip policy.

    ``with collector.item(path): ...`` runs the parsing of one input; a :class:`BadFileError`
    raised inside propagates, or with ``skip_bad`` is counted in the report and the item skipped.
    """

    def __init__(self, corpus: str, root: Path, *, skip_bad: bool = False, report: SkipReport | None = None):
        self.corpus = corpus
        self.root = root
        self.skip_bad = skip_bad
        self.report = report if report is not None else SkipReport()
        self.space = label_space(corpus)
        self.records: list[Utterance] = []

    def item(self, path: Path) -> _Item:
        return _Item(self, path)

    def skip(self, error: CorpusError) -> None:
        """Record a problem: raise it, or count it when skipping bad input."""
        if not self.skip_bad:
            raise error
        self.report.add(self.corpus, error)

    def add(self, path: Path, *, native_id: str, emotions: Iterable[str], **fields) -> Utterance:
        """Probe ``path``'s header and append its record."""
        info = probe(path)
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
        """The records, sorted by id; an error if nothing at all was found."""
        if not self.records and not self.report.counts:
            raise LayoutError(
                self.root,
                "empty_corpus",
                f"{self.corpus}: no usable audio files found below this folder",
                f"expected {expected}",
            )
        seen: dict[str, Utterance] = {}
        for record in self.records:
            if record.id in seen:
                raise LayoutError(
                    record.path,
                    "duplicate_id",
                    f"{record.id} is also at {seen[record.id].path}",
                    "remove one copy of the corpus from below the root",
                )
            seen[record.id] = record
        return sorted(self.records, key=lambda r: r.id)


class _Item:
    def __init__(self, collector: Collector, path: Path):
        self.collector = collector
        self.path = path

    def __enter__(self) -> _Item:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and isinstance(exc, BadFileError) and self.collector.skip_bad:
            self.collector.report.add(self.collector.corpus, exc)
            return True
        return False


def bad(path: Path, reason: str, message: str, hint: str = "") -> BadFileError:
    return BadFileError(path, reason, message, hint)


def iter_lines(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    with open(path, encoding=encoding) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if line:
                yield number, line
