"""A user's own corpus in the Hugging Face ``audiofolder`` convention, under a name the user chooses.

Layout (the root is the folder holding the metadata)::

    carehome/
      metadata.csv        (or metadata.jsonl; exactly one of them)
      label_map.json      (optional, or label_map.csv: the user's label names -> shared labels)
      README.md           (optional: its YAML header's ``license:`` and ``pretty_name:`` are used)
      clips/0001.wav ...  (any audio format, found by content; paths relative to the root)

Columns (a CSV header, or the keys of each JSON line): ``file_name``; ``emotion`` or ``emotions`` (several labels per
clip separated by ``;``, ``,``, ``|`` or ``、``, or a JSON list); ``language`` (ISO 639-3, e.g. ``yue``); ``age``
in years and/or ``age_group`` (``eld``/``adu``/``長者``; elderly = 60+, Cantonese 59+ as YueMotion's, ages under 18 are refused); optional ``gender``
(f/m/female/male/女/男), ``speaker_id``, ``split`` (train/validation/test) and ``text``.  Other columns are ignored.

Labels: a name of the 13 shared labels (:data:`loaders.labels.LABELS`, any case) is taken as it
is; any other name must be mapped by the label map (``{"happy": "happiness", "mixed": ["anger",
"sadness"]}``, or a two-column CSV, ``mixed,anger|sadness``), given with :class:`AudioFolder`
(``--label-map NAME=FILE``) or found beside the metadata.  The corpus's label space is the labels its map and rows name.

Every file below the root (matched with the rows by :mod:`loaders.audiofolder_files`) is read (a listed clip), counted
as not audio by content (or, iCloud's placeholder, of no row's file), or reported (``unlisted_file``; a listed clip's placeholder, ``icloud_placeholder``, for its row); every
row (:mod:`loaders.metadata`) is read or reported by line (``missing_file``, ``duplicate_row``, ``bad_age`` …).  With
``skip_bad`` these become counted skips.  Nothing is written below the root.  Reading registers its ``SourceInfo``.
"""

from __future__ import annotations

import codecs
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import register_source
from .audiofolder_files import read_files
from .base import Collector
from .errors import BadFileError, InputWarning, LayoutError, some_files
from .label_map import LabelMap, read_label_map
from .labels import LABELS
from .metadata import Row, parse_rows
from .metafiles import METADATA_FILES, metadata_files, read_text
from .record import Utterance
from .skips import SkipReport
from .source import SourceInfo
from .unread import is_audio

LABEL_MAP_FILES = ("label_map.json", "label_map.csv")
CARD_FILE = "README.md"
DEFAULT_LICENSE = "unknown (user corpus)"
NAME = re.compile(r"[a-z][a-z0-9_]*")
EXPECTED = (
    "a folder holding metadata.csv or metadata.jsonl (file_name, emotion, language, age or age_group) and its audio"
)
# Where a user reads the format in full: the installed package prints it (from loaders/data/own_corpus.md,
# which docs/corpora.md's section is generated from; a pip install has no docs/)
FORMAT_HELP = "`bimotion sources --own-corpus` prints its format"


@dataclass(frozen=True)
class AudioFolder:
    """A user corpus's folder with what the command line adds to it: the label map (a file, or a
    mapping) and the licence (default: the README's ``license:``, else :data:`DEFAULT_LICENSE`)."""

    root: str | os.PathLike
    label_map: str | os.PathLike | Mapping | None = None
    license: str | None = None


def source_root(source: str | os.PathLike | AudioFolder) -> Path:
    """The folder of a corpus source (a folder, or an :class:`AudioFolder`'s ``root``), absolute: the one
    way to it (a :class:`~pathlib.Path`'s own ``root`` attribute is its drive's root, ``/``)."""
    return Path(source.root if isinstance(source, AudioFolder) else source).expanduser().resolve()


def is_audiofolder(root: str | os.PathLike) -> bool:
    """Whether ``root`` holds ``metadata.csv`` or ``metadata.jsonl`` (:func:`~loaders.metafiles.metadata_files`)."""
    return bool(metadata_files(root))


