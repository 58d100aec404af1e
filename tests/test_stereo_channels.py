"""A multi-channel clip whose channels hold different signals (a care-home interview: the interviewer on
one channel, the resident on the other) was averaged to mono without a word, both voices in the clip
where its emotion label is of one; only channels that cancel were warned about.  The decoder now compares
the channels it mixes (:class:`loaders.channels.ChannelMeter`) and warns, naming the file and how to keep
one channel, in `scan --levels` and `prepare` (as for channels that cancel) and in `predict`
(``test_predict_levels.py``); one voice on two microphones (another gain, a delay, a room's echo) is
not warned about.  The mix itself is unchanged."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest
import soundfile

from bimotion.cli import main
from loaders import testing
from loaders.audio import decode
from loaders.channels import DifferentChannelsWarning
from loaders.testing._common import FixtureWriter

VOICE = dict(gender="f", age_group="eld", language="zho", emotions=("anger",))


def one_voice_on_two_microphones(voice: np.ndarray, rate_hz: int) -> np.ndarray:
    """Frames x 2: ``voice`` on a near microphone, and on a far one 4 ms later, at a third of the level,
    through 0.2 s of a room's echo."""
    rng = np.random.default_rng(0)
    taps = int(0.2 * rate_hz)
    echo = rng.standard_normal(taps) * np.exp(-np.arange(taps) / (0.05 * rate_hz))
    echo[0] = 2 * np.sqrt(np.sum(echo**2))
    far = np.convolve(voice, echo)[: len(voice)]
    far = np.concatenate([np.zeros(int(0.004 * rate_hz)), far])[: len(voice)]
    return np.stack([voice, far * (np.max(np.abs(voice)) / 3 / np.max(np.abs(far)))], axis=1)


def two_voices(writer: FixtureWriter, duration_s: float, rate_hz: int) -> np.ndarray:
    """Frames x 2: two speakers, one per channel (an interviewer and a resident, each on a lapel microphone)."""
    first = writer.samples(speaker="s1", duration_s=duration_s, sample_rate_hz=rate_hz, **VOICE)
    second = writer.samples(speaker="s2", duration_s=duration_s, sample_rate_hz=rate_hz, **{**VOICE, "gender": "m"})
    return np.stack([first, second], axis=1)


@pytest.mark.parametrize("rate_hz", [16000, 44100])
def test_two_voices_one_per_channel_are_warned_about_one_voice_on_two_microphones_is_not(tmp_path, rate_hz):
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = writer.samples(speaker="s1", duration_s=2.0, sample_rate_hz=rate_hz, **VOICE)
    soundfile.write(tmp_path / "interview.wav", two_voices(writer, 2.0, rate_hz), rate_hz, subtype="PCM_16")
    soundfile.write(tmp_path / "one.wav", one_voice_on_two_microphones(voice, rate_hz), rate_hz, subtype="PCM_16")
    assert _messages(tmp_path / "one.wav", rate_hz) == []
    (said,) = _messages(tmp_path / "interview.wav", rate_hz)
    assert said.startswith(f"{tmp_path / 'interview.wav'}: its 2 channels hold different signals (coherence 0.")
    assert "sox FILE OUT.wav remix 1" in said and "outside the corpus folder" in said, said
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mono, _ = decode(tmp_path / "interview.wav", rate_hz)
    channels, _ = soundfile.read(tmp_path / "interview.wav", dtype="float32")
    assert np.allclose(mono, channels.mean(axis=1), atol=1e-6)  # still mixed down: the mean of the two


def _messages(path, rate_hz: int) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decode(path, rate_hz)
    return [str(w.message) for w in caught if issubclass(w.category, DifferentChannelsWarning)]


