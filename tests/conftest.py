from __future__ import annotations

import contextlib
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


class FakeHub:
    """Stands in for ``huggingface_hub.HfApi``: records what would go over the network."""

    calls: list[tuple[str, dict]] = []
    repos: dict[str, dict[str, bytes]] = {}  # what each repository holds after the commits: {path: bytes}

    def __init__(self, token=None, **kwargs):
        self.calls.append(("init", {"token": token}))

    def whoami(self):  # bimotion.hub_upload.check_push asks before training
        self.calls.append(("whoami", {}))
        return {"name": "someone"}

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        self.repos.setdefault(repo_id, {".gitattributes": b"*.parquet filter=lfs\n"})

    def list_repo_files(self, repo_id, **kwargs):
        self.calls.append(("list_repo_files", {"repo_id": repo_id, **kwargs}))
        return sorted(self.repos[repo_id])

    def create_commit(self, **kwargs):  # one commit of the planned files: {path in repo: bytes sent}, deleted
        sent, deleted = {}, []
        for op in kwargs.pop("operations"):
            if not hasattr(op, "as_file"):  # a CommitOperationDelete
                deleted.append(op.path_in_repo)
                continue
            with op.as_file() as content:
                sent[op.path_in_repo] = content.read()
        held = self.repos.setdefault(kwargs["repo_id"], {})
        for path in deleted:
            del held[path]  # the Hub refuses to delete a file it does not hold
        held.update(sent)
        self.calls.append(("create_commit", {**kwargs, "sent": sent, "deleted": deleted}))

        class Commit:
            commit_url = "https://huggingface.co/fake/commit/0"

        return Commit()


@pytest.fixture
def hub(monkeypatch):
    """``huggingface_hub.HfApi`` replaced by :class:`FakeHub`: the calls an upload would make, in order."""
    import huggingface_hub

    FakeHub.calls, FakeHub.repos = [], {}
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    return FakeHub.calls


def prepared_csed(root: Path) -> Path:
    """A real prepared folder, ``root/out``: the generated CSED corpus (``root/raw/csed``) through the
    ``bimotion prepare`` command line (3 Parquet files, in ``data/csed/zho_eld/``, a folder with no folder
    below it)."""
    import subprocess
    import sys

    from loaders import testing

    csed = testing.make_corpus("csed", root / "raw" / "csed")
    argv = [sys.executable, "-m", "bimotion.cli", "prepare", "-q", "--source", f"csed={csed}", "-o", str(root / "out")]
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    return root / "out"


def unprivileged(argv: list[str]) -> list[str]:
    """``argv`` run where a folder's permissions hold: as is, or as root through ``setpriv`` without
    the capability that lets root write to any folder; the test is skipped where neither can be."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0:
        return argv
    drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]
    if shutil.which("setpriv") is None or subprocess.run([*drop, "true"], capture_output=True).returncode != 0:
        pytest.skip("root writes anywhere, and setpriv cannot drop that capability here")
    return [*drop, *argv]


def csed_with_copies(root: Path) -> tuple[Path, list[str], Path]:
    """A generated CSED tree at ``root`` with its Positive and Negative folders pasted beside themselves ("Positive
    - Copy": second copies a warning names, more than the five it names inline) and one damaged clip,
    ``Positive/Pos-bad.wav`` (skipped under --skip-bad): ``(corpus folder, the copies' paths, the damaged clip)``."""
    from loaders import testing

    corpus = testing.make_corpus("csed", root)
    data = corpus / "Training Data (wav)"
    copies = []
    for folder in ("Positive", "Negative"):
        shutil.copytree(data / folder, data / f"{folder} - Copy")
        copies += [str(p) for p in (data / f"{folder} - Copy").glob("[!.]*.wav")]
    bad = data / "Positive" / "Pos-bad.wav"
    bad.write_bytes(b"RIFF" + bytes(60))
    return corpus, copies, bad


def full_disk(*args, **kwargs):
    """A write that finds the disk full (monkeypatched over a command's writer)."""
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def damage_clip(shard: Path, row: int) -> bytes:
    """Overwrite 4 bytes in the middle of the ``row``-th stored FLAC of the Parquet file ``shard``; its new bytes."""
    blob = bytearray(shard.read_bytes())
    start = -4
    for _ in range(row + 1):
        start = blob.find(b"fLaC", start + 4)
    middle = (start + blob.find(b"fLaC", start + 4)) // 2
    blob[middle : middle + 4] = b"\xff\x00\xff\x00"
    shard.write_bytes(bytes(blob))
    return bytes(blob)


def closing_error(err: str) -> str:
    """The error that closes a command's standard error ``err``: its last ``error:`` line and the indented lines
    under it (its fix); nothing else may follow it (the lists of a failed run, a note), or the user's last line is
    not the error."""
    lines = err.rstrip("\n").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert starts, err
    assert all(line.startswith("  ") for line in lines[starts[-1] + 1 :]), err
    return "\n".join(lines[starts[-1] :])


def run_snippet_locked(code: str, locked: Path, mode: int):
    """Python ``code`` run in a child process (the repository on its PYTHONPATH, 120 s at most) where permissions hold
    (:func:`unprivileged`: the test is skipped where it cannot be), while ``locked`` is ``chmod 000``; ``locked`` is
    given ``mode`` back after the run.  The finished process, its output captured as text."""
    import os
    import subprocess

    argv = unprivileged([sys.executable, "-c", code])
    locked.chmod(0o000)
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)}
        )
    finally:
        locked.chmod(mode)


