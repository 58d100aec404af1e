"""Every file below a corpus root is read or reported (issue 10): unreadable folders, stray names,
FIFOs, names that are not UTF-8, clips too short to train on, and `scan -o` onto a bad path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile

import loaders
from bimotion.cli import main
from loaders import BadFileError, SkipReport, files, testing
from loaders.base import MIN_DURATION_S
from loaders.manifest import read_manifest, write_manifest
from loaders.testing import FixtureWriter
from loaders.testing.mangle import add_browser_files, copy_names

DATA = Path("Training Data (wav)")

# Runs a reader in a child process without root's privileges (as root, chmod 000 does not stop
# reading), importing everything first: the interpreter's packages may not be readable by nobody.
CHILD = r"""
import difflib, json, os, pwd, sys
import encodings.cp1252, encodings.gb18030, encodings.latin_1, encodings.utf_16, encodings.utf_8_sig
import loaders, loaders.audio, loaders.audiofolder, loaders.csed, loaders.esd, loaders.iemocap, yaml
from loaders import SkipReport
from loaders.errors import CorpusError
if os.geteuid() == 0:
    nobody = pwd.getpwnam("nobody")
    os.setgroups([])
    os.setgid(nobody.pw_gid)
    os.setuid(nobody.pw_uid)
name, root = sys.argv[1:3]
try:
    loaders.load(name, root)
    strict = None
except CorpusError as err:
    strict = [err.reason, str(err.path)]
report = SkipReport()
try:
    read = len(loaders.load(name, root, skip_bad=True, report=report))
except CorpusError as err:  # a layout error stops a lenient read too
    print(json.dumps({"strict": strict, "fatal": str(err)}))
else:
    messages = {f"{c}/{r}": [skip.message for skip in found] for (c, r), found in report.examples.items()}
    print(json.dumps({"strict": strict, "read": read, "skipped": report.to_dict(), "messages": messages}))
"""


def run_reader(name: str, root: Path) -> dict:
    """The reader's strict error and lenient result, from a child process (which also cannot hang
    the test run on a FIFO)."""
    proc = subprocess.run([sys.executable, "-c", CHILD, name, str(root)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def open_dir():
    """A folder that an unprivileged user may read (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="bimotion-drops-"))
    folder.chmod(0o755)
    yield folder
    for dirpath, _, _ in os.walk(folder):
        os.chmod(dirpath, 0o755)
    shutil.rmtree(folder)


def readable_by_all(root: Path) -> None:
    for dirpath, _, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(Path(dirpath) / name, 0o644)


@pytest.mark.parametrize("name, folder", [("csed", DATA / "Natural"), ("esd", Path("0001") / "Angry")])
def test_an_unreadable_folder_is_reported_not_skipped(open_dir, name, folder):
    root = testing.make_corpus(name, open_dir)
    all_read = len(loaders.load(name, root))
    lost = len(list((root / folder).rglob("*.wav")))
    assert lost > 0
    readable_by_all(open_dir)
    (root / folder).chmod(0o000)
    result = run_reader(name, root)
    assert result["strict"] == ["unreadable_folder", str(root / folder)]
    assert result["read"] == all_read - lost
    assert result["skipped"] == {f"{name}/unreadable_folder": 1}


@pytest.mark.parametrize(
    ("name", "folder", "reason"),
    [
        ("elderreact", "ElderReact_Data/ElderReact_dev", "missing_audio"),
        ("iemocap", "Session2/sentences/wav", "missing_audio"),
        ("audiofolder", "clips/ind-eld-s1", "missing_file"),
    ],
)
def test_a_listed_clip_in_a_folder_that_cannot_be_listed_is_not_said_to_be_missing(open_dir, name, folder, reason):
    """A metadata row's clip below an unlistable folder was a missing_audio "re-extract the session's
    sentences/wav folder" or "copy the missing video from the release", in your own corpus a missing_file
    "there is no such file below the corpus folder": the clip is there, its folder's permissions are the
    fix, and the row's report says so."""
    root = testing.make_corpus(name, open_dir)
    readable_by_all(open_dir)
    (root / folder).chmod(0o000)
    result = run_reader("carehome" if name == "audiofolder" else name, root)
    assert result["strict"] == ["unreadable_folder", str(root / folder)]
    rows = result["messages"][f"{'carehome' if name == 'audiofolder' else name}/{reason}"]
    assert rows and all(
        m.endswith(f"it may be in {root / folder}, which could not be listed (unreadable_folder)") for m in rows
    )


def test_a_corpus_whose_audio_is_all_behind_unlistable_folders_says_to_fix_their_permissions(open_dir):
    """Every audio folder unlistable, --skip-bad read nothing and said "check that this folder holds
    the csed release": the files are there, their folders' permissions are the fix."""
    root = testing.make_corpus("csed", open_dir)
    readable_by_all(open_dir)
    (root / DATA).chmod(0o000)
    result = run_reader("csed", root)
    assert "1 skipped as unreadable folder" in result["fatal"]
    assert "make the folders it could not list readable (their permissions), then run again" in result["fatal"]


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("iemocap", Path("Session1/dialog/EmoEvaluation/Ses01F_impro01.txt")),
        ("iemocap", Path("Session1/dialog/EmoEvaluation")),
        ("esd", Path("0001/0001.txt")),
    ],
)
def test_unreadable_metadata_is_one_error_naming_it_even_when_skipping(open_dir, name, target):
    """IEMOCAP's evaluation files and folder and ESD's transcripts: a PermissionError traceback
    (with --skip-bad too), or for ESD "audio by content, but esd clips are named *.wav"."""
    root = testing.make_corpus(name, open_dir)
    readable_by_all(open_dir)
    (root / target).chmod(0o000)
    result = run_reader(name, root)
    reason = "unreadable_folder" if (root / target).is_dir() else "unreadable"
    assert result["strict"] == [reason, str(root / target)], result
    assert str(root / target) in result["fatal"] and "Permission denied" in result["fatal"], result
    assert "make it readable" in result["fatal"], result


def test_an_unreadable_second_copy_of_an_evaluation_file_is_unreadable_not_other_bytes(open_dir):
    """'Ses01F_impro01 (1).txt' that cannot be read was "a second copy ..., but its bytes differ": whether
    they do cannot be told, and its permissions are the fix."""
    root = testing.make_corpus("iemocap", open_dir)
    evaluation = root / "Session1" / "dialog" / "EmoEvaluation"
    copy = evaluation / "Ses01F_impro01 (1).txt"
    shutil.copyfile(evaluation / "Ses01F_impro01.txt", copy)
    readable_by_all(open_dir)
    copy.chmod(0o000)
    result = run_reader("iemocap", root)
    assert result["strict"] == ["unreadable", str(copy)], result
    assert result["skipped"] == {"iemocap/unreadable": 1}, result


@pytest.mark.parametrize("kind", ["unreadable", "fifo"])
def test_an_own_corpus_metadata_file_that_cannot_be_read_is_named(open_dir, kind):
    """An unreadable metadata.csv is found by the one lookup (loaders.metafiles.metadata_files) and
    its read names it; a FIFO of that name was passed over ("unknown corpus ... holds no
    metadata.csv"), and is now named, never opened (this runs in a child: a hang would time out)."""
    root = testing.make_corpus("audiofolder", open_dir)
    readable_by_all(open_dir)
    meta = root / "metadata.csv"
    if kind == "fifo":
        meta.unlink()
        os.mkfifo(meta)
    else:
        meta.chmod(0o000)
    result = run_reader("carehome", root)
    assert result["strict"] == [{"fifo": "not_a_file"}.get(kind, kind), str(meta)], result
    assert str(meta) in result["fatal"], result
    assert ("a FIFO, socket or device" if kind == "fifo" else "make it readable") in result["fatal"], result


