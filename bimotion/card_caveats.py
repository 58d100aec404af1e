"""The caveats of a dataset card (:mod:`bimotion.dataset_card`): what each corpus's data says about
itself that a user of the dataset must know (each reader's :class:`loaders.SourceInfo` ``caveat``,
:func:`corpus_fact`), and what ``prepare.json`` recorded of
the data prepared (:func:`caveats`; :func:`gender_gaps` and :func:`scored_gaps`, also notes of ``prepare``'s summary; a corpus of one's own's notes
with the one way it was split, :func:`own_notes`)."""

from __future__ import annotations

from loaders import READERS, SOURCES, known_defects
from loaders.levels import FORMAT_REMEDY, UNEVEN_CLIPPING_REMEDY, clipping_text, format_text
from loaders.record import ELDERLY_MIN_AGE, age_band, elderly_min_age
from loaders.tables import counted

from .group_names import age_group_name, language_name, youngest_adult_age
from .registry import SPLITS, Group


def corpus_fact(corpus: str, fact: str) -> str:
    """What ``corpus`` declares of itself in its :class:`loaders.SourceInfo` (``speech``, ``ages_from``,
    ``filed_without_ages``, ``caveat``): its reader's, or a user's corpus registered in this run; empty where it
    declares nothing (a user's corpus, one not registered here)."""
    return getattr(SOURCES[corpus], fact) if corpus in SOURCES else ""


def filed_by(corpus: str) -> str:
    """Whose filing put the rows of a corpus that gives no ages in their age group: the paper's (one of
    the seven corpora), or its own metadata's ``age_group`` column (a corpus of one's own)."""
    return "the paper's filing" if corpus in READERS else "its `age_group` column"


def age_group_text(corpus: str, group: str) -> str:
    """A corpus's age group in a group, as the cards state it: its band by the one rule
    (``elderly (60+)``, :func:`loaders.record.age_band`; a corpus of one's own's ``adults (18-59)``) where its
    rows were grouped by age, or ``elderly by the paper's filing (no ages)`` for a corpus whose release gives no ages."""
    parsed = Group.parse(group)
    if corpus_fact(corpus, "filed_without_ages"):
        return f"{age_group_name(parsed.age_group)} by {filed_by(corpus)} (no ages)"
    return age_band(parsed.language, parsed.age_group, youngest_adult_age([corpus]))


def gender_gaps(info: dict) -> list[str]:
    """One sentence per corpus, group and scored split (validation, test) that has no gender in common with
    its training split (too few speakers to balance them): a model scored there also tells genders apart."""
    return [gap for _, gap in _gender_gaps(info)]


def _gender_gaps(info: dict) -> list[tuple[str, str]]:
    """:func:`gender_gaps`, each with its corpus."""
    genders: dict[tuple, dict[str, set]] = {}
    for s in info["shards"]:
        known = {g for g, n in s["genders"].items() if n and g != "unknown"}
        genders.setdefault((s["corpus"], s["group"]), {})[s["split"]] = known
    out = []
    for (corpus, group), by_split in genders.items():
        train = by_split.get("train", set())
        for split in ("validation", "test"):  # one wording for both: validation only women, train only men too
            scored = by_split.get(split, set())
            if train and scored and not train & scored:
                out.append(
                    (
                        corpus,
                        f"{corpus} {group}: its train split holds only {_genders(train)} and its {split} "
                        f"split only {_genders(scored)} (too few speakers to balance gender): {split} scores there "
                        "mix gender with emotion",
                    )
                )
    return out


def scored_gaps(info: dict) -> list[str]:
    """One sentence per corpus, group and scored split (validation, test) that lacks a gender its training
    split has, or holds a single speaker where training holds more: its scores speak for one gender or one
    speaker only (a test split of one man, train of 4 women and 2 men, said nothing; a scored split sharing no
    gender with training is :func:`gender_gaps`'s); also a note of ``prepare``'s summary."""
    return [gap for _, gap in _scored_gaps(info)]