def test_a_silent_or_short_second_channel_is_not_compared(tmp_path):
    """A dead channel (left out of the mix) is nothing to compare, nor is a clip too short to tell (0.2 s)."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = writer.samples(speaker="s1", duration_s=2.0, sample_rate_hz=16000, **VOICE)
    soundfile.write(tmp_path / "dead.wav", np.stack([voice, np.zeros_like(voice)], 1), 16000, subtype="PCM_16")
    soundfile.write(tmp_path / "short.wav", two_voices(writer, 2.0, 16000)[:3200], 16000, subtype="PCM_16")
    assert _messages(tmp_path / "dead.wav", 16000) == [] and _messages(tmp_path / "short.wav", 16000) == []


def test_scan_levels_and_prepare_name_a_clip_of_two_voices(tmp_path, capfd):
    """Each warns once, naming the file, and lists it in OUTPUT.warned.tsv beside its output (warning
    ``different_channels``), where the list of the files warned of had no row of it."""
    raw = testing.make_corpus("audiofolder", tmp_path / "raw")
    with open(raw / "metadata.csv", newline="") as f:
        names = [row["file_name"] for row in csv.DictReader(f)]
    interview, one = raw / names[0], raw / names[1]
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    soundfile.write(interview, two_voices(writer, 2.0, 16000), 16000, subtype="PCM_16")
    voice, _ = soundfile.read(one, dtype="float32")
    soundfile.write(one, one_voice_on_two_microphones(voice, 16000), 16000, subtype="PCM_16")
    before = {p: p.read_bytes() for p in raw.rglob("*") if p.is_file()}
    line = f"warning: {interview}: its 2 channels hold different signals (coherence 0."
    scan = ["scan", "--source", f"carehome={raw}", "--output", str(tmp_path / "m.jsonl"), "--levels", "--num-proc", "1"]
    assert main(scan) == 0
    printed = capfd.readouterr().err
    assert printed.count(line) == 1 and printed.count("hold different signals") == 1, printed
    # the list of the files warned of marks it, as it marks the readers' (a second copy read once)
    assert f"every file a warning named: {tmp_path / 'm.jsonl.warned.tsv'}" in printed, printed
    assert _warned(tmp_path / "m.jsonl.warned.tsv") == [("carehome", "different_channels", str(interview))]
    # two processes: the warning is given where the clip is decoded, in a worker
    prepare = ["prepare", "--source", f"carehome={raw}", "--output", str(tmp_path / "out"), "-q", "--num-proc", "2"]
    assert main(prepare) == 0
    printed = capfd.readouterr().err
    assert printed.count(line) == 1 and printed.count("hold different signals") == 1, printed
    assert _warned(tmp_path / "out.warned.tsv") == [("carehome", "different_channels", str(interview))]
    assert {p: p.read_bytes() for p in raw.rglob("*") if p.is_file()} == before  # the corpus is not written to


def _warned(listed) -> list[tuple[str, str, str]]:
    """``OUTPUT.warned.tsv``'s rows as (corpus, warning, file), each row's ``of`` saying what was found."""
    with open(listed, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert all(r["of"].startswith("channels hold different signals (coherence 0.") for r in rows), rows
    return [(r["corpus"], r["warning"], r["file"]) for r in rows]


def test_the_channels_compared_in_blocks_measure_what_they_measure_at_once(tmp_path):
    """`predict` feeds the meter its blocks, `prepare` a whole clip in blocks of its own: the same coherence."""
    from loaders.channels import ChannelMeter

    channels = two_voices(FixtureWriter(tmp_path / ".pool", seed=5), 3.0, 22050).astype(np.float32)
    whole, pieces = ChannelMeter(22050, [0, 1], 2), ChannelMeter(22050, [0, 1], 2)
    whole.add(channels)
    for start, end in ((0, 1000), (1000, 1001), (1001, 30000), (30000, len(channels))):
        pieces.add(channels[start:end])
    assert whole.segments == pieces.segments and whole.least_alike() == pytest.approx(pieces.least_alike())


def noise_floor(rate_hz: int, duration_s: float, peak_dbfs: float, seed: int) -> np.ndarray:
    """Frames x 2 of a muted stereo recorder: each channel its own noise, peaking at ``peak_dbfs``."""
    noise = np.random.default_rng(seed).standard_normal((int(duration_s * rate_hz), 2))
    return noise * (10 ** (peak_dbfs / 20) / np.abs(noise).max(axis=0))


def test_a_near_silent_stereo_clip_is_named_a_noise_floor_not_two_voices(tmp_path, capfd):
    """Two channels of noise floor (a muted stereo recorder: each microphone's own noise) measure a low coherence
    (0.09-0.29), so such a clip was said to hold "different signals: two speakers?", beside the note that names
    it a noise floor.  A clip whose every channel peaks below -50 dBFS (loaders.levels.QUIET_PEAK_DBFS) is not
    compared now: `scan --levels` names it once, as a noise floor; a voice beside a channel of noise still is."""
    raw = testing.make_corpus("audiofolder", tmp_path / "raw")
    with open(raw / "metadata.csv", newline="") as f:
        names = [row["file_name"] for row in csv.DictReader(f)]
    muted, beside = raw / names[0], raw / names[1]
    soundfile.write(muted, noise_floor(16000, 2.0, -60.0, seed=1), 16000, subtype="PCM_16")
    voice, _ = soundfile.read(beside, dtype="float64")
    soundfile.write(beside, np.stack([voice, noise_floor(16000, len(voice) / 16000, -60.0, 2)[:, 0]], 1), 16000)
    scan = ["scan", "--source", f"carehome={raw}", "--output", str(tmp_path / "m.jsonl"), "--levels", "--num-proc", "1"]
    assert main(scan) == 0
    printed = capfd.readouterr().err
    assert f"{muted}: its 2 channels hold different signals" not in printed, printed
    assert printed.count("hold different signals") == 1 and f"warning: {beside}: its 2 channels hold" in printed
    assert "note: carehome: 1 clip peaks below -50 dBFS" in printed, printed


@pytest.mark.parametrize("peak_dbfs", [-60.0, -50.0, -45.0, -30.0])
def test_two_channels_of_noise_alone_are_not_said_to_hold_different_signals_at_any_level(tmp_path, peak_dbfs):
    """Two channels of noise alone (a stereo recorder's two microphones, no speech), each peaking at -50 to -45
    dBFS, were said to hold "different signals (coherence 0.10): two speakers?" (only a clip peaking below -50
    dBFS was not compared).  A channel holds a signal where it rises 6 dB above its own noise floor
    (loaders.channels.SIGNAL_RISE_DB): noise alone at any level is not compared; two voices, one per channel,
    over that noise, and a voice beside a channel of it, still are."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    for rate_hz in (16000, 44100):
        noise = noise_floor(rate_hz, 2.5, peak_dbfs, seed=1)
        voice = writer.samples(speaker="s1", duration_s=2.5, sample_rate_hz=rate_hz, **VOICE)
        clips = {
            "noise.wav": noise,
            "interview.wav": two_voices(writer, 2.5, rate_hz) + noise,
            "beside.wav": np.stack([voice + noise[:, 0], noise[:, 1]], axis=1),
        }
        for name, channels in clips.items():
            soundfile.write(tmp_path / name, channels, rate_hz, subtype="PCM_16")
        assert _messages(tmp_path / "noise.wav", rate_hz) == [], (rate_hz, peak_dbfs)
        for name in ("interview.wav", "beside.wav"):
            (said,) = _messages(tmp_path / name, rate_hz)
            assert said.startswith(f"{tmp_path / name}: its 2 channels hold different signals (coherence 0."), said


def brown_noise(rate_hz: int, duration_s: float, seed: int) -> np.ndarray:
    """Frames x 2 of noise whose power falls as 1/f^2 (brown: a random walk), each channel its own, peaking at -10 dBFS."""
    walk = np.cumsum(np.random.default_rng(seed).standard_normal((int(duration_s * rate_hz), 2)), axis=0)
    walk -= walk.mean(axis=0)
    return walk * (10 ** (-10 / 20) / np.abs(walk).max(axis=0))


FORMANTS_HZ = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (570, 840, 2410))


def vowels(rate_hz: int, duration_s: float, seed: int) -> np.ndarray:
    """Speech voiced throughout, as CSED's short words are: a pulse train at 100-250 Hz through the formants of one
    vowel after another, every 120 ms, each at one level (the power of 100-4000 Hz as a whole changes little)."""
    import scipy.signal

    rng = np.random.default_rng(seed)
    step = int(0.12 * rate_hz)
    syllables = []
    for _ in range(int(duration_s / 0.12)):
        voice = scipy.signal.sawtooth(2 * np.pi * rng.uniform(100, 250) * np.arange(step) / rate_hz)
        for formant_hz in FORMANTS_HZ[rng.integers(len(FORMANTS_HZ))]:  # resonators 80 Hz wide
            r = np.exp(-np.pi * 80 / rate_hz)
            voice = scipy.signal.lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * formant_hz / rate_hz), r * r], voice)
        syllables.append(voice / np.sqrt(np.mean(voice**2)))
    return np.concatenate(syllables)


