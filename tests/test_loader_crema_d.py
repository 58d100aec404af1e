"""CREMA-D reader on generated trees in the release's layout: records, quirks, bad inputs, real counts."""

from __future__ import annotations

import collections
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import loaders
from loaders import BadFileError, LayoutError, SkipReport
from loaders.audio import decode
from loaders.crema_d import read_demographics
from loaders.testing import crema_d as gen
from loaders.testing import digest, make_corpus, snapshot
from loaders.testing.mangle import SPREADSHEET_SAVES

ELDERLY = {"1016", "1020", "1034", "1050", "1067", "1087"}
SMALL_NAMES = gen.clip_names(gen.SMALL_ACTORS, gen.SMALL_SENTENCES)


def link_copy(src: Path, dst: Path, *, ignore=()) -> Path:
    shutil.copytree(src, dst, copy_function=os.link, ignore=shutil.ignore_patterns(*ignore))
    return dst


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_corpus("crema_d", tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def small_bad(tmp_path_factory) -> Path:
    return make_corpus("crema_d", tmp_path_factory.mktemp("bad"), bad=True)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    return make_corpus("crema_d", tmp_path_factory.mktemp("full"), size="full")


def test_small_records(small):
    records = loaders.load("crema_d", small)
    assert [r.id for r in records] == sorted(f"crema_d/{n}" for n in SMALL_NAMES)
    assert len(records) == 4 * (16 + 6 + 6)
    by_id = {r.id: r for r in records}

    r = by_id["crema_d/1001_IEO_HAP_LO"]
    assert (r.speaker_id, r.age, r.age_group, r.gender) == ("1001", 51, "adu", "m")
    assert r.emotions == ("happiness",)
    assert r.label_space == ("sadness", "fear", "anger", "happiness", "disgust", "neutral")
    assert r.text == "It's eleven o'clock." and r.extra == {"sentence": "IEO", "level": "low"}
    assert (r.language, r.sample_rate_hz, r.num_channels, r.official_split) == ("eng", 16000, 1, None)
    assert Path(r.path) == small / "AudioWAV" / "1001_IEO_HAP_LO.wav"

    r = by_id["crema_d/1020_TIE_FEA_XX"]
    assert (r.age, r.age_group, r.gender, r.group) == (61, "eld", "f", "eng_eld")
    assert r.emotions == ("fear",) and r.text == "That is exactly what happened." and r.extra["level"] == "unspecified"

    assert {r.speaker_id for r in records if r.age_group == "eld"} == {"1016", "1020"}
    assert collections.Counter(r.emotions[0] for r in records) == {
        "neutral": 4 * 3,
        "happiness": 4 * 5,
        "sadness": 4 * 5,
        "anger": 4 * 5,
        "fear": 4 * 5,
        "disgust": 4 * 5,
    }


def test_near_silent_clip_is_kept_with_a_note(small):
    records = {r.id: r for r in loaders.load("crema_d", small)}
    quiet = records.pop("crema_d/1076_MTI_SAD_XX")
    assert quiet.duration_s < 0.3 and "near-silent" in quiet.extra["note"]
    samples, rate = decode(quiet.path)
    assert rate == 16000 and float(np.sqrt(np.mean(samples**2))) < 1e-3
    assert all("note" not in r.extra and r.duration_s > 0.7 for r in records.values())


def test_ignores_mp3_flash_and_hidden_files(small):
    assert any((small / "AudioMP3").iterdir()) and any((small / "VideoFlash").iterdir())
    assert (small / "AudioWAV" / f"._{SMALL_NAMES[0]}.wav").is_file()
    records = loaders.load("crema_d", small)
    assert all(Path(r.path).parent == small / "AudioWAV" and not Path(r.path).name.startswith(".") for r in records)


def test_a_macos_zip_mirror_inside_the_corpus_is_not_a_second_copy(small, tmp_path):
    """A zip made on macOS unpacks a __MACOSX/ mirror of AppleDouble files: CREMA-D/__MACOSX/AudioWAV
    was "several copies below this folder", with no --source that worked short of deleting files."""
    root = link_copy(small, tmp_path / "CREMA-D")
    mirror = root / "__MACOSX" / "AudioWAV"
    mirror.mkdir(parents=True)
    (mirror / f"._{SMALL_NAMES[0]}.wav").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    assert [r.id for r in loaders.load("crema_d", root)] == [r.id for r in loaders.load("crema_d", small)]
    assert [r.id for r in loaders.load("crema_d", tmp_path)] == [r.id for r in loaders.load("crema_d", small)]


def test_names_in_small_letters_are_the_release_clips_counted_and_named(small, tmp_path):
    """Some unzip tools, re-encoders and FAT copies leave '1001_dfa_ang_xx.wav' for the release's
    '1001_DFA_ANG_XX.wav': each was a bad_name ("file name is not {ActorID}_...").  As TESS's renamed
    files, they are the release's clips under the release's ids, counted as named in another case and
    named in one warning; the known near-silent clip keeps its note."""
    from loaders.errors import InputWarning

    root = link_copy(small, tmp_path / "CREMA-D")
    expected = {r.id: (r.emotions, r.speaker_id, r.extra) for r in loaders.load("crema_d", small)}
    renamed = sorted((root / "AudioWAV").glob("1*.wav"))
    for path in renamed:
        path.rename(path.with_name(path.name.lower()))
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"1001_ieo_ang_hi\.wav and \d+ more: named in another case") as said:
        records = loaders.load("crema_d", root, report=report)
    assert {r.id: (r.emotions, r.speaker_id, r.extra) for r in records} == expected and not report
    assert "taken as 1001_IEO_ANG_HI.wav" in str(said[0].message)
    assert report.files[("crema_d", "other_case")] == len(renamed) == len(expected)
    assert all(Path(r.path).name == Path(r.path).name.lower() for r in records)


