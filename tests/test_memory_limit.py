"""A command that runs out of memory under a memory limit (`ulimit -v`, `prlimit --as`, a small laptop)
says so in one line naming the limit and the fix, instead of a traceback from deep in pyarrow, torch or
an import: `bimotion prepare` under a 595 MB limit ended in 40 lines of traceback and `MemoryError`."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from bimotion.training.testing import subprocess_env
from loaders import testing

# The command line is imported first, and OpenBLAS's buffers allocated (one that fails ends the process
# with exit code 1, uncatchable); then the process may map only a little more than it has, which the
# command's work (pyarrow, datasets, worker processes, a model) exceeds.
LIMITED = """
import resource, sys
import numpy as np
from bimotion.cli import main
np.ones((64, 64)) @ np.ones((64, 64))
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
mapped = int(status["VmSize"].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (mapped + 48 * 2**20, resource.RLIM_INFINITY))
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process's mapped size from /proc")
def test_prepare_out_of_memory_under_a_limit_is_one_line_naming_it(tmp_path):
    root = testing.make_corpus("csed", tmp_path / "raw")
    out = tmp_path / "prepared"
    argv = ["prepare", "-q", "--source", f"csed={root}", "--output", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", LIMITED, *argv], env=subprocess_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error: bimotion prepare ran out of memory ("), proc.stderr
    assert "MB of address space (ulimit -v or prlimit --as) and needed more; raise that limit" in lines[-1]
    assert not out.exists()  # nothing half-written is left


