"""Where ``recipes/infer.py`` writes its scores: ``--output_file``, else ``inference_<split>.json`` in
``--output_dir``, else in the model folder.  ``--output_dir`` was accepted (the recipe shares the
training dataclasses) and ignored: the scores went into the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import load_recipe as recipe
from conftest import train_one_step

from bimotion.training import testing

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """A small prepared folder and a tiny fine-tuned-like classifier (13-label head, 3 trained labels)."""
    from bimotion.training.model import build_model, suppress_untrained

    root = tmp_path_factory.mktemp("infer_output")
    data = testing.write_prepared(root / "data", shards=[("csed", "zho_eld")])
    model, fe = build_model(str(testing.save_tiny_model(root / "tiny")), classifier_proj_size=16)
    model.config.trained_labels = ["neutral", "positive", "negative"]
    suppress_untrained(model)
    model.save_pretrained(root / "model")
    fe.save_pretrained(root / "model")
    return {"data": data, "model": root / "model"}


def _infer(made, *argv: str) -> int:
    base = ["--model", str(made["model"]), "--bimotion", str(made["data"]), "--disable_tqdm", "true"]
    return recipe("infer").main([*base, *argv])


def test_scores_go_to_the_output_dir_and_the_output_file_wins_over_it(made, tmp_path, capsys):
    out = tmp_path / "scores" / "new"  # made as needed
    assert _infer(made, "--output_dir", str(out), "--split", "validation") == 0
    written = out / "inference_validation.json"
    assert json.loads(written.read_text())["split"] == "validation"
    assert not list(made["model"].glob("inference_*.json"))  # the model folder is left as it was
    assert f"scores of {made['model']}: {written}" in capsys.readouterr().out
    named = tmp_path / "named.json"
    assert _infer(made, "--output_dir", str(out), "--output_file", str(named)) == 0
    assert named.is_file() and not (out / "inference_test.json").exists()


def test_a_test_set_prepared_again_with_another_seed_is_said_to_hold_training_clips(tmp_path, capsys):
    """CSED prepared twice (--seed 0, --seed 1), a model trained on the first and scored on the second:
    126 of the 400 test clips of the real CSED were in the model's train_manifest.txt, and the scores
    were written as an ordinary in-group test, the data named only as ``local:csed-seed1``.  Now one
    warning names the count, the data and the model, the file and the table mark the scores, and the
    file records the scored data's protocol, seed and prepare.json digest."""
    import hashlib

    from bimotion.cli import main
    from bimotion.training.data import Sources, load_split
    from loaders import testing as corpora

    raw = corpora.make_corpus("csed", tmp_path / "raw")
    prepared = {seed: tmp_path / f"csed-seed{seed}" for seed in (0, 1)}
    for seed, folder in prepared.items():
        assert main(["prepare", "-q", "--source", f"csed={raw}", "--seed", str(seed), "-o", str(folder)]) == 0
    trained, cache = tmp_path / "zho_eld", str(tmp_path / "cache")
    tiny = testing.save_tiny_model(tmp_path / "tiny")
    assert train_one_step(tiny, prepared[0], trained, "zho_eld", cache=cache) == 0
    manifest = set((trained / "train_manifest.txt").read_text().split())
    test_ids = set(load_split(Sources(bimotion=str(prepared[1]), cache_dir=cache), ["zho_eld"], "test")["id"])
    shared = len(test_ids & manifest)
    assert 0 < shared < len(test_ids)  # a new draw: some of its test clips were the first one's training clips
    capsys.readouterr()

    scores = tmp_path / "seed1.json"
    base = ["--model", str(trained), "--dataset_cache_dir", cache, "--disable_tqdm", "true", "--configs", "zho_eld"]
    assert recipe("infer").main([*base, "--bimotion", str(prepared[1]), "--output_file", str(scores)]) == 0
    out, err = capsys.readouterr()
    said = f"warning: {shared} of the {len(test_ids)} test clips scored (bimotion {prepared[1]}) are clips {trained}"
    assert said in err and f"zho_eld {shared} of {len(test_ids)}" in err, err
    assert "zho_eld ‡" in out and f"‡ scored on clips the model trained on, not held out: zho_eld {shared} of" in out
    written = json.loads(scores.read_text())
    seen = written["training_clips"]
    assert (seen["checked"], seen["clips"], seen["of"], seen["by_id"]) == (True, shared, len(test_ids), shared)
    assert seen["groups"] == {"zho_eld": {"clips": shared, "of": len(test_ids)}}
    assert set(seen["examples"]) <= manifest & test_ids
    assert written["test"]["groups"]["zho_eld"]["training_clips"] == shared
    # its relation, the table's column beside the mark, no longer says a held-out in-group score
    assert written["relation"] == {"zho_eld": "in_group_not_held_out"}
    assert next(line for line in out.splitlines() if line.startswith("zho_eld ‡")).split()[2] == "in_group_not_held_out"
    digest = "sha256:" + hashlib.sha256((prepared[1] / "prepare.json").read_bytes()).hexdigest()
    assert written["scored_data"] == {
        "bimotion": {"source": "local:csed-seed1", "protocol": "paper", "seed": 1, "prepare.json": digest}
    }

    # the data it was trained from: its test clips are held out, and nothing is said
    assert recipe("infer").main([*base, "--bimotion", str(prepared[0]), "--output_file", str(scores)]) == 0
    out, err = capsys.readouterr()
    assert "‡" not in out and "trained on (" not in err
    assert json.loads(scores.read_text())["relation"] == {"zho_eld": "in_group"}
    assert json.loads(scores.read_text())["training_clips"] == {
        "checked": True, "clips": 0, "of": len(test_ids), "by_id": 0, "by_identical_audio": 0, "groups": {},
        "examples": [],
    }  # fmt: skip


