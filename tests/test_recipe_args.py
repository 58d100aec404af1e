"""Every recipe rejects a bad argument up front, before any data is read or any model is built: a
usage error (exit code 2) whose one error line names the argument, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import load_recipe as recipe
from conftest import unprivileged

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
    (root / "no_benchmark").mkdir()  # a prepare.json that is not prepare's: it used to pass as BiMotion
    (root / "no_benchmark" / "prepare.json").write_text('{"protocol": "paper", "shards": []}')
    (root / "bad_training.yaml").write_text("tables: [table3]\ntiny_model: {}\ntraining:\n  learning_rate: 0\n")
    (root / "bad_key.yaml").write_text("tables: [table3]\nepochs: 3\n")
    (root / "bad_metric.yaml").write_text(
        "tables: [table3]\ntiny_model: {}\ntraining:\n  metric_for_best_model: eval_f1\n"
    )
    return {
        "tiny": str(testing.save_tiny_model(root / "tiny")),
        "data": str(testing.write_prepared(root / "bimotion", shards=[("csed", "zho_eld"), ("esd", "zho_adu")])),
        # only CSED, as a researcher with the one Mandarin elderly corpus prepares it
        "csed": str(testing.write_prepared(root / "csed", shards=[("csed", "zho_eld")], sizes={"train": 8})),
        "noval": str(  # one speaker-split group without validation rows
            testing.write_prepared(
                root / "noval", shards=[("csed", "zho_eld")], sizes={"train": 8, "validation": 0, "test": 4}
            )
        ),
        "yue": str(  # a Cantonese corpus of one's own alone, as `yuemotion prepare` writes it
            testing.write_prepared(root / "yue", benchmark="yuemotion", shards=[("yuemotion", "yue_eld")])
        ),
        "out": str(root / "out"),
        "root": str(root),
    }


TRAIN = ["--model_name_or_path", "{tiny}", "--bimotion", "{data}", "--output_dir", "{out}"]
CASES = [
    # recipe, arguments, the argument the error must name
    ("train", ["--model_name_or_path", "/no/such/model", "--train_configs", "zho_eld"], "--model_name_or_path"),
    ("train", ["--model_name_or_path", "{root}/empty", "--train_configs", "zho_eld"], "--model_name_or_path"),
    ("train", ["--bimotion", "{root}/raw", "--train_configs", "zho_eld"], "--bimotion"),
    # transformers' own SIGTERM handler would replace bimotion's save at SIGTERM (bimotion/training/stopping.py's StopOnTerminate)
    (
        "train",
        ["--train_configs", "zho_eld", "--enable_jit_checkpoint", "true"],
        "--enable_jit_checkpoint replaces bimotion's own save at SIGTERM",
    ),
    ("train", ["--bimotion", "/no/such/bimotion", "--train_configs", "zho_eld"], "--bimotion"),
    (
        "train",
        ["--yuemotion", "{root}/bimotion_info", "--train_configs", "zho_eld"],
        "--yuemotion",
    ),  # BiMotion data as YueMotion
    ("train", ["--train_configs", "zho_eldd"], "--train_configs"),
    # a config typo is named before a model that cannot be found (offline, that was all a user saw)
    ("train", ["--model_name_or_path", "/no/such/model", "--train_configs", "zho_eldd"], "--train_configs"),
    ("train", ["--bimotion", "{root}/no_benchmark", "--train_configs", "zho_eld"], "--bimotion"),
    # a group the prepared folder has no rows of: named before anything loads (it was a traceback)
    ("train", ["--train_configs", "eng"], "--train_configs: the prepared bimotion dataset at "),
    ("train", ["--train_configs", "zho_eld", "--test_configs", "eng_adu"], "has no rows of eng_adu"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--configs", "eng"], "--configs"),
    ("train", ["--train_configs", "yue_adu"], "--yuemotion"),
    ("train", ["--train_configs", "zho_eld", "--test_configs", "nope"], "--test_configs"),
    ("train", ["--train_configs", "zho_eld", "--validation_configs", "eng_adu[nope]"], "--validation_configs"),
    ("train", ["--train_configs", "zho_eld", "--learning_rate", "0"], "--learning_rate"),
    ("train", ["--train_configs", "zho_eld", "--learning_rate", "-1e-3"], "--learning_rate"),
    ("train", ["--train_configs", "zho_eld", "--learning_rate", "fast"], "--learning_rate"),
    ("train", ["--train_configs", "zho_eld", "--num_train_epochs", "0"], "--num_train_epochs"),
    # NaN and out-of-range numbers: a NaN weight decay trained NaN weights and exited 0; probabilities above 1
    # or below 0 were accepted
    ("train", ["--train_configs", "zho_eld", "--learning_rate", "nan"], "--learning_rate must be > 0, not nan"),
    ("train", ["--train_configs", "zho_eld", "--weight_decay", "nan"], "--weight_decay must be >= 0, not nan"),
    ("train", ["--train_configs", "zho_eld", "--weight_decay", "-0.1"], "--weight_decay must be >= 0, not -0.1"),
    ("train", ["--train_configs", "zho_eld", "--max_grad_norm", "nan"], "--max_grad_norm must be >= 0, not nan"),
    ("train", ["--train_configs", "zho_eld", "--mask_time_prob", "2"], "--mask_time_prob must be in [0, 1], not 2"),
    ("train", ["--train_configs", "zho_eld", "--layerdrop", "-1"], "--layerdrop must be in [0, 1], not -1"),
    ("train", ["--train_configs", "zho_eld", "--dropout", "nan"], "--dropout must be in [0, 1), not nan"),
    # contradictory: continue the run in --output_dir, and discard it
    ("train", ["--train_configs", "zho_eld", "--resume", "true", "--overwrite_output_dir", "true"], "--resume true"),
    (
        "train",
        ["--train_configs", "zho_eld", "--overwrite_output_dir", "--resume_from_checkpoint", "{root}/empty"],
        "--overwrite_output_dir trains from scratch",
    ),
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
    # an output in a prepared folder: check then lists it as unlisted, prepare --overwrite refuses the folder
    ("train", ["--train_configs", "zho_eld", "--output_dir", "{data}/data"], "lies inside the prepared dataset"),
    ("grid", ["--config", "demo", "--bimotion", "{data}", "--output_dir", "{data}"], "is the prepared dataset"),
    ("probe", ["--bimotion", "{data}", "--train_configs", "zho_eld", "--output_dir", "{data}/p"], "lies inside the"),
    ("project", ["--bimotion", "{data}", "--config", "demo", "--output_dir", "{data}/f"], "inside the prepared"),
    ("train", ["--train_configs", "zho_eld", "--eval_strategy", "steps", "--save_strategy", "epoch"], "strategy"),
    ("train", ["--train_configs", "zho_eld", "--no_such_flag", "1"], "--no_such_flag"),
    # a group with no validation rows: one line naming it and the ways out (was a traceback after loading)
    ("train", ["--bimotion", "{noval}", "--train_configs", "zho_eld"], "zho_eld has no validation rows"),
    (
        "train",
        ["--train_configs", "zho_eld", "--test_configs", "zho_eld", "--bimotion", "{noval}"],
        "--validation_configs",
    ),
    # probe and infer check the rows they read too (were tracebacks, the probe's after extracting features)
    ("probe", ["--bimotion", "{noval}", "--train_configs", "zho_eld"], "zho_eld has no validation rows"),
    (
        "infer",
        ["--model", "{tiny}", "--bimotion", "{noval}", "--configs", "zho_eld", "--split", "validation"],
        "--configs zho_eld: zho_eld has no validation rows",
    ),
    # a selection score validation never produces: refused before an epoch is spent (was a KeyError after it)
    ("train", ["--train_configs", "zho_eld", "--metric_for_best_model", "accuracy"], "--metric_for_best_model"),
    ("train", ["--train_configs", "zho_eld", "--metric_for_best_model", "weighted_f1_zho_adu"], "weighted_f1_zho_eld"),
    ("grid", ["--config", "{root}/bad_metric.yaml", "--bimotion", "{data}"], "--metric_for_best_model 'eval_f1'"),
    ("augment", ["--target", "xyz_eld"], "--target"),
    # a mixture of groups the folder lacks: the way out is another mixture, not "leave it out"
    ("augment", ["--target", "zho_eld", "--mixture", "cross_lingual"], "choose a --mixture without it (baseline;"),
    # nor can --languages and --age_groups narrow it to every group the folder holds: train.py's union can
    (
        "augment",
        ["--target", "zho_eld", "--mixture", "cross_lingual"],
        "narrow the others), or, for every group it holds, `recipes/train.py --train_configs bimotion:all`",
    ),
    # augment fills --validation_configs itself: the error names where they came from, not a flag never given
    (
        "augment",
        ["--bimotion", "{noval}", "--target", "zho_eld", "--mixture", "baseline"],
        "--selection_on mixture zho_eld: zho_eld has no validation rows",
    ),
    # a target of some corpora of a group (a care home's own elderly beside a release's): was "'zho_eld[csed]' is
    # not a group; choose one of: ...", with no way to train on that part; it names train.py's and infer.py's
    (
        "augment",
        ["--target", "zho_eld[csed]", "--mixture", "cross_age"],
        "--target zho_eld[csed]: a mixture's target is a whole group (zho_eld), not some of its corpora: give --target "
        "zho_eld, or train on the part with the mixture's other groups, recipes/train.py --train_configs 'zho_eld[csed]' "
        "zho_adu, and score it alone, recipes/infer.py --configs 'zho_eld[csed]'",
    ),
    ("augment", ["--target", "zho_eld", "--mixture", "everything"], "--mixture"),
    ("augment", ["--target", "zho_eld", "--languages", "klingon"], "--languages"),
    ("augment", ["--target", "zho_eld", "--age_groups", "teen"], "--age_groups"),
    ("augment", ["--target", "zho_eld", "--selection_on", "test"], "--selection_on"),
    ("augment", ["--target", "yue_adu"], "--yuemotion"),
    # L is the target's benchmark's (YueMotion: yue): it said no dataset held another language's elderly, beside
    # a --bimotion holding zho_eld; it names those groups and the --languages that adds them
    (
        "augment",
        ["--yuemotion", "{yue}", "--target", "yue_eld", "--mixture", "cross_lingual"],
        "its languages L are yue_eld's benchmark's, yuemotion's (yue), unless --languages widens them, so it holds "
        "no elderly speech of another language beside yue_eld and would train the baseline under another name; the "
        "given datasets hold zho_eld: add --languages yue,zho to train on them too, or use --mixture baseline",
    ),
    ("augment", ["--target", "zho_eld", "--num_train_epochs", "0"], "--num_train_epochs"),
    ("infer", ["--model", "/no/such/model", "--bimotion", "{data}"], "--model"),
    ("infer", ["--model", "{root}/empty", "--bimotion", "{data}"], "--model"),
    ("infer", ["--model", "{tiny}"], "--bimotion"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--split", "dev"], "--split"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--configs", "nope"], "--configs"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--output_file", "{root}"], "--output_file"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--output_file", "{root}/s.txt"], "name it .json"),
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--per_device_eval_batch_size", "0"], "--per_device_eval"),
    # --output_dir is where the scores go: a file there is refused (it was accepted and ignored)
    ("infer", ["--model", "{tiny}", "--bimotion", "{data}", "--output_dir", "{root}/a_file"], "--output_dir"),
    ("grid", ["--config", "bimotion/configs/demo.yaml", "--bimotion", "{data}"], "--yuemotion"),
    ("grid", ["--config", "/no/such.yaml", "--bimotion", "{data}"], "--config"),
    ("grid", ["--config", "{root}/bad_key.yaml", "--bimotion", "{data}"], "--config"),
    ("grid", ["--config", "{root}/bad_training.yaml", "--bimotion", "{data}"], "--learning_rate"),
    ("grid", ["--config", "{root}/bad_training.yaml", "--bimotion", "{root}/raw"], "--bimotion"),
    ("grid", ["--config", "bimotion/configs/demo.yaml", "--tables", "table9"], "table9"),
    ("grid", ["--config", "demo", "--tables", "table9"], "table9"),  # a shipped config by name
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
    # a mistyped feature set was taken for a model (an OSError traceback); --layer of log-mel features and a
    # NaN weight decay failed after the features were extracted, or in torch
    *[
        ("probe", ["--bimotion", "{data}", "--train_configs", "zho_eld", *flags], message)
        for flags, message in (
            (["--features", "logmell"], "--features logmell: not a feature set (logmel, egemaps), a model folder"),
            (["--features", "logmell"], "did you mean logmel?"),
            (["--features", "wav2vec2"], "choose logmel or egemaps"),
            (["--layer", "3"], "--layer picks an encoder's hidden state; --features logmel has none"),
            (["--features", "{tiny}", "--layer", "9"], "--layer must be in [0, 2] for"),
            (["--layer", "-1"], "--layer must be >= 0, not -1"),
            (["--weight_decay", "nan"], "--weight_decay must be >= 0, not nan"),
            (["--learning_rate", "inf"], "--learning_rate must be > 0, not inf"),
        )
    ],
    # probes cache features per local folder: a Hub dataset id is refused at once, not retried for ~30 s
    ("probe", ["--bimotion", "someorg/bimotion", "--train_configs", "zho_eld"], "--bimotion someorg/bimotion"),
]


def _refused(main, argv: list[str], capsys) -> str:
    """``main(argv)`` exits as a usage error (code 2): its stderr."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    return err


