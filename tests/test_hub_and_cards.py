"""The cards are ``huggingface_hub`` cards rendered from the shipped templates, and one upload plan
(``bimotion.hub``) decides what a dataset push or a model upload sends."""

from __future__ import annotations

import pytest

from bimotion.data.layout import config_files, read_info
from bimotion.dataset_card import render
from bimotion.hub_upload import publish, upload_plan
from bimotion.prepare import prepare
from bimotion.verify import verify
from bimotion.verify_report import format_result
from loaders import testing


@pytest.fixture(scope="module")
def csed(tmp_path_factory):
    base = tmp_path_factory.mktemp("csed")
    return prepare({"csed": testing.make_corpus("csed", base / "raw")}, base / "bimotion", progress=False).out_dir


def test_dataset_card_metadata_is_huggingface_hubs_and_names_every_shard(csed):
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(csed / "README.md")
    files = config_files(read_info(csed))
    assert card.data.pretty_name == "BiMotion" and card.data.license == "apache-2.0"  # CSED's, the only source
    assert card.data.task_categories == ["audio-classification"] and card.data.language == ["zh"]  # the data's
    assert card.data.size_categories == ["n<1K"] and card.data.task_ids == ["audio-emotion-recognition"]
    named = {c["config_name"]: {f["split"]: f["path"] for f in c["data_files"]} for c in card.data.configs}
    assert named == files
    for heading in ("## Statistics", "## Split protocol", "## Caveats", "## Sources, licences and citations"):
        assert heading in card.text
    assert card.text.endswith("```\n") and "{{" not in card.text and "{%" not in card.text


def test_verify_is_a_library_call_and_format_result_reports_ok(csed):
    result = verify(csed, hash_audio=False)
    assert result["problems"] == [] and result["hashed"] is None
    assert format_result(result).endswith("OK")


def test_upload_plan_leaves_out_work_files_and_lists_top_level_files_first(tmp_path):
    from bimotion.training.outputs import IDENTITY_FILE

    for rel in (
        "README.md",
        "config.json",
        "sub/b.txt",
        "checkpoint-2/model.bin",
        "runs/x/events",
        "a.lock",
        ".git/HEAD",
        IDENTITY_FILE,  # what resuming checks: a training run's own, not the model's
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"12345")
    assert upload_plan(tmp_path) == [("README.md", 5), ("config.json", 5), ("sub/b.txt", 5)]
    assert upload_plan(tmp_path, allow_patterns=["sub/b.txt", "README.md"]) == [("README.md", 5), ("sub/b.txt", 5)]


# Lists a folder's upload as an unprivileged user (as root, chmod 000 does not stop listing), with
# everything imported first.
UNPRIVILEGED_LISTING = r"""
import os, pwd, sys
import huggingface_hub.utils, loaders.files, loaders.walk
from bimotion.hub import HubError
from bimotion.hub_upload import upload_listing
upload_listing(sys.argv[1])
if os.geteuid() == 0:
    nobody = pwd.getpwnam("nobody")
    os.setgroups([]), os.setgid(nobody.pw_gid), os.setuid(nobody.pw_uid)
try:
    print(upload_listing(sys.argv[1])[0])
except HubError as err:
    print(f"error: {err}")
"""


