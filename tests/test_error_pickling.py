"""Errors raised in a worker process (``datasets``' map with ``num_proc``, a multiprocessing pool) reach the
parent pickled.  An exception whose ``__init__`` takes other arguments than its message was pickled by its
message alone (BaseException's way) and could not be rebuilt there: ``TypeError: ... missing 4 required
positional arguments``, in place of the error the user was to read.  Each now comes back whole: the same type,
message and fields."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest


def _group_item_error():
    from bimotion.grid.plan import item_groups

    with pytest.raises(ValueError) as raised:
        item_groups("groups", ["zho_eld", "eng_adu+eng_eld"])
    return raised.value


def _errors():
    from bimotion.grid.workers import ToScoreAgain
    from bimotion.hub import HubUnreachableError
    from bimotion.hub_marker import RecentlyUnanswered
    from loaders.errors import BadFileError, CorpusError, DamagedFileError, LayoutError

    clip = Path("corpus/a.wav")
    return {
        "GroupItemError": (_group_item_error, ("key", "specs", "index", "groups", "items")),
        "ToScoreAgain": (lambda: ToScoreAgain("zho_eld-seed0", "out/predictions/x.npz is gone"), ("unit", "why")),
        "HubUnreachableError": (lambda: HubUnreachableError("cannot fetch README.md", "timed out"), ("why",)),
        "RecentlyUnanswered": (lambda: RecentlyUnanswered("connection refused", True), ("error", "tls")),
        "CorpusError": (lambda: CorpusError(clip, "not_audio", "not audio", "delete it"), ("path", "reason", "hint")),
        "BadFileError": (
            lambda: BadFileError(clip, "truncated", "cut short", "copy it again", "pass --skip-bad to skip it"),
            ("path", "reason", "fix", "offer", "hint"),
        ),
        "LayoutError": (lambda: LayoutError(clip, "unknown_label", "label 'x'"), ("path", "reason", "message")),
        "DamagedFileError": (lambda: DamagedFileError("x.parquet is damaged: prepare again", "bad magic"), ("detail",)),
    }


@pytest.mark.parametrize("name", list(_errors()))
def test_an_error_with_its_own_arguments_comes_back_from_pickling_whole(name):
    make, fields = _errors()[name]
    err = make()
    err.stopped_in = "set as it was raised"  # what a caller added on the way is kept too
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) and back.args == err.args
    for field in (*fields, "stopped_in"):
        assert getattr(back, field) == getattr(err, field), field


def _raise_group_item_error(_):
    raise _group_item_error()


def test_a_group_item_error_raised_in_a_worker_process_reaches_the_parent_with_its_message():
    """The symptom: a pool's worker raising it gave the parent a BrokenProcessPool or a TypeError, never its
    words (``groups: item 2, 'eng_adu+eng_eld', is 2 groups ...``)."""
    from bimotion.grid.plan import GroupItemError

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        with pytest.raises(GroupItemError) as raised:
            list(pool.map(_raise_group_item_error, [0]))
    assert str(raised.value) == str(_group_item_error())
    assert str(raised.value).startswith("groups: item 2, 'eng_adu+eng_eld', is 2 groups (eng_adu, eng_eld)")
