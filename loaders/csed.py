"""CSED (Chinese Speech Emotion Datasets): Taiwan Mandarin, three valence classes.

Layout of the public GitHub release (the root may be this folder or any folder above it)::

    Chinese-Speech-Emotion-Datasets/
      Readme.md  LICENSE
      Training Data (wav)/
        Natural/Nat_Female-1.wav  Nat_Male-*.wav
        Negative/Neg_Female-*.wav Neg-Male-*.wav      (hyphen after the class)
        Positive/Pos_female-*.wav Pos_male-*.wav      (lower-case gender)

The class comes from the folder (``Natural``/``Negative``/``Positive``); the file-name prefix must
agree with it; a class folder named as its second copy beside no such folder (``Natural - Copy/``) is
that folder, and a clip so named beside no such clip (``Nat_Female-1 2.wav``, no ``Nat_Female-1.wav``)
that clip (:mod:`loaders.lone`).  Gender comes from the prefix, read case-insensitively with ``-`` or
``_`` as the separator.  There are no speaker ids and no ages.  652 files: Positive 218, Natural 214,
Negative 220; mono 16-bit 44.1 kHz.  A ``.wav`` outside the class folders that is audio by content is
reported (``unexpected_location``).
"""

from __future__ import annotations

import re
from pathlib import Path

from .base import Collector
from .copies import folder_name
from .errors import SKIP_BAD, SKIP_IT, bad, require_dir
from .labels import CORPUS_LABEL_MAPS
from .lone import read_as
from .record import Utterance
from .skips import SkipReport
from .source import SourceInfo

CORPUS = "csed"
CLASS_FOLDERS = {folder.lower(): folder for folder in CORPUS_LABEL_MAPS[CORPUS]}  # natural -> Natural
PREFIXES = {folder[:3].lower(): folder for folder in CORPUS_LABEL_MAPS[CORPUS]}  # nat -> Natural
# The folder each label's clips are filed in (neutral -> Natural): named where a label has no clips
# (loaders.manifest.labels_without_clips: one class folder given, not the release).
LABEL_FOLDERS = {label: folder for folder, label in CORPUS_LABEL_MAPS[CORPUS].items()}
# How the release spells each class's and gender's names (its quirks: ``Neg-Male``, ``Pos_female``): a
# name in another case (an old FAT copy's ``NAT_FEMALE-1.WAV``) is read under this spelling, reported.
RELEASE_PREFIXES = {
    ("Natural", "f"): "Nat_Female",
    ("Natural", "m"): "Nat_Male",
    ("Negative", "f"): "Neg_Female",
    ("Negative", "m"): "Neg-Male",
    ("Positive", "f"): "Pos_female",
    ("Positive", "m"): "Pos_male",
}
# matched whole (fullmatch): ``$`` lets a name end in a newline, 'Nat_Female-1\n.wav' read as a clip of its own;
# in ASCII: ``\d`` takes other scripts' digits, 'Nat_Female-１.wav' (a full-width 1) read as one too
NAME = re.compile(r"(?P<prefix>[a-z]{3})[-_](?P<gender>female|male)[-_](?P<number>\d+)", re.IGNORECASE | re.ASCII)
EXPECTED = "a folder holding 'Training Data (wav)/{Natural,Negative,Positive}/*.wav'"

