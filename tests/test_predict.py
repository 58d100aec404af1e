"""`bimotion predict`: audio files and folders -> one row per window with the model's trained labels,
streamed in bounded memory; generic-label checkpoints need an explicit map; bad input fails clearly."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
import torch

from bimotion.cli import main
from bimotion.predict import PredictError, Predictor, PredictReport, load_predictor, predict_files, window_count
from bimotion.predict.audio import AudioSource, audio_blocks, find_audio
from bimotion.predict.windows import Windowing, windows
from bimotion.training.outputs import TRAINED_AUDIO
from loaders.audio import decode, probe
from loaders.labels import LABELS
from loaders.testing._common import FixtureWriter

torch.set_num_threads(2)

TRAINED = ["neutral", "positive", "negative"]
DURATIONS_S = {"a.wav": 5.5, "sub/b.flac": 3.2, "c.mp3": 1.5, "d.m4a": 4.4}  # d.m4a: AAC in MP4
OPTIONS = ["--window-s", "2", "--hop-s", "1", "--no-progress"]


def _save(model, feature_extractor, path):
    model.save_pretrained(path)
    feature_extractor.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two checkpoints of one tiny random model: ours (names the 13 labels, records 3 trained ones,
    the others suppressed), and the same weights with generic LABEL_i names and no trained labels."""
    from bimotion.training import testing
    from bimotion.training.model import build_model, suppress_untrained

    root = tmp_path_factory.mktemp("models")
    model, fe = build_model(str(testing.save_tiny_model(root / "tiny")), classifier_proj_size=16)
    generic = _save(model, fe, root / "generic")
    config = json.loads((generic / "config.json").read_text())
    config["id2label"] = {str(i): f"LABEL_{i}" for i in range(len(LABELS))}
    config["label2id"] = {f"LABEL_{i}": i for i in range(len(LABELS))}
    (generic / "config.json").write_text(json.dumps(config))
    model.config.trained_labels = TRAINED
    suppress_untrained(model)
    return {"ours": _save(model, fe, root / "ours"), "generic": generic}


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    """Speech-like recordings: 16 kHz WAV, 44.1 kHz stereo FLAC in a subfolder, MP3, AAC in MP4, and
    a text file that is not audio."""
    root = tmp_path_factory.mktemp("recordings")
    writer = FixtureWriter(root / ".pool", seed=3)
    voice = dict(gender="f", age_group="eld", language="zho", emotions=("happiness",))
    writer.audio(root / "a.wav", speaker="s1", duration_s=DURATIONS_S["a.wav"], **voice)
    writer.audio(root / "d.m4a", speaker="s2", duration_s=DURATIONS_S["d.m4a"], container="MP4", subtype="AAC", **voice)
    for name, rate, channels, fmt in (("sub/b.flac", 44100, 2, "FLAC"), ("c.mp3", 22050, 1, "MP3")):
        samples = writer.samples(speaker="s3", duration_s=DURATIONS_S[name], sample_rate_hz=rate, **voice)
        (root / name).parent.mkdir(exist_ok=True)
        soundfile.write(root / name, np.stack([samples] * channels, 1) * 0.5, rate, format=fmt)
    (root / "notes.txt").write_text("recorded in the day room\n")
    return root


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_an_output_inside_the_folder_read_is_not_counted_as_an_input_on_a_rerun(models, audio_dir, tmp_path, capsys):
    """`bimotion predict rec --output rec/p.csv`, run again, said 'rec/p.csv, rec/p.csv.skipped.tsv' are not audio
    and wrote a skip list naming only its own files; what the command writes is now left out of its inputs."""
    rec = shutil.copytree(audio_dir, tmp_path / "rec")
    out = rec / "p.csv"
    for _ in range(2):
        assert main(["predict", "--model", str(models["ours"]), str(rec), "--output", str(out), *OPTIONS]) == 0
        err = capsys.readouterr().err
        assert f"1 file(s) below the folders are not audio (by content) and were not read: {rec / 'notes.txt'}" in err
        assert "p.csv," not in err and "p.csv.skipped.tsv," not in err, err
    assert [line.split("\t")[1] for line in (rec / "p.csv.skipped.tsv").read_text().splitlines()[1:]] == [
        str(rec / "notes.txt")
    ]


def test_a_folder_of_wav_flac_mp3_mp4_gives_one_row_per_window_in_csv_and_jsonl(models, audio_dir, tmp_path, capsys):
    out_csv, out_jsonl = tmp_path / "p.csv", tmp_path / "p.jsonl"
    assert main(["predict", "--model", str(models["ours"]), str(audio_dir), "--output", str(out_csv), *OPTIONS]) == 0
    err = capsys.readouterr().err
    assert "1 file(s) below the folders are not audio" in err and f"per window -> {out_csv}:" in err
    rows = _csv(out_csv)
    assert list(rows[0]) == [
        "file",
        "start_s",
        "end_s",
        *TRAINED,
        "predicted",
        "silent",
        "clipped",
        "file_clipped",
        "file_notes",
    ]
    assert {r["file_notes"] for r in rows} == {""}  # nothing doubtful in speech-like audio
    assert {r["silent"] for r in rows} == {"false"}  # speech-like audio throughout
    for name, duration_s in DURATIONS_S.items():
        mine = [r for r in rows if r["file"] == str(audio_dir / name)]
        assert len(mine) == window_count(duration_s, 2.0, 1.0), name
        starts, ends = [float(r["start_s"]) for r in mine], [float(r["end_s"]) for r in mine]
        assert starts[0] == 0.0 and ends[-1] == pytest.approx(duration_s, abs=1e-3)  # AAC: without its padding
        assert all(e - s == pytest.approx(min(2.0, duration_s), abs=1e-3) for s, e in zip(starts, ends))
    assert len(rows) == sum(window_count(d, 2.0, 1.0) for d in DURATIONS_S.values()) == 13
    for row in rows:
        assert set(filter(None, row["predicted"].split(";"))) == {k for k in TRAINED if float(row[k]) >= 0.5}

    assert main(["predict", "--model", str(models["ours"]), str(audio_dir), "--output", str(out_jsonl), *OPTIONS]) == 0
    lines = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert [(r["file"], r["start_s"], r["end_s"]) for r in lines] == [
        (r["file"], float(r["start_s"]), float(r["end_s"])) for r in rows
    ]
    assert [r["scores"] for r in lines] == [
        {k: float(r[k]) for k in TRAINED} for r in rows
    ]  # same inputs, same outputs
    assert {r["silent"] for r in lines} == {False}
    listed = ["p.csv.skipped.tsv", "p.jsonl.skipped.tsv"]  # notes.txt: not audio, listed beside each output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["p.csv", "p.jsonl", *listed])  # no .partial left
    capsys.readouterr()
    assert main(["predict", "--model", str(models["ours"]), str(audio_dir), "-o", str(out_csv), *OPTIONS]) == 0
    assert f"per window -> {out_csv} (replacing the file that was there):" in capsys.readouterr().err
    assert _csv(out_csv) == rows


def test_untrained_labels_are_never_reported_even_at_a_threshold_near_zero(models, audio_dir, capfd):
    from transformers.utils import logging

    logging.enable_progress_bar()  # as in a program that never called bimotion.console.quiet()
    report = PredictReport()
    rows = list(predict_files(models["ours"], [audio_dir / "a.wav"], threshold=1e-6, window_s=2.0, hop_s=1.0,
                              progress=False, report=report))  # fmt: skip
    assert "Loading weights" not in capfd.readouterr().err  # progress=False: no bar, transformers' neither
    assert logging.is_progress_bar_enabled()  # and its bars are on again after
    load_predictor(models["ours"], progress=True)  # the predict bar, never transformers' loading bar
    assert "Loading weights" not in capfd.readouterr().err and logging.is_progress_bar_enabled()
    assert len(rows) == report.windows == 5 and report.audio_s == pytest.approx(5.5)
    assert report.silent == []  # speech-like audio is not called silent
    assert all(row.predicted == tuple(TRAINED) and list(row.scores) == TRAINED for row in rows)
    spread = np.ptp([[row.scores[k] for k in TRAINED] for row in rows], axis=0)
    assert spread.max() > 1e-4  # the scores follow the audio


def test_windows_of_many_lengths_are_scored_in_few_input_shapes_with_the_same_scores(models):
    """Every distinct input length made torch's oneDNN build and keep new convolutions (memory grew
    with the number of lengths: 1.2 GB for 3000 clips of 1-3 s): batches are padded to a multiple of
    0.5 s, masked, so the scores are those of each window alone, unpadded."""
    predictor = load_predictor(models["ours"], progress=False)
    rng = np.random.default_rng(0)
    lengths = [425, 8000, 8001, 15999, *rng.integers(4000, 64000, 56)]  # the shortest (tiny model), at a multiple
    clips = [0.1 * rng.standard_normal(int(n)).astype(np.float32) for n in lengths]
    widths = set()
    hook = predictor.model.register_forward_pre_hook(
        lambda module, args, kwargs: widths.add(kwargs["input_values"].shape[1]), with_kwargs=True
    )
    padded = np.concatenate([predictor.scores(clips[i : i + 3]) for i in range(0, len(clips), 3)])
    hook.remove()
    assert widths <= {8000 * k for k in range(1, 9)}  # 20 batches, at most 8 shapes (0.5 s to 4 s)
    with pytest.raises(AttributeError, match="pad_multiple_s"):  # an earlier version's setting: not ignored
        predictor.pad_multiple_s = None
    predictor.pad_to_multiple_of = 1
    alone = np.concatenate([predictor.scores([clip]) for clip in clips])
    np.testing.assert_allclose(padded, alone, atol=1e-5)


def test_a_model_without_an_attention_mask_scores_each_window_as_if_alone(models):
    """A checkpoint whose feature extractor returns no attention mask (wav2vec2-base's group-norm
    encoder) heard the zeros a short window was padded with to its batch's longest: its scores
    changed with --batch-size and with the files beside it.  Windows of each length are scored apart."""
    predictor = load_predictor(models["ours"], progress=False)
    predictor.feature_extractor.return_attention_mask = False
    rng = np.random.default_rng(1)
    clips = [0.1 * rng.standard_normal(n).astype(np.float32) for n in (64000, 20000, 64000, 9000)]
    together = predictor.scores(clips)
    alone = np.concatenate([predictor.scores([clip]) for clip in clips])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_a_group_norm_encoder_scores_each_window_as_if_alone_even_with_a_mask(tmp_path):
    """A group-norm encoder (wav2vec2-base, HuBERT and WavLM base) normalises each channel over the whole
    input, padding included: with a feature extractor that returns an attention mask (as some such
    checkpoints ship), its windows were padded to a multiple of 0.5 s and to their batch's longest, and
    their scores changed with --batch-size and the files beside them (0.26 beside others, 0.15 alone)."""
    from bimotion.training import testing
    from bimotion.training.model import build_model

    model, fe = build_model(str(testing.save_tiny_model(tmp_path / "tiny", feat_extract_norm="group")))
    assert fe.return_attention_mask and model.config.feat_extract_norm == "group"
    model.config.trained_labels = TRAINED
    predictor = load_predictor(_save(model, fe, tmp_path / "group-norm"), progress=False)
    rng = np.random.default_rng(2)
    clips = [0.1 * rng.standard_normal(n).astype(np.float32) for n in (64000, 20000, 9000, 12345, 8001)]
    together = predictor.scores(clips)
    predictor.pad_to_multiple_of = 1
    alone = np.concatenate([predictor.scores([clip]) for clip in clips])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert not predictor.padding_unheard


