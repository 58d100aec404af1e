"""Read raw corpora, probe every audio header, and write one JSON object per utterance.

Example:
  bimotion scan --source csed=~/corpora/CSED --source tess=~/corpora/TESS --output manifest.jsonl

Prints a summary (counts by corpus x language x age group x label), how long it took (files per
second of the reading alone; its search for identical audio of a corpus of your own said apart where
it took 0.1 s or more), the files seen below each source folder (read / skipped by reason / not
audio), and, with --skip-bad, what was skipped and why. A
scan reads each file's header and measures no clip's level (of a corpus of your own it decodes the
clips that could be copies of one another, of one rate and duration, its own and those of the
corpora scanned beside it, to draw its split as `prepare` will, under the --protocol and --seed
given (as `prepare` takes them), and say where `prepare` would put copies of one recording in two
corpora in different splits, as `prepare` warns; none of one a split column splits on every row,
unless the corpora beside it hold clips of its rates and durations, or it holds audio files no row
lists, whose skip then names the clip one is a copy of): with --levels it also decodes every clip as
`prepare` will (slower: about as long as `prepare`'s decoding) and names the clips far quieter than
speech (a noise floor), counts the hard-clipped ones per label (uneven across labels: a shortcut a
model can learn) and, as errors or --skip-bad skips, the silent ones and those that do
not decode. With or without --levels it says, from the headers, a recording format (sample rate,
channels, sample format) that goes with the label, as `prepare` does. Every audio file below a
source folder is read or reported: never dropped silently. The corpus folders are only read, never
written to.
"""

from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

from bimotion.signals import stop_if_lost
from loaders import READERS
from loaders.files import folder_not_writable, write_error
from loaders.tables import counted

from .source_args import add_source_arguments, naming_warned, print_skips, replacing, sources_of

HELP = "read raw corpora into a JSON-lines manifest and print counts"


