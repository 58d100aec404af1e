"""Jinja templates of the cards (``dataset_card.md``, ``model_card.md``), shipped as package data and
rendered through ``huggingface_hub``'s ``DatasetCard``/``ModelCard.from_template``."""
