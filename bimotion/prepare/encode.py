"""Decode, resample and FLAC-encode records into dataset rows, in order, optionally in worker
processes that decode a bounded window of records ahead of the writer (so peak memory depends on
the window, never on the corpus size) and that die with the run."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool

from loaders import BadFileError, CorpusError, known_defects
from loaders.audio import decode_measured, probe
from loaders.errors import MissingToolError, spoken
from loaders.ffmpeg import ffmpeg_reason, needs_ffmpeg_skip
from loaders.levels import check_not_silent

from ..features import SAMPLE_RATE_HZ, example

RECORDS_PER_TASK = 8
TASKS_AHEAD_PER_PROC = 4
WORKER_DIED = (
    "a worker process died while decoding (the system may have killed it for memory, or an audio library "
    "crashed on a file): run again with a lower --num-proc"
)

# (row, None, peak dBFS, clipped fraction, channel findings) or (None, BadFileError args, None, None, findings)
Encoded = tuple[dict | None, tuple | None, float | None, float | None, list]


def encode_records(records, *, rows: bool = True) -> list[Encoded]:
    """Decode, resample and FLAC-encode records: ``(row, None, peak_dbfs, clipped, findings)`` or ``(None,
    BadFileError args, None, None, findings)`` (a CorpusError does not survive pickling, so its fields travel
    instead; ``findings``: what its channels were warned of, :class:`loaders.channels.ChannelFinding`, for
    ``OUTPUT.warned.tsv``: :func:`note_channels`); a file that
    takes FFmpeg, when it is not installed, is a ``needs_ffmpeg`` one (:func:`loaders.ffmpeg.needs_ffmpeg_skip`).
    ``peak_dbfs``, the stored clip's peak around its mean (:func:`loaders.levels.check_not_silent`'s),
    travels beside the row, not in it: the dataset has no such column; so does ``clipped``, the source's
    hard clipping measured in the same decode (:func:`loaders.audio.decode_measured`).  ``rows`` False
    (``scan --levels``): decoded and measured as for storing, not encoded (``(None, None, peak_dbfs, clipped, findings)``)."""
    out = []
    for record in records:
        findings: list = []
        try:
            samples, _, clipped = decode_measured(record.path, SAMPLE_RATE_HZ, dtype="int16", findings=findings)
            if samples.size == 0:
                raise BadFileError(record.path, "no_samples", "the file decodes to no audio samples", "replace it")
            peak_dbfs = check_not_silent(record.path, samples)
            out.append((example(record, samples) if rows else None, None, peak_dbfs, clipped, findings))
        except CorpusError as err:
            out.append((None, (err.path, err.reason, err.message, err.fix, err.offer), None, None, findings))
        except MissingToolError:  # FFmpeg found needed only now: the file is named, and skipped, as before decoding
            err = needs_ffmpeg_skip(record.path, ffmpeg_reason(probe(record.path).format))
            out.append((None, (err.path, err.reason, err.message, err.fix, err.offer), None, None, findings))
    return out


def note_channels(record, findings: list, report) -> None:
    """Keep the file of ``record`` in ``report``'s ``named`` for each warning its channels' mix gave (``findings``:
    :class:`loaders.channels.ChannelFinding`), so that ``OUTPUT.warned.tsv`` lists it beside the files the readers'
    warnings named (:func:`loaders.named.add_named`): its kind (``different_channels``, ``cancelling_channels``)
    and what was found (``channels hold different signals (coherence 0.05)``)."""
    from loaders.named import add_named

    for finding in findings:
        add_named(report, record.corpus, finding.kind, [(record.path, finding.note)])


def encoded(records: list, num_proc: int, *, rows: bool = True) -> Iterator[Encoded]:
    """:func:`encode_records` over ``records`` (``rows`` False: measured, not encoded), in order,
    ``num_proc`` processes decoding a bounded window of tasks ahead."""
    tasks = [records[i : i + RECORDS_PER_TASK] for i in range(0, len(records), RECORDS_PER_TASK)]
    if num_proc <= 1:
        for task in tasks:
            yield from encode_records(task, rows=rows)
        return
    # fork where there is one: workers start at once and scripts need no `__main__` guard
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = concurrent.futures.ProcessPoolExecutor(
        num_proc, mp_context=context, initializer=_worker_setup, initargs=(os.getpid(),)
    )
    with pool:
        window: collections.deque = collections.deque()
        try:
            for task in tasks:
                window.append(pool.submit(encode_records, task, rows=rows))
                if len(window) >= num_proc * TASKS_AHEAD_PER_PROC:
                    yield from window.popleft().result()
            while window:
                yield from window.popleft().result()
        except BrokenProcessPool as err:
            _kill_workers(pool)
            raise BrokenProcessPool(spoken(WORKER_DIED)) from err
        finally:
            for future in window:
                future.cancel()


def refuse_or_skip(error: tuple, record, *, skip_bad: bool, report) -> None:
    """A record whose audio did not decode or store (``error``: the :class:`BadFileError` fields of
    :func:`encode_records`): raised, unless ``skip_bad`` or it is a release's known bad media gone silent,
    which are counted in ``report`` (a :class:`~loaders.skips.SkipReport`) as read, then skipped (the
    known defect's skip names it, :func:`loaders.known_defects`)."""
    from loaders.ffmpeg import missing_ffmpeg

    err = BadFileError(*error)
    if err.reason == "needs_ffmpeg" and not skip_bad:  # as the check before decoding says it
        raise missing_ffmpeg([err.path])
    known = err.reason == "silent" and record.id in known_defects(record.corpus)  # a release's own defect
    if not (skip_bad or known):
        raise err
    if known:  # the skip says what it is, not the advice for a bad copy ("replace it with the recording")
        err = BadFileError(
            err.path,
            err.reason,
            f"{err.message}: {record.id} is a known defect of the {record.corpus} release "
            f"({known_defects(record.corpus)[record.id]}), and this copy has no audio at all, so it is skipped",
            "nothing to do: no copy of the release is better",
        )
    report.skip_read(record.corpus, err)  # read by the scan, undecodable now


def measure_levels(records: list, num_proc: int, *, skip_bad: bool, report, progress: bool) -> tuple[list, dict, dict]:
    """``scan --levels``: every record decoded as :func:`encode_records` decodes it for storing, and
    measured there, not encoded.  Returns the records ``prepare`` would store (one that does not decode,
    or is silent, is raised or skipped as ``prepare`` does it, :func:`refuse_or_skip`) and ``{corpus: {id:
    peak dBFS}}`` of all of them (:func:`bimotion.prepare.info.clip_levels` picks the notable ones), and
    ``{corpus: {id: clipped fraction}}`` of the hard-clipped ones (:func:`bimotion.prepare.clipping.clipped_info`)."""
    from tqdm.auto import tqdm

    from bimotion.console import stage_bar_options

    kept, peaks, clipped = [], {}, {}
    bar = tqdm(total=len(records), desc="measuring levels", unit=" utt", disable=not progress, **stage_bar_options())
    with bar, contextlib.closing(encoded(records, num_proc, rows=False)) as measured:
        for record, (_, error, peak_dbfs, clip, findings) in zip(records, measured, strict=True):
            bar.update()
            note_channels(record, findings, report)
            if error is not None:
                refuse_or_skip(error, record, skip_bad=skip_bad, report=report)
                continue
            kept.append(record)
            peaks.setdefault(record.corpus, {})[record.id] = peak_dbfs
            if clip:
                clipped.setdefault(record.corpus, {})[record.id] = clip
    return kept, peaks, clipped


def _kill_workers(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """SIGKILL the workers left in a broken pool: it stops them with SIGTERM, which they ignore
    (:func:`_worker_setup`), and its shutdown then waited for them for ever (a worker the system killed
    for memory hung the run).  ``_processes`` is the pool's own table of its workers."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):  # one that has gone already
            process.kill()


def _worker_setup(parent_pid: int) -> None:
    """Pool initializer: end this worker when the run that started it dies (even by SIGKILL), so
    no worker outlives it holding memory and the caller's pipes; leave Ctrl-C and SIGTERM to the run.  A
    terminal's Ctrl-C reaches every process of the group: a worker that died of it broke the pool,
    whose manager thread then failed on the futures the run had cancelled, and the run hung in its
    shutdown after printing "interrupted".  Slurm's SIGTERM reaches every process of the job the same way.
    The run stops the workers itself (the pool's shutdown)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # Slurm's time limit signals every process of the job
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()


def _watch_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Fallback where there is no PR_SET_PDEATHSIG: exit once re-parented (the parent died)."""
    while os.getppid() == parent_pid:
        time.sleep(interval_s)
    os._exit(1)
