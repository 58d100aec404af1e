"""The advice's first line where its backend cannot speak for the data: a wav2vec2 from random weights
(``tiny_model:``, ``--config advise-tiny``) always, and hand-made features (``logmel``, ``egemaps``) when
the in-group baseline scores at or below chance, each with the command that asks with the pretrained
XLSR-53 instead (``--config paper``).  A first real ``bimotion advise`` on CSED said "no better by this
measure than ignoring the audio", of a model that had learned nothing, as if it were about the clips."""

from __future__ import annotations

import shlex

from ..grid.config import load_config
from .names import group_name

HAND_MADE = ("logmel", "egemaps")  # bimotion.probe.features: no encoder, no pretraining


def paper_command(config, data_dirs: dict) -> str:
    """``bimotion advise --config paper`` on the same target, groups and prepared folders (paper's seeds)."""
    words = ["bimotion", "advise", "--config", "paper", "--target", config.target]
    for bench in ("bimotion", "yuemotion"):
        if data_dirs.get(bench):
            words += [f"--{bench}", str(data_dirs[bench])]
    if config.groups:
        words += ["--groups", *config.groups]
    words += ["--output", f"advise-{config.target}-paper"]
    return shlex.join(words)


def backend_caveat(config, data_dirs: dict, baseline_at_chance: bool, ranks: bool = False) -> str:
    """The caveat line for ``config``'s backend (empty where its scores are evidence about the data);
    ``ranks``: the baseline at chance at the 0.5 threshold scores above chance read by arg-max."""
    who = group_name(config.target)
    ask = (
        f"Ask with the pretrained XLSR-53 ({load_config('paper').model_name_or_path}, fetched from the Hugging Face Hub; a GPU, hours per "
        f"model): {paper_command(config, data_dirs)}"
    )
    if config.backend == "finetune" and config.tiny_model is not None:
        return (
            "Not evidence about your data: every model here fine-tunes a tiny wav2vec2 from random weights "
            f"(tiny_model: in the config, as advise-tiny's), not a pretrained encoder; it is for generated data, tests "
            f"and demos, and its scores, at chance or not, say nothing about {who} or which data helps them. {ask}"
        )
    if config.backend == "probe" and config.features in HAND_MADE and baseline_at_chance:
        says = (
            f"rank the labels of {who} above chance but are badly calibrated at the 0.5 threshold (read by arg-max: "
            "the verdict below)"
            if ranks
            else f"do not separate the labels of {who} at the 0.5 threshold (its arg-max F1 and UA, with their chance "
            "levels, are in metrics/<model>/seed<k>.json)"
        )
        return (
            f"Not evidence that the audio carries no emotion: the probe reads {config.features} features (hand-made "
            f"statistics, no pretrained encoder), and a baseline at chance says only that these features {says}. {ask}"
        )
    return ""
