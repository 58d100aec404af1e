"""Which groups a prepared dataset holds, and what its card's configs are, is one answer
(:func:`bimotion.data.held.held_pairs`, :func:`bimotion.data.held.card_configs`) read by the training
checks, the loaders, the default test sets and the grid's groups; and the sentence about a dataset
without prepare.json is formed in one place (:func:`bimotion.data.held.unrecorded`)."""

from __future__ import annotations

import pytest

from bimotion.data import layout
from bimotion.data.held import RECORD_FIX
from bimotion.grid.config import prepared_groups
from bimotion.training import testing
from bimotion.training.args import ArgumentError, check_datasets


@pytest.fixture(scope="module")
def card_only(tmp_path_factory):
    """Parquet files and the card of CSED (zho_eld) and ESD (zho_adu), written by the real writer, its
    prepare.json then removed: a dataset someone uploaded without its record."""
    folder = testing.write_prepared(
        tmp_path_factory.mktemp("seam") / "card-only",
        shards=[("csed", "zho_eld"), ("esd", "zho_adu")],
        sizes={"train": 4, "validation": 2, "test": 2},
    )
    (folder / layout.INFO_FILE).unlink()
    return folder


def test_probes_say_the_folder_has_no_record_and_how_to_make_one(card_only):
    with pytest.raises(ArgumentError) as err:
        check_datasets({"bimotion": str(card_only)}, local_only=True)
    assert str(err.value) == (
        f"--bimotion {card_only} has no prepare.json, the record of the groups, corpora and splits a dataset "
        "holds that `bimotion prepare` writes and `bimotion push` uploads beside the Parquet files, so only its "
        "card's configs are known, and probes read only local prepared folders (their features are cached per "
        f"folder, by its prepare.json): {RECORD_FIX}"
    )


def test_the_grid_says_a_hub_datasets_record_could_not_be_fetched_not_that_it_has_none(
    card_only, tmp_path, monkeypatch
):
    """advise given a Hub dataset whose card is cached but whose prepare.json could not be fetched (offline)
    said it 'has no prepare.json' and to prepare and push it again, though it may well have one (the
    training checks already said why it could not be read); the grid now says so too."""
    from huggingface_hub import constants

    commit, hub_id = "0" * 40, "my-lab/card-only"
    repo = tmp_path / f"datasets--{hub_id.replace('/', '--')}"
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "snapshots" / commit / layout.CARD_FILE).write_bytes((card_only / layout.CARD_FILE).read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)  # where the id is no local path
    with pytest.raises(ValueError) as err:
        prepared_groups({"bimotion": hub_id})
    message = str(err.value)
    assert f"could not reach the Hub to read prepare.json of the dataset {hub_id}: " in message
    assert "has no prepare.json" not in message and "bimotion prepare" not in message, message
    assert "list the groups to draw from (--groups, or groups: in the config; its card has configs zho_eld" in message
