"""Fine-tuning's base model (``recipes/train.py --model_name_or_path OWNER/NAME``: ``build_model``), the probe's
encoder (``recipes/probe.py --features OWNER/NAME``: ``EncoderFeatures``) and a fine-tuned model scored
(``recipes/infer.py --model OWNER/NAME``, the grid: ``load_classifier``) loaded from a Hub that stalled or refused
ended in a traceback of transformers' words ("OSError: Can't load the configuration of 'me/ser'. If you were trying to
load it from 'https://huggingface.co/models', ...", "We couldn't connect to ..."), naming no setting and no fix; they
are now one line, in the words ``bimotion predict`` says them (:mod:`bimotion.hub_models`).  Stand-in Hubs on this
machine (``test_hub_timeouts.transfer_fails``, ``conftest.local_hubs``), with a wait of a second."""

from __future__ import annotations

import time

import pytest
from conftest import local_hubs
from test_hub_asked_once import slept  # noqa: F401 (the fixture)
from test_hub_timeouts import FIX, stalled_model, transfer_fails
from test_hub_unreachable_records import at

from bimotion import hub
from bimotion.hub import HubError


def _build():
    from bimotion.training.model import build_model

    return build_model("me/ser")


def _encoder():
    from bimotion.probe.features import EncoderFeatures

    return EncoderFeatures("me/ser")


def _classifier():
    from bimotion.training.model import load_classifier

    return load_classifier("me/ser")


def _predictor():
    from bimotion.predict.model import load_predictor

    return load_predictor("me/ser", progress=False)


LOADS = {"fine-tuning's base model": _build, "the probe's encoder": _encoder, "a fine-tuned model scored": _classifier}


@pytest.mark.usefixtures("slept")
@pytest.mark.parametrize("load", LOADS.values(), ids=LOADS.keys())
def test_a_hub_model_whose_download_stalls_is_one_line_naming_the_setting(load, monkeypatch):
    said, gets, endpoint = transfer_fails(monkeypatch, lambda conn, n: None, load, HubError)
    assert said == stalled_model(said, gets, endpoint), (said, gets)


@pytest.mark.usefixtures("slept")
@pytest.mark.parametrize("load", LOADS.values(), ids=LOADS.keys())
def test_a_hub_model_the_hub_refuses_is_one_line_saying_so_and_how_to_log_in(load, monkeypatch):
    monkeypatch.setattr(hub, "_silent", {})
    with local_hubs({"refusing": 403}) as urls:
        at(monkeypatch, urls["refusing"])
        with pytest.raises(HubError) as failed:
            load()
    said = str(failed.value)
    assert said.startswith(
        f"cannot load model me/ser: no such folder here, and the Hub at {urls['refusing']} refused access, HTTP 403: "
    ), said
    assert said.endswith(
        "; log in with `hf auth login` or set HF_TOKEN to a token with access, or pass a local folder of me/ser"
    ), said


@pytest.mark.usefixtures("slept")
@pytest.mark.parametrize("load", [*LOADS.values(), _predictor], ids=[*LOADS, "bimotion predict's model"])
def test_a_hub_that_never_says_which_commit_a_model_is_is_waited_for_once(load, monkeypatch):
    """The Hub answers the model's look-up and never its information (``GET /api/models/me/ser``, the commit of its
    revision): transformers asked it 3 times in a model's load, 2 in the base model's, each waited for (3 min with
    the default 60 s), then waited for each of the files, and the error named HF_HUB_DOWNLOAD_TIMEOUT alone; it is
    asked once, within BIMOTION_HUB_TIMEOUT_S, and no file after it; the error names that setting."""
    from bimotion.predict.audio import PredictError

    asked: list[str] = []
    start = time.monotonic()
    said, gets, endpoint = transfer_fails(
        monkeypatch, lambda conn, n: None, load, PredictError if load is _predictor else HubError,
        resolved=False, asked=asked,
    )  # fmt: skip
    took = time.monotonic() - start
    assert said == (
        f"cannot load model me/ser: no such folder here, and the Hub at {endpoint} did not answer: it sent nothing for "
        f"1 s after the request (ReadTimeout); not in the local cache: {FIX.format(t=1)}, set HF_HUB_OFFLINE=1 to read "
        "only the local cache, or pass a local folder of me/ser"
    ), said
    assert [line.split("?")[0] for line in asked if line.startswith("GET ")] == [
        "GET /api/models/me/ser" + ("/revision/main HTTP/1.1" if load is _build else " HTTP/1.1")
    ], asked
    assert not gets and took < 30, (gets, took)


