"""The speaker-independent rule, :class:`ByUnit`: whole units (speakers, actors, sessions, words) per split, drawn
toward the paper protocol's proportions within strata; and, for a user's corpus only, the small-group rule
(:func:`_favour_train`, :func:`_largest_to_train`) that keeps train the largest split of a group of few speakers,
and its note (:func:`_small_group_note`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ..registry import SPLITS
from .draw import MIXED, apportion, ensure_each_split, field_value, grouped_by, unit_stratum
from .rules import user_proportions
from .units import UNITS, home_groups, joined_note, merged_units, row_of


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
        unit_of = merged_units(records, UNITS[self.unit][1], ctx.identical)
        scopes = grouped_by(records, "group") if self.scope == "group" else {"all": records}
        home = home_groups(records, unit_of) if len(scopes) > 1 else {}
        split_of_unit: dict[str, str] = {}
        for scope, rows in scopes.items():
            units: dict[str, list] = defaultdict(list)
            for r in rows:
                unit = unit_of(r)
                if unit is None:
                    raise ValueError(f"{r.id}: has no {UNITS[self.unit][0]}, which the speaker protocol splits by")
                units[unit].append(r)
            if joined := joined_note(rows, units, UNITS[self.unit], ctx.identical, self.scope == "group"):
                ctx.notes.append(joined)
            paper = Counter(ctx.paper[r.id] for r in rows)
            fractions = [paper[s] / len(rows) for s in SPLITS]
            strata: dict[tuple, list[str]] = defaultdict(list)
            for unit in sorted(units):
                if home.get(unit, scope) == scope:  # a unit of several groups is drawn in its largest one only
                    strata[unit_stratum(units[unit], self.balance)].append(unit)
            counts = {k: apportion(len(u), fractions) for k, u in sorted(strata.items())}
            ensure_each_split(counts, sum(len(u) for u in strata.values()))
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
                mixed = {
                    field_value(r, "gender") for k, us in strata.items() if MIXED in k for u in us for r in units[u]
                }
                ctx.notes.append(_small_group_note(rows[0].corpus, scope, drawn, counts, speakers, mixed))
            split_of_unit.update(here)
        return {r.id: split_of_unit[unit_of(r)] for r in records}


def _favour_train(counts: dict[tuple, list[int]]) -> bool:
    """The small-group rule (a user's corpus, :class:`~bimotion.splits.user.UserSplit`): where the drawn
    ``counts`` (units per split, per stratum) give train fewer units than validation or than test, units move into train
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


def _speaker_strata(rows, speaker_of: Callable[[Mapping], str | None], balance) -> dict[str, tuple]:
    """Each speaker of ``rows`` (by ``speaker_of``, a row's) -> its stratum (:func:`unit_stratum`): the
    speakers themselves, not the units that copies of one recording join them into (:func:`merged_units`)."""
    own: dict[str, list] = defaultdict(list)
    for r in rows:
        own[speaker_of(row_of(r))].append(r)
    return {speaker: unit_stratum(members, balance) for speaker, members in own.items()}


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
        f"{user_proportions()} by whole speakers, which drew {'/'.join(map(str, totals))} {unit}s "
        f"(train/validation/test): the small-group rule {gives}, train"
        f"{train} holding at least as many {unit}s as validation and as test, and both genders where each has "
        "two or more; a `split` column in its metadata (train, validation or test in every row) gives the split "
        "you choose"
    )
