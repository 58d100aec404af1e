"""A corpus of one's own whose `split` column puts a speaker in more than one split: `prepare` warned
so, yet prepare.json recorded only that the column was used, the dataset card's split line read "its
`split` column, which every row has, as given" under "`speaker`: speaker-independent ...", and the
model card's protocol line, with no record in scores.json, named both ways ("its `split` column when
every row has one, else whole speakers ...").  prepare.json records how many speakers the column put
in more than one split (``user_split_shared_speakers``), scores.json carries it (``user_splits``), and
both cards say the one way used and "not speaker-independent: N speakers appear in more than one split"."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import pytest
import torch
from conftest import train_one_step

from bimotion.data.layout import read_info
from bimotion.prepare import prepare
from bimotion.splits import split_record
from loaders import testing

torch.set_num_threads(2)

SHARED_LINE = "its `split` column, which every row has, as given; not speaker-independent: 1 speaker appears in more than one split"


def _rewrite(root: Path, change) -> None:
    """``change(rows)`` in place on ``root``'s metadata.csv (a list of dicts), columns as it leaves them."""
    path = root / "metadata.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _one_train_clip_to_test(rows: list[dict]) -> None:
    next(r for r in rows if r["split"] == "train")["split"] = "test"


def _prepare(roots: dict[str, Path], out: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ProtocolWarning of a shared speaker: tests/test_own_corpus.py
        return prepare(roots, out, protocol="speaker", num_proc=1, progress=False).out_dir


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """A corpus of one's own (4 speakers, ind_eld) whose split column puts one train clip of a speaker in test."""
    base = tmp_path_factory.mktemp("shared")
    root = testing.make_corpus("audiofolder", base / "raw", corpus="home", split_column=True, speakers=4,
                               clips_per_speaker=3)  # fmt: skip
    _rewrite(root, _one_train_clip_to_test)
    return _prepare({"home": root}, base / "out")


def test_prepare_records_how_many_speakers_a_corpus_of_ones_own_split_column_shares_and_the_card_says_it(
    shared, tmp_path
):
    from bimotion import dataset_card

    info = read_info(shared)
    assert info["user_split_columns"] == ["home"]
    assert info["user_split_shared_speakers"] == {"home": 1}
    card = dataset_card.render(info).splitlines()
    assert f"- `home`: {SHARED_LINE}" in card
    top = "**Not speaker-independent:** home's own `split` column, as given: 1 speaker appears in more than one split."
    assert top in card  # above the card's opening lines, and after the protocol's heading
    assert next(line for line in card if line.startswith("`speaker`: ")).endswith(top)
    assert "Not speaker-independent under this protocol: home: 1 speaker appears in more than one split." in card

    kept = testing.make_corpus("audiofolder", tmp_path / "kept", corpus="kept", split_column=True, speakers=3,
                               clips_per_speaker=2)  # fmt: skip
    info = read_info(_prepare({"kept": kept}, tmp_path / "kept_out"))
    assert info["user_split_shared_speakers"] == {"kept": 0}
    card = dataset_card.render(info)
    assert "- `kept`: its `split` column, which every row has, as given; it keeps each speaker in one split" in card
    assert "Not speaker-independent" not in card


def test_a_split_column_of_rows_without_speaker_ids_is_not_called_speaker_independent(tmp_path):
    from bimotion import dataset_card

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="anon", split_column=True, speakers=3,
                               clips_per_speaker=2)  # fmt: skip
    _rewrite(root, lambda rows: [r.pop("speaker_id") for r in rows])
    info = read_info(_prepare({"anon": root}, tmp_path / "out"))
    assert info["user_split_shared_speakers"] == {"anon": None}
    card = dataset_card.render(info)
    unknown = "its rows give no speaker_id, so whether its `split` column keeps speakers apart is not known"
    assert f"- `anon`: its `split` column, which every row has, as given; not speaker-independent: {unknown}" in card
    assert f"**Not speaker-independent:** anon's own `split` column, as given: {unknown}." in card


