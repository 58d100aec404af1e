"""A model that may come from the Hub, loaded by ``from_pretrained``: what every load of it takes
(:func:`model_kwargs`: its revision asked of the Hub once), the one wording of a Hub id's load that failed
(:func:`load_failure`: ``bimotion predict``'s, fine-tuning's base model, the probe's encoder, a fine-tuned model
scored), and the one way training, the probe and scoring load one (:func:`hub_model`: a failure a :class:`~bimotion.hub.HubError` in those words, not
transformers' words in a traceback).

transformers asks the Hub which commit a Hub id's revision is (``GET /api/models/ID``, ``resolve_revision``) at each
``from_pretrained`` and, where that fails, again in the config's load within it (3 times for a model, and once per
feature extractor), each failure let pass: a Hub that took the connection and never answered held ``bimotion predict``
3 x ``BIMOTION_HUB_TIMEOUT_S`` (3 min with the default 60 s) before its files were even asked for, then said only
the download's own setting.  :func:`model_kwargs` asks once and gives the commit to every load (which then asks no
more, each file of the same commit); a Hub that gave no answer ends the load there, worded with the setting."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .hub import (
    HubError,
    absent_on_hub,
    download_kwargs,
    fetch_failure,
    from_the_hub,
    hub_unreachable,
    hub_unusable,
    is_hub_id,
)
from .hub_timeouts import TimeoutSettingError, bounded

LOAD_ERRORS = (OSError, ValueError)  # what transformers' from_pretrained raises of a model it cannot load


class UnresolvedRevision(OSError):
    """The Hub gave no answer (or a server error) to which commit a Hub id's revision is, and the cache records none
    (raised from ``huggingface_hub``'s ``RevisionResolutionError``, the Hub's error under it): a load that fails, as
    transformers' own (:data:`LOAD_ERRORS`), worded by :func:`load_failure`."""


def model_kwargs(name: str, revision: str | None = None, cache_dir: str | None = None) -> dict:
    """What every ``from_pretrained(name, ...)`` of the model ``name`` takes: :func:`~bimotion.hub.download_kwargs`,
    and, for a Hub id the Hub may be asked about, ``revision`` (None: its default branch) resolved to its commit,
    asked once (``HfApi.resolve_revision``, within ``BIMOTION_HUB_TIMEOUT_S``: :func:`~bimotion.hub_timeouts.bounded`;
    where the Hub does not answer, the commit the cache recorded), so that transformers asks no more (module
    docstring).  An :class:`UnresolvedRevision` where the Hub gave no answer or a server error and the cache records
    no commit; where it answered otherwise (no such model, a refusal), the loads go on unresolved and say it."""
    kwargs = download_kwargs(name)
    if kwargs or Path(os.path.expanduser(name)).exists() or not is_hub_id(name):
        return kwargs
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RevisionResolutionError

    bounded()
    try:
        resolved = HfApi().resolve_revision(name, revision=revision, cache_dir=cache_dir)
    except RevisionResolutionError as err:
        raise UnresolvedRevision(f"the commit of {name}'s revision {revision or 'main'} is not known") from err
    except Exception:  # noqa: BLE001 (the Hub's answer: no such model, a refusal; from_pretrained says it, as ever)
        return kwargs
    return {**kwargs, "revision": resolved}


def load_failure(err: BaseException, name: str) -> str:
    """Why the model ``name``, no folder here, could not be loaded (``err``: its load's error), and what to do, for a
    caller's ``cannot load model NAME: no such folder here, and ...``: a failure of the Hub's (a stall, a refusal, a
    server error; not its 404) in :func:`bimotion.hub.fetch_failure`'s one wording; a ``ValueError`` not the Hub's
    (transformers refusing the files it found: a text model's config for an audio classifier) as a model of another
    kind, not as a Hub that cannot be reached or a cache that lacks it; else the Hub that cannot be used
    (:func:`~bimotion.hub.hub_unreachable`) or that has no such model, with the error's first line."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if isinstance(err, ValueError) and not from_the_hub(err):  # transformers' refusal of files it found (cache, Hub)
        return f"the model it names is not one this load takes ({first}); pass a speech model's folder or Hub id"
    why = hub_unreachable()
    if not why and from_the_hub(err) and not absent_on_hub(err):
        return fetch_failure(err, name)
    unusable = f"{hub_unusable(why)} and it cannot be loaded from the local cache"
    hub = unusable if why else "the Hugging Face Hub cannot be reached or has no such model"
    return f"{hub} ({first}); pass a model folder, or download it first: hf download {name} --local-dir DIR"


@contextlib.contextmanager
def hub_model(name: str, revision: str | None = None, cache_dir: str | None = None):
    """Loading the model ``name`` (a folder or a Hub id) inside, with the keyword arguments yielded
    (:func:`model_kwargs`: every ``from_pretrained`` of it takes them); where ``name`` is no path here, a load that
    fails (:data:`LOAD_ERRORS`) is a :class:`~bimotion.hub.HubError` of one line (:func:`load_failure`); a folder's
    error is its own."""
    try:
        yield model_kwargs(name, revision, cache_dir)
    except LOAD_ERRORS as err:
        if Path(os.path.expanduser(name)).exists() or isinstance(err, TimeoutSettingError):  # their own words
            raise
        raise HubError(f"cannot load model {name}: no such folder here, and {load_failure(err, name)}") from err
