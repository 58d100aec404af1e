"""Sharded scoring: ``recipes/infer.py`` in one process against ``accelerate launch --num_processes 2`` on the CPU.

    python bench/bench_infer_shards.py                        # 96 generated test clips, a small random model
    python bench/bench_infer_shards.py --size base --clips 48 # wav2vec2-base's size (12 layers of 768)

A prepared folder of ``--clips`` generated test clips (:func:`bimotion.training.testing.write_prepared`,
one group) and a random classifier are written to a temporary folder; then ``recipes/infer.py`` runs
alternately in one process and in a CPU launch of 2 (gloo; :func:`bimotion.training.testing.cpu_launch`),
``--repeats`` times each, every process with one torch thread (``OMP_NUM_THREADS=1``), so the two processes
of a launch use two cores where the one process uses one.  For each run: the command's wall seconds and
the prediction's (:func:`bimotion.training.inference.predict` as :func:`bimotion.training.evaluation.infer`
calls it, on the main process: the model's loading, its share, and the wait for the other's), the CPU seconds
of the busiest process's prediction (what its wall time would be on free cores, which a busy machine does
not inflate), and whether its scores file is the one process's (every field but the command line
``provenance`` records).  Last, the ratios of the medians (one process / two).  The wall ratios need 2 free
cores to show the speed-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the random encoder's size: "small" 4 layers of 256, "base" wav2vec2-base's 12 layers of 768
SIZES = {
    "small": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024),
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}
# a recipe (the script's first argument), each process appending the wall and CPU seconds of every call of
# MODULE.NAME (the prediction) to PREDICT_SECONDS.<rank>
TIMED = textwrap.dedent(
    """
    import os, runpy, sys, time
    from {module} import {name} as scoring
    import {module}

    def timed(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        out = scoring(*args, **kwargs)
        with open(os.environ["PREDICT_SECONDS"] + "." + os.environ.get("RANK", "0"), "a") as f:
            f.write(f"{{time.perf_counter() - start}} {{time.process_time() - cpu}}\\n")
        return out

    {module}.{name} = timed
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    """
)


def make_model(folder: Path, size: str) -> Path:
    """A random classifier of ``size`` (:data:`SIZES`) saved as training saves one."""
    from bimotion.training import testing
    from bimotion.training.model import build_model, suppress_untrained

    model, fe = build_model(str(testing.save_tiny_model(folder / "encoder", **SIZES[size])), classifier_proj_size=16)
    model.config.trained_labels = ["neutral", "positive", "negative"]
    suppress_untrained(model)
    model.save_pretrained(folder / "model")
    fe.save_pretrained(folder / "model")
    return folder / "model"


def timed_script(folder: Path, module: str, name: str) -> Path:
    """A script in ``folder`` that runs a recipe (its first argument) with ``module.name`` timed (:data:`TIMED`)."""
    script = folder / f"timed_{name}.py"
    script.write_text(TIMED.format(module=module, name=name))
    return script


def timed_run(command: list[str], seconds: Path, env: dict) -> dict:
    """One run of a :func:`timed_script`: its wall seconds, its prediction's (the main process's calls), the CPU
    seconds of the busiest process's prediction."""
    for old in seconds.parent.glob(seconds.name + ".*"):
        old.unlink()
    start = time.perf_counter()
    done = subprocess.run(command, env={**env, "PREDICT_SECONDS": str(seconds)}, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(command[:6])}... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    timed = {
        int(p.suffix[1:]): [[float(x) for x in line.split()] for line in p.read_text().splitlines()]
        for p in seconds.parent.glob(seconds.name + ".*")
    }
    cpu = max(sum(c for _, c in calls) for calls in timed.values())
    return {"wall_s": wall, "predict_s": sum(w for w, _ in timed[0]), "cpu_s": cpu}


def run(command: list[str], out: Path, seconds: Path, env: dict) -> dict:
    """One scoring (:func:`timed_run`) and its scores file (without the command line)."""
    timed = timed_run(command, seconds, env)
    scores = json.loads(out.read_text())
    scores["provenance"].pop("command")
    return {**timed, "scores": scores}


def said(name: str, got: dict, same: bool, files: str = "file") -> str:
    """One run's line: its times, and whether its ``files`` are the one process's."""
    return (
        f"{name}: wall {got['wall_s']:.1f} s, predict {got['predict_s']:.1f} s, busiest process's "
        f"predict CPU {got['cpu_s']:.1f} s, {files} the same: {same}"
    )


def ratios(runs: dict[str, list[dict]], args) -> str:
    """The last line: the medians of ``runs`` (``1 process`` and ``2 processes``) and their ratios."""
    medians = {
        name: {key: statistics.median(r[key] for r in done) for key in ("wall_s", "predict_s", "cpu_s")}
        for name, done in runs.items()
    }
    one, two = medians["1 process"], medians["2 processes"]
    return (
        f"{args.clips} clips, {args.size} model, batches of {args.batch_size}; medians of {args.repeats}: "
        f"1 process wall {one['wall_s']:.1f} s, predict {one['predict_s']:.1f} s; 2 processes wall "
        f"{two['wall_s']:.1f} s, predict {two['predict_s']:.1f} s; ratio (1 / 2) wall "
        f"{one['wall_s'] / two['wall_s']:.2f}x, predict {one['predict_s'] / two['predict_s']:.2f}x, "
        f"busiest process's predict CPU {one['cpu_s']:.1f} / {two['cpu_s']:.1f} s = {one['cpu_s'] / two['cpu_s']:.2f}x"
    )


def arguments(doc: str, batch_size: str) -> argparse.Namespace:
    """The command line of a sharded-scoring benchmark (``doc``: its module's docstring; ``batch_size``: what
    ``--batch_size`` sets)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="small", help="the random encoder's size")
    parser.add_argument("--clips", type=int, default=96, help="test clips scored")
    parser.add_argument("--batch_size", type=int, default=4, help=batch_size)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each, alternated")
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__, "--per_device_eval_batch_size")
    from bimotion.training import testing

    with tempfile.TemporaryDirectory(prefix="bench-infer-shards-") as tmp:
        work = Path(tmp)
        data = testing.write_prepared(work / "data", shards=[("csed", "zho_eld")], sizes={"test": args.clips})
        model = make_model(work, args.size)
        script = timed_script(work, "bimotion.training.evaluation", "predict")
        env = testing.subprocess_env()
        recipe = REPO / "recipes" / "infer.py"
        runs: dict[str, list[dict]] = {"1 process": [], "2 processes": []}
        for repeat in range(args.repeats):
            for name in runs:
                out = work / f"{name[0]}-{repeat}.json"
                argv = ["--model", model, "--bimotion", data, "--configs", "zho_eld", "--output_file", out]
                argv += ["--per_device_eval_batch_size", str(args.batch_size), "--disable_tqdm", "true"]
                command = [sys.executable, str(script), str(recipe), *map(str, argv)]
                if name == "2 processes":
                    command = testing.cpu_launch(script, recipe, *argv, num_processes=2)
                runs[name].append(run(command, out, work / "seconds", env))
                got = runs[name][-1]
                print(said(name, got, got["scores"] == runs["1 process"][0]["scores"]))
        print(ratios(runs, args))


if __name__ == "__main__":
    main()