def test_an_audio_folder_named_as_a_second_copy_is_read(small, tmp_path):
    """'AudioWAV (1)/' (a second download unpacked beside nothing) was "no AudioWAV/ folder", and
    'AudioWAV - Copy/' beside 'AudioWAV/' was passed over without a word: the first is read as AudioWAV/,
    the second's clips are its copies, read once and counted."""
    from loaders.errors import InputWarning

    root = link_copy(small, tmp_path / "CREMA-D")
    expected = [r.id for r in loaders.load("crema_d", small)]
    (root / "AudioWAV").rename(root / "AudioWAV (1)")
    assert [r.id for r in loaders.load("crema_d", root)] == expected
    (root / "AudioWAV (1)").rename(root / "AudioWAV")
    shutil.copytree(root / "AudioWAV", root / "AudioWAV - Copy", copy_function=os.link)
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"AudioWAV - Copy/.* more: named as a browser or a file manager"):
        records = loaders.load("crema_d", root, report=report)
    assert [r.id for r in records] == expected and all("Copy" not in r.path for r in records) and not report
    assert report.files[("crema_d", "duplicate")] == len(list((root / "AudioWAV").glob("1*.wav")))


def test_audio_in_a_folder_beside_audiowav_is_counted_and_named_not_read(small, tmp_path, capsys):
    """`scan --help` says every audio file below a source folder is read or reported, but 'AudioWAV_old/',
    the release's 'AudioMP3/', a user's 'extra/' and a clip beside 'AudioWAV/' were passed over unsaid (files seen 113,
    read 112: their files not even seen).  What is read is unchanged; their audio is counted as not read, and
    the scan's summary says so; one warning per folder, but none for the release's own 'AudioMP3/' (the same
    clips for its raters: every user of the release would be warned of its 7442 MP3s)."""
    from bimotion.cli import main
    from loaders.errors import InputWarning

    root = link_copy(small, tmp_path / "CREMA-D")
    clips = sorted((root / "AudioWAV").glob("1*.wav"))
    for folder, files in (("AudioWAV_old", clips[:2]), ("extra", clips[2:3])):
        (root / folder).mkdir()
        for clip in files:
            shutil.copyfile(clip, root / folder / clip.name)
    shutil.copyfile(clips[3], root / "AudioMP3" / "1001_IEO_ANG_HI.mp3")  # audio by content, as the release's are
    (root / "extra" / "notes.txt").write_text("my notes\n")
    shutil.copyfile(clips[4], root / "loose.wav")  # beside AudioWAV/, in the corpus folder itself
    report = SkipReport()
    with pytest.warns(InputWarning, match="not read") as said:
        records = loaders.load("crema_d", root, report=report)
    assert [(r.id, Path(r.path).parent) for r in records] == [
        (r.id, root / "AudioWAV") for r in loaders.load("crema_d", small)
    ]
    assert {w.filename for w in said if "not read" in str(w.message)} == {__file__}  # the caller's line, not loaders'
    said = [str(w.message) for w in said if "not read" in str(w.message)]  # in folder order
    assert len(said) == 3, said
    assert said[0].startswith("crema_d: 1 audio file(s) in CREMA-D/ not read (the first: loose.wav)")
    assert said[1].startswith("crema_d: 2 audio file(s) in AudioWAV_old/ not read")
    assert f"extra/ not read (the first: {clips[2].name}): crema_d reads its clips from AudioWAV/ only" in said[2]
    n = {kind: report.files[("crema_d", kind)] for kind in ("seen", "read", "not_audio", "duplicate", "not_read")}
    assert n["not_read"] == 5 and n["read"] == len(records) and not report
    assert n["seen"] == n["read"] + n["not_audio"] + n["duplicate"] + n["not_read"]
    assert main(["scan", "-q", "--source", f"crema_d={root}", "-o", str(tmp_path / "m.jsonl")]) == 0
    assert "audio in folders not read 5" in capsys.readouterr().out