@pytest.mark.parametrize(("name", "argv", "flag"), CASES, ids=[f"{c[0]}:{' '.join(c[1])}" for c in CASES])
def test_a_bad_argument_is_a_usage_error_naming_it(name, argv, flag, paths, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    base = {"train": TRAIN, "augment": TRAIN, "infer": [], "grid": ["--output_dir", "{out}"], "project": []}
    base = {**base, "probe": ["--output_dir", "{out}"]}[name]
    given = [a.format(**paths) for a in argv]
    # an argument given twice: the case's value wins (argparse keeps the last one)
    err = _refused(recipe(name).main, [a.format(**paths) for a in base] + given, capsys)
    assert "Traceback" not in err
    error_lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(error_lines) == 1 and err.splitlines()[-1] == error_lines[0], err
    assert flag in error_lines[0], err
    assert not Path(paths["out"]).exists()  # nothing trained, nothing written


@pytest.mark.parametrize(("name", "flag"), [("train", "--train_configs"), ("probe", "--test_configs")])
def test_a_group_no_benchmark_knows_says_which_flag_makes_ones_own_known(name, flag, paths, capsys, monkeypatch):
    """`train.py --train_configs carehome_eld` (a group of no benchmark, none close) said to call
    register(benchmark_of(read_info(FOLDER))), a Python call a command-line user cannot make; it names the
    flags that give a prepared folder, which the recipe then registers."""
    monkeypatch.chdir(REPO)
    base = {"train": TRAIN, "probe": ["--bimotion", "{data}", "--output_dir", "{out}", "--train_configs", "zho_eld"]}
    err = _refused(recipe(name).main, [a.format(**paths) for a in base[name]] + [flag, "carehome_eld"], capsys)
    said = (
        f": error: {flag}: config 'carehome_eld' is unknown (a group of your own corpus is known once its "
        "prepared folder is given: --bimotion DIR or --yuemotion DIR); choose one of: adu, bimotion:all,"
    )
    assert said in err.splitlines()[-1] and "register(" not in err, err
    assert not Path(paths["out"]).exists()


def _train_parser():
    """The train recipe's argument parser, of the dataclasses its ``main`` parses into."""
    from transformers import HfArgumentParser

    return HfArgumentParser(recipe("train").ARGUMENTS)


def test_good_arguments_pass_the_checks(paths, monkeypatch):
    """The checks accept what the recipes are run with: a Hub id, a local model, a prepared folder."""

    from bimotion.training.args import check_training
    from bimotion.training.parsing import parse_arguments

    monkeypatch.setattr("bimotion.hub.hub_unreachable", lambda: None)  # as where there is network
    monkeypatch.setattr("bimotion.hub.asked_once", lambda *args: None)  # ... and the Hub answers: not asked here

    parser = _train_parser()
    for model in (paths["tiny"], "facebook/wav2vec2-base"):
        argv = ["--model_name_or_path", model, "--bimotion", paths["data"], "--train_configs", "zho_eld,zho_adu"]
        argv += "--test_configs zho_eld zho --max_steps 3 --num_train_epochs 0 --push_to_hub".split()
        argv += ["--metric_for_best_model", "weighted_f1_zho_adu_esd"]
        argv += ["--hub_model_id", "someone/model", "--push_dry_run", "--output_dir", paths["out"]]  # no network
        recipe_args, *rest = parse_arguments(parser, argv)
        check_training(*rest, train_configs=recipe_args.train_configs)  # raises nothing
    assert not Path(paths["out"]).exists()


@pytest.mark.parametrize(
    ("config", "written", "absent"),
    [
        ("zho", "zho", "zho_adu"),
        ("eld", "eld", "eng_eld"),
        ("all", "bimotion:all", "eng_eld, eng_adu, zho_adu"),
        ("bimotion:all", "bimotion:all", "eng_eld, eng_adu, zho_adu"),
    ],
)
def test_a_union_config_is_read_from_the_groups_the_folder_holds(config, written, absent, paths, capsys):
    """With only CSED prepared, the card and `bimotion check` list zho, eld and all (their rows are
    CSED's), yet --train_configs zho, eld and bimotion:all were refused ("zho includes zho_adu, of
    which ... has no rows") and all was "in more than one benchmark" with only --bimotion given.  A
    union now trains on the groups it has, one note naming those it lacks, and all is BiMotion's."""

    from bimotion.training.args import check_training, to_spec
    from bimotion.training.parsing import parse_arguments

    parser = _train_parser()
    argv = ["--model_name_or_path", paths["tiny"], "--bimotion", paths["csed"], "--train_configs", config]
    recipe_args, *rest = parse_arguments(parser, [*argv, "--output_dir", paths["out"]])
    capsys.readouterr()
    check_training(*rest, train_configs=recipe_args.train_configs)  # raises nothing
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: --train_configs {config}: the prepared bimotion dataset at {paths['csed']} has no rows of "
        f"{absent}: {config} is read from zho_eld only"
    ]
    spec = to_spec(*rest, train=recipe_args.train_configs)
    assert spec.train.configs[0] == written and spec.train.groups == ("zho_eld",)  # what scores.json records
    assert not Path(paths["out"]).exists()


