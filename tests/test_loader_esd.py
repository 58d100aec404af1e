from __future__ import annotations

import collections
import csv
import os
import shutil
import time
from pathlib import Path

import pytest

import loaders
from loaders import esd, esd_tables
from loaders.errors import BadFileError, LayoutError
from loaders.skips import SkipReport
from loaders.testing import FixtureWriter, digest, make_corpus, snapshot
from loaders.testing import esd as esd_fixture

EMOTION_OF_BLOCK = ("neutral", "anger", "happiness", "sadness", "surprise")


@pytest.fixture(scope="module")
def small_trees(tmp_path_factory) -> dict[str, Path]:
    return {lay: make_corpus("esd", tmp_path_factory.mktemp(f"esd-{lay}"), layout=lay) for lay in "ab"}


@pytest.fixture(params=["a", "b"])
def small(request, small_trees) -> tuple[str, Path]:
    return request.param, small_trees[request.param]


@pytest.fixture(scope="module")
def bad_trees(tmp_path_factory) -> dict[str, Path]:
    return {lay: make_corpus("esd", tmp_path_factory.mktemp(f"bad-{lay}"), layout=lay, bad=True) for lay in "ab"}


def test_small_records_follow_folders_index_and_speaker_table(small):
    layout, root = small
    records = esd.load(root)
    assert len(records) == 4 * 5 * 3
    assert [r.id for r in records] == sorted({r.id for r in records})
    for r in records:
        speaker, index = r.id.removeprefix("esd/").split("_")
        position = (int(index) - 1) % 350 + 1
        assert Path(r.path).is_relative_to(root / speaker)
        assert r.emotions == (EMOTION_OF_BLOCK[(int(index) - 1) // 350],)
        assert r.official_split == {2: "validation", 27: "test", 120: "train"}[position]
        assert (r.language, r.gender) == esd_tables.SPEAKERS[speaker]
        assert (r.speaker_id, r.age, r.age_group, r.sample_rate_hz, r.num_channels) == (speaker, None, "adu", 16000, 1)
        assert 0.7 < r.duration_s < 1.7
        assert r.extra["layout"] == layout
        if layout == "a":
            assert Path(r.path).parent.name == {"validation": "evaluation"}.get(r.official_split, r.official_split)
    assert {r.speaker_id for r in records if r.language == "zho"} == {"0001", "0006"}
    assert {r.gender for r in records if r.language == "eng"} == {"m", "f"}


def test_layouts_give_the_same_records(small_trees):
    def key(r):
        return r.id, r.emotions, r.official_split, r.text, r.gender, r.language, r.duration_s

    assert [key(r) for r in esd.load(small_trees["a"])] == [key(r) for r in esd.load(small_trees["b"])]


def test_root_may_be_any_folder_above_the_corpus(small, tmp_path):
    _, root = small
    copy = shutil.copytree(root, tmp_path / "data" / "corpora" / root.name, copy_function=os.link)
    (tmp_path / "data" / "notes").mkdir()

    def without_path(records):
        return [r.to_dict() | {"path": Path(r.path).relative_to(r.path.rsplit(root.name, 1)[0])} for r in records]

    assert without_path(loaders.load("esd", tmp_path)) == without_path(esd.load(root))
    assert esd.load(copy) == loaders.load("esd", tmp_path / "data" / "corpora")


def test_every_speaker_folder_copy_ignored_is_listed_not_three_and_dots(tmp_path):
    """The warning of speaker folders found more than once named three and "...": the others were named nowhere.
    It names the first five, as every warning naming files does (loaders.named), and the report keeps every one,
    which scan and prepare write to OUTPUT.warned.tsv."""
    from loaders.errors import InputWarning

    root = make_corpus("esd", tmp_path / "c", layout="b")
    copies = [shutil.copytree(root, tmp_path / "c" / f"backup{i}" / root.name, copy_function=os.link) for i in (1, 2)]
    ignored = sorted(str(p) for copy in copies for p in copy.iterdir() if p.is_dir())
    assert len(ignored) > 5
    report = SkipReport()
    with pytest.warns(InputWarning) as said:
        esd.load(tmp_path / "c", report=report)
    warning = next(str(w.message) for w in said if "found more than once" in str(w.message))
    assert " ..." not in warning and f"ignored {len(ignored)} " in warning, warning
    assert sum(folder in warning for folder in ignored) == 5, warning
    assert warning.endswith(f"and {len(ignored) - 5} more; every one in the SkipReport's `named`)"), warning
    assert sorted(file for file, _ in report.named[("esd", "speaker_copy")]) == ignored


def test_the_warning_of_several_speakers_copied_names_each_speakers_folder_read(tmp_path):
    """A tree unpacked twice more, every speaker's folder copied: the warning said "read the shallowest copy,
    Emotion Speech Dataset/0001", the first speaker's folder only, as if the others were not read. It says each
    speaker's shallowest copy is read, naming the first few; one speaker copied: that speaker's folder."""
    root = make_corpus("esd", tmp_path / "c", layout="b")
    speakers = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert len(speakers) > 3
    shutil.copytree(root, tmp_path / "c" / "backup" / root.name, copy_function=os.link)
    with pytest.warns(UserWarning) as said:
        esd.load(tmp_path / "c", report=SkipReport())
    warning = next(str(w.message) for w in said if "found more than once" in str(w.message))
    read = ", ".join(f"{root.name}/{speaker}" for speaker in speakers[:3])
    assert f": read each speaker's shallowest copy ({read} and {len(speakers) - 3} more) and ignored " in warning
    shutil.rmtree(tmp_path / "c" / "backup")
    shutil.copytree(root / speakers[1], tmp_path / "c" / "backup" / speakers[1], copy_function=os.link)
    with pytest.warns(UserWarning) as said:
        esd.load(tmp_path / "c", report=SkipReport())
    warning = next(str(w.message) for w in said if "found more than once" in str(w.message))
    assert f": read the shallowest copy, {root.name}/{speakers[1]}, and ignored 1 " in warning, warning


def test_a_tree_unpacked_twice_is_read_once_with_a_warning(small, tmp_path):
    _, root = small
    shallow = shutil.copytree(root, tmp_path / root.name, copy_function=os.link)
    shutil.copytree(root, tmp_path / "backup" / root.name, copy_function=os.link)
    with pytest.warns(UserWarning, match="ignored 4 .*backup"):
        records = esd.load(tmp_path)
    assert [r.id for r in records] == [r.id for r in esd.load(root)]
    assert all(Path(r.path).is_relative_to(shallow) for r in records)
    # the copy's wavs were set aside by their folder alone, whatever their bytes: another recording, or a clip
    # only there, was dropped unsaid. With the bytes of the wav read they are duplicate copies, with other bytes
    # copy_name; a wav only there is a clip the folder read lost: read.
    report = SkipReport()
    with pytest.warns(UserWarning, match="ignored 4"):
        esd.load(tmp_path, report=report)
    assert report.files[("esd", "duplicate")] == len(records) and not report
    first, second = (tmp_path / "backup" / Path(r.path).relative_to(tmp_path) for r in records[:2])
    first.unlink()  # a hard link to the wav read: never write through it
    shutil.copyfile(second, first)  # another recording under its name
    only = second.with_name("0001_000349.wav")
    shutil.copyfile(second, only)  # a wav only in the copy
    with pytest.raises(BadFileError) as err, pytest.warns(UserWarning):
        esd.load(tmp_path)
    assert (err.value.reason, err.value.path) == ("copy_name", first)
    read = Path(records[0].path).relative_to(tmp_path).as_posix()
    assert err.value.message.endswith(f"which is read, but its bytes differ from {read}")
    report = SkipReport()
    with pytest.warns(UserWarning):
        read = esd.load(tmp_path, skip_bad=True, report=report)
    assert [r.path for r in read if r.id == "esd/0001_000349"] == [str(only)] and len(read) == len(records) + 1
    assert report.to_dict() == {"esd/copy_name": 1} and report.file_skips[("esd", "copy_name")] == 1


def test_transcripts_in_every_encoding_and_with_spaces(small):
    _, root = small
    raw = {spk: (root / spk / f"{spk}.txt").read_bytes() for spk in esd_fixture.SMALL_SPEAKERS}
    assert raw["0006"].startswith(b"\xff\xfe")  # UTF-16LE with BOM
    assert "他们在公园里散步".encode("gb2312") in raw["0001"]
    with pytest.raises(UnicodeDecodeError):
        raw["0001"].decode("utf-8")
    assert b"na\xefve caf\xe9" in raw["0018"]  # Latin-1, and valid GB18030 too
    assert raw["0011"].isascii() and b"0011_000120 " in raw["0011"]  # a line with spaces, no tabs
    texts = {r.id: r.text for r in esd.load(root)}
    assert texts["esd/0001_000002"] == "他们在公园里散步。"  # GB2312
    assert texts["esd/0006_000027"] == "他们在公园里散步。"  # UTF-16LE
    assert texts["esd/0006_000120"] == "这本书写得很有意思。"  # space-separated line
    assert texts["esd/0018_000002"] == "The naïve café owner smiled at us."  # Latin-1
    assert texts["esd/0011_000352"] == "The naive cafe owner smiled at us."  # ASCII
    assert texts["esd/0011_000120"] == "The nine the eggs, I keep."  # space-separated, emotion word dropped
    assert {rid for rid, text in texts.items() if text is None} == {f"esd/{s}_001170" for s in raw}  # no line


def test_transcript_decoding_and_parsing():
    assert esd_tables.decode_transcript("naïve".encode("latin-1"), "eng") == "naïve"
    assert esd_tables.decode_transcript("中立".encode("gb2312"), "zho") == "中立"
    assert esd_tables.decode_transcript(b"\xef\xbb\xbf" + "中立".encode(), "zho") == "中立"
    assert esd_tables.decode_transcript("\ufeffhi".encode("utf-16-be"), "eng") == "hi"
    assert esd_tables.decode_transcript("café".encode(), "eng") == "café"
    # saved as "ANSI" by Notepad on a Western Windows: ’ and “ ” were control codes U+0092, U+0093, U+0094
    assert esd_tables.decode_transcript("“Don’t” – naïve".encode("cp1252"), "eng") == "“Don’t” – naïve"
    assert esd_tables.decode_transcript(b"caf\xe9 \x81", "eng") == "caf\xe9 \x81"  # no Windows-1252 text: Latin-1
    assert esd_tables.parse_transcript(
        "0001_000001\t打远一看，它们的确很是美丽，\t中立\n"
        "0011_000002 Chapter one, the missing will. Neutral\n"
        "0011_000003 Just the sentence\n"
        "0011_000004 text with a space\tAngry\n"
        "0011_000005\t\tSad\n"
        "garbage line\n"
    ) == {
        "0001_000001": "打远一看，它们的确很是美丽，",
        "0011_000002": "Chapter one, the missing will.",
        "0011_000003": "Just the sentence",
        "0011_000004": "text with a space",
    }


def test_a_transcript_that_contradicts_the_folder_or_itself_is_reported(small, tmp_path):
    """The folder is the label and the first line the text, as before, but neither is silent any more:
    a line whose emotion column names another emotion, and an id given twice with other text, are
    each one warning with examples, and the transcript's emotion is kept in ``extra``."""
    _, root = small
    copy = shutil.copytree(root, tmp_path / root.name)

    def edit(path, encoding, utt, emotion, append=""):
        lines = path.read_bytes().decode(encoding).split("\r\n")
        lines = [line.rsplit("\t", 1)[0] + f"\t{emotion}" if line.startswith(utt) else line for line in lines]
        path.write_bytes(("\r\n".join(lines) + append).encode(encoding))

    edit(copy / "0011" / "0011.txt", "latin-1", "0011_000002\t", "Angry", "0011_000002\tSomething else.\tNeutral\r\n")
    edit(copy / "0001" / "0001.txt", "gb18030", "0001_000027\t", "伤心")
    with pytest.warns(UserWarning) as caught:
        records = {r.id: r for r in esd.load(copy)}
    messages = [str(w.message) for w in caught]
    emotion = next(m for m in messages if "another emotion" in m)
    assert emotion.startswith("ESD: 2 transcript line(s) give another emotion than their wav's folder: ")
    assert "0001_000027 (transcript Sad, folder Neutral)" in emotion and "0011_000002 (transcript Angry" in emotion
    assert any(m.startswith("ESD: 1 utterance id(s) appear twice") and "0011_000002" in m for m in messages)
    assert records["esd/0011_000002"].emotions == ("neutral",)  # the folder's
    assert records["esd/0011_000002"].extra["transcript_emotion"] == "Angry"
    assert records["esd/0011_000002"].text == "The naive cafe owner smiled at us."  # the first line's
    assert records["esd/0001_000027"].extra["transcript_emotion"] == "Sad"
    assert sum("transcript_emotion" in r.extra for r in records.values()) == 2


def test_missing_transcript_file_gives_no_text(small, tmp_path):
    _, root = small
    copy = shutil.copytree(root, tmp_path / root.name)
    (copy / "0011" / "0011.txt").unlink()
    records = esd.load(copy)
    assert len(records) == 60
    assert all((r.text is None) == (r.speaker_id == "0011" or r.id.endswith("_001170")) for r in records)


def test_split_rule():
    assert [esd_tables.split_of(i) for i in (1, 20, 21, 50, 51, 350, 351, 371, 1750)] == [
        "validation", "validation", "test", "test", "train", "train", "validation", "test", "train"
    ]  # fmt: skip


def test_layout_a_folder_wins_over_the_index_rule_with_a_warning(tmp_path):
    root = make_corpus("esd", tmp_path, layout="a")
    moved = root / "0011" / "Angry" / "test" / "0011_000470.wav"
    (root / "0011" / "Angry" / "train" / "0011_000470.wav").rename(moved)
    with pytest.warns(UserWarning, match="1 file"):
        records = {r.id: r for r in esd.load(root)}
    assert records["esd/0011_000470"].official_split == "test"
    assert records["esd/0011_000470"].extra["index_split"] == "train"
    assert sum("index_split" in r.extra for r in records.values()) == 1


def test_bad_inputs_raise_naming_the_file_or_are_counted(bad_trees):
    for root in bad_trees.values():
        with pytest.raises(BadFileError) as err:
            esd.load(root)
        assert err.value.path.exists() and str(err.value.path) in str(err.value) and "fix:" in str(err.value)
        report = SkipReport()
        records = esd.load(root, skip_bad=True, report=report)
        assert report.to_dict() == {
            "esd/emotion_mismatch": 1, "esd/lfs_pointer": 1, "esd/truncated": 1, "esd/unknown_emotion": 1
        }  # fmt: skip
        assert len(records) == 60 - 2  # the stub and the truncated file replaced good ones
        named = {reason: ": ".join(report.examples[("esd", reason)][0][:2]) for _, reason in report.counts}
        assert f"{os.sep}Disgust{os.sep}" in named["unknown_emotion"] and "'Disgust'" in named["unknown_emotion"]
        assert "0011_000360.wav" in named["emotion_mismatch"] and "Angry block" in named["emotion_mismatch"]
        assert "0001_000377.wav" in named["lfs_pointer"] and "git-LFS" in named["lfs_pointer"]
        assert "0006_000820.wav" in named["truncated"]


FULL_WIDTH = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")


def test_a_name_with_another_scripts_digits_is_no_clip_of_its_own(tmp_path):
    """A copy of a clip named with full-width digits ('0001_\uff10\uff10\uff10\uff13\uff15\uff12.wav': ``\\d``
    matches them outside ASCII) was read as a clip of its own, the same audio under a second id, free to land in
    another split; it is an unexpected_name now.  A transcript line so numbered is no line either."""
    root = make_corpus("esd", tmp_path / "c")
    records = esd.load(root)
    clip = Path(records[0].path)
    speaker, index = clip.stem.split("_")
    copy = Path(shutil.copyfile(clip, clip.with_name(f"{speaker}_{index.translate(FULL_WIDTH)}.wav")))
    with pytest.raises(BadFileError) as err:
        esd.load(root)
    assert (err.value.reason, err.value.path) == ("unexpected_name", copy)
    report = SkipReport()
    assert [r.id for r in esd.load(root, skip_bad=True, report=report)] == [r.id for r in records]
    assert report.to_dict() == {"esd/unexpected_name": 1}
    line = f"{speaker}_{index.translate(FULL_WIDTH)}\tA sentence.\tAngry\n"
    assert esd_tables.parse_transcript(line) == {}  # was {'0001_\uff10...': 'A sentence.'}
    assert esd_tables.parse_transcript(f"{speaker}_{index}\tA sentence.\tAngry\n") == {
        f"{speaker}_{index}": "A sentence."
    }


def test_stray_files_and_empty_roots(tmp_path):
    root = make_corpus("esd", tmp_path / "c")
    FixtureWriter.not_audio(root / "0001" / "Angry" / "0001_000351.wav")
    (root / "0001" / "Angry" / "0001_000351.wav").rename(root / "0001" / "Angry" / "notes.wav")
    with pytest.raises(BadFileError, match="notes.wav.*not an ESD utterance name"):
        esd.load(root)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="no usable audio"):
        esd.load(tmp_path / "empty")
    with pytest.raises(LayoutError, match="does not exist"):
        esd.load(tmp_path / "nowhere")


def test_reading_never_writes_below_the_root(bad_trees):
    for root in bad_trees.values():
        before = snapshot(root.parent)
        esd.load(root.parent, skip_bad=True, report=SkipReport())
        with pytest.raises(BadFileError):
            esd.load(root)
        assert snapshot(root.parent) == before


def test_generation_is_deterministic(small_trees, tmp_path):
    one, two, other = small_trees["b"], make_corpus("esd", tmp_path / "2"), make_corpus("esd", tmp_path / "3", seed=1)
    assert digest(one) == digest(two) != digest(other)
    assert [r.to_dict() | {"path": ""} for r in esd.load(one)] == [r.to_dict() | {"path": ""} for r in esd.load(two)]


def test_info_and_the_embedded_speaker_table(shared_dir):
    assert loaders.SOURCES["esd"] is esd.INFO
    assert (esd.INFO.expected_count, esd.INFO.languages, esd.INFO.age_groups) == (35000, ("zho", "eng"), ("adu",))
    with open(shared_dir / "reference" / "esd" / "speakers.csv", newline="") as f:
        table = {row["speaker_id"]: row for row in csv.DictReader(f)}
    language = {"Mandarin": "zho", "English": "eng"}
    assert {s: (language[r["language"]], r["gender"].lower()) for s, r in table.items()} == esd_tables.SPEAKERS


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("esd-full")  # both layouts side by side share one pool of sounds


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["a", "b"])
def test_full_size_counts_and_official_split(layout, full_dir):
    started = time.perf_counter()
    root = make_corpus("esd", full_dir, layout=layout, size="full")
    generated = time.perf_counter()
    records = esd.load(root)
    read = time.perf_counter()
    print(f"ESD full layout {layout}: generate {generated - started:.1f} s, read {read - generated:.1f} s")
    assert len(records) == esd.INFO.expected_count == 35000 == len(list(root.rglob("*.wav")))
    assert collections.Counter(r.language for r in records) == {"zho": 17500, "eng": 17500}
    assert collections.Counter((r.language, r.official_split) for r in records) == {
        (lang, split): n
        for lang in ("zho", "eng")
        for split, n in (("train", 15000), ("validation", 1000), ("test", 1500))
    }
    assert collections.Counter(r.speaker_id for r in records) == {s: 1750 for s in esd_tables.SPEAKERS}
    assert collections.Counter(r.emotions for r in records) == {(e,): 7000 for e in EMOTION_OF_BLOCK}
    assert collections.Counter((r.language, r.gender) for r in records) == {
        ("zho", "f"): 8750, ("zho", "m"): 8750, ("eng", "m"): 8750, ("eng", "f"): 8750
    }  # fmt: skip
    assert sum(r.text is None for r in records) == 20  # each speaker's transcript lacks line 1170
    assert all(r.extra["layout"] == layout and "index_split" not in r.extra for r in records)
    assert read - generated < 60


