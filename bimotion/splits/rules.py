"""The rules that split a corpus clip by clip: its own split (:class:`Official`), fixed validation and test
sizes per group (:class:`Sized`) or fractions of each cell (:class:`Fractions`), drawn within strata, or the
paper split kept where no speaker-independent one is possible (:class:`AsPaper`); and the proportions a
user's corpus is drawn toward (:data:`USER_PROPORTIONS`), in the words the notes give them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .draw import Context, grouped_by, round_half_up, sized_split


@dataclass(frozen=True)
class Official:
    """The corpus's own split (``Utterance.official_split``); ``otherwise`` when no record has one (a rule
    that draws the paper split itself: :class:`~bimotion.splits.by_unit.ByUnit` and :class:`AsPaper` read it)."""

    otherwise: Sized | Fractions | None = None
    speaker_independent = False

    def describe(self, brief: bool = False) -> str:
        text = "the corpus's official split"
        return f"{text} when given, else {self.otherwise.describe(brief)}" if self.otherwise else text

    def apply(self, records: list, ctx: Context) -> dict[str, str]:
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
        for group, rows in grouped_by(records, "group").items():
            if group not in self.sizes:
                raise ValueError(f"{rows[0].corpus}: no split sizes for group {group!r} (have {sorted(self.sizes)})")
            train, validation, test = self.sizes[group]
            n, total = len(rows), train + validation + test
            if n < total:
                validation, test = round_half_up(validation * n / total), round_half_up(test * n / total)
            out.update(sized_split(rows, validation, test, self.stratify, ctx, (rows[0].corpus, group)))
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
        for cell, rows in grouped_by(records, ("group", *self.within)).items():
            n = len(rows)
            key = (rows[0].corpus, *map(str, cell))
            out.update(
                sized_split(
                    rows, round_half_up(self.validation * n), round_half_up(self.test * n), self.stratify, ctx, key
                )
            )
        return out


@dataclass(frozen=True)
class AsPaper:
    """No speaker-independent split is possible: keep the paper protocol's split, for ``reason``."""

    reason: str
    speaker_independent = False

    def describe(self, brief: bool = False) -> str:
        return f"NOT speaker-independent, the paper split is kept: {self.reason}"

    def apply(self, records, ctx):
        return {r.id: ctx.paper[r.id] for r in records}


# Where the speaker-independent split takes a user corpus's proportions from (YueMotion's paper protocol).
USER_PROPORTIONS = Fractions(validation=0.15, test=0.35)


def user_proportions() -> str:
    """``0.5/0.15/0.35``: :data:`USER_PROPORTIONS` as train/validation/test."""
    v, t = USER_PROPORTIONS.validation, USER_PROPORTIONS.test
    return f"{1 - v - t:g}/{v:g}/{t:g}"


def user_percent() -> str:
    """``50/15/35%``: :data:`USER_PROPORTIONS` as train/validation/test percentages."""
    v, t = USER_PROPORTIONS.validation, USER_PROPORTIONS.test
    return "/".join(f"{100 * x:.0f}" for x in (1 - v - t, v, t)) + "%"
