"""A dataset without ``prepare.json`` (only the Parquet files and the card uploaded, or another tool's
dataset with the same configs): the groups it holds are read from its card's configs, and what it
lacks is one error naming the dataset, the missing prepare.json and the fix, where it was a
``datasets`` error (``BuilderConfig 'eng_eld' not found``) as a traceback after the run started.
A local folder goes through the same reading as a Hub dataset id (no network here)."""

from __future__ import annotations

import pytest

from bimotion.data import layout
from bimotion.data.held import card_configs, held_shards
from bimotion.grid.config import prepared_groups
from bimotion.training import testing
from bimotion.training.data import Sources, load_split
from bimotion.training.data_checks import check_present
from bimotion.training.mixtures import shards
from bimotion.training.parsing import ArgumentError


@pytest.fixture(scope="module")
def unrecorded(tmp_path_factory):
    """A folder the real writer prepared of CSED (zho_eld) alone, its prepare.json then removed; no test rows."""
    folder = testing.write_prepared(
        tmp_path_factory.mktemp("unrecorded") / "csed-only",
        shards=[("csed", "zho_eld")],
        sizes={"train": 6, "validation": 3, "test": 0},
    )
    (folder / layout.INFO_FILE).unlink()
    return folder


def test_a_group_the_card_lacks_is_one_error_naming_the_missing_prepare_json(unrecorded):
    with pytest.raises(ArgumentError) as err:
        check_present({"--train_configs": ["eng_eld"]}, {"bimotion": str(unrecorded)}, every_group=None)
    message = str(err.value)
    assert f"{unrecorded} has no prepare.json" in message
    assert "it holds zho_eld" in message  # from the card's configs
    assert "prepare it with the corpora of eng_eld" in message


def test_a_config_of_several_groups_is_read_from_the_groups_the_card_has(unrecorded):
    path_of = {"bimotion": str(unrecorded)}.get
    assert {s.group for s in held_shards(path_of, shards(["bimotion:all"]))} == {"zho_eld"}
    train = load_split(Sources(str(unrecorded)), ["bimotion:all"], "train")  # was: eng_eld's config not found
    assert len(train) == 6 and set(train["corpus"]) == {"csed"}


def test_a_split_the_dataset_lacks_names_the_missing_prepare_json(unrecorded):
    with pytest.raises(ValueError, match="has no test rows of zho_eld") as err:
        load_split(Sources(str(unrecorded)), ["zho_eld"], "test")
    assert f"{unrecorded} has no prepare.json" in str(err.value)


def test_a_group_the_dataset_lacks_is_one_sentence_whether_checked_or_loaded(unrecorded):
    """Loading a group a dataset lacks joined the missing prepare.json into a sentence of its own (`has no
    train split of eng_eld (...); DIR has no prepare.json ...; prepare it with the corpora of eng_eld (crema_d,
    tess, elderreact)`), the recipes' check another (`has no eng_eld rows (it holds zho_eld; ...): prepare it
    with the corpora of eng_eld (crema_d, elderreact, tess)`): both are now held.no_rows' one sentence."""
    with pytest.raises(ArgumentError) as checked:
        check_present({"--train_configs": ["eng_eld"]}, {"bimotion": str(unrecorded)}, every_group=None)
    with pytest.raises(ValueError) as loaded:
        load_split(Sources(str(unrecorded)), ["eng_eld"], "train")
    why = f"{unrecorded} has no prepare.json, the record of the groups, corpora and splits a dataset holds"
    fix = "only its card's configs are known): prepare it with the corpora of eng_eld (crema_d, elderreact, tess), "
    fix += "or leave eng_eld out"
    head = f"the prepared bimotion dataset at {unrecorded} has no"
    assert str(checked.value).startswith(f"--train_configs: {head} rows of eng_eld (it holds zho_eld; {why}")
    assert str(checked.value).endswith(fix) and str(loaded.value).endswith(fix)
    loaded_text = str(loaded.value)
    assert loaded_text.startswith(f"{head} train rows of eng_eld (") and f"; {why}" in loaded_text
    assert "not found" in loaded_text  # what datasets said, kept inside the parentheses


def test_advise_and_grid_say_which_record_is_missing_and_how_to_make_it(unrecorded):
    with pytest.raises(ValueError) as err:
        prepared_groups({"bimotion": str(unrecorded)})
    message = str(err.value)
    assert f"--bimotion {unrecorded} has no prepare.json" in message
    assert "--groups" in message and "zho_eld" in message  # the card's configs, to list
    assert "bimotion prepare --source NAME=DIR --output OUT" in message
    assert "bimotion push OUT --repo-id OWNER/NAME" in message


