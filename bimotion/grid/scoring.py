"""Scoring a grid's cells: the paper's weighted F1 (%) per seed, a test set's number from its
(group, corpus) parts (``group_score``: their mean, as the tables always had, their size-weighted
mean, or all its clips pooled), a bootstrap over test speakers for the confidence interval, and the
test set's chance level, all on the one kernel :func:`bimotion.training.metrics.weighted_f1`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..mixture import parse_mixture
from ..training.bootstrap import strata
from ..training.metrics import chance_levels
from ..training.report import at_or_below


@dataclass
class CellResult:
    table: str
    row: str
    column: str
    model: str
    test: str
    seeds: list[int]
    values: list[float]  # weighted F1 (%) per seed
    mean: float
    std: float
    ci_low: float
    ci_high: float
    num_test: int
    paper: float | None
    chance: float | None = None  # the test set's chance level (%, :func:`chance_of_test`)
    untrained: list[str] = field(default_factory=list)  # labels the test set annotates and the model never trained
    training_clips: int = 0  # of the test set's clips, the most that one seed's model was trained on (not held out)

    @property
    def diff(self) -> float | None:
        return None if self.paper is None else self.mean - self.paper

    @property
    def at_chance(self) -> bool:
        """The seed mean is at or below the test set's chance level."""
        return at_or_below(self.mean, self.chance)


def summarize(values: np.ndarray, boot: np.ndarray, confidence: float) -> dict:
    """Per-seed ``values``, their mean and std, and the ``confidence`` interval of ``boot``."""
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [alpha, 1 - alpha]) if len(boot) else (np.nan, np.nan)
    return {
        "values": [float(v) for v in values],
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "ci_low": float(lo),
        "ci_high": float(hi),
    }


def chance_of_test(pred: dict, group_score: str = "mean", metric: str = "weighted_f1") -> dict:
    """Chance levels (%) of one test set's clips (:func:`~bimotion.training.metrics.chance_levels`),
    combined over its (group, corpus) parts as :func:`~bimotion.training.bootstrap.score_test` combines the scores; ``chance``
    is ``metric``'s."""
    keys = ("chance", "all_positive", "prior_matched") if metric == "weighted_f1" else ("weighted_f1_argmax",)

    def named(levels: dict) -> dict:
        return {k: levels[k] for k in keys} | {"chance": levels[keys[0]]}

    if group_score == "pooled":
        return {k: 100 * v for k, v in named(chance_levels(pred["labels"], pred["label_mask"])).items()}
    parts = [named(chance_levels(pred["labels"][rows], pred["label_mask"][rows])) for rows in strata(pred)]
    weights = [len(rows) for rows in strata(pred)] if group_score == "weighted" else None
    return {k: 100 * float(np.average([p[k] for p in parts], weights=weights)) for k in parts[0]}


def entry_of_test(
    pred: dict, scores: dict, test: str, trained: list[str] | None, mode: str, heard: np.ndarray | None = None
) -> dict:
    """One test set's numbers in a model's metrics file: weighted and macro F1 and chance level from
    its (group, corpus) parts by ``mode`` (as the tables; ``chance_argmax``: that of ``weighted_f1_argmax``,
    the tables' under ``metric: weighted_f1_argmax``), its annotated and untrained labels, and
    ``training_clips``, how many of its clips the model was trained on, where any (``heard``: a mask over
    ``pred``'s clips, :func:`bimotion.grid.heard.mark_training_clips`)."""
    from ..training.metrics import aggregate, trained_mask
    from ..training.metrics import scores as score

    shards = parse_mixture(test).shards
    parts = [scores["groups"][s.group]["corpora"][s.corpus] for s in shards]
    rows = np.zeros(len(pred["id"]), dtype=bool)
    for s in shards:
        rows |= (pred["group"] == s.group) & (pred["corpus"] == s.corpus)
    pooled = score(pred["logits"][rows], pred["labels"][rows], pred["label_mask"][rows], trained=trained_mask(trained))
    heard_of = {} if heard is None or not heard[rows].any() else {"training_clips": int(heard[rows].sum())}
    test = {k: v[rows] for k, v in pred.items()}
    return {
        "weighted_f1": aggregate(parts, pooled, mode),
        "macro_f1": aggregate(parts, pooled, mode, "macro_f1"),
        "weighted_f1_argmax": aggregate(parts, pooled, mode, "weighted_f1_argmax"),
        "chance": chance_of_test(test, mode)["chance"] / 100,
        "chance_argmax": chance_of_test(test, mode, "weighted_f1_argmax")["chance"] / 100,  # weighted_f1_argmax's
        "num_samples": int(rows.sum()),
        "test_sets": [f"{s.group}/{s.corpus}" for s in shards],
        "annotated_labels": pooled["annotated_labels"],
        "untrained_labels": pooled["untrained_labels"],
        **heard_of,
    }
