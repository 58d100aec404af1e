"""What ``prepare.json`` says about a prepared folder: protocol, sources, licenses, group coverage,
per-shard statistics (rows, duration, speakers, genders, emotions, files), what was skipped, and the
identical audio found (:func:`identical_summary`; :func:`warn_split_apart`)."""

from __future__ import annotations

import collections
from collections.abc import Mapping

from loaders import SOURCES, SkipReport, known_defects
from loaders.labels import LABELS
from loaders.levels import QUIET_PEAK_DBFS
from loaders.synthetic import LICENSE as SYNTHETIC_LICENSE
from loaders.synthetic import generated_copy

from .. import __version__
from ..features import SAMPLE_RATE_HZ
from ..registry import SPLITS, Benchmark
from ..splits import speakers_in_several_splits, user_split_notes

ShardKey = tuple[str, str, str]  # (corpus, group, split)


class ShardStats:
    """Running statistics of one (corpus, group, split) shard."""

    def __init__(self):
        self.rows = 0
        self.duration_s = 0.0
        self.files: dict[str, None] = {}
        self.genders: collections.Counter = collections.Counter()
        self.emotions: collections.Counter = collections.Counter()
        self.label_space: set[str] = set()  # the labels its rows annotate (their label_mask)
        self.speakers: set[str] = set()
        self.ids: set[str] = set()  # the rows stored (not in prepare.json)
        self.num_bytes = 0  # the Arrow size of its rows, as `datasets` counts a split's (set once written)
        self.file_bytes = 0  # the size of its Parquet files (set once written)
        self.peaks: dict[str, float] = {}  # {id: peak dBFS} of the rows peaking below QUIET_PEAK_DBFS or known bad
        self.clipped: dict[str, tuple] = {}  # {id: (fraction of its source's samples in runs at full scale, labels)}

    def add(self, row: dict, relpath: str, peak_dbfs: float | None = None, clipped: float | None = None) -> None:
        """Count ``row``, stored in ``relpath``; ``peak_dbfs``: its audio's peak (around its mean), and
        ``clipped``: its source's hard clipping, as measured where it was decoded
        (:func:`bimotion.prepare.encode.encode_records`)."""
        self.rows += 1
        if clipped:
            self.clipped[row["id"]] = (clipped, tuple(row["emotions"] or ["(none)"]))
        self.ids.add(row["id"])
        if peak_dbfs is not None and (peak_dbfs < QUIET_PEAK_DBFS or row["id"] in known_defects(row["corpus"])):
            self.peaks[row["id"]] = peak_dbfs
        self.duration_s += row["duration_s"]
        self.files[relpath] = None
        self.genders[row["gender"] or "unknown"] += 1
        self.emotions.update(row["emotions"] or ["(none)"])
        self.label_space.update(label for label, on in zip(LABELS, row["label_mask"], strict=True) if on)
        if row["speaker_id"] is not None:
            self.speakers.add(row["speaker_id"])

    def to_dict(self, names: dict[str, str]) -> dict:
        """The shard's entry in ``prepare.json``, its files by their final names ``names[relpath]``."""
        return {
            "rows": self.rows,
            "duration_s": round(self.duration_s, 3),
            "num_bytes": self.num_bytes,
            "file_bytes": self.file_bytes,
            "speakers": len(self.speakers),
            "genders": dict(sorted(self.genders.items())),
            "emotions": dict(sorted(self.emotions.items())),
            "files": [names[f] for f in self.files],
        }