def test_parsed_flags_become_a_plain_spec_and_back(paths, monkeypatch):
    """``to_spec`` keeps every given flag; ``train`` rebuilds the same ``TrainingArguments`` from the spec
    (reading ``WORLD_SIZE`` there, one process here); a misspelt training argument is a one-line error."""

    from bimotion.training.args import to_spec
    from bimotion.training.parsing import parse_arguments
    from bimotion.training.run import training_arguments

    parser = _train_parser()
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


def _entry(help_text: str, flag: str) -> str:
    """The lines of ``flag``'s entry in a --help text."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {flag} ") or line == f"  {flag}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  -")), len(lines))
    return " ".join(" ".join(lines[start:end]).split())


def test_help_shows_the_usage_and_every_default_of_ours_and_help_all_the_rest(capsys):
    with pytest.raises(SystemExit) as exit_:
        recipe("train").main(["--help"])
    short = capsys.readouterr().out
    assert exit_.value.code == 0
    usage = "recipes/train.py \\\n        --bimotion DIR_OR_HUB_ID --train_configs eng_eld zho_eld"  # the docstring's
    assert usage in short
    for flag, default in (
        ("--learning_rate", "5e-05"),
        ("--num_train_epochs", "20.0"),
        ("--per_device_train_batch_size", "8"),
        ("--early_stopping_patience", "5"),
        ("--seed", "0"),
        ("--metric_for_best_model", "loss"),
        ("--max_duration_s", "10.0"),
    ):
        entry = _entry(short, flag)
        assert f"(default: {default})" in entry and len(entry.split()) > 6, entry  # a help text, not only the default
    assert "(transformers' default: 3.0)" in _entry(short, "--num_train_epochs")
    assert "--adam_beta1" not in short and "--help_all lists them" in short
    # the memory switch under the installed transformers' own name (5.x calls the 4.x one a deprecated alias)
    from transformers import TrainingArguments

    current = "activation_checkpointing" if "activation_checkpointing" in TrainingArguments.__dataclass_fields__ else "gradient_checkpointing"  # fmt: skip
    assert f"--{current} " in short and short.count("_checkpointing [") == 1, short
    with pytest.raises(SystemExit):
        recipe("train").main(["--help_all"])
    full = capsys.readouterr().out
    assert "--adam_beta1" in full and len(full.splitlines()) > 2 * len(short.splitlines())
    assert "--no_normalize_audio" not in short  # a negation HfArgumentParser adds: `--normalize_audio false` says it
    with pytest.raises(SystemExit):
        recipe("grid").main(["--help"])
    assert "skip the config's feature-space projections" in _entry(capsys.readouterr().out, "--no_projections")


def test_infer_help_lists_what_inference_reads_and_help_all_the_rest(capsys):
    """recipes/infer.py shares the training dataclasses; its --help lists only what inference reads."""
    with pytest.raises(SystemExit):
        recipe("infer").main(["--help"])
    short = capsys.readouterr().out
    for flag in ("--model", "--configs", "--split", "--output_file", "--bimotion", "--per_device_eval_batch_size"):
        assert _entry(short, flag), flag
    assert "inference_<split>.json goes to" in _entry(short, "--output_dir")  # not training's checkpoints
    for flag in ("--learning_rate", "--max_duration_s", "--train_configs", "--num_train_epochs", "--test_configs"):
        assert flag not in short, flag
    assert "--help_all lists them" in short
    assert "Those this does not read are taken from an arguments file only: typed, they are refused." in short
    with pytest.raises(SystemExit):
        recipe("infer").main(["--help_all"])
    assert "--learning_rate" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(p.stem for p in (REPO / "recipes").glob("*.py")))
def test_recipe_docstring_is_shown_as_written(name):
    """A recipe's --help shows its module docstring; a `\\` that continues a usage example onto the
    next line must survive (a raw docstring), or the example prints as one long line."""
    import ast

    source = (REPO / "recipes" / f"{name}.py").read_text(encoding="utf-8")
    module = ast.parse(source)
    node = module.body[0].value
    assert ast.get_docstring(module, clean=False) == ast.get_source_segment(source, node).lstrip("r")[3:-3]


@pytest.mark.parametrize("name", sorted(p.stem for p in (REPO / "recipes").glob("*.py")))
def test_every_argument_of_a_recipes_help_says_what_it_does(name, capsys):
    """`--model_revision`, `--model_cache_dir` (train, augment) and `project.py --seed` were listed
    with their metavar alone: the reader of --help learnt nothing of them."""
    with pytest.raises(SystemExit):
        recipe(name).main(["--help"])
    text = capsys.readouterr().out.split("\noptions:\n", 1)[1]
    flags = [line.split()[0] for line in text.splitlines() if line.startswith("  --")]
    bare = [flag for flag in flags if len(_entry(text, flag).split()) <= 2]  # the flag and its metavar, no words
    assert flags and not bare, bare


def test_transformers_default_is_named_only_for_training_arguments(capsys):
    """The grid's own --output_dir is not a TrainingArguments field overridden: no "transformers' default"."""
    with pytest.raises(SystemExit):
        recipe("grid").main(["--help"])
    assert "transformers' default" not in _entry(capsys.readouterr().out, "--output_dir")


