"""Models named by Hub id on a machine without network: a cached one loads at once and an uncached
one fails at once with one line saying so (transformers alone retries for ~30 s first)."""

from __future__ import annotations

import shutil
import socket
import time
import urllib.request
from dataclasses import dataclass, field

import pytest
from conftest import local_hubs
from huggingface_hub import constants

from bimotion import hub
from bimotion.predict import PredictError, load_predictor
from bimotion.training.model import build_model
from bimotion.training.testing import save_tiny_model


@dataclass
class Offline:
    lookups: list = field(default_factory=list)  # host names looked up
    waits_s: list = field(default_factory=list)  # time.sleep calls of 1 s or more (retries' back-off), not slept


@pytest.fixture
def offline(monkeypatch) -> Offline:
    """No name resolves, as on a machine without network (HF_HUB_OFFLINE is not set, no proxy)."""
    seen = Offline()
    sleep = time.sleep

    def no_dns(host, *args, **kwargs):
        seen.lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def no_long_sleep(seconds):
        seen.waits_s.append(seconds) if seconds >= 1 else sleep(seconds)

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # what an unset HF_HUB_OFFLINE gives at import
    monkeypatch.setattr(urllib.request, "getproxies", dict)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(time, "sleep", no_long_sleep)
    monkeypatch.setattr(hub, "_dns", {})
    return seen


def test_without_network_hub_ids_read_the_local_cache_only_and_folders_load_as_ever(offline, tmp_path, monkeypatch):
    assert hub.hub_unreachable() == "no network? huggingface.co does not resolve"
    assert hub.download_kwargs("facebook/wav2vec2-large-xlsr-53") == {"local_files_only": True}
    assert hub.download_kwargs(tmp_path) == {}  # a local folder never asks the Hub
    assert offline.lookups == ["huggingface.co"]  # the answer is kept for a while: one look-up
    monkeypatch.setattr(hub, "DNS_ANSWER_S", 0.0)  # ... and not for ever: the network may come back
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [])
    assert hub.hub_unreachable() is None and hub.download_kwargs("facebook/wav2vec2-large-xlsr-53") == {}
    # behind a proxy the proxy resolves the name: no local look-up decides anything
    monkeypatch.setattr(urllib.request, "getproxies", lambda: {"https": "http://proxy.example:3128"})
    monkeypatch.setattr(socket, "getaddrinfo", None)
    assert hub.hub_unreachable() is None
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert hub.hub_unreachable() == "HF_HUB_OFFLINE is set"


def test_a_cached_hub_model_loads_without_network(offline, tmp_path):
    """The Hub cache's layout (models--OWNER--NAME/refs/main -> snapshots/<commit>/), as `hf download` leaves it."""
    cache, commit = tmp_path / "hub-cache", "0" * 40
    repo = cache / "models--owner--tiny-xlsr"
    save_tiny_model(tmp_path / "tiny")
    shutil.copytree(tmp_path / "tiny", repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    model, feature_extractor = build_model("owner/tiny-xlsr", cache_dir=str(cache))
    assert model.config.num_labels == 13 and feature_extractor.sampling_rate == 16000
    assert offline.waits_s == []  # no request retried (transformers alone backs off ~30 s first)


def test_an_uncached_hub_model_without_network_is_one_line_naming_the_cause(offline):
    with pytest.raises(PredictError) as caught:
        load_predictor("owner/not-downloaded")
    message = str(caught.value)
    assert "\n" not in message
    assert (
        "no network? huggingface.co does not resolve" in message and "cannot be loaded from the local cache" in message
    )
    assert offline.waits_s == []
    assert "hf download owner/not-downloaded --local-dir DIR" in message


def test_a_mistyped_folder_read_as_an_uncached_hub_dataset_says_it_is_no_folder_either(offline, tmp_path, monkeypatch):
    """``data/bimotin`` (a typo of a folder) is a valid Hub id: without network the error said only that
    the Hub cannot be reached and the dataset is not cached, as if a Hub dataset had been meant."""
    from bimotion.training.data_checks import check_dataset
    from bimotion.training.parsing import ArgumentError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ArgumentError, match=r"--bimotion data/bimotin: no such folder here, and the Hugging Face Hub"):
        check_dataset("data/bimotin", "--bimotion", "bimotion", cache_dir=str(tmp_path / "cache"))
    assert offline.waits_s == []


@pytest.mark.parametrize(
    ("value", "hub_id"),
    [
        ("facebook/wav2vec2-large-xlsr-53", True),
        ("bert-base-uncased", True),  # a legacy id without an owner
        ("_x/y", True),  # the Hub allows it: the checks used to disagree on these three
        ("org/model--v1", False),
        ("-org/model", False),
        ("a/b/c", False),
        ("./model", False),
        ("~/model", False),
        ("no id", False),
    ],
)
def test_every_check_reads_a_hub_id_alike(value, hub_id, monkeypatch):
    """Four checks each had their own idea of a Hub id; now they share bimotion.hub.is_hub_id."""
    from bimotion.predict.model import check_source
    from bimotion.training.args import check_model
    from bimotion.training.data_checks import check_dataset
    from bimotion.training.parsing import ArgumentError
    from bimotion.training.public import is_hub_id

    monkeypatch.setattr(hub, "hub_unreachable", lambda: None)  # as with network: no cache look-up
    monkeypatch.setattr(hub, "asked_once", lambda *args: None)  # ... and the Hub answers: not asked here
    verdicts = {"model card": is_hub_id(value)}
    for name, check, error in (
        ("dataset", lambda: check_dataset(value, "--bimotion", "bimotion"), ArgumentError),
        ("model", lambda: check_model(value, "--model_name_or_path", offline_check=False), ArgumentError),
        ("predict", lambda: check_source(value), PredictError),
    ):
        try:
            check()
            verdicts[name] = True
        except error:
            verdicts[name] = False
    assert verdicts == dict.fromkeys(verdicts, hub_id)


