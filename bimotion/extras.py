"""The optional dependencies (``pip install 'bimotion[train,plots,audio]'``) and which extra brings
each: a command that needs one that is missing says so in one line, naming the install command,
before it does any work (``NEEDS`` of a command module, checked by :mod:`bimotion.cli`; a recipe run by
path, ``recipes/*.py``, calls :func:`exit_if_missing` before its imports).  Imports nothing heavy."""

from __future__ import annotations

import importlib.util

EXTRAS = {  # top-level module -> the extra of setup.cfg that installs it
    "torch": "train",
    "transformers": "train",
    "accelerate": "train",
    "sklearn": "train",
    "matplotlib": "plots",
    "umap": "plots",
    "torchcodec": "audio",
}


# the CPU build of the torch that README.md advises installing first on a machine without a CUDA GPU
CPU_TORCH = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"


def missing(modules) -> list[str]:
    """The ``modules`` that are not installed."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def install_hint(modules) -> str:
    """``pip install 'bimotion[train,plots]'``: the extras that bring ``modules``."""
    extras = sorted({EXTRAS[name] for name in modules if name in EXTRAS})
    return f"pip install 'bimotion[{','.join(extras)}]'"


def missing_message(command: str, modules) -> str:
    """The one line for ``command`` whose ``modules`` are not installed; where torch is among them on Linux, the
    README's advice for a machine without a CUDA GPU (the extras alone pull PyPI's CUDA build of torch there;
    PyPI's torch for macOS and Windows is the CPU build)."""
    import sys

    line = f"`{command}` needs {', '.join(modules)} (optional dependencies): {install_hint(modules)}"
    if "torch" in modules and sys.platform.startswith("linux"):
        line += f" (without a CUDA GPU, first `{CPU_TORCH}`, or pip pulls the CUDA build: several GB)"
    return line


def not_drawn(figure: str, modules=("matplotlib",)) -> str | None:
    """The one line of a figure left out because ``modules`` are not all installed (the Python API, which no
    recipe's check guards: ``train()`` with the ``[train]`` extra alone): what is not drawn, what it needs and
    the extra that draws it; ``None`` where they are installed."""
    absent = missing(modules)
    if not absent:
        return None
    extras = sorted({EXTRAS[name] for name in absent if name in EXTRAS})
    names, which = ", ".join(absent), " and ".join(f"[{extra}]" for extra in extras)
    return f"note: {figure} is not drawn: it needs {names}, which the {which} extra installs ({install_hint(absent)})"


def said_missing(command: str, modules) -> bool:
    """Whether any of ``modules`` is not installed, having then printed :func:`missing_message`'s line for
    ``command`` on stderr as an ``error:``: a ``bimotion`` command's check of its ``NEEDS`` (:mod:`bimotion.cli`,
    which returns exit code 2) and a recipe's (:func:`exit_if_missing`)."""
    import sys

    absent = missing(modules)
    if absent:
        print(f"error: {missing_message(command, absent)}", file=sys.stderr)
    return bool(absent)


def exit_if_missing(script: str, modules) -> None:
    """Where any of ``modules`` is not installed, :func:`missing_message`'s line for ``script`` on stderr and exit
    code 2, as a ``bimotion`` command says it: a recipe run by path (``recipes/train.py``) calls it before its
    imports, which would end in a traceback (``No module named 'transformers'``) without the extras."""
    if said_missing(script, modules):
        raise SystemExit(2)
