"""A recording format that goes with the label: a new user's own corpus held every ``marah``/``sedih`` clip as
22.05 kHz mono 24-bit and every ``senang``/``netral`` clip as 48 kHz stereo float, and scan, prepare and check said
nothing (her model scored 100.0 on 12 test clips: it can learn the format in place of the emotion), where clipping
uneven across labels is said.  The same check now says it, per corpus, in the same places and words."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import soundfile

from bimotion.cli import main
from loaders import READERS, load, testing

SHORTCUT = (
    "the format goes with the label (22.05 kHz mono 24-bit WAV: marah (anger) and sedih (sadness) alone, 8 of its 8 "
    "clips"
)


def _own_corpus(tmp_path, moved=("marah", "sedih"), first_only: bool = False):
    """A corpus of one's own whose clips labelled ``moved`` are rewritten as 22.05 kHz mono 24-bit WAVs (only the
    first such clip with ``first_only``) and the others as 48 kHz stereo 32-bit float ones."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="mine")
    rows = list(csv.DictReader((root / "metadata.csv").open(encoding="utf-8")))
    done = False
    for row in rows:
        path = root / row["file_name"]
        samples, rate = soundfile.read(path, dtype="float32")
        first = row["emotion"] in moved and not (first_only and done)
        to_hz = 22050 if first else 48000
        resampled = np.interp(
            np.linspace(0, len(samples) - 1, len(samples) * to_hz // rate), np.arange(len(samples)), samples
        )
        if first:
            soundfile.write(path, resampled, to_hz, subtype="PCM_24")
            done = True
        elif not first_only:
            soundfile.write(path, np.stack([resampled, 0.9 * resampled], axis=1), to_hz, subtype="FLOAT")
    return root


def test_a_recording_format_that_goes_with_the_label_is_said_by_scan_prepare_check_and_the_card(tmp_path, capsys):
    root = _own_corpus(tmp_path)
    assert main(["scan", "--source", f"mine={root}", "--output", str(tmp_path / "m.jsonl"), "-q"]) == 0
    err = capsys.readouterr().err
    note = next(line for line in err.splitlines() if line.startswith("note: mine: recording formats by label:"))
    assert "marah (anger) 22.05 kHz mono 24-bit WAV 4 of 4 (100%); senang (happiness) 48 kHz stereo 32-bit" in note
    assert SHORTCUT in note and "float WAV: senang (happiness) and netral (neutral) alone, 8 of its 8 clips" in note
    assert note.endswith(
        "a model can learn it in place of the emotion; `prepare` will store them as 16 kHz mono, each keeping the "
        "sound of its recording; resample or convert the clips so that every label's clips share one format, or "
        "record more clips of each label in each format"
    ), note
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"mine={root}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr().out
    assert SHORTCUT in printed and "stored as 16 kHz mono, each keeping the sound of its recording" in printed
    formats = json.loads((out / "prepare.json").read_text())["formats"]["mine"]
    assert formats["alone"] == [
        {"format": "22.05 kHz mono 24-bit WAV", "labels": ["anger", "sadness"], "clips": 8, "of": 8},
        {"format": "48 kHz stereo 32-bit float WAV", "labels": ["happiness", "neutral"], "clips": 8, "of": 8},
    ]  # the shared labels, and the user's own names of them beside
    assert formats["words"] == {
        "anger": ["marah"],
        "happiness": ["senang"],
        "neutral": ["netral"],
        "sadness": ["sedih"],
    }
    card = (out / "README.md").read_text(encoding="utf-8")
    assert (
        "**Recording formats in mine:** recording formats by label: marah (anger) 22.05 kHz" in card
        and SHORTCUT in card
    )
    assert main(["check", str(out)]) == 0  # a note, not a problem
    report = capsys.readouterr().out
    assert "mine: recording formats by label: marah (anger)" in report and SHORTCUT in report, report
    assert "resample or convert the clips" in report and report.rstrip().endswith("OK"), report


def test_one_label_with_a_clip_in_a_second_format_is_no_shortcut(tmp_path, capsys):
    from bimotion.prepare.clipping import format_info

    root = _own_corpus(tmp_path, moved=("marah",), first_only=True)  # 1 of marah's 4 clips at 22.05 kHz 24-bit
    records = load("mine", root)
    assert len({r.sample_rate_hz for r in records}) == 2 and format_info(records) == {}
    assert main(["scan", "--source", f"mine={root}", "--output", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert "recording formats" not in capsys.readouterr().err


@pytest.mark.parametrize("corpus", READERS)
def test_the_built_in_corpora_fixtures_give_no_format_note(tmp_path, corpus):
    from bimotion.prepare.clipping import format_info

    records = load(corpus, testing.make_corpus(corpus, tmp_path / "raw"))
    assert format_info(records) == {}


def test_the_format_note_reads_no_clips_header_again_for_what_its_record_holds(tmp_path, monkeypatch, capsys):
    """The note's rate and channels are each record's (read once, by the reader's probe), its sample format the one
    thing read again, from the header alone: a scan probed every clip twice, a FLAC's last frame sought and an
    MP3's frames counted twice."""
    import loaders.audio
    import loaders.base

    probed = []

    def counted(path):
        probed.append(str(path))
        return probe(path)

    probe = loaders.audio.probe
    monkeypatch.setattr(loaders.audio, "probe", counted)
    monkeypatch.setattr(loaders.base, "probe", counted)
    formats = {"marah": (22050, "PCM_24"), "sedih": (22050, "PCM_24", "FLAC")}
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="mine", formats=formats)
    assert main(["scan", "--source", f"mine={root}", "--output", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert "22.05 kHz mono 24-bit WAV: marah (anger) alone, 4 of its 4 clips" in capsys.readouterr().err
    clips = [line for line in (tmp_path / "m.jsonl").read_text().splitlines() if line]
    assert len(probed) == len(set(probed)) == len(clips) == 16, sorted(probed)


def _prepared(tmp_path, capsys, root) -> tuple[str, dict]:
    """What ``bimotion prepare`` printed of ``root``'s recording formats, and its ``prepare.json``'s ``formats``."""
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"mine={root}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr().out
    note = next((line for line in printed.splitlines() if "recording formats by label" in line), "")
    return note, json.loads((out / "prepare.json").read_text()).get("formats", {})


def test_labels_of_two_clips_each_are_said_too_few_to_tell_not_passed_over(tmp_path, capsys):
    """2 clips a label, marah's and sedih's 22.05 kHz 24-bit, the others' 16 kHz 16-bit: the test could never tell it
    from chance (chi-square 8, its 99% quantile 11.3), and prepare said nothing; it now says the labels are too few."""
    formats = {"marah": (22050, "PCM_24"), "sedih": (22050, "PCM_24")}
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="mine", clips_per_speaker=2, formats=formats)
    note, formats = _prepared(tmp_path, capsys, root)
    assert note.endswith(
        "too few clips to tell whether the format goes with the label: marah (anger) 2 clips, senang (happiness) 2 "
        "clips, netral (neutral) 2 clips and sedih (sadness) 2 clips, where 4 or more a label are needed (so that a "
        "label recorded in a format of its own is beyond chance); stored as 16 kHz mono, each keeping the sound of "
        "its recording; resample or convert the clips so that every label's clips share one format, or record more "
        "clips of each label in each format"
    ), note
    assert "the format goes with the label (" not in note
    assert formats["mine"]["few"] == {"anger": 2, "happiness": 2, "neutral": 2, "sadness": 2}
    assert (formats["mine"]["alone"], formats["mine"]["min_clips"]) == ([], 4)


def test_one_clip_of_a_label_in_a_format_of_its_own_is_too_few_not_a_shortcut(tmp_path, capsys):
    """32 clips of 16 kHz 16-bit and one terkejut (surprise) clip of 22.05 kHz 24-bit: prepare said the format goes with
    the label ("surprise alone, 1 of its 1 clips"), a chance a model cannot learn from; it now says it is too few."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="mine", clips_per_speaker=8)
    text = (root / "metadata.csv").read_text(encoding="utf-8").splitlines()
    header, first = text[0].split(","), dict(zip(text[0].split(","), text[1].split(","), strict=True))
    samples, rate = soundfile.read(root / first["file_name"], dtype="float32")
    resampled = np.interp(
        np.linspace(0, len(samples) - 1, len(samples) * 22050 // rate), np.arange(len(samples)), samples
    )
    soundfile.write(root / "clips" / "odd.wav", resampled, 22050, subtype="PCM_24")
    row = {**first, "file_name": "clips/odd.wav", "emotion": "terkejut"}
    (root / "metadata.csv").write_text("\n".join([*text, ",".join(row[h] for h in header)]) + "\n", encoding="utf-8")
    note, formats = _prepared(tmp_path, capsys, root)
    assert "the format goes with the label (" not in note and "surprise alone" not in note, note
    assert ": too few clips to tell whether the format goes with the label: terkejut (surprise) 1 clip, where 4" in note
    assert formats["mine"]["few"] == {"surprise": 1} and formats["mine"]["alone"] == []


def test_a_format_of_one_labels_clips_alone_is_a_shortcut_whatever_their_share_of_the_label(tmp_path, capsys):
    """Every 8 kHz clip of a care home's corpus was anger, 4 of its 12 clips (in the new-user run 12 of 36), and no
    note said so: the format had to be half of a label's clips (FORMAT_HELD_SHARE).  A format that is one label's
    clips alone, FORMAT_MIN_CLIPS of them or more, is now said to go with that label, as a model hearing it can
    tell the label; 3 such clips are too few to be beyond chance, and say nothing."""
    for moved, said in ((4, True), (3, False)):
        root = testing.make_corpus("audiofolder", tmp_path / f"raw{moved}", corpus="mine", clips_per_speaker=12)
        rows = list(csv.DictReader((root / "metadata.csv").open(encoding="utf-8")))
        for row in [row for row in rows if row["emotion"] == "marah"][:moved]:
            samples, rate = soundfile.read(root / row["file_name"], dtype="float32")
            soundfile.write(root / row["file_name"], samples[:: rate // 8000], 8000, subtype="PCM_16")
        assert main(["scan", "--source", f"mine={root}", "--output", str(tmp_path / "m.jsonl"), "-q"]) == 0
        err = capsys.readouterr().err
        note = next((line for line in err.splitlines() if "recording formats by label" in line), "")
        if said:
            assert "marah (anger) 16 kHz mono 16-bit WAV 8 of 12 (67%), 8 kHz mono 16-bit WAV 4 of 12 (33%)" in note
            assert (
                "the format goes with the label (8 kHz mono 16-bit WAV: marah (anger) alone, 4 of its 4 clips)" in note
            )
        else:
            assert note == "", note
