"""``bimotion push`` and ``--push_to_hub`` waited for ever on a Hub endpoint that accepts the connection and never
answers (``huggingface_hub``'s client has no timeout, and its ``whoami``, ``create_repo``, ``list_repo_files`` and
``create_commit`` set none): push's check was still waiting after 90 s, an upload after 60 s, until a Ctrl-C.  Now
every such request waits at most ``BIMOTION_HUB_TIMEOUT_S`` seconds with nothing moving
(:mod:`bimotion.hub_timeouts`), then fails with one line naming the endpoint, the wait and the setting; a transfer
that keeps moving is never cut short, whatever its whole time, and Ctrl-C still stops the wait.  For real, without
network: stand-in Hubs on raw sockets (``conftest.listening``), with a wait of a second or less."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest
from conftest import listening, socket_hub
from huggingface_hub import constants
from test_hub_asked_once import slept  # noqa: F401 (the fixture)
from test_hub_silent import FIX as LOOK_UP_FIX
from test_hub_silent import STALLED, heads, silent  # noqa: F401 (the fixture)
from test_hub_unreachable_records import at
from test_push_hub_wording import prepared, push_error  # noqa: F401 (prepared: the fixture)

from bimotion import hub
from bimotion.hub import HubError, HubUnreachableError, hub_file
from bimotion.hub_upload import check_push, publish

FIX = "check the network or proxy; if the Hub is only slow, set BIMOTION_HUB_TIMEOUT_S above {t} (the seconds a "
FIX += "request may wait with nothing moving; a transfer that keeps moving is never cut short)"


def stand_in(answers: dict[str, bytes], asked: list[str], trickle_s: float = 0.0):
    """A Hub on this machine (``with ... as port``) answering a request whose path starts with a key of ``answers``
    with HTTP 200 and that JSON body (each byte ``trickle_s`` after the last: slow, but moving), and holding any
    other request open, never answered; each request line appended to ``asked``."""

    def serve(conn):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(65536) or b"\r\n\r\n"
            line = head.split(b"\r\n", 1)[0].decode()
            asked.append(line)
            body = next((a for path, a in answers.items() if line.split()[1].startswith(path)), None)
            if body is None:
                threading.Event().wait(3600)  # held open (not time.sleep: `slept` skips it): ends with the run
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
            for byte in [body[i : i + 1] for i in range(len(body))] if trickle_s else [body]:
                time.sleep(trickle_s)
                conn.sendall(byte)
            conn.close()
        except OSError:  # closed by the client
            return

    return listening(serve)


@pytest.mark.usefixtures("slept")  # HF_HUB_OFFLINE unset
def test_push_to_a_silent_hub_ends_with_one_line_naming_it_the_wait_and_the_setting(prepared, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setenv("BIMOTION_HUB_TIMEOUT_S", "1")
    with socket_hub("silent") as (endpoint, asked):
        at(monkeypatch, endpoint)
        start = time.monotonic()
        line = push_error(prepared, capsys)
        took = time.monotonic() - start
    assert line == (
        f"error: the Hub at {endpoint} did not answer: it sent nothing for 1 s after the request (ReadTimeout); "
        + FIX.format(t=1)
    ), line
    assert "GET /api/whoami-v2 HTTP/1.1" in asked, asked  # push's check, before any work: it waited for ever
    assert took < 15, took  # 1 s, and huggingface_hub's own look-up of its agent registry (3 s, its own timeout)


def test_an_upload_the_hub_stops_answering_mid_way_ends_saying_so_and_how_long_it_tried(prepared, slept, monkeypatch):  # noqa: F811
    """huggingface_hub tries list_repo_files (and preupload, the LFS batch) 5 more times after a timeout, 1-8 s
    apart: the error said "sent nothing for 0.5 s" after 6 tries; it now says how many and how long in all."""
    monkeypatch.setenv("BIMOTION_HUB_TIMEOUT_S", "0.5")
    asked: list[str] = []
    with stand_in({"/api/repos/create": b'{"url": "https://huggingface.co/me/x"}'}, asked) as port:
        endpoint = f"http://127.0.0.1:{port}"
        at(monkeypatch, endpoint)
        start = time.monotonic()
        with pytest.raises(HubError) as failed:
            publish(prepared, "me/x", token="hf_not_a_real_token", replace="data/*.parquet")
        took = time.monotonic() - start
    said = str(failed.value)
    in_all = re.search(r"the last of 6 tries over ([0-9.]+) s\)", said)
    assert said == (
        f"uploading {prepared} to me/x failed (the Hub at {endpoint} did not answer: it sent nothing for 0.5 s after "
        f"the request (ReadTimeout, the last of 6 tries over {in_all and in_all[1]} s); {FIX.format(t=0.5)}); the "
        "folder is complete: upload it again"
    ), said  # was "(ReadTimeout)": huggingface_hub tried 5 more times, up to 6x the wait and 23 s of pauses more
    # its pauses not slept here; said to a tenth of a second (3.085 s in all: 'over 3.1 s')
    assert 6 * 0.5 <= float(in_all[1]) < took + 0.05, (in_all[1], took)
    paths = [line.split()[1].split("?")[0] for line in asked if "agent-harnesses" not in line]
    # the repository's files (list_repo_files): held, and ended, each of its 6 tries
    assert paths == ["/api/repos/create"] + ["/api/models/me/x/tree/main"] * 6, asked
    assert slept == [1, 2, 4, 8, 8], slept  # the pauses huggingface_hub asked for between them


@pytest.mark.usefixtures("slept")
def test_an_answer_that_keeps_coming_is_never_cut_short_however_long_it_takes(monkeypatch):
    """The wait is for the next byte, not for the whole answer: one trickling in over ~3 s, a byte every 0.25 s,
    passes push's check with a wait of 1 s."""
    monkeypatch.setenv("BIMOTION_HUB_TIMEOUT_S", "1")
    asked: list[str] = []
    with stand_in({"/api/whoami-v2": b'{"name": "someone"}'}, asked, trickle_s=0.25) as port:
        at(monkeypatch, f"http://127.0.0.1:{port}")
        start = time.monotonic()
        check_push("me/x", token="hf_not_a_real_token")
        took = time.monotonic() - start
    assert "GET /api/whoami-v2 HTTP/1.1" in asked and took > 3, (asked, took)


