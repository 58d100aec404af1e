"""Plain-language names of groups for the advice: ``zho_eld`` -> "Mandarin elderly".

Language names come from the registry's ISO 639-3 table (:data:`bimotion.registry.LANGUAGE_NAMES`)
and fall back to the code itself; age groups likewise from :data:`bimotion.registry.AGE_GROUP_NAMES`
without the bracketed ages, then the code.
"""

from __future__ import annotations

import re

from ..registry import AGE_GROUP_NAMES, LANGUAGE_NAMES


def language_name(code: str) -> str:
    """``yue`` -> ``Cantonese``; an unknown code is returned as it is."""
    return LANGUAGE_NAMES.get(code, code)


def age_group_name(code: str) -> str:
    """``eld`` -> ``elderly``; an unknown code is returned as it is."""
    name = AGE_GROUP_NAMES.get(code)
    return re.sub(r"\s*\(.*\)\s*$", "", name) if name else code


def group_name(group: str) -> str:
    """``zho_eld`` -> ``Mandarin elderly``; a name that is not ``language_agegroup`` is returned as it is."""
    language, sep, age_group = group.partition("_")
    return f"{language_name(language)} {age_group_name(age_group)}" if sep else group


def names_list(groups: list[str] | tuple[str, ...]) -> str:
    """``Mandarin adults``, ``English elderly and Cantonese elderly``, ``A, B and C``."""
    names = [group_name(g) for g in groups]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