def signalled_while_held(proc, send, what: str, timeout_s: float = 60) -> str:
    """``send()`` a signal while the run's process group is held (SIGSTOP), so it lands mid-run whatever
    the load, then let the group go on; the run's stderr once it ends, a failure naming ``what`` if it
    has not ended within ``timeout_s``.  ``proc`` leads its own process group (``start_new_session``)."""
    import os
    import signal
    import subprocess

    os.killpg(proc.pid, signal.SIGSTOP)
    send()
    os.killpg(proc.pid, signal.SIGCONT)
    try:
        return proc.communicate(timeout=timeout_s)[1]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"{proc.args[:3]} did not end within {timeout_s:g} s of {what}: {proc.communicate()[1][-2000:]}")


# The files that take minutes (measured on 2 cores), longest first: in the default suite, and in the slow tier
# (`--slow`, `-m slow`), whose files lead.  With `--dist loadfile` a file runs whole on one worker and files are
# handed out in collection order (pyproject's addopts): started first, they run beside the many short files
# instead of leaving one worker idle at the end.
LONGEST_FIRST = (  # the default tier's longest files, measured with --durations=0 on 2 cores (2026-12-07)
    "test_figures.py",
    "test_copied_folders.py",
    "test_lone_launch.py",
    "test_training_resume.py",
    "test_grid_precision.py",
    "test_advise.py",
    "test_prepare.py",
    "test_card_wording.py",
)
SLOW_TIER_FIRST = (
    "test_demo.py",
    "test_training_resume.py",
    "test_grid_stale_check.py",
    "test_grid.py",
    "test_training_recipes.py",
    "test_training_ddp.py",
    "test_grid_scale.py",
    "test_splits.py",
)


def pytest_addoption(parser):
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the tests marked slow (the demo, the 13-model grid, real launches, trainings stopped and "
        "resumed, full-size corpus trees, page-sized figures: minutes more on 2 cores; CI runs them)",
    )
    parser.addoption(
        "--stress",
        action="store_true",
        help="also run the tests marked stress (many repeated launches that catch a rare race; CI runs them)",
    )


def _runs_slow(config) -> bool:
    """The slow tier runs with --slow, or where a marker expression (`-m slow`, `-m "slow or stress"`) chooses."""
    return config.getoption("--slow") or "slow" in config.option.markexpr


