"""Which groups and corpora a prepared dataset holds (:func:`held_pairs`; its shards, :func:`held_shards`,
:func:`groups_without`): by its record (``prepare.json``), or, for one without it (someone uploaded only the
Parquet files and the card, or another tool wrote it), by the groups its card's configs declare
(:func:`card_configs`, the one reading of a card); what such a dataset lacks and how to give it one
(:data:`UNRECORDED`, :data:`RECORD_FIX`, :func:`unrecorded`: the ends of the errors and notes that meet one;
:func:`groups_unknown`: one of which no group is known;
:func:`prepared_as`: its record, of the benchmark it is given as, registered; :func:`no_rows`: one that lacks rows of a group)."""

from __future__ import annotations

import os
from pathlib import Path

from .layout import CARD_FILE, DATA_DIR, cached_damaged, cached_unreadable, held_info, hub_key

# What a dataset without prepare.json lacks, and how to give it one (errors and notes end with these)
UNRECORDED = (
    "has no prepare.json, the record of the groups, corpora and splits a dataset holds that `bimotion prepare` "
    "writes and `bimotion push` uploads beside the Parquet files, so only its card's configs are known"
)
RECORD_FIX = (
    "prepare the corpora again with `bimotion prepare --source NAME=DIR --output OUT` (it writes prepare.json), "
    "then `bimotion push OUT --repo-id OWNER/NAME` for a Hub dataset"
)


def unrecorded(source: str | os.PathLike | None, so: str = "", instead: str = "", *, named: str = "") -> str:
    """Why what ``source`` holds is known by its card alone, for an error or a note to end with: ``""``
    where its ``prepare.json`` is read; ``"SOURCE has no prepare.json ..."`` (:data:`UNRECORDED`; ``named``
    in place of SOURCE: ``--bimotion DIR``) where it has none; for a Hub dataset whose ``prepare.json``
    could not be fetched (offline, not cached), that (:class:`~bimotion.hub.HubUnreachableError`'s words
    and what to do): it may well have one, and preparing it again is no fix.  With ``so`` (what follows
    from it where it is met), the sentence goes on ``", SO: INSTEAD, or FIX"`` (:data:`RECORD_FIX`, for
    one without a record; ``instead`` alone for one not fetched): the one wording of every such error."""
    from bimotion.hub import HubUnreachableError

    from .layout import recorded_info

    try:
        if recorded_info(source) is not None:
            return ""
        why, fix = f"{named or source} {UNRECORDED}", RECORD_FIX
    except HubUnreachableError as err:
        why, fix = f"{err}; only its card's configs are known", ""
    if not so:
        return why
    return f"{why}, {so}: " + ", or ".join(part for part in (instead, fix) if part)


def no_rows(
    source, benchmark: str, of: str, *, split: str | None = None, detail: str = "", holds=None, fix: str = ""
) -> str:
    """The one sentence of a prepared dataset that lacks rows of ``of`` (a group, several, ``any group of
    zho``): ``"the prepared BENCHMARK dataset at SOURCE has no [SPLIT ]rows of OF (DETAIL; it holds
    HOLDS; WHY)[: FIX]"``, where WHY is :func:`unrecorded`'s (a dataset known by its card alone; none
    where its record is read) and ``holds`` the groups it holds (``[]``: ``no group``; None: not said).
    The recipes' checks, their notes and the loading of a split all say it so."""
    said = [detail] if detail else []
    said += [] if holds is None else [f"it holds {', '.join(holds) or 'no group'}"]
    said += [why] if (why := unrecorded(source)) else []
    rows = f"{split} rows" if split else "rows"
    said_all = f" ({'; '.join(said)})" if said else ""
    return f"the prepared {benchmark} dataset at {source} has no {rows} of {of}{said_all}" + (f": {fix}" if fix else "")


_CARD_CONFIGS: dict[tuple, object] = {}  # layout.hub_key(Hub id) -> its card's configs, or why unread


