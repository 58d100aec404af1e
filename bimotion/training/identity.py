"""What a training run is, so that a resume continues the same run or refuses.

At its start a run writes ``run_identity.json`` to its ``output_dir``: the training and validation
data (the resolved shards, a digest of the sorted clip ids of each split, a digest of each prepared
dataset's ``prepare.json`` — or its ``README.md`` — or its Hub id), the base model (a Hub id and
revision, or a digest of a local folder's config and weights) and every argument that changes the
trained model.  Resuming from a checkpoint compares the stored identity with the new one and refuses
on any difference, naming the fields; an argument the stored identity lacks (a transformers or
bimotion upgrade added it since) differs only when its value now is not its default, and one that
this transformers or bimotion no longer has (an upgrade dropped it) is not compared, in a one-line
note (on the main process only) naming the transformers that stored it, which the identity records
with accelerate's (:data:`VERSIONS`, never compared; an identity written before holds none).  The
identity holds no secrets and no paths, so a moved output or data folder resumes.

Differences that are ignored, and secrets never recorded, are
:mod:`bimotion.training.identity_fields`'s (:func:`~.identity_fields.compared` decides for both sides).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import os
from pathlib import Path

from loaders.files import sha256_of

from .identity_fields import compared
from .outputs import IDENTITY_FILE, SCORES
from .processes import on_main_process

log = logging.getLogger("bimotion.training")

WEIGHT_SUFFIXES = (".safetensors", ".bin")
VERSIONS = "versions"  # the identity's record of the libraries that wrote it: said in notes, never compared


class RunMismatch(ValueError):
    """A resume would continue a run trained on other data, model or hyper-parameters."""


class IncompleteCheckpoint(ValueError):
    """The checkpoint given to resume from was not saved whole (a kill cut its save short)."""


def _file_digest(path: Path) -> str:
    return "sha256:" + sha256_of(path)


def dataset_identity(source: str) -> dict:
    """A prepared dataset by content: its ``prepare.json`` (else its ``README.md``) digest, or its Hub id."""
    from bimotion.data.layout import CARD_FILE, INFO_FILE

    path = Path(source).expanduser()
    if not path.is_dir():
        return {"hub_id": source}
    for name in (INFO_FILE, CARD_FILE):
        if (path / name).is_file():
            return {name: _file_digest(path / name)}
    return {}  # no card to digest: the clip-id manifests still name the data


def model_identity(name_or_path: str, revision: str | None) -> dict:
    """A base model by content: a local folder's config and weight digests, or a Hub id and revision."""
    path = Path(name_or_path).expanduser()
    if not path.is_dir():
        return {"hub_id": name_or_path, "revision": revision}
    files = [p for p in ("config.json", "preprocessor_config.json") if (path / p).is_file()]
    files += sorted(p.name for p in path.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))
    return {name: _file_digest(path / name) for name in files}


ARGUMENTS = ("model_args", "data_args", "run_args", "training_args")  # the identity's sections of argument fields


def _fields(args) -> dict:
    values = args.to_dict() if hasattr(args, "to_dict") else dataclasses.asdict(args)
    return {k: v for k, v in values.items() if compared(k)}


def _counted(identity: dict) -> dict:
    """``identity`` without the argument fields that do not count (:func:`~.identity_fields.compared`): one stored by an
    older bimotion, in which a field was not yet harmless, still holds it."""
    return {
        section: {k: v for k, v in fields.items() if compared(k)}
        if section in ARGUMENTS and isinstance(fields, dict)
        else fields
        for section, fields in identity.items()
    }


def run_identity(
    model_args,
    data_args,
    run_args,
    training_args,
    *,
    sources,
    train_configs,
    validation_configs,
    train_ds,
    validation_ds,
) -> dict:
    """The JSON-able identity of a training run (see the module docstring for what it covers).
    Configurations count by the shards they resolve to: ``eng`` and ``eng_eld,eng_adu`` are one mixture."""
    from bimotion.mixture import parse_mixture
    from bimotion.registry import BENCHMARKS

    from .data import manifest_hash

    identity = {
        "data": {name: dataset_identity(getattr(sources, name)) for name in BENCHMARKS if getattr(sources, name)},
        "train_shards": sorted(list(s) for s in parse_mixture(train_configs).shards),
        "validation_shards": sorted(list(s) for s in parse_mixture(validation_configs).shards),
        "train_manifest": manifest_hash(train_ds),
        "validation_manifest": manifest_hash(validation_ds),
        "model": model_identity(model_args.model_name_or_path, model_args.model_revision),
        "model_args": _fields(model_args),
        "data_args": {k: v for k, v in _fields(data_args).items() if k != "validation_configs"},
        "run_args": _fields(run_args),
        "training_args": {**_fields(training_args), "world_size": training_args.world_size},
        VERSIONS: _library_versions(),
    }
    return _as_stored(identity)