def test_blank_files_in_audiomp3_are_counted_apart_from_the_audio_not_read(small, tmp_path, capsys):
    """The release's AudioMP3/ holds blank (0-byte) MP3s (a known defect of CREMA-D): they counted as "other files
    (not audio)", so "audio in folders not read" fell short of the release's 7442 with nothing saying why.  They are
    now counted apart, as blank, and the scan's summary line says so; nothing is warned (the release's own folder)."""
    import warnings

    from bimotion.cli import main

    root = link_copy(small, tmp_path / "CREMA-D")
    clips = sorted((root / "AudioWAV").glob("1*.wav"))
    shutil.copyfile(clips[0], root / "AudioMP3" / "1001_DFA_ANG_XX.mp3")  # audio by content
    for clip in clips[1:4]:
        (root / "AudioMP3" / f"{clip.stem}.mp3").write_bytes(b"")
    report = SkipReport()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the release's own folder: counted, not warned of
        records = loaders.load("crema_d", root, report=report)
    n = {kind: report.files[("crema_d", kind)] for kind in ("seen", "read", "not_audio", "not_read", "blank")}
    assert (n["not_read"], n["blank"], n["read"]) == (1, 3, len(records))
    assert n["seen"] == n["read"] + n["not_audio"] + n["not_read"] + n["blank"]
    assert main(["scan", "-q", "--source", f"crema_d={root}", "-o", str(tmp_path / "m.jsonl")]) == 0
    assert "audio in folders not read 1, blank (0-byte) files in folders not read 3" in capsys.readouterr().out


_CHILD = """
import json, sys
import loaders
from loaders import BadFileError, SkipReport
try:
    loaders.load("crema_d", sys.argv[1])
    strict = None
except BadFileError as err:
    strict = [err.reason, str(err.path)]
report = SkipReport()
read = len(loaders.load("crema_d", sys.argv[1], skip_bad=True, report=report))
files = {kind: n for (corpus, kind), n in report.files.items()}
skips = {reason: n for (corpus, reason), n in report.file_skips.items()}
print(json.dumps({"strict": strict, "read": read, "files": files, "skips": skips}))
"""


def test_a_broken_link_or_a_fifo_anywhere_in_the_corpus_folder_is_a_reported_skip(small, tmp_path):
    """A broken link or a FIFO loose in the CREMA-D folder was passed over unsaid (its listing kept regular files
    only), and a FIFO in AudioMP3/, or in AudioWAV/ under a name that is no clip's (``notes``), too: each is now a
    file seen and skipped, by reason, and never opened (a FIFO opened for reading blocks: the reader runs in a
    child process, so a hang fails the test)."""
    import json
    import subprocess
    import sys

    root = link_copy(small, tmp_path / "CREMA-D")
    (root / "README.md").symlink_to(tmp_path / "moved" / "README.md")
    for fifo in (root / "pipe", root / "AudioMP3" / "1001_IEO_ANG_HI.mp3", root / "AudioWAV" / "notes"):
        os.mkfifo(fifo)
    child = subprocess.run([sys.executable, "-c", _CHILD, str(root)], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout)
    assert result["strict"] == ["not_regular_file", str(root / "AudioWAV" / "notes")]  # AudioWAV/ is walked first
    assert result["read"] == len(loaders.load("crema_d", small))
    assert result["skips"] == {"broken_link": 1, "not_regular_file": 3}
    n = collections.Counter(result["files"])
    assert n["seen"] == n["read"] + 4 + n["not_audio"] + n["duplicate"] + n["not_read"]


