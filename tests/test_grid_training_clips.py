"""A grid that scores its models on clips they were trained on says so, as ``recipes/infer.py`` does
(:func:`bimotion.training.evaluation.training_clips`): models trained on BiMotion prepared with
``--seed 0`` (a trainer of the user's own returns them), scored on the same corpora prepared with
``--seed 1``, whose test sets hold some of their training clips.  The grid wrote those scores as
held-out ones, silently; now one warning per model names the count, the data and the model, its
metrics file records ``training_clips`` and the tables mark the cells ``‡`` with a note.  A probe
(``backend: probe``) wrote no ``train_manifest.txt``, so nothing could be checked; it writes one now."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from test_grid import grid_config

from bimotion.grid import run_grid, train_model
from bimotion.training.data import Sources, load_split


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> dict[int, Path]:
    """The generated BiMotion corpora, prepared twice: ``--seed 0`` and ``--seed 1``."""
    from bimotion.prepare import prepare
    from loaders.testing import make_all

    root = tmp_path_factory.mktemp("two-seeds")
    roots = make_all(root / "raw", names=["crema_d", "tess", "esd", "iemocap", "elderreact", "csed"])
    out = {seed: root / f"bimotion-seed{seed}" for seed in (0, 1)}
    for seed, folder in out.items():
        prepare(roots, folder, benchmark="bimotion", seed=seed, progress=False)
    return out


def _trained_on(folder: Path, trainer):
    """A trainer that trains each job on ``folder`` whatever data the grid was given."""

    def train(job):
        return trainer(dataclasses.replace(job, sources={**job.sources, "bimotion": str(folder)}))

    return train


def _shared(model_dir: Path, folder: Path, cache: Path, group: str) -> tuple[int, int]:
    """How many of ``group``'s test clips in ``folder`` the model trained on (by id), and of how many."""
    manifest = set((model_dir / "train_manifest.txt").read_text().split())
    test = set(load_split(Sources(bimotion=str(folder), cache_dir=str(cache)), [group], "test")["id"])
    return len(test & manifest), len(test)


def test_a_grid_scoring_models_on_data_prepared_with_another_seed_marks_the_training_clips(prepared, tmp_path, capsys):
    out = tmp_path / "grid"
    config = grid_config(tables=[], mixtures=["zho_eld"], extra_tests=["zho_eld", "eng_eld"])
    result = run_grid(config, {"bimotion": prepared[1]}, out, trainer=_trained_on(prepared[0], train_model), log=None)
    model_dir = out / "models" / "zho_eld" / "seed0"
    shared, of = _shared(model_dir, prepared[1], tmp_path / "cache", "zho_eld")
    assert 0 < shared < of  # a new draw: some of its test clips were the first one's training clips
    err = capsys.readouterr().err
    said = f"warning: {shared} of the {of + result.matrix[('zho_eld', 'eng_eld')]['num_test']} test clips scored"
    assert f"{said} (bimotion {prepared[1]}) are clips the grid's model zho_eld (seed 0, {model_dir})" in err, err
    assert f"zho_eld {shared} of {of}" in err and "its metrics file (training_clips) and tables (‡)" in err
    assert err.count("warning:") == 1
    metrics = json.loads((out / "metrics" / "zho_eld" / "seed0.json").read_text())
    assert metrics["training_clips"]["clips"] == shared and metrics["training_clips"]["by_id"] == shared
    assert metrics["tests"]["zho_eld"]["training_clips"] == shared
    assert "training_clips" not in metrics["tests"]["eng_eld"]  # another group's clips: held out
    assert metrics["scores"]["groups"]["zho_eld"]["training_clips"] == shared
    assert result.matrix[("zho_eld", "zho_eld")]["training_clips"] == shared
    assert result.matrix[("zho_eld", "eng_eld")]["training_clips"] == 0

    # the data the models were trained from: held out, nothing said
    again = run_grid(config, {"bimotion": prepared[0]}, tmp_path / "held", log=None)
    assert "warning:" not in capsys.readouterr().err
    assert again.matrix[("zho_eld", "zho_eld")]["training_clips"] == 0


def _probe_training() -> tuple[dict, dict]:
    """The shipped probe config, small: (its fields, its training arguments)."""
    from bimotion.grid import load_config, shipped_config

    shipped = load_config(shipped_config("probe"))
    training = {**shipped.training, "hidden_size": 24, "num_train_epochs": 3}
    return {**shipped.__dict__, "seeds": [0], "bootstrap_samples": 20, "training": training}, training


