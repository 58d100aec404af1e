"""A scored split (validation, test) of a corpus and group that lacks a gender its training split has, or
holds a single speaker where training holds more, is a caveat of the cards and a note of prepare: its
scores speak for one gender or one speaker only."""

from __future__ import annotations

from bimotion import dataset_card
from bimotion.card_caveats import data_caveats, scored_gaps
from bimotion.cli import main
from bimotion.data.layout import read_info
from loaders import testing


def _shard(split: str, speakers: int, **genders: int) -> dict:
    return {"corpus": "home", "group": "nan_eld", "split": split, "rows": sum(genders.values()),
            "speakers": speakers, "genders": genders}  # fmt: skip


def test_a_test_split_of_one_man_where_training_has_women_and_men_is_said():
    """carehome's test split held one man (train: 4 women, 2 men) and nothing said its scores speak for
    men only (the gender caveat fired only where train and test share no gender)."""
    info = {"shards": [_shard("train", 6, f=72, m=36), _shard("validation", 2, f=9, m=9), _shard("test", 1, m=18)]}
    assert scored_gaps(info) == [
        "home nan_eld: its test split holds 1 speaker (only men) where its train split holds 6 speakers (women and "
        "men): test scores on home nan_eld speak for one gender (men) and one speaker only"
    ]
    info["shards"][1] = _shard("validation", 3, f=18)  # several women, no man
    assert scored_gaps(info)[0] == (
        "home nan_eld: its validation split holds 3 speakers (only women) where its train split holds 6 speakers "
        "(women and men): validation scores on home nan_eld speak for one gender (women) only"
    )
    info["shards"][2] = _shard("test", 1, f=10, m=8)  # one speaker whose rows give both genders
    assert scored_gaps(info)[1].endswith("test scores on home nan_eld speak for one speaker only")


def test_a_train_split_of_one_speaker_is_said_as_one_speaker():
    """Drawn by whole speakers, a group's train split can hold one speaker (carehome's 3 speakers drawn 1/1/1):
    the caveat said "its train split holds 1 speakers (men)"."""
    info = {"shards": [_shard("train", 1, m=4), _shard("validation", 1, f=2, m=2), _shard("test", 1, m=4)]}
    info["shards"].append({**_shard("train", 1, f=4), "group": "nan_adu"})
    info["shards"].append({**_shard("validation", 1, f=4), "group": "nan_adu"})
    assert scored_gaps(info) == []
    info["shards"][3] = {**_shard("train", 1, f=4, m=4), "group": "nan_adu"}
    assert scored_gaps(info) == [
        "home nan_adu: its validation split holds 1 speaker (only women) where its train split holds 1 speaker "
        "(women and men): validation scores on home nan_adu speak for one gender (women) only"
    ]


def test_a_validation_split_sharing_no_gender_with_training_is_said_as_a_test_split_is():
    """Train only men and validation only women was "speak for one gender (women) only" where the same of the
    test split was "No gender in common": both splits are now said the one way, in the card and prepare's notes."""
    from bimotion.card_caveats import gender_gaps, recorded_caveats

    for split in ("validation", "test"):
        info = {"shards": [_shard("train", 1, m=4), _shard(split, 1, f=4)]}
        said = (
            f"home nan_eld: its train split holds only men and its {split} split only women (too few speakers to "
            f"balance gender): {split} scores there mix gender with emotion"
        )
        assert gender_gaps(info) == [said] and scored_gaps(info) == []
        assert recorded_caveats({**info, "identical_audio": {}}) == [("home", f"**No gender in common:** {said}.")]
    info = {"shards": [_shard("train", 2, m=8), _shard("validation", 1, f=4)]}  # one speaker too: said as of a test
    assert scored_gaps(info) == [
        "home nan_eld: its validation split holds 1 speaker (women) where its train split holds 2 speakers (men): "
        "validation scores on home nan_eld speak for one speaker only"
    ]


def test_what_other_caveats_say_or_nothing_to_say_is_not_said_again():
    """No gender in common between train and test is gender_gaps's caveat, not said twice; one speaker in
    every split (TESS's groups) and speakers not identified (CSED: 0) say nothing of speakers."""
    apart = {"shards": [_shard("train", 2, f=10), _shard("validation", 2, f=5), _shard("test", 2, m=5)]}
    assert scored_gaps(apart) == []
    lone = {"shards": [_shard("train", 1, f=10), _shard("validation", 1, f=5), _shard("test", 1, f=5)]}
    assert scored_gaps(lone) == []
    unknown = {"shards": [_shard("train", 0, f=10, m=10), _shard("validation", 0, f=5, m=5), _shard("test", 0, f=5)]}
    assert scored_gaps(unknown) == [
        "home nan_eld: its test split holds only women where its train split holds women and men: test scores on "
        "home nan_eld speak for one gender (women) only"
    ]


def test_prepare_prints_it_and_both_cards_state_it(tmp_path, capsys):
    """4 speakers (2 women, 2 men) of a corpus of one's own are drawn 2/1/1: validation one man, test one
    woman; prepare's notes, the dataset card's caveats and the model card's (data_caveats) say so."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="carehome", speakers=4, clips_per_speaker=2)
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"carehome={root}", "--protocol", "speaker", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    said = [
        "carehome ind_eld: its validation split holds 1 speaker (only men) where its train split holds 2 speakers "
        "(women and men): validation scores on carehome ind_eld speak for one gender (men) and one speaker only",
        "carehome ind_eld: its test split holds 1 speaker (only women) where its train split holds 2 speakers "
        "(women and men): test scores on carehome ind_eld speak for one gender (women) and one speaker only",
    ]
    for line in said:
        assert f"note: {line}\n" in printed, printed
    info = read_info(out)
    card = dataset_card.render(info).splitlines()
    carried = data_caveats({"bimotion": info}, ["carehome"])["carehome"]
    for line in said:
        assert f"- **Scored on one gender or speaker:** {line}." in card
        assert f"**Scored on one gender or speaker:** {line}." in carried
