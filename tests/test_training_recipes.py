"""The recipes end to end on a tiny random wav2vec2 and generated prepared datasets: learning, the
saved model through transformers' pipeline, the model card, publishing (dry run), resuming after a
kill, and multi-process training with the same scores.json as one process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
import torch
from conftest import load_recipe as recipe

from bimotion.hub_upload import upload_plan
from bimotion.training import testing
from bimotion.training.checkpoints import last_checkpoint
from bimotion.training.data import Sources, column, load_split
from bimotion.training.metrics import scores
from bimotion.training.testing import cpu_launch, subprocess_env
from loaders.labels import LABELS
from loaders.synthetic import NOTE as SYNTHETIC_NOTE

REPO = Path(__file__).resolve().parents[1]
torch.set_num_threads(2)


def key_paths(tree, prefix="") -> set[str]:
    """Every key path of a nested dict: the shape of a scores file."""
    if not isinstance(tree, dict):
        return set()
    out = set()
    for key, value in tree.items():
        out.add(prefix + key)
        out |= key_paths(value, prefix + key + "/")
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return testing.save_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def learnable(tmp_path_factory):
    """CREMA-D elderly with three emotions far apart in pitch and tempo, enough clips for a tiny model to learn."""
    root = tmp_path_factory.mktemp("learnable")
    testing.write_prepared(
        root / "bimotion",
        shards=[("crema_d", "eng_eld")],
        emotions=("sadness", "anger", "fear"),
        sizes={"train": 48, "validation": 12, "test": 24},
    )
    return root


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Four groups, a few clips each."""
    root = tmp_path_factory.mktemp("mixed")
    testing.write_prepared(
        root / "bimotion",
        shards=[("crema_d", "eng_eld"), ("esd", "eng_adu"), ("csed", "zho_eld"), ("esd", "zho_adu")],
        emotions=("sadness", "anger", "happiness"),
        sizes={"train": 12, "validation": 4, "test": 6},
    )
    return root


# A Hub user's code, run where bimotion, its readers and accelerate cannot be imported: the Auto
# classes and the pipeline on a clip (argv: model folder, clip as .npy, its rate), and the
# training arguments; prints the scores and the arguments' class, learning rate and token
HUB_USER = """
import json, sys
sys.modules.update(dict.fromkeys(("bimotion", "loaders", "accelerate")))
import numpy as np, torch
from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification, pipeline
folder, clip, rate = sys.argv[1], np.load(sys.argv[2]), int(sys.argv[3])
AutoConfig.from_pretrained(folder), AutoFeatureExtractor.from_pretrained(folder)
AutoModelForAudioClassification.from_pretrained(folder)
classify = pipeline("audio-classification", model=folder, top_k=None, device="cpu")
scores = {r["label"]: r["score"] for r in classify({"raw": clip, "sampling_rate": rate})}
args = torch.load(folder + "/training_args.bin", weights_only=False)
arguments = [type(args).__module__, type(args).__name__, args.learning_rate, args.hub_token]
print(json.dumps({"scores": scores, "arguments": arguments}))
"""


def common(tiny, data_root) -> list[str]:
    return [
        *("--model_name_or_path", str(tiny), "--bimotion", str(data_root / "bimotion")),
        *("--dataset_cache_dir", str(data_root / "cache")),
        *"--classifier_proj_size 16 --disable_tqdm true --logging_steps 1 --dataloader_pin_memory false".split(),
    ]


