"""Feature-space projection (§4.3): the features are the input of the last linear layer, panels
share one UMAP embedding, the figure files are real images and their 2-D points are saved beside
them, deterministically."""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import demo_refuses, load_recipe

from bimotion.grid import data_sources, prepare_fixtures
from bimotion.mixture import parse_mixture
from bimotion.projection import label_names, project
from bimotion.projection_spec import ProjectionSpec
from bimotion.training.data import Sources, column, load_shards
from bimotion.training.inference import predict
from loaders.labels import LABELS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The fixture corpora (shared with test_grid) and a 13-label classifier on the tiny encoder."""
    import torch

    from bimotion.training.model import build_model
    from bimotion.training.testing import save_tiny_model

    data = prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")
    root = tmp_path_factory.mktemp("projection")
    torch.manual_seed(0)
    model, feature_extractor = build_model(str(save_tiny_model(root / "base")), classifier_proj_size=16)
    model.save_pretrained(root / "model")
    feature_extractor.save_pretrained(root / "model")
    return data_sources(data, root / "cache"), root / "model", root


SPEC = {
    "name": "yue",
    "title": "Cantonese adults' test clips and the training data of two mixtures",
    "model": None,  # set per test
    "test": "yue_adu",
    "labels": ["happiness", "sadness", "neutral"],
    "panels": [
        {"title": "yue", "train": "yuemotion:all"},
        {"title": "yue + zho", "train": "yuemotion:all+zho_adu[esd]"},
    ],
    "max_train_per_shard": 8,
}


def test_features_are_the_input_of_the_last_linear_layer(setup):
    import torch

    from bimotion.training.model import load_classifier

    sources, model_dir, _ = setup
    data = load_shards(Sources(**sources), list(parse_mixture("yue_adu").shards), "test")
    out = predict(model_dir, data, features=True)
    model, _ = load_classifier(str(model_dir))
    assert out["features"].shape == (len(data), model.config.classifier_proj_size)
    with torch.no_grad():
        logits = model.classifier(torch.from_numpy(out["features"])).numpy()
    np.testing.assert_allclose(logits, out["logits"], rtol=1e-4, atol=1e-5)
    assert out["id"].tolist() == column(data, "id").tolist()
    from datasets import load_dataset

    raw = load_dataset(sources["yuemotion"], "yue_adu", split="test", cache_dir=sources["cache_dir"])
    names = raw.features["emotions"].feature  # ClassLabel: the stored ids name the labels
    emotions = dict(zip(raw["id"], (names.int2str(e) for e in raw["emotions"]), strict=True))
    assert label_names(out["labels"], out["label_mask"]) == [tuple(emotions[i]) for i in out["id"]]


def _points(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_projection_writes_images_and_the_points_behind_them(setup):
    import matplotlib.image

    sources, model_dir, root = setup
    spec = dict(SPEC, model=str(model_dir))
    files = project(spec, sources, root / "figures", log=None)
    stem = root / "figures" / "yue"
    assert sorted(files) == sorted(stem.with_suffix(s) for s in (".png", ".svg", ".csv", ".json"))
    pixels = matplotlib.image.imread(stem.with_suffix(".png"))
    assert pixels.shape[0] > 200 and pixels.shape[1] > 400 and pixels.std() > 0
    svg = stem.with_suffix(".svg").read_text()
    assert "<svg" in svg and "happiness (train density)" in svg and "UMAP 1" in svg and SPEC["title"] in svg
    # generated corpora (prepare.json's synthetic): the figure says so, as the grid's tables and heat map do
    marked = f"{SPEC['title']} — synthetic demo data: not comparable with the paper"
    assert marked in svg and json.loads(stem.with_suffix(".json").read_text())["title"] == marked

    rows = _points(stem.with_suffix(".csv"))
    meta = json.loads(stem.with_suffix(".json").read_text())
    assert len(meta["points"]) == len(rows) and meta["projection"]["method"] == "umap"
    assert [p["num_train"] for p in meta["panels"]] == [16, 24]  # 8 per shard: yue_adu, yue_eld (+ ESD Mandarin)
    test_ids = column(load_shards(Sources(**sources), list(parse_mixture("yue_adu").shards), "test"), "id").tolist()
    for panel in ("yue", "yue + zho"):
        assert sorted(r["id"] for r in rows if r["panel"] == panel and r["role"] == "test") == sorted(test_ids)
    assert {r["corpus"] for r in rows if r["panel"] == "yue + zho" and r["role"] == "train"} == {"yuemotion", "esd"}
    assert all(r["labels"] for r in rows if r["corpus"] == "yuemotion")
    # one embedding for both panels: a clip has the same coordinates wherever it is drawn
    where: dict[tuple, set] = {}
    for r in rows:
        where.setdefault((r["role"], r["id"]), set()).add((r["x"], r["y"]))
    assert all(len(xy) == 1 for xy in where.values())
    assert len({(r["x"], r["y"]) for r in rows}) > 0.9 * len(where)  # the points are spread, not collapsed

    # deterministic: the same spec gives the same points
    project(spec, sources, root / "again", log=None)
    assert _points(root / "again" / "yue.csv") == rows


def test_a_panel_with_its_own_model_gets_its_own_embedding(setup):
    sources, model_dir, root = setup
    alias = root / "model-alias"  # the same checkpoint under another name: a second model for the figure
    if not alias.exists():
        alias.symlink_to(model_dir, target_is_directory=True)
    spec = dict(
        SPEC,
        name="two",
        model=str(model_dir),
        panels=[SPEC["panels"][0], {"title": "own model", "train": "yuemotion:all", "model": str(alias)}],
    )
    project(spec, sources, root / "figures", log=None)
    meta = json.loads((root / "figures" / "two.json").read_text())
    assert [p["model"] for p in meta["panels"]] == [str(model_dir), str(alias)]
    rows = _points(root / "figures" / "two.csv")
    # same weights, same clips: the two separate UMAP fits agree point for point
    first = sorted((r["role"], r["id"], r["x"], r["y"]) for r in rows if r["panel"] == "yue")
    second = sorted((r["role"], r["id"], r["x"], r["y"]) for r in rows if r["panel"] == "own model")
    assert first == second and len(first) == 16 + 10


def test_spec_errors():
    with pytest.raises(ValueError, match="unknown labels"):
        ProjectionSpec.from_dict(dict(SPEC, model="m", labels=["joy"]))
    with pytest.raises(ValueError, match="no panels"):
        ProjectionSpec.from_dict(dict(SPEC, model="m", panels=[]))
    with pytest.raises(ValueError, match="projections: 'yue': unknown key 'colour'; the known keys: batch_size, "):
        ProjectionSpec.from_dict(dict(SPEC, model="m", colour="red"))


@pytest.mark.parametrize(
    ("panel", "said"),
    [
        (
            {"title": "zho", "train": "zho_eld", "colour": "red"},
            "unknown key 'colour'; the known keys: model, title, train",
        ),
        (
            {"title": "zho", "trian": "zho_eld"},
            "unknown key 'trian' (did you mean 'train'?); the known keys: model, title, train",
        ),
        ({"title": "zho"}, "missing key train; it takes keys title, train (optional: model)"),
        ("zho_eld", "expected a mapping with keys title, train (optional: model); got 'zho_eld'"),
    ],
)
def test_a_panels_wrong_key_is_named_with_its_file_its_panel_and_the_valid_keys(tmp_path, panel, said):
    """A panel's unknown or missing key raised the dataclass constructor's TypeError ("Panel.__init__()
    got an unexpected keyword argument 'colour'"), naming neither the file, the figure nor the panel."""
    import yaml

    from bimotion.grid.checks import check_config
    from bimotion.grid.config import load_config
    from bimotion.training.parsing import ArgumentError

    figure = {"name": "fig", "title": "Fig", "model": "m", "test": "zho_eld",
              "panels": [{"title": "eld", "train": "zho_eld"}, panel]}  # fmt: skip
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({"projections": [figure]}), encoding="utf-8")
    with pytest.raises(ArgumentError) as err:  # before the grid trains
        check_config(load_config(str(path)))
    name = panel.get("title") if isinstance(panel, dict) else panel
    assert str(err.value) == f"grid config {path}: projections: 'fig': panel 2 ({name!r}): {said}"


