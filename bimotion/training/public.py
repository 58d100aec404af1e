"""What files published with a model (scores.json, the model card) may say of the run: no path of
this machine.  A local model or dataset is named ``local:<folder name>``, a Hub one by its id (also
when it is a snapshot of the Hub's cache or a prepared folder ``bimotion push`` sent), a checkpoint
relative to the model folder; the base model's Hub id is read before its path goes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..data.pushed import pushed_hub_id
from ..hub import cached_hub_id
from ..hub import is_hub_id as _hub_rule

CARD_FILE = "README.md"
# The config key that marks a checkpoint whose weights were randomly initialised, never pretrained
# (:func:`bimotion.training.testing.save_tiny_model`); a model fine-tuned from one carries it on.
RANDOM_INIT = "bimotion_random_init"
LOCAL = "local:"  # how published files name a local folder (:func:`public_source`)


def public_source(source: str | None) -> str | None:
    """How published files (scores.json, the card) name a model or dataset source: a Hub id as
    given, a local folder as ``local:<folder name>``, never as a path of this machine."""
    if not source or source.startswith(LOCAL):
        return source
    path = Path(source).expanduser()  # os.path.exists: False, not OSError, for a name too long to be a file's
    return f"{LOCAL}{path.resolve().name}" if os.path.exists(path) or path.is_absolute() else source


def dataset_source(source: str | None) -> str | None:
    """How published files name a dataset: its Hub id (a Hub-cache snapshot, a pushed prepared folder), else :func:`public_source`."""
    return cached_hub_id(source, "datasets") or pushed_hub_id(source) or public_source(source)


def public_path(path: str | None, root: str | os.PathLike) -> str | None:
    """A path under ``root`` (a checkpoint of the model folder) relative to it; any other as :func:`public_source`."""
    if not path:
        return path
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return public_source(path)


def public_summary(summary: dict, output_dir: str | os.PathLike) -> dict:
    """``summary`` (scores.json's content) with no local path: it is published with the model.
    ``base_model_id`` keeps the base's Hub id (:func:`base_model_id`), read before its path goes."""
    return {
        **summary,
        "base_model": public_source(summary["base_model"]),
        "base_model_id": summary.get("base_model_id") or base_model_id(summary["base_model"]),
        "base_model_random": summary.get("base_model_random") or random_base(summary["base_model"]),
        "datasets": {name: dataset_source(source) for name, source in summary["datasets"].items()},
        "resumed_from": public_path(summary.get("resumed_from"), output_dir),
        "selection": {
            **summary["selection"],
            "best_checkpoint": public_path(summary["selection"].get("best_checkpoint"), output_dir),
        },
    }


def is_hub_id(name: str | None) -> bool:
    """Whether ``name`` reads as a Hub repo id (``owner/name``) rather than a path of this machine."""
    return bool(name) and not name.startswith(LOCAL) and _hub_rule(name)


def base_model_id(source: str | None) -> str | None:
    """The Hub id of the base model ``source``: the id itself, or what a local folder records — the
    id in its path when it is a snapshot of the Hub's cache, its config's ``_name_or_path`` when that
    is a Hub id, else its own card's ``base_model``; None when it records none (the card then says so)."""
    if not source or source.startswith(LOCAL):
        return None
    path = Path(source).expanduser()
    if not path.exists():
        return source if is_hub_id(source) else None
    cached = cached_hub_id(path, "models")
    if cached:
        return cached
    try:
        name = json.loads((path / "config.json").read_text(encoding="utf-8")).get("_name_or_path")
    except (OSError, ValueError, AttributeError):
        name = None
    if is_hub_id(name):
        return name
    return _card_base_model(path / CARD_FILE)


def random_base(source: str | None) -> str | None:
    """What says that the base model ``source`` is randomly initialised, not a pretrained checkpoint:
    its config's :data:`RANDOM_INIT` (what made it), or a Hub id named ``tiny-random`` (the Hub's
    test models); None when nothing says so."""
    if not source or source.startswith(LOCAL):
        return None
    path = Path(source).expanduser()
    if not path.exists():
        return "a Hub test model (its name says tiny-random)" if "tiny-random" in source.lower() else None
    try:
        made = json.loads((path / "config.json").read_text(encoding="utf-8")).get(RANDOM_INIT)
    except (OSError, ValueError, AttributeError):
        return None
    return str(made) if made else None


def _card_base_model(card: Path) -> str | None:
    """The single Hub id a model card's ``base_model`` names, if any."""
    from huggingface_hub import ModelCard

    if not card.is_file():
        return None
    try:
        base = ModelCard.load(card, ignore_metadata_errors=True).data.base_model
    except (OSError, ValueError):
        return None
    base = base[0] if isinstance(base, list) and len(base) == 1 else base
    return base if isinstance(base, str) and is_hub_id(base) else None
