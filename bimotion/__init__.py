"""BiMotion: the English-Mandarin, adults-and-elderly speech emotion benchmark, as `datasets`
builders, a CLI and a training library."""

__version__ = "0.1.0"
