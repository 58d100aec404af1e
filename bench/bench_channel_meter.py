"""The cost of comparing a stereo recording's channels as `bimotion predict` mixes them down.

    python bench/bench_channel_meter.py                  # 2 min, 44.1 kHz stereo PCM_16, 5 repeats
    python bench/bench_channel_meter.py --minutes 10 --repeats 3

A recording of one voice on two microphones (speech-like clips of :mod:`loaders.testing`, the second
channel 2 ms later at half the level) is generated, and decoded as predict decodes a file
(:func:`bimotion.predict.audio.audio_blocks` to 16 kHz, 5 s blocks), alternately in the same process with
its channels mixed by :class:`loaders.channels.ChannelMeter` (what predict does: each block's coherence,
level and peaks measured as it is mixed) and by the plain mean of its channels (:func:`loaders.levels.downmix`,
the baseline); the medians' ratio (meter / plain) is printed.  predict decodes each file twice (measured,
then scored) and meters the first decode only; the model's scoring, not counted here, is most of a run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
import soundfile
from bench_clip_track import decode_s  # predict's first decode, timed (its clipping measured as predict does)

RATE_HZ = 44100


def write(path: Path, minutes: float) -> Path:
    from loaders.testing._common import FixtureWriter

    writer = FixtureWriter(path.parent / ".pool", seed=5)
    voice = writer.samples(
        speaker="s1", gender="f", age_group="eld", language="zho", emotions=("anger",),
        duration_s=minutes * 60, sample_rate_hz=RATE_HZ,
    )  # fmt: skip
    far = np.concatenate([np.zeros(int(0.002 * RATE_HZ)), voice[: -int(0.002 * RATE_HZ)]]) / 2
    soundfile.write(path, np.stack([voice, far], 1), RATE_HZ, subtype="PCM_16")
    return path


def main() -> None:
    import bimotion.predict.audio as predict_audio
    from loaders.levels import downmix

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    metered = predict_audio._Level.mix

    def plain(self, block, live, rate_hz):  # the baseline: the mean of the live channels, nothing measured
        return downmix(block, live)

    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "stereo.wav", args.minutes)
        times: dict[str, list[float]] = {"plain": [], "meter": []}
        for _ in range(args.repeats):
            for name, mix in (("plain", plain), ("meter", metered)):
                predict_audio._Level.mix = mix
                times[name].append(decode_s(path, None))
        predict_audio._Level.mix = metered
    plain_s, meter_s = (statistics.median(times[k]) for k in ("plain", "meter"))
    audio_s = args.minutes * 60
    print(
        f"{args.minutes:g} min 44.1 kHz stereo, predict's decode to 16 kHz (median of {args.repeats}): plain mix "
        f"{plain_s:.2f} s, with the channel meter {meter_s:.2f} s, ratio {meter_s / plain_s:.2f} "
        f"({(meter_s - plain_s) / audio_s * 1000:.2f} ms per second of audio)"
    )


if __name__ == "__main__":
    main()
