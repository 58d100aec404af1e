"""Identical audio within one corpus split apart.  A corpus of one's own whose ``split`` column put two
copies of one recording in train and test was prepared with only a ``note:`` ("3 of them lie in more
than one split"), exit status 0, while ``bimotion check`` failed on it ("3 audio clip(s) appear in two
splits").  Prepare now warns, with the count check reports, an example pair and the fix; check's failure
says the same count in the same words; copies kept in one split keep the plain note."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from bimotion.cli import main
from bimotion.verify import verify
from loaders import testing


def _own_corpus(base: Path, copies: int, *, same_split: bool) -> tuple[Path, list[tuple[str, str]]]:
    """A corpus of one's own (``carehome``) with a ``split`` column, ``copies`` of its train clips copied over
    its test clips (``same_split``: over other train clips), and the pairs of ids."""
    home = testing.make_corpus("audiofolder", base / "home", split_column=True, metadata="csv")
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    train = [r for r in rows if r["split"] == "train"]
    targets = train[copies:] if same_split else [r for r in rows if r["split"] == "test"]
    pairs = []
    for source, target in zip(train[:copies], targets[:copies], strict=True):
        shutil.copyfile(home / source["file_name"], home / target["file_name"])
        pairs.append(tuple(f"carehome/{r['file_name']}" for r in (source, target)))
    return home, pairs


def test_copies_in_one_corpus_split_apart_by_its_split_column_are_a_warning_counted_as_check_counts(tmp_path, capsys):
    home, pairs = _own_corpus(tmp_path / "raw", 3, same_split=False)
    before = testing.digest(home)
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"carehome={home}", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert testing.digest(home) == before  # the user's folder is only read
    warning = next(line for line in printed.err.splitlines() if "set(s) of identical audio" in line)
    a, b = pairs[0]
    assert warning == (
        "warning: carehome holds 3 set(s) of identical audio (6 clips), 3 of them in different splits, "
        f"e.g. {a} (train) and {b} (test): a test clip is then also a training clip (carehome's own split column "
        "puts them there, which prepare does not change, and `bimotion check` fails on them); put each set's "
        "copies in one split in carehome's split column, or remove the copies, and prepare again"
    )
    note = next(line for line in printed.out.splitlines() if "set(s) of identical audio" in line)
    assert note.startswith("note: carehome holds 3 set(s) of identical audio (6 clips): 3 of them in different ")
    assert "(the warning above); 3 set(s) carry different labels" in note  # the copies' labels still noted
    (problem,) = verify(out)["problems"]
    assert problem.startswith(
        f"3 audio clip(s) appear in two splits (each in another split than the first of its copies by id), e.g. {a} "
        f"(train) and {b} (test); "
    )
    assert problem.endswith(
        f"; carehome holds 3 set(s) of identical audio in different splits, e.g. {a} (train) and {b} (test): "
        "carehome's own split column puts them there, which prepare does not change; put each set's copies in one "
        "split in carehome's split column, or remove the copies, and prepare again"
    )


def test_copies_in_one_corpus_kept_in_one_split_are_a_note_and_check_passes(tmp_path, capsys):
    home, _ = _own_corpus(tmp_path / "raw", 2, same_split=True)
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"carehome={home}", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert "warning" not in printed.err
    assert "note: carehome holds 2 set(s) of identical audio (4 clips): each set is kept in one split" in printed.out
    assert verify(out)["problems"] == []


def test_a_releases_own_split_is_said_to_be_the_releases_with_the_protocol_that_keeps_copies_together():
    from bimotion.splits import copies_apart

    assert copies_apart("esd") == (
        "the esd release's official split puts them there, which prepare keeps as published",
        "prepare with --protocol speaker, which draws each set into one split (scores not comparable with the paper's)",
    )
    assert copies_apart("elderreact")[1] == "its test scores count those clips as unheard: say so where you report them"


def test_a_release_prepare_splits_itself_is_not_said_to_have_an_official_split_that_holds_copies_apart():
    """CSED, CREMA-D, TESS and IEMOCAP have no official split: prepare draws theirs and keeps each set of
    copies in one split, so `check` finding CSED's copies in two splits (a folder an older bimotion
    prepared: 33 of its pairs) said "the csed release's official split puts them there, which prepare
    keeps as published; its test scores count those clips as unheard"; it says to prepare it again."""
    from bimotion.splits import copies_apart
    from bimotion.verify_twins import cross_split_problem

    pair = ("csed/Natural/Nat_Female-1", "train", "csed/Positive/Pos_female-54", "test")
    problem = cross_split_problem([pair], {"csed": [pair]})
    assert "release's official split puts them there" not in problem, problem
    assert problem.endswith(
        "csed has no official split: prepare draws it and keeps each set in one split, so this folder was prepared "
        "by an older bimotion, which did not; prepare it again"
    ), problem
    for corpus in ("crema_d", "tess", "iemocap"):
        assert copies_apart(corpus)[1] == "prepare it again", corpus


