from __future__ import annotations

import collections
import os
import shutil
import time
import warnings
from pathlib import Path

import pytest

import loaders
from loaders import iemocap
from loaders.errors import BadFileError, LayoutError
from loaders.iemocap_evaluations import parse_evaluation
from loaders.labels import CORPUS_LABEL_MAPS
from loaders.skips import SkipReport
from loaders.testing import digest, make_corpus, snapshot
from loaders.testing import iemocap as iemocap_fixture

EXAMPLE = """% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]

[6.2901 - 8.2357]	Ses01F_impro01_F000	neu	[2.5000, 2.5000, 2.5000]
C-E2:	Neutral;	()
C-E3:	Neutral;	()
C-F1:	Neutral;	(curious)
A-E3:	val 3; act 2; dom  2;	()

[10.0100 - 11.3925]	Ses01F_impro01_M000	xxx	[2.0000, 3.5000, 3.5000]
C-E1:	Frustration; Anger;	()
C-E2:	Neutral;	()
A-E1:	val 2; act ; dom  4;	()
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_corpus("iemocap", tmp_path_factory.mktemp("iemocap"))


@pytest.fixture(scope="module")
def bad_tree(tmp_path_factory) -> Path:
    return make_corpus("iemocap", tmp_path_factory.mktemp("iemocap-bad"), bad=True)


def test_parse_evaluation_reads_summary_categories_and_ratings(tmp_path):
    path = tmp_path / "Ses01F_impro01.txt"
    path.write_text(EXAMPLE)
    entries, problems = parse_evaluation(path)
    assert problems == []
    assert list(entries) == ["Ses01F_impro01_F000", "Ses01F_impro01_M000"]
    first, second = entries.values()
    assert (first.line, first.code, first.vad) == (3, "neu", (2.5, 2.5, 2.5))
    assert (first.start_s, first.end_s) == (6.2901, 8.2357)
    assert first.categories == {"C-E2": ["Neutral"], "C-E3": ["Neutral"], "C-F1": ["Neutral"]}
    assert first.ratings == {"A-E3": [3.0, 2.0, 2.0]}
    assert second.categories == {"C-E1": ["Frustration", "Anger"], "C-E2": ["Neutral"]}
    assert second.ratings == {"A-E1": [2.0, None, 4.0]}


def test_parse_evaluation_reads_utf16_and_reports_a_block_given_twice(tmp_path):
    path = tmp_path / "Ses01F_impro01.txt"
    path.write_text(EXAMPLE, encoding="utf-16")  # with its BOM, as a Windows editor saves it
    assert parse_evaluation(path)[0].keys() == {"Ses01F_impro01_F000", "Ses01F_impro01_M000"}
    first = EXAMPLE.strip().split("\n\n")[1]  # the F000 block
    path.write_text(EXAMPLE + "\n" + first.replace("\tneu\t", "\tang\t") + "\n")  # again, another label
    entries, problems = parse_evaluation(path)
    assert entries["Ses01F_impro01_F000"].code == "neu"  # the first block is kept ...
    assert [p.reason for p in problems] == ["duplicate_entry"] and "first at line 3" in problems[0].message


def test_parse_evaluation_reports_malformed_summary_lines(tmp_path):
    path = tmp_path / "Ses01F_impro01.txt"
    path.write_text(EXAMPLE.replace("[2.0000, 3.5000, 3.5000]", "[2.0000, 3.5000]"))
    entries, problems = parse_evaluation(path)
    assert list(entries) == ["Ses01F_impro01_F000"]
    assert [(p.reason, p.path) for p in problems] == [("bad_evaluation_line", path)]
    assert "line 9" in problems[0].message


def test_small_records(small):
    records = iemocap.load(small)
    plan = {
        f"{d}_{letter}{n:03d}": code
        for d, turns in iemocap_fixture.SMALL.items()
        for letter in "FM"
        for n, code in enumerate(c for lt, c in turns if lt == letter)
    }
    assert [r.id for r in records] == [f"iemocap/{u}" for u in sorted(plan)]
    for r in records:
        utterance = r.id.removeprefix("iemocap/")
        session, letter = int(utterance[4]), utterance.rsplit("_", 1)[1][0]
        assert r.emotions == (CORPUS_LABEL_MAPS["iemocap"][plan[utterance]],)
        assert (r.speaker_id, r.gender) == (f"Ses0{session}{letter}", letter.lower())
        assert (r.language, r.age_group, r.age, r.official_split, r.text) == ("eng", "adu", None, None, None)
        assert r.extra["session"] == session and r.extra["dialog"] == utterance.rsplit("_", 1)[0]
        assert r.extra["code"] == plan[utterance] and 1 <= r.extra["valence"] <= 5
        assert r.extra["end_s"] > r.extra["start_s"] and set(r.extra["categories"]) >= {"C-E1", "C-E2", "C-E3"}
        assert Path(r.path).parent.name == r.extra["dialog"] and (r.sample_rate_hz, r.num_channels) == (16000, 1)
    assert {r.emotions[0] for r in records} == set(CORPUS_LABEL_MAPS["iemocap"].values())  # all 11 codes


def test_speaker_is_the_utterance_letter_not_the_dialog_prefix(small):
    by_id = {r.id: r for r in iemocap.load(small)}
    male_in_female_dialog, female_in_male_dialog = (
        by_id["iemocap/Ses01F_impro01_M000"],
        by_id["iemocap/Ses03M_impro05a_F000"],
    )
    assert (male_in_female_dialog.speaker_id, male_in_female_dialog.gender) == ("Ses01M", "m")
    assert (female_in_male_dialog.speaker_id, female_in_male_dialog.gender) == ("Ses03F", "f")
    assert by_id["iemocap/Ses05M_script01_1b_M001"].extra["dialog"] == "Ses05M_script01_1b"  # suffixed dialog
    assert by_id["iemocap/Ses05M_script01_1b_M001"].extra["improvised"] is False
    assert by_id["iemocap/Ses03M_impro05a_M000"].extra["improvised"] is True


def test_decoys_and_hidden_files_are_ignored(small):
    evaluation = small / "Session1" / "dialog" / "EmoEvaluation"
    decoy = evaluation / "Self-evaluation" / "Ses01F_impro01.txt"
    assert "Ses01F_impro01_F000\toth" in decoy.read_text()  # would clash with the real evaluation if read
    assert (evaluation / "Categorical").is_dir() and (evaluation / "Attribute").is_dir()
    wav_dir = small / "Session1" / "sentences" / "wav" / "Ses01F_impro01"
    hidden = [wav_dir / "._Ses01F_impro01_F000.wav", wav_dir / ".DS_Store", evaluation / "._Ses01F_impro01.txt"]
    assert all(p.is_file() for p in hidden)
    records = iemocap.load(small)
    assert all(r.extra["code"] != "oth" or r.extra["dialog"] == "Ses05M_script01_1b" for r in records)
    assert not any(Path(r.path).name.startswith(".") for r in records)


def test_root_may_be_any_folder_above_or_one_session(small, tmp_path):
    copy = shutil.copytree(small, tmp_path / "corpora" / "emotion" / small.name, copy_function=os.link)
    (tmp_path / "corpora" / "other").mkdir()
    assert [r.id for r in loaders.load("iemocap", tmp_path)] == [r.id for r in iemocap.load(small)]
    assert [r.id for r in iemocap.load(copy / "Session3")] == [
        "iemocap/Ses03M_impro05a_F000", "iemocap/Ses03M_impro05a_M000", "iemocap/Ses03M_impro05a_M001"
    ]  # fmt: skip


def test_bad_inputs_raise_naming_the_file_or_are_counted(bad_tree, small):
    with pytest.raises(BadFileError) as err:
        iemocap.load(bad_tree)
    assert str(err.value.path) in str(err.value) and "fix:" in str(err.value)
    report = SkipReport()
    records = iemocap.load(bad_tree, skip_bad=True, report=report)
    assert [r.id for r in records] == [r.id for r in iemocap.load(small)]
    assert report.to_dict() == {
        "iemocap/lfs_pointer": 1, "iemocap/missing_audio": 1, "iemocap/missing_metadata": 1,
        "iemocap/truncated": 1, "iemocap/unknown_label": 1,
    }  # fmt: skip
    named = {reason: ": ".join(report.examples[("iemocap", reason)][0][:2]) for _, reason in report.counts}
    assert "EmoEvaluation/Ses01F_impro01.txt: line" in named["unknown_label"] and "'bor'" in named["unknown_label"]
    assert "Ses01F_impro01_M900.wav: no line for Ses01F_impro01_M900" in named["missing_metadata"]
    assert "Ses01F_impro01_F901.wav: evaluated in Ses01F_impro01.txt" in named["missing_audio"]
    assert "Ses01F_impro01_M901.wav" in named["lfs_pointer"] and "Ses01F_impro01_F902.wav" in named["truncated"]


def test_duplicate_evaluations_and_stray_names(small, tmp_path):
    copy = shutil.copytree(small, tmp_path / small.name, copy_function=os.link)
    evaluation = copy / "Session1" / "dialog" / "EmoEvaluation"
    shutil.copyfile(evaluation / "Ses01F_impro01.txt", evaluation / "Ses01F_impro01_old.txt")
    duplicate = r"impro01_old\.txt: line 3: Ses01F_impro01_F000 is also evaluated in .*impro01\.txt"
    with pytest.raises(BadFileError, match=duplicate):
        iemocap.load(copy)
    (evaluation / "Ses01F_impro01_old.txt").unlink()
    (copy / "Session1" / "sentences" / "wav" / "Ses01F_impro01" / "Ses01F_impro01_F000.wav").rename(
        copy / "Session1" / "sentences" / "wav" / "Ses01F_impro01" / "take2.wav"
    )
    report = SkipReport()
    iemocap.load(copy, skip_bad=True, report=report)
    assert report.to_dict() == {"iemocap/unexpected_name": 1, "iemocap/missing_audio": 1}


@pytest.mark.parametrize("name", ["Ses01F_impro01_F000\n.wav", "Ses01F_impro01_F\uff10\uff10\uff10.wav"])
def test_a_name_ending_in_a_newline_or_with_another_scripts_digits_is_no_utterance_name(small, tmp_path, name):
    """A copy of a wav named 'Ses01F_impro01_F000\\n.wav' (``$`` matches before a last newline) or with full-width
    digits (``\\d`` takes them) passed for an utterance name, and was reported as missing_metadata, 'restore
    dialog/EmoEvaluation/Ses01F_impro01.txt from the release', a fix for a file that is fine; the pattern is matched
    whole and in ASCII now: an unexpected_name, 'remove files that are not part of the release'."""
    copy = shutil.copytree(small, tmp_path / small.name, copy_function=os.link)
    folder = copy / "Session1" / "sentences" / "wav" / "Ses01F_impro01"
    stray = Path(shutil.copyfile(folder / "Ses01F_impro01_F000.wav", folder / name))
    with pytest.raises(BadFileError) as err:
        iemocap.load(copy)
    assert (err.value.reason, err.value.path) == ("unexpected_name", stray)
    report = SkipReport()
    assert len(iemocap.load(copy, skip_bad=True, report=report)) == len(iemocap.load(small))
    assert report.to_dict() == {"iemocap/unexpected_name": 1}


def test_a_second_copy_of_an_evaluation_file_is_one_copy_not_a_duplicate_entry_per_line(small, tmp_path):
    """'Ses01F_impro01 (1).txt' (a second download) or 'Ses01F_impro01 - Copy.txt' (Explorer's paste) beside
    its evaluation file was read as an evaluation file of its own: every utterance of the dialog a
    duplicate_entry (hundreds in a real session), and, sorted before its file, the copy's lines the ones
    kept.  With its file's bytes it is read once, counted as a duplicate copy and named in one warning;
    with other bytes it is one copy_name error naming both files, or with skip_bad one counted skip."""
    from loaders.errors import InputWarning

    copy = shutil.copytree(small, tmp_path / small.name, copy_function=os.link)
    evaluation = copy / "Session1" / "dialog" / "EmoEvaluation"
    original = evaluation / "Ses01F_impro01.txt"
    expected = {r.id: r.extra for r in iemocap.load(copy)}
    copies = [evaluation / "Ses01F_impro01 (1).txt", evaluation / "Ses01F_impro01 - Copy.txt"]
    for path in copies:
        shutil.copyfile(original, path)
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"impro01 \(1\)\.txt and 1 more: named as a browser") as said:
        records = iemocap.load(copy, report=report)
    assert {r.id: r.extra for r in records} == expected and not report
    assert "read once, as Ses01F_impro01.txt" in str(said[0].message)
    assert report.files[("iemocap", "duplicate")] == 2
    with open(copies[1], "a", encoding="utf-8") as f:
        f.write("\n")  # saved again by an editor: which one is right?
    with pytest.raises(BadFileError) as caught:
        iemocap.load(copy)
    assert (caught.value.reason, caught.value.path) == ("copy_name", copies[1])
    assert "a second copy of Ses01F_impro01.txt, but its bytes differ" in caught.value.message
    report = SkipReport()
    with pytest.warns(InputWarning):
        assert len(iemocap.load(copy, skip_bad=True, report=report)) == len(expected)
    assert report.to_dict() == {"iemocap/copy_name": 1} and report.file_skips[("iemocap", "copy_name")] == 1


def test_a_session_folder_named_as_a_second_copy_is_read(small, tmp_path):
    """'Session1 (1)' (a second download unpacked beside nothing, or Explorer's 'Session1 - Copy' left after
    the original was deleted) was no session: its utterances, a fifth of the corpus, were gone without a
    word.  It is read as that session; beside 'Session1' it is that session's copy, file by file."""
    from loaders.errors import InputWarning

    root = shutil.copytree(small, tmp_path / small.name, copy_function=os.link)
    expected = [r.id for r in iemocap.load(root)]
    (root / "Session1").rename(root / "Session1 (1)")
    assert [r.id for r in iemocap.load(root)] == expected
    shutil.copytree(root / "Session1 (1)", root / "Session1", copy_function=os.link)
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"Session1 \(1\)/.* and \d+ more: named as a browser .* \(or its folder\)"):
        records = iemocap.load(root, report=report)
    assert [r.id for r in records] == expected and all("Session1 (1)" not in r.path for r in records)
    wavs = len(list((root / "Session1" / "sentences" / "wav").rglob("Ses*.wav")))
    assert report.files[("iemocap", "duplicate")] == wavs + 1 and not report  # its wavs and its evaluation file


