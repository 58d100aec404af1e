"""The corpora BiMotion and YueMotion are built from: language, age groups, expected size, licence,
where to obtain each, and the layout its reader expects (--layout); and how to bring your own.
It prints to the terminal and writes no file.

Example:
  bimotion sources --layout"""

from __future__ import annotations

HELP = "list the supported corpora (language, ages, counts, licence, where to get them)"


def add_arguments(parser) -> None:
    parser.add_argument("--layout", action="store_true", help="also print the on-disk layout each reader expects")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (used for docs/corpora.md)")


COLUMNS = ["name", "corpus", "language", "age groups", "utterances", "benchmark", "licence", "get it from"]
NARROW = ("name", "language", "age groups", "utterances", "benchmark")  # a terminal's table; the rest below it


def table(markdown: bool = False) -> str:
    """Every corpus's row: a Markdown table of every column (docs/corpora.md), or for a terminal a
    table of the short columns, then each corpus's title, licence and where to get it on lines of
    their own (all in one row ran to about 250 characters)."""
    from bimotion.registry import BENCHMARKS
    from loaders import SOURCES
    from loaders.tables import aligned

    used_in = {c: b.name for b in BENCHMARKS.values() for c in b.corpora}
    rows = [
        dict(zip(COLUMNS, [s.name, s.title, "+".join(s.languages), "+".join(s.age_groups), str(s.expected_count),
                           used_in.get(s.name, ""), s.license, s.url], strict=True))
        for s in SOURCES.all()
    ]  # fmt: skip
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(r.values()) + " |" for r in rows]
        return "\n".join(lines)
    short = aligned([list(NARROW), *([r[c] for c in NARROW] for r in rows)], indent="", text_columns=len(NARROW))
    width = max(len(r["name"]) for r in rows) + 2
    blocks = [
        f"{r['name']:<{width}}{r['corpus']}\n{'':<{width}}licence: {r['licence']}\n{'':<{width}}get it from: {r['get it from']}"
        for r in rows
    ]
    return short + "\n\n" + "\n".join(blocks)


def run(args) -> int:
    import textwrap

    from bimotion.console import HELP_WIDTH
    from loaders import SOURCES

    print(table(args.markdown))
    if not args.markdown:
        own = (
            "your own corpus: --source NAME=DIR with any other NAME, DIR holding audio and metadata.csv "
            "(file_name, emotion, language, age or age_group, ...): see docs/corpora.md"
        )
        print("\n" + textwrap.fill(own, HELP_WIDTH, subsequent_indent="  "))
    if args.layout:
        for s in SOURCES.all():
            print(f"\n## {s.name}: {s.title}\n{s.layout.rstrip()}")
            if s.notes:
                print(f"note: {s.notes}")
    return 0
