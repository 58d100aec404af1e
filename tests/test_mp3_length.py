"""An MP3's length is counted exactly from its frame headers (the LAME tag's encoder delay and
padding taken off), however short the file, and a file libsndfile would read only in part goes to
FFmpeg before libsndfile decodes any of it (:mod:`loaders.mp3`, :func:`loaders.audio.libsndfile_read`).
Every file here is a real encode, by the ffmpeg CLI (libmp3lame) or by libsndfile."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile

from loaders.audio import decode, libsndfile_read, libsndfile_stops_short, probe

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or "MP3" not in soundfile.available_formats(), reason="needs ffmpeg and MP3"
)

ENCODINGS = {  # name: ffmpeg's flags (None: libsndfile writes it)
    "libsndfile": None,
    "cbr, LAME tag": ("-b:a", "64k"),
    "vbr, LAME tag": ("-q:a", "4"),
    "cbr, no header": ("-b:a", "64k", "-write_xing", "0"),
    "vbr, no header": ("-q:a", "4", "-write_xing", "0"),  # libsndfile guesses its length from the first frame
}


def tone(rate: int, frames: int, channels: int) -> np.ndarray:
    t = np.arange(frames) / rate
    wobble = 0.3 * np.sin(2 * np.pi * 220 * t * (1 + 3 * t))  # a sweep: VBR frames of many sizes
    return np.stack([wobble] * channels, axis=1).astype(np.float32)


def encode(tmp_path, samples: np.ndarray, rate: int, encoding: str):
    path = tmp_path / f"{encoding.replace(' ', '').replace(',', '_')}.mp3"
    flags = ENCODINGS[encoding]
    if flags is None:
        soundfile.write(path, samples, rate, format="MP3")
        return path
    wav = tmp_path / "source.wav"
    soundfile.write(wav, samples, rate, subtype="PCM_16")
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", *flags, str(path)]
    subprocess.run(command, check=True)
    return path


def decoded_length(path) -> int:
    """Samples per channel of a whole decode, by decoders that share no code with ours: the longer of
    FFmpeg's and libsndfile's (each stops early on some of these files: libsndfile at its guess of a
    VBR file's length, FFmpeg on a 3-frame file without a header)."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"], capture_output=True
    )
    channels = soundfile.info(str(path)).channels
    return max(len(out.stdout) // 4 // channels, len(soundfile.read(str(path), always_2d=True)[0]))


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("rate, frames, channels", [(16000, 200, 1), (16000, 1000, 1), (44100, 5000, 2)])
def test_an_mp3s_length_is_exact_however_short(tmp_path, encoding, rate, frames, channels):
    """A few frames long, a file's length was libsndfile's guess whenever counting differed from it by
    less than two frames and a padding (MP3_SLACK, 3409 samples, longer than the file): 1742 of a
    VBR file's 2304 samples were read, and a CBR file without a header was probed 240 samples long."""
    path = encode(tmp_path, tone(rate, frames, channels), rate, encoding)
    info = probe(path)
    assert info.num_frames == decoded_length(path)
    if "LAME" in encoding or encoding == "libsndfile":
        assert info.num_frames == frames  # the encoder's delay and padding are cut, as decoders cut them
    samples, _ = decode(path, None)
    assert len(samples) == info.num_frames


def test_an_mp3_libsndfile_would_read_in_part_is_not_decoded_by_it(tmp_path):
    """decode and the identical-audio pass decoded such a file with libsndfile (its guess of the
    length: here a fifth of it), then all of it again with FFmpeg (decode), or hashed the bytes
    (identical audio); the first decode was wasted: now nothing of it is decoded."""
    import tracemalloc

    from loaders.identical import _content_digest

    rate = 16000
    path = encode(tmp_path, tone(rate, 60 * rate, 1), rate, "vbr, no header")
    info = probe(path)
    assert libsndfile_stops_short(path, info) and info.num_frames == decoded_length(path)
    assert soundfile.info(str(path)).frames < info.num_frames / 2
    tracemalloc.start()
    try:
        assert libsndfile_read(path, info.num_frames, dtype="float64") is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000, peak  # its guess, a fifth of 60 s in float64, is 1.5 MB: libsndfile decoded nothing
    assert _content_digest(path, info.num_frames).startswith("file:")  # its bytes, not a guessed prefix
    samples, _ = decode(path, None)
    assert len(samples) == info.num_frames  # FFmpeg's, whole
    whole = encode(tmp_path, tone(rate, rate, 1), rate, "vbr, LAME tag")  # a right header: libsndfile reads it
    read = libsndfile_read(whole, probe(whole).num_frames)
    assert read is not None and len(read[0]) == rate and read[1] == rate


def frame_offsets(data: bytes) -> list[int]:
    """Where each MPEG audio frame of ``data`` starts (after its ID3v2 tag), read by this test alone:
    the 11-bit sync, and the length from the MPEG-1/2 layer III bitrate table."""
    pos = 10 + int.from_bytes(bytes(b & 0x7F for b in data[6:10]), "big") if data[:3] == b"ID3" else 0
    kbits = {3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)}
    kbits[2] = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000)}
    offsets = []
    while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] & 0xE0 == 0xE0:
        version = (data[pos + 1] >> 3) & 3
        bitrate, rate = kbits[version][data[pos + 2] >> 4] * 1000, rates[version][(data[pos + 2] >> 2) & 3]
        offsets.append(pos)
        pos += (144 if version == 3 else 72) * bitrate // rate + ((data[pos + 2] >> 1) & 1)
    return offsets


