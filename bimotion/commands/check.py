"""Check a prepared folder: rows per config and split, that every file the card names is there
with the rows prepare.json records, speaker overlap between splits per corpus, and duplicate
audio (content hash of the stored 16 kHz FLAC) across splits.

Example:
  bimotion check bimotion

Exit status: 0 when everything holds, 1 when a problem was found (a missing or changed file, a
speaker/unit shared between splits where the protocol promises none, the same audio in two
splits, a duplicate id), 2 when OUT is not a prepared dataset.
"""

from __future__ import annotations

import collections
import glob
import hashlib
import sys
from pathlib import Path

HELP = "verify a prepared dataset: counts, files, speaker overlap, duplicate audio"


def add_arguments(parser) -> None:
    parser.add_argument("out", metavar="OUT", help="a folder written by `prepare`")
    parser.add_argument("--no-audio", action="store_true", help="skip hashing the audio (faster)")


def run(args) -> int:
    try:
        result = check(args.out, hash_audio=not args.no_audio)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_result(result))
    return 1 if result["problems"] else 0


def check(out_dir, *, hash_audio: bool = True) -> dict:
    """Everything ``bimotion check`` reports, as a dict (``problems``: a list of strings)."""
    import pyarrow.parquet as pq

    from bimotion.prepare import config_files, read_info

    out = Path(out_dir)
    info = read_info(out)
    configs = config_files(info)
    problems, listed = _check_files(out, info)
    problems += _check_card(out, configs)
    rows = _scan_rows(out, info, listed, hash_audio)
    problems += [f"duplicate id {i}" for i in rows["duplicate_ids"][:10]]
    for corpus, entry in rows["overlap"].items():
        if entry.get("shared_units"):
            shared = entry["shared_units"]
            problems.append(f"{corpus}: {len(shared)} {entry['unit']}(s) in more than one split: {shared[:5]}")
    if rows["cross_split"]:
        problems.append(f"{len(rows['cross_split'])} audio clip(s) appear in two splits, e.g. {rows['cross_split'][0]}")
    present = [p for p in listed if (out / p).is_file()]
    num_rows = {p: pq.ParquetFile(out / p).metadata.num_rows for p in present}
    return {
        "out_dir": str(out),
        "benchmark": info["benchmark"],
        "protocol": info["protocol"],
        "counts": {
            name: {split: sum(num_rows.get(p, 0) for p in paths) for split, paths in per_split.items()}
            for name, per_split in configs.items()
        },
        "files": len(listed),
        "overlap": rows["overlap"],
        "hashed": rows["hashed"],
        "rows": rows["rows"],
        "duplicates_across_splits": rows["cross_split"],
        "problems": problems,
    }


def _check_files(out: Path, info: dict) -> tuple[list[str], dict[str, dict]]:
    """Every listed file is present with the rows prepare.json recorded, and nothing else is there."""
    import pyarrow.parquet as pq

    from bimotion.prepare import DATA_DIR

    problems, listed = [], {}
    for shard in info["shards"]:
        rows = 0
        for rel in shard["files"]:
            listed[rel] = shard
            if not (out / rel).is_file():
                problems.append(f"missing file {rel}")
                continue
            rows += pq.ParquetFile(out / rel).metadata.num_rows
        if rows != shard["rows"]:
            where = f"{shard['corpus']}/{shard['group']}/{shard['split']}"
            problems.append(f"{where}: {rows} rows, prepare.json says {shard['rows']}")
    on_disk = {p.relative_to(out).as_posix() for p in (out / DATA_DIR).rglob("*") if p.is_file()}
    problems += [f"unlisted file {rel} (left by an interrupted run?)" for rel in sorted(on_disk - set(listed))]
    return problems, listed


def _check_card(out: Path, configs: dict) -> list[str]:
    """The card's YAML configs name exactly the files of each config."""
    import yaml

    from bimotion.prepare import CARD_FILE

    card = (out / CARD_FILE).read_text(encoding="utf-8") if (out / CARD_FILE).is_file() else ""
    if not card.startswith("---\n"):
        return [f"{CARD_FILE} is missing or has no YAML header"]
    problems = []
    header = yaml.safe_load(card.split("---\n", 2)[1])
    for entry in header.get("configs", []):
        for item in entry["data_files"]:
            patterns = [item["path"]] if isinstance(item["path"], str) else item["path"]
            found = sorted({Path(f).relative_to(out).as_posix() for p in patterns for f in glob.glob(str(out / p))})
            expected = sorted(configs.get(entry["config_name"], {}).get(item["split"], []))
            if found != expected:
                problems.append(
                    f"card config {entry['config_name']}/{item['split']} names {found}, expected {expected}"
                )
    named = {e["config_name"] for e in header.get("configs", [])}
    return problems + [f"config {name} is missing from the card" for name in configs if name not in named]


