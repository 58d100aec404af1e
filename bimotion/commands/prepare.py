"""Prepare BiMotion from the raw corpora into a folder that `datasets` loads and the Hub serves.

Example:
  bimotion prepare --source crema_d=~/corpora/CREMA-D --source csed=~/corpora/CSED \\
      --output bimotion --protocol speaker --num-proc 8

Each file is decoded once, resampled to 16 kHz mono and stored as FLAC inside Parquet shards
`OUT/data/<corpus>/<group>/<split>-NNNNN-<content hash>.parquet`, with a dataset card
`OUT/README.md` whose configs make `load_dataset("OUT", "eng_eld")` work.  Giving only some corpora
works: the summary and the card say which groups are partial.  The run is atomic: until it
succeeds, nothing is at OUT (work happens in OUT.partial-tmp), and exclusive: a second run into the
same OUT fails at once (the first holds OUT.prepare-lock).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from loaders.files import write_error

from .source_args import add_source_arguments, naming_warned, print_skips, sources_of

HELP = "decode, resample and write BiMotion as Parquet shards + dataset card"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity on Linux)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_num_proc() -> int:
    return min(available_cores(), 8)


def capped_num_proc(num_proc: int) -> int:
    """``--num-proc``, at most the available cores (more would only share them, and be slower): a
    warning line says so."""
    cores = available_cores()
    if num_proc > cores:
        print(
            f"warning: --num-proc {num_proc} is more than the {cores} available cores; using {cores}", file=sys.stderr
        )
    return min(num_proc, cores)


def whole_number(low: int, high: int | None = None):
    """argparse type: an integer in ``[low, high]`` (``high`` None: no upper bound); the one range
    check of the commands' integer options (argparse names the option in its error line)."""
    allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
    allowed = "a positive integer" if (low, high) == (1, None) else f"a whole number {allowed}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}")
        return value

    return parse


positive_int = whole_number(1)  # argparse type: an integer of at least 1

# a size's units, as `--bytes-per-file` reads them (case aside): decimal, as the Hub and `datasets` count
# (500 MB: 500,000,000 bytes), and binary
BYTE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
BYTE_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)


def byte_size(text: str) -> int:
    """argparse type: a positive number of bytes, plain (``500000000``) or with a unit of
    :data:`BYTE_UNITS` (``500MB``, ``2 GB``, ``1.5GiB``); argparse names the option in its error line.
    Not ``datasets``' ``convert_file_size_to_int``: it refuses plain bytes and reads ``500mb`` as megabits."""
    match = SIZE.fullmatch(text)
    unit = BYTE_UNITS.get(match[2].lower()) if match else None
    value = int(float(match[1]) * unit) if unit else 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a size of at least 1 byte, in bytes or with a unit (e.g. 500MB, 2GB, 1GiB), not {text!r}"
        )
    return value


def size_text(size: int) -> str:
    """``size`` bytes as the help writes it: ``500 MB`` (decimal units, the largest that is whole)."""
    for unit in ("TB", "GB", "MB", "kB"):
        if size % BYTE_UNITS[unit.lower()] == 0:
            return f"{size // BYTE_UNITS[unit.lower()]} {unit}"
    return f"{size} bytes"


