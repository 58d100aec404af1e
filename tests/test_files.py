"""loaders.files: files written whole or not at all, by processes on one host or on several hosts
sharing a folder (a grid's output folder, the probe's feature cache)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from loaders import files

WRITER = """
import sys, numpy as np
from loaders.files import save_npz
value = int(sys.argv[2])
for _ in range(int(sys.argv[3])):
    save_npz(sys.argv[1], {"x": np.full(200_000, value, dtype=np.int64)})
"""


def test_processes_saving_one_npz_at_once_leave_one_writers_whole_file_and_no_temporary(tmp_path):
    """What the probe's shared feature cache and a grid's prediction files meet: every read while
    two writers race is one writer's whole file, and nothing else is left in the folder."""
    target = tmp_path / "cache" / "chunk.npz"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(v), "40"]) for v in (1, 2)]
    reads = set()
    while any(w.poll() is None for w in writers):
        if target.exists():
            with np.load(target) as data:
                x = data["x"]
            assert len(x) == 200_000 and len(set(x.tolist())) == 1
            reads.add(int(x[0]))
    assert [w.returncode for w in writers] == [0, 0]
    with np.load(target) as data:
        reads.add(int(data["x"][0]))
    assert reads <= {1, 2}
    assert [p.name for p in target.parent.iterdir()] == ["chunk.npz"]


def test_a_failed_write_leaves_the_old_file_and_nothing_else(tmp_path):
    target = files.write_text_atomic(tmp_path / "table.md", "old\n")
    with pytest.raises(RuntimeError, match="disk full"), files.open_atomic(target) as f:
        f.write("half a ta")
        raise RuntimeError("disk full")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["table.md"]
    with pytest.raises(ValueError, match="mode 'w' or 'wb'"), files.open_atomic(target, "a"):
        pass


def test_orphans_are_removed_only_when_their_writer_is_surely_gone(tmp_path):
    """On a folder shared by several machines another machine's pid says nothing here: its temporary
    file is removed only once it is a day old; this machine's are removed as soon as their process is
    gone; files that are not this target's temporary files are never touched, however old."""
    target = tmp_path / "scores.json"
    here, there, dead = files.machine_id(), "0badc0de", 2**22 + 1  # above Linux's largest pid: no such process
    assert here != there and len(here) == 8
    names = {
        "dead here": f".scores.json.{here}-{dead}.0000000a.tmp",
        "alive here": f".scores.json.{here}-{os.getpid()}.0000000b.tmp",
        "other machine": f".scores.json.{there}-{dead}.0000000c.tmp",
        "other machine, old": f".scores.json.{there}-{dead}.0000000d.tmp",
        "other target, old": f".scores.json.bak.{here}-{dead}.0000000e.tmp",
        "not a temporary file, old": ".scores.json.notes.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_text("half")
    day_ago = time.time() - files.ORPHAN_AGE_S - 60
    for key in ("other machine, old", "other target, old", "not a temporary file, old"):
        os.utime(tmp_path / names[key], (day_ago, day_ago))
    files.write_text_atomic(target, "{}\n")
    left = {p.name for p in tmp_path.iterdir()}
    gone = {names["dead here"], names["other machine, old"]}
    assert left == {"scores.json"} | set(names.values()) - gone
