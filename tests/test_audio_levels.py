"""Stored audio keeps its source's duration and level, whatever the source's sample format, and
`bimotion check` notices a stored clip that is silent or far quieter than its source."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile

from bimotion.cli import main
from bimotion.features import SAMPLE_RATE_HZ, decode_audio_bytes
from bimotion.prepare import prepare, write_dataset
from bimotion.registry import BENCHMARKS
from bimotion.verify import verify as check
from loaders import BadFileError, Utterance, testing
from loaders.audio import decode, probe
from loaders.labels import label_space
from loaders.levels import ClippedAudioWarning
from loaders.testing import FixtureWriter
from loaders.testing._common import AUDIO_FORMATS

RATES_HZ = (22050, 16000, 44100)  # most sources are resampled; some are stored at their own rate
DURATION_S = 0.5  # every fixture format is written this long


def _format_id(fmt) -> str:
    return "-".join(fmt).lower()


def _reference(path: Path, container: str) -> tuple[np.ndarray, int]:
    """A float decode of the source that shares no code with loaders.audio.decode (for MP4, FFmpeg's
    own: it skips the AAC encoder's priming but keeps its padding, which is cut off here)."""
    if container == "MP4":
        out = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"], check=True, capture_output=True
        ).stdout
        rate = probe(path).sample_rate_hz
        return np.frombuffer(out, dtype=np.float32).astype(np.float64)[: round(DURATION_S * rate)], rate
    return soundfile.read(str(path), dtype="float64")


def _rms_db(samples: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(samples.astype(np.float64))))


def _stored_rows(out: Path) -> dict[str, bytes]:
    rows = {}
    for path in sorted((out / "data").rglob("*.parquet")):
        table = pq.read_table(path, columns=["id", "audio"])
        for row_id, audio in zip(table.column("id").to_pylist(), table.column("audio").to_pylist()):
            rows[row_id] = audio["bytes"]
    return rows


@pytest.fixture(scope="module")
def formats_prepared(tmp_path_factory) -> tuple[Path, dict[str, tuple[Path, str]]]:
    """One fixture clip per sample format the generator writes, prepared through `write_dataset`."""
    base = tmp_path_factory.mktemp("formats")
    writer = FixtureWriter(base / "raw", seed=3)
    records, sources = [], {}
    for i, (container, subtype) in enumerate(AUDIO_FORMATS):
        if container == "MP4" and shutil.which("ffmpeg") is None:
            continue
        name = _format_id((container, subtype))
        rate = RATES_HZ[i % len(RATES_HZ)]
        path = writer.audio(
            base / "raw" / f"{name}.{'mp4' if container == 'MP4' else 'wav'}",  # AIFF/FLAC behind .wav, as in corpora
            speaker=f"S{i % 2}",
            gender="f",
            age_group="adu",
            language="eng",
            emotions=("anger",),
            sample_rate_hz=rate,
            subtype=subtype,
            container=container,
            duration_s=DURATION_S,
        )
        records.append(
            Utterance(
                id=f"tess/{name}",
                corpus="tess",
                path=str(path),
                language="eng",
                age_group="adu",
                emotions=("anger",),
                label_space=label_space("tess"),
                duration_s=DURATION_S,
                sample_rate_hz=rate,
                speaker_id=f"S{i % 2}",
                gender="f",
                text=name,
            )
        )
        sources[f"tess/{name}"] = (path, container)
    out = base / "prepared"
    write_dataset(records, out, benchmark=BENCHMARKS["bimotion"], corpora=["tess"], progress=False)
    return out, sources