def _licenses(corpora: list[str], synthetic: dict[str, str]) -> dict[str, str]:
    """``{corpus: licence}``: its source's; a generated copy of one of the seven holds nothing of the
    real corpus, so its licence is bimotion's (:func:`loaders.synthetic.generated_copy`)."""
    return {c: SYNTHETIC_LICENSE if generated_copy(c, synthetic) else SOURCES[c].license for c in corpora}


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
    synthetic: dict[str, str] | None = None,
    clip_notes: dict[str, dict] | None = None,
    joined: dict[str, dict] | None = None,
) -> dict:
    """The content of ``prepare.json`` (``names``: ``{planned relpath: final relpath}``;
    ``class_names``: the ``ClassLabel`` names of the categorical columns, as the Parquet files'
    features hold them; ``own_split``: the users' corpora split by their own ``split`` column, the
    others split by speaker, which ``bimotion check`` then checks (and of each, how many speakers its
    column put in more than one split: ``user_split_shared_speakers``, :data:`bimotion.splits.RECORD_KEYS`); ``synthetic``: ``{corpus: generator}``
    of the generated corpora, recorded as ``synthetic`` when there is one; ``clip_notes``: low_rate, quiet, known_defects, clipped;
    ``joined``: :func:`bimotion.splits.joined_speakers`, recorded as ``user_split_joined`` where there are any)."""
    present = set(corpora)

    def order(key: ShardKey) -> tuple[int, int]:
        return benchmark.shards.index(key[:2]), SPLITS.index(key[2])

    info = {
        "benchmark": benchmark.name,
        "protocol": protocol,
        "seed": seed,
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "bimotion_version": __version__,
        "corpora": [c for c in benchmark.corpora if c in present],
        "licenses": _licenses([c for c in benchmark.corpora if c in present], synthetic or {}),
        "groups": {group: _coverage(benchmark, group, present, stats) for group in benchmark.groups},
        "shards": [
            {"corpus": corpus, "group": group, "split": split, **stats[corpus, group, split].to_dict(names)}
            for corpus, group, split in sorted(stats, key=order)
        ],
        "skipped": report.to_dict(),
        "label_spaces": _label_spaces(stats, [c for c in benchmark.corpora if c in present]),
        "speakers": _speakers(stats, order),
        # clips whose audio is identical (loaders.identical), per corpus
        "identical_audio": identical or {},
        **{key: clips for key, clips in (clip_notes or {}).items() if clips},  # low_rate_info, clip_levels
        # corpora generated by loaders.testing (loaders.synthetic): the cards and the grid say so; in name order, as
        # the data is (not the --source flags': two orders of them write the same files)
        **({"synthetic": {c: synthetic[c] for c in sorted(corpora) if c in synthetic}} if synthetic else {}),
        **({"class_names": {k: list(v) for k, v in class_names.items()}} if class_names else {}),
        **_user_record(benchmark, stats, own_split, joined or {}),
    }
    return info | {"split_notes": user_split_notes(info)} if benchmark.user_corpora else info  # groups drawn far off


def _user_record(benchmark: Benchmark, stats: dict[ShardKey, ShardStats], own_split: set[str], joined: dict) -> dict:
    """What ``prepare.json`` records of the users' own corpora (none: nothing): their sources, from which
    registry.benchmark_of rebuilds the benchmark, how they were split (:data:`bimotion.splits.RECORD_KEYS`), and
    where identical audio drew speakers together (``joined``: ``user_split_joined``, where there are any)."""
    if not benchmark.user_corpora:
        return {}
    return {
        "user_sources": {c: SOURCES[c].to_dict() for c in benchmark.user_corpora},
        "user_split_columns": sorted(c for c in benchmark.user_corpora if c in own_split),
        "user_split_shared_speakers": _shared_speakers(stats, sorted(own_split & set(benchmark.user_corpora))),
        **({"user_split_joined": joined} if joined else {}),
    }


def _shared_speakers(stats: dict[ShardKey, ShardStats], corpora: list[str]) -> dict[str, int | None]:
    """``{corpus: speakers in more than one split}`` of the users' ``corpora`` split by their own
    ``split`` column, as stored (:func:`bimotion.splits.speakers_in_several_splits`, the count of
    prepare's warning; over all the corpus's groups); None where its rows give no speaker ids."""
    out: dict[str, int | None] = {}
    for corpus in corpora:
        pairs = [
            (speaker, split) for (c, _, split), shard in stats.items() if c == corpus for speaker in shard.speakers
        ]
        out[corpus] = len(speakers_in_several_splits(pairs)) if pairs else None
    return out


def _speakers(stats: dict[ShardKey, ShardStats], order) -> dict[str, int]:
    """``{"corpus/group": distinct speakers}`` (a shard's count is per split; splits share speakers
    under the paper protocol and not under the speaker one), in the shards' ``order``."""
    return {
        f"{corpus}/{group}": len(set().union(*(stats[k].speakers for k in stats if k[:2] == (corpus, group))))
        for corpus, group in dict.fromkeys(k[:2] for k in sorted(stats, key=order))
    }


def _label_spaces(stats: dict[ShardKey, ShardStats], corpora: list[str]) -> dict[str, list[str]]:
    """``{corpus: the labels its rows annotate}`` (their ``label_mask``), in the labels' order, for the
    ``corpora`` that have rows: the card tells a label a corpus does not annotate from one none of its clips has."""
    spaces = {
        c: set().union(*(shard.label_space for (corpus, _, _), shard in stats.items() if corpus == c)) for c in corpora
    }
    return {c: [label for label in LABELS if label in space] for c, space in spaces.items() if space}


