"""The units the speaker-independent protocol keeps whole (a speaker, an actor, a recording session, a spoken
word: :data:`UNITS`), read from a record's row (:func:`row_of`); the units that copies of one recording join
into one draw (:func:`merged_units`, said by :func:`joined_note`); and a unit's home group where its rows give
several (:func:`home_groups`), and the speakers a split puts in several splits (:func:`speakers_in_several_splits`)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping


def _unit_session(row: Mapping) -> str | None:
    """IEMOCAP's recording session (``Ses01`` ...), from the clip's id."""
    match = re.search(r"Ses\d\d", row["id"])
    return match.group(0) if match else None


# What "a speaker" is for the speaker-independent protocol; each takes a row (id, speaker_id, text).
UNITS: dict[str, tuple[str, Callable[[Mapping], str | None]]] = {
    "speaker": ("speaker", lambda row: row["speaker_id"]),
    "actor": ("actor", lambda row: row["speaker_id"]),
    "session": ("recording session", _unit_session),
    "word": ("spoken word", lambda row: row["text"]),
}


def row_of(record) -> dict:
    """The fields the unit functions read, from a loader record."""
    return {"id": record.id, "speaker_id": record.speaker_id, "text": record.text}


def merged_units(records, unit_of, identical) -> Callable:
    """``record -> unit`` by ``unit_of`` (a row's), with the units that hold copies of one recording
    (``identical`` sets of ids) merged into one, named by the first in sorted order: whole units per
    split then keep every copy in one split, as the paper protocol's :func:`~loaders.identical.keep_together` does."""
    of = {r.id: unit_of(row_of(r)) for r in records}
    parent: dict[str, str] = {}

    def root(unit: str) -> str:
        while parent.get(unit, unit) != unit:
            unit = parent[unit]
        return unit

    for ids in identical:
        units = sorted({of[i] for i in ids if of.get(i) is not None})
        for unit in units[1:]:
            first, other = sorted((root(units[0]), root(unit)))
            if first != other:
                parent[other] = first
    return lambda r: None if of[r.id] is None else root(of[r.id])


def joined_note(rows, units: Mapping[str, list], unit: tuple, identical, per_group: bool) -> str | None:
    """What :func:`merged_units` did to ``rows`` (one group's, or a corpus's; ``units``: merged unit ->
    its rows; ``unit``: an entry of :data:`UNITS`): which speakers one recording filed under several of
    them joins into one draw, or None where it joined none.  Without it, 8 speakers drawn as 2 left a
    group's validation split empty "too few speakers" with no word of why."""
    name, unit_of = unit
    own = {r.id: unit_of(row_of(r)) for r in rows}
    joined = [sorted({own[r.id] for r in members}) for members in joined_units(units, unit_of)]
    if not joined:
        return None
    spanning = (sorted(i for i in ids if i in own) for ids in identical)
    example = next(((ids[0], i) for ids in spanning for i in ids if own[i] != own[ids[0]]), None)
    where = f"{rows[0].corpus}'s group {rows[0].group}" if per_group else rows[0].corpus
    total = len(set(own.values()))
    sets = "; ".join(", ".join(names) for names in joined)
    return (
        f"{where}: {sum(map(len, joined))} of its {total} {name}s ({sets}) share recordings (identical audio filed "
        f"under more than one {name}{f', e.g. {example[0]} and {example[1]}' if example else ''}), so they are "
        f"drawn as {len(joined)} set(s), each kept whole in one split: the split draws from {len(units)} {name}s and "
        f"sets, not {total} {name}s; where a copy is filed under the wrong {name}, correct its metadata (or remove the "
        "copy) and prepare again"
    )


def joined_units(units: Mapping[str, list], unit_of: Callable[[Mapping], str | None]) -> list[list]:
    """The rows of each of ``units`` (merged unit -> its rows, :func:`merged_units`) that holds more than one
    unit of its own (``unit_of``, a row's): those that identical audio drew together."""
    return [members for members in units.values() if len({unit_of(row_of(r)) for r in members}) > 1]


def home_groups(records, unit_of) -> dict[str, str]:
    """For each unit found in several groups (a speaker whose rows give two age groups: a longitudinal
    corpus, or one age typed wrong), the group holding most of its records (ties: the first in sorted
    order): it is drawn there, and all its records take that split, so it never spans splits."""
    sizes: dict[str, Counter] = defaultdict(Counter)
    for r in records:
        sizes[unit_of(r)][r.group] += 1
    return {unit: max(sorted(c), key=c.__getitem__) for unit, c in sizes.items() if len(c) > 1}


def speakers_in_several_splits(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """``{speaker: its splits}`` of the speakers that ``(speaker, split)`` ``pairs`` put in more than
    one split, in speaker order; a pair without a speaker is passed over."""
    splits_of: dict[str, set[str]] = defaultdict(set)
    for speaker, split in pairs:
        if speaker:
            splits_of[speaker].add(split)
    return {speaker: s for speaker, s in sorted(splits_of.items()) if len(s) > 1}