def test_a_copy_of_a_speaker_folder_in_other_letters_or_a_clip_lost_in_two_copies_is_read_once(tmp_path):
    """A deeper copy of a speaker folder through a disk that ignores case ('backup/0001/Angry/0001_000352.WAV')
    was compared by the name in its letters alone: each wav a clip the folder read lost, read again
    (duplicate_id, stopping the read even with --skip-bad). A clip lost from the folder read but in two copies
    of it was read from both (duplicate_id); it is read from the first, the other its copy."""
    top = make_corpus("esd", tmp_path / "c", layout="b")
    records = esd.load(top)
    deep = shutil.copytree(top / "0001", tmp_path / "c" / "backup" / "0001")
    for wav in (deep / "Angry").glob("*.wav"):
        wav.rename(wav.with_name(wav.stem + ".WAV"))
    report = SkipReport()
    with pytest.warns(UserWarning, match="ignored 1"):
        assert [r.id for r in esd.load(tmp_path / "c", report=report)] == [r.id for r in records]
    assert report.files[("esd", "duplicate")] == 15 and not report
    shutil.rmtree(tmp_path / "c" / "backup")
    lost, other = sorted((top / "0001" / "Angry").glob("*.wav"))[:2]
    first, second = (top / "0001 - Copy" / "Angry", top / "0001 - Copy (2)" / "Angry")
    for folder in (first, second):
        folder.mkdir(parents=True)
        shutil.copyfile(lost, folder / lost.name)
    lost.unlink()
    report = SkipReport()
    read = esd.load(top, report=report)
    assert [r.path for r in read if r.id == f"esd/{lost.stem}"] == [str(first / lost.name)]
    assert len(read) == len(records) and report.files[("esd", "duplicate")] == 1 and not report
    shutil.copyfile(other, second / lost.name)  # another recording in the second copy
    with pytest.raises(BadFileError) as err:
        esd.load(top)
    assert (err.value.reason, err.value.path) == ("copy_name", second / lost.name)
    assert err.value.message.endswith(f"its bytes differ from 0001 - Copy/Angry/{lost.name}")
    report = SkipReport()
    assert len(esd.load(top, skip_bad=True, report=report)) == len(records)
    assert report.to_dict() == {"esd/copy_name": 1}


