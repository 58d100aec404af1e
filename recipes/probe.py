r"""Train a probe: a linear or MLP head on frozen features of prepared BiMotion/YueMotion configurations.

    python recipes/probe.py --bimotion DIR --train_configs eng_eld zho_eld --features logmel \
        --output_dir results/probe-eld

``--features``: ``logmel`` (built in), ``egemaps`` (``pip install 'bimotion[egemaps]'``) or an audio
encoder (Hub id or local folder; frozen, a learned weighted sum of its layers unless ``--layer N``).
Features are extracted once per prepared folder and cached (under ``--dataset_cache_dir``, default
the ``datasets`` cache); ``scores.json`` has the shape of ``recipes/train.py``'s.  Every argument is
checked before any data is read (a bad one exits with code 2 and a one-line error naming it).
See docs/probe.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields

from bimotion.extras import exit_if_missing

if __name__ == "__main__":  # without the extras: one line naming them (exit 2), not a traceback at an import
    exit_if_missing("recipes/probe.py", ("torch", "transformers", "sklearn"))

from transformers import HfArgumentParser

from bimotion.hub import HubError
from bimotion.probe.features import check_features
from bimotion.probe.head import ProbeArguments
from bimotion.training.args import check_model
from bimotion.training.data_checks import check_configs, check_datasets, check_present, check_split_rows, split_list
from bimotion.training.parsing import ArgumentError, check_seeds, parse_arguments
from bimotion.training.report import scores_report
from bimotion.training.spec import DataArguments
from loaders.errors import DamagedFileError


@dataclass
class ProbeRecipeArguments:
    train_configs: list[str] = field(metadata={"help": "configurations to train on, e.g. eng_eld zho_eld"})
    output_dir: str = field(metadata={"help": "where probe.pt, probe.json and scores.json go"})
    features: str = field(
        default="logmel",
        metadata={"help": "logmel, egemaps, or an audio encoder: a local folder or a Hub id OWNER/NAME"},
    )
    seeds: list[int] = field(
        default_factory=lambda: [0], metadata={"help": "one head per seed (seed<N>/ below output_dir when several)"}
    )


# the shared data arguments a probe reads; the others (crops, padding, normalisation, subsets of
# training) shape a fine-tuning run's batches, not cached whole-clip features: accepted (one
# arguments file serves both), hidden from --help, and named in a note when set
PROBE_DATA_FLAGS = ("bimotion", "yuemotion", "validation_configs", "test_configs", "dataset_cache_dir")


def check(recipe: ProbeRecipeArguments, data_args: DataArguments, probe_args: ProbeArguments) -> None:
    ignored = [
        f"--{f.name}"
        for f in fields(DataArguments)
        if f.name not in PROBE_DATA_FLAGS and getattr(data_args, f.name) != getattr(DataArguments(), f.name)
    ]
    if ignored:
        one = len(ignored) == 1
        print(
            f"note: {', '.join(ignored)} {'applies' if one else 'apply'} to fine-tuning only; "
            f"a probe ignores {'it' if one else 'them'}",
            file=sys.stderr,
        )
    datasets = data_args.datasets
    check_datasets(datasets, local_only=True)
    check_configs(recipe.train_configs, "--train_configs", datasets)
    check_configs(data_args.validation_configs, "--validation_configs", datasets)
    check_configs(data_args.test_configs, "--test_configs", datasets)
    check_seeds(recipe.seeds)
    from bimotion.data.layout import output_error

    if error := output_error(recipe.output_dir, "--output_dir"):
        raise ArgumentError(error)
    probe_args.check()
    check_features(recipe.features, probe_args.layer)  # a mistyped feature set, before it is taken for a model
    if recipe.features == "egemaps":
        try:
            import opensmile  # noqa: F401 (availability check: --features egemaps fails here, not after the data loads)
        except ImportError as err:
            raise ArgumentError("--features egemaps needs openSMILE: pip install 'bimotion[egemaps]'") from err
    elif recipe.features != "logmel":
        # offline, an encoder's cached features serve without its weights: loading it says what is missing
        check_model(recipe.features, "--features", offline_check=False)
    check_present(
        {
            "--train_configs": recipe.train_configs,
            "--validation_configs": data_args.validation_configs,
            "--test_configs": data_args.test_configs,
        },
        datasets,
        every_group="--test_configs",
    )
    validation = split_list(data_args.validation_configs) or split_list(recipe.train_configs)
    check_split_rows(  # before any feature is extracted
        [
            ("--train_configs", "train", recipe.train_configs),
            ("--validation_configs" if data_args.validation_configs else "--train_configs", "validation", validation),
            ("--test_configs", "test", data_args.test_configs),
        ],
        datasets,
    )


# a launch of several processes is refused (parsing.several_processes): they would not share the work
ALONE = (
    "a probe's features and head are not shared among processes, and each would extract the same features and train "
    "the same probe into the same --output_dir"
)


def main(argv=None) -> int:
    from pathlib import Path

    parser = HfArgumentParser((ProbeRecipeArguments, DataArguments, ProbeArguments))
    shown = PROBE_DATA_FLAGS + tuple(f.name for f in fields(ProbeArguments))
    recipe, data_args, probe_args = parse_arguments(parser, argv, check, shown=shown, alone=ALONE)
    from bimotion.memory import ALLOCATION_FAILURES, ready_for_a_limit, said_out_of_memory
    from bimotion.probe.run import train_probe  # torch: after the arguments are checked
    from bimotion.training.provenance import recorded_command

    ready_for_a_limit()  # under a memory limit: memory kept for the out-of-memory line, and no glibc abort after it

    for seed in recipe.seeds:
        out = Path(recipe.output_dir) / (f"seed{seed}" if len(recipe.seeds) > 1 else "")
        try:
            summary = train_probe(
                recipe.train_configs, data_args, probe_args, features=recipe.features, seed=seed, output_dir=out,
                command=recorded_command(),  # its files name this command, not one run earlier in this process
            )  # fmt: skip
        except DamagedFileError as err:  # a prepared dataset's file or clip, or the encoder's weights
            print(f"error: {err}", file=sys.stderr)
            return 2
        except HubError as err:  # the encoder's load from the Hub (bimotion.hub_models): one line, with the fix
            print(f"error: {err}", file=sys.stderr)
            return 1
        except ALLOCATION_FAILURES as err:  # an allocation that failed: one line, with the fix
            return said_out_of_memory(err, "probe.py")
        print(f"\nseed {seed}: probe, scores.json: {out}")
        print(scores_report(summary["test"]))  # weighted F1 % per group beside its chance level, as train.py's
    return 0


if __name__ == "__main__":
    sys.exit(main())
