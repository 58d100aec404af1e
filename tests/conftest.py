from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout; tests that need it skip cleanly without it."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (the shared reference material sits beside the checkout in CI)")
    return SHARED


@pytest.fixture(scope="session")
def real_csed(shared_dir: Path) -> Path:
    root = shared_dir / "corpora" / "csed"
    if not (root / "Training Data (wav)").is_dir():
        pytest.skip(f"the real CSED corpus is not at {root}")
    return root


def load_recipe(name: str):
    """recipes/<name>.py as a module (the recipes are scripts, not a package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(f"recipe_{name}", REPO / "recipes" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module
