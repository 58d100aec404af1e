"""Clips whose audio is identical: the same recording filed twice in a release, often under another
name or label (the CSED release holds 57 such pairs, 11 of them labelled differently), or filed in
two corpora (a corpus of one's own that reused public clips).  A split drawn at random must keep
each set of one corpus in one split (:func:`keep_together`, which
:func:`bimotion.splits.assign_splits` runs), or a test clip is also a training clip; a set across
corpora is not moved (each corpus is split on its own), and prepare warns where its copies lie in
different splits.

Only clips that could be equal are decoded: those, of any corpus, with the same sample rate and
duration (from the headers the scan already read) and the same samples in a short window from the
middle of the file (:func:`_window_digest`: a corpus whose clips all have one length is not decoded
whole, only its copies).  Equal means equal samples, whatever the headers
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
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from .errors import SKIP_BAD, CorpusError, MissingToolError
from .files import sha256_of
from .flac import blocks_to_end, unknown_length
from .skips import SkipReport


def identical_audio(
    records: Iterable,
    *,
    progress: bool = False,
    bar: dict | None = None,
    report: SkipReport | None = None,
    unlisted_only: Collection[str] = (),
) -> list[tuple[str, ...]]:
    """The sets (two or more record ids, sorted; the sets sorted) of records whose audio is identical,
    of one corpus or of several (a set may span corpora).  A file that cannot be read, and a silent
    one, is left out here (the run that stores the audio reports it).  ``progress``: two bars, "finding
    identical audio" (a window of each clip that shares its rate and duration with another) and then
    "comparing files whole" (those whose windows match another's: a count known only once every window is
    read).  ``bar``: more tqdm options of both (the command line's: a line every 30 s in a log,
    :func:`bimotion.console.stage_bar_options`).  ``report``: its audio files that no row of a corpus of
    one's own lists (skipped as ``unlisted_file``) are compared with the records too, in the same pass,
    and the skip of one holding a clip's audio says so (:func:`_name_copies`); the sets are of records only.
    ``unlisted_only``: corpora whose clips are compared only where such a file has their rate and duration (only
    their unlisted copies are sought: scan's of a corpus that its split column splits)."""
    from tqdm.auto import tqdm

    records = list(records)
    unlisted = _unlisted(report, {r.corpus for r in records}) if report is not None else []
    alike = collections.defaultdict(list)
    for r in (*records, *unlisted):
        alike[(r.sample_rate_hz, r.duration_s)].append(r)  # across corpora too: a copy may be filed in another
    for key, group in alike.items():
        if not any(r.id.startswith(_UNLISTED) for r in group):
            alike[key] = [r for r in group if r.corpus not in unlisted_only]
    candidates = [r for group in alike.values() if len(group) > 1 for r in group]
    by_window = collections.defaultdict(list)  # (rate, duration, window digest) -> records
    whole = []  # those whose window could not be read: compared whole, as all were before the window
    with tqdm(
        total=len(candidates), desc="finding identical audio", unit=" file", disable=not progress or not candidates,
        **(bar or {}),
    ) as shown:  # fmt: skip
        for r in candidates:
            window = _window_digest(r.path, _frames(r))
            (whole if window is None else by_window[(r.sample_rate_hz, r.duration_s, window)]).append(r)
            shown.update()
    whole += [r for group in by_window.values() if len(group) > 1 for r in group]
    by_content = collections.defaultdict(list)
    # a bar of its own: how many are compared whole is known only once every window is read (one bar
    # whose total then grew read as done at "227/227", then went on to "227/341")
    with tqdm(
        total=len(whole), desc="comparing files whole", unit=" file", disable=not progress or not whole,
        **(bar or {}),
    ) as shown:  # fmt: skip
        for r in whole:
            digest = _content_digest(r.path, _frames(r))
            if digest is not None:
                by_content[digest].append(r.id)
            shown.update()
    if unlisted:
        _name_copies(report, {u.id: u for u in unlisted}, by_content.values())
    sets = ([i for i in ids if not i.startswith(_UNLISTED)] for ids in by_content.values())
    return sorted(tuple(sorted(ids)) for ids in sets if len(ids) > 1)


_UNLISTED = "\0unlisted:"  # a file no row lists, compared as a clip: an id no record has


@dataclass(frozen=True)
class _Unlisted:
    """An audio file below a corpus of one's own that no row of its metadata lists, as a clip is compared."""

    id: str
    corpus: str
    path: str  # as its skip shows it
    sample_rate_hz: int
    duration_s: float


def _unlisted(report: SkipReport, corpora: set[str]) -> list[_Unlisted]:
    """The files of ``corpora`` that ``report`` skipped as ``unlisted_file``, each with the rate and duration its
    header gives (rounded as :meth:`loaders.base.Collector.add` records a clip's); one whose header cannot be read
    is left out (its skip stands).  Its skip shows the path as it is: a name that is not UTF-8 is skipped as such."""
    import warnings

    from .audio import probe

    found = []
    for (corpus, reason), entries in sorted(report.examples.items()):
        if reason != "unlisted_file" or corpus not in corpora or corpus not in report.listed_at:
            continue
        for file, _, _ in entries:
            try:
                with warnings.catch_warnings():  # a file skipped already: its header read only to compare it
                    warnings.simplefilter("ignore")
                    info = probe(file)
            except (CorpusError, MissingToolError, OSError):  # damaged too: its skip stands as it is
                continue
            found.append(_Unlisted(f"{_UNLISTED}{file}", corpus, file, info.sample_rate_hz, round(info.duration_s, 6)))
    return found


def _name_copies(report: SkipReport, unlisted: dict[str, _Unlisted], sets: Iterable[list[str]]) -> None:
    """Reword the skip of each ``unlisted`` file whose audio one of ``sets`` (ids with identical audio) holds with a
    clip its corpus lists: the same audio as that clip (the first of them by id), which its metadata's line lists."""
    for ids in sets:
        for copy in (unlisted[i] for i in ids if i in unlisted):
            metadata, lines = report.listed_at[copy.corpus]
            clip = next((i for i in sorted(ids) if i in lines), None)
            if clip is None:  # the same audio as another file no row lists, or as another corpus's clip only
                continue
            report.reword(copy.corpus, "unlisted_file", copy.path, _copy_said(metadata, clip, lines[clip]), COPY_FIX)


COPY_FIX = "delete it or move it out of the corpus folder"  # an unlisted copy of a listed clip's


def _copy_said(metadata: str, clip: str, line) -> str:
    """What an unlisted file holding the audio of ``clip`` (a record id), which ``metadata``'s ``line`` lists, is."""
    return (
        f"audio by content, but not listed in {metadata}: the same audio as {clip.partition('/')[2]}, which "
        f"{metadata} line {line} lists (a second copy of that clip: {COPY_FIX})"
    )


def unlisted_copy(error: CorpusError, corpus: str, records: list, listed_at: tuple[str, dict]) -> CorpusError:
    """``error``, the ``unlisted_file`` error of an audio file of ``corpus`` that no row lists, raised without
    ``--skip-bad``, before scan and prepare look for identical audio: where the file holds the audio of one of
    ``records`` (its corpus's listed clips; ``listed_at``: its metadata's name, and ``{record id: line}``), that
    look's words for its skip (:func:`_name_copies`, here of this file alone), with :data:`COPY_FIX`; else ``error``."""
    report = SkipReport()
    report.add(corpus, error)
    report.listed_at[corpus] = listed_at
    identical_audio(records, report=report, unlisted_only={corpus})
    ((_, said, _),) = report.examples[(corpus, "unlisted_file")]
    return error if said == error.message else type(error)(error.path, error.reason, said, COPY_FIX, SKIP_BAD)


def _frames(record) -> int:
    """The frames ``record``'s header counts (the same number for every clip of one rate and duration)."""
    return round(record.duration_s * record.sample_rate_hz)


WINDOW_FRAMES = 2048  # frames read from the middle of each clip to sort out clips that cannot be equal
# libsndfile subtypes whose every sample is stored on its own (PCM, float, u-law and A-law; FLAC's too:
# lossless, its seeks are to the exact frame): a seek then reads the very samples a read from the start
# gives there.  Any other (MP3, Vorbis, Opus, ADPCM, GSM...) is decoded from the start up to the window.
_SAMPLES_ON_THEIR_OWN = frozenset({"PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"})


def _window_digest(path, num_frames: int) -> str | None:
    """A hash of :data:`WINDOW_FRAMES` frames of ``path`` from frame ``num_frames // 2`` on (the middle:
    clips often begin with the same digital silence), read as :func:`_content_digest` reads them: by
    libsndfile, as float64, channels that all hold the same samples in the window counted as one.  None
    where libsndfile cannot read it (the file is then compared whole, as every file was before).

    Two files :func:`_content_digest` calls identical always get the same window digest, so comparing
    only the files whose window digest another file of their rate and duration shares finds every set:

    - equal samples give an equal window: libsndfile turns each stored sample into float64 on its own,
      whatever its position and whatever the read's size, so a 16-bit, a 24-bit and a float file holding
      the same values (float64 holds each exactly) give the same float64 values here as in the whole read;
      the window is the whole read's frames ``num_frames // 2`` on (a seek for the subtypes in
      :data:`_SAMPLES_ON_THEIR_OWN`, which read the same samples there, a FLAC that declares no length then
      read as a stream, as the whole read reads it, :func:`loaders.flac.blocks_to_end`; others decoded from the
      first frame, as the whole read decodes them), and ``num_frames`` is the header's count, the same for every file
      of one rate and duration, so both windows start at the same frame;
    - channels: a file whose channels are all equal throughout has them equal in the window too, so a
      stereo copy of a mono file is one channel in both digests; two files with equal channels are equal
      in the window too, and collapse alike;
    - a file shorter than ``num_frames // 2 + WINDOW_FRAMES`` frames gives what it holds from there (none
      at all past its end): the same for two files with the same samples;
    - a file compared by its bytes (an MP3 libsndfile reads only in part): an exact copy holds the same
      bytes, which libsndfile reads alike, so it gets the same window, or None with it;
    - None (compared whole) comes only where libsndfile fails on the window's part of a file, so its whole
      read fails too and its digest is of its bytes: only an exact copy shares it, and gets None with it;
    - a silent file has a window like any other; compared whole it is left out, as it was before.

    A digest is only a necessary condition: files whose windows are equal are then compared whole."""
    import numpy as np

    from .audio import libsndfile_open

    start = num_frames // 2
    try:
        with libsndfile_open(path) as f:  # opened as the whole read opens it (libmpg123's notes a warning)
            if f.seekable() and f.subtype in _SAMPLES_ON_THEIR_OWN:
                f.seek(min(start, f.frames))
                if unknown_length(f):  # a FLAC of no declared length: libFLAC fails a read that reaches its end
                    window = next(blocks_to_end(f, "float64", WINDOW_FRAMES), np.empty((0, f.channels)))
                else:
                    window = f.read(WINDOW_FRAMES, dtype="float64", always_2d=True)
            else:
                window = f.read(start + WINDOW_FRAMES, dtype="float64", always_2d=True)[start:]
    except Exception:  # not a libsndfile format, or a bad file: compared whole, as before
        return None
    return _samples_digest(window)


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
    return _samples_digest(samples)


def _samples_digest(frames) -> str:
    """A hash of float64 frames x channels, of one channel where every channel holds the same samples (one
    signal copied to every channel: the same audio as its mono file): the window's and the whole read's."""
    if frames.shape[1] > 1 and (frames == frames[:, :1]).all():
        frames = frames[:, :1]
    return hashlib.sha256(frames.tobytes()).hexdigest()


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