@pytest.mark.parametrize("encoding", ["vbr, no header", "cbr, LAME tag"])
def test_junk_between_frames_is_skipped_and_named(tmp_path, encoding):
    """Garbage between frames (a damaged copy; a tool's leftovers before an ID3 tag mid-stream) ended
    the count: the length was unknown, so a VBR file without a header was libsndfile's guess of it
    (a third of it, decoded without a word).  Now the counter finds the next frames, as decoders do,
    and a warning names the file and says how much was skipped."""
    from loaders.errors import InputWarning

    rate = 44100
    clean = encode(tmp_path, tone(rate, 2 * rate, 1), rate, encoding)
    data = clean.read_bytes()
    offsets = frame_offsets(data)
    assert len(offsets) > 60 and offsets[-1] < len(data)
    garbage = np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8).tobytes()
    tag = b"ID3\x04\0\0\0\0\0\x0bTIT2\0\0\0\x01\0\0\0"  # an ID3v2 tag with one (empty) text frame
    at, at2 = offsets[20], offsets[50]
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(data[:at] + garbage + data[at:at2] + bytes(37) + tag + data[at2:])
    with pytest.warns(
        InputWarning, match=rf"^{damaged}: 537 byte\(s\) in 2 place\(s\) between its MP3 frames .*byte {at}"
    ):
        info = probe(damaged)
    assert info.num_frames == probe(clean).num_frames == decoded_length(clean)
    # a decoder may drop the frame after each gap (its bit reservoir points into the lost bytes): held to the count
    assert len(decode(damaged, None)[0]) == info.num_frames


def test_a_files_count_is_kept_until_the_file_changes(tmp_path):
    """A second scan (and prepare's check for FFmpeg, and its decoding) counted every frame of every
    MP3 again; now a file is counted once while its path, size, mtime and inode stay."""
    import os
    import warnings

    from loaders.errors import InputWarning
    from loaders.mp3 import _file_frames, mp3_file_frames

    rate = 16000
    path = encode(tmp_path, tone(rate, rate, 1), rate, "vbr, no header")
    _file_frames.cache_clear()
    first = mp3_file_frames(path)
    assert mp3_file_frames(path) == first == decoded_length(path)
    assert (_file_frames.cache_info().hits, _file_frames.cache_info().misses) == (1, 1)
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # touched: counted again
    assert mp3_file_frames(path) == first and _file_frames.cache_info().misses == 2
    (tmp_path / "other").mkdir()
    longer = encode(tmp_path / "other", tone(rate, 3 * rate, 1), rate, "vbr, no header")
    os.replace(longer, path)  # rewritten in place: another inode, size and mtime
    count = mp3_file_frames(path)
    assert count == decoded_length(path) > first
    data = path.read_bytes()
    offsets = frame_offsets(data)
    path.write_bytes(data[: offsets[10]] + bytes(100) + data[offsets[10] :])
    with pytest.warns(InputWarning, match=f"^{path}: 100 byte"):
        assert mp3_file_frames(path) == count
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)  # said once per process and file
        assert mp3_file_frames(path) == count