def test_a_generic_checkpoint_needs_an_explicit_label_map(models, tmp_path):
    with pytest.raises(PredictError, match=r"generic names \(LABEL_0 … LABEL_12\).*--labels paper"):
        load_predictor(models["generic"])
    assert load_predictor(models["generic"], label_map="paper").labels == list(LABELS)
    (tmp_path / "map.json").write_text(
        json.dumps({f"LABEL_{i}": (n if n in TRAINED else "-") for i, n in enumerate(LABELS)})
    )
    predictor = load_predictor(models["generic"], label_map=str(tmp_path / "map.json"))
    assert predictor.labels == TRAINED and [i for i, _ in predictor.reported] == [LABELS.index(n) for n in TRAINED]
    inline = ",".join(f"{i}={n}" for i, n in enumerate(LABELS))
    assert load_predictor(models["generic"], label_map=inline).labels == list(LABELS)
    with pytest.raises(PredictError, match="names 2 labels but the model has 13 outputs"):
        load_predictor(models["generic"], label_map="anger,fear")
    with pytest.raises(PredictError, match=r"does not map \['LABEL_1'"):
        load_predictor(models["generic"], label_map="LABEL_0=sadness")
    for missing in (tmp_path / "nope.json", "labels.txt"):  # was "names 1 labels but the model has 13 outputs"
        with pytest.raises(PredictError, match=f"--label-map {missing}: no such file"):
            load_predictor(models["generic"], label_map=str(missing))


def test_a_map_renames_some_outputs_of_a_named_checkpoint(models):
    """Our checkpoints name their outputs: a map may rename a few (the others keep their names), and
    the trained labels are still the ones reported, under their new names."""
    predictor = load_predictor(models["ours"], label_map="positive=content,negative=upset")
    assert predictor.labels == ["neutral", "content", "upset"]
    assert [i for i, _ in predictor.reported] == [LABELS.index(n) for n in TRAINED]
    assert load_predictor(models["ours"], label_map="negative=-").labels == ["neutral", "positive"]
    from types import SimpleNamespace

    from bimotion.predict.labels import reported_labels

    named = SimpleNamespace(id2label=dict(enumerate(reversed(LABELS))), num_labels=13)  # 13 labels, its own order
    with pytest.raises(PredictError, match="--labels paper is for generic LABEL_i outputs"):  # renamed them by position
        reported_labels("m", named, "paper")
    with pytest.raises(PredictError, match="gives two reported outputs the same name"):
        load_predictor(models["ours"], label_map="positive=neutral")
    # onto the name of an output that is never reported (untrained): allowed
    assert load_predictor(models["ours"], label_map="positive=happiness").labels == ["neutral", "happiness", "negative"]


def test_a_generic_checkpoint_that_records_its_trained_labels(models, tmp_path):
    """LABEL_i names with config.trained_labels: the map names the outputs, and the trained ones
    are found by the mapped names."""
    generic = shutil.copytree(models["ours"], tmp_path / "generic-trained")
    config = json.loads((generic / "config.json").read_text())
    config["id2label"] = {str(i): f"LABEL_{i}" for i in range(len(LABELS))}
    config["label2id"] = {f"LABEL_{i}": i for i in range(len(LABELS))}
    (generic / "config.json").write_text(json.dumps(config))
    assert load_predictor(generic, label_map="paper").labels == TRAINED


def test_a_model_trained_on_generated_data_says_its_predictions_mean_nothing(
    models, audio_dir, tmp_path, capsys, monkeypatch
):
    """A model trained by the demo (or on any corpus loaders.testing generated) scored real recordings
    without a word that it never heard real speech; its scores.json records the generated corpora."""
    from conftest import train_one_step

    from bimotion.training import testing

    data = testing.write_prepared(tmp_path / "bimotion", shards=[("crema_d", "eng_eld")], sizes={"train": 4})
    trained = tmp_path / "trained"
    tiny = models["ours"].parent / "tiny"
    assert train_one_step(tiny, data, trained, "eng_eld", cache=tmp_path / "cache") == 0
    capsys.readouterr()
    clip = str(audio_dir / "a.wav")
    assert main(["predict", "--model", str(trained), clip, "-o", str(tmp_path / "p.csv"), *OPTIONS]) == 0
    note = f"note: {trained} was trained on a generated (synthetic) corpus, not real speech (crema_d: made by"
    err = capsys.readouterr().err
    assert note in err and "its predictions on real speech mean nothing" in err, err
    assert main(["predict", "--model", str(models["ours"]), clip, "-o", str(tmp_path / "p.csv"), *OPTIONS]) == 0
    assert "synthetic" not in capsys.readouterr().err  # a model that records no generated training data

    # pushed to the Hub (scores.json goes with it) and loaded by its id: the note was for folders only
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("bimotion.hub.hub_unreachable", lambda: "HF_HUB_OFFLINE is set")  # the cache only
    repo, commit = tmp_path / "hub" / "models--me--demo-ser", "0" * 40
    shutil.copytree(trained, repo / "snapshots" / commit, ignore=shutil.ignore_patterns("checkpoint-*"))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.chdir(tmp_path)
    assert main(["predict", "--model", "me/demo-ser", clip, "-o", str(tmp_path / "p.csv"), *OPTIONS]) == 0
    err = capsys.readouterr().err
    assert "note: me/demo-ser was trained on a generated (synthetic) corpus, not real speech (crema_d" in err, err


def test_a_model_at_or_below_chance_on_its_test_sets_is_warned_about(models, audio_dir, tmp_path, capsys):
    """A checkpoint saved after a step or two gave confident-looking labels without a word that its own
    test scores (scores.json) were no better than chance; now one warning line names it and the numbers.
    A model above chance says nothing; one with no scores.json says once that its quality is unknown."""
    from conftest import train_one_step

    from bimotion.training import testing

    data = testing.write_prepared(tmp_path / "bimotion", shards=[("crema_d", "eng_eld")], sizes={"train": 4})
    trained, tiny = tmp_path / "trained", models["ours"].parent / "tiny"
    unselected = ("--eval_strategy", "no", "--load_best_model_at_end", "false")
    assert train_one_step(tiny, data, trained, "eng_eld", cache=tmp_path / "cache", extra=unselected) == 0
    scores_path = trained / "scores.json"
    summary = json.loads(scores_path.read_text())
    groups = summary["test"]["groups"]
    clip, out = str(audio_dir / "a.wav"), str(tmp_path / "p.csv")

    def warnings_after(f1_over_chance: float | None) -> list[str]:
        if f1_over_chance is None:
            scores_path.unlink()
        else:
            for values in groups.values():  # the run's own scores.json, its F1 set against its chance level
                values["weighted_f1"] = values["chance"]["chance"] + f1_over_chance
            scores_path.write_text(json.dumps(summary))
        capsys.readouterr()
        assert main(["predict", "--model", str(trained), clip, "-o", out, *OPTIONS]) == 0
        err = capsys.readouterr().err.splitlines()
        return [line for line in err if line.startswith("warning:") or "records no test scores" in line]

    chance = {group: 100 * values["chance"]["chance"] for group, values in groups.items()}
    assert list(chance) == ["eng_eld"] and 0 < chance["eng_eld"] < 100
    assert warnings_after(0.0) == [
        f"warning: {trained} scored at or below chance on every one of its 1 test set(s) in its scores.json "
        "(weighted F1; chance: the better of an all-positive and a prior-matched random predictor): eng_eld "
        f"{chance['eng_eld']:.1f}% vs chance {chance['eng_eld']:.1f}%: its labels are no better than ignoring the "
        "audio (an untrained or barely trained checkpoint?); train it further, or pass another model"
    ]
    assert warnings_after(0.05) == []  # above chance: nothing said
    assert warnings_after(None) == [
        f"note: {trained} records no test scores (scores.json, written by the training recipes): how its labels "
        "compare with chance is not known"
    ]


@pytest.mark.parametrize(
    "scores",
    [
        {"test": {"groups": {"eng_eld": {"macro_f1": 0.3}}}},  # no weighted F1
        {"test": {"groups": {"eng_eld": {"weighted_f1": "0.2", "chance": {"chance": 0.3}}}}},  # a string
        {"test": {"groups": {"eng_eld": {"weighted_f1": 0.2, "chance": "0.3"}}}},
        {"test": {"groups": ["eng_eld"]}},
        {"test": ["eng_eld"]},
        "[1, 2]",  # JSON, not an object
        "{'test': ",  # not JSON
    ],
)
def test_a_malformed_scores_json_is_a_note_naming_it_not_a_traceback(models, audio_dir, tmp_path, capsys, scores):
    """A scores.json with a test group missing its weighted F1 (or holding a string) crashed predict
    with a KeyError or TypeError; now it is one note naming the file: the model's quality is unknown."""
    model = tmp_path / "model"
    shutil.copytree(models["ours"], model)
    (model / "scores.json").write_text(scores if isinstance(scores, str) else json.dumps(scores))
    out = str(tmp_path / "p.csv")
    assert main(["predict", "--model", str(model), str(audio_dir / "c.mp3"), "-o", out, *OPTIONS]) == 0
    err = capsys.readouterr().err
    note = f"note: {model / 'scores.json'} cannot be read ("
    assert note in err and "how its labels compare with chance is not known" in err, err
    assert "copy it again from the training run's folder (or delete it)" in err and "warning:" not in err
    if scores == "[1, 2]":  # in JSON's words, not Python's ("a JSON list")
        assert f"{note}a JSON array, not an object)" in err, err


def test_the_scores_json_of_a_hub_model_is_fetched_once_and_an_unfetched_one_is_said_to_be(
    models, audio_dir, tmp_path, monkeypatch
):
    """load_predictor read a Hub model's scores.json twice (once for the generated-data note, once
    for the chance check), downloading it twice; and offline, with no cached copy, it said the model
    "records no test scores", though it may well record some: now one read, and the note says the file
    could not be fetched."""
    import huggingface_hub.constants

    import bimotion.hub
    from bimotion.predict.model import chance_warning

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("bimotion.hub.hub_unreachable", lambda: "HF_HUB_OFFLINE is set")  # the cache only
    repo, commit = tmp_path / "hub" / "models--me--ser", "0" * 40
    shutil.copytree(models["ours"], repo / "snapshots" / commit)
    scores = {"test": {"groups": {"eng_eld": {"weighted_f1": 0.9, "chance": {"chance": 0.3}}}}}
    (repo / "snapshots" / commit / "scores.json").write_text(json.dumps(scores))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.chdir(tmp_path)
    fetched, hub_file = [], bimotion.hub.hub_file
    monkeypatch.setattr(
        "bimotion.hub.hub_file", lambda repo_id, name, **kw: fetched.append(name) or hub_file(repo_id, name, **kw)
    )
    predictor = load_predictor("me/ser", progress=False)
    assert fetched.count("scores.json") == 1 and predictor.notes == [] and predictor.warnings == []

    (repo / "snapshots" / commit / "scores.json").unlink()  # as a model loaded by from_pretrained alone caches it
    assert chance_warning("me/ser") == (
        None,
        "me/ser's scores.json on the Hugging Face Hub could not be fetched (HF_HUB_OFFLINE is set; not in the "
        "local cache: unset HF_HUB_OFFLINE to fetch it, or pass a local folder of me/ser): how its labels compare "
        "with chance is not known",
    )