def _figure_of_a_model_not_trained(tmp_path) -> Path:
    """A grid of Table 5's models alone, drawing Figure 3 of ``bimotion:all``, which Table 4 trains."""
    import yaml

    figure = {"name": "figure3", "title": "Fig", "model": "bimotion:all", "test": "zho_eld",
              "panels": [{"title": "zho_eld", "train": "zho_eld"}, {"title": "yue", "train": "yue_eld", "model": "zho"}]}  # fmt: skip
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({"tables": ["table5"], "tiny_model": {}, "projections": [figure]}), encoding="utf-8")
    return path


def test_a_figure_of_a_model_the_grid_does_not_train_is_refused_before_anything_trains(tmp_path, capsys):
    """A projection naming a model that is not in the grid's plan was accepted; the grid trained every
    model and only then ended with a traceback (KeyError: "no model of this grid trains on 'bimotion:all'").
    `bimotion demo --config` and recipes/grid.py now refuse it at once: exit 2, one line naming the file,
    the figure, the model, the plan's models and the fix; nothing written."""

    path = _figure_of_a_model_not_trained(tmp_path)
    said = (
        f"grid config {path}: projections: 'figure3': model 'bimotion:all' is neither a model this grid trains "
        "nor a model folder; its models: yuemotion:all+eng_adu[esd]+zho_adu[esd], yuemotion:all+eng_adu[esd], "
        "yuemotion:all+zho_adu[esd], yuemotion:all: name one of them, add table4 to tables: (which trains it), "
        "or list 'bimotion:all' under mixtures: so that the grid trains it too, or delete the figure"
    )
    demo_refuses(path, said, tmp_path, capsys)
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--output_dir", str(tmp_path / "grid")])
    assert exit_.value.code == 2 and capsys.readouterr().err.splitlines()[-1].endswith(f": error: {said}")
    assert not (tmp_path / "grid").exists()


def test_a_panels_own_model_is_a_model_of_the_grid_or_a_folder(tmp_path):
    """A panel's own model is checked as the figure's is, naming the panel; a model folder passes."""
    import yaml

    from bimotion.grid.checks import check_config
    from bimotion.grid.config import load_config
    from bimotion.training.parsing import ArgumentError

    config = yaml.safe_load(_figure_of_a_model_not_trained(tmp_path).read_text(encoding="utf-8"))
    config["projections"][0]["model"] = str(tmp_path)  # a folder: drawn from as it is
    path = tmp_path / "panel.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ArgumentError) as err:
        check_config(load_config(str(path)))
    assert str(err.value).startswith(
        f"grid config {path}: projections: 'figure3': panel 2 ('yue'): model 'zho' is neither a model this grid "
    ), err.value
    config["tables"] = ["table4", "table5"]  # which trains zho
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    check_config(load_config(str(path)))


def test_a_figure_whose_model_the_tables_flag_dropped_is_left_out_with_a_note(tmp_path, capsys):
    """recipes/grid.py --tables table5 on a config of Tables 4 and 5 drawing Figure 3 (bimotion:all, which
    Table 4 trains): since figures were checked before training, the documented `--tables table3 table4` on the
    paper's config was refused (Figure 2's model is Table 5's). The figure is now left out, said in one note,
    and the run goes on to its next check (here: the datasets it was not given)."""
    import yaml

    config = yaml.safe_load(_figure_of_a_model_not_trained(tmp_path).read_text(encoding="utf-8"))
    config["tables"] = ["table4", "table5"]
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--tables", "table5", "--output_dir", str(tmp_path / "grid")])
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "note: --tables table5 trains no model of figure3: left out (add the table that trains it to --tables to "
        "draw it)"
    ), err
    assert exit_.value.code == 2 and err[-1].endswith("error: --yuemotion is required: this grid's yuemotion:all "
                                                      "reads the prepared yuemotion dataset"), err  # fmt: skip
    assert not (tmp_path / "grid").exists()


