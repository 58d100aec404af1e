"""An MP4/M4A (AAC) clip decodes to the samples that were encoded: the encoder's priming at the start
and its padding at the end are cut, as the container's edit list or iTunSMPB tag says
(:mod:`loaders.mp4`, :mod:`loaders.ffmpeg`).  Every file here is a real encode by the ffmpeg CLI."""

from __future__ import annotations

import shutil
import struct
import subprocess

import numpy as np
import pytest
import soundfile

from bimotion.predict.audio import audio_blocks, find_audio
from loaders.audio import decode, probe

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg CLI not installed")


def clip(rate: int, frames: int, channels: int = 1) -> tuple[np.ndarray, int]:
    """Silence with one click a third in, then a quiet tone: (frames x channels, the click's frame)."""
    samples = np.zeros((frames, channels), np.float32)
    click = frames // 3
    samples[click + 50 :] = 0.05 * np.sin(2 * np.pi * 300 * np.arange(frames - click - 50) / rate)[:, None]
    samples[click] = 0.9
    return samples, click


def encode(tmp_path, samples: np.ndarray, rate: int, name: str, *flags: str, video: bool = False):
    wav = tmp_path / f"{name}.wav"
    soundfile.write(wav, samples, rate, subtype="FLOAT")
    out = tmp_path / name
    inputs = ["-f", "lavfi", "-i", "color=c=black:s=32x32:r=5", "-i", str(wav)] if video else ["-i", str(wav)]
    maps = ["-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-shortest"] if video else []
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, *maps, "-c:a", "aac", *flags, str(out)]
    subprocess.run(command, check=True)
    return out


def onset(samples: np.ndarray) -> int:
    return int(np.argmax(np.abs(samples)))


@pytest.mark.parametrize(
    "rate, frames, channels, name, flags, video",
    [
        (16000, 16000, 1, "a.m4a", (), False),
        (44100, 44101, 1, "b.m4a", ("-movflags", "+faststart"), False),
        (48000, 37333, 2, "c.mp4", (), False),
        (22050, 999, 1, "d.m4a", (), False),  # under one AAC frame past the priming
        (44100, 30000, 2, "e.mp4", (), True),  # ElderReact's kind: a video track beside the sound
    ],
)
def test_decoded_length_and_onset_are_the_encoded_ones(tmp_path, rate, frames, channels, name, flags, video):
    samples, click = clip(rate, frames, channels)
    path = encode(tmp_path, samples, rate, name, *flags, video=video)
    info = probe(path)
    assert (info.num_frames, info.delay_frames) == (frames, 1024)  # FFmpeg's AAC encoder primes 1024
    assert info.duration_s == frames / rate
    decoded, _ = decode(path, None)
    assert len(decoded) == frames and onset(decoded) == click  # before: 1024-frame blocks, padding kept
    at16k, _ = decode(path, 16000)
    assert abs(len(at16k) - frames * 16000 / rate) < 1  # FFmpeg's resampler rounds up
    assert abs(onset(at16k) - click * 16000 / rate) <= 1.5
    (source,), _ = find_audio([path])  # bimotion predict streams the same samples
    streamed = np.concatenate(list(audio_blocks(source, 16000, block_s=0.25)))
    np.testing.assert_array_equal(streamed, at16k)


