"""The statistics tables of a dataset card (:mod:`bimotion.dataset_card`), computed from ``prepare.json``'s shards
alone (no file is read): one row per prepared config (:func:`config_rows`), and rows per corpus and group, per
group and gender (as the paper's Tables 1 and 2) and of label counts per corpus (:func:`statistics_tables`)."""

from __future__ import annotations

import collections

from loaders.labels import CORPUS_LABEL_MAPS, label_space
from loaders.languages import LANGUAGE_NAMES
from loaders.manifest import NOT_ANNOTATED, NOT_ANNOTATED_MEANS, label_cell, label_columns
from loaders.tables import hours_text

from .card_caveats import age_group_text
from .registry import SPLITS, Group


def _rows(info: dict, **match) -> collections.Counter:
    counts = collections.Counter()
    for shard in info["shards"]:
        if all(shard[k] in v for k, v in match.items()):
            counts[shard["split"]] += shard["rows"]
    return counts


def config_rows(info: dict, bench, files: dict) -> list[dict]:
    """One row per prepared config: the groups it holds rows of (a union's absent groups are not
    listed), the corpora given, and rows per split."""
    held = {(s["corpus"], s["group"]) for s in info["shards"]}
    rows = []
    for name, config in bench.configs.items():
        if name not in files:
            continue
        shards = [s for s in config.shards if s in held]
        counts = collections.Counter()
        for corpus, group in shards:
            counts += _rows(info, corpus=[corpus], group=[group])
        groups = [g for g in config.groups if any(g == group for _, group in shards)]
        corpora = list(dict.fromkeys(c for c, _ in shards))
        rows.append({"name": name, "groups": groups, "corpora": corpora, "counts": [counts[s] for s in SPLITS]})
    return rows


def statistics_tables(info: dict) -> dict:
    """Rows of the statistics tables: per corpus and group, per group and gender (like the paper's
    Table 1 for BiMotion and Table 2 for YueMotion: ``Benchmark.paper_table``), and label counts per corpus."""
    by_shard = collections.defaultdict(dict)
    for s in info["shards"]:
        by_shard[(s["corpus"], s["group"])][s["split"]] = s
    corpus_rows = []
    for (corpus, name), per_split in by_shard.items():
        group = Group.parse(name)
        corpus_rows.append(
            {
                "corpus": corpus,
                "language": LANGUAGE_NAMES[group.language],
                "age_group": age_group_text(corpus, name),  # the one rule by language, or the paper's filing
                "counts": [per_split.get(sp, {}).get("rows", 0) for sp in SPLITS],
                "hours": hours_text(sum(s["duration_s"] for s in per_split.values()) / 3600),  # a few clips: <0.01
                "speakers": info.get("speakers", {}).get(  # distinct; folders prepared before: the largest split's
                    f"{corpus}/{name}", max((s["speakers"] for s in per_split.values()), default=0)
                ),
            }
        )
    by_gender = collections.defaultdict(collections.Counter)
    labels = collections.defaultdict(collections.Counter)
    for s in info["shards"]:
        for gender, n in s["genders"].items():
            by_gender[(s["group"], gender)][s["split"]] += n
        labels[s["corpus"]].update(s["emotions"])
    gender_rows = [
        {"group": group, "gender": gender, "counts": [counts[s] for s in SPLITS]}
        for (group, gender), counts in sorted(by_gender.items())
    ]
    spaces = {corpus: _label_space(info, corpus) for corpus in labels}  # None: not known (an older folder's own corpus)
    used = label_columns(labels.values(), (space for space in spaces.values() if space is not None))
    rows = {
        corpus: [label_cell(c[n], spaces[corpus] is None or n in spaces[corpus]) for n in used]
        for corpus, c in labels.items()
    }
    return {
        "corpus_rows": corpus_rows,
        "gender_rows": gender_rows,
        "used_labels": used,
        "label_rows": rows,
        "not_annotated_legend": f"`{NOT_ANNOTATED}` = {NOT_ANNOTATED_MEANS}"
        if any(NOT_ANNOTATED in r for r in rows.values())
        else None,
        "unrecorded_spaces_note": _unrecorded_note([corpus for corpus, space in spaces.items() if space is None]),
    }


def _unrecorded_note(corpora: list[str]) -> str | None:
    """Why a user's corpus in a folder prepared before prepare.json recorded label spaces shows only the
    labels its clips have (a label it annotates that none of its clips has has no column), or ``None``."""
    if not corpora:
        return None
    one = len(corpora) == 1
    return (f"{', '.join(corpora)}: the labels {'its' if one else 'their'} clips have; the labels "
            f"{'it annotates' if one else 'they annotate'} are not in this folder's prepare.json (prepared by an "
            "older bimotion), so one that none of its clips has is not shown: prepare the folder again to see it, as 0")  # fmt: skip


def _label_space(info: dict, corpus: str) -> set[str] | None:
    """The labels ``corpus`` annotates, and ``(none)``: as prepare.json records them; a folder prepared
    before it did (prepare.json without ``label_spaces``), a registered corpus's map.  ``None`` for a
    user's corpus there: which labels it annotates is not known, so its labels' columns are those its
    clips have, each cell its count (0, not ``-``, where it shares another corpus's column)."""
    recorded = info.get("label_spaces", {}).get(corpus)
    if recorded is None and corpus not in CORPUS_LABEL_MAPS:
        return None
    return {"(none)", *(label_space(corpus) if recorded is None else recorded)}