def add_arguments(parser) -> None:
    from .prepare import add_num_proc_argument, add_split_arguments, path_text

    add_source_arguments(parser)
    parser.add_argument(
        "--output",
        "-o",
        required=True,
        type=path_text,
        metavar="FILE",
        help="manifest to write (.jsonl); an existing one is replaced",
    )
    parser.add_argument(
        "--levels",
        action="store_true",
        help="also decode every clip as `prepare` will and measure its peak: name the clips far quieter than "
        "speech, count the hard-clipped ones per label, and refuse (or with --skip-bad skip) the silent ones and those that do not decode",
    )
    add_split_arguments(parser, None)  # the corpora of either benchmark
    add_num_proc_argument(parser, " (with --levels)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def run(args) -> int:
    from bimotion.console import stage_bar_options
    from loaders.manifest import (
        Timer,
        check_distinct_sources,
        check_outside_sources,
        empty_labels,
        partial_releases,
        scan,
        summary,
    )
    from loaders.skips import SkipReport
    from loaders.synthetic import generated_note, synthetic_sources

    output, sources = Path(args.output).expanduser(), sources_of(args)
    try:
        check_distinct_sources(sources)
        check_outside_sources(output, sources)  # before _unwritable's probe file, too
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    problem = _unwritable(output)
    if problem:  # before the scan, which may take minutes
        print(f"error: --output {output}: {problem}", file=sys.stderr)
        return 2
    replaced = replacing(output)
    report, done, failure = SkipReport(), False, ""  # what was skipped and warned of, also if the run fails
    try:
        with Timer() as reading:
            with naming_warned(output):
                records, _ = scan(
                    sources, skip_bad=args.skip_bad, progress=not args.quiet, bar=stage_bar_options(), report=report
                )
            records, levels = _levels(records, report, args)
        own = [name for name in sources if name not in READERS]
        with Timer() as looking:  # timed apart: the files/s said are the reading's
            # before the skips are said: the skip of a file no row lists that holds a clip's audio names that clip
            copies = _copies_across(own, records, args.protocol, args.seed, progress=not args.quiet, report=report)
        stop_if_lost()  # a stop a finalizer swallowed as it scanned (loaders know no signals): no manifest
        failure = _unwritten(records, output)
        done = not failure
    finally:
        if not done:  # its warnings said where every file they named is listed: it is, also when the run failed
            print_skips(report, output, failed=True)
    if failure:  # after the lists' lines, as the CLI's handler says an error raised: the error line closes the output
        print(failure, file=sys.stderr)
        return 2
    print(summary(records))
    timing = took(len(records), reading.seconds, looking.seconds, decoded=args.levels)
    print(f"\n{counted(len(records), 'utterance')} -> {output}{replaced} in {timing}")
    if report.files:
        print(report.format_files())
    print_skips(report, output)
    generated = synthetic_sources(sources, records)
    notes = ([generated_note(generated)] if generated else []) + partial_releases(report, generated)
    notes += empty_labels(records, generated) + format_notes(records)
    notes += _prepare_notes(own, records, copies, args.protocol, args.seed, sources=sources) + low_rate_notes(records)
    for note in notes + levels:
        print(note if note.startswith("note: ") else f"note: {note}", file=sys.stderr)
    return 0


# a search for identical audio this short is not said apart from the reading (it would read 0.0 s)
NOTICEABLE_S = 0.05


def took(count: int, reading_s: float, looking_s: float, *, decoded: bool = False) -> str:
    """How long a scan of ``count`` files took, as its last line says it: its rate in files per second from the
    reading alone (``decoded``: with ``--levels``), the search for identical audio (:func:`_copies_across`) said
    apart where it took noticeable time, ``4.6 s: read in 0.4 s (1710 files/s), then 4.2 s looking for identical
    audio``."""
    rate = f"{count / reading_s if reading_s else float('inf'):.0f} files/s"
    if looking_s < NOTICEABLE_S:
        return f"{reading_s + looking_s:.1f} s ({rate})"
    read = "read and decoded" if decoded else "read"
    return f"{reading_s + looking_s:.1f} s: {read} in {reading_s:.1f} s ({rate}), then {looking_s:.1f} s looking for identical audio"


def _unwritten(records: list, output: Path) -> str:
    """The manifest of ``records`` written at ``output``: ``""``; where it could not be, the error line saying why."""
    from loaders.manifest import write_manifest

    try:
        write_manifest(records, output)
    except OSError as err:
        return write_error(err, output, "the manifest")
    return ""


def _levels(records: list, report, args) -> tuple[list, list[str]]:
    """With ``--levels``: the records ``prepare`` would store (each decoded as it will be, by
    :func:`bimotion.prepare.encode.measure_levels`) and the notes on the quiet ones and on the release's
    known defects; without: the records, one note saying that levels were not measured (a header tells
    nothing of them) and the notes on the known defects read."""
    from loaders import known_defects

    from .prepare_notes import known_defect_lines

    if not args.levels:
        known: dict = {}
        for r in records:
            if r.id in known_defects(r.corpus):
                known.setdefault(r.corpus, {})[r.id] = None
        own = any(r.corpus not in READERS for r in records)
        note = [levels_not_measured(own=own)] if records else []
        return records, note + known_defect_lines(known, stored=False)
    from bimotion.prepare.clipping import clipped_info, label_words
    from bimotion.prepare.encode import measure_levels
    from bimotion.prepare.info import clip_levels

    from .prepare import capped_num_proc
    from .prepare_notes import clipped_lines, quiet_lines

    kept, peaks, clipped = measure_levels(
        records, capped_num_proc(args.num_proc), skip_bad=args.skip_bad, report=report, progress=not args.quiet
    )
    levels = clip_levels(peaks)
    labels = {r.id: r.emotions or ("(none)",) for r in kept}
    totals = {c: (len(ids), collections.Counter(x for i in ids for x in labels[i])) for c, ids in _ids(kept).items()}
    clipped = {c: {i: (f, labels[i]) for i, f in by_id.items()} for c, by_id in clipped.items()}
    clipping = clipped_info(clipped, totals, label_words(kept))
    notes = quiet_lines(levels["quiet"], stored=False) + clipped_lines(clipping, stored=False)
    return kept, notes + known_defect_lines(levels["known_defects"], stored=False)


def _ids(records: list) -> dict[str, list[str]]:
    """``{corpus: ids}`` of ``records``."""
    by_corpus: dict[str, list[str]] = {}
    for record in records:
        by_corpus.setdefault(record.corpus, []).append(record.id)
    return by_corpus


def levels_not_measured(*, own: bool) -> str:
    """The note of a scan without ``--levels``; ``own``: a corpus of one's own was scanned (whose possible
    copies the scan decodes; of the supported corpora alone it decodes nothing, and says nothing of it)."""
    copies = (
        " (of a corpus of your own it decodes only the clips that could be copies of one another, of one rate "
        "and duration, to compare them)"
        if own
        else ""
    )
    return (
        f"levels not measured: a scan reads each file's header and measures no clip's level{copies}, so it "
        "cannot see a clip that is silent or far quieter than speech (a noise floor); `bimotion scan --levels` "
        "decodes every clip and names them, as `prepare` does"
    )


def low_rate_notes(records: list) -> list[str]:
    """One note per corpus with clips recorded below the prepared rate (8 kHz telephone audio):
    ``prepare`` upsamples them, and they lack the upper band the other clips have.  The clips are named
    as ``prepare``'s note names them, by id (``carehome/clips/x.wav``: the corpus and the path in it), in id order."""
    import collections

    from bimotion.prepare.info import low_rate_records
    from loaders.errors import some_files

    from .prepare_notes import low_rate_note

    total = collections.Counter(r.corpus for r in records)
    return [
        low_rate_note(
            corpus,
            len(rows),
            total[corpus],
            min(r.sample_rate_hz for r in rows),
            some_files(sorted(r.id for r in rows)),
        )
        for corpus, rows in low_rate_records(records).items()
    ]


def format_notes(records: list) -> list[str]:
    """One note per corpus whose recording format goes with the label (:func:`bimotion.prepare.clipping.format_info`,
    read from the headers: with or without ``--levels``), as ``prepare`` will say it."""
    from bimotion.prepare.clipping import format_info

    from .prepare_notes import format_lines

    return format_lines(format_info(records), stored=False)


def _prepare_notes(
    own: list[str],
    records: list,
    copies: tuple[list, list[tuple[str, str]]],
    protocol: str = "paper",
    seed: int = 0,
    *,
    sources: dict | None = None,
) -> list[str]:
    """What ``prepare`` would refuse of the users' corpora read (their groups now known): a corpus
    name that is also a config name, groups of the other benchmark (with the command that takes it, its
    folder as ``sources`` gives it), a split it cannot draw (no
    speaker_id and no split column); and the groups its split would leave without a split, drawn as
    ``prepare --protocol PROTOCOL --seed SEED`` draws it (the notes name a seed other than 0; the
    warnings of copies across corpora name both): with the sets of clips whose audio is identical (:func:`loaders.identical.identical_audio`,
    which decodes only the clips of one corpus that could be copies: on the real CSED release, 227 of 652
    clips in 0.55-0.8 s, its headers in 0.1-0.3 s), whose speakers are drawn together as one; and its copies
    that another corpus scanned holds in another split, as prepare warns of them (``copies``:
    :func:`_copies_across`'s, found before the skips are said)."""
    from bimotion.registry import BUILTIN, check_own_groups, extend
    from loaders import SOURCES

    notes = []
    identical, across = copies
    for name in own:
        source = SOURCES[name]
        home = next((b for b in BUILTIN.values() if set(source.groups) & set(b.groups)), BUILTIN["bimotion"])
        try:
            check_own_groups(extend(home, [source]), sources)
        except ValueError as err:
            notes.append(f"`{home.name} prepare` would refuse {name}: {err}")
        rows = [r for r in records if r.corpus == name]
        # a corpus with groups of both benchmarks goes in as two parts (the refusal says so): each
        # part's split under the command that would prepare it, the part moved out under the name the
        # refusal gives it (not the command just said to refuse the whole corpus)
        parts = {}
        for group in source.groups:
            bench = next((b.name for b in BUILTIN.values() if group in b.groups), home.name)
            parts.setdefault(bench, set()).add(group)
        for bench, groups in sorted(parts.items(), key=lambda item: item[0] != home.name):
            part = name if bench == home.name else f"{name}_{min(g.partition('_')[0] for g in groups)}"
            said = _split_notes(bench, part, [r for r in rows if r.group in groups], identical, seed)
            notes += [f"once the rows are moved, {note}" for note in said] if len(parts) > 1 else said
        flags = f"--protocol {protocol} --seed {seed}"
        notes += [f"`{home.name} prepare` ({flags}): {line}" for key, line in across if name in key.split("+")]
    return list(dict.fromkeys(notes))


def _copies_across(
    own: list[str], records: list, protocol: str = "paper", seed: int = 0, *, progress: bool = False, report=None
) -> tuple[list, list[tuple[str, str]]]:
    """The sets of identical clips (:func:`loaders.identical.identical_audio`) of the users' corpora ``own``
    and of the other corpora that hold clips of the same rate and duration as theirs (read whole: their own
    copies move their split; with no such corpus, only those of ``own`` split by whole speakers: a split column
    splits as given, so a corpus split by one on every row is not decoded, but for its clips of the rate and duration
    of an audio file no row lists: ``report``'s skip of one that holds a clip's audio then names that clip), and prepare's warnings (:func:`bimotion.prepare.info.split_apart_lines`, as
    ``prepare --protocol PROTOCOL --seed SEED`` draws the splits) on the sets that span corpora and lie in different splits."""
    if not own:  # the supported corpora alone: nothing looked for, nor its imports timed as a search
        return [], []
    import warnings

    from bimotion import splits
    from bimotion.console import stage_bar_options
    from bimotion.prepare.info import identical_summary, split_apart_lines
    from loaders.identical import identical_audio

    alike = {(r.sample_rate_hz, r.duration_s) for r in records if r.corpus in own}
    others = {r.corpus for r in records if r.corpus not in own and (r.sample_rate_hz, r.duration_s) in alike}
    drawn = {r.corpus for r in records if r.corpus in own and not r.official_split}  # split by whole speakers
    needed = {*own, *others} if others else drawn  # a split column splits as given: copies move only a drawn split
    unlisted = set(own) & set(report.listed_at if report is not None else ()) - needed  # audio no row lists
    rows = [r for r in records if r.corpus in needed | unlisted]  # of unlisted, its clips an unlisted file may copy
    bars = stage_bar_options()
    identical = (
        identical_audio(rows, progress=progress, bar=bars, report=report, unlisted_only=unlisted) if rows else []
    )
    if not any(len({i.split("/", 1)[0] for i in ids}) > 1 for ids in identical):  # ids are corpus/...
        return identical, []
    try:
        with warnings.catch_warnings():  # of the users' corpora, _split_notes's draw says them once
            warnings.simplefilter("ignore")
            split_of = splits.assign_splits(rows, protocol, seed=seed, identical=identical)
    except ValueError:  # a split prepare cannot draw: _split_notes says why
        return identical, []
    summary = identical_summary(rows, identical, split_of, stored={r.id for r in rows})
    return identical, [(key, line) for key, line in split_apart_lines(summary, split_of) if "+" in key]


def _split_notes(
    benchmark: str, name: str, records: list, identical: list[tuple[str, ...]], seed: int = 0
) -> list[str]:
    """The split ``prepare --seed SEED`` would draw for the user's corpus ``name`` (the same under either
    protocol, from its metadata and the sets of its clips whose audio is ``identical``): why it cannot, or
    the groups it would leave without a split, and why; a seed other than 0 is named."""
    from bimotion import splits
    from bimotion.registry import SPLITS

    if not records:
        return []
    try:
        split_of = splits.assign_splits(records, "speaker", seed=seed, identical=identical)
    except ValueError as err:
        return [f"`{benchmark} prepare` would refuse {name}: {err}"]
    command = f"`{benchmark} prepare`" + (f" (--seed {seed})" if seed else "")
    joined = splits.joined_speakers(records, identical)  # speakers identical audio drew together, per group
    notes = []
    for group in sorted({r.group for r in records}):
        rows = [r for r in records if r.group == group]
        empty = [s for s in SPLITS if not any(split_of[r.id] == s for r in rows)]
        if not empty and not all(r.official_split for r in rows):
            split_rows = {s: [r for r in rows if split_of[r.id] == s] for s in SPLITS}
            speakers = {s: len({r.speaker_id for r in split_rows[s]}) for s in SPLITS}
            shares = splits.user_split_note(
                name,
                group,
                {s: len(v) for s, v in split_rows.items()},
                speakers,
                joined.get(f"{rows[0].corpus}/{group}"),
            )
            notes += [f"{command}: {shares}"] if shares else []
        if empty:
            speakers = len({r.speaker_id for r in rows})
            ids = {r.id for r in rows}
            joined = speakers >= len(SPLITS) and any(len(ids.intersection(s)) > 1 for s in identical)
            why = (
                "its split column gives none"
                if all(r.official_split for r in rows)
                else f"its {speakers} speakers, those sharing identical audio drawn together as one, are too few to "
                "fill every split"
                if joined
                else f"{speakers} speaker{'s' if speakers > 1 else ''}: too few to fill every split by whole speakers"
            )
            notes.append(
                f"{command} would leave {name}'s group {group} without {' or '.join(empty)} rows ({why}); "
                "training on it would need other groups for those splits"
            )
    return notes


def _unwritable(output: Path) -> str | None:
    """Why the manifest cannot be written at ``output``, or None; writes nothing there."""
    if os.path.isdir(output):  # not Path.is_dir, which raises below a folder that cannot be entered
        return "is a folder; give a file name, e.g. --output manifest.jsonl"
    if output.suffix.lower() != ".jsonl":
        return f"a manifest is JSON Lines: name it .jsonl, e.g. --output {output.with_suffix('.jsonl')}"
    problem = folder_not_writable(output.parent)  # write_manifest creates the missing folders
    return f"{problem}; choose another --output" if problem else None
