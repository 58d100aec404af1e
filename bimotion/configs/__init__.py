"""The shipped grid configs, as package data: ``paper.yaml`` (XLSR-53, the paper's
hyper-parameters) and ``demo.yaml`` (tiny random model, fixture corpora, CPU).
Find one with :func:`bimotion.grid.shipped_config`."""
