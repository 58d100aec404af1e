"""Library pieces of bimotion.training: masked loss, metrics, mixtures, data loading, collator, sampler."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from bimotion.mixture import MIXTURES, Mixture, Shard, parse_mixture
from bimotion.paper import TABLE4
from bimotion.training import testing
from bimotion.training.collator import AudioCollator
from bimotion.training.data import Sources, column, load_split, manifest_hash
from bimotion.training.data_checks import split_list
from bimotion.training.loss import masked_bce, per_sample_loss
from bimotion.training.metrics import GroupMetrics, flat, score_groups, scores
from bimotion.training.mixtures import relation, resolve_mixture, shards
from bimotion.training.sampler import durations, length_grouped, longest_first
from loaders.labels import LABEL2ID, LABELS, mask

torch.set_num_threads(2)


# ---------------------------------------------------------------------------------------------- loss
def test_loss_matches_a_hand_computation_and_ignores_unannotated_labels():
    csed, crema = (
        mask(("positive", "neutral", "negative")),
        mask(("anger", "disgust", "fear", "happiness", "neutral", "sadness")),
    )
    labels = torch.zeros(2, 13)
    labels[0, LABEL2ID["positive"]] = 1
    labels[1, LABEL2ID["anger"]] = 1
    logits = torch.zeros(2, 13)
    logits[0, LABEL2ID["positive"]] = 2.0
    logits[0, LABEL2ID["negative"]] = -1.0
    logits[0, LABEL2ID["anger"]] = 50.0  # not a CSED label: must not count
    logits[1, LABEL2ID["sadness"]] = 3.0
    logits[1, LABEL2ID["positive"]] = -40.0  # not a CREMA-D label
    label_mask = torch.tensor([csed, crema], dtype=torch.float32)

    def bce(x, y):
        return -(y * math.log(1 / (1 + math.exp(-x))) + (1 - y) * math.log(1 - 1 / (1 + math.exp(-x))))

    sample0 = (bce(2.0, 1) + bce(0.0, 0) + bce(-1.0, 0)) / 3  # positive, neutral, negative
    sample1 = (bce(0.0, 1) + 4 * bce(0.0, 0) + bce(3.0, 0)) / 6  # anger=1, sadness logit 3, 4 others at 0
    got = per_sample_loss(logits, labels, label_mask)
    assert got.tolist() == pytest.approx([sample0, sample1], rel=1e-6)
    assert masked_bce(logits, labels, label_mask).item() == pytest.approx((sample0 + sample1) / 2, rel=1e-6)
    assert masked_bce(logits, labels, label_mask, 4).item() == pytest.approx((sample0 + sample1) / 4, rel=1e-6)

    # no gradient reaches the logits of labels a corpus does not annotate
    logits.requires_grad_(True)
    masked_bce(logits, labels, label_mask).backward()
    assert (logits.grad[label_mask == 0] == 0).all() and (logits.grad[label_mask == 1] != 0).any()


def test_loss_skips_samples_with_no_annotated_label():
    logits, labels = torch.randn(3, 13), torch.zeros(3, 13)
    label_mask = torch.tensor([mask(("anger",)), [0] * 13, mask(("fear", "anger"))], dtype=torch.float32)
    expected = per_sample_loss(logits, labels, label_mask)[[0, 2]].mean()
    assert per_sample_loss(logits, labels, label_mask)[1] == 0
    assert masked_bce(logits, labels, label_mask).item() == pytest.approx(expected.item())


def test_authors_loss_reduction_is_ours_divided_by_13_exactly():
    torch.manual_seed(0)
    logits, labels = torch.randn(5, 13), (torch.rand(5, 13) > 0.5).float()
    spaces = [("positive", "neutral", "negative"), ("anger", "fear"), ("sadness",), LABELS, ("anger", "happiness")]
    label_mask = torch.tensor([mask(s) for s in spaces], dtype=torch.float32)
    ours = masked_bce(logits, labels, label_mask)
    authors = masked_bce(logits, labels, label_mask, reduction="label_space")
    assert authors.item() == (ours / 13).item()
    assert (
        masked_bce(logits, labels, label_mask, 7, reduction="label_space").item()
        == (masked_bce(logits, labels, label_mask, 7) / 13).item()
    )
    # the authors' form: BCEWithLogitsLoss weighted by mask / n, averaged over batch x 13
    weight = label_mask / label_mask.sum(-1, keepdim=True)
    reference = torch.nn.BCEWithLogitsLoss(weight=weight)(logits, labels)
    assert authors.item() == pytest.approx(reference.item(), rel=1e-6)
    with pytest.raises(ValueError, match="loss reduction 'sum'"):
        masked_bce(logits, labels, label_mask, reduction="sum")


# ---------------------------------------------------------------------------------------------- metrics
def _corpus(n, space, rng, multi=False):
    labels = np.zeros((n, 13), int)
    cols = [LABEL2ID[x] for x in space]
    for i in range(n):
        picks = rng.choice(cols, size=rng.integers(0, 3), replace=False) if multi else [cols[i % len(cols)]]
        labels[i, picks] = 1
    return labels, np.tile(mask(space), (n, 1)), rng.normal(0, 2, (n, 13))


def test_weighted_f1_is_sklearns_over_the_annotated_labels():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    space = ("anger", "disgust", "fear", "happiness", "neutral", "sadness")
    labels, m, logits = _corpus(40, space, rng, multi=True)
    cols = [LABEL2ID[x] for x in space]
    preds = (logits > 0).astype(int)
    s = scores(logits, labels, m)
    assert s["weighted_f1"] == pytest.approx(
        f1_score(labels[:, cols], preds[:, cols], average="weighted", zero_division=0)
    )
    assert set(s["per_label"]) == set(space)
    per = f1_score(labels[:, cols], preds[:, cols], average=None, zero_division=0)
    assert [s["per_label"][x]["f1"] for x in space] == pytest.approx(per.tolist())
    assert "unweighted_accuracy" not in s  # multi-label corpus

    # predictions on labels outside the space change nothing
    other = logits.copy()
    other[:, [LABEL2ID["positive"], LABEL2ID["excitement"]]] = 100
    assert scores(other, labels, m)["weighted_f1"] == s["weighted_f1"]


def test_unweighted_accuracy_for_single_label_corpora():
    from sklearn.metrics import balanced_accuracy_score

    labels = np.zeros((6, 13), int)
    truth = ["positive", "positive", "positive", "positive", "neutral", "negative"]
    guess = ["positive", "positive", "neutral", "positive", "neutral", "positive"]
    for i, t in enumerate(truth):
        labels[i, LABEL2ID[t]] = 1
    logits = np.full((6, 13), -5.0)
    for i, g in enumerate(guess):
        logits[i, LABEL2ID[g]] = 1.0
        logits[i, LABEL2ID["anger"]] = 9.0  # outside CSED's space: ignored by the arg-max
    m = np.tile(mask(("positive", "neutral", "negative")), (6, 1))
    s = scores(logits, labels, m)
    assert (
        s["unweighted_accuracy"]
        == pytest.approx(balanced_accuracy_score(truth, guess))
        == pytest.approx((0.75 + 1 + 0) / 3)
    )
    assert s["accuracy"] == pytest.approx(4 / 6)
    # positive: P=3/4 R=3/4; neutral: P=1/2 R=1; negative: F1 0 -> weighted by support 4,1,1
    assert s["weighted_f1"] == pytest.approx((4 * 0.75 + 1 * (2 / 3) + 0) / 6)
    assert s["macro_f1"] == pytest.approx((0.75 + 2 / 3 + 0) / 3)


def test_scores_per_corpus_and_group_and_row_mapping():
    rng = np.random.default_rng(1)
    parts = [
        _corpus(10, ("positive", "neutral", "negative"), rng),
        _corpus(12, ("anger", "sadness", "neutral"), rng),
        _corpus(8, ("anger", "happiness"), rng),
    ]
    labels, m, logits = (np.concatenate(x) for x in zip(*parts))
    corpora = ["csed"] * 10 + ["crema_d"] * 12 + ["tess"] * 8
    groups = ["zho_eld"] * 10 + ["eng_eld"] * 20
    out = score_groups(logits, labels, m, corpora, groups)
    assert list(out["groups"]) == ["zho_eld", "eng_eld"]
    eng = out["groups"]["eng_eld"]
    assert set(eng["corpora"]) == {"crema_d", "tess"} and eng["num_samples"] == 20
    assert eng["weighted_f1"] == pytest.approx(np.mean([c["weighted_f1"] for c in eng["corpora"].values()]))
    assert eng["corpora"]["tess"]["weighted_f1"] == scores(logits[22:], labels[22:], m[22:])["weighted_f1"]
    assert out["weighted_f1"] == pytest.approx(
        np.mean([out["groups"]["zho_eld"]["weighted_f1"], *[c["weighted_f1"] for c in eng["corpora"].values()]])
    )
    assert {"weighted_f1", "weighted_f1_eng_eld", "weighted_f1_eng_eld_tess"} <= set(flat(out))

    # Trainer hands predictions in any order with the `row` label: the scores must not change
    from transformers import EvalPrediction

    speakers = [f"s{i % 2}" if i % 10 != 9 else None for i in range(30)]  # some clips without a speaker id
    ds = __import__("datasets").Dataset.from_dict({"corpus": corpora, "group": groups, "speaker_id": speakers})
    order = rng.permutation(30)
    got = GroupMetrics(ds)(EvalPrediction(predictions=logits[order], label_ids=(labels[order], m[order], order)))
    assert got == pytest.approx(flat(out))
    # the test split's intervals (train.py's end table, scores.json) resample the dataset's speakers
    metrics = GroupMetrics(ds, intervals=200)
    metrics(EvalPrediction(predictions=logits[order], label_ids=(labels[order], m[order], order)))
    named = np.array([s or "" for s in speakers])
    by_speaker = score_groups(logits, labels, m, corpora, groups, intervals=200, speakers=named)
    by_clip = score_groups(logits, labels, m, corpora, groups, intervals=200)
    for group in ("zho_eld", "eng_eld"):
        assert metrics.last["groups"][group]["weighted_f1_ci"] == by_speaker["groups"][group]["weighted_f1_ci"]
    assert by_speaker["groups"]["eng_eld"]["weighted_f1_ci"] != by_clip["groups"]["eng_eld"]["weighted_f1_ci"]
    # a dataset without speaker ids (not a prepared one) scores, its intervals over clips
    plain = __import__("datasets").Dataset.from_dict({"corpus": corpora, "group": groups})
    metrics = GroupMetrics(plain, intervals=200)
    metrics(EvalPrediction(predictions=logits[order], label_ids=(labels[order], m[order], order)))
    assert metrics.last["groups"]["eng_eld"]["weighted_f1_ci"] == by_clip["groups"]["eng_eld"]["weighted_f1_ci"]


# ---------------------------------------------------------------------------------------------- mixtures
def test_mixtures_are_the_papers():
    assert resolve_mixture("eng_eld", "baseline") == ["eng_eld"]
    assert resolve_mixture("eng_eld", "cross_lingual") == ["eng_eld", "zho_eld"]
    assert resolve_mixture("zho_adu", "cross_age") == ["zho_adu", "zho_eld"]
    assert sorted(resolve_mixture("zho_eld", "cross_all")) == ["eng_adu", "eng_eld", "zho_adu", "zho_eld"]
    assert resolve_mixture("yue_adu", "cross_age") == ["yue_adu", "yue_eld"]
    assert set(resolve_mixture("yue_adu", "cross_lingual", languages=["yue", "zho", "eng"])) == {
        "yue_adu",
        "zho_adu",
        "eng_adu",
    }
    assert set(MIXTURES) == {"baseline", "cross_lingual", "cross_age", "cross_all"}
    with pytest.raises(ValueError, match="mixture"):
        resolve_mixture("eng_eld", "cross_everything")
    with pytest.raises(KeyError, match="group"):
        resolve_mixture("fra_eld", "baseline")


def test_one_parser_for_mixture_specs():
    mixture = parse_mixture("yuemotion:all+eng_adu[esd]")
    assert isinstance(mixture, Mixture) and mixture.configs == ("yuemotion:all", "eng_adu[esd]")
    assert mixture.shards[-1] == Shard("bimotion", "esd", "eng_adu")
    assert mixture.slug == "yuemotion-all+eng_adu-esd" and mixture.spec == "yuemotion:all+eng_adu[esd]"
    assert mixture.benchmarks == ("yuemotion", "bimotion") and mixture.groups[-1] == "eng_adu"
    # a list of specs is their union; "+" inside a list item and the recipes' lists agree
    assert parse_mixture(["yuemotion:all", "eng_adu[esd]"]).shards == mixture.shards
    assert set(parse_mixture("eng").shards) == set(parse_mixture(["eng_eld", "eng_adu"]).shards)
    with pytest.raises(ValueError, match="cannot read config"):
        parse_mixture("eng_eld[")
    with pytest.raises(ValueError, match="no configs given"):
        parse_mixture([])


def test_table4_rows_are_the_augmentation_mixtures():
    """Table 4's models hold exactly the groups :func:`resolve_mixture` trains on, for every target."""
    for row in TABLE4.rows:
        assert row.notation == MIXTURES[row.key].notation
        for group in ("eng_eld", "eng_adu", "zho_eld", "zho_adu"):
            assert set(parse_mixture(row.train(group)).groups) == set(resolve_mixture(group, row.key))


