"""The dataset card (``README.md``) of a prepared folder, generated from its ``prepare.json``.

Rendered with ``huggingface_hub.DatasetCard.from_template`` from ``bimotion/templates/dataset_card.md``:
the metadata is a ``DatasetCardData``, the body's statistics tables are computed by :mod:`bimotion.card_tables`
and its caveats by :mod:`bimotion.card_caveats`, and laid out by the template.

Its YAML header names every config's files per split (a union config its groups'): what makes ``load_dataset(OUT,
"eng_eld")`` work and, the names carrying a content hash, keys the ``datasets`` cache.  Its body: statistics of the
written rows (as the paper's Tables 1, 2), the split protocol, the columns, caveats, each source's licence and citation.
"""

from __future__ import annotations

from importlib import resources

from loaders import SOURCES
from loaders.labels import LABELS
from loaders.languages import LANGUAGE_NAMES
from loaders.synthetic import LICENSE as SYNTHETIC_LICENSE
from loaders.synthetic import NOTE as SYNTHETIC_NOTE
from loaders.synthetic import generated_copy, marked_title

from . import splits
from .card_caveats import caveats
from .card_metadata import (
    combined_license,
    hub_dataset_id,
    hub_language,
    hub_license,
    licence_terms,
    size_category,
)
from .card_tables import config_rows, statistics_tables
from .data.layout import config_files
from .registry import Group, benchmark_of

TITLES = {
    "bimotion": "BiMotion: English-Mandarin speech emotion recognition for adults and the elderly",
    "yuemotion": "YueMotion: Cantonese speech emotion recognition for adults and the elderly",
}

TEMPLATE = "dataset_card.md"
# The how-to snippet's source: the folder (as prepare writes the card), a repository (as push sends it).
LOCAL_SNIPPET = ("path/to/this/folder", "or a Hub repo id")


def render(info: dict) -> str:
    """The card's text: YAML metadata (``configs`` name every shard file, so ``load_dataset`` reads the
    folder) and the body (statistics, protocol, columns, caveats, sources)."""
    from huggingface_hub import DatasetCard

    bench = benchmark_of(info)  # with the user corpora prepare.json records
    files = config_files(info)
    template = (resources.files("bimotion.templates") / TEMPLATE).read_text(encoding="utf-8")
    card = DatasetCard.from_template(
        card_data(info, bench, files),
        template_str=template,
        title=_title(info, bench),
        benchmark=bench.name,
        bimotion_version=info["bimotion_version"],
        corpora=info["corpora"],
        protocol=info["protocol"],
        seed=info["seed"],
        example_config=next(iter(files), bench.default_config),
        load_from=LOCAL_SNIPPET[0],
        load_note=LOCAL_SNIPPET[1],
        partial_groups=partial_groups(info, bench),
        config_rows=config_rows(info, bench, files),
        unprepared_configs=[] if own_only(info, bench) else [n for n in bench.configs if n not in files],
        **statistics_tables(info),
        paper_table=paper_table(info, bench),
        paper_gender_table=paper_table(info, bench) if bench.paper_table_by_gender else None,
        **_protocol(info, paper_table(info, bench)),  # protocol_warning too: at the top and in Split protocol
        labels=LABELS,
        synthetic=info.get("synthetic") or {},
        own_corpora=[c for c in info["corpora"] if c in bench.user_corpora],
        synthetic_note=SYNTHETIC_NOTE,
        caveats=caveats(info, list(partial_groups(info, bench))),
        sources=[_source(corpus, info) for corpus in info["corpora"]],
        other_licenses=[f"{c} ({t})" for c, t in data_licenses(info).items() if hub_license(t) == "other"],
        class_names=info.get("class_names", {}),
        own_names=own_names(info),
        benchmark_citation=SOURCES["yuemotion"].citation.strip(),
        benchmark_heading="The paper whose protocol and label space bimotion follows"
        if own_only(info, bench)
        else "The benchmark",
    )
    return str(card)


def card_for_repo(card: str, repo_id: str) -> str | None:
    """The card ``render`` wrote with its how-to snippet loading the repository ``repo_id`` instead of
    the folder; None when the card has no such snippet (edited, or written by another version)."""
    folder, note = LOCAL_SNIPPET
    local = f'load_dataset("{folder}", '
    if local not in card:
        return None
    return card.replace(local, f'load_dataset("{repo_id}", ', 1).replace(
        f"  # {note}", "  # or a local copy's folder", 1
    )


def own_names(info: dict) -> dict[str, list[str]]:
    """``{column: names}`` of the ``ClassLabel`` names of prepare.json ``info`` that a dataset bimotion
    prepares from its built-in corpora alone lacks (a user's corpus, its groups and languages), where
    the features of the two differ so that ``datasets.concatenate_datasets`` fails."""
    from .features import categories

    shared = categories([])
    extra = {c: [n for n in names if n not in shared[c]] for c, names in (info.get("class_names") or {}).items()}
    return {c: names for c, names in extra.items() if names}


