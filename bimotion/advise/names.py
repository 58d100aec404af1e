"""Plain-language names of groups for the advice: ``zho_eld`` -> "Mandarin elderly".

The names themselves are :mod:`bimotion.group_names`' (:func:`~bimotion.group_names.group_name`, shared with the heat
map); this module adds the lists the summary sentences need.
"""

from __future__ import annotations

from ..group_names import age_group_name, group_name, language_name

__all__ = ["age_group_name", "group_name", "language_name", "names_list"]


def names_list(groups: list[str] | tuple[str, ...]) -> str:
    """``Mandarin adults``, ``English elderly and Cantonese elderly``, ``A, B and C``."""
    names = [group_name(g) for g in groups]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
