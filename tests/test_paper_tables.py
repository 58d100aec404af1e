"""The paper's Tables 3-5 as data (bimotion.paper) and the grid plan built from them: which model
every cell reads, the model de-duplication, and the spec notation."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bimotion import paper, splits
from bimotion.grid.config import GridConfig, load_config, shipped_config
from bimotion.grid.plan import make_plan
from bimotion.mixture import Shard, parse_mixture
from bimotion.training.bootstrap import score_test
from bimotion.training.f1 import weighted_f1
from bimotion.training.metrics import score_groups, scores


def test_table3_rows_are_single_group_models_named_by_the_paper():
    t = paper.TABLE3
    expected = {  # target -> (cross_all, cross_age, cross_lingual, baseline)
        "eng_eld": ("zho_adu", "eng_adu", "zho_eld", "eng_eld"),
        "eng_adu": ("zho_eld", "eng_eld", "zho_adu", "eng_adu"),
        "zho_eld": ("eng_adu", "zho_adu", "eng_eld", "zho_eld"),
        "zho_adu": ("eng_eld", "zho_eld", "eng_adu", "zho_adu"),
    }
    for target, models in expected.items():
        for row, model in zip(("cross_all", "cross_age", "cross_lingual", "baseline"), models, strict=True):
            cell = t.cell(row, target)
            assert (cell.train, cell.test) == (model, target)
    assert t.cell("cross_lingual", "eng_eld").paper == 14.54


def test_table4_rows_are_augmented_mixtures():
    t = paper.TABLE4
    assert [t.cell(r, "zho_eld").train for r in ("cross_all", "cross_age", "cross_lingual", "baseline")] == [
        "bimotion:all",
        "zho",
        "eld",
        "zho_eld",
    ]
    assert set(parse_mixture("eld").shards) == set(parse_mixture("eng_eld").shards) | set(
        parse_mixture("zho_eld").shards
    )
    assert t.cell("cross_all", "eng_adu").paper == 77.24


def test_table5_uses_esd_halves_and_keeps_the_papers_blanks():
    t = paper.TABLE5
    assert t.cell("yue_zho", "yue").train == "yuemotion:all+zho_adu[esd]"
    assert t.cell("yue_zho", "eng").paper is None and t.cell("baseline", "yue").paper == 45.33
    assert parse_mixture("zho_adu[esd]").shards == (Shard("bimotion", "esd", "zho_adu"),)
    assert parse_mixture("eng_adu[esd]").shards == (Shard("bimotion", "esd", "eng_adu"),)
    assert set(parse_mixture(t.cell("yue_eng_zho", "zho").train).shards) == {
        Shard("yuemotion", "yuemotion", "yue_adu"),
        Shard("yuemotion", "yuemotion", "yue_eld"),
        Shard("bimotion", "esd", "eng_adu"),
        Shard("bimotion", "esd", "zho_adu"),
    }


def test_paper_numbers_and_averages():
    for table in paper.TABLES.values():
        for row in table.rows:
            assert len(table.paper[row.key]) == len(table.columns)
            if table.paper_average:
                mean = float(np.mean(table.paper[row.key]))
                if (table.name, row.key) in paper.PAPER_ERRATA:
                    assert abs(mean - table.paper_average[row.key]) > 10  # the printed typo
                    assert table.average(row.key) == round(mean, 2) == 69.84  # what Δ is taken from
                else:
                    assert mean == pytest.approx(table.paper_average[row.key], abs=0.006)
    # Tables 3 and 4 share the in-group baseline row
    assert paper.TABLE3.paper["baseline"] == paper.TABLE4.paper["baseline"]


def _printed_rows(text: str, caption: str) -> list[list[str]]:
    """The tab-separated rows printed after ``caption`` in the paper's text, bold marks dropped."""
    rows = []
    for line in text[text.index(caption) :].splitlines()[1:]:
        if "\t" in line:
            rows.append([re.sub(r"</?b>", "", cell).strip() for cell in line.split("\t")])
        elif rows and not line.strip():
            break
    return rows


def _number(cell: str) -> float | None:
    return None if cell == "-" else float(cell)


