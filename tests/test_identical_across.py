"""Identical audio across corpora.  A corpus of one's own that reused public clips (a care-home set
holding copies of CSED recordings) was prepared with 158 copies in another split than their CSED twin
(a test clip was a training clip) and prepare said nothing: it looked for identical audio within each
corpus only.  Only ``bimotion check`` failed, later.  Prepare now finds the copies across corpora,
warns where they lie in different splits (how many, an example pair, the fix), records them in
``prepare.json`` and the card, and check's failure says the same."""

from __future__ import annotations

import csv
import re
import shutil
import time
from pathlib import Path

import pytest

from bimotion.cli import main
from bimotion.data.layout import read_info
from bimotion.verify import verify
from loaders import testing


def _own_corpus_with_csed_copies(base: Path) -> tuple[Path, Path, list[tuple[str, str]]]:
    """A generated CSED and a corpus of one's own (``carehome``) holding copies of 8 of its clips, two under
    each of its 4 speakers; and the pairs of ids (carehome's, csed's)."""
    csed = testing.make_corpus("csed", base / "csed", scale=4)
    home = testing.make_corpus("audiofolder", base / "home", speakers=4, clips_per_speaker=4)
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    speakers = sorted({r["speaker_id"] for r in rows})
    pairs = []
    for k, clip in enumerate(sorted(csed.rglob("*.wav"))[:8]):
        speaker = speakers[k % len(speakers)]
        template = next(r for r in rows if r["speaker_id"] == speaker)
        name = f"clips/{speaker}/reused_{k}.wav"
        shutil.copyfile(clip, home / name)
        rows.append({**template, "file_name": name})
        pairs.append((f"carehome/{name}", f"csed/{clip.parent.name}/{clip.stem}"))
    with (home / "metadata.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return csed, home, pairs


def test_copies_of_another_corpus_in_another_split_are_found_warned_recorded_and_checked(tmp_path, capsys):
    csed, home, pairs = _own_corpus_with_csed_copies(tmp_path / "raw")
    before = testing.digest(home)
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"csed={csed}", "--source", f"carehome={home}", "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert testing.digest(home) == before  # the user's folder is only read
    info = read_info(out)
    stored = {}
    for shard in info["shards"]:
        stored.update(dict.fromkeys(_ids(out, shard), shard["split"]))
    apart = [(a, b) for a, b in pairs if stored[a] != stored[b]]
    assert apart, "the fixture must put some copies in another split than their twin"
    entry = info["identical_audio"]["carehome+csed"]
    assert (entry["sets"], entry["clips"], entry["split_apart"]) == (len(pairs), 2 * len(pairs), len(apart))
    assert sorted(map(tuple, entry["listed"]["split_apart"])) == sorted(apart)
    a, b = min(apart)  # the first set listed (sets sorted)
    warning = next(line for line in printed.err.splitlines() if "carehome and csed share" in line)
    assert warning.startswith(f"warning: carehome and csed share {len(pairs)} recording(s) (identical audio), ")
    assert f"{len(apart)} of them in different splits, e.g. {a} ({stored[a]}) and {b} ({stored[b]})" in warning
    assert warning.endswith("remove the copies from one corpus and prepare again")
    card = f"**Identical audio across carehome and csed:** {len(pairs)} set(s) of clips with identical audio "
    card += f"({2 * len(pairs)} clips), {len(apart)} of them across splits "
    card += "(each corpus is split on its own, so prepare does not move them)"  # prepare's and check's reason
    assert card in (out / "README.md").read_text()
    # check fails on the same clips, in the same words
    problems = verify(out)["problems"]
    duplicate = next(p for p in problems if "appear in two splits" in p)
    assert f"; carehome and csed share {len(apart)} recording(s) in different splits, e.g. " in duplicate
    assert duplicate.endswith("remove the copies from one corpus and prepare again")


def _ids(out: Path, shard: dict) -> list[str]:
    import pyarrow.parquet as pq

    return [i for f in shard["files"] for i in pq.read_table(out / f, columns=["id"]).column("id").to_pylist()]


@pytest.mark.filterwarnings("ignore::loaders.errors.SplitNote")  # the fixture's small group
def test_a_corpus_split_is_the_same_whether_or_not_a_corpus_with_copies_of_its_clips_is_prepared_beside_it(tmp_path):
    """CSED's clips with a copy in the user's corpus (but no twin in CSED) were taken out of the clips that
    balance a move of CSED's own twins, so CSED's paper split changed with the corpora given beside it (28 of
    real CSED's 652 clips in another split); a corpus's split is now its own."""
    from bimotion.splits import assign_splits
    from loaders.identical import identical_audio
    from loaders.manifest import scan

    csed, home, pairs = _own_corpus_with_csed_copies(tmp_path / "raw")
    clips = sorted(csed.rglob("*.wav"))
    for source, copy in zip(clips[8:20], clips[20:32], strict=True):  # CSED's own twins, as the release has
        shutil.copyfile(source, copy)

    def csed_split(sources: dict) -> dict[str, str]:
        records, _ = scan(sources, progress=False)
        split_of = assign_splits(records, "paper", identical=identical_audio(records))
        return {i: s for i, s in split_of.items() if i.startswith("csed/")}

    alone = csed_split({"csed": csed})
    assert csed_split({"csed": csed, "carehome": home}) == alone


def test_check_counts_copies_across_three_corpora_per_pair_of_corpora_as_prepare_does():
    """Prepare warns per set of corpora sharing copies ('a and b share 1 recording(s) ...', 'a and c share 1
    ...'); check said 'a and b and c share 2 recording(s) in different splits', as if b and c shared any."""
    from bimotion.verify_twins import cross_split_problem, split_apart

    twins = [[("a/1", "train"), ("b/1", "test")], [("a/2", "train"), ("c/2", "test")]]
    problem = cross_split_problem([("a/1", "train", "b/1", "test")], split_apart(twins))
    assert "a and b and c" not in problem, problem
    assert "; a and b share 1 recording(s) in different splits, e.g. a/1 (train) and b/1 (test): " in problem
    assert "; a and c share 1 recording(s) in different splits, e.g. a/2 (train) and c/2 (test): " in problem


def test_copies_across_corpora_labelled_otherwise_than_their_twins_are_said_so_split_apart_or_not(tmp_path, capsys):
    """Copies in a corpus of one's own labelled otherwise than their CSED twins: where some lay in different
    splits prepare said only the warning, and where all lay in one split only 'each lies in one split', never a
    word of the labels (the card counts them, a corpus's own sets are said so); it now says them in the words of
    a corpus's own sets."""
    from bimotion.commands.prepare_notes import identical_notes

    csed, home, _ = _own_corpus_with_csed_copies(tmp_path / "raw")
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"csed={csed}", "--source", f"carehome={home}", "-o", str(out)]) == 0
    entry = read_info(out)["identical_audio"]["carehome+csed"]
    assert entry["split_apart"] and entry["labelled_differently"], entry  # the fixture's labels are CSED's or not
    a, b = entry["listed"]["labelled_differently"][0]
    assert (
        f"note: carehome and csed share 8 recording(s) (identical audio): {entry['split_apart']} of them in "
        f"different splits (the warning above); {entry['labelled_differently']} set(s) carry different labels, "
        f"each kept as its corpus labels it (e.g. {a}, {b})"
    ) in capsys.readouterr().out.splitlines()
    together = {**entry, "split_apart": 0}
    assert identical_notes({"identical_audio": {"carehome+csed": together}, "user_sources": {"carehome": {}}}) == [
        "note: carehome and csed share 8 recording(s) (identical audio): each lies in one split; "
        f"{entry['labelled_differently']} set(s) carry different labels, each kept as its corpus labels it (e.g. {a}, "
        f"{b})"
    ]


