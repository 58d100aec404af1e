"""A classifier ready to score audio windows (:class:`Predictor`, :func:`load_predictor`), what its
``scores.json``, training manifest and training audio's digests say about it (:func:`chance_warning`,
:func:`named_as_trained`, :func:`heard_in_training`),
and a model folder checked before it is loaded (:func:`check_source`); the labels it reports, and the
maps that name generic outputs, are :mod:`.labels`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bimotion.console import transformers_bars
from bimotion.hub import is_hub_id
from bimotion.training.f1 import sigmoid
from bimotion.training.inference import autocast_device_type, padding_unheard, precision_note, scoring_device
from bimotion.training.outputs import (
    MANIFEST,
    TRAINED_AUDIO,
    MixedModelFolder,
    ModelScores,
    generated_training_data,
    model_kind,
    model_scores,
    models_hint,
    probes_note,
    trained_audio,
    training_manifest,
)

from .audio import PredictError
from .labels import reported_labels
from .windows import min_window_samples


@dataclass(slots=True)  # a setting it does not have (pad_multiple_s, of an earlier version) is an error, not ignored
class Predictor:
    """A loaded classifier: ``reported`` are ``(output index, label name)`` pairs, in output order;
    ``notes`` are things a user should know (printed by the command)."""

    model: object
    feature_extractor: object
    reported: list[tuple[int, str]]
    source: str
    device: str = "cpu"
    notes: list[str] = field(default_factory=list)
    # things that make its labels untrustworthy (printed as warnings: scores at or below chance, :func:`chance_warning`)
    warnings: list[str] = field(default_factory=list)
    # samples, as the recipes' --pad_to_multiple_of: None, the scoring default (0.5 s); 1: each batch as long as its longest clip
    pad_to_multiple_of: int | None = None
    # the precision it trained in (its scores.json's; None: not recorded), which scoring on a GPU takes
    trained_precision: str | None = None

    @property
    def labels(self) -> list[str]:
        return [name for _, name in self.reported]

    @property
    def sample_rate_hz(self) -> int:
        return int(self.feature_extractor.sampling_rate)

    @property
    def min_samples(self) -> int:
        """The fewest samples the model can score: its feature encoder's receptive field, from the
        config's ``conv_kernel`` and ``conv_stride`` (400 for wav2vec2 and XLSR-53, 25 ms at 16 kHz);
        :func:`~bimotion.predict.windows.min_window_samples` for a model that names no convolutions."""
        kernels = getattr(self.model.config, "conv_kernel", None)
        strides = getattr(self.model.config, "conv_stride", None)
        if not kernels or not strides or len(kernels) != len(strides):
            return min_window_samples(self.sample_rate_hz)
        field_samples = 1
        for kernel, stride in zip(reversed(kernels), reversed(strides), strict=True):
            field_samples = (field_samples - 1) * stride + kernel
        return field_samples

    @property
    def padding_unheard(self) -> bool:
        """Whether zeros padded after a clip leave its scores as they are
        (:func:`bimotion.training.inference.padding_unheard`: an attention mask and a layer-norm
        feature encoder; not so for wav2vec2-base, HuBERT and WavLM base)."""
        return padding_unheard(self.model.config, getattr(self.feature_extractor, "return_attention_mask", False))

    def scores(self, clips: list[np.ndarray]) -> np.ndarray:
        """Sigmoid scores (clips × reported labels) of :meth:`logits`."""
        return sigmoid(self.logits(clips))

    def logits(self, clips: list[np.ndarray]) -> np.ndarray:
        """Logits (clips × reported labels) of float32 mono clips at :attr:`sample_rate_hz`,
        collated as every scoring is (:func:`bimotion.training.inference.scoring_collator`: normalised,
        padded to a multiple of :attr:`pad_to_multiple_of` samples, masked) and scored by the one forward
        pass of :func:`bimotion.training.inference.batch_logits`, each clip's as if alone: a model that
        hears padding (:attr:`padding_unheard` false) scores the clips of each length together, unpadded."""
        from bimotion.training.inference import batch_logits, scoring_collator

        collate = scoring_collator(self.feature_extractor, self.pad_to_multiple_of)
        batch = collate([{"audio": c} for c in clips])
        logits = batch_logits(
            self.model, batch, self.device, sample_rate_hz=self.sample_rate_hz, trained_precision=self.trained_precision
        )
        return logits[:, [i for i, _ in self.reported]]


def load_predictor(
    model: str | os.PathLike, *, label_map: str | None = None, device: str | None = None, progress: bool = True
) -> Predictor:
    """The classifier at ``model`` (a folder or a Hub id) with its reported labels; ``label_map``
    names a checkpoint's outputs (module docstring); ``progress=False`` also hides the Hub's download
    bars (transformers' weight-loading bar is never shown).  Raises :class:`PredictError` with one line."""
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from bimotion.hub_models import LOAD_ERRORS, load_failure, model_kwargs
    from bimotion.hub_timeouts import TimeoutSettingError
    from bimotion.training.model import NO_FEATURE_EXTRACTOR, whole_weights

    source = str(model)
    check_source(source)
    net = None
    try:
        kwargs = model_kwargs(source)  # a Hub id's revision asked once (transformers asks 3 times, each waited for)
        with transformers_bars(progress):
            with whole_weights(source, **kwargs):  # a weight file cut short: named (DamagedFileError, exit 2)
                net, loading = AutoModelForAudioClassification.from_pretrained(
                    os.path.expanduser(source), output_loading_info=True, **kwargs
                )
            feature_extractor = AutoFeatureExtractor.from_pretrained(os.path.expanduser(source), **kwargs)
    except LOAD_ERRORS as err:
        if isinstance(err, TimeoutSettingError):  # BIMOTION_HUB_TIMEOUT_S mistyped: its own one line
            raise
        folder = Path(os.path.expanduser(source))
        if folder.is_dir():
            if net is not None and not (folder / "preprocessor_config.json").is_file():  # a folder copied in part
                raise PredictError(f"cannot load model {source}: {NO_FEATURE_EXTRACTOR}") from err
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise PredictError(f"cannot load model {source}: not an audio-classification checkpoint ({first})") from err
        # a stall, a refusal: bimotion.hub's one wording, as fine-tuning's and the probe's loads say it
        raise PredictError(f"cannot load model {source}: no such folder here, and {load_failure(err, source)}") from err
    new_head = sorted({key.split(".")[0] for key in loading.get("missing_keys", ())} & {"classifier", "projector"})
    if new_head:
        raise PredictError(
            f"{source}: a base model with no classification head (the checkpoint has no {' or '.join(new_head)} "
            "weights); fine-tune it first (recipes/train.py --model_name_or_path it) and pass the folder that run saves"
        )
    reported, notes = reported_labels(source, net.config, label_map)
    scores = model_scores(os.path.expanduser(source))  # read once: for both notes
    if note := _generated_note(source, scores.summary):
        notes.insert(0, note)
    warning, note = chance_warning(source, scores)
    device = scoring_device(device)
    notes += [n for n in (note, precision_note(autocast_device_type(device), scores.state, scores.where)) if n]
    net.to(device).eval()
    warnings = [warning] if warning else []
    return Predictor(
        net, feature_extractor, reported, source, device, notes, warnings, trained_precision=scores.precision
    )


def chance_warning(source: str, scores: ModelScores | None = None) -> tuple[str | None, str | None]:
    """``(warning, note)`` on the quality of the model at ``source`` (a folder, or a Hub id with the
    ``scores.json`` that ``bimotion push`` uploads beside it; ``scores``: that file as already read by
    :func:`~bimotion.training.outputs.model_scores`) against chance: a warning naming the test sets its
    ``scores.json`` scores at or below their chance level (weighted F1, as the end-of-run table marks
    them with †), else None; a note when its quality is unknown (no test scores, a file that cannot be
    read or fetched, or test scores that are not numbers), else None."""
    from bimotion.training.metrics import CHANCE

    scores = scores if scores is not None else model_scores(os.path.expanduser(source))
    unknown = "how its labels compare with chance is not known"
    if scores.state == "unreadable":
        return None, (
            f"{scores.where} cannot be read ({scores.why}): {unknown}; copy it again from the training run's "
            f"folder (or delete it)"
        )
    if scores.state == "unfetched":
        return None, f"{scores.where} could not be fetched ({scores.why}): {unknown}"
    scored, bad = _test_scores(scores.summary)
    if bad:
        return None, (
            f"{scores.where} cannot be read (test {', '.join(bad)}: no weighted F1 and chance level as numbers): "
            f"{unknown}; copy it again from the training run's folder (or delete it)"
        )
    if not scored:
        return None, f"{source} records no test scores (scores.json, written by the training recipes): {unknown}"
    low = {g: (f1, chance) for g, (f1, chance) in scored.items() if f1 <= chance}
    if not low:
        return None, None
    which = f"every one of its {len(scored)}" if len(low) == len(scored) else f"{len(low)} of its {len(scored)}"
    numbers = ", ".join(f"{g} {100 * f1:.1f}% vs chance {100 * chance:.1f}%" for g, (f1, chance) in low.items())
    return (
        f"{source} scored at or below chance on {which} test set(s) in its scores.json (weighted F1; chance: {CHANCE}): "
        f"{numbers}: its labels {'' if len(low) == len(scored) else 'of such speech '}are no better than ignoring "
        "the audio (an untrained or barely trained checkpoint?); train it further, or pass another model"
    ), None


def _test_scores(summary: dict) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """``({group: (weighted F1, its chance level)}, [malformed groups])`` of a ``scores.json`` summary's
    test scores: a group scored None, or with no chance level recorded, is in neither; ``["groups"]``
    when the test entry itself is not as training writes it (an object of groups)."""
    import math

    from bimotion.training.model_card import chance_level

    test = summary.get("test") or {}
    groups = (test.get("groups") or {}) if isinstance(test, dict) else None
    if not isinstance(groups, dict):
        return {}, ["groups"]
    scored, bad = {}, []
    for group, values in groups.items():
        if not isinstance(values, dict) or "weighted_f1" not in values:
            bad.append(str(group))
            continue
        pair = (values["weighted_f1"], chance_level(values))
        if None in pair:  # not scored (no clip of a label), or a chance level not recorded
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in pair):
            scored[str(group)] = pair
        else:
            bad.append(str(group))
    return scored, bad


