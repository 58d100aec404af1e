"""The `--source NAME=DIR` arguments (raw corpus folders) shared by the commands that read raw corpora.

NAME is one of the seven corpora, or any other name for a user's own corpus in the audiofolder
convention (DIR holds ``metadata.csv`` or ``metadata.jsonl``: :mod:`loaders.audiofolder`), whose
label map and licence ``--label-map NAME=FILE`` and ``--license NAME=TEXT`` give."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from bimotion.mistyped import did_you_mean
from bimotion.training.parsing import usage_error
from loaders import READERS
from loaders.audiofolder import FORMAT_HELP, NAME, AudioFolder, check_name, is_audiofolder, why_not_audiofolder

OWN_CORPUS = f"any other NAME whose DIR holds metadata.csv or metadata.jsonl (your own corpus: {FORMAT_HELP})"


def parse_source(text: str) -> tuple[str, str]:
    name, sep, root = text.partition("=")
    if not sep or not root:
        if not sep and Path(text).expanduser().is_dir():  # the folder alone: which corpus it is is not said
            fix = f": name its corpus, --source NAME={text} (NAME: {', '.join(READERS)}, or your own corpus's name)"
            if NAME.fullmatch(text):  # or --source csed raw/csed, where a folder is named csed: a space for the '='
                fix += f"; or, if {text} is the corpus{space_for_equals(text)}"
        elif not sep and NAME.fullmatch(text):  # --source csed ~/data/CSED: a space for the '='
            fix = space_for_equals(text)
        else:
            fix = ""
        raise argparse.ArgumentTypeError(f"expected NAME=DIR, got {text!r}{fix}")
    if name not in READERS:
        if not is_audiofolder(root):
            # the corpora closest to NAME, and the one DIR is named after (cesd=/data/csed: csed)
            folder = Path(root).expanduser().name.replace("-", "_")
            guess = did_you_mean(name.replace("-", "_"), READERS, evidence=folder, because="as its folder is named")
            why, mistyped = why_not_audiofolder(root)
            if mistyped and not guess and NAME.fullmatch(name):  # the user's own corpus, at a wrong DIR
                raise argparse.ArgumentTypeError(
                    f"{name}={root}: {why} ({name} is not one of the seven corpora, so DIR is your own corpus's "
                    f"folder: the one holding metadata.csv or metadata.jsonl; {FORMAT_HELP})"
                )
            raise argparse.ArgumentTypeError(
                f"unknown corpus {name!r}{guess}; choose one of: {', '.join(READERS)}, or {OWN_CORPUS} ({why})"
            )
        try:
            check_name(name)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return name, root


def space_for_equals(name: str) -> str:
    """The fix of ``--source NAME DIR`` (a space for the '='), which argparse would report as an unrecognised
    ``DIR``: both CLIs' ``--source`` say it so."""
    return f": write --source {name}=DIR, with '=' and no space"


def unrecognized(argv: list[str], stray: list[str]) -> str:
    """argparse's ``unrecognized arguments: ...``, saying the fix when the first stray follows a bare
    ``--source NAME`` (``--source yuemotion raw/yue`` where a folder named ``yuemotion`` is here, which
    ``yuemotion prepare`` took as the release, leaving ``raw/yue``): a space for the '='."""
    said = f"unrecognized arguments: {' '.join(stray)}"
    for i, token in enumerate(argv[:-1]):
        flag, sep, value = token.partition("=")
        if flag != "--source" or (not sep and i + 2 >= len(argv)):
            continue
        name, after = (value, argv[i + 1]) if sep else (argv[i + 1], argv[i + 2])
        if after == stray[0] and NAME.fullmatch(name):
            return f"{said} (after --source {name}){space_for_equals(name)}"
    return said


def add_source_argument(parser: argparse.ArgumentParser, *, required: bool = True, help: str | None = None) -> None:
    """The repeatable ``--source NAME=DIR`` (``args.sources``: a list of ``(name, dir)``, empty when not given)."""
    parser.add_argument(
        "--source",
        dest="sources",
        metavar="NAME=DIR",
        action="append",
        type=parse_source,
        required=required,
        default=[],
        help=help
        or f"a corpus and the folder its raw release was unpacked into (repeatable); NAME is one of: "
        f"{', '.join(READERS)}; or {OWN_CORPUS}",
    )


