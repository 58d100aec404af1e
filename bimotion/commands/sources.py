"""The corpora BiMotion and YueMotion are built from: language, age groups, expected size, licence,
where to obtain each, and the layout its reader expects (--layout); and how to bring your own
(--own-corpus: the folder, metadata.csv's columns, label map and README header a corpus of one's
own needs). It prints to the terminal and writes no file.

Examples:
  bimotion sources --layout
  bimotion sources --own-corpus"""

from __future__ import annotations

HELP = "list the supported corpora (language, ages, counts, licence, where to get them)"


def add_arguments(parser) -> None:
    what = parser.add_mutually_exclusive_group()  # the corpora's table and layouts, or instead an own corpus's format
    what.add_argument("--layout", action="store_true", help="also print the on-disk layout each reader expects")
    parser.add_argument("--markdown", action="store_true", help="print Markdown instead of plain text")
    what.add_argument(
        "--own-corpus",
        action="store_true",
        help="print instead what a corpus of your own needs: its folder, metadata.csv's columns, label map, README",
    )


OWN_CORPUS_FORMAT = "own_corpus.md"  # in loaders/data: docs/corpora.md's own_corpus block is generated from it


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


def own_corpus(markdown: bool = False) -> str:
    """What a corpus of one's own needs (the package's ``loaders/data/own_corpus.md``): as Markdown
    (docs/corpora.md's block), or for a terminal, its paragraphs wrapped and each table row as
    ``column: meaning``."""
    from importlib import resources

    text = resources.files("loaders").joinpath("data", OWN_CORPUS_FORMAT).read_text(encoding="utf-8").strip()
    return text if markdown else plain(text)


def plain(markdown: str) -> str:
    """``markdown`` for a terminal: code blocks as they are, a link as ``text (address)``, a table's
    rows as ``first cell: the others`` (its header and rule left out), paragraphs wrapped."""
    import re
    import textwrap

    from bimotion.console import HELP_WIDTH

    out, paragraph, code = [], [], False
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("```"):
            code = not code
            continue
        if not code and (not line.strip() or line.startswith("|")) and paragraph:
            out.append(textwrap.fill(" ".join(paragraph), HELP_WIDTH))
            paragraph = []
        line = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", line)
        if code:
            out.append(line)
        elif line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if cells and not set(cells[0]) <= set("-") and cells[0] != "column":
                out.append(textwrap.fill(f"{cells[0]}: {' | '.join(cells[1:])}", HELP_WIDTH, subsequent_indent="    "))
        elif line.strip():
            paragraph.append(line.strip())
        elif out and out[-1]:
            out.append("")
    return "\n".join(out).strip()


def run(args) -> int:
    import textwrap

    from bimotion.console import HELP_WIDTH
    from loaders import SOURCES
    from loaders.audiofolder import FORMAT_HELP

    if args.own_corpus:
        print(own_corpus(args.markdown))
        return 0
    print(table(args.markdown))
    if not args.markdown:
        own = (
            "your own corpus: --source NAME=DIR with any other NAME, DIR holding audio and metadata.csv "
            f"(file_name, emotion, language, age or age_group, ...): {FORMAT_HELP}"
        )
        print("\n" + textwrap.fill(own, HELP_WIDTH, subsequent_indent="  "))
    if args.layout:
        for s in SOURCES.all():
            print(f"\n## {s.name}: {s.title}\n{s.layout.rstrip()}")
            if s.notes:
                print(f"note: {s.notes}")
    return 0
