"""Upload a prepared folder (a dataset repository) or a fine-tuned model folder (a model repository)
to the Hugging Face Hub, private by default.

Example:
  bimotion push bimotion --repo-id my-lab/bimotion --dry-run     # list what would be uploaded
  bimotion push bimotion --repo-id my-lab/bimotion               # private repo (log in first:
                                                                 #  `hf auth login` or HF_TOKEN)
  bimotion push results/paper/models/zho_eld/seed0 --repo-id my-lab/ser-zho-eld
                                                    # a model train.py or a fine-tuning grid wrote
  bimotion push runs/m1 --repo-id my-lab/ser-m1 --data-dir ~/data/bimotion
                                                    # its card links that folder's Hub dataset

A model folder's card is changed for its new home first (its how-to snippet loads OWNER/NAME,
scores.json records it); its checkpoints and run_identity.json (what resuming checks) stay
behind.  A folder trained by an earlier bimotion gets a training_args.bin of plain
TrainingArguments (which load without bimotion) and a trainer_state.json naming its best
checkpoint relative to the folder, not by a path of this machine.  What a file browser or a macOS
zip left (.DS_Store, ._*, __MACOSX/) is not sent, and counted.  Probe heads are not pushed.  Most
source corpora restrict what is made from them (non-commercial, no-derivatives and share-alike
clauses, research-only licences): the command warns about each one in the folder or the model's
training data, saying what it restricts and what to do; make a repo public only when every licence
allows it.
"""

from __future__ import annotations

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
    parser.add_argument(
        "--data-dir",
        action="append",
        default=[],
        metavar="FOLDER",
        help="a model's push: a prepared folder it was trained on that was pushed since, so that the card links "
        "that Hub dataset (found without this in the working directory and beside the model folder or its parents; "
        "repeat for several)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be uploaded; touch no network")
    parser.add_argument("--message", default=None, help="commit message")
    parser.add_argument("--token", default=None, help="Hub token (default: the logged-in one or HF_TOKEN)")


def dataset_files(out_dir, info: dict | None = None) -> list[str]:
    """The files a push sends: the card, prepare.json and the Parquet files that prepare.json lists,
    each as prepare wrote it (:func:`bimotion.verify.check_files`: present, unchanged, readable);
    ``info``: the folder's prepare.json, read here when None."""
    from bimotion.data.layout import CARD_FILE, INFO_FILE, read_info
    from bimotion.verify import check_files

    out = Path(out_dir)
    info = read_info(out) if info is None else info
    paths = [CARD_FILE, INFO_FILE] + [rel for shard in info["shards"] for rel in shard["files"]]
    missing = [p for p in paths if not (out / p).is_file()]
    if missing:
        raise FileNotFoundError(f"{out} is incomplete: {', '.join(missing[:5])} missing; run `bimotion check {out}`")
    problems = check_files(out, info)[0]  # files it does not list stay behind: left_behind says them
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(f"{out} is not as prepare wrote it: {problems[0]}{more}; run `bimotion check {out}`")
    return paths


def left_behind(out_dir, plan: list[tuple[str, int]], everything: list[tuple[str, int]]) -> str | None:
    """A note naming the files of a prepared folder that an upload of the whole folder would send
    (``everything``: :func:`bimotion.hub_upload.upload_plan` of it) and the push (``plan``: what
    prepare.json lists) does not: a LICENSE you added, a file an interrupted run left; None when there
    are none.  They stay behind, said, never dropped in silence."""
    from bimotion.data.layout import PUSHED_FILE
    from loaders.errors import some_files
    from loaders.tables import counted

    sent = {path for path, _ in plan} | {PUSHED_FILE}  # the record of an earlier push: this folder's own
    left = [path for path, _ in everything if path not in sent]
    if not left:
        return None
    stay = "stays" if len(left) == 1 else "stay"
    return (
        f"{counted(len(left), 'file')} in {out_dir} that prepare did not write {stay} behind (a push sends what "
        f"prepare.json lists): {some_files(left)}; `hf upload REPO FILE --repo-type dataset` sends one"
    )


def unentered_link_notes(links: list[tuple[str, str]], folder) -> list[str]:
    """A note for each link to a folder that the walk did not enter and no upload sends (its files are sent once, by
    their own path, or are not the upload's): ``not sent: data/x, a link to REAL, inside this folder``."""
    from bimotion.data.walk import not_entered

    return [f"not sent: {path}, a link to {target}, {not_entered(folder, target)}" for path, target in links]


def browser_note(left: list[str]) -> str | None:
    """A note counting what a file browser or a macOS zip left in the folder (``.DS_Store``, ``._*``,
    ``__MACOSX/``: ``left``, from the walk of :func:`bimotion.hub_upload.upload_listing`), which no upload
    sends; None when there is none."""
    from loaders.errors import some_files
    from loaders.tables import counted

    if not left:
        return None
    return (
        f"not sent: {counted(len(left), 'file')} a file browser or a macOS zip left (no one's work): {some_files(left)}"
    )