def _scored_gaps(info: dict) -> list[tuple[str, str]]:
    """:func:`scored_gaps`, each with its corpus."""
    shards: dict[tuple, dict[str, tuple[set, int]]] = {}
    for s in info["shards"]:
        known = {g for g, n in s["genders"].items() if n and g != "unknown"}
        shards.setdefault((s["corpus"], s["group"]), {})[s["split"]] = (known, s["speakers"])
    out = []
    for (corpus, group), by_split in shards.items():
        train, trained = by_split.get("train", (set(), 0))
        for split in ("validation", "test"):
            genders, speakers = by_split.get(split, (set(), 0))
            lacks = genders and train - genders and train & genders  # none in common: gender_gaps'
            single = speakers == 1 and trained > 1
            if not (lacks or single):
                continue
            only = [f"one gender ({_genders(genders)})"] * bool(lacks) + ["one speaker"] * single
            held = f"{'only ' * bool(lacks)}{_genders(genders)}"  # speakers: 0 where its rows name none (CSED)
            held = f"{counted(speakers, 'speaker')} ({held})" if speakers else held
            has = f"{counted(trained, 'speaker')} ({_genders(train)})" if trained else _genders(train)
            out.append(
                (
                    corpus,
                    f"{corpus} {group}: its {split} split holds {held} where its train split holds {has}: "
                    f"{split} scores on {corpus} {group} speak for {' and '.join(only)} only",
                )
            )
    return out


def _genders(keys: set) -> str:
    """``men``, ``women and speakers of gender x``: the gender keys of a split's speakers, named."""
    names = {"f": "women", "m": "men"}
    return " and ".join(
        names.get(k, f"speakers of gender {k}") for k in sorted(keys, key=lambda k: (k not in names, k))
    )


def age_caveats(info: dict) -> list[str]:
    """One sentence per language of the data whose elderly start at another age than the paper's 60
    (:func:`loaders.record.elderly_min_age`, the one rule: Cantonese, of any corpus, 59)."""
    languages = dict.fromkeys(Group.parse(s["group"]).language for s in info["shards"])
    return [
        f"**{language_name(code)} speakers aged {elderly_min_age(code)} or more are elderly**, in every corpus "
        f"(your own too), as YueMotion's authors grouped them (only {elderly_min_age(code)} reproduces its published "
        f"660 adult / 420 elderly utterances); {ELDERLY_MIN_AGE} or more in other languages."
        for code in languages
        if elderly_min_age(code) != ELDERLY_MIN_AGE
    ]


def caveats(info: dict, partial: list[str]) -> list[str]:
    """The card's caveats: each corpus's own (its ``caveat``, :func:`corpus_fact`; a user corpus's notes), its languages'
    age rule (:func:`age_caveats`), the ``partial``
    groups, genders that train and a scored split do not share, and what ``prepare.json`` recorded (identical,
    low-rate, quiet, hard-clipped, known-defect clips; skipped inputs)."""
    user = info.get("user_sources", {})  # a user's corpus: its source's notes (groups, licence, label mapping)
    lines = [
        corpus_fact(c, "caveat") or f"{own_notes(c, info)} {_own_counts(c, info)}{_own_facts(c)}"
        for c in info["corpora"]
        if corpus_fact(c, "caveat") or c in user
    ]
    lines += age_caveats(info)
    if partial:
        lines.append(f"**Partial groups:** {', '.join(partial)} (see above).")
    lines += list(dict.fromkeys(line for _, line in recorded_caveats(info)))  # one across corpora: once
    if info["skipped"]:
        skipped = ", ".join(f"{k}: {n}" for k, n in info["skipped"].items())
        lines.append(f"**Skipped inputs** (by corpus/reason; `--skip-bad`, or a release's known bad media): {skipped}.")
    return lines


def data_caveats(records: dict, corpora) -> dict[str, list[str]]:
    """``{corpus: caveats}`` that the dataset cards of ``records`` (``{benchmark: prepare.json}``, None
    where none is recorded) state of each of ``corpora``: its own (its ``caveat``, not of a generated
    copy) and what prepare recorded of its data (:func:`recorded_caveats`, its skipped inputs); what
    scores.json keeps for the model card's Limitations."""
    out: dict[str, list[str]] = {}
    for info in records.values():
        if not info:
            continue
        generated = info.get("synthetic") or {}
        for corpus in (c for c in corpora if c in info.get("corpora", ())):
            lines = out.setdefault(corpus, [])
            own = own_notes(corpus, info) if corpus in (info.get("user_sources") or {}) else None
            own = corpus_fact(corpus, "caveat") if corpus_fact(corpus, "caveat") and corpus not in generated else own
            if own and own not in lines:
                lines.append(own)
            lines += [line for c, line in recorded_caveats(info) if c == corpus]
            skipped = {k: n for k, n in (info.get("skipped") or {}).items() if k.split("/", 1)[0] == corpus}
            if skipped:
                lines.append(
                    f"**Skipped inputs** (by corpus/reason): {', '.join(f'{k}: {n}' for k, n in skipped.items())}."
                )
    return {c: lines for c, lines in out.items() if lines}


