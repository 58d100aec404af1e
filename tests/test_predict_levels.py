"""`bimotion predict` on recordings whose level or length makes their scores doubtful.  Hard-clipped
ones (an elderly speaker shouting into a phone): `prepare` and `scan --levels` measured clipping,
predict said nothing of it, though it changes the scores.  Each row now carries its file's clipped
fraction (``file_clipped``), measured as `prepare` measures a clip (:class:`loaders.levels.ClipMeter`,
the same runs at full scale on the samples as read), and the closing lines name the clipped files,
most clipped first, and the files that cannot be measured.  A noise floor (as `prepare` notes a quiet
clip) and a file too short to carry an emotion are named too."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import soundfile
import torch

from bimotion.cli import main
from bimotion.predict import predict_files
from loaders.audio import decode_measured
from loaders.errors import BadFileError
from loaders.testing._common import FixtureWriter

torch.set_num_threads(2)

OPTIONS = ["--window-s", "2", "--hop-s", "2", "--no-progress"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from bimotion.training import testing
    from bimotion.training.model import build_model, suppress_untrained

    root = tmp_path_factory.mktemp("model")
    built, fe = build_model(str(testing.save_tiny_model(root / "tiny")), classifier_proj_size=16)
    built.config.trained_labels = ["neutral", "positive", "negative"]
    suppress_untrained(built)
    built.save_pretrained(root / "ours")
    fe.save_pretrained(root / "ours")
    return root / "ours"


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """A shout clipped at 16-bit full scale (44.1 kHz stereo, 12 s: three of predict's 5 s blocks, so
    runs are measured across blocks), the same speech at a sane level in 32-bit PCM peaking one step
    below full scale (no clipping), and an MP3 (lossy: not measured)."""
    root = tmp_path_factory.mktemp("recordings")
    writer = FixtureWriter(root / ".pool", seed=5)
    voice = dict(speaker="s1", gender="f", age_group="eld", language="zho", emotions=("anger",))
    speech = writer.samples(duration_s=12.0, sample_rate_hz=44100, **voice)
    speech = speech.astype(np.float64) / np.max(np.abs(speech))
    shout = np.clip(np.round(speech * 6 * 32768), -32768, 32767).astype(np.int16)
    soundfile.write(root / "shout.wav", np.stack([shout, shout // 2], 1), 44100, subtype="PCM_16")
    calm = np.round(speech * (2**31 - 2)).astype(np.int32)  # peaks a step below 32-bit full scale
    soundfile.write(root / "calm.wav", calm, 44100, subtype="PCM_32")
    soundfile.write(root / "phone.mp3", speech[: 44100 * 3] * 0.5, 44100, format="MP3")
    return root


@pytest.fixture
def then(monkeypatch):
    """``then(change)``: from here on predict's real measuring decode of each file, then ``change(path)``,
    another process's change to the file between its two decodes (measured, then scored)."""
    import bimotion.predict as predict

    measure = predict._measure

    def then(change):
        def measured(source, *args):
            found = measure(source, *args)
            change(source.path)
            return found

        monkeypatch.setattr(predict, "_measure", measured)

    return then


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_each_row_carries_its_files_clipping_measured_as_prepare_measures_it(model, recordings, tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(model), str(recordings), "--output", str(out), *OPTIONS]) == 0
    err = capsys.readouterr().err
    rows = _csv(out)
    shout, calm, mp3 = (str(recordings / n) for n in ("shout.wav", "calm.wav", "phone.mp3"))
    by_file = {r["file"]: r["file_clipped"] for r in rows}
    expected = decode_measured(shout)[2]  # prepare's measure of the whole file
    assert 0.05 < expected < 0.5 and float(by_file[shout]) == pytest.approx(expected, abs=1e-6)
    assert float(by_file[calm]) == 0.0 and by_file[mp3] == ""  # a step below full scale; lossy: not measured
    assert {r["file_clipped"] for r in rows if r["file"] == shout} == {by_file[shout]}  # every window of it
    assert [r["file"] for r in rows] == sorted(r["file"] for r in rows)  # still file by file, in order
    line = next(x for x in err.splitlines() if "hard-clipped" in x)
    assert line.startswith("1 file(s) are hard-clipped (3+ consecutive samples at full scale"), err
    assert f"{shout} ({expected:.2%})" in line and calm not in line, line
    assert "1 file(s) were not measured for clipping (lossy or companded audio, MP3" in err and mp3 in err, err
    assert {r["clipped"] for r in rows if r["file"] in (calm, mp3)} == {"0.0", ""}  # per window: none; not measured

    jsonl = tmp_path / "p.jsonl"
    assert main(["predict", "--model", str(model), str(recordings), "--output", str(jsonl), *OPTIONS]) == 0
    lines = [json.loads(x) for x in jsonl.read_text().splitlines()]
    assert {x["file"]: x["file_clipped"] for x in lines} == {shout: round(expected, 6), calm: 0.0, mp3: None}