def card_configs(source: str | os.PathLike | None) -> list[str] | None:
    """The config names that the card (``README.md``'s YAML ``configs:``) of ``source`` declares, for a
    dataset without a record (:func:`.layout.held_info` is None: :data:`UNRECORDED`): a local folder's, or a
    Hub dataset's (asked once per process and route to the Hub, :func:`.layout.hub_key`, as :func:`.layout.hub_info`);
    None for no source, no card or one without configs, or no Hub and no cached copy.  A Hub dataset's card whose
    copy in the Hub cache cannot be read or is not UTF-8 text is a ValueError naming that copy and the fix, each
    time asked."""
    from bimotion.hub import HubUnreachableError, hub_file, is_hub_id

    if not source:
        return None
    if not is_hub_id(str(source)):
        return _configs_of(Path(source).expanduser() / CARD_FILE)
    key = hub_key(source)
    if key not in _CARD_CONFIGS:
        try:
            card = hub_file(str(source), CARD_FILE, repo_type="dataset")
        except HubUnreachableError:
            card = None
        try:
            _CARD_CONFIGS[key] = _configs_of(card, hub_id=str(source)) if card is not None else None
        except ValueError as err:  # the cache's copy cannot be read: which configs it has is not known
            _CARD_CONFIGS[key] = err
    if isinstance(_CARD_CONFIGS[key], ValueError):
        raise ValueError(str(_CARD_CONFIGS[key]))  # a fresh one each time (the kept one keeps no traceback)
    return _CARD_CONFIGS[key]


def _configs_of(card: Path, *, hub_id: str = "") -> list[str] | None:
    """The config names the card at ``card`` declares; None for none there, a header no mapping or no YAML.
    One that cannot be read (``chmod 000``) or is not UTF-8 text is a ValueError naming it and the fix, not a card
    without configs: the Hub dataset ``hub_id``'s card, its copy in the Hub cache (:func:`.layout.cached_unreadable`,
    :func:`.layout.cached_damaged`); else a local dataset folder's card (beside its ``data`` folder); the README.md
    of a folder without one (a raw corpus given by mistake) is no card."""
    import yaml
    from huggingface_hub.repocard import metadata_load

    from loaders.unlisted import MAKE_LISTABLE

    try:
        configs = (metadata_load(card) or {}).get("configs") if card.is_file() else None
    except (OSError, UnicodeDecodeError) as err:  # before ValueError's branch: UnicodeDecodeError is one
        unreadable = isinstance(err, OSError)  # else not UTF-8 text
        if hub_id:  # the Hub cache's copy: unreadable here, or cut short in the cache, or pushed so
            named = f"{CARD_FILE} of the Hub dataset {hub_id}"
            why = cached_unreadable(named, card, err) if unreadable else cached_damaged(hub_id, CARD_FILE, card, err)
            raise ValueError(why) from err
        if not (card.parent / DATA_DIR).is_dir():  # no dataset's folder (a corpus's own README.md): no card
            return None
        if unreadable:
            raise ValueError(
                f"{card}: the dataset card cannot be read ({err.strerror or err}): {MAKE_LISTABLE}, then run again"
            ) from err
        fix = "save it as UTF-8, or prepare the dataset again"
        raise ValueError(f"{card}: the dataset card is not UTF-8 text ({err}): {fix}") from err
    except (ValueError, yaml.YAMLError):  # a header no mapping (ValueError), or no YAML
        return None
    if not isinstance(configs, list):
        return None
    return [c["config_name"] for c in configs if isinstance(c, dict) and isinstance(c.get("config_name"), str)]


def prepared_as(source, name: str, *, named: str = "") -> dict | None:
    """The record (:func:`.layout.held_info`: a local folder's ``prepare.json`` or a Hub dataset's, checked
    by :func:`.record.not_a_record`) of the dataset ``source`` given as ``--NAME`` (``named`` in the
    errors: ``--bimotion DIR``), its benchmark registered with the corpora of one's own it records, so
    that their groups (``ind_eld``) resolve in this process; None without a record.  One prepared as
    the other benchmark is a ValueError saying which to give it as: its groups would be read as this one's."""
    from bimotion.registry import benchmark_of, register

    info = held_info(source)
    if info is None:
        return None
    if info["benchmark"] != name:
        found = info["benchmark"]
        raise ValueError(f"{named or source} holds the prepared {found} dataset, not {name}: give it as --{found}")
    register(benchmark_of(info))
    return info