def _named(item, config) -> bool:
    """The item is named on the command line by its node id (`tests/test_demo.py::test_x`, `::test_x[a]`, or its
    class `::TestX`): its file and its name, not a test of the same name in another file given whole."""
    name = item.nodeid.split("::", 1)[-1]
    for arg in config.args:
        file, _, want = arg.partition("::")
        if want and (name == want or name.startswith((want + "[", want + "::"))):
            if (config.invocation_params.dir / file).resolve() == item.path.resolve():
                return True
    return False


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected theirs: the count left out is of the chosen tests
def pytest_collection_modifyitems(config, items):
    first = dict.fromkeys((SLOW_TIER_FIRST if _runs_slow(config) else ()) + LONGEST_FIRST)
    rank = {name: i for i, name in enumerate(first)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
    if not _runs_slow(config):  # the default suite: the slow tier is left out (deselected, not a skip line each)
        slow = [item for item in items if item.get_closest_marker("slow") and not _named(item, config)]
        if slow:
            config.hook.pytest_deselected(items=slow)
            config._bimotion_slow_left_out = len(slow)
            left = set(slow)
            items[:] = [item for item in items if item not in left]
    if not config.getoption("--stress"):
        skip = pytest.mark.skip(reason="a stress test (minutes): run with --stress, as CI does")
        for item in items:
            if item.get_closest_marker("stress"):
                item.add_marker(skip)


def _say_the_wait(config, nodeids: list[str], workers) -> None:
    """One line before the first dot where the selection starts with :data:`LONGEST_FIRST` files: whole
    minutes pass before their first test reports, and a new user stopped the suite as hung."""
    if config.option.collectonly:
        return
    files = list(dict.fromkeys(nodeid.split("::")[0].rsplit("/", 1)[-1] for nodeid in nodeids))
    slow = [
        name
        for name in files[: workers if isinstance(workers, int) and workers > 0 else 1]
        if name in LONGEST_FIRST or name in SLOW_TIER_FIRST
    ]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if slow and reporter is not None:
        where = f"on {workers} workers" if isinstance(workers, int) and workers > 1 else "in one process"
        line = (
            f"{len(nodeids)} test{'s' if len(nodeids) != 1 else ''} {where}; the slowest files start first "
            f"({', '.join(slow)}), so the first dots can take several minutes on 2 cores: the suite has not hung"
        )
        if reporter.isatty():  # over a status line being rewritten (xdist's "bringing up nodes..."), not after it
            reporter.rewrite(line, erase=True)
            reporter.write("\n")
        else:
            reporter.write_line(line)


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the count goes to the controller, which says it
        session.config.workeroutput["slow_left_out"] = getattr(session.config, "_bimotion_slow_left_out", 0)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    left_out = getattr(node, "workeroutput", {}).get("slow_left_out", 0)  # every worker collects the same items
    node.config._bimotion_slow_left_out = max(left_out, getattr(node.config, "_bimotion_slow_left_out", 0))


def pytest_terminal_summary(terminalreporter, config):
    """xdist's summary counts no test its workers deselect: the slow tier left out is said here, with how to run it."""
    left_out = getattr(config, "_bimotion_slow_left_out", 0)
    if left_out and not hasattr(config, "workerinput"):
        terminalreporter.write_line(
            f"{left_out} slow test{'s' if left_out != 1 else ''} left out (the demo's learning check, the 13-model "
            f"grid, real launches, trainings stopped and resumed, full-size corpus trees, page-sized figures): `--slow` runs {'it' if left_out == 1 else 'them'} too, as CI does"
        )


def pytest_collection_finish(session):
    if not hasattr(session.config, "workerinput"):  # one process (-n 0); xdist's controller collects nothing
        _say_the_wait(session.config, [item.nodeid for item in session.items], 1)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    if not getattr(node.config, "_bimotion_wait_said", False):  # the first worker's collection: said once
        node.config._bimotion_wait_said = True
        _say_the_wait(node.config, ids, node.config.getoption("numprocesses"))


_ASSETS = iter(range(1 << 62))


@pytest.fixture(autouse=True)
def _hub_markers_of_the_test(monkeypatch, tmp_path_factory):
    """What :mod:`bimotion.hub` tells the other processes of a Hub that did not answer (a file under
    ``HF_ASSETS_CACHE``) is each test's own, not the machine's: a stand-in's port is reused by the next."""
    from huggingface_hub import constants

    base = tmp_path_factory.getbasetemp()
    monkeypatch.setattr(constants, "HF_ASSETS_CACHE", str(base / "hf-assets" / str(next(_ASSETS))))


class _CurrentStderr:
    """A log handler's stream that writes to whatever ``sys.stderr`` is at each write."""

    closed = False

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture(autouse=True)
def _library_logs_to_the_current_stderr():
    """transformers, datasets and huggingface_hub each make their log handler the first time they log, on the
    ``sys.stderr`` of that moment: made in a test with ``capsys``, it held that test's capture, closed when the
    test ended, and a later test's load report ended in "--- Logging error --- ValueError: I/O operation on
    closed file" on stderr (test_grid_marker_hub failed after test_hub_unreachable_grid, by which tests shared
    a worker).  After each test, such a handler writes to the ``sys.stderr`` of the moment it writes."""
    import logging

    yield
    for name in ("transformers", "datasets", "huggingface_hub"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "closed", False):
                handler.__dict__.pop("flush", None)  # transformers' own: the closed stream's flush
                handler.stream = _CurrentStderr()  # not setStream, which flushes the closed one


@pytest.fixture(scope="module", autouse=True)
def _registries_restored():
    """Each test file leaves the process's registries (``loaders.SOURCES``, ``bimotion.registry.BENCHMARKS``,
    and ``GIVEN``, the benchmarks whose data a recipe was given) as it found them: reading a user
    corpus registers it for the rest of the process, and a corpus ``mine`` that test_audio read made
    test_check_push, run after it on the same worker, find its licence (the suite passed or failed
    by which files shared a worker)."""
    from bimotion.registry import BENCHMARKS, GIVEN
    from loaders import SOURCES

    saved = [(registry, dict(registry)) for registry in (SOURCES, BENCHMARKS, GIVEN)]
    yield
    for registry, before in saved:
        registry.clear()
        registry.update(before)


@pytest.fixture
def own_corpora(tmp_path, monkeypatch) -> None:
    """Two corpora of one's own, registered as a prepared folder of them registers them, for this test only:
    ``lansia`` (Indonesian elderly, ``ind_eld``) in BiMotion and ``canto`` (Cantonese elderly) beside
    YueMotion's ``yue_eld``; generated, two clips each."""
    import loaders
    from bimotion.registry import BENCHMARKS, BUILTIN, extend
    from loaders import testing

    for name, language, bench in (("lansia", "ind", "bimotion"), ("canto", "yue", "yuemotion")):
        root = testing.make_corpus("audiofolder", tmp_path / name, corpus=name, language=language, speakers=2,
                                   clips_per_speaker=1)  # fmt: skip
        loaders.load(name, root)
        monkeypatch.setitem(loaders.SOURCES, name, loaders.SOURCES.pop(name))  # gone again after the test
        monkeypatch.setitem(BENCHMARKS, bench, extend(BUILTIN[bench], [loaders.SOURCES[name]]))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout; tests that need it skip cleanly without it."""
    if not SHARED.is_dir():
        pytest.skip(
            f"{SHARED} is absent: this test reads reference files below it (`../shared` relative to the checkout "
            f"{REPO}; CI puts the shared reference material there)"
        )
    return SHARED


@pytest.fixture
def small_copy(small: Path, tmp_path: Path) -> Path:
    """A copy of the test module's ``small`` fixture corpus (a folder) to plant bad files in."""
    return Path(shutil.copytree(small, tmp_path / small.name))


def load_untouched(corpus: str, root: Path, *, skip_bad: bool = False):
    """``(records, report)`` of reading ``root`` as ``corpus`` (with ``skip_bad``, the report's skips by
    reason: ``report.to_dict()``), failing the test if the reader changed anything below ``root``."""
    from loaders import SkipReport, load
    from loaders.testing import snapshot

    before, report = snapshot(root), SkipReport()
    records = load(corpus, root, skip_bad=skip_bad, report=report)
    assert snapshot(root) == before, f"reading {root} changed files below it"
    return records, report


@pytest.fixture(scope="session")
def real_csed() -> Path:
    """The real CSED release at ``../shared/corpora/csed`` beside the checkout; tests that need it skip without it."""
    root = SHARED / "corpora" / "csed"
    if not (root / "Training Data (wav)").is_dir():
        pytest.skip(
            f"the real CSED corpus is not at {root / 'Training Data (wav)'} (`../shared/corpora/csed` relative to "
            f"the checkout {REPO})"
        )
    return root


@pytest.fixture
def tqdm_options(monkeypatch) -> list[dict]:
    """The keyword arguments of every ``tqdm.auto.tqdm`` bar made while the test runs, in order."""
    import tqdm.auto

    made = []

    class Recorded(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    return made


# One quick epoch per grid model on the CPU: the numbers mean nothing, the plumbing is what is tested.
QUICK_TRAINING = {
    "num_train_epochs": 1,
    "learning_rate": 3e-3,
    "per_device_train_batch_size": 8,
    "eval_strategy": "no",
    "save_strategy": "no",
    "load_best_model_at_end": False,
    "early_stopping_patience": 0,
    "max_duration_s": 1.0,
    "disable_tqdm": True,
    "logging_steps": 1000,
    "use_cpu": True,
}


# a grid of one unit (zho_eld seed 0) scored on two test sets (4 test shards): a finished grid folder, quickly
ONE_UNIT_GRID = {"tiny_model": {}, "seeds": [0], "training": QUICK_TRAINING, "bootstrap_samples": 50, "num_threads": 1,
                 "tables": [], "mixtures": ["zho_eld"], "extra_tests": ["zho_eld", "eng_eld"]}  # fmt: skip


@pytest.fixture(scope="session")
def data_dirs(tmp_path_factory):
    """The grid tests' prepared generated corpora (``bimotion.grid.prepare_fixtures``), made once per session."""
    from bimotion.grid import prepare_fixtures

    return prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")


@pytest.fixture(scope="module")
def one_commit():
    """The checkout's commit (:func:`bimotion.training.provenance.source_commit`) as the test module found it,
    recorded by every result file written while the module runs: a checkout edited while a grid trained (a
    helper's clone, a file saved) had some models' metrics say ``+dirty`` and others not, and the tables' and
    heat map's "Produced by" lines then differed from the ones a test compared them with."""
    from bimotion.training import provenance

    commit = provenance.source_commit()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(provenance, "source_commit", lambda: commit)
        yield commit


@pytest.fixture(scope="module")
def finished_grid(one_commit, data_dirs, tmp_path_factory) -> Path:
    """A grid folder of :data:`ONE_UNIT_GRID`'s one finished unit, its predictions in four files (one per module)."""
    from bimotion.grid import run_grid

    out = tmp_path_factory.mktemp("finished-grid") / "grid"
    run_grid(ONE_UNIT_GRID, data_dirs, out, log=None)
    return out


def load_recipe(name: str):
    """recipes/<name>.py as a module (the recipes are scripts, not a package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(f"recipe_{name}", REPO / "recipes" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def train_one_step(tiny, data, out, *configs: str, cache, extra: tuple[str, ...] = ()) -> int:
    """The train recipe's exit code after one step of the tiny model ``tiny`` (a folder
    :func:`bimotion.training.testing.save_tiny_model` wrote) on ``configs`` of the prepared folder ``data``,
    the model saved in ``out``, the datasets cached in ``cache``; ``extra``: more of the recipe's flags."""
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(data), "--dataset_cache_dir", str(cache)]
    argv += ["--output_dir", str(out), "--max_steps", "1", "--train_configs", *configs, *extra]
    argv += "--classifier_proj_size 16 --disable_tqdm true --dataloader_pin_memory false".split()
    return load_recipe("train").main(argv)


