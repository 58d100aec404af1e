"""CREMA-D: English acted emotion from 91 actors aged 20-74 (adults and elderly, by actor age).

Layout of the official release (a ``git lfs clone`` of CheyneyComputerScience/CREMA-D)::

    CREMA-D/
      VideoDemographics.csv          ActorID,Age,Sex,Race,Ethnicity (91 rows)
      AudioWAV/1001_DFA_ANG_XX.wav   7442 clips, 16 kHz mono PCM16
      AudioMP3/ VideoFlash/ ...      the same clips for the raters: not read, their audio counted

A clip is named ``{ActorID}_{Sentence}_{Emotion}_{Level}.wav``: the emotion code gives the label
(``CORPUS_LABEL_MAPS["crema_d"]``), the actor's row in ``VideoDemographics.csv`` gives age (so the
age group: elderly from 60), sex and the speaker id.  The sentence code gives the spoken text; the
sentence code and emotion level are kept in ``extra``.  A name in small letters (``1001_dfa_ang_xx.wav``)
is that clip's, counted and named in one warning; beside the clip's own name it is a second copy of it, read
once or reported (:func:`loaders.copy_reports.case_copies`).  ``1076_MTI_SAD_XX.wav`` is near-silent and
very short in the release (:data:`KNOWN_DEFECTS`): it is kept, with a note in ``extra``.  Clips are read
from ``AudioWAV/`` (and its copies) only: the audio files in any other folder beside it are counted as not
read, those of the release's ``AudioMP3/``, ``VideoFlash/`` and ``VideoMP4/`` (the same clips; some of its MP3s are
blank, 0-byte files, counted apart as blank) unsaid, and those of
any other (``AudioWAV_old/``, a user's ``extra/``, or the CREMA-D folder itself) named in one warning per folder
(:meth:`loaders.base.Collector.beside`); a broken link or a FIFO there is reported, as anywhere below the root.  A GitHub zip download holds git-LFS pointer stubs instead of audio;
probing rejects them with a message that says so.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .base import Collector
from .copies import copied_folder, folder_name, named_folders
from .errors import SKIP_IT, LayoutError, bad, require_dir
from .labels import CORPUS_LABEL_MAPS
from .lone import read_as
from .metafiles import csv_text, read_text
from .record import Utterance, age_group_of
from .skips import SkipReport
from .source import SourceInfo
from .walk import backslashed_layout, searched, walk_tree

CORPUS = "crema_d"
AUDIO_DIR = "AudioWAV"
DEMOGRAPHICS = "VideoDemographics.csv"
_MEDIA_DIRS = {AUDIO_DIR.casefold(), "audiomp3", "videoflash"}  # never searched for the corpus folder

EMOTIONS = CORPUS_LABEL_MAPS[CORPUS]
# The 12 sentences (README of the release), by the code in the file name.
SENTENCES: dict[str, str] = {
    "IEO": "It's eleven o'clock.",
    "TIE": "That is exactly what happened.",
    "IOM": "I'm on my way to the meeting.",
    "IWW": "I wonder what this is about.",
    "TAI": "The airplane is almost full.",
    "MTI": "Maybe tomorrow it will be cold.",
    "IWL": "I would like a new alarm clock.",
    "ITH": "I think I have a doctor's appointment.",
    "DFA": "Don't forget a jacket.",
    "ITS": "I think I've seen this before.",
    "TSI": "The surface is slick.",
    "WSI": "We'll stop in a couple of minutes.",
}
LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
# The release's own defects, in every copy of it (``loaders.known_defects``): what is wrong, in words.
KNOWN_DEFECTS = {
    "1076_MTI_SAD_XX": "near-silent and very short in every copy of the release (its README: no audio, very short)"
}

_NAME = re.compile(r"(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})")
_SEX = {"male": "m", "female": "f"}
_EXPECTED = f"CREMA-D/{AUDIO_DIR}/*.wav beside CREMA-D/{DEMOGRAPHICS} (git lfs clone of the official repository)"

INFO = SourceInfo(
    name=CORPUS,
    title="CREMA-D: Crowd-sourced Emotional Multimodal Actors Dataset",
    languages=("eng",),
    age_groups=("eld", "adu"),
    expected_count=7442,
    license="ODbL-1.0 (database), DbCL-1.0 (contents)",
    url="https://github.com/CheyneyComputerScience/CREMA-D",
    layout=(
        "CREMA-D/\n"
        "  VideoDemographics.csv          ActorID,Age,Sex,Race,Ethnicity\n"
        "  AudioWAV/{ActorID}_{Sentence}_{Emotion}_{Level}.wav   7442 files\n"
        "  AudioMP3/ VideoFlash/          not read (their audio counted)"
    ),
    citation=(
        "@article{cao2014crema,\n"
        "  title={{CREMA-D}: Crowd-sourced Emotional Multimodal Actors Dataset},\n"
        "  author={Cao, Houwei and Cooper, David G. and Keutmann, Michael K. and Gur, Ruben C. and\n"
        "          Nenkova, Ani and Verma, Ragini},\n"
        "  journal={IEEE Transactions on Affective Computing},\n"
        "  volume={5}, number={4}, pages={377--390}, year={2014},\n"
        "  doi={10.1109/TAFFC.2014.2336244}\n"
        "}"
    ),
    notes=(
        "Age group by actor age from VideoDemographics.csv (elderly >= 60: actors 1016 1020 1034 1050 1067 "
        "1087, 492 clips). 1076_MTI_SAD_XX.wav is near-silent and very short. Needs `git lfs clone`: a zip "
        "download holds LFS pointer stubs. No official split."
    ),
    speech="acted: actors reading set sentences",
    ages_from="its actors' ages (the release's VideoDemographics.csv)",
)


@dataclass(frozen=True)
class Actor:
    age: int
    gender: str


def load(root: str | os.PathLike, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read CREMA-D below ``root`` (the CREMA-D folder or any folder above it)."""
    root = require_dir(root, CORPUS, _EXPECTED)
    c = Collector(CORPUS, root, skip_bad=skip_bad, report=report)
    corpus_dir, *copies = find_corpus_dirs(root, onerror=c.unreadable)
    csv_path = _demographics_path(corpus_dir)
    actors = read_demographics(csv_path)
    audio_dirs = [folder for found in (corpus_dir, *copies) for folder in audio_folders(found)]
    paths = [path for folder in audio_dirs for path in c.walk(folder, top=root, lone=True)]  # 'x 2.wav', no x.wav: x
    for found in (corpus_dir, *copies):  # AudioMP3/, AudioWAV_old/, extra/: seen, their audio counted, not read
        c.beside(found, copies, f"{AUDIO_DIR}/", RELEASE_FORMATS)
    c.root = audio_dirs[0]
    for path in paths:
        with c.item(path):
            actor, sentence, code, level = _parse_name(path, read_as(c, path).stem)
            if read_as(c, path).stem != (
                release := f"{actor}_{sentence}_{code}_{level}"
            ):  # 1001_dfa_ang_xx.wav, renamed
                c.other_case(path, f"{release}.wav")
            person = actors.get(actor)
            if person is None:
                raise bad(
                    path,
                    "missing_metadata",
                    f"missing metadata row: actor {actor} is not listed in {csv_path}",
                    f"restore the official {DEMOGRAPHICS} (91 actors, 1001-1091), or remove this clip",
                )
            extra = {"sentence": sentence, "level": LEVELS[level]}
            if release in KNOWN_DEFECTS:
                extra["note"] = KNOWN_DEFECTS[release]
            c.add(
                path,
                native_id=release,
                emotions=[EMOTIONS[code]],
                language="eng",
                age_group=age_group_of(person.age, "eng"),
                age=person.age,
                gender=person.gender,
                speaker_id=actor,
                text=SENTENCES[sentence],
                extra=extra,
            )
    return c.finish(expected=_EXPECTED)


