"""CSED in its GitHub-release layout, with the real name quirks (``Neg-Male`` with a hyphen,
``Pos_female`` in lower case) and, in full size, the real per-prefix counts (652 files)."""

from __future__ import annotations

from pathlib import Path

from ..csed import RELEASE_PREFIXES
from ..labels import CORPUS_LABEL_MAPS
from ._common import FixtureWriter

SAMPLE_RATE_HZ = 44100
# How many files the real release holds per (class folder, gender): 652 in all; their names are spelled as
# loaders.csed.RELEASE_PREFIXES, the one table of the release's spellings, has it (Neg-Male, Pos_female).
RELEASE_COUNTS = {
    ("Natural", "f"): 107,
    ("Natural", "m"): 107,
    ("Negative", "f"): 112,
    ("Negative", "m"): 108,
    ("Positive", "f"): 103,
    ("Positive", "m"): 115,
}
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
    for (folder, gender), count in RELEASE_COUNTS.items():
        for number in range(1, (count if writer.full else small_count(count, writer.scale)) + 1):
            _clip(writer, data / folder / _name(folder, gender, number), gender, number % VOICES_PER_GENDER, folder)
    # macOS leaves these beside the files of copies made on a Mac; readers must ignore them
    writer.text(data / "Positive" / ".DS_Store", "\0\0\0\1Bud1")
    writer.not_audio(data / "Positive" / f"._{_name('Positive', 'f', 1)}")
    if bad:
        writer.lfs_pointer(data / "Negative" / _name("Negative", "f", 113))
        writer.not_audio(data / "Natural" / _name("Natural", "m", 108))
        # a take renamed by hand (no release name), and a clip in the wrong class folder
        _clip(writer, data / "Positive" / _name("Positive", "f", 104, "_old"), "f", 0, "Positive")
        _clip(writer, data / "Positive" / _name("Negative", "f", 114), "f", 1, "Negative")
    return root


def _name(folder: str, gender: str, number: int, tail: str = "") -> str:
    """A clip's file name as the release spells it (``Neg-Male-3.wav``), ``tail`` added to its stem."""
    return f"{RELEASE_PREFIXES[(folder, gender)]}-{number}{tail}.wav"


def _clip(writer: FixtureWriter, path: Path, gender: str, voice: int, folder: str) -> None:
    """A clip of voice ``csed-<gender><voice>`` (an elderly Mandarin one) speaking class ``folder``'s label."""
    writer.audio(
        path,
        speaker=f"csed-{gender}{voice}",
        gender=gender,
        age_group="eld",
        language="zho",
        emotions=(CORPUS_LABEL_MAPS["csed"][folder],),
        sample_rate_hz=SAMPLE_RATE_HZ,
    )
