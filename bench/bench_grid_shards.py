"""The grid's sharded scoring: ``recipes/grid.py`` scoring a trained model in one process against
``accelerate launch --num_processes 2`` on the CPU.

    python bench/bench_grid_shards.py                        # 96 generated test clips, a small random model
    python bench/bench_grid_shards.py --size base --clips 48 # wav2vec2-base's size (12 layers of 768)

A prepared folder of ``--clips`` generated test clips of one group (:func:`bimotion.training.testing.write_prepared`)
and a grid of one model (trained once, untimed, in one process, from a random encoder of ``--size``) are written to
a temporary folder; then, ``--repeats`` times each and alternately, a copy of that grid holding the trained model
and nothing predicted is scored by ``recipes/grid.py`` in one process and in a CPU launch of 2 (gloo;
:func:`bimotion.training.testing.cpu_launch`), every process with one torch thread, so the two processes of a
launch use two cores where the one process uses one.  For each run: the command's wall seconds, the prediction's
(the grid's ``backend_predict`` on the main process: the model's loading, its share, the wait for the other's),
the CPU seconds of the busiest process's prediction (what its wall time would be on free cores, which a busy
machine does not inflate), and whether its prediction files are the one process's bit for bit and its metrics
file the same but for the command line ``provenance`` records.  Last, the ratios of the medians (one process /
two).  The wall ratios need 2 free cores to show the speed-up.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_infer_shards import SIZES, arguments, ratios, said, timed_run, timed_script  # the infer recipe's twin

REPO = Path(__file__).resolve().parents[1]


def config(size: str, batch_size: int) -> dict:
    """A grid of one model (zho_eld, one seed) scored on its own test set, trained in a few steps."""
    training = {"num_train_epochs": 1, "per_device_train_batch_size": 8, "eval_strategy": "no", "save_strategy": "no"}
    training |= {"load_best_model_at_end": False, "early_stopping_patience": 0, "max_duration_s": 1.0}
    training |= {"disable_tqdm": True, "use_cpu": True}
    return {
        "tiny_model": SIZES[size],
        "seeds": [0],
        "tables": [],
        "mixtures": ["zho_eld"],
        "extra_tests": ["zho_eld"],
        "bootstrap_samples": 100,
        "num_threads": 1,
        "eval_batch_size": batch_size,
        "training": training,
    }


def run(command: list[str], out: Path, seconds: Path, env: dict) -> dict:
    """One grid run (:func:`timed_run`), its prediction files' arrays and its metrics file (without the command
    line)."""
    timed = timed_run(command, seconds, env)
    (metrics,) = out.glob("metrics/*/seed0.json")
    scores = json.loads(metrics.read_text())
    scores["provenance"].pop("command")
    arrays = {str(p.relative_to(out)): dict(np.load(p)) for p in sorted(out.glob("predictions/**/*.npz"))}
    return {**timed, "scores": scores, "arrays": arrays}


def same(got: dict, reference: dict) -> bool:
    """Whether a run's files are the reference's: every prediction array bit for bit, the metrics file equal."""
    ours, theirs = got["arrays"], reference["arrays"]
    if got["scores"] != reference["scores"] or list(ours) != list(theirs):
        return False
    return all(
        ours[f].keys() == theirs[f].keys() and all(np.array_equal(ours[f][k], theirs[f][k]) for k in theirs[f])
        for f in theirs
    )


def main() -> None:
    args = arguments(__doc__, "the grid config's eval_batch_size")
    import yaml

    from bimotion.training import testing

    with tempfile.TemporaryDirectory(prefix="bench-grid-shards-") as tmp:
        work = Path(tmp)
        data = testing.write_prepared(work / "data", shards=[("csed", "zho_eld")], sizes={"test": args.clips})
        (work / "grid.yaml").write_text(yaml.safe_dump(config(args.size, args.batch_size)))
        script = timed_script(work, "bimotion.grid.runner", "backend_predict")  # the grid's predictions
        env = testing.subprocess_env()
        recipe = REPO / "recipes" / "grid.py"
        argv = lambda out: [recipe, "--config", work / "grid.yaml", "--output_dir", out, "--bimotion", data]  # noqa: E731
        trained = work / "trained"
        run([sys.executable, *map(str, [script, *argv(trained)])], trained, work / "seconds", env)  # untimed
        runs: dict[str, list[dict]] = {"1 process": [], "2 processes": []}
        for repeat in range(args.repeats):
            for name in runs:
                out = work / f"{name[0]}-{repeat}"
                shutil.copytree(trained, out, ignore=shutil.ignore_patterns("predictions", "metrics", "tables"))
                command = [sys.executable, *map(str, [script, *argv(out)])]
                if name == "2 processes":
                    command = testing.cpu_launch(script, *argv(out), num_processes=2)
                runs[name].append(run(command, out, work / "seconds", env))
                got = runs[name][-1]
                print(said(name, got, same(got, runs["1 process"][0]), "files"))
                shutil.rmtree(out)
        print(ratios(runs, args))


if __name__ == "__main__":
    main()