def test_the_library_reports_the_clipped_files_and_still_streams_file_by_file(model, recordings):
    rows = predict_files(model, [recordings / "shout.wav", recordings / "calm.wav"], window_s=2.0, progress=False)
    first = next(rows)  # shout.wav's rows come once it is decoded to its end and in the report
    assert first.file.endswith("shout.wav") and first.file_clipped == rows.report.clipped[first.file] > 0.05
    rest = list(rows)
    assert {r.file_clipped for r in rest if r.file.endswith("shout.wav")} == {
        rows.report.clipped[str(recordings / "shout.wav")]
    }
    assert "1 file(s) are hard-clipped" in rows.report.format()


def test_each_window_says_how_much_of_its_own_stretch_is_clipped(model, tmp_path):
    """Every row of a file carried the file's clipped fraction only: a recording clipped in one shout
    (2.3-3.7 s of 6 s) gave its calm windows the same 6% as the shouting one.  Each row's ``clipped`` is
    now the fraction of its own window's samples, by the same measure (``prepare``'s of those 2 s
    alone); ``file_clipped`` is still the file's, in every row."""
    rate = 44100
    t = np.arange(6 * rate) / rate
    speech = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    speech[(t > 2.3) & (t < 3.7)] *= 6  # the shout, clipped at 16-bit full scale
    samples = np.clip(np.round(speech * 32768), -32768, 32767).astype(np.int16)
    stereo = np.stack([samples, samples // 2], 1)
    soundfile.write(tmp_path / "mid.wav", stereo, rate, subtype="PCM_16")
    soundfile.write(tmp_path / "shout_alone.wav", stereo[2 * rate : 4 * rate], rate, subtype="PCM_16")
    shout, whole = decode_measured(tmp_path / "shout_alone.wav")[2], decode_measured(tmp_path / "mid.wav")[2]
    assert shout > 0.1 and 0.02 < whole < shout

    rows = list(predict_files(model, [tmp_path / "mid.wav"], window_s=2.0, hop_s=2.0, progress=False))
    assert [(r.start_s, r.end_s) for r in rows] == [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)]
    assert [r.clipped for r in rows] == [0.0, pytest.approx(shout, abs=1e-9), 0.0]
    assert [r.file_clipped for r in rows] == [pytest.approx(whole, abs=1e-9)] * 3
    assert rows[1].to_csv()["clipped"] == round(shout, 6) and rows[0].to_json()["clipped"] == 0.0


def test_where_a_file_is_clipped_does_not_depend_on_how_it_is_read():
    """A window's clipped fraction is the same whether its file is read in one block or in blocks that
    end part-way through a step, next to a run or inside one (a run that spans two blocks is one)."""
    from bimotion.predict.clipping import ClipTrack

    rng = np.random.default_rng(3)
    frames = (rng.standard_normal((11025 * 3, 2)) * 40000).clip(-32768, 32767).astype(np.int32) << 16  # PCM_16 as read
    whole = ClipTrack("PCM_16", 11025)
    whole.add(frames)
    spans = [(0.0, 1.0), (0.37, 1.41), (1.0, 3.0), (2.99, 3.0)]
    for size in (1, 219, 221, 5000):
        pieces = ClipTrack("PCM_16", 11025)
        for at in range(0, len(frames), size):
            pieces.add(frames[at : at + size])
        assert pieces.fraction == whole.fraction > 0.005
        assert [pieces.between(*span) for span in spans] == [whole.between(*span) for span in spans], size


def test_a_recording_at_a_noise_floor_is_named_as_prepare_names_a_quiet_clip(model, tmp_path, capsys):
    """A muted or unplugged microphone's noise floor (-65 dBFS) was scored and labelled (the feature
    extractor scales it up to the level of speech) without a word; `prepare` notes such a clip (peak
    below ``loaders.levels.QUIET_PEAK_DBFS``).  predict now names it, quietest first; speech recorded
    low (-45 dBFS) is not named, nor is a silent file (named as silent)."""
    rng = np.random.default_rng(0)
    for name, peak_db in (("muted.wav", -65), ("far.wav", -45), ("dead.wav", None)):
        noise = rng.standard_normal(16000 * 3)
        level = 0.0 if peak_db is None else 10 ** (peak_db / 20) / np.max(np.abs(noise))
        soundfile.write(tmp_path / name, noise * level, 16000, subtype="PCM_16")
    paths = [str(tmp_path / n) for n in ("muted.wav", "far.wav", "dead.wav")]
    assert main(["predict", "--model", str(model), *paths, *OPTIONS]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "noise floor" in x)
    assert line.startswith("1 file(s) peak below -50 dBFS, far below speech (as `prepare` notes a clip)"), line
    assert line.endswith(f"quietest first: {paths[0]} (-65 dBFS)"), line
    assert "1 file(s) are silent" in err and paths[2] not in line, err


def test_a_file_too_short_to_carry_an_emotion_is_named(model, tmp_path, capsys):
    """A 30 ms file (a click, a cut-off syllable) was scored as one window, and labelled, without a
    word, though --segment vad drops any stretch of voice under 0.25 s; it is now named with its length."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    speech = writer.samples(speaker="s1", gender="m", age_group="adu", language="eng", emotions=("anger",))
    for name, duration_s in (("click.wav", 0.03), ("word.wav", 0.4)):
        soundfile.write(tmp_path / name, speech[: round(16000 * duration_s)], 16000, subtype="PCM_16")
    paths = [str(tmp_path / n) for n in ("click.wav", "word.wav")]
    rows = predict_files(model, paths, window_s=2.0, progress=False)
    assert [r.file for r in rows] == paths  # both scored
    assert rows.report.short == {paths[0]: pytest.approx(0.03, abs=1e-3)}
    line = next(x for x in rows.report.format().splitlines() if "too short" in x)
    assert line == (
        "1 file(s) last under 0.25 s, the shortest stretch of voice --segment vad scores: a moment of sound, too "
        f"short to carry an emotion, so their scores say little: {paths[0]} (0.030 s)"
    )


def test_every_doubtful_file_is_marked_in_its_rows_and_keeps_its_labels(model, tmp_path, capsys):
    """Field recordings of elderly speakers: files under 0.25 s and noise floors were named in the closing
    lines, with --output only the first three, and their rows gave labels with nothing saying they were
    doubtful.  Every row now carries its file's notes (``file_notes``; empty for a clean file), the labels
    stay (the threshold's, as for any file), and a closing line counts the noted files and points at the
    column."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    speech = writer.samples(speaker="s1", gender="m", age_group="eld", language="eng", emotions=("anger",))
    rng = np.random.default_rng(0)
    folder = tmp_path / "field"
    folder.mkdir()
    for i in range(4):  # clicks: 30-60 ms
        soundfile.write(folder / f"click{i}.wav", speech[: 480 + 160 * i], 16000, subtype="PCM_16")
    for i, peak_db in enumerate((-62, -58, -55, -53)):  # a muted microphone's noise floor
        noise = rng.standard_normal(16000 * 2)
        soundfile.write(folder / f"muted{i}.wav", noise * 10 ** (peak_db / 20) / np.max(np.abs(noise)), 16000)
    soundfile.write(folder / "speech.wav", speech[: 16000 * 2], 16000, subtype="PCM_16")
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(model), str(folder), "--output", str(out), *OPTIONS]) == 0
    err = capsys.readouterr().err
    rows = _csv(out)
    notes = {r["file"]: r["file_notes"] for r in rows}
    assert len(rows) == len(notes) == 9  # one 2 s window each: every file has its row
    for i in range(4):
        assert notes[str(folder / f"click{i}.wav")] == f"shorter than 0.25 s ({(480 + 160 * i) / 16000:.3f} s)"
    assert [notes[str(folder / f"muted{i}.wav")] for i in range(4)] == [
        "noise floor (peak -62 dBFS)", "noise floor (peak -58 dBFS)",
        "noise floor (peak -55 dBFS)", "noise floor (peak -53 dBFS)",
    ]  # fmt: skip
    assert notes[str(folder / "speech.wav")] == ""
    for row in rows:  # labels kept: the threshold's, whatever the notes
        expected = [k for k in ("neutral", "positive", "negative") if float(row[k]) >= 0.5]
        assert (row["predicted"].split(";") if row["predicted"] else []) == expected
    line = next(x for x in err.splitlines() if "column file_notes" in x)
    # with --output: the first three named, and the column holds them all (it said "8 file(s) named above")
    assert line.startswith("8 file(s) have notes in every row of theirs, column file_notes"), line
    assert f"; 3 named here, 5 more in column file_notes of {out}: " in line, line
    assert line.endswith(" and 5 more"), line

    jsonl = tmp_path / "p.jsonl"
    assert main(["predict", "--model", str(model), str(folder), "--output", str(jsonl), *OPTIONS]) == 0
    by_file = {x["file"]: x["file_notes"] for x in map(json.loads, jsonl.read_text().splitlines())}
    assert by_file == {file: [note] if note else [] for file, note in notes.items()}
    capsys.readouterr()
    assert main(["predict", "--model", str(model), str(folder), *OPTIONS]) == 0  # stdout: every file named
    line = next(x for x in capsys.readouterr().err.splitlines() if "column file_notes" in x)
    assert "more" not in line and all(str(folder / f"muted{i}.wav") in line for i in range(4)), line


