"""Identical stored audio that ``bimotion check`` finds in more than one split, counted as prepare counts
it (``prepare.json``'s ``identical_audio``: :func:`bimotion.prepare.info.identical_summary`) and said in
the words of prepare's warning (:func:`bimotion.prepare.info.warn_split_apart`): the sets of one corpus
whose copies lie in different splits, and those whose copies in two corpora do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Pair = tuple[str, str, str, str]  # (id, split, id, split)


def in_id_order(twins: Iterable[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """The sets of identical clips (each set's ``(id, split)``), each in id order and the sets in order of their
    ids, as prepare takes them (:func:`loaders.identical.identical_audio`), whatever order the files were read in."""
    return sorted(sorted(members) for members in twins)


def apart_from_first(twins: Iterable[list[tuple[str, str]]]) -> list[Pair]:
    """Of the sets of identical clips (``twins``), each clip that lies in another split than its set's first
    clip (in id order, whose split prepare keeps a drawn set in: :func:`loaders.identical.keep_together`), with
    that first clip: ``(first id, its split, id, split)``, sets in :func:`in_id_order`."""
    return [(*members[0], *m) for members in in_id_order(twins) for m in members[1:] if m[1] != members[0][1]]


def split_apart(twins: Iterable[list[tuple[str, str]]]) -> dict[str, list[Pair]]:
    """Of the sets of identical clips (``twins``: each set's ``(id, split)``), a pair per set whose copies in
    one corpus lie in different splits, per corpus, and a pair per set whose copies in two corpora do, per
    set of corpora the set spans (``a+b``): the sets and their clips in id order (:func:`in_id_order`), so
    that each first pair is the one prepare's warning names (:func:`bimotion.prepare.info.warn_split_apart`),
    and the keys in the order ``prepare.json``'s ``identical_audio`` records them
    (:func:`bimotion.prepare.info.identical_summary`: a key where its first set holds two or more clips,
    a set's corpora before the set of them), which prepare warns in."""
    out: dict[str, list[Pair]] = {}
    for members in in_id_order(twins):
        corpora = sorted(set(map(_corpus, members)))
        parts = [(c, [m for m in members if _corpus(m) == c]) for c in corpora]
        parts += [("+".join(corpora), members)] if len(corpora) > 1 else []
        for key, own in parts:
            if len(own) < 2:
                continue
            pairs = out.setdefault(key, [])
            across = "+" in key
            if pair := next(
                ((*a, *b) for a in own for b in own if a[1] != b[1] and (not across or _corpus(a) != _corpus(b))), None
            ):
                pairs.append(pair)
    return {key: pairs for key, pairs in out.items() if pairs}


def cross_split_problem(found: list[Pair], apart: dict[str, list[Pair]], info: Mapping | None = None) -> str:
    """Clips in another split than the first of their copies (``found``, :func:`apart_from_first`), and the sets
    of :func:`split_apart`, in prepare's words and in the order of its warnings (``info``'s ``identical_audio``
    keys, where it records them): why they lie there and what to do (``info``: the folder's prepare.json, which
    says how a corpus of one's own was split, :func:`bimotion.splits.copies_apart`)."""
    from .splits import CORPORA_APART, copies_apart

    recorded = list((info or {}).get("identical_audio") or {})
    line = f"{len(found)} audio clip(s) appear in two splits (each in another split than the first of its copies "
    line += f"by id), {_example(found)}"
    for key in sorted(apart, key=lambda k: recorded.index(k) if k in recorded else len(recorded)):
        pairs = apart[key]
        if "+" in key:
            why, fix = CORPORA_APART
            line += f"; {' and '.join(key.split('+'))} share {len(pairs)} recording(s) in different splits, "
        else:
            why, fix = copies_apart(key, info)
            line += f"; {key} holds {len(pairs)} set(s) of identical audio in different splits, "
        line += f"{_example(pairs)}: {why}; {fix}"
    return line


def _example(pairs: list[Pair]) -> str:
    a, s, b, t = pairs[0]
    return f"e.g. {a} ({s}) and {b} ({t})"


def _corpus(clip: tuple[str, str]) -> str:
    return clip[0].split("/", 1)[0]  # ids are corpus/...
