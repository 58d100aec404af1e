"""The optional dependencies (``pip install 'bimotion[train,plots,audio]'``) and which extra brings
each: a command that needs one that is missing says so in one line, naming the install command,
before it does any work (``NEEDS`` of a command module, checked by :mod:`bimotion.cli`).  Imports
nothing heavy."""

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


def missing(modules) -> list[str]:
    """The ``modules`` that are not installed."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def install_hint(modules) -> str:
    """``pip install 'bimotion[train,plots]'``: the extras that bring ``modules``."""
    extras = sorted({EXTRAS[name] for name in modules if name in EXTRAS})
    return f"pip install 'bimotion[{','.join(extras)}]'"


def missing_message(command: str, modules) -> str:
    """The one line for ``command`` whose ``modules`` are not installed."""
    return f"`{command}` needs {', '.join(modules)} (optional dependencies): {install_hint(modules)}"