@pytest.mark.parametrize("model", ["bimotion:alll", "absent-folder"])
@pytest.mark.parametrize("tables", [["table4", "table5"], ["table5"]])
def test_a_figure_whose_model_no_table_of_the_file_trains_is_refused_under_tables_too(tmp_path, capsys, model, tables):
    """Under --tables, every figure whose model the plan did not train was left out with a note: a mistyped model
    (bimotion:alll) or a model folder not there was a note telling the user to add a table, and the figure was
    gone, even with --tables naming every table. Now only a model a table --tables dropped trains is left out; any
    other is the error it is without the flag, naming the config file; the note says "train" for several tables."""
    import yaml

    config = yaml.safe_load(_figure_of_a_model_not_trained(tmp_path).read_text(encoding="utf-8"))
    named = model if model == "bimotion:alll" else str(tmp_path / model)
    config["tables"], config["projections"][0]["model"] = ["table4", "table5"], named
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--tables", *tables, "--output_dir", str(tmp_path / "grid")])
    err = capsys.readouterr().err.splitlines()
    assert not [line for line in err if line.startswith("note:")], err
    named = config["projections"][0]["model"]
    assert (
        exit_.value.code == 2 and f": error: grid config {path}: projections: 'figure3': model {named!r} is " in err[-1]
    )
    config["tables"], config["projections"][0]["model"] = ["table3", "table4", "table5"], "bimotion:all"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(SystemExit):
        load_recipe("grid").main(
            ["--config", str(path), "--tables", "table3", "table5", "--output_dir", str(tmp_path / "grid")]
        )
    assert capsys.readouterr().err.splitlines()[0].startswith("note: --tables table3 table5 train no model of figure3:")


@pytest.mark.parametrize("tables", [["table5"], ["table4", "table5"], None])
def test_the_grid_recipe_makes_its_plan_once_for_its_checks(tmp_path, capsys, monkeypatch, tables):
    """recipes/grid.py made the config's plan three times with --tables before anything trained (for the figures
    it leaves out, for the figures' models, for the data), twice without: it makes it once, and the checks read it."""
    import yaml

    import bimotion.grid.checks
    import bimotion.grid.plan

    made = []

    def counted(config, make=bimotion.grid.plan.make_plan):
        made.append(config.tables)
        return make(config)

    monkeypatch.setattr(bimotion.grid.plan, "make_plan", counted)
    monkeypatch.setattr(bimotion.grid.checks, "make_plan", counted)
    config = yaml.safe_load(_figure_of_a_model_not_trained(tmp_path).read_text(encoding="utf-8"))
    config["tables"] = ["table4", "table5"]
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    flag = ["--tables", *tables] if tables else []
    with pytest.raises(SystemExit) as exit_:  # at the data it was not given: after every check that reads the plan
        load_recipe("grid").main(["--config", str(path), *flag, "--output_dir", str(tmp_path / "grid")])
    assert exit_.value.code == 2 and "is required: this grid's" in capsys.readouterr().err.splitlines()[-1]
    assert made == [tables or config["tables"]]


def test_a_mixture_or_extra_test_that_does_not_resolve_is_refused_with_one_line(tmp_path, capsys):
    """mixtures: [zho_eldd] was parsed only when the grid made its plan: recipes/grid.py ended with a
    KeyError traceback (exit 1), the demo only after generating and preparing the data. Both now refuse it
    at once: exit 2, one line naming the file, the key, the spec, the valid configs and the fix."""

    import yaml

    path = tmp_path / "mixtures.yaml"
    path.write_text(
        yaml.safe_dump({"tables": ["table5"], "tiny_model": {}, "mixtures": ["zho_eldd"]}), encoding="utf-8"
    )
    said = (
        f"grid config {path}: mixtures: item 1: 'zho_eldd': config 'zho_eldd' is unknown (did you mean 'zho_eld'?); choose "
        "one of: adu, bimotion:all, crema_d, csed, eld, elderreact, eng, eng_adu, eng_eld, esd, iemocap, tess, "
        "yue_adu, yue_eld, yuemotion:all, zho, zho_adu, zho_eld; correct it, or delete it"
    )
    demo_refuses(path, said, tmp_path, capsys)
    path.write_text(yaml.safe_dump({"tables": ["table5"], "tiny_model": {}, "extra_tests": ["zho_eld[tes]"]}))
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--output_dir", str(tmp_path / "grid")])
    assert exit_.value.code == 2 and capsys.readouterr().err.splitlines()[-1].endswith(
        f": error: grid config {path}: extra_tests: item 1: 'zho_eld[tes]': zho_eld has no corpus tes; its corpora: csed; "
        "correct it, or delete it"
    )
    assert not (tmp_path / "grid").exists()


def test_a_figures_number_out_of_range_is_refused_before_anything_trains(tmp_path, capsys):
    """A figure's n_neighbors: '15' (a string) was read only by UMAP, once every model had trained: a
    TypeError traceback. `bimotion demo --config` now refuses it at once (exit 2, one line naming the file,
    the figure, the key and the value); min_dist: -1 alike, and max_test: null (every clip) passes."""
    import yaml

    from bimotion.cli import main as bimotion_main
    from bimotion.grid.checks import check_config
    from bimotion.grid.config import load_config

    config = yaml.safe_load(_figure_of_a_model_not_trained(tmp_path).read_text(encoding="utf-8"))
    config["tables"] = ["table4", "table5"]
    config["projections"][0]["n_neighbors"] = "15"
    path = tmp_path / "numbers.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    capsys.readouterr()
    assert bimotion_main(["demo", "--config", str(path), "--output", str(tmp_path / "demo")]) == 2
    printed = capsys.readouterr()
    said = f"--config {path}: projections: 'figure3': n_neighbors must be a whole number ≥ 2, not '15'"
    assert printed.err.splitlines() == [f"error: {said}: correct it, or delete the line"], printed
    assert not (tmp_path / "demo").exists()
    config["projections"][0].update(n_neighbors=15, min_dist=-1, max_test=None)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ValueError, match="'figure3': min_dist must be a number from 0 to 1, not -1: correct it"):
        check_config(load_config(str(path)))
    config["projections"][0]["min_dist"] = 1.5  # above UMAP's spread (1): refused by UMAP after every model trained
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ValueError, match="'figure3': min_dist must be a number from 0 to 1, not 1.5: correct it"):
        check_config(load_config(str(path)))
    config["projections"][0]["min_dist"] = 0
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    check_config(load_config(str(path)))


