"""Uploading a folder to the Hugging Face Hub, for prepared datasets (``bimotion push``) and trained
models (``--push_to_hub``): one plan of the files sent, private repositories by default.

:func:`upload_plan` lists exactly what :func:`publish` sends, through the same include/exclude filter
``huggingface_hub`` applies, so a dry run needs no network.  A token goes to ``HfApi`` only: it is
never printed or written.
"""

from __future__ import annotations

import os
from pathlib import Path

# Work in progress of a training run, never published: checkpoints, TensorBoard logs, locks.
WORK_FILES = ["checkpoint-*", "checkpoint-*/**", "runs/**", "*.lock", ".ipynb_checkpoints/**"]
# What ``HfApi.upload_folder`` itself always leaves out.
HUB_IGNORED = [".git/**", ".cache/huggingface/**"]


def upload_plan(
    folder: str | os.PathLike, *, allow_patterns: list[str] | None = None, ignore_patterns: list[str] | None = None
) -> list[tuple[str, int]]:
    """``(path in repo, bytes)`` of every file an upload of ``folder`` sends: those matching
    ``allow_patterns`` (all when None), minus ``ignore_patterns``, :data:`WORK_FILES` and what the Hub
    ignores; top-level files first (the card), then the others by path."""
    from huggingface_hub.utils import filter_repo_objects

    folder = Path(folder)
    files = sorted(
        (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
        key=lambda path: (path.count("/"), path),
    )
    ignored = (ignore_patterns or []) + WORK_FILES + HUB_IGNORED
    kept = filter_repo_objects(files, allow_patterns=allow_patterns, ignore_patterns=ignored)
    return [(path, (folder / path).stat().st_size) for path in kept]


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
) -> list[tuple[str, int]]:
    """Upload ``folder`` to the ``repo_type`` repository ``repo_id`` (created when missing) and return
    :func:`upload_plan`; with ``dry_run``, only return it.  A new repository is private unless
    ``private`` is False (None, the Hub's public default, is private)."""
    plan = upload_plan(folder, allow_patterns=allow_patterns)
    if dry_run:
        return plan
    import huggingface_hub

    api = huggingface_hub.HfApi(token=token)
    api.create_repo(repo_id, repo_type=repo_type, private=private is not False, exist_ok=True)
    api.upload_folder(
        repo_id=repo_id,
        repo_type=repo_type,
        folder_path=str(folder),
        allow_patterns=allow_patterns,
        ignore_patterns=WORK_FILES,
        commit_message=commit_message or f"Upload {Path(folder).name} with bimotion",
    )
    return plan
