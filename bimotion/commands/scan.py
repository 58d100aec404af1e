"""Read raw corpora, probe every audio header, and write one JSON object per utterance.

Example:
  bimotion scan --source csed=~/corpora/CSED --source tess=~/corpora/TESS --output manifest.jsonl

Prints a summary (counts by corpus x language x age group x label), the files seen below each
source folder (read / skipped by reason / not audio), and, with --skip-bad, what was skipped and
why.  Every audio file below a source folder is read or reported: never dropped silently.  The
corpus folders are only read, never written to.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from loaders import READERS

from .source_args import add_source_arguments, print_skips, replacing, sources_of

HELP = "read raw corpora into a JSON-lines manifest and print counts"


def add_arguments(parser) -> None:
    add_source_arguments(parser)
    parser.add_argument(
        "--output", "-o", required=True, metavar="FILE", help="manifest to write (.jsonl); an existing one is replaced"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args) -> int:
    from loaders.manifest import Timer, check_distinct_sources, check_outside_sources, scan, summary, write_manifest

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
    with Timer() as timer:
        records, report = scan(sources, skip_bad=args.skip_bad, progress=not args.quiet)
    try:
        write_manifest(records, output)
    except OSError as err:
        print(
            f"error: --output {output}: cannot write the manifest ({err.strerror or err}); nothing was written",
            file=sys.stderr,
        )
        return 2
    print(summary(records))
    rate = len(records) / timer.seconds if timer.seconds else float("inf")
    print(f"\n{len(records)} utterances -> {output}{replaced} in {timer.seconds:.1f} s ({rate:.0f} files/s)")
    if report.files:
        print(report.format_files())
    print_skips(report, output)
    for note in _prepare_notes([name for name in sources if name not in READERS]):
        print(f"note: {note}", file=sys.stderr)
    return 0


def _prepare_notes(own: list[str]) -> list[str]:
    """What ``prepare`` would refuse of the users' corpora read (their groups now known): a corpus
    name that is also a config name, groups of the other benchmark."""
    from bimotion.registry import BUILTIN, check_own_groups, extend
    from loaders import SOURCES

    notes = []
    for name in own:
        source = SOURCES[name]
        home = next((b for b in BUILTIN.values() if set(source.groups) & set(b.groups)), BUILTIN["bimotion"])
        try:
            check_own_groups(extend(home, [source]))
        except ValueError as err:
            notes.append(f"`{home.name} prepare` would refuse {name}: {err}")
    return notes


def _unwritable(output: Path) -> str | None:
    """Why the manifest cannot be written at ``output``, or None; writes nothing there."""
    if output.is_dir():
        return "is a folder; give a file name, e.g. --output manifest.jsonl"
    if output.suffix.lower() != ".jsonl":
        return f"a manifest is JSON Lines: name it .jsonl, e.g. --output {output.with_suffix('.jsonl')}"
    folder = output.parent
    while not folder.exists():  # write_manifest creates the missing folders
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as err:
        return f"the folder {folder} is not writable ({err.strerror}); choose another --output"
    return None