def test_a_figures_test_or_a_panels_train_that_does_not_resolve_is_refused_before_anything_trains(tmp_path, capsys):
    """A figure's test: (zho_eldd) or a panel's train: (zho_eld[tes]) was parsed only when the figure was
    drawn, once the grid had trained every model: a KeyError traceback. `bimotion demo --config` and
    recipes/grid.py now refuse it at once: exit 2, one line naming the file, the figure (and panel), the
    spec, the valid configs or corpora and the fix; nothing written."""

    import yaml

    config = yaml.safe_load(_figure_of_a_model_not_trained(tmp_path).read_text(encoding="utf-8"))
    config["tables"] = ["table4", "table5"]  # trains both figure models: only the specs are wrong
    config["projections"][0]["test"] = "zho_eldd"
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    said = (
        f"grid config {path}: projections: 'figure3': test: 'zho_eldd': config 'zho_eldd' is unknown (did you mean "
        "'zho_eld'?); choose one of: adu, bimotion:all, crema_d, csed, eld, elderreact, eng, eng_adu, eng_eld, esd, "
        "iemocap, tess, yue_adu, yue_eld, yuemotion:all, zho, zho_adu, zho_eld; correct it, or delete the figure"
    )
    demo_refuses(path, said, tmp_path, capsys)

    config["projections"][0]["test"] = "zho_eld"
    config["projections"][0]["panels"][1]["train"] = "zho_eld[tes]"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    said = (
        f"grid config {path}: projections: 'figure3': panel 2 ('yue'): train: 'zho_eld[tes]': zho_eld has no "
        "corpus tes; its corpora: csed; correct it, or delete the panel"
    )
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--output_dir", str(tmp_path / "grid")])
    assert exit_.value.code == 2 and capsys.readouterr().err.splitlines()[-1].endswith(f": error: {said}")
    assert not (tmp_path / "grid").exists()


@pytest.mark.parametrize(
    ("test", "why"),
    [
        ("bimotoin:all", "config 'bimotoin:all': no benchmark 'bimotoin' (did you mean 'bimotion:all'?); choose one "
         "of: bimotion, yuemotion"),
        ("zho_eld[cesd]", "zho_eld has no corpus cesd (did you mean 'csed'?); its corpora: csed"),
        ("carehome_eld", "config 'carehome_eld' is unknown (a group of your own corpus is known once its prepared "
         "folder is given: --bimotion DIR or --yuemotion DIR); choose one of: adu, bimotion:all, crema_d, csed, eld, "
         "elderreact, eng, eng_adu, eng_eld, esd, iemocap, tess, yue_adu, yue_eld, yuemotion:all, zho, zho_adu, "
         "zho_eld"),
    ],
)  # fmt: skip
def test_a_mistyped_figure_test_says_what_was_meant_in_the_configs_terms(tmp_path, capsys, test, why):
    """A figure's test: with a benchmark or a corpus mistyped (bimotoin:all, zho_eld[cesd]) got no "did you mean",
    and one naming no group the registry knows was told to call register(benchmark_of(read_info(FOLDER))), a Python
    call, in a YAML file's error.  The spec meant is named as the config writes it, and the fix in the flags of the
    command that runs the config."""
    import yaml

    config = yaml.safe_load(_figure_of_a_model_not_trained(tmp_path).read_text(encoding="utf-8"))
    config["tables"] = ["table4", "table5"]  # trains both figure models: only the test: spec is wrong
    config["projections"][0]["test"] = test
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--output_dir", str(tmp_path / "grid")])
    said = f"grid config {path}: projections: 'figure3': test: {test!r}: {why}; correct it, or delete the figure"
    assert exit_.value.code == 2 and capsys.readouterr().err.splitlines()[-1].endswith(f": error: {said}")
    assert not (tmp_path / "grid").exists()


def test_recipe_from_flags(setup, tmp_path, monkeypatch, capsys):
    """The figures' folder holds the figures and their points alone: a 19 MB copy of the prepared
    data (``datasets-cache/``) was left in it, to be published with the figures.  Its stdout is the
    files' paths, one a line (it held them twice: the '[project] wrote a, b, c, d' line, then each)."""
    import datasets

    from bimotion.data.layout import cache_dir

    sources, model_dir, root = setup
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))  # the default root
    recipe = load_recipe("project")
    out = root / "cli"
    argv = [
        "--model",
        str(model_dir),
        "--yuemotion",
        sources["yuemotion"],
        "--bimotion",
        sources["bimotion"],
        "--test",
        "yue_eld",
        "--panels",
        "yue=yuemotion:all",
        "--max_train_per_shard",
        "6",
        "--name",
        "cli",
        "--output_dir",
        str(out),
    ]
    capsys.readouterr()
    assert recipe.main(argv) == 0
    said = capsys.readouterr()
    assert said.out.splitlines() == [str(out / f"cli.{kind}") for kind in ("png", "svg", "csv", "json")], said.out
    assert f"[project] wrote {out / 'cli.png'}" in said.err
    rows = _points(out / "cli.csv")
    assert {r["role"] for r in rows} == {"train", "test"} and len([r for r in rows if r["role"] == "train"]) == 12
    assert (out / "cli.png").stat().st_size > 10_000
    assert sorted(p.name for p in out.iterdir()) == ["cli.csv", "cli.json", "cli.png", "cli.svg"]
    assert any(cache_dir(sources["yuemotion"]).iterdir())  # the datasets cache, as every recipe's
    # a real label that no drawn clip carries: an error naming what they carry, not an all-grey figure
    carried = sorted({label for r in rows for label in r["labels"].split(";") if label})
    absent = next(label for label in ("fear", "disgust", "positive", "negative") if label not in carried)
    assert recipe.main([*argv[:-4], "--name", "none", "--labels", absent, "--output_dir", str(out)]) == 2
    assert not (out / "none.png").exists()


