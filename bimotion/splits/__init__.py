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

The package, by job (each imports only those above it)::

    draw       Context (the seeded draws), apportion, sized_split: what every rule shares
    units      UNITS, row_of: what a speaker is per corpus; merged_units: units copies of a recording join
    rules      Official, Sized, Fractions, AsPaper: rules that split clip by clip; USER_PROPORTIONS
    by_unit    ByUnit: whole units per split, and the small-group rule of a user's corpus
    user       UserSplit, USER: a user's corpus; user_split_note(s), joined_speakers: its far draws
    protocols  PAPER, SPEAKER, PROTOCOLS, rule, describe, summary, copies_apart: the tables and their words
    assign     assign_splits: every record's split, with its notes and warnings
"""

from .assign import assign_splits
from .by_unit import ByUnit
from .protocols import (
    CORPORA_APART,
    PAPER,
    PROTOCOL_NAMES,
    PROTOCOLS,
    RECORD_KEYS,
    SPEAKER,
    Rule,
    copies_apart,
    describe,
    heading,
    not_speaker_independent,
    rule,
    split_record,
    summary,
)
from .rules import USER_PROPORTIONS, AsPaper, Fractions, Official, Sized
from .units import UNITS, row_of, speakers_in_several_splits
from .user import USER, UserSplit, joined_speakers, user_split_note, user_split_notes

__all__ = [
    "assign_splits", "PROTOCOL_NAMES", "PROTOCOLS", "PAPER", "SPEAKER", "Rule", "rule", "describe", "heading",
    "summary", "not_speaker_independent", "copies_apart", "CORPORA_APART", "RECORD_KEYS", "split_record",
    "Official", "Sized", "Fractions", "AsPaper", "ByUnit", "UserSplit", "USER", "USER_PROPORTIONS", "UNITS",
    "row_of", "speakers_in_several_splits", "joined_speakers", "user_split_note", "user_split_notes",
]  # fmt: skip
