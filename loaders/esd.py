"""ESD, the Emotional Speech Dataset: 10 Mandarin (0001-0010) and 10 English (0011-0020) adult
speakers, 350 parallel sentences in each of five emotions, 35000 utterances at 16 kHz.

Two layouts circulate; both are read, below any folder the user names::

    (A) older release                                  (B) current zip
    Emotional Speech Dataset (ESD)/                    Emotion Speech Dataset/
      0001/0001.txt                                      0001/0001.txt
      0001/Angry/{train,evaluation,test}/0001_000351.wav 0001/Angry/0001_000351.wav

The corpus is found by its speaker folders (``0001`` ... ``0020``), not by the top folder's name;
a speaker folder found more than once (a tree unpacked twice) is read from its shallowest copy,
with a warning naming the copies ignored; a wav in another copy is compared by its bytes with the wav of
its name read (in any letters), and one only there is read, as that speaker's.  A ``.wav`` outside every speaker folder that is audio by
content is reported (``unexpected_location``).

* Emotion: the folder (Angry Happy Neutral Sad Surprise).  A speaker, emotion or split folder named as
  its second copy beside no such folder (``Angry (1)``, ``Copy of 0001``) is that folder
  (:func:`~loaders.copies.folder_name`); a wav so named beside no such wav (``0001_000351 (1).wav``, no
  ``0001_000351.wav``) is that wav (:mod:`loaders.lone`).  Each speaker's index runs in blocks of
  350 (Neutral 1-350, Angry 351-700, Happy 701-1050, Sad 1051-1400, Surprise 1401-1750); a file
  whose folder disagrees with its block is rejected (``emotion_mismatch``).
* Official split: position ``p = (index - 1) % 350 + 1``; evaluation p 1-20 (``validation``), test
  p 21-50, train p 51-350.  Layout A states it by subfolder, layout B by the rule.  Where an A
  subfolder disagrees with the rule, the folder wins (it is the release's own statement), the
  rule's answer is kept in ``extra["index_split"]`` and one warning counts such files.
* Gender and language: the release's speaker table (:data:`loaders.esd_tables.SPEAKERS`).  No ages;
  all speakers are adults.
* Transcript ``<spk>/<spk>.txt`` (read by :func:`loaders.esd_tables.read_transcript`):
  ``utt_id<TAB>text<TAB>emotion``, some lines with spaces instead of tabs, encodings differing per file
  (UTF-16LE with BOM, GB2312, ASCII, Latin-1).  It is optional
  text: a missing file or line gives ``text=None``.  Decoding: BOM, then UTF-8, then GB18030 (Mandarin
  speakers only: for English speakers it would turn Latin-1 accents such as ``naïve`` into Chinese
  characters), then Windows-1252 (Latin-1 with ``’ “ ” –`` where Latin-1 has control codes: what
  Notepad saves as "ANSI" on a Western Windows), then Latin-1.  The folder is the label: a line
  whose emotion column names another emotion is counted in one warning (its emotion kept in
  ``extra["transcript_emotion"]``), and an id given twice with other text keeps its first line's,
  also in one warning.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .base import Collector
from .copies import copied_folder, folder_name
from .copy_reports import copy_elsewhere, shown
from .errors import SKIP_BAD, bad, require_dir, some_files
from .esd_tables import BLOCK, EMOTION_BLOCKS, SPEAKERS, SPLIT_FOLDERS, read_transcript, split_of
from .labels import CORPUS_LABEL_MAPS
from .lone import read_as
from .named import warn_files
from .record import Utterance
from .skips import SkipReport
from .source import SourceInfo
from .walk import searched, walk_tree

# matched whole (fullmatch) and in ASCII: ``\d`` takes other scripts' digits, a copy named
# '0001_\uff10\uff10\uff10\uff13\uff15\uff12.wav' (full-width) read as a clip of its own, the same audio under a second id
_NAME = re.compile(r"(\d{4})_(\d{6})\.wav", re.IGNORECASE | re.ASCII)
_EMOTION_BY_FOLDER = {name.lower(): name for name in EMOTION_BLOCKS}

EXPECTED = (
    "the ESD release: <spk>/<Emotion>/<spk>_<nnnnnn>.wav (current zip) or "
    "<spk>/<Emotion>/{train,evaluation,test}/<spk>_<nnnnnn>.wav (older release), speakers 0001-0020"
)

INFO = SourceInfo(
    name="esd",
    title="ESD: Emotional Speech Dataset (Mandarin and English)",
    languages=("zho", "eng"),
    age_groups=("adu",),
    expected_count=35000,
    license="research use only, by signed licence form",
    url="https://hltsingapore.github.io/ESD/",
    layout=(
        "Emotion Speech Dataset/              (or 'Emotional Speech Dataset (ESD)/')\n"
        "  0001/0001.txt                      transcript: utt_id<TAB>text<TAB>emotion\n"
        "  0001/Angry/0001_000351.wav         (older release: 0001/Angry/{train,evaluation,test}/...)\n"
        "  0001/{Happy,Neutral,Sad,Surprise}/...\n"
        "  ... 0020/"
    ),
    citation="""@article{zhou2022esd,
  title   = {Emotional voice conversion: Theory, databases and {ESD}},
  author  = {Zhou, Kun and Sisman, Berrak and Liu, Rui and Li, Haizhou},
  journal = {Speech Communication},
  volume  = {137},
  pages   = {1--18},
  year    = {2022}
}""",
    notes=(
        "Speakers 0001-0010 Mandarin, 0011-0020 English; 350 utterances per speaker and emotion. "
        "Official split per speaker and emotion: 20 evaluation / 30 test / 300 train "
        "(per language 1000 / 1500 / 15000)."
    ),
    speech="acted: speakers reading set sentences",
    filed_without_ages="its release gives no ages",
)


def load(root: str | os.PathLike, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    root = require_dir(root, "esd", EXPECTED)
    c = Collector("esd", root, skip_bad=skip_bad, report=report)
    wavs = c.walk(root, lone=True)  # 'x 2.wav', no x.wav beside it: x; find_speakers walks the same folders again
    chosen, ignored = _chosen_speakers(c, root)
    by_speaker = _wavs_by_speaker(c, wavs, chosen, ignored)
    found = _Disagreements()
    for folder in sorted(chosen.values()):
        _add_speaker(c, folder, by_speaker[folder], found)
    found.warn()
    return c.finish(expected=EXPECTED)


@dataclass
class _Disagreements:
    """What the release contradicts itself on, told in one warning each (the folder is kept)."""

    split: int = 0  # layout A split folders that disagree with the index rule
    emotion: list[str] = field(default_factory=list)  # "<utt> (transcript Angry, folder Neutral)"
    repeated: list[str] = field(default_factory=list)  # ids whose transcript gives two texts

    def warn(self) -> None:
        def some(items: list[str]) -> str:
            return f"{', '.join(items[:3])}{' ...' if len(items) > 3 else ''}"

        if self.split:
            warnings.warn(
                f"ESD: {self.split} file(s) sit in a train/evaluation/test folder that disagrees with the "
                "index rule; the folder was kept as their split (the rule's split is in extra['index_split'])",
                stacklevel=3,
            )
        if self.emotion:
            warnings.warn(
                f"ESD: {len(self.emotion)} transcript line(s) give another emotion than their wav's folder: "
                f"{some(self.emotion)}; the folder was kept as the label (the transcript's is in "
                "extra['transcript_emotion'])",
                stacklevel=3,
            )
        if self.repeated:
            warnings.warn(
                f"ESD: {len(self.repeated)} utterance id(s) appear twice in their transcript with different "
                f"text: {some(self.repeated)}; the first line's text was kept",
                stacklevel=3,
            )


def _chosen_speakers(c: Collector, root: Path) -> tuple[dict[str, Path], list[Path]]:
    """``({speaker: its shallowest folder}, deeper copies ignored)``, warning about the copies (one warning naming a
    few, every one listed where :func:`~loaders.named.warn_files` says); of two as deep, the one not in a folder
    named as a second copy of the folder beside it (``0001 - Copy/``, whose clips
    :meth:`~loaders.base.Collector.walk` sets aside, and its warning names: not named again here)."""
    chosen: dict[str, Path] = {}
    ignored = []
    in_copy = {p: copied_folder(p, root) is not None for p in find_speakers(root)}
    for speaker_dir in sorted(in_copy, key=lambda p: (len(p.parts), in_copy[p], str(p))):
        if (speaker := folder_name(speaker_dir.name)) in chosen:
            ignored.append(speaker_dir)
        else:
            chosen[speaker] = speaker_dir
    if found := [(folder, chosen[folder_name(folder.name)]) for folder in ignored if not in_copy[folder]]:
        read = list(dict.fromkeys(of.relative_to(root).as_posix() for _, of in found))  # each speaker's, once
        which = (
            f"the shallowest copy, {read[0]},"
            if len(read) == 1
            else f"each speaker's shallowest copy ({some_files(read)})"
        )
        said = (
            f"speaker folders found more than once below {root}: read {which} and ignored {len(found)} (a wav only "
            "there is read, the others compared with the wav of their name read); delete the copies to silence this"
        )
        warn_files(c, "speaker_copy", found, said, 3)  # the caller of load()
    return chosen, ignored


def _wavs_by_speaker(
    c: Collector, wavs: list[Path], chosen: dict[str, Path], ignored: list[Path]
) -> dict[Path, list[tuple[Path, Path]]]:
    """``{speaker folder: [(a wav, the speaker folder it is in)]}``.  A wav in another copy of a speaker folder
    (``0001 - Copy/``, or ``0001/`` deeper in the tree) is :func:`_copied_wav`'s where the folder read holds a
    wav of its name; else it is a clip of its own there (the folder read lacks it): that speaker's, read.
    Wavs outside every speaker folder are stray."""
    by_speaker: dict[Path, list[tuple[Path, Path]]] = {folder: [] for folder in chosen.values()}
    ignored_dirs, copied = set(ignored), []
    for path in wavs:
        owner = next((folder for folder in path.parents if folder in by_speaker or folder in ignored_dirs), None)
        if owner in by_speaker:
            by_speaker[owner].append((path, owner))
        elif owner is not None:
            copied.append((path, owner))
        else:
            with c.item(path):
                c.stray(
                    path,
                    bad(
                        path,
                        "unexpected_location",
                        "a wav outside the speaker folders 0001-0020: its speaker and emotion are unknown",
                        "move it into its speaker's emotion folder or move it out of the corpus root",
                        SKIP_BAD,
                    ),
                )
    # by name in any letters (a copy through a disk that ignores case changes them; ESD's names are its ids)
    names = {folder: {} for folder in by_speaker}
    for folder, found in by_speaker.items():
        for path, _ in found:
            names[folder].setdefault(read_as(c, path).name.casefold(), path)  # a lone copy's: x.wav's
    # the shallowest copy first, as _chosen_speakers orders them: a clip lost from the folder read, in two
    # copies, is read from the first, and the other is its copy
    for path, owner in sorted(copied, key=lambda found: (len(found[1].parts), str(found[1]), str(found[0]))):
        folder = chosen[folder_name(owner.name)]
        counterpart = names[folder].get(name := read_as(c, path).name.casefold())
        if counterpart is None:  # only in the copy: a clip the folder read lost, not dropped
            by_speaker[folder].append((path, owner))
            names[folder][name] = path
        else:
            _copied_wav(c, path, folder, counterpart, owner)
    return by_speaker


def _copied_wav(c: Collector, path: Path, folder: Path, counterpart: Path, owner: Path) -> None:
    """``path``, in ``owner``, a second copy of the speaker folder ``folder`` (the one read), compared by its bytes
    with ``counterpart``, the wav of its name read (:func:`~loaders.copy_reports.copy_elsewhere`): which recording is the
    clip is the user's to say.  A duplicate in a folder named as a copy (``0001 - Copy/``, whose speaker folder
    :func:`_chosen_speakers` does not name) is named in :meth:`~loaders.base.Collector.finish`'s warning."""
    read = folder.relative_to(c.root).as_posix()
    where = f"in a second copy of the speaker folder {read}/, which is read"
    fix = f"keep one copy of the speaker's folder, the right recordings in {read}/"
    if copy_elsewhere(c, path, counterpart, where, fix, SKIP_BAD) and copied_folder(owner, c.root):
        c.copies.append((path, shown(counterpart, path)))