@pytest.mark.parametrize("fmt", AUDIO_FORMATS, ids=_format_id)
def test_every_fixture_format_is_stored_at_its_source_duration_and_level(formats_prepared, fmt):
    if fmt[0] == "MP4" and shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg CLI not installed")
    out, sources = formats_prepared
    row_id = f"tess/{_format_id(fmt)}"
    source, container = sources[row_id]
    stored, rate = decode_audio_bytes(_stored_rows(out)[row_id])
    expected, source_rate = _reference(source, container)
    assert rate == SAMPLE_RATE_HZ
    assert len(stored) / rate == pytest.approx(len(expected) / source_rate, abs=0.010)
    assert abs(len(stored) - DURATION_S * rate) <= 1  # as long as the clip written (an MP4's padding is cut)
    assert _rms_db(stored) == pytest.approx(_rms_db(expected), abs=1.0)
    assert np.max(np.abs(stored)) == pytest.approx(np.max(np.abs(expected)), rel=0.15)  # a float file is not silent


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
def test_float_sources_beyond_full_scale_clip_and_never_wrap(tmp_path, subtype):
    t = np.arange(SAMPLE_RATE_HZ // 4) / SAMPLE_RATE_HZ
    loud = 3.0 * np.sin(2 * np.pi * 200 * t)  # peaks at +-3.0: three times full scale
    path = tmp_path / "loud.wav"
    soundfile.write(path, loud, SAMPLE_RATE_HZ, subtype=subtype)
    with pytest.warns(ClippedAudioWarning, match="loud.wav"):
        as_int, _ = decode(path, SAMPLE_RATE_HZ, dtype="int16")
    with pytest.warns(ClippedAudioWarning):
        as_float, _ = decode(path, SAMPLE_RATE_HZ)
    clipped = np.clip(loud, -1, 1)
    assert np.max(np.abs(as_float - clipped)) < 1e-6
    assert np.max(np.abs(as_int / 32768.0 - clipped)) <= 1 / 32768
    assert as_int[loud > 1].min() == 32767 and as_int[loud < -1].max() == -32768  # same sign as the source


def test_quiet_float_source_keeps_its_level_as_int16(tmp_path):
    """The old decoder truncated float samples to int16 and stored this clip as silence."""
    t = np.arange(SAMPLE_RATE_HZ // 4) / SAMPLE_RATE_HZ
    quiet = 0.22 * np.sin(2 * np.pi * 300 * t)
    soundfile.write(tmp_path / "q.wav", quiet, 48000, subtype="FLOAT")
    as_int, _ = decode(tmp_path / "q.wav", SAMPLE_RATE_HZ, dtype="int16")
    assert np.max(np.abs(as_int)) / 32768 == pytest.approx(0.22, rel=0.02)


def test_non_finite_float_source_is_a_bad_file(tmp_path):
    samples = np.zeros(1600, dtype=np.float32)
    samples[100] = np.nan
    soundfile.write(tmp_path / "nan.wav", samples, SAMPLE_RATE_HZ, subtype="FLOAT")
    with pytest.raises(BadFileError, match="NaN") as info:
        decode(tmp_path / "nan.wav", dtype="int16")
    assert str(tmp_path / "nan.wav") in str(info.value)


def test_fixture_writer_refuses_a_format_it_does_not_write(tmp_path):
    with pytest.raises(ValueError, match="GSM610"):
        FixtureWriter(tmp_path).audio(
            tmp_path / "x.wav",
            speaker="a",
            gender="f",
            age_group="adu",
            language="eng",
            emotions=(),
            subtype="GSM610",
        )


# ------------------------------------------------------------------------------------- check


@pytest.fixture(scope="module")
def tess_prepared(tmp_path_factory) -> tuple[Path, Path]:
    """The TESS fixture (which holds a 32-bit float clip, OAF_bar_sad) and its prepared folder."""
    base = tmp_path_factory.mktemp("tess")
    raw = testing.make_corpus("tess", base / "raw")
    return raw, prepare({"tess": raw}, base / "prepared", progress=False).out_dir


def _replace_audio(out: Path, row_id: str, change) -> None:
    """Rewrite one stored clip as ``change(float samples)``, encoded as the prepare encodes."""
    from bimotion.features import encode_audio
    from bimotion.training.testing import rewrite_parquet

    for path in (out / "data").rglob("*.parquet"):
        table = pq.read_table(path)
        rows = table.to_pylist()
        for row in rows:
            if row["id"] == row_id:
                samples, _ = decode_audio_bytes(row["audio"]["bytes"])
                row["audio"]["bytes"] = encode_audio(change(samples).astype(np.float32))
                rewrite_parquet(out, path, pa.Table.from_pylist(rows, schema=table.schema))
                return
    raise AssertionError(f"{row_id} not found in {out}")


def test_prepared_float_clip_is_not_silent_and_check_passes(tess_prepared):
    raw, out = tess_prepared
    stored, _ = decode_audio_bytes(_stored_rows(out)["tess/OAF_bar_sad"])
    source, _ = soundfile.read(raw / "OAF_bar_sad.wav", dtype="float64")
    assert _rms_db(stored) == pytest.approx(_rms_db(source), abs=1.0)
    result = check(out, sources={"tess": raw})
    assert result["problems"] == [] and result["silent"] == []
    assert result["compared_with_source"] == result["rows"] > 0


def test_check_flags_a_silent_stored_clip(tess_prepared, tmp_path, capsys):
    _, prepared = tess_prepared
    out = Path(shutil.copytree(prepared, tmp_path / "copy"))
    one_lsb = 1 / 32768
    _replace_audio(out, "tess/OAF_bar_sad", lambda s: np.where(s > 0, one_lsb, -one_lsb) * (np.abs(s) > 0.05))
    result = check(out)
    assert result["silent"] == ["tess/OAF_bar_sad"]
    assert any(p.startswith("tess/OAF_bar_sad: stored audio is silent") for p in result["problems"])
    assert main(["check", str(out)]) == 1
    assert "tess/OAF_bar_sad: stored audio is silent" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:.*channels cancel when mixed to mono")  # the stereo case: warned, then refused
@pytest.mark.parametrize("kind", ["digital silence", "one-step dither", "silent stereo", "a constant offset"])
def test_prepare_refuses_to_store_a_silent_clip_and_skip_bad_counts_it(kind, tmp_path):
    """A silent source file (all zeros, one 16-bit step of dither, two channels that cancel, a constant)
    is a bad file naming itself, not a stored clip that `bimotion check` fails later; with
    --skip-bad it is counted as `silent`.  A quiet but audible clip (-60 dBFS) is stored."""
    raw = testing.make_corpus("tess", tmp_path / "raw")
    target = raw / "OAF_back_angry.wav"
    samples, rate = soundfile.read(target, dtype="float64")
    if kind == "digital silence":
        soundfile.write(target, np.zeros_like(samples), rate, subtype="PCM_16")
    elif kind == "one-step dither":
        soundfile.write(target, np.sign(samples) / 32768, rate, subtype="PCM_16")
    elif (
        kind == "a constant offset"
    ):  # nothing to hear at -10 dBFS (TESS is 24,414 Hz: resampled, it rings at the ends)
        soundfile.write(target, np.full_like(samples, 0.3), rate, subtype="PCM_16")
    else:
        soundfile.write(target, np.stack([samples, -samples], 1), rate, subtype="PCM_16")
    quiet = raw / "OAF_base_fear.wav"
    loud, quiet_rate = soundfile.read(quiet, dtype="float64")
    soundfile.write(quiet, loud / np.max(np.abs(loud)) * 1e-3, quiet_rate, subtype="PCM_16")
    with pytest.raises(BadFileError, match="OAF_back_angry.wav: the audio is silent") as err:
        prepare({"tess": raw}, tmp_path / "strict", progress=False)
    assert err.value.reason == "silent" and "skip_bad=True" in str(err.value)  # a Python caller's words
    result = prepare({"tess": raw}, tmp_path / "lenient", skip_bad=True, progress=False)
    assert dict(result.report.counts) == {("tess", "silent"): 1}
    stored = _stored_rows(result.out_dir)
    assert "tess/OAF_back_angry" not in stored and "tess/OAF_base_fear" in stored
    assert check(result.out_dir)["silent"] == []


def test_a_releases_known_bad_clip_that_is_silent_is_a_counted_skip(tmp_path):
    """CREMA-D's 1076_MTI_SAD_XX.wav is near-silent in the release; were a copy digital silence, the
    run does not stop on it (the reader knows it): it is skipped and counted."""
    raw = testing.make_corpus("crema_d", tmp_path / "raw")
    known = next(raw.rglob("1076_MTI_SAD_XX.wav"))
    soundfile.write(known, np.zeros(3200), 16000, subtype="PCM_16")
    result = prepare({"crema_d": raw}, tmp_path / "out", progress=False)
    assert dict(result.report.counts) == {("crema_d", "silent"): 1}
    assert "crema_d/1076_MTI_SAD_XX" not in _stored_rows(result.out_dir)


def test_the_command_line_prints_a_warning_about_a_file_as_one_line(tmp_path, capsys):
    """A clipped float file is warned about as `warning: FILE: ...`, not as Python's two-line warning
    with the library's source path and line."""
    raw = testing.make_corpus("tess", tmp_path / "raw")
    target = raw / "OAF_back_angry.wav"
    samples, rate = soundfile.read(target, dtype="float64")
    soundfile.write(target, samples / np.max(np.abs(samples)) * 1.5, rate, subtype="FLOAT")
    out = str(tmp_path / "out")
    assert main(["prepare", "--source", f"tess={raw}", "--output", out, "-q", "--num-proc", "1"]) == 0  # capsys
    err = capsys.readouterr().err.splitlines()
    warned = [line for line in err if "OAF_back_angry.wav" in line]
    assert warned and all(line.startswith("warning: ") and "clipped to [-1, 1]" in line for line in warned), err
    assert not any("Warning" in line or "warnings.warn" in line for line in err), err


def test_check_with_source_flags_a_clip_far_quieter_than_its_source(tess_prepared, tmp_path, capsys):
    raw, prepared = tess_prepared
    out = Path(shutil.copytree(prepared, tmp_path / "copy"))
    _replace_audio(out, "tess/YAF_base_fear", lambda s: s * 0.05)  # -26 dB: quiet, but not silent
    assert check(out)["problems"] == []  # the stored clip alone looks plausible
    result = check(out, sources={"tess": raw})
    assert len(result["problems"]) == 1 and result["problems"][0].startswith("tess/YAF_base_fear: stored audio is at")
    assert main(["check", str(out), "--source", f"tess={raw}"]) == 1
    out_text = capsys.readouterr().out
    assert "YAF_base_fear.wav at" in out_text and "is --source the copy it was prepared from?" in out_text


def test_check_refuses_source_comparison_without_audio(tess_prepared, capsys):
    raw, out = tess_prepared
    assert main(["check", str(out), "--no-audio", "--source", f"tess={raw}"]) == 2
    assert "drop --no-audio" in capsys.readouterr().err


@pytest.mark.parametrize(("channels", "live"), [(2, (0,)), (2, (1,)), (6, (2,)), (6, (0, 1)), (2, (0, 1))])
def test_a_silent_channel_does_not_lower_the_mono_level(tmp_path, channels, live):
    """A stereo file with a dead channel was stored 6.0 dB down, a 5.1 file with speech in its centre
    channel 15.6 dB down, without a word."""
    from loaders.audio import decode

    tone = 0.65 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)
    frames = np.zeros((16000, channels))
    frames[:, list(live)] = tone[:, None]
    soundfile.write(tmp_path / "x.wav", frames, 16000, subtype="PCM_16")
    mono, _ = decode(tmp_path / "x.wav")
    assert 20 * np.log10(np.abs(mono).max() / 0.65) == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_channel_with_nan_or_inf_is_a_bad_file_not_a_silent_channel(tmp_path, bad):
    """Its peak read as -inf, so the downmix left it out and stored the other channel without a word."""
    from loaders.audio import decode
    from loaders.errors import BadFileError

    frames = np.stack([0.5 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)] * 2, axis=1).astype(np.float32)
    frames[8000, 1] = bad
    soundfile.write(tmp_path / "x.wav", frames, 16000, subtype="FLOAT")
    with pytest.raises(BadFileError, match="NaN or infinite"):
        decode(tmp_path / "x.wav")
