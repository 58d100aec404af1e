"""What a training recipe prints when its run ends: the per-group end table beside the chance
levels (:func:`scores_report`) and how the run stopped and which checkpoint it kept (:func:`run_ending`)."""

from __future__ import annotations

from pathlib import Path

from loaders.tables import aligned

from .bootstrap import CLIPS, INTERVAL_SAMPLES
from .metrics import CHANCE, DAGGER


def scores_report(
    scores: dict,
    *,
    split: str = "test",
    relation: dict | None = None,
    target: str | None = None,
    names: dict | None = None,
) -> str:
    """The end of a recipe's run: weighted F1 (%) per group of ``scores`` (a ``scores.json`` split, or
    ``infer``'s), its chance level and clips, as a small aligned table (``relation``: each group's relation
    to the training groups; ``target``: marked with ``*``; ``names``: a group's name where it is not the
    group's own, :func:`~.model_card.tested_as`; a score at or below chance: ``†``; the 95% bootstrap
    interval where the scores have one, labelled with how they record it was drawn)."""
    with_ci = any("weighted_f1_ci" in values for values in scores["groups"].values())
    header = ["group"] + (["relation"] if relation else []) + ["weighted F1 %"] + (["95% CI"] if with_ci else [])
    header += ["chance %", "clips"]
    rows, at_chance = [header], False

    def score(value: float, chance: float) -> str:
        nonlocal at_chance
        at_chance |= at_or_below(value, chance)
        return f"{100 * value:.1f}" + (DAGGER if at_or_below(value, chance) else " ")

    def interval(ci: list[float] | None) -> str:
        return f"{100 * ci[0]:.1f}-{100 * ci[1]:.1f}" if ci else ""

    for group, values in scores["groups"].items():
        chance = values["chance"]["chance"] if isinstance(values["chance"], dict) else values["chance"]
        name = (names or {}).get(group, group) + (" *" if group == target else "")
        name += f" {TRAINED_MARK}" if values.get("training_clips") else ""
        rows.append(
            [name]
            + ([relation.get(group, "")] if relation else [])
            + [score(values["weighted_f1"], chance)]
            + ([interval(values.get("weighted_f1_ci"))] if with_ci else [])
            + [f"{100 * chance:.1f}", str(values["num_samples"])]
        )
    if len(rows) > 2 and isinstance(scores.get("chance"), float):
        mean = ["all (mean of test sets)"] + ([""] if relation else [])
        mean += [score(scores["weighted_f1"], scores["chance"])] + ([""] if with_ci else [])
        rows.append(mean + [f"{100 * scores['chance']:.1f}", ""])
    drawn = scores.get("intervals") or {"resampled": CLIPS, "samples": INTERVAL_SAMPLES}  # unrecorded: older, clips
    note = (f"\n{DAGGER} at or below chance ({CHANCE})" if at_chance else "") + (
        f"\n95% CI: bootstrap over the {drawn['resampled']} ({drawn['samples']} resamples)" if with_ci else ""
    )
    few = few_speakers_note(scores["groups"], names) if with_ci else ""
    note += f"; {few}" if few else ""
    note += "".join(f"\n{line}" for line in group_notes(scores["groups"], names))
    return f"{split} scores per group (weighted F1, mean over each group's corpora):\n{aligned(rows, indent='')}{note}"


def at_or_below(value: float, chance: float | None) -> bool:
    """Whether a score is at or below its chance level (marked :data:`~.metrics.DAGGER` in the end
    table and the model card); never where no chance level is recorded."""
    return chance is not None and value <= chance


FEW_TEST_SPEAKERS = 5  # a test set of fewer speakers is named beside its interval


