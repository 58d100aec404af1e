"""The paper's model as a standard ``transformers`` architecture.

XLSR-53 (or any wav2vec2-family encoder) + a linear projector (hidden size -> 256) + mean pooling over
the non-padded frames + a linear layer over the 13 labels is exactly
``Wav2Vec2ForSequenceClassification`` (``HubertFor…``, ``WavLMFor…``, ``Data2VecAudioFor…``) with
``classifier_proj_size=256``.  The saved config says ``problem_type="multi_label_classification"``
and names the labels, so ``AutoModelForAudioClassification.from_pretrained(dir)`` and
``pipeline("audio-classification", model=dir)`` (which then applies a sigmoid) work without our code.
The model's own loss (cross-entropy in transformers 5) is never used: the trainer computes the
masked multi-label BCE of :mod:`bimotion.training.loss`.
"""

from __future__ import annotations

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


def build_model(
    model_name_or_path: str = DEFAULT_MODEL,
    *,
    dropout: float = 0.1,
    classifier_proj_size: int = 256,
    freeze_feature_encoder: bool = True,
    revision: str = "main",
    cache_dir: str | None = None,
    **config_overrides,
):
    """``(model, feature_extractor)`` for fine-tuning; the head is new unless the checkpoint has one.

    ``dropout`` is the encoder's hidden and attention dropout (the paper's 0.1);
    ``config_overrides`` go to the config as they are (e.g. ``layerdrop=0.0``, ``mask_time_prob=0.0``).
    """
    from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

    kwargs = {"revision": revision, "cache_dir": cache_dir}
    config = AutoConfig.from_pretrained(
        model_name_or_path,
        **label_config(),
        classifier_proj_size=classifier_proj_size,
        hidden_dropout=dropout,
        attention_dropout=dropout,
        **config_overrides,
        **kwargs,
    )
    model = AutoModelForAudioClassification.from_pretrained(model_name_or_path, config=config, **kwargs)
    feature_extractor = AutoFeatureExtractor.from_pretrained(model_name_or_path, **kwargs)
    if freeze_feature_encoder:
        model.freeze_feature_encoder()
    return model, feature_extractor


def load_classifier(model_name_or_path: str, **kwargs):
    """``(model, feature_extractor)`` of a fine-tuned checkpoint, checked to be a 13-label model."""
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    model = AutoModelForAudioClassification.from_pretrained(model_name_or_path, **kwargs)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    if labels != list(LABELS):
        raise ValueError(
            f"{model_name_or_path} predicts {labels}, not the 13 BiMotion labels {list(LABELS)}: "
            "score a model fine-tuned with recipes/train.py or recipes/augment.py"
        )
    return model, AutoFeatureExtractor.from_pretrained(model_name_or_path, **kwargs)
