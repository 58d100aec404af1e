"""A model that may come from the Hub, loaded by ``from_pretrained``: the one wording of a Hub id's load that failed
(:func:`load_failure`: ``bimotion predict``'s, fine-tuning's base model, the probe's encoder), and the one way
training and the probe load one (:func:`hub_model`: a failure a :class:`~bimotion.hub.HubError` in those words, not
transformers' words in a traceback)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .hub import HubError, absent_on_hub, download_kwargs, fetch_failure, from_the_hub, hub_unreachable, hub_unusable

LOAD_ERRORS = (OSError, ValueError)  # what transformers' from_pretrained raises of a model it cannot load


def load_failure(err: BaseException, name: str) -> str:
    """Why the model ``name``, no folder here, could not be loaded (``err``: its load's error), and what to do, for a
    caller's ``cannot load model NAME: no such folder here, and ...``: a failure of the Hub's (a stall, a refusal, a
    server error; not its 404) in :func:`bimotion.hub.fetch_failure`'s one wording; else the Hub that cannot be used
    (:func:`~bimotion.hub.hub_unreachable`) or that has no such model, with the error's first line."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    why = hub_unreachable()
    if not why and from_the_hub(err) and not absent_on_hub(err):
        return fetch_failure(err, name)
    unusable = f"{hub_unusable(why)} and it cannot be loaded from the local cache"
    hub = unusable if why else "the Hugging Face Hub cannot be reached or has no such model"
    return f"{hub} ({first}); pass a model folder, or download it first: hf download {name} --local-dir DIR"


@contextlib.contextmanager
def hub_model(name: str):
    """Loading the model ``name`` (a folder or a Hub id) inside, with the keyword arguments yielded
    (:func:`~bimotion.hub.download_kwargs`: every ``from_pretrained`` of it takes them); where ``name`` is no path
    here, a load that fails (:data:`LOAD_ERRORS`) is a :class:`~bimotion.hub.HubError` of one line
    (:func:`load_failure`); a folder's error is its own."""
    try:
        yield download_kwargs(name)
    except LOAD_ERRORS as err:
        if Path(os.path.expanduser(name)).exists():
            raise
        raise HubError(f"cannot load model {name}: no such folder here, and {load_failure(err, name)}") from err