def test_scans_preview_of_a_split_by_whole_speakers_draws_the_speakers_copies_join_as_prepare_does(tmp_path, capsys):
    """One recording filed under each of 4 speakers joins them into one draw, so prepare gives the group no
    validation or test rows; scan's preview of the split drew it from metadata alone (4 speakers: enough) and
    said nothing.  It now finds the copies as prepare does and says what prepare then says."""
    home = testing.make_corpus("audiofolder", tmp_path / "home", speakers=4, clips_per_speaker=2, metadata="csv")
    _one_recording_under_every_speaker(home)
    before = testing.digest(home)
    assert main(["scan", "-q", "--source", f"carehome={home}", "-o", str(tmp_path / "m.jsonl")]) == 0
    said = capsys.readouterr().err
    assert testing.digest(home) == before  # the user's folder is only read
    assert (
        "note: `bimotion prepare` would leave carehome's group ind_eld without validation or test rows (its 4 "
        "speakers, those sharing identical audio drawn together as one, are too few to fill every split); "
        "training on it would need other groups for those splits"
    ) in said.splitlines(), said
    assert "note: carehome's group ind_eld: 4 of its 4 speakers" in said  # the speakers joined, as prepare says
    assert main(["prepare", "-q", "--source", f"carehome={home}", "-o", str(tmp_path / "out")]) == 0
    assert "note: group ind_eld has no validation or test rows (its 4 speakers" in capsys.readouterr().out


def test_copies_apart_in_a_corpus_of_ones_own_split_by_speakers_are_not_said_to_be_its_split_columns(
    tmp_path, capsys, monkeypatch
):
    """A folder an older bimotion prepared (one that drew whole speakers without identical audio) of a corpus of
    one's own with no split column, one recording filed under 4 speakers: check said "carehome's own split column
    puts them there, which prepare does not change; put each set's copies in one split in carehome's split column"
    of a column it does not have.  It now says that its split was drawn by whole speakers, which keep each set in
    one split now, and to prepare it again; a corpus split by its own column reads as before."""
    import bimotion.prepare
    from bimotion.splits import copies_apart

    home = testing.make_corpus("audiofolder", tmp_path / "home", speakers=4, clips_per_speaker=4, metadata="csv")
    _one_recording_under_every_speaker(home)
    monkeypatch.setattr(bimotion.prepare, "identical_audio", lambda records, **_: [])  # as an older bimotion drew
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"carehome={home}", "-o", str(out)]) == 0
    capsys.readouterr()
    problem = next(p for p in verify(out)["problems"] if "appear in two splits" in p)
    assert "own split column" not in problem, problem
    assert problem.endswith(
        "carehome has no split column: prepare draws its split by whole speakers and keeps each set in one split, so "
        "this folder was prepared by an older bimotion, which did not; prepare it again"
    ), problem
    column = {"protocol": "paper", "user_split_columns": ["carehome"]}
    assert copies_apart("carehome", column) == copies_apart("carehome")  # prepare's warning: only a column can
    assert copies_apart("carehome")[0] == "carehome's own split column puts them there, which prepare does not change"
    unrecorded = copies_apart("carehome", {"protocol": "paper"})  # prepared before prepare.json said which way
    assert unrecorded[0].startswith("carehome's own split column, where it has one, puts them there"), unrecorded


