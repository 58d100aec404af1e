"""ESD fixtures in either release layout (``layout="a"``: train/evaluation/test subfolders, or
``"b"``: the current zip's flat emotion folders).

Quirks always present: transcripts in different encodings (see ENCODINGS: GB2312, UTF-16LE with
BOM, ASCII, Latin-1, UTF-8), lines separated by spaces instead of tabs (every position divisible by 4), and one
utterance per speaker (index 1170) with no transcript line.  ``small``: four speakers (two Mandarin,
two English), positions 2, 27 and 120 of each emotion (one per split).  ``full``: 20 speakers x
1750 = 35000 files.  ``bad=True`` adds an unknown emotion folder, a git-LFS stub, a truncated wav
and a file whose index lies in another emotion's block.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ..esd_tables import BLOCK, EMOTION_BLOCKS, SPEAKERS, split_of
from ..labels import CORPUS_LABEL_MAPS
from ._common import FixtureWriter

TOP = {"a": "Emotional Speech Dataset (ESD)", "b": "Emotion Speech Dataset"}
SPLIT_FOLDER = {"train": "train", "validation": "evaluation", "test": "test"}
SMALL_POSITIONS = (2, 27, 120)  # evaluation, test, train
NO_TRANSCRIPT_LINE = 1170  # Sad, position 120

# Transcript encoding per speaker; speakers not listed are written in UTF-8.
ENCODINGS = {"0001": "gb2312", "0006": "utf-16-le", "0011": "ascii", "0013": "utf-16-le", "0018": "latin-1"}
SMALL_SPEAKERS = ("0001", "0006", "0011", "0018")

ZHO_SENTENCES = (
    "打远一看，它们的确很是美丽，",
    "他们在公园里散步。",
    "今天的天气非常好。",
    "我想去北京看看长城。",
    "这本书写得很有意思。",
)
ENG_SENTENCES = (
    "Author of the danger trail, Philip Steels, etc.",
    "The naïve café owner smiled at us.",
    "Chapter one, the missing will.",
    "The nine the eggs, I keep.",
)
ZHO_EMOTION_WORDS = dict(zip(EMOTION_BLOCKS, ("中立", "生气", "快乐", "伤心", "惊喜")))


def sentence(speaker: str, index: int) -> str:
    """The transcript text of ``index`` (parallel across emotions, as in ESD)."""
    position = (index - 1) % BLOCK
    if SPEAKERS[speaker][0] == "zho":
        return ZHO_SENTENCES[position % len(ZHO_SENTENCES)]
    text = ENG_SENTENCES[position % len(ENG_SENTENCES)]
    if ENCODINGS.get(speaker) == "ascii":
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text


def emotion_of(index: int) -> str:
    return EMOTION_BLOCKS[(index - 1) // BLOCK]


def transcript(speaker: str) -> str:
    lines = []
    for index in range(1, BLOCK * len(EMOTION_BLOCKS) + 1):
        if index == NO_TRANSCRIPT_LINE:
            continue
        emotion = emotion_of(index)
        word = ZHO_EMOTION_WORDS[emotion] if SPEAKERS[speaker][0] == "zho" else emotion
        sep = " " if ((index - 1) % BLOCK + 1) % 4 == 0 else "\t"
        lines.append(sep.join((f"{speaker}_{index:06d}", sentence(speaker, index), word)))
    return "\r\n".join(lines) + "\r\n"


def small_positions(scale: int = 1) -> tuple[int, ...]:
    """``scale`` consecutive positions of each emotion from each split, from :data:`SMALL_POSITIONS`
    (validation holds positions 1-20, test 21-50)."""
    return tuple(p + k for p in SMALL_POSITIONS for k in range(min(scale, 20 - 1)))


def make(writer: FixtureWriter, *, bad: bool = False, layout: str = "b") -> Path:
    layout = layout.lower()
    if layout not in TOP:
        raise ValueError(f"layout must be 'a' (train/evaluation/test subfolders) or 'b' (flat), not {layout!r}")
    root = writer.out_dir / TOP[layout]
    speakers = tuple(SPEAKERS) if writer.full else SMALL_SPEAKERS
    positions = range(1, BLOCK + 1) if writer.full else small_positions(writer.scale)
    if layout == "a":
        writer.text(root / "ReadMe.txt", "Emotional Speech Dataset (ESD)\nSee the licence form.\n")

    folders: dict[tuple[str, str, str], Path] = {}

    def wav_path(speaker: str, index: int, emotion: str | None = None) -> Path:
        key = (speaker, emotion or emotion_of(index), SPLIT_FOLDER[split_of(index)] if layout == "a" else "")
        if key not in folders:
            folders[key] = root.joinpath(*filter(None, key))
        return folders[key] / f"{speaker}_{index:06d}.wav"

    def write(path: Path, speaker: str, index: int) -> Path:
        language, gender = SPEAKERS[speaker]
        label = CORPUS_LABEL_MAPS["esd"][emotion_of(index)]
        return writer.audio(path, speaker=speaker, gender=gender, age_group="adu", language=language, emotions=[label])

    for speaker in speakers:
        encoding = ENCODINGS.get(speaker, "utf-8")
        bom = "\ufeff" if encoding == "utf-16-le" else ""
        writer.text(root / speaker / f"{speaker}.txt", bom + transcript(speaker), encoding)
        for block in range(len(EMOTION_BLOCKS)):
            for position in positions:
                index = block * BLOCK + position
                write(wav_path(speaker, index), speaker, index)

    if bad:
        write(wav_path("0011", 3, emotion="Disgust"), "0011", 3)  # unknown emotion folder
        write(wav_path("0011", 360, emotion="Happy"), "0011", 360)  # Angry block inside Happy/
        stub = wav_path("0001", BLOCK + 27)
        writer.lfs_pointer(stub)
        writer.truncate(wav_path("0006", 2 * BLOCK + 120), keep_bytes=1000)
    return root
