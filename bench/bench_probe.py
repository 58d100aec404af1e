"""The frozen-feature backend on a CPU: feature extraction rate per core, and the whole paper grid.

    python bench/bench_probe.py                        # extraction rate + the grid on the small fixtures
    python bench/bench_probe.py --size full --seeds 0 1 2 --work_dir /tmp/bench-probe --json probe.json

1. Extraction: ``--clips`` synthesised clips with BiMotion's duration mix (mostly 1.5-4.5 s acted
   clips, a tail of 6-12 s ones) through :func:`bimotion.probe.features.logmel_stats` on one core:
   clips and audio-seconds per second per core (the extraction is one clip at a time, so N cores
   give N times this with N processes).
2. Grid: the generated corpora (``loaders.testing``; ``--size small``: the fixtures the demo uses,
   ``--size full``: every corpus at its real file count, hard-linked from a small pool of sounds)
   prepared, then ``bimotion/configs/probe.yaml`` (Tables 3-5, the figures) run end to end, timed
   per stage: generate, prepare, extract (every shard and split the grid reads, one process,
   stored FLAC decoded; CPU seconds give the per-core rate), train heads (the models' own
   ``train_seconds``), score and report (the rest of the grid run before the figures), figures;
   with ``--warm``, the grid once more with every model reused.  ``os.getloadavg()`` is recorded
   at each stage's start and end (a shared CPU slows every stage).  The baseline cells of the
   tables are printed with their chance level.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def extraction_rate(clips: int, seed: int = 0) -> dict:
    import torch

    from bimotion.probe.features import SAMPLE_RATE_HZ, logmel_stats

    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    durations_s = np.where(rng.random(clips) < 0.9, rng.uniform(1.5, 4.5, clips), rng.uniform(6, 12, clips))
    waves = [rng.normal(0, 0.1, int(d * SAMPLE_RATE_HZ)).astype(np.float32) for d in durations_s]
    start, cpu = time.perf_counter(), time.process_time()
    for wave in waves:
        logmel_stats(wave)
    elapsed_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return {
        "clips": clips,
        "audio_hours": round(float(durations_s.sum()) / 3600, 3),
        "clips_per_s_wall": round(clips / elapsed_s, 1),
        "audio_s_per_s_wall": round(float(durations_s.sum()) / elapsed_s, 1),
        "audio_s_per_cpu_s": round(float(durations_s.sum()) / cpu_s, 1),  # per core, whatever the load
    }


class Stages:
    """Wall and CPU seconds, and the load average, of named stages."""

    def __init__(self):
        self.times: dict[str, dict] = {}

    def run(self, name: str, fn, *args, **kwargs):
        import os

        load_start, wall, cpu = os.getloadavg()[0], time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.times[name] = {
            "wall_s": round(time.perf_counter() - wall, 1),
            "cpu_s_main_process": round(time.process_time() - cpu, 1),
            "load_1min_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        }
        print(json.dumps({name: self.times[name]}), flush=True)
        return out


def generate(size: str, out: Path) -> dict[str, Path]:
    from loaders.testing import make_all

    if size == "small":
        return make_all(out / "raw", seed=0)
    return make_all(out / "raw", seed=0, size="full")


def prepare_all(roots: dict[str, Path], out: Path, num_proc: int) -> dict[str, Path]:
    from bimotion.prepare import prepare

    roots = dict(roots)
    yue = {"yuemotion": roots.pop("yuemotion")}
    dirs = {"bimotion": out / "bimotion", "yuemotion": out / "yuemotion"}
    for name, sources in (("bimotion", roots), ("yuemotion", yue)):
        prepare(sources, dirs[name], benchmark=name, seed=0, num_proc=num_proc, progress=False, overwrite=True)
    return dirs


def extract_all(config: dict, dirs: dict[str, Path], grid_dir: Path) -> dict:
    """Every shard and split the grid reads, into the grid's own feature cache (so the grid finds
    them extracted); returns clip and audio counts."""
    from bimotion.grid import data_sources, load_config
    from bimotion.grid.plan import make_plan
    from bimotion.probe.cache import features_of
    from bimotion.probe.features import FeatureSpec
    from bimotion.training.data import Sources, column, load_shards

    plan = make_plan(load_config(config))
    sources = Sources(**data_sources(dirs, grid_dir / "datasets-cache"))
    spec = FeatureSpec(config["features"])
    shards = list(dict.fromkeys([*(s for m in plan.models for s in m.shards), *plan.test_shards]))
    clips, audio_s = 0, 0.0
    for shard in shards:
        for split in ("train", "validation", "test"):
            rows = len(features_of(sources, [shard], split, spec, progress=False)["id"])
            clips += rows
            audio_s += float(column(load_shards(sources, [shard], split), "duration_s").sum())
    return {"shards": len(shards), "clips": clips, "audio_hours": round(audio_s / 3600, 3)}


def baselines(grid_dir: Path) -> list[dict]:
    """The ``baseline`` row of every table: weighted F1 (mean over seeds) and chance, in %."""
    import csv

    rows = []
    for path in sorted((grid_dir / "tables").glob("table*.csv")):
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                if row["row"] == "baseline":
                    rows.append({k: row[k] for k in ("table", "column", "test", "mean", "std", "chance", "num_test")})
    return rows


def grid_run(config: dict, dirs: dict[str, Path], grid_dir: Path, stages: Stages, name: str) -> dict:
    """One grid run, split into train heads / score and report / figures from its log."""
    from bimotion.grid import run_grid
    from bimotion.grid.config import MARKER

    marks: dict[str, float] = {}
    start = time.perf_counter()

    def log(*args):
        print(f"{time.perf_counter() - start:8.1f} s", *args, file=sys.stderr, flush=True)
        if str(args[0]).startswith("[project]"):
            marks.setdefault("project", time.perf_counter() - start)

    result = stages.run(name, run_grid, config, dirs, grid_dir, log=log)
    total_s = stages.times[name]["wall_s"]
    train_s = sum(json.loads(p.read_text()).get("train_seconds", 0) for p in (grid_dir / "models").rglob(MARKER))
    project_s = total_s - marks.get("project", total_s)
    split = {"models_trained": len(result.trained), "train_heads_s": round(train_s, 1) if result.trained else 0.0}
    split |= {"score_and_report_s": round(total_s - project_s - split["train_heads_s"], 1)}
    split |= {"figures_s": round(project_s, 1)}
    stages.times[name] |= split
    return split


def grid_time(seeds: list[int], size: str, work: Path, *, num_proc: int, warm: bool) -> dict:
    """Long: one stage after another, each timed; the order is the pipeline's."""
    import yaml

    from bimotion.grid import shipped_config

    stages = Stages()
    roots = stages.run("generate", generate, size, work / "data")
    dirs = stages.run("prepare", prepare_all, roots, work / "data", num_proc)
    config = {**yaml.safe_load(shipped_config("probe").read_text()), "seeds": seeds}
    counts = stages.run("extract", extract_all, config, dirs, work / "grid")
    extract = stages.times["extract"]
    counts["audio_s_per_cpu_s"] = round(counts["audio_hours"] * 3600 / max(extract["cpu_s_main_process"], 1e-9), 1)
    counts["clips_per_cpu_s"] = round(counts["clips"] / max(extract["cpu_s_main_process"], 1e-9), 1)
    grid_run(config, dirs, work / "grid", stages, "grid_cold")
    if warm:
        grid_run(config, dirs, work / "grid", stages, "grid_warm")
    return {
        "size": size,
        "seeds": seeds,
        "extracted": counts,
        "stages": stages.times,
        "baseline": baselines(work / "grid"),
    }


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--num_proc", type=int, default=2, help="prepare's worker processes")
    parser.add_argument("--no_warm", dest="warm", action="store_false", help="skip the second (warm) grid run")
    parser.add_argument("--work_dir", default=None, help="default: a temporary folder (removed at the end)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    results = {"command": " ".join([sys.executable.rsplit("/", 1)[-1], *sys.argv]), "load_1min_start": os.getloadavg()}
    results["extraction"] = extraction_rate(args.clips)
    print(json.dumps({"extraction": results["extraction"]}), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        work = Path(args.work_dir or tmp)
        results["grid"] = grid_time(args.seeds, args.size, work, num_proc=args.num_proc, warm=args.warm)
    results["load_1min_end"] = os.getloadavg()
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
