"""What the ESD release states beside its wavs: its speaker table (each speaker's language and gender,
:data:`SPEAKERS`), the emotion blocks of each speaker's index (:data:`EMOTION_BLOCKS`), the official split by
position (:func:`split_of`; layout A's :data:`SPLIT_FOLDERS`) and each speaker's transcript
(``<spk>/<spk>.txt``, in whichever encoding it was saved: :func:`read_transcript`).  The walk of the wavs, and
what it makes of these, is :mod:`loaders.esd`'s (its docstring says how a transcript is decoded)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from .metafiles import read_bytes

# speaker -> (language, gender), from the corpus's speaker table: 0001-0010 Mandarin, 0011-0020 English
_GENDERS = "fffmmmfmfm" + "mmmmfffffm"  # 0001 ... 0020, as the release's table lists them
SPEAKERS: dict[str, tuple[str, str]] = {
    f"{n:04d}": ("zho" if n <= 10 else "eng", gender) for n, gender in enumerate(_GENDERS, start=1)
}
EMOTION_BLOCKS = ("Neutral", "Angry", "Happy", "Sad", "Surprise")  # index blocks of 350, in order
BLOCK = 350
SPLIT_FOLDERS = {"train": "train", "evaluation": "validation", "test": "test"}
# Transcript emotion words (English, and Chinese in the Mandarin speakers' files) as folder names.
_TRANSCRIPT_EMOTION = {
    **{name: name for name in EMOTION_BLOCKS},
    **{"中立": "Neutral", "生气": "Angry", "快乐": "Happy", "伤心": "Sad", "惊喜": "Surprise"},
}
TRANSCRIPT_EMOTIONS = set(_TRANSCRIPT_EMOTION)  # stripped from the end of space-separated lines
# matched whole (fullmatch), its id in ASCII digits as a clip's name is (loaders.esd._NAME): no clip is named so
_LINE = re.compile(r"(\d{4}_\d{6})(?:(?:\t| +)(.*))?", re.ASCII)


def split_of(index: int) -> str:
    """The official split of utterance ``index`` (1-1750) by the position rule."""
    position = (index - 1) % BLOCK + 1
    return "validation" if position <= 20 else "test" if position <= 50 else "train"


def decode_transcript(data: bytes, language: str) -> str:
    """Text of a transcript file in whichever encoding it was saved (see :mod:`loaders.esd`'s docstring)."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    for encoding in ("utf-8", "gb18030") if language == "zho" else ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def parse_transcript(text: str) -> dict[str, str]:
    """``{utt_id: text}`` from transcript lines, tab- or space-separated (the first line of an id
    that is given twice)."""
    return {utt: line.text for utt, line in parse_transcript_lines(text)[0].items()}


@dataclass(frozen=True)
class TranscriptLine:
    text: str
    emotion: str | None  # the line's emotion column as a folder name (Angry ...), None without one


def parse_transcript_lines(text: str) -> tuple[dict[str, TranscriptLine], list[str]]:
    """``({utt_id: line}, ids given again with other text)``: the first line of an id is kept."""
    lines: dict[str, TranscriptLine] = {}
    repeated = []
    for raw in text.splitlines():
        match = _LINE.fullmatch(raw.strip())
        if not match or not match[2]:
            continue
        rest, emotion = match[2], None
        if "\t" in rest:
            sentence, *others = rest.split("\t")
            emotion = next((e for e in others if e.strip()), None)
        else:
            head, _, last = rest.rpartition(" ")
            sentence, emotion = (head, last) if head and last in TRANSCRIPT_EMOTIONS else (rest, None)
        if not sentence.strip():
            continue
        line = TranscriptLine(sentence.strip(), _TRANSCRIPT_EMOTION.get(emotion.strip()) if emotion else None)
        if match[1] not in lines:
            lines[match[1]] = line
        elif lines[match[1]].text != line.text:
            repeated.append(match[1])
    return lines, repeated


def read_transcript(path: Path, language: str) -> tuple[dict[str, TranscriptLine], list[str]]:
    """``({utt_id: line}, ids given again with other text)``, empty when the speaker has no file."""
    if not path.is_file():
        return {}, []
    return parse_transcript_lines(decode_transcript(read_bytes(path, "esd"), language))