def test_a_missing_wav_is_named_in_the_folders_own_letters(small, tmp_path):
    """An old FAT copy's SESSION1/SENTENCES/WAV/SES01F_IMPRO01 is read as the release's; a wav its
    evaluation file names and the disk lacks was named at sentences/wav/Ses01F_impro01/, a path that is
    not there, so the user could not find where to put it back."""
    root = shutil.copytree(small, tmp_path / small.name, copy_function=os.link)
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name(path.name.upper()))
    wav = next(p for p in sorted(root.rglob("Ses*.wav")))
    wav.unlink()
    with pytest.raises(BadFileError) as caught:
        iemocap.load(root)
    assert caught.value.reason == "missing_audio" and caught.value.path == wav, caught.value.path


def test_empty_roots(tmp_path):
    (tmp_path / "Session1" / "sentences" / "wav").mkdir(parents=True)
    with pytest.raises(LayoutError, match="no usable audio"):
        iemocap.load(tmp_path)
    with pytest.raises(LayoutError, match="does not exist"):
        iemocap.load(tmp_path / "nowhere")


def test_reading_never_writes_below_the_root(bad_tree):
    before = snapshot(bad_tree)
    iemocap.load(bad_tree, skip_bad=True, report=SkipReport())
    with pytest.raises(BadFileError):
        iemocap.load(bad_tree)
    assert snapshot(bad_tree) == before