def find_corpus_dirs(root: Path, onerror=None) -> list[Path]:
    """The one folder at or below ``root`` that holds ``AudioWAV/`` (or a folder named as its second copy,
    :func:`audio_folders`), then its second copies (``CREMA-D (1)/`` beside ``CREMA-D/``: their clips are
    read once, file by file); folders that cannot be listed go to ``onerror`` (an ``os.walk`` callback)."""
    found = []
    for dirpath, dirnames, _ in walk_tree(root, onerror=onerror):
        if any(folder_name(d).casefold() == AUDIO_DIR.casefold() for d in dirnames):
            found.append(Path(dirpath))
        dirnames[:] = sorted(d for d in dirnames if searched(d) and folder_name(d).casefold() not in _MEDIA_DIRS)
    if not found:
        missing = f"{CORPUS}: no {AUDIO_DIR}/ folder at or below this folder"
        raise backslashed_layout(root, missing, AUDIO_DIR) or LayoutError(
            root,
            "missing_audio_dir",
            missing,
            f"point at the CREMA-D folder (the one holding {AUDIO_DIR}/ and {DEMOGRAPHICS}) or a folder above it",
        )
    copies = [folder for folder in found if copied_folder(folder, root)]
    if len(found) - len(copies) > 1:
        raise LayoutError(
            root,
            "several_copies",
            f"{CORPUS}: several copies below this folder: {', '.join(str(p) for p in found)}",
            "point at one of them",
        )
    return [folder for folder in found if folder not in copies] + copies


