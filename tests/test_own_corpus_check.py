"""A prepared corpus of one's own, as its folder tells it.  Its dataset card's source note said both
ways a corpus of one's own is split ("Its split is its `split` column when every row has one, else
speaker-independent by `speaker_id`") whichever prepare used; it now says the one way prepare.json
records, as the card's split rules do (``bimotion sources --own-corpus``, saying the format before any
corpus is prepared, still says both).  And ``bimotion check`` compared the split files with everything
prepare.json records but ``user_split_shared_speakers``: a folder whose Parquet files were replaced,
moving a speaker's row into another split, passed, its card still saying that the column keeps each
speaker in one split; check now recounts the speakers from the files it reads and fails, naming them."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from bimotion.card_caveats import data_caveats
from bimotion.cli import main
from bimotion.data.layout import CARD_FILE, INFO_FILE, content_digest, read_info
from bimotion.prepare import prepare
from bimotion.verify import verify
from loaders import testing
from loaders.audiofolder import SPLIT_NOTE

COLUMN = "Its split: its `split` column, which every row has, as given; it keeps each speaker in one split."
SPEAKERS = (
    "Its split: whole speakers per split (within each language x age group), speakers drawn toward 50/15/35% "
    "train/validation/test (YueMotion's proportions) within each gender (its metadata has no `split` column)."
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


def _write_named(table, old: Path) -> Path:
    """``table`` written beside ``old`` under prepare's name for it (``train-00000-<its digest>.parquet``),
    ``old`` removed: a replacement no digest check tells from prepare's own."""
    import pyarrow.parquet as pq

    work = old.with_name("replacement.tmp")
    pq.write_table(table, work)
    new = old.with_name(f"{old.name.rsplit('-', 1)[0]}-{content_digest(work)}.parquet")
    old.unlink()
    return work.rename(new)


def _move_a_row(folder: Path, speaker_split: str, to: str) -> list[str]:
    """Move one row of ``folder``'s ``speaker_split`` file into its ``to`` file, rewriting both with
    pyarrow under their new digests, and prepare.json's rows and files and the card's paths with them,
    so that only the speakers per split tell: the two files' new paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    shard = {s["split"]: s for s in info["shards"]}
    source, target = (pq.read_table(folder / shard[s]["files"][0]) for s in (speaker_split, to))
    moved = {speaker_split: source.slice(1), to: pa.concat_tables([target, source.slice(0, 1)])}
    card = (folder / CARD_FILE).read_text(encoding="utf-8")
    for split, table in moved.items():
        old = shard[split]["files"][0]
        new = _write_named(table, folder / old).relative_to(folder).as_posix()
        shard[split].update(files=[new], rows=table.num_rows)
        card = card.replace(old, new)
    (folder / INFO_FILE).write_text(json.dumps(info, indent=1), encoding="utf-8")
    (folder / CARD_FILE).write_text(card, encoding="utf-8")
    return [shard[s]["files"][0] for s in (speaker_split, to)]


def test_check_fails_where_the_split_files_share_speakers_prepare_json_says_its_column_keeps_apart(
    prepared, tmp_path, capsys
):
    folder = Path(shutil.copytree(prepared["column"], tmp_path / "copy"))
    assert read_info(folder)["user_split_shared_speakers"] == {"home": 0}
    assert verify(folder, hash_audio=False)["problems"] == []
    assert main(["check", str(folder), "--no-audio"]) == 0
    said = capsys.readouterr().out
    assert (
        "0 of 4 speakers in more than one split (allowed: home's own split column put them there, as prepare.json records)"
        in said
    )

    files = _move_a_row(folder, "train", "test")  # a train speaker's row now in test
    problems = verify(folder, hash_audio=False)["problems"]
    assert len(problems) == 1, problems  # the files, their rows and the card agree with prepare.json
    (problem,) = problems
    assert problem.startswith(
        "home: prepare.json records 0 speaker(s) in more than one split of its own `split` column"
    )
    assert "its split files hold 1 speaker(s) in more than one split" in problem
    assert all(rel in problem for rel in files)
    assert problem.endswith("prepare the dataset again")
    assert main(["check", str(folder), "--no-audio"]) == 1
    said = capsys.readouterr().out
    assert problem in said
    assert (
        "1 of 4 speakers in more than one split (allowed: home's own split column put them there; PROBLEM: "
        "prepare.json records 0, as the cards say)" in said
    )


def test_check_of_a_corpus_split_by_whole_speakers_has_no_count_to_compare(prepared):
    assert read_info(prepared["speakers"])["user_split_shared_speakers"] == {}  # its rule keeps them apart
    assert verify(prepared["speakers"], hash_audio=False)["problems"] == []