def few_speakers_note(groups: dict, names: dict | None = None) -> str:
    """Which groups' test sets hold fewer than :data:`FEW_TEST_SPEAKERS` speakers (``num_speakers``,
    :func:`~.metrics.score_groups`; its clips naming none beside them, :func:`speakers_words`), said beside
    the 95% interval: one drawn from one voice's clips understates how other speakers would score, and the
    table alone gave no hint.  Nothing where every group has more, or none records its speakers (scores of
    an earlier version, a corpus without ids)."""
    few = [
        (speakers_words(count, values.get("unnamed_clips", 0)), (names or {}).get(group, group))
        for group, values in groups.items()
        if 0 < (count := values.get("num_speakers", 0)) < FEW_TEST_SPEAKERS
    ]
    if not few:
        return ""
    held = ", ".join(f"{count} ({group})" for count, group in few)
    many = len(few) > 1
    return (
        f"test set{'s' * many}: {held}: {'their intervals understate' if many else 'its interval understates'} "
        "how much other speakers' scores vary"
    )


def speakers_words(count: int, unnamed: int = 0) -> str:
    """How many speakers a test set holds, with its clips whose rows name none (a corpus without speaker ids,
    CSED's, beside one with them; :func:`~.metrics.speaker_counts`) beside them: "3 speakers and 40 clips
    without speaker ids", as the end table, the model card and advise say it."""
    others = f" and {unnamed} clip{'s' * (unnamed != 1)} without speaker ids" if unnamed else ""
    return f"{count} speaker{'s' * (count != 1)}{others}"


def group_notes(groups: dict, names: dict | None = None) -> list[str]:
    """The end table's note lines on its groups (:func:`untrained_note`, :func:`nothing_right_note`,
    :func:`ranked_note`, :func:`trained_clips_note`), each without its leading newline: what the model
    card says under its table too."""
    notes = untrained_note(groups, names) + nothing_right_note(groups, names) + ranked_note(groups, names)
    notes += trained_clips_note(groups, names)
    return [line for line in notes.split("\n") if line]


TRAINED_MARK = "‡"  # a group scored on clips the model trained on (bimotion.training.evaluation)


def trained_clips_note(groups: dict, names: dict | None = None) -> str:
    """A note line naming the groups (marked :data:`TRAINED_MARK`) scored on clips the model trained
    on (``training_clips``, :func:`bimotion.training.evaluation.training_clips`), or nothing."""
    found = [
        f"{(names or {}).get(group, group)} {values['training_clips']} of its {values['num_samples']} clips"
        for group, values in groups.items()
        if values.get("training_clips")
    ]
    if not found:
        return ""
    return f"\n{TRAINED_MARK} scored on clips the model trained on, not held out: {', '.join(found)}"


def untrained_note(groups: dict, names: dict | None = None) -> str:
    """A note line naming the groups whose test sets annotate labels the model never trained on (it
    predicts them absent, so such a group can score far below chance), or nothing."""
    found = [
        f"{(names or {}).get(group, group)} {of}" for group, values in groups.items() if (of := _untrained_of(values))
    ]
    if not found:
        return ""
    return (
        f"\nlabels the model never trained on: {', '.join(found)} (scored as predicted absent, which can put a "
        "group far below chance)"
    )


