"""The `bimotion` CLI's reader-level commands: sources and scan, for every corpus in the registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bimotion.cli import COMMANDS, main
from loaders import READERS, SOURCES, testing
from loaders.manifest import read_manifest


def test_sources_lists_every_corpus(capsys):
    assert main(["sources", "--layout"]) == 0
    out = capsys.readouterr().out
    for name in READERS:
        info = SOURCES[name]
        assert name in out and info.license in out and str(info.expected_count) in out
        assert info.layout.strip().splitlines()[0] in out


def test_sources_fits_a_terminal_and_names_every_corpus_s_title_licence_and_url(capsys):
    """`bimotion sources` printed one table row per corpus of about 250 characters (title, licence
    and URL in it), which wrapped into a tangle in a terminal: the table keeps the short columns and
    each corpus's title, licence and URL follow on lines of their own, none past 100 characters."""
    from bimotion.console import HELP_WIDTH

    assert main(["sources"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= HELP_WIDTH
    assert lines[0].split() == ["name", "language", "age", "groups", "utterances", "benchmark"]
    for name in READERS:
        info = SOURCES[name]
        (row,) = [line for line in lines[1 : 1 + len(READERS)] if line.split()[0] == name]
        assert str(info.expected_count) in row.split()
        at = lines.index(next(line for line in lines if line.startswith(name) and info.title in line))
        assert info.license in lines[at + 1] and lines[at + 2].endswith(info.url)


def test_sources_markdown_table_has_a_row_per_corpus(capsys):
    main(["sources", "--markdown"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(READERS)


@pytest.fixture(scope="module")
def small_corpora(tmp_path_factory):
    return testing.make_all(tmp_path_factory.mktemp("corpora"))


def test_scan_writes_one_json_object_per_utterance(small_corpora, tmp_path, capsys):
    manifest = tmp_path / "manifest.jsonl"
    argv = ["scan", "-q", "--output", str(manifest)]
    for name, root in small_corpora.items():
        argv += ["--source", f"{name}={root}"]
    assert main(argv) == 0
    lines = manifest.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert {r["corpus"] for r in rows} == set(READERS)
    for row in rows:
        for key in (
            "id",
            "path",
            "language",
            "age_group",
            "gender",
            "speaker_id",
            "emotions",
            "label_space",
            "official_split",
            "duration_s",
            "sample_rate_hz",
            "age",
            "text",
        ):
            assert key in row, key
        assert row["duration_s"] > 0 and row["sample_rate_hz"] > 0
        assert set(row["emotions"]) <= set(row["label_space"])
    assert len({r["id"] for r in rows}) == len(rows)
    records = read_manifest(manifest)
    assert [r.id for r in records] == [r["id"] for r in rows]
    out = capsys.readouterr().out
    assert "total" in out and f"{len(rows)} utterances -> {manifest} in" in out
    assert "<0.01" in out and " 0.00 " not in out  # seconds of audio are not shown as no hours (prepare's wording)
    for name in READERS:
        assert name in out
    assert main(argv) == 0  # a second run replaces the manifest, and says so
    assert f"{len(rows)} utterances -> {manifest} (replacing the file that was there) in" in capsys.readouterr().out
    assert manifest.read_text(encoding="utf-8").splitlines() == lines


def test_in_a_log_the_scan_and_prepare_bars_are_a_line_every_30_s(small_corpora, tmp_path, capsys, tqdm_options):
    """Into a log file or a pipe (CI) scan's and prepare's bars were redrawn every 0.1 s, a flood of
    lines; now they are stage bars, as training's and predict's: a line every LOG_BAR_INTERVAL_S,
    checked at every update (miniters 1: tqdm's monitor leaves the bar alone, tests/test_log_bars.py).
    --verbose keeps tqdm's defaults."""
    from bimotion.console import LOG_BAR_INTERVAL_S

    made = tqdm_options
    source = ["--source", f"tess={small_corpora['tess']}"]
    for verbose, interval_s in (([], LOG_BAR_INTERVAL_S), (["--verbose"], 0.1)):
        made.clear()
        assert main(["scan", *source, "-o", str(tmp_path / "m.jsonl"), *verbose]) == 0
        out = tmp_path / f"out{len(verbose)}"
        assert main(["prepare", *source, "-o", str(out), "--num-proc", "1", *verbose]) == 0
        ours = ("probing audio headers", "decoding -> 16 kHz FLAC")
        bars = {
            bar["desc"]: (bar.get("mininterval"), bar.get("maxinterval"), bar.get("miniters"))
            for bar in made
            if bar.get("desc") in ours
        }
        assert set(bars) == set(ours), made
        assert set(bars.values()) == {(interval_s, max(interval_s, 10.0), 1 if not verbose else None)}, bars
    capsys.readouterr()


def test_in_a_log_each_refresh_of_a_bar_is_a_line_of_its_own(small_corpora, tmp_path, capfd):
    """tqdm redraws a bar in place with \\r: in a log file every refresh of a run was glued into one
    line (``less`` showed them joined by ^M).  Under quiet output a stage bar into a file writes each
    refresh as a line, with no \\r and no cursor codes; the line a user looks for is there whole.
    (A clip recorded twice makes prepare look for identical audio: that bar too.)"""
    import shutil

    root = shutil.copytree(small_corpora["tess"], tmp_path / "tess")
    shutil.copy(root / "OAF_back_angry.wav", root / "OAF_again_angry.wav")
    assert main(["prepare", "--source", f"tess={root}", "-o", str(tmp_path / "out"), "--num-proc", "1"]) == 0
    err = capfd.readouterr().err
    assert "\r" not in err and "\x1b" not in err, repr(err)
    for desc in ("decoding -> 16 kHz FLAC", "finding identical audio"):
        bar_lines = [line for line in err.splitlines() if line.startswith(f"{desc}:")]
        assert bar_lines[0].startswith(f"{desc}:   0%"), bar_lines
        assert bar_lines[-1].startswith(f"{desc}: 100%"), bar_lines


def test_a_partial_release_and_a_generated_corpus_are_said_so_by_scan_and_prepare(tmp_path, capsys, request):
    """A folder holding part of a corpus (an interrupted download, one emotion's folder copied) was
    counted, split and prepared without a word that the release is larger; a generated corpus (small
    too) is said to be generated instead, and a whole release gets neither note."""
    from conftest import SHARED

    from loaders.synthetic import MARKER

    root = testing.make_corpus("csed", tmp_path / "raw")
    (root / MARKER).unlink()  # as a real release: 12 of CSED's 652 clips
    partial = "note: csed: its folder holds 12 of the 652 clips of the full release (`bimotion sources`): a partial"
    assert main(["scan", "--source", f"csed={root}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert partial in capsys.readouterr().err
    assert main(["prepare", "--source", f"csed={root}", "-o", str(tmp_path / "out"), "-q"]) == 0
    out = capsys.readouterr().out
    assert partial in out and "Every count and split of it here is of those 12" in out

    generated = testing.make_corpus("tess", tmp_path / "gen")
    assert main(["scan", "--source", f"tess={generated}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    err = capsys.readouterr().err
    assert "note: synthetic demo data: not comparable with the paper: tess is generated (loaders.testing.tess" in err
    assert "full release" not in err  # a generated copy is small by design

    real = SHARED / "corpora" / "csed"
    if (real / "Training Data (wav)").is_dir():  # the whole CSED release: 652 clips
        assert main(["scan", "--source", f"csed={real}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
        captured = capsys.readouterr()
        assert "full release" not in captured.err and "synthetic" not in captured.err
        assert "read 652" in captured.out


def test_one_class_folder_of_csed_says_which_labels_have_no_clips(tmp_path, capsys):
    """`--source csed=<csed>/Natural` prepared a one-label dataset with only "holds 12 of the 652 clips", and
    scan's table left out the positive and negative columns though the README says `0` marks a label the
    corpus annotates that none of its clips has: the table shows 0, and scan and prepare name the labels and
    the folders CSED files them in."""
    from loaders.synthetic import MARKER

    root = testing.make_corpus("csed", tmp_path / "raw")
    (root / MARKER).unlink()  # as a real release (a generated copy is small by design: no note)
    natural = root / "Training Data (wav)" / "Natural"
    note = (
        "note: csed: positive and negative have no clips here: csed files them in Positive/ and Negative/; "
        "was a subfolder of it given?"
    )
    assert main(["scan", "--source", f"csed={natural}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    captured = capsys.readouterr()
    header, _, row = captured.out.splitlines()[:3]
    assert header.split()[-3:] == ["neutral", "positive", "negative"], captured.out
    assert row.split()[-2:] == ["0", "0"], captured.out
    assert note in captured.err.splitlines(), captured.err
    assert main(["prepare", "--source", f"csed={natural}", "-o", str(tmp_path / "out"), "-q"]) == 0
    assert note in capsys.readouterr().out.splitlines()
    assert main(["scan", "--source", f"csed={root}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert "no clips here" not in capsys.readouterr().err  # the whole corpus: every label has clips


def test_a_corpus_folder_holding_more_than_its_release_is_said_so_by_scan(tmp_path, capsys):
    """A folder holding more clips than the corpus's full release (another version or a user's extra
    clips merged in) was counted without a word, as if its counts were the corpus's: scan now names
    both numbers, as it does for a folder holding fewer; a whole release gets no note."""
    import shutil

    from loaders.synthetic import MARKER

    root = testing.make_corpus("csed", tmp_path / "raw", size="full")
    (root / MARKER).unlink()  # as the real release: its 652 clips
    assert main(["scan", "--source", f"csed={root}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert "full release" not in capsys.readouterr().err
    natural = root / "Training Data (wav)" / "Natural"
    for number in (108, 109, 110):  # three clips the release does not have, under its own spelling
        shutil.copy(natural / "Nat_Female-1.wav", natural / f"Nat_Female-{number}.wav")
    assert main(["scan", "--source", f"csed={root}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert (
        "note: csed: its folder holds 655 clips, more than the 652 of the full release (`bimotion sources`): "
        "another version or extra clips merged in? Every count and split of it here is of those 655, not of "
        "the release"
    ) in capsys.readouterr().err


def test_one_of_a_thing_is_singular(tmp_path, capsys):
    """ "1 utterances", "1 shards", "1 test sets": a count of one reads as one."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", speakers=1, clips_per_speaker=1)
    assert main(["scan", "--source", f"mine={root}", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert f"\n1 utterance -> {tmp_path / 'm.jsonl'} in" in capsys.readouterr().out


def test_scan_reports_bad_files_by_reason(tmp_path, capsys):
    root = testing.make_corpus("csed", tmp_path / "src", bad=True)
    manifest = tmp_path / "m.jsonl"
    assert main(["scan", "-q", "--source", f"csed={root}", "--output", str(manifest)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "fix:" in err
    assert not manifest.exists()
    assert main(["scan", "-q", "--skip-bad", "--source", f"csed={root}", "--output", str(manifest)]) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "csed" in err
    assert manifest.exists()


def test_a_scan_that_fails_after_reading_still_lists_every_file_its_warnings_named_and_it_skipped(
    tmp_path, capsys, monkeypatch
):
    """A scan that failed after reading (a full disk as it wrote the manifest, a silent clip under --levels) had
    warned "every one in OUT.warned.tsv", which was never written, nor OUT.skipped.tsv: the files past the five
    named inline were named nowhere. Both lists are written beside the manifest all the same, as a failed run's
    (OUTPUT.failed.*.tsv, never taken for an earlier manifest's lists), and said."""
    import csv

    import numpy as np
    import soundfile
    from conftest import closing_error, csed_with_copies, full_disk

    import loaders.manifest

    root, copies, bad = csed_with_copies(tmp_path / "raw")
    data = root / "Training Data (wav)"

    out = tmp_path / "m.jsonl"
    warned, skipped = Path(f"{out}.failed.warned.tsv"), Path(f"{out}.failed.skipped.tsv")  # a failed run's lists
    with monkeypatch.context() as patched:
        patched.setattr(loaders.manifest, "write_manifest", full_disk)
        assert main(["scan", "--source", f"csed={root}", "-o", str(out), "-q", "--skip-bad"]) == 2
    err = capsys.readouterr().err
    assert (
        f"or in {warned} if this run fails)" in err and "cannot write the manifest (No space left on device)" in err
    ), err
    assert f"every file a warning named: {warned}" in err and f"with its reason and fix: {skipped}" in err, err
    assert closing_error(err).startswith(f"error: --output {out}: cannot write the manifest"), err  # the last line
    with warned.open(encoding="utf-8", newline="") as f:
        assert sorted(row[2] for row in list(csv.reader(f, delimiter="\t"))[1:]) == sorted(copies)
    assert str(bad) in skipped.read_text(encoding="utf-8") and not out.exists()
    warned.unlink(), skipped.unlink(), bad.unlink()
    soundfile.write(data / "Natural" / "Nat_Female-1.wav", np.zeros(3200), 16000, subtype="PCM_16")
    assert main(["scan", "--source", f"csed={root}", "-o", str(out), "-q", "--levels", "--num-proc", "1"]) == 2
    err = capsys.readouterr().err
    assert "Nat_Female-1.wav: the audio is silent" in err and f"every file a warning named: {warned}" in err, err
    assert "the audio is silent" in closing_error(err)
    with warned.open(encoding="utf-8", newline="") as f:
        assert sorted(row[2] for row in list(csv.reader(f, delimiter="\t"))[1:]) == sorted(copies)
    assert not out.exists() and not skipped.exists()
    assert not Path(f"{out}.warned.tsv").exists() and not Path(f"{out}.skipped.tsv").exists()


def test_scan_rejects_unknown_source_name(capsys, tmp_path):
    """An empty folder (``/tmp`` was used, which another process's own corpus below it made a hint)."""
    with pytest.raises(SystemExit):
        main(["scan", "--source", f"ravdess={tmp_path}", "--output", "x.jsonl"])
    err = capsys.readouterr().err
    assert "unknown corpus 'ravdess'; choose one of" in err  # nothing close: no guess
    # a corpus written as its release is named, or nearly: the closest name, as other did-you-mean errors
    for command, typed, meant in (("scan", "CREMA-D", "crema_d"), ("prepare", "tes", "tess"), ("check", "ESD", "esd")):
        argv = [command, "x"] if command == "check" else [command, "--output", "x.jsonl"]
        with pytest.raises(SystemExit):
            main([*argv, "--source", f"{typed}={tmp_path}"])
        assert f"unknown corpus {typed!r} (did you mean {meant!r}?); choose one of" in capsys.readouterr().err


def test_console_script_help_explains_commands():
    out = subprocess.run(
        [sys.executable, "-m", "bimotion.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("sources", "scan", "prepare", "check", "push"):
        assert command in out


def test_python_dash_m_bimotion_is_the_bimotion_command():
    """``python3 -m bimotion demo ...`` had no ``__main__``: it is ``bimotion``'s command line."""
    done = subprocess.run([sys.executable, "-m", "bimotion", "--help"], capture_output=True, text=True, check=True)
    assert (
        done.stdout.startswith("usage: bimotion ")
        and done.stdout
        == subprocess.run(
            [sys.executable, "-m", "bimotion.cli", "--help"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert all(command in done.stdout for command in COMMANDS)
    wrong = subprocess.run([sys.executable, "-m", "bimotion", "nope"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "invalid choice: 'nope'" in wrong.stderr
    yue = subprocess.run([sys.executable, "-m", "yuemotion", "--help"], capture_output=True, text=True, check=True)
    assert yue.stdout.startswith("usage: yuemotion ") and "prepare" in yue.stdout  # it had no __main__ either


def test_version_names_the_installed_package(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"bimotion {version('bimotion')}"


def test_quiet_by_default_and_verbose_restores_the_libraries_output(capsys):
    """bimotion/console.py: no transformers load reports or bars, no datasets bars; --verbose (before or
    after the command) gives the libraries their defaults back."""
    import os

    from transformers.utils import logging

    assert main(["sources"]) == 0
    assert logging.get_verbosity() == logging.ERROR and not logging.is_progress_bar_enabled()
    assert os.environ.get("HF_DATASETS_DISABLE_PROGRESS_BARS") == "1"  # datasets reads it when imported
    for argv in (["sources", "--verbose"], ["--verbose", "sources"]):
        assert main(argv) == 0
        assert logging.get_verbosity() == logging.WARNING and logging.is_progress_bar_enabled()
        assert "HF_DATASETS_DISABLE_PROGRESS_BARS" not in os.environ
        main(["sources"])  # quiet again for the next round
    capsys.readouterr()


def test_check_help_states_the_thresholds_it_applies(capsys):
    """The thresholds are written out in `bimotion check --help`; they must be the ones applied."""
    from bimotion.verify import DURATION_TOLERANCE_S, LEVEL_TOLERANCE_DB
    from loaders.levels import SILENT_PEAK_DBFS

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for stated in (f"{SILENT_PEAK_DBFS:g} dBFS", f"{LEVEL_TOLERANCE_DB:g} dB off", f"{DURATION_TOLERANCE_S:g} s off"):
        assert stated in text


def test_scans_protocol_help_cites_the_table_of_each_prepare_it_previews(capsys):
    """`bimotion scan --help` said "--protocol paper: the paper's Table 1 splits", BiMotion's table, though a
    scan reads YueMotion's corpus and Cantonese corpora of one's own too, whose `yuemotion prepare` draws
    Table 2's; `prepare --help` cites its own table alone, as before."""
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "the paper's splits (Table 1 for `bimotion prepare`, Table 2 for `yuemotion prepare`)" in text
    with pytest.raises(SystemExit):
        main(["prepare", "--help"])
    assert "paper: the paper's Table 1 splits;" in " ".join(capsys.readouterr().out.split())


def test_predicts_help_says_training_clips_are_matched_by_their_audio(capsys):
    """`bimotion predict --help` said input files were checked against the model's training clips "by name
    only, not by content", while a run matched them by their audio (train_audio.txt) whatever their names,
    and said so: a user renaming a training clip to test the model was told by --help it would pass."""
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "by name only, not by content" not in text
    assert "They are matched by their audio, whatever their names (train_audio.txt" in text
    assert "A model without train_audio.txt (trained by an earlier bimotion) is matched by name only" in text


def test_every_option_with_a_default_value_says_it_in_its_help():
    """`bimotion predict --help` gave `--segment {fixed,vad}` without saying which one a run without it
    uses: every option whose default is a value (not none, off or an empty list) names it."""
    import argparse

    from bimotion.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    silent = [
        f"{name} {action.option_strings[0]}"
        for name, parser in commands.items()
        for action in parser._actions
        if isinstance(action, argparse._StoreAction)
        and action.default not in (None, [])
        and "default" not in (action.help or "")
    ]
    assert not silent


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_help_shows_docstring_markup(command, capsys):
    """`bimotion check --help` printed ``--source NAME=DIR`` with reST's double backticks (its help is
    the module's docstring): a user's help reads as plain text."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "``" not in capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_shows_an_example(command, capsys):
    """`bimotion demo --help` and `bimotion sources --help` gave no example to copy, and the demo's
    did not say what it writes below --output: every command's help has an example line."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "Example" in out and f"  bimotion {command}" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_fits_the_width_it_is_written_to(command, monkeypatch, capsys):
    """`bimotion scan --help` and `bimotion predict --help` printed lines of 182 and 179 characters
    (sentences added to a paragraph without rewrapping it), `bimotion push --help` one of 110: every
    line of a command's help fits HELP_WIDTH."""
    from bimotion.console import HELP_WIDTH

    monkeypatch.setenv("COLUMNS", str(HELP_WIDTH))
    with pytest.raises(SystemExit):
        main([command, "--help"])
    long = [line for line in capsys.readouterr().out.splitlines() if len(line) > HELP_WIDTH]
    assert not long


def test_demo_and_advise_name_their_config_argument_alike(capsys):
    """`bimotion demo --help` showed `--config YAML` though it takes a shipped config's name too, as
    `bimotion advise --config NAME_OR_YAML` says."""
    for command in ("demo", "advise"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--config NAME_OR_YAML" in capsys.readouterr().out, command


def test_a_mistyped_flag_is_said_with_the_commands_usage_and_the_flag_meant(capsys):
    """`bimotion sources --layot` printed the top-level usage (no --layout in it) and 'unrecognized arguments:
    --layot' alone; now the command's usage and the flag meant."""
    with pytest.raises(SystemExit) as done:
        main(["sources", "--layot"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "usage: bimotion sources [-h] [--layout]" in err, err
    assert err.endswith("bimotion sources: error: unrecognized arguments: --layot (did you mean '--layout'?)\n"), err
    with pytest.raises(SystemExit):
        main(["check", "out", "--no-audi0"])
    assert "unrecognized arguments: --no-audi0 (did you mean '--no-audio'?)" in capsys.readouterr().err


def test_demo_help_says_what_it_writes_where(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for written in ("raw/", "bimotion/ and yuemotion/", "grid/", "tables/heatmap.png", "grid.log"):
        assert written in out


def test_demo_refuses_a_missing_grid_config_before_generating_anything(tmp_path, capsys):
    assert main(["demo", "--config", "nope", "--output", str(tmp_path / "demo")]) == 2
    err = capsys.readouterr().err
    assert "no grid config 'nope'" in err and "'paper'" in err
    assert main(["demo", "--config", str(tmp_path / "mine.yaml"), "--output", str(tmp_path / "demo")]) == 2
    assert "no grid config file" in capsys.readouterr().err
    (tmp_path / "bad.yaml").write_text("tables: [table3\n")  # a YAML syntax error
    assert main(["demo", "--config", str(tmp_path / "bad.yaml"), "--output", str(tmp_path / "demo")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --config {tmp_path / 'bad.yaml'}: ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "demo").exists()


def test_a_mistyped_shipped_config_name_says_the_name_meant(tmp_path, capsys):
    """`--config papr` listed the shipped configs and left the reader to find the one meant among them."""
    assert main(["demo", "--config", "papr", "--output", str(tmp_path / "demo")]) == 2
    assert (
        "no grid config 'papr' in this install (did you mean 'paper'?); shipped configs: [" in capsys.readouterr().err
    )
    assert not (tmp_path / "demo").exists()


def test_a_grid_config_is_a_file_or_a_shipped_name(tmp_path, monkeypatch):
    from bimotion.grid import find_config, load_config, shipped_config

    assert find_config("probe") == shipped_config("probe")
    monkeypatch.chdir(tmp_path)
    Path("probe").write_text("backend: probe\n")  # a file of that name here wins over the shipped config
    assert find_config("probe") == Path("probe")
    assert load_config("paper") == load_config(shipped_config("paper"))
    with pytest.raises(FileNotFoundError, match="no grid config file 'configs/paper.yaml'"):
        find_config("configs/paper.yaml")


def test_every_skipped_input_is_listed_in_a_file_beside_the_output(tmp_path, capsys):
    """With --skip-bad, the summary names a few skipped files per reason and says how many more;
    OUTPUT.skipped.tsv lists every one (a rerun that skips nothing removes it)."""
    import csv

    root = testing.make_corpus("audiofolder", tmp_path / "raw", language="ind", age_groups=("eld",))
    metadata = root / "metadata.csv"
    with open(metadata, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    missing = [dict(rows[0], file_name=f"clips/gone-{i:02d}.wav") for i in range(14)]
    with open(metadata, "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, fieldnames=list(rows[0])).writerows(missing)
    manifest = tmp_path / "manifest.jsonl"
    assert main(["scan", "-q", "--skip-bad", "--source", f"mine={root}", "--output", str(manifest)]) == 0
    err = capsys.readouterr().err
    listed = tmp_path / "manifest.jsonl.skipped.tsv"
    assert (
        "gone-00.wav" in err
        and "... and 4 more" in err
        and f"every skipped input, with its reason and fix: {listed}" in err
    )
    with open(listed, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f, delimiter="\t"))
    assert sorted(Path(r["file"]).name for r in table) == [f"gone-{i:02d}.wav" for i in range(14)]
    assert {(r["corpus"], r["reason"]) for r in table} == {("mine", "missing_file")}
    metadata.write_text("".join(metadata.read_text(encoding="utf-8").splitlines(True)[:-14]), encoding="utf-8")
    assert main(["scan", "-q", "--skip-bad", "--source", f"mine={root}", "--output", str(manifest)]) == 0
    assert not listed.exists()


def test_each_skip_keeps_its_fix_in_the_printed_list_and_in_the_skipped_tsv(tmp_path, capsys):
    """With --skip-bad, an own corpus's row with the language cell `id` was listed as "language 'id' is not an ISO
    639-3 code" with no word of its fix ("write 'ind'"), on standard error and in OUTPUT.skipped.tsv alike.  Each
    skip now keeps its error's fix, without the offer of --skip-bad the run took: printed once under the files it
    fixes (fourteen missing files, one fix line, not fourteen), and in the TSV's `fix` column, one a row."""
    import csv

    root = testing.make_corpus("audiofolder", tmp_path / "raw", language="ind", age_groups=("eld",))
    metadata = root / "metadata.csv"
    with open(metadata, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[1]["language"] = "id"
    for row, label in zip(rows[2:6], ("bingung", "kaget", "bingung", "kaget")):  # two fixes, each said once
        row["emotion"] = label
    rows += [dict(rows[0], file_name=f"clips/gone-{i:02d}.wav") for i in range(14)]
    with open(metadata, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = testing.digest(root)
    manifest = tmp_path / "manifest.jsonl"
    assert main(["scan", "-q", "--skip-bad", "--source", f"mine={root}", "--output", str(manifest)]) == 0
    err = capsys.readouterr().err
    language = "write 'ind', the ISO 639-3 code of Indonesian ('id' is the ISO 639-1 code)"
    missing = "fix the row's file_name (relative to the metadata's folder) or restore the file"
    said = err.split("skipped 19 input(s):\n")[1].splitlines()
    at = next(i for i, line in enumerate(said) if "language 'id' is not an ISO 639-3 code" in line)
    assert said[at + 1] == f"        fix: {language}", err
    gone = next(i for i, line in enumerate(said) if line.split()[-2:] == ["missing_file", "14"])
    assert said[gone + 11 : gone + 13] == ["      ... and 4 more", f"        fix: {missing}"], err
    unknown = next(i for i, line in enumerate(said) if line.split()[-2:] == ["unknown_label", "4"])
    first, second, third, fourth = (Path(row["file_name"]).name for row in rows[2:6])
    expected = [first, third, 'fix: add it to the label map label_map.json as {"bingung"', second, fourth, '{"kaget"']
    assert all(words in line for words, line in zip(expected, said[unknown + 1 : unknown + 7], strict=True)), err
    assert err.count(missing) == 1 and "--skip-bad" not in "".join(line for line in said if "fix:" in line), err
    with open(f"{manifest}.skipped.tsv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f, delimiter="\t"))
    assert [r["fix"] for r in table if r["reason"] == "bad_language"] == [language]
    assert [r["fix"] for r in table if r["reason"] == "missing_file"] == [missing] * 14
    assert list(table[0]) == ["corpus", "reason", "file", "message", "fix"]
    assert testing.digest(root) == before  # the corpus folder as it was


@pytest.mark.parametrize("command", ["demo", "advise", "predict"])
def test_a_command_whose_optional_dependencies_are_missing_says_how_to_install_them(
    command, tmp_path, capsys, monkeypatch
):
    """A wheel installed without its extras: `bimotion demo` prepared for a minute and then died with
    an ImportError traceback (predict and advise at once, with ModuleNotFoundError).  Where torch is
    missing, the line also gives the README's advice for a machine without a CUDA GPU (the extra alone
    pulls PyPI's CUDA build of torch, several GB): the CPU build first, by the README's very command."""
    import importlib.util

    from bimotion.cli import main

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else find_spec(name, *a))
    argv = {
        "demo": ["--output", str(tmp_path / "d")],
        "advise": ["--bimotion", str(tmp_path)],
        "predict": ["--model", "m", "x.wav"],
    }
    assert main([command, *argv[command]]) == 2
    err = capsys.readouterr().err
    cpu = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    assert err == (
        f"error: `bimotion {command}` needs torch (optional dependencies): pip install 'bimotion[train]' (without a "
        f"CUDA GPU, first `{cpu}`, or pip pulls the CUDA build: several GB)\n"
    )
    from conftest import REPO

    assert f"`{cpu}`" in (REPO / "README.md").read_text(encoding="utf-8")  # the command the README gives
    assert not (tmp_path / "d").exists()
    monkeypatch.setattr(sys, "platform", "darwin")  # PyPI's torch there is the CPU build: no advice
    assert main([command, *argv[command]]) == 2
    assert "CUDA" not in capsys.readouterr().err


def test_an_optional_module_missing_mid_run_is_one_line(capsys, monkeypatch):
    from bimotion import cli
    from bimotion.commands import scan

    def run(args):
        raise ModuleNotFoundError("No module named 'umap'", name="umap")

    monkeypatch.setattr(scan, "run", run)
    assert cli.main(["scan", "--source", "csed=x", "--output", "m.jsonl"]) == 2
    assert (
        capsys.readouterr().err
        == "error: `bimotion scan` needs umap (optional dependencies): pip install 'bimotion[plots]'\n"
    )


def test_a_reader_that_leaves_early_is_no_traceback():
    """`bimotion sources --layout | head -1` ended in a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bimotion.cli", "sources", "--layout"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    proc.stdout.close()  # before it writes (its imports take far longer)
    err = proc.stderr.read().decode()
    assert proc.wait() == 141 and err == ""
    help_text = subprocess.run(
        [sys.executable, "-m", "yuemotion.cli", "--help"], capture_output=True, text=True, env=env
    ).stdout
    assert "YueMotion, Cantonese" in help_text and "predict emotions" not in help_text  # its own commands only


def test_an_own_corpus_at_a_wrong_folder_says_what_is_wrong_with_the_folder(tmp_path, capsys):
    """--source mine=DIR with a mistyped DIR, the metadata file itself, the folder above or a folder of its
    clips said "unknown corpus 'mine'; choose one of ... (DIR holds no metadata file)", even of a DIR that does
    not exist."""
    own = testing.make_corpus("audiofolder", tmp_path / "raw" / "mine")
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "Metadata.CSV").write_bytes((own / "metadata.csv").read_bytes())
    cases = [
        (tmp_path / "nowhere", f"mine={tmp_path / 'nowhere'}: {tmp_path / 'nowhere'} does not exist (mine is not one"),
        (own / "metadata.csv", f"metadata.csv is the metadata file: give the folder that holds it, {own}"),
        (own.parent, f"holds no metadata.csv or metadata.jsonl; its subfolder {own} does: give that folder"),
        # a folder of its clips (one level too low, or two) was "unknown corpus 'mine'", naming no folder
        (own / "clips", f"holds no metadata.csv or metadata.jsonl; the folder {own} above it does: give that folder"),
        (next(own.rglob("*.wav")).parent, f"; the folder {own} above it does: give that folder"),
        (tmp_path / "case", "holds Metadata.CSV, not metadata.csv or metadata.jsonl: save or rename it"),
    ]
    for root, expected in cases:
        with pytest.raises(SystemExit) as done:
            main(["scan", "--source", f"mine={root}", "--output", str(tmp_path / "m.jsonl")])
        err = capsys.readouterr().err
        assert done.value.code == 2 and expected in err and "unknown corpus" not in err, err
    # a folder with nothing like metadata (a corpus we do not read?) stays an unknown corpus, saying why
    (tmp_path / "other").mkdir()
    with pytest.raises(SystemExit):
        main(["scan", "--source", f"ravdess={tmp_path / 'other'}", "--output", str(tmp_path / "m.jsonl")])
    err = capsys.readouterr().err
    assert "unknown corpus 'ravdess'; choose one of" in err and "other holds no metadata.csv or metadata.jsonl)" in err
    # a user's table under its own name (labels.csv) was not named: the error said only that metadata.csv is missing
    (tmp_path / "other" / "labels.csv").write_bytes((own / "metadata.csv").read_bytes())
    (tmp_path / "other" / "label_map.json").write_text("{}")
    with pytest.raises(SystemExit):
        main(["scan", "--source", f"jawa={tmp_path / 'other'}", "--output", str(tmp_path / "m.jsonl")])
    err = capsys.readouterr().err
    assert "holds no metadata.csv or metadata.jsonl; it holds labels.csv: if one lists your clips" in err, err
    assert "save a copy as metadata.csv)" in err and "label_map.json" not in err, err


def test_an_own_corpus_of_class_folders_says_labels_are_not_read_from_folder_names(tmp_path, capsys):
    """Clips filed in folders named by their emotion (marah/, senang/), which Hugging Face's audiofolder, the
    convention the docs name, reads as labels, said only "unknown corpus 'lansia'; ... (DIR holds no metadata.csv
    or metadata.jsonl)": that the folders' names are not read, and the metadata.csv to write, went unsaid."""
    own = testing.make_corpus("audiofolder", tmp_path / "raw" / "mine")
    clips = sorted(own.rglob("*.wav"))
    folders = tmp_path / "lansia"
    for i, label in enumerate(["marah", "senang"]):
        (folders / label).mkdir(parents=True)
        (folders / label / "a.wav").write_bytes(clips[i].read_bytes())
    (folders / "notes").mkdir()
    (folders / "notes" / "readme.txt").write_text("not audio")
    with pytest.raises(SystemExit) as done:
        main(["scan", "--source", f"lansia={folders}", "--output", str(tmp_path / "m.jsonl")])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "unknown corpus" not in err, err
    assert "its subfolders marah/, senang/ hold audio, but labels are not read from folder names" in err, err
    assert f"list each clip in {folders}/metadata.csv" in err and "marah/CLIP.wav,marah," in err, err


def test_a_source_given_without_its_name_or_with_a_space_for_the_equals_sign_says_how_to_write_it(tmp_path, capsys):
    """--source csed ~/data/CSED (a space for '=') and --source ~/data/CSED (no name) said only "expected
    NAME=DIR, got 'csed'": the fix is now said with it."""
    folder = tmp_path / "CSED"
    folder.mkdir()
    cases = [
        (["csed", str(folder)], "expected NAME=DIR, got 'csed': write --source csed=DIR, with '=' and no space"),
        ([str(folder)], f"expected NAME=DIR, got '{folder}': name its corpus, --source NAME={folder} (NAME: crema_d,"),
    ]
    for given, expected in cases:
        with pytest.raises(SystemExit) as done:
            main(["scan", "--source", *given, "--output", str(tmp_path / "m.jsonl")])
        assert done.value.code == 2 and expected in capsys.readouterr().err
    assert not (tmp_path / "m.jsonl").exists()


def test_scan_and_prepare_name_clips_recorded_below_16_khz_which_prepare_upsamples(tmp_path, capsys):
    """A user's corpus with 8 kHz telephone clips among 16 kHz ones: scan and prepare upsampled them
    without a word, though they lack the upper band of the others (``bimotion predict`` names such
    files).  scan now says so before, and prepare after, in one note per corpus: prepare's counts the
    clips it stored (a silent one skipped is not among them), ``prepare.json`` records them, the
    dataset card names them among its caveats and ``check`` counts them."""
    import numpy as np
    import soundfile

    own = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="carehome", language="ind", speakers=2)
    clip, silent = sorted(own.rglob("*.wav"))[:2]
    samples, rate_hz = soundfile.read(clip)
    soundfile.write(clip, samples[:: rate_hz // 8000], 8000)
    soundfile.write(silent, np.zeros(8000), 8000)
    assert main(["scan", "--source", f"carehome={own}", "--output", str(tmp_path / "m.jsonl")]) == 0
    err = capsys.readouterr().err
    clip_id, silent_id = (f"carehome/{path.relative_to(own).as_posix()}" for path in (clip, silent))
    # named as prepare names them, by the corpus and the path in it: absolute paths in scan's note before
    note = f"note: carehome: 2 clips recorded below 16000 Hz (lowest 8000 Hz: {clip_id}, {silent_id}) will be upsampled by `prepare`"
    assert note in err, err
    assert err.count("recorded below") == 1, err
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"carehome={own}", "--output", str(out), "--skip-bad", "-q"]) == 0
    printed = capsys.readouterr().out
    note = f"note: carehome: 1 clip recorded below 16000 Hz (lowest 8000 Hz: {clip_id}) was upsampled to 16000 Hz"
    assert note in printed and printed.count("recorded below") == 1, printed
    assert "skipped 1 (silent 1)" in printed, printed
    low_rate = json.loads((out / "prepare.json").read_text())["low_rate"]
    assert low_rate == {"carehome": {"clips": 1, "lowest_hz": 8000, "listed": [clip_id]}}
    caveat = "**Low sample rate:** 1 clip(s) of carehome recorded below 16 kHz (lowest 8000 Hz) were upsampled"
    assert caveat in (out / "README.md").read_text(encoding="utf-8")
    assert main(["check", str(out)]) == 0
    assert (
        "clips recorded below 16000 Hz, upsampled (without the upper band of 16 kHz audio): carehome 1 (lowest 8000 Hz)"
        in (capsys.readouterr().out)
    )


def test_a_corpus_recorded_wholly_below_16_khz_is_not_told_to_leave_its_clips_out(tmp_path, capsys):
    """A phone corpus, every clip at 8 kHz: the note said its clips lack "the upper band of the other
    clips" (it has none) and to "leave such clips out" (all of them); it now says what the cue is against."""
    import soundfile

    own = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="phones", language="ind", speakers=2)
    clips = sorted(own.rglob("*.wav"))
    for clip in clips:
        samples, rate_hz = soundfile.read(clip)
        soundfile.write(clip, samples[:: rate_hz // 8000], 8000)
    assert main(["scan", "--source", f"phones={own}", "--output", str(tmp_path / "m.jsonl")]) == 0
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"phones={own}", "--output", str(out), "-q"]) == 0
    printed = capsys.readouterr()
    for text, done in ((printed.err, "will be upsampled by `prepare`"), (printed.out, "were upsampled to 16000 Hz")):
        note = next(line for line in text.splitlines() if "recorded below" in line)
        assert note.startswith(f"note: phones: all {len(clips)} clips recorded below 16000 Hz (lowest 8000 Hz: "), note
        assert note.endswith(
            f"{done}: they lack the upper band of audio recorded at 16 kHz or more, which a model trained on them "
            "with other corpora can take for a cue"
        ), note
    # the card and check said the clips lack "the others' upper band": there are no others
    card = (out / "README.md").read_text(encoding="utf-8")
    upsampled = f"{len(clips)} clip(s) of phones recorded below 16 kHz (lowest 8000 Hz) were upsampled"
    assert f"{upsampled}: they lack the upper band of 16 kHz audio" in card, card
    assert "others" not in card.split("**Low sample rate:**")[1].split("\n")[0], card
    assert main(["check", str(out)]) == 0
    checked = capsys.readouterr().out
    assert f"(without the upper band of 16 kHz audio): phones {len(clips)} (lowest 8000 Hz)" in checked, checked


def test_source_option_mistakes_are_usage_errors_naming_the_option(tmp_path, capsys):
    """They exited 1 (argparse's usage errors exit 2); a --label-map for a built-in corpus said
    "not one of your corpora given with --source (none)"; a typo's line left out its value."""
    csed = testing.make_corpus("csed", tmp_path / "raw")
    own = testing.make_corpus("audiofolder", tmp_path / "raw" / "carehome")
    out = ["--output", str(tmp_path / "out.jsonl")]
    cases = [
        (["--source", f"csed={csed}", "--source", f"csed={tmp_path}"], "--source csed= given twice"),
        (["--source", f"csed={csed}", "--label-map", "csed=map.json"], "csed is one of the seven corpora"),
        (["--source", f"carehome={own}", "--license", "carhome=CC-BY-4.0"], "(did you mean 'carehome'?)"),
    ]
    for argv, expected in cases:
        with pytest.raises(SystemExit) as done:
            main(["scan", *argv, *out])
        err = capsys.readouterr().err
        assert done.value.code == 2 and err.startswith("error: ") and expected in err, err
    assert "--license carhome=CC-BY-4.0: not one of your corpora given with --source (carehome)" in err


def test_scan_says_what_prepare_would_refuse_of_your_corpus(tmp_path, capsys):
    """A corpus named "hak" (a language union's config name) scanned without a word, then prepare
    refused it; a Cantonese corpus too, which belongs in YueMotion."""
    hak = testing.make_corpus(
        "audiofolder", tmp_path / "raw" / "hak", corpus="hak", language="hak", age_groups=("eld", "adu")
    )
    canto = testing.make_corpus("audiofolder", tmp_path / "raw" / "canto", corpus="canto", language="yue")
    out = ["--output", str(tmp_path / "m.jsonl"), "-q"]
    assert main(["scan", "--source", f"hak={hak}", *out]) == 0
    err = capsys.readouterr().err
    assert "note: `bimotion prepare` would refuse hak: corpus name 'hak' is also the name of a bimotion group" in err
    assert main(["scan", "--source", f"canto={canto}", *out]) == 0
    assert "would refuse" not in capsys.readouterr().err  # `yuemotion prepare` takes it


@pytest.mark.parametrize(
    "argv",
    [
        ["prepare", "--source", "tess=raw"],
        ["scan", "--source", "tess=raw"],
        ["predict", "--model", "model", "a.wav"],
        ["advise", "--target", "zho_eld"],
        ["demo"],
    ],
    ids=lambda argv: argv[0],
)
def test_an_empty_output_is_a_usage_error(argv, tmp_path, capsys, monkeypatch):
    """``-o ''`` (an unset shell variable) was the current folder: prepare said "--output  holds the
    tess corpus folder ...", predict "--output  is a folder"; every command's --output now refuses it."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main([*argv, "-o", ""])
    assert done.value.code == 2
    assert "argument --output/-o: is empty: give a path" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written where it would have gone


def test_a_scan_output_below_a_folder_that_cannot_be_entered_is_named(tmp_path):
    """Path.is_dir and Path.exists raise below a folder that cannot be entered (Python < 3.12): scan's
    --output check ended in a PermissionError traceback instead of naming the folder."""
    from conftest import unprivileged

    root = testing.make_corpus("csed", tmp_path / "src")
    locked = tmp_path / "locked"
    locked.mkdir()
    output = locked / "run" / "m.jsonl"
    argv = [sys.executable, "-m", "bimotion", "scan", "-q", "--source", f"csed={root}", "--output", str(output)]
    argv = unprivileged(argv)
    locked.chmod(0)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"the folder {locked} is not writable (Permission denied); choose another --output" in done.stderr
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("prog", ["bimotion", "yuemotion"])
def test_the_top_level_help_is_wrapped_like_the_commands(prog, monkeypatch, capsys):
    """`bimotion --help` printed its description as one 260-character line (a raw description, not
    wrapped): it now wraps at the width the commands' docstrings are written to."""
    import importlib

    from bimotion.console import HELP_WIDTH

    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        importlib.import_module(f"{prog}.cli" if prog == "yuemotion" else "bimotion.cli").main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {prog}") and max(len(line) for line in out.splitlines()) <= HELP_WIDTH


def test_what_an_own_corpus_is_pointed_at_is_in_the_installed_package(tmp_path, capsys):
    """`bimotion sources`, --source's help and the errors of an own corpus at a wrong folder said "see
    docs/corpora.md", which a pip install does not hold: they name `bimotion sources --own-corpus`,
    which prints the format (the folder, every column read, the label map, the README header) from
    the package's data, the text docs/corpora.md's section is generated from."""
    import loaders
    from loaders.errors import LayoutError
    from loaders.metadata_columns import COLUMNS
    from yuemotion.cli import main as yuemotion_main

    said = []
    for run, argv in [(main, ["sources"]), (main, ["prepare", "--help"]), (main, ["scan", "--help"]),
                      (yuemotion_main, ["prepare", "--help"]), (main, ["scan", "--source", f"mine={tmp_path}"])]:  # fmt: skip
        try:
            run(argv)
        except SystemExit:
            pass
        out = capsys.readouterr()
        said.append(" ".join((out.out + out.err).split()))
    with pytest.raises(LayoutError) as err:
        loaders.load("mine", tmp_path)
    said.append(str(err.value))
    for text in said:
        assert "docs/" not in text and "`bimotion sources --own-corpus` prints its format" in text, text
    assert main(["sources", "--own-corpus"]) == 0
    out = capsys.readouterr().out
    assert all(f"`{column}`" in out for column in COLUMNS)
    assert "label_map.json" in out and "README.md" in out and "| column |" not in out  # the table as lines
    assert out.strip() != "" and "<!--" not in out and "](" not in out  # a link reads as text (address)


def test_the_own_corpus_format_names_no_table_it_does_not_print(capsys):
    """`bimotion sources --own-corpus` prints the format instead of the corpora's table, yet its text
    (docs/corpora.md's section, where a table stands above it) said the header declares what "the
    table above" does and listed "the kinds the table above names": on a terminal there is none. It
    names the kinds itself, CSED's `unknown` among them."""
    assert main(["sources", "--own-corpus"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "above" not in out, out
    assert "one of `acted`, `elicited` or `natural`, or `unknown`" in out and "CSED is `unknown`" in out


def test_the_own_corpus_format_says_a_cantonese_corpus_is_prepared_by_yuemotion(capsys):
    """`bimotion sources --own-corpus`, the format a pip install prints, gave `bimotion prepare` alone as the
    command, which refuses a corpus of Cantonese rows (YueMotion's groups): a Hong Kong team following it met
    the refusal first. Its commands name `yuemotion prepare` for one."""
    assert main(["sources", "--own-corpus"]) == 0
    out = capsys.readouterr().out
    assert "yuemotion prepare --source canto=~/data/canto --output yue-mine" in out, out
    assert "a Cantonese corpus (language yue) is YueMotion's groups' (yue_eld, yue_adu)" in out, out


def test_sources_refuses_layout_with_own_corpus(capsys):
    """`bimotion sources --own-corpus --layout` printed the own-corpus format alone, --layout silently
    dropped; the two print different things, and asking both is an error naming them."""
    with pytest.raises(SystemExit) as exit_:
        main(["sources", "--own-corpus", "--layout"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument --layout: not allowed with argument --own-corpus" in err, err


def test_no_help_points_at_the_checkouts_docs():
    """`bimotion advise --help` ended "(see docs/advise.md)", a folder that a pip install does not have:
    no help of bimotion's or yuemotion's, top level, command or option, names a path into docs/."""
    import argparse

    from bimotion.cli import build_parser
    from yuemotion import cli as yue_cli

    for parser in (
        build_parser(),
        build_parser("yuemotion", yue_cli.COMMANDS, "yuemotion.commands", yue_cli.DESCRIPTION),
    ):
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
        for name, text in [("", parser.format_help()), *((n, p.format_help()) for n, p in commands.items())]:
            assert "docs/" not in text and ".md#" not in text, f"{parser.prog} {name} --help"