RECIPES = {  # a recipe given the Hub model me/ser: its arguments beside those naming the prepared folder DATA, OUT
    "probe": ["--train_configs", "zho_eld", "--features", "me/ser"],
    "infer": ["--model", "me/ser", "--use_cpu"],
}


@pytest.mark.usefixtures("slept")
@pytest.mark.parametrize("recipe", RECIPES)
def test_a_recipe_says_a_refused_model_in_one_line(recipe, tmp_path, capsys, monkeypatch):
    """``recipes/probe.py --features OWNER/NAME`` and ``recipes/infer.py --model OWNER/NAME`` that the Hub refuses:
    one ``error:`` line, exit 1, no traceback (infer.py's was transformers' OSError, "We couldn't connect to ...",
    in a traceback)."""
    from conftest import load_recipe

    from bimotion.training import testing

    monkeypatch.setattr("datasets.config.HF_DATASETS_CACHE", str(tmp_path / "cache"))
    data = testing.write_prepared(tmp_path / "data", shards=[("csed", "zho_eld")], sizes={"train": 4, "test": 2})
    monkeypatch.setattr(hub, "_silent", {})
    with local_hubs({"refusing": 403}) as urls:
        at(monkeypatch, urls["refusing"])
        argv = ["--bimotion", str(data), "--output_dir", str(tmp_path / "out")]
        code = load_recipe(recipe).main([*argv, *RECIPES[recipe]])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 1 and "Traceback" not in err and len(errors) == 1, err
    assert errors[0].startswith(
        f"error: cannot load model me/ser: no such folder here, and the Hub at {urls['refusing']} refused access, "
    ), errors


def _train_me_ser(tmp_path):
    """``train_and_report`` of a run fine-tuning the base model me/ser: its exit code."""
    from bimotion.training import testing
    from bimotion.training.run import train_and_report
    from bimotion.training.spec import TrainSpec

    data = testing.write_prepared(
        tmp_path / "data", shards=[("csed", "zho_eld")], sizes={"train": 4, "validation": 2, "test": 2}
    )
    values = {"model_name_or_path": "me/ser", "bimotion": str(data), "dataset_cache_dir": str(tmp_path / "cache"),
              "output_dir": str(tmp_path / "out"), "max_steps": 1, "report_to": "none", "use_cpu": True}  # fmt: skip
    return train_and_report(TrainSpec.from_values(["zho_eld"], values, run_name="r"))


def _grid_or_advise(command: str, tmp_path, monkeypatch) -> int:
    """``recipes/grid.py`` or ``bimotion advise`` of a grid config whose base model is the Hub id me/ser: the exit code."""
    import yaml
    from conftest import load_recipe

    from bimotion.training import testing

    monkeypatch.setattr("datasets.config.HF_DATASETS_CACHE", str(tmp_path / "cache"))
    sizes = {"train": 4, "validation": 2, "test": 2}
    data = testing.write_prepared(tmp_path / "data", shards=[("csed", "zho_eld"), ("esd", "zho_adu")], sizes=sizes)
    config = {"model_name_or_path": "me/ser", "seeds": [0], "training": {"max_steps": 1}, "bootstrap_samples": 10,
              "num_threads": 1, "tables": [], "mixtures": ["zho_eld"], "extra_tests": ["zho_eld"]}  # fmt: skip
    (tmp_path / "me-ser.yaml").write_text(yaml.safe_dump(config))
    argv = ["--config", str(tmp_path / "me-ser.yaml"), "--bimotion", str(data)]
    if command == "grid":
        return load_recipe("grid").main([*argv, "--output_dir", str(tmp_path / "out")])
    from bimotion.cli import main

    return main(
        ["advise", *argv, "--target", "zho_eld", "--groups", "zho_eld", "zho_adu", "--output", str(tmp_path / "out")]
    )


