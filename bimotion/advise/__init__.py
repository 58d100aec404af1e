"""The paper's question for one group: which cross-group data helps it most?

>>> from bimotion.advise import advise, summary_lines
>>> advice = advise("probe", {"bimotion": "data/bimotion", "yuemotion": "data/yuemotion"},
...                 "results/advise-yue_eld", target="yue_eld")
>>> print("\\n".join(summary_lines(advice)))

From the groups the prepared datasets hold, a *target* grid (:func:`bimotion.grid.plan.target_mixtures`)
trains the target's in-group baseline, the target plus each other group, plus its language's other
age groups, plus its age group's other languages, plus everything, and, for cross-group inference,
each other group alone and all of them together; every model once per seed, all scored on the
target's test set by the grid's runner (resumable; models shared with an earlier run in the same
folder are reused).  The advice is each mixture's weighted F1 and its difference from the baseline
with confidence intervals over seeds and over test clips, and a plain-language summary.  Works with
either backend of the grid: fine-tuning, or a probe on frozen features (``backend: probe``, the
default: minutes on a CPU).  Command line: ``bimotion advise``; docs/advise.md.

The package, by job::

    names    group names in words (the registry's ISO 639-3 language table)
    collect  Advice, MixtureResult, Estimate, collect_advice: the numbers from the grid's predictions
    report   summary_lines, render_markdown, write_advice: advice.md and advice.json
    run      advise_config, advise: a grid config as a target grid, run and reported
"""

from ..group_names import group_name, language_name
from .collect import Advice, Estimate, MixtureResult, collect_advice
from .report import render_markdown, summary_lines, write_advice
from .run import advise, advise_config, config_of

__all__ = [
    "Advice", "Estimate", "MixtureResult", "collect_advice", "group_name", "language_name", "render_markdown",
    "summary_lines", "write_advice", "advise", "advise_config", "config_of",
]  # fmt: skip