def add_itunsmpb(path, delay: int, padding: int, frames: int) -> None:
    """iTunes' gapless tag (moov/udta/meta/ilst/----, as iTunes and phone apps write it) added to an
    MP4 whose moov box is its last one."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    data = bytearray(path.read_bytes())
    pos = moov = 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        moov = pos if kind == b"moov" else moov
        pos += size
    assert data[moov + 4 : moov + 8] == b"moov" and moov + struct.unpack(">I", data[moov : moov + 4])[0] == len(data)
    text = f" 00000000 {delay:08X} {padding:08X} {frames:016X} 00000000 00000000".encode()
    name = box(b"mean", bytes(4) + b"com.apple.iTunes") + box(b"name", bytes(4) + b"iTunSMPB")
    tag = box(b"----", name + box(b"data", struct.pack(">II", 1, 0) + text))
    handler = box(b"hdlr", bytes(8) + b"mdirappl" + bytes(9))
    udta = box(b"udta", box(b"meta", bytes(4) + handler + box(b"ilst", tag)))
    struct.pack_into(">I", data, moov, struct.unpack(">I", data[moov : moov + 4])[0] + len(udta))
    path.write_bytes(bytes(data + udta))


def test_itunsmpb_gives_the_length_where_there_is_no_edit_list(tmp_path):
    rate, frames = 44100, 40000
    samples, click = clip(rate, frames)
    bare = encode(tmp_path, samples, rate, "bare.m4a", "-use_editlist", "0")
    tagged = tmp_path / "tagged.m4a"
    shutil.copyfile(bare, tagged)
    padding = -(frames + 1024) % 1024
    add_itunsmpb(tagged, 1024, padding, frames)
    tags = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags=iTunSMPB", "-of", "csv=p=0", str(tagged)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert tags.stdout.split()[1:3] == ["00000400", f"{padding:08X}"]  # FFmpeg reads the tag too
    info = probe(tagged)
    assert (info.num_frames, info.delay_frames) == (frames, 1024)
    decoded, _ = decode(tagged, None)
    assert len(decoded) == frames and onset(decoded) == click  # FFmpeg's own skip of the priming is not doubled
    # with neither, nothing says where the recording starts: all of it is kept, to the track's end
    info = probe(bare)
    assert (info.num_frames, info.delay_frames) == (frames + 1024, 0)
    decoded, _ = decode(bare, None)
    assert len(decoded) == frames + 1024 and onset(decoded) == click + 1024


def test_the_cut_is_made_at_the_containers_rate_whatever_the_decoder_puts_out(tmp_path):
    """HE-AAC's SBR decodes at twice the rate its container declares, so frame counts at that rate
    cut a clip to half its length.  The trim is made at the container's rate (the decoded audio is
    resampled to it first; equal rates pass as they are): counts at half the decoder's rate, as an
    SBR stream's container gives them, cut the same stretch as the counts at its own rate."""
    from loaders.ffmpeg import ffmpeg_decode

    rate, frames = 44100, 44100
    samples, click = clip(rate, frames)
    path = encode(tmp_path, samples, rate, "sbr-like.m4a")
    info = probe(path)
    at_own_rate = ffmpeg_decode(path, rate, 1, trim=info.trim)
    half = (info.delay_frames // 2, (info.delay_frames + info.num_frames) // 2, rate // 2)
    at_half_rate = ffmpeg_decode(path, rate, 1, trim=half)
    assert len(at_own_rate) == frames and onset(at_own_rate) == click
    assert abs(len(at_half_rate) - frames) <= 2 and abs(onset(at_half_rate) - click) <= 2  # not half of it


PRE_SKIP = {  # file name: ffmpeg's flags
    "opus.mp4": ("-c:a", "libopus"),  # Opus in MP4 (48 kHz): its pre-skip is the edit list's media_time
    "opus.m4a": ("-c:a", "libopus", "-f", "mp4"),
    "opus.opus": ("-c:a", "libopus"),  # Ogg Opus: libsndfile cuts the pre-skip (OpusHead), at the source's rate
    "vorbis.ogg": ("-c:a", "libvorbis"),
}


@pytest.mark.parametrize("rate", [16000, 44100])
@pytest.mark.parametrize("name", PRE_SKIP)
def test_opus_and_vorbis_decode_to_the_encoded_length_and_onset(tmp_path, name, rate):
    """Codecs whose decoder's first samples are no audio (Opus's pre-skip, 312 samples from libopus;
    Vorbis's first block), in MP4 or Ogg: decoded at the encoded length, starting where the source did
    (checked when they were added: no fix was needed; WebM is refused by name, tests/test_audio.py)."""
    flags = PRE_SKIP[name]
    frames = rate + 77
    samples, click = clip(rate, frames)
    wav = tmp_path / "source.wav"
    soundfile.write(wav, samples, rate, subtype="FLOAT")
    path = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *flags, str(path)], check=True)
    info = probe(path)
    own = info.sample_rate_hz  # libopus encodes at 48 kHz; Ogg Opus declares the source's rate where Opus has it
    assert own in (rate, 48000) and info.num_frames == round(frames * own / rate)
    decoded, _ = decode(path, 16000)
    assert abs(len(decoded) - frames * 16000 / rate) <= 1 and abs(onset(decoded) - click * 16000 / rate) <= 2
    (source,), _ = find_audio([path])
    assert abs(sum(len(block) for block in audio_blocks(source, 16000, block_s=0.25)) - len(decoded)) <= 1