def test_two_recordings_named_as_one_training_clip_are_both_named_and_the_note_says_it_is_by_name_only(tmp_path):
    """Two different recordings both at Natural/Nat_Female-3.wav (two folders, two corpora) were each
    said to be among the model's training clips, 'Its scores on them are not those of speech it never
    heard': train_manifest.txt records a clip's corpus and path below it, not its audio, so nothing can
    tell them apart.  The note now says it matched by name only, that another recording named alike is
    named too, and what follows only where they are the recordings it trained on."""
    from bimotion.predict.model import training_notes

    model = tmp_path / "model"
    model.mkdir()
    (model / "train_manifest.txt").write_text("csed/Natural/Nat_Female-3\n")
    rng = np.random.default_rng(0)
    for folder, name in (("a", "Nat_Female-3"), ("b", "Nat_Female-3"), ("b", "Nat_Female-4")):
        (tmp_path / folder / "Natural").mkdir(parents=True, exist_ok=True)
        soundfile.write(tmp_path / folder / "Natural" / f"{name}.wav", rng.normal(0, 0.1, 16000), 16000)
    sources, _ = find_audio([tmp_path / "a", tmp_path / "b"])
    a, b = (tmp_path / folder / "Natural" / "Nat_Female-3.wav" for folder in ("a", "b"))
    assert not np.array_equal(soundfile.read(a)[0], soundfile.read(b)[0])  # two recordings, one name
    names, notes = training_notes(str(model), sources)
    assert sorted(names) == sorted(s.name for s in sources if s.path.stem == "Nat_Female-3") and len(names) == 2
    (note,) = notes
    assert note.startswith(f"2 of the 3 input files are named as clips {model} was trained on: "), note
    assert "Matched by name only (each clip's path below its corpus's folder, all its train_manifest.txt" in note
    assert "it has no train_audio.txt of its training audio, as models trained before bimotion wrote one" in note
    assert "so another recording named alike is named too" in note and "Its scores on them" not in note, note
    assert note.endswith("where they are the recordings it trained on, its scores on them are not those of speech "
                         "it never heard")  # fmt: skip


def test_files_that_are_the_models_training_clips_get_one_note_with_their_count(
    models, audio_dir, tmp_path, capsys, monkeypatch
):
    """Predicting on the very recordings a model was trained on gave no hint; its train_manifest.txt
    names them (``csed/Natural/Nat_Female-3``: the path below the corpus, its extension aside) and its
    train_audio.txt holds a digest of each one's stored audio, so one note counts the input files that are
    training clips.  The corpus's other clips and an unrelated recording are not.

    That note matched by name alone: a renamed copy of a training clip was not counted, and another recording
    under a training clip's name was.  Now it matches by audio (decoded as prepare decodes it): the copy is
    counted, the namesake is said to hold other audio; a model without train_audio.txt (trained before) says
    it matched by name only, and why."""
    from conftest import train_one_step

    from loaders import testing as corpora

    raw = corpora.make_corpus("csed", tmp_path / "raw")
    prepared, trained = tmp_path / "csed", tmp_path / "trained"
    assert main(["prepare", "-q", "--source", f"csed={raw}", "-o", str(prepared)]) == 0
    tiny = models["ours"].parent / "tiny"
    assert train_one_step(tiny, prepared, trained, "zho_eld", cache=tmp_path / "cache") == 0
    manifest = (trained / "train_manifest.txt").read_text().split()
    wavs = sorted(w for w in raw.rglob("*.wav") if not any(part.startswith(".") for part in w.parts))  # as read
    heard = [w for w in wavs if f"csed/{w.parent.name}/{w.stem}" in manifest]
    assert 0 < len(heard) == len(manifest) < len(wavs)  # every training clip is a file here, and others too
    capsys.readouterr()
    output = ["-o", str(tmp_path / "p.csv"), *OPTIONS]
    assert main(["predict", "--model", str(trained), str(raw), str(audio_dir / "a.wav"), *output]) == 0
    err = capsys.readouterr().err
    said = f"note: {len(heard)} of the {len(wavs) + 1} input files are recordings {trained} was trained on"
    assert said in err and f"Matched by their audio (decoded as training stored it, against its {TRAINED_AUDIO})" in err
    assert err.count(said) == 1 and str(heard[0].name) in err and "by name only" not in err, err
    rows = predict_files(trained, [str(w) for w in wavs if w not in heard] + [str(audio_dir / "a.wav")], progress=False)
    assert rows.notes == [] and rows.report.named_trained == []
    rows = predict_files(trained, [str(heard[0])], progress=False)
    assert rows.report.named_trained == [str(heard[0])] and len(rows.notes) == 1
    assert main(["predict", "--model", str(models["ours"]), str(heard[0]), *output]) == 0  # no manifest: nothing
    assert "named as clips" not in capsys.readouterr().err

    # pushed to the Hub (train_manifest.txt goes with it) and loaded by its id: the same note
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("bimotion.hub.hub_unreachable", lambda: "HF_HUB_OFFLINE is set")  # the cache only
    repo, commit = tmp_path / "hub" / "models--me--csed-ser", "0" * 40
    shutil.copytree(trained, repo / "snapshots" / commit, ignore=shutil.ignore_patterns("checkpoint-*"))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    assert main(["predict", "--model", "me/csed-ser", str(heard[0]), *output]) == 0
    assert "note: 1 of the 1 input files are recordings me/csed-ser was trained on" in capsys.readouterr().err

    # a renamed copy of a training clip, and another recording under a training clip's name
    copy = tmp_path / "renamed" / "mine.wav"
    copy.parent.mkdir()
    shutil.copy(heard[0], copy)
    namesake = tmp_path / "namesake" / heard[1].parent.name / heard[1].name
    namesake.parent.mkdir(parents=True)
    data, rate = soundfile.read(heard[1])
    soundfile.write(namesake, data[::-1], rate)  # the same length, other audio
    rows = predict_files(trained, [str(copy), str(namesake)], progress=False)
    assert rows.report.named_trained == [str(copy)], rows.notes
    assert rows.notes[0].startswith(f"1 of the 2 input files are recordings {trained} was trained on: {copy}. "), (
        rows.notes
    )
    assert rows.notes[1].startswith(
        f"1 of the 2 input files are named as clips {trained} was trained on, but their audio, decoded as training "
        f"stored it, is none of its {TRAINED_AUDIO} ({namesake}): another recording, or the same one stored otherwise"
    ), rows.notes
    recorded = (trained / TRAINED_AUDIO).read_text()
    (trained / TRAINED_AUDIO).write_text(recorded + "a line training does not write\n")  # damaged, not absent
    assert main(["predict", "--model", str(trained), str(heard[0]), *output]) == 2  # one line, no traceback
    err = capsys.readouterr().err
    line = f"line {len(recorded.splitlines()) + 1}: 'a line training does not write'"
    assert (
        f"{trained / TRAINED_AUDIO} is not the list training writes (clip length, digest and id a line; {line})" in err
    )
    assert "Traceback" not in err and "has no" not in err, err
    (trained / TRAINED_AUDIO).unlink()  # a model trained before bimotion recorded its training audio
    rows = predict_files(trained, [str(copy), str(namesake)], progress=False)
    assert rows.report.named_trained == [str(namesake)] and len(rows.notes) == 1
    assert (
        f"it has no {TRAINED_AUDIO} of its training audio, as models trained before bimotion wrote one" in rows.notes[0]
    )

    (trained / "train_manifest.txt").write_bytes(b"\xff\xfe csed/Natural")  # not the text training writes
    assert main(["predict", "--model", str(trained), str(heard[0]), *output]) == 2  # one line, no traceback
    err = capsys.readouterr().err
    assert f"{trained / 'train_manifest.txt'} is not the text training writes (one clip id a line); copy it" in err
    assert "Traceback" not in err


def test_a_model_trained_on_a_users_corpus_beside_generated_ones_says_which_were_generated(
    models, audio_dir, tmp_path, capsys
):
    """A user's own recordings prepared with the demo's generated corpora and trained on together: the
    note said the model "was trained on a generated (synthetic) corpus, not real speech ... its
    predictions on real speech mean nothing", naming only the generated ones, as if the user's corpus
    were not there.  It names both, and what the generated ones are worth."""
    from conftest import train_one_step

    from loaders import testing
    from loaders.synthetic import MARKER

    csed = testing.make_corpus("csed", tmp_path / "raw")
    own = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="carehome", language="ind", speakers=4)
    (own / MARKER).unlink()  # a user's recordings: nothing generated them
    prepared = tmp_path / "mine"
    assert main(["prepare", "-q", "--source", f"csed={csed}", "--source", f"carehome={own}", "-o", str(prepared)]) == 0
    trained, tiny = tmp_path / "trained", models["ours"].parent / "tiny"
    unselected = ("--eval_strategy", "no", "--load_best_model_at_end", "false")
    configs, cache = ("zho_eld", "ind_eld"), tmp_path / "cache"
    assert train_one_step(tiny, prepared, trained, *configs, cache=cache, extra=unselected) == 0
    capsys.readouterr()
    assert (
        main(["predict", "--model", str(trained), str(audio_dir / "a.wav"), "-o", str(tmp_path / "p.csv"), *OPTIONS])
        == 0
    )
    err = capsys.readouterr().err
    note = f"note: {trained} was trained on generated (synthetic) corpora, not real speech (csed: made by"
    assert note in err and "beside carehome: what it learned from the generated ones says nothing" in err, err
    assert "its predictions on real speech mean nothing" not in err, err


