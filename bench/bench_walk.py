"""How long the readers' walk of a corpus folder takes, as ratios against a baseline timed in the same run:

1. an IEMOCAP-like release tree (5 sessions x 30 dialogs: a wav per sentence in ``sentences/wav/``, and the
   release's text data beside it, ``dialog/MOCAP_rotated/``, ``sentences/ForcedAlignment/``: tens of thousands of
   small text files), walked by :func:`loaders.walk.walk_files` (what ``Collector.walk`` lists) and accounted for by
   ``Collector.not_read(..., release=True)`` (the release's own folders, text data counted by name), against a plain
   ``os.walk`` that stats every file;
2. 99 files of one size named as macOS Finder's "Keep Both" names copies (``take 2.wav`` ... ``take 100.wav``, each
   other bytes), each asked :func:`loaders.copies.kept_both` (as the walk asks, its listing given), against reading
   each file once (the least any comparison by content can do) and against the pairwise comparison it replaced
   (``filecmp.cmp`` of each file with every one below its number);
3. 1,000 files of other sizes numbered as a user's own recordings are (``clip 1000.wav`` ... ``clip 1999.wav``: the
   names below each number, ``clip.wav`` and ``clip 2.wav`` ... ``clip 99.wav``, are not there), each asked
   :func:`loaders.copies.kept_both` with the folder's names listed once (as the walk passes its listing:
   ``Collector.names_in``), against a stat of each of those 99 names per file (the least a look-up name by name does,
   and what kept_both did before it was given the listing); also the folder listed once with each name looked up in
   it (the floor of any look-up in the listing), and kept_both given no listing (the folder listed by each call);
4. a prepared folder whose ``data/`` holds 1,000 files so numbered (``clip 1000.wav`` ... ``clip 1999.wav``, other
   sizes), walked by :func:`bimotion.data.layout.folder_files` (``bimotion check``'s filter of
   :func:`bimotion.data.walk.walk_listings`, the one walk of a prepared folder that ``check``, ``prepare --overwrite``
   and ``push`` share: each folder listed once, its listing given to :func:`loaders.browser_files.left_by_browser` for each
   file), against ``os.walk`` with a stat of every file, and each file asked ``left_by_browser`` with no listing (the
   folder listed by each call: what a walk that passed no listing would cost);
5. a prepared folder whose ``data/`` holds N numbered files (``clip 1000.wav`` ..., other sizes; N of ``--numbered``:
   1,000 and 5,000), looked at by :func:`bimotion.data.publish.not_written_by_prepare` (what ``prepare --overwrite``
   asks before it replaces the folder: ``--overwrite``'s filter of the same ``walk_listings``, each file not named
   ``*.parquet`` asked ``left_by_browser`` with the walk's listing), against ``os.walk`` with a stat of every file;
6. a corpus folder of N files each named as a browser's second download of a numbered clip whose original is gone
   (``clip 1000 (1).wav`` ..., no ``clip 1000.wav``), walked by ``Collector.walk(..., lone=True)`` (a built-in
   corpus's walk, which asks :func:`loaders.lone.lone_copy` of each clip whether the file it names is there in other
   letters), against ``os.walk`` with a stat of every file, and each file asked ``lone_copy`` with no listing (the
   folder listed by each call, as the walk asked it before it passed its listing).

    python bench/bench_walk.py [--workdir DIR] [--repeats 5] [--dialogs 30] [--parts 1,2,3,4,5,6] [--numbered 1000 5000]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from bimotion.data.layout import folder_files
from bimotion.data.publish import not_written_by_prepare
from loaders import copies
from loaders.base import Collector
from loaders.browser_files import left_by_browser
from loaders.files import sha256_of
from loaders.lone import lone_copy
from loaders.walk import walk_files

TEXT_PER_DIALOG = 120  # per dialog: MOCAP_rotated/ and ForcedAlignment/ files (the release: ~70,000 in all)
WAVS_PER_DIALOG = 30


def make_tree(root: Path, dialogs: int) -> int:
    """Write the tree; return how many files it holds."""
    files = 0
    for session in range(1, 6):
        for d in range(dialogs):
            dialog = f"Ses0{session}F_impro{d:02d}"
            wav = root / f"Session{session}" / "sentences" / "wav" / dialog
            text = root / f"Session{session}" / "dialog" / "MOCAP_rotated" / dialog
            aligned = root / f"Session{session}" / "sentences" / "ForcedAlignment" / dialog
            for folder in (wav, text, aligned):
                folder.mkdir(parents=True)
            for n in range(WAVS_PER_DIALOG):
                (wav / f"{dialog}_F{n:03d}.wav").write_bytes(b"RIFF\0\0\0\0WAVEfmt " + bytes(64))
            for n in range(TEXT_PER_DIALOG // 2):
                (text / f"{dialog}_F{n:03d}.txt").write_text("1 2 3\n")
                (aligned / f"{dialog}_F{n:03d}.wdseg").write_text("SFrm EFrm SegAScr Word\n")
            files += WAVS_PER_DIALOG + TEXT_PER_DIALOG
    return files


def plain_walk(root: Path) -> int:
    """The baseline: os.walk, and a stat of every file."""
    n = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            os.stat(os.path.join(dirpath, name))
            n += 1
    return n


def not_read(root: Path) -> int:
    c = Collector("iemocap", root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for session in sorted(root.iterdir()):
            c.not_read(session / "dialog", "sentences/wav/", release=True)
            c.not_read(session / "sentences" / "ForcedAlignment", "sentences/wav/", release=True)
    return c.report.files[("iemocap", "seen")]


def make_numbered(folder: Path, count: int = 99, size: int = 64_000, first: int = 2, sizes: bool = False) -> list[Path]:
    """``count`` files numbered from ``first`` (``take 2.wav`` ..., or from 1000 ``clip 1000.wav`` ...), of one size and
    other bytes, or with ``sizes`` each of another size."""
    folder.mkdir()
    stem = "take" if first < 100 else "clip"
    paths = [folder / f"{stem} {n}.wav" for n in range(first, first + count)]
    for n, path in enumerate(paths):
        path.write_bytes(n.to_bytes(4, "big") * (size // 4) + bytes(n if sizes else 0))  # other bytes (and sizes)
    return paths


def pairwise(paths: list[Path]) -> None:
    """What kept_both did: each file compared by content with each one below its number."""
    filecmp.clear_cache()
    for i, path in enumerate(paths):
        next((p for p in [path.with_name("take.wav"), *paths[:i]] if p.is_file() and filecmp.cmp(path, p, False)), None)


def timed(repeats: int, run, *args) -> float:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(*args)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary files go")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each (median; default: 5)")
    parser.add_argument("--dialogs", type=int, default=30, help="dialogs per session (default: 30)")
    parser.add_argument("--parts", default="1,2,3,4,5,6", help="the parts to run, by number (default: all)")
    parser.add_argument(
        "--numbered", type=int, nargs="+", default=[1000, 5000], help="files in parts 5 and 6 (default: 1000 5000)"
    )
    args = parser.parse_args()
    parts = {int(part) for part in args.parts.split(",")}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if 1 in parts:
            release_tree(Path(tmp) / "IEMOCAP_full_release", args.repeats, args.dialogs)
        if 2 in parts or 3 in parts:
            numbered_copies(Path(tmp), args.repeats, parts)
        if 4 in parts:
            prepared_folder(Path(tmp) / "prepared", args.repeats)
        for count in args.numbered:
            if 5 in parts:
                overwritten_folder(Path(tmp) / f"overwritten-{count}", count, args.repeats)
            if 6 in parts:
                lone_clips(Path(tmp) / f"lone-{count}", count, args.repeats)


def release_tree(root: Path, repeats: int, dialogs: int) -> None:
    """Part 1: the readers' walk of an IEMOCAP-like release tree, against os.walk + stat."""
    files = make_tree(root, dialogs)
    plain_walk(root)  # warm the caches
    base = timed(repeats, plain_walk, root)
    walk = timed(repeats, walk_files, root, (".wav",), print)
    text = timed(repeats, not_read, root)
    print(f"tree: {files} files; os.walk + stat of each (baseline): {base * 1000:.0f} ms")
    print(f"  walk_files: {walk * 1000:.0f} ms ({walk / base:.2f}x the baseline)")
    print(f"  Collector.not_read(release=True) of the text folders: {text * 1000:.0f} ms ({text / base:.2f}x)")