def ffmpeg_has(encoder: str) -> bool:
    encoders = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return any(line.split()[1:2] == [encoder] for line in encoders.splitlines() if line.strip())


def encode_with(tmp_path, rate: int, frames: int, channels: int, name: str, *flags: str):
    samples, click = clip(rate, frames, channels)
    wav = tmp_path / f"{name}.wav"
    soundfile.write(wav, samples, rate, subtype="FLOAT")
    path = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *flags, str(path)], check=True)
    return path


def decoded_and_streamed(path, rate_hz: int | None) -> tuple:
    """``(probe, decode's samples, predict's streamed samples, the warnings' messages)`` at ``rate_hz``."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = probe(path)
        decoded, _ = decode(path, rate_hz)
        (source,), _ = find_audio([path])
        streamed = np.concatenate(list(audio_blocks(source, rate_hz or info.sample_rate_hz, block_s=0.25)))
    return info, decoded, streamed, [str(w.message) for w in caught]


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
@pytest.mark.parametrize("codec", ["aac", "libopus", "alac"])
def test_clean_mp4s_decode_to_their_declared_length_without_a_word(tmp_path, codec, rate):
    """An MP4's decode is held to the length its container declares (below): a clean encode, of any
    codec, rate or number of channels, is that long already, so nothing is cut or added and nothing is
    said (checked at 5 rates x mono/stereo x AAC, Opus, ALAC, FLAC, MP3 in MP4 when it was added)."""
    if not ffmpeg_has(codec):
        pytest.skip(f"ffmpeg has no {codec} encoder")
    channels = 2 if rate in (22050, 48000) else 1
    path = encode_with(tmp_path, rate, rate + 77, channels, "clean.mp4", "-c:a", codec)
    for rate_hz in (None, 16000):
        info, decoded, streamed, said = decoded_and_streamed(path, rate_hz)
        assert (
            len(decoded)
            == len(streamed)
            == round(info.num_frames * (rate_hz or info.sample_rate_hz) / info.sample_rate_hz)
        )
        assert [m for m in said if "decodes" in m] == []  # (a codec's overshoot of the click may clip: said)


def test_an_mp4_whose_codec_decodes_short_is_held_to_its_declared_length_with_a_warning(tmp_path):
    """Vorbis in MP4: FFmpeg's decode of it stops 141 samples short of the length the container
    declares (7936 of 8077 at 8 kHz), and was stored, and streamed, at that length without a word, as
    MP3s once were.  It is now held to the declared length as an MP3 is to its frames' count (silence
    added at the end), with a warning naming the file."""
    if not ffmpeg_has("libvorbis"):
        pytest.skip("ffmpeg has no libvorbis encoder")
    path = encode_with(tmp_path, 8000, 8077, 1, "vorbis.mp4", "-c:a", "libvorbis", "-strict", "-2")
    info, decoded, streamed, said = decoded_and_streamed(path, None)
    assert len(decoded) == len(streamed) == info.num_frames == 8077
    held = [m for m in said if m.startswith(f"{path}: FFmpeg decodes 7936 samples of it at 8000 Hz where its MP4 ")]
    assert len(held) == 2 and "container declares 8077: 141 samples of silence added at its end" in held[0]
    assert not decoded[7936:].any()


def open_ended(path, keep: float = 1.0) -> None:
    """``path`` with its 'mdat' box's size 0 (it runs to the file's end, as a recorder writes it before
    it knows the size), then cut to ``keep`` of its bytes."""
    data = bytearray(path.read_bytes())
    pos = 0
    while data[pos + 4 : pos + 8] != b"mdat":
        pos += struct.unpack(">I", data[pos : pos + 4])[0]
    assert pos + struct.unpack(">I", data[pos : pos + 4])[0] == len(data)  # the last box (faststart)
    struct.pack_into(">I", data, pos, 0)
    path.write_bytes(bytes(data[: round(len(data) * keep)]))


def outcomes(path) -> list:
    """The reason (or None) of each way a file is read: probe, decode, predict's stream."""
    from loaders.errors import BadFileError

    found = []
    for read in (
        lambda: probe(path),
        lambda: decode(path, 16000),
        lambda: sum(len(block) for block in audio_blocks(find_audio([path])[0][0], 16000, block_s=0.25)),
    ):
        try:
            read()
            found.append(None)
        except BadFileError as err:
            found.append((err.reason, err.message))
    return found


