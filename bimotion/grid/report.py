"""A grid's reports: each table as Markdown, CSV and LaTeX (ours | paper | difference; on generated
data no difference) and the heat map of every model on every test set (:mod:`.heatmap`), every score beside its test set's chance level (the larger of
an all-positive and a prior-matched random predictor's weighted F1); ``†`` marks a score at or below
it; ``‡`` a score of clips the model was trained on, not held out (:mod:`.heard`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from loaders.files import sha256_of, write_text_atomic
from loaders.synthetic import marked_title

from ..paper import PAPER_ERRATA, Table
from ..training.bootstrap import RESAMPLED
from ..training.f1 import GROUP_SCORE_WORDS, METRIC_WORDS, READINGS
from ..training.metrics import CHANCE_OF, DAGGER
from ..training.provenance import produced_by
from ..training.report import TRAINED_MARK, at_or_below, trained_clips_note
from .config import GridConfig
from .heatmap import render_heatmap
from .plan import Plan, synthetic_corpora
from .scoring import CellResult


@dataclass
class GridResult:
    output_dir: Path
    config: GridConfig
    plan: Plan
    cells: list[CellResult]
    averages: dict[tuple[str, str], dict]  # (table, row) -> summary of the row mean over columns
    matrix: dict[tuple[str, str], dict]  # (model, test) -> summary
    files: list[Path]
    trained: list[str]  # "<model>/seed<k>" trained by this call (the rest were reused)
    sources: dict[str, str]  # the prepared datasets (+ their private cache): ``Sources(**sources)``
    # {benchmark: {corpus: generator}} of the generated data among ``sources``: the grid's
    # (:attr:`bimotion.grid.runner.Grid.generated`), each dataset's prepare.json read once per run
    generated: dict[str, dict[str, str]]
    # (model, seed) -> the ``provenance`` of its metrics file (None: a file that records none)
    provenance: dict[tuple[str, int], dict | None] = field(default_factory=dict)

    def table_cells(self, table: str) -> list[CellResult]:
        return [c for c in self.cells if c.table == table]

    def cell(self, table: str, row: str, column: str) -> CellResult:
        return next(c for c in self.cells if (c.table, c.row, c.column) == (table, row, column))

    def markdown(self) -> str:
        return "\n\n".join(render_markdown(self, t) for t in self.plan.tables)

    def produced_by(self, table: Table | None = None) -> str:
        """What produced ``table``'s numbers (every model's of the grid: the heat map's), from its
        models' metrics files (:func:`~bimotion.training.provenance.produced_by`): no command line,
        so workers sharing the grid write the same tables."""
        models = {c.model for c in self.table_cells(table.name)} if table is not None else None
        return produced_by([p for (model, _), p in self.provenance.items() if models is None or model in models])

    def synthetic(self, table: Table | None = None) -> list[str]:
        """The generated corpora among ``table``'s data, or the whole grid's (:func:`~.plan.synthetic_corpora`)."""
        return synthetic_corpora(self.plan, self.generated, table)


def _fmt(summary: Mapping, seeds: int) -> str:
    text = f"{summary['mean']:.2f}" + (DAGGER if at_or_below(summary["mean"], summary.get("chance")) else "")
    text += TRAINED_MARK if summary.get("training_clips") else ""  # not held out (.heard)
    if seeds > 1:
        text += f" ± {summary['std']:.2f}"
    if np.isfinite(summary["ci_low"]):
        text += f" [{summary['ci_low']:.1f}, {summary['ci_high']:.1f}]"
    return text


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _rows(result: GridResult, table: Table) -> list[dict]:
    """One dict per table row: label, then per column (ours text, paper, diff)."""
    seeds = len(result.config.seeds)
    out = []
    for row in table.rows:
        cols = []
        for col in table.columns:
            c = result.cell(table.name, row.key, col.key)
            cols.append((_fmt(asdict(c), seeds), _num(c.paper), _num(c.diff, signed=True), c))
        avg = result.averages.get((table.name, row.key))
        if avg is not None:
            avg = {**avg, "chance": _mean_chance([c for *_, c in cols])}
            avg["training_clips"] = sum(c.training_clips for *_, c in cols)  # a mean over a cell not held out
            paper_avg, printed = table.average(row.key), table.paper_average[row.key]
            paper = _num(paper_avg) + (f" (printed {printed:.2f})" if printed != paper_avg else "")
            cols.append((_fmt(avg, seeds), paper, _num(avg["mean"] - paper_avg, signed=True), None))
        out.append({"label": f"{row.label} {row.notation}", "key": row.key, "cols": cols})
    return out


def _mean_chance(cells: list[CellResult]) -> float | None:
    levels = [c.chance for c in cells]
    return None if any(v is None for v in levels) else float(np.mean(levels))


def _chance_row(result: GridResult, table: Table) -> list[str]:
    """The chance level (%) of each column's test set (and their mean under Avg.), then – under each paper column."""
    cells = [result.cell(table.name, table.rows[0].key, col.key) for col in table.columns]
    levels = [c.chance for c in cells] + ([_mean_chance(cells)] if table.paper_average else [])
    return ["Chance level"] + [x for v in levels for x in (_num(v), *["–"] * len(_paper_heads(result, table)))]


