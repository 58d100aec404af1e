"""A user's own corpus in the ``audiofolder`` convention, in any language code and age groups.

>>> root = testing.make_corpus("audiofolder", tmp_path, language="ind", age_groups=("eld",))

Clips are synthesised by :mod:`loaders.testing.synth` (a language it has no voice for, such as
``ind``, sounds like ``sounds_like``, by default English: not tonal).  Labels are the user's own
Indonesian names, mapped by a ``label_map.json`` beside the metadata (or left for the caller to
give with ``label_map_in_folder=False``).  ``formats`` records each label's clips in a format of its
own (``{"marah": (22050, "PCM_24")}``: sample rate and sample format, and a container other than WAV
where a third item names it, ``(44100, "PCM_16", "FLAC")``; the others 16 kHz 16-bit WAV), a recording
format that goes with the label.  ``bad=True`` (or a set of case names from :data:`BAD_CASES`) plants
one bad row or file of each case.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ._common import FixtureWriter
from .synth import _LANGUAGES as SYNTH_LANGUAGES

# the user's label names -> shared labels (terkejut: surprise, only in multi-label rows)
LABEL_MAP = {"senang": "happiness", "marah": "anger", "sedih": "sadness", "netral": "neutral", "terkejut": "surprise"}
EMOTIONS = ("senang", "marah", "sedih", "netral")
AGES = {"eld": (64, 71, 78, 85), "adu": (24, 33, 41, 52)}
# case -> the reason the reader reports it under
BAD_CASES = {
    "missing_file": "missing_file",
    "duplicate_row": "duplicate_row",
    "bad_age": "bad_age",
    "unmapped_label": "unknown_label",
    "unlisted_file": "unlisted_file",
    "bad_language": "bad_language",
}


def make(
    writer: FixtureWriter,
    *,
    bad=False,
    corpus: str = "carehome",
    language: str = "ind",
    age_groups: tuple[str, ...] = ("eld",),
    speakers: int = 4,
    clips_per_speaker: int = 4,
    multi_label: bool = False,
    metadata: str = "csv",
    split_column: bool = False,
    label_map_in_folder: bool = True,
    sounds_like: str | None = None,
    formats: dict[str, tuple] | None = None,
) -> Path:
    """Write the corpus below ``writer.out_dir / corpus``; returns its root (the metadata's folder).

    ``speakers`` per age group (genders alternate), ``clips_per_speaker`` (times the writer's
    scale) cycling through :data:`EMOTIONS`; ``multi_label`` makes every third clip two labels;
    ``metadata``: ``csv`` or ``jsonl``; ``split_column``: a ``split`` column (the last speaker of a
    group is test, the one before validation); ``formats``: ``{user label: (sample_rate_hz, subtype[,
    container])}`` of the clips of a row whose first label it is (any other: 16 kHz 16-bit WAV)."""
    root = writer.out_dir / corpus
    voice_language = sounds_like or (language if language in SYNTH_LANGUAGES else "eng")
    rows = []
    for age_group in age_groups:
        for k in range(speakers):
            speaker, gender = f"{language}-{age_group}-s{k}", "fm"[k % 2]
            for i in range(clips_per_speaker * writer.scale):
                emotions = [EMOTIONS[(i + k) % len(EMOTIONS)]]
                if multi_label and i % 3 == 2:
                    emotions.append("terkejut")
                audio = dict(
                    zip(("sample_rate_hz", "subtype", "container"), (formats or {}).get(emotions[0], ()), strict=False)
                )
                file_name = f"clips/{speaker}/{speaker}_{i:03d}.{audio.get('container', 'WAV').lower()}"
                _clip(writer, root / file_name, speaker, gender, age_group, voice_language, emotions, **audio)
                age = AGES[age_group][k % len(AGES[age_group])]
                split = "test" if k == speakers - 1 else "validation" if k == speakers - 2 else "train"
                rows.append(
                    {
                        "file_name": file_name,
                        "emotion": emotions,
                        "language": language,
                        # half the rows give the age in years, half the age group only
                        "age": age if i % 2 == 0 else "",
                        "age_group": age_group if i % 2 else "",
                        "gender": {"f": "female", "m": "male"}[gender],
                        "speaker_id": speaker,
                        **({"split": split} if split_column else {}),
                        "text": f"kalimat {i}",
                    }
                )
    if label_map_in_folder:
        writer.text(root / "label_map.json", json.dumps(LABEL_MAP, indent=1) + "\n")
    writer.text(root / "README.md", f"---\nlicense: cc-by-4.0\npretty_name: {corpus}\n---\n# {corpus}\n")
    writer.text(root / "notes.txt", "recorded at the care home, 2025\n")  # not audio: counted, never read
    cases = set(BAD_CASES) if bad is True else set(bad or ())
    unknown = cases - set(BAD_CASES)
    if unknown:
        raise ValueError(f"unknown bad cases {sorted(unknown)}; choose from {', '.join(BAD_CASES)}")
    rows += _plant(writer, root, rows[0], cases, voice_language)
    _write_metadata(writer, root, rows, metadata)
    return root


def _clip(writer: FixtureWriter, path: Path, speaker, gender, age_group, language, emotions, **audio):
    """One clip; ``audio``: :meth:`FixtureWriter.audio`'s format options (16 kHz 16-bit WAV where none)."""
    shared = tuple(LABEL_MAP.get(e, "neutral") for e in emotions)
    writer.audio(path, speaker=speaker, gender=gender, age_group=age_group, language=language, emotions=shared, **audio)


def _plant(writer: FixtureWriter, root: Path, first: dict, cases: set[str], language: str) -> list[dict]:
    """One bad row or file per case; the rows to add to the metadata."""
    rows = []

    def clip(stem: str, **changes) -> None:
        file_name = f"clips/bad/{stem}.wav"
        _clip(writer, root / file_name, "bad-s0", "f", first["age_group"] or "eld", language, ["netral"])
        rows.append({**first, "file_name": file_name, **changes})

    if "missing_file" in cases:
        rows.append({**first, "file_name": "clips/bad/missing.wav"})
    if "duplicate_row" in cases:
        rows.append(dict(first))
    if "bad_age" in cases:
        clip("bad_age", age="seventy", age_group="")
    if "unmapped_label" in cases:
        clip("unmapped_label", emotion=["bingung"])
    if "bad_language" in cases:
        clip("bad_language", language="Indonesian")
    if "unlisted_file" in cases:
        _clip(writer, root / "clips" / "bad" / "unlisted.wav", "bad-s0", "f", "eld", language, ["netral"])
    return rows


def _write_metadata(writer: FixtureWriter, root: Path, rows: list[dict], kind: str) -> None:
    if kind == "jsonl":
        lines = [json.dumps({k: v for k, v in row.items() if v != ""}, ensure_ascii=False) for row in rows]
        writer.text(root / "metadata.jsonl", "\n".join(lines) + "\n")
        return
    if kind != "csv":
        raise ValueError(f"metadata must be 'csv' or 'jsonl', not {kind!r}")
    buf = io.StringIO()
    out = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    out.writeheader()
    out.writerows({**row, "emotion": ";".join(row["emotion"])} for row in rows)
    writer.text(root / "metadata.csv", buf.getvalue())
