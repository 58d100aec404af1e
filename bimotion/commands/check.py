"""Check a prepared folder: rows per config and split, that every file the card names is there
with the rows prepare.json records, speaker overlap between splits per corpus, and duplicate
audio (content hash of the stored 16 kHz FLAC) across splits.

Example:
  bimotion check bimotion

Exit status: 0 when everything holds, 1 when a problem was found (a missing, changed or
unreadable file, a speaker/unit shared between splits where the protocol promises none, a corpus
of your own whose split files share another number of speakers than prepare.json records of its
split column, the same audio in two splits, a duplicate id, a silent stored clip, a folder below
data/ that cannot be listed: it is named, with the fix, and the other files are checked), 2 when
OUT is not a prepared dataset or cannot be read itself.

Every stored clip is decoded and its level measured: a clip whose peak is at most a few 16-bit
steps (-80 dBFS) is reported as silent, as a float source stored through a broken
decoder was.  With --source NAME=DIR the raw files of that corpus are decoded again and each
stored clip is compared with its source: an RMS level more than 3 dB off, or a
duration more than 0.01 s off, is a problem (slower: it decodes the corpus).

Example, comparing with the raw TESS release:
  bimotion check bimotion --source tess=~/corpora/TESS
"""

from __future__ import annotations

import sys

HELP = "verify a prepared dataset: counts, files, speaker overlap, duplicate audio, silent clips"


def add_arguments(parser) -> None:
    from .source_args import add_source_argument

    parser.add_argument("out", metavar="OUT", help="a folder written by `prepare`")
    parser.add_argument("--no-audio", action="store_true", help="skip decoding and hashing the audio (faster)")
    add_source_argument(
        parser,
        required=False,
        help="also compare every stored clip of corpus NAME with its raw file in DIR (level and duration); repeatable",
    )


def run(args) -> int:
    from bimotion.verify import verify
    from bimotion.verify_report import format_result

    from .source_args import sources_dict

    try:
        result = verify(args.out, hash_audio=not args.no_audio, sources=sources_dict(args.sources))
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except PermissionError as err:  # the folder itself or its record (any other file is a problem in the report:
        from loaders.unlisted import MAKE_LISTABLE  # bimotion.verify_files.unreadable; one that escapes it, this line)

        why = f"cannot read {err.filename} ({err.strerror})"
        print(f"error: {args.out}: {why}: {MAKE_LISTABLE} and check again", file=sys.stderr)
        return 2
    print(format_result(result))
    return 1 if result["problems"] else 0