def numbered_copies(tmp: Path, repeats: int, parts: set[int]) -> None:
    """Parts 2 and 3: kept_both of Finder's numbered copies, and of 1,000 numbered files of one's own."""
    if 2 in parts:
        paths = make_numbered(tmp / "numbered")
        once = timed(repeats, lambda: [sha256_of(p) for p in paths])
        old = timed(repeats, pairwise, paths)
        new = timed(repeats, lambda: (copies._DIGESTS.clear(), walk_asks(paths)))  # cold
        print(f"99 numbered files of one size: read each once (baseline) {once * 1000:.1f} ms")
        print(f"  pairwise filecmp (before): {old * 1000:.1f} ms ({old / once:.1f}x the baseline)")
        print(f"  kept_both, each file: {new * 1000:.1f} ms ({new / once:.1f}x the baseline)")
    if 3 in parts:
        sparse = make_numbered(tmp / "sparse", count=1000, size=1000, first=1000, sizes=True)
        below = [[str(p.with_name(n)) for n in ["clip.wav", *(f"clip {k}.wav" for k in range(2, 100))]] for p in sparse]
        stats = timed(repeats, lambda: [absent(names) for names in below])
        asked = timed(repeats, lambda: walk_asks(sparse))
        listed = timed(repeats, lambda: listing_lookups(sparse[0].parent, below))
        alone = timed(repeats, lambda: [copies.kept_both(p) for p in sparse])
        print(f"1,000 files 'clip 1000.wav' ... 'clip 1999.wav', none below: a stat of each name below (baseline) "
              f"{stats * 1000:.0f} ms")  # fmt: skip
        print(f"  kept_both, each file, the folder's names listed once: {asked * 1000:.1f} ms ({asked / stats:.3f}x)")
        print(f"  the folder listed once, each name looked up in it: {listed * 1000:.1f} ms ({listed / stats:.3f}x)")
        print(f"  kept_both given no listing (each call lists): {alone * 1000:.0f} ms ({alone / stats:.2f}x)")


