"""bench/bench_train.py's FLOP check: torch's counter run on one training batch, forward and backward
in float32.  On a GPU that batch is 32 XLSR-53 clips of up to 10 s, the likeliest point to run out of
memory, so it is counted a few clips at a time; the sum must be the whole batch's count.  And the
profiler's table, printed at the end of the run, is sorted by a column the installed torch has."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import REPO


def _bench_train():
    spec = importlib.util.spec_from_file_location("bench_train", REPO / "bench" / "bench_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model_and_batch(tmp_path_factory):
    """A tiny wav2vec2 of XLSR-53's layout and a padded batch of 5 clips of different lengths (1-4 s)."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    from bimotion.training.collator import AudioCollator
    from bimotion.training.model import build_model

    bench = _bench_train()
    tiny = dict(bench.ARCHS["small"], hidden_size=32, num_hidden_layers=2, intermediate_size=64)
    tiny.update(num_attention_heads=2, conv_dim=(16,) * 7, num_conv_pos_embeddings=16)
    ckpt = tmp_path_factory.mktemp("tiny-wav2vec2")
    torch.manual_seed(0)
    Wav2Vec2Model(Wav2Vec2Config(**tiny)).save_pretrained(ckpt)
    Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=True
    ).save_pretrained(ckpt)
    model, fe = build_model(str(ckpt), classifier_proj_size=16)
    rows = [bench._row((i, duration_s, 0)) for i, duration_s in enumerate([1.0, 4.0, 2.5, 1.7, 3.2])]
    batch = AudioCollator(fe, 10.0)(bench.ours_dataset(rows))
    assert len(set(batch["attention_mask"].sum(-1).tolist())) == 5  # padding in all but the longest
    return bench, model, batch


def test_the_flop_check_counts_a_few_clips_at_a_time(model_and_batch):
    """Before: the whole batch went through the model at once (on a GPU, 32 clips of XLSR-53 in float32)."""
    bench, model, batch = model_and_batch
    seen = []
    hook = model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.append(len(kwargs["input_values"])), with_kwargs=True
    )
    try:
        bench.counted_flops(model, batch)
    finally:
        hook.remove()
    assert seen and max(seen) <= 4 and sum(seen) == 5


@pytest.mark.parametrize("chunk_clips", [1, 2, 3])
def test_the_flops_counted_in_chunks_are_the_whole_batchs(model_and_batch, chunk_clips):
    """Every wav2vec2 op is per clip and each chunk keeps the batch's padded length: the sum is exact."""
    bench, model, batch = model_and_batch
    whole = bench.counted_flops(model, batch, chunk_clips=len(batch["input_values"]))
    assert whole > 0
    assert bench.counted_flops(model, batch, chunk_clips=chunk_clips) == whole
    assert all(p.grad is None for p in model.parameters())  # nothing left behind for training


def test_a_chunk_of_no_clips_is_refused(model_and_batch):
    bench, model, batch = model_and_batch
    with pytest.raises(ValueError, match="chunk_clips"):
        bench.counted_flops(model, batch, chunk_clips=0)


def test_the_profiler_table_is_sorted_by_a_name_the_installed_torch_has():
    """Before: sorted by ``self_cuda_time_total``, which torch 2.13's averaged events do not have (its
    table renames "cuda" to "device" before looking it up); a torch without that renaming would fail at
    the end of the GPU run, after training.  Now ``self_device_time_total``, read from the events."""
    import warnings

    import torch

    bench = _bench_train()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        torch.ones(8, 8) @ torch.ones(8, 8)
    events = profiler.key_averages()
    key = bench.profile_sort_key(events, device=True)
    assert key == "self_device_time_total" and all(hasattr(e, key) for e in events)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "aten::mm" in events.table(sort_by=key)
    assert bench.profile_sort_key(events, device=False) == "self_cpu_time_total"


def test_an_older_torchs_profiler_events_keep_the_old_name():
    class OldEvent:  # torch before the rename: self_cuda_time_total only
        self_cuda_time_total = 0

    assert _bench_train().profile_sort_key([OldEvent()], device=True) == "self_cuda_time_total"
