"""A Hub dataset of which some groups were never prepared (only CSED pushed) reads as a local
prepared folder does: its ``prepare.json``, which ``bimotion push`` uploads beside the data, says
which groups have rows.  Here without network: the Hub's cache holds that record and the card, and
``datasets``' cache holds the built group, as a machine that loaded it once and went offline."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_hub_asked_once import slept  # noqa: F401 (the fixture)

from bimotion.training import testing

REPO = Path(__file__).resolve().parents[1]
HUB_ID = "my-lab/csed-only"


@pytest.fixture(scope="module")
def hub_dataset(tmp_path_factory):
    """``(working folder, Hub cache, datasets cache)``: HUB_ID as a Hub dataset of CSED alone (zho_eld)."""
    import datasets

    root = tmp_path_factory.mktemp("hub-dataset")
    data = testing.write_prepared(root / "csed-only", shards=[("csed", "zho_eld")], sizes={"train": 8, "test": 4})
    commit = "0" * 40
    repo = root / "hub" / f"datasets--{HUB_ID.replace('/', '--')}"
    (repo / "snapshots" / commit).mkdir(parents=True)
    for name in ("README.md", "prepare.json"):  # what `hf_hub_download` keeps of the files push sends
        shutil.copy(data / name, repo / "snapshots" / commit / name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    built = root / "datasets-cache"
    datasets.load_dataset(str(data), "zho_eld", cache_dir=str(built))  # built under the folder's name ...
    (built / "csed-only").rename(built / HUB_ID.replace("/", "___"))  # ... as datasets keeps the Hub id's
    work = root / "work"  # where HUB_ID is no local path
    work.mkdir()
    return work, root / "hub", built


def _train(tiny: Path, hub_dataset, config: str, out: Path) -> subprocess.CompletedProcess:
    work, hub_cache, built = hub_dataset
    argv = ["--model_name_or_path", str(tiny), "--bimotion", HUB_ID, "--dataset_cache_dir", str(built)]
    argv += "--classifier_proj_size 16 --disable_tqdm true --dataloader_pin_memory false --max_steps 1".split()
    argv += ["--train_configs", config, "--output_dir", str(out)]
    return subprocess.run(
        [sys.executable, str(REPO / "recipes" / "train.py"), *argv],
        env=testing.subprocess_env(HF_HUB_CACHE=str(hub_cache)), cwd=work, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_union_config_of_a_hub_dataset_trains_on_the_groups_it_has(hub_dataset, tmp_path):
    """--train_configs all of a Hub dataset holding CSED alone stopped on the groups it lacks (a
    `datasets` error naming a config, eng_eld, the user never asked for), where a local folder of the
    same data trains on zho_eld with one note: now the Hub dataset does the same, by the prepare.json
    pushed with it, and a config with none of its groups is one error naming them and what to prepare."""
    tiny = testing.save_tiny_model(tmp_path / "tiny")
    out = tmp_path / "model"
    run = _train(tiny, hub_dataset, "all", out)
    assert run.returncode == 0, run.stderr[-3000:]
    notes = [line for line in run.stderr.splitlines() if line.startswith("note: --train_configs")]
    assert notes == [
        f"note: --train_configs all: the prepared bimotion dataset at {HUB_ID} has no rows of eng_eld, eng_adu, "
        "zho_adu: all is read from zho_eld only"
    ]
    summary = json.loads((out / "scores.json").read_text())
    assert (summary["train_groups"], summary["train_corpora"]) == (["zho_eld"], ["csed"])
    assert list(summary["test"]["groups"]) == ["zho_eld"]  # the groups it has: none it lacks is scored

    bad = _train(tiny, hub_dataset, "adu", tmp_path / "other")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr[-3000:]
    assert (
        f"--train_configs: the prepared bimotion dataset at {HUB_ID} has no rows of any group of adu (eng_adu, "
        "zho_adu; it holds zho_eld): prepare their corpora (crema_d, esd, iemocap, tess)"
    ) in bad.stderr
    assert not (tmp_path / "other").exists()


@pytest.mark.usefixtures("slept")
def test_a_hub_dataset_where_the_hub_does_not_answer_loads_from_the_cache_at_once_or_says_why(
    hub_dataset, monkeypatch, caplog
):
    """load_source of a Hub dataset id (the recipes' data) where the Hub refuses the connection: datasets asked for
    its card 6 times, 1 to 8 s apart (~23 s of pauses), before it read its cache, and one not cached ended with
    datasets' words, "Couldn't reach 'my-lab/none' on the Hub (LocalEntryNotFoundError)", not bimotion.hub's.  The
    card is asked for once (bimotion.hub.hub_file); no answer and datasets reads its cache alone, at once, or it is
    said as every Hub failure: the dataset, the Hub's state and the fix."""
    import datasets.config
    from conftest import local_hubs
    from huggingface_hub import constants
    from test_hub_cached_model import retried
    from test_hub_unreachable_records import at

    from bimotion import hub
    from bimotion.data.reading import load_source

    work, hub_cache, built = hub_dataset
    monkeypatch.chdir(work)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)  # a machine with network, as it is set up
    monkeypatch.setattr(hub, "_silent", {})
    caplog.set_level(logging.WARNING, logger="huggingface_hub")
    with local_hubs({}) as urls:
        at(monkeypatch, urls["refused"])
        assert len(load_source(HUB_ID, "zho_eld", "train", cache_dir=built)) == 8  # its cache, read at once
        assert retried(caplog) == []  # was 5 "Retrying in" lines, 1 to 8 s apart
        with pytest.raises(hub.HubUnreachableError) as failed:
            load_source("my-lab/none", "zho_eld", "train", cache_dir=built)
    assert str(failed.value) == (
        f"could not reach the Hub to read config zho_eld of the dataset my-lab/none: cannot reach the Hub at "
        f"{urls['refused']}, ConnectionRefusedError: [Errno 111] Connection refused; not in the local cache: check "
        "the network or proxy, set HF_HUB_OFFLINE=1 to read only the local cache, or pass a local folder of my-lab/none"
    ), failed.value
    assert retried(caplog) == [] and not datasets.config.HF_HUB_OFFLINE  # datasets online again once done


