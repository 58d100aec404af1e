"""CSED in its GitHub-release layout, with the real name quirks (``Neg-Male`` with a hyphen,
``Pos_female`` in lower case) and, in full size, the real per-prefix counts (652 files)."""

from __future__ import annotations

from pathlib import Path

from ._common import FixtureWriter

SAMPLE_RATE_HZ = 44100
# (class folder, file-name prefix, gender, label, number of files in the real release)
PREFIXES = (
    ("Natural", "Nat_Female", "f", "neutral", 107),
    ("Natural", "Nat_Male", "m", "neutral", 107),
    ("Negative", "Neg_Female", "f", "negative", 112),
    ("Negative", "Neg-Male", "m", "negative", 108),
    ("Positive", "Pos_female", "f", "positive", 103),
    ("Positive", "Pos_male", "m", "positive", 115),
)
SMALL_PER_PREFIX = 2
VOICES_PER_GENDER = 4


def small_count(count: int, scale: int = 1) -> int:
    """Files per prefix in small size: 2, or for ``scale`` > 1 four times ``2 * scale`` (the paper
    split puts 60% of CSED in test, and elderly voices (jitter, tremor) need more training clips than
    the others for the demo's Mandarin-elderly baseline to clear chance + 20)."""
    return SMALL_PER_PREFIX if scale == 1 else min(count, 4 * SMALL_PER_PREFIX * scale)


def make(writer: FixtureWriter, *, bad: bool = False) -> Path:
    root = writer.out_dir / "Chinese-Speech-Emotion-Datasets"
    data = root / "Training Data (wav)"
    writer.text(root / "Readme.md", "# Chinese Speech Emotion Datasets\n\nPositive 218, Natural 214, Negative 220.\n")
    writer.text(root / "LICENSE", "Apache License\nVersion 2.0, January 2004\n")
    for folder, prefix, gender, label, count in PREFIXES:
        for number in range(1, (count if writer.full else small_count(count, writer.scale)) + 1):
            writer.audio(
                data / folder / f"{prefix}-{number}.wav",
                speaker=f"csed-{gender}{number % VOICES_PER_GENDER}",
                gender=gender,
                age_group="eld",
                language="zho",
                emotions=(label,),
                sample_rate_hz=SAMPLE_RATE_HZ,
            )
    # macOS leaves these beside the files of copies made on a Mac; readers must ignore them
    writer.text(data / "Positive" / ".DS_Store", "\0\0\0\1Bud1")
    writer.not_audio(data / "Positive" / "._Pos_female-1.wav")
    if bad:
        writer.lfs_pointer(data / "Negative" / "Neg_Female-113.wav")
        writer.not_audio(data / "Natural" / "Nat_Male-108.wav")
        writer.audio(
            data / "Positive" / "Pos_female-104_old.wav",  # a take renamed by hand: no release name
            speaker="csed-f0",
            gender="f",
            age_group="eld",
            language="zho",
            emotions=("positive",),
            sample_rate_hz=SAMPLE_RATE_HZ,
        )
        writer.audio(
            data / "Positive" / "Neg_Female-114.wav",
            speaker="csed-f1",
            gender="f",
            age_group="eld",
            language="zho",
            emotions=("negative",),
            sample_rate_hz=SAMPLE_RATE_HZ,
        )
    return root
