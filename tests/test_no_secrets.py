"""Nothing secret or local is published: a Hub token given on the command line reaches no file of the
model folder (``training_args.bin`` and checkpoints included), no log and no upload; repositories
are private unless asked otherwise; scores.json and the model card hold no local absolute path.
The Hub is replaced by a local fake at the network boundary (``huggingface_hub.HfApi``) only: the
``hub`` fixture (conftest.py)."""

from __future__ import annotations

import io
import json
import logging
import shutil
from pathlib import Path

import pytest
import torch
from conftest import load_recipe as recipe

from bimotion.training import testing

REPO = Path(__file__).resolve().parents[1]
SECRET = "hf_SECRETxyz"
torch.set_num_threads(2)


def files_holding(root: Path, needle: str) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()
    )


def test_a_token_on_the_command_line_reaches_no_file_log_or_upload(tmp_path, hub, capfd, caplog):
    from bimotion.training.outputs import IDENTITY_FILE

    tiny = testing.save_tiny_model(tmp_path / "tiny")
    testing.write_prepared(
        tmp_path / "bimotion",
        shards=[("csed", "zho_eld")],
        emotions=("sadness", "anger"),
        sizes={"train": 8, "validation": 4, "test": 4},
    )
    out = tmp_path / "model"
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(tmp_path / "bimotion")]
    argv += ["--dataset_cache_dir", str(tmp_path / "cache"), "--output_dir", str(out)]
    argv += "--train_configs zho_eld --test_configs zho_eld --num_train_epochs 1 --classifier_proj_size 16".split()
    argv += "--disable_tqdm true --dataloader_pin_memory false --log_level debug --logging_steps 1".split()
    argv += ["--push_to_hub", "--hub_model_id", "someone/ser-zho-eld", "--hub_token", SECRET]
    # a handler of our own on the library's logger: earlier tests may have changed its propagation
    library_log = io.StringIO()
    handler = logging.StreamHandler(library_log)
    logging.getLogger("transformers").addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            assert recipe("train").main(argv) == 0
    finally:
        logging.getLogger("transformers").removeHandler(handler)

    assert (out / "training_args.bin").is_file() and list(out.glob("checkpoint-*/training_args.bin"))
    assert files_holding(tmp_path, SECRET) == []  # model folder, checkpoints, card, scores, caches
    captured = capfd.readouterr()
    logs = captured.out + captured.err + caplog.text + library_log.getvalue()
    assert SECRET not in logs
    assert "Running training" in logs  # the debug logs were there to search
    # the token goes to the Hub client and nowhere else; the new repository is private
    assert ("init", {"token": SECRET}) in hub
    (create,) = [kwargs for name, kwargs in hub if name == "create_repo"]
    assert create["repo_id"] == "someone/ser-zho-eld" and create["private"] is True
    (upload,) = [kwargs for name, kwargs in hub if name == "create_commit"]
    assert SECRET not in repr(upload) and upload["sent"]["config.json"] == (out / "config.json").read_bytes()
    assert not any(path.startswith("checkpoint-") for path in upload["sent"])
    # what resuming checks stays with the run: bimotion's own, and its arguments may name local files
    assert (out / IDENTITY_FILE).is_file() and IDENTITY_FILE not in upload["sent"]
    # pickling drops the token (as TrainingArguments.to_dict does); the object kept it to publish with
    saved = torch.load(out / "training_args.bin", weights_only=False)
    assert saved.hub_token is None and saved.hub_private_repo is True

    # no local absolute path in what is published about the run: every file of the upload (the card,
    # scores.json, and transformers' trainer_state.json and training_args.bin, a zip that stores its pickle as is)
    from bimotion.hub_upload import upload_plan

    published = [name for name, _ in upload_plan(out)]
    assert {"README.md", "scores.json", "trainer_state.json", "training_args.bin"} <= set(published)
    for name in published:
        assert str(tmp_path).encode() not in (out / name).read_bytes(), name
    assert saved.output_dir == "local:model"
    summary = json.loads((out / "scores.json").read_text())
    assert summary["base_model"] == "local:tiny" and summary["datasets"] == {"bimotion": "local:bimotion"}
    assert summary["selection"]["best_checkpoint"].startswith("checkpoint-")
    # the command line it records names the token's flag, not its value
    assert summary["provenance"]["command"][-2:] == ["--hub_token", "<hidden>"]


