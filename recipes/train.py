"""Fine-tune a wav2vec2-family model (XLSR-53 by default) on explicit BiMotion/YueMotion configurations.

    accelerate launch --config_file recipes/accelerate/gpu_bf16.yaml recipes/train.py \
        --bimotion DIR_OR_HUB_ID --train_configs eng_eld zho_eld --output_dir results/eld

Any configuration works (groups ``eng_eld``, unions ``eng``/``eld``/``bimotion:all``, corpora ``esd``;
``yue_adu`` with ``--yuemotion``).  Every ``transformers.TrainingArguments`` flag applies; the defaults
are the paper's.  The model, ``scores.json`` (per group and corpus), the training manifest and the
model card land in ``--output_dir``; rerunning resumes from the last checkpoint.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from transformers import HfArgumentParser

from bimotion.training.args import DataArguments, ModelArguments, RunArguments, SERTrainingArguments, split_list
from bimotion.training.run import train


@dataclass
class TrainArguments:
    train_configs: list[str] = field(metadata={"help": "configurations to train on, e.g. eng_eld zho_eld"})


def main(argv=None) -> int:
    parser = HfArgumentParser((TrainArguments, ModelArguments, DataArguments, RunArguments, SERTrainingArguments))
    recipe, model_args, data_args, run_args, training_args = parser.parse_args_into_dataclasses(argv)
    configs = split_list(recipe.train_configs)
    summary = train(model_args, data_args, run_args, training_args, train_configs=configs, run_name="+".join(configs))
    if training_args.process_index == 0:
        print(f"weighted F1 (test, mean over corpora): {summary['test']['weighted_f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