def _add_speaker(c: Collector, speaker_dir: Path, wavs: list[tuple[Path, Path]], found: _Disagreements) -> None:
    """Collect one speaker's wavs (each with the speaker folder it is in: ``speaker_dir``, or a second copy
    of it), noting in ``found`` where the release contradicts itself."""
    speaker = folder_name(speaker_dir.name)  # '0001 (1)/' beside no 0001/ is 0001/
    language, gender = SPEAKERS[speaker]
    lines, repeated = read_transcript(speaker_dir / f"{speaker}.txt", language)
    found.repeated += repeated
    for path, folder in wavs:
        with c.item(path):
            emotion, split, index_split = _parse(path, read_as(c, path).name, folder)
            extra = {"layout": "a" if index_split else "b"}
            if index_split and index_split != split:
                extra["index_split"] = index_split
                found.split += 1
            line = lines.get(utterance := read_as(c, path).stem)
            if line and line.emotion and line.emotion != emotion:
                extra["transcript_emotion"] = line.emotion
                found.emotion.append(f"{utterance} (transcript {line.emotion}, folder {emotion})")
            c.add(
                path,
                native_id=utterance,
                emotions=[CORPUS_LABEL_MAPS["esd"][emotion]],
                language=language,
                age_group="adu",
                gender=gender,
                speaker_id=speaker,
                official_split=split,
                text=line.text if line else None,
                extra=extra,
            )


