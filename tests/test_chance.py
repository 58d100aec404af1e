"""Every score with its context: chance levels against hand-computed values, untrained labels scored
as predicted absent, the three group aggregations, and the tables' chance column and marks."""

from __future__ import annotations

import numpy as np
import pytest

from bimotion import paper
from bimotion.grid.config import GridConfig
from bimotion.grid.plan import make_plan
from bimotion.grid.report import GridResult, render_csv, render_latex, render_markdown
from bimotion.grid.scoring import CellResult, chance_of_test
from bimotion.training.bootstrap import score_test
from bimotion.training.f1 import weighted_f1
from bimotion.training.metrics import chance_levels, score_groups, scores, trained_mask
from loaders.labels import LABEL2ID, LABELS


def _matrix(rows: list[dict[str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(labels, mask) of clips given as {label: 0/1} over the labels each annotates."""
    labels, mask = np.zeros((len(rows), len(LABELS)), np.int8), np.zeros((len(rows), len(LABELS)), np.int8)
    for i, row in enumerate(rows):
        for name, value in row.items():
            labels[i, LABEL2ID[name]], mask[i, LABEL2ID[name]] = value, 1
    return labels, mask


SPACE = ("anger", "happiness", "neutral")


def _single(*truths: str) -> tuple[np.ndarray, np.ndarray]:
    return _matrix([{name: int(name == t) for name in SPACE} for t in truths])


def test_chance_levels_of_a_single_label_set_by_hand():
    labels, mask = _single("anger", "anger", "happiness", "neutral")
    # all-positive: F1 = 2s/(s + n) per label = 2/3, 2/5, 2/5; weighted by support 2, 1, 1
    # prior-matched: F1 = prevalence = 1/2, 1/4, 1/4; weighted by support
    got = chance_levels(labels, mask)
    assert got["all_positive"] == pytest.approx((2 * 2 / 3 + 0.4 + 0.4) / 4)
    assert got["prior_matched"] == pytest.approx((2 * 0.5 + 0.25 + 0.25) / 4)
    assert got["chance"] == got["all_positive"]
    assert got["macro_f1"] == pytest.approx((2 / 3 + 0.4 + 0.4) / 3)
    assert got["unweighted_accuracy"] == pytest.approx(1 / 3)
    # the all-positive value is the kernel's on an all-ones prediction
    assert got["all_positive"] == pytest.approx(weighted_f1(np.ones_like(labels), labels, mask)[0])


def test_chance_counts_only_the_clips_that_annotate_a_label():
    # sadness annotated on 2 of 4 clips (1 positive); anger on all 4 (3 positives): multi-label
    labels, mask = _matrix([{"anger": 1, "sadness": 1}, {"anger": 1, "sadness": 0}, {"anger": 1}, {"anger": 0}])
    got = chance_levels(labels, mask)
    assert got["all_positive"] == pytest.approx((3 * (6 / 7) + 1 * (2 / 3)) / 4)
    assert got["prior_matched"] == pytest.approx((3 * 0.75 + 1 * 0.5) / 4)
    assert "unweighted_accuracy" not in got


def test_prior_matched_chance_is_what_a_random_prior_predictor_scores():
    """The exact value (F1 of the expected counts) against a fixed-seed simulation on many clips."""
    rng = np.random.default_rng(0)
    labels, mask = _single(*rng.choice(SPACE, size=4000, p=[0.6, 0.3, 0.1]))
    prevalence = labels.sum(0) / np.maximum(mask.sum(0), 1)
    draws = [weighted_f1((rng.random(labels.shape) < prevalence).astype(int), labels, mask)[0] for _ in range(20)]
    assert np.mean(draws) == pytest.approx(chance_levels(labels, mask)["prior_matched"], abs=0.01)


def test_scores_report_chance_and_untrained_labels_are_predicted_absent():
    labels, mask = _single("anger", "anger", "happiness", "neutral")
    logits = np.full(labels.shape, 5.0)  # predicts every label present: exactly the all-positive predictor
    s = scores(logits, labels, mask)
    assert s["weighted_f1"] == pytest.approx(s["chance"]["chance"])
    assert s["annotated_labels"] == list(SPACE) and s["untrained_labels"] == []
    trained = [name for name in LABELS if name != "anger"]
    u = scores(logits, labels, mask, trained=trained_mask(trained))
    assert u["untrained_labels"] == ["anger"] and u["per_label"]["anger"]["f1"] == 0.0
    assert u["weighted_f1"] == pytest.approx((0.4 + 0.4) / 4)  # anger's support still counts, its F1 is 0
    forced = logits.copy()
    forced[:, LABEL2ID["anger"]] = -5.0
    assert u["weighted_f1"] == scores(forced, labels, mask)["weighted_f1"]
    assert u["loss"] == s["loss"]  # the loss reads the raw logits
    g = score_groups(logits, labels, mask, ["crema_d"] * 4, ["eng_adu"] * 4, trained_labels=trained)
    assert g["trained_labels"] == trained and g["groups"]["eng_adu"]["untrained_labels"] == ["anger"]
    pred = {"id": np.arange(4).astype(str), "corpus": np.array(["crema_d"] * 4), "group": np.array(["eng_adu"] * 4),
            "logits": logits, "labels": labels, "label_mask": mask}  # fmt: skip
    values, _ = score_test([pred], samples=0, confidence=0.95, trained=[trained_mask(trained)])
    assert values[0] == pytest.approx(100 * u["weighted_f1"])
    with pytest.raises(ValueError, match="not BiMotion labels"):
        trained_mask(["anger", "boredom"])


def _two_corpora() -> dict:
    """Corpus a: 2 clips, anger predicted right (F1 1).  Corpus b: 4 clips, anger [1,1,0,0] predicted
    [1,0,0,0] (tp 1, fn 1: F1 2/3).  Pooled: tp 3, fn 1: F1 6/7."""
    labels, mask = _matrix([{"anger": y} for y in (1, 1, 1, 1, 0, 0)])
    logits = np.full(labels.shape, -5.0)
    logits[[0, 1, 2], LABEL2ID["anger"]] = 5.0
    return {"id": np.arange(6).astype(str), "corpus": np.array(["a"] * 2 + ["b"] * 4),
            "group": np.array(["eng_eld"] * 6), "logits": logits, "labels": labels, "label_mask": mask}  # fmt: skip


@pytest.mark.parametrize(
    "mode, expected", [("mean", (1 + 2 / 3) / 2), ("weighted", (2 * 1 + 4 * 2 / 3) / 6), ("pooled", 6 / 7)]
)
def test_group_aggregation_modes_by_hand(mode, expected):
    pred = _two_corpora()
    out = score_groups(pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"],
                       group_score=mode)  # fmt: skip
    group = out["groups"]["eng_eld"]
    assert out["group_score"] == mode and group["weighted_f1"] == pytest.approx(expected)
    assert group["weighted_f1_by"][mode] == pytest.approx(expected)
    values, boot = score_test([pred], samples=50, confidence=0.95, group_score=mode)
    assert values[0] == pytest.approx(100 * expected) and len(boot) == 50
    # chance combines the same way: a's all-positive F1 is 1, b's 2*2/(2+4) = 2/3, pooled 2*4/(4+6)
    chance = {"mean": (1 + 2 / 3) / 2, "weighted": (2 + 4 * 2 / 3) / 6, "pooled": 0.8}[mode]
    assert chance_of_test(pred, mode)["chance"] == pytest.approx(100 * chance)
    assert group["chance"]["chance"] == pytest.approx(chance)
    with pytest.raises(ValueError, match="group_score"):
        score_test([pred], samples=0, confidence=0.95, group_score="median")


def test_pooled_arg_max_chance_is_what_a_blind_guesser_among_each_clips_own_labels_scores():
    """Pooled, the arg-max chance level guessed over every corpus's labels at once (e.g. anger for a
    clip annotated only positive/negative/neutral), which the arg-max reading never predicts: 27.7 here.
    A blind guesser restricted to each clip's own annotated labels knows that label space's clips:
    always corpus a's most frequent (anger) and b's (neutral) scores 51.6; choosing among a's labels
    by the pool's frequencies instead (neutral for a too, 39.7) understated it.  The truth by brute
    force: scikit-learn's weighted F1 of always each label space's most frequent label, and of guessing
    its labels at their frequencies among its clips, over the clips repeated 300 times."""
    from sklearn.metrics import f1_score

    a, b = ("anger", "happiness", "neutral"), ("positive", "negative", "neutral")
    truths = [(a, "anger")] * 6 + [(a, "happiness")] * 3 + [(a, "neutral")] + [(b, "positive")] * 2 + \
        [(b, "negative")] * 2 + [(b, "neutral")] * 8  # fmt: skip
    labels, mask = _matrix([{name: int(name == t) for name in space} for space, t in truths])
    pred = {"id": np.arange(len(truths)).astype(str), "corpus": np.array(["a"] * 10 + ["b"] * 12),
            "group": np.array(["eng_eld"] * len(truths)), "labels": labels, "label_mask": mask}  # fmt: skip
    truth, corpus = np.tile(labels.argmax(1), 300), np.tile(pred["corpus"], 300)
    share = np.stack([np.bincount(truth[corpus == c], minlength=len(LABELS)) / (corpus == c).sum() for c in corpus])
    frequent = f1_score(truth, share.argmax(1), average="weighted")
    rng = np.random.default_rng(0)
    cumulative = share.cumsum(1)
    guessed = [f1_score(truth, (cumulative < rng.random((len(truth), 1))).sum(1), average="weighted") for _ in range(5)]
    expected = 100 * max(frequent, float(np.mean(guessed)))
    assert expected == pytest.approx(51.6, abs=0.1)  # always anger for a, neutral for b
    assert chance_of_test(pred, "pooled", "weighted_f1_argmax")["chance"] == pytest.approx(expected, abs=0.5)
    out = score_groups(labels.astype(float), labels, mask, pred["corpus"], pred["group"], group_score="pooled")
    assert 100 * out["groups"]["eng_eld"]["chance"]["weighted_f1_argmax"] == pytest.approx(expected, abs=0.5)
    # a corpus alone is one label space: its level is the closed form p * 2p / (1 + p) or sum p_k^2
    alone = chance_of_test({k: v[10:] for k, v in pred.items()}, "pooled", "weighted_f1_argmax")["chance"]
    assert alone == pytest.approx(100 * max(8 / 12 * (16 / 12) / (20 / 12), (4 + 4 + 64) / 144))


def test_pooled_ua_chance_is_what_a_blind_guesser_among_each_clips_own_labels_scores():
    """Pooled, UA's chance level was 1 / classes present, as if a blind guesser could pick any corpus's
    label for any clip: two corpora of 2 labels each, none shared, said 25 % where a guesser restricted
    to each clip's own annotated labels scores 50 % (always one of them per corpus).  The truth by brute
    force: scikit-learn's balanced accuracy of every blind guess per label space (one label each; a
    random mix of them, simulated, scores their mean, never more)."""
    import itertools

    from sklearn.metrics import balanced_accuracy_score

    a, b, c = ("anger", "sadness"), ("positive", "negative"), ("neutral", "happiness", "surprise")
    cases = {
        "none shared": [(a, "anger")] * 3 + [(a, "sadness")] * 5 + [(b, "positive")] * 2 + [(b, "negative")] * 4,
        "neutral shared": [(a + ("neutral",), "anger")] * 2 + [(a + ("neutral",), "neutral")] * 6 + \
            [(a + ("neutral",), "sadness")] + [(c, "neutral")] * 3 + [(c, "happiness")] * 4 + [(c, "surprise")],
    }  # fmt: skip
    rng = np.random.default_rng(0)
    for name, truths in cases.items():
        labels, mask = _matrix([{label: int(label == t) for label in space} for space, t in truths])
        truth, spaces = labels.argmax(1), [space for space, _ in truths]
        kinds = list(dict.fromkeys(spaces))
        brute = []
        for picks in itertools.product(*kinds):
            guess = [LABEL2ID[picks[kinds.index(space)]] for space in spaces]
            brute.append(balanced_accuracy_score(truth, guess))
        mixed = np.mean(
            [balanced_accuracy_score(truth, [LABEL2ID[rng.choice(space)] for space in spaces]) for _ in range(2000)]
        )
        assert mixed < max(brute), name
        corpora, groups = np.array(["+".join(space) for space in spaces]), np.array(["eng_eld"] * len(truths))
        out = score_groups(labels.astype(float), labels, mask, corpora, groups, group_score="pooled")
        assert out["groups"]["eng_eld"]["pooled"]["chance"]["unweighted_accuracy"] == pytest.approx(max(brute)), name
        assert chance_levels(labels, mask)["unweighted_accuracy"] == pytest.approx(max(brute)), name
        assert max(brute) == pytest.approx({"none shared": 1 / 2, "neutral shared": 2 / 5}[name]), name  # was 1/4, 1/5
    # one label space, as every corpus alone: exactly 1 / classes present (here 3 of the 4 it annotates)
    alone = ("anger", "neutral", "neutral", "happiness")
    labels, mask = _matrix([{k: int(k == t) for k in SPACE + ("sadness",)} for t in alone])
    assert chance_levels(labels, mask)["unweighted_accuracy"] == 1 / 3


def _result(tmp_path, chance: float) -> GridResult:
    """Table 3 with every cell at 50 % and one (baseline on eng_eld) at 30 %, chance ``chance`` %."""
    config = GridConfig(tables=["table3"], bootstrap_samples=10)
    plan = make_plan(config)
    cells = []
    for row in paper.TABLE3.rows:
        for col in paper.TABLE3.columns:
            cell = paper.TABLE3.cell(row.key, col.key)
            mean = 30.0 if (row.key, col.key) == ("baseline", "eng_eld") else 50.0
            cells.append(CellResult("table3", row.key, col.key, cell.train, cell.test, [0], [mean], mean, 0.0,
                                    mean - 5, mean + 5, 10, cell.paper, chance=chance))  # fmt: skip
    averages = {("table3", r.key): {"values": [45.0], "mean": 45.0, "std": 0.0, "ci_low": 40.0, "ci_high": 50.0}
                for r in paper.TABLE3.rows}  # fmt: skip
    return GridResult(tmp_path, config, plan, cells, averages, {}, [], [], {}, {})


def test_tables_carry_chance_and_mark_cells_at_or_below_it(tmp_path):
    import csv
    import io

    result = _result(tmp_path, chance=40.0)
    md = render_markdown(result, paper.TABLE3)
    assert "| 30.00† [25.0, 35.0] |" in md and "50.00 [45.0, 55.0] |" in md and "50.00†" not in md
    assert md.count("†") == 1 + 1  # the one cell, and the note explaining the mark
    assert "| Chance level | 40.00 | – | – |" in md
    rows = list(csv.DictReader(io.StringIO(render_csv(result, paper.TABLE3))))
    assert all(r["chance"] == "40.0000" for r in rows)
    assert {"mean", "ci_low", "paper", "diff", "chance"} <= set(rows[0])
    assert r"30.00$^\dagger$" in render_latex(result, paper.TABLE3)
    at = render_markdown(_result(tmp_path, chance=50.0), paper.TABLE3)  # at chance counts too
    assert "50.00† [45.0, 55.0]" in at


def test_latex_caption_is_numbered_once_and_says_what_the_markdown_notes_say(tmp_path):
    """The caption began 'Table 3:', so LaTeX printed 'Table 1: Table 3: ...', and it did not say
    what the brackets are, which seeds, or which models never trained on a test set's labels."""
    import re

    result = _result(tmp_path, chance=40.0)
    result.cells[0].untrained = ["fear", "disgust"]
    tex = render_latex(result, paper.TABLE3)
    caption = next(line for line in tex.splitlines() if line.startswith(r"\caption"))
    assert "Table" not in caption and r"\label{tab:table3}" in tex
    assert caption.startswith(r"\caption[Cross-group inference on BiMotion (weighted F1, \%)]{Cross-group inference")
    assert r"[95\% bootstrap CI over test speakers" in caption and "10 resamples" in caption and "seed 0" in caption
    assert r"\texttt{zho\_adu} on eng\_eld: fear, disgust" in caption  # the note of the untrained labels
    assert r"$^\dagger$ at or below chance" in caption and r"$\Delta$ = ours $-$ paper" in caption
    assert caption.count("{") == caption.count("}") and "`" not in caption
    assert not re.search(r"(?<!\\)[_%]", caption)  # every _ and % escaped


def test_latex_prints_comparisons_in_math_mode(tmp_path):
    """The notes say "sigmoid > 0.5": a bare > in LaTeX's text mode prints as an inverted question
    mark in the default OT1 font encoding (pdflatex without fontenc T1)."""
    import re

    tex = render_latex(_result(tmp_path, chance=40.0), paper.TABLE3)
    assert "sigmoid $>$ 0.5" in tex
    assert not re.search(r"(?<!\$)[<>]", tex)  # every < and > in math mode
    assert r"Ours & Paper & $\Delta$ \\" in tex  # real data: the paper's columns are not marked


def test_confusion_counts_by_hand_and_they_sum_to_the_clips(tmp_path):
    import matplotlib.image

    from bimotion.training.confusion_plot import draw_confusion, panels

    labels, mask = _single("anger", "anger", "happiness", "neutral", "neutral")
    logits = np.full(labels.shape, -5.0)
    for clip, guess in enumerate(("anger", "happiness", "happiness", "anger", "neutral")):
        logits[clip, LABEL2ID[guess]] = 5.0
    single = scores(logits, labels, mask)["confusion"]
    assert single["kind"] == "single_label" and single["labels"] == list(SPACE)  # rows: truth; columns: arg-max
    assert single["matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 1]] and single["no_prediction"] == [0, 0, 0]
    untrained = scores(logits, labels, mask, trained=trained_mask(["sadness"]))["confusion"]
    assert untrained["no_prediction"] == [2, 1, 2] and np.sum(untrained["matrix"]) == 0  # nothing to choose from
    # multi-label (anger on 4 clips, sadness annotated on 2): per-label counts over the clips annotating it
    labels, mask = _matrix([{"anger": 1, "sadness": 1}, {"anger": 1, "sadness": 0}, {"anger": 1}, {"anger": 0}])
    logits = np.full(labels.shape, -5.0)
    logits[[0, 3], LABEL2ID["anger"]] = logits[[1], LABEL2ID["sadness"]] = 5.0
    multi = scores(logits, labels, mask)["confusion"]
    assert multi["kind"] == "multi_label" and multi["labels"] == ["sadness", "anger"]  # LABELS order
    assert multi["counts"]["anger"] == {"tp": 1, "fp": 1, "fn": 2, "tn": 0}
    assert multi["counts"]["sadness"] == {"tp": 0, "fp": 1, "fn": 1, "tn": 0}

    single_set = _single("anger", "happiness", "neutral", "neutral")
    both = score_groups(np.vstack([np.zeros(single_set[0].shape), logits]), np.vstack([single_set[0], labels]),
                        np.vstack([single_set[1], mask]), ["crema_d"] * 4 + ["elderreact"] * 4,
                        ["eng_adu"] * 4 + ["eng_eld"] * 4)  # fmt: skip
    found = panels(both)
    # named for a reader, as the heat map names them (were the specs "eng_adu · crema_d", "eng_eld · elderreact")
    assert [title for title, *_ in found] == ["English adults · CREMA-D", "English elderly · ElderReact"]
    for _, conf, clips, _ in found:  # every clip counted once per matrix (per label for multi-label)
        if conf["kind"] == "single_label":
            assert np.sum(conf["matrix"]) + sum(conf["no_prediction"]) == clips == 4
        else:
            assert all(sum(c.values()) == int(mask[:, LABEL2ID[lb]].sum()) for lb, c in conf["counts"].items())
    # each panel gives the score its counts make, beside its chance level: UA (arg-max), weighted F1 (> 0.5)
    adu, eld = both["groups"]["eng_adu"]["corpora"]["crema_d"], both["groups"]["eng_eld"]["corpora"]["elderreact"]
    assert [score for *_, score in found] == [  # both at or below chance: marked as the tables mark them
        f"UA {100 * adu['unweighted_accuracy']:.1f}%† (chance {100 * adu['chance']['unweighted_accuracy']:.1f}%)",
        f"weighted F1 {100 * eld['weighted_f1']:.1f}%† (chance {100 * eld['chance']['chance']:.1f}%)",
    ]
    png = draw_confusion(both, tmp_path / "confusion.png", "two test sets")
    pixels = matplotlib.image.imread(png)
    assert pixels.shape[1] > 500 and pixels.std() > 0
    assert draw_confusion({"groups": {}}, tmp_path / "none.png", "empty") is None  # nothing to draw: no file
    assert not (tmp_path / "none.png").exists()


def test_the_threshold_is_read_on_the_logit_as_the_bootstrap_reads_it():
    """sigmoid rounds a float32 logit of 1e-8 to exactly 0.5: scores() called it absent while the
    grid's bootstrap (logits > 0) called it present, so one clip had two scores."""
    logits = np.full((1, 13), -5.0, dtype=np.float32)
    logits[0, 0] = 1e-8
    labels, mask = np.zeros((1, 13), dtype=np.int8), np.zeros((1, 13), dtype=np.int8)
    labels[0, 0], mask[0, :3] = 1, 1
    pred = {"id": np.array(["a"]), "group": np.array(["eng_adu"]), "corpus": np.array(["crema_d"]),
            "logits": logits, "labels": labels, "label_mask": mask}  # fmt: skip
    values, _ = score_test([pred], samples=0, confidence=0.95)
    assert scores(logits, labels, mask)["weighted_f1"] == values[0] / 100 == 1.0
    with pytest.raises(ValueError, match="threshold must be a probability"):
        scores(logits, labels, mask, threshold=1.0)


@pytest.mark.parametrize("title", ["Trained on Mandarin elderly (seed 0): confusion on the test split",
                                   "Trained on all of YueMotion + ESD English adults + ESD Mandarin adults (seed 0): confusion on every test set"])  # fmt: skip
def test_a_one_panel_confusion_figure_shows_its_whole_title_and_legend(title):
    """A one-panel figure was 3.4 in wide: its title line 'colour: share of the row; numbers: clips
    (blank: none)' was cut at both edges.  Every title line lies inside the figure, and the panel's."""
    import matplotlib.pyplot as plt

    from bimotion.training.confusion_plot import confusion_figure, legend, panels

    labels, mask = _single("anger", "happiness", "neutral", "neutral")
    result = score_groups(np.zeros(labels.shape), labels, mask, ["csed"] * 4, ["zho_eld"] * 4)
    fig = confusion_figure(result, title)
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    shown = next(t for t in fig.texts if t.get_gid() == "legend")  # under the title, at the text's size
    key = legend(panels(result), short=False)
    assert " ".join(fig._suptitle.get_text().split()) == title and " ".join(shown.get_text().split()) == key
    for text in (fig._suptitle, shown, fig.axes[0].title):  # wrapped, never shortened
        box = text.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and box.y1 <= frame.y1, text.get_text()
    assert fig.axes[0].title.get_window_extent(renderer).y1 < shown.get_window_extent(renderer).y0
    assert shown.get_window_extent(renderer).y1 < fig._suptitle.get_window_extent(renderer).y0
    plt.close(fig)


def test_the_end_table_says_which_groups_annotate_labels_the_model_never_trained_on():
    """train.py and infer.py ended with a zho_eld model at 6.1† on eng_eld and 14.0† on zho_adu and no
    word why (the demo's tables mark such cells with '*'; docs/recipes.md explained it in prose): the
    table now names the groups whose test sets annotate labels the model never trained on."""
    from bimotion.training.report import scores_report

    labels, mask = _single("anger", "anger", "happiness", "neutral", "anger", "happiness", "neutral", "neutral")
    logits = np.where(labels > 0, 5.0, -5.0)  # right on every clip, but anger is not among the trained labels
    trained = [name for name in LABELS if name != "anger"]
    groups = ["eng_adu"] * 4 + ["eng_eld"] * 4
    out = score_groups(logits, labels, mask, ["crema_d"] * 8, groups, trained_labels=trained)
    text = scores_report(out)
    assert text.splitlines()[-1] == (
        "labels the model never trained on: eng_adu 1 of its 3, eng_eld 1 of its 3 (scored as predicted absent, "
        "which can put a group far below chance)"
    )
    everything = score_groups(logits, labels, mask, ["crema_d"] * 8, groups, trained_labels=list(LABELS))
    assert "never trained" not in scores_report(everything)


def test_the_end_table_has_no_line_ending_in_blanks():
    """The "all (mean of test sets)" row ended in five spaces (its clips cell is empty, right-aligned):
    loaders.tables strips every printed line, whatever its last cell."""
    from bimotion.training.report import scores_report

    labels, mask = _single("anger", "happiness", "neutral", "anger", "happiness", "neutral")
    out = score_groups(
        np.where(labels > 0, 5.0, -5.0), labels, mask, ["crema_d"] * 6, ["eng_adu"] * 3 + ["eng_eld"] * 3
    )
    lines = scores_report(out).splitlines()
    assert any(line.startswith("all (mean of test sets)") for line in lines), lines
    assert [line for line in lines if line != line.rstrip()] == []


def test_the_end_table_says_why_a_group_scored_0_and_reads_the_scores_by_arg_max():
    """After 20 steps a new user's every group scored 0.0 with only "at or below chance" to read: a
    model early in training predicts no label at the 0.5 threshold.  The table now says so, and gives
    the arg-max reading of the same scores (the authors' code's) beside its own chance level."""
    from bimotion.training.report import scores_report

    labels, mask = _single("anger", "anger", "happiness", "neutral", "anger", "happiness", "neutral", "neutral")
    logits = np.where(labels > 0, -1.0, -3.0)  # every score under 0.5, the right label's highest
    groups = ["eng_adu"] * 4 + ["eng_eld"] * 4
    out = score_groups(logits, labels, mask, ["crema_d"] * 8, groups, trained_labels=list(LABELS))
    last = scores_report(out).splitlines()[-1]
    assert last.startswith("0.0: no label predicted right at the 0.5 threshold (a model early in training predicts")
    argmax = {g: out["groups"][g]["weighted_f1_argmax"] for g in ("eng_adu", "eng_eld")}
    assert argmax == {"eng_adu": 1.0, "eng_eld": 1.0} and "eng_adu 100.0 (chance " in last
    right = score_groups(-logits, labels, mask, ["crema_d"] * 8, groups, trained_labels=list(LABELS))
    assert "0.0: no label" not in scores_report(right)


def test_the_arg_max_reading_of_a_group_scored_0_marks_one_at_or_below_chance():
    """The 0.0 line listed the arg-max readings beside their chance levels unmarked, one far below chance as
    plainly as one above (a new user's `eng_eld 2.8 (chance 15.7), ... nan_eld 43.3 (chance 33.3)`), where the
    table marks every score at or below chance †; the line now marks them alike."""
    from bimotion.training.report import scores_report

    labels, mask = _single("anger", "anger", "happiness", "neutral", "anger", "happiness", "neutral", "neutral")
    logits = np.where(labels > 0, -1.0, -3.0)  # every score under 0.5: the right label's highest ...
    logits[4:] = np.where(labels[4:] > 0, -3.0, -1.0)  # ... in eng_adu; eng_eld's lowest
    groups = ["eng_adu"] * 4 + ["eng_eld"] * 4
    out = score_groups(logits, labels, mask, ["crema_d"] * 8, groups, trained_labels=list(LABELS))
    chance = {g: 100 * out["groups"][g]["chance"]["weighted_f1_argmax"] for g in ("eng_adu", "eng_eld")}
    assert out["groups"]["eng_eld"]["weighted_f1_argmax"] == 0
    last = scores_report(out).splitlines()[-1]
    assert last.endswith(
        f": eng_adu 100.0 (chance {chance['eng_adu']:.1f}), eng_eld 0.0† (chance {chance['eng_eld']:.1f})"
    )


def test_the_end_table_reads_a_group_below_chance_at_the_threshold_by_arg_max_where_that_is_above_chance():
    """500 steps of the tiny model on the real CSED ended with `zho_eld 8.9† (chance 50.0)` and nothing
    else, though the same scores read by arg-max were 45.3 against a chance of 33.4 (UA 46.2 against
    33.3): the model ranked the labels, its scores stayed under 0.5.  The table now says so."""
    from bimotion.training.report import scores_report

    labels, mask = _single("anger", "happiness", "neutral", "neutral", "anger", "happiness", "neutral", "anger")
    logits = np.where(labels > 0, -1.0, -3.0)  # the right label highest on every clip, all under 0.5 ...
    logits[0] = np.where(labels[0] > 0, 1.0, -3.0)  # ... but the first clip's
    out = score_groups(logits, labels, mask, ["csed"] * 8, ["zho_eld"] * 8, trained_labels=list(LABELS))
    group = out["groups"]["zho_eld"]
    assert 0 < group["weighted_f1"] <= group["chance"]["chance"]
    assert group["weighted_f1_argmax"] == 1.0 > group["chance"]["weighted_f1_argmax"]
    text = scores_report(out)
    chance = 100 * group["chance"]["weighted_f1_argmax"]
    assert text.splitlines()[-1] == (
        "† at the 0.5 threshold only: read by arg-max, as the authors' code does, these are above chance (the model "
        f"ranks the labels better than chance, but its scores thresholded at 0.5 do not beat it): zho_eld 100.0 (chance {chance:.1f})"
    )
    wrong = np.where(labels > 0, -3.0, -1.0)  # the right label lowest: below chance both ways
    wrong[0] = np.where(labels[0] > 0, 1.0, -3.0)
    assert "at the 0.5 threshold only" not in scores_report(
        score_groups(wrong, labels, mask, ["csed"] * 8, ["zho_eld"] * 8, trained_labels=list(LABELS))
    )


def test_a_confusion_panel_shows_the_score_its_counts_give_beside_chance():
    """The real CSED's confusion figure (tiny model, 500 steps) showed 186 of 400 clips on the
    diagonal while the end table said 8.9† (threshold 0.5): the panel gave no number to read the
    matrix against.  It now gives its arg-max UA and that UA's chance level."""
    from bimotion.training.confusion_plot import confusion_figure

    labels, mask = _single("anger", "happiness", "neutral", "neutral")
    logits = np.where(labels > 0, -1.0, -3.0)  # all right by arg-max, nothing over 0.5
    result = score_groups(logits, labels, mask, ["csed"] * 4, ["zho_eld"] * 4)
    fig = confusion_figure(result, "Trained on Mandarin elderly (seed 0): confusion on the test split")
    assert fig.axes[0].title.get_text().splitlines() == [
        "Mandarin elderly · CSED",
        "4 clips",
        "UA 100.0% (chance 33.3%)",
    ]


def test_a_confusion_figure_reads_against_the_tables_and_heat_map():
    """A new user's demo: the heat map read "17.4† (chance 50.0)" where the confusion figure of the same
    model read "UA 33.3% (chance 33.3%)", "UA" spelled out nowhere, and an ElderReact panel "weighted F1
    30.2% (chance 42.1%)", below chance, had no † though the tables and heat map mark it.  Each panel's
    score at or below chance is now marked †, the key spells out UA and says which metric the grid's
    tables and heat map read, in the heat map title's words ("read by arg-max"; it said the config id
    "(weighted_f1_argmax)")."""
    from bimotion.grid.report import tables_key
    from bimotion.training.confusion_plot import confusion_figure

    single = _single("anger", "happiness", "neutral", "neutral")
    multi = _matrix([{"anger": 1, "sadness": 1}, {"anger": 1, "sadness": 0}, {"anger": 0, "sadness": 1}])
    logits = np.vstack([np.zeros(single[0].shape), np.full(multi[0].shape, -5.0)])  # nothing right
    result = score_groups(logits, np.vstack([single[0], multi[0]]), np.vstack([single[1], multi[1]]),
                          ["csed"] * 4 + ["elderreact"] * 3, ["zho_eld"] * 4 + ["eng_eld"] * 3)  # fmt: skip
    config = GridConfig(tables=["table3"], metric="weighted_f1_argmax")
    fig = confusion_figure(result, "Trained on Mandarin elderly (seed 0)", tables_key(config))
    titles = [ax.title.get_text().splitlines()[-1] for ax in fig.axes]
    assert titles[0].startswith("UA ") and "%† (chance" in titles[0]
    assert titles[1].startswith("weighted F1 ") and "%† (chance" in titles[1]
    key = " ".join(next(t for t in fig.texts if t.get_gid() == "legend").get_text().split())
    assert "unweighted accuracy (UA" in key and "† at or below chance" in key
    assert "tables and heat map: weighted F1 read by arg-max of each test set" in key  # the heat map title's words
    above = score_groups(np.where(single[0] > 0, 5.0, -5.0), *single, ["csed"] * 4, ["zho_eld"] * 4)
    assert "†" not in confusion_figure(above, "above chance").axes[0].title.get_text()  # UA 100.0%: no mark
    import matplotlib.pyplot as plt

    plt.close("all")


def test_a_clip_annotating_no_label_changes_no_chance_level():
    """ua_chance ended in "ValueError: zero-size array to reduction operation maximum which has no identity"
    for a set holding a clip that annotates no label (its label space is empty: nothing to guess). Such a clip
    has no class, so both chance levels are now those of the set without it."""
    from bimotion.training.f1 import argmax_chance, ua_chance

    labels, mask = _matrix([{"anger": 1, "sadness": 0}] * 3 + [{"anger": 0, "sadness": 1}] + [{"neutral": 1}] * 2)
    empty = np.zeros((1, labels.shape[1]))
    for chance in (ua_chance, argmax_chance):
        alone = chance(labels, mask)
        assert chance(np.vstack([labels, empty]), np.vstack([mask, empty])) == alone, chance.__name__
        assert chance(empty, empty) == 0.0, chance.__name__
    assert ua_chance(labels, mask) == pytest.approx(2 / 3)  # 2 spaces, each guessing all of one class, of 3 classes


@pytest.mark.parametrize(
    ("group_score", "words"),
    [
        ("mean", "each scored on its own, then the plain mean of their scores (each corpus weighs the same)"),
        ("weighted", "each scored on its own, then the mean of their scores weighted by each corpus's test clips"),
        ("pooled", "all their clips scored together as one set"),
    ],
)
def test_the_tables_note_says_in_words_how_a_test_set_combines_its_corpora(tmp_path, group_score, words):
    """The note ended "a test set's number combines its corpora by group_score = mean": a config key, not
    words.  It says how, for each GROUP_SCORES value, and names the key so a user can find it."""
    import dataclasses

    from bimotion.training.f1 import GROUP_SCORES

    result = _result(tmp_path, chance=40.0)
    result = dataclasses.replace(result, config=dataclasses.replace(result.config, group_score=group_score))
    md = " ".join(render_markdown(result, paper.TABLE3).split())
    assert f"a test set's number combines its corpora: {words}" in md, md
    assert (
        f"; set by the grid config's `group_score: {group_score}` (its other values: " in md
        and "group_score = " not in md
    )
    assert set(GROUP_SCORES) == {"mean", "weighted", "pooled"}  # each one said above


def test_the_0_line_gives_untrained_labels_as_the_cause_where_the_model_never_trained_on_them():
    """An own corpus's ind_eld, 2 of its 3 labels never trained on, scored 0.0, and the 0.0 line said "(a model early
    in training predicts none)" under the line saying 2 of its 3 labels were never trained on: it now gives that
    cause for that group, and the early-training one for the group it applies to."""
    from bimotion.training.report import scores_report

    labels, mask = _single("anger", "happiness", "neutral", "anger", "happiness", "neutral")
    logits = np.where(labels > 0, -1.0, -3.0)  # every score under 0.5, the right label's highest
    trained = [name for name in LABELS if name not in ("anger", "happiness")]
    groups = ["eng_adu"] * 3 + ["eng_eld"] * 3
    out = score_groups(logits, labels, mask, ["crema_d"] * 6, groups, trained_labels=trained)
    zero = scores_report(out).splitlines()[-1]
    assert zero.startswith(
        "0.0: no label predicted right at the 0.5 threshold (eng_adu: 2 of its 3 labels never trained on (the line "
        "above), predicted absent, and its other 1 not predicted right; eng_eld: 2 of its 3 labels never trained "
        "on (the line above), predicted absent, and its other 1 not predicted right); the same scores read by arg-max"
    )
    mixed = score_groups(logits, labels, mask, ["crema_d"] * 6, groups, trained_labels=list(LABELS))
    mixed["groups"]["eng_eld"] = out["groups"]["eng_eld"]
    last = scores_report(mixed).splitlines()[-1]
    assert "; eng_adu: a model early in training predicts none); " in last
    assert "eng_eld: 2 of its 3 labels never trained on" in last