def test_shards_union_without_repeats_and_relations():
    got = shards(["eng", "eng_eld", "esd"])
    assert len(got) == len(set(got))
    assert ("bimotion", "esd", "zho_adu") in got and ("bimotion", "crema_d", "eng_eld") in got
    assert {s.group for s in shards(["yue_adu"])} == {"yue_adu"}
    # restricted to some corpora: Table 5's "yue+eng" is YueMotion plus ESD's English half
    assert shards(["yuemotion:all", "eng_adu[esd]"])[-1] == ("bimotion", "esd", "eng_adu")
    assert {s.corpus for s in shards(["eng[crema_d,tess]"])} == {"crema_d", "tess"}
    with pytest.raises(ValueError, match="eng_adu has no corpus csed; its corpora: crema_d, tess, esd, iemocap"):
        shards(["eng_adu[csed]"])
    assert split_list(["eng_eld,zho_eld", "eng[crema_d,tess],yue_adu"]) == [
        "eng_eld",
        "zho_eld",
        "eng[crema_d,tess]",
        "yue_adu",
    ]
    assert relation(["eng_eld"], "eng_eld") == "in_group"
    assert relation(["eng_eld"], "zho_eld") == "cross_lingual"
    assert relation(["eng_eld"], "eng_adu") == "cross_age"
    assert relation(["eng_eld"], "zho_adu") == "cross_all"


