"""The advice in words and tables: a plain-language summary ("adding Mandarin adults raises Mandarin
elderly by 6.1 ± 2.3 weighted-F1 points at the 0.5 threshold"), ``advice.md`` (the summary and a table of
every mixture) and ``advice.json`` (every number, per seed)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from loaders.files import write_text_atomic

from ..group_names import group_name
from ..mixture import parse_mixture
from ..training.bootstrap import RESAMPLED
from ..training.f1 import GROUP_SCORE_WORDS, READINGS
from ..training.metrics import CHANCE_OF, DAGGER
from ..training.outputs import ADVICE
from ..training.report import FEW_TEST_SPEAKERS, TRAINED_MARK, at_or_below, speakers_words, trained_clips_note
from .caveat import synthetic_caveat
from .collect import MIN_VERDICT_CLIPS, Advice, Estimate, MixtureResult, mean_of, ranks_labels, ua_known
from .names import names_list

VERDICTS = {
    "helps": "a clear gain",
    "hurts": "a clear loss",
    "too_few": f"no verdict: the test set, or one of the corpora its mean weighs alike, has under {MIN_VERDICT_CLIPS} clips",
    "at_chance": "no verdict: it and the baseline are both at or below chance",
}


def verdict_words(
    mixture: MixtureResult, confidence: float, over: str = "over test speakers", metric: str = "weighted_f1"
) -> str:
    """A mixture's verdict in words (:data:`VERDICTS`); an unclear one says which interval of its
    difference from the baseline includes 0, and where it lies: over seeds, ``over`` the test set
    (:func:`over_test_set`) or both; one not held out, whose score (or the baseline's) it is; one at
    chance, by which reading of the logits (``metric``, :data:`~bimotion.training.f1.READINGS`): the other may be above it."""
    if mixture.verdict == "at_chance":
        return f"{VERDICTS['at_chance']} {READINGS[metric]}"
    if mixture.verdict == "not_held_out":
        return f"no verdict {TRAINED_MARK}: {_trained_on(mixture)}, not held out"
    if mixture.verdict != "unclear":
        return VERDICTS[mixture.verdict]
    delta, level = mixture.delta, f"{100 * confidence:g}%"
    intervals = {over: delta.ci_clips}
    if len(delta.values) > 1:
        intervals = {"over seeds": delta.ci_seeds, **intervals}
    across = {name: ci for name, ci in intervals.items() if ci[0] <= 0 <= ci[1]}
    if not across:  # each excludes 0, on opposite sides
        return f"not clear: its {level} intervals over seeds and {over} lie on opposite sides of 0"
    if len(across) == 2:
        seeds, speakers = across.values()
        return (
            f"not clear: both {level} intervals include 0, over seeds {_interval(seeds)} and {over} "
            f"{_interval(speakers)}"
        )
    (name, ci), *_ = across.items()
    return f"not clear: its {level} interval {name}, {_interval(ci)}, includes 0"


def _trained_on(mixture: MixtureResult) -> str:
    """Whose score of a mixture not held out (:attr:`~.collect.MixtureResult.not_held_out`) was of clips its
    model trained on, and how many: ``it was scored on 12 test clips it trained on``, or ``the baseline was``."""
    whose = "it was" if mixture.training_clips else "the baseline was"
    count = mixture.training_clips or mixture.baseline_training_clips
    return f"{whose} scored on {count} test clips it trained on"


def _verdict(mixture: MixtureResult, advice: Advice) -> str:
    """:func:`verdict_words` of ``mixture`` with ``advice``'s confidence, test set and reading."""
    return verdict_words(mixture, advice.confidence, over_test_set(advice), advice.metric)


def over_test_set(advice: Advice) -> str:
    """What the test set's bootstrap resampled, in a verdict's words: ``over test speakers``, or ``over test
    clips`` where it drew none (a corpus naming no speakers, CSED's; or one speaker a corpus)."""
    return "over test speakers" if advice.by_speaker else "over test clips"


def _pm(estimate: Estimate) -> str:
    return f"{estimate.mean:.1f} ± {estimate.plus_minus:.1f}"


def _change(estimate: Estimate) -> str:
    """``raises ... by 6.1 ± 2.3`` / ``lowers ... by 3.0 ± 1.2`` (the magnitude, signed by the verb)."""
    verb = "raises" if estimate.mean >= 0 else "lowers"
    return verb, f"{abs(estimate.mean):.1f} ± {estimate.plus_minus:.1f}"


def describe(mixture: MixtureResult) -> str:
    """What a mixture does to the target's data, in words."""
    added = names_list(mixture.added, mixture.spec) if mixture.added else ""
    every = mixture.notation.startswith("X(L,A)") and len(mixture.added) > 1
    if every and len(mixture.added) > 3:  # the table lists them
        added = f"{len(mixture.added)} groups"
    if mixture.role == "baseline":
        return "training on the target's own data only"
    if mixture.role == "augment":
        return f"adding every other group ({added})" if every else f"adding {added}"
    if every:
        return f"a model of every other group ({added}), without the target's data,"
    return f"a model of {added} alone"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _interval_words(advice: Advice) -> str:
    level = f"{100 * advice.confidence:g}%"
    if len(advice.seeds) > 1:
        return f"± is half the {level} interval over {len(advice.seeds)} seeds (Student t, paired by seed)" + (
            f"; a clear gain or loss is one whose {level} intervals over seeds and {over_test_set(advice)} both "
            "exclude 0"
            if len(advice.mixtures) > 1  # a baseline alone is compared with nothing
            else ""
        )
    return (
        f"± is half the {level} bootstrap interval {over_test_set(advice)} (one seed: run more seeds for seed "
        "variation)"
    )


def target_name(advice: Advice) -> str:
    """The target in words, with its corpora where its test set is some of them (``yue_eld[canto]``, a user's
    corpus beside YueMotion's: "Cantonese elderly (canto)"), as :func:`names_list` names the other groups."""
    return names_list([advice.target], advice.test)


def _verdict_line(advice: Advice) -> str:
    """Which mixture helps the target most (augmentation or a model of other groups), if any: of those
    whose difference is held out (a score of clips a model trained on, ``‡``, is no evidence)."""
    who = target_name(advice)
    others = [m for m in advice.mixtures if m.role != "baseline"]
    if not others:  # at chance at 0.5 but ranking the labels (the caveat points here): read by arg-max too
        base = advice.baseline
        ranked = base.score.mean <= advice.chance and ranks_labels(base, advice.chance_argmax, advice.chance_ua)
        return f"No other group was given: nothing to compare with training on {who} alone." + (
            f" At the 0.5 threshold it scores at or below chance ({advice.chance:.1f}); {_argmax_reading(advice, base)}"
            f": it ranks the labels above chance but is badly calibrated at 0.5 (per seed: metrics/{base.slug}/seed<k>.json)."
            if ranked
            else ""
        )
    if advice.baseline.training_clips:  # first: a number compared with it says nothing, at chance or not
        return (
            f"No recommendation {TRAINED_MARK}: the in-group baseline was scored on {advice.baseline.training_clips} "
            f"of the {advice.num_test} test clips that it trained on, not held out, so no difference from it is evidence."
        )
    if all(m.score.mean <= advice.chance for m in advice.mixtures):  # nothing to recommend, the baseline least
        if ranked := _ranked_line(advice):  # at the 0.5 threshold only: the models still rank the labels
            return ranked
        return (
            f"No model scores above chance ({advice.chance:.1f}) on {who}: none of these mixtures gives a usable "
            "model, and their differences say nothing; more training data or steps, or a stronger backend "
            "(--config paper), come first."
        )
    held = [m for m in others if not m.not_held_out]
    unheld = [m.spec for m in others if m.not_held_out]
    left = f" Left out, not held out ({TRAINED_MARK}): {', '.join(unheld)}." if unheld else ""
    if not held:
        return f"No recommendation {TRAINED_MARK}: every other model was scored on test clips it trained on.{left}"
    return _best_line(advice, held) + left


def _ranked_line(advice: Advice) -> str:
    """The verdict where every mixture is at chance at the 0.5 threshold but the baseline, or else the best
    held-out mixture, ranks the labels above chance read by arg-max: what each reading says, numbers inline,
    which models rank the labels (it, and any other that does, by name: not "the models"), and how to compare
    the mixtures by the arg-max; empty where none does.  A model not held out (it or the baseline scored on
    clips it trained on, ``‡``) is no evidence: one that ranks them too is named as left out, with whose."""
    ranks = [m for m in advice.mixtures if ranks_labels(m, advice.chance_argmax, advice.chance_ua)]
    ranking = [m for m in ranks if not m.not_held_out]
    if not ranking:
        return ""
    unheld = [f"{m.spec} ({_trained_on(m)})" for m in ranks if m.not_held_out]
    left = f" Left out, not held out ({TRAINED_MARK}): {'; '.join(unheld)}." if unheld else ""
    base = advice.baseline
    best = base if base in ranking else max(ranking, key=lambda m: mean_of(m.argmax))
    also = [m.spec for m in ranking if m is not best]  # the others that rank them too, named: no more
    who = f"it and {', '.join(also)} rank" if also else "it ranks"
    return (
        f"At the 0.5 threshold no model scores above chance ({advice.chance:.1f}) on {target_name(advice)}; "
        f"{_argmax_reading(advice, best)}: {who} the labels above chance but {'are' if also else 'is'} badly calibrated at 0.5, so weighted F1 at 0.5 "
        "cannot tell the mixtures apart; compare them by the arg-max with `metric: weighted_f1_argmax` in a copy of "
        "the config given to --config (per model: metrics/<model>/seed<k>.json)." + left
    )


def _argmax_reading(advice: Advice, model: MixtureResult, whose: str = "") -> str:
    """``model`` read by arg-max, with the chance levels: ``read by arg-max (one label per clip), the in-group
    baseline scores 50.0 vs chance 33.4 and its UA 50.3% vs 33.3%`` (its UA where recorded; n/a where NaN)."""
    whose = whose or ("the in-group baseline" if model.role == "baseline" else f"{describe(model)} ({model.spec})")
    ua = f" and its UA {mean_of(model.ua):.1f}% vs {advice.chance_ua:.1f}%" if ua_known(model, advice.chance_ua) else ""
    if model.ua and not ua:  # recorded, but NaN for a seed or its chance level: said, not printed as "nan%"
        ua = f" (its UA n/a: not a number in metrics/{model.slug}/seed<k>.json, so judged by the arg-max F1 alone)"
    how = " (one label per clip)" if model.ua else " (the label it scores highest)"
    return f"read by arg-max{how}, {whose} scores {mean_of(model.argmax):.1f} vs chance {advice.chance_argmax:.1f}{ua}"


def _best_line(advice: Advice, others: list[MixtureResult]) -> str:
    """The mixture of ``others`` that beats the baseline by most on average, and how sure that is."""
    who = target_name(advice)
    best = max(others, key=lambda m: m.delta.mean)
    if best.delta.mean <= 0:  # a recommendation only where the numbers can carry one
        if best.verdict in ("too_few", "at_chance"):
            return f"Nothing beats the in-group baseline on average ({_verdict(best, advice)})."
        return f"Nothing beats the in-group baseline on average: keep training on {who} alone."
    verb, amount = _change(best.delta)
    name = best.spec if len(best.spec) <= 40 else best.notation
    if best.role == "augment":
        action = f"{describe(best)} {verb} {who} by {amount} {_points(advice)}"
    else:
        action = f"{describe(best)} beats the in-group baseline by {amount} {_points(advice)}"
    lead = "Helps most" if best.verdict == "helps" else "Highest on average"  # a gain only when it is clear
    return f"{lead} ({name}): {action}, to {best.score.mean:.1f} ({_verdict(best, advice)})."


def _nothing_right(advice: Advice, mixture: MixtureResult) -> str:
    """Why a model of the target's labels scored 0.0 at the 0.5 threshold, and its arg-max reading (as train.py's
    table says it), or nothing: where it is not 0.0, was read by arg-max, or its untrained labels say why."""
    if mixture.score.mean != 0 or advice.metric != "weighted_f1" or not mixture.argmax or mixture.untrained:
        return ""
    return (
        f" 0.0: no label of the target predicted right at the 0.5 threshold; {_argmax_reading(advice, mixture, 'it')}."
    )


def _points(advice: Advice) -> str:
    """The unit of a difference in the summary: weighted-F1 points of the grid's reading (``metric``,
    :data:`~bimotion.training.f1.READINGS`), as its first line and the table name it."""
    return f"weighted-F1 points {READINGS[advice.metric]}"


def untrained_words(model: str) -> str:
    """The words before a list of the target's labels that ``model`` ("a model", "it") never trained on:
    advice.md's note and a cross-group inference line of the summary say it alike."""
    return f"Labels the target annotates that {model} never trained on (scored as absent)"


def _few_speakers(advice: Advice) -> str:
    """The target line's warning where the test set holds under FEW_TEST_SPEAKERS speakers (as train.py's
    table says it): the intervals over test speakers, which every verdict needs, then understate."""
    count = advice.test_speakers
    if not 0 < count < FEW_TEST_SPEAKERS:
        return ""
    return (
        f" Its test set holds {speakers_words(count, advice.unnamed_test_clips)}: the intervals over it understate "
        "how much other speakers' scores vary, so a clear gain or loss here may not hold for other speakers; "
        "add test speakers to judge it."
    )


def summary_lines(advice: Advice) -> list[str]:
    """The plain-language summary, one sentence per line; every number is one of advice.json's."""
    who = target_name(advice)
    base = advice.baseline
    at_chance = base.score.mean <= advice.chance
    lines = [
        f"Target: {group_name(advice.target)} ({advice.test}), {advice.num_test} test clips; weighted F1 (%) "
        f"{READINGS[advice.metric]} on its test set, chance level {advice.chance:.1f}; {advice.backend}, seeds {advice.seeds}."
        + (
            f" Too few test clips to judge any difference (under {MIN_VERDICT_CLIPS}, in the test set or in one of "
            "the corpora its mean weighs alike): add test data first."
            if min((m.test_clips for m in advice.mixtures), default=advice.num_test) < MIN_VERDICT_CLIPS
            else ""
        )
        + _few_speakers(advice),
        f"In-group baseline ({base.spec}): {_pm(base.score)}" + _baseline_marks(base, at_chance, advice) + ".",
        _verdict_line(advice),
    ]
    if synthetic := synthetic_caveat(advice.synthetic, advice.target):  # before every number: of the data itself
        lines.insert(0, synthetic)
    if advice.caveat:  # first (the baseline's † says "see the first line"): no number below is read before it
        lines.insert(0, advice.caveat)
    for mixture in advice.of_role("augment"):
        verb, amount = _change(mixture.delta)
        lines.append(
            f"- {_upper_first(describe(mixture))} {verb} {who} by {amount} {_points(advice)} "
            f"({_verdict(mixture, advice)})." + _nothing_right(advice, mixture)
        )
    for mixture in advice.of_role("inference"):
        side = "above" if mixture.delta.mean >= 0 else "below"
        mark = (
            f" {DAGGER}" if at_or_below(mixture.score.mean, advice.chance) else ""
        )  # at or below chance, as in the table
        mark += f" {TRAINED_MARK}" if mixture.training_clips else ""  # not held out, as in the table
        lines.append(
            f"- Cross-group inference: {describe(mixture)} scores {_pm(mixture.score)}{mark} on {who}, "
            f"{abs(mixture.delta.mean):.1f} ± {mixture.delta.plus_minus:.1f} {side} the baseline "
            f"({_verdict(mixture, advice)})."
            + (f" {untrained_words('it')}: {', '.join(mixture.untrained)}." if mixture.untrained else "")
            + _nothing_right(advice, mixture)
        )
    if advice.augment_only:
        names = names_list([parse_mixture(g).groups[0] for g in advice.augment_only], "+".join(advice.augment_only))
        lines.append(
            f"- {_upper_first(names)}: too few speakers for both validation and test rows, so only added to the data of {who}, "
            "never a model of its own (no cross-group inference from it)."
        )
    if note := not_held_out_note(advice):
        lines.append(note)
    marked = any(m.score.mean <= advice.chance for m in advice.of_role("inference"))
    lines.append(_interval_words(advice) + (f"; {DAGGER} at or below the chance level" if marked else "") + ".")
    return lines


def _baseline_marks(base: MixtureResult, at_chance: bool, advice: Advice) -> str:
    """What the baseline's score is marked with in the summary, each mark with its meaning, or nothing."""
    marks = [f"{TRAINED_MARK}: not held out"] if base.training_clips else []
    # a backend that cannot speak for the data says why first (the caveat): not "than ignoring the audio"
    meaning = "see the first line" if advice.caveat else "no better by this measure than ignoring the audio"
    marks += [f"{DAGGER}: at or below chance, {meaning}"] if at_chance else []
    return " " + "; ".join(marks) if marks else ""


def not_held_out_note(advice: Advice) -> str:
    """The legend of ``‡`` as the grid's tables word it (:func:`~bimotion.training.report.trained_clips_note`),
    naming each mixture scored on test clips its model trained on, or nothing."""
    heard = {f"`{m.spec}`": {"training_clips": m.training_clips, "num_samples": advice.num_test}
             for m in advice.mixtures}  # fmt: skip
    note = trained_clips_note(heard).strip()
    return f"{note} (a Δ from such a score too): no verdict or recommendation rests on them." if note else ""


def _interval(values: list[float]) -> str:
    return "–" if any(math.isnan(v) for v in values) else f"[{values[0]:.1f}, {values[1]:.1f}]"


def _row(mixture: MixtureResult, chance: float) -> str:
    score, delta = mixture.score, mixture.delta
    spread = f" ± {score.std:.2f}" if len(score.values) > 1 else ""  # no spread over one seed
    mean = f"{score.mean:.2f}" + (DAGGER if at_or_below(score.mean, chance) else "")
    mean += (TRAINED_MARK if mixture.training_clips else "") + spread  # as the grid's tables mark them
    cells = [f"`{mixture.spec}`", mixture.role, mixture.notation, names_list(mixture.added, mixture.spec) if mixture.added else "–",
             mean, _interval(score.ci_seeds), _interval(score.ci_clips)]  # fmt: skip
    if mixture.role == "baseline":
        cells += ["–", "–", "–", "baseline"]
    else:
        mark = TRAINED_MARK if mixture.not_held_out else ""
        cells += [f"{delta.mean:+.2f}{mark}", _interval(delta.ci_seeds), _interval(delta.ci_clips), mixture.verdict]
    return "| " + " | ".join(cells) + " |"


def render_markdown(advice: Advice) -> str:
    """``advice.md``: the summary, then every mixture (baseline, augmentations and cross-group
    inference, best first) with its score, intervals and difference from the baseline."""
    level = f"{100 * advice.confidence:g}%"
    head = ["Training data", "Role", "Notation", "Other groups",
            f"Weighted F1 % {READINGS[advice.metric]} (mean ± std over seeds)", f"{level} CI (seeds)", f"{level} CI (test set)", "Δ vs baseline", f"Δ {level} CI (seeds)",
            f"Δ {level} CI (test set)", "Verdict"]  # fmt: skip
    lines = [f"# Which cross-group data helps {group_name(advice.target)} ({advice.test})?", ""]
    for line in summary_lines(advice):  # paragraphs, and the bullets as one list
        lines += [line] if line.startswith("- ") else ([""] if lines[-1] else []) + [line, ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    ordered = [advice.baseline, *advice.of_role("augment"), *advice.of_role("inference")]
    lines += [_row(m, advice.chance) for m in ordered]
    lines.append(f"| Chance level | | | | {advice.chance:.2f} | | | | | | |")
    compared = len(advice.mixtures) - 1
    lines += [
        "",
        f"- Test set `{advice.test}` ({advice.num_test} clips); its corpora {GROUP_SCORE_WORDS[advice.group_score]} "
        f"(`group_score: {advice.group_score}`); {DAGGER} at or below its chance level ({CHANCE_OF[advice.metric]}).",
        f"- CI (seeds): Student-t interval of the mean over seeds {advice.seeds}; CI (test set): bootstrap over the "
        f"{RESAMPLED} ({advice.bootstrap_samples} resamples, the same for every model, so Δ's is paired). "
        + (
            "A Δ helps or hurts when both intervals exclude 0 on that side (the bootstrap's alone with one seed); ± "
            "in the summary is half the interval over seeds (the bootstrap's with one seed). Each verdict is one "
            f"{100 * advice.confidence:g}% comparison, with no correction for the {compared} made here: among many, "
            "one 'clear' gain or loss may be chance, and the highest of several is likely to be overstated."
            if compared
            else "± in the summary is half the interval over seeds (the bootstrap's with one seed). No comparison "
            "was made: the baseline is the only model."
        ),
        *(
            [f"- {TRAINED_MARK} scored on clips the model trained on, not held out (the summary names them)."]
            if any(m.training_clips for m in advice.mixtures)
            else []
        ),
        "- Roles: augment = the target's data plus other groups (X(l,a)+g one group, X(l,A) its language's other "
        "age groups, X(L,a) its age group's other languages, X(L,A) every group); inference = a model that never "
        "saw the target's data (X(¬l,a) other language, X(l,¬a) other age group, X(¬l,¬a) both).",
    ]
    untrained = [f"`{m.spec}`: {', '.join(m.untrained)}" for m in advice.mixtures if m.untrained]
    if untrained:
        lines.append(f"- {untrained_words('a model')}: " + "; ".join(untrained) + ".")
    lines.append(
        "- Per-seed values: `advice.json`; per-model metrics: `metrics/<model>/seed<k>.json`; heat map: `tables/`."
    )
    return "\n".join(lines) + "\n"


def write_advice(advice: Advice) -> list[Path]:
    """Write ``advice.json`` and ``advice.md`` into the advice's output folder; their paths."""
    files = [advice.output_dir / ADVICE, advice.output_dir / "advice.md"]
    write_text_atomic(files[0], json.dumps(advice.to_json(), indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(files[1], render_markdown(advice))
    return files
