"""Plain-language names of groups for the advice: ``zho_eld`` -> "Mandarin elderly".

The names themselves are :mod:`bimotion.group_names`' (:func:`~bimotion.group_names.group_name`, shared with the heat
map); this module adds the lists the summary sentences need.
"""

from __future__ import annotations

from loaders.tables import joined

from ..group_names import group_name


def names_list(groups: list[str] | tuple[str, ...], spec: str = "") -> str:
    """``Mandarin adults``, ``English elderly and Cantonese elderly``, ``A, B and C``; a group that the mixture
    ``spec`` draws from some of its corpora only (``ind_eld+eng_eld[tess]``: the folder was prepared with TESS
    alone, or --groups said so; ``bimotion:eng[tess]``) with them, ``English elderly (tess)``: it is not the
    whole group.  ``spec`` is read by the one parser (:func:`bimotion.mixture.parse_mixture`: its errors)."""
    some = _drawn_from_some(spec) if spec else {}
    names = [group_name(g) + (f" ({', '.join(some[g])})" if g in some else "") for g in groups]
    return joined(names)


def _drawn_from_some(spec: str) -> dict[str, tuple[str, ...]]:
    """``{group: its corpora that spec draws from}`` of each group of ``spec`` drawn from fewer than all of its
    benchmark's corpora of it, in the order the spec draws them."""
    from ..mixture import parse_mixture
    from ..registry import BENCHMARKS

    drawn: dict[tuple[str, str], list[str]] = {}
    for shard in parse_mixture(spec).shards:
        drawn.setdefault((shard.benchmark, shard.group), []).append(shard.corpus)
    return {
        group: tuple(corpora)
        for (bench, group), corpora in drawn.items()
        if set(corpora) < set(BENCHMARKS[bench].corpora_of(group))
    }
