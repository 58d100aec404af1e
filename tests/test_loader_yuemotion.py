import collections
import csv
import shutil
from pathlib import Path

import pytest
from conftest import load_untouched

from loaders import BadFileError, LayoutError, SkipReport, load
from loaders.testing import FixtureWriter, digest, make_corpus, snapshot
from loaders.testing.mangle import SPREADSHEET_SAVES
from loaders.yuemotion import ELDERLY_MIN_AGE, INFO

LABELS = {1: "anger", 2: "happiness", 3: "sadness", 4: "neutral", 5: "fear", 6: "disgust"}


def csv_rows(root: Path) -> dict[str, tuple[str, dict]]:
    """{wav name: (split, row)} read straight from the CSVs."""
    rows = {}
    for split in ("train", "validation", "test"):
        with open(root / f"{split}_metadata.csv", newline="") as f:
            for row in csv.DictReader(f):
                rows[Path(row["path"]).name] = (split, row)
    return rows


def essentials(records):
    return [(r.id, r.emotions, r.gender, r.age, r.age_group, r.speaker_id, r.official_split) for r in records]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_corpus("yuemotion", tmp_path_factory.mktemp("yue-small"))


def test_small_with_metadata(small):
    records, _ = load_untouched("yuemotion", small)
    assert len(records) == 4 * 2 * 6
    rows = csv_rows(small)
    assert len(rows) == len(records)
    for r in records:
        name = Path(r.path).name
        speaker, gender_age, sentence, label_id = Path(name).stem.split("_")
        split, row = rows[name]
        assert r.id == f"yuemotion/{Path(name).stem}"
        assert r.official_split == split == row["split"]
        assert r.emotions == (LABELS[int(label_id)],) and int(row["label_id"]) == int(label_id)
        assert r.speaker_id == f"yue{speaker}" and r.gender == gender_age[0] == row["gender"][0]
        assert r.age == int(gender_age[1:]) == int(row["age"])
        assert r.age_group == ("eld" if r.age >= 59 else "adu")
        assert r.extra == {"sentence_id": int(sentence)}
        assert (r.language, r.sample_rate_hz, r.num_channels) == ("yue", 16000, 1)
        assert r.duration_s > 0.5
    by_speaker = {r.speaker_id: (r.gender, r.age, r.age_group) for r in records}
    assert by_speaker == {
        "yue02": ("f", 31, "adu"),
        "yue04": ("m", 26, "adu"),
        "yue12": ("f", 59, "eld"),  # 59 is elderly in YueMotion (the authors' threshold)
        "yue14": ("m", 60, "eld"),
    }


def test_threshold_is_the_authors_59():
    assert ELDERLY_MIN_AGE == 59
    assert INFO.expected_count == 1080 and INFO.age_groups == ("adu", "eld") and INFO.languages == ("yue",)


@pytest.mark.parametrize("options", [{"metadata": False}, {"layout": "moved"}, {"layout": "moved", "metadata": False}])
def test_layout_variants_give_the_same_records(small, tmp_path, options):
    root = make_corpus("yuemotion", tmp_path, **options)
    if options.get("layout") == "moved":
        assert (root / "female" / "elderly" / "12_f59_01_1.wav").is_file()
        assert (root / "male" / "non_elderly" / "04_m26_02_6.wav").is_file()
    records, _ = load_untouched("yuemotion", root)  # nothing moved, nothing created (the original loader moved files)
    expected = essentials(load("yuemotion", small))
    if options.get("metadata", True):
        assert essentials(records) == expected
    else:
        assert all(r.official_split is None for r in records)
        assert [e[:-1] for e in essentials(records)] == [e[:-1] for e in expected]


def test_upper_case_names_find_their_metadata_rows(small, small_copy):
    """A copy through Windows or a FAT stick may name the wavs 02_f31_01_1.WAV: every wav was "not
    listed in any *_metadata.csv" (and every row a missing wav), while the other readers read them."""
    for wav in sorted(small_copy.rglob("*.wav")):
        wav.rename(wav.with_suffix(".WAV"))
    assert essentials(load("yuemotion", small_copy)) == essentials(load("yuemotion", small))


