"""Early stopping's saving on probe heads, measured against running every epoch in the same session.

    python bench/bench_probe.py --size full --seeds 0 --no_warm --work_dir WORK   # prepared + extracted
    python bench/bench_probe_head.py --work_dir WORK --mixture bimotion:all eng_adu zho_adu

For each mixture: the cached ``logmel`` features of its training and validation splits (from the
grid folder a ``bench_probe.py`` run left in ``WORK``), then :func:`bimotion.probe.head.fit_head`
with ``probe.yaml``'s head arguments twice, ``early_stopping_patience`` 0 (every epoch, the
baseline) and the shipped patience: seconds, epochs, best epoch and its validation loss, the
test weighted F1 on the mixture's own test split (mean over its test sets, %), and whether both
keep the same head.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def compare(work: Path, mixture: str, seed: int) -> dict:
    import torch
    import yaml

    from bimotion.grid import data_sources, shipped_config
    from bimotion.mixture import parse_mixture
    from bimotion.probe.cache import features_of
    from bimotion.probe.features import FeatureSpec
    from bimotion.probe.head import ProbeArguments, fit_head
    from bimotion.probe.run import score_head
    from bimotion.training.data import Sources

    config = yaml.safe_load(shipped_config("probe").read_text())
    dirs = {"bimotion": work / "data" / "bimotion", "yuemotion": work / "data" / "yuemotion"}
    sources = Sources(**data_sources(dirs, work / "grid" / "datasets-cache"))
    shards, spec = list(parse_mixture([mixture]).shards), FeatureSpec(config["features"])
    train, validation, test = (
        features_of(sources, shards, split, spec, progress=False) for split in ("train", "validation", "test")
    )
    row, heads = {"mixture": mixture, "train_clips": len(train["id"]), "seed": seed}, []
    for name, patience in (("every_epoch", 0), ("early_stopping", config["training"]["early_stopping_patience"])):
        args = ProbeArguments(**{**config["training"], "early_stopping_patience": patience})
        start = time.perf_counter()
        head, history = fit_head(train, validation, args, seed=seed)
        seconds = round(time.perf_counter() - start, 1)
        best = min(history, key=lambda h: h["validation_loss"])
        scores = score_head(head, test)
        row[name] = {"seconds": seconds, "epochs": len(history), "best_epoch": best["epoch"]}
        row[name] |= {"best_validation_loss": float(f"{best['validation_loss']:.3g}")}
        row[name] |= {"test_weighted_f1": round(100 * scores["weighted_f1"], 2)}
        heads.append(head.state_dict())
    row["same_head"] = all(torch.equal(value, heads[1][key]) for key, value in heads[0].items())
    row["speed_up"] = round(row["every_epoch"]["seconds"] / row["early_stopping"]["seconds"], 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work_dir", required=True, help="the --work_dir of a bench_probe.py run")
    parser.add_argument("--mixture", nargs="+", default=["bimotion:all"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for mixture in args.mixture:
        print(json.dumps(compare(Path(args.work_dir), mixture, args.seed)), flush=True)


if __name__ == "__main__":
    main()