def prepared_folder(prepared: Path, repeats: int) -> None:
    """Part 4: check's walk of a prepared folder whose data/ holds 1,000 numbered files, against os.walk + stat."""
    prepared.mkdir()
    make_numbered(prepared / "data", count=1000, size=1000, first=1000, sizes=True)
    rels = [f"data/{name}" for name in sorted(os.listdir(prepared / "data"))]
    base = timed(repeats, plain_walk, prepared)
    checked = timed(repeats, folder_files, prepared)
    each = timed(repeats, lambda: [left_by_browser(prepared, rel) for rel in rels])
    print(f"prepared folder, 1,000 numbered files in data/: os.walk + stat of each (baseline) {base * 1000:.1f} ms")
    print(f"  layout.folder_files (check's walk): {checked * 1000:.1f} ms ({checked / base:.2f}x the baseline)")
    print(f"  left_by_browser of each file, no listing (each call lists): {each * 1000:.0f} ms ({each / base:.2f}x)")


def overwritten_folder(prepared: Path, count: int, repeats: int) -> None:
    """Part 5: prepare --overwrite's look at what a prepared folder holds (not_written_by_prepare), its data/ holding
    ``count`` numbered files, against os.walk + stat of the same tree."""
    prepared.mkdir()
    (prepared / "prepare.json").write_text("{}\n")
    (prepared / "README.md").write_text("card\n")
    make_numbered(prepared / "data", count=count, size=1000, first=1000, sizes=True)
    found = not_written_by_prepare(prepared)
    base = timed(repeats, plain_walk, prepared)
    looked = timed(repeats, not_written_by_prepare, prepared)
    print(f"prepared folder, {count:,} numbered files in data/: os.walk + stat of each (baseline) {base * 1000:.1f} ms")
    print(f"  publish.not_written_by_prepare ({len(found):,} found): {looked * 1000:.1f} ms ({looked / base:.2f}x)")


def lone_clips(root: Path, count: int, repeats: int) -> None:
    """Part 6: a built-in corpus's walk of ``count`` clips each named as a second download with no original beside it
    ('clip 1000 (1).wav', no 'clip 1000.wav'), against os.walk + stat; and each asked lone_copy with no listing."""
    root.mkdir()
    for n in range(1000, 1000 + count):
        (root / f"clip {n} (1).wav").write_bytes(n.to_bytes(4, "big") * 250)
    paths = sorted(root.iterdir())
    walked = Collector("crema_d", root).walk(root, lone=True)
    base = timed(repeats, plain_walk, root)
    walk = timed(repeats, lambda: Collector("crema_d", root).walk(root, lone=True))
    each = timed(repeats, lambda: [lone_copy(p, root, (".wav",)) for p in paths])
    print(f"{count:,} lone copies 'clip N (1).wav': os.walk + stat of each (baseline) {base * 1000:.1f} ms")
    print(f"  Collector.walk(lone=True) ({len(walked):,} read): {walk * 1000:.0f} ms ({walk / base:.2f}x the baseline)")
    print(f"  lone_copy of each file, no listing (each call lists): {each * 1000:.0f} ms ({each / base:.2f}x)")


def walk_asks(paths: list[Path]) -> list:
    """kept_both of each file as the walk asks it: the folder's names listed once, passed to each call."""
    names = copies.folder_names(paths[0].parent)
    return [copies.kept_both(p, names=names) for p in paths]


def absent(names: list[str]) -> int:
    """A stat of each name (the least a look-up name by name does): how many are there."""
    found = 0
    for name in names:
        try:
            os.stat(name)
            found += 1
        except OSError:
            pass
    return found


def listing_lookups(folder: Path, below: list[list[str]]) -> int:
    """The folder listed once, each name looked up in its listing (what the walk's own listing would cost)."""
    names = {os.path.join(folder, name) for name in os.listdir(folder)}
    return sum(name in names for found in below for name in found)


if __name__ == "__main__":
    main()