def test_bad_paths_models_and_files_fail_with_one_clear_line(models, audio_dir, tmp_path, capsys, monkeypatch):
    import huggingface_hub.constants

    ours = str(models["ours"])
    probe = tmp_path / "probe"  # what recipes/probe.py saves
    probe.mkdir()
    (probe / "probe.json").write_text("{}")
    mixed = tmp_path / "mixed"  # a fine-tuned model with a probe saved into its folder
    shutil.copytree(models["ours"], mixed)
    (mixed / "probe.json").write_text("{}")
    partial = tmp_path / "partial"  # copied without its feature extractor
    shutil.copytree(models["ours"], partial)
    (partial / "preprocessor_config.json").unlink()
    broken = tmp_path / "broken"  # a config.json cut short
    broken.mkdir()
    (broken / "config.json").write_text('{"architectures": ["Wav2Vec2ForSeq')
    cases = [
        ([ours, str(tmp_path / "missing.wav")], "missing.wav: no such file or folder"),
        ([ours, str(audio_dir / "notes.txt")], "notes.txt: not an audio file"),
        ([ours, str(audio_dir / "notes.txt")], "fix: leave it out, or pass --skip-bad"),  # no corpus release here
        ([ours, str(audio_dir), "--hop-s", "0"], "not 0.0: the windows must move on"),
        ([str(tmp_path / "nomodel"), str(audio_dir)], "nomodel: no such model folder"),
        ([str(audio_dir), str(audio_dir)], "not a model folder (no config.json)"),
        ([str(models["ours"].parent / "tiny"), str(audio_dir)], "a base model with no classification head (the"),
        ([str(broken), str(audio_dir)], "not an audio-classification checkpoint"),
        ([str(partial), str(audio_dir)], "preprocessor_config.json is missing (a fine-tuned model folder holds it"),
        ([str(probe), str(audio_dir)], "a probe (a head on frozen features"),
        ([str(mixed), str(audio_dir)], "holds both a fine-tuned model (config.json) and a probe (probe.json)"),
        ([ours, str(audio_dir), "--output", str(tmp_path / "p.txt")], "use .csv or .jsonl"),
        ([ours, str(audio_dir), "-o", str(tmp_path / "p.txt")], "use .csv or .jsonl"),  # -o as scan's and prepare's
        # the options by their flags, not the library's parameter names (hop_s, window_s=2.0)
        ([ours, str(audio_dir), "--hop-s", "3", "--window-s", "2"], "error: --hop-s must be in (0, --window-s 2.0]"),
        ([ours, str(audio_dir), "--window-s", "inf", "--hop-s", "inf"], "error: --window-s must be a finite number"),
        ([ours, str(audio_dir), "--threshold", "2"], "error: --threshold must be a probability in (0, 1), not 2.0"),
        # 0 and 1 too, as scoring's threshold: at 0 every label, at 1 none, whatever the audio
        ([ours, str(audio_dir), "--threshold", "0"], "error: --threshold must be a probability in (0, 1), not 0.0"),
        ([ours, str(audio_dir), "--threshold", "1"], "error: --threshold must be a probability in (0, 1), not 1.0"),
        ([ours, str(audio_dir), "--batch-size", "0"], "error: --batch-size must be at least 1, not 0"),
        ([ours, str(audio_dir), "--window-s", "0.01"], "error: --window-s must be at least 0.025 s (the model's recep"),
        ([ours, str(audio_dir), "--output", str(audio_dir.parent)], "is a folder; give a file name"),
        ([ours, str(audio_dir), "--output", str(tmp_path / "no" / "p.csv")], f"create it first (mkdir -p {tmp_path}"),
        (
            [ours, str(audio_dir), "--output", str(audio_dir / "notes.txt" / "p.csv")],
            "notes.txt is a file, not a folder",
        ),
        ([ours, str(audio_dir), "--segment", "vad", "--vad-threshold-db", "40"], "in dBFS, at most 0"),
        ([ours, str(audio_dir), "--vad-threshold-db", "-30"], "give --segment vad too"),  # was ignored
    ]
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    cases.append(
        (["someone/ser-13", str(audio_dir)], "no such folder here, and the Hugging Face Hub cannot be reached")
    )
    for (model, *rest), message in cases:
        assert main(["predict", "--model", model, *rest, "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "ok.wav").symlink_to(audio_dir / "a.wav")
    FixtureWriter.truncate(_copy(audio_dir / "a.wav", bad / "cut.wav"), keep_bytes=2000)
    out = tmp_path / "bad.csv"
    assert main(["predict", "--model", ours, str(bad), "--output", str(out), *OPTIONS]) == 2
    assert "cut.wav: WAV data chunk declares" in capsys.readouterr().err and not out.exists()
    assert main(["predict", "--model", ours, str(bad), "--output", str(out), "--skip-bad", *OPTIONS]) == 0
    err = capsys.readouterr().err  # no corpus column in the summary either, as in the TSV below
    assert re.search(r"^  truncated  1$", err, re.M) and "predict" not in err.split("skipped 1 input(s):")[1], err
    assert {r["file"] for r in _csv(out)} == {str(bad / "ok.wav")}
    listed = tmp_path / "bad.csv.skipped.tsv"  # every skipped file, beside the output
    assert [row["file"] for row in csv.DictReader(listed.open(), delimiter="\t")] == [str(bad / "cut.wav")]
    # its files belong to no corpus: no column corpus (it said "predict" in every row)
    assert listed.read_text().splitlines()[0].split("\t") == ["reason", "file", "message", "fix"]
    assert next(csv.DictReader(listed.open(), delimiter="\t"))["fix"] == "leave it out"
    (bad / "ok.wav").unlink()  # every file skipped: nothing predicted is a failure, not success
    out.unlink()
    assert main(["predict", "--model", ours, str(bad), "--output", str(out), "--skip-bad", *OPTIONS]) == 2
    err = capsys.readouterr().err
    assert "truncated" in err and "every audio file was skipped, nothing predicted" in err and not out.exists()


def test_an_advise_output_given_for_its_model_names_the_model_folders_below_it(models, audio_dir, tmp_path, capsys):
    """predict --model (and push) given an advise or grid output, its models/ or models/<name>/ (the folder
    above seed0) said only "not a model folder (no config.json)", and a model's model.safetensors "a file, not a
    model folder or Hub id": each now names the fine-tuned model folders below it (not the grid's untrained
    base-model) or the file's own folder."""
    out = tmp_path / "advise-zho_eld"
    for name in ("zho_eld", "zho_eld+zho_adu"):
        seed0 = out / "models" / name / "seed0"
        shutil.copytree(models["ours"], seed0)
        (seed0 / "scores.json").write_text("{}")
    shutil.copytree(models["ours"].parent / "tiny", out / "base-model")  # config.json, no scores.json: untrained
    both = f"(did you mean {out}/models/zho_eld/seed0 or {out}/models/zho_eld+zho_adu/seed0?)"
    cases = [
        (out, f"error: {out}: not a model folder (no config.json) {both}; pass the folder a training run saved"),
        (out / "models", f"error: {out}/models: not a model folder (no config.json) {both}"),
        (out / "models" / "zho_eld", f"(no config.json) (did you mean {out}/models/zho_eld/seed0?); pass the"),
        (
            out / "models" / "zho_eld" / "seed0" / "model.safetensors",
            f"a file, not a model folder or Hub id (did you mean its folder {out}/models/zho_eld/seed0?)",
        ),
    ]
    for model, message in cases:
        assert main(["predict", "--model", str(model), str(audio_dir), "--no-progress"]) == 2
        assert message in capsys.readouterr().err
    assert main(["push", str(out / "models"), "--repo-id", "me/ser", "--dry-run"]) == 2
    assert f"nor a fine-tuned model folder (config.json and scores.json) {both}: give the folder" in (
        capsys.readouterr().err
    )


def test_a_model_file_of_the_folder_one_is_in_names_that_folder(models, audio_dir, monkeypatch, capsys):
    """predict --model model.safetensors run in the model's folder said '(did you mean its folder ?)', naming
    no folder; it now names '.'."""
    monkeypatch.chdir(models["ours"])
    assert main(["predict", "--model", "model.safetensors", str(audio_dir), "--no-progress"]) == 2
    assert "model.safetensors: a file, not a model folder or Hub id (did you mean its folder .?)" in (
        capsys.readouterr().err
    )


def test_the_files_that_are_not_audio_are_named_and_listed_beside_the_output(models, audio_dir, tmp_path, capsys):
    """predict said "2 file(s) below the folders are not audio (by content) and were not read" and named
    none: a user could not tell what was left out.  It names the first three, says how many more, and
    lists every one with its reason in the skip list beside --output (all of them on stderr without one)."""
    root = tmp_path / "in"
    shutil.copytree(audio_dir, root)
    others = [root / name for name in ("notes.txt", "ratings.json", "sub/consent.pdf", "sub/photo.jpg", "z.md")]
    for path in others[1:]:
        path.write_bytes(b"%PDF-1.4 " if path.suffix == ".pdf" else b"not audio at all\n")
    ours, out = str(models["ours"]), tmp_path / "p.csv"
    assert main(["predict", "--model", ours, str(root), "--output", str(out), *OPTIONS]) == 0
    err = capsys.readouterr().err
    walked = sorted(map(str, others))  # in the order walked: by path
    said = "5 file(s) below the folders are not audio (by content) and were not read: "
    assert said + ", ".join(walked[:3]) + " and 2 more\n" in err, err
    listed = tmp_path / "p.csv.skipped.tsv"
    assert f"every skipped file (or file not audio, or with no window), with its reason and fix: {listed}" in err
    rows = list(csv.DictReader(listed.open(), delimiter="\t"))
    assert sorted(row["file"] for row in rows) == sorted(map(str, others))
    assert {(row["reason"], row["message"]) for row in rows} == {("not_audio", "not audio (by content): not read")}
    assert main(["predict", "--model", ours, str(root), *OPTIONS]) == 0  # no file to list them in: all on stderr
    err = capsys.readouterr().err
    assert said + ", ".join(walked) + "\n" in err, err


def test_a_missing_file_of_a_list_is_a_counted_skip_with_skip_bad(models, audio_dir, tmp_path, capsys):
    """A file list of a device's recordings, one of them gone since: even with --skip-bad the whole
    run stopped ("no such file or folder", nothing predicted).  With --skip-bad it is counted and listed
    (reason missing) and the others are predicted; without, the error says how to go on."""
    ours, out, gone = str(models["ours"]), tmp_path / "p.csv", str(tmp_path / "gone.wav")
    listed = [str(audio_dir / "a.wav"), gone, str(audio_dir / "c.mp3")]
    assert main(["predict", "--model", ours, *listed, "-o", str(out), *OPTIONS]) == 2
    err = capsys.readouterr().err
    assert f"error: {gone}: no such file or folder\n  fix: correct the path, or pass --skip-bad" in err, err
    assert not out.exists()
    assert main(["predict", "--model", ours, *listed, "-o", str(out), "--skip-bad", *OPTIONS]) == 0
    err = capsys.readouterr().err
    assert "\n  missing  1\n" in err and "predict  missing" not in err, err  # no corpus column, as in the TSV
    assert f"{gone}: no such file or folder" in err, err
    assert {row["file"] for row in csv.DictReader(out.open())} == {listed[0], listed[2]}
    skips = list(csv.DictReader((tmp_path / "p.csv.skipped.tsv").open(), delimiter="\t"))
    assert [(row["reason"], row["file"]) for row in skips] == [("missing", gone)]
    assert main(["predict", "--model", ours, gone, "--skip-bad", *OPTIONS]) == 2  # nothing left to read
    assert "every audio file was skipped, nothing predicted" in capsys.readouterr().err


def test_an_icloud_placeholder_of_a_recording_is_named_with_the_fix_not_passed_over(
    models, audio_dir, tmp_path, capsys
):
    """A folder copied from a Mac whose iCloud Drive evicted a recording holds '.e.wav.icloud' in its place:
    predict counted it among the files "not audio (by content)", the recording's absence unsaid.  It is an
    error naming it and the fix (download it), or with --skip-bad a counted skip named in the closing lines
    and listed beside the output (reason icloud_placeholder), as the readers report it in a corpus."""
    root = shutil.copytree(audio_dir, tmp_path / "in")
    placeholder = root / "sub" / ".e.wav.icloud"
    placeholder.write_bytes(b"bplist00\xd3\x01\x02\x03")
    ours, out = str(models["ours"]), tmp_path / "p.csv"
    assert main(["predict", "--model", ours, str(root), "-o", str(out), *OPTIONS]) == 2
    err = capsys.readouterr().err
    assert f"{placeholder}: iCloud Drive's placeholder for e.wav, whose content is not on this disk" in err, err
    assert "fix: download it on the Mac (Finder: Download Now; Terminal: brctl download on its path" in err
    assert main(["predict", "--model", ours, str(root), "-o", str(out), "--skip-bad", *OPTIONS]) == 0
    err = capsys.readouterr().err
    assert "\n  icloud_placeholder  1\n" in err and "predict  icloud" not in err, err
    assert "1 file(s) below the folders are not audio" in err, err
    skips = list(csv.DictReader((tmp_path / "p.csv.skipped.tsv").open(), delimiter="\t"))
    assert sorted((row["reason"], row["file"]) for row in skips) == [
        ("icloud_placeholder", str(placeholder)),
        ("not_audio", str(root / "notes.txt")),
    ]


def test_a_file_too_short_for_a_window_is_listed_beside_the_output(models, audio_dir, tmp_path, capsys):
    """A recorder's header-only WAV (no samples) gave no row and was named only in the closing lines:
    the list beside --output, where a pipeline looks for every input that gave no row, left it out."""
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros(0, dtype=np.float32), 16000)
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(models["ours"]), str(audio_dir / "a.wav"), str(empty), "-o", str(out),
                 *OPTIONS]) == 0  # fmt: skip
    assert "1 file(s) gave no window (shorter than the model's 27 ms receptive field" in capsys.readouterr().err
    assert {row["file"] for row in csv.DictReader(out.open())} == {str(audio_dir / "a.wav")}
    skips = list(csv.DictReader((tmp_path / "p.csv.skipped.tsv").open(), delimiter="\t"))
    assert [(row["reason"], row["file"]) for row in skips] == [("no_window", str(empty))]
    assert skips[0]["message"].startswith("read, but shorter than the model's 27 ms receptive field")  # 425 samples


