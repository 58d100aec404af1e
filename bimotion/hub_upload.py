"""Uploading a folder to the Hugging Face Hub, for prepared datasets (``bimotion push``) and trained
models (``--push_to_hub``): one plan of the files sent, private repositories by default.
:func:`upload_plan` lists exactly what :func:`publish` sends, through the same include/exclude filter
``huggingface_hub`` applies, so a dry run needs no network; :func:`check_push` checks everything an
upload needs before any work starts.  A token goes to ``HfApi`` only: it is never printed or written.
The errors and their one-line wording are :mod:`bimotion.hub`'s, the one way to the Hub."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from pathlib import Path

from .hub import HubError, from_the_hub, hub_failure
from .hub_timeouts import bounded
from .signals import stop_if_lost

# A training run's own bookkeeping, never published: checkpoints, TensorBoard logs, locks, and
# run_identity.json (bimotion.training.outputs.IDENTITY_FILE: what resuming checks; of no use beside a
# model without its checkpoints, and the arguments it records may name local files, --deepspeed's).
WORK_FILES = ["checkpoint-*", "checkpoint-*/**", "runs/**", "*.lock", ".ipynb_checkpoints/**", "run_identity.json"]


def never_sent() -> list[str]:
    """The ignore patterns of every upload: :data:`WORK_FILES`, the temporary file a killed write left
    in any folder (:data:`loaders.files.TEMP_FILE_GLOB`), and every file under a folder the Hub
    refuses (``huggingface_hub``'s ``FORBIDDEN_FOLDERS``, ``.git`` and ``.cache``, at any depth:
    the commit would fail on one, after training), which covers what ``upload_folder`` leaves out.  A
    new list each call, for callers that extend it."""
    from huggingface_hub.utils import FORBIDDEN_FOLDERS

    from loaders.files import TEMP_FILE_GLOB

    forbidden = [p for name in FORBIDDEN_FOLDERS for p in (name, f"{name}/*", f"*/{name}", f"*/{name}/*")]
    return [*WORK_FILES, TEMP_FILE_GLOB, f"*/{TEMP_FILE_GLOB}", *forbidden]


def upload_plan(
    folder: str | os.PathLike, *, allow_patterns: list[str] | None = None, ignore_patterns: list[str] | None = None
) -> list[tuple[str, int]]:
    """``(path in repo, bytes)`` of every file an upload of ``folder`` sends: those matching
    ``allow_patterns`` (all when None), minus ``ignore_patterns``, :func:`never_sent`, what
    ``upload_folder`` ignores and what a file browser or a macOS zip left
    (:func:`loaders.browser_files.left_by_browser`: no one's work, which ``push`` counts); top-level
    files first (the card), then the others by path.  :func:`upload_listing`'s plan."""
    return upload_listing(folder, allow_patterns=allow_patterns, ignore_patterns=ignore_patterns)[0]


def upload_listing(
    folder: str | os.PathLike,
    *,
    allow_patterns: list[str] | None = None,
    ignore_patterns: list[str] | None = None,
    onlink: Callable[[str, str], None] | None = None,
) -> tuple[list[tuple[str, int]], list[str]]:
    """One walk of ``folder`` (:func:`bimotion.data.walk.walk_listings`, the walk ``check`` and ``prepare --overwrite``
    make of a prepared folder: each folder listed once, a link to a folder outside it sent as the folder it stands in
    for): :func:`upload_plan`, and the files it passes over as a file browser's or a macOS zip's
    (:func:`loaders.browser_files.left_by_browser`, given the walk's listing; sorted), which ``push`` counts.  A link to a
    folder the walk does not enter (into the folder, to it or above it, to a folder sent by another path) is not sent:
    it goes to ``onlink`` (its path in the folder, the real folder it points to) for the plan's notes."""
    from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

    from loaders.browser_files import left_by_browser
    from loaders.unlisted import MAKE_LISTABLE, cannot_list

    from .data.walk import walk_listings

    folder = Path(folder)
    unlisted, listed = [], {}  # listed: a file -> its folder's names, as walked (left_by_browser's)
    for listing in walk_listings(folder, unlisted.append):
        listed.update(dict.fromkeys(listing.regular_files(folder), listing.names))
        for name, target in listing.links.items() if onlink else ():
            onlink(listing.path(name), target)
    ignored = [*(ignore_patterns or []), *never_sent(), *DEFAULT_IGNORE_PATTERNS]
    for err in unlisted:  # a folder the upload would send, unlistable: its files are not left out unsaid
        probe = (Path(err.filename).relative_to(folder) / "_").as_posix() if err.filename else "_"
        sent = filter_repo_objects([probe], allow_patterns=allow_patterns, ignore_patterns=ignored)
        if list(sent) and not left_by_browser(folder, probe):  # a __MACOSX/ of no one's work is never sent either
            raise HubError(
                f"{cannot_list(err)}, so its files cannot be sent: {MAKE_LISTABLE}, or move it out of the folder, "
                "then run again"
            )
    kept = filter_repo_objects(
        sorted(listed, key=lambda path: (path.count("/"), path)), allow_patterns=allow_patterns, ignore_patterns=ignored
    )
    plan, left = [], []
    for path in kept:
        if left_by_browser(folder, path, listed[path]):
            left.append(path)
        else:
            plan.append((path, (folder / path).stat().st_size))
    return plan, sorted(left)


def repo_url(repo_id: str, repo_type: str = "model") -> str:
    """The Hub page of a model or dataset repository."""
    return f"https://huggingface.co/{'' if repo_type == 'model' else 'datasets/'}{repo_id}"


def plan_lines(
    plan: list[tuple[str, int]],
    repo_id: str,
    *,
    repo_type: str,
    private: bool | None,
    dry_run: bool,
    done: bool = False,
) -> list[str]:
    """What an upload sends (``done``: has sent), as ``push`` and the training recipes print it: the
    files with their sizes, the repository's address and whether it is private (``None``: private,
    as :func:`publish`)."""
    from loaders.tables import counted

    url = repo_url(repo_id, repo_type)
    total_mb = sum(size for _, size in plan) / 1e6
    visibility = "PUBLIC" if private is False else "private"
    verb = "would upload" if dry_run else "uploaded" if done else "uploading"
    head = f"{verb} {counted(len(plan), 'file')} ({total_mb:.1f} MB) to {url} ({visibility}):"
    return [head, *(f"  {path}  ({size / 1e6:.2f} MB)" for path, size in plan)]


def publish(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    repo_type: str = "model",
    token: str | None = None,
    private: bool | None = True,
    dry_run: bool = False,
    allow_patterns: list[str] | None = None,
    commit_message: str | None = None,
    sent_as: dict[str, str] | None = None,
    plan: list[tuple[str, int]] | None = None,
    replace: str | None = None,
    removed: list[str] | None = None,
) -> list[tuple[str, int]]:
    """Upload ``folder`` to the ``repo_type`` repository ``repo_id`` (created when missing), in one
    commit of exactly the files of :func:`upload_plan`, and return that plan; with ``dry_run``, only
    return it.  ``sent_as``: ``{path in repo: text}`` sent instead of the folder's file of that name,
    which stays as it is (a dataset card naming the repository).  A new repository is private unless
    ``private`` is False (None, the Hub's public default, is private).  ``plan``: the files to send,
    as the caller listed and printed them (:func:`upload_plan`), so that what was said is what is sent;
    listed here when None.  ``replace``: the files of the repository the plan replaces whole, as an
    ``fnmatch`` pattern (``data/*.parquet``): the same commit deletes every file the repository holds
    that matches it and that the plan does not send (an earlier push's shards), each appended to
    ``removed`` when given.  Its start is a safe point (:func:`bimotion.signals.stop_if_lost`)."""
    plan = upload_plan(folder, allow_patterns=allow_patterns) if plan is None else plan
    if dry_run:
        return plan
    stop_if_lost()  # a stop a finalizer swallowed (as a run wrote what it sends): nothing is uploaded
    import huggingface_hub

    bounded()  # HfApi's calls set no timeout: a Hub that never answers ends the upload, not one that moves slowly

    operations = _additions(folder, repo_id, plan, sent_as or {})
    api = huggingface_hub.HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type=repo_type, private=private is not False, exist_ok=True)
        if replace:
            sent = {path for path, _ in plan}
            held = api.list_repo_files(repo_id, repo_type=repo_type)
            stale = sorted(path for path in held if fnmatch.fnmatchcase(path, replace) and path not in sent)
            operations += [huggingface_hub.CommitOperationDelete(path_in_repo=path) for path in stale]
        api.create_commit(
            repo_id=repo_id,
            repo_type=repo_type,
            operations=operations,
            commit_message=commit_message or f"Upload {Path(folder).name} with bimotion",
        )
    except Exception as err:  # the network's and the Hub's errors alike: one line, the folder is intact
        if from_the_hub(err):  # in hub's words, with their fix, as a download and push's check say them
            reason = "; ".join(hub_failure(err, hub_answered=True))  # check_push found the Hub there
        else:
            reason = " ".join(str(err).split())[:160] or type(err).__name__
        raise HubError(
            f"uploading {folder} to {repo_id} failed ({reason}); the folder is complete: upload it again"
        ) from err
    if replace and removed is not None:
        removed += stale
    return plan


