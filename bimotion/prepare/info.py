"""What ``prepare.json`` says about a prepared folder: protocol, sources, licenses, group coverage,
per-shard statistics (rows, duration, speakers, genders, emotions, files) and what was skipped."""

from __future__ import annotations

import collections

from loaders import SOURCES, SkipReport

from .. import __version__
from ..features import SAMPLE_RATE_HZ
from ..registry import SPLITS, Benchmark

ShardKey = tuple[str, str, str]  # (corpus, group, split)


class ShardStats:
    """Running statistics of one (corpus, group, split) shard."""

    def __init__(self):
        self.rows = 0
        self.duration_s = 0.0
        self.files: dict[str, None] = {}
        self.genders: collections.Counter = collections.Counter()
        self.emotions: collections.Counter = collections.Counter()
        self.speakers: set[str] = set()
        self.ids: set[str] = set()  # the rows stored (not in prepare.json)

    def add(self, row: dict, relpath: str) -> None:
        self.rows += 1
        self.ids.add(row["id"])
        self.duration_s += row["duration_s"]
        self.files[relpath] = None
        self.genders[row["gender"] or "unknown"] += 1
        self.emotions.update(row["emotions"] or ["(none)"])
        if row["speaker_id"] is not None:
            self.speakers.add(row["speaker_id"])

    def to_dict(self, names: dict[str, str]) -> dict:
        """The shard's entry in ``prepare.json``, its files by their final names ``names[relpath]``."""
        return {
            "rows": self.rows,
            "duration_s": round(self.duration_s, 3),
            "speakers": len(self.speakers),
            "genders": dict(sorted(self.genders.items())),
            "emotions": dict(sorted(self.emotions.items())),
            "files": [names[f] for f in self.files],
        }


def prepare_info(
    benchmark: Benchmark,
    corpora: list[str],
    protocol: str,
    seed: int,
    stats: dict[ShardKey, ShardStats],
    report: SkipReport,
    names: dict[str, str],
    class_names: dict[str, tuple[str, ...]] | None = None,
    own_split: set[str] = frozenset(),
    identical: dict | None = None,
) -> dict:
    """The content of ``prepare.json`` (``names``: ``{planned relpath: final relpath}``;
    ``class_names``: the ``ClassLabel`` names of the categorical columns, as the Parquet files'
    features hold them; ``own_split``: the users' corpora split by their own ``split`` column, the
    others split by speaker, which ``bimotion check`` then checks)."""
    present = set(corpora)

    def order(key: ShardKey) -> tuple[int, int]:
        return benchmark.shards.index(key[:2]), SPLITS.index(key[2])

    return {
        "benchmark": benchmark.name,
        "protocol": protocol,
        "seed": seed,
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "bimotion_version": __version__,
        "corpora": [c for c in benchmark.corpora if c in present],
        "licenses": {c: SOURCES[c].license for c in benchmark.corpora if c in present},
        "groups": {group: _coverage(benchmark, group, present) for group in benchmark.groups},
        "shards": [
            {"corpus": corpus, "group": group, "split": split, **stats[corpus, group, split].to_dict(names)}
            for corpus, group, split in sorted(stats, key=order)
        ],
        "skipped": report.to_dict(),
        # distinct speakers per corpus and group (a shard's count is per split; splits share speakers
        # under the paper protocol and not under the speaker one)
        "speakers": {
            f"{corpus}/{group}": len(set().union(*(stats[k].speakers for k in stats if k[:2] == (corpus, group))))
            for corpus, group in dict.fromkeys(k[:2] for k in sorted(stats, key=order))
        },
        # clips whose audio is identical (loaders.identical), per corpus
        "identical_audio": identical or {},
        **({"class_names": {k: list(v) for k, v in class_names.items()}} if class_names else {}),
        # users' own corpora: their sources, from which registry.benchmark_of rebuilds the benchmark
        **(
            {
                "user_sources": {c: SOURCES[c].to_dict() for c in benchmark.user_corpora},
                "user_split_columns": sorted(c for c in benchmark.user_corpora if c in own_split),
            }
            if benchmark.user_corpora
            else {}
        ),
    }


def _coverage(benchmark: Benchmark, group: str, present: set[str]) -> dict:
    members = benchmark.corpora_of(group)
    have = [c for c in members if c in present]
    return {
        "corpora": have,
        "missing": [c for c in members if c not in present],
        "status": "complete" if len(have) == len(members) else "partial" if have else "absent",
    }