def add_source_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--source``, ``--label-map``, ``--license`` and ``--skip-bad``, of the commands that read whole raw corpora."""
    add_source_argument(parser, required=required)
    add_own_corpus_arguments(parser)


def add_own_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """``--label-map``, ``--license`` (of a user's corpus) and ``--skip-bad``."""
    _add_named_option(
        parser,
        "--label-map",
        "label_maps",
        "FILE",
        "your corpus NAME's labels -> the shared labels: a JSON object or a two-column CSV (default: "
        "label_map.json or label_map.csv beside its metadata; shared label names need no mapping)",
    )
    _add_named_option(
        parser,
        "--license",
        "licenses",
        "TEXT",
        "your corpus NAME's licence, for the dataset card (default: `license:` in its README.md, else "
        "'unknown (user corpus)')",
    )
    parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unusable files (git-LFS stubs, truncated or non-audio files, unknown labels, missing metadata) "
        "and report them by reason, instead of stopping at the first one",
    )


def _add_named_option(parser: argparse.ArgumentParser, flag: str, dest: str, what: str, help: str) -> None:
    """A repeatable ``flag NAME=<what>`` of a user's corpus NAME (``args.<dest>``: a list of ``(name, value)``)."""

    def parse(text: str) -> tuple[str, str]:
        name, sep, value = text.partition("=")
        if not sep or not value:
            raise argparse.ArgumentTypeError(f"expected NAME={what}, got {text!r}")
        return name, value

    parser.add_argument(flag, dest=dest, metavar=f"NAME={what}", action="append", type=parse, default=[], help=help)


def sources_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, root in pairs:
        if name in out:
            usage_error(f"--source {name}= given twice ({out[name]} and {root})")
        out[name] = root
    return out


def sources_of(args) -> dict:
    """``{name: root}`` of ``--source``, a user corpus's root as an :class:`AudioFolder` with its
    ``--label-map`` and ``--license``; those options must name a user corpus given once."""
    sources: dict = sources_dict(args.sources)
    extras = {"--label-map": dict(getattr(args, "label_maps", [])), "--license": dict(getattr(args, "licenses", []))}
    own = [n for n in sources if n not in READERS]
    for option, given in extras.items():
        stray = sorted(set(given) - set(own))
        if stray and stray[0] in READERS:
            usage_error(
                f"{option} {stray[0]}={given[stray[0]]}: {stray[0]} is one of the seven corpora, whose reader maps its "
                f"labels and knows its licence; {option} is for your own corpora"
            )
        if stray:
            usage_error(
                f"{option} {stray[0]}={given[stray[0]]}: not one of your corpora given with --source "
                f"({', '.join(own) or 'none'}){did_you_mean(stray[0], own)}"
            )
    for name in own:
        sources[name] = AudioFolder(sources[name], extras["--label-map"].get(name), extras["--license"].get(name))
    return sources


def print_skips(report, output: str | Path, *, failed: bool = False) -> None:
    """The skipped inputs to standard error, a few per reason, and every one of them in
    ``OUTPUT.skipped.tsv`` beside the output (:func:`write_skip_list`); every file a warning named, in
    ``OUTPUT.warned.tsv`` (:func:`warned_list`); the lists a run that failed into ``output`` left beside it
    (``OUTPUT.failed.*.tsv``) are removed, as no longer of the output's run.  ``failed``: the run failed after it
    began reading (its error said why): both lists are still written, of what it had read, without the summary, as
    ``OUTPUT.failed.skipped.tsv`` and ``OUTPUT.failed.warned.tsv`` (as its warnings said: :func:`naming_warned`),
    so that the lists beside an earlier output still describe it; a failed run that had nothing to list leaves the
    lists an earlier run wrote."""
    from loaders.named import write_named

    if failed and not report and not report.named:
        return
    if report and not failed:
        print(report.format(), file=sys.stderr)
    write_skip_list(report, output, "input", failed=failed)
    listed = warned_list(output, failed=failed)
    try:
        if write_named(report, listed) is not None:
            print(f"every file a warning named: {listed}", file=sys.stderr)
    except OSError as err:
        print(f"warning: cannot write the list of files warned of to {listed} ({err.strerror or err})", file=sys.stderr)
    if not failed:  # this run's lists describe the output now: a failed run's, of an attempt it replaced, would not
        skip_list_path(output, failed=True).unlink(missing_ok=True)
        warned_list(output, failed=True).unlink(missing_ok=True)


