"""What a model card claims of the data its model was trained on, from that data alone: the ages of
the groups it was trained on (by the speakers' ages, or by the paper's filing of a corpus that gives
none), its Limitations (how the speech of each training corpus was made, its languages' sources), each
as the corpus declares it (its :class:`loaders.SourceInfo`: ``ages_from``, ``filed_without_ages``,
``speech``), how each benchmark's data was split and which corpora that split could not keep
speaker-independent, and the caveats its dataset cards state of that data (``data_caveats`` in scores.json:
:func:`bimotion.card_caveats.data_caveats`)."""

from __future__ import annotations

from loaders.labels import CORPUS_LABEL_MAPS
from loaders.record import age_band

from ..card_caveats import corpus_fact, filed_by
from ..group_names import age_group_name, language_name, youngest_adult_age
from ..registry import Group


def trained_groups(summary: dict) -> list[str]:
    """The groups a model was trained on: those its training read (scores.json's ``train_groups``: a
    union configuration of a partly prepared dataset reads only the groups that have rows), else
    (scores.json of an earlier version) every group of its training configurations."""
    from .mixtures import groups_of

    return list(summary.get("train_groups") or groups_of(summary["train_configs"]))


def trained_shards(summary: dict) -> dict[str, list[str]]:
    """``{group: corpora}`` of the data the model was trained on: its training configurations' shards of
    the groups (:func:`trained_groups`) and corpora (``train_corpora``) it read, in the configurations' order."""
    from .mixtures import shards

    read, groups = set(summary["train_corpora"]), set(trained_groups(summary))
    out: dict[str, list[str]] = {}
    for shard in shards(summary["train_configs"]):
        if shard.corpus in read and shard.group in groups and shard.corpus not in out.get(shard.group, []):
            out.setdefault(shard.group, []).append(shard.corpus)
    return out


def trained_ages(summary: dict) -> str:
    """The age groups a model was trained on, for its intended use: each group's band by the one rule
    (``elderly (60+)``), or how a corpus without ages was put in it (``elderly: csed by the paper's
    filing, not by age``); per language where it trained on several."""
    by_group = trained_shards(summary)
    several = len({Group.parse(g).language for g in by_group}) > 1
    parts = []
    for group, corpora in by_group.items():
        parsed = Group.parse(group)
        filed = [c for c in corpora if corpus_fact(c, "filed_without_ages")]
        aged = [c for c in corpora if c not in filed]
        text = age_band(parsed.language, parsed.age_group, youngest_adult_age(aged)) if aged else ""
        if filed:
            by: dict[str, list[str]] = {}
            for corpus in filed:
                by.setdefault(filed_by(corpus), []).append(corpus)
            how = "; ".join(f"{', '.join(named)} by {who}, not by age" for who, named in by.items())
            text = f"{text}; {how}" if text else f"{age_group_name(parsed.age_group)}: {how}"
        parts.append(f"{language_name(parsed.language)} {text}" if several else text)
    return "; ".join(dict.fromkeys(parts))


def age_limitation(summary: dict, own_age_bands: str) -> str:
    """How the age group of each training corpus was assigned: by whose ages, or (a corpus whose release
    gives none) by the paper's filing, and why; a user's corpus by its ``age`` or ``age_group`` column."""
    parts = []
    for group, corpora in trained_shards(summary).items():
        parsed = Group.parse(group)
        for corpus in corpora:
            filed, ages = corpus_fact(corpus, "filed_without_ages"), corpus_fact(corpus, "ages_from")
            if filed:
                name = age_group_name(parsed.age_group)
                parts.append(f"{corpus} is `{group}` ({name}) by {filed_by(corpus)}, not by age: {filed}")
            elif ages:
                band = age_band(parsed.language, parsed.age_group, youngest_adult_age([corpus]))
                parts.append(f"{corpus}'s `{group}` is {band} by {ages}")
    # a user's corpus that declares ``ages_from`` or ``filed_without_ages`` is said above, once
    declared = {
        c for c in summary["train_corpora"] if corpus_fact(c, "ages_from") or corpus_fact(c, "filed_without_ages")
    }
    own = list(dict.fromkeys(c for c in summary["train_corpora"] if c not in CORPUS_LABEL_MAPS and c not in declared))
    if own:
        parts.append(f"the `age` or `age_group` column of {', '.join(own)}, grouped as {own_age_bands}")
    return "; ".join(parts)


