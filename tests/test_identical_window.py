"""Finding identical audio decoded every clip that shares its sample rate and duration with another: a
corpus of one's own whose clips all have one length (3000 clips of 3 s at 48 kHz) was decoded whole by
``bimotion scan`` and ``prepare``, ~45 s on 2 cores.  A window from the middle of each clip is read first
(:func:`loaders.identical._window_digest`); only clips whose windows are equal are decoded whole, and the
sets found are the same."""

from __future__ import annotations

import collections
import dataclasses

import numpy as np
import pytest

import loaders
from loaders.testing.synth import make_voice, synthesize

RATE_HZ = 16000
FRAMES = 8000  # 0.5 s
SILENCE = 3000  # frames of digital silence every clip begins with: a window at the start would see only that


def _clip(i: int) -> np.ndarray:
    voice = make_voice(f"s{i}", "fm"[i % 2], "eld")
    speech = synthesize(("anger",), voice, "eng", duration_s=1.0, sample_rate_hz=RATE_HZ, rng=np.random.default_rng(i))
    samples = np.zeros(FRAMES, np.float32)
    samples[SILENCE:] = 0.5 * speech[: FRAMES - SILENCE] / np.abs(speech).max()
    return np.round(samples * 32767) / 32768  # values a 16-bit file holds exactly


def _corpus(tmp_path, distinct: int) -> list:
    """``distinct`` different 16-bit mono clips of one length, with copies of two of them: clip 0 as 24-bit
    PCM, as float and as 24-bit FLAC, clip 1 as stereo (both channels the same); and two Ogg Vorbis files of
    one clip 2 (their bytes differ: each stream has its own serial number)."""
    import soundfile

    files = {}
    for i in range(distinct):
        files[f"c{i:02d}.wav"] = (_clip(i), "WAV", "PCM_16")
    first, second = _clip(0), _clip(1)
    files |= {
        "c00-24.wav": (first, "WAV", "PCM_24"),
        "c00-float.wav": (first, "WAV", "FLOAT"),
        "c00-24.flac": (first, "FLAC", "PCM_24"),
        "c01-stereo.wav": (np.stack([second, second], 1), "WAV", "PCM_16"),
        "v1.ogg": (_clip(2), "OGG", "VORBIS"),
        "v2.ogg": (_clip(2), "OGG", "VORBIS"),
    }
    template = loaders.Utterance(
        id="x", corpus="mine", path="", language="ind", age_group="eld", emotions=("anger",),
        label_space=("anger",), duration_s=FRAMES / RATE_HZ, sample_rate_hz=RATE_HZ,
    )  # fmt: skip
    records = []
    for name, (samples, kind, subtype) in files.items():
        soundfile.write(tmp_path / name, samples, RATE_HZ, format=kind, subtype=subtype)
        records.append(dataclasses.replace(template, id=f"mine/{name}", path=str(tmp_path / name)))
    assert (tmp_path / "v1.ogg").read_bytes() != (tmp_path / "v2.ogg").read_bytes()
    return records


def _every_clip_whole(records) -> list[tuple[str, ...]]:
    """The sets as found before the window: every clip of a shared rate and duration decoded whole."""
    from loaders.identical import _content_digest

    by_content = collections.defaultdict(list)
    for r in records:
        digest = _content_digest(r.path, round(r.duration_s * r.sample_rate_hz))
        if digest is not None:
            by_content[digest].append(r.id)
    return sorted(tuple(sorted(ids)) for ids in by_content.values() if len(ids) > 1)


@pytest.mark.skipif("OGG" not in __import__("soundfile").available_formats(), reason="needs Ogg Vorbis")
def test_only_clips_whose_middle_matches_anothers_are_decoded_whole_and_the_sets_are_the_same(tmp_path, monkeypatch):
    import loaders.identical

    records = _corpus(tmp_path, 12)
    expected = [
        ("mine/c00-24.flac", "mine/c00-24.wav", "mine/c00-float.wav", "mine/c00.wav"),
        ("mine/c01-stereo.wav", "mine/c01.wav"),
        ("mine/v1.ogg", "mine/v2.ogg"),
    ]
    assert _every_clip_whole(records) == expected
    read = []
    real = loaders.identical._content_digest
    monkeypatch.setattr(loaders.identical, "_content_digest", lambda path, n: read.append(path) or real(path, n))
    assert loaders.identical.identical_audio(records) == expected
    decoded = sorted(p.rsplit("/", 1)[1] for p in read)
    assert decoded == sorted(n.split("/", 1)[1] for ids in expected for n in ids), decoded


