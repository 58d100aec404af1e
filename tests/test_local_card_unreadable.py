"""A local prepared folder without a record (``prepare.json``) whose card (``README.md``, its configs naming the
groups it holds) could not be read, not being readable here (``chmod 000``) or not UTF-8 text, was read as a
folder with no card: advise said "its card (README.md) declares no configs, or could not be read, so which groups
it holds is not known either", the recipes' check that the folder was no prepared dataset.  It is one error
naming the card and the fix, as a Hub dataset's card whose cached copy cannot be read is
(:func:`bimotion.data.layout.cached_unreadable`); nothing is written, and the folder is left as it was."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import unprivileged

from bimotion.cli import main
from bimotion.data.held import card_configs
from bimotion.training import testing
from bimotion.training.data_checks import check_dataset


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A folder the real writer prepared of CSED (zho_eld), without its record: the Hub's layout, its card's
    configs naming its groups."""
    made = testing.write_prepared(tmp_path_factory.mktemp("made") / "made", shards=[("csed", "zho_eld")])
    (made / "prepare.json").unlink()
    return made


def test_a_card_that_is_not_utf8_is_one_error_naming_it(made, tmp_path, capsys):
    folder = tmp_path / "ds"
    shutil.copytree(made, folder)
    card = folder / "README.md"
    card.write_bytes(card.read_bytes().replace(b"---", b"---\n# \xff\xfe", 1))
    said = (
        f"{card}: the dataset card is not UTF-8 text ('utf-8' codec can't decode byte 0xff in position 6: invalid "
        "start byte): save it as UTF-8, or prepare the dataset again"
    )
    with pytest.raises(ValueError) as err:
        card_configs(folder)  # was None: no card
    assert str(err.value) == said
    with pytest.raises(ValueError, match="^" + said[:40]):  # the recipes' check: was "not a prepared dataset folder"
        check_dataset(str(folder), "--bimotion", "bimotion")
    before = card.read_bytes()
    assert main(["advise", "--target", "zho_eld", "--bimotion", str(folder), "-o", str(tmp_path / "out")]) == 2
    out = capsys.readouterr().err
    assert out.splitlines() == [f"error: {said}"], out
    assert not (tmp_path / "out").exists() and card.read_bytes() == before


def test_the_readme_of_a_folder_that_is_no_dataset_is_no_card(tmp_path):
    """A raw corpus folder given as --bimotion, its own README.md not UTF-8, was told "README.md: the dataset card
    is not UTF-8 text ... save it as UTF-8" (edit a corpus's file), naming no flag; it is not a prepared dataset
    folder, and told so, as before the card check."""
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "README.md").write_bytes(b"CSED \xb8\xd0\xc7\xe9 release notes (GBK)\n")
    assert card_configs(folder) is None
    with pytest.raises(ValueError, match=f"^--bimotion {folder} is not a prepared dataset folder"):
        check_dataset(str(folder), "--bimotion", "bimotion")


def test_a_card_that_cannot_be_read_here_is_one_error_naming_it(made):
    import os
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp(prefix="bimotion-card-"))  # pytest's tmp_path is private to root
    try:
        folder = root / "ds"
        shutil.copytree(made, folder)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o644)
        (folder / "README.md").chmod(0o000)
        argv = ["advise", "--target", "zho_eld", "--bimotion", str(folder), "-o", str(root / "out")]
        proc = subprocess.run(
            unprivileged([sys.executable, "-m", "bimotion.cli", *argv]),
            env=testing.subprocess_env(),
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.splitlines() == [
            f"error: {folder / 'README.md'}: the dataset card cannot be read (Permission denied): make it readable "
            "(chmod u+rx, or run as its owner), then run again"
        ]
        assert not (root / "out").exists()
    finally:
        os.chmod(folder / "README.md", 0o644)
        shutil.rmtree(root)