def audio_folders(corpus_dir: Path) -> list[Path]:
    """``AudioWAV/`` (in any letters) and the folders beside it named as its second copy (``AudioWAV (1)``,
    ``AudioWAV - Copy``: their clips are read once or reported as second copies, file by file, and one of
    their own is read), ``AudioWAV/`` first; a folder so named beside no ``AudioWAV/`` is read as it."""
    return named_folders(corpus_dir, AUDIO_DIR)  # in other letters too: AUDIOWAV, as an old FAT copy names it


# the release's folders of the same clips in other formats, for its raters: their audio counted as not read, unsaid
RELEASE_FORMATS = ("audiomp3", "videoflash", "videomp4")


def _demographics_path(corpus_dir: Path) -> Path:
    for path in sorted(corpus_dir.iterdir()):
        if path.name.lower() == DEMOGRAPHICS.lower() and path.is_file():
            return path
    raise LayoutError(
        corpus_dir / DEMOGRAPHICS,
        "missing_metadata_file",
        f"{CORPUS}: {DEMOGRAPHICS} is missing beside {AUDIO_DIR}/; it gives each actor's age and sex",
        f"copy {DEMOGRAPHICS} from the official release into {corpus_dir}",
    )


def read_demographics(path: Path) -> dict[str, Actor]:
    """``ActorID -> Actor`` from VideoDemographics.csv (quoted strings, unquoted ints)."""
    hint = f"restore the official {DEMOGRAPHICS} from the release"
    text, delimiter, dropped = csv_text(read_text(path, CORPUS))  # as a spreadsheet saved it: ; or a tab
    with io.StringIO(text, newline="") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        missing = {"ActorID", "Age", "Sex"} - set(reader.fieldnames or ())
        if missing:
            raise LayoutError(
                path, "bad_metadata", f"columns {sorted(missing)} are missing (header: {reader.fieldnames})", hint
            )
        actors, lines = {}, {}
        for row in reader:
            if not any(isinstance(v, str) and v.strip() for v in row.values()):
                continue  # a row of empty cells, as spreadsheets save below the table
            line = reader.line_num + dropped
            age = (row["Age"] or "").strip()
            gender = _SEX.get((row["Sex"] or "").strip().lower())
            if not age.isdigit() or gender is None:
                raise LayoutError(path, "bad_metadata", f"line {line}: cannot read age and sex from {row}", hint)
            actor, person = row["ActorID"].strip(), Actor(int(age), gender)
            if actors.get(actor, person) != person:  # the same row twice is harmless; two different ones are not
                raise LayoutError(
                    path,
                    "bad_metadata",
                    f"line {line}: actor {actor} is listed again, as {person}, unlike line "
                    f"{lines[actor]} ({actors[actor]}): which one is right decides the actor's age group",
                    hint,
                )
            actors[actor], lines[actor] = person, line
    return actors


def _parse_name(path: Path, stem: str) -> tuple[str, str, str, str]:
    """The release's name of the clip, in its parts: the release names every clip in capitals, and a name in
    small letters (``1001_dfa_ang_xx.wav``, as some unzip tools, re-encoders and FAT copies leave them) is
    that clip's (taken case-insensitively, as TESS's are; :meth:`~loaders.base.Collector.other_case`).  ``stem``: the
    name parsed (a lone copy's, ``x 2.wav``, is x's: :func:`loaders.lone.read_as`)."""
    match = _NAME.fullmatch(stem.upper())
    if match is None:
        raise bad(
            path,
            "bad_name",
            "file name is not {ActorID}_{Sentence}_{Emotion}_{Level}.wav (e.g. 1001_DFA_ANG_XX.wav)",
            f"remove files that are not CREMA-D clips from {AUDIO_DIR}/",
        )
    actor, sentence, code, level = match.groups()
    if code not in EMOTIONS:
        raise bad(
            path,
            "unknown_label",
            f"unknown emotion code {code!r}; CREMA-D uses {', '.join(EMOTIONS)}",
            "remove or rename this file",
            SKIP_IT,
        )
    if sentence not in SENTENCES or level not in LEVELS:
        raise bad(
            path,
            "bad_name",
            f"unknown sentence code {sentence!r} or level {level!r}; "
            f"sentences: {' '.join(SENTENCES)}; levels: {' '.join(LEVELS)}",
            "remove or rename this file",
            SKIP_IT,
        )
    return actor, sentence, code, level
