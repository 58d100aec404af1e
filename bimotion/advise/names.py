"""Plain-language names of groups for the advice: ``zho_eld`` -> "Mandarin elderly".

The names themselves are :mod:`bimotion.group_names`' (:func:`~bimotion.group_names.group_name`, shared with the heat
map); this module adds the lists the summary sentences need.
"""

from __future__ import annotations

from ..group_names import age_group_name, group_name, language_name

__all__ = ["age_group_name", "group_name", "language_name", "names_list"]


def names_list(groups: list[str] | tuple[str, ...], spec: str = "") -> str:
    """``Mandarin adults``, ``English elderly and Cantonese elderly``, ``A, B and C``; a group that the mixture
    ``spec`` draws from some of its corpora only (``ind_eld+eng_eld[tess]``: the folder was prepared with TESS
    alone, or --groups said so) with them, ``English elderly (tess)``: it is not the whole group."""
    some = {g: rest.rstrip("]").replace(",", ", ") for g, _, rest in (p.partition("[") for p in spec.split("+"))}
    names = [group_name(g) + (f" ({some[g]})" if some.get(g) else "") for g in groups]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
