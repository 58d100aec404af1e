"""Checks of a source's channels as they are mixed down to mono (:func:`loaders.levels.downmix`): channels
that cancel in the mix (one of them phase-inverted) and channels that hold different signals (two speakers, a
voice beside a channel of noise).  One :class:`ChannelMeter` measures both on the frames as they are mixed, a
whole clip in blocks (:func:`loaders.audio.decode`, for `scan --levels` and `prepare`) or a stream
(``bimotion predict``); each finding (:class:`ChannelFinding`) is a warning naming the file, and a short note
for the lists that mark the files warned of (predict's ``file_notes``, ``OUTPUT.warned.tsv``)."""

from __future__ import annotations

import itertools
import os
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import InputWarning
from .levels import QUIET_PEAK_DBFS, downmix


class CancellingChannelsWarning(InputWarning):
    """A multi-channel source whose channels cancel when mixed to mono (one of them phase-inverted):
    the mono clip is far quieter than the recording."""


class DifferentChannelsWarning(InputWarning):
    """A multi-channel source whose channels hold different signals (two speakers on two microphones, a
    voice beside a channel of noise): the mono mix gives a model both, where the clip's label is of one."""


CANCELLING_DB = 20.0  # mono this far below the channels' level: they cancel
CANCELLING_MIN_RMS = 1e-4  # channels quieter than this (RMS, -80 dBFS) are not said to cancel
# Channels hold different signals where their coherence (ChannelMeter) is below this.  Measured on 80 real
# CSED clips (2-3 s, 44.1 kHz, and resampled to 16 kHz): one voice on two microphones (another gain, a delay
# of up to 10 ms, 0.3 s of a room's echo and noise at -50 dBFS on one) 0.65 or more; two different clips,
# one per channel, 0.29 or less (in their first 0.5 s alone up to 0.50: a short clip's two voices may pass).
# A stretch without speech measures the microphones' own noise, which differs (two channels of generated noise,
# 2.5 s at 44.1 kHz: 0.09-0.29): a clip whose every live channel peaks below QUIET_PEAK_DBFS (a noise floor, whose
# mix is then below it too, which prepare, scan --levels and predict name as such) is not compared, nor a pair of
# channels neither of which holds a signal above its own noise floor (SIGNAL_RISE_DB), noise alone at any level.
DIFFERENT_CHANNELS_COHERENCE = 0.45
# A channel holds a signal where its loudest segment rises SIGNAL_RISE_DB or more above its noise floor, measured in
# SIGNAL_BANDS bands of SIGNAL_BAND_HZ (as many of equal width in octaves, each of MIN_BAND_BINS bins or more): each
# band's power over its floor, the NOISE_FLOOR_PERCENTILE-th percentile of its segments' (digital silence left out),
# averaged over the bands.  Each band over its own floor, noise of any colour measures alike: white, pink and brown
# (1/f^2) noise alone, 0.3 s to 2 min at 16 and 44.1 kHz, at most 5.6 dB (the power of the whole band over its floor,
# measured before, rose up to 8.5 dB in brown noise, white's 2.6: its few low bins' power varies most).  Each of the
# real CSED's 652 clips, in segments of CHANNEL_SEGMENT_S at 44.1 and 16 kHz, rises 15 dB or more, and with white or
# pink noise at its level (0 dB SNR) 6.7 dB or more (95% of them 11.2; the whole band's rise, 5.3 dB or more).
SIGNAL_RISE_DB = 6.0
SIGNAL_BAND_HZ = (100.0, 4000.0)  # where speech's power is, above hum and a drifting offset
SIGNAL_BANDS, MIN_BAND_BINS = 24, 4
NOISE_FLOOR_PERCENTILE = 10.0
CHANNEL_SEGMENT_S = 0.064  # at most: a power of two of samples, 46 ms at 44.1 kHz, 64 ms at 16 kHz
CHANNEL_BLOCK_FRAMES = 1 << 18  # 6 s at 44.1 kHz: a block's segments and spectra take 4 times its samples
MIN_CHANNEL_SEGMENTS = 8  # fewer (a clip under 0.2 s at 44.1 kHz, 0.3 s at 16 kHz) is not compared