def test_scan_says_of_copies_in_another_corpus_and_another_split_what_prepare_will_warn(tmp_path, capsys):
    """scan previewed a corpus of one's own's split without a word of its copies of another scanned corpus's
    clips that prepare would put in another split than their twin (prepare warns, check fails); it now says
    so in prepare's words, and reads nothing more where no clip of another corpus could be a copy."""
    csed, home, _ = _own_corpus_with_csed_copies(tmp_path / "raw")
    before = testing.digest(home)
    sources = ["--source", f"csed={csed}", "--source", f"carehome={home}"]
    assert main(["scan", "-q", *sources, "-o", str(tmp_path / "m.jsonl")]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "carehome and csed share" in line]
    assert main(["prepare", "-q", *sources, "-o", str(tmp_path / "out")]) == 0
    warning = next(line for line in capsys.readouterr().err.splitlines() if "carehome and csed share" in line)
    assert notes == [f"note: `bimotion prepare` (--protocol paper --seed 0): {warning.removeprefix('warning: ')}"], (
        notes
    )
    assert testing.digest(home) == before  # the user's folder is only read
    assert main(["scan", "-q", "--source", f"carehome={home}", "-o", str(tmp_path / "alone.jsonl")]) == 0
    assert "share" not in capsys.readouterr().err