def why_not_audiofolder(root: str | os.PathLike) -> tuple[str, bool]:
    """Why ``root`` is not a user corpus's folder, in words naming it and the likely fix, and whether
    that tells of a mistyped DIR (False only for an existing folder with no metadata-like file at all):
    it does not exist, it is a file (the metadata itself: give its folder), it holds a metadata file of
    another case or extension, or a subfolder holds the metadata, or a folder up to three levels above it."""
    path = Path(root).expanduser()
    wanted = " or ".join(METADATA_FILES)
    if not path.exists():
        return f"{root} does not exist", True
    if not path.is_dir():
        if path.name.lower().startswith("metadata."):
            return f"{root} is the metadata file: give the folder that holds it, {path.parent}", True
        return f"{root} is a file, not a folder holding {wanted}", True
    try:
        children = sorted(path.iterdir())
    except OSError as err:
        return f"{root} cannot be listed ({err.strerror or err})", True
    near = [c.name for c in children if c.is_file() and c.name.lower().startswith("metadata.")]
    if near:
        return f"{root} holds {', '.join(near)}, not {wanted}: save or rename it as one of them", True
    below = [c for c in children if c.is_dir() and is_audiofolder(c)]
    if below:
        return f"{root} holds no {wanted}; its subfolder {below[0]} does: give that folder", True
    above = next((up for up in path.resolve().parents[:3] if is_audiofolder(up)), None)  # DIR/clips given for DIR
    if above is not None:
        above = next((up for up in path.parents if up.name and up.resolve() == above), above)  # as the user wrote it
        return f"{root} holds no {wanted}; the folder {above} above it does: give that folder", True
    classes = [f"{c.name}/" for c in children if c.is_dir() and _holds_audio(c)]
    if classes:  # Hugging Face's audiofolder takes labels from these folders' names; bimotion reads metadata only
        return (
            f"{root} holds no {wanted}; its subfolders {some_files(classes)} hold audio, but labels are not read from "
            f"folder names: list each clip in {root}/metadata.csv, its emotion too (file_name,emotion,language,age,"
            f"...: {classes[0]}CLIP.wav,{classes[0][:-1]},...)",
            True,
        )
    own = [c.name for c in children if c.suffix.lower() in (".csv", ".tsv", ".jsonl") and c.is_file()]
    own = [n for n in own if not n.lower().startswith("label_map.")]  # the user's table, under its own name?
    hint = f"; it holds {some_files(own)}: if one lists your clips (file_name,emotion,...), save a copy as metadata.csv"
    return f"{root} holds no {wanted}" + (hint if own else ""), False


def _holds_audio(folder: Path) -> bool:
    """Whether one of the first few files in ``folder`` (a class folder of clips, ``marah/``) is audio by content."""
    try:
        files = sorted(f for f in folder.iterdir() if f.is_file())[:3]
        return any(is_audio(f) for f in files)
    except (OSError, BadFileError):
        return False


def check_name(name: str) -> str:
    """``name`` when it can name a corpus (lower-case letters, digits and ``_``, a letter first); else a
    ValueError saying so, with the name it likely means where there is one (:func:`plain_name`)."""
    if not NAME.fullmatch(name):
        fixed = plain_name(name)
        raise ValueError(
            f"corpus name {name!r}: use lower-case letters, digits and '_', starting with a letter"
            + (f", e.g. {fixed!r}" if fixed else "")
        )
    return name


def plain_name(name: str) -> str | None:
    """A corpus name for ``name`` as typed (``CareHome``: ``carehome``; ``care-home`` or ``Care Home``:
    ``care_home``; ``2024care``: ``corpus_2024care``), never a built-in corpus's (``CSED``: ``csed_own``);
    None where nothing of it is a letter or digit of the Latin alphabet (``長者``)."""
    from . import READERS

    fixed = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if fixed and not fixed[0].isalpha():
        fixed = f"corpus_{fixed}"
    if fixed in READERS:
        fixed = f"{fixed}_own"
    return fixed if NAME.fullmatch(fixed) else None


