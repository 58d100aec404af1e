"""bench/gpu_suite.sh, the one-shot GPU measurement, checked on a CPU: each of its runs asks
bench/bench_train.py for what docs/performance.md says it measures, under ``--cpu-check`` (the
plumbing, on the CPU) as on the GPU, and a machine without ``nvidia-smi`` still runs it.  python3 is a
stand-in here that records each run's arguments; bench_train's own parser reads them."""

from __future__ import annotations

import importlib.util
import os
import subprocess

import pytest
from conftest import REPO

FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "-" ]; then cat >/dev/null; echo "python (stand-in)"; exit 0; fi
shift
echo "$*" >>"$RECORD"
"""


def _bench_train():
    spec = importlib.util.spec_from_file_location("bench_train", REPO / "bench" / "bench_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _suite(tmp_path, *mode: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run the suite with the stand-in python3 and no nvidia-smi: its result, and each run's parsed
    bench_train arguments by run name."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "python3").write_text(FAKE_PYTHON)
    (fake / "python3").chmod(0o755)
    record = tmp_path / f"runs{'-'.join(mode)}.txt"
    out = tmp_path / f"out{'-'.join(mode)}"
    env = {**os.environ, "PATH": f"{fake}:/usr/bin:/bin", "RECORD": str(record)}
    done = subprocess.run(
        ["bash", str(REPO / "bench" / "gpu_suite.sh"), str(out), *mode], env=env, capture_output=True, text=True
    )
    parse = _bench_train().parse_args
    runs = {}
    for line in record.read_text().splitlines():
        argv = line.split()
        name = os.path.basename(argv[argv.index("--json") + 1]).removesuffix(".json")
        runs[name] = parse(argv)[1]
    return done, runs


@pytest.mark.parametrize("mode", [(), ("--cpu-check",)])
def test_each_run_of_the_gpu_suite_measures_what_it_says(tmp_path, mode):
    """Before: under --cpu-check the `default` and `duration` runs also timed the baseline (bench_train's
    CPU default), so each ran twice as long as its GPU counterpart and both were killed at their
    120 s limit: "2 of 3 runs failed" on a CPU where the GPU run's plumbing was sound."""
    done, runs = _suite(tmp_path, *mode)
    gpu = not mode
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(runs) == ["default", "duration", "baseline"] + (["compile"] if gpu else [])
    assert {name: args.baseline for name, args in runs.items()} == {
        name: name == "baseline" for name in runs
    }  # ours alone, except the run named for the baseline
    assert all(args.gpu == gpu for args in runs.values())
    assert runs["default"].score and runs["duration"].score and runs["duration"].pad_to_multiple_of == 320
    assert [name for name, args in runs.items() if args.compile] == (["compile"] if gpu else [])
    if gpu:  # no nvidia-smi on this machine: said in gpu.txt, and the suite ran on
        assert "nvidia-smi" in (tmp_path / "out" / "gpu.txt").read_text()


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_bench_run_leaves_no_model_behind_for_the_next(tmp_path, monkeypatch):
    """The suite's `baseline` run trains ours, then the baseline, in one process: ours' trainer and its
    profiler callback refer to each other, so its model (and on a GPU its optimizer states, about 5 GB for
    XLSR-53) stayed allocated until Python's cycle collector happened to run, and the baseline's peak memory
    counted it.  Each run now leaves nothing behind."""
    import gc
    import weakref

    from bimotion.training import model as model_module

    bench = _bench_train()
    made = []
    build = model_module.build_model

    def build_model(*args, **kwargs):
        built = build(*args, **kwargs)
        made.append(weakref.ref(built[0]))
        return built

    monkeypatch.setattr(model_module, "build_model", build_model)
    flags = "--steps 1 --warmup 1 --profile_steps 1 --unique_clips 2 --rows 8 --batch_size 2 --repeats 1"
    _, args = bench.parse_args(flags.split())
    rows = bench.make_rows(args.unique_clips, 8)
    gc.collect()
    gc.disable()  # as when the collector does not happen to run between two runs
    try:
        bench.run("ours", args, rows, tmp_path)
        assert len(made) == 1 and made[0]() is None
    finally:
        gc.enable()


def test_the_peak_memory_reported_is_trainings_not_the_flop_checks(tmp_path, monkeypatch):
    """With --gpu, the FLOP check runs one batch forward and backward in float32 before the bf16 training,
    and the peak memory was read after training without being reset in between: the JSON's
    ``max_memory_gib`` was the larger of the two.  The peak is reset once the check is done.  Here on a
    CPU, torch.cuda's memory calls are recorded in order, and the run trains on the CPU."""
    import torch

    from bimotion.training import training_args as args_module
    from bimotion.training.trainer import SERTrainer

    bench = _bench_train()
    events = []
    monkeypatch.setattr(bench, "counted_flops", lambda model, batch: events.append("flop check") or 1.0)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda *a: events.append("peak reset"))
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *a: events.append("peak read") or 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "NVIDIA H100 80GB HBM3")
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    train = SERTrainer.train
    monkeypatch.setattr(SERTrainer, "train", lambda self, *a, **k: events.append("training") or train(self, *a, **k))
    on_a_gpu = args_module.SERTrainingArguments
    monkeypatch.setattr(
        args_module,
        "SERTrainingArguments",
        lambda **kw: on_a_gpu(**{**kw, "bf16": False, "use_cpu": True, "dataloader_pin_memory": False}),
    )
    flags = "--gpu --arch small --workers 0 --steps 1 --warmup 1 --profile_steps 0 --unique_clips 2 --rows 8"
    _, args = bench.parse_args([*flags.split(), "--batch_size", "2"])
    bench.run("ours", args, bench.make_rows(args.unique_clips, 8), tmp_path)
    assert events == ["flop check", "peak reset", "training", "peak read", "peak reset"]