# ---------------------------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("prepared")
    shards_ = [("csed", "zho_eld"), ("esd", "zho_adu"), ("esd", "eng_adu"), ("crema_d", "eng_eld")]
    data = testing.write_prepared(root / "bimotion", shards=shards_, sizes={"train": 6, "validation": 3, "test": 4})
    return Sources(bimotion=str(data), cache_dir=str(root / "cache"))


def test_load_split_reads_shards_once_with_rows_and_stored_audio(prepared):
    ds = load_split(prepared, ["zho", "zho_eld", "esd"], "train")  # overlapping configs
    assert len(ds) == 6 * 3 and len(set(column(ds, "id"))) == len(ds)
    assert column(ds, "row").tolist() == list(range(len(ds)))
    assert {tuple(x) for x in zip(column(ds, "corpus"), column(ds, "group"))} == {
        ("csed", "zho_eld"),
        ("esd", "zho_adu"),
        ("esd", "eng_adu"),
    }
    row = ds[0]
    assert set(row["audio"]) == {"bytes", "path"} and row["audio"]["bytes"][:4] == b"fLaC"
    per_corpus = load_split(prepared, ["csed"], "test")
    assert set(column(per_corpus, "corpus")) == {"csed"} and len(per_corpus) == 4
    with pytest.raises(ValueError, match="--yuemotion"):
        load_split(prepared, ["yue_adu"], "train")


