"""The licences of what is shared on the Hub, looked up once for ``bimotion push`` of a dataset and of a
model, and for training for the Hub: each corpus's licence (:func:`licences_of`), which corpora are
generated copies (:func:`sharing_licences`), and the warnings before sharing
(:func:`licence_warnings`, :func:`synthetic_warnings`), worded by :mod:`bimotion.card_metadata`.
Apart from :mod:`bimotion.hub`, the way to the Hub, which it needs nothing of."""

from __future__ import annotations

from collections.abc import Container, Iterable


def licences_of(corpora, info: dict | None = None) -> tuple[dict[str, str], list[str]]:
    """``({corpus: licence}, corpora whose licence is unknown here)``: as a prepared folder's
    ``prepare.json`` (``info``) recorded it, else as the corpus's registered source says (a Hub
    dataset, a built-in corpus); a user's corpus that is in neither is unknown.  The one place
    training, ``bimotion push`` of a dataset and of a model look licences up."""
    from loaders import SOURCES

    recorded = (info or {}).get("licenses") or {}
    found, unknown = {}, []
    for corpus in dict.fromkeys(corpora):
        if corpus in recorded or corpus in SOURCES:
            found[corpus] = recorded[corpus] if corpus in recorded else SOURCES[corpus].license
        else:
            unknown.append(corpus)
    return found, unknown


def sharing_licences(
    corpora: Iterable[str], synthetic: Container[str], info: dict | None = None
) -> tuple[list[str], dict[str, str], list[str]]:
    """``(generated corpora, {corpus: licence}, corpora whose licence is unknown here)`` of what is
    shared: those of ``corpora`` in ``synthetic`` are generated (:func:`synthetic_warnings` words
    them), and a generated copy of one of the seven has bimotion's licence
    (:func:`loaders.synthetic.generated_copy`), so only the others' licences are looked up
    (:func:`licences_of`, with ``info`` as there).  The one split of ``bimotion push`` of a dataset,
    of a model, and of training for the Hub."""
    from loaders.synthetic import generated_copy

    corpora = list(dict.fromkeys(corpora))
    found, unknown = licences_of([c for c in corpora if not generated_copy(c, synthetic)], info)
    return [c for c in corpora if c in synthetic], found, unknown


def licence_warnings(licenses: dict[str, str], what: str = "dataset") -> list[str]:
    """``{corpus: licence}`` -> a warning for each licence that restricts the ``what`` (``dataset``,
    ``model``) made from it, saying what it restricts and what to do
    (:func:`bimotion.card_metadata.licence_terms`); a user's own corpus (not one of the seven) is the
    user's to license, so its warning says only that the licence they declared goes with it.  A model,
    made from all its corpora at once, also gets a warning for each share-alike licence it cannot meet
    (:func:`bimotion.card_metadata.share_alike_clashes`); a dataset keeps each corpus's clips under their
    own licence, its card listing each."""
    from bimotion.card_metadata import hub_license, licence_terms, share_alike_clashes
    from loaders import READERS
    from loaders.audiofolder import DEFAULT_LICENSE

    warnings, clashes = [], share_alike_clashes(licenses) if what == "model" else {}
    for corpus, license in licenses.items():
        said_below = ("sa",) if corpus in clashes else ()  # its clash's warning says it, once
        terms = licence_terms(license, leave_out=said_below)
        if corpus in READERS:
            warnings += [f"{corpus}'s licence ({license}): {terms}"] if terms else []
        elif license == DEFAULT_LICENSE:
            warnings.append(
                f"your corpus {corpus} declares no licence (its README.md's `license:`, or `--license "
                f"{corpus}=TEXT` when preparing): the {what} you publish says `unknown`; declare the one you give it"
            )
        elif terms:
            warnings.append(
                f"your corpus {corpus} is declared {license} (Hub id `{hub_license(license)}`): the {what} you "
                f"publish carries it ({licence_terms(license, advice=False, leave_out=said_below)})"
            )
    for corpus, others in clashes.items():
        named = " and ".join(f"{other}'s ({licenses[other]})" for other in others)
        warnings.append(
            f"{corpus}'s licence ({licenses[corpus]}) is share-alike: if a model made from it counts as adapted "
            f"material, it goes under that licence, which {named} {'does' if len(others) == 1 else 'do'} not "
            f"allow, and no licence meets {'both' if len(others) == 1 else 'them all'} (the card says the most "
            "restrictive); share the model only with the rights holders' permission or legal advice, or train "
            "without one of them"
        )
    return warnings


def synthetic_warnings(corpora: Iterable[str], what: str) -> list[str]:
    """A warning before sharing a ``what`` (``dataset``, ``model``) built on generated ``corpora``
    (:mod:`loaders.synthetic`), none when there are none."""
    from loaders.synthetic import NOTE

    corpora = list(dict.fromkeys(corpora))
    if not corpora:
        return []
    return [
        f"this {what} is built on {NOTE} ({', '.join(corpora)}: generated by bimotion's loaders.testing, "
        "not the real corpora); its card says so, and its scores say nothing about real speech"
    ]
