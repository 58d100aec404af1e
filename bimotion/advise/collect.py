"""The advice's numbers, from a finished ``target:`` grid's saved predictions: every mixture's weighted
F1 on the target's test set per seed, with two intervals, and its difference from the in-group
baseline, paired by seed and by resample.

* **over seeds** (``ci_seeds``): the Student-t interval of the mean of the per-seed values (for a
  difference, of the per-seed differences, mixture seed k minus baseline seed k); it needs two seeds.
* **over test speakers** (``ci_clips``): the bootstrap of :func:`bimotion.training.bootstrap.score_test`
  (speakers resampled within each corpus, clips where a corpus has no speaker ids, the same resamples
  for every model, so a difference's interval is paired); it says how much a different test set of
  as many speakers could move the number.

A difference *helps* or *hurts* when both intervals exclude 0 on the same side (the bootstrap's alone
with one seed); otherwise it is *unclear*; when the model and the baseline both score at or below
the test set's chance level, it is *at_chance* (no verdict); when the model or the baseline was scored
on test clips it was trained on (``training_clips``, as the grid's metrics files record them and its
tables mark them ``‡``: :func:`bimotion.grid.heard.heard_counts`), it is *not_held_out* (no verdict).  ``±`` in the summary is half the width of the interval
over seeds (the bootstrap's with one seed).  Intervals are clipped to the possible range (a score in
[0, 100], a difference in [-100, 100]).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..grid.heard import heard_counts
from ..grid.plan import PlannedModel, synthetic_corpora, target_test
from ..grid.runner import Grid
from ..grid.scoring import chance_of_test
from ..grid.workers import ToScoreAgain, tables_predictions
from ..mixture import parse_mixture
from ..training.bootstrap import score_test, strata
from .caveat import backend_caveat

MIN_VERDICT_CLIPS = 20  # fewer test clips than this: no gain or loss is called clear


def seed_half_width(values: list[float], confidence: float) -> float:
    """Half the width of the Student-t ``confidence`` interval of the mean of ``values`` (NaN for one)."""
    if len(values) < 2:
        return math.nan
    from scipy.stats import t

    return float(t.ppf((1 + confidence) / 2, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values)))


def clip_interval(boot: np.ndarray, confidence: float) -> list[float]:
    """The ``confidence`` interval ``[low, high]`` of a bootstrap distribution."""
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boot, [alpha, 1 - alpha])
    return [float(low), float(high)]


@dataclass
class Estimate:
    """Per-seed values (weighted F1 in %, or differences of it), their mean and std, two intervals,
    and the ``±`` of the summary: half the interval over seeds before clipping (over clips, one seed)."""

    values: list[float]
    mean: float
    std: float
    ci_seeds: list[float]  # NaN with one seed
    ci_clips: list[float]
    plus_minus: float

    @classmethod
    def of(cls, values: np.ndarray, boot: np.ndarray, confidence: float, bounds: tuple[float, float]) -> Estimate:
        values = [float(v) for v in values]
        mean = float(np.mean(values))
        std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        half = seed_half_width(values, confidence)
        seeds = [max(bounds[0], mean - half), min(bounds[1], mean + half)] if len(values) > 1 else [math.nan] * 2
        clips = clip_interval(boot, confidence)
        return cls(values, mean, std, seeds, clips, half if len(values) > 1 else (clips[1] - clips[0]) / 2)


@dataclass
class MixtureResult:
    """One mixture of the advice: which model, how it relates to the target, how it scores."""

    spec: str  # the training mixture
    model: str  # the grid model that trained it (``models/<slug>/seed<k>``, ``metrics/<slug>/seed<k>.json``)
    slug: str
    role: str  # baseline, augment or inference (bimotion.grid.plan.TargetMixture)
    notation: str
    added: list[str]
    score: Estimate  # weighted F1 (%) on the target's test set
    delta: Estimate  # score minus the baseline's, paired by seed and by resample
    untrained: list[str] = field(default_factory=list)  # labels the target annotates that the model never saw
    # the clips behind the number: the test set's, or with group_score mean its smallest corpus's
    # (each corpus weighs the same, so a corpus of 1 clip is half of a two-corpus test set's score)
    test_clips: int = MIN_VERDICT_CLIPS
    chance: float = math.nan  # the test set's chance level (%)
    # of the test set's clips, the most that one seed's model was trained on (the grid's ``training_clips``,
    # :func:`bimotion.grid.heard.heard_counts`): its score is not held out (‡), nor is its difference
    training_clips: int = 0
    baseline_training_clips: int = 0  # the baseline's: a difference from it is not held out either
    # the same model read by arg-max, where the headline reads the logits at the 0.5 threshold: its arg-max
    # weighted F1 (%) per seed, and its UA (%) per seed where every seed's metrics file records one (every
    # test corpus single-label); empty where not read
    argmax: list[float] = field(default_factory=list)
    ua: list[float] = field(default_factory=list)

    @property
    def not_held_out(self) -> bool:
        """Its difference from the baseline rests on a score of clips a model trained on (``‡``)."""
        return bool(self.training_clips or self.baseline_training_clips)

    @property
    def verdict(self) -> str:
        """``baseline``; ``not_held_out`` when it or the baseline was scored on clips it trained on
        (:attr:`not_held_out`: such a score is no evidence, however clear); ``too_few`` under :data:`MIN_VERDICT_CLIPS` :attr:`test_clips` (a bootstrap over
        a handful of clips gives intervals far too narrow); ``at_chance`` when this model and the
        baseline both score at or below chance by the grid's metric, at the 0.5 threshold or by arg-max
        (neither learnt anything read so: their difference says nothing);
        ``helps`` / ``hurts`` when :attr:`delta`'s intervals over clips and over seeds (with several) both
        exclude 0 on that side; else ``unclear``."""
        if self.role == "baseline":
            return "baseline"
        if self.not_held_out:
            return "not_held_out"
        if self.test_clips < MIN_VERDICT_CLIPS:
            return "too_few"
        if max(self.score.mean, self.score.mean - self.delta.mean) <= self.chance:
            return "at_chance"
        intervals = [self.delta.ci_clips] + ([self.delta.ci_seeds] if len(self.delta.values) > 1 else [])
        if all(low > 0 for low, _ in intervals):
            return "helps"
        return "hurts" if all(high < 0 for _, high in intervals) else "unclear"


def mean_of(values: list[float]) -> float:
    """The mean of ``values`` (NaN for none: a reading not made)."""
    return float(np.mean(values)) if values else math.nan


def ranks_labels(mixture: MixtureResult, chance_argmax: float, chance_ua: float) -> bool:
    """Whether ``mixture`` read by arg-max scores above chance: its arg-max weighted F1 above
    ``chance_argmax`` (False where not read), and its UA above ``chance_ua`` where both are numbers (where
    not recorded, or recorded as NaN: :func:`ua_known`, the arg-max F1 alone); no NaN is compared."""
    argmax = mean_of(mixture.argmax)
    if math.isnan(argmax) or math.isnan(chance_argmax) or argmax <= chance_argmax:
        return False
    return not ua_known(mixture, chance_ua) or mean_of(mixture.ua) > chance_ua


def ua_known(mixture: MixtureResult, chance_ua: float) -> bool:
    """Whether ``mixture``'s UA and ``chance_ua`` are both numbers: recorded (every test corpus single-label)
    and no seed's metrics file holding NaN for it (its per-seed ``ua`` keeps what the files hold)."""
    return bool(mixture.ua) and not math.isnan(mean_of(mixture.ua)) and not math.isnan(chance_ua)


