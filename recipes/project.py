r"""Feature-space projection (paper §4.3, Figures 2 and 3): a fine-tuned model's features of the
training data of several mixtures (one panel each, drawn as per-label densities) and of a target's
test clips (points), projected to 2-D with UMAP.

One figure from flags (panels as ``TITLE=MIXTURE`` or ``MIXTURE``)::

    python recipes/project.py --model results/paper/models/yuemotion-all+eng_adu-esd+zho_adu-esd/seed0 \
        --yuemotion DIR --bimotion DIR --test yue_adu --labels happiness sadness neutral \
        --panels "yue=yuemotion:all" "yue+zho=yuemotion:all+zho_adu[esd]" --output_dir figures

The figures a grid config lists (``projections:``), with models taken from a finished grid::

    python recipes/project.py --config bimotion/configs/paper.yaml --grid_dir results/paper \
        --bimotion DIR --yuemotion DIR --output_dir results/paper/figures

Writes ``<name>.png``, ``<name>.svg`` and the 2-D points as ``<name>.csv`` and ``<name>.json``, and
nothing else: the prepared data's ``datasets`` cache goes to ``--dataset_cache_dir`` (default: the
``datasets`` cache, as every recipe's), never into ``--output_dir``, which may be published.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from bimotion.extras import exit_if_missing

if __name__ == "__main__":  # without the extras: one line naming them (exit 2), not a traceback at an import
    exit_if_missing("recipes/project.py", ("torch", "transformers", "sklearn", "matplotlib", "umap"))

from transformers import HfArgumentParser

from bimotion.training.args import check_classifier, check_model, check_positive
from bimotion.training.data_checks import check_datasets, check_present, register_prepared
from bimotion.training.parsing import ArgumentError, check_seeds, one_line, parse_arguments
from loaders.errors import DamagedFileError
from loaders.labels import LABELS


@dataclass
class ProjectArguments:
    output_dir: str = field(
        default="figures",
        metadata={"help": "where the figures and their points go (png, svg, csv, json; nothing else is written there)"},
    )
    bimotion: str | None = field(default=None, metadata={"help": "prepared BiMotion dataset (folder or Hub id)"})
    yuemotion: str | None = field(default=None, metadata={"help": "prepared YueMotion dataset (folder or Hub id)"})
    config: str | None = field(
        default=None,
        metadata={"help": "a grid config (YAML file or shipped name, e.g. paper): draw its `projections:`"},
    )
    grid_dir: str | None = field(
        default=None, metadata={"help": "a grid output folder: model names that are mixtures resolve to its models"}
    )
    model: str | None = field(default=None, metadata={"help": "model folder (or, with --grid_dir, a mixture)"})
    test: str | None = field(default=None, metadata={"help": "test set whose clips are overlaid, e.g. yue_adu"})
    panels: list[str] | None = field(default=None, metadata={"help": "training mixtures, one panel each: TITLE=SPEC"})
    labels: list[str] | None = field(default=None, metadata={"help": "labels to draw (default: the test clips')"})
    name: str = field(default="projection", metadata={"help": "file name stem"})
    title: str | None = field(default=None, metadata={"help": "figure title"})
    dataset_cache_dir: str | None = field(
        default=None, metadata={"help": "where `datasets` caches the prepared data (default: its own cache)"}
    )
    max_train_per_shard: int = field(default=1000, metadata={"help": "seeded subset of each training shard"})
    seed: int = field(
        default=0,
        metadata={"help": "seed of UMAP and of the clips drawn from each shard (the same seed, the same points)"},
    )


def specs(args: ProjectArguments) -> list[dict]:
    if args.config:
        from bimotion.grid.config import load_config

        found = load_config(args.config).projections
        if not found:
            raise ArgumentError(f"--config {args.config} lists no projections")
        return found
    if not (args.model and args.test and args.panels):
        raise ArgumentError("give --config, or --model, --test and --panels")
    panels = []
    for panel in args.panels:
        title, _, spec = panel.rpartition("=")
        panels.append({"title": title or spec, "train": spec})
    return [
        {
            "name": args.name,
            "title": args.title or f"Training coverage of {args.test}",
            "model": args.model,
            "test": args.test,
            "panels": panels,
            "labels": args.labels,
            "max_train_per_shard": args.max_train_per_shard,
            "seed": args.seed,
        }
    ]


def check(args: ProjectArguments) -> list[dict]:
    """The figures' specs, with every path, config, label and number checked before any model loads."""
    from bimotion.mixture import parse_mixture
    from bimotion.projection_spec import ProjectionSpec

    datasets = {"bimotion": args.bimotion, "yuemotion": args.yuemotion}
    check_datasets(datasets, cache_dir=args.dataset_cache_dir)
    register_prepared(datasets)  # a prepared folder's own groups (ind_eld) are test sets and panels too
    from bimotion.data.layout import output_error

    if error := output_error(args.output_dir, "--output_dir"):
        raise ArgumentError(error)
    from bimotion.training.outputs import GRID_PLAN, model_around

    if model := model_around(args.output_dir):  # push uploads the whole model folder: the figures would go too
        elsewhere = model.parent / "figures"
        while outer := model_around(elsewhere):  # a model folder inside another's
            elsewhere = outer.parent / "figures"
        given = Path(args.output_dir).expanduser().resolve()
        where = "is a model folder" if model == given else f"lies inside the model folder {model}"
        raise ArgumentError(
            f"--output_dir {args.output_dir} {where}, every file of which `bimotion push` and --push_to_hub "
            "upload with the model (the figures and their points, clip ids included, would be published beside "
            f"it): choose a folder outside it, such as --output_dir {elsewhere}"
        )
    if args.config:
        from bimotion.grid.config import find_config

        try:
            find_config(args.config)
        except FileNotFoundError as err:
            raise ArgumentError(f"--config: {err}") from err
    if args.grid_dir and not (Path(args.grid_dir) / GRID_PLAN).exists():  # a folder there: the grid's error
        raise ArgumentError(f"--grid_dir {args.grid_dir} is not a grid output folder (no plan.json)")
    check_positive(args, "max_train_per_shard")
    unknown = [label for label in args.labels or [] if label not in LABELS]
    if unknown:
        raise ArgumentError(f"--labels: unknown label {unknown[0]!r}; the labels: {', '.join(LABELS)}")
    check_seeds([args.seed], "--seed")
    found = specs(args)
    flags: dict[str, list[str]] = {}
    models: list[str] = []  # every figure's configs and models, checked once for the run
    for raw in found:
        # a figure from the flags names the flag; one from --config names the file, the figure and the key
        where = f"--config {args.config}: projection {raw.get('name')!r}: " if args.config else "--"
        try:
            spec = ProjectionSpec.from_dict(raw, f"--config {args.config}")  # its unknown keys: named so
        except (TypeError, ValueError) as err:
            said = one_line(err)
            raise ArgumentError(said if said.startswith(f"--config {args.config}: ") else where + said) from err
        for key, config in [("test", spec.test)] + [("panels", panel.train) for panel in spec.panels]:
            try:
                needs = dict.fromkeys(s.benchmark for s in parse_mixture(config).shards)
            except (KeyError, ValueError) as err:
                raise ArgumentError(f"{where}{key} {config}: {one_line(err)}") from err
            for bench in needs:
                if not datasets[bench]:
                    raise ArgumentError(f"{where}{key} {config} needs the prepared {bench} dataset: pass --{bench} DIR")
        flags.setdefault(f"{where}test", []).append(spec.test)
        flags.setdefault(f"{where}panels", []).extend(panel.train for panel in spec.panels)
        models += [panel.model or spec.model for panel in spec.panels]
    # read from what was prepared of each (one note per group left short, naming the corpora left out, for
    # every figure that draws it); one with no rows: an error
    check_present(flags, datasets, every_group=None)
    for name in dict.fromkeys(models):
        check_model(str(model_dir_of(args, name)), "--model", probes=True)  # a probe's hidden features too
        check_classifier(str(model_dir_of(args, name)), "--model")
    return found


