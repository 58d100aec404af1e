"""`bimotion prepare` / `yuemotion prepare`: Parquet shards + card that plain `datasets` loads,
builders, determinism, real CSED, and what bad audio and failed runs leave behind."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

import bimotion
import loaders
from bimotion.cli import main as bimotion_main
from bimotion.data.layout import PARTIAL_SUFFIX, config_files, read_info
from bimotion.data.reading import decode_batch, raw_audio
from bimotion.features import decode_audio_bytes, features
from bimotion.prepare import prepare
from bimotion.registry import BIMOTION, SPLITS
from bimotion.verify import verify as check
from loaders import BadFileError, testing
from loaders.testing.mangle import add_browser_files
from yuemotion.cli import main as yuemotion_main

SIX = BIMOTION.corpora


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("raw")
    return {name: testing.make_corpus(name, base / name) for name in SIX}


@pytest.fixture(scope="module")
def speaker_out(sources, tmp_path_factory):
    return prepare(sources, tmp_path_factory.mktemp("speaker") / "out", protocol="speaker", num_proc=2, progress=False)


@pytest.fixture(scope="module")
def paper_out(sources, tmp_path_factory):
    """The paper protocol, in a folder named `bimotion` (for `load_dataset("bimotion", ...)`)."""
    return prepare(sources, tmp_path_factory.mktemp("paper") / "bimotion", num_proc=1, progress=False)


def rows_of(info, **match) -> dict[str, int]:
    out = dict.fromkeys(SPLITS, 0)
    for s in info["shards"]:
        if all(s[k] in v for k, v in match.items()):
            out[s["split"]] += s["rows"]
    return out


def digest_tree(root: Path, pattern: str = "**/*.parquet") -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob(pattern))
        if p.is_file()
    }


# ------------------------------------------------------------------------------ layout and card


def test_every_record_is_written_once_under_its_shard(speaker_out, sources):
    out, info = speaker_out.out_dir, speaker_out.info
    records = [r for name, root in sources.items() for r in loaders.load(name, root)]
    assert sum(s["rows"] for s in info["shards"]) == len(records)
    assert not speaker_out.report
    assert not out.with_name(out.name + PARTIAL_SUFFIX).exists()
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert on_disk == sorted(f for s in info["shards"] for f in s["files"])
    for s in info["shards"]:
        assert all(f.startswith(f"data/{s['corpus']}/{s['group']}/{s['split']}-") for f in s["files"])
    assert all(g["status"] == "complete" for g in info["groups"].values())


def test_card_configs_cover_the_registry_and_unions_reuse_the_group_files(speaker_out):
    out, info = speaker_out.out_dir, speaker_out.info
    card = (out / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    names = [c["config_name"] for c in header["configs"]]
    assert names == list(BIMOTION.configs)  # eng_eld … all, one per corpus
    assert [c["config_name"] for c in header["configs"] if c.get("default")] == ["all"]
    files = config_files(info)
    for name, config in BIMOTION.configs.items():
        for split in SPLITS:
            expected = [
                f
                for c, g in config.shards
                for s in info["shards"]
                if (s["corpus"], s["group"], s["split"]) == (c, g, split)
                for f in s["files"]
            ]
            assert files[name].get(split, []) == expected
    union = {f for split in SPLITS for g in BIMOTION.groups for f in files[g].get(split, [])}
    assert (
        union
        == {f for split in SPLITS for f in files["all"].get(split, [])}
        == {p.relative_to(out).as_posix() for p in out.rglob("*.parquet")}
    )
    # the statistics table is the data's: one row per (corpus, group) with its split counts
    for corpus, group in BIMOTION.shards:
        n = rows_of(info, corpus=[corpus], group=[group])
        assert f"| {n['train']} | {n['validation']} | {n['test']} |" in card, (corpus, group)
    for corpus in SIX:
        assert loaders.SOURCES[corpus].license in card and loaders.SOURCES[corpus].citation.strip() in card
    assert "CSED speakers" in card and "one speaker per group" in card
    assert (
        "Not speaker-independent under this protocol: tess: it has one speaker per group (OAF elderly, YAF adult), "
        "in every split; elderreact: its clip names are stimuli, not people, and it has no speaker ids; csed: it has "
        "no speaker ids (the release does not say who speaks in which clip)."
    ) in card


def test_prepared_folder_loads_with_plain_datasets_in_a_fresh_process(paper_out, tmp_path):
    out, info = paper_out.out_dir, paper_out.info
    script = f"""