def list_path(output: str | Path, what: str, failed: bool = False) -> Path:
    """``OUTPUT.<what>.tsv`` beside ``output``; ``failed``: ``OUTPUT.failed.<what>.tsv``, the list of a run that
    failed, never mistaken for the list of the output an earlier run left there."""
    return Path(f"{Path(output).expanduser()}{'.failed' if failed else ''}.{what}.tsv")


def warned_list(output: str | Path, *, failed: bool = False) -> Path:
    """``OUTPUT.warned.tsv``, beside ``OUTPUT.skipped.tsv``: every file a reader's warning named (second copies read
    once, files read under another case of their name: :mod:`loaders.named`), where the warning names a few, and
    every clip whose channels' mix was warned of as it was decoded (:func:`bimotion.prepare.encode.note_channels`)
    (``failed``: ``OUTPUT.failed.warned.tsv``, :func:`list_path`)."""
    return list_path(output, "warned", failed)


@contextlib.contextmanager
def naming_warned(output: str | Path) -> Iterator[None]:
    """While the corpora are read: their warnings say that every file they name is in :func:`warned_list`
    (``output`` as :func:`print_skips` is given it), or, should the run fail, in its ``failed`` list, which
    :func:`print_skips` writes."""
    from loaders.errors import display
    from loaders.named import NAMED_LIST

    where = f"{display(warned_list(output))}, or in {display(warned_list(output, failed=True))} if this run fails"
    token = NAMED_LIST.set(where)
    try:
        yield
    finally:
        NAMED_LIST.reset(token)


def replacing(output: str | Path | None) -> str:
    """What the summary line adds when ``output`` is a file an earlier run wrote, to be asked before
    writing: a command's output replaces it, and says so."""
    if output is None or str(output) == "-" or not Path(output).expanduser().is_file():
        return ""
    return " (replacing the file that was there)"


def skip_list_path(output: str | Path, *, failed: bool = False) -> Path:
    """``OUTPUT.skipped.tsv``, where :func:`write_skip_list` lists the inputs of a run into ``output``
    (``failed``: ``OUTPUT.failed.skipped.tsv``, :func:`list_path`)."""
    return list_path(output, "skipped", failed)


def write_skip_list(
    report, output: str | Path, what: str = "file", *, corpus_column: bool = True, failed: bool = False
) -> Path | None:
    """Every input ``report`` (a :class:`loaders.skips.SkipReport`) skipped, a row each (its corpus, reason, file,
    message and fix: :meth:`~loaders.skips.SkipReport.write_tsv`), in ``OUTPUT.skipped.tsv`` beside ``output``
    (``failed``: ``OUTPUT.failed.skipped.tsv``), named on standard error; when nothing was skipped, a list an
    earlier run left there is removed.  A list that cannot be written is a warning, not a failed run.  ``corpus_column``: see :meth:`~loaders.skips.SkipReport.write_tsv`."""
    listed = skip_list_path(output, failed=failed)
    if not report:
        listed.unlink(missing_ok=True)
        return None
    try:
        report.write_tsv(listed, corpus_column=corpus_column)
    except OSError as err:
        print(f"warning: cannot write the list of skipped inputs to {listed} ({err.strerror or err})", file=sys.stderr)
        return None
    print(f"every skipped {what}, with its reason and fix: {listed}", file=sys.stderr)
    return listed
