"""The marker files that tell every process of this machine that the Hub did not answer a look-up a moment
ago (:mod:`bimotion.hub` writes, reads and removes them as it remembers, recalls and forgets an unanswered
look-up in its own process), so that each ``bimotion`` command, recipe and ``accelerate`` worker behind a
firewall that drops packets does not wait ``HF_HUB_ETAG_TIMEOUT`` again."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path


class RecentlyUnanswered(ConnectionError):
    """The Hub did not answer a look-up of a process of this machine a moment ago (:func:`marker_path`, within
    :data:`bimotion.hub.DNS_ANSWER_S`): ``error``, that look-up's error in words; ``tls``, whether it was a
    failed TLS handshake; ``stalled``, where its own wait ended it, what it did not answer (less than a minute ago),
    what did not move and the fix naming the setting that waits longer (a :class:`bimotion.hub_timeouts.Stall`)."""

    def __init__(self, error: str, tls: bool, stalled=None):
        super().__init__(error)
        self.error, self.tls, self.stalled = error, tls, stalled

    def __reduce__(self):  # pickled with its fields (a worker process raising it), not its message alone
        return type(self), (self.error, self.tls), self.__dict__


# what decides whether a look-up is answered besides the endpoint: the proxy, the certificates trusted
# (the fixes an unanswered look-up's message names: a process started with them set asks the Hub again)
ROUTE_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
                   "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # fmt: skip


def marker_path(endpoint: str) -> Path:
    """The file that tells every process of this machine (that shares ``HF_HOME``, or ``HF_ASSETS_CACHE``) that
    ``endpoint`` did not answer, and when: huggingface_hub's folder for a library's own files, not the Hub cache,
    whose every entry ``hf cache`` would read as a broken repository.  One per machine (an ``HF_HOME`` shared
    by a cluster's nodes: a login node with network is not told of a compute node's firewall), endpoint and
    route to it (:data:`ROUTE_VARIABLES`, in either case, and the modification time of a certificate file
    named) and time given to answer (huggingface_hub's ``HF_HUB_ETAG_TIMEOUT``, the look-up's; its download
    timeout is no look-up's): a process started with another proxy, another CA certificate or a longer
    timeout asks again (:func:`route_key`)."""
    from huggingface_hub import constants

    return Path(constants.HF_ASSETS_CACHE) / "bimotion" / "hub-unanswered" / f"{route_key(endpoint)}.json"


def route_key(endpoint: str) -> str:
    """What a look-up of ``endpoint`` that got no answer is remembered by, in a marker's name (:func:`marker_path`)
    and in the process that asked (:func:`bimotion.hub._unanswered`): a hash of this machine, the endpoint, the route
    to it (:data:`ROUTE_VARIABLES`) and ``HF_HUB_ETAG_TIMEOUT``, so that another route or a longer timeout asks again."""
    import hashlib

    from huggingface_hub import constants

    route = []
    for variable in ROUTE_VARIABLES:
        for value in {os.environ.get(variable, ""), os.environ.get(variable.lower(), "")} - {""}:
            try:
                route.append(f"{variable}={value}@{os.stat(value).st_mtime_ns}")
            except (OSError, ValueError):  # a proxy's URL, not a file
                route.append(f"{variable}={value}")
    route.append(f"HF_HUB_ETAG_TIMEOUT={constants.HF_HUB_ETAG_TIMEOUT}")  # as huggingface_hub read it, in seconds
    return hashlib.sha256("\n".join([socket.gethostname(), endpoint, *sorted(route)]).encode()).hexdigest()[:16]


def answered_path(endpoint: str) -> Path:
    """The file beside :func:`marker_path` of ``endpoint`` that says when a process last got the Hub's answer."""
    marker = marker_path(endpoint)
    return marker.with_name(f"{marker.stem}.answered.json")


def write_marker(
    endpoint: str, error: str, *, tls: bool, asked_unix_s: float | None = None, stalled: tuple | None = None
) -> None:
    """:func:`marker_path` of ``endpoint``, written whole: when, when the look-up began (``asked_unix_s``,
    default now), and its ``error`` in words (a failed TLS handshake: ``tls``; one its wait ended, ``stalled``:
    :attr:`RecentlyUnanswered.stalled`); a cache that cannot be written is not remembered in."""
    import json

    from loaders.files import write_text_atomic

    now = time.time()
    asked = now if asked_unix_s is None else asked_unix_s
    record = {"endpoint": endpoint, "when_unix_s": now, "asked_unix_s": asked, "error": error, "tls": tls}
    record |= {"stalled": list(stalled) if stalled else None}
    try:
        write_text_atomic(marker_path(endpoint), json.dumps(record) + "\n")
    except OSError:  # read-only, full, a file in its way: this process still remembers
        pass


def read_marker(endpoint: str, *, max_age_s: float) -> RecentlyUnanswered | None:
    """What :func:`marker_path` of ``endpoint`` recalls, when written less than ``max_age_s`` ago, else None
    (none, too old, from the future, not this endpoint's or not readable, or of a look-up that began before
    another process last got an answer, :func:`answered_path`, and ended after it removed the marker: the Hub is
    asked)."""
    import json

    from .hub_timeouts import Stall

    try:
        record = json.loads(marker_path(endpoint).read_text(encoding="utf-8"))
        fresh = 0.0 <= time.time() - float(record["when_unix_s"]) < max_age_s and record["endpoint"] == endpoint
        asked = float(record.get("asked_unix_s", record["when_unix_s"]))
        stalled = record.get("stalled")  # [request, said, fix] of a look-up its wait ended; a marker of before: none
        if isinstance(stalled, list) and len(stalled) == 3 and all(isinstance(part, str) for part in stalled):
            stalled = Stall(f"{stalled[0]} less than a minute ago", *stalled[1:])
        else:
            stalled = None
        return (
            RecentlyUnanswered(str(record["error"]), bool(record["tls"]), stalled)
            if fresh and asked >= _answered(endpoint)
            else None
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _answered(endpoint: str) -> float:
    """When a process of this machine last got the Hub's answer (:func:`answered_path`), in Unix seconds; 0 for never."""
    import json

    try:
        return float(json.loads(answered_path(endpoint).read_text(encoding="utf-8"))["when_unix_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def remove_marker(endpoint: str) -> None:
    """Remove :func:`marker_path` of ``endpoint``, and record when (:func:`answered_path`): the Hub answered (a
    marker that cannot be removed stays, to expire; a look-up begun before this that ends unanswered after it
    leaves one that is not read)."""
    import json

    from loaders.files import write_text_atomic

    try:
        write_text_atomic(
            answered_path(endpoint), json.dumps({"endpoint": endpoint, "when_unix_s": time.time()}) + "\n"
        )
    except OSError:  # read-only, full: such a marker lasts its minute
        pass
    try:
        marker_path(endpoint).unlink(missing_ok=True)
    except OSError:
        pass
