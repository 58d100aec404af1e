"""The paper's model as a standard ``transformers`` architecture.

XLSR-53 (or any wav2vec2-family encoder) + a linear projector (hidden size -> 256) + mean pooling over
the non-padded frames + a linear layer over the 13 labels is exactly
``Wav2Vec2ForSequenceClassification`` (``HubertFor…``, ``WavLMFor…``, ``Data2VecAudioFor…``) with
``classifier_proj_size=256``.  The saved config says ``problem_type="multi_label_classification"``
and names the labels, so ``AutoModelForAudioClassification.from_pretrained(dir)`` and
``pipeline("audio-classification", model=dir)`` (which then applies a sigmoid) work without our code.
The model's own loss (cross-entropy in transformers 5) is never used: the trainer computes the
masked multi-label BCE of :mod:`bimotion.training.loss`.

Every model keeps the 13-label head (one label space for all), but knows which labels it was trained
on: ``config.trained_labels`` (in label-space order, saved in ``config.json``) lists the labels that
at least one training clip annotates (present or annotated absent).  After training, each other
label's classifier row is set to weight 0 and bias :data:`UNTRAINED_BIAS`
(:func:`suppress_untrained`), so its sigmoid is ~1e-13 on any input: ``pipeline()`` never reports a
label the model has never seen, where a random head would score it anywhere in (0, 1).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from loaders.errors import DamagedFileError
from loaders.labels import LABEL2ID, LABELS

DEFAULT_MODEL = "facebook/wav2vec2-large-xlsr-53"
PROBLEM_TYPE = "multi_label_classification"


def label_config() -> dict:
    """The config fields that make a checkpoint a 13-label multi-label classifier."""
    return {
        "num_labels": len(LABELS),
        "id2label": dict(enumerate(LABELS)),
        "label2id": dict(LABEL2ID),
        "problem_type": PROBLEM_TYPE,
    }


UNTRAINED_BIAS = -30.0  # the logit of a label the model was not trained on: sigmoid(-30) ~ 9e-14


def trained_labels(label_mask) -> list[str]:
    """The labels annotated by at least one row of ``label_mask`` (rows × 13), in label-space order."""
    import numpy as np

    annotated = np.asarray(label_mask).reshape(-1, len(LABELS)).astype(bool).any(0)
    return [label for label, on in zip(LABELS, annotated, strict=True) if on]


def suppress_untrained(model) -> list[str]:
    """Give every label outside ``model.config.trained_labels`` classifier weight 0 and bias
    :data:`UNTRAINED_BIAS` (its score is then ~0 on any input); returns those labels."""
    import torch

    trained = getattr(model.config, "trained_labels", None)
    if trained is None:
        raise ValueError("model.config.trained_labels is not set: nothing says which labels were trained")
    unknown = sorted(set(trained) - set(LABELS))
    if unknown:
        raise ValueError(f"config.trained_labels names {unknown}, not labels of the 13-label space")
    silenced = [label for label in LABELS if label not in trained]
    rows = [model.config.label2id[label] for label in silenced]
    with torch.no_grad():
        model.classifier.weight[rows] = 0.0
        model.classifier.bias[rows] = UNTRAINED_BIAS
    return silenced


def build_model(
    model_name_or_path: str = DEFAULT_MODEL,
    *,
    dropout: float = 0.1,
    classifier_proj_size: int = 256,
    freeze_feature_encoder: bool = True,
    normalize_audio: bool = True,
    revision: str = "main",
    cache_dir: str | None = None,
    **config_overrides,
):
    """``(model, feature_extractor)`` for fine-tuning; the head is new unless the checkpoint has one.

    ``dropout`` is the encoder's hidden and attention dropout (the paper's 0.1);
    ``config_overrides`` go to the config as they are (e.g. ``layerdrop=0.0``, ``mask_time_prob=0.0``).
    ``normalize_audio=False`` turns the feature extractor's ``do_normalize`` off: training, the saved
    model's feature extractor and so every inference then see raw samples (the authors' setting).
    """
    from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

    from bimotion.console import transformers_bars
    from bimotion.hub_models import hub_model

    with hub_model(model_name_or_path, revision, cache_dir) as hub_kwargs:  # the Hub's failure: a HubError
        kwargs = {"revision": revision, "cache_dir": cache_dir, **hub_kwargs}  # a Hub id's revision: resolved once
        config = AutoConfig.from_pretrained(
            model_name_or_path,
            **label_config(),
            classifier_proj_size=classifier_proj_size,
            hidden_dropout=dropout,
            attention_dropout=dropout,
            **config_overrides,
            **kwargs,
        )
        # transformers' "Loading weights" bar off in a library call (the Hub's download bar kept): a moment's work
        with transformers_bars(shown=True), whole_weights(model_name_or_path, **kwargs):
            model = AutoModelForAudioClassification.from_pretrained(model_name_or_path, config=config, **kwargs)
        feature_extractor = AutoFeatureExtractor.from_pretrained(model_name_or_path, **kwargs)
    if freeze_feature_encoder:
        model.freeze_feature_encoder()
    if not normalize_audio:
        feature_extractor.do_normalize = False
    return model, feature_extractor


def leaves_parameters_unused(model) -> bool:
    """Whether some trainable parameter can go without a gradient in a training step, so that DDP
    must search for it (``find_unused_parameters``): layerdrop skips whole layers, and SpecAugment's
    mask embedding (``masked_spec_embed``, made when either masking probability is above 0) is used
    only when time masking is on."""
    config = model.config
    if float(getattr(config, "layerdrop", 0.0) or 0.0) > 0:
        return True
    base = getattr(model, getattr(model, "base_model_prefix", ""), model)
    embed = getattr(base, "masked_spec_embed", None)
    time_masking = getattr(config, "apply_spec_augment", True) and float(getattr(config, "mask_time_prob", 0) or 0) > 0
    return embed is not None and embed.requires_grad and not time_masking


def load_classifier(model_name_or_path: str, **kwargs):
    """``(model, feature_extractor)`` of a fine-tuned checkpoint, checked to be a 13-label model
    (:func:`not_a_classifier`, a :class:`NotAClassifier`); a Hub id's load that fails is a :class:`~bimotion.hub.HubError` of one line, its
    revision asked of the Hub once (:func:`bimotion.hub_models.hub_model`, as :func:`build_model`'s)."""
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from bimotion.console import transformers_bars
    from bimotion.hub_models import hub_model

    with hub_model(model_name_or_path, kwargs.get("revision"), kwargs.get("cache_dir")) as hub_kwargs:
        kwargs = {**kwargs, **hub_kwargs}  # a Hub id's revision: resolved once
        with transformers_bars(shown=True), whole_weights(model_name_or_path, **kwargs):  # as build_model's
            model = AutoModelForAudioClassification.from_pretrained(model_name_or_path, **kwargs)
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        error = not_a_classifier(model_name_or_path, labels)  # raised below: no Hub failure
        feature_extractor = None if error else AutoFeatureExtractor.from_pretrained(model_name_or_path, **kwargs)
    if error:
        raise NotAClassifier(error)
    return model, feature_extractor


class NotAClassifier(ValueError):
    """A model given to be scored that is no 13-label classifier (:func:`not_a_classifier`'s words): a user's error."""


def not_a_classifier(model_name_or_path: str, labels: list[str]) -> str | None:
    """Why a checkpoint whose outputs are named ``labels`` is not one the recipes score (a base model,
    another task's classifier), or None: ours name the 13 BiMotion labels in order."""
    if labels == list(LABELS):
        return None
    return (
        f"{model_name_or_path} predicts {labels}, not the 13 BiMotion labels {list(LABELS)}: "
        "score a model fine-tuned with recipes/train.py or recipes/augment.py"
    )


@contextlib.contextmanager
def whole_weights(model_name_or_path: str, **kwargs):
    """Loading a model inside: a weight file that does not read (a copy or download cut short) is a
    :class:`DamagedFileError` naming it (:func:`damaged_weights`); transformers' load report (the new
    head's weights) is one line in a library call (:func:`bimotion.console.load_report_line`).
    ``kwargs``: ``from_pretrained``'s."""
    from safetensors import SafetensorError

    from bimotion.console import load_report_line

    try:
        with load_report_line():
            yield
    except SafetensorError as err:
        found = damaged_weights(model_name_or_path, cache_dir=kwargs.get("cache_dir"), revision=kwargs.get("revision"))
        detail = " ".join(str(err).split())
        why = f"{model_name_or_path}: a weight file is incomplete or damaged ({detail}): copy or download it again"
        raise found or DamagedFileError(why, detail) from None


# a fine-tuned model folder copied without its feature extractor's settings, as infer.py, project.py (before any data
# is read: args.check_classifier) and `bimotion predict` say it
NO_FEATURE_EXTRACTOR = (
    "preprocessor_config.json is missing (a fine-tuned model folder holds it beside config.json and the weights: "
    "copy the whole folder)"
)

# the weight files transformers' from_pretrained loads a model folder from (no variant asked): one must be there
WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def missing_weights(folder: str | os.PathLike) -> str | None:
    """Why the model folder ``folder`` (its config.json there) cannot load: none of :data:`WEIGHT_FILES` in it (a
    copy cut short, config.json copied alone), naming the folder, the files looked for and the fix; None where one
    is there, or where its config.json names a weight file of its own (``transformers_weights``) or does not read
    (:func:`~.args.check_classifier` says why)."""
    import json

    path = Path(folder).expanduser()
    if any((path / name).is_file() for name in WEIGHT_FILES):
        return None
    try:
        if "transformers_weights" in json.loads((path / "config.json").read_text(encoding="utf-8")):
            return None
    except (OSError, ValueError, TypeError):
        return None
    return (
        f"{folder}: the model folder holds no weights (none of {', '.join(WEIGHT_FILES)} beside its config.json): "
        "copy or download the whole model folder again"
    )


def damaged_weights(model_name_or_path: str, *, cache_dir=None, revision=None) -> DamagedFileError | None:
    """The error of the first ``*.safetensors`` file of a model folder (or of a Hub model's cached
    snapshot) whose header or size is wrong; ``None`` when all read (or none is found)."""
    from safetensors import SafetensorError, safe_open

    folder = Path(os.path.expanduser(model_name_or_path))
    if not folder.is_dir():
        from huggingface_hub import try_to_load_from_cache

        try:
            config = try_to_load_from_cache(model_name_or_path, "config.json", cache_dir=cache_dir, revision=revision)
        except ValueError:  # not a Hub id
            return None
        if not isinstance(config, str):
            return None
        folder = Path(config).parent
    for path in sorted(folder.glob("*.safetensors")):
        try:
            with safe_open(str(path), framework="np"):
                pass
        except SafetensorError as err:
            detail = " ".join(str(err).split())
            return DamagedFileError(f"{path}: incomplete or damaged ({detail}): copy or download it again", detail)
    return None
