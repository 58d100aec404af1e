"""TESS: the Toronto emotional speech set, two English female speakers: OAF (aged 64, elderly) and
YAF (aged 26, adult), 200 target words x 7 emotions each.

Two layouts circulate; both are read, and so is any folder above them::

    (a) the original archive: one flat folder      (b) the common redistribution
        OAF_back_angry.wav ... (2800 files)            TESS Toronto emotional speech set data/
                                                         OAF_angry/ OAF_Fear/ OAF_Pleasant_surprise/ ...
                                                         YAF_angry/ ... YAF_pleasant_surprised/ YAF_sad/
                                                         [TESS Toronto emotional speech set data/  (a second copy)
                                                           OAF_angry/ ...]

Everything comes from the file name ``{OAF|YAF}_{word}_{emotion}.wav`` (emotion: angry disgust fear
happy neutral ps sad; ``ps`` is pleasant surprise): folder names vary in case and at least one file
sits in the other speaker's folder, so folders are ignored.  Copies at several depths are
de-duplicated by file name (case-insensitively); the shallowest copy is read.  The audio is mostly
24414 Hz PCM16 but not uniformly (a 96 kHz file, 32-bit float files, AIFF bytes behind ``.wav``):
every file is probed by content.  Files whose names do not start with ``OAF_``/``YAF_`` are not
TESS files and are ignored, so the root may hold other corpora too.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import Collector, SourceInfo, bad, require_dir, walk_files
from .errors import SkipReport
from .labels import CORPUS_LABEL_MAPS
from .record import Utterance

CORPUS = "tess"
EMOTIONS = CORPUS_LABEL_MAPS[CORPUS]
# speaker -> (age group, age in years); both speakers are women.
SPEAKERS: dict[str, tuple[str, int]] = {"OAF": ("eld", 64), "YAF": ("adu", 26)}
_EXPECTED = "OAF_*.wav and YAF_*.wav files (a flat folder, or 'TESS Toronto emotional speech set data/<emotion>/')"

INFO = SourceInfo(
    name=CORPUS,
    title="TESS: Toronto emotional speech set",
    languages=("eng",),
    age_groups=("eld", "adu"),
    expected_count=2800,
    license="CC BY-NC-ND 4.0",
    url="https://doi.org/10.5683/SP2/E8H2MF",
    layout=(
        "(a) <folder>/OAF_back_angry.wav ... (2800 files, flat)\n"
        "(b) TESS Toronto emotional speech set data/{OAF,YAF}_<emotion>/*.wav (14 folders, case varies,\n"
        "    sometimes duplicated one level deeper)"
    ),
    citation=(
        "@data{tess2020,\n"
        "  author={Pichora-Fuller, M. Kathleen and Dupuis, Kate},\n"
        "  title={Toronto emotional speech set ({TESS})},\n"
        "  publisher={Scholars Portal Dataverse}, version={V1}, year={2020},\n"
        "  doi={10.5683/SP2/E8H2MF}\n"
        "}"
    ),
    notes=(
        "OAF (64) is elderly, YAF (26) adult: 1400 clips each. Labels from the file name, never the folder "
        "(one misfiled file explains the 1399/1401 split of some copies). Mixed sample rates and formats: "
        "decoded by content and resampled. No official split."
    ),
)


def load(root: str | os.PathLike, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read TESS below ``root`` (either layout, or any folder above it)."""
    root = require_dir(root, CORPUS, _EXPECTED)
    c = Collector(CORPUS, root, skip_bad=skip_bad, report=report)
    copies: dict[str, list[Path]] = {}
    for path in walk_files(root):
        if path.name[:4].upper() in ("OAF_", "YAF_"):
            copies.setdefault(path.name.lower(), []).append(path)
    for paths in copies.values():
        path = min(paths, key=lambda p: (len(p.parts), str(p)))
        with c.item(path):
            speaker, word, emotion = _parse_name(path)
            age_group, age = SPEAKERS[speaker]
            c.add(
                path,
                native_id=f"{speaker}_{word}_{emotion}",
                emotions=[EMOTIONS[emotion]],
                language="eng",
                age_group=age_group,
                age=age,
                gender="f",
                speaker_id=speaker,
                text=word,
            )
    return c.finish(expected=_EXPECTED)


def _parse_name(path: Path) -> tuple[str, str, str]:
    parts = path.stem.split("_")
    if len(parts) != 3 or not parts[1]:
        raise bad(
            path,
            "bad_name",
            "file name is not {OAF|YAF}_{word}_{emotion}.wav (e.g. OAF_back_angry.wav)",
            "rename or remove this file, or pass --skip-bad to skip it",
        )
    speaker, word, emotion = parts[0].upper(), parts[1].lower(), parts[2].lower()
    if emotion not in EMOTIONS:
        raise bad(
            path,
            "unknown_label",
            f"unknown emotion {parts[2]!r} in the file name; TESS uses {', '.join(EMOTIONS)}",
            "rename or remove this file, or pass --skip-bad to skip it",
        )
    return speaker, word, emotion
