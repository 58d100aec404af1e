"""TESS reader on generated trees in both circulating layouts: records, quirks, duplicates, bad inputs."""

from __future__ import annotations

import collections
import os
import shutil
import warnings
from pathlib import Path

import pytest

import loaders
from loaders import BadFileError, LayoutError, SkipReport
from loaders.audio import decode, probe
from loaders.testing import digest, make_corpus, snapshot
from loaders.testing import tess as gen

SMALL_IDS = sorted(f"tess/{name[:-4]}" for name in gen.file_names(gen.SMALL_WORDS))


def wavs(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.wav") if p.is_file()]


@pytest.fixture(scope="module")
def small_a(tmp_path_factory) -> Path:
    return make_corpus("tess", tmp_path_factory.mktemp("a"), layout="a")


@pytest.fixture(scope="module")
def small_b(tmp_path_factory) -> Path:
    return make_corpus("tess", tmp_path_factory.mktemp("b"), layout="b")


@pytest.fixture(scope="module")
def bad_b(tmp_path_factory) -> Path:
    return make_corpus("tess", tmp_path_factory.mktemp("bad"), layout="b", bad=True)


def test_layout_a_records(small_a):
    records = loaders.load("tess", small_a)
    assert [r.id for r in records] == SMALL_IDS and len(records) == 2 * 3 * 7
    assert len(wavs(small_a)) == 42 and all(p.parent == small_a for p in wavs(small_a))
    by_id = {r.id: r for r in records}
    r = by_id["tess/OAF_back_ps"]
    assert (r.speaker_id, r.age, r.age_group, r.gender, r.group) == ("OAF", 64, "eld", "f", "eng_eld")
    assert (r.emotions, r.text, r.language) == (("surprise",), "back", "eng")
    assert r.label_space == ("sadness", "fear", "anger", "happiness", "disgust", "neutral", "surprise")
    r = by_id["tess/YAF_base_angry"]
    assert (r.speaker_id, r.age, r.age_group, r.emotions, r.text) == ("YAF", 26, "adu", ("anger",), "base")
    assert collections.Counter(r.speaker_id for r in records) == {"OAF": 21, "YAF": 21}
    assert collections.Counter(r.emotions for r in records) == {(label,): 6 for label in gen._LABELS.values()}


@pytest.mark.parametrize("layout", ["a", "b"])
def test_mixed_formats_are_probed_by_content(small_a, small_b, layout):
    records = {r.id: r for r in loaders.load("tess", small_a if layout == "a" else small_b)}
    odd = {
        "tess/YAF_back_happy": ("wav", 96000, "PCM_16"),
        "tess/OAF_bar_sad": ("wav", 24414, "FLOAT"),
        "tess/YAF_base_fear": ("aiff", 24414, "PCM_16"),
    }
    for record_id, expected in odd.items():
        record = records.pop(record_id)
        info = probe(record.path)
        assert record.path.endswith(".wav") and (info.format, info.sample_rate_hz, info.subtype) == expected
        assert record.sample_rate_hz == info.sample_rate_hz and 0.7 < record.duration_s < 1.7
        samples, rate_hz = decode(record.path, 16000)
        assert rate_hz == 16000 and abs(len(samples) / 16000 - record.duration_s) < 0.01 and samples.std() > 1e-3
    assert {r.sample_rate_hz for r in records.values()} == {24414}
    assert {probe(r.path).subtype for r in records.values()} == {"PCM_16"}


def test_layout_b_nested_duplicates_read_once(small_a, small_b):
    assert len(wavs(small_b)) == 2 * 42 and (small_b / gen.DATA_DIR / "OAF_Fear").is_dir()
    records = loaders.load("tess", small_b)
    assert [r.id for r in records] == SMALL_IDS
    assert all(len(Path(r.path).relative_to(small_b).parts) == 2 for r in records)  # the shallower copy
    same = {r.id: (r.speaker_id, r.emotions, r.age_group, r.text) for r in loaders.load("tess", small_a)}
    assert {r.id: (r.speaker_id, r.emotions, r.age_group, r.text) for r in records} == same


def test_a_deeper_copy_is_read_once_with_its_bytes_and_reported_with_other_bytes(small_b, tmp_path):
    """The copy of TESS's folders one level deeper was set aside as a duplicate by its name alone, whatever its
    bytes: another recording there was dropped unsaid. With the clip's bytes it is a duplicate copy, named in
    one warning; with other bytes it is one copy_name error naming both, with skip_bad a counted skip of it,
    the shallower file read."""
    from loaders.errors import InputWarning

    root = shutil.copytree(small_b, tmp_path / "tess", copy_function=os.link)
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"and 41 more: a second copy of OAF_Fear/OAF_back_fear.wav \(TESS's fo"):
        assert [r.id for r in loaders.load("tess", root, report=report)] == SMALL_IDS
    assert report.files[("tess", "duplicate")] == 42 and not report
    not_audio = report.files[("tess", "not_audio")]  # the synthetic marker
    deeper = root / gen.DATA_DIR / "YAF_sad" / "YAF_bar_sad.wav"
    other = (root / "YAF_sad" / "YAF_base_sad.wav").read_bytes()
    deeper.unlink()  # a hard link to the shallower file: never write through it
    deeper.write_bytes(other)  # another recording under the clip's name: which one is right?
    with pytest.raises(BadFileError) as err:
        loaders.load("tess", root)
    assert (err.value.reason, err.value.path) == ("copy_name", deeper)
    assert "a second copy of YAF_sad/YAF_bar_sad.wav" in err.value.message and "bytes differ" in err.value.message
    report = SkipReport()
    with warnings.catch_warnings():  # the 40 copies of the clips' bytes, said above
        warnings.simplefilter("ignore", InputWarning)
        records = {r.id: r.path for r in loaders.load("tess", root, skip_bad=True, report=report)}
        assert report.to_dict() == {"tess/copy_name": 1} and report.file_skips[("tess", "copy_name")] == 1
        assert records["tess/YAF_bar_sad"] == str(root / "YAF_sad" / "YAF_bar_sad.wav") and len(records) == 42
        deeper.write_text("not audio")  # named as a clip, but no recording: counted as not audio
        report = SkipReport()
        assert (
            len(loaders.load("tess", root, report=report)) == 42
            and report.files[("tess", "not_audio")] == not_audio + 1
        )


