"""A feature-space projection's spec (:mod:`bimotion.projection`): one figure's panels, models, test clips and
numbers, as a grid config's ``projections:`` or ``recipes/project.py`` give it, each key checked, with an error
naming the file, the figure and the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields

from loaders.labels import LABELS

from .training.parsing import whole_number


@dataclass
class Panel:
    title: str
    train: str  # mixture spec whose training clips are drawn as densities
    model: str | None = None  # a model directory or a grid mixture spec; default: the projection's model


@dataclass
class ProjectionSpec:
    """One figure.  ``model``: a model directory, or a mixture spec of a grid (its first seed's model)."""

    name: str
    title: str
    model: str
    test: str  # test spec whose test clips are overlaid
    panels: list[Panel]
    labels: list[str] | None = None  # labels to draw (default: every label of the test clips)
    max_train_per_shard: int | None = 1000  # a seeded subset of each training shard (None: all)
    max_test: int | None = 2000
    n_neighbors: int = 15
    min_dist: float = 0.1
    seed: int = 0
    batch_size: int = 8

    def __post_init__(self):
        self.panels = [p if isinstance(p, Panel) else Panel(**p) for p in self.panels]
        if not self.panels:
            raise ValueError(f"projection {self.name!r} has no panels")
        unknown = sorted(set(self.labels or ()) - set(LABELS))
        if unknown:
            raise ValueError(f"projection {self.name!r}: unknown labels {unknown}; the labels are {list(LABELS)}")

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "the grid config") -> ProjectionSpec:
        """A projection of ``source`` (a grid config's file, named in the error of an unknown key)."""
        where = f"{source}: projections: {data.get('name', '(no name)')!r}"
        _check_fields(cls, data, where)
        panels = data.get("panels")
        if not isinstance(panels, list):
            raise ValueError(f"{where}: panels must be a list of panels, each with {_keys_of(Panel)}; got {panels!r}")
        for k, panel in enumerate(panels):  # each a Panel's keys: was the constructor's TypeError too
            if not isinstance(panel, Panel):
                name = panel.get("title", "(no title)") if isinstance(panel, Mapping) else panel
                _check_fields(Panel, panel, f"{where}: panel {k + 1} ({name!r})")
        return cls(**_check_numbers(data, where))  # a numpy number held as the int (the float) of the same number


_NUMBERS = {  # a figure's numbers: (the least, None allowed), read only as it is drawn, once the grid has trained
    "max_train_per_shard": (1, True),
    "max_test": (1, True),
    "n_neighbors": (2, False),
    "seed": (0, False),
    "batch_size": (1, False),
}


def _check_numbers(data: Mapping, where: str) -> dict:
    """A figure's counts are whole numbers (:func:`~bimotion.training.parsing.whole_number`: a numpy integer too) and
    ``min_dist`` a real number (a numpy one too, not a bool), each in range: a ValueError naming ``where``, the key
    and the value (``n_neighbors: '15'`` was a TypeError of UMAP's once every model had trained); else ``data``."""
    from numbers import Real

    for key, (least, none) in _NUMBERS.items():
        value = data.get(key, least)
        if (value is None and none) or (whole_number(value) and value >= least):  # np.int64(15) too, not true
            continue
        allowed = f"a whole number ≥ {least}" + (" or null (all)" if none else "")
        raise ValueError(f"{where}: {key} must be {allowed}, not {value!r}: correct it, or delete the line")
    value = data.get("min_dist", 0.1)
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:  # ≤ UMAP's spread, 1
        raise ValueError(
            f"{where}: min_dist must be a number from 0 to 1, not {value!r}: correct it, or delete the line"
        )
    counts = {k: int(v) for k, v in data.items() if k in _NUMBERS and whole_number(v)}
    return {**data, **counts, "min_dist": float(value)}


def _keys_of(kind) -> str:
    """A dataclass's keys for an error: the required ones, then the optional ones."""
    required = [f.name for f in fields(kind) if MISSING is f.default is f.default_factory]
    optional = [f.name for f in fields(kind) if f.name not in required]
    return f"keys {', '.join(required)}" + (f" (optional: {', '.join(optional)})" if optional else "")


def _check_fields(kind, data, where: str) -> None:
    """``data`` (a YAML mapping) has only keys of the dataclass ``kind`` and all its required ones: a
    ValueError naming ``where`` (the file, the figure, the panel), the bad key and the valid keys,
    instead of the constructor's TypeError, which named none of them."""
    from .mistyped import check_keys

    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a mapping with {_keys_of(kind)}; got {data!r}")
    check_keys(data, [f.name for f in fields(kind)], where)
    missing = [f.name for f in fields(kind) if f.name not in data and MISSING is f.default is f.default_factory]
    if missing:
        raise ValueError(
            f"{where}: missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)}; it takes {_keys_of(kind)}"
        )
