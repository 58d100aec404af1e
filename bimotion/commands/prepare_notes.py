"""What ``prepare`` says after a run: :func:`summary` (rows per corpus, group and split, then its
notes) and the notes ``scan`` says before one, in the same words (quiet, clipped and low-rate clips, recording
formats that go with the label,
a release's known defects), each read from ``prepare.json`` (``scan``'s: from its own measurements).
"""

from __future__ import annotations


def undeclared_licences(info: dict) -> list[str]:
    """One line per corpus of the user's that declares no licence (``prepare.json``'s ``licenses``):
    what its card says and how to declare one (:func:`bimotion.hub_licences.licence_warnings`, which
    push says again)."""
    from bimotion.hub_licences import licence_warnings
    from loaders.audiofolder import DEFAULT_LICENSE

    return licence_warnings({c: t for c, t in info["licenses"].items() if t == DEFAULT_LICENSE}, "dataset")


def empty_label_notes(info: dict) -> list[str]:
    """:func:`loaders.manifest.labels_without_clips` of each corpus prepared, from its label space and its
    shards' clips per label; a generated corpus (a small copy, :mod:`loaders.synthetic`) gets none."""
    from loaders.manifest import labels_without_clips

    notes = []
    for corpus, space in info.get("label_spaces", {}).items():
        if corpus in info.get("synthetic", {}):
            continue
        counts: dict[str, int] = {}
        for shard in (s for s in info["shards"] if s["corpus"] == corpus):
            for label, n in shard.get("emotions", {}).items():
                counts[label] = counts.get(label, 0) + n
        if note := labels_without_clips(corpus, space, counts):
            notes.append(note)
    return notes


def identical_notes(info: dict) -> list[str]:
    """One note per corpus that holds identical clips (``prepare.json``'s ``identical_audio``), and per
    set of corpora sharing copies (an ``a+b`` key), whose copies each lie in one split; copies in different
    splits were a ``warning:`` line of the run (:func:`bimotion.prepare.info.warn_split_apart`), so the
    note then says only the labels its sets carry, if they differ (a corpus's own sets, or copies across
    corpora: a copy in a corpus of one's own labelled otherwise than its twin in a release)."""
    from bimotion.card_caveats import kept_labels
    from loaders.errors import some_files

    lines = []
    for corpus, n in info.get("identical_audio", {}).items():
        if n["split_apart"] and not n["labelled_differently"]:
            continue
        where = f"{n['split_apart']} of them in different splits (the warning above)" if n["split_apart"] else ""
        if "+" in corpus:
            line = f"note: {' and '.join(corpus.split('+'))} share {n['sets']} recording(s) (identical audio): "
            line += where or "each lies in one split"
        else:
            line = f"note: {corpus} holds {n['sets']} set(s) of identical audio ({n['clips']} clips): "
            line += where or "each set is kept in one split"
        if n["labelled_differently"]:
            example = some_files(n["listed"]["labelled_differently"][0])
            kept = kept_labels(corpus, info)
            line += f"; {n['labelled_differently']} set(s) carry different labels, {kept} (e.g. {example})"
        lines.append(line)
    return lines


def low_rate_lines(info: dict) -> list[str]:
    """One note per corpus whose clips were recorded below the prepared rate (``prepare.json``'s
    ``low_rate``), worded as ``scan``'s."""
    lines = []
    for corpus, n in info.get("low_rate", {}).items():
        total = sum(s["rows"] for s in info["shards"] if s["corpus"] == corpus)
        lines.append("note: " + low_rate_note(corpus, n["clips"], total, n["lowest_hz"], _listed(n), upsampled=True))
    return lines


def _listed(entry: dict) -> str:
    """The first clips of a ``prepare.json`` entry that counts ``clips`` and lists the first ids
    (``low_rate``, ``quiet``), and how many more: ``a, b, c and 4 more``."""
    from loaders.errors import some_files

    return some_files(entry["listed"], total=entry["clips"])


def quiet_lines(quiet: dict, *, stored: bool = True) -> list[str]:
    """One note per corpus of ``quiet`` (``prepare.json``'s, or ``scan --levels``'s: ``stored`` False,
    what ``prepare`` will store) with clips peaking below its threshold
    (:data:`loaders.levels.QUIET_PEAK_DBFS`): most likely a noise floor, which the model's feature
    extractor scales up to the level of speech and a model learns under the clip's label."""
    from loaders.tables import counted

    lines = []
    for corpus, n in quiet.items():
        one = n["clips"] == 1
        head = f"{counted(n['clips'], 'clip')} stored" if stored else counted(n["clips"], "clip")
        will = "" if stored else f" (`prepare` will store {'it' if one else 'them'})"
        lines.append(
            f"note: {corpus}: {head} {'peaks' if one else 'peak'} below {n['peak_below_dbfs']:.0f} dBFS (quietest "
            f"{n['quietest_peak_dbfs']:.0f} dBFS: {_listed(n)}){will}, far below speech: most likely only a noise "
            "floor (a muted or unplugged microphone), which a model hears scaled up to the level of speech and "
            f"learns under the clip's label: listen to {'it' if one else 'them'}, and replace or leave out any "
            "without speech"
        )
    return lines