def _generated_note(source: str, summary: dict) -> str | None:
    """The note for a model trained on generated corpora (its ``scores.json`` ``summary`` says which):
    alone, or beside real ones (a user's own corpus prepared with the demo's)."""
    generated, real = generated_training_data(summary)
    made = f"({', '.join(generated)}: made by bimotion's loaders.testing, as `bimotion demo` does)"
    if real:
        return (
            f"{source} was trained on generated (synthetic) corpora, not real speech {made}, beside "
            f"{', '.join(real)}: what it learned from the generated ones says nothing about real speech, so compare "
            f"its predictions with a model trained on {', '.join(real)} alone"
        )
    if generated:
        return (
            f"{source} was trained on a generated (synthetic) corpus, not real speech {made}: "
            "its predictions on real speech mean nothing"
        )
    return None


def _no_model(source: str) -> str:
    """What a folder that is no model says: the fine-tuned model folders below it, else the probes below
    it (a probe-backed advise's or grid's output), which predict does not run, and how to get models."""
    hint = models_hint(source)
    probes = None if hint else probes_note(source, "predict does not run")
    if probes is None:
        return f"{source}: not a model folder (no config.json){hint}; pass the folder a training run saved"
    return f"{source}: not a model folder (no config.json), and {probes}"


def check_source(source: str) -> None:
    """A model folder or a plausible Hub id, checked without loading it (PredictError, one line)."""
    path = Path(os.path.expanduser(source))
    if path.is_dir():
        try:
            kind = model_kind(path)
        except MixedModelFolder as err:
            raise PredictError(str(err)) from None
        if kind == "probe":
            raise PredictError(
                f"{source}: a probe (a head on frozen features, recipes/probe.py), which predict does not run; "
                "pass a fine-tuned model folder (recipes/train.py, or a grid with the finetune backend)"
            )
        if kind is None:  # an advise or grid output, or its models/: the model folders below it
            raise PredictError(_no_model(source))
        return
    if path.exists():
        folder = os.path.dirname(source) or "."  # a file of the folder one is in: model.safetensors
        folder = f" (did you mean its folder {folder}?)" if model_kind(path.parent) == "model" else ""
        raise PredictError(f"{source}: a file, not a model folder or Hub id{folder}")
    if not is_hub_id(source):
        raise PredictError(f"{source}: no such model folder (and not a Hub id like owner/name)")


