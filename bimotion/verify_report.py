"""The report ``bimotion check`` prints for a :func:`bimotion.verify.verify` result: rows per config
and split, speakers shared between splits per corpus, duplicate and silent clips, clips recorded below
16 kHz, clips stored far quieter than speech, the problems."""

from __future__ import annotations

from loaders.tables import aligned_lines

from .registry import SPLITS


def format_result(result: dict) -> str:
    """The report ``bimotion check`` prints for a :func:`~bimotion.verify.verify` result."""
    lines = [
        f"{result['out_dir']}: {result['benchmark']}, {result['protocol']} protocol, "
        f"{result['rows']} rows in {result['files']} files",
        "",
        "rows per config and split:",
    ]
    table = [["config", *SPLITS]]
    table += [[name, *(str(per_split.get(s, 0)) for s in SPLITS)] for name, per_split in result["counts"].items()]
    lines += [*aligned_lines(table), "", "speakers shared between splits, per corpus:"]
    overlap = []
    for corpus, o in result["overlap"].items():
        if o["speakers"] == 0:
            text = "no speaker ids"
        else:
            text = f"{len(o['shared_speakers'])} of {o['speakers']} speakers in more than one split"
        if "unit" in o:
            why = o.get("reason")
            ok = f"{o['unit']}s kept apart: OK; NOT speaker-independent: {why}" if why else "speaker-independent: OK"
            units = f"{len(o['shared_units'])} of {o['units']} {o['unit']}s shared " + (
                "(PROBLEM)" if o["shared_units"] else f"({ok})"
            )
            text = units if o["unit"] == "speaker" else f"{text}; {units}"  # speakers are the unit: said once
        elif corpus in result.get("user_split_columns", ()):
            text += f" (allowed: {corpus}'s own split column put them there{_as_recorded(o)})"
        else:
            text += f" (allowed: the {result['protocol']} protocol does not split {corpus} by speaker)"
        overlap.append([corpus, text])
    lines += aligned_lines(overlap, text_columns=2) if overlap else []
    hashed = result["hashed"]
    lines += [
        "",
        "duplicate audio across splits: "
        + (
            "not checked (--no-audio)"
            if hashed is None
            else f"{len(result['duplicates_across_splits'])} (content hash of {result['rows']} clips)"
        ),
    ]
    lines.append(
        "silent clips: "
        + ("not checked (--no-audio)" if hashed is None else f"{len(result['silent'])} of {result['rows']}")
        + (
            f"; {result['compared_with_source']} compared with their source files"
            if result["compared_with_source"]
            else ""
        )
    )
    lines += _passed_over(result)
    if result["problems"]:
        lines += ["", f"{len(result['problems'])} problem(s):", *(f"  - {p}" for p in result["problems"])]
    else:
        lines += ["", "OK"]
    return "\n".join(lines)


def _as_recorded(overlap: dict) -> str:
    """Whether a corpus's split files share as many speakers as prepare.json recorded of its own split
    column (:func:`bimotion.verify_speakers.overlap`), which the cards say; empty where none was recorded, and
    not compared where some of its files were not read (each its own problem)."""
    if "unread_files" in overlap:
        return f"; not counted against prepare.json: {overlap['unread_files']} of its files could not be checked"
    if "as_recorded" not in overlap:
        return ""
    if overlap["as_recorded"]:
        return ", as prepare.json records"
    recorded = overlap["recorded_shared"]
    return f"; PROBLEM: prepare.json records {'no speaker ids' if recorded is None else recorded}, as the cards say"


def _passed_over(result: dict) -> list[str]:
    """The lines on what ``check`` notes but does not count as a problem: the clips ``prepare`` recorded
    as taken below 16 kHz (``prepare.json``'s ``low_rate``), as peaking far below speech (``quiet``), as
    hard-clipped (``clipped``), of recording formats that go with the label (``formats``) or
    as broken in every copy of their release (``known_defects``), the folder itself or its ``__MACOSX/`` where it
    could not be listed or a link in ``__MACOSX/`` it did not enter (``folder_notes``), and the files a file browser
    left."""
    lines = []
    if result.get("low_rate"):
        per_corpus = ", ".join(f"{c} {n['clips']} (lowest {n['lowest_hz']} Hz)" for c, n in result["low_rate"].items())
        lines.append(f"clips recorded below 16000 Hz, upsampled (without the upper band of 16 kHz audio): {per_corpus}")
    if quiet := result.get("quiet"):
        below = min(n["peak_below_dbfs"] for n in quiet.values())
        per_corpus = ", ".join(
            f"{c} {n['clips']} (quietest {n['quietest_peak_dbfs']:.0f} dBFS)" for c, n in quiet.items()
        )
        lines.append(
            f"clips peaking below {below:.0f} dBFS, far below speech (most likely a noise floor): {per_corpus}"
        )
    if clipped := result.get("clipped"):
        from loaders.levels import UNEVEN_CLIPPING_REMEDY, clipping_text

        lines += [
            f"hard-clipped clips, stored as recorded: {c} {clipping_text(n)}"
            + (f"; {UNEVEN_CLIPPING_REMEDY}" if n.get("uneven") else "")  # as prepare and the card say it
            for c, n in clipped.items()
        ]
    if formats := result.get("formats"):
        from loaders.levels import FORMAT_REMEDY, format_text

        lines += [f"{c}: {format_text(n)}; {FORMAT_REMEDY}" for c, n in formats.items()]  # as prepare says it
    if known := result.get("known_defects"):
        clips = ", ".join(clip for clips in known.values() for clip in clips)
        lines.append(f"known defects of the releases, stored as released (no copy is better): {clips}")
    lines += result.get("folder_notes", [])  # the folder itself or __MACOSX/ unlisted; links in __MACOSX/
    if result.get("browser_files"):
        lines.append(
            "files a file browser or a macOS zip left (.DS_Store, ._*, Thumbs.db, desktop.ini, __MACOSX/, "
            f"same-bytes copies 'x (1).y'): "
            f"{result['browser_files']}, passed over (no one's work, not part of the dataset)"
        )
    return lines
