"""`bimotion predict` on long recordings: peak memory does not grow with the length; real-time factor on CPU.

    python bench/bench_predict.py                               # 1 and 10 min, WAV/MP3/M4A, tiny model
    python bench/bench_predict.py --minutes 1 10 60 --formats mp3
    python bench/bench_predict.py --size xlsr53 --minutes 1 --formats wav   # XLSR-53-size model (random)
    python bench/bench_predict.py --model results/eng_eld       # a real checkpoint
    python bench/bench_predict.py --clips 1000                  # 1000 clips of 1-3 s, padded batches or not
    python bench/bench_predict.py --size base --minutes 1 --formats wav --unpadded   # a model that hears padding
    python bench/bench_predict.py --size base --clips 100 --unpadded

For each length a recording is generated: speech-like clips (:mod:`loaders.testing.synth`, 2-4 s,
six emotions, two voices) separated by 0.3-1.5 s pauses with room noise, 44.1 kHz stereo (so every
block is mixed down and resampled to 16 kHz), written block by block as WAV, then MP3 (libsndfile)
and AAC in M4A (FFmpeg).  Each (format, length) is predicted in a fresh process
(:func:`bimotion.predict.predict_files`, 4 s windows every 2 s, batches of 8, ``--threads`` torch
threads) that reports its peak RSS (``getrusage`` maxrss), its RSS after loading the model and
before decoding (the baseline), wall and CPU seconds, the wall seconds until its first row
(``first_row_s``: a file is measured by a first decode, then its rows come as they are scored), and the
real-time factor (wall seconds per second of audio; CPU seconds per second of audio, which a busy
machine does not inflate).  For
comparison, decoding the whole 10-minute recording at once would hold 212 MB (44.1 kHz stereo
float32) plus 38 MB at 16 kHz.

``--clips N``: a folder of N 16 kHz clips of 1-3 s, each its own length, predicted in fresh
processes alternately with batches as long as their longest clip (``Predictor.pad_to_multiple_of
= 1``, the way before) and padded to 0.5 s (now): peak RSS, wall and CPU seconds of each.

``--unpadded``: the cost of scoring a model that hears padding (a group-norm feature encoder, as
wav2vec2-base, or no attention mask), whose windows of each length run together, unpadded, against
the same model masked and padded to 0.5 s, the baseline, in fresh processes alternated in the same
session (the same weights, its feature extractor told to return no attention mask: the same
computation as a group-norm encoder's); last, the ratios of the medians (unpadded / padded).
``--size base`` is wav2vec2-base's size (12 layers of 768).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RATE_HZ = 44100
EMOTIONS = ("neutral", "happiness", "sadness", "anger", "fear", "surprise")


def write_recording(path: Path, minutes: float, seed: int = 0) -> Path:
    """A ``minutes``-long 44.1 kHz stereo WAV of clips and pauses, written without holding it whole."""
    import soundfile

    from loaders.testing.synth import make_voice, synthesize

    rng = np.random.default_rng(seed)
    voices = [make_voice("bench-f", "f", "eld"), make_voice("bench-m", "m", "eld")]
    pool = [
        synthesize((emotion,), voice, "eng", duration_s=float(rng.uniform(2, 4)), sample_rate_hz=RATE_HZ, rng=rng)
        for emotion in EMOTIONS
        for voice in voices
    ]
    total = int(minutes * 60 * RATE_HZ)
    written = 0
    with soundfile.SoundFile(str(path), "w", RATE_HZ, 2, "PCM_16") as f:
        while written < total:
            clip = 0.5 * pool[int(rng.integers(len(pool)))]
            pause = rng.normal(0, 1e-3, int(rng.uniform(0.3, 1.5) * RATE_HZ))
            block = np.concatenate([clip, pause])[: total - written].astype(np.float32)
            f.write(np.stack([block, 0.8 * block], 1))
            written += len(block)
    return path


def convert(wav: Path, fmt: str) -> Path:
    """The WAV as MP3 (libsndfile, streamed) or as AAC in M4A (FFmpeg)."""
    import soundfile

    out = wav.with_suffix(f".{fmt}")
    if fmt == "mp3":
        with soundfile.SoundFile(str(wav)) as src, soundfile.SoundFile(str(out), "w", RATE_HZ, 2, format="MP3") as dst:
            for block in src.blocks(RATE_HZ * 10, dtype="float32"):
                dst.write(block)
    elif fmt == "m4a":
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "96k", str(out)],
                       check=True)  # fmt: skip
    return out


# XLSR-53's architecture (wav2vec2 large: 24 layers of 1024, 315M parameters), randomly initialised
XLSR53_SIZE = dict(
    hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
    conv_dim=(512,) * 7, conv_stride=(5, 2, 2, 2, 2, 2, 2), conv_kernel=(10, 3, 3, 3, 3, 2, 2),
    num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16, initializer_range=0.02,
)  # fmt: skip


# wav2vec2-base's size (12 layers of 768, 95M parameters; its feature encoder as XLSR-53's), randomly initialised
BASE_SIZE = {
    **XLSR53_SIZE,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
}
SIZES = {"tiny": {}, "base": BASE_SIZE, "xlsr53": XLSR53_SIZE}


def random_model(path: Path, size: str) -> Path:
    """A random checkpoint in our layout (13 labels, three of them trained): ``tiny``
    (:func:`bimotion.training.testing.save_tiny_model`), ``base`` (wav2vec2-base's size) or
    ``xlsr53`` (the paper's model's size)."""
    from bimotion.training import testing
    from bimotion.training.model import build_model, suppress_untrained

    overrides = SIZES[size]
    encoder = testing.save_tiny_model(path / "encoder", **overrides)
    model, fe = build_model(str(encoder), classifier_proj_size=256 if overrides else 16)
    model.config.trained_labels = ["neutral", "positive", "negative"]
    suppress_untrained(model)
    model.save_pretrained(path / "model")
    fe.save_pretrained(path / "model")
    return path / "model"


def write_clips(folder: Path, count: int, seed: int = 0) -> Path:
    """``count`` 16 kHz WAV clips of 1-3 s (each its own length, as a device's recordings are)."""
    import soundfile

    from loaders.testing.synth import make_voice, synthesize

    rng = np.random.default_rng(seed)
    voice = make_voice("bench-clips", "f", "eld")
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        emotion = EMOTIONS[i % len(EMOTIONS)]
        clip = synthesize((emotion,), voice, "eng", duration_s=float(rng.uniform(1, 3)), sample_rate_hz=16000, rng=rng)
        soundfile.write(folder / f"clip{i:05d}.wav", 0.5 * clip, 16000)
    return folder


def child(model: str, audio: str, threads: int, pad: str = "default") -> dict:
    """Run in a fresh process: predict every window of ``audio`` and measure; ``pad="none"`` scores
    each batch at its longest clip's length (the way before batches were padded to 0.5 s);
    ``pad="unpadded"`` scores the model as one that hears padding (no attention mask): the windows
    of each length together, unpadded."""
    import torch

    from bimotion.predict import PredictReport, load_predictor, predict_files

    torch.set_num_threads(threads)
    predictor = load_predictor(model)
    if pad == "none":
        predictor.pad_to_multiple_of = 1
    elif pad == "unpadded":
        predictor.feature_extractor.return_attention_mask = False
        if predictor.padding_unheard:
            raise SystemExit(f"{model} still hears no padding without an attention mask: nothing to compare")
    baseline_mb = _rss_now_mb()
    report = PredictReport()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rows = predict_files(predictor, [audio], progress=False, report=report)
    windows = 1 if next(rows, None) is not None else 0
    first_row_s = time.perf_counter() - wall0
    windows += sum(1 for _ in rows)
    wall_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "windows": windows,
        "first_row_s": round(first_row_s, 2),
        "audio_s": round(report.audio_s, 1),
        "rss_after_load_mb": round(baseline_mb),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "wall_s": round(wall_s, 1),
        "cpu_s": round(cpu_s, 1),
        "rtf_wall": round(wall_s / report.audio_s, 4),
        "rtf_cpu": round(cpu_s / report.audio_s, 4),
    }


def _rss_now_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--formats", nargs="+", choices=["wav", "mp3", "m4a"], default=["wav", "mp3", "m4a"])
    parser.add_argument("--model", default=None, help="a checkpoint folder (default: a random one of --size)")
    parser.add_argument("--size", choices=list(SIZES), default="tiny", help="the random model's size")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in each measured process")
    parser.add_argument("--clips", type=int, default=0,
                        help="instead: a folder of this many 1-3 s clips, batches padded to 0.5 s against unpadded")  # fmt: skip
    parser.add_argument("--unpadded", action="store_true",
                        help="a model that hears padding (scored unpadded) against the same one padded and masked")  # fmt: skip
    parser.add_argument("--child", nargs=3, metavar=("MODEL", "AUDIO", "PAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child[:2], args.threads, args.child[2])))
        return
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(args.threads)}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
        work = Path(tmp)
        model = args.model or str(random_model(work, args.size))
        pads = ("default", "unpadded") if args.unpadded else ("none", "default")
        if args.clips:
            folder = write_clips(work / "clips", args.clips)
            _compare(model, folder, args.threads, pads, env, {"clips": args.clips})
            return
        for minutes in args.minutes:
            wav = write_recording(work / f"rec_{minutes:g}min.wav", minutes)
            for fmt in args.formats:
                audio = wav if fmt == "wav" else convert(wav, fmt)
                label = {"format": fmt, "minutes": minutes, "mb_on_disk": round(audio.stat().st_size / 1e6, 1)}
                if args.unpadded:
                    _compare(model, audio, args.threads, pads, env, label)
                    continue
                print(json.dumps({**label, **_measure(model, audio, args.threads, "default", env)}), flush=True)


def _compare(model: str, audio: Path, threads: int, pads: tuple[str, str], env: dict, label: dict) -> None:
    """Each of ``pads`` twice, alternated (a busy machine slows both alike), then, for
    ``--unpadded``, the ratios of the second's medians to the first's (the baseline)."""
    runs: dict[str, list[dict]] = {pad: [] for pad in pads}
    for pad in pads * 2:
        runs[pad].append(result := _measure(model, audio, threads, pad, env))
        print(json.dumps({**label, "padding": pad, **result}), flush=True)
    if pads[1] == "unpadded":
        ratios = {
            f"{key}_ratio": round(float(np.median([r[key] for r in runs["unpadded"]]))
                                  / max(float(np.median([r[key] for r in runs["default"]])), 1e-9), 2)
            for key in ("wall_s", "cpu_s", "peak_rss_mb")
        }  # fmt: skip
        print(json.dumps({**label, "unpadded_over_padded": ratios}), flush=True)


def _measure(model: str, audio: Path, threads: int, pad: str, env: dict) -> dict:
    """:func:`child`'s measures, from a fresh process."""
    cmd = [sys.executable, __file__, "--threads", str(threads), "--child", model, str(audio), pad]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
