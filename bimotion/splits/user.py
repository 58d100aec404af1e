"""A user's own corpus (any corpus name but the seven): how it is split, :class:`UserSplit` (its ``split``
column, else whole speakers per split, with the small-group rule), and the notes on a split by whole speakers
drawn far from the proportions it aims at (:func:`user_split_note`, :func:`user_split_notes`), naming the
speakers identical audio drew together (:func:`joined_speakers`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..registry import SPLITS
from .by_unit import ByUnit
from .draw import grouped_by
from .rules import USER_PROPORTIONS, Official, user_percent
from .units import UNITS, joined_units, merged_units


@dataclass(frozen=True)
class UserSplit:
    """A user's corpus: its own ``split`` column when every record has one, else whole speakers per
    split (``ByUnit("speaker")``); a record with neither is an error saying what to add.

    What prepare recorded of the corpus (:func:`~bimotion.splits.protocols.rule` given its ``prepare.json``,
    :data:`~bimotion.splits.protocols.RECORD_KEYS`):
    ``own_column``, whether it was split by its own column (True) or by whole speakers (False), None
    where not known (before a corpus was prepared, or a folder prepared before that record: both ways
    are said); ``shared_speakers``, of a corpus split by its own column, how many speakers that
    column put in more than one split, None where not known (its rows give no speaker ids:
    ``unidentified``, or a folder prepared before that record: ``unrecorded``).  Not known is not
    taken for speaker-independent: :attr:`reason` says why it is not known."""

    own_column: bool | None = None
    shared_speakers: int | None = None
    unidentified: bool = False
    unrecorded: bool = False

    @property
    def reason(self) -> str:
        """Why its split is not speaker-independent: its own column put speakers in several splits, or
        whether it kept them apart is not known (its rows name no speakers to tell, or the folder was
        prepared before that was recorded); empty where it is (or no column was recorded to be used)."""
        if not self.own_column:
            return ""
        if self.unidentified:
            return "its rows give no speaker_id, so whether its `split` column keeps speakers apart is not known"
        if self.unrecorded:
            return (
                "it was prepared by an earlier version, so whether its `split` column keeps speakers apart was not "
                "recorded (`bimotion prepare` again records it)"
            )
        n = self.shared_speakers or 0
        return f"{n} speaker{'s' * (n != 1)} appear{'s' * (n == 1)} in more than one split" if n else ""

    @property
    def speaker_independent(self) -> bool:
        return not self.reason

    def describe(self, brief: bool = False) -> str:
        """The rule in words (the rule only: what it drew, the cards say from prepare.json's counts,
        :func:`bimotion.card_caveats.drawn_split`): the one prepare used where it was recorded, else
        both.  ``brief`` (a model card's protocol line): without the small-group rule (the dataset card's
        long form says it)."""
        column = "its `split` column"
        speakers = (
            "whole speakers per split (within each language x age group), speakers drawn toward "
            f"{user_percent()} train/validation/test (YueMotion's proportions) within each gender"
        )
        if not brief:
            speakers += (
                "; in a group too small for them, train gets at least as many speakers as validation and as "
                "test, and both genders where each has two or more, and where it then holds no more than "
                "either, the speakers with the most clips"
            )
        if self.own_column is None:
            return f"{column} when every row has one, else {speakers}"
        if not self.own_column:
            return f"{speakers} (its metadata has no `split` column)"
        given = f"{column}, which every row has, as given"
        if self.reason:
            return f"{given}; not speaker-independent: {self.reason}"
        return given + ("; it keeps each speaker in one split" if self.shared_speakers == 0 else "")

    def apply(self, records, ctx):
        lacking = [r for r in records if not r.official_split]
        if lacking and len(lacking) < len(records):
            raise ValueError(
                f"{lacking[0].id}: its metadata row has no split, and {len(lacking)} of {len(records)} rows of "
                f"{lacking[0].corpus} have none while the others do; give every row a split (train, "
                "validation or test), or none of them, to split by whole speakers"
            )
        if not lacking:
            return Official().apply(records, ctx)
        missing = [r for r in records if not r.speaker_id]
        if missing:
            some = len(missing) < len(records)  # an empty cell, not a missing column
            raise ValueError(
                f"{missing[0].id}: has no speaker_id ({len(missing)} of {len(records)} rows of {missing[0].corpus} "
                f"have none), and {missing[0].corpus}'s metadata has no split column: your own corpus is split by "
                "whole speakers (under either protocol) unless it gives its split; "
                + ("fill in the speaker_id of those rows" if some else "add a speaker_id (or a split) column")
                + " in its metadata"
                + (" (or give every row a split)" if some else "")
            )
        return ByUnit("speaker", small_groups=True).apply(records, ctx)


USER = UserSplit()
# How far (in shares of a group's clips) a split drawn by whole speakers may land from USER_PROPORTIONS
# before prepare and scan say so (user_split_note).
USER_SHARE_TOLERANCE = 0.10


def user_split_note(
    corpus: str, group: str, rows: Mapping[str, int], speakers: Mapping[str, int], joined: Mapping | None = None
) -> str | None:
    """Words for a user corpus's ``group`` whose split by whole speakers (``rows`` and ``speakers`` per
    split) lands more than :data:`USER_SHARE_TOLERANCE` from :data:`USER_PROPORTIONS` in a split, or
    None: 10 speakers of unequal size gave 24/20/40 clips (29% train) without a word.  A group with an
    empty split has its own note.  ``joined``: the group's entry of :func:`joined_speakers`, where identical
    audio drew speakers together, which the note names as its cause (it blamed few or unequal speakers)."""
    total = sum(rows.get(s, 0) for s in SPLITS)
    if not total or not all(rows.get(s, 0) for s in SPLITS):
        return None
    wanted = (
        1 - USER_PROPORTIONS.validation - USER_PROPORTIONS.test,
        USER_PROPORTIONS.validation,
        USER_PROPORTIONS.test,
    )
    shares = [rows[s] / total for s in SPLITS]
    if max(abs(share - want) for share, want in zip(shares, wanted, strict=True)) <= USER_SHARE_TOLERANCE:
        return None
    why = "its speakers are few or have unequal numbers of clips"
    if joined:
        sets = "as 1 set," if joined["sets"] == 1 else f"as {joined['sets']} sets, each"
        why = (
            f"identical audio filed under more than one speaker kept {joined['speakers']} of its {joined['of']} "
            f"speakers ({joined['clips']} clips) together, {sets} whole in one split; where a copy is filed under the "
            "wrong speaker, correct its metadata (or remove the copy) and prepare again"
        )
    return (
        f"{corpus}'s group {group}, split by whole speakers: {'/'.join(str(rows[s]) for s in SPLITS)} clips "
        f"({'/'.join(f'{100 * x:.0f}' for x in shares)}% train/validation/test; speakers "
        f"{'/'.join(str(speakers.get(s, 0)) for s in SPLITS)}), not {user_percent()}: {why}; a `split` column in "
        "its metadata (train, validation or test in every row) gives the split you choose"
    )


def joined_speakers(records: Iterable, identical: Iterable[Iterable[str]]) -> dict[str, dict[str, int]]:
    """``{"corpus/group": {"speakers", "of", "clips", "sets"}}``: in each group of ``records`` (a users'
    corpus split by whole speakers), how many of its ``of`` speakers identical audio filed under more than
    one of them (``identical``: sets of ids) drew together into ``sets`` drawn as one each
    (:func:`merged_units`), and their clips; groups where it drew none together are left out.
    prepare.json's ``user_split_joined``, which :func:`user_split_notes` names as a far draw's cause."""
    sets, out = [tuple(ids) for ids in identical], {}
    speaker_of = UNITS["speaker"][1]
    for corpus, rows in grouped_by(records, "corpus").items():
        unit_of = merged_units(rows, speaker_of, sets)
        for group, members in grouped_by(rows, "group").items():
            units: dict[str | None, list] = defaultdict(list)
            for r in members:
                units[unit_of(r)].append(r)
            units.pop(None, None)  # no speaker: not drawn by speaker
            if joined := joined_units(units, speaker_of):
                speakers = {r.speaker_id for r in members if r.speaker_id is not None}
                out[f"{corpus}/{group}"] = {
                    "speakers": len({r.speaker_id for unit in joined for r in unit}),
                    "of": len(speakers),
                    "clips": sum(map(len, joined)),
                    "sets": len(joined),
                }
    return out


def user_split_notes(info: Mapping) -> dict[str, str]:
    """``{"corpus/group": note}``: :func:`user_split_note` of each group of a users' corpus that prepare
    split by whole speakers (not by its own ``split`` column), from ``info``'s (a prepare.json's) shards
    and the speakers identical audio drew together (``user_split_joined``, :func:`joined_speakers`);
    what prepare prints and records as ``split_notes``, and the dataset card shows."""
    rows: dict[str, dict[str, int]] = {}
    speakers: dict[str, dict[str, int]] = {}
    for s in info["shards"]:
        if s["corpus"] in (info.get("user_sources") or {}) and s["corpus"] not in info.get("user_split_columns", []):
            key = f"{s['corpus']}/{s['group']}"
            rows.setdefault(key, dict.fromkeys(SPLITS, 0))[s["split"]] += s["rows"]
            speakers.setdefault(key, dict.fromkeys(SPLITS, 0))[s["split"]] += s["speakers"]
    joined = info.get("user_split_joined") or {}
    notes = {key: user_split_note(*key.split("/", 1), rows[key], speakers[key], joined.get(key)) for key in rows}
    return {key: note for key, note in notes.items() if note}
