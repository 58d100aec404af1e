"""A Hub that did not answer was remembered by one process only: behind a firewall that drops packets
every new process (each ``bimotion`` command, each recipe, each ``accelerate`` worker) waited
``HF_HUB_ETAG_TIMEOUT`` (10 s) again before it read the local cache.  Now the first process leaves a
marker under ``HF_ASSETS_CACHE`` (keyed by the endpoint and the proxy and CA settings, for :data:`bimotion.hub.DNS_ANSWER_S`) and the
next ones read the cache at once, saying that the Hub did not answer a look-up less than a minute ago;
an answer clears it, ``HF_HUB_OFFLINE`` is said as before, and a cache that cannot be written only
forgets.  A TLS handshake that fails (a proxy presenting its own certificate) was not remembered at
all, each look-up tried again; it now is, said as an SSL problem with its fix, not as "cannot reach".
For real, without network: a local server that accepts and never answers, a local port that refuses
and then answers 404, and a local TLS server with a self-signed certificate, each counting what it was
sent (a count, not a time, is asserted)."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from conftest import REPO, listening
from huggingface_hub import constants
from test_hub_asked_once import slept  # noqa: F401 (the fixture)
from test_hub_silent import FIX as LOOK_UP_FIX
from test_hub_silent import STALLED, heads, silent  # noqa: F401 (the fixture)
from test_hub_unreachable_records import at

from bimotion import hub, hub_marker
from bimotion.hub import HubUnreachableError, hub_file

LOOKUP = """
import json
from bimotion import hub, hub_marker
try:
    hub.hub_file("me/ser", "train_manifest.txt")
except hub.HubUnreachableError as err:
    print(json.dumps({"why": err.why, "unreachable": hub.hub_unreachable(), "kwargs": hub.download_kwargs("me/x")}))
"""


def fresh_process(endpoint: str, home, **variables: str) -> dict:
    """What :data:`LOOKUP` says in a new process with ``HF_ENDPOINT=endpoint``, ``HF_HOME=home``, a 1 s timeout
    and the environment ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "proxy" not in k.lower()}
    env = {k: v for k, v in env.items() if k.upper() not in hub_marker.ROUTE_VARIABLES}
    env |= {"PYTHONPATH": str(REPO), "HF_ENDPOINT": endpoint, "HF_HOME": str(home), "HF_HUB_ETAG_TIMEOUT": "1"}
    env |= variables
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    home.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-c", LOOKUP], cwd=home, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise AssertionError(f"exit {done.returncode}: {done.stdout!r} {done.stderr[-1500:]}")
    return json.loads(done.stdout)


def test_a_second_process_does_not_wait_for_a_hub_that_never_answered_the_first(silent, tmp_path):  # noqa: F811
    endpoint, asked = silent
    first = fresh_process(endpoint, tmp_path)
    assert heads(asked) == ["HEAD /me/ser/resolve/main/train_manifest.txt HTTP/1.1"]
    assert first["why"].startswith(STALLED.format(endpoint=endpoint, t=1) + "; not in the local")

    second = fresh_process(endpoint, tmp_path)  # the same HF_HOME: another command, recipe or worker
    assert len(heads(asked)) == 1  # was 2: it waited the whole timeout again
    # as the first said it, with when, and the setting that waits longer (it was "(TimeoutError: timed out)" and
    # "check the network or proxy", naming none: a process with a longer HF_HUB_ETAG_TIMEOUT asks again)
    stalled = STALLED.format(endpoint=endpoint, t=1).replace("look-up:", "look-up less than a minute ago:")
    assert second["why"] == (
        f"{stalled}; not in the local cache: {LOOK_UP_FIX.format(t=1)}, set HF_HUB_OFFLINE=1 to read only the "
        "local cache, or pass a local folder of me/ser"
    ), second["why"]
    assert second["unreachable"] == (
        f"{stalled}, so only the local cache is read for now; {LOOK_UP_FIX.format(t=1)}"
    ), second["unreachable"]
    assert second["kwargs"] == {"local_files_only": True}  # from_pretrained reads the cache at once, too

    fresh_process(endpoint, tmp_path / "hf-other")  # another HF_HOME: another machine's, as it were
    assert len(heads(asked)) == 2


