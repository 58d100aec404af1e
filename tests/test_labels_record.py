from __future__ import annotations

import pytest

from loaders import LABELS, READERS, SOURCES, Utterance, label_space
from loaders.labels import CORPUS_LABEL_MAPS, mask, multi_hot


def test_label_space_is_the_papers_13_labels_in_order():
    assert LABELS == (
        "sadness",
        "fear",
        "anger",
        "happiness",
        "disgust",
        "neutral",
        "surprise",
        "positive",
        "negative",
        "excitement",
        "frustration",
        "other",
        "unknown",
    )


@pytest.mark.parametrize("corpus", READERS)
def test_every_corpus_maps_into_the_label_space(corpus):
    space = label_space(corpus)
    assert space and set(space) <= set(LABELS)
    assert set(CORPUS_LABEL_MAPS[corpus].values()) == set(space)
    assert SOURCES[corpus].name == corpus


def test_expected_label_spaces():
    assert label_space("csed") == ("neutral", "positive", "negative")
    assert len(label_space("iemocap")) == 11
    assert label_space("tess") == ("sadness", "fear", "anger", "happiness", "disgust", "neutral", "surprise")


def test_multi_hot_and_mask():
    assert multi_hot(["fear", "anger"])[:3] == [0, 1, 1]
    assert sum(mask(label_space("esd"))) == 5
    with pytest.raises(ValueError, match="outside"):
        multi_hot(["joy"])


def _record(**kw):
    base = dict(
        id="csed/x",
        corpus="csed",
        path="/x.wav",
        language="zho",
        age_group="eld",
        emotions=("positive",),
        label_space=label_space("csed"),
        duration_s=1.0,
        sample_rate_hz=44100,
    )
    base.update(kw)
    return Utterance(**base)


def test_record_round_trips_and_validates():
    r = _record(gender="f")
    assert Utterance.from_dict(r.to_dict()) == r
    assert r.group == "zho_eld" and sum(r.labels) == 1 and sum(r.label_mask) == 3
    with pytest.raises(ValueError, match="language"):
        _record(language="fr")
    with pytest.raises(ValueError, match="outside the corpus label space"):
        _record(emotions=("anger",))
    with pytest.raises(ValueError, match="gender"):
        _record(gender="female")


def test_scan_summary_names_the_labels_or_spells_out_its_codes():
    """The counts table heads its label columns with the names when they fit, else with distinct
    three-letter codes and a legend under the table (it used to cut names to 5 characters)."""
    from loaders.labels import LABEL_CODES
    from loaders.manifest import summary

    assert set(LABEL_CODES) == set(LABELS) and len(set(LABEL_CODES.values())) == len(LABELS)
    records = [
        Utterance(
            id=f"iemocap/{i}",
            corpus="iemocap",
            path=f"/c/{i}.wav",
            language="eng",
            age_group="adu",
            emotions=(label,),
            label_space=label_space("iemocap"),
            duration_s=2.0,
            sample_rate_hz=16000,
        )  # fmt: skip
        for i, label in enumerate(("frustration", "excitement", "anger"))
    ]
    annotated = list(label_space("iemocap"))  # each a column, 0 where no clip has it (the README's promise)
    wide = summary(records, width=250).splitlines()
    assert wide[0].split() == ["corpus", "lang", "age", "n", "hours", *annotated]
    had = ("anger", "excitement", "frustration")
    assert wide[-1].split() == ["total", "3", "<0.01", *("1" if label in had else "0" for label in annotated)]
    narrow = summary(records, width=40).splitlines()
    assert narrow[0].split()[5:] == [LABEL_CODES[label] for label in annotated]
    assert narrow[-1] == ", ".join(f"{LABEL_CODES[label]} = {label}" for label in annotated)


def test_scan_summary_marks_a_label_outside_a_corpus_label_space_apart_from_none_of_it():
    """A label a corpus does not annotate (CSED: no anger) was counted 0, like a label it annotates
    that none of the clips read has (IEMOCAP's anger here): it is now `-`, said under the table."""
    from loaders.manifest import NOT_ANNOTATED, summary

    def record(corpus: str, i: int, label: str) -> Utterance:
        return Utterance(
            id=f"{corpus}/{i}", corpus=corpus, path=f"/c/{i}.wav", language="zho" if corpus == "csed" else "eng",
            age_group="eld" if corpus == "csed" else "adu", emotions=(label,), label_space=label_space(corpus),
            duration_s=2.0, sample_rate_hz=16000,
        )  # fmt: skip

    records = [record("csed", 0, "positive"), record("iemocap", 1, "neutral"), record("tess", 2, "anger")]
    lines = summary(records, width=300).splitlines()
    head = lines[0].split()
    assert head[5:] == list(LABELS)  # every label one of them annotates: 0 where none of its clips has it
    cells = {line.split()[0]: dict(zip(head[5:], line.split()[5:], strict=True)) for line in lines[2:5]}
    shown = {corpus: [cells[corpus][label] for label in ("anger", "neutral", "positive")] for corpus in cells}
    assert shown == {"csed": ["-", "0", "1"], "iemocap": ["0", "1", "-"], "tess": ["1", "0", "-"]}
    assert cells["iemocap"]["excitement"] == "0" and cells["tess"]["excitement"] == "-"
    had = ("anger", "neutral", "positive")
    assert lines[-2].split() == ["total", "3", "<0.01", *("1" if label in had else "0" for label in LABELS)]
    assert lines[-1] == f"{NOT_ANNOTATED} = a label the corpus does not annotate (0: none of its clips has it)"
    assert "does not annotate" not in summary(records[1:2], width=200)  # no dash, no legend