def with_callback(monkeypatch, callback) -> None:
    """Every SERTrainer made from here on (until ``monkeypatch`` is undone) gets a ``callback()`` of its
    own: a test's way into the real trainer's loop."""
    from bimotion.training.trainer import SERTrainer

    def init(self, *args, **kwargs):
        init_before(self, *args, **kwargs)
        self.add_callback(callback())

    init_before = SERTrainer.__init__
    monkeypatch.setattr(SERTrainer, "__init__", init)


@contextlib.contextmanager
def local_hubs(answers: dict[str, int | dict[str, int | bytes]], asked: list[str] | None = None):
    """``{name: endpoint}`` of stand-in Hubs on this machine, for as long as the ``with`` lasts: a local
    HTTP server per ``answers`` entry answering every request with its status (404: the Hub says there is
    no such file; 403: it refuses), or, for an entry ``{end of a path: answer}``, a request whose path ends
    so with that answer (a status, or bytes: served as the Hub serves a file, with the ETag and commit a
    download needs) and any other with 404; appending each path asked to ``asked``; and ``"refused"``, a port
    bound and never listening (connection refused, as without network), at once and without network.  What
    :mod:`bimotion.hub` remembers of them as not answering is forgotten after (the ports are reused)."""
    import hashlib
    import http.server
    import socket
    import threading

    from bimotion import hub

    def answering(code: int | dict[str, int | bytes]):
        class Answer(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self):
                if asked is not None:
                    asked.append(self.path)
                path = self.path.partition("?")[0]
                answer = (
                    code if isinstance(code, int) else next((a for end, a in code.items() if path.endswith(end)), 404)
                )
                body = answer if isinstance(answer, bytes) else b""
                self.send_response(200 if isinstance(answer, bytes) else answer)
                if isinstance(answer, bytes):
                    self.send_header("ETag", f'"{hashlib.sha256(body).hexdigest()}"')
                    self.send_header("X-Repo-Commit", "0" * 40)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD  # POST: an upload's requests (create_repo, the commit)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    servers = {name: answering(code) for name, code in answers.items()}
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
    refused = f"http://127.0.0.1:{closed.getsockname()[1]}"
    endpoints = {name: f"http://127.0.0.1:{server.server_address[1]}" for name, server in servers.items()}
    try:
        yield {**endpoints, "refused": refused}
    finally:
        for server in servers.values():
            server.shutdown()
        closed.close()
        for endpoint in [*endpoints.values(), refused]:
            hub.forget_unanswered(endpoint)  # its port may serve another test's stand-in next: not silent