def _refusing_then_answering() -> tuple[str, socket.socket, Callable[[], None]]:
    """An endpoint whose port refuses connections until the function returned is called, then answers
    every request 404 (the Hub, back), and its socket, to close."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # not listening yet, or closed
                return
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            conn.close()

    def listen():
        server.listen(8)
        threading.Thread(target=answer, daemon=True).start()

    return f"http://127.0.0.1:{server.getsockname()[1]}", server, listen


@pytest.mark.usefixtures("slept")
def test_the_marker_is_the_endpoints_for_a_minute_and_cleared_when_the_hub_answers(monkeypatch):
    monkeypatch.setattr(hub, "_silent", {})
    endpoint, server, back = _refusing_then_answering()
    at(monkeypatch, endpoint)
    with pytest.raises(HubUnreachableError, match="ConnectionRefusedError"):
        hub_file("me/ser", "scores.json")
    marker = hub_marker.marker_path(endpoint)
    assert json.loads(marker.read_text())["endpoint"] == endpoint

    monkeypatch.setattr(hub, "_silent", {})  # as a fresh process sees it
    assert hub.hub_unreachable().startswith(f"the Hub at {endpoint} did not answer a look-up less than a minute ago")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert hub.hub_unreachable() == "HF_HUB_OFFLINE is set"  # as before
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    at(monkeypatch, "http://127.0.0.1:9")  # another endpoint: its own marker, none
    assert hub._unanswered() is None
    at(monkeypatch, endpoint)

    record = json.loads(marker.read_text())
    marker.write_text(json.dumps(record | {"when_unix_s": record["when_unix_s"] - hub.DNS_ANSWER_S - 1}))
    assert hub._unanswered() is None  # older than a minute: the Hub is asked again
    back()
    try:
        assert hub_file("me/ser", "scores.json") is None  # the Hub's 404: no such file
        assert not marker.exists()  # answered: the other processes ask it again too
        assert hub.hub_unreachable() is None
    finally:
        server.close()


@pytest.mark.usefixtures("slept")
def test_a_cache_that_cannot_be_written_only_forgets(monkeypatch, tmp_path):
    from conftest import local_hubs

    (tmp_path / "a-file").write_text("")
    monkeypatch.setattr(constants, "HF_ASSETS_CACHE", str(tmp_path / "a-file" / "assets"))  # no folder can be made
    monkeypatch.setattr(hub, "_silent", {})
    with local_hubs({}) as urls:
        at(monkeypatch, urls["refused"])
        with pytest.raises(HubUnreachableError, match="ConnectionRefusedError"):
            hub_file("me/ser", "scores.json")
        assert hub.hub_unreachable().endswith("did not answer (ConnectionRefusedError: [Errno 111] Connection refused)")
        monkeypatch.setattr(hub, "_silent", {})
        assert hub.hub_unreachable() is None  # not remembered across processes, and nothing failed


def _self_signed(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 signed by itself, and its key: files in ``folder``, made by the
    ``cryptography`` package, else the ``openssl`` command; the test is skipped without either."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl command is here to make a certificate")
        command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], capture_output=True, check=True)
        return str(cert), str(key)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    built = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
    built = built.serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
    built = built.not_valid_after(now + datetime.timedelta(days=1)).sign(private, hashes.SHA256())
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    plain = serialization.NoEncryption()
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, plain))
    return str(cert), str(key)


@pytest.fixture
def tls(monkeypatch, tmp_path):
    """A stand-in Hub on https whose certificate this machine does not trust (a proxy's own, as it were),
    and the connections it accepted; nothing remembered of any Hub before, a 1 s timeout."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    accepted = []

    def handshake(conn):
        accepted.append(conn)
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (OSError, ssl.SSLError):  # the client refuses the certificate: expected
            conn.close()

    with listening(handshake) as port:
        endpoint = f"https://127.0.0.1:{port}"
        monkeypatch.setattr(hub, "_silent", {})
        monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 1)
        at(monkeypatch, endpoint)
        yield endpoint, accepted