def test_root_may_be_any_folder_above(small, tmp_path):
    expected = [(r.id, r.path) for r in loaders.load("crema_d", small)]
    assert [(r.id, r.path) for r in loaders.load("crema_d", small.parent)] == expected
    deep = link_copy(small, tmp_path / "corpora" / "en" / "CREMA-D")
    assert [r.id for r in loaders.load("crema_d", tmp_path)] == [i for i, _ in expected]
    assert all(r.path.startswith(str(deep)) for r in loaders.load("crema_d", tmp_path))


def test_layout_errors(small, tmp_path):
    with pytest.raises(LayoutError, match="does not exist"):
        loaders.load("crema_d", tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="no AudioWAV/ folder") as err:
        loaders.load("crema_d", tmp_path / "empty")
    assert err.value.reason == "missing_audio_dir"

    no_csv = link_copy(small, tmp_path / "no_csv" / "CREMA-D", ignore=["VideoDemographics.csv"])
    with pytest.raises(LayoutError, match="VideoDemographics.csv is missing") as err:
        loaders.load("crema_d", no_csv)
    assert err.value.path == no_csv / "VideoDemographics.csv"

    no_wavs = link_copy(small, tmp_path / "no_wavs" / "CREMA-D", ignore=["*.wav"])
    with pytest.raises(LayoutError, match="no usable audio") as err:
        loaders.load("crema_d", no_wavs)
    assert err.value.reason == "empty_corpus"

    link_copy(small, tmp_path / "two" / "copy1")
    link_copy(small, tmp_path / "two" / "copy2")
    with pytest.raises(LayoutError, match="several copies") as err:
        loaders.load("crema_d", tmp_path / "two")
    assert "copy1" in str(err.value) and "copy2" in str(err.value)


def test_demographics_parsing(tmp_path):
    path = tmp_path / "VideoDemographics.csv"
    path.write_text(gen.DEMOGRAPHICS_CSV)
    actors = read_demographics(path)
    assert len(actors) == 91 and set(actors) == set(gen.ACTORS)
    assert (actors["1001"].age, actors["1001"].gender) == (51, "m")
    assert (actors["1034"].age, actors["1034"].gender) == (74, "m")
    assert {a for a, p in actors.items() if p.age >= 60} == ELDERLY
    assert sum(p.gender == "m" for p in actors.values()) == 48

    path.write_bytes(b"\xef\xbb\xbf" + gen.DEMOGRAPHICS_CSV.replace("\n", "\r\n").encode())  # BOM + CRLF
    assert read_demographics(path) == actors
    path.write_text(gen.DEMOGRAPHICS_CSV.replace('1001,51,"Male"', '1001,unknown,"Male"'))
    with pytest.raises(LayoutError, match="line 2"):
        read_demographics(path)
    path.write_text('"ActorID","Years"\n1001,51\n')
    with pytest.raises(LayoutError, match="Age"):
        read_demographics(path)
    first = gen.DEMOGRAPHICS_CSV.splitlines()[1]
    path.write_text(gen.DEMOGRAPHICS_CSV + f"{first}\n,,,,\n   \n")  # a repeated row, spreadsheet blanks: harmless
    assert read_demographics(path) == actors
    path.write_text(gen.DEMOGRAPHICS_CSV + '1001,65,"Male","Caucasian","Not Hispanic"\n')  # a different age
    with pytest.raises(LayoutError, match=r"line 93: actor 1001 is listed again, as Actor\(age=65.*unlike line 2"):
        read_demographics(path)


@pytest.mark.parametrize("saved", sorted(SPREADSHEET_SAVES))
def test_demographics_as_a_spreadsheet_saves_it_read_the_same(tmp_path, saved):
    """VideoDemographics.csv opened and saved again in Excel holds ';' (or tabs) between its cells: its
    columns ActorID, Age and Sex were "missing" (its header one cell), though all there."""
    path = tmp_path / "VideoDemographics.csv"
    path.write_text(gen.DEMOGRAPHICS_CSV)
    actors = read_demographics(path)
    path.write_bytes(SPREADSHEET_SAVES[saved](gen.DEMOGRAPHICS_CSV))
    assert read_demographics(path) == actors
    path.write_bytes(SPREADSHEET_SAVES[saved](gen.DEMOGRAPHICS_CSV.replace('1001,51,"Male"', '1001,unknown,"Male"')))
    line = 3 if saved == "sep-line" else 2  # the line as the user's editor numbers it
    with pytest.raises(LayoutError, match=f"line {line}: cannot read age"):
        read_demographics(path)


