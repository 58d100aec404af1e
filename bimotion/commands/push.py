"""Upload a prepared folder to the Hugging Face Hub as a dataset repository (private by default).

Example:
  bimotion push bimotion --repo-id my-lab/bimotion --dry-run     # list what would be uploaded
  bimotion push bimotion --repo-id my-lab/bimotion               # private repo (log in first:
                                                                 #  `hf auth login` or HF_TOKEN)

Most source corpora restrict redistribution (research-only licences, no-derivatives clauses):
the command warns about each one in the folder.  Share such a repo only with people who hold
the corpora's licences; make it public only when every licence allows it.
"""

from __future__ import annotations

import sys
from pathlib import Path

HELP = "upload a prepared dataset folder to the Hugging Face Hub (private by default)"


def add_arguments(parser) -> None:
    parser.add_argument("out", metavar="OUT", help="a folder written by `prepare`")
    parser.add_argument("--repo-id", required=True, metavar="ORG/NAME", help="the dataset repository to push to")
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


def run(args) -> int:
    from bimotion.console import hub_progress_bars
    from bimotion.hub import HubError, check_push, publish, upload_plan

    try:
        files = dataset_files(args.out)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for warning in licence_warnings(args.out):
        print(f"warning: {warning}", file=sys.stderr)
    try:
        check_push(args.repo_id, token=args.token, dry_run=args.dry_run)
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    plan = upload_plan(args.out, allow_patterns=files)
    visibility = "private" if args.private else "PUBLIC"
    total_mb = sum(size for _, size in plan) / 1e6
    print(
        f"{'would upload' if args.dry_run else 'uploading'} {len(plan)} files ({total_mb:.1f} MB) "
        f"to https://huggingface.co/datasets/{args.repo_id} ({visibility}):"
    )
    for path, size in plan:
        print(f"  {path}  ({size / 1e6:.2f} MB)")
    if args.dry_run:
        return 0
    hub_progress_bars(True)  # the upload is this command's stage: its bar shows
    try:
        publish(
            args.out,
            args.repo_id,
            repo_type="dataset",
            token=args.token,
            private=args.private,
            allow_patterns=files,
            commit_message=args.message or f"Upload {Path(args.out).name} prepared with bimotion",
        )
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"pushed to https://huggingface.co/datasets/{args.repo_id}")
    return 0
