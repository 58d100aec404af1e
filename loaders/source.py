"""What a corpus is, as `bimotion sources` shows it and the dataset card cites it (:class:`SourceInfo`):
each reader's ``INFO``, and a user corpus's, registered at run time (:mod:`loaders.audiofolder`)."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, replace
from dataclasses import fields as dataclass_fields
from pathlib import Path

from .errors import LayoutError


@dataclass(frozen=True)
class SourceInfo:
    """What `bimotion sources` shows, and what the dataset card cites."""

    name: str
    title: str
    languages: tuple[str, ...]
    age_groups: tuple[str, ...]
    expected_count: int
    license: str
    url: str
    layout: str
    citation: str
    notes: str = ""
    # The exact ``language_agegroup`` groups, where not every language x age group pair exists
    # (a user's corpus, :mod:`loaders.audiofolder`); empty: every pair.
    groups: tuple[str, ...] = ()
    # How its speech was made (the corpus's own description), for a model's Limitations; empty: not
    # declared (a user's corpus: its cards say nothing of it).
    speech: str = ""
    # How its rows got their age group, for both cards: whose ages (the one rule, loaders.record.age_band),
    # or, where the release gives no ages, why (the paper filed the whole corpus in its group). Exactly one
    # is set for each of the seven corpora; a user's corpus sets neither: its ages come from its metadata's
    # `age` or `age_group` column.
    ages_from: str = ""
    filed_without_ages: str = ""
    # What its dataset card warns of that its data says about itself (markdown, a bold lead-in first); empty:
    # none (a user's corpus: its card states its notes instead).
    caveat: str = ""

    # The corpus facts a user's corpus leaves empty: prepare.json leaves them out (as it did before them).
    DECLARED = ("speech", "ages_from", "filed_without_ages", "caveat")
    # The kinds of speech a corpus declares (a reader's ``speech``, a corpus of one's own's card's ``speech:``),
    # alone or before a description: ``acted: students reading set sentences`` (:meth:`declared`; any case,
    # written in lower case: ``Acted`` is ``acted``).  ``unknown``: its source does not say which (CSED's
    # README), so the cards say so rather than name none.
    SPEECH_KINDS = ("acted", "elicited", "natural", "unknown")

    def has_group(self, language: str, age_group: str) -> bool:
        """Whether the corpus holds utterances of ``language`` x ``age_group``."""
        if self.groups:
            return f"{language}_{age_group}" in self.groups
        return language in self.languages and age_group in self.age_groups

    def to_dict(self) -> dict:
        """JSON-ready fields (``prepare.json`` carries a user corpus's source this way)."""
        fields = {name: v for name, v in asdict(self).items() if v or name not in self.DECLARED}
        return {name: list(v) if isinstance(v, tuple) else v for name, v in fields.items()}

    @classmethod
    def takes(cls, d: object) -> bool:
        """Whether ``d`` is what :meth:`to_dict` writes (a mapping of this class's fields, every one without a
        default among them), which :meth:`from_dict` reads: a ``prepare.json``'s ``user_sources`` checked."""
        names = {f.name: f for f in dataclass_fields(cls)}
        needed = {n for n, f in names.items() if f.default is MISSING and f.default_factory is MISSING}
        return isinstance(d, dict) and needed <= set(d) <= set(names)

    @classmethod
    def from_dict(cls, d: dict) -> SourceInfo:
        return cls(**{name: tuple(v) if isinstance(v, list) else v for name, v in d.items()})

    def declaring(self, facts: dict[str, str]) -> SourceInfo:
        """This source with the corpus ``facts`` its user declared (:meth:`declared`)."""
        return replace(self, **facts)

    @staticmethod
    def declared(card: dict, path: str | Path) -> dict[str, str]:
        """The corpus facts a corpus of one's own declares in its card's YAML header (``card``, read from
        ``path``, its README.md), as a reader declares them in its :class:`SourceInfo`: ``speech`` (one of
        :attr:`SourceInfo.SPEECH_KINDS` in any case, given back in lower case, alone or before ``: a
        description``) and at most one of ``ages_from`` (whose ages) and ``filed_without_ages`` (why its
        rows have an age group but no ages).  Anything else is a :class:`~loaders.errors.LayoutError` naming the file, the field and what it takes."""
        kinds = ", ".join(SourceInfo.SPEECH_KINDS)
        facts = {}
        for name in ("speech", "ages_from", "filed_without_ages"):
            value = card.get(name)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                raise LayoutError(
                    path, "bad_card", f"its `{name}:` is {value!r}, not a text", "write a text, or remove it"
                )
            facts[name] = " ".join(value.split())
        kind, colon, description = facts.get("speech", "").partition(":")
        kind = kind.strip().lower()
        if "speech" in facts and kind not in SourceInfo.SPEECH_KINDS:
            raise LayoutError(
                path,
                "bad_card",
                f"its `speech:` is {facts['speech']!r}: how the speech was made is one of {kinds}",
                f"write `speech: acted` (or one of {kinds}), a description after a colon if you like, quoted (YAML "
                'reads a second colon as a mapping): `speech: "acted: students reading set sentences"`',
            )
        if "speech" in facts:
            facts["speech"] = kind + colon + description  # the kind as the cards write it: Acted -> acted
        if "ages_from" in facts and "filed_without_ages" in facts:
            raise LayoutError(
                path,
                "bad_card",
                "it declares both `ages_from:` (whose ages grouped its rows) and `filed_without_ages:` (why its rows "
                "have no ages)",
                "keep the one that is true of your metadata: ages_from where it has an `age` column",
            )
        return facts
