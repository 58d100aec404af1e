"""A fine-tuned model folder made ready for its Hub repository, as ``bimotion push`` sends it: the
run's scores.json read and checked, the licence warnings of its training corpora, the card and
scores.json naming the repository (and the Hub datasets its local training folders were pushed to
since), and the files an earlier bimotion wrote in a form a Hub user cannot load, rewritten."""

from __future__ import annotations

import json
from pathlib import Path


def read_scores(model_dir) -> dict:
    """The run's scores.json (what push reads of it: ``run_name``, ``train_corpora``); ValueError
    naming the file when it is not a training run's."""
    from bimotion.training.outputs import SCORES

    path = Path(model_dir) / SCORES
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is unreadable ({err}): give the folder a training run wrote") from err
    if not isinstance(summary, dict) or not {"run_name", "train_corpora"} <= set(summary):
        raise ValueError(f"{path} is not a training run's (no run_name and train_corpora): give the folder it wrote")
    return summary


def model_licence_warnings(model_dir, summary: dict | None = None) -> list[str]:
    """A warning for each restricted licence among the corpora the model was trained on (one for
    those that are generated, whose licence is bimotion's); a corpus this process does not know (your own, registered when the model was trained) is judged by the
    licence training wrote into the model card.  ``summary``: its scores.json, read here when None."""
    from huggingface_hub import ModelCard

    from bimotion.card_metadata import licence_terms
    from bimotion.hub_licences import licence_warnings as warnings_of
    from bimotion.hub_licences import sharing_licences, synthetic_warnings

    summary = read_scores(model_dir) if summary is None else summary
    synthetic = {c for corpora in (summary.get("synthetic") or {}).values() for c in corpora}
    generated, licences, unknown = sharing_licences(summary["train_corpora"], synthetic)
    warnings = synthetic_warnings(generated, "model") + warnings_of(licences, "model")
    card_licence = ModelCard.load(Path(model_dir) / "README.md").data.license if unknown else None
    terms = licence_terms(card_licence or "other") if unknown else ""
    if terms:
        warnings.append(
            f"{', '.join(unknown)}: the model card's licence ({card_licence or 'none given'}, from its training "
            f"corpora): {terms}"
        )
    return warnings


def recarded_model(
    model_dir,
    repo_id: str,
    summary: dict | None = None,
    datasets: dict[str, str] | None = None,
    *,
    unedited: bool | None = None,
) -> dict[str, str]:
    """``{file name: new text}``: scores.json (``summary``, read here when None) recording ``repo_id``
    and the card whose how-to snippet loads it instead of the folder (``path/to/<run>``) or an
    earlier repository.  ``datasets``: ``{benchmark: Hub id}`` named in place of the local folders
    they were pushed from (:func:`pushed_datasets`): the card, unedited, is then written anew from
    scores.json.  scores.json keeps the new card's digest while the card is bimotion's alone (an
    edited one is never written anew; ``unedited``: :func:`model_card_unedited`, judged here when None).
    Raises ValueError when the card has no such snippet."""
    from bimotion.training.model_card import CARD_DIGEST, card_digest, model_reference, render_card
    from bimotion.training.outputs import SCORES

    folder = Path(model_dir)
    summary = read_scores(folder) if summary is None else summary
    card = (folder / "README.md").read_text(encoding="utf-8") if (folder / "README.md").is_file() else ""
    loads = f'model="{model_reference(summary)}"'
    if loads not in card:
        raise ValueError(
            f"{folder / 'README.md'} has no how-to snippet loading {loads}: was the card edited or removed?"
        )
    recorded = {**summary, "hub_model_id": repo_id, "datasets": {**summary["datasets"], **(datasets or {})}}
    unedited = card_unedited(card, summary) if unedited is None else unedited
    recorded.pop(CARD_DIGEST, None)
    new_card = str(render_card(recorded)) if datasets else card.replace(loads, f'model="{repo_id}"')
    if unedited:
        recorded[CARD_DIGEST] = card_digest(new_card)
    return {SCORES: json.dumps(recorded, indent=2) + "\n", "README.md": new_card}


def model_card_unedited(model_dir, summary: dict) -> bool:
    """Whether the model folder's card is the one bimotion last wrote for its run (:func:`card_unedited`;
    False when it has none): judged once per push, for :func:`pushed_datasets` and :func:`recarded_model`."""
    card = Path(model_dir) / "README.md"
    return card.is_file() and card_unedited(card.read_text(encoding="utf-8"), summary)


def card_unedited(card: str, summary: dict) -> bool:
    """Whether the model card's text ``card`` is the one bimotion last wrote for the run ``summary``
    (scores.json): its digest is the one recorded there, or, for a run that recorded none (an
    earlier bimotion), it is what this version renders."""
    from bimotion.training.model_card import CARD_DIGEST, card_digest, render_card

    recorded = summary.get(CARD_DIGEST)
    return card_digest(card) == recorded if recorded else card == str(render_card(summary))


