"""The Hugging Face Hub seen from this library: its errors and their one-line wording
(:class:`HubError`, :func:`first_line`), and what comes from it.  Uploading is :mod:`bimotion.hub_upload`'s.

Downloading: every ``from_pretrained`` of a model that may come from the Hub takes
:func:`download_kwargs`, so that on a machine without network, or where the Hub does not answer (asked
once: :func:`hub_unreachable_for`, which the recipes' argument check asks too), a cached model loads at
once and an uncached one fails at once, instead of after ~30 s of retries.  The files read only to say more
(:func:`hub_file`) are asked for once, without those retries; once the Hub did not answer at all, not
again for a while (:func:`hub_unreachable`), by this process or, through a marker file under
``HF_ASSETS_CACHE`` (:mod:`bimotion.hub_marker`), by any other process of the machine: each ``bimotion`` command,
recipe and ``accelerate`` worker would wait ``HF_HUB_ETAG_TIMEOUT`` again behind a firewall that drops
packets.  A failed TLS handshake (a proxy presenting its own certificate) counts as no answer, said as such.
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

from .hub_marker import RecentlyUnanswered, read_marker, remove_marker, route_key, write_marker
from .hub_timeouts import bounded, stall, timed_out

DNS_ANSWER_S = 60.0  # how long a resolved (or failed) look-up of the Hub's host, or an unanswered one, is trusted
_dns: dict[str, tuple[float, bool]] = {}  # host -> (when, resolves)
# route_key(endpoint) (its route and HF_HUB_ETAG_TIMEOUT too, as the marker files) -> (when, error): asked_once got no answer
_silent: dict[str, tuple[float, BaseException]] = {}


def download_kwargs(name_or_path: str | os.PathLike, *, ask: bool = True) -> dict:
    """``{"local_files_only": True}`` for a Hub id when the Hub cannot be reached (:func:`hub_unreachable`),
    else ``{}``: what ``from_pretrained(name_or_path, **download_kwargs(name_or_path))`` needs.  Where
    nothing says so yet, the Hub is first asked once for the model's ``config.json`` (:func:`asked_once`,
    ``ask``): no answer at all (a refused connection, a timeout) and the cache is read, at once, instead of
    ``from_pretrained`` retrying each file over ~25 s; any answer (200, 404, 5xx) and it loads as it would.
    ``ask=False``: only what is known already (:func:`hub_file` asks for its own file)."""
    name = str(name_or_path)
    if Path(os.path.expanduser(name)).exists():
        return {}
    why = hub_unreachable_for(name, "config.json") if ask and is_hub_id(name) else hub_unreachable()
    return {"local_files_only": True} if why else {}


def hub_unreachable_for(repo_id: str, filename: str, repo_type: str = "model") -> str | None:
    """:func:`hub_unreachable`'s reason, the Hub first asked once for ``filename`` of ``repo_id``
    (:func:`asked_once`) where nothing says so yet: a Hub whose name resolves but that gives no answer
    (a refused connection, a firewall) is then known, in a fresh process too.  Any answer (200, 404,
    5xx): None.  What :func:`download_kwargs` and the recipes' argument check of a Hub id ask."""
    if hub_unreachable() is None:
        asked_once(repo_id, filename, repo_type)  # unanswered: remembered, so hub_unreachable says why
    return hub_unreachable()


def is_hub_id(value: str | None) -> bool:
    """Whether ``value`` reads as a Hub repository id (``owner/name``, or a bare legacy ``name``) rather than a path
    of this machine: it is not absolute, ``./``, ``~``, a Windows path, deeper than ``owner/name``, an existing path
    or a path below an existing folder, and it is valid by the Hub's own rule (``huggingface_hub.utils.
    validate_repo_id``).  The one test every argument check, ``predict`` and the model card use."""
    if not value or value.startswith(("/", ".", "~")) or "\\" in value or value.count("/") > 1:
        return False
    if Path(value).expanduser().exists() or ("/" in value and Path(value.split("/")[0]).expanduser().is_dir()):
        return False
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


# a snapshot in the Hub's cache: <kind>--<id with "/" as "--">/snapshots/ (an id holds no "--": the Hub refuses it)
HUB_CACHE_PATH = re.compile(r"(models|datasets)--([^/]+)/snapshots/")