RECIPE = """
import importlib.util, resource, sys
import numpy as np
import bimotion.training.run, datasets, torch
spec = importlib.util.spec_from_file_location("recipe", sys.argv[1])
recipe = sys.modules["recipe"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recipe)
np.ones((64, 64)) @ np.ones((64, 64))
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
mapped = int(status["VmSize"].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (mapped + 48 * 2**20, resource.RLIM_INFINITY))
sys.argv = sys.argv[1:]
sys.exit(recipe.main(sys.argv[1:]))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process's mapped size from /proc")
def test_training_out_of_memory_under_a_limit_is_one_line_naming_it(tmp_path):
    """train.py under a limit ended in a traceback: "RuntimeError: can't start new thread" reading the
    data, or torch's "DefaultCPUAllocator: can't allocate memory", or oneDNN's "could not create a primitive"."""
    from bimotion.training import testing as training_testing

    data = training_testing.write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 8})
    tiny = training_testing.save_tiny_model(tmp_path / "tiny")
    recipe = Path(__file__).resolve().parents[1] / "recipes" / "train.py"
    argv = [str(recipe), "--bimotion", str(data), "--train_configs", "zho_eld", "--model_name_or_path", str(tiny)]
    argv += ["--output_dir", str(tmp_path / "run"), "--max_steps", "2", "--use_cpu", "true", "--eval_strategy", "no"]
    argv += ["--save_strategy", "no", "--load_best_model_at_end", "false", "--early_stopping_patience", "0"]
    argv += ["--dataset_cache_dir", str(tmp_path / "cache")]
    proc = subprocess.run(
        [sys.executable, "-c", RECIPE, *argv], env=subprocess_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: train.py ran out of memory ("), proc.stderr
    assert "MB of address space (ulimit -v or prlimit --as) and needed more; raise that limit" in last


@pytest.mark.parametrize(
    "text",
    [
        "error return without exception set",
        # CI (CPython 3.11) met the import machinery's wording of it, importing datasets under a limit
        "<function _find_and_load at 0x7fbc47037ce0> returned NULL without setting an exception",
    ],
)
def test_cpythons_error_return_without_exception_set_under_a_limit_is_an_allocation_that_failed(text):
    """bimotion prepare under a limit ended in a traceback two runs of three: the re module, compiling a pattern
    as datasets was imported, failed an allocation and set no exception, so CPython raised "SystemError: error
    return without exception set".  Under an address-space limit it is the one line; without one it is raised as
    it is (a bug to report, not memory)."""
    probe = (
        "import resource, sys\n"
        "from bimotion.memory import said_out_of_memory\n"
        f"err = SystemError({text!r})\n"
        "try:\n"
        "    said_out_of_memory(err, 'bimotion prepare')\n"
        "except SystemError:\n"
        "    print('raised')\n"
        "resource.setrlimit(resource.RLIMIT_AS, (64 * 2**40, resource.RLIM_INFINITY))\n"
        "sys.exit(said_out_of_memory(err, 'bimotion prepare'))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], env=subprocess_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2 and proc.stdout == "raised\n", (proc.stdout, proc.stderr)
    assert proc.stderr.startswith(
        f"error: bimotion prepare ran out of memory (SystemError: {text}): this process may use at most "
        "67108864 MB of address space"
    ), proc.stderr


def test_under_a_limit_the_command_line_loads_the_unwinder_and_keeps_a_reserve_before_any_work():
    """bimotion prepare under a limit said its out-of-memory line, then glibc aborted the process (exit -6,
    "libgcc_s.so.1 must be installed for pthread_exit to work": a thread's exit loads it, which failed once
    memory had run out; seen in CI).  And 3 runs of 50 here (and in CI), the memory the failed import had left was too
    little for prepare's clean-up and for the line itself: six chained MemoryErrors (seen in CI).  Under a
    limit, the command line and the training recipes load the unwinder and keep a reserve of memory before any
    work (bimotion.memory.ready_for_a_limit), which the line and prepare's clean-up give back first;
    without a limit, nothing is loaded or kept."""
    import ast

    probe = (
        "import resource\n"
        "from bimotion import memory\n"
        "def loaded():\n"
        "    return any('libgcc_s' in line for line in open('/proc/self/maps'))\n"
        "before = loaded()\n"
        "memory.ready_for_a_limit()\n"
        "unlimited = loaded(), len(memory._reserve)\n"
        "resource.setrlimit(resource.RLIMIT_AS, (64 * 2**40, resource.RLIM_INFINITY))\n"
        "memory.ready_for_a_limit()\n"
        "memory.ready_for_a_limit()\n"
        "limited = loaded(), [len(r) for r in memory._reserve]\n"
        "memory.said_out_of_memory(MemoryError(), 'bimotion prepare')\n"
        "print(before, *unlimited, *limited, memory._reserve)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], env=subprocess_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    words = proc.stdout.strip().split(maxsplit=4)
    assert words[1:] == ["False", "0", "True", "[16777216] []"], proc.stdout  # one reserve of 16 MB, given back
    if words[0] != "False":
        pytest.skip("libgcc_s is loaded at start here: the unwinder's load cannot be shown")
    repo = Path(__file__).resolve().parents[1]
    recipes = [
        (f"recipes/{name}.py", "main") for name in ("grid", "infer", "probe", "project")
    ]  # train, augment: below
    for path, function in (("bimotion/cli.py", "main"), ("bimotion/training/run.py", "train_and_report"), *recipes):
        tree = ast.parse((repo / path).read_text())
        body = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
        called = {n.func.id for n in ast.walk(body) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert "ready_for_a_limit" in called, path


def test_every_recipe_says_an_allocation_that_failed_in_one_line(capsys):
    """probe.py, grid.py and project.py ended in a traceback where train.py, infer.py and the commands
    said one line: all now go through bimotion.memory.said_out_of_memory (a probe under a real limit
    dies in SciPy's OpenBLAS first, exit code 1, which no process can catch: docs/performance.md)."""
    import ast

    from bimotion.memory import said_out_of_memory

    assert said_out_of_memory(MemoryError(), "probe.py") == 2
    assert capsys.readouterr().err.startswith("error: probe.py ran out of memory (MemoryError)")
    with pytest.raises(RuntimeError, match="a shape mismatch"):  # any other error is raised as it is
        said_out_of_memory(RuntimeError("a shape mismatch"), "probe.py")
    # train.py under a limit also met it as listing the model's folder (transformers' checkpoint lookup)
    listing = OSError(errno.ENOMEM, "Cannot allocate memory", "/runs/tiny/")
    assert said_out_of_memory(listing, "train.py") == 2
    assert "error: train.py ran out of memory (OSError: [Errno 12] Cannot allocate memory" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError):
        said_out_of_memory(FileNotFoundError(errno.ENOENT, "No such file or directory", "/runs/tiny/"), "train.py")
    recipes = Path(__file__).resolve().parents[1] / "recipes"
    for name in ("train.py", "augment.py", "infer.py", "probe.py", "grid.py", "project.py"):
        tree = ast.parse((recipes / name).read_text())
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert "said_out_of_memory" in called or "train_and_report" in called, name


def test_the_out_of_memory_lines_say_what_a_step_needs_without_a_path_into_the_checkout(monkeypatch):
    """Both lines pointed at docs/performance.md, which a pip install does not have: the line under a
    limit says it in words, the one without a limit names the fixes it gives."""
    from bimotion import memory

    monkeypatch.setattr(memory, "_address_space_limit", lambda: None)
    free = memory.out_of_memory(MemoryError(), "bimotion prepare")
    assert free.endswith("give it less to do at once (--num-proc, a smaller batch size)")
    monkeypatch.setattr(memory, "_address_space_limit", lambda: 600 * 2**20)
    limited = memory.out_of_memory(MemoryError(), "bimotion prepare")
    assert limited.endswith(
        "raise that limit (a step needs several times the memory that top shows it use, as torch and its "
        "libraries reserve address space per thread)"
    )
    assert ".md" not in free + limited
