"""bimotion as a library called from Python (a notebook, an application), not through the recipes:
folders given as ``Path``s, the calls' defaults, and what their result files say produced them."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from conftest import REPO

from bimotion.training import testing

TINY_RUN = {
    "max_steps": 2, "eval_strategy": "no", "save_strategy": "no", "load_best_model_at_end": False,
    "early_stopping_patience": 0, "classifier_proj_size": 16, "disable_tqdm": True, "use_cpu": True,
    "dataloader_pin_memory": False,
}  # fmt: skip


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("python-api")
    data = testing.write_prepared(root / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8, "test": 4})
    return {"data": data, "tiny": testing.save_tiny_model(root / "tiny"), "cache": root / "cache", "root": root}


def spec_of(folders: dict[str, Path], output_dir: Path):
    from bimotion.training.spec import TrainSpec

    values = {"model_name_or_path": folders["tiny"], "bimotion": folders["data"], "dataset_cache_dir": folders["cache"]}
    return TrainSpec.from_values("zho_eld", {**values, **TINY_RUN, "output_dir": output_dir})


@pytest.fixture(scope="module")
def model(folders) -> Path:
    """A tiny model trained two steps by ``train`` from Python, every folder given as a ``Path``."""
    from bimotion.training.run import train

    out = folders["root"] / "model"
    train(spec_of(folders, out))
    return out


def test_folders_may_be_paths_in_training_and_inference(folders, model, tmp_path):
    """``TrainSpec``'s and ``DataArguments``' folders given as ``Path`` (natural from Python) failed deep
    in ``datasets`` ("Path.replace() takes 2 positional arguments"), and ``infer`` on a model folder
    given as a ``Path`` scored it, then failed writing its file ("'PosixPath' object has no attribute
    'startswith'").  Both work as with text, and the results name the folders as text does."""
    from bimotion.training.run import infer
    from bimotion.training.spec import DataArguments, ModelArguments
    from bimotion.training.training_args import SERTrainingArguments

    summary = json.loads((model / "scores.json").read_text())
    assert summary["datasets"] == {"bimotion": "local:bimotion"} and summary["base_model"] == "local:tiny"
    assert list(summary["test"]["groups"]) == ["zho_eld"]
    data_args = DataArguments(bimotion=folders["data"], dataset_cache_dir=folders["cache"])
    assert data_args.bimotion == str(folders["data"]) and data_args.dataset_cache_dir == str(folders["cache"])
    assert ModelArguments(model_name_or_path=folders["tiny"]).model_name_or_path == str(folders["tiny"])
    training_args = SERTrainingArguments(disable_tqdm=True, use_cpu=True)
    result = infer(model, data_args, training_args, configs=["zho_eld"], output_file=tmp_path / "scored.json")
    written = json.loads((tmp_path / "scored.json").read_text())
    assert written["model"] == "local:model" and written["datasets"] == {"bimotion": "local:bimotion"}
    assert written["test"]["groups"]["zho_eld"] == result["test"]["groups"]["zho_eld"]
    assert result["model"] == str(model) and result["trained_on"] == ["zho_eld"]
    # no training arguments needed to score (the defaults: batch size, bar, one process), nor configs
    default = infer(model, data_args, output_file=tmp_path / "default.json")
    assert default["configs"] == ["zho_eld"] and default["test"] == result["test"]


def test_infer_refuses_data_args_test_configs_without_configs_and_the_recipe_still_ignores_its_files(
    folders, model, tmp_path, capsys
):
    """``infer(model, DataArguments(..., test_configs=["zho_adu"]))`` scored every group (``configs=``'s
    default) and said nothing: train()'s test_configs was silently ignored.  It is now an ArgumentError
    naming it and the fix (``configs=``), before anything runs; with ``configs=`` given, it stands aside;
    and infer.py given a shared arguments file holding train.py's test_configs still scores --configs'
    groups (by default all), as its --help says."""
    import yaml
    from conftest import load_recipe

    from bimotion.training.parsing import ArgumentError
    from bimotion.training.run import infer
    from bimotion.training.spec import DataArguments

    data_args = DataArguments(bimotion=folders["data"], dataset_cache_dir=folders["cache"], test_configs=["zho_adu"])
    with pytest.raises(ArgumentError) as err:
        infer(model, data_args, output_file=tmp_path / "x.json")
    assert str(err.value) == (
        "data_args.test_configs ['zho_adu']: infer() scores the groups of configs= (default: every group of the "
        "given datasets), not train()'s test_configs: give configs=['zho_adu']"
    )
    assert not (tmp_path / "x.json").exists()
    scored = infer(model, data_args, configs=["zho_eld"], output_file=tmp_path / "given.json")
    assert scored["configs"] == ["zho_eld"]
    values = {"model": str(model), "bimotion": str(folders["data"]), "dataset_cache_dir": str(folders["cache"])}
    (tmp_path / "args.yaml").write_text(yaml.safe_dump({**values, "test_configs": ["zho_adu"], "use_cpu": True}))
    out = tmp_path / "recipe.json"
    assert load_recipe("infer").main([str(tmp_path / "args.yaml"), "--output_file", str(out)]) == 0
    assert json.loads(out.read_text())["configs"] == ["zho_eld"]  # every group of the data: its one


def test_infer_takes_a_model_folder_under_the_home_folder_as_written(folders, model, tmp_path, monkeypatch):
    """``infer("~/model", ...)``: the data folders' ``~`` was expanded, the model's was not, so the run
    found no training groups in it (``trained_on`` None) and wrote its file into the current folder,
    not the model's."""
    from bimotion.training.run import infer
    from bimotion.training.spec import DataArguments

    monkeypatch.setenv("HOME", str(model.parent))
    monkeypatch.chdir(tmp_path)
    data_args = DataArguments(bimotion=folders["data"], dataset_cache_dir=folders["cache"])
    result = infer(f"~/{model.name}", data_args, configs=["zho_eld"], split="validation")
    assert result["trained_on"] == ["zho_eld"] and result["relation"] == {"zho_eld": "in_group"}
    assert Path(result["output_file"]) == model / "inference_validation.json" and not list(tmp_path.iterdir())


def test_files_written_under_the_home_folder_go_there_not_into_a_folder_named_tilde(
    folders, model, tmp_path, monkeypatch
):
    """``infer(..., output_file="~/scored.json")`` and ``train_probe(..., output_dir="~/probe")`` wrote into a
    folder named ``~`` in the current folder (a training run's ``output_dir`` is expanded by
    ``TrainingArguments``; an arguments file's ``~`` meets no shell)."""
    from bimotion.probe.head import ProbeArguments
    from bimotion.probe.run import train_probe
    from bimotion.training.run import infer
    from bimotion.training.spec import DataArguments

    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir(), here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    data_args = DataArguments(bimotion=folders["data"], dataset_cache_dir=folders["cache"])
    result = infer(model, data_args, configs=["zho_eld"], output_file="~/scored.json")
    assert Path(result["output_file"]) == home / "scored.json" and (home / "scored.json").is_file()
    probe = ProbeArguments(num_train_epochs=1)
    train_probe(["zho_eld"], data_args, probe, features="logmel", seed=0, output_dir="~/probe", progress=False)
    assert (home / "probe" / "scores.json").is_file()
    assert list(here.iterdir()) == []


def test_python_calls_name_their_own_command_not_that_of_a_recipe_run_before_them(folders, tmp_path):
    """The command a recipe parsed was kept for the whole process: ``train``, ``infer`` and
    ``train_probe`` called from Python after a recipe ran in the same process (a notebook, a test)
    named the recipe's command in their ``provenance``.  Each now names its own (this process's, or
    the ``command`` given, as ``run_grid`` does) and leaves what was recorded as it found it."""
    from bimotion.probe.head import ProbeArguments
    from bimotion.probe.run import train_probe
    from bimotion.training.provenance import command_scope, public_command, record_command, recorded_command
    from bimotion.training.run import infer, train
    from bimotion.training.spec import DataArguments

    data_args = DataArguments(bimotion=folders["data"], dataset_cache_dir=folders["cache"])
    recipe = [str(Path("recipes") / "train.py"), "--train_configs", "zho_eld"]
    mine = ["assistant.py", "--user", "elderly"]
    with command_scope(None):  # this process's record as the test found it, afterwards
        record_command(*recipe[:1], recipe[1:])  # a recipe ran earlier in this process
        summary = train(spec_of(folders, tmp_path / "model"))
        assert summary["provenance"]["command"] == public_command(sys.argv)
        written = json.loads((tmp_path / "model" / "scores.json").read_text())
        assert written["provenance"]["command"] == public_command(sys.argv)
        scored = infer(tmp_path / "model", data_args, configs=["zho_eld"], output_file=tmp_path / "a.json")
        assert scored["provenance"]["command"] == public_command(sys.argv)
        scored = infer(
            tmp_path / "model", data_args, configs=["zho_eld"], output_file=tmp_path / "b.json", command=mine
        )
        assert json.loads((tmp_path / "b.json").read_text())["provenance"]["command"] == mine
        probe = ProbeArguments(num_train_epochs=2)
        for command, expected in ((None, public_command(sys.argv)), (mine, mine)):
            out = tmp_path / f"probe-{len(expected)}"
            summary = train_probe(["zho_eld"], data_args, probe, features="logmel", seed=0, output_dir=out,
                                  progress=False, command=command)  # fmt: skip
            assert json.loads((out / "scores.json").read_text())["provenance"]["command"] == expected
        assert recorded_command() == recipe  # the recipe's, as it was
    # within another library call's block (the grid's, training its models), a call names that one's
    with command_scope(mine), command_scope(None):
        assert public_command() == mine


def test_a_folder_that_is_not_there_or_holds_the_other_benchmark_is_named_before_anything_runs(
    folders, model, tmp_path
):
    """Called from Python (no recipe checked the arguments), ``train``, ``infer`` and ``train_probe``
    looked for a mistyped folder on the Hub: ``ConnectionError: Couldn't reach 'nowhere' on the Hub``
    after ~30 s of retries offline, and a YueMotion folder given as ``bimotion`` failed with
    ``KeyError: "yuemotion has no config 'zho_eld'"``.  Each now says what is wrong with which argument."""
    from bimotion.probe.head import ProbeArguments
    from bimotion.probe.run import train_probe
    from bimotion.training.parsing import ArgumentError
    from bimotion.training.run import infer, train
    from bimotion.training.spec import DataArguments

    yue = testing.write_prepared(
        tmp_path / "yue", benchmark="yuemotion", shards=[("yuemotion", "yue_eld")], sizes={"test": 2}
    )
    cases = [
        (DataArguments(bimotion=tmp_path / "nowhere"), "no such folder, and not a Hub dataset id"),
        (DataArguments(bimotion=yue), "holds the prepared yuemotion dataset, not bimotion"),
        (DataArguments(), "give a prepared dataset"),
    ]
    for data_args, message in cases:
        with pytest.raises(ArgumentError, match=message):
            train(dataclasses.replace(spec_of(folders, tmp_path / "m"), data=data_args))
        with pytest.raises(ArgumentError, match=message):
            infer(model, data_args, configs=["zho_eld"], output_file=tmp_path / "x.json")
        with pytest.raises(ArgumentError, match=message):
            train_probe(["zho_eld"], data_args, ProbeArguments(), features="logmel", seed=0, output_dir=tmp_path / "p")
    assert not (tmp_path / "m").exists() and not (tmp_path / "p").exists() and not (tmp_path / "x.json").exists()


NOTEBOOK = """
import sys
from transformers.utils import logging
from bimotion.predict import PredictError, load_predictor
from bimotion.training.model import build_model

build_model(sys.argv[1], classifier_proj_size=16)
try:
    load_predictor(sys.argv[1], progress=False)
except PredictError as err:
    print(err)
print(logging.get_verbosity(), logging.get_logger("transformers.modeling_utils").filters)
print("--- info", file=sys.stderr, flush=True)
logging.set_verbosity_info()
build_model(sys.argv[1], classifier_proj_size=16)
print("--- verbose", file=sys.stderr, flush=True)
from bimotion.console import quiet
quiet(verbose=True)  # --verbose: the libraries' own output
build_model(sys.argv[1], classifier_proj_size=16)
"""


def test_a_model_loaded_from_python_has_its_load_report_as_one_line(folders):
    """From a notebook, training's model (``build_model``, what ``train`` loads) printed transformers'
    ten-line "LOAD REPORT" table of the new head's weights, and ``load_predictor`` the same before its
    error, where the commands print nothing: now one line naming the new weights; transformers'
    verbosity is as it was, and a user who asks it for more (info), or ``--verbose``, gets the table whole."""
    import subprocess

    from bimotion.console import QUIET_ENV

    env = {k: v for k, v in testing.subprocess_env().items() if k not in QUIET_ENV}  # no quiet() ran
    proc = subprocess.run(
        [sys.executable, "-c", NOTEBOOK, str(folders["tiny"])], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "a base model with no classification head" in proc.stdout and "\n30 []\n" in proc.stdout, proc.stdout
    library, info = proc.stderr.split("--- info\n")
    info, verbose = info.split("--- verbose\n")
    assert "LOAD REPORT" not in library and "MISSING" not in library, library
    assert [line for line in library.splitlines() if "newly initialised" in line] == [
        f"[transformers] Wav2Vec2ForSequenceClassification from {folders['tiny']}: not in the checkpoint, so newly "
        "initialised (random until trained): classifier, projector; the whole load report: "
        "transformers.logging.set_verbosity_info()"
    ] * 2, library
    for whole in (info, verbose):
        assert "LOAD REPORT" in whole and "classifier.weight | MISSING" in whole and "newly initialised" not in whole


def test_a_load_report_of_mismatched_weights_stays_whole():
    """The error transformers raises after a report of weights whose shapes differ says "look at the above
    report": that report is not cut to one line; one of new weights alone is."""
    import logging

    from bimotion.console import _one_line_report

    def record(rows: str) -> logging.LogRecord:
        text = f"\x1b[1mWav2Vec2ForSequenceClassification LOAD REPORT\x1b[0m from: m\nKey | Status | \n---+---\n{rows}"
        return logging.LogRecord("transformers.modeling_utils", logging.WARNING, __file__, 1, text, (), None)

    mismatched = record("classifier.weight | MISMATCH | Reinit due to size mismatch\nprojector.bias | MISSING | ")
    text = mismatched.getMessage()
    assert _one_line_report(mismatched) and mismatched.getMessage() == text
    new = record(
        "classifier.weight | MISSING | \nwav2vec2.masked_spec_embed | MISSING | \nquantizer.codevectors | UNEXPECTED | "
        "\nquantizer.weight_proj.bias | UNEXPECTED | "
    )
    assert _one_line_report(new) and new.getMessage() == (  # the encoder's own parameter by its whole key: it
        "Wav2Vec2ForSequenceClassification from m: not in the checkpoint, so newly initialised (random until "
        "trained): classifier, wav2vec2.masked_spec_embed; in the checkpoint but unused by this model: "
        "quantizer.codevectors, quantizer.weight_proj; the whole load report: "
        "transformers.logging.set_verbosity_info()"
    )  # read 'newly initialised: classifier, wav2vec2' as if the whole encoder were random


def test_a_load_report_block_inside_another_keeps_the_outer_ones_line(monkeypatch):
    """``load_report_line`` added one filter and removed it on leaving: a load inside another load's block
    (or in another thread) took the outer block's filter away with its own, so the outer's later load
    report was the ten-line table again.  Each block now adds and removes a filter of its own."""
    import logging

    from transformers.utils import logging as hf_logging

    from bimotion import console
    from bimotion.console import LOAD_REPORT_LOGGER, load_report_line

    # as a library call is by default, whatever a test before this one in the process set (quiet(verbose=True),
    # transformers at info): either shows the report whole, and this is about the one line
    monkeypatch.setattr(console, "_verbose", False)
    monkeypatch.setattr(hf_logging, "get_verbosity", lambda: logging.WARNING)

    def report() -> logging.LogRecord:
        text = "Wav2Vec2ForSequenceClassification LOAD REPORT from: m\nKey | Status | \n---+---\nclassifier.weight | MISSING | "
        return logging.LogRecord(LOAD_REPORT_LOGGER, logging.WARNING, __file__, 1, text, (), None)

    logger = hf_logging.get_logger(LOAD_REPORT_LOGGER)
    before = list(logger.filters)
    with load_report_line():
        with load_report_line():
            inner = report()
            assert logger.filter(inner) and "LOAD REPORT" not in inner.getMessage(), inner.getMessage()
        outer = report()
        assert logger.filter(outer) and outer.getMessage().startswith("Wav2Vec2ForSequenceClassification from m: not "
                                                                      "in the checkpoint"), outer.getMessage()  # fmt: skip
    assert logger.filters == before
    untouched = report()
    assert logger.filter(untouched) and "LOAD REPORT" in untouched.getMessage()


def test_infer_scores_on_the_cpu_when_use_cpu_is_set_on_a_machine_with_a_gpu(folders, model, tmp_path, monkeypatch):
    """infer.py --use_cpu true (infer's ``training_args.use_cpu``) was accepted and ignored on a machine
    with a GPU: the scoring moved the model and every batch to ``cuda`` whenever one was available.  It
    scores on the CPU when use_cpu is set, on the GPU otherwise (a GPU faked here: ``torch.cuda.is_available``
    says True, and the model and batches stay on the CPU whatever device they are sent to)."""
    import torch

    from bimotion.training import inference
    from bimotion.training import model as model_module
    from bimotion.training.run import infer
    from bimotion.training.spec import DataArguments
    from bimotion.training.training_args import SERTrainingArguments

    sent, load, scored = [], model_module.load_classifier, inference.batch_logits

    def loaded(path):
        net, feature_extractor = load(path)
        net.to = lambda device: sent.append(("model", str(device))) or net
        return net, feature_extractor

    def batch_logits(net, batch, device, **kwargs):
        sent.append(("batch", str(device)))
        return scored(net, batch, "cpu", **kwargs)

    monkeypatch.setattr(model_module, "load_classifier", loaded)
    monkeypatch.setattr(inference, "batch_logits", batch_logits)
    data_args = DataArguments(bimotion=folders["data"], dataset_cache_dir=folders["cache"])
    on_cpu, on_gpu = SERTrainingArguments(disable_tqdm=True, use_cpu=True), SERTrainingArguments(disable_tqdm=True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    infer(model, data_args, on_cpu, configs=["zho_eld"], output_file=tmp_path / "cpu.json")
    assert set(sent) == {("model", "cpu"), ("batch", "cpu")}
    sent.clear()
    infer(model, data_args, on_gpu, configs=["zho_eld"], output_file=tmp_path / "gpu.json")
    assert set(sent) == {("model", "cuda"), ("batch", "cuda")}


def test_train_without_matplotlib_writes_its_results_and_says_which_extra_draws_the_figure(folders, tmp_path):
    """``train()`` from Python with the ``[train]`` extra alone (no matplotlib; no recipe's check guards the API)
    wrote scores.json, then ended in ``ModuleNotFoundError: ... matplotlib`` drawing the confusion figure, leaving
    no training manifest, audio digests nor model card.  The figure is left out with one line naming the extra
    that draws it; every other file of the run is written."""
    import subprocess

    from bimotion.training.testing import subprocess_env

    out = tmp_path / "model"
    values = {"model_name_or_path": folders["tiny"], "bimotion": folders["data"], "dataset_cache_dir": folders["cache"]}
    values = {**{k: str(v) for k, v in values.items()}, **TINY_RUN, "output_dir": str(out)}
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"  # not installed: `pip install 'bimotion[train]'` alone
        "from bimotion.training.run import train\n"
        "from bimotion.training.spec import TrainSpec\n"
        f"train(TrainSpec.from_values('zho_eld', {values!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=subprocess_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    said = f"note: the confusion figure {out / 'confusion_test.png'} is not drawn: it needs matplotlib, which the "
    assert f"{said}[plots] extra installs (pip install 'bimotion[plots]')\n" in done.stderr
    assert done.stderr.count("is not drawn") == 1
    written = {path.name for path in out.iterdir()}
    assert {"scores.json", "train_manifest.txt", "train_audio.txt", "README.md", "model.safetensors"} <= written
    assert not written & {"confusion_test.png", "confusion_test.svg"}
    assert list(json.loads((out / "scores.json").read_text())["test"]["groups"]) == ["zho_eld"]
