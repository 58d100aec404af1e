"""Read raw corpora, probe every audio header, and write one JSON object per utterance.

Example:
  bimotion scan --source csed=~/corpora/CSED --source tess=~/corpora/TESS --output manifest.jsonl

Prints a summary (counts by corpus x language x age group x label) and, with --skip-bad, what was
skipped and why.  The corpus folders are only read, never written to.
"""

from __future__ import annotations

import sys

from ._sources import add_source_arguments, sources_dict

HELP = "read raw corpora into a JSON-lines manifest and print counts"


def add_arguments(parser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--output", "-o", required=True, metavar="FILE", help="manifest to write (.jsonl)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args) -> int:
    from loaders.manifest import Timer, scan, summary, write_manifest

    with Timer() as timer:
        records, report = scan(sources_dict(args.sources), skip_bad=args.skip_bad, progress=not args.quiet)
    write_manifest(records, args.output)
    print(summary(records))
    rate = len(records) / timer.seconds if timer.seconds else float("inf")
    print(f"\n{len(records)} utterances -> {args.output} in {timer.seconds:.1f} s ({rate:.0f} files/s)")
    if report:
        print(report.format(), file=sys.stderr)
    return 0
