"""``LengthHold.at_rate`` is the one scaling of a length and its slack from a file's rate to a decode's,
for an MP3 (``loaders.mp3.held_to_count``) and an MP4 (``loaders.audio.length_hold``), which each
scaled them in their own way: the MP4's numbers are the same as before for every rate pair and count;
the MP3's differ by one sample only where its float ratio missed an exact half (the count) or an exact
integer (the slack), and the exact value is now taken."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from loaders.hold import DAMAGE_FRAMES, LengthHold

COMMON_HZ = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 192000)


def rate_pairs() -> list[tuple[int, int]]:
    """Every pair of common rates, and 600 pairs of any rates a header may give (1 kHz to 1 MHz)."""
    rng = random.Random(0)
    odd = [(rng.randint(1000, 1_000_000), rng.choice((*COMMON_HZ, rng.randint(1000, 1_000_000)))) for _ in range(600)]
    return [(a, b) for a in COMMON_HZ for b in COMMON_HZ] + [(574812, 22050), *odd]


def counts(file_hz: int, rate_hz: int) -> list[int]:
    """Small and large counts, and those that scale to an exact half (x.5), where rounding decides."""
    ratio = Fraction(rate_hz, file_hz)
    found = [*range(0, 60), 10**6 + 7, 3 * 10**8 + 1]
    if ratio.denominator % 2 == 0:  # count * p / q is x.5 where count * p = q / 2 (mod q)
        first = (ratio.denominator // 2) * pow(ratio.numerator, -1, ratio.denominator) % ratio.denominator
        found += [first + k * ratio.denominator for k in (*range(30), 10**3, 10**5)]
    return found


def test_an_mp4s_hold_is_scaled_as_before():
    for file_hz, rate_hz in rate_pairs():
        for frames in counts(file_hz, rate_hz):
            packet = frames % 4096
            hold = LengthHold.at_rate(
                "a.mp4", frames, DAMAGE_FRAMES * max(1, packet), file_hz, rate_hz, "FFmpeg", "mp4"
            )
            before_slack = math.ceil(DAMAGE_FRAMES * max(1, packet) * rate_hz / file_hz)
            assert (hold.expected, hold.slack) == (round(frames * rate_hz / file_hz), before_slack), (frames, file_hz)


def test_an_mp3s_hold_differs_only_where_its_float_ratio_missed_the_exact_value():
    """``round(frames * (rate_hz / file_hz))``: the ratio's rounding put 25091 frames at 574812 Hz,
    962.5 at 22050 Hz, at 962.5000000000001 (963; half to even, as every other half: 962); and
    ``ceil``, a slack of two 1152-sample frames per stretch of junk, 48 stretches (112896) at
    11025 Hz, 122880 at 12000 Hz, at 122880.00000000001 (122881)."""
    missed_half = missed_integer = 0
    for file_hz, rate_hz in rate_pairs():
        ratio, exact = rate_hz / file_hz, Fraction(rate_hz, file_hz)
        for frames in counts(file_hz, rate_hz):
            hold = LengthHold.at_rate("a.mp3", frames, 2304, file_hz, rate_hz, "FFmpeg")
            if hold.expected != round(frames * ratio):
                assert (frames * exact).denominator == 2 and abs(hold.expected - round(frames * ratio)) == 1
                assert hold.expected == round(frames * exact)
                missed_half += 1
        for stretches in (0, 1, 2, 48):
            slack_frames = DAMAGE_FRAMES * 1152 * (1 + stretches)
            slack = LengthHold.at_rate("a.mp3", 0, slack_frames, file_hz, rate_hz, "FFmpeg").slack
            if slack != math.ceil(slack_frames * ratio):
                assert (slack_frames * exact).denominator == 1 and slack == math.ceil(slack_frames * ratio) - 1
                missed_integer += 1
    assert missed_half and missed_integer  # the cases named above are among them
    common = [(a, b) for a in COMMON_HZ for b in COMMON_HZ]
    same = all(
        LengthHold.at_rate("a.mp3", n, 2304, a, b, "FFmpeg").expected == round(n * (b / a))
        for a, b in common
        for n in counts(a, b)
    )
    assert same  # at the common rates no count differs
    assert LengthHold.at_rate("a.mp3", 25091, 2304, 574812, 22050, "FFmpeg").expected == 962
    assert LengthHold.at_rate("a.mp3", 0, 112896, 11025, 12000, "FFmpeg").slack == 122880
