"""What the command line prints: quiet by default, everything with ``--verbose``.

:func:`quiet` is the one switch, called by the entry points (``bimotion``/``yuemotion`` in
:mod:`bimotion.cli`, the recipes through :func:`bimotion.training.parsing.parse_arguments`) before any
work starts.  Quiet means: ``transformers`` logs errors only (no "LOAD REPORT" for the new
classification head every fine-tuning has), no ``datasets`` "Generating split"/"Map" bars and no
``transformers`` "Loading weights"/"Writing model shards" bars, and the warnings a user cannot act on
are filtered.  A library call (no entry point) keeps the libraries' defaults, but its training and
scoring show no ``datasets`` or ``transformers`` bars of theirs either (:func:`datasets_bars`,
:func:`transformers_bars`), and transformers' load report of a model is one line
(:func:`load_report_line`).  What stays is ours: one progress bar per stage (training, inference,
the demo's grid), the results and every error; an inner bar (inference, feature extraction: :func:`bar_disabled`) only
on a terminal, never as a line per refresh in a log file, where a stage bar is at most a line per 30 s
(:func:`stage_bar_options`).  ``verbose`` restores the libraries' own
defaults and shows every bar wherever it goes, and load reports whole.

Nothing heavy is imported here: a library not imported yet reads its environment variable when it is.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import warnings

# the width the commands' help (their docstrings) and their listings for a terminal are written to
HELP_WIDTH = 100

# Read by the libraries when they are imported (``datasets`` takes seconds to import: a command that
# never reads data never pays for it); a library already imported is set through its API instead.
QUIET_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",
    "DATASETS_VERBOSITY": "error",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}
# (message regex, category): warnings about settings the user did not choose and cannot act on.
FILTERED_WARNINGS = (
    (r".*'pin_memory' argument is set as true but no accelerator is found.*", UserWarning),
    (r".*torchcodec.*is deprecated.*", UserWarning),
    (r".*`resume_download` is deprecated.*", FutureWarning),
    (r"Cannot (en|dis)able progress bars.*", UserWarning),
)
_set_by_us: dict[str, str] = {}  # the environment variables quiet() set (verbose removes them again)
_quiet = False  # quiet() was called without verbose: read by is_quiet()
_verbose = False  # quiet(verbose=True) was called: the libraries' own output, load reports in full


def is_quiet() -> bool:
    """Whether an entry point asked for quiet output (:func:`quiet`): the training loop then writes
    one short line per evaluation rather than ``transformers``' log dictionaries."""
    return _quiet


def bar_disabled(progress: bool = True, stream=None) -> bool:
    """tqdm's ``disable`` for one of our bars (inference, feature extraction): off when not asked
    for, and under quiet output (:func:`quiet`, an entry point's default) off unless its stream
    (default ``sys.stderr``) is a terminal: in a log file or a pipe a bar is one line per refresh,
    with cursor codes when another bar is open (the demo's ``grid.log``).  A library call (no entry
    point) and ``--verbose`` show it wherever it is asked for (a notebook's output is no terminal)."""
    if not progress:
        return True
    if not _quiet:
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream: no terminal
        return True


_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # colours, cursor moves
LOG_BAR_INTERVAL_S = 30.0  # a stage bar's refresh in a log file (tqdm's default: every 0.1 s)


def stage_bar_options(stream=None) -> dict:
    """tqdm's options of a stage bar (scan, prepare, training, predict).  Where an inner bar would be
    off (:func:`bar_disabled`: quiet output into a log file or a pipe) the log gets a line when the bar
    starts, at most one line per :data:`LOG_BAR_INTERVAL_S` while it runs, and a last line when it
    closes: a ``mininterval`` of that interval checked at every update (``miniters`` 1), and a ``file``
    that writes each refresh as a line of its own (:class:`LogLines`).  With tqdm's dynamic
    ``miniters`` its monitor thread redrew a bar whose updates slowed once its last line was
    ``maxinterval`` old, without restarting that interval, so the next update wrote a second line
    seconds later (a 20-minute training log: 56 lines, pairs 0-4 s apart); the monitor leaves a bar
    with ``miniters`` 1 alone (``maxinterval`` is as long all the same).  tqdm's defaults elsewhere."""
    if not bar_disabled(True, stream):
        return {"mininterval": 0.1, "maxinterval": 10.0}
    return {
        "mininterval": LOG_BAR_INTERVAL_S,
        "miniters": 1,
        "maxinterval": max(LOG_BAR_INTERVAL_S, 10.0),
        "file": LogLines(sys.stderr if stream is None else stream),
    }


