"""The dataset card (``README.md``) of a prepared folder, generated from its ``prepare.json``.

Its YAML header lists every config's data files per split by name (union configs name the same
shard files as the groups they unite), which is what makes ``load_dataset(OUT, "eng_eld")`` work,
and, as the names carry a content hash, what keys the ``datasets`` cache on the data; its
body carries statistics computed from the written rows (like the paper's Tables 1 and 2), the
split protocol, the columns, known caveats, and each source's licence and citation.
"""

from __future__ import annotations

import collections

import yaml

from loaders import SOURCES
from loaders.labels import LABELS

from . import splits
from .registry import AGE_GROUP_NAMES, BENCHMARKS, LANGUAGE_NAMES, SPLITS

HF_LANGUAGE = {"eng": "en", "zho": "zh", "yue": "yue"}
TITLES = {
    "bimotion": "BiMotion: English-Mandarin speech emotion recognition for adults and the elderly",
    "yuemotion": "YueMotion: Cantonese speech emotion recognition for adults and the elderly",
}
# Licences (lower-case prefixes) under which a resampled copy may be shared publicly; the others
# restrict redistribution, and `push` warns about them.
OPEN_LICENSES = ("apache-2.0", "odbl", "cc-by-sa-4.0", "cc-by-4.0", "mit")
HUB_LICENSE_IDS = ("apache-2.0", "cc-by-sa-4.0", "cc-by-4.0", "cc-by-nc-nd-4.0", "mit")

CAVEATS = {
    "csed": (
        "**CSED speakers.** CSED has no speaker ids or ages. Following the paper, all of it is the elderly "
        "Mandarin group (`zho_eld`), although its own README says the speech was recorded by graduate "
        "students and clipped from videos, so its speakers are probably not elderly. Its splits cannot be "
        "speaker-independent."
    ),
    "tess": (
        "**TESS has one speaker per group** (OAF, aged 64, is `eng_eld`; YAF, aged 26, is `eng_adu`), so "
        "every TESS split of a group holds the same speaker; the `speaker` protocol keeps the 200 words "
        "disjoint between splits instead. The paper reports 699/200/500 and 700/201/500 from a copy with "
        "one misfiled file; a correct copy (1400 + 1400 files) gives 700/200/500 and 699/201/500."
    ),
    "elderreact": (
        "**ElderReact** clip names are stimuli, not people: there are no speaker ids, so its official "
        "split may share speakers between train and test. Labels are multi-label; a clip may have none."
    ),
    "iemocap": (
        "**IEMOCAP** keeps all 10039 utterances with their consensus code, as the paper did, including "
        "`xxx` (no agreement, label `unknown`) and `oth` (`other`)."
    ),
    "yuemotion": ("**YueMotion** speakers aged 59 or more are elderly, as its authors grouped them (60 elsewhere)."),
}


def render(info: dict) -> str:
    from .prepare import config_files

    bench = BENCHMARKS[info["benchmark"]]
    files = config_files(info)
    header = {
        "pretty_name": TITLES[bench.name].split(":")[0],
        "license": _license(info),
        "language": sorted({HF_LANGUAGE[g.split("_")[0]] for g in bench.groups}),
        "task_categories": ["audio-classification"],
        "tags": ["speech-emotion-recognition", "elderly", "cross-lingual", "audio"],
        "configs": [
            {
                "config_name": name,
                "data_files": [{"split": split, "path": paths} for split, paths in per_split.items()],
                **({"default": True} if name == bench.default_config else {}),
            }
            for name, per_split in files.items()
        ],
    }
    parts = [
        "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=200) + "---",
        f"# {TITLES[bench.name]}",
        _intro(info, bench, next(iter(files), bench.default_config)),
        "## Configurations\n\n" + _configs_table(info, bench, files),
        "## Statistics\n\n" + _statistics(info),
        "## Split protocol\n\n" + _protocol(info),
        "## Columns\n\n" + _columns(),
        "## Caveats\n\n" + _caveats(info),
        "## Sources, licences and citations\n\n" + _sources(info),
    ]
    return "\n\n".join(parts) + "\n"


