"""Training mixtures (paper §4.2) and the shards behind any list of configurations.

From a target group ``l_a`` (language ``l``, age group ``a``) over the languages ``L`` and age groups
``A`` of the benchmark:

=================  ==========  =====================================
mixture            groups      meaning
=================  ==========  =====================================
``baseline``       X(l, a)     in-group training
``cross_lingual``  X(L, a)     + the other languages, same age group
``cross_age``      X(l, A)     + the other age groups, same language
``cross_all``      X(L, A)     every group
=================  ==========  =====================================

``languages=`` widens ``L`` across benchmarks (e.g. ``yue,zho,eng`` for the paper's §6.3), and any
explicit list of configurations (groups, unions such as ``eng``, per-corpus configs such as ``esd``,
any of them restricted to some corpora as ``eng_adu[esd]``) resolves to the same unit, the *shard*
(benchmark, corpus, group), by :func:`bimotion.mixture.parse_mixture`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bimotion.mixture import MIXTURES, Shard, parse_mixture
from bimotion.registry import BENCHMARKS, Group


def benchmark_of_group(group: str) -> str:
    hits = [b.name for b in BENCHMARKS.values() if group in b.groups]
    if not hits:
        known = sorted(g for b in BENCHMARKS.values() for g in b.groups)
        raise KeyError(f"{group!r} is not a group; choose one of: {', '.join(known)}")
    return hits[0]


def all_groups() -> list[str]:
    return [g for b in BENCHMARKS.values() for g in b.groups]


def resolve_mixture(
    target: str,
    mixture: str,
    *,
    languages: Sequence[str] | None = None,
    age_groups: Sequence[str] | None = None,
) -> list[str]:
    """The groups a ``mixture`` trains on for ``target`` (target first, then registry order)."""
    if mixture not in MIXTURES:
        raise ValueError(f"unknown mixture {mixture!r}; choose one of: {', '.join(MIXTURES)}")
    bench = BENCHMARKS[benchmark_of_group(target)]
    group = bench.group(target)
    L = list(languages) if languages else bench.languages
    A = list(age_groups) if age_groups else bench.age_groups
    if group.language not in L or group.age_group not in A:
        raise ValueError(f"target {target} must be inside languages={L} and age_groups={A}")
    widen = MIXTURES[mixture]
    langs = L if widen.all_languages else [group.language]
    ages = A if widen.all_age_groups else [group.age_group]
    wanted = {Group(lang, age).name for lang in langs for age in ages}
    groups = [g for g in all_groups() if g in wanted]
    return [target] + [g for g in groups if g != target]


def shards(configs: Iterable[str]) -> list[Shard]:
    """The union of the shards of ``configs`` (see :func:`bimotion.mixture.parse_mixture`)."""
    return list(parse_mixture(configs).shards)


def groups_of(configs: Iterable[str]) -> list[str]:
    return list(parse_mixture(configs).groups)


def relation(trained_on: list[str], test_group: str) -> str:
    """How a test group relates to the training groups (paper §4.1): ``in_group``, ``cross_lingual``
    (other language, same age group), ``cross_age`` (same language, other age group) or ``cross_all``."""
    if test_group in trained_on:
        return "in_group"
    test = Group.parse(test_group)
    trained = [Group.parse(g) for g in trained_on]
    languages = {g.language for g in trained}
    ages = {g.age_group for g in trained}
    if test.age_group in ages and test.language not in languages:
        return "cross_lingual"
    if test.language in languages and test.age_group not in ages:
        return "cross_age"
    if test.language not in languages and test.age_group not in ages:
        return "cross_all"
    return "cross_group"  # language and age group each seen, never together
