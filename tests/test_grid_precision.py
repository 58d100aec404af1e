"""A grid's saved test predictions record the dtype they were scored in
(:func:`bimotion.training.inference.scoring_precision`): a file scored in another is predicted again."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import QUICK_TRAINING

from bimotion.grid import prepare_fixtures, run_grid
from bimotion.grid.saved import SCORED_IN, load_npz
from loaders.files import save_npz

TRAINING = QUICK_TRAINING
CONFIG = {"tiny_model": {}, "seeds": [0], "training": TRAINING, "bootstrap_samples": 50, "num_threads": 1,
          "tables": [], "mixtures": ["zho_eld"], "extra_tests": ["zho_eld", "eng_eld"]}  # fmt: skip


@pytest.fixture(scope="session")
def data_dirs(tmp_path_factory):
    return prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")


def test_a_prediction_file_scored_in_another_dtype_is_predicted_again_and_one_without_a_record_is_read(
    data_dirs, tmp_path
):
    out = tmp_path / "grid"
    first = run_grid(CONFIG, data_dirs, out, log=None)
    files = sorted((out / "predictions").rglob("*.npz"))
    assert len(files) == 4  # two corpora per test set
    assert {str(np.load(f)[SCORED_IN]) for f in files} == {"float32"}  # on a CPU

    other, older = files[:2]
    save_npz(other, {**load_npz(other), SCORED_IN: np.array("bfloat16")})  # as scored on a GPU before
    old = {k: v for k, v in load_npz(older).items() if k != SCORED_IN}
    save_npz(older, old)  # a grid's file before the record
    older_mtime = older.stat().st_mtime_ns

    said = []
    again = run_grid(CONFIG, data_dirs, out, log=said.append)
    lines = [s for s in said if "predicting it again" in s]
    assert lines == [f"[grid] {other} was predicted in bfloat16; scoring is now in float32: predicting it again"]
    assert str(np.load(other)[SCORED_IN]) == "float32"
    assert older.stat().st_mtime_ns == older_mtime and SCORED_IN not in np.load(older).files  # read back as it was
    assert again.matrix == first.matrix  # float32 both times: the same numbers
