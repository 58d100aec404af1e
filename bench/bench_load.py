"""Loading a prepared folder's configs again and again, as a grid does (each model's train, validation
and test splits, the grid's test sets, the projections): ``bimotion.load`` against the plain
``datasets.load_dataset`` it ran before (a new builder each time: the card's YAML parsed, the data
files hashed), same folder, same cache, same run.

    python bench/bench_load.py            # --scale 8 (bimotion demo's data) --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

CONFIGS = ("eng_eld", "eng_adu", "zho_eld", "zho_adu")
SPLITS = ("train", "validation", "test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=8, help="generated corpora's scale (default: 8, the demo's)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of loading every config's splits (default: 3)")
    args = parser.parse_args()

    import datasets

    import bimotion
    from bimotion.data import layout
    from bimotion.grid import prepare_fixtures

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        folder = prepare_fixtures(Path(tmp) / "fx", scale=args.scale)["bimotion"]
        cache = Path(tmp) / "cache"
        ways = {
            "datasets.load_dataset, a builder per load (before)": lambda c, s: datasets.load_dataset(
                str(folder), c, split=s, cache_dir=str(layout.cache_dir(folder, cache))
            ),
            "bimotion.load, a builder per config (after)": lambda c, s: bimotion.load(folder, c, s, cache_dir=cache),
        }
        for load in ways.values():  # the Arrow cache written, the builders made: what every later load finds
            for config in CONFIGS:
                load(config, "train")
        card_kb = (folder / layout.CARD_FILE).stat().st_size / 1000
        print(f"{len(CONFIGS)} configs x {len(SPLITS)} splits, {args.repeats} rounds; card {card_kb:.0f} kB")
        print("| | loads | ms per load (median of rounds) | vs before |\n|---|--:|--:|--:|")
        base = None
        for name, load in ways.items():
            rounds = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                for config in CONFIGS:
                    for split in SPLITS:
                        load(config, split)
                rounds.append((time.perf_counter() - start) / (len(CONFIGS) * len(SPLITS)))
            ms = 1000 * statistics.median(rounds)
            base = base or ms
            print(f"| {name} | {len(CONFIGS) * len(SPLITS)} | {ms:.1f} | {ms / base:.3f} |")


if __name__ == "__main__":
    main()
