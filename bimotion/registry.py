"""The registry of benchmarks, groups and configurations, derived from the corpora's SourceInfo.

A *group* (:class:`Group`) is a (language, age group) pair named like ``eng_eld``; a *shard* is one corpus's part of
one group, the unit stored on disk (``data/<corpus>/<group>/<split>-*.parquet``).  Every
configuration is a set of shards, so unions (``eng``, ``eld``, ``all``) and per-corpus configs
reference the same files and never store audio twice.  The CLI, the dataset card, the docs and
the parametrised tests all read this one registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from loaders import SOURCES

SPLITS: tuple[str, ...] = ("train", "validation", "test")
LANGUAGE_NAMES = {"eng": "English", "zho": "Mandarin", "yue": "Cantonese"}
AGE_GROUP_NAMES = {"eld": "elderly (60+)", "adu": "adults (20-59)"}


@dataclass(frozen=True, order=True)
class Group:
    """A (language, age group) pair.  Its :attr:`name` (``eng_eld``) is what configs, files, JSON and the
    CLI hold; code that needs either half parses the name once with :meth:`parse`."""

    language: str
    age_group: str

    @classmethod
    def parse(cls, name: str) -> Group:
        language, sep, age_group = name.partition("_")
        if not sep or language not in LANGUAGE_NAMES or age_group not in AGE_GROUP_NAMES:
            known = ", ".join(g for b in BENCHMARKS.values() for g in b.groups)
            raise ValueError(f"{name!r} is not a group (language_agegroup); known groups: {known}")
        return cls(language, age_group)

    @property
    def name(self) -> str:
        return f"{self.language}_{self.age_group}"

    @property
    def description(self) -> str:
        """``English elderly (60+)``."""
        return f"{LANGUAGE_NAMES[self.language]} {AGE_GROUP_NAMES[self.age_group]}"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    shards: tuple[tuple[str, str], ...]  # (corpus, group)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g for _, g in self.shards))

    @property
    def corpora(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.shards))


@dataclass(frozen=True)
class Benchmark:
    name: str
    corpora: tuple[str, ...]
    groups: tuple[str, ...]
    unions: tuple[tuple[str, tuple[str, ...]], ...]  # (config name, groups)
    per_corpus_configs: bool
    default_config: str

    @cached_property
    def typed_groups(self) -> tuple[Group, ...]:
        return tuple(Group.parse(name) for name in self.groups)

    def group(self, name: str) -> Group:
        """The typed group ``name`` of this benchmark."""
        if name not in self.groups:
            raise KeyError(f"{self.name} has no group {name!r}; choose one of: {', '.join(self.groups)}")
        return Group.parse(name)

    @property
    def languages(self) -> list[str]:
        return sorted({g.language for g in self.typed_groups})

    @property
    def age_groups(self) -> list[str]:
        return sorted({g.age_group for g in self.typed_groups})

    @cached_property
    def shards(self) -> tuple[tuple[str, str], ...]:
        """Every (corpus, group) pair that exists, in registry order."""
        out = []
        for group in self.typed_groups:
            for corpus in self.corpora:
                info = SOURCES[corpus]
                if group.language in info.languages and group.age_group in info.age_groups:
                    out.append((corpus, group.name))
        return tuple(out)

    def corpora_of(self, group: str) -> tuple[str, ...]:
        return tuple(c for c, g in self.shards if g == group)

    @cached_property
    def configs(self) -> dict[str, Config]:
        configs: dict[str, Config] = {}
        for group in self.typed_groups:
            corpora = self.corpora_of(group.name)
            configs[group.name] = Config(
                group.name, f"{group.description}: {', '.join(corpora)}", tuple((c, group.name) for c in corpora)
            )
        for name, groups in self.unions:
            configs[name] = Config(
                name,
                "union of " + ", ".join(groups),
                tuple(shard for shard in self.shards if shard[1] in groups),
            )
        if self.per_corpus_configs:
            for corpus in self.corpora:
                configs[corpus] = Config(
                    corpus,
                    f"{SOURCES[corpus].title}, all of its groups",
                    tuple(s for s in self.shards if s[0] == corpus),
                )
        return configs

    def config(self, name: str) -> Config:
        try:
            return self.configs[name]
        except KeyError:
            raise KeyError(f"{self.name} has no config {name!r}; choose one of: {', '.join(self.configs)}") from None


BIMOTION = Benchmark(
    name="bimotion",
    corpora=("crema_d", "tess", "esd", "iemocap", "elderreact", "csed"),
    groups=("eng_eld", "eng_adu", "zho_eld", "zho_adu"),
    unions=(
        ("eng", ("eng_eld", "eng_adu")),
        ("zho", ("zho_eld", "zho_adu")),
        ("eld", ("eng_eld", "zho_eld")),
        ("adu", ("eng_adu", "zho_adu")),
        ("all", ("eng_eld", "eng_adu", "zho_eld", "zho_adu")),
    ),
    per_corpus_configs=True,
    default_config="all",
)

YUEMOTION = Benchmark(
    name="yuemotion",
    corpora=("yuemotion",),
    groups=("yue_adu", "yue_eld"),
    unions=(("all", ("yue_adu", "yue_eld")),),
    per_corpus_configs=False,
    default_config="all",
)

BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (BIMOTION, YUEMOTION)}


def find_config(name: str) -> tuple[Benchmark, Config]:
    """Resolve a config name (``eng_eld``, ``yue_adu``, ``bimotion:all``, ``yuemotion:all``)."""
    if ":" in name:
        bench, _, cfg = name.partition(":")
        return BENCHMARKS[bench], BENCHMARKS[bench].config(cfg)
    hits = [(b, b.configs[name]) for b in BENCHMARKS.values() if name in b.configs]
    if len(hits) != 1:
        options = sorted({f"{b.name}:{c}" if c == "all" else c for b in BENCHMARKS.values() for c in b.configs})
        raise KeyError(f"config {name!r} is {'ambiguous' if hits else 'unknown'}; choose one of: {', '.join(options)}")
    return hits[0]
