"""The one wording of a mistyped name or key: the names a user likely meant (:func:`did_you_mean`, from
:func:`closest`, by :func:`edits`, two letters swapped counting one) and the refusal of a mapping's
unknown keys (:func:`check_keys`, naming the file).  Apart from :mod:`bimotion.registry`, whose
config names are one of its uses, beside grid configs, probe ``training:`` blocks, projections and
advise's groups."""

from __future__ import annotations


def edits(a: str, b: str) -> int:
    """The fewest edits from ``a`` to ``b``: a letter inserted, deleted or changed, or two neighbouring
    letters swapped (``cesd`` -> ``csed`` is one; the optimal string alignment distance)."""
    before, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        last, now = row, [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            now[j] = min(last[j] + 1, now[j - 1] + 1, last[j - 1] + (x != y))
            if before is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                now[j] = min(now[j], before[j - 2] + 1)
        before, row = last, now
    return row[-1]


def closest(name: str, options) -> list[str]:
    """The ``options`` ``name`` likely means: those equal to it but for case; else those the fewest
    :func:`edits` away, at most one per four letters of ``name`` (at least one), all of them when
    tied (three at most), in the options' order."""
    options = list(dict.fromkeys(options))
    same = [o for o in options if o.lower() == name.lower()]
    if same:
        return same[:1]
    away = {o: edits(name.lower(), o.lower()) for o in options}
    best = min(away.values(), default=None)
    if best is None or best > max(1, len(name) // 4):
        return []
    return [o for o in options if away[o] == best][:3]


def did_you_mean(name: str, options, *, evidence: str | None = None, because: str = "") -> str:
    """`` (did you mean 'zho_eld'?)`` for a name that differs from options in case or a letter or two
    (:func:`closest`; `` (did you mean 'csed' or 'esd'?)`` when tied), else ``""``.  ``evidence``:
    another name the user gave for the same thing (the folder of ``--source NAME=DIR``); one that is
    an option (case aside) is named first, ``because`` saying why, and settles a tie it is in."""
    close = closest(name, options)
    known = closest(evidence, options) if evidence else []
    if known and known[0].lower() == evidence.lower():
        close = [known[0]] if known[0] in close else [known[0], *close]
    if not close:
        return ""
    named = [f"{c!r}" + (f", {because}," if known and c == known[0] and because else "") for c in close]
    text = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"
    return f" (did you mean {text.rstrip(',')}?)"


def check_keys(given, known, where: str) -> None:
    """Refuse the keys of ``given`` (a mapping's, as a YAML file gives them) that are not ``known``:
    the one wording of every such check (a grid config's, its ``training:`` for a probe, a
    projection's), a ValueError naming ``where`` (the file, and the place in it), each unknown key
    with the known key it is close to (:func:`did_you_mean`), and the known keys."""
    known = sorted(known)
    unknown = [key for key in given if key not in known]
    if unknown:
        keys = ", ".join(f"{str(key)!r}{did_you_mean(str(key), known)}" for key in unknown)
        raise ValueError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {keys}; the known keys: {', '.join(known)}"
        )
