"""Self-describing data and true cards: the readers of a prepared dataset get its label names (plain
``datasets`` in a fresh process: tests/test_prepare.py); the dataset and model cards' metadata round-trip through ``huggingface_hub``'s card
types with the Hub's fields (licences per source, ``size_categories``, ``task_ids``, the sources'
Hub ids, ``base_model``); a model's licence is the most restrictive of its training corpora's; and
the model card's how-to snippet runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import load_recipe as recipe

from bimotion.card_metadata import RESTRICTIVENESS, combined_license, hub_license
from bimotion.training import testing
from bimotion.training.model_card import training_license
from bimotion.training.public import base_model_id
from loaders import SOURCES

SIZES = {"train": 4, "validation": 2, "test": 2}
HUB_SIZE_CATEGORIES = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """TESS (CC BY-NC-ND) and ESD (research only), a few clips each, written by the real writer;
    and YueMotion (CC-BY-SA, on the Hub)."""
    root = tmp_path_factory.mktemp("self-describing")
    shards = [("tess", "eng_eld"), ("esd", "zho_adu")]
    testing.write_prepared(root / "bimotion", shards=shards, sizes=SIZES, emotions=("sadness", "anger", "neutral"))
    testing.write_prepared(root / "yuemotion", benchmark="yuemotion", shards=[("yuemotion", "yue_adu")], sizes=SIZES)
    return root


def run_python(code: str, cwd: Path, timeout_s: int = 120) -> str:
    """``code`` run by a fresh interpreter in ``cwd`` (offline): its stdout; the test fails on an error."""
    env = testing.subprocess_env(HF_DATASETS_CACHE=str(cwd / "cache"), TRANSFORMERS_VERBOSITY="error")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_readers_get_names_and_both_benchmarks_concatenate(data, tmp_path):
    from bimotion.training.data import Sources, column, load_split
    from bimotion.verify import verify

    sources = Sources(bimotion=str(data / "bimotion"), yuemotion=str(data / "yuemotion"), cache_dir=str(data / "c"))
    test = load_split(sources, ["zho_adu", "yue_adu"], "test")  # BiMotion's and YueMotion's ClassLabels differ
    assert sorted(set(column(test, "corpus").tolist())) == ["esd", "yuemotion"]
    assert set(column(test, "group").tolist()) == {"zho_adu", "yue_adu"}
    for folder in ("bimotion", "yuemotion"):
        assert verify(data / folder, hash_audio=False)["problems"] == []
    # `bimotion check` reports files whose label names are not the ones prepare.json records
    shutil.copytree(data / "bimotion", tmp_path / "copy")
    info = json.loads((tmp_path / "copy" / "prepare.json").read_text())
    info["class_names"]["gender"] = ["m", "f"]
    (tmp_path / "copy" / "prepare.json").write_text(json.dumps(info))
    problems = verify(tmp_path / "copy", hash_audio=False)["problems"]
    assert len(problems) == 6 and all("label names (gender) differ" in p for p in problems)


def test_dataset_cards_metadata_round_trips_with_the_hubs_fields(data):
    from huggingface_hub import DatasetCard

    from bimotion import dataset_card
    from bimotion.data.layout import read_info
    from loaders.synthetic import LICENSE

    written = DatasetCard.load(data / "bimotion" / "README.md")
    assert DatasetCard(str(written)).data.to_dict() == written.data.to_dict()  # the Hub parses what was written
    assert written.data.license == "apache-2.0"  # the fixture's clips are generated: bimotion's licence
    # ... and nothing of TESS or ESD is in them: the Hub listed the data as derived from the real corpora
    assert written.data.source_datasets == ["original"]
    assert DatasetCard.load(data / "yuemotion" / "README.md").data.source_datasets == ["original"]  # not CAiRE/...

    def as_real(folder: Path) -> DatasetCard:  # the card of the same data from the real releases
        info = {k: v for k, v in read_info(folder).items() if k != "synthetic"}
        assert set(info["licenses"].values()) == {LICENSE}
        return DatasetCard(dataset_card.render({**info, "licenses": {c: SOURCES[c].license for c in info["corpora"]}}))

    card = as_real(data / "bimotion")
    meta = card.data.to_dict()
    assert DatasetCard(str(card)).data.to_dict() == meta
    assert meta["task_categories"] == ["audio-classification"] and meta["task_ids"] == ["audio-emotion-recognition"]
    assert meta["size_categories"] == ["n<1K"] and set(meta["size_categories"]) <= HUB_SIZE_CATEGORIES
    assert meta["language"] == ["en", "zh"] and meta["multilinguality"] == "multilingual"
    # every source's licence, as Hub ids; ESD's research-only licence is `other`, named and linked
    assert meta["license"] == ["cc-by-nc-nd-4.0", "other"]
    assert meta["license_name"] == "esd-license" and meta["license_link"] == SOURCES["esd"].url
    assert re.fullmatch(r"[a-z0-9.-]+", meta["license_name"])
    assert meta["source_datasets"] == ["tess", "esd"]
    assert "Hub id `cc-by-nc-nd-4.0`" in card.text and "`gender` (`ClassLabel`): f, m" in card.text

    yue = as_real(data / "yuemotion").data.to_dict()
    assert yue["license"] == "cc-by-sa-4.0" and "license_name" not in yue
    assert yue["source_datasets"] == ["CAiRE/YueMotion"] and yue["language"] == ["yue"]


def test_licences_map_to_hub_ids_and_the_most_restrictive_wins():
    assert {c: hub_license(SOURCES[c].license) for c in ("crema_d", "tess", "csed", "yuemotion", "iemocap")} == {
        "crema_d": "odbl",
        "tess": "cc-by-nc-nd-4.0",
        "csed": "apache-2.0",
        "yuemotion": "cc-by-sa-4.0",
        "iemocap": "other",
    }
    assert set(map(hub_license, ("CC BY 4.0", "cc-by-nc-sa-4.0", "MIT License"))) <= set(RESTRICTIVENESS)
    urls = {c: SOURCES[c].url for c in ("csed", "yuemotion", "iemocap", "esd")}
    assert combined_license({"csed": "Apache-2.0", "yuemotion": "CC-BY-SA-4.0"}, urls).id == "cc-by-sa-4.0"
    one = combined_license({"csed": "Apache-2.0", "iemocap": SOURCES["iemocap"].license}, urls)
    assert one.metadata() == {"license": "other", "license_name": "iemocap-license", "license_link": urls["iemocap"]}
    two = combined_license({"iemocap": SOURCES["iemocap"].license, "esd": SOURCES["esd"].license}, urls)
    assert (two.name, two.link, two.deciding) == ("iemocap-esd-licenses", "README.md", ("iemocap", "esd"))
    # a user's corpus that declares no licence: the cards wrote `license: other` and `license_name: jawa-license`,
    # naming a licence nobody declared (the dataset card's text: "unknown (user corpus)"); now the Hub's `unknown`,
    # with no license_name, in the dataset card and the card of a model trained on it, whatever else it was
    own = combined_license(
        {"jawa": "unknown (user corpus)"}, {"jawa": "the user's own corpus (audiofolder), not published"}
    )
    assert own.metadata() == {"license": "unknown"} and own.description == "unknown (jawa: unknown (user corpus))"
    research = {"esd": SOURCES["esd"].license, "csed": "Apache-2.0", "jawa": "unknown (user corpus)"}
    assert combined_license(research, urls).metadata() == {"license": "unknown"}
    assert training_license({"train_corpora": ["csed", "not_registered"]}).metadata() == {"license": "unknown"}
    # a model card's licence comes from the corpora the model was trained on, never a fixed one
    assert training_license({"train_corpora": ["elderreact"]}).metadata()["license"] == "other"
    assert training_license({"train_corpora": ["csed"]}).id == "apache-2.0"


def test_base_model_is_the_hub_id_a_local_folder_records(tmp_path):
    assert base_model_id("facebook/wav2vec2-large-xlsr-53") == "facebook/wav2vec2-large-xlsr-53"
    snapshot = tmp_path / "hub" / "models--facebook--wav2vec2-base" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    assert base_model_id(str(snapshot)) == "facebook/wav2vec2-base"
    # a repository with no owner (bert-base-uncased): its id, not its snapshot's commit as a local folder
    no_owner = tmp_path / "hub" / "models--bert-base-uncased" / "snapshots" / "abc123"
    no_owner.mkdir(parents=True)
    assert base_model_id(str(no_owner)) == "bert-base-uncased"
    folder = tmp_path / "mine"
    folder.mkdir()
    assert base_model_id(str(folder)) is None  # records nothing: left out
    (folder / "config.json").write_text(json.dumps({"_name_or_path": "owner/base-model"}))
    assert base_model_id(str(folder)) == "owner/base-model"
    (folder / "config.json").write_text(json.dumps({"_name_or_path": str(tmp_path)}))  # a path, not an id
    (folder / "README.md").write_text("---\nbase_model: owner/from-card\n---\n# card\n")
    assert base_model_id(str(folder)) == "owner/from-card"


def test_a_dataset_from_the_hubs_cache_is_published_by_its_hub_id(tmp_path):
    """A prepared dataset downloaded with `snapshot_download` and trained on as a folder is the Hub
    dataset: scores.json, the card's `datasets` and its model-index name it by its id (which the Hub
    links to), not as `local:<revision>`; any other folder stays `local:<name>`."""
    from bimotion.training.public import public_summary

    snapshot = tmp_path / "hub" / "datasets--my-lab--bimotion" / "snapshots" / "0a1b2c"
    model_snapshot = tmp_path / "hub" / "models--my-lab--yuemotion" / "snapshots" / "0a1b2c"
    snapshot.mkdir(parents=True), model_snapshot.mkdir(parents=True)
    run = {"base_model": "local:tiny", "base_model_id": None, "selection": {}, "resumed_from": None}
    for given, published in (
        (snapshot, "my-lab/bimotion"),
        (model_snapshot, "local:0a1b2c"),  # a model repository's files: no Hub dataset
        (tmp_path / "hub", "local:hub"),
        ("my-lab/bimotion", "my-lab/bimotion"),
    ):
        summary = public_summary({**run, "datasets": {"bimotion": str(given)}}, tmp_path / "model")
        assert summary["datasets"] == {"bimotion": published}, given


@pytest.fixture(scope="module")
def model(data, tmp_path_factory) -> Path:
    """A tiny model trained two steps on TESS's elderly clips (CC BY-NC-ND 4.0)."""
    out = tmp_path_factory.mktemp("model") / "eng_eld"
    tiny = testing.save_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny")
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(data / "bimotion"), "--output_dir", str(out)]
    argv += ["--dataset_cache_dir", str(data / "cache"), "--train_configs", "eng_eld", "--test_configs", "eng_eld"]
    argv += "--max_steps 2 --eval_strategy no --save_strategy no --classifier_proj_size 16 --disable_tqdm true".split()
    argv += "--dataloader_pin_memory false".split()
    assert recipe("train").main(argv) == 0
    return out


