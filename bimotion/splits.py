"""The two split protocols of BiMotion and YueMotion, as tables of rules per corpus.

``paper``
    The paper's Table 1: the official splits of ESD and ElderReact; for CSED, CREMA-D, TESS and
    IEMOCAP fixed (validation, test) sizes per group, stratified by gender, the rest train;
    YueMotion 0.5/0.15/0.35 within each gender x age group, stratified by emotion (or its
    published split when the records carry one).
``speaker``
    Speaker-independent: whole speakers (CREMA-D actors, ESD and YueMotion speakers) and whole
    IEMOCAP sessions go to one split, their numbers drawn toward the proportions of the paper
    protocol within each gender where the units have one (few units of unequal size land elsewhere:
    ESD's 10 speakers per language draw 7/1/2, 70/10/20% of its clips).  TESS has one speaker per group: whole words go to one split,
    and its speakers are in every split.  CSED has no speaker ids and ElderReact's clip names are
    stimuli, not people: both keep their paper split.

A user's own corpus (any other corpus name, :mod:`loaders.audiofolder`) is split the same way under
both protocols (:data:`USER`): by its ``split`` column when every row has one, else whole speakers
per split within each group, drawn toward YueMotion's proportions (0.5/0.15/0.35) within each gender.

Every assignment is a function of the records (and of the sets of them whose audio is identical,
which stay in one split): records are sorted by id, and each random choice uses
``numpy.random.default_rng`` seeded from a stable hash of (seed, corpus, group, stratum), so split
membership never depends on the file system's listing order or the machine.

>>> from bimotion.splits import assign_splits
>>> from loaders.identical import identical_audio
>>> split_of = assign_splits(records, "speaker", identical=identical_audio(records))  # as prepare stores it

Long: the rule classes, the two protocol tables and the drawing helpers they share are one
definition of the splits, read together.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from loaders.identical import keep_together

from .registry import SPLITS

PROTOCOL_NAMES: tuple[str, ...] = ("paper", "speaker")


def _unit_session(row: Mapping) -> str | None:
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


# ------------------------------------------------------------------------------------------ rules


@dataclass(frozen=True)
class Official:
    """The corpus's own split (``Utterance.official_split``); ``otherwise`` when no record has one."""

    otherwise: Rule | None = None
    speaker_independent = False

    def describe(self, brief: bool = False) -> str:
        text = "the corpus's official split"
        return f"{text} when given, else {self.otherwise.describe(brief)}" if self.otherwise else text

    def apply(self, records: list, ctx: _Context) -> dict[str, str]:
        given = [r for r in records if r.official_split]
        if not given and self.otherwise is not None:
            return self.otherwise.apply(records, ctx)
        if len(given) != len(records):
            missing = next(r for r in records if not r.official_split)
            raise ValueError(
                f"{missing.id}: no official split although the protocol uses {missing.corpus}'s official split "
                f"({len(records) - len(given)} of {len(records)} records lack one)"
            )
        return {r.id: r.official_split for r in records}


@dataclass(frozen=True)
class Sized:
    """Fixed (validation, test) sizes per group, stratified; the rest is train.

    ``sizes`` holds the paper's (train, validation, test) per group.  A group with at least that
    many records gets exactly the paper's validation and test sizes; a smaller one (a subset, a
    test fixture, skipped files) gets them scaled to its size."""

    sizes: Mapping[str, tuple[int, int, int]]
    stratify: tuple[str, ...] = ("gender",)
    speaker_independent = False

    def describe(self, brief: bool = False) -> str:
        """``brief``: the sizes are not listed (the benchmark's table in the paper lists them)."""
        if brief:
            return (
                f"the paper's validation/test sizes per group, drawn per utterance stratified by "
                f"{', '.join(self.stratify)}, the rest train"
            )
        sizes = "; ".join(f"{g} {v}/{t} of {sum(n)}" for g, n in self.sizes.items() for _, v, t in [n])
        return (
            f"fixed validation/test sizes ({sizes}; a group with fewer clips gets them scaled to its size), "
            f"stratified by {', '.join(self.stratify)}, the rest train"
        )

    def apply(self, records, ctx):
        out = {}
        for group, rows in _by(records, "group").items():
            if group not in self.sizes:
                raise ValueError(f"{rows[0].corpus}: no split sizes for group {group!r} (have {sorted(self.sizes)})")
            train, validation, test = self.sizes[group]
            n, total = len(rows), train + validation + test
            if n < total:
                validation, test = _round(validation * n / total), _round(test * n / total)
            out.update(_sized_split(rows, validation, test, self.stratify, ctx, (rows[0].corpus, group)))
        return out


