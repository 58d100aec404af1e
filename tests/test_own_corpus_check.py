"""A prepared corpus of one's own, as its folder tells it.  Its dataset card's source note said both
ways a corpus of one's own is split ("Its split is its `split` column when every row has one, else
speaker-independent by `speaker_id`") whichever prepare used; it now says the one way prepare.json
records, as the card's split rules do (``bimotion sources --own-corpus``, saying the format before any
corpus is prepared, still says both)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bimotion.card_caveats import data_caveats
from bimotion.data.layout import CARD_FILE, read_info
from bimotion.prepare import prepare
from loaders import testing
from loaders.audiofolder import SPLIT_NOTE

COLUMN = "Its split: its `split` column, which every row has, as given; it keeps each speaker in one split."
SPEAKERS = (
    "Its split: whole speakers per split (within each language x age group), in YueMotion's proportions, "
    "balanced by gender (its metadata has no `split` column)."
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> dict[str, Path]:
    """``home`` prepared with a `split` column that keeps its 4 speakers apart (``column``), and without one."""
    base = tmp_path_factory.mktemp("own")
    out = {}
    for kind, column in (("column", True), ("speakers", False)):
        root = testing.make_corpus("audiofolder", base / f"raw_{kind}", corpus="home", split_column=column,
                                   speakers=4, clips_per_speaker=3)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the small group's split note (tests/test_own_corpus.py)
            out[kind] = prepare({"home": root}, base / kind, protocol="speaker", num_proc=1, progress=False).out_dir
    return out


def _source_note(folder: Path) -> str:
    card = (folder / CARD_FILE).read_text(encoding="utf-8").splitlines()
    return next(line for line in card if line.startswith("- **home** is a user's own corpus"))


@pytest.mark.parametrize(("kind", "said"), [("column", COLUMN), ("speakers", SPEAKERS)])
def test_the_dataset_card_and_model_card_caveat_say_the_one_way_a_corpus_of_ones_own_was_split(prepared, kind, said):
    note = _source_note(prepared[kind])  # the README.md a user opens
    assert said in note and SPLIT_NOTE not in note
    assert "Its labels were mapped as: marah -> anger" in note  # the rest of its notes as recorded
    info = read_info(prepared[kind])
    assert SPLIT_NOTE in info["user_sources"]["home"]["notes"]  # recorded as read: the card words it
    carried = data_caveats({"bimotion": info}, ["home"])["home"]  # scores.json's, for the model card
    assert said in carried[0] and SPLIT_NOTE not in carried[0]


def test_a_folder_that_does_not_record_how_its_corpus_was_split_still_says_both_ways(prepared, tmp_path):
    info = read_info(prepared["column"])
    for key in ("user_split_columns", "user_split_shared_speakers"):
        del info[key]  # prepare.json of a version before they were recorded
    carried = data_caveats({"bimotion": info}, ["home"])["home"][0]
    assert "Its split: its `split` column when every row has one, else whole speakers per split" in carried