import json, sys
import datasets
by_path = datasets.load_dataset({str(out)!r}, "eng_eld")
by_name = datasets.load_dataset("bimotion", "zho")          # the folder ./bimotion
row = by_path["test"][0]
samples = row["audio"].get_all_samples()
print(json.dumps({{
    "imported": sorted(m for m in sys.modules if m.split(".")[0] in ("bimotion", "loaders", "yuemotion")),
    "eng_eld": {{s: by_path[s].num_rows for s in by_path}},
    "zho": {{s: by_name[s].num_rows for s in by_name}},
    "rate": samples.sample_rate, "channels": samples.data.shape[0], "samples": samples.data.shape[1],
    "duration_s": row["duration_s"], "labels": row["labels"], "mask": row["label_mask"],
    # the features name their labels: emotions and the categorical columns are ClassLabels
    "names": {{c: f.names for c, f in by_path["test"].features.items() if hasattr(f, "names")}},
    "emotion_names": by_path["test"].features["emotions"].feature.names,
    "row": {{c: by_path["test"].features[c].int2str(row[c]) for c in ("corpus", "group", "language", "age_group")}},
    "emotions": by_path["test"].features["emotions"].feature.int2str(row["emotions"]),
}}))
"""
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=out.parent, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["imported"] == []
    assert got["eng_eld"] == rows_of(info, group=["eng_eld"])
    assert got["zho"] == rows_of(info, group=["zho_eld", "zho_adu"])
    assert (got["rate"], got["channels"]) == (16000, 1)
    assert abs(got["samples"] / 16000 - got["duration_s"]) < 1e-3
    assert len(got["labels"]) == len(got["mask"]) == 13
    assert got["emotion_names"] == list(loaders.LABELS) and got["names"] == info["class_names"]
    assert got["row"]["group"] == "eng_eld" and (got["row"]["language"], got["row"]["age_group"]) == ("eng", "eld")
    on = [name for name, hot, m in zip(loaders.LABELS, got["labels"], got["mask"], strict=True) if hot and m]
    assert got["emotions"] == on  # the clip's labels, by name, agree with the multi-hot column


def test_split_membership_and_bytes_ignore_file_system_order_and_process_count(paper_out, sources, tmp_path):
    """The same corpora copied in reverse file order, through macOS and Windows (._x.wav beside each
    file, .DS_Store, Thumbs.db, desktop.ini, __MACOSX/), prepared with another process count and
    alongside fewer corpora, give byte-identical shards."""
    subset = {}
    for name in ("csed", "tess"):
        src = sources[name]
        dst = tmp_path / "reversed" / name / src.name
        for path in sorted(src.rglob("*"), reverse=True):
            target = dst / path.relative_to(src)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        subset[name] = dst
    add_browser_files(tmp_path / "reversed")
    again = prepare(subset, tmp_path / "again", num_proc=2, progress=False)
    mine = digest_tree(again.out_dir)
    assert mine and {k: v for k, v in digest_tree(paper_out.out_dir).items() if k in mine} == mine
    # a subset run works and says which groups are partial
    assert again.info["groups"]["eng_eld"] == {
        "corpora": ["tess"],
        "missing": ["crema_d", "elderreact"],
        "status": "partial",
    }
    assert again.info["groups"]["zho_adu"]["status"] == "absent"
    card = (again.out_dir / "README.md").read_text(encoding="utf-8")
    assert "partial preparation" in card and "`eng_eld` is partial (missing crema_d, elderreact)" in card
    assert "zho_adu" not in config_files(again.info)
    from bimotion.commands.prepare_notes import summary

    printed = summary(again.info)  # said plainly (it was "zho_adu is absent: has nothing; missing esd")
    assert "note: group eng_eld is partial: it has tess, not crema_d, elderreact" in printed
    assert "note: group zho_adu is not in this dataset (its corpora, esd, were not given)" in printed


def test_a_corpus_given_without_a_groups_clips_is_not_said_to_cover_it(sources, tmp_path):
    """ESD's Mandarin speakers alone hold no eng_adu clips: the summary said 'group eng_adu is
    partial: it has esd', and the card called it partial with nothing missing; esd now counts for a
    group only where it has rows of it, and the note says it was given without that group's clips."""
    from bimotion.commands.prepare_notes import summary

    esd = tmp_path / "esd"
    for speaker in sorted(p for p in sources["esd"].iterdir() if p.is_dir() and int(p.name) <= 10):
        shutil.copytree(speaker, esd / speaker.name)  # speakers 0001-0010 are ESD's Mandarin ones
    out = prepare({"esd": esd}, tmp_path / "out", num_proc=1, progress=False)
    groups = out.info["groups"]
    assert groups["zho_adu"] == {"corpora": ["esd"], "missing": [], "status": "complete"}
    assert groups["eng_adu"]["corpora"] == [] and groups["eng_adu"]["status"] == "absent"
    assert "esd" in groups["eng_adu"]["missing"] and groups["eng_adu"]["empty"] == ["esd"]
    printed = summary(out.info)
    assert "it has esd" not in printed and "group eng_adu is not in this dataset (esd given, but without" in printed
    card = (out.out_dir / "README.md").read_text(encoding="utf-8")
    assert "`eng_adu` is absent (missing " in card and "esd" in card.split("`eng_adu` is absent (missing ")[1][:40]


