"""Small synthetic corpora, prepared, for demos and tests of the grid."""

from __future__ import annotations

import os
from pathlib import Path


def prepare_fixtures(
    out_dir: str | os.PathLike, *, seed: int = 0, scale: int = 1, progress: bool = False
) -> dict[str, Path]:
    """Generate the small fixture corpora (:func:`loaders.testing.make_all`, ``scale`` times the
    small size's distinct clips) and prepare BiMotion and YueMotion from them into
    ``out_dir/{bimotion,yuemotion}`` (reused when already there); returns the ``data_dirs`` of
    :func:`.runner.run_grid`.  Synthetic audio: for demos and tests only."""
    from loaders.testing import make_all

    from ..prepare import INFO_FILE, prepare

    out_dir = Path(out_dir)
    dirs = {"bimotion": out_dir / "bimotion", "yuemotion": out_dir / "yuemotion"}
    if all((d / INFO_FILE).is_file() for d in dirs.values()):
        return dirs
    import shutil

    shutil.rmtree(out_dir / "raw", ignore_errors=True)  # a generated tree left by an interrupted call
    roots = make_all(out_dir / "raw", seed=seed, scale=scale)
    yue = {"yuemotion": roots.pop("yuemotion")}
    for name, sources in (("bimotion", roots), ("yuemotion", yue)):
        if not (dirs[name] / INFO_FILE).is_file():
            prepare(sources, dirs[name], benchmark=name, seed=seed, progress=progress, overwrite=True)
    return dirs
