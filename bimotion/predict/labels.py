"""The names of the labels a checkpoint reports, and the label maps that name its outputs.

Our checkpoints name the 13 labels in ``id2label`` and record ``trained_labels``: only those are
reported (the others' scores are ~1e-13 by :func:`~bimotion.training.model.suppress_untrained`, and
they are never listed, so never predicted).  A checkpoint whose outputs have generic names
(``LABEL_0`` …, as the paper's authors released theirs) must be mapped explicitly: ``paper`` (the 13
labels in the paper's order, :data:`loaders.labels.LABELS`), a JSON file (a list of names in output
order, or ``{"LABEL_0": "sadness", ...}`` / ``{"0": "sadness", ...}``), a text file with one name per
line, or an inline list (``sadness,fear,...`` or ``LABEL_0=sadness,LABEL_1=fear,...``).  A name
``-`` (or JSON ``null``) leaves that output out of the report.  A map of KEY -> NAME may rename
only some outputs of a checkpoint whose outputs are named (``positive=content``); every generic
output must be mapped.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from loaders.labels import LABELS

from .audio import PredictError

GENERIC = re.compile(r"LABEL_\d+")
DROP = ("-", "", None)


def reported_labels(source: str, config, label_map: str | None) -> tuple[list[tuple[int, str]], list[str]]:
    """``[(output index, reported name)]`` of a loaded checkpoint's ``config`` under ``label_map``,
    and the notes to print about them."""
    names = [str(config.id2label[i]) for i in range(config.num_labels)]
    generic = [n for n in names if GENERIC.fullmatch(n)]
    if label_map == "paper" and not generic and names != list(LABELS):  # it would rename them by position
        raise PredictError(
            f"{source} names its outputs ({', '.join(names[:4])}{', …' if len(names) > 4 else ''}): --labels paper "
            "is for generic LABEL_i outputs; leave it out (or rename some with --label-map)"
        )
    mapped = names if label_map is None else parse_label_map(label_map, names)
    if label_map is None and generic:
        raise PredictError(
            f"{source}: its {len(names)} outputs have generic names ({names[0]} … {names[-1]}), so nothing says "
            "which emotion each one is; map them: --labels paper (the paper's 13 labels in order: "
            f"{', '.join(LABELS[:3])}, …) or --label-map FILE.json|'LABEL_0=sadness,LABEL_1=fear,…'"
        )
    trained = getattr(config, "trained_labels", None)
    notes = []
    if trained is None and mapped == list(LABELS) and label_map is None:
        notes.append(
            f"{source} does not record the labels it was trained on (config.trained_labels): all 13 are reported"
        )
    if getattr(config, "problem_type", None) == "single_label_classification":
        notes.append(f"{source} was trained single-label (softmax); its scores here are per-label sigmoids")
    # a trained label is known by the checkpoint's own name, or by the map's for a generic one
    known = [m if GENERIC.fullmatch(n) else n for n, m in zip(names, mapped, strict=True)]
    reported = [(i, n) for i, n in enumerate(mapped) if n not in DROP and (trained is None or known[i] in trained)]
    if not reported:
        raise PredictError(f"{source}: no output is left to report (trained labels {trained}, map {mapped})")
    shown = [n for _, n in reported]
    if len(set(shown)) != len(shown):
        raise PredictError(f"label map {label_map!r} gives two reported outputs the same name: {shown}")
    return reported, notes


def parse_label_map(spec: str, names: list[str]) -> list[str | None]:
    """The reported name of each output (``None``: not reported) from ``spec`` (module docstring)
    for a checkpoint whose outputs are called ``names``."""
    if spec == "paper":
        entries: list | dict = list(LABELS)
    else:
        path = Path(os.path.expanduser(spec))
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() == ".json":
                try:
                    entries = json.loads(text)
                except json.JSONDecodeError as err:
                    raise PredictError(f"{spec}: not valid JSON ({err})") from err
            else:
                entries = _pairs([line.strip() for line in text.splitlines() if line.strip()])
        elif "/" in spec or os.sep in spec or path.suffix.lower() in (".json", ".txt", ".csv", ".tsv"):
            raise PredictError(f"--label-map {spec}: no such file (give a file, or names separated by commas)")
        else:
            entries = _pairs([item.strip() for item in spec.split(",")])
    return _resolve(spec, entries, names)


def _pairs(items: list[str]) -> list | dict:
    """``a=b`` items as a dict, plain items as a list."""
    if any("=" in item for item in items):
        if not all("=" in item for item in items):
            raise PredictError(f"a label map mixes KEY=NAME items with plain names: {items}")
        return dict(item.split("=", 1) for item in items)
    return items


def _resolve(spec: str, entries, names: list[str]) -> list[str | None]:
    if isinstance(entries, list):
        if len(entries) != len(names):
            raise PredictError(f"label map {spec!r} names {len(entries)} labels but the model has {len(names)} outputs")
        mapped = [None if e in DROP else str(e).strip() for e in entries]
    elif isinstance(entries, dict):
        keys = {**{n: i for i, n in enumerate(names)}, **{str(i): i for i in range(len(names))}}
        unknown = [k for k in entries if str(k).strip() not in keys]
        if unknown:
            raise PredictError(f"label map {spec!r}: {unknown} are not outputs of the model (it has {names})")
        given = {keys[str(k).strip()]: v for k, v in entries.items()}
        missing = [names[i] for i in range(len(names)) if i not in given and GENERIC.fullmatch(names[i])]
        if missing:
            raise PredictError(
                f"label map {spec!r} does not map {missing}; map every generic output (use - to leave one out)"
            )
        given = {i: given.get(i, names[i]) for i in range(len(names))}  # a named output keeps its name
        mapped = [None if given[i] in DROP else str(given[i]).strip() for i in range(len(names))]
    else:
        raise PredictError(f"label map {spec!r}: expected a list of names or an object KEY -> NAME")
    named = [str(v).strip() for v in (entries if isinstance(entries, list) else entries.values()) if v not in DROP]
    if len(set(named)) != len(named):
        raise PredictError(f"label map {spec!r} gives two outputs the same name: {named}")
    return mapped
