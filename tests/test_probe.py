"""The frozen-feature backend (bimotion.probe): it learns, it is deterministic, its features are
cached and resumable, it runs the grid, and on the real CSED it beats chance by a wide margin."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import load_recipe

from bimotion.grid import load_config, prepare_fixtures, run_grid, shipped_config
from bimotion.mixture import Shard
from bimotion.probe.cache import features_of
from bimotion.probe.features import FeatureSpec
from bimotion.probe.head import ProbeArguments
from bimotion.probe.run import predict_probe, train_probe
from bimotion.training.data import Sources, load_shards
from bimotion.training.spec import DataArguments
from bimotion.training.testing import save_tiny_model, write_prepared
from loaders.labels import LABELS

SHARDS = [("csed", "zho_eld"), ("esd", "zho_adu")]
FAST = ProbeArguments(num_train_epochs=30)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("probe-data") / "bimotion"
    return write_prepared(root, shards=SHARDS, sizes={"train": 60, "validation": 12, "test": 30})


def data_args(folder: Path, cache: Path, **kw) -> DataArguments:
    return DataArguments(bimotion=str(folder), dataset_cache_dir=str(cache), **kw)


def corpus_scores(summary: dict) -> dict[str, dict]:
    return {c: s for g in summary["test"]["groups"].values() for c, s in g["corpora"].items()}


def test_logmel_probe_learns_far_above_chance_and_writes_the_training_scores_shape(corpora, tmp_path):
    summary = train_probe(
        ["zho_eld", "zho_adu"], data_args(corpora, tmp_path / "cache"), FAST, features="logmel", seed=0,
        output_dir=tmp_path / "run", progress=False,
    )  # fmt: skip
    scores = corpus_scores(summary)
    # chance UA: 1/3 for CSED's 3 classes, 1/5 for ESD's 5 (the learned numbers were 0.8 and 0.7)
    assert scores["csed"]["unweighted_accuracy"] >= 0.6
    assert scores["esd"]["unweighted_accuracy"] >= 0.45
    saved = json.loads((tmp_path / "run" / "scores.json").read_text())
    assert saved["test"] == json.loads(json.dumps(summary["test"]))
    assert {"run_name", "base_model", "train_configs", "test_configs", "train_groups", "validation", "test"} <= set(
        saved
    )
    assert saved["train_configs"] == ["zho_eld", "zho_adu"] and saved["test_configs"] == ["zho_eld", "zho_adu"]
    assert saved["provenance"]["seed"] == 0 and set(saved["provenance"]["data"]) == {"bimotion"}  # what made it
    assert saved["provenance"]["versions"]["torch"]


def test_labels_a_probe_never_trained_on_are_scored_and_predicted_absent(corpora, tmp_path):
    """A probe trained on CSED (neutral/positive/negative) tested on ESD: its untrained outputs are
    predicted absent, as a fine-tuned model's are, in scores.json, in the saved probe (which the grid
    and the projections read) and in its predictions, so they never score by chance."""
    from bimotion.training.data import column, load_split, sources_of
    from bimotion.training.metrics import read_trained_labels
    from bimotion.training.model import UNTRAINED_BIAS

    args = data_args(corpora, tmp_path / "cache", test_configs=["zho_adu"])
    summary = train_probe(["zho_eld"], args, FAST, features="logmel", seed=0, output_dir=tmp_path / "run",
                          progress=False)  # fmt: skip
    trained = ["neutral", "positive", "negative"]
    assert summary["trained_labels"] == trained and read_trained_labels(tmp_path / "run") == trained
    esd = corpus_scores(summary)["esd"]
    assert esd["untrained_labels"] == ["sadness", "anger", "happiness", "surprise"]
    assert all(esd["per_label"][label]["f1"] == 0.0 for label in esd["untrained_labels"])
    dataset = load_split(sources_of(args), ["zho_adu"], "test")
    predicted = predict_probe(
        tmp_path / "run", dataset, sources={"bimotion": str(corpora), "cache_dir": str(tmp_path / "cache")},
        shards=[Shard("bimotion", "esd", "zho_adu")],
    )  # fmt: skip
    untrained = [i for i, label in enumerate(LABELS) if label not in trained]
    assert len(predicted["logits"]) == len(column(dataset, "id"))
    assert (predicted["logits"][:, untrained] == UNTRAINED_BIAS).all()
    assert (predicted["logits"][:, [LABELS.index(t) for t in trained]] != UNTRAINED_BIAS).all()


def test_same_seed_same_head_and_features_extracted_once_resuming_a_lost_chunk(corpora, tmp_path):
    cache = tmp_path / "cache"
    runs = [
        train_probe(["zho_eld"], data_args(corpora, cache), FAST, features="logmel", seed=3,
                    output_dir=tmp_path / f"run{i}", progress=False)
        for i in range(2)
    ]  # fmt: skip
    assert runs[0]["test"] == runs[1]["test"] and runs[0]["history"] == runs[1]["history"]
    chunks = sorted(cache.glob("bimotion-features/*/zho_eld/csed.*.npz"))
    assert [p.name.split(".")[1] for p in chunks] == ["test", "train", "validation"]
    before = {p: p.stat().st_mtime_ns for p in chunks}
    with np.load(chunks[0]) as data:
        lost = data["features"]
    chunks[0].unlink()  # an interrupted extraction: only the missing chunk is extracted again
    sources = Sources(str(corpora), None, str(cache))
    for split in ("train", "validation", "test"):
        features_of(sources, [Shard("bimotion", "csed", "zho_eld")], split, FeatureSpec("logmel"), progress=False)
    with np.load(chunks[0]) as data:
        np.testing.assert_array_equal(data["features"], lost)
    assert all(p.stat().st_mtime_ns == t for p, t in before.items() if p != chunks[0])


def test_feature_extraction_bars_show_on_a_terminal_not_in_a_log_under_quiet_output(corpora, tmp_path, monkeypatch):
    """recipes/project.py's output held a bar per shard, a line per refresh: under quiet output (an
    entry point's default) the extraction's bar shows on a terminal only, with --verbose anywhere."""
    import io
    import sys

    from bimotion import console

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def printed(stream, cache: str) -> str:  # a fresh cache each time: the features are extracted
        monkeypatch.setattr(sys, "stderr", stream)
        features_of(Sources(str(corpora), None, str(tmp_path / cache)), [Shard("bimotion", "csed", "zho_eld")],
                    "test", FeatureSpec("logmel"))  # fmt: skip
        return stream.getvalue()

    try:
        console.quiet()
        assert printed(io.StringIO(), "log") == ""
        assert "logmel features zho_eld/csed test" in printed(Terminal(), "terminal")
        console.quiet(verbose=True)
        assert "logmel features zho_eld/csed test" in printed(io.StringIO(), "verbose")
    finally:
        console.quiet(verbose=True)  # the libraries' defaults, as before the test


@pytest.fixture
def one_thread():
    """A tiny encoder runs several times faster on one thread of a busy shared CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_encoder_probe_learns_a_weighted_sum_of_layers_and_predicts_as_scored(corpora, tmp_path, one_thread):
    encoder = save_tiny_model(tmp_path / "tiny")
    sources = {"bimotion": str(corpora), "cache_dir": str(tmp_path / "cache")}
    summary = train_probe(
        ["zho_eld"], data_args(corpora, tmp_path / "cache"), ProbeArguments(num_train_epochs=5), features=str(encoder),
        seed=0, output_dir=tmp_path / "run", progress=False,
    )  # fmt: skip
    assert summary["base_model"] == "local:tiny"
    cached = features_of(Sources(str(corpora), None, sources["cache_dir"]), [Shard("bimotion", "csed", "zho_eld")],
                         "test", FeatureSpec(str(encoder)), progress=False)  # fmt: skip
    assert cached["features"].shape == (30, 3, 32)  # CNN output + 2 layers, hidden size 32
    dataset = load_shards(Sources(str(corpora)), [Shard("bimotion", "csed", "zho_eld")], "test")
    pred = predict_probe(tmp_path / "run", dataset.select(range(29, -1, -1)), sources=sources,
                         shards=[Shard("bimotion", "csed", "zho_eld")], features=True)  # fmt: skip
    assert pred["id"].tolist() == cached["id"][::-1].tolist()
    assert pred["features"].shape == (30, 256) and np.isfinite(pred["logits"]).all()
    one_layer = train_probe(
        ["zho_eld"], data_args(corpora, tmp_path / "cache"), ProbeArguments(num_train_epochs=2, layer=1, head="linear"),
        features=str(encoder), seed=0, output_dir=tmp_path / "layer1", progress=False,
    )  # fmt: skip
    assert one_layer["hyperparameters"]["layer"] == 1


