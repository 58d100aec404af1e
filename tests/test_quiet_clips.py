"""Clips far quieter than speech but above silence (peak below ``loaders.levels.QUIET_PEAK_DBFS``):
a muted or unplugged microphone's noise floor passed ``check_not_silent`` (-80 dBFS) and was stored
with its emotion label without a word, though a model's feature extractor scales it up to the level
of speech.  ``prepare`` now names them in one note per corpus, ``prepare.json`` records them
(``quiet``) and ``bimotion check`` shows them as a note, not a problem."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import soundfile

from bimotion.cli import main
from bimotion.features import features
from loaders import testing
from loaders.levels import QUIET_PEAK_DBFS


def _noise_floor(path, peak_dbfs: float, rate_hz: int = 16000, seconds: float = 1.0) -> None:
    """Rewrite ``path`` as 16-bit noise peaking at about ``peak_dbfs`` around its mean: a muted input
    (-75 dBFS: 6 steps of 16-bit audio, the noise a step or two)."""
    steps = round(10 ** (peak_dbfs / 20) * 32768)
    noise = np.clip(np.rint(np.random.default_rng(0).standard_normal(int(rate_hz * seconds))), -2, 2)
    noise[len(noise) // 2] = steps  # the peak, away from the ends (which the peak around the mean leaves out)
    soundfile.write(path, noise.astype(np.int16), rate_hz, subtype="PCM_16")


def test_prepare_and_check_note_a_clip_stored_at_a_noise_floor(tmp_path, capsys):
    raw = testing.make_corpus("tess", tmp_path / "raw")
    _noise_floor(raw / "OAF_back_angry.wav", -75.0)
    out = tmp_path / "prepared"
    # two processes: the peak is measured where the clip is decoded, in a worker, and travels back
    assert main(["prepare", "--source", f"tess={raw}", "--output", str(out), "-q", "--num-proc", "2"]) == 0
    printed = capsys.readouterr().out
    note = (
        "note: tess: 1 clip stored peaks below -50 dBFS (quietest -75 dBFS: tess/OAF_back_angry), far below "
        "speech: most likely only a noise floor (a muted or unplugged microphone)"
    )
    assert note in printed and printed.count("peaks below") == 1, printed
    quiet = json.loads((out / "prepare.json").read_text())["quiet"]
    assert quiet == {
        "tess": {
            "clips": 1,
            "peak_below_dbfs": QUIET_PEAK_DBFS,
            "quietest_peak_dbfs": quiet["tess"]["quietest_peak_dbfs"],
            "listed": ["tess/OAF_back_angry"],
        }
    }
    assert -75.5 < quiet["tess"]["quietest_peak_dbfs"] < -74.5, quiet
    card = (out / "README.md").read_text(encoding="utf-8")  # the dataset card the Hub shows: a caveat
    caveat = "**Very quiet clips:** 1 clip(s) of tess peak below -50 dBFS (quietest -75 dBFS): likely a noise floor"
    assert caveat in card, card
    # stored as it is, labelled; no column was added to carry the peak
    files = sorted((out / "data").rglob("*.parquet"))
    assert {tuple(pq.read_schema(f).names) for f in files} == {tuple(features())}
    ids = [i for f in files for i in pq.read_table(f, columns=["id"]).column("id").to_pylist()]
    assert "tess/OAF_back_angry" in ids
    assert main(["check", str(out)]) == 0  # a note, not a problem
    report = capsys.readouterr().out
    line = "clips peaking below -50 dBFS, far below speech (most likely a noise floor): tess 1 (quietest -75 dBFS)"
    assert line in report and report.rstrip().endswith("OK"), report


def test_a_corpus_of_speech_gives_no_note(tmp_path, capsys):
    """The generated corpora's speech peaks at -13 dBFS or louder (the real CSED's quietest clip at
    -29 dBFS): no note."""
    roots = testing.make_all(tmp_path / "raw", names=("tess",))
    out = tmp_path / "tess"
    assert main(["prepare", "--source", f"tess={roots['tess']}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr().out
    assert "dBFS" not in printed and "quiet" not in json.loads((out / "prepare.json").read_text()), printed
    assert main(["check", str(out)]) == 0 and "noise floor" not in capsys.readouterr().out
    assert "Very quiet clips" not in (out / "README.md").read_text(encoding="utf-8")


KNOWN = (
    "crema_d/1076_MTI_SAD_XX{peak} is a known defect of the crema_d release, not of your copy: near-silent and very "
    "short in every copy of the release (its README: no audio, very short), so another download will not mend it; "
    "{kept} as released, so that the dataset holds the whole release{silent}: nothing to do"
)
SILENT_SKIPPED = " (where your copy is silent, with no audio at all, it skips it, counted as `silent`)"


def test_crema_ds_known_broken_clip_is_named_as_the_releases_defect_not_as_a_clip_to_replace(tmp_path, capsys):
    """The generated CREMA-D, as the release, holds 1076_MTI_SAD_XX.wav, a noise floor labelled sadness.
    It was told "listen to it, and replace or leave out any without speech", as a bad copy of a clip
    would be: every copy of the release has it so, and there is nothing to replace it with.  scan (even
    without decoding: the reader knows it), scan --levels, prepare, check and the card say what it is;
    another quiet clip of the corpus still gets the advice, counted without it."""
    raw = testing.make_corpus("crema_d", tmp_path / "raw")
    assert main(["scan", "--source", f"crema_d={raw}", "--output", str(tmp_path / "m.jsonl"), "-q"]) == 0
    assert (
        "note: " + KNOWN.format(peak="", kept="`prepare` stores it", silent=SILENT_SKIPPED) in capsys.readouterr().err
    )
    args = ["scan", "--source", f"crema_d={raw}", "--output", str(tmp_path / "m.jsonl"), "-q", "--levels"]
    assert main([*args, "--num-proc", "1"]) == 0
    err = capsys.readouterr().err
    assert "note: " + KNOWN.format(peak=" (peak -60 dBFS)", kept="`prepare` stores it", silent="") in err, err
    assert "replace or leave out" not in err and "peaks below" not in err, err
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"crema_d={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr().out
    assert "note: " + KNOWN.format(peak=" (peak -60 dBFS)", kept="stored", silent="") in printed, printed
    assert "replace or leave out" not in printed and "peaks below" not in printed, printed
    info = json.loads((out / "prepare.json").read_text())
    assert "quiet" not in info and list(info["known_defects"]["crema_d"]) == ["crema_d/1076_MTI_SAD_XX"], info
    assert -60.5 < info["known_defects"]["crema_d"]["crema_d/1076_MTI_SAD_XX"] <= -59.5
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "**Known defects of the crema_d release:** crema_d/1076_MTI_SAD_XX: near-silent" in card
    assert "Very quiet clips" not in card
    assert main(["check", str(out)]) == 0
    report = capsys.readouterr().out
    assert "known defects of the releases, stored as released (no copy is better): crema_d/1076_MTI_SAD_XX" in report
    assert "noise floor" not in report and report.rstrip().endswith("OK"), report

    other = next(p for p in sorted(raw.rglob("*.wav")) if p.stem != "1076_MTI_SAD_XX" and p.name[0] != ".")
    _noise_floor(other, -70.0)
    assert main(["prepare", "--source", f"crema_d={raw}", "--output", str(out), "-q", "--overwrite"]) == 0
    printed = capsys.readouterr().out
    assert f"note: crema_d: 1 clip stored peaks below -50 dBFS (quietest -70 dBFS: crema_d/{other.stem})" in printed
    assert "note: " + KNOWN.format(peak=" (peak -60 dBFS)", kept="stored", silent="") in printed, printed


def test_a_silent_copy_of_the_known_defect_is_skipped_and_the_skip_and_scans_note_say_what_it_is(tmp_path, capsys):
    """A copy of 1076_MTI_SAD_XX that is digital silence is skipped by `prepare` (and `scan --levels`)
    as `silent`; a plain `scan` said `prepare` stores it as released, and the skip said only "the audio
    is silent", with the advice for a bad copy.  The note now says a silent copy is skipped, and the
    skip (printed and in the list beside the output) names the known defect and that nothing is to do."""
    raw = testing.make_corpus("crema_d", tmp_path / "raw")
    known = next(raw.rglob("1076_MTI_SAD_XX.wav"))
    soundfile.write(known, np.zeros(3200), 16000, subtype="PCM_16")
    manifest = tmp_path / "m.jsonl"
    assert main(["scan", "--source", f"crema_d={raw}", "--output", str(manifest), "-q"]) == 0
    assert (
        "note: " + KNOWN.format(peak="", kept="`prepare` stores it", silent=SILENT_SKIPPED) in capsys.readouterr().err
    )
    said = (
        f"{known}: the audio is silent (digital silence, or a constant, at most -80 dBFS): crema_d/1076_MTI_SAD_XX "
        "is a known defect of the crema_d release (near-silent and very short in every copy of the release (its "
        "README: no audio, very short)), and this copy has no audio at all, so it is skipped"
    )
    assert main(["scan", "--source", f"crema_d={raw}", "--output", str(manifest), "-q", "--levels"]) == 0
    err = capsys.readouterr().err
    assert said in err and "is a known defect of the crema_d release, not of your copy" not in err, err
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"crema_d={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr()
    assert said in printed.err and "skipped 1 (silent 1)" in printed.out, printed
    listed = (tmp_path / "prepared.skipped.tsv").read_text(encoding="utf-8")
    assert "crema_d\tsilent\t" in listed and "is a known defect of the crema_d release" in listed, listed
    assert "known_defects" not in json.loads((out / "prepare.json").read_text())  # not stored


def test_the_note_names_the_first_three_and_counts_the_rest(tmp_path, capsys):
    raw = testing.make_corpus("tess", tmp_path / "raw")
    quiet = sorted(raw.glob("OAF_*.wav"))[:5]
    for path in quiet:
        _noise_floor(path, -70.0)
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"tess={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr().out
    first = ", ".join(f"tess/{p.stem}" for p in quiet[:3])
    assert f"note: tess: 5 clips stored peak below -50 dBFS (quietest -70 dBFS: {first} and 2 more)" in printed
    assert "listen to them" in printed, printed
    assert json.loads((out / "prepare.json").read_text())["quiet"]["tess"]["clips"] == 5


def _scan(raw, manifest, *options) -> int:
    return main(["scan", "--source", f"tess={raw}", "--output", str(manifest), "-q", *options])


def test_scan_says_it_does_not_measure_levels_and_with_levels_notes_a_noise_floor_as_prepare(tmp_path, capsys):
    """A scan measures no levels (it decodes only a corpus of one's own's possible copies): it says so, in
    one note, instead of leaving a user to think the clips were checked (the note said "a scan reads each
    file's header, not its audio", untrue since scan decodes those copies); ``--levels`` decodes each clip as prepare will (in worker processes here) and words
    the note as prepare does, with the same peak."""
    raw = testing.make_corpus("tess", tmp_path / "raw")
    _noise_floor(raw / "OAF_back_angry.wav", -75.0)
    assert _scan(raw, tmp_path / "plain.jsonl") == 0
    err = capsys.readouterr().err
    assert "note: levels not measured: a scan reads each file's header and measures no clip's level" in err, err
    assert "not its audio" not in err, err  # it decodes a corpus of one's own's possible copies
    assert "corpus of your own" not in err, err  # none was scanned: the note said how it treats one (CSED's scan)
    assert "dBFS" not in err and "--levels" in err
    assert _scan(raw, tmp_path / "levels.jsonl", "--levels", "--num-proc", "2") == 0
    err = capsys.readouterr().err
    note = (
        "note: tess: 1 clip peaks below -50 dBFS (quietest -75 dBFS: tess/OAF_back_angry) (`prepare` will store it), "
        "far below speech: most likely only a noise floor"
    )
    assert note in err and "levels not measured" not in err, err
    assert (tmp_path / "levels.jsonl").read_text() == (tmp_path / "plain.jsonl").read_text()  # nothing left out
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"tess={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    assert "note: tess: 1 clip stored peaks below -50 dBFS (quietest -75 dBFS: tess/OAF_back_angry)" in (
        capsys.readouterr().out
    )


def test_scan_levels_refuses_a_silent_clip_as_prepare_does_or_skips_it_with_skip_bad(tmp_path, capsys):
    raw = testing.make_corpus("tess", tmp_path / "raw")
    soundfile.write(raw / "OAF_back_angry.wav", np.zeros(3200), 16000, subtype="PCM_16")
    assert _scan(raw, tmp_path / "plain.jsonl") == 0  # its header is a good one
    capsys.readouterr()
    assert _scan(raw, tmp_path / "strict.jsonl", "--levels", "--num-proc", "1") != 0
    err = capsys.readouterr().err
    assert "OAF_back_angry.wav: the audio is silent" in err and "--skip-bad" in err, err
    assert not (tmp_path / "strict.jsonl").exists()
    assert _scan(raw, tmp_path / "skipped.jsonl", "--levels", "--skip-bad", "--num-proc", "1") == 0
    err = capsys.readouterr().err
    assert "silent" in err and "tess/OAF_back_angry" not in (tmp_path / "skipped.jsonl").read_text(), err
    kept = (tmp_path / "skipped.jsonl").read_text().splitlines()
    assert len(kept) == len((tmp_path / "plain.jsonl").read_text().splitlines()) - 1