def path_text(text: str) -> str:
    """argparse type of the commands' ``--output``: any path but an empty one (``-o ''``, an unset
    shell variable), which would otherwise be the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a path")
    return text


def add_arguments(parser) -> None:
    add_source_arguments(parser)
    add_output_arguments(parser)


def add_num_proc_argument(parser, when: str = "") -> None:
    """``--num-proc``: decoding processes (``when``: words on when it applies, e.g. "with --levels")."""
    parser.add_argument(
        "--num-proc",
        type=positive_int,
        default=default_num_proc(),
        metavar="N",
        help=f"decoding processes{when}, at most the available cores (more are capped, with a warning; "
        f"default: the available cores, at most 8; here {default_num_proc()})",
    )


def add_split_arguments(parser, benchmark: str | None = "bimotion") -> None:
    """``--protocol`` and ``--seed``: how ``benchmark``'s prepare draws the splits (its ``--protocol`` help
    cites its table in the paper); ``scan`` takes them too (``benchmark`` None: it scans the corpora of
    both, and its help cites each prepare's table), to preview that draw."""
    from bimotion.registry import BUILTIN

    tables = (
        f"Table {BUILTIN[benchmark].paper_table} splits"
        if benchmark
        else "splits (" + ", ".join(f"Table {b.paper_table} for `{name} prepare`" for name, b in BUILTIN.items()) + ")"
    )
    parser.add_argument(
        "--protocol",
        choices=("paper", "speaker"),
        default="paper",
        help=f"paper: the paper's {tables}; speaker: speaker-independent splits (default: paper)",
    )
    parser.add_argument("--seed", type=whole_number(0), default=0, help="seed of the split draws (default: 0)")


def add_output_arguments(parser, benchmark: str = "bimotion") -> None:
    """The output options of ``benchmark``'s prepare (its ``--protocol`` help cites its table in the paper)."""
    from bimotion.data.layout import BYTES_PER_FILE, ROWS_PER_FILE

    parser.add_argument(
        "--output",
        "-o",
        required=True,
        type=path_text,
        metavar="OUT",
        help="folder to create: it must not exist, unless it is an earlier prepared dataset and --overwrite is given",
    )
    add_split_arguments(parser, benchmark)
    add_num_proc_argument(parser)
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it is an earlier prepared dataset")
    parser.add_argument(
        "--rows-per-file",
        type=positive_int,
        default=ROWS_PER_FILE,
        metavar="N",
        help=f"rows per Parquet file, at most (default: {ROWS_PER_FILE}); a file also ends at --bytes-per-file",
    )
    parser.add_argument(
        "--bytes-per-file",
        type=byte_size,
        default=BYTES_PER_FILE,
        metavar="SIZE",
        help=f"audio per Parquet file, at most, in bytes or with a unit: 200MB, 2GB, 1GiB (default: "
        f"{size_text(BYTES_PER_FILE)}, as `datasets` shards for the Hub); a longer clip has a file of its own",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def run(args) -> int:
    return execute(sources_of(args), args, benchmark="bimotion")


def execute(sources: dict, args, *, benchmark: str) -> int:
    from concurrent.futures.process import BrokenProcessPool

    from bimotion.data.publish import output_path
    from bimotion.prepare import OutputLockedError, prepare
    from loaders.manifest import partial_releases
    from loaders.skips import SkipReport
    from loaders.tables import counted

    from .prepare_notes import empty_label_notes, summary, undeclared_licences

    start = time.perf_counter()
    num_proc = capped_num_proc(args.num_proc)
    report, done, failure = SkipReport(), False, ""  # the report: what was skipped and warned of, also if it fails
    try:
        with naming_warned(output_path(args.output)):  # the folder print_skips is given: result.out_dir
            result = prepare(
                sources,
                args.output,
                benchmark=benchmark,
                protocol=args.protocol,
                seed=args.seed,
                num_proc=num_proc,
                skip_bad=args.skip_bad,
                overwrite=args.overwrite,
                rows_per_file=args.rows_per_file,
                bytes_per_file=args.bytes_per_file,
                progress=not args.quiet,
                report=report,
            )
        done = True
    except (ValueError, FileExistsError, OutputLockedError) as err:  # corpus errors go to the CLI's handler
        failure = f"error: {err}"
    except BrokenProcessPool as err:  # a worker killed (out of memory) or crashed: the others are stopped
        failure = f"error: {err} (temporary files removed, {args.output} untouched)"
    except OSError as err:  # a full disk, a file size limit, no permission: what was written is removed
        failure = write_error(err, args.output, "the dataset")
    finally:
        if not done:  # its warnings said where every file they named is listed: it is, also when the run failed
            print_skips(report, output_path(args.output), failed=True)
    if failure:  # after the lists' lines, as the CLI's handler says an error raised: the error line closes the output
        print(failure, file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(summary(result.info))
    rows = sum(s["rows"] for s in result.info["shards"])
    utterances = counted(rows, "utterance")
    print(f"\n{utterances} -> {result.out_dir} in {seconds:.1f} s ({rows / max(seconds, 1e-9):.0f} utt/s)")
    if result.report.files:
        print(result.report.format_files())
    for note in partial_releases(result.report, result.info.get("synthetic") or {}):
        print(f"note: {note}")
    for note in undeclared_licences(result.info) + empty_label_notes(result.info):
        print(f"note: {note}")
    print_skips(result.report, result.out_dir)  # beside OUT, also where it was given as `..`
    return 0