def _headers(table: Table) -> list[str]:
    return [c.label for c in table.columns] + (["Avg."] if table.paper_average else [])


def tables_key(config: GridConfig) -> str:
    """What a confusion figure's key says the grid's tables and heat map read (its panels read UA or
    weighted F1 per corpus): weighted F1 in the grid's reading (:data:`~bimotion.training.f1.READINGS`),
    the words of the heat map's title, so a reader matches the two."""
    return f"tables and heat map: weighted F1 {READINGS[config.metric]} of each test set"


def _notes(result: GridResult, table: Table) -> list[str]:
    seeds, cfg = result.config.seeds, result.config
    ours = f"mean ± std over seeds {seeds}" if len(seeds) > 1 else f"seed {seeds[0]}"
    synthetic = result.synthetic(table)
    notes = [
        f"{METRIC_WORDS[cfg.metric]}. Ours: {ours}, [{100 * cfg.confidence:g}% bootstrap CI over {RESAMPLED}, "
        f"{cfg.bootstrap_samples} resamples]; {'' if synthetic else 'Δ = ours − paper; '}– = not in the paper.",
    ]
    if synthetic:  # the title says "synthetic demo data" (:func:`_title`): not again
        notes.insert(0, f"Its data are generated copies of {', '.join(synthetic)}, not the corpora; the paper column "
                        "gives the paper's number for reference only, with no difference from it: one between "
                        "a run on generated data and the paper means nothing.")  # fmt: skip
    notes.append(
        f"{DAGGER} at or below chance: the test set's weighted F1 of {CHANCE_OF[cfg.metric]} (row Chance level); a test "
        "set's number combines its corpora: "
        f"{GROUP_SCORE_WORDS[cfg.group_score]}; set by the grid config's `group_score: {cfg.group_score}` (its other values: "
        f"{', '.join(v for v in GROUP_SCORE_WORDS if v != cfg.group_score)})."
    )
    heard = {f"`{c.model}` on {c.test}": {"training_clips": c.training_clips, "num_samples": c.num_test}
             for c in result.table_cells(table.name)}  # fmt: skip
    if note := trained_clips_note(heard).strip():
        notes.append(f"{note} (the average of a row with such a cell too).")
    untrained = {(c.model, c.test): c.untrained for c in result.table_cells(table.name) if c.untrained}
    if untrained:
        listed = "; ".join(f"`{m}` on {t}: {', '.join(labels)}" for (m, t), labels in untrained.items())
        notes.append(
            f"Labels the test set annotates but the model never trained on, scored as predicted absent: {listed}."
        )
    for (name, row), text in PAPER_ERRATA.items():
        if name == table.name:
            taken = "the paper column gives" if synthetic else "Δ is taken from"
            notes.append(f"Paper erratum ({table.row(row).label} average): {text}; {taken} {table.average(row):.2f}.")
    if table.note:
        notes.append(table.note)
    models = dict.fromkeys(f"`{c.model}`" for c in result.table_cells(table.name))
    notes.append("Models: " + ", ".join(models) + ".")
    return notes


def _title(result: GridResult, table: Table) -> str:
    """The table's title, marked when its data is generated (:func:`loaders.synthetic.marked_title`)."""
    return marked_title(table.title, result.synthetic(table))


def _paper_heads(result: GridResult, table: Table) -> tuple[str, ...]:
    """The heads of the columns beside each of ours (Markdown and LaTeX alike): the paper's number and
    Δ; on generated data the paper's number for reference only and no Δ (a difference between a run on
    generated data and the paper means nothing)."""
    return ("paper (for reference)",) if result.synthetic(table) else ("paper", "Δ")