def test_model_repositories_are_private_unless_asked_public(tmp_path, hub):
    from bimotion.hub_upload import publish
    from bimotion.training.training_args import SERTrainingArguments

    (tmp_path / "README.md").write_text("card\n")
    assert SERTrainingArguments(output_dir=str(tmp_path)).hub_private_repo is True
    assert SERTrainingArguments(output_dir=str(tmp_path), public=True).hub_private_repo is False
    assert SERTrainingArguments(output_dir=str(tmp_path), hub_private_repo=False).hub_private_repo is False
    with pytest.raises(ValueError, match="--public contradicts --hub_private_repo"):
        SERTrainingArguments(output_dir=str(tmp_path), public=True, hub_private_repo=True)
    for private, expected in ((None, True), (True, True), (False, False)):
        publish(tmp_path, "someone/model", private=private)
        assert [kw["private"] for name, kw in hub if name == "create_repo"][-1] is expected


def test_dataset_push_is_private_by_default_and_prints_no_token(tmp_path, hub, capsys):
    from bimotion.cli import main
    from bimotion.prepare import prepare
    from loaders import testing as corpora

    raw = corpora.make_corpus("csed", tmp_path / "raw" / "csed")
    out = prepare({"csed": raw}, tmp_path / "bimotion", progress=False).out_dir
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--token", SECRET]) == 0
    assert main(["push", str(out), "--repo-id", "my-lab/bimotion", "--token", SECRET, "--public"]) == 0
    printed = capsys.readouterr()
    assert SECRET not in printed.out + printed.err and "(private)" in printed.out and "(PUBLIC)" in printed.out
    assert [kw["private"] for name, kw in hub if name == "create_repo"] == [True, False]
    assert [kw["repo_type"] for name, kw in hub if name == "create_repo"] == ["dataset", "dataset"]
    # nothing written but where the folder went, for the cards of models trained on it (test_push_links.py)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file() and p != out / "pushed.json"}
    assert after == before and json.loads((out / "pushed.json").read_text())["hub_id"] == "my-lab/bimotion"
    assert files_holding(tmp_path, SECRET) == []
    # the card the Hub shows loads the repository, not "path/to/this/folder"; the folder's copy is unchanged
    card = (out / "README.md").read_text()
    assert 'load_dataset("path/to/this/folder", "' in card
    sent = [kw["sent"] for name, kw in hub if name == "create_commit"][-1]
    assert sent["README.md"].decode() == card.replace("path/to/this/folder", "my-lab/bimotion").replace(
        "# or a Hub repo id", "# or a local copy's folder"
    )
    assert "README.md is sent naming my-lab/bimotion (the folder's copy stays as it is)" in printed.out
    info = json.loads((out / "prepare.json").read_text())
    assert sorted(sent) == sorted(
        ["README.md", "prepare.json", *(f for shard in info["shards"] for f in shard["files"])]
    )
    assert all(sent[f] == (out / f).read_bytes() for f in sent if f != "README.md")