def test_generation_is_deterministic(small, tmp_path):
    again, other = make_corpus("iemocap", tmp_path / "a"), make_corpus("iemocap", tmp_path / "b", seed=1)
    assert digest(again) == digest(small) != digest(other)
    assert [r.to_dict() | {"path": ""} for r in iemocap.load(again)] == [
        r.to_dict() | {"path": ""} for r in iemocap.load(small)
    ]


def test_info_and_the_embedded_dialog_ids(shared_dir):
    assert loaders.SOURCES["iemocap"] is iemocap.INFO
    assert (iemocap.INFO.expected_count, iemocap.INFO.languages, iemocap.INFO.age_groups) == (10039, ("eng",), ("adu",))
    real = (shared_dir / "reference" / "iemocap" / "dialog_ids.txt").read_text().split()
    assert sorted(iemocap_fixture.DIALOGS) == sorted(real) and len(set(real)) == 151


@pytest.mark.slow
def test_full_size_counts(tmp_path):
    started = time.perf_counter()
    make_corpus("iemocap", tmp_path, size="full")
    generated = time.perf_counter()
    records = iemocap.load(tmp_path)
    read = time.perf_counter()
    print(f"IEMOCAP full: generate {generated - started:.1f} s, read {read - generated:.1f} s")
    assert len(records) == iemocap.INFO.expected_count == 10039
    assert collections.Counter(r.extra["code"] for r in records) == iemocap_fixture.CODE_TOTALS
    assert collections.Counter(r.emotions[0] for r in records) == {
        CORPUS_LABEL_MAPS["iemocap"][code]: n for code, n in iemocap_fixture.CODE_TOTALS.items()
    }
    assert {r.extra["dialog"] for r in records} == set(iemocap_fixture.DIALOGS)
    assert {r.extra["session"] for r in records} == {1, 2, 3, 4, 5}
    speakers = collections.Counter(r.speaker_id for r in records)
    assert set(speakers) == {f"Ses0{s}{g}" for s in range(1, 6) for g in "FM"} and min(speakers.values()) > 900
    assert all(r.gender == r.speaker_id[-1].lower() for r in records)
    assert sum(r.speaker_id[-1] != r.extra["dialog"][5] for r in records) > 4000  # the other actor's turns