def cached_hub_id(path: str | os.PathLike | None, kind: str) -> str | None:
    """The Hub id of ``path`` when it is a folder of this machine in a snapshot of the Hub's cache of a ``kind``
    (``models``, ``datasets``) repository (``from_pretrained``'s, ``snapshot_download``'s), else None."""
    path = Path(os.path.expanduser(path)) if path else None
    cached = HUB_CACHE_PATH.search(path.resolve().as_posix()) if path is not None and path.exists() else None
    return cached[2].replace("--", "/") if cached and cached[1] == kind else None  # bert-base-uncased has no owner


def hub_file(repo_id: str, filename: str, *, repo_type: str = "model", cache_dir: str | None = None) -> Path | None:
    """The local copy of ``filename`` in the Hub repository ``repo_id`` (downloaded, or from the Hub
    cache when the Hub cannot be reached: :func:`download_kwargs`, :func:`asked_once`); None when the Hub
    answers that there is no such file or repository (:func:`absent_on_hub`).  :class:`HubUnreachableError`
    when it could not be asked, or refused (no network, a firewall, a timeout, ``HF_HUB_OFFLINE``, a token
    without access) and no copy is cached: the file may well be there.  For the files a repository may or
    may not hold beside the model or data (``bimotion push`` uploads them), read only to say more."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RevisionNotFoundError

    local_only = download_kwargs(repo_id, ask=False)
    failed = _unanswered() if local_only else asked_once(repo_id, filename, repo_type)  # remembered: said alike
    if isinstance(failed, (EntryNotFoundError, RevisionNotFoundError)):  # the Hub's answer, as the download's
        return None
    try:  # not answered: its cached copy, as the download reads it
        kwargs = {"local_files_only": True} if local_only or failed else {}
        return Path(hf_hub_download(repo_id, filename, repo_type=repo_type, cache_dir=cache_dir, **kwargs))
    except Exception as err:  # huggingface_hub's errors (no entry, no repo, offline and not cached) and the network's
        err = failed or err  # why the Hub did not answer, not that the cache has no copy
        if absent_on_hub(err):
            return None
        why = fetch_failure(err, repo_id, offline=hub_unreachable() if local_only and not failed else None)
        raise HubUnreachableError(f"{filename} of {repo_id} could not be fetched ({why})", why) from err


def asked_once(repo_id: str, filename: str, repo_type: str = "model") -> Exception | None:
    """Why one request for ``filename`` of ``repo_id`` got no answer that the Hub holds it (the network's
    error or the Hub's), else None: the look-up a download starts with (``get_hf_file_metadata``), once,
    within ``HF_HUB_ETAG_TIMEOUT``.  ``hf_hub_download`` asks again where nothing is cached, retrying a
    refused connection over ~23 s: each optional file cost a user without network that long.  No answer
    at all (refused, timed out, a failed TLS handshake: no HTTP status) is remembered, as
    :func:`hub_unreachable`'s reason for :data:`DNS_ANSWER_S`, so that the next file, in this process or
    another, is not waited for again (a firewall dropping packets); an answer forgets it."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url

    bounded()  # this look-up has its own timeout; from_pretrained's and datasets' requests that set none get one
    asked = time.time()  # a marker of no answer says when the look-up began: one answered since outdates it
    try:  # no retries: its default (retry_on_errors=False)
        get_hf_file_metadata(hf_hub_url(repo_id, filename, repo_type=repo_type), timeout=constants.HF_HUB_ETAG_TIMEOUT)
    except Exception as err:  # the network's and the Hub's errors alike: hub_file tells them apart
        _remember_silence(_chain(err), constants.ENDPOINT, asked)
        return err
    forget_unanswered(constants.ENDPOINT)  # it answers again: the other processes may ask it too
    return None


_SILENT = (TimeoutError, ConnectionError, socket.gaierror)  # the network's errors under httpx's: refused, timed out


def _remember_silence(chain: list[BaseException], endpoint: str, asked_unix_s: float | None = None) -> None:
    """An error of no answer at all (:data:`_SILENT`, or a failed TLS handshake: :func:`_tls_error`; with no
    HTTP status), kept for :func:`_unanswered`, in this process and in a marker file for the others (:mod:`bimotion.hub_marker`).  An
    answer (an HTTP status) forgets it (:func:`forget_unanswered`)."""
    answer = _answer(chain)
    if answer == "answered":
        forget_unanswered(endpoint)
    elif answer == "silent":
        _silent[route_key(endpoint)] = (time.monotonic(), chain[0])
        tls, stalled = _tls_error(chain), stall(chain)  # stalled: a look-up its own wait ended, for its setting
        write_marker(
            endpoint, _in_words(tls or chain[-1]), tls=tls is not None, asked_unix_s=asked_unix_s, stalled=stalled
        )


def _answer(chain: list[BaseException]) -> str | None:
    """What the errors ``chain`` (:func:`_chain`) say of the Hub: ``"answered"`` (an HTTP status, the Hub's or a
    proxy's), ``"silent"`` (no answer at all: :data:`_SILENT`, which a remembered one is too, or a failed TLS
    handshake: :func:`_tls_error`), else None (an error of this side).  The one test of :func:`_remember_silence`
    and :func:`from_the_hub`."""
    if any(_http_status(e) is not None for e in chain):
        return "answered"
    return "silent" if _tls_error(chain) is not None or any(isinstance(e, _SILENT) for e in chain) else None


def _unanswered() -> BaseException | None:
    """The error of this process's last look-up that the Hub did not answer, within :data:`DNS_ANSWER_S`, by this
    route and ``HF_HUB_ETAG_TIMEOUT`` (:func:`~bimotion.hub_marker.route_key`: a longer timeout asks again), else
    another process's, recalled from its marker file (:class:`~bimotion.hub_marker.RecentlyUnanswered`)."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return None
    when, err = _silent.get(route_key(constants.ENDPOINT), (-DNS_ANSWER_S, None))
    return err if time.monotonic() - when < DNS_ANSWER_S else read_marker(constants.ENDPOINT, max_age_s=DNS_ANSWER_S)


def forget_unanswered(endpoint: str) -> None:
    """Forget that ``endpoint`` did not answer by this route and timeout (:func:`~bimotion.hub_marker.route_key`),
    in this process and in the others (its marker file)."""
    _silent.pop(route_key(endpoint), None)
    remove_marker(endpoint)


def _tls_error(chain: list[BaseException]) -> BaseException | None:
    """The TLS error among ``chain`` (a certificate not trusted here, as a proxy's own is; a handshake cut
    short): ``ssl.SSLError`` under httpx's error, or requests' and urllib3's ``SSLError``, else None."""
    import ssl

    return next((e for e in chain if isinstance(e, ssl.SSLError) or type(e).__name__ == "SSLError"), None)


def _in_words(err: BaseException, limit: int = 160) -> str:
    """``err``'s type and first line (``TimeoutError: timed out``), or the words a marker kept of it."""
    return err.error if isinstance(err, RecentlyUnanswered) else f"{type(err).__name__}: {first_line(err, limit)}"


def _tls_failure(err: BaseException) -> tuple[str, str] | None:
    """Where ``err`` is a failed TLS handshake (remembered or not): that, in words, and the environment
    variable that names the certificates to trust (the installed huggingface_hub's: httpx's or requests'), else None."""
    from huggingface_hub import __version__, constants

    chain = _chain(err)
    tls = chain[-1] if isinstance(chain[-1], RecentlyUnanswered) and chain[-1].tls else _tls_error(chain)
    if tls is None:
        return None
    ago = " less than a minute ago" if isinstance(tls, RecentlyUnanswered) else ""
    variable = "SSL_CERT_FILE" if int(__version__.split(".")[0]) >= 1 else "REQUESTS_CA_BUNDLE"
    return f"the Hub at {constants.ENDPOINT} failed the SSL check{ago} ({_in_words(tls)})", variable


def _chain(err: BaseException) -> list[BaseException]:
    """``err`` and the errors it was raised from (``__cause__``, else ``__context__``), outermost first."""
    chain: list[BaseException] = []
    while err is not None and err not in chain:
        chain.append(err)
        err = err.__cause__ or err.__context__
    return chain


def _http_status(err: BaseException) -> int | None:
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def absent_on_hub(err: BaseException) -> bool:
    """Whether ``err`` (or an error it was raised from) is the Hub's answer that the file, revision or
    repository is not there: HTTP 404, or ``huggingface_hub``'s repository-not-found (which the Hub
    also answers for a private repository asked without a token), but not a gated repository."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    return any(
        (isinstance(e, RepositoryNotFoundError) and not isinstance(e, GatedRepoError)) or _http_status(e) == 404
        for e in _chain(err)
    )


def fetch_failure(err: BaseException, repo_id: str, *, offline: str | None = None) -> str:
    """Why a file of ``repo_id`` could not be fetched, not cached, and what to do, on one line:
    ``offline`` (:func:`hub_unreachable`'s reason, when only the cache was read), else the Hub's state that
    ``err`` says (:func:`hub_failure`: a refusal, a server error, a failed SSL check, no answer) with its fix;
    a :class:`HubReason`, which says whether the Hub answered (:func:`could_not_read`)."""
    local = f"or pass a local folder of {repo_id}"
    if offline == "HF_HUB_OFFLINE is set":
        return HubReason(f"{offline}; not in the local cache: unset HF_HUB_OFFLINE to fetch it, {local}")
    if offline:
        return HubReason(
            f"{offline}; not in the local cache: connect to a network, {local}", getattr(offline, "reached", False)
        )
    state, fix = hub_failure(err)
    if state.refused:  # a token is the question: the cache holds no answer to it
        return HubReason(f"{state}; {fix}, {local}", reached=True)
    cache = "set HF_HUB_OFFLINE=1 to read only the local cache"
    return HubReason(f"{state}; not in the local cache: {fix}, {cache}, {local}", reached=state.reached)


def from_the_hub(err: BaseException) -> bool:
    """Whether ``err`` (or an error it was raised from) is the Hub's answer or the network's silence: an
    HTTP status, a failed SSL check, no answer (:data:`_SILENT`, or remembered so), which :func:`hub_failure`
    words; not an error of this side (a file gone, a bad argument), whose own words say more."""
    return _answer(_chain(err)) is not None  # RecentlyUnanswered is a ConnectionError: _SILENT


def hub_failure(err: BaseException, *, hub_answered: bool = False) -> tuple[HubReason, str]:
    """What the failed request ``err`` (or an error it was raised from) says of the Hub, on one line, and what
    to do about it: the one wording of a Hub that could not be used, of a download (:func:`fetch_failure`) and
    of an upload (:func:`bimotion.hub_upload.check_push`).  It refused access (HTTP 401, 403: ``refused``; log
    in); it answered with a server error (5xx: try again later), asked to slow down (429: try again later) or
    with another status (a proxy's); it failed the SSL check (a proxy presenting its own certificate: the
    variable naming the certificates to trust); it did not answer within the wait given a request that set none
    (:func:`~bimotion.hub_timeouts.timed_out`: the setting that waits longer); else it gave no answer (``cannot
    reach``: refused, timed out, not a Hub endpoint; check the network or proxy).  ``hub_answered``: the endpoint is known to be the Hub
    (an upload after :func:`~bimotion.hub_upload.check_push` passed), so another status is the Hub refusing
    what was sent (HTTP 400: a card's metadata, a file too large), not a proxy's answer."""
    from huggingface_hub import constants

    chain, hub = _chain(err), f"the Hub at {constants.ENDPOINT}"
    refused = next((e for e in chain if _http_status(e) in (401, 403)), None)
    if refused is not None:
        state = f"{hub} refused access, HTTP {_http_status(refused)}: {first_line(refused)}"
        return HubReason(
            state, reached=True, refused=True
        ), "log in with `hf auth login` or set HF_TOKEN to a token with access"
    answered = next((e for e in chain if _http_status(e) is not None), None)
    if answered is not None:  # a server error, a proxy's answer
        status = _http_status(answered)
        server = status >= 500
        state = f"{hub} answered {'with a server error, ' if server else ''}HTTP {status}: {first_line(answered, 160)}"
        # 429: the Hub's rate limit (a large upload, whoami asked often): nothing of the network's to check
        if server or status == 429:
            return HubReason(state, reached=True), "try again later"
        return HubReason(
            state, reached=True
        ), "change what its answer names" if hub_answered else "check the network or proxy"
    tls = _tls_failure(err)
    if tls is not None:
        return HubReason(
            tls[0], reached=True
        ), f"if a proxy presents its own certificate, set {tls[1]} to its CA certificate file"
    stalled = timed_out(chain)  # a request ended by bimotion's wait, or a download's by its own: the setting to raise
    if stalled is not None:
        return HubReason(f"the Hub at {constants.ENDPOINT} {stalled[0]}"), stalled[1]
    if isinstance(chain[-1], RecentlyUnanswered):  # another process waited for it: said, not waited for again
        reason = f"it did not answer a look-up less than a minute ago ({chain[-1].error})"
    else:  # the network's own error (the innermost): refused, timed out, not a Hub endpoint
        reason = _in_words(chain[-1])
    return HubReason(f"cannot reach {hub}, {reason}"), "check the network or proxy"


def hub_unreachable() -> HubReason | None:
    """Why the Hub cannot be reached from this process, or None: ``HF_HUB_OFFLINE`` is set, or, with no
    proxy configured for it, the Hub's host name does not resolve (no network; the answer is kept for
    :data:`DNS_ANSWER_S`), or the Hub did not answer :func:`asked_once` in that time (a firewall that drops
    packets, a refused connection, through a proxy too; a certificate not trusted here, said so, with the
    fix), in this process or, said so, in another (:mod:`bimotion.hub_marker`).  Else nothing is seen
    here: a proxy resolves the name.  A :class:`HubReason`: a failed SSL check reached the Hub (:func:`hub_unusable`)."""
    import urllib.request

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return HubReason("HF_HUB_OFFLINE is set")
    silent = _unanswered()
    if silent is not None:
        inner = _chain(silent)[-1]
        recalled = ", so only the local cache is read for now" if isinstance(inner, RecentlyUnanswered) else ""
        if _tls_failure(silent) is not None:
            state, fix = hub_failure(silent)
            return HubReason(f"{state}{recalled}: {fix}, or set HF_HUB_OFFLINE=1 to read only the local cache", True)
        stalled = timed_out(_chain(silent))  # a look-up its own timeout ended (here or, recalled, in another process)
        if stalled is not None:  # the setting that waits longer
            return HubReason(f"the Hub at {constants.ENDPOINT} {stalled[0]}{recalled}; {stalled[1]}")
        if recalled:
            ago = f"did not answer a look-up less than a minute ago ({inner.error}){recalled}"
            return HubReason(f"the Hub at {constants.ENDPOINT} {ago}")
        return HubReason(f"the Hub at {constants.ENDPOINT} did not answer ({_in_words(inner, 80)})")
    endpoint = urlparse(constants.ENDPOINT)
    host = endpoint.hostname or ""
    if urllib.request.getproxies().get(endpoint.scheme or "https") and not urllib.request.proxy_bypass(host):
        return None
    now = time.monotonic()
    when, resolves = _dns.get(host, (-DNS_ANSWER_S, True))
    if now - when >= DNS_ANSWER_S:
        try:
            socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
            resolves = True
        except (OSError, UnicodeError):
            resolves = False
        _dns[host] = (now, resolves)
    return None if resolves else HubReason(f"no network? {host} does not resolve")


class HubReason(str):
    """Why the Hub could not be used, in words (:func:`hub_unreachable`, :func:`fetch_failure`), and whether
    it was ``reached``: False where it gave no answer or was not asked (no network, a refused connection, a
    timeout, ``HF_HUB_OFFLINE``); True where it answered (a refusal, a server error) or failed the SSL check.
    ``refused``: it refused access (HTTP 401, 403: a token).  Callers word it through :func:`could_not_read` and
    :func:`hub_unusable`, not "cannot reach" of their own."""

    reached: bool
    refused: bool

    def __new__(cls, text: str, reached: bool = False, *, refused: bool = False):
        reason = super().__new__(cls, text)
        reason.reached, reason.refused = reached, refused
        return reason


def could_not_read(what: str, why: str) -> str:
    """The one sentence of a file of the Hub that could not be read: ``"could not reach the Hub to read WHAT:
    WHY"`` where it gave no answer or was not asked, ``"could not read WHAT from the Hub: WHY"`` where it was
    reached (``why``: a :class:`HubReason`; the Hub at ... failed the SSL check, or refused access)."""
    if getattr(why, "reached", False):
        return f"could not read {what} from the Hub: {why}"
    return f"could not reach the Hub to read {what}: {why}"


def hub_unusable(why: str) -> str:
    """The Hub's state, for a caller's sentence, of :func:`hub_unreachable`'s reason ``why``: ``"the Hugging Face
    Hub cannot be reached (WHY)"`` where it gave no answer or was not asked, ``"the Hugging Face Hub cannot be
    used here (WHY)"`` where it was reached (it failed the SSL check)."""
    state = "cannot be used here" if getattr(why, "reached", False) else "cannot be reached"
    return f"the Hugging Face Hub {state} ({why})"


class HubError(RuntimeError):
    """The Hub cannot be reached or refuses: one line saying why and what to do."""


class HubUnreachableError(HubError):
    """A file of the Hub that could not be fetched, though it may be there (:func:`hub_file`); ``why``: the reason and
    what to do, without the file's name (:func:`fetch_failure`: a :class:`HubReason`; :func:`could_not_read` names it)."""

    def __init__(self, message: str, why: str):
        super().__init__(message)
        self.why = why

    def __reduce__(self):  # pickled with its fields (a worker process raising it), not its message alone
        return type(self), (self.args[0], self.why), self.__dict__


def first_line(err: BaseException, limit: int = 200) -> str:
    """An error's message on one line, cut at a word boundary when longer than ``limit``."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."