def test_the_model_card_of_a_run_on_it_says_the_one_split_used_and_that_it_shares_a_speaker(shared, tmp_path):
    tiny = _tiny_model(tmp_path)
    trained = tmp_path / "model"
    assert train_one_step(tiny, shared, trained, "ind_eld", cache=str(tmp_path / "cache")) == 0
    scores = json.loads((trained / "scores.json").read_text())
    assert scores["user_splits"] == {
        "bimotion": {"user_split_columns": ["home"], "user_split_shared_speakers": {"home": 1}}
    }
    card = (trained / "README.md").read_text(encoding="utf-8")
    protocol = next(line for line in card.splitlines() if line.startswith("  - bimotion: `speaker`"))
    assert protocol.endswith(f"(home: {SHARED_LINE})")  # not both ways: "when every row has one, else ..."
    assert "- Split by the `speaker` protocol, but not speaker-independent for home:" in card


def _tiny_model(tmp_path: Path) -> Path:
    from bimotion.training import testing as training_testing

    return training_testing.save_tiny_model(tmp_path / "tiny")


def test_a_folder_prepared_before_the_shared_speakers_were_recorded_is_not_called_speaker_independent(shared):
    """A prepare.json with ``user_split_columns`` but no ``user_split_shared_speakers`` (an earlier
    version's) read as a column that keeps speakers apart: the cards claimed what was never checked.
    It is not known, said as the card says it of rows without speaker ids, and how to record it."""
    from bimotion import dataset_card, splits
    from bimotion.training import card_claims

    info = read_info(shared)
    del info["user_split_shared_speakers"]
    why = (
        "it was prepared by an earlier version, so whether its `split` column keeps speakers apart was not "
        "recorded (`bimotion prepare` again records it)"
    )
    line = f"its `split` column, which every row has, as given; not speaker-independent: {why}"
    assert splits.not_speaker_independent("speaker", ["home"], info) == ["home"]
    card = dataset_card.render(info).splitlines()
    assert f"- `home`: {line}" in card
    assert f"**Not speaker-independent:** home's own `split` column, as given: {why}." in card
    record = splits.split_record(info)  # what scores.json carries of it
    summary = {"protocols": {"bimotion": "speaker"}, "user_splits": {"bimotion": record}, "train_corpora": ["home"]}
    used = {"bimotion": ["home"]}
    assert card_claims.protocol_texts(summary, used)["bimotion"].endswith(f"(home: {line})")
    assert card_claims.speaker_dependent(summary, used) == ["home"]


def test_the_model_card_line_of_a_corpus_split_by_whole_speakers_is_brief(tmp_path):
    """The model card's one-line protocol summary carried a corpus of one's own split by whole speakers
    in the dataset card's long form (its proportions, the small-group rule); it is brief, as the
    other rules' are, and the dataset card keeps the long form."""
    from bimotion import dataset_card
    from bimotion.training import card_claims

    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="mine", speakers=4, clips_per_speaker=3)
    info = read_info(_prepare({"mine": root}, tmp_path / "out"))
    assert info["user_split_columns"] == []
    summary = {"protocols": {"bimotion": "speaker"}, "user_splits": {"bimotion": split_record(info)}}
    text = card_claims.protocol_texts(summary, {"bimotion": ["mine"]})["bimotion"]
    brief = (
        "whole speakers per split (within each language x age group), speakers drawn toward 50/15/35% "
        "train/validation/test (YueMotion's proportions) within each gender"
    )
    assert text.endswith(f"(mine: {brief} (its metadata has no `split` column))")
    assert "0.5/0.15/0.35" not in text and "too small" not in text
    unrecorded = card_claims.protocol_texts({"protocols": {"bimotion": "speaker"}}, {"bimotion": ["mine"]})
    assert unrecorded["bimotion"].endswith(f"(mine: its `split` column when every row has one, else {brief})")
    card = dataset_card.render(info)
    assert f"- `mine`: {brief}; in a group too small for them" in card