RUNS = {  # what fine-tunes the base model me/ser: its exit code
    "train": lambda tmp_path, monkeypatch: _train_me_ser(tmp_path),
    "grid": lambda tmp_path, monkeypatch: _grid_or_advise("grid", tmp_path, monkeypatch),
    "advise": lambda tmp_path, monkeypatch: _grid_or_advise("advise", tmp_path, monkeypatch),
}


@pytest.mark.usefixtures("slept")
@pytest.mark.parametrize("process", ["main", "other"])
@pytest.mark.parametrize("run", RUNS)
def test_a_refused_base_model_is_said_once_for_a_launch(run, process, tmp_path, capsys, monkeypatch, request):
    """A base model me/ser the Hub refuses: one ``error:`` line, exit 1, said by a launch's main process alone (every
    process of ``accelerate launch --num_processes N recipes/train.py`` loads it, and each printed it).  A grid
    config's (``model_name_or_path: me/ser``) ended ``recipes/grid.py`` and ``bimotion advise`` in a traceback of the
    ``HubError`` (``bimotion.hub.HubError: cannot load model me/ser: ...``), on every process; now they say it so too."""
    from conftest import StoppedByTheLauncher

    monkeypatch.setattr(hub, "_silent", {})
    if process == "other":
        request.getfixturevalue("other_process")
    with local_hubs({"refusing": 403}) as urls:
        at(monkeypatch, urls["refusing"])
        if process == "other":
            with pytest.raises(StoppedByTheLauncher):
                RUNS[run](tmp_path, monkeypatch)
        else:
            assert RUNS[run](tmp_path, monkeypatch) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert "Traceback" not in err and len(errors) == (0 if process == "other" else 1), err
    if process == "main":
        assert errors[0].startswith(
            f"error: cannot load model me/ser: no such folder here, and the Hub at {urls['refusing']} refused access, "
        ), errors
        assert errors[0].endswith("or pass a local folder of me/ser"), errors


OTHER_KIND = """import sys
from bimotion.hub import HubError
from bimotion.predict.model import PredictError, load_predictor
from bimotion.training.model import build_model, load_classifier
for load in (build_model, load_classifier, lambda name: load_predictor(name, progress=False)):
    try:
        load("me/bert")
    except (HubError, PredictError) as err:
        print(err)
"""


def test_a_cached_hub_model_of_another_kind_is_not_said_as_a_hub_or_cache_that_lacks_it(tmp_path):
    """A Hub id whose files the cache holds, a text model's (``model_type: bert``), given where an audio classifier is
    loaded: transformers' ValueError ("Unrecognized configuration class ...") was said as "the Hugging Face Hub cannot
    be reached (HF_HUB_OFFLINE is set) and it cannot be loaded from the local cache ...; ... download it first: hf
    download me/bert", sending the user to download what they have.  Now: a model of another kind."""
    import subprocess
    import sys

    from bimotion.training.testing import subprocess_env

    snapshot = tmp_path / "hub" / "models--me--bert" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("abc123")
    config = '{"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}'
    (snapshot / "config.json").write_text(config)
    env = subprocess_env(HF_HUB_CACHE=str(tmp_path / "hub"), HF_HUB_OFFLINE="1")
    run = subprocess.run([sys.executable, "-c", OTHER_KIND], env=env, capture_output=True, text=True, timeout=600)
    said = run.stdout.splitlines()
    assert len(said) == 3, run.stdout + run.stderr[-3000:]
    for line in said:
        assert line.startswith("cannot load model me/bert: no such folder here, and the model it names is not one "), (
            line
        )
        assert "Unrecognized configuration class" in line and "cannot be loaded from the local cache" not in line, line
        assert "hf download" not in line, line
