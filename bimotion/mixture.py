"""Mixture specs, parsed in one place: what a model trains on and what a test set holds.

A spec is one or more registry configs joined by ``+`` (``eng_eld``, ``eng``, ``bimotion:all``,
``esd``, ``yuemotion:all``), each optionally restricted to some of its corpora in brackets:
``yuemotion:all+eng_adu[esd]`` is YueMotion plus the ESD part of English adults.  Every spec
resolves to *shards* (benchmark, corpus, group); two specs with the same shards are the same data.

The paper's augmentation mixtures around a target group ``l_a`` (§4.2) are data here too
(:data:`MIXTURES`): which of the target's language and age group they widen to the benchmark's.
Imports nothing heavy: the CLI, the grid and argument checks use it at startup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from .figure_fonts import drawable
from .group_names import age_group_name, group_name, language_name
from .mistyped import did_you_mean
from .registry import BENCHMARKS, OWN_GROUP_FLAGS, Group, find_config


class Shard(NamedTuple):
    benchmark: str
    corpus: str
    group: str


@dataclass(frozen=True)
class Mixture:
    """A parsed spec: its configs (as written, one per ``+`` part; a name of several benchmarks with the
    one it means, ``bimotion:all``) and the shards they resolve to."""

    configs: tuple[str, ...]
    shards: tuple[Shard, ...]

    @property
    def spec(self) -> str:
        return "+".join(self.configs)

    @property
    def slug(self) -> str:
        """File-name-safe form (``yuemotion:all+eng_adu[esd]`` -> ``yuemotion-all+eng_adu-esd``)."""
        return re.sub(r"[^\w+.-]+", "-", re.sub(r"\[([^\]]*)\]", r"-\1", self.spec)).strip("-")

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.group for s in self.shards))

    @property
    def benchmarks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.benchmark for s in self.shards))

    def within(self, held: Iterable[Shard]) -> Mixture:
        """The same configs, read from their shards in ``held`` only (those the data has,
        :func:`bimotion.data.held.held_shards`: ``zho`` of a folder without ``zho_adu``); itself
        where that leaves none (reading it then names what is missing)."""
        held = set(held)
        kept = tuple(s for s in self.shards if s in held)
        return Mixture(self.configs, kept) if kept else self


_PART = re.compile(r"\s*([^\s\[\]+]+)\s*(?:\[([^\[\]]*)\])?\s*")


def config_part(part: str) -> tuple[str, list[str] | None]:
    """One ``+`` part of a spec, ``NAME`` or ``NAME[corpus,...]`` (``bimotion:eng_eld[tess]``): its config
    name and the corpora it is restricted to (None: all of them).  ``ValueError`` for anything else."""
    match = _PART.fullmatch(part)
    if not match:
        raise ValueError(f"cannot read config {part!r}: write NAME or NAME[corpus,...], joined by '+'")
    name, only = match.groups()
    return name, None if only is None else [c.strip() for c in only.split(",") if c.strip()]


def group_spec(benchmark: str, group: str, corpora: Iterable[str]) -> str:
    """The spec of ``group`` of ``benchmark`` drawn from ``corpora``: its name where they are all its corpora
    (``eng_eld``), else with them in its config's order (``eng_eld[crema_d,tess]``), as :func:`config_part` reads
    it: a grid's groups (:func:`bimotion.grid.config.prepared_groups`) and the items of a list of them."""
    every, have = BENCHMARKS[benchmark].config(group).corpora, set(corpora)
    kept = [corpus for corpus in every if corpus in have]
    return group if kept == list(every) else f"{group}[{','.join(kept)}]"


def _part_shards(part: str, own_group: str) -> tuple[str, list[Shard]]:
    """``part``'s shards, and ``part`` as :attr:`Mixture.configs` holds it: a name that several
    benchmarks have, resolved by the data given (``all``), with its benchmark (``bimotion:all``)."""
    name, wanted = config_part(part)
    bench, config = find_config(name, own_group=own_group)
    if ":" not in name and sum(name in b.configs for b in BENCHMARKS.values()) > 1:
        part = f"{bench.name}:{part}"
    shards = [Shard(bench.name, corpus, group) for corpus, group in config.shards]
    if wanted is None:
        return part, shards
    unknown = sorted(set(wanted) - set(config.corpora))
    if unknown or not wanted:
        named = ", ".join(f"{c}{did_you_mean(c, config.corpora)}" for c in unknown) or "(none given)"
        raise ValueError(f"{name} has no corpus {named}; its corpora: {', '.join(config.corpora)}")
    return part, [s for s in shards if s.corpus in wanted]