def load(name: str, source, *, skip_bad: bool = False, report: SkipReport | None = None) -> list[Utterance]:
    """Read the audiofolder corpus ``source`` (a folder or an :class:`AudioFolder`) as corpus ``name``."""
    from . import READERS

    spec = source if isinstance(source, AudioFolder) else AudioFolder(source)
    root = Path(spec.root).expanduser()
    if not is_audiofolder(root):
        raise LayoutError(
            root,
            "unknown_corpus",
            f"unknown corpus {name!r}: not one of the seven corpora ({', '.join(READERS)}), and "
            + (
                "this folder holds no metadata.csv or metadata.jsonl"
                if root.is_dir()
                else "this is a file, not a folder"
                if root.exists()
                else "there is no such folder"
            )
            + ", so it is not an audiofolder corpus either",
            f"use one of those names, or give your own corpus as {EXPECTED} ({FORMAT_HELP})",
        )
    check_name(name)
    root = root.resolve()
    metadata = _metadata_file(root)
    label_file = spec.label_map if spec.label_map is not None else _beside(root, LABEL_MAP_FILES)
    labels = read_label_map(label_file)
    facts = SourceInfo.declared(card := read_card(root / CARD_FILE), root / CARD_FILE)  # before any clip is read
    c = Collector(name, root, skip_bad=skip_bad, report=report, space=(), own=True)
    rows, rejected = parse_rows(c, metadata, labels)
    _check_speakers(metadata, rows)
    _check_speaker_groups(metadata, rows)
    used = {label for targets in labels.values() for label in targets} | {e for r in rows.values() for e in r.emotions}
    c.space = tuple(label for label in LABELS if label in used)
    own = {metadata, root / CARD_FILE, *([Path(label_file)] if isinstance(label_file, (str, os.PathLike)) else [])}
    read_files(c, metadata, rows, rejected, own)
    records = c.finish(expected=EXPECTED)
    register_source(source_info(name, spec, records, labels, card, metadata).declaring(facts))
    return records


def metadata_groups(source) -> tuple[str, ...]:
    """The language x age groups (``yue_eld``) the usable rows of the corpus ``source`` (a folder or an
    :class:`AudioFolder`) give, from its metadata alone, before any clip is read: what a command may refuse
    the corpus for at once, not minutes of audio later.  Nothing is reported or warned of (:func:`load` reads
    the rows again and says it all); () where the metadata cannot be read: :func:`load` then says why."""
    from .errors import CorpusError

    spec = source if isinstance(source, AudioFolder) else AudioFolder(source)
    root = Path(spec.root).expanduser()
    try:
        if not is_audiofolder(root):
            return ()
        metadata = _metadata_file(root.resolve())
        labels = read_label_map(spec.label_map if spec.label_map is not None else _beside(root, LABEL_MAP_FILES))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows, _ = parse_rows(Collector("metadata", root, skip_bad=True, space=(), own=True), metadata, labels)
    except (CorpusError, OSError, ValueError):
        return ()
    return tuple(sorted({f"{row.fields['language']}_{row.fields['age_group']}" for row in rows.values()}))


def _check_speakers(metadata: Path, rows: dict[str, Row]) -> None:
    """One :class:`InputWarning` for speaker_ids that differ only in case or spaces (``S1``, ``s1``,
    ``s 1``): typed by hand, they likely name one speaker, whom the speaker-independent split would
    take as several (and could put in two splits)."""
    spellings: dict[str, dict[str, int]] = {}
    for row in rows.values():
        if speaker := row.fields.get("speaker_id"):
            spellings.setdefault(re.sub(r"\s+", "", speaker).casefold(), {}).setdefault(speaker, row.line)
    alike = [lines for lines in spellings.values() if len(lines) > 1]
    if alike:
        shown = "; ".join(", ".join(f"{s!r} (line {n})" for s, n in lines.items()) for lines in alike[:3])
        warnings.warn(
            f"{metadata}: {len(alike)} speaker_id{'s are' if len(alike) > 1 else ' is'} spelled in several ways "
            f"that differ only in case or spaces: {shown}{' ...' if len(alike) > 3 else ''}; each spelling is taken "
            "as its own speaker: write one speaker's id alike in every row if they are one",
            InputWarning,
            stacklevel=3,
        )


