"""Scan several corpora into one manifest (JSON Lines, one record per line) and summarise it."""

from __future__ import annotations

import collections
import json
import os
import shutil
import time
from collections.abc import Container
from pathlib import Path

from . import READERS, load, reader
from .base import PROGRESS
from .files import normal_path, temp_file_beside
from .labels import LABEL_CODES, LABELS
from .record import Utterance
from .skips import SkipReport
from .tables import aligned_lines, hours_text
from .walk import searched, walk_tree

BAR_DELAY_S = 0.5  # no bar for a scan that ends, or fails on its first file, within this


def scan(
    sources: dict[str, str | os.PathLike],
    *,
    skip_bad: bool = False,
    progress: bool = True,
    bar: dict | None = None,
    report: SkipReport | None = None,
) -> tuple[list[Utterance], SkipReport]:
    """Read every ``{corpus: root}`` source; returns all records (sorted by id) and the skips (in ``report`` where
    given: what it holds is the caller's also when the scan raises, as :func:`loaders.load`'s).  Two
    sources whose folders are one, or one inside the other, are a ValueError: their clips would be
    read twice, under two corpus names, and split apart.  ``bar``: more tqdm options of the progress
    bar (the command line's: a line every 30 s in a log, :func:`bimotion.console.stage_bar_options`)."""
    from tqdm.auto import tqdm

    check_distinct_sources(sources)
    report = SkipReport() if report is None else report
    records: list[Utterance] = []
    with tqdm(
        desc="probing audio headers",
        unit=" files",
        disable=not progress,
        dynamic_ncols=True,
        delay=BAR_DELAY_S,
        **(bar or {}),
    ) as shown:
        token = PROGRESS.set(shown.update)
        try:
            for name, root in sources.items():
                shown.set_postfix_str(name, refresh=False)
                records.extend(load(name, root, skip_bad=skip_bad, report=report))
        finally:
            PROGRESS.reset(token)
    records.sort(key=lambda r: r.id)
    return records, report


def write_manifest(records: list[Utterance], path: str | os.PathLike) -> Path:
    """One JSON line per record at ``path``, written whole or not at all: through a temporary file
    of this process's own beside it, so two runs writing the same manifest never mix their lines
    (the last one to finish wins)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_file_beside(path)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed or interrupted write leaves nothing behind
        raise
    return path


def _root(source) -> Path:
    from .audiofolder import source_root

    return source_root(source)


def _as_given(source) -> str:
    """A source's folder as the user gave it, and where a link leads, the folder it is, in parentheses
    (``canto=yue-link (/data/yue)``): the comparisons are of real folders, the messages of what was typed."""
    from .audiofolder import AudioFolder

    given = str(source.root if isinstance(source, AudioFolder) else source)
    real = _root(source)
    return given if normal_path(given) == real else f"{given} ({real})"


def check_distinct_sources(sources: dict[str, str | os.PathLike]) -> None:
    """ValueError when two sources' folders are the same folder, or one holds the other, named as given."""
    roots = {name: _root(source) for name, source in sources.items()}
    for name, root in roots.items():
        for other, other_root in roots.items():
            if name != other and (root == other_root or other_root in root.parents):
                where = "the same folder as" if root == other_root else "inside the folder of"
                raise ValueError(
                    f"--source {name}={_as_given(sources[name])} is {where} --source {other}="
                    f"{_as_given(sources[other])}: its clips would be read twice, under two corpus names; "
                    "give each corpus once"
                )


def check_outside_sources(output: str | os.PathLike, sources: dict[str, str | os.PathLike]) -> None:
    """ValueError when ``output`` (a file or folder a command is about to write) lies inside one of
    the raw corpus folders of ``sources`` (``{corpus: root}``), or in a folder one of them links to
    (the readers follow folder links), or holds one: raw corpus folders are never written to, and a
    later scan would read what was written there as corpus files."""
    out = Path(output).expanduser().resolve()
    for name, source in sources.items():
        root = _root(source)
        inside = out == root or root in out.parents
        # the tree is walked for its links only when the path alone does not tell
        linked = None if inside else next((f for f in _linked_folders(root) if out == f or f in out.parents), None)
        if inside or linked:
            raise ValueError(
                f"--output {output} is inside the {name} corpus folder {_as_given(source)}"
                + (f" (in {linked}, which it links to)" if linked else "")
                + "; raw corpus folders are never written to: choose an --output outside it"
            )
        if out in root.parents:
            raise ValueError(
                f"--output {output} holds the {name} corpus folder {_as_given(source)}; choose an --output that does "
                "not contain it"
            )