def judged_clips(pred: dict, group_score: str) -> int:
    """The clips behind a test set's number (:attr:`MixtureResult.test_clips`): all of them, or with
    ``group_score`` mean (each corpus weighs the same) its smallest corpus's."""
    sizes = [len(rows) for rows in strata(pred)]
    return min(sizes) if group_score == "mean" else sum(sizes)


@dataclass
class Advice:
    target: str
    test: str  # the spec of the target's test set
    num_test: int
    chance: float  # the test set's chance level (%, :func:`bimotion.grid.scoring.chance_of_test`)
    seeds: list[int]
    confidence: float
    bootstrap_samples: int
    group_score: str
    backend: str  # finetune (with its base model) or probe (with its features)
    mixtures: list[MixtureResult]
    output_dir: Path
    files: list[Path] = field(default_factory=list)
    augment_only: list[str] = field(default_factory=list)  # groups only added to the target's data (no validation rows)
    caveat: str = ""  # the summary's first line where the backend cannot speak for the data (.caveat)
    test_speakers: int = 0  # the test set's speakers (within each corpus; 0: its rows name none)
    unnamed_test_clips: int = 0  # its clips whose rows name no speaker (CSED's), not in test_speakers
    by_speaker: bool = True  # whether the bootstrap drew speakers (else clips: none named, or one per corpus)
    chance_argmax: float = math.nan  # the chance levels (%) of the mixtures' argmax and ua readings
    chance_ua: float = math.nan
    # the generated corpora of its data (:func:`~bimotion.grid.plan.synthetic_corpora`: the heat map's title's
    # check); the summary says first that its advice is about them, not real speakers (.caveat.synthetic_caveat)
    synthetic: list[str] = field(default_factory=list)
    metric: str = "weighted_f1"  # the grid's reading of the logits that every score above is (training.f1.METRICS)

    @property
    def baseline(self) -> MixtureResult:
        return next(m for m in self.mixtures if m.role == "baseline")

    def of_role(self, role: str) -> list[MixtureResult]:
        """The mixtures of ``role``, best first (by the mean difference from the baseline)."""
        return sorted((m for m in self.mixtures if m.role == role), key=lambda m: -m.delta.mean)

    def to_json(self) -> dict:
        out = asdict(self)
        out["output_dir"] = "."
        out.pop("files")
        for entry, mixture in zip(out["mixtures"], self.mixtures, strict=True):
            entry["verdict"] = mixture.verdict
        return _no_nan(out)