def licence_warnings(out_dir, info: dict | None = None) -> list[str]:
    """A warning for each restricted licence among a prepared folder's corpora, and one when some
    are generated (``prepare.json``'s ``synthetic``, ``info``: read here when None; a copy of one of
    the seven has bimotion's licence)."""
    from bimotion.data.layout import read_info
    from bimotion.hub_licences import licence_warnings as warnings_of
    from bimotion.hub_licences import sharing_licences, synthetic_warnings

    info = read_info(out_dir) if info is None else info
    generated, found, _ = sharing_licences(info["corpora"], info.get("synthetic") or {}, info)
    return synthetic_warnings(generated, "dataset") + warnings_of(found)


def folder_kind(folder) -> str:
    """What ``folder`` is pushed as, decided here only: ``"dataset"`` (a prepared folder, prepare.json)
    or ``"model"`` (a fine-tuned model: a config and the run's scores.json); ValueError saying why it
    is neither (no such folder, both kinds, a probe head, nothing of either)."""
    from bimotion.data.layout import INFO_FILE, is_prepared, prepared_near
    from bimotion.training.outputs import SCORES, MixedModelFolder, model_kind, models_hint, probes_note

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder" + (" (it is a file)" if folder.exists() else ""))
    try:
        saved = model_kind(folder)
    except MixedModelFolder as err:
        raise ValueError(str(err)) from err
    model, dataset = saved == "model" and (folder / SCORES).is_file(), is_prepared(folder)
    if model and dataset:
        raise ValueError(
            f"{folder} holds both a prepared dataset ({INFO_FILE}) and a model (config.json): push them from "
            "separate folders"
        )
    if saved == "probe" or (folder / "probe.pt").is_file() and not model:
        raise ValueError(
            f"{folder} is a probe head (probe.pt on frozen features), which `transformers` cannot load from the "
            "Hub; push a fine-tuned model folder (recipes/train.py, a grid with backend: finetune)"
        )
    if not model and not dataset:
        neither = f"{folder} is neither a prepared folder ({INFO_FILE}) nor a fine-tuned model folder (config.json "
        hint = prepared_near(folder) or models_hint(folder)
        probes = None if hint else probes_note(folder, "push does not upload")
        if probes:  # a probe-backed advise's or grid's output, or its models/
            raise ValueError(f"{neither}and scores.json), and {probes}")
        raise ValueError(f"{neither}and scores.json){hint}: give the folder `bimotion prepare` or a training run wrote")
    return "model" if model else "dataset"


def recarded_dataset(out_dir, repo_id: str) -> dict[str, str]:
    """``{"README.md": text}``: the prepared folder's card with its snippet loading ``repo_id``, sent in
    its place (the folder is never written); empty when the card has no snippet loading the folder."""
    from bimotion.data.layout import CARD_FILE
    from bimotion.dataset_card import card_for_repo

    card = card_for_repo((Path(out_dir) / CARD_FILE).read_text(encoding="utf-8"), repo_id)
    return {} if card is None else {CARD_FILE: card}


def _say_recarded(args, files: dict[str, str], model: bool) -> None:
    """One line on the files that name the repository: written again (a model's), sent in place of the
    folder's (a dataset's card), or a note that the card is sent as it is."""
    will = "would be" if args.dry_run else "is" if len(files) == 1 else "are"
    if model:
        print(f"{' and '.join(files)} {will} written again to name {args.repo_id}")
    elif files:
        print(f"{' and '.join(files)} {will} sent naming {args.repo_id} (the folder's copy stays as it is)")
    else:
        print(f"note: {args.out}/README.md has no snippet loading this folder: it is sent as it is", file=sys.stderr)