@pytest.mark.parametrize("rate_hz", [16000, 44100])
def test_brown_noise_alone_is_not_said_to_hold_different_signals_a_voice_in_white_noise_beside_noise_is(
    tmp_path, rate_hz
):
    """The power of 100-4000 Hz over its floor rose up to 9 dB in brown noise alone (its few low bins' power varies
    most), above the 6 dB that said a channel holds a signal, so two channels of it were said to hold "different
    signals"; and speech voiced throughout, at 0 dB SNR in white noise, rose 1.2-1.6 dB (CSED's words 5.3 dB), below
    it, so beside a channel of noise alone it was not warned of.  Each of 24 bands is now measured over its own floor
    (loaders.channels.SIGNAL_BANDS): noise of any colour alike, a voice's formants above it."""
    for seed in range(3):
        soundfile.write(tmp_path / "brown.wav", brown_noise(rate_hz, 10.0, seed), rate_hz, subtype="PCM_16")
        assert _messages(tmp_path / "brown.wav", rate_hz) == [], seed
    for seed in range(3):
        voice = vowels(rate_hz, 2.5, seed)
        noise = np.random.default_rng(seed).standard_normal((len(voice), 2))  # at the voice's level: 0 dB SNR
        channels = np.stack([voice + noise[:, 0], noise[:, 1]], axis=1)
        soundfile.write(tmp_path / "beside.wav", channels * (0.5 / np.abs(channels).max()), rate_hz, subtype="PCM_16")
        (said,) = _messages(tmp_path / "beside.wav", rate_hz)
        assert said.startswith(f"{tmp_path / 'beside.wav'}: its 2 channels hold different signals (coherence 0."), said