def test_four_panels_make_a_2x2_grid_whose_legend_names_only_what_was_drawn(monkeypatch):
    """Synthetic points: happiness and sadness dense everywhere, neutral 2 training clips in one panel
    (points, not a density) and none elsewhere, anger training clips (another label space: grey) in
    the last panel only; test clips of happiness and neutral only.  Each density is fitted once (the
    frame's extent and the contours each fitted every one)."""
    from bimotion import projection_plot
    from bimotion.projection_plot import figure, panel_grid

    fitted, fit = [], projection_plot._kde
    monkeypatch.setattr(projection_plot, "_kde", lambda points: fitted.append(len(points)) or fit(points))

    rng = np.random.default_rng(0)

    def clips(counts: dict[str, int]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        xy = [rng.normal(3 * k, 0.7, size=(n, 2)) for k, n in enumerate(counts.values())]
        return np.vstack(xy), [(lb,) for lb, n in counts.items() for _ in range(n)]

    test_xy, test_labels = clips({"happiness": 6, "neutral": 4})
    trains = [{"happiness": 20, "sadness": 20, "neutral": 2}, {"happiness": 20, "sadness": 20}]
    trains += [{"happiness": 20, "sadness": 20}, {"happiness": 20, "sadness": 20, "anger": 20}]
    panels = []
    for k, counts in enumerate(trains):
        xy, names = clips(counts)
        panels.append({"title": f"panel {k}", "train_xy": xy, "train_labels": names, "test_xy": test_xy,
                       "test_labels": test_labels, "model": "bimotion:all"})  # fmt: skip
    spec = ProjectionSpec.from_dict(dict(SPEC, model="bimotion:all", test="zho_eld"))
    fig = figure(spec, panels, ["happiness", "sadness", "neutral"])
    assert len(fitted) == 4 * 4  # per panel: happiness, sadness, neutral and the other labels, once each
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 4 and {ax.get_subplotspec().get_geometry()[:2] for ax in shown} == {(2, 2)}
    assert [ax.get_title().split("\n")[0] for ax in shown] == ["panel 0", "panel 1", "panel 2", "panel 3"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "happiness (train density)",
        "sadness (train density)",
        "other labels (train density)",
        "neutral (train clips, too few for a density)",
        "happiness (test clip)",
        "neutral (test clip)",
    ]
    subtitle = next(t for t in fig.texts if t.get_gid() == "subtitle")  # under the title, at the text's size
    assert "Mandarin elderly (zho_eld)" in subtitle.get_text()
    assert [panel_grid(n) for n in (1, 2, 3, 4, 6)] == [(1, 1), (1, 2), (2, 2), (2, 2), (3, 2)]
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_a_grid_figure_no_drawn_clip_can_show_is_skipped_with_a_line_not_a_traceback(tmp_path, monkeypatch):
    """A config's projection asking for labels the data lacks (a partial preparation): the grid logs
    that it skipped the figure and goes on to its summary; project.py says it as an error."""
    import types

    import bimotion.projection as projection

    def lacking(*args, **kwargs):
        raise projection.NoLabelDrawn(
            "projection 'figure3': no clip of its test set or training panels carries positive"
        )

    monkeypatch.setattr(projection, "project", lacking)
    logged = []
    grid = types.SimpleNamespace(
        config=types.SimpleNamespace(seeds=[0]), sources={}, generated={}, out=tmp_path, log=logged.append
    )
    assert projection.project_from_grid(grid, {"name": "figure3"}) == []
    assert logged == [
        "[project] skipped: projection 'figure3': no clip of its test set or training panels carries positive"
    ]


def test_a_missing_model_or_an_unknown_config_fails_before_any_folder_is_made(setup, tmp_path):
    """A missing model folder was a raw OSError about repo ids after the data loaded, and the
    output folder was made first."""
    sources, model_dir, _ = setup
    with pytest.raises(ValueError, match="'/no/such/model': no such model folder, and not a Hub id"):
        project(dict(SPEC, model="/no/such/model"), sources, tmp_path / "figures", log=None)
    with pytest.raises(KeyError, match="nope"):
        project(dict(SPEC, model=str(model_dir), test="nope"), sources, tmp_path / "figures", log=None)
    assert not (tmp_path / "figures").exists()


def test_a_labels_colour_is_fixed_and_its_density_is_not_cut_at_the_frame():
    """Neutral was orange in one figure and green in another (colours followed --labels' order), and
    the densities' outer contours were cut by the panels' frames."""
    import matplotlib.colors

    from bimotion.projection_plot import figure

    rng = np.random.default_rng(0)
    spec = ProjectionSpec.from_dict(dict(SPEC, model="m"))
    # neutral in two far clusters: one wide kernel, whose contours the frame used to cut
    xy = np.vstack([rng.normal(0, 1, (20, 2)), rng.normal(10, 1, (20, 2)), rng.normal((10, 0), 1, (20, 2))])
    names = [("neutral",)] * 40 + [("anger",)] * 20
    panel = {"title": "p", "train": "yue_adu", "model": "m", "train_xy": xy, "train_labels": names,
             "test_xy": xy[::4], "test_labels": names[::4]}  # fmt: skip

    def legend_colours(labels):
        fig = figure(spec, [panel], labels)
        handles = fig.legends[0].legend_handles
        colours = {
            h.get_label(): matplotlib.colors.to_hex(h.get_facecolor()) for h in handles if "density" in h.get_label()
        }
        ax = fig.axes[0]
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        for collection in ax.collections:
            for path in getattr(collection, "get_paths", list)():
                if len(path.vertices):
                    v = path.vertices
                    assert v[:, 0].min() > x0 and v[:, 0].max() < x1 and v[:, 1].min() > y0 and v[:, 1].max() < y1
        return colours

    assert legend_colours(["neutral", "anger"]) == legend_colours(["anger", "neutral"])


def test_figures_of_a_grid_config_are_drawn_with_its_threads(tmp_path, monkeypatch):
    """project.py --config drew demo.yaml's figures with torch's default threads while the grid had
    drawn them with its num_threads: 1, and the features' last digits, so the UMAP layouts, differed."""
    import torch

    import bimotion.projection as projection

    module = load_recipe("project")
    seen = []
    monkeypatch.setattr(module, "check", lambda args: ["figure2"])  # the checked specs, here a stand-in
    monkeypatch.setattr(projection, "project", lambda *args, **kwargs: seen.append(torch.get_num_threads()) or [])
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert module.main(["--config", "demo", "--grid_dir", str(tmp_path), "--output_dir", str(tmp_path)]) == 0
        assert seen == [1] and torch.get_num_threads() == 2  # demo.yaml's num_threads, then as it was
    finally:
        torch.set_num_threads(before)


# Machado, Oliveira & Fernandes (2009), severity 1: linear-RGB matrices simulating colour-blind vision.
VISIONS = {
    "normal": np.eye(3),
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
}


def _lab(colour: str, vision: str) -> np.ndarray:
    """CIELAB (D65) of ``colour`` as seen with ``vision``."""
    import matplotlib.colors

    srgb = np.array(matplotlib.colors.to_rgb(colour))
    linear = np.clip(np.array(VISIONS[vision]) @ np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4), 0, 1)  # fmt: skip
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz / [0.95047, 1.0, 1.08883]]
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _apart(a: str, b: str, visions=tuple(VISIONS)) -> float:
    """The smallest CIE76 colour difference of ``a`` and ``b`` over ``visions``."""
    return min(float(np.linalg.norm(_lab(a, v) - _lab(b, v))) for v in visions)