# What a recipe's --help or usage error must not wait for: the training and data code's libraries (seconds
# to import). `TrainingArguments` itself imports torch and accelerate (and, once built, scipy through
# transformers' model code): the recipes whose arguments include it cannot do without those.
HEAVY = ("torch", "accelerate", "scipy", "datasets", "pyarrow", "pandas", "sklearn", "matplotlib", "umap")
WITH_TRAINING_ARGUMENTS = {"train": {"torch", "accelerate", "scipy"}, "augment": {"torch", "accelerate", "scipy"},
                           "infer": {"torch", "accelerate", "scipy"}}  # fmt: skip
RUN_RECIPE = """import json, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exit_:
    print("exit", exit_.code, json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        *((name, ["--help"]) for name in ("train", "augment", "infer", "probe", "project", "grid")),
        ("train", ["--train_configs", "zho_eld", "--bimotion", "/no/such/bimotion"]),  # a check's error
        ("probe", ["--train_configs", "zho_eld", "--output_dir", "out", "--features", "logmel", "--seeds", "x"]),
        ("grid", ["--config", "no_such_config"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_help_and_usage_errors_wait_for_no_training_or_data_library(name, argv, tmp_path):
    """`recipes/train.py --help` took 6 s of CPU: the recipes imported the training code (torch,
    transformers' Trainer, datasets) before parsing, and the argument module imported torch for
    `SERTrainingArguments`; probe, project and grid paid for torch without a training argument."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", RUN_RECIPE.format(heavy=HEAVY), str(REPO / "recipes" / f"{name}.py"), *argv],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.stdout.splitlines()[-1:] and done.stdout.splitlines()[-1].startswith("exit "), done
    code, imported = done.stdout.splitlines()[-1].split(" ", 2)[1:]
    assert code == ("0" if argv == ["--help"] else "2"), done.stderr
    assert set(json.loads(imported)) <= WITH_TRAINING_ARGUMENTS.get(name, set()), imported


