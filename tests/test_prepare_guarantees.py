"""What `prepare` guarantees about its output folder when runs overlap, are killed, crash
mid-swap, hit a full disk or get bad counts, and that plain `datasets` sees a folder prepared
again (issue 10: nothing lost, nothing leaked)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import signalled_while_held, unprivileged

from bimotion.cli import main as bimotion_main
from bimotion.data.layout import PARTIAL_SUFFIX, read_info
from bimotion.data.publish import LOCK_SUFFIX, WORK_MARKER
from bimotion.prepare import prepare
from bimotion.verify import verify as check
from loaders import testing


@pytest.fixture(scope="module")
def csed(tmp_path_factory) -> Path:
    return testing.make_corpus("csed", tmp_path_factory.mktemp("raw") / "csed", size="full")


def work_of(out: Path) -> Path:
    return out.with_name(out.name + PARTIAL_SUFFIX)


def lock_of(out: Path) -> Path:
    return out.with_name(out.name + LOCK_SUFFIX)


def digest_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def start_prepare(root: Path, out: Path, *extra: str, **popen) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bimotion.cli", "prepare", "--source", f"csed={root}", "-o", str(out), "-q", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def wait_for(condition, proc: subprocess.Popen, what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"prepare ended or stalled before {what}: {proc.communicate()[1][-2000:]}")
        time.sleep(0.002)


def stopped_while_writing(root: Path, out: Path, *extra: str) -> subprocess.Popen:
    """A prepare run paused (SIGSTOP) once it holds the output and has begun writing."""
    proc = start_prepare(root, out, "--num-proc", "1", *extra)
    wait_for(work_of(out).exists, proc, "it began writing")
    proc.send_signal(signal.SIGSTOP)
    return proc


def resume(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def assert_no_leftovers(out: Path) -> None:
    assert not work_of(out).exists() and not lock_of(out).exists()
    assert not out.with_name(out.name + ".old-tmp").exists()


# ------------------------------------------------------------------------------ concurrent runs


def test_a_second_run_into_the_same_output_fails_at_once_and_the_first_publishes_clean(csed, tmp_path, capsys):
    out = tmp_path / "out"
    first = stopped_while_writing(csed, out)
    try:
        argv = ["prepare", "--source", f"csed={csed}", "-o", str(out), "-q", "--seed", "1", "--overwrite"]
        assert bimotion_main(argv) == 2
        err = capsys.readouterr().err
        assert "another prepare is writing" in err and str(out) in err
    finally:
        rc, err = resume(first)
    assert rc == 0, err
    assert read_info(out)["seed"] == 0
    assert check(out, hash_audio=False)["problems"] == []
    assert_no_leftovers(out)


def test_an_output_that_appears_while_a_run_writes_is_never_replaced(csed, tmp_path):
    out = tmp_path / "out"
    run = stopped_while_writing(csed, out)
    out.mkdir()
    (out / "mine.txt").write_text("the user's")
    rc, err = resume(run)
    assert rc == 2 and "appeared while this run was writing" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert_no_leftovers(out)


# ------------------------------------------------------------------------------ killed runs


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def threads(pid: int) -> int:
    """How many threads process ``pid`` runs (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def alive_with(marker: str, pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (not zombies) with ``marker`` on their command line."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if state != "Z" and marker.encode() in cmdline:
            alive.add(pid)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")
def test_killing_prepare_ends_its_worker_processes(csed, tmp_path):
    out = tmp_path / "out"
    proc = start_prepare(csed, out, "--num-proc", "2", "--rows-per-file", "20")
    workers: set[int] = set()

    def decoding() -> bool:
        workers.update(children_of(proc.pid))
        return len(workers) >= 2

    try:
        wait_for(decoding, proc, "its workers started")
        proc.send_signal(signal.SIGSTOP)  # hold it mid-run, then kill it as a user or OOM killer would
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while alive_with(str(out), workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = alive_with(str(out), workers)
    finally:
        for pid in alive_with(str(out), workers):
            os.kill(pid, signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert not survivors, f"worker processes {sorted(survivors)} outlived the killed prepare"
    # the next run clears what the killed one left and says so
    result = subprocess.run(
        [sys.executable, "-m", "bimotion.cli", "prepare", "--source", f"csed={csed}", "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "left by an interrupted prepare" in result.stderr
    assert_no_leftovers(out)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")
def test_ctrl_c_stops_prepare_at_once_and_leaves_nothing(csed, tmp_path):
    """A terminal's Ctrl-C reaches every process of the group.  A decoding worker died of it and broke
    the pool, whose manager thread then failed on the futures the run had cancelled
    (InvalidStateError): the run printed "interrupted" and hung, holding the lock.  The workers now
    leave SIGINT to the run, which stops them."""
    out = tmp_path / "out"
    # a SIGINT or SIGTERM that reaches the workers alone neither stops nor breaks the run
    proc = start_prepare(csed, out, "--num-proc", "2", "--rows-per-file", "20")
    workers: set[int] = set()

    def set_up() -> bool:  # the pool's two workers, each set up (its initializer starts a thread last),
        # counted afresh each time: the run also starts a short-lived child before them
        workers.clear()
        workers.update(pid for pid in children_of(proc.pid) if threads(pid) >= 2)
        return len(workers) >= 2

    wait_for(set_up, proc, "its workers were set up")
    proc.send_signal(signal.SIGSTOP)  # the run waits (its workers go on) while the workers take the signal
    try:
        for pid in workers:
            os.kill(pid, signal.SIGINT)
            os.kill(pid, signal.SIGTERM)  # Slurm's time limit reaches every process of the job too
        time.sleep(0.2)  # a worker that SIGINT or SIGTERM ended would be gone now, and the pool broken
    finally:
        proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert check(out, hash_audio=False)["problems"] == []
    assert_no_leftovers(out)
    # Ctrl-C: every process of the group gets SIGINT at once
    again = tmp_path / "again"
    proc = start_prepare(csed, again, "--num-proc", "2", "--rows-per-file", "20", start_new_session=True)
    first_file = work_of(again) / "new" / "data"
    wait_for(lambda: first_file.is_dir() and any(first_file.rglob("*")), proc, "it began writing")
    # the whole group takes the signal mid-run, in whatever order
    err = signalled_while_held(proc, lambda: os.killpg(proc.pid, signal.SIGINT), "Ctrl-C")
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "interrupted", err
    assert not again.exists()
    assert_no_leftovers(again)


def writing_with_workers(proc: subprocess.Popen, out: Path) -> set[int]:
    """The pids of the run's pool workers, once two are set up (see the Ctrl-C test: a short-lived
    child comes first) and it has begun writing into ``out``'s work folder."""
    workers: set[int] = set()

    def ready() -> bool:
        workers.clear()
        workers.update(pid for pid in children_of(proc.pid) if threads(pid) >= 2)
        first_file = work_of(out) / "new" / "data"
        return len(workers) >= 2 and first_file.is_dir() and any(first_file.rglob("*"))

    wait_for(ready, proc, "its workers were set up and it began writing")
    return workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")
@pytest.mark.parametrize("whole_group", [True, False], ids=["slurm-job", "run-alone"])
def test_sigterm_stops_prepare_like_ctrl_c_and_leaves_nothing(csed, tmp_path, whole_group):
    """Slurm's time limit (and scancel, docker stop) sends SIGTERM, to every process of the job; a plain
    `kill` to the run alone.  Python died of it at once and left OUT.partial-tmp and the lock behind.
    Now the run stops as on Ctrl-C: its workers are stopped, nothing is left, and it exits 143."""
    out = tmp_path / "out"
    proc = start_prepare(csed, out, "--num-proc", "2", "--rows-per-file", "20", start_new_session=True)
    workers = writing_with_workers(proc, out)
    send = (lambda: os.killpg(proc.pid, signal.SIGTERM)) if whole_group else (lambda: proc.send_signal(signal.SIGTERM))
    err = signalled_while_held(proc, send, "SIGTERM")
    assert proc.returncode == 143 and err.strip().splitlines()[-1] == "terminated", (proc.returncode, err)
    assert not out.exists()
    assert_no_leftovers(out)
    deadline = time.monotonic() + 10  # the run stopped its workers (and a killed run's die with it)
    while alive_with(str(out), workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive_with(str(out), workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")
def test_a_worker_killed_for_memory_ends_prepare_with_an_error_and_leaves_nothing(csed, tmp_path):
    """The system's out-of-memory killer (or a crash in an audio library) ends one decoding worker: the
    pool, broken, stops the others with SIGTERM, which they ignore (Slurm signals every process of a
    job), and its shutdown waited for them for ever: the run hung, holding the lock.  The run now kills
    them, says what happened and what to do, and removes what it wrote."""
    out = tmp_path / "out"
    proc = start_prepare(csed, out, "--num-proc", "2", "--rows-per-file", "20", start_new_session=True)
    workers = writing_with_workers(proc, out)
    killed = min(workers)
    err = signalled_while_held(proc, lambda: os.kill(killed, signal.SIGKILL), "a worker's SIGKILL")
    assert proc.returncode == 2, (proc.returncode, err)
    assert err.strip().splitlines()[-1] == (
        "error: a worker process died while decoding (the system may have killed it for memory, or an audio "
        f"library crashed on a file): run again with a lower --num-proc (temporary files removed, {out} untouched)"
    ), err
    assert not out.exists()
    assert_no_leftovers(out)
    assert not alive_with(str(out), workers)


# ------------------------------------------------------------------------------ plain datasets cache


def test_plain_load_dataset_sees_the_data_of_an_overwrite_and_reruns_keep_their_names(csed, tmp_path):
    import datasets
    import pyarrow.parquet as pq

    out, cache = tmp_path / "bimotion", str(tmp_path / "hf-cache")

    def loaded() -> list[str]:
        return sorted(datasets.load_dataset(str(out), "zho_eld", split="test", cache_dir=cache)["id"])

    def on_disk() -> list[str]:
        return sorted(i for f in (out / "data").rglob("test-*.parquet") for i in pq.read_table(f)["id"].to_pylist())

    first = prepare({"csed": csed}, out, seed=0, progress=False).info
    seed0 = loaded()
    assert seed0 == on_disk()
    prepare({"csed": csed}, out, seed=1, overwrite=True, progress=False)
    seed1 = loaded()
    assert seed1 == on_disk() != seed0  # the seed-1 draw, not the cached seed-0 one
    prepare({"csed": csed}, out, seed=0, overwrite=True, progress=False)
    assert read_info(out)["shards"] == first["shards"]  # same inputs: same file names and statistics
    assert loaded() == on_disk() != seed1


# ------------------------------------------------------------------------------ temporary folders


def test_a_folder_of_the_users_at_the_temporary_path_is_never_deleted(csed, tmp_path, capsys):
    out = tmp_path / "out"
    theirs = work_of(out)
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep me")
    assert bimotion_main(["prepare", "--source", f"csed={csed}", "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(theirs) in err and "not made by prepare" in err
    assert (theirs / "notes.txt").read_text() == "keep me"
    assert not out.exists() and not lock_of(out).exists()


def test_an_interrupted_overwrite_swap_is_restored_by_the_next_run(csed, tmp_path, capsys):
    out = prepare({"csed": csed}, tmp_path / "out", progress=False).out_dir
    before = digest_tree(out)
    # killed between moving OUT aside and moving the new dataset in
    work = work_of(out)
    (work / "new" / "data").mkdir(parents=True)
    (work / WORK_MARKER).write_text("")
    out.rename(work / "old")
    with pytest.raises(FileExistsError, match="already exists"):
        prepare({"csed": csed}, out, progress=False)
    assert "restored" in capsys.readouterr().err
    assert digest_tree(out) == before
    assert_no_leftovers(out)
    # killed after the new dataset moved in, before the old one was deleted
    work.mkdir()
    (work / WORK_MARKER).write_text("")
    (work / "old").mkdir()
    (work / "old" / "prepare.json").write_text("{}")
    result = prepare({"csed": csed}, out, seed=1, overwrite=True, progress=False)
    assert result.info["seed"] == 1 and check(out, hash_audio=False)["problems"] == []
    assert_no_leftovers(out)
    # what older versions left: the dataset only in OUT.old-tmp
    legacy = out.with_name(out.name + ".old-tmp")
    after = digest_tree(out)
    out.rename(legacy)
    with pytest.raises(FileExistsError, match="already exists"):
        prepare({"csed": csed}, out, progress=False)
    assert digest_tree(out) == after and not legacy.exists()


# ------------------------------------------------------------------------------ full disk, bad counts

FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails (EFBIG) like a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
from bimotion.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("overwrite", [False, True], ids=["new", "overwrite"])
def test_a_full_disk_is_a_one_line_error_that_leaves_nothing_behind(csed, tmp_path, overwrite):
    out = tmp_path / "out"
    before = {}
    if overwrite:
        before = digest_tree(prepare({"csed": csed}, out, progress=False).out_dir)
    argv = ["prepare", "--source", f"csed={csed}", "-o", str(out), "-q", "--seed", "1"]
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *argv, *(["--overwrite"] if overwrite else [])],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(out) in lines[0], proc.stderr
    assert "too large" in lines[0] or "No space" in lines[0]
    assert_no_leftovers(out)
    assert (digest_tree(out) if overwrite else out.exists()) == (before if overwrite else False)


@pytest.mark.parametrize("option", ["--rows-per-file", "--num-proc"])
@pytest.mark.parametrize("value", ["-1", "0"])
def test_counts_below_one_are_rejected_before_anything_is_written(csed, tmp_path, capsys, option, value):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        bimotion_main(["prepare", "--source", f"csed={csed}", "-o", str(out), "-q", option, value])
    assert exit_.value.code == 2
    assert f"argument {option}: must be a positive integer, not '{value}'" in capsys.readouterr().err
    name = option.lstrip("-").replace("-", "_")
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        prepare({"csed": csed}, out, progress=False, **{name: int(value)})
    assert not out.exists() and not work_of(out).exists() and not lock_of(out).exists()


def test_scan_and_prepare_refuse_an_output_inside_a_raw_corpus_folder(tmp_path, capsys):
    """The raw folders are never written to: not the manifest, not prepare's lock, not its dataset."""
    root = testing.make_corpus("csed", tmp_path / "raw" / "csed")
    before = digest_tree(root)
    wav = next(root.rglob("*.wav"))
    for argv in (
        ["scan", "--source", f"csed={root}", "-o", str(wav)],  # would replace a raw file
        ["scan", "--source", f"csed={root}", "-o", str(root / "manifest.jsonl")],
        ["prepare", "--source", f"csed={root}", "-o", str(root / "prepared")],
        ["prepare", "--source", f"csed={root}", "-o", str(tmp_path / "raw")],  # holds the corpus
    ):
        assert bimotion_main(argv) == 2, argv
        assert "corpus folder" in capsys.readouterr().err
    assert digest_tree(root) == before
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == ["csed"]


def test_an_output_in_a_folder_the_corpus_links_to_is_refused(tmp_path, capsys):
    """The readers follow folder links: an --output inside a linked sub-folder was accepted, and the
    run's own lock file was read as a corpus file (files seen 21 of 20)."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw")
    (tmp_path / "disk").mkdir()
    (root / "clips").rename(tmp_path / "disk" / "clips")
    (root / "clips").symlink_to(tmp_path / "disk" / "clips")
    before = digest_tree(tmp_path / "disk")
    for command in ("scan", "prepare"):
        argv = [command, "--source", f"carehome={root}", "-o", str(root / "clips" / "prepared")]
        assert bimotion_main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "is inside the carehome corpus folder" in err and "which it links to" in err, err
    assert digest_tree(tmp_path / "disk") == before


def test_one_folder_under_two_corpus_names_is_refused(tmp_path, capsys):
    """Its clips were read twice and split apart: `check` then found test audio in training."""
    from loaders.manifest import scan

    root = testing.make_corpus("audiofolder", tmp_path / "raw")
    for command in ("prepare", "scan"):  # one error line (scan's was a traceback)
        argv = [command, "--source", f"mine={root}", "--source", f"mine2={root}", "-o", str(tmp_path / "out")]
        assert bimotion_main(argv) == 2
        err = capsys.readouterr().err
        assert re.search(r"^error: --source mine2?=\S+ is the same folder as --source mine", err), err
        assert "give each corpus once" in err and not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match=r"--source csed=\S+/clips is inside the folder of --source mine="):
        scan({"mine": root, "csed": root / "clips"})


def test_a_corpus_that_gives_nothing_is_an_error_even_when_skipping_bad_files(tmp_path, capsys):
    """TESS files given as csed: every file is skipped, and with --skip-bad that used to be a quiet
    0-utterance scan and an empty dataset marked complete."""
    from yuemotion.cli import main as yuemotion_main

    tess = testing.make_corpus("tess", tmp_path / "raw" / "tess")
    runs = [
        (bimotion_main, ["scan", "--skip-bad", "--source", f"csed={tess}", "-o", str(tmp_path / "m.jsonl")]),
        (bimotion_main, ["prepare", "-q", "--skip-bad", "--source", f"csed={tess}", "-o", str(tmp_path / "out")]),
        (yuemotion_main, ["prepare", "-q", "--skip-bad", "--source", str(tess), "-o", str(tmp_path / "yue")]),
    ]
    for main, argv in runs:
        assert main(argv) != 0, argv
        err = capsys.readouterr().err
        assert "no usable audio files found below this folder" in err and "skipped as" in err, err
    # scan and prepare list every file they skipped beside OUT also when they fail (the error names the first)
    listed = ["m.jsonl.failed.skipped.tsv", "out.failed.skipped.tsv", "raw", "yue.failed.skipped.tsv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == listed


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ElderReact fixture needs ffmpeg to be written")
def test_without_ffmpeg_mp4_corpora_fail_at_once_with_how_to_install_it(tmp_path, capsys, monkeypatch):
    """ElderReact is MP4: without `ffmpeg` on PATH, prepare stops before decoding anything, in one line."""
    root = testing.make_corpus("elderreact", tmp_path / "raw" / "elderreact")
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    out = tmp_path / "out"
    assert bimotion_main(["prepare", "-q", "--source", f"elderreact={root}", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: FFmpeg is needed") and "apt-get install ffmpeg" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() and not work_of(out).exists() and not lock_of(out).exists()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to write the M4A")
@pytest.mark.parametrize("num_proc", [1, 2])
def test_a_file_found_to_need_ffmpeg_only_when_decoded_is_named_or_skipped_as_before(tmp_path, monkeypatch, num_proc):
    """prepare checks before decoding which files take FFmpeg; a file that check misses (write_dataset
    makes none) reached a worker whose MissingToolError ('FFmpeg is needed to read ...') was raised
    whatever skip_bad said.  Now it is the check's own error, or with skip_bad a counted skip."""
    from bimotion.prepare import write_dataset
    from bimotion.registry import BENCHMARKS
    from loaders.errors import MissingToolError
    from loaders.manifest import scan

    root = testing.make_corpus("tess", tmp_path / "raw" / "tess")
    records, _ = scan({"tess": root}, progress=False)
    clip = Path(sorted(records, key=lambda r: r.id)[0].path)
    m4a = tmp_path / "clip.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(clip), "-c:a", "aac", str(m4a)], check=True)
    clip.write_bytes(m4a.read_bytes())  # found by its content: AAC in MP4 behind a .wav name
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    write = dict(benchmark=BENCHMARKS["bimotion"], corpora=["tess"], num_proc=num_proc, progress=False)
    with pytest.raises(MissingToolError, match=rf"^FFmpeg is needed to decode 1 file\(s\): {clip} \(MP4/M4A"):
        write_dataset(records, tmp_path / "out", **write)
    done = write_dataset(records, tmp_path / "out", skip_bad=True, **write)
    assert dict(done.report.counts) == {("tess", "needs_ffmpeg"): 1}
    assert sum(shard["rows"] for shard in done.info["shards"]) == len(records) - 1


def test_outputs_and_sources_that_cannot_be_used_say_why_in_one_line(tmp_path, capsys):
    csed = testing.make_corpus("csed", tmp_path / "raw" / "csed")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "notes").mkdir()
    cases = [
        (["--source", f"csed={tmp_path / 'afile'}", "-o", str(tmp_path / "o1")], "this is a file, not the corpus folder"),
        (["--source", f"csed={csed}", "-o", str(tmp_path / "afile" / "sub")], "afile is a file, not a folder"),
        (["--source", f"csed={csed}", "-o", str(tmp_path / "notes"), "--overwrite"], "is not a prepared dataset; choose another --output"),
    ]  # fmt: skip
    for argv, message in cases:
        assert bimotion_main(["prepare", "-q", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) <= 2 and "Traceback" not in err, err  # error + fix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "notes", "raw"]


def test_a_wrong_corpus_name_fails_on_its_first_file_with_a_hint_at_the_name(tmp_path, capsys):
    tess = testing.make_corpus("tess", tmp_path / "tess")
    (tess / "README.txt").write_text("Toronto emotional speech set\n")  # as releases ship: no corpus file read
    assert bimotion_main(["scan", "-q", "--source", f"csed={tess}", "-o", str(tmp_path / "m.jsonl")]) == 2
    assert f"no csed file was read before this one: if none fits, {tess.resolve()} is not the csed release" in (
        capsys.readouterr().err
    )


def test_a_corpus_whose_every_clip_fails_to_decode_is_an_error_not_an_empty_dataset(tmp_path, capsys):
    """A corpus damaged alike (FLACs whose headers and ends read, their middles zeroed) passed the scan;
    with --skip-bad prepare skipped every clip when decoding and published the corpus with no row (alone:
    a dataset of 0 rows), exit status 0, and `check` said OK.  (FLACs cut short are the scan's `truncated`.)"""
    import numpy as np
    import soundfile

    cut = tmp_path / "raw" / "cut"
    (cut / "clips").mkdir(parents=True)
    rows = ["file_name,emotion,language,age_group,gender,speaker_id"]
    for i in range(4):
        path = cut / "clips" / f"{i}.flac"
        soundfile.write(path, 0.3 * np.sin(np.arange(32000) * (0.08 + 0.01 * i)), 16000)
        data = bytearray(path.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 200] = bytes(200)
        path.write_bytes(bytes(data))
        rows.append(f"clips/{i}.flac,anger,ind,eld,f,s{i}")
    (cut / "metadata.csv").write_text("\n".join(rows) + "\n")
    csed = testing.make_corpus("csed", tmp_path / "raw")
    for sources in ([f"cut={cut}"], [f"csed={csed}", f"cut={cut}"]):
        out = tmp_path / "out"
        argv = ["prepare", "-q", "--skip-bad", "--output", str(out)]
        assert bimotion_main([*argv, *(a for s in sources for a in ("--source", s))]) == 2
        err = capsys.readouterr().err
        assert (
            "cut: no clip is left to store: the 4 the scan read could not be decoded (skipped: corrupt 4; e.g." in err
        )
        assert "or leave --source cut out" in err and "Traceback" not in err
        assert not out.exists() and not work_of(out).exists() and not lock_of(out).exists()


def test_an_output_in_a_folder_that_is_not_writable_says_so(csed, tmp_path):
    """It said "OUT.prepare-lock: Permission denied; fix that and run again": a file the user never named."""
    parent = tmp_path / "shared"
    parent.mkdir()
    parent.chmod(0o555)
    out = parent / "out"
    argv = [sys.executable, "-m", "bimotion.cli", "prepare", "--source", f"csed={csed}", "-o", str(out), "-q"]
    argv = unprivileged(argv)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    finally:
        parent.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(
        f"error: --output {out}: the folder {parent} is not writable (Permission denied); choose another --output"
    )
    assert ".prepare-lock" not in proc.stderr and list(parent.iterdir()) == []


@pytest.mark.parametrize("failure", ["full disk", "folder not writable"])
def test_scan_and_prepare_say_a_failed_write_the_one_way(csed, tmp_path, capsys, monkeypatch, failure):
    """scan said "error: --output OUT: cannot write the manifest (No space left on device); nothing was written",
    with no hint, where prepare said "error: OUT: No space left on device; free some space or choose another
    --output (...)", and of a folder not writable "error: FOLDER: this folder is not writable (...)": one seam
    words both commands' failed write, its fix included."""
    import errno

    from conftest import closing_error

    import bimotion.prepare
    import loaders.manifest

    def fail(*args, **kwargs):
        if failure == "full disk":
            raise OSError(errno.ENOSPC, "No space left on device")
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "shared" / ".x.tmp"))

    monkeypatch.setattr(loaders.manifest, "write_manifest", fail)
    monkeypatch.setattr(bimotion.prepare, "_write_rows", fail)
    cause, fix = {
        "full disk": ("cannot write {} (No space left on device)", "free some space or choose another --output"),
        "folder not writable": (f"the folder {tmp_path / 'shared'} is not writable (Permission denied)", ""),
    }[failure]
    fix = fix or "choose another --output"
    for command, out, what in [
        ("scan", tmp_path / "m.jsonl", "the manifest"),
        ("prepare", tmp_path / "out", "the dataset"),
    ]:
        assert bimotion_main([command, "-q", "--source", f"csed={csed}", "--output", str(out)]) == 2
        said = closing_error(capsys.readouterr().err)
        assert said == (
            f"error: --output {out}: {cause.format(what)}; {fix} (temporary files removed, {out} untouched)"
        ), said
        assert not out.exists()


def test_a_run_that_fails_after_reading_still_lists_every_file_its_warnings_named_and_it_skipped(
    tmp_path, capsys, monkeypatch
):
    """A prepare that failed after reading (a full disk as it wrote) had warned "every one in OUT.warned.tsv",
    which was never written, nor OUT.skipped.tsv: the files past the five named inline were named nowhere. Both
    lists are written beside OUT all the same, as a failed run's (OUT.failed.*.tsv), where its warnings said, and
    said; a run that fails before reading leaves an earlier list."""
    import csv

    from conftest import closing_error, csed_with_copies, full_disk

    import bimotion.prepare

    root, copies, bad = csed_with_copies(tmp_path / "raw")

    monkeypatch.setattr(bimotion.prepare, "_write_rows", full_disk)
    out = tmp_path / "out"
    argv = ["prepare", "--source", f"csed={root}", "-o", str(out), "-q", "--skip-bad"]
    assert bimotion_main(argv) == 2
    err = capsys.readouterr().err
    warned, skipped = Path(f"{out}.failed.warned.tsv"), Path(f"{out}.failed.skipped.tsv")
    assert f"every one in {out}.warned.tsv, or in {warned} if this run fails)" in err
    assert "No space left on device" in err and not Path(f"{out}.warned.tsv").exists()
    assert f"every file a warning named: {warned}" in err and f"with its reason and fix: {skipped}" in err
    assert "No space left on device" in closing_error(err)  # after the lists' lines: the last the user sees
    with warned.open(encoding="utf-8", newline="") as f:
        assert sorted(row[2] for row in list(csv.reader(f, delimiter="\t"))[1:]) == sorted(copies)
    assert str(bad) in skipped.read_text(encoding="utf-8")
    assert not out.exists() and not work_of(out).exists()
    out.mkdir()  # not a prepared dataset: refused before reading, so nothing to list
    assert bimotion_main(argv) == 2 and warned.exists() and skipped.exists()


def test_a_failed_overwrite_leaves_the_lists_beside_the_dataset_it_left_untouched(tmp_path, capsys, monkeypatch):
    """`prepare --overwrite` onto an earlier dataset that failed (a full disk as it wrote, a corpus left with no
    clip) said "OUT untouched", but had replaced OUT.skipped.tsv with its own skips and deleted OUT.warned.tsv: the
    lists beside OUT no longer described it. The failed run's lists are OUT.failed.skipped.tsv and
    OUT.failed.warned.tsv, each line naming a list names one that exists, and OUT's lists are left as they were;
    the next run that succeeds removes the failed run's."""
    from conftest import closing_error, full_disk

    import bimotion.prepare

    root = testing.make_corpus("csed", tmp_path / "raw")
    data = root / "Training Data (wav)"
    shutil.copytree(data / "Positive", data / "Positive - Copy")  # warned of: OUT.warned.tsv
    (data / "Positive" / "Pos-bad.wav").write_bytes(b"RIFF" + bytes(60))  # skipped: OUT.skipped.tsv
    out = tmp_path / "out"
    argv = ["prepare", "-q", "--skip-bad", "-o", str(out)]
    assert bimotion_main([*argv, "--source", f"csed={root}"]) == 0
    capsys.readouterr()
    lists = {p.name: p.read_bytes() for p in tmp_path.glob("out.*.tsv")}
    assert sorted(lists) == ["out.skipped.tsv", "out.warned.tsv"]
    readme = (out / "README.md").read_bytes()

    # another corpus, nothing warned of, one other file skipped; its write fails (a full disk)
    other = tmp_path / "other"
    shutil.copytree(root, other, ignore=shutil.ignore_patterns("Positive - Copy", "Pos-bad.wav"))
    (other / "Training Data (wav)" / "Natural" / "Nat_Female-999.wav").write_bytes(b"junk")

    with monkeypatch.context() as patched:
        patched.setattr(bimotion.prepare, "_write_rows", full_disk)
        assert bimotion_main([*argv, "--overwrite", "--source", f"csed={other}"]) == 2
    err = capsys.readouterr().err
    assert f"(temporary files removed, {out} untouched)" in err and (out / "README.md").read_bytes() == readme
    assert {p.name: p.read_bytes() for p in tmp_path.glob("out.*.tsv") if ".failed." not in p.name} == lists
    failed = Path(f"{out}.failed.skipped.tsv")
    assert (
        f"every skipped input, with its reason and fix: {failed}" in err and "Nat_Female-999.wav" in failed.read_text()
    )
    assert closing_error(err).endswith(f"(temporary files removed, {out} untouched)")  # after its list's line
    assert not Path(f"{out}.failed.warned.tsv").exists() and "every file a warning named" not in err

    # a corpus with no clip left: an error after reading, OUT's lists as they were
    empty = tmp_path / "empty"
    shutil.copytree(root, empty, ignore=shutil.ignore_patterns("*.wav"))
    (empty / "Training Data (wav)" / "Natural" / "Nat_Female-1.wav").write_bytes(b"junk\n")
    assert bimotion_main([*argv, "--overwrite", "--source", f"csed={empty}"]) != 0
    err = capsys.readouterr().err
    assert "no usable audio files found" in err and (out / "README.md").read_bytes() == readme
    assert "no usable audio files found" in closing_error(err)  # after the failed run's list: the last line
    assert {p.name: p.read_bytes() for p in tmp_path.glob("out.*.tsv") if ".failed." not in p.name} == lists
    assert f"with its reason and fix: {failed}" in err and "Nat_Female-1.wav" in failed.read_text()

    # a run that succeeds: the failed run's lists, of an attempt it replaced, are gone
    assert bimotion_main([*argv, "--overwrite", "--source", f"csed={root}"]) == 0
    assert sorted(p.name for p in tmp_path.glob("out.*.tsv")) == ["out.skipped.tsv", "out.warned.tsv"]