def _coverage(benchmark: Benchmark, group: str, given: set[str], stats: dict[ShardKey, ShardStats]) -> dict:
    """Which of ``group``'s corpora it holds rows of; ``missing`` the others, of which ``empty`` were
    given but hold none of its clips (ESD's Mandarin speakers alone: no ``eng_adu``)."""
    members = benchmark.corpora_of(group)
    with_rows = {corpus for corpus, g, _ in stats if g == group}
    have = [c for c in members if c in with_rows]
    empty = [c for c in members if c in given and c not in with_rows]
    return {
        "corpora": have,
        "missing": [c for c in members if c not in with_rows],
        **({"empty": empty} if empty else {}),
        "status": "complete" if len(have) == len(members) else "partial" if have else "absent",
    }


MAX_LISTED_CLIPS = 100  # clip ids named per corpus in prepare.json's low_rate and quiet (the count is whole)


def low_rate_records(records) -> dict[str, list]:
    """``{corpus: records}`` of the clips recorded below :data:`SAMPLE_RATE_HZ` (8 kHz telephone or
    phone-app audio): upsampled, they lack the upper band of 16 kHz audio, which a model can take for a
    cue.  The one test of it: ``bimotion scan``'s note and ``prepare.json``'s ``low_rate``."""
    low: dict[str, list] = {}
    for record in records:
        if record.sample_rate_hz < SAMPLE_RATE_HZ:
            low.setdefault(record.corpus, []).append(record)
    return low


def low_rate_info(records, stored: set[str]) -> dict:
    """``prepare.json``'s ``low_rate``: per corpus, how many of the clips stored (``stored``: their ids)
    were recorded below :data:`SAMPLE_RATE_HZ`, the lowest rate, and the first ids in id order."""
    out = {}
    for corpus, rows in low_rate_records(r for r in records if r.id in stored).items():
        rows = sorted(rows, key=lambda r: r.id)
        out[corpus] = {
            "clips": len(rows),
            "lowest_hz": min(r.sample_rate_hz for r in rows),
            "listed": [r.id for r in rows[:MAX_LISTED_CLIPS]],
        }
    return out


def notable_peaks(stats: dict[ShardKey, ShardStats]) -> dict[str, dict[str, float]]:
    """``{corpus: {id: peak dBFS}}`` of the quiet and known bad rows of the shards (:attr:`ShardStats.peaks`)."""
    peaks: dict[str, dict[str, float]] = {}
    for (corpus, _, _), shard in stats.items():
        peaks.setdefault(corpus, {}).update(shard.peaks)
    return peaks


def clip_levels(peaks: dict[str, dict[str, float]]) -> dict[str, dict]:
    """``prepare.json``'s (and ``scan --levels``'s) ``quiet`` (:func:`quiet_info`) and ``known_defects``
    (``{corpus: {id: peak dBFS}}`` of the clips stored that its release holds broken,
    :func:`loaders.known_defects`) of ``{corpus: {id: peak dBFS}}``: a release's known defect is not
    counted as quiet, whose advice (replace it, or leave it out) it does not take."""
    known = {c: {i: p for i, p in by_id.items() if i in known_defects(c)} for c, by_id in peaks.items()}
    quiet = {c: {i: p for i, p in by_id.items() if i not in known[c]} for c, by_id in peaks.items()}
    return {
        "quiet": quiet_info(quiet),
        "known_defects": {c: {i: round(float(p), 1) for i, p in sorted(k.items())} for c, k in known.items() if k},
    }


def quiet_info(peaks: dict[str, dict[str, float]]) -> dict:
    """``prepare.json``'s ``quiet`` (and ``scan --levels``'s): per corpus of ``{corpus: {id: peak
    dBFS}}``, how many clips peak (around their mean) below :data:`~loaders.levels.QUIET_PEAK_DBFS`
    (that threshold, recorded with them), the quietest peak, and the first ids in id order
    (:data:`MAX_LISTED_CLIPS` of them).  Such a clip most likely holds only a noise floor (a muted or
    unplugged microphone), which a model's feature extractor scales to the level of speech and learns
    under the clip's label."""
    quiet = {corpus: {i: p for i, p in by_id.items() if p < QUIET_PEAK_DBFS} for corpus, by_id in peaks.items()}
    return {
        corpus: {
            "clips": len(found),
            "peak_below_dbfs": QUIET_PEAK_DBFS,
            "quietest_peak_dbfs": round(float(min(found.values())), 1),
            "listed": sorted(found)[:MAX_LISTED_CLIPS],
        }
        for corpus, found in quiet.items()
        if found
    }