def test_the_argument_module_imports_neither_torch_nor_transformers():
    """What the checks and the argument dataclasses need is light; `SERTrainingArguments` (which
    imports torch) is handed out from `bimotion.training.args` on first use, as before."""
    import subprocess
    import sys

    code = (
        "import sys; import bimotion.training.args, bimotion.training.parsing, bimotion.training.spec; "
        "print(sorted(m for m in ('torch', 'transformers', *" + repr(HEAVY) + ") if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "[]", done


def test_training_arguments_pickled_under_their_old_module_still_load(tmp_path):
    """`training_args.bin` in a model folder or checkpoint written before `SERTrainingArguments` moved
    to its own module names `bimotion.training.args.SERTrainingArguments`."""
    import pickle

    from bimotion.training.training_args import SERTrainingArguments
    from bimotion.training.training_args import SERTrainingArguments as moved

    assert SERTrainingArguments is moved
    saved = pickle.dumps(SERTrainingArguments(output_dir=str(tmp_path), learning_rate=1e-3), protocol=0)
    old = saved.replace(b"bimotion.training.training_args\n", b"bimotion.training.args\n")
    assert old != saved
    loaded = pickle.loads(old)
    assert type(loaded) is moved and loaded.learning_rate == 1e-3


def test_arguments_from_a_yaml_or_json_file_then_flags(paths, tmp_path):
    """As the transformers examples: `python recipes/train.py args.yaml` (flags after it override it)."""
    import json

    import yaml

    from bimotion.training.parsing import parse_arguments

    values = {"model_name_or_path": paths["tiny"], "bimotion": paths["data"], "train_configs": ["zho_eld", "zho_adu"]}
    values.update(learning_rate=1e-4, freeze_feature_encoder=False, output_dir=paths["out"], seed=1)
    (tmp_path / "args.yaml").write_text(yaml.safe_dump(values))
    (tmp_path / "args.json").write_text(json.dumps(values))
    for name in ("args.yaml", "args.json"):
        parsed = parse_arguments(_train_parser(), [str(tmp_path / name), "--seed", "3", "--verbose"])
        recipe_args, model_args, _, _, training_args = parsed  # --verbose is parse_arguments' own
        assert recipe_args.train_configs == ["zho_eld", "zho_adu"] and model_args.freeze_feature_encoder is False
        assert (training_args.learning_rate, training_args.seed) == (1e-4, 3)
    (tmp_path / "bad.yaml").write_text("learning_rat: 0.1\n")
    with pytest.raises(SystemExit) as exit_:
        recipe("train").main([str(tmp_path / "bad.yaml")])
    assert exit_.value.code == 2
    assert not Path(paths["out"]).exists()


def test_infer_refuses_test_configs_typed_and_ignores_an_arguments_files(paths, tmp_path, capsys):
    """infer.py scores the groups of --configs; `--test_configs eng_eld` typed on its command line was
    accepted and ignored (every group was scored).  Typed, it is refused naming --configs; a shared
    arguments file's test_configs (the train recipe's) is still accepted."""
    import yaml
    from transformers import HfArgumentParser

    from bimotion.training.parsing import parse_arguments

    infer = recipe("infer")
    for flag in ("--test_configs", "--test-configs", "--test_conf"):  # argparse's spellings and abbreviations
        err = _refused(infer.main, ["--model", paths["tiny"], "--bimotion", paths["data"], flag, "zho_eld"], capsys)
        assert "Traceback" not in err
        assert err.splitlines()[-1].endswith(
            "error: --test_configs zho_eld: infer.py scores the groups of --configs: give --configs zho_eld"
        ), err
    values = {"model": paths["tiny"], "bimotion": paths["data"], "test_configs": ["zho_adu"]}
    (tmp_path / "args.yaml").write_text(yaml.safe_dump(values))

    def parse(*typed: str) -> tuple:
        parser = HfArgumentParser(infer.ARGUMENTS)
        return parse_arguments(parser, [str(tmp_path / "args.yaml"), *typed], file_only=infer.file_only())

    recipe_args, data_args, *_ = parse("--configs", "zho_eld")
    assert recipe_args.configs == ["zho_eld"] and data_args.test_configs == ["zho_adu"]
    with pytest.raises(SystemExit):
        parse("--test_configs", "zho_eld")  # after the file: typed
    assert "error: --test_configs zho_eld: infer.py scores the groups of --configs" in capsys.readouterr().err


def test_infer_refuses_training_arguments_typed_it_would_ignore(paths, tmp_path, capsys):
    """infer.py does not train: `--learning_rate 0.1`, `--num_train_epochs 3`, `--bf16`,
    `--seed 1`, `--max_duration_s 5` typed on its command line were accepted and silently ignored.  Typed, each is
    refused naming it; a shared arguments file (train.py's) holding them still works, and what inference
    reads (batch size, output folder, bars, devices, a launcher's --local_rank) is still taken typed."""
    import yaml
    from transformers import HfArgumentParser

    from bimotion.training.parsing import parse_arguments

    infer = recipe("infer")
    for name, typed in [("learning_rate", ["--learning_rate", "0.1"]), ("learning_rate", ["--learning-rate", "0.1"]),
                        ("learning_rate", ["--learning_r", "0.1"]),
                        ("num_train_epochs", ["--num_train_epochs", "3"]), ("bf16", ["--bf16", "false"]), ("seed", ["--seed", "1"]),
                        ("load_best_model_at_end", ["--no_load_best_model_at_end"]),
                        ("dataloader_num_workers", ["--dataloader_num_workers", "2"]),
                        ("eval_strategy", ["--eval_strategy", "no"]), ("max_duration_s", ["--max_duration_s", "5"])]:  # fmt: skip
        err = _refused(infer.main, ["--model", paths["tiny"], "--bimotion", paths["data"], *typed], capsys)
        assert "Traceback" not in err, (typed, err)
        assert err.splitlines()[-1].split("error: ")[1].startswith(f"--{name} "), (typed, err)
        assert "infer.py does not train and does not read it" in err, (typed, err)
    training = {"learning_rate": 1e-4, "num_train_epochs": 3, "bf16": False,
                "seed": 1, "dataloader_num_workers": 2, "logging_steps": 10, "max_duration_s": 5,
                # train.py's own (TrainArguments, ModelArguments, RunArguments): its arguments file was refused
                # ('Some specified arguments are not used by the HfArgumentParser: [--train_configs, ...]')
                "train_configs": ["zho_eld"], "model_name_or_path": paths["tiny"], "early_stopping_patience": 2}  # fmt: skip
    (tmp_path / "args.yaml").write_text(yaml.safe_dump({"model": paths["tiny"], "bimotion": paths["data"], **training}))

    def parse(*typed: str) -> tuple:
        parser = HfArgumentParser(infer.ARGUMENTS)
        return parse_arguments(parser, [str(tmp_path / "args.yaml"), *typed], file_only=infer.file_only())

    _, data_args, training_args, *_ = parse(
        "--per_device_eval_batch_size", "2", "--output_dir", str(tmp_path / "out"), "--disable_tqdm", "true",
        "--use_cpu", "--local_rank", "0", "--pad_to_multiple_of", "16",
    )  # fmt: skip
    assert (training_args.learning_rate, training_args.per_device_eval_batch_size) == (1e-4, 2)
    assert training_args.disable_tqdm and data_args.pad_to_multiple_of == 16
    assert not set(infer.file_only()) & set(infer.INFER_FLAGS + infer.SETUP_FLAGS)
    with pytest.raises(SystemExit):  # typed, train.py's own are refused as the others
        parse("--train_configs", "zho_eld")
    assert "--train_configs zho_eld: infer.py does not train" in capsys.readouterr().err


def test_push_to_hub_offline_fails_before_training_with_one_line(paths, capsys, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets
    argv = [a.format(**paths) for a in TRAIN] + ["--train_configs", "zho_eld", "--push_to_hub"]
    err = _refused(recipe("train").main, argv + ["--hub_model_id", "someone/model"], capsys)
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "error:" in line] == [err.splitlines()[-1]]
    assert "HF_HUB_OFFLINE is set" in err
    assert not Path(paths["out"]).exists()  # nothing trained


def test_the_selection_metric_names_only_corpora_validation_reads(tmp_path):
    """eng_adu prepared from CREMA-D alone: validation scores crema_d, so an IEMOCAP score is refused."""
    from bimotion.mixture import parse_mixture
    from bimotion.training.args import check_selection_metric
    from bimotion.training.parsing import ArgumentError

    data = {"bimotion": str(testing.write_prepared(tmp_path / "b", shards=[("crema_d", "eng_adu")])), "yuemotion": None}
    shards = parse_mixture(["eng_adu"]).shards
    for metric in ("loss", "eval_weighted_f1", "weighted_f1_eng_adu", "weighted_f1_eng_adu_crema_d"):
        check_selection_metric(metric, shards, data)
    with pytest.raises(ArgumentError, match="weighted_f1_eng_adu_crema_d$"):
        check_selection_metric("weighted_f1_eng_adu_iemocap", shards, data)


def test_end_of_run_scores_in_percent_with_chance():
    from bimotion.training.report import scores_report

    groups = {
        "eng_eld": {"weighted_f1": 0.5168, "chance": {"chance": 0.4126}, "num_samples": 77},
        "zho_eld": {"weighted_f1": 0.6681, "chance": {"chance": 0.5021}, "num_samples": 59},
    }
    text = scores_report({"groups": groups, "weighted_f1": 0.59, "chance": 0.46}, target="zho_eld")
    lines = text.splitlines()
    assert "weighted F1 %" in lines[1] and "chance %" in lines[1]
    assert lines[2].split() == ["eng_eld", "51.7", "41.3", "77"] and lines[3].split()[:3] == ["zho_eld", "*", "66.8"]
    assert len({len(line) for line in lines[1:4]}) == 1  # aligned
    # the mean's clips cell is empty: its line ends at its chance, under the others' chance, in no blanks
    assert lines[4].startswith("all (mean of test sets)") and lines[4].endswith("46.0")
    assert len(lines[4]) == lines[2].rindex("41.3") + len("41.3")
    groups["eng_eld"]["weighted_f1"] = 0.4126  # at chance: marked, and the mark explained
    lines = scores_report({"groups": groups, "weighted_f1": 0.59, "chance": 0.46}).splitlines()
    assert lines[2].split() == ["eng_eld", "41.3†", "41.3", "77"] and lines[3].split()[1] == "66.8"
    assert lines[-1].startswith("† at or below chance")


def test_the_end_tables_mean_is_named_the_mean_of_test_sets():
    """A user's one corpus of two groups (ind_adu 23.6, jav_eld 60.2) ended in "all (mean of corpora)
    41.9": the mean of its two groups' test sets, not of its one corpus."""
    from bimotion.training.report import scores_report

    groups = {
        "ind_adu": {"weighted_f1": 0.236, "chance": {"chance": 0.63}, "num_samples": 20},
        "jav_eld": {"weighted_f1": 0.602, "chance": {"chance": 0.417}, "num_samples": 40},
    }
    last = scores_report({"groups": groups, "weighted_f1": 0.419, "chance": 0.523}).splitlines()[-2]
    assert last.split()[:5] == ["all", "(mean", "of", "test", "sets)"] and "41.9†" in last, last


def test_a_grid_that_trains_but_tests_nothing_is_refused_before_training():
    from bimotion.grid import load_config, make_plan

    config = load_config({"tables": [], "mixtures": ["zho_eld"], "seeds": [0]})
    with pytest.raises(ValueError, match="scores them on nothing"):
        make_plan(config)


def test_an_uncached_hub_id_is_refused_in_one_line_when_the_hub_cannot_be_reached(tmp_path, monkeypatch):
    """Without network a Hub id must be in the local cache: a cached one passes, an uncached model
    or dataset is a usage error naming the flag and the download, before any data is read."""
    import huggingface_hub.constants

    from bimotion.training.data_checks import check_hub_id
    from bimotion.training.parsing import ArgumentError

    monkeypatch.setattr("bimotion.hub.hub_unreachable", lambda: "HF_HUB_OFFLINE is set")
    cache = tmp_path / "hub"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    snapshot = cache / "models--facebook--wav2vec2-base" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (cache / "models--facebook--wav2vec2-base" / "refs").mkdir()
    (cache / "models--facebook--wav2vec2-base" / "refs" / "main").write_text("0" * 40)
    check_hub_id("facebook/wav2vec2-base", "--model_name_or_path", "model")  # cached: passes
    with pytest.raises(ArgumentError, match=r"--model_name_or_path facebook/wav2vec2-large-xlsr-53: .*HF_HUB_OFFLINE"):
        check_hub_id("facebook/wav2vec2-large-xlsr-53", "--model_name_or_path", "model")
    with pytest.raises(ArgumentError, match=r"--bimotion me/bimotion: .*hf download me/bimotion --repo-type dataset"):
        check_hub_id("me/bimotion", "--bimotion", "dataset")
    # found where from_pretrained and load_dataset would look: --model_cache_dir, --model_revision, and
    # datasets' own cache (what load_dataset reads offline), here given as --dataset_cache_dir
    other = tmp_path / "models"
    shutil.copytree(cache, other)
    shutil.rmtree(cache)
    check_hub_id("facebook/wav2vec2-base", "--model_name_or_path", "model", cache_dir=str(other))
    refs = other / "models--facebook--wav2vec2-base" / "refs"
    (refs / "main").rename(refs / "v1")
    check_hub_id("facebook/wav2vec2-base", "--model_name_or_path", "model", cache_dir=str(other), revision="v1")
    with pytest.raises(ArgumentError):
        check_hub_id("facebook/wav2vec2-base", "--model_name_or_path", "model", cache_dir=str(other))
    (tmp_path / "data" / "me___bimotion" / "eng_eld").mkdir(parents=True)
    check_hub_id("me/bimotion", "--bimotion", "dataset", cache_dir=str(tmp_path / "data"))


def test_a_probe_folder_is_named_as_such_and_taken_where_a_recipe_reads_probes(paths, tmp_path, capsys):
    """infer.py scores fine-tuned models: a probe folder is refused saying what it is (not "no
    config.json"); project.py embeds a probe's hidden features, so its checks take one."""
    from bimotion.training.outputs import PROBE_CONFIG

    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / PROBE_CONFIG).write_text("{}")
    with pytest.raises(SystemExit):
        recipe("infer").main(["--model", str(probe), "--bimotion", paths["data"]])
    assert "--model " + str(probe) + ": a probe (a head on frozen features" in capsys.readouterr().err
    project = recipe("project")
    argv = ["--bimotion", paths["data"], "--model", str(probe), "--test", "zho_eld", "--panels", "zho_eld"]
    args = project.HfArgumentParser(project.ProjectArguments).parse_args_into_dataclasses(argv)[0]
    assert [spec["model"] for spec in project.check(args)] == [str(probe)]
    # a folder with a fine-tuned model's config.json beside a probe's probe.json is refused by every check
    # alike (infer took it as a model, project as a probe, trained labels were read from config.json)
    (probe / "config.json").write_text("{}")
    with pytest.raises(SystemExit):
        recipe("infer").main(["--model", str(probe), "--bimotion", paths["data"]])
    assert "holds both a fine-tuned model (config.json) and a probe (probe.json)" in capsys.readouterr().err
    from bimotion.training.parsing import ArgumentError

    with pytest.raises(ArgumentError, match="holds both a fine-tuned model"):
        project.check(args)


