"""Fine-tuning and scoring speech emotion models on BiMotion/YueMotion (the paper's method).

- :mod:`.model`     the standard ``Wav2Vec2ForSequenceClassification`` head over the 13 labels
- :mod:`.loss`      masked multi-label BCE
- :mod:`.collator`  decode, crop (training), normalise, pad, attention mask
- :mod:`.sampler`   length-grouped batches from the ``duration_s`` column
- :mod:`.metrics`   weighted/macro/per-label F1 and UA, per corpus and group
- :mod:`.mixtures`  baseline / cross-lingual / cross-age / cross-all mixtures, shards of configs
- :mod:`.data`      prepared splits without decoding audio
- :mod:`.trainer`   ``SERTrainer``: the masked loss, exact under accumulation and DDP
- :mod:`.args`      the recipes' argument dataclasses, with the paper's defaults
- :mod:`.model_card` model card with ``model-index``; no local path in what is published
- :mod:`.run`       what ``recipes/{train,augment,infer}.py`` run
- :mod:`.testing`   a tiny random wav2vec2 and prepared fixture datasets
"""
