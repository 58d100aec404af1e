"""Your own group: `bimotion prepare` with built-in corpora plus users' audiofolder corpora in new
languages makes configurations for the new groups (and the unions over them), which plain
`datasets.load_dataset` reads in a fresh process; the registry extension is rebuilt from
prepare.json; the raw folders stay byte-identical."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import loaders
from bimotion import splits
from bimotion.cli import main as bimotion_main
from bimotion.data.layout import config_files, read_info
from bimotion.registry import BIMOTION, Group, benchmark_of, extend, unions
from bimotion.splits.by_unit import _favour_train
from loaders import SOURCES, SourceInfo, testing

BUILT_IN = BIMOTION.corpora  # every BiMotion corpus (small fixtures), as a user would prepare them


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("raw")
    out = {name: testing.make_corpus(name, base / name) for name in BUILT_IN}
    # Indonesian elderly and adults, csv, label_map.json beside the metadata, multi-label rows
    out["carehome"] = testing.make_corpus(
        "audiofolder",
        base / "ind",
        language="ind",
        age_groups=("eld", "adu"),
        multi_label=True,
        speakers=4,
        clips_per_speaker=3,
    )
    # Hokkien adults, jsonl with a split column, its label map given on the command line
    out["nanhome"] = testing.make_corpus(
        "audiofolder",
        base / "nan",
        corpus="nanhome",
        language="nan",
        age_groups=("adu",),
        metadata="jsonl",
        split_column=True,
        label_map_in_folder=False,
        speakers=3,
        clips_per_speaker=2,
    )
    return out


@pytest.fixture(scope="module")
def prepared(raw, tmp_path_factory) -> Path:
    before = {name: testing.digest(root) for name, root in raw.items()}
    label_map = tmp_path_factory.mktemp("maps") / "nan.json"
    label_map.write_text(json.dumps({"senang": "happiness", "marah": "anger", "sedih": "sadness", "netral": "neutral"}))
    out = tmp_path_factory.mktemp("prepared") / "mine"
    args = ["prepare", "-q", "--output", str(out), "--protocol", "speaker", "--num-proc", "2"]
    args += [f"--source={name}={root}" for name, root in raw.items()]
    args += [f"--label-map=nanhome={label_map}", "--license=nanhome=CC-BY-4.0"]
    assert bimotion_main(args) == 0
    assert {name: testing.digest(root) for name, root in raw.items()} == before  # nothing written below a root
    return out


def test_new_groups_become_configurations_with_the_unions_that_make_sense(prepared):
    info = read_info(prepared)
    files = config_files(info)
    assert info["corpora"] == [*BIMOTION.corpora, "carehome", "nanhome"]
    for config in ("ind_eld", "ind_adu", "nan_adu", "ind", "carehome", "nanhome", "eld", "adu", "all"):
        assert set(files[config]) == {"train", "validation", "test"}, config
    bench = benchmark_of(info)
    assert bench.config("eld").groups == ("eng_eld", "zho_eld", "ind_eld")
    assert bench.config("adu").groups == ("eng_adu", "zho_adu", "ind_adu", "nan_adu")
    assert "nan" not in files  # one group only: its union would repeat nan_adu
    assert info["licenses"]["nanhome"] == "CC-BY-4.0" and info["licenses"]["carehome"] == "cc-by-4.0"
    assert info["groups"]["ind_eld"] == {"corpora": ["carehome"], "missing": [], "status": "complete"}
    card = (prepared / "README.md").read_text(encoding="utf-8")
    for text in (
        "config_name: ind_eld",
        "Indonesian",
        "Hokkien",
        "**carehome** is a user's own corpus",
        "senang -> happiness",
        "### nanhome",
        "Licence: CC-BY-4.0",
    ):
        assert text in card, text


def test_a_fresh_process_loads_the_new_groups_with_plain_datasets(prepared):
    script = (
        "import json, sys, datasets\n"
        "out = {}\n"
        "for config in ('ind_eld', 'eld', 'nanhome'):\n"
        "    dd = datasets.load_dataset(sys.argv[1], config)\n"
        "    f = dd['train'].features\n"
        "    out[config] = {s: [len(d), sorted({f['corpus'].int2str(c) for c in d['corpus']}),\n"
        "                       sorted({f['group'].int2str(g) for g in d['group']})] for s, d in dd.items()}\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(prepared)], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    info = read_info(prepared)
    expected = defaultdict(lambda: defaultdict(lambda: [0, set(), set()]))
    for shard in info["shards"]:
        for config, groups in (("ind_eld", {"ind_eld"}), ("eld", set(benchmark_of(info).config("eld").groups))):
            if shard["group"] in groups:
                cell = expected[config][shard["split"]]
                cell[0] += shard["rows"]
                cell[1].add(shard["corpus"])
                cell[2].add(shard["group"])
    for config, per_split in expected.items():
        assert loaded[config] == {s: [n, sorted(c), sorted(g)] for s, (n, c, g) in per_split.items()}, config
    assert sum(n for n, _, _ in loaded["nanhome"].values()) == 6


def test_user_corpora_are_split_by_their_split_column_else_by_speaker(prepared, raw):
    import datasets

    rows = defaultdict(set)
    for split in ("train", "validation", "test"):
        part = datasets.load_dataset(str(prepared), "all", split=split)
        for corpus, speaker in zip(part["corpus"], part["speaker_id"], strict=True):
            rows[(part.features["corpus"].int2str(corpus), speaker)].add(split)
    carehome = {speaker: s for (corpus, speaker), s in rows.items() if corpus == "carehome"}
    assert len(carehome) == 8 and all(len(s) == 1 for s in carehome.values())  # speaker-independent
    nanhome = {speaker: s for (corpus, speaker), s in rows.items() if corpus == "nanhome"}
    assert nanhome == {"nan-adu-s0": {"train"}, "nan-adu-s1": {"validation"}, "nan-adu-s2": {"test"}}  # its column
    assert "split` column" in splits.describe("speaker", ["nanhome"])["nanhome"]


def test_a_user_split_is_deterministic_and_needs_speakers_or_a_split_column(raw):
    records = loaders.load("carehome", raw["carehome"])
    split_of = splits.assign_splits(records, "paper", seed=3, identical=())
    assert split_of == splits.assign_splits(list(reversed(records)), "paper", seed=3, identical=())
    assert split_of == splits.assign_splits(records, "speaker", seed=3, identical=())  # one rule under both protocols
    broken = [dataclasses.replace(r, speaker_id=None) if i == 0 else r for i, r in enumerate(records)]
    with pytest.raises(ValueError, match=rf"has no speaker_id \(1 of {len(records)} rows.*fill in the speaker_id of"):
        splits.assign_splits(broken, "speaker", identical=())  # an empty cell: the column is there
    broken = [dataclasses.replace(r, speaker_id=None) for r in records]
    with pytest.raises(ValueError, match="has no speaker_id.*add a speaker_id \\(or a split\\) column"):
        splits.assign_splits(broken, "speaker", identical=())


def test_an_own_corpus_with_an_18_year_old_states_its_adults_band_from_18(tmp_path):
    """A corpus of one's own may give ages from 18, and 18 and 19 are adults by the one rule (under 60),
    yet its dataset card's Statistics, a model card's age groups and its configuration's description
    said "adults (20-59)" of a group holding an 18-year-old.  They say "adults (18-59)" now; the seven
    corpora's bands stay the paper's (their adults are 20 or older)."""
    from bimotion.training.card_claims import trained_ages

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, age_groups=("adu",))
    metadata = root / "metadata.csv"
    text = metadata.read_text(encoding="utf-8")
    assert ",24,," in text  # the fixture's youngest adult
    metadata.write_text(text.replace(",24,,", ",18,,"), encoding="utf-8")
    assert bimotion_main(["prepare", "-q", "--source", f"home={root}", "--output", str(tmp_path / "out")]) == 0
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "| home | Indonesian | adults (18-59) |" in card and "20-59" not in card
    assert {r.age for r in loaders.load("home", root) if r.age is not None} >= {18.0}
    bench = benchmark_of(read_info(tmp_path / "out"))
    assert bench.configs["ind_adu"].description == "Indonesian adults (18-59): home"
    summary = {"train_configs": ["eng_adu"], "train_corpora": ["crema_d"], "train_groups": ["eng_adu"]}
    assert trained_ages(summary) == "adults (20-59)"


def test_groups_come_from_data_and_the_registry_stays():
    assert (
        Group.parse("ind_eld") == Group("ind", "eld") and Group("ind", "eld").description == "Indonesian elderly (60+)"
    )
    assert Group("xyz", "adu").description == "language 'xyz' adults (20-59)"
    assert unions(BIMOTION.groups) == BIMOTION.unions  # the derived unions are the paper's for its groups
    mine = SourceInfo("mine", "mine", ("yue",), ("eld",), 3, "unknown", "", "", "", groups=("yue_eld",))
    SOURCES["mine"] = mine  # what loaders.register_source does when a reader reads it
    try:
        bench = extend(BIMOTION, [mine])
        assert bench.groups[-1] == "yue_eld" and bench.corpora_of("yue_eld") == ("mine",)
        assert BIMOTION.groups == ("eng_eld", "eng_adu", "zho_eld", "zho_adu")  # untouched
        with pytest.raises(ValueError, match="'eld' is also the name of a bimotion group or union"):
            extend(BIMOTION, [SourceInfo("eld", "x", ("yue",), ("eld",), 1, "", "", "", "", groups=("yue_eld",))])
    finally:
        del SOURCES["mine"]


def test_check_verifies_a_user_corpus_split_by_speaker_and_allows_its_own_split_column(prepared, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bimotion.verify import verify
    from bimotion.verify_report import format_result

    result = verify(prepared, hash_audio=False)
    lines = {line.split()[0]: line for line in format_result(result).splitlines() if line.startswith("  ")}
    assert result["overlap"]["carehome"]["unit"] == "speaker" and result["overlap"]["carehome"]["shared_units"] == []
    assert lines["carehome"].split(None, 1)[1] == "0 of 8 speakers shared (speaker-independent: OK)"  # said once
    assert "nanhome's own split column" in lines["nanhome"] and "unit" not in result["overlap"]["nanhome"]
    # a speaker moved into a second split (a tampered or mis-made folder) is a problem, not "allowed"
    leaky = Path(shutil.copytree(prepared, tmp_path / "leaky"))
    info = json.loads((leaky / "prepare.json").read_text())
    shards = {s["split"]: s for s in info["shards"] if s["corpus"] == "carehome" and s["group"] == "ind_eld"}
    train_speaker = pq.read_table(leaky / shards["train"]["files"][0]).column("speaker_id")[0].as_py()
    test_file = leaky / shards["test"]["files"][0]
    table = pq.read_table(test_file)
    speakers = pa.array([train_speaker] * table.num_rows, table.schema.field("speaker_id").type)
    from bimotion.training.testing import rewrite_parquet

    rewrite_parquet(
        leaky, test_file, table.set_column(table.schema.get_field_index("speaker_id"), "speaker_id", speakers)
    )
    result = verify(leaky, hash_audio=False)
    assert result["overlap"]["carehome"]["shared_units"] == [train_speaker]
    assert any("carehome" in p and train_speaker in p for p in result["problems"])


def test_the_card_title_names_the_users_corpora_and_the_languages_held(prepared):
    title = next(line for line in (prepared / "README.md").read_text().splitlines() if line.startswith("# "))
    assert title.startswith("# bimotion with carehome and nanhome: speech emotion recognition data (English, ")
    assert "Indonesian" in title and "Hokkien" in title


def test_a_language_beyond_bimotions_few_is_named_and_coded_from_the_shipped_table(tmp_path):
    """SIL's ISO 639-3 table ships with loaders (the metadata check names 'Swedish' from it), yet a Swedish
    corpus's card said ``language: swe`` (the Hub's code is ``sv``; the optional iso639-lang package,
    declared nowhere, was the only other source), "language 'swe'" in its title and table of corpora,
    and "swe elderly" in the heat map and advice.  Names and Hub codes now come from that table."""
    from huggingface_hub import DatasetCard

    from bimotion.card_metadata import hub_language
    from bimotion.group_names import group_name

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="sverige", language="swe")
    out = tmp_path / "out"
    assert bimotion_main(["prepare", "-q", "--source", f"sverige={root}", "--output", str(out)]) == 0
    card = DatasetCard.load(out / "README.md")
    assert "sv" in card.data.language and "swe" not in card.data.language
    assert (
        "speech emotion recognition data (Swedish)" in card.text
        and "| sverige | Swedish | elderly (60+) |" in card.text
    )
    assert "language 'swe'" not in card.text
    assert group_name("swe_eld") == "Swedish elderly" and hub_language("zsm") == "ms"  # the Hub's Malay
    assert group_name("xyz_eld") == "xyz elderly" and Group("xyz", "eld").description == "language 'xyz' elderly (60+)"


def test_a_fresh_process_trains_on_a_user_group_from_python(prepared):
    """``TrainSpec.from_values`` registers the local prepared folders it is given, as the recipes do:
    a user corpus's group resolves from Python (it was a KeyError), and an unknown one says how, in a Python
    caller's words (it named --bimotion DIR, a flag of the recipes)."""
    script = (
        "import sys\n"
        "from bimotion.training.spec import TrainSpec\n"
        "try:\n"
        "    TrainSpec.from_values('ind_eld', {})\n"
        "except KeyError as err:\n"
        "    print(err.args[0].split(';')[0])\n"
        "spec = TrainSpec.from_values('ind_eld', {'bimotion': sys.argv[1]})\n"
        "print(spec.train.groups)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", script, str(prepared)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    hint, groups = proc.stdout.strip().splitlines()
    assert hint == (
        "config 'ind_eld' is unknown (a group of your own corpus is known once its prepared folder is given: "
        "TrainSpec.from_values(..., {'bimotion': DIR}) (or 'yuemotion') registers it, as does "
        "register(benchmark_of(read_info(DIR))) (bimotion.registry, bimotion.data.layout))"
    )
    assert groups == "('ind_eld',)"


def test_a_cantonese_corpus_joins_yuemotion_not_bimotion_where_its_groups_would_mean_two_datasets(
    tmp_path, capsys, monkeypatch
):
    """A user's Cantonese corpus prepared into BiMotion made `yue_eld` a group of both benchmarks:
    training and advice then failed with "config 'yue_eld' is ambiguous (did you mean 'yue_eld'?)".
    prepare refuses it, saying where it belongs; `yuemotion prepare` takes it, with or without the
    release, and its yue_eld holds both corpora."""
    from bimotion import registry
    from yuemotion.cli import main as yuemotion_main

    canto = testing.make_corpus("audiofolder", tmp_path / "raw" / "canto", corpus="canto", language="yue",
                                speakers=4, clips_per_speaker=3)  # fmt: skip
    release = testing.make_corpus("yuemotion", tmp_path / "raw")
    before = testing.digest(canto)
    assert bimotion_main(["prepare", "-q", "--source", f"canto={canto}", "--output", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "canto's group yue_eld is yuemotion's: prepare canto into yuemotion" in err
    assert (
        f"`yuemotion prepare --source canto={canto} --output {tmp_path / 'b'}`" in err and not (tmp_path / "b").exists()
    )

    out = tmp_path / "y"
    argv = ["prepare", "-q", "--source", str(release), "--source", f"canto={canto}", "--output", str(out)]
    assert yuemotion_main(argv) == 0
    info = read_info(out)
    assert info["benchmark"] == "yuemotion" and info["corpora"] == ["yuemotion", "canto"]
    assert set(config_files(info)) >= {"yue_eld", "yue_adu", "canto"}
    monkeypatch.setitem(registry.BENCHMARKS, "yuemotion", registry.BENCHMARKS["yuemotion"])  # restored after
    registry.register(benchmark_of(info))
    from bimotion.mixture import parse_mixture

    assert {s.corpus for s in parse_mixture("yue_eld").shards} == {"yuemotion", "canto"}
    assert {s.corpus for s in parse_mixture("yue_eld[canto]").shards} == {"canto"}
    capsys.readouterr()
    assert yuemotion_main(["prepare", "-q", "--source", f"canto={canto}", "--output", str(tmp_path / "own")]) == 0
    assert re.search(r"^canto +yue_eld +\d+ +\d+ +\d+ +<0\.01$", capsys.readouterr().out, re.M)  # was 0.00: none?
    assert read_info(tmp_path / "own")["corpora"] == ["canto"]
    assert testing.digest(canto) == before
    # a corpus named like a configuration of the other benchmark (BiMotion's eld) made that name mean two
    eld = testing.make_corpus("audiofolder", tmp_path / "raw" / "eld", corpus="eld", language="yue")
    assert yuemotion_main(["prepare", "-q", "--source", f"eld={eld}", "--output", str(tmp_path / "eld")]) == 2
    assert "corpus name 'eld' is also the name of a bimotion configuration" in capsys.readouterr().err

    # a folder prepared before the check: one name in two benchmarks is an error saying how to pick one
    monkeypatch.setitem(SOURCES, "canto_b", dataclasses.replace(SOURCES["canto"], name="canto_b"))
    both = extend(BIMOTION, [SOURCES["canto_b"]])
    monkeypatch.setitem(registry.BENCHMARKS, "bimotion", both)
    with pytest.raises(KeyError) as found:
        registry.find_config("yue_eld")
    message = found.value.args[0]
    assert message.startswith("config 'yue_eld' is in more than one benchmark: write which one, bimotion:yue_eld")
    assert "did you mean" not in message and "yuemotion:yue_eld (yuemotion, canto)" in message, message


def test_a_cantonese_corpus_refused_by_bimotion_prepare_is_given_the_command_with_its_own_folder(tmp_path, capsys):
    """`bimotion prepare --source carecanto=PATH` of a Cantonese corpus said to run `yuemotion prepare
    --source carecanto=DIR`, a literal DIR although the user gave the path (and not the --license given
    with it).  It now says the command with the folder and the options as given, quoted for the shell,
    and that command, pasted, prepares the corpus."""
    from yuemotion.cli import main as yuemotion_main

    canto = testing.make_corpus("audiofolder", tmp_path / "raw data" / "care canto", corpus="carecanto",
                                language="yue", speakers=4, clips_per_speaker=3)  # fmt: skip
    argv = ["prepare", "-q", "--source", f"carecanto={canto}", "--license", "carecanto=CC BY 4.0"]
    assert bimotion_main([*argv, "--output", str(tmp_path / "b"), "--skip-bad"]) == 2
    err = capsys.readouterr().err
    command = f"yuemotion prepare --source 'carecanto={canto}' --license 'carecanto=CC BY 4.0'"
    command += f" --output {tmp_path / 'b'} --skip-bad"  # the options given with it too
    assert f"prepare carecanto into yuemotion (`{command}`, beside the yuemotion corpora you have)" in err, err
    assert "=DIR" not in err and not (tmp_path / "b").exists()
    pasted = shlex.split(command)
    assert yuemotion_main([*pasted[1:], "-q"]) == 0
    assert read_info(tmp_path / "b")["corpora"] == ["carecanto"]


def test_a_cantonese_corpus_is_refused_by_bimotion_prepare_once_its_metadata_is_read_with_the_flags_given(
    tmp_path, capsys
):
    """`bimotion prepare --source carehome=DIR --skip-bad` of a care home's Cantonese corpus read every clip
    (writing OUT.failed.skipped.tsv of its bad ones) before it said the corpus belongs in YueMotion, and the
    command it gave dropped --output, --protocol, --seed and --skip-bad.  The refusal now comes once the
    metadata is read, no clip read, nothing written, and its command carries the options given."""
    canto = testing.make_corpus("audiofolder", tmp_path / "raw", language="yue", bad=True)
    before = testing.digest(canto)
    out = tmp_path / "b"
    options = ["--protocol", "speaker", "--seed", "3", "--skip-bad"]
    assert bimotion_main(["prepare", "-q", "--source", f"carehome={canto}", "--output", str(out), *options]) == 2
    err = capsys.readouterr().err
    command = f"yuemotion prepare --source carehome={canto} --output {out} --protocol speaker --seed 3 --skip-bad"
    assert f"prepare carehome into yuemotion (`{command}`, " in err, err
    assert "skipped" not in err and sorted(p.name for p in tmp_path.iterdir()) == ["raw"]
    assert testing.digest(canto) == before


def test_a_split_column_given_for_some_rows_only_says_how_to_fix_it(tmp_path, capsys):
    """It said "no official split although the protocol uses carehome's official split" and no fix; then it
    named the clip, not the metadata lines to fix."""
    import csv

    root = testing.make_corpus("audiofolder", tmp_path / "raw", split_column=True, metadata="csv")
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows[:2]:
        row["split"] = ""
    with open(root / "metadata.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert bimotion_main(["prepare", "-q", "--source", f"carehome={root}", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "metadata.csv line 2: no split, while 14 of 16 rows give one" in err and "give it a split (train" in err


def test_your_own_corpus_given_as_a_built_in_one_says_to_name_it(tmp_path, capsys):
    """`yuemotion prepare --source DIR` of a user's Cantonese corpus (the help reads "DIR | NAME=DIR") said
    its first clip's name "is not '<speaker>_<f|m><age>_...'; restore the original name from data.tar.bz2":
    advice to rename the user's own files; so did a built-in NAME for one's own corpus."""
    from yuemotion.cli import main as yuemotion_main

    canto = testing.make_corpus("audiofolder", tmp_path / "raw" / "canto", corpus="canto", language="yue")
    hint = f"it holds metadata.csv, as your own corpus does: give it a name of its own, --source mine={canto}"
    assert yuemotion_main(["prepare", "-q", "--source", str(canto), "--output", str(tmp_path / "y")]) == 2
    assert hint in capsys.readouterr().err
    out = ["--output", str(tmp_path / "m.jsonl")]
    for argv in (["--source", f"tess={canto}"], ["--skip-bad", "--source", f"csed={canto}"]):  # an error; nothing read
        assert bimotion_main(["scan", "-q", *argv, *out]) == 2
        assert hint in capsys.readouterr().err, argv
    release = testing.make_corpus("csed", tmp_path / "raw")
    with pytest.raises(loaders.BadFileError) as err:  # a stray clip in the real release: no such hint
        (release / "Training Data (wav)" / "stray.wav").write_bytes(next(canto.rglob("*.wav")).read_bytes())
        loaders.load("csed", release)
    assert "your own corpus" not in err.value.hint


def test_yuemotion_source_is_a_folder_or_name_equals_folder(tmp_path, monkeypatch):
    from yuemotion.commands.prepare import parse_yuemotion_source

    odd = tmp_path / "rel=2023"  # an existing folder whose name reads like NAME=DIR: the release
    odd.mkdir()
    monkeypatch.chdir(tmp_path)
    assert parse_yuemotion_source("rel=2023") == ("yuemotion", "rel=2023")
    assert parse_yuemotion_source(f"yuemotion={odd}") == ("yuemotion", str(odd))
    assert parse_yuemotion_source("~/YueMotion") == ("yuemotion", "~/YueMotion")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the M4A clips are written with ffmpeg")
def test_without_ffmpeg_prepare_names_the_clips_that_need_it_or_skips_them(tmp_path, capsys, monkeypatch):
    """prepare's check said "FFmpeg is needed to read audio from MP4 files (ElderReact)" and named no
    file of the user's corpus; with --skip-bad it stopped all the same."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", speakers=4, clips_per_speaker=2)
    metadata = (root / "metadata.csv").read_text(encoding="utf-8")
    wavs = sorted(root.rglob("*_000.wav"))
    for wav in wavs:  # each speaker's first clip as AAC in M4A, as a phone records it
        m4a = wav.with_suffix(".m4a")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
        wav.unlink()
        metadata = metadata.replace(wav.relative_to(root).as_posix(), m4a.relative_to(root).as_posix())
    (root / "metadata.csv").write_text(metadata, encoding="utf-8")
    m4as = [str(w.with_suffix(".m4a")) for w in wavs]
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    argv = ["prepare", "-q", "--source", f"carehome={root}"]
    assert bimotion_main([*argv, "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: FFmpeg is needed to decode 4 file(s): {', '.join(m4as[:3])} and 1 more (MP4/M4A audio, or MP3s "
        "that libsndfile reads only in part); `ffmpeg` is not on PATH: install it (Debian/Ubuntu: `apt-get install "
        "ffmpeg`, macOS: `brew install ffmpeg`, conda: `conda install ffmpeg`), or pass --skip-bad to skip those files\n"
    )
    assert not (tmp_path / "out").exists()
    assert bimotion_main([*argv, "-o", str(tmp_path / "out"), "--skip-bad"]) == 0
    out = capsys.readouterr().out
    assert "carehome  files seen 13, read 4, skipped 4 (needs_ffmpeg 4), other files (not audio) 5" in out, out
    assert sum(s["rows"] for s in read_info(tmp_path / "out")["shards"]) == 4
    skipped = (tmp_path / "out.skipped.tsv").read_text(encoding="utf-8")
    assert all(f"needs_ffmpeg\t{m4a}\tFFmpeg is needed to decode it (MP4/M4A audio)" in skipped for m4a in m4as)
    # every clip of the corpus needs it: skipping would leave nothing of it, which is an error
    for wav in root.rglob("*.wav"):
        wav.unlink()
    lines = metadata.splitlines(keepends=True)
    (root / "metadata.csv").write_text("".join([lines[0], *lines[1::2]]), encoding="utf-8")  # the M4A rows
    assert bimotion_main([*argv, "-o", str(tmp_path / "all"), "--skip-bad"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: carehome: every clip needs FFmpeg, so skipping them would leave nothing of it; "
                          "FFmpeg is needed to decode 4 file(s)") and "pass --skip-bad" not in err, err  # fmt: skip


def test_scan_says_what_split_prepare_could_not_draw_for_a_user_corpus(tmp_path, capsys):
    """scan read a corpus without speaker ids, or with one speaker, without a word; prepare then
    refused it, or gave its group no validation and test rows."""
    import csv

    one = testing.make_corpus("audiofolder", tmp_path / "one", speakers=1, clips_per_speaker=4)
    scan = ["scan", "-q", "--source", f"carehome={one}", "-o", str(tmp_path / "m.jsonl")]
    assert bimotion_main(scan) == 0
    notes = capsys.readouterr().err.splitlines()  # the generated corpus's synthetic note, this one, no levels
    assert notes[0].startswith("note: synthetic demo data: not comparable with the paper: carehome is generated")
    levels = notes.pop()
    assert levels.startswith("note: levels not measured: a scan reads each file's header"), levels
    assert "(of a corpus of your own it decodes only the clips that could be copies of one another" in levels
    assert notes[1:] == [
        "note: `bimotion prepare` would leave carehome's group ind_eld without validation or test rows (1 speaker: "
        "too few to fill every split by whole speakers); training on it would need other groups for those splits"
    ]
    assert bimotion_main(["prepare", "-q", "--source", f"carehome={one}", "-o", str(tmp_path / "out")]) == 0
    assert "group ind_eld has no validation or test rows" in capsys.readouterr().out  # what prepare then says
    with open(one / "metadata.csv", newline="", encoding="utf-8") as f:
        rows = [{k: v for k, v in row.items() if k != "speaker_id"} for row in csv.DictReader(f)]
    with open(one / "metadata.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert bimotion_main(scan) == 0
    err = capsys.readouterr().err
    assert "\nnote: `bimotion prepare` would refuse carehome: " in err and "has no speaker_id (4 of 4" in err
    assert "add a speaker_id (or a split) column in its metadata" in err
    assert bimotion_main(["prepare", "-q", "--source", f"carehome={one}", "-o", str(tmp_path / "no")]) == 2
    assert err.split("refuse carehome: ")[1].splitlines()[0] in capsys.readouterr().err  # prepare's own words
    # speakers enough: nothing to say
    many = testing.make_corpus("audiofolder", tmp_path / "many", speakers=4, clips_per_speaker=2)
    assert bimotion_main(["scan", "-q", "--source", f"carehome={many}", "-o", str(tmp_path / "m.jsonl")]) == 0
    assert "would" not in capsys.readouterr().err  # (only the generated corpus's synthetic note)


def test_the_speaker_protocol_says_when_a_users_own_split_column_shares_speakers(tmp_path, capsys):
    """Under --protocol speaker a user's split column is used as given (docs/corpora.md): one that put a
    speaker in train and test made a dataset called speaker-independent that was not, without a word."""
    import warnings

    from loaders.errors import ProtocolWarning

    root = testing.make_corpus("audiofolder", tmp_path / "raw", split_column=True, speakers=3, clips_per_speaker=2)
    records = loaders.load("carehome", root)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProtocolWarning)
        assert splits.assign_splits(records, "speaker", identical=()) == {r.id: r.official_split for r in records}
    moved = next(r for r in records if r.official_split == "train")
    records = [dataclasses.replace(r, official_split="test") if r is moved else r for r in records]
    with pytest.warns(ProtocolWarning, match=rf"carehome: the speaker protocol takes its own split column as given, "
                      rf"and that column puts 1 of 3 speakers in more than one split \(e.g. '{moved.speaker_id}': "
                      r"train, test\): its split is not speaker-independent"):  # fmt: skip
        assert splits.assign_splits(records, "speaker", identical=())[moved.id] == "test"  # still as given
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProtocolWarning)
        splits.assign_splits(records, "paper", identical=())  # the paper protocol promises no such thing
    text = (root / "metadata.csv").read_text(encoding="utf-8")
    name = moved.id.removeprefix("carehome/")
    line = next(line for line in text.splitlines() if line.startswith(f"{name},"))
    (root / "metadata.csv").write_text(text.replace(line, line.replace(",train,", ",test,")), encoding="utf-8")
    argv = ["prepare", "-q", "--source", f"carehome={root}", "--protocol", "speaker", "-o", str(tmp_path / "out")]
    assert bimotion_main(argv) == 0
    assert capsys.readouterr().err.startswith("warning: carehome: the speaker protocol takes its own split column")


def test_a_group_of_two_women_and_two_men_trains_on_a_woman_and_a_man(tmp_path, capsys):
    """A group of 2 women + 2 men was split 1/1/2 speakers (train/validation/test) by whole speakers:
    training saw one man.  The small-group rule gives 2/1/1, a woman and a man in train, under either
    protocol and every seed, and prepare says so in a note; a group the old draw fits (3 + 3) is
    split as before, without a note."""
    import warnings

    from loaders.errors import SplitNote

    root = testing.make_corpus("audiofolder", tmp_path / "raw", speakers=4, clips_per_speaker=2)  # f, m, f, m
    records = loaders.load("carehome", root)
    gender = {r.speaker_id: r.gender for r in records}
    for protocol in splits.PROTOCOL_NAMES:
        for seed in (0, 1, 2, 7):
            with pytest.warns(SplitNote, match=r"^carehome's group ind_eld has 4 speakers \(2 women, 2 men\), too few "
                              r"for 0.5/0.15/0.35 by whole speakers, which drew 1/\d/\d speakers \(train/validation/"
                              r"test\): the small-group rule gives 2/1/1, train \(1 woman, 1 man\) holding"):  # fmt: skip
                split_of = splits.assign_splits(records, protocol, identical=(), seed=seed)
            speakers = defaultdict(set)
            for r in records:
                speakers[split_of[r.id]].add(r.speaker_id)
            assert {s: len(v) for s, v in speakers.items()} == {"train": 2, "validation": 1, "test": 1}
            assert sorted(gender[s] for s in speakers["train"]) == ["f", "m"]
    assert bimotion_main(["prepare", "-q", "--source", f"carehome={root}", "-o", str(tmp_path / "out")]) == 0
    assert "note: carehome's group ind_eld has 4 speakers (2 women, 2 men), too few for" in capsys.readouterr().err
    six = loaders.load(
        "carehome", testing.make_corpus("audiofolder", tmp_path / "six", speakers=6, clips_per_speaker=2)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", SplitNote)
        split_of = splits.assign_splits(six, "speaker", identical=())
    speakers = defaultdict(set)
    for r in six:
        speakers[split_of[r.id]].add(r.speaker_id)
    assert {s: len(v) for s, v in speakers.items()} == {"train": 3, "validation": 1, "test": 2}  # as before


def test_the_small_group_rule_changes_the_groups_docs_datasets_md_names_and_no_other(tmp_path):
    """docs/datasets.md named two kinds of group the rule changes (2 women + 2 men; 2 speakers of one
    gender with 2 clips each), where it also changes 2 women or 2 men + 2 of unknown gender and 2 + 2
    + 2 of unknown gender: the docs now name every group of up to 4 women, 4 men and 3 of unknown
    gender (1 or 2 clips each) it changes, as drawn and as given."""
    import warnings

    from loaders.errors import SplitNote

    [template] = loaders.load("carehome", testing.make_corpus("audiofolder", tmp_path, speakers=1, clips_per_speaker=1))
    changed = {}
    for clips in (1, 2):
        for women, men, unknown in ((f, m, u) for f in range(5) for m in range(5) for u in range(4) if f + m + u):
            genders = "f" * women + "m" * men + "?" * unknown
            rows = [dataclasses.replace(template, id=f"carehome/s{k:02d}_{i}", speaker_id=f"s{k:02d}",
                                        gender=None if g == "?" else g)
                    for k, g in enumerate(genders) for i in range(clips)]  # fmt: skip
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SplitNote)
                splits.assign_splits(rows, "speaker", identical=())
            for note in (str(w.message) for w in caught if "small-group rule" in str(w.message)):
                drawn, given = re.search(r"drew (\S+) speakers .* rule gives (\S+),", note).groups()
                changed[genders, clips] = (drawn, given)
    assert changed == {
        ("ff", 2): ("0/1/1", "1/0/1"), ("mm", 2): ("0/1/1", "1/0/1"), ("??", 2): ("0/1/1", "1/0/1"),
        ("ffmm", 1): ("1/1/2", "2/1/1"), ("ffmm", 2): ("1/2/1", "2/1/1"),
        ("ff??", 1): ("1/1/2", "2/1/1"), ("ff??", 2): ("1/2/1", "2/1/1"),
        ("mm??", 1): ("1/1/2", "2/1/1"), ("mm??", 2): ("1/2/1", "2/1/1"),
        ("ffmm??", 1): ("2/1/3", "3/1/2"), ("ffmm??", 2): ("2/3/1", "3/2/1"),
    }  # fmt: skip
    docs = " ".join((Path(__file__).parents[1] / "docs" / "datasets.md").read_text(encoding="utf-8").split())
    for named in ("2 women or 2 men + 2 speakers of unknown gender (drawn 1/1/2 or 1/2/1; now 2/1/1)",
                  "2 women + 2 men + 2 of unknown gender (drawn 2/1/3 or 2/3/1; now 3/1/2 or 3/2/1)",
                  "2 speakers of one gender or of unknown gender with 2 clips each (drawn 0/1/1; now 1/0/1)"):  # fmt: skip
        assert named in docs, named


def test_a_group_of_one_speaker_per_split_trains_on_the_speaker_with_the_most_clips(tmp_path):
    """3 speakers of 16, 12 and 12 clips split 1/1/1 put the 16-clip speaker in validation or test
    (as drawn), train then the least data: train now gets the speaker with the most clips, whichever
    gender or position it has, every seed; a rerun gives the same split, and equal speakers stay as drawn."""
    [template] = loaders.load("carehome", testing.make_corpus("audiofolder", tmp_path, speakers=1, clips_per_speaker=1))

    def group(genders: str, sizes: list[int]) -> list:
        return [dataclasses.replace(template, id=f"carehome/s{k}_{i:02d}", speaker_id=f"s{k}",
                                    gender=None if g == "?" else g)
                for k, (g, n) in enumerate(zip(genders, sizes, strict=True)) for i in range(n)]  # fmt: skip

    for genders in ("fff", "fmf", "fmm", "???"):
        for big in range(3):
            records = group(genders, [16 if k == big else 12 for k in range(3)])
            for seed in (0, 1, 2, 7):
                split_of = splits.assign_splits(records, "speaker", identical=(), seed=seed)
                trained = {r.speaker_id for r in records if split_of[r.id] == "train"}
                assert trained == {f"s{big}"}, (genders, big, seed)
                assert sorted({split_of[r.id] for r in records}) == ["test", "train", "validation"]
                assert splits.assign_splits(list(reversed(records)), "speaker", identical=(), seed=seed) == split_of
    equal = group("???", [12, 12, 12])
    drawn = {seed: splits.assign_splits(equal, "speaker", identical=(), seed=seed) for seed in range(6)}
    assert len({tuple(sorted(d.items())) for d in drawn.values()}) > 1  # equal speakers: still the seed's draw


def test_the_small_group_rule_moves_only_counts_that_give_train_too_few():
    """The rule's own cases, on counts per (gender) stratum: [train, validation, test] units."""
    fits = {("f",): [3, 1, 2], ("m",): [3, 0, 1]}  # ESD-like: train the most already
    assert not _favour_train(fits) and fits == {("f",): [3, 1, 2], ("m",): [3, 0, 1]}
    few = {("f",): [0, 1, 1], ("m",): [1, 0, 1]}  # 2 women + 2 men as drawn
    assert _favour_train(few) and few == {("f",): [1, 1, 0], ("m",): [1, 0, 1]}
    one_gender = {("m",): [2, 0, 0], ("f",): [0, 1, 1]}  # totals fit, train lacks women
    assert _favour_train(one_gender) and one_gender == {("m",): [1, 1, 0], ("f",): [1, 0, 1]}
    two = {("m",): [0, 1, 1]}  # 2 men of 2 clips each were drawn so: no speaker in train
    assert _favour_train(two) and two == {("m",): [1, 0, 1]}
    lone = {("f",): [0, 1, 0], ("m",): [1, 0, 1]}  # one woman: no gender to add, totals fit
    assert not _favour_train(lone)


def test_a_split_by_whole_speakers_far_from_its_proportions_is_a_note_with_the_fix(tmp_path, capsys):
    """10 Javanese elderly speakers of unequal size were split 24/20/40 clips (29% train, where the docs
    say 0.5/0.15/0.35) and nothing said so but the counts; now scan and prepare say it, and how to choose
    the split; a corpus that gives its split column gets no such note."""
    assert splits.user_split_note("own", "jav_eld", {"train": 24, "validation": 20, "test": 40}, {}) == (
        "own's group jav_eld, split by whole speakers: 24/20/40 clips (29/24/48% train/validation/test; speakers "
        "0/0/0), not 50/15/35%: its speakers are few or have unequal numbers of clips; a `split` column in its "
        "metadata (train, validation or test in every row) gives the split you choose"
    )
    assert splits.user_split_note("own", "g", {"train": 30, "validation": 11, "test": 20}, {}) is None  # 49/18/33
    assert splits.user_split_note("own", "g", {"train": 30, "validation": 0, "test": 20}, {}) is None  # its own note
    root = testing.make_corpus("audiofolder", tmp_path / "raw", speakers=3, clips_per_speaker=4)  # 1/1/1 speakers
    assert bimotion_main(["scan", "-q", "--source", f"carehome={root}", "--output", str(tmp_path / "m.jsonl")]) == 0
    assert "note: `bimotion prepare`: carehome's group ind_eld, split by whole speakers: 4/4/4 clips (33/33/33%" in (
        capsys.readouterr().err
    )
    assert bimotion_main(["prepare", "-q", "--source", f"carehome={root}", "--output", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert (
        "note: carehome's group ind_eld, split by whole speakers: 4/4/4 clips (33/33/33% train/validation/test; " in out
    )
    assert "speakers 1/1/1), not 50/15/35%" in out, out
    given = testing.make_corpus("audiofolder", tmp_path / "given", speakers=4, clips_per_speaker=4, split_column=True)
    assert bimotion_main(["prepare", "-q", "--source", f"carehome={given}", "--output", str(tmp_path / "g")]) == 0
    assert "split by whole speakers" not in capsys.readouterr().out


def test_scan_previews_a_users_split_under_the_seed_prepare_is_given(tmp_path, capsys):
    """6 speakers of 9/5/4/3/2/1 clips: `prepare --seed 1` splits them 8/2/14 clips, while scan, which had no
    --seed, said the seed 0 draw (12/9/3) as prepare's; scan --seed 1 now says prepare's, naming the seed."""
    import csv

    root = testing.make_corpus("audiofolder", tmp_path / "raw", speakers=4, clips_per_speaker=6)
    with (root / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    owners = [s for s, n in enumerate([9, 5, 4, 3, 2, 1]) for _ in range(n)]
    for row, s in zip(rows, owners, strict=True):  # the files stay where they are: only the metadata names them
        row.update(speaker_id=f"sp{s}", gender=("female", "male")[s % 2])
    with (root / "metadata.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    said = {}
    for seed in ("0", "1"):
        scan = ["scan", "-q", "--source", f"carehome={root}", "--seed", seed, "-o", str(tmp_path / "m.jsonl")]
        assert bimotion_main(scan) == 0
        note = next(line for line in capsys.readouterr().err.splitlines() if "split by whole speakers" in line)
        prepare = ["prepare", "-q", "--source", f"carehome={root}", "--seed", seed, "-o", str(tmp_path / seed)]
        assert bimotion_main(prepare) == 0
        printed = next(line for line in capsys.readouterr().out.splitlines() if "split by whole speakers" in line)
        named = "" if seed == "0" else f" (--seed {seed})"
        assert note == printed.replace("note: ", f"note: `bimotion prepare`{named}: ", 1), (note, printed)
        said[seed] = note
    assert "8/2/14 clips" in said["1"] and "12/9/3 clips" in said["0"], said


def test_a_mixture_that_adds_no_group_to_a_users_target_is_refused_naming_the_baseline(
    prepared, tmp_path, capsys, monkeypatch
):
    """Hokkien adults alone (no Hokkien elderly): augment --mixture cross_age trained nan_adu alone and
    recorded it as cross_age in scores.json and the model card."""
    from conftest import load_recipe

    from bimotion import registry
    from bimotion.training import testing as training_testing

    monkeypatch.setitem(registry.BENCHMARKS, "bimotion", registry.BENCHMARKS["bimotion"])  # restored after
    tiny = training_testing.save_tiny_model(tmp_path / "tiny")
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(prepared), "--target", "nan_adu"]
    with pytest.raises(SystemExit) as exit_:
        load_recipe("augment").main([*argv, "--mixture", "cross_age", "--output_dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err, err
    assert (
        "error: --mixture cross_age: no prepared dataset holds another age group of Hokkien (Min Nan) beside "
        "nan_adu (the groups known: " in err
    ), err
    assert "so it would train the baseline under another name; use --mixture baseline" in err
    assert not (tmp_path / "out").exists()


def test_the_card_counts_a_user_corpus_clips_as_stored_and_skipped(tmp_path):
    """A user corpus with one silent clip: its card said "6 clips read from metadata.csv" (counted
    when read) where prepare stored 5 and listed the silent one under skipped inputs.  It now gives
    the stored and the skipped counts of prepare.json, which add up to the metadata's rows."""
    import numpy as np
    import soundfile

    from bimotion.prepare import prepare

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="quiet", speakers=2, clips_per_speaker=3)
    silent = sorted(root.rglob("*.wav"))[0]
    samples, rate = soundfile.read(silent, dtype="float64")
    soundfile.write(silent, np.zeros_like(samples), rate, subtype="PCM_16")
    rows = len((root / "metadata.csv").read_text(encoding="utf-8").splitlines()) - 1
    done = prepare({"quiet": root}, tmp_path / "out", protocol="speaker", skip_bad=True, num_proc=1, progress=False)
    card = (done.out_dir / "README.md").read_text(encoding="utf-8")
    note = next(line for line in card.splitlines() if line.startswith("- **quiet** is a user's own corpus"))
    assert "read from metadata.csv; groups ind_eld;" in note and "clips read" not in note
    assert note.endswith(f" {rows - 1} clips stored, 1 skipped (see **Skipped inputs** below).")
    assert (
        "**Skipped inputs** (by corpus/reason; `--skip-bad`, or a release's known bad media): quiet/silent: 1." in card
    )


def _canto_with_a_mandarin_elder(out: Path) -> Path:
    """A Cantonese corpus, 4 elderly speakers, one of whom (yue-eld-s1) speaks Mandarin."""
    import csv

    canto = testing.make_corpus("audiofolder", out, corpus="canto", language="yue", speakers=4)
    with open(canto / "metadata.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["speaker_id"] == "yue-eld-s1":
            row["language"] = "zho"
    with open(canto / "metadata.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return canto


def test_a_corpus_holding_groups_of_both_benchmarks_says_which_rows_go_where(tmp_path, capsys):
    """A Hong Kong centre's corpus with one Mandarin-speaking elder among its Cantonese speakers: `yuemotion
    prepare` said "canto's group zho_eld is bimotion's: prepare canto into bimotion", which refuses the
    corpus's Cantonese groups in turn; and not which rows make zho_eld.  It now names the groups of each
    benchmark, the rows to move out (those of language zho) and where each part goes."""
    from yuemotion.cli import main as yuemotion_main

    canto = _canto_with_a_mandarin_elder(tmp_path / "raw")
    before = testing.digest(canto)
    assert yuemotion_main(["prepare", "-q", "--source", f"canto={canto}", "--output", str(tmp_path / "y")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "canto holds groups of both benchmarks: yue_eld (yuemotion's) and zho_eld (bimotion's, from its rows of "
        "language zho); move those rows and their clips to a folder of their own, with a metadata.csv of those "
        "rows, and prepare it into bimotion (`bimotion prepare --source canto_zho=DIR`), the rest into yuemotion"
    ) in err, err
    assert not (tmp_path / "y").exists() and testing.digest(canto) == before


def test_scan_of_a_corpus_of_both_benchmarks_gives_each_parts_split_under_the_command_that_takes_it(tmp_path, capsys):
    """scan said `bimotion prepare` would refuse the corpus, then gave the split `bimotion prepare`
    would draw of it, its Cantonese group included.  Each part's split is now said once the rows are
    moved: the rest under `bimotion prepare`, the Cantonese part under `yuemotion prepare` and the
    name the refusal gives it."""
    canto = _canto_with_a_mandarin_elder(tmp_path / "raw")
    assert bimotion_main(["scan", "-q", "--source", f"canto={canto}", "-o", str(tmp_path / "m.jsonl")]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if " prepare`" in line]
    assert notes[0].startswith("note: `bimotion prepare` would refuse canto: canto holds groups of both")
    assert "(`yuemotion prepare --source canto_yue=DIR`)" in notes[0]
    assert notes[1].startswith(
        "note: once the rows are moved, `bimotion prepare` would leave canto's group zho_eld without validation"
    ), notes
    assert notes[2].startswith("note: once the rows are moved, `yuemotion prepare`: canto_yue's group yue_eld,"), notes
    assert len(notes) == 3 and not any("`bimotion prepare`: " in note and "yue_eld" in note for note in notes)


def _declaring(root: Path, header: str) -> Path:
    """``root``'s README.md with ``header`` (YAML lines) added to its card's header."""
    card = root / "README.md"
    card.write_text(card.read_text(encoding="utf-8").replace("---\n", f"---\n{header}\n", 1), encoding="utf-8")
    return card


def test_a_corpus_of_ones_own_declares_how_its_speech_was_made_and_its_ages_and_its_card_says_them(
    tmp_path, monkeypatch
):
    """A corpus of one's own could not say how its speech was made or whose ages grouped its rows (the
    seven corpora declare both in their SourceInfo): its card said nothing of either.  Its README's
    header declares them now, with SourceInfo's names and values, and its card and prepare.json carry them."""
    from bimotion.card_caveats import age_group_text
    from bimotion.prepare import prepare

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, clips_per_speaker=2)
    _declaring(root, "speech: 'elicited: residents retelling a film'\nages_from: the residents' ages in its records")
    done = prepare({"home": root}, tmp_path / "out", protocol="speaker", num_proc=1, progress=False)
    card = (done.out_dir / "README.md").read_text(encoding="utf-8")
    note = next(line for line in card.splitlines() if line.startswith("- **home** is a user's own corpus"))
    assert note.endswith(
        "How its speech was made: elicited: residents retelling a film. "
        "Its age groups: by the residents' ages in its records."
    )
    recorded = read_info(done.out_dir)["user_sources"]["home"]
    assert recorded["speech"] == "elicited: residents retelling a film" and "filed_without_ages" not in recorded
    # a corpus whose metadata gives age groups only says why, and whose filing it is (not the paper's)
    monkeypatch.setitem(SOURCES, "home", dataclasses.replace(SOURCES["home"], ages_from="", filed_without_ages="x"))
    assert age_group_text("home", "ind_eld") == "elderly by its `age_group` column (no ages)"


def test_a_dataset_card_of_ones_own_corpus_does_not_call_it_a_raw_release(tmp_path):
    """The card of a corpus of one's own opened "Prepared with `bimotion prepare` ... from the raw release of
    `home`", as of the seven published corpora: it has no release.  It says it is the user's own corpus."""
    from bimotion import dataset_card
    from bimotion.prepare import prepare

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, clips_per_speaker=2)
    done = prepare({"home": root}, tmp_path / "out", protocol="speaker", num_proc=1, progress=False)
    info = read_info(done.out_dir)
    info.pop("synthetic", None)  # the fixture's clips are generated; a user's are recorded
    opening = next(line for line in dataset_card.render(info).splitlines() if line.startswith("Prepared with"))
    assert "from the user's own corpus `home` (its metadata and audio)." in opening
    assert "raw release" not in opening


def test_the_dataset_card_says_which_split_a_corpus_of_ones_own_was_given(tmp_path):
    """The card's split rule for a corpus of one's own read "its `split` column when every row has one,
    else ... whole speakers": both ways, whichever prepare used.  It says the one it used: the column
    for a corpus whose every row has a split, whole speakers for one with no split column."""
    from bimotion import dataset_card
    from bimotion.prepare import prepare

    roots = {
        "given": testing.make_corpus("audiofolder", tmp_path / "given", corpus="given", split_column=True,
                                     speakers=3, clips_per_speaker=2),
        "drawn": testing.make_corpus("audiofolder", tmp_path / "drawn", corpus="drawn", language="nan",
                                     speakers=3, clips_per_speaker=2),
    }  # fmt: skip
    done = prepare(roots, tmp_path / "out", protocol="speaker", num_proc=1, progress=False)
    card = dataset_card.render(read_info(done.out_dir)).splitlines()
    given = next(line for line in card if line.startswith("- `given`: "))
    drawn = next(line for line in card if line.startswith("- `drawn`: "))
    assert given == "- `given`: its `split` column, which every row has, as given; it keeps each speaker in one split"
    assert drawn.startswith("- `drawn`: whole speakers per split (within each language x age group), speakers drawn")
    assert drawn.endswith(" (its metadata has no `split` column)")
    assert "when every row has one" not in given + drawn
    assert "when every row has one, else whole speakers" in splits.describe("speaker", ["given"])["given"]  # unknown


def test_a_model_card_says_how_a_corpus_of_ones_own_declares_its_speech_and_whose_filing_grouped_it(
    tmp_path, monkeypatch
):
    """A model trained on a corpus of one's own that declares its speech and that its rows have age groups
    but no ages: its card states the speech in its Limitations as for the seven corpora, and the filing as
    its own `age_group` column's, where the wording of the seven said "by the paper's filing"."""
    from bimotion import registry
    from bimotion.training.card_claims import age_limitation, limitations, trained_ages

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, clips_per_speaker=2)
    _declaring(root, "speech: natural\nfiled_without_ages: its records give age groups only")
    loaders.load("home", root)  # registers its source, with what it declares
    monkeypatch.setitem(registry.BENCHMARKS, "bimotion", extend(BIMOTION, [SOURCES["home"]]))
    summary = {"train_configs": ["home"], "train_corpora": ["home"], "train_groups": ["ind_eld"]}
    summary["train_manifest"] = {"num_clips": 4, "hours": 0.01}
    assert trained_ages(summary) == "elderly: home by its `age_group` column, not by age"
    filed = "home is `ind_eld` (elderly) by its `age_group` column, not by age: its records give age groups only"
    assert age_limitation(summary, "adults (20-59), elderly (60+)").startswith(filed)
    assert "**How the speech was made**: home: natural." in limitations(summary)[1]


def test_a_model_card_says_once_how_a_corpus_of_ones_own_declaring_its_ages_grouped_them(tmp_path, monkeypatch):
    """A model trained on an own corpus whose README declares `ages_from:` said in its Limitations both
    "lansia's `ind_eld` is elderly (60+) by the residents' ages ..." and "the `age` or `age_group` column of
    lansia, grouped as adults (20-59), elderly (60+)": the age rule twice, and adults it never trained on.
    It says the declared sentence only; an own corpus declaring nothing keeps the column sentence."""
    from bimotion import registry
    from bimotion.training.card_claims import age_limitation

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, clips_per_speaker=2)
    _declaring(root, "ages_from: the residents' ages in the care home's records")
    loaders.load("home", root)
    monkeypatch.setitem(registry.BENCHMARKS, "bimotion", extend(BIMOTION, [SOURCES["home"]]))
    summary = {"train_configs": ["home"], "train_corpora": ["home"], "train_groups": ["ind_eld"]}
    said = age_limitation(summary, "adults (20-59), elderly (60+)")
    assert said == "home's `ind_eld` is elderly (60+) by the residents' ages in the care home's records"
    monkeypatch.setitem(SOURCES, "home", dataclasses.replace(SOURCES["home"], ages_from=""))
    plain = age_limitation(summary, "adults (20-59), elderly (60+)")
    assert plain == "the `age` or `age_group` column of home, grouped as adults (20-59), elderly (60+)"


@pytest.mark.parametrize(
    "header, said",
    [
        (
            "speech: read aloud",
            "its `speech:` is 'read aloud': how the speech was made is one of acted, elicited, natural, unknown",
        ),
        ("speech: [acted]", "its `speech:` is ['acted'], not a text"),
        ("ages_from: x\nfiled_without_ages: y", "it declares both `ages_from:`"),
    ],
)
def test_a_bad_declaration_in_ones_own_card_names_the_file_and_what_it_takes(tmp_path, header, said):
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, clips_per_speaker=2)
    card = _declaring(root, header)
    with pytest.raises(loaders.LayoutError) as err:
        loaders.load("home", root)
    assert err.value.path == card and err.value.reason == "bad_card"
    assert said in str(err.value)


def test_the_small_group_note_counts_women_and_men_first_and_unknown_gender_last(tmp_path):
    """The small-group note listed a group's speakers in the order of their gender's sort key, the unknown
    gender first: "6 speakers (2 of unknown gender, 2 women, 2 men)".  It now reads as people count them:
    women, men, then those of unknown gender, in the group's count and in train's."""
    import warnings

    from loaders.errors import SplitNote

    [template] = loaders.load("carehome", testing.make_corpus("audiofolder", tmp_path, speakers=1, clips_per_speaker=1))
    rows = [
        dataclasses.replace(template, id=f"carehome/s{k}", speaker_id=f"s{k}", gender=None if g == "?" else g)
        for k, g in enumerate("??mmff")
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SplitNote)
        splits.assign_splits(rows, "speaker", identical=())
    [note] = [str(w.message) for w in caught if "small-group rule" in str(w.message)]
    assert "has 6 speakers (2 women, 2 men, 2 of unknown gender), too few" in note
    train = re.search(r"train \(([^)]*)\) holding", note).group(1)
    assert re.fullmatch(r"1 woman, 1 man(, 1 of unknown gender)?", train), train


def test_the_speech_a_bad_declaration_suggests_reads_as_a_declaration(tmp_path):
    """The error of a speech of no known kind suggested ``speech: acted: students reading set sentences``,
    a header YAML cannot read (a second colon is a mapping): a user who wrote it got "its YAML header is
    unreadable".  Its suggestion, written into the header as given, is now a declaration that loads."""
    import re

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, clips_per_speaker=2)
    card = root / "README.md"
    plain = card.read_text(encoding="utf-8")
    _declaring(root, "speech: read aloud")
    with pytest.raises(loaders.LayoutError) as err:
        loaders.load("home", root)
    suggested = re.findall(r"`(speech: [^`]*:[^`]*)`", err.value.hint)
    assert len(suggested) == 1, err.value.hint
    card.write_text(plain, encoding="utf-8")
    _declaring(root, suggested[0])
    loaders.load("home", root)
    assert SOURCES["home"].speech == "acted: students reading set sentences"


def test_the_seven_corpora_declare_their_speech_in_the_kinds_a_corpus_of_ones_own_declares(tmp_path):
    """A corpus of one's own had to declare its speech acted, elicited or natural, while ElderReact declared
    "spontaneous: ...", a kind a user's card was refused.  Each of the seven names one of those a user's
    card takes (ElderReact's reactions to stimuli: elicited), written as a card writes it.  CSED's README
    says neither acted, elicited nor natural: its declaration named no kind at all ("recorded by graduate
    students and clipped from YouTube videos"), so the cards left its kind blank; it is now ``unknown``,
    a kind a user's card may declare too, and the model card's Limitations say so."""
    from bimotion.training.card_claims import limitations

    readme = tmp_path / "README.md"
    kinds = {}
    for name in loaders.READERS:
        speech = SOURCES[name].speech
        assert SourceInfo.declared({"speech": speech}, readme) == {"speech": speech}, name
        kinds[name] = speech.partition(":")[0]
    assert [name for name, kind in kinds.items() if kind == "unknown"] == ["csed"]
    assert SOURCES["elderreact"].speech.startswith("elicited: ") and "spontaneous" in SOURCES["elderreact"].speech
    summary = {"train_configs": ["csed"], "train_corpora": ["csed"], "train_groups": ["zho_eld"]}
    summary["train_manifest"] = {"num_clips": 652, "hours": 0.5}
    made = limitations(summary)[1]
    assert made.startswith("**How the speech was made**: csed: unknown: its README says graduate students"), made
    assert "not whether it is acted, elicited or natural" in made, made


@pytest.mark.parametrize(
    "header, speech",
    [("speech: 'Acted: Students reading set sentences'", "acted: Students reading set sentences"),
     ("speech: ELICITED", "elicited"),
     ("speech: 'Unknown: clipped from videos'", "unknown: clipped from videos")],
)  # fmt: skip
def test_a_kind_of_speech_in_capitals_is_taken_and_carded_in_lower_case(tmp_path, header, speech):
    """``speech: Acted`` was refused ("how the speech was made is one of acted, elicited, natural"), the kind
    read case by case.  Any case is taken now, the kind written in lower case and the description as it is;
    ``unknown`` too (where the source does not say, as CSED's README)."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="home", speakers=2, clips_per_speaker=2)
    _declaring(root, header)
    loaders.load("home", root)
    assert SOURCES["home"].speech == speech


def test_a_corpus_named_as_a_group_is_refused_before_any_clip_is_read(tmp_path, capsys):
    """`yuemotion prepare --source yue=DIR --skip-bad` read every clip and wrote OUT.failed.skipped.tsv of the bad
    ones before it said "corpus name 'yue' is also the name of a yuemotion group or union config".  A name
    that is a config of the benchmark is now refused before anything is read; one that is a union of the groups
    its metadata gives (`ind`, of ind_eld and ind_adu) once the metadata is read, no clip read."""
    from yuemotion.cli import main as yuemotion_main

    canto = testing.make_corpus("audiofolder", tmp_path / "raw", language="yue", bad=True)
    out = tmp_path / "y"
    assert yuemotion_main(["prepare", "-q", "--source", f"yue={canto}", "--output", str(out), "--skip-bad"]) == 2
    err = capsys.readouterr().err
    assert "corpus name 'yue' is also the name of a yuemotion group or union config" in err, err
    assert "skipped" not in err and sorted(p.name for p in tmp_path.iterdir()) == ["raw"]

    both = testing.make_corpus("audiofolder", tmp_path / "raw2", language="ind", age_groups=("eld", "adu"), bad=True)
    assert bimotion_main(["prepare", "-q", "--source", f"ind={both}", "--output", str(out), "--skip-bad"]) == 2
    err = capsys.readouterr().err
    assert "corpus name 'ind' is also the name of a bimotion group or union config" in err, err
    assert "skipped" not in err and sorted(p.name for p in tmp_path.iterdir()) == ["raw", "raw2"]