def test_a_test_clip_whose_audio_the_model_trained_on_under_another_name_is_counted(tmp_path, capsys):
    """A user's own split (its ``split`` column) put a copy of a training recording in the test set
    under another name: prepare lists the pair as identical audio split apart, and scoring counts the
    test clip as one the model trained on (by identical audio, its id being in no manifest)."""
    import shutil

    from bimotion.cli import main
    from loaders import testing as corpora

    raw = corpora.make_corpus("audiofolder", tmp_path / "raw", split_column=True)
    heard, copy = "clips/ind-eld-s0/ind-eld-s0_000.wav", "clips/ind-eld-s3/ind-eld-s3_000.wav"  # train, test
    assert (
        f"{copy},senang," not in (raw / "metadata.csv").read_text() and f"{copy}," in (raw / "metadata.csv").read_text()
    )
    shutil.copyfile(raw / heard, raw / copy)
    prepared = tmp_path / "mine"
    assert main(["prepare", "-q", "--source", f"carehome={raw}", "-o", str(prepared)]) == 0
    listed = json.loads((prepared / "prepare.json").read_text())["identical_audio"]["carehome"]["listed"]
    assert [f"carehome/{heard}", f"carehome/{copy}"] in listed["split_apart"]
    trained, cache = tmp_path / "ind_eld", str(tmp_path / "cache")
    tiny = testing.save_tiny_model(tmp_path / "tiny")
    assert train_one_step(tiny, prepared, trained, "ind_eld", cache=cache) == 0
    assert f"carehome/{copy}" not in (trained / "train_manifest.txt").read_text().split()
    capsys.readouterr()
    scores = tmp_path / "scores.json"
    base = [
        "--model",
        str(trained),
        "--dataset_cache_dir",
        cache,
        "--disable_tqdm",
        "true",
        "--bimotion",
        str(prepared),
    ]
    assert recipe("infer").main([*base, "--configs", "ind_eld", "--output_file", str(scores)]) == 0
    seen = json.loads(scores.read_text())["training_clips"]
    assert (seen["clips"], seen["by_id"], seen["by_identical_audio"]) == (1, 0, 1)
    assert seen["examples"] == [f"carehome/{copy}"]
    assert "(0 by clip id, 1 by identical audio; its train_manifest.txt): ind_eld 1 of" in capsys.readouterr().err


