"""The experiment grid end to end on the generated fixture corpora with a tiny random wav2vec2:
every table cell present, finite and read from the model its row names; a killed run resumes,
reuses the finished models and gives the same tables; several seeds; the heat map and figures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from conftest import QUICK_TRAINING

from bimotion import paper
from bimotion.grid import MARKER, run_grid
from bimotion.grid.plan import model_dir_in_grid
from bimotion.mixture import mixture_name, parse_mixture
from bimotion.training.data import Sources, column, load_shards
from bimotion.training.inference import predict
from bimotion.training.metrics import score_groups
from loaders.synthetic import NOTE as SYNTHETIC_NOTE

REPO = Path(__file__).resolve().parents[1]

TRAINING = QUICK_TRAINING
PROJECTION = {
    "name": "coverage",
    "title": "Mandarin elderly test clips in the all-BiMotion model's feature space",
    "model": "bimotion:all",
    "test": "zho_eld",
    "panels": [{"title": "zho_eld", "train": "zho_eld"}, {"title": "all of BiMotion", "train": "bimotion:all"}],
}


def grid_config(**overrides) -> dict:
    return {
        "tiny_model": {},
        "seeds": [0],
        "training": TRAINING,
        "bootstrap_samples": 200,
        "num_threads": 1,
        **overrides,
    }


pytestmark = pytest.mark.usefixtures("one_commit")  # conftest: one commit recorded, however the checkout changes


@pytest.fixture(scope="module")
def full_run(one_commit, data_dirs, tmp_path_factory):
    out = tmp_path_factory.mktemp("grid-full")
    return run_grid(grid_config(projections=[PROJECTION]), data_dirs, out, log=None)


def marker(out: Path, model: str, seed: int = 0) -> dict:
    return json.loads((out / "models" / parse_mixture(model).slug / f"seed{seed}" / MARKER).read_text())


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_every_cell_is_present_finite_and_read_from_the_model_its_row_names(full_run):
    out = full_run.output_dir
    assert len(full_run.plan.models) == 13 and len(full_run.trained) == 13
    for table in paper.TABLES.values():
        cells = full_run.table_cells(table.name)
        assert len(cells) == len(table.rows) * len(table.columns)
        for c in cells:
            expected = table.cell(c.row, c.column)
            assert c.test == expected.test
            assert np.isfinite(c.mean) and 0 <= c.mean <= 100 and c.ci_low <= c.mean <= c.ci_high
            assert c.num_test > 0 and c.paper == expected.paper
            # the model behind the cell was trained on exactly the row's mixture
            trained = marker(out, c.model)
            assert {tuple(s) for s in trained["shards"]} == set(parse_mixture(expected.train).shards)
        for row in table.rows if table.paper_average else ():
            assert np.isfinite(full_run.averages[(table.name, row.key)]["mean"])

    # spelled out: the cross-lingual inference cell of eng_eld is the zho_eld model on eng_eld test data
    cell = full_run.cell("table3", "cross_lingual", "eng_eld")
    assert (cell.model, cell.test) == ("zho_eld", "eng_eld")
    assert full_run.cell("table4", "cross_age", "zho_eld").model == "zho"
    assert full_run.cell("table5", "yue_zho", "yue").model == "yuemotion:all+zho_adu[esd]"

    # the training manifest of that model holds Mandarin elderly clips only
    model_dir = out / marker(out, "zho_eld")["model_dir"]
    assert model_dir_in_grid(out, "zho_eld") == model_dir
    # a later run of this folder with fewer tables plans fewer models: the finished ones stay found
    plan_file = out / "plan.json"
    saved = plan_file.read_text()
    plan_file.write_text(json.dumps({**json.loads(saved), "models": []}))
    assert model_dir_in_grid(out, "zho_eld") == model_dir
    plan_file.write_text(saved)
    manifest = (model_dir / "train_manifest.txt").read_text().split()
    sources = Sources(**full_run.sources)
    zho_eld_train = load_shards(sources, list(parse_mixture("zho_eld").shards), "train")
    assert sorted(manifest) == sorted(column(zho_eld_train, "id").tolist())

    # recomputed from scratch: that model, freshly loaded, scored on eng_eld's test clips
    test = load_shards(sources, list(parse_mixture("eng_eld").shards), "test")
    pred = predict(model_dir, test)
    # ... with each clip's speaker for the bootstrap ("" where a corpus names none: ElderReact)
    speaker_ids = [speaker or "" for speaker in test["speaker_id"]]
    assert pred["speaker"].tolist() == speaker_ids and "" in speaker_ids and len(set(speaker_ids)) > 2
    fresh = score_groups(pred["logits"], pred["labels"], pred["label_mask"], pred["corpus"], pred["group"])
    assert 100 * fresh["weighted_f1"] == pytest.approx(cell.mean, abs=1e-6)
    assert cell.num_test == len(test)
    # ... and the grid's per-model metrics file says the same
    metrics = json.loads((out / "metrics" / "zho_eld" / "seed0.json").read_text())
    assert 100 * metrics["tests"]["eng_eld"]["weighted_f1"] == pytest.approx(cell.mean, abs=1e-6)
    # ... beside its chance level, and with the labels the model never trained scored as absent
    entry = metrics["tests"]["eng_eld"]
    assert 0 < cell.chance <= 100 and 100 * entry["chance"] == pytest.approx(cell.chance)
    assert cell.chance == pytest.approx(100 * fresh["chance"])
    trained = json.loads((model_dir / "config.json").read_text()).get("trained_labels")
    assert metrics["trained_labels"] == trained and metrics["scores"]["group_score"] == "mean"
    # ... and what produced it: the data by content (as plan.json), the seed, the software
    plan_data = json.loads((out / "plan.json").read_text())["settings"]["data"]
    assert metrics["provenance"]["data"] == plan_data and metrics["provenance"]["seed"] == 0
    assert metrics["provenance"]["versions"]["transformers"]
    untrained = [label for label in entry["annotated_labels"] if trained is not None and label not in trained]
    assert entry["untrained_labels"] == untrained == cell.untrained
    # different models give different predictions on the same clips (the provenance is observable)
    other = predict(out / marker(out, "eng_eld")["model_dir"], test)
    assert not np.allclose(other["logits"], pred["logits"])

    # the ESD halves of Table 5 are ESD only, in the right language
    t5 = marker(out, "yuemotion:all+eng_adu[esd]")
    assert {tuple(s) for s in t5["shards"]} == {
        ("yuemotion", "yuemotion", "yue_adu"),
        ("yuemotion", "yuemotion", "yue_eld"),
        ("bimotion", "esd", "eng_adu"),
    }
    eng_cell = full_run.cell("table5", "yue_eng", "eng")
    assert eng_cell.num_test == len(load_shards(sources, list(parse_mixture("eng_adu[esd]").shards), "test"))


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_tables_are_written_with_the_papers_numbers_beside_ours(full_run):
    """The fixtures are generated data: the paper's numbers stand beside ours for reference, with no Δ
    (a demo's table3.md read "Δ (not comparable)" +23.28 for zho eld, a difference that means nothing);
    on real data (the same results, no generated corpus) the Δ columns are there."""
    import csv
    import dataclasses
    import io

    from bimotion.grid.report import render_csv, render_markdown

    tables = full_run.output_dir / "tables"
    md = (tables / "table3.md").read_text()
    assert "Cross-lingual X(¬l,a)" in md and "14.54" in md and "| paper (for reference) |" in md
    cell = full_run.cell("table3", "cross_lingual", "eng_eld")
    assert f"{cell.mean:.2f}" in md and f"{cell.mean - 14.54:+.2f}" not in md and "Δ" not in md
    first = full_run.cell("table3", "cross_lingual", paper.TABLE3.columns[0].key)
    assert f"| Chance level | {first.chance:.2f} | – |" in md and f"| {first.chance:.2f} | – | – |" not in md
    assert "† at or below chance" in md
    assert all("diff" not in next(csv.reader((tables / f"{t}.csv").open())) for t in ("table3", "table4", "table5"))
    assert all("Delta" not in (tables / f"{t}.tex").read_text() for t in ("table3", "table4", "table5"))
    real = dataclasses.replace(full_run, generated={})
    md = render_markdown(real, paper.TABLE3)
    assert "| paper | Δ |" in md and f"{cell.mean - 14.54:+.2f}" in md and f"| {first.chance:.2f} | – | – |" in md

    rows = list(csv.DictReader((tables / "table4.csv").open()))
    assert len(rows) == 16 + 4  # cells + row averages
    by_key = {(r["row"], r["column"]): r for r in rows}
    assert by_key[("cross_all", "eng_eld")]["train"] == "bimotion:all"
    assert float(by_key[("cross_all", "eng_eld")]["paper"]) == 68.06
    chance = full_run.cell("table4", "cross_all", "eng_eld").chance
    assert float(by_key[("cross_all", "eng_eld")]["chance"]) == pytest.approx(chance, abs=1e-4)
    # the misprinted average (57.34 for cells averaging 69.84): Δ is taken from the cells' mean, in every format
    avg = by_key[("cross_lingual", "avg")]
    assert (float(avg["paper"]), float(avg["paper_printed"])) == (69.84, 57.34)
    assert by_key[("baseline", "avg")]["paper_printed"] == ""
    assert "| 69.84 (printed 57.34) |" in (tables / "table4.md").read_text()
    ours = full_run.averages[("table4", "cross_lingual")]["mean"]
    assert f"| 69.84 (printed 57.34) | {ours - 69.84:+.2f} |" in render_markdown(real, paper.TABLE4)
    real_avg = {(r["row"], r["column"]): r for r in csv.DictReader(io.StringIO(render_csv(real, paper.TABLE4)))}
    assert float(real_avg[("cross_lingual", "avg")]["diff"]) == pytest.approx(ours - 69.84, abs=1e-3)
    t5 = list(csv.DictReader((tables / "table5.csv").open()))
    assert len(t5) == 12 and any(r["paper"] == "" for r in t5)
    tex = (tables / "table5.tex").read_text()
    assert r"\begin{tabular}" in tex and r"\toprule" in tex and "47.59" in tex and tex.count(r"\\") >= 6


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_every_table_and_the_heat_map_say_what_produced_them_without_the_command(full_run):
    """A paper cites the tables and the heat map, which named neither the versions nor the commit nor
    the torch threads that made their numbers (only the metrics files did); each now says so, from its
    models' metrics files, with no command line (workers sharing a grid run other commands)."""
    from importlib import metadata

    metrics = json.loads((full_run.output_dir / "metrics" / full_run.plan.models[0].slug / "seed0.json").read_text())
    recorded = metrics["provenance"]
    line = full_run.produced_by(paper.TABLE3)
    expected = [f"bimotion {recorded['versions']['bimotion']}", f"commit {recorded['commit']}",
                f"torch {metadata.version('torch')}", f"transformers {metadata.version('transformers')}",
                f"datasets {metadata.version('datasets')}", "torch threads 1"]  # fmt: skip
    assert line == "Produced by " + ", ".join(expected) + "."  # the config's num_threads: 1, the same for all
    tables = full_run.output_dir / "tables"
    for name in ("table3", "table4", "table5"):
        assert f"- {full_run.produced_by(getattr(paper, name.upper()))}" in (tables / f"{name}.md").read_text()
        tex = (tables / f"{name}.tex").read_text().splitlines()
        assert tex[1] == "% produced by " + line.removeprefix("Produced by ")  # a comment: never printed
    assert (tables / "table3.csv").read_text().startswith("table,row,column,")  # read as it was: header first
    with PIL.Image.open(tables / "heatmap.png") as png:
        assert png.text["Description"] == full_run.produced_by()
    assert full_run.produced_by() in (tables / "heatmap.svg").read_text()


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_every_csv_has_a_provenance_sidecar_and_still_reads_as_plain_csv(full_run):
    """The Markdown and LaTeX tables said what produced them; their CSV twins (and heatmap.csv), the
    files read back into pandas, said nothing.  Each now has ``<name>.provenance.json`` beside it: the
    CSV it describes (name and digest), the same "Produced by" line, the seeds and every model's
    provenance per seed (versions, commit, each prepared dataset by digest; no command line)."""
    import pandas

    from loaders.files import sha256_of

    tables = full_run.output_dir / "tables"
    for name, table in [
        ("table3", paper.TABLE3),
        ("table4", paper.TABLE4),
        ("table5", paper.TABLE5),
        ("heatmap", None),
    ]:
        sidecar = tables / f"{name}.provenance.json"
        assert sidecar in full_run.files
        meta = json.loads(sidecar.read_text())
        assert meta["describes"] == f"{name}.csv" and meta["sha256"] == sha256_of(tables / f"{name}.csv")
        assert meta["produced_by"] == full_run.produced_by(table) and meta["seeds"] == full_run.config.seeds
        models = {c.model for c in full_run.table_cells(table.name)} if table else {m for m, _ in full_run.provenance}
        assert set(meta["models"]) == {f"{m}/seed{s}" for m in models for s in full_run.config.seeds}
        for block in meta["models"].values():
            assert block["commit"] and block["versions"]["bimotion"] and block["data"]["bimotion"]["prepare.json"]
            assert "command" not in block
        assert len(pandas.read_csv(tables / f"{name}.csv")) > 0  # the CSV itself: plain, header first


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_a_grid_names_its_own_command_not_that_of_a_recipe_run_before_it(full_run, data_dirs, tmp_path):
    """The command a recipe parsed was kept for the whole process: a recipe run, then run_grid() from
    Python in the same process (a notebook, a test), named the recipe's command in the grid's metrics
    files.  A grid now names its own (this process's, or the one recipes/grid.py parsed and passes),
    and leaves what was recorded before as it found it.  Checked on a rerun of one of its models (Table 3's
    four, rescored twice, took 24 s of the suite's second-longest file)."""
    import shutil

    from bimotion.training.provenance import command_scope, public_command, record_command, recorded_command

    out = tmp_path / "again"
    shutil.copytree(full_run.output_dir, out)
    metrics = out / "metrics" / parse_mixture("zho_eld").slug / "seed0.json"
    train = [str(REPO / "recipes" / "train.py"), "--train_configs", "zho_eld"]
    config = grid_config(tables=[], mixtures=["zho_eld"], extra_tests=["zho_eld"])
    with command_scope(None):  # this process's record as the test found it, afterwards
        record_command(*train[:1], train[1:])
        run_grid(config, data_dirs, out, log=None)  # rescored: the metrics written again
        assert json.loads(metrics.read_text())["provenance"]["command"] == public_command(sys.argv)
        assert recorded_command() == train  # the recipe's, as it was
        grid = [str(REPO / "recipes" / "grid.py"), "--config", "paper", "--bootstrap_samples", "200"]
        run_grid(config, data_dirs, out, log=None, command=grid)
        assert json.loads(metrics.read_text())["provenance"]["command"] == ["grid.py", *grid[1:]]
        assert recorded_command() == train


def _is_image(path: Path) -> bool:
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    return pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100 and pixels.std() > 0


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_heatmap_and_figures_exist_with_their_data(full_run):
    tables = full_run.output_dir / "tables"
    assert _is_image(tables / "heatmap.png")
    assert (tables / "heatmap.svg").read_text().lstrip().startswith("<?xml") and "<svg" in (
        tables / "heatmap.svg"
    ).read_text()
    lines = (tables / "heatmap.csv").read_text().splitlines()  # the scores, then 3 columns per test set
    assert len(lines) == 1 + 13 + 1 and lines[0].count(",") == 4 * len(full_run.plan.tests)
    assert lines[-1].startswith("chance,") and lines[-1].count(",") == 4 * len(full_run.plan.tests)

    fig = full_run.output_dir / "figures" / "coverage"
    assert _is_image(fig.with_suffix(".png"))
    assert "<svg" in fig.with_suffix(".svg").read_text()
    meta = json.loads(fig.with_suffix(".json").read_text())
    points = meta["points"]
    import csv

    rows = list(csv.DictReader(fig.with_suffix(".csv").open()))
    assert len(rows) == len(points) > 0
    assert {r["panel"] for r in rows} == {"zho_eld", "all of BiMotion"}
    assert all(np.isfinite(float(r["x"])) and np.isfinite(float(r["y"])) for r in rows)
    test_ids = {r["id"] for r in rows if r["role"] == "test"}
    sources = Sources(**full_run.sources)
    assert test_ids == set(column(load_shards(sources, list(parse_mixture("zho_eld").shards), "test"), "id").tolist())
    assert meta["panels"][1]["num_train"] > meta["panels"][0]["num_train"]

    # per-model confusion counts beside the metrics: every test clip counted once per (group, corpus)
    model = full_run.plan.models[0]
    metrics = json.loads((out_metrics := full_run.output_dir / "metrics" / model.slug / "seed0.json").read_text())
    assert _is_image(out_metrics.with_suffix(".confusion.png"))
    with PIL.Image.open(out_metrics.with_suffix(".confusion.png")) as png:  # the fixtures are generated data
        title = png.text["Title"]  # named as the heat map names it, not by its spec
        assert (
            title == f"Trained on {mixture_name(model.name)} (seed 0): confusion on every test set — {SYNTHETIC_NOTE}"
        )
        assert model.name not in title, title
    for group in metrics["scores"]["groups"].values():
        for corpus in group["corpora"].values():
            conf = corpus["confusion"]
            if conf["kind"] == "single_label":
                assert np.sum(conf["matrix"]) + sum(conf["no_prediction"]) == corpus["num_samples"]
            else:
                assert all(0 < sum(c.values()) <= corpus["num_samples"] for c in conf["counts"].values())


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_a_grid_run_reads_each_datasets_record_once(full_run, data_dirs, tmp_path, monkeypatch):
    """Whether the data is generated (each prepared folder's prepare.json, a Hub dataset's asked of
    the Hub) was read by the runner for the confusion figures, again by the tables' GridResult and
    again by each projection; a rerun of a finished grid (rescored, every table and figure written
    again) now reads it once per dataset, and still marks every output.  The rerun is of the
    projection's two models on its test set (the whole grid's rerun, 13 models rescored for the same
    three readers, took 91 s of the suite's second-longest file, 254 s on a loaded machine)."""
    import shutil

    from bimotion.data import layout

    out = tmp_path / "moved"
    shutil.copytree(full_run.output_dir, out)
    asked, read = [], layout.recorded_info
    monkeypatch.setattr(layout, "recorded_info", lambda source: asked.append(str(source)) or read(source))
    mixtures = ["zho_eld", "bimotion:all"]  # the projection's models (its panels'), scored on its test set
    config = grid_config(tables=[], mixtures=mixtures, extra_tests=["zho_eld"], projections=[PROJECTION])
    result = run_grid(config, data_dirs, out, log=None)
    assert result.trained == [] and sorted(asked) == sorted(str(d) for d in data_dirs.values())
    assert set(result.generated) == set(data_dirs) and result.synthetic()
    figure = json.loads((out / "figures" / "coverage.json").read_text(encoding="utf-8"))
    assert figure["title"] == f"{PROJECTION['title']} — {SYNTHETIC_NOTE}"


def test_heatmap_reads_like_the_paper(tmp_path):
    """Readable names in the paper's order, in-group cells boxed, colour centred on chance, cells at
    or below chance hatched (a synthetic matrix: every score 60 %, one 30 %, chance 40 %)."""
    from bimotion.grid.config import GridConfig
    from bimotion.grid.heatmap import heatmap_data, heatmap_figure, write_csv
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult
    from bimotion.mixture import mixture_name

    config = GridConfig(tables=["table5", "table3", "table4"], extra_tests=["yue_adu"], bootstrap_samples=10)
    plan = make_plan(config)
    low = ("zho_eld", "eng_eld")  # the cross-lingual model of English elderly, below chance
    matrix = {(m.name, t): {"mean": 30.0 if (m.name, t) == low else 60.0, "chance": 40.0}
              for m in plan.models for t in plan.tests}  # fmt: skip
    result = GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {})
    data = heatmap_data(result)
    fig, ax = heatmap_figure(data, [0])
    rows = [" ".join(t.get_text().split()) for t in ax.get_yticklabels()]  # long names wrapped (test_figures.py)
    groups = ["English elderly", "English adults", "Mandarin elderly", "Mandarin adults"]
    assert rows == [*groups, "all of BiMotion", "English, all ages", "Mandarin, all ages", "elderly, all languages",
                    "adults, all languages", "all of YueMotion + ESD English adults + ESD Mandarin adults",
                    "all of YueMotion + ESD English adults", "all of YueMotion + ESD Mandarin adults",
                    "all of YueMotion"]  # fmt: skip
    columns = [t.get_text().split("\n") for t in ax.get_xticklabels()]
    assert [c[0] for c in columns] == [*groups, "all of YueMotion", "ESD English adults", "ESD Mandarin adults",
                                       "Cantonese adults"]  # fmt: skip
    assert all(c[1] == "(chance 40.0)" for c in columns)
    assert rows == [mixture_name(m) for m in data["models"]]

    def cells(gid: str) -> set[tuple[int, int]]:
        return {(round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in ax.patches if p.get_gid() == gid}

    baseline, included = cells("in_group_baseline"), cells("in_group_included")
    assert {(i, i) for i in range(4)} <= baseline and (12, 4) in baseline  # the in-group models
    assert {(4, j) for j in range(4)} <= included and (0, 4) not in included | baseline  # all of BiMotion
    assert not baseline & included
    assert cells("at_or_below_chance") == {(rows.index("Mandarin elderly"), 0)}
    image = ax.get_images()[0]
    assert image.norm.vmin == -image.norm.vmax and image.get_array()[2, 0] == -10.0  # score − chance
    fig.clf()
    csv_rows = write_csv(data, tmp_path / "heatmap.csv").read_text().splitlines()  # the specs, in the same order
    assert [line.split(",")[0].strip('"') for line in csv_rows[1:-1]] == data["models"]


def test_heatmap_marks_the_scores_of_labels_a_model_never_trained_on_as_the_tables_do(tmp_path):
    """The tables mark with * a score of a model that never trained on some labels its test set
    annotates (which can put it far below chance); the heat map beside them had no such mark."""
    from bimotion.grid.config import GridConfig
    from bimotion.grid.heatmap import heatmap_data, heatmap_figure
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult
    from bimotion.training.metrics import UNTRAINED

    config = GridConfig(tables=["table3"], bootstrap_samples=10)
    plan = make_plan(config)
    odd = ("zho_eld", "eng_eld")  # trained without two of eng_eld's labels, and below chance
    matrix = {(m.name, t): {"mean": 20.0 if (m.name, t) == odd else 60.0, "chance": 40.0,
                            "untrained": ["fear", "disgust"] if (m.name, t) == odd else []}
              for m in plan.models for t in plan.tests}  # fmt: skip
    data = heatmap_data(GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {}))
    fig, ax = heatmap_figure(data, [0])
    scores = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert scores.count("20.0†*") == 1 and all(s == "60.0" for s in scores if s != "20.0†*")
    assert UNTRAINED in " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    fig.clf()
    matrix[odd]["untrained"] = []  # no cell of untrained labels: no mark, no note
    fig, ax = heatmap_figure(heatmap_data(GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {})), [0])
    assert "*" not in " ".join(t.get_text() for t in [*ax.texts, *fig.texts])
    fig.clf()


