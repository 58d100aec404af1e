"""A run's checkpoints: the newest whole one, which a rerun resumes (:func:`last_checkpoint`), and what
rerunning an interrupted command does with it (:func:`how_to_continue`); those a kill cut short
(:func:`remove_incomplete_checkpoints`); a previous run discarded (its checkpoints,
:func:`discard_checkpoints`, or all it left that a new run could resume or be mistaken for,
:func:`discard_run`); and a checkpoint's save, whole or not at all
as resuming sees it (:func:`saved_whole`): the checkpoint
holds :data:`~.outputs.INCOMPLETE` until every process of a launch has written its part, and only
then are the checkpoints it replaces removed: one saved only because of SIGTERM
(:data:`~.outputs.SAVED_AT_STOP`, :func:`remove_saved_at_stop`) and those ``save_total_limit``
rotates away.  So a kill (SIGKILL at the end of Slurm's grace period, a lost node) at any moment of
a save leaves the newest checkpoint that was whole before it, and the rerun resumes that one.

A checkpoint saved at SIGTERM does not count against ``save_total_limit``: its save rotates nothing
away, so until the next scheduled save is whole the run holds every checkpoint an uninterrupted run
holds, and the stop's besides."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from .outputs import CONFUSION, IDENTITY_FILE, INCOMPLETE, MANIFEST, SAVED_AT_STOP, SCORES, TRAINED_AUDIO
from .public import CARD_FILE

log = logging.getLogger("bimotion.training")


@contextlib.contextmanager
def saved_whole(trainer, folder: Path, *, at_stop: bool) -> Iterator[None]:
    """The block saves the checkpoint ``folder`` (transformers' ``Trainer._save_checkpoint``; on every
    process of a launch, ``trainer.args.should_save`` on the one that writes the shared files).
    Before it, ``folder`` is marked :data:`~.outputs.INCOMPLETE`; transformers' rotation of older
    checkpoints (``save_total_limit``), which it does within its save, waits until after the block.
    Once every process is past the block the mark goes, then the checkpoints saved at a stop, then the
    rotation; unless this one is such a checkpoint (``at_stop``): then nothing goes (a rerun resumes the
    newest, and the checkpoints an uninterrupted run keeps stay until the next scheduled save is whole)."""
    import transformers.trainer as hf_trainer

    writes = trainer.args.should_save
    if writes:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / INCOMPLETE).write_text(f"saving {folder.name}: resuming skips this checkpoint\n")
    rotate = hf_trainer.rotate_checkpoints  # what transformers' save calls (an AttributeError if it no longer does)
    hf_trainer.rotate_checkpoints = _after_the_save
    try:
        yield
    finally:
        hf_trainer.rotate_checkpoints = rotate
    trainer.accelerator.wait_for_everyone()  # every process's part is written
    if writes:
        (folder / INCOMPLETE).unlink(missing_ok=True)
        if at_stop:  # not counted against save_total_limit: with limit 1, it rotated the last scheduled one away
            return
        remove_saved_at_stop(folder.parent)
        rotate(
            output_dir=str(folder.parent),
            save_total_limit=trainer.args.save_total_limit,
            best_model_checkpoint=trainer.state.best_model_checkpoint,
            use_mtime=True,  # as transformers' save calls it
        )


def _after_the_save(*args, **kwargs) -> None:
    """transformers' rotation, called within its save: :func:`saved_whole` rotates once the save is whole."""


def saved_at_stop(run_dir: Path, step: int) -> bool:
    """Whether ``run_dir``'s checkpoint of ``step`` was saved only because of SIGTERM: never the best one
    (an uninterrupted run has no checkpoint there), though it stays until a newer one is whole."""
    return (run_dir / f"checkpoint-{step}" / SAVED_AT_STOP).is_file()


def remove_saved_at_stop(run_dir: Path) -> None:
    """Remove the checkpoints saved only because of SIGTERM (:data:`~.outputs.SAVED_AT_STOP`): once a
    scheduled save is whole (:func:`saved_whole`), and once the run has ended (an uninterrupted run has
    none: ``save_strategy no``, or ``best`` without a later new best)."""
    for marker in run_dir.glob("checkpoint-*/" + SAVED_AT_STOP):
        # marked incomplete first: a kill in the middle of the removal leaves a checkpoint resuming skips
        (marker.parent / INCOMPLETE).write_text("being removed: resuming skips this checkpoint\n")
        shutil.rmtree(marker.parent, ignore_errors=True)


def last_checkpoint(output_dir: str | Path) -> str | None:
    """The newest *complete* checkpoint (its ``trainer_state.json`` written, its save not cut
    short: no :data:`~.outputs.INCOMPLETE`), if any."""
    found = []
    for path in Path(output_dir).glob("checkpoint-*"):
        match = re.fullmatch(r"checkpoint-(\d+)", path.name)
        if match and (path / "trainer_state.json").is_file() and not (path / INCOMPLETE).exists():
            found.append((int(match.group(1)), str(path)))
    return max(found)[1] if found else None


def remove_incomplete_checkpoints(output_dir: Path) -> None:
    """Remove the checkpoints whose save a kill cut short (:data:`~.outputs.INCOMPLETE`), saying so:
    resuming never loads them, and left there they would count as the newest in ``save_total_limit``."""
    for path in sorted(output_dir.glob("checkpoint-*/" + INCOMPLETE)) if output_dir.is_dir() else []:
        log.warning(
            "removing %s: its save (or its removal) was cut short (%s), so the run resumes from an earlier one",
            path.parent,
            INCOMPLETE,
        )
        shutil.rmtree(path.parent)