def clipped_lines(clipped: dict, *, stored: bool = True) -> list[str]:
    """One note per corpus of ``clipped`` (``prepare.json``'s, or ``scan --levels``'s: ``stored`` False)
    with hard-clipped clips, per label (:func:`loaders.levels.clipping_text`); where clipping is uneven
    across labels, that a model can learn it in place of the emotion."""
    from loaders.levels import UNEVEN_CLIPPING_REMEDY, clipping_text

    lines = []
    for corpus, n in clipped.items():
        kept = "stored as recorded" if stored else "`prepare` will store them as recorded"
        why = f"; {UNEVEN_CLIPPING_REMEDY}" if n["uneven"] else ""
        lines.append(f"note: {corpus}: {clipping_text(n)}; {kept}: {_listed(n)}{why}")
    return lines


def format_lines(formats: dict, *, stored: bool = True) -> list[str]:
    """One note per corpus of ``formats`` (``prepare.json``'s, or ``scan``'s: ``stored`` False) whose recording
    format goes with the label (:func:`loaders.levels.format_text`), with its remedy, as
    :func:`clipped_lines` says clipping uneven across labels."""
    from loaders.levels import FORMAT_REMEDY, format_text

    kept = "stored as 16 kHz mono" if stored else "`prepare` will store them as 16 kHz mono"
    kept += ", each keeping the sound of its recording"
    return [f"note: {corpus}: {format_text(n)}; {kept}; {FORMAT_REMEDY}" for corpus, n in formats.items()]


def known_defect_lines(known: dict[str, dict], *, stored: bool = True) -> list[str]:
    """One note per clip of ``known`` (``{corpus: {id: peak dBFS, or None where not measured}}``: the
    clips its release holds broken, :func:`loaders.known_defects`, as ``prepare.json``'s
    ``known_defects`` records them; ``stored`` False: ``scan``'s, of what ``prepare`` will store): what is
    wrong, that it is the release's and not the user's copy's, and that there is nothing to do; where it
    was not decoded (a plain ``scan``), that a silent copy is skipped (as ``prepare`` does:
    :func:`bimotion.prepare.encode.refuse_or_skip`, whose skip names the known defect)."""
    from loaders import known_defects

    lines = []
    for corpus, clips in known.items():
        for clip, peak in clips.items():
            level = f" (peak {peak:.0f} dBFS)" if peak is not None else ""
            kept = "stored as released" if stored else "`prepare` stores it as released"
            # not decoded (a plain scan): a copy of it may be silent, which prepare skips (refuse_or_skip)
            silent = " (where your copy is silent, with no audio at all, it skips it, counted as `silent`)"
            silent = silent if peak is None else ""
            lines.append(
                f"note: {clip}{level} is a known defect of the {corpus} release, not of your copy: "
                f"{known_defects(corpus)[clip]}, so another download will not mend it; {kept}, so that the "
                f"dataset holds the whole release{silent}: nothing to do"
            )
    return lines


def low_rate_note(corpus: str, clips: int, total: int, lowest_hz: int, named: str, *, upsampled: bool = False) -> str:
    """The one wording of ``scan``'s note (``upsampled`` False: what ``prepare`` will do) and
    ``prepare``'s (True: what it did) on a corpus's ``clips`` (of ``total``) recorded below the prepared
    rate, the lowest at ``lowest_hz``, ``named`` the first few.  A corpus recorded wholly so (a phone
    corpus) was told to leave its clips out, "without the upper band of the other clips" it does not have:
    its cue is against the other corpora a model is trained or used with."""
    from bimotion.features import SAMPLE_RATE_HZ
    from loaders.tables import counted

    was = "was" if clips == 1 else "were"
    done = f"{was} upsampled to {SAMPLE_RATE_HZ} Hz" if upsampled else "will be upsampled by `prepare`"
    which = f"all {clips} clips" if clips == total > 1 else counted(clips, "clip")
    head = f"{corpus}: {which} recorded below {SAMPLE_RATE_HZ} Hz (lowest {lowest_hz} Hz: {named}) {done}"
    if clips == total:
        return (
            f"{head}: they lack the upper band of audio recorded at 16 kHz or more, which a model trained on them "
            "with other corpora can take for a cue"
        )
    return (
        f"{head}, without the upper band of the other clips, which a model can take for a cue: leave such clips "
        "out, or record them at 16 kHz or more"
    )


