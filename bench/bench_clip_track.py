"""The cost of placing a file's clipping per window (`bimotion predict`'s ``clipped`` column) in its measuring decode.

    python bench/bench_clip_track.py                 # 2 min, 44.1 kHz stereo PCM_16: clean and clipped throughout
    python bench/bench_clip_track.py --minutes 10 --repeats 5

A recording is generated twice (a 220 Hz tone with a 3 Hz tremolo: at a sane level, and 6x louder, so
every cycle is hard-clipped, the worst case), and each is decoded as predict's first, measuring, decode
does (:func:`bimotion.predict.audio.audio_blocks` to 16 kHz) with the file's clipping measured by a
:class:`loaders.levels.ClipMeter` (the file's fraction only: the baseline) and by a
:class:`bimotion.predict.clipping.ClipTrack` (the same meter, its count kept every 20 ms), alternately
in the same process; the medians' ratio (track / meter) is printed per recording.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

RATE_HZ = 44100


def write(path: Path, minutes: float, gain: float) -> Path:
    t = np.arange(int(minutes * 60 * RATE_HZ)) / RATE_HZ
    speech = 0.3 * gain * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    samples = np.clip(np.round(speech * 32768), -32768, 32767).astype(np.int16)
    soundfile.write(path, np.stack([samples, samples // 2], 1), RATE_HZ, subtype="PCM_16")
    return path


def decode_s(path: Path, meter) -> float:
    from bimotion.predict.audio import audio_blocks, find_audio

    source = find_audio([path])[0][0]
    started = time.perf_counter()
    for _ in audio_blocks(source, 16000, meter=meter):
        pass
    return time.perf_counter() - started


def main() -> None:
    from bimotion.predict.clipping import ClipTrack
    from loaders.levels import ClipMeter

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, gain in (("clean", 1.0), ("clipped throughout", 6.0)):
            path = write(Path(tmp) / f"{gain}.wav", args.minutes, gain)
            times: dict[str, list[float]] = {"meter": [], "track": []}
            fraction = None
            for _ in range(args.repeats):
                times["meter"].append(decode_s(path, ClipMeter("PCM_16")))
                track = ClipTrack("PCM_16", RATE_HZ)
                times["track"].append(decode_s(path, track))
                fraction = track.fraction
            meter_s, track_s = (statistics.median(times[k]) for k in ("meter", "track"))
            print(
                f"{name} ({args.minutes:g} min, clipped {fraction:.1%}): ClipMeter {meter_s:.2f} s, "
                f"ClipTrack {track_s:.2f} s, ratio {track_s / meter_s:.2f}"
            )


if __name__ == "__main__":
    main()