def test_a_long_recordings_rows_come_as_they_are_scored_with_their_notes(model, tmp_path):
    """An hour's rows waited for the hour: a file's rows were given only once it was decoded and scored
    to its end, so that its clipping was known.  Each file is now measured by a first decode (a small part
    of a model's time), and its rows come as their windows are scored, each already carrying the file's
    clipping and notes; the file's warnings are given once, not once per decode."""
    import warnings

    from loaders.levels import ClippedAudioWarning

    rng = np.random.default_rng(1)
    noise = rng.standard_normal(16000 * 30)  # 30 s of a noise floor at -60 dBFS, 15 windows of 2 s
    soundfile.write(tmp_path / "floor.wav", noise * 10 ** (-60 / 20) / np.max(np.abs(noise)), 16000)
    loud = np.clip(rng.standard_normal(16000 * 12), -3, 3).astype(np.float32)  # float samples beyond full scale
    soundfile.write(tmp_path / "loud.wav", loud, 16000, subtype="FLOAT")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = predict_files(model, [tmp_path / "floor.wav", tmp_path / "loud.wav"], window_s=2.0, hop_s=2.0,
                             batch_size=1, progress=False)  # fmt: skip
        first = next(rows)
        assert rows.report.windows == 1 and rows.report.audio_s <= 10.0  # one window scored, a block or two read
        assert first.file_notes == ("noise floor (peak -60 dBFS)",) and first.file_clipped == 0.0
        rest = list(rows)
    assert len(rest) == 14 + 6 and {r.file_notes for r in rest[:14]} == {first.file_notes}
    assert len([w for w in caught if issubclass(w.category, ClippedAudioWarning)]) == 1  # loud.wav's, once


