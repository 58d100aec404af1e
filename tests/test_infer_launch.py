"""``accelerate launch --num_processes N recipes/infer.py``: every process scored the whole split and only
process 0 wrote, so N processes did the same work N times; then the main process scored alone while the
others waited.  Now each process predicts a share of the batches (:func:`~bimotion.training.inference.predict`,
:func:`~bimotion.training.processes.on_every_process`), the main process scores and writes, the others return
its result; the file is the one a single process writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from conftest import REPO, damage_clip, unprivileged

from bimotion.training import testing
from bimotion.training.testing import cpu_launch, subprocess_env

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from bimotion.training.model import build_model, suppress_untrained

    root = tmp_path_factory.mktemp("infer_launch")
    data = testing.write_prepared(root / "data", shards=[("csed", "zho_eld"), ("esd", "zho_adu")])
    model, fe = build_model(str(testing.save_tiny_model(root / "tiny")), classifier_proj_size=16)
    model.config.trained_labels = ["neutral", "positive", "negative"]
    suppress_untrained(model)
    model.save_pretrained(root / "model")
    fe.save_pretrained(root / "model")
    script = root / "record_infer.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import importlib.util, os, signal, sys
            sys.path.insert(0, {str(REPO / "recipes")!r})
            from bimotion.training import evaluation, inference

            record, rank = os.environ["SCORED_RECORD"], os.environ.get("RANK", "0")
            scoring, grouped = inference.batch_logits, evaluation.score_groups

            def batch_logits(model, batch, *args, **kwargs):  # the clips each process predicts
                with open(os.path.join(record, "scored-by-rank-" + rank), "a") as f:
                    f.write(str(len(batch["input_values"])) + "\\n")
                if rank == os.environ.get("DAMAGED_ON_RANK"):  # its share's first clip
                    from loaders.errors import DamagedFileError

                    raise DamagedFileError("clip csed/0007 of the test set is damaged: prepare it again")
                if rank == os.environ.get("SIGTERM_ON_RANK") and os.environ.get("SIGTERM_IN") == "predicting":
                    os.kill(os.getpid(), signal.SIGTERM)  # as `kill` or a scheduler sends it, as its first batch starts
                return scoring(model, batch, *args, **kwargs)

            def score_groups(*args, **kwargs):  # the main process's scoring, once every clip is predicted
                if rank == os.environ.get("SIGTERM_ON_RANK") and os.environ.get("SIGTERM_IN") == "scoring":
                    os.kill(os.getpid(), signal.SIGTERM)
                if os.environ.get("SIGTERM_IN") == "waiting":  # to process 1, waiting for this one's scores
                    import time

                    with open(os.path.join(record, "pid-of-rank-1")) as f:
                        os.kill(int(f.read()), signal.SIGTERM)
                    time.sleep(2)
                if os.environ.get("SIGTERM_IN") == "ctrl-c":  # a terminal's Ctrl-C: every process, as this one scores
                    with open(os.path.join(record, "pid-of-rank-1")) as f:
                        os.kill(int(f.read()), signal.SIGINT)
                    os.kill(os.getpid(), signal.SIGINT)
                return grouped(*args, **kwargs)

            if rank == "1":
                with open(os.path.join(record, "pid-of-rank-1"), "w") as f:
                    f.write(str(os.getpid()))

            inference.batch_logits, evaluation.score_groups = batch_logits, score_groups
            spec = importlib.util.spec_from_file_location("recipe_infer", {str(REPO / "recipes" / "infer.py")!r})
            recipe = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = recipe
            spec.loader.exec_module(recipe)
            try:
                code = recipe.main(sys.argv[1:])
            except SystemExit as err:
                code = err.code
            with open(os.path.join(record, "exit-of-rank-" + rank), "w") as f:
                f.write(str(code))
            sys.exit(code)
            """
        )
    )
    return {"data": data, "model": root / "model", "script": script}


