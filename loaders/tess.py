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
happy neutral ps sad; ``ps`` is pleasant surprise): folder names vary in case and at least one file sits
in the other speaker's folder, so folders are ignored. A name in another case than the release's
(``oaf_Back_ANGRY.WAV``, as a FAT copy or a Windows tool may leave it) is read under the release's name,
counted and named in one warning. Copies at several depths are de-duplicated by file name (case-
insensitively): the shallowest copy is read; a deeper one with its bytes is a duplicate copy, named in one
warning, one with other bytes a ``copy_name`` error naming both (with ``skip_bad`` a counted skip), and a further
copy with the bytes of a copy so reported (another version, copied twice) a duplicate copy, named in a warning. Two beside
each other named alike but for case are one clip in two names: read once, or reported
(:func:`loaders.copy_reports.case_copies`). The audio is mostly 24414 Hz PCM16 but not uniformly (a 96 kHz file,
32-bit float files, AIFF bytes behind ``.wav``): every file is probed by content. A file in a
``{OAF|YAF}_<emotion>`` folder whose name lacks the speaker prefix or has it truncated
(``back_angry.wav``, ``AF_back_angry.wav``) is read with the folder's speaker. Any other ``.wav`` below
the root that is audio by content is reported (``bad_name``); one that is not audio is counted as such.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import Collector
from .copies import folder_name
from .copy_reports import copy_elsewhere
from .errors import SKIP_BAD, SKIP_IT, bad, require_dir
from .labels import CORPUS_LABEL_MAPS
from .lone import read_as
from .named import warn_files
from .record import Utterance
from .skips import SkipReport
from .source import SourceInfo

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
    speech="acted: two actresses saying set words in a carrier phrase",
    ages_from="its two speakers' ages (64 and 26, as the release describes them)",
    caveat=(
        "**TESS has one speaker per group** (OAF, aged 64, is `eng_eld`; YAF, aged 26, is `eng_adu`), so "
        "every TESS split of a group holds the same speaker; the `speaker` protocol keeps the 200 words "
        "disjoint between splits instead. The paper reports 699/200/500 and 700/201/500 from a copy with "
        "one misfiled file; a correct copy (1400 + 1400 files) gives 700/200/500 and 699/201/500."
    ),
)


