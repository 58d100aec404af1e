"""The prepared-folder contract: what ``bimotion prepare`` writes and everything else reads.

::

    OUT/
      README.md                                          # CARD_FILE: dataset card, YAML `configs:`
      prepare.json                                       # INFO_FILE: protocol, sources, shards, skips
      data/<corpus>/<group>/<split>-00000-<hash>.parquet # under DATA_DIR, content-hashed names
      pushed.json                                        # PUSHED_FILE: the Hub dataset `push` sent it to

``prepare.json`` lists every shard by its content-hashed file name, so its bytes change exactly
when the data does: :func:`cache_key` digests them, and a folder that is moved or copied keeps
its key (and its ``datasets`` cache, :func:`cache_dir`), while one prepared again gets a new one.
This module imports nothing from ``bimotion`` but the registry (and :mod:`bimotion.hub`, :mod:`bimotion.hub_marker`
for a Hub dataset's record).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from bimotion.registry import BENCHMARKS, SPLITS, benchmark_of
from loaders.browser_files import MACOS_RESOURCES, left_by_browser
from loaders.errors import spoken
from loaders.files import folder_not_writable, normal_path, sha256_of
from loaders.unlisted import MAKE_LISTABLE, cannot_list

from .record import not_a_record
from .walk import walk_listings

INFO_FILE = "prepare.json"
CARD_FILE = "README.md"
DATA_DIR = "data"
PARTIAL_SUFFIX = ".partial-tmp"  # OUT.partial-tmp/{new,old}: a prepare run's temporary folder
CACHE_SUBDIR = "bimotion-prepared"  # <datasets cache root>/bimotion-prepared/<cache key>
# written by a successful `bimotion push` of the folder (never uploaded): the Hub id it went to and the
# digest of the prepare.json it sent, so that a model trained on the folder names that dataset
PUSHED_FILE = "pushed.json"
# A Parquet file's rows, at most (prepare's rows_per_file, --rows-per-file) ...
ROWS_PER_FILE = 1000
# ... and its audio bytes, at most (bytes_per_file, --bytes-per-file; one longer clip has a file of its
# own): `datasets`' own bound on the Parquet files push_to_hub writes (datasets.config.MAX_SHARD_SIZE, 500 MB)
BYTES_PER_FILE = 500_000_000


def folder_files(
    folder: Path,
    onerror: Callable[[OSError], None] | None = None,
    onlink: Callable[[str, str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """One walk of a prepared folder's top, ``data/`` and ``__MACOSX/`` (:func:`bimotion.data.walk.walk_listings`, the
    walk ``prepare --overwrite`` and ``push`` make of it too): the files below ``data/`` and the files
    :func:`left_by_browser` (anywhere there), apart, each relative to it and sorted (``check`` compares the first with
    the files ``prepare.json`` lists, and counts the second).  Each folder is listed once, and :func:`left_by_browser`
    is given that listing.  A folder that cannot be listed (the folder itself, or one there) goes to ``onerror``
    (``check`` says it, and what it could not check; none of its files is returned), or, without one, is an
    ``OSError`` naming it and the fix (:func:`loaders.unlisted.cannot_list`).  A link to a folder the walk does not enter
    (into the folder, to it or above it, to a folder walked by another path) goes to ``onlink`` (its path relative to
    ``folder``, and the real folder it points to; ``check`` says it), or, without one, is passed over (what the folder
    holds is counted by its own path)."""

    def unlistable(err: OSError) -> None:
        if onerror is None:
            raise OSError(f"{cannot_list(err)}, so what it holds is not known: {MAKE_LISTABLE}") from err
        onerror(err)

    files, left = [], set()
    for listing in walk_listings(folder, unlistable, only=(DATA_DIR, MACOS_RESOURCES)):
        found = listing.regular_files(folder)
        files += found
        for name, target in listing.links.items() if onlink else ():
            onlink(listing.path(name), target)
        left.update(rel for rel in found if left_by_browser(folder, rel, listing.names))
    data = [rel for rel in files if rel.startswith(f"{DATA_DIR}/") and rel not in left]
    return sorted(data), sorted(left)


def browser_leftovers(folder: Path) -> list[str]:
    """The files :func:`left_by_browser` names in a prepared folder's top, ``data/`` and ``__MACOSX/`` (sorted)."""
    return folder_files(folder)[1]


