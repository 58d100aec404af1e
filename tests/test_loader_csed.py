import collections
import shutil
from pathlib import Path

import pytest
from conftest import load_untouched

from loaders import BadFileError, LayoutError, load
from loaders.csed import INFO
from loaders.testing import FixtureWriter, digest, make_corpus

REAL_PREFIX_COUNTS = {
    ("Natural", "Nat_Female"): 107,
    ("Natural", "Nat_Male"): 107,
    ("Negative", "Neg_Female"): 112,
    ("Negative", "Neg-Male"): 108,
    ("Positive", "Pos_female"): 103,
    ("Positive", "Pos_male"): 115,
}
LABEL_OF_FOLDER = {"Natural": "neutral", "Negative": "negative", "Positive": "positive"}


def prefix_of(record) -> tuple[str, str]:
    folder, stem = record.id.split("/")[1:]
    return folder, stem.rsplit("-", 1)[0]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_corpus("csed", tmp_path_factory.mktemp("csed-small"))


def test_small_fixture_records(small):
    records = load("csed", small)
    assert len(records) == 12  # 2 per prefix; .DS_Store and the ._ AppleDouble file are ignored
    assert [r.id for r in records] == sorted(r.id for r in records)
    by_id = {r.id: r for r in records}
    neg_male = by_id["csed/Negative/Neg-Male-1"]
    assert (neg_male.gender, neg_male.emotions) == ("m", ("negative",))
    pos_female = by_id["csed/Positive/Pos_female-2"]
    assert (pos_female.gender, pos_female.emotions) == ("f", ("positive",))
    for r in records:
        folder, prefix = prefix_of(r)
        assert r.emotions == (LABEL_OF_FOLDER[folder],)
        assert r.gender == ("f" if "female" in prefix.lower() else "m")
        assert (r.language, r.age_group, r.group) == ("zho", "eld", "zho_eld")
        assert (r.age, r.speaker_id, r.official_split) == (None, None, None)
        assert r.label_space == ("neutral", "positive", "negative")
        assert (r.sample_rate_hz, r.num_channels) == (44100, 1)
        assert 0.5 < r.duration_s < 2.0
        assert Path(r.path).is_file() and Path(r.path).parent.name == folder


def test_root_above_the_corpus_and_no_writes(small):
    above, _ = load_untouched("csed", small.parent)
    assert [r.id for r in above] == [r.id for r in load("csed", small)]


def test_info_matches_the_corpus():
    assert INFO.name == "csed" and INFO.expected_count == 652
    assert INFO.languages == ("zho",) and INFO.age_groups == ("eld",)
    assert "graduate students" in INFO.notes  # the age caveat of the dataset card


@pytest.mark.parametrize(
    "name, plant, reason",
    [
        ("Negative/Neg_Female-113.wav", FixtureWriter.lfs_pointer, "lfs_pointer"),
        ("Natural/Nat_Male-108.wav", FixtureWriter.not_audio, "not_audio"),
        ("Positive/Pos_female-104_old.wav", "copy", "bad_name"),
        ("Positive/Pos_female-1\n.wav", "copy", "bad_name"),  # was read as a 13th clip, Pos_female-1\n
        ("Positive/Pos_female-\uff11\uff10.wav", "copy", "bad_name"),  # full-width digits: was a 13th clip too
        ("Positive/Pos_female_1.wav", "copy", "bad_name"),  # '_' before the number: was a 13th clip, a second id
        ("Negative/Neg_Male-1.wav", "copy", "bad_name"),  # the release spells it Neg-Male: was a 13th clip too
        ("Positive/Pos_female-01.wav", "copy", "bad_name"),  # a padded number: was a 13th clip too
        # GNOME's copy of a file not beside it, named as no clip is (Pos_female-104 (copy).wav is read as that clip)
        ("Positive/Pos_female-104_old (copy).wav", "copy", "copy_name"),
        ("Positive/Neg_Female-114.wav", "copy", "label_mismatch"),
        ("Natural/Nat_Female-2.wav", "truncate", "truncated"),
    ],
)
def test_each_bad_input_raises_or_is_counted(small_copy, name, plant, reason):
    data = small_copy / "Training Data (wav)"
    target = data / name
    if plant == "copy":
        shutil.copyfile(data / "Positive" / "Pos_female-1.wav", target)
    elif plant == "truncate":
        FixtureWriter.truncate(target, keep_bytes=200)
    else:
        plant(target)
    with pytest.raises(BadFileError) as info:
        load("csed", small_copy)
    assert info.value.path == target and info.value.reason == reason
    assert target.name in str(info.value) and "fix:" in str(info.value)

    records, report = load_untouched("csed", small_copy, skip_bad=True)
    assert report.to_dict() == {f"csed/{reason}": 1}
    assert len(records) == (11 if plant == "truncate" else 12)


