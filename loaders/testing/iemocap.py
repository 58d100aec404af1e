"""IEMOCAP fixtures: ``IEMOCAP_full_release/Session{1..5}/`` with EmoEvaluation files and wavs.

Quirks always present: suffixed dialog ids, utterances whose speaker letter differs from the
dialog's prefix letter, decoy ``.txt`` files in ``EmoEvaluation/{Categorical,Attribute,
Self-evaluation}/``, and hidden files (AppleDouble ``._*.wav``/``._*.txt``, ``.DS_Store``) in the
first dialog of every session.  ``small``: five dialogs covering all 11 consensus codes.
``full``: all 151 dialogs and 10039 utterances with the real consensus-code totals.
``bad=True`` adds to ``Ses01F_impro01`` an unknown code (F900), a wav without an evaluation line
(M900), an evaluation line without its wav (F901), a git-LFS stub (M901) and a truncated wav (F902).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..iemocap import CODES
from ._common import FixtureWriter

# All 151 dialog ids of the release, by session and prefix letter.
_DIALOG_SUFFIXES = {
    "Ses01F": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses01M": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses02F": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 impro08 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses02M": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 impro08 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses03F": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 impro08 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses03M": "impro01 impro02 impro03 impro04 impro05a impro05b impro06 impro07 impro08a impro08b script01_1 "
    "script01_2 script01_3 script02_1 script02_2 script03_1 script03_2",
    "Ses04F": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 impro08 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses04M": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 impro08 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses05F": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 impro08 script01_1 script01_2 script01_3 "
    "script02_1 script02_2 script03_1 script03_2",
    "Ses05M": "impro01 impro02 impro03 impro04 impro05 impro06 impro07 impro08 script01_1 script01_1b script01_2 "
    "script01_3 script02_1 script02_2 script03_1 script03_2",
}
DIALOGS: tuple[str, ...] = tuple(f"{p}_{s}" for p, suffixes in _DIALOG_SUFFIXES.items() for s in suffixes.split())

# Consensus-code totals over the 10039 utterances of the release.
CODE_TOTALS = {
    "xxx": 2507, "fru": 1849, "neu": 1708, "ang": 1103, "sad": 1084, "exc": 1041,
    "hap": 595, "sur": 107, "fea": 40, "oth": 3, "dis": 2,
}  # fmt: skip

# small: dialog -> (speaker letter, code) per utterance; Ses01F_impro01 has M (Ses01M) turns.
SMALL = {
    "Ses01F_impro01": [("F", "neu"), ("M", "fru"), ("F", "xxx"), ("M", "ang")],
    "Ses02F_script02_2": [("M", "neu"), ("F", "sad")],
    "Ses03M_impro05a": [("M", "sad"), ("F", "exc"), ("M", "hap")],
    "Ses04M_impro02": [("F", "xxx"), ("M", "fru")],
    "Ses05M_script01_1b": [("F", "sur"), ("M", "fea"), ("F", "dis"), ("M", "oth")],
}

# code -> the category evaluators write, and the mean (valence, arousal, dominance) around which ratings fall.
CATEGORY = {
    "neu": "Neutral", "fru": "Frustration", "ang": "Anger", "sad": "Sadness", "exc": "Excited",
    "hap": "Happiness", "sur": "Surprise", "fea": "Fear", "dis": "Disgust", "oth": "Other",
}  # fmt: skip
VAD = {
    "neu": (3.0, 2.5, 3.0), "fru": (2.0, 3.5, 3.5), "ang": (1.5, 4.0, 4.0), "sad": (2.0, 2.0, 2.0),
    "exc": (4.0, 4.0, 3.5), "hap": (4.0, 3.0, 3.0), "sur": (3.5, 4.0, 3.0), "fea": (2.0, 4.0, 2.0),
    "dis": (1.5, 3.0, 3.5), "oth": (3.0, 3.0, 3.0), "xxx": (2.5, 3.0, 3.0),
}  # fmt: skip

APPLEDOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(64)
HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"


def full_plan(seed: int) -> dict[str, list[tuple[str, str]]]:
    """dialog -> (letter, code) per utterance: the real code totals spread over all 151 dialogs."""
    codes = np.array([code for code, n in CODE_TOTALS.items() for _ in range(n)])
    np.random.default_rng(seed).shuffle(codes)
    base, extra = divmod(len(codes), len(DIALOGS))
    plan, start = {}, 0
    for i, dialog in enumerate(DIALOGS):
        n = base + (i < extra)
        plan[dialog] = [("FM"[(i + k) % 2], str(code)) for k, code in enumerate(codes[start : start + n])]
        start += n
    return plan


def _block(utterance: str, letter: str, code: str, start_s: float, rng: np.random.Generator) -> str:
    end_s = start_s + 1.0 + rng.random() * 3
    vad = [min(5.0, max(1.0, m + 0.5 * int(rng.integers(-1, 2)))) for m in VAD.get(code, (3.0, 3.0, 3.0))]
    lines = [f"[{start_s:.4f} - {end_s:.4f}]\t{utterance}\t{code}\t[{vad[0]:.4f}, {vad[1]:.4f}, {vad[2]:.4f}]"]
    disagreeing = ("Frustration", "Anger", "Neutral")
    for k, evaluator in enumerate(("C-E1", "C-E2", "C-E3", f"C-{letter}1")):
        category = disagreeing[k % 3] if code not in CATEGORY else CATEGORY[code]
        lines.append(f"{evaluator}:\t{category};\t()" if k != 1 else f"{evaluator}:\t{category}; Other;\t(curious)")
    for evaluator in ("A-E1", "A-E2", f"A-{letter}1"):
        v, a, d = (int(round(x)) for x in vad)
        lines.append(f"{evaluator}:\tval {v}; act {a}; dom  {d};\t()")
    return "\n".join(lines) + "\n\n"


# (utterance, letter, code or None (no evaluation line), wav kind or None (no wav))
Item = tuple[str, str, str | None, str | None]


def make(writer: FixtureWriter, *, bad: bool = False) -> Path:
    root = writer.out_dir / "IEMOCAP_full_release"
    rng = np.random.default_rng(writer.seed)
    small = {dialog: turns * writer.scale for dialog, turns in SMALL.items()}  # scale: more turns per dialog
    items = _items(full_plan(writer.seed) if writer.full else small, bad=bad)
    seen_sessions = set()
    for dialog, rows in items.items():
        session = root / f"Session{int(dialog[4])}"
        _write_dialog(writer, session, dialog, rows, rng)
        if session not in seen_sessions:
            seen_sessions.add(session)
            _write_hidden_files(session, dialog, rows)
    return root


def _items(plan: dict[str, list[tuple[str, str]]], *, bad: bool) -> dict[str, list[Item]]:
    """``{dialog: items}``: the plan's turns numbered per speaker letter, plus the bad ones."""
    items: dict[str, list[Item]] = {}
    for dialog, turns in plan.items():
        numbers = {"F": 0, "M": 0}
        items[dialog] = []
        for letter, code in turns:
            items[dialog].append((f"{dialog}_{letter}{numbers[letter]:03d}", letter, code, "wav"))
            numbers[letter] += 1
    if bad:
        first = "Ses01F_impro01"
        items[first] += [
            (f"{first}_F900", "F", "bor", "wav"),  # unknown code
            (f"{first}_M900", "M", None, "wav"),  # no evaluation line
            (f"{first}_F901", "F", "neu", None),  # no wav
            (f"{first}_M901", "M", "ang", "lfs"),
            (f"{first}_F902", "F", "sad", "truncated"),
        ]
    return items