def test_a_clip_libsndfile_cannot_read_is_still_compared_whole(tmp_path, monkeypatch):
    """Files without a window (an MP4: FFmpeg's) are compared by their bytes, as before."""
    import loaders.identical

    records = _corpus(tmp_path, 2)[:2]
    (tmp_path / "a.mp4").write_bytes(b"\0\0\0\x18ftypM4A " + bytes(64))
    (tmp_path / "b.mp4").write_bytes(b"\0\0\0\x18ftypM4A " + bytes(64))
    (tmp_path / "c.mp4").write_bytes(b"\0\0\0\x18ftypM4A " + bytes(65))
    records += [dataclasses.replace(records[0], id=f"mine/{n}", path=str(tmp_path / f"{n}.mp4")) for n in "abc"]
    read = []
    real = loaders.identical._content_digest
    monkeypatch.setattr(loaders.identical, "_content_digest", lambda path, n: read.append(path) or real(path, n))
    assert loaders.identical.identical_audio(records) == [("mine/a", "mine/b")]
    assert sorted(p.rsplit("/", 1)[1] for p in read) == ["a.mp4", "b.mp4", "c.mp4"]


@pytest.mark.skipif("MP3" not in __import__("soundfile").available_formats(), reason="needs MP3")
def test_the_window_and_the_whole_read_open_a_file_through_one_opener(tmp_path, monkeypatch):
    """The window digest had its own copy of the whole read's opening (the sniff of the first bytes,
    libmpg123's notes caught as a warning, libsndfile's open).  Both open through
    :func:`loaders.audio.libsndfile_open`: a damaged MP3's notes reach the caller of either as the same
    warning naming the file, and a file libsndfile cannot open raises the same error through the
    opener as through the whole read (the window then gives None: the file is compared whole)."""
    import warnings

    from test_mp3_length import encode, frame_offsets, tone

    import loaders.audio
    from loaders.audio import libsndfile_open, libsndfile_read
    from loaders.identical import _window_digest

    clean = encode(tmp_path, tone(RATE_HZ, RATE_HZ, 1), RATE_HZ, "libsndfile")
    data = clean.read_bytes()
    at = frame_offsets(data)[5]
    for name in ("window.mp3", "whole.mp3"):  # two names: a note is said once per file
        (tmp_path / name).write_bytes(data[:at] + b"\x12\x34" * 150 + data[at:])
    said = {}
    for name, read in (
        ("window.mp3", lambda p: _window_digest(p, RATE_HZ)),
        ("whole.mp3", lambda p: libsndfile_read(p, None)),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert read(tmp_path / name) is not None
        said[name] = [(w.category, str(w.message).replace(name, "X")) for w in caught]
    assert said["window.mp3"] == said["whole.mp3"] and len(said["whole.mp3"]) == 1, said
    assert f"{tmp_path / 'X'}: libmpg123 (libsndfile's MP3 decoder) says: " in said["whole.mp3"][0][1]
    assert "Illegal Audio-MPEG-Header 0x12341234" in said["whole.mp3"][0][1]

    (tmp_path / "text.wav").write_text("not audio at all\n")
    (tmp_path / "folder.wav").mkdir()
    for bad in ("text.wav", "folder.wav", "missing.wav"):
        with pytest.raises(Exception) as whole:
            libsndfile_read(tmp_path / bad, None)
        with pytest.raises(type(whole.value)) as opened, libsndfile_open(tmp_path / bad):
            pass
        assert str(opened.value) == str(whole.value)
        assert _window_digest(tmp_path / bad, RATE_HZ) is None

    opened_by = []
    real = loaders.audio.libsndfile_open
    monkeypatch.setattr(loaders.audio, "libsndfile_open", lambda path: opened_by.append(path) or real(path))
    _window_digest(clean, RATE_HZ)
    libsndfile_read(clean, None)
    assert opened_by == [clean, clean]  # the one place a file is opened for either read


def test_the_window_and_the_whole_read_collapse_copied_channels_through_one_helper(tmp_path, monkeypatch):
    """The window digest and the whole read each had their own copy of "every channel the same: one channel"
    before hashing; both go through loaders.identical._samples_digest now.  A stereo file whose channels hold
    one signal gets the digests of its mono file, by either read; one whose channels differ does not."""
    import soundfile

    import loaders.identical
    from loaders.identical import _content_digest, _samples_digest, _window_digest

    mono = np.random.default_rng(2).uniform(-0.5, 0.5, 2 * RATE_HZ)
    mono = np.round(mono * 32767) / 32768  # exact in 16-bit PCM
    files = {"mono": mono[:, None], "copied": np.stack([mono, mono], 1), "two": np.stack([mono, -mono], 1)}
    for name, frames in files.items():
        soundfile.write(tmp_path / f"{name}.wav", frames, RATE_HZ, subtype="PCM_16")
    for digest in (_window_digest, _content_digest):
        got = {name: digest(tmp_path / f"{name}.wav", 2 * RATE_HZ) for name in files}
        assert got["copied"] == got["mono"] != got["two"], (digest.__name__, got)
    assert _samples_digest(files["copied"]) == _samples_digest(files["mono"]) != _samples_digest(files["two"])

    hashed = []
    real = loaders.identical._samples_digest
    monkeypatch.setattr(
        loaders.identical, "_samples_digest", lambda frames: hashed.append(frames.shape) or real(frames)
    )
    _window_digest(tmp_path / "copied.wav", 2 * RATE_HZ)
    _content_digest(tmp_path / "copied.wav", 2 * RATE_HZ)
    assert len(hashed) == 2 and all(shape[1] == 2 for shape in hashed)  # both hash through the one helper


@pytest.mark.skipif("OGG" not in __import__("soundfile").available_formats(), reason="needs Ogg Vorbis")
def test_the_progress_bars_totals_never_grow(tmp_path):
    """`bimotion prepare` showed "finding identical audio: 0/227", the bar full at 227/227, and then
    "227/341": its total grew by the files compared whole, a count known only once every window is read.
    Those have a bar of their own now, "comparing files whole", and each bar's total is known when it starts."""
    import io
    import re

    from loaders.identical import identical_audio

    records = _corpus(tmp_path, 4)  # 10 files of one length; 8 of them in sets of copies (compared whole)
    shown = io.StringIO()
    identical_audio(records, progress=True, bar={"file": shown, "mininterval": 0})
    counts = collections.defaultdict(list)
    for line in re.split(r"[\r\n]+", shown.getvalue()):
        if match := re.match(r"(.+?):.*?(\d+)/(\d+) ", line.strip()):
            counts[match[1]].append((int(match[2]), int(match[3])))
    assert list(counts) == ["finding identical audio", "comparing files whole"], shown.getvalue()
    assert {total for _, total in counts["finding identical audio"]} == {10}, counts
    assert {total for _, total in counts["comparing files whole"]} == {8}, counts
    assert [counts[desc][-1][0] for desc in counts] == [10, 8], counts  # each bar ends full


def test_a_short_flac_that_declares_no_length_is_found_with_its_copy_by_its_window(tmp_path, monkeypatch):
    """A FLAC whose STREAMINFO declares no length (what `ffmpeg -f flac pipe:` writes) failed its window read where
    the window reaches its end (a clip of at most 2 x 2048 frames, 0.256 s at 16 kHz: libFLAC cannot seek to the
    end of such a file), so it was compared whole, alone: the WAV it copies, whose window no other file shared, was
    not, and the two were not found identical. Its window is read as a stream, as its whole read is."""
    import soundfile
    from test_audio import _declare_no_length

    import loaders.identical

    frames = 3000
    clips = [np.round(np.random.default_rng(i).uniform(-0.5, 0.5, frames) * 32767) / 32768 for i in range(2)]
    template = loaders.Utterance(
        id="x", corpus="mine", path="", language="ind", age_group="eld", emotions=("anger",),
        label_space=("anger",), duration_s=frames / RATE_HZ, sample_rate_hz=RATE_HZ,
    )  # fmt: skip
    records = []
    for name, samples, kind in (("a.wav", clips[0], "WAV"), ("a.flac", clips[0], "FLAC"), ("b.flac", clips[1], "FLAC")):
        soundfile.write(tmp_path / name, samples, RATE_HZ, format=kind, subtype="PCM_16")
        if kind == "FLAC":
            _declare_no_length(tmp_path / name)
        records.append(dataclasses.replace(template, id=f"mine/{name}", path=str(tmp_path / name)))
    assert soundfile.info(str(tmp_path / "a.flac")).frames == 2**63 - 1
    window = loaders.identical._window_digest
    assert window(tmp_path / "a.flac", frames) == window(tmp_path / "a.wav", frames) is not None
    read = []
    real = loaders.identical._content_digest
    monkeypatch.setattr(loaders.identical, "_content_digest", lambda path, n: read.append(path) or real(path, n))
    assert loaders.identical.identical_audio(records) == [("mine/a.flac", "mine/a.wav")]
    assert sorted(p.rsplit("/", 1)[1] for p in read) == ["a.flac", "a.wav"]  # b.flac's window matches none