def test_labels_have_the_papers_colours_and_the_others_stay_apart_for_colour_blind_readers():
    """Figures 2 and 3 of the paper: happiness blue, sadness red, neutral olive; positive blue,
    negative red.  Every other label has its own colour, apart from those and from the grey of the
    other labels' density, also under simulated colour-blind vision; the figure draws them."""
    import matplotlib.colors
    import matplotlib.pyplot as plt

    from bimotion.projection_plot import LABEL_COLORS, OTHERS, SHARED_COLOUR_ALTERNATIVES, figure, label_colors

    hexed = {label: matplotlib.colors.to_hex(c) for label, c in LABEL_COLORS.items()}
    blue, red, olive = (matplotlib.colors.to_hex(f"tab:{name}") for name in ("blue", "red", "olive"))
    paper = {"happiness": blue, "positive": blue, "sadness": red, "negative": red, "neutral": olive}
    assert {label: hexed[label] for label in paper} == paper
    others = {label: hexed[label] for label in LABELS if label not in paper}
    assert len(set(others.values())) == len(others)
    for label, colour in others.items():
        for reserved in [blue, red, olive, hexed[OTHERS]]:
            assert _apart(colour, reserved) >= 15, (label, colour, reserved)
    for (a, ca), (b, cb) in itertools.combinations(others.items(), 2):
        assert _apart(ca, cb, ["normal"]) >= 25 and _apart(ca, cb) >= 7, (a, b)
    # a figure drawing every label: positive and negative take their alternates (teal and orange were
    # 4.6 from the grey and 11.4 from neutral's olive under colour-blind vision), held to the same bars
    every = label_colors([*LABELS, OTHERS])
    assert len(set(every.values())) == len(every)
    for label in ("positive", "negative"):
        assert every[label] == SHARED_COLOUR_ALTERNATIVES[label]
        for other, colour in every.items():
            if other != label:
                blind, normal = _apart(every[label], colour), _apart(every[label], colour, ["normal"])
                if colour in (blue, red, olive, hexed[OTHERS]):
                    assert blind >= 15, (label, other, blind)
                else:
                    assert blind >= 7 and normal >= 25, (label, other, blind, normal)

    rng = np.random.default_rng(0)
    drawn = ["happiness", "sadness", "neutral", "anger"]
    xy = np.vstack([rng.normal(4 * k, 1, (12, 2)) for k in range(len(drawn))])
    names = [(label,) for label in drawn for _ in range(12)]
    panel = {"title": "p", "train": "yue_adu", "model": "m", "train_xy": xy, "train_labels": names,
             "test_xy": xy[::3], "test_labels": names[::3]}  # fmt: skip
    fig = figure(ProjectionSpec.from_dict(dict(SPEC, model="m")), [panel], drawn)
    handles = fig.legends[0].legend_handles
    density = {h.get_label().split(" (")[0]: matplotlib.colors.to_hex(h.get_facecolor()) for h in handles
               if "density" in h.get_label()}  # fmt: skip
    points = {h.get_label().split(" (")[0]: matplotlib.colors.to_hex(h.get_markerfacecolor()) for h in handles
              if "test clip" in h.get_label()}  # fmt: skip
    assert density == points == {label: hexed[label] for label in drawn}
    plt.close(fig)


def test_a_panel_title_says_which_groups_its_training_clips_come_from():
    """A panel titled for Cantonese adults drew YueMotion's adults and elderly: the title's next line
    names the groups of the clips it draws (else of its spec), each language once."""
    import matplotlib.pyplot as plt

    from bimotion.projection_plot import figure, panel_title

    xy = np.random.default_rng(0).normal(0, 1, (12, 2))
    meta = {"group": np.array(["yue_adu"] * 4 + ["yue_eld"] * 4 + ["zho_adu"] * 4)}
    panel = {"title": "Cantonese adults", "train": "yuemotion:all+zho_adu[esd]", "model": "m", "train_xy": xy,
             "train_labels": [("neutral",)] * 12, "test_xy": xy[:3], "test_labels": [("neutral",)] * 3}  # fmt: skip
    lines = panel_title(panel).split("\n")
    assert lines == ["Cantonese adults", "shading: Cantonese adults + elderly,", "Mandarin adults (12 clips)",
                     "points: 3 test clips"]  # fmt: skip
    only_adults = {**panel, "train_meta": {"group": meta["group"][:4]}}  # the clips drawn, not the spec
    assert panel_title(only_adults).split("\n")[1] == "shading: Cantonese adults (12 clips)"
    spec = ProjectionSpec.from_dict(dict(SPEC, model="m"))
    fig = figure(spec, [{**panel, "train_meta": meta}, {**panel, "train": "bimotion:all"}], ["neutral"])
    assert [ax.get_title().split("\n")[1:] for ax in fig.axes[:2]] == [  # the test clips: in the subtitle
        ["shading: Cantonese adults + elderly,", "Mandarin adults (12 clips)"],
        ["shading: English elderly + adults,", "Mandarin elderly + adults (12 clips)"],
    ]
    plt.close(fig)


