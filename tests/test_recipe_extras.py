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
        ("infer", "torch, transformers, sklearn", "train"),
        ("probe", "torch, transformers, sklearn", "train"),
        ("project", "torch, transformers, sklearn, matplotlib, umap", "plots,train"),
    ],
)
def test_a_recipe_without_the_extras_names_them_in_one_line(recipe, needs, extras):
    """`python recipes/train.py --help` with only `pip install bimotion` ended in a traceback, `ModuleNotFoundError:
    No module named 'transformers'` (augment, infer, probe, grid and project alike); the `bimotion` commands' one
    line (bimotion.extras.missing_message) naming the extras to install, and exit code 2."""
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, f"recipes/{recipe}.py"],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"error: `recipes/{recipe}.py` needs {needs} (optional dependencies): pip install 'bimotion[{extras}]' "
        f"(without a CUDA GPU, first `{CPU_TORCH}`, or pip pulls the CUDA build: several GB)\n"
    )
    assert done.stdout == ""