def test_model_card_is_true_and_its_metadata_round_trips(model):
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import eval_results_to_model_index, model_index_to_eval_results

    card = ModelCard.load(model / "README.md")
    meta = card.data.to_dict()
    assert ModelCard(str(card)).data.to_dict() == meta
    from bimotion.training.model_card import render_card

    assert meta["license"] == "apache-2.0" and "## Licence" in card.text  # generated TESS clips: bimotion's
    real = render_card({**json.loads((model / "scores.json").read_text()), "synthetic": {}})  # real TESS
    assert real.data.license == "cc-by-nc-nd-4.0"  # TESS's non-commercial licence, not apache-2.0
    assert "`tess`: CC BY-NC-ND 4.0" in real.text
    assert "base_model" not in meta and "it records no Hub id" in card.text  # a random local base
    assert "datasets" not in meta and "a local prepared folder (`local:bimotion`)" in card.text
    name, results = model_index_to_eval_results(meta["model-index"])
    assert eval_results_to_model_index(name, results) == meta["model-index"]
    summary = json.loads((model / "scores.json").read_text())
    by_name = {(r.dataset_config, r.metric_name): r.metric_value for r in results}
    for group, g in summary["test"]["groups"].items():
        for corpus, c in g["corpora"].items():
            assert by_name[group, f"weighted F1 {corpus}"] == round(100 * c["weighted_f1"], 2)
            assert by_name[group, f"chance-level weighted F1 {corpus}"] == round(100 * c["chance"]["chance"], 2)
    assert {r.metric_type for r in results} == {"f1", "chance_f1"}
    # the Hub links dataset.type to the Hub dataset of that id: a local folder is named as the card's
    # text names it, no Hub id (`bimotion` was, and linked to a datasets/bimotion that does not exist)
    assert {r.dataset_type for r in results} == {"local:bimotion"}
    on_hub = render_card({**summary, "datasets": {"bimotion": "my-lab/bimotion"}})  # trained on a Hub dataset
    name, results_on_hub = model_index_to_eval_results(ModelCard(str(on_hub)).data.to_dict()["model-index"])
    assert {r.dataset_type for r in results_on_hub} == {"my-lab/bimotion"}
    assert on_hub.data.datasets == ["my-lab/bimotion"]
    assert ", ".join(summary["trained_labels"]) in card.text
    # its data is write_prepared's synthesised clips: scores.json records it, the card says so
    assert summary["synthetic"]["bimotion"]["tess"] == "bimotion.training.testing.synth_clips, seed 0"
    assert "synthetic" in meta["tags"] and "synthetic demo data: not comparable with the paper" in card.text
    # what produced it (test_provenance): the recipe's own command line, the versions, the data by content
    recorded = summary["provenance"]
    assert recorded["command"][:3] == ["train.py", "--model_name_or_path", "local:tiny"] and recorded["seed"] == 0
    assert "--train_configs" in recorded["command"] and "local:bimotion" in recorded["command"]
    assert set(recorded["data"]) == {"bimotion"} and recorded["data"]["bimotion"]["prepare.json"].startswith("sha256:")
    versions = recorded["versions"]
    assert f"Software: bimotion {versions['bimotion']}" in card.text
    assert f"torch {versions['torch']}, transformers {versions['transformers']}" in card.text


