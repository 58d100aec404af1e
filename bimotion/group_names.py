"""The names people read for groups: ``eld`` -> ``elderly``, ``yue`` -> ``Cantonese``, ``zho_eld`` ->
``Mandarin elderly`` (:func:`group_name`), and the age groups' ages for a set of languages
(:func:`age_bands`, by the one rule, :func:`loaders.record.age_band`).  The figures, reports and cards
word groups with these; :mod:`bimotion.registry` structures them (:class:`bimotion.registry.Group`)."""

from __future__ import annotations

from loaders import READERS
from loaders.languages import LANGUAGE_NAMES
from loaders.record import ADULT_MIN_AGE, OWN_MIN_AGE, age_band

# the age groups' names; their ages depend on the language (loaders.record.age_band, the one rule)
AGE_GROUP_NAMES = {"eld": "elderly", "adu": "adults"}


def language_name(code: str) -> str:
    """``yue`` -> ``Cantonese``, ``swe`` -> ``Swedish``; a code no table names is returned as it is."""
    return LANGUAGE_NAMES.known(code) or code


def age_group_name(code: str) -> str:
    """``eld`` -> ``elderly`` (without ages: :func:`loaders.record.age_band` gives a language's); an unknown
    code is returned as it is."""
    return AGE_GROUP_NAMES.get(code, code)


def youngest_adult_age(corpora) -> int:
    """The youngest adults' age in ``corpora``, for their groups' bands: the paper's 20 for the seven
    corpora, 18 where one is a corpus of one's own (its 18- and 19-year-olds are adults:
    :data:`loaders.record.OWN_MIN_AGE`)."""
    return min((ADULT_MIN_AGE if corpus in READERS else OWN_MIN_AGE for corpus in corpora), default=ADULT_MIN_AGE)


def age_bands(languages, youngest: int = ADULT_MIN_AGE) -> str:
    """The age groups' ages for speakers of ``languages`` (ISO 639-3 codes), by the one rule
    (:func:`loaders.record.age_band`; ``youngest``: the youngest adults' age, :func:`youngest_adult_age`):
    ``adults (20-59), elderly (60+)``; where the languages' bands differ, per language:
    ``English, Mandarin: adults (20-59), elderly (60+); Cantonese: adults (20-58), elderly (59+)``."""
    by_band: dict[str, list[str]] = {}
    for code in dict.fromkeys(languages) or [""]:
        by_band.setdefault(f"{age_band(code, 'adu', youngest)}, {age_band(code, 'eld')}", []).append(code)
    if len(by_band) == 1:
        return next(iter(by_band))
    return "; ".join(f"{', '.join(map(language_name, codes))}: {band}" for band, codes in by_band.items())


def group_name(group: str) -> str:
    """``zho_eld`` -> ``Mandarin elderly``, for figures and reports; a name that is not
    ``language_agegroup`` is returned as it is."""
    language, sep, age_group = group.partition("_")
    return f"{language_name(language)} {age_group_name(age_group)}" if sep else group