def test_names_upper_cased_whole_by_a_fat_copy_are_read_as_the_release_names_them(small, small_copy):
    """An old FAT copy (8.3 names) or a Windows tool may upper-case whole names, 02_F31_01_1.WAV: the
    name's case is the clip's id, so each wav was "missing metadata row" (and without the tables a clip
    of another id). Each is taken as the one row naming it in another case, under the release's id,
    counted in the summary and named in one warning. Beside a file named as its row names it, it is that clip's
    second copy: with other bytes, one copy_name error naming it (it was a missing metadata row)."""
    from loaders.errors import InputWarning

    expected = essentials(load("yuemotion", small))
    for wav in sorted(small_copy.rglob("*.wav")):
        wav.rename(wav.with_name(wav.name.upper()))
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"02_F31_01_1.WAV and \d+ more: named in another case than the corpus names"):
        assert essentials(load("yuemotion", small_copy, report=report)) == expected
    assert f"named in another case, read under the corpus's own name {len(expected)}" in report.format_files()
    twin = small_copy / "data" / "02_f31_01_1.wav"
    shutil.copyfile(small / "data" / "02_f31_01_2.wav", twin)  # beside 02_F31_01_1.WAV: which is the clip?
    with pytest.raises(BadFileError, match=r"02_F31_01_1.WAV: named as 02_f31_01_1.wav beside it in other letters"):
        load("yuemotion", small_copy)
    twin.unlink()
    for table in sorted(small_copy.glob("*_metadata.csv")):  # without the tables: the release's own names
        table.unlink()
    with pytest.warns(InputWarning, match=r"taken as 02_f31_01_1.wav"):
        records = load("yuemotion", small_copy)
    assert [e[:-1] for e in essentials(records)] == [e[:-1] for e in expected]


@pytest.mark.parametrize("saved", sorted(SPREADSHEET_SAVES))
def test_metadata_as_a_spreadsheet_saves_it_reads_the_same(small, small_copy, saved):
    """The metadata CSVs opened and saved again in Excel on Windows hold ';' (or tabs) between their cells
    (and Windows paths): each was "not the release's CSV" (its header one column), though every column
    was there."""
    for table in sorted(small_copy.glob("*_metadata.csv")):
        table.write_bytes(SPREADSHEET_SAVES[saved](table.read_text(encoding="utf-8").replace("data/", "data\\")))
    assert essentials(load("yuemotion", small_copy)) == essentials(load("yuemotion", small))


def test_archive_not_extracted(tmp_path):
    root = make_corpus("yuemotion", tmp_path, layout="archive")
    before = snapshot(tmp_path)
    with pytest.raises(LayoutError) as info:
        load("yuemotion", tmp_path)
    assert info.value.reason == "not_extracted" and "tar -xjf" in str(info.value)
    assert info.value.path == root / "data.tar.bz2"
    assert snapshot(tmp_path) == before  # nothing extracted into the user's folder


def test_the_extract_command_runs_as_given_whatever_the_folders_name(tmp_path):
    """A release kept in a folder whose name holds a quote (Mary's YueMotion) was told "tar -xjf
    'DIR/Mary's YueMotion/data.tar.bz2' ...": a shell reads no such command.  It is now quoted as the
    shell reads it, and does extract the clips."""
    import re
    import subprocess

    root = make_corpus("yuemotion", tmp_path / "Mary's YueMotion", layout="archive")
    with pytest.raises(LayoutError) as info:
        load("yuemotion", root)
    command = re.search(r"extract it first \((.*)\); this reader", str(info.value))[1]
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True)
    assert done.returncode == 0, (command, done.stderr)
    assert len(load("yuemotion", root)) > 0  # extracted where the reader finds the clips


def test_root_above_reports_other_audio_and_counts_other_files(small_copy):
    other = small_copy.parent / "CREMA-D" / "AudioWAV" / "1001_DFA_ANG_XX.wav"
    other.parent.mkdir(parents=True)
    shutil.copyfile(small_copy / "data" / "02_f31_01_1.wav", other)
    (small_copy.parent / "notes.wav").write_text("not audio")
    with pytest.raises(BadFileError, match="1001_DFA_ANG_XX.wav") as err:
        load("yuemotion", small_copy.parent)  # audio that is not a YueMotion clip is never dropped silently
    assert err.value.reason == "bad_name"
    records, report = load_untouched("yuemotion", small_copy.parent, skip_bad=True)
    assert len(records) == 48 and all(r.id.startswith("yuemotion/") for r in records)
    assert report.to_dict() == {"yuemotion/bad_name": 1}
    assert report.files[("yuemotion", "read")] == 48 and report.files[("yuemotion", "not_audio")] >= 1


