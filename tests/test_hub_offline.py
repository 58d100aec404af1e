"""Models named by Hub id on a machine without network: a cached one loads at once and an uncached
one fails at once with one line saying so (transformers alone retries for ~30 s first)."""

from __future__ import annotations

import shutil
import socket

import pytest

from bimotion import hub
from bimotion.predict import PredictError, load_predictor
from bimotion.training.model import build_model
from bimotion.training.testing import save_tiny_model


@pytest.fixture
def offline(monkeypatch):
    """No name resolves, as on a machine without network (HF_HUB_OFFLINE is not set)."""

    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    hub.hub_unreachable.cache_clear()
    yield
    hub.hub_unreachable.cache_clear()


def test_without_network_hub_ids_read_the_local_cache_only_and_folders_load_as_ever(offline, tmp_path):
    assert hub.hub_unreachable() == "no network? huggingface.co does not resolve"
    assert hub.download_kwargs("facebook/wav2vec2-large-xlsr-53") == {"local_files_only": True}
    assert hub.download_kwargs(tmp_path) == {}  # a local folder never asks the Hub


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


def test_an_uncached_hub_model_without_network_is_one_line_naming_the_cause(offline):
    with pytest.raises(PredictError) as caught:
        load_predictor("owner/not-downloaded")
    message = str(caught.value)
    assert "\n" not in message
    assert "no network? huggingface.co does not resolve" in message and "local cache has no such model" in message
    assert "hf download owner/not-downloaded --local-dir DIR" in message