def limitations(summary: dict) -> list[str]:
    """The Limitations a model of the seven corpora has from the corpora it was trained on: how their
    speech was made, its size, and its languages' sources (none of a corpus it never used)."""
    speech = {c: corpus_fact(c, "speech") for c in summary["train_corpora"]}
    released = [c for c in speech if speech[c]]
    by_group = trained_shards(summary)
    manifest = summary["train_manifest"]
    lines = [
        f"**Little data**: {manifest['num_clips']} training clips ({manifest['hours']:.2f} hours), so the scores have "
        "wide confidence intervals (Results) and say little of other speakers or recording conditions."
    ]
    made = "; ".join(f"{c}: {speech[c]}" for c in released)
    lines.append(
        f"**How the speech was made**: {made}. Labels differ per corpus, and a missing label means "
        '"not annotated", not "absent".'
    )
    by_language: dict[str, list[str]] = {}
    for group, corpora in by_group.items():
        by_language.setdefault(Group.parse(group).language, []).extend(c for c in corpora if speech.get(c))
    sources = "; ".join(
        f"{language_name(code)} from {', '.join(dict.fromkeys(cs))}" for code, cs in by_language.items() if cs
    )
    lines.append(
        f"**Few sources per language**: {sources}; results do not generalise to other varieties, accents "
        "or recording conditions."
    )
    return lines


def carried_caveats(summary: dict) -> list[str]:
    """The caveats the dataset cards state of the corpora the model was trained on (scores.json's
    ``data_caveats``; empty in scores.json of an earlier version)."""
    recorded = summary.get("data_caveats") or {}
    return [line for corpus in summary["train_corpora"] for line in recorded.get(corpus, [])]


def protocol_texts(summary: dict, used: dict[str, list[str]]) -> dict[str, str]:
    """How each benchmark of ``used`` (:func:`.model_card.used_data`) was split, in the split rules' words
    (:func:`bimotion.splits.summary` of the corpora used, citing the benchmark's table in the paper):
    its prepared folder's protocol (``protocols`` in scores.json), or how a Hub dataset was prepared;
    a user's corpus as its prepare.json recorded its split (``user_splits`` in scores.json)."""
    from bimotion import splits
    from bimotion.registry import BUILTIN

    recorded, own = summary.get("protocols"), summary.get("user_splits") or {}
    out = {}
    for bench, corpora in used.items():
        protocol = (recorded or {}).get(bench)
        if protocol in splits.PROTOCOLS:
            builtin = BUILTIN.get(bench)
            table = builtin.paper_table if builtin and set(corpora) & set(builtin.corpora) else None
            out[bench] = f"`{protocol}`, {splits.summary(protocol, corpora, table, own.get(bench))}"
        elif recorded is None:
            out[bench] = "not recorded (scores.json of an earlier version)"
        else:
            out[bench] = "as its Hub dataset was prepared (see its dataset card)"
    return out


def speaker_dependent(summary: dict, used: dict[str, list[str]]) -> list[str]:
    """The training corpora split by the ``speaker`` protocol (a benchmark's, ``protocols`` in scores.json)
    that it cannot split by speaker, or whose own column did not (:func:`bimotion.splits.not_speaker_independent`)."""
    from bimotion import splits

    recorded, own = summary.get("protocols") or {}, summary.get("user_splits") or {}  # own: per benchmark
    split = {
        b: [c for c in cs if c in summary["train_corpora"]] for b, cs in used.items() if recorded.get(b) == "speaker"
    }
    return [c for b, cs in split.items() for c in splits.not_speaker_independent("speaker", cs, own.get(b))]