def find_speakers(root: Path) -> list[Path]:
    """Speaker folders (``0001`` ... ``0020`` holding emotion folders or a transcript) below ``root``."""
    found = []
    for dirpath, dirnames, filenames in walk_tree(root):
        here, speaker = Path(dirpath), folder_name(Path(dirpath).name)  # '0001 (1)', a second download's: 0001
        if speaker in SPEAKERS and (
            f"{speaker}.txt" in filenames or any(folder_name(d).lower() in _EMOTION_BY_FOLDER for d in dirnames)
        ):
            found.append(here)
            dirnames[:] = []
        else:
            dirnames[:] = sorted(d for d in dirnames if searched(d))
    return sorted(found)


def _parse(path: Path, name: str, speaker_dir: Path) -> tuple[str, str, str | None]:
    """(emotion folder, split, split by the index rule in layout A else None) of one wav, ``name`` the name parsed
    (a lone copy's, ``x 2.wav``, is x's: :func:`loaders.lone.read_as`)."""
    speaker = folder_name(speaker_dir.name)
    match = _NAME.fullmatch(name)
    if not match or match[1] != speaker:
        raise bad(
            path,
            "unexpected_name",
            f"not an ESD utterance name of speaker {speaker} ({speaker}_<nnnnnn>.wav)",
            "remove files that are not part of the ESD release from the speaker folders",
            SKIP_BAD,
        )
    index = int(match[2])
    # 'Angry (1)/', 'train - Copy/' beside no Angry/, train/ are those (a copy beside them was set aside)
    folders = [folder_name(folder) for folder in str(path)[len(str(speaker_dir)) + 1 :].split(os.sep)[:-1]]
    layout_a = len(folders) == 2 and folders[1].lower() in SPLIT_FOLDERS
    if len(folders) != 1 and not layout_a:
        raise bad(
            path,
            "unexpected_location",
            f"expected {speaker}/<Emotion>/{path.name} or {speaker}/<Emotion>/{{train,evaluation,test}}/{path.name}",
            "restore the release's folder structure",
            SKIP_BAD,
        )
    emotion = _EMOTION_BY_FOLDER.get(folders[0].lower())
    if emotion is None:
        raise bad(
            path,
            "unknown_emotion",
            f"emotion folder {folders[0]!r} is not one of {', '.join(sorted(EMOTION_BLOCKS))}",
            "move the file into its emotion's folder",
            SKIP_BAD,
        )
    block = EMOTION_BLOCKS[(index - 1) // BLOCK] if 1 <= index <= BLOCK * len(EMOTION_BLOCKS) else None
    if block != emotion:
        raise bad(
            path,
            "emotion_mismatch",
            f"index {index} lies in the {block or 'no'} block (blocks of 350: "
            f"{', '.join(EMOTION_BLOCKS)}) but the file is in the {emotion} folder",
            "move the file back into its emotion's folder",
            SKIP_BAD,
        )
    rule = split_of(index)
    if layout_a:
        return emotion, SPLIT_FOLDERS[folders[1].lower()], rule
    return emotion, rule, None
