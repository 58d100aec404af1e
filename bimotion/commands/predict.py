"""Predict emotions in audio files and folders with a trained model, one row per window.

Examples:
  bimotion predict --model results/eng_eld recordings/ --output predictions.csv
  bimotion predict --model results/eng_eld carehome.mp3 --segment vad --output carehome.jsonl
  bimotion predict --model their-org/ser-13 --labels paper clip.wav          # generic LABEL_i names

Every audio file (WAV, FLAC, MP3, MP4/M4A, OGG, AIFF; found by content) is decoded as a stream and
cut into windows (default 4 s every 2 s; the last one ends at the end of the file; --segment vad
keeps only stretches above an energy threshold), so an hour-long recording needs no more memory than
a minute. A file of several channels is mixed down to mono, the mean of the channels that carry a
signal (a dead channel is left out); where they hold different signals (an interview with one
speaker per channel) a warning names the file, since every window then holds both voices: score a
copy of the one channel you want (`sox FILE OUT.wav remix 1`); so does one where they cancel in
the mix (a phase-inverted channel: the mono clip is near-silent). Each row holds the file, start_s,
end_s, a sigmoid score for each label the model was trained on, the labels scored above
--threshold, whether the window is silent (its scores then mean nothing, and it predicts no
label), clipped: the fraction of the window's samples that are
hard-clipped (3+ consecutive samples at full scale, measured as `prepare` measures a clip, placed to
20 ms; empty for MP3, MP4/AAC and µ-law, which have no exact full scale), and file_clipped: the same
of the whole file; the summary names the clipped files,
most clipped first: clipping distorts a voice (a shout into a phone), and the scores with it.
file_notes says why a file's scores are doubtful ('noise floor (peak -62 dBFS)', 'shorter than
0.25 s (0.030 s)', 'clipped 3.10%', 'silent', 'upsampled from 8000 Hz', 'channels hold different
signals (coherence 0.05)', 'channels cancel when mixed (32 dB quieter)', 'failed part-way'; several
joined by '; '), in every row of that file, empty when nothing is. Such files keep their labels (a
note says to doubt them, not that they are wrong: a far or short utterance can be real speech): keep
the rows whose file_notes is empty to act on clean files only; the closing lines count them. Each
file is decoded twice: first to measure it (seconds for an hour), then to score it, its rows written
as they are scored. --output FILE.csv or FILE.jsonl (JSON Lines); without it, CSV goes to stdout.
The CSV is UTF-8 without a byte-order mark, as pandas, R and command-line tools read it; --excel
adds the mark, so that Excel on Windows, opening the file by a double click, shows non-English file
names (中文) as written. A checkpoint whose outputs are named LABEL_0 … LABEL_12 needs --labels paper
(the paper's 13-label order) or --label-map (a JSON list or object, a text file with one name per
line, or 'LABEL_0=sadness,LABEL_1=fear,…'; '-' leaves an output out).

A model whose scores.json (written beside it by the training recipes, uploaded with it by `bimotion
push`) scores any test set at or below chance (weighted F1 against the better of an all-positive and
a prior-matched random predictor, as the end-of-run table marks with a dagger) gets one warning line
naming it and the numbers: its labels there are no better than ignoring the audio. A model with no
test scores gets one note saying that its quality against chance is not known. Input files that are
recordings the model was trained on get one note with their count and the first three: their scores
are not those of speech the model never heard. They are matched by their audio, whatever their names
(train_audio.txt, written beside the model by training: a digest of each training clip's samples as
`prepare` stored them, which the file decoded so must equal; a copy at another rate or in a lossy
format is not matched); a file named as a training clip whose audio differs is noted too. A model
without train_audio.txt (trained by an earlier bimotion) is matched by name only, and the note says
so: a path ending with a clip's id in its train_manifest.txt, such as CSED's
Natural/Nat_Female-10.wav or ESD's 0011_000001.wav.

MP4/M4A audio needs FFmpeg: without it, the files that need it are named before the model loads.
Each file is decoded twice (measured, then scored), so a pipe (/dev/stdin) is not read: save it to
a file.
Exit status: 0 on success, 2 for a bad model, path, option or audio file, or FFmpeg missing (with
--skip-bad, bad audio files, paths that do not exist and files needing a missing FFmpeg are counted
and skipped instead, and 2 again if that leaves no file read).
"""

from __future__ import annotations

import sys

from bimotion.signals import until_stopped  # standard library only: no cost to the parser

NEEDS = ("torch", "transformers")  # bimotion.extras
NOT_READ = "file (or file not audio, or with no window)"  # what OUTPUT.skipped.tsv lists: by reason, no corpus
HELP = "predict emotions in audio files and folders with a trained model (CSV or JSON Lines, one row per window)"


