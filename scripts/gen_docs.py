"""Regenerate the registry-driven parts of the docs (between <!-- BEGIN name --> / <!-- END name -->).

python scripts/gen_docs.py          # rewrite
python scripts/gen_docs.py --check  # exit 1 if a generated block is stale (a test runs this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def sources_table() -> str:
    from bimotion.commands.sources import table

    return table(markdown=True)


def own_corpus() -> str:
    from bimotion.commands.sources import own_corpus

    return own_corpus(markdown=True)


def layouts() -> str:
    from loaders import SOURCES

    parts = []
    for s in SOURCES.all():
        parts.append(
            f"### `{s.name}`: {s.title}\n\nLicence: {s.license}. Get it from: {s.url}\n\n```\n{s.layout.strip()}\n```"
        )
        if s.notes:
            parts.append(f"Note: {s.notes}")
    return "\n\n".join(parts)


def corpus_facts_table() -> str:
    """How each corpus's speech was made and how its rows got their age group, as its SourceInfo declares
    them and the cards state them, and below the table what its dataset card warns of (its ``caveat``)."""
    from loaders import SOURCES

    lines = ["| corpus | how its speech was made | its age groups |", "|---|---|---|"]
    for s in SOURCES.all():
        ages = f"by {s.ages_from}" if s.ages_from else f"by the paper's filing, not by age: {s.filed_without_ages}"
        lines.append(f"| {s.name} | {s.speech} | {ages} |")
    warned = [f"- {s.name}: {s.caveat}" for s in SOURCES.all() if s.caveat]
    return "\n".join([*lines, "", "What each dataset card also warns of a corpus (its `caveat`):", "", *warned])


def configs_table() -> str:
    from bimotion.registry import BENCHMARKS

    lines = ["| dataset | config | groups | corpora |", "|---|---|---|---|"]
    for bench in BENCHMARKS.values():
        for config in bench.configs.values():
            lines.append(
                f"| {bench.name} | `{config.name}` | {', '.join(config.groups)} | {', '.join(config.corpora)} |"
            )
    return "\n".join(lines)


def licence_terms_table() -> str:
    from bimotion.card_metadata import TERMS, licence_kinds
    from loaders import SOURCES

    lines = ["| restricts | what to do | corpora |", "|---|---|---|"]
    for kind, (restricts, advice) in TERMS.items():
        corpora = [f"{s.name} ({s.license})" for s in SOURCES.all() if kind in licence_kinds(s.license)]
        lines.append(f"| {restricts} | {advice} | {', '.join(corpora) or 'none of the seven'} |")
    return "\n".join(lines)


BLOCKS = {
    "sources": sources_table,
    "layouts": layouts,
    "own_corpus": own_corpus,
    "corpus_facts": corpus_facts_table,
    "configs": configs_table,
    "licence_terms": licence_terms_table,
}


def render(text: str) -> str:
    def sub(match: re.Match) -> str:
        name = match.group(1)
        return f"<!-- BEGIN {name} -->\n{BLOCKS[name]()}\n<!-- END {name} -->"

    return re.sub(r"<!-- BEGIN (\w+) -->.*?<!-- END \1 -->", sub, text, flags=re.S)


def main(argv=None) -> int:
    check = "--check" in (argv or sys.argv[1:])
    stale = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(path.name)
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and stale:
        print(f"stale generated blocks in: {', '.join(stale)}; run python scripts/gen_docs.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
