"""Speakers per split of a prepared folder, as ``bimotion check`` (:func:`bimotion.verify.verify`) counts
them from the speaker column of the split files it reads: which the folder's protocol keeps apart
(:func:`split_rule`), which are found in more than one split and in which files (:func:`overlap`), and
the problems (:func:`overlap_problems`): a unit the protocol keeps apart shared between splits, and a
corpus of one's own whose split files no longer hold what ``prepare.json`` recorded of its ``split``
column (``user_split_shared_speakers``, which the cards' speaker-independence claim states), compared only
where check read all its files (a count without a missing or unreadable one would accuse a file wrongly)."""

from __future__ import annotations

import collections

from . import splits


def split_rule(info: dict, corpus: str):
    """How the folder's protocol split ``corpus``: a user's corpus by whole speakers unless its own
    ``split`` column did (recorded in ``user_split_columns``; folders from before that record: not checked)."""
    rule = splits.rule(info["protocol"], corpus)
    own = info.get("user_split_columns")
    if isinstance(rule, splits.UserSplit) and own is not None and corpus not in own:
        return splits.ByUnit("speaker")
    return rule


def overlap(info: dict, speakers: dict, units: dict, unit_rules: dict, listed: dict, read: set[str]) -> dict:
    """Per corpus: speakers (and the protocol's units) and those found in more than one split, counted as
    prepare counts them (:func:`bimotion.splits.speakers_in_several_splits`), with the files that hold
    each of those (``shared_files``).  ``speakers``: ``{corpus: {speaker: the files of its rows}}``;
    ``units``: ``{corpus: {unit: its splits}}`` of the corpora split by whole units (``unit_rules``);
    ``listed``: each listed file's shard; ``read``: the files whose rows were all read.  Of a corpus whose
    ``split`` column's count prepare.json recorded (``user_split_shared_speakers``; None: its rows gave no
    ``speaker_id``): that count, ``recorded_shared``, and, where all its files were read, the files'
    (``found_shared``) and whether they agree, ``as_recorded``; else how many were not, ``unread_files`` (a
    missing, changed, unreadable or unreachable file is its own problem, and a count without it proves nothing)."""
    recorded = info.get("user_split_shared_speakers")
    recorded = recorded if isinstance(recorded, dict) else {}  # a folder prepared before that record: none
    unread = collections.Counter(shard["corpus"] for rel, shard in listed.items() if rel not in read)
    out = {}
    for corpus in info["corpora"]:
        pairs = [(speaker, listed[rel]["split"]) for speaker, files in speakers[corpus].items() for rel in files]
        shared = splits.speakers_in_several_splits(pairs)
        entry = {
            "speakers": len(speakers[corpus]),
            "shared_speakers": list(shared),
            "shared_files": {speaker: sorted(speakers[corpus][speaker]) for speaker in shared},
        }
        if corpus in unit_rules:
            shared_units = sorted(u for u, where in units[corpus].items() if len(where) > 1)
            rule = unit_rules[corpus]  # its reason: why whole units are still not speaker-independent (TESS)
            entry.update(unit=rule.unit, units=len(units[corpus]), shared_units=shared_units, reason=rule.reason)
        if corpus in recorded and unread[corpus]:
            entry.update(recorded_shared=recorded[corpus], unread_files=unread[corpus])
        elif corpus in recorded:
            held = len(shared) if any(speakers[corpus]) else None  # no id but empty ones: none, as prepare counts
            entry.update(recorded_shared=recorded[corpus], found_shared=held, as_recorded=held == recorded[corpus])
        out[corpus] = entry
    return out


def overlap_problems(found: dict) -> list[str]:
    """The problems of :func:`overlap`'s ``found``: units the protocol keeps apart in more than one split,
    and :func:`recorded_problems`."""
    problems = [
        f"{corpus}: {len(entry['shared_units'])} {entry['unit']}(s) in more than one split: {entry['shared_units'][:5]}"
        for corpus, entry in found.items()
        if entry.get("shared_units")
    ]
    return problems + recorded_problems(found)


def recorded_problems(found: dict) -> list[str]:
    """Each corpus of one's own whose split files hold another count of speakers in more than one split
    than ``prepare.json`` recorded of its ``split`` column (:func:`overlap`'s ``as_recorded``), as a split
    file replaced or edited since leaves it: its files, both counts and the fix."""
    from .data.layout import INFO_FILE

    problems = []
    for corpus, entry in found.items():
        if entry.get("as_recorded", True):
            continue
        files = sorted({rel for rels in entry["shared_files"].values() for rel in rels})
        where = f" ({', '.join(files[:4])}{', ...' if len(files) > 4 else ''})" if files else ""
        problems.append(
            f"{corpus}: {INFO_FILE} records {_shared(entry['recorded_shared'])} of its own `split` column "
            f"(user_split_shared_speakers), its split files hold {_shared(entry['found_shared'])}{where}: a file "
            "was replaced or edited since `bimotion prepare`, and what the cards say of its speakers "
            "(speaker-independent or not) no longer holds; prepare the dataset again"
        )
    return problems


def _shared(n: int | None) -> str:
    return "no speaker ids" if n is None else f"{n} speaker(s) in more than one split"