def test_a_figure_of_one_model_says_its_panels_differ_only_in_their_shading():
    """Figures 2 and 3 draw one model's features in every panel: the test clips lie in the same
    places in each, and only the training clips' shading changes.  Panels titled "train: Cantonese
    adults + elderly, 120 training clips" read as four models; the figure now says it in its subtitle
    and its panels' titles name their shading.  A panel with a model of its own: the subtitle names both."""
    import matplotlib.pyplot as plt

    from bimotion.projection_plot import figure

    xy = np.random.default_rng(0).normal(0, 1, (12, 2))
    panel = {"title": "yue (YueMotion)", "train": "yuemotion:all", "model": "yuemotion:all+zho_adu[esd]",
             "train_xy": xy, "train_labels": [("neutral",)] * 12, "test_xy": xy[:5], "test_labels": [("neutral",)] * 5}  # fmt: skip
    spec = ProjectionSpec.from_dict(dict(SPEC, model="yuemotion:all+zho_adu[esd]", test="yue_adu"))
    fig = figure(spec, [panel, {**panel, "title": "yue + zho", "train": "yuemotion:all+zho_adu[esd]"}], ["neutral"])
    subtitle = " ".join(next(t for t in fig.texts if t.get_gid() == "subtitle").get_text().split())
    assert "one model's features in every panel" in subtitle
    assert "the model trained on all of YueMotion + ESD Mandarin adults" in subtitle
    assert "points: the same 5 test clips of Cantonese adults (yue_adu), in the same places in every panel" in subtitle
    assert "shading: each panel's training clips" in subtitle
    assert [ax.get_title().split("\n")[1] for ax in fig.axes[:2]] == [
        "shading: Cantonese adults + elderly (12 clips)",
        "shading: Cantonese adults + elderly,",
    ]
    plt.close(fig)
    own = {**panel, "model": "bimotion:all", "test_xy": xy[:4], "test_labels": [("neutral",)] * 4}
    fig = figure(spec, [panel, own], ["neutral"])
    subtitle = " ".join(next(t for t in fig.texts if t.get_gid() == "subtitle").get_text().split())
    assert "one model's" not in subtitle and "in the same places in the panels of one model" in subtitle
    assert [ax.get_title().split("\n")[-1] for ax in fig.axes[:2]] == ["points: 5 test clips", "points: 4 test clips"]
    plt.close(fig)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_inference_bars_show_on_a_terminal_not_in_a_log_under_quiet_output(setup, monkeypatch):
    """The demo's grid.log held an inference bar per model and shard, a line per refresh with cursor
    codes: under quiet output (an entry point's default) the bar shows on a terminal only; with
    --verbose, and for a library call, wherever it is asked for."""
    from bimotion import console

    sources, model_dir, _ = setup
    data = load_shards(Sources(**sources), list(parse_mixture("yue_adu").shards), "test").select(range(4))

    def printed(stream, **kwargs) -> str:
        monkeypatch.setattr(sys, "stderr", stream)
        predict(model_dir, data, batch_size=2, **kwargs)
        return stream.getvalue()

    try:
        console.quiet()
        assert printed(io.StringIO()) == ""
        assert "inference" in printed(_Terminal())
        assert printed(_Terminal(), progress=False) == ""  # asked for none: none anywhere
        console.quiet(verbose=True)
        assert "inference" in printed(io.StringIO())
    finally:
        console.quiet(verbose=True)  # the libraries' defaults, as before the test


def test_a_figure_drawing_happiness_and_positive_gives_them_two_colours():
    """positive and negative share the paper's blue and red with happiness and sadness: a figure of
    CSED beside another corpus had two legend entries of one colour."""
    from bimotion.projection_plot import label_color, label_colors

    both = label_colors(["sadness", "happiness", "neutral", "positive", "negative"])
    assert len(set(both.values())) == 5 and both["happiness"] == label_color("happiness")
    assert label_colors(["neutral", "positive", "negative"]) == {
        k: label_color(k) for k in ("neutral", "positive", "negative")
    }