def _bands(frequencies: np.ndarray) -> np.ndarray:
    """The first bin of each band of ``frequencies`` (the bins of :data:`SIGNAL_BAND_HZ`): :data:`SIGNAL_BANDS` of
    equal width in octaves, one too narrow joined to the next, so that each holds :data:`MIN_BAND_BINS` or more."""
    edges = np.searchsorted(frequencies, np.geomspace(frequencies[0], frequencies[-1], SIGNAL_BANDS + 1)[:-1])
    starts = [0]
    for edge in edges[1:]:
        if edge - starts[-1] >= MIN_BAND_BINS and len(frequencies) - edge >= MIN_BAND_BINS:
            starts.append(int(edge))
    return np.array(starts)


@dataclass(frozen=True)
class ChannelFinding:
    """What :class:`ChannelMeter` found wrong with a file's channels: ``kind`` (``cancelling_channels`` or
    ``different_channels``, the ``warning`` column of ``OUTPUT.warned.tsv``), ``note`` (a few words: a row's
    ``file_notes`` in ``bimotion predict``, the ``of`` column of ``OUTPUT.warned.tsv``) and ``said``, the
    warning's words after the file's name."""

    kind: str
    note: str
    said: str

    @property
    def category(self) -> type[InputWarning]:
        return CancellingChannelsWarning if self.kind == "cancelling_channels" else DifferentChannelsWarning