@pytest.mark.usefixtures("slept")
def test_ctrl_c_stops_the_wait_for_a_hub_that_never_answers(prepared, monkeypatch):  # noqa: F811
    monkeypatch.setenv("BIMOTION_HUB_TIMEOUT_S", "600")
    with socket_hub("silent") as (endpoint, asked):
        at(monkeypatch, endpoint)

        def ctrl_c_once_asked():
            deadline = time.monotonic() + 60
            while not any("/api/repos/create" in line for line in asked) and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGINT)

        start = time.monotonic()
        threading.Thread(target=ctrl_c_once_asked, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            publish(prepared, "me/x", token="hf_not_a_real_token")
        took = time.monotonic() - start
    assert any("/api/repos/create" in line for line in asked) and took < 15, (asked, took)


@pytest.mark.usefixtures("slept")
@pytest.mark.parametrize("value", ["abc", "0", "-5", "inf"])
def test_a_wait_not_in_seconds_is_one_line_before_anything_is_sent(value, prepared, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setenv("BIMOTION_HUB_TIMEOUT_S", value)
    with socket_hub("silent") as (endpoint, asked):
        at(monkeypatch, endpoint)
        line = push_error(prepared, capsys)
    assert line == (
        f"error: BIMOTION_HUB_TIMEOUT_S={value!r} is not a number of seconds: set it to how long a request to the Hub "
        "may wait with nothing moving, such as 60, or unset it"
    ), line
    assert not [a for a in asked if "whoami" in a], asked


@pytest.mark.usefixtures("slept")
def test_a_downloads_look_up_that_times_out_names_hf_hub_etag_timeout(silent):  # noqa: F811
    """A file of a Hub model or dataset (hub_file: a Hub dataset's prepare.json as load_source reads it) and
    from_pretrained of a Hub id said "cannot reach the Hub at X, TimeoutError: timed out" and "the Hub at X did not
    answer (TimeoutError: timed out)", naming no setting: the look-up's own wait is HF_HUB_ETAG_TIMEOUT."""
    from bimotion.predict.audio import PredictError
    from bimotion.predict.model import load_predictor

    endpoint, asked = silent
    with pytest.raises(HubUnreachableError) as failed:
        hub_file("me/ser", "train_manifest.txt")
    said, fix = STALLED.format(endpoint=endpoint, t=1), LOOK_UP_FIX.format(t=1)
    assert str(failed.value) == (
        f"train_manifest.txt of me/ser could not be fetched ({said}; not in the local cache: {fix}, set "
        "HF_HUB_OFFLINE=1 to read only the local cache, or pass a local folder of me/ser)"
    ), failed.value
    with pytest.raises(PredictError) as loading:  # not asked again: remembered, and said alike
        load_predictor("me/ser", progress=False)
    assert f"the Hugging Face Hub cannot be reached ({said}; {fix}) and it cannot" in str(loading.value), loading.value
    assert len(heads(asked)) == 1, asked


def transfer_fails(
    monkeypatch, answer_get, fetch=None, error=HubUnreachableError, *, resolved=True, asked=None
) -> tuple[str, list[str], str]:
    """The ``error`` of ``fetch()`` (``hub_file("me/ser", "train_manifest.txt")``), the GETs of files, and the endpoint
    of a stand-in Hub answering every look-up (HEAD: a file of 5 bytes) on a connection kept alive and each GET of a
    file as ``answer_get(conn, its number from 1)`` does (sending nothing: never answered), the model me/ser's
    information (its commit, which a model's load asks first: ``bimotion.hub_models.model_kwargs``), any other
    request never, with HF_HUB_DOWNLOAD_TIMEOUT=1 (and BIMOTION_HUB_TIMEOUT_S=1, for the others).  ``resolved=False``:
    the model's information never answered either; ``asked``: the list every request line is appended to."""
    monkeypatch.setenv("BIMOTION_HUB_TIMEOUT_S", "1")
    monkeypatch.setattr(hub, "_silent", {})
    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", 1)
    asked = [] if asked is None else asked

    def serve(conn):
        try:
            while True:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += conn.recv(65536) or b"\r\n\r\n"
                asked.append(head.split(b"\r\n", 1)[0].decode())
                if resolved and asked[-1].startswith("GET /api/models/me/ser"):
                    info = b'{"id": "me/ser", "sha": "%s"}' % (b"0" * 40)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(info), info))
                    continue
                if not asked[-1].startswith("HEAD "):
                    if _a_file(asked[-1]):
                        answer_get(conn, len([line for line in asked if _a_file(line)]))
                    threading.Event().wait(3600)  # held open, never answered further
                commit = b"X-Repo-Commit: " + b"0" * 40
                conn.sendall(b'HTTP/1.1 200 OK\r\nETag: "e"\r\n' + commit + b"\r\nContent-Length: 5\r\n\r\n")
        except OSError:  # closed by the client
            return

    with listening(serve) as port:
        endpoint = f"http://127.0.0.1:{port}"
        at(monkeypatch, endpoint)
        with pytest.raises(error) as failed:
            (fetch or (lambda: hub_file("me/ser", "train_manifest.txt")))()
    return str(failed.value), [line for line in asked if _a_file(line)], endpoint