def own_only(info: dict, bench) -> bool:
    """Whether only users' own corpora were prepared (none of the benchmark's)."""
    return bool(info["corpora"]) and all(c in bench.user_corpora for c in info["corpora"])


def _title(info: dict, bench) -> str:
    """:func:`_named`, followed by `` — synthetic demo data: …`` when a corpus is generated."""
    return marked_title(_named(info, bench), info.get("synthetic"))


def _named(info: dict, bench) -> str:
    """The benchmark's title; with users' corpora, theirs and the languages the data holds."""
    user = [c for c in info["corpora"] if c in bench.user_corpora]
    present = [g for g, v in info["groups"].items() if v["status"] != "absent"]
    if not user:  # a partial preparation says which groups it holds
        return TITLES[bench.name] + (f" (partial: {', '.join(present)})" if partial_groups(info, bench) else "")
    languages = ", ".join(dict.fromkeys(LANGUAGE_NAMES[Group.parse(g).language] for g in present))
    if own_only(info, bench):
        return f"{' and '.join(user)}: speech emotion recognition data ({languages}), prepared with bimotion"
    return f"{bench.name} with {' and '.join(user)}: speech emotion recognition data ({languages})"


def partial_groups(info: dict, bench) -> dict:
    """The groups that lack some of their corpora; when only users' corpora were prepared, the
    benchmark's own groups are not said to be absent (they were never asked for)."""
    skip_absent = own_only(info, bench)
    return {
        g: v
        for g, v in info["groups"].items()
        if v["status"] != "complete" and not (skip_absent and v["status"] == "absent")
    }


def card_data(info: dict, bench, files: dict):
    """The card's YAML metadata: the Hub's fields (licence per source, languages, size, task, the
    sources' Hub ids) and ``configs``, listing each config's shard files per split by exact name."""
    from huggingface_hub import DatasetCardData

    languages = sorted({hub_language(Group.parse(s["group"]).language) for s in info["shards"]})
    data = DatasetCardData(
        pretty_name=_pretty_name(info, bench),
        **license_metadata(info),
        language=languages,
        multilinguality="multilingual" if len(languages) > 1 else "monolingual",
        size_categories=[size_category(sum(s["rows"] for s in info["shards"]))],
        source_datasets=source_datasets(info),
        task_categories=["audio-classification"],
        task_ids=["audio-emotion-recognition"],
        tags=_tags(info, languages),
        configs=[  # the label names travel in the Parquet files' features (bimotion.features)
            {
                "config_name": name,
                "data_files": [{"split": split, "path": paths} for split, paths in per_split.items()],
                **({"default": True} if name == bench.default_config else {}),
            }
            for name, per_split in files.items()
        ],
    )
    dataset_infos(info, bench, files).to_dataset_card_data(data)  # none for a prepare.json without the sizes
    return data


def dataset_infos(info: dict, bench, files: dict):
    """The card's ``dataset_info``, per config: its features (with the label names prepare.json
    records), each split's ``num_examples`` and ``num_bytes``, the ``dataset_size`` and the
    ``download_size`` (its Parquet files' bytes), summed from the shards prepare wrote (no file is read).  Empty for a folder prepared before prepare.json recorded
    the names and the shards' bytes: its card then has none, as before."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict

    from .features import features

    if "class_names" not in info or any("file_bytes" not in shard for shard in info["shards"]):
        return DatasetInfosDict()
    shards = {(s["corpus"], s["group"], s["split"]): s for s in info["shards"]}
    out = DatasetInfosDict()
    for name in files:
        splits, download_size = SplitDict(), 0
        for split in files[name]:
            held = [shards[c, g, split] for c, g in bench.config(name).shards if (c, g, split) in shards]
            rows, num_bytes = sum(s["rows"] for s in held), sum(s["num_bytes"] for s in held)
            splits.add(SplitInfo(split, num_bytes=num_bytes, num_examples=rows))
            download_size += sum(s["file_bytes"] for s in held)
        out[name] = DatasetInfo(
            features=features(info["class_names"]),
            splits=splits,
            dataset_size=sum(split.num_bytes for split in splits.values()),
            download_size=download_size,
        )
    return out


def source_datasets(info: dict) -> list[str]:
    """The Hub's ``source_datasets``: each corpus by its Hub id (``CAiRE/YueMotion``) or else its name;
    a generated copy (``prepare.json``'s ``synthetic``) as ``original``, the Hub's word for data made
    here, since nothing of the corpus it imitates is in it."""
    synthetic = info.get("synthetic") or {}
    return list(
        dict.fromkeys(
            "original" if generated_copy(c, synthetic) else hub_dataset_id(SOURCES[c].url) or c for c in info["corpora"]
        )
    )


def _pretty_name(info: dict, bench) -> str:
    """The Hub's short name: the benchmark's; with users' corpora, their titles (their cards'
    ``pretty_name``) after it, or alone when only theirs were prepared."""
    base = TITLES[bench.name].split(":")[0] if bench.name in TITLES else bench.name
    user = [SOURCES[c].title.split(":")[0] for c in info["corpora"] if c in bench.user_corpora]
    if not user:
        return base
    return " and ".join(user) if own_only(info, bench) else f"{base} with {' and '.join(user)}"


def _tags(info: dict, languages: list[str]) -> list[str]:
    """The card's tags: ``elderly`` only when an elderly group was prepared, ``cross-lingual`` only
    with more than one language, ``synthetic`` when a corpus is generated."""
    elderly = any(Group.parse(s["group"]).age_group == "eld" for s in info["shards"])
    return [
        "speech-emotion-recognition",
        *(["elderly"] if elderly else []),
        *(["cross-lingual"] if len(languages) > 1 else []),
        "audio",
        *(["synthetic"] if info.get("synthetic") else []),
    ]


def license_metadata(info: dict) -> dict:
    """The card's licence keys: the Hub id shared by every source, else the list of the sources' Hub
    ids (each part of the data keeps its own); ``license_name``/``license_link`` when one is ``other``."""
    licenses = data_licenses(info)
    ids = list(dict.fromkeys(hub_license(text) for text in licenses.values()))
    out = {"license": ids[0] if len(ids) == 1 else ids}
    if "other" in ids:
        combined = combined_license(licenses, {c: SOURCES[c].url for c in licenses})
        out.update(license_name=combined.name, license_link=combined.link)
    return out


def paper_table(info: dict, bench) -> int | None:
    """The paper's table the card compares with: the benchmark's (``Benchmark.paper_table``), none
    when only users' own corpora were prepared."""
    return None if own_only(info, bench) else bench.paper_table


