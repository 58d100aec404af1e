"""Level checks of decoded samples (:func:`loaders.audio.decode` runs them): NaN or infinite samples
are a bad file, float samples beyond full scale clip with a warning, several channels are mixed down to
mono (:func:`downmix`; whether they cancel in the mix or hold different signals: :mod:`loaders.channels`), and a
silent clip (:func:`check_not_silent`, which prepare runs on what it stores) is a bad file; :func:`clipped_fraction` measures a source's hard clipping (runs at full scale),
which prepare notes per corpus and label.  Warnings are :class:`~loaders.errors.InputWarning`s naming the file."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .errors import SKIP_IT, BadFileError, InputWarning


class ClippedAudioWarning(InputWarning):
    """A float source had samples beyond full scale (|x| > 1); they were clipped, not wrapped."""


SILENT_PEAK_DBFS = -80.0  # about 3 steps of 16-bit audio; real recordings' noise floor peaks far higher
# A stored clip that peaks below this most likely holds a noise floor (a muted or unplugged microphone):
# speech peaks at -30 to -1 dBFS (the real CSED's quietest of 652 clips: -29 dBFS; the generated corpora's
# speech: -13 dBFS or louder; CREMA-D's broken 1076_MTI_SAD_XX is noise).  `prepare` notes such clips
# (prepare.json's `quiet`) and stores them: a clip that quiet may still hold a far, faint voice.
QUIET_PEAK_DBFS = -50.0
# A run of this many consecutive samples at full scale is hard clipping (the signal went beyond what the
# recorder or an editor's gain could hold), not a peak that just touches full scale.
CLIP_RUN_SAMPLES = 3
_PCM_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}  # libsndfile's integer subtypes
EDGE_SAMPLES = 160  # 10 ms at 16 kHz: left out when a peak is measured around the mean


def peak_dbfs(samples: np.ndarray, *, remove_dc: bool = False) -> float:
    """The peak level of float samples, or 16-bit integer ones, in dB relative to full scale (-inf:
    digital silence).  ``remove_dc``: of the samples minus their mean (per channel), so that a
    constant offset (a DC-coupled input, 8-bit silence one step off centre) is no signal; the first
    and last :data:`EDGE_SAMPLES` are left out there (a resampler rings for up to ~100 samples at
    16 kHz where a constant starts and ends)."""
    if samples.size == 0:
        return -np.inf
    values = samples.astype(np.float64)
    if remove_dc:
        if len(values) > 4 * EDGE_SAMPLES:
            values = values[EDGE_SAMPLES:-EDGE_SAMPLES]
        values = values - values.mean(axis=0)
    peak = float(np.max(np.abs(values)))
    if samples.dtype == np.int16:
        peak /= 32768.0
    return 20 * np.log10(peak) if peak > 0 else -np.inf


def check_not_silent(path: str | os.PathLike, samples: np.ndarray) -> float:
    """Refuse decoded ``samples`` (float or 16-bit) whose peak is at most :data:`SILENT_PEAK_DBFS`: a
    clip with nothing to hear, which would teach a model nothing and fail `bimotion check`; a
    constant offset is not something to hear (the peak is measured around the mean).  Returns that
    peak in dBFS (prepare notes a clip below :data:`QUIET_PEAK_DBFS` from it, decoding nothing again)."""
    peak = peak_dbfs(samples, remove_dc=True)
    if peak <= SILENT_PEAK_DBFS:
        level = "digital silence, or a constant" if peak == -np.inf else f"peak {peak:.0f} dBFS around its mean"
        raise BadFileError(
            Path(path),
            "silent",
            f"the audio is silent ({level}, at most {SILENT_PEAK_DBFS:.0f} dBFS)",
            "replace it with the recording (or, if its channels cancel when mixed to mono, keep one channel)",
            SKIP_IT,
        )
    return peak


def live_channels(channels: np.ndarray) -> list[int]:
    """The channels of frames x ``channels`` that :func:`downmix` mixes: those that carry a signal (peak
    around their mean above :data:`SILENT_PEAK_DBFS`) or hold NaN or infinite samples; all where none does."""
    live = [
        i
        for i in range(channels.shape[1])
        if not np.isfinite(channels[:, i]).all() or peak_dbfs(channels[:, i], remove_dc=True) > SILENT_PEAK_DBFS
    ]
    return live or list(range(channels.shape[1]))


def downmix(channels: np.ndarray, live: list[int] | None = None) -> np.ndarray:
    """Frames x channels as mono: the mean of the channels that carry a signal (peak around their
    mean above :data:`SILENT_PEAK_DBFS`).  A silent channel (a stereo recorder's dead input, the
    unused channels of a 5.1 file) is left out, so it does not lower the clip's level (by 6 dB for
    one of two channels, 15.6 dB for a centre channel of six); all silent: the mean of all.  A channel
    holding NaN or infinite samples is never left out: they reach the mix, which refuses them.  ``live``:
    :func:`live_channels` of ``channels``, where the caller has them."""
    if channels.shape[1] == 1:
        return channels[:, 0]
    return channels[:, live_channels(channels) if live is None else live].mean(axis=1, dtype=np.float32)


def check_level(path: Path, samples: np.ndarray) -> np.ndarray:
    """The decoded float samples, after refusing NaN/inf and warning when they exceed full scale."""
    if not np.isfinite(samples).all():
        raise BadFileError(
            path,
            "corrupt",
            "the audio holds NaN or infinite float samples",
            "replace it with the original file",
            SKIP_IT,
        )
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak > 1.0:
        over = int(np.count_nonzero(np.abs(samples) > 1.0))
        warnings.warn(
            f"{path}: {over} of {samples.size} float samples exceed full scale (peak {peak:.3g}); "
            "they are clipped to [-1, 1]",
            ClippedAudioWarning,
            stacklevel=3,
        )
    return samples


def measure_dtype(subtype: str) -> str:
    """The dtype a source of libsndfile ``subtype`` is read in so that its full scale is exact
    (:func:`clipped_fraction`): ``int32`` for integer PCM (libsndfile gives each sample left-justified
    in 32 bits: exact for every width, where float32's 24-bit mantissa rounds a 32-bit sample within 64
    steps of full scale to it), ``float64`` for 64-bit float, ``float32`` for the rest.
    :func:`as_float32` then gives the samples libsndfile's float32 read gives, bit for bit."""
    return "int32" if subtype in _PCM_BITS else "float64" if subtype == "DOUBLE" else "float32"


