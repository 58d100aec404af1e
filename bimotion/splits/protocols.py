"""The two protocols as tables of rules per corpus (:data:`PAPER`, :data:`SPEAKER`), and what reads them: the
rule of a corpus (:func:`rule`: a user's corpus as prepare recorded its split, :data:`RECORD_KEYS`), in words
for the cards (:func:`describe`, :func:`heading`, :func:`summary`), the corpora whose split is not
speaker-independent, and why copies of one recording lie in different splits (:func:`copies_apart`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .by_unit import ByUnit
from .rules import AsPaper, Fractions, Official, Sized
from .user import USER, UserSplit

PROTOCOL_NAMES: tuple[str, ...] = ("paper", "speaker")

Rule = Official | Sized | Fractions | ByUnit | AsPaper  # and UserSplit, for a user's corpus

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


def protocol_table(protocol: str) -> dict[str, Rule]:
    """``protocol``'s rules per corpus; an unknown protocol is a KeyError naming the two."""
    try:
        return PROTOCOLS[protocol]
    except KeyError:
        raise KeyError(f"unknown split protocol {protocol!r}; choose one of: {', '.join(PROTOCOLS)}") from None


def copies_apart(corpus: str, record: Mapping | None = None) -> tuple[str, str]:
    """Why copies of one recording (identical audio) in ``corpus`` lie in different splits, and what to
    do, as prepare's warning and ``check``'s failure say it: a split drawn here keeps each set in one
    split (:func:`~loaders.identical.keep_together`, :func:`~bimotion.splits.units.merged_units`), so it is a
    corpus of one's own's ``split`` column, or a release's official split, which prepare keeps as published; of a
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


def rule(protocol: str, corpus: str, record: Mapping | None = None) -> Rule | UserSplit:
    """How ``protocol`` splits ``corpus``; any corpus other than the seven is a user's (:data:`USER`).
    ``record``: a prepare.json, or scores.json's ``user_splits`` entry of its benchmark
    (:data:`RECORD_KEYS`): a user's corpus then says which of its two ways was used, and whether its
    own column kept speakers apart (None: not known, both ways are said; a record of the column but
    not of its speakers, from an earlier version: ``unrecorded``, not known to keep them apart)."""
    found = protocol_table(protocol).get(corpus, USER)
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
    protocol_table(protocol)
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