# ---------------------------------------------------------------------------------------------- learning, pipeline, card
@pytest.mark.slow  # trains until it learns: ~5 min on 2 cores
def test_training_learns_and_the_saved_model_needs_none_of_our_code(tiny, learnable, tmp_path):
    out = tmp_path / "model"
    # a random CNN is no feature encoder: train it too (a pretrained XLSR-53 keeps it frozen);
    # select on validation weighted F1, since 12 validation clips make the loss a noisy criterion
    argv = common(tiny, learnable) + ["--output_dir", str(out)]
    argv += "--train_configs eng_eld --test_configs eng_eld --num_train_epochs 15 --learning_rate 3e-3".split()
    argv += "--no_freeze_feature_encoder --metric_for_best_model weighted_f1 --early_stopping_patience 0".split()
    argv += "--save_total_limit 1".split()
    assert recipe("train").main(argv) == 0

    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    train_losses = [h["loss"] for h in history if "loss" in h]
    eval_losses = [h["eval_loss"] for h in history if "eval_loss" in h]
    assert np.mean(train_losses[-6:]) < 0.75 * np.mean(train_losses[:6])  # training lowers the loss
    assert min(eval_losses) < eval_losses[0]  # and the held-out loss

    summary = json.loads((out / "scores.json").read_text())
    test = load_split(
        Sources(bimotion=str(learnable / "bimotion"), cache_dir=str(learnable / "cache")), ["eng_eld"], "test"
    )
    labels, masks = np.array(column(test, "labels").tolist()), np.array(column(test, "label_mask").tolist())
    # the best a predictor blind to the audio can do on weighted F1: every annotated label positive
    chance = scores(np.full(labels.shape, 10.0), labels, masks)["weighted_f1"]
    got = summary["test"]["groups"]["eng_eld"]["corpora"]["crema_d"]
    assert got["num_samples"] == len(test) == 24
    assert got["weighted_f1"] > chance + 0.1, (got["weighted_f1"], chance)
    assert set(got["per_label"]) == {"anger", "disgust", "fear", "happiness", "neutral", "sadness"}
    assert 0 <= got["unweighted_accuracy"] <= 1
    assert summary["train_manifest"]["num_clips"] == 48 and summary["train_manifest"]["hash"].startswith("sha256:")
    assert len((out / "train_manifest.txt").read_text().split()) == 48
    assert not list(out.glob("checkpoint-*/scores.json"))
    with PIL.Image.open(out / "confusion_test.png") as png:  # generated data: its figure says so, as its card
        assert (
            png.text["Title"]
            == f"Trained on English elderly (seed {summary['hyperparameters']['seed']}): confusion on the test split — {SYNTHETIC_NOTE}"
        )

    # a standard transformers checkpoint: Auto class and pipeline, sigmoid scores over the 13 named labels
    from transformers import AutoModelForAudioClassification, pipeline

    from bimotion.features import decode_audio_bytes
    from bimotion.training.collator import AudioCollator

    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["Wav2Vec2ForSequenceClassification"]
    assert config["problem_type"] == "multi_label_classification" and "auto_map" not in config
    model = AutoModelForAudioClassification.from_pretrained(out).eval()
    assert [model.config.id2label[i] for i in range(13)] == list(LABELS)

    clip, rate = decode_audio_bytes(test.with_format(None)[0]["audio"]["bytes"])
    classify = pipeline("audio-classification", model=str(out), top_k=None, device="cpu")
    result = classify({"raw": clip, "sampling_rate": rate})
    assert sorted(r["label"] for r in result) == sorted(LABELS)
    got_scores = {r["label"]: r["score"] for r in result}
    assert abs(sum(got_scores.values()) - 1) > 0.05  # not a softmax
    with torch.no_grad():
        batch = AudioCollator(classify.feature_extractor)(
            [{"audio": {"bytes": test.with_format(None)[0]["audio"]["bytes"]}}]
        )
        logits = model(**batch).logits[0]
    expected = torch.sigmoid(logits)
    assert [got_scores[name] for name in LABELS] == pytest.approx(expected.tolist(), abs=1e-4)
    # the same scores where bimotion is not installed (nor accelerate: a Hub user's `pip install
    # transformers torch`), and the training arguments Trainer saves load there too
    np.save(tmp_path / "clip.npy", clip)
    done = subprocess.run(
        [sys.executable, "-c", HUB_USER, str(out), str(tmp_path / "clip.npy"), str(rate)],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded["arguments"] == ["transformers.training_args", "TrainingArguments", 3e-3, None]
    assert loaded["scores"] == pytest.approx(got_scores, abs=1e-5)

    # the card renders, and its model-index parses with huggingface_hub's own utilities
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    card = ModelCard.load(out / "README.md")
    model_name, results = model_index_to_eval_results(card.data.to_dict()["model-index"])
    assert model_name == "eng_eld"
    by_name = {r.metric_name: r for r in results}
    assert by_name["weighted F1 crema_d"].metric_value == pytest.approx(round(100 * got["weighted_f1"], 2))
    assert (
        by_name["weighted F1 crema_d"].dataset_config == "eng_eld"
        and by_name["weighted F1 crema_d"].dataset_split == "test"
    )
    assert card.data.pipeline_tag == "audio-classification" and card.data.library_name == "transformers"
    for needle in (
        "## Limitations",
        "elderly",
        "**Synthetic data**",  # the generated corpora's limitation, not those written about the real ones
        summary["train_manifest"]["hash"],
        "## Intended use",
        "sadness, fear, anger",
    ):
        assert needle in card.text


# ---------------------------------------------------------------------------------------------- a real prepared dataset
def test_augment_on_a_dataset_made_by_bimotion_prepare(tiny, tmp_path, capsys):
    """The recipes read what `bimotion prepare` writes (here from generated raw CSED and ESD)."""
    from bimotion.prepare import prepare
    from loaders import testing as corpora

    roots = {name: corpora.make_corpus(name, tmp_path / "raw" / name) for name in ("csed", "esd")}
    data = prepare(roots, tmp_path / "bimotion", progress=False).out_dir
    out = tmp_path / "model"
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(data), "--dataset_cache_dir", str(tmp_path / "cache")]
    argv += "--classifier_proj_size 16 --disable_tqdm true --dataloader_pin_memory false".split()
    argv += ["--target", "zho_eld", "--num_train_epochs", "1", "--output_dir", str(out)]
    assert recipe("augment").main(argv + ["--mixture", "cross_age"]) == 0
    summary = json.loads((out / "scores.json").read_text())
    assert summary["train_groups"] == ["zho_eld", "zho_adu"] and summary["train_corpora"] == ["csed", "esd"]
    assert list(summary["test"]["groups"]) == ["eng_adu", "zho_eld", "zho_adu"]  # every group it has
    assert summary["test"]["groups"]["zho_adu"]["corpora"]["esd"]["num_samples"] > 0
    # X(L, eld) needs English elderly corpora, which were not prepared: a clear error, not a smaller mixture
    with pytest.raises(SystemExit) as exit_:  # a usage error before anything loads
        recipe("augment").main(argv + ["--mixture", "cross_lingual", "--output_dir", str(tmp_path / "other")])
    assert exit_.value.code == 2
    assert re.search(r"--mixture: .* has no rows of eng_eld .*crema_d, elderreact, tess", capsys.readouterr().err)