def as_float32(samples: np.ndarray) -> np.ndarray:
    """Samples read in :func:`measure_dtype` as float32 at their true level: int32 scaled by 2**-31 (as
    libsndfile scales them when it reads float32, bit for bit), float64 rounded."""
    if samples.dtype == np.int32:
        return samples.astype(np.float32) * np.float32(2.0**-31)
    return samples.astype(np.float32, copy=False)


def full_scale(subtype: str, dtype=np.float32) -> float | int | None:
    """The magnitude at which a source of libsndfile ``subtype`` (:attr:`loaders.audio.AudioInfo.subtype`)
    read as ``dtype`` is at full scale: n-bit integer PCM's largest positive step (its most negative one is
    beyond it), read as int32 (:func:`measure_dtype`) exactly ``(2**(n-1) - 1) << (32 - n)``, read as
    float32 ``(2**(n-1) - 1) / 2**(n-1)`` (rounded: 32-bit's is 1.0); float samples at or beyond 1.0.
    None for other encodings (µ-law, A-law, MP3, AAC, Vorbis, Opus), whose decoded peak says nothing
    exact about clipping."""
    if subtype in ("FLOAT", "DOUBLE"):
        return 1.0
    bits = _PCM_BITS.get(subtype)
    if bits is None:
        return None
    if np.issubdtype(np.dtype(dtype), np.integer):
        return (2 ** (bits - 1) - 1) << (32 - bits)
    return float(np.float32((2 ** (bits - 1) - 1) / 2 ** (bits - 1)))