def test_a_folder_the_upload_cannot_list_is_an_error_naming_it_unless_the_upload_never_sends_it():
    """``os.walk`` passes over a folder it cannot list without a word: a push left its files
    behind unsaid.  One it would send is an error naming it and the fix; a checkpoint's or a macOS
    zip's ``__MACOSX/``, never sent, is not."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="bimotion-push-"))  # pytest's tmp_path is private to root
    try:
        for rel in ("README.md", "eval/predictions.csv", "checkpoint-2/model.bin", "__MACOSX/._README.md"):
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(b"12345")
        for dirpath, _, _ in os.walk(folder):
            os.chmod(dirpath, 0o755)
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)

        def listing() -> str:
            proc = subprocess.run(
                [sys.executable, "-c", UNPRIVILEGED_LISTING, str(folder)], capture_output=True, text=True
            )
            assert proc.returncode == 0, proc.stderr
            return proc.stdout.strip()

        (folder / "checkpoint-2").chmod(0o000)
        (folder / "__MACOSX").chmod(0o000)  # what a macOS zip left: never sent, unreadable or not
        assert listing() == "[('README.md', 5), ('eval/predictions.csv', 5)]"
        (folder / "eval").chmod(0o000)
        assert listing() == (
            f"error: {folder / 'eval'}: cannot list this folder (Permission denied), so its files cannot be sent: "
            "make it readable (chmod u+rx, or run as its owner), or move it out of the folder, then run again"
        )
    finally:
        for dirpath, _, _ in os.walk(folder):
            os.chmod(dirpath, 0o755)
        for name in ("checkpoint-2", "eval", "__MACOSX"):
            (folder / name).chmod(0o755)
        shutil.rmtree(folder)


def test_what_a_file_browser_or_a_macos_zip_left_is_never_uploaded_and_push_says_so(tmp_path):
    """A model folder copied through a zip made on macOS or a Windows share (as a prepared folder can
    be since bimotion check passes over them) was uploaded with its .DS_Store, Thumbs.db, desktop.ini,
    a ._NAME resource fork beside every file and __MACOSX/ (33 files for 10 for a trained model).
    They are not sent, and push counts them; a file of no browser's named like a resource fork is
    still sent."""
    from bimotion.commands.push import browser_note
    from bimotion.hub_upload import upload_listing
    from loaders.testing.mangle import add_browser_files

    for rel in ("README.md", "config.json", "model.safetensors"):
        (tmp_path / rel).write_bytes(b"12345")
    added = add_browser_files(tmp_path)
    (tmp_path / "._notes").write_bytes(b"mine\n")
    (tmp_path / "eval").mkdir()  # a folder of the user's: what the browser left there was passed over unsaid
    (tmp_path / "eval" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert upload_plan(tmp_path) == [("._notes", 5), ("README.md", 5), ("config.json", 5), ("model.safetensors", 5)]
    assert browser_note(upload_listing(tmp_path)[1]) == (
        f"not sent: {added + 1} files a file browser or a macOS zip left (no one's work): "
        ".DS_Store, ._README.md, ._config.json and 7 more"
    )


def test_the_plan_is_what_the_hub_takes_and_every_upload_gets_the_same_ignore_patterns(tmp_path, monkeypatch):
    """The dry run listed files under a nested ``.git`` (which ``upload_folder`` leaves out) and under
    a ``.cache`` folder (which the Hub refuses: the upload failed after training, and on every retry);
    and ``upload_folder`` extended in place the ignore list publish gave it, ``WORK_FILES`` itself."""
    import huggingface_hub
    from huggingface_hub import CommitOperationAdd

    from bimotion import hub_upload as hub

    kept = ["README.md", "model.safetensors", "sub/a.txt"]
    for rel in (*kept, ".git/HEAD", "sub/.git/HEAD", "sub/.cache/huggingface/x", ".cache/torch/x", "a/.git"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("---\nlicense: mit\n---\n" if rel == "README.md" else "x")
    plan = [path for path, _ in hub.upload_plan(tmp_path)]
    assert plan == kept
    for path in plan:  # the Hub's own check of a path in a repository
        CommitOperationAdd(path_in_repo=path, path_or_fileobj=tmp_path / path)

    class RefusedConnection(huggingface_hub.HfApi):  # the real commit, against a port that refuses
        def __init__(self, token=None, **kwargs):
            super().__init__(endpoint="http://127.0.0.1:9", token="hf_none")

        def create_repo(self, *args, **kwargs):  # the repository is taken as made
            pass

    monkeypatch.setattr(huggingface_hub, "HfApi", RefusedConnection)
    before = list(hub.WORK_FILES)
    for _ in range(2):
        with pytest.raises(hub.HubError, match="the folder is complete: upload it again"):
            hub.publish(tmp_path, "someone/x")
    assert hub.WORK_FILES == before and [path for path, _ in hub.upload_plan(tmp_path)] == kept


def test_a_file_removed_while_the_upload_starts_is_named_in_one_line(tmp_path, monkeypatch):
    """A file listed by the plan and gone before it was read (something still writing into the folder:
    a file replaced) gave the Hub client's raw ValueError traceback."""
    from pathlib import Path

    from bimotion import hub_upload as hub

    listed = hub.upload_plan

    def listed_then_removed(folder, **kwargs):
        plan = listed(folder, **kwargs)
        (Path(folder) / "sub" / "model.safetensors").unlink()  # removed by its writer, now
        return plan

    for rel in ("README.md", "sub/model.safetensors"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    monkeypatch.setattr(hub, "upload_plan", listed_then_removed)
    with pytest.raises(hub.HubError, match=r"stopped before sending anything: sub/model.safetensors was removed "):
        hub.publish(tmp_path, "someone/x", token="hf_none")

    def listed_then_replaced(folder, **kwargs):  # still there, but a folder now: not "removed"
        plan = listed(folder, **kwargs)
        (Path(folder) / "sub" / "model.safetensors").unlink()
        (Path(folder) / "sub" / "model.safetensors").mkdir()
        return plan

    (tmp_path / "sub" / "model.safetensors").write_text("x")
    monkeypatch.setattr(hub, "upload_plan", listed_then_replaced)
    with pytest.raises(hub.HubError, match=r"sub/model.safetensors is no longer a file \(.*\) while the upload"):
        hub.publish(tmp_path, "someone/x", token="hf_none")


def test_the_temporary_file_of_a_killed_write_is_never_uploaded(tmp_path):
    """A write killed before its rename (scores.json, a prediction file, run_identity.json) leaves
    ``.NAME.<machine>-<pid>.<random>SUFFIX`` beside its target: push listed and uploaded it."""
    import os

    from bimotion.hub_upload import upload_plan
    from loaders.files import temp_file_beside

    for rel in ("README.md", "scores.json", "sub/preds.npz"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    left = []
    for rel, suffix in (("scores.json", ".tmp"), ("sub/preds.npz", ".tmp.npz"), ("out.csv", ".partial")):
        fd, tmp = temp_file_beside(tmp_path / rel, suffix)  # the writer is killed here: never renamed
        os.close(fd)
        left.append(tmp)
    assert all(tmp.is_file() for tmp in left)
    assert upload_plan(tmp_path) == [("README.md", 1), ("scores.json", 1), ("sub/preds.npz", 1)]


def test_a_dry_run_publish_returns_the_plan_and_never_opens_the_hub(tmp_path, monkeypatch):
    import huggingface_hub

    def no_hub(*args, **kwargs):
        raise AssertionError("a dry run must not reach the Hub")

    monkeypatch.setattr(huggingface_hub, "HfApi", no_hub)
    (tmp_path / "README.md").write_text("card\n")
    assert publish(tmp_path, "someone/x", repo_type="dataset", dry_run=True) == [("README.md", 5)]


def test_publish_sends_the_plan_its_caller_printed_not_a_new_listing(tmp_path, hub):
    """``bimotion push`` prints the plan, then writes the card anew and uploads: a file that appears in
    between (a run still writing) is not sent, since it was not in what the user was shown."""
    (tmp_path / "README.md").write_text("card\n")
    (tmp_path / "config.json").write_text("{}\n")
    plan = upload_plan(tmp_path)
    (tmp_path / "late.bin").write_bytes(b"written after the listing")
    assert publish(tmp_path, "someone/x", token="hf_none", plan=plan) == plan
    [commit] = [call for name, call in hub if name == "create_commit"]
    assert commit["sent"] == {"README.md": b"card\n", "config.json": b"{}\n"}


def test_every_named_language_has_the_hubs_code():
    """The card's ``language:`` is ISO 639-1 where one exists (``jav`` -> ``jv``); the few without a
    two-letter code keep theirs."""
    from bimotion.card_metadata import hub_language
    from loaders.languages import LANGUAGE_NAMES

    codes = {code: hub_language(code) for code in LANGUAGE_NAMES}
    assert codes["jav"] == "jv" and codes["ind"] == "id" and codes["eng"] == "en"
    assert {code for code, hub in codes.items() if len(hub) != 2} == {"yue", "nan", "hak", "wuu", "fil", "ceb", "ilo"}


def test_a_second_push_deletes_the_shards_the_folder_no_longer_holds_and_keeps_the_rest(tmp_path, hub, capsys):
    """Shards are named by their content, and a push only added files: after ``prepare --overwrite``
    the repository kept every earlier shard beside the new ones, so a corpus prepared out (for its
    licence) stayed published and ``snapshot_download`` fetched both.  A dataset push now replaces
    its Parquet files under ``data/`` whole in its one commit; other files in the repository (a LICENSE
    added on the Hub) stay, and the dry run says what will happen."""
    from conftest import FakeHub

    from bimotion.cli import main

    raw = testing.make_all(tmp_path / "raw", names=("csed", "tess"))
    out = prepare(raw, tmp_path / "bimotion", progress=False).out_dir
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--token", "hf_none"]) == 0
    repo = FakeHub.repos["my-lab/bimotion"]
    assert any(path.startswith("data/tess/") for path in repo)
    repo["LICENSE"] = repo["data/README.md"] = b"ours\n"  # added on the Hub's web page
    capsys.readouterr()
    prepare({"csed": raw["csed"]}, out, progress=False, overwrite=True)  # TESS prepared out
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--dry-run"]) == 0
    assert (
        "Parquet files under data/ already in my-lab/bimotion that this push does not send (an earlier push's "
        "shards) would be deleted in the same commit\n" in capsys.readouterr().out
    )
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--token", "hf_none"]) == 0
    shards = [f for shard in read_info(out)["shards"] for f in shard["files"]]
    assert sorted(repo) == sorted([".gitattributes", "LICENSE", "data/README.md", "README.md", "prepare.json", *shards])
    assert all(repo[f] == (out / f).read_bytes() for f in shards)
    printed = capsys.readouterr().out
    *_, last = [call for name, call in hub if name == "create_commit"]
    assert last["deleted"] and all(path.startswith("data/tess/") for path in last["deleted"])
    assert (
        f"deleted from my-lab/bimotion in the same commit: {len(last['deleted'])} Parquet files under data/ that an "
        "earlier push sent and this one does not (a corpus prepared out since, or another folder's data pushed to this "
        "repository; its history keeps them): data/tess/eng_adu/" in printed
    )


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """A prepared BiMotion (CSED: zho_eld) and a prepared YueMotion, generated."""
    base = tmp_path_factory.mktemp("both")
    bim = prepare({"csed": testing.make_corpus("csed", base / "raw")}, base / "bimotion", progress=False)
    yue = prepare(
        {"yuemotion": testing.make_corpus("yuemotion", base / "raw")},
        base / "yuemotion",
        benchmark="yuemotion",
        progress=False,
    )
    return bim.out_dir, yue.out_dir


def test_a_prepared_bimotion_and_yuemotion_concatenate_with_plain_datasets(both, tmp_path):
    """BiMotion's ClassLabel names were its own (age_group [eld, adu]) and YueMotion's its own ([adu,
    eld], other corpora, groups, languages): concatenate_datasets of the two failed on their features.
    Every benchmark now declares every built-in benchmark's names in one order, so they concatenate
    and each row's labels decode by name."""
    from datasets import concatenate_datasets, load_dataset

    bim_dir, yue_dir = both
    bim = load_dataset(str(bim_dir), "zho_eld", split="test", cache_dir=str(tmp_path / "cache"))
    yue = load_dataset(str(yue_dir), "yue_eld", split="test", cache_dir=str(tmp_path / "cache"))
    assert bim.features == yue.features
    joined = concatenate_datasets([bim, yue])
    assert len(joined) == len(bim) + len(yue) > len(bim) > 0
    names = {c: joined.features[c].int2str for c in ("corpus", "group", "language", "age_group")}
    first, last = joined[0], joined[len(joined) - 1]
    assert {c: name(first[c]) for c, name in names.items()} == {
        "corpus": "csed", "group": "zho_eld", "language": "zho", "age_group": "eld"
    }  # fmt: skip
    assert {c: name(last[c]) for c, name in names.items()} == {
        "corpus": "yuemotion", "group": "yue_eld", "language": "yue", "age_group": "eld"
    }  # fmt: skip
    assert joined.features["age_group"].names == ["eld", "adu"]  # BiMotion's order first, the same in both
    assert set(joined.features["emotions"].feature.int2str(last["emotions"])) <= set(
        bim.features["emotions"].feature.names
    )


def test_training_reads_labels_by_name_from_a_yuemotion_prepared_with_its_own_names(both, tmp_path, monkeypatch):
    """A folder prepared before the names were shared (YueMotion's age_group [adu, eld]) beside one
    prepared now: training reads both by name, so no row takes the other's label for the same id."""
    import sys

    import bimotion
    from bimotion.registry import BUILTIN
    from bimotion.training.data import Sources, column, load_split

    def own_names(benchmarks, rows=()):  # what prepare declared before: the prepared benchmark's alone
        names = categories_now([], rows)
        bench = next(iter(benchmarks))
        return {**names, "age_group": ("adu", "eld"), "corpus": bench.corpora, "group": bench.groups}

    module = sys.modules["bimotion.prepare"]
    categories_now = module.categories
    monkeypatch.setattr(module, "categories", own_names)
    raw = testing.make_corpus("yuemotion", tmp_path / "raw")
    old = prepare({"yuemotion": raw}, tmp_path / "old", benchmark=BUILTIN["yuemotion"], progress=False).out_dir
    monkeypatch.undo()
    assert bimotion.load(old, "yue_eld", split="test").features["age_group"].names == ["adu", "eld"]
    test = load_split(
        Sources(bimotion=str(both[0]), yuemotion=str(old), cache_dir=str(tmp_path / "c")),
        ["zho_eld", "yue_eld"],
        "test",
    )
    assert set(zip(column(test, "corpus"), column(test, "group"), strict=True)) == {
        ("csed", "zho_eld"),
        ("yuemotion", "yue_eld"),
    }


def test_the_cards_dataset_info_gives_each_configs_features_and_split_sizes_as_datasets_reads_them(csed, tmp_path):
    """The card's YAML had no dataset_info (features, splits with num_examples and num_bytes,
    dataset_size), which the Hub's viewer and `datasets` read.  It now has one per config, summed from
    what prepare wrote; `datasets` checks its counts when it loads the folder."""
    import yaml
    from datasets import load_dataset

    from bimotion.features import features

    info = read_info(csed)
    header = yaml.safe_load((csed / "README.md").read_text(encoding="utf-8").split("---\n", 2)[1])
    described = {entry["config_name"]: entry for entry in header["dataset_info"]}
    assert set(described) == set(config_files(info))
    for config in ("zho_eld", "all"):
        entry = described[config]
        assert features(info["class_names"])._to_yaml_list() == entry["features"]
        ds = load_dataset(str(csed), config, cache_dir=str(tmp_path / "cache"))
        assert ds["train"].features == features(info["class_names"])
        splits = {split["name"]: split for split in entry["splits"]}
        assert {name: split["num_examples"] for name, split in splits.items()} == {s: ds[s].num_rows for s in ds}
        assert {s["split"]: s["rows"] for s in info["shards"]} == {s: ds[s].num_rows for s in ds}  # csed: one group
        for name, split in splits.items():  # the Arrow size `datasets` records, to a byte per column and row group
            assert abs(split["num_bytes"] - ds[name].info.splits[name].num_bytes) <= len(ds[name].column_names)
        assert entry["dataset_size"] == sum(split["num_bytes"] for split in splits.values()) > 0
        on_disk = sum((csed / rel).stat().st_size for paths in config_files(info)[config].values() for rel in paths)
        assert entry["download_size"] == on_disk
    before = {**info, "shards": [{k: v for k, v in s.items() if "bytes" not in k} for s in info["shards"]]}
    assert "dataset_info:" not in render(before) and "dataset_info:" in render(info)  # prepared before: none, as then


def test_prepare_says_in_one_line_when_a_corpus_of_ones_own_declares_no_licence(tmp_path, capsys):
    """prepare said nothing of a user corpus without a licence (no README `license:`, no --license),
    and its card said `license: other` unasked (now `unknown`, the Hub's id for a licence nobody declared).  It
    now says so in one line, with how to set it; a declared licence gets no such line."""
    from huggingface_hub import DatasetCard

    from bimotion.cli import main

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="carehome")
    (root / "README.md").write_text("---\npretty_name: carehome\n---\n# carehome\n", encoding="utf-8")
    assert main(["prepare", "-q", "--source", f"carehome={root}", "--output", str(tmp_path / "a")]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if "licence" in line]
    assert len(said) == 1 and said[0].startswith("note: your corpus carehome declares no licence")
    assert "`--license carehome=TEXT`" in said[0] and "says `unknown`" in said[0]
    assert DatasetCard.load(tmp_path / "a" / "README.md").data.license == "unknown"
    argv = ["prepare", "-q", "--source", f"carehome={root}", "--license", "carehome=cc-by-4.0"]
    assert main([*argv, "--output", str(tmp_path / "b")]) == 0
    assert "licence" not in capsys.readouterr().out


def test_the_dataset_card_of_ones_own_corpus_says_its_names_are_its_own_and_how_to_concatenate(csed, tmp_path):
    """The card of a dataset with a corpus of one's own said its ClassLabel names were those of every
    dataset bimotion prepares, "so `datasets.concatenate_datasets` joins" it with another; with one of
    the built-in corpora alone that fails on the features.  It now names its own values and with_names."""
    from datasets import concatenate_datasets, load_dataset

    from bimotion.cli import main
    from bimotion.data.reading import with_names

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="carehome", language="ind", age_groups=("eld",))
    own = tmp_path / "own"
    assert main(["prepare", "-q", "--source", f"carehome={root}", "--output", str(own)]) == 0
    shared = "so `datasets.concatenate_datasets` joins a split of this dataset with one of the other."
    assert shared in (csed / "README.md").read_text(encoding="utf-8")
    card = (own / "README.md").read_text(encoding="utf-8")
    assert shared not in card
    assert "then this dataset's own (`corpus`: carehome; `group`: ind_eld; `language`: ind)" in card
    assert "call `bimotion.data.reading.with_names(ds)` on each first" in card
    # what the card says holds: plain concatenation fails, after with_names it joins
    cache = str(tmp_path / "cache")
    mine = load_dataset(str(own), "ind_eld", split="test", cache_dir=cache)
    builtin = load_dataset(str(csed), "zho_eld", split="test", cache_dir=cache)
    with pytest.raises(ValueError, match="features can't be aligned"):
        concatenate_datasets([mine, builtin])
    joined = concatenate_datasets([with_names(mine), with_names(builtin)])
    assert {joined[0]["corpus"], joined[len(joined) - 1]["corpus"]} == {"carehome", "csed"}
