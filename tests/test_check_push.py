"""`bimotion check` (counts, files, speaker overlap, duplicate audio; exit codes) and
`bimotion push --dry-run` (what would be uploaded, licence warnings, no network)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import local_hubs

from bimotion import splits
from bimotion.cli import main
from bimotion.prepare import INFO_FILE, prepare
from bimotion.verify import verify as check
from loaders import testing
from loaders.testing.mangle import add_browser_files

CORPORA = ("crema_d", "tess", "csed")


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("raw")
    return {name: testing.make_corpus(name, base / name) for name in CORPORA}


@pytest.fixture(scope="module")
def prepared(sources, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("prepared")
    return {
        protocol: prepare(sources, base / protocol, protocol=protocol, num_proc=1, progress=False).out_dir
        for protocol in ("paper", "speaker")
    }


@pytest.fixture
def paper_copy(prepared, tmp_path) -> Path:
    return Path(shutil.copytree(prepared["paper"], tmp_path / "copy"))


def edit_info(out: Path, change) -> None:
    info = json.loads((out / INFO_FILE).read_text(encoding="utf-8"))
    change(info)
    (out / INFO_FILE).write_text(json.dumps(info), encoding="utf-8")


def test_check_proves_the_speaker_protocol_shares_no_speaker(prepared, capsys):
    assert main(["check", str(prepared["speaker"])]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("OK")
    result = check(prepared["speaker"])
    assert result["problems"] == [] and result["duplicates_across_splits"] == []
    crema_d = result["overlap"]["crema_d"]
    assert crema_d["speakers"] >= 4 and crema_d["shared_speakers"] == [] and crema_d["shared_units"] == []
    tess = result["overlap"]["tess"]  # one speaker per group: shared, but no word is
    assert tess["unit"] == "word" and tess["shared_units"] == [] and tess["units"] >= 3
    # ... and its words apart do not make it speaker-independent: check, the card and prepare say so
    assert re.search(
        r"^  tess +.*words shared \(words kept apart: OK; NOT speaker-independent: it has one speaker", out, re.M
    )
    card = (prepared["speaker"] / "README.md").read_text(encoding="utf-8")
    assert re.search(r"Not speaker-independent under this protocol: .*tess: it has one speaker per group", card)
    assert splits.not_speaker_independent("speaker", ["crema_d", "tess", "csed"]) == ["tess", "csed"]
    assert "units" not in result["overlap"]["csed"]  # no speaker ids: kept the paper split
    assert re.search(r"^  csed +no speaker ids", out, re.M)
    # counts per config and split are the files' rows
    info = json.loads((prepared["speaker"] / INFO_FILE).read_text(encoding="utf-8"))
    eng = sum(s["rows"] for s in info["shards"] if s["group"].startswith("eng_"))
    assert sum(result["counts"]["eng"].values()) == eng == result["rows"] - sum(result["counts"]["zho_eld"].values())


def test_check_reports_paper_protocol_speaker_overlap_without_failing(prepared, capsys):
    assert main(["check", str(prepared["paper"])]) == 0
    result = check(prepared["paper"])
    assert result["overlap"]["crema_d"]["shared_speakers"]  # utterance-level split, as the paper did
    assert "allowed: the paper protocol does not split crema_d by speaker" in capsys.readouterr().out


def test_check_fails_when_speakers_cross_splits_that_should_not(paper_copy, capsys):
    edit_info(paper_copy, lambda info: info.update(protocol="speaker"))  # claim what the data does not hold
    assert main(["check", str(paper_copy)]) == 1
    out = capsys.readouterr().out
    assert "crema_d:" in out and "actor(s) in more than one split" in out


def test_check_finds_duplicate_audio_across_splits(paper_copy, capsys):
    test_file = next((paper_copy / "data" / "csed" / "zho_eld").glob("test-*.parquet"))
    shutil.copy(test_file, test_file.with_name("train-00001.parquet"))
    assert main(["check", str(paper_copy)]) == 1
    out = capsys.readouterr().out
    assert "unlisted file data/csed/zho_eld/train-00001.parquet (left by an interrupted run?): remove it;" in out

    def list_it(info):
        shard = next(s for s in info["shards"] if (s["corpus"], s["split"]) == ("csed", "train"))
        test = next(s for s in info["shards"] if (s["corpus"], s["split"]) == ("csed", "test"))
        shard["files"].append("data/csed/zho_eld/train-00001.parquet")
        shard["rows"] += test["rows"]

    edit_info(paper_copy, list_it)
    result = check(paper_copy)
    assert len(result["duplicates_across_splits"]) > 0
    assert any("appear in two splits" in p for p in result["problems"])
    assert any(p.startswith("duplicate id csed/") for p in result["problems"])


def test_check_finds_missing_files_and_rejects_non_datasets(paper_copy, tmp_path, capsys):
    victim = next((paper_copy / "data" / "tess").rglob("*.parquet"))
    victim.unlink()
    files = len(list((paper_copy / "data").rglob("*.parquet")))
    result = check(paper_copy, hash_audio=False)
    missing = f"missing file {victim.relative_to(paper_copy).as_posix()}"
    assert f"{missing}: copy the whole folder again, or prepare the dataset again" in result["problems"]  # and the fix
    assert not any(p.startswith("card config") for p in result["problems"])  # the card does name it
    assert result["files"] == files and result["hashed"] is None
    assert main(["check", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nothing'}: no such folder\n"
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err  # a folder holding a prepared dataset names it (bimotion check demo)
    assert f"not a prepared dataset: prepare.json is missing (did you mean {tmp_path / 'copy'}?)" in err
    holder = paper_copy.parent.parent / (paper_copy.parent.name + "-two")
    for name in ("speaker", "paper"):
        shutil.copytree(paper_copy, holder / name)
    (holder / "raw").mkdir()
    assert main(["check", str(holder)]) == 2
    assert f"(did you mean {holder / 'paper'} or {holder / 'speaker'}?)" in capsys.readouterr().err
    assert main(["check", str(holder / "raw")]) == 2
    assert "did you mean" not in capsys.readouterr().err  # nothing prepared inside: no guess
    shutil.rmtree(holder)


def test_yuemotion_check_of_a_folder_that_is_no_prepared_dataset_names_yuemotion_prepare(tmp_path, capsys):
    """`yuemotion check EMPTY` said "make it with `bimotion prepare`", the command that makes BiMotion; a YueMotion
    user is now told `yuemotion prepare` as well."""
    from yuemotion.cli import main as yuemotion_main

    assert yuemotion_main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is not a prepared dataset: prepare.json is missing; "
        "make it with `bimotion prepare` (YueMotion: `yuemotion prepare`)\n"
    )


def test_a_path_inside_a_prepared_folder_or_dot_names_the_folder_meant(prepared, tmp_path, monkeypatch, capsys):
    """A path one level too low (OUT/data, OUT/data/tess: a reader of a file browser's path) named no folder
    to give instead, and `bimotion check .` in a folder that is no prepared dataset stopped with Python's
    "error: PosixPath('.') has an empty name"; each now names the prepared folder meant, as the path was
    given where it can (check, and advise's --bimotion)."""
    out = Path(shutil.copytree(prepared["paper"], tmp_path / "out"))
    for inside in ("data", "data/tess"):
        assert main(["check", f"{out}/{inside}"]) == 2
        assert capsys.readouterr().err == (
            f"error: {out}/{inside} is not a prepared dataset: prepare.json is missing (did you mean {out}?); "
            "make it with `bimotion prepare` (YueMotion: `yuemotion prepare`)\n"
        )
    assert main(["check", f"{out}/dta"]) == 2  # mistyped below it
    assert capsys.readouterr().err == f"error: {out}/dta: no such folder (did you mean {out}?)\n"
    monkeypatch.chdir(out / "data" / "tess")
    assert main(["check", "."]) == 2
    assert f"error: . is not a prepared dataset: prepare.json is missing (did you mean {out.resolve()}?)" in (
        capsys.readouterr().err
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "."]) == 2
    assert "error: . is not a prepared dataset: prepare.json is missing (did you mean out?)" in capsys.readouterr().err
    assert main(["advise", "--target", "eng_eld", "--bimotion", "out/data"]) == 2
    assert (
        "error: --bimotion out/data is not a local prepared folder (did you mean out?), so" in capsys.readouterr().err
    )


def test_a_folder_copied_through_macos_and_windows_checks_and_is_replaced_as_it_was(paper_copy, sources, capsys):
    """Copied through a zip made on macOS and a Windows share, a prepared folder holds ._x.parquet
    beside each shard, .DS_Store, Thumbs.db and desktop.ini in each folder, and __MACOSX/: check
    reported every one as an unlisted file "left by an interrupted run" and failed, and prepare
    --overwrite refused to replace the folder; they are passed over and counted.  A file of no
    browser's is still an unlisted file."""
    before = check(paper_copy, hash_audio=False)
    before.pop("browser_files", None)
    added = add_browser_files(paper_copy)
    assert main(["check", "--no-audio", str(paper_copy)]) == 0
    out = capsys.readouterr().out
    assert (
        "files a file browser or a macOS zip left (.DS_Store, ._*, Thumbs.db, desktop.ini, __MACOSX/, same-bytes "
        f"copies 'x (1).y'): {added}," in out
    )
    assert {k: v for k, v in check(paper_copy, hash_audio=False).items() if k != "browser_files"} == before
    stray = paper_copy / "data" / "tess" / "._notes"  # named like a resource fork, but none
    stray.write_text("mine\n")
    assert check(paper_copy, hash_audio=False)["problems"] == [
        "unlisted file data/tess/._notes (left by an interrupted run?): remove it; prepare.json lists every file "
        "prepare wrote"
    ]
    stray.unlink()
    argv = ["prepare", *(f"--source={name}={root}" for name, root in sources.items()), "-o", str(paper_copy)]
    assert main([*argv, "--overwrite", "-q", "--num-proc", "1"]) == 0, capsys.readouterr().err
    assert not (paper_copy / "__MACOSX").exists() and check(paper_copy, hash_audio=False)["browser_files"] == 0


def test_push_dry_run_lists_the_upload_and_warns_about_licences(paper_copy, capsys, monkeypatch):
    """(A real release's licences: the fixture's corpora are generated, which push warns of instead.)"""
    from loaders import SOURCES

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a real upload would fail: the dry run must not try
    out = paper_copy
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    assert "this dataset is built on synthetic demo data" in capsys.readouterr().err

    def as_real_releases(info):
        info.pop("synthetic")
        info["licenses"] = {c: SOURCES[c].license for c in info["corpora"]}

    edit_info(out, as_real_releases)
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    captured = capsys.readouterr()
    listed = [line.split()[0] for line in captured.out.splitlines() if line.startswith("  ")]
    expected = ["README.md", INFO_FILE] + sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert sorted(listed) == sorted(expected) and listed[:2] == ["README.md", INFO_FILE]
    assert "would upload" in captured.out and "(private)" in captured.out
    assert "synthetic" not in captured.err
    assert (
        "warning: tess's licence (CC BY-NC-ND 4.0): non-commercial use only: mark the repository's licence as it "
        "(done in the card) and do not use it commercially; no derivatives: a dataset copy or a model trained on "
        "it may be a derivative: keep it private or gated unless you hold the rights\n" in captured.err
    )
    assert "crema_d's licence (ODbL-1.0 (database), DbCL-1.0 (contents)): share-alike: publish under" in captured.err
    assert "csed" not in captured.err and "restricts redistribution" not in captured.err  # Apache-2.0: no warning
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run", "--public"]) == 0
    assert "(PUBLIC)" in capsys.readouterr().out


def test_files_prepare_did_not_write_stay_behind_and_the_push_says_so(paper_copy, capsys, monkeypatch):
    """A LICENSE added to the folder and a Parquet file an interrupted run left were left out of the
    upload (which sends what prepare.json lists) without a word: the listing was the only hint."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = paper_copy
    (out / "LICENSE").write_text("ours\n")
    stray = next(out.rglob("train-*.parquet")).with_name("train-00001-0123456789abcdef.parquet")
    stray.write_bytes(b"x")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref\n")  # never uploaded by anyone: not named
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "LICENSE" not in captured.out and stray.name not in captured.out
    rel = stray.relative_to(out).as_posix()
    assert f"note: 2 files in {out} that prepare did not write stay behind (a push sends what prepare.json " in (
        captured.err
    )
    assert f"lists): LICENSE, {rel}; `hf upload REPO FILE --repo-type dataset` sends one\n" in captured.err
    assert ".git" not in captured.err
    stray.unlink()
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    assert f"note: 1 file in {out} that prepare did not write stays behind (a push" in capsys.readouterr().err
    (out / "LICENSE").unlink()
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    assert "stay behind" not in capsys.readouterr().err


def test_a_card_without_the_folders_snippet_is_sent_as_it_is_and_the_push_says_so(paper_copy, capsys, monkeypatch):
    """The card sent to the Hub loads the repository in its snippet; a card whose snippet was edited
    away (or written by another version) has nothing to point there: it is sent as it is, said in a
    note, never rewritten elsewhere."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    card = paper_copy / "README.md"
    text = card.read_text(encoding="utf-8")
    assert main(["push", str(paper_copy), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    assert (
        "README.md would be sent naming my-lab/bimotion (the folder's copy stays as it is)" in capsys.readouterr().out
    )
    card.write_text(text.replace('load_dataset("path/to/this/folder", ', 'load_dataset("my/own/copy", '), "utf-8")
    assert main(["push", str(paper_copy), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    printed = capsys.readouterr()
    assert "sent naming" not in printed.out
    assert f"note: {paper_copy}/README.md has no snippet loading this folder: it is sent as it is" in printed.err


def test_a_dataset_push_reads_its_prepare_json_once(paper_copy, capsys, monkeypatch):
    """Listing the files to upload and warning about licences each read the folder's prepare.json."""
    from bimotion.data import layout

    asked, read = [], layout.read_info
    monkeypatch.setattr(layout, "read_info", lambda folder: asked.append(Path(folder)) or read(folder))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["push", str(paper_copy), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    assert asked == [paper_copy] and "this dataset is built on synthetic demo data" in capsys.readouterr().err


def test_what_a_folder_is_pushed_as_is_decided_by_one_function(prepared, tmp_path):
    """push's checks and its upload each decided whether a folder is a dataset or a model (and the
    upload again, for the Hub's repo type); :func:`folder_kind` is now the one answer."""
    from bimotion.commands.push import folder_kind

    assert folder_kind(prepared["paper"]) == "dataset"
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="neither a prepared folder .* nor a fine-tuned model folder"):
        folder_kind(model)  # a config without the run's scores.json is no model to push
    (model / "scores.json").write_text("{}")
    assert folder_kind(model) == "model"
    (model / INFO_FILE).write_text("{}")
    with pytest.raises(ValueError, match="holds both a prepared dataset"):
        folder_kind(model)


def test_push_refuses_an_incomplete_folder(paper_copy, capsys):
    next(paper_copy.rglob("*.parquet")).unlink()
    assert main(["push", str(paper_copy), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 2
    assert "is incomplete" in capsys.readouterr().err


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len([line for line in lines if line.startswith("error:")]) == 1, err
    return next(line for line in lines if line.startswith("error:"))


def test_push_checks_the_repo_id_the_hub_and_the_token_before_uploading(prepared, capsys, monkeypatch, tmp_path):
    """Each failure is one `error:` line and exit code 2, before anything is uploaded (issue 11)."""
    from huggingface_hub import constants

    out = str(prepared["paper"])
    for repo_id, expected in (("bimotion", "give OWNER/NAME"), ("my lab/bim otion", "not a Hub repository id")):
        assert main(["push", out, "--repo-id", repo_id, "--dry-run"]) == 2
        assert expected in _one_error_line(capsys.readouterr().err)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets when the Hub is imported
    assert main(["push", out, "--repo-id", "my-lab/bimotion"]) == 2
    captured = capsys.readouterr()
    assert "HF_HUB_OFFLINE is set" in _one_error_line(captured.err) and "uploading" not in captured.out
    assert "built on synthetic demo data" in captured.err  # the warnings (synthetic data, licences) come first
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    assert main(["push", out, "--repo-id", "my-lab/bimotion"]) == 2
    assert "no Hugging Face token" in _one_error_line(capsys.readouterr().err)
    with local_hubs({"refuses": 401}) as urls:
        monkeypatch.setattr(constants, "ENDPOINT", urls["refused"])  # nothing listens there: as offline
        assert main(["push", out, "--repo-id", "my-lab/bimotion", "--token", "hf_not_a_real_token"]) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert f"cannot reach the Hub at {urls['refused']}" in line and len(line) < 300
        # a Hub that answers and refuses the token: said so, with the way out (not "cannot reach")
        monkeypatch.setattr(constants, "ENDPOINT", urls["refuses"])
        assert main(["push", out, "--repo-id", "my-lab/bimotion", "--token", "hf_not_a_real_token"]) == 2
        line = _one_error_line(capsys.readouterr().err)
    assert "refused access, HTTP 401: " in line and "hf auth login" in line, line


@pytest.mark.parametrize(("license", "warned"), [("cc-by-nc-4.0", True), ("apache-2.0", False)])
def test_a_model_of_your_own_corpus_is_judged_by_the_licence_its_card_records(tmp_path, license, warned):
    """A corpus this process does not know (a user's, registered when the model was trained) is
    judged by the licence training wrote into the card; known corpora by their own licences."""
    from bimotion.training.hub_ready import model_licence_warnings

    (tmp_path / "scores.json").write_text(
        json.dumps({"run_name": "mine", "train_corpora": ["never_registered_here", "tess"]})
    )
    (tmp_path / "README.md").write_text(f"---\nlicense: {license}\n---\n# a model\n")
    warnings = model_licence_warnings(tmp_path)
    assert any(w.startswith("tess's licence (CC BY-NC-ND 4.0)") for w in warnings)
    judged = f"never_registered_here: the model card's licence ({license}, from its training corpora): "
    assert any(w.startswith(judged + "non-commercial use only: mark") for w in warnings) is warned


def test_check_names_an_unreadable_shard_and_a_foreign_record_instead_of_a_traceback(paper_copy, capsys):
    """A truncated or edited Parquet file is a listed problem (exit 1) naming the file, even without
    decoding (--no-audio passed 4 changed bytes: a file's name carries its content's digest, which
    nothing compared), and push refuses it; a prepare.json that is not prepare's is a one-line
    error (exit 2); push refuses both the same way."""
    from bimotion.data.layout import content_digest

    shard = sorted((paper_copy / "data").rglob("*.parquet"))[0]
    rel = shard.relative_to(paper_copy).as_posix()
    shard_bytes = shard.read_bytes()
    edited = bytearray(shard_bytes)
    edited[len(edited) // 2 : len(edited) // 2 + 4] = b"\xff\x00\xff\x00"
    for damaged in (shard_bytes[:100], bytes(edited)):
        shard.write_bytes(damaged)
        assert main(["check", str(paper_copy), "--no-audio"]) == 1
        out = capsys.readouterr().out
        assert f"changed file {rel}: its bytes are not those prepare wrote" in out
        assert "prepare.json says" not in out  # one problem for one file, not also its shard's row count
        assert main(["push", str(paper_copy), "--repo-id", "me/x", "--dry-run"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {paper_copy} is not as prepare wrote it: changed file {rel}"), err
    shard.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n")  # a clone without LFS
    assert main(["check", str(paper_copy), "--no-audio"]) == 1
    assert f"changed file {rel}: a Git LFS pointer, not the file: run `git lfs pull`" in capsys.readouterr().out
    # a broken file under its own digest (as a buggy writer would leave it) is found by reading it
    data = bytearray(shard_bytes)  # now the data pages, with a footer that still reads
    data[4 : len(data) // 2] = bytes(len(data) // 2 - 4)
    shard.unlink()
    renamed = shard.with_name(shard.name.rsplit("-", 1)[0] + "-" + "0" * 16 + ".parquet")
    renamed.write_bytes(bytes(data))
    renamed = renamed.rename(renamed.with_name(renamed.name.replace("0" * 16, content_digest(renamed))))
    info = (paper_copy / "prepare.json").read_text()
    (paper_copy / "prepare.json").write_text(info.replace(shard.name, renamed.name))
    assert main(["check", str(paper_copy)]) == 1
    assert f"unreadable file {renamed.relative_to(paper_copy).as_posix()}" in capsys.readouterr().out
    for record in ("{}", "[1]", '{"benchmark": "bimotion", "protocol": "paper", "corpora": [], "shards": [{}]}'):
        (paper_copy / "prepare.json").write_text(record)
        for argv in (["check", str(paper_copy)], ["push", str(paper_copy), "--repo-id", "me/x", "--dry-run"]):
            assert main(argv) == 2, (record, argv)
            err = capsys.readouterr().err
            assert err.startswith("error: ") and "prepare.json" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("scores", "message"), [('{"x": 1}', "is not a training run's"), ("{", "is unreadable")])
def test_push_names_a_scores_file_that_is_not_a_training_runs(tmp_path, capsys, scores, message):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "scores.json").write_text(scores)
    assert main(["push", str(tmp_path), "--repo-id", "me/model", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'scores.json'} {message}") and len(err.strip().splitlines()) == 1


def test_training_for_the_hub_on_a_hub_dataset_warns_about_its_licences_too(capsys):
    """The licence came from a local prepare.json only: training on a Hub dataset id warned of nothing,
    while `bimotion push` of the same model warned.  Both look licences up in one place now."""
    from bimotion.hub_licences import licences_of
    from bimotion.training.args import warn_licences
    from bimotion.training.spec import DataArguments

    warn_licences(DataArguments(bimotion="my-lab/bimotion"), ["eng_eld"])  # TESS and CREMA-D
    err = capsys.readouterr().err
    assert "tess's licence (CC BY-NC-ND 4.0): non-commercial use only: " in err and "(the model" not in err
    assert "crema_d's licence (ODbL-1.0 (database), DbCL-1.0 (contents)) is share-alike: if a model" in err
    assert err.count("share-alike") == 1  # beside TESS's, only as the clash: "publish under the same" can't be met
    assert licences_of(["tess", "mine"], {"licenses": {"tess": "CC-BY-4.0"}}) == ({"tess": "CC-BY-4.0"}, ["mine"])
    assert licences_of(["mine"], {"licenses": {"mine": ""}}) == ({"mine": ""}, [])  # recorded empty: no KeyError


def test_licence_warnings_say_what_each_licence_restricts_and_what_to_do():
    """Every restrictive licence 'restricted redistribution: keep the repository private or gated':
    wrong for CC BY-NC (shared non-commercially), muddled for ND and for a user's own corpus, whose
    licence is the user's to give.  Each kind of licence now says its own terms."""
    from bimotion.card_metadata import licence_terms
    from bimotion.hub_licences import licence_warnings
    from loaders.audiofolder import DEFAULT_LICENSE

    nc, nd, sa, other = (licence_terms(t) for t in ("CC BY-NC 4.0", "CC BY-ND 4.0", "CC-BY-SA-4.0", "EULA"))
    assert nc.startswith("non-commercial use only: mark the repository's licence as it") and "private" not in nc
    assert nd.startswith("no derivatives: a dataset copy or a model trained on it may be a derivative")
    assert sa == "share-alike: publish under the same licence"
    assert other.startswith("redistribution not granted: keep it private or gated; share only with people who")
    assert licence_terms("CC BY-NC-ND 4.0") == f"{nc}; {nd}" and licence_terms("CC BY-NC-SA 4.0") == f"{nc}; {sa}"
    assert licence_terms("CC BY-NC-ND 4.0", advice=False) == "non-commercial use only, no derivatives"
    assert licence_terms("Apache-2.0") == licence_terms("CC0 1.0") == ""
    licences = {
        "esd": "research use only, by signed licence form",
        "csed": "Apache-2.0",
        "mine": "CC BY-NC 4.0",
        "theirs": "MIT",
        "unset": DEFAULT_LICENSE,
    }
    assert licence_warnings(licences, "model") == [
        f"esd's licence (research use only, by signed licence form): {other}",
        "your corpus mine is declared CC BY-NC 4.0 (Hub id `cc-by-nc-4.0`): the model you publish carries it "
        "(non-commercial use only)",
        "your corpus unset declares no licence (its README.md's `license:`, or `--license unset=TEXT` when "
        "preparing): the model you publish says `unknown`; declare the one you give it",
    ]


def test_a_corpus_of_the_seven_has_its_licence_before_anything_looked_it_up(monkeypatch):
    """``SOURCES`` imports a corpus's SourceInfo on first access, and ``in`` said False until then:
    training for the Hub on eng_eld warned "elderreact's licence is unknown here" in a process (a CI
    worker) where nothing had asked for ElderReact yet."""
    import loaders
    from bimotion.hub_licences import licences_of

    fresh = loaders._Sources()  # a process's registry before any corpus was looked up
    monkeypatch.setattr(loaders, "SOURCES", fresh)
    assert "elderreact" in fresh and "mine" not in fresh
    found, unknown = licences_of(["elderreact", "tess", "mine"])
    assert found == {
        "elderreact": loaders.reader("elderreact").INFO.license,
        "tess": loaders.reader("tess").INFO.license,
    }
    assert unknown == ["mine"]


def test_no_command_writes_its_output_into_a_prepared_dataset(prepared, sources, capsys, tmp_path):
    """advise -o DATASET wrote models/, metrics/ and tables/ into it; check then listed them as
    unlisted files and prepare --overwrite refused the folder.  (The recipes: test_recipe_args.)"""
    out = prepared["paper"]
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    commands = [
        ["advise", "--target", "zho_eld", "--bimotion", str(out), "--output", str(out / "advice")],
        ["advise", "--target", "zho_eld", "--bimotion", str(out), "--output", str(out)],
        ["prepare", "--source", f"csed={sources['csed']}", "--output", str(out / "data" / "mine")],
    ]
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"the prepared dataset {out}" in err and "Traceback" not in err, err
    with pytest.raises(SystemExit) as done:
        main(["demo", "--output", str(out / "demo"), "--no-grid"])
    assert done.value.code == 2 and f"lies inside the prepared dataset {out}" in capsys.readouterr().err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    # a prepare.json of something else above an output is no prepared dataset: nothing refused
    from bimotion.data.layout import output_error

    project = tmp_path / "project"
    (project / "runs").mkdir(parents=True)
    (project / "prepare.json").write_text("{}")
    assert output_error(project / "runs" / "out", "--output") is None


def test_check_walks_the_folder_once(paper_copy, monkeypatch, capsys):
    """check walked data/ twice, once for the files prepare.json does not list and again for those a
    browser left, each by Path.rglob, which lists every folder twice itself (bench/bench_check_walk.py:
    16 directory listings and 5,605 looks at a file for a browser's leftover, now 5 and 2,804): one walk
    lists each folder once, and still tells the two kinds apart."""
    import os

    added = add_browser_files(paper_copy)
    (paper_copy / "data" / "tess" / "stray.parquet").write_bytes(b"PAR1")
    listed, scandir = [], os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": listed.append(Path(path)) or scandir(path))
    assert main(["check", "--no-audio", str(paper_copy)]) == 1
    out = capsys.readouterr().out
    assert "unlisted file data/tess/stray.parquet (left by an interrupted run?)" in out and f"): {added}," in out
    below = [p for p in listed if p.is_relative_to(paper_copy / "data")]
    assert below and len(below) == len(set(below)), sorted(below)
