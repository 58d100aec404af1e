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


def read_all_ways(path, rate_hz: int | None = None) -> tuple:
    """``(probe, why_ffmpeg, decode's samples, predict's streamed samples, the warnings' messages)`` of
    ``path`` at ``rate_hz`` (None: its own)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = probe(path)
        why = why_ffmpeg(path)
        decoded, _ = decode(path, rate_hz)
        (source,), _ = find_audio([path])
        streamed = np.concatenate(list(audio_blocks(source, rate_hz or info.sample_rate_hz, block_s=0.25)))
    return info, why, decoded, streamed, [str(w.message) for w in caught]


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
    info, why, decoded, streamed, _ = read_all_ways(path)
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
    info, why, decoded, streamed, _ = read_all_ways(path)
    assert why == MP3_IN_PART and len(streamed) == len(decoded)  # FFmpeg's, both
    assert abs(len(decoded) - info.num_frames) <= 1152


def junk_at(frame: int, size: int, seed: int = 0):
    junk = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    return lambda data, at: data[: at[frame]] + junk + data[at[frame] :]


DAMAGE = {  # name: (encoding, change, the decoder's length before it was held to the count, its decoder)
    "last frame cut short": ("cbr, LAME tag", lambda data, at: data[: (at[-1] + len(data)) // 2], 87599, "libsndfile"),
    "last frame cut short, no header": (
        "vbr, no header", lambda data, at: data[: (at[-1] + len(data)) // 2], 89856, "FFmpeg",
    ),
    "junk after the LAME tag": ("cbr, LAME tag", junk_at(1, 500), 89856, "libsndfile"),  # its delay is no longer cut
    "junk between frames, no header": ("vbr, no header", junk_at(21, 500), 88704, "FFmpeg"),  # a frame dropped
}  # fmt: skip


@pytest.mark.parametrize("name", DAMAGE)
def test_a_damaged_mp3_decodes_to_the_length_its_frames_count_with_a_warning(tmp_path, name):
    """A decoder's length of a damaged MP3 differed from its frames' count by up to two frames, either
    way (a last frame cut short decoded in part, the LAME tag's priming no longer cut after junk, a frame
    dropped after junk), with no word: prepare stored, and predict streamed, a length the scan had not
    counted.  Now both are held to the count, the difference cut from, or added as silence at, the end,
    and a warning names the file and says how much."""
    encoding, change, before, decoder = DAMAGE[name]
    path, _ = damaged(tmp_path, "damaged", encoding, change)
    info, _, decoded, streamed, said = read_all_ways(path)
    assert len(decoded) == len(streamed) == info.num_frames != before
    held = [m for m in said if m.startswith(f"{path}: {decoder} decodes {before} samples of it at 44100 Hz where")]
    assert (
        len(held) == 2 and f"its MP3 frames hold {info.num_frames}: {abs(before - info.num_frames)} samples" in held[0]
    )
    if before < info.num_frames:  # silence at the end, for the frame lost
        assert not decoded[before:].any() and not streamed[before:].any()
    _, _, at16k, streamed16k, said = read_all_ways(path, 16000)
    assert len(at16k) == round(info.num_frames * 16000 / RATE) and abs(len(streamed16k) - len(at16k)) <= 1


@pytest.mark.parametrize(
    "name, change, message",
    [
        ("another rate spliced in", "22050", "bytes that are no frame of its stream .* decode as audio"),
        ("checksums that fail", "crc", "frames that do not decode .* are left out"),
    ],
)
def test_an_mp3_whose_decode_is_far_from_its_frames_count_is_a_bad_file(tmp_path, name, change, message):
    """Frames of another recording at another rate spliced in are junk to the count (the warning says
    'skipped, as decoders skip them'), but FFmpeg decoded them, resampled, as 1.6 s of that recording
    in the middle of the clip; frames whose CRC fails were left out (0.73 s of 2.04 s kept).  Both were
    stored, and streamed, as the clip.  Beyond two frames a stretch they are now a bad file, named."""
    from loaders.errors import BadFileError

    if change == "22050":
        (tmp_path / "other").mkdir()
        other = mp3.encode(tmp_path / "other", mp3.tone(22050, 22050, 1), 22050, "cbr, no header").read_bytes()
        encoding, edit = "cbr, LAME tag", lambda data, at: data[: at[30]] + other + data[at[30] :]
    else:  # every frame claims a CRC it does not have: FFmpeg leaves out those it checks
        encoding = "vbr, no header"

        def edit(data, at):
            headers = set(at[5:-1])
            return bytes(b & 0xFE if i - 1 in headers else b for i, b in enumerate(data))

    path, _ = damaged(tmp_path, "damaged", encoding, edit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert why_ffmpeg(path) == MP3_IN_PART
        with pytest.raises(
            BadFileError, match=rf"^{path}: FFmpeg decodes .* where its MP3 frames hold 2\.0\d\d s: {message}"
        ):
            decode(path, 16000)
        (source,), _ = find_audio([path])
        with pytest.raises(BadFileError, match=message):
            sum(len(block) for block in audio_blocks(source, 16000, block_s=0.25))


def ape_tag() -> bytes:
    """An APEv2 tag (header, one item, footer), as MP3Gain and foobar2000 write one at a file's end."""
    item = (5).to_bytes(4, "little") + bytes(4) + b"Title\0hello"
    size = (len(item) + 32).to_bytes(4, "little")

    def part(flags: int) -> bytes:
        return (
            b"APETAGEX"
            + (2000).to_bytes(4, "little")
            + size
            + (1).to_bytes(4, "little")
            + flags.to_bytes(4, "little")
            + bytes(8)
        )

    return part(0xA0000000) + item + part(0x80000000)