def test_check_counts_and_names_copies_in_two_splits_in_id_order_as_prepare_does(tmp_path, capsys):
    """check's opening count was of clips in another split than the copy it happened to read first (the train
    shard's), and its example that pair: of a test clip copied over a train clip of a later id it said "1 audio
    clip(s) appear in two splits, e.g. ('<train id>', 'train', '<test id>', 'test')" and, after it, "e.g. <train
    id> (train) and <test id> (test)", where prepare's warning named "<test id> (test) and <train id> (train)".
    Both now take each set in id order: the same pair, and the count of clips in another split than the first
    of their copies by id."""
    home = testing.make_corpus("audiofolder", tmp_path / "home", split_column=True, metadata="csv")
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    test, *_, train = sorted((r for r in rows if r["split"] == "test"), key=lambda r: r["file_name"])
    train["split"] = "train"  # a later id than the test clip, read first (the train shard)
    with (home / "metadata.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shutil.copyfile(home / test["file_name"], home / train["file_name"])
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"carehome={home}", "-o", str(out)]) == 0
    a, b = (f"carehome/{r['file_name']}" for r in (test, train))
    pair = f"e.g. {a} (test) and {b} (train)"
    assert pair in next(line for line in capsys.readouterr().err.splitlines() if "identical audio" in line)
    (problem,) = verify(out)["problems"]
    assert problem.startswith(
        f"1 audio clip(s) appear in two splits (each in another split than the first of its copies by id), {pair}; "
        f"carehome holds 1 set(s) of identical audio in different splits, {pair}: "
    ), problem


def test_scan_decodes_no_audio_of_a_corpus_its_own_split_column_splits(tmp_path, capsys, monkeypatch):
    """scan finds identical audio only to draw a corpus's split by whole speakers as prepare does; a corpus whose
    every row has a split column is split by it, copies or not, so scan decoded its clips of one rate and duration
    for nothing (3000 clips of 3 s at 48 kHz: 3.0 s before identical audio was looked for, 47.6 s after).  It now
    decodes none of them, and says the same."""
    import loaders.identical

    home = testing.make_corpus(
        "audiofolder", tmp_path / "home", speakers=4, clips_per_speaker=2, metadata="csv", split_column=True
    )
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows[1:]:  # every clip one recording: all of one rate and duration
        shutil.copyfile(home / rows[0]["file_name"], home / row["file_name"])
    read = []
    real = loaders.identical._content_digest
    monkeypatch.setattr(loaders.identical, "_content_digest", lambda path, n: read.append(path) or real(path, n))
    assert main(["scan", "-q", "--source", f"carehome={home}", "-o", str(tmp_path / "m.jsonl")]) == 0
    said = capsys.readouterr().err
    assert read == [], f"scan decoded {len(read)} clips of a corpus its split column splits"
    assert "without validation or test rows" not in said, said


def _one_recording_under_every_speaker(home) -> None:
    """Copy the first clip of the first speaker of ``home`` (an audiofolder corpus with a metadata.csv) over the
    first clip of every other speaker: one recording filed under each of them."""
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    first = {}
    for row in rows:
        first.setdefault(row["speaker_id"], row["file_name"])
    source, *others = first.values()
    for target in others:
        shutil.copyfile(home / source, home / target)