def test_load_split_reads_a_union_from_the_groups_prepared(tmp_path):
    """A union config of a folder that holds some of its groups (only CSED's zho_eld) read
    the absent ones too, and stopped: "the prepared bimotion dataset ... has no train rows of zho_adu"."""
    data = testing.write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 4, "test": 2})
    sources = Sources(bimotion=str(data), cache_dir=str(tmp_path / "cache"))
    for config in ("zho", "eld", "bimotion:all"):
        ds = load_split(sources, [config], "train")
        assert set(column(ds, "group")) == {"zho_eld"} and len(ds) == 4, config
    with pytest.raises(ValueError, match="has no train rows of eng_eld"):  # a group named alone is no union
        load_split(sources, ["eng_eld"], "train")


def test_manifest_hash_names_the_set_not_the_order(prepared):
    ds = load_split(prepared, ["zho"], "train")
    assert manifest_hash(ds) == manifest_hash(ds.shuffle(seed=3))
    assert manifest_hash(ds) != manifest_hash(ds.select(range(len(ds) - 1)))


# ---------------------------------------------------------------------------------------------- collator, sampler
@pytest.fixture(scope="module")
def feature_extractor(tmp_path_factory):
    from transformers import AutoFeatureExtractor

    return AutoFeatureExtractor.from_pretrained(testing.save_tiny_model(tmp_path_factory.mktemp("tiny")))


def test_collator_normalises_like_the_feature_extractor_and_masks_padding(feature_extractor):
    rows = [
        {**r, "row": 10 + i}
        for i, r in enumerate(testing.synth_rows("csed", "zho_eld", "test", 3, duration_s=(0.5, 1.5)))
    ]
    batch = AudioCollator(feature_extractor)(rows)
    from bimotion.features import decode_audio_bytes

    clips = [decode_audio_bytes(r["audio"]["bytes"])[0] for r in rows]
    lengths = [len(c) for c in clips]
    assert batch["input_values"].shape == (3, max(lengths))
    assert batch["attention_mask"].sum(1).tolist() == lengths  # whole clips at evaluation
    for i, clip in enumerate(clips):
        alone = feature_extractor(clip, sampling_rate=16000, return_tensors="pt")["input_values"][0]
        assert torch.allclose(batch["input_values"][i, : lengths[i]], alone, atol=1e-5)
        assert (batch["input_values"][i, lengths[i] :] == 0).all()
    assert batch["labels"].shape == batch["label_mask"].shape == (3, len(LABELS))
    assert batch["row"].tolist() == [10, 11, 12]