def _write_dialog(writer: FixtureWriter, session: Path, dialog: str, rows: list[Item], rng) -> None:
    """One dialog's wavs, its evaluation file and the decoy evaluation formats beside it."""
    evaluation = session / "dialog" / "EmoEvaluation"
    wav_dir = session / "sentences" / "wav" / dialog
    text, start_s = HEADER, 2.0 + rng.random() * 4
    for utterance, letter, code, kind in rows:
        if code is not None:
            text += _block(utterance, letter, code, start_s, rng)
            start_s += 5.0
        if kind is None:
            continue
        path = wav_dir / f"{utterance}.wav"
        label = CODES.get(code or "xxx", "unknown")
        writer.audio(
            path, speaker=dialog[:5] + letter, gender=letter.lower(), age_group="adu", language="eng", emotions=[label]
        )
        if kind == "lfs":
            writer.lfs_pointer(path)
        elif kind == "truncated":
            writer.truncate(path, keep_bytes=2000)
    writer.text(evaluation / f"{dialog}.txt", text)
    # decoys: other formats of the same evaluations, one folder down
    writer.text(evaluation / "Categorical" / f"{dialog}_e1_cat.txt", f"{rows[0][0]} :Neutral; ()\n")
    writer.text(evaluation / "Attribute" / f"{dialog}_e2_atr.txt", f"{rows[0][0]} :act 2; val 3; dom 2; ()\n")
    # the actors' own ratings, in the top-level format: read as evaluations they would clash
    self_rated = "".join(f"[0.0000 - 1.0000]\t{row[0]}\toth\t[3.0000, 3.0000, 3.0000]\n\n" for row in rows)
    writer.text(evaluation / "Self-evaluation" / f"{dialog}.txt", HEADER + self_rated)


def _write_hidden_files(session: Path, dialog: str, rows: list[Item]) -> None:
    """Hidden files, as macOS leaves them, beside the session's first dialog."""
    evaluation = session / "dialog" / "EmoEvaluation"
    wav_dir = session / "sentences" / "wav" / dialog
    (wav_dir / f"._{rows[0][0]}.wav").write_bytes(APPLEDOUBLE)
    (wav_dir / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(32))
    (session / "sentences" / "wav" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(32))
    (evaluation / f"._{dialog}.txt").write_bytes(APPLEDOUBLE)