def _shown(result: GridResult, table: Table, row: dict) -> list[str]:
    """A row's cells under each test set: ours, then those :func:`_paper_heads` heads."""
    width = 1 + len(_paper_heads(result, table))
    return [x for ours, paper, diff, _ in row["cols"] for x in (ours, paper, diff)[:width]]


def render_markdown(result: GridResult, table: Table) -> str:
    head, heads = ["Training data"], _paper_heads(result, table)
    for h in _headers(table):
        head += [f"{h} (ours)", *heads]
    lines = [f"### {_title(result, table)}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in _rows(result, table):
        cells = [row["label"], *_shown(result, table, row)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("| " + " | ".join(_chance_row(result, table)) + " |")
    lines += [""] + [f"- {n}" for n in [*_notes(result, table), result.produced_by(table)]]
    return "\n".join(lines)


CSV_COLUMNS = ("table", "row", "column", "train", "model", "test", "seeds", "values", "mean", "std", "ci_low",
               "ci_high", "num_test", "paper", "diff", "chance", "paper_printed", "training_clips")  # fmt: skip


def _csv_numbers(summary: Mapping, seeds: list[int], paper: float | None) -> dict:
    diff = None if paper is None else summary["mean"] - paper
    chance = summary.get("chance")
    return {
        "chance": "" if chance is None else f"{chance:.4f}",
        "seeds": " ".join(map(str, seeds)),
        "values": " ".join(f"{v:.4f}" for v in summary["values"]),
        **{k: f"{summary[k]:.4f}" for k in ("mean", "std", "ci_low", "ci_high")},
        "paper": "" if paper is None else paper,
        "diff": "" if diff is None else f"{diff:.4f}",
    }


def render_csv(result: GridResult, table: Table) -> str:
    """One row per cell (which model, which test set, every seed's value) and per row average; no
    ``diff`` column on generated data (:func:`_paper_heads`)."""
    import csv
    import io

    rows = []
    for c in result.table_cells(table.name):
        train = table.cell(c.row, c.column).train
        numbers = _csv_numbers(asdict(c), c.seeds, c.paper)
        rows.append({"table": c.table, "row": c.row, "column": c.column, "train": train, "model": c.model,
                     "test": c.test, "num_test": c.num_test, **numbers, "training_clips": c.training_clips})  # fmt: skip
    for (name, row), avg in result.averages.items():
        if name == table.name:
            avg = {**avg, "chance": _mean_chance([c for c in result.table_cells(name) if c.row == row])}
            numbers = _csv_numbers(avg, result.config.seeds, table.average(row))
            printed = table.paper_average[row]  # where the paper misprinted its average (PAPER_ERRATA)
            numbers["paper_printed"] = printed if printed != table.average(row) else ""
            rows.append({"table": name, "row": row, "column": "avg", **numbers})
    compared = "Δ" in _paper_heads(result, table)
    columns = CSV_COLUMNS if compared else tuple(c for c in CSV_COLUMNS if c != "diff")
    rows = rows if compared else [{k: v for k, v in row.items() if k != "diff"} for row in rows]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _tex(text: str) -> str:
    """``text`` for LaTeX's text mode: its symbols in math mode (a bare ``>`` or ``<`` prints as ``¿``/``¡``
    in the default OT1 font encoding), ``_`` and ``%`` escaped."""
    return (
        text.replace(">", "$>$")
        .replace("<", "$<$")
        .replace("±", r"$\pm$")
        .replace("Δ", r"$\Delta$")
        .replace("¬", r"$\neg$")
        .replace("–", "--")
        .replace("−", "$-$")
        .replace("_", r"\_")
        .replace("%", r"\%")
        .replace(DAGGER, r"$^\dagger$")
        .replace(TRAINED_MARK, r"$^\ddagger$")
    )


def _tex_caption(result: GridResult, table: Table) -> str:
    """``\\caption[title]{title. notes}``: the title without its "Table N:" (LaTeX numbers the table,
    ``\\label{tab:<name>}`` refers to it), what its columns hold (ours vs. the paper; on generated data,
    which has no Δ column, the paper's number for reference), then the Markdown table's notes (the
    brackets, the seeds, the marks, the labels a model never trained on); `code` as ``\\texttt``."""
    import re

    title = re.sub(r"^Table\s+\w+\s*:\s*", "", _title(result, table))
    title = _tex(title[:1].upper() + title[1:])
    notes = " ".join(_tex(re.sub(r"`([^`]*)`", r"\\texttt{\1}", note)) for note in _notes(result, table))
    columns = "Ours, and the paper's number for reference" if result.synthetic(table) else r"Ours vs.\ the paper"
    return rf"\caption[{title}]{{{title}. {columns}. {notes}}}"


def render_latex(result: GridResult, table: Table) -> str:
    heads, paper_heads = _headers(table), _paper_heads(result, table)
    width = 1 + len(paper_heads)  # columns under each test set
    spec = "l" + "r" * width * len(heads)
    sub = " & ".join(_tex(h[:1].upper() + h[1:]) for h in ("ours", *paper_heads))
    lines = [
        r"% requires \usepackage{booktabs}",
        "% " + result.produced_by(table).replace("Produced", "produced", 1),  # for whoever cites it; not printed
        r"\begin{table}[t]",
        r"\centering",
        _tex_caption(result, table),
        r"\label{tab:" + table.name + "}",
        r"\resizebox{\linewidth}{!}{%",
        r"\begin{tabular}{" + spec + "}",
        r"\toprule",
        "Training data & " + " & ".join(rf"\multicolumn{{{width}}}{{c}}{{" + _tex(h) + "}" for h in heads) + r" \\",
        "".join(rf"\cmidrule(lr){{{2 + width * i}-{1 + width * (i + 1)}}}" for i in range(len(heads))),
        " & " + " & ".join([sub] * len(heads)) + r" \\",
        r"\midrule",
    ]
    for row in _rows(result, table):
        cells = [_tex(x) for x in (row["label"], *_shown(result, table, row))]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\midrule", " & ".join(_tex(x) for x in _chance_row(result, table)) + r" \\"]
    lines += [r"\bottomrule", r"\end{tabular}}", r"\end{table}", ""]
    return "\n".join(lines)


PROVENANCE_SUFFIX = ".provenance.json"  # beside each CSV: ``table3.csv`` -> ``table3.provenance.json``


def render_provenance(result: GridResult, table: Table | None, csv_path: Path) -> str:
    """What produced the CSV at ``csv_path`` (``table``'s, or the heat map's: every model's), for its
    sidecar ``<name>.provenance.json``: a CSV holds no comment that ``pandas.read_csv`` and every other
    reader take without being told, so its Markdown and LaTeX twins' "Produced by" line goes here, with
    the CSV's digest (which file it describes), the seeds, the generated corpora among its data and
    each model's ``provenance`` per seed (versions, commit, torch threads, each prepared dataset by
    digest), less the command line, which differs between the workers of one grid."""
    models = {c.model for c in result.table_cells(table.name)} if table is not None else None
    blocks = {
        f"{model}/seed{seed}": None if block is None else {k: v for k, v in block.items() if k != "command"}
        for (model, seed), block in sorted(result.provenance.items())
        if models is None or model in models
    }
    return json.dumps(
        {
            "describes": csv_path.name,
            "sha256": sha256_of(csv_path),
            "produced_by": result.produced_by(table),
            "seeds": list(result.config.seeds),
            "synthetic": result.synthetic(table),
            "models": blocks,
        },
        indent=2,
    )


def write_reports(result: GridResult) -> list[Path]:
    """Each table as Markdown, CSV (with its ``.provenance.json``) and LaTeX, and the heat map."""
    out_dir = result.output_dir / "tables"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for table in result.plan.tables:
        for suffix, render in ((".md", render_markdown), (".csv", render_csv), (".tex", render_latex)):
            path = out_dir / f"{table.name}{suffix}"
            text = render(result, table)
            write_text_atomic(path, text if text.endswith("\n") else text + "\n")  # a text file ends its last line
            files.append(path)
    files += render_heatmap(result, out_dir / "heatmap")
    for table in [*result.plan.tables, None]:
        csv_path = out_dir / f"{table.name if table is not None else 'heatmap'}.csv"
        sidecar = csv_path.with_name(csv_path.stem + PROVENANCE_SUFFIX)
        write_text_atomic(sidecar, render_provenance(result, table, csv_path) + "\n")
        files.append(sidecar)
    return files
