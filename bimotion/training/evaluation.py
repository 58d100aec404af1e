"""Cross-group inference (§4.1, Table 3; ``recipes/infer.py``): :func:`infer` scores a trained model on
the test sets of any groups, per group and corpus with their chance levels, and writes
``inference_<split>.json`` with the model's training groups and each scored group's relation to them,
where the scored data came from (``scored_data``: each prepared dataset's source, protocol, seed and
``prepare.json`` digest), and which scored clips the model trained on (``training_clips``).

A test set prepared again with another seed, or another protocol, shares clips with the training set
of a model trained on the first preparation: those clips are in the model's ``train_manifest.txt``.
They are found by clip id, and by identical audio where the scored data's ``prepare.json`` lists the
set (``identical_audio``: the sets of twins split apart or labelled differently, up to 100 per corpus
and kind; twins kept in one split share it in every preparation, so their ids are found).  Such
scores are not held-out ones: one warning names the count, the data and the model, and the file marks
them (``training_clips``, per group too, and the group's ``relation``: ``in_group_not_held_out``) and so
does the printed table (``‡``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from bimotion.data.layout import recorded_infos
from bimotion.registry import BENCHMARKS
from loaders.files import write_error, write_text_atomic

from .bootstrap import INTERVAL_SAMPLES
from .data import DataError, default_test_configs, load_split, sources_of
from .data_checks import check_datasets, split_list
from .identity import dataset_identity
from .inference import predict, scoring_device
from .metrics import read_trained_labels, score_groups
from .mixtures import relation
from .outputs import MANIFEST, SCORES, ScoresNotWritten, inference_file, training_manifest
from .parsing import ArgumentError
from .processes import note, on_main_process_only
from .provenance import command_scope, provenance
from .public import dataset_source, public_source
from .spec import DataArguments
from .training_args import SERTrainingArguments


def infer(
    model_name_or_path: str | os.PathLike,
    data_args: DataArguments,
    training_args: SERTrainingArguments | None = None,
    *,
    configs: list[str] | None = None,
    split: str = "test",
    output_file: str | os.PathLike | None = None,
    command: list[str] | None = None,
) -> dict:
    """Score a trained model on ``split`` of ``configs`` (default: every group of the given datasets),
    with :func:`bimotion.training.inference.predict` on whole clips; writes ``output_file`` (default:
    ``inference_<split>.json`` in the model folder) and returns its content.  ``training_args``: the
    batch size, progress bar, processes and ``use_cpu`` (the CPU even where a GPU is available) (default: :class:`SERTrainingArguments`' defaults);
    ``command``: the command line ``provenance`` names (default: this process's; :func:`~.provenance.command_scope`).
    ``data_args.test_configs`` (:func:`~bimotion.training.run.train`'s test sets) is not what it scores: set
    without ``configs``, it is an :class:`~.parsing.ArgumentError` naming the fix (``configs=``); with
    ``configs``, it stands aside."""
    if data_args.test_configs and configs is None:  # else scored every group and said nothing of it
        raise ArgumentError(
            f"data_args.test_configs {data_args.test_configs}: infer() scores the groups of configs= (default: every "
            f"group of the given datasets), not train()'s test_configs: give configs={data_args.test_configs}"
        )
    # a missing folder named now, not sought on the Hub
    check_datasets(data_args.datasets, cache_dir=data_args.dataset_cache_dir)
    name = os.fspath(model_name_or_path)
    name = os.path.expanduser(name) if name.startswith("~") else name  # a Hub id never starts with ~
    with command_scope(command):
        return _infer(name, data_args, training_args or SERTrainingArguments(),
                      configs=configs, split=split, output_file=output_file)  # fmt: skip


def _infer(model_name_or_path: str, data_args, training_args, *, configs, split: str, output_file) -> dict:
    sources = sources_of(data_args)
    configs = split_list(configs) or default_test_configs(sources, split=split)
    if not configs:
        raise DataError(f"no group of the given prepared datasets has {split} rows: nothing to score")
    dataset = load_split(sources, configs, split)
    processes = (training_args.process_index, training_args.world_size)
    # in a launch of several processes each predicts a share of the batches and every one gets the whole
    pred = predict(
        model_name_or_path,
        dataset,
        batch_size=training_args.per_device_eval_batch_size,
        progress=not training_args.disable_tqdm,
        pad_to_multiple_of=data_args.pad_to_multiple_of,
        device=scoring_device(use_cpu=training_args.use_cpu),  # --use_cpu: the CPU; each launched process its GPU
        processes=processes,
    )
    # then the main one scores and writes; the others wait and return its result
    return on_main_process_only(
        lambda: _scored(model_name_or_path, pred, sources, configs, split, output_file), *processes
    )


def _scored(model_name_or_path: str, pred: dict, sources, configs, split: str, output_file) -> dict:
    """:func:`_infer`'s work on the main process: score the predictions ``pred``, and write the scores file."""
    trained_labels = read_trained_labels(model_name_or_path)  # the others are scored as predicted absent
    scores = score_groups(
        pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"],
        trained_labels=trained_labels, intervals=INTERVAL_SAMPLES, speakers=pred["speaker"],
    )  # fmt: skip
    trained_on = _trained_groups(model_name_or_path)
    given = {name: getattr(sources, name) for name in BENCHMARKS if getattr(sources, name)}
    infos, unreached = _scored_records(given)
    seen = training_clips(model_name_or_path, pred, infos.values(), unread=unreached)
    for group, counted in seen.get("groups", {}).items():
        scores["groups"][group]["training_clips"] = counted["clips"]  # the tables mark the group
    warn_training_clips(seen, model_name_or_path, given, split)
    result = {
        "model": model_name_or_path,
        "split": split,
        "configs": configs,
        "datasets": given,
        "scored_data": {
            name: _data_provenance(source, infos[name], unreached.get(name)) for name, source in given.items()
        },
        "training_clips": seen,
        "trained_on": trained_on,
        "trained_labels": trained_labels,
        "relation": {g: scored_relation(trained_on, g, v) for g, v in scores["groups"].items()} if trained_on else None,
        "provenance": provenance({name: getattr(sources, name) for name in BENCHMARKS}),
        split: scores,
    }
    path = inference_file(model_name_or_path, split, output_file)
    # no path of this machine: by default the file lands in the model folder, which is published
    sources = {name: dataset_source(source) for name, source in result["datasets"].items()}
    text = json.dumps({**result, "model": public_source(model_name_or_path), "datasets": sources}, indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    except OSError as err:  # a full disk, a quota: the user's to fix (scan's and prepare's words), not a traceback
        raise ScoresNotWritten(write_error(err, path, "the scores", "--output_file").removeprefix("error: ")) from err
    result["output_file"] = str(path)
    return result


NOT_HELD_OUT = "_not_held_out"  # appended to a group's relation where its scored clips include training clips


def scored_relation(trained_on: list[str], group: str, values: dict) -> str:
    """A scored group's relation to the training groups (:func:`~.mixtures.relation`: ``in_group``, ...),
    with :data:`NOT_HELD_OUT` appended where ``values`` (its scores) record ``training_clips``: the one
    field the tables read never calls a score of clips the model trained on a held-out in-group one."""
    return relation(trained_on, group) + (NOT_HELD_OUT if values.get("training_clips") else "")


def _trained_groups(model_name_or_path: str) -> list[str] | None:
    path = Path(model_name_or_path) / SCORES
    if path.is_file():
        return json.loads(path.read_text()).get("train_groups")
    return None


def _scored_records(given: dict[str, str]) -> tuple[dict, dict]:
    """The scored data's ``prepare.json`` records (:func:`~bimotion.data.layout.recorded_infos`), and those
    of a Hub dataset that could not be fetched (``{benchmark: the error}``), each warned of: not taken for none."""
    unreached: dict = {}
    infos = recorded_infos(given, unreached=unreached)
    for err in unreached.values():
        note(f"warning: {err}; the scores' record of that data (scored_data) lacks its split rule and seed, and "
             "its clips with a training clip's audio were not looked for")  # fmt: skip
    return infos, unreached


def _data_provenance(source: str, info: dict | None, unreached: Exception | None = None) -> dict:
    """What the scored data is: its source as published files name it, the split rule and seed its
    ``prepare.json`` records, and that file's digest (a Hub dataset: its id); ``unreached``: why a Hub
    dataset's ``prepare.json`` could not be read (``unread``), where it could not."""
    info = info or {}
    unread = {"unread": str(unreached)} if unreached else {}
    return {"source": dataset_source(source), "protocol": info.get("protocol"), "seed": info.get("seed"),
            **dataset_identity(source), **unread}  # fmt: skip


def identical_to(infos, manifest: frozenset[str]) -> set[str]:
    """The clips that the ``prepare.json`` records ``infos`` list as identical audio
    (``identical_audio``'s ``listed`` sets) to a clip of ``manifest``, those of ``manifest`` included."""
    twins: set[str] = set()
    for info in infos:
        for entry in ((info or {}).get("identical_audio") or {}).values():
            listed = entry.get("listed") if isinstance(entry, dict) else None
            for sets in (listed or {}).values():
                for ids in sets:
                    if manifest.intersection(ids):
                        twins.update(ids)
    return twins


def trained_clip_masks(model: str | os.PathLike, pred: dict, infos, unread=()) -> tuple[np.ndarray, ...] | None:
    """Which of the scored clips (``pred``'s ``id``) the model at ``model`` was trained on, by its
    ``train_manifest.txt``: ``(by_id, by_identical_audio, undecided)``, boolean per clip (:func:`identical_to`
    of the scored data's ``prepare.json`` records ``infos``; a clip counted by id is not counted again;
    ``undecided``: :func:`_undecided`, of the benchmarks ``unread`` whose record could not be read); None
    where the model has no manifest.  The grid reads a test set's clips from the first two."""
    whole = training_manifest(model)
    if whole is None:
        return None
    infos = list(infos)
    trained = _generated_in(model)  # read once, for both below
    manifest = _same_audio_ids(whole, trained, infos)
    ids = np.asarray(pred["id"])
    by_id = np.isin(ids, list(manifest))
    undecided = _undecided(pred, whole, trained, unread) & ~by_id
    return by_id, np.isin(ids, list(identical_to(infos, manifest))) & ~by_id, undecided


def _generated_in(model: str | os.PathLike) -> dict | None:
    """``{corpus: generator}`` of the corpora the model's training data had generated (:mod:`loaders.testing`),
    as its ``scores.json`` records them (``synthetic``); None where it does not say (older runs, a Hub copy not
    fetched)."""
    from .outputs import model_scores

    synthetic = model_scores(model).summary.get("synthetic")
    if not isinstance(synthetic, dict):
        return None
    return {c: d for bench in synthetic.values() if isinstance(bench, dict) for c, d in bench.items()}


def _undecided(pred: dict, manifest: frozenset[str], trained: dict | None, unread) -> np.ndarray:
    """The scored clips whose id is one of ``manifest``'s in a corpus the model's training data had generated
    (``trained``: :func:`_generated_in`), of a benchmark in ``unread`` (a Hub dataset whose ``prepare.json``
    could not be read): whether they are that generated data (the same clips) or real data named alike cannot
    be told, and :func:`_same_audio_ids` would read them as real.  None is, where the model records nothing."""
    ids = np.asarray(pred["id"])
    if not unread or trained is None:
        return np.zeros(len(ids), dtype=bool)
    groups = [g for name in unread if name in BENCHMARKS for g in BENCHMARKS[name].groups]
    corpus = np.asarray([i.split("/", 1)[0] in trained for i in ids.tolist()], dtype=bool)
    return corpus & np.isin(np.asarray(pred["group"]), groups) & np.isin(ids, list(manifest))


def _same_audio_ids(manifest: frozenset[str], trained: dict | None, infos) -> frozenset[str]:
    """``manifest`` without the clips of a corpus that the model's training data (``trained``:
    :func:`_generated_in`) and the scored data (``infos``) did not both take from the same source: one
    generated (:mod:`loaders.testing`, as its ``scores.json`` and their ``prepare.json`` record it) and the
    other real, or generated otherwise, share clip ids (``csed/Natural/Nat_Female-1``) and no audio.  A model
    whose ``scores.json`` does not say keeps its whole manifest."""
    if trained is None:
        return manifest  # not recorded (older runs, a Hub copy not fetched): every id counts
    scored = {
        c: d for info in infos if isinstance((info or {}).get("synthetic"), dict) for c, d in info["synthetic"].items()
    }
    apart = {c for c in trained.keys() | scored.keys() if trained.get(c) != scored.get(c)}
    return frozenset(i for i in manifest if i.split("/", 1)[0] not in apart) if apart else manifest


def training_clips(model: str | os.PathLike, pred: dict, infos, masks: list | None = None, *, unread=()) -> dict:
    """Which of the scored clips (``pred``: :func:`~.inference.predict`'s ``id`` and ``group``) the model
    at ``model`` was trained on (:func:`trained_clip_masks`, appended to ``masks`` where given and
    checked, for a caller that marks the clips: the grid): their count, by clip id and by identical
    audio, per group where any, and the first few ids.  Not checked where the model has no manifest, or
    where it is on the Hub and its manifest could not be fetched (``"unreached": True``,
    :func:`warn_training_clips` warns of it: infer's, predict's and the grid's one way of saying so).
    ``unread``: the benchmarks whose scored data's record could not be read (a Hub dataset not reached): the
    clips of those whose id is a training clip's of a generated corpus are counted as ``undecided``, not read
    as real data (:func:`_undecided`)."""
    from bimotion.hub import HubUnreachableError

    try:
        found = trained_clip_masks(model, pred, infos, unread)
    except HubUnreachableError as err:  # it may have one: not "none", and the way out said
        return {"checked": False, "unreached": True, "why": str(err)}  # its repository, why, and what to do
    if found is None:
        return {"checked": False, "why": f"no {MANIFEST} beside the model (recipes/train.py writes it)"}
    if masks is not None:
        masks.append(found)
    by_id, by_audio, undecided = found
    ids, groups = np.asarray(pred["id"]), np.asarray(pred["group"])
    held = set(groups[undecided].tolist())  # the unread datasets those clips are of
    unread = [name for name in sorted(unread) if name in BENCHMARKS and held & set(BENCHMARKS[name].groups)]
    unsure = {"undecided": {"clips": int(undecided.sum()), "datasets": unread,
                            "examples": sorted(ids[undecided].tolist())[:5]}} if undecided.any() else {}  # fmt: skip
    hit = by_id | by_audio
    per_group = {
        str(g): {"clips": int(hit[groups == g].sum()), "of": int((groups == g).sum())}
        for g in dict.fromkeys(groups.tolist())
        if hit[groups == g].any()
    }
    return {
        "checked": True, "clips": int(hit.sum()), "of": len(ids), "by_id": int(by_id.sum()),
        "by_identical_audio": int(by_audio.sum()), "groups": per_group, "examples": sorted(ids[hit].tolist())[:5],
        **unsure,
    }  # fmt: skip


def warn_training_clips(
    seen: dict,
    model: str | os.PathLike,
    datasets: dict[str, str],
    split: str,
    *,
    marked: str = "the scores file marks them (training_clips)",
    fix: str = "Score the model on the data it was trained from (the same prepared folder), or on clips it never heard",
) -> None:
    """One warning line (standard error, main process) when scored clips are ones the model trained on;
    ``marked``: where the scores say so, ``fix``: what to do (the grid's and the probe's own words); and
    one when the model's manifest could not be fetched from the Hub (``seen["unreached"]``)."""
    if seen.get("unreached"):
        note(f"warning: the {split} clips scored were not checked against those {model} was trained on: {seen['why']}")
    if undecided := seen.get("undecided"):
        unread = ", ".join(f"{name} {datasets[name]}" for name in undecided["datasets"] if name in datasets)
        note(
            f"note: {undecided['clips']} of the {seen['of']} {split} clips scored ({unread}) have the clip id of one "
            f"{model} was trained on, in a corpus its training data had generated; whether they are those generated "
            "clips or real ones named alike could not be told, their data's prepare.json not read: they are not "
            "marked. Rerun where the Hub answers to check them"
        )
    if not seen.get("clips"):
        return
    where = ", ".join(f"{name} {source}" for name, source in datasets.items())
    groups = ", ".join(f"{g} {c['clips']} of {c['of']}" for g, c in seen["groups"].items())
    how = f"{seen['by_id']} by clip id" + (
        f", {seen['by_identical_audio']} by identical audio" if seen["by_identical_audio"] else ""
    )
    note(
        f"warning: {seen['clips']} of the {seen['of']} {split} clips scored ({where}) are clips {model} was trained "
        f"on ({how}; its {MANIFEST}): {groups}. These are not held-out scores; {marked}. {fix}"
    )
