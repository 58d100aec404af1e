"""IEMOCAP: 10039 English utterances of 10 adult actors (5 dyadic sessions), 16 kHz mono.

Layout, below any folder the user names (the corpus is found by its ``Session1`` ... ``Session5``
folders)::

    IEMOCAP_full_release/Session1/
      dialog/EmoEvaluation/Ses01F_impro01.txt     one per dialog, 151 in all (only these top-level files)
      dialog/EmoEvaluation/{Categorical,Attribute,Self-evaluation}/...   other formats: ignored
      dialog/EmoEvaluation - Copy/, dialog - Copy/   a second copy: each file read once, or reported
      dialog/EmoEvaluation/ses01f_impro01.txt       one in other letters (a FAT copy's): read once, or reported
      sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav
      dialog/{wav,avi,lab,transcriptions,MOCAP_*}/, sentences/{ForcedAlignment,MOCAP_*}/, ../Documentation/
                                                   the release's other folders: not read, their audio counted

* Utterance id ``<dialog>_{F|M}NNN``; dialogs may carry suffixes (``Ses03M_impro05a``,
  ``Ses05M_script01_1b``).  The speaker is the session plus the letter of the id's last token
  (``Ses01F_impro01_M002`` is Ses01M), never the dialog's prefix letter; gender is that letter.
* EmoEvaluation blocks (TAB-separated, blank-line separated; read by :mod:`loaders.iemocap_evaluations`)::

      [6.2901 - 8.2357]	Ses01F_impro01_F000	neu	[2.5000, 2.5000, 2.5000]
      C-E2:	Neutral;	()
      A-E3:	val 3; act 2; dom  2;	()

  The summary line gives the consensus code (all 11 kept, ``xxx`` = no agreement -> ``unknown``) and
  the mean valence/arousal/dominance; ``C-`` lines are each evaluator's categories, ``A-`` lines their
  ratings.  All of it goes into ``extra``.
* A wav without an evaluation line, an evaluation line without its wav and an unknown code are bad
  input.  Hidden files (``._x.wav`` AppleDouble, ``.DS_Store``) are counted as not audio.
* Every other file of the corpus folder is accounted for (:func:`beside_release`): the audio of the release's
  own other folders (``dialog/wav/``, each dialog whole; ``dialog/avi/``) counted as not read in the scan's
  summary, without a warning; audio in any other folder (``sentences/wav_old/``, a user's ``extra/``) counted
  and named in one warning per folder; a broken link or a FIFO reported.
* No official split (leave-one-session-out is the convention: ``extra["session"]``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .base import Collector
from .copies import folder_name, named_folders, stand_in
from .errors import SKIP_BAD, LayoutError, bad, require_dir
from .iemocap_evaluations import Evaluation, read_evaluations
from .labels import CORPUS_LABEL_MAPS
from .lone import read_as
from .metafiles import case_hint, case_matches
from .record import Utterance
from .skips import SkipReport
from .source import SourceInfo
from .walk import backslashed_layout, searched, walk_tree

CODES = CORPUS_LABEL_MAPS["iemocap"]
EXPECTED = (
    "IEMOCAP_full_release/Session{1..5}/dialog/EmoEvaluation/<dialog>.txt and "
    "Session{1..5}/sentences/wav/<dialog>/<dialog>_{F|M}NNN.wav"
)

_SESSION = re.compile(r"Session([1-5])", re.IGNORECASE | re.ASCII)  # SESSION1: an old FAT copy's
# matched whole (fullmatch) and in ASCII: ``$`` lets a name end in a newline, ``\d`` takes other scripts' digits:
# 'Ses01F_impro01_F000\n.wav' or '..._F\uff10\uff10\uff10.wav' (full-width) passed for an utterance name
_UTTERANCE = re.compile(r"(?P<dialog>Ses0(?P<session>[1-5])[FM]_\w+)_(?P<letter>[FM])\d+", re.ASCII)
INFO = SourceInfo(
    name="iemocap",
    title="IEMOCAP: Interactive Emotional Dyadic Motion Capture database",
    languages=("eng",),
    age_groups=("adu",),
    expected_count=10039,
    license="USC IEMOCAP release licence (academic EULA, by request)",
    url="https://sail.usc.edu/iemocap/",
    layout=(
        "IEMOCAP_full_release/\n"
        "  Session1/ ... Session5/\n"
        "    dialog/EmoEvaluation/<dialog>.txt         (151 in all; subfolders ignored)\n"
        "    sentences/wav/<dialog>/<dialog>_{F|M}NNN.wav\n"
        "    dialog/{wav,avi,...}/ sentences/{ForcedAlignment,...}/   not read (their audio counted)"
    ),
    citation="""@article{busso2008iemocap,
  title   = {{IEMOCAP}: Interactive emotional dyadic motion capture database},
  author  = {Busso, Carlos and Bulut, Murtaza and Lee, Chi-Chun and Kazemzadeh, Abe and Mower, Emily and
             Kim, Samuel and Chang, Jeannette N. and Lee, Sungbok and Narayanan, Shrikanth S.},
  journal = {Language Resources and Evaluation},
  volume  = {42},
  number  = {4},
  pages   = {335--359},
  year    = {2008}
}""",
    notes=(
        "All 11 consensus codes are kept (xxx = evaluators did not agree -> unknown). Speaker = session + "
        "the utterance's F/M letter, not the dialog's. No official split; extra['session'] allows "
        "leave-one-session-out."
    ),
    speech="acted: actors in scripted and improvised dialogues",
    filed_without_ages="its release gives no ages",
    caveat=(
        "**IEMOCAP** keeps all 10039 utterances with their consensus code, as the paper did, including "
        "`xxx` (no agreement, label `unknown`) and `oth` (`other`)."
    ),
)


def load(root: str | os.PathLike, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    root = require_dir(root, "iemocap", EXPECTED)
    c = Collector("iemocap", root, skip_bad=skip_bad, report=report)
    sessions = find_sessions(root, onerror=c.unreadable)
    if not sessions and (err := backslashed_layout(root, "iemocap: no Session1 ... Session5 folder below this folder")):
        raise err  # its folders are in the names of its files: found no session, it would say only "no usable audio"
    evaluations = read_evaluations(c, [evaluation_files(session) for session in sessions])
    wavs = [
        path for session in sessions for folder in wav_folders(session) for path in c.walk(folder, top=root, lone=True)
    ]
    found = [
        (path, read_as(c, path).stem) for path in [*wavs, *c.evicted]
    ]  # 'x 2.wav' alone: x's  # evicted: its placeholder's clip, in its letters
    cases = case_matches(evaluations, found)  # SES01F_IMPRO01_F000.WAV: a FAT copy's
    heard = {cases.get(path.stem, path.stem) for path in c.evicted}  # its placeholder is its report
    for path in wavs:
        utterance = cases.get(stem := read_as(c, path).stem, stem)
        with c.item(path):
            heard.add(utterance)
            _add(c, path, utterance, evaluations)
    beside_release(c, root, sessions)
    for utterance in sorted(evaluations.keys() - heard):
        entry = evaluations[utterance]
        dialog = utterance.rsplit("_", 1)[0]
        wav = below(entry.source.parents[2], "sentences", "wav", dialog) / f"{utterance}.wav"  # SENTENCES/WAV: its case
        c.skip(
            bad(
                wav,
                "missing_audio",
                f"evaluated in {entry.source.name} line {entry.line} but the wav is missing",
                "re-extract the session's sentences/wav folder",
                SKIP_BAD,
            )
        )
    return c.finish(expected=EXPECTED)


def find_sessions(root: Path, onerror=None) -> list[Path]:
    """``Session1`` ... ``Session5`` folders (holding ``dialog`` or ``sentences``) at or below ``root``, and
    folders named as their second copy (``Session1 (1)``, ``Session1 - Copy``: read as that session, the
    copy of one beside it file by file, :meth:`~loaders.base.Collector.walk`); folders that cannot be
    listed go to ``onerror`` (an ``os.walk`` callback)."""
    found = []
    for dirpath, dirnames, _ in walk_tree(root, onerror=onerror):
        here = Path(dirpath)
        if _SESSION.fullmatch(folder_name(here.name)) and {"dialog", "sentences"} & {
            folder_name(d).lower() for d in dirnames
        }:
            found.append(here)
            dirnames[:] = []
        else:
            dirnames[:] = sorted(d for d in dirnames if searched(d))
    return sorted(found)


# The release's own folders beside those read, their audio (dialog/wav/: each dialog whole, 151 files; dialog/avi/)
# counted as not read, unsaid; audio in any other folder (sentences/wav_old/, a user's extra/) is named.
RELEASE_FOLDERS = {
    "top": ("documentation",),
    "dialog": ("wav", "avi", "lab", "transcriptions", "mocap_hand", "mocap_head", "mocap_rotated"),
    "sentences": ("forcedalignment", "mocap_hand", "mocap_head", "mocap_rotated"),
}
READS_FROM = "Session{1..5}/sentences/wav/"


def beside_release(c: Collector, root: Path, sessions: list[Path]) -> None:
    """Account for every file of the release beside the evaluations and wavs read
    (:meth:`~loaders.base.Collector.beside`): in the folder holding the sessions (at or below ``root``), in each
    session, its ``dialog/`` (``EmoEvaluation/``'s files counted as not audio, its audio named) and ``sentences/``."""
    for parent in sorted({session.parent for session in sessions if session.parent.is_relative_to(root)}):
        c.beside(parent, sessions, READS_FROM, RELEASE_FOLDERS["top"])
    for session in sessions:
        dialogs, sentences = named_folders(session, "dialog"), named_folders(session, "sentences")
        c.beside(session, dialogs + sentences, READS_FROM)
        for dialog in dialogs:
            evaluations = named_folders(dialog, "EmoEvaluation")
            c.beside(dialog, evaluations, READS_FROM, RELEASE_FOLDERS["dialog"])
            for folder in evaluations:
                c.not_read(folder, READS_FROM)
        for folder in sentences:  # sentences/wav/ and its copies: walked, passed over
            c.beside(folder, (), READS_FROM, RELEASE_FOLDERS["sentences"])


def evaluation_files(session: Path) -> list[Path]:
    """The top-level ``dialog/EmoEvaluation/*.txt`` files (not the subfolders, not dot-files), then those of the
    folders beside it, or beside ``dialog``, named as its second copy (``EmoEvaluation - Copy``, ``EmoEvaluation
    (1)``, ``dialog - Copy/EmoEvaluation``): each read once or reported as a copy of its counterpart
    (:meth:`~loaders.base.Collector.left_copy`; one of their own is read), not passed over unseen."""
    return [path for folder in with_copies(session, "dialog", "EmoEvaluation") for path in _evaluation_files(folder)]


def _evaluation_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    try:
        listed = list(folder.iterdir())
    except OSError as err:
        raise LayoutError(
            folder,
            "unreadable_folder",
            f"iemocap: cannot list this folder ({err.strerror or err}): its utterances' labels would be missing",
            "make it readable (chmod -R u+rX, or run as its owner)",
        ) from None
    return sorted(p for p in listed if p.suffix.lower() == ".txt" and not p.name.startswith(".") and p.is_file())


def wav_folders(session: Path) -> list[Path]:
    """``sentences/wav`` and its second copies (:func:`with_copies`): walked too, so that their files are read
    once or reported as copies file by file (one of their own is read), not passed over unseen."""
    return with_copies(session, "sentences", "wav")


def with_copies(session: Path, outer: str, inner: str) -> list[Path]:
    """``session/outer/inner`` (:func:`below`), then the folders beside it, or beside ``outer``, named as its
    second copy (``wav - Copy``, ``sentences (1)/wav``, ``dialog - Copy/EmoEvaluation``)."""
    found = [below(session, outer, inner)]
    for parent in named_folders(session, outer):
        found += [folder for folder in named_folders(parent, inner) if folder not in found]
    return found


def below(folder: Path, *names: str) -> Path:
    """``folder / names...``, each name the folder the readers read as it (:func:`~loaders.copies.stand_in`): its
    own, else in other letters (``DIALOG``, ``EMOEVALUATION``, as an old FAT copy names them), else the first in
    name order named as its second copy (``wav (1)``, ``EmoEvaluation - Copy``); as named where none is there."""
    for name in names:
        folder = stand_in(folder, name) or folder / name
    return folder


def _add(c: Collector, path: Path, utterance: str, evaluations: dict[str, Evaluation]) -> None:
    """Add the wav ``path`` of ``utterance`` (its name, or the evaluated id it is in another case)."""
    match, entry = _UTTERANCE.fullmatch(utterance), evaluations.get(utterance)
    if match is None:
        raise bad(
            path,
            "unexpected_name",
            "not an IEMOCAP utterance name (<dialog>_{F|M}NNN.wav, e.g. Ses01F_impro01_M002.wav)"
            + case_hint(utterance, evaluations),
            "remove files that are not part of the release",
            SKIP_BAD,
        )
    if entry is None:
        raise bad(
            path,
            "missing_metadata",
            f"no line for {utterance} in any dialog/EmoEvaluation/*.txt file",
            f"restore dialog/EmoEvaluation/{match['dialog']}.txt from the release",
            SKIP_BAD,
        )
    if entry.code not in CODES:
        raise bad(
            entry.source,
            "unknown_label",
            f"line {entry.line}: {path.stem} has emotion code {entry.code!r}, not one of {', '.join(CODES)}",
            "restore this file from the IEMOCAP release",
            SKIP_BAD,
        )
    if utterance != read_as(c, path).stem:
        c.other_case(path, utterance)
    speaker = f"Ses0{match['session']}{match['letter']}"
    valence, arousal, dominance = entry.vad
    c.add(
        path,
        native_id=utterance,
        emotions=[CODES[entry.code]],
        language="eng",
        age_group="adu",
        gender=match["letter"].lower(),
        speaker_id=speaker,
        extra={
            "session": int(match["session"]),
            "dialog": match["dialog"],
            "improvised": "_impro" in match["dialog"],
            "code": entry.code,
            "start_s": entry.start_s,
            "end_s": entry.end_s,
            "valence": valence,
            "arousal": arousal,
            "dominance": dominance,
            "categories": entry.categories,
            "ratings": entry.ratings,
        },
    )
