"""A Hub that does not answer at all (a firewall dropping packets: the connection hangs) cost every
optional file of a Hub model or dataset (``train_manifest.txt``, ``scores.json``, ``prepare.json``:
:func:`bimotion.hub.hub_file`) the whole ``HF_HUB_ETAG_TIMEOUT`` (10 s), several files per command.  Now
the first look-up that gets no answer (timed out, refused) is remembered for the rest of the process, for
:data:`bimotion.hub.DNS_ANSWER_S` as a failed DNS look-up is: the next files are read from the cache or
fail at once, with the same words; a Hub that answers (404, 503) is asked each time.  For real, without
network: a local server that accepts and never answers (each request counted), with a 1 s timeout."""

from __future__ import annotations

import pytest
from conftest import local_hubs, socket_hub
from huggingface_hub import constants
from test_hub_asked_once import _cache, slept  # noqa: F401 (the fixture)
from test_hub_unreachable_records import at

from bimotion import hub
from bimotion.hub import HubUnreachableError, hub_file


@pytest.fixture
def silent(monkeypatch) -> tuple[str, list[str]]:
    """A stand-in Hub that accepts every connection and never answers (:func:`conftest.socket_hub`), and
    the requests it was sent; nothing remembered of any Hub before, a 1 s timeout (HF_HUB_ETAG_TIMEOUT=1)."""
    monkeypatch.setattr(hub, "_silent", {}, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 1)
    with socket_hub("silent") as (endpoint, asked):
        at(monkeypatch, endpoint)
        yield endpoint, asked


# a look-up that got no answer within HF_HUB_ETAG_TIMEOUT, and the fix (test_hub_timeouts.py)
STALLED = "the Hub at {endpoint} did not answer a download's look-up: it sent nothing for {t} s after the request"
STALLED += " (ReadTimeout)"
FIX = "check the network or proxy; if the Hub is only slow, set HF_HUB_ETAG_TIMEOUT above {t} (the seconds a download's"
FIX += " look-up may wait with nothing moving)"


def heads(asked: list[str]) -> list[str]:
    return [line for line in asked if line.startswith("HEAD ")]  # not huggingface_hub's own GET of its registry


@pytest.mark.usefixtures("slept")  # an empty Hub cache; HF_HUB_OFFLINE unset
def test_a_hub_that_never_answers_is_waited_for_once_then_the_cache_is_read_at_once(silent, monkeypatch, tmp_path):
    endpoint, asked = silent
    with pytest.raises(HubUnreachableError) as first:
        hub_file("me/ser", "train_manifest.txt")
    assert heads(asked) == ["HEAD /me/ser/resolve/main/train_manifest.txt HTTP/1.1"]
    assert STALLED.format(endpoint=endpoint, t=1) in str(first.value)  # was "cannot reach ..., TimeoutError: timed out"

    with pytest.raises(HubUnreachableError) as second:
        hub_file("me/ser", "scores.json")  # was asked too, and waited for: 10 s per file
    assert len(heads(asked)) == 1
    assert second.value.why == first.value.why  # said as the first, not as "no network"
    _cache(tmp_path / "hub", "me/data", "prepare.json", '{"seed": 3}')
    cached = hub_file("me/data", "prepare.json", repo_type="dataset")
    assert cached is not None and cached.read_text() == '{"seed": 3}' and len(heads(asked)) == 1
    assert hub.hub_unreachable() == f"{STALLED}; {FIX}".format(endpoint=endpoint, t=1)  # the setting named
    assert hub.download_kwargs("me/ser") == {"local_files_only": True}  # from_pretrained's, too: not waited for

    monkeypatch.setattr(hub, "DNS_ANSWER_S", 0.0)  # ... and not for ever: the network may come back
    with pytest.raises(HubUnreachableError):
        hub_file("me/ser", "scores.json")
    assert len(heads(asked)) == 2