def test_the_model_cards_snippet_runs(model, tmp_path):
    import soundfile

    text = (model / "README.md").read_text(encoding="utf-8")
    snippet = text.split("## How to use", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert 'model="path/to/eng_eld"' in snippet  # no Hub id yet: the folder
    rng = np.random.default_rng(0)
    soundfile.write(tmp_path / "clip.wav", 0.1 * rng.standard_normal(16000).astype(np.float32), 16000)
    printed = run_python(snippet.replace('model="path/to/eng_eld"', f"model={str(model)!r}"), tmp_path)
    scores = eval(printed.strip().splitlines()[-1])  # the snippet prints {label: score}
    trained = json.loads((model / "config.json").read_text())["trained_labels"]
    assert list(scores) == trained and all(0 <= v <= 1 for v in scores.values())


def test_a_test_group_scored_on_some_of_its_corpora_is_named_so(model):
    """Table 5 scores ESD's English adults only: its card said `eng_adu`, the name of the four-corpus
    test set of Tables 3-4, and the grid's metrics then held two different eng_adu numbers."""
    from bimotion.training.model_card import eval_results, render_card, tested_as
    from bimotion.training.report import scores_report

    summary = json.loads((model / "scores.json").read_text())
    assert tested_as(summary) == {"eng_eld": "eng_eld"}  # every corpus of the group named: its plain name
    summary["test_configs"] = ["eng_eld[tess]"]
    assert tested_as(summary) == {"eng_eld": "eng_eld[tess]"}
    assert "| **eng_eld[tess]** | mean |" in str(render_card(summary))
    assert {r.dataset_name for r in eval_results(summary)} == {"BiMotion eng_eld[tess] (synthetic)"}  # generated data
    assert scores_report(summary["test"], names=tested_as(summary)).splitlines()[2].startswith("eng_eld[tess] ")
    # named as a grid names the same test set (its item_groups: the config's order), not in the order given
    summary["test_configs"] = ["eng_eld[tess]", "eng_eld[crema_d]"]
    assert tested_as(summary) == {"eng_eld": "eng_eld[crema_d,tess]"}
    assert "| **eng_eld[crema_d,tess]** | mean |" in str(render_card(summary))
    summary["test_configs"] = ["eng_eld[tess,elderreact]", "eng_eld[crema_d]"]
    assert tested_as(summary) == {"eng_eld": "eng_eld"}