def test_copies_of_another_version_of_a_clip_are_reported_once(small_b, tmp_path):
    """A deeper copy was compared with the shallowest file only: another recording under a clip's name, copied
    twice below it (the deeper tree and a folder beside it), was two copy_name errors for one question (which
    version is the clip?). Each copy is now compared with the copies before it too: the second, with the bytes
    of the first one reported, is counted as a duplicate copy and named in one warning, not reported again."""
    from loaders.errors import InputWarning

    root = shutil.copytree(small_b, tmp_path / "tess", copy_function=os.link)
    deeper = root / gen.DATA_DIR / "YAF_sad" / "YAF_bar_sad.wav"
    deeper.unlink()  # a hard link to the shallower file: never write through it
    deeper.write_bytes((root / "YAF_sad" / "YAF_base_sad.wav").read_bytes())  # another recording
    (root / gen.DATA_DIR / "extra").mkdir()
    again = root / gen.DATA_DIR / "extra" / "YAF_bar_sad.wav"
    shutil.copyfile(deeper, again)
    with pytest.raises(BadFileError) as err, warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        loaders.load("tess", root)
    assert (err.value.reason, err.value.path) == ("copy_name", deeper)
    report = SkipReport()
    with pytest.warns(InputWarning, match="the same bytes as") as said:
        records = {r.id: r.path for r in loaders.load("tess", root, skip_bad=True, report=report)}
    assert report.to_dict() == {"tess/copy_name": 1} and report.examples[("tess", "copy_name")][0][0] == str(deeper)
    assert records["tess/YAF_bar_sad"] == str(root / "YAF_sad" / "YAF_bar_sad.wav") and len(records) == 42
    assert report.files[("tess", "duplicate")] == 42  # the 41 deeper copies of the clips read, and this one
    message = next(str(w.message) for w in said if "the same bytes as" in str(w.message))
    assert message.startswith(f"tess: {again}: the same bytes as {gen.DATA_DIR}/YAF_sad/YAF_bar_sad.wav, a copy of")
    # that copy's skip is listed with the skipped inputs, after the warnings (the warning said 'reported above')
    assert "a copy of the clip skipped as copy_name (its bytes differ from the file read; listed with the " in message


def test_labels_come_from_the_file_name_not_the_folder(small_b):
    misfiled = {r.id: r for r in loaders.load("tess", small_b)}["tess/OAF_back_neutral"]
    assert Path(misfiled.path).parent.name == "YAF_neutral"
    assert (misfiled.speaker_id, misfiled.age_group, misfiled.emotions) == ("OAF", "eld", ("neutral",))
    ps_folders = {Path(r.path).parent.name for r in loaders.load("tess", small_b) if r.emotions == ("surprise",)}
    assert ps_folders == {"OAF_Pleasant_surprise", "YAF_pleasant_surprised"}


def test_layout_b_without_nesting(tmp_path):
    root = make_corpus("tess", tmp_path, layout="b", nested=False)
    assert not (root / gen.DATA_DIR).exists() and len(wavs(root)) == 42
    assert [r.id for r in loaders.load("tess", root)] == SMALL_IDS


def test_root_may_be_any_folder_above_and_hold_other_files(small_a, tmp_path):
    shutil.copytree(small_a, tmp_path / "corpora" / "tess" / small_a.name, copy_function=os.link)
    (tmp_path / "corpora" / "other").mkdir()
    (tmp_path / "corpora" / "other" / "1001_DFA_ANG_XX.wav").write_bytes(b"not tess, not read")
    (tmp_path / "corpora" / "tess" / "README.txt").write_text("TESS")
    records = loaders.load("tess", tmp_path)
    assert [r.id for r in records] == SMALL_IDS
    assert [r.id for r in loaders.load("tess", small_a.parent)] == SMALL_IDS


