"""Hard clipping as ``prepare.json`` (and ``scan --levels``) records it: per corpus, the clips whose source
has a run of :data:`~loaders.levels.CLIP_RUN_SAMPLES` or more samples at full scale, per label, and whether that
is :func:`uneven` across labels, a shortcut a model can learn in place of the emotion; and in the same check, a
recording format (sample rate, channels, sample format or codec) that goes with the label (:func:`format_info`,
``prepare.json``'s ``formats``, ``scan``'s too), the other such shortcut."""

from __future__ import annotations

import collections
import math

from loaders.levels import CLIP_RUN_SAMPLES

from .info import MAX_LISTED_CLIPS, ShardKey, ShardStats


def shard_clipping(stats: dict[ShardKey, ShardStats], words: dict | None = None) -> dict:
    """:func:`clipped_info` of the shards' hard-clipped rows (:attr:`ShardStats.clipped`) among all they hold;
    ``words``: :func:`label_words` of the records stored."""
    clipped: dict[str, dict] = {}
    totals: dict[str, tuple[int, collections.Counter]] = {}
    for (corpus, _, _), shard in stats.items():
        clipped.setdefault(corpus, {}).update(shard.clipped)
        rows, labels = totals.get(corpus, (0, collections.Counter()))
        totals[corpus] = (rows + shard.rows, labels + shard.emotions)
    return clipped_info(clipped, totals, words)


def label_words(records) -> dict[str, dict[str, list[str]]]:
    """``{corpus: {label: the user's own names of it}}`` of ``records`` that keep them (``extra["label_words"]``: a
    corpus of one's own whose label map maps ``marah`` onto anger), for the notes to name both: ``marah (anger)``
    (:func:`loaders.levels.label_named`)."""
    out: dict[str, dict[str, set[str]]] = {}
    for record in records:
        for label, words in record.extra.get("label_words", {}).items():
            out.setdefault(record.corpus, {}).setdefault(label, set()).update(words)
    return {corpus: {label: sorted(w) for label, w in sorted(found.items())} for corpus, found in out.items()}


def _words_of(words: dict[str, list[str]], labels) -> dict:
    """``{"words": ...}``, an entry's user's own names of its ``labels`` (:func:`label_words`), where any."""
    kept = {label: words[label] for label in labels if label in words}
    return {"words": kept} if kept else {}


def clipped_info(
    clipped: dict[str, dict[str, tuple]], totals: dict[str, tuple[int, dict]], words: dict | None = None
) -> dict:
    """``prepare.json``'s ``clipped`` (and ``scan --levels``'s): per corpus of ``clipped`` (``{corpus: {id:
    (fraction of its source's samples in runs at full scale, its labels)}}``, :func:`loaders.levels.clipped_fraction`),
    how many of its clips (``totals``: ``{corpus: (clips, {label: clips})}``, all it stores) are hard-clipped,
    per label, the largest fraction (unrounded: its readers word it by :func:`loaders.levels.clipped_percent`),
    whether clipping is :func:`uneven` across labels (a shortcut a model can learn in place of the emotion: of
    its labels of :data:`FORMAT_MIN_CLIPS` clips or more, as :func:`format_info` tells a format's; those of fewer
    are too few to tell, left out and named, ``few``: ``{label: clips}``, and ``min_clips``), the first ids in id
    order, and the user's own names of its labels (``words``: :func:`label_words`), where any."""
    out = {}
    for corpus, found in clipped.items():
        if not found:
            continue
        per_label = collections.Counter(label for _, labels in found.values() for label in labels)
        clips, of = totals[corpus]
        by_label = {label: {"clips": per_label[label], "of": n} for label, n in sorted(of.items())}
        few = {label: k["of"] for label, k in by_label.items() if k["of"] < FORMAT_MIN_CLIPS}
        out[corpus] = {
            "clips": len(found),
            "of": clips,
            "run_samples": CLIP_RUN_SAMPLES,
            "most_clipped_fraction": max(f for f, _ in found.values()),  # unrounded: 3 samples in 5 s are not 0
            "by_label": by_label,
            "uneven": uneven([(k["clips"], k["of"]) for label, k in by_label.items() if label not in few]),
            **({"few": few, "min_clips": FORMAT_MIN_CLIPS} if few else {}),
            "listed": sorted(found)[:MAX_LISTED_CLIPS],
            **_words_of((words or {}).get(corpus, {}), by_label),
        }
    return out


