"""The frozen-feature backend on a CPU: feature extraction rate per core, and the whole paper grid.

    python bench/bench_probe.py                        # extraction rate + the grid on the small fixtures
    python bench/bench_probe.py --clips 2000 --seeds 0 1 2 --size full

1. Extraction: ``--clips`` synthesised clips with BiMotion's duration mix (mostly 1.5-4.5 s acted
   clips, a tail of 6-12 s ones) through :func:`bimotion.probe.features.logmel_stats` on one core:
   clips and audio-seconds per second per core (the extraction is one clip at a time, so N cores
   give N times this with N processes).
2. Grid: the generated corpora (``loaders.testing``, ``--size``) prepared, then
   ``bimotion/configs/probe.yaml`` run end to end (extraction, every head, scoring, tables), timed
   cold (empty feature cache) and warm (every model reused).
"""

from __future__ import annotations

import argparse
import json
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
    start = time.perf_counter()
    for wave in waves:
        logmel_stats(wave)
    elapsed_s = time.perf_counter() - start
    return {
        "clips": clips,
        "audio_hours": round(float(durations_s.sum()) / 3600, 3),
        "clips_per_s_per_core": round(clips / elapsed_s, 1),
        "audio_s_per_s_per_core": round(float(durations_s.sum()) / elapsed_s, 1),
    }


def grid_time(seeds: list[int], size: str, work: Path) -> dict:
    import yaml

    from bimotion.grid import run_grid, shipped_config
    from bimotion.grid.fixtures import prepare_fixtures

    start = time.perf_counter()
    if size == "small":
        dirs = prepare_fixtures(work / "data")
    else:
        dirs = _prepare_full(work / "data")
    prepare_s = time.perf_counter() - start
    config = {**yaml.safe_load(shipped_config("probe").read_text()), "seeds": seeds}
    times = {}
    for run in ("cold", "warm"):
        start = time.perf_counter()
        result = run_grid(config, dirs, work / "grid", log=None)
        times[f"grid_{run}_s"] = round(time.perf_counter() - start, 1)
    return {"size": size, "seeds": seeds, "prepare_s": round(prepare_s, 1), "models": len(result.plan.models), **times}


def _prepare_full(out: Path) -> dict[str, Path]:
    from bimotion.prepare import prepare
    from loaders.testing import make_all

    roots = make_all(out / "raw", size="full")
    yue = {"yuemotion": roots.pop("yuemotion")}
    dirs = {"bimotion": out / "bimotion", "yuemotion": out / "yuemotion"}
    for name, sources in (("bimotion", roots), ("yuemotion", yue)):
        prepare(sources, dirs[name], benchmark=name, seed=0, progress=False, overwrite=True)
    return dirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--work_dir", default=None, help="default: a temporary folder")
    args = parser.parse_args()
    print(json.dumps({"extraction": extraction_rate(args.clips)}))
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        print(json.dumps({"grid": grid_time(args.seeds, args.size, Path(args.work_dir or tmp))}))


if __name__ == "__main__":
    main()