def test_the_summary_table_names_the_validation_split_as_check_the_card_and_load_dataset_do(speaker_out):
    """prepare's table headed its middle column `valid` while `bimotion check`, the dataset card and
    `load_dataset` call the split `validation`: one name for one split, whatever prints it."""
    from bimotion.commands.prepare_notes import summary
    from bimotion.registry import SPLITS

    header = next(line.split() for line in summary(speaker_out.info).splitlines() if line.startswith("corpus"))
    assert header == ["corpus", "group", "train", "validation", "test", "hours"]
    assert header[2:5] == list(SPLITS)  # the split names load_dataset gives


# ------------------------------------------------------------------------------ builders


def test_load_reads_every_config_of_the_folder_with_its_features(speaker_out, tmp_path):
    out, info = speaker_out.out_dir, speaker_out.info
    ds = bimotion.load(out, "eng_adu", cache_dir=tmp_path / "cache")
    assert {s: ds[s].num_rows for s in ds} == rows_of(info, group=["eng_adu"])
    assert ds["train"].features == features(info["class_names"])
    assert info["class_names"]["corpus"] == [*SIX, "yuemotion"] and info["class_names"]["gender"] == ["f", "m"]
    test = bimotion.load(out, "csed", split="test", cache_dir=tmp_path / "cache")
    assert test.num_rows == rows_of(info, corpus=["csed"])["test"]
    assert {test.features["corpus"].int2str(c) for c in test["corpus"]} == {"csed"}
    assert all(len(m) == 13 for m in test["label_mask"])
    waves, lengths = decode_batch(raw_audio(test)[:4]["audio"])
    assert waves.dtype == np.float32 and waves.shape == (4, lengths.max())
    assert np.allclose(lengths / 16000, test["duration_s"][:4], atol=1e-3)
    with pytest.raises(FileNotFoundError, match="prepare.json is missing"):
        bimotion.load(tmp_path, "all")


def test_yuemotion_prepare_cli_and_builder(tmp_path, capsys):
    root = testing.make_corpus("yuemotion", tmp_path / "raw")
    out = tmp_path / "yuemotion"
    assert yuemotion_main(["prepare", "--source", str(root), "--output", str(out), "-q", "--num-proc", "1"]) == 0
    assert "yue_adu" in capsys.readouterr().out
    info = read_info(out)
    records = loaders.load("yuemotion", root)
    by_split = {s: sum(r.official_split == s for r in records) for s in SPLITS}  # the published split
    assert rows_of(info) == by_split
    ds = bimotion.load(out, "all", cache_dir=tmp_path / "cache")
    assert {s: ds[s].num_rows for s in ds} == {s: n for s, n in by_split.items() if n}
    assert yuemotion_main(["check", str(out)]) == 0
    # BiMotion refuses YueMotion, and an existing output folder, with a clear message
    assert bimotion_main(["prepare", "--source", f"yuemotion={root}", "--output", str(tmp_path / "x"), "-q"]) == 2
    assert "yuemotion prepare" in capsys.readouterr().err
    assert yuemotion_main(["prepare", "--source", str(root), "--output", str(out), "-q"]) == 2
    assert "already exists" in capsys.readouterr().err


# ------------------------------------------------------------------------------ real CSED


@pytest.mark.shared
def test_real_csed_prepares_to_table1_at_16khz_with_source_durations(real_csed, tmp_path):
    result = prepare({"csed": real_csed}, tmp_path / "csed", num_proc=2, progress=False)
    assert rows_of(result.info, group=["zho_eld"]) == {"train": 200, "validation": 52, "test": 400}
    source = {r.id: r.duration_s for r in loaders.load("csed", real_csed)}
    import pyarrow.parquet as pq

    seen = 0
    for path in sorted((result.out_dir / "data").rglob("*.parquet")):
        table = pq.read_table(path, columns=["id", "audio", "duration_s"]).to_pydict()
        for rid, audio, duration_s in zip(table["id"], table["audio"], table["duration_s"], strict=True):
            samples, rate = decode_audio_bytes(audio["bytes"])
            assert rate == 16000 and samples.ndim == 1
            assert abs(len(samples) / rate - source[rid]) < 0.010, rid
            assert abs(duration_s - source[rid]) < 0.010, rid
            seen += 1
    assert seen == 652