def test_a_card_without_configs_gives_none_and_the_dataset_is_checked_as_it_loads(tmp_path):
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n# not bimotion's\n", encoding="utf-8")
    assert card_configs(tmp_path) is None
    assert card_configs(tmp_path / "absent") is None


@pytest.mark.parametrize(
    "header", ["configs: [zho_eld\n  - b: :", "- config_name: zho_eld", "just a line"], ids=["broken", "list", "text"]
)
def test_a_card_whose_header_is_no_mapping_gives_none(tmp_path, header):
    """A README.md whose YAML header does not parse ended `card_configs` in a traceback (yaml's error is no
    ValueError, as a header of a list or a line of text gives), asked of any folder given to advise, the grid
    or training that is not a prepared one: it declares no configs, as a card without any, and the folder
    is then named as no prepared folder (or checked as it loads)."""
    (tmp_path / "README.md").write_text(f"---\n{header}\n---\n# a corpus\n", encoding="utf-8")
    assert card_configs(tmp_path) is None
    with pytest.raises(ValueError, match="is not a local prepared folder, so its groups cannot be read: prepare it"):
        prepared_groups({"bimotion": str(tmp_path)})


@pytest.mark.parametrize("hub", ["answers_none", "offline"])
def test_a_hub_dataset_without_prepare_json_is_read_by_its_card_too(unrecorded, tmp_path, monkeypatch, hub):
    """The same reading for a Hub id: its card from the Hub's cache (here without network, as
    `hf_hub_download` keeps it), no prepare.json there.  Where the Hub answers it holds none, the error
    says it has none and how to make one; where the Hub could not be asked (HF_HUB_OFFLINE, not
    cached) it said so too, and to prepare and push it again, though the dataset may well hold one:
    it now says prepare.json could not be read, why, and what to do."""
    from huggingface_hub import constants

    from bimotion import hub as bimotion_hub

    if hub == "answers_none":  # the Hub's answer of 404 for prepare.json
        real = bimotion_hub.hub_file
        monkeypatch.setattr(
            bimotion_hub,
            "hub_file",
            lambda repo, name, **kw: None if name == layout.INFO_FILE else real(repo, name, **kw),
        )

    commit, hub_id = "0" * 40, "my-lab/csed-unrecorded"
    repo = tmp_path / f"datasets--{hub_id.replace('/', '--')}"
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "snapshots" / commit / layout.CARD_FILE).write_bytes((unrecorded / layout.CARD_FILE).read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)  # where the id is no local path
    assert layout.held_info(hub_id) is None
    assert card_configs(hub_id) == ["zho_eld", "zho", "eld", "all", "csed"]
    assert {s.group for s in held_shards({"bimotion": hub_id}.get, shards(["bimotion:all"]))} == {"zho_eld"}
    with pytest.raises(ArgumentError) as err:
        check_present({"--train_configs": ["eng_eld"]}, {"bimotion": hub_id}, every_group=None)
    if hub == "answers_none":
        assert f"it holds zho_eld; {hub_id} has no prepare.json" in str(err.value)
    else:
        assert f"it holds zho_eld; could not reach the Hub to read prepare.json of the dataset {hub_id}: " in str(
            err.value
        )
        assert "HF_HUB_OFFLINE" in str(err.value) and "has no prepare.json" not in str(err.value)


@pytest.mark.parametrize("kind", ["empty", "corpus"])
def test_a_folder_with_neither_record_nor_card_is_no_prepared_folder(tmp_path, kind):
    """advise given an empty folder or a corpus's own folder (``--bimotion ~/data/CSED``, no card, no
    Parquet) said it 'has no prepare.json ... so only its card's configs are known' and to list the
    groups to draw from: it has no card, and no groups to list.  Such a folder is no prepared folder,
    as before, and the error says to prepare it."""
    folder = tmp_path / "CSED"
    folder.mkdir()
    if kind == "corpus":
        (folder / "Readme.md").write_text("Chinese Speech Emotion Datasets\n")
        (folder / "Positive").mkdir()
    with pytest.raises(ValueError) as err:
        prepared_groups({"bimotion": str(folder)})
    message = str(err.value)
    assert f"--bimotion {folder} is not a local prepared folder, so its groups cannot be read: prepare it" in message
    assert "card" not in message, message