def restricted(license: str) -> bool:
    """Whether a source licence restricts sharing a resampled copy (anything not known open)."""
    return not license.lower().startswith(OPEN_LICENSES)


def _license(info: dict) -> str:
    """The Hub licence id when all sources share one, else ``other`` (the card lists each)."""
    ids = {lic.lower().replace(" ", "-") for lic in info["licenses"].values()}
    return ids.pop() if len(ids) == 1 and next(iter(ids)) in HUB_LICENSE_IDS else "other"


def _intro(info: dict, bench, example_config: str) -> str:
    name = bench.name
    lines = [
        f"Prepared with `{name} prepare` (bimotion {info['bimotion_version']}) from the raw releases of: "
        + ", ".join(f"`{c}`" for c in info["corpora"])
        + f". Audio is 16 kHz mono, stored once as 16-bit FLAC inside the Parquet files; split protocol "
        f"`{info['protocol']}` (seed {info['seed']}).",
        "```python\nfrom datasets import load_dataset\n\n"
        f'ds = load_dataset("path/to/this/folder", "{example_config}")   # or a Hub repo id\n'
        'ds["train"][0]["audio"]   # decoded by datasets (torchcodec)\n```',
        "For training, decoding the stored bytes with `soundfile` is faster than the default "
        '`Audio` decoding: `ds.cast_column("audio", Audio(decode=False))`, then '
        '`bimotion.features.decode_audio_bytes(row["audio"]["bytes"])` (see `bimotion.builder.decode_batch`).',
    ]
    partial = {g: v for g, v in info["groups"].items() if v["status"] != "complete"}
    if partial:
        lines.append(
            "**This is a partial preparation.** "
            + "; ".join(f"`{g}` is {v['status']} (missing {', '.join(v['missing'])})" for g, v in partial.items())
            + ". Configs built on these groups contain only the corpora that were given."
        )
    return "\n\n".join(lines)


def _rows(info: dict, **match) -> collections.Counter:
    counts = collections.Counter()
    for shard in info["shards"]:
        if all(shard[k] in v for k, v in match.items()):
            counts[shard["split"]] += shard["rows"]
    return counts


def _configs_table(info: dict, bench, files) -> str:
    lines = ["| config | groups | corpora | train | validation | test |", "|---|---|---|--:|--:|--:|"]
    for name, config in bench.configs.items():
        if name not in files:
            continue
        shards = [s for s in config.shards if s[0] in info["corpora"]]
        counts = collections.Counter()
        for corpus, group in shards:
            counts += _rows(info, corpus=[corpus], group=[group])
        corpora = ", ".join(dict.fromkeys(c for c, _ in shards))
        lines.append(
            f"| `{name}` | {', '.join(config.groups)} | {corpora} | "
            + " | ".join(str(counts[s]) for s in SPLITS)
            + " |"
        )
    missing = [n for n in bench.configs if n not in files]
    if missing:
        lines.append(f"\nNot prepared (no source given): {', '.join(f'`{n}`' for n in missing)}.")
    return "\n".join(lines)