def _scores(made, tmp_path, name: str, launch: list[str]) -> tuple[dict, dict[str, list[int]]]:
    """The scores file of ``launch``, and the sizes of the batches each process predicted (by its rank)."""
    record = tmp_path / name
    record.mkdir()
    out = tmp_path / f"{name}.json"
    argv = ["--model", made["model"], "--bimotion", made["data"], "--disable_tqdm", "true", "--output_file", out]
    argv += ["--per_device_eval_batch_size", "4"]  # 24 test clips: 6 batches
    run = subprocess.run(
        [*launch, *map(str, argv)], env=subprocess_env(SCORED_RECORD=str(record)), capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    batches = {p.name: [int(n) for n in p.read_text().split()] for p in record.glob("scored-by-*")}
    return json.loads(out.read_text()), dict(sorted(batches.items()))


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_a_launch_of_two_processes_shares_the_batches_and_writes_one_processs_file(made, tmp_path):
    one, scored_one = _scores(made, tmp_path, "one", [sys.executable, str(made["script"])])
    two, scored_two = _scores(made, tmp_path, "two", cpu_launch(made["script"], num_processes=2))
    assert scored_one == {"scored-by-rank-0": [4] * 6}
    # before: {"scored-by-rank-0": [4] * 6}, rank 1 waiting; now three batches each, dealt in turn
    assert scored_two == {"scored-by-rank-0": [4] * 3, "scored-by-rank-1": [4] * 3}
    # the same file but for the command line provenance records (a launch's is accelerate's)
    for scores in (one, two):
        scores["provenance"].pop("command")
    assert two == one


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_a_process_that_fails_at_its_first_batch_stops_the_other_at_its_next_and_is_said_once(made, tmp_path):
    """The processes of a launch agree after each batch: a clip damaged in process 1's share stopped it at its
    first batch, and process 0 learnt of it only once it had predicted its whole share (12 batches of 24, of hours
    on a real test set), and then both said the error.  Now process 0 stops at the end of its batch under way, and
    the main process says the error, once."""
    record = tmp_path / "record"
    record.mkdir()
    argv = ["--model", made["model"], "--bimotion", made["data"], "--disable_tqdm", "true"]
    argv += ["--output_file", tmp_path / "scores.json", "--per_device_eval_batch_size", "1"]  # 24 batches, 12 each
    launch = cpu_launch(made["script"], *argv, num_processes=2)
    env = subprocess_env(SCORED_RECORD=str(record), DAMAGED_ON_RANK="1")
    run = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    said = "error: clip csed/0007 of the test set is damaged: prepare it again\n"
    assert run.stderr.count("clip csed/0007") == 1 and said in run.stderr, run.stderr[-3000:]
    batches = {p.name: [int(n) for n in p.read_text().split()] for p in record.glob("scored-by-*")}
    # before: {"scored-by-rank-0": [1] * 12, ...}, its whole share
    assert batches == {"scored-by-rank-0": [1], "scored-by-rank-1": [1]}
    assert not (tmp_path / "scores.json").exists()


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
@pytest.mark.parametrize("when", ["predicting", "scoring"])
def test_a_sigterm_to_one_process_of_a_launch_stops_every_process_with_one_line(made, tmp_path, when):
    """SIGTERM (`kill`, a scheduler) to one process of a launch of 2: infer.py did not take it, so that process died
    at once and the other met a gloo error at its next agreement (or, the main process stopped as it scored, a
    RuntimeError), each with a traceback.  Now the process that got it stops, the other at the end of its batch
    under way, each exits 143, and the main process says once what was written and how to rerun."""
    record = tmp_path / "record"
    record.mkdir()
    scores = tmp_path / "scores.json"
    argv = ["--model", made["model"], "--bimotion", made["data"], "--disable_tqdm", "true"]
    argv += ["--output_file", scores, "--per_device_eval_batch_size", "1"]  # 24 batches, 12 each
    launch = cpu_launch(made["script"], *argv, num_processes=2)
    rank = "1" if when == "predicting" else "0"  # the main process alone scores
    env = subprocess_env(SCORED_RECORD=str(record), SIGTERM_ON_RANK=rank, SIGTERM_IN=when)
    run = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=600)
    said = [line for line in run.stderr.splitlines() if line.startswith(("terminated", "[rank", "Traceback"))]
    assert said[:1] == [  # the launcher's own report of its workers' exit codes follows, with its traceback
        f"terminated: no scores were written ({scores} not written); rerun the same command to score again: it "
        "predicts every clip again"
    ], run.stderr[-3000:]
    assert not any(line.startswith(("terminated", "[rank")) for line in said[1:]), run.stderr[-3000:]
    ended = {p.name: p.read_text() for p in record.glob("exit-of-rank-*")}
    # the launcher stops the process still running once one has ended: it may not get as far as its exit code
    assert set(ended.values()) == {"143"} and f"exit-of-rank-{rank}" in ended, (ended, run.stderr[-3000:])
    batches = {p.name: [int(n) for n in p.read_text().split()] for p in record.glob("scored-by-*")}
    stopped_at = [1] if when == "predicting" else [1] * 12  # the batch under way, or every one
    assert batches == {"scored-by-rank-0": stopped_at, "scored-by-rank-1": stopped_at}, batches
    assert not scores.exists()