def test_a_file_that_fails_part_way_is_counted_once_as_skipped(models, tmp_path, capsys):
    """A float WAV whose samples turn NaN after 7 s decodes one 5-s block, then fails: its first
    windows are given, the file is skipped, not counted as read too, and the summary says so."""
    samples = np.full(16000 * 9, 0.1, dtype=np.float32)
    samples[16000 * 7] = np.nan
    soundfile.write(tmp_path / "nan.wav", samples, 16000, subtype="FLOAT")
    soundfile.write(tmp_path / "ok.wav", samples[:16000], 16000, subtype="FLOAT")
    out = tmp_path / "p.csv"
    argv = ["predict", "--model", str(models["ours"]), str(tmp_path), "--output", str(out), "--skip-bad", *OPTIONS]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "1 file(s), " in err and "1 skipped file(s) failed part-way" in err, err
    rows = _csv(out)
    assert {r["file"] for r in rows} == {str(tmp_path / "nan.wav"), str(tmp_path / "ok.wav")}
    assert {r["file_notes"] for r in rows if r["file"].endswith("nan.wav")} == {
        "failed part-way (corrupt) after 5 s: skipped, only its first windows scored"  # one 5 s block decoded
    }
    (tmp_path / "ok.wav").unlink()  # every file failed part-way: an error, that says what the output holds
    assert main(argv) == 2
    assert f"every audio file was skipped: {out} holds only the first windows" in capsys.readouterr().err
    assert {r["file"] for r in _csv(out)} == {str(tmp_path / "nan.wav")}


def _copy(src, dst):
    dst.write_bytes(src.read_bytes())
    return dst


def test_a_link_loop_below_a_folder_lists_each_file_once(audio_dir, tmp_path):
    root = tmp_path / "linked"
    (root / "sub").mkdir(parents=True)
    (root / "a.wav").symlink_to(audio_dir / "a.wav")
    (root / "sub" / "up").symlink_to("..")  # a loop: walked naively it nests 40 levels deep
    (root / "again").symlink_to(root / "sub")  # a second way into a folder already walked
    report = PredictReport()
    found, not_audio = find_audio([root, root / "a.wav", audio_dir / "a.wav"], report=report.skipped)
    assert [s.name for s in found] == [str(root / "a.wav")] and not_audio == []
    assert "2 path(s) named a file already listed (given twice, or a link to it): read once" in report.format()
    (tmp_path / "link").symlink_to(root, target_is_directory=True)  # a folder given by a link is walked
    assert [s.name for s in find_audio([tmp_path / "link"])[0]] == [str(tmp_path / "link" / "a.wav")]


def test_a_recording_whose_name_holds_a_backslash_is_predicted_on(audio_dir, tmp_path):
    """A corpus's readers report such a name (a Windows zip unpacked as stored, its folders lost); a
    recording's name says nothing of a layout, so predict reads it."""
    folder = tmp_path / "unzipped"
    folder.mkdir()
    _copy(audio_dir / "a.wav", folder / "day room\\a.wav")
    assert [s.name for s in find_audio([folder])[0]] == [str(folder / "day room\\a.wav")]


def test_streamed_decoding_matches_whole_file_decoding(audio_dir):
    for name in ("sub/b.flac", "d.m4a"):
        path = audio_dir / name
        streamed = np.concatenate(list(audio_blocks(AudioSource(path, name, probe(path)), 16000, block_s=0.7)))
        whole, _ = decode(path, 16000)
        assert len(streamed) == len(whole), name
        assert np.abs(streamed - whole).max() < 2e-3, name  # soxr in blocks vs at once; FFmpeg: the same command


def test_a_flac_that_declares_no_length_is_predicted_on_as_the_same_flac_declaring_it(models, tmp_path, capsys):
    """A FLAC whose STREAMINFO declares no length (total samples 0: what `ffmpeg -f flac pipe:` writes) was
    reported corrupt by `bimotion predict` ("cannot decode audio: Internal psf_fseek() failed": libFLAC cannot
    seek to the end of such a file, where each read of a seekable file ends). It is read as a stream: its
    windows, scores and notes are those of the same FLAC declaring its length."""
    from test_audio import _declare_no_length

    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = dict(speaker="s1", gender="f", age_group="eld", language="zho", emotions=("happiness",))
    for rate, channels, duration_s in ((16000, 1, 4.5), (44100, 2, 3.2)):
        samples = writer.samples(duration_s=duration_s, sample_rate_hz=rate, **voice)
        rows = {}
        for name in ("declared", "none"):
            path = tmp_path / name / "x.flac"
            path.parent.mkdir(exist_ok=True)
            soundfile.write(path, np.stack([samples] * channels, 1) * 0.5, rate, format="FLAC")
            if name == "none":
                _declare_no_length(path)
                assert soundfile.info(str(path)).frames == 2**63 - 1
            out = tmp_path / f"{name}.csv"
            argv = ["predict", "--model", str(models["ours"]), str(path), "--output", str(out), *OPTIONS]
            assert main(argv) == 0, capsys.readouterr().err
            rows[name] = [{**r, "file": "x.flac"} for r in _csv(out)]
        assert len(rows["none"]) == window_count(duration_s, 2.0, 1.0), rate
        assert float(rows["none"][-1]["end_s"]) == pytest.approx(duration_s, abs=1e-3)
        assert rows["none"] == rows["declared"], rate


def test_streamed_decoding_leaves_a_silent_channel_out_as_decode_does(tmp_path):
    """A stereo file with a dead channel: prepare stores it at its level, predict fed the model the
    channel mean (6 dB down); a channel that is silent in one block only still counts."""
    t = np.arange(3 * 22050) / 22050
    voice = 0.5 * np.sin(2 * np.pi * 220 * t) * (t > 2.0)  # speaks only after 2 s: blocks of 0.7 s before are silent
    for second in (np.zeros_like(voice), 0.5 * np.sin(2 * np.pi * 330 * t)):
        soundfile.write(tmp_path / "x.wav", np.stack([voice, second], 1), 22050, subtype="PCM_16")
        path = tmp_path / "x.wav"
        streamed = np.concatenate(list(audio_blocks(AudioSource(path, "x", probe(path)), 16000, block_s=0.7)))
        whole, _ = decode(path, 16000)
        assert len(streamed) == len(whole) and np.abs(streamed - whole).max() < 2e-3


def test_stereo_mp4_audio_is_mixed_down_as_a_wav_is(tmp_path):
    """FFmpeg mixed MP4 audio to mono itself, with 0.71 per channel: two equal channels came out 3 dB
    above the same recording read from a WAV (a loud clip clipped), a dead channel 3 dB below, in
    prepare and in predict alike."""
    t = np.arange(3 * 22050) / 22050
    voice = 0.5 * np.sin(2 * np.pi * 220 * t) * (t > 2.0)
    for second in (np.zeros_like(voice), voice):
        wav, m4a = tmp_path / "x.wav", tmp_path / "x.m4a"
        soundfile.write(wav, np.stack([voice, second], 1), 22050, subtype="PCM_16")
        subprocess.run(["ffmpeg", "-y", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "192k", str(m4a)], check=True)  # fmt: skip
        assert probe(m4a).num_channels == 2
        reference = _rms_db(decode(wav, 16000)[0])
        whole, _ = decode(m4a, 16000)
        streamed = np.concatenate(list(audio_blocks(AudioSource(m4a, "x", probe(m4a)), 16000, block_s=0.7)))
        assert abs(_rms_db(whole) - reference) < 0.5 and abs(_rms_db(streamed) - reference) < 0.5
        assert len(streamed) == len(whole) and np.abs(streamed - whole).max() < 2e-3


def _rms_db(samples: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(samples, dtype=np.float64)))


@pytest.mark.parametrize("duration_s", [0.3, 2.0, 2.5, 3.0, 7.9])
def test_fixed_windows_cover_the_recording_whatever_the_block_size(duration_s):
    samples = np.arange(round(duration_s * 100), dtype=np.float32)
    how = Windowing(window_s=2.0, hop_s=0.5)
    results = []
    for block in (7, 64, 10_000):
        blocks = [samples[i : i + block] for i in range(0, len(samples), block)]
        results.append([(start, len(w), float(w[0])) for start, w in windows(blocks, 100, how)])
    assert results[0] == results[1] == results[2]
    starts = [start for start, _, _ in results[0]]
    assert len(starts) == window_count(duration_s, 2.0, 0.5)
    assert all(first == start for start, _, first in results[0])  # each window holds its own samples
    assert starts[0] == 0 and starts[-1] + results[0][-1][1] == len(samples)