@pytest.mark.parametrize("header", [True, False], ids=["with its header", "footer only"])
def test_an_ape_tag_at_the_end_is_no_junk(tmp_path, header):
    """An APE tag without its (optional) header was junk to the count: a warning that bytes between
    the frames are no audio ('listen to it, or replace it'), for a tagged file, which libsndfile was
    then made to read through to see whether it stops short."""
    from loaders.errors import InputWarning

    tag = ape_tag() if header else ape_tag()[32:]
    path, clean = damaged(tmp_path, "tagged", "cbr, LAME tag", lambda data, at: data + tag + b"TAG" + bytes(125))
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        assert probe(path).num_frames == probe(clean).num_frames == 2 * RATE and why_ffmpeg(path) == ""


def lyrics3_tag() -> bytes:
    """A Lyrics3 v2 tag (its size before ``LYRICS200``) and the ID3v1 tag that follows it, as Winamp's
    and MP3 taggers write them at a file's end."""
    body = b"LYRICSBEGIN" + b"IND00003110" + b"LYR00011hello world"
    return body + str(len(body)).zfill(6).encode() + b"LYRICS200" + b"TAG" + b"title".ljust(125, b"\0")


@pytest.mark.parametrize("encoding", ["cbr, LAME tag", "cbr, no header"])
@pytest.mark.parametrize("tag", ["ape", "lyrics3"])
def test_recordings_joined_with_a_tag_between_are_counted_and_read_whole(tmp_path, encoding, tag):
    """Two tagged MP3s joined by `cat`: the count stopped at the first one's APE or Lyrics3 tag (taken
    for tags at the end), so the second recording was no part of the clip: libsndfile read the first
    alone (its LAME header says as much) without a word, or, held to that count, the file was refused
    as damaged ('FFmpeg decodes at least ... where its MP3 frames hold 2.0 s')."""
    (tmp_path / "second").mkdir()
    second = mp3.encode(tmp_path / "second", mp3.tone(RATE, RATE, 1), RATE, encoding).read_bytes()
    between = ape_tag() if tag == "ape" else lyrics3_tag()
    path, clean = damaged(tmp_path, "joined", encoding, lambda data, at: data + between + second)
    info, _, decoded, streamed, said = read_all_ways(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = probe(clean).num_frames
    assert info.num_frames >= first + RATE and len(decoded) == len(streamed) == info.num_frames
    assert not [m for m in said if "between its MP3 frames" in m]  # the tag is no junk
    assert not [m for m in said if "decodes" in m]  # counted as FFmpeg decodes it


JOINED = {  # name: (the recordings' encodings and lengths in seconds, whether ffmpeg writes ID3v2 tags)
    "CBR, LAME tags": ((("cbr, LAME tag", 1.5), ("vbr, LAME tag", 1.5)), True),
    "LAME tag, then none": ((("cbr, LAME tag", 1.5), ("cbr, no header", 1.5)), True),
    "three, ID3v2 tags between": ((("vbr, LAME tag", 1), ("cbr, no header", 1), ("cbr, LAME tag", 2.3)), True),
    "no ID3v2 tags": ((("cbr, LAME tag", 1.5), ("vbr, LAME tag", 1.5)), False),
    "a long one, then a short one": ((("cbr, LAME tag", 5), ("cbr, LAME tag", 0.2)), True),
}  # fmt: skip


@pytest.mark.parametrize("rate", [44100, 16000])
@pytest.mark.parametrize("name", JOINED)
def test_recordings_joined_by_cat_are_counted_as_ffmpeg_decodes_them(tmp_path, name, rate):
    """MP3s joined by `cat`, the first with a LAME tag: libsndfile reads the first alone (its header's
    frame count), so FFmpeg decodes the file, and its decode was held to a count it does not give, with
    a warning calling a clean file damaged: 134831 samples where 135270 were counted (silence added).
    FFmpeg cuts the first tag's delay, but not its padding where it takes the file for a joined one (its
    size over the header's by a sixteenth); a later recording's header frame and delay are decoded as
    audio; and it loses the frame after each ID3v2 tag between the recordings ('Header missing', FFmpeg
    5.1).  The count now says the same, so nothing is cut, added or said."""
    import subprocess

    parts, id3 = JOINED[name]
    flags = () if id3 else ("-id3v2_version", "0")
    data = b""
    for i, (encoding, seconds) in enumerate(parts):
        (tmp_path / str(i)).mkdir()
        samples = mp3.tone(rate, int(seconds * rate), 1)
        wav = tmp_path / str(i) / "source.wav"
        soundfile.write(wav, samples, rate, subtype="PCM_16")
        out = tmp_path / str(i) / "part.mp3"
        command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame"]
        subprocess.run([*command, *mp3.ENCODINGS[encoding], *flags, str(out)], check=True)
        data += out.read_bytes()
    path = tmp_path / "joined.mp3"
    path.write_bytes(data)
    ffmpeg = subprocess.run(["ffmpeg", "-v", "quiet", "-i", str(path), "-f", "f32le", "-"], capture_output=True)
    info, why, decoded, streamed, said = read_all_ways(path)
    assert why == MP3_IN_PART and info.num_frames == len(ffmpeg.stdout) // 4  # FFmpeg's whole decode
    assert len(decoded) == len(streamed) == info.num_frames and not [m for m in said if "decodes" in m]