def test_default_test_sets_leave_out_a_group_without_test_rows_with_a_note(paths, tmp_path):
    """With no --test_configs, a model is scored on every group the datasets hold test rows of: a
    group of too few speakers (train and validation rows only) is named in a note, not a traceback."""
    import json
    import shutil

    from bimotion.training.data import Sources, default_test_configs, with_split_rows

    thin = Path(shutil.copytree(paths["data"], tmp_path / "thin"))
    info = json.loads((thin / "prepare.json").read_text())
    info["shards"] = [s for s in info["shards"] if not (s["group"] == "zho_adu" and s["split"] == "test")]
    (thin / "prepare.json").write_text(json.dumps(info))
    notes = []
    assert default_test_configs(Sources(bimotion=str(thin)), log=notes.append) == ["zho_eld"]
    assert notes == ["note: zho_adu is not scored: its prepared dataset has no test rows of it (too few speakers)"]
    assert default_test_configs(Sources(bimotion=paths["data"]), log=notes.append) == ["zho_eld", "zho_adu"]
    # what the grid gives a model as its own test sets: those it can score
    assert with_split_rows(Sources(bimotion=str(thin)), ["zho_eld", "zho_adu[esd]"], "test") == ["zho_eld"]


def test_the_end_table_shows_each_groups_bootstrap_interval():
    """A run's test scores were bare numbers; a small test set's could be far from the truth."""
    import numpy as np

    from bimotion.training.metrics import score_groups
    from bimotion.training.report import scores_report

    rng = np.random.default_rng(0)
    n = 200
    labels = np.zeros((n, 13), dtype=np.int8)
    labels[np.arange(n), rng.integers(0, 3, n)] = 1
    mask = np.zeros((n, 13), dtype=np.int8)
    mask[:, :3] = 1
    logits = np.where(labels == 1, 2.0, -2.0) + rng.normal(0, 2.5, (n, 13))  # right more often than not
    groups, corpora = np.array(["zho_eld"] * 120 + ["eng_eld"] * 80), np.array(["csed"] * 120 + ["tess"] * 80)
    scores = score_groups(logits, labels, mask, corpora, groups, intervals=500)
    again = score_groups(logits, labels, mask, corpora, groups, intervals=500)
    for group, values in scores["groups"].items():
        low, high = values["weighted_f1_ci"]
        assert low < values["weighted_f1"] < high and high - low < 0.4, group
        assert values["weighted_f1_ci"] == again["groups"][group]["weighted_f1_ci"]  # seeded: the same interval
    assert "weighted_f1_ci" not in score_groups(logits, labels, mask, corpora, groups)["groups"]["zho_eld"]
    lines = scores_report(scores).splitlines()
    assert lines[1].split() == ["group", "weighted", "F1", "%", "95%", "CI", "chance", "%", "clips"]
    low, high = scores["groups"]["zho_eld"]["weighted_f1_ci"]
    assert lines[2].split()[2] == f"{100 * low:.1f}-{100 * high:.1f}"
    assert lines[-1] == "95% CI: bootstrap over the test clips, within each corpus (500 resamples)"  # no speakers given


def test_augment_selects_on_the_mixture_groups_that_have_validation_rows(paths, tmp_path, capsys):
    """A mixture with a group of one or two speakers (train rows only) was refused ("--selection_on
    mixture zho_adu: zho_adu has no validation rows"), though its other groups have them."""
    import json

    from bimotion.training.spec import DataArguments

    thin = Path(shutil.copytree(paths["data"], tmp_path / "thin"))
    info = json.loads((thin / "prepare.json").read_text())
    info["shards"] = [s for s in info["shards"] if not (s["group"] == "zho_adu" and s["split"] == "validation")]
    (thin / "prepare.json").write_text(json.dumps(info))
    augment = recipe("augment")
    assert augment.selected_on(["zho_eld", "zho_adu"], DataArguments(bimotion=str(thin))) == ["zho_eld"]
    assert "note: zho_adu has no validation rows: the model is selected on zho_eld" in capsys.readouterr().err
    assert augment.selected_on(["zho_adu"], DataArguments(bimotion=str(thin))) == ["zho_adu"]  # the check names it
    assert augment.selected_on(["zho_eld", "zho_adu"], DataArguments(bimotion=paths["data"])) == ["zho_eld", "zho_adu"]
    # a group the folder does not hold at all is the check's error ("has no rows of eng_eld"), not first a note
    # that it "has no validation rows"
    capsys.readouterr()
    assert augment.selected_on(["zho_eld", "eng_eld"], DataArguments(bimotion=paths["data"])) == ["zho_eld"]
    assert "eng_eld" not in capsys.readouterr().err


def test_no_resume_still_parses_beside_the_resume_overwrite_rule():
    """`resume` became Optional (to refuse --resume true with --overwrite_output_dir), which took away
    the --no_resume flag a bool defaulting to true has: scripts that pass it stopped parsing."""
    from transformers import HfArgumentParser

    from bimotion.training.spec import RunArguments

    parser = HfArgumentParser(RunArguments)
    for argv, resume in (
        (["--no_resume"], False),
        (["--no-resume"], False),
        ([], True),
        (["--overwrite_output_dir"], False),
    ):
        assert parser.parse_args_into_dataclasses(argv)[0].resume is resume, argv
    for argv in (["--no_resume", "--resume", "true"], ["--resume", "true", "--overwrite_output_dir"]):
        with pytest.raises(ValueError, match="give one of them"):
            parser.parse_args_into_dataclasses(argv)


@pytest.mark.parametrize(
    ("below", "mode"),
    [("run", 0o555), ("", 0o555), ("run", 0o000), (None, 0o555)],
    ids=["a new folder in it", "the folder itself", "a new folder in one that cannot be entered", "the default here"],
)
def test_an_output_dir_that_cannot_be_written_is_a_usage_error(paths, tmp_path, below, mode):
    """A training run into a read-only folder warned that no lock could be taken (as on a file system
    without flock), then ended in a PermissionError traceback from its run_identity.json; below a folder
    that cannot be entered, the check itself ended in one (Path.is_file and Path.exists raise there); the
    default, results/<run> in the current folder, was not checked at all."""
    import subprocess
    import sys

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    out = shared / "results" if below is None else shared / below if below else shared  # None: the default
    given = TRAIN[:-2] if below is None else [*TRAIN[:-2], "--output_dir", str(out)]  # TRAIN ends with its own
    argv = [sys.executable, str(REPO / "recipes" / "train.py"), *(a.format(**paths) for a in given)]
    argv += ["--train_configs", "zho_eld", "--max_steps", "1", "--use_cpu", "true"]
    argv = unprivileged(argv)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=shared if below is None else None)
    finally:
        shared.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "cannot lock" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"train.py: error: --output_dir {out}: the folder {shared} is not writable (Permission denied); "
        "choose another --output_dir"
    )
    assert list(shared.iterdir()) == []


