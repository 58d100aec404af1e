"""BiMotion: the English-Mandarin, adults-and-elderly speech emotion benchmark, as Hub-ready
``datasets`` folders, a CLI and a training library."""

__version__ = "0.1.0"


def load(out_dir, config=None, split=None, **kwargs):
    """A config of a folder written by ``bimotion prepare`` / ``yuemotion prepare``, as ``datasets``
    objects (see :func:`bimotion.data.reading.load`)."""
    from .data.reading import load as _load

    return _load(out_dir, config, split, **kwargs)