def test_vad_windows_only_the_voiced_stretches():
    rate = 16000
    rng = np.random.default_rng(0)
    noise = lambda s, level: (rng.standard_normal(round(s * rate)) * level).astype(np.float32)  # noqa: E731
    # 1 s room noise, 2.5 s speech with a 0.1 s pause, 1 s noise, a 0.1 s click, 0.5 s noise
    parts = [noise(1, 1e-3), noise(1.2, 0.1), noise(0.1, 1e-3), noise(1.2, 0.1), noise(1, 1e-3),
             noise(0.1, 0.1), noise(0.5, 1e-3)]  # fmt: skip
    samples = np.concatenate(parts)
    how = Windowing(window_s=1.0, hop_s=0.5, segment="vad")
    blocks = [samples[i : i + 3000] for i in range(0, len(samples), 3000)]
    spans = [(start / rate, (start + len(w)) / rate) for start, w in windows(blocks, rate, how)]
    assert spans[0][0] == pytest.approx(1.0, abs=0.03) and spans[-1][1] == pytest.approx(3.5, abs=0.03)
    segment_s = spans[-1][1] - spans[0][0]  # one segment: the pause stays inside, the click is dropped
    assert len(spans) == window_count(segment_s, 1.0, 0.5) and all(e - s == pytest.approx(1.0) for s, e in spans)


def test_the_output_file_is_written_whole_through_a_file_of_its_own(tmp_path):
    """A folder given as --output is refused before any scoring; each writer has its own partial
    file (two runs never mix their rows), and a failed run leaves none behind."""
    from bimotion.predict.output import RowWriter, WindowPrediction

    (tmp_path / "taken.csv").mkdir()
    with (
        pytest.raises(PredictError, match="is a folder; give a file name"),
        RowWriter(tmp_path / "taken.csv", ["anger"]),
    ):
        pass
    row = WindowPrediction("a.wav", 0.0, 1.0, {"anger": 0.9}, ("anger",))
    out = tmp_path / "p.jsonl"
    with RowWriter(out, ["anger"]) as first, RowWriter(out, ["anger"]) as second:
        assert first.partial != second.partial and first.partial.parent == out.parent
        first.write(row)
        second.write(row)
        second.write(row)
    assert len(out.read_text().splitlines()) == 1  # the writer that finished last (first: 1 row) wins, whole
    with pytest.raises(RuntimeError), RowWriter(out, ["anger"]) as failing:
        failing.write(row)
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl", "taken.csv"]


def test_a_file_shorter_than_the_models_own_receptive_field_gives_no_window(models, tmp_path, capsys):
    """The shortest window was wav2vec2's 400 samples whatever the model: the tiny model's encoder
    sees 425, so a model scored unpadded (no attention mask) crashed in its convolutions on a file of
    410 samples.  The receptive field now comes from the model's config, and the window length is
    checked against it."""
    from transformers import AutoFeatureExtractor

    unmasked = shutil.copytree(models["ours"], tmp_path / "unmasked")
    fe = AutoFeatureExtractor.from_pretrained(unmasked)
    fe.return_attention_mask = False
    fe.save_pretrained(unmasked)
    predictor = load_predictor(unmasked, progress=False)
    assert predictor.min_samples == 425 and not predictor.padding_unheard
    noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    soundfile.write(tmp_path / "short.wav", noise[:410], 16000)
    soundfile.write(tmp_path / "long.wav", noise, 16000)
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(unmasked), str(tmp_path / "long.wav"), str(tmp_path / "short.wav"),
                 "-o", str(out), *OPTIONS]) == 0  # fmt: skip
    assert "1 file(s) gave no window (shorter than the model's 27 ms receptive field" in capsys.readouterr().err
    assert {row["file"] for row in csv.DictReader(out.open())} == {str(tmp_path / "long.wav")}
    with pytest.raises(PredictError, match=r"window_s must be at least 0.0265625 s for .*unmasked \(its receptive"):
        predict_files(
            predictor, [tmp_path / "long.wav"], window_s=0.026, hop_s=0.026, vad_min_speech_s=0, progress=False
        )
    ours = load_predictor(models["ours"], progress=False)
    assert ours.min_samples == 425
    no_convolutions = SimpleNamespace(config=SimpleNamespace())  # a model whose config names no convolutions
    assert Predictor(no_convolutions, ours.feature_extractor, [], "other").min_samples == 400  # MIN_WINDOW_S


def test_a_file_with_no_window_is_explained():
    """A file that gave no window: too short for the model, or (vad) no stretch of voice long enough."""
    text = PredictReport(files=1, no_window=["short.wav"]).format()
    assert "short.wav" in text and "25 ms receptive field" in text and "no stretch of voice of at least 0.25 s" in text


def test_a_silent_file_is_scored_but_said_to_be_silent(models, tmp_path):
    """Digital silence gets rows (a recording may be silent on purpose), and the report says that
    their scores mean nothing."""
    soundfile.write(tmp_path / "quiet.wav", np.zeros(32000), 16000, subtype="PCM_16")
    soundfile.write(tmp_path / "offset.wav", np.full(32000, 0.25), 16000, subtype="PCM_16")  # DC: silent too
    report = PredictReport()
    files = [tmp_path / "quiet.wav", tmp_path / "offset.wav"]
    rows = list(predict_files(models["ours"], files, window_s=2.0, hop_s=1.0, progress=False, report=report))
    assert rows and report.silent == [str(f) for f in files]
    assert "2 file(s) are silent (peak at most -80 dBFS): their scores mean nothing" in report.format()


def test_silent_windows_of_a_file_with_sound_elsewhere_are_scored_but_named(models, tmp_path):
    """A recording muted for a while (digital silence between speech) got fixed windows scored as
    confidently as speech (a tiny model gave "positive" at 0.73 to each of 8 windows of a 20 s pause) and no word of it: only a wholly
    silent file was named.  Its silent windows are now named too (``report.silent_windows``, a line of
    the report), their rows kept as a silent file's are."""
    speech = 0.3 * np.sin(2 * np.pi * 220 * np.arange(48000) / 16000) * np.sin(np.pi * np.arange(48000) / 4000)
    soundfile.write(tmp_path / "muted.wav", np.concatenate([speech, np.zeros(16000 * 8), speech]), 16000)
    soundfile.write(tmp_path / "quiet.wav", np.zeros(32000), 16000, subtype="PCM_16")
    report = PredictReport()
    files = [tmp_path / "muted.wav", tmp_path / "quiet.wav"]
    rows = list(predict_files(models["ours"], files, window_s=2.0, hop_s=1.0, progress=False, report=report))
    muted = str(tmp_path / "muted.wav")
    assert [(r.start_s, r.end_s) for r in rows if r.file == muted][:6] == [(i, i + 2.0) for i in range(6)]
    silent = [(start, end) for file, start, end in report.silent_windows if file == muted]
    assert silent == [(i, i + 2.0) for i in range(3, 10)]  # 3-11 s: the windows that hold nothing but the pause
    assert report.silent == [str(tmp_path / "quiet.wav")]
    text = report.format()
    assert "7 window(s) of files with sound elsewhere are silent (peak at most -80 dBFS)" in text
    assert f"{muted} 3-5 s, {muted} 4-6 s, {muted} 5-7 s and 4 more" in text
    assert "quiet.wav 0-2 s" not in text  # a silent file is named once, as a file
    # each row says it too: an application reading the rows, not the report, knows to ignore those scores
    assert [(r.file, r.start_s, r.end_s) for r in rows if r.silent] == [(muted, s, e) for s, e in silent] + [
        (str(tmp_path / "quiet.wav"), s, s + 2.0) for s in (0.0,)
    ]
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(models["ours"]), str(tmp_path / "muted.wav"), "-o", str(out),
                 "--window-s", "2", "--hop-s", "1", "--no-progress"]) == 0  # fmt: skip
    assert [(float(r["start_s"]), r["silent"]) for r in _csv(out)][2:5] == [
        (2.0, "false"),
        (3.0, "true"),
        (4.0, "true"),
    ]


def test_a_silent_window_predicts_no_label_but_keeps_its_scores(models, tmp_path):
    """A silent window's row listed the labels its meaningless scores passed (a tiny model: "positive"
    for every window of a pause), so an application acting on ``predicted`` acted on silence.  Such a row
    now predicts nothing; its scores stay, for whoever wants to look (threshold 1e-6: every label passes)."""
    speech = 0.3 * np.sin(2 * np.pi * 220 * np.arange(32000) / 16000)
    soundfile.write(tmp_path / "muted.wav", np.concatenate([speech, np.zeros(16000 * 4)]), 16000)
    rows = list(
        predict_files(models["ours"], [tmp_path / "muted.wav"], window_s=2.0, hop_s=2.0, threshold=1e-6, progress=False)
    )
    assert [(r.start_s, r.silent) for r in rows] == [(0.0, False), (2.0, True), (4.0, True)]
    assert rows[0].predicted == tuple(rows[0].scores)  # threshold 1e-6: every label of a window with sound
    assert [r.predicted for r in rows[1:]] == [(), ()] and all(len(r.scores) == len(rows[0].scores) for r in rows)


def test_a_label_is_predicted_as_scoring_reads_its_logit_not_its_rounded_score(models, tmp_path, monkeypatch):
    """A logit of -1e-6 has the sigmoid 0.49999975, written as 0.5 (6 decimals): predict compared the
    rounded score with the threshold and predicted the label, where scoring (logits > 0) counts it
    absent.  The label is now decided on the unrounded score; the row still shows it rounded."""
    from bimotion.training import inference
    from bimotion.training.metrics import scores

    logits = np.full(len(LABELS), -5.0, dtype=np.float32)
    logits[[LABELS.index(name) for name in TRAINED]] = [-1e-6, 1e-6, 0.3]  # neutral, positive, negative
    monkeypatch.setattr(inference, "batch_logits", lambda model, batch, *a, **k: np.tile(logits, (len(batch["input_values"]), 1)))  # fmt: skip
    speech = 0.3 * np.sin(2 * np.pi * 220 * np.arange(32000) / 16000)
    soundfile.write(tmp_path / "speech.wav", speech, 16000)
    (row,) = predict_files(models["ours"], [tmp_path / "speech.wav"], window_s=2.0, hop_s=2.0, progress=False)
    assert row.scores == {"neutral": 0.5, "positive": 0.5, "negative": round(1 / (1 + np.exp(-0.3)), 6)}
    assert row.predicted == ("positive", "negative")
    scored = scores(logits[None], np.ones((1, len(LABELS)), int), np.ones((1, len(LABELS)), bool))
    assert [label for label, c in scored["confusion"]["counts"].items() if c["tp"]] == list(row.predicted)