@pytest.mark.usefixtures("slept")
def test_a_hub_that_answers_an_error_is_not_remembered_as_unreachable(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(hub, "_silent", {}, raising=False)
    with local_hubs({"down": 503, "absent": 404}, asked) as urls:
        at(monkeypatch, urls["absent"])
        assert hub_file("me/ser", "scores.json") is None
        assert hub_file("me/ser", "train_manifest.txt") is None  # asked: the Hub answers
        at(monkeypatch, urls["down"])
        for name in ("scores.json", "train_manifest.txt"):
            with pytest.raises(HubUnreachableError, match="answered with a server error, HTTP 503"):
                hub_file("me/ser", name)
        assert len(asked) == 4 and hub.hub_unreachable() is None
        at(monkeypatch, urls["refused"])  # no answer at all, as a dropped packet: remembered
        with pytest.raises(HubUnreachableError, match="ConnectionRefusedError"):
            hub_file("me/ser", "scores.json")
        assert hub.hub_unreachable().endswith("did not answer (ConnectionRefusedError: [Errno 111] Connection refused)")
        at(monkeypatch, urls["down"])
        assert hub.hub_unreachable() is None  # of that endpoint only


@pytest.mark.usefixtures("slept")
def test_a_longer_timeout_in_the_same_process_asks_the_hub_again(silent, monkeypatch):
    """A look-up that got no answer within HF_HUB_ETAG_TIMEOUT=1 was remembered in its process by the endpoint alone:
    the same process given a longer timeout (the slow Hub's fix: huggingface_hub.constants.HF_HUB_ETAG_TIMEOUT) was
    told for a minute, without asking, that the Hub did not answer, though a fresh process (its marker keyed by the
    timeout too) asked again.  The process's memory is keyed as the marker is: a longer timeout asks; back at the
    first, it is remembered still."""
    endpoint, asked = silent
    with pytest.raises(HubUnreachableError):
        hub_file("me/ser", "scores.json")
    assert len(heads(asked)) == 1
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 2)
    assert hub.hub_unreachable() is None  # was "the Hub at ... did not answer (TimeoutError: timed out)"
    with pytest.raises(HubUnreachableError, match="set HF_HUB_ETAG_TIMEOUT above 2 "):
        hub_file("me/ser", "scores.json")
    assert len(heads(asked)) == 2  # was 1: the 1 s timeout's silence stood for it
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 1)
    with pytest.raises(HubUnreachableError):
        hub_file("me/ser", "train_manifest.txt")
    assert len(heads(asked)) == 2
    assert hub.hub_unreachable() == f"{STALLED}; {FIX}".format(endpoint=endpoint, t=1)  # the setting named


@pytest.mark.usefixtures("slept")
def test_a_longer_timeout_in_the_same_process_asks_again_for_a_hub_datasets_record_and_card(silent, monkeypatch):
    """A Hub dataset's prepare.json (layout.hub_info) and card (held.card_configs) that got no answer within
    HF_HUB_ETAG_TIMEOUT=1 were remembered for the rest of the process by the Hub and its cache alone: the same
    process given a longer timeout (the slow Hub's fix) was still told the Hub could not be reached, and sent no
    request.  They are remembered by the route and timeout too (hub_marker.route_key), as bimotion.hub is: a longer
    timeout asks again; back at the first, the no-answer is remembered still."""
    from bimotion.data import held, layout

    monkeypatch.setattr(layout, "_HUB_INFOS", {})
    monkeypatch.setattr(held, "_CARD_CONFIGS", {})
    endpoint, asked = silent
    assert layout.hub_info("me/ds") is None and held.card_configs("me/ds") is None
    assert heads(asked) == ["HEAD /datasets/me/ds/resolve/main/prepare.json HTTP/1.1"]  # the card: hub.py remembered
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 2)
    with pytest.raises(HubUnreachableError, match="set HF_HUB_ETAG_TIMEOUT above 2 "):
        layout.recorded_info("me/ds")
    assert len(heads(asked)) == 2  # was 1: the 1 s timeout's no-answer stood for it
    hub.forget_unanswered(endpoint)  # bimotion.hub's memory of the 2 s one: the card's own look-up is then seen
    assert held.card_configs("me/ds") is None
    assert heads(asked)[2:] == ["HEAD /datasets/me/ds/resolve/main/README.md HTTP/1.1"]  # was none
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 1)
    assert layout.hub_info("me/ds") is None and held.card_configs("me/ds") is None
    assert len(heads(asked)) == 3
