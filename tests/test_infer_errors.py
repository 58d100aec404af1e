"""What ``recipes/infer.py`` says when it cannot score: a user's error (a model, prepared folder or group it cannot
use) is one ``error:`` line, said before any data is read where it can be told then; any other exception is a bug,
and keeps its traceback (infer.py caught every ValueError and OSError and printed a bug as a user's error)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import load_recipe as recipe
from test_infer_output import made  # noqa: F401 (the module's fixture: a prepared folder and a tiny classifier)

from bimotion.training import evaluation, testing


def _argv(model, data, *more) -> list[str]:
    return ["--model", str(model), "--bimotion", str(data), "--disable_tqdm", "true", *map(str, more)]


@pytest.mark.parametrize(
    "bug", [ValueError("operands could not be broadcast"), OSError("[Errno 9] Bad file descriptor")]
)
def test_a_bug_raising_a_valueerror_or_an_oserror_keeps_its_traceback(made, tmp_path, monkeypatch, capsys, bug):  # noqa: F811
    """A ValueError or an OSError from a programming error, here as the predictions are scored: infer.py printed
    `error: operands could not be broadcast` and exited 2, as for a user's error, its traceback lost."""

    def scoring(*args, **kwargs):
        raise bug

    monkeypatch.setattr(evaluation, "score_groups", scoring)
    with pytest.raises(type(bug)) as raised:
        recipe("infer").main(_argv(made["model"], made["data"], "--output_file", tmp_path / "s.json"))
    assert raised.value is bug
    assert "error:" not in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


def test_groups_with_no_rows_to_score_are_still_one_line(made, tmp_path, capsys):  # noqa: F811
    """A user's error met as the data loads (no group of the prepared folder has rows of --split) is still one
    `error:` line, exit 2, no traceback."""
    data = testing.write_prepared(tmp_path / "data", shards=[("csed", "zho_eld")], sizes={"validation": 0})
    assert recipe("infer").main(_argv(made["model"], data, "--split", "validation")) == 2
    said = capsys.readouterr().err
    assert "error: no group of the given prepared datasets has validation rows: nothing to score\n" in said, said
    assert "Traceback" not in said


def test_a_scores_file_a_full_disk_stops_is_one_line_naming_it(made, tmp_path, monkeypatch, capsys):  # noqa: F811
    """The scores' write that finds the disk full, once every clip is predicted: one `error:` line naming the file
    and the fix, in scan's and prepare's words, exit 2; nothing left behind."""
    from conftest import full_disk

    monkeypatch.setattr(evaluation, "write_text_atomic", full_disk)
    scores = tmp_path / "s.json"
    assert recipe("infer").main(_argv(made["model"], made["data"], "--output_file", scores)) == 2
    said = capsys.readouterr().err
    assert (
        f"error: --output_file {scores}: cannot write the scores (No space left on device); free some space or "
        f"choose another --output_file (temporary files removed, {scores} untouched)\n"
    ) in said, said
    assert "Traceback" not in said and not scores.exists()


MISSING = {  # a file of the model folder left out of its copy, and what infer.py says of it
    "model.safetensors": "the model folder holds no weights (none of model.safetensors, model.safetensors.index.json, "
    "pytorch_model.bin, pytorch_model.bin.index.json beside its config.json): copy or download the whole model folder "
    "again",
    "preprocessor_config.json": "preprocessor_config.json is missing (a fine-tuned model folder holds it beside "
    "config.json and the weights: copy the whole folder)",
}


@pytest.mark.parametrize("left_out", MISSING, ids=MISSING)
def test_a_model_folder_copied_in_part_is_refused_before_any_data_is_read(made, tmp_path, capsys, left_out):  # noqa: F811
    """A model folder whose config.json is there but not its weights, or not its feature extractor's settings (a
    copy cut short): the test set was loaded (into --dataset_cache_dir) before the model's load failed with
    transformers' OSError ("Error no file named model.safetensors...", "Can't load feature extractor for..."), an
    `error:` line.  It is now a usage error naming the folder and the fix, before any data is read."""
    model = Path(shutil.copytree(made["model"], tmp_path / "model"))
    (model / left_out).unlink()
    cache = tmp_path / "cache"
    with pytest.raises(SystemExit) as exit_:
        recipe("infer").main(_argv(model, made["data"], "--dataset_cache_dir", cache))
    said = capsys.readouterr().err
    assert exit_.value.code == 2, said
    assert f": error: --model {model}: {MISSING[left_out]}\n" in said, said
    assert not cache.exists()  # before: the test set's Arrow files, written as it loaded


def test_a_model_config_naming_labels_outside_the_13_is_one_line(made, tmp_path, capsys):  # noqa: F811
    """A model folder whose config.json's trained_labels names a label outside the 13 (edited by hand, or another
    tool's): infer.py's narrowed catch let metrics.trained_mask's plain ValueError through, a traceback on every
    process; it is one `error:` line again, exit 2, no scores written."""
    import json

    model = Path(shutil.copytree(made["model"], tmp_path / "model"))
    config = json.loads((model / "config.json").read_text())
    config["trained_labels"] = ["happyish"]
    (model / "config.json").write_text(json.dumps(config))
    scores = tmp_path / "s.json"
    assert recipe("infer").main(_argv(model, made["data"], "--output_file", scores)) == 2
    said = capsys.readouterr().err
    assert "error: the model's config.json names trained_labels ['happyish'], not BiMotion labels " in said, said
    assert "Traceback" not in said and not scores.exists()