class ClipMeter:
    """:func:`clipped_fraction` of a source read block by block (frames x channels, in order): a run
    at full scale that spans two blocks is one run.  ``fraction`` is None where ``subtype`` has no
    exact full scale (a lossy or companded source, or one FFmpeg decodes)."""

    def __init__(self, subtype: str):
        self.subtype = subtype
        self.samples = 0  # read so far, all channels
        self.in_runs = 0  # of them, in closed runs of CLIP_RUN_SAMPLES or more
        self.open: np.ndarray | None = None  # per channel: the run at full scale the last block ended in

    def add(self, block: np.ndarray) -> None:
        self.add_counted(block, np.empty(0, dtype=np.int64))

    def add_counted(self, block: np.ndarray, after: np.ndarray) -> np.ndarray:
        """:meth:`add` ``block``, and return :attr:`clipped` as it stood after each of ``after`` frames of
        it (ascending, 1 to its length): what feeding the block to :meth:`add` in pieces that end there
        and reading :attr:`clipped` after each would give, from one pass over the block."""
        before = self.clipped
        self.samples += block.size
        limit = full_scale(self.subtype, block.dtype)
        if limit is None or block.size == 0:  # an empty block (a file's end) is no frame of any width
            return np.full(len(after), before, dtype=np.int64)
        block = block.reshape(len(block), -1)
        open_runs = np.zeros(block.shape[1], dtype=np.int64) if self.open is None else self.open
        if not open_runs.any() and block.max() < limit and block.min() > -limit:  # most blocks end here
            self.open = open_runs
            return np.full(len(after), before, dtype=np.int64)
        counts = np.full(len(after), self.in_runs, dtype=np.int64)
        at = (block >= limit) | (block <= -limit)
        for channel, column in enumerate(at.T):
            edges = np.diff(column.astype(np.int8), prepend=0, append=0)
            starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            lengths = ends - starts
            if len(starts) and starts[0] == 0:
                lengths[0] += open_runs[channel]  # the run the last block ended in goes on
                starts[0] -= open_runs[channel]
            elif open_runs[channel] >= CLIP_RUN_SAMPLES:
                self.in_runs += int(open_runs[channel])
                counts += open_runs[channel]
            counts += _counted(starts, ends, lengths, after)
            open_runs[channel] = 0
            if len(ends) and ends[-1] == len(column):  # still at full scale at the block's end: may go on
                open_runs[channel], lengths = lengths[-1], lengths[:-1]
            self.in_runs += int(lengths[lengths >= CLIP_RUN_SAMPLES].sum())
        self.open = open_runs
        return counts

    @property
    def clipped(self) -> int:
        """The samples read that lie in runs at full scale (closed ones, and the open one of each channel
        once it is :data:`CLIP_RUN_SAMPLES` long)."""
        return self.in_runs + (0 if self.open is None else int(self.open[self.open >= CLIP_RUN_SAMPLES].sum()))

    @property
    def fraction(self) -> float | None:
        """The fraction of the samples read that lie in runs at full scale; None where not measured."""
        if full_scale(self.subtype) is None or self.samples == 0:
            return None
        return self.clipped / self.samples