def pushed_datasets(
    model_dir, summary: dict, data_dirs=(), *, unedited: bool | None = None
) -> tuple[dict[str, str], list[str]]:
    """``({benchmark: Hub id}, notes)``: the Hub datasets that the local prepared folders a model was
    trained on (``local:<name>`` in scores.json) have been pushed to since (their ``pushed.json``).  A
    folder is one of ``data_dirs`` (``push --data-dir``, any name), else looked for by its name in the
    working directory and beside the model folder and each of its parents; it counts only if its
    ``prepare.json`` is the one the run recorded (``provenance``).  A note for each folder not found
    pushed, and for a card edited since training (left as it is; ``unedited``: :func:`model_card_unedited`,
    judged here when None)."""
    from bimotion.data.pushed import pushed_hub_id
    from bimotion.training.identity import dataset_identity
    from bimotion.training.model_card import CARD_DIGEST
    from bimotion.training.public import LOCAL

    recorded, found, notes = (summary.get("provenance") or {}).get("data") or {}, {}, []
    model = Path(model_dir).expanduser().resolve()
    given = [Path(d).expanduser() for d in data_dirs]
    for bench, source in summary["datasets"].items():
        if not (isinstance(source, str) and source.startswith(LOCAL) and recorded.get(bench)):
            continue
        places = dict.fromkeys([Path.cwd(), model.parent, *model.parent.parents])
        folders = given + [p / source[len(LOCAL) :] for p in places if (p / source[len(LOCAL) :]).is_dir()]
        hub_id = next((pushed_hub_id(f) for f in folders if dataset_identity(str(f)) == recorded[bench]), None)
        if hub_id:
            found[bench] = hub_id
        else:
            notes.append(
                f"the card names {bench}'s data {source}, a local folder: to link its Hub dataset, push that "
                "folder (`bimotion push FOLDER --repo-id ...`), then this model again with `--data-dir FOLDER`"
            )
    card = Path(model_dir) / "README.md"
    if found and card.is_file() and not (model_card_unedited(model_dir, summary) if unedited is None else unedited):
        why = (
            "was edited since training"
            if summary.get(CARD_DIGEST)
            else ("is not the card this bimotion writes (edited since training, or written by an earlier bimotion)")
        )
        notes.append(f"{card} {why}: it keeps naming local folders (its Hub datasets: "
                     f"{', '.join(found.values())}); add the links yourself")  # fmt: skip
        found = {}
    return found, notes


def run_files_for_the_hub(model_dir) -> dict[str, tuple[str | bytes, str]]:
    """``{file name: (new content, why)}`` for the files transformers wrote into a model folder that
    an earlier bimotion left in a form a Hub user cannot use: a ``training_args.bin`` of bimotion's
    own class (loading it needs bimotion) becomes plain ``TrainingArguments``
    (:func:`bimotion.training.training_args.plain_arguments`), and a ``trainer_state.json`` naming its
    best checkpoint by a path of this machine names it relative to the folder.  Empty for a folder
    trained since.  ValueError naming the file when it is unreadable, or when the first needs torch
    and transformers that are not installed."""
    from bimotion.training.public import public_path

    folder, files = Path(model_dir), {}
    args_file, state_file = folder / "training_args.bin", folder / "trainer_state.json"
    if args_file.is_file() and b"bimotion.training." in args_file.read_bytes():  # torch's zip stores the pickle as is
        files[args_file.name] = (
            _plain_training_args(args_file),
            "as plain TrainingArguments, which load without bimotion",
        )
    try:
        state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{state_file} is unreadable ({err}): give the folder a training run wrote") from err
    best = state.get("best_model_checkpoint") if isinstance(state, dict) else None
    if isinstance(best, str) and Path(best).is_absolute():
        state["best_model_checkpoint"] = public_path(best, folder)
        text = json.dumps(state, indent=2, sort_keys=True) + "\n"
        files[state_file.name] = (
            text,
            "naming its best checkpoint relative to the folder, not by a path of this machine",
        )
    return files


def _plain_training_args(path: Path) -> bytes:
    """The content of a ``training_args.bin`` holding plain ``TrainingArguments`` in place of ``path``'s."""
    import io

    try:
        import torch

        from bimotion.training.training_args import plain_arguments
    except ImportError as err:
        raise ValueError(
            f"{path} holds bimotion's own training arguments, which a Hub user cannot load; rewriting them as "
            "plain TrainingArguments needs torch and transformers (pip install 'bimotion[train]'), or delete it"
        ) from err
    args = torch.load(path, weights_only=False)  # this folder's own file, written by bimotion's training
    buffer = io.BytesIO()
    torch.save(plain_arguments(args), buffer)
    return buffer.getvalue()
