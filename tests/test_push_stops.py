"""A stop and ``--push_to_hub``'s upload of the trained model (Slurm's time limit: SIGTERM, then SIGKILL once its
grace period, ``KillWait``, 30 s by default, is over).  The upload ran where SIGTERM only sets a flag (training's
``stop_at_safe_points``): a SIGTERM as the outputs were written still created the repository and sent the commit,
exit 0 ("the run finished all the same; nothing to rerun"), and one during the upload waited for its end (a
multi-GB upload outlasts ``KillWait``: SIGKILL mid-upload, no closing line).  A stop before the upload is taken
before it, one during it stops it: exit 143, the model saved in OUT, not uploaded, and the command that uploads it."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, FakeHub
from test_signals import _lose_a_stop_in_a_finalizer

from bimotion.training import testing
from bimotion.training.outputs import SCORES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")

URL = "https://huggingface.co/me/ser"


def _run(tmp_path: Path, capsys, **overrides) -> tuple[int, Path, list[str]]:
    """``train_and_report`` of a 2-step run pushing to ``me/ser``: its exit code, output folder and stderr's lines."""
    from bimotion.training.run import train_and_report
    from bimotion.training.spec import TrainSpec

    data = testing.write_prepared(
        tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8, "validation": 2, "test": 2}
    )
    out = tmp_path / "out"
    values = {"model_name_or_path": str(testing.save_tiny_model(tmp_path / "tiny")), "classifier_proj_size": 16,
              "bimotion": str(data), "dataset_cache_dir": str(tmp_path / "cache"), "output_dir": str(out),
              "max_steps": 2, "per_device_train_batch_size": 4, "max_duration_s": 0.5, "disable_tqdm": True,
              "report_to": "none", "dataloader_pin_memory": False, "use_cpu": True,
              "push_to_hub": True, "hub_model_id": "me/ser", "hub_token": "hf_x", **overrides}  # fmt: skip
    code = train_and_report(TrainSpec.from_values(["zho_eld"], values, run_name="r"))
    return code, out, capsys.readouterr().err.strip().splitlines()


def _saved_whole(out: Path) -> None:
    names = {p.name for p in out.iterdir()}
    assert {SCORES, "README.md", "model.safetensors", "config.json"} <= names, names


def _pushed_later(out: Path, hub: list) -> None:
    """The closing line's command uploads the model: ``bimotion push OUT --repo-id me/ser``."""
    from bimotion.cli import main

    assert main(["push", str(out), "--repo-id", "me/ser", "--token", "hf_x"]) == 0
    assert [name for name, _ in hub].count("create_commit") == 1
    assert "model.safetensors" in FakeHub.repos["me/ser"]


@pytest.mark.parametrize(
    "stop", ["SIGTERM as the outputs are written", "SIGTERM as the last safe point passes", "Ctrl-C lost as written"]
)
def test_a_stop_before_the_upload_uploads_nothing_and_gives_the_push_command(monkeypatch, tmp_path, capsys, hub, stop):
    """A SIGTERM as ``scores.json`` and the card are written (as the reviewer sent it: from a finalizer), one just
    after the launch agreed on none (at the end of training's safe-points block), or a Ctrl-C a finalizer swallowed
    then: the repository was created and the commit sent, exit 0 with "SIGTERM came as the run ended: the run
    finished all the same; nothing to rerun" (the Ctrl-C: 130, "rerun the same command to continue from ...", a
    command that would train again).  Now nothing goes to the Hub, exit 143 (130), and the last line says the model
    is saved, not uploaded, and gives the command that uploads it, which does."""
    from bimotion.training import run as training_run

    name = "stop_before_upload" if "last safe point" in stop else "write_outputs"
    original = getattr(training_run, name)

    def stopping(*args, **kwargs):
        result = original(*args, **kwargs)
        if stop.startswith("Ctrl-C"):
            assert _lose_a_stop_in_a_finalizer(monkeypatch, signal.SIGINT) == [KeyboardInterrupt]
        elif "written" in stop:
            assert _lose_a_stop_in_a_finalizer(monkeypatch, signal.SIGTERM) == []  # a flag: nothing raised
        else:
            os.kill(os.getpid(), signal.SIGTERM)
        return result

    monkeypatch.setattr(training_run, name, stopping)
    code, out, err = _run(tmp_path, capsys)
    word, expected = ("interrupted", 130) if stop.startswith("Ctrl-C") else ("terminated", 143)
    assert code == expected, err[-5:]
    assert hub == []  # no repository created, nothing sent
    assert err[-1] == (
        f"{word}: the model is trained, scored and saved in {out} (with {SCORES} and its card); nothing was "
        f"uploaded to {URL}; upload it with `bimotion push {out} --repo-id me/ser`"
    ), err[-5:]
    _saved_whole(out)
    assert not list(out.glob("checkpoint-*/saved_at_stop*"))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    _pushed_later(out, hub)