def training_notes(source: str, files) -> tuple[list[str], list[str]]:
    """The names of the input ``files`` (:class:`~.audio.AudioSource`) that are clips the model at ``source``
    trained on, and the notes ``bimotion predict`` prints of them: by their audio where the model records its
    training audio (:func:`heard_in_training`), else by name (:func:`named_as_trained`, :func:`trained_note`);
    where a Hub model's manifest could not be fetched, none, and a note that says the inputs were not checked,
    why, and what to do; where only its training audio's digests could not be, by name, and the note says why."""
    from bimotion.hub import HubUnreachableError

    try:
        named = named_as_trained(source, [f.path for f in files])
    except HubUnreachableError as err:  # it may have one: not "none"
        return [], [f"the input files were not checked against the clips {source} was trained on: {err}"]
    try:
        digests, unfetched = trained_audio(source), None
    except HubUnreachableError as err:  # it may have one: by name, saying so
        digests, unfetched = None, str(err)
    if digests is None:  # trained before bimotion recorded its audio, or elsewhere: by name alone
        names = [files[i].name for i in named]
        return names, [trained_note(source, names, len(files), unfetched)] if names else []
    heard = heard_in_training(files, digests, set(named))
    names, other = [files[i].name for i in heard], [files[i].name for i in named if i not in heard]
    notes = [
        f"{len(names)} of the {len(files)} input files are recordings {source} was trained on: {_shown(names)}. "
        f"Matched by their audio (decoded as training stored it, against its {TRAINED_AUDIO}), whatever their names; "
        "its scores on them are not those of speech it never heard"
    ] if names else []  # fmt: skip
    notes += [
        f"{len(other)} of the {len(files)} input files are named as clips {source} was trained on, but their audio, "
        f"decoded as training stored it, is none of its {TRAINED_AUDIO} ({_shown(other)}): another recording, or "
        "the same one stored otherwise (at another sample rate, a lossy copy, or resampled or decoded by another "
        "version of soxr, FFmpeg or bimotion than the one that prepared its data); where they are the recordings "
        "it trained on, its scores on them are not those of speech it never heard"
    ] if other else []  # fmt: skip
    return names, notes