def _a_file(request_line: str) -> bool:
    return request_line.startswith("GET /") and "/resolve/" in request_line  # a model's or a dataset's


TRANSFER_FIX = "check the network or proxy; if the Hub is only slow, set HF_HUB_DOWNLOAD_TIMEOUT above 1 (the seconds "
TRANSFER_FIX += "a download may wait with nothing moving)"


def stalled_model(said: str, gets: list[str], endpoint: str) -> str:
    """What a load of the model me/ser (``bimotion predict``'s, fine-tuning's, the probe's) says of a Hub at
    ``endpoint`` whose transfer of it stalled at each of its ``gets`` (the time in all as ``said`` gives it)."""
    in_all = re.search(rf"the last of {len(gets)} tries over ([0-9.]+) s\)", said)
    return (
        f"cannot load model me/ser: no such folder here, and the Hub at {endpoint} did not answer a download's "
        f"transfer: it sent nothing for 1 s after the request (ReadTimeout, the last of {len(gets)} tries over "
        f"{in_all and in_all[1]} s); not in the local cache: {TRANSFER_FIX}, set HF_HUB_OFFLINE=1 to read only the "
        "local cache, or pass a local folder of me/ser"
    )


@pytest.mark.usefixtures("slept")
def test_a_downloads_transfer_that_stops_names_hf_hub_download_timeout_and_its_tries(monkeypatch):
    """The Hub answers the look-up, then sends nothing of the file: huggingface_hub's own wait for it,
    HF_HUB_DOWNLOAD_TIMEOUT, tried 6 times, was said as "cannot reach the Hub at X, TimeoutError: timed out"."""
    said, gets, endpoint = transfer_fails(monkeypatch, lambda conn, n: None)
    in_all = re.search(rf"the last of {len(gets)} tries over ([0-9.]+) s\)", said)
    assert said == (
        f"train_manifest.txt of me/ser could not be fetched (the Hub at {endpoint} did not answer a download's "
        f"transfer: it sent nothing for 1 s after the request (ReadTimeout, the last of {len(gets)} tries over "
        f"{in_all and in_all[1]} s); not in the local cache: {TRANSFER_FIX}, set HF_HUB_OFFLINE=1 to read only the "
        "local cache, or pass a local folder of me/ser)"
    ), (said, gets)
    assert len(gets) > 1 and float(in_all[1]) >= len(gets) - 0.5, (said, gets)  # 1 s each, pauses not slept


