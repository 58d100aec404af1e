"""bimotion.data.reading.load makes a config's ``datasets`` builder once per process (the grid loads every
config's splits for each model it trains), and a new one when the folder's card or data files change."""

from __future__ import annotations

import shutil

import datasets

import bimotion
from bimotion.data import reading
from bimotion.training import testing


def _counted(monkeypatch) -> list[str]:
    made = []
    real = datasets.load_dataset_builder

    def counting(path, name=None, **kwargs):
        made.append(name)
        return real(path, name, **kwargs)

    monkeypatch.setattr(datasets, "load_dataset_builder", counting)
    return made


def test_a_config_loaded_again_reuses_its_builder_and_gives_the_same_rows(tmp_path, monkeypatch):
    folder = testing.write_prepared(
        tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"train": 4, "validation": 2, "test": 3}
    )
    made = _counted(monkeypatch)
    cache = tmp_path / "cache"
    first = {split: bimotion.load(folder, "zho_eld", split, cache_dir=cache) for split in ("train", "test")}
    again = {split: bimotion.load(folder, "zho_eld", split, cache_dir=cache) for split in ("train", "test")}
    whole = bimotion.load(folder, "zho_eld", cache_dir=cache)
    assert made == ["zho_eld"]  # before: one builder (the card's YAML parsed, its files hashed) per load
    for split in first:
        assert again[split].to_dict() == first[split].to_dict() == whole[split].to_dict()
        assert again[split]._fingerprint == first[split]._fingerprint
        assert again[split] is not first[split]  # a Dataset of its own: nothing one caller does reaches another


def test_a_folder_prepared_again_gets_a_new_builder(tmp_path, monkeypatch):
    folder = tmp_path / "bimotion"
    testing.write_prepared(folder, shards=[("csed", "zho_eld")], sizes={"train": 4, "validation": 2, "test": 3})
    made = _counted(monkeypatch)
    before = bimotion.load(folder, "zho_eld", "test", cache_dir=tmp_path / "cache")
    shutil.rmtree(folder)  # prepared again, with more test clips
    testing.write_prepared(folder, shards=[("csed", "zho_eld")], sizes={"train": 4, "validation": 2, "test": 5})
    after = bimotion.load(folder, "zho_eld", "test", cache_dir=tmp_path / "cache")
    assert made == ["zho_eld", "zho_eld"]
    assert (len(before), len(after)) == (3, 5)
    assert len(reading._BUILDERS) <= reading._MAX_BUILDERS
