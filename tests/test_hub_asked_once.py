"""The files read only to say more of a Hub model or dataset (its ``train_manifest.txt``,
``scores.json``, ``prepare.json``: :func:`bimotion.hub.hub_file`) went through ``hf_hub_download``,
which, where the Hub does not answer and nothing is cached, asks again and retries 5 times with
back-off: each such file cost a user without network ~23 s (a refused connection) and ten lines of
huggingface_hub's retry log before the error, several files per command.  Now the Hub is asked once
(within ``HF_HUB_ETAG_TIMEOUT``), a cached copy is read as before, and the error is the same.  For
real, without network: a closed local port (connection refused) and local servers answering 503 and
404, counting the requests; the back-off's sleeps are recorded, not slept (no timing is asserted)."""

from __future__ import annotations

import logging
import time

import pytest
from conftest import local_hubs
from huggingface_hub import constants
from test_hub_unreachable_records import at

from bimotion.hub import HubUnreachableError, hub_file


@pytest.fixture
def slept(monkeypatch, tmp_path) -> list[float]:
    """The back-off sleeps (1 s and longer) asked for, not slept; an empty Hub cache at ``tmp_path / "hub"``."""
    asked: list[float] = []
    sleep = time.sleep

    def record(seconds):
        if seconds >= 1:
            asked.append(seconds)
        else:
            sleep(seconds)

    monkeypatch.setattr(time, "sleep", record)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    return asked


def _cache(root, repo_id: str, filename: str, text: str) -> None:
    """``filename`` of the dataset ``repo_id`` in the Hub cache, as a download leaves it."""
    repo = root / f"datasets--{repo_id.replace('/', '--')}"
    (repo / "snapshots" / ("0" * 40)).mkdir(parents=True)
    (repo / "snapshots" / ("0" * 40) / filename).write_text(text)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)


def test_a_hub_that_does_not_answer_is_asked_once_per_file_and_said_so(slept, monkeypatch, tmp_path, caplog):
    asked: list[str] = []
    caplog.set_level(logging.WARNING, logger="huggingface_hub")
    with local_hubs({"down": 503, "absent": 404}, asked) as urls:
        at(monkeypatch, urls["refused"])
        with pytest.raises(HubUnreachableError) as err:
            hub_file("me/ser", "train_manifest.txt")
        assert slept == []  # was [1, 2, 4, 8, 8]: ~23 s before the error
        assert not [r.message for r in caplog.records if "Retrying in" in r.message]  # was 5, with 6 lines of the error
        assert str(err.value) == (
            f"train_manifest.txt of me/ser could not be fetched (cannot reach the Hub at {urls['refused']}, "
            "ConnectionRefusedError: [Errno 111] Connection refused; not in the local cache: check the network or "
            "proxy, set HF_HUB_OFFLINE=1 to read only the local cache, or pass a local folder of me/ser)"
        )
        _cache(tmp_path / "hub", "me/data", "prepare.json", '{"seed": 3}')  # read before, then the Hub went away
        cached = hub_file("me/data", "prepare.json", repo_type="dataset")
        assert cached is not None and cached.read_text() == '{"seed": 3}'

        at(monkeypatch, urls["down"])  # the Hub's own error, not a 404: not read as none, and not retried either
        with pytest.raises(HubUnreachableError, match=r"could not be fetched \(the Hub at .* answered with a server "
                           r"error, HTTP 503"):  # fmt: skip
            hub_file("me/ser", "scores.json")
        assert asked == ["/me/ser/resolve/main/scores.json"] and slept == []  # was asked 8 times
        at(monkeypatch, urls["absent"])
        assert hub_file("me/ser", "scores.json") is None  # the Hub's answer: there is none
        assert asked == ["/me/ser/resolve/main/scores.json"] * 2
