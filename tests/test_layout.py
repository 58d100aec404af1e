"""The prepared-folder contract (bimotion.data.layout): one cache key, from prepare.json's bytes,
used by every reader; a moved prepared folder, and a moved finished grid, keep working."""

from __future__ import annotations

import json
import shutil

import pytest
from test_grid import grid_config

import bimotion
from bimotion.data import layout
from bimotion.grid import data_sources, run_grid
from bimotion.training import testing
from bimotion.training.data import Sources, load_split


@pytest.fixture
def prepared(tmp_path):
    return testing.write_prepared(
        tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 4, "validation": 2, "test": 3}
    )


def test_write_prepared_is_a_real_prepared_folder_with_exact_split_sizes(prepared):
    info = layout.read_info(prepared)
    assert {s["split"]: s["rows"] for s in info["shards"]} == {"train": 4, "validation": 2, "test": 3}
    files = layout.config_files(info)["zho_eld"]
    assert all((prepared / path).is_file() for paths in files.values() for path in paths)
    assert (prepared / layout.CARD_FILE).read_text(encoding="utf-8").startswith("---\n")


def test_a_moved_folder_keeps_its_cache_key_and_loads_the_same_rows(prepared, tmp_path):
    cache = tmp_path / "cache"
    before = bimotion.load(prepared, "zho_eld", "test", cache_dir=cache)
    key = layout.cache_key(prepared)
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(prepared, moved)
    assert layout.cache_key(moved) == key
    assert layout.cache_dir(moved, cache) == cache / layout.CACHE_SUBDIR / key
    after = bimotion.load(moved, "zho_eld", "test", cache_dir=cache)
    assert after.to_dict() == before.to_dict()
    assert load_split(Sources(str(moved), cache_dir=str(cache)), ["zho_eld"], "test")["id"] == before["id"]


def test_builder_training_and_grid_use_the_one_cache_key(prepared, tmp_path):
    cache = tmp_path / "cache"
    expected = cache / layout.CACHE_SUBDIR / layout.cache_key(prepared)
    bimotion.load(prepared, "zho_eld", "test", cache_dir=cache)
    assert [p for p in (cache / layout.CACHE_SUBDIR).iterdir()] == [expected]
    shutil.rmtree(cache)
    sources = data_sources({"bimotion": prepared}, cache)  # the grid's Sources
    load_split(Sources(**sources), ["zho_eld"], "test")
    assert [p for p in (cache / layout.CACHE_SUBDIR).iterdir()] == [expected]


def test_a_folder_that_is_not_prepared_is_named_in_the_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path} is not a prepared dataset"):
        layout.cache_key(tmp_path)
    (tmp_path / layout.INFO_FILE).write_text("{not json")
    with pytest.raises(ValueError, match="unreadable.*overwrite=True"):  # a Python caller's words
        layout.read_info(tmp_path)


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_finished_grid_moved_with_its_data_reuses_every_model(data_dirs, tmp_path):  # noqa: F811
    config = grid_config(tables=["table3"])
    first = run_grid(config, data_dirs, tmp_path / "grid", log=None)
    table = (first.output_dir / "tables" / "table3.md").read_text()
    moved = tmp_path / "moved"
    for name, where in data_dirs.items():
        shutil.copytree(where, moved / name)
    shutil.move(tmp_path / "grid", moved / "grid")
    again = run_grid(config, {name: moved / name for name in data_dirs}, moved / "grid", log=None)
    assert first.trained and again.trained == []  # every model reused, none retrained
    assert (moved / "grid" / "tables" / "table3.md").read_text() == table
    settings = json.loads((moved / "grid" / "plan.json").read_text())["settings"]
    assert str(tmp_path) not in json.dumps(settings)  # the folder records its data by content, not by path


def test_the_files_a_file_browser_leaves_are_listed_once_and_passed_over(tmp_path):
    """The names of .DS_Store, Thumbs.db and desktop.ini were listed twice (the prepared-folder
    contract's and the test helper's): one list could gain a name the other lacked. The helper plants
    exactly the readers' list, and each file it plants is passed over as a browser's."""
    from loaders import browser_files
    from loaders.testing.mangle import BROWSER_FILES, add_browser_files

    assert (
        tuple(BROWSER_FILES) == browser_files.BROWSER_FILES and layout.left_by_browser is browser_files.left_by_browser
    )
    (tmp_path / "a.parquet").write_bytes(b"PAR1")
    add_browser_files(tmp_path)
    planted = sorted(p.name for p in tmp_path.iterdir() if p.is_file() and p.name != "a.parquet")
    assert planted == sorted([*browser_files.BROWSER_FILES, "._a.parquet"])
    assert [name for name in planted if not layout.left_by_browser(tmp_path, name)] == []


def test_a_second_copy_a_browser_or_windows_made_in_a_prepared_folder_is_passed_over(tmp_path):
    """'README (1).md' beside README.md (a second download, Explorer's paste: 'x - Copy.parquet') was an
    unlisted file "left by an interrupted run": with the bytes of the file beside it, it is a browser's
    leftover; with other bytes it is not (someone's edit, which check lists)."""
    (tmp_path / "README.md").write_text("card\n")
    (tmp_path / "README (1).md").write_text("card\n")
    (tmp_path / "README - Copy.md").write_text("my edit\n")
    (tmp_path / "notes (1).md").write_text("card\n")  # a copy of nothing beside it
    assert layout.browser_leftovers(tmp_path) == ["README (1).md"]
