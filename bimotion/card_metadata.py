"""What the dataset and model cards' YAML says about the sources, decided once for both: Hub licence
ids of the corpora's licences (:func:`hub_license`), the licence of data or a model made from several
corpora (:func:`combined_license`, the most restrictive wins), Hub language codes
(:func:`hub_language`), the Hub id of a source that lives on the Hub (:func:`hub_dataset_id`) and
the Hub's ``size_categories`` (:func:`size_category`); and, for the cards and the warnings before a
push, what a licence restricts and what to do about it (:func:`licence_terms`).

The licence ids and their order are the Hub's (https://huggingface.co/docs/hub/repositories-licenses);
a licence this module does not recognise (research only, by request, an EULA) is ``other``, named by
``license_name`` and ``license_link`` as the Hub requires; a licence nobody declared (a user's corpus without one:
``unknown (user corpus)``) is the Hub's ``unknown``, the most restrictive, and is named by no ``license_name``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from loaders.languages import ISO_639_1, iso639_3

# Hub licence ids by how much they restrict the reuse of derived data or models: public domain,
# permissive/attribution, share-alike, non-commercial, no derivatives, both; `other` (anything not
# recognised: research only, by request, EULAs) ranks above them all.
RESTRICTIVENESS = {
    "cc0-1.0": 0,
    "pddl": 0,
    "mit": 1,
    "apache-2.0": 1,
    "bsd-3-clause": 1,
    "odc-by": 1,
    "cc-by-3.0": 1,
    "cc-by-4.0": 1,
    "odbl": 2,
    "cc-by-sa-3.0": 2,
    "cc-by-sa-4.0": 2,
    "cc-by-nc-3.0": 3,
    "cc-by-nc-4.0": 3,
    "cc-by-nc-sa-3.0": 3,
    "cc-by-nc-sa-4.0": 3,
    "cc-by-nd-4.0": 4,
    "cc-by-nc-nd-3.0": 5,
    "cc-by-nc-nd-4.0": 5,
    "other": 6,
    "unknown": 7,  # declared by nobody (a user's corpus without one): nothing is known to be granted
}
HUB_DATASETS_URL = "https://huggingface.co/datasets/"
SIZE_CATEGORIES = ("n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B")
_CC = re.compile(r"\bcc[- ]?by((?:[- ](?:nc|nd|sa))*)[- ]?v?(\d\.\d)\b")
_WORDS = (
    (re.compile(r"^unknown\b"), "unknown"),  # loaders.audiofolder.DEFAULT_LICENSE, a corpus not registered
    (re.compile(r"\bcc0\b|\bcc[- ]zero\b"), "cc0-1.0"),
    (re.compile(r"\bodbl\b"), "odbl"),
    (re.compile(r"\bpddl\b"), "pddl"),
    (re.compile(r"\bodc[- ]by\b"), "odc-by"),
    (re.compile(r"\bapache(?:[- ]license)?[- ,]*(?:version[- ])?2(?:\.0)?\b"), "apache-2.0"),
    (re.compile(r"\bmit\b"), "mit"),
    (re.compile(r"\bbsd[- ]3[- ]clause\b"), "bsd-3-clause"),
)


# What each kind of licence restricts in data or a model made from a corpus, and what to do about
# it (:func:`licence_terms`); a licence's kinds are the clauses of its Hub id (``cc-by-nc-nd-4.0``:
# ``nc``, ``nd``), ``odbl`` being share-alike and ``other`` (research only, an EULA) its own kind.
TERMS = {
    "nc": (
        "non-commercial use only",
        "mark the repository's licence as it (done in the card) and do not use it commercially",
    ),
    "nd": (
        "no derivatives",
        "a dataset copy or a model trained on it may be a derivative: keep it private or gated unless you hold "
        "the rights",
    ),
    "sa": ("share-alike", "publish under the same licence"),
    "other": (
        "redistribution not granted",
        "keep it private or gated; share only with people who hold that licence",
    ),
}
_KINDS = {"odbl": ("sa",), "other": ("other",), "unknown": ("other",)}


def licence_kinds(license: str) -> tuple[str, ...]:
    """The kinds of :data:`TERMS` a licence (as worded, or a Hub id) has: ``("nc", "nd")`` for CC
    BY-NC-ND, ``("other",)`` for a research-only licence, ``()`` for a public-domain or permissive one."""
    hub_id = hub_license(license)
    return _KINDS.get(hub_id) or tuple(kind for kind in ("nc", "nd", "sa") if f"-{kind}-" in f"-{hub_id}-")


def licence_terms(license: str, *, advice: bool = True, leave_out: tuple[str, ...] = ()) -> str:
    """What ``license`` restricts and, with ``advice``, what to do about it, one clause per kind
    (``non-commercial use only: mark ...; no derivatives: a dataset copy ...``); ``""`` for a
    licence that restricts nothing that needs saying.  The one wording of the cards and of the
    warnings before a push or training for the Hub.  ``leave_out``: kinds said elsewhere (``("sa",)``
    where a share-alike clash is warned of on its own)."""
    kinds = [kind for kind in licence_kinds(license) if kind not in leave_out]
    if not advice:
        return ", ".join(TERMS[kind][0] for kind in kinds)
    return "; ".join(f"{TERMS[kind][0]}: {TERMS[kind][1]}" for kind in kinds)


def share_alike_clashes(licenses: Mapping[str, str]) -> dict[str, list[str]]:
    """``{corpus: [the corpora whose licence it clashes with]}`` for each share-alike corpus of
    ``licenses`` (``{corpus: licence as worded}``): a share-alike licence asks that material adapted
    from the corpus be published under that licence (a CC one: or a later version of it), which a
    corpus under a licence with terms it lacks does not allow: an EULA, no derivatives, another
    share-alike family (ODbL beside CC BY-SA), non-commercial beside CC BY-SA.  No clash: a
    permissive licence, the same licence or another version of it, and a CC licence whose clauses the
    share-alike one has (CC BY-NC beside CC BY-NC-SA)."""
    ids = {corpus: hub_license(text) for corpus, text in licenses.items()}
    clashes = {}
    for corpus, hub_id in ids.items():
        if "sa" in licence_kinds(hub_id):
            others = [c for c, other in ids.items() if not _goes_under(other, hub_id)]
            if others:
                clashes[corpus] = others
    return clashes


def _goes_under(hub_id: str, share_alike: str) -> bool:
    """Whether material under ``hub_id`` may be adapted together with ``share_alike`` material and
    published under the share-alike licence."""
    if RESTRICTIVENESS[hub_id] <= RESTRICTIVENESS["cc-by-4.0"] or hub_id == share_alike:
        return True
    if not (hub_id.startswith("cc-by") and share_alike.startswith("cc-by")):
        return False  # ODbL, an EULA: their own terms
    clauses, shared = set(licence_kinds(hub_id)), set(licence_kinds(share_alike))
    return clauses == shared or ("sa" not in clauses and clauses <= shared)


def hub_license(text: str) -> str:
    """The Hub licence id of a corpus's licence as its ``SourceInfo`` words it (``CC BY-NC-ND 4.0``
    -> ``cc-by-nc-nd-4.0``, ``ODbL-1.0 (database), DbCL-1.0 (contents)`` -> ``odbl``); ``other``
    when it is none the Hub lists (research only, by request, an EULA); ``unknown`` for a licence nobody declared
    (``unknown (user corpus)``)."""
    lowered = " ".join(text.lower().replace("_", "-").split())
    match = _CC.search(lowered)
    if match:
        parts = re.findall(r"nc|nd|sa", match.group(1))
        found = "-".join(["cc-by", *sorted(parts, key=["nc", "nd", "sa"].index), match.group(2)])
        return found if found in RESTRICTIVENESS else "other"
    for pattern, hub_id in _WORDS:
        if pattern.search(lowered):
            return hub_id
    return "other"


@dataclass(frozen=True)
class License:
    """A card's licence: the Hub id, and for ``other`` the ``license_name``/``license_link`` the Hub
    requires; ``sources``: ``{corpus: its licence as worded}`` it was derived from."""

    id: str
    name: str | None
    link: str | None
    sources: dict[str, str]
    deciding: tuple[str, ...]  # the corpora whose licence is the most restrictive

    def metadata(self) -> dict:
        """The card's YAML keys: ``license`` and, for ``other``, ``license_name``/``license_link``."""
        extra = {"license_name": self.name, "license_link": self.link} if self.id == "other" else {}
        return {"license": self.id, **extra}

    @property
    def description(self) -> str:
        """``cc-by-nc-nd-4.0 (the most restrictive of: tess: CC BY-NC-ND 4.0; csed: Apache-2.0)``."""
        named = self.id if self.id != "other" else f"other ({self.name}, {self.link})"
        listed = "; ".join(f"{corpus}: {text}" for corpus, text in self.sources.items())
        return f"{named}, the most restrictive of: {listed}" if len(self.sources) > 1 else f"{named} ({listed})"