@dataclass(frozen=True)
class Fractions:
    """Validation/test fractions within each cell (group x ``within``), stratified by ``stratify``."""

    validation: float
    test: float
    within: tuple[str, ...] = ("gender",)
    stratify: tuple[str, ...] = ("emotions",)
    speaker_independent = False

    def describe(self, brief: bool = False) -> str:
        train = round(1 - self.validation - self.test, 6)
        return (
            f"{train}/{self.validation}/{self.test} within each age group x {' x '.join(self.within)}, "
            f"stratified by {', '.join(self.stratify)}"
        )

    def apply(self, records, ctx):
        out = {}
        for cell, rows in _by(records, ("group", *self.within)).items():
            n = len(rows)
            key = (rows[0].corpus, *map(str, cell))
            out.update(_sized_split(rows, _round(self.validation * n), _round(self.test * n), self.stratify, ctx, key))
        return out


@dataclass(frozen=True)
class ByUnit:
    """Speaker-independent: every unit (speaker, session, word) lies in one split.

    Units are allocated in the proportions the paper protocol gives the same records, per group
    (``scope="group"``) or over the whole corpus (``scope="corpus"``, for units shared by groups,
    such as TESS's words), balanced by ``balance`` where a unit has a single value of it.
    ``reason``: why whole units still leave the split speaker-dependent (TESS's words: its one
    speaker per group is in every split); empty when they do not.  ``small_groups``: the small-group
    rule (:func:`_favour_train`; a user's corpus only: the built-in corpora's splits stay as they were)."""

    unit: str
    scope: str = "group"
    balance: tuple[str, ...] = ("gender",)
    reason: str = ""
    small_groups: bool = False

    @property
    def speaker_independent(self) -> bool:
        return not self.reason

    def describe(self, brief: bool = False) -> str:
        """The rule as the rule, what the draw aims at, not as if it reached it: ESD's 10 speakers per
        language were said to be split "in the paper protocol's proportions, balanced by gender" where they
        drew 7/1/2 speakers (70/10/20% of the clips, not 86/6/9%), one gender in train and the other in test."""
        name = UNITS[self.unit][0]
        within = f" within each {' x '.join(self.balance)}" if self.balance else ""
        where = "within each language x age group" if self.scope == "group" else "over the whole corpus"
        caveat = f"; NOT speaker-independent: {self.reason}" if self.reason else ""
        return (
            f"whole {name}s per split ({where}), {name}s drawn toward the paper protocol's proportions{within}{caveat}"
        )

    def apply(self, records, ctx):
        unit_of = _merged_units(records, UNITS[self.unit][1], ctx.identical)
        scopes = _by(records, "group") if self.scope == "group" else {"all": records}
        home = _home_groups(records, unit_of) if len(scopes) > 1 else {}
        split_of_unit: dict[str, str] = {}
        for scope, rows in scopes.items():
            units: dict[str, list] = defaultdict(list)
            for r in rows:
                unit = unit_of(r)
                if unit is None:
                    raise ValueError(f"{r.id}: has no {UNITS[self.unit][0]}, which the speaker protocol splits by")
                units[unit].append(r)
            if joined := _joined_note(rows, units, UNITS[self.unit], ctx.identical, self.scope == "group"):
                ctx.notes.append(joined)
            paper = Counter(ctx.paper[r.id] for r in rows)
            fractions = [paper[s] / len(rows) for s in SPLITS]
            strata: dict[tuple, list[str]] = defaultdict(list)
            for unit in sorted(units):
                if home.get(unit, scope) == scope:  # a unit of several groups is drawn in its largest one only
                    strata[_unit_stratum(units[unit], self.balance)].append(unit)
            counts = {k: _apportion(len(u), fractions) for k, u in sorted(strata.items())}
            _ensure_each_split(counts, sum(len(u) for u in strata.values()))
            drawn = {k: list(c) for k, c in counts.items()}  # per stratum, as drawn: what the small-group note says
            favoured = self.small_groups and _favour_train(counts)
            here: dict[str, str] = {}
            for stratum, members in sorted(strata.items()):
                order = ctx.rng(rows[0].corpus, scope, *stratum).permutation(len(members))
                bounds = np.cumsum(counts[stratum])
                for position, index in enumerate(order):
                    here[members[index]] = SPLITS[int(np.searchsorted(bounds, position, side="right"))]
            if self.small_groups:
                stratum_of = {unit: k for k, members in strata.items() for unit in members}
                _largest_to_train(here, {u: len(units[u]) for u in here}, stratum_of, counts)
            if favoured:
                drawn_here = [r for members in strata.values() for unit in members for r in units[unit]]
                speakers = _speaker_strata(drawn_here, UNITS[self.unit][1], self.balance)
                mixed = {_field(r, "gender") for k, us in strata.items() if MIXED in k for u in us for r in units[u]}
                ctx.notes.append(_small_group_note(rows[0].corpus, scope, drawn, counts, speakers, mixed))
            split_of_unit.update(here)
        return {r.id: split_of_unit[unit_of(r)] for r in records}


def _merged_units(records, unit_of, identical) -> Callable:
    """``record -> unit`` by ``unit_of`` (a row's), with the units that hold copies of one recording
    (``identical`` sets of ids) merged into one, named by the first in sorted order: whole units per
    split then keep every copy in one split, as the paper protocol's :func:`keep_together` does."""
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


