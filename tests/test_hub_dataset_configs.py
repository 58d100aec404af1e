"""A Hub dataset of which some groups were never prepared (only CSED pushed) reads as a local
prepared folder does: its ``prepare.json``, which ``bimotion push`` uploads beside the data, says
which groups have rows.  Here without network: the Hub's cache holds that record and the card, and
``datasets``' cache holds the built group, as a machine that loaded it once and went offline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
