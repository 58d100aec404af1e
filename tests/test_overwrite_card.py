"""A README.md in a training run's output folder that bimotion did not write: ``--overwrite_output_dir``
keeps it, and a training run is refused before it loads anything, since its model card would replace it
at the end; bimotion's own card is discarded and rewritten as before."""

from __future__ import annotations

import logging

import pytest
from test_card_wording import card_text, fake_summary

from bimotion.training import testing
from bimotion.training.checkpoints import discard_run
from bimotion.training.outputs import SCORES

USERS = "# My experiment\n\nNotes on the run I am about to train: what I changed and why.\n"


def test_overwrite_keeps_a_readme_bimotion_did_not_write_and_says_so(tmp_path, caplog):
    out = tmp_path / "run"
    out.mkdir()
    (out / "README.md").write_text(USERS, encoding="utf-8")
    (out / SCORES).write_text("{}", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bimotion.training"):
        removed = discard_run(out)
    assert removed == [SCORES]
    assert (out / "README.md").read_text(encoding="utf-8") == USERS
    assert f"kept {out / 'README.md'}: it is not a model card bimotion wrote" in caplog.text


def test_overwrite_discards_bimotions_own_model_card(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    card = card_text(fake_summary(["zho_eld"], {"zho_eld": ["csed"]}, ["csed"]))
    (out / "README.md").write_text(card + "\nA line the user added.\n", encoding="utf-8")  # edited: still ours
    assert discard_run(out) == ["README.md"]
    assert not (out / "README.md").exists()


@pytest.mark.parametrize("overwrite", [True, False])
def test_training_into_a_folder_with_a_users_readme_is_refused_before_it_loads_anything(tmp_path, overwrite, capsys):
    from bimotion.training.run import train_and_report
    from bimotion.training.spec import TrainSpec

    data = tmp_path / "data"
    testing.write_prepared(
        data / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 4, "validation": 2, "test": 2}
    )
    out = tmp_path / "run"
    out.mkdir()
    (out / "README.md").write_text(USERS, encoding="utf-8")
    values = {
        "model_name_or_path": str(tmp_path / "no-model-loaded"),
        "bimotion": str(data / "bimotion"),
        "dataset_cache_dir": str(tmp_path / "cache"),
        "output_dir": str(out),
        "overwrite_output_dir": overwrite,
        "report_to": "none",
    }
    spec = TrainSpec.from_values(["zho_eld"], values, run_name="r")
    assert train_and_report(spec) == 2
    err = capsys.readouterr().err
    assert f"error: {out / 'README.md'} is not a model card bimotion wrote" in err
    assert "move that file out of" in err and "--output_dir" in err
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]  # nothing trained, nothing discarded
    assert (out / "README.md").read_text(encoding="utf-8") == USERS
    assert not (tmp_path / "cache").exists()  # refused before the data was loaded
