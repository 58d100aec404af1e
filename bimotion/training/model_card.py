"""The model card (with a ``model-index`` of weighted F1 and its chance level per test group and
corpus), written next to every trained model, and what it may say about the run: no local path
(:func:`.public.public_summary`).

Rendered with ``huggingface_hub.ModelCard.from_template`` from ``bimotion/templates/model_card.md``:
the metadata is a ``ModelCardData`` whose ``eval_results`` make the model-index.  Its licence is the
most restrictive of the training corpora's (:func:`bimotion.card_metadata.combined_license`), its
``base_model`` the base's Hub id (:func:`.public.base_model_id`; left out when a local base records none),
its ``datasets`` the Hub ids the data came from; the how-to snippet loads the model by its Hub id
(``hub_model_id``) or, before one is given, by its folder.  Publishing the folder is
:func:`bimotion.hub_upload.publish`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from loaders import SOURCES
from loaders.labels import CORPUS_LABEL_MAPS, LABELS, label_space
from loaders.record import OWN_MIN_AGE
from loaders.synthetic import LICENSE as SYNTHETIC_LICENSE
from loaders.synthetic import NOTE as SYNTHETIC_NOTE
from loaders.synthetic import generated_copy

from ..card_metadata import License, combined_license, hub_language, share_alike_clashes
from ..group_names import age_bands, language_name
from ..registry import Group
from .card_claims import (
    age_limitation,
    carried_caveats,
    limitations,
    protocol_texts,
    speaker_dependent,
    trained_ages,
    trained_groups,
)
from .model import UNTRAINED_BIAS
from .public import CARD_FILE, LOCAL, is_hub_id, public_source

# corpora whose paper-protocol split is drawn per utterance: a speaker can be in training and test
SHARED_SPEAKERS = ("crema_d", "tess", "iemocap", "csed")

CODE = "https://github.com/HLTCHKUST/elderly_ser"
BENCHMARK_TITLES = {"bimotion": "BiMotion", "yuemotion": "YueMotion"}
TEMPLATE = "model_card.md"


def training_license(summary: dict) -> License:
    """The :class:`~bimotion.card_metadata.License` of a model: the most restrictive licence of the
    corpora it was trained on (a corpus this process does not know, or one whose licence nobody declared, makes it
    ``unknown``; a generated copy of one of the seven has bimotion's licence, :func:`loaders.synthetic.generated_copy`)."""
    licenses, urls = {}, {}
    generated = {c for corpora in (summary.get("synthetic") or {}).values() for c in corpora}
    for corpus in summary["train_corpora"]:
        if generated_copy(corpus, generated):
            licenses[corpus] = SYNTHETIC_LICENSE
            continue
        try:
            source = SOURCES[corpus]
        except KeyError:
            licenses[corpus] = "unknown (corpus not registered when the card was written)"
            continue
        licenses[corpus], urls[corpus] = source.license, source.url
    return combined_license(licenses, urls, card=CARD_FILE)


def dataset_id(source: str | None, benchmark: str) -> str:
    """The model-index's ``dataset.type`` (by the Hub's spec a Hub dataset id, which the Hub links to):
    the data's Hub id; a local folder as the card names it, ``local:<name>``, no Hub id, so no link to
    a dataset that is not the data (``datasets/bimotion``); ``local:<benchmark>`` when none is recorded."""
    return public_source(source) if source else f"{LOCAL}{benchmark}"


def tested_as(summary: dict) -> dict[str, str]:
    """Each test group's name in the card: the group, or ``group[corpus,...]`` where the test
    configurations named only some of its corpora (Table 5's ``eng_adu[esd]``, which is not the
    ``eng_adu`` of the other tables), written as a grid names it (:func:`bimotion.mixture.group_spec`: its
    corpora in its config's order, ``eng_eld[crema_d,tess]`` whatever order the test configurations gave)."""
    from bimotion.mixture import group_spec, parse_mixture

    try:
        tested = parse_mixture(summary.get("test_configs") or []).shards
    except ValueError:  # a user's group the registry cannot expand: named as scored
        tested = ()
    names = {}
    for group in summary["test"]["groups"]:
        named = [s for s in tested if s.group == group]
        names[group] = group_spec(named[0].benchmark, group, [s.corpus for s in named]) if named else group
    return names


def eval_results(summary: dict, facts: CardFacts | None = None) -> list:
    """Weighted F1 (%) on each test group (the mean over its corpora) and on each corpus (named in
    the metric, since a model-index entry is one dataset configuration, here the group), each
    followed by its chance level (``metric_type`` ``chance_f1``: the weighted F1 of a predictor blind
    to the audio, :func:`bimotion.training.metrics.chance_levels`); a test set of generated data is
    named ``(synthetic)``.  ``facts``: the run's :class:`CardFacts` (None: derived here)."""
    from huggingface_hub import EvalResult

    from .mixtures import benchmark_of_group

    facts = facts or CardFacts.of(summary)
    out, names, synthetic = [], facts.tested_as, facts.synthetic
    for group, g in summary["test"]["groups"].items():
        bench = benchmark_of_group(group)
        common = dict(
            task_type="audio-classification",
            task_name="Speech emotion recognition",
            dataset_type=dataset_id(summary["datasets"].get(bench), bench),
            dataset_name=f"{BENCHMARK_TITLES.get(bench, bench)} {names[group]}"
            + (" (synthetic)" if set(g["corpora"]) & set(synthetic) else ""),
            dataset_config=group,
            dataset_split="test",
        )
        for what, scores in (("mean over corpora", g), *g["corpora"].items()):
            name = "(mean over corpora)" if scores is g else what
            for kind, metric, value in (("f1", "weighted F1", scores["weighted_f1"]),
                                        ("chance_f1", "chance-level weighted F1", chance_level(scores))):  # fmt: skip
                if value is not None:  # no chance level in scores.json of older runs
                    out.append(EvalResult(**common, metric_type=kind, metric_name=f"{metric} {name}",
                                          metric_value=round(100 * float(value), 2)))  # fmt: skip
    return out


def chance_level(scores: dict, metric: str = "chance") -> float | None:
    """The chance level of a set of scores' weighted F1 (``chance``), ``macro_f1`` or UA; None if not recorded."""
    chance = scores.get("chance")
    return chance.get(metric) if isinstance(chance, dict) else chance if metric == "chance" else None


def dagger(scores: dict) -> str:
    """``†`` after a weighted F1 at or below its chance level, as the end table marks it
    (:func:`.report.at_or_below`), else nothing."""
    from .metrics import DAGGER
    from .report import at_or_below

    return DAGGER if at_or_below(scores["weighted_f1"], chance_level(scores)) else ""


def argmax_cell(scores: dict, metric: str = "weighted_f1_argmax") -> str:
    """The arg-max weighted F1 (or another ``metric``: ``macro_f1``, ``unweighted_accuracy``) of a set of
    scores and its chance level (``45.30 / 33.40``), ``†`` where at or below it; empty where not recorded
    (scores.json of an earlier version)."""
    from .metrics import DAGGER
    from .report import at_or_below

    value, chance = scores.get(metric), chance_level(scores, metric)
    if value is None:
        return ""
    mark = DAGGER if at_or_below(value, chance) else ""
    return f"{100 * value:.2f}{mark}" + ("" if chance is None else f" / {100 * chance:.2f}")


def chance_notes(groups: dict, names: dict) -> list[str]:
    """The lines under the card's results table: what ``†`` means, where a score has it, the test sets of
    few speakers beside their intervals (:func:`.report.few_speakers_note`), and the end table's notes on
    its groups (:func:`.report.group_notes`), so the card says what the console said."""
    from .metrics import CHANCE, DAGGER
    from .report import few_speakers_note, group_notes

    rows = [c for g in groups.values() for c in (g, *g["corpora"].values())]
    cells = ("weighted_f1_argmax", "macro_f1", "unweighted_accuracy")
    marked = any(dagger(c) or any(DAGGER in argmax_cell(c, m) for m in cells) for c in rows)
    with_ci = any("weighted_f1_ci" in g for g in groups.values())
    few = few_speakers_note(groups, names) if with_ci else ""
    notes = [f"{DAGGER} at or below chance ({CHANCE})."] if marked else []
    return notes + ([f"95% intervals (in brackets): {few}."] if few else []) + group_notes(groups, names)


def model_reference(summary: dict) -> str:
    """What the how-to snippet loads: the Hub id the run pushes to, else a path to the model folder."""
    return summary.get("hub_model_id") or f"path/to/{summary['run_name']}"


def used_data(summary: dict) -> dict[str, list[str]]:
    """``{benchmark: corpora}`` of the data the model was trained, validated and tested on: the
    benchmarks of its training and validation configurations and of its test groups, each with the
    corpora scores.json records it read there (training corpora, corpora its validation and test
    scored), in the benchmark's order."""
    from bimotion.registry import BENCHMARKS

    from .mixtures import benchmark_of_group, shards

    scored = [summary["test"], summary.get("validation") or {}]
    groups = [(group, g) for scores in scored for group, g in (scores.get("groups") or {}).items()]
    seen = set(summary["train_corpora"]) | {c for _, g in groups for c in g["corpora"]}
    used: dict[str, set[str]] = {}
    configs = [*summary["train_configs"], *(summary.get("validation_configs") or [])]
    for shard in shards(configs) if configs else []:
        if shard.corpus in seen:
            used.setdefault(shard.benchmark, set()).add(shard.corpus)
    for group, g in groups:
        used.setdefault(benchmark_of_group(group), set()).update(g["corpora"])
    order = {b: list(BENCHMARKS[b].corpora) if b in BENCHMARKS else [] for b in used}
    return {
        b: sorted(cs, key=lambda c: (order[b].index(c) if c in order[b] else len(order[b]), c))
        for b, cs in used.items()
    }


def synthetic_used(summary: dict, used: dict[str, list[str]]) -> dict[str, str]:
    """``{corpus: generator}`` of the generated corpora among the data the model ``used`` (scores.json's
    ``synthetic``, from the prepared folders' ``prepare.json``; :func:`used_data`)."""
    recorded = summary.get("synthetic") or {}
    return {c: g for bench, corpora in used.items() for c, g in recorded.get(bench, {}).items() if c in corpora}


@dataclass(frozen=True)
class CardFacts:
    """What a card's text and its metadata (model-index, tags) both state of a run, derived once (:meth:`of`)."""

    used: dict[str, list[str]]  # {benchmark: corpora} of the data it used (:func:`used_data`)
    tested_as: dict[str, str]  # each test group's name (:func:`tested_as`)
    synthetic: dict[str, str]  # {corpus: generator} of the generated data among them (:func:`synthetic_used`)
    license: License  # the training data's licence, the model's (:func:`training_license`)

    @classmethod
    def of(cls, summary: dict) -> CardFacts:
        used = used_data(summary)
        return cls(used, tested_as(summary), synthetic_used(summary, used), training_license(summary))


def interval_text(test: dict) -> str:
    """How the results' intervals were drawn, as the test scores record it (``intervals``:
    :func:`bimotion.training.metrics.score_groups`): confidence, resamples, and what a resample draws."""
    drawn = test.get("intervals")
    if not drawn:
        return "95% bootstrap interval (how many resamples is not recorded: scores.json of an earlier version)"
    return f"{100 * drawn['confidence']:g}% bootstrap interval from {drawn['samples']} resamples of the {drawn['resampled']}"


CARD_DIGEST = "card_sha256"  # scores.json's record of the card bimotion wrote: an edited one is the user's
CARD_TAG = "bimotion"  # among the tags of every model card bimotion writes (:func:`card_data`): :func:`is_model_card`


def is_model_card(path) -> bool:
    """Whether the file at ``path`` is a model card bimotion wrote: its YAML metadata's tags hold :data:`CARD_TAG`
    (False for any other file, or one that cannot be read as a card)."""
    import yaml
    from huggingface_hub.repocard import metadata_load

    try:
        tags = (metadata_load(path) or {}).get("tags")
    except (OSError, ValueError, yaml.YAMLError):  # unreadable, not UTF-8 (a ValueError), no mapping or no YAML
        return False
    return isinstance(tags, list) and CARD_TAG in tags


def card_digest(text: str) -> str:
    """The digest scores.json records of the card ``text`` it was written with (:data:`CARD_DIGEST`)."""
    import hashlib

    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_card(summary: dict):
    """A ``huggingface_hub.ModelCard`` for a training run's ``summary`` (the content of scores.json)."""
    from huggingface_hub import ModelCard

    corpora = sorted(
        {c for g in summary["test"]["groups"].values() for c in g["corpora"]} | set(summary["train_corpora"])
    )
    mixture = "an explicit list of configurations"
    if summary.get("mixture"):
        mixture = f"`{summary['mixture']}` for target group `{summary['target']}`"
    trained = summary.get("trained_labels")  # absent from scores.json of older runs
    facts = CardFacts.of(summary)
    template = (resources.files("bimotion.templates") / TEMPLATE).read_text(encoding="utf-8")
    return ModelCard.from_template(
        card_data(summary, facts),
        template_str=template,
        run_name=summary["run_name"],
        base_model=public_source(summary["base_model"]),
        base_model_id=base_model_of(summary),
        random_base=summary.get("base_model_random"),  # a randomly initialised base (public.random_base)
        model_id=model_reference(summary),
        license=facts.license,
        clashes=share_alike_clashes(facts.license.sources),
        datasets={bench: source for bench, source in summary["datasets"].items() if bench in facts.used},
        code_url=CODE,
        hp=summary["hyperparameters"],
        mixture=mixture,
        train_configs=summary["train_configs"],
        train_groups=trained_groups(summary),  # those read: a union config's with rows
        manifest=summary["train_manifest"],
        validation_configs=summary["validation_configs"],
        selection_metric=summary["selection"]["metric"],
        labels=LABELS,
        label_spaces=corpus_label_spaces(summary, corpora),
        languages=[language_name(code) for code in _languages(trained_groups(summary))],
        **claims(summary, facts),
        protocols=protocol_texts(summary, facts.used),
        paper_protocol=summary.get("protocols") is None or "paper" in {summary["protocols"].get(b) for b in facts.used},
        selected=summary["selection"].get("selected", True),
        epochs=summary["selection"].get("epochs") or 0,
        software=summary.get("provenance") or {},  # absent from scores.json of older runs
        user_corpora=[c for c in summary["train_corpora"] if c not in CORPUS_LABEL_MAPS],
        released_corpora=[c for c in summary["train_corpora"] if c in CORPUS_LABEL_MAPS],
        shared_speakers=[c for c in summary["train_corpora"] if c in SHARED_SPEAKERS],
        trained_labels=trained,
        snippet_labels=trained or list(LABELS),
        untrained_labels=[label for label in LABELS if label not in trained] if trained else [],
        untrained_bias=UNTRAINED_BIAS,
        test_groups=summary["test"]["groups"],
        tested_as=facts.tested_as,
        interval=interval_text(summary["test"]),
        synthetic=facts.synthetic,
        synthetic_note=SYNTHETIC_NOTE,
        chance_level=chance_level,
        mark=dagger,
        argmax=argmax_cell,
        chance_notes=chance_notes(summary["test"]["groups"], facts.tested_as),
    )


def claims(summary: dict, facts: CardFacts) -> dict:
    """What the card claims of its training data, from that data alone (:mod:`.card_claims`): the age
    groups it trained on, its Limitations, the dataset cards' caveats, its speaker-dependent splits."""
    own_bands = age_bands(_own_languages(summary, trained_groups(summary)), youngest=OWN_MIN_AGE)
    return dict(
        age_bands=trained_ages(summary),  # the groups trained on: by age, or by the paper's filing
        age_limitation=age_limitation(summary, own_bands),
        limitations=limitations(summary),
        carried_caveats=carried_caveats(summary),
        speaker_dependent=speaker_dependent(summary, facts.used),
    )


def _languages(groups) -> list[str]:
    """The language codes of ``groups``, in their order, once each."""
    return list(dict.fromkeys(Group.parse(g).language for g in groups))


def _own_languages(summary: dict, trained: list[str]) -> list[str]:
    """The languages of the users' corpora a model was trained on, as registered; those it was trained
    on where one is not registered (a card rewritten in another process)."""
    own = [c for c in summary["train_corpora"] if c not in CORPUS_LABEL_MAPS]
    if all(c in SOURCES for c in own):
        return list(dict.fromkeys(code for c in own for code in SOURCES[c].languages))
    return _languages(trained)


def corpus_label_spaces(summary: dict, corpora: list[str]) -> dict[str, list[str]]:
    """Each corpus's labels: a registered corpus's map, else (a user's) what its training or test rows annotated."""
    seen = {c: s["annotated_labels"] for g in summary["test"]["groups"].values() for c, s in g["corpora"].items()}
    seen.update(summary.get("label_spaces") or {})
    return {c: list(label_space(c)) if c in CORPUS_LABEL_MAPS else seen.get(c, ["(not recorded)"]) for c in corpora}


def base_model_of(summary: dict) -> str | None:
    """The base's Hub id for the card: recorded by :func:`.public.public_summary`, or the source itself."""
    return summary.get("base_model_id") or (summary["base_model"] if is_hub_id(summary["base_model"]) else None)


def card_data(summary: dict, facts: CardFacts | None = None):
    """The card's YAML metadata: licence from the training data, the base's and the data's Hub ids,
    and the model-index made of :func:`eval_results`; ``facts``: the run's :class:`CardFacts`
    (None: derived here)."""
    from huggingface_hub import ModelCardData

    facts = facts or CardFacts.of(summary)
    trained = trained_groups(summary)  # the languages it was trained on, not all it was tested on
    groups = trained + list(summary["test"]["groups"])
    hub_datasets = sorted({s for bench, s in summary["datasets"].items() if bench in facts.used and is_hub_id(s)})
    return ModelCardData(
        language=sorted({hub_language(code) for code in _languages(trained)}),
        **facts.license.metadata(),
        library_name="transformers",
        pipeline_tag="audio-classification",
        tags=[
            "audio-classification",
            "speech-emotion-recognition",
            "multi-label",
            *(["elderly"] if any(Group.parse(g).age_group == "eld" for g in groups) else []),
            *(["cross-lingual"] if len(_languages(groups)) > 1 else []),
            CARD_TAG,
            *(["synthetic"] if facts.synthetic else []),
        ],
        base_model=base_model_of(summary),
        datasets=hub_datasets or None,
        metrics=["f1"],
        model_name=summary["run_name"],
        eval_results=eval_results(summary, facts),
    )