def test_normalisation_off_feeds_raw_samples_and_saves_a_raw_feature_extractor(tmp_path):
    from bimotion.features import decode_audio_bytes
    from bimotion.training.model import build_model

    tiny = testing.save_tiny_model(tmp_path / "tiny")
    _, normalising = build_model(str(tiny), classifier_proj_size=16)
    _, raw = build_model(str(tiny), classifier_proj_size=16, normalize_audio=False)
    assert normalising.do_normalize and not raw.do_normalize
    rows = testing.synth_rows("csed", "zho_eld", "test", 2)
    batch = AudioCollator(raw)(rows)
    for i, row in enumerate(rows):
        clip = decode_audio_bytes(row["audio"]["bytes"])[0]
        assert torch.equal(batch["input_values"][i, : len(clip)], torch.from_numpy(clip))
    assert not torch.allclose(AudioCollator(normalising)(rows)["input_values"], batch["input_values"])
    raw.save_pretrained(tmp_path / "saved")  # what Trainer saves beside the model: inference reads it
    from transformers import AutoFeatureExtractor

    assert AutoFeatureExtractor.from_pretrained(tmp_path / "saved").do_normalize is False


def test_max_duration_inf_means_no_crop():
    from bimotion.training.spec import DataArguments

    assert DataArguments(max_duration_s=math.inf).max_duration_s is None
    assert DataArguments().max_duration_s == 10.0 and DataArguments().normalize_audio is True


def test_collator_crops_training_clips_at_random_and_never_evaluation_clips(feature_extractor):
    rows = testing.synth_rows("esd", "zho_adu", "train", 4, duration_s=(1.2, 2.0))
    train = AudioCollator(feature_extractor, max_duration_s=0.5, seed=0)
    a, again = train(rows), train(rows[::-1])
    assert a["input_values"].shape[1] == 8000 and (a["attention_mask"].sum(1) == 8000).all()
    assert torch.equal(a["input_values"], again["input_values"].flip(0))  # a clip's window: (seed, epoch, id)
    train.set_epoch(1)
    assert not torch.equal(a["input_values"], train(rows)["input_values"])  # a new window each epoch
    other_seed = AudioCollator(feature_extractor, max_duration_s=0.5, seed=1)(rows)
    assert not torch.equal(a["input_values"], other_seed["input_values"])
    full = AudioCollator(feature_extractor)(rows)
    assert full["input_values"].shape[1] > 1.2 * 16000
    padded = AudioCollator(feature_extractor, pad_to_multiple_of=3200)(rows)
    assert padded["input_values"].shape[1] % 3200 == 0


def test_the_epoch_reaches_the_collators_copies_in_persistent_workers(feature_extractor):
    """A data loader's persistent workers collate with copies of the collator made when they started: they
    cropped epoch 0's windows in every epoch (and a run resumed in epoch 1 cropped epoch 1's from its start)."""
    from torch.utils.data import DataLoader

    rows = testing.synth_rows("esd", "zho_adu", "train", 4, duration_s=(1.2, 2.0))
    collate = AudioCollator(feature_extractor, max_duration_s=0.5, seed=0)
    loader = DataLoader(rows, batch_size=4, collate_fn=collate, num_workers=1, persistent_workers=True)
    alone = AudioCollator(feature_extractor, max_duration_s=0.5, seed=0)  # no workers
    for epoch in range(3):
        collate.set_epoch(epoch)
        alone.set_epoch(epoch)
        assert torch.equal(next(iter(loader))["input_values"], alone(rows)["input_values"]), epoch


def test_length_grouping_reads_the_duration_column_without_decoding_audio():
    import datasets

    rng = np.random.default_rng(0)
    lengths = rng.uniform(0.5, 12, 200).astype(np.float32)
    ds = datasets.Dataset.from_dict({"audio": [{"bytes": b"not audio", "path": None}] * 200, "duration_s": lengths})
    assert durations(ds) == pytest.approx(lengths.tolist())
    sampler = length_grouped(ds, 8, seed=0)
    order = list(sampler)
    assert list(sampler) == order  # the order is a function of (seed, epoch)
    sampler.set_epoch(1)
    assert sorted(sampler) == sorted(order) and list(sampler) != order
    assert sorted(order) == list(range(200))
    spread = [np.ptp(lengths[order[i : i + 8]]) for i in range(0, 200, 8)]
    assert np.mean(spread) < 0.25 * np.mean([np.ptp(lengths[i : i + 8]) for i in range(0, 200, 8)])
    assert longest_first(ds)[:3] == np.argsort(-lengths)[:3].tolist()


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # the tiny model: no layerdrop, no masking
        {"mask_time_prob": 0.3},  # SpecAugment on: its mask embedding is used
        {"mask_time_prob": 0.0, "mask_feature_prob": 0.1},  # the embedding exists, time masking never uses it
        {"mask_time_prob": 0.3, "apply_spec_augment": False},
        {"layerdrop": 1.0},  # every layer dropped
    ],
)
def test_ddp_searches_for_unused_parameters_exactly_when_a_step_can_leave_one_out(tmp_path, overrides):
    from bimotion.training.model import build_model, leaves_parameters_unused

    model, _ = build_model(str(testing.save_tiny_model(tmp_path / "tiny")), classifier_proj_size=8, **overrides)
    model.train()
    torch.manual_seed(0)
    model(torch.randn(2, 16000)).logits.sum().backward()
    unused = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert leaves_parameters_unused(model) == bool(unused), unused


