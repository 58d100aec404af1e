"""Where scoring runs, decided without a GPU: each process of a launch (``accelerate launch
recipes/infer.py`` on N GPUs) scores on its own GPU, not all N on GPU 0; ``--use_cpu`` on the CPU; one
process on ``cuda`` as before.  The decision is :func:`bimotion.training.inference.device_for_scoring`,
and every caller takes it (cross-group inference, ``bimotion predict``, the probe's frozen encoder)."""

from __future__ import annotations

import contextlib
import types

import pytest
import torch

from bimotion.training import testing
from bimotion.training.inference import device_for_scoring


@pytest.mark.parametrize(
    ("use_cpu", "available", "devices", "local_index", "expected"),
    [
        (False, True, 1, None, "cuda"),  # one process: as before
        (False, True, 4, None, "cuda"),
        (False, True, 4, 0, "cuda:0"),  # a launch of several processes: each its own GPU
        (False, True, 4, 3, "cuda:3"),
        (False, True, 2, 3, "cuda:1"),  # more processes than GPUs: wrapped round, as accelerate places them
        (True, True, 4, 2, "cpu"),  # --use_cpu
        (False, False, 0, 2, "cpu"),  # no GPU
        (False, False, 0, None, "cpu"),
    ],
)
def test_each_process_scores_on_its_own_device(use_cpu, available, devices, local_index, expected):
    got = device_for_scoring(use_cpu=use_cpu, cuda_available=available, cuda_devices=devices, local_index=local_index)
    assert got == expected


def second_of_two_gpus(monkeypatch) -> list:
    """This process as the second of a launch of two on a machine with two GPUs (torch told so), and
    modules moved nowhere: the list gets every device a module was sent to."""
    sent = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)

    def to(self, *args, **kwargs):
        sent.append(str(args[0] if args else kwargs.get("device")))
        return self

    monkeypatch.setattr(torch.nn.Module, "to", to)
    return sent


def test_the_callers_score_each_launched_process_on_its_own_gpu(tmp_path, monkeypatch):
    """Before: all three scored on ``cuda`` (GPU 0, unless something had set the current device) in every
    process of a launch."""
    from bimotion.predict import load_predictor
    from bimotion.probe.features import EncoderFeatures
    from bimotion.training import evaluation
    from bimotion.training.model import build_model

    tiny = testing.save_tiny_model(tmp_path / "tiny")
    model, fe = build_model(str(tiny))
    model.save_pretrained(tmp_path / "classifier")
    fe.save_pretrained(tmp_path / "classifier")
    sent = second_of_two_gpus(monkeypatch)
    assert load_predictor(tmp_path / "classifier", progress=False).device == "cuda:1"
    assert EncoderFeatures(str(tiny)).device == "cuda:1"
    assert sent == ["cuda:1", "cuda:1"]

    asked = []

    def predict(model, dataset, **kwargs):
        asked.append(kwargs["device"])
        raise StopIteration

    monkeypatch.setattr(evaluation, "predict", predict)
    monkeypatch.setattr(evaluation, "sources_of", lambda data_args: None)
    monkeypatch.setattr(evaluation, "load_split", lambda sources, configs, split: None)
    for use_cpu in (False, True):
        args = types.SimpleNamespace(
            use_cpu=use_cpu, per_device_eval_batch_size=1, disable_tqdm=True, process_index=0, world_size=1,
            main_process_first=lambda desc: contextlib.nullcontext(),
        )  # fmt: skip
        data_args = types.SimpleNamespace(pad_to_multiple_of=None)
        with pytest.raises(StopIteration):
            evaluation._infer("m", data_args, args, configs=["zho_eld"], split="test", output_file=None)
    assert asked == ["cuda:1", "cpu"]  # infer.py, and infer.py --use_cpu
