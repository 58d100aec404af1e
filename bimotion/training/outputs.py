"""The files a training run writes to its ``output_dir`` besides the model and its checkpoints:
shared by :mod:`.summary` (which writes them; the training manifest, a probe's too, through
:func:`write_training_manifest`) and :mod:`.identity` (which checks them) and
:mod:`.checkpoints` (which discards them); and
:func:`model_kind`, the one test of what a saved model folder holds; :func:`model_scores`, the one
reader of a saved model's ``scores.json`` (its folder's, or the copy uploaded beside it on the Hub);
:func:`trained_audio`, the digests of its training clips' audio that ``bimotion predict`` matches inputs by."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SCORES = "scores.json"  # validation and test scores, the run's summary
MANIFEST = "train_manifest.txt"  # the sorted clip ids the model was trained on
TRAINED_AUDIO = "train_audio.txt"  # "<samples> <digest> <id>" of each clip it trained on, by id (bimotion.features)
IDENTITY_FILE = "run_identity.json"  # what the run is, checked when it resumes
# per-group confusion counts on the test split (numbers: SCORES' "confusion"), and an SVG copy beside it
CONFUSION = "confusion_test.png"
PROBE_CONFIG = "probe.json"  # a probe's (bimotion.probe) head settings and trained labels, beside probe.pt
MODEL_CONFIG = "config.json"  # a fine-tuned model's (transformers) configuration
# in a checkpoint folder while it is being saved (transformers' JIT checkpoints use the same name): a
# save cut short by a kill leaves it, and resuming skips that checkpoint
INCOMPLETE = "checkpoint-is-incomplete.txt"
# in a checkpoint saved only because of SIGTERM: never the selected model, and removed by the next
# scheduled save, so that a resumed run keeps and selects what an uninterrupted run would
SAVED_AT_STOP = "bimotion_saved_at_sigterm.txt"


def inference_file(model_name_or_path: str | os.PathLike, split: str, output_file: str | os.PathLike | None) -> Path:
    """Where :func:`~.evaluation.infer` writes its scores: ``output_file``, else ``inference_<split>.json`` in the
    model folder (a Hub model's: in the working folder)."""
    if output_file:
        return Path(output_file).expanduser()
    local = Path(os.path.expanduser(model_name_or_path))
    return (local if local.is_dir() else Path(".")) / f"inference_{split}.json"


class ScoresNotWritten(OSError):
    """The scores file (:func:`inference_file`) could not be written (a full disk, a quota, a folder that went read-only as the clips were
    predicted), in :func:`loaders.files.write_error`'s words: where, why and the fix.  A user's error."""


class MixedModelFolder(ValueError):
    """A folder holding both a fine-tuned model and a probe: which one is meant cannot be told."""


def model_kind(folder: str | os.PathLike) -> str | None:
    """What the saved model folder ``folder`` holds: ``"probe"`` (``probe.json``, a head on frozen
    features), ``"model"`` (``config.json``, a fine-tuned model) or ``None`` (neither, or not a
    folder).  Both at once raise :class:`MixedModelFolder`: every check and every loader reads a
    folder through this, so none of them picks a different one."""
    path = Path(folder).expanduser()
    probe, model = (path / PROBE_CONFIG).is_file(), (path / MODEL_CONFIG).is_file()
    if probe and model:
        raise MixedModelFolder(
            f"{folder} holds both a fine-tuned model ({MODEL_CONFIG}) and a probe ({PROBE_CONFIG}): keep one model "
            "per folder (move one of them into a folder of its own)"
        )
    return "probe" if probe else "model" if model else None


def model_around(path: str | os.PathLike) -> Path | None:
    """The fine-tuned model folder (:data:`MODEL_CONFIG` beside its weights, or a folder :func:`model_kind`
    cannot tell) that ``path`` is or lies inside (links resolved), or None: ``bimotion push`` and
    ``--push_to_hub`` upload every file of one with its model, so a command's other output kept there would be
    published.  A folder with a ``config.json`` of something else (a project's own, no weights) is none."""
    path = Path(path).expanduser().resolve()
    for folder in (path, *path.parents):
        try:
            if model_kind(folder) == "model" and any(any(folder.glob(f"*{s}")) for s in (".safetensors", ".bin")):
                return folder
        except MixedModelFolder:
            return folder
        except OSError:  # a folder that cannot be entered: not known to be one
            continue
    return None


def models_below(folder: str | os.PathLike, depth: int = 3, *, config: str = MODEL_CONFIG) -> list[str]:
    """The folders below ``folder`` of models a training run fine-tuned (:data:`MODEL_CONFIG` and :data:`SCORES`:
    not a grid's untrained ``base-model``), at most ``depth`` levels down (a grid's or advise's output:
    ``OUT/models/<model>/seed<k>``), by their paths joined to ``folder`` as it was given, sorted; a model
    folder's own folders (its checkpoints) and links are not searched.  ``config`` :data:`PROBE_CONFIG`:
    the probes trained and scored below it instead (a probe-backed grid's or advise's)."""
    found: list[str] = []

    def visit(path: Path, given: str, level: int) -> None:
        try:
            children = sorted(c for c in path.iterdir() if c.is_dir() and not c.is_symlink())
        except OSError:
            return
        for child in children:
            if (child / config).is_file():
                found.extend([os.path.join(given, child.name)] if (child / SCORES).is_file() else [])
            elif level < depth:
                visit(child, os.path.join(given, child.name), level + 1)

    visit(Path(folder).expanduser(), str(folder), 1)
    return found


def models_hint(folder: str | os.PathLike, shown: int = 3) -> str:
    """`` (did you mean A or B or C, of 12 model folders below it?)``: the model folders below a folder given
    for one (:func:`models_below`), the first ``shown``; ``""`` when there are none."""
    found = models_below(folder)
    more = f", of {len(found)} model folders below it" if len(found) > shown else ""
    return f" (did you mean {' or '.join(found[:shown])}{more}?)" if found else ""


# what a grid's (recipes/grid.py, bimotion.grid.runner) and an advise run's (bimotion.advise.report) output
# folder holds beside its models/<model>/seed<k>: which of them wrote probes below a folder, and so how to rerun it
GRID_PLAN = "plan.json"
ADVICE = "advice.json"
RERUN = {
    ADVICE: "rerun bimotion advise with --config paper",
    GRID_PLAN: "rerun recipes/grid.py with a config that fine-tunes (backend: finetune, as --config paper)",
}


def probes_note(folder: str | os.PathLike, refusal: str) -> str | None:
    """``the 6 model folders below it (A, ...) are probes (heads on frozen features, ...), which REFUSAL: fine-tune
    ...``: what a command that takes only fine-tuned models (``refusal``: ``"predict does not run"``, ``"push does
    not upload"``) says of a folder with probes below it (:func:`models_below` with :data:`PROBE_CONFIG`: a
    probe-backed advise's or grid's output, its ``models/``) and how to get a fine-tuned model: rerun advise
    where the output is advise's (:data:`ADVICE` beside its ``models/``), the grid where it is a grid's
    (:data:`GRID_PLAN` alone: an advise cut short before its report reads as one too); None when there are none."""
    probes = models_below(folder, config=PROBE_CONFIG)
    if not probes:
        return None
    below = (
        f"the {len(probes)} model folders below it ({probes[0]}, ...) are probes (heads"
        if len(probes) > 1
        else f"the model folder below it ({probes[0]}) is a probe (a head"
    )
    output = _probes_output(Path(probes[0]), Path(folder))
    found = [fix for marker, fix in RERUN.items() if output and (output / marker).is_file()]
    rerun = found[0] if found else ", or ".join(RERUN.values())  # neither marker: models moved out of their output
    return (
        f"{below} on frozen features, as advise's default probe backend and recipes/probe.py train), which "
        f"{refusal}: fine-tune the mixture you want with recipes/train.py --train_configs MIXTURE, or {rerun}"
    )


def _probes_output(probe: Path, given: Path) -> Path | None:
    """The output folder (advise's or a grid's) the probe at ``probe`` lies in, walking up from it: the
    nearest folder, up to ``given`` (the folder the user gave), that holds a marker (:data:`RERUN`), or
    above ``given`` the nearest holding one beside the ``models/`` the probe lies in, at any depth below
    it (``OUT/models/<model>/seed<k>``, ``OUT/models/<batch>/<model>/seed<k>``); None where none does."""
    probe, given = probe.expanduser().resolve(), given.expanduser().resolve()
    for folder in probe.parents:
        inside = folder == given or given in folder.parents  # at or below the folder the user gave
        if (inside or (folder / "models") in probe.parents) and any((folder / m).is_file() for m in RERUN):
            return folder
    return None


@dataclass(frozen=True, slots=True)
class ModelScores:
    """A saved model's ``scores.json`` as :func:`model_scores` read it: ``summary`` (``{}`` unless
    ``state`` is ``"read"``), ``where`` (the file, or the Hub id's file), ``state`` (``"read"``,
    ``"missing"``: the model has none, or the Hub answered that its repository holds none,
    ``"unreadable"``: not a JSON object, ``"unfetched"``: on the Hub, which could not be asked or refused
    (:class:`~bimotion.hub.HubUnreachableError`), and not cached) and ``why`` (what went wrong, and for
    ``"unfetched"`` what to do, for the last two)."""

    summary: dict
    where: str
    state: str = "read"
    why: str | None = None

    @property
    def precision(self) -> str | None:
        """The mixed precision the model trained in, as training recorded it (``hyperparameters.precision``:
        ``"bf16"``, ``"fp16"`` or ``"no"``), else None (no such file, or a model trained elsewhere)."""
        hyper = self.summary.get("hyperparameters")
        value = hyper.get("precision") if isinstance(hyper, dict) else None
        return value if value in TRAINED_PRECISIONS else None


TRAINED_PRECISIONS = ("bf16", "fp16", "no")  # TrainingArguments.mixed_precision's values


def model_scores(source: str | os.PathLike, *, cache_dir: str | None = None) -> ModelScores:
    """The ``scores.json`` of a saved model, read once for every question asked of it (generated
    training data, quality against chance); ``source``: the model's folder, or its Hub id (the copy
    ``bimotion push`` uploads beside it; ``cache_dir``: the Hub cache to use)."""
    import json

    from bimotion.hub import HubUnreachableError, hub_file, is_hub_id
    from loaders.errors import json_kind

    path: Path | None = Path(source).expanduser() / SCORES
    if not path.parent.exists() and is_hub_id(str(source)):
        where = f"{source}'s {SCORES} on the Hugging Face Hub"
        try:
            path = hub_file(str(source), SCORES, cache_dir=cache_dir)
        except HubUnreachableError as err:  # no network, a firewall, a refused token: it may well be there
            return ModelScores({}, where, "unfetched", err.why)
        if path is None:  # the Hub answered: not uploaded with it
            return ModelScores({}, where, "missing")
    if not path.is_file():
        return ModelScores({}, str(path), "missing")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return ModelScores({}, str(path), "unreadable", str(err).splitlines()[0] if str(err) else type(err).__name__)
    if not isinstance(summary, dict):
        return ModelScores({}, str(path), "unreadable", f"{json_kind(summary)}, not an object")
    return ModelScores(summary, str(path))


def generated_training_data(summary: dict) -> tuple[list[str], list[str]]:
    """The generated corpora (:mod:`loaders.synthetic`) a saved model was trained on, and the others
    (real speech: a user's own corpus beside the demo's), from its ``scores.json`` ``summary``
    (:func:`model_scores`): its ``train_corpora``, split by what its ``synthetic`` records (a run
    records every generated corpus of its prepared folders there); ``([], [])`` when none is
    generated, or the summary does not say."""
    if not isinstance(summary.get("synthetic"), dict):
        return [], []
    generated = {c for corpora in summary["synthetic"].values() if isinstance(corpora, dict) for c in corpora}
    trained = summary.get("train_corpora")
    if not isinstance(trained, list) or not generated.intersection(c for c in trained if isinstance(c, str)):
        return [], []
    trained = [c for c in trained if isinstance(c, str)]
    return [c for c in trained if c in generated], [c for c in trained if c not in generated]


def write_training_manifest(folder: str | os.PathLike, ids, audio=None) -> dict:
    """Write ``train_manifest.txt`` into the model folder ``folder``: the clip ids ``ids`` it was
    trained on, sorted, one a line (what :func:`training_manifest` reads back); the one writer, a
    fine-tuned model's (:mod:`.summary`) and a probe's (:mod:`bimotion.probe.run`).  ``audio``: ``(id,
    samples, digest)`` of each (:func:`bimotion.features.stored_digest`), written to :data:`TRAINED_AUDIO`
    (:func:`trained_audio` reads it).  Returns what ``scores.json`` records of it (``train_manifest``):
    ``{"hash": ids_hash, "num_clips": count}``."""
    from loaders.files import write_text_atomic

    from .data import ids_hash

    ids = sorted(ids)
    write_text_atomic(Path(folder).expanduser() / MANIFEST, "\n".join(ids) + "\n")  # a reader may be scoring
    if audio is not None:
        lines = [f"{samples} {digest} {clip}" for clip, samples, digest in sorted(audio)]
        write_text_atomic(Path(folder).expanduser() / TRAINED_AUDIO, "\n".join(lines) + "\n")
    return {"hash": ids_hash(ids), "num_clips": len(ids)}


def trained_audio(source: str | os.PathLike) -> dict[int, dict[str, str]] | None:
    """``{samples: {digest: clip id}}`` of the clips the model at ``source`` (a folder, a Hub id) trained on, by their
    stored audio (:data:`TRAINED_AUDIO`); None where it has none (trained before bimotion recorded it,
    elsewhere, a Hub repository that the Hub answers holds none).  One that does not read as training wrote it is
    a :class:`~loaders.errors.DamagedFileError` naming it and the line.  A Hub model's that could not be fetched and is not cached raises :class:`~bimotion.hub.HubUnreachableError`
    naming it and what to do, as :func:`training_manifest` does: it may well have one."""
    from loaders.errors import DamagedFileError

    path = _model_file(source, TRAINED_AUDIO)
    if path is None:
        return None

    def damaged(where: str, why: str) -> DamagedFileError:
        return DamagedFileError(
            f"{path} is not the list training writes (clip length, digest and id a line; {where}); copy it again "
            "from the training run's folder, or delete it to match input files by name only",
            why,
        )

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise damaged("not UTF-8 text", str(err)) from err
    found: dict[int, dict[str, str]] = {}
    for number, line in enumerate(lines, 1):
        samples, digest, clip = (line.split(" ", 2) + ["", ""])[:3]
        if not samples.isdigit() or not clip:
            raise damaged(f"line {number}: {line[:80]!r}", "not <samples> <digest> <clip id>")
        found.setdefault(int(samples), {})[digest] = clip
    return found


def _model_file(source: str | os.PathLike, name: str) -> Path | None:
    """The file ``name`` of the model at ``source`` (its folder, or its Hub id: fetched, or cached); None where
    it has none (a Hub repository that the Hub answers holds none).  One that could not be fetched and is not
    cached raises :class:`~bimotion.hub.HubUnreachableError` naming it and what to do: it may well be there."""
    from bimotion.hub import HubUnreachableError, could_not_read, hub_file, is_hub_id

    path = Path(source).expanduser() / name
    if not path.parent.exists() and is_hub_id(str(source)):
        try:
            path = hub_file(str(source), name)
        except HubUnreachableError as err:  # not "none": it may be there
            raise HubUnreachableError(could_not_read(f"{name} of {source}", err.why), err.why) from err
    return path if path is not None and path.is_file() else None


def training_manifest(source: str | os.PathLike) -> frozenset[str] | None:
    """The clip ids a saved model was trained on: its ``train_manifest.txt`` (one id a line, which
    training and a probe write beside the model, :func:`write_training_manifest`, and ``bimotion push``
    uploads with it); ``source``: the model's folder, or its Hub id; None where there is none (a model
    trained elsewhere, a Hub repository that the Hub answers holds none).  A Hub model whose manifest
    could not be fetched (no network, a firewall, a refused token) and is not cached raises
    :class:`~bimotion.hub.HubUnreachableError` naming the repository and what to do: it may well
    have one.  A manifest that is not text is a :class:`~loaders.errors.DamagedFileError` naming it."""
    from loaders.errors import DamagedFileError

    path = _model_file(source, MANIFEST)
    if path is None:
        return None

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DamagedFileError(
            f"{path} is not the text training writes (one clip id a line); copy it again from the training "
            "run's folder, or delete it to score without checking which clips the model trained on",
            str(err),
        ) from err
    return frozenset(line for line in text.splitlines() if line)