def test_an_unlisted_copy_of_a_listed_clip_is_said_to_be_its_copy_by_scan_and_prepare(tmp_path, capsys, tqdm_options):
    """A file no metadata row lists, holding exactly the audio of a clip a row lists (copied beside it under a new
    name), was said only to be `unlisted_file` ("its emotion, language and age are unknown"), though scan and
    prepare then look for identical audio.  Its skip, said and listed in OUTPUT.skipped.tsv, now names that clip and
    the line that lists it (its fix a copy's: delete it, not add a row for it), found in that same look (one "finding identical audio" bar a run; scan's too, of a
    corpus its split column splits, whose clips it compared not at all before: now only those of an unlisted
    file's rate and duration, not two listed copies of another length); an unlisted file of other audio keeps its
    words, and the corpus folder is left as it was."""
    import numpy as np
    import soundfile

    home = testing.make_corpus("audiofolder", tmp_path / "home", split_column=True, metadata="csv")
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    first, second = (row["file_name"] for row in rows[:2])
    third, fourth = [r["file_name"] for r in rows[2:] if r["split"] == rows[2]["split"]][:2]
    shutil.copyfile(home / third, home / fourth)  # two listed clips of one length: no unlisted file's
    copy = home / Path(first).parent / "take_2.wav"
    shutil.copyfile(home / first, copy)
    samples, rate = soundfile.read(home / second, dtype="int16")
    other = home / Path(second).parent / "take_3.wav"  # its length and rate, other audio: compared, not a copy
    soundfile.write(other, np.negative(samples), rate, subtype="PCM_16")
    before = testing.digest(home)
    said = (
        f"{copy}: audio by content, but not listed in metadata.csv: the same audio as {first}, which metadata.csv "
        "line 2 lists (a second copy of that clip: delete it or move it out of the corpus folder)"
    )
    unknown = f"{other}: audio by content, but not listed in metadata.csv: its emotion, language and age are unknown"
    for argv, output in (
        (["scan", "-o", str(tmp_path / "m.jsonl")], tmp_path / "m.jsonl"),
        (["prepare", "--output", str(tmp_path / "out")], tmp_path / "out"),
    ):
        tqdm_options.clear()
        assert main([*argv, "-q", "--source", f"carehome={home}", "--skip-bad"]) == 0
        err = capsys.readouterr().err
        assert said in err and unknown in err, err
        with open(f"{output}.skipped.tsv", encoding="utf-8", newline="") as f:
            table = {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}
        listed = {file: row["message"] for file, row in table.items()}
        assert f"{copy}: {listed[str(copy)]}" == said and f"{other}: {listed[str(other)]}" == unknown
        # the copy's fix is a copy's, not an unlisted file's "add a row for it"
        assert table[str(copy)]["fix"] == "delete it or move it out of the corpus folder", table
        assert table[str(other)]["fix"] == "add a row for it or move it out of the corpus folder", table
        assert [o.get("desc") for o in tqdm_options].count("finding identical audio") == 1, tqdm_options
        if argv[0] == "scan":  # of a corpus its split column splits: only the clips of an unlisted file's length
            clips = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text(encoding="utf-8").splitlines()]
            keys = {
                (c["sample_rate_hz"], c["duration_s"])
                for c in clips
                if c["path"] in {str(home / first), str(home / second)}
            }
            looked = next(o["total"] for o in tqdm_options if o.get("desc") == "finding identical audio")
            assert looked == 2 + sum((c["sample_rate_hz"], c["duration_s"]) in keys for c in clips) < len(clips), looked
    assert testing.digest(home) == before


def test_without_skip_bad_an_unlisted_copy_of_a_listed_clip_stops_in_the_words_of_its_skip(tmp_path, capsys):
    """Without --skip-bad, the first unlisted file stopped scan and prepare before they looked for identical audio,
    so an unlisted copy of a listed clip was said as unknown audio ("its emotion, language and age are unknown"),
    while with --skip-bad its skip names it a copy.  It now stops in the words of its skip (a copy of that clip, the
    line that lists it), with the fix; an unlisted file of other audio keeps its words."""
    home = testing.make_corpus("audiofolder", tmp_path / "home", metadata="csv")
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        first = next(csv.DictReader(f))["file_name"]
    copy = home / Path(first).parent / "take_2.wav"
    shutil.copyfile(home / first, copy)
    before = testing.digest(home)
    said = (
        f"error: {copy}: audio by content, but not listed in metadata.csv: the same audio as {first}, which "
        "metadata.csv line 2 lists (a second copy of that clip: delete it or move it out of the corpus folder)\n"
        "  fix: delete it or move it out of the corpus folder, or pass --skip-bad"
    )
    for argv in (["scan", "-o", str(tmp_path / "m.jsonl")], ["prepare", "--output", str(tmp_path / "out")]):
        assert main([*argv, "-q", "--source", f"carehome={home}"]) != 0
        err = capsys.readouterr().err
        assert said in err and "unknown" not in err, err
    assert testing.digest(home) == before
    import soundfile

    samples, rate = soundfile.read(home / first, dtype="int16")
    soundfile.write(copy, -samples, rate, subtype="PCM_16")  # its length and rate, other audio: not a copy
    assert main(["scan", "-q", "-o", str(tmp_path / "m.jsonl"), "--source", f"carehome={home}"]) != 0
    err = capsys.readouterr().err
    assert f"error: {copy}: audio by content, but not listed in metadata.csv: its emotion, language and age " in err