def _no_nan(value):
    """``value`` with every NaN (an interval over one seed) as None: strict JSON."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def _backend(grid: Grid) -> str:
    cfg = grid.config
    if cfg.backend == "probe":
        return f"probe on frozen {cfg.features} features"
    model = "a tiny random wav2vec2" if cfg.tiny_model is not None else cfg.model_name_or_path
    return f"fine-tuning {model}"


class AdviceNotCollected(RuntimeError):
    """The advice cannot be read from its grid: a unit's prediction file is to be predicted again since the grid's
    tables were written (another run on the folder predicted it again in its dtype, or it is gone).  Advise reads
    the predictions as the tables do (:func:`~bimotion.grid.workers.tables_predictions`), predicting none: only a
    worker holding the unit's claim writes its files."""


def _predictions(grid: Grid, model: PlannedModel, seed: int, shards) -> dict:
    """One unit's saved predictions on ``shards`` (:func:`~bimotion.grid.workers.tables_predictions`); one to predict
    again is :class:`AdviceNotCollected`, naming the file, the worker holding the unit (if one does) and the fix."""
    try:
        return tables_predictions(grid, model, seed, shards)
    except ToScoreAgain as again:
        held = grid.claims.holder(again.unit) is not None
        raise AdviceNotCollected(
            f"the advice was not written: {again.why}, since the grid's tables were written (another run on "
            f"{grid.out} predicted it again, or it is gone), and advise predicts no file without the unit's claim: "
            f"rerun this command{' once that worker is done' if held else ''}: it scores that unit again under "
            "its claim, then writes the advice"
        ) from again