def test_a_local_folder_in_the_hubs_layout_is_read_without_asking_the_hub(tmp_path, monkeypatch):
    """A dataset folder in the Hub's layout (``hf download ... --local-dir ds``, configs in README.md), given by a
    relative path (``--bimotion ds``), is no Hub id: load_source asked the Hub for the card of a dataset "ds"
    (1.9 s here without network, HF_HUB_ETAG_TIMEOUT where a firewall drops packets, and the Hub then remembered
    as not answering); it reads the folder, asking nothing, as before."""
    import datasets
    from conftest import local_hubs
    from test_hub_unreachable_records import at

    from bimotion import hub
    from bimotion.data.reading import load_source

    (tmp_path / "ds" / "zho_eld").mkdir(parents=True)
    datasets.Dataset.from_dict({"x": [1, 2, 3]}).to_parquet(tmp_path / "ds" / "zho_eld" / "train-00000.parquet")
    card = "---\nconfigs:\n- config_name: zho_eld\n  data_files:\n  - split: train\n    path: zho_eld/train-*\n---\n"
    (tmp_path / "ds" / "README.md").write_text(card, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(hub, "_silent", {})
    asked: list[str] = []
    with local_hubs({"hub": 404}, asked) as urls:
        at(monkeypatch, urls["hub"])
        assert load_source("ds", "zho_eld", "train")["x"] == [1, 2, 3]
    assert asked == []  # before: ['/datasets/ds/resolve/main/README.md']


@pytest.mark.parametrize("ends", ["loaded", "not cached", "interrupted"])
def test_a_load_read_from_the_cache_alone_leaves_datasets_online_after_it_however_it_ends(
    hub_dataset, monkeypatch, ends
):
    """Where the Hub did not answer, load_source has datasets read its cache alone (its HF_HUB_OFFLINE, a switch of
    the whole process) for that one load: after it, loaded, failed (a dataset not cached) or stopped by a Ctrl-C,
    datasets asks the Hub again (the switch left on, every later load in the process, the Hub back or not, would
    read the cache alone and fail on a dataset it lacks)."""
    import datasets.config

    from bimotion import hub
    from bimotion.data import reading

    work, hub_cache, built = hub_dataset
    monkeypatch.chdir(work)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)  # a machine with network, as it is set up

    def unanswered(repo_id, *args, **kwargs):
        raise hub.HubUnreachableError(f"could not reach the Hub for {repo_id}", "the Hub did not answer")

    monkeypatch.setattr(hub, "hub_file", unanswered)
    load, switch = datasets.load_dataset, []

    def recorded(*args, **kwargs):  # datasets' switch as the load reads it
        switch.append(datasets.config.HF_HUB_OFFLINE)
        if ends == "interrupted":
            raise KeyboardInterrupt
        return load(*args, **kwargs)

    monkeypatch.setattr(datasets, "load_dataset", recorded)
    if ends == "loaded":
        assert len(reading.load_source(HUB_ID, "zho_eld", "train", cache_dir=built)) == 8
    else:
        with pytest.raises(KeyboardInterrupt if ends == "interrupted" else hub.HubUnreachableError) as failed:
            reading.load_source("my-lab/none" if ends == "not cached" else HUB_ID, "zho_eld", cache_dir=built)
        assert ends == "interrupted" or "the Hub did not answer" in str(failed.value)
    assert switch == [True] and datasets.config.HF_HUB_OFFLINE is False