def discard_checkpoints(run_dir: str | os.PathLike) -> list[str]:
    """Remove the ``checkpoint-<step>`` folders of ``run_dir`` (a finished run's final model stays);
    returns their names."""
    removed = []
    for path in sorted(Path(run_dir).glob("checkpoint-*")) if Path(run_dir).is_dir() else []:
        if path.is_dir() and re.fullmatch(r"checkpoint-\d+", path.name):
            shutil.rmtree(path)
            removed.append(path.name)
    return removed


class ForeignCard(ValueError):
    """The output folder holds a README.md that the run's card would replace, and that is the user's: not a model
    card bimotion wrote, or one edited since (:func:`card_kept_because`).  ``str()`` names the fix with
    ``--output_dir`` (recipes/train.py, recipes/grid.py); :meth:`said` with the flag of another command."""

    def __init__(self, file: Path, reason: str):
        self.file, self.reason = Path(file), reason
        super().__init__(self.said("--output_dir"))

    def __reduce__(self):  # pickled with its two fields (a process pool's worker raising it), not str(self)
        return type(self), (self.file, self.reason)

    def said(self, flag: str) -> str:
        """The error's line, its fix naming ``flag``, the command's option for its output folder."""
        return (
            f"{self.file} {self.reason}, and the run writes its model card there when it ends: "
            f"move that file out of {self.file.parent}, or use another {flag}"
        )


def card_kept_because(run_dir: Path) -> str | None:
    """Why the run's model card may not replace (nor a discarded run remove) ``run_dir``'s README.md, or None when
    it may: there is none, or it is the model card bimotion wrote for the run recorded there
    (:func:`.model_card.is_model_card`, then :func:`.hub_ready.model_card_unedited` against that folder's
    scores.json).  A card of bimotion's whose scores.json is missing, unreadable or incomplete may have been edited:
    kept."""
    from .hub_ready import model_card_unedited, read_scores
    from .model_card import CARD_DIGEST, is_model_card

    card = run_dir / CARD_FILE
    if not card.exists():
        return None
    if not is_model_card(card):
        return "is not a model card bimotion wrote (its metadata has no `bimotion` tag)"
    try:
        summary = read_scores(run_dir)
        unedited = model_card_unedited(run_dir, summary)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:  # no record, or one lacking fields
        log.debug("%s: %s", run_dir / SCORES, err)
        return (
            f"is a model card bimotion wrote, but {run_dir / SCORES}, which records it, is missing, unreadable "
            "or incomplete, so it may have been edited since"
        )
    if unedited:
        return None
    if CARD_DIGEST not in summary:  # a run before the digest: compared with what this version would write
        return (
            "is a model card bimotion wrote, but not the one this version writes for its run: edited since, or "
            "written by an earlier bimotion"
        )
    return "is a model card bimotion wrote that was edited since its run wrote it"


def check_card_replaceable(run_dir: str | os.PathLike) -> None:
    """Refuse, before anything is trained, an output folder whose README.md the run's model card would
    replace at its end (:func:`card_kept_because`): :class:`ForeignCard` naming the file and the fix."""
    run_dir = Path(run_dir)
    if why := card_kept_because(run_dir):
        raise ForeignCard(run_dir / CARD_FILE, why)


def discard_run(run_dir: str | os.PathLike) -> list[str]:
    """Remove what a previous run left in ``run_dir`` that a new one could resume or be mistaken for:
    its checkpoints, scores and identity, and what a finished run writes beside its model once it is scored
    (training manifest and audio digests, which ``bimotion predict`` reads; model card, unless it is the user's:
    :func:`card_kept_because`; confusion figure, which
    a run with no confusion counts does not write): a new run stopped after saving its model, or in its scoring,
    would leave them beside its model.  The final model files (and ``trainer_state.json``, saved with them) stay
    until the new run saves its own, at the end of its training."""
    run_dir = Path(run_dir)
    card_kept = card_kept_because(run_dir) if run_dir.is_dir() else None  # judged by scores.json, before it goes
    removed = discard_checkpoints(run_dir)
    figure = Path(CONFUSION)
    for name in (
        SCORES,
        IDENTITY_FILE,
        MANIFEST,
        TRAINED_AUDIO,
        CARD_FILE,
        figure.name,
        figure.with_suffix(".svg").name,
    ):
        if name == CARD_FILE and card_kept:
            log.warning("--overwrite_output_dir: kept %s: it %s", run_dir / name, card_kept)
        elif (run_dir / name).is_file():
            (run_dir / name).unlink()
            removed.append(name)
    if removed:
        log.warning("--overwrite_output_dir: removed %s from %s", ", ".join(removed), run_dir)
    return removed


def how_to_continue(checkpoint: str | None, run_args, output_dir: str) -> str:
    """What rerunning an interrupted training command does (its last ``checkpoint`` and
    ``--resume``/``--overwrite_output_dir``), said as advice."""
    if not checkpoint:
        return f"no checkpoint was saved in {output_dir} yet: rerunning starts again"
    if run_args.overwrite_output_dir:
        return f"rerun without --overwrite_output_dir to continue from {checkpoint} (with it, training starts again)"
    if not run_args.resume:
        return f"rerun with --resume true to continue from {checkpoint}"
    return f"rerun the same command to continue from {checkpoint}"