def _joined_note(rows, units: Mapping[str, list], unit: tuple, identical, per_group: bool) -> str | None:
    """What :func:`_merged_units` did to ``rows`` (one group's, or a corpus's; ``units``: merged unit ->
    its rows; ``unit``: an entry of :data:`UNITS`): which speakers one recording filed under several of
    them joins into one draw, or None where it joined none.  Without it, 8 speakers drawn as 2 left a
    group's validation split empty "too few speakers" with no word of why."""
    name, unit_of = unit
    own = {r.id: unit_of(row_of(r)) for r in rows}
    joined = [sorted({own[r.id] for r in members}) for members in _joined_units(units, unit_of)]
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


def _joined_units(units: Mapping[str, list], unit_of: Callable[[Mapping], str | None]) -> list[list]:
    """The rows of each of ``units`` (merged unit -> its rows, :func:`_merged_units`) that holds more than one
    unit of its own (``unit_of``, a row's): those that identical audio drew together."""
    return [members for members in units.values() if len({unit_of(row_of(r)) for r in members}) > 1]


def _home_groups(records, unit_of) -> dict[str, str]:
    """For each unit found in several groups (a speaker whose rows give two age groups: a longitudinal
    corpus, or one age typed wrong), the group holding most of its records (ties: the first in sorted
    order): it is drawn there, and all its records take that split, so it never spans splits."""
    sizes: dict[str, Counter] = defaultdict(Counter)
    for r in records:
        sizes[unit_of(r)][r.group] += 1
    return {unit: max(sorted(c), key=c.__getitem__) for unit, c in sizes.items() if len(c) > 1}


@dataclass(frozen=True)
class AsPaper:
    """No speaker-independent split is possible: keep the paper protocol's split, for ``reason``."""

    reason: str
    speaker_independent = False

    def describe(self, brief: bool = False) -> str:
        return f"NOT speaker-independent, the paper split is kept: {self.reason}"

    def apply(self, records, ctx):
        return {r.id: ctx.paper[r.id] for r in records}


Rule = Official | Sized | Fractions | ByUnit | AsPaper  # and UserSplit, for a user's corpus

# ---------------------------------------------------------------------------------------- tables

# The paper's Table 1 as (train, validation, test) per group; TESS's rows are the paper's
# (1399 elderly / 1401 adult files, from one misfiled file in the authors' copy): a correct copy
# of 1400 + 1400 files gives 700/200/500 and 699/201/500.
PAPER: dict[str, Rule] = {
    "crema_d": Sized({"eng_eld": (150, 42, 300), "eng_adu": (5000, 750, 1200)}),
    "tess": Sized({"eng_eld": (699, 200, 500), "eng_adu": (700, 201, 500)}),
    "esd": Official(),
    "iemocap": Sized({"eng_adu": (7500, 1039, 1500)}),
    "elderreact": Official(),
    "csed": Sized({"zho_eld": (200, 52, 400)}),
    "yuemotion": Official(otherwise=Fractions(validation=0.15, test=0.35)),
}

SPEAKER: dict[str, Rule] = {
    "crema_d": ByUnit("actor"),
    "tess": ByUnit(
        "word",
        scope="corpus",
        balance=(),
        reason="it has one speaker per group (OAF elderly, YAF adult), in every split",
    ),
    "esd": ByUnit("speaker"),
    "iemocap": ByUnit("session", balance=()),
    "elderreact": AsPaper("its clip names are stimuli, not people, and it has no speaker ids"),
    "csed": AsPaper("it has no speaker ids (the release does not say who speaks in which clip)"),
    "yuemotion": ByUnit("speaker"),
}

PROTOCOLS: dict[str, dict[str, Rule]] = {"paper": PAPER, "speaker": SPEAKER}


