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


def _bimotions_card(out, *, edited: bool, recorded: bool = True) -> str:
    """Write into ``out`` the card a run wrote and its scores.json (recording the card's digest, as training does;
    none when not ``recorded``); ``edited``: with a line the user added since.  Returns the card's text."""
    import json

    from bimotion.training.model_card import CARD_DIGEST, card_digest

    summary = fake_summary(["zho_eld"], {"zho_eld": ["csed"]}, ["csed"])
    card = card_text(summary)
    if recorded:
        (out / SCORES).write_text(json.dumps({**summary, CARD_DIGEST: card_digest(card)}), encoding="utf-8")
    text = card + "\nA line the user added.\n" if edited else card
    (out / "README.md").write_text(text, encoding="utf-8")
    return text


def test_overwrite_discards_bimotions_own_model_card(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    _bimotions_card(out, edited=False)
    assert discard_run(out) == [SCORES, "README.md"]
    assert not (out / "README.md").exists()


@pytest.mark.parametrize("recorded", [True, False])
def test_overwrite_keeps_bimotions_card_once_edited_or_when_its_record_is_gone(tmp_path, recorded, caplog):
    out = tmp_path / "run"
    out.mkdir()
    text = _bimotions_card(
        out, edited=recorded, recorded=recorded
    )  # with no scores.json, even the card as written may be edited
    with caplog.at_level(logging.WARNING, logger="bimotion.training"):
        removed = discard_run(out)
    assert "README.md" not in removed
    assert (out / "README.md").read_text(encoding="utf-8") == text
    said = (
        "that was edited since" if recorded else "missing, unreadable or incomplete, so it may have been edited since"
    )
    assert f"kept {out / 'README.md'}: it is a model card bimotion wrote" in caplog.text and said in caplog.text


def test_a_card_whose_scores_json_lacks_fields_is_kept_saying_so_not_a_traceback(tmp_path, caplog):
    """A readable scores.json lacking fields (no card digest, so the card is rendered again from it): rendering
    raised AttributeError, a traceback at train()'s start; the card is now kept, its record said incomplete."""
    import json

    from bimotion.training.checkpoints import ForeignCard, check_card_replaceable

    out = tmp_path / "run"
    out.mkdir()
    text = _bimotions_card(out, edited=False)
    partial = {"run_name": "r", "train_corpora": ["csed"], "test": {"groups": []}}
    (out / SCORES).write_text(json.dumps(partial), encoding="utf-8")
    with pytest.raises(ForeignCard, match="missing, unreadable or incomplete, so it may have been edited since"):
        check_card_replaceable(out)
    with caplog.at_level(logging.WARNING, logger="bimotion.training"):
        removed = discard_run(out)
    assert removed == [SCORES] and (out / "README.md").read_text(encoding="utf-8") == text
    assert "missing, unreadable or incomplete" in caplog.text


@pytest.mark.parametrize("edited", [False, True])
def test_a_card_of_a_run_before_the_digest_is_discarded_as_written_and_kept_otherwise_saying_why(
    tmp_path, edited, caplog
):
    """A run of a bimotion before scores.json recorded its card's digest: its card is judged by what this version
    writes for that run, so one that differs is kept, said to be edited or written by an earlier bimotion (was:
    "edited since its run wrote it", untrue of a card an earlier version rendered otherwise)."""
    import json

    from bimotion.training.model_card import CARD_DIGEST

    out = tmp_path / "run"
    out.mkdir()
    text = _bimotions_card(out, edited=edited)
    summary = json.loads((out / SCORES).read_text(encoding="utf-8"))
    del summary[CARD_DIGEST]
    (out / SCORES).write_text(json.dumps(summary), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bimotion.training"):
        removed = discard_run(out)
    if not edited:
        assert removed == [SCORES, "README.md"]
        return
    assert "README.md" not in removed and (out / "README.md").read_text(encoding="utf-8") == text
    assert "not the one this version writes for its run: edited since, or written by an earlier bimotion" in (
        caplog.text
    )


@pytest.mark.parametrize("edited_card", [False, True])
@pytest.mark.parametrize("overwrite", [True, False])
def test_training_into_a_folder_with_a_users_readme_is_refused_before_it_loads_anything(
    tmp_path, overwrite, edited_card, capsys
):
    from bimotion.training.run import train_and_report
    from bimotion.training.spec import TrainSpec

    data = tmp_path / "data"
    testing.write_prepared(
        data / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 4, "validation": 2, "test": 2}
    )
    out = tmp_path / "run"
    out.mkdir()
    if edited_card:  # bimotion's card, edited since its run: the user's now
        text = _bimotions_card(out, edited=True)
    else:
        text = USERS
        (out / "README.md").write_text(USERS, encoding="utf-8")
    before = sorted(p.name for p in out.iterdir())
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
    why = (
        "is a model card bimotion wrote that was edited since" if edited_card else "is not a model card bimotion wrote"
    )
    assert f"error: {out / 'README.md'} {why}" in err
    assert "move that file out of" in err and "--output_dir" in err
    assert sorted(p.name for p in out.iterdir()) == before  # nothing trained, nothing discarded
    assert (out / "README.md").read_text(encoding="utf-8") == text
    assert not (tmp_path / "cache").exists()  # refused before the data was loaded


def test_the_grid_and_the_demo_say_a_users_readme_in_a_model_folder_in_one_line(tmp_path, monkeypatch, capsys):
    """A grid's model folder holding a README.md bimotion did not write: train() refuses it (ForeignCard); the grid
    and the demo printed its traceback, not recipes/train.py's one line."""
    from conftest import load_recipe

    import bimotion.commands.demo as demo
    import bimotion.grid.runner as runner
    from bimotion.cli import main
    from bimotion.training.checkpoints import ForeignCard, check_card_replaceable

    model = tmp_path / "grid" / "models" / "zho_eld" / "seed0"
    model.mkdir(parents=True)
    (model / "README.md").write_text(USERS, encoding="utf-8")

    def train_refused(*args, **kwargs):
        check_card_replaceable(model)  # what train() does first with the model's folder

    with pytest.raises(ForeignCard):
        train_refused()
    grid = load_recipe("grid")
    monkeypatch.setattr(grid, "grid_config", lambda args: None)
    monkeypatch.setattr(runner, "run_grid", train_refused)
    assert grid.main(["--config", "demo", "--output_dir", str(tmp_path / "grid")]) == 2
    monkeypatch.setattr(demo, "_datasets", train_refused)  # the demo's work, as its main process runs it
    assert main(["demo", "--output", str(tmp_path / "demo")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    said = (
        f"error: {model / 'README.md'} is not a model card bimotion wrote (its metadata has no `bimotion` tag), and "
        f"the run writes its model card there when it ends: move that file out of {model}, or use another "
    )
    assert lines == [said + "--output_dir", said + "--output"], lines  # each command's own flag (the demo said
    # --output_dir, an option it does not have)


def test_the_refusal_survives_pickling_as_a_process_pool_sends_it():
    """ForeignCard takes the file and the reason: pickled by its message alone (BaseException's way), it could
    not be rebuilt in the process that receives it (TypeError: missing 'reason')."""
    import pickle
    from pathlib import Path

    from bimotion.training.checkpoints import ForeignCard

    err = pickle.loads(pickle.dumps(ForeignCard(Path("out/README.md"), "is not a model card bimotion wrote")))
    assert err.said("--output").endswith("move that file out of out, or use another --output")
    assert str(err).endswith("or use another --output_dir")