def own_notes(corpus: str, info: dict) -> str:
    """A corpus of one's own's notes as ``prepare.json`` (``info``) recorded them, their sentence on its split
    (both ways, :data:`loaders.audiofolder.SPLIT_NOTE`) saying the one way prepare used, as the card's split
    rules say it (:func:`bimotion.splits.rule`: its own column, and whether it keeps speakers apart, or whole
    speakers; both ways still where prepare.json does not record which)."""
    from loaders.audiofolder import SPLIT_NOTE

    from .splits import rule

    used = rule(info["protocol"], corpus, info).describe(brief=True)
    return info["user_sources"][corpus]["notes"].replace(SPLIT_NOTE, f"Its split: {used}.")


def recorded_caveats(info: dict) -> list[tuple[str, str]]:
    """``(corpus, caveat)`` of what ``prepare.json`` recorded of the data: genders train and a scored split do not
    share, a scored split of one gender or speaker that training has more of (:func:`scored_gaps`), the split whole speakers drew of a corpus of one's own (:func:`drawn_split`), identical, low-rate, quiet, hard-clipped and known-defect clips."""
    from .splits import CORPORA_APART, copies_apart

    lines = [(corpus, f"**No gender in common:** {gap}.") for corpus, gap in _gender_gaps(info)]
    lines += [(corpus, f"**Scored on one gender or speaker:** {gap}.") for corpus, gap in _scored_gaps(info)]
    lines += drawn_split(info)
    for corpus, n in info.get("identical_audio", {}).items():
        across = "+" in corpus  # copies in several corpora (loaders.identical): a caveat of each of them
        where = f"across {' and '.join(corpus.split('+'))}" if across else f"in {corpus}"
        split = ", each in one split" if across else ", each kept in one split"
        if n["split_apart"]:
            # a split drawn here keeps copies together: the corpus's own split column or its release's
            why = CORPORA_APART[0] if across else copies_apart(corpus, info)[0]
            split = f", {n['split_apart']} of them across splits ({why})"
        labelled = f"; {n['labelled_differently']} set(s) labelled differently, {kept_labels(corpus, info)}"
        line = (
            f"**Identical audio {where}:** {n['sets']} set(s) of clips with identical audio ({n['clips']} clips)"
            f"{split}{labelled if n['labelled_differently'] else ''}."
        )
        lines += [(c, line) for c in corpus.split("+")]
    for corpus, n in info.get("low_rate", {}).items():  # prepare.json's clips recorded below 16 kHz
        low = f"{n['clips']} clip(s) of {corpus} recorded below 16 kHz (lowest {n['lowest_hz']} Hz) were upsampled"
        lines.append(
            (corpus, f"**Low sample rate:** {low}: they lack the upper band of 16 kHz audio, a cue a model can learn.")
        )
    for corpus, n in info.get("quiet", {}).items():  # prepare.json's clips peaking far below speech
        quiet = f"{n['clips']} clip(s) of {corpus} peak below {n['peak_below_dbfs']:.0f} dBFS (quietest "
        lines.append(
            (corpus, f"**Very quiet clips:** {quiet}{n['quietest_peak_dbfs']:.0f} dBFS): likely a noise floor, kept.")
        )
    for corpus, n in info.get("clipped", {}).items():  # prepare.json's hard-clipped clips, per label
        remedy = f"; {UNEVEN_CLIPPING_REMEDY}" if n["uneven"] else ""  # as prepare's note says it
        lines.append((corpus, f"**Hard-clipped clips in {corpus}:** {clipping_text(n)}{remedy}."))
    for corpus, n in info.get("formats", {}).items():  # prepare.json's recording formats that go with the label
        lines.append((corpus, f"**Recording formats in {corpus}:** {format_text(n)}; {FORMAT_REMEDY}."))
    for corpus, clips in info.get("known_defects", {}).items():  # prepare.json's clips broken in every copy
        what = "; ".join(f"{clip}: {known_defects(corpus).get(clip, 'broken in the release')}" for clip in clips)
        lines.append((corpus, f"**Known defects of the {corpus} release:** {what}. Stored as released."))
    return lines