def parse_mixture(spec: str | Iterable[str], *, own_group: str = OWN_GROUP_FLAGS) -> Mixture:
    """Parse ``"yuemotion:all+eng_adu[esd]"`` or a list of such specs (their union, without repeats).

    Raises ``KeyError`` for an unknown or ambiguous config name (a name of no config says how a group of
    one's own corpus becomes known in ``own_group``'s words, :func:`bimotion.registry.find_config`),
    ``ValueError`` for anything else."""
    items = [spec] if isinstance(spec, str) else list(spec)
    configs, shards = [], {}
    for part in (part.strip() for item in items for part in re.split(r"\+(?![^\[]*\])", item)):
        written, found = _part_shards(part, own_group)
        configs.append(written)
        shards.update(dict.fromkeys(found))
    if not shards:
        raise ValueError("no configs given")
    return Mixture(tuple(configs), tuple(shards))


# ---------------------------------------------------------------------------- the paper's mixtures
@dataclass(frozen=True)
class Augmentation:
    """A §4.2 mixture for target ``l_a``: the target's language and/or age group widened to all of them."""

    notation: str  # the paper's, e.g. "X(L,a)"
    all_languages: bool
    all_age_groups: bool

    def config(self, target: str, benchmark: str) -> str:
        """The registry config holding exactly this mixture's groups inside ``benchmark``
        (``bimotion:all``, a language such as ``eng``, an age group such as ``eld``, or the target)."""
        group = Group.parse(target)
        if self.all_languages and self.all_age_groups:
            return f"{benchmark}:all"
        return group.age_group if self.all_languages else group.language if self.all_age_groups else target


MIXTURES: dict[str, Augmentation] = {
    "baseline": Augmentation("X(l,a)", all_languages=False, all_age_groups=False),
    "cross_lingual": Augmentation("X(L,a)", all_languages=True, all_age_groups=False),
    "cross_age": Augmentation("X(l,A)", all_languages=False, all_age_groups=True),
    "cross_all": Augmentation("X(L,A)", all_languages=True, all_age_groups=True),
}


_BENCHMARK_NAMES = {"bimotion": "BiMotion", "yuemotion": "YueMotion"}


def _corpus_name(corpus: str) -> str:
    """A corpus's title (a corpus of one's own: its card's ``pretty_name``), or its name where a figure
    would draw the title as empty boxes (耆樂情緒語料 with no Chinese font installed)."""
    from loaders import SOURCES

    title = SOURCES[corpus].title.split(":")[0]
    return title if drawable(title) else corpus


def _config_name(name: str) -> str:
    bench, config = find_config(name)
    groups = config.groups
    if config.name in bench.groups:
        return group_name(config.name)
    if config.name in bench.corpora:
        return _corpus_name(config.name)
    if set(groups) == set(bench.groups):
        return f"all of {_BENCHMARK_NAMES.get(bench.name, bench.name)}"
    languages = {g.partition("_")[0] for g in groups}
    ages = {g.partition("_")[2] for g in groups}
    if len(languages) == 1:
        return f"{language_name(languages.pop())}, all ages"
    if len(ages) == 1:
        return f"{age_group_name(ages.pop())}, all languages"
    return ", ".join(map(group_name, groups))


def mixture_name(spec: str) -> str:
    """A reader's name of a mixture spec: its parts' names joined by `` + `` (a corpus restriction
    ``eng_adu[esd]`` reads "ESD English adults"); a spec that names no registry config (a model
    folder, say) is returned as it is."""
    try:
        parts = parse_mixture(spec).configs
        names = []
        for part in parts:
            name, only = config_part(part)
            corpora = [_corpus_name(c) for c in only or ()]
            names.append(" ".join([" and ".join(corpora), _config_name(name)]).strip())
    except (KeyError, ValueError):
        return spec
    return " + ".join(names)