def test_every_number_of_tables_3_to_5_is_the_papers_as_printed(shared_dir):
    """Each cell and average of bimotion.paper against the paper's own text (../shared), row by the
    label the paper prints: a transcription slip, a row or a column missing fails here."""
    text = (shared_dir / "paper" / "cross-lingual-cross-age-ser.md").read_text(encoding="utf-8")
    for table in paper.TABLES.values():
        caption = f"Table {table.name.removeprefix('table')}:"
        printed = {}
        for cells in _printed_rows(text, caption):
            row = next((r for r in table.rows if cells[0] == r.label or cells[0].startswith(f"{r.label} (")), None)
            if row is not None:
                printed[row.key] = [_number(c) for c in cells[1:]]
        assert set(printed) == {r.key for r in table.rows}, table.name
        for key, values in printed.items():
            average = [table.paper_average[key]] if table.paper_average else []
            assert values == [*table.paper[key], *average], (table.name, key)


def test_the_split_sizes_are_the_papers_tables_1_and_2(shared_dir):
    """splits.PAPER's sizes against Table 1 (train/validation/test per corpus x group; the official
    splits' corpora are ESD and ElderReact) and its fractions against Table 2 (YueMotion by gender).
    TESS's rows are the paper's 1399/1401-file counts (see splits.PAPER)."""
    text = (shared_dir / "paper" / "cross-lingual-cross-age-ser.md").read_text(encoding="utf-8")
    corpora = {"CREMA-D": "crema_d", "CSED": "csed", "ElderReact": "elderreact", "ESD": "esd"}
    corpora |= {"IEMOCAP": "iemocap", "TESS": "tess"}
    codes = {"English": "eng", "Mandarin": "zho", "Elderly": "eld", "Adults": "adu"}
    corpus, seen = None, set()
    for name, language, age, *sizes in _printed_rows(text, "Table 1:")[1:]:
        corpus = corpora[name] if name else corpus
        group, sizes = f"{codes[language]}_{codes[age]}", tuple(map(int, sizes))
        rule = splits.PAPER[corpus]
        official = corpus in ("esd", "elderreact")
        assert isinstance(rule, splits.Official) if official else rule.sizes[group] == sizes, (corpus, group, sizes)
        seen.add((corpus, group))
    assert len(seen) == 9
    assert {(c, g) for c, rule in splits.PAPER.items() if isinstance(rule, splits.Sized) for g in rule.sizes} <= seen
    fractions = splits.PAPER["yuemotion"].otherwise
    for row in _printed_rows(text, "Table 2:")[1:3]:
        train, validation, test, total = map(int, row[-4:])
        assert (round(fractions.validation * total), round(fractions.test * total)) == (validation, test)
        assert train == total - validation - test


def test_plan_deduplicates_to_9_plus_4_models():
    plan = make_plan(GridConfig())
    assert len(plan.models) == 13
    names = [m.name for m in plan.models]
    assert set(names[:9]) == {"eng_eld", "eng_adu", "zho_eld", "zho_adu", "eng", "zho", "eld", "adu", "bimotion:all"}
    only34 = make_plan(GridConfig(tables=["table3", "table4"]))
    assert len(only34.models) == 9
    # every cell reads the model whose shards are exactly its training mixture
    for cell, model in plan.cells:
        assert set(plan.model(cell.train).shards) == set(parse_mixture(cell.train).shards)
        assert model == plan.model(cell.train).name
    # a spelled-out union is the same model
    assert plan.model("eng_eld+eng_adu").name == "eng"
    assert plan.tests[:4] == ["eng_eld", "eng_adu", "zho_eld", "zho_adu"]


def test_spec_errors_and_slugs():
    with pytest.raises(ValueError, match="has no corpus csed"):
        parse_mixture("eng_adu[csed]")
    with pytest.raises(KeyError, match=r"in more than one benchmark: write which one, bimotion:all \(crema_d"):
        parse_mixture("all")
    with pytest.raises(ValueError, match="cannot read"):
        parse_mixture("eng_eld[")
    assert parse_mixture("yuemotion:all+eng_adu[esd]").slug == "yuemotion-all+eng_adu-esd"
    with pytest.raises(
        ValueError, match=r"a grid config built in Python: unknown key 'tabels' \(did you mean 'tables'\?\)"
    ):
        load_config({"tabels": ["table3"]})
    with pytest.raises(ValueError, match="unknown tables"):
        GridConfig(tables=["table9"])