def load(root: str | os.PathLike, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read TESS below ``root`` (either layout, or any folder above it)."""
    root = require_dir(root, CORPUS, _EXPECTED)
    c = Collector(CORPUS, root, skip_bad=skip_bad, report=report)
    copies: dict[str, list[tuple[Path, str]]] = {}
    for path in c.walk(root, lone=True):  # 'x 2.wav' with no x.wav beside it: read as x
        stem = _full_stem(read_as(c, path))
        if stem is None:
            with c.item(path):
                c.stray(
                    path,
                    bad(
                        path,
                        "bad_name",
                        "a wav whose name does not start with OAF_ or YAF_, outside an {OAF|YAF}_<emotion> folder: "
                        "its speaker is unknown",
                        "rename it to {OAF|YAF}_{word}_{emotion}.wav or move it out of the corpus root",
                        SKIP_BAD,
                    ),
                )
            continue
        copies.setdefault(stem.lower(), []).append((path, stem))
    deeper: list[tuple[Path, Path, bool]] = []  # (a copy elsewhere, the earlier one it repeats, whether that is read)
    for found in copies.values():
        first, _ = min(found, key=lambda item: (len(item[0].parts), str(item[0])))
        alike = [item for item in found if item[0].name.casefold() == first.name.casefold()]
        alike = [(path, stem) for path, stem in alike if path.parent == first.parent]  # in other letters beside it
        earlier: list[Path] = []  # the copies compared before, each reported (or set aside) already
        for path in sorted((p for p, stem in found if (p, stem) not in alike), key=lambda p: (len(p.parts), str(p))):
            _set_aside(c, path, first, deeper, earlier)  # a copy deeper or elsewhere, the shallower first
            earlier.append(path)
        for path, stem in alike:  # read, then one clip in two names: Collector.finish's (copy_reports.case_copies)
            _read(c, path, stem)
    _warn_copies(c, deeper)
    return c.finish(expected=_EXPECTED)


def _warn_copies(c: Collector, deeper: list[tuple[Path, Path, bool]]) -> None:
    """One warning naming the deeper copies set aside with the bytes of the file read, one naming those with the
    bytes of a copy reported already (of another version of the clip): each is counted as a duplicate copy."""
    read = [(path, twin) for path, twin, of_read in deeper if of_read]
    if read:
        said = (
            f"a second copy of {read[0][1].relative_to(c.root).as_posix()} (TESS's folders copied again, one level "
            "deeper), with the same bytes: read once, as that file (counted as duplicate copies); delete the deeper "
            "copy to silence this"
        )
        warn_files(c, "deeper_copy", read, said, 4)  # the caller of loaders.load
    if again := [(path, twin) for path, twin, of_read in deeper if not of_read]:
        said = (
            f"the same bytes as {again[0][1].relative_to(c.root).as_posix()}, a copy of the clip skipped as copy_name "
            "(its bytes differ from the file read; listed with the skipped inputs): counted as duplicate copies, not "
            "skipped again; keep one version of the clip and delete the other copies to silence this"
        )
        warn_files(c, "deeper_copy_of_skipped", again, said, 4)


def _set_aside(
    c: Collector, path: Path, first: Path, deeper: list[tuple[Path, Path, bool]], earlier: list[Path]
) -> None:
    """``path``, a second copy of the clip ``first`` is (deeper in the tree, or in another folder), compared by
    its bytes with ``first``, then with the ``earlier`` copies of it (:func:`~loaders.copy_reports.copy_elsewhere`;
    ``deeper`` collects the duplicates, each with the file it repeats, for the warnings): which version is the
    clip is the user's to say, and each version is reported once, however many copies hold it."""
    name = first.relative_to(c.root).as_posix()
    where = f"a second copy of {name} (TESS's folders copied again, one level deeper, or a clip filed twice)"
    fix = f"keep the right one as {name} and delete the other"
    if twin := copy_elsewhere(c, path, first, where, fix, f"pass --skip-bad (reads {name})", earlier):
        deeper.append((path, twin, twin == first))


def _read(c: Collector, path: Path, stem: str) -> None:
    with c.item(path):
        speaker, word, emotion = _parse_name(path, stem)
        if stem != (release := f"{speaker}_{word}_{emotion}"):  # OAF_back_ANGRY.WAV, as a FAT copy leaves it
            c.other_case(path, f"{release}.wav")
        age_group, age = SPEAKERS[speaker]
        c.add(
            path,
            native_id=release,
            emotions=[EMOTIONS[emotion]],
            language="eng",
            age_group=age_group,
            age=age,
            gender="f",
            speaker_id=speaker,
            text=word,
        )


def _full_stem(path: Path) -> str | None:
    """The clip's full name ``{OAF|YAF}_{word}_{emotion}``: the file's own stem, or, in a speaker's
    ``{OAF|YAF}_<emotion>`` folder, the stem with a missing or truncated speaker prefix restored
    (``back_angry``, ``AF_back_angry``); None when neither name nor folder gives the speaker."""
    if path.name[:4].upper() in ("OAF_", "YAF_"):
        return path.stem
    speaker = folder_name(path.parent.name)[:4].upper()  # 'Copy of OAF_angry/' is OAF_angry/
    if speaker not in ("OAF_", "YAF_"):
        return None
    parts = path.stem.split("_")
    if len(parts) == 3 and parts[0] and speaker[:3].endswith(parts[0].upper()):
        parts = parts[1:]
    return "_".join([speaker[:3], *parts]) if len(parts) == 2 else None


def _parse_name(path: Path, stem: str) -> tuple[str, str, str]:
    parts = stem.split("_")
    if len(parts) != 3 or not parts[1]:
        raise bad(
            path,
            "bad_name",
            "file name is not {OAF|YAF}_{word}_{emotion}.wav (e.g. OAF_back_angry.wav)",
            "rename or remove this file",
            SKIP_IT,
        )
    speaker, word, emotion = parts[0].upper(), parts[1].lower(), parts[2].lower()
    if emotion not in EMOTIONS:
        raise bad(
            path,
            "unknown_label",
            f"unknown emotion {parts[2]!r} in the file name; TESS uses {', '.join(EMOTIONS)}",
            "rename or remove this file",
            SKIP_IT,
        )
    return speaker, word, emotion