class LogLines:
    """A stage bar's stream in a log file or a pipe: each refresh a line of its own.  tqdm redraws
    a bar in place (``\\r``, and cursor codes when another bar is open), which on a terminal is one
    line but in a file glued every refresh of a run into one line (``less`` showed them joined by
    ``^M``, ``tail -n 1`` the whole run's)."""

    _REDRAW = re.compile(_TERMINAL_CODES.pattern + r"|[\r\n]")  # cursor codes and line ends

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        for part in self._REDRAW.split(text):
            if part.strip():  # a bar cleared (spaces) or closed (a line end) writes no line
                self.stream.write(part.rstrip() + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name):  # encoding, isatty, ...: the stream's
        return getattr(self.stream, name)


def quiet(verbose: bool = False) -> None:
    """Quiet output for this process (see the module's docstring); ``verbose``: the libraries' defaults
    (undoes an earlier ``quiet()`` in the same process, e.g. in tests).  Either way, a warning about
    a user's file (:class:`loaders.errors.InputWarning`) prints as one ``warning:`` line."""
    global _quiet, _verbose
    _quiet, _verbose = not verbose, verbose
    if warnings.showwarning is not _show_warning:
        global _default_showwarning
        _default_showwarning = warnings.showwarning
        warnings.showwarning = _show_warning
    if verbose:
        _loud()
        return
    for name, value in QUIET_ENV.items():
        if name not in os.environ:  # a user's own setting wins
            os.environ[name] = _set_by_us[name] = value
    for message, category in FILTERED_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
    import huggingface_hub.utils  # cheap; transformers reads its switch when imported

    huggingface_hub.utils.disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging

        logging.set_verbosity_error()
        logging.disable_progress_bar()  # its own flag, read when a bar starts
        hub_progress_bars(True)  # downloading a model or a dataset is a stage: its bar stays
    if "datasets" in sys.modules:
        import datasets

        datasets.utils.logging.set_verbosity_error()
        datasets.disable_progress_bars()


_default_showwarning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the command line: an :class:`~loaders.errors.InputWarning` (its
    message names the file) or a ``ProtocolWarning`` as one ``warning:`` line, no source location; a
    :class:`~loaders.errors.SplitNote` as one ``note:`` line; any other as Python shows it."""
    from loaders.errors import InputWarning, ProtocolWarning, SplitNote

    if issubclass(category, SplitNote | InputWarning | ProtocolWarning):
        # one write of the whole line: print() writes its end apart, and under PYTHONUNBUFFERED (set in
        # many Docker images and CI runners) each write is the stream's own, so two --num-proc workers'
        # warnings came out glued, "...[-1, 1]warning: ...", and then an empty line
        stream = file if file is not None else sys.stderr
        stream.write(f"{'note' if issubclass(category, SplitNote) else 'warning'}: {message}\n")
        stream.flush()
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


def _loud() -> None:
    for name in list(_set_by_us):
        if os.environ.get(name) == _set_by_us.pop(name):
            del os.environ[name]
    for message, category in FILTERED_WARNINGS:
        warnings.filterwarnings("default", message=message, category=category)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "cannot enable": the user's own environment variable wins
        import huggingface_hub.utils

        huggingface_hub.utils.enable_progress_bars()
        if "transformers" in sys.modules:
            from transformers.utils import logging

            logging.set_verbosity_warning()
            logging.enable_progress_bar()
        if "datasets" in sys.modules:
            import datasets

            datasets.utils.logging.set_verbosity_warning()
            datasets.enable_progress_bars()


def hub_progress_bars(enabled: bool = True) -> None:
    """Show (or hide) ``huggingface_hub``'s transfer bars: the bar of a stage that uploads or downloads."""
    import huggingface_hub.utils

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (huggingface_hub.utils.enable_progress_bars if enabled else huggingface_hub.utils.disable_progress_bars)()