# ------------------------------------------------------------------------------ bad audio, failed runs


def write_undecodable_wav(path: Path) -> Path:
    """A WAV whose header probes fine but whose samples cannot be used: 32-bit float, mostly NaN
    (found while decoding, in prepare's workers; a codec nothing decodes is now found by the probe)."""
    samples = np.full(44100, np.nan, dtype=np.float32)
    samples[:100] = 0.1
    soundfile.write(path, samples, 44100, subtype="FLOAT")
    return path


def assert_nothing_left(out: Path) -> None:
    assert not out.exists()
    assert not out.with_name(out.name + PARTIAL_SUFFIX).exists()


def test_bad_file_found_while_scanning_is_an_error_or_a_counted_skip(tmp_path):
    root = testing.make_corpus("csed", tmp_path / "raw", bad=True)
    out = tmp_path / "out"
    with pytest.raises(BadFileError) as err:
        prepare({"csed": root}, out, progress=False)
    assert err.value.path.is_relative_to(root)
    assert_nothing_left(out)
    result = prepare({"csed": root}, out, skip_bad=True, progress=False)
    assert result.report.total >= 2 and result.info["skipped"] == result.report.to_dict()
    assert "**Skipped inputs**" in (out / "README.md").read_text(encoding="utf-8")


def test_bad_audio_found_while_decoding_is_an_error_or_a_counted_skip(tmp_path, capsys):
    root = testing.make_corpus("csed", tmp_path / "raw")
    bad = write_undecodable_wav(root / "Training Data (wav)" / "Positive" / "Pos_female-999.wav")
    out = tmp_path / "out"
    argv = ["prepare", "--source", f"csed={root}", "--output", str(out), "-q", "--num-proc", "2"]
    assert bimotion_main(argv) == 2
    assert str(bad) in capsys.readouterr().err
    assert_nothing_left(out)
    assert bimotion_main([*argv, "--skip-bad"]) == 0
    printed = capsys.readouterr()
    assert "csed  corrupt  1" in printed.err
    seen, read, skipped, not_audio = map(
        int, re.search(r"csed +files seen (\d+), read (\d+), skipped (\d+).*\(not audio\) (\d+)", printed.out).groups()
    )
    assert skipped == 1 and seen == read + skipped + not_audio  # read by the scan, then undecodable: not read
    info = read_info(out)
    assert info["skipped"] == {"csed/corrupt": 1}
    assert sum(s["rows"] for s in info["shards"]) == len(loaders.load("csed", root)) - 1


def test_a_failed_overwrite_keeps_the_previous_dataset(tmp_path):
    root = testing.make_corpus("csed", tmp_path / "raw")
    out = prepare({"csed": root}, tmp_path / "out", progress=False).out_dir
    before = digest_tree(out, "**/*")
    write_undecodable_wav(root / "Training Data (wav)" / "Natural" / "Nat_Male-999.wav")
    with pytest.raises(BadFileError):
        prepare({"csed": root}, out, overwrite=True, progress=False)
    assert digest_tree(out, "**/*") == before
    assert not out.with_name(out.name + PARTIAL_SUFFIX).exists()
    assert check(out)["problems"] == []