def test_a_model_folder_pushed_later_gets_a_card_that_loads_its_new_repository(tmp_path, hub, capsys):
    """A model trained without a Hub id (as the grid's are) is pushed by ``bimotion push``: its card's
    snippet and scores.json name the repository, its checkpoints stay behind, the repo is private."""
    from bimotion.cli import main

    tiny = testing.save_tiny_model(tmp_path / "tiny")
    testing.write_prepared(
        tmp_path / "bimotion", shards=[("tess", "eng_eld")], sizes={"train": 8, "validation": 4, "test": 4}
    )
    out = tmp_path / "model"
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(tmp_path / "bimotion")]
    argv += ["--dataset_cache_dir", str(tmp_path / "cache"), "--output_dir", str(out)]
    argv += "--train_configs eng_eld --num_train_epochs 1 --classifier_proj_size 16 --disable_tqdm true".split()
    assert recipe("train").main(argv) == 0
    assert "path/to/" in (out / "README.md").read_text() and list(out.glob("checkpoint-*"))
    # as a model folder trained before training_args.bin held plain TrainingArguments and the folder's
    # trainer_state.json named its best checkpoint relative to it: bimotion's class, this machine's paths
    from bimotion.training.training_args import SERTrainingArguments

    torch.save(SERTrainingArguments(output_dir=str(out)), out / "training_args.bin")
    state = json.loads((out / "trainer_state.json").read_text())
    state["best_model_checkpoint"] = str(out / state["best_model_checkpoint"])
    (out / "trainer_state.json").write_text(json.dumps(state))

    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(["push", str(out), "--repo-id", "my-lab/ser-eng-eld", "--dry-run"]) == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before  # a dry run writes nothing
    assert hub == []
    printed = capsys.readouterr().out
    assert "training_args.bin would be written again as plain TrainingArguments" in printed
    assert "trainer_state.json would be written again naming its best checkpoint relative" in printed
    assert main(["push", str(out), "--repo-id", "my-lab/ser-eng-eld", "--token", SECRET]) == 0
    (upload,) = [kw for name, kw in hub if name == "create_commit"]
    assert not [name for name, sent in upload["sent"].items() if str(tmp_path).encode() in sent]
    assert b"bimotion.training." not in upload["sent"]["training_args.bin"]
    sent_args = torch.load(io.BytesIO(upload["sent"]["training_args.bin"]), weights_only=False)
    assert type(sent_args).__module__ == "transformers.training_args" and sent_args.output_dir == "local:model"
    assert json.loads(upload["sent"]["trainer_state.json"])["best_model_checkpoint"].startswith("checkpoint-")
    printed = capsys.readouterr()
    assert "https://huggingface.co/my-lab/ser-eng-eld (private)" in printed.out
    assert "warning: this model is built on synthetic demo data" in printed.err  # a warning, not a refusal
    card = (out / "README.md").read_text()
    assert 'pipeline("audio-classification", model="my-lab/ser-eng-eld"' in card and "path/to/" not in card
    assert json.loads((out / "scores.json").read_text())["hub_model_id"] == "my-lab/ser-eng-eld"
    assert str(tmp_path) not in card + (out / "scores.json").read_text()
    (create,) = [kw for name, kw in hub if name == "create_repo"]
    assert create == {"repo_id": "my-lab/ser-eng-eld", "repo_type": "model", "private": True, "exist_ok": True}
    assert upload["sent"]["README.md"] == card.encode() and not any(p.startswith("checkpoint-") for p in upload["sent"])
    assert files_holding(tmp_path, SECRET) == []

    # pushed again elsewhere: the snippet moves on from the first repository
    assert main(["push", str(out), "--repo-id", "other-lab/ser-eng-eld", "--dry-run"]) == 0
    assert main(["push", str(out), "--repo-id", "other-lab/ser-eng-eld", "--token", SECRET]) == 0
    card = (out / "README.md").read_text()
    assert 'model="other-lab/ser-eng-eld"' in card and "my-lab/" not in card

    # what cannot be pushed is refused before anything is written or sent, naming why
    capsys.readouterr()
    uploads = len([c for c in hub if c[0] == "create_commit"])
    edited = tmp_path / "edited"
    shutil.copytree(out, edited, ignore=shutil.ignore_patterns("checkpoint-*"))
    (edited / "README.md").write_text("# my own card\n")
    (tmp_path / "neither").mkdir()
    probe = tmp_path / "probe-head"
    probe.mkdir()
    (probe / "probe.pt").write_bytes(b"")
    (probe / "scores.json").write_text("{}")
    mixed = tmp_path / "model-and-probe"
    shutil.copytree(edited, mixed)
    (mixed / "probe.json").write_text("{}")
    both = tmp_path / "both"
    shutil.copytree(edited, both)
    (both / "prepare.json").write_text("{}")
    for folder, message in (
        (edited, "has no how-to snippet loading"),
        (tmp_path / "neither", "neither a prepared folder (prepare.json) nor a fine-tuned model folder"),
        (probe, "is a probe head"),
        (both, "holds both a prepared dataset"),
        (mixed, "holds both a fine-tuned model (config.json) and a probe (probe.json)"),
        (tmp_path / "typo", f"{tmp_path / 'typo'}: no such folder"),  # was "neither a prepared folder nor ..."
    ):
        before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        assert main(["push", str(folder), "--repo-id", "my-lab/x", "--token", SECRET]) == 2, folder
        assert message in capsys.readouterr().err
        assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert len([c for c in hub if c[0] == "create_commit"]) == uploads
