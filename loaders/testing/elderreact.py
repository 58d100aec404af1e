"""ElderReact with the real label files (1323 clips) and real-looking mp4 clips.

The three label files of the official release are package data (``data/elderreact/``); in full
size every listed clip exists, in small size a few lines of each file are kept (clips with no, one
and several emotions).  Clips are MP4 files made with the FFmpeg CLI: a tiny black video track and
the synthesised voice as stereo AAC, some with the ``moov`` box first (``+faststart``), some last.
Full size encodes one clip per (gender, first emotion) and hard-links the rest.

Layouts: ``beside`` (``Annotations/`` next to ``ElderReact_Data/``) and ``inside``
(``ElderReact_Data/Annotations/``; the returned root is then ``ElderReact_Data`` itself).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import soundfile

from ._common import FixtureWriter, _link

LAYOUTS = ("beside", "inside")
FOLDERS = {"train": "ElderReact_train", "dev": "ElderReact_dev", "test": "ElderReact_test"}
COLUMNS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
SAMPLE_RATE_HZ = 44100
# a tiny MPEG-4 video track and stereo AAC audio, byte-identical from run to run
ENCODE = "-c:v mpeg4 -c:a aac -ac 2 -shortest -fflags +bitexact -flags:v +bitexact -flags:a +bitexact".split()


def label_lines(name: str) -> list[str]:
    """The lines of the real ``<name>_labels.txt`` (name: train, dev or test)."""
    text = resources.files(__package__).joinpath("data", "elderreact", f"{name}_labels.txt").read_text("ascii")
    return text.splitlines()


def make(writer: FixtureWriter, *, bad: bool = False, layout: str = "beside") -> Path:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    top = writer.out_dir / "ElderReact"
    data = top / "ElderReact_Data"
    annotations = (data if layout == "inside" else top) / "Annotations"
    tables = {name: label_lines(name) if writer.full else _sample(label_lines(name), writer.scale) for name in FOLDERS}
    clips = {}  # mp4 path -> (gender, emotions)
    for name, lines in tables.items():
        for line in lines:
            fields = line.split()
            clips[data / FOLDERS[name] / fields[0]] = (fields[7], _emotions(fields))

    extra = {}
    if bad:
        tables["train"] += ["extra_clip_1.mp4 0 1 0 0 0 f 3.0", "extra_clip_2.mp4 0 2 0 0 0 0 m 4.0"]
        tables["dev"] += ["missing_clip_1.mp4 0 0 0 1 0 0 f 5.0"]  # listed, but no clip on disk
        extra = {
            data / FOLDERS["train"] / "extra_clip_1.mp4": ("f", ("disgust",)),
            data / FOLDERS["train"] / "extra_clip_2.mp4": ("m", ()),
            data / FOLDERS["test"] / "unlisted_clip_1.mp4": ("f", ("happiness",)),  # in no label file
        }
    _write_clips(writer, {**clips, **extra})

    for name, lines in tables.items():
        writer.text(annotations / f"{name}_labels.txt", "".join(line + "\n" for line in lines))
    writer.text(data / ".DS_Store", "\0\0\0\1Bud1")
    writer.not_audio(data / FOLDERS["train"] / f"._{next(iter(clips)).name}")  # macOS AppleDouble file
    if bad:
        listed = list(clips)
        # an interrupted download of a clip whose moov box comes last: no moov at all
        cut = next(p for p in listed if _moov_last(p))
        writer.truncate(cut, keep_bytes=cut.stat().st_size // 2)
        listed[-1].unlink()  # break a hard link (full size) before writing the stub
        writer.lfs_pointer(listed[-1])
    return data if layout == "inside" else top


def _moov_last(path: Path) -> bool:
    data = path.read_bytes()
    return data.find(b"moov") > data.find(b"mdat")


def _sample(lines: list[str], scale: int = 1) -> list[str]:
    """A few lines: the first ``scale`` clips with no emotion, with one, and with several (where present)."""
    picked: dict[int, list[str]] = {}
    for line in lines:
        kind = picked.setdefault(min(len(_emotions(line.split())), 2), [])
        if len(kind) < scale:
            kind.append(line)
    chosen = {line for kind in picked.values() for line in kind}
    return [line for line in lines if line in chosen]


def _emotions(fields: list[str]) -> tuple[str, ...]:
    return tuple(column for column, flag in zip(COLUMNS, fields[1:7]) if flag == "1")


def _write_clips(writer: FixtureWriter, clips: dict) -> None:
    """Encode the clips (full size: one per gender and first emotion, hard-linked to the rest)."""
    jobs = {}  # mp4 to encode -> (voice key, gender, emotions)
    links = {}
    for path, (gender, emotions) in clips.items():
        if writer.full:
            key = f"elderreact-{gender}-{emotions[0] if emotions else 'none'}"
            pooled = writer.pool_dir / f"{key}.mp4"
            jobs.setdefault(pooled, (key, gender, emotions))
            links[path] = pooled
        else:
            jobs[path] = (path.stem, gender, emotions)
    _encode(writer, {p: job for p, job in jobs.items() if not p.exists()})
    for path, pooled in links.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        _link(pooled, path)


def _encode(writer: FixtureWriter, jobs: dict) -> None:
    """Run FFmpeg, one process per CPU, each writing several outputs."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("the ElderReact fixture needs the `ffmpeg` CLI on PATH to write mp4 clips")
    duration_s = 0.5 if writer.full else 1.0
    batches = [[] for _ in range(min(os.cpu_count() or 1, len(jobs)))]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (path, (voice, gender, emotions)) in enumerate(sorted(jobs.items())):
            samples = writer.samples(
                speaker=voice,
                gender=gender,
                age_group="eld",
                language="eng",
                emotions=emotions,
                duration_s=duration_s,
                sample_rate_hz=SAMPLE_RATE_HZ,
            )
            wav = Path(tmp) / f"{i}.wav"
            soundfile.write(str(wav), samples, SAMPLE_RATE_HZ, subtype="PCM_16")
            path.parent.mkdir(parents=True, exist_ok=True)
            batches[i % len(batches)].append((wav, path, i % 2 == 1))
        procs = []
        for batch in batches:
            inputs = ["-f", "lavfi", "-i", "color=c=black:s=32x32:r=5"]
            outputs = []
            for n, (wav, path, faststart) in enumerate(batch, 1):
                inputs += ["-i", str(wav)]
                outputs += ["-map", "0:v", "-map", f"{n}:a", *ENCODE]
                outputs += ["-movflags", "+faststart", str(path)] if faststart else [str(path)]
            procs.append(
                subprocess.Popen([ffmpeg, "-nostdin", "-v", "error", "-y", *inputs, *outputs], stderr=subprocess.PIPE)
            )
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode:
                raise RuntimeError(f"ffmpeg failed to write the ElderReact fixture: {err.decode()[-500:]}")
