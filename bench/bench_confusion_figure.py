"""Writing one model's confusion figures, as ``bimotion demo``'s grid does for every model
(``metrics/<model>/seed0.confusion.png``): the demo's eleven (group, corpus) test sets, so a figure
11.1 in tall, saved whole as PNG and SVG and in two page-sized parts of each.  CPU seconds of this process
(the machine's other jobs count less than in wall time) to draw the figure
(:func:`bimotion.training.confusion_plot.confusion_figure`) and to save it
(:func:`bimotion.figures.save_figure`), median of the repeats.

    python bench/bench_confusion_figure.py            # --repeats 5

To compare two versions, run it from each checkout in turn, in the same session (the machine's other
jobs change absolute times more than the ratio)."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

SIX = ["sadness", "fear", "anger", "happiness", "disgust", "neutral"]
TESS = [*SIX, "surprise"]
ESD = ["sadness", "anger", "happiness", "neutral", "surprise"]
IEMOCAP = [*TESS, "excitement", "frustration", "other", "unknown"]
ELDERREACT = [*SIX[:5], "surprise"]
TEST_SETS = [  # bimotion demo's: (group, corpus, labels, clips)
    ("eng_eld", "crema_d", SIX, 100), ("eng_eld", "tess", TESS, 60), ("eng_eld", "elderreact", ELDERREACT, 24),
    ("eng_adu", "crema_d", SIX, 28), ("eng_adu", "tess", TESS, 60), ("eng_adu", "esd", ESD, 80),
    ("eng_adu", "iemocap", IEMOCAP, 18), ("zho_eld", "csed", ["neutral", "positive", "negative"], 236),
    ("zho_adu", "esd", ESD, 80), ("yue_adu", "yuemotion", SIX, 42), ("yue_eld", "yuemotion", SIX, 42),
]  # fmt: skip
TITLE = "Trained on English adults (seed 0): confusion on every test set"


def demo_scores() -> dict:
    """score_groups' result over the demo's test sets, predictions drawn at random (seed 0)."""
    import numpy as np

    from bimotion.training.metrics import score_groups
    from loaders.labels import LABEL2ID, LABELS

    rng = np.random.default_rng(0)
    parts = []
    for group, corpus, space, clips in TEST_SETS:
        labels = np.zeros((clips, len(LABELS)), dtype=np.int8)
        mask = np.zeros_like(labels)
        mask[:, [LABEL2ID[lb] for lb in space]] = 1
        for i in range(clips):
            chosen = rng.choice(space, size=2 if corpus == "elderreact" and i % 2 else 1, replace=False)
            labels[i, [LABEL2ID[lb] for lb in chosen]] = 1
        parts.append((rng.normal(0, 2, labels.shape), labels, mask, [corpus] * clips, [group] * clips))
    return score_groups(*(np.concatenate([p[j] for p in parts]) for j in range(5)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="figures drawn and saved (default: 5)")
    args = parser.parse_args()

    from bimotion.figures import notes_once, save_figure
    from bimotion.training.confusion_plot import confusion_figure

    scores = demo_scores()
    with tempfile.TemporaryDirectory(prefix="bench-confusion-") as tmp, notes_once(tmp):
        save_figure(confusion_figure(scores, TITLE), Path(tmp) / "seed0.confusion.png")  # fonts, caches, its note said
        drawn, saved, files = [], [], []
        for k in range(args.repeats):
            start = time.process_time()
            fig = confusion_figure(scores, TITLE)
            drawn.append(time.process_time() - start)
            start = time.process_time()
            files = save_figure(fig, Path(tmp) / f"model{k}" / "seed0.confusion.png", metadata={"Title": TITLE})
            saved.append(time.process_time() - start)
    names = ", ".join(p.name for p in files)
    print(f"{len(TEST_SETS)} panels, {args.repeats} repeats; files: {names}")
    print("| | CPU s (median) | min | max |\n|---|--:|--:|--:|")
    for name, times in (("draw the figure", drawn), ("save it (all files)", saved)):
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