def test_libmpg123s_notes_name_the_file(tmp_path, capfd):
    """libmpg123 (libsndfile's MP3 decoder) printed "Warning: Xing stream size off by more than 1%"
    and "Note: Illegal Audio-MPEG-Header 0x... at offset 8403" on standard error, naming no file:
    with a folder of recordings, which one was meant was anyone's guess.  Now each is part of a
    warning naming the file, once, and nothing of it is printed by libmpg123 itself."""
    from bimotion.predict.audio import audio_blocks, find_audio
    from loaders.errors import InputWarning

    rate = 44100
    clean = encode(tmp_path, tone(rate, rate, 1), rate, "cbr, LAME tag")
    data = clean.read_bytes()
    at = frame_offsets(data)[20]
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(data[:at] + b"\x12\x34" * 150 + data[at:])  # 300 bytes more: the Xing size is off
    capfd.readouterr()
    with pytest.warns(InputWarning) as caught:
        (source,), _ = find_audio([damaged])
        decoded, _ = decode(damaged, None)
        streamed = np.concatenate(list(audio_blocks(source, 16000, block_s=0.25)))
    said = [str(w.message) for w in caught if ": libmpg123 (" in str(w.message)]
    assert said and all(
        message.startswith(f"{damaged}: libmpg123 (libsndfile's MP3 decoder) says: ") for message in said
    )
    assert any("Xing stream size off" in message for message in said)
    assert any(f"Illegal Audio-MPEG-Header 0x12341234 at offset {at}" in message for message in said)
    assert sum("Xing stream size off" in message for message in said) == 1  # once per file and note
    assert "Xing" not in capfd.readouterr().err
    assert len(decoded) == rate and abs(len(streamed) - 16000) <= 1


