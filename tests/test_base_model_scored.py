"""A base model (a wav2vec2 checkpoint without our 13-label head: the one --model_name_or_path
fine-tunes, or another task's classifier) given to the scoring recipes is a usage error naming it
before any data is read."""

from __future__ import annotations

import pytest
from conftest import load_recipe

from bimotion.prepare import prepare
from bimotion.training.testing import save_tiny_model
from loaders.testing import make_corpus


@pytest.mark.parametrize(
    "name, flags",
    [
        ("infer", ["--configs", "eng_adu", "--use_cpu", "true"]),
        ("project", ["--test", "eng_eld", "--panels", "eng_adu"]),
    ],
)
def test_a_base_model_given_to_score_is_a_usage_error_naming_it(tmp_path, capsys, name, flags):
    """infer.py and project.py loaded the data, then stopped with a traceback ending 'ValueError: ...
    predicts ['LABEL_0', 'LABEL_1'], not the 13 BiMotion labels'; now exit 2 with that line, nothing written."""
    base = save_tiny_model(tmp_path / "base")
    data = tmp_path / "data"
    prepare({"crema_d": make_corpus("crema_d", tmp_path / "raw")}, data, benchmark="bimotion", progress=False)
    out = tmp_path / "out"
    argv = ["--model", str(base), "--bimotion", str(data), *flags, "--output_dir", str(out)]
    with pytest.raises(SystemExit) as exit_:
        load_recipe(name).main(argv)
    assert exit_.value.code == 2
    said = capsys.readouterr().err
    assert f"error: --model {base} predicts ['LABEL_0', 'LABEL_1'], not the 13 BiMotion labels" in said, said
    assert "score a model fine-tuned with recipes/train.py" in said and "Traceback" not in said
    assert not out.exists()