SOCKET_ANSWERS = ("200", "reset", "silent")


@contextlib.contextmanager
def listening(handle):
    """The port of a socket listening on this machine for as long as the ``with`` lasts, each connection it
    accepts handed to ``handle(conn)`` on a thread of its own (the stand-in Hubs on raw sockets)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@contextlib.contextmanager
def socket_hub(answer: str):
    """``(endpoint, asked)`` of a stand-in Hub on this machine, for as long as the ``with`` lasts, that
    accepts every connection and appends the request line sent on it to ``asked`` (``"(connected, nothing
    sent)"`` for none: a connection is counted, not only a request), then, per ``answer``: ``"200"``, HTTP
    200 with no body; ``"reset"``, the connection reset (no answer at all, as a firewall that rejects);
    ``"silent"``, nothing, the connection held open (a firewall dropping packets: the client times out).
    What :mod:`bimotion.hub` remembers of it as not answering is forgotten after (the port is reused)."""
    import socket
    import struct

    from bimotion import hub

    if answer not in SOCKET_ANSWERS:
        raise ValueError(f"answer {answer!r}: one of {', '.join(SOCKET_ANSWERS)}")
    held, asked = [], []

    def serve(conn):
        held.append(conn)
        try:
            asked.append(conn.recv(4096).split(b"\r\n", 1)[0].decode() or "(connected, nothing sent)")
            if answer == "200":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            elif answer == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # closed with a reset
        except OSError:  # closed by the client, or as the test ended
            return
        if answer != "silent":
            conn.close()

    with listening(serve) as port:
        endpoint = f"http://127.0.0.1:{port}"
        try:
            yield endpoint, asked
        finally:
            for conn in held:
                conn.close()
            hub.forget_unanswered(endpoint)  # its port may serve another test's stand-in next: not silent


def demo_refuses(path: Path, said: str, tmp_path: Path, capsys) -> None:
    """``bimotion demo --config path`` exits 2 in seconds (not the minutes of making the data and training) with the
    one line ``said`` (the error as raised, ``grid config path: ...`` where it names the file) after ``error: --config
    path: ``, naming the file once, printing nothing on stdout and writing nothing."""
    import time

    from bimotion.cli import main as bimotion_main

    capsys.readouterr()
    start = time.perf_counter()
    assert bimotion_main(["demo", "--config", str(path), "--output", str(tmp_path / "demo")]) == 2
    assert time.perf_counter() - start < 30
    printed = capsys.readouterr()
    line = f"error: --config {path}: {said.removeprefix(f'grid config {path}').removeprefix(':').strip()}"
    assert printed.out == "" and printed.err.splitlines() == [line] and line.count(str(path)) == 1, printed
    assert not (tmp_path / "demo").exists()


class StoppedByTheLauncher(BaseException):
    """A launch's other process stopped by its launcher (the main process said the error and exited non-zero)."""


@pytest.fixture
def other_process(monkeypatch) -> None:
    """This process as a launch's process 1 of several (``accelerate launch --num_processes N``): an error every
    process meets, said once (``parsing.error_once``), is the main process's to say; this one waits for the launcher
    to stop it (``parsing.MAIN_SAYS_S``), which it does then: :class:`StoppedByTheLauncher`, raised by that wait."""
    import time

    from bimotion.training import parsing

    sleep = time.sleep  # the fixtures' before this one (test_hub_asked_once.slept) kept

    def waited(seconds):
        if seconds == parsing.MAIN_SAYS_S:
            raise StoppedByTheLauncher
        sleep(seconds)

    monkeypatch.setattr(parsing, "on_main_process", lambda: False)
    monkeypatch.setattr(time, "sleep", waited)
