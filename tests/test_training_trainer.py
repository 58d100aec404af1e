"""SERTrainer's loss normalisation: gradient accumulation over ragged micro-batches gives exactly the
gradient of the mean per-sample loss over the whole optimizer step."""

from __future__ import annotations

import pytest
import torch

from bimotion.training import testing
from bimotion.training.collator import AudioCollator
from bimotion.training.loss import masked_bce
from bimotion.training.model import build_model
from bimotion.training.trainer import SERTrainer
from bimotion.training.training_args import SERTrainingArguments

torch.set_num_threads(2)


def deterministic_model(path):
    """The tiny model with every source of randomness in training mode switched off."""
    return build_model(str(path), dropout=0.0, classifier_proj_size=16, activation_dropout=0.0, feat_proj_dropout=0.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return testing.save_tiny_model(tmp_path_factory.mktemp("tiny"))


def grads(model) -> dict[str, torch.Tensor]:
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}


def test_gradient_accumulation_equals_the_full_batch_gradient(tiny, tmp_path):
    model, fe = deterministic_model(tiny)
    rows = testing.synth_rows("crema_d", "eng_eld", "train", 4) + testing.synth_rows("csed", "zho_eld", "train", 3)
    rows[5]["label_mask"] = [0] * 13  # a clip with no annotated label: neither loss nor count
    collate = AudioCollator(fe)
    micro = [collate(rows[:5]), collate(rows[5:])]  # ragged: 5 then 2 clips
    args = SERTrainingArguments(
        output_dir=str(tmp_path),
        gradient_accumulation_steps=2,
        use_cpu=True,
        per_device_train_batch_size=5,
        eval_strategy="no",
        load_best_model_at_end=False,
    )
    trainer = SERTrainer(model=model, args=args)

    batches, count = trainer.get_batch_samples(iter(micro), 2, args.device)
    assert int(count) == 6
    model.zero_grad()
    step_losses = [trainer.training_step(model, dict(b), count) for b in batches]
    accumulated = grads(model)

    model.zero_grad()
    full = collate(rows)
    logits = model(input_values=full["input_values"], attention_mask=full["attention_mask"]).logits
    reference = masked_bce(logits, full["labels"], full["label_mask"])
    reference.backward()
    expected = grads(model)

    assert sum(step_losses).item() == pytest.approx(reference.item(), rel=1e-5)
    assert accumulated.keys() == expected.keys() and len(expected) > 10
    for name in expected:
        torch.testing.assert_close(accumulated[name], expected[name], rtol=1e-4, atol=1e-6, msg=name)

    # the per-micro-batch mean Trainer would use by default is measurably different here
    model.zero_grad()
    naive = sum(
        masked_bce(
            model(input_values=b["input_values"], attention_mask=b["attention_mask"]).logits,
            b["labels"],
            b["label_mask"],
        )
        / 2
        for b in micro
    )
    assert abs(naive.item() - reference.item()) > 1e-3


def test_feature_encoder_is_frozen_by_default(tiny):
    model, _ = build_model(str(tiny), classifier_proj_size=16)
    assert not any(p.requires_grad for p in model.wav2vec2.feature_extractor.parameters())
    assert all(p.requires_grad for p in model.classifier.parameters())
    assert model.config.problem_type == "multi_label_classification"
    assert model.config.hidden_dropout == model.config.attention_dropout == 0.1
    unfrozen, _ = build_model(str(tiny), classifier_proj_size=16, freeze_feature_encoder=False)
    assert all(p.requires_grad for p in unfrozen.wav2vec2.feature_extractor.parameters())


def test_no_evaluation_bar_and_a_slow_training_bar_when_the_output_is_a_file(monkeypatch, capfd):
    """A log file got ESC [A cursor moves from the nested evaluation bar, the final validation and
    test predictions' bars (a line per refresh: a user's run wrote 103 of them), and a training bar
    line per step.  Under quiet output (an entry point's) a log gets the training bar every
    LOG_BAR_INTERVAL_S and no prediction bar; --verbose (or a library call) keeps them all."""
    import io
    import sys
    from types import SimpleNamespace

    from tqdm.auto import tqdm

    from bimotion import console
    from bimotion.console import LOG_BAR_INTERVAL_S
    from bimotion.training.progress import CompactProgress

    monkeypatch.setattr(console, "_quiet", True)
    assert not sys.stderr.isatty()  # pytest's stderr is no terminal
    progress = CompactProgress()
    state, loader = SimpleNamespace(is_world_process_zero=True, max_steps=10), [0, 1, 2]
    progress.on_train_begin(None, state, None)
    assert progress.training_bar.mininterval == LOG_BAR_INTERVAL_S
    progress.on_prediction_step(None, state, None, eval_dataloader=loader)
    assert progress.prediction_bar is None
    progress.training_bar.close()
    assert "\r" not in capfd.readouterr().err  # each refresh a line of its own (console.LogLines)
    progress.training_bar = None  # no training bar (the final predictions): no bar of their own either
    progress.on_prediction_step(None, state, None, eval_dataloader=loader)
    assert progress.prediction_bar is None

    monkeypatch.setattr(console, "_quiet", False)  # --verbose: the libraries' bars, wherever they go
    progress.training_bar = tqdm(total=10, file=io.StringIO())
    progress.on_prediction_step(None, state, None, eval_dataloader=loader)
    assert progress.prediction_bar is not None
    progress.prediction_bar.close()