MAX_LISTED_SETS = 100  # sets named per corpus and kind in prepare.json's identical_audio (the counts are whole)


def identical_summary(
    records: list, identical: list[tuple[str, ...]], split_of: Mapping[str, str], *, stored: set[str]
) -> dict:
    """Per corpus with identical clips among the ``stored`` ones, and per set of corpora sharing copies
    (keyed ``a+b``: a ``+`` is in no corpus name; a corpus's own twins among them are also its own):
    how many sets and clips, how many sets are labelled differently (the release's labels are kept),
    and how many lie in more than one split (an official or speaker split; across corpora, copies in
    two corpora: each corpus is split on its own), with an example of each kind."""
    emotions, corpus = {r.id: r.emotions for r in records}, {r.id: r.corpus for r in records}
    out: dict[str, dict] = {}
    for ids in identical:
        ids = tuple(i for i in ids if i in stored)  # a member skipped when decoded is no longer a twin
        corpora = sorted({corpus[i] for i in ids})
        parts = [(c, tuple(i for i in ids if corpus[i] == c)) for c in corpora]
        if len(corpora) > 1:
            parts.append(("+".join(corpora), ids))
        for key, members in parts:
            if len(members) < 2:
                continue
            entry = out.setdefault(key, {"sets": 0, "clips": 0, "labelled_differently": 0, "split_apart": 0})
            entry["sets"] += 1
            entry["clips"] += len(members)
            for kind, holds in (
                ("labelled_differently", len({emotions[i] for i in members}) > 1),
                ("split_apart", bool(_split_apart(members, corpus, split_of, across="+" in key))),
            ):
                if holds:
                    entry[kind] += 1
                    listed = entry.setdefault("listed", {}).setdefault(kind, [])
                    if len(listed) < MAX_LISTED_SETS:
                        listed.append(list(members))
    return out


def _split_apart(
    ids, corpus: Mapping[str, str], split_of: Mapping[str, str], *, across: bool
) -> tuple[str, str] | None:
    """The first two of ``ids`` in different splits (``across``: of different corpora too), or None."""
    return next(
        ((i, j) for i in ids for j in ids if split_of[i] != split_of[j] and (not across or corpus[i] != corpus[j])),
        None,
    )


def warn_split_apart(summary: Mapping[str, dict], split_of: Mapping[str, str]) -> None:
    """A :class:`~loaders.errors.ProtocolWarning` per :func:`split_apart_lines` line."""
    import warnings

    from loaders.errors import ProtocolWarning

    for _, line in split_apart_lines(summary, split_of):
        warnings.warn(line, ProtocolWarning, stacklevel=2)


def split_apart_lines(summary: Mapping[str, dict], split_of: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(key, words)`` per corpus and per set of corpora (``identical_summary``'s ``a+b`` keys) whose copies
    of one recording lie in different splits, which ``bimotion check`` fails on: copies in two corpora (each
    corpus is split on its own, so they are not moved), or in one corpus (its own split column or its
    release's split: :func:`bimotion.splits.copies_apart`); prepare's warnings, scan's preview of them."""
    from ..splits import CORPORA_APART, copies_apart

    lines = []
    for key, n in summary.items():
        if not n["split_apart"]:
            continue
        corpus = {i: i.split("/", 1)[0] for i in n["listed"]["split_apart"][0]}  # ids are corpus/...
        pair = _split_apart(n["listed"]["split_apart"][0], corpus, split_of, across="+" in key)
        example = f"e.g. {' and '.join(f'{i} ({split_of[i]})' for i in pair)}: a test clip is then also a training clip"
        if "+" in key:
            head = f"{' and '.join(key.split('+'))} share {n['sets']} recording(s) (identical audio)"
            why, fix = CORPORA_APART
        else:
            head = f"{key} holds {n['sets']} set(s) of identical audio ({n['clips']} clips)"
            why, fix = copies_apart(key)
        line = f"{head}, {n['split_apart']} of them in different splits, {example} ({why}, and `bimotion check` fails "
        lines.append((key, f"{line}on them); {fix}"))
    return lines
