"""Upload a prepared folder (a dataset repository) or a trained model folder (a model repository) to
the Hugging Face Hub, private by default.

Example:
  bimotion push bimotion --repo-id my-lab/bimotion --dry-run     # list what would be uploaded
  bimotion push bimotion --repo-id my-lab/bimotion               # private repo (log in first:
                                                                 #  `hf auth login` or HF_TOKEN)
  bimotion push results/paper/models/zho_eld/seed0 --repo-id my-lab/ser-zho-eld
                                                                 # a model the grid or train.py wrote

A model folder's card is written again for its new home first (its how-to snippet loads
OWNER/NAME, scores.json records it); its checkpoints stay behind.  Most source corpora restrict
redistribution (research-only licences, no-derivatives clauses): the command warns about each one
in the folder or the model's training data.  Share such a repo only with people who hold the
corpora's licences; make it public only when every licence allows it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "upload a prepared dataset or a trained model folder to the Hugging Face Hub (private by default)"


def add_arguments(parser) -> None:
    parser.add_argument(
        "out", metavar="OUT", help="a folder written by `prepare`, or a model folder (recipes/train.py, the grid)"
    )
    parser.add_argument("--repo-id", required=True, metavar="ORG/NAME", help="the repository to push to")
    visibility = parser.add_mutually_exclusive_group()
    visibility.add_argument(
        "--private", dest="private", action="store_true", default=True, help="a private repository (the default)"
    )
    visibility.add_argument("--public", dest="private", action="store_false", help="a public repository")
    parser.add_argument("--dry-run", action="store_true", help="list what would be uploaded; touch no network")
    parser.add_argument("--message", default=None, help="commit message")
    parser.add_argument("--token", default=None, help="Hub token (default: the logged-in one or HF_TOKEN)")


def dataset_files(out_dir) -> list[str]:
    """The files a push sends: the card, prepare.json and the Parquet files that prepare.json lists."""
    from bimotion.data.layout import CARD_FILE, INFO_FILE, read_info

    out = Path(out_dir)
    paths = [CARD_FILE, INFO_FILE] + [rel for shard in read_info(out)["shards"] for rel in shard["files"]]
    missing = [p for p in paths if not (out / p).is_file()]
    if missing:
        raise FileNotFoundError(f"{out} is incomplete: {', '.join(missing[:5])} missing; run `bimotion check {out}`")
    return paths


def licence_warnings(out_dir) -> list[str]:
    from bimotion.data.layout import read_info
    from bimotion.hub import licence_warnings as warnings_of

    return warnings_of(read_info(out_dir)["licenses"])


def is_model_folder(folder) -> bool:
    """Whether ``folder`` holds a trained model (a config and the run's scores.json) to push as one."""
    from bimotion.training.outputs import SCORES

    return (Path(folder) / SCORES).is_file() and (Path(folder) / "config.json").is_file()


def model_licence_warnings(model_dir) -> list[str]:
    """A warning for each restricted licence among the corpora the model was trained on."""
    from bimotion.hub import licence_warnings as warnings_of
    from bimotion.training.outputs import SCORES
    from loaders import SOURCES

    def licence(corpus: str) -> str:
        try:
            return SOURCES[corpus].license
        except KeyError:  # a user's corpus not registered in this process
            return "unknown (not registered in this process)"

    corpora = json.loads((Path(model_dir) / SCORES).read_text())["train_corpora"]
    return warnings_of({corpus: licence(corpus) for corpus in corpora})


def recard_model(model_dir, repo_id: str) -> None:
    """The model's card and scores.json, written again (each atomically) for ``repo_id``: the card's
    snippet loads it."""
    from bimotion.grid.report import write_text_atomic
    from bimotion.training.model_card import render_card
    from bimotion.training.outputs import SCORES

    scores = Path(model_dir) / SCORES
    summary = {**json.loads(scores.read_text()), "hub_model_id": repo_id}
    write_text_atomic(scores, json.dumps(summary, indent=2) + "\n")
    write_text_atomic(Path(model_dir) / "README.md", str(render_card(summary)))


def run(args) -> int:
    """Long: checks, the listing, then the upload; the same steps for a dataset and a model."""
    from bimotion.console import hub_progress_bars
    from bimotion.data.layout import INFO_FILE
    from bimotion.hub import HubError, check_push, publish, upload_plan

    model = is_model_folder(args.out)
    if not model and not (Path(args.out) / INFO_FILE).is_file():
        print(
            f"error: {args.out} is neither a prepared folder ({INFO_FILE}) nor a trained model folder "
            "(config.json and scores.json): give the folder `bimotion prepare` or a training run wrote",
            file=sys.stderr,
        )
        return 2
    try:
        files = None if model else dataset_files(args.out)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for warning in model_licence_warnings(args.out) if model else licence_warnings(args.out):
        print(f"warning: {warning}", file=sys.stderr)
    try:
        check_push(args.repo_id, token=args.token, dry_run=args.dry_run)
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    kind = "model" if model else "dataset"
    url = f"https://huggingface.co/{'' if model else 'datasets/'}{args.repo_id}"
    plan = upload_plan(args.out, allow_patterns=files)
    visibility = "private" if args.private else "PUBLIC"
    total_mb = sum(size for _, size in plan) / 1e6
    print(
        f"{'would upload' if args.dry_run else 'uploading'} {len(plan)} files ({total_mb:.1f} MB) to {url} ({visibility}):"
    )
    for path, size in plan:
        print(f"  {path}  ({size / 1e6:.2f} MB)")
    if model:
        print(f"README.md and scores.json {'would be' if args.dry_run else 'are'} written again to load {args.repo_id}")
    if args.dry_run:
        return 0
    if model:
        recard_model(args.out, args.repo_id)
    hub_progress_bars(True)  # the upload is this command's stage: its bar shows
    try:
        publish(
            args.out,
            args.repo_id,
            repo_type=kind,
            token=args.token,
            private=args.private,
            allow_patterns=files,
            commit_message=args.message
            or f"Upload {Path(args.out).name} {'trained' if model else 'prepared'} with bimotion",
        )
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"pushed to {url}")
    return 0