INFO = SourceInfo(
    name=CORPUS,
    title="CSED: Chinese Speech Emotion Datasets (Taiwan Mandarin)",
    languages=("zho",),
    age_groups=("eld",),
    expected_count=652,
    license="Apache-2.0",
    url="https://github.com/AkishinoShiame/Chinese-Speech-Emotion-Datasets",
    layout=(
        "Chinese-Speech-Emotion-Datasets/\n"
        "  Training Data (wav)/Natural/Nat_Female-1.wav, Nat_Male-*.wav\n"
        "  Training Data (wav)/Negative/Neg_Female-*.wav, Neg-Male-*.wav\n"
        "  Training Data (wav)/Positive/Pos_female-*.wav, Pos_male-*.wav"
    ),
    citation=(
        "@inproceedings{lee2017csed,\n"
        "  title={A Deep Convolutional Neural Network Based Virtual Elderly Companion Agent},\n"
        "  author={Lee, Ming-Che and Yeh, Sheng-Cheng and Chiu, Sheng-Yu and Chang, Jia-Wei},\n"
        "  booktitle={Proceedings of the 8th ACM on Multimedia Systems Conference (MMSys '17)},\n"
        "  pages={235--238},\n"
        "  year={2017}\n"
        "}"
    ),
    notes=(
        "Valence classes positive/neutral/negative; gender from the file name; no speaker ids or ages. "
        "Following the paper, every utterance is assigned to the elderly Mandarin group (zho_eld), although "
        "the corpus README says the speech was recorded by graduate students and clipped from YouTube videos, "
        "so the speakers are probably not elderly. Many clips are hard-clipped, more often Positive and Negative "
        "than Natural ones: `prepare` and `scan --levels` count them per label."
    ),
    speech=(
        "unknown: its README says graduate students recorded it and some was clipped from YouTube videos, not "
        "whether it is acted, elicited or natural"
    ),
    filed_without_ages=(
        "its release gives no ages, and its README says graduate students recorded it and clipped it from "
        "videos, so its speakers are probably not elderly"
    ),
    caveat=(
        "**CSED speakers.** It has no speaker ids or ages. Following the paper, all of it is the elderly Mandarin group"
        " (`zho_eld`), although its README says the speech was recorded by graduate students and clipped from videos, "
        "so its speakers are probably not elderly. Its splits cannot be speaker-independent."
    ),
)


def load(root, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read CSED below ``root``: every ``*.wav`` inside a ``Natural``/``Negative``/``Positive`` folder."""
    root = require_dir(root, CORPUS, EXPECTED)
    c = Collector(CORPUS, root, skip_bad=skip_bad, report=report)
    for path in c.walk(root, lone=True):  # 'x 2.wav' with no x.wav beside it: read as x
        folder = CLASS_FOLDERS.get(folder_name(path.parent.name).lower())  # 'Natural - Copy/' alone: Natural/
        with c.item(path):
            if folder is None:
                c.stray(
                    path,
                    bad(
                        path,
                        "unexpected_location",
                        f"a wav outside the class folders {', '.join(CLASS_FOLDERS.values())}: its class is unknown",
                        "move it into the folder of its class or move it out of the corpus root",
                        SKIP_BAD,
                    ),
                )
                continue
            gender, stem = _parse_name(path, read_as(c, path).stem, folder)
            if stem != read_as(c, path).stem:
                c.other_case(path, f"{stem}{path.suffix}")
            c.add(
                path,
                native_id=f"{folder}/{stem}",
                emotions=[CORPUS_LABEL_MAPS[CORPUS][folder]],
                language="zho",
                age_group="eld",
                gender=gender,
            )
    return c.finish(expected=EXPECTED)


def _parse_name(path: Path, stem: str, folder: str) -> tuple[str, str]:
    """The gender ('f' or 'm') from a name like ``Neg-Male-12.wav``, checked against the folder, and the
    clip's stem: as the release spells it where the name differs from that only in case (:data:`RELEASE_PREFIXES`).
    ``stem``: the name parsed (a lone copy's, ``x 2.wav``, is x's: :func:`loaders.lone.read_as`)."""
    match = NAME.fullmatch(stem)
    if match is None:
        raise bad(
            path,
            "bad_name",
            f"file name {path.name!r} is not '<Pos|Nat|Neg>_<Female|Male>-<number>.wav'",
            "restore the original file name from the CSED release",
            SKIP_IT,
        )
    named = PREFIXES.get(match["prefix"].lower())
    if named != folder:
        raise bad(
            path,
            "label_mismatch",
            f"the name's class prefix {match['prefix']!r} does not match its folder {folder!r}",
            f"move the file into the folder its name belongs to ({named or 'none'})",
            SKIP_BAD,
        )
    gender = match["gender"][0].lower()
    release = f"{RELEASE_PREFIXES[(folder, gender)]}-{int(match['number'])}"  # the release pads no number
    if release.casefold() != stem.casefold():  # 'Pos_female_5', 'Neg_Male-5', 'Pos_female-05': another id
        raise bad(
            path,
            "bad_name",
            f"file name {path.name!r} is not spelled as the release spells this folder's clips: "
            f"'{RELEASE_PREFIXES[(folder, gender)]}-<number>.wav'",
            "restore the original file name from the CSED release",
            SKIP_IT,
        )
    return gender, release
