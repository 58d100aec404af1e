"""The corpora BiMotion and YueMotion are built from: language, age groups, expected size, licence,
where to obtain each, and the layout its reader expects (--layout); and how to bring your own."""

from __future__ import annotations

HELP = "list the supported corpora (language, ages, counts, licence, where to get them)"


def add_arguments(parser) -> None:
    parser.add_argument("--layout", action="store_true", help="also print the on-disk layout each reader expects")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (used for docs/corpora.md)")


def table(markdown: bool = False) -> str:
    from bimotion.registry import BENCHMARKS
    from loaders import SOURCES
    from loaders.tables import aligned

    used_in = {c: b.name for b in BENCHMARKS.values() for c in b.corpora}
    header = ["name", "corpus", "language", "age groups", "utterances", "benchmark", "licence", "get it from"]
    rows = [
        [
            s.name,
            s.title,
            "+".join(s.languages),
            "+".join(s.age_groups),
            str(s.expected_count),
            used_in.get(s.name, ""),
            s.license,
            s.url,
        ]
        for s in SOURCES.all()
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    return aligned([header, *rows], indent="", text_columns=len(header))


def run(args) -> int:
    from loaders import SOURCES

    print(table(args.markdown))
    if not args.markdown:
        print(
            "\nyour own corpus: --source NAME=DIR with any other NAME, DIR holding audio and metadata.csv "
            "(file_name, emotion, language, age or age_group, ...): see docs/corpora.md"
        )
    if args.layout:
        for s in SOURCES.all():
            print(f"\n## {s.name}: {s.title}\n{s.layout.rstrip()}")
            if s.notes:
                print(f"note: {s.notes}")
    return 0