def _linked_folders(root: Path) -> list[Path]:
    """The real folders that links below ``root`` lead to (outside it), as the readers walk them."""
    found = []
    for dirpath, dirnames, _ in walk_tree(root):
        dirnames[:] = [d for d in dirnames if searched(d)]
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                found.append(Path(os.path.realpath(os.path.join(dirpath, name))))
    return found


def read_manifest(path: str | os.PathLike) -> list[Utterance]:
    with open(path, encoding="utf-8") as f:
        return [Utterance.from_dict(json.loads(line)) for line in f if line.strip()]


def partial_releases(report: SkipReport, generated: Container[str] = ()) -> list[str]:
    """A note for each of the seven corpora whose folder holds fewer clips (read or skipped, of the
    scan's ``report``) than its full release (``SourceInfo.expected_count``): a partial download or a
    subset, which every count and split of it then describes; where folders below it could not be listed
    (``unreadable_folder`` skips), that the others may be behind them instead; or more clips read than it: another
    version or extra clips merged in, whose counts are then not the corpus's (skipped files beside a whole
    release are not: the skips name them); or fewer read, as many only with the skipped ones.  A ``generated`` corpus (a small
    copy, :mod:`loaders.synthetic`) gets none."""
    from . import READERS, SOURCES

    notes = []
    for corpus in sorted({corpus for corpus, _ in report.files}):
        if corpus not in READERS or corpus in generated:
            continue
        read = report.files[(corpus, "read")]
        held = read + sum(n for (c, _), n in report.file_skips.items() if c == corpus)
        those = f"those {held}" if read == held else f"the {read} of them read ({held - read} skipped)"
        expected = SOURCES[corpus].expected_count
        unlisted = report.counts[(corpus, "unreadable_folder")]
        if held < expected and unlisted:  # the rest may be there, behind them: no download is missing
            notes.append(
                f"{corpus}: {held} of the {expected} clips of the full release (`bimotion sources`) were found, and "
                f"{unlisted} folder(s) below its folder could not be listed (unreadable_folder, above): the others "
                f"may be there; make them readable and run again. Every count and split of it here is of {those}"
            )
        elif held < expected:
            notes.append(
                f"{corpus}: its folder holds {held} of the {expected} clips of the full release (`bimotion sources`): "
                f"a partial download or a subset? Every count and split of it here is of {those}"
            )
        elif read > expected:  # only the clips read: skipped junk beside a whole release is no other version
            extra = f" read ({held - read} other files skipped)" if held > read else ""
            notes.append(
                f"{corpus}: its folder holds {read} clips{extra}, more than the {expected} of the full release "
                "(`bimotion sources`): another version or extra clips merged in? Every count and split of it "
                f"here is of those {read}, not of the release"
            )
        elif read < expected:  # as many files as the release only with the skipped ones counted
            notes.append(
                f"{corpus}: {read} of the {expected} clips of the full release (`bimotion sources`) were read from "
                f"its folder, {held - read} of its {held} files skipped: every count and split of it here is of "
                f"those {read}"
            )
    return notes


def labels_without_clips(corpus: str, space, counts) -> str | None:
    """The note on the labels of ``corpus``'s label ``space`` that none of its clips has (``counts``: clips
    per label), naming the folders the corpus files them in where its layout files clips by label (a reader's
    ``LABEL_FOLDERS``: CSED given one class folder, not the release); None when every label has clips."""
    empty = [label for label in LABELS if label in space and not counts.get(label)]
    if not empty:
        return None
    note = f"{corpus}: {' and '.join(empty)} {'has' if len(empty) == 1 else 'have'} no clips here"
    folders = getattr(reader(corpus), "LABEL_FOLDERS", {}) if corpus in READERS else {}
    if all(label in folders for label in empty):
        where = " and ".join(f"{folders[label]}/" for label in empty)
        note += f": {corpus} files {'it' if len(empty) == 1 else 'them'} in {where}; was a subfolder of it given?"
    return note