def _paired_predictions(grid: Grid, shards) -> dict:
    """``{mixture: (model, trained labels per seed, predictions per seed)}`` of the target's test
    set, every model's on the same clips and with the same speakers (a difference pairs the two
    models resample by resample: predictions saved before speakers were kept take them from the
    others, else every model resamples clips)."""
    cfg = grid.config
    loaded = {}
    for mixture in grid.plan.target:
        model = grid.plan.model(mixture.spec)
        trained = [grid.trained_labels(model, seed) for seed in cfg.seeds]
        loaded[mixture] = (model, trained, [_predictions(grid, model, seed, shards) for seed in cfg.seeds])
    base_model, _, base = next(loaded[m] for m in loaded if m.role == "baseline")
    for mixture, (_, _, preds) in loaded.items():
        if any(not np.array_equal(p["id"], base[0]["id"]) for p in preds):
            raise ValueError(
                f"{mixture.spec} was scored on other test clips than the baseline {base_model.name}: rerun the grid"
            )
    speaker = next((p["speaker"] for _, _, preds in loaded.values() for p in preds if "speaker" in p), None)
    if speaker is None:
        return loaded
    return {
        m: (model, trained, [dict(p, speaker=speaker) for p in preds]) for m, (model, trained, preds) in loaded.items()
    }


def recorded_ua(grid: Grid, model, seeds: list[int], shards) -> tuple[list[float], float]:
    """``model``'s UA (%) on the test set ``shards`` per seed and its chance level (%), as its metrics files
    record them per corpus (single-label corpora only), combined as the headline combines the corpora
    (``group_score`` mean or weighted; ``pooled`` records none); ``([], NaN)`` where any is not recorded.  A NaN
    that a file holds is kept as read (advice.json: null; the summary says n/a, :func:`ua_known`).  One it cannot
    read (``chmod 000``) is one ``error:`` line naming it and the fix (:func:`~bimotion.grid.saved.read_metrics`)."""
    from ..grid.saved import read_metrics

    mode = grid.config.group_score
    values, chances = [], []
    for seed in seeds:
        stake = f"advise cannot weigh the model's UA (seed {seed}) against chance"
        metrics = None if mode == "pooled" else read_metrics(grid.metrics_file(model, seed), stake)
        if metrics is None:
            return [], math.nan
        groups = metrics.get("scores", {}).get("groups", {})
        parts = [groups.get(s.group, {}).get("corpora", {}).get(s.corpus, {}) for s in shards]
        if not all("unweighted_accuracy" in p and "unweighted_accuracy" in p.get("chance", {}) for p in parts):
            return [], math.nan
        weights = [p.get("num_samples", 1) for p in parts] if mode == "weighted" else None
        values.append(100 * float(np.average([p["unweighted_accuracy"] for p in parts], weights=weights)))
        chances.append(100 * float(np.average([p["chance"]["unweighted_accuracy"] for p in parts], weights=weights)))
    return values, chances[0]


def argmax_readings(
    grid: Grid, model, preds: list[dict], trained: list
) -> tuple[list[float], list[float], float, float]:
    """Where the headline reads the logits at the 0.5 threshold (``metric: weighted_f1``), the same model's
    test set read by arg-max: its arg-max weighted F1 (%) per seed (the grid's scoring,
    :func:`~bimotion.training.bootstrap.score_test`), its recorded UA (%) per seed (:func:`recorded_ua`),
    and their chance levels (%); ``([], [], NaN, NaN)`` under another metric."""
    from ..training.metrics import trained_mask

    cfg = grid.config
    if cfg.metric != "weighted_f1":
        return [], [], math.nan, math.nan
    argmax, _ = score_test(preds, samples=0, confidence=cfg.confidence, group_score=cfg.group_score,
                           trained=[trained_mask(t) for t in trained], metric="weighted_f1_argmax")  # fmt: skip
    shards = list(parse_mixture(target_test(cfg.target, cfg.groups)).shards)
    ua, chance_ua = recorded_ua(grid, model, list(cfg.seeds), shards)
    chance = chance_of_test(preds[0], cfg.group_score, "weighted_f1_argmax")["chance"]
    return [float(v) for v in argmax], ua, chance_ua, chance