def run(args) -> int:
    """Long: checks, the listing, then the upload; the same steps for a dataset and a model."""
    from bimotion.console import hub_progress_bars
    from bimotion.data.layout import DATA_DIR, read_info
    from bimotion.hub import HubError
    from bimotion.hub_upload import check_push, plan_lines, publish, repo_url, upload_listing
    from bimotion.signals import stop_if_lost
    from bimotion.training.hub_ready import (
        model_card_unedited,
        model_licence_warnings,
        pushed_datasets,
        read_scores,
        recarded_model,
        run_files_for_the_hub,
    )
    from loaders.files import open_atomic

    try:
        kind = folder_kind(args.out)
        data_dirs_checked(args.data_dir, kind)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    model = kind == "model"
    # a dataset's shards are replaced whole: named by content, an earlier push's stayed beside the new
    # ones (a corpus prepared out again stayed published)
    replaced = None if model else f"{DATA_DIR}/*.parquet"
    try:
        record = read_scores(args.out) if model else read_info(args.out)  # scores.json or prepare.json, read once
        files = None if model else dataset_files(args.out, record)
        unedited = model and model_card_unedited(args.out, record)  # judged once: an old card is rendered for it
        linked, link_notes = pushed_datasets(args.out, record, args.data_dir, unedited=unedited) if model else ({}, [])
        rewritten = recarded_model(args.out, args.repo_id, record, linked, unedited=unedited) if model else {}
        run_files = run_files_for_the_hub(args.out) if model else {}
        sent_as = {} if model else recarded_dataset(args.out, args.repo_id)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for warning in model_licence_warnings(args.out, record) if model else licence_warnings(args.out, record):
        print(f"warning: {warning}", file=sys.stderr)
    try:
        check_push(args.repo_id, token=args.token, dry_run=args.dry_run)
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        links: list[tuple[str, str]] = []  # links to folders the walk does not enter (inside OUT, above it, walked)
        everything, browsers = upload_listing(args.out, onlink=lambda *link: links.append(link))  # printed is sent
    except HubError as err:  # a folder it cannot list
        print(f"error: {err}", file=sys.stderr)
        return 2
    listed = set(files or ())
    plan = everything if model else [(path, size) for path, size in everything if path in listed]
    print("\n".join(plan_lines(plan, args.repo_id, repo_type=kind, private=args.private, dry_run=args.dry_run)))
    for note in (
        None if model else left_behind(args.out, plan, everything),
        browser_note(browsers),
        *unentered_link_notes(links, args.out),
    ):
        if note:
            print(f"note: {note}", file=sys.stderr)
    _say_recarded(args, rewritten if model else sent_as, model)
    for bench, hub_id in linked.items():
        print(f"the card and scores.json {'would name' if args.dry_run else 'name'} {bench}'s data by the Hub "
              f"dataset {hub_id}, where its prepared folder was pushed")  # fmt: skip
    for line in link_notes:
        print(f"note: {line}", file=sys.stderr)
    for name, (_, why) in run_files.items():
        print(f"{name} {'would be' if args.dry_run else 'is'} written again {why}")
    if args.dry_run and not model:
        print(f"Parquet files under {DATA_DIR}/ already in {args.repo_id} that this push does not send (an earlier "
              "push's shards) would be deleted in the same commit")  # fmt: skip
    if args.dry_run:
        return 0
    stop_if_lost()  # a stop a finalizer swallowed as it read the folder: nothing written again, nothing sent
    for name, content in {**rewritten, **{name: content for name, (content, _) in run_files.items()}}.items():
        with open_atomic(Path(args.out) / name, "wb" if isinstance(content, bytes) else "w") as file:
            file.write(content)
    hub_progress_bars(True)  # the upload is this command's stage: its bar shows
    removed: list[str] = []
    try:
        publish(
            args.out,
            args.repo_id,
            repo_type=kind,
            token=args.token,
            private=args.private,
            plan=plan,
            sent_as=sent_as,
            replace=replaced,
            removed=removed,
            commit_message=args.message
            or f"Upload {Path(args.out).name} {'trained' if model else 'prepared'} with bimotion",
        )
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"pushed to {repo_url(args.repo_id, kind)}")
    if removed:
        from loaders.errors import some_files
        from loaders.tables import counted

        print(f"deleted from {args.repo_id} in the same commit: {counted(len(removed), 'Parquet file')} under {DATA_DIR}/ "
              "that an earlier push sent and this one does not (a corpus prepared out since, or another folder's data "
              f"pushed to this repository; its history keeps them): {some_files(removed)}")  # fmt: skip
    if not model:
        _record_push(args.out, args.repo_id)
    return 0


def data_dirs_checked(data_dirs: list[str], kind: str) -> None:
    """ValueError when ``--data-dir`` is given for a dataset's push, or names no prepared folder."""
    from bimotion.data.layout import INFO_FILE, is_prepared

    if data_dirs and kind != "model":
        raise ValueError("--data-dir names the prepared folders a model was trained on: give it with a model folder")
    for folder in data_dirs:
        if not is_prepared(Path(folder).expanduser()):
            raise ValueError(
                f"--data-dir {folder}: not a prepared folder (no {INFO_FILE}); give a folder `bimotion prepare` wrote"
            )


def _record_push(out_dir, repo_id: str) -> None:
    """Record in the prepared folder the Hub dataset it was just pushed to (``pushed.json``), for the
    cards of models trained on it; a note where the folder cannot be written (the push stands)."""
    from bimotion.data.layout import PUSHED_FILE
    from bimotion.data.pushed import record_push

    try:
        record_push(out_dir, repo_id)
    except OSError as err:
        print(
            f"note: {Path(out_dir) / PUSHED_FILE} could not be written ({err.strerror or err}): model cards of "
            f"this folder's data will name it by its folder, not {repo_id}",
            file=sys.stderr,
        )
