"""Fine-tuning and scoring speech emotion models on BiMotion/YueMotion (the paper's method).

- :mod:`.model`     the standard ``Wav2Vec2ForSequenceClassification`` head over the 13 labels
- :mod:`.loss`      masked multi-label BCE
- :mod:`.collator`  decode, crop (training), normalise, pad, attention mask
- :mod:`.sampler`   length-grouped batches from the ``duration_s`` column
- :mod:`.metrics`   the one weighted-F1 kernel; macro/per-label F1 and UA, per corpus and group
- :mod:`.inference` ``predict``: the one place a model runs on data (recipes, grid, projections)
- :mod:`.mixtures`  baseline / cross-lingual / cross-age / cross-all mixtures, shards of configs
- :mod:`.data`      prepared splits without decoding audio
- :mod:`.trainer`   ``SERTrainer``: the masked loss, exact under accumulation and DDP
- :mod:`.spec`      ``TrainSpec``: the plain typed spec ``run.train`` takes
- :mod:`.args`      the recipes' argument dataclasses (paper defaults), checked up front, turned into a spec
- :mod:`.training_args` ``SERTrainingArguments``: transformers' ``TrainingArguments`` with the paper's defaults
- :mod:`.parsing`   the recipes' one command-line parse path
- :mod:`.processes` the processes of a launch: CPU or not, leaving the process group at exit
- :mod:`.identity`  what a run is, so a resume continues the same run or refuses
- :mod:`.outputs`   the names of the files a run writes
- :mod:`.model_card` model card with ``model-index``; no local path in what is published
- :mod:`.run`       what ``recipes/{train,augment,infer}.py`` run
- :mod:`.summary`   what a finished run records: ``scores.json``, the files beside the model, the push
- :mod:`.testing`   a tiny random wav2vec2 and prepared fixture datasets
"""