def test_the_end_of_a_run_says_how_it_stopped_and_which_model_it_kept():
    """A run that early stopping ended at step 72 of 300 froze its bar there without a word, and kept
    a checkpoint whose validation weighted F1 was 0.0 (selection is on validation loss)."""
    from bimotion.training.report import run_ending

    summary = {
        "selection": {"metric": "loss", "selected": True, "best_checkpoint": "/runs/m/checkpoint-27",
                      "best_metric": 0.6931, "global_step": 72, "max_steps": 300},
        "hyperparameters": {"early_stopping_patience": 5},
    }  # fmt: skip
    assert run_ending(summary) == (
        "stopped early at step 72 of 300: the validation loss did not improve for 5 evaluations "
        "(--early_stopping_patience); kept checkpoint-27 (validation loss 0.6931)"
    )
    summary["selection"].update(global_step=300, selected=False)
    assert run_ending(summary) == "trained 300 steps; kept the model after the last step"


def test_an_evaluation_line_says_when_its_training_loss_was_logged():
    """With --logging_steps 50 and an evaluation every 9 steps, three lines repeated step 50's loss
    as if it were theirs."""
    from types import SimpleNamespace

    from bimotion.training.progress import evaluation_line

    state = SimpleNamespace(is_world_process_zero=True, global_step=54, epoch=6.0, log_history=[
        {"loss": 0.7005, "step": 50}, {"eval_loss": 0.69, "step": 45}])  # fmt: skip
    line = evaluation_line(state, {"eval_loss": 0.6931, "epoch": 6.0, "eval_weighted_f1": 0.156})
    assert (
        line
        == "epoch 6.00, step 54: training loss 0.7005 (logged at step 50), validation loss 0.6931, weighted F1 15.6%"
    )
    state.global_step = 50
    assert "training loss 0.7005, validation" in evaluation_line(state, {"eval_loss": 0.6931, "epoch": 5.5})


def test_predictions_and_probe_features_carry_their_clips_columns_alike(tmp_path):
    """A model's predictions (training.inference.predict) and a probe's cached features
    (probe.cache.shard_features) each wrote the clips' columns themselves; clip_columns is now the one
    writer: the same columns, dtypes and order, each file's own arrays between them and the speakers."""
    from bimotion.probe.cache import shard_features
    from bimotion.probe.features import FeatureSpec
    from bimotion.training.data import clip_columns, load_shards
    from bimotion.training.inference import predict
    from bimotion.training.model import build_model

    torch.manual_seed(0)
    model, extractor = build_model(str(testing.save_tiny_model(tmp_path / "base")), classifier_proj_size=8)
    model.save_pretrained(tmp_path / "model")
    extractor.save_pretrained(tmp_path / "model")
    data = testing.write_prepared(tmp_path / "bimotion", shards=[("tess", "eng_eld")], sizes={"test": 6})
    sources, shard = Sources(str(data), None, str(tmp_path / "cache")), Shard("bimotion", "tess", "eng_eld")
    dataset = load_shards(sources, [shard], "test")
    clips = clip_columns(dataset)
    assert list(clips) == ["id", "corpus", "group", "labels", "label_mask", "speaker"]
    assert clips["labels"].dtype == clips["label_mask"].dtype == np.int8 and clips["speaker"].all()
    predicted = predict(tmp_path / "model", dataset, features=True, progress=False)
    cached = shard_features(sources, shard, "test", FeatureSpec("logmel"), progress=False)
    assert list(predicted) == [*list(clips)[:-1], "logits", "speaker", "features"]
    assert list(cached) == [*list(clips)[:-1], "features", "speaker"]
    for name, values in clips.items():
        assert np.array_equal(predicted[name], values) and np.array_equal(cached[name], values), name
    assert "speaker" not in clip_columns(dataset.remove_columns("speaker_id"))  # older data: clips resampled