def model_dir_of(args: ProjectArguments, name: str):
    """A model folder, or (with --grid_dir) the grid's model of a mixture."""
    if Path(name).is_dir() or not args.grid_dir:
        return name
    from bimotion.grid.plan import model_dir_in_grid

    try:
        return model_dir_in_grid(args.grid_dir, name)
    except (FileNotFoundError, KeyError, ValueError, DamagedFileError) as err:  # a damaged marker or plan: its one line
        raise ArgumentError(f"--model {name}: {one_line(err)}") from err


# a launch of several processes is refused (parsing.several_processes): they would not share the work
ALONE = "a projection is not shared among processes, and each would draw the same figures into the same --output_dir"


def main(argv=None) -> int:
    found = []
    parser = HfArgumentParser(ProjectArguments)
    (args,) = parse_arguments(parser, argv, lambda args: found.extend(check(args)), alone=ALONE)
    from bimotion.data.layout import synthetic_data
    from bimotion.grid.config import load_config, torch_threads
    from bimotion.memory import ALLOCATION_FAILURES, ready_for_a_limit, said_out_of_memory
    from bimotion.projection import NoLabelDrawn, project

    ready_for_a_limit()  # under a memory limit: memory kept for the out-of-memory line, and no glibc abort after it

    sources = {k: v for k, v in (("bimotion", args.bimotion), ("yuemotion", args.yuemotion)) if v}
    generated = synthetic_data(sources)
    if args.dataset_cache_dir:  # else the datasets cache, as every recipe's
        sources["cache_dir"] = args.dataset_cache_dir  # each dataset's prepare.json read once for every figure
    threads = load_config(args.config).num_threads if args.config else None  # as the grid drew them
    for spec in found:
        try:
            with torch_threads(threads):
                paths = project(
                    spec,
                    sources,
                    args.output_dir,
                    model_dir_of=lambda name: model_dir_of(args, name),
                    generated=generated,
                    log=lambda line: print(line, file=sys.stderr),  # stdout: the files' paths alone, one a line
                )
        except (NoLabelDrawn, DamagedFileError) as err:  # what the data lacks, found once its features are read
            print(f"error: {one_line(err)}", file=sys.stderr)
            return 2
        except ALLOCATION_FAILURES as err:  # an allocation that failed: one line, with the fix
            return said_out_of_memory(err, "project.py")
        for path in paths:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