def test_bad_fixture_skips_are_all_counted(tmp_path):
    root = make_corpus("csed", tmp_path, bad=True)
    with pytest.raises(BadFileError):
        load("csed", root)
    records, report = load_untouched("csed", root, skip_bad=True)
    assert len(records) == 12
    assert report.to_dict() == {
        "csed/bad_name": 1,
        "csed/label_mismatch": 1,
        "csed/lfs_pointer": 1,
        "csed/not_audio": 1,
    }


def test_the_generator_spells_the_names_as_the_readers_table_does(tmp_path, monkeypatch):
    """loaders.testing.csed kept its own table of the release's spellings beside the reader's
    RELEASE_PREFIXES, free to drift apart; it now writes the names the reader's table spells."""
    import loaders.csed

    monkeypatch.setitem(loaders.csed.RELEASE_PREFIXES, ("Positive", "f"), "Pos_Female")  # as if the release did
    root = make_corpus("csed", tmp_path)
    names = sorted(p.name for p in (root / "Training Data (wav)" / "Positive").glob("[!.]*.wav"))
    assert names == ["Pos_Female-1.wav", "Pos_Female-2.wav", "Pos_male-1.wav", "Pos_male-2.wav"]


def test_empty_or_missing_root(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="no usable audio"):
        load("csed", tmp_path / "empty")
    with pytest.raises(LayoutError, match="does not exist"):
        load("csed", tmp_path / "nowhere")


def test_a_downloaded_archive_given_for_the_corpus_folder_says_to_unpack_it(tmp_path):
    """--source csed=CSED.zip (the GitHub download, not unpacked) said "this is a file, not the corpus folder",
    and a folder holding only that zip "no usable audio files found below this folder": each now says it is an
    archive and the command that unpacks it, beside it (nothing is unpacked or written by the reader)."""
    root = make_corpus("csed", tmp_path / "raw")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    made = {fmt: Path(shutil.make_archive(str(downloads / "csed"), fmt, root)) for fmt in ("zip", "gztar")}
    before = sorted(downloads.rglob("*"))
    with pytest.raises(LayoutError) as caught:
        load("csed", made["zip"])
    assert (
        f"csed: this is a file, not the corpus folder: a zip archive: unpack it first (unzip {made['zip']} -d "
        f"{downloads}), then give the folder it makes" in str(caught.value)
    )
    with pytest.raises(LayoutError, match=r"a gzip archive: unpack it first \(tar -xzf .*csed\.tar\.gz -C "):
        load("csed", made["gztar"])
    with pytest.raises(LayoutError) as caught:
        load("csed", downloads)
    assert "csed: no usable audio files found below this folder; it holds csed.tar.gz: a gzip archive: unpack it" in (
        str(caught.value)
    )
    assert sorted(downloads.rglob("*")) == before  # nothing unpacked, nothing written
    (downloads / "notes.txt").write_text("not an archive")
    with pytest.raises(LayoutError) as caught:
        load("csed", downloads / "notes.txt")
    assert "unpack" not in str(caught.value)  # a file that is no archive: no such advice


