import collections
import shutil
from importlib import resources
from pathlib import Path

import pytest
from conftest import load_untouched

from loaders import BadFileError, LayoutError, load
from loaders.audio import decode
from loaders.elderreact import INFO
from loaders.testing import FixtureWriter, digest, make_corpus

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ElderReact fixture needs ffmpeg")

COLUMNS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
SPLIT = {"train": "train", "dev": "validation", "test": "test"}


def parse_labels(text: str) -> dict[str, tuple[set, str, float]]:
    """A tiny independent parser: clip -> (emotions, gender, valence)."""
    out = {}
    for line in text.splitlines():
        name, *flags, gender, valence = line.split(" ")
        out[name] = ({c for c, f in zip(COLUMNS, flags) if int(f)}, gender, float(valence))
    return out


def real_label_text(name: str) -> str:
    return resources.files("loaders.testing").joinpath("data", "elderreact", f"{name}_labels.txt").read_text()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_corpus("elderreact", tmp_path_factory.mktemp("er-small"))


def test_small_fixture_matches_its_label_files(small):
    records, _ = load_untouched("elderreact", small)
    expected = {}
    for name, split in SPLIT.items():
        for clip, labels in parse_labels((small / "Annotations" / f"{name}_labels.txt").read_text()).items():
            expected[clip] = (split, *labels)
    assert len(records) == len(expected) == 9  # 3 per split; the ._ AppleDouble file is ignored
    sizes = {len(r.emotions) for r in records}
    assert {0, 1} <= sizes and max(sizes) >= 2  # clips with no, one and several emotions
    for r in records:
        split, emotions, gender, valence = expected[Path(r.path).name]
        assert r.id == f"elderreact/{Path(r.path).stem}"
        assert (r.official_split, set(r.emotions), r.gender, r.extra) == (split, emotions, gender, {"valence": valence})
        assert (r.language, r.age_group, r.age, r.speaker_id, r.text) == ("eng", "eld", None, None, None)
        assert r.label_space == ("sadness", "fear", "anger", "happiness", "disgust", "surprise")
        assert (r.sample_rate_hz, r.num_channels) == (44100, 2) and 0.9 < r.duration_s < 1.1
    samples, rate = decode(records[0].path, 16000)  # the audio is demuxed from the mp4 by FFmpeg
    assert rate == 16000 and 15000 < len(samples) < 17500 and samples.std() > 0.01


def test_info():
    assert INFO.expected_count == 1323 and INFO.languages == ("eng",) and INFO.age_groups == ("eld",)


def test_clips_with_an_upper_case_extension_find_their_label_lines(small, small_copy):
    """A copy through a camera's card, a FAT stick or a Windows tool may name the clips 50_50_17.MP4:
    each was "not listed in any of train_labels.txt, dev_labels.txt, test_labels.txt" (and each label
    line a missing clip), while the tables list 50_50_17.mp4."""
    for clip in sorted(small_copy.rglob("*.mp4")):
        clip.rename(clip.with_suffix(".MP4"))
    essentials = [(r.id, r.emotions, r.official_split, r.gender) for r in load("elderreact", small)]
    assert [(r.id, r.emotions, r.official_split, r.gender) for r in load("elderreact", small_copy)] == essentials


def test_names_upper_cased_whole_by_a_fat_copy_find_their_label_lines(small, small_copy):
    """An old FAT copy or a Windows tool may upper-case whole names, 50_50_SPIDER_61.MP4: the name's case
    is the clip's id, so each was "missing metadata row". Each is taken as the one label line naming it
    in another case, under the release's id, counted and named in one warning; a name in capitals that
    no line lists in any case says how it may have come to be."""
    from loaders.errors import InputWarning

    essentials = [(r.id, r.emotions, r.official_split, r.gender) for r in load("elderreact", small)]
    for clip in sorted(small_copy.rglob("*.mp4")):
        clip.rename(clip.with_name(clip.name.upper()))
    named = r"BRANDA_SCHMITZ_46.MP4 and 2 more: named in another case than the corpus names it \(Branda_schmitz_46"
    with pytest.warns(InputWarning, match=named):
        assert [(r.id, r.emotions, r.official_split, r.gender) for r in load("elderreact", small_copy)] == essentials
    clip = sorted(small_copy.rglob("50_50_*.MP4"))[0]
    shutil.copyfile(clip, clip.with_name("GTA5_999.MP4"))
    with pytest.raises(
        BadFileError, match=r"GTA5_999.MP4: missing metadata row: .*\(its name is all in capitals, as an"
    ):
        load("elderreact", small_copy)


def test_annotations_inside_the_data_folder(small, tmp_path):
    root = make_corpus("elderreact", tmp_path, layout="inside")
    assert root.name == "ElderReact_Data" and (root / "Annotations" / "dev_labels.txt").is_file()
    essentials = [(r.id, r.emotions, r.official_split, r.gender) for r in load("elderreact", small)]
    assert [(r.id, r.emotions, r.official_split, r.gender) for r in load("elderreact", root)] == essentials
    assert len(load("elderreact", tmp_path)) == 9  # a root above the corpus works too


def test_identical_label_copies_beside_and_inside_are_fine_conflicting_are_not(small_copy):
    inside = small_copy / "ElderReact_Data" / "Annotations"
    shutil.copytree(small_copy / "Annotations", inside)
    assert len(load("elderreact", small_copy)) == 9
    (inside / "test_labels.txt").write_text((inside / "test_labels.txt").read_text().replace(" f ", " m "))
    with pytest.raises(LayoutError) as info:
        load("elderreact", small_copy)
    assert info.value.reason == "conflicting_labels"