def empty_labels(records: list[Utterance], generated: Container[str] = ()) -> list[str]:
    """:func:`labels_without_clips` of each corpus of ``records`` (``bimotion scan``'s notes); a ``generated``
    corpus (a small copy, :mod:`loaders.synthetic`) gets none."""
    spaces: dict[str, set[str]] = collections.defaultdict(set)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in (r for r in records if r.corpus not in generated):
        spaces[r.corpus].update(r.label_space)
        counts[r.corpus].update(r.emotions)
    return [note for corpus in sorted(spaces) if (note := labels_without_clips(corpus, spaces[corpus], counts[corpus]))]


NOT_ANNOTATED = "-"  # a summary's cell of a label outside the corpus's label space
NOT_ANNOTATED_MEANS = "a label the corpus does not annotate (0: none of its clips has it)"  # the legend's


def label_cell(count: int, annotated: bool) -> str:
    """A label-count table's cell (``bimotion scan``'s summary, the dataset card's): the ``count``, or
    :data:`NOT_ANNOTATED` for a label outside the corpus's label space that none of its clips has."""
    return str(count) if annotated or count else NOT_ANNOTATED


def label_columns(counts, spaces) -> list[str]:
    """The label columns of a label-count table (``bimotion scan``'s summary, the dataset card's), in label
    order: each label some row's ``counts`` has, and each label some row's label space (``spaces``) annotates,
    shown 0 where none of its clips has it (one CSED class folder given); ``(none)`` only where counted."""
    counts, spaces = list(counts), list(spaces)
    return [
        label
        for label in (*LABELS, "(none)")
        if any(c[label] for c in counts) or (label != "(none)" and any(label in s for s in spaces))
    ]


def summary(records: list[Utterance], width: int | None = None) -> str:
    """Counts by corpus x language x age group x label, with hours of audio.  The label columns carry
    the labels' names when the table fits in ``width`` characters (default: the terminal's), else
    :data:`loaders.labels.LABEL_CODES`, spelled out under the table.  A label outside a row's label
    space (CSED has no disgust) is :data:`NOT_ANNOTATED`, not 0: none in a label the corpus annotates
    is told from a label it does not."""
    rows: dict[tuple, collections.Counter] = collections.defaultdict(collections.Counter)
    hours: dict[tuple, float] = collections.defaultdict(float)
    spaces: dict[tuple, set[str]] = collections.defaultdict(lambda: {"(none)"})
    for r in records:
        key = (r.corpus, r.language, r.age_group)
        rows[key]["n"] += 1
        hours[key] += r.duration_s / 3600
        spaces[key].update(r.label_space)
        for e in r.emotions or ("(none)",):
            rows[key][e] += 1
    used = label_columns(rows.values(), spaces.values())
    table = [["corpus", "lang", "age", "n", "hours", *used]]
    total = collections.Counter()
    for key in sorted(rows):
        c = rows[key]
        total.update(c)
        cells = (label_cell(c[label], label in spaces[key]) for label in used)
        table.append([*key, str(c["n"]), hours_text(hours[key]), *cells])
    table.append(
        ["total", "", "", str(total["n"]), hours_text(sum(hours.values())), *(str(total[label]) for label in used)]
    )
    width = shutil.get_terminal_size((120, 24)).columns if width is None else width
    lines = _aligned(table)
    legend = ""
    if len(lines[0]) > width:
        table[0][5:] = [LABEL_CODES.get(label, label) for label in used]
        lines = _aligned(table)
        legend = "\n" + ", ".join(f"{LABEL_CODES.get(label, label)} = {label}" for label in used if label != "(none)")
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    if any(NOT_ANNOTATED in row for row in table[1:]):
        legend += f"\n{NOT_ANNOTATED} = {NOT_ANNOTATED_MEANS}"
    return "\n".join(lines) + legend


def _aligned(table: list[list[str]]) -> list[str]:
    """The rows as lines: text columns left-aligned, numbers (from the fourth column on) right-aligned."""
    return aligned_lines(table, indent="", text_columns=3)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