@pytest.mark.skipif(shutil.which("unzip") is None or shutil.which("tar") is None, reason="no unzip or tar here")
def test_the_command_that_unpacks_an_archive_runs_as_given_whatever_its_name(tmp_path):
    """A download whose name holds a quote (Mary's CSED.zip) was told "unzip 'DIR/Mary's CSED.zip' -d 'DIR'": a
    shell reads no such command.  Each command is now quoted as the shell reads it, and does unpack it."""
    import re
    import subprocess

    root = make_corpus("csed", tmp_path / "raw")
    for fmt, name in (("zip", "Mary's CSED"), ("gztar", "it's $HOME")):
        folder = tmp_path / f"downloads {fmt}"
        folder.mkdir()
        made = Path(shutil.make_archive(str(folder / name), fmt, root))
        with pytest.raises(LayoutError) as caught:
            load("csed", made)
        command = re.search(r"unpack it first \((.*)\), then give", str(caught.value))[1]
        done = subprocess.run(["sh", "-c", command], capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
        assert {p.name for p in folder.iterdir()} > {made.name}, command  # unpacked beside it


def test_deterministic(tmp_path):
    a = make_corpus("csed", tmp_path / "a", seed=3)
    b = make_corpus("csed", tmp_path / "b", seed=3)
    assert digest(a) == digest(b)  # the same files, byte for byte
    strip = [(r.id, r.emotions, r.gender, r.duration_s) for r in load("csed", a)]
    assert strip == [(r.id, r.emotions, r.gender, r.duration_s) for r in load("csed", b)]


def check_full_counts(records):
    assert len(records) == 652
    labels = collections.Counter(r.emotions[0] for r in records)
    assert labels == {"positive": 218, "neutral": 214, "negative": 220}
    assert collections.Counter(prefix_of(r) for r in records) == REAL_PREFIX_COUNTS
    assert all(r.gender in ("f", "m") for r in records)
    assert collections.Counter(r.gender for r in records) == {"f": 107 + 112 + 103, "m": 107 + 108 + 115}
    assert len({r.id for r in records}) == 652


def test_full_size_fixture_has_the_real_counts(tmp_path):
    root = make_corpus("csed", tmp_path, size="full")
    check_full_counts(load("csed", root))


def test_real_corpus(real_csed):
    records, _ = load_untouched("csed", real_csed)
    check_full_counts(records)
    assert all((r.sample_rate_hz, r.num_channels) == (44100, 1) for r in records)
    assert 0.25 < min(r.duration_s for r in records) and max(r.duration_s for r in records) < 8.0


def test_real_corpus_files_57_recordings_twice_and_prepare_keeps_each_in_one_split(real_csed, tmp_path):
    """The CSED release holds 57 pairs of identical audio (headers differ), 11 of them labelled
    differently: prepared, each pair lies in one split, the paper's sizes hold, and `bimotion check`
    finds no audio in two splits."""
    from bimotion.prepare import prepare
    from bimotion.verify import verify
    from loaders.identical import identical_audio

    records = load("csed", real_csed)
    sets = identical_audio(records)
    assert len(sets) == 57 and all(len(s) == 2 for s in sets)
    labels = {r.id: r.emotions for r in records}
    assert sum(labels[a] != labels[b] for a, b in sets) == 11
    result = prepare({"csed": real_csed}, tmp_path / "out", progress=False)
    assert [s["rows"] for s in result.info["shards"]] == [200, 52, 400]
    assert result.info["identical_audio"]["csed"] == {
        "sets": 57, "clips": 114, "labelled_differently": 11, "split_apart": 0,
        "listed": {"labelled_differently": [list(s) for s in sets if labels[s[0]] != labels[s[1]]]},
    }  # fmt: skip
    clipped = result.info["clipped"]["csed"]  # measured in prepare's decode: the release's counts
    assert (clipped["clips"], clipped["of"], clipped["uneven"]) == (139, 652, True)
    assert clipped["by_label"] == {
        "negative": {"clips": 53, "of": 220}, "neutral": {"clips": 24, "of": 214}, "positive": {"clips": 62, "of": 218},
    }  # fmt: skip
    assert clipped["most_clipped_fraction"] == pytest.approx(0.0848, abs=1e-4)
    card = (result.out_dir / "README.md").read_text(encoding="utf-8")
    assert "**Hard-clipped clips in csed:** 139 of 652 clips hard-clipped" in card
    assert "positive 62 of 218 (28%)" in card and "a model can learn clipping in place of the emotion" in card
    checked = verify(result.out_dir)
    assert checked["problems"] == [], checked["problems"][:3]
    assert checked["clipped"]["csed"]["clips"] == 139


def test_the_notes_clipping_counts_are_the_real_releases(real_csed):
    """The real CSED's clips saturate: 139 of 652 hold a run of 3 or more samples at 16-bit full
    scale, most of them Positive or Negative (a label-correlated artefact), counted here on their own,
    apart from ``loaders.levels``.  The reader's note says so without counts (prepare counts them)."""
    import numpy as np
    import soundfile as sf

    clipped = collections.Counter()
    for path in sorted((real_csed / "Training Data (wav)").glob("*/*.wav")):
        samples = np.abs(sf.read(path, dtype="int16", always_2d=True)[0][:, 0].astype(np.int32)) >= 32767
        edges = np.diff(np.concatenate([[0], samples.astype(np.int8), [0]]))
        if samples.any() and (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max() >= 3:
            clipped[path.parent.name] += 1
    assert clipped == {"Positive": 62, "Negative": 53, "Natural": 24}
    # the counts are measured by prepare (test_real_corpus_files_57...), not stated as static text
    assert "hard-clipped, more often Positive and Negative" in INFO.notes and "139" not in INFO.notes
    assert "clipped" not in INFO.caveat.replace("clipped from videos", "")
