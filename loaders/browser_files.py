"""What a file browser or a zip made on macOS leaves in a folder copied through them: Finder's ``.DS_Store``,
Explorer's ``Thumbs.db`` and ``desktop.ini`` (:data:`BROWSER_FILES`), a macOS zip's ``__MACOSX/`` and its
AppleDouble ``._NAME`` files, a browser's second copy of a file beside it.  No one's work: :func:`left_by_browser`
says which files those are, for the checks, replacements and uploads of a prepared or a model folder; the
readers' walk (:mod:`loaders.walk`) never searches ``__MACOSX/`` (:data:`MACOS_RESOURCES`)."""

from __future__ import annotations

from collections.abc import Container
from pathlib import Path

from .copies import same_as_original

# A zip made on macOS mirrors its tree under __MACOSX/ with AppleDouble `._*` files (resource forks,
# never audio): never searched, like hidden folders (.git, .Trash, a tool's .cache).
MACOS_RESOURCES = "__MACOSX"
APPLEDOUBLE_MAGIC = b"\x00\x05\x16\x07"  # how a resource fork (``._NAME``, AppleDouble) begins
# What Finder (.DS_Store) and Explorer (Thumbs.db, desktop.ini) write into any folder they show: no one's
# work (:func:`left_by_browser` passes over them; loaders.testing.mangle plants them).
BROWSER_FILES = (".DS_Store", "Thumbs.db", "desktop.ini")


def left_by_browser(folder: Path, rel: str, names: Container[str] | None = None) -> bool:
    """Whether ``folder / rel`` is what a file browser or a zip made on macOS left in a folder copied
    through them (a prepared folder, a model folder): ``.DS_Store``, ``Thumbs.db``, ``desktop.ini``,
    anything in ``__MACOSX/``, an AppleDouble ``._NAME`` (known by its header: a temporary file of
    an interrupted run is not one), or a second copy a browser or Windows made of a file beside it
    (``README (1).md``, with its bytes: :func:`same_as_original`).  No one's work: they go with a
    prepared folder, its checks pass over them (and count them), and no upload sends them.  ``names``: the names in
    ``rel``'s folder, as the caller's walk listed them (where ``x 2.md``'s ``x.md`` is looked for: else that folder is
    listed for each such name, :func:`~loaders.copies.kept_both`)."""
    parts = rel.split("/")
    if parts[-1] in BROWSER_FILES or MACOS_RESOURCES in parts or same_as_original(folder / rel, names=names):
        return True
    if not parts[-1].startswith("._"):
        return False
    try:
        with open(folder / rel, "rb") as f:
            return f.read(len(APPLEDOUBLE_MAGIC)) == APPLEDOUBLE_MAGIC
    except OSError:
        return False
