"""The files a warning names (second copies read once or set aside, files read under another case of their name,
lone copies read as their clip): one :class:`~loaders.errors.InputWarning` names the first few inline and says where
every one is listed (:func:`warn_files`), and the reader's :class:`~loaders.skips.SkipReport` keeps them all
(``report.named``), which ``scan`` and ``prepare`` write beside their output (:data:`NAMED_LIST`,
:func:`write_named`): a copied corpus folder's warning naming its 20000 copies inline was 1 MB of one line."""

from __future__ import annotations

import contextvars
from pathlib import Path

from .errors import InputWarning, display, some_files
from .skips import SkipReport

SHOWN = 5  # the files a warning names inline

# Where the command writes every file its warnings name, in the words after "every one in" (``OUTPUT.warned.tsv``,
# and the list of a run that fails), set by ``scan`` and ``prepare`` while they read; unset (a Python caller of
# loaders.load), the warning points at the report's ``named``.
NAMED_LIST: contextvars.ContextVar = contextvars.ContextVar("loaders_named_list", default=None)


def warn_files(collector, kind: str, found: list[tuple[Path, str]], said: str, stacklevel: int) -> None:
    """One warning ``CORPUS: FIRST and N more: said (the other N: ...)`` naming the first :data:`SHOWN` of ``found``
    once each (``(a file, what it is taken for or a copy of)``, none: no warning) and where every one is listed; all
    of them are kept in the collector's report as ``named[(corpus, kind)]`` (``stacklevel``: as the caller's ``warnings.warn`` takes)."""
    import warnings

    if not found:
        return
    c = collector
    add_named(c.report, c.corpus, kind, found)
    (first, _), n = found[0], len(found)
    more = f" and {n - 1} more" if n > 1 else ""
    listed = ""
    if n > 1:
        where = NAMED_LIST.get()
        if where is not None:
            where = f"every one in {where}"
        elif c.own_report:
            where = "every one in a SkipReport's `named`: pass report=SkipReport() to load()"
        else:
            where = "every one in the SkipReport's `named`"
        others = [p for p, _ in found[1:]]  # the first leads the warning: named once, as in all SHOWN
        listed = f" (the other {n - 1}: {some_files(others, SHOWN - 1)}{'; ' + where if n > SHOWN else ''})"
    warnings.warn(f"{c.corpus}: {display(first)}{more}: {said}{listed}", InputWarning, stacklevel + 1)


def add_named(report: SkipReport, corpus: str, kind: str, found: list[tuple[Path, str]]) -> None:
    """Keep ``found`` (``(a file, what it is taken for, a copy of, or found in it)``) in ``report``'s ``named``
    as files a warning of ``kind`` named in ``corpus`` (:func:`warn_files`'s, and the channels' warnings of
    the clips `scan --levels` and `prepare` decode: :class:`loaders.channels.ChannelFinding`)."""
    report.named.setdefault((corpus, kind), []).extend((display(path), of) for path, of in found)


def write_named(report: SkipReport, path: Path) -> Path | None:
    """Every file ``report``'s warnings named, a tab-separated row each: corpus, warning (its kind), file, of (the
    file it copies, the name it is read as, or what was found in it: ``channels hold different signals (coherence
    0.05)``), CSV quoting, written atomically to ``path``; when none was named,
    a list an earlier run left there is removed (None)."""
    import csv
    import io

    from .files import write_text_atomic

    if not report.named:
        path.unlink(missing_ok=True)
        return None
    text = io.StringIO()
    writer = csv.writer(text, delimiter="\t", lineterminator="\n")  # a tab or newline in a name is quoted
    writer.writerow(["corpus", "warning", "file", "of"])
    for (corpus, kind), entries in sorted(report.named.items()):
        writer.writerows([corpus, kind, file, str(of)] for file, of in entries)
    write_text_atomic(path, text.getvalue())
    return path