def _library_versions() -> dict[str, str | None]:
    """The transformers and accelerate versions of this process (None: accelerate not installed), which
    declare the arguments' fields (:data:`VERSIONS`)."""
    from importlib import metadata

    import transformers

    try:
        accelerate = metadata.version("accelerate")
    except metadata.PackageNotFoundError:
        accelerate = None
    return {"transformers": transformers.__version__, "accelerate": accelerate}


def _as_stored(values: dict) -> dict:
    return json.loads(json.dumps(values, sort_keys=True, default=str))  # tuples, enums: as stored


def _flatten(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def undeclared(before: dict, now: dict, defaults: dict) -> dict[str, object]:
    """``{"training_args.<field>": its value there}`` for each field ``before`` has, ``now`` lacks and its class
    (:func:`argument_defaults`) no longer declares: an upgrade dropped it, and its old default is not known.
    A field that does not count (:func:`~.identity_fields.compared`) is not one."""
    before = _counted(before)
    declared, sections = {".".join(k.split(".")[:2]) for k in defaults}, {k.split(".")[0] for k in defaults}
    return {
        f"{section}.{name}": value
        for section, fields in before.items()
        if section in sections and isinstance(fields, dict)
        for name, value in fields.items()
        if name not in (now.get(section) or {}) and f"{section}.{name}" not in declared
    }


def differences(before: dict, now: dict, defaults: dict | None = None) -> list[str]:
    """``field: there -> now`` for every field that differs.  ``defaults``: the flattened default of
    each argument field (:func:`argument_defaults`); a field one side lacks counts as its default (``before``
    lacks it: a transformers or bimotion upgrade added it since, the run had its default), a stored null as
    null; one its class no longer declares (:func:`undeclared`) does not differ, nor one that does not count
    (:func:`~.identity_fields.compared`: a stored identity written before it was harmless holds it), nor the
    library versions either records (:data:`VERSIONS`)."""
    before, now = ({k: v for k, v in side.items() if k != VERSIONS} for side in (before, now))
    a, b, defaults = _flatten(_counted(before)), _flatten(_counted(now)), defaults or {}
    dropped, absent = undeclared(before, now, defaults), object()
    there, here = {**defaults, **a}, {**defaults, **b}
    return [
        f"{k}: {a.get(k, '(absent)')!r} there, {b.get(k, '(absent)')!r} now"
        for k in sorted(a.keys() | b.keys())
        if there.get(k, absent) != here.get(k, absent) and ".".join(k.split(".")[:2]) not in dropped
    ]


def _default(field: dataclasses.Field):
    value = field.default if field.default_factory is dataclasses.MISSING else field.default_factory()
    return value.value if isinstance(value, enum.Enum) else value  # as to_dict() writes it


def argument_defaults(model_args, data_args, run_args, training_args) -> dict:
    """The flattened identity value of the declared default of every field of the arguments' classes
    (``training_args.seed``: 0), what :func:`differences` takes a field one identity lacks to have
    been.  A default set in ``__post_init__`` is not known here: a field added with one differs (the safe side)."""
    sections = {"model_args": model_args, "data_args": data_args, "run_args": run_args, "training_args": training_args}
    values = {
        section: {
            f.name: _default(f)
            for f in dataclasses.fields(type(args))
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
        for section, args in sections.items()
    }
    return _flatten(_as_stored(values))


def _stored_changes(path: Path, identity: dict, defaults: dict, given: str | None = None) -> list[str]:
    """How ``identity`` differs from the identity stored at ``path`` (:func:`differences`, with the
    fields' ``defaults`` standing for those it lacks); a stored identity that does not read as one
    raises :class:`~loaders.errors.DamagedFileError` naming it and what to do (``given``: the command's
    ``--resume_from_checkpoint``, which rules out ``--overwrite_output_dir``)."""
    from loaders.errors import DamagedFileError, json_kind

    try:
        stored, why = json.loads(path.read_text(encoding="utf-8")), None
    except UnicodeDecodeError:
        stored, why = None, "not UTF-8 text"
    except json.JSONDecodeError as err:
        stored, why = None, f"not JSON: {err}"
    if why is None and not isinstance(stored, dict):
        why = f"{json_kind(stored)}, not an object"
    for key, value in identity.items() if why is None else ():
        if isinstance(value, dict) and key in stored and not isinstance(stored[key], dict):
            why = f"its {key} is {json_kind(stored[key])}, not an object"
            break
    if why is not None:
        if given is None:
            fix = "Use a new --output_dir, --overwrite_output_dir to discard that run and train from scratch, or "
            fix += f"move {IDENTITY_FILE} away to go on unchecked."
        elif path.parent.resolve() == Path(given).resolve().parent:  # the run of the checkpoint given
            fix = f"Move {IDENTITY_FILE} away to resume from {given} unchecked, or leave out --resume_from_checkpoint "
            fix += "and use a new --output_dir to train from scratch."
        else:  # --overwrite_output_dir does not go with --resume_from_checkpoint
            fix = f"Use a new --output_dir, or move {IDENTITY_FILE} away to go on unchecked."
        raise DamagedFileError(
            f"{path} is damaged ({why}), so this command cannot be checked against the run that wrote "
            f"{path.parent}. {fix}",
            why,
        )
    if (dropped := undeclared(stored, identity, defaults)) and on_main_process():  # once, not once a process
        log.warning(_dropped_note(path, dropped, stored.get(VERSIONS)))
    return differences(stored, identity, defaults)


def _dropped_note(path: Path, dropped: dict, versions: dict | None) -> str:
    """One line: the fields of ``path`` not compared, as this transformers and bimotion have none (:func:`undeclared`),
    and the transformers that stored them (its :data:`VERSIONS`; ``versions`` None: an identity written before
    they were recorded)."""
    import transformers

    named, it = ", ".join(f"{k} ({v!r} there)" for k, v in dropped.items()), "it" if len(dropped) == 1 else "them"
    then = versions.get("transformers") if isinstance(versions, dict) else None
    stored = f"transformers {then}" if then else "a transformers it does not record (written before bimotion did)"
    return (
        f"{path}: {named} not compared (stored by {stored}, this is {transformers.__version__}): this transformers "
        f"and bimotion no longer have {it}; if that run set {it} to other than the default, use a new --output_dir "
        "to train from scratch"
    )


def check_resume(
    run_dir: str | os.PathLike, identity: dict, checkpoint: str, defaults: dict, given: str | None = None
) -> None:
    """Raise :class:`RunMismatch` unless ``run_dir``'s stored identity equals ``identity`` (a field it
    lacks counts as its value in ``defaults``, :func:`argument_defaults`; ``given``: the command's
    ``--resume_from_checkpoint``, for the fix of a damaged one)."""
    path = Path(run_dir) / IDENTITY_FILE
    if not path.is_file():
        log.warning(
            "%s has no %s (written by older versions): cannot check that %s is this run",
            run_dir,
            IDENTITY_FILE,
            checkpoint,
        )
        return
    changed = _stored_changes(path, identity, defaults, given)
    if changed and given:  # --overwrite_output_dir is refused beside --resume_from_checkpoint: not a fix here
        raise RunMismatch(
            f"{checkpoint} belongs to a different run than this command ({'; '.join(changed)}); resuming would "
            "continue that run. Resume it with its own settings, or leave out --resume_from_checkpoint and use a "
            "new --output_dir to train from scratch."
        )
    if changed:
        raise RunMismatch(
            f"{checkpoint} belongs to a different run than this command ({'; '.join(changed)}); resuming would "
            f"continue that run. Use a new --output_dir, or --overwrite_output_dir to discard {run_dir}'s "
            "checkpoints and train from scratch."
        )


def check_finished(run_dir: str | os.PathLike, identity: dict, defaults: dict, given: str | None = None) -> None:
    """Raise :class:`RunMismatch` when ``run_dir`` holds the finished model of a different run (its
    scores.json, and a stored identity that differs from ``identity``) and no checkpoint to resume:
    training there would replace that model (its checkpoints, had it kept any, are refused by
    :func:`check_resume`; ``defaults`` and ``given`` as there).  The same run again trains again, as it did."""
    path = Path(run_dir) / IDENTITY_FILE
    if not (Path(run_dir) / SCORES).is_file() or not path.is_file():
        return
    changed = _stored_changes(path, identity, defaults, given)
    if changed:
        raise RunMismatch(
            f"{run_dir} holds the finished model of a different run than this command ({'; '.join(changed)}); "
            f"training here would replace it. Use a new --output_dir, or --overwrite_output_dir to replace {run_dir}'s "
            "model, scores.json and card."
        )


def write_identity(run_dir: str | os.PathLike, identity: dict) -> Path:
    """Write ``run_identity.json`` atomically."""
    from loaders.files import write_text_atomic

    return write_text_atomic(Path(run_dir) / IDENTITY_FILE, json.dumps(identity, indent=2, sort_keys=True) + "\n")