STORM = r"""
import signal, sys
import numpy as np
from bimotion.features import decode_audio_bytes, encode_audio
from bimotion.signals import terminate_as_interrupt

if sys.argv[1] == "SIGTERM":  # as the CLI and the recipes take it: a Terminated, a KeyboardInterrupt
    scope = terminate_as_interrupt()  # held: the block ends when it is collected
    scope.__enter__()

samples = (np.sin(np.arange(16000 * 2) / 7) * 8000).astype(np.int16)
stored = encode_audio(samples)
counts = {"taken": 0, "errors": 0, "different": 0}
stop = []
signal.signal(signal.SIGUSR1, lambda *_: stop.append(1))
print("ready", flush=True)

def work():
    while not stop:
        try:
            counts["different"] += encode_audio(samples) != stored
            counts["different"] += not np.array_equal(decode_audio_bytes(stored)[0] * 32768, samples)
        except KeyboardInterrupt:
            counts["taken"] += 1
        except Exception as err:
            counts["errors"] += 1
            print(repr(err), file=sys.stderr)

while not stop:
    try:
        work()
    except KeyboardInterrupt:
        counts["taken"] += 1
print(counts)
"""


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_ctrl_c_while_stored_audio_is_encoded_or_decoded_is_taken_never_dropped(signame):
    """soundfile reads and writes bytes in memory through callbacks from C, where a KeyboardInterrupt
    was printed and dropped: most Ctrl-Cs during training went unheeded (a run went on to its end),
    and a good clip could fail to decode ("stored audio does not decode") or encode differently.
    A SIGTERM (Slurm's time limit), which the commands take as a Ctrl-C, the same."""
    import ast
    import os
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen(
        [sys.executable, "-c", STORM, signame], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        for _ in range(60):
            time.sleep(0.01)
            os.kill(child.pid, getattr(signal, signame))
        time.sleep(0.05)
        os.kill(child.pid, signal.SIGUSR1)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    counts = ast.literal_eval(out.strip().splitlines()[-1])
    assert "Exception ignored" not in err, err[-2000:]
    assert counts["errors"] == 0 and counts["different"] == 0 and counts["taken"] > 0, (counts, err[-2000:])


def test_sigterm_is_a_ctrl_c_only_within_the_block_and_says_so():
    """SIGTERM (Slurm's time limit) within :func:`terminate_as_interrupt` unwinds the run as a Ctrl-C
    does, with its own exit code and word; outside it, the handler before it is back."""
    import os
    import signal
    import time

    from bimotion.signals import Terminated, exit_code, stop_word, terminate_as_interrupt

    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a command's process
    try:
        with pytest.raises(Terminated) as caught, terminate_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at once and interrupts the sleep
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)
    assert isinstance(caught.value, KeyboardInterrupt)
    assert (exit_code(caught.value), stop_word(caught.value)) == (143, "terminated")
    assert (exit_code(KeyboardInterrupt()), stop_word(KeyboardInterrupt())) == (130, "interrupted")


def test_sigterm_within_stop_at_safe_points_is_a_flag_the_loop_acts_on():
    """Within :func:`stop_at_safe_points` SIGTERM (twice, too) interrupts nothing: it sets the flag a
    training loop reads after its step.  One the loop never acted on (it came after the loop's last
    safe point: its work is done) raised at the block's end, so a trained model was dropped unsaved;
    it is now pending for the block's caller, which finishes and stops at its own safe point.  After
    the block, SIGTERM raises at once again."""
    import os
    import signal
    import time

    from bimotion import signals
    from bimotion.signals import Terminated, stop_at_safe_points, stop_requested, take_pending_stop

    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a command's process
    try:
        with signals.terminate_as_interrupt():
            with stop_at_safe_points():
                assert not stop_requested()
                for _ in range(2):
                    os.kill(os.getpid(), signal.SIGTERM)
                assert stop_requested()  # the loop goes on to its safe point
            assert not stop_requested()
            assert take_pending_stop() and not take_pending_stop()  # the caller's, once
            with stop_at_safe_points():  # a quiet block ends quietly
                pass
            assert not take_pending_stop()
            with pytest.raises(Terminated):
                os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        with signals.terminate_as_interrupt():
            with pytest.raises(Terminated), stop_at_safe_points():  # a loop that stopped: its Terminated
                os.kill(os.getpid(), signal.SIGTERM)
                raise Terminated("stopped at a step")
            assert not take_pending_stop()
            try:
                os.kill(os.getpid(), signal.SIGTERM)  # the launcher's copy, as the stop unwinds: the same stop
                time.sleep(0.01)
            except Terminated:
                pytest.fail("a SIGTERM as the stop unwound was another stop, raised")
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_second_sigterm_never_cuts_short_the_clean_up_of_the_first():
    """Slurm signals every process of a job step and ``accelerate launch`` passes its SIGTERM on: a
    process gets two a moment apart.  The second, raised as a Terminated of its own, broke off the
    clean-up that the first one's was unwinding through (a ``finally`` left half done); it is now the
    same stop."""
    import os
    import signal
    import time

    from bimotion.signals import Terminated, terminate_as_interrupt

    cleaned = []
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a command's process
    try:
        with pytest.raises(Terminated), terminate_as_interrupt():
            try:
                os.kill(os.getpid(), signal.SIGTERM)  # Slurm's
                time.sleep(5)  # interrupted at once
            finally:
                try:
                    os.kill(os.getpid(), signal.SIGTERM)  # the launcher's copy, during the clean-up
                    time.sleep(0.01)  # the handler runs here
                    cleaned.append("lock removed")
                except Terminated:
                    cleaned.append("cut short by the second SIGTERM")
        assert cleaned == ["lock removed"] and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)