class ChannelMeter:
    """How a source of ``channels`` channels at ``rate_hz`` mixes down, fed its frames x channels blocks in
    order (:meth:`mix`: a whole clip in blocks, or `predict`'s blocks), its ``live`` channels
    (:func:`loaders.levels.live_channels`) averaged.  Whether they cancel: the mix's level (RMS) against the
    channels' (:data:`CANCELLING_DB` below it).  How alike they are: per pair of live channels, their
    coherence, the magnitude of their cross-spectrum over the product of their spectra's magnitudes, summed
    over frequencies (Welch's segments of :data:`CHANNEL_SEGMENT_S`, Hann window, half overlapping).  Near
    1 where the channels hold one signal through any gain, delay (well under a segment) or filter (a room's
    echo): one voice on two microphones; near 0 where they hold different ones (two speakers, or a voice
    and noise).  One FFT per segment and channel: a few ms per second of stereo audio."""

    def __init__(self, rate_hz: int, live: list[int], channels: int):
        self.live = live
        self.channels = channels
        self.size = 1 << max(4, int(np.log2(rate_hz * CHANNEL_SEGMENT_S)))
        self.window = np.hanning(self.size).astype(np.float32)
        self.pairs = list(itertools.combinations(range(len(live)), 2))
        frequencies = np.fft.rfftfreq(self.size, 1 / rate_hz)
        self.band = slice(*np.searchsorted(frequencies, SIGNAL_BAND_HZ))  # the bins of SIGNAL_BAND_HZ
        self.bands = _bands(frequencies[self.band])  # the first bin of each of its SIGNAL_BANDS
        self.levels: list[np.ndarray] = []  # per block, channels x segments x bands: each segment's power in each
        self.power = np.zeros((len(live), self.size // 2 + 1))
        self.cross = np.zeros((len(self.pairs), self.size // 2 + 1), dtype=np.complex128)
        self.rest = np.zeros((len(live), 0), dtype=np.float32)  # per channel, the samples of a segment not yet whole
        self.segments = 0
        self.energy, self.samples = 0.0, 0  # every channel's samples, squared: the recording's level
        self.mixed, self.frames = 0.0, 0  # the mono mix's, squared
        # per live channel, the sum and extremes of its samples: its peak around its mean
        self.total, self.low, self.high = np.zeros(len(live)), np.full(len(live), np.inf), np.full(len(live), -np.inf)

    def mix(self, block: np.ndarray) -> np.ndarray:
        """``block`` (frames x channels) mixed down to mono (:func:`loaders.levels.downmix` of the live
        channels), measured on the way."""
        mono = downmix(block, self.live)
        self.energy += float(np.square(block, dtype=np.float64).sum())
        self.samples += block.size
        self.mixed += float(np.square(mono, dtype=np.float64).sum())
        self.frames += len(mono)
        if len(block):
            live = block[:, self.live]
            self.total += live.sum(axis=0, dtype=np.float64)
            self.low, self.high = np.minimum(self.low, live.min(axis=0)), np.maximum(self.high, live.max(axis=0))
        self._compare(block)
        return mono

    def add(self, block: np.ndarray) -> None:
        """:meth:`mix` ``block``, its mix not wanted."""
        self.mix(block)

    def _compare(self, block: np.ndarray) -> None:
        if not self.pairs:
            return
        data = np.ascontiguousarray(block[:, self.live].T)  # channels x frames: each segment's samples adjacent
        data = np.concatenate([self.rest, data], axis=1) if self.rest.shape[1] else data
        hop = self.size // 2
        count = (data.shape[1] - self.size) // hop + 1 if data.shape[1] >= self.size else 0
        if count:
            import scipy.fft  # numpy's float32 FFT takes 3 times as long

            segments = np.lib.stride_tricks.sliding_window_view(data, self.size, axis=1)[:, ::hop][:, :count]
            spectra = scipy.fft.rfft(segments * self.window, axis=-1)  # channels x segments x bins
            power = np.square(spectra.real) + np.square(spectra.imag)
            self.power += power.sum(axis=1, dtype=np.float64)
            self.levels.append(
                np.add.reduceat(power[:, :, self.band], self.bands, axis=2, dtype=np.float64).astype(np.float32)
            )
            for k, (i, j) in enumerate(self.pairs):
                self.cross[k] += (spectra[i] * spectra[j].conj()).sum(axis=0)
            self.segments += count
        self.rest = np.array(data[:, count * hop :], dtype=np.float32)

    def holding_signal(self) -> list[bool]:
        """Per live channel, whether it holds a signal: its loudest segment rises :data:`SIGNAL_RISE_DB` or more
        above its noise floor, each of :data:`SIGNAL_BAND_HZ`'s :data:`SIGNAL_BANDS` bands' power over that band's
        floor (the :data:`NOISE_FLOOR_PERCENTILE`-th percentile of its segments' power, segments of digital silence
        left out), averaged over the bands.  A channel of noise alone, of any colour and level, does not; one with
        no power in that band at all (a hum, a tone above it) is taken to, and compared as before."""
        if not self.levels:
            return [True] * len(self.live)
        held = []
        for levels in np.concatenate(self.levels, axis=1):  # segments x bands
            sounding = levels[levels.sum(axis=1) > 0]
            floor = np.percentile(sounding, NOISE_FLOOR_PERCENTILE, axis=0) if len(sounding) else np.zeros(0)
            floored = floor > 0
            rise = (sounding[:, floored] / floor[floored]).mean(axis=1).max() if floored.any() else np.inf
            held.append(bool(rise >= 10 ** (SIGNAL_RISE_DB / 10)))
        return held

    def least_alike(self) -> tuple[float, int, int] | None:
        """The lowest coherence of a pair of live channels of which one at least holds a signal
        (:meth:`holding_signal`), and the pair (numbered from 1 as in the file); None where fewer than two
        channels are live, too little was read (:data:`MIN_CHANNEL_SEGMENTS`) or no pair holds a signal."""
        if not self.pairs or self.segments < MIN_CHANNEL_SEGMENTS:
            return None
        held = self.holding_signal()
        found = []
        for k, (i, j) in enumerate(self.pairs):
            if not (held[i] or held[j]):
                continue  # two channels of noise alone: their noise differs, no signal does
            scale = float(np.sqrt(self.power[i] * self.power[j]).sum())
            found.append((float(np.abs(self.cross[k]).sum()) / scale if scale > 0 else 1.0, i, j))
        if not found:
            return None
        coherence, i, j = min(found)
        return coherence, self.live[i] + 1, self.live[j] + 1

    @property
    def loudest_peak(self) -> float:
        """The highest peak around its mean (linear, as :func:`loaders.levels.peak_dbfs` measures a clip's) of
        the live channels read; NaN where one holds NaN."""
        if not self.frames:
            return 0.0
        mean = self.total / self.frames
        return float(np.max(np.maximum(self.high - mean, mean - self.low)))

    def findings(self) -> list[ChannelFinding]:
        """What is wrong with the channels read: they cancel in the mix, or their live channels hold different
        signals (coherence below :data:`DIFFERENT_CHANNELS_COHERENCE`), unless each peaks below
        :data:`loaders.levels.QUIET_PEAK_DBFS`: a noise floor's channels differ, and such a clip (its mix quieter
        still) is named as a quiet clip or a silent one, not as two voices; nor two channels of noise alone, at any
        level, neither rising above its own noise floor (:meth:`holding_signal`).  NaN samples (refused as such)
        find nothing."""
        found = []
        level = np.sqrt(self.energy / self.samples) if self.samples else 0.0
        mixed = np.sqrt(self.mixed / self.frames) if self.frames else 0.0
        if level > CANCELLING_MIN_RMS and mixed < level * 10 ** (-CANCELLING_DB / 20):
            drop = f"{20 * np.log10(level / mixed):.0f} dB quieter" if mixed > 0 else "to digital silence"
            found.append(
                ChannelFinding(
                    "cancelling_channels",
                    f"channels cancel when mixed ({drop})",
                    f"its {self.channels} channels cancel when mixed to mono ({drop}"
                    f"{' than the recording' if mixed > 0 else ''}): is one channel phase-inverted? the mono clip "
                    f"is {'near-silent' if mixed > 0 else 'silent'}",
                )
            )
        alike = self.least_alike()
        heard = self.loudest_peak >= 10 ** (QUIET_PEAK_DBFS / 20)
        if alike is not None and alike[0] < DIFFERENT_CHANNELS_COHERENCE and heard:
            found.append(self._different(*alike))
        return found

    def _different(self, coherence: float, a: int, b: int) -> ChannelFinding:
        which = "channels" if self.channels == 2 else f"channels {a} and {b}"
        said = (
            f"its {self.channels} channels" if self.channels == 2 else f"its channels {a} and {b} (of {self.channels})"
        )
        return ChannelFinding(
            "different_channels",
            f"{which} hold different signals (coherence {coherence:.2f})",
            f"{said} hold different signals (coherence {coherence:.2f}; one voice on two microphones: "
            f"{DIFFERENT_CHANNELS_COHERENCE} or more): two speakers, or a voice and a channel of noise? They are "
            f"mixed down to mono, both in one clip; to keep channel {a} alone, write a copy of the file outside the "
            f"corpus folder (`sox FILE OUT.wav remix {a}`, or `ffmpeg -i FILE -af 'pan=mono|c0=c{a - 1}' OUT.wav`) "
            "and read that",
        )

    def warn(self, path: str | os.PathLike, stacklevel: int = 2) -> list[ChannelFinding]:
        """A warning naming ``path`` for each of :meth:`findings` (:class:`CancellingChannelsWarning`,
        :class:`DifferentChannelsWarning`), which it returns."""
        found = self.findings()
        for finding in found:
            warnings.warn(f"{path}: {finding.said}", finding.category, stacklevel=stacklevel + 1)
        return found


def mixed_down(
    path: str | os.PathLike, channels: np.ndarray, rate_hz: int, live: list[int], findings: list | None = None
) -> np.ndarray:
    """Frames x ``channels`` at ``rate_hz`` mixed down to mono (the mean of the ``live`` channels,
    :func:`loaders.levels.live_channels`), a warning naming ``path`` where they cancel or hold different
    signals (:class:`ChannelMeter`, fed blocks of :data:`CHANNEL_BLOCK_FRAMES`, so that an hour's recording
    takes little more memory than its samples), each :class:`ChannelFinding` also appended to ``findings``
    where given; a single live channel is nothing to compare."""
    if len(live) < 2:
        return downmix(channels, live)
    meter = ChannelMeter(rate_hz, live, channels.shape[1])
    mono = np.empty(len(channels), dtype=np.float32)
    for start in range(0, len(channels), CHANNEL_BLOCK_FRAMES):
        mono[start : start + CHANNEL_BLOCK_FRAMES] = meter.mix(channels[start : start + CHANNEL_BLOCK_FRAMES])
    found = meter.warn(path, stacklevel=3)
    if findings is not None:
        findings.extend(found)
    return mono