@contextlib.contextmanager
def transformers_bars(shown: bool = False):
    """transformers' own bars ("Writing model shards", "Loading weights": a moment's work on a local
    model, which says nothing) off for the block, the Hub's download bars too unless ``shown``; both
    as they were after it.  For a library call (:func:`quiet` turns them off for a command): a training
    run's saves (its checkpoints and model: :meth:`bimotion.training.trainer.SERTrainer._save`),
    ``save_tiny_model``, and the model predict loads (the downloads' bars with ``shown``)."""
    import huggingface_hub.utils
    from transformers.utils import logging

    if not logging.is_progress_bar_enabled():
        yield
        return
    hub_shown = not huggingface_hub.utils.are_progress_bars_disabled()
    logging.disable_progress_bar()  # also the Hub's
    hub_progress_bars(hub_shown and shown)  # a download keeps its bar when progress is shown
    try:
        yield
    finally:
        logging.enable_progress_bar()
        hub_progress_bars(hub_shown)


# the logger transformers' from_pretrained reports a model's loading to (its "LOAD REPORT" table)
LOAD_REPORT_LOGGER = "transformers.modeling_utils"
_LOAD_ROW = re.compile(r"^(\S[^|]*?)\s*\|\s*(MISSING|UNEXPECTED|MISMATCH|CONVERSION|OWNED|SKIPPED)\b")


@contextlib.contextmanager
def load_report_line():
    """transformers' "LOAD REPORT" (a table of the weights a checkpoint lacked or had unused: the new
    classification head every fine-tuning starts with) as one line for the block, in a library call:
    :func:`quiet` logs it not at all (transformers at errors only), ``--verbose`` or a user's
    ``transformers.logging.set_verbosity_info()`` (or debug) shows it whole, as does a report of weights
    whose shapes differ or that did not convert (the error after it points at it).  A filter on
    transformers' loading logger for the block, removed after it (a block inside it, or in another
    thread, adds and removes its own): no verbosity is changed, and
    every other warning of the load is logged as it was.  For every model load (the context of
    :func:`bimotion.training.model.whole_weights`)."""
    from transformers.utils import logging

    if _verbose or logging.get_verbosity() < logging.WARNING:
        yield
        return
    logger = logging.get_logger(LOAD_REPORT_LOGGER)
    one_line = functools.partial(_one_line_report)  # this block's own: a nested or another thread's block adds its
    logger.addFilter(one_line)  # own and removes that one, never this (addFilter skips a filter already there)
    try:
        yield
    finally:
        logger.removeFilter(one_line)


_PARAMETER_LEAVES = frozenset(
    ("weight", "bias", "weight_g", "weight_v", "original0", "original1", "running_mean", "running_var")
)


def _module_of(key: str) -> str:
    """The module a load report's key names (``classifier.weight``: ``classifier``); a parameter held by
    a module itself, not a layer's weight (``wav2vec2.masked_spec_embed``, ``quantizer.codevectors``), by
    its whole key: named by its module alone it would read as the whole encoder being new."""
    module, _, leaf = key.rpartition(".")
    return module if module and leaf in _PARAMETER_LEAVES else key


def _one_line_report(record) -> bool:
    """A log record of transformers' load report made one line (:func:`load_report_line`); any other as it is."""
    text = _TERMINAL_CODES.sub("", record.getMessage())
    if " LOAD REPORT" not in text:
        return True
    rows = [m.groups() for line in text.splitlines() if (m := _LOAD_ROW.match(line.strip()))]
    if not rows or any(status not in ("MISSING", "UNEXPECTED") for _, status in rows):
        return True  # mismatched shapes, a conversion's errors: the table the error after it points at
    model, _, source = text.splitlines()[0].partition(" LOAD REPORT from: ")

    def modules(status: str) -> str:
        names = sorted({_module_of(key) for key, s in rows if s == status})
        return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")

    parts = [f"{model.strip()} from {source.strip()}:"]
    if new := modules("MISSING"):
        parts.append(f"not in the checkpoint, so newly initialised (random until trained): {new};")
    if unused := modules("UNEXPECTED"):
        parts.append(f"in the checkpoint but unused by this model: {unused};")
    parts.append("the whole load report: transformers.logging.set_verbosity_info()")
    record.msg, record.args = " ".join(parts), ()
    return True


@contextlib.contextmanager
def datasets_bars():
    """``datasets``' own bars ("Generating train split", "Filter": building a prepared dataset's cache,
    which says nothing of the run's progress) off for the block, as they were after it.  For a library
    call (:func:`quiet` turns them off for a command): training's and scoring's reads of prepared data
    (:func:`bimotion.training.data.load_shards`), so a run shows only its own bars."""
    import datasets

    if not datasets.is_progress_bar_enabled():  # quiet(), or the user's HF_DATASETS_DISABLE_PROGRESS_BARS
        yield
        return
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        datasets.enable_progress_bars()