def test_a_damaged_mp3_with_a_right_header_is_read_whole_by_prepare_and_predict_alike(tmp_path):
    """Junk between the frames of a file whose length header is right: libsndfile stopped at the junk
    (a quarter of the file) while its header promised it all, so prepare's check for FFmpeg said
    nothing needed it, and predict streamed the quarter without a word while decode (training's
    audio) read the whole through FFmpeg.  libsndfile_stops_short now reads such a file through."""
    import warnings

    from bimotion.predict.audio import audio_blocks, find_audio
    from loaders.audio import needs_ffmpeg, why_ffmpeg

    rate = 44100
    clean = encode(tmp_path, tone(rate, 2 * rate, 1), rate, "cbr, LAME tag")
    data = clean.read_bytes()
    at = frame_offsets(data)[21]
    garbage = np.random.default_rng(1).integers(0, 256, 500, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(data[:at] + garbage + data[at:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the junk and libmpg123's notes, named in the tests above
        info = probe(damaged)
        assert soundfile.info(str(damaged)).frames == info.num_frames == 2 * rate  # the header is right
        assert libsndfile_stops_short(damaged, info) and not libsndfile_stops_short(clean, probe(clean))
        assert why_ffmpeg(damaged) == "an MP3 that libsndfile reads only in part" and why_ffmpeg(clean) == ""
        (source,), _ = find_audio([damaged])
        assert needs_ffmpeg(source.path, source.info)
        streamed = sum(len(block) for block in audio_blocks(source, rate))
        whole = len(decode(damaged, None)[0])
    assert streamed == whole == info.num_frames  # FFmpeg's, both, held to the count (loaders.mp3.LengthHold)


def test_the_check_for_a_short_read_opens_the_file_through_the_one_opener(tmp_path, monkeypatch):
    """libsndfile_stops_short opened an MP3 with its own copy of libsndfile_open's opening (libmpg123's notes
    caught, libsndfile's open); it opens through :func:`loaders.audio.libsndfile_open` now.  Its answers, and
    libmpg123's notes on a damaged file as one warning naming it, are those of before."""
    import warnings

    import loaders.audio

    rate = 44100
    clean = encode(tmp_path, tone(rate, 2 * rate, 1), rate, "cbr, LAME tag")
    data = clean.read_bytes()
    at = frame_offsets(data)[21]
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(data[:at] + b"\x12\x34" * 150 + data[at:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the probe's words on the junk
        infos = {path: probe(path) for path in (clean, damaged)}
    opened_by = []
    real = loaders.audio.libsndfile_open
    monkeypatch.setattr(loaders.audio, "libsndfile_open", lambda path: opened_by.append(path) or real(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not libsndfile_stops_short(clean, infos[clean])
        libsndfile_stops_short(damaged, infos[damaged])
    said = [str(w.message) for w in caught if ": libmpg123 (" in str(w.message)]
    assert len(said) == 1 and said[0].startswith(f"{damaged}: libmpg123 (libsndfile's MP3 decoder) says: "), said
    assert "Illegal Audio-MPEG-Header 0x12341234" in said[0]
    assert opened_by == [clean, damaged]  # the one place a file is opened for libsndfile


def test_what_else_is_written_to_stderr_meanwhile_is_not_swallowed(tmp_path, capfd):
    """mpg123_messages catches file descriptor 2: another writer's line (a progress bar redrawn by
    its thread) came back as the MP3's 'libmpg123 says: predict: 40%', and everything caught was lost
    when the read raised; both now go back to standard error."""
    import os
    import warnings

    from loaders.mp3 import mpg123_messages

    path = tmp_path / "x.mp3"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mpg123_messages(path):
            os.write(2, b"Note: Illegal Audio-MPEG-Header 0x00000000 at offset 99.\npredict:  40%|####  |\n")
    assert [str(w.message) for w in caught] == [
        f"{path}: libmpg123 (libsndfile's MP3 decoder) says: Note: Illegal Audio-MPEG-Header 0x00000000 at offset 99."
    ]
    assert capfd.readouterr().err == "predict:  40%|####  |\n"
    with pytest.raises(RuntimeError, match="cannot decode"), mpg123_messages(path):
        os.write(2, b"Note: Trying to resync...\n")
        raise RuntimeError("cannot decode")
    assert capfd.readouterr().err == "Note: Trying to resync...\n"  # said, not lost with the error


@pytest.mark.parametrize("encoding", ["cbr, no header", "vbr, no header"])
def test_a_stream_ffmpeg_copied_is_counted_as_decoders_cut_it(tmp_path, encoding):
    """FFmpeg copying an MP3 stream (`-c:a copy`, or writing another encoder's) writes an Info frame
    whose LAME tag declares no delay and no padding; decoders still cut their own delay (529 samples)
    at the start, and the count did not: libsndfile read 16751 of the 17280 counted, so a clean file was
    'read only in part', taken from libsndfile, and refused where FFmpeg is not installed."""
    from loaders.audio import why_ffmpeg

    rate = 16000
    source = encode(tmp_path, tone(rate, rate, 1), rate, encoding)
    path = tmp_path / "copied.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-c:a", "copy", str(path)], check=True)
    info = probe(path)
    assert info.num_frames == decoded_length(path) == len(soundfile.read(str(path))[0]) == 30 * 576 - 529
    assert why_ffmpeg(path) == "" and len(decode(path, None)[0]) == info.num_frames
