"""The fix of each skipped input, as `--skip-bad` lists it in OUTPUT.skipped.tsv and as the error of a corpus
whose every file was skipped says it: the fix its error gives, never cut out of the words that offer `--skip-bad`."""

from __future__ import annotations

import csv
import shutil

import pytest

import loaders
from bimotion.cli import main
from loaders import SkipReport, testing
from loaders.errors import BadFileError, LayoutError
from loaders.testing.crema_d import BAD

AGAIN = "copy, download or extract this file again"  # the fix of a file cut short or empty


def _cut(clip, size: int) -> None:
    """``clip`` cut to its first ``size`` bytes, as a copy stopped early leaves it (a file of its own: a
    fixture's clip may be a hard link into a pool)."""
    data = clip.read_bytes()[:size]
    clip.unlink()
    clip.write_bytes(data)


def test_the_skipped_tsv_gives_each_bad_file_its_own_fix_never_the_offer_to_skip_it(tmp_path, capsys):
    """The TSV's fix column was cut out of each error's hint by a regular expression that knew how the hints word
    their offer of --skip-bad ("..., or pass --skip-bad to skip it", "... (or pass --skip-bad)"): an error now keeps
    its fix apart from that offer (``fix``, ``offer``), so a git-LFS pointer, a truncated, an empty and a non-audio
    clip of a CREMA-D tree each have their own fix in the TSV, and the error raised without --skip-bad says
    "FIX, or pass --skip-bad ...", as before (the LFS pointer's offer, "(or pass --skip-bad)" after its fix, in
    those words now too)."""
    root = testing.make_corpus("crema_d", tmp_path / "raw", bad=True)
    audio = root / "AudioWAV"
    empty = sorted(p for p in audio.glob("1*.wav") if p.name not in BAD.values())[-1]
    _cut(empty, 0)
    before = testing.digest(root)
    manifest = tmp_path / "manifest.jsonl"
    assert main(["scan", "-q", "--skip-bad", "--source", f"crema_d={root}", "--output", str(manifest)]) == 0
    err = capsys.readouterr().err
    assert f"every skipped input, with its reason and fix: {manifest}.skipped.tsv" in err, err
    with open(f"{manifest}.skipped.tsv", newline="", encoding="utf-8") as f:
        fixes = {row["reason"]: row["fix"] for row in csv.DictReader(f, delimiter="\t")}
    lfs = (
        "a git clone or GitHub zip made without Git LFS holds pointers, not audio: run `git lfs pull` inside the "
        "clone (or clone it again with Git LFS installed), or download the official release, then run the command again"
    )
    assert fixes == {
        "empty_file": AGAIN,
        "lfs_pointer": lfs,
        "missing_metadata": "restore the official VideoDemographics.csv (91 actors, 1001-1091), or remove this clip",
        "not_audio": "replace it with the original file from the corpus release",
        "truncated": AGAIN,
        "unknown_label": "remove or rename this file",
    }
    assert testing.digest(root) == before  # the corpus folder as it was

    # without --skip-bad: the same fix, and the offer of --skip-bad after it, in the words the errors always said
    for reason, offer in (("truncated", "pass --skip-bad to skip it"), ("lfs_pointer", "pass --skip-bad")):
        alone = shutil.copytree(root, tmp_path / reason, symlinks=True)  # the one bad clip of `reason`
        for other in [empty.name, *(name for bad, name in BAD.items() if bad != reason)]:
            (alone / "AudioWAV" / other).unlink()
        with pytest.raises(BadFileError) as raised:
            loaders.load("crema_d", alone)
        assert (raised.value.reason, raised.value.fix, raised.value.offer) == (reason, fixes[reason], offer)
        assert str(raised.value).endswith(
            f"\n  fix: {fixes[reason]}, or {offer.replace('--skip-bad', 'skip_bad=True')}"
        )


def test_a_corpus_whose_every_clip_is_skipped_says_the_first_ones_fix(tmp_path, capsys):
    """With --skip-bad, a CREMA-D tree whose every clip was cut short stopped with "no usable audio files found
    below this folder (112 skipped as truncated; the first: FILE: ... the file is truncated (without --skip-bad the
    run stops there, with its fix))": what to do about it was only in OUTPUT.failed.skipped.tsv.  The error now
    says the first skip's fix after it."""
    root = testing.make_corpus("crema_d", tmp_path / "raw")
    clips = sorted(p for p in (root / "AudioWAV").glob("*.wav") if not p.name.startswith("."))  # not ._ files
    for clip in clips:
        _cut(clip, 60)  # a header and no samples
    manifest = tmp_path / "manifest.jsonl"
    assert main(["scan", "-q", "--skip-bad", "--source", f"crema_d={root}", "--output", str(manifest)]) == 2
    err = capsys.readouterr().err
    error = next(line for line in err.splitlines() if line.startswith("error: "))
    assert f"skipped as truncated; the first: {clips[0]}: WAV data chunk declares " in error, err
    assert error.endswith(f"the file is truncated; its fix: {AGAIN})"), err
    assert "--skip-bad the run stops there" not in err
    assert "  fix: mend what made it skip them (the first is named above, with its fix); " in err

    report = SkipReport()  # a Python caller's error says it too
    with pytest.raises(LayoutError, match=f"the file is truncated; its fix: {AGAIN}\\)"):
        loaders.load("crema_d", root, skip_bad=True, report=report)
    first = report.examples[("crema_d", "truncated")][0]  # one record a skip: its file, message and fix
    assert (first.file, first.fix) == (str(clips[0]), AGAIN)