def test_a_union_config_of_a_partly_prepared_dataset_trains_on_the_groups_it_has(tiny, tmp_path, capsys):
    """With only CSED prepared (zho_eld), the card lists `all` (CSED's rows), but --train_configs all
    stopped on "in more than one benchmark" and bimotion:all on "includes eng_eld, of which ... has no
    rows".  Now it trains on zho_eld, says so in one note, and scores.json records what it was."""
    testing.write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8, "test": 4})
    out = tmp_path / "model"
    argv = [*common(tiny, tmp_path), "--train_configs", "all", "--max_steps", "1", "--output_dir", str(out)]
    assert recipe("train").main(argv) == 0
    note = "has no rows of eng_eld, eng_adu, zho_adu: all is read from zho_eld only"
    assert note in capsys.readouterr().err
    summary = json.loads((out / "scores.json").read_text())
    assert (summary["train_configs"], summary["train_groups"]) == (["bimotion:all"], ["zho_eld"])
    assert summary["train_corpora"] == ["csed"] and list(summary["test"]["groups"]) == ["zho_eld"]


@pytest.mark.slow  # fresh training processes: ~1 min on 2 cores
def test_train_on_a_users_own_corpus_in_a_fresh_process(tiny, tmp_path, monkeypatch):
    """A group that only a user's corpus fills (ind_eld) is a training config in a fresh process (the
    names resolve from the folder's prepare.json), and the model card lists that corpus's labels."""
    from bimotion.prepare import prepare
    from loaders import testing as corpora

    root = corpora.make_corpus("audiofolder", tmp_path / "raw", language="ind", age_groups=("eld",), speakers=4)
    data = prepare({"carehome": root}, tmp_path / "mine", protocol="speaker", progress=False).out_dir
    out = tmp_path / "model"
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(data), "--dataset_cache_dir", str(tmp_path / "cache")]
    argv += "--classifier_proj_size 16 --disable_tqdm true --dataloader_pin_memory false".split()
    argv += ["--train_configs", "ind_eld", "--max_steps", "2", "--output_dir", str(out)]
    run = subprocess.run(
        [sys.executable, str(REPO / "recipes" / "train.py"), *argv],
        env=subprocess_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads((out / "scores.json").read_text())
    annotated = summary["label_spaces"]["carehome"]
    assert annotated and set(annotated) <= set(LABELS)
    card = (out / "README.md").read_text()
    assert f"- `carehome`: {', '.join(annotated)}" in card
    # the card tells what happened: the folder's protocol, the run's steps, its language, its own corpus
    assert "bimotion: `speaker`, speaker-independent" in card  # its metadata has no split column: whole speakers
    assert "carehome: whole speakers per split" in card
    assert "2 steps (" in card and "generated Indonesian data" in card and "a user's own corpus (carehome)" in card
    assert "speakers can occur in both training" not in card
    bad = subprocess.run(
        [sys.executable, str(REPO / "recipes" / "train.py"), *argv[:-2], "--train_configs", "zho"],
        env=subprocess_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr[-3000:]
    assert "has no rows of any group of zho (zho_eld, zho_adu; it holds ind_eld)" in bad.stderr
    # inference with its default configs (every group of the folder, the user's too), in a fresh process
    scored = subprocess.run(
        [sys.executable, str(REPO / "recipes" / "infer.py"), "--model", str(out), "--bimotion", str(data),
         "--dataset_cache_dir", str(tmp_path / "cache"), "--disable_tqdm", "true"],
        env=subprocess_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr[-3000:]
    inferred = (out / "inference_test.json").read_text()
    assert list(json.loads(inferred)["test"]["groups"]) == ["ind_eld"]
    # it lands in the model folder, which is published: no path of this machine (it had the model's and
    # the dataset's absolute paths)
    assert str(tmp_path) not in inferred
    assert json.loads(inferred)["model"] == "local:model" and json.loads(inferred)["datasets"] == {
        "bimotion": "local:mine"
    }
    assert json.loads(inferred)["provenance"]["command"][:3] == ["infer.py", "--model", "local:model"]
    # the projection recipe's checks resolve the folder's own groups too (in a process that knew none)
    from bimotion.registry import BENCHMARKS, BUILTIN

    monkeypatch.setitem(BENCHMARKS, "bimotion", BUILTIN["bimotion"])
    project = recipe("project")
    found = project.check(
        project.ProjectArguments(bimotion=str(data), model=str(out), test="ind_eld", panels=["ind_eld"])
    )
    assert [spec["test"] for spec in found] == ["ind_eld"]


# ---------------------------------------------------------------------------------------------- publishing
def test_push_to_hub_dry_run_lists_the_upload_and_touches_no_network(tiny, mixed, tmp_path, capsys, monkeypatch):
    import huggingface_hub

    def no_network(*args, **kwargs):
        raise AssertionError("a dry run must not reach the Hub")

    for name in ("create_repo", "upload_folder", "whoami", "upload_file", "create_commit"):
        monkeypatch.setattr(huggingface_hub.HfApi, name, no_network)
    out = tmp_path / "model"
    argv = common(tiny, mixed) + ["--output_dir", str(out)]
    argv += "--train_configs zho_eld --test_configs zho_eld zho_adu --num_train_epochs 1".split()
    argv += "--push_to_hub --hub_model_id someone/ser-zho-eld --push_dry_run".split()
    assert recipe("train").main(argv) == 0
    printed = capsys.readouterr().out
    plan = upload_plan(out)
    # as `bimotion push --dry-run` says it: sizes in MB and whether the repository is private
    assert re.search(
        rf"would upload {len(plan)} files \(\d+\.\d MB\) to https://huggingface.co/someone/ser-zho-eld \(private\):",
        printed,
    )
    listed = [line.strip().split("  ") for line in printed.splitlines() if line.startswith("  ") and "MB)" in line]
    assert [(p, f"({s / 1e6:.2f} MB)") for p, s in plan] == [tuple(x) for x in listed]
    files = {p for p, _ in plan}
    assert {
        "README.md",
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "scores.json",
        "train_manifest.txt",
    } <= files
    assert (out / "checkpoint-2").is_dir() and not any(p.startswith("checkpoint-") for p in files)
    card = huggingface_hub.ModelCard.load(out / "README.md")
    assert {r.dataset_config for r in card.data.eval_results} == {"zho_eld", "zho_adu"}
    assert 'pipeline("audio-classification", model="someone/ser-zho-eld"' in card.text


# ---------------------------------------------------------------------------------------------- resuming
@pytest.mark.slow  # fresh training processes: ~1 min on 2 cores
def test_a_killed_run_resumes_from_its_last_checkpoint_and_finishes(tiny, mixed, tmp_path):
    out = tmp_path / "model"
    epochs = 6
    argv = common(tiny, mixed) + ["--output_dir", str(out), "--num_train_epochs", str(epochs)]
    argv += "--train_configs zho_eld --test_configs zho_eld --early_stopping_patience 0".split()
    log = (tmp_path / "first.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "recipes" / "train.py"), *argv],
        env=subprocess_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 240
    try:
        while proc.poll() is None and time.time() < deadline and last_checkpoint(out) is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, (tmp_path / "first.log").read_text()[-3000:]
    checkpoint = last_checkpoint(out)
    assert checkpoint is not None and not (out / "scores.json").exists()
    step = int(checkpoint.rsplit("-", 1)[1])

    assert recipe("train").main(argv) == 0  # the same command again
    summary = json.loads((out / "scores.json").read_text())
    steps_per_epoch = 2  # 12 clips, batches of 8
    assert summary["resumed_from"] == Path(checkpoint).name  # relative to the model folder: it is published
    assert summary["selection"]["global_step"] == epochs * steps_per_epoch > step
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert [round(h["epoch"]) for h in history if "eval_loss" in h] == list(range(1, epochs + 1))


def test_quiet_training_writes_one_line_per_evaluation_not_log_dictionaries(tiny, mixed, tmp_path, capsys):
    """docs/recipes.md: quiet output is a progress bar per stage; each evaluation is one short line
    (epoch, step, validation loss and weighted F1), not transformers' dictionaries of every log."""
    argv = common(tiny, mixed) + ["--output_dir", str(tmp_path / "m"), "--num_train_epochs", "2"]
    assert recipe("train").main(argv + ["--train_configs", "zho_eld", "--test_configs", "zho_eld"]) == 0
    printed = "".join(capsys.readouterr())
    assert "{'eval_loss'" not in printed and "{'train_runtime'" not in printed
    assert (
        len(
            re.findall(
                r"epoch \d\.\d\d, step \d+: training loss \d\.\d{4}, validation loss \d\.\d{4}, weighted F1 \d+\.\d%",
                printed,
            )
        )
        == 2
    )
    # how the run ended and which model it kept (a run cut short by early stopping said nothing)
    assert re.search(r"\ntrained \d+ steps; kept checkpoint-\d+ \(validation loss \d\.\d{4}\)\n", printed), printed


def test_a_library_run_saves_its_model_and_checkpoints_with_no_bar_and_ends_with_its_report(
    tiny, mixed, tmp_path, capfd
):
    """The docs' "same run from Python" (no quiet(): transformers' bars on, as in any program) printed
    transformers' "Writing model shards" bar for each checkpoint and the model, a file written in a
    moment: read together, the output showed "(1000 resamples)Writing model shards ...", a bar glued to
    the report's last line; and its "Loading weights" bar for the base model.  Saving and loading are
    quiet now (bimotion.console.transformers_bars); the bars are on again after the run, and the report
    is the output's end.  Its reads of the prepared data printed datasets' "Generating train split: 12
    examples" bars (one per split, on a cache not built yet): off too (bimotion.console.datasets_bars)."""
    import datasets
    from transformers.utils import logging

    from bimotion.training.run import train_and_report
    from bimotion.training.spec import TrainSpec

    values = {
        "model_name_or_path": str(tiny),
        "bimotion": str(mixed / "bimotion"),
        "dataset_cache_dir": str(tmp_path / "cache"),  # not built yet: datasets generates every split
        "output_dir": str(tmp_path / "m"),
        "test_configs": ["zho_eld"],
        "classifier_proj_size": 16,
        "num_train_epochs": 1,  # a checkpoint at its end, and the model: each a save
        "disable_tqdm": True,  # the training bar (ours, a stage's) is not what this is about
        "dataloader_pin_memory": False,
    }
    logging.enable_progress_bar()  # as in a program that never called bimotion.console.quiet()
    datasets_bars_before = datasets.is_progress_bar_enabled()
    datasets.enable_progress_bars()
    try:
        assert train_and_report(TrainSpec.from_values(["zho_eld"], values)) == 0
        assert logging.is_progress_bar_enabled() and datasets.is_progress_bar_enabled()  # on again after it
    finally:
        logging.disable_progress_bar()
        if not datasets_bars_before:
            datasets.disable_progress_bars()
    out, err = capfd.readouterr()
    assert list((tmp_path / "m").glob("checkpoint-*")) and (tmp_path / "m" / "model.safetensors").is_file()
    assert list((tmp_path / "cache").iterdir())  # the splits were generated in this run
    for noise in ("Writing model shards", "Loading weights", "Generating", "examples/s"):
        assert noise not in out + err, err[-2000:]
    lines = out.rstrip("\n").splitlines()
    assert lines[-1] == (
        "95% CI: bootstrap over the test clips, within each corpus (1000 resamples); test set: 3 speakers (zho_eld): "
        "its interval understates how much other speakers' scores vary"
    ), lines[-4:]


def on_a_terminal(command: list[str], columns: int = 120) -> tuple[int, list[str]]:
    """Run ``command`` on a pseudo-terminal ``columns`` wide: its exit code and the lines its screen
    ends with (each line as its last redraw, ``\\r``, left it)."""
    import fcntl
    import os
    import struct
    import termios

    main_fd, child_fd = os.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(command, stdin=child_fd, stdout=child_fd, stderr=child_fd, env=subprocess_env())
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the child's end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    return proc.wait(), rendered(b"".join(chunks).decode("utf-8", "replace"))


def rendered(text: str) -> list[str]:
    """The lines a terminal shows for ``text``: ``\\r`` and ``\\n`` as a pseudo-terminal sends them, and
    tqdm's cursor moves (``ESC[A``, up a line) among its bars; each character written over the last."""
    screen: list[list[str]] = [[]]
    row = col = 0
    for token in re.findall(r"\x1b\[[0-9;]*[A-Za-z]|[\r\n]|[^\x1b\r\n]", text):
        if token == "\r":
            col = 0
        elif token == "\n":
            row += 1
            screen += [[] for _ in range(row + 1 - len(screen))]
        elif token == "\x1b[A":
            row = max(row - 1, 0)
        elif not token.startswith("\x1b"):
            line = screen[row]
            line += [" "] * (col + 1 - len(line))
            line[col] = token
            col += 1
    return ["".join(line).rstrip() for line in screen]


def test_on_a_terminal_the_scoring_bars_after_training_go_once_done(tiny, mixed, tmp_path):
    """On a terminal, the scoring of the trained model (validation, then test sets) left two bars
    after the training bar, named by nothing: '100%|####| 4/4' and '100%|####| 86/86' above the
    report.  They say "scoring" as they run, and go once done: the training bar, then the report."""
    argv = common(tiny, mixed) + ["--output_dir", str(tmp_path / "m"), "--num_train_epochs", "1"]
    argv += "--train_configs zho_eld --test_configs zho_eld zho_adu --disable_tqdm false".split()
    code, screen = on_a_terminal([sys.executable, str(REPO / "recipes" / "train.py"), *argv])
    shown = "\n".join(screen)
    assert code == 0, shown
    bars = [line for line in screen if re.match(r" *\d+%\|", line)]
    assert len(bars) == 1 and re.fullmatch(r"100%\|█+\| 2/2 \[.*\]", bars[0]), shown  # the training bar, full
    end = screen.index(f"model, scores.json and model card: {tmp_path / 'm'}")
    assert screen[end - 2 : end] == [bars[0], ""], shown  # then the report


@pytest.mark.slow  # fresh training processes: ~1 min on 2 cores
def test_a_second_run_into_a_held_output_folder_fails_at_once(tiny, mixed, tmp_path, capsys):
    """Two runs never write one folder's checkpoints, model and scores: while a run holds
    OUT/.train.lock, another (one process, or every process of a launch) exits with code 2 and one
    line, before reading any data, and writes nothing."""
    from bimotion.data.publish import locked

    out = tmp_path / "model"
    argv = common(tiny, mixed) + ["--output_dir", str(out), "--num_train_epochs", "1", "--train_configs", "zho_eld"]
    with locked(out, "train", flag="--output_dir", inside=True):
        assert recipe("train").main(argv) == 2
        assert f"error: another train is writing {out}" in capsys.readouterr().err
        launched = subprocess.run(
            cpu_launch(REPO / "recipes" / "train.py", *argv),
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert launched.returncode != 0 and launched.stderr.count("error: another train is writing") == 1, launched.stderr[
        -3000:
    ]
    assert list(out.iterdir()) == []  # nothing written, and the lock is gone with its holder
    assert recipe("train").main(argv) == 0 and (out / "scores.json").is_file()  # free again
    assert not (out / ".train.lock").exists()


# ---------------------------------------------------------------------------------------------- several processes
@pytest.mark.slow
def test_two_processes_end_to_end_give_the_same_scores_file_as_one(tiny, mixed, tmp_path):
    """`accelerate launch` with 2 CPU processes (gloo DDP) through augment.py, then infer.py on its model.

    accelerate 1.x starts a single process for `accelerate launch --cpu --num_processes 2` (several CPU
    processes need mpirun there), so the processes come from its multi-process launcher; the recipe
    sees no GPU and trains on CPU."""
    args = common(tiny, mixed) + "--target zho_eld --mixture cross_age --num_train_epochs 2".split()
    two, one = tmp_path / "two", tmp_path / "one"
    run = subprocess.run(
        cpu_launch(REPO / "recipes" / "augment.py", *args, "--output_dir", str(two)),
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "find_unused_parameters=True was specified" not in run.stderr  # layerdrop 0: DDP needs no search
    assert recipe("augment").main(args + ["--output_dir", str(one)]) == 0

    a, b = (json.loads((d / "scores.json").read_text()) for d in (two, one))
    assert a["hyperparameters"]["world_size"] == 2 and b["hyperparameters"]["world_size"] == 1
    assert a["selection"]["global_step"] == 2 * 2 and b["selection"]["global_step"] == 2 * 3  # 24 clips: 16 vs 8 a step
    assert key_paths(a) == key_paths(b)
    for split in ("validation", "test"):  # every clip scored exactly once, in both
        assert a[split]["num_samples"] == b[split]["num_samples"]
        assert {g: v["num_samples"] for g, v in a[split]["groups"].items()} == {
            g: v["num_samples"] for g, v in b[split]["groups"].items()
        }
    assert a["train_groups"] == ["zho_eld", "zho_adu"] and a["train_manifest"]["hash"] == b["train_manifest"]["hash"]

    # cross-group inference with the 2-process model, on 2 processes
    cmd = cpu_launch(
        REPO / "recipes" / "infer.py",
        "--model",
        two,
        "--bimotion",
        mixed / "bimotion",
        "--dataset_cache_dir",
        mixed / "cache",
        "--configs",
        "zho_eld",
        "eng_eld",
        "eng_adu",
    )
    run = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    inferred = json.loads((two / "inference_test.json").read_text())
    assert inferred["relation"] == {"zho_eld": "in_group", "eng_eld": "cross_lingual", "eng_adu": "cross_lingual"}
    for key in ("num_samples", "weighted_f1", "macro_f1", "loss"):  # the same model scored the same way
        assert inferred["test"]["groups"]["zho_eld"][key] == pytest.approx(
            a["test"]["groups"]["zho_eld"][key], abs=1e-5
        )
