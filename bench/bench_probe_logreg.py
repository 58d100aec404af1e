"""The probe's MLP head against a plain scikit-learn logistic regression on the same cached features
of one prepared group (is a head at chance an under-fitting head, or features that do not separate?).

    bimotion prepare --source csed=CSED_DIR --output WORK/csed
    python bench/bench_probe_logreg.py --data WORK/csed --group zho_eld --features logmel egemaps \\
        --cache WORK/cache

Per feature set: the head (``probe.yaml``'s arguments, ``feature_clip`` as shipped and 0) over
``--seeds``, and a standardised logistic regression (one vs rest, one sigmoid per label as the
paper's metric reads them; C 0.01, 0.1, 1) trained on the same training split; each scored by
:func:`bimotion.training.metrics.scores` on the test split: weighted F1 (sigmoid > 0.5), arg-max
weighted F1 and UA (single-label corpora), beside the test set's chance level.
"""

from __future__ import annotations

import argparse

import numpy as np


def _load(data: str, group: str, features: str, cache: str | None) -> dict:
    from bimotion.data.held import held_shards
    from bimotion.mixture import parse_mixture
    from bimotion.probe.cache import features_of
    from bimotion.probe.features import FeatureSpec
    from bimotion.training.data import Sources

    sources = Sources(data, None, cache)
    shards = parse_mixture([group]).shards
    return {
        split: features_of(
            sources, held_shards(sources.path, shards, split), split, FeatureSpec(features), progress=False
        )
        for split in ("train", "validation", "test")
    }


def _row(name: str, logits: np.ndarray, test: dict) -> str:
    from bimotion.training.metrics import scores

    s = scores(logits, test["labels"], test["label_mask"])
    ua = s.get("unweighted_accuracy", float("nan"))
    return (f"  {name:<28} weighted F1 {100 * s['weighted_f1']:5.1f}  arg-max {100 * s['weighted_f1_argmax']:5.1f}"
            f"  UA {100 * ua:5.1f}  (chance {100 * s['chance']['chance']:.1f})")  # fmt: skip


def compare(data: dict, seeds: list[int]) -> list[str]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from bimotion.grid import load_config, shipped_config
    from bimotion.probe.head import ProbeArguments, fit_head, head_outputs

    train, test = data["train"], data["test"]
    lines, shipped = [], ProbeArguments(**load_config(shipped_config("probe")).training)
    for clip in (shipped.feature_clip, 0.0):
        for seed in seeds:
            args = ProbeArguments(**{**shipped.__dict__, "feature_clip": clip})
            head, history = fit_head(train, data["validation"], args, seed=seed)
            best = min(history, key=lambda h: h["validation_loss"])["epoch"]
            lines.append(
                _row(f"MLP clip {clip:g} seed {seed} (ep {best})", head_outputs(head, test["features"])[0], test)
            )
    labels = np.flatnonzero(train["label_mask"].any(0))
    x_train, x_test = (d["features"].reshape(len(d["features"]), -1) for d in (train, test))
    for c in (0.01, 0.1, 1.0):
        model = make_pipeline(StandardScaler(), OneVsRestClassifier(LogisticRegression(C=c, max_iter=5000)))
        model.fit(x_train, train["labels"][:, labels])
        logits = np.full((len(x_test), test["labels"].shape[1]), -30.0, dtype=np.float32)
        logits[:, labels] = model.decision_function(x_test)
        lines.append(_row(f"logistic regression C={c:g}", logits, test))
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a prepared BiMotion folder (bimotion prepare)")
    parser.add_argument("--group", default="zho_eld")
    parser.add_argument("--features", nargs="+", default=["logmel"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--cache", default=None, help="the features' cache root (default: the datasets cache)")
    args = parser.parse_args(argv)
    for features in args.features:
        print(f"{features} on {args.group} of {args.data}:")
        print("\n".join(compare(_load(args.data, args.group, features, args.cache), args.seeds)))


if __name__ == "__main__":
    main()