def _stopped_as_it_scores(made, tmp_path, stop: str) -> tuple[subprocess.CompletedProcess, dict[str, str], Path]:
    """A launch of 2 whose main process, as it scores, stops them (``stop``: SIGTERM_IN of the recorded script):
    the run, each process's exit code (by its rank's file) and where the scores go."""
    record = tmp_path / "record"
    record.mkdir()
    scores = tmp_path / "scores.json"
    argv = ["--model", made["model"], "--bimotion", made["data"], "--disable_tqdm", "true", "--output_file", scores]
    launch = cpu_launch(made["script"], *argv, num_processes=2)
    run = subprocess.run(launch, env=subprocess_env(SCORED_RECORD=str(record), SIGTERM_IN=stop),
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    return run, {p.name: p.read_text() for p in record.glob("exit-of-rank-*")}, scores


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_a_sigterm_to_a_process_waiting_for_the_main_processs_scores_lets_the_run_finish(made, tmp_path):
    """SIGTERM to process 1 while it waits for the main process to score and write: it stopped in the wait, and
    the main process, its file written, met a gloo error as it sent its result (a traceback, no scores printed,
    the launch failed).  Now the stop waits for the result (it is seconds away): the run finishes, every process
    exits 0, and the scores are printed once; process 1 says, once, that its SIGTERM was held (it said nothing: the
    run finished as if none had come)."""
    run, ended, scores = _stopped_as_it_scores(made, tmp_path, "waiting")
    assert run.returncode == 0 and "[rank" not in run.stderr, run.stderr[-3000:]
    assert ended == {"exit-of-rank-0": "0", "exit-of-rank-1": "0"}, ended
    assert run.stdout.count(f"scores of {made['model']}: {scores}") == 1 and scores.is_file(), run.stdout[-2000:]
    held = (
        "SIGTERM came to process 1 as it waited for the main process's scores: held until they arrived; the run "
        "finished all the same; nothing to rerun\n"
    )
    assert run.stderr.count(held) == 1 and "came as the run ended" not in run.stderr, run.stderr[-3000:]


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_a_ctrl_c_as_the_main_process_scores_stops_every_process_with_one_line(made, tmp_path):
    """A Ctrl-C (SIGINT to every process) while the main process scored: process 1, waiting for its result, took it
    in the middle of gloo's exchange (the result's size received, not the result), and the main process, sending
    its stop, met a gloo error ('[rank0]: RuntimeError: ... Connection closed by peer', a traceback, no
    'interrupted:' line, the launch's exit 1).  The waiting process now takes its Ctrl-C once the result is there."""
    run, ended, scores = _stopped_as_it_scores(made, tmp_path, "ctrl-c")
    assert run.returncode != 0 and "[rank" not in run.stderr and "RuntimeError" not in run.stderr, run.stderr[-3000:]
    assert ended == {"exit-of-rank-0": "130", "exit-of-rank-1": "130"}, ended
    said = f"interrupted: no scores were written ({scores} not written); rerun the same command to score again"
    assert run.stderr.count(said) == 1 and not scores.exists(), run.stderr[-3000:]


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_a_model_folder_without_weights_is_one_error_said_once_by_a_launch(made, tmp_path):
    """A model folder whose config.json is there but not its weights (a copy cut short): each process of a launch
    of 2 failed at the model's load with transformers' OSError, a traceback each.  Now the main process says it
    once, naming the folder, and exits 2: a bad --model, refused before any data is read (it was an `error:` line
    once the test set had loaded)."""
    model = Path(shutil.copytree(made["model"], tmp_path / "model"))
    (model / "model.safetensors").unlink()
    record = tmp_path / "record"
    record.mkdir()
    argv = ["--model", model, "--bimotion", made["data"], "--disable_tqdm", "true"]
    launch = cpu_launch(made["script"], *argv, "--output_file", tmp_path / "scores.json", num_processes=2)
    run = subprocess.run(launch, env=subprocess_env(SCORED_RECORD=str(record)), capture_output=True, text=True,
                         timeout=600)  # fmt: skip
    errors = [line for line in run.stderr.splitlines() if "error: " in line]
    said = f"record_infer.py: error: --model {model}: the model folder holds no weights (none of model.safetensors, "
    assert len(errors) == 1 and errors[0].startswith(said), run.stderr[-3000:]
    assert "[rank" not in run.stderr, run.stderr[-3000:]  # a process's traceback
    assert (record / "exit-of-rank-0").read_text() == "2"
    assert not list(record.glob("scored-by-*"))  # no clip predicted
    assert not (tmp_path / "scores.json").exists()


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_an_output_file_in_a_folder_that_cannot_be_written_is_refused_once_before_any_work(made, tmp_path):
    """--output_file in a folder that cannot be written: each process of a launch predicted every clip, then the
    main process failed at the write (PermissionError, a traceback) and the other with it.  Now it is a bad
    argument: one usage error, said once, before any data is read."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    scores = locked / "scores.json"
    argv = ["--model", made["model"], "--bimotion", made["data"], "--disable_tqdm", "true", "--output_file", scores]
    launch = unprivileged(cpu_launch(REPO / "recipes" / "infer.py", *argv, num_processes=2))
    try:
        run = subprocess.run(launch, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    finally:
        locked.chmod(0o755)
    said = f"infer.py: error: --output_file {scores}: the folder {locked} is not writable (Permission denied); "
    assert run.stderr.count("infer.py: error:") == 1 and said in run.stderr, run.stderr[-3000:]
    assert "[rank" not in run.stderr and not scores.exists(), run.stderr[-3000:]


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_a_bad_argument_to_a_launch_of_two_processes_is_said_once(tmp_path):
    """`accelerate launch --num_processes 2 recipes/infer.py --model NOT_THERE` printed its usage and error line
    once per process: twice.  The main process says it; the other says nothing and is stopped; the launch fails."""
    gone = tmp_path / "not-there"
    launch = cpu_launch(REPO / "recipes" / "infer.py", "--model", gone, "--bimotion", tmp_path, num_processes=2)
    run = subprocess.run(launch, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    said = f"infer.py: error: --model {gone}: no such model folder, and not a Hub id (OWNER/NAME)\n"
    assert run.stderr.count("infer.py: error:") == 1 and said in run.stderr, run.stderr
    assert run.stderr.count("usage: infer.py") == 1, run.stderr


@pytest.mark.slow  # a CPU launch of 2 processes (~15 s)
def test_a_damaged_clip_every_process_of_a_launch_meets_is_said_once(made, tmp_path):
    """A stored clip that does not decode, in the test set of a launch of 2 processes: each process stops on it
    (on_every_process hands the one that met it's error to the other) and each printed its `error:` line: twice.
    The main process says it, naming the file, row and clip; the launch fails."""
    data = Path(shutil.copytree(made["data"], tmp_path / "data"))
    shard = next((data / "data").rglob("test-*.parquet"))
    damage_clip(shard, row=1)
    scores = tmp_path / "s.json"
    argv = ["--model", made["model"], "--bimotion", data, "--disable_tqdm", "true", "--output_file", scores]
    argv += ["--dataset_cache_dir", tmp_path / "cache", "--per_device_eval_batch_size", "4"]
    launch = cpu_launch(REPO / "recipes" / "infer.py", *argv, num_processes=2)
    run = subprocess.run(launch, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert run.returncode != 0 and len(errors) == 1, run.stderr[-3000:]
    assert errors[0].startswith(f"error: {shard} row 1 (clip "), errors
    assert "stored audio does not decode" in errors[0] and "prepare it again" in errors[0], errors
    assert not scores.exists()


PAIR = textwrap.dedent(
    """
    import os, sys
    import torch.distributed as dist
    from bimotion.signals import Terminated
    from bimotion.training.processes import on_main_process_only

    dist.init_process_group("gloo")
    rank = dist.get_rank()

    def work():
        if sys.argv[1] == "fails":
            raise ValueError("the test set is damaged")
        if sys.argv[1] == "interrupted":
            raise KeyboardInterrupt
        if sys.argv[1] == "terminated":
            raise Terminated("terminated by signal 15 (SIGTERM)")
        return {"scored by": rank}

    try:
        print(on_main_process_only(work, rank, dist.get_world_size()))
    except (ValueError, RuntimeError) as err:
        print(f"raised: {err}")
    except KeyboardInterrupt as err:  # a caller that goes on after Ctrl-C (a notebook): the others must not wait 4 h
        print(f"raised: {type(err).__name__}: {err}")
    dist.destroy_process_group()
    """
)


@pytest.mark.parametrize("ending", ["succeeds", "fails", "interrupted", "terminated"])
def test_the_waiting_processes_get_the_main_processs_result_or_its_error(tmp_path, ending):
    """A main process that failed must not leave the others waiting (for 4 hours) for its result; nor one
    stopped by a Ctrl-C or a SIGTERM (a KeyboardInterrupt, not an Exception) whose caller goes on: the others get a
    stop of its kind naming it (they got a RuntimeError, which ended infer.py's other processes with a traceback),
    and the main process its own."""
    said = _last_lines_of_two_ranks(tmp_path / "pair.py", PAIR, ending)
    stopped = {
        "interrupted": [
            "raised: KeyboardInterrupt:",
            "raised: KeyboardInterrupt: the main process stopped: KeyboardInterrupt",  # was a RuntimeError
        ],
        "terminated": [
            "raised: Terminated: terminated by signal 15 (SIGTERM)",
            "raised: Terminated: the main process stopped: Terminated",
        ],
    }
    if ending in stopped:
        assert said == stopped[ending], said
        return
    expected = "{'scored by': 0}" if ending == "succeeds" else "raised: the test set is damaged"
    assert said == [expected, expected]


REPEATED = textwrap.dedent(
    """
    import torch.distributed as dist
    from bimotion.training.processes import on_main_process_only

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    results = [on_main_process_only(lambda: k, rank, 2) for k in range(3)]
    print(results, len(dist.distributed_c10d._world.pg_map))
    dist.destroy_process_group()
    """
)


def test_each_wait_for_the_main_process_leaves_its_process_group(tmp_path):
    """Each call made a gloo group (its sockets and threads) and kept it to the end of the launch: a script
    scoring three models in one launch held three groups besides its own."""
    said = _last_lines_of_two_ranks(tmp_path / "repeated.py", REPEATED)
    assert said == ["[0, 1, 2] 1"] * 2  # the launch's group alone


EVERY = textwrap.dedent(
    """
    import sys
    import torch.distributed as dist
    from bimotion.signals import Terminated
    from bimotion.training.processes import on_every_process

    dist.init_process_group("gloo")
    rank = dist.get_rank()

    def work(share, of):
        if sys.argv[1] == "fails" and rank == 1:
            raise ValueError("clip 7 is damaged")
        if sys.argv[1] == "interrupted" and rank == 1:
            raise KeyboardInterrupt
        if sys.argv[1] == "terminated" and rank == 1:
            raise Terminated("terminated by signal 15 (SIGTERM)")
        return list(range(10))[share::of]

    try:
        print(on_every_process(work, rank, dist.get_world_size()), len(dist.distributed_c10d._world.pg_map))
    except (ValueError, RuntimeError) as err:
        print(f"raised: {err}")
    except KeyboardInterrupt as err:
        print(f"raised: {type(err).__name__}: {err}")
    dist.destroy_process_group()
    """
)


@pytest.mark.parametrize("ending", ["succeeds", "fails", "interrupted", "terminated"])
def test_every_process_gets_every_share_or_the_error_of_the_one_that_failed(tmp_path, ending):
    """Sharded scoring: each process's share reaches every process, in process order, and the group it waited
    on is left; a process that failed (or was interrupted) does not leave the others waiting for its share.  One
    stopped by a Ctrl-C or a SIGTERM stops the others with a stop of its kind (they raised a RuntimeError, which
    ended a launched grid with a traceback, not its closing line)."""
    said = _last_lines_of_two_ranks(tmp_path / "every.py", EVERY, ending)
    expected = {
        "succeeds": ["[[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]] 1"] * 2,
        "fails": ["raised: clip 7 is damaged"] * 2,
        "interrupted": [
            "raised: KeyboardInterrupt: process 1 of the launch stopped: KeyboardInterrupt",
            "raised: KeyboardInterrupt:",
        ],
        "terminated": [
            "raised: Terminated: process 1 of the launch stopped: Terminated",
            "raised: Terminated: terminated by signal 15 (SIGTERM)",
        ],
    }
    assert said == expected[ending], said


STEPS = textwrap.dedent(
    """
    import sys
    import torch.distributed as dist
    from bimotion.signals import Terminated
    from bimotion.training.processes import on_every_process

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    done = []

    def work(share, of, steps):
        steps.count(10)
        for step in range(10):
            if rank == 1 and step == 2 and sys.argv[1] != "succeeds":
                raise {"fails": ValueError("clip 7 is damaged"), "interrupted": KeyboardInterrupt(),
                       "terminated": Terminated("terminated by signal 15 (SIGTERM)")}[sys.argv[1]]
            done.append(step)
            steps.agree()
        return len(done)

    try:
        print(on_every_process(work, rank, dist.get_world_size(), in_steps=True))
    except (ValueError, KeyboardInterrupt) as err:
        print(f"after {len(done)} steps raised {type(err).__name__}: {err}")
    dist.destroy_process_group()
    """
)


@pytest.mark.parametrize("ending", ["succeeds", "fails", "interrupted", "terminated"])
def test_a_process_that_fails_or_stops_within_a_step_stops_the_others_at_that_steps_end(tmp_path, ending):
    """Work in steps (``predict``'s batches): a process that fails or is stopped by a Ctrl-C or a SIGTERM within
    its third step stops the other at the end of its third, with the error or a stop of its kind, not once it has
    done its ten."""
    said = _last_lines_of_two_ranks(tmp_path / "steps.py", STEPS, ending)
    expected = {
        "succeeds": ["[10, 10]"] * 2,
        "fails": [
            "after 3 steps raised ValueError: clip 7 is damaged",
            "after 2 steps raised ValueError: clip 7 is damaged",
        ],
        "interrupted": [
            "after 3 steps raised KeyboardInterrupt: process 1 of the launch stopped: KeyboardInterrupt",
            "after 2 steps raised KeyboardInterrupt:",
        ],
        "terminated": [
            "after 3 steps raised Terminated: process 1 of the launch stopped: Terminated",
            "after 2 steps raised Terminated: terminated by signal 15 (SIGTERM)",
        ],
    }
    assert said == expected[ending], said


def _last_lines_of_two_ranks(script, text: str, *args: str) -> list[str]:
    """The last line printed by each of two processes (ranks 0 and 1 of one gloo group) running ``text``
    as ``script`` with ``args``; both must exit 0."""
    script.write_text(text)
    port = str(testing.free_port())
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), *args],
            env=subprocess_env(RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for rank in (0, 1)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err[-2000:] for _, err in outputs]
    return [out.strip().splitlines()[-1] for out, _ in outputs]
