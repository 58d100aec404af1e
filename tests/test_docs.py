"""The registry-driven tables in docs/ are up to date (regenerate with `python scripts/gen_docs.py`)."""

from __future__ import annotations

import importlib.util

from conftest import REPO


def test_generated_doc_blocks_are_fresh():
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    gen_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_docs)
    assert gen_docs.main(["--check"]) == 0
    text = (REPO / "docs" / "corpora.md").read_text(encoding="utf-8")
    from loaders import READERS

    for name in READERS:
        assert f"| {name} |" in text