def drawn_split(info: dict) -> list[tuple[str, str]]:
    """``(corpus, caveat)``: the split prepare drew by whole speakers of each corpus of one's own, as drawn
    (clips, their shares and speakers per split, clips per gender, per group; the rule says only what it
    aimed at: 108/18/18 clips, 6/1/1 speakers, were said to be "0.5/0.15/0.35"), and each of its groups
    drawn far from the rule (``split_notes``, as prepare printed it: :func:`bimotion.splits.user_split_notes`)."""
    from .splits import user_split_notes

    drawn: dict[str, dict[str, list[dict]]] = {}
    for s in info["shards"]:
        if s["corpus"] in (info.get("user_sources") or {}) and s["corpus"] not in info.get("user_split_columns", ()):
            drawn.setdefault(s["corpus"], {}).setdefault(s["group"], []).append(s)
    out = []
    for corpus, groups in drawn.items():
        parts = []
        for group, shards in groups.items():
            by = {split: [x for x in shards if x["split"] == split] for split in SPLITS}
            rows = [sum(x["rows"] for x in by[split]) for split in SPLITS]
            speakers = "/".join(str(sum(x["speakers"] for x in by[split])) for split in SPLITS)
            genders = sorted({g for x in shards for g in x["genders"]}, key=lambda g: (g not in ("f", "m"), g))
            per_gender = ", ".join(
                f"{_genders({g})} {'/'.join(str(sum(x['genders'].get(g, 0) for x in by[split])) for split in SPLITS)}"
                for g in genders
            )
            shares = "/".join(f"{100 * n / (sum(rows) or 1):.0f}" for n in rows)
            parts.append(
                f"{group}: {'/'.join(map(str, rows))} clips ({shares}%), {speakers} speakers; clips of {per_gender}"
            )
        out.append((corpus, f"**{corpus}'s split as drawn** (train/validation/test): {'; '.join(parts)}."))
    notes = info["split_notes"] if "split_notes" in info else user_split_notes(info)  # not recorded before
    out += [(key.split("/", 1)[0], f"**Split far from its rule:** {note}.") for key, note in notes.items()]
    return out


def kept_labels(corpus: str, info: dict) -> str:
    """How the labels of copies labelled differently were kept (``corpus``: one, or ``a+b`` for copies across
    corpora): as a release gives them, as a corpus of one's own (``prepare.json``'s ``user_sources``: no
    release) gives them, or each as its corpus does; prepare's note and the card say it alike."""
    own = [c in (info.get("user_sources") or {}) for c in corpus.split("+")]
    if not any(own):
        return "kept as released"
    return "kept as given" if all(own) else "each kept as its corpus labels it"


def _own_facts(corpus: str) -> str:
    """What a corpus of one's own declares of itself in its card (``speech``, ``ages_from`` or
    ``filed_without_ages``: :meth:`loaders.SourceInfo.declared`), worded as docs/corpora.md's table
    words the seven corpora's; empty where it declares none."""
    speech, ages, filed = (corpus_fact(corpus, fact) for fact in ("speech", "ages_from", "filed_without_ages"))
    parts = [
        f"How its speech was made: {speech}." if speech else "",
        f"Its age groups: by {ages}." if ages else "",
        f"Its age groups: by {filed_by(corpus)}, not by age: {filed}." if filed else "",
    ]
    return "".join(f" {part}" for part in parts if part)


def _own_counts(corpus: str, info: dict) -> str:
    """What became of a user corpus's metadata rows, from ``prepare.json``: the clips stored and the inputs
    skipped (its notes, written when it was read, said "N clips read" of N-1 stored, a silent one skipped)."""
    stored = sum(shard["rows"] for shard in info["shards"] if shard["corpus"] == corpus)
    skipped = sum(n for key, n in (info.get("skipped") or {}).items() if key.split("/", 1)[0] == corpus)
    kept = f"{stored} clip{'s' if stored != 1 else ''} stored"
    return f"{kept}, {skipped} skipped (see **Skipped inputs** below)." if skipped else f"{kept}, none skipped."
