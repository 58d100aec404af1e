"""Speech-like sound whose prosody carries the emotion and whose voice carries age and language.

Not speech, but built like it (source-filter): a glottal pulse train with an f0 contour, shaped by
formant resonators per syllable, with an amplitude envelope per syllable.  The emotion sets the
pitch level, pitch range, loudness, tempo and spectral brightness; the age group sets jitter,
shimmer, breathiness, tremor and tempo; the language sets the vowel formants, the syllable rate
and (for Mandarin and Cantonese) lexical tone contours.  A model can learn emotion from it, and
emotion cues interact with age and language the way the paper's groups do.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

# label -> (f0 scale, f0 range in semitones, energy, tempo factor, brightness)
PROSODY: dict[str, tuple[float, float, float, float, float]] = {
    "neutral": (1.00, 2.0, 0.45, 1.00, 0.0),
    "anger": (1.18, 6.0, 1.00, 1.15, 0.9),
    "happiness": (1.30, 8.0, 0.80, 1.10, 0.5),
    "sadness": (0.85, 1.2, 0.25, 0.70, -0.8),
    "fear": (1.40, 5.0, 0.50, 1.35, 0.2),
    "disgust": (0.92, 3.5, 0.60, 0.80, -0.3),
    "surprise": (1.45, 11.0, 0.80, 1.00, 0.4),
    "positive": (1.22, 6.5, 0.75, 1.08, 0.4),
    "negative": (0.95, 3.0, 0.65, 0.90, 0.2),
    "excitement": (1.35, 9.0, 0.95, 1.20, 0.7),
    "frustration": (1.05, 4.0, 0.85, 0.95, 0.5),
    "other": (1.05, 3.0, 0.55, 1.00, 0.0),
    "unknown": (1.02, 2.5, 0.50, 1.00, 0.0),
}

# language -> (vowel formants F1,F2,F3 in Hz, syllables per second, tone contours in semitones)
_LANGUAGES = {
    "eng": (
        [
            (730, 1090, 2440),
            (270, 2290, 3010),
            (530, 1840, 2480),
            (570, 840, 2410),
            (300, 870, 2240),
            (660, 1720, 2410),
        ],
        4.5,
        None,
    ),
    "zho": (
        [(850, 1220, 2810), (290, 2350, 3000), (540, 1100, 2600), (330, 750, 2500), (280, 1950, 2600)],
        4.0,
        [(0, 0), (-2, 3), (-1, -4, 1), (3, -5)],  # 4 tones: level, rising, dipping, falling
    ),
    "yue": (
        [
            (800, 1300, 2700),
            (300, 2300, 3000),
            (500, 1900, 2600),
            (450, 900, 2500),
            (320, 800, 2400),
            (520, 1500, 2500),
        ],
        4.8,
        [(2, 2), (-2, 2), (0, 0), (-3, -5), (-3, -1), (-1, -1)],  # 6 tones, level-heavy
    ),
}


@dataclass(frozen=True)
class Voice:
    f0_hz: float
    jitter: float  # relative period noise
    shimmer: float  # relative amplitude noise
    breathiness: float  # aspiration noise level
    tremor_hz: float
    tremor_depth: float  # semitones
    tempo: float  # syllable-rate factor
    formant_scale: float  # vocal-tract length


def stable_seed(*parts: object) -> int:
    """A seed from strings/numbers that is the same on every machine and Python run."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode())


def make_voice(speaker: str, gender: str | None, age_group: str, seed: int = 0) -> Voice:
    rng = np.random.default_rng(stable_seed("voice", speaker, seed))
    female = gender != "m"
    f0 = (205 if female else 115) * float(np.exp(rng.normal(0, 0.08)))
    scale = (1.12 if female else 1.0) * float(np.exp(rng.normal(0, 0.03)))
    if age_group == "eld":
        f0 *= 0.92 if female else 1.08  # f0 converges with age
        return Voice(f0, 0.02 + 0.01 * rng.random(), 0.10, 0.25, 4.5 + rng.random(), 0.6, 0.82, scale)
    return Voice(f0, 0.005 + 0.004 * rng.random(), 0.03, 0.06, 5.0, 0.0, 1.0, scale)