def test_labels_stay_apart_in_a_greyscale_print():
    """The paper's happiness blue and sadness red print as one grey (luminance 0.18 and 0.16), and every
    test clip was a circle, every density's outline solid: in a greyscale print nothing told the labels
    apart.  Each label now also has its own marker (test clips) and line (its density's outline), in
    the panels and in the legend."""
    import matplotlib.pyplot as plt
    from matplotlib.contour import ContourSet
    from matplotlib.markers import MarkerStyle

    from bimotion.figures import contrast
    from bimotion.projection_plot import LABEL_COLORS, _legend_handles, figure, label_colors, label_line, label_marker

    assert contrast(LABEL_COLORS["happiness"], LABEL_COLORS["sadness"]) < 1.2  # one grey: colour alone cannot tell
    rng = np.random.default_rng(0)
    labels = ["happiness", "sadness", "neutral"]
    names = [(lb,) for lb in labels for _ in range(20)]
    xy = np.vstack([rng.normal(4 * k, 0.6, (20, 2)) for k in range(3)])
    panel = {"title": "p", "train_xy": xy, "train_labels": names, "test_xy": xy[::4], "test_labels": names[::4],
             "model": "bimotion:all"}  # fmt: skip
    fig = figure(ProjectionSpec.from_dict(dict(SPEC, model="bimotion:all")), [panel], labels)
    entries = dict(zip([t.get_text() for t in fig.legends[0].get_texts()], fig.legends[0].legend_handles, strict=True))
    markers = [entries[f"{lb} (test clip)"].get_marker() for lb in labels]
    made = {
        h.get_label(): h for h in _legend_handles(label_colors(labels), density=set(labels), scatter=set(), test=set())
    }
    lines = [made[f"{lb} (train density)"].get_linestyle() for lb in labels]  # the legend draws copies of these
    assert len(set(markers)) == 3 and len({str(line) for line in lines}) == 3, (markers, lines)
    assert markers == [label_marker(lb) for lb in labels]
    ax = fig.axes[0]
    drawn = [c for c in ax.collections if len(c.get_offsets()) and c.get_edgecolor().size]  # the test clips
    shapes = {tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in drawn}
    styles = [MarkerStyle(label_marker(lb)) for lb in labels]
    expected = {tuple(map(tuple, m.get_path().transformed(m.get_transform()).vertices.round(3))) for m in styles}
    assert expected <= shapes
    outlines = [c.get_linestyle()[0] for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    assert len(outlines) == 3 and len({str(style) for style in outlines}) == 3, outlines
    assert label_line("happiness") == "solid" and label_line("sadness") != label_line("happiness")
    plt.close(fig)


def test_a_group_prepared_from_some_of_its_corpora_is_drawn_from_those_with_a_note(setup, tmp_path, capsys):
    """CREMA-D alone prepared (eng_eld without TESS and ElderReact, as train.py and infer.py read it):
    project.py stopped with a traceback, 'ValueError: bimotion eng_eld has no test rows for ['tess']'.
    It now draws the clips of the corpora that were prepared, and says which it left out; a group
    with no rows at all is an error naming it before any model loads."""
    from bimotion.prepare import prepare
    from loaders.testing import make_corpus

    _, model_dir, _ = setup
    data = tmp_path / "crema_d-only"
    prepare({"crema_d": make_corpus("crema_d", tmp_path / "raw")}, data, benchmark="bimotion", progress=False)
    recipe = load_recipe("project")
    argv = ["--model", str(model_dir), "--bimotion", str(data), "--test", "eng_eld", "--panels", "eng_adu"]
    argv += ["--max_train_per_shard", "6", "--output_dir", str(tmp_path / "figures")]
    assert recipe.main(argv) == 0
    said = capsys.readouterr().err
    assert "note: --test eng_eld: eng_eld is read from crema_d only" in said and "lacks elderreact, tess" in said
    assert "note: --panels eng_adu: eng_adu is read from crema_d only" in said
    rows = _points(tmp_path / "figures" / "projection.csv")
    assert {(r["role"], r["corpus"], r["group"]) for r in rows} == {
        ("test", "crema_d", "eng_eld"),
        ("train", "crema_d", "eng_adu"),
    }
    with pytest.raises(SystemExit) as exit_:
        recipe.main([*argv[:5], "zho_eld", *argv[6:]])
    assert exit_.value.code == 2
    said = capsys.readouterr().err
    assert "--test: " in said and "no rows of zho_eld" in said and "csed" in said, said


def test_a_group_left_short_is_noted_once_per_run_however_many_figures_draw_it(setup, tmp_path, capsys, monkeypatch):
    """CREMA-D alone prepared, two figures of a config each drawing eng_eld and eng_adu, in their test
    set and in two panels: 'eng_eld is read from crema_d only' was said once per figure and per config
    naming it (6 lines for 2 groups); it is now said once per group, naming every figure and flag."""
    import bimotion.projection as projection
    from bimotion.prepare import prepare
    from loaders.testing import make_corpus

    _, model_dir, _ = setup
    data = tmp_path / "crema_d-only"
    prepare({"crema_d": make_corpus("crema_d", tmp_path / "raw")}, data, benchmark="bimotion", progress=False)
    figure = {"model": str(model_dir), "test": "eng_eld", "panels": [
        {"title": "adults", "train": "eng_adu"}, {"title": "both", "train": "eng_adu+eng_eld"}]}  # fmt: skip
    config = tmp_path / "figures.yaml"
    text = (REPO / "bimotion" / "configs" / "demo.yaml").read_text().split("\nprojections:")[0]
    projections = [dict(figure, name=name, title=name) for name in ("first", "second")]
    config.write_text(text + "\nprojections: " + json.dumps(projections) + "\n")
    monkeypatch.setattr(projection, "project", lambda *args, **kwargs: [])  # the notes are the checks'
    argv = ["--config", str(config), "--bimotion", str(data), "--output_dir", str(tmp_path / "figures")]
    capsys.readouterr()
    assert load_recipe("project").main(argv) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len([n for n in notes if "eng_eld is read from crema_d only" in n]) == 1, notes
    assert len([n for n in notes if "eng_adu is read from crema_d only" in n]) == 1, notes
    (eld,) = [n for n in notes if "eng_eld is read from crema_d only" in n]
    assert eld.startswith(f"note: --config {config}: projection 'first': test eng_eld (and ") and "'second'" in eld


@pytest.mark.parametrize("inside", ["figures", "."])
def test_figures_are_not_written_into_a_model_folder_that_push_would_upload_them_with(setup, capsys, inside):
    """--output_dir inside the model's folder put the figures and their points (clip ids of every drawn
    corpus) there, and `bimotion push` of the model uploaded them with it; it is now an error naming the
    flag, the model folder and a folder outside it, before anything is read or written."""
    sources, model_dir, _ = setup
    out = model_dir / inside
    before = sorted(p.name for p in model_dir.iterdir())
    argv = ["--model", str(model_dir), "--yuemotion", sources["yuemotion"], "--test", "yue_eld", "--panels"]
    argv += ["yuemotion:all", "--output_dir", str(out)]
    with pytest.raises(SystemExit) as exit_:
        load_recipe("project").main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    where = "is a model folder" if inside == "." else f"lies inside the model folder {model_dir}"
    assert f"--output_dir {out} {where}, every file of which `bimotion push` and --push_to_hub upload" in err, err
    assert f"choose a folder outside it, such as --output_dir {model_dir.parent / 'figures'}" in err, err
    assert sorted(p.name for p in model_dir.iterdir()) == before  # nothing written there


def test_a_folder_with_a_config_json_of_its_own_is_not_taken_for_a_model_folder(tmp_path):
    """The check above walks up from --output_dir: a project folder holding a config.json of its own (no
    weights) is not a model folder, and figures may be written below it."""
    from bimotion.training.outputs import model_around

    (tmp_path / "config.json").write_text("{}")
    assert model_around(tmp_path / "figures") is None
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert model_around(tmp_path / "figures") == tmp_path.resolve()


@pytest.mark.parametrize("size", ["WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE"])
def test_the_recipe_refuses_a_launch_of_several_processes_in_one_line(tmp_path, capsys, monkeypatch, size):
    """`accelerate launch --multi_gpu --num_processes 2 recipes/project.py` (WORLD_SIZE=2): on CPU, each process ended
    in a TypeError traceback (`main.<locals>.<lambda>() takes 1 positional argument but 2 were given`: the launch's
    use_cpu default reached the recipe's check).  The recipe runs in one process and now refuses such a launch, as
    recipes/probe.py does: one usage error naming the command that runs it.  Also a launch through mpirun
    (accelerate's CPU launch with --mpirun_hostfile, which sets PMI_SIZE or OMPI_COMM_WORLD_SIZE and no WORLD_SIZE
    before accelerate's state starts): each process drew the same figures."""
    for name in ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(size, "2")
    with pytest.raises(SystemExit) as exit_:
        load_recipe("project").main(["--grid_dir", str(tmp_path / "grid"), "--output_dir", str(tmp_path / "figures")])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert exit_.value.code == 2 and "Traceback" not in err and len(errors) == 1, err
    assert "runs in one process, not 2: a projection is not shared among processes, and each would draw " in errors[0]
    assert not (tmp_path / "figures").exists()