def test_a_label_whose_score_is_exactly_the_threshold_is_absent_as_scoring_counts_it(models, tmp_path, monkeypatch):
    """A logit of exactly 0 has the sigmoid 0.5: predict counted a label at or above --threshold
    (0.5) and predicted it, where scoring counts it when the logit is above 0 (absent).  A label is now
    predicted when its score is above the threshold, as scoring reads it."""
    from bimotion.training import inference
    from bimotion.training.metrics import scores

    logits = np.full(len(LABELS), -5.0, dtype=np.float32)
    logits[[LABELS.index(name) for name in TRAINED]] = [0.0, 0.3, -0.3]  # neutral, positive, negative
    monkeypatch.setattr(inference, "batch_logits", lambda model, batch, *a, **k: np.tile(logits, (len(batch["input_values"]), 1)))  # fmt: skip
    soundfile.write(tmp_path / "speech.wav", 0.3 * np.sin(2 * np.pi * 220 * np.arange(32000) / 16000), 16000)
    (row,) = predict_files(models["ours"], [tmp_path / "speech.wav"], window_s=2.0, hop_s=2.0, progress=False)
    assert row.scores["neutral"] == 0.5 and row.predicted == ("positive",)
    scored = scores(logits[None], np.ones((1, len(LABELS)), int), np.ones((1, len(LABELS)), bool))
    assert [label for label, c in scored["confusion"]["counts"].items() if c["tp"]] == list(row.predicted)
    # at --threshold 0.45, as scoring's threshold=0.45: neutral and positive (0.5, 0.574) are above it, negative (0.426) not
    (row,) = predict_files(
        models["ours"], [tmp_path / "speech.wav"], window_s=2.0, hop_s=2.0, threshold=0.45, progress=False
    )
    scored = scores(logits[None], np.ones((1, len(LABELS)), int), np.ones((1, len(LABELS)), bool), threshold=0.45)
    assert row.predicted == ("neutral", "positive")
    assert [label for label, c in scored["confusion"]["counts"].items() if c["tp"]] == list(row.predicted)


def test_a_label_is_decided_on_its_logit_as_scoring_decides_it(models, tmp_path, monkeypatch):
    """A float32 logit of 1e-20 has the float64 sigmoid exactly 0.5: scoring (logits > 0) counts the
    label present, predict compared the score with --threshold (0.5 > 0.5) and left it out.  predict
    now decides on the logit, as scoring does (bimotion.training.f1.present), at 0.5 and at 0.45."""
    from bimotion.training import inference
    from bimotion.training.metrics import scores

    cut = np.float32(np.log(0.45 / 0.55))  # just above scoring's float64 cut for 0.45
    logits = np.full(len(LABELS), -5.0, dtype=np.float32)
    logits[[LABELS.index(name) for name in TRAINED]] = [1e-20, -1e-20, cut]  # neutral, positive, negative
    monkeypatch.setattr(inference, "batch_logits", lambda model, batch, *a, **k: np.tile(logits, (len(batch["input_values"]), 1)))  # fmt: skip
    soundfile.write(tmp_path / "speech.wav", 0.3 * np.sin(2 * np.pi * 220 * np.arange(32000) / 16000), 16000)
    ones = np.ones((1, len(LABELS)), int), np.ones((1, len(LABELS)), bool)
    for threshold, expected in [(0.5, ("neutral",)), (0.45, ("neutral", "positive", "negative"))]:
        (row,) = predict_files(
            models["ours"], [tmp_path / "speech.wav"], window_s=2.0, hop_s=2.0, threshold=threshold, progress=False
        )
        assert row.scores["neutral"] == row.scores["positive"] == 0.5 and row.predicted == expected
        scored = scores(logits[None], *ones, threshold=threshold)
        assert [label for label, c in scored["confusion"]["counts"].items() if c["tp"]] == list(row.predicted)


def test_a_wrong_model_is_named_before_any_audio_file_is_read(tmp_path, capsys):
    """A mistyped --model is the error, not the first unreadable file of the folder to score."""
    from bimotion.cli import main

    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "broken.wav").write_bytes(b"RIFF" + bytes(40))
    assert main(["predict", "--model", str(tmp_path / "nope"), str(tmp_path / "audio")]) == 2
    err = capsys.readouterr().err
    assert "no such model folder" in err and "broken.wav" not in err


