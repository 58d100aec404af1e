"""Damaged MP3s (junk between frames, recordings joined by a tool, a last frame cut short) are read
whole, by the decoder that can, and the check before decoding knows which one that is
(:func:`loaders.audio.why_ffmpeg`, :func:`loaders.audio.libsndfile_read`).  Every file here is a real
encode by the ffmpeg CLI (libmp3lame), damaged by the test."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import soundfile
import test_mp3_length as mp3

from bimotion.predict.audio import audio_blocks, find_audio
from loaders.audio import decode, libsndfile_read, probe, why_ffmpeg
from loaders.ffmpeg import MP3_IN_PART

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or "MP3" not in soundfile.available_formats(), reason="needs ffmpeg and MP3"
)
RATE = 44100


def damaged(tmp_path, name: str, encoding: str, change) -> tuple:
    """A 2 s tone encoded as ``encoding``, its bytes changed by ``change(data, frame offsets)``: the
    damaged file and the clean one."""
    (tmp_path / name).mkdir()
    clean = mp3.encode(tmp_path / name, mp3.tone(RATE, 2 * RATE, 1), RATE, encoding)
    data = clean.read_bytes()
    path = tmp_path / name / "damaged.mp3"
    path.write_bytes(change(data, mp3.frame_offsets(data)))
    return path, clean


def read_all_ways(path) -> tuple:
    """``(probe, why_ffmpeg, decode's samples, predict's streamed samples)`` of ``path``, its warnings
    (the junk, libmpg123's notes: named in test_mp3_length) left out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = probe(path)
        why = why_ffmpeg(path)
        decoded, _ = decode(path, None)
        (source,), _ = find_audio([path])
        streamed = np.concatenate(list(audio_blocks(source, info.sample_rate_hz, block_s=0.25)))
    return info, why, decoded, streamed


def test_an_mp3_whose_junk_libsndfile_gives_up_on_is_read_whole_by_ffmpeg(tmp_path):
    """Over 1 KiB of junk between the frames of a file whose length header is right: libmpg123 gives up
    resyncing and libsndfile's read fails ('Unspecified internal error'), so decode and predict refused a
    file FFmpeg reads whole, and prepare's check for FFmpeg (why_ffmpeg) raised that LibsndfileError as a
    traceback.  Such a file is now FFmpeg's, as a file libsndfile reads only in part is."""
    junk = np.random.default_rng(2).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    path, _ = damaged(tmp_path, "junk", "cbr, LAME tag", lambda data, at: data[: at[21]] + junk + data[at[21] :])
    with pytest.raises(RuntimeError), warnings.catch_warnings():  # what libsndfile does with it
        warnings.simplefilter("ignore")
        soundfile.read(str(path))
    info, why, decoded, streamed = read_all_ways(path)
    assert why == MP3_IN_PART
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert libsndfile_read(path, info.num_frames) is None
    assert info.num_frames == 2 * RATE and abs(len(decoded) - info.num_frames) <= 1152  # FFmpeg's, whole
    np.testing.assert_array_equal(streamed, decoded)


def test_mono_and_stereo_recordings_joined_are_read_whole_by_prepare_and_predict_alike(tmp_path):
    """A mono and a stereo MP3 joined by `cat` (no junk, and libsndfile's estimate of its length longer
    than its frames): libsndfile stops where the channels change.  prepare's check for FFmpeg said
    nothing needed it, so without FFmpeg the decode failed minutes in ('FFmpeg is needed', not skipped
    with --skip-bad), and predict streamed the mono part (89856 of 135936 samples) without a word.
    The frame count now notes the change, and the file is FFmpeg's from the start."""
    (tmp_path / "stereo").mkdir()
    stereo = mp3.encode(tmp_path / "stereo", mp3.tone(RATE, RATE, 2), RATE, "cbr, no header").read_bytes()
    path, _ = damaged(tmp_path, "joined", "cbr, no header", lambda data, at: data + stereo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert soundfile.info(str(path)).frames >= probe(path).num_frames == 89856 + 46080  # 2 s mono, 1 s stereo
        assert len(soundfile.read(str(path))[0]) == 89856  # libsndfile: the mono part
    info, why, decoded, streamed = read_all_ways(path)
    assert why == MP3_IN_PART and len(streamed) == len(decoded)  # FFmpeg's, both
    assert abs(len(decoded) - info.num_frames) <= 1152