def test_a_sigterm_during_the_upload_stops_it_and_gives_the_push_command(monkeypatch, tmp_path, capsys, hub):
    """A SIGTERM as the model's files are sent waited for the upload's end, then exit 0 with "SIGTERM came as the
    run ended: the run finished all the same" (a multi-GB upload outlasted Slurm's grace period: SIGKILL mid-upload,
    no closing line).  Now it stops the upload at once: no commit made, exit 143, and the last line says the upload
    was cut short, the repository holds none of the files, and gives the command that uploads them."""
    original, went_on = FakeHub.create_commit, []

    def signalled(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # Slurm's SIGTERM as the model's files are sent
        went_on.append(True)  # a Python line after it: its handler has run by now
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FakeHub, "create_commit", signalled)
    code, out, err = _run(tmp_path, capsys)
    assert code == 143, err[-5:]
    assert went_on == [] and [name for name, _ in hub] == ["init", "create_repo"]  # the commit never made
    assert FakeHub.repos["me/ser"] == {".gitattributes": b"*.parquet filter=lfs\n"}
    assert err[-1] == (
        f"terminated: the model is trained, scored and saved in {out} (with {SCORES} and its card); its upload to "
        f"{URL} was cut short before the Hub made its commit, so the repository holds none of its files (it may "
        f"have been created, empty); upload it with `bimotion push {out} --repo-id me/ser`"
    ), err[-5:]
    _saved_whole(out)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    monkeypatch.setattr(FakeHub, "create_commit", original)
    _pushed_later(out, hub)


def test_a_stop_with_a_dry_run_still_lists_the_upload_and_finishes(monkeypatch, tmp_path, capsys, hub):
    """``--push_dry_run`` sends nothing and takes no time: a SIGTERM as the outputs are written lets it list what
    would be uploaded and finish, as a run without an upload does (exit 0, "... came as the run ended")."""
    from bimotion.training import run as training_run

    original = training_run.write_outputs

    def signalled(*args, **kwargs):
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return result

    monkeypatch.setattr(training_run, "write_outputs", signalled)
    code, _, err = _run(tmp_path, capsys, push_dry_run=True)
    assert code == 0, err[-5:]
    assert "SIGTERM came as the run ended: the run finished all the same; nothing to rerun" in err, err[-5:]
    assert hub == []


LAUNCHED = textwrap.dedent(
    """
    import json, os, runpy, signal, sys
    from pathlib import Path
    import huggingface_hub
    from bimotion.training import run

    recipe, events = sys.argv[1], Path(sys.argv[2])
    sys.argv = [recipe, *sys.argv[3:]]
    rank = os.environ["RANK"]

    class Hub:  # stands in for the Hub: each call this process made, a line
        def __init__(self, token=None, **kwargs):
            pass

        def __getattr__(self, name):
            def call(*args, **kwargs):
                with open(events / f"hub{rank}.txt", "a") as f:
                    f.write(name + "\\n")
                return {"name": "someone"}
            return call

    huggingface_hub.HfApi = Hub
    summarised = run.public_summary

    def signalled(*args, **kwargs):  # Slurm's SIGTERM to rank 1 alone, as the run's outputs are written
        if rank == "1":
            os.kill(os.getpid(), signal.SIGTERM)
        return summarised(*args, **kwargs)

    run.public_summary = signalled
    try:
        runpy.run_path(recipe, run_name="__main__")
        code = 0
    except SystemExit as err:
        code = err.code
    (events / f"exit{rank}.txt").write_text(str(code))
    sys.exit(code)
    """
)