def test_the_progress_bar_never_runs_past_its_total(models, audio_dir, monkeypatch):
    """Decoded audio can run past the headers' durations (resampling rounds up, MP3 headers
    estimate): the bar grows its total rather than warn (tqdm's 'clamping frac to range [0, 1]')."""
    import dataclasses
    import functools
    import warnings

    import tqdm.auto
    from tqdm import TqdmWarning

    from bimotion.predict import _rows

    monkeypatch.setattr(
        tqdm.auto, "tqdm", functools.partial(tqdm.auto.tqdm, mininterval=0, miniters=1)
    )  # every update drawn
    sources, _ = find_audio([audio_dir / "a.wav"])
    short = [
        dataclasses.replace(s, info=dataclasses.replace(s.info, num_frames=s.info.num_frames // 2)) for s in sources
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", TqdmWarning)
        rows = list(_rows(load_predictor(models["ours"]), short, Windowing(), 0.5, 8, True, False, PredictReport()))
    assert len(rows) == 2  # 5.5 s in 4-s windows every 2 s


def test_the_progress_bar_ends_full_when_a_file_is_skipped(models, audio_dir, tmp_path, monkeypatch):
    """A file that failed while decoding, skipped with --skip-bad, left the bar's total counting its
    audio: the run ended at '48%| 6/12 s of audio' as if it had stopped early. Its unread seconds now
    leave the total, and the bar ends full at the audio predicted."""
    import numpy as np
    import soundfile as sf
    import tqdm.auto

    from bimotion.predict import _rows

    bars = []

    updates = []  # (n, total) after each step, the remaining time shown from them

    class Recorded(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)

        def update(self, n=1):
            super().update(n)
            updates.append((self.n, self.total))

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    broken = tmp_path / "broken.flac"  # frames damaged in its middle, its last whole (a FLAC cut short is the
    sf.write(broken, (np.random.default_rng(0).standard_normal(6 * 16000) * 0.1).astype("float32"), 16000)
    data = bytearray(broken.read_bytes())  # probe's `truncated`): read as whole, it fails as it is decoded
    middle = slice(len(data) // 2, len(data) // 2 + 4096)
    data[middle] = bytes((byte * 7 + 13) % 256 for byte in data[middle])
    broken.write_bytes(bytes(data))
    sources, _ = find_audio([broken, audio_dir / "a.wav"])  # the skipped file first: the bar goes on after it
    report = PredictReport()
    rows = list(_rows(load_predictor(models["ours"]), sources, Windowing(), 0.5, 8, True, True, report))
    assert rows and report.skipped.to_dict() == {"predict/corrupt": 1}
    assert bars[-1].n == pytest.approx(report.audio_s) and bars[-1].total == bars[-1].n
    # while the next file is read, the total already leaves out the skipped file's unread seconds
    assert updates[-1] == (pytest.approx(report.audio_s), pytest.approx(report.audio_s)), updates
    assert report.audio_s == pytest.approx(5.5, abs=0.01)


def test_in_a_log_the_predict_bar_is_a_line_every_30_s(models, audio_dir, monkeypatch, tqdm_options):
    """Into a pipe or a log file the bar was redrawn as a line per refresh (every 0.1 s); under quiet
    output it is a stage bar there, as training's: a line every LOG_BAR_INTERVAL_S."""
    from bimotion import console
    from bimotion.predict import _rows

    sources, _ = find_audio([audio_dir / "a.wav"])
    for quiet, interval_s in ((True, console.LOG_BAR_INTERVAL_S), (False, 0.1)):  # --verbose: tqdm's default
        monkeypatch.setattr(console, "_quiet", quiet)
        list(_rows(load_predictor(models["ours"]), sources, Windowing(), 0.5, 8, True, False, PredictReport()))
        assert tqdm_options[-1]["mininterval"] == interval_s


def test_an_unreadable_file_in_a_folder_is_a_counted_skip(audio_dir, tmp_path, monkeypatch):
    """is_audio now raises for a file it cannot open (it used to call it audio): predict raised it
    even with --skip-bad, with a corpus reader's hint."""
    import bimotion.predict.audio as predict_audio
    from loaders.errors import BadFileError

    root = tmp_path / "in"
    shutil.copytree(audio_dir, root)
    (root / "locked.bin").write_bytes(b"\0" * 64)
    real = predict_audio.is_audio

    def is_audio(path):  # as root, chmod cannot make a file unreadable
        if path.name == "locked.bin":
            raise BadFileError(path, "unreadable", "cannot read the file (Permission denied)", "make it readable")
        return real(path)

    monkeypatch.setattr(predict_audio, "is_audio", is_audio)
    report = PredictReport()
    found, _ = find_audio([root], skip_bad=True, report=report.skipped)
    assert found and report.skipped.to_dict() == {"predict/unreadable": 1}
    with pytest.raises(BadFileError, match="locked.bin") as err:
        find_audio([root])
    assert err.value.hint == "leave it out, or pass --skip-bad to skip it"


def test_recordings_in_a_format_that_is_not_read_are_reported_with_the_conversion(audio_dir, tmp_path):
    """A phone's WebM or a Windows recorder's WMA in a folder given to predict was counted among the files
    "not audio (by content)", unnamed and unread; now each is an error naming its format and the
    conversion, or with --skip-bad a counted skip."""
    from loaders.errors import BadFileError

    root = tmp_path / "in"
    shutil.copytree(audio_dir, root)
    (root / "voice.webm").write_bytes(b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81" + bytes(500))
    (root / "rec.wma").write_bytes(b"0&\xb2u\x8ef\xcf\x11\xa6\xd9\x00\xaa" + bytes(500))
    with pytest.raises(BadFileError, match=r"rec.wma: WMA \(ASF\) audio, a format that is not read") as err:
        find_audio([root])
    assert err.value.reason == "unsupported_format" and "ffmpeg -i IN OUT.flac" in err.value.hint
    report = PredictReport()
    found, not_audio = find_audio([root], skip_bad=True, report=report.skipped)
    assert len(found) == 4 and not_audio == [str(root / "notes.txt")]  # notes.txt only
    assert report.skipped.to_dict() == {"predict/unsupported_format": 2}


def test_without_ffmpeg_the_files_that_need_it_are_named_before_the_model_loads_or_skipped(
    models, audio_dir, tmp_path, capsys, monkeypatch
):
    """An M4A without `ffmpeg` on PATH failed after the model had loaded, at the first such file,
    naming that one only (and ElderReact), and --skip-bad stopped on it too."""
    damaged = shutil.copytree(models["ours"], tmp_path / "damaged")  # loading it fails: nothing may load it first
    weights = next(damaged.glob("*.safetensors"))
    FixtureWriter.truncate(weights, keep_bytes=weights.stat().st_size // 2)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(damaged), str(audio_dir), "-o", str(out), *OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: FFmpeg is needed to decode 1 file(s): {audio_dir / 'd.m4a'} (MP4/M4A audio, or "
                          "MP3s that libsndfile reads only in part); `ffmpeg` is not on PATH: install it "
                          "(Debian/Ubuntu: `apt-get install ffmpeg`"), err  # fmt: skip
    assert err.rstrip().endswith("or pass --skip-bad to skip those files") and not out.exists()
    assert (
        main(["predict", "--model", str(models["ours"]), str(audio_dir), "-o", str(out), "--skip-bad", *OPTIONS]) == 0
    )
    err = capsys.readouterr().err
    assert re.search(r"^  needs_ffmpeg  1\n .*d\.m4a: FFmpeg is needed to decode it \(MP4/M4A audio\)", err, re.M), err
    assert "3 file(s), " in err and {r["file"] for r in _csv(out)} == {
        str(audio_dir / name) for name in DURATIONS_S if name != "d.m4a"
    }
    listed = csv.DictReader((tmp_path / "p.csv.skipped.tsv").open(), delimiter="\t")
    assert [(row["reason"], row["file"]) for row in listed] == [
        ("needs_ffmpeg", str(audio_dir / "d.m4a")),
        ("not_audio", str(audio_dir / "notes.txt")),  # not read either: the list has every file not read
    ]
    # only files that need FFmpeg: every one skipped is an error, as for other skips
    assert main(["predict", "--model", str(models["ours"]), str(audio_dir / "d.m4a"), "--skip-bad", *OPTIONS]) == 2
    assert "every audio file was skipped, nothing predicted" in capsys.readouterr().err
    monkeypatch.undo()  # with FFmpeg, the damaged model is what stops the run
    assert main(["predict", "--model", str(damaged), str(audio_dir), "-o", str(out), *OPTIONS]) == 2
    assert "FFmpeg" not in capsys.readouterr().err


def test_files_recorded_below_the_models_rate_are_named_as_upsampled(models, audio_dir, tmp_path, capsys):
    """8 kHz telephone audio was upsampled to the model's 16 kHz without a word, though it lacks the upper
    band the model heard in training; the closing lines now name such files (44.1 and 22.05 kHz, above
    the model's rate, are no news)."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = dict(speaker="s9", gender="m", age_group="eld", language="yue", emotions=("sadness",))
    samples = writer.samples(duration_s=3.0, sample_rate_hz=8000, **voice)
    soundfile.write(tmp_path / "call.wav", samples * 0.5, 8000, subtype="PCM_16")
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(models["ours"]), str(audio_dir / "sub"), str(tmp_path / "call.wav"),
                 "-o", str(out), *OPTIONS]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert (
        f"1 file(s) recorded below the model's 16000 Hz (lowest 8000 Hz) were upsampled: they lack the upper band "
        "of audio recorded at 16000 Hz, so their scores may be less accurate where the model was trained on audio "
        "with that band (a model records no sample rate of the clips it trained on, its train_manifest.txt their ids "
        f"alone: whether it heard such audio is not known here): {tmp_path / 'call.wav'}" in err
    ), err  # it said "unless the model was trained on such audio" of a model trained on 8 kHz clips: not known here
    assert main(["predict", "--model", str(models["ours"]), str(audio_dir / "sub"), *OPTIONS]) == 0
    assert "upsampled" not in capsys.readouterr().err
    # an 8 kHz click too short for a window has no scores: it was counted among the files whose scores
    # "may be less accurate" too ("2 file(s) recorded below ..."), beside the line saying it gave no window
    soundfile.write(tmp_path / "click.wav", samples[:100], 8000, subtype="PCM_16")
    assert main(["predict", "--model", str(models["ours"]), str(tmp_path / "call.wav"), str(tmp_path / "click.wav"),
                 "-o", str(out), *OPTIONS]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "1 file(s) gave no window (shorter than the model's" in err and f"{tmp_path / 'click.wav'}" in err, err
    assert "1 file(s) recorded below the model's 16000 Hz (lowest 8000 Hz) were upsampled" in err, err


def test_in_a_log_the_bar_ends_on_one_full_line(models, audio_dir, tmp_path, capfd):
    """Into a log file or a pipe, predict's bar wrote its full line twice ('predict: 100%| 9/9 s of
    audio' from a refresh at the end, then again as it closed)."""
    options = [o for o in OPTIONS if o != "--no-progress"]
    out_csv = tmp_path / "p.csv"
    assert main(["predict", "--model", str(models["ours"]), str(audio_dir), "--output", str(out_csv), *options]) == 0
    bar_lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("predict:")]
    assert len([line for line in bar_lines if "100%" in line]) == 1, bar_lines
    assert bar_lines[-1].startswith("predict: 100%")


def test_excel_writes_the_byte_order_mark_excel_needs_and_the_default_stays_plain_utf8(models, tmp_path, capsys):
    """emotions.csv with a Chinese file name showed as garbage in Excel on Windows (no byte-order mark:
    Excel read it in the system's code page).  The default stays plain UTF-8, which Python's csv and the
    command-line tools read as it is; --excel adds the mark (pandas reads either), and is refused where
    it would mean nothing: standard output, JSON Lines."""
    import pandas as pd

    rng = np.random.default_rng(0)
    folder = tmp_path / "錄音"
    folder.mkdir()
    soundfile.write(folder / "陳太太_開心.wav", rng.normal(0, 0.1, 16000 * 2).astype("float32"), 16000)
    base = ["predict", "--model", str(models["ours"]), str(folder), *OPTIONS]
    plain, marked = tmp_path / "emotions.csv", tmp_path / "emotions_excel.csv"
    assert main([*base, "-o", str(plain)]) == 0
    assert main([*base, "-o", str(marked), "--excel"]) == 0
    assert plain.read_bytes().startswith(b"file,") and marked.read_bytes().startswith(b"\xef\xbb\xbffile,")
    with open(plain, newline="", encoding="utf-8") as f:
        assert next(csv.DictReader(f))["file"].endswith("陳太太_開心.wav")
    with open(marked, newline="", encoding="utf-8-sig") as f:
        assert next(csv.DictReader(f))["file"].endswith("陳太太_開心.wav")
    for path in (plain, marked):
        assert pd.read_csv(path)["file"].str.endswith("陳太太_開心.wav").all()
    capsys.readouterr()
    assert main([*base, "--excel"]) == 2
    assert capsys.readouterr().err.strip() == "error: --excel marks a CSV file for Excel: give --output FILE.csv"
    assert main([*base, "--excel", "-o", str(tmp_path / "p.jsonl")]) == 2
    assert "is JSON Lines: name it .csv" in capsys.readouterr().err
    assert not (tmp_path / "p.jsonl").exists()


def test_the_progress_bar_counts_seconds_of_audio_to_a_tenth(models, tmp_path, capsys):
    """The bar of 2.4 s of audio ended '2/2 s of audio', its seconds rounded to whole ones: a total
    under what was read.  It shows a tenth of a second: '2.4/2.4 s of audio'."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    writer.audio(tmp_path / "in" / "short.wav", speaker="s1", duration_s=2.4, gender="f", age_group="eld",
                 language="zho", emotions=("happiness",))  # fmt: skip
    out = tmp_path / "rows.csv"
    assert main(["predict", "--model", str(models["ours"]), str(tmp_path / "in"), "--window-s", "2", "--hop-s", "1",
                 "--output", str(out)]) == 0  # fmt: skip
    bars = [line for line in capsys.readouterr().err.splitlines() if line.startswith("predict: ")]
    assert bars and all(re.search(r"\| \d+\.\d/2\.4 s of audio \[", line) for line in bars), bars
    assert re.search(r"100%\|.*\| 2\.4/2\.4 s of audio \[", bars[-1]), bars


def test_a_window_shorter_than_the_default_hop_alone_is_scored_without_gaps(models, audio_dir, tmp_path, capsys):
    """``--window-s 1`` alone was refused ('--hop-s must be in (0, --window-s 1.0]'): the default hop stayed
    2.0 s, which would leave gaps.  The default hop is now 2.0 s or the window where that is shorter (so every
    window of 2 s or more is cut as before); a hop longer than the window given is still refused."""
    clip, out = str(audio_dir / "a.wav"), tmp_path / "p.csv"  # 5.5 s
    predict = ["predict", "--model", str(models["ours"]), clip, "-o", str(out), "--no-progress"]
    assert main([*predict, "--window-s", "1"]) == 0
    assert [float(r["start_s"]) for r in _csv(out)] == [0.0, 1.0, 2.0, 3.0, 4.0, 4.5]  # the last ends at the end
    assert main([*predict, "--window-s", "3"]) == 0
    assert [float(r["start_s"]) for r in _csv(out)] == [0.0, 2.0, 2.5]  # 2.0 s as before
    capsys.readouterr()
    assert main(["predict", "--model", str(models["ours"]), clip, "--window-s", "1", "--hop-s", "1.5"]) == 2
    assert "error: --hop-s must be in (0, --window-s 1.0], not 1.5" in capsys.readouterr().err
    assert Windowing().hop_s == 2.0 and Windowing(window_s=0.5).hop_s == 0.5 and Windowing(window_s=8).hop_s == 2.0


def test_one_sigmoid_turns_logits_into_scores():
    """predict's scores had their own sigmoid (bimotion.predict.model) beside an unused one in
    bimotion.training.metrics, which clipped logits to +-60 in their own dtype: one rule now, in
    bimotion.training.f1 beside the logit rule (present) that decides the labels."""
    import ast

    from conftest import REPO

    found = [
        f"{path.relative_to(REPO)}"
        for package in ("bimotion", "loaders", "yuemotion")
        for path in sorted((REPO / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name == "sigmoid"
    ]
    assert found == ["bimotion/training/f1.py"]


def test_a_training_clip_at_another_sample_rate_under_its_name_is_not_said_to_be_another_recording(tmp_path):
    """A file named as a training clip whose decoded audio matches no digest of the model's train_audio.txt was said
    to "hold other audio ... not those clips, so scored as speech it never heard"; but the training recording itself
    at 48 kHz (CSED's clips are 44.1 kHz: prepare resampled them), a lossy copy, or data prepared by another soxr
    or bimotion decodes to other samples too.  The note now says what a mismatch can be, and asserts nothing."""
    import soxr

    from bimotion.features import SAMPLE_RATE_HZ, encode_audio, stored_digest
    from bimotion.predict.model import training_notes
    from bimotion.training.outputs import MANIFEST

    rng = np.random.default_rng(0)
    recording = (rng.standard_normal(44100) * 0.1).astype(np.float32)  # 1 s at 44.1 kHz, as CSED's
    original = tmp_path / "csed" / "Natural" / "Nat_Female-3.wav"
    original.parent.mkdir(parents=True)
    soundfile.write(original, recording, 44100, subtype="PCM_16")
    samples, _ = decode(original, SAMPLE_RATE_HZ, dtype="int16")
    length, digest = stored_digest(encode_audio(samples))  # what training records of the clip prepare stored
    model = tmp_path / "model"
    model.mkdir()
    (model / MANIFEST).write_text("csed/Natural/Nat_Female-3\n")
    (model / TRAINED_AUDIO).write_text(f"{length} {digest} csed/Natural/Nat_Female-3\n")
    at_48k = tmp_path / "mine" / "Natural" / "Nat_Female-3.wav"  # the same recording, at 48 kHz
    at_48k.parent.mkdir(parents=True)
    soundfile.write(at_48k, soxr.resample(recording, 44100, 48000), 48000, subtype="PCM_16")
    names, notes = training_notes(str(model), find_audio([str(original), str(at_48k)])[0])
    assert names == [str(original)], notes
    (other,) = [n for n in notes if "named as clips" in n]
    assert "not those clips" not in other and "so scored as speech it never heard" not in other, other
    assert "the same one stored otherwise (at another sample rate" in other, other
