"""Which Hub dataset ``bimotion push`` sent a prepared folder to: :data:`~.layout.PUSHED_FILE` in the folder,
written after a push (:func:`record_push`) and read back only while the folder's ``prepare.json`` is still the
one sent (:func:`pushed_hub_id`), so that model cards and run records can cite the public copy of local data."""

from __future__ import annotations

import json
import os
from pathlib import Path

from loaders.files import sha256_of, write_text_atomic

from .layout import INFO_FILE, PUSHED_FILE, info_path, is_prepared


def _info_digest(folder: Path) -> str:
    """``sha256:<hex>`` of a prepared folder's ``prepare.json``, as a run's provenance records it."""
    return "sha256:" + sha256_of(info_path(folder))


def record_push(folder: str | os.PathLike, repo_id: str) -> Path:
    """Write :data:`PUSHED_FILE` into the prepared ``folder`` just sent to the Hub dataset ``repo_id``
    (the last push is the one recorded).  Raises OSError where the folder cannot be written."""
    folder = Path(folder).expanduser()
    record = {"hub_id": repo_id, INFO_FILE: _info_digest(folder)}
    return write_text_atomic(folder / PUSHED_FILE, json.dumps(record, indent=2) + "\n")


def pushed_hub_id(folder: str | os.PathLike | None) -> str | None:
    """The Hub id of the dataset that ``bimotion push`` sent the prepared ``folder`` to (:data:`PUSHED_FILE`),
    when its ``prepare.json`` is still the one sent; None for no record, another ``prepare.json`` (the
    folder holds other data since) or anything that is not a prepared folder."""
    path = Path(folder).expanduser() if folder else None
    if path is None or not (path / PUSHED_FILE).is_file() or not is_prepared(path):
        return None
    try:
        record = json.loads((path / PUSHED_FILE).read_text(encoding="utf-8"))
        sent = record[INFO_FILE] == _info_digest(path) and isinstance(record["hub_id"], str)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return record["hub_id"] if sent else None