def test_infer_values_typed_after_an_arguments_file_extend_its_last_flag_as_argparse_reads_them(tmp_path, capsys):
    """Values typed bare after an arguments file extend the file's last list flag, as argparse reads
    them: `infer.py args.yaml eng_adu` with `configs` last in the file scores zho_eld and eng_adu (it was
    refused as "--test_configs \\x00untyped eng_adu", the check's stand-in value in the message); with
    `test_configs` last they extend the ignored field, refused naming only what was typed (the
    refusal is :func:`test_infer_values_typed_after_a_file_whose_last_key_it_ignores_are_refused_naming_them`'s)."""
    import yaml
    from transformers import HfArgumentParser

    from bimotion.training.parsing import parse_arguments

    infer = recipe("infer")

    def parse(values: dict, *typed: str) -> tuple:
        (tmp_path / "args.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
        parser = HfArgumentParser((infer.InferArguments, infer.DataArguments, infer.SERTrainingArguments))
        return parse_arguments(parser, [str(tmp_path / "args.yaml"), *typed], file_only=infer.FILE_ONLY)

    recipe_args, data_args, _ = parse({"model": "m", "test_configs": ["zho_adu"], "configs": ["zho_eld"]}, "eng_adu")
    assert recipe_args.configs == ["zho_eld", "eng_adu"] and data_args.test_configs == ["zho_adu"]
    with pytest.raises(SystemExit):
        parse({"model": "m", "configs": ["zho_eld"], "test_configs": ["zho_adu"]}, "eng_adu")
    err = capsys.readouterr().err.splitlines()[-1]
    assert "\0" not in err and err.split("error: ")[1].startswith("eng_adu: typed after "), err
    assert "test_configs (`--test_configs zho_adu eng_adu`)" in err, err


def test_infer_a_value_typed_bare_after_a_files_single_value_flag_is_not_said_to_be_that_flags(tmp_path, capsys):
    """`infer.py args.yaml zho_eld` where the file's last key is a single value's flag (seed: 1) was refused as
    "--seed zho_eld: infer.py does not train and does not read it", naming a value the user never gave
    --seed (argparse does not read it as one); argparse's own line names the stray value now."""
    import yaml
    from transformers import HfArgumentParser

    from bimotion.training.parsing import parse_arguments

    infer = recipe("infer")
    for last in ({"seed": 1}, {"bf16": False}):
        (tmp_path / "args.yaml").write_text(yaml.safe_dump({"model": "m", **last}, sort_keys=False))
        with pytest.raises(SystemExit):
            parse_arguments(HfArgumentParser(infer.ARGUMENTS), [str(tmp_path / "args.yaml"), "zho_eld"],
                            file_only=infer.file_only())  # fmt: skip
        err = capsys.readouterr().err.splitlines()[-1]
        assert "does not train" not in err and "zho_eld" in err, err


def test_infer_help_all_lists_the_choices_of_the_flags_it_takes_from_a_file_only(capsys):
    """infer.py --help_all listed `--lr_scheduler_type LR_SCHEDULER_TYPE` and `--optim OPTIM`, without their
    choices (the file-only check printed the help while it read those flags as text); it lists them as
    train.py's does, for one arguments file serving both."""
    with pytest.raises(SystemExit) as exit_:
        recipe("infer").main(["--help_all"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "--lr_scheduler_type {linear,cosine," in out and "--optim {adamw_torch," in out, out
    with pytest.raises(SystemExit) as exit_:  # help before a refusal, as argparse reads it
        recipe("infer").main(["--learning_rate", "0.1", "--help"])
    assert exit_.value.code == 0 and "--per_device_eval_batch_size" in capsys.readouterr().out


def test_infer_takes_a_gpu_training_arguments_file_on_a_machine_without_one(paths, tmp_path, capsys, monkeypatch):
    """An arguments file written for GPU training (`bf16: true`) given to infer.py on a machine without a GPU
    was refused by TrainingArguments' own check: "Your setup doesn't support bf16/gpu. You need to assign
    use_cpu if you want to train the model on CPU", though infer.py does not read the precision flags and
    does not train.  The file's precision flags are read as their defaults (false) and the file is taken;
    typed, --bf16 is still refused as a flag infer.py does not read."""
    import torch
    import yaml
    from transformers import HfArgumentParser

    from bimotion.training.parsing import parse_arguments

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # this machine's, on any machine
    infer = recipe("infer")
    values = {"model": paths["tiny"], "bimotion": paths["data"], "learning_rate": 1e-4}
    for precision in ({"bf16": True}, {"bf16_full_eval": True}, {"fp16": True}, {"fp16_full_eval": True},
                      {"bf16": True, "fp16": True}):  # fmt: skip
        (tmp_path / "args.yaml").write_text(yaml.safe_dump({**values, **precision}))
        parser = HfArgumentParser(infer.ARGUMENTS)
        _, _, training_args, *_ = parse_arguments(
            parser, [str(tmp_path / "args.yaml")], file_only=infer.file_only(), file_ignored=infer.FILE_IGNORED
        )
        assert not any(getattr(training_args, name) for name in precision), precision
        assert training_args.learning_rate == 1e-4  # the file's other arguments as they were
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**values, "bf16": "maybe"}))
    with pytest.raises(SystemExit):  # a value the flag does not read is not made a good one
        infer.main([str(tmp_path / "bad.yaml")])
    assert "--bf16" in capsys.readouterr().err.splitlines()[-1]
    # the recipe's own parse: past the file, to its model check
    err = _refused(infer.main, [str(tmp_path / "args.yaml")], capsys)
    assert f"error: --model {paths['tiny']} predicts" in err, err
    err = _refused(infer.main, [str(tmp_path / "args.yaml"), "--bf16", "true"], capsys)
    assert "--bf16 true: infer.py does not train and does not read it" in err, err


def _infer_training_args(infer, argv: list[str]):
    """The training arguments infer.py's parse gives ``argv`` (an arguments file first), as its main parses them."""
    from transformers import HfArgumentParser

    from bimotion.training.parsing import parse_arguments

    _, _, training_args, *_ = parse_arguments(
        HfArgumentParser(infer.ARGUMENTS), argv, file_only=infer.file_only(), file_ignored=infer.file_ignored
    )
    return training_args


def test_infer_takes_a_files_tf32_on_a_machine_without_tf32_and_refuses_it_typed(paths, tmp_path, capsys, monkeypatch):
    """A GPU training's arguments file with `tf32: true` given to infer.py on a machine without an Ampere or
    newer GPU was refused with transformers' "--tf32 requires Ampere or a newer GPU arch, cuda>=11 and
    torch>=1.7", a flag the user never typed.  The file's tf32 is read as false there (as its bf16), and is
    kept where the machine has a CUDA GPU; typed, `--tf32 true` is refused in our words, naming the flag and the fix."""
    import torch
    import yaml

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # this machine's, on any machine
    infer = recipe("infer")
    values = {"model": paths["tiny"], "bimotion": paths["data"], "learning_rate": 1e-4, "tf32": True}
    (tmp_path / "args.yaml").write_text(yaml.safe_dump(values))
    assert "tf32" in infer.file_ignored(["--tf32", "true"])
    training_args = _infer_training_args(infer, [str(tmp_path / "args.yaml")])
    assert not training_args.tf32 and training_args.learning_rate == 1e-4
    # the recipe's own parse: past the file, to its model check
    err = _refused(infer.main, [str(tmp_path / "args.yaml")], capsys)
    assert f"error: --model {paths['tiny']} predicts" in err, err
    err = _refused(infer.main, [str(tmp_path / "args.yaml"), "--tf32", "true"], capsys)
    assert "Traceback" not in err, err
    assert err.splitlines()[-1].endswith(f"error: {TF32_REFUSED}"), err
    _gpus(monkeypatch, ("NVIDIA A100-SXM4-40GB", (8, 0)))  # an Ampere GPU's: kept, TF32 runs there
    assert "tf32" not in infer.file_ignored(["--tf32", "true"])