def test_a_copy_of_a_speaker_folder_in_the_other_layout_is_named_in_the_warning(tmp_path):
    """'0001 - Copy/' of the older release's layout beside the current zip's '0001/': its wavs, with the bytes of
    those read, were counted as duplicate copies that no warning named (the walk, which names a copied folder's,
    finds no counterpart at the same place; _chosen_speakers leaves a copied folder to it)."""
    older = make_corpus("esd", tmp_path / "a", layout="a")
    top = make_corpus("esd", tmp_path / "b", layout="b")
    shutil.copytree(older / "0001", top / "0001 - Copy")
    report = SkipReport()
    with pytest.warns(UserWarning) as caught:
        records = esd.load(top, report=report)
    assert len(records) == 60 and report.files[("esd", "duplicate")] == 15 and not report
    said = [str(w.message) for w in caught if "0001 - Copy" in str(w.message)]
    assert (
        len(said) == 1 and "and 14 more" in said[0] and "(0001/Angry/0001_000352.wav), with the same bytes" in said[0]
    )


def test_a_lone_copy_in_the_folder_read_is_the_clip_a_deeper_copy_holds(tmp_path):
    """'0001/Neutral/0001_000002 2.wav' with no 0001_000002.wav beside it is that clip (loaders.lone); a deeper copy
    of the speaker folder ('old/0001/', ignored with a warning) holding 0001_000002.wav is compared with it by its
    bytes, a duplicate copy, not a clip the folder read lost, read again under the same id (duplicate_id); with
    other bytes, which recording is the clip is the user's to say (copy_name)."""
    top = make_corpus("esd", tmp_path, layout="b")
    records = [r.id for r in esd.load(top)]
    deep = shutil.copytree(top / "0001", top / "old" / "0001")
    clip = top / "0001" / "Neutral" / "0001_000002.wav"
    lone = clip.rename(clip.with_name("0001_000002 2.wav"))
    report = SkipReport()
    with pytest.warns(UserWarning) as said:
        read = esd.load(top, report=report)
    assert [r.id for r in read] == records and str(lone) in {r.path for r in read} and not report
    said = " ".join(str(w.message) for w in said)
    assert "ignored 1" in said and "read '0001_000002 2.wav' as 0001_000002: no 0001_000002.wav beside it" in said
    assert report.files[("esd", "duplicate")] == 15 and report.files[("esd", "lone_copy")] == 1
    other = next(wav for wav in sorted((deep / "Neutral").glob("*.wav")) if wav.name != "0001_000002.wav")
    shutil.copyfile(other, deep / "Neutral" / "0001_000002.wav")  # another recording
    with pytest.raises(BadFileError) as err, pytest.warns(UserWarning):
        esd.load(top)
    assert (err.value.reason, err.value.path) == ("copy_name", deep / "Neutral" / "0001_000002.wav")
