"""YueMotion as published (wavs from ``data.tar.bz2`` plus three metadata CSVs).

The roster reproduces the published structure: 18 speakers, 11 adults (7 F + 4 M) and 7 elderly
(5 F + 2 M) under the authors' threshold of age >= 59, one of them aged exactly 59; the ages
themselves are invented.  The CSV splits follow the authors' recipe (0.5 / 0.15 / 0.35 within each
gender x age group, stratified by emotion), which in full size gives 540 / 162 / 378.

Layouts: ``extracted`` (``data/*.wav`` beside the CSVs), ``moved`` (the
``{female,male}/{elderly,non_elderly}/`` tree the authors' loader left behind), ``archive`` (only
``data.tar.bz2`` and the CSVs, not yet extracted).  ``metadata=False`` leaves the CSVs out.
"""

from __future__ import annotations

import csv
import io
import shutil
import tarfile
from pathlib import Path

import numpy as np

from ..labels import CORPUS_LABEL_MAPS
from ..yuemotion import ELDERLY_MIN_AGE
from ._common import FixtureWriter

LAYOUTS = ("extracted", "moved", "archive")
# (speaker, gender, age): 7 F + 4 M adults, 5 F + 2 M elderly (speaker 12 is 59: elderly for YueMotion)
ROSTER = (
    (1, "f", 23),
    (2, "f", 31),
    (3, "f", 45),
    (4, "m", 26),
    (5, "f", 27),
    (6, "m", 34),
    (7, "f", 52),
    (8, "m", 29),
    (9, "f", 38),
    (10, "m", 41),
    (11, "f", 22),
    (12, "f", 59),
    (13, "f", 63),
    (14, "m", 60),
    (15, "f", 68),
    (16, "f", 71),
    (17, "f", 66),
    (18, "m", 74),
)
SMALL_SPEAKERS = (2, 4, 12, 14)  # adult F, adult M, elderly F aged 59, elderly M
SENTENCES = 10
SMALL_SENTENCES = 2
SAMPLE_RATE_HZ = 16000
SPLIT_SHARES = (("train", 50), ("validation", 15), ("test", 35))  # percent, within gender x age group
COLUMNS = ("split", "speaker_id", "path", "gender", "age", "sentence_id", "label_id", "label")


def file_name(speaker: int, gender: str, age: int, sentence: int, label_id: int) -> str:
    return f"{speaker:02d}_{gender}{age}_{sentence:02d}_{label_id}.wav"


def make(writer: FixtureWriter, *, bad: bool = False, layout: str = "extracted", metadata: bool = True) -> Path:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    root = writer.out_dir / "YueMotion"
    staging = writer.pool_dir / "yuemotion-archive" if layout == "archive" else None
    speakers = ROSTER if writer.full else [s for s in ROSTER if s[0] in SMALL_SPEAKERS]
    items = []  # (name, speaker, gender, age, sentence, label_id)
    for speaker, gender, age in speakers:
        for sentence in range(1, (SENTENCES if writer.full else min(SENTENCES, SMALL_SENTENCES * writer.scale)) + 1):
            for label_id in range(1, 7):
                name = file_name(speaker, gender, age, sentence, label_id)
                items.append((name, speaker, gender, age, sentence, label_id))
                _wav(writer, _place(root, staging, layout, name, gender, age), speaker, gender, age, label_id)
    rows = [_row(split, *item) for item, split in _splits(items, writer.seed)]

    if bad:
        adult_f = next(s for s in speakers if s[1] == "f" and s[2] < ELDERLY_MIN_AGE)
        spk, g, age = adult_f
        unknown = file_name(spk, g, age, 11, 7)
        _wav(writer, _place(root, staging, layout, unknown, g, age), spk, g, age, 1)
        stub = file_name(spk, g, age, 11, 4)
        writer.lfs_pointer(_place(root, staging, layout, stub, g, age))
        rows.append(_row("train", stub, spk, g, age, 11, 4))
        if metadata:
            rows.append(_row("train", file_name(spk, g, age, 11, 2), spk, g, age, 11, 2))  # no such wav
            unlisted = file_name(spk, g, age, 12, 3)
            _wav(writer, _place(root, staging, layout, unlisted, g, age), spk, g, age, 3)
            mismatch = file_name(spk, g, age, 11, 5)
            _wav(writer, _place(root, staging, layout, mismatch, g, age), spk, g, age, 5)
            rows.append(_row("test", mismatch, spk, g, age, 11, 6))  # the CSV says disgust, the name fear

    if metadata:
        for split, _ in SPLIT_SHARES:
            out = io.StringIO()
            table = csv.writer(out, lineterminator="\n")
            table.writerow(COLUMNS)
            table.writerows([row[c] for c in COLUMNS] for row in rows if row["split"] == split)
            writer.text(root / f"{split}_metadata.csv", out.getvalue())
    writer.text(root / "README.md", "---\nlicense: cc-by-sa-4.0\n---\n")
    if staging is not None:
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(root / "data.tar.bz2", "w:bz2") as tar:
            tar.add(staging / "data", arcname="data")
        shutil.rmtree(staging)
    return root


def _place(root: Path, staging: Path | None, layout: str, name: str, gender: str, age: int) -> Path:
    if layout == "moved":
        group = "elderly" if age >= ELDERLY_MIN_AGE else "non_elderly"
        return root / ("female" if gender == "f" else "male") / group / name
    return (staging or root) / "data" / name


def _wav(writer: FixtureWriter, path: Path, speaker: int, gender: str, age: int, label_id: int) -> None:
    writer.audio(
        path,
        speaker=f"yue{speaker:02d}",
        gender=gender,
        age_group="eld" if age >= ELDERLY_MIN_AGE else "adu",
        language="yue",
        emotions=(CORPUS_LABEL_MAPS["yuemotion"][str(label_id)],),
        sample_rate_hz=SAMPLE_RATE_HZ,
    )


def _row(split, name, speaker, gender, age, sentence, label_id) -> dict:
    return {
        "split": split,
        "speaker_id": speaker,
        "path": f"data/{name}",
        "gender": "female" if gender == "f" else "male",
        "age": age,
        "sentence_id": sentence,
        "label_id": label_id,
        "label": CORPUS_LABEL_MAPS["yuemotion"][str(label_id)],
    }


def _splits(items, seed: int):
    """(item, split) with 0.5/0.15/0.35 of each gender x age group, stratified by emotion."""
    rng = np.random.default_rng(seed)
    groups: dict = {}
    for item in items:
        groups.setdefault((item[2], item[3] >= ELDERLY_MIN_AGE), []).append(item)
    for _, members in sorted(groups.items()):
        shuffled = [members[i] for i in rng.permutation(len(members))]
        rank = {}
        seen: dict = {}
        for item in shuffled:
            rank[item[0]] = seen.get(item[5], 0)
            seen[item[5]] = rank[item[0]] + 1
        ordered = sorted(shuffled, key=lambda item: (rank[item[0]], item[5]))  # emotions interleaved
        n = len(ordered)
        start = 0
        for split, percent in SPLIT_SHARES:
            end = n if split == "test" else start + n * percent // 100
            for item in ordered[start:end]:
                yield item, split
            start = end
