"""BiMotion: the English-Mandarin, adults-and-elderly speech emotion benchmark, as Hub-ready
``datasets`` folders, a CLI and a training library."""

__version__ = "0.1.0"


def load(out_dir, config: str | None = None, split: str | None = None, *, cache_dir=None):
    """A config (``eng_eld``; default: the benchmark's ``all``) of a folder written by ``bimotion
    prepare`` / ``yuemotion prepare``, as a ``datasets.DatasetDict``, or a ``Dataset`` when ``split``
    is given; ``cache_dir``: the cache root (default: the ``datasets`` cache), see
    :func:`bimotion.data.reading.load`.

    >>> bimotion.load("data/bimotion", "eng_eld", "train")"""
    from .data.reading import load as _load

    return _load(out_dir, config, split, cache_dir=cache_dir)