def _coverage_note(group: str, g: dict) -> str:
    """Why a group of ``prepare.json`` lacks some of its corpora: not given, or given without its clips."""
    empty = g.get("empty", [])  # recorded where there are some
    not_given = ", ".join(c for c in g["missing"] if c not in empty)
    without = f"{', '.join(empty)} given, but without {group} clips" if empty else ""
    if g["corpora"]:
        return f"group {group} is partial: it has {', '.join(g['corpora'])}, not {', '.join(g['missing'])}" + (
            f" ({without})" if without else ""
        )
    if not without:
        return f"group {group} is not in this dataset (its corpora, {not_given}, were not given)"
    return f"group {group} is not in this dataset ({without}" + (f"; {not_given} not given)" if not_given else ")")


def summary(info: dict) -> str:
    """Rows per (corpus, group, split), partial groups and protocol notes, as printed after a run."""
    from bimotion import splits
    from bimotion.card_caveats import gender_gaps, scored_gaps
    from bimotion.dataset_card import own_only, partial_groups
    from bimotion.registry import SPLITS, benchmark_of
    from loaders.synthetic import generated_note
    from loaders.tables import aligned_lines, hours_text

    counts: dict[tuple[str, str], dict[str, int]] = {}
    hours: dict[tuple[str, str], float] = {}
    for s in info["shards"]:
        key = (s["corpus"], s["group"])
        counts.setdefault(key, {})[s["split"]] = s["rows"]
        hours[key] = hours.get(key, 0.0) + s["duration_s"] / 3600
    lines = [f"{info['benchmark']} prepared with the {info['protocol']} protocol (seed {info['seed']})", ""]
    table = [["corpus", "group", *SPLITS, "hours"]]
    for (corpus, group), per_split in counts.items():
        table.append([corpus, group, *(str(per_split.get(s, 0)) for s in SPLITS), hours_text(hours[(corpus, group)])])
    lines += aligned_lines(table, indent="", text_columns=2)
    bench = benchmark_of(info)
    for group, g in partial_groups(info, bench).items():
        lines.append(f"note: {_coverage_note(group, g)}")
    if own_only(info, bench):
        groups = ", ".join(g for g, v in info["groups"].items() if v["status"] != "absent")
        lines.append(f"note: only your own corpora were given: the dataset holds their groups ({groups})")
    lines += identical_notes(info) + low_rate_lines(info) + quiet_lines(info.get("quiet", {}))
    lines += clipped_lines(info.get("clipped", {})) + format_lines(info.get("formats", {}))
    lines += known_defect_lines(info.get("known_defects", {}))
    for group in dict.fromkeys(g for _, g in counts):
        empty = [s for s in SPLITS if not sum(c.get(s, 0) for (_, g), c in counts.items() if g == group)]
        if empty:
            flags = " and ".join(f"--{split}_configs" for split in empty if split != "train")
            use = "it cannot be trained on" if "train" in empty else f"training on it needs {flags} naming other groups"
            lines.append(f"note: group {group} has no {' or '.join(empty)} rows ({_too_few(info, group)}): {use}")
    lines += [f"note: {gap}" for gap in gender_gaps(info) + scored_gaps(info)] + [
        f"note: {note}" for note in splits.user_split_notes(info).values()
    ]
    if generated := info.get("synthetic"):
        lines.append(f"note: {generated_note(generated)}")
    for corpus in splits.not_speaker_independent(info["protocol"], info["corpora"]):
        if info["protocol"] == "speaker":
            lines.append(f"note: {corpus} is not speaker-independent: {splits.rule('speaker', corpus).reason}")
    return "\n".join(lines)


def _too_few(info: dict, group: str) -> str:
    """Why ``group`` has an empty split: too few speakers, or, where a corpus of it holds identical audio and
    it has a speaker for every split (prepare.json's ``speakers``), speakers drawn together by shared audio
    (:func:`bimotion.splits.units.merged_units`): 8 speakers drawn as 2 units were said to be too few speakers; or,
    where every corpus of it is split by its own ``split`` column (``user_split_columns``), that column."""
    from bimotion.registry import SPLITS

    corpora = sorted({s["corpus"] for s in info["shards"] if s["group"] == group})
    if corpora and set(corpora) <= set(info.get("user_split_columns", [])):  # prepare drew no split of it
        owners = " and ".join(f"{c}'s" for c in corpora)
        return f"{owners} own {'split columns put' if len(corpora) > 1 else 'split column puts'} none there"
    counts = {key.partition("/")[0]: n for key, n in info.get("speakers", {}).items() if key.endswith(f"/{group}")}
    speakers = sum(counts.values())
    if speakers >= len(SPLITS) and set(counts) & set(info.get("identical_audio", {})):
        return f"its {speakers} speakers, those sharing identical audio drawn together as one, are too few to fill every split"
    return "too few speakers to fill every split"