def _additions(folder, repo_id: str, plan: list[tuple[str, int]], sent_as: dict[str, str]) -> list:
    """The commit's ``CommitOperationAdd`` of each file of ``plan`` (``sent_as``'s text in place of
    the folder's file of that name); :class:`HubError` when a file went away since it was listed."""
    import huggingface_hub

    operations = []
    for path, _ in plan:
        try:
            operations.append(
                huggingface_hub.CommitOperationAdd(
                    path_in_repo=path,
                    path_or_fileobj=sent_as[path].encode("utf-8") if path in sent_as else str(Path(folder) / path),
                )
            )
        except ValueError as err:  # the Hub client's check that the file is there, and a file: a ValueError
            changed = "was removed" if not (Path(folder) / path).exists() else f"is no longer a file ({err})"
            raise HubError(
                f"uploading {folder} to {repo_id} stopped before sending anything: {path} {changed} while "
                "the upload started (is something still writing into the folder?); upload again once it is done"
            ) from err
    return operations


def check_push(
    repo_id: str | None, *, token: str | None = None, flag: str = "--repo-id", dry_run: bool = False
) -> None:
    """Everything an upload needs, checked before any work starts: ``repo_id`` is ``OWNER/NAME``; unless
    ``dry_run``, the Hub is not switched off (``HF_HUB_OFFLINE``), a token is there (``token``,
    ``HF_TOKEN`` or ``hf auth login``) and the Hub answers it within the wait every Hub request is given
    (:func:`bimotion.hub_timeouts.bounded`, set up here, its setting checked).  Raises :class:`HubError` (one line)."""
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id or "")
    except HFValidationError as err:
        raise HubError(f"{flag} {repo_id!r} is not a Hub repository id ({' '.join(str(err).split())[:120]})") from err
    if "/" not in repo_id:
        raise HubError(f"{flag} {repo_id}: give OWNER/NAME (your user name or an organisation, then the repository)")
    if dry_run:
        return
    try:
        bounded()  # whoami sets no timeout: an endpoint that never answers ends this check, said so
    except ValueError as err:
        raise HubError(str(err)) from err
    if constants.HF_HUB_OFFLINE:
        raise HubError("HF_HUB_OFFLINE is set: nothing can be uploaded; unset it, or list the upload with a dry run")
    token = token or huggingface_hub.get_token()
    if not token:
        raise HubError("no Hugging Face token: log in with `hf auth login` or set HF_TOKEN, then run again")
    try:
        huggingface_hub.HfApi(token=token).whoami()
    except Exception as err:  # the Hub's answers and the network's errors: one line, in hub's words, before any work
        state, fix = hub_failure(err)
        raise HubError(f"{state}; {fix}") from err