def test_a_hub_models_trained_labels_are_read_from_its_config(offline, tmp_path):
    """infer on a Hub model id recorded no trained labels (they were read from local folders only),
    so labels the model never learnt counted as its mistakes."""
    import json

    from bimotion.training.metrics import read_trained_labels

    cache, commit = tmp_path / "hub-cache", "0" * 40
    snapshot = tmp_path / "hub-cache" / "models--owner--tiny-xlsr" / "snapshots" / commit
    save_tiny_model(tmp_path / "tiny")
    shutil.copytree(tmp_path / "tiny", snapshot)
    config = json.loads((snapshot / "config.json").read_text())
    (snapshot / "config.json").write_text(json.dumps({**config, "trained_labels": ["anger", "neutral"]}))
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text(commit)
    assert read_trained_labels("owner/tiny-xlsr", cache_dir=str(cache)) == ["anger", "neutral"]
    assert read_trained_labels(snapshot) == ["anger", "neutral"]  # a local folder, as before


def test_a_probe_grid_on_a_hub_dataset_is_refused_before_anything_trains(offline, tmp_path, monkeypatch):
    """A probe's features are cached per local prepared folder, and ``train_probe`` refuses a Hub id; the
    grid's up-front checks took one (cached here, so it passes the offline check) for ``backend: probe``,
    so the refusal came only when the first model trained."""
    import datasets.config

    from bimotion.grid.checks import check_inputs
    from bimotion.grid.config import load_config, shipped_config
    from bimotion.training.parsing import ArgumentError

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path)
    (tmp_path / "owner___bimotion").mkdir()  # built by datasets before: an id that reads offline
    config = load_config(
        {**load_config(shipped_config("probe")).__dict__, "tables": ["table3"], "extra_tests": [], "projections": []}
    )  # Table 3 alone: none of its figures, whose models it would not train (refused first)
    with pytest.raises(ArgumentError, match="--bimotion owner/bimotion: probes read local prepared folders only"):
        check_inputs(config, {"bimotion": "owner/bimotion", "yuemotion": None})


HUB_SCORES = """
import time
sleep = time.sleep  # huggingface_hub's back-off between retries (1+2+4+8+8 s of a refused connection), not waited:
time.sleep = lambda seconds: None if seconds >= 1 else sleep(seconds)  # the same requests and errors, at once
from bimotion.predict.model import chance_warning
print(chance_warning("me/ser")[1])
"""


def test_a_hub_file_that_is_absent_and_one_that_could_not_be_fetched_read_differently(tmp_path):
    """A Hub model's scores.json that could not be fetched for any reason (a firewall, a timeout, a
    refused connection, a token refused) read as "me/ser records no test scores", as if the Hub had
    answered that it holds none.  Now only the Hub's own answer (HTTP 404) reads so; a Hub that cannot
    be reached, or refuses, is said to, with the reason and what to do.  For real, without network:
    HF_ENDPOINT at a closed local port (connection refused), and at local HTTP servers answering 404 and 403;
    huggingface_hub retries the refused connection as ever, without its ~23 s of back-off sleeps."""
    import os
    import subprocess
    import sys

    asked = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "proxy" not in k.lower()}
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    runs = {}
    with local_hubs({"absent": 404, "forbidden": 403}, asked) as endpoints:
        for name, endpoint in endpoints.items():
            cache = tmp_path / name
            run_env = {**env, "HF_ENDPOINT": endpoint, "HF_HOME": str(cache), "HF_HUB_DISABLE_TELEMETRY": "1"}
            runs[name] = subprocess.Popen(  # one process each: huggingface_hub reads HF_ENDPOINT at import
                [sys.executable, "-c", HUB_SCORES], cwd=tmp_path, env=run_env, stdout=subprocess.PIPE, text=True
            )
        notes = {name: run.communicate(timeout=240)[0].strip() for name, run in runs.items()}
    assert {name: run.returncode for name, run in runs.items()} == dict.fromkeys(endpoints, 0)
    assert set(asked) == {"/me/ser/resolve/main/scores.json"} and len(asked) >= 2  # the local "Hubs" were asked
    unknown = "how its labels compare with chance is not known"
    assert notes["absent"] == f"me/ser records no test scores (scores.json, written by the training recipes): {unknown}"
    assert notes["refused"] == (
        f"me/ser's scores.json on the Hugging Face Hub could not be fetched (cannot reach the Hub at "
        f"{endpoints['refused']}, ConnectionRefusedError: [Errno 111] Connection refused; not in the local cache: "
        "check the network or proxy, set HF_HUB_OFFLINE=1 to read only the local cache, or pass a local folder of "
        f"me/ser): {unknown}"
    )
    assert notes["forbidden"].startswith(
        f"me/ser's scores.json on the Hugging Face Hub could not be fetched (the Hub at {endpoints['forbidden']} "
        "refused access, HTTP 403: "
    ) and notes["forbidden"].endswith(
        f"log in with `hf auth login` or set HF_TOKEN to a token with access, or pass a local folder of me/ser): {unknown}"
    )
