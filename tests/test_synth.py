"""The fixture audio carries emotion in its prosody and age in its voice, deterministically."""

from __future__ import annotations

import numpy as np

from loaders.testing.synth import make_voice, synthesize


def _f0_and_energy(x, sr=16000):
    frame = 640
    frames = x[: len(x) // frame * frame].reshape(-1, frame)
    energy = float(np.sqrt((frames**2).mean()))
    f0s = []
    for f in frames:
        if np.sqrt((f**2).mean()) < 0.3 * energy:
            continue
        ac = np.correlate(f, f, "full")[frame - 1 :]
        lo, hi = sr // 500, sr // 60
        f0s.append(sr / (lo + np.argmax(ac[lo:hi])))
    return float(np.median(f0s)), energy


def _clip(emotions, age_group="adu", seed=0):
    voice = make_voice("spk1", "f", age_group)
    return synthesize(emotions, voice, "eng", duration_s=1.5, rng=np.random.default_rng(seed))


def test_synthesis_is_deterministic_for_a_seed():
    assert np.array_equal(_clip(["anger"]), _clip(["anger"]))
    assert not np.array_equal(_clip(["anger"], seed=0), _clip(["anger"], seed=1))


def test_emotion_moves_pitch_and_loudness():
    f0_sad, e_sad = _f0_and_energy(_clip(["sadness"]))
    f0_ang, e_ang = _f0_and_energy(_clip(["anger"]))
    f0_hap, _ = _f0_and_energy(_clip(["happiness"]))
    assert f0_ang > 1.15 * f0_sad and f0_hap > 1.2 * f0_sad
    assert e_ang > 2 * e_sad


def test_elderly_voices_are_rougher():
    young = make_voice("s", "f", "adu")
    old = make_voice("s", "f", "eld")
    assert old.jitter > young.jitter and old.breathiness > young.breathiness and old.tempo < young.tempo