def _add_release_folders(root: Path) -> int:
    """The folders of the real release beside those read (docs/corpora.md): each dialog whole in dialog/wav/ (audio),
    its video, transcriptions, word labels, motion capture and forced alignments (not audio), the release's
    Documentation/; returns how many whole-dialog wavs it wrote."""
    dialog_wavs = 0
    for session in sorted(root.glob("Session*")):
        wav = session / "sentences" / "wav"
        for dialog in sorted(p.name for p in wav.iterdir() if p.is_dir()):
            some_clip = sorted((wav / dialog).glob("Ses*.wav"))[0]
            files = {
                f"dialog/wav/{dialog}.wav": some_clip.read_bytes(),
                f"dialog/avi/DivX/{dialog}.avi": b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(64),
                f"dialog/transcriptions/{dialog}.txt": b"Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.\n",
                f"dialog/lab/{session.name[:3]}0{session.name[-1]}_F/{dialog}.lab": b"6.2901 8.2357 Excuse me.\n",
                f"dialog/MOCAP_head/{dialog}.txt": b"Frame# Time pitch roll yaw tra_x tra_y tra_z\n",
                f"sentences/ForcedAlignment/{dialog}/{some_clip.stem}.wdseg": b" SFrm  EFrm    SegAScr Word\n",
                f"sentences/MOCAP_rotated/{dialog}/{some_clip.stem}.txt": b"Frame# Time\n",
            }
            for name, data in files.items():
                (session / name).parent.mkdir(parents=True, exist_ok=True)
                (session / name).write_bytes(data)
            dialog_wavs += 1
    (root / "Documentation").mkdir()
    (root / "Documentation" / "IEMOCAP_Release.pdf").write_bytes(b"%PDF-1.4\n")
    return dialog_wavs