def _protocol(info: dict, table: int | None) -> dict:
    """The split protocol's paragraph: what it is (:func:`bimotion.splits.heading`), its rule per
    corpus, and the corpora whose split is not speaker-independent (with the reason where one is given;
    a user's corpus as prepare.json records its split: :func:`bimotion.splits.rule`)."""
    protocol = info["protocol"]
    dependent = splits.not_speaker_independent(protocol, info["corpora"], info) if protocol == "speaker" else []
    return {
        "protocol_intro": f"`{protocol}`: {splits.heading(protocol, table)}.",
        "protocol_rules": splits.describe(protocol, info["corpora"], info),
        "not_speaker_independent": [f"{c}: {splits.rule(protocol, c, info).reason}" for c in dependent],
        "protocol_warning": speaker_warning(info["corpora"], dependent, info),
    }


def speaker_warning(corpora: list[str], dependent: list[str], info: dict | None = None) -> str | None:
    """What the card says at its top and above its split rules when the ``speaker`` protocol could not
    split some of ``corpora`` by speaker (``dependent``), so no reader takes the split for
    speaker-independent: where none of them could be and each keeps the paper split
    (:class:`bimotion.splits.AsPaper`: CSED, ElderReact), the splits are the ``paper`` protocol's; where
    each is a user's corpus split by its own column (``info``, its prepare.json), why, in its words."""
    if not dependent:
        return None
    names = ", ".join(dependent)
    rules = {c: splits.rule("speaker", c, info) for c in dependent}
    if len(dependent) < len(corpora):
        return f"**Not speaker-independent for {names}:** their splits can hold one speaker in train and test alike."
    if all(isinstance(r, splits.AsPaper) for r in rules.values()):
        return (
            f"**Not speaker-independent:** {names} cannot be split by speaker, so these splits are the `paper` "
            "protocol's, clip for clip, and one speaker can be in train and test alike."
        )
    if all(isinstance(r, splits.UserSplit) for r in rules.values()):
        why = "; ".join(f"{c}'s own `split` column, as given: {r.reason}" for c, r in rules.items())
        return f"**Not speaker-independent:** {why}."
    return (
        f"**Not speaker-independent:** {names} cannot be split by speaker; one speaker can be in train and test alike."
    )


def data_licenses(info: dict) -> dict[str, str]:
    """``{corpus: licence}`` of a prepared folder's data: ``prepare.json``'s, a generated copy's being
    bimotion's (a folder prepared before they were recorded so lists the real corpus's)."""
    synthetic = info.get("synthetic") or {}
    return {c: SYNTHETIC_LICENSE if generated_copy(c, synthetic) else t for c, t in info["licenses"].items()}


def _source(corpus: str, info: dict) -> dict:
    """A source's entry in the card: its data's licence (a generated copy's is bimotion's, and the
    real corpus's is named beside it), address and citation."""
    source = SOURCES[corpus]
    generated = generated_copy(corpus, info.get("synthetic") or {})
    license = SYNTHETIC_LICENSE if generated else source.license
    return {
        "title": source.title,
        "generated": generated,
        "license": license,
        "real_license": source.license,
        "hub_license": hub_license(license),
        "terms": licence_terms(license, advice=False),
        "url": source.url,
        "hub_id": hub_dataset_id(source.url),
        "citation": source.citation.strip(),
    }
