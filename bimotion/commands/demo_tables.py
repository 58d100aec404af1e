"""The demo's tables as its terminal shows them (:func:`compact_tables`): each table's weighted F1 per row and test
group, aligned, with the notes that read them; the Markdown tables with their CIs are the grid's own."""

from __future__ import annotations


def compact_tables(result) -> str:
    """Each table's weighted F1 (%) per row and test group, the row average and the chance levels, aligned;
    under them, which reading of the predictions the numbers are (the grid's ``metric``, in the words of the
    Markdown tables' note, :data:`~bimotion.training.f1.METRIC_WORDS`); † marks a score at or below its test
    set's chance level, * a model that never trained on some of the test set's labels; the note says what
    chance is in the grid's reading (at the 0.5 threshold, or read by arg-max)."""
    from bimotion.grid.plan import NOTATION_WORDS
    from bimotion.training.f1 import METRIC_WORDS
    from bimotion.training.metrics import CHANCE_OF, DAGGER, UNTRAINED, UNTRAINED_MARK
    from bimotion.training.report import at_or_below
    from loaders.synthetic import marked_title
    from loaders.tables import aligned

    def num(value, chance=None, untrained=()) -> str:
        if value is None:
            return "-"
        return f"{value:.1f}" + (DAGGER if at_or_below(value, chance) else " ") + (UNTRAINED_MARK if untrained else " ")

    blocks = []
    for table in result.plan.tables:
        has_avg = bool(table.paper_average)
        rows = [["training data"] + [c.label for c in table.columns] + (["avg"] if has_avg else [])]
        for row in table.rows:
            cells = [result.cell(table.name, row.key, c.key) for c in table.columns]
            line = [f"{row.label} {row.notation}" if len(row.notation) < 12 else row.label]
            line += [num(c.mean, c.chance, c.untrained) for c in cells]
            if has_avg:
                avg = result.averages.get((table.name, row.key))
                chances = [c.chance for c in cells]
                mean_chance = None if None in chances else sum(chances) / len(chances)
                line.append(num(avg["mean"] if avg else None, mean_chance))
            rows.append(line)
        chances = [result.cell(table.name, table.rows[0].key, c.key).chance for c in table.columns]
        if has_avg and None not in chances:
            chances.append(sum(chances) / len(chances))
        rows.append(["chance level"] + [num(v) for v in chances])
        blocks.append(f"{marked_title(table.title, result.synthetic(table))}\n{aligned(rows)}")
    metric = result.config.metric
    notation = any("X(" in row.notation for table in result.plan.tables for row in table.rows)
    notes = [NOTATION_WORDS] if notation else []  # the rows' X(¬l,a)... said nowhere else in the output
    notes += [METRIC_WORDS[metric], f"{DAGGER} at or below the test set's chance level ({CHANCE_OF[metric]})"]
    if any(c.untrained for table in result.plan.tables for c in result.table_cells(table.name)):
        notes.append(f"{UNTRAINED_MARK} {UNTRAINED}, which can put it far below chance")
    return "\n\n".join(blocks) + "\n" + "\n".join(notes)