def add_arguments(parser) -> None:
    from .prepare import path_text

    parser.add_argument("paths", nargs="+", metavar="PATH", help="audio files and folders (searched recursively)")
    parser.add_argument("--model", required=True, metavar="DIR_OR_HUB_ID", help="a fine-tuned model folder or Hub id")
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        type=path_text,
        default=None,
        help="FILE.csv or FILE.jsonl, replaced if it exists (default: CSV on stdout)",
    )
    parser.add_argument(
        "--excel",
        action="store_true",
        help="write --output FILE.csv with a UTF-8 byte-order mark, so that Excel shows non-English file names "
        "as written (Python's csv module then reads it with encoding='utf-8-sig'; pandas reads it either way)",
    )
    names = parser.add_mutually_exclusive_group()
    names.add_argument("--labels", choices=["paper"], default=None,
                       help="the model's outputs are the paper's 13 labels in order (for generic LABEL_i names)")  # fmt: skip
    names.add_argument("--label-map", metavar="FILE_OR_SPEC", default=None, help="name the model's outputs explicitly")
    parser.add_argument("--threshold", type=float, default=0.5, help="a label is predicted when its score is above this, a probability strictly between 0 and 1 as scoring's (a score equal to it is not, as scoring counts labels), in a window that is not silent (default: 0.5)")  # fmt: skip
    parser.add_argument("--window-s", type=float, default=4.0, help="window length in seconds (default: 4.0)")
    parser.add_argument("--hop-s", type=float, default=None,
                        help="seconds between window starts, at most --window-s (default: 2.0, or --window-s where that is shorter)")  # fmt: skip
    parser.add_argument("--segment", choices=["fixed", "vad"], default="fixed",
                        help="fixed: windows over the whole file; vad: windows over voice-activity segments only (default: fixed)")  # fmt: skip
    parser.add_argument("--vad-threshold-db", type=float, default=None,
                        help="with --segment vad: frame level (RMS, dBFS) counted as voice (default: -40)")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=8, help="windows scored at once (default: 8)")
    parser.add_argument(
        "--skip-bad", action="store_true", help="count and skip unreadable or missing audio files instead of stopping"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _not_written_here(files: list[str], output: str | None) -> list[str]:
    """``files`` without what this command writes (``output`` and its skip list): below a folder it reads
    (``rec --output rec/p.csv``), a rerun named them as inputs that are not audio."""
    from pathlib import Path

    from bimotion.commands.source_args import skip_list_path

    if not output:
        return files
    own = {Path(output).expanduser().resolve(), skip_list_path(output).resolve()}
    return [file for file in files if Path(file).resolve() not in own]


def run(args) -> int:
    from bimotion.commands.source_args import replacing, write_skip_list
    from bimotion.predict import (
        OptionError,
        PredictError,
        PredictReport,
        RowWriter,
        check_excel,
        output_format,
        predict_files,
    )

    report, replaced = PredictReport(output=args.output or ""), replacing(args.output)
    if args.vad_threshold_db is not None and args.segment != "vad":  # it would be ignored
        print(
            "error: --vad-threshold-db sets the voice level of --segment vad: give --segment vad too", file=sys.stderr
        )
        return 2
    try:
        output_format(args.output)  # before anything slow
        if args.excel:
            check_excel(args.output)
        rows = predict_files(
            args.model,
            args.paths,
            label_map=args.labels or args.label_map,
            threshold=args.threshold,
            batch_size=args.batch_size,
            progress=not args.no_progress,
            skip_bad=args.skip_bad,
            report=report,
            window_s=args.window_s,
            hop_s=args.hop_s,
            segment=args.segment,
            **({} if args.vad_threshold_db is None else {"vad_threshold_db": args.vad_threshold_db}),
        )
        report.not_audio = _not_written_here(report.not_audio, args.output)
        for warning in rows.predictor.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for note in [*rows.predictor.notes, *rows.notes]:
            print(f"note: {note}", file=sys.stderr)
        with RowWriter(args.output, rows.labels, excel=args.excel) as writer:
            for row in until_stopped(rows):  # a stop a finalizer swallowed stops here: no --output file
                writer.write(row)
    except PredictError as err:
        if report.skipped:
            print(report.skipped.format(corpus_column=False), file=sys.stderr)
        print(f"error: {_as_flags(err, args) if isinstance(err, OptionError) else err}", file=sys.stderr)
        return 2
    if not args.output:  # no file to put the lists beside: every file of each is printed
        report.name_every_file()
    where = args.output or "stdout"
    print(f"scores of {', '.join(rows.labels)} per window -> {where}{replaced}: {report.format()}", file=sys.stderr)
    if args.output:  # the files that gave no row (skipped, not audio, no window), every one with why, beside it
        write_skip_list(report.not_read(), args.output, NOT_READ, corpus_column=False)
    if report.skipped and not report.files:  # nothing was read to its end
        holds = "only the first windows of files that failed part-way" if report.windows else "no predictions"
        print(f"error: every audio file was skipped: {where} holds {holds}", file=sys.stderr)
        return 2
    return 0


def _as_flags(err: Exception, args) -> str:
    """An option's error with the library's parameter names (``hop_s must be in (0, window_s=2.0]``) as
    this command's flags (``--hop-s must be in (0, --window-s 2.0]``)."""
    import dataclasses
    import re

    from bimotion.predict import Windowing

    names = ({f.name for f in dataclasses.fields(Windowing)} | {"threshold", "batch_size"}) & set(vars(args))
    pattern = r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b(=?)"
    return re.sub(pattern, lambda found: "--" + found[1].replace("_", "-") + (" " if found[2] else ""), str(err))