def test_heatmap_numbers_read_on_every_cell_and_its_title_names_what_is_drawn(tmp_path):
    """The small grey numbers were hard to read on dark blue, and the hatching of a cell at or below
    chance ran through its numbers: every number now contrasts at least 4.5:1 (WCAG) with its cell,
    and the hatching keeps to the cell's border.  advise's map of one test set was titled 'every
    model on every test set'."""
    import matplotlib.pyplot as plt
    from matplotlib.path import Path as MplPath

    from bimotion.figures import contrast
    from bimotion.grid.config import GridConfig
    from bimotion.grid.heatmap import heatmap_data, heatmap_figure
    from bimotion.grid.plan import make_plan
    from bimotion.grid.report import GridResult

    config = GridConfig(tables=["table3", "table4"], bootstrap_samples=10)
    plan = make_plan(config)
    cells = [(m.name, t) for m in plan.models for t in plan.tests]  # scores 5 % to 95 % at chance 40 %: every colour
    matrix = {cell: {"mean": 5.0 + 90.0 * k / (len(cells) - 1), "chance": 40.0} for k, cell in enumerate(cells)}
    data = heatmap_data(GridResult(tmp_path, config, plan, [], {}, matrix, [], [], {}, {}))
    fig, ax = heatmap_figure(data, [0])
    renderer = fig.canvas.get_renderer()
    image = ax.get_images()[0]

    def cell_of(artist) -> tuple[int, int]:
        x, y = artist.get_position()
        return round(y), round(x)

    for text in ax.texts:
        background = image.cmap(image.norm(image.get_array()[cell_of(text)]))
        assert contrast(text.get_color(), background) >= 4.5, (text.get_text(), background)
    hatched = [p for p in ax.patches if p.get_gid() == "at_or_below_chance"]
    assert len(hatched) == int((data["values"] <= 40.0).sum()) > 0

    def area(polygon) -> float:  # signed (shoelace): opposite signs wind opposite ways
        x, y = polygon[:, 0], polygon[:, 1]
        return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2

    for patch in hatched:  # the hatch is clipped to the cell minus a hole that holds its numbers
        outer, hole = patch.get_clip_path().get_fully_transformed_path().to_polygons()
        assert area(outer) * area(hole) < 0 and abs(area(hole)) < abs(area(outer))
        x, y = patch.get_x() + 0.5, patch.get_y() + 0.5
        numbers = [t for t in ax.texts if cell_of(t) == (round(y), round(x))]
        assert len(numbers) == 2
        for text in numbers:
            box = text.get_window_extent(renderer)
            corners = [(box.x0, box.y0), (box.x0, box.y1), (box.x1, box.y0), (box.x1, box.y1)]
            assert MplPath(hole).contains_points(corners).all(), text.get_text()
        edge = ax.transData.transform((x - 0.49, y))  # just inside the cell's left edge: hatched
        assert MplPath(outer).contains_point(edge) and not MplPath(hole).contains_point(edge)
    assert "of every model on every test set" in " ".join(fig.get_suptitle().split())  # wrapped to fit
    plt.close(fig)
    one = {**data, "tests": data["tests"][:1], "test_names": data["test_names"][:1], "values": data["values"][:, :1],
           "chance": data["chance"][:1], "num_test": data["num_test"][:1],
           **{key: [row[:1] for row in data[key]] for key in ("relation", "untrained", "training_clips")}}  # fmt: skip
    fig, ax = heatmap_figure(one, [0, 1])
    assert " ".join(fig.get_suptitle().split()) == (
        f"Weighted F1 (%) at the 0.5 threshold of every model on {one['test_names'][0]} (mean over seeds [0, 1])"
    )
    plt.close(fig)