def held_pairs(source, benchmark: str, shards=(), split: str | None = None) -> list[tuple[str, str]] | None:
    """The ``(group, corpus)`` pairs that the prepared ``benchmark`` dataset at ``source`` (a folder or a
    Hub id) has ``split`` rows of (``None``: rows of any split), each once, in its record's order: by its
    ``prepare.json`` (:func:`.layout.held_info`: a Hub dataset's too); for a dataset without one, every
    corpus of each group its card has a config of (:func:`card_configs`; a card says nothing of splits),
    of the registered groups and of those ``shards`` name (a user's); None with neither record nor card
    (it is checked as it loads).  The one answer the loaders, the recipes' checks and the grid read."""
    from bimotion.registry import BENCHMARKS

    info = held_info(source)
    if info is not None:
        return list(
            dict.fromkeys(
                (x["group"], x["corpus"]) for x in info["shards"] if x["rows"] and split in (None, x["split"])
            )
        )
    configs = card_configs(source)
    if configs is None:
        return None
    known = BENCHMARKS[benchmark]
    have = [(group, corpus) for group in known.groups if group in configs for corpus in known.corpora_of(group)]
    have += [(s.group, s.corpus) for s in shards if s.benchmark == benchmark and s.group in configs]
    return list(dict.fromkeys(have))


def groups_unknown(source, benchmark: str, instead: str, *, named: str = "") -> str | None:
    """Why no group of ``benchmark`` is known to be held by the dataset ``source`` (:func:`held_pairs`
    names none), for an error: a card without configs, or whose configs are of no group (``default``,
    the one ``datasets.push_to_hub`` writes; each group is read through a config of its own name), of
    a dataset without a record (:func:`unrecorded`), or a record of no rows; it goes on ``": INSTEAD,
    or FIX"``.  None where :func:`held_pairs` names some: every group it holds is then known."""
    if held_pairs(source, benchmark):
        return None
    if held_info(source) is not None:  # a record of no rows (an empty prepare.json's shards)
        return f"{named or source}: its prepare.json records no rows of any group: {instead}, or {RECORD_FIX}"
    if configs := card_configs(source):
        card = f"its card's configs ({', '.join(configs)}) are of no {benchmark} group, each of which is read "
        card += "through a config of its own name"
    else:
        card = "its card (README.md) declares no configs, or could not be read"
    so = f"and {card}, so which groups it holds is not known either"
    return unrecorded(source, so, instead, named=named) or f"{named or source}: {so}: {instead}"


def held_shards(path_of, shards, split: str | None = None) -> list:
    """The ``shards`` (:class:`~bimotion.mixture.Shard` tuples) that a prepared dataset has ``split``
    rows of (``None``: rows of any split), by :func:`held_pairs`; ``path_of(benchmark)`` gives a
    benchmark's folder or Hub id (a dataset with neither record nor card keeps all of its shards: it is
    checked when it loads).  A group whose other corpora were not prepared, or have no rows in this
    split, is read without them; a config of several groups (``zho``, ``all``), without the groups
    that were not prepared."""
    have = {}
    for bench in dict.fromkeys(s.benchmark for s in shards):
        if (pairs := held_pairs(path_of(bench), bench, shards, split)) is not None:
            have[bench] = set(pairs)
    return [s for s in dict.fromkeys(shards) if s.benchmark not in have or (s.group, s.corpus) in have[s.benchmark]]


def groups_without(path_of, shards, split: str) -> list[str]:
    """The groups of ``shards`` that a local prepared folder has no ``split`` rows of, over all the
    corpora each is read from (:func:`held_shards`), in order: a group of one or two speakers,
    split by whole speakers, can have train rows and no validation or test rows."""
    held = {s.group for s in held_shards(path_of, shards, split)}
    return [group for group in dict.fromkeys(s.group for s in shards) if group not in held]