def plant(root: Path, kind: str) -> Path:
    data = root / "data"
    template = data / "02_f31_01_1.wav"
    if kind == "unknown_label":
        return Path(shutil.copyfile(template, data / "02_f31_11_7.wav"))
    if kind == "bad_name":
        return Path(shutil.copyfile(template, data / "02_x31_11_1.wav"))
    if kind == "missing_metadata":
        return Path(shutil.copyfile(template, data / "02_f31_12_3.wav"))
    if kind == "lfs_pointer":
        return FixtureWriter.lfs_pointer(template)
    if kind == "truncated":
        return FixtureWriter.truncate(template, keep_bytes=300)
    table = root / "train_metadata.csv"
    if kind == "missing_audio":
        with open(table, "a") as f:
            f.write("train,2,data/02_f31_11_2.wav,female,31,11,2,happiness\n")
        return table
    if kind == "metadata_mismatch":
        name = next(n for n, (split, _) in csv_rows(root).items() if split == "train")
        text = table.read_text()
        age = name.split("_")[1][1:]
        table.write_text(text.replace(f",{age},", ",77,", 1))
        return data / text.splitlines()[1].split(",")[2].split("/")[1]
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind",
    ["unknown_label", "bad_name", "missing_metadata", "lfs_pointer", "truncated", "missing_audio", "metadata_mismatch"],
)
def test_each_bad_input_raises_or_is_counted(small_copy, kind):
    culprit = plant(small_copy, kind)
    with pytest.raises(BadFileError) as info:
        load("yuemotion", small_copy)
    assert info.value.reason == kind and info.value.path == culprit
    assert culprit.name in str(info.value) and "fix:" in str(info.value)
    if kind == "missing_audio":
        assert "line 26" in str(info.value) and "02_f31_11_2.wav" in str(info.value)
    if kind == "metadata_mismatch":
        assert "age" in info.value.message and "'77'" in info.value.message
    records, report = load_untouched("yuemotion", small_copy, skip_bad=True)
    assert report.to_dict() == {f"yuemotion/{kind}": 1}
    lost = kind in ("lfs_pointer", "truncated", "metadata_mismatch")
    assert len(records) == 48 - lost


def test_bad_fixture(tmp_path):
    root = make_corpus("yuemotion", tmp_path / "csv", bad=True)
    with pytest.raises(BadFileError):
        load("yuemotion", root)
    records, report = load_untouched("yuemotion", root, skip_bad=True)
    assert len(records) == 48
    assert report.to_dict() == {
        f"yuemotion/{reason}": 1
        for reason in ("lfs_pointer", "metadata_mismatch", "missing_audio", "missing_metadata", "unknown_label")
    }
    root = make_corpus("yuemotion", tmp_path / "names", bad=True, metadata=False)
    records, report = load_untouched("yuemotion", root, skip_bad=True)
    assert len(records) == 48
    assert report.to_dict() == {"yuemotion/lfs_pointer": 1, "yuemotion/unknown_label": 1}


def test_a_name_ending_in_a_newline_is_no_clip_of_its_own(tmp_path):
    """Without the tables, '02_f31_01_1\n.wav' (a copy of a clip under a name ending in a newline) fitted the name
    pattern ($ matches before a final newline) and was read as a 49th clip, the same audio under another id, free
    to land in another split than its original. It is a bad_name now, as any name off the pattern."""
    root = make_corpus("yuemotion", tmp_path, metadata=False)
    copy = Path(shutil.copyfile(root / "data" / "02_f31_01_1.wav", root / "data" / "02_f31_01_1\n.wav"))
    with pytest.raises(BadFileError) as info:
        load("yuemotion", root)
    assert (info.value.reason, info.value.path) == ("bad_name", copy) and "'02_f31_01_1\\n.wav'" in str(info.value)
    records, report = load_untouched("yuemotion", root, skip_bad=True)
    assert len(records) == 48 and report.to_dict() == {"yuemotion/bad_name": 1}


def test_metadata_tables_must_be_complete(small_copy):
    (small_copy / "test_metadata.csv").unlink()
    with pytest.raises(LayoutError) as info:
        load("yuemotion", small_copy)
    assert info.value.reason == "incomplete_metadata" and "test_metadata.csv" in str(info.value)