def test_a_record_refuses_impossible_values_and_keeps_lists_as_tuples():
    import numpy as np

    from loaders.labels import label_space
    from loaders.record import Utterance

    base = dict(id="csed/x", corpus="csed", path="/x.wav", language="zho", age_group="eld",
                label_space=label_space("csed"), duration_s=1.5, sample_rate_hz=16000)  # fmt: skip
    record = Utterance(**base, emotions=["neutral"])
    assert record.emotions == ("neutral",) and isinstance(record.label_space, tuple)
    assert hash(record) == hash(Utterance(**base, emotions=("neutral",)))  # it used to fail on the list
    assert Utterance(**{**base, "duration_s": np.float32(1.5), "sample_rate_hz": np.int64(16000)}, emotions=())
    with pytest.raises(TypeError, match="emotions must be a tuple of label names, not the string 'neutral'"):
        Utterance(**base, emotions="neutral")
    for field_, value in (
        ("duration_s", -5),
        ("duration_s", "1.5"),
        ("sample_rate_hz", 0),
        ("sample_rate_hz", 16000.0),
    ):
        with pytest.raises(ValueError, match=field_):
            Utterance(**{**base, field_: value}, emotions=())


def test_load_refuses_arguments_of_the_wrong_type(tmp_path):
    """skip_bad="no" was read as True; report={} failed deep inside with an AttributeError."""
    import loaders

    with pytest.raises(TypeError, match="skip_bad must be True or False, not 'no'"):
        loaders.load("csed", tmp_path, skip_bad="no")
    with pytest.raises(TypeError, match="report must be a loaders.SkipReport"):
        loaders.load("csed", tmp_path, report={})


def test_an_age_is_a_float_whichever_reader_gave_it():
    """CREMA-D gave whole years as ints and a user's corpus floats: one column, two types."""
    from loaders.record import Utterance

    base = dict(id="x/1", corpus="x", path="/a.wav", language="eng", age_group="eld", emotions=("anger",),
                label_space=("anger",), duration_s=1.0, sample_rate_hz=16000)  # fmt: skip
    assert Utterance(**base, age=71).age == 71.0 and isinstance(Utterance(**base, age=71).age, float)
    assert Utterance(**base).age is None
    for bad in ("71", True, float("nan")):
        with pytest.raises(ValueError, match="age must be a number of years"):
            Utterance(**base, age=bad)


def test_the_dataset_cards_label_table_shows_0_for_an_annotated_label_without_clips():
    """The card's label table left out the columns of labels a corpus annotates but none of its clips has
    (CSED prepared from its Natural/ folder alone: no positive, no negative column), where scan's table
    shows 0 for them; both now pick their columns by the one helper (loaders.manifest.label_columns)."""
    from bimotion.card_tables import statistics_tables

    shard = {"corpus": "csed", "group": "zho_eld", "split": "train", "rows": 3, "duration_s": 6.0, "speakers": 1,
             "genders": {"F": 3}, "emotions": {"neutral": 3}}  # fmt: skip
    tables = statistics_tables({"shards": [shard], "label_spaces": {"csed": list(label_space("csed"))}})
    assert tables["used_labels"] == list(label_space("csed"))
    row = dict(zip(tables["used_labels"], tables["label_rows"]["csed"], strict=True))
    assert row == {label: "3" if label == "neutral" else "0" for label in label_space("csed")}
    assert tables["not_annotated_legend"] is None


def test_the_dataset_card_of_an_older_own_corpus_folder_shows_its_labels_not_all_13(tmp_path):
    """An own corpus's folder prepared before prepare.json recorded ``label_spaces`` (0d30eb28, 2026-12-05)
    had a card whose label table showed all 13 label columns, 0 in every one its clips lack (since
    027cb251 showed a corpus's label space as columns, and such a corpus's space was taken to be every
    label).  Its columns are now the labels its clips have, with the same counts as a folder prepared now,
    and a note says why a label it annotates that none of its clips has (one a fresh prepare shows as 0) is
    not there."""
    import json

    from bimotion import dataset_card
    from bimotion.card_tables import statistics_tables
    from bimotion.prepare import prepare
    from loaders import testing as corpora

    root = corpora.make_corpus("audiofolder", tmp_path / "raw", language="ind", age_groups=("eld",), speakers=4)
    out = prepare({"carehome": root}, tmp_path / "mine", protocol="speaker", progress=False).out_dir
    info = json.loads((out / "prepare.json").read_text(encoding="utf-8"))
    annotated = info["label_spaces"]["carehome"]
    now = statistics_tables(info)
    assert now["used_labels"] == annotated and len(annotated) < len(LABELS)
    older = {key: value for key, value in info.items() if key != "label_spaces"}  # as an older prepare wrote it
    then = statistics_tables(older)
    counted = [label for label in annotated if label in {e for s in info["shards"] for e in s["emotions"]}]
    assert then["used_labels"] == counted, then["used_labels"]  # was all 13, 0 in those its clips lack
    assert then["label_rows"]["carehome"] == [c for c, label in zip(now["label_rows"]["carehome"], annotated,
                                                                    strict=True) if label in counted]  # fmt: skip
    assert "0" not in then["label_rows"]["carehome"]
    table = dataset_card.render(older).split("Label counts per corpus", 1)[1].split("\n## ", 1)[0]
    head = next(line for line in table.splitlines() if line.startswith("|"))
    assert [c.strip() for c in head.strip("|").split("|")][1:] == then["used_labels"], head
    note = " ".join(table.split())
    words = "carehome: the labels its clips have; the labels it annotates are not in this folder's prepare.json"
    assert f"{words} (prepared by an older bimotion), so one that none of its clips has is not shown" in note, table
    assert now["unrecorded_spaces_note"] is None