def test_the_releases_other_folders_are_counted_and_audio_elsewhere_named(small, tmp_path, capsys):
    """The release's dialog/wav/ (each dialog whole), dialog/avi/, MOCAP_*, transcriptions/, lab/, ForcedAlignment/
    and Documentation/ were passed over without a word (`scan` of such a tree: 'files seen 30' of its 128 files), and
    a folder of the user's own audio (sentences/wav_old/) was as silent.  Every file is now seen: the release's
    audio counted as not read without a warning, the user's folder named in one warning."""
    from bimotion.cli import main
    from loaders.errors import InputWarning

    root = shutil.copytree(small, tmp_path / "IEMOCAP_full_release", copy_function=os.link)
    dialog_wavs = _add_release_folders(root)
    old = root / "Session1" / "sentences" / "wav_old"
    old.mkdir()
    clip = sorted((root / "Session1" / "sentences" / "wav").rglob("Ses*.wav"))[0]
    shutil.copyfile(clip, old / clip.name)
    report = SkipReport()
    with pytest.warns(InputWarning, match="not read") as said:
        records = iemocap.load(root, report=report)
    assert [r.id for r in records] == [r.id for r in iemocap.load(small)]
    assert {w.filename for w in said if "not read" in str(w.message)} == {__file__}  # the caller's line, not loaders'
    said = [str(w.message) for w in said if "not read" in str(w.message)]
    assert said == [
        f"iemocap: 1 audio file(s) in Session1/sentences/wav_old/ not read (the first: {clip.name}): iemocap reads "
        "its clips from Session{1..5}/sentences/wav/ only (counted as not read); move the clips to read into "
        "Session{1..5}/sentences/wav/ and the others out of the corpus folder to silence this"
    ]
    n = {kind: report.files[("iemocap", kind)] for kind in ("seen", "read", "not_audio", "duplicate", "not_read")}
    assert n["seen"] == sum(len(files) for _, _, files in os.walk(root)) and not report
    assert n["not_read"] == dialog_wavs + 1 and n["seen"] == n["read"] + n["not_audio"] + n["not_read"]
    assert main(["scan", "-q", "--source", f"iemocap={root}", "-o", str(tmp_path / "m.jsonl")]) == 0
    assert f"files seen {n['seen']}, read {len(records)}, " in (out := capsys.readouterr().out)
    assert f"audio in folders not read {dialog_wavs + 1}" in out