@pytest.mark.slow  # a launch of 2 processes: ~45 s on 2 shared cores
def test_a_sigterm_to_one_launched_worker_before_the_upload_stops_every_worker_uploading_nothing(tmp_path):
    """The main process uploads alone; a SIGTERM that only another process of the launch got as the outputs were
    written was pending there (that process exited 0), and the main process uploaded.  The launch agrees on it
    before the upload (one all-reduce): every process exits 143, none waits for another, nothing is sent, and the
    main process's last line gives the command that uploads the model."""
    import subprocess

    from bimotion.training.testing import cpu_launch, subprocess_env

    tiny = testing.save_tiny_model(tmp_path / "tiny")
    data = tmp_path / "bimotion"
    testing.write_prepared(data, shards=[("csed", "zho_eld")], sizes={"train": 8, "validation": 2, "test": 2})
    out, script, events = tmp_path / "out", tmp_path / "launched.py", tmp_path / "events"
    script.write_text(LAUNCHED)
    events.mkdir()
    args = ["--model_name_or_path", tiny, "--bimotion", data, "--output_dir", out, "--train_configs", "zho_eld"]
    args += ["--dataset_cache_dir", tmp_path / "cache", "--classifier_proj_size", "16", "--max_duration_s", "0.5"]
    args += "--per_device_train_batch_size 2 --max_steps 2 --save_strategy no --load_best_model_at_end false".split()
    args += "--eval_strategy no --disable_tqdm true --report_to none".split()
    args += "--push_to_hub --hub_model_id me/ser --hub_token hf_x".split()
    done = subprocess.run(
        cpu_launch(script, REPO / "recipes" / "train.py", events, *map(str, args)),
        env=subprocess_env(HF_HUB_OFFLINE="0", HF_ENDPOINT="http://127.0.0.1:9"),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    codes = {r: (events / f"exit{r}.txt").read_text() for r in (0, 1) if (events / f"exit{r}.txt").exists()}
    assert codes == {0: "143", 1: "143"}, done.stderr[-3000:]
    calls = {r: (events / f"hub{r}.txt").read_text().split() for r in (0, 1) if (events / f"hub{r}.txt").exists()}
    assert "create_repo" not in calls.get(0, []) and "create_commit" not in calls.get(0, []), calls
    said = [line for line in done.stderr.splitlines() if line.startswith("terminated:")]
    assert said == [
        f"terminated: the model is trained, scored and saved in {out} (with {SCORES} and its card); nothing was "
        f"uploaded to {URL}; upload it with `bimotion push {out} --repo-id me/ser`"
    ], done.stderr[-3000:]
    assert (out / SCORES).is_file()


def test_a_sigterm_stops_an_upload_that_the_hub_holds(tmp_path, monkeypatch):
    """A real upload waiting on the network: a Hub that holds the request open, which ``huggingface_hub`` waits
    for with no time limit (over 120 s measured).  Where the upload now runs (after training's safe-points block,
    SIGTERM raising), a SIGTERM ends that wait within seconds, saying the upload was cut short."""
    import threading
    import time

    import huggingface_hub
    from conftest import socket_hub

    from bimotion.signals import Terminated, terminate_as_interrupt
    from bimotion.training.summary import publish_model
    from bimotion.training.training_args import SERTrainingArguments

    out = tmp_path / "out"
    out.mkdir()
    (out / "config.json").write_text("{}")
    args = SERTrainingArguments(output_dir=str(out), hub_model_id="me/ser", hub_token="hf_x", use_cpu=True)
    with socket_hub("silent") as (endpoint, asked):
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", endpoint)

        def signal_once_asked():  # Slurm's SIGTERM once the upload's first request waits on the Hub
            deadline = time.monotonic() + 60
            while not asked and time.monotonic() < deadline:
                time.sleep(0.01)
            if asked:
                os.kill(os.getpid(), signal.SIGTERM)

        start = time.monotonic()
        with terminate_as_interrupt(), pytest.raises(Terminated) as stop:
            threading.Thread(target=signal_once_asked, daemon=True).start()
            publish_model(out, args, dry_run=False)
        took = time.monotonic() - start
    assert len(asked) == 1, asked  # the upload's first request (whichever huggingface_hub sends), never answered
    assert took < 10, took  # 0.07 s measured: the SIGTERM came as the request was held; the Hub never answered
    assert f"its upload to {URL} was cut short" in stop.value.not_uploaded, stop.value.not_uploaded
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