def test_the_output_help_says_what_the_command_does_with_an_existing_folder(tmp_path, capsys):
    """`prepare --help` said "--output ... (must not exist)" beside --overwrite, which replaces one."""
    with pytest.raises(SystemExit):
        bimotion_main(["prepare", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "must not exist, unless it is an earlier prepared dataset and --overwrite is given" in help_text
    assert "(must not exist)" not in help_text
    root = testing.make_corpus("csed", tmp_path / "raw")
    argv = ["prepare", "--source", f"csed={root}", "-q", "--output"]
    (tmp_path / "empty").mkdir()  # a folder that exists and is no prepared dataset: refused, --overwrite or not
    assert bimotion_main([*argv, str(tmp_path / "empty"), "--overwrite"]) == 2
    assert "exists and is not a prepared dataset" in capsys.readouterr().err
    assert bimotion_main([*argv, str(tmp_path / "out")]) == 0
    assert bimotion_main([*argv, str(tmp_path / "out")]) == 2  # an earlier prepared dataset: with --overwrite only
    assert "pass --overwrite" in capsys.readouterr().err
    assert bimotion_main([*argv, str(tmp_path / "out"), "--overwrite"]) == 0


def test_overwrite_refuses_a_folder_holding_what_prepare_did_not_write(tmp_path, capsys):
    """A Hub clone's .git or a user's notes in the prepared folder were deleted by --overwrite."""
    root = testing.make_corpus("csed", tmp_path / "raw")
    out = prepare({"csed": root}, tmp_path / "out", progress=False).out_dir
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "NOTES.md").write_text("recorded in 2019\n")
    (out / "data" / "csed" / "stats.txt").write_text("mine\n")
    (out / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # Finder's: no one's work, not named
    before = digest_tree(out, "**/*")
    argv = ["prepare", "--source", f"csed={root}", "--output", str(out), "--overwrite", "-q"]
    assert bimotion_main(argv) == 2
    err = capsys.readouterr().err
    assert "holds what prepare did not write (.git, NOTES.md, data/csed/stats.txt)" in err, err
    assert digest_tree(out, "**/*") == before and (out / ".git" / "HEAD").is_file()
    for path in (out / "NOTES.md", out / "data" / "csed" / "stats.txt", out / ".git" / "HEAD"):
        path.unlink()
    (out / ".git").rmdir()
    assert bimotion_main(argv) == 0  # its own files alone: replaced


def test_a_killed_run_leaves_nothing_that_loads(tmp_path):
    root = testing.make_corpus("csed", tmp_path / "raw", size="full")
    out = tmp_path / "out"
    stage = out.with_name(out.name + PARTIAL_SUFFIX)
    cmd = [
        sys.executable,
        "-m",
        "bimotion.cli",
        "prepare",
        "--source",
        f"csed={root}",
        "--output",
        str(out),
        "-q",
        "--num-proc",
        "1",
        "--rows-per-file",
        "20",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(stage.rglob("*.parquet.tmp")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "prepare finished before it could be killed"
    assert not out.exists()
    assert not (stage / "README.md").exists() and not list(stage.rglob("*.parquet"))
    import datasets

    with pytest.raises(Exception):  # noqa: B017  (no data file datasets recognises)
        datasets.load_dataset(str(stage), cache_dir=str(tmp_path / "cache"))
    # the next run clears the leftovers and succeeds
    assert prepare({"csed": root}, out, progress=False, num_proc=2).info["shards"]
    assert not stage.exists()


def test_a_folder_prepared_again_with_other_data_is_not_read_from_a_stale_cache(tmp_path):
    import pyarrow.parquet as pq

    from bimotion import load

    out = tmp_path / "bimotion"
    root = testing.make_corpus("csed", tmp_path / "raw", size="full")
    prepare({"csed": root}, out, progress=False, seed=0)
    first = sorted(load(out, "zho_eld", "test")["id"])
    prepare({"csed": root}, out, progress=False, seed=1, overwrite=True)  # same folder, another draw
    second = sorted(load(out, "zho_eld", "test")["id"])
    on_disk = sorted(
        i for f in (out / "data").rglob("test-*.parquet") for i in pq.read_table(f, columns=["id"])["id"].to_pylist()
    )
    assert second == on_disk and second != first


def test_identical_recordings_are_found_kept_in_one_split_noted_and_carded(tmp_path, capsys):
    """Two CSED files with the same samples behind different headers (16-bit PCM and float WAV) and
    different labels: found, kept in one split, noted by prepare, named in the card; check passes."""
    import soundfile

    root = testing.make_corpus("csed", tmp_path / "raw", scale=4)
    positives, negatives = sorted(root.rglob("Pos_*.wav")), sorted(root.rglob("Neg_*.wav"))
    pairs = list(zip(positives[:6], negatives[:6]))
    for source, copy in pairs:
        samples, rate = soundfile.read(source, dtype="float32")
        soundfile.write(copy, samples, rate, subtype="FLOAT")
    out = tmp_path / "out"
    assert bimotion_main(["prepare", "--source", f"csed={root}", "--output", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    info = read_info(out)
    assert info["identical_audio"]["csed"]["sets"] == info["identical_audio"]["csed"]["labelled_differently"] == 6
    assert "note: csed holds 6 set(s) of identical audio (12 clips): each set is kept in one split" in printed
    rows = {}
    for path in (out / "data").rglob("*.parquet"):
        import pyarrow.parquet as pq

        for row_id in pq.read_table(path, columns=["id"]).column("id").to_pylist():
            rows[row_id] = path.name.split("-")[0]
    ids = {p: f"csed/{p.parent.name}/{p.stem}" for pair in pairs for p in pair}
    assert all(rows[ids[a]] == rows[ids[b]] for a, b in pairs)
    assert "**Identical audio in csed:** 6 set(s)" in (out / "README.md").read_text()
    assert check(out)["problems"] == []


def test_the_card_counts_distinct_speakers_per_group(tmp_path):
    """Under the speaker protocol each split holds other speakers: the card's speaker count is the
    group's distinct speakers, not the largest split's."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", language="ind", age_groups=("eld",), speakers=6)
    result = prepare({"carehome": root}, tmp_path / "out", protocol="speaker", progress=False)
    assert result.info["speakers"] == {"carehome/ind_eld": 6}
    assert max(s["speakers"] for s in result.info["shards"]) < 6
    # only a user's corpus: the card and the summary are about it, not about BiMotion's absent groups
    from bimotion.commands.prepare_notes import summary

    printed = summary(result.info)
    assert "is absent" not in printed and "only your own corpora were given" in printed
    text = (result.out_dir / "README.md").read_text()
    assert text.split("\n# ", 1)[1].startswith("carehome: speech emotion recognition data")
    assert "partial preparation" not in text and "Not prepared" not in text and "Partial groups" not in text
    card = (result.out_dir / "README.md").read_text().splitlines()
    row = next(line for line in card if line.startswith("| carehome |"))
    assert row.endswith("| 6 |"), row
    # its metadata names it, not BiMotion; a union config lists only the groups it holds
    from huggingface_hub import DatasetCard

    data = DatasetCard.load(result.out_dir / "README.md").data
    assert data.pretty_name == "carehome" and "cross-lingual" not in data.tags and "elderly" in data.tags
    assert data.language == ["id"]  # the Hub's two-letter code for Indonesian (ind)
    assert next(line for line in card if line.startswith("| `eld` |")).startswith("| `eld` | ind_eld | carehome |")
    assert "### The benchmark" not in text


def test_identical_audio_ignores_silence_and_hashes_other_formats_by_their_bytes(tmp_path):
    """Two equal silences are no twins (both are refused when stored); an MP4 is compared by its
    bytes (FFmpeg decoding every candidate would take minutes on ElderReact)."""
    import dataclasses

    import soundfile

    from loaders.identical import identical_audio

    rng = np.random.default_rng(0)
    voice = (0.1 * rng.standard_normal(8000)).astype(np.float32)
    files = {"a": voice, "b": voice, "quiet1": np.zeros(8000), "quiet2": np.zeros(8000)}
    for name, samples in files.items():
        soundfile.write(tmp_path / f"{name}.wav", samples, 16000, subtype="PCM_16")
    (tmp_path / "c.mp4").write_bytes(b"\0\0\0\x18ftypM4A " + bytes(64))
    (tmp_path / "d.mp4").write_bytes((tmp_path / "c.mp4").read_bytes())
    template = loaders.Utterance(
        id="x", corpus="mine", path="", language="ind", age_group="eld", emotions=("anger",),
        label_space=("anger",), duration_s=0.5, sample_rate_hz=16000,
    )  # fmt: skip
    records = [dataclasses.replace(template, id=f"mine/{n}", path=str(tmp_path / f"{n}.wav")) for n in files]
    records += [dataclasses.replace(template, id=f"mine/{n}", path=str(tmp_path / f"{n}.mp4")) for n in "cd"]
    assert identical_audio(records) == [("mine/a", "mine/b"), ("mine/c", "mine/d")]
    # a 6-channel copy of a mono clip (every channel the same) is the same audio; a real stereo mix is not
    soundfile.write(tmp_path / "a6.wav", np.stack([voice] * 6, 1), 16000, subtype="PCM_16")
    soundfile.write(tmp_path / "ab2.wav", np.stack([voice, -voice], 1), 16000, subtype="PCM_16")
    records += [
        dataclasses.replace(template, id=f"mine/{n}", path=str(tmp_path / f"{n}.wav"), num_channels=k)
        for n, k in (("a6", 6), ("ab2", 2))
    ]
    assert identical_audio(records) == [("mine/a", "mine/a6", "mine/b"), ("mine/c", "mine/d")]


@pytest.mark.skipif("MP3" not in __import__("soundfile").available_formats(), reason="needs MP3")
def test_mp3s_that_libsndfile_reads_in_part_are_compared_whole(tmp_path):
    """Two joined MP3s that begin with the same recording (the same prompt, then each speaker's
    answer) are not the same audio: libsndfile reads only the first part's length of each, and
    their digests of those samples were equal, so they were twins kept in one split."""
    import dataclasses
    import io

    import soundfile

    from loaders.audio import probe
    from loaders.identical import identical_audio

    def mp3(seconds: float, hz: float) -> bytes:
        t = np.arange(int(16000 * seconds)) / 16000
        buffer = io.BytesIO()
        soundfile.write(buffer, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), 16000, format="MP3")
        return buffer.getvalue()

    prompt = mp3(1.0, 220)
    (tmp_path / "a.mp3").write_bytes(prompt + mp3(2.0, 330))
    (tmp_path / "b.mp3").write_bytes(prompt + mp3(2.0, 440))
    (tmp_path / "c.mp3").write_bytes((tmp_path / "a.mp3").read_bytes())  # a true copy
    info = probe(tmp_path / "a.mp3")
    assert info.num_frames == probe(tmp_path / "b.mp3").num_frames > 2 * soundfile.info(str(tmp_path / "a.mp3")).frames
    template = loaders.Utterance(
        id="x", corpus="mine", path="", language="ind", age_group="eld", emotions=("anger",),
        label_space=("anger",), duration_s=round(info.duration_s, 6), sample_rate_hz=16000,
    )  # fmt: skip
    records = [dataclasses.replace(template, id=f"mine/{n}", path=str(tmp_path / f"{n}.mp3")) for n in "abc"]
    assert identical_audio(records) == [("mine/a", "mine/c")]


def test_a_split_whose_train_and_test_share_no_gender_is_noted():
    """Three speakers split by speaker can leave train all male and test all female: the summary
    and the card say that scores there mix gender with emotion."""
    from bimotion.card_caveats import gender_gaps
    from bimotion.commands.prepare_notes import summary

    shard = {"corpus": "carehome", "group": "ind_eld", "rows": 4, "duration_s": 4.0, "speakers": 1, "emotions": {}}
    info = {
        "shards": [
            {**shard, "split": "train", "genders": {"m": 4}},
            {**shard, "split": "validation", "genders": {"f": 4}},
            {**shard, "split": "test", "genders": {"f": 4}},
        ]
    }
    assert gender_gaps(info) == [
        "carehome ind_eld: its train split holds only men and its validation split only women (too few speakers to "
        "balance gender): validation scores there mix gender with emotion",
        "carehome ind_eld: its train split holds only men and its test split only women (too few speakers to "
        "balance gender): test scores there mix gender with emotion",
    ]
    printed = summary({**info, "benchmark": "bimotion", "protocol": "speaker", "seed": 0, "corpora": [], "groups": {}})
    assert f"note: {gender_gaps(info)[0]}" in printed.splitlines()
    info["shards"][0]["genders"] = {"m": 3, "f": 1}
    assert gender_gaps(info) == []
    del info["shards"][1]  # two speakers: no validation rows, said with what training on the group needs
    printed = summary({**info, "benchmark": "bimotion", "protocol": "speaker", "seed": 0, "corpora": [], "groups": {}})
    assert (
        "note: group ind_eld has no validation rows (too few speakers to fill every split): training on it needs "
        "--validation_configs naming other groups"
    ) in printed.splitlines()
    printed = summary(
        {**info, "benchmark": "bimotion", "protocol": "speaker", "seed": 0, "corpora": ["tess"], "groups": {}}
    )
    assert (
        "note: tess is not speaker-independent: it has one speaker per group (OAF elderly, YAF adult), in every split"
        in printed
    )


def test_a_group_of_enough_speakers_drawn_together_by_shared_audio_is_not_said_to_have_too_few_speakers():
    """8 speakers, 7 of them sharing copies of recordings, were drawn as 2 units (train and test): the summary
    said 'group ind_eld has no validation rows (too few speakers to fill every split)' of a group of 8 speakers.
    Where the group's corpus holds identical audio and has speakers enough for every split, it now says how many
    speakers there are and that those sharing identical audio are drawn together; a group of 2 speakers as before."""
    from bimotion.commands.prepare_notes import summary

    shard = {"corpus": "carehome", "group": "ind_eld", "rows": 12, "duration_s": 12.0, "emotions": {}, "genders": {}}
    info = {"shards": [{**shard, "split": "train", "speakers": 7}, {**shard, "split": "test", "speakers": 1}],
            "speakers": {"carehome/ind_eld": 8}, "benchmark": "bimotion", "protocol": "speaker", "seed": 0,
            "corpora": [], "groups": {}}  # fmt: skip
    copies = {"sets": 6, "clips": 12, "split_apart": 0, "labelled_differently": 0, "listed": {}}
    lines = summary({**info, "identical_audio": {"carehome": copies}}).splitlines()
    assert (
        "note: group ind_eld has no validation rows (its 8 speakers, those sharing identical audio drawn together "
        "as one, are too few to fill every split): training on it needs --validation_configs naming other groups"
    ) in lines, lines
    lines = summary({**info, "speakers": {"carehome/ind_eld": 2}, "identical_audio": {"carehome": copies}})
    assert "(too few speakers to fill every split)" in lines and "drawn together" not in lines, lines
    assert "(too few speakers to fill every split)" in summary(info), summary(info)  # no copies: as before


def test_a_group_whose_own_split_column_gives_no_validation_rows_is_said_so_not_too_few_speakers():
    """A corpus of one's own whose `split` column gave no validation rows (4 speakers, one of them with a
    recording filed twice) was said to have 'no validation rows (its 4 speakers, those sharing identical audio
    drawn together as one, are too few to fill every split)', and without copies '(too few speakers to fill
    every split)': prepare drew nothing there, the column put no row in validation.  It now says so."""
    from bimotion.commands.prepare_notes import summary

    shard = {"corpus": "carehome", "group": "ind_eld", "rows": 8, "duration_s": 8.0, "emotions": {}, "genders": {}}
    info = {"shards": [{**shard, "split": "train", "speakers": 4}, {**shard, "split": "test", "speakers": 4}],
            "speakers": {"carehome/ind_eld": 4}, "benchmark": "bimotion", "protocol": "paper", "seed": 0,
            "corpora": [], "groups": {}, "user_split_columns": ["carehome"]}  # fmt: skip
    copies = {"sets": 1, "clips": 2, "split_apart": 0, "labelled_differently": 0, "listed": {}}
    for given in (info, {**info, "identical_audio": {"carehome": copies}}):
        assert (
            "note: group ind_eld has no validation rows (carehome's own split column puts none there): training on it "
            "needs --validation_configs naming other groups"
        ) in summary(given).splitlines(), summary(given)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"protocol": "bogus"}, ValueError, "unknown split protocol 'bogus'; choose one of: paper, speaker"),
        ({"benchmark": "bimotoin"}, ValueError, "unknown benchmark 'bimotoin'; choose one of: bimotion, yuemotion"),
        ({"sources": "/data/CSED"}, TypeError, "sources must map corpus names to folders"),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0"),
        ({"num_proc": 0}, ValueError, "num_proc must be a positive integer"),
    ],
)
def test_bad_prepare_arguments_are_named_before_any_corpus_is_read(tmp_path, kwargs, error, message):
    """They were found after the scan (minutes on ESD or IEMOCAP), or as a KeyError or an unrelated
    error; the source here does not exist, so any read would fail first."""
    from bimotion.prepare import prepare

    arguments = {"sources": {"csed": str(tmp_path / "no-such-corpus")}, **kwargs}
    with pytest.raises(error, match=message):
        prepare(arguments.pop("sources"), tmp_path / "out", **arguments)
    assert not (tmp_path / "out").exists()