def test_the_releases_text_data_is_counted_by_name_and_a_users_folder_by_content(small, tmp_path, monkeypatch):
    """A real release holds some 70,000 files of motion capture, forced alignments and word labels beside the clips;
    each was opened to judge it audio or not, seconds of a scan warm and minutes on a cold disk.  The release's own
    text data (RELEASE_TEXT_SUFFIXES, in its own folders) is counted as not audio by name, unopened; a file of a
    folder of the user's own is still judged by its content, whatever its name (a wav saved as .txt is audio)."""
    import loaders.unread

    root = shutil.copytree(small, tmp_path / "IEMOCAP_full_release", copy_function=os.link)
    dialog_wavs = _add_release_folders(root)
    old = root / "Session1" / "sentences" / "wav_old"
    old.mkdir()
    clip = sorted((root / "Session1" / "sentences" / "wav").rglob("Ses*.wav"))[0]
    shutil.copyfile(clip, old / f"{clip.stem}.txt")
    opened = []
    judge = loaders.unread.is_audio
    monkeypatch.setattr(loaders.unread, "is_audio", lambda path: opened.append(path) or judge(path))
    report = SkipReport()
    with pytest.warns(loaders.errors.InputWarning, match="wav_old/ not read"):
        iemocap.load(root, report=report)
    own = ("MOCAP_head", "MOCAP_rotated", "ForcedAlignment", "transcriptions", "lab")  # EmoEvaluation/*/: by content
    text = {p for p in root.rglob("*") if p.suffix in loaders.unread.RELEASE_TEXT_SUFFIXES and set(p.parts) & set(own)}
    assert text and not text & set(opened), sorted(text & set(opened))[:3]
    assert old / f"{clip.stem}.txt" in opened and root / "Documentation" / "IEMOCAP_Release.pdf" in opened
    n = {kind: report.files[("iemocap", kind)] for kind in ("seen", "read", "not_audio", "not_read")}
    assert n["seen"] == sum(len(files) for _, _, files in os.walk(root)) and not report
    assert n["not_read"] == dialog_wavs + 1 and n["seen"] == n["read"] + n["not_audio"] + n["not_read"]