def test_an_mp4_cut_off_behind_an_open_ended_mdat_is_truncated(tmp_path):
    """An 'mdat' box whose size is 0 runs to the file's end, so a copy cut short looks whole to the
    container: FFmpeg decoded the packets that were left (1.28 s of 2 s), once stored as the clip, then
    refused as ``corrupt`` ("packets that do not decode"), where a WAV, FLAC or MP3 cut short, or an
    MP4 whose boxes reach past its end, is ``truncated``.  The sound track's sample table says where
    its last packet ends: past the file's end, the file is truncated, read by any path."""
    path = encode(tmp_path, clip(44100, 88200)[0], 44100, "open.m4a", "-movflags", "+faststart")
    open_ended(path, 2 / 3)
    message = "MP4 file is shorter than its sample table declares: its last audio packet ends"
    assert [reason for reason, _ in outcomes(path)] == ["truncated"] * 3
    assert all(said.startswith(message) for _, said in outcomes(path))
    whole = encode(tmp_path, clip(44100, 88200)[0], 44100, "whole.m4a", "-movflags", "+faststart")
    open_ended(whole)  # as long as its last packet: whole
    assert outcomes(whole) == [None] * 3 and probe(whole).num_frames == 88200
    open_ended(cut := encode(tmp_path, clip(44100, 88200)[0], 44100, "cut.m4a", "-movflags", "+faststart"))
    cut.write_bytes(cut.read_bytes()[:-1])  # one byte of the last packet
    assert [reason for reason, _ in outcomes(cut)] == ["truncated"] * 3


def test_an_open_ended_video_whose_sound_is_whole_is_read_and_junk_is_corrupt(tmp_path):
    """Cut within the video's last packet, after the sound's (ElderReact's kind: video and sound), the
    audio is whole; an MP4 as long as its boxes whose packets are junk is ``corrupt``, not truncated."""
    path = encode(tmp_path, clip(44100, 44100)[0], 44100, "v.mp4", "-movflags", "+faststart", video=True)
    open_ended(path)
    data = path.read_bytes()
    path.write_bytes(data[:-4])  # FFmpeg's last packet here is the video's (its sound's ends 12 bytes before)
    assert outcomes(path) == [None] * 3
    junk = encode(tmp_path, clip(44100, 88200)[0], 44100, "junk.m4a", "-movflags", "+faststart")
    data = bytearray(junk.read_bytes())
    half = len(data) // 2
    data[half:-16] = np.random.default_rng(0).integers(0, 256, len(data) - half - 16, np.uint8).tobytes()
    junk.write_bytes(bytes(data))  # as long as before: nothing cut
    assert [None if o is None else o[0] for o in outcomes(junk)] == [None, "corrupt", "corrupt"]
