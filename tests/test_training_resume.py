"""Resuming: a run resumed from any checkpoint ends with the model of an uninterrupted run, and a
resume never continues a different run (other data, mixture, model or hyper-parameters)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from bimotion.training import testing
from bimotion.training.checkpoints import last_checkpoint
from bimotion.training.identity import RunMismatch
from bimotion.training.outputs import IDENTITY_FILE, INCOMPLETE, SCORES
from bimotion.training.run import train
from bimotion.training.testing import subprocess_env

torch.set_num_threads(2)

STEPS_PER_EPOCH = 3  # 12 training clips, batches of 4
EPOCHS = 3


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return testing.save_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    testing.write_prepared(
        root / "bimotion",
        shards=[("csed", "zho_eld"), ("esd", "zho_adu")],
        emotions=("sadness", "anger", "happiness"),
        sizes={"train": 12, "validation": 4, "test": 4},
    )
    return root


def run(tiny, data, out, train_configs=("zho_eld",), **overrides) -> dict:
    """``recipes/train.py`` through the library (a plain :class:`TrainSpec`, no parser), with dropout and random crops on (clips 0.6-1.6 s, crops of 0.5 s)."""
    return train(spec_of(tiny, data, out, train_configs, **overrides))


def spec_of(tiny, data, out, train_configs=("zho_eld",), **overrides):
    """The :class:`TrainSpec` :func:`run` trains."""
    from bimotion.training.spec import TrainSpec

    values = {
        "model_name_or_path": str(tiny),
        "classifier_proj_size": 16,
        "bimotion": str(data / "bimotion"),
        "dataset_cache_dir": str(data / "cache"),
        "test_configs": ["zho_eld"],
        "output_dir": str(out),
        "per_device_train_batch_size": 4,
        "num_train_epochs": EPOCHS,
        "max_duration_s": 0.5,
        "learning_rate": 1e-3,
        "eval_strategy": "steps",
        "eval_steps": 1,
        "save_strategy": "steps",
        "save_steps": 1,
        "save_total_limit": None,
        "early_stopping_patience": 100,  # on, restored on resume, never stopping here
        "logging_steps": 1,
        "disable_tqdm": True,
        "report_to": "none",
        "dataloader_pin_memory": False,
        **overrides,
    }
    return TrainSpec.from_values(list(train_configs), values, run_name="r")


def weights(path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


def cut_back_to(out, step: int) -> None:
    """What a kill right after checkpoint ``step`` leaves: that checkpoint and the earlier ones."""
    for path in out.glob("checkpoint-*"):
        if int(path.name.split("-")[1]) > step:
            shutil.rmtree(path)
    for name in ("model.safetensors", SCORES, "trainer_state.json", "README.md"):
        (out / name).unlink(missing_ok=True)


# batches of 4 clips, or batches by padded duration (docs/performance.md): crops of 0.5 s, 4 a batch too
BATCHING = {"clips": {}, "duration": {"max_batch_duration_s": 2.0}}


@pytest.mark.parametrize("batching", BATCHING.values(), ids=BATCHING.keys())
def test_a_resumed_run_ends_with_the_model_of_an_uninterrupted_run(tiny, data, tmp_path, batching):
    out = tmp_path / "run"
    straight = run(tiny, data, out, **batching)
    last = f"checkpoint-{EPOCHS * STEPS_PER_EPOCH}"
    final, selected = weights(out / last), weights(out)
    assert straight["selection"]["global_step"] == EPOCHS * STEPS_PER_EPOCH

    # at an epoch boundary, mid-epoch, and at the end (a finished run's command run again)
    for step in (STEPS_PER_EPOCH, STEPS_PER_EPOCH + 2, EPOCHS * STEPS_PER_EPOCH):
        cut_back_to(out, step)
        assert last_checkpoint(out) == str(out / f"checkpoint-{step}")
        resumed = run(tiny, data, out, **batching)
        assert resumed["resumed_from"] is not None and str(step) in resumed["resumed_from"]
        for name, tensor in weights(out / last).items():
            assert torch.equal(tensor, final[name]), f"resumed at step {step}: {name} differs"
        for name, tensor in weights(out).items():
            assert torch.equal(tensor, selected[name]), f"resumed at step {step}: selected {name} differs"
        assert resumed["test"] == straight["test"]
        assert resumed["selection"]["best_metric"] == straight["selection"]["best_metric"]
        assert resumed["train_loss"] == pytest.approx(straight["train_loss"], rel=1e-5)  # the whole run's, not 0


def test_a_run_with_persistent_workers_resumed_ends_as_an_uninterrupted_run(tiny, data, tmp_path):
    """Persistent data loader workers (--dataloader_persistent_workers): their copies of the collator crop
    the epoch the trainer sets, and the loader's one draw of its workers' seed leaves the random state that
    dropout draws from alone; a run resumed in its second epoch trained other crops and dropout masks."""
    out, workers = tmp_path / "run", {"dataloader_num_workers": 1, "dataloader_persistent_workers": True}
    run(tiny, data, out, **workers)
    last = f"checkpoint-{EPOCHS * STEPS_PER_EPOCH}"
    final = weights(out / last)
    cut_back_to(out, STEPS_PER_EPOCH)
    run(tiny, data, out, **workers)
    assert all(torch.equal(tensor, final[name]) for name, tensor in weights(out / last).items())


# a checkpoint at the step that ends an epoch, saved before that epoch's validation; with gradient
# accumulation (2 batches a step: 2 steps an epoch, the second of one batch) too
EPOCH_END = {
    "steps": ({"save_steps": STEPS_PER_EPOCH}, STEPS_PER_EPOCH),
    "accumulation": ({"save_steps": 2, "gradient_accumulation_steps": 2}, 2),
}


@pytest.mark.parametrize("overrides, step", EPOCH_END.values(), ids=EPOCH_END.keys())
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_run_killed_after_an_epochs_last_step_and_resumed_ends_as_an_uninterrupted_run(
    tiny, data, tmp_path, overrides, step
):
    """A validation per epoch, a checkpoint on the step that ends an epoch (``--save_steps``): the
    checkpoint is saved before the epoch's validation, whose data loader drew its seed from torch's
    random state, so the uninterrupted run began the next epoch with dropout drawn from another state
    than the one saved; killed after the save (SIGKILL: no stop logic), the rerun ended with other
    weights.  A validation now leaves every random state as it found it."""
    overrides = {"eval_strategy": "epoch", "load_best_model_at_end": False, "early_stopping_patience": 0,
                 **overrides}  # fmt: skip
    out = tmp_path / "run"
    run(tiny, data, out, **overrides)
    last = max(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    final = weights(last)
    cut_back_to(out, step)
    assert run(tiny, data, out, **overrides)["resumed_from"].endswith(f"checkpoint-{step}")
    assert all(torch.equal(tensor, final[name]) for name, tensor in weights(last).items())


def test_validations_leave_the_training_as_it_would_be_without_them(tiny, data, tmp_path):
    """Dropout draws from the random state a validation leaves: a run validated after every step
    ends with the weights of one never validated."""
    never = {"eval_strategy": "no", "load_best_model_at_end": False, "early_stopping_patience": 0}
    run(tiny, data, tmp_path / "never", save_strategy="no", **never)
    run(tiny, data, tmp_path / "every", save_strategy="no", load_best_model_at_end=False)
    assert all(torch.equal(t, weights(tmp_path / "never")[name]) for name, t in weights(tmp_path / "every").items())


def test_a_run_validated_at_its_start_is_not_validated_again_when_it_resumes(tiny, data, tmp_path):
    """``--eval_on_start``: transformers validated a resumed run again at its start (the resumed
    step), which the uninterrupted run never did: one more validation logged, and early stopping
    counted it as one without improvement (patience 1: the resumed run stopped there)."""
    overrides = {"eval_on_start": True, "eval_strategy": "epoch", "save_strategy": "epoch",
                 "early_stopping_patience": 1}  # fmt: skip
    out = tmp_path / "run"
    straight = run(tiny, data, out, **overrides)
    validated = [h["step"] for h in json.loads((out / "trainer_state.json").read_text())["log_history"]
                 if "eval_loss" in h]  # fmt: skip
    selected = weights(out)
    cut_back_to(out, validated[-2])  # the checkpoint of the last validation but one
    resumed = run(tiny, data, out, **overrides)
    assert [h["step"] for h in json.loads((out / "trainer_state.json").read_text())["log_history"]
            if "eval_loss" in h] == validated  # fmt: skip
    assert resumed["selection"] == straight["selection"] and resumed["test"] == straight["test"]
    assert all(torch.equal(tensor, selected[name]) for name, tensor in weights(out).items())


def test_a_finished_run_run_again_reports_its_whole_runs_training_loss(tiny, data, tmp_path):
    """With losses logged rarely (the default logging_steps is 500), a rerun that resumes at the end
    (no step left) still reports the mean training loss of the whole run, recorded in its checkpoint."""
    out = tmp_path / "run"
    straight = run(tiny, data, out, logging_steps=100, eval_steps=3, save_steps=3)
    resumed = run(tiny, data, out, logging_steps=100, eval_steps=3, save_steps=3)
    assert resumed["resumed_from"] is not None and straight["train_loss"] > 0
    assert resumed["train_loss"] == pytest.approx(straight["train_loss"], rel=1e-5)
    cut_back_to(out, STEPS_PER_EPOCH + 3)  # mid-run, no loss logged yet
    again = run(tiny, data, out, logging_steps=100, eval_steps=3, save_steps=3)
    assert again["train_loss"] == pytest.approx(straight["train_loss"], rel=1e-5)


def test_resuming_a_different_run_is_refused_until_overwrite(tiny, data, tmp_path):
    out = tmp_path / "run"
    first = run(tiny, data, out, num_train_epochs=1, save_strategy="epoch", eval_strategy="epoch")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    for changed, why in (
        ({"train_configs": ("zho_adu",)}, "train_shards"),
        ({"learning_rate": 5e-4}, "training_args.learning_rate"),
        ({"max_duration_s": 0.4}, "data_args.max_duration_s"),
        ({"dropout": 0.2}, "model_args.dropout"),
    ):
        with pytest.raises(RunMismatch, match=rf"{why}.*new --output_dir, or --overwrite_output_dir"):
            run(tiny, data, out, num_train_epochs=1, save_strategy="epoch", eval_strategy="epoch", **changed)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # nothing written

    other = run(
        tiny,
        data,
        out,
        train_configs=("zho_adu",),
        num_train_epochs=1,
        save_strategy="epoch",
        eval_strategy="epoch",
        overwrite_output_dir=True,
    )
    assert other["resumed_from"] is None and other["train_groups"] == ["zho_adu"]
    assert other["train_manifest"]["hash"] != first["train_manifest"]["hash"]
    assert other["selection"]["global_step"] == STEPS_PER_EPOCH  # trained, not a 0-step "resume"


def test_a_finished_model_without_checkpoints_is_not_replaced_by_a_different_run(tiny, data, tmp_path):
    """--save_strategy no (the docs' quick run) leaves a model and no checkpoint: training another
    mixture into the same --output_dir replaced that model, scores and card without a word. It is
    now refused as a different run's checkpoints are; the same run again, or --overwrite_output_dir,
    trains."""
    out = tmp_path / "run"
    quick = {"num_train_epochs": 1, "save_strategy": "no", "eval_strategy": "no", "load_best_model_at_end": False}
    run(tiny, data, out, **quick)
    assert not last_checkpoint(out) and (out / SCORES).is_file()
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(RunMismatch, match=rf"{out} holds the finished model of a different run .*train_shards"):
        run(tiny, data, out, train_configs=("zho_adu",), **quick)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # nothing written
    assert run(tiny, data, out, **quick)["train_groups"] == ["zho_eld"]  # the same run: trained again
    other = run(tiny, data, out, train_configs=("zho_adu",), overwrite_output_dir=True, **quick)
    assert other["train_groups"] == ["zho_adu"]


def stored_as_before(tiny, data, tmp_path, edit) -> Iterator[tuple[str, Path, dict]]:
    """``(name, folder, settings)`` of a finished run ("finished": no checkpoints) and of one whose checkpoints
    a run resumes ("resumed"), each trained with its settings, then its stored identity changed by ``edit``
    (as another version of transformers or bimotion stored it)."""
    quick = {"num_train_epochs": 1, "save_strategy": "no", "eval_strategy": "no", "load_best_model_at_end": False}
    epoch = {"num_train_epochs": 1, "save_strategy": "epoch", "eval_strategy": "epoch"}
    for name, settings in (("finished", quick), ("resumed", epoch)):
        out = tmp_path / name
        run(tiny, data, out, **settings)
        stored = json.loads((out / IDENTITY_FILE).read_text())
        edit(stored)
        (out / IDENTITY_FILE).write_text(json.dumps(stored))
        yield name, out, settings


def test_an_argument_added_since_a_run_was_stored_differs_only_when_set_to_other_than_its_default(tiny, data, tmp_path):
    """After a transformers upgrade added TrainingArguments fields, the same command into a folder
    holding a finished model was refused ("training_args.<new field>: '(absent)' there, <its default>
    now"), and so was a resume of its checkpoints. A field the stored identity lacks now differs only
    when the command sets it to other than its default; both paths, on a real identity lacking one."""

    def without_the_field(stored: dict) -> None:  # as a version without the field stored it
        assert stored["training_args"].pop("label_smoothing_factor") == 0.0

    for name, out, settings in stored_as_before(tiny, data, tmp_path, without_the_field):
        with pytest.raises(RunMismatch, match=r"label_smoothing_factor: '\(absent\)' there, 0.1 now"):
            run(tiny, data, out, label_smoothing_factor=0.1, **settings)
        again = run(tiny, data, out, **settings)  # the same command: trained again, or resumed
        assert (again["resumed_from"] is not None) == (name == "resumed"), name


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_an_argument_a_transformers_upgrade_dropped_is_not_compared_and_said_in_one_line(tiny, data, tmp_path, caplog):
    """A field the stored identity has that this transformers' TrainingArguments no longer declares read as a
    changed setting ("training_args.<dropped>: True there, '(absent)' now"): the same command into a folder
    holding a finished model, or resuming its checkpoints after a transformers upgrade, was refused. Its old
    default is not known, so it is not compared; one warning line names it, the file, the transformers that
    stored it (run_identity.json records it and accelerate's: it recorded neither) and the fix."""
    import accelerate
    import transformers

    from bimotion.training.identity import differences

    def with_dropped_fields(stored: dict) -> None:  # as an older transformers stored it
        assert stored["versions"] == {"transformers": transformers.__version__, "accelerate": accelerate.__version__}
        stored["versions"] = {"transformers": "4.40.0", "accelerate": "0.30.0"}  # other versions: not compared
        stored["training_args"]["use_mps_device"] = True
        stored["training_args"]["old_config"] = {"min_num_params": 0}  # a dict-valued one

    for name, out, settings in stored_as_before(tiny, data, tmp_path, with_dropped_fields):
        caplog.clear()
        with caplog.at_level("WARNING", logger="bimotion.training"):
            again = run(tiny, data, out, **settings)  # the same command: trained again, or resumed
        assert (again["resumed_from"] is not None) == (name == "resumed"), name
        notes = [r.getMessage() for r in caplog.records if "not compared" in r.getMessage()]
        assert len(notes) == 1 and "\n" not in notes[0], notes
        assert notes[0].startswith(
            f"{out / IDENTITY_FILE}: training_args.use_mps_device (True there), training_args.old_config "
            f"({{'min_num_params': 0}} there) not compared (stored by transformers 4.40.0, this is "
            f"{transformers.__version__}): this transformers and bimotion no longer have them; if that run set them "
            "to other than the default, use a new --output_dir to train from scratch"
        ), notes[0]
        with pytest.raises(RunMismatch, match=r"learning_rate: 0.001 there, 0.0005 now\)"):  # the rest is compared
            run(tiny, data, out, **{**settings, "learning_rate": 5e-4})

    defaults = {"training_args.seed": 42, "data_args.max_duration_s": 8.0}
    before = {"training_args": {"seed": 42, "dropped": 1}, "data_args": {"max_duration_s": 8.0, "gone": "x"}}
    now = {"training_args": {"seed": 42}, "data_args": {"max_duration_s": 8.0}, "model": {"hub_id": "m"}}
    before["model"] = {"hub_id": "m", "old": 1}
    assert differences(before, now, defaults) == ["model.old: 1 there, '(absent)' now"]  # not an argument: compared
    assert differences(before, now) == [  # no defaults known: nothing is known dropped
        "data_args.gone: 'x' there, '(absent)' now",
        "model.old: 1 there, '(absent)' now",
        "training_args.dropped: 1 there, '(absent)' now",
    ]


def test_the_dropped_field_note_is_logged_once_a_launch_and_says_so_of_an_identity_without_versions(
    tmp_path, caplog, monkeypatch
):
    """Each process of a multi-process run logged the dropped-field note (4 lines on 4 GPUs); the main process
    (RANK 0) logs it now, the others nothing.  An identity written before the versions were recorded says so
    in the note and resumes as before; versions that differ are not a difference."""
    import transformers

    from bimotion.training.identity import check_finished

    now = {"training_args": {"seed": 42}, "versions": {"transformers": transformers.__version__, "accelerate": None}}
    (tmp_path / SCORES).write_text("{}")
    (tmp_path / IDENTITY_FILE).write_text(json.dumps({"training_args": {"seed": 42, "use_mps_device": True}}))
    for rank, lines in (("1", 0), ("3", 0), ("0", 1)):
        monkeypatch.setenv("RANK", rank)
        caplog.clear()
        with caplog.at_level("WARNING", logger="bimotion.training"):
            check_finished(tmp_path, now, {"training_args.seed": 42})  # the same run: not refused
        notes = [r.getMessage() for r in caplog.records if "not compared" in r.getMessage()]
        assert len(notes) == lines, (rank, notes)
    assert notes[0] == (
        f"{tmp_path / IDENTITY_FILE}: training_args.use_mps_device (True there) not compared (stored by a "
        f"transformers it does not record (written before bimotion did), this is {transformers.__version__}): this "
        "transformers and bimotion no longer have it; if that run set it to other than the default, use a new "
        "--output_dir to train from scratch"
    )


def test_a_stored_null_is_a_value_and_an_absent_field_its_declared_default(tiny, data, tmp_path):
    """differences() read a stored null and an absent field alike (both None): a field a run's identity lacked
    (an upgrade added it since, so the run had its default) passed as unchanged when this command set it to
    null, e.g. --max_duration_s inf (no crop) against the default 10 s crop; and a stored null of a field now
    left out of the identity passed whatever its default. A stored null is now a value like any other, and a
    field one side lacks counts as its declared default."""
    from bimotion.training.identity import differences

    quick = {"num_train_epochs": 1, "save_strategy": "no", "eval_strategy": "no", "load_best_model_at_end": False}
    out = tmp_path / "run"
    run(tiny, data, out, **quick)
    intact = json.loads((out / IDENTITY_FILE).read_text())
    stored = json.loads(json.dumps(intact))
    del stored["data_args"]["max_duration_s"]  # as a version without the field stored it: the run cropped 10 s
    (out / IDENTITY_FILE).write_text(json.dumps(stored))
    with pytest.raises(RunMismatch, match=r"data_args.max_duration_s: '\(absent\)' there, None now"):
        run(tiny, data, out, **{**quick, "max_duration_s": float("inf")})  # no crop
    stored = json.loads(json.dumps(intact))
    stored["training_args"]["label_smoothing_factor"] = None  # an explicit null: not the default 0.0
    (out / IDENTITY_FILE).write_text(json.dumps(stored))
    with pytest.raises(RunMismatch, match=r"label_smoothing_factor: None there, 0.0 now"):
        run(tiny, data, out, **quick)

    defaults = {"training_args.seed": 42, "training_args.eval_steps": None, "training_args.warmup_ratio": 0.0}
    same = {"training_args": {"seed": 42}}
    assert differences({"training_args": {"seed": 42, "warmup_ratio": None}}, same, defaults) == [
        "training_args.warmup_ratio: None there, '(absent)' now"  # a stored null, its default 0.0: differs
    ]
    assert differences({"training_args": {"seed": 42, "eval_steps": None}}, same, defaults) == []  # its default
    assert differences(same, {"training_args": {"seed": 42, "warmup_ratio": None}}, defaults) == [
        "training_args.warmup_ratio: '(absent)' there, None now"
    ]
    assert differences(same, {"training_args": {"seed": 42, "warmup_ratio": 0.0}}, defaults) == []  # its default
    assert differences(same, {"training_args": {"seed": 42, "eval_steps": None}}, defaults) == []


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_harmless_field_an_older_identity_stored_is_not_compared(tiny, data, tmp_path, caplog):
    """A run_identity.json written by a bimotion in which a field was not yet harmless (HARMLESS), or a secret
    (hub_token), still holds it, and differences() compared it with the field's default: the same
    command was refused ('training_args.logging_steps: 7 there, '(absent)' now'), though where a run logs
    does not change its model. The stored side is now filtered as the identity is written (identity.compared)."""
    from bimotion.training.identity import differences, undeclared

    def with_harmless_fields(stored: dict) -> None:  # as an older bimotion stored them
        assert "logging_steps" not in stored["training_args"] and "report_to" not in stored["training_args"]
        stored["training_args"].update(logging_steps=7, report_to=["tensorboard"], hub_token="hf_x")
        stored["training_args"]["gradient_checkpointing_kwargs"] = {"use_reentrant": False}  # a dict-valued one

    for name, out, settings in stored_as_before(tiny, data, tmp_path, with_harmless_fields):
        caplog.clear()
        with caplog.at_level("WARNING", logger="bimotion.training"):
            again = run(tiny, data, out, **settings)  # the same command: trained again, or resumed
        assert (again["resumed_from"] is not None) == (name == "resumed"), name
        assert not [r.getMessage() for r in caplog.records if "not compared" in r.getMessage()]
        with pytest.raises(RunMismatch, match=r"learning_rate: 0.001 there, 0.0005 now\)"):  # the rest is compared
            run(tiny, data, out, **{**settings, "learning_rate": 5e-4})

    defaults = {"training_args.seed": 42, "training_args.logging_steps": 500, "model_args.model_name_or_path": None}
    before = {"training_args": {"seed": 42, "logging_steps": 7, "hub_token": "x", "run_name": "old"}}
    before["model_args"] = {"model_name_or_path": "/old/place"}
    before["data"] = {"bimotion": {"prepare.json": "sha256:1"}}  # a dataset, not an argument: compared
    now = {"training_args": {"seed": 42}, "model_args": {}, "data": {"bimotion": {"prepare.json": "sha256:2"}}}
    assert differences(before, now, defaults) == ["data.bimotion.prepare.json: 'sha256:1' there, 'sha256:2' now"]
    assert undeclared(before, now, defaults) == {}  # run_name, hub_token: harmless, so never named as not compared


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_damaged_run_identity_is_one_error_naming_it_and_the_fix(tiny, data, tmp_path):
    """A run_identity.json cut short ended the train recipe in a JSONDecodeError traceback (one that is
    not a JSON object, in an AttributeError; one not UTF-8, in a UnicodeDecodeError). It is now one
    error line naming the file and the fix, exit code 2, the folder left as it was; the same for
    resuming, and for a section of the wrong type (named as a different run before)."""
    from bimotion.training.identity import check_finished, check_resume
    from loaders.errors import DamagedFileError

    out = tmp_path / "run"
    out.mkdir()
    (out / SCORES).write_text("{}")  # a finished model's
    (out / IDENTITY_FILE).write_text('{"data": {"bimotion": {"prepare.json": "sha256:')  # cut short
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    done = subprocess.run(recipe(tiny, data, out), env=subprocess_env(), capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    fix = (
        f"so this command cannot be checked against the run that wrote {out}. Use a new --output_dir, "
        f"--overwrite_output_dir to discard that run and train from scratch, or move {IDENTITY_FILE} away to go on "
        "unchecked."
    )
    assert done.stderr.splitlines()[-1] == (
        f"error: {out / IDENTITY_FILE} is damaged (not JSON: Unterminated string starting at: line 1 column 40 "
        f"(char 39)), {fix}"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    identity = {"train_shards": [["csed", "zho_eld"]], "training_args": {"seed": 0}}
    for text, why in (
        (b"[]", "a JSON array, not an object"),
        (b"null", "JSON null, not an object"),
        (b'{"train_shards": [], "training_args": 5}', "its training_args is a JSON number, not an object"),
        (b"\xff{}", "not UTF-8 text"),
    ):
        (out / IDENTITY_FILE).write_bytes(text)
        for check in (lambda: check_finished(out, identity, {}), lambda: check_resume(out, identity, "c", {})):
            with pytest.raises(DamagedFileError) as raised:
                check()
            assert str(raised.value) == f"{out / IDENTITY_FILE} is damaged ({why}), {fix}"


def test_a_damaged_run_identity_beside_a_checkpoint_given_names_fixes_that_go_with_it(tiny, data, tmp_path):
    """With --resume_from_checkpoint RUN/checkpoint-N and RUN's run_identity.json damaged, the error said "Use a
    new --output_dir, --overwrite_output_dir to discard that run ...": the command already had a new
    --output_dir, whose run is refused again, and --overwrite_output_dir is refused with
    --resume_from_checkpoint. It names the fixes that go with a checkpoint given."""
    from loaders.errors import DamagedFileError

    settings = {"num_train_epochs": 1, "save_strategy": "epoch", "eval_strategy": "epoch"}
    first = tmp_path / "first"
    run(tiny, data, first, **settings)
    checkpoint = str(sorted(first.glob("checkpoint-*"))[-1])
    intact = (first / IDENTITY_FILE).read_text()
    (first / IDENTITY_FILE).write_text('{"data": ')  # cut short
    with pytest.raises(DamagedFileError) as raised:
        run(tiny, data, tmp_path / "new", resume_from_checkpoint=checkpoint, **settings)
    said = str(raised.value)
    assert said.endswith(
        f"Move {IDENTITY_FILE} away to resume from {checkpoint} unchecked, or leave out --resume_from_checkpoint "
        "and use a new --output_dir to train from scratch."
    ), said  # was: Use a new --output_dir, --overwrite_output_dir to discard that run ...
    with pytest.raises(ValueError, match="pass it or --resume_from_checkpoint, not both"):  # why it is not named
        run(tiny, data, tmp_path / "new", resume_from_checkpoint=checkpoint, overwrite_output_dir=True, **settings)

    (first / IDENTITY_FILE).write_text(intact)
    with pytest.raises(RunMismatch) as raised:  # intact, of other settings: the same fixes, not --overwrite_output_dir
        run(tiny, data, tmp_path / "new", resume_from_checkpoint=checkpoint, learning_rate=5e-4, **settings)
    assert str(raised.value).endswith(
        "resuming would continue that run. Resume it with its own settings, or leave out --resume_from_checkpoint "
        "and use a new --output_dir to train from scratch."
    ), str(raised.value)
    other = tmp_path / "other"  # the --output_dir's finished model, its identity damaged
    other.mkdir()
    (other / SCORES).write_text("{}")
    (other / IDENTITY_FILE).write_text("[]")
    with pytest.raises(DamagedFileError) as raised:
        run(tiny, data, other, resume_from_checkpoint=checkpoint, **settings)
    assert str(raised.value).endswith(f"Use a new --output_dir, or move {IDENTITY_FILE} away to go on unchecked.")


def test_harmless_differences_and_moved_folders_still_resume(tiny, data, tmp_path):
    token = "hf_secret_token_never_written"
    out = tmp_path / "run"
    epoch = {"save_strategy": "epoch", "eval_strategy": "epoch"}
    run(tiny, data, out, num_train_epochs=1, hub_token=token, **epoch)
    identity = (out / IDENTITY_FILE).read_text()
    assert token not in identity and not any(str(p) in identity for p in (tmp_path, tiny, data))

    moved_out, moved_data = tmp_path / "moved" / "run", tmp_path / "moved" / "data"
    shutil.move(out, moved_out)
    shutil.copytree(data / "bimotion", moved_data / "bimotion")
    resumed = run(
        tiny,
        moved_data,
        moved_out,
        num_train_epochs=1,
        logging_steps=3,
        test_configs=["zho_eld", "zho_adu"],
        save_total_limit=1,
        **epoch,
    )
    assert resumed["resumed_from"] is not None and resumed["selection"]["global_step"] == STEPS_PER_EPOCH
    assert set(resumed["test"]["groups"]) == {"zho_eld", "zho_adu"}
    assert json.loads((moved_out / IDENTITY_FILE).read_text()) == json.loads(identity)


def test_an_interrupted_run_is_told_what_rerunning_does():
    from bimotion.training.checkpoints import how_to_continue
    from bimotion.training.spec import RunArguments

    assert how_to_continue(None, RunArguments(), "out") == "no checkpoint was saved in out yet: rerunning starts again"
    assert how_to_continue("out/checkpoint-6", RunArguments(), "out").endswith("continue from out/checkpoint-6")
    assert "without --overwrite_output_dir" in how_to_continue("c", RunArguments(overwrite_output_dir=True), "out")
    assert "--resume true" in how_to_continue("c", RunArguments(resume=False), "out")


def recipe(tiny, data, out, *extra: str) -> list[str]:
    """``recipes/train.py`` as a user runs it, on run()'s data and settings (9 steps of 4 clips), a
    validation after every step, no scheduled checkpoint (``--save_steps`` beyond the run)."""
    command = [sys.executable, str(Path(__file__).parents[1] / "recipes" / "train.py")]
    command += ["--model_name_or_path", str(tiny), "--bimotion", str(data / "bimotion"), "--output_dir", str(out)]
    command += ["--dataset_cache_dir", str(data / "cache"), "--train_configs", "zho_eld", "--test_configs", "zho_eld"]
    command += (
        "--classifier_proj_size 16 --per_device_train_batch_size 4 --max_duration_s 0.5 --learning_rate 1e-3".split()
    )
    command += "--eval_strategy steps --eval_steps 1 --save_strategy steps --save_steps 100 --logging_steps 1".split()
    command += ["--num_train_epochs", str(EPOCHS), "--disable_tqdm", "true", "--report_to", "none", *extra]
    return command


def test_sigterm_saves_a_checkpoint_after_its_step_and_the_rerun_ends_as_an_uninterrupted_run(tiny, data, tmp_path):
    """Slurm's time limit sends SIGTERM to the job's processes.  It stopped the run at once, and the
    rerun retrained every step since the last scheduled checkpoint (here: all of them).  Now the step
    under way ends, a checkpoint of it is saved (model, optimizer, scheduler, random states, trainer
    state), the run exits 143 naming it, and rerunning the same command continues from it and ends
    with exactly (bit for bit, on CPU) the selected model and the test scores of an uninterrupted run."""
    from conftest import signalled_while_held

    env = subprocess_env()
    straight = subprocess.run(recipe(tiny, data, tmp_path / "straight"), env=env, capture_output=True, text=True)
    assert straight.returncode == 0, straight.stderr[-3000:]

    out = tmp_path / "out"
    proc = subprocess.Popen(
        recipe(tiny, data, out),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        for line in proc.stdout:  # one line per validation: stop it mid-epoch 2 (steps 4-6)
            if line.startswith("epoch 1.33, step 4:"):
                break
        err = signalled_while_held(proc, lambda: os.killpg(proc.pid, signal.SIGTERM), "SIGTERM")
    finally:
        proc.kill()
    last = err.strip().splitlines()[-1]
    assert proc.returncode == 143 and last.startswith("terminated: rerun the same command to continue from "), err
    checkpoint = Path(last.rsplit(" ", 1)[1])
    step = int(checkpoint.name.rsplit("-", 1)[1])
    assert 4 <= step < STEPS_PER_EPOCH * EPOCHS and f"SIGTERM: saving checkpoint-{step}, then stopping" in err, err
    saved = {p.name for p in checkpoint.iterdir()}
    assert {"model.safetensors", "optimizer.pt", "scheduler.pt", "rng_state.pth", "trainer_state.json"} <= saved
    assert (
        INCOMPLETE not in saved and json.loads((checkpoint / "trainer_state.json").read_text())["global_step"] == step
    )

    again = subprocess.run(recipe(tiny, data, out), env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    resumed, expected = (json.loads((path / SCORES).read_text()) for path in (out, tmp_path / "straight"))
    assert resumed["resumed_from"].endswith(checkpoint.name) and resumed["selection"]["global_step"] == 9
    for name, tensor in weights(out).items():
        assert torch.equal(tensor, weights(tmp_path / "straight")[name]), f"resumed at step {step}: {name} differs"
    assert resumed["test"] == expected["test"]
    assert resumed["selection"]["best_metric"] == expected["selection"]["best_metric"]


def test_a_checkpoint_whose_save_a_kill_cut_short_is_never_resumed(tiny, data, tmp_path):
    """transformers writes a checkpoint in place: a kill (SIGKILL once Slurm's grace period is over)
    during the save leaves a folder that resuming loaded as if whole once its
    trainer_state.json was there.  It now holds checkpoint-is-incomplete.txt until every part is
    written: the rerun removes it, saying so, and resumes the checkpoint before; naming it is refused."""
    import time

    out = tmp_path / "out"
    command = recipe(tiny, data, out, "--save_steps", "1")
    proc = subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cut = None
    try:
        while cut is None and proc.poll() is None:  # catch one of its saves after the first in the middle
            for marker in set(out.glob(f"checkpoint-*/{INCOMPLETE}")) - {out / "checkpoint-1" / INCOMPLETE}:
                proc.send_signal(signal.SIGSTOP)
                if marker.exists():
                    cut = marker.parent
                    proc.kill()
                proc.send_signal(signal.SIGCONT)
            time.sleep(0.0005)
    finally:
        proc.kill()
        proc.communicate()
    assert cut is not None, "no save was caught in the middle"
    step = int(cut.name.rsplit("-", 1)[1])
    before = out / f"checkpoint-{step - 1}"
    if not (cut / "trainer_state.json").exists():  # as a kill a moment later leaves it: all but the marker's removal
        shutil.copy(before / "trainer_state.json", cut / "trainer_state.json")
    assert last_checkpoint(out) == str(before)

    named = subprocess.run(
        [*command, "--resume_from_checkpoint", str(cut)], env=subprocess_env(), capture_output=True, text=True
    )
    assert named.returncode == 2 and f"error: {cut} was not saved whole" in named.stderr, named.stderr[-3000:]
    again = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"removing {cut}: its save (or its removal) was cut short" in again.stderr
    assert json.loads((out / SCORES).read_text())["resumed_from"].endswith(before.name)


def sigterm_at(monkeypatch, step: int, validation: bool = False) -> None:
    """Runs from here on get a real SIGTERM, sent by the run to itself as optimizer step ``step``
    starts, or (``validation``) during the validation after it (a callback on the real SERTrainer),
    so a test stops a run where it needs."""
    from transformers import TrainerCallback

    class SigtermAt(TrainerCallback):
        sent = False

        def on_step_begin(self, args, state, control, **kwargs):
            if not validation and state.global_step + 1 == step:
                os.kill(os.getpid(), signal.SIGTERM)

        def on_prediction_step(self, args, state, control, **kwargs):  # a batch of a validation
            if validation and state.global_step == step and not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGTERM)

    from conftest import with_callback

    with_callback(monkeypatch, SigtermAt)


def stopped_then_resumed(
    monkeypatch, tiny, data, out, step: int, validation: bool = False, rerun_callback=None, **overrides
) -> list[str]:
    """A run stopped by SIGTERM at ``step`` (:func:`sigterm_at`; taken as the recipes take it), its
    checkpoints then (a checkpoint saved at the stop marked ``(stop)``), and the same run rerun to its
    end (with ``rerun_callback``, a callback class, in its trainer: :func:`conftest.with_callback`)."""
    from bimotion.signals import Terminated, terminate_as_interrupt
    from bimotion.training.outputs import SAVED_AT_STOP

    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a recipe's process
    try:
        sigterm_at(monkeypatch, step, validation)
        with terminate_as_interrupt(), pytest.raises(Terminated):
            run(tiny, data, out, **overrides)
    finally:
        signal.signal(signal.SIGTERM, signal_before)
        monkeypatch.undo()
    saved = sorted(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    saved = [p.name + (" (stop)" if (p / SAVED_AT_STOP).exists() else "") for p in saved]
    if rerun_callback is not None:
        from conftest import with_callback

        with_callback(monkeypatch, rerun_callback)
    try:
        run(tiny, data, out, **overrides)
    finally:
        monkeypatch.undo()
    return saved


def checkpoints(out) -> list[str]:
    """The checkpoint folders in ``out``, by step."""
    return [p.name for p in sorted(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))]


def new_best_steps(out) -> list[int]:
    """The steps whose validation loss was the best so far, in a finished run's trainer_state.json."""
    losses = [(h["step"], h["eval_loss"]) for h in json.loads((out / "trainer_state.json").read_text())["log_history"]
              if "eval_loss" in h]  # fmt: skip
    return [step for i, (step, loss) in enumerate(losses) if all(loss < before for _, before in losses[:i])]


# a checkpoint every 2 steps, 2 kept (the best among them), a validation after every step
EVERY_2 = {"save_steps": 2, "save_total_limit": 2}


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_at_a_new_best_between_saves_keeps_the_best_checkpoint(monkeypatch, tiny, data, tmp_path):
    """A SIGTERM at a step between scheduled saves whose validation is the best so far: transformers
    named the checkpoint saved at the stop the best, so save_total_limit's rotation deleted the real
    best checkpoint (as the run stopped), and the resumed run ended with no best checkpoint and the
    last step's model where an uninterrupted run loads the best one."""
    straight = run(tiny, data, tmp_path / "straight", **EVERY_2)
    best = int(straight["selection"]["best_checkpoint"].split("-")[1])
    step = max(s for s in new_best_steps(tmp_path / "straight") if s % 2)
    # the data give the case: a new best after the best checkpoint kept
    assert best < step < STEPS_PER_EPOCH * EPOCHS, (best, step)
    out = tmp_path / "out"
    saved = stopped_then_resumed(monkeypatch, tiny, data, out, step, **EVERY_2)
    assert f"checkpoint-{best}" in saved and f"checkpoint-{step} (stop)" in saved, saved
    resumed = json.loads((out / SCORES).read_text())
    assert resumed["selection"] == straight["selection"] and resumed["test"] == straight["test"]
    assert all(torch.equal(tensor, weights(tmp_path / "straight")[name]) for name, tensor in weights(out).items())


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_checkpoint_saved_at_sigterm_is_kept_until_the_next_save_is_whole(monkeypatch, tiny, data, tmp_path):
    """A checkpoint saved at SIGTERM was removed as the rerun's next scheduled save began, so a kill
    during that save (SIGKILL, at the next time limit's end; a node lost) resumed from the scheduled
    checkpoint before the stop's and trained those steps again.  It is now removed once the newer
    checkpoint is whole, and only then are older ones rotated away (``save_total_limit``)."""
    from transformers.trainer_callback import ExportableState, TrainerCallback

    resumable = {}  # while a checkpoint is saved (its model and optimizer written): what a kill then resumes
    out = tmp_path / "out"

    class KilledWhileSaving(TrainerCallback, ExportableState):
        def on_train_begin(self, args, state, control, **kwargs):  # resumed: the checkpoint's state lacks it
            state.stateful_callbacks.setdefault(type(self).__name__, {})

        def state(self) -> dict:  # transformers asks for it in the middle of every checkpoint's save
            for saving in out.glob(f"checkpoint-*/{INCOMPLETE}"):
                resumable[saving.parent.name] = Path(last_checkpoint(out)).name
            return {"args": {}, "attributes": {}}

    saved = stopped_then_resumed(monkeypatch, tiny, data, out, 5, rerun_callback=KilledWhileSaving, **EVERY_2)
    assert saved == ["checkpoint-2", "checkpoint-4", "checkpoint-5 (stop)"], saved  # 2 kept, the stop's not counted
    assert resumable["checkpoint-6"] == "checkpoint-5", resumable  # not checkpoint-4: step 5 trained again
    straight = tmp_path / "straight"
    run(tiny, data, straight, **EVERY_2)
    assert checkpoints(out) == checkpoints(straight), (checkpoints(out), checkpoints(straight))
    assert all(torch.equal(tensor, weights(straight)[name]) for name, tensor in weights(out).items())


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_checkpoint_saved_at_sigterm_never_counts_against_save_total_limit(monkeypatch, tiny, data, tmp_path):
    """``--save_total_limit 1``: the checkpoint saved at a SIGTERM counted against the limit as it was
    saved, so its save rotated away the last scheduled checkpoint, and during the rerun's next save
    (where a kill leaves what was there before it) the run held less than an uninterrupted run holds
    there.  A stop's checkpoint now rotates nothing away: until the next scheduled save is whole the run
    holds every checkpoint an uninterrupted run holds, and the stop's besides; then as that run."""
    from transformers.trainer_callback import ExportableState, TrainerCallback

    overrides = {"save_steps": 2, "save_total_limit": 1}
    held: dict[str, dict[str, set[str]]] = {}  # run -> checkpoint being saved -> the whole ones beside it

    def recorder(name: str, out: Path):
        class WhileSaving(TrainerCallback, ExportableState):
            def on_train_begin(self, args, state, control, **kwargs):  # resumed: the checkpoint's state lacks it
                state.stateful_callbacks.setdefault(type(self).__name__, {})

            def state(self) -> dict:  # transformers asks for it in the middle of every checkpoint's save
                for saving in out.glob(f"checkpoint-*/{INCOMPLETE}"):
                    whole = {p.name for p in out.glob("checkpoint-*") if not (p / INCOMPLETE).exists()}
                    held.setdefault(name, {})[saving.parent.name] = whole
                return {"args": {}, "attributes": {}}

        return WhileSaving

    from conftest import with_callback

    straight = tmp_path / "straight"
    with_callback(monkeypatch, recorder("straight", straight))
    try:
        run(tiny, data, straight, **overrides)
    finally:
        monkeypatch.undo()
    out = tmp_path / "out"
    # the data give the case: at its save of step 8 the run holds the best checkpoint and the last one (6)
    before = held["straight"]["checkpoint-8"]
    assert len(before) == 2 and "checkpoint-6" in before, held["straight"]
    saved = stopped_then_resumed(monkeypatch, tiny, data, out, 7, rerun_callback=recorder("out", out), **overrides)
    assert set(saved) == before | {"checkpoint-7 (stop)"}, (saved, before)
    assert held["out"]["checkpoint-8"] == before | {"checkpoint-7"}, (held["out"], before)
    assert checkpoints(out) == checkpoints(straight), (checkpoints(out), checkpoints(straight))
    assert all(torch.equal(tensor, weights(straight)[name]) for name, tensor in weights(out).items())


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_in_the_validation_at_an_epochs_end_leaves_the_epochs_checkpoint_scheduled(
    monkeypatch, tiny, data, tmp_path
):
    """A validation every step, a checkpoint every epoch: a SIGTERM during the validation at an epoch's
    last step saved that step's checkpoint at once, marked saved-at-stop, though the epoch's end saves
    it in an uninterrupted run; the rerun's next save removed it.  The stop now waits for the epoch's
    end, whose scheduled save it is."""
    overrides = {"save_strategy": "epoch", "load_best_model_at_end": False, "early_stopping_patience": 0}
    straight = run(tiny, data, tmp_path / "straight", **overrides)
    out = tmp_path / "out"
    saved = stopped_then_resumed(monkeypatch, tiny, data, out, STEPS_PER_EPOCH, True, **overrides)
    assert saved == [f"checkpoint-{STEPS_PER_EPOCH}"], saved
    assert checkpoints(out) == checkpoints(tmp_path / "straight"), checkpoints(out)
    assert json.loads((out / SCORES).read_text())["test"] == straight["test"]
    assert all(torch.equal(tensor, weights(tmp_path / "straight")[name]) for name, tensor in weights(out).items())


@pytest.mark.parametrize("validation", [False, True], ids=["step", "validation"])
def test_sigterm_at_an_epochs_end_with_save_strategy_best_says_what_it_saves(
    monkeypatch, tiny, data, tmp_path, capsys, validation
):
    """``--save_strategy best``, a validation every step: a SIGTERM in an epoch's last step saved that
    step (the stop's validation saves) without the line that names the checkpoint it saves."""
    from bimotion.signals import Terminated, terminate_as_interrupt

    out = tmp_path / "out"
    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a recipe's process
    try:
        sigterm_at(monkeypatch, STEPS_PER_EPOCH, validation)
        with terminate_as_interrupt(), pytest.raises(Terminated):
            run(tiny, data, out, save_strategy="best", save_total_limit=2)
    finally:
        signal.signal(signal.SIGTERM, signal_before)
        monkeypatch.undo()
    err = capsys.readouterr().err
    assert err.count(f"SIGTERM: saving checkpoint-{STEPS_PER_EPOCH}, then stopping") == 1, err[-2000:]
    assert last_checkpoint(out) == str(out / f"checkpoint-{STEPS_PER_EPOCH}")


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_with_save_strategy_best_saves_at_its_step_and_ends_as_an_uninterrupted_run(
    monkeypatch, tiny, data, tmp_path
):
    """``--save_strategy best``: a SIGTERM at a step whose validation was no new best saved nothing
    (transformers keeps a save for a new best), though the run said it saved that step; one at a new
    best marked it saved-at-stop, so a later save (or none) lost it.  Both now end as an uninterrupted run."""
    overrides = {"save_strategy": "best", "save_total_limit": 2}
    straight = run(tiny, data, tmp_path / "straight", **overrides)
    bests = new_best_steps(tmp_path / "straight")
    for step in (bests[-1], next(s for s in range(bests[-1], 0, -1) if s not in bests)):  # a new best, and not
        out = tmp_path / f"stop-{step}"
        saved = stopped_then_resumed(monkeypatch, tiny, data, out, step, **overrides)
        expected = f"checkpoint-{step}" + ("" if step in bests else " (stop)")
        assert expected in saved, (step, saved)
        resumed = json.loads((out / SCORES).read_text())
        assert resumed["resumed_from"].endswith(f"checkpoint-{step}"), (step, resumed["resumed_from"])
        assert resumed["selection"] == straight["selection"] and resumed["test"] == straight["test"], step
        assert all(torch.equal(t, weights(tmp_path / "straight")[name]) for name, t in weights(out).items()), step


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_checkpoint_saved_at_sigterm_is_gone_once_the_resumed_run_ends(monkeypatch, tiny, data, tmp_path):
    """``--save_strategy no`` (the demo's grid): an uninterrupted run leaves no checkpoint, but the one
    saved at a SIGTERM (model, optimizer: three times the model) stayed in the finished model folder,
    as no scheduled save came to remove it."""
    overrides = {"save_strategy": "no", "load_best_model_at_end": False, "early_stopping_patience": 0}
    out = tmp_path / "out"
    assert stopped_then_resumed(monkeypatch, tiny, data, out, 5, **overrides) == ["checkpoint-5 (stop)"]
    assert json.loads((out / SCORES).read_text())["resumed_from"].endswith("checkpoint-5")
    assert not list(out.glob("checkpoint-*"))


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_in_an_epochs_last_step_saves_after_the_epochs_evaluation(monkeypatch, tiny, data, tmp_path):
    """The defaults (a validation and a checkpoint per epoch): a SIGTERM during an epoch's last step
    saved a checkpoint at the step's end, before the epoch's own validation and save, and stopped; the
    rerun began the next epoch, so that epoch was never validated, and it ended with other weights
    and another best loss than an uninterrupted run."""
    overrides = {"eval_strategy": "epoch", "save_strategy": "epoch", "save_total_limit": 2}
    straight = run(tiny, data, tmp_path / "straight", **overrides)
    out = tmp_path / "out"
    saved = stopped_then_resumed(monkeypatch, tiny, data, out, STEPS_PER_EPOCH, **overrides)
    assert saved == [f"checkpoint-{STEPS_PER_EPOCH}"], saved  # the epoch's own checkpoint
    resumed = json.loads((out / SCORES).read_text())
    assert resumed["selection"] == straight["selection"] and resumed["test"] == straight["test"]
    assert all(torch.equal(tensor, weights(tmp_path / "straight")[name]) for name, tensor in weights(out).items())


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_in_an_epochs_last_step_with_a_save_due_saves_after_the_epochs_evaluation(
    monkeypatch, tiny, data, tmp_path
):
    """A validation per epoch and a checkpoint every epoch's worth of steps (``--save_steps``): a
    SIGTERM in the step that ends an epoch, where a save was due, saved at the step's end and stopped
    before the epoch's validation; the rerun began the next epoch, so that validation never came, and
    (the validation drew on the RNG then) it ended with other weights and another
    best loss than an uninterrupted run (0.625892 for 0.627042 on the test data)."""
    overrides = {"eval_strategy": "epoch", "save_strategy": "steps", "save_steps": STEPS_PER_EPOCH,
                 "load_best_model_at_end": False, "early_stopping_patience": 0}  # fmt: skip
    straight = run(tiny, data, tmp_path / "straight", **overrides)
    out = tmp_path / "out"
    saved = stopped_then_resumed(monkeypatch, tiny, data, out, STEPS_PER_EPOCH, **overrides)
    assert saved == [f"checkpoint-{STEPS_PER_EPOCH}"], saved  # the save that was due, not marked (stop)
    evaluated = [[h["step"] for h in json.loads((folder / "trainer_state.json").read_text())["log_history"]
                  if "eval_loss" in h] for folder in (tmp_path / "straight", out)]  # fmt: skip
    assert evaluated[1] == evaluated[0] == [STEPS_PER_EPOCH * (epoch + 1) for epoch in range(EPOCHS)], evaluated
    resumed = json.loads((out / SCORES).read_text())
    assert resumed["selection"] == straight["selection"] and resumed["test"] == straight["test"]
    assert all(torch.equal(tensor, weights(tmp_path / "straight")[name]) for name, tensor in weights(out).items())


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_during_a_validation_saves_after_it(monkeypatch, tiny, data, tmp_path):
    """``--save_strategy no`` (the demo's grids), a validation per epoch: a SIGTERM during a validation
    was read only at the next step's end (during the run's last one, never: nothing saved, the rerun
    trained the whole run again; that one now finishes the run, see the test below).  A SIGTERM during
    a validation is acted on after it: a checkpoint saved at the stop, from which the rerun ends as an
    uninterrupted run."""
    overrides = {"eval_strategy": "epoch", "save_strategy": "no", "load_best_model_at_end": False,
                 "early_stopping_patience": 0}  # fmt: skip
    straight = run(tiny, data, tmp_path / "straight", **overrides)
    out, first = tmp_path / "out", STEPS_PER_EPOCH
    assert stopped_then_resumed(monkeypatch, tiny, data, out, first, True, **overrides) == [
        f"checkpoint-{first} (stop)"
    ]
    resumed = json.loads((out / SCORES).read_text())
    assert resumed["resumed_from"].endswith(f"checkpoint-{first}") and not list(out.glob("checkpoint-*"))
    assert resumed["selection"] == straight["selection"] and resumed["test"] == straight["test"]
    assert all(torch.equal(tensor, weights(tmp_path / "straight")[name]) for name, tensor in weights(out).items())


def rerun_scores_as_straight(tiny, data, out, last: str, straight: dict, straight_dir: Path, **overrides) -> None:
    """Rerun the run stopped in ``out`` at its checkpoint ``last`` once training was done: it resumes from
    there and ends as the uninterrupted run in ``straight_dir`` (``straight``, its scores.json): the same
    test scores, selection, training loss and model."""
    from bimotion.training.run import train_and_report

    assert train_and_report(spec_of(tiny, data, out, **overrides)) == 0
    resumed = json.loads((out / SCORES).read_text())
    assert resumed["resumed_from"].endswith(last) and resumed["test"] == straight["test"]
    assert resumed["selection"] == straight["selection"]
    assert resumed["train_loss"] == pytest.approx(straight["train_loss"], rel=1e-6)
    assert all(torch.equal(t, weights(straight_dir)[name]) for name, t in weights(out).items())


@pytest.mark.parametrize("when", ["step", "validation"])
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_in_the_runs_last_step_stops_before_scoring_and_the_rerun_only_scores(
    monkeypatch, tiny, data, tmp_path, capsys, when
):
    """A SIGTERM during the run's very last optimizer step (or the validation after it) saved that step's
    checkpoint, then let the run go on to load, save and score its model (minutes on the paper's data,
    past Slurm's KillWait, 30 s by default: the job was SIGKILLed mid-scoring with nothing said).  Now
    the run stops once that checkpoint is whole, before any scoring: exit 143, no scores.json, the
    closing line names the sets not scored; the rerun trains nothing, scores, and ends as an
    uninterrupted run (its model, scores, training loss; the stop's checkpoint gone)."""
    from bimotion.training.run import train_and_report

    overrides = {"save_strategy": "no", "load_best_model_at_end": False, "early_stopping_patience": 0}
    straight = run(tiny, data, tmp_path / "straight", **overrides)
    out, last = tmp_path / "out", f"checkpoint-{STEPS_PER_EPOCH * EPOCHS}"
    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a recipe's process
    try:
        sigterm_at(monkeypatch, STEPS_PER_EPOCH * EPOCHS, validation=when == "validation")
        assert train_and_report(spec_of(tiny, data, out, **overrides)) == 143
    finally:
        signal.signal(signal.SIGTERM, signal_before)
        monkeypatch.undo()
    err = capsys.readouterr().err
    assert f"SIGTERM: saving {last}, then stopping before the trained model is scored" in err, err[-2000:]
    assert err.strip().splitlines()[-1] == (
        f"terminated: training is done, but the validation sets (zho_eld) and the test sets (zho_eld) were not "
        f"scored (no {SCORES} yet); rerun the same command to continue from {out / last}: it trains nothing, it scores"
    ), err[-2000:]
    assert not (out / SCORES).exists() and not (out / "model.safetensors").exists()  # nothing scored, nor saved
    assert last_checkpoint(out) == str(out / last) and checkpoints(out) == [last]

    rerun_scores_as_straight(tiny, data, out, last, straight, tmp_path / "straight", **overrides)
    assert not list(out.glob("checkpoint-*"))


def test_a_stopped_runs_closing_line_is_the_last_line_it_prints(monkeypatch, tiny, data, tmp_path, capsys):
    """A Slurm job's log (quiet output, its training bar a line per 30 s): a run stopped by SIGTERM
    ended with ``terminated: rerun the same command to continue from ...`` and then, when the trainer
    was garbage-collected, the bar's last state (`` 3%|▎| 2/60 [00:13<06:44, 6.97s/it]``): ``tail -n 1``
    showed a bar, not how to continue.  The bar is closed as the stop unwinds, before that line."""
    import gc

    from bimotion import console
    from bimotion.training.run import train_and_report

    out = tmp_path / "out"
    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a recipe's process
    try:
        monkeypatch.setattr(console, "_quiet", True)  # a recipe's default: bars as lines in a log file
        sigterm_at(monkeypatch, 5)
        assert train_and_report(spec_of(tiny, data, out, disable_tqdm=False)) == 143
        gc.collect()  # the stopped run's trainer, and anything it left open
    finally:
        signal.signal(signal.SIGTERM, signal_before)
        monkeypatch.undo()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == f"terminated: rerun the same command to continue from {out / 'checkpoint-5'}", lines[-5:]
    assert any("| 5/9 [" in line for line in lines[:-1]), lines[-5:]  # the bar's last state, before it


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_run_stopped_while_scored_prints_its_closing_line_last(monkeypatch, tiny, data, tmp_path, capsys):
    """A SIGTERM while the trained model was scored, its evaluation bar shown (a terminal, --verbose, a
    library call): the closing line, then, once the trainer was garbage-collected, the bar's last state
    (`` 33%|███▎ | 1/3``): the bar is closed as the stop unwinds, as a stopped training's bar is."""
    import gc

    from transformers import TrainerCallback

    from bimotion.training.run import train_and_report

    class SigtermInTheTestSet(TrainerCallback):
        trained = predicted = sent = False

        def on_train_end(self, args, state, control, **kwargs):
            self.trained = True

        def on_predict(self, args, state, control, **kwargs):
            self.predicted = self.trained

        def on_prediction_step(self, args, state, control, **kwargs):  # the test set's first batch: its bar open
            if self.predicted and not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGTERM)

    out = tmp_path / "out"
    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a recipe's process
    try:
        from conftest import with_callback

        with_callback(monkeypatch, SigtermInTheTestSet)
        assert train_and_report(spec_of(tiny, data, out, disable_tqdm=False, per_device_eval_batch_size=1)) == 143
        gc.collect()  # the stopped run's trainer, and anything it left open
    finally:
        signal.signal(signal.SIGTERM, signal_before)
        monkeypatch.undo()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("terminated: training is done, but the test sets (zho_eld) were not scored"), lines[-5:]
    assert any("%|" in line for line in lines[:-1]), lines[-5:]  # the bar was there, and closed before it


# --save_strategy no (the demo's grids): no checkpoint to score from, one is saved at the stop (the loss of
# its last steps, logged at no step, recorded in it once), in an epoch (8 steps of 9: resumed there, Trainer
# trained a 9th); the defaults here: a checkpoint every step, the best model loaded at the end: checkpoint-9
SCORED_AFTER = {
    "no_checkpoint": {
        "save_strategy": "no",
        "load_best_model_at_end": False,
        "early_stopping_patience": 0,
        "logging_steps": 3,
        "max_steps": 8,
    },
    "last_step_saved": {},
}


@pytest.mark.parametrize("overrides", SCORED_AFTER.values(), ids=SCORED_AFTER.keys())
@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_sigterm_while_the_trained_model_is_scored_stops_at_a_batch_and_the_rerun_only_scores(
    monkeypatch, tiny, data, tmp_path, capsys, overrides
):
    """A SIGTERM after training ended, while the trained model was scored on its validation and test
    sets (minutes on the paper's data), was put off until the scoring ended: a test set longer than
    Slurm's KillWait (30 s by default) had the job SIGKILLed with nothing said.  The scoring now stops
    at its next batch: the checkpoint of the last step is kept (saved then when there is none), the run
    says what was not scored and how to score it, and exits 143; the rerun trains nothing and ends as
    an uninterrupted run (its model, test scores and training loss; no checkpoint it would not have)."""
    from transformers import TrainerCallback

    from bimotion.training.run import train_and_report

    class SigtermWhileScored(TrainerCallback):
        trained = sent = False

        def on_train_end(self, args, state, control, **kwargs):
            self.trained = True

        def on_predict(self, args, state, control, **kwargs):  # the validation set scored: the test sets next
            if self.trained and not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGTERM)

    straight = run(tiny, data, tmp_path / "straight", **overrides)
    out, last = tmp_path / "out", f"checkpoint-{overrides.get('max_steps', STEPS_PER_EPOCH * EPOCHS)}"
    signal_before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a recipe's process
    try:
        from conftest import with_callback

        with_callback(monkeypatch, SigtermWhileScored)
        assert train_and_report(spec_of(tiny, data, out, **overrides)) == 143
    finally:
        signal.signal(signal.SIGTERM, signal_before)
        monkeypatch.undo()
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        f"terminated: training is done, but the test sets (zho_eld) were not scored (no {SCORES} yet); "
        f"rerun the same command to continue from {out / last}: it trains nothing, it scores"
    ), err[-2000:]
    assert ("SIGTERM: saving" in err) == (overrides.get("save_strategy") == "no"), err[-2000:]
    assert not (out / SCORES).exists() and last_checkpoint(out) == str(out / last)

    rerun_scores_as_straight(tiny, data, out, last, straight, tmp_path / "straight", **overrides)
    assert checkpoints(out) == checkpoints(tmp_path / "straight")


def test_a_secret_is_never_compared_but_a_setting_naming_tokens_is():
    """Secrets (``token``, ``hub_token``) stay out of a run's identity; ``average_tokens_across_devices`` (how
    the loss is averaged over devices) was left out too, as its name holds "token", so changing it was never
    refused."""
    from bimotion.training.identity import differences
    from bimotion.training.identity_fields import compared

    assert not compared("hub_token") and not compared("token")
    assert compared("average_tokens_across_devices")
    before = {"training_args": {"average_tokens_across_devices": True}}
    now = {"training_args": {"average_tokens_across_devices": False}}
    assert differences(before, now) == ["training_args.average_tokens_across_devices: True there, False now"]


def test_a_run_started_over_and_stopped_leaves_no_file_of_the_run_it_replaced(tiny, data, tmp_path, monkeypatch):
    """--overwrite_output_dir discarded the previous run's checkpoints, scores and identity, but its training
    manifest, training audio digests, model card and confusion figure stayed until the new run finished: a new
    run stopped after saving its model (in the scoring) left its model beside the old run's list of training
    clips, which bimotion predict's trained-on note read.  They go with the run now."""
    import bimotion.training.run as training_run
    from bimotion.training.outputs import CONFUSION, MANIFEST, TRAINED_AUDIO, training_manifest

    out = tmp_path / "run"
    quick = {"num_train_epochs": 1, "save_strategy": "no", "eval_strategy": "no", "load_best_model_at_end": False}
    run(tiny, data, out, **quick)
    belonged = [MANIFEST, TRAINED_AUDIO, "README.md", CONFUSION, Path(CONFUSION).with_suffix(".svg").name]
    assert all((out / name).is_file() for name in belonged)

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C once the new model is saved, before it is scored

    monkeypatch.setattr(training_run, "score_splits", stopped)
    with pytest.raises(KeyboardInterrupt):
        run(tiny, data, out, train_configs=("zho_adu",), overwrite_output_dir=True, **quick)
    assert (out / "model.safetensors").is_file()  # the new run's model
    assert [name for name in belonged if (out / name).exists()] == []  # was: all five, of the run it replaced
    assert training_manifest(out) is None  # predict checks nothing rather than against the old run's clips