@dataclass(frozen=True)
class UserSplit:
    """A user's corpus: its own ``split`` column when every record has one, else whole speakers per
    split (``ByUnit("speaker")``); a record with neither is an error saying what to add.

    What prepare recorded of the corpus (:func:`rule` given its ``prepare.json``, :data:`RECORD_KEYS`):
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
            f"{_user_percent()} train/validation/test (YueMotion's proportions) within each gender"
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
# Where the speaker-independent split takes a user corpus's proportions from (YueMotion's paper protocol).
USER_PROPORTIONS = Fractions(validation=0.15, test=0.35)


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
        f"{'/'.join(str(speakers.get(s, 0)) for s in SPLITS)}), not {_user_percent()}: {why}; a `split` column in "
        "its metadata (train, validation or test in every row) gives the split you choose"
    )


def joined_speakers(records: Iterable, identical: Iterable[Iterable[str]]) -> dict[str, dict[str, int]]:
    """``{"corpus/group": {"speakers", "of", "clips", "sets"}}``: in each group of ``records`` (a users'
    corpus split by whole speakers), how many of its ``of`` speakers identical audio filed under more than
    one of them (``identical``: sets of ids) drew together into ``sets`` drawn as one each
    (:func:`_merged_units`), and their clips; groups where it drew none together are left out.
    prepare.json's ``user_split_joined``, which :func:`user_split_notes` names as a far draw's cause."""
    sets, out = [tuple(ids) for ids in identical], {}
    speaker_of = UNITS["speaker"][1]
    for corpus, rows in _by(records, "corpus").items():
        unit_of = _merged_units(rows, speaker_of, sets)
        for group, members in _by(rows, "group").items():
            units: dict[str | None, list] = defaultdict(list)
            for r in members:
                units[unit_of(r)].append(r)
            units.pop(None, None)  # no speaker: not drawn by speaker
            if joined := _joined_units(units, speaker_of):
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


def copies_apart(corpus: str, record: Mapping | None = None) -> tuple[str, str]:
    """Why copies of one recording (identical audio) in ``corpus`` lie in different splits, and what to
    do, as prepare's warning and ``check``'s failure say it: a split drawn here keeps each set in one
    split (:func:`~loaders.identical.keep_together`, :func:`_merged_units`), so it is a corpus of
    one's own's ``split`` column, or a release's official split, which prepare keeps as published; of a
    release with none (CSED), whose split prepare draws, a folder an older bimotion prepared, as of a
    corpus of one's own that ``record`` (a prepare.json, :func:`rule`) says was split by whole speakers
    (a record that does not say which way: both are said; None, prepare's own warning: its column)."""
    if corpus in PAPER and not isinstance(PAPER[corpus], Official):
        return (
            f"{corpus} has no official split: prepare draws it and keeps each set in one split, so this folder was "
            "prepared by an older bimotion, which did not",
            "prepare it again",
        )
    own_column = rule(record["protocol"], corpus, record).own_column if record and corpus not in PAPER else True
    if own_column is False:
        return (
            f"{corpus} has no split column: prepare draws its split by whole speakers and keeps each set in one split, "
            "so this folder was prepared by an older bimotion, which did not",
            "prepare it again",
        )
    if own_column is None:  # a folder prepared before prepare.json recorded which way (user_split_columns)
        return (
            f"{corpus}'s own split column, where it has one, puts them there, which prepare does not change; without "
            "one, this folder was prepared by an older bimotion, which drew whole speakers without keeping each set "
            "in one split",
            f"put each set's copies in one split in {corpus}'s split column, or remove the copies, and prepare again",
        )
    if corpus not in PAPER:
        return (
            f"{corpus}'s own split column puts them there, which prepare does not change",
            f"put each set's copies in one split in {corpus}'s split column, or remove the copies, and prepare again",
        )
    why = f"the {corpus} release's official split puts them there, which prepare keeps as published"
    if isinstance(SPEAKER.get(corpus), ByUnit):
        return (
            why,
            "prepare with --protocol speaker, which draws each set into one split (scores not comparable with the paper's)",
        )
    return why, "its test scores count those clips as unheard: say so where you report them"


# Why copies of one recording in two corpora lie in different splits, and what to do (prepare's warning,
# ``check``'s failure): each corpus is split on its own, so no split drawn here can keep them together.
CORPORA_APART: tuple[str, str] = (
    "each corpus is split on its own, so prepare does not move them",
    "remove the copies from one corpus and prepare again",
)


# What prepare.json records of how it split the users' corpora, and scores.json carries per benchmark
# (``user_splits``): ``user_split_columns``, the corpora split by their own ``split`` column;
# ``user_split_shared_speakers``, of each of those, how many speakers its column put in more than one
# split (null: its rows give no speaker ids).  :func:`rule` reads either file's.
RECORD_KEYS: tuple[str, ...] = ("user_split_columns", "user_split_shared_speakers")


def split_record(info: Mapping | None) -> dict:
    """The :data:`RECORD_KEYS` that ``info`` (a prepare.json) holds: what scores.json carries of it."""
    return {key: info[key] for key in RECORD_KEYS if key in (info or {})}


def speakers_in_several_splits(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """``{speaker: its splits}`` of the speakers that ``(speaker, split)`` ``pairs`` put in more than
    one split, in speaker order; a pair without a speaker is passed over."""
    splits_of: dict[str, set[str]] = defaultdict(set)
    for speaker, split in pairs:
        if speaker:
            splits_of[speaker].add(split)
    return {speaker: s for speaker, s in sorted(splits_of.items()) if len(s) > 1}


def rule(protocol: str, corpus: str, record: Mapping | None = None) -> Rule | UserSplit:
    """How ``protocol`` splits ``corpus``; any corpus other than the seven is a user's (:data:`USER`).
    ``record``: a prepare.json, or scores.json's ``user_splits`` entry of its benchmark
    (:data:`RECORD_KEYS`): a user's corpus then says which of its two ways was used, and whether its
    own column kept speakers apart (None: not known, both ways are said; a record of the column but
    not of its speakers, from an earlier version: ``unrecorded``, not known to keep them apart)."""
    found = _table(protocol).get(corpus, USER)
    if found is not USER or not record or "user_split_columns" not in record:
        return found
    if corpus not in record["user_split_columns"]:
        return UserSplit(own_column=False)
    shared = record.get("user_split_shared_speakers")
    if not isinstance(shared, Mapping) or corpus not in shared:
        return UserSplit(own_column=True, unrecorded=True)
    return UserSplit(own_column=True, shared_speakers=shared[corpus], unidentified=shared[corpus] is None)


def describe(protocol: str, corpora: Iterable[str], record: Mapping | None = None) -> dict[str, str]:
    """One line per corpus saying how ``protocol`` splits it; ``record``: what prepare recorded of the
    users' corpora (:func:`rule`; None: not recorded, a user's corpus line says both ways)."""
    return {c: rule(protocol, c, record).describe() for c in corpora}


# What each protocol is, before its rules per corpus; ``{table}``: " (its Table N)", the benchmark's
# table in the paper (``Benchmark.paper_table``), or "" where none applies.
HEADINGS: dict[str, str] = {
    "paper": "the split of the paper{table}, made reproducible",
    "speaker": "speaker-independent wherever the corpus identifies several speakers per group, whole speakers "
    "(sessions, words) drawn toward the proportions of the paper protocol",
}


def heading(protocol: str, table: int | None = None) -> str:
    """What ``protocol`` is, in a phrase (:data:`HEADINGS`), citing the paper's Table ``table``."""
    _table(protocol)
    return HEADINGS[protocol].format(table=f" (its Table {table})" if table else "")


def summary(protocol: str, corpora: Iterable[str], table: int | None = None, record: Mapping | None = None) -> str:
    """How ``protocol`` splits ``corpora``, in one line for a card: its :func:`heading`, then each
    distinct rule in brief (no sizes) with the corpora it splits (a user's as ``record`` says: :func:`rule`)."""
    by_rule: dict[str, list[str]] = {}
    for corpus in corpora:
        by_rule.setdefault(rule(protocol, corpus, record).describe(brief=True), []).append(corpus)
    rules = "; ".join(f"{', '.join(names)}: {text}" for text, names in by_rule.items())
    return heading(protocol, table) + (f" ({rules})" if rules else "")


def not_speaker_independent(protocol: str, corpora: Iterable[str], record: Mapping | None = None) -> list[str]:
    """The corpora whose split is not speaker-independent under ``protocol`` (a user's: as ``record``
    says, :func:`rule`; no record, it is taken for speaker-independent, as its column is not known; a
    column recorded without whether it kept speakers apart is not: :attr:`UserSplit.reason`)."""
    return [c for c in corpora if not rule(protocol, c, record).speaker_independent]


# ------------------------------------------------------------------------------------ assignment


@dataclass
class _Context:
    seed: int
    paper: dict[str, str] = field(default_factory=dict)
    identical: list[tuple[str, ...]] = field(default_factory=list)  # sets of ids whose audio is identical
    notes: list[str] = field(default_factory=list)  # what the small-group rule did (SplitNote)

    def rng(self, *key) -> np.random.Generator:
        digest = hashlib.sha256("\x1f".join(map(str, (self.seed, *key))).encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def assign_splits(
    records: Iterable, protocol: str = "paper", *, identical: Iterable[Iterable[str]], seed: int = 0
) -> dict[str, str]:
    """``{record id: split}`` for every record, under ``protocol`` (``paper`` or ``speaker``).

    Works on loader records alone (no audio is read), and gives the same answer for the same
    records in any order.  ``identical`` (required): sets of record ids whose audio is identical,
    ``loaders.identical.identical_audio(records)`` as ``prepare`` passes it; a paper split drawn at
    random keeps each set in one split (:func:`~loaders.identical.keep_together`), with the same
    sizes where a clip to swap exists.  Pass ``()`` only for records whose audio is not at hand
    (metadata alone): copies of one recording may then land in train and test (real CSED has 57
    such sets)."""
    _table(protocol)
    by_corpus = _by(sorted(records, key=lambda r: r.id), "corpus")
    sets = [tuple(ids) for ids in identical]
    out: dict[str, str] = {}
    for corpus, rows in by_corpus.items():
        ctx = _Context(seed, identical=sets)
        paper = PAPER.get(corpus, USER_PROPORTIONS)
        ctx.paper = paper.apply(rows, ctx)
        if not any(r.official_split for r in rows):  # drawn, not the corpus's own
            keep_together(ctx.paper, rows, sets)
        chosen = rule(protocol, corpus)
        out.update(ctx.paper if chosen is paper else chosen.apply(rows, ctx))
        _note(ctx.notes)
        _warn_replaced(protocol, corpus, rows, out)
        _warn_own_split_shares_speakers(protocol, corpus, rows)
    return out


def _note(notes: list[str]) -> None:
    """Each of ``notes`` as a :class:`~loaders.errors.SplitNote` (a ``note:`` line on the command line)."""
    from loaders.errors import SplitNote

    for note in notes:
        warnings.warn(note, SplitNote, stacklevel=3)


def _warn_own_split_shares_speakers(protocol: str, corpus: str, rows: list) -> None:
    """A :class:`~loaders.errors.ProtocolWarning` when the speaker protocol takes a user corpus's own
    ``split`` column as given (:data:`USER`) and that column puts a speaker in more than one split."""
    from loaders.errors import ProtocolWarning

    if protocol != "speaker" or corpus in PAPER or not rows or not all(r.official_split for r in rows):
        return
    shared = speakers_in_several_splits((r.speaker_id, r.official_split) for r in rows)
    if shared:
        speakers = len({r.speaker_id for r in rows if r.speaker_id})
        speaker, where = next(iter(shared.items()))
        warnings.warn(
            f"{corpus}: the speaker protocol takes its own split column as given, and that column puts "
            f"{len(shared)} of {speakers} speakers in more than one split (e.g. {speaker!r}: "
            f"{', '.join(s for s in SPLITS if s in where)}): its split is not speaker-independent; empty the split "
            "column of every row to split it by whole speakers",
            ProtocolWarning,
            stacklevel=3,
        )


def _warn_replaced(protocol: str, corpus: str, rows: list, split_of: Mapping[str, str]) -> None:
    """A :class:`~loaders.errors.ProtocolWarning` when ``protocol`` did not keep the split ``corpus`` was
    released with (ESD's, YueMotion's metadata CSVs'): scores are then not comparable with the paper's."""
    from loaders.errors import ProtocolWarning

    official = [r for r in rows if r.official_split]
    if corpus not in PAPER or not isinstance(PAPER[corpus], Official) or not official:
        return
    moved = sum(split_of[r.id] != r.official_split for r in official)
    if moved:
        warnings.warn(
            f"{corpus}: the {protocol} protocol replaces its official split ({len(official)} clips split as "
            f"released) with {rule(protocol, corpus).describe(brief=True)}: {moved} clips are in another split than "
            "the release's, and its scores are not comparable with the paper's; the paper protocol keeps the official "
            "split",
            ProtocolWarning,
            stacklevel=3,
        )


def _table(protocol: str) -> dict[str, Rule]:
    try:
        return PROTOCOLS[protocol]
    except KeyError:
        raise KeyError(f"unknown split protocol {protocol!r}; choose one of: {', '.join(PROTOCOLS)}") from None


def _field(record, name: str):
    value = getattr(record, name)
    return "+".join(value) if isinstance(value, tuple) else str(value)


def _by(records, fields) -> dict:
    """Records grouped by one field (key: its value) or several (key: tuple), keys sorted."""
    out = defaultdict(list)
    for r in records:
        out[_field(r, fields) if isinstance(fields, str) else tuple(_field(r, f) for f in fields)].append(r)
    return dict(sorted(out.items()))


def _round(x: float) -> int:
    """Half-up rounding, robust to float noise (0.15 * 420 = 62.99999…)."""
    return math.floor(x + 0.5 + 1e-9)


def _apportion(total: int, weights, caps=None) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` by largest remainders (ties to
    the first), none above its cap."""
    weights = np.asarray(weights, dtype=float)
    caps = np.full(len(weights), total) if caps is None else np.asarray(caps, dtype=int)
    if total > caps.sum():
        raise ValueError(f"cannot place {total} items in capacities {caps.tolist()}")
    if weights.sum() == 0:
        weights = np.ones(len(weights))
    quota = total * weights / weights.sum()
    counts = np.minimum(np.floor(quota + 1e-9).astype(int), caps)
    while counts.sum() < total:
        open_ = np.flatnonzero(counts < caps)
        counts[max(open_, key=lambda i: (quota[i] - counts[i], -i))] += 1
    return counts.tolist()


def _sized_split(rows, validation: int, test: int, stratify, ctx: _Context, key: tuple) -> dict[str, str]:
    """Exactly ``validation`` and ``test`` rows (at least one each, as far as there are rows),
    allocated to the strata in proportion to their sizes, drawn at random within each."""
    n = len(rows)
    # train, then test, then validation get at least one row, as far as there are rows
    test = min(max(test, 1), n - 1) if n >= 2 else 0
    validation = min(max(validation, 1), n - 1 - test) if n >= 3 else 0
    strata = _by(rows, stratify)
    sizes = [len(s) for s in strata.values()]
    n_test = _apportion(test, sizes, sizes)
    n_val = _apportion(validation, sizes, [s - t for s, t in zip(sizes, n_test, strict=True)])
    out = {}
    for (stratum, members), v, t in zip(strata.items(), n_val, n_test, strict=True):
        order = ctx.rng(*key, stratum).permutation(len(members))
        for position, index in enumerate(order):
            out[members[index].id] = "validation" if position < v else "test" if position < v + t else "train"
    return out


MIXED = "mixed"  # the stratum of a unit whose records differ in a balanced field (a woman and a man sharing copies)


def _unit_stratum(records, balance) -> tuple:
    values = tuple({_field(r, f) for r in records} for f in balance)
    return tuple(next(iter(v)) if len(v) == 1 else MIXED for v in values)


def _ensure_each_split(counts: dict[tuple, list[int]], n_units: int) -> None:
    """Move units so that train, then test, then validation is non-empty, as far as there are
    units (each taken from the fullest split)."""
    for split in (SPLITS.index("train"), SPLITS.index("test"), SPLITS.index("validation"))[:n_units]:
        if sum(c[split] for c in counts.values()) == 0:
            donor = max(range(len(SPLITS)), key=lambda s: (sum(c[s] for c in counts.values()), -s))
            stratum = max(counts, key=lambda k: counts[k][donor])
            counts[stratum][donor] -= 1
            counts[stratum][split] += 1


def _favour_train(counts: dict[tuple, list[int]]) -> bool:
    """The small-group rule (a user's corpus, :class:`UserSplit`): where the drawn ``counts`` (units
    per split, per stratum) give train fewer units than validation or than test, units move into train
    from the fuller of the two (ties: validation), a unit of a gender train lacks first; and where
    both genders have two or more units, a unit of each gender train lacks is swapped into it.  True
    when anything moved; counts that already meet these are left as they are, so that every group
    they fit splits exactly as before.  2 women and 2 men at 0.5/0.15/0.35 drew 1/1/2 speakers,
    train one man; now 2/1/1, train a woman and a man."""
    train, others = SPLITS.index("train"), [i for i, s in enumerate(SPLITS) if s != "train"]

    def total(split: int) -> int:
        return sum(c[split] for c in counts.values())

    needed = _needed_genders(counts)
    moved = False
    while total(train) < max(total(s) for s in others):
        donor = max(others, key=lambda s: (total(s), -s))
        lacking = [k for k in needed if not counts[k][train]]
        stratum = max((k for k in counts if counts[k][donor]), key=lambda k: (k in lacking, counts[k][donor]))
        counts[stratum][donor] -= 1
        counts[stratum][train] += 1
        moved = True
    for k in [k for k in needed if not counts[k][train]]:
        donor = max(others, key=lambda s: (counts[k][s], -s))
        # a unit back from the stratum with most in train, one that keeps a needed gender in train first
        giver = max(
            (g for g in counts if g != k and counts[g][train]),
            key=lambda g: (not (g in needed and counts[g][train] == 1), counts[g][train]),
        )
        counts[k][donor], counts[k][train] = counts[k][donor] - 1, counts[k][train] + 1
        counts[giver][train], counts[giver][donor] = counts[giver][train] - 1, counts[giver][donor] + 1
        moved = True
    return moved


def _needed_genders(counts: dict[tuple, list[int]]) -> list[tuple]:
    """The gender strata the small-group rule keeps in train: women and men where each has two or more units."""
    genders = [k for k in (("f",), ("m",)) if sum(counts.get(k, ())) >= 2]
    return genders if len(genders) == 2 else []


def _largest_to_train(
    split_of: dict[str, str], size: dict[str, int], stratum_of: dict[str, tuple], counts: dict[tuple, list[int]]
) -> None:
    """The small-group rule's choice of who trains (a user's corpus): where train holds no more units
    than validation or test (3 speakers: 1/1/1), the units with the most clips go to train, each
    swapping splits with a smaller one there (``split_of``, and ``counts`` per stratum, updated), the
    splits' numbers of units unchanged and a gender :func:`_needed_genders` keeps in train kept; units
    of equal size stay as drawn.  3 speakers of 16/12/12 clips could give train 12 and validation 16."""
    train = SPLITS.index("train")
    totals = [sum(c[s] for c in counts.values()) for s in range(len(SPLITS))]
    if totals[train] > max(t for s, t in enumerate(totals) if s != train):
        return
    needed = _needed_genders(counts)

    def allowed(out: str, inside: str) -> bool:
        k = stratum_of[inside]
        return stratum_of[out] == k or k not in needed or counts[k][train] > 1

    while True:
        inside = sorted((u for u in split_of if split_of[u] == "train"), key=lambda u: (size[u], u))
        outside = sorted((u for u in split_of if split_of[u] != "train"), key=lambda u: (-size[u], u))
        pair = next(((o, i) for o in outside for i in inside if size[i] < size[o] and allowed(o, i)), None)
        if pair is None:
            return
        out, inside_unit = pair
        split = SPLITS.index(split_of[out])
        counts[stratum_of[out]][split] -= 1
        counts[stratum_of[out]][train] += 1
        counts[stratum_of[inside_unit]][train] -= 1
        counts[stratum_of[inside_unit]][split] += 1
        split_of[out], split_of[inside_unit] = "train", split_of[out]


def _user_proportions() -> str:
    """``0.5/0.15/0.35``: :data:`USER_PROPORTIONS` as train/validation/test."""
    v, t = USER_PROPORTIONS.validation, USER_PROPORTIONS.test
    return f"{1 - v - t:g}/{v:g}/{t:g}"


def _user_percent() -> str:
    """``50/15/35%``: :data:`USER_PROPORTIONS` as train/validation/test percentages."""
    v, t = USER_PROPORTIONS.validation, USER_PROPORTIONS.test
    return "/".join(f"{100 * x:.0f}" for x in (1 - v - t, v, t)) + "%"


def _speaker_strata(rows, speaker_of: Callable[[Mapping], str | None], balance) -> dict[str, tuple]:
    """Each speaker of ``rows`` (by ``speaker_of``, a row's) -> its stratum (:func:`_unit_stratum`): the
    speakers themselves, not the units that copies of one recording join them into (:func:`_merged_units`)."""
    own: dict[str, list] = defaultdict(list)
    for r in rows:
        own[speaker_of(row_of(r))].append(r)
    return {speaker: _unit_stratum(members, balance) for speaker, members in own.items()}


def _small_group_note(
    corpus: str,
    group: str,
    drawn: dict[tuple, list[int]],
    counts: dict[tuple, list[int]],
    speakers: Mapping[str, tuple],
    mixed: Iterable[str] = (),
) -> str:
    """What :func:`_favour_train` did to ``corpus``'s ``group``: from ``drawn`` units per split to ``counts`` (both per
    stratum); where it only changed who trains, the numbers kept, it says so and who trained as drawn (it said "which
    drew 2/1/2 units ... the small-group rule gives 2/1/2", as if nothing moved).
    ``speakers``: each speaker drawn -> its stratum (:func:`_speaker_strata`); where copies of recordings
    join speakers into fewer units, the note counts both: "8 speakers, drawn as 4 units", not "4 speakers".
    ``mixed``: the genders of the units of more than one (:data:`MIXED`), said "1 unit of women and men
    together", where it said "1 unit of gender mixed"."""
    names = {"f": ("woman", "women"), "m": ("man", "men"), "None": ("of unknown gender",) * 2}
    rank = {"f": 0, "m": 1, "None": 3}  # as a reader counts them: women, men, other genders as given, unknown last
    plural = [names.get(g, (f"of gender {g}",) * 2)[1] for g in sorted(mixed, key=lambda g: (rank.get(g, 2), g))]
    together = " and ".join(f"speakers {p}" if p.startswith("of ") else p for p in plural) or "more than one gender"
    names[MIXED] = ("whose rows give more than one gender",) * 2  # a speaker's own rows: its unit holds it alone
    now = [sum(c[s] for c in counts.values()) for s in range(len(SPLITS))]
    joined = len(speakers) != sum(now)  # copies of recordings drew some speakers together, as one unit
    unit = "unit" if joined else "speaker"

    def who(of: dict[tuple, list[int]], split: int | None = None, units: bool = False) -> str:
        parts = [(sum(c) if split is None else c[split], k[0] if k else "") for k, c in of.items()]
        parts.sort(key=lambda part: rank.get(part[1], 2))
        forms = [(n, k, names.get(k, (f"of gender {k}",) * 2)) for n, k in parts if n and k]
        if units:  # "1 unit of women": a unit may hold several; "1 unit of women and men together"
            return ", ".join(
                f"{n} unit{'s' * (n > 1)} of {f'{together} together' if k == MIXED else form[1].removeprefix('of ')}"
                for n, k, form in forms
            )
        return ", ".join(f"{n} {form[n > 1]}" for n, _, form in forms)

    real: dict[tuple, list[int]] = defaultdict(lambda: [0])
    for stratum in speakers.values():
        real[stratum][0] += 1
    head = f"{len(speakers)} speaker{'s' * (len(speakers) != 1)}{f' ({who(real)})' if who(real) else ''}"
    if joined:
        head += f", drawn as {sum(now)} units (speakers, and sets of them sharing identical audio)"
    train = f" ({who(counts, SPLITS.index('train'), joined)})" if who(counts) else ""
    totals = [sum(c[s] for c in drawn.values()) for s in range(len(SPLITS))]
    gives = f"gives {'/'.join(map(str, now))}"
    if totals == now:  # the same numbers: only who trains changed
        was = who(drawn, SPLITS.index("train"), joined)
        gives = f"keeps {'/'.join(map(str, now))} but changes who trains{f' (train as drawn: {was})' if was else ''}"
    return (
        f"{corpus}'s group {group} has {head}, too few for "
        f"{_user_proportions()} by whole speakers, which drew {'/'.join(map(str, totals))} {unit}s "
        f"(train/validation/test): the small-group rule {gives}, train"
        f"{train} holding at least as many {unit}s as validation and as test, and both genders where each has "
        "two or more; a `split` column in its metadata (train, validation or test in every row) gives the split "
        "you choose"
    )
