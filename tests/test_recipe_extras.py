"""A recipe run by path where bimotion was installed without its extras (``pip install bimotion``)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

from bimotion.extras import CPU_TORCH, EXTRAS
from bimotion.training.testing import subprocess_env

# run as `python recipes/NAME.py --help` is, with no optional dependency importable
WITHOUT_EXTRAS = (
    "import runpy, sys\n"
    f"for name in {sorted(EXTRAS)!r}:\n"
    "    sys.modules[name] = None\n"
    "sys.argv = [sys.argv[1], '--help']\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CPU torch advice is Linux's")
@pytest.mark.parametrize(
    ("recipe", "needs", "extras"),
    [
        ("train", "torch, transformers, accelerate, sklearn, matplotlib", "plots,train"),
        ("augment", "torch, transformers, accelerate, sklearn, matplotlib", "plots,train"),
        ("grid", "torch, transformers, accelerate, sklearn, matplotlib, umap", "plots,train"),
        ("infer", "torch, transformers, accelerate, sklearn", "train"),
        ("probe", "torch, transformers, sklearn", "train"),
        ("project", "torch, transformers, sklearn, matplotlib, umap", "plots,train"),
    ],
)
def test_a_recipe_without_the_extras_names_them_in_one_line(recipe, needs, extras):
    """`python recipes/train.py --help` with only `pip install bimotion` ended in a traceback, `ModuleNotFoundError:
    No module named 'transformers'` (augment, infer, probe, grid and project alike); the `bimotion` commands' one
    line (bimotion.extras.missing_message) naming the extras to install, and exit code 2."""
    done = _run(WITHOUT_EXTRAS, f"recipes/{recipe}.py")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"error: `recipes/{recipe}.py` needs {needs} (optional dependencies): pip install 'bimotion[{extras}]' "
        f"(without a CUDA GPU, first `{CPU_TORCH}`, or pip pulls the CUDA build: several GB)\n"
    )
    assert done.stdout == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CPU torch advice is Linux's")
def test_infer_without_accelerate_alone_names_it_in_one_line(tmp_path):
    """`recipes/infer.py` builds transformers' TrainingArguments (SERTrainingArguments), which need accelerate:
    with torch, transformers and sklearn installed but not accelerate, its check let it run, and it ended in a
    traceback, `ImportError: Using the Trainer with PyTorch requires accelerate>=...`, exit 1."""
    hidden = (
        "import runpy, sys\n"
        "sys.modules['accelerate'] = None\n"
        "sys.argv = [sys.argv[1], '--model', sys.argv[2], '--bimotion', sys.argv[2]]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    done = _run(hidden, "recipes/infer.py", str(tmp_path))
    assert done.returncode == 2, done.stderr[-2000:]
    assert (
        done.stderr
        == "error: `recipes/infer.py` needs accelerate (optional dependencies): pip install 'bimotion[train]'\n"
    )


def _run(code: str, *argv: str) -> subprocess.CompletedProcess:
    """``python -c code *argv`` in the repository, as a user runs a recipe there."""
    run = [sys.executable, "-c", code, *argv]
    return subprocess.run(run, cwd=REPO, env=subprocess_env(), capture_output=True, text=True, timeout=300)