def test_a_negative_seed_on_the_command_line_is_a_usage_error_naming_the_flag(tmp_path, capsys):
    from bimotion.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["prepare", "--source", f"csed={tmp_path}", "--output", str(tmp_path / "out"), "--seed", "-1"])
    assert exit_.value.code == 2
    assert "argument --seed: must be a whole number >= 0, not '-1'" in capsys.readouterr().err


def test_more_processes_than_cores_are_capped_with_a_warning(tmp_path, capsys, monkeypatch):
    """--num-proc 1000 on 2 cores ran 1000 workers (17 s instead of 3 s for CSED): now 2, and a warning says so."""
    import bimotion.prepare
    from bimotion.cli import main
    from bimotion.commands import prepare as command

    used = []

    def fake_prepare(sources, out, *, num_proc, **_):
        used.append(num_proc)
        raise ValueError("stop here")  # the command's one error line; nothing is read

    monkeypatch.setattr(command, "available_cores", lambda: 2)
    monkeypatch.setattr(bimotion.prepare, "prepare", fake_prepare)
    argv = ["prepare", "--source", f"csed={tmp_path}", "--output", str(tmp_path / "out"), "-q"]
    assert main([*argv, "--num-proc", "1000"]) == 2
    assert used == [2]
    assert "warning: --num-proc 1000 is more than the 2 available cores; using 2" in capsys.readouterr().err
    assert main([*argv, "--num-proc", "2"]) == 2
    assert used == [2, 2] and "warning" not in capsys.readouterr().err


def test_a_large_set_of_identical_clips_is_one_short_example():
    """Full-size ESD holds a set of ~200 identical clips: its note printed every id on one line.  Split
    apart (by the release's split), it is a warning now, naming one pair of them."""
    import warnings

    from bimotion.prepare.info import warn_split_apart

    ids = [f"esd/0011_{i:06d}" for i in range(200)]
    summary = {"esd": {"sets": 1, "clips": 200, "split_apart": 1, "labelled_differently": 0,
                       "listed": {"split_apart": [ids], "labelled_differently": []}}}  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_split_apart(summary, {i: "test" if i.endswith("9") else "train" for i in ids})
    (line,) = (str(w.message) for w in caught)
    assert "e.g. esd/0011_000000 (train) and esd/0011_000009 (test): " in line and len(line) < 500  # not 200 ids