UNEVEN_RATIO = 1.5  # the most clipped label's rate at least this many times the least's...
UNEVEN_Z = 2.3263  # ...and a chi-square test of clipping against label at p < 0.01 (the normal's 99% quantile)


def uneven(counts: list[tuple[int, int]]) -> bool:
    """Whether hard clipping is uneven across labels (``counts``: ``(clipped, clips)`` per label): the
    highest rate at least :data:`UNEVEN_RATIO` times the lowest, and beyond chance (Pearson's chi-square
    of the labels x clipped table above its 99% quantile, by the Wilson-Hilferty approximation)."""
    counts = [(k, n) for k, n in counts if n]
    clipped, total = sum(k for k, _ in counts), sum(n for _, n in counts)
    if len(counts) < 2 or clipped in (0, total):
        return False
    rates = [k / n for k, n in counts]
    if max(rates) < UNEVEN_RATIO * min(rates):
        return False
    p = clipped / total
    chi2 = sum((k - n * p) ** 2 / (n * p) + ((n - k) - n * (1 - p)) ** 2 / (n * (1 - p)) for k, n in counts)
    df = len(counts) - 1
    quantile = df * (1 - 2 / (9 * df) + UNEVEN_Z * math.sqrt(2 / (9 * df))) ** 3
    return chi2 > quantile


# a format goes with the label (format_info) where it is the format of at least this share of some labels' clips...
FORMAT_HELD_SHARE = 0.5
FORMAT_ALONE_SHARE = 0.95  # ...and at least this share of its clips are of those labels, other labels (nearly) none
# A label of fewer clips is too few to tell whether a format (or clipping: clipped_info) goes with it: left out of
# the test, and named as such.
# 4 is the fewest for which a label's clips all in a format no other clip is in are beyond chance by the test
# (uneven's chi-square is the number of clips, N, above its 99% quantile: of two labels of n clips each 2n > 6.6
# from n = 4, not at 3; of more labels, 4 each is enough too), so that a label with as few as 2 or 3 clips is never
# said to go with a format by chance, nor passed over in silence.
FORMAT_MIN_CLIPS = 4
_SAMPLE_WORDS = {"PCM_S8": "8-bit", "PCM_U8": "8-bit", "PCM_16": "16-bit", "PCM_24": "24-bit", "PCM_32": "32-bit"}
_SAMPLE_WORDS |= {"FLOAT": "32-bit float", "DOUBLE": "64-bit float", "ULAW": "µ-law", "ALAW": "A-law"}
_CODEC_WORDS = {"mp3": "MP3", "mp4": "AAC (MP4)", "VORBIS": "Ogg Vorbis", "OPUS": "Ogg Opus"}


def recording_format(record, sample: str) -> tuple[str, str, str]:
    """``(sample rate, channels, sample format)`` of ``record`` in words, its rate and channels as its record
    gives them, ``sample``: its file's :func:`sample_words`: ``("22.05 kHz", "mono", "24-bit WAV")``,
    ``("48 kHz", "stereo", "32-bit float WAV")``, ``("44.1 kHz", "stereo", "MP3")``."""
    channels = {1: "mono", 2: "stereo"}.get(record.num_channels, f"{record.num_channels} channels")
    return f"{record.sample_rate_hz / 1000:g} kHz", channels, sample


def sample_words(path) -> str:
    """The sample format (or codec) of the audio file at ``path`` in words, read from its header alone
    (:func:`loaders.audio.sample_format`): ``24-bit WAV``, ``32-bit float WAV``, ``16-bit FLAC``, ``MP3``."""
    from loaders.audio import sample_format

    kind, subtype = sample_format(path)
    codec = _CODEC_WORDS.get(kind) or _CODEC_WORDS.get(subtype)
    return codec or f"{_SAMPLE_WORDS.get(subtype, subtype)} {kind.upper()}".strip()


_VIEWS = (lambda f: " ".join(f), lambda f: f[0], lambda f: f[1], lambda f: f[2])  # a whole format, then each part


