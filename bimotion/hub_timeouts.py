"""How long a request to the Hub may wait: ``huggingface_hub``'s shared HTTP client has no timeout of its own,
and its ``HfApi`` calls (``whoami``, ``create_repo``, ``list_repo_files``, ``create_commit``) pass none, so an
endpoint that accepts the connection and never answers held ``bimotion push`` and ``--push_to_hub`` for ever.
:func:`bounded` gives every request that has no limit of its own one per step, :data:`TIMEOUT_VARIABLE`
seconds (:data:`DEFAULT_TIMEOUT_S`) to connect, to receive each next byte and to send each next block: a wait
with nothing moving, never the transfer's whole time, so an upload of GBs that keeps moving is never cut short.
A request that sets its own (a download's look-up, ``HF_HUB_ETAG_TIMEOUT``; its transfer,
``HF_HUB_DOWNLOAD_TIMEOUT``) keeps it.  :func:`timed_out` words a request this bound, or a download's own, ended,
for :func:`bimotion.hub.hub_failure`: what did not move, for how long, the setting that waits longer, and, where
``huggingface_hub`` tried it again (its ``HfApi`` calls: up to 5 more times, 1-8 s apart), how many tries in how
long in all (:func:`_try`)."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import NamedTuple

TIMEOUT_VARIABLE = "BIMOTION_HUB_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 60.0  # a commit of many files may take the Hub tens of seconds to answer
_MARK = "bimotion_timeout_s"  # a request's extension: the bound this module gave it (httpcore reads only its own)
_TRIES = "bimotion_tries"  # a request's extension: (its try, when the first try began, monotonic s)
_asking = threading.local()  # .open: (id of huggingface_hub's retrying loop, when its first try began)
# the settings of the requests a download makes with a timeout of its own: what the request is, the setting
_OWN = {
    "look-up": ("HF_HUB_ETAG_TIMEOUT", "the seconds a download's look-up may wait with nothing moving"),
    "transfer": ("HF_HUB_DOWNLOAD_TIMEOUT", "the seconds a download may wait with nothing moving"),
}
# what each of httpx's timeouts (huggingface_hub>=1: httpx, or its fork httpx2) says did not move
_STALLED = {
    "ConnectTimeout": "no connection within {t} s",
    "ReadTimeout": "it sent nothing for {t} s after the request",
    "WriteTimeout": "it took nothing of what was sent for {t} s",
    "PoolTimeout": "no connection free for {t} s",
}


class TimeoutSettingError(ValueError):
    """:data:`TIMEOUT_VARIABLE` set to what is not a number of seconds: its words name it and the fix (one
    ``error:`` line, as ``push`` says it and :mod:`bimotion.cli` says it of any command, not a traceback)."""


def timeout_s() -> float:
    """:data:`TIMEOUT_VARIABLE` in seconds (:data:`DEFAULT_TIMEOUT_S` where unset or empty); a
    :class:`TimeoutSettingError` naming it and the fix where it is not a number of seconds above 0."""
    value = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_TIMEOUT_S
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise TimeoutSettingError(
            f"{TIMEOUT_VARIABLE}={value!r} is not a number of seconds: set it to how long a request to the Hub may "
            f"wait with nothing moving, such as {DEFAULT_TIMEOUT_S:g}, or unset it"
        )
    return seconds


def bounded() -> None:
    """Have every request ``huggingface_hub`` makes from now on in this process that sets no timeout of its
    own (its ``HfApi`` calls) wait at most :func:`timeout_s` with nothing moving (:mod:`bimotion.hub_timeouts`),
    through its shared client (``set_client_factory``: the client of the factory in place, a user's own too, with
    one more request hook).  Once per process; checks :data:`TIMEOUT_VARIABLE` each call (its
    :class:`TimeoutSettingError`).
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
    :func:`timeout_s`, and the request marked with it (:func:`timed_out` names the setting); and marked with its
    try (:func:`_try`: :func:`timed_out` says how many tries in how long)."""
    timeouts = dict(request.extensions.get("timeout") or {})
    unset = [step for step in ("connect", "read", "write", "pool") if timeouts.get(step) is None]
    if unset:
        seconds = timeout_s()
        request.extensions["timeout"] = {**timeouts, **dict.fromkeys(unset, seconds)}
        request.extensions[_MARK] = seconds
    request.extensions[_TRIES] = _try()


def _try() -> tuple[int, float]:
    """Which try of its call the request being sent is, and when its first try began: the tries of the retrying loop
    that sends it (``nb_tries`` of ``_http_backoff_base``: an ``HfApi`` call's) and of the download that tries its
    file's transfer again (``http_get``, calling itself for each try: the outermost call is the download's, and each
    call on the stack one try, also where a try that received bytes gave it 5 more); 1 where neither is found."""
    now, frame, tries, call, transfers = time.monotonic(), sys._getframe(2), 1, None, 0
    while frame is not None:
        name, values = frame.f_code.co_name, frame.f_locals
        if name == "_http_backoff_base" and call is None:  # the innermost: the loop sending this request
            tries, call = values.get("nb_tries") or 1, frame
        elif name == "http_get" and isinstance(values.get("_nb_retries"), int):
            transfers += 1  # not 1 + 5 - _nb_retries: a try that received bytes set it back to 5 (stall, resume, stall)
            call = frame  # the outermost: the download's
        frame = frame.f_back
    tries += max(transfers - 1, 0)  # the transfer's tries before the one sending this request
    last = getattr(_asking, "open", None)
    first = last[1] if tries > 1 and last is not None and last[0] == id(call) else now
    _asking.open = (id(call), first)
    return tries, first


class Stall(NamedTuple):
    """A request that did not answer within its wait (:func:`stall`): which, as said after "did not answer" (``""``;
    `` a download's look-up``; `` a download's look-up less than a minute ago``, another process's, recalled:
    :class:`bimotion.hub_marker.RecentlyUnanswered`), what did not move and for how long (``it sent nothing for 1 s
    after the request (ReadTimeout)``), and the fix naming the setting that waits longer."""

    request: str
    said: str
    fix: str


def timed_out(chain: list[BaseException]) -> tuple[str, str] | None:
    """:func:`stall` in words: what the Hub did not answer, what did not move and for how long, and, where it was tried
    again, how many tries in how long (``did not answer: it sent nothing for 60 s after the request (ReadTimeout, the
    last of 6 tries over 6 min 23 s)``), and the fix; else None."""
    found = stall(chain)
    return None if found is None else (f"did not answer{found.request}: {found.said}", found.fix)


def stall(chain: list[BaseException]) -> Stall | None:
    """Where one of the errors ``chain`` (outermost first) is a timeout of a request :func:`bounded` gave its bound,
    or of a download's look-up or transfer (their own, ``huggingface_hub``'s settings), or another process's look-up
    that its wait ended, recalled (a :class:`~bimotion.hub_marker.RecentlyUnanswered` with its ``stalled``): the
    :class:`Stall` (the fix: the network, or the setting that waits longer for a Hub that is only slow); else None."""
    for err in chain:
        if isinstance(getattr(err, "stalled", None), Stall):  # recalled: as the process that waited said it
            return err.stalled
        words = _STALLED.get(type(err).__name__)
        try:
            extensions = err.request.extensions if words else {}
        except (AttributeError, RuntimeError):  # httpx's error of no request: raised where none was sent
            extensions = {}
        seconds, own = extensions.get(_MARK), None
        if seconds is None and extensions:  # a download's request with its own timeout, of the step that ended it
            own = _own_setting(err.request, extensions)
            seconds = (extensions.get("timeout") or {}).get(type(err).__name__.removesuffix("Timeout").lower())
        if seconds is not None and (own or extensions.get(_MARK) is not None):
            t = f"{seconds:g}"
            setting, meaning = (
                _OWN[own] if own else (TIMEOUT_VARIABLE, "the seconds a request may wait with nothing moving")
            )
            moving = "" if own else "; a transfer that keeps moving is never cut short"
            fix = f"check the network or proxy; if the Hub is only slow, set {setting} above {t} ({meaning}{moving})"
            tries, first = extensions.get(_TRIES, (1, None))
            again = f", the last of {tries} tries over {_duration(time.monotonic() - first)}" if tries > 1 else ""
            said = f"{words.format(t=t)} ({type(err).__name__}{again})"
            return Stall(f" a download's {own}" if own else "", said, fix)
    return None


def _own_setting(request, extensions: dict) -> str | None:
    """Which of a download's requests with a timeout of its own ``request`` is (a key of :data:`_OWN`), by its
    timeout and what it asks: a file's transfer (a GET of ``/resolve/`` within ``HF_HUB_DOWNLOAD_TIMEOUT``), else
    a look-up within ``HF_HUB_ETAG_TIMEOUT`` (a file's metadata, ``HEAD``; a repository's, as ``datasets`` asks);
    else None."""
    from huggingface_hub import constants

    read = (extensions.get("timeout") or {}).get("read")
    if read is None:
        return None
    transfer = request.method == "GET" and "/resolve/" in request.url.path
    if transfer and read == constants.HF_HUB_DOWNLOAD_TIMEOUT:
        return "transfer"
    return "look-up" if read == constants.HF_HUB_ETAG_TIMEOUT else None


def _duration(seconds: float) -> str:
    """``seconds`` in words: ``3.1 s``, ``42 s``, ``6 min 23 s``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