def test_infer_sets_up_no_cuda_before_its_device_is_chosen_unless_its_file_sets_tf32(
    paths, tmp_path, capsys, monkeypatch
):
    """Every infer.py run (its --help and usage errors too, on every process of a launch) read every GPU's
    compute capability before parsing, which sets up CUDA before a launcher's process has its device: asked
    only where the arguments file sets tf32, the one value it decides (typed, SERTrainingArguments asks)."""
    import torch
    import yaml

    _gpus(monkeypatch, ("Tesla T4", (7, 5)))
    asked = []
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda i=None: asked.append(i) or (7, 5))
    infer = recipe("infer")
    with pytest.raises(SystemExit):
        infer.main(["--help"])
    (tmp_path / "args.yaml").write_text(yaml.safe_dump({"model": paths["tiny"], "bimotion": paths["data"]}))
    _refused(infer.main, [str(tmp_path / "args.yaml"), "--split", "nope", "--use_cpu", "true"], capsys)
    assert asked == []
    (tmp_path / "args.yaml").write_text(
        yaml.safe_dump({"model": paths["tiny"], "bimotion": paths["data"], "tf32": True})
    )
    training_args = _infer_training_args(infer, [str(tmp_path / "args.yaml"), "--use_cpu", "true"])
    assert asked == [0] and training_args.tf32 is False  # asked, and a T4 runs no TF32: read as false


TF32_NEEDS = (
    "--tf32 turns on TF32 matmuls, which need an NVIDIA Ampere or newer GPU (compute capability 8.0 or higher) "
)
TF32_REFUSED = f"{TF32_NEEDS}with CUDA, and this machine has none: leave --tf32 out (or give --tf32 false)"


def _gpus(monkeypatch, *gpus: tuple[str, tuple[int, int]]) -> None:
    """This machine's CUDA GPUs as torch sees them, on any machine: ``(name, compute capability)`` each."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(gpus))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=None: gpus[i][0])
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda i=None: gpus[i][1])


def test_a_files_tf32_on_a_gpu_older_than_ampere_is_read_as_false_by_infer_and_refused_by_train_in_our_words(
    paths, tmp_path, capsys, monkeypatch
):
    """On a CUDA GPU older than Ampere (a Colab T4: compute capability 7.5), a GPU training's arguments file
    with `tf32: true` still got transformers' "--tf32 requires Ampere or a newer GPU arch, cuda>=11 and
    torch>=1.7" from infer.py, where a CPU machine reads it as false; train.py gave the same line. infer.py now
    reads it as false there too; typed, and in train.py's file, it is refused in our words, naming the GPU."""
    import yaml

    from bimotion.training.training_args import SERTrainingArguments

    _gpus(monkeypatch, ("Tesla T4", (7, 5)))
    infer = recipe("infer")
    values = {"model": paths["tiny"], "bimotion": paths["data"], "tf32": True, "use_cpu": True}  # no CUDA set up
    (tmp_path / "args.yaml").write_text(yaml.safe_dump(values))
    assert "tf32" in infer.file_ignored(["--tf32", "true"])
    assert _infer_training_args(infer, [str(tmp_path / "args.yaml")]).tf32 is False
    older = "this machine's GPU (Tesla T4: compute capability 7.5) is older"
    refused = f"{TF32_NEEDS}with CUDA, and {older}: leave --tf32 out (or give --tf32 false)"
    with pytest.raises(ValueError) as err:  # typed: infer.py's parse raises it before choosing a device
        SERTrainingArguments(output_dir=str(tmp_path / "out"), tf32=True)
    assert str(err.value) == refused
    train = {"model_name_or_path": paths["tiny"], "bimotion": paths["data"], "train_configs": ["zho_eld"], "tf32": True}
    (tmp_path / "train.yaml").write_text(yaml.safe_dump({**train, "output_dir": str(tmp_path / "out")}))
    with pytest.raises(SystemExit) as exit_:
        recipe("train").main([str(tmp_path / "train.yaml")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err and err.splitlines()[-1].endswith(f"error: {refused}"), err
    from bimotion.training.training_args import tf32_missing

    _gpus(monkeypatch, ("Tesla V100-SXM2-16GB", (7, 0)), ("Tesla V100-SXM2-16GB", (7, 0)))
    assert tf32_missing() == "this machine's 2 GPUs (Tesla V100-SXM2-16GB: compute capability 7.0) are older"
    _gpus(monkeypatch, ("Tesla T4", (7, 5)), ("NVIDIA A100-SXM4-40GB", (8, 0)))  # left to transformers' own check
    assert tf32_missing() is None  # of the process's device, once chosen


@pytest.mark.parametrize("typed", ["1", "yes", "True"])
def test_the_tf32_refusal_does_not_put_words_in_the_users_mouth(typed, paths, capsys, monkeypatch):
    """`--tf32 1` or `--tf32 yes` on a machine without TF32 was refused as "--tf32 true: TF32 matmuls need ...",
    a value the user never typed; the refusal names the flag and the fix, and no value."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # this machine's, on any machine
    argv = ["--model", paths["tiny"], "--bimotion", paths["data"], "--tf32", typed]
    err = _refused(recipe("infer").main, argv, capsys)
    assert err.splitlines()[-1].endswith(f"error: {TF32_REFUSED}"), err


@pytest.mark.parametrize("name", ["train", "infer"])
def test_every_abbreviation_of_help_all_that_argparse_takes_shows_the_full_help(name, capsys):
    """`--help_a` (argparse takes it for --help_all) printed the short help, which hides the flags
    --help_all is there to list; each accepted abbreviation shows them now, as --help_all does."""
    with pytest.raises(SystemExit):
        recipe(name).main(["--help_all"])
    full = capsys.readouterr().out
    assert "--adam_beta1" in full
    for typed in ("--help_", "--help_a", "--help_al"):
        with pytest.raises(SystemExit) as exit_:
            recipe(name).main([typed])
        assert exit_.value.code == 0 and capsys.readouterr().out == full, typed


@pytest.mark.parametrize("last", ["validation_configs", "test_configs", "validation-configs"])
def test_infer_values_typed_after_a_file_whose_last_key_it_ignores_are_refused_naming_them(last, tmp_path, capsys):
    """`infer.py args.yaml eng_adu` with a list key infer.py ignores last in the file (validation_configs) was
    refused as "--validation_configs eng_adu: infer.py does not train and does not read it ...: leave it out",
    a flag the user never typed.  Argparse reads the line as `--validation_configs zho_eld eng_adu` (typed so,
    infer.py refuses it too); the refusal names what was typed, how argparse read it, and the fix.  The key is
    named as the file spells it: a file's `validation-configs` was named `validation_configs`."""
    import yaml

    infer = recipe("infer")
    (tmp_path / "args.yaml").write_text(yaml.safe_dump({"model": "m", last: ["zho_eld"]}, sort_keys=False))
    argv = [str(tmp_path / "args.yaml"), "eng_adu", "zho_adu", "--configs", "eng_eld"]
    err = _refused(infer.main, argv, capsys).splitlines()[-1]
    assert err.split("error: ")[1].startswith(
        f"eng_adu zho_adu: typed after {tmp_path / 'args.yaml'}, argparse reads this as more values of the file's "
        f"last key, {last} (`--{last} zho_eld eng_adu zho_adu`), which "
    ), err
    assert err.endswith("takes from an arguments file only: type the flag meant before it"), err
