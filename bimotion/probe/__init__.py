"""A frozen-feature backend ("probe"): features extracted once per prepared folder and cached
(:mod:`.features`, :mod:`.cache`), a linear or MLP head trained with the masked multi-label loss
(:mod:`.head`), scored into the same ``scores.json`` as fine-tuning (:mod:`.run`).  Cheap enough
to run the paper's whole grid on a CPU; see docs/probe.md."""
