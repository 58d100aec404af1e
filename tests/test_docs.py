"""The registry-driven tables in docs/ are up to date (regenerate with `python scripts/gen_docs.py`), and
every test the docs name as the proof of a promise exists."""

from __future__ import annotations

import importlib.util
import re

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


def test_every_test_the_docs_cite_exists():
    defined = {
        m
        for path in (REPO / "tests").glob("test_*.py")
        for m in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)
    }
    cited = {
        (doc.name, name)
        for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
        for name in re.findall(r"(?<![\w/\"-])(test_\w+)(?![\w.*\"])", doc.read_text(encoding="utf-8"))
    }
    missing = sorted((doc, name) for doc, name in cited if name not in defined)
    assert not missing, f"docs cite tests that do not exist: {missing}"
