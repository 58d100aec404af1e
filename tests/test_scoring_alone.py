"""Scoring gives each clip the scores it has alone, for every kind of model: the grid's and
cross-group inference's predictions, the trainer's evaluations and ``bimotion predict`` share one
forward pass (:func:`bimotion.training.inference.clip_logits`).  A group-norm wav2vec2 (wav2vec2-base,
HuBERT and WavLM base: no attention mask, each channel normalised over the whole input) hears the
zeros a clip is padded with, so its scores changed with the batch size and with the clips beside it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bimotion.training import testing
from bimotion.training.inference import predict, scoring_collator

torch.set_num_threads(2)

KINDS = {
    "group-norm": (dict(feat_extract_norm="group", do_stable_layer_norm=False), False),  # wav2vec2-base's layout
    "layer-norm": ({}, True),  # XLSR-53's
}


def _classifier(root, kind: str):
    """A tiny random classifier of ``kind``, saved as training saves one (its head included)."""
    from bimotion.training.model import build_model

    overrides, masked = KINDS[kind]
    model, fe = build_model(str(testing.save_tiny_model(root / f"encoder-{kind}", **overrides)))
    fe.return_attention_mask = masked
    model.save_pretrained(root / kind)
    fe.save_pretrained(root / kind)
    return root / kind, model, fe


CLIP_SHARDS = (("csed", "zho_eld"), ("esd", "zho_adu"))


@pytest.fixture(scope="module")
def clips():
    """Prepared rows of two groups, each clip its own length (0.6-1.6 s), with their row numbers."""
    rows = testing.synth_rows("csed", "zho_eld", "test", 7) + testing.synth_rows("esd", "zho_adu", "test", 6)
    return testing.rows_dataset(rows).add_column("row", np.arange(len(rows)))


@pytest.mark.parametrize("kind", list(KINDS))
def test_grid_scores_do_not_depend_on_the_batch_size_or_the_clips_beside_each(kind, clips, tmp_path):
    """Group-norm, before: logits 5.0 apart between --per_device_eval_batch_size 1 and 8."""
    folder, _, _ = _classifier(tmp_path, kind)
    alone = predict(folder, clips, batch_size=1, progress=False)["logits"]
    batched = predict(folder, clips, batch_size=8, progress=False)
    np.testing.assert_allclose(batched["logits"], alone, atol=1e-5)
    some = [0, 3, 8, 12]  # other batch-mates: the same clips beside different ones
    np.testing.assert_allclose(predict(folder, clips.select(some), batch_size=8, progress=False)["logits"],
                               alone[some], atol=1e-5)  # fmt: skip
    features = predict(folder, clips, batch_size=8, progress=False, features=True)
    np.testing.assert_allclose(features["logits"], alone, atol=1e-5)
    one = predict(folder, clips.select([5]), batch_size=1, progress=False, features=True)["features"]
    np.testing.assert_allclose(features["features"][[5]], one, atol=1e-5)  # pooled features follow their clip
    assert np.ptp(alone, axis=0).max() > 1e-3  # the scores follow the audio


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_launchs_processes_predict_what_one_process_does_bit_for_bit(kind, clips, tmp_path, monkeypatch):
    """Sharded scoring (``predict(processes=...)``, each of 3 processes a share of the batches, here run one
    after another): the same logits, features and rows as one process, bitwise, since each batch is the one a
    single process scores.  The shares are dealt batch by batch, longest first."""
    from bimotion.training import processes

    folder, _, _ = _classifier(tmp_path, kind)
    one = predict(folder, clips, batch_size=2, progress=False, features=True)
    dealt = {}

    def on_every_process(work, process_index, world_size, *, in_steps):  # a launch of 3, every process's share
        shares = [work(share, world_size, processes.Steps(None)) for share in range(world_size)]
        dealt.update({share: [len(rows) for rows, *_ in done] for share, (_, done) in enumerate(shares)})
        return shares

    monkeypatch.setattr(processes, "on_every_process", on_every_process)
    three = predict(folder, clips, batch_size=2, progress=False, features=True, processes=(0, 3))
    assert dealt == {0: [2, 2, 1], 1: [2, 2], 2: [2, 2]}  # 13 clips, 7 batches of the longest first
    assert three.keys() == one.keys()
    for key, value in one.items():
        np.testing.assert_array_equal(three[key], value, err_msg=key)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_trainers_evaluation_scores_each_clip_as_the_grid_does(kind, clips, tmp_path):
    """The checkpoint a run keeps is chosen on its validation scores and its scores.json comes from
    the trainer's evaluation: for a group-norm model those padded each clip to its batch's longest."""
    from bimotion.training.collator import AudioCollator
    from bimotion.training.trainer import SERTrainer
    from bimotion.training.training_args import SERTrainingArguments

    folder, model, fe = _classifier(tmp_path, kind)
    reference = predict(folder, clips, batch_size=1, progress=False)["logits"]
    for batch_size in (1, 5):
        args = SERTrainingArguments(output_dir=str(tmp_path / f"run{batch_size}"), use_cpu=True, report_to="none",
                                    per_device_eval_batch_size=batch_size, disable_tqdm=True, eval_strategy="no",
                                    save_strategy="no", load_best_model_at_end=False)  # fmt: skip
        trainer = SERTrainer(
            model=model, args=args, eval_data_collator=AudioCollator(fe, input_lengths=True), processing_class=fe
        )
        out = trainer.predict(clips)
        order = np.argsort(out.label_ids[2])  # longest first: back to row order
        np.testing.assert_allclose(out.predictions[order], reference, atol=1e-5)
        unlabelled = trainer.predict(clips.remove_columns(["labels", "label_mask"]))  # logits alone
        np.testing.assert_allclose(unlabelled.predictions[order], reference, atol=1e-5)


def test_bimotion_predict_scores_clips_as_the_scoring_of_a_dataset_does(clips, tmp_path):
    """`bimotion predict` collated its windows itself: set to pad each batch to its longest clip
    (``pad_to_multiple_of=1``) it still padded to 0.5 s, and with 0 or ``None`` it padded to the longest
    while a dataset's scoring padded to 0.5 s: logits 2.4e-7 apart for the same clips.  Both collate
    with :func:`scoring_collator` now: the same clips, of different lengths in one batch, give the same
    scores through the command, the library's :class:`Predictor` and the grid's :func:`predict`."""
    import json

    import soundfile

    from bimotion.cli import main
    from bimotion.predict import load_predictor
    from bimotion.training.collator import load_samples
    from bimotion.training.sampler import longest_first

    folder, _, _ = _classifier(tmp_path, "layer-norm")
    order = longest_first(clips)  # the scoring's batch order: floats sum in the order of the rows
    samples = [load_samples(audio, 16000) for audio in clips.select(order)["audio"]]
    predictor = load_predictor(folder, progress=False)
    outputs = [i for i, _ in predictor.reported]

    def sigmoid(logits):
        return 1 / (1 + np.exp(-logits[order][:, outputs].astype(np.float64)))

    for pad in (None, 1, 4000):
        logits = predict(folder, clips, batch_size=len(samples), progress=False, pad_to_multiple_of=pad)["logits"]
        predictor.pad_to_multiple_of = pad
        np.testing.assert_allclose(predictor.scores(samples), sigmoid(logits), rtol=0, atol=1e-12)
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    for i, clip in enumerate(samples):  # float WAVs: the very samples the dataset's scoring decodes
        soundfile.write(recordings / f"clip{i:02d}.wav", clip, 16000, subtype="FLOAT")
    out = tmp_path / "predictions.jsonl"
    options = ["--window-s", "2", "--hop-s", "2", "--batch-size", str(len(samples)), "--no-progress"]
    assert main(["predict", str(recordings), "--model", str(folder), "-o", str(out), *options]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["end_s"] for row in rows] == [round(len(clip) / 16000, 3) for clip in samples]  # whole clips
    scores = np.array([[row["scores"][name] for name in predictor.labels] for row in rows])
    logits = predict(folder, clips, batch_size=len(samples), progress=False)["logits"]
    np.testing.assert_allclose(scores, sigmoid(logits), rtol=0, atol=5e-7)  # rounded to 6 decimals
    with pytest.raises(ValueError, match="pad_to_multiple_of must be a whole number of samples of at least 1, not 0"):
        scoring_collator(predictor.feature_extractor, 0)  # 0 was taken for the default


def _onednn_log(capfd, run) -> tuple[int, int]:
    """``(primitives built, primitives run)`` by oneDNN while ``run()`` runs, from its verbose log;
    a primitive is built once per process and input shape (shapes other tests scored are cached)."""
    capfd.readouterr()
    with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON_CREATION):
        run()
    out = capfd.readouterr().out
    return out.count("primitive,create:cache_miss"), out.count("primitive,exec")


def test_a_clip_of_a_new_length_builds_no_onednn_convolution_for_a_model_that_hears_padding(tmp_path, capfd):
    """Unpadded, every distinct length is a new input shape, and torch's oneDNN built and kept
    convolutions for each (up to 1024 primitives): scoring 200 clips of distinct lengths with a
    group-norm model of wav2vec2-base's width grew its RSS by 0.98 GB.  Such shapes now run without
    oneDNN; lengths at a multiple of 0.5 s (predict's full windows) keep it, a bounded set."""
    from bimotion.training.collator import AudioCollator
    from bimotion.training.inference import batch_logits

    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch has no oneDNN, so nothing builds or keeps convolutions per shape")
    _, model, fe = _classifier(tmp_path, "group-norm")
    model.eval()
    rng = np.random.default_rng(0)

    def score(lengths):
        for n in lengths:
            batch = AudioCollator(fe, input_lengths=True)(
                [{"audio": 0.1 * rng.standard_normal(n).astype(np.float32)} for _ in (0, 1)]
            )
            batch_logits(model, batch, "cpu", sample_rate_hz=16000)

    assert _onednn_log(capfd, lambda: score([16000, 24000]))[1] > 0  # steady lengths run on oneDNN (log read)
    lengths = 8000 + rng.choice(np.arange(1, 8000), 12, replace=False)
    assert _onednn_log(capfd, lambda: score(lengths)) == (0, 0)


def test_the_grids_masked_batches_come_in_a_few_shapes(tmp_path, capfd):
    """A layer-norm model's batches were padded to their longest clip, so a test set's every batch
    was a new input shape for oneDNN (as predict's were before they were padded to 0.5 s): the
    grid's scoring pads them to a multiple of 0.5 s too, masked, so new clips reuse the shapes."""
    import math

    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch has no oneDNN, so nothing builds or keeps convolutions per shape")
    folder, _, _ = _classifier(tmp_path, "layer-norm")
    first, second = (testing.rows_dataset(testing.synth_rows(*shard, "test", 8)) for shard in CLIP_SHARDS)
    widths = [{math.ceil(2 * d) for d in ds["duration_s"]} for ds in (first, second)]
    assert widths[1] <= widths[0] and len(set(second["duration_s"]) - set(first["duration_s"])) == 8
    assert _onednn_log(capfd, lambda: predict(folder, first, batch_size=1, progress=False))[1] > 0
    built, ran = _onednn_log(capfd, lambda: predict(folder, second, batch_size=1, progress=False))
    assert built == 0 and ran > 0  # new clips, the same shapes: nothing more is built


def test_a_probe_encoder_builds_no_onednn_convolution_per_clip_length(tmp_path, capfd):
    """The probes' frozen encoder scores one whole clip at a time, so every clip length was a new input
    shape whose convolutions oneDNN built and kept (as unpadded scoring's were): it runs without oneDNN."""
    from bimotion.probe.features import EncoderFeatures

    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch has no oneDNN, so nothing builds or keeps convolutions per shape")
    encoder = EncoderFeatures(str(testing.save_tiny_model(tmp_path / "tiny")))
    rng = np.random.default_rng(0)
    clips = [0.1 * rng.standard_normal(n).astype(np.float32) for n in 8000 + rng.choice(7999, 6, replace=False)]
    built, ran = _onednn_log(capfd, lambda: [encoder(clip) for clip in clips])
    assert (built, ran) == (0, 0) and torch.backends.mkldnn.enabled  # and oneDNN is back on afterwards


def test_the_trainers_evaluations_come_in_a_few_shapes(tmp_path, capfd):
    """The trainer's evaluations (each validation, and the test scores at the end of a run) padded a
    batch to its longest clip, so every batch of a test set was a new input shape whose convolutions
    oneDNN built and kept: a tiny model trained in 1.8 GB of address space (`prlimit --as`), then
    failed scoring its test sets ("could not create a primitive") below 2.8 GB.  They pad to a multiple
    of 0.5 s as the grid's scoring does, so new clips reuse the shapes."""
    from bimotion.training.run import _trainer, training_arguments
    from bimotion.training.spec import TrainSpec

    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch has no oneDNN, so nothing builds or keeps convolutions per shape")
    first, second = (testing.rows_dataset(testing.synth_rows(*shard, "test", 8)) for shard in CLIP_SHARDS)
    values = {
        "model_name_or_path": str(testing.save_tiny_model(tmp_path / "tiny")),
        "output_dir": str(tmp_path / "run"),
    }
    values |= {"use_cpu": True, "disable_tqdm": True, "report_to": "none", "per_device_eval_batch_size": 1}
    spec = TrainSpec.from_values("zho_eld", values)
    trainer = _trainer(spec, training_arguments(spec), first, first)
    assert _onednn_log(capfd, lambda: trainer.predict(first))[1] > 0
    built, ran = _onednn_log(capfd, lambda: trainer.predict(second))
    assert built == 0 and ran > 0  # new clips, the same shapes: nothing more is built


def test_scoring_takes_a_device_as_torch_names_it(tmp_path):
    """``batch_logits`` passed its device to ``torch.autocast`` as given: a ``torch.device`` raised
    ValueError there, and ``"cuda:1"`` (any GPU named by index) ran without bfloat16 autocast, as if on
    the CPU.  Autocast now takes the device's type."""
    from bimotion.training.collator import AudioCollator
    from bimotion.training.inference import autocast_device_type, batch_logits

    _, model, fe = _classifier(tmp_path, "layer-norm")
    model.eval()
    rng = np.random.default_rng(0)
    batch = AudioCollator(fe, input_lengths=True)(
        [{"audio": 0.1 * rng.standard_normal(n).astype(np.float32)} for n in (12000, 16000)]
    )
    named = batch_logits(model, batch, "cpu", sample_rate_hz=16000)
    as_device = batch_logits(model, batch, torch.device("cpu"), sample_rate_hz=16000)
    assert named.shape == (2, model.config.num_labels)
    np.testing.assert_array_equal(named, as_device)
    assert [autocast_device_type(d) for d in ("cuda:1", torch.device("cuda", 0), "cpu")] == ["cuda", "cuda", "cpu"]