def test_egemaps_features_are_the_88_functionals():
    pytest.importorskip("opensmile", reason="features egemaps need the optional extra bimotion[egemaps]")
    rng = np.random.default_rng(0)
    wave = (np.sin(np.arange(16000) * 2 * np.pi * 180 / 16000) * 0.3 + rng.normal(0, 0.01, 16000)).astype(np.float32)
    features = FeatureSpec("egemaps").extractor()(wave)
    assert features.shape == (88,) and np.isfinite(features).all()


ZHO_ELD_FIGURE = {
    "name": "zho_eld",
    "title": "Mandarin elderly in the probe's feature space",
    "model": "zho_eld",
    "test": "zho_eld",
    "panels": [{"title": "zho_eld", "train": "zho_eld"}, {"title": "zho", "train": "zho"}],
}


@pytest.mark.slow  # a probe grid of every table: ~1 min
def test_probe_grid_runs_every_table_reuses_its_models_and_projects_its_hidden_features(tmp_path_factory, tmp_path):
    from bimotion.grid import data_sources
    from bimotion.grid.checks import check_inputs
    from bimotion.grid.plan import make_plan
    from bimotion.projection import FeatureCache

    data_dirs = prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")
    shipped = load_config(shipped_config("probe"))
    plan = make_plan(shipped)  # the shipped figures are drawn from models of the shipped grid
    assert [plan.model(p["model"]).name for p in shipped.projections] == ["yuemotion:all+eng_adu[esd]+zho_adu[esd]",
                                                                          "bimotion:all"]  # fmt: skip
    config = {**shipped.__dict__, "tables": ["table3"], "extra_tests": [], "seeds": [0], "bootstrap_samples": 50}
    config |= {"projections": [], "training": {**shipped.training, "hidden_size": 24, "num_train_epochs": 5}}
    result = run_grid(config, data_dirs, tmp_path / "grid", log=None)
    assert len(result.cells) > 0 and all(np.isfinite(c.mean) for c in result.cells)
    model_dir = tmp_path / "grid" / "models" / "zho_eld" / "seed0"
    assert (model_dir / "probe.pt").is_file()
    # a second run reuses every model (projections are not a model setting) and draws the figure
    again = run_grid({**config, "projections": [ZHO_ELD_FIGURE]}, data_dirs, tmp_path / "grid", log=None)
    assert again.trained == [] and [c.mean for c in again.cells] == [c.mean for c in result.cells]
    # the folder records every head argument in effect, defaults included: a config that leaves one
    # out (here early stopping) cannot mix heads trained under an old and a new default
    settings = json.loads((tmp_path / "grid" / "plan.json").read_text())["settings"]["training"]
    assert settings["early_stopping_patience"] == 10 and settings["hidden_size"] == 24 and settings["layer"] is None
    without = {k: v for k, v in config["training"].items() if k != "early_stopping_patience"}
    assert run_grid({**config, "training": without}, data_dirs, tmp_path / "grid", log=None).trained == []
    with pytest.raises(ValueError, match="other settings.*training"):
        run_grid(
            {**config, "training": {**without, "early_stopping_patience": 0}}, data_dirs, tmp_path / "grid", log=None
        )
    figures = tmp_path / "grid" / "figures"
    assert {f.name for f in again.files} >= {f"zho_eld.{s}" for s in ("png", "svg", "csv", "json")}
    assert (figures / "zho_eld.png").stat().st_size > 10_000
    drawn = json.loads((figures / "zho_eld.json").read_text())
    assert [p["num_train"] > 0 < p["num_test"] for p in drawn["panels"]] == [True, True]
    assert np.isfinite([[p["x"], p["y"]] for p in drawn["points"]]).all()
    # what was embedded: the MLP's hidden activations (after its ReLU), not the 260 log-mel numbers
    cache = FeatureCache(data_sources(data_dirs, tmp_path / "grid" / "datasets-cache"))
    hidden = cache.get(str(model_dir), [Shard("bimotion", "csed", "zho_eld")], "test", None, 0)["features"]
    assert hidden.shape == (drawn["panels"][0]["num_test"], 24)
    assert np.isfinite(hidden).all() and (hidden >= 0).all() and hidden.std(0).max() > 0
    with pytest.raises(ValueError, match="with backend: probe"):
        load_config({"backend": "probe"})
    with pytest.raises(ValueError, match=r"training: \(backend: probe\): unknown key 'bogus'; the known keys: "):
        run_grid({**config, "training": {"learning_rate": 1e-3, "bogus": 1}}, data_dirs, tmp_path / "bad", log=None)
    # recipes/grid.py checks a probe config as a probe's, not as fine-tuning arguments
    check_inputs(shipped, data_dirs)
    with pytest.raises(ValueError, match=r"probe.yaml: training: \(backend: probe\): unknown key 'bogus'"):
        check_inputs(load_config({**config, "training": {"bogus": 1}}), data_dirs)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--features", "no/such/encoder/here"], "--features no/such/encoder/here"),
        (["--head", "transformer"], "--head must be one of"),
        (["--seeds", "1", "1"], "lists seed 1 more than once"),
    ],
)
def test_recipe_refuses_bad_arguments_before_reading_data(corpora, tmp_path, flags, message, capsys):
    argv = ["--bimotion", str(corpora), "--train_configs", "zho_eld", "--output_dir", str(tmp_path / "o"), *flags]
    with pytest.raises(SystemExit) as exit_info:
        load_recipe("probe").main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "o").exists()


