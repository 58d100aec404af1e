"""Cross-group inference (paper §4.1): score a trained model on the test sets of any groups.

    accelerate launch recipes/infer.py --model results/eng_adu --bimotion DIR_OR_HUB_ID \
        --configs eng_eld zho_eld zho_adu

Writes per-group, per-corpus scores (weighted F1, per-label F1, macro F1, UA) to
``--output_file`` (default: ``inference_<split>.json`` in the model folder), with each test group's
relation to the training groups (in-group, cross-lingual, cross-age, cross-all).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from transformers import HfArgumentParser

from bimotion.training.args import DataArguments, SERTrainingArguments
from bimotion.training.run import infer


@dataclass
class InferArguments:
    model: str = field(metadata={"help": "fine-tuned model: folder or Hub id"})
    configs: list[str] | None = field(default=None, metadata={"help": "default: every group of the given datasets"})
    split: str = field(default="test")
    output_file: str | None = field(default=None)


def main(argv=None) -> int:
    parser = HfArgumentParser((InferArguments, DataArguments, SERTrainingArguments))
    recipe, data_args, training_args = parser.parse_args_into_dataclasses(argv)
    result = infer(
        recipe.model,
        data_args,
        training_args,
        configs=recipe.configs,
        split=recipe.split,
        output_file=recipe.output_file,
    )
    if training_args.process_index == 0:
        for group, scores in result[recipe.split]["groups"].items():
            relation = (result["relation"] or {}).get(group, "")
            print(f"{group:8s} {relation:14s} weighted F1 {scores['weighted_f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
