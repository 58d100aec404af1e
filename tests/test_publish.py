"""bimotion.data.publish on its own: the swap into place and the clean-up after a failed block."""

from __future__ import annotations

import os

import pytest

from bimotion.data.layout import INFO_FILE
from bimotion.data.publish import LOCK_SUFFIX, OutputLockedError, claim_output, publishing, work_dir


def _dataset(folder, text):
    folder.mkdir(parents=True)
    (folder / INFO_FILE).write_text(text)


def test_a_finished_block_replaces_the_output_and_leaves_nothing_beside_it(tmp_path):
    out = tmp_path / "out"
    _dataset(out, "old")
    with claim_output(out, overwrite=True) as claimed, publishing(claimed, overwrite=True) as stage:
        (stage / INFO_FILE).write_text("new")
    assert (out / INFO_FILE).read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_block_keeps_the_previous_output(tmp_path):
    out = tmp_path / "out"
    _dataset(out, "old")
    with pytest.raises(RuntimeError, match="boom"), claim_output(out, overwrite=True) as claimed:
        with publishing(claimed, overwrite=True) as stage:
            (stage / INFO_FILE).write_text("new")
            raise RuntimeError("boom")
    assert (out / INFO_FILE).read_text() == "old"
    assert not work_dir(out).exists() and not out.with_name("out" + LOCK_SUFFIX).exists()


def test_a_second_claim_fails_at_once_and_an_existing_output_needs_overwrite(tmp_path):
    out = tmp_path / "out"
    with claim_output(out, overwrite=False):
        with pytest.raises(OutputLockedError, match="another prepare is writing"):
            with claim_output(out, overwrite=False):
                pass
    _dataset(out, "old")
    with pytest.raises(FileExistsError, match="pass overwrite=True"), claim_output(out, overwrite=False):
        pass


def test_a_training_run_goes_on_with_a_warning_where_no_lock_can_be_taken(tmp_path, monkeypatch):
    """A file system without flock (some network or FUSE mounts) must not stop training: the run
    warns that a second run would not be stopped, and goes on; a held lock still stops it."""
    import errno
    import fcntl

    from bimotion.training.processes import exclusive_output

    out = tmp_path / "model"
    with exclusive_output(out, 0), pytest.raises(OutputLockedError, match="another train is writing"):
        with exclusive_output(out, 0):
            pass

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.warns(UserWarning, match="a second run into it would not be stopped"):
        with exclusive_output(out, 0):
            ran = True
    assert ran and not (out / ".train.lock").exists()


def test_a_lock_released_within_the_grace_is_taken_and_one_held_longer_is_refused(tmp_path):
    """A grid worker killed a moment ago can hold its model's lock until its last threads exit: the
    training lock waits a little (grace_s) before refusing; prepare's refuses at once."""
    import fcntl
    import threading
    import time

    from bimotion.data.publish import OutputLockedError, locked

    out = tmp_path / "model"
    out.mkdir()
    holder = os.open(out / ".train.lock", os.O_RDONLY | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another open file description: conflicts even in this process
    with pytest.raises(OutputLockedError, match="another train is writing"):
        with locked(out, "train", inside=True):
            pass
    threading.Timer(0.3, os.close, [holder]).start()  # the dying worker lets go
    start = time.monotonic()
    with locked(out, "train", inside=True, grace_s=3.0):
        assert 0.2 < time.monotonic() - start < 3.0


def test_an_upload_is_listed_in_the_tense_of_what_happened():
    from bimotion.hub_upload import plan_lines

    plan = [("README.md", 2_000), ("model.safetensors", 1_260_000_000)]
    heads = [plan_lines(plan, "me/m", repo_type="model", private=None, dry_run=d, done=o)[0] for d, o in
             ((True, False), (False, False), (False, True))]  # fmt: skip
    assert [h.split(" 2 files")[0] for h in heads] == ["would upload", "uploading", "uploaded"]
    assert heads[2] == "uploaded 2 files (1260.0 MB) to https://huggingface.co/me/m (private):"
    assert plan_lines(plan, "me/d", repo_type="dataset", private=False, dry_run=True)[1:] == [
        "  README.md  (0.00 MB)", "  model.safetensors  (1260.00 MB)"
    ]  # fmt: skip
    assert "datasets/me/d (PUBLIC)" in plan_lines(plan, "me/d", repo_type="dataset", private=False, dry_run=True)[0]
