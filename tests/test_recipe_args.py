"""Every recipe rejects a bad argument up front, before any data is read or any model is built: a
usage error (exit code 2) whose one error line names the argument, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_recipe as recipe

from bimotion.training import testing

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("args")
    (root / "raw").mkdir()
    (root / "raw" / "clip.wav").write_bytes(b"RIFF")  # a raw corpus folder, not a prepared dataset
    (root / "empty").mkdir()
    (root / "a_file").write_text("x")
    (root / "bimotion_info").mkdir()  # what `bimotion prepare` writes first: which benchmark the folder holds
    (root / "bimotion_info" / "prepare.json").write_text('{"benchmark": "bimotion"}')
    (root / "bad_training.yaml").write_text("tables: [table3]\ntiny_model: {}\ntraining:\n  learning_rate: 0\n")
    (root / "bad_key.yaml").write_text("tables: [table3]\nepochs: 3\n")
    return {
        "tiny": str(testing.save_tiny_model(root / "tiny")),
        "data": str(testing.write_prepared(root / "bimotion", shards=[("csed", "zho_eld")])),
        "out": str(root / "out"),
        "root": str(root),
    }


TRAIN = ["--model_name_or_path", "{tiny}", "--bimotion", "{data}", "--output_dir", "{out}"]
CASES = [
    # recipe, arguments, the argument the error must name
    ("train", ["--model_name_or_path", "/no/such/model", "--train_configs", "zho_eld"], "--model_name_or_path"),
    ("train", ["--model_name_or_path", "{root}/empty", "--train_configs", "zho_eld"], "--model_name_or_path"),
    ("train", ["--bimotion", "{root}/raw", "--train_configs", "zho_eld"], "--bimotion"),
    ("train", ["--bimotion", "/no/such/bimotion", "--train_configs", "zho_eld"], "--bimotion"),
    (
        "train",
        ["--yuemotion", "{root}/bimotion_info", "--train_configs", "zho_eld"],
        "--yuemotion",
    ),  # BiMotion data as YueMotion
    ("train", ["--train_configs", "zho_eldd"], "--train_configs"),
    ("train", ["--train_configs", "yue_adu"], "--yuemotion"),
    ("train", ["--train_configs", "zho_eld", "--test_configs", "nope"], "--test_configs"),
    ("train", ["--train_configs", "zho_eld", "--validation_configs", "eng_adu[nope]"], "--validation_configs"),
    ("train", ["--train_configs", "zho_eld", "--learning_rate", "0"], "--learning_rate"),
    ("train", ["--train_configs", "zho_eld", "--learning_rate", "-1e-3"], "--learning_rate"),
    ("train", ["--train_configs", "zho_eld", "--learning_rate", "fast"], "--learning_rate"),
    ("train", ["--train_configs", "zho_eld", "--num_train_epochs", "0"], "--num_train_epochs"),
    ("train", ["--train_configs", "zho_eld", "--per_device_train_batch_size", "0"], "--per_device_train_batch_size"),
    ("train", ["--train_configs", "zho_eld", "--per_device_eval_batch_size", "-2"], "--per_device_eval_batch_size"),
    ("train", ["--train_configs", "zho_eld", "--gradient_accumulation_steps", "0"], "--gradient_accumulation_steps"),
    ("train", ["--train_configs", "zho_eld", "--max_steps", "0"], "--max_steps"),
    ("train", ["--train_configs", "zho_eld", "--seed", "-1"], "--seed"),
    ("train", ["--train_configs", "zho_eld", "--dropout", "1.5"], "--dropout"),
    ("train", ["--train_configs", "zho_eld", "--max_duration_s", "0"], "--max_duration_s"),
    ("train", ["--train_configs", "zho_eld", "--early_stopping_patience", "-1"], "--early_stopping_patience"),
    ("train", ["--train_configs", "zho_eld", "--push_to_hub"], "--hub_model_id"),
    ("train", ["--train_configs", "zho_eld", "--push_to_hub", "--hub_model_id", "no id"], "--hub_model_id"),
    ("train", ["--train_configs", "zho_eld", "--public", "--hub_private_repo", "true"], "--public"),
    ("train", ["--train_configs", "zho_eld", "--push_dry_run"], "--push_dry_run"),
    ("train", ["--train_configs", "zho_eld", "--output_dir", "{root}/a_file"], "--output_dir"),
    ("train", ["--train_configs", "zho_eld", "--eval_strategy", "steps", "--save_strategy", "epoch"], "strategy"),
    ("train", ["--train_configs", "zho_eld", "--no_such_flag", "1"], "--no_such_flag"),
    ("augment", ["--target", "xyz_eld"], "--target"),
    ("augment", ["--target", "zho_eld", "--mixture", "everything"], "--mixture"),
    ("augment", ["--target", "zho_eld", "--languages", "klingon"], "--languages"),
    ("augment", ["--target", "zho_eld", "--age_groups", "teen"], "--age_groups"),
    ("augment", ["--target", "zho_eld", "--selection_on", "test"], "--selection_on"),
    ("augment", ["--target", "yue_adu"], "--yuemotion"),
    ("augment", ["--target", "zho_eld", "--num_train_epochs", "0"], "--num_train_epochs"),
    ("infer", ["--model", "/no/such/model", "--bimotion", "{data}"], "--model"),
    ("infer", ["--model", "{root}/empty", "--bimotion", "{data}"], "--model"),
    ("infer", ["--model", "{tiny}"], "--bimotion"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--split", "dev"], "--split"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--configs", "nope"], "--configs"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--output_file", "{root}"], "--output_file"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--per_device_eval_batch_size", "0"], "--per_device_eval"),
    ("grid", ["--config", "bimotion/configs/demo.yaml", "--bimotion", "{data}"], "--yuemotion"),
    ("grid", ["--config", "/no/such.yaml", "--bimotion", "{data}"], "--config"),
    ("grid", ["--config", "{root}/bad_key.yaml", "--bimotion", "{data}"], "--config"),
    ("grid", ["--config", "{root}/bad_training.yaml", "--bimotion", "{data}"], "--learning_rate"),
    ("grid", ["--config", "{root}/bad_training.yaml", "--bimotion", "{root}/raw"], "--bimotion"),
    ("grid", ["--config", "bimotion/configs/demo.yaml", "--tables", "table9"], "table9"),
    *[
        ("grid", ["--config", "bimotion/configs/demo.yaml", "--seeds", *seeds], "--seeds")
        for seeds in (["0", "0"], ["-1"], ["zero"])
    ],
    ("grid", ["--config", "bimotion/configs/paper.yaml", "--bootstrap_samples", "0"], "--bootstrap_samples"),
    ("grid", ["--config", "bimotion/configs/paper.yaml", "--model_name_or_path", "/no/model"], "--model_name_or_path"),
    ("project", ["--bimotion", "{data}"], "--config"),
    ("project", ["--bimotion", "{data}", "--config", "/no/such.yaml"], "--config"),
    ("project", ["--bimotion", "{data}", "--grid_dir", "{root}/empty"], "--grid_dir"),
    (
        "project",
        ["--bimotion", "{data}", "--model", "/no/model", "--test", "zho_eld", "--panels", "zho_eld"],
        "--model",
    ),
    ("project", ["--bimotion", "{data}", "--model", "{tiny}", "--test", "nope", "--panels", "zho_eld"], "--test"),
    ("project", ["--bimotion", "{data}", "--model", "{tiny}", "--test", "zho_eld", "--panels", "x=nope"], "--panels"),
    ("project", ["--bimotion", "{data}", "--model", "{tiny}", "--test", "yue_adu", "--panels", "zho_eld"], "--test"),
    (
        "project",
        ["--bimotion", "{data}", "--model", "{tiny}", "--test", "zho_eld", "--panels", "zho_eld", "--labels", "joy"],
        "--labels",
    ),
    ("project", ["--bimotion", "{data}", "--max_train_per_shard", "0"], "--max_train_per_shard"),
]


@pytest.mark.parametrize(("name", "argv", "flag"), CASES, ids=[f"{c[0]}:{' '.join(c[1])}" for c in CASES])
def test_a_bad_argument_is_a_usage_error_naming_it(name, argv, flag, paths, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    base = {"train": TRAIN, "augment": TRAIN, "infer": [], "grid": ["--output_dir", "{out}"], "project": []}[name]
    given = [a.format(**paths) for a in argv]
    # an argument given twice: the case's value wins (argparse keeps the last one)
    with pytest.raises(SystemExit) as exit_:
        recipe(name).main([a.format(**paths) for a in base] + given)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "Traceback" not in err
    error_lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(error_lines) == 1 and err.splitlines()[-1] == error_lines[0], err
    assert flag in error_lines[0], err
    assert not Path(paths["out"]).exists()  # nothing trained, nothing written


def test_good_arguments_pass_the_checks(paths):
    """The checks accept what the recipes are run with: a Hub id, a local model, a prepared folder."""
    from transformers import HfArgumentParser

    from bimotion.training.args import check_training, parse_arguments

    train = recipe("train")
    parser = HfArgumentParser(
        (
            train.TrainArguments,
            train.ModelArguments,
            train.DataArguments,
            train.RunArguments,
            train.SERTrainingArguments,
        )
    )
    for model in (paths["tiny"], "facebook/wav2vec2-base"):
        argv = ["--model_name_or_path", model, "--bimotion", paths["data"], "--train_configs", "zho_eld,zho_adu"]
        argv += "--test_configs zho_eld eng --max_steps 3 --num_train_epochs 0 --push_to_hub".split()
        argv += ["--hub_model_id", "someone/model", "--output_dir", paths["out"]]
        recipe_args, *rest = parse_arguments(parser, argv)
        check_training(*rest, train_configs=recipe_args.train_configs)  # raises nothing
    assert not Path(paths["out"]).exists()


def test_parsed_flags_become_a_plain_spec_and_back(paths, monkeypatch):
    """``to_spec`` keeps every given flag; ``train`` rebuilds the same ``TrainingArguments`` from the spec
    (reading ``WORLD_SIZE`` there, one process here); a misspelt training argument is a one-line error."""
    from transformers import HfArgumentParser

    from bimotion.training.args import SERTrainingArguments, parse_arguments, to_spec
    from bimotion.training.run import training_arguments

    train = recipe("train")
    parser = HfArgumentParser(
        (train.TrainArguments, train.ModelArguments, train.DataArguments, train.RunArguments, SERTrainingArguments)
    )
    argv = ["--model_name_or_path", paths["tiny"], "--bimotion", paths["data"], "--dropout", "0.2"]
    argv += "--train_configs zho_eld,zho_adu[esd] --learning_rate 1e-4 --seed 3 --public --report_to none".split()
    recipe_args, model_args, data_args, run_args, training_args = parse_arguments(parser, argv)
    spec = to_spec(model_args, data_args, run_args, training_args, train=recipe_args.train_configs)
    assert spec.train.configs == ("zho_eld", "zho_adu[esd]") and spec.name == "zho_eld+zho_adu[esd]"
    assert spec.model.dropout == 0.2 and spec.training["learning_rate"] == 1e-4
    assert "output_dir" not in spec.training  # not given: the run names it
    monkeypatch.setenv("WORLD_SIZE", "1")
    rebuilt = training_arguments(spec)
    assert rebuilt.output_dir == str(Path("results") / spec.name)
    assert (rebuilt.learning_rate, rebuilt.seed, rebuilt.hub_private_repo) == (1e-4, 3, False)
    assert rebuilt.use_cpu == training_args.use_cpu
    with pytest.raises(ValueError, match="unknown training arguments"):
        training_arguments(type(spec).from_values("zho_eld", {"learning_rat": 1e-4}))
