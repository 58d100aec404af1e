"""A Hub model already in the Hub cache, loaded where the Hub does not answer (a refused connection, a
firewall) though its name resolves and offline mode is off: ``from_pretrained`` asked the
Hub for each file and huggingface_hub retried each with back-off (1 + 2 + 4 + 8 + 8 s), ~26 s and a
dozen "Retrying in" lines before the cached model loaded (an uncached one failed as late; where the
connection is reset, the cached model did not load at all: "Can't load feature extractor").  Now
:func:`bimotion.hub.download_kwargs` asks once, for the model's ``config.json``; no answer and the
cache is read at once, and an uncached model fails at once with predict's one line.  A Hub that
answers (404, 503) loads as before.  For real, without network: a local server that resets each
connection (each request counted), a closed local port, and servers answering 404 and 503;
the back-off's sleeps are recorded, not slept (no timing is asserted)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from conftest import local_hubs, socket_hub
from huggingface_hub import constants
from test_hub_asked_once import slept  # noqa: F401 (the fixture)
from test_hub_unreachable_records import at

from bimotion import hub

COMMIT = "0" * 40


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from bimotion.training.testing import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny")


def _in_cache(tiny, repo_id: str) -> None:
    """``tiny`` in the Hub cache (``constants.HF_HUB_CACHE``) as a download of ``repo_id`` leaves it."""
    repo = Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(tiny, repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)


@pytest.fixture
def resetting(monkeypatch) -> tuple[str, list[str]]:
    """A stand-in Hub that accepts every connection, reads the request and resets the connection (no
    answer at all, as a firewall that rejects: :func:`conftest.socket_hub`), and the requests it was sent;
    nothing remembered of any Hub before."""
    monkeypatch.setattr(hub, "_silent", {})
    with socket_hub("reset") as (endpoint, asked):
        at(monkeypatch, endpoint)
        yield endpoint, asked


def retried(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Retrying in" in r.getMessage()]


def test_a_cached_model_loads_after_one_unanswered_request(resetting, slept, tiny, caplog):  # noqa: F811
    from bimotion.probe.features import EncoderFeatures

    endpoint, asked = resetting
    caplog.set_level(logging.WARNING, logger="huggingface_hub")
    _in_cache(tiny, "me/tiny")
    encoder = EncoderFeatures("me/tiny")  # the probe's load; training's and predict's take the same kwargs
    assert encoder.model.config.hidden_size == 32  # the cached model, loaded
    of_hub = [line for line in asked if "/api/agent-harnesses " not in line]  # not huggingface_hub's own registry
    assert of_hub == ["HEAD /me/tiny/resolve/main/config.json HTTP/1.1"]  # was 6 for a file, and the others
    assert retried(caplog) == [] and slept == []  # was "Retrying in 1s" ... "8s" (~25 s)
    assert hub.hub_unreachable() == (
        f"the Hub at {endpoint} did not answer (ConnectionResetError: [Errno 104] Connection reset by peer)"
    )


@pytest.mark.usefixtures("slept")
def test_an_uncached_model_fails_at_once_naming_it_and_the_fix(monkeypatch, caplog):
    from bimotion.predict.audio import PredictError
    from bimotion.predict.model import load_predictor

    caplog.set_level(logging.WARNING, logger="huggingface_hub")
    monkeypatch.setattr(hub, "_silent", {})
    with local_hubs({}) as urls:
        at(monkeypatch, urls["refused"])
        with pytest.raises(PredictError) as err:
            load_predictor("me/none", progress=False)
    assert str(err.value).startswith(
        "cannot load model me/none: no such folder here, and the Hugging Face Hub cannot be reached (the Hub at "
        f"{urls['refused']} did not answer (ConnectionRefusedError: [Errno 111] Connection refused)) and it cannot "
        "be loaded from the local cache ("
    )
    assert str(err.value).endswith("pass a model folder, or download it first: hf download me/none --local-dir DIR")
    assert retried(caplog) == []  # was 5 "Retrying in" lines before the error


@pytest.mark.parametrize("status", [404, 503])
@pytest.mark.usefixtures("slept")
def test_a_hub_that_answers_is_not_read_as_unreachable(status, monkeypatch, tiny):
    asked: list[str] = []
    monkeypatch.setattr(hub, "_silent", {})
    _in_cache(tiny, "me/tiny")
    with local_hubs({"answers": status}, asked) as urls:
        at(monkeypatch, urls["answers"])
        assert hub.download_kwargs("me/tiny") == {}  # from_pretrained asks the Hub, as before
        assert asked == ["/me/tiny/resolve/main/config.json"]
        assert hub.hub_unreachable() is None
        assert hub.download_kwargs(tiny) == {} and len(asked) == 1  # a folder here: the Hub is not asked