def test_scans_files_per_second_are_its_readings_and_its_search_for_identical_audio_is_said_apart(
    tmp_path, capsys, monkeypatch
):
    """scan's last line, 'N utterances -> FILE in X s (R files/s)', counted its search for identical audio (of a
    corpus of one's own and the corpora beside it) as reading: the real CSED beside a 32-clip corpus of one's own
    said 218-324 files/s (3 runs, load 7), where its reading ran at 1,184-1,394 and the search took 2.3-2.4 s of
    2.9.  The rate is now the reading's, the search's time said apart; here it is made to take a second, whatever
    the machine."""
    from loaders import identical

    found = identical.identical_audio

    def slow(*args, **kwargs):
        time.sleep(1.0)
        return found(*args, **kwargs)

    monkeypatch.setattr(identical, "identical_audio", slow)
    csed, home, _ = _own_corpus_with_csed_copies(tmp_path / "raw")
    manifest = tmp_path / "m.jsonl"
    assert main(["scan", "-q", "--source", f"csed={csed}", "--source", f"carehome={home}", "-o", str(manifest)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if " -> " in line)
    said = re.fullmatch(
        rf"(\d+) utterances -> {re.escape(str(manifest))} in ([\d.]+) s: read in ([\d.]+) s \((\d+) files/s\), "
        r"then ([\d.]+) s looking for identical audio",
        line,
    )
    assert said, line  # before: '216 utterances -> ... in 1.9 s (112 files/s)', the search's second in it
    count, rate = int(said[1]), int(said[4])
    total_s, read_s, looking_s = (float(said[k]) for k in (2, 3, 5))
    assert looking_s >= 1.0 and abs(total_s - read_s - looking_s) <= 0.11, line
    assert count / (read_s + 0.05) - 1 <= rate <= count / max(read_s - 0.05, 1e-3) + 1, line
    assert main(["scan", "-q", "--source", f"csed={csed}", "-o", str(tmp_path / "csed.jsonl")]) == 0
    assert re.search(r" in [\d.]+ s \(\d+ files/s\)\n", capsys.readouterr().out)  # no corpus of one's own: no search


def test_scan_previews_the_split_of_the_protocol_and_seed_prepare_is_given(tmp_path, capsys):
    """scan had no --protocol or --seed and said prepare's warning of copies in another corpus and another split
    as `prepare --protocol paper` (seed 0) draws it: 4 of 8 copies apart, where `prepare --protocol speaker --seed 3`
    puts 7 apart. scan takes prepare's two flags (same defaults and help, but that its --protocol cites the paper's
    table of each prepare, as it scans corpora of both), draws the split with them, names them."""
    from bimotion.cli import build_parser

    def options(command: str) -> list[tuple]:
        sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
        return [
            (a.option_strings, a.default, a.choices, a.help) for a in sub._actions if a.dest in ("protocol", "seed")
        ]

    scan, prepare = options("scan"), options("prepare")
    assert [o[:3] for o in scan] == [o[:3] for o in prepare] and len(scan) == 2 and scan[1] == prepare[1]
    assert scan[0][3] == prepare[0][3].replace(
        "Table 1 splits", "splits (Table 1 for `bimotion prepare`, Table 2 for `yuemotion prepare`)"
    )
    csed, home, _ = _own_corpus_with_csed_copies(tmp_path / "raw")
    sources = ["--source", f"csed={csed}", "--source", f"carehome={home}"]
    said = {}
    for flags in (["--protocol", "speaker", "--seed", "3"], []):
        assert main(["scan", "-q", *sources, *flags, "-o", str(tmp_path / "m.jsonl")]) == 0
        notes = [line for line in capsys.readouterr().err.splitlines() if "carehome and csed share" in line]
        assert main(["prepare", "-q", *sources, *flags, "-o", str(tmp_path / f"out{len(flags)}")]) == 0
        warning = next(line for line in capsys.readouterr().err.splitlines() if "carehome and csed share" in line)
        named = " ".join(flags) or "--protocol paper --seed 0"
        assert notes == [f"note: `bimotion prepare` ({named}): {warning.removeprefix('warning: ')}"], notes
        said[named] = warning
    assert said["--protocol speaker --seed 3"] != said["--protocol paper --seed 0"]  # the flags change the draw


def test_check_says_copies_within_and_across_corpora_in_the_order_prepare_warns_and_records_them():
    """check listed every corpus's own sets before the sets across corpora, while prepare warns in the order
    prepare.json's identical_audio records them (the sets in id order): with copies across a and b (a/1, the
    first id) and within c, prepare's first warning was of a and b and check's first set named c's copies."""
    from types import SimpleNamespace

    from bimotion.prepare.info import identical_summary, split_apart_lines
    from bimotion.verify_twins import apart_from_first, cross_split_problem, split_apart

    split_of = {"a/1": "train", "b/1": "test", "c/1": "train", "c/2": "test"}
    identical = [("a/1", "b/1"), ("c/1", "c/2")]
    records = [SimpleNamespace(id=i, corpus=i.split("/")[0], emotions=("neutral",)) for i in split_of]
    info = {
        "protocol": "paper",
        "user_split_columns": ["a", "b", "c"],
        "identical_audio": identical_summary(records, identical, split_of, stored=set(split_of)),
    }
    assert list(info["identical_audio"]) == ["a+b", "c"]
    first = split_apart_lines(info["identical_audio"], split_of)[0][1]  # prepare's first warning
    twins = [[(i, split_of[i]) for i in ids] for ids in identical]
    for recorded in (info, None):  # prepare.json's order, or with none recorded the order prepare gives it
        problem = cross_split_problem(apart_from_first(twins), split_apart(twins), recorded)
        sets = problem.split("; ", 1)[1]
        assert first.startswith("a and b share") and sets.startswith("a and b share 1 recording(s)"), problem
        assert "e.g. a/1 (train) and b/1 (test)" in first and "e.g. a/1 (train) and b/1 (test)" in sets
        assert sets.index("a and b share") < sets.index("c holds 1 set(s)"), problem
    reordered = {**info, "identical_audio": dict(reversed(info["identical_audio"].items()))}
    problem = cross_split_problem(apart_from_first(twins), split_apart(twins), reordered)
    assert problem.split("; ", 1)[1].startswith("c holds 1 set(s)"), problem  # as that prepare.json records


def _own_corpus_with_a_relabelled_copy(root: Path) -> Path:
    """A corpus of one's own holding one clip twice (same speaker: one split), labelled differently."""
    home = testing.make_corpus("audiofolder", root, speakers=4, clips_per_speaker=4)
    with (home / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    first = rows[0]
    other = next(label for label in ("anger", "sadness") if label != first["emotion"])
    shutil.copyfile(home / first["file_name"], home / "copy.wav")  # same speaker: the same split
    rows.append({**first, "file_name": "copy.wav", "emotion": other})
    with (home / "metadata.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return home


def test_copies_labelled_differently_in_a_corpus_of_ones_own_are_kept_as_given_not_as_released(tmp_path, capsys):
    """A corpus of one's own (CSED's clips relabelled, as a user prepared them) whose copies carry different
    labels was said to keep them "as released", of a corpus no one released; it keeps them as given."""
    home = _own_corpus_with_a_relabelled_copy(tmp_path / "home")
    assert main(["prepare", "-q", "--source", f"carehome={home}", "-o", str(tmp_path / "out")]) == 0
    note = next(line for line in capsys.readouterr().out.splitlines() if "set(s) of identical audio" in line)
    assert "1 set(s) carry different labels, kept as given (e.g. " in note, note
    assert "released" not in note, note


def test_the_card_says_copies_labelled_differently_in_a_corpus_of_ones_own_are_kept_as_given(tmp_path):
    """prepare's note said a corpus of one's own kept its copies' labels "as given", while its dataset card
    still said "kept as released", of a corpus no one released; the card now says what the note says."""
    home = _own_corpus_with_a_relabelled_copy(tmp_path / "home")
    out = tmp_path / "out"
    assert main(["prepare", "-q", "--source", f"carehome={home}", "-o", str(out)]) == 0
    card = (out / "README.md").read_text(encoding="utf-8")
    line = next(line for line in card.splitlines() if line.startswith("- **Identical audio in carehome:**"))
    assert "1 set(s) labelled differently, kept as given." in line, line
    assert "released" not in line, line