def test_an_unreadable_file_beside_the_clips_is_reported_as_unreadable(open_dir):
    """Not "audio by content, but csed clips are named *.wav": whether it is audio cannot be told."""
    root = testing.make_corpus("csed", open_dir)
    notes = root / DATA / "Natural" / "notes.txt"
    notes.write_text("recorded in 2019")
    readable_by_all(open_dir)
    notes.chmod(0o000)
    result = run_reader("csed", root)
    assert result["strict"] == ["unreadable", str(notes)], result
    assert result["read"] == 12 and result["skipped"] == {"csed/unreadable": 1}, result


def test_a_fifo_named_wav_is_reported_and_never_opened(open_dir):
    root = testing.make_corpus("csed", open_dir)
    fifo = root / DATA / "Natural" / "Nat_Female-9.wav"
    os.mkfifo(fifo)
    readable_by_all(open_dir)
    result = run_reader("csed", root)
    assert result["strict"] == ["not_regular_file", str(fifo)]
    assert result["read"] == 12 and result["skipped"] == {"csed/not_regular_file": 1}


@pytest.fixture
def csed(tmp_path) -> Path:
    return testing.make_corpus("csed", tmp_path / "src")


def copy_clip(root: Path, target: Path | bytes) -> None:
    shutil.copyfile(root / DATA / "Natural" / "Nat_Female-1.wav", target)


def strict_and_lenient(name: str, root: Path) -> tuple[BadFileError, list, SkipReport]:
    with pytest.raises(BadFileError) as err:
        loaders.load(name, root)
    report = SkipReport()
    return err.value, loaders.load(name, root, skip_bad=True, report=report), report


def test_audio_outside_the_class_folders_is_reported(csed):
    copy_clip(csed, csed / DATA / "Nat_Female-9.wav")  # a stray among well-named files
    (csed / DATA / "notes.wav").write_text("not audio: counted, not an error")
    err, records, report = strict_and_lenient("csed", csed)
    assert err.reason == "unexpected_location" and err.path == csed / DATA / "Nat_Female-9.wav"
    assert len(records) == 12 and report.to_dict() == {"csed/unexpected_location": 1}
    assert report.files[("csed", "not_audio")] == 6  # Readme.md, LICENSE, .DS_Store, ._ file, notes.wav, SYNTHETIC.md


def test_tess_reads_a_truncated_speaker_prefix_and_reports_other_audio(tmp_path):
    root = testing.make_corpus("tess", tmp_path / "t", layout="b")
    expected = [r.id for r in loaders.load("tess", root)]
    folder = next(p for p in root.rglob("OAF_angry") if p.is_dir())
    (folder / "OAF_back_angry.wav").rename(folder / "AF_back_angry.wav")
    (folder / "OAF_bar_angry.wav").rename(folder / "bar_angry.wav")
    records = {r.id: r for r in loaders.load("tess", root)}
    assert sorted(records) == expected  # the folder names the speaker the file name lacks
    assert records["tess/OAF_back_angry"].path.endswith("AF_back_angry.wav")
    shutil.copyfile(folder / "bar_angry.wav", root / "recording 7.wav")
    err, records, report = strict_and_lenient("tess", root)
    assert err.reason == "bad_name" and err.path == root / "recording 7.wav"
    assert len(records) == len(expected) and report.to_dict() == {"tess/bad_name": 1}


def test_a_name_that_is_not_utf8_is_a_counted_skip_end_to_end(csed, tmp_path, capsys):
    natural = os.fsencode(csed / DATA / "Natural")
    copy_clip(csed, os.path.join(natural, b"Nat_Female-9\xff.wav"))
    err, records, report = strict_and_lenient("csed", csed)
    assert err.reason == "undecodable_name" and "rename it" in str(err)
    assert "Nat_Female-9\\xff.wav" in str(err)  # printable, and names the file
    str(err).encode("utf-8")
    assert len(records) == 12 and report.to_dict() == {"csed/undecodable_name": 1}
    manifest = tmp_path / "m.jsonl"
    assert main(["scan", "-q", "--skip-bad", "--source", f"csed={csed}", "--output", str(manifest)]) == 0
    assert len(manifest.read_text(encoding="utf-8").splitlines()) == 12
    assert "undecodable_name" in capsys.readouterr().err


@pytest.mark.parametrize("num_samples", [1, int(MIN_DURATION_S * 44100)])
def test_a_clip_too_short_to_train_on_is_rejected(csed, num_samples):
    short = csed / DATA / "Natural" / "Nat_Female-9.wav"
    soundfile.write(short, np.zeros(num_samples, dtype=np.float32), 44100, subtype="PCM_16")
    err, records, report = strict_and_lenient("csed", csed)
    assert err.reason == "too_short" and err.path == short and "pass skip_bad=True" in str(err)
    assert len(records) == 12 and report.to_dict() == {"csed/too_short": 1}


def test_a_clip_of_the_minimum_duration_is_read(csed):
    clip = csed / DATA / "Natural" / "Nat_Female-9.wav"
    soundfile.write(clip, np.zeros(int(MIN_DURATION_S * 16000) + 1, dtype=np.float32), 16000, subtype="PCM_16")
    assert len(loaders.load("csed", csed)) == 13


