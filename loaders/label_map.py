"""A user corpus's label map (:mod:`loaders.audiofolder`): its own label names onto the shared labels,
from ``label_map.json``, a two-column ``label_map.csv`` or ``--label-map``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path

from .errors import LayoutError
from .labels import LABELS
from .metadata_cells import SEPARATORS
from .metafiles import composed, csv_text, read_text


class LabelMap(dict):
    """``{user label (case-folded): shared labels}``, and :attr:`spelling`: each key as the map writes
    it (``Angry``), for what is shown to people (a card's mapping)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spelling: dict[str, str] = {}
        self.path: Path | None = None  # the file it was read from (None: a mapping, or no map)

    def how_to_add(self, name: str) -> str:
        """The fix for a label ``name`` it does not map, in the form of its own file."""
        entry = f'{{"{name}": "LABEL"}}'
        if self.path is None:
            where = f"add it to a label map (label_map.json beside the metadata, or --label-map) as {entry}"
        elif self.path.suffix.lower() == ".json":
            where = f"add it to the label map {self.path.name} as {entry}"
        else:
            where = f"add a row to the label map {self.path.name}: {name} in its first column, LABEL in its second"
            return f"{where}, LABEL one of the shared labels (several: LABEL|LABEL)"
        return f"{where}, LABEL one (or a list) of the shared labels"

    def shown(self) -> dict[str, tuple[str, ...]]:
        """The map with its keys as written."""
        return {self.spelling.get(key, key): targets for key, targets in self.items()}


def read_label_map(source) -> LabelMap:
    """``{user label (case-folded): shared labels}`` (a :class:`LabelMap`) from a JSON object or
    two-column CSV file (or a mapping): user labels match in any case and Unicode form, as shared
    label names do; a target outside the shared labels, or two keys that differ only in case and map
    differently, is an error naming the file."""
    if source is None:
        return LabelMap()
    path = None if isinstance(source, Mapping) else Path(source).expanduser()
    where = path or Path("<label map>")
    try:
        if path is None:
            items = list(source.items())
        elif path.suffix.lower() == ".json":
            items = list(json.loads(read_text(path, "label map", own=True)).items())
        else:
            items = _label_map_rows(path)
    except (csv.Error, ValueError, AttributeError) as err:
        raise LayoutError(
            where,
            "bad_label_map",
            f"cannot read the label map ({err})",
            'write it as a JSON object {"your label": "shared label"} or a CSV with a header and two columns',
        ) from err
    out = LabelMap()
    for user, target in items:
        if isinstance(target, str | list | tuple):  # one shared label, or several
            given = [target] if isinstance(target, str) else target  # shared names in any case, as in the metadata
            targets = tuple(t.strip().lower() if isinstance(t, str) else t for t in given)
            outside = [t for t in targets if t not in LABELS]
        else:  # a null or a number in label_map.json
            targets, outside = (), [target]
        if outside or not targets:
            raise LayoutError(
                where,
                "bad_label_map",
                f"maps {user!r} to {outside or 'nothing'}, not one of the shared labels",
                f"map it to one or more of: {', '.join(LABELS)}",
            )
        key = composed(str(user).strip().casefold())  # as a metadata cell's label is looked up
        if out.get(key, targets) != targets:
            raise LayoutError(
                where,
                "bad_label_map",
                f"maps {user!r} to {list(targets)} and another spelling of it to {list(out[key])}",
                "label names match in any case: keep one entry for them",
            )
        out[key] = targets
        out.spelling.setdefault(key, str(user).strip())
    out.path = path
    return out


def _label_map_rows(path: Path) -> list[tuple[str, list[str]]]:
    """A two-column label-map CSV's ``(user label, shared labels)`` rows, comma-, tab- or semicolon-separated,
    several shared labels in the second cell (``anger|sadness``); its first line is a header unless its second
    cell names shared labels only.  A line without two cells, or with a third one filled (a spreadsheet row
    ``mixed;anger;sadness``, whose third label would be lost), is an error naming it."""
    text, delimiter, hint = csv_text(read_text(path, "label map", own=True))
    with io.StringIO(text, newline="") as f:  # a line of empty cells (";;") is a blank line
        rows = [(n + hint, row) for n, row in enumerate(csv.reader(f, delimiter=delimiter), 1) if "".join(row).strip()]
    if rows and rows[0][1][1:2] and not _labels_only(rows[0][1][1]):
        rows = rows[1:]  # the header
    for number, row in rows:
        cells = [cell.strip() for cell in row if cell.strip()]
        if len(row) < 2 or not row[0].strip():
            raise ValueError(f"line {number} has no 'your label,shared label' pair")
        if any(cell.strip() for cell in row[2:]):
            raise ValueError(
                f"line {number} has {len(cells)} cells ({', '.join(map(repr, cells))}), a label map two: to map a label "
                f"onto several shared labels, give them in one cell separated by '|' ({row[0]}{delimiter}"
                f"{'|'.join(cells[1:])})"
            )
    return [(row[0], [t for t in SEPARATORS.split(row[1].strip()) if t]) for _, row in rows]


def _labels_only(cell: str) -> bool:
    """Whether a label map's second cell names shared labels only (``Anger``, ``anger|sadness``): a
    mapping, not a header."""
    names = [name.casefold() for name in SEPARATORS.split(cell.strip()) if name]
    return bool(names) and all(name in LABELS for name in names)
