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