def test_scan_summary_counts_files_seen_read_skipped_and_not_audio(tmp_path, capsys):
    root = testing.make_corpus("csed", tmp_path / "src", bad=True)
    assert main(["scan", "-q", "--skip-bad", "--source", f"csed={root}", "--output", str(tmp_path / "m.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "csed  files seen 21, read 12, skipped 4 (" in out and "other files (not audio) 5" in out  # + SYNTHETIC.md


@pytest.mark.parametrize("name", loaders.READERS)
def test_every_file_seen_is_read_skipped_or_not_audio_and_row_skips_are_apart(tmp_path, name):
    """seen = read + skipped files + not audio + duplicates, for every reader's bad release with a
    broken link, a FIFO and a name that is not UTF-8 beside its clips (these were skipped but not
    seen); metadata rows without a file (IEMOCAP, ElderReact, YueMotion) are counted apart."""
    root = testing.make_corpus(name, tmp_path / "src", bad=True)
    clip = max((p for p in root.rglob("*") if p.suffix in (".wav", ".mp4")), key=lambda p: (len(p.parts), str(p)))
    (clip.parent / f"broken{clip.suffix}").symlink_to(tmp_path / "nowhere.wav")
    os.mkfifo(clip.parent / f"fifo{clip.suffix}")
    (clip.parent / os.fsdecode(b"bad\xff" + clip.suffix.encode())).write_bytes(clip.read_bytes())
    report = SkipReport()
    read = len(loaders.load(name, root, skip_bad=True, report=report))
    n = {kind: report.files[(name, kind)] for kind in ("seen", "read", "not_audio", "duplicate", "not_read")}
    file_skips = sum(k for (corpus, _), k in report.file_skips.items() if corpus == name)
    accounted = read + file_skips + n["not_audio"] + n["duplicate"] + n["not_read"]
    assert n["read"] == read and n["seen"] == accounted, (n, report.counts)
    for reason in ("broken_link", "not_regular_file", "undecodable_name"):
        assert report.file_skips[(name, reason)] == 1
    line = report.format_files().splitlines()[1]
    assert f"files seen {n['seen']}, read {read}, skipped {file_skips} (" in line
    others = report.total - file_skips
    assert (f"; besides files, metadata rows and folders skipped {others} (" in line) == (others > 0), line


def test_a_link_to_nothing_or_a_loop_of_links_says_so_and_how_to_go_on(tmp_path, capsys):
    """Both were "cannot stat the file (No such file or directory)" (of a file just listed) or "(Too many
    levels of symbolic links)", with the fix "fix or remove the link" and no word of --skip-bad."""
    root = testing.make_corpus("csed", tmp_path / "src")
    folder = root / DATA / "Natural"
    (folder / "moved.wav").symlink_to(tmp_path / "elsewhere" / "moved.wav")
    (folder / "a.wav").symlink_to("b.wav")
    (folder / "b.wav").symlink_to("a.wav")
    with pytest.raises(BadFileError) as err:
        loaders.load("csed", root)
    assert err.value.reason == "broken_link" and "pass --skip-bad" in err.value.hint
    report = SkipReport()
    loaders.load("csed", root, skip_bad=True, report=report)
    assert report.file_skips[("csed", "broken_link")] == 3
    manifest = tmp_path / "m.jsonl"
    assert main(["scan", "-q", "--skip-bad", "--source", f"csed={root}", "--output", str(manifest)]) == 0
    err = capsys.readouterr().err
    assert f"{folder / 'moved.wav'}: a link to {tmp_path / 'elsewhere' / 'moved.wav'}, which does not exist" in err
    assert f"{folder / 'a.wav'}: a link to b.wav, which cannot be followed (Too many levels of symbolic links)" in err


@pytest.mark.parametrize("name", loaders.READERS)
def test_a_link_loop_or_a_second_link_to_a_folder_reads_each_file_once(tmp_path, name):
    root = testing.make_corpus(name, tmp_path / "src")
    expected = sorted(r.id for r in loaders.load(name, root))
    deepest = max((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), default=root)
    (deepest / "up").symlink_to(os.path.relpath(root, deepest))  # back to the root: a loop
    (deepest / "above").symlink_to(root.parent, target_is_directory=True)  # above the root: a loop too
    for link in ("!again", "zz_again"):  # a second way into a folder, walked before it and after it
        (root / link).symlink_to(deepest, target_is_directory=True)
    report = SkipReport()
    records = loaders.load(name, root, report=report)
    assert sorted(r.id for r in records) == expected and len(report.to_dict()) == 0
    assert not any(part in r.path for r in records for part in ("/up/", "/above/", "again"))
    elsewhere = tmp_path / "elsewhere"  # the root a link into the corpus: the corpus is read through it
    elsewhere.mkdir()
    (elsewhere / "corpus").symlink_to(root, target_is_directory=True)
    assert sorted(r.id for r in loaders.load(name, elsewhere)) == expected


@pytest.mark.parametrize("where", ["folder", "below a file", "unwritable", "not .jsonl"])
def test_scan_output_onto_a_bad_path_is_one_line_and_leaves_nothing(csed, tmp_path, capsys, where):
    (tmp_path / "out").mkdir()
    (tmp_path / "file").write_text("x")
    output = {
        "folder": tmp_path / "out",
        "below a file": tmp_path / "file" / "m.jsonl",
        "unwritable": Path("/proc/bimotion-test/m.jsonl"),  # /proc takes no new files, even from root
        "not .jsonl": tmp_path / "m.csv",  # a manifest is JSON Lines whatever its name: refused, not mislabelled
    }[where]
    before = sorted(tmp_path.rglob("*"))
    assert main(["scan", "-q", "--source", f"csed={csed}", "--output", str(output)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --output {output}: ") and len(err.strip().splitlines()) == 1
    assert sorted(tmp_path.rglob("*")) == before


def test_a_failed_manifest_write_leaves_no_temporary_file(csed, tmp_path):
    records = loaders.load("csed", csed)
    (tmp_path / "m.jsonl").mkdir()
    with pytest.raises(IsADirectoryError):
        write_manifest(records, tmp_path / "m.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.jsonl", "src"]  # the folder, no temporary file


def test_two_runs_writing_one_manifest_never_mix_their_lines(csed, tmp_path):
    """Each run writes through a temporary file of its own: the manifest is one run's, whole."""
    from concurrent.futures import ThreadPoolExecutor

    records = loaders.load("csed", csed)
    runs = {"a": records * 40, "b": records[::-1] * 40}  # thousands of lines each, in two orders
    out = tmp_path / "out" / "m.jsonl"
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(write_manifest, r, out) for r in runs.values()]:
            done.result()  # a writer's exception fails the test
    ids = [r.id for r in read_manifest(out)]
    assert ids in ([r.id for r in runs["a"]], [r.id for r in runs["b"]])
    assert [p.name for p in out.parent.iterdir()] == ["m.jsonl"]


NEEDS_FFMPEG = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ElderReact fixture needs ffmpeg")


@pytest.mark.parametrize("corpus, pattern", [("crema_d", "VideoDemographics.csv"), ("yuemotion", "*_metadata.csv"),
                                             pytest.param("elderreact", "*_labels.txt", marks=NEEDS_FFMPEG)])  # fmt: skip
def test_a_metadata_file_in_another_encoding_is_read_as_utf16_or_named_in_the_error(corpus, pattern, tmp_path):
    """UTF-16 with its BOM (what Windows tools save) reads as the UTF-8 original; Latin-1 is not
    guessed: the error names the file and the byte (it was a UnicodeDecodeError traceback)."""
    root = testing.make_corpus(corpus, tmp_path / corpus)
    table = sorted(root.rglob(pattern))[0]
    text = table.read_text(encoding="utf-8")
    expected = [r.to_dict() for r in loaders.load(corpus, root)]
    table.write_bytes(text.encode("utf-16"))
    assert [r.to_dict() for r in loaders.load(corpus, root)] == expected
    table.write_bytes((text + "caf\xe9\n").encode("latin-1"))
    for skip_bad in (False, True):
        with pytest.raises(loaders.CorpusError, match=r"not UTF-8 \(byte 0xe9") as err:
            loaders.load(corpus, root, skip_bad=skip_bad)
        assert str(table) in str(err.value) and "iconv" in str(err.value)


def test_a_killed_writers_temporary_file_is_removed_by_the_next_run(csed, tmp_path):
    """Only the orphans of processes that are gone: a live process's file is left alone."""
    out = tmp_path / "out" / "m.jsonl"
    out.parent.mkdir()
    machine = files.machine_id()
    orphan = out.with_name(f".m.jsonl.{machine}-{2**22 + 1}.0000dead.tmp")  # above Linux's largest pid: no such process
    live = out.with_name(f".m.jsonl.{machine}-{os.getpid()}.0000b5e1.tmp")
    for path in (orphan, live):
        path.write_text("half a manifest")
    write_manifest(loaders.load("csed", csed), out)
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([live.name, "m.jsonl"])


def test_skips_without_a_report_to_show_them_are_one_warning(tmp_path):
    """``skip_bad=True`` with no ``report`` used to drop the bad files without a word."""
    from loaders.errors import InputWarning

    root = testing.make_corpus("csed", tmp_path / "src", bad=True)
    with pytest.warns(InputWarning, match=r"^csed: skipped 4 bad input\(s\) \(.*\); pass report=SkipReport\(\)"):
        records = loaders.load("csed", root, skip_bad=True)
    assert len(records) == 12
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaders.load("csed", root, skip_bad=True, report=SkipReport())  # the caller's report shows them: no warning
        loaders.load("csed", testing.make_corpus("csed", tmp_path / "good"), skip_bad=True)  # nothing skipped


def test_errors_name_the_keyword_for_python_callers_and_the_flag_on_the_command_line(tmp_path, capsys):
    """A Python caller was told to "pass --skip-bad"; it is told skip_bad=True, the command line --skip-bad."""
    root = testing.make_corpus("csed", tmp_path / "src", bad=True)
    with pytest.raises(BadFileError) as caught:
        loaders.load("csed", root)
    assert "skip_bad=True" in str(caught.value) and "--skip-bad" not in str(caught.value)
    assert main(["scan", "-q", "--source", f"csed={root}", "--output", str(tmp_path / "m.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "--skip-bad" in err and "skip_bad=True" not in err
    with pytest.raises(BadFileError, match="skip_bad=True"):  # and for Python again after the command returned
        loaders.load("csed", root)


def test_skip_and_file_summaries_stay_aligned_with_a_long_corpus_name(tmp_path):
    """A user's own corpus may be named ``carehome_recordings_2024``: the columns widen with it (they
    were fixed at 11 and 18 characters, so its rows stood out of line)."""
    report = SkipReport()
    for corpus, reason in [("csed", "corrupt"), ("carehome_recordings_2024", "unknown_label_in_metadata")]:
        report.add(corpus, BadFileError(tmp_path / "x.wav", reason, "bad"))
        report.files[(corpus, "seen")] += 1
    counts = [line for line in report.format().splitlines() if line.startswith("  ") and not line.startswith("    ")]
    assert [line.rindex("1") for line in counts] == [len(counts[0]) - 1] * 2, counts
    assert {line.find("corrupt") for line in counts} - {-1} == {line.find("unknown_label") for line in counts} - {-1}
    files = report.format_files().splitlines()[1:]
    assert files[0].index("files seen") == files[1].index("files seen"), files


def test_folders_never_searched_are_counted_and_a_row_pointing_into_one_says_so(tmp_path, csed):
    """Hidden folders (and __MACOSX) are not searched: their files were absent from every count, and
    a metadata row naming a clip inside one was "no such file", though the file was there."""
    hidden = csed / DATA / "Natural" / ".old"
    hidden.mkdir()
    copy_clip(csed, hidden / "Nat_Female-1.wav")
    (csed / "__MACOSX").mkdir()
    report = SkipReport()
    assert len(loaders.load("csed", csed, report=report)) == 12  # the copy in .old/ is not read
    assert report.files[("csed", "hidden_folder")] == 2
    assert "hidden folders not searched 2 (.*, __MACOSX, $RECYCLE.BIN, ...)" in report.format_files()
    own = testing.make_corpus("audiofolder", tmp_path / "own")
    (own / "clips" / ".takes").mkdir()
    shutil.copyfile(next((own / "clips").rglob("*.wav")), own / "clips" / ".takes" / "a.wav")
    with open(own / "metadata.csv", "a", encoding="utf-8") as f:
        f.write("clips/.takes/a.wav,marah,ind,70,,f,s9,x\n")
    with pytest.raises(BadFileError, match=r"it is inside \.takes/, a folder that is never searched"):
        loaders.load("carehome", own)


def test_a_clip_in_the_windows_recycle_bin_is_no_clip(tmp_path, csed):
    """A corpus on a USB stick, given by the stick's root: a clip deleted on Windows waits in
    $RECYCLE.BIN (its folder renamed $R..., its own name kept) and was read as a live clip (TESS,
    ESD, YueMotion) or stopped the run as a wav outside the class folders (CSED)."""
    stick = tmp_path / "stick"
    corpus = Path(shutil.copytree(csed, stick / csed.name))
    clip = corpus / DATA / "Natural" / "Nat_Female-1.wav"
    deleted = stick / "$RECYCLE.BIN" / "S-1-5-21-1004" / "$RAB12CD"
    deleted.mkdir(parents=True)
    clip.rename(deleted / clip.name)
    (stick / "System Volume Information").mkdir()
    (stick / "System Volume Information" / "IndexerVolumeGuid").write_text("{0}")
    report = SkipReport()
    records = loaders.load("csed", stick, report=report)
    assert len(records) == 11 and all("RECYCLE" not in r.path for r in records)
    assert report.files[("csed", "hidden_folder")] == 2 and report.files[("csed", "seen")] == len(records) + 5


def test_a_name_holding_backslashes_is_reported_as_a_zip_unpacked_with_them(csed):
    """A zip made by Windows PowerShell's Compress-Archive stores 'Natural\\Nat_Female-1.wav', which
    Python's zipfile unpacks as one file of that name: it was an unexpected_location ("a wav outside the
    class folders"), whose fix (move it into its class folder) missed that the whole tree was unpacked so."""
    clip = csed / DATA / "Natural" / "Nat_Female-1.wav"
    flat = csed / DATA / "Natural\\Nat_Female-1.wav"
    clip.rename(flat)
    err, records, report = strict_and_lenient("csed", csed)
    assert (err.reason, err.path) == ("backslash_name", flat)
    assert "unpack the zip again with `unzip` (Info-ZIP) or 7-Zip" in err.hint
    assert len(records) == 11 and report.to_dict() == {"csed/backslash_name": 1}


@pytest.mark.parametrize("name", [*loaders.READERS, "audiofolder"])
def test_a_corpus_unpacked_with_backslashes_in_its_names_says_so_first(tmp_path, name, capsys):
    """CREMA-D unpacked from a zip made on Windows (files named 'AudioWAV\\1001_DFA_ANG_XX.wav', no
    AudioWAV/) stopped at "no AudioWAV/ folder: point at the CREMA-D folder" (and IEMOCAP at "no usable
    audio files"), which the user was doing: every reader's first error now says how the names came to
    be and to unpack the zip again, skip_bad or not."""
    from loaders.errors import CorpusError
    from loaders.testing.mangle import unpacked_with_backslashes

    root = testing.make_corpus(name, tmp_path / "raw", **({"layout": "b"} if name == "tess" else {}))
    moved = unpacked_with_backslashes(root)  # TESS's layout b: OAF_angry/OAF_back_angry.wav ...
    assert moved > 10
    for skip_bad in (False, True):
        with pytest.raises(CorpusError) as caught:
            loaders.load("carehome" if name == "audiofolder" else name, root, skip_bad=skip_bad, report=SkipReport())
        if skip_bad and caught.value.reason == "empty_corpus":  # every clip skipped as named with backslashes
            assert "skipped as backslash name" in caught.value.message
            continue
        assert caught.value.reason.startswith("backslash_name"), caught.value
        assert "\\" in caught.value.path.name and "a zip made on Windows" in caught.value.message
        assert "unpack the zip again with `unzip` (Info-ZIP) or 7-Zip" in caught.value.hint
    if name == "crema_d":
        assert main(["prepare", "--source", f"crema_d={root}", "-o", str(tmp_path / "out")]) != 0
        err = capsys.readouterr().err
        assert (
            "CREMA-D/AudioWAV\\1001_IEO_ANG_HI.wav: crema_d: no AudioWAV/ folder at or below this folder; "
            f"but {moved} file(s) below" in err
        )
        assert "have names holding '\\', like this one: a zip made on Windows" in err


@pytest.mark.parametrize("name", [*loaders.READERS, "audiofolder"])
def test_a_second_copy_named_by_a_browser_or_a_file_manager_is_read_once_or_reported_as_one(tmp_path, name):
    """'1001_DFA_ANG_XX (1).wav' (a browser's second download, Windows's paste: 'x - Copy.wav') was a
    bad_name ("not {ActorID}_..."), an unlisted_file in your own corpus; and so, until they were in
    loaders.copies.COPY_NAMES, were the copies Explorer names in German, French or Spanish ('x - Kopie.wav'),
    Finder's ('x copy 2.wav') and GNOME's ('x (another copy).wav'). With the bytes of the file beside it, a
    copy in any of these forms is read once as that file, counted as a duplicate copy and named in one
    warning; with other bytes, or beside no such file, it is an error (reason copy_name) saying which file
    it copies, what named it so and what to do, or with skip_bad a counted skip.  In your own corpus a
    file beside no such file is one no row lists ('interview (2019).wav' is no copy): unlisted_file."""
    from loaders.errors import InputWarning

    corpus = "carehome" if name == "audiofolder" else name
    root = testing.make_corpus(name, tmp_path / "raw")
    before = SkipReport()
    records = loaders.load(corpus, root, report=before)
    first, other = (Path(r.path) for r in records[:2])
    copies = [first.with_name(copy) for copy in copy_names(first.name)]
    for copy in copies:
        shutil.copyfile(first, copy)
    add_browser_files(first.parent)  # ._x (1).wav beside ._x.wav: resource forks, not copies of a clip
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"named as a browser or a file manager names a second copy") as said:
        again = loaders.load(corpus, root, report=report)
    assert [r.id for r in again] == [r.id for r in records] and not report
    assert f"and {len(copies) - 1} more" in str(said[0].message)
    assert report.files[(corpus, "duplicate")] == before.files[(corpus, "duplicate")] + len(copies)
    assert report.files[(corpus, "seen")] > before.files[(corpus, "seen")] + len(copies)
    for copy in copies:
        shutil.copyfile(other, copy)  # another recording under the copy's name: which one is right?
    alone = first.with_name(f"{first.stem}x (2){first.suffix}")  # walked after the copies
    shutil.copyfile(other, alone)
    with pytest.raises(BadFileError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        loaders.load(corpus, root)
    differs = min(copies)  # the first walked
    assert (caught.value.reason, caught.value.path) == ("copy_name", differs)
    assert f"a second copy of {first.name}, but its bytes differ" in caught.value.message
    assert caught.value.hint.startswith(f"keep the right one as {first.name} and delete the other")
    assert "is not the" not in caught.value.hint  # not "no crema_d file was read before this one"
    report = SkipReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        assert len(loaders.load(corpus, root, skip_bad=True, report=report)) == len(records)
    messages = {skip.file: skip.message for skip in report.examples[(corpus, "copy_name")]}
    explorer = first.with_name(f"{first.stem} - Copy{first.suffix}")
    assert f"named as Windows Explorer in English names a second copy of {first.name}," in messages[str(explorer)]
    gone = f"{first.stem}x{first.suffix}"
    if name == "audiofolder":  # a file no row lists, beside no file it could copy: 'interview (2019).wav'
        assert report.to_dict() == {f"{corpus}/copy_name": len(copies), f"{corpus}/unlisted_file": 1}
        assert str(alone) in [skip.file for skip in report.examples[(corpus, "unlisted_file")]]
        return
    assert report.to_dict() == {f"{corpus}/copy_name": len(copies) + 1}
    assert report.file_skips[(corpus, "copy_name")] == len(copies) + 1
    assert messages[str(alone)].endswith(f"second copy of {gone}, and there is no {gone} beside it")


@pytest.mark.parametrize("name", loaders.READERS)
def test_a_folder_pasted_beside_itself_is_read_once_or_reported_file_by_file(tmp_path, name):
    """Explorer's paste of a folder beside itself ('Angry - Copy/', here the whole corpus: 'YueMotion - Copy/')
    read each clip twice: YueMotion, IEMOCAP and ElderReact stopped at "duplicate_id", CREMA-D at "several
    copies", ESD read the copy's speaker folders, CSED and ESD reported each clip of a copied class or
    emotion folder as a bad location.
    A folder named as a second copy of the folder beside it is that folder's copy, file by file: a file
    with the bytes of its counterpart is read once, as that file, counted as a duplicate copy and named in
    one warning; one with other bytes is a copy_name error naming the counterpart."""
    from loaders.errors import InputWarning

    root = testing.make_corpus(name, tmp_path / "raw")
    before = SkipReport()
    records = loaders.load(name, root, report=before)
    copy = Path(shutil.copytree(root, root.with_name(f"{root.name} - Copy")))
    report = SkipReport()
    with pytest.warns(InputWarning, match=r"names a second copy of a file \(or its folder\) beside it") as said:
        again = loaders.load(name, root.parent, report=report)
    assert [(r.id, r.path) for r in again] == [(r.id, r.path) for r in records] and not report
    copied = report.files[(name, "duplicate")] - before.files[(name, "duplicate")]
    assert copied >= len(records) and report.files[(name, "seen")] > 2 * len(records)
    said = [str(w.message) for w in said if "(or its folder)" in str(w.message)]
    assert len(said) == 1 and f"read once, as {root.name}/" in said[0] and f"and {copied - 1} more" in said[0]
    first, other = (copy / Path(r.path).relative_to(root) for r in records[:2])
    shutil.copyfile(other, first)  # another recording in the copy: which one is right?
    with pytest.raises(BadFileError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        loaders.load(name, root.parent)
    assert (caught.value.reason, caught.value.path) == ("copy_name", first)
    original = f"{root.name}/{first.relative_to(copy).as_posix()}"
    assert caught.value.message == (
        f"in {copy.name}/, named as Windows Explorer in English names a second copy of {root.name}/: a second "
        f"copy of {original}, but its bytes differ from that file's"  # not 'beside it': it is in the other folder
    )


def test_in_a_folder_named_as_a_copy_only_a_file_with_a_counterpart_is_a_copy(tmp_path):
    """'Part (2)/' beside 'Part/' (a second download unpacked beside the first, or two parts of one): a file
    of 'Part (2)/' that 'Part/' also holds is its copy; one 'Part/' does not hold is a file of its own, not
    a copy_name error; and nothing at or above the root given is taken for a copy."""
    from loaders import copies

    for folder, name in (("Part", "a.wav"), ("Part (2)", "a.wav"), ("Part (2)", "b.wav")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_bytes(b"RIFF")
    copy = tmp_path / "Part (2)" / "a.wav"
    maker = "a web browser (a second download) or Windows"
    assert copies.original_of(copy, tmp_path) == (tmp_path / "Part" / "a.wav", maker)
    assert copies.same_as_original(copy, tmp_path) and not copies.same_as_original(copy)
    assert copies.original_of(tmp_path / "Part (2)" / "b.wav", tmp_path) is None
    assert copies.original_of(copy, tmp_path / "Part (2)") is None and copies.copied_folder(tmp_path, tmp_path) is None


def test_a_walk_tests_each_folders_name_for_a_copy_once_not_once_per_clip(tmp_path, monkeypatch):
    """Looking for a copied folder above each clip ('Angry - Copy/') tested the name of every folder between
    the root and the clip, for every clip: on ESD's 35000 clips the test of the names went from 0.09 s
    to 0.38 s of CPU; a folder's name is now tested once (0.20 s), also where ESD reads its emotion and
    speaker from it (loaders.copies.folder_name: 'Angry (1)/' beside no Angry/ is Angry/)."""
    from loaders import copies

    tested: dict[str, int] = {}
    real = copies.named_copy

    def counted(name: str):
        tested[name] = tested.get(name, 0) + 1
        return real(name)

    root = testing.make_corpus("esd", tmp_path / "raw")
    monkeypatch.setattr(copies, "named_copy", counted)
    copies._folder_named_copy.cache_clear()
    assert len(loaders.load("esd", root)) > 50
    folders = {path.name for path in root.rglob("*") if path.is_dir()}
    assert {tested.get(name, 0) for name in folders} == {1}, tested


def test_an_icloud_placeholder_of_a_clip_is_reported_not_counted_as_not_audio(csed):
    """A folder copied from a Mac whose iCloud Drive evicted files ("Optimize Mac Storage") holds
    '.Nat_Female-1.wav.icloud' (a small property list) in place of 'Nat_Female-1.wav': the clip was gone
    and the stand-in counted as a file that is not audio, without a word."""
    records = loaders.load("csed", csed)
    first = Path(records[0].path)
    placeholder = first.with_name(f".{first.name}.icloud")
    placeholder.write_bytes(b"bplist00\xd3\x01\x02\x03")
    before = SkipReport()
    assert len(loaders.load("csed", csed, report=before)) == len(records)  # beside its clip: a stale stand-in
    first.unlink()
    with pytest.raises(BadFileError) as caught:
        loaders.load("csed", csed)
    assert (caught.value.reason, caught.value.path) == ("icloud_placeholder", placeholder)
    assert f"placeholder for {first.name}, whose content is not on this disk" in caught.value.message
    report = SkipReport()
    assert len(loaders.load("csed", csed, skip_bad=True, report=report)) == len(records) - 1
    assert report.to_dict() == {"csed/icloud_placeholder": 1} and report.file_skips[("csed", "icloud_placeholder")] == 1
    assert report.files[("csed", "not_audio")] == before.files[("csed", "not_audio")] - 1


@pytest.mark.parametrize("letters", [str, str.upper], ids=["as-listed", "other-letters"])
@pytest.mark.parametrize("name", ["iemocap", "yuemotion", "elderreact"])
def test_an_icloud_placeholder_of_a_clip_a_table_lists_is_one_skip_not_two(tmp_path, name, letters):
    """A clip iCloud evicted in a corpus whose tables list the clips was two skips: its placeholder's, then its
    row's missing_audio ('the wav is missing', 'no such wav was found below', with the fix to extract the
    release again, untrue: the placeholder is there). One clip, one skip: its placeholder's; also where it is
    named in other letters than its row ('.SES01F_IMPRO01_F000.WAV.icloud', a FAT copy's), as the clip would be
    read (IEMOCAP and YueMotion matched a placeholder's name to its row in its own letters only)."""
    root = testing.make_corpus(name, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = loaders.load(name, root)
    clip = next(Path(r.path) for r in records if any(ch.isalpha() for ch in Path(r.path).stem))  # Branda_schmitz_46
    clip.unlink()
    clip.with_name(f".{letters(clip.name)}.icloud").write_bytes(b"bplist00\xd3\x01\x02\x03")
    report = SkipReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(loaders.load(name, root, skip_bad=True, report=report)) == len(records) - 1
    assert report.to_dict() == {f"{name}/icloud_placeholder": 1}


def test_an_icloud_placeholder_of_a_table_is_not_said_to_hold_audio(tmp_path):
    """YueMotion's test_metadata.csv evicted by iCloud ('.test_metadata.csv.icloud') was 'iCloud Drive's
    placeholder for test_metadata.csv, whose audio is not on this disk': a table holds no audio."""
    root = testing.make_corpus("yuemotion", tmp_path)
    table = next(root.rglob("test_metadata.csv"))
    table.unlink()
    placeholder = table.with_name(f".{table.name}.icloud")
    placeholder.write_bytes(b"bplist00\xd3\x01\x02\x03")
    with pytest.raises(BadFileError) as caught:
        loaders.load("yuemotion", root)
    assert (caught.value.reason, caught.value.path) == ("icloud_placeholder", placeholder)
    assert "placeholder for test_metadata.csv, whose content is not on this disk" in caught.value.message
    assert "audio" not in caught.value.message


def test_an_icloud_placeholder_of_a_hidden_file_is_no_missing_clip(csed):
    """'.._Nat_Female-1.wav.icloud', iCloud's stand-in for the resource fork '._Nat_Female-1.wav' (no clip: a
    hidden name is never read), stopped the read as a clip whose audio is not on this disk."""
    clip = next(Path(r.path) for r in loaders.load("csed", csed))
    before = SkipReport()
    expected = len(loaders.load("csed", csed, report=before))
    for hidden in (f"._{clip.name}", f".{clip.name}"):  # a resource fork, a hidden file: what they stand for is no clip
        (clip.parent / f".{hidden}.icloud").write_bytes(b"bplist00\xd3\x01\x02\x03")
    report = SkipReport()
    assert len(loaders.load("csed", csed, report=report)) == expected and not report
    assert report.files[("csed", "not_audio")] == before.files[("csed", "not_audio")] + 2


def test_a_copy_of_a_copy_is_named_as_read_once_as_the_first_file(csed):
    """'Nat_Female-1 (1) (1).wav' beside 'Nat_Female-1 (1).wav' and 'Nat_Female-1.wav', all alike, was
    said to be "read once, as Nat_Female-1 (1).wav": a file that is itself a copy set aside, not read."""
    from loaders.errors import InputWarning

    first = next(Path(r.path) for r in loaders.load("csed", csed))
    for copy in (f"{first.stem} (1) (1){first.suffix}", f"{first.stem} (1){first.suffix}"):
        shutil.copyfile(first, first.with_name(copy))
    with pytest.warns(InputWarning, match="and 1 more: named as a browser") as said:
        loaders.load("csed", csed)
    assert f"read once, as {first.name} (counted" in str(said[0].message)


def test_every_copy_name_form_is_known_and_no_release_name_is_taken_for_a_copy():
    """Each form of loaders.copies.COPY_NAMES names a copy of its file, in any case (a FAT copy may upper-case
    it); no name a release uses is taken for one: TESS's 2800, ElderReact's 1323, IEMOCAP's dialogs, CSED's
    and CREMA-D's patterns (none holds a space)."""
    from loaders import copies
    from loaders.csed import RELEASE_PREFIXES
    from loaders.testing import crema_d, elderreact, iemocap, tess

    for name in ("Nat_Female-1.wav", "README.md", "notes"):
        assert {copies.copy_of(copy) for copy in copy_names(name)} == {name}
        assert {copies.copy_of(copy.upper()) for copy in copy_names(name)} == {name.upper()}
    makers = [copies.named_copy(copy)[1] for copy in copy_names("x.wav")]
    assert makers == [maker for maker, forms in copies.COPY_NAMES.items() for _ in forms]
    assert copies.copy_of("x (21st copy).wav") == copies.copy_of("x (12th copy).wav") == "x.wav"
    # Windows XP's Explorer and Google Drive put "Copy of" before the name, Firefox's second download has
    # no space before its "(1)", KDE Dolphin's second duplicate is "x copy (1)": each was a bad_name
    for copy, maker in {
        "Copy of 1001_DFA_ANG_XX.wav": "Windows XP's Explorer or Google Drive",
        "copy (12) of 1001_DFA_ANG_XX.WAV": "Windows XP's Explorer or Google Drive",
        "1001_DFA_ANG_XX(1).wav": "Firefox (a second download)",
        "1001_DFA_ANG_XX copy (1).wav": "KDE Dolphin",
        "1001_DFA_ANG_XX - Copy (2).wav": "Windows Explorer in English",  # not a browser's copy of 'x - Copy'
    }.items():
        assert copies.named_copy(copy) == ("1001_DFA_ANG_XX" + copy[-4:], maker)
    assert copies.copy_of("x (1) (1).wav") == "x (1).wav"
    release = [f"{s}_{w}_{e}.wav" for s in tess.SPEAKERS for w in tess.WORDS for e in tess.EMOTIONS]
    release += [line.split()[0] for split in ("train", "dev", "test") for line in elderreact.label_lines(split)]
    release += [f"{dialog}_F000.wav" for dialog in iemocap.DIALOGS] + [f"{d}.txt" for d in iemocap.DIALOGS]
    release += [f"{prefix}-1.wav" for prefix in RELEASE_PREFIXES.values()] + ["Training Data (wav)"]
    release += [f"{crema_d.ACTORS[0]}_{sentence}_ANG_XX.wav" for sentence in crema_d.SENTENCES]
    assert len(release) > 2800 + 1323 and [name for name in release if copies.copy_of(name)] == []


@pytest.mark.parametrize("name", loaders.READERS)
def test_every_corpus_copied_with_its_names_in_capitals_reads_under_the_release_ids(tmp_path, name):
    """An old FAT copy or a Windows tool may upper-case whole names (SES01F_IMPRO01_F000.WAV,
    NAT_FEMALE-1.WAV): IEMOCAP stopped at "not an IEMOCAP utterance name", and CSED read its clips under
    other ids (csed/Natural/NAT_FEMALE-1) without a word. Every corpus reads them under the release's
    ids; where the name's case is the id (IEMOCAP, CSED, ElderReact, YueMotion, and TESS, which read them
    without a word), each renamed file is counted and named in one warning."""
    from loaders.errors import InputWarning

    root = testing.make_corpus(name, tmp_path / "raw")
    expected = sorted(r.id for r in loaders.load(name, root))
    for path in sorted(root.rglob("*"), reverse=True):  # files before their folders
        if path.is_file() and path.suffix.lower() in (".wav", ".mp4"):
            path.rename(path.with_name(path.name.upper()))
    report = SkipReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        assert sorted(r.id for r in loaders.load(name, root, report=report)) == expected
    renamed = report.files[(name, "other_case")]
    said = [str(w.message) for w in caught if "named in another case than the corpus names it" in str(w.message)]
    case_is_id = name in ("iemocap", "csed", "elderreact", "yuemotion", "tess")
    assert (renamed > 0) == case_is_id and len(said) == case_is_id
    if renamed:
        assert f"named in another case, read under the corpus's own name {renamed}" in report.format_files()


@pytest.mark.parametrize("name", loaders.READERS)
def test_every_corpus_whose_folders_are_named_in_capitals_reads_the_same(tmp_path, name):
    """An old FAT copy names folders of eight letters or fewer in capitals (AUDIOWAV, SESSION1, DIALOG):
    CREMA-D said "no AudioWAV/ folder", IEMOCAP "no usable audio files" (its sessions, evaluation files
    and wav folders were looked up by their release's letters only)."""
    root = testing.make_corpus(name, tmp_path / "raw")
    expected = sorted((r.id, r.emotions) for r in loaders.load(name, root))
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name(path.name.upper()))
    report = SkipReport()
    assert sorted((r.id, r.emotions) for r in loaders.load(name, root, report=report)) == expected and not report


@pytest.mark.parametrize("name", ["yuemotion", "csed", "iemocap", "elderreact", "tess", "audiofolder"])
def test_a_file_named_in_another_case_and_then_rejected_is_counted_once_as_its_skip(tmp_path, name):
    """YueMotion (and your own corpus) counted a file named in another case than the corpus names it as
    renamed before its row's checks, CSED, IEMOCAP and ElderReact before its header was probed: one truncated
    02_F31_01_1.WAV was counted twice, as renamed and as truncated, and named in the renamed warning.
    One rule, in Collector.finish: a rename is counted and named only for a file that is read."""
    from loaders.errors import InputWarning

    corpus = "carehome" if name == "audiofolder" else name
    root = testing.make_corpus(name, tmp_path / "raw")
    records = loaders.load(corpus, root)
    read, rejected = [Path(r.path) for r in records if Path(r.path).stem.upper() != Path(r.path).stem][:2]
    read, rejected = (path.rename(path.with_name(path.name.upper())) for path in (read, rejected))
    FixtureWriter.truncate(rejected, keep_bytes=200)
    report = SkipReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        again = loaders.load(corpus, root, skip_bad=True, report=report)
    assert len(again) == len(records) - 1 and report.to_dict() == {f"{corpus}/truncated": 1}
    assert report.files[(corpus, "other_case")] == 1 and report.file_skips[(corpus, "truncated")] == 1
    said = [str(w.message) for w in caught if "named in another case than the corpus names it" in str(w.message)]
    assert len(said) == 1 and f"{read}: named in another case" in said[0] and "more" not in said[0]


def test_problems_of_a_walk_are_reported_in_one_order_whatever_the_file_system_lists(tmp_path, csed):
    """Broken links (and FIFOs, names that are not UTF-8 or hold a backslash) were reported as the file
    system listed them: a copy on another file system named another file in its error, and wrote its
    skip list in another order."""
    folder = csed / DATA / "Natural"
    names = [f"Nat_Female-{n}.wav" for n in range(50, 70)]
    for name in names:  # created in order: ext4 lists them by hash, tmpfs in reverse
        (folder / name).symlink_to(tmp_path / "gone.wav")
    listed = [name for name in os.listdir(folder) if name in names]
    if listed == names:
        pytest.skip("this file system lists the links in name order: the order cannot be told apart here")
    err, _, report = strict_and_lenient("csed", csed)
    assert err.path == folder / names[0]
    assert [skip.file for skip in report.examples[("csed", "broken_link")]] == [str(folder / name) for name in names]


@pytest.mark.parametrize("name", [*loaders.READERS, "audiofolder"])
def test_a_problem_of_the_walk_stops_a_strict_read_before_any_clip_is_read(tmp_path, name):
    """IEMOCAP reported a broken link in Session5 before a cut-short clip in Session1: every reader does
    the same, as docs/corpora.md says, since every reader walks its whole tree before it probes a clip. Kept so: a strict read stops within seconds at what the walk finds, not after probing
    thousands of headers; with --skip-bad both are reported."""
    corpus = "carehome" if name == "audiofolder" else name
    root = testing.make_corpus(name, tmp_path / "raw")
    records = loaders.load(corpus, root)
    first, last = Path(records[0].path), Path(records[-1].path)
    FixtureWriter.truncate(first, keep_bytes=200)
    link = last.with_name(f"{last.stem}9{last.suffix}")
    link.symlink_to(tmp_path / "gone.wav")
    with pytest.raises(BadFileError) as caught:
        loaders.load(corpus, root)
    assert (caught.value.reason, caught.value.path) == ("broken_link", link)
    report = SkipReport()
    loaders.load(corpus, root, skip_bad=True, report=report)
    assert report.to_dict() == {f"{corpus}/broken_link": 1, f"{corpus}/truncated": 1}


def test_a_listed_name_in_another_unicode_form_is_read(tmp_path):
    """A zip made on macOS stores "é" decomposed (NFD), a spreadsheet composed (NFC): the two
    errors ("not listed", "no such file") did not say that the names differ only in that, and
    then said it of two names that look the same (nothing to fix in the sheet): they are one name."""
    import unicodedata

    own = testing.make_corpus("audiofolder", tmp_path / "own")
    clip = sorted((own / "clips").rglob("*.wav"))[0]
    relpath = clip.relative_to(own).as_posix()
    composed = relpath.replace(".wav", "_caf\u00e9.wav")
    clip.rename(own / unicodedata.normalize("NFD", composed))
    meta = own / "metadata.csv"
    meta.write_text(meta.read_text(encoding="utf-8").replace(relpath, composed), encoding="utf-8")
    records = {r.id: r for r in loaders.load("carehome", own)}
    assert records[f"carehome/{composed}"].path == str(own / unicodedata.normalize("NFD", composed))
    meta.write_text(meta.read_text(encoding="utf-8").replace(composed, composed.upper()), encoding="utf-8")
    from loaders.errors import InputWarning

    with pytest.warns(InputWarning, match="named in another case than the corpus names it"):  # and in case too
        records = {r.id: r for r in loaders.load("carehome", own)}  # one row, one file: taken as the row's
    assert records[f"carehome/{composed.upper()}"].path == str(own / unicodedata.normalize("NFD", composed))


def test_a_scan_over_within_half_a_second_draws_no_bar(csed, capsys, monkeypatch):
    """A metadata error printed three empty bars ("probing audio headers: 0 files") before its line."""
    from loaders import manifest

    monkeypatch.setattr(manifest, "BAR_DELAY_S", 60.0)  # what "quick" means, without timing this machine
    records, _ = manifest.scan({"csed": csed}, progress=True)
    assert len(records) == 12 and "probing audio headers" not in capsys.readouterr().err


def test_a_clip_copied_into_a_subfolder_names_both_copies_and_the_count(tmp_path):
    """Two different recordings under one clip id (an identical copy is a counted duplicate) stopped
    the read with "remove one copy of the corpus", which fits a release extracted twice, not a file
    saved into a backup folder; the error now names both copies, how many clips are there twice, and
    says to remove the extra copies."""
    from loaders.errors import LayoutError

    wav = testing.make_corpus("crema_d", tmp_path / "raw") / "AudioWAV"
    (wav / "backup").mkdir()
    shutil.copy(wav / "1001_IEO_ANG_LO.wav", wav / "backup" / "1001_IEO_ANG_HI.wav")  # edited, say
    with pytest.raises(LayoutError) as caught:
        loaders.load("crema_d", wav.parent, skip_bad=True)  # which copy is meant cannot be guessed: not a skip
    text = str(caught.value)
    assert caught.value.reason == "duplicate_id" and "more than once" not in text
    assert str(wav / "backup" / "1001_IEO_ANG_HI.wav") in text and str(wav / "1001_IEO_ANG_HI.wav") in text
    assert "remove the extra copies from below the root (files copied into another folder" in text
    shutil.copy(wav / "1001_IEO_ANG_HI.wav", wav / "backup" / "1001_IEO_ANG_LO.wav")
    with pytest.raises(LayoutError, match=r"\(2 clips are there more than once\)"):
        loaders.load("crema_d", wav.parent)


def test_a_corpus_whose_every_file_is_skipped_counts_its_skips_once_by_reason(tmp_path):
    """The reader counted a corpus's skips by reason for its fix, and errors.all_skipped counted them
    again for its words: one count (SkipReport.by_reason) gives the error's numbers, the summary's
    and the report's, which agree."""
    from loaders import LayoutError

    raw = testing.make_corpus("tess", tmp_path / "raw")
    clips = sorted(p for p in raw.rglob("*.wav") if not p.name.startswith("."))
    for path in clips[:3]:
        path.write_bytes(path.read_bytes()[:60])  # a header and no samples: a download cut short
    for path in clips[3:]:  # an emotion TESS does not have (its word kept apart: no two files one name)
        path.rename(path.with_name(f"{path.stem}_bored.wav"))
    report = SkipReport()
    with pytest.raises(LayoutError) as err:
        loaders.load("tess", raw, skip_bad=True, report=report)
    counts = report.by_reason("tess")
    assert sum(counts.values()) == len(clips) and len(counts) == 2, counts
    said = ", ".join(f"{n} skipped as {reason.replace('_', ' ')}" for reason, n in counts.items())
    assert f"tess: no usable audio files found below this folder ({said}; the first: " in str(err.value), err.value
    assert "mend what made it skip them" in str(err.value)
    assert all(f"{reason} {n}" in report.format_files() for reason, n in counts.items()), report.format_files()


def test_a_corpus_with_a_folder_that_cannot_be_listed_is_not_called_a_partial_download():
    """A whole CSED release whose Positive/ could not be listed (chmod 000, a copy from another user's
    disk), read with --skip-bad: the scan said "its folder holds 434 of the 652 clips of the full
    release: a partial download or a subset?", where all 652 were there; the fix is the folder's
    permissions, not another download."""
    from loaders.manifest import partial_releases
    from loaders.unlisted import unreadable_folder

    report = SkipReport()
    report.files[("csed", "read")] = 434
    report.add("csed", unreadable_folder(PermissionError(13, "Permission denied", "/data/CSED/Positive"), Path("/")))
    assert partial_releases(report) == [
        "csed: 434 of the 652 clips of the full release (`bimotion sources`) were found, and 1 folder(s) below its "
        "folder could not be listed (unreadable_folder, above): the others may be there; make them readable and run "
        "again. Every count and split of it here is of those 434"
    ]
    whole = SkipReport()
    whole.files[("csed", "read")] = 434
    assert partial_releases(whole)[0].startswith("csed: its folder holds 434 of the 652 clips of the full release")


def test_a_release_note_counts_what_was_read_not_what_was_skipped():
    """`bimotion scan --skip-bad` of a CSED copy with an empty clip and two misnamed extra files said "its folder
    holds 654 clips, more than the 652 ... Every count and split of it here is of those 654" while its counts
    were of the 651 read; it now names the 651 read and the 3 skipped."""
    from loaders.manifest import partial_releases

    report = SkipReport()
    report.files[("csed", "read")] = 651
    report.file_skips[("csed", "bad_name")] = 2
    report.file_skips[("csed", "empty_file")] = 1
    assert partial_releases(report) == [
        "csed: 651 of the 652 clips of the full release (`bimotion sources`) were read from its folder, 3 of its "
        "654 files skipped: every count and split of it here is of those 651"
    ]
    report.files[("csed", "read")] = 652  # the release read whole, 3 junk files skipped beside it: no other version
    assert partial_releases(report) == []  # it said "its folder holds 655 clips, more than the 652"
    report.files[("csed", "read")] = 655
    assert partial_releases(report) == [
        "csed: its folder holds 655 clips read (3 other files skipped), more than the 652 of the full release "
        "(`bimotion sources`): another version or extra clips merged in? Every count and split of it here is of "
        "those 655, not of the release"
    ]
    report.files[("csed", "read")] = 400
    assert partial_releases(report)[0].endswith(
        "Every count and split of it here is of the 400 of them read (3 skipped)"
    )