def _statistics(info: dict) -> str:
    by_shard = collections.defaultdict(dict)
    for s in info["shards"]:
        by_shard[(s["corpus"], s["group"])][s["split"]] = s
    table1 = [
        "Utterances per corpus and group (cf. the paper's Table 1):",
        "",
        "| corpus | language | age group | train | validation | test | hours | speakers |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    for (corpus, group), per_split in by_shard.items():
        language, age_group = group.split("_")
        hours = sum(s["duration_s"] for s in per_split.values()) / 3600
        speakers = max((s["speakers"] for s in per_split.values()), default=0)
        table1.append(
            f"| {corpus} | {LANGUAGE_NAMES[language]} | {AGE_GROUP_NAMES[age_group]} | "
            + " | ".join(str(per_split.get(sp, {}).get("rows", 0)) for sp in SPLITS)
            + f" | {hours:.2f} | {speakers or 'n/a'} |"
        )
    table2 = [
        "Utterances per group and gender (cf. the paper's Table 2):",
        "",
        "| group | gender | train | validation | test | all |",
        "|---|---|--:|--:|--:|--:|",
    ]
    by_gender = collections.defaultdict(collections.Counter)
    for s in info["shards"]:
        for gender, n in s["genders"].items():
            by_gender[(s["group"], gender)][s["split"]] += n
    for (group, gender), counts in sorted(by_gender.items()):
        table2.append(
            f"| {group} | {gender} | " + " | ".join(str(counts[s]) for s in SPLITS) + f" | {sum(counts.values())} |"
        )
    labels = collections.defaultdict(collections.Counter)
    for s in info["shards"]:
        labels[s["corpus"]].update(s["emotions"])
    used = [name for name in (*LABELS, "(none)") if any(c[name] for c in labels.values())]
    table3 = ["Label counts per corpus (all splits):", "", "| corpus | " + " | ".join(used) + " |"]
    table3.append("|---|" + "--:|" * len(used))
    for corpus, counts in labels.items():
        table3.append(f"| {corpus} | " + " | ".join(str(counts[n]) for n in used) + " |")
    return "\n".join(table1) + "\n\n" + "\n".join(table2) + "\n\n" + "\n".join(table3)


def _protocol(info: dict) -> str:
    protocol = info["protocol"]
    intro = {
        "paper": "`paper`: the split of the paper (its Table 1), made reproducible: official splits where a "
        "corpus has one, otherwise fixed sizes drawn at the utterance level, so speakers are shared between "
        "splits.",
        "speaker": "`speaker`: speaker-independent wherever the corpus identifies speakers, in the proportions "
        "of the paper protocol.",
    }[protocol]
    lines = [
        intro,
        "Assignment is deterministic: records are sorted by id and every random choice is seeded from a "
        "stable hash of (seed, corpus, group, stratum), so every machine gets the same split.",
        "",
    ]
    lines += [f"- `{c}`: {text}" for c, text in splits.describe(protocol, info["corpora"]).items()]
    dependent = splits.not_speaker_independent(protocol, info["corpora"])
    if protocol == "speaker" and dependent:
        lines += ["", f"Not speaker-independent under this protocol: {', '.join(dependent)} (no speaker ids)."]
    return "\n".join(lines)


def _columns() -> str:
    return "\n".join(
        [
            "- `audio`: 16 kHz mono (FLAC bytes); `duration_s` its length in seconds",
            "- `id` (`<corpus>/<native id>`), `corpus`, `group` (`<language>_<age group>`), `language` "
            "(eng, zho, yue), `age_group` (eld, adu), `age` (years, when known), `gender` (f, m), `speaker_id`, `text`",
            "- `emotions`: label names; `labels`: multi-hot over the 13 labels "
            f"({', '.join(LABELS)}); `label_mask`: 1 where the corpus annotates the label (a 0 in "
            "`labels` is a negative only where `label_mask` is 1)",
        ]
    )


def _caveats(info: dict) -> str:
    lines = [f"- {CAVEATS[c]}" for c in info["corpora"] if c in CAVEATS]
    partial = [g for g, v in info["groups"].items() if v["status"] != "complete"]
    if partial:
        lines.append(f"- **Partial groups:** {', '.join(partial)} (see above).")
    if info["skipped"]:
        skipped = ", ".join(f"{k}: {n}" for k, n in info["skipped"].items())
        lines.append(f"- **Skipped bad inputs** (`--skip-bad`): {skipped}.")
    return "\n".join(lines) or "None known."


def _sources(info: dict) -> str:
    parts = []
    for corpus in info["corpora"]:
        source = SOURCES[corpus]
        note = " (restricts redistribution)" if restricted(source.license) else ""
        parts.append(
            f"### {source.title}\n\nLicence: {source.license}{note}. Source: {source.url}\n\n"
            f"```bibtex\n{source.citation.strip()}\n```"
        )
    paper = SOURCES["yuemotion"].citation.strip()
    parts.append(f"### The benchmark\n\n```bibtex\n{paper}\n```")
    return "\n\n".join(parts)