def combined_license(licenses: Mapping[str, str], urls: Mapping[str, str], *, card: str = "README.md") -> License:
    """The licence of data or a model made from the corpora of ``licenses`` (``{corpus: licence as
    worded}``): the most restrictive of their Hub ids.  ``other`` when that is no licence the Hub
    lists, or when several different licences are equally restrictive; it is then named after the
    corpora that decide it and linked to that corpus's page (``urls``), or, for several or a corpus
    with no web page (a user's own), to the ``card`` that lists them all."""
    if not licenses:
        raise ValueError("no source licence to derive a licence from: name the corpora the data came from")
    ids = {corpus: hub_license(text) for corpus, text in licenses.items()}
    top = max(RESTRICTIVENESS[i] for i in ids.values())
    deciding = tuple(corpus for corpus, i in ids.items() if RESTRICTIVENESS[i] == top)
    winners = {ids[c] for c in deciding}
    if len(winners) == 1 and "other" not in winners:
        return License(winners.pop(), None, None, dict(licenses), deciding)
    name = _slug("-".join(deciding) + ("-license" if len(deciding) == 1 else "-licenses"))
    url = urls.get(deciding[0]) if len(deciding) == 1 else None  # a user corpus's is "..., not published"
    link = url if url and url.startswith(("https://", "http://")) else card
    return License("other", name, link, dict(licenses), deciding)


def _slug(text: str) -> str:
    """A ``license_name`` the Hub accepts: lower-case letters, digits, dots and dashes."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9.]+", "-", text.lower())).strip("-")


def hub_language(code: str) -> str:
    """The Hub language code of an ISO 639-3 code: its two-letter ISO 639-1 code where it has one
    (``eng`` -> ``en``, ``swe`` -> ``sv``, from SIL's table shipped in ``loaders``; ``zsm`` -> ``ms``
    as the Hub takes a macrolanguage's), else the ISO 639-3 code itself (``yue``), which the Hub accepts too."""
    return ISO_639_1.get(code) or iso639_3().get(code, ("", ""))[0] or code


def hub_dataset_id(url: str | None) -> str | None:
    """The Hub dataset id of a source whose page is on the Hub (``CAiRE/YueMotion``), else None."""
    if not url or not url.startswith(HUB_DATASETS_URL):
        return None
    parts = url[len(HUB_DATASETS_URL) :].strip("/").split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 else parts[0] or None


def size_category(num_rows: int) -> str:
    """The Hub's ``size_categories`` value for ``num_rows`` rows."""
    for power, name in enumerate(SIZE_CATEGORIES, start=3):
        if num_rows < 10**power:
            return name
    return "1B<n<10B"