def _run_recipe_in_subprocess(config: dict, data_dirs, out: Path) -> subprocess.Popen:
    """``python recipes/grid.py --config ...`` as a user would start it."""
    import yaml

    path = out.parent / "grid.yaml"
    path.write_text(yaml.safe_dump(config))
    argv = ["--config", str(path), "--output_dir", str(out)]
    argv += [f"--{name}={where}" for name, where in data_dirs.items()]
    return subprocess.Popen(
        [sys.executable, str(REPO / "recipes" / "grid.py"), *argv],
        cwd=out.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow  # the 13-model grid (full_run): minutes on 2 cores
def test_a_killed_grid_resumes_reuses_finished_models_and_gives_the_same_tables(full_run, data_dirs, tmp_path):
    config = grid_config(tables=["table3"])
    out = tmp_path / "grid"
    proc = _run_recipe_in_subprocess(config, data_dirs, out)
    deadline = time.time() + 240
    try:
        while len(list(out.glob(f"models/*/seed0/{MARKER}"))) < 2:
            assert proc.poll() is None, "the grid ended before it could be killed"
            assert time.time() < deadline, "the grid did not finish two models in time"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = {p.parent.parent.name for p in out.glob(f"models/*/seed0/{MARKER}")}
    assert 2 <= len(finished) < 4
    weights = {name: (out / "models" / name / "seed0" / "model.safetensors").stat().st_mtime_ns for name in finished}

    result = run_grid(config, data_dirs, out, log=None)
    retrained = {parse_mixture(t.split("/seed")[0]).slug for t in result.trained}
    assert retrained == {"zho_adu", "zho_eld", "eng_adu", "eng_eld"} - finished
    for name, mtime in weights.items():  # finished models were not touched
        assert (out / "models" / name / "seed0" / "model.safetensors").stat().st_mtime_ns == mtime
    for suffix in (".md", ".csv", ".tex"):  # the same tables as the uninterrupted run
        assert (out / "tables" / f"table3{suffix}").read_text() == (
            full_run.output_dir / "tables" / f"table3{suffix}"
        ).read_text()

    # the folder refuses a run with other training arguments instead of mixing their models in
    with pytest.raises(ValueError, match="other settings.*training"):
        run_grid(grid_config(tables=["table3"], training={**TRAINING, "learning_rate": 1e-3}), data_dirs, out, log=None)


def test_several_seeds_give_mean_std_and_intervals_in_every_format(data_dirs, tmp_path):
    """Aggregation over seeds from saved predictions (written here for two seeds, as a grid would)."""
    import csv

    from bimotion.grid import Grid, write_reports
    from bimotion.grid.cells import collect
    from loaders.files import save_npz

    grid = Grid(grid_config(tables=["table3"], seeds=[0, 1]), data_dirs, tmp_path / "grid", log=None)
    data, rows = grid.test_data()
    ids, corpora, groups = (column(data, k).astype(str) for k in ("id", "corpus", "group"))
    labels, masks = (np.stack(column(data, k)).astype(np.int8) for k in ("labels", "label_mask"))
    rng = np.random.default_rng(0)
    for model in grid.plan.models:
        for seed in (0, 1):
            logits = (rng.normal(size=labels.shape) + 3 * labels - 1.5).astype(np.float32)
            for shard, index in rows.items():
                save_npz(
                    grid.prediction_file(model, seed, shard),
                    {
                        "id": ids[index],
                        "corpus": corpora[index],
                        "group": groups[index],
                        "labels": labels[index],
                        "label_mask": masks[index],
                        "logits": logits[index],
                    },
                )
    result = collect(grid)
    write_reports(result)
    assert result.trained == []  # nothing was trained: every prediction was there
    for cell in result.cells:
        assert len(cell.values) == 2 and cell.mean == pytest.approx(np.mean(cell.values))
        assert cell.std == pytest.approx(np.std(cell.values, ddof=1))
        assert cell.ci_low <= cell.ci_high and 0 < cell.mean < 100
    c = result.cell("table3", "baseline", "zho_eld")
    md = (tmp_path / "grid" / "tables" / "table3.md").read_text()
    assert f"{c.mean:.2f} ± {c.std:.2f} [{c.ci_low:.1f}, {c.ci_high:.1f}]" in md
    assert "mean ± std over seeds [0, 1]" in md
    row = next(
        r
        for r in csv.DictReader((tmp_path / "grid" / "tables" / "table3.csv").open())
        if (r["row"], r["column"]) == ("baseline", "zho_eld")
    )
    assert [float(v) for v in row["values"].split()] == pytest.approx(c.values, abs=1e-4)
    assert r"$\pm$" in (tmp_path / "grid" / "tables" / "table3.tex").read_text()


@pytest.mark.parametrize("keep", [False, True])
def test_a_finished_models_checkpoints_are_removed_unless_kept(data_dirs, tmp_path, keep):
    """Each XLSR-53 checkpoint (weights and AdamW state) is ~3.8 GB and nothing resumes a finished
    model: with save_total_limit 2 the paper's grid kept ~340 GB of them."""
    training = {**TRAINING, "num_train_epochs": 2, "eval_strategy": "epoch", "save_strategy": "epoch",
                "load_best_model_at_end": True, "save_total_limit": 2}  # fmt: skip
    config = grid_config(tables=[], mixtures=["zho_eld"], extra_tests=["zho_eld"], training=training)
    result = run_grid({**config, "keep_checkpoints": keep}, data_dirs, tmp_path / "grid", log=None)
    folder = tmp_path / "grid" / "models" / "zho_eld" / "seed0"
    assert result.trained == ["zho_eld/seed0"] and (folder / "model.safetensors").is_file()
    assert bool(list(folder.glob("checkpoint-*"))) == keep
    assert json.loads((folder / "scores.json").read_text())["selection"]["best_checkpoint"]  # provenance stays


def test_a_grid_on_a_partly_prepared_folder_names_every_missing_group_and_the_prepare_command(tmp_path):
    """CSED alone (zho_eld) and the paper's Table 3: the grid stopped with 'eng_eld needs train rows of
    eng_eld (elderreact), and ... has none (...; a split by whole speakers needs enough speakers in the
    group for every split): add clips or speakers and prepare again, or leave eng_eld out', as if the
    group were too small, naming one group of three.  The tables compare every group, so it still
    refuses, before anything is written, but names every group the folder lacks, what reads each, and
    the prepare command that adds their corpora under the folder's own protocol and seed."""
    from bimotion.grid.checks import check_rows
    from bimotion.grid.config import load_config
    from bimotion.grid.plan import make_plan
    from bimotion.training import testing
    from bimotion.training.parsing import ArgumentError

    folder = testing.write_prepared(tmp_path / "csed", shards=[("csed", "zho_eld")])
    with pytest.raises(ArgumentError) as raised:
        run_grid(grid_config(tables=["table3"]), {"bimotion": folder}, tmp_path / "out", log=None)
    said = str(raised.value)
    assert said.startswith(f"{folder} holds no rows of zho_adu, eng_adu, eng_eld (prepared from csed)"), said
    assert "; eng_eld by model eng_eld, test set eng_eld)" in said
    command = "bimotion prepare --source csed=DIR --source esd=DIR --source crema_d=DIR --source tess=DIR "
    assert f"{command}--source iemocap=DIR --source elderreact=DIR --protocol paper --seed 0 --output {folder}" in said
    assert not (tmp_path / "out").exists()
    # the groups it holds pass
    held = load_config(grid_config(tables=[], mixtures=["zho_eld"], extra_tests=["zho_eld"]))
    check_rows(make_plan(held), {"bimotion": str(folder)})
