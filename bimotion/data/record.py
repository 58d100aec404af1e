"""What makes a parsed ``prepare.json`` prepare's record (:func:`not_a_record`): its keys, its benchmark,
its corpora of one's own and each shard's fields of their types (its split one of prepare's), checked
alike for a local folder's and a Hub dataset's (:mod:`bimotion.data.layout` reads both) before any reader
asks it for its benchmark or shards, so a record edited by hand is one error naming the file, the shard
and the field, not a traceback or a miscount in whichever reader meets it first."""

from __future__ import annotations

from bimotion.registry import BUILTIN, SPLITS
from loaders.source import SourceInfo

SHARD_FIELDS = ("corpus", "group", "split", "files", "rows")  # each shard's: prepare writes them all


def not_a_record(info: object, named: str) -> str | None:
    """Why ``info`` (a parsed ``prepare.json``, ``named`` so in the sentence) is not prepare's record, for
    an error to end with its fix; None where it is: a local folder's (:func:`.layout.read_info`) and a Hub
    dataset's (:func:`.layout.hub_info`) checked alike, before any reader asks it for its benchmark or shards."""
    if not isinstance(info, dict) or not {"benchmark", "protocol", "corpora", "shards"} <= set(info):
        return f"{named} is not prepare's record (no benchmark, protocol, corpora and shards)"
    shards = info["shards"]
    if not isinstance(shards, list):
        problem = f"they are {_shown(shards)}, not a list"
    else:
        problem = next((said for k, shard in enumerate(shards, 1) if (said := shard_problem(shard, k))), None)
    if problem:
        return f"{named}: its shards are not prepare's ({', '.join(SHARD_FIELDS)} each): {problem}"
    if info["benchmark"] not in list(BUILTIN):  # a list: an unhashable value is none of them either
        return f"{named}: its benchmark {info['benchmark']!r} is not prepare's ({' or '.join(BUILTIN)})"
    if not isinstance(user := info.get("user_sources") or {}, dict) or not all(map(SourceInfo.takes, user.values())):
        return f"{named}: its user_sources are not prepare's (each corpus of one's own's source, by field)"
    return None


def shard_problem(shard: object, number: int) -> str | None:
    """Why ``shard``, the ``number``-th (from 1) of a record's shards, is not prepare's: a field missing or
    of another type (corpus, group and split names, the split one of :data:`~bimotion.registry.SPLITS`; files a
    list of paths; rows a whole number, 0 or more),
    said of the shard by number and, where they are names, its corpus, group and split; None where it is."""
    if not isinstance(shard, dict):
        return f"shard {number} is {_shown(shard)}, not an object of those fields"
    names = [shard.get(key) for key in SHARD_FIELDS[:3]]
    which = f"shard {number}" + (f" ({' '.join(names)})" if all(isinstance(n, str) for n in names) else "")
    if missing := [key for key in SHARD_FIELDS if key not in shard]:
        return f"{which} has no {', '.join(missing)}"
    if wrong := next((key for key in SHARD_FIELDS[:3] if not isinstance(shard[key], str)), None):
        return f"{which}'s {wrong} is {_shown(shard[wrong])}, not a name"
    if shard["split"] not in SPLITS:  # read as no split of any reader's: its rows dropped, or miscounted
        return f"{which}'s split is {_shown(shard['split'])}, not one of prepare's splits ({', '.join(SPLITS)})"
    if not isinstance(shard["files"], list):
        return f"{which}'s files is {_shown(shard['files'])}, not a list of its files' paths"
    if odd := [path for path in shard["files"] if not isinstance(path, str)]:  # None, a null, among them
        return f"{which}'s files holds {_shown(odd[0])}, not a file's path"
    rows = shard["rows"]
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:  # True is an int to Python, not a count
        return f"{which}'s rows is {_shown(rows)}, not a count of rows (a whole number, 0 or more)"
    return None


def _shown(value: object, width: int = 40) -> str:
    """``value``'s repr, cut to ``width`` characters (a list of a thousand paths is not printed whole)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
