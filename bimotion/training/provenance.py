"""What produced a result: the software that ran (bimotion and its checkout's commit, Python and
the libraries whose versions move the scores), the command line and the prepared data by content.

Every ``scores.json`` (fine-tuning and probe), ``inference_<split>.json`` and grid metrics file
carries it as ``provenance``, and the model card names the versions, so a number can be cited with
what made it: the demo's scores, for one, move by a few points with the libraries' versions
(docs/reproducing.md).  No path of this machine and no token is written (these files are published
with a model): folders and files are named ``local:<name>``, a token's value is ``<hidden>``.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from .. import __version__

#: Distributions whose versions can change a score (the decoders, the model code, the metrics).
LIBRARIES = (
    "torch",
    "transformers",
    "accelerate",
    "datasets",
    "numpy",
    "scikit-learn",
    "soundfile",
    "soxr",
    "torchcodec",
    "umap-learn",
)
HIDDEN = "<hidden>"
_recorded: list[str] = []  # the command line a recipe parsed (record_command); empty: this process's sys.argv
_scopes: list[list[str]] = []  # the commands of the command_scope blocks open, the innermost last
#: What a table's "Produced by" line names (:func:`produced_by`), as (words, where in ``provenance``);
#: never the command line, which differs between the workers and processes of one grid.
PRODUCED_BY = (
    ("bimotion", ("versions", "bimotion")),
    ("commit", ("commit",)),
    ("torch", ("versions", "torch")),
    ("transformers", ("versions", "transformers")),
    ("datasets", ("versions", "datasets")),
    ("torch threads", ("torch_threads",)),
)


def library_versions() -> dict[str, str | None]:
    """Python's, bimotion's and each of :data:`LIBRARIES`' installed version (None: not installed)."""
    versions = {"python": platform.python_version(), "bimotion": __version__}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def source_commit() -> str | None:
    """The git commit of the checkout bimotion runs from, ``+dirty`` when its tracked files differ
    from it; None for an installed wheel, or where git is not there to ask."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if status.returncode == 0 and status.stdout.strip() else "")


def record_command(script: str | None, argv: list[str]) -> None:
    """Record the command line a recipe parsed (:func:`bimotion.training.parsing.parse_arguments`: its
    script and its arguments, an arguments file's expanded), which :func:`public_command` then gives."""
    _recorded[:] = [script or sys.argv[0], *argv]


def recorded_command() -> list[str]:
    """The command line a recipe recorded (:func:`record_command`); empty when none is."""
    return list(_recorded)


@contextmanager
def command_scope(argv: list[str] | None) -> Iterator[None]:
    """Within the block, :func:`public_command` gives ``argv`` (empty: this process's ``sys.argv``;
    None: the command of the block this one runs within, else ``sys.argv``), not a command a recipe
    recorded earlier in this process; afterwards, what was recorded before.  A library run (the grid,
    ``train``, ``infer``, ``train_probe``) names its own command this way: a recipe that ran before it
    in the same process (a notebook, a test) is not named in its files, and the grid's ``train`` names the grid's."""
    before = list(_recorded)
    own = list(argv) if argv is not None else list(_scopes[-1] if _scopes else [])
    _recorded[:] = own
    _scopes.append(own)
    try:
        yield
    finally:
        _scopes.pop()
        _recorded[:] = before


def public_command(argv: list[str] | None = None) -> list[str]:
    """The command line (default: the one a recipe recorded, else this process's), as a published
    file may hold it: the script by name (``-m package`` for a package's ``__main__``), each value of a
    path's flag (:data:`PATH_FIELDS`; ``-o``, :data:`SHORT_FLAGS`) that is an existing or absolute path, and any other
    absolute path, as
    ``local:<name>``, the value of a secret's flag (``--hub_token``, :func:`~.identity_fields.is_secret`) as
    :data:`HIDDEN`; any other value as given (``--configs nan_eld carehome`` beside a folder ``carehome``)."""
    from .identity_fields import is_secret

    argv = list(argv if argv is not None else _recorded or sys.argv)
    if not argv:
        return []
    script = Path(argv[0])
    command = [f"-m {script.parent.name}" if script.name == "__main__.py" else script.name]
    hide_next, flag = False, None  # flag: the one whose values follow (a list's several)
    for arg in argv[1:]:
        if hide_next:
            command.append(HIDDEN)
            hide_next = False
        elif arg.startswith("--") and _secret_flag(arg.split("=", 1)[0][2:], is_secret):
            hide_next, flag = "=" not in arg, None
            command.append(arg if hide_next else f"{arg.split('=', 1)[0]}={HIDDEN}")
        elif arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
            command.append(f"{name}={_public_value(name, value)}")
            flag = None
        elif arg.startswith("--"):
            command.append(arg)
            flag = arg
        elif short := _short_flag(arg):  # `-o DIR`, `-q`: a flag of its own, not a value of the one before
            value = arg[len(short) :].removeprefix("=")  # `-oDIR`, `-o=DIR`
            command.append(
                arg[: len(arg) - len(value)] + _public_value(SHORT_FLAGS.get(short), value) if value else arg
            )
            flag = None if value else SHORT_FLAGS.get(short)
        else:
            command.append(_public_value(flag, arg))
    return command


#: The ``bimotion`` commands' short flags of a path's flag (advise, demo, prepare, predict: ``-o DIR``)
SHORT_FLAGS = {"-o": "--output"}


def _short_flag(arg: str) -> str | None:
    """``-o`` of ``-o``, ``-oDIR`` or ``-o=DIR``: a short flag (a letter after one dash; ``-1`` is a value)."""
    return arg[:2] if len(arg) >= 2 and arg[0] == "-" and arg[1].isalpha() else None


#: The recipes' fields (dataclass and ``TrainingArguments``) and the ``bimotion`` commands' flags (``--output``) whose
#: value is a path (or a Hub id, a shipped name: kept as given): their values that exist here are recorded
#: ``local:<name>``, no other flag's
PATH_FIELDS = frozenset(
    {
        "bimotion",
        "yuemotion",
        "model",
        "model_name_or_path",
        "features",
        "config",
        "grid_dir",
        "output_dir",
        "output_file",
        "output",
        "dataset_cache_dir",
        "model_cache_dir",
        "logging_dir",
        "resume_from_checkpoint",
        "deepspeed",
        "fsdp_config",
        "accelerator_config",
    }
)


def _public_value(flag: str | None, value: str) -> str:
    """``value`` of ``flag`` (``--output_dir``; None: no flag before it) as :func:`public_command` records it: a
    path's flag's through :func:`~.public.public_source`, any other's as given unless it is an absolute path
    (``~/x`` too), which names this machine's folders (an abbreviated path flag's, ``--bimo /home/me/data``)."""
    from .public import public_source

    if flag is not None and flag.lstrip("-").replace("-", "_") in PATH_FIELDS:
        return public_source(value)
    return public_source(value) if Path(value).expanduser().is_absolute() else value


SECRET_FLAGS = ("token", "hub_token")  # the secrets' flags of the recipes (TrainingArguments' hub_token)


def _secret_flag(flag: str, is_secret) -> bool:
    """Whether ``flag`` (without its dashes) sets a secret: one's name (:func:`~.identity_fields.is_secret`), or an
    abbreviation of one that argparse takes (``hub_tok``: a prefix of :data:`SECRET_FLAGS`' names; a
    prefix that names no flag alone is refused by argparse before anything is written, so hiding its
    value costs nothing)."""
    name = flag.replace("-", "_")
    return is_secret(name) or (len(name) >= 3 and any(secret.startswith(name) for secret in SECRET_FLAGS))


def provenance(datasets: dict[str, str | None], seed: int | None = None) -> dict:
    """``provenance`` of a result file: versions, commit, torch's CPU threads (a tiny model trained on 1
    or 2 threads ends elsewhere: docs/recipes.md), command, seed and each given prepared
    dataset by content (``{"prepare.json": "sha256:..."}``, or its Hub id; keys that name no
    benchmark, such as the grid's ``cache_dir``, are passed over)."""
    from ..registry import BENCHMARKS
    from .identity import dataset_identity

    torch = sys.modules.get("torch")  # imported by whatever computed the scores; never imported here
    return {
        "versions": library_versions(),
        "commit": source_commit(),
        "torch_threads": torch.get_num_threads() if torch is not None else None,  # CPU threads move the numbers too
        "command": public_command(),
        "seed": seed,
        "data": {name: dataset_identity(source) for name, source in datasets.items() if source and name in BENCHMARKS},
    }


def produced_by(blocks: list[dict | None]) -> str:
    """One line saying what produced the results whose ``provenance`` blocks are ``blocks`` (one per
    metrics file; None: a file that records none): :data:`PRODUCED_BY`'s versions, commit and torch
    threads, each value once where all agree, else every value and that they differ.  A table built from
    models of several versions (workers on other machines, a model trained before an upgrade) says so."""
    recorded = [b for b in blocks if b]
    parts = []
    for words, keys in PRODUCED_BY:
        values = []
        for block in recorded:
            value = block
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            values.append("none" if value is None else str(value))
        distinct = list(dict.fromkeys(values))
        if len(distinct) == 1:
            parts.append(f"{words} {distinct[0]}")
        elif distinct:
            parts.append(f"{words} {' or '.join(distinct)} (not the same for every model)")
    line = "Produced by " + ", ".join(parts) if parts else "Produced by: not recorded"
    if len(recorded) < len(blocks):
        line += f" ({len(blocks) - len(recorded)} of {len(blocks)} metrics files record none)"
    return line + "."