def _mix_prosody(emotions) -> np.ndarray:
    rows = [PROSODY[e] for e in emotions if e in PROSODY] or [PROSODY["neutral"]]
    return np.mean(np.array(rows), axis=0)


def _resonator(freq: float, bandwidth: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.exp(-np.pi * bandwidth / sr)
    theta = 2 * np.pi * freq / sr
    return np.array([1.0 - r]), np.array([1.0, -2 * r * np.cos(theta), r * r])


def synthesize(
    emotions,
    voice: Voice,
    language: str,
    *,
    duration_s: float,
    sample_rate_hz: int = 16000,
    rng: np.random.Generator,
) -> np.ndarray:
    """Float32 mono samples in [-1, 1]."""
    from scipy.signal import lfilter

    f0_scale, f0_range, energy, tempo, brightness = _mix_prosody(emotions)
    vowels, rate, tones = _LANGUAGES[language]
    sr = sample_rate_hz
    n = max(int(duration_s * sr), 64)
    t = np.arange(n) / sr

    n_syll = max(1, int(round(duration_s * rate * tempo * voice.tempo)))
    bounds = np.linspace(0, n, n_syll + 1).astype(int)

    # f0 contour: declination + per-syllable accents (+ lexical tones) + tremor + jitter
    semis = np.linspace(f0_range * 0.3, -f0_range * 0.3, n)
    for i in range(n_syll):
        a, b = bounds[i], bounds[i + 1]
        shape = tones[rng.integers(len(tones))] if tones else (rng.normal(0, 0.5), rng.normal(0, 0.5))
        contour = np.interp(np.linspace(0, 1, b - a), np.linspace(0, 1, len(shape)), shape)
        semis[a:b] += contour * (0.4 + f0_range / 10) + rng.normal(0, f0_range / 4)
    if "surprise" in emotions:
        semis += np.linspace(0, 6, n) ** 2 / 6  # rising end
    semis += voice.tremor_depth * np.sin(2 * np.pi * voice.tremor_hz * t)
    jitter = np.convolve(rng.normal(0, voice.jitter * 17, n), np.ones(64) / 8, mode="same")
    f0 = voice.f0_hz * f0_scale * 2 ** ((semis + jitter) / 12)

    # glottal source: differentiated Rosenberg-like pulse from the phase
    phase = np.cumsum(f0 / sr) % 1.0
    open_q = 0.6 - 0.1 * brightness
    pulse = np.where(
        phase < open_q,
        0.5 * (1 - np.cos(np.pi * phase / open_q)),
        np.cos(0.5 * np.pi * (phase - open_q) / (1 - open_q)),
    )
    source = np.diff(pulse, prepend=pulse[0]) * (sr / 1000)
    source += voice.breathiness * rng.normal(0, 1, n) * (0.5 + 0.5 * pulse)

    out = np.zeros(n)
    for i in range(n_syll):
        a, b = bounds[i], bounds[i + 1]
        f1, f2, f3 = (f * voice.formant_scale for f in vowels[rng.integers(len(vowels))])
        seg = source[a:b]
        y = np.zeros(b - a)
        for freq, gain in ((f1, 1.0), (f2, 0.6 + 0.3 * brightness), (f3, 0.3 + 0.3 * brightness)):
            if freq < sr / 2 - 200:
                bb, aa = _resonator(freq, 80 + freq * 0.06, sr)
                y += gain * lfilter(bb, aa, seg)
        env = np.sin(np.pi * np.linspace(0, 1, b - a)) ** 0.6
        shimmer = 1 + voice.shimmer * rng.normal(0, 1)
        out[a:b] = y * env * shimmer
    out *= energy / (np.max(np.abs(out)) + 1e-9) * 0.9
    out += rng.normal(0, 0.002, n)  # recording noise floor
    return np.clip(out, -1, 1).astype(np.float32)