REENTRY = """
import os, signal, sys
from bimotion import signals

def depth(frame):  # how many SIGTERM handlers the frame runs within
    n = 0
    while frame is not None:
        n += frame.f_code is signals._request_stop.__code__
        frame = frame.f_back
    return n

def second_sigterm(frame, event, arg):  # at every line the first SIGTERM's handling runs, in any function
    if event == "line" and depth(frame) == 1:
        os.kill(os.getpid(), signal.SIGTERM)
    return second_sigterm

with signals.terminate_as_interrupt(), signals.stop_at_safe_points():
    sys.settrace(second_sigterm)
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(1000):
        pass
    sys.settrace(None)
    print("stop requested:", signals.stop_requested())
"""


def test_a_sigterm_within_the_handling_of_another_is_taken_never_hangs():
    """Within :func:`stop_at_safe_points` a SIGTERM's handler sets a flag.  It was a
    ``threading.Event``, whose ``set`` holds a lock: a second SIGTERM handled while it was held (a
    handler runs between any two bytecodes, a first handler's too) waited for that lock forever.  Two
    SIGTERMs a moment apart (Slurm's and ``accelerate launch``'s copy) so hung a process of a launch in
    its handler, and the others in their next collective, until the launcher killed them all after
    30 s: no checkpoint, no closing line (seen once in CI, caught with faulthandler's stacks).  Here a
    second SIGTERM comes at every line of the first one's handling."""
    import subprocess
    import sys

    from bimotion.training.testing import subprocess_env

    try:
        done = subprocess.run(
            [sys.executable, "-c", REENTRY], env=subprocess_env(), capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:  # its SIGKILL: SIGTERM is what hangs it
        pytest.fail("a SIGTERM within the handling of another hung the process")
    assert (done.returncode, done.stdout.strip()) == (0, "stop requested: True"), done.stderr[-2000:]


def test_a_stop_checkpoint_half_removed_is_never_resumed_from(tmp_path, monkeypatch):
    """The checkpoints saved only for a SIGTERM are removed once the run has ended; a kill in the middle of
    that removal (outside the safe points: a SIGTERM raises there at once) left a checkpoint without some
    of its files but with its trainer_state.json, which resuming took for the newest one.  It is marked
    incomplete before its files go: resuming skips it, and the next run removes it."""
    import shutil

    from bimotion.training.checkpoints import last_checkpoint, remove_saved_at_stop
    from bimotion.training.outputs import INCOMPLETE, SAVED_AT_STOP

    kept, stop = tmp_path / "checkpoint-3", tmp_path / "checkpoint-6"
    for folder in (kept, stop):
        folder.mkdir()
        for name in ("trainer_state.json", "model.safetensors", "optimizer.pt"):
            (folder / name).write_text("{}")
    (stop / SAVED_AT_STOP).write_text("saved at SIGTERM\n")

    def killed_midway(path, ignore_errors=False):  # a kill after the first file went: SIGKILL cannot be timed
        (Path(path) / "model.safetensors").unlink()
        raise KeyboardInterrupt

    monkeypatch.setattr(shutil, "rmtree", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        remove_saved_at_stop(tmp_path)
    assert (stop / "trainer_state.json").is_file() and (stop / INCOMPLETE).is_file()
    assert last_checkpoint(tmp_path) == str(kept)


def test_probes_note_says_how_to_rerun_the_command_that_wrote_the_probes(tmp_path):
    """predict and push given a probe-backed output said "rerun bimotion advise with --config paper" also for
    a recipes/grid.py output, which advise did not write.  The fix now fits the folder: advise's output
    (advice.json) says advise, a grid's (plan.json alone) the grid, a folder with neither says both."""
    from bimotion.training.outputs import ADVICE, GRID_PLAN, PROBE_CONFIG, SCORES, probes_note

    advise_fix = "or rerun bimotion advise with --config paper"
    grid_fix = "or rerun recipes/grid.py with a config that fine-tunes (backend: finetune, as --config paper)"
    for markers, fix, other in [
        ((GRID_PLAN, ADVICE), advise_fix, "recipes/grid.py"),
        ((GRID_PLAN,), grid_fix, "bimotion advise"),
        ((), f"{advise_fix}, {grid_fix}", None),
    ]:
        out = tmp_path / "-".join(markers or ["none"])
        seed = out / "models" / "zho_eld" / "seed0"
        seed.mkdir(parents=True)
        (seed / PROBE_CONFIG).write_text("{}")
        (seed / SCORES).write_text("{}")
        for marker in markers:
            (out / marker).write_text("{}")
        for given in (out, out / "models", out / "models" / "zho_eld"):
            note = probes_note(given, "predict does not run")
            assert note.endswith(f"which predict does not run: fine-tune the mixture you want with recipes/train.py "
                                 f"--train_configs MIXTURE, {fix}"), (markers, given, note)  # fmt: skip
            assert other is None or other not in note, (markers, note)
