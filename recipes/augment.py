"""Cross-group data augmentation (paper §4.2): train for a target group on a mixture of groups.

    accelerate launch --config_file recipes/accelerate/gpu_bf16.yaml recipes/augment.py \
        --bimotion DIR_OR_HUB_ID --target eng_eld --mixture cross_all

Mixtures from target ``l_a``: ``baseline`` X(l,a), ``cross_lingual`` X(L,a), ``cross_age`` X(l,A),
``cross_all`` X(L,A), with L and A the languages and age groups of the target's benchmark
(``--languages yue,zho,eng`` widens L across benchmarks, e.g. for YueMotion, §6.3).  Model selection
uses the mixture's validation split (``--selection_on target`` for the target's); every group's
test set is scored at the end.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from transformers import HfArgumentParser

from bimotion.training.args import DataArguments, ModelArguments, RunArguments, SERTrainingArguments, split_list
from bimotion.training.mixtures import MIXTURES, resolve_mixture
from bimotion.training.run import train


@dataclass
class AugmentArguments:
    target: str = field(metadata={"help": "target group l_a, e.g. eng_eld, zho_eld, yue_adu"})
    mixture: str = field(default="cross_all", metadata={"help": "one of " + ", ".join(MIXTURES)})
    languages: list[str] | None = field(default=None, metadata={"help": "L (default: the target benchmark's)"})
    age_groups: list[str] | None = field(default=None, metadata={"help": "A (default: the target benchmark's)"})
    selection_on: str = field(
        default="mixture", metadata={"help": "validation split for model selection: mixture or target"}
    )


def main(argv=None) -> int:
    parser = HfArgumentParser((AugmentArguments, ModelArguments, DataArguments, RunArguments, SERTrainingArguments))
    recipe, model_args, data_args, run_args, training_args = parser.parse_args_into_dataclasses(argv)
    if recipe.selection_on not in ("mixture", "target"):
        parser.error("--selection_on must be mixture or target")
    groups = resolve_mixture(
        recipe.target, recipe.mixture, languages=split_list(recipe.languages), age_groups=split_list(recipe.age_groups)
    )
    if data_args.validation_configs is None:
        data_args.validation_configs = [recipe.target] if recipe.selection_on == "target" else groups
    summary = train(
        model_args,
        data_args,
        run_args,
        training_args,
        train_configs=groups,
        run_name=f"{recipe.target}-{recipe.mixture}",
        target=recipe.target,
        mixture=recipe.mixture,
    )
    target = summary["test"]["groups"].get(recipe.target)
    if target and training_args.process_index == 0:
        print(f"{recipe.target} weighted F1 (test, {recipe.mixture}): {target['weighted_f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