@pytest.mark.usefixtures("slept")
def test_an_untrusted_certificate_is_remembered_and_said_as_an_ssl_problem_with_its_fix(tls, tmp_path):
    endpoint, accepted = tls
    with pytest.raises(HubUnreachableError) as first:
        hub_file("me/ser", "train_manifest.txt")
    problem = (
        f"the Hub at {endpoint} failed the SSL check (SSLCertVerificationError: [SSL: "
        "CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )
    assert first.value.why.startswith(problem)
    assert first.value.why.endswith(
        "; not in the local cache: if a proxy presents its own certificate, set SSL_CERT_FILE to its CA certificate "
        "file, set HF_HUB_OFFLINE=1 to read only the local cache, or pass a local folder of me/ser"
    )
    assert "cannot reach" not in first.value.why and "unreachable" not in first.value.why
    assert len(accepted) == 1

    with pytest.raises(HubUnreachableError) as second:
        hub_file("me/ser", "scores.json")
    assert len(accepted) == 1  # was 2: each look-up tried the handshake again
    assert second.value.why == first.value.why
    assert hub.hub_unreachable().startswith(problem)
    assert hub.hub_unreachable().endswith(
        ": if a proxy presents its own certificate, set SSL_CERT_FILE to its CA certificate file, or set "
        "HF_HUB_OFFLINE=1 to read only the local cache"
    )
    assert hub.download_kwargs("me/x") == {"local_files_only": True}

    home = tmp_path / "home"
    fresh_process(endpoint, home)
    again = fresh_process(endpoint, home)  # a second process: the first's marker, no handshake
    assert len(accepted) == 2
    assert again["why"].startswith(f"the Hub at {endpoint} failed the SSL check less than a minute ago")
    assert "so only the local cache is read for now: if a proxy" in again["unreachable"]


@pytest.mark.usefixtures("slept")
def test_a_process_started_with_the_fix_it_was_given_asks_the_hub_again(tls, tmp_path):
    """The marker of a failed SSL check told the next process, started with SSL_CERT_FILE set as the message
    said, that the Hub 'failed the SSL check less than a minute ago: ... set SSL_CERT_FILE', for a minute,
    without asking: the fix seemed not to work.  A marker is the endpoint's and the route's (the proxy, the
    certificates trusted), so that process asks again; one started as the first was still does not."""
    endpoint, accepted = tls
    home, cert = tmp_path / "home", str(tmp_path / "cert.pem")  # the fixture's certificate: the proxy's CA, as it were
    fresh_process(endpoint, home)
    assert len(accepted) == 1
    fresh_process(endpoint, home, SSL_CERT_FILE=cert)
    assert len(accepted) == 2  # was 1: the first process's marker stood for it
    again = fresh_process(endpoint, home)
    assert len(accepted) == 2 and "failed the SSL check less than a minute ago" in again["why"]
    proxied = fresh_process(endpoint, home, HTTPS_PROXY="http://127.0.0.1:9")  # another route: a proxy (refused here)
    assert "less than a minute ago" not in proxied["why"], proxied["why"]


@pytest.mark.usefixtures("slept")
def test_a_marker_is_this_machines_not_another_nodes_sharing_hf_home(monkeypatch):
    """An HF_HOME shared by a cluster's nodes (a home folder on NFS): a compute node behind a firewall left its
    marker, and a login node with network, within the minute, read only its cache ('did not answer a look-up
    less than a minute ago'), as if it had no network either.  The marker is this machine's."""
    from conftest import local_hubs

    monkeypatch.setattr(hub, "_silent", {})
    with local_hubs({}) as urls:
        at(monkeypatch, urls["refused"])
        with pytest.raises(HubUnreachableError, match="ConnectionRefusedError"):
            hub_file("me/ser", "scores.json")  # on this node
        monkeypatch.setattr(hub, "_silent", {})  # a fresh process: on this node it reads the marker
        assert "less than a minute ago" in hub.hub_unreachable()
        monkeypatch.setattr(socket, "gethostname", lambda: "login-node")  # another node, the same HF_HOME
        assert hub.hub_unreachable() is None  # was: the compute node's marker


@pytest.mark.usefixtures("slept")
def test_a_failed_ssl_check_is_not_called_unreachable_by_the_callers(tls, tmp_path, monkeypatch):
    """Each caller wrapped the Hub's reason in words of its own: "could not reach the Hub to read
    prepare.json of the dataset me/ds: the Hub at ... failed the SSL check ...", "the Hugging Face Hub cannot
    be reached (the Hub at ... failed the SSL check ...)": a Hub that was reached and whose certificate was
    not trusted.  They now take the words from bimotion.hub (could_not_read, hub_unusable): read, not reach."""
    from bimotion.data.layout import recorded_info
    from bimotion.predict.audio import PredictError
    from bimotion.predict.model import load_predictor
    from bimotion.training.data_checks import check_dataset
    from bimotion.training.outputs import training_manifest
    from bimotion.training.parsing import ArgumentError

    endpoint, _ = tls
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.chdir(tmp_path)  # where the ids are no local paths
    failed = f"the Hub at {endpoint} failed the SSL check (SSLCertVerificationError: "
    with pytest.raises(HubUnreachableError) as record:
        recorded_info("me/ds")
    assert str(record.value).startswith(f"could not read prepare.json of the dataset me/ds from the Hub: {failed}")
    with pytest.raises(HubUnreachableError) as manifest:
        training_manifest("me/ser")
    assert str(manifest.value).startswith(f"could not read train_manifest.txt of me/ser from the Hub: {failed}")
    with pytest.raises(PredictError) as model:
        load_predictor("me/ser", progress=False)
    assert f"no such folder here, and the Hugging Face Hub cannot be used here ({failed}" in str(model.value)
    with pytest.raises(ArgumentError) as checked:  # the recipes' check of --bimotion
        check_dataset("me/ds", "--bimotion", "bimotion")
    said = str(checked.value)
    assert said.startswith(
        f"--bimotion me/ds: no such folder here, and the Hugging Face Hub cannot be used here ({failed}"
    )
    for message in (str(record.value), str(manifest.value), str(model.value), said):
        assert "reach" not in message and "SSL_CERT_FILE" in message, message


@pytest.mark.usefixtures("slept")
def test_advise_says_a_hub_dataset_it_could_not_read_was_not_read_not_that_it_does_not_exist(
    tls, tmp_path, monkeypatch, capsys
):
    """advise --bimotion me/ds where the Hub failed the SSL check (nothing cached) said "--bimotion me/ds does not
    exist, so its groups cannot be read: prepare it, ...": it may well exist.  It now says its prepare.json
    could not be read from the Hub, why and the fix, and to list the groups; nothing is written."""
    from bimotion.cli import main

    endpoint, _ = tls
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.chdir(tmp_path)  # where the id is no local path
    assert main(["advise", "--target", "zho_eld", "--bimotion", "me/ds", "-o", str(tmp_path / "out")]) == 2
    said = capsys.readouterr().err
    assert said.startswith(
        "error: --bimotion me/ds: no such folder here, and could not read prepare.json of the dataset me/ds from the Hub: the Hub at "
        f"{endpoint} failed the SSL check (SSLCertVerificationError: "
    ), said
    assert said.endswith(
        "; so its groups cannot be read: list the groups to draw from (--groups, or groups: in the config)\n"
    )
    assert "does not exist" not in said and "reach" not in said and "SSL_CERT_FILE" in said
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("slept")
def test_a_process_started_with_a_longer_timeout_asks_the_hub_again(silent, tmp_path):  # noqa: F811
    """A Hub that did not answer within HF_HUB_ETAG_TIMEOUT=1 left its marker, and a process started with a
    longer timeout (the slow Hub's fix) was told for a minute, without asking, that it did not answer: the
    fix seemed not to work.  The marker is the timeout's too, so that process asks again; one started with
    the first one's timeout still does not."""
    endpoint, asked = silent
    home = tmp_path / "home"
    fresh_process(endpoint, home)
    assert len(heads(asked)) == 1
    longer = fresh_process(endpoint, home, HF_HUB_ETAG_TIMEOUT="2")
    assert len(heads(asked)) == 2, longer  # was 1: the first process's marker stood for it
    assert "less than a minute ago" not in longer["why"]
    again = fresh_process(endpoint, home)
    assert len(heads(asked)) == 2 and "less than a minute ago" in again["why"]


def test_a_look_up_begun_before_another_process_got_an_answer_leaves_no_marker_read(monkeypatch, tmp_path):
    """Two processes ask the Hub at once: one gets its answer and removes the marker; the other's look-up, begun
    before that answer, times out after it and writes its marker, which told every process of the machine for a
    minute that the Hub did not answer though it had just answered.  A marker says when its look-up began, an
    answer is recorded with its time, and a marker of a look-up begun before the last answer is not read; one
    begun after it still is."""
    import time

    endpoint = "http://127.0.0.1:9"
    monkeypatch.setattr(constants, "HF_ASSETS_CACHE", str(tmp_path / "assets"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "_silent", {})
    at(monkeypatch, endpoint)
    began = time.time() - 1  # the slow process's look-up
    hub.forget_unanswered(endpoint)  # the other process got its answer
    hub_marker.write_marker(endpoint, "TimeoutError: timed out", tls=False, asked_unix_s=began)  # then it timed out
    assert hub_marker.marker_path(endpoint).is_file()
    assert hub._unanswered() is None  # was the slow process's marker, for a minute
    hub_marker.write_marker(endpoint, "TimeoutError: timed out", tls=False)  # a look-up begun after the answer
    assert str(hub._unanswered()) == "TimeoutError: timed out"