def test_a_recording_changed_between_its_two_decodes_gives_no_rows_of_another_files_notes(model, tmp_path, then):
    """Each file is decoded twice: once measured (its level, length, clipping: its rows' notes), then scored.  A
    recording replaced in between (a recorder still writing it, a sync client's newer copy) was scored whole as
    the new file, each row saying "silent" of 20 s of sound, with labels the closing lines said were not
    predicted; one cut short gave 0.06 s of rows and no word.  Every decode now checks the file is as it was
    listed: a changed file is a clear error naming it, or with skip_bad a counted skip, never rows of one file
    with another's notes; one gone is ``missing``, not libsndfile's "System error"."""
    import shutil

    folder = tmp_path / "recordings"
    folder.mkdir()
    soundfile.write(folder / "x.wav", np.zeros(16000 * 3, np.float32), 16000)  # silent when measured
    t = np.arange(16000 * 20) / 16000
    soundfile.write(tmp_path / "speech.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    then(lambda path: shutil.copyfile(tmp_path / "speech.wav", path))
    with pytest.raises(BadFileError, match="changed while predicted") as caught:
        list(predict_files(model, [folder], window_s=2.0, hop_s=2.0, progress=False))
    assert caught.value.reason == "changed" and caught.value.path == folder / "x.wav"
    soundfile.write(folder / "x.wav", np.zeros(16000 * 3, np.float32), 16000)
    rows = predict_files(model, [folder], window_s=2.0, hop_s=2.0, progress=False, skip_bad=True)
    assert list(rows) == [] and rows.report.skipped.to_dict() == {"predict/changed": 1}
    soundfile.write(folder / "x.wav", np.zeros(16000 * 3, np.float32), 16000)
    then(lambda path: path.unlink())
    with pytest.raises(BadFileError, match="moved or deleted since it was listed") as caught:
        list(predict_files(model, [folder], window_s=2.0, hop_s=2.0, progress=False))
    assert caught.value.reason == "missing"


def test_a_pipe_given_as_a_path_is_named_as_a_pipe_not_as_missing(model, tmp_path, capsys):
    """``cat take.wav | bimotion predict /dev/stdin`` (or a named pipe) said "no such file or folder", though the
    path is there: it is a pipe, which predict cannot read, as it decodes each file twice (measured, then
    scored).  It is now named as a pipe, with the fix (save the audio to a file), or with --skip-bad a counted
    skip beside the files read; a broken link says where it points."""
    import os
    import re

    pipe, dead, clip = tmp_path / "take.wav", tmp_path / "gone.wav", tmp_path / "clip.wav"
    os.mkfifo(pipe)  # never opened: opening a pipe with no writer would block
    dead.symlink_to(tmp_path / "nowhere.wav")
    soundfile.write(clip, np.zeros(16000 * 2, np.float32), 16000)
    assert main(["predict", "--model", str(model), str(pipe), *OPTIONS]) == 2
    err = capsys.readouterr().err
    assert f"error: {pipe}: not a regular file (a pipe, socket or device): predict decodes each file twice" in err
    assert "fix: save the audio to a file and pass that" in err and "no such file" not in err, err
    assert main(["predict", "--model", str(model), str(pipe), str(dead), str(clip), "--skip-bad", *OPTIONS]) == 0
    out, err = capsys.readouterr()
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == [str(clip)]
    assert re.search(r"not_regular_file +1", err) and re.search(r"broken_link +1", err), err
    assert "which does not exist" in err, err


def test_a_file_skipped_before_any_row_of_it_is_not_listed_as_failed_part_way_or_doubtful(
    model, tmp_path, monkeypatch, then
):
    """A silent recording changed once measured, skipped with skip_bad as its scoring decode began, was still
    listed as "failed part-way: the rows of their first windows are in the output", though no row of it was,
    and as silent, with notes "in every row of theirs"; so was one that failed part-way when measured and was
    gone when scored.  Only a file with rows given is now listed so; both stay counted as skipped."""
    import os
    import shutil

    import bimotion.predict as predict

    folder = tmp_path / "recordings"
    folder.mkdir()
    silent, measure = folder / "x.wav", predict._measure
    t = np.arange(16000 * 20) / 16000
    soundfile.write(tmp_path / "speech.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)

    def run() -> tuple[list, predict.PredictReport]:
        rows = predict_files(model, [folder], window_s=2.0, hop_s=2.0, progress=False, skip_bad=True, batch_size=1)
        return list(rows), rows.report

    soundfile.write(silent, np.zeros(16000 * 3, np.float32), 16000)
    then(lambda path: shutil.copyfile(tmp_path / "speech.wav", path))
    rows, report = run()
    assert rows == [] and report.skipped.to_dict() == {"predict/changed": 1}
    assert (report.partial, report.silent, report.noted) == ({}, [], {})
    assert "failed part-way" not in report.format() and "silent" not in report.format()

    def failed_part_way(source, *args):  # measured up to a damage after 4 s, then deleted before it is scored
        found = measure(source, *args)
        found.error, found.windows, found.duration_s = BadFileError(source.path, "corrupt", "damaged at 4 s"), 2, 4.0
        source.path.unlink()
        return found

    shutil.copyfile(tmp_path / "speech.wav", silent)
    monkeypatch.setattr(predict, "_measure", failed_part_way)
    rows, report = run()
    assert rows == [] and report.skipped.to_dict() == {"predict/corrupt": 1}
    assert (report.partial, report.noted) == ({}, {}) and "failed part-way" not in report.format()

    monkeypatch.setattr(predict, "_measure", measure)  # touched once its first row is given: the rows given stay
    shutil.copyfile(tmp_path / "speech.wav", silent)
    rows = predict_files(model, [folder], window_s=2.0, hop_s=2.0, progress=False, skip_bad=True, batch_size=1)
    first = next(rows)
    os.utime(silent, ns=(0, 0))
    given, report = [first, *rows], rows.report
    assert len(given) >= 1 and report.skipped.to_dict() == {"predict/changed": 1}
    assert list(report.partial) == [str(silent)] and "1 skipped file(s) failed part-way" in report.format()


def test_a_recording_of_two_voices_one_per_channel_is_named_once(model, tmp_path, capsys):
    """An interview recorded in stereo, the interviewer on one channel and the resident on the other, was
    averaged to mono and scored without a word: both voices in every window.  predict now warns, naming
    the file, once (the file is decoded twice), as `prepare` does (``test_stereo_channels.py``); a stereo
    recording of one voice (the same voice at half the level on its second channel) is not named."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = dict(duration_s=12.0, sample_rate_hz=44100, age_group="eld", language="zho", emotions=("anger",))
    first, second = (writer.samples(speaker=s, gender=g, **voice) for s, g in (("s1", "f"), ("s2", "m")))
    interview = tmp_path / "interview.wav"  # 12 s: three of predict's 5 s blocks, compared across them
    soundfile.write(interview, np.stack([first, second], 1), 44100, subtype="PCM_16")
    one = tmp_path / "one.wav"
    soundfile.write(one, np.stack([first, first / 2], 1), 44100, subtype="PCM_16")
    assert main(["predict", "--model", str(model), str(interview), str(one), *OPTIONS]) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("warning:") and "different signals" in x]
    assert len(lines) == 1 and lines[0].startswith(f"warning: {interview}: its 2 channels hold different"), lines


@pytest.mark.parametrize("right", [-1.0, -0.95])
def test_a_recording_whose_channels_cancel_is_named_once(model, tmp_path, capsys, right):
    """A stereo recording with one channel phase-inverted (or nearly: at 95% of the level) averages to a
    near-silent mono clip, which predict scored without a word, where `prepare` and `scan --levels` warn
    (``test_audio.py``).  predict now warns the same words naming the file, once (the file is decoded twice)."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = dict(duration_s=12.0, sample_rate_hz=44100, age_group="eld", language="zho", emotions=("anger",))
    speech = writer.samples(speaker="s1", gender="f", **voice)
    inverted = tmp_path / "inverted.wav"
    soundfile.write(inverted, np.stack([speech, right * speech], 1), 44100, subtype="FLOAT")
    assert main(["predict", "--model", str(model), str(inverted), *OPTIONS]) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("warning:") and "cancel" in x]
    drop = "to digital silence)" if right == -1.0 else "32 dB quieter than the recording)"
    mono = "silent" if right == -1.0 else "near-silent"  # exactly inverted: not '225 dB quieter'
    said = f"its 2 channels cancel when mixed to mono ({drop}: is one channel phase-inverted? the mono clip is {mono}"
    assert lines == [f"warning: {inverted}: {said}"], lines


def test_the_rows_of_a_recording_whose_channels_differ_or_cancel_say_so(model, tmp_path, capsys):
    """The warning named an interview of two voices, one per channel (or a recording whose channels cancel),
    but its rows' file_notes were empty, so that a user keeping the rows with empty notes kept them.  Their
    rows now say what was found (as the noise floors' do), and a closing line names them; one voice on two
    channels is clean."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = dict(duration_s=4.0, sample_rate_hz=16000, age_group="eld", language="zho", emotions=("anger",))
    first, second = (writer.samples(speaker=s, gender=g, **voice) for s, g in (("s1", "f"), ("s2", "m")))
    soundfile.write(tmp_path / "interview.wav", np.stack([first, second], 1), 16000, subtype="PCM_16")
    soundfile.write(tmp_path / "inverted.wav", np.stack([first, -0.95 * first], 1), 16000, subtype="FLOAT")
    soundfile.write(tmp_path / "one.wav", np.stack([first, first / 2], 1), 16000, subtype="PCM_16")
    out = tmp_path / "p.csv"
    files = [str(tmp_path / f"{name}.wav") for name in ("interview", "inverted", "one")]
    assert main(["predict", "--model", str(model), *files, "--output", str(out), *OPTIONS]) == 0
    err = capsys.readouterr().err
    notes = {r["file"]: r["file_notes"] for r in _csv(out)}
    assert notes[files[0]].startswith("channels hold different signals (coherence 0."), notes
    assert notes[files[1]].startswith("channels cancel when mixed (") and notes[files[1]].endswith(" dB quieter)")
    assert notes[files[2]] == "", notes
    line = next(x for x in err.splitlines() if "of several channels were mixed down" in x)
    assert line.startswith("2 file(s) of several channels were mixed down to mono though their channels"), line
    assert f"{files[0]} (channels hold different signals" in line and f"{files[1]} (channels cancel" in line


def test_a_companded_recording_whose_channels_cancel_is_still_said_unmeasured_for_clipping(model, tmp_path, capsys):
    """A µ-law stereo recording whose channels cancel was named for its channels but left out of the closing
    line on the files not measured for clipping (its file_clipped empty, unexplained), where the same file
    with sane channels is named there; it is named in both."""
    writer = FixtureWriter(tmp_path / ".pool", seed=5)
    voice = dict(duration_s=4.0, sample_rate_hz=16000, age_group="eld", language="zho", emotions=("anger",))
    first = writer.samples(speaker="s1", gender="f", **voice)
    soundfile.write(tmp_path / "inverted.wav", np.stack([first, -0.95 * first], 1), 16000, subtype="ULAW")
    soundfile.write(tmp_path / "one.wav", np.stack([first, first / 2], 1), 16000, subtype="ULAW")
    files = [str(tmp_path / f"{name}.wav") for name in ("inverted", "one")]
    assert main(["predict", "--model", str(model), *files, "--output", str(tmp_path / "p.csv"), *OPTIONS]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "not measured for clipping" in x)
    assert line.startswith("2 file(s) were not measured for clipping") and all(f in line for f in files), line
    assert f"{files[0]} (channels cancel" in next(x for x in err.splitlines() if "were mixed down" in x)