@pytest.mark.parametrize("reason", sorted(gen.BAD))
def test_each_bad_input_raises_naming_the_file(small_bad, tmp_path, reason):
    others = [name for r, name in gen.BAD.items() if r != reason]
    root = link_copy(small_bad, tmp_path / "CREMA-D", ignore=others)
    with pytest.raises(BadFileError) as err:
        loaders.load("crema_d", root)
    assert err.value.reason == reason
    assert err.value.path == root / "AudioWAV" / gen.BAD[reason]
    assert gen.BAD[reason] in str(err.value) and "fix:" in str(err.value)
    if reason == "missing_metadata":
        assert "missing metadata row" in str(err.value) and str(root / "VideoDemographics.csv") in str(err.value)
    if reason == "lfs_pointer":  # `git lfs pull` fetches the audio inside a clone; it does not clone
        assert "git-LFS pointer" in str(err.value) and "run `git lfs pull` inside the clone" in str(err.value)


def test_skip_bad_counts_every_bad_input(small_bad):
    report = SkipReport()
    records = loaders.load("crema_d", small_bad, skip_bad=True, report=report)
    assert report.to_dict() == {f"crema_d/{reason}": 1 for reason in gen.BAD}
    assert len(records) == len(SMALL_NAMES) - 3  # three of the bad files replace real clips
    assert not {f"crema_d/{Path(n).stem}" for n in gen.BAD.values()} & {r.id for r in records}


def test_root_is_never_written(small_bad):
    before = snapshot(small_bad)
    with pytest.raises(BadFileError):
        loaders.load("crema_d", small_bad)
    loaders.load("crema_d", small_bad, skip_bad=True, report=SkipReport())
    assert snapshot(small_bad) == before


def test_generator_is_deterministic(small, tmp_path):
    again = make_corpus("crema_d", tmp_path)
    assert digest(again) == digest(small)
    strip = [(r.id, r.duration_s, r.age, r.text) for r in loaders.load("crema_d", small)]
    assert [(r.id, r.duration_s, r.age, r.text) for r in loaders.load("crema_d", again)] == strip


@pytest.mark.shared
def test_generator_embeds_the_release_metadata(shared_dir):
    reference = shared_dir / "reference" / "crema_d"
    assert gen.DEMOGRAPHICS_CSV == (reference / "VideoDemographics.csv").read_text()
    listed = (reference / "SentenceFilenames.csv").read_text().splitlines()[1:]
    assert sorted(gen.clip_names()) == sorted(line.split(",")[1].strip('"') for line in listed)


@pytest.mark.slow
def test_full_size_counts(full):
    records = loaders.load("crema_d", full)
    assert len(records) == 7442 == loaders.SOURCES["crema_d"].expected_count
    per_actor = collections.Counter(r.speaker_id for r in records)
    assert len(per_actor) == 91
    assert {a: n for a, n in per_actor.items() if n != 82} == {
        "1002": 81,
        "1076": 81,
        "1008": 76,
        "1009": 76,
        "1019": 76,
    }
    ids = {r.id for r in records}
    assert "crema_d/1002_TIE_NEU_XX" not in ids and not any(i.startswith("crema_d/1009_MTI_") for i in ids)
    assert collections.Counter(r.emotions[0] for r in records) == {
        "anger": 1271,
        "disgust": 1271,
        "fear": 1271,
        "happiness": 1271,
        "sadness": 1271,
        "neutral": 1087,
    }
    assert collections.Counter(r.age_group for r in records) == {"eld": 492, "adu": 6950}


@pytest.mark.slow
@pytest.mark.shared
def test_full_size_with_the_real_demographics(full, shared_dir, tmp_path):
    root = link_copy(full, tmp_path / "CREMA-D", ignore=["VideoDemographics.csv"])
    shutil.copyfile(shared_dir / "reference" / "crema_d" / "VideoDemographics.csv", root / "VideoDemographics.csv")
    records = loaders.load("crema_d", tmp_path)
    elderly = [r for r in records if r.age_group == "eld"]
    assert len(elderly) == 492 and {r.speaker_id for r in elderly} == ELDERLY
    assert all(r.age >= 60 for r in elderly)
    assert sum(r.age_group == "adu" for r in records) == 6950
    counts = collections.Counter(r.emotions[0] for r in records)
    assert [counts[e] for e in ("anger", "disgust", "fear", "happiness", "sadness")] == [1271] * 5
    assert counts["neutral"] == 1087