@pytest.fixture(scope="module")
def probe_grid(prepared, tmp_path_factory):
    """Table 3 of probes trained on ``--seed 0``'s data, scored on ``--seed 1``'s: its result and folder."""
    from bimotion.probe.run import probe_trainer

    config, training = _probe_training()
    config |= {"tables": ["table3"], "extra_tests": [], "projections": []}
    out = tmp_path_factory.mktemp("probe-grid") / "grid"
    trainer = probe_trainer("logmel", training, {"bimotion": str(prepared[0])}, "a test")
    return run_grid(config, {"bimotion": prepared[1]}, out, trainer=_trained_on(prepared[0], trainer), log=None), out


@pytest.mark.slow  # a whole training or grid run in a subprocess (tens of seconds): the slow tier, which CI runs
def test_a_probe_grid_on_another_seeds_data_marks_its_tables_and_the_probe_writes_its_manifest(
    prepared, probe_grid, tmp_path
):
    result, out = probe_grid
    model_dir = out / "models" / "zho_eld" / "seed0"
    assert (model_dir / "probe.pt").is_file() and (model_dir / "train_manifest.txt").is_file()
    shared, of = _shared(model_dir, prepared[1], tmp_path / "cache", "zho_eld")
    assert 0 < shared < of
    baseline = result.cell("table3", "baseline", "zho_eld")
    assert (baseline.model, baseline.training_clips) == ("zho_eld", shared)
    cross = result.cell("table3", "cross_lingual", "zho_eld")  # the eng_eld model: zho_eld's clips held out
    assert cross.training_clips == 0
    table = (out / "tables" / "table3.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith("| Baseline")).split(" | ")
    groups = ["eng_eld", "eng_adu", "zho_eld", "zho_adu"]  # the columns, each its in-group model's own clips
    heard = [_shared(out / "models" / g / "seed0", prepared[1], tmp_path / "cache", g)[0] for g in groups]
    assert heard[2] == shared and heard[3] == 0  # zho_adu is ESD's, split by its official split under every seed
    # ours | paper per group: generated data have no Δ column (a Δ to the paper would mean nothing there)
    header = next(line for line in table.splitlines() if line.startswith("|"))
    assert "Δ" not in header and len(header.split(" | ")) == len(row), header
    assert ["‡" in ours for ours in row[1::2]] == [n > 0 for n in heard] + [True], row  # the average of them too
    assert f"`zho_eld` on zho_eld {shared} of its {of} clips" in table
    assert "‡" not in next(line for line in table.splitlines() if line.startswith("| Cross-lingual"))
    csv = (out / "tables" / "table3.csv").read_text().splitlines()
    assert csv[0].split(",")[-1] == "training_clips"
    assert any(line.startswith("table3,baseline,zho_eld,") and line.endswith(f",{shared}") for line in csv)
    assert r"$^\ddagger$" in (out / "tables" / "table3.tex").read_text()


def test_the_grids_check_and_the_count_it_reads_each_have_a_name_of_their_own():
    """grid/heard.py's own ``training_clips`` counted, marked and warned of a grid model's heard test clips,
    and it imported evaluation's ``training_clips`` (the count alone) as ``counted`` beside it: one name
    for two functions.  The grid's is ``mark_training_clips``; ``training_clips`` there is evaluation's."""
    import ast
    import inspect

    from bimotion.grid import heard

    assert "grid" in inspect.getsource(heard.mark_training_clips) and not hasattr(heard, "training_clips")
    aliased = [
        f"{alias.name} as {alias.asname}"
        for node in ast.walk(ast.parse(inspect.getsource(heard)))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname
    ]
    assert not aliased, aliased
    assert "training_clips(model_dir" in inspect.getsource(heard.mark_training_clips)  # evaluation's count


def test_the_heat_map_marks_a_score_not_held_out_and_says_so_under_the_map(probe_grid):
    """The tables marked a cell of clips its model trained on ``‡``; the heat map of the same grid
    printed it as any held-out score.  Its cell now reads "56.7‡" and the note under the map names it
    as the tables' note does."""
    import matplotlib.pyplot as plt

    from bimotion.grid.heatmap import heatmap_data, heatmap_figure

    result, out = probe_grid
    data = heatmap_data(result)
    fig, _ = heatmap_figure(data, result.config.seeds)
    scores = [t.get_text() for ax in fig.axes if ax.get_images() for t in ax.texts if t.get_fontweight() == "bold"]
    assert len(scores) == len(result.matrix)  # every cell once
    heard = {(m, t): entry["training_clips"] for (m, t), entry in result.matrix.items()}
    assert sum(n > 0 for n in heard.values()) >= 2 and heard[("zho_eld", "zho_eld")] > 0  # in-group cells
    marked = sorted(text.rstrip("‡†*") for text in scores if text.endswith("‡"))
    assert marked == sorted(f"{result.matrix[cell]['mean']:.1f}" for cell, n in heard.items() if n), scores
    note = " ".join(" ".join(t.get_text().split()) for t in fig.texts if "‡" in t.get_text())
    num = result.matrix[("zho_eld", "zho_eld")]["num_test"]
    assert "‡ scored on clips the model trained on, not held out: " in note, note  # the tables' words
    assert f"Mandarin elderly on Mandarin elderly {heard[('zho_eld', 'zho_eld')]} of its {num} clips" in note, note
    plt.close(fig)
    assert (out / "tables" / "heatmap.png").is_file()  # drawn as the grid writes it (looked at: docs/recipes-grid.md)


def test_advise_marks_a_score_of_clips_its_model_trained_on_and_rests_no_advice_on_it(prepared, tmp_path):
    """``bimotion advise`` built its own numbers from the predictions and read no ``training_clips``:
    the in-group baseline (and ``+ Mandarin adults``) scored on test clips they trained on were
    compared, called gains or losses and recommended as if held out.  Each such score is now marked
    ``‡`` as the grid's tables mark it, named in the tables' words, and no verdict or recommendation
    rests on it (nor on a difference from a baseline not held out)."""
    from bimotion.advise import collect_advice, summary_lines, write_advice
    from bimotion.advise.run import advise_config
    from bimotion.grid.runner import Grid
    from bimotion.probe.run import probe_trainer

    config, training = _probe_training()
    data = {"bimotion": str(prepared[1])}
    config = advise_config(config, data, target="zho_eld", groups=["zho_eld", "zho_adu"], log=None)
    trainer = probe_trainer("logmel", training, {"bimotion": str(prepared[0])}, "a test")
    grid = Grid(config, data, tmp_path / "advise", trainer=_trained_on(prepared[0], trainer), log=None)
    grid.run()
    advice = collect_advice(grid)
    write_advice(advice)
    heard = {m.spec: _shared(grid.out / "models" / m.slug / "seed0", prepared[1], tmp_path / "cache", "zho_eld")[0]
             for m in advice.mixtures}  # fmt: skip
    assert heard["zho_eld"] > 0 and heard["zho_eld+zho_adu"] > 0 and heard["zho_adu"] == 0
    assert {m.spec: m.training_clips for m in advice.mixtures} == heard  # the grid's count (its metrics files)
    assert [m.verdict for m in advice.mixtures] == ["baseline", "not_held_out", "not_held_out"]
    # generated data, and a log-mel baseline at chance, say so first
    lines = summary_lines(advice)[bool(advice.synthetic) + bool(advice.caveat) :]
    base, num = heard["zho_eld"], advice.num_test
    assert lines[1].startswith("In-group baseline (zho_eld): ") and " ‡: not held out" in lines[1], lines[1]
    assert lines[2] == (
        f"No recommendation ‡: the in-group baseline was scored on {base} of the {num} test clips that it trained "
        "on, not held out, so no difference from it is evidence."
    )
    assert "no verdict ‡: it was scored on" in lines[3] and "no verdict ‡: the baseline was scored on" in lines[4]
    assert (
        f"‡ scored on clips the model trained on, not held out: `zho_eld` {base} of its {num} clips, "
        f"`zho_eld+zho_adu` {heard['zho_eld+zho_adu']} of its {num} clips (a Δ from such a score too)"
    ) in lines[5]
    saved = json.loads((grid.out / "advice.json").read_text())
    assert [(m["training_clips"], m["verdict"]) for m in saved["mixtures"]] == [
        (heard["zho_eld"], "baseline"), (heard["zho_eld+zho_adu"], "not_held_out"), (0, "not_held_out")
    ]  # fmt: skip
    table = (grid.out / "advice.md").read_text()
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| `")}
    assert "‡" in rows["| `zho_eld`"].split(" | ")[4] and "‡" not in rows["| `zho_adu`"].split(" | ")[4]
    assert rows["| `zho_adu`"].split(" | ")[7].endswith("‡")  # its Δ is from a baseline not held out
    assert "- ‡ scored on clips the model trained on, not held out (the summary names them)." in table
    assert (grid.out / "tables" / "heatmap.png").is_file()


MADE = "loaders.testing.csed, seed 0, size small, scale 1"  # the demo's generated CSED, as a record names it


def _trained_on_generated_csed(tmp_path: Path) -> tuple[Path, dict]:
    """A model folder trained on generated CSED (:data:`MADE`) and real CREMA-D, one clip each, and
    predictions of two test clips named as those."""
    from bimotion.training.outputs import SCORES, write_training_manifest

    model = tmp_path / "model"
    model.mkdir()
    write_training_manifest(model, ["csed/Natural/Nat_Female-1", "crema_d/1001_IEO_ANG_HI"])
    summary = {"train_corpora": ["csed", "crema_d"], "synthetic": {"bimotion": {"csed": MADE}}}
    (model / SCORES).write_text(json.dumps(summary))
    return model, {"id": ["csed/Natural/Nat_Female-1", "crema_d/1001_IEO_ANG_HI"], "group": ["zho_eld", "eng_adu"]}


def test_clip_ids_of_a_generated_corpus_are_not_those_of_the_real_one(tmp_path):
    """A model trained on the demo's generated CSED and scored on the real CSED (whose clips are named
    alike: csed/Natural/Nat_Female-1) was said to be scored on clips it trained on ('1 of the 400 test
    clips ... These are not held-out scores', relation in_group_not_held_out). A corpus generated on one
    side and real, or generated otherwise, on the other shares ids, not audio: its ids no longer count;
    the same generated corpus on both sides still does, and so does a model that records nothing."""
    from bimotion.training.evaluation import training_clips
    from bimotion.training.outputs import SCORES

    model, pred = _trained_on_generated_csed(tmp_path)

    real = training_clips(model, pred, [{"synthetic": None}])
    assert (real["clips"], real["groups"]) == (1, {"eng_adu": {"clips": 1, "of": 1}})  # crema_d: real on both
    assert training_clips(model, pred, [{"synthetic": {"csed": MADE}}])["clips"] == 2  # the same generated data
    other = training_clips(model, pred, [{"synthetic": {"csed": MADE.replace("seed 0", "seed 1")}}])
    assert other["clips"] == 1
    (model / SCORES).write_text(json.dumps({"train_corpora": ["csed", "crema_d"]}))  # records nothing
    assert training_clips(model, pred, [{"synthetic": None}])["clips"] == 2


def test_a_scored_dataset_whose_record_could_not_be_read_is_not_guessed_to_be_real(tmp_path, capsys):
    """A model trained on the demo's generated CSED, scored on a Hub dataset whose prepare.json could not be
    fetched (which records whether its CSED is generated): its clips named as the training clips were read as
    real data, apart from the generated ones, and left unmarked without a word.  Whether they are those
    generated clips cannot be told: they are counted as such (training_clips' undecided), said in one note
    line, and not marked; a corpus real on both sides is still marked, and a readable record is read as before."""
    from bimotion.training.evaluation import training_clips, warn_training_clips

    model, pred = _trained_on_generated_csed(tmp_path)

    seen = training_clips(model, pred, [None], unread={"bimotion": "could not reach the Hub"})
    assert (seen["clips"], seen["groups"]) == (1, {"eng_adu": {"clips": 1, "of": 1}})
    assert seen["undecided"] == {"clips": 1, "datasets": ["bimotion"], "examples": ["csed/Natural/Nat_Female-1"]}
    warn_training_clips(seen, model, {"bimotion": "me/ds"}, "test")
    said = capsys.readouterr().err.splitlines()
    assert said[0] == (
        f"note: 1 of the 2 test clips scored (bimotion me/ds) have the clip id of one {model} was trained on, in a "
        "corpus its training data had generated; whether they are those generated clips or real ones named alike "
        "could not be told, their data's prepare.json not read: they are not marked. Rerun where the Hub answers "
        "to check them"
    ), said
    assert "undecided" not in training_clips(model, pred, [{"synthetic": None}], unread={})  # read: real, apart