def test_a_link_to_a_session_beside_the_release_folders_counts_nothing_twice(small, tmp_path):
    """A link inside a session to another session (``Session1/dialog/s2 -> ../../Session2``) was walked as a folder
    of the user's own: Session2's clips, read from its own sentences/wav/, were counted again as not read (files seen
    past the tree's), and a warning told the user to move them into sentences/wav/, where they are.  A link to a
    folder holding one that is read is passed over, as a link into one is; its folders are walked by their own path."""
    root = shutil.copytree(small, tmp_path / "IEMOCAP_full_release", copy_function=os.link)
    (root / "Session1" / "dialog" / "s2").symlink_to(Path("..", "..", "Session2"))
    report = SkipReport()
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        records = iemocap.load(root, report=report)
    assert [r.id for r in records] == [r.id for r in iemocap.load(small)]
    assert not [str(w.message) for w in said if "not read" in str(w.message)]
    assert report.files[("iemocap", "seen")] == sum(len(files) for _, _, files in os.walk(root))  # links not followed
    assert report.files[("iemocap", "not_read")] == 0 and not report


def test_not_read_takes_the_release_folder_by_its_own_name(tmp_path):
    """``Collector.not_read``'s ``said=False`` also meant "count text data by name" (a release's own folder): one
    flag, two meanings.  ``release=True`` names the second: its text data counted as not audio unopened, and its
    audio counted as not read with no warning; without it a folder's audio is warned of."""
    import warnings

    from loaders.base import Collector

    folder = tmp_path / "MOCAP_rotated"
    folder.mkdir()
    (folder / "Ses01F_impro01.txt").write_bytes(b"RIFF....WAVE")  # by name: text data, never opened
    (folder / "blank.wav").write_bytes(b"")
    c = Collector("iemocap", tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c.not_read(folder, "sentences/wav/", release=True)
    assert {kind: n for (_, kind), n in c.report.files.items() if n} == {"seen": 2, "not_audio": 1, "blank": 1}


def test_the_walk_takes_a_plain_files_type_from_its_listing(tmp_path, monkeypatch):
    """The walk stat'ed every file it listed (to tell a FIFO or a broken link from a file): IEMOCAP's release
    holds some 70,000 text files, ~15 us each warm, more on a cold disk. A plain file's type now comes from the
    folder's listing (os.scandir): no stat of it; a link is still followed, and a FIFO still reported."""

    from loaders.walk import walk_files

    for n in range(50):
        (tmp_path / f"Ses01F_impro01_F{n:03d}.txt").write_text("1 2 3\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "Ses01F_impro01_F000.txt")
    os.mkfifo(tmp_path / "pipe")
    stated, stat = [], os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: stated.append(str(path)) or stat(path, *a, **k))
    problems = []
    found = walk_files(tmp_path, (".wav",), problems.append)
    assert len(found) == 51 and [p.reason for p in problems] == ["not_regular_file"]
    assert sorted(Path(p).name for p in stated if str(tmp_path) in p) == ["link.txt", "pipe"]
