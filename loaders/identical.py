"""Clips whose audio is identical: the same recording filed twice in a release, often under another
name or label (the CSED release holds 57 such pairs, 11 of them labelled differently), or filed in
two corpora (a corpus of one's own that reused public clips).  A split drawn at random must keep
each set of one corpus in one split (:func:`keep_together`, which
:func:`bimotion.splits.assign_splits` runs), or a test clip is also a training clip; a set across
corpora is not moved (each corpus is split on its own), and prepare warns where its copies lie in
different splits.

Only clips that could be equal are decoded: those, of any corpus, with the same sample rate and
duration (from the headers the scan already read).  Equal means equal samples, whatever the headers
say; channels that all hold the same samples count as one, so a stereo or 6-channel copy of a mono
file is found.  (`bimotion check` compares the stored 16 kHz mono audio instead: copies that only
become equal when mixed down from different channels or resampled are not found here.)

>>> from loaders.identical import identical_audio
>>> identical_audio(records)       # [("csed/Nat_Female-10", "csed/Nat_Female-31"), ...]
"""

from __future__ import annotations

import collections
import hashlib
from collections import defaultdict
from collections.abc import Iterable

from .files import sha256_of


def identical_audio(records: Iterable, *, progress: bool = False, bar: dict | None = None) -> list[tuple[str, ...]]:
    """The sets (two or more record ids, sorted; the sets sorted) of records whose audio is identical,
    of one corpus or of several (a set may span corpora).  A file that cannot be read, and a silent
    one, is left out here (the run that stores the audio reports it).  ``bar``: more tqdm options of the progress bar (the command
    line's: a line every 30 s in a log, :func:`bimotion.console.stage_bar_options`)."""
    from tqdm.auto import tqdm

    alike = collections.defaultdict(list)
    for r in records:
        alike[(r.sample_rate_hz, r.duration_s)].append(r)  # across corpora too: a copy may be filed in another
    candidates = [r for group in alike.values() if len(group) > 1 for r in group]
    by_content = collections.defaultdict(list)
    shown = tqdm(
        candidates, desc="finding identical audio", unit=" file", disable=not progress or not candidates, **(bar or {})
    )
    for r in shown:
        digest = _content_digest(r.path, round(r.duration_s * r.sample_rate_hz))
        if digest is not None:
            by_content[digest].append(r.id)
    return sorted(tuple(sorted(ids)) for ids in by_content.values() if len(ids) > 1)


def _content_digest(path, num_frames: float) -> str | None:
    """A hash of the file's samples as they are stored (all channels, or one where all are equal; float64 holds every PCM width
    and float exactly), read with libsndfile (a third of :func:`loaders.audio.decode`'s cost); for
    other formats (MP4/AAC, decoded by FFmpeg at ~0.1 s a file), and an MP3 that libsndfile would
    read only in part (fewer samples than the ``num_frames`` its probe counted, :mod:`loaders.mp3`:
    two such files that begin alike are not the same audio; not decoded, as in
    :func:`loaders.audio.decode`), of the file's bytes, so only exact copies are found there.  None
    for a file libsndfile cannot read, or a silent one."""
    from .audio import libsndfile_read
    from .levels import SILENT_PEAK_DBFS, peak_dbfs

    try:
        read = libsndfile_read(path, num_frames, dtype="float64")
    except Exception:  # not a libsndfile format, or a bad file (reported when it is stored)
        return _file_digest(path)
    if read is None:  # an MP3 libsndfile would read only in part: FFmpeg's to decode
        return _file_digest(path)
    samples = read[0]
    if peak_dbfs(samples, remove_dc=True) <= SILENT_PEAK_DBFS:  # refused when stored; equal silences are no duplicates
        return None
    if samples.shape[1] > 1 and (samples == samples[:, :1]).all():  # one signal copied to every channel
        samples = samples[:, :1]
    return hashlib.sha256(samples.tobytes()).hexdigest()


def _file_digest(path) -> str | None:
    """A hash of the file's bytes, or None for a file that cannot be read."""
    try:
        return "file:" + sha256_of(path)
    except OSError:
        return None


def keep_together(split_of: dict[str, str], rows: list, identical: list[tuple[str, ...]]) -> None:
    """Move the members of each set of ``identical`` record ids among ``rows`` (sorted by id; members
    of other corpora are not among them, and not moved) into
    the split of its first member, each move balanced by moving back a record of the same group,
    gender and (where there is one) emotions that has no twin among them, so that the split sizes and their
    strata stay as drawn (a group with no such clip left changes size by one).  Deterministic:
    sets, members and partners are taken in id order."""
    by_id = {r.id: r for r in rows}
    # twins among ``rows``: a clip whose copy is in another corpus only is a partner like any other, so
    # that a corpus's split does not change with the corpora prepared beside it
    twins = {i for ids in identical if sum(i in by_id for i in ids) > 1 for i in ids if i in by_id}
    levels = (("group", "gender", "emotions"), ("group", "gender"), ("group",))
    partners: dict[tuple, list[str]] = defaultdict(list)  # (level, its values) -> clips with no twin, id order
    for r in rows:
        if r.id not in twins:
            for level in levels:
                partners[(level, *(_value(r, f) for f in level))].append(r.id)
    used: set[str] = set()
    for ids in sorted(sorted(i for i in ids if i in by_id) for ids in identical):
        for member in ids[1:]:
            target, origin = split_of[ids[0]], split_of[member]
            if origin == target:
                continue
            split_of[member] = target
            for level in levels:
                pool = partners[(level, *(_value(by_id[member], f) for f in level))]
                partner = next((i for i in pool if split_of[i] == target and i not in used), None)
                if partner is not None:
                    split_of[partner] = origin
                    used.add(partner)
                    break


def _value(record, name: str) -> str:
    value = getattr(record, name)
    return "+".join(value) if isinstance(value, tuple) else str(value)