REFUSED = "runs in one process, not 2: a probe's features and head are not shared among processes, and each would "


def test_the_recipe_refuses_a_launch_of_several_processes_in_one_line(tmp_path, capsys, monkeypatch):
    """`accelerate launch --multi_gpu --num_processes 2 recipes/probe.py` (WORLD_SIZE=2): on CPU, each process ended in
    a TypeError traceback (`check() takes 3 positional arguments but 4 were given`); with GPUs each would train the
    same probe into the same --output_dir.  The recipe runs in one process and now refuses such a launch, before
    reading any data: one usage error naming the command that runs it."""
    import sys

    monkeypatch.setenv("WORLD_SIZE", "2")
    data = write_prepared(tmp_path / "data", shards=[("csed", "zho_eld")])
    argv = ["--bimotion", str(data), "--train_configs", "zho_eld", "--output_dir", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as exit_info:
        load_recipe("probe").main(argv)
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert exit_info.value.code == 2 and "Traceback" not in err and len(errors) == 1, err
    assert REFUSED in errors[0] and errors[0].endswith("; run it alone: python " + sys.argv[0] + " ..."), errors
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # a CPU launch of 2 processes (about 15 s)
def test_a_launch_of_two_probe_processes_is_refused_once(tmp_path):
    """For real: `accelerate launch --multi_gpu --num_processes 2 recipes/probe.py ...` printed a TypeError traceback
    per process; now the main process says the refusal once, and the launch fails."""
    import subprocess

    from conftest import REPO

    from bimotion.training.testing import cpu_launch, subprocess_env

    data = write_prepared(tmp_path / "data", shards=[("csed", "zho_eld")])
    script = REPO / "recipes" / "probe.py"
    argv = ["--bimotion", data, "--train_configs", "zho_eld", "--output_dir", tmp_path / "o"]
    run = subprocess.run(cpu_launch(script, *argv), env=subprocess_env(), capture_output=True, text=True, timeout=300)
    errors = [line for line in run.stderr.splitlines() if line.startswith("probe.py: error: ")]
    assert run.returncode != 0 and "TypeError" not in run.stderr and len(errors) == 1, run.stderr[-3000:]
    assert (
        errors[0]
        == f"probe.py: error: {script} {REFUSED}extract the same features and train the same probe into the same --output_dir; run it alone: python {script} ..."
    ), errors
    assert not (tmp_path / "o").exists()


def test_logmel_probe_on_the_real_csed_beats_chance_by_a_wide_margin(real_csed, tmp_path):
    from bimotion.cli import main as bimotion_main

    assert (
        bimotion_main(["prepare", "--source", f"csed={real_csed}", "--output", str(tmp_path / "csed"), "--quiet"]) == 0
    )
    summary = train_probe(
        ["zho_eld"], data_args(tmp_path / "csed", tmp_path / "cache"), ProbeArguments(), features="logmel", seed=0,
        output_dir=tmp_path / "run", progress=False,
    )  # fmt: skip
    ua = corpus_scores(summary)["csed"]["unweighted_accuracy"]
    assert ua >= 0.45, f"UA {ua:.3f} on zho_eld test (chance 0.33)"


def test_early_stopping_keeps_the_same_best_head_as_running_every_epoch():
    """Patience only cuts the epochs after the best one: on data a head overfits (few clips, noisy
    labels), a run with patience keeps the very head a full run keeps, in fewer epochs."""
    import torch

    from bimotion.probe.head import fit_head

    rng = np.random.default_rng(0)

    def arrays(n):
        x = rng.normal(size=(n, 20)).astype(np.float32)
        y = np.zeros((n, 13), np.float32)
        y[:, 0] = (x[:, 0] + rng.normal(scale=1.5, size=n)) > 0
        return {"features": x, "labels": y, "label_mask": np.eye(13, dtype=np.float32)[[0] * n]}

    train, validation = arrays(40), arrays(40)
    full, full_history = fit_head(
        train, validation, ProbeArguments(num_train_epochs=60, learning_rate=0.05, early_stopping_patience=0), seed=0
    )
    early, history = fit_head(
        train, validation, ProbeArguments(num_train_epochs=60, learning_rate=0.05, early_stopping_patience=5), seed=0
    )
    best = min(full_history, key=lambda h: h["validation_loss"])["epoch"]
    assert len(full_history) == 60 and best + 5 < 60, "the data should make the head overfit early"
    assert len(history) == best + 5 and history == full_history[: best + 5]
    for name, value in full.state_dict().items():
        assert torch.equal(value, early.state_dict()[name]), name
    with pytest.raises(ValueError, match="early_stopping_patience"):
        ProbeArguments(early_stopping_patience=-1).check()


def test_a_few_clips_with_an_extreme_feature_value_no_longer_freeze_the_head_at_an_early_epoch(tmp_path):
    """eGeMAPS on the real CSED: one validation clip's slopeV500-1500_sma3nz_stddevNorm (a ratio over a mean
    near 0) was 8,256 training sd out; its logits ruled the validation loss (2.2 at epoch 1 against a training
    loss of 0.6), every seed kept epoch 1, and the probe scored 22.0 weighted F1 where a logistic regression
    scored 44. Standardised features are now clipped at feature_clip (10) sd, and the clips counted."""
    from bimotion.probe.features import FeatureSpec
    from bimotion.probe.head import build_head, clipped_clips, fit_head, head_outputs
    from bimotion.probe.run import CONFIG, _save_head, load_probe

    rng = np.random.default_rng(0)

    def arrays(n):
        x = rng.normal(size=(n, 10)).astype(np.float32)
        y = np.zeros((n, 13), np.float32)
        y[:, 0] = x[:, 0] > 0
        return {"features": x, "labels": y, "label_mask": np.eye(13, dtype=np.float32)[[0] * n]}

    train, validation, test = arrays(80), arrays(40), arrays(200)
    validation["features"][0, 5], validation["features"][1, 5] = 1e4, -1e4  # two clips, either sign
    head, history = fit_head(train, validation, ProbeArguments(), seed=0)
    best = min(history, key=lambda h: h["validation_loss"])
    logits, _ = head_outputs(head, test["features"])
    accuracy = float(((logits[:, 0] > 0) == (test["labels"][:, 0] > 0)).mean())
    # unclipped: epoch 4 kept, validation loss 13.7, accuracy 0.85; clipped: 0.34 and 0.945
    assert best["validation_loss"] < 1 and accuracy >= 0.9, (best, accuracy)
    assert clipped_clips(head, validation["features"], 10.0) == 2 and clipped_clips(head, test["features"], 0) == 0
    # a head saved before feature_clip existed loads as it was trained: not clipped
    _save_head(tmp_path, head, FeatureSpec("logmel"), (10,), ProbeArguments(), ["neutral"])
    config = json.loads((tmp_path / CONFIG).read_text())
    del config["arguments"]["feature_clip"]
    (tmp_path / CONFIG).write_text(json.dumps(config))
    loaded, _ = load_probe(tmp_path)
    unclipped = build_head((10,), ProbeArguments(feature_clip=0), np.zeros(10), np.ones(10))
    unclipped.load_state_dict(loaded.state_dict())
    extreme = validation["features"][:2]
    np.testing.assert_array_equal(head_outputs(loaded, extreme)[0], head_outputs(unclipped.eval(), extreme)[0])
    assert not np.array_equal(head_outputs(loaded, extreme)[0], head_outputs(head, extreme)[0])


def test_head_outputs_are_the_forward_logits_and_the_last_layers_input():
    """What scoring and the projections read from a head: its forward logits, and the hidden layer
    (the MLP's width) that feeds the classifier, for plain and per-layer features alike."""
    import torch

    from bimotion.probe.head import build_head, head_outputs

    rng = np.random.default_rng(0)
    for shape in ((6,), (3, 6)):
        args = ProbeArguments(hidden_size=8)
        head = build_head(shape, args, np.zeros(shape[-1], np.float32), np.ones(shape[-1], np.float32)).eval()
        features = rng.normal(size=(5, *shape)).astype(np.float32)
        logits, pooled = head_outputs(head, features)
        assert logits.shape == (5, 13) and pooled.shape == (5, 8) and logits.dtype == pooled.dtype == np.float32
        with torch.no_grad():
            np.testing.assert_array_equal(logits, head(torch.from_numpy(features)).numpy())


def test_a_group_with_some_of_its_corpora_is_read_from_those_and_said_so(tmp_path, capsys):
    """eng_adu prepared from CREMA-D only (no licence-gated IEMOCAP, say): the probe trains and tests
    on CREMA-D (it used to stop on 'no train rows for tess'), and the checks say so in one note naming every flag that reads it."""
    folder = write_prepared(tmp_path / "bimotion", shards=[("crema_d", "eng_adu")],
                            sizes={"train": 24, "validation": 6, "test": 12})  # fmt: skip
    out = tmp_path / "run"
    argv = ["--bimotion", str(folder), "--train_configs", "eng_adu", "--output_dir", str(out)]
    argv += ["--test_configs", "eng_adu", "--num_train_epochs", "5", "--dataset_cache_dir", str(tmp_path / "c")]
    assert load_recipe("probe").main(argv + ["--max_train_samples", "5"]) == 0
    err = capsys.readouterr().err
    # a fine-tuning flag (one arguments file may serve both) is named, not silently ignored
    assert "note: --max_train_samples applies to fine-tuning only; a probe ignores it" in err
    note = "eng_adu is read from crema_d only (the prepared bimotion dataset at {} lacks esd, iemocap, tess)"
    # once, naming both flags (it was said twice, once a flag, the same words)
    assert f"note: --train_configs eng_adu (and --test_configs): {note.format(folder)}" in err
    assert err.count(note.format(folder)) == 1, err
    summary = json.loads((out / "scores.json").read_text())
    assert summary["train_corpora"] == ["crema_d"] and list(corpus_scores(summary)) == ["crema_d"]
    # a union (eng) of which one group was prepared trains on that group, and records it so (it
    # recorded eng_eld, which has no rows, among its train_groups)
    argv[argv.index("--train_configs") + 1] = "eng"
    assert load_recipe("probe").main([*argv, "--output_dir", str(tmp_path / "eng")]) == 0
    assert f"note: --train_configs eng: the prepared bimotion dataset at {folder} has no rows of eng_eld" in (
        capsys.readouterr().err
    )
    summary = json.loads((tmp_path / "eng" / "scores.json").read_text())
    assert (summary["train_configs"], summary["train_groups"]) == (["eng"], ["eng_adu"])
    # a corpus with rows in some splits only (one speaker, a speaker split) is read where it has them
    from bimotion.data.held import held_shards

    info = json.loads((folder / "prepare.json").read_text())
    for shard in info["shards"]:
        if shard["split"] == "validation":
            shard["rows"] = 0
    (folder / "prepare.json").write_text(json.dumps(info))
    crema = Shard("bimotion", "crema_d", "eng_adu")
    sources = Sources(bimotion=str(folder))
    assert (
        held_shards(sources.path, [crema], "train") == [crema]
        and held_shards(sources.path, [crema], "validation") == []
    )


def test_features_are_a_feature_set_a_folder_or_a_hub_id_and_layer_fits_them(tmp_path):
    """A mistyped feature set was taken for a model (an OSError on loading it); --layer of log-mel
    features failed after extraction.  A Hub id, offline and not cached, still passes (nothing is downloaded)."""
    from bimotion.probe.features import check_features
    from bimotion.probe.run import probe_arguments

    for name, layer in (("logmel", None), ("egemaps", None), ("facebook/wav2vec2-base", 3), (str(tmp_path), 0)):
        check_features(name, layer)  # raises nothing
    with pytest.raises(ValueError, match="--features logmell: .*did you mean logmel"):
        check_features("logmell")
    with pytest.raises(ValueError, match="--features egemap: .*did you mean egemaps"):
        check_features("egemap")
    with pytest.raises(ValueError, match="--features egemaps has none"):
        check_features("egemaps", 0)
    tiny = save_tiny_model(tmp_path / "tiny")  # 2 transformer layers: hidden states 0-2
    check_features(str(tiny), 2)
    with pytest.raises(ValueError, match=r"--layer must be in \[0, 2\]"):
        check_features(str(tiny), 3)
    # a grid config's probe is checked the same way, before its grid starts
    with pytest.raises(ValueError, match="did you mean logmel"):
        probe_arguments("logmell", {}, "grid config g.yaml")
    with pytest.raises(ValueError, match="--layer picks an encoder's hidden state"):
        probe_arguments("logmel", {"layer": 1}, "grid config g.yaml")


def test_a_bad_probe_setting_of_a_grid_built_in_python_names_where_it_came_from(tmp_path):
    """A ``Grid`` built directly in Python (not through ``run_grid``'s checks) with a mistyped probe
    setting failed in its trainer with ``the grid config: training: ...``, naming no file, whether or not
    the config came from one.  Its error now names the file it was read from, or says it was built in Python."""
    from bimotion.grid import GridConfig
    from bimotion.grid.runner import Grid

    settings = {"backend": "probe", "features": "logmel", "training": {"hiden_size": 3}}
    mine = tmp_path / "mine.yaml"
    mine.write_text("backend: probe\nfeatures: logmel\ntraining:\n  hiden_size: 3\n", encoding="utf-8")
    for config, source in [
        (GridConfig(**settings), "a grid config built in Python"),
        (str(mine), f"grid config {mine}"),
    ]:
        with pytest.raises(ValueError) as raised:
            Grid(config, {"bimotion": str(tmp_path / "none")}, tmp_path / "out")
        assert str(raised.value).startswith(f"{source}: training: (backend: probe): unknown key 'hiden_size'"), (
            raised.value
        )
    assert not (tmp_path / "out").exists()


def test_a_probe_tested_on_a_copy_of_a_training_clip_writes_its_manifest_and_says_so(tmp_path, capsys):
    """A user's own split put a copy of a training recording in the test set under another name:
    a probe wrote no train_manifest.txt and its scores.json read as held out; now it writes the
    manifest (so infer and the grid can check a probe) and its own test scores count the copy
    (``training_clips``, :func:`bimotion.training.evaluation.training_clips`), with one warning."""
    import shutil

    from bimotion.cli import main
    from loaders import testing as generated

    raw = generated.make_corpus("audiofolder", tmp_path / "raw", split_column=True)
    heard, copy = "clips/ind-eld-s0/ind-eld-s0_000.wav", "clips/ind-eld-s3/ind-eld-s3_000.wav"  # train, test
    shutil.copyfile(raw / heard, raw / copy)
    prepared = tmp_path / "mine"
    assert main(["prepare", "-q", "--source", f"carehome={raw}", "-o", str(prepared)]) == 0
    capsys.readouterr()
    from bimotion.data.layout import read_info
    from bimotion.registry import benchmark_of, register

    register(benchmark_of(read_info(prepared)))  # its groups (ind_eld) resolve, as the probe recipe does
    out = tmp_path / "probe"
    summary = train_probe(["ind_eld"], data_args(prepared, tmp_path / "cache"), ProbeArguments(num_train_epochs=2),
                          features="logmel", seed=0, output_dir=out, progress=False)  # fmt: skip
    manifest = (out / "train_manifest.txt").read_text().split()
    assert f"carehome/{heard}" in manifest and f"carehome/{copy}" not in manifest
    assert manifest == sorted(manifest) and len(manifest) == summary["train_manifest"]["num_clips"]
    seen = summary["training_clips"]
    assert (seen["clips"], seen["by_id"], seen["by_identical_audio"], seen["examples"]) == (
        1,
        0,
        1,
        [f"carehome/{copy}"],
    )
    assert summary["test"]["groups"]["ind_eld"]["training_clips"] == 1
    assert json.loads((out / "scores.json").read_text())["training_clips"] == seen
    err = capsys.readouterr().err
    assert (
        err.count("warning:") == 1 and f"are clips the probe {out} was trained on (0 by clip id, 1 by identical" in err
    )


def test_a_probe_writes_and_records_its_manifest_through_the_one_writer_the_readers_read(corpora, tmp_path):
    """The probe wrote its train_manifest.txt, and scores.json's record of it, with code of its own
    beside training's: now both come from training's one writer (write_training_manifest), so the
    readers of infer, the grid and advise (training_manifest) read a probe's as a fine-tuned model's."""
    from bimotion.training.data import column, ids_hash, load_split, sources_of
    from bimotion.training.evaluation import training_clips
    from bimotion.training.outputs import MANIFEST, training_manifest, write_training_manifest

    args = data_args(corpora, tmp_path / "cache")
    summary = train_probe(["zho_eld"], args, ProbeArguments(num_train_epochs=2), features="logmel", seed=0,
                          output_dir=tmp_path / "run", progress=False)  # fmt: skip
    train_ids = column(load_split(sources_of(args), ["zho_eld"], "train"), "id").tolist()
    manifest = training_manifest(tmp_path / "run")
    assert manifest == frozenset(train_ids) and len(train_ids) == 60
    recorded = write_training_manifest(tmp_path / "fine-tuned", train_ids[::-1])  # as training writes a model's
    assert (tmp_path / "run" / MANIFEST).read_bytes() == (tmp_path / "fine-tuned" / MANIFEST).read_bytes()
    assert summary["train_manifest"] == recorded == {"hash": ids_hash(train_ids), "num_clips": 60}
    assert json.loads((tmp_path / "run" / "scores.json").read_text())["train_manifest"] == recorded
    # infer's check finds the probe's training clips among the scored ones, as a fine-tuned model's
    pred = {"id": [train_ids[0], "csed/not-trained-on"], "group": ["zho_eld", "zho_eld"]}
    seen = training_clips(tmp_path / "run", pred, [])
    assert seen["checked"] and seen["by_id"] == 1 and seen["examples"] == [train_ids[0]]


def test_counting_the_clipped_clips_of_an_encoders_features_takes_no_copy_of_them():
    """scores.json's feature_clipped was counted on a float64 copy of every split's features, then two more
    arrays of that size: 4.25 times the features' memory at its peak (an encoder's, (layers, hidden) a clip,
    are gigabytes on the paper's data), on top of the features themselves. It now counts a few hundred clips
    at a time, in the head's float32: the same count, well under the features' own size."""
    import tracemalloc

    from bimotion.probe.head import ProbeArguments, build_head, clipped_clips

    x = np.random.default_rng(0).normal(size=(2000, 25, 64)).astype(np.float32)  # 12.8 MB, 25 layers
    head = build_head(x.shape[1:], ProbeArguments(), x.mean((0, 1)), x.std((0, 1)))
    z = (x - head.mean.numpy()) / head.std.numpy()
    expected = int((np.abs(z) > 3.0).reshape(len(z), -1).any(1).sum())
    del z
    tracemalloc.start()
    try:
        counted = clipped_clips(head, x, 3.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert counted == expected and 0 < counted < len(x)
    assert peak < x.nbytes / 2, f"{peak / 1e6:.1f} MB at the peak for {x.nbytes / 1e6:.1f} MB of features"


def test_the_clipped_clips_of_a_head_that_reads_one_layer_are_those_of_that_layer():
    """scores.json's feature_clipped of a probe with --layer N counted a clip with a value beyond
    feature_clip sd in any layer, though the head reads layer N alone: here 3 where 1 clip of layer 1
    was clipped. It now counts the layer the head reads (every layer still, for the weighted sum)."""
    from bimotion.probe.head import ProbeArguments, build_head, clipped_clips, fit_head

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3, 8)).astype(np.float32)
    mean, std = x.mean(0), x.std(0)
    x[0, 2, 3], x[1, 2, 5], x[2, 1, 0] = 1e3, -1e3, 1e3  # two clips out in layer 2, one in layer 1
    one = build_head(x.shape[1:], ProbeArguments(layer=1), mean, std)
    every = build_head(x.shape[1:], ProbeArguments(), mean.mean(0), std.mean(0))
    assert clipped_clips(one, x, 10.0) == 1 and clipped_clips(every, x, 10.0) == 3
    assert clipped_clips(build_head(x.shape[1:], ProbeArguments(layer=0), mean, std), x, 10.0) == 0
    labels = np.zeros((40, 13), np.float32)
    train = {"features": rng.normal(size=x.shape).astype(np.float32), "labels": labels, "label_mask": labels + 1}
    head, _ = fit_head(train, train, ProbeArguments(layer=2, num_train_epochs=1), seed=0)  # as the probe run has it
    assert clipped_clips(head, x, 10.0) == 2


def test_fitting_a_head_without_validation_rows_is_refused():
    """fit_head with no validation rows (none of the recipes or the grid passes it: they refuse a group
    without validation rows, and the probe's data loading raises) kept epoch 1 without a word: the
    validation loss was 0 every epoch. It is now a ValueError naming the missing validation rows."""
    from bimotion.probe.head import ProbeArguments, fit_head

    rng = np.random.default_rng(0)
    labels = np.eye(13, dtype=np.float32)[rng.integers(0, 4, 40)]
    train = {"features": rng.normal(size=(40, 6)).astype(np.float32), "labels": labels, "label_mask": labels * 0 + 1}
    empty = {key: value[:0] for key, value in train.items()}
    unannotated = {**train, "label_mask": np.zeros_like(labels)}
    for validation, said in ((empty, "has 0 rows, and"), (unannotated, "has 40 rows and no annotated label")):
        with pytest.raises(ValueError, match=f"fit_head: the validation set {said}"):
            fit_head(train, validation, ProbeArguments(num_train_epochs=3), seed=0)
    _, history = fit_head(train, train, ProbeArguments(num_train_epochs=3), seed=0)
    assert len(history) == 3