def test_a_table_named_in_letters_only_unicode_folds_to_the_releases_is_no_table(small_copy):
    """'te\u017ft_metadata.csv' (a long s, which a case-blind Unicode match takes for 's') was taken for a metadata
    table of a split 'te\u017ft': in place of a missing test_metadata.csv the error listed it as found; the name
    pattern is matched whole and in ASCII now: it is a CSV like any other, counted as not audio."""
    (small_copy / "test_metadata.csv").rename(small_copy / "te\u017ft_metadata.csv")
    with pytest.raises(LayoutError) as info:
        load("yuemotion", small_copy)
    assert info.value.reason == "incomplete_metadata"
    assert "found train_metadata.csv, validation_metadata.csv but not test_metadata.csv" in str(info.value)


def test_duplicate_row_is_reported(small_copy):
    first = (small_copy / "train_metadata.csv").read_text().splitlines()[1]
    with open(small_copy / "test_metadata.csv", "a") as f:
        f.write(first.replace("train,", "test,", 1) + "\n")
    with pytest.raises(BadFileError) as info:
        load("yuemotion", small_copy)
    assert info.value.reason == "duplicate_row" and info.value.path.name == "test_metadata.csv"


def test_rows_of_empty_cells_below_a_table_are_not_rows(small_copy):
    expected = sorted(r.id for r in load("yuemotion", small_copy))
    table = small_copy / "train_metadata.csv"
    columns = table.read_text().splitlines()[0].count(",")
    table.write_text(table.read_text() + "," * columns + "\n" + " ," * columns + "\n")  # as a spreadsheet saves
    report = SkipReport()
    assert sorted(r.id for r in load("yuemotion", small_copy, report=report)) == expected and not report


def test_deterministic(tmp_path):
    a = make_corpus("yuemotion", tmp_path / "a", seed=5)
    b = make_corpus("yuemotion", tmp_path / "b", seed=5)
    assert digest(a) == digest(b)  # the same files, byte for byte


def test_full_size_reproduces_the_published_counts(tmp_path):
    root = make_corpus("yuemotion", tmp_path, size="full")
    records = load("yuemotion", root)
    assert len(records) == 1080
    speakers = {r.speaker_id: (r.gender, r.age_group) for r in records}
    assert len(speakers) == 18
    assert collections.Counter(speakers.values()) == {
        ("f", "adu"): 7,
        ("m", "adu"): 4,
        ("f", "eld"): 5,
        ("m", "eld"): 2,
    }
    assert collections.Counter(r.speaker_id for r in records) == {s: 60 for s in speakers}
    assert collections.Counter(r.age_group for r in records) == {"adu": 660, "eld": 420}
    assert sum(r.age >= 60 for r in records) == 360  # the general >= 60 rule would not reproduce 420

    def splits(rs):
        counts = collections.Counter(r.official_split for r in rs)
        return counts["train"], counts["validation"], counts["test"]

    assert splits(records) == (540, 162, 378)
    assert splits([r for r in records if r.age_group == "adu"]) == (330, 99, 231)
    assert splits([r for r in records if r.age_group == "eld"]) == (210, 63, 147)
    adults = [r for r in records if r.age_group == "adu"]
    assert splits([r for r in adults if r.gender == "m"]) == (120, 36, 84)  # the paper's Table 2
    assert splits([r for r in adults if r.gender == "f"]) == (210, 63, 147)
    train = collections.Counter(r.emotions[0] for r in records if r.official_split == "train")
    assert train == {label: 90 for label in LABELS.values()}  # stratified by emotion


def test_a_name_with_another_scripts_digits_is_no_clip_of_its_own(tmp_path):
    """Without the tables, '02_f31_01_\uff11.wav' (a copy of a clip under a name with a full-width 1, which
    ``\\d`` matches outside ASCII) was read as a 49th clip, the same audio under another id; a bad_name now."""
    root = make_corpus("yuemotion", tmp_path, metadata=False)
    copy = Path(shutil.copyfile(root / "data" / "02_f31_01_1.wav", root / "data" / "02_f31_01_\uff11.wav"))
    with pytest.raises(BadFileError) as info:
        load("yuemotion", root)
    assert (info.value.reason, info.value.path) == ("bad_name", copy)
    records, report = load_untouched("yuemotion", root, skip_bad=True)
    assert len(records) == 48 and report.to_dict() == {"yuemotion/bad_name": 1}