@dataclass(frozen=True)
class ModelRun:
    """One mixture's model as :func:`collect_advice` reads it from the grid, before the baseline's is subtracted."""

    model: PlannedModel
    values: np.ndarray  # its score (%, by the grid's metric) on the test set, per seed
    boot: np.ndarray  # the bootstrap distribution of their mean (the same resamples for every model)
    untrained: list[str]  # labels the target annotates that some seed's model never trained on
    pred: dict  # seed 0's predictions of the test set (its clips' ids, groups, corpora and speakers)
    heard: int  # of the test set's clips, the most one seed's model trained on (:func:`heard_counts`)
    argmax: list[float]  # read by arg-max (:func:`argmax_readings`): weighted F1 (%) per seed
    ua: list[float]  # UA (%) per seed
    chance_ua: float  # their chance levels (%)
    chance_argmax: float


def collect_advice(grid: Grid) -> Advice:
    """The :class:`Advice` of a finished ``target:`` grid (every model trained and predicted; nothing
    is trained here): its mixtures in the plan's order."""
    from loaders.labels import LABELS

    from ..training.bootstrap import drew_speakers
    from ..training.metrics import speaker_counts, trained_mask

    cfg = grid.config
    test = target_test(cfg.target, cfg.groups)
    shards = list(parse_mixture(test).shards)
    loaded = _paired_predictions(grid, shards)
    runs = {}
    for mixture, (model, trained, preds) in loaded.items():
        # the grid's own call (bimotion.grid.cells.collect): the same values and resamples
        values, boot = score_test(
            preds, samples=cfg.bootstrap_samples, confidence=cfg.confidence, seed=zlib.crc32(test.encode()),
            group_score=cfg.group_score, trained=[trained_mask(t) for t in trained], metric=cfg.metric,
        )  # fmt: skip
        annotated = [label for label, on in zip(LABELS, preds[0]["label_mask"].any(0), strict=True) if on]
        untrained = [lab for lab in annotated if any(t is not None and lab not in t for t in trained)]
        heard = heard_counts(grid, model).get(test, 0)  # as the grid's tables read it (their ‡)
        runs[mixture] = ModelRun(model, values, boot, untrained, preds[0], heard,
                                 *argmax_readings(grid, model, preds, trained))  # fmt: skip
    base = next(runs[m] for m in runs if m.role == "baseline")
    judged = judged_clips(base.pred, cfg.group_score)
    chance = chance_of_test(base.pred, cfg.group_score, cfg.metric)["chance"]
    results = [
        MixtureResult(
            m.spec,
            run.model.name,
            run.model.slug,
            m.role,
            m.notation,
            list(m.added),
            score=Estimate.of(run.values, run.boot, cfg.confidence, (0.0, 100.0)),
            delta=Estimate.of(run.values - base.values, run.boot - base.boot, cfg.confidence, (-100.0, 100.0)),
            untrained=run.untrained,
            test_clips=judged,
            chance=chance,
            training_clips=run.heard,
            baseline_training_clips=base.heard,
            argmax=run.argmax,
            ua=run.ua,
        )  # fmt: skip
        for m, run in runs.items()
    ]
    readings = {"chance_argmax": base.chance_argmax, "chance_ua": base.chance_ua}
    baseline = next(r for r in results if r.role == "baseline")
    at_chance = baseline.score.mean <= chance
    parts = base.pred["corpus"].astype(str)  # with the group: the parts the bootstrap resamples within
    counted = speaker_counts(base.pred["group"], base.pred["corpus"], base.pred.get("speaker")).values()
    return Advice(
        cfg.target, test, len(base.pred["id"]), chance, list(cfg.seeds),
        cfg.confidence, cfg.bootstrap_samples, cfg.group_score, _backend(grid), results, grid.out,
        augment_only=list(cfg.augment_only), caveat=backend_caveat(cfg, grid.sources, at_chance, ranks=ranks_labels(baseline, **readings)),
        test_speakers=sum(n for n, _ in counted), unnamed_test_clips=sum(u for _, u in counted),
        by_speaker=drew_speakers(base.pred.get("speaker"), np.char.add(base.pred["group"].astype(str), parts)),
        metric=cfg.metric, synthetic=synthetic_corpora(grid.plan, grid.generated), **readings,
    )  # fmt: skip