def _random_predictions(rng, n, corpora, labels_per_corpus):
    logits = rng.normal(size=(n, 13))
    corpus = np.array([corpora[i % len(corpora)] for i in range(n)])
    labels = np.zeros((n, 13), dtype=np.int8)
    mask = np.zeros((n, 13), dtype=np.int8)
    for i, c in enumerate(corpus):
        space = labels_per_corpus[c]
        mask[i, space] = 1
        labels[i, rng.choice(space)] = 1
        if c == corpora[-1] and rng.random() < 0.3:  # some multi-label clips
            labels[i, rng.choice(space)] = 1
    return {
        "id": np.array([f"{c}/{i}" for i, c in enumerate(corpus)]),
        "corpus": corpus,
        "group": np.array(["eng_eld"] * n),
        "logits": logits,
        "labels": labels,
        "label_mask": mask,
    }


def test_the_weighted_f1_kernel_equals_sklearn_and_scores_resamples_at_once():
    from sklearn.metrics import precision_recall_fscore_support

    rng = np.random.default_rng(0)
    pred = _random_predictions(
        rng, 120, ["crema_d", "elderreact"], {"crema_d": [0, 1, 2, 3, 4, 5], "elderreact": [0, 1, 2, 3, 4, 6]}
    )
    for c in ("crema_d", "elderreact"):
        rows = pred["corpus"] == c
        preds, labels, mask = (pred["logits"][rows] > 0).astype(int), pred["labels"][rows], pred["label_mask"][rows]
        annotated = [j for j in range(13) if mask[:, j].any()]
        f1 = [precision_recall_fscore_support(labels[:, j], preds[:, j], average="binary", zero_division=0)[2]
              for j in annotated]  # fmt: skip
        support = labels[:, annotated].sum(0)
        reference = float((np.array(f1) * support).sum() / support.sum())
        assert weighted_f1(preds, labels, mask)[0] == pytest.approx(reference)
        assert scores(pred["logits"][rows], labels, mask)["weighted_f1"] == pytest.approx(reference)
        # resample counts: a row of ones is the plain score, a row of twos too, a resample its subset's
        counts = np.stack([np.ones(len(labels)), 2 * np.ones(len(labels)), (np.arange(len(labels)) < 10) * 1.0])
        every, doubled, first10 = weighted_f1(preds, labels, mask, counts)
        assert every == pytest.approx(reference) and doubled == pytest.approx(reference)
        assert first10 == pytest.approx(weighted_f1(preds[:10], labels[:10], mask[:10])[0])
    values, boot = score_test([pred], samples=0, confidence=0.95)
    reference = score_groups(pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"])
    assert values[0] == pytest.approx(100 * reference["weighted_f1"])


def test_seeds_give_mean_std_and_a_bootstrap_interval_of_the_mean():
    rng = np.random.default_rng(1)
    space = {"csed": [5, 7, 8]}
    a = _random_predictions(rng, 200, ["csed"], space)
    b = dict(a, logits=a["logits"] + rng.normal(scale=2.0, size=a["logits"].shape))
    values, boot = score_test([a, b], samples=500, confidence=0.95, seed=3)
    assert len(values) == 2 and len(boot) == 500 and np.isfinite(boot).all()
    single = [score_test([p], samples=0, confidence=0.95)[0][0] for p in (a, b)]
    assert values.tolist() == pytest.approx(single)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    assert lo < values.mean() < hi
    assert 0 < hi - lo < 20
    # the same resample for every seed: the bootstrap of the mean is the mean of the seeds' bootstraps
    _, boot_a = score_test([a], samples=500, confidence=0.95, seed=3)
    assert math.isclose(
        boot.mean(), (boot_a.mean() + score_test([b], samples=500, confidence=0.95, seed=3)[1].mean()) / 2
    )
    with pytest.raises(ValueError, match="different test clips"):
        score_test([a, dict(b, id=b["id"][::-1])], samples=0, confidence=0.95)


def test_the_released_codes_metric_is_sklearns_weighted_f1_of_the_arg_max():
    """The authors' compute_metrics: arg-max of logits and labels over the test set's annotated
    labels, then scikit-learn's weighted-average F1 (multi-label clips read as their first label)."""
    from sklearn.metrics import f1_score

    from bimotion.grid.scoring import chance_of_test

    rng = np.random.default_rng(2)
    space = {"crema_d": [0, 1, 2, 3, 4, 5], "elderreact": [0, 1, 2, 3, 4, 6]}
    pred = _random_predictions(rng, 160, ["crema_d", "elderreact"], space)
    scored = score_groups(pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"])
    per_corpus = []
    for corpus, columns in space.items():
        rows = pred["corpus"] == corpus
        truth = np.argmax(pred["labels"][rows][:, columns], -1)  # the first present label
        guess = np.argmax(pred["logits"][rows][:, columns], -1)
        reference = f1_score(truth, guess, average="weighted", labels=range(len(columns)), zero_division=0)
        assert scored["groups"]["eng_eld"]["corpora"][corpus]["weighted_f1_argmax"] == pytest.approx(reference)
        per_corpus.append(reference)
    values, _ = score_test([pred], samples=0, confidence=0.95, metric="weighted_f1_argmax")
    assert values[0] == pytest.approx(100 * np.mean(per_corpus))
    assert scored["groups"]["eng_eld"]["weighted_f1_argmax"] == pytest.approx(np.mean(per_corpus))
    with pytest.raises(ValueError, match="metric must be one of"):
        score_test([pred], samples=0, confidence=0.95, metric="accuracy")
    # the two readings part ways: every clip's label ranked first, every logit above 0 (CSED-like)
    n, csed = 90, [5, 7, 8]
    truth = np.repeat(csed, n // 3)
    labels, mask = np.zeros((n, 13), dtype=np.int8), np.zeros((n, 13), dtype=np.int8)
    labels[np.arange(n), truth], mask[:, csed] = 1, 1
    logits = np.full((n, 13), 1.0)
    logits[np.arange(n), truth] = 2.0
    one = score_groups(logits, labels, mask, ["csed"] * n, ["zho_eld"] * n)["groups"]["zho_eld"]
    assert one["weighted_f1_argmax"] == 1.0 and one["weighted_f1"] == pytest.approx(one["chance"]["chance"])
    # its chance level: the better of always the most frequent label and guessing at the frequencies
    assert one["chance"]["weighted_f1_argmax"] == pytest.approx(1 / 3)  # balanced: sum p^2 = 1/3
    skewed = np.where(np.arange(n) < 72, 5, np.where(np.arange(n) < 81, 7, 8))  # 80% / 10% / 10%
    labels = np.zeros((n, 13), dtype=np.int8)
    labels[np.arange(n), skewed] = 1
    always = np.zeros((n, 13))
    always[:, 5] = 1.0
    majority = score_groups(always, labels, mask, ["csed"] * n, ["zho_eld"] * n)["groups"]["zho_eld"]
    assert majority["chance"]["weighted_f1_argmax"] == pytest.approx(majority["weighted_f1_argmax"])
    assert majority["weighted_f1_argmax"] == pytest.approx(0.8 * 1.6 / 1.8)
    test = {"labels": labels, "label_mask": mask, "group": np.array(["zho_eld"] * n), "corpus": np.array(["csed"] * n)}
    assert chance_of_test(test, metric="weighted_f1_argmax")["chance"] == pytest.approx(100 * 0.8 * 1.6 / 1.8)
    with pytest.raises(ValueError, match="metric must be one of"):
        GridConfig(metric="accuracy")


def _interval(pred, samples=2000):
    _, boot = score_test([pred], samples=samples, confidence=0.95, seed=0)
    return np.quantile(boot, [0.025, 0.975])


def test_the_bootstrap_resamples_speakers_not_clips():
    """48 clips of two speakers, every clip of A right and every clip of B wrong: resampling clips
    called it 50 +- 14 as if 48 speakers had been heard; resampling speakers says 0 to 100."""
    n = 48
    labels = np.zeros((n, 13), dtype=np.int8)
    labels[:, 0] = 1
    mask = np.zeros((n, 13), dtype=np.int8)
    mask[:, [0, 1]] = 1
    right = np.arange(n) < n // 2  # speaker A's clips
    logits = np.where(right[:, None], 5.0, -5.0) * np.where(np.arange(13) == 0, 1, -1)[None, :]
    pred = {"id": np.arange(n).astype(str), "corpus": np.array(["crema_d"] * n), "group": np.array(["eng_adu"] * n),
            "logits": logits, "labels": labels, "label_mask": mask}  # fmt: skip
    clips_lo, clips_hi = _interval(pred)
    assert 30 < clips_lo and clips_hi < 80  # the old, far too narrow interval (predictions saved without speakers)
    lo, hi = _interval(dict(pred, speaker=np.where(right, "A", "B")))
    assert lo == 0 and hi == 100
    # two speakers alike, each right on every other clip: drawing whole speakers alone gave a 0-width
    # interval; their clips' variation is kept (at least the clip bootstrap's width)
    alike = dict(pred, logits=np.where((np.arange(n) % 2 == 0)[:, None], logits[:1], logits[-1:]))
    clip_width = np.diff(_interval(alike))[0]
    assert clip_width > 10 and np.diff(_interval(dict(alike, speaker=np.where(right, "A", "B"))))[0] >= clip_width
    # a speaker of a few clips is no unit of its own: 47 clips of A and 1 of B drew B's one clip alone
    # in a quarter of the resamples (an interval up to 100); with one speaker drawn whole left, clips
    lone = np.where(np.arange(n) < n - 1, "A", "B")
    assert np.array_equal(_interval(dict(pred, speaker=lone)), [clips_lo, clips_hi])
    # the scores record what was drawn: speakers where a part had two, else clips
    from bimotion.training.bootstrap import CLIPS, RESAMPLED

    for named, drawn in ((np.where(right, "A", "B"), RESAMPLED), (np.full(n, ""), CLIPS), (lone, CLIPS)):
        got = score_groups(logits, labels, mask, pred["corpus"], pred["group"], intervals=20, speakers=named)
        assert got["intervals"]["resampled"] == drawn
    # ... derived from the resampling units themselves, whatever the speakers: "speakers" exactly where
    # some unit is a speaker the resamples draw whole (it was worked out apart from the units)
    from bimotion.training.bootstrap import _clusters, speaker_units

    rng = np.random.default_rng(0)
    for _ in range(40):
        named = rng.choice(["", "A", "B", "C", "D"], size=n, p=rng.dirichlet(np.full(5, 0.3)))
        units = _clusters({"speaker": named}, np.arange(n))
        got = score_groups(logits, labels, mask, pred["corpus"], pred["group"], intervals=5, speakers=named)
        assert got["intervals"]["resampled"] == (RESAMPLED if len(speaker_units(units)) else CLIPS), named
    # a clip without a speaker id is a speaker of its own: all of them unnamed is the clip bootstrap
    assert np.array_equal(_interval(dict(pred, speaker=np.full(n, ""))), [clips_lo, clips_hi])
    # a single speaker: its clips are the only variation there is, and they are resampled
    assert np.array_equal(_interval(dict(pred, speaker=np.full(n, "A"))), [clips_lo, clips_hi])
    # the end table of train.py and probe.py: the same, through score_groups
    grouped = score_groups(logits, labels, mask, pred["corpus"], pred["group"], intervals=2000,
                           speakers=np.where(right, "A", "B"))  # fmt: skip
    assert grouped["groups"]["eng_adu"]["weighted_f1_ci"] == [0.0, 1.0]


@pytest.mark.parametrize("name", ["paper", "demo"])
def test_shipped_grid_configs_are_valid(name):
    from dataclasses import fields

    from bimotion.projection_spec import ProjectionSpec
    from bimotion.training.spec import DataArguments, ModelArguments, RunArguments
    from bimotion.training.training_args import SERTrainingArguments

    config = load_config(shipped_config(name))
    known = {f.name for cls in (ModelArguments, DataArguments, RunArguments, SERTrainingArguments) for f in fields(cls)}
    assert set(config.training) <= known, set(config.training) - known
    plan = make_plan(config)
    assert len(plan.models) == 13
    for spec in config.projections:
        projection = ProjectionSpec.from_dict(spec)
        plan.model(projection.model)  # a model the grid trains
        for panel in projection.panels:
            assert parse_mixture(panel.train).shards
    if name == "paper":
        assert config.model_name_or_path == "facebook/wav2vec2-large-xlsr-53" and config.tiny_model is None
        assert config.training["learning_rate"] == 5e-5 and config.training["num_train_epochs"] == 20
        assert config.training["early_stopping_patience"] == 5 and config.training["dropout"] == 0.1
    else:
        assert config.tiny_model is not None
