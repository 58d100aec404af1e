"""Clips whose audio is identical: the same recording filed twice in a release, often under another
name or label (the CSED release holds 57 such pairs, 11 of them labelled differently).  A split
drawn at random must keep each set in one split (:func:`bimotion.splits.assign_splits`), or a test
clip is also a training clip.

Only clips that could be equal are decoded: those of one corpus with the same sample rate, channel
count and duration (from the headers the scan already read).  Equal means equal samples, whatever
the headers say.

>>> from loaders.identical import identical_audio
>>> identical_audio(records)       # [("csed/Nat_Female-10", "csed/Nat_Female-31"), ...]
"""

from __future__ import annotations

import collections
import hashlib
import warnings
from collections.abc import Iterable

from .errors import CorpusError


def identical_audio(records: Iterable, *, progress: bool = False) -> list[tuple[str, ...]]:
    """The sets (two or more record ids, sorted; the sets sorted) of records of one corpus whose
    decoded audio is identical.  A file that cannot be decoded is left out here (the run that
    stores the audio reports it)."""
    from tqdm.auto import tqdm

    alike = collections.defaultdict(list)
    for r in records:
        alike[(r.corpus, r.sample_rate_hz, r.num_channels, r.duration_s)].append(r)
    candidates = [r for group in alike.values() if len(group) > 1 for r in group]
    by_content = collections.defaultdict(list)
    bar = tqdm(candidates, desc="finding identical audio", unit=" file", disable=not progress or not candidates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # level warnings come again, once, when the audio is stored
        for r in bar:
            samples = _samples(r.path)
            if samples is not None:
                by_content[(r.corpus, hashlib.sha256(samples.tobytes()).hexdigest())].append(r.id)
    return sorted(tuple(sorted(ids)) for ids in by_content.values() if len(ids) > 1)


def _samples(path):
    """The file's samples as they are stored (all channels; float64 holds every PCM width and float
    exactly), or None when it cannot be decoded.  libsndfile's formats are read directly (a third of
    :func:`loaders.audio.decode`'s cost, which also mixes, resamples and checks levels); others (MP4)
    through ``decode``."""
    import soundfile

    from .audio import decode

    try:
        return soundfile.read(str(path), dtype="float64", always_2d=True)[0]
    except Exception:  # not a libsndfile format (MP4/AAC), or a bad file
        try:
            return decode(path, None)[0]
        except CorpusError:
            return None