NAME_DIGITS = 16  # hex digits of a Parquet file's SHA-256 in its name (``...-<digest>.parquet``)


def content_digest(path: str | os.PathLike) -> str:
    """The first :data:`NAME_DIGITS` hex digits of the SHA-256 of a file's bytes: what its name carries."""
    return sha256_of(path)[:NAME_DIGITS]


def named_digest(relpath: str) -> str | None:
    """The digest a Parquet file's name carries (``train-00000-<digest>.parquet``), None for a name without one."""
    stem = relpath.rsplit("/", 1)[-1].removesuffix(".parquet")
    tail = stem.rsplit("-", 1)[-1]
    return tail if len(tail) == NAME_DIGITS and all(c in "0123456789abcdef" for c in tail) else None


def is_prepared(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a local prepared folder (it has ``prepare.json``); a PermissionError where ``folder``
    cannot be entered (``chmod 600``: not known), on every Python (``Path.is_file`` raises it on 3.11, not on 3.14)."""
    try:
        return stat.S_ISREG(os.stat(Path(folder).expanduser() / INFO_FILE).st_mode)
    except PermissionError:
        raise
    except (OSError, ValueError):  # none there (or a name no file can have): not a prepared folder
        return False


def prepared_around(path: str | os.PathLike) -> Path | None:
    """The prepared folder that ``path`` is or lies inside (links resolved), or None: one whose
    ``prepare.json`` is prepare's record (a ``prepare.json`` of something else is no such folder)."""

    def prepared(folder: Path) -> bool:
        try:
            return is_prepared(folder) and bool(read_info(folder))
        except (OSError, ValueError):
            return False

    path = Path(path).expanduser().resolve()
    return next((folder for folder in (path, *path.parents) if prepared(folder)), None)


def output_error(path: str | os.PathLike, flag: str) -> str | None:
    """Why ``path`` cannot be a command's output folder (``flag`` names the option), or None: a file,
    a folder that cannot be written or created (:func:`loaders.files.folder_not_writable`), or a
    prepared folder or a folder inside one, which holds only what ``prepare`` wrote (``check`` lists
    anything else as unlisted, ``prepare --overwrite`` refuses to delete it)."""
    path = Path(path).expanduser()
    if os.path.isfile(path):  # not Path.is_file, which raises below a folder that cannot be entered
        return f"{flag} {path} is a file; give a folder"
    around = prepared_around(path)
    if around is None:
        problem = folder_not_writable(path)  # a training run got as far as a traceback from its first file
        return f"{flag} {path}: {problem}; choose another {flag}" if problem else None
    where = "is the prepared dataset" if around == path.resolve() else "lies inside the prepared dataset"
    return f"{flag} {path} {where} {around}, which holds only what prepare wrote: choose a folder outside it"


def prepared_near(folder: str | os.PathLike) -> str:
    """`` (did you mean FOLDER/x or FOLDER/y?)`` naming the prepared folders directly inside ``folder`` (the demo's
    output holds two), else the one it lies in (its ``data/`` given), as written, or ``""`` when there is none."""
    try:
        found = [str(Path(folder) / c.name) for c in sorted(Path(folder).expanduser().iterdir()) if is_prepared(c)]
    except OSError:
        found = []
    if not found and (around := prepared_around(folder)):  # OUT/data/csed: OUT, as given where a parent leads there
        ups = [up for up in Path(folder).expanduser().parents if up.name and up.resolve() == around]
        found = [str(ups[0] if ups else around)]
    return f" (did you mean {' or '.join(found)}?)" if found else ""


def info_path(folder: str | os.PathLike) -> Path:
    """The folder's ``prepare.json``; FileNotFoundError naming the folder when it has none."""
    folder = Path(folder).expanduser()
    path = folder / INFO_FILE
    if folder.is_dir() and path.is_file():
        return path
    partial = Path(f"{normal_path(folder)}{PARTIAL_SUFFIX}")  # as prepare names it ('.' has no name to add it to)
    hint = f" ({partial} is what a failed or running prepare left)" if partial.exists() else prepared_near(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder{' (it is a file)' if folder.exists() else hint}")
    raise FileNotFoundError(
        f"{folder} is not a prepared dataset: {INFO_FILE} is missing{hint}; "
        "make it with `bimotion prepare` (YueMotion: `yuemotion prepare`)"  # `yuemotion check` reads it too
    )


def read_info(folder: str | os.PathLike) -> dict:
    """``prepare.json`` of a prepared folder; a one-line error naming the folder otherwise."""
    path = info_path(folder)
    again = spoken(f"prepare {path.parent} again with --overwrite")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is unreadable ({err}); {again}") from err
    if problem := not_a_record(info, str(path)):
        raise ValueError(f"{problem}; {again}")
    return info


def recorded_info(source: str | os.PathLike | None) -> dict | None:
    """The ``prepare.json`` of a benchmark's data: a local prepared folder's (:func:`read_info`), or
    the one ``bimotion push`` uploaded beside a Hub dataset's Parquet files (:func:`hub_info`); None
    for no source, or a Hub dataset that the Hub answers holds none.  A Hub dataset's that could not be
    fetched (no network, a firewall, a refused token) and is not cached raises
    :class:`~bimotion.hub.HubUnreachableError` naming the dataset and what to do: it may well have one."""
    if source and not is_prepared(source):
        record = _hub_record(source)
        if isinstance(record, Exception):
            raise _fresh(record)
    return held_info(source)


def held_info(source) -> dict | None:
    """What the prepared dataset ``source`` holds: :func:`recorded_info`, for the questions asked of a
    dataset many times a run (which groups and splits it has rows of: :func:`.held.held_shards`, the
    recipes' checks), a local folder's read each time, a Hub dataset's asked once (:func:`hub_info`)."""
    if not source:
        return None
    return read_info(source) if is_prepared(source) else hub_info(source)


# hub_key(Hub id) -> its prepare.json, None, or why it could not be fetched: asked once per key
_HUB_INFOS: dict[tuple, object] = {}


def hub_key(source: str | os.PathLike) -> tuple:
    """What this process remembers a Hub dataset's file by (:func:`hub_info`'s, :func:`.held.card_configs`'):
    ``source``, the Hub, its cache, ``HF_HUB_OFFLINE``, and the route to the Hub and ``HF_HUB_ETAG_TIMEOUT``
    (:func:`~bimotion.hub_marker.route_key`, as :mod:`bimotion.hub` remembers a look-up that got no answer):
    a longer timeout or another proxy set in the same process asks again."""
    from huggingface_hub import constants

    from bimotion.hub_marker import route_key

    return (str(source), constants.ENDPOINT, constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE,
            route_key(constants.ENDPOINT))  # fmt: skip


def hub_info(source: str | os.PathLike) -> dict | None:
    """The ``prepare.json`` that ``bimotion push`` uploaded beside the Hub dataset ``source`` (from the
    Hub cache when the Hub cannot be reached), asked of the Hub once per process and route (:func:`hub_key`: the
    checks, the split of each set and the run's record all ask: a firewall would make each wait); None for a
    source that is no Hub id, a Hub dataset without one, or no Hub and no cached copy (which
    :func:`recorded_info` raises: what such a dataset holds is then read from its card's configs, where its card
    is at hand, :func:`.held.held_shards`, else it is checked as it loads).  One that is no JSON, not prepare's
    record (:func:`not_a_record`) or cached unreadable is a ValueError naming the dataset, the file and the fix."""
    import copy

    from bimotion.hub import HubUnreachableError

    record = _hub_record(source)
    if isinstance(record, Exception) and not isinstance(record, HubUnreachableError):
        raise _fresh(record)
    return None if isinstance(record, Exception) else copy.deepcopy(record)


def _fresh(error: Exception) -> Exception:
    """A fresh copy of :func:`_hub_record`'s cached error to raise each time (the cached one keeps no traceback)."""
    from bimotion.hub import HubUnreachableError

    return (
        HubUnreachableError(str(error), error.why) if isinstance(error, HubUnreachableError) else ValueError(str(error))
    )


def _hub_record(source) -> object:
    """:func:`hub_info`'s answer, or the :class:`~bimotion.hub.HubUnreachableError` that kept it from
    being asked (its message names the dataset and what to do), or the ValueError of a copy that is no JSON,
    not prepare's record or unreadable (:func:`_hub_copy`: it names the dataset and the fix), once per :func:`hub_key`."""
    from bimotion.hub import HubUnreachableError, could_not_read, hub_file, is_hub_id

    if not is_hub_id(str(source)):
        return None
    key = hub_key(source)
    if key not in _HUB_INFOS:
        try:
            path = hub_file(str(source), INFO_FILE, repo_type="dataset")
        except HubUnreachableError as err:  # no network and no cached copy: not known (not "none")
            _HUB_INFOS[key] = HubUnreachableError(
                could_not_read(f"{INFO_FILE} of the dataset {source}", err.why), err.why
            )
            return _HUB_INFOS[key]
        _HUB_INFOS[key] = _hub_copy(str(source), path) if path is not None else None
    return _HUB_INFOS[key]


def _hub_copy(source: str, path: Path) -> dict | ValueError:
    """The Hub dataset ``source``'s ``prepare.json`` at ``path`` (its downloaded copy), checked as a local
    folder's (:func:`not_a_record`); the ValueError naming the dataset, the file and the fix where it is not
    prepare's record, or no JSON or cannot be read here (then naming the cache's copy, fetched again once deleted)."""
    named = f"{INFO_FILE} of the Hub dataset {source}"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:  # the cache's copy, not the dataset's: whether it has a record is not known
        return ValueError(cached_unreadable(named, path, err))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:  # cut short in the cache, or pushed so
        return ValueError(cached_damaged(source, INFO_FILE, path, err))
    problem = not_a_record(info, named)
    return ValueError(f"{problem}; {push_again(source)}") if problem else info


def push_again(source: str) -> str:
    """The fix of a file the Hub dataset ``source`` itself holds damaged: push the prepared folder again."""
    return f"push the prepared folder it was made from again: bimotion push OUT --repo-id {source}"


def cached_damaged(source: str, name: str, path: Path, err: ValueError) -> str:
    """The one sentence of the file ``name`` of the Hub dataset ``source`` whose copy in the Hub cache at ``path``
    is no text of its kind (``err``: not UTF-8, no JSON; a download cut short, or pushed so): that copy (the file
    its link resolves to) and the fix, delete it to fetch it again, else :func:`push_again`."""
    copy = f"the Hub cache's copy, {path.resolve()}"
    return (
        f"{name} of the Hub dataset {source} is unreadable ({err}; {copy}): delete that file to fetch it again; "
        f"if it is so again, {push_again(source)}"
    )


def cached_unreadable(named: str, path: Path, err: OSError) -> str:
    """The one sentence of a Hub file (``named``: ``prepare.json of the Hub dataset me/ds``) whose copy in the
    Hub cache at ``path`` cannot be read here (``chmod 000``, another user's cache): that copy (the file its link
    resolves to) and the fix; it says nothing of the Hub's own file, which may be sound."""
    copy = f"the Hub cache's copy, {path.resolve()}"
    return f"{named} cannot be read ({err.strerror or err}: {copy}): {MAKE_LISTABLE}, or delete that file to fetch it again"


def recorded_infos(folders, *, unreached: dict | None = None) -> dict[str, dict | None]:
    """``{benchmark: its prepare.json}`` (:func:`recorded_info`; None where none is recorded) of each
    benchmark ``folders`` (``{benchmark: local folder, Hub id or None}``) gives a source; another key,
    such as the ``cache_dir`` a grid's sources carry, is no dataset.  Each is read once here, for
    all that is asked of it (:func:`synthetic_recorded`, a run's protocols).  A Hub dataset's that
    could not be fetched (:class:`~bimotion.hub.HubUnreachableError`) is None here, and said: into
    ``unreached`` (``{benchmark: the error}``), for the caller to say what it lacks, or else in one
    ``warning:`` line on standard error."""
    from bimotion.hub import HubUnreachableError

    infos = {}
    for bench, folder in folders.items():
        if bench not in BENCHMARKS or not folder:
            continue
        try:
            infos[bench] = recorded_info(folder)
        except HubUnreachableError as err:
            infos[bench] = None
            if unreached is not None:
                unreached[bench] = err
            else:
                print(unread_warning(err), file=sys.stderr)
    return infos


def unread_warning(err: Exception) -> str:
    """The ``warning:`` line of a Hub dataset's ``prepare.json`` that :func:`recorded_infos` could not fetch (``err``)."""
    return f"warning: {err}; read as recording no generated data and no identical audio"


def synthetic_recorded(records) -> dict[str, dict[str, str]]:
    """``{benchmark: {corpus: generator}}`` of the generated corpora that ``records``
    (:func:`recorded_infos`) record as ``synthetic``."""
    out = {}
    for bench, info in records.items():
        synthetic = (info or {}).get("synthetic")
        if synthetic and isinstance(synthetic, dict):
            out[bench] = dict(synthetic)
    return out


def synthetic_data(folders) -> dict[str, dict[str, str]]:
    """``{benchmark: {corpus: generator}}`` of the generated corpora (``prepare.json``'s ``synthetic``)
    in ``folders`` (``{benchmark: local folder, Hub id or None}``, :func:`recorded_infos`)."""
    return synthetic_recorded(recorded_infos(folders))


def split_rows(path: str | os.PathLike, group: str, corpora) -> dict[str, int]:
    """``{split: rows}`` of ``group`` over ``corpora`` in the prepared dataset ``path`` (a folder, or a
    Hub id with a record: :func:`recorded_info`)."""
    rows = dict.fromkeys(SPLITS, 0)
    for shard in (held_info(path) or {"shards": []})["shards"]:
        if shard["group"] == group and shard["corpus"] in corpora and shard["split"] in rows:
            rows[shard["split"]] += shard["rows"]
    return rows


def config_files(info: dict) -> dict[str, dict[str, list[str]]]:
    """``{config: {split: [relative parquet paths]}}`` for every config with data, in registry
    order; a union config lists the same files as the groups it unites."""
    bench = benchmark_of(info)
    files = {(s["corpus"], s["group"], s["split"]): s["files"] for s in info["shards"]}
    out = {}
    for name, config in bench.configs.items():
        splits = {}
        for split in SPLITS:
            paths = [p for corpus, group in config.shards for p in files.get((corpus, group, split), [])]
            if paths:
                splits[split] = paths
        if splits:
            out[name] = splits
    return out


def cache_key(folder: str | os.PathLike) -> str:
    """The first 16 hex digits of the SHA-256 of the folder's ``prepare.json``: the same wherever
    the folder lies, another one once it is prepared again with other data."""
    return hashlib.sha256(info_path(folder).read_bytes()).hexdigest()[:16]


def cache_dir(folder: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """The ``datasets`` cache directory of a prepared folder: ``root`` (default: the ``datasets``
    cache) ``/bimotion-prepared/<cache_key(folder)>``."""
    if root is None:
        import datasets

        root = datasets.config.HF_DATASETS_CACHE
    return Path(root).expanduser() / CACHE_SUBDIR / cache_key(folder)