def heard_in_training(files, digests: dict[int, dict[str, str]], named: set[int]) -> list[int]:
    """Which of ``files`` (their indices) hold the audio of a clip the model trained on (``digests``:
    :func:`~bimotion.training.outputs.trained_audio`): decoded as prepare decodes (16 kHz mono 16-bit), and
    equal to one by :func:`bimotion.features.audio_digest`.  Only those ``named`` as training clips and those
    whose length, by their header, could be a training clip's are decoded; one that does not decode is not
    one (scoring reports it)."""
    import bisect
    import warnings

    from bimotion.features import SAMPLE_RATE_HZ, audio_digest
    from loaders import CorpusError
    from loaders.audio import decode

    lengths = sorted(digests)
    found = []
    for i, source in enumerate(files):
        info = source.info
        rate = info.sample_rate_hz or SAMPLE_RATE_HZ
        expected = info.num_frames * SAMPLE_RATE_HZ / rate
        slack = 2 + (info.packet_frames + info.delay_frames) * SAMPLE_RATE_HZ / rate  # resampling, an MP4's packets
        near = bisect.bisect_left(lengths, expected - slack) < bisect.bisect_right(lengths, expected + slack)
        if i not in named and not near:
            continue
        try:
            with warnings.catch_warnings():  # a file's clipping: scoring's decode says it, once
                warnings.simplefilter("ignore")
                samples, _ = decode(source.path, SAMPLE_RATE_HZ, dtype="int16")
        except (CorpusError, OSError):
            continue
        if audio_digest(samples) in digests.get(len(samples), {}):
            found.append(i)
    return found


def _shown(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def named_as_trained(source: str, paths) -> list[int]:
    """Which of the audio files ``paths`` (their indices) are named as clips the model at ``source``
    trained on, by its ``train_manifest.txt``: a clip id is ``corpus/<its id in the corpus>``, and
    that id is the file's name with its folders up to the corpus's own (CSED ``Natural/Nat_Female-10``, ESD
    ``0011_000001``, a user's corpus ``clips/s0/a.wav``), so a file whose path ends with a clip's
    id (its extension aside) is named as that clip.  By name alone: a training clip copied under
    another name is not found, and a file of another corpus named alike would be (hence a note, not
    a verdict).  Empty where the model has no manifest; a Hub model's manifest that could not be fetched
    raises :class:`~bimotion.hub.HubUnreachableError` (:func:`~bimotion.training.outputs.training_manifest`)."""
    import unicodedata

    manifest = training_manifest(source)
    if not manifest:
        return []
    ids = {unicodedata.normalize("NFC", clip.partition("/")[2]) for clip in manifest}
    depth = max(clip.count("/") for clip in ids) + 1
    found = []
    for i, path in enumerate(paths):
        parts = unicodedata.normalize("NFC", Path(path).as_posix()).split("/")
        stem = Path(parts[-1]).stem
        for k in range(1, min(depth, len(parts)) + 1):
            tail = parts[-k:]
            if "/".join(tail) in ids or "/".join([*tail[:-1], stem]) in ids:
                found.append(i)
                break
    return found


def trained_note(source: str, names: list[str], of: int, unfetched: str | None = None) -> str:
    """The note ``bimotion predict`` prints when input files are named as training clips (:func:`named_as_trained`)
    and the model records no digest of its training audio (:data:`~bimotion.training.outputs.TRAINED_AUDIO`), or
    (``unfetched``: why, a Hub model's) its record could not be fetched."""
    without = f"it has no {TRAINED_AUDIO} of its training audio, as models trained before bimotion wrote one"
    return (
        f"{len(names)} of the {of} input files are named as clips {source} was trained on: {_shown(names)}. Matched "
        f"by name only (each clip's path below its corpus's folder, all its {MANIFEST} records of a clip; "
        f"{f'the audio was not compared: {unfetched}' if unfetched else without}), "
        "so another recording named alike is named too; where they are the recordings it trained on, its scores "
        "on them are not those of speech it never heard"
    )
