"""The pipeline on the embedded default corpus: generate small copies of the seven corpora
(synthetic speech-like audio, in the real layouts and with their quirks), read them, prepare
BiMotion and YueMotion from them as Hub-ready datasets, check the result, load it back with plain
`datasets`, then fine-tune the paper's grid of models (a tiny wav2vec2, random weights, trainable
CNN) on the CPU and write Tables 3-5, the heat map and the feature-space projections (Figures 2-3).

The audio is SYNTHETIC and the model TINY: the demo shows that every stage runs and that the models
learn (the baseline row well above its chance level, cross-group rows below it), not how well
emotions are recognised in real speech.  With the real corpora:

  bimotion prepare --source crema_d=DIR --source tess=DIR ... --output bimotion
  yuemotion prepare --source DIR --output yuemotion
  bimotion check bimotion

Re-running with the same --output starts again from scratch (a folder the demo did not write is refused).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

DEMO_MARKER = ".bimotion-demo"  # in --output: the demo wrote this folder
HELP = "run the whole pipeline on a generated corpus with a tiny model (minutes on a laptop CPU)"
DEFAULT_SCALE = 8  # distinct generated clips: 8x the small fixtures (tens of training clips per group)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--output", "-o", default="demo", metavar="DIR", help="where everything is written (default: demo)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the generated corpus and of the splits (default: 0)"
    )
    parser.add_argument(
        "--protocol", choices=("paper", "speaker"), default="paper", help="split protocol (default: paper)"
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=DEFAULT_SCALE,
        help=f"generate about SCALE times the small fixtures' distinct clips (default: {DEFAULT_SCALE})",
    )
    parser.add_argument(
        "--config", metavar="YAML", default=None, help="grid config to run (default: the shipped demo.yaml)"
    )
    parser.add_argument("--no-grid", action="store_true", help="stop after the datasets (skip training the grid)")


def run(args) -> int:
    out = Path(args.output)
    start = time.perf_counter()
    _fresh_output(out)
    print(f"[1/5] generating the seven fixture corpora in {out / 'raw'} ...", flush=True)
    roots = _generate_corpora(out / "raw", args.seed, args.scale)

    print(f"[2/5] preparing BiMotion and YueMotion ({args.protocol} protocol) ...", flush=True)
    data = _prepare_benchmarks(roots, out, args.protocol, args.seed)

    print("[3/5] checking the prepared folders ...", flush=True)
    problems = _check(data)

    print("[4/5] loading back with `datasets` ...", flush=True)
    _load_back(data)

    if not args.no_grid:
        from bimotion.grid import run_grid, shipped_config

        print(f"\n[5/5] training and scoring the demo grid (tiny wav2vec2, CPU) in {out / 'grid'} ...", flush=True)
        result = run_grid(args.config or shipped_config("demo"), data, out / "grid")
        print(result.markdown())
        print(f"tables, heat map and figures: {out / 'grid'}")

    minutes = (time.perf_counter() - start) / 60
    print(
        f"\nDone in {minutes:.1f} min: datasets in {data['bimotion']} and {data['yuemotion']} "
        "(Parquet + README.md dataset card).\n"
        "NOTE: the corpus is synthetic; with the real corpora run `bimotion prepare --source NAME=DIR ...` "
        "(see docs/datasets.md)."
    )
    return 1 if problems else 0


def _fresh_output(out: Path) -> None:
    """Empty ``out`` (only a folder the demo wrote, marked by ``.bimotion-demo``) and mark it."""
    marker = out / DEMO_MARKER
    if out.exists() and any(out.iterdir()) and not marker.exists():
        raise SystemExit(f"error: {out} exists and was not written by `bimotion demo`; choose another --output")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    marker.touch()


def _generate_corpora(raw: Path, seed: int, scale: int) -> dict[str, Path]:
    """Write the seven fixture corpora under ``raw``, print what a scan reads: ``{corpus: root}``."""
    from loaders.manifest import scan, summary
    from loaders.testing import make_all

    roots = make_all(raw, seed=seed, scale=scale)
    records, _ = scan(roots, progress=False)
    print(summary(records), "\n", flush=True)
    return roots


def _prepare_benchmarks(roots: dict[str, Path], out: Path, protocol: str, seed: int) -> dict[str, Path]:
    """Prepare BiMotion from every corpus but YueMotion, and YueMotion from it: ``{benchmark: folder}``."""
    from bimotion.prepare import prepare

    sources = {
        "bimotion": {c: r for c, r in roots.items() if c != "yuemotion"},
        "yuemotion": {"yuemotion": roots["yuemotion"]},
    }
    data = {}
    for name, corpora in sources.items():
        data[name] = out / name
        prepare(corpora, data[name], benchmark=name, protocol=protocol, seed=seed, progress=False)
    return data


def _check(data: dict[str, Path]) -> int:
    """Print the check of every prepared folder; the number of problems found."""
    from bimotion.verify import format_result
    from bimotion.verify import verify as check

    problems = 0
    for name, folder in data.items():
        result = check(folder)
        print(f"--- {name}\n{format_result(result)}\n")
        problems += len(result["problems"])
    return problems


def _load_back(data: dict[str, Path]) -> None:
    """Load one config of each benchmark with ``datasets`` and print its split sizes and first test row."""
    from bimotion import load

    for name, config in (("bimotion", "eng_eld"), ("yuemotion", "yue_eld")):
        splits = {split: load(data[name], config, split) for split in ("train", "validation", "test")}
        counts = ", ".join(f"{split} {len(ds)}" for split, ds in splits.items())
        row = splits["test"][0]
        samples = row["audio"].get_all_samples()  # datasets' Audio decodes through torchcodec
        print(
            f"load_dataset({str(data[name])!r}, {config!r}): {counts}; first test row {row['id']}: "
            f"{', '.join(row['emotions']) or 'no emotion'}, {samples.data.shape[-1] / samples.sample_rate:.2f} s "
            f"at {samples.sample_rate} Hz"
        )