def test_name_variants(small_a, tmp_path):
    """A name in another case (oaf_Back_ANGRY.WAV, as a FAT copy leaves it) was read under the release's
    id without a word, where the other readers count and name such files: now it is counted and named in
    the one warning they give, with the release's name."""
    from loaders.errors import InputWarning

    root = shutil.copytree(small_a, tmp_path / "tess", copy_function=os.link)
    (root / "OAF_back_angry.wav").rename(root / "oaf_Back_ANGRY.WAV")
    (root / "YAF_bar_sad.wav").rename(root / "YAF_BAR_SAD.wav")
    report = SkipReport()
    with pytest.warns(InputWarning, match="named in another case than the corpus names it") as said:
        records = {r.id: r for r in loaders.load("tess", root, report=report)}
    assert records["tess/OAF_back_angry"].path.endswith("oaf_Back_ANGRY.WAV") and len(records) == 42
    assert f"{root / 'YAF_BAR_SAD.wav'} and 1 more: " in str(said[0].message)  # the first walked
    assert "taken as YAF_bar_sad.wav" in str(said[0].message) and report.files[("tess", "other_case")] == 2
    assert "named in another case, read under the corpus's own name 2" in report.format_files()
    (root / "YAF_BAR_SAD.wav").rename(root / "YAF_bar_sad.wav")
    os.link(root / "YAF_bar_sad.wav", root / "YAF_bar.wav")
    with pytest.raises(BadFileError, match="YAF_bar.wav") as err:
        loaders.load("tess", root)
    assert err.value.reason == "bad_name"


def test_layout_errors(tmp_path):
    with pytest.raises(LayoutError, match="does not exist"):
        loaders.load("tess", tmp_path / "nowhere")
    (tmp_path / "other" / "x.wav").parent.mkdir()
    (tmp_path / "other" / "x.wav").write_bytes(b"RIFF")
    with pytest.raises(LayoutError, match="no usable audio") as err:
        loaders.load("tess", tmp_path / "other")
    assert err.value.reason == "empty_corpus" and "OAF_" in str(err.value)
    with pytest.raises(ValueError, match="layout"):
        make_corpus("tess", tmp_path, layout="c")


@pytest.mark.parametrize("reason", sorted(gen.BAD))
def test_each_bad_input_raises_naming_the_file(bad_b, tmp_path, reason):
    others = [name for r, name in gen.BAD.items() if r != reason]
    root = shutil.copytree(bad_b, tmp_path / "tess", copy_function=os.link, ignore=shutil.ignore_patterns(*others))
    with pytest.raises(BadFileError) as err:
        loaders.load("tess", root)
    assert err.value.reason == reason and err.value.path.name == gen.BAD[reason]
    assert err.value.path.relative_to(root).parts[0] != gen.DATA_DIR  # the shallower of the two copies
    assert gen.BAD[reason] in str(err.value) and "fix:" in str(err.value)


def test_skip_bad_counts_each_bad_file_once(bad_b):
    report = SkipReport()
    records = loaders.load("tess", bad_b, skip_bad=True, report=report)
    assert sum(p.name in gen.BAD.values() for p in wavs(bad_b)) == 6  # every bad file is there twice
    assert report.to_dict() == {f"tess/{reason}": 1 for reason in gen.BAD}
    assert len(records) == 42 - 2  # the LFS stub and the truncated file replace real clips
    assert not {f"tess/{Path(n).stem}" for n in gen.BAD.values()} & {r.id for r in records}


def test_root_is_never_written(bad_b):
    before = snapshot(bad_b)
    with pytest.raises(BadFileError):
        loaders.load("tess", bad_b)
    loaders.load("tess", bad_b, skip_bad=True, report=SkipReport())
    assert snapshot(bad_b) == before


def test_generator_is_deterministic(small_b, tmp_path):
    again = make_corpus("tess", tmp_path, layout="b")
    assert digest(again) == digest(small_b)
    assert [(r.id, r.duration_s) for r in loaders.load("tess", again)] == [
        (r.id, r.duration_s) for r in loaders.load("tess", small_b)
    ]


@pytest.mark.shared
def test_generator_names_are_the_release_names(shared_dir):
    listed = (shared_dir / "reference" / "tess" / "filenames.txt").read_text().split()
    assert sorted(gen.file_names()) == sorted(listed) and len(listed) == 2800


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["a", "b"])
def test_full_size_counts(tmp_path, layout):
    root = make_corpus("tess", tmp_path, size="full", layout=layout)
    assert len(wavs(root)) == (2800 if layout == "a" else 5600)
    records = loaders.load("tess", root)
    assert len(records) == 2800 == loaders.SOURCES["tess"].expected_count
    assert collections.Counter(r.age_group for r in records) == {"eld": 1400, "adu": 1400}
    assert set(collections.Counter((r.speaker_id, r.emotions) for r in records).values()) == {200}
    assert len({r.text for r in records}) == 200
    assert collections.Counter(r.sample_rate_hz for r in records) == {24414: 2799, 96000: 1}