@pytest.mark.usefixtures("slept")
def test_a_transfer_that_stalls_resumes_and_stalls_again_counts_every_try(monkeypatch):
    """A download's second try received a byte, then stalled, as did every try after it: huggingface_hub gave it 5
    more tries (its count set back to 5 by the byte), 7 GETs in all, and the error said "the last of 6 tries": the
    tries were counted from that count, not from the download's calls.  Every GET is now counted."""

    def answer(conn, n):
        if n == 2:  # the file's first byte, then nothing more
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\na")

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1)  # a byte taken as it comes (10 MB at a time: a big file's)
    said, gets, endpoint = transfer_fails(monkeypatch, answer)
    assert len(gets) == 7, gets  # the first, the one that resumed, and 5 more
    in_all = re.search(r"the last of (\d+) tries over ([0-9.]+) s\)", said)
    assert in_all and in_all[1] == "7", said  # was 6
    assert said == (
        f"train_manifest.txt of me/ser could not be fetched (the Hub at {endpoint} did not answer a download's "
        f"transfer: it sent nothing for 1 s after the request (ReadTimeout, the last of 7 tries over {in_all[2]} s); "
        f"not in the local cache: {TRANSFER_FIX}, set HF_HUB_OFFLINE=1 to read only the local cache, or pass a local "
        "folder of me/ser)"
    ), said
    assert float(in_all[2]) >= 7 - 0.5, said  # 1 s each, pauses not slept


@pytest.mark.usefixtures("slept")
def test_a_model_whose_download_stalls_is_said_as_every_hub_failure_by_predict(monkeypatch):
    """The Hub answers the model's look-up, then sends nothing of its files: ``bimotion predict --model me/ser``
    said transformers' words, "the Hugging Face Hub cannot be reached or has no such model (Can't load the
    configuration of 'me/ser'. If you were trying to load it from 'https://huggingface.co/models', ...)", naming no
    setting; it is bimotion.hub's one wording of it, the setting and the way to use the cache alone."""
    from bimotion.predict.audio import PredictError
    from bimotion.predict.model import load_predictor

    said, gets, endpoint = transfer_fails(
        monkeypatch, lambda conn, n: None, lambda: load_predictor("me/ser", progress=False), PredictError
    )
    assert said == stalled_model(said, gets, endpoint), (said, gets)
    assert len(gets) > 1, gets


@pytest.mark.usefixtures("slept")
def test_a_hub_dataset_whose_download_stalls_is_said_as_every_hub_failure(monkeypatch):
    """load_source of a Hub dataset id (the recipes' and the grid's data) whose card the Hub never sent said
    datasets' words, "Couldn't reach 'me/ds' on the Hub (ReadTimeout)", naming no setting; it is bimotion.hub's."""
    from bimotion.data.reading import load_source

    said, gets, endpoint = transfer_fails(monkeypatch, lambda conn, n: None, lambda: load_source("me/ds", "eng_eld"))
    in_all = re.search(rf"the last of {len(gets)} tries over ([0-9.]+) s\)", said)
    assert said == (
        f"could not reach the Hub to read config eng_eld of the dataset me/ds: the Hub at {endpoint} did not answer "
        f"a download's transfer: it sent nothing for 1 s after the request (ReadTimeout, the last of {len(gets)} tries "
        f"over {in_all and in_all[1]} s); not in the local cache: {TRANSFER_FIX}, set HF_HUB_OFFLINE=1 to read only "
        "the local cache, or pass a local folder of me/ds"
    ), (said, gets)
    assert gets == ["GET /datasets/me/ds/resolve/main/README.md HTTP/1.1"] * 6, gets  # once, not again by datasets


@pytest.mark.usefixtures("slept")
def test_a_wait_not_in_seconds_is_one_line_where_a_command_asks_the_hub_for_a_model(tmp_path, capsys, monkeypatch):
    """``bimotion predict --model OWNER/NAME`` with the setting mistyped ended in a ValueError traceback, exit 1,
    from the model's look-up (push said it in one line); it is the same one line, exit 2, nothing sent."""
    import numpy as np
    import soundfile

    from bimotion.cli import main

    soundfile.write(tmp_path / "a.wav", np.zeros(16000, dtype=np.float32), 16000)
    monkeypatch.setenv("BIMOTION_HUB_TIMEOUT_S", "abc")
    with socket_hub("silent") as (endpoint, asked):
        at(monkeypatch, endpoint)
        code = main(["predict", "--model", "me/ser", str(tmp_path / "a.wav"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1] == (
        "error: BIMOTION_HUB_TIMEOUT_S='abc' is not a number of seconds: set it to how long a request to the Hub "
        "may wait with nothing moving, such as 60, or unset it"
    ), err
    assert not asked, asked