def _scan_rows(out: Path, info: dict, listed: dict, hash_audio: bool) -> dict:
    """Speakers and protocol units per split, duplicate ids, and audio hashes, a batch at a time."""
    import pyarrow.parquet as pq

    from bimotion import splits

    speakers = collections.defaultdict(lambda: collections.defaultdict(set))  # corpus -> speaker -> splits
    units = collections.defaultdict(lambda: collections.defaultdict(set))
    unit_rules = {c: r for c in info["corpora"] if isinstance(r := splits.rule(info["protocol"], c), splits.ByUnit)}
    hashes: dict[bytes, tuple[str, str]] = {}
    cross_split, seen_ids, duplicate_ids = [], set(), []
    meta = ["id", "corpus", "speaker_id", "text"]
    for rel, shard in listed.items():
        if not (out / rel).is_file():
            continue
        split = shard["split"]
        for batch in pq.ParquetFile(out / rel).iter_batches(batch_size=256, columns=meta + ["audio"] * hash_audio):
            values = {c: batch.column(c).to_pylist() for c in meta}
            audio = batch.column("audio").field("bytes").to_pylist() if hash_audio else [None] * batch.num_rows
            for i, blob in enumerate(audio):
                row = {c: values[c][i] for c in meta}
                if row["id"] in seen_ids:
                    duplicate_ids.append(row["id"])
                seen_ids.add(row["id"])
                if row["speaker_id"] is not None:
                    speakers[row["corpus"]][row["speaker_id"]].add(split)
                if row["corpus"] in unit_rules:
                    units[row["corpus"]][splits.UNITS[unit_rules[row["corpus"]].unit][1](row)].add(split)
                if blob is not None:
                    first = hashes.setdefault(hashlib.blake2b(blob, digest_size=16).digest(), (row["id"], split))
                    if first[1] != split:
                        cross_split.append((first[0], first[1], row["id"], split))
    overlap = {}
    for corpus in info["corpora"]:
        entry = {
            "speakers": len(speakers[corpus]),
            "shared_speakers": sorted(s for s, where in speakers[corpus].items() if len(where) > 1),
        }
        if corpus in unit_rules:
            shared = sorted(u for u, where in units[corpus].items() if len(where) > 1)
            entry.update(unit=unit_rules[corpus].unit, units=len(units[corpus]), shared_units=shared)
        overlap[corpus] = entry
    return {
        "overlap": overlap,
        "rows": len(seen_ids),
        "duplicate_ids": duplicate_ids,
        "cross_split": cross_split,
        "hashed": len(hashes) if hash_audio else None,
    }


def format_result(result: dict) -> str:
    from bimotion.registry import SPLITS

    lines = [
        f"{result['out_dir']}: {result['benchmark']}, {result['protocol']} protocol, "
        f"{result['rows']} rows in {result['files']} files",
        "",
        "rows per config and split:",
    ]
    lines.append(f"  {'config':<11}" + "".join(f"{s:>12}" for s in SPLITS))
    for name, per_split in result["counts"].items():
        lines.append(f"  {name:<11}" + "".join(f"{per_split.get(s, 0):>12}" for s in SPLITS))
    lines += ["", "speakers shared between splits, per corpus:"]
    for corpus, o in result["overlap"].items():
        if o["speakers"] == 0:
            text = "no speaker ids"
        else:
            text = f"{len(o['shared_speakers'])} of {o['speakers']} speakers in more than one split"
        if "unit" in o:
            text += f"; {len(o['shared_units'])} of {o['units']} {o['unit']}s shared " + (
                "(PROBLEM)" if o["shared_units"] else "(speaker-independent: OK)"
            )
        else:
            text += f" (allowed: the {result['protocol']} protocol does not split {corpus} by speaker)"
        lines.append(f"  {corpus:<11} {text}")
    hashed = result["hashed"]
    lines += [
        "",
        "duplicate audio across splits: "
        + (
            "not checked (--no-audio)"
            if hashed is None
            else f"{len(result['duplicates_across_splits'])} (content hash of {result['rows']} clips)"
        ),
    ]
    if result["problems"]:
        lines += ["", f"{len(result['problems'])} problem(s):", *(f"  - {p}" for p in result["problems"])]
    else:
        lines += ["", "OK"]
    return "\n".join(lines)