def _check_speaker_groups(metadata: Path, rows: dict[str, Row]) -> None:
    """One :class:`InputWarning` for speakers whose rows give several language x age groups (``jav_eld``
    in nine rows, ``jav_adu`` in one: an age typed 45 for 75): each group becomes a configuration, one
    of a single typo too.  The rows are read as written (a longitudinal corpus records a speaker at 58
    and at 61): the warning asks to fix only a typo."""
    groups: dict[str, dict[str, list[int]]] = {}
    for row in rows.values():
        if speaker := row.fields.get("speaker_id"):
            group = f"{row.fields['language']}_{row.fields['age_group']}"
            groups.setdefault(speaker, {}).setdefault(group, []).append(row.line)
    several = {speaker: found for speaker, found in groups.items() if len(found) > 1}
    if several:
        shown = "; ".join(
            f"{speaker!r}: "
            + ", ".join(
                f"{g} ({len(lines)} row{'s' if len(lines) > 1 else ''}, line {lines[0]})" for g, lines in found.items()
            )
            for speaker, found in list(several.items())[:3]
        )
        warnings.warn(
            f"{metadata}: {len(several)} speaker{'s' if len(several) > 1 else ''} in several language x age groups "
            f"(from the age, age_group and language cells): {shown}{' ...' if len(several) > 3 else ''}; each group "
            "becomes a configuration of its own, and the split keeps a speaker in the split of its largest group: "
            "fix those rows' age or language if they are a typo (one person at one time)",
            InputWarning,
            stacklevel=3,
        )


def read_card(path: Path) -> dict:
    """The YAML header of a Hugging Face dataset card (``---`` ... ``---``), or ``{}`` (no README.md, or
    a plain one, in whatever encoding); a header that cannot be decoded is an error."""
    if not path.is_file():
        return {}
    try:
        text = read_text(path, "dataset card", own=True)
    except LayoutError as err:  # a plain README (no header) in a legacy encoding: nothing of it is used
        if err.reason == "bad_encoding" and not path.read_bytes().startswith((b"---", codecs.BOM_UTF8 + b"---")):
            return {}
        raise
    match = re.match(r"---\s*\n(.*?)\n---\s*(\n|$)", text, flags=re.S)
    if not match:
        return {}
    import yaml

    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise LayoutError(
            path, "bad_card", f"its YAML header is unreadable ({err})", "fix the header or remove it"
        ) from err
    return data if isinstance(data, dict) else {}


def _metadata_file(root: Path) -> Path:
    found = metadata_files(root)
    if len(found) > 1:
        raise LayoutError(
            root, "ambiguous_metadata", "holds both metadata.csv and metadata.jsonl", "keep only one of them"
        )
    return found[0]


def _beside(root: Path, names: tuple[str, ...]) -> Path | None:
    found = [root / name for name in names if (root / name).is_file()]
    if len(found) > 1:
        raise LayoutError(root, "ambiguous_label_map", f"holds both {' and '.join(names)}", "keep only one of them")
    return found[0] if found else None


# How a corpus of one's own is split, in its notes: both ways, as neither is known until it is prepared
# (``bimotion sources`` and the docs say the format so).  A prepared folder's cards say in its place the one
# way prepare.json records (:func:`bimotion.card_caveats.own_notes`), in prepare.json's notes of any version.
SPLIT_NOTE = "Its split is its `split` column when every row has one, else speaker-independent by `speaker_id`."


def source_info(
    name: str, spec: AudioFolder, records: list[Utterance], labels: LabelMap, card: dict, metadata: Path
) -> SourceInfo:
    """What the registry, ``prepare.json`` and the dataset card say about the user's corpus."""
    license = spec.license or card.get("license") or DEFAULT_LICENSE
    license = ", ".join(license) if isinstance(license, list) else str(license)
    groups = sorted({r.group for r in records})
    mapping = (
        "; ".join(f"{user} -> {'+'.join(t)}" for user, t in sorted(labels.shown().items()))
        or "shared label names as given"
    )
    title = str(card.get("pretty_name") or f"{name}: a user corpus (audiofolder)")
    cite = f"@misc{{{name},\n  title={{{title}}},\n  note={{a user's own corpus; licence: {license}}}\n}}"
    return SourceInfo(
        name=name,
        title=title,
        languages=tuple(sorted({r.language for r in records})),
        age_groups=tuple(sorted({r.age_group for r in records})),
        expected_count=len(records),
        license=license,
        url=str(card.get("homepage") or "the user's own corpus (audiofolder), not published"),
        layout=f"{name}/{metadata.name} (file_name, emotion(s), language, age/age_group, gender, speaker_id, "
        "[split], [text]) and the audio files it lists",
        citation=str(card.get("citation") or cite),
        notes=(
            f"**{name}** is a user's own corpus (read from {metadata.name}; groups "
            f"{', '.join(groups)}; licence as given by its user: {license}). Its labels were mapped as: {mapping}. "
            f"{SPLIT_NOTE}"
        ),
        groups=tuple(groups),
    )