def format_info(records) -> dict:
    """``prepare.json``'s ``formats`` (and ``scan``'s) of ``records`` (those stored): per corpus whose recording
    format goes with the label, its clips' formats (:func:`recording_format`, joined) per label and the formats
    (or a sample rate, channel count or sample format alone, where the whole formats of its labels' clips differ
    more) that go with some labels and not the others (:func:`format_labels`): a model can learn the format in
    place of the emotion; its labels too few clips to tell (``few``, :data:`FORMAT_MIN_CLIPS`); and the user's own
    names of its labels (``words``: :func:`label_words`), where any.  A corpus recorded in one format, or whose
    formats do not go with its labels of enough clips and that has no label of too few, is absent.
    Each file's header is read once, for its sample format alone; the records are counted in one pass."""
    samples = {path: sample_words(path) for path in dict.fromkeys(r.path for r in records)}
    tallies: dict[str, list[dict[str, collections.Counter]]] = {}  # corpus -> per view: {value: {labels: clips}}
    for r in records:
        labels = r.emotions or ("(none)",)
        fmt = recording_format(r, samples[r.path])
        for view, tally in zip(_VIEWS, tallies.setdefault(r.corpus, [{} for _ in _VIEWS]), strict=True):
            tally.setdefault(view(fmt), collections.Counter())[labels] += 1
    words = label_words(records)
    return {
        corpus: found | _words_of(words.get(corpus, {}), found["by_label"])
        for corpus, views in sorted(tallies.items())
        if (found := _corpus_formats(views))
    }


def _corpus_formats(views: list[dict[str, collections.Counter]]) -> dict:
    """One corpus's :func:`format_info` entry from its tallies (per view: ``{value: {labels: clips}}``), or ``{}``:
    in a corpus of several formats, the labels of fewer than :data:`FORMAT_MIN_CLIPS` clips are left out of the test
    and named (``few``: ``{label: clips}``, and ``min_clips``), too few to tell whether a format goes with them."""
    per_value = [{value: _per_label(sets) for value, sets in tally.items()} for tally in views]
    totals = collections.Counter()
    for counts in per_value[0].values():
        totals.update(counts)
    if len(views[0]) < 2:  # recorded in one format: no shortcut, whatever the labels' clips
        return {}
    few = {label: n for label, n in sorted(totals.items()) if n < FORMAT_MIN_CLIPS}
    alone: list[dict] = []
    for tally, counts in zip(views, per_value, strict=True):
        for value in sorted(tally):
            held = format_labels({label: (counts[value][label], n) for label, n in totals.items() if label not in few})
            if held and not any(a["labels"] == held for a in alone):  # said once, by its whole format
                of_held = sum(n for labels, n in tally[value].items() if set(labels) & set(held))
                alone.append({"format": value, "labels": held, "clips": of_held, "of": tally[value].total()})
    if not alone and not few:
        return {}
    by_label = {
        label: {"of": n, "formats": {v: c[label] for v, c in sorted(per_value[0].items()) if c[label]}}
        for label, n in sorted(totals.items())
    }
    too_few = {"few": few, "min_clips": FORMAT_MIN_CLIPS} if few else {}
    return {"of": sum(tally.total() for tally in views[0].values()), "by_label": by_label, "alone": alone, **too_few}


def _per_label(sets: collections.Counter) -> collections.Counter:
    """``{label: clips}`` of ``{labels: clips}``: a clip of several labels counts for each."""
    out = collections.Counter()
    for labels, n in sets.items():
        for label in labels:
            out[label] += n
    return out


def format_labels(counts: dict[str, tuple[int, int]]) -> list[str]:
    """The labels a recording format goes with (``counts``: ``{label: (clips in that format, clips)}``), or none:
    the labels it is the format of at least :data:`FORMAT_HELD_SHARE` of whose clips, some but not all of them,
    holding at least :data:`FORMAT_ALONE_SHARE` of its clips, and beyond chance (:func:`uneven`'s test).  A label
    with a few clips in a second format that other labels' clips are in too is no shortcut: that format is the
    format of few of its clips.  A format of one label's clips alone (nearly: :data:`FORMAT_ALONE_SHARE`), at least
    :data:`FORMAT_MIN_CLIPS` of them, is one whatever their share of the label (every 8 kHz clip anger, 12 of its
    36): a model hearing the format can tell the label."""
    counts = {label: (k, n) for label, (k, n) in counts.items() if n}
    in_format = sum(k for k, _ in counts.values())
    held = [label for label, (k, n) in counts.items() if k >= FORMAT_HELD_SHARE * n]
    top = max(counts, key=lambda label: counts[label][0], default=None)
    if not held and top is not None and counts[top][0] >= max(FORMAT_MIN_CLIPS, FORMAT_ALONE_SHARE * in_format):
        held = [top]  # the format of one label's clips (nearly) alone
    within = sum(counts[label][0] for label in held)
    if not held or len(held) == len(counts) or within < FORMAT_ALONE_SHARE * in_format:
        return []
    return sorted(held) if uneven(list(counts.values())) else []