def nothing_right_note(groups: dict, names: dict | None = None) -> str:
    """A note line for the groups scored 0.0 (no label predicted right at the 0.5 threshold), with the cause
    that applies to each (labels it never trained on, predicted absent: :func:`untrained_note`'s line; else, early
    in training a model predicts none), and their arg-max reading of the same scores (the authors'
    code's, :data:`~.metrics.CHANCE_OF`) beside its chance level, marked :data:`~.metrics.DAGGER` where at or
    below it (:func:`at_or_below`, as the table marks a score), or nothing."""

    def argmax(values: dict) -> str:
        value, chance = values["weighted_f1_argmax"], values["chance"]["weighted_f1_argmax"]
        return f"{100 * value:.1f}{DAGGER if at_or_below(value, chance) else ''} (chance {100 * chance:.1f})"

    zero = {
        group: values
        for group, values in groups.items()
        if values["weighted_f1"] == 0 and "weighted_f1_argmax" in values and isinstance(values["chance"], dict)
    }
    if not zero:
        return ""
    name = {group: (names or {}).get(group, group) for group in zero}
    untrained = {group: _untrained_of(values) for group, values in zero.items() if _untrained_of(values)}
    early = "a model early in training predicts none"
    if untrained:  # the cause that applies to each: labels never trained on are predicted absent
        causes = []
        for group, of in untrained.items():
            rest = len(zero[group]["annotated_labels"]) - len(zero[group]["untrained_labels"])
            others = f", and its other {rest} not predicted right" if rest > 0 else ""
            causes.append(f"{name[group]}: {of} labels never trained on (the line above), predicted absent{others}")
        trained = [name[group] for group in zero if group not in untrained]
        early = "; ".join(causes + ([f"{', '.join(trained)}: {early}"] if trained else []))
    found = [f"{name[group]} {argmax(values)}" for group, values in zero.items()]
    return (
        f"\n0.0: no label predicted right at the 0.5 threshold ({early}); "
        f"the same scores read by arg-max, as the authors' code does: {', '.join(found)}"
    )


def _untrained_of(values: dict) -> str:
    """How many of a group's annotated labels the model never trained on (its scores' ``untrained_labels`` of
    ``annotated_labels``), ``2 of its 3``, as :func:`untrained_note` and :func:`nothing_right_note` say it; ``""``
    where none (or where its scores do not say)."""
    if not (values.get("untrained_labels") and values.get("annotated_labels")):
        return ""
    return f"{len(values['untrained_labels'])} of its {len(values['annotated_labels'])}"


def ranked_note(groups: dict, names: dict | None = None) -> str:
    """A note line for the groups above 0.0 but at or below chance at the 0.5 threshold whose arg-max
    reading of the same scores is above its own chance level (the model ranks the right label first
    more often than chance, but its scores thresholded at 0.5 do no better than chance: a short run
    on real speech, CSED's 8.9† at 45.3 by arg-max against 33.4; the log-mel probe's 45.3† at 50.3),
    or nothing."""
    found = [
        f"{(names or {}).get(group, group)} {100 * values['weighted_f1_argmax']:.1f} "
        f"(chance {100 * values['chance']['weighted_f1_argmax']:.1f})"
        for group, values in groups.items()
        if isinstance(values["chance"], dict)
        and "weighted_f1_argmax" in values
        and 0 < values["weighted_f1"] <= values["chance"]["chance"]
        and values["weighted_f1_argmax"] > values["chance"]["weighted_f1_argmax"]
    ]
    if not found:
        return ""
    return (
        f"\n{DAGGER} at the 0.5 threshold only: read by arg-max, as the authors' code does, these are above chance (the "
        f"model ranks the labels better than chance, but its scores thresholded at 0.5 do not beat it): {', '.join(found)}"
    )


def run_ending(summary: dict) -> str:
    """How a training run ended, from its ``scores.json``: the steps it ran of those planned (and why
    it stopped early), and which model it kept (the best checkpoint by the selection metric, or the
    model after the last step)."""
    selection, hyper = summary["selection"], summary["hyperparameters"]
    step, planned = selection.get("global_step"), selection.get("max_steps")
    patience = hyper.get("early_stopping_patience") or 0
    if planned and step is not None and step < planned and patience > 0:
        ran = (
            f"stopped early at step {step} of {planned}: the validation {selection['metric']} did not improve "
            f"for {patience} evaluations (--early_stopping_patience)"
        )
    else:
        ran = f"trained {step} steps"
    best = selection.get("best_checkpoint")
    if selection.get("selected") and best:
        kept = f"kept {Path(best).name} (validation {selection['metric']} {selection['best_metric']:.4f})"
    else:
        kept = "kept the model after the last step"
    return f"{ran}; {kept}"