def test_a_gpu_training_files_precision_flags_are_said_not_silently_dropped(made, tmp_path, capsys, monkeypatch):
    """A GPU training's arguments file given to infer.py on a machine without a GPU had its `bf16: true` and
    `tf32: true` read as false (so that transformers does not refuse them) with nothing said at run time.
    One note names the file, its keys and values as written, and what infer.py does instead (float32 on the
    CPU, :func:`bimotion.training.inference.scoring_precision`'s rule there); a file whose flags are
    already off gets none."""
    import yaml

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # this machine's, on any machine
    values = {"model": str(made["model"]), "bimotion": str(made["data"]), "disable_tqdm": True}
    values["output_file"] = str(tmp_path / "scores.json")
    args = tmp_path / "args.yaml"
    args.write_text(yaml.safe_dump({**values, "bf16": True, "tf32": True, "learning_rate": 1e-4}, sort_keys=False))
    assert recipe("infer").main([str(args)]) == 0
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if line.startswith("note:") and "not read" in line]
    assert said == [
        f"note: {args}'s bf16: true, tf32: true are not read: infer.py does not train, and scores in float32 on "
        "the CPU (this machine has no GPU)"
    ], err
    args.write_text(yaml.safe_dump({**values, "fp16": False, "tf32": False}))
    assert recipe("infer").main([str(args)]) == 0
    assert "not read" not in capsys.readouterr().err


def test_the_note_says_the_precision_a_gpu_scores_in(tmp_path):
    """On a GPU (`scoring_said`'s wording there, checked without one): the precision the model trained in,
    named where its scores.json records it."""
    from types import SimpleNamespace

    infer = recipe("infer")
    with pytest.MonkeyPatch.context() as patch:
        import bimotion.training.inference as inference

        patch.setattr(inference, "scoring_device", lambda use_cpu: "cpu" if use_cpu else "cuda")
        patch.setattr(torch.cuda, "is_available", lambda: True)
        args = SimpleNamespace(use_cpu=False)
        said = infer.scoring_said(SimpleNamespace(model="org/hub-model"), None, args)
        assert "on the GPU in the precision the model trained in" in said and "bfloat16 where none" in said
        (tmp_path / "scores.json").write_text(json.dumps({"hyperparameters": {"precision": "fp16"}}))
        said = infer.scoring_said(SimpleNamespace(model=str(tmp_path)), None, args)
        assert said.endswith("scores on the GPU in float16, the precision the model trained in"), said
        assert infer.scoring_said(SimpleNamespace(model="m"), None, SimpleNamespace(use_cpu=True)).endswith(
            "scores in float32 on the CPU (--use_cpu)"
        )


def test_a_group_scored_on_some_of_its_corpora_is_named_so_in_the_table(made, tmp_path, capsys):
    """``--configs "yue_eld[carehome]"`` (a care home's own Cantonese elderly, beside YueMotion's) printed its
    score as ``yue_eld``, which the table of the training run had given for the whole group (YueMotion's and
    the care home's corpora): a user read the care home's 84.5 as the group's.  The table names it as
    ``--configs`` did, as train.py's end table and the model card do."""
    data = testing.write_prepared(tmp_path / "data", shards=[("crema_d", "eng_eld"), ("tess", "eng_eld")])
    base = ["--model", str(made["model"]), "--bimotion", str(data), "--disable_tqdm", "true"]
    scores = ["--output_file", str(tmp_path / "scores.json")]
    assert recipe("infer").main([*base, *scores, "--configs", "eng_eld[tess]"]) == 0
    rows = capsys.readouterr().out.split("test scores per group")[1].splitlines()
    assert rows[2].startswith("eng_eld[tess] "), rows
    assert recipe("infer").main([*base, *scores, "--configs", "eng_eld"]) == 0  # the whole group: its plain name
    rows = capsys.readouterr().out.split("test scores per group")[1].splitlines()
    assert rows[2].startswith("eng_eld ") and "[" not in rows[2], rows
