"""Hard-clipped clips (a run of ``loaders.levels.CLIP_RUN_SAMPLES`` or more samples at full scale): the
real CSED release has 139 of 652, unevenly by label (62 Positive, 53 Negative, 24 Natural), so a model
can learn clipping in place of the emotion, and nothing said so but static text.  ``prepare`` measures
it in the decode that stores the clip, notes it per corpus and label, records it (``prepare.json``'s
``clipped``), ``check`` lists it, the dataset card states it, and ``scan --levels`` says it too."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import soundfile

from bimotion.cli import main
from bimotion.prepare.clipping import uneven
from loaders import testing
from loaders.audio import decode_measured
from loaders.levels import ClippedAudioWarning, clipped_fraction, clipping_text


def _clip(path, gain: float = 8.0) -> None:
    """Rewrite ``path`` (16-bit) ``gain`` times louder, its samples held at 16-bit full scale."""
    samples, rate = soundfile.read(path, dtype="int16")
    loud = np.clip(samples.astype(np.int64) * gain, -32768, 32767).astype(np.int16)
    soundfile.write(path, loud, rate, subtype="PCM_16")


def _tess(tmp_path):
    raw = testing.make_corpus("tess", tmp_path / "raw")
    return raw, sorted(p for p in raw.glob("*.wav") if not p.name.startswith("."))


def test_full_scale_is_exact_per_integer_format_and_one_for_float(tmp_path):
    ramp = np.zeros((100, 1), dtype=np.float32)
    ramp[10:13] = 32767 / 32768  # three samples at 16-bit full scale: clipped
    ramp[50:52] = -1.0  # two at its most negative step: a peak, not a run
    assert clipped_fraction(ramp, "PCM_16") == pytest.approx(3 / 100)
    assert clipped_fraction(ramp, "PCM_24") == 0.0  # 32767/32768 is below 24-bit full scale
    assert clipped_fraction(ramp, "FLOAT") == 0.0  # float: at or beyond 1.0 only; -1.0 twice is no run of 3
    assert clipped_fraction(ramp, "ULAW") is None and clipped_fraction(ramp, "MPEG_LAYER_III") is None
    over = np.full((8, 2), 0.5, dtype=np.float32)
    over[2:6, 1] = 1.25  # one channel of a float file beyond full scale, 4 samples in a row
    path = tmp_path / "loud.wav"
    soundfile.write(path, over, 16000, subtype="FLOAT")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, _, clipped = decode_measured(path, None)
    assert clipped == pytest.approx(4 / 16) and any(w.category is ClippedAudioWarning for w in caught)


def test_a_24_bit_source_is_measured_at_its_own_full_scale_and_mu_law_is_not_measured(tmp_path):
    wave = (0.3 * np.sin(np.arange(4800) / 5)).astype(np.float64)
    wave[1000:1010] = 1.0  # written as 24-bit: its largest step, 10 samples in a row
    wave[3000:3002] = -1.0  # two only: no run
    pcm24, ulaw = tmp_path / "a.wav", tmp_path / "b.wav"
    soundfile.write(pcm24, wave, 48000, subtype="PCM_24")
    soundfile.write(ulaw, wave, 8000, subtype="ULAW")
    assert decode_measured(pcm24)[2] == pytest.approx(10 / 4800)
    assert decode_measured(ulaw)[2] is None  # µ-law's loudest step is not a full scale the signal clipped at


def test_unevenness_needs_a_real_difference_across_labels():
    assert uneven([(62, 218), (53, 220), (24, 214)])  # the real CSED's Positive, Negative, Natural
    assert not uneven([(1, 6)] + [(0, 6)] * 6)  # one clipped clip of 42: no shortcut to learn
    assert not uneven([(30, 300), (33, 300), (31, 300)])  # even
    assert not uneven([(0, 10), (0, 10)]) and not uneven([(5, 5)])


def test_a_barely_clipped_clip_never_reads_as_none_and_predict_says_it_alike():
    """A corpus whose most clipped clip has a run of full-scale samples over 0.01% of it (the new-user run's:
    prepare.json's most_clipped_fraction 0.0001) was noted "up to 0.0% of a clip", where `bimotion predict` said
    "clipped 0.01%" of the same clip; both now say it through one formatter (loaders.levels.clipped_percent):
    two decimals, and more where they would round a clip clipped at all to none."""
    from bimotion.predict.report import PredictReport

    entry = {"clips": 1, "of": 42, "run_samples": 3, "by_label": {"anger": {"clips": 1, "of": 6}}, "uneven": False}
    for fraction, said in [(0.0001, "0.01%"), (0.00003, "0.003%"), (0.0000068, "0.0007%"), (0.0848, "8.48%")]:
        assert f"up to {said} of a clip)" in clipping_text({**entry, "most_clipped_fraction": fraction})
        report = PredictReport()
        report.clipped["a.wav"] = fraction
        assert f"clipped {said}" in report.file_notes("a.wav")
        assert f"a.wav ({said})" in report.format()


def test_a_clip_clipped_nearly_whole_never_reads_as_clipped_whole():
    """A clip of 100,000 samples, all but one at full scale, read "up to 100.00% of a clip" and "clipped 100.00%":
    a clip not clipped whole never rounds up to all of it, nor one clipped at all down to none."""
    from bimotion.predict.report import PredictReport

    entry = {"clips": 1, "of": 42, "run_samples": 3, "by_label": {"anger": {"clips": 1, "of": 6}}, "uneven": False}
    for fraction, said in [(0.99999, "99.999%"), (0.99996, "99.996%"), (1 - 1e-9, "99.9999999%"), (1.0, "100.00%")]:
        assert f"up to {said} of a clip)" in clipping_text({**entry, "most_clipped_fraction": fraction})
        report = PredictReport()
        report.clipped["a.wav"] = fraction
        assert f"clipped {said}" in report.file_notes("a.wav")


def test_prepare_check_and_the_card_count_a_clipped_clip(tmp_path, capsys):
    raw, files = _tess(tmp_path)
    angry = next(p for p in files if p.stem.endswith("_angry"))
    _clip(angry)
    out = tmp_path / "prepared"
    # two processes: measured where the clip is decoded, in a worker, and travels back
    assert main(["prepare", "--source", f"tess={raw}", "--output", str(out), "-q", "--num-proc", "2"]) == 0
    printed = capsys.readouterr().out
    clipped = json.loads((out / "prepare.json").read_text())["clipped"]["tess"]
    assert (clipped["clips"], clipped["of"], clipped["run_samples"], clipped["uneven"]) == (1, len(files), 3, False)
    assert clipped["listed"] == [f"tess/{angry.stem}"] and 0.01 < clipped["most_clipped_fraction"] < 1
    assert clipped["by_label"]["anger"] == {"clips": 1, "of": 6}
    assert clipped["by_label"]["sadness"] == {"clips": 0, "of": 6}
    note = f"note: tess: 1 of {len(files)} clips hard-clipped (3+ consecutive samples at full scale, up to "
    assert note in printed and "anger 1 of 6 (17%)" in printed and "uneven" not in printed, printed
    assert f"stored as recorded: tess/{angry.stem}" in printed
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"**Hard-clipped clips in tess:** 1 of {len(files)} clips hard-clipped" in card
    assert "balance or leave out" not in card  # even across labels: nothing to remedy
    assert main(["check", str(out)]) == 0  # a note, not a problem
    report = capsys.readouterr().out
    assert "hard-clipped clips, stored as recorded: tess 1 of" in report and report.rstrip().endswith("OK"), report


def test_clipping_that_goes_with_one_label_is_called_a_shortcut_by_prepare_check_card_and_scan(tmp_path, capsys):
    raw, files = _tess(tmp_path)
    for path in files:
        if path.stem.endswith("_angry"):
            _clip(path)
    shortcut = "uneven across labels: a model can learn clipping in place of the emotion"
    args = ["scan", "--source", f"tess={raw}", "--output", str(tmp_path / "m.jsonl"), "-q", "--levels"]
    assert main([*args, "--num-proc", "1"]) == 0
    err = capsys.readouterr().err
    assert f"note: tess: 6 of {len(files)} clips hard-clipped" in err and "anger 6 of 6 (100%)" in err, err
    assert shortcut in err and "`prepare` will store them as recorded" in err, err
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"tess={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr().out
    assert shortcut in printed and "balance or leave out the clipped clips" in printed, printed
    assert json.loads((out / "prepare.json").read_text())["clipped"]["tess"]["uneven"] is True
    card = (out / "README.md").read_text(encoding="utf-8")  # the remedy too, as prepare says it (it left it off)
    assert f"{shortcut}; balance or leave out the clipped clips, or compare scores without them." in card, card
    assert main(["check", str(out)]) == 0  # check too (it left the remedy off)
    assert f"{shortcut}; balance or leave out the clipped clips" in capsys.readouterr().out


def test_a_corpus_without_clipping_gives_no_note(tmp_path, capsys):
    raw, _ = _tess(tmp_path)
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"tess={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    assert "clipped" not in capsys.readouterr().out
    assert "clipped" not in json.loads((out / "prepare.json").read_text())
    assert "Hard-clipped" not in (out / "README.md").read_text(encoding="utf-8")


# (container, subtype, bits of its integer steps; 0: float): real files of each kind, written by soundfile
SAMPLE_FORMATS = [
    ("WAV", "PCM_32", 32), ("AIFF", "PCM_32", 32), ("WAV", "PCM_24", 24), ("FLAC", "PCM_24", 24),
    ("WAV", "PCM_16", 16), ("WAV", "PCM_U8", 8), ("AIFF", "PCM_S8", 8), ("WAV", "FLOAT", 0), ("WAV", "DOUBLE", 0),
]  # fmt: skip


@pytest.mark.parametrize(("container", "subtype", "bits"), SAMPLE_FORMATS)
def test_full_scale_is_measured_exactly_in_every_sample_format(tmp_path, container, subtype, bits):
    """A 32-bit sample within 64 steps of full scale was read through float32 as 1.0, full scale: a
    32-bit recording peaking just below it was called hard-clipped.  Each format's samples are now
    measured as read (integer PCM as int32): one step below full scale is no clipping, full scale is;
    a float file's samples beyond 1.0 are.  What is decoded is what libsndfile's float32 read gives."""
    path = tmp_path / f"x.{container.lower()}"
    wave = 0.25 * np.sin(np.arange(4000) / 7)
    if bits:
        step = 2 ** (32 - bits)  # one step of the format, in int32 units
        top = (2**31 - step) // step * step  # its largest positive step
        ints = np.round(wave * 2**31 / step).astype(np.int64) * step
        ints[100:120] = top - step  # one step below full scale, 20 in a row (32-bit: within float32's rounding)
        ints[2000:2005] = top  # at full scale, 5 in a row
        ints[3000:3004] = -(2**31)  # its most negative step, 4 in a row
        samples = ints.astype(np.int32)
    else:
        samples = wave.copy()
        samples[100:120] = 1 - 2**-20  # just below full scale
        samples[2000:2005] = 1.5  # beyond it
        samples[3000:3004] = -1.0
    soundfile.write(path, samples, 16000, format=container, subtype=subtype)
    assert soundfile.info(path).subtype == subtype
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClippedAudioWarning)  # the float file's 1.5
        decoded, _, clipped = decode_measured(path, None)
    assert clipped == pytest.approx(9 / len(samples)), subtype  # the run at full scale and the negative one
    as_read, _ = soundfile.read(path, dtype="float32")
    assert np.array_equal(decoded, np.clip(as_read[: len(decoded)], -1, 1)), subtype  # decoded as before


@pytest.mark.parametrize("block_frames", [1, 2, 3, 7, 1000])
def test_a_run_at_full_scale_read_in_blocks_counts_as_read_whole(block_frames):
    """``bimotion predict`` measures a file block by block (:class:`loaders.levels.ClipMeter`): a run
    split between two blocks is one run, as :func:`clipped_fraction` counts it in the whole read."""
    from loaders.levels import ClipMeter

    top = 32767 << 16  # 16-bit full scale, as read as int32
    samples = np.zeros((40, 2), dtype=np.int32)
    samples[5:9, 0] = top  # a run of 4
    samples[20:22, 0] = -(2**31)  # two: no run
    samples[30:40, 1] = top  # a run of 10 to the end
    meter = ClipMeter("PCM_16")
    for start in range(0, len(samples), block_frames):
        meter.add(samples[start : start + block_frames])
    meter.add(samples[:0])  # a read at the file's end
    assert meter.fraction == clipped_fraction(samples, "PCM_16") == pytest.approx(14 / 80)
    assert ClipMeter("MPEG_LAYER_III").fraction is None


def test_a_run_of_three_samples_in_a_long_clip_is_recorded_and_said_not_rounded_to_none(tmp_path, capsys):
    """prepare.json rounded most_clipped_fraction to 4 decimals: 3 samples at full scale in a 5 s clip
    (3 of 122070) were recorded as 0.0, and the note and the card read "up to 0.00% of a clip".
    It is recorded as measured, and said through loaders.levels.clipped_percent."""
    raw, files = _tess(tmp_path)
    angry = next(p for p in files if p.stem.endswith("_angry"))
    samples, rate = soundfile.read(angry, dtype="int16")
    long = np.resize(samples, 5 * rate)  # the clip repeated to 5 s
    long[1000:1003] = 32767  # one run of 3 samples at full scale
    soundfile.write(angry, long, rate, subtype="PCM_16")
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"tess={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    printed = capsys.readouterr().out
    clipped = json.loads((out / "prepare.json").read_text())["clipped"]["tess"]
    assert clipped["most_clipped_fraction"] == 3 / len(long)
    assert "up to 0.002% of a clip)" in printed and "0.00%" not in printed, printed
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "up to 0.002% of a clip)" in card and "0.00%" not in card


def test_clipping_of_a_corpus_of_ones_own_names_its_own_labels_beside_the_shared_ones(tmp_path, capsys):
    """A corpus whose label map maps ``marah`` onto anger: the clipping note said ``anger 4 of 4 (100%)``, a word
    its owner never wrote; scan, prepare, check and the card now say ``marah (anger) 4 of 4 (100%)``."""
    import csv

    raw = testing.make_corpus("audiofolder", tmp_path / "raw", corpus="mine")
    for row in csv.DictReader((raw / "metadata.csv").open(encoding="utf-8")):
        if row["emotion"] == "marah":
            _clip(raw / row["file_name"])
    said = "marah (anger) 4 of 4 (100%), senang (happiness) 0 of 4 (0%), netral (neutral) 0 of 4 (0%), sedih (sadness) "
    args = ["scan", "--source", f"mine={raw}", "--output", str(tmp_path / "m.jsonl"), "-q", "--levels"]
    assert main([*args, "--num-proc", "1"]) == 0
    assert said in capsys.readouterr().err
    out = tmp_path / "prepared"
    assert main(["prepare", "--source", f"mine={raw}", "--output", str(out), "-q", "--num-proc", "1"]) == 0
    assert said in capsys.readouterr().out
    clipped = json.loads((out / "prepare.json").read_text())["clipped"]["mine"]
    assert clipped["by_label"]["anger"] == {"clips": 4, "of": 4} and clipped["words"]["anger"] == ["marah"]
    assert said in (out / "README.md").read_text(encoding="utf-8")
    assert main(["check", str(out)]) == 0
    assert said in capsys.readouterr().out


def test_one_clipped_clip_of_a_label_of_one_clip_is_too_few_to_tell_not_uneven():
    """One clipped clip, the only clip of its label, among 100 unclipped clips of another label was said to be
    "uneven across labels: a model can learn clipping in place of the emotion", a shortcut from one clip.  A label
    of fewer than FORMAT_MIN_CLIPS clips is now left out of the test and named as too few, as the format note does."""
    from bimotion.prepare.clipping import FORMAT_MIN_CLIPS, clipped_info

    found = {"carehome": {"carehome/a.wav": (0.02, ("surprise",))}}
    entry = clipped_info(found, {"carehome": (101, {"surprise": 1, "neutral": 100})})["carehome"]
    assert entry["uneven"] is False and entry["few"] == {"surprise": 1} and entry["min_clips"] == FORMAT_MIN_CLIPS == 4
    text = clipping_text(entry)
    assert "uneven" not in text, text
    assert text.endswith(
        "surprise 1 of 1 (100%); too few clips to tell whether clipping goes with the label: surprise 1 clip, "
        "where 4 or more a label are needed (so that a label clipped alone is beyond chance)"
    ), text
    # a label of 4 clips, all clipped, among unclipped ones is beyond chance: still said to be uneven
    found = {"carehome": {f"carehome/{i}.wav": (0.02, ("anger",)) for i in range(4)}}
    entry = clipped_info(found, {"carehome": (104, {"anger": 4, "neutral": 100})})["carehome"]
    assert entry["uneven"] is True and "few" not in entry
