"""Checks of a prepared folder, as a library (``bimotion check`` prints them): rows per config and
split, that every file the card names is there with the rows prepare.json records and its label
names (the ``ClassLabel`` names of ``emotions`` and the categorical columns), speaker overlap
between splits per corpus (:mod:`bimotion.verify_speakers`: against the protocol, and a corpus of one's own's
against the count prepare.json recorded of its ``split`` column), duplicate audio (content hash of the stored 16 kHz FLAC) across splits,
and silent clips.

Every stored clip is decoded and its level measured: a clip whose peak is at most a few 16-bit
steps (``SILENT_PEAK_DBFS``) is reported as silent, as a float source stored through a broken
decoder was.  Given ``sources`` (``{corpus: raw root}``), the raw files of those corpora are decoded
again and each stored clip is compared with its source: a level more than ``LEVEL_TOLERANCE_DB``
off, or a duration more than ``DURATION_TOLERANCE_S`` off, is a problem.
"""

from __future__ import annotations

import collections
import glob
import hashlib
from pathlib import Path

from loaders.levels import SILENT_PEAK_DBFS, peak_dbfs  # what prepare refuses to store, and check reports

from .signals import until_stopped
from .verify_twins import apart_from_first, cross_split_problem, split_apart

LEVEL_TOLERANCE_DB = 3.0  # stored RMS level vs the source's (with --source)
DURATION_TOLERANCE_S = 0.01
MAX_LISTED = 20  # per-clip problems listed before they are counted


# prepare.json's notes that check passes on: clips recorded below 16 kHz, stored upsampled; stored peaking below
# -50 dBFS (a noise floor?); hard-clipped, per label; recording formats that go with the label; clips broken in
# every copy of their release
NOTED = ("low_rate", "quiet", "clipped", "formats", "known_defects")


def verify(folder, *, hash_audio: bool = True, sources: dict | None = None) -> dict:
    """Everything ``bimotion check`` reports on a prepared ``folder``, as a dict (``problems``: a list of
    strings; empty when everything holds); raises FileNotFoundError/ValueError when it is no prepared folder.

    ``hash_audio`` decodes every stored clip (duplicate hashes, silent clips); ``sources``
    (``{corpus: raw root}``) also compares each stored clip of those corpora with its raw file."""

    from .data.layout import config_files, folder_files, read_info
    from .verify_files import a_problem, linked_folders, unlisted_folder
    from .verify_speakers import overlap_problems

    if sources and not hash_audio:  # an argument error, before any file is read
        raise ValueError("comparing with --source decodes the stored audio; drop --no-audio")
    out = Path(folder)
    info = read_info(out)
    configs = config_files(info)
    unlistable, links, notes = [], [], []  # folders the walk could not list; links it did not enter: problems, notes
    on_disk, leftovers = folder_files(out, unlistable.append, linked_folders(out, links, notes))
    unlisted = [e for e in unlistable if a_problem(out, e.filename)]  # else OUT, __MACOSX/: a note
    problems, listed, num_rows = check_files(out, info, on_disk=on_disk, unlisted=unlisted)
    readable = {rel: shard for rel, shard in listed.items() if rel in num_rows}
    problems += links + _check_card(out, configs)
    problems += _check_features(out, info, readable)
    source_paths = _source_paths(sources or {}, info)
    rows = _scan_rows(out, info, listed, readable, hash_audio, source_paths)
    problems += rows["unreadable"] + [f"duplicate id {i}" for i in rows["duplicate_ids"][:10]]
    problems += overlap_problems(rows["overlap"])  # units the protocol keeps apart; the recorded count
    if rows["cross_split"]:
        problems.append(cross_split_problem(rows["cross_split"], split_apart(rows["twins"]), info))
    problems += rows["level_problems"][:MAX_LISTED]
    if len(rows["level_problems"]) > MAX_LISTED:
        problems.append(f"... and {len(rows['level_problems']) - MAX_LISTED} more audio level problem(s)")
    if rows["no_source"]:
        problems.append(
            f"{len(rows['no_source'])} clip(s) of a --source corpus have no usable file there, e.g. {rows['no_source'][0]}"
        )
    return {
        "out_dir": str(out),
        "benchmark": info["benchmark"],
        "protocol": info["protocol"],
        "user_split_columns": info.get("user_split_columns", []),
        "counts": {
            name: {split: sum(num_rows.get(p, 0) for p in paths) for split, paths in per_split.items()}
            for name, per_split in configs.items()
        },
        "files": len(readable),  # the files read (a missing or unreadable one is a problem above)
        "browser_files": len(leftovers),  # .DS_Store, ._*, Thumbs.db ...: passed over
        "folder_notes": [unlisted_folder(err) for err in unlistable if err not in unlisted] + notes,  # __MACOSX/...
        "overlap": rows["overlap"],
        "hashed": rows["hashed"],
        "rows": rows["rows"],
        "duplicates_across_splits": rows["cross_split"],
        "silent": rows["silent"],
        **{key: info.get(key, {}) for key in NOTED},  # prepare.json's notes on the clips it stored
        "compared_with_source": rows["compared"],
        "problems": problems,
    }