def test_a_label_file_named_in_letters_only_unicode_folds_to_the_releases_is_not_read(small, small_copy):
    """'te\u017ft_labels.txt' (a long s, which a case-blind Unicode match takes for 's') beside test_labels.txt was
    taken for a fourth label file, split 'te\u017ft', and the read stopped with a KeyError traceback; the name pattern
    is matched whole and in ASCII now: it is a text file like any other, counted as not audio."""
    before, before_report = load_untouched("elderreact", small)
    shutil.copyfile(small_copy / "Annotations" / "test_labels.txt", small_copy / "Annotations" / "te\u017ft_labels.txt")
    records, report = load_untouched("elderreact", small_copy)
    assert [(r.id, r.official_split) for r in records] == [(r.id, r.official_split) for r in before]
    not_audio = report.files[("elderreact", "not_audio")]
    assert not_audio == before_report.files[("elderreact", "not_audio")] + 1 and not report


def test_missing_label_file(small_copy):
    (small_copy / "Annotations" / "dev_labels.txt").unlink()
    with pytest.raises(LayoutError) as info:
        load("elderreact", small_copy)
    assert info.value.reason == "missing_labels" and "dev_labels.txt" in str(info.value)


def plant(root: Path, kind: str) -> tuple[Path, str]:
    """Plant one bad input; returns the path the error must name and a text it must contain."""
    annotations = root / "Annotations"
    train = root / "ElderReact_Data" / "ElderReact_train"
    clip = sorted(train.glob("[!.]*.mp4"))[0]
    if kind == "truncated":
        return FixtureWriter.truncate(clip, keep_bytes=100), clip.name
    if kind == "lfs_pointer":
        return FixtureWriter.lfs_pointer(clip), clip.name
    if kind == "missing_metadata":
        extra = Path(shutil.copyfile(clip, train / "not_in_any_label_file.mp4"))
        return extra, "missing metadata row"
    table = annotations / "test_labels.txt"
    line = {
        "missing_audio": "no_such_clip.mp4 0 0 0 1 0 0 f 5.0",
        "field_count": "8_fields.mp4 0 0 0 1 0 f 5.0",
        "non_binary": "two.mp4 0 0 2 1 0 0 f 5.0",
        "gender": "x.mp4 0 0 0 1 0 0 x 5.0",
    }[kind]
    with open(table, "a") as f:
        f.write(line + "\n")
    return table, "line 4"


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("truncated", "truncated"),
        ("lfs_pointer", "lfs_pointer"),
        ("missing_metadata", "missing_metadata"),
        ("missing_audio", "missing_audio"),
        ("field_count", "bad_label_line"),
        ("non_binary", "bad_label_line"),
        ("gender", "bad_label_line"),
    ],
)
def test_each_bad_input_raises_or_is_counted(small_copy, kind, reason):
    culprit, text = plant(small_copy, kind)
    with pytest.raises(BadFileError) as info:
        load("elderreact", small_copy)
    assert (info.value.path, info.value.reason) == (culprit, reason)
    assert culprit.name in str(info.value) and text in str(info.value) and "fix:" in str(info.value)
    records, report = load_untouched("elderreact", small_copy, skip_bad=True)
    assert report.to_dict() == {f"elderreact/{reason}": 1}
    assert len(records) == (8 if kind in ("truncated", "lfs_pointer") else 9)


def test_bad_fixture(tmp_path):
    root = make_corpus("elderreact", tmp_path, bad=True)
    with pytest.raises(BadFileError):
        load("elderreact", root)
    records, report = load_untouched("elderreact", root, skip_bad=True)
    assert len(records) == 7  # 9 good clips, one truncated (its moov box lost), one a git-LFS stub
    assert report.to_dict() == {
        "elderreact/bad_label_line": 2,  # whose clips exist, and are not reported a second time
        "elderreact/lfs_pointer": 1,
        "elderreact/missing_audio": 1,
        "elderreact/missing_metadata": 1,
        "elderreact/truncated": 1,
    }


def test_deterministic(tmp_path):
    a = make_corpus("elderreact", tmp_path / "a", seed=2)
    b = make_corpus("elderreact", tmp_path / "b", seed=2)
    assert digest(a) == digest(b)  # the same files, byte for byte


def test_package_label_files_are_the_real_ones(shared_dir):
    for name in SPLIT:
        real = shared_dir / "reference" / "elderreact" / "Annotations" / f"{name}_labels.txt"
        assert real_label_text(name) == real.read_text()


def test_full_size_with_the_real_label_files(tmp_path):
    root = make_corpus("elderreact", tmp_path, size="full")
    records = load("elderreact", root)
    assert len(records) == 1323 and len({r.id for r in records}) == 1323
    for name, split in SPLIT.items():
        labels = parse_labels(real_label_text(name))
        got = [r for r in records if r.official_split == split]
        assert len(got) == len(labels) == {"train": 615, "dev": 355, "test": 353}[name]
        positives = collections.Counter(e for emotions, _, _ in labels.values() for e in emotions)
        assert collections.Counter(e for r in got for e in r.emotions) == positives
        cardinality = collections.Counter(min(len(emotions), 2) for emotions, _, _ in labels.values())
        assert collections.Counter(min(len(r.emotions), 2) for r in got) == cardinality
        assert collections.Counter(r.gender for r in got) == collections.Counter(g for _, g, _ in labels.values())
    # the whole corpus: 92 clips carry no emotion at all, most carry one or two
    assert sum(not r.emotions for r in records) == 92
