"""How long a request to the Hub may wait: ``huggingface_hub``'s shared HTTP client has no timeout of its own,
and its ``HfApi`` calls (``whoami``, ``create_repo``, ``list_repo_files``, ``create_commit``) pass none, so an
endpoint that accepts the connection and never answers held ``bimotion push`` and ``--push_to_hub`` for ever.
:func:`bounded` gives every request that has no limit of its own one per step, :data:`TIMEOUT_VARIABLE`
seconds (:data:`DEFAULT_TIMEOUT_S`) to connect, to receive each next byte and to send each next block: a wait
with nothing moving, never the transfer's whole time, so an upload of GBs that keeps moving is never cut short.
A request that sets its own (a download's look-up, ``HF_HUB_ETAG_TIMEOUT``; its transfer,
``HF_HUB_DOWNLOAD_TIMEOUT``) keeps it.  :func:`timed_out` words a request this bound ended, for
:func:`bimotion.hub.hub_failure`: what did not move, for how long, and the setting that waits longer."""

from __future__ import annotations

import os

TIMEOUT_VARIABLE = "BIMOTION_HUB_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 60.0  # a commit of many files may take the Hub tens of seconds to answer
_MARK = "bimotion_timeout_s"  # a request's extension: the bound this module gave it (httpcore reads only its own)
# what each of httpx's timeouts (huggingface_hub>=1: httpx, or its fork httpx2) says did not move
_STALLED = {
    "ConnectTimeout": "no connection within {t} s",
    "ReadTimeout": "it sent nothing for {t} s after the request",
    "WriteTimeout": "it took nothing of what was sent for {t} s",
    "PoolTimeout": "no connection free for {t} s",
}


def timeout_s() -> float:
    """:data:`TIMEOUT_VARIABLE` in seconds (:data:`DEFAULT_TIMEOUT_S` where unset or empty); a ``ValueError``
    naming it and the fix where it is not a number of seconds above 0."""
    value = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_TIMEOUT_S
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ValueError(
            f"{TIMEOUT_VARIABLE}={value!r} is not a number of seconds: set it to how long a request to the Hub may "
            f"wait with nothing moving, such as {DEFAULT_TIMEOUT_S:g}, or unset it"
        )
    return seconds


def bounded() -> None:
    """Have every request ``huggingface_hub`` makes from now on in this process that sets no timeout of its
    own (its ``HfApi`` calls) wait at most :func:`timeout_s` with nothing moving (:mod:`bimotion.hub_timeouts`),
    through its shared client (``set_client_factory``: the client of the factory in place, a user's own too, with
    one more request hook).  Once per process; checks :data:`TIMEOUT_VARIABLE` each call (its ``ValueError``).
    Without effect on a ``huggingface_hub`` before 1.0 (requests, not httpx: no client factory), which setup.cfg
    does not install."""
    timeout_s()
    import huggingface_hub
    from huggingface_hub.utils import _http

    previous = getattr(_http, "_GLOBAL_CLIENT_FACTORY", None)
    if previous is None or getattr(previous, _MARK, False) or not hasattr(huggingface_hub, "set_client_factory"):
        return

    def factory():
        client = previous()
        hooks = client.event_hooks
        client.event_hooks = {**hooks, "request": [*hooks.get("request", []), _bound]}
        return client

    setattr(factory, _MARK, True)
    huggingface_hub.set_client_factory(factory)


def _bound(request) -> None:
    """The request hook of :func:`bounded`: each of the request's timeouts left unset (None: no limit) set to
    :func:`timeout_s`, and the request marked with it (:func:`timed_out` names the setting)."""
    timeouts = dict(request.extensions.get("timeout") or {})
    unset = [step for step in ("connect", "read", "write", "pool") if timeouts.get(step) is None]
    if unset:
        seconds = timeout_s()
        request.extensions["timeout"] = {**timeouts, **dict.fromkeys(unset, seconds)}
        request.extensions[_MARK] = seconds


def timed_out(chain: list[BaseException]) -> tuple[str, str] | None:
    """Where one of the errors ``chain`` (outermost first) is a timeout of a request :func:`bounded` gave its bound:
    what did not move and for how long (``it sent nothing for 60 s after the request (ReadTimeout)``), and the fix
    (the network, or :data:`TIMEOUT_VARIABLE` for a Hub that is only slow); else None."""
    for err in chain:
        words = _STALLED.get(type(err).__name__)
        try:
            seconds = err.request.extensions.get(_MARK) if words else None
        except (AttributeError, RuntimeError):  # httpx's error of no request: raised where none was sent
            seconds = None
        if seconds is not None:
            t = f"{seconds:g}"
            fix = (
                f"check the network or proxy; if the Hub is only slow, set {TIMEOUT_VARIABLE} above {t} (the seconds "
                "a request may wait with nothing moving; a transfer that keeps moving is never cut short)"
            )
            return f"{words.format(t=t)} ({type(err).__name__})", fix
    return None
