"""``bimotion push`` worded a Hub it could not use in its own way: a failed SSL check (a proxy presenting its
own certificate) was "cannot reach the Hub at X (SSLError ...)", without the fix (SSL_CERT_FILE) that every
download names, and a server error was "answered HTTP 503".  Now push says the Hub's state in
:mod:`bimotion.hub`'s words (:func:`bimotion.hub.hub_failure`), as a download does, and a download's server
error no longer reads "cannot reach the Hub ... it answered HTTP 503" (it was reached): it answered with a
server error, try again later.  For real, without network: the ``tls`` fixture's self-signed stand-in and
``local_hubs``' servers answering by status (conftest.py)."""

from __future__ import annotations

import pytest
from conftest import local_hubs
from test_hub_asked_once import slept  # noqa: F401 (the fixture)
from test_hub_unanswered_across import tls  # noqa: F401 (the fixture)
from test_hub_unreachable_records import at

from bimotion.cli import main
from bimotion.hub import HubUnreachableError, could_not_read, hub_file
from bimotion.prepare import prepare
from loaders import testing

TOKEN = ["--token", "hf_not_a_real_token"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    base = tmp_path_factory.mktemp("push")
    return prepare({"csed": testing.make_corpus("csed", base / "raw")}, base / "bimotion", progress=False).out_dir


def push_error(out, capsys) -> str:
    """The one ``error:`` line of ``bimotion push OUT`` to ``me/x`` (exit 2, nothing uploaded)."""
    assert main(["push", str(out), "--repo-id", "me/x", *TOKEN]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in captured.err and "uploading" not in captured.out, captured
    return errors[0]


@pytest.mark.usefixtures("slept")
def test_push_to_a_hub_failing_the_ssl_check_names_the_fix_a_download_names(tls, prepared, capsys):  # noqa: F811
    endpoint, accepted = tls
    line = push_error(prepared, capsys)
    assert line.startswith(
        f"error: the Hub at {endpoint} failed the SSL check (SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]"
    ), line
    assert line.endswith("; if a proxy presents its own certificate, set SSL_CERT_FILE to its CA certificate file"), (
        line
    )
    assert "cannot reach" not in line and len(accepted) >= 1
    with pytest.raises(HubUnreachableError) as download:  # a download's words, the same state
        hub_file("me/ser", "scores.json")
    assert download.value.why.startswith(line.removeprefix("error: ").split(" (SSLCertVerificationError")[0])


@pytest.mark.usefixtures("slept")
def test_a_hub_answering_a_server_error_is_said_to_have_answered_for_push_and_for_downloads(
    prepared, capsys, monkeypatch
):
    with local_hubs({"down": 503, "refuses": 401}) as urls:
        at(monkeypatch, urls["down"])
        line = push_error(prepared, capsys)
        assert line.startswith(f"error: the Hub at {urls['down']} answered with a server error, HTTP 503: "), line
        assert line.endswith("; try again later"), line
        with pytest.raises(HubUnreachableError) as download:
            hub_file("me/ser", "scores.json")
        why = download.value.why
        assert why.startswith(f"the Hub at {urls['down']} answered with a server error, HTTP 503: "), why
        assert why.endswith(
            "; not in the local cache: try again later, set HF_HUB_OFFLINE=1 to read only the local cache, or pass "
            "a local folder of me/ser"
        ), why
        assert "cannot reach" not in why and could_not_read("scores.json", why).startswith("could not read scores.json")

        at(monkeypatch, urls["refuses"])  # a refused token: the download's words too, with the way out
        line = push_error(prepared, capsys)
        assert line.startswith(f"error: the Hub at {urls['refuses']} refused access, HTTP 401: "), line
        assert line.endswith("; log in with `hf auth login` or set HF_TOKEN to a token with access"), line

        at(monkeypatch, urls["refused"])  # nothing listens: not reached, and what to check
        line = push_error(prepared, capsys)
        assert line.startswith(f"error: cannot reach the Hub at {urls['refused']}, ConnectionRefusedError: "), line
        assert line.endswith("; check the network or proxy"), line


@pytest.mark.usefixtures("slept")
def test_an_upload_the_hub_fails_mid_way_is_said_in_the_hubs_words(prepared, monkeypatch):
    """The check before any work passed and the upload itself then failed (the Hub down mid-push): the error
    quoted the Hub client's raw text, "uploading ... failed (503 Server Error: ... for url: ...)", without the
    state and fix that push's check and every download say.  Now it says them; the folder is still complete."""
    from bimotion.hub import HubError
    from bimotion.hub_upload import publish

    with local_hubs({"down": 503}) as urls:
        at(monkeypatch, urls["down"])
        with pytest.raises(HubError) as failed:
            publish(prepared, "me/x", token="hf_not_a_real_token")
    said = str(failed.value)
    assert said.startswith(
        f"uploading {prepared} to me/x failed (the Hub at {urls['down']} answered with a server error, HTTP 503: "
    ), said
    assert said.endswith("; try again later); the folder is complete: upload it again"), said


@pytest.mark.usefixtures("slept")
def test_a_hub_asking_to_slow_down_is_told_to_be_tried_again_later_not_the_network(prepared, capsys, monkeypatch):
    """HTTP 429 (Too Many Requests: the Hub's rate limit, common on a large upload) was worded as another
    status, a proxy's: 'the Hub at X answered HTTP 429: ...; check the network or proxy', for push's check,
    an upload and a download alike, though nothing is wrong with either: it now says to try again later."""
    from bimotion.hub import HubError
    from bimotion.hub_upload import publish

    with local_hubs({"busy": 429}) as urls:
        at(monkeypatch, urls["busy"])
        line = push_error(prepared, capsys)
        assert line.startswith(f"error: the Hub at {urls['busy']} answered HTTP 429: "), line
        assert line.endswith("; try again later"), line
        with pytest.raises(HubError) as failed:
            publish(prepared, "me/x", token="hf_not_a_real_token")
        assert "; try again later); the folder is complete" in str(failed.value), failed.value
        with pytest.raises(HubUnreachableError) as download:
            hub_file("me/ser", "scores.json")
        assert "check the network or proxy" not in download.value.why, download.value.why
        assert "try again later" in download.value.why, download.value.why


@pytest.mark.usefixtures("slept")
def test_an_upload_the_hub_refuses_as_sent_is_not_put_on_the_network(prepared, monkeypatch):
    """Once push's check has found the Hub, an upload it answers HTTP 400 (a card's metadata it does not
    accept, a file too large) was said as a proxy's answer: '... answered HTTP 400: Bad request:; check the
    network or proxy', a fix that changes nothing. It now points at the Hub's own words."""
    from bimotion.hub import HubError
    from bimotion.hub_upload import publish

    with local_hubs({"bad": 400}) as urls:
        at(monkeypatch, urls["bad"])
        with pytest.raises(HubError) as failed:
            publish(prepared, "me/x", token="hf_not_a_real_token")
    said = str(failed.value)
    assert said.startswith(f"uploading {prepared} to me/x failed (the Hub at {urls['bad']} answered HTTP 400: "), said
    assert said.endswith("; change what its answer names); the folder is complete: upload it again"), said
    assert "network" not in said, said
