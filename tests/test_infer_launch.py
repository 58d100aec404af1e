"""``accelerate launch --num_processes N recipes/infer.py``: every process scored the whole split and only
process 0 wrote, so N processes did the same work N times.  Now the main process scores and writes, the
others wait for it and return its result; the file is the one a single process writes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import REPO

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
            import importlib.util, os, sys
            sys.path.insert(0, {str(REPO / "recipes")!r})
            from bimotion.training import evaluation

            record = os.environ["SCORED_RECORD"]
            scoring = evaluation.predict

            def predict(*args, **kwargs):
                with open(os.path.join(record, "scored-by-rank-" + os.environ.get("RANK", "0")), "a") as f:
                    f.write("scored\\n")
                return scoring(*args, **kwargs)

            evaluation.predict = predict
            spec = importlib.util.spec_from_file_location("recipe_infer", {str(REPO / "recipes" / "infer.py")!r})
            recipe = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = recipe
            spec.loader.exec_module(recipe)
            sys.exit(recipe.main(sys.argv[1:]))
            """
        )
    )
    return {"data": data, "model": root / "model", "script": script}


def _scores(made, tmp_path, name: str, launch: list[str]) -> tuple[dict, list[str]]:
    record = tmp_path / name
    record.mkdir()
    out = tmp_path / f"{name}.json"
    argv = ["--model", made["model"], "--bimotion", made["data"], "--disable_tqdm", "true", "--output_file", out]
    run = subprocess.run(
        [*launch, *map(str, argv)], env=subprocess_env(SCORED_RECORD=str(record)), capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(out.read_text()), sorted(p.name for p in record.iterdir())


def test_a_launch_of_two_processes_scores_once_and_writes_one_processs_file(made, tmp_path):
    one, scored_one = _scores(made, tmp_path, "one", [sys.executable, str(made["script"])])
    two, scored_two = _scores(made, tmp_path, "two", cpu_launch(made["script"], num_processes=2))
    assert scored_one == ["scored-by-rank-0"]
    assert scored_two == ["scored-by-rank-0"]  # before: scored-by-rank-0 and scored-by-rank-1
    # the same file but for the command line provenance records (a launch's is accelerate's)
    for scores in (one, two):
        scores["provenance"].pop("command")
    assert two == one


PAIR = textwrap.dedent(
    """
    import os, sys
    import torch.distributed as dist
    from bimotion.training.processes import on_main_process_only

    dist.init_process_group("gloo")
    rank = dist.get_rank()

    def work():
        if sys.argv[1] == "fails":
            raise ValueError("the test set is damaged")
        if sys.argv[1] == "interrupted":
            raise KeyboardInterrupt
        return {"scored by": rank}

    try:
        print(on_main_process_only(work, rank, dist.get_world_size()))
    except (ValueError, RuntimeError) as err:
        print(f"raised: {err}")
    except KeyboardInterrupt:  # a caller that goes on after Ctrl-C (a notebook): the others must not wait 4 h
        print("raised: KeyboardInterrupt")
    dist.destroy_process_group()
    """
)


@pytest.mark.parametrize("ending", ["succeeds", "fails", "interrupted"])
def test_the_waiting_processes_get_the_main_processs_result_or_its_error(tmp_path, ending):
    """A main process that failed must not leave the others waiting (for 4 hours) for its result; nor one
    interrupted (KeyboardInterrupt, not an Exception) whose caller goes on: the others get a RuntimeError
    naming it, and the main process its interrupt."""
    said = _last_lines_of_two_ranks(tmp_path / "pair.py", PAIR, ending)
    if ending == "interrupted":
        assert said == ["raised: KeyboardInterrupt", "raised: the main process stopped: KeyboardInterrupt"], said
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
