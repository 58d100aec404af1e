"""The assignment itself, :func:`assign_splits`: each corpus's records split by its rule under a protocol, with
the notes the draw left and the warnings where a protocol replaced a release's split or a user's own column put
a speaker in several splits."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

from loaders.identical import keep_together

from ..registry import SPLITS
from .draw import Context, grouped_by
from .protocols import PAPER, protocol_table, rule
from .rules import USER_PROPORTIONS, Official
from .units import speakers_in_several_splits


def assign_splits(
    records: Iterable, protocol: str = "paper", *, identical: Iterable[Iterable[str]], seed: int = 0
) -> dict[str, str]:
    """``{record id: split}`` for every record, under ``protocol`` (``paper`` or ``speaker``).

    Works on loader records alone (no audio is read), and gives the same answer for the same
    records in any order.  ``identical`` (required): sets of record ids whose audio is identical,
    ``loaders.identical.identical_audio(records)`` as ``prepare`` passes it; a paper split drawn at
    random keeps each set in one split (:func:`~loaders.identical.keep_together`), with the same
    sizes where a clip to swap exists.  Pass ``()`` only for records whose audio is not at hand
    (metadata alone): copies of one recording may then land in train and test (real CSED has 57
    such sets)."""
    protocol_table(protocol)
    by_corpus = grouped_by(sorted(records, key=lambda r: r.id), "corpus")
    sets = [tuple(ids) for ids in identical]
    out: dict[str, str] = {}
    for corpus, rows in by_corpus.items():
        ctx = Context(seed, identical=sets)
        paper = PAPER.get(corpus, USER_PROPORTIONS)
        ctx.paper = paper.apply(rows, ctx)
        if not any(r.official_split for r in rows):  # drawn, not the corpus's own
            keep_together(ctx.paper, rows, sets)
        chosen = rule(protocol, corpus)
        out.update(ctx.paper if chosen is paper else chosen.apply(rows, ctx))
        _note(ctx.notes)
        _warn_replaced(protocol, corpus, rows, out)
        _warn_own_split_shares_speakers(protocol, corpus, rows)
    return out


def _note(notes: list[str]) -> None:
    """Each of ``notes`` as a :class:`~loaders.errors.SplitNote` (a ``note:`` line on the command line)."""
    from loaders.errors import SplitNote

    for note in notes:
        warnings.warn(note, SplitNote, stacklevel=3)


def _warn_own_split_shares_speakers(protocol: str, corpus: str, rows: list) -> None:
    """A :class:`~loaders.errors.ProtocolWarning` when the speaker protocol takes a user corpus's own
    ``split`` column as given (:data:`~bimotion.splits.user.USER`) and that column puts a speaker in more
    than one split."""
    from loaders.errors import ProtocolWarning

    if protocol != "speaker" or corpus in PAPER or not rows or not all(r.official_split for r in rows):
        return
    shared = speakers_in_several_splits((r.speaker_id, r.official_split) for r in rows)
    if shared:
        speakers = len({r.speaker_id for r in rows if r.speaker_id})
        speaker, where = next(iter(shared.items()))
        warnings.warn(
            f"{corpus}: the speaker protocol takes its own split column as given, and that column puts "
            f"{len(shared)} of {speakers} speakers in more than one split (e.g. {speaker!r}: "
            f"{', '.join(s for s in SPLITS if s in where)}): its split is not speaker-independent; empty the split "
            "column of every row to split it by whole speakers",
            ProtocolWarning,
            stacklevel=3,
        )


def _warn_replaced(protocol: str, corpus: str, rows: list, split_of: Mapping[str, str]) -> None:
    """A :class:`~loaders.errors.ProtocolWarning` when ``protocol`` did not keep the split ``corpus`` was
    released with (ESD's, YueMotion's metadata CSVs'): scores are then not comparable with the paper's."""
    from loaders.errors import ProtocolWarning

    official = [r for r in rows if r.official_split]
    if corpus not in PAPER or not isinstance(PAPER[corpus], Official) or not official:
        return
    moved = sum(split_of[r.id] != r.official_split for r in official)
    if moved:
        warnings.warn(
            f"{corpus}: the {protocol} protocol replaces its official split ({len(official)} clips split as "
            f"released) with {rule(protocol, corpus).describe(brief=True)}: {moved} clips are in another split than "
            "the release's, and its scores are not comparable with the paper's; the paper protocol keeps the official "
            "split",
            ProtocolWarning,
            stacklevel=3,
        )