def _counted(starts: np.ndarray, ends: np.ndarray, lengths: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The samples of one channel's runs (``starts`` to ``ends``, frames of a block; the first may start
    before it) that :class:`ClipMeter` counts after each of ``after`` frames: those of the runs ended by
    then, and of the one going on if it is :data:`CLIP_RUN_SAMPLES` long by then."""
    long = lengths >= CLIP_RUN_SAMPLES  # a shorter run is never counted (one open at the block's end is not yet)
    starts, ends, lengths = starts[long], ends[long], lengths[long]
    if len(after) == 0 or len(starts) == 0:
        return np.zeros(len(after), dtype=np.int64)
    done = np.concatenate(([0], np.cumsum(lengths)))[np.searchsorted(ends, after, side="right")]
    last = np.maximum(np.searchsorted(starts + CLIP_RUN_SAMPLES, after, side="right") - 1, 0)
    going = (starts[last] + CLIP_RUN_SAMPLES <= after) & (ends[last] > after)  # long enough by then, not ended
    return done + np.where(going, after - starts[last], 0)


def clipped_fraction(channels: np.ndarray, subtype: str) -> float | None:
    """The fraction of the source's samples (frames x channels, as read, before mixing down: read in
    :func:`measure_dtype` the full scale is exact) that lie in runs of :data:`CLIP_RUN_SAMPLES` or more
    consecutive samples of one channel at full scale (:func:`full_scale` of ``subtype``): 0.0 for a clip
    that is not hard-clipped; None where ``subtype`` has no exact full scale.  A clip that reaches no full
    scale costs a max and a min.  (:class:`ClipMeter` measures one read in blocks: ``bimotion predict``.)"""
    meter = ClipMeter(subtype)
    meter.add(channels)
    return meter.fraction


# what to do where clipping is uneven across labels: prepare's note and the dataset card say it alike
UNEVEN_CLIPPING_REMEDY = "balance or leave out the clipped clips, or compare scores without them"


def clipped_percent(fraction: float) -> str:
    """A share of a clip's samples hard-clipped (:func:`clipped_fraction`) in percent, as prepare's notes, the card
    and ``bimotion predict`` say it: two decimals (``3.10%``), and as many more as its first digit needs, so that a
    clip clipped at all never reads as none (``0.0004%``, not ``0.00%``), nor one not clipped whole as all of it
    (``99.999%``, not ``100.00%``)."""
    import math

    percent = fraction * 100
    decimals = max(2, -math.floor(math.log10(percent))) if percent > 0 else 2
    while fraction < 1 and float(f"{percent:.{decimals}f}") >= 100 and decimals < 17:  # some samples unclipped
        decimals += 1
    return f"{percent:.{decimals}f}%"


def label_named(label: str, entry: dict) -> str:
    """A shared label as a note names it: with the user's own names of it that ``entry`` (``prepare.json``'s
    ``clipped`` or ``formats`` of a corpus) keeps in ``words``, ``marah (anger)``; else as it is, ``anger``."""
    words = entry.get("words", {}).get(label)
    return f"{', '.join(words)} ({label})" if words else label


def clipping_text(entry: dict) -> str:
    """The one wording of a corpus's hard clipping as ``prepare.json``'s ``clipped`` records it
    (:func:`bimotion.prepare.clipping.clipped_info`), for prepare's and scan's notes, check and the card:
    ``139 of 652 clips hard-clipped (3+ consecutive samples at full scale, up to 8.48% of a clip): positive
    62 of 218 (28%), ...``, and whether that is uneven across labels; a label by the user's own name too
    (:func:`label_named`: ``marah (anger) 3 of 4 (75%)``)."""
    labels = ", ".join(
        f"{label_named(label, entry)} {k['clips']} of {k['of']} ({k['clips'] / k['of']:.0%})"
        for label, k in entry["by_label"].items()
    )
    text = (
        f"{entry['clips']} of {entry['of']} clips hard-clipped ({entry['run_samples']}+ consecutive samples at full "
        f"scale, up to {clipped_percent(entry['most_clipped_fraction'])} of a clip): {labels}"
    )
    text += "; uneven across labels: a model can learn clipping in place of the emotion" if entry["uneven"] else ""
    return text + too_few_text(entry, "clipping", "clipped alone")


def too_few_text(entry: dict, what: str, alone: str) -> str:
    """``; too few clips to tell whether WHAT goes with the label: marah (anger) 2 clips ...`` of the labels of an
    entry of ``prepare.json``'s ``clipped`` or ``formats`` left out of its test (``few``), or nothing: one wording
    of :func:`clipping_text` and :func:`format_text` (``alone``: how a label so would stand out, beyond chance)."""
    from .tables import joined

    if not (few := entry.get("few")):
        return ""
    clips = joined([f"{label_named(label, entry)} {n} clip{'s' if n > 1 else ''}" for label, n in few.items()])
    return (
        f"; too few clips to tell whether {what} goes with the label: {clips}, where {entry['min_clips']} or more a "
        f"label are needed (so that a label {alone} is beyond chance)"
    )


# what to do where the recording format goes with the label: prepare's and scan's notes, check and the card say it alike
FORMAT_REMEDY = (
    "resample or convert the clips so that every label's clips share one format, or record more clips of each "
    "label in each format"
)


def format_text(entry: dict) -> str:
    """The one wording of a corpus's recording formats by label as ``prepare.json``'s ``formats`` records them
    (:func:`bimotion.prepare.clipping.format_info`), for prepare's and scan's notes, check and the card, in clipping's words
    (:func:`clipping_text`): ``recording formats by label: marah (anger) 22.05 kHz mono 24-bit WAV 12 of 12
    (100%); ...: the format goes with the label (22.05 kHz mono 24-bit WAV: marah (anger) and sedih (sadness)
    alone, 24 of its 24 clips; ...), and a model can learn it in place of the emotion``; and the labels of too few
    clips to tell (``few``): ``too few clips to tell whether the format goes with the label: marah (anger) 2 clips
    and ..., where 4 or more a label are needed (so that a label recorded in a format of its own is beyond
    chance)``."""
    from .tables import joined

    labels = "; ".join(
        f"{label_named(label, entry)} "
        + ", ".join(f"{f} {k} of {n['of']} ({k / n['of']:.0%})" for f, k in sorted(n["formats"].items(), key=_most))
        for label, n in entry["by_label"].items()
    )
    alone = "; ".join(
        f"{a['format']}: {joined([label_named(x, entry) for x in a['labels']])} alone, {a['clips']} of its "
        f"{a['of']} clips"
        for a in entry["alone"]
    )
    found = f": the format goes with the label ({alone}), and a model can learn it in place of the emotion"
    found = found if alone else ""
    few = too_few_text(entry, "the format", "recorded in a format of its own")
    found += few if found or not few else ":" + few[1:]
    return f"recording formats by label: {labels}{found}"


def _most(item: tuple[str, int]) -> tuple[int, str]:
    """A label's formats, most clips first, then by name."""
    return -item[1], item[0]
