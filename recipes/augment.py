r"""Cross-group data augmentation (paper §4.2): train for a target group on a mixture of groups.

    accelerate launch --config_file recipes/accelerate/gpu_bf16.yaml recipes/augment.py \
        --bimotion DIR_OR_HUB_ID --target eng_eld --mixture cross_all

Mixtures from target ``l_a``: ``baseline`` X(l,a), ``cross_lingual`` X(L,a), ``cross_age`` X(l,A),
``cross_all`` X(L,A), with L and A the languages and age groups of the target's benchmark
(``--languages yue,zho,eng`` widens L across benchmarks, e.g. for YueMotion, §6.3).  Model selection
uses the mixture's validation split, of the groups that have validation rows (``--selection_on target``
for the target's); every group's test set is scored at the end.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field

from bimotion.extras import exit_if_missing

if __name__ == "__main__":  # without the extras: one line naming them (exit 2), not a traceback at an import
    exit_if_missing("recipes/augment.py", ("torch", "transformers", "accelerate", "sklearn", "matplotlib"))

from transformers import HfArgumentParser

from bimotion.group_names import age_group_name, language_name
from bimotion.mixture import MIXTURES
from bimotion.registry import BENCHMARKS, Group
from bimotion.training.args import check_training, to_spec
from bimotion.training.data_checks import register_prepared, split_list
from bimotion.training.mixtures import all_groups, benchmark_of_group, resolve_mixture
from bimotion.training.parsing import ArgumentError, one_line, parse_arguments
from bimotion.training.spec import DataArguments, ModelArguments, RunArguments
from bimotion.training.training_args import SERTrainingArguments


@dataclass
class AugmentArguments:
    target: str = field(metadata={"help": "target group l_a, e.g. eng_eld, zho_eld, yue_adu"})
    mixture: str = field(default="cross_all", metadata={"help": "one of " + ", ".join(MIXTURES)})
    languages: list[str] | None = field(default=None, metadata={"help": "L (default: the target benchmark's)"})
    age_groups: list[str] | None = field(default=None, metadata={"help": "A (default: the target benchmark's)"})
    selection_on: str = field(
        default="mixture", metadata={"help": "validation split for model selection: mixture or target"}
    )


def selected_on(groups: list[str], data_args: DataArguments) -> list[str]:
    """The mixture's groups that have validation rows (a group of one or two speakers, split by
    speaker, has none), with a note for each left out that has training rows (one with no rows at all
    is the check's error, not a note); all of them when none has (the check names it)."""
    from bimotion.training.data import Sources, with_split_rows
    from bimotion.training.processes import note

    sources = Sources(data_args.bimotion, data_args.yuemotion)
    kept = with_split_rows(sources, groups, "validation")
    left_out = [g for g in groups if g not in kept]
    if kept and left_out:
        trained = with_split_rows(sources, left_out, "train")
        note(*(f"note: {g} has no validation rows: the model is selected on {', '.join(kept)}" for g in trained))
    return kept or groups


def adds_nothing(recipe, data_args) -> str:
    """Why ``recipe.mixture`` (not the baseline) would train on ``recipe.target`` alone: no group it widens
    to is known (a user's Javanese elderly with no Javanese adults: cross_age was the baseline, named
    cross_age in scores.json and the model card); or, where L was left to the target's benchmark (YueMotion:
    yue only), the groups of another language that the given datasets hold, and the --languages that adds them."""
    from bimotion.training.data import Sources, with_split_rows

    target, widen = Group.parse(recipe.target), MIXTURES[recipe.mixture]
    other = (
        "another group"
        if widen.all_languages and widen.all_age_groups
        else f"another age group of {language_name(target.language)}"
        if widen.all_age_groups
        else f"{age_group_name(target.age_group)} speech of another language"
    )
    beyond = [
        g.name
        for g in map(Group.parse, all_groups())
        if g.language != target.language
        and (widen.all_age_groups or g.age_group == target.age_group)
        and getattr(data_args, benchmark_of_group(g.name))  # a dataset of its benchmark is given
    ]
    widened = widen.all_languages and not recipe.languages and beyond  # L left to the target's benchmark
    held = with_split_rows(Sources(data_args.bimotion, data_args.yuemotion), beyond, "train") if widened else []
    if held:
        languages = ",".join(dict.fromkeys([target.language, *(Group.parse(g).language for g in held)]))
        bench = benchmark_of_group(recipe.target)
        return (
            f"--mixture {recipe.mixture}: its languages L are {recipe.target}'s benchmark's, {bench}'s "
            f"({', '.join(BENCHMARKS[bench].languages)}), unless --languages widens them, so it holds no {other} "
            f"beside {recipe.target} and would train the baseline under another name; the given datasets hold "
            f"{', '.join(held)}: add --languages {languages} to train on them too, or use --mixture baseline"
        )
    return (
        f"--mixture {recipe.mixture}: no prepared dataset holds {other} beside {recipe.target} "
        f"(the groups known: {', '.join(all_groups())}), so it would train the baseline under another name; "
        "use --mixture baseline, or prepare the other groups' corpora too"
    )


def part_of_a_group(recipe) -> str:
    """The usage error of a ``--target`` naming some corpora of a group (``yue_eld[carehome]``, a care home's own
    elderly beside YueMotion's): a mixture widens a whole group; train.py trains on the part named with the mixture's
    other groups, and infer.py scores that part alone."""
    whole = recipe.target.split("[", 1)[0]
    try:
        others = resolve_mixture(whole, recipe.mixture, languages=split_list(recipe.languages))[1:]
    except (KeyError, ValueError):  # not a group either: the whole group's own error says it
        others = None
    if others is None:
        return f"--target {recipe.target}: a mixture's target is a whole group, not some of its corpora"
    part = shlex.quote(recipe.target)  # zsh takes yue_eld[carehome] for a file pattern
    return (
        f"--target {recipe.target}: a mixture's target is a whole group ({whole}), not some of its corpora: give "
        f"--target {whole}, or train on the part with the mixture's other groups, recipes/train.py --train_configs "
        f"{' '.join([part, *others])}, and score it alone, recipes/infer.py --configs {part}"
    )


def main(argv=None) -> int:
    parser = HfArgumentParser((AugmentArguments, ModelArguments, DataArguments, RunArguments, SERTrainingArguments))
    groups = []

    def check(recipe, model_args, data_args, run_args, training_args):
        if recipe.selection_on not in ("mixture", "target"):
            raise ArgumentError(f"--selection_on must be mixture or target, not {recipe.selection_on}")
        register_prepared(data_args.datasets)  # users' groups
        typed = [Group.parse(g) for g in all_groups()]
        for flag, values, attribute in (
            ("--languages", recipe.languages, "language"),
            ("--age_groups", recipe.age_groups, "age_group"),
        ):
            known = sorted({getattr(g, attribute) for g in typed})
            unknown = [v for v in split_list(values) or [] if v not in known]
            if unknown:
                raise ArgumentError(f"{flag}: unknown {unknown[0]!r}; choose from {', '.join(known)}")
        if "[" in recipe.target:  # yue_eld[carehome]: advise's --groups and infer.py's --configs name such a part
            raise ArgumentError(part_of_a_group(recipe))
        try:
            groups.extend(
                resolve_mixture(
                    recipe.target,
                    recipe.mixture,
                    languages=split_list(recipe.languages),
                    age_groups=split_list(recipe.age_groups),
                )
            )
        except (KeyError, ValueError) as err:
            raise ArgumentError(f"--target {recipe.target} --mixture {recipe.mixture}: {one_line(err)}") from err
        if groups == [recipe.target] and recipe.mixture != "baseline":
            raise ArgumentError(adds_nothing(recipe, data_args))
        validation_flag = "--validation_configs"
        if data_args.validation_configs is None:  # filled here: errors name what they come from
            data_args.validation_configs = (
                [recipe.target] if recipe.selection_on == "target" else selected_on(groups, data_args)
            )
            validation_flag = f"--selection_on {recipe.selection_on}"
        check_training(
            model_args,
            data_args,
            run_args,
            training_args,
            train_configs=groups,
            train_flag="--mixture",
            validation_flag=validation_flag,
        )

    recipe, model_args, data_args, run_args, training_args = parse_arguments(parser, argv, check)
    from bimotion.training.provenance import recorded_command
    from bimotion.training.run import train_and_report  # torch, datasets: after the arguments are checked

    spec = to_spec(
        model_args,
        data_args,
        run_args,
        training_args,
        train=groups,
        run_name=f"{recipe.target}-{recipe.mixture}",
        target=recipe.target,
        mixture=recipe.mixture,
    )
    heading = f"target {recipe.target} (*), trained on the {recipe.mixture} mixture: {' + '.join(groups)}"
    return train_and_report(spec, target=recipe.target, heading=heading, command=recorded_command())


if __name__ == "__main__":
    sys.exit(main())
