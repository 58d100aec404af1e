"""The cards of a corpus of one's own split by whole speakers state the split as drawn (clips, their shares
and speakers per split, clips per gender, per group), the rule only as the rule ("speakers drawn toward
50/15/35%"), and the note prepare prints where the draw lands far from the rule (recorded in prepare.json)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from bimotion import dataset_card, splits
from bimotion.card_caveats import data_caveats
from bimotion.cli import main
from bimotion.data.layout import INFO_FILE, read_info
from bimotion.prepare import prepare
from bimotion.training import card_claims
from loaders import testing

DRAWN = (
    "- **carehome's split as drawn** (train/validation/test): ind_eld: 4/4/4 clips (33/33/33%), 1/1/1 speakers; "
    "clips of women 0/4/4, men 4/0/0."
)
NOTE = (
    "carehome's group ind_eld, split by whole speakers: 4/4/4 clips (33/33/33% train/validation/test; speakers "
    "1/1/1), not 50/15/35%: its speakers are few or have unequal numbers of clips; a `split` column in its metadata "
    "(train, validation or test in every row) gives the split you choose"
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """``carehome``: 3 speakers (2 women, 1 man) of 4 clips, drawn 1/1/1 speakers by the speaker protocol."""
    base = tmp_path_factory.mktemp("drawn")
    root = testing.make_corpus("audiofolder", base / "raw", corpus="carehome", speakers=3, clips_per_speaker=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the note of the draw, said on the command line
        return prepare({"carehome": root}, base / "out", protocol="speaker", num_proc=1, progress=False).out_dir


def test_the_dataset_card_states_the_split_as_drawn_and_the_note_prepare_printed(prepared):
    """108/18/18 clips (75/12/12%), speakers 6/1/1, were carried by "0.5/0.15/0.35 (YueMotion's proportions),
    balanced by gender", and prepare's note that the draw was far from it was on neither card nor in
    prepare.json; now prepare.json records the note, and the card says the rule as a rule, the split as drawn
    and the note, the same bytes for the same prepare.json (one recorded before the note: computed alike)."""
    info = read_info(prepared)
    assert info["split_notes"] == {"carehome/ind_eld": NOTE}
    assert json.loads((prepared / INFO_FILE).read_text(encoding="utf-8"))["split_notes"] == info["split_notes"]
    card = dataset_card.render(info)
    lines = card.splitlines()
    assert DRAWN in lines
    assert f"- **Split far from its rule:** {NOTE}." in lines
    assert "speakers drawn toward 50/15/35% train/validation/test (YueMotion's proportions)" in card
    assert "0.5/0.15/0.35 (YueMotion's proportions)" not in card and "in YueMotion's proportions" not in card
    assert dataset_card.render(info) == card  # deterministic
    older = {k: v for k, v in info.items() if k != "split_notes"}
    assert dataset_card.render(older) == card


def test_the_model_card_carries_the_split_as_drawn_and_says_the_rule_as_a_rule(prepared):
    """The model card's protocol line said "in YueMotion's proportions" of the same split; it says the rule
    as the rule, and its Limitations carry the split as drawn and the note (scores.json's data_caveats)."""
    info = read_info(prepared)
    summary = {
        "protocols": {"bimotion": "speaker"},
        "user_splits": {"bimotion": splits.split_record(info)},
        "train_corpora": ["carehome"],
        "data_caveats": data_caveats({"bimotion": info}, ["carehome"]),
    }
    protocol = card_claims.protocol_texts(summary, {"bimotion": ["carehome"]})["bimotion"]
    assert "speakers drawn toward 50/15/35% train/validation/test (YueMotion's proportions)" in protocol
    assert "in YueMotion's proportions" not in protocol
    carried = card_claims.carried_caveats(summary)
    assert DRAWN.removeprefix("- ") in carried
    assert f"**Split far from its rule:** {NOTE}." in carried


def test_a_corpus_split_by_its_own_column_has_no_drawn_split(tmp_path):
    """A `split` column is the user's split, not a draw: no split as drawn, no note."""
    root = testing.make_corpus(
        "audiofolder", tmp_path / "raw", corpus="home", speakers=3, clips_per_speaker=2, split_column=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = prepare({"home": root}, tmp_path / "out", protocol="speaker", num_proc=1, progress=False).out_dir
    info = read_info(out)
    assert info["split_notes"] == {}
    card = dataset_card.render(info)
    assert "split as drawn" not in card and "Split far from its rule" not in card


def test_a_draw_far_off_because_identical_audio_kept_speakers_together_says_so_not_few_speakers(tmp_path, capsys):
    """8 speakers of 4 clips, a clip of each of s0, s1 and s2 copied over one of the next speaker's (identical
    audio filed under two speakers): s0-s3 are drawn as one set, into validation, 8/16/8 clips (25/50/25%).
    scan's and prepare's note, prepare.json and the card blamed "its speakers are few or have unequal numbers
    of clips"; they name the cause: how many speakers and clips identical audio kept together."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="carehome", speakers=8, clips_per_speaker=4)
    for k in range(3):
        clip = root / "clips" / f"ind-eld-s{k}" / f"ind-eld-s{k}_000.wav"
        shutil.copyfile(clip, root / "clips" / f"ind-eld-s{k + 1}" / f"ind-eld-s{k + 1}_001.wav")
    note = (
        "carehome's group ind_eld, split by whole speakers: 8/16/8 clips (25/50/25% train/validation/test; speakers "
        "2/4/2), not 50/15/35%: identical audio filed under more than one speaker kept 4 of its 8 speakers (16 clips) "
        "together, as 1 set, whole in one split; where a copy is filed under the wrong speaker, correct its "
        "metadata (or remove the copy) and prepare again; a `split` column in its metadata (train, validation or "
        "test in every row) gives the split you choose"
    )
    source = ["--source", f"carehome={root}", "-q"]
    assert main(["scan", *source, "--output", str(tmp_path / "m.jsonl")]) == 0
    assert f"note: `bimotion prepare`: {note}" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["prepare", *source, "--protocol", "speaker", "--output", str(out), "--num-proc", "1"]) == 0
    assert f"note: {note}" in capsys.readouterr().out
    info = read_info(out)
    assert info["split_notes"] == {"carehome/ind_eld": note}
    assert info["user_split_joined"] == {"carehome/ind_eld": {"speakers": 4, "of": 8, "clips": 16, "sets": 1}}
    assert f"- **Split far from its rule:** {note}." in (out / "README.md").read_text(encoding="utf-8").splitlines()
    joined = {"speakers": 5, "of": 9, "clips": 20, "sets": 2}
    said = splits.user_split_note("carehome", "ind_eld", {"train": 8, "validation": 16, "test": 8}, {}, joined)
    assert "kept 5 of its 9 speakers (20 clips) together, as 2 sets, each whole in one split; where a copy" in said