def check_files(
    out: Path, info: dict, *, on_disk: list[str] | None = None, unlisted: list[OSError] = ()
) -> tuple[list[str], dict[str, dict], dict[str, int]]:
    """Every listed file is present, unchanged (its name's digest) and readable with the rows
    prepare.json recorded (a shard's rows are counted when all its files read), and nothing else is
    among ``on_disk`` (the files below ``data/`` that a browser did not leave,
    :func:`~bimotion.data.layout.folder_files`; None: not looked for): the problems, ``{listed file: its
    shard}`` and ``{readable file: rows}``.  A folder below ``data/`` that the walk could not list (``unlisted``)
    is one problem, which counts the listed files in it that could not be reached (each not also "missing")."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from loaders.unlisted import blocked_at

    from .data.layout import content_digest, named_digest
    from .verify_files import changed_why, not_there, unlisted_folder, unreadable

    problems, listed, num_rows = [], {}, {}
    blocked = {blocked_at(err): err for err in unlisted}  # each folder once: below one not entered, all fail
    unreached = dict.fromkeys(blocked, 0)  # a folder that could not be listed or entered -> its files not reached
    for shard in info["shards"]:
        rows = 0
        for rel in shard["files"]:
            listed[rel] = shard
            if problem := not_there(out, rel, unreached):
                problems += [problem] * isinstance(problem, str)
                continue
            try:  # a file that cannot be read (chmod 000, damaged) is its problem, and the others are checked
                named = named_digest(rel)
                if named and content_digest(out / rel) != named:  # its name is its content's SHA-256
                    problems.append(f"changed file {rel}: {changed_why(out / rel)}")
                    continue
                num_rows[rel] = pq.ParquetFile(out / rel).metadata.num_rows
            except (pa.ArrowException, OSError) as err:
                problems.append(unreadable(rel, err))
                continue
            rows += num_rows[rel]
        if all(rel in num_rows for rel in shard["files"]) and rows != shard["rows"]:  # else: said above
            where = f"{shard['corpus']}/{shard['group']}/{shard['split']}"
            problems.append(f"{where}: {rows} rows, prepare.json says {shard['rows']}: prepare the dataset again")
    problems += [unlisted_folder(err, unreached[folder]) for folder, err in blocked.items()]
    if on_disk is None:  # push: the files it does not send are said from its own walk (commands.push.left_behind)
        return problems, listed, num_rows
    problems += [f"unlisted file {rel} (left by an interrupted run?): remove it; prepare.json lists every file prepare wrote"
                 for rel in on_disk if rel not in listed]  # fmt: skip
    return problems, listed, num_rows


def _file_class_names(path: Path) -> dict[str, list[str]]:
    """The ``ClassLabel`` names a Parquet file's ``datasets`` features hold (none for a file
    prepared before the columns carried names)."""
    import pyarrow.parquet as pq
    from datasets import Features

    from .features import class_names

    return class_names(Features.from_arrow_schema(pq.read_schema(path)))


def _check_features(out: Path, info: dict, listed: dict) -> list[str]:
    """Every file holds the label names prepare.json records: ``load_dataset`` takes a config's
    features from its first file, so files that disagree would be read with the wrong names."""
    expected = info.get("class_names")
    if expected is None:
        return []  # prepared before the columns carried names: nothing to compare
    expected = {**expected, "emotions": None}
    problems = []
    for rel in listed:
        got = _file_class_names(out / rel)
        wrong = sorted(c for c, names in expected.items() if names is not None and got.get(c) != names)
        if wrong or "emotions" not in got:
            problems.append(f"{rel}: its label names ({', '.join(wrong) or 'emotions'}) differ from prepare.json's")
    return problems


def _check_card(out: Path, configs: dict) -> list[str]:
    """The card's YAML configs name exactly the files of each config; a card that cannot be read (``chmod 000``)
    is its one problem (:func:`~bimotion.verify_files.unreadable`), and the rest of the folder is checked."""
    import yaml

    from .data.layout import CARD_FILE
    from .verify_files import unreadable

    try:
        card = (out / CARD_FILE).read_text(encoding="utf-8") if (out / CARD_FILE).is_file() else ""
    except OSError as err:
        return [unreadable(CARD_FILE, err)]
    if not card.startswith("---\n"):
        return [f"{CARD_FILE} is missing or has no YAML header"]
    problems = []
    header = yaml.safe_load(card.split("---\n", 2)[1])
    for entry in header.get("configs", []):
        for item in entry["data_files"]:
            patterns = [item["path"]] if isinstance(item["path"], str) else item["path"]
            found = sorted(  # a file named exactly counts as named, present or not (a missing one is reported)
                {
                    Path(f).relative_to(out).as_posix()
                    for p in patterns
                    for f in (glob.glob(str(out / p)) if glob.has_magic(p) else [str(out / p)])
                }
            )
            expected = sorted(configs.get(entry["config_name"], {}).get(item["split"], []))
            if found != expected:
                problems.append(
                    f"card config {entry['config_name']}/{item['split']} names {found}, expected {expected}"
                )
    named = {e["config_name"] for e in header.get("configs", [])}
    return problems + [f"config {name} is missing from the card" for name in configs if name not in named]


def _source_paths(sources: dict, info: dict) -> dict[str, dict[str, str]]:
    """``{corpus: {row id: raw file}}`` for the corpora given with --source (scanned as prepare
    scans them; unusable files are left out, and their rows reported as having no source)."""
    if not sources:
        return {}
    from loaders.manifest import scan

    foreign = sorted(set(sources) - set(info["corpora"]))
    if foreign:
        raise ValueError(
            f"--source {', '.join(foreign)}: not in this dataset (its corpora: {', '.join(info['corpora'])})"
        )
    records, _ = scan(dict(sources), skip_bad=True, progress=False)
    paths: dict[str, dict[str, str]] = {corpus: {} for corpus in sources}
    for r in records:
        paths[r.corpus][r.id] = r.path
    return paths


def _level_dbfs(samples) -> tuple[float, float]:
    """Peak and RMS level of float samples in dB relative to full scale (-inf for digital silence)."""
    import numpy as np

    if samples.size == 0:
        return -np.inf, -np.inf
    with np.errstate(divide="ignore"):
        rms = 10 * np.log10(float(np.mean(np.square(samples, dtype=np.float64))))
    return peak_dbfs(samples, remove_dc=True), rms  # a constant offset is nothing to hear


# what a stored clip unlike its --source file means: another copy of the corpus, or a fault in the writing
NOT_THE_SOURCE = "is --source the copy it was prepared from? If it is, prepare the dataset again (and report the clip)"


def _audio_level_problems(row_id: str, blob: bytes, source: str | None, where: str) -> tuple[list[str], bool]:
    """Problems with one stored clip's level (and, given its raw file, its match with the source), or
    that it does not decode (``where``: its file and row); and whether it is silent."""
    from loaders.errors import DamagedFileError

    from .data.reading import decode_stored
    from .features import SAMPLE_RATE_HZ

    try:
        stored, rate = decode_stored({"bytes": blob})
    except DamagedFileError as err:
        return [
            f"{where} (clip {row_id}): stored audio does not decode ({err.detail}): prepare the dataset again"
        ], False
    peak, rms = _level_dbfs(stored)
    problems = []
    silent = bool(peak <= SILENT_PEAK_DBFS)
    if silent:
        problems.append(
            f"{row_id}: stored audio is silent (peak {peak:.0f} dBFS); check the source file (silent, or channels "
            "that cancel when mixed to mono; `--source` compares them), or prepare it again"
        )
    if source is None:
        return problems, silent
    from loaders import CorpusError
    from loaders.audio import decode

    try:
        expected, _ = decode(source, rate or SAMPLE_RATE_HZ)
    except CorpusError as err:
        return problems + [f"{row_id}: cannot decode its source to compare: {err}"], silent
    _, source_rms = _level_dbfs(expected)
    duration_s, source_duration_s = len(stored) / rate, len(expected) / rate
    if abs(duration_s - source_duration_s) > DURATION_TOLERANCE_S:
        problems.append(
            f"{row_id}: stored audio lasts {duration_s:.3f} s, its source {source} {source_duration_s:.3f} s; "
            + NOT_THE_SOURCE
        )
    if rms != source_rms and not abs(rms - source_rms) <= LEVEL_TOLERANCE_DB:  # equal: both digital silence
        problems.append(
            f"{row_id}: stored audio is at {rms:.1f} dBFS RMS, its source {source} at {source_rms:.1f} dBFS; "
            + NOT_THE_SOURCE
        )
    return problems, silent


class _AudioCheck:
    """Duplicate audio across splits, silent clips and (given raw files) level and duration against
    the source, one stored clip at a time."""

    def __init__(self, source_paths: dict[str, dict[str, str]]):
        self.source_paths = source_paths
        self.hashes: dict[bytes, tuple[str, str]] = {}
        self.twins: dict[bytes, list[tuple[str, str]]] = {}  # a digest of several clips -> their (id, split)
        self.copies: dict[bytes, list[tuple[str, str]]] = {}  # the same, a clip stored twice under one id too
        self.level_problems: list[str] = []
        self.silent: list[str] = []
        self.no_source: list[str] = []
        self.compared = 0

    def add(self, row: dict, split: str, blob: bytes, where: str) -> None:
        source = self.source_paths.get(row["corpus"], {}).get(row["id"])
        if row["corpus"] in self.source_paths and source is None:
            self.no_source.append(row["id"])
        found, is_silent = _audio_level_problems(row["id"], blob, source, where)
        self.level_problems += found
        if is_silent:
            self.silent.append(row["id"])
        self.compared += source is not None
        digest = hashlib.blake2b(blob, digest_size=16).digest()
        first = self.hashes.setdefault(digest, (row["id"], split))
        if first != (row["id"], split) or digest in self.copies:
            self.copies.setdefault(digest, [first]).append((row["id"], split))
        if first[0] != row["id"]:
            self.twins.setdefault(digest, [first]).append((row["id"], split))


def _scan_rows(out: Path, info: dict, listed: dict, readable: dict, hash_audio: bool, source_paths=None) -> dict:
    """Speakers and protocol units per split, duplicate ids, and audio checks, a batch at a time, of the ``readable``
    files among the ``listed`` (the speakers of a corpus are compared with prepare.json's count where all were read)."""
    import pyarrow as pa

    from . import splits
    from .verify_files import unreadable as unreadable_file
    from .verify_speakers import overlap, split_rule

    speakers = collections.defaultdict(lambda: collections.defaultdict(set))  # corpus -> speaker -> its files
    units = collections.defaultdict(lambda: collections.defaultdict(set))
    unit_rules = {c: r for c in info["corpora"] if isinstance(r := split_rule(info, c), splits.ByUnit)}
    audio_check = _AudioCheck(source_paths or {})
    seen_ids, duplicate_ids, unreadable, read = set(), [], [], set()
    for rel, shard in readable.items():
        split = shard["split"]
        try:
            # each row a safe point: a stop a finalizer swallowed ends the check, not its report of all held
            for index, (row, blob) in enumerate(until_stopped(_file_rows(out / rel, hash_audio))):
                if row["id"] in seen_ids:
                    duplicate_ids.append(row["id"])
                seen_ids.add(row["id"])
                if row["speaker_id"] is not None:
                    speakers[row["corpus"]][row["speaker_id"]].add(rel)
                if row["corpus"] in unit_rules:
                    units[row["corpus"]][splits.UNITS[unit_rules[row["corpus"]].unit][1](row)].add(split)
                if blob is not None:
                    audio_check.add(row, split, blob, f"{rel} row {index}")
        except (pa.ArrowException, OSError) as err:  # a footer that reads over damaged data pages
            unreadable.append(unreadable_file(rel, err))
        else:
            read.add(rel)
    return {
        "unreadable": unreadable,
        "overlap": overlap(info, speakers, units, unit_rules, listed, read),
        "rows": len(seen_ids),
        "duplicate_ids": duplicate_ids,
        "cross_split": apart_from_first(audio_check.copies.values()),  # counted as prepare counts, in id order
        "twins": audio_check.twins.values(),  # each set of identical clips' (id, split)
        "hashed": len(audio_check.hashes) if hash_audio else None,
        "level_problems": audio_check.level_problems,
        "no_source": audio_check.no_source,
        "silent": audio_check.silent,
        "compared": audio_check.compared,
    }


def _file_rows(path: Path, hash_audio: bool):
    """``(row, audio bytes)`` of each row of a shard: its id, corpus (as a name), speaker and text;
    the bytes are None unless ``hash_audio``."""
    import pyarrow.parquet as pq

    meta = ["id", "corpus", "speaker_id", "text"]
    names = _file_class_names(path)
    for batch in pq.ParquetFile(path).iter_batches(batch_size=256, columns=meta + ["audio"] * hash_audio):
        values = {c: batch.column(c).to_pylist() for c in meta}
        if "corpus" in names:  # ClassLabel ids -> names
            values["corpus"] = [None if i is None else names["corpus"][i] for i in values["corpus"]]
        audio = batch.column("audio").field("bytes").to_pylist() if hash_audio else [None] * batch.num_rows
        for i, blob in enumerate(audio):
            yield {c: values[c][i] for c in meta}, blob
