r"""Fine-tune a wav2vec2-family model (XLSR-53 by default) on explicit BiMotion/YueMotion configurations.

    accelerate launch --config_file recipes/accelerate/gpu_bf16.yaml recipes/train.py \
        --bimotion DIR_OR_HUB_ID --train_configs eng_eld zho_eld --output_dir results/eld

Any configuration works (groups ``eng_eld``, unions ``eng``/``eld``/``bimotion:all``, corpora ``esd``;
``yue_adu`` with ``--yuemotion``).  Every ``transformers.TrainingArguments`` flag applies; the defaults
are the paper's.  The model, ``scores.json`` (per group and corpus), the training manifest and the
model card land in ``--output_dir``; rerunning resumes from the last checkpoint.  Every argument is
checked before any data is read (a bad one exits with code 2 and a one-line error naming it).

``--push_to_hub --hub_model_id OWNER/NAME`` creates a *private* repository unless ``--public`` is given;
the token (``hf auth login``, ``HF_TOKEN`` or ``--hub_token``; the first two stay out of the process
list) is written to no file, log or card; scores.json and the card name local folders ``local:<name>``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from bimotion.extras import exit_if_missing

if __name__ == "__main__":  # without the extras: one line naming them (exit 2), not a traceback at an import
    exit_if_missing("recipes/train.py", ("torch", "transformers", "accelerate", "sklearn", "matplotlib"))

from transformers import HfArgumentParser

from bimotion.training.args import check_training, to_spec
from bimotion.training.parsing import parse_arguments
from bimotion.training.spec import DataArguments, ModelArguments, RunArguments
from bimotion.training.training_args import SERTrainingArguments


@dataclass
class TrainArguments:
    train_configs: list[str] = field(metadata={"help": "configurations to train on, e.g. eng_eld zho_eld"})


ARGUMENTS = (TrainArguments, ModelArguments, DataArguments, RunArguments, SERTrainingArguments)  # main's, in order


def main(argv=None) -> int:
    parser = HfArgumentParser(ARGUMENTS)
    recipe, model_args, data_args, run_args, training_args = parse_arguments(
        parser, argv, lambda recipe, *args: check_training(*args, train_configs=recipe.train_configs)
    )
    from bimotion.training.provenance import recorded_command
    from bimotion.training.run import train_and_report  # torch, datasets: after the arguments are checked

    spec = to_spec(model_args, data_args, run_args, training_args, train=recipe.train_configs)
    return train_and_report(spec, command=recorded_command())  # its files name this command, not an earlier one


if __name__ == "__main__":
    sys.exit(main())
