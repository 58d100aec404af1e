"""`bimotion advise`: the paper's question for one target group, on the generated fixture corpora.
Every reported mixture was trained and scored, the summary's numbers are the per-model metrics'
numbers, seeds give confidence intervals, a rerun reuses every model, and both backends run."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import StoppedByTheLauncher
from scipy.stats import t as student_t

from bimotion.advise import group_name
from bimotion.cli import main
from bimotion.grid import MARKER, load_config, prepare_fixtures, shipped_config
from bimotion.grid.config import GridConfig, prepared_groups
from bimotion.grid.plan import make_plan, target_mixtures
from bimotion.mixture import parse_mixture

PAPER_GROUPS = ["eng_eld", "eng_adu", "zho_eld", "zho_adu", "yue_adu", "yue_eld"]


@pytest.fixture(scope="session")
def data_dirs(tmp_path_factory) -> dict[str, Path]:
    return prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")  # shared with test_grid


def test_a_target_grid_plans_baseline_every_augmentation_and_cross_group_inference():
    mixtures = {m.spec: m for m in target_mixtures("zho_eld", PAPER_GROUPS)}
    others = ["eng_eld", "eng_adu", "zho_adu", "yue_adu", "yue_eld"]
    assert list(mixtures) == [
        "zho_eld",
        *(f"zho_eld+{g}" for g in others),
        "zho_eld+eng_eld+yue_eld",  # X(L,a): every elderly group
        "zho_eld+" + "+".join(others),  # X(L,A)
        *others,  # cross-group inference: each other group alone
        "+".join(others),  # ... and all of them
    ]
    # X(l,A) has the same data as "+ Mandarin adults": one model, both names
    assert mixtures["zho_eld+zho_adu"].notation == "X(l,a)+zho_adu = X(l,A)"
    assert [mixtures[g].notation for g in ("eng_eld", "zho_adu", "yue_adu")] == ["X(¬l,a)", "X(l,¬a)", "X(¬l,¬a)"]
    plan = make_plan(GridConfig(tables=[], target="zho_eld", groups=PAPER_GROUPS))
    assert len(plan.models) == len(mixtures) == 14 and plan.tests == ["zho_eld"]
    assert plan.to_json()["target"][0] == {
        "spec": "zho_eld", "role": "baseline", "notation": "X(l,a)", "added": [], "model": "zho_eld"
    }  # fmt: skip
    # groups a prepared folder holds only part of are restricted to the corpora it has
    restricted = target_mixtures("zho_eld", ["zho_eld", "eng_adu[esd]"])
    assert [m.spec for m in restricted] == ["zho_eld", "zho_eld+eng_adu[esd]", "eng_adu[esd]"]
    with pytest.raises(ValueError, match="needs the groups to draw from: run it with `bimotion advise`"):
        make_plan(GridConfig(tables=[], target="zho_eld"))
    with pytest.raises(ValueError, match="'yue_eld' is not among the groups with training data: zho_eld, zho_adu"):
        target_mixtures("yue_eld", ["zho_eld", "zho_adu"])
    assert group_name("yue_eld") == "Cantonese elderly" and group_name("ind_adu") == "Indonesian adults"
    assert group_name("qqq_eld") == "qqq elderly"  # an unknown code is printed as it is


def _half_width(values: list[float], confidence: float) -> float:
    return float(student_t.ppf((1 + confidence) / 2, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values)))


def _metrics(out: Path, slug: str, seed: int, test: str) -> float:
    return 100 * json.loads((out / "metrics" / slug / f"seed{seed}.json").read_text())["tests"][test]["weighted_f1"]


@pytest.fixture(scope="module")
def probe_advice(data_dirs, tmp_path_factory):
    base = tmp_path_factory.mktemp("advise-probe")
    config = dataclasses.asdict(load_config(shipped_config("probe")))  # a dump: no source (not a field)
    config = {**config, "bootstrap_samples": 200, "training": {**config["training"], "num_train_epochs": 5}}
    (base / "probe.yaml").write_text(yaml.safe_dump(config))
    argv = ["advise", "--target", "zho_eld", "--bimotion", str(data_dirs["bimotion"]), "--config",
            str(base / "probe.yaml"), "--groups", "zho_eld", "zho_adu", "--seeds", "0", "1",
            "--output", str(base / "out")]  # fmt: skip
    return argv, base / "out", main(argv)


def test_every_reported_mixture_was_trained_and_scored_and_the_summary_says_their_numbers(probe_advice, capsys):
    _, out, code = probe_advice
    assert code == 0
    advice = json.loads((out / "advice.json").read_text())
    assert advice["target"] == "zho_eld" and advice["seeds"] == [0, 1]
    planned = [m.spec for m in target_mixtures("zho_eld", ["zho_eld", "zho_adu"])]
    assert [m["spec"] for m in advice["mixtures"]] == planned and len(planned) == 3
    assert [m["role"] for m in advice["mixtures"]] == ["baseline", "augment", "inference"]
    base = next(m for m in advice["mixtures"] if m["role"] == "baseline")
    summary = (out / "advice.md").read_text()
    for m in advice["mixtures"]:
        for seed in (0, 1):  # trained on exactly its mixture, and scored on the target's test set
            marker = json.loads((out / "models" / m["slug"] / f"seed{seed}" / MARKER).read_text())
            assert {tuple(s) for s in marker["shards"]} == set(parse_mixture(m["spec"]).shards)
        values = [_metrics(out, m["slug"], seed, advice["test"]) for seed in (0, 1)]
        assert m["score"]["values"] == pytest.approx(values, abs=1e-9)
        deltas = [v - b for v, b in zip(values, base["score"]["values"], strict=True)]
        assert m["delta"]["values"] == pytest.approx(deltas, abs=1e-9)
        assert m["delta"]["mean"] == pytest.approx(np.mean(deltas))
        # seeds give an interval: the Student-t interval of the per-seed values, in the score's range
        half = _half_width(values, advice["confidence"])
        low, high = m["score"]["ci_seeds"]
        assert low == pytest.approx(max(0, np.mean(values) - half)) and high == pytest.approx(
            min(100, np.mean(values) + half)
        )
        assert m["score"]["ci_clips"][0] <= m["score"]["mean"] <= m["score"]["ci_clips"][1]
        if m["role"] == "augment":  # the plain-language line says these very numbers
            pm = m["delta"]["plus_minus"]
            assert pm == pytest.approx(_half_width(deltas, advice["confidence"]))
            verb = "raises" if np.mean(deltas) >= 0 else "lowers"
            line = f"{verb} Mandarin elderly by {abs(np.mean(deltas)):.1f} ± {pm:.1f} weighted-F1 points at the 0.5 threshold"
            assert line in summary, (line, summary)
        if m["role"] == "inference":  # its score, marked † at or below chance as in the table
            mark = " †" if m["score"]["mean"] <= advice["chance"] else ""
            line = f"scores {m['score']['mean']:.1f} ± {m['score']['plus_minus']:.1f}{mark} on Mandarin elderly"
            assert line in summary, (line, summary)
    assert (
        f"In-group baseline (zho_eld): {np.mean(base['score']['values']):.1f} ± {base['score']['plus_minus']:.1f}"
        in summary
    )
    assert f"chance level {advice['chance']:.1f}" in summary and "| Chance level |" in summary
    assert "Adding Mandarin adults raises" in summary or "Adding Mandarin adults lowers" in summary
    assert "with no correction for the 2 made here" in summary  # 2 comparisons with the baseline, each at 95%
    for m in advice["mixtures"][1:]:  # an unclear verdict names the interval that includes 0, with its bounds
        across = [f"[{ci[0]:.1f}, {ci[1]:.1f}]" for ci in (m["delta"]["ci_seeds"], m["delta"]["ci_clips"])
                  if ci[0] <= 0 <= ci[1]]  # fmt: skip
        assert (m["verdict"] == "unclear") <= all(f"{ci}" in summary for ci in across), (m, summary)
    assert "an interval includes 0" not in summary  # which one, in words


def test_advice_on_generated_corpora_says_so_printed_in_advice_md_and_in_advice_json(probe_advice, capsys):
    """`bimotion advise` on the demo's generated corpora printed "Helps most (zho_eld+zho_adu): adding Mandarin
    adults raises Mandarin elderly by 5.8 ± 4.5 weighted-F1 points, to 80.9 (a clear gain)", and neither the
    printed advice nor advice.md said the data is synthetic, as the heat map's title does.  It now says first that
    the corpora are generated: the advice shows that the method works, not what helps real speakers."""
    from bimotion.advise.caveat import synthetic_caveat

    argv, out, _ = probe_advice
    assert main(argv) == 0  # resumed: every model reused
    printed = capsys.readouterr().out
    advice = json.loads((out / "advice.json").read_text())
    assert advice["synthetic"] == ["csed", "esd"], advice["synthetic"]  # zho_eld's and zho_adu's corpora
    line = synthetic_caveat(advice["synthetic"], "zho_eld")
    assert line.startswith("Generated data, not evidence about real speakers: csed and esd are synthetic")
    assert "shows that the method works, not what helps real speakers of Mandarin elderly" in line, line
    first = bool(advice["caveat"])  # after a backend's caveat, which the baseline's † points to as the first line
    assert printed.splitlines()[first] == line, printed
    assert (out / "advice.md").read_text().split("\n\n")[1 + first] == line
    heatmap = json.loads((out / "tables" / "heatmap.provenance.json").read_text())
    assert heatmap["synthetic"] == advice["synthetic"]  # the heat map's one check, not another
    assert synthetic_caveat([], "zho_eld") == ""  # real corpora: no line


def test_a_rerun_reuses_every_model_and_one_seed_falls_back_to_the_bootstrap_alone(probe_advice, capsys):
    argv, out, _ = probe_advice
    before = {p: p.stat().st_mtime_ns for p in out.glob("models/*/seed*/" + MARKER)}
    assert main([*argv[:-5], "--seeds", "0", "--output", str(out)]) == 0  # the same folder, one seed
    captured = capsys.readouterr()
    printed = captured.out
    assert "chance level" in printed
    # the grid's progress goes to stderr, the advice alone to stdout (it printed ~200 [grid] lines there)
    assert "[grid]" not in printed
    # one seed, one test set: singular ("1 seeds, 1 test sets" before); the demo's bar still reads the line
    header = next(line for line in captured.err.splitlines() if line.startswith("[grid] 3 models x"))
    assert header == "[grid] 3 models x 1 seed, 1 test set", header
    from tqdm import tqdm

    from bimotion.commands.demo import _advance

    with tqdm(disable=True) as bar:
        _advance(bar, header)
        assert bar.total == 3
    advice = json.loads((out / "advice.json").read_text())
    # generated corpora and a log-mel baseline at chance (one seed of these small corpora) say so first (the
    # caveats), then the target
    first = printed.strip().splitlines()[1 + bool(advice["caveat"])]
    assert first.startswith("Target: Mandarin elderly (zho_eld)"), printed
    assert {p: p.stat().st_mtime_ns for p in out.glob("models/*/seed*/" + MARKER)} == before
    assert all(m["score"]["ci_seeds"] == [None, None] for m in advice["mixtures"])
    # CSED names no speakers: its bootstrap resampled clips, and says so
    assert "bootstrap interval over test clips (one seed" in printed and advice["by_speaker"] is False


@pytest.mark.parametrize(
    "command, refusal, start",
    [
        # `bimotion predict --model OUT` said only "not a model folder (no config.json); pass the folder a
        # training run saved", as if a fine-tuned model lay elsewhere
        ("predict", "predict does not run", "error: {given}: not a model folder (no config.json), and "),
        # `bimotion push OUT` said only "neither a prepared folder ... nor a fine-tuned model folder ...: give the
        # folder `bimotion prepare` or a training run wrote", not that push does not upload probes either
        ("push", "push does not upload", "error: {given} is neither a prepared folder (prepare.json) nor a fine-tuned"),
    ],
)
def test_a_command_given_a_probe_advise_output_says_its_models_are_probes_and_what_to_do(
    probe_advice, tmp_path, capsys, command, refusal, start
):
    """predict and push, given the output of advise's default probe backend (or its models/<mixture>), say
    the models below are probes, which they do not take, and how to get fine-tuned ones (one wording)."""
    _, out, _ = probe_advice
    probes = sorted(str(p.parent) for p in out.glob("models/*/seed*/probe.json"))
    assert len(probes) == 6  # 3 mixtures x 2 seeds
    fix = (
        f"which {refusal}: fine-tune the mixture you want with recipes/train.py --train_configs "
        "MIXTURE, or rerun bimotion advise with --config paper"
    )
    seed0 = str(out / "models" / "zho_eld" / "seed0")
    cases = [
        (out, f"the 6 model folders below it ({probes[0]}, ...) are probes (heads on frozen features"),
        (out / "models" / "zho_eld", f"the 2 model folders below it ({seed0}, ...) are probes"),
    ]
    for given, said in cases:
        argv = {
            "predict": ["predict", "--model", str(given), str(tmp_path / "clip.wav"), "--no-progress"],  # never read
            "push": ["push", str(given), "--repo-id", "me/x", "--dry-run"],
        }[command]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(start.format(given=given)) and said in err and fix in err, err
        assert "pass the folder a training run saved" not in err and "give the folder" not in err, err


def test_probes_moved_a_level_deeper_in_an_advise_output_still_say_rerun_advise(probe_advice, tmp_path):
    """probes_note found the output folder as the third folder above a probe (OUT of OUT/models/<model>/seed<k>):
    with the mixtures filed a level deeper (OUT/models/batch1/<model>/seed<k>) and OUT/models given, it read
    OUT/models, found no marker and said "rerun bimotion advise ..., or rerun recipes/grid.py ..." of an advise
    output.  It walks up from the probe now: advise's advice.json, above the models/ the probe lies in, is found."""
    from bimotion.training.outputs import probes_note

    _, out, _ = probe_advice
    moved = tmp_path / "out"
    shutil.copytree(out, moved, ignore=shutil.ignore_patterns("models"))
    shutil.copytree(out / "models", moved / "models" / "batch1")
    advise = "or rerun bimotion advise with --config paper"
    for given in (moved / "models", moved / "models" / "batch1", moved / "models" / "batch1" / "zho_eld"):
        note = probes_note(given, "predict does not run")
        assert note is not None and note.endswith(advise) and "recipes/grid.py" not in note, (given, note)
    (moved / "advice.json").unlink()  # a grid's output (plan.json alone) says the grid, at this depth too
    note = probes_note(moved / "models", "predict does not run")
    assert note.endswith(
        "or rerun recipes/grid.py with a config that fine-tunes (backend: finetune, as --config paper)"
    )
    # a marker outside the folder given, beside no models/ the probe lies in, is not the output's
    lone = tmp_path / "lone"
    shutil.copytree(out / "models" / "zho_eld", lone / "zho_eld")
    (tmp_path / "advice.json").write_text("{}")
    assert probes_note(lone, "predict does not run").endswith(
        f"{advise}, or rerun recipes/grid.py with a config that fine-tunes (backend: finetune, as --config paper)"
    )


def test_a_model_scored_on_other_clips_than_the_baseline_is_refused(probe_advice, tmp_path):
    """A difference pairs the two models clip by clip (the same resamples): predictions of another
    order or set of clips would pair clips that are not the same."""
    argv, out, _ = probe_advice
    copy = Path(shutil.copytree(out, tmp_path / "out"))
    for npz in copy.glob("predictions/zho_adu/seed0/*.npz"):
        with np.load(npz) as saved:
            reversed_rows = {
                k: saved[k][::-1] if saved[k].ndim else saved[k] for k in saved.files
            }  # rows, not the dtype record
        np.savez(npz, **reversed_rows)
    with pytest.raises(ValueError, match="zho_adu was scored on other test clips than the baseline zho_eld"):
        main([*argv[:-5], "--seeds", "0", "--output", str(copy)])


def _a_unit_taken_after_the_tables(probe_advice, tmp_path, monkeypatch) -> tuple[list[str], Path, Path, list]:
    """A copy of the advice's folder in which, once its grid wrote the tables, another worker claims a unit and its
    prediction file is gone: the advise command line on it, the folder, that file and the claim held (to release)."""
    from bimotion.grid.claims import Claims
    from bimotion.grid.runner import Grid

    argv, out, _ = probe_advice
    copy = Path(shutil.copytree(out, tmp_path / "out"))
    (copy / "advice.md").unlink()
    (path,) = copy.glob("predictions/zho_adu/seed0/*.npz")
    run = Grid.run
    held = []

    def run_then_another_worker_takes_a_unit(self):
        result = run(self)
        held.append(Claims(copy / "claims").acquire("zho_adu.seed0"))  # a live worker predicting it again
        path.unlink()
        return result

    monkeypatch.setattr(Grid, "run", run_then_another_worker_takes_a_unit)
    return [*argv[:-5], "--seeds", "0", "--output", str(copy)], copy, path, held


def test_advise_beside_a_worker_holding_a_unit_predicts_none_of_its_files(probe_advice, tmp_path, capsys, monkeypatch):
    """Advise read its numbers with the grid's predict-if-missing (Grid.predictions), without the unit's claim: a
    prediction file gone (or to be predicted again in this machine's dtype) after its grid wrote the tables, while
    another worker held that unit and was predicting it, was predicted here too, the two writing one file at
    once, and the advice written from it. Now advise reads the predictions as the tables do (predicting none):
    one error line naming the file and the worker holding it, exit 1, the file and the advice not written."""
    argv, copy, path, held = _a_unit_taken_after_the_tables(probe_advice, tmp_path, monkeypatch)
    capsys.readouterr()
    try:
        assert main(argv) == 1
    finally:
        held[0].release()
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(
        f"error: the advice was not written: zho_adu seed 0 ({path} is to be predicted again; claimed by "
    ), errors
    assert "rerun this command once that worker is done" in errors[0], errors
    assert not path.exists() and not (copy / "advice.md").exists()


def test_advice_not_collected_is_said_by_the_main_process_of_a_launch_alone(
    probe_advice, tmp_path, capsys, monkeypatch, other_process
):
    """`accelerate launch --num_processes 2 -m bimotion advise` whose advice could not be read from its grid (a
    unit's file to predict again) printed that error on every process, once each, where the launch's other errors
    are said once (test_an_error_every_process_of_a_launched_advise_meets_is_said_once).  Another process of the
    launch now leaves it to the main process, saying nothing until the launcher stops it."""
    argv, copy, path, held = _a_unit_taken_after_the_tables(probe_advice, tmp_path, monkeypatch)
    capsys.readouterr()
    try:
        with pytest.raises(StoppedByTheLauncher):
            main(argv)
    finally:
        held[0].release()
    assert not [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert not (copy / "advice.md").exists()


USAGE_ERRORS = {  # bimotion advise's own checks of its arguments (beyond argparse's): its arguments, the error said
    "no prepared datasets": (lambda data, tmp: [], "error: give the prepared datasets: --bimotion DIR and/or "),
    "a config not there": (
        lambda data, tmp: ["--bimotion", data, "--config", tmp / "missing.yaml"],
        "error: --config {tmp}/missing.yaml: no grid config file ",
    ),
    "a group not prepared": (
        lambda data, tmp: ["--bimotion", data, "--groups", "zho_eld", "nope"],
        "error: group 'nope' (--groups, or groups: in the config) is not one the prepared datasets hold",
    ),
    "an --output that is a file": (
        lambda data, tmp: ["--bimotion", data, "--output", data / "prepare.json"],
        "error: --output {data}/prepare.json is a file; give a folder",
    ),
}


def _usage_error_run(case: str, tmp_path) -> tuple[list, str]:
    """``bimotion advise``'s arguments of the ``USAGE_ERRORS`` case, and the start of the line that says it."""
    from bimotion.training import testing

    data = testing.write_prepared(tmp_path / "data", shards=[("csed", "zho_eld"), ("esd", "zho_adu")])
    flags, said = USAGE_ERRORS[case]
    return ["advise", "--target", "zho_eld", *flags(data, tmp_path)], said.format(tmp=tmp_path, data=data)


@pytest.mark.parametrize("process", ["main", "other"])
@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_advises_usage_errors_are_said_once_for_a_launch(case, process, tmp_path, capsys, request):
    """`accelerate launch --multi_gpu --num_processes 2 -m bimotion advise` with a bad argument (no prepared dataset,
    a --config not there, a group not prepared, an --output that is a file) printed its `error:` line once per process,
    twice, where the launch's other errors are said once.  The main process says it, exit 2; another process of the
    launch says nothing until the launcher stops it."""
    argv, said = _usage_error_run(case, tmp_path)
    capsys.readouterr()
    if process == "other":
        request.getfixturevalue("other_process")
        with pytest.raises(StoppedByTheLauncher):
            main(list(map(str, argv)))
    else:
        assert main(list(map(str, argv))) == 2
    printed = capsys.readouterr()
    errors = [line for line in printed.err.splitlines() if line.startswith("error: ")]
    assert printed.out == "" and "Traceback" not in printed.err, printed
    assert len(errors) == (0 if process == "other" else 1), printed.err
    if process == "main":
        assert errors[0].startswith(said), errors


@pytest.mark.parametrize("argv", [["advise", "--seeds", "x"], ["advise", "--taget", "zho_eld"], ["advize"]])
def test_an_argument_argparse_refuses_is_said_once_for_a_launch(argv, capsys, other_process):
    """`accelerate launch --multi_gpu --num_processes 2 -m bimotion advise --seeds x` (a value argparse refuses, a
    mistyped flag, a mistyped command) printed the usage and its `error:` line on each process, twice.  Another process
    of the launch now says nothing until the launcher stops it; the main process says it, as without a launch."""
    capsys.readouterr()
    with pytest.raises(StoppedByTheLauncher):
        main(argv)
    assert capsys.readouterr().err == ""


@pytest.mark.slow  # a CPU launch of 2 processes (about 12 s)
def test_an_advise_usage_error_in_a_launch_of_two_processes_is_said_once(tmp_path):
    """For real: `accelerate launch --multi_gpu --num_processes 2 -m bimotion advise --groups zho_eld nope` printed
    its `error:` line twice."""
    from bimotion.training.testing import cpu_launch, subprocess_env

    argv, said = _usage_error_run("a group not prepared", tmp_path)
    run = subprocess.run(cpu_launch("-m", "bimotion", *argv), env=subprocess_env(), capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert run.returncode != 0 and len(errors) == 1 and errors[0].startswith(said), run.stderr[-3000:]


def _noted_then_refused(tmp_path) -> tuple[list, str]:
    """``bimotion advise``'s arguments that print a ``note:`` (zho_adu has train rows only: added to the target's
    data) and then an error (its --output a file), before anything trains; and that note."""
    from bimotion.training import testing

    data = testing.write_prepared(tmp_path / "data", shards=[("csed", "zho_eld"), ("esd", "zho_adu")])
    thin = thin_copy({"bimotion": data}, tmp_path, lambda s: s["group"] == "zho_adu" and s["split"] != "train")
    argv = ["advise", "--target", "zho_eld", "--bimotion", thin, "--groups", "zho_eld", "zho_adu"]
    note = (
        "note: zho_adu has no validation or test rows (too few speakers): it is only added to zho_eld's data, "
        "not trained on alone"
    )
    return [*argv, "--output", thin / "prepare.json"], note


@pytest.mark.parametrize("process", ["main", "other"])
def test_advises_notes_are_said_once_for_a_launch(process, tmp_path, capsys, request, monkeypatch):
    """`accelerate launch --multi_gpu --num_processes 2 -m bimotion advise` printed its `note:` lines (a group only
    added to the target's data) once per process, twice, where its errors are said once.  The main process says
    each once; another process of the launch says none."""
    argv, note = _noted_then_refused(tmp_path)
    capsys.readouterr()
    if process == "other":
        monkeypatch.setenv("RANK", "1")
        request.getfixturevalue("other_process")
        with pytest.raises(StoppedByTheLauncher):
            main(list(map(str, argv)))
        assert capsys.readouterr().err == ""
    else:
        assert main(list(map(str, argv))) == 2
        assert capsys.readouterr().err.splitlines() == [note, f"error: --output {argv[-1]} is a file; give a folder"]


@pytest.mark.slow  # a CPU launch of 2 processes (about 12 s)
def test_advises_note_in_a_launch_of_two_processes_is_said_once(tmp_path):
    """For real: `accelerate launch --multi_gpu --num_processes 2 -m bimotion advise` printed its `note:` line
    twice, once per process."""
    from bimotion.training.testing import cpu_launch, subprocess_env

    argv, note = _noted_then_refused(tmp_path)
    run = subprocess.run(cpu_launch("-m", "bimotion", *argv), env=subprocess_env(), capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    said = [line for line in run.stderr.splitlines() if line.startswith(("note: ", "error: "))]
    assert run.returncode != 0 and said == [note, f"error: --output {argv[-1]} is a file; give a folder"], run.stderr


def test_fine_tuning_backend_gives_the_advice_too(data_dirs, tmp_path):
    from test_grid import TRAINING

    training = {**TRAINING, "max_steps": 4}  # the plumbing, not the numbers
    config = {"target": "zho_eld", "groups": ["zho_eld", "zho_adu"], "tiny_model": {}, "seeds": [0],
              "training": training, "bootstrap_samples": 100, "num_threads": 1}  # fmt: skip
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config))
    argv = ["advise", "--config", str(tmp_path / "tiny.yaml"), "--bimotion", str(data_dirs["bimotion"]),
            "--output", str(tmp_path / "out")]  # fmt: skip
    assert main(argv) == 0
    advice = json.loads((tmp_path / "out" / "advice.json").read_text())
    assert [m["role"] for m in advice["mixtures"]] == ["baseline", "augment", "inference"]
    assert advice["backend"] == "fine-tuning a tiny random wav2vec2"
    # random weights: said first, with the command that asks the pretrained XLSR-53 on the same folder
    assert advice["caveat"].startswith("Not evidence about your data: every model here fine-tunes a tiny wav2vec2")
    paragraphs = (tmp_path / "out" / "advice.md").read_text().split("\n\n")
    assert paragraphs[1] == advice["caveat"], paragraphs[:2]  # then the line saying the data is generated
    assert f"bimotion advise --config paper --target zho_eld --bimotion {data_dirs['bimotion']}" in advice["caveat"]
    for m in advice["mixtures"]:
        assert m["score"]["values"] == pytest.approx([_metrics(tmp_path / "out", m["slug"], 0, "zho_eld")])
    assert re.search(
        r"Adding Mandarin adults (raises|lowers) Mandarin elderly by", (tmp_path / "out" / "advice.md").read_text()
    )


def test_bad_arguments_fail_before_anything_trains(data_dirs, tmp_path, capsys):
    assert prepared_groups(data_dirs) == PAPER_GROUPS  # what advise draws from without --groups
    bim = ["--bimotion", str(data_dirs["bimotion"]), "--output", str(tmp_path / "o")]
    cases = [
        (["--target", "yue_eld", *bim], "'yue_eld' is not among the groups with training data"),
        ([*bim], "give the target group"),
        (["--target", "zho_eld", "--config", "nope", *bim], "no grid config 'nope'"),
        (["--target", "zho_eld", "--bimotion", str(tmp_path / "missing")], "does not exist"),
    ]
    for args, message in cases:
        assert main(["advise", *args]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_config_file_with_a_yaml_syntax_error_is_one_line_naming_the_flag(tmp_path, capsys):
    """A YAML syntax error in advise's --config file was a traceback (the demo's says it in one line)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables: [table3\n")
    args = ["--target", "zho_eld", "--bimotion", str(tmp_path / "missing"), "--output", str(tmp_path / "o")]
    assert main(["advise", "--config", str(bad), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --config {bad}: ") and "expected ',' or ']'" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["advise", "--config", "nope", *args]) == 2  # a shipped name mistyped: named as the flag too
    assert capsys.readouterr().err.startswith("error: --config nope: no grid config 'nope'")
    assert not (tmp_path / "o").exists()


def test_a_usage_error_answers_without_importing_torch_or_transformers(data_dirs, tmp_path):
    """advise's checks raised their errors through the recipes' argument module, which imports
    transformers and torch: a repeated seed or a mistyped group took 4-6 s to be told."""
    import subprocess
    import sys

    code = (
        "import sys; from bimotion.cli import main; "
        f"rc = main(['advise', '--target', 'zho_eld', '--bimotion', {str(data_dirs['bimotion'])!r}, '--seeds', '0', '0', "
        f"'--output', {str(tmp_path / 'o')!r}]); "
        "print(rc, sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().endswith("2 []"), done  # exit code 2, neither module imported
    assert "--seeds lists seed 0 more than once" in done.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"seeds": [0, 0]}, "built in Python: seeds: lists seed 0"),
        ({"bootstrap_samples": 0}, "built in Python: bootstrap_samples: must be"),
    ],
)
def test_a_probe_configs_seeds_and_bootstrap_are_checked_before_anything_trains(data_dirs, tmp_path, setting, message):
    """They were checked for fine-tuning only: a probe advice trained every model, then failed in
    the bootstrap (IndexError) or wrote one model per repeated seed."""
    from bimotion.advise import advise, advise_config

    config = {"backend": "probe", "features": "logmel", **setting}
    with pytest.raises(ValueError, match=message):
        advise_config(config, data_dirs, target="zho_eld")
    with pytest.raises(ValueError, match=message):
        advise(config, data_dirs, tmp_path / "o", target="zho_eld", groups=["zho_eld", "zho_adu"])
    assert not (tmp_path / "o" / "models").exists()


def thin_copy(data_dirs, tmp_path, drop) -> Path:
    """The prepared BiMotion fixture, its prepare.json without the shards ``drop(shard)`` names (a
    group of one or two speakers, split by whole speakers, has train rows only)."""
    import shutil

    thin = Path(shutil.copytree(data_dirs["bimotion"], tmp_path / "thin", dirs_exist_ok=True))
    info = json.loads((data_dirs["bimotion"] / "prepare.json").read_text())
    info["shards"] = [s for s in info["shards"] if not drop(s)]
    (thin / "prepare.json").write_text(json.dumps(info))
    return thin


def test_a_group_without_validation_rows_is_only_added_to_the_target(data_dirs, tmp_path):
    """A user's adults of two speakers have train rows only: advise left the group out (or refused it
    by name), so "does adding my adults help my elderly?" could not be asked.  Now it is only added to
    the target's data (selected on the target's validation rows): no model of it alone."""
    from bimotion.advise import advise_config

    thin = thin_copy(data_dirs, tmp_path, lambda s: s["group"] == "zho_adu" and s["split"] != "train")
    for groups in (None, ["zho_eld", "zho_adu", "eng_eld"]):  # drawn from the prepared groups, or named
        notes = []
        config = advise_config("advise-tiny", {"bimotion": thin}, target="zho_eld", groups=groups, log=notes.append)
        assert "zho_adu" in config.groups and config.augment_only == ["zho_adu"]
        assert notes == [
            "note: zho_adu has no validation or test rows (too few speakers): it is only added to zho_eld's data, "
            "not trained on alone"
        ]
        specs = {m.spec: m.role for m in make_plan(config).target}
        assert specs["zho_eld+zho_adu"] == "augment" and "zho_adu" not in specs
        assert any("zho_adu" in spec for spec, role in specs.items() if role == "augment" and spec.count("+") > 1)
    # the target itself needs validation rows: its baseline selects on them
    thin = thin_copy(data_dirs, tmp_path, lambda s: s["group"] == "zho_eld" and s["split"] == "validation")
    with pytest.raises(ValueError, match=r"zho_eld needs validation rows of at least one of its groups \(zho_eld\)"):
        advise_config("advise-tiny", {"bimotion": thin}, target="zho_eld")


def test_a_grid_model_of_a_group_without_validation_rows_is_one_line_before_anything_trains(
    data_dirs, tmp_path, capsys
):
    """In a grid of its own (not added to a target), a model of such a group alone is refused before
    training, naming it, instead of a traceback after the first models."""
    thin = thin_copy(data_dirs, tmp_path, lambda s: s["group"] == "zho_adu" and s["split"] != "train")
    from bimotion.grid.checks import check_rows

    config = GridConfig(tables=[], mixtures=["zho_adu", "zho_eld+zho_adu"], extra_tests=["zho_eld"], seeds=[0])
    with pytest.raises(ValueError, match=r"zho_adu needs validation rows of at least one of its groups \(zho_adu\)"):
        check_rows(make_plan(config), {"bimotion": str(thin)})
    # beside a group that has them, it is trained on and the model selects on the other group's rows
    config = GridConfig(tables=[], mixtures=["zho_eld+zho_adu"], extra_tests=["zho_eld"], seeds=[0])
    check_rows(make_plan(config), {"bimotion": str(thin)})


def test_an_augment_only_group_trains_and_is_reported_end_to_end(data_dirs, tmp_path, capsys):
    """The probe backend, one seed: the augmented model selects on the target's validation rows."""
    thin = thin_copy(data_dirs, tmp_path, lambda s: s["group"] == "zho_adu" and s["split"] != "train")
    config = dataclasses.asdict(load_config(shipped_config("probe")))  # a dump: no source (not a field)
    config = {**config, "bootstrap_samples": 100, "training": {**config["training"], "num_train_epochs": 2}}
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    argv = ["advise", "--target", "zho_eld", "--bimotion", str(thin), "--config", str(tmp_path / "probe.yaml"),
            "--groups", "zho_eld", "zho_adu", "--seeds", "0", "--output", str(tmp_path / "out")]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert (printed.out + printed.err).count("note: zho_adu has no validation or test rows") == 1  # it was twice
    advice = json.loads((tmp_path / "out" / "advice.json").read_text())
    assert [m["spec"] for m in advice["mixtures"]] == ["zho_eld", "zho_eld+zho_adu"]
    # the report says why zho_adu has no model of its own (the note went to the terminal only)
    assert advice["augment_only"] == ["zho_adu"]
    assert (
        "- Mandarin adults: too few speakers for both validation and test rows, so only added to the data of Mandarin elderly, never"
        in (tmp_path / "out" / "advice.md").read_text()
    )
    scores = json.loads(next((tmp_path / "out" / "models").glob("*zho_adu*/seed0/scores.json")).read_text())
    assert scores["validation_configs"] == ["zho_eld"], scores.get("validation_configs")


def test_a_handful_of_test_clips_gives_no_verdict(capsys):
    from bimotion.advise.collect import MIN_VERDICT_CLIPS, Estimate, MixtureResult

    sure = Estimate([100.0], 100.0, 0.0, [math.nan] * 2, [100.0, 100.0], 0.0)  # one clip: a zero-width interval
    mixture = MixtureResult("zho_eld+zho_adu", "m", "m", "augment", "X(l,A)", ["zho_adu"], sure, sure, test_clips=1)
    assert mixture.verdict == "too_few"
    # a mean over corpora weighs a 1-clip corpus as much as a 300-clip one: its size is what counts
    from bimotion.advise.collect import judged_clips

    two = {"group": np.array(["eng_eld"] * 301), "corpus": np.array(["crema_d"] * 300 + ["tess"])}
    assert (judged_clips(two, "mean"), judged_clips(two, "weighted"), judged_clips(two, "pooled")) == (1, 301, 301)
    assert MixtureResult(**{**mixture.__dict__, "test_clips": MIN_VERDICT_CLIPS}).verdict == "helps"
    # the headline calls the top mixture a help only when the verdict is a clear gain
    from bimotion.advise.collect import Advice
    from bimotion.advise.report import _verdict_line

    low = Estimate([50.0], 50.0, 0.0, [math.nan] * 2, [50.0, 50.0], 0.0)
    baseline = MixtureResult("zho_eld", "b", "b", "baseline", "l_a", [], low, low, test_clips=1)
    advice = Advice("zho_eld", "zho_eld", 1, 30.0, [0], 0.95, 1000, "mean", "probe", [baseline, mixture], Path("."))
    assert _verdict_line(advice).startswith("Highest on average (zho_eld+zho_adu)") and "no verdict" in _verdict_line(
        advice
    )
    sure_advice = Advice(
        **{**advice.__dict__, "mixtures": [baseline, MixtureResult(**{**mixture.__dict__, "test_clips": 99})]}
    )
    assert _verdict_line(sure_advice).startswith("Helps most (zho_eld+zho_adu)")
    at_chance = Advice(**{**advice.__dict__, "chance": 100.0})  # every model at or below it
    assert _verdict_line(at_chance).startswith("No model scores above chance (100.0) on Mandarin elderly")
    # the baseline at chance and nothing better: no advice to keep it (it said "keep training ... alone")
    worse = MixtureResult(
        **{**mixture.__dict__, "score": low, "delta": Estimate([-1.0], -1.0, 0.0, [math.nan] * 2, [-1.0, -1.0], 0.0)}
    )
    stuck = Advice(**{**advice.__dict__, "chance": 55.0, "mixtures": [baseline, worse]})
    assert "keep training" not in _verdict_line(stuck) and "No model scores above chance" in _verdict_line(stuck)
    # nothing better on a handful of test clips: no advice to keep the baseline either (helper's user run)
    few = _verdict_line(Advice(**{**stuck.__dict__, "chance": 30.0}))
    assert few.startswith("Nothing beats the in-group baseline on average (no verdict") and "keep training" not in few
    enough = [baseline, MixtureResult(**{**worse.__dict__, "test_clips": MIN_VERDICT_CLIPS})]
    assert "keep training on Mandarin elderly alone" in _verdict_line(
        Advice(**{**stuck.__dict__, "chance": 30.0, "mixtures": enough})
    )


def test_an_unclear_difference_says_which_interval_includes_0():
    """ "not clear: an interval includes 0" left a user to find in advice.md which: the interval over
    seeds (the seeds disagree) or over test speakers (too few speakers to tell)."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import summary_lines

    def delta(ci_seeds: list[float], ci_clips: list[float]) -> Estimate:
        return Estimate([4.0, 6.0], 5.0, 1.4, ci_seeds, ci_clips, 3.0)

    score = Estimate([60.0, 62.0], 61.0, 1.4, [55.0, 67.0], [50.0, 70.0], 6.0)
    baseline = MixtureResult("zho_eld", "b", "b", "baseline", "l_a", [], score, delta([0, 0], [0, 0]), chance=30.0)
    cases = {
        "zho_adu": (
            delta([-1.5, 11.5], [1.0, 9.0]),
            "not clear: its 95% interval over seeds, [-1.5, 11.5], includes 0",
        ),
        "eng_eld": (delta([2.0, 8.0], [-3.25, 13.0]), "its 95% interval over test speakers, [-3.2, 13.0], includes 0"),
        "eng_adu": (delta([-1.0, 11.0], [-2.0, 12.0]), "both 95% intervals include 0, over seeds [-1.0, 11.0] and"),
        "yue_eld": (delta([1.0, 9.0], [-9.0, -1.0]), "intervals over seeds and over test speakers lie on opposite"),
    }
    mixtures = [baseline] + [
        MixtureResult(f"zho_eld+{g}", g, g, "augment", f"X(l,a)+{g}", [g], score, d, chance=30.0)
        for g, (d, _) in cases.items()
    ]
    assert {m.verdict for m in mixtures[1:]} == {"unclear"}
    text = "\n".join(summary_lines(Advice("zho_eld", "zho_eld", 48, 30.0, [0, 1], 0.95, 100, "mean", "probe",
                                           mixtures, Path("."))))  # fmt: skip
    for group, (_, words) in cases.items():
        assert words in text, (group, text)
    one_seed = MixtureResult(**{**mixtures[1].__dict__, "delta": Estimate([5.0], 5.0, 0.0, [math.nan] * 2,
                                                                          [-1.0, 11.0], 6.0)})  # fmt: skip
    advice = Advice("zho_eld", "zho_eld", 48, 30.0, [0], 0.95, 100, "mean", "probe", [baseline, one_seed], Path("."))
    assert "(not clear: its 95% interval over test speakers, [-1.0, 11.0], includes 0)" in "\n".join(
        summary_lines(advice)
    )


@pytest.mark.usefixtures("own_corpora")  # ind_eld and canto: the specs are parsed
def test_a_group_drawn_from_some_of_its_corpora_is_named_with_them():
    """A folder prepared with TESS alone (its groups eng_eld[tess], eng_adu[tess]): the summary said "Adding
    English elderly raises Indonesian elderly by ..." and "a model of English elderly alone", of one corpus's
    clips (TESS: one speaker a group); the mixture's corpora are now named with the group, in the summary and
    in the table's "Other groups" column, and the target's where its test set is some of them."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import _row, summary_lines

    score = Estimate([60.0, 62.0], 61.0, 1.4, [55.0, 67.0], [50.0, 70.0], 6.0)
    delta = Estimate([4.0, 6.0], 5.0, 1.4, [1.0, 9.0], [1.0, 9.0], 3.0)
    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "X(l,a)", [], score, delta, chance=30.0)
    mixtures = [
        baseline,
        MixtureResult("ind_eld+eng_eld[tess]", "a", "a", "augment", "X(l,a)+eng_eld", ["eng_eld"], score, delta),
        MixtureResult("ind_eld+eng_eld[crema_d,tess]+zho_eld", "c", "c", "augment", "X(L,a)", ["eng_eld", "zho_eld"],
                      score, delta),
        MixtureResult("eng_eld[tess]", "i", "i", "inference", "X(¬l,a)", ["eng_eld"], score, delta),
    ]  # fmt: skip
    advice = Advice("ind_eld", "ind_eld", 48, 30.0, [0, 1], 0.95, 100, "mean", "probe", mixtures, Path("."))
    text = "\n".join(summary_lines(advice))
    assert "- Adding English elderly (tess) raises Indonesian elderly by 5.0 ± 3.0" in text, text
    assert "- Adding English elderly (crema_d, tess) and Mandarin elderly raises" in text, text
    assert "- Cross-group inference: a model of English elderly (tess) alone scores 61.0 ± 6.0" in text, text
    assert "| English elderly (tess) |" in _row(mixtures[1], 30.0)
    assert "| English elderly (crema_d, tess) and Mandarin elderly |" in _row(mixtures[2], 30.0)
    # the target drawn from one corpus (README: --target yue_eld --groups "yue_eld[canto]" yue_adu): "Target:
    # Cantonese elderly (yue_eld)" and "keep training on Cantonese elderly alone", of canto's test clips only
    part = MixtureResult("yue_eld[canto]+yue_adu", "a", "a", "augment", "X(l,A)", ["yue_adu"], score, delta)
    base = MixtureResult(**{**baseline.__dict__, "spec": "yue_eld[canto]"})
    canto = Advice("yue_eld", "yue_eld[canto]", 24, 30.0, [0, 1], 0.95, 100, "mean", "probe", [base, part], Path("."))
    text = "\n".join(summary_lines(canto))
    assert text.startswith("Target: Cantonese elderly (yue_eld[canto]), 24 test clips;"), text
    assert "- Adding Cantonese adults raises Cantonese elderly (canto) by 5.0 ± 3.0" in text, text


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_no_helps_or_hurts_when_the_model_and_the_baseline_are_both_at_chance():
    """Every mixture of a run at chance was a "clear loss" (advice.json: verdict "hurts") right after
    the summary said their differences say nothing; and one seed printed "± 0.00" as a spread."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    def estimate(value: float) -> Estimate:
        return Estimate([value], value, 0.0, [math.nan] * 2, [value - 1, value + 1], 1.0)

    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "l_a", [], estimate(45.6), estimate(0.0), chance=50.0)
    lost = MixtureResult(
        "ind_eld+eng_eld",
        "m",
        "m",
        "augment",
        "X(l,a)+eng_eld",
        ["eng_eld"],
        estimate(0.0),
        estimate(-45.6),
        chance=50.0,
    )
    assert lost.verdict == "at_chance"
    assert MixtureResult(**{**lost.__dict__, "chance": 30.0}).verdict == "hurts"  # the baseline above chance: a loss
    gained = MixtureResult(**{**lost.__dict__, "score": estimate(80.0), "delta": estimate(34.4)})
    assert gained.verdict == "helps"  # above chance where the baseline is not: it taught something
    advice = Advice("ind_eld", "ind_eld", 48, 50.0, [0], 0.95, 1000, "mean", "probe", [baseline, lost], Path("."))
    assert advice.to_json()["mixtures"][1]["verdict"] == "at_chance"
    lines = summary_lines(advice)
    assert "a clear loss" not in "\n".join(lines) and "both at or below chance" in lines[-2], lines
    assert "± 0.00" not in render_markdown(advice) and "| 45.60† |" in render_markdown(advice)
    # how the test set's corpora are combined, in words (was "combined by group_score = mean", a config key alone)
    assert (
        "its corpora each scored on its own, then the plain mean of their scores (each corpus weighs the same) "
        "(`group_score: mean`)" in render_markdown(advice)
    )


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_a_mixtures_at_chance_verdict_names_the_reading_it_judged():
    """A mixture's own line said "no verdict: it and the baseline are both at or below chance", judged at
    the 0.5 threshold only, under a headline saying the models rank the labels above chance by arg-max;
    it now names the reading (the grid's metric) it judged."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import summary_lines

    def estimate(value: float) -> Estimate:
        return Estimate([value], value, 0.0, [math.nan] * 2, [value - 1, value + 1], 1.0)

    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "l_a", [], estimate(45.6), estimate(0.0), chance=50.0)
    lost = MixtureResult(
        "ind_eld+eng_eld", "m", "m", "augment", "X(l,a)+eng_eld", ["eng_eld"], estimate(40.0), estimate(-5.6),
        chance=50.0, argmax=[60.0],
    )  # fmt: skip
    advice = Advice("ind_eld", "ind_eld", 48, 50.0, [0], 0.95, 1000, "mean", "probe", [baseline, lost], Path("."))
    line = next(line for line in summary_lines(advice) if line.startswith("- Adding"))
    assert line.endswith("(no verdict: it and the baseline are both at or below chance at the 0.5 threshold)."), line
    argmax = Advice(**{**advice.__dict__, "metric": "weighted_f1_argmax"})
    line = next(line for line in summary_lines(argmax) if line.startswith("- Adding"))
    assert line.endswith("(no verdict: it and the baseline are both at or below chance read by arg-max)."), line


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_a_model_scoring_0_on_labels_it_trained_on_says_why_with_its_arg_max_reading():
    """`bimotion advise --target ind_eld` on a small own corpus printed "a model of English adults alone scores
    0.0 ± 0.0 † on Indonesian elderly" with no word of why, where train.py's table explains a 0.0 (no label
    predicted right at the 0.5 threshold) with the same scores read by arg-max; a 0.0 of untrained labels keeps
    their line alone."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    def estimate(value: float) -> Estimate:
        return Estimate([value], value, 0.0, [math.nan] * 2, [value - 1, value + 1], 1.0)

    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "X(l,a)", [], estimate(91.4), estimate(0.0), chance=40.0)
    zero = dict(score=estimate(0.0), delta=estimate(-91.4), chance=40.0, argmax=[8.3], ua=[16.7])
    english = MixtureResult("eng_adu", "e", "e", "inference", "X(¬l,¬a)", ["eng_adu"], **zero)
    mandarin = MixtureResult("zho_eld", "z", "z", "inference", "X(¬l,a)", ["zho_eld"], untrained=["anger"], **zero)
    added = MixtureResult("ind_eld+eng_eld", "a", "a", "augment", "X(l,a)+eng_eld", ["eng_eld"], **zero)
    advice = Advice(
        "ind_eld", "ind_eld", 48, 40.0, [0], 0.95, 1000, "mean", "probe", [baseline, added, english, mandarin],
        Path("."), chance_argmax=25.0, chance_ua=25.0,
    )  # fmt: skip
    lines = summary_lines(advice)
    why = (
        "0.0: no label of the target predicted right at the 0.5 threshold; read by arg-max (one label per clip), "
        "it scores 8.3 vs chance 25.0 and its UA 16.7% vs 25.0%."
    )
    said = {line.split(" scores")[0].split(" lowers")[0]: line for line in lines if line.startswith("- ")}
    assert said["- Cross-group inference: a model of English adults alone"].endswith(why), lines
    assert said["- Adding English elderly"].endswith(why), lines
    assert "0.0: no label" not in said["- Cross-group inference: a model of Mandarin elderly alone"], lines
    assert why in render_markdown(advice)  # advice.md starts with the summary
    argmax = Advice(**{**advice.__dict__, "metric": "weighted_f1_argmax"})
    assert not any("0.0: no label" in line for line in summary_lines(argmax))


def test_augment_only_names_other_groups_of_the_grid():
    assert [m.spec for m in target_mixtures("zho_eld", ["zho_eld", "zho_adu"], ["zho_adu"])] == [
        "zho_eld", "zho_eld+zho_adu"
    ]  # fmt: skip
    for bad in (["zho_eld"], ["eng_eld"]):
        with pytest.raises(ValueError, match="it may only name groups of groups:, other than the target zho_eld"):
            target_mixtures("zho_eld", ["zho_eld", "zho_adu"], bad)


def test_every_model_of_an_advice_resamples_the_same_speakers():
    """A baseline predicted before speakers were kept resampled clips while the other models resampled
    speakers: the difference then subtracted unrelated draws (its interval [-5.9, 8.1], paired [-1.3, 4.4])."""
    import types

    from bimotion.advise.collect import _paired_predictions

    ids, speaker = np.array(["a", "b", "c"]), np.array(["s1", "s1", "s2"])
    old, new = {"id": ids}, {"id": ids, "speaker": speaker}  # saved before and after speakers were kept
    mixture = __import__("collections").namedtuple("Mixture", "spec role")
    mixtures = [mixture("zho_eld", "baseline"), mixture("x", "augment")]
    saved = {"zho_eld": old, "x": new}
    grid = types.SimpleNamespace(
        config=types.SimpleNamespace(seeds=[0]),
        plan=types.SimpleNamespace(target=mixtures, model=lambda spec: types.SimpleNamespace(name=spec)),
        trained_labels=lambda model, seed: None,
        saved_predictions=lambda model, seed, shard, say: saved[model.name],  # read back as the tables read it
    )
    loaded = _paired_predictions(grid, ["its one shard"])
    assert all(np.array_equal(preds[0]["speaker"], speaker) for _, _, preds in loaded.values())
    saved["zho_eld"] = {"id": ids[::-1]}
    with pytest.raises(ValueError, match="x was scored on other test clips than the baseline zho_eld"):
        _paired_predictions(grid, ["its one shard"])


def test_advise_into_a_folder_of_another_run_is_one_error_line_naming_the_dataset(data_dirs, tmp_path, capsys):
    """A rerun into the same --output with other data raised a traceback whose message quoted digests."""
    from bimotion.grid.settings import settings_diff

    out = tmp_path / "out"
    out.mkdir()
    before = {"data": {"bimotion": {"prepare.json": "sha256:0"}, "yuemotion": {}}, "training": {"lr": 1}}
    (out / "plan.json").write_text(json.dumps({"settings": before}))
    argv = ["advise", "--target", "zho_eld", "--bimotion", str(data_dirs["bimotion"]), "--output", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    error = [line for line in err.splitlines() if line.startswith("error:")]
    assert "Traceback" not in err and len(error) == 1 and "sha256" not in error[0], err
    assert "the bimotion dataset is another one (its prepare.json differs); --yuemotion not given now" in error[0]
    assert not list(out.glob("models/*"))  # refused before anything trained
    now = {"data": {"bimotion": {"prepare.json": "sha256:0"}}, "training": {"lr": 2}}
    assert settings_diff(before, now) == "--yuemotion not given now; training.lr: 1 there, 2 now"
    # a head argument added since (a folder of an older version): named alone, not in a dump of every setting
    before["backend"] = {"features": "logmel", "epochs": 30, "lr": 0.001}
    now["backend"] = {**before["backend"], "feature_clip": 10.0}
    assert settings_diff(before, now).endswith(
        "; backend.feature_clip: unset there, 10.0 now; training.lr: 1 there, 2 now"
    )


def test_advise_on_a_folder_a_launch_trained_words_the_fix_for_advise(data_dirs, tmp_path, capsys):
    """`bimotion advise` (one process) into a folder whose models a launch of 2 trained was refused with
    '... Run every worker of this folder as its models were trained (accelerate launch --num_processes 2
    recipes/grid.py ...)', a command the user did not run; the fix names advise, as it is launched.  A config of
    the grid's own trainer (advise-tiny), whose launch count is compared: a probe's is not (fc5a9dc), and advise
    (probe) went on to train every model of such a folder, exit 0."""
    from bimotion.advise import advise_config
    from bimotion.grid.runner import Grid
    from bimotion.grid.settings import LAUNCH

    out = tmp_path / "out"
    dirs = {"bimotion": str(data_dirs["bimotion"])}
    groups, seeds = ["zho_eld", "zho_adu"], [0]  # few models, where a regression trains them
    config = advise_config("advise-tiny", dirs, target="zho_eld", groups=groups, seeds=seeds, log=None)
    settings = Grid(config, dirs, out, log=None).settings
    settings["training"][LAUNCH] = 2
    out.mkdir()
    (out / "plan.json").write_text(json.dumps({"settings": settings}))
    argv = ["advise", "--config", "advise-tiny", "--target", "zho_eld", "--bimotion", dirs["bimotion"]]
    assert main([*argv, "--groups", *groups, "--seeds", "0", "--output", str(out)]) == 2
    (error,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert error.startswith(
        f"error: {out} holds models each trained by a launch of 2 processes, and this worker is "
    ), error
    assert error.endswith(
        "Run every worker of this folder as its models were trained (accelerate launch --multi_gpu --num_processes 2 "
        "-m bimotion advise ...)."
    ), error  # --multi_gpu: without it, on a machine of fewer than 2 GPUs, accelerate starts one process, refused
    assert "recipes/grid.py" not in error and [p.name for p in out.iterdir()] == ["plan.json"]


def test_advise_into_a_folder_of_other_files_writes_nothing_there(data_dirs, tmp_path, capsys):
    """advise -o CORPUS (a mistyped --output) trained every model into the user's raw corpus folder,
    beside its clips: models/, metrics/, tables/ and a datasets cache whose Arrow files a later scan of
    that corpus reported as clips missing from its metadata.csv."""
    from loaders import testing

    corpus = testing.make_corpus("audiofolder", tmp_path / "raw", language="ind")
    before = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*"))
    argv = ["advise", "--target", "zho_eld", "--bimotion", str(data_dirs["bimotion"]), "--output", str(corpus)]
    argv += ["--groups", "zho_eld", "zho_adu", "--seeds", "0"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"error: {corpus} holds files that no grid or advise run wrote (README.md" in err
    assert "Choose a new or empty output folder" in err
    assert sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*")) == before
    # an empty folder, or one holding only hidden files, is a new run's
    (tmp_path / "empty" / ".DS_Store").parent.mkdir()
    (tmp_path / "empty" / ".DS_Store").write_bytes(b"")
    from bimotion.grid.settings import SettingsMismatch, check_foreign_files

    check_foreign_files(tmp_path / "empty")
    check_foreign_files(tmp_path / "absent")
    # plan.json written by a launch's main process (or another worker) after check_settings looked for it:
    # a run's own (a two-process launch failed 'holds files that no grid or advise run wrote (plan.json)')
    (tmp_path / "empty" / "plan.json").write_text("{}")
    check_foreign_files(tmp_path / "empty")
    (tmp_path / "empty" / "notes.txt").write_text("mine")
    with pytest.raises(SettingsMismatch, match=r"\(notes\.txt\)"):
        check_foreign_files(tmp_path / "empty")


@pytest.mark.slow  # a CPU launch of 2 processes
@pytest.mark.parametrize("refused", ["a folder of other files", "a folder in plan.json's place"])
def test_an_error_every_process_of_a_launched_advise_meets_is_said_once(data_dirs, tmp_path, refused):
    """`accelerate launch --num_processes 2 -m bimotion advise` printed the error each process met (its --output a
    folder of the user's files: SettingsMismatch; a folder where plan.json is read: DamagedFileError) once per
    process, twice, where the recipes say such an error once.  The main process says it; the launch fails."""
    from bimotion.training.testing import cpu_launch, subprocess_env

    out = tmp_path / "out"
    if refused == "a folder of other files":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
        said = f"error: {out} holds files that no grid or advise run wrote (notes.txt): "
    else:
        (out / "plan.json").mkdir(parents=True)
        said = f"error: {out / 'plan.json'}: a folder, not a grid plan, so "
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    argv = ["advise", "--target", "zho_eld", "--bimotion", data_dirs["bimotion"], "--groups", "zho_eld", "zho_adu"]
    launch = cpu_launch("-m", "bimotion", *argv, "--seeds", "0", "--output", out)  # accelerate's -m: a module
    run = subprocess.run(launch, env=subprocess_env(), capture_output=True, text=True, timeout=600)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert run.returncode != 0 and len(errors) == 1 and errors[0].startswith(said), run.stderr[-3000:]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before


def test_an_unknown_group_to_draw_from_lists_the_prepared_groups(data_dirs, capsys, tmp_path):
    """--groups with a name no benchmark knows said "config 'x' is unknown (a group of your own corpus is
    known once its prepared folder is: register(benchmark_of(read_info(FOLDER))), ...)" and listed every
    config of every benchmark: Python advice to a command-line user, whose folder advise had registered."""
    argv = ["advise", "--target", "zho_eld", "--bimotion", str(data_dirs["bimotion"]), "--output", str(tmp_path / "o")]
    assert main([*argv, "--groups", "zho_eld", "carehome_eld"]) == 2
    err = capsys.readouterr().err
    assert "error: group 'carehome_eld' (--groups, or groups: in the config) is not one the prepared datasets" in err
    assert "they hold: eng_eld" in err and "register(" not in err and "Traceback" not in err, err
    assert main([*argv, "--groups", "zho_eld", "ZHO_ADU_"]) == 2
    assert "(did you mean 'zho_adu'?)" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_unknown_group_to_draw_from_a_hub_dataset_names_the_flags_that_make_ones_own_known(capsys, tmp_path):
    """--groups with a name no benchmark knows, the datasets given as Hub ids (no local folder whose groups to
    list), said to call register(benchmark_of(read_info(FOLDER))): Python advice to a command-line user.  It
    names the flags that give a prepared folder, before anything is fetched or written."""
    out = tmp_path / "o"
    argv = ["advise", "--target", "zho_eld", "--bimotion", "someone/bimotion", "--output", str(out)]
    assert main([*argv, "--groups", "zho_eld", "carehome_eld"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: config 'carehome_eld' is unknown (a group of your own corpus is known once its prepared folder is "
        "given: --bimotion DIR or --yuemotion DIR); choose one of: adu, bimotion:all,"
    ), err
    assert "register(" not in err and not out.exists()


def test_a_value_of_groups_that_is_several_groups_names_the_flag_and_the_value_as_typed(data_dirs, capsys, tmp_path):
    """`advise --groups zho_eld "eng_adu[crema_d]+eng_eld"` said "groups: item 2, 'eng_adu[crema_d]+eng_eld', is 2
    groups ..., and each item of groups: is one group", a config key and an item number for a flag the user typed.
    It names --groups, the value as typed (quoted as a shell needs) and the --groups to give; the same item in a
    config file's groups: names the file and the item (it named neither file nor flag)."""
    out = tmp_path / "o"
    argv = ["advise", "--target", "zho_eld", "--bimotion", str(data_dirs["bimotion"]), "--output", str(out)]
    assert main([*argv, "--groups", "zho_eld", "eng_adu[crema_d]+eng_eld", "zho_adu"]) == 2
    assert capsys.readouterr().err == (
        "error: --groups 'eng_adu[crema_d]+eng_eld' is 2 groups (eng_adu, eng_eld), and each value of --groups is one "
        "group: give each as its own value: --groups zho_eld 'eng_adu[crema_d]' eng_eld zho_adu\n"
    )
    config = tmp_path / "mine.yaml"
    config.write_text(shipped_config("probe").read_text() + "target: zho_eld\ngroups: [zho_eld, zho_adu+eng_eld]\n")
    assert main([*argv, "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"error: grid config {config}: groups: item 2, 'zho_adu+eng_eld', is 2 groups (zho_adu, eng_eld), and each "
        "item of groups: is one group: list each group as its own item: zho_adu, eng_eld\n"
    )
    assert not out.exists()


def test_a_known_group_the_prepared_folder_lacks_is_named_with_advises_own_fix(tmp_path, capsys):
    """--groups naming a group the folder was not prepared with (CSED alone: zho_eld, and --groups zho_adu) got
    the grid's error: "... The paper's tables compare every group: ...; or give the grid groups it holds
    (tables: [], with mixtures: and extra_tests:), or run bimotion advise --target GROUP", to a user running
    just that; and without the target in --groups, "target 'zho_eld' is not among the groups with training
    data: zho_adu", a group of no data called one with."""
    from conftest import prepared_csed

    data = str(prepared_csed(tmp_path))
    argv = ["advise", "--target", "zho_eld", "--bimotion", data, "--output", str(tmp_path / "o"), "--groups"]
    for groups, lacking, corpus in (
        (["zho_adu"], "zho_adu", "esd"),
        (["zho_eld", "eng_eld[crema_d]"], "eng_eld", "crema_d"),
    ):
        assert main([*argv, *groups]) == 2
        err = capsys.readouterr().err
        assert err == (
            f"error: group {groups[-1]!r} (--groups, or groups: in the config) has no rows in {data} (prepared from "
            f"csed; {lacking} is made from {corpus}; the prepared datasets hold zho_eld): leave it out, or prepare the "
            f"folder again with their corpora, under its own protocol and seed so its splits stay: bimotion prepare "
            f"--source csed=DIR --source {corpus}=DIR --protocol paper --seed 0 --output {data} --overwrite (each DIR "
            "the corpus's raw folder)\n"
        )
    assert not (tmp_path / "o").exists()


def test_advise_names_a_mistyped_target_and_a_dataset_given_as_the_other_benchmark(data_dirs, capsys, tmp_path):
    """A BiMotion folder given as --yuemotion said "groups lists a group twice"; a typo had no hint."""
    data = str(data_dirs["bimotion"])
    out = ["--output", str(tmp_path / "out")]
    assert main(["advise", "--target", "zho_eldd", "--bimotion", data, *out]) == 2
    assert "target 'zho_eldd' is not among the groups with training data (did you mean 'zho_eld'?)" in (
        capsys.readouterr().err
    )
    assert main(["advise", "--target", "zho_eld", "--bimotion", data, "--yuemotion", data, *out]) == 2
    assert f"error: --yuemotion {data} holds the prepared bimotion dataset, not yuemotion: give it as --bimotion" in (
        capsys.readouterr().err
    )


def test_a_backend_that_cannot_speak_for_the_data_says_so_first_with_the_command_that_can():
    """The first real `bimotion advise` on CSED (advise-tiny, one seed): "In-group baseline (zho_eld): 0.0 ± 0.0 †:
    at or below chance, no better by this measure than ignoring the audio", of a tiny wav2vec2 from random
    weights, as if it were about the clips; the default log-mel probe's 46.5 † said the same.  A random-weight
    model now says first that its scores are no evidence about the data, a hand-made feature set at chance
    that it says nothing about the audio, each with `bimotion advise --config paper` on the same folders."""
    import shlex

    from bimotion.advise.caveat import backend_caveat
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import summary_lines

    dirs = {"bimotion": "/data/my csed", "cache_dir": "/out/datasets-cache"}
    tiny = GridConfig(tables=[], tiny_model={}, target="zho_eld", groups=["zho_eld", "eng_eld[tess]"], seeds=[0])
    probe = GridConfig(tables=[], backend="probe", features="logmel", target="zho_eld", groups=["zho_eld"])
    caveat = backend_caveat(tiny, dirs, baseline_at_chance=False)  # at chance or not
    assert caveat.startswith("Not evidence about your data: every model here fine-tunes a tiny wav2vec2 from random")
    command = caveat.split(": ")[-1]
    assert shlex.split(command) == ["bimotion", "advise", "--config", "paper", "--target", "zho_eld", "--bimotion",
                                    "/data/my csed", "--groups", "zho_eld", "eng_eld[tess]", "--output",
                                    "advise-zho_eld-paper"]  # fmt: skip
    assert backend_caveat(probe, dirs, baseline_at_chance=True).startswith(
        "Not evidence that the audio carries no emotion: the probe reads logmel features (hand-made statistics, no "
        "pretrained encoder)"
    )
    assert backend_caveat(probe, dirs, baseline_at_chance=False) == ""  # above chance: its numbers stand
    assert backend_caveat(GridConfig(tables=[], target="zho_eld"), dirs, baseline_at_chance=True) == ""  # XLSR-53
    encoder = GridConfig(tables=[], backend="probe", features="facebook/wav2vec2-base", target="zho_eld")
    assert backend_caveat(encoder, dirs, baseline_at_chance=True) == ""  # a pretrained encoder's chance is news

    score = Estimate([0.0], 0.0, 0.0, [math.nan] * 2, [0.0, 0.0], 0.0)
    baseline = MixtureResult("zho_eld", "zho_eld", "zho_eld", "baseline", "X(l,a)", [], score, score, test_clips=400)
    advice = Advice("zho_eld", "zho_eld", 400, 50.0, [0], 0.95, 1000, "mean", "fine-tuning a tiny random wav2vec2",
                    [baseline], Path("."), caveat=caveat)  # fmt: skip
    lines = summary_lines(advice)
    assert lines[0] == caveat and lines[1].startswith("Target: Mandarin elderly (zho_eld)")
    assert lines[2] == "In-group baseline (zho_eld): 0.0 ± 0.0 †: at or below chance, see the first line.", lines
    assert advice.to_json()["caveat"] == caveat
    plain = summary_lines(dataclasses.replace(advice, caveat=""))  # a backend whose chance is news: as before
    assert plain[1].endswith("†: at or below chance, no better by this measure than ignoring the audio.")


def test_a_baseline_alone_is_not_described_as_compared():
    """`bimotion advise --target zho_eld` on the real CSED alone (one group) wrote "with no correction
    for the 0 made here" and "a clear gain or loss is one whose intervals ... exclude 0": words about
    comparisons, none of which was made.  A baseline alone says there was none."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    score = Estimate([45.3, 47.0, 47.1], 46.5, 1.0, [44.0, 49.0], [41.8, 51.2], 2.5)
    baseline = MixtureResult("zho_eld", "zho_eld", "zho_eld", "baseline", "X(l,a)", [], score, score, test_clips=400)
    advice = Advice("zho_eld", "zho_eld", 400, 50.0, [0, 1, 2], 0.95, 1000, "mean", "probe", [baseline], Path("."))
    text = render_markdown(advice)
    assert "No comparison was made: the baseline is the only model." in text
    assert "made here" not in text and "a clear gain or loss" not in text
    assert summary_lines(advice)[-1] == "± is half the 95% interval over 3 seeds (Student t, paired by seed)."


def test_a_mistyped_probe_setting_in_the_users_config_is_one_line_naming_the_file(data_dirs, tmp_path, capsys):
    """A grid config of the user's with a typo in its probe ``training:`` got as far as a traceback
    (the grid's trainer read it before any check), and the advise grid, a copy of the config, named
    "the grid config", not the file (its ``source`` is no field: ``dataclasses.replace`` dropped it)."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("backend: probe\nfeatures: logmel\ntraining:\n  head: mlp\n  hiden_size: 3\n", encoding="utf-8")
    args = ["--config", str(mine), "--target", "zho_eld", "--bimotion", str(data_dirs["bimotion"])]
    assert main(["advise", *args, "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"error: grid config {mine}: training: (backend: probe): unknown key 'hiden_size'" in err, err
    assert "(did you mean 'hidden_size'?)" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    assert load_config(mine).replaced(seeds=[3]).source == f"grid config {mine}"


def test_a_mixture_scored_on_clips_it_trained_on_is_marked_and_never_recommended():
    """A mixture whose model trained on some of the target's test clips (the grid's ``training_clips``,
    its tables' ``‡``) was the advice's "helps most" on a gain those clips inflated.  It is marked ``‡``
    as the tables mark it, gets no verdict, and the recommendation is the best mixture held out."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import _verdict_line, render_markdown, summary_lines

    def estimate(value: float) -> Estimate:
        return Estimate([value], value, 0.0, [math.nan] * 2, [value - 1, value + 1], 1.0)

    baseline = MixtureResult("zho_eld", "b", "b", "baseline", "X(l,a)", [], estimate(60.0), estimate(0.0),
                             test_clips=48, chance=30.0)  # fmt: skip
    inflated = MixtureResult("zho_eld+zho_adu", "m", "m", "augment", "X(l,A)", ["zho_adu"], estimate(90.0),
                             estimate(30.0), test_clips=48, chance=30.0, training_clips=12)  # fmt: skip
    held = MixtureResult("zho_eld+eng_eld", "e", "e", "augment", "X(l,a)+eng_eld", ["eng_eld"], estimate(65.0),
                         estimate(5.0), test_clips=48, chance=30.0)  # fmt: skip
    assert (inflated.verdict, held.verdict) == ("not_held_out", "helps")
    advice = Advice("zho_eld", "zho_eld", 48, 30.0, [0], 0.95, 100, "mean", "probe", [baseline, inflated, held],
                    Path("."))  # fmt: skip
    line = _verdict_line(advice)
    assert line.startswith("Helps most (zho_eld+eng_eld): adding English elderly raises"), line
    assert line.endswith("Left out, not held out (‡): zho_eld+zho_adu."), line
    text = "\n".join(summary_lines(advice))
    assert (
        "raises Mandarin elderly by 30.0 ± 1.0 weighted-F1 points at the 0.5 threshold (no verdict ‡: it was scored on 12 test"
        in text
    )
    assert (
        "‡ scored on clips the model trained on, not held out: `zho_eld+zho_adu` 12 of its 48 clips (a Δ from such "
        "a score too): no verdict or recommendation rests on them." in text
    )
    table = render_markdown(advice)
    assert "| `zho_eld+zho_adu` | augment | X(l,A) | Mandarin adults | 90.00‡ |" in table
    assert "| +30.00‡ |" in table and "| +5.00 |" in table and "| 60.00 |" in table  # held out: unmarked
    assert advice.to_json()["mixtures"][1]["training_clips"] == 12
    # a baseline scored on clips it trained on: no difference from it is evidence, none recommended
    unheld = Advice(**{**advice.__dict__, "mixtures": [
        MixtureResult(**{**m.__dict__, "baseline_training_clips": 7, **({"training_clips": 7} if m is baseline else {})})
        for m in advice.mixtures]})  # fmt: skip
    assert [m.verdict for m in unheld.mixtures] == ["baseline", "not_held_out", "not_held_out"]
    assert _verdict_line(unheld).startswith("No recommendation ‡: the in-group baseline was scored on 7 of the 48")


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_a_test_set_of_few_speakers_is_said_beside_the_verdicts():
    """A corpus of one's own with 8 speakers split by speaker leaves its test set 2 speakers: advise said
    "In-group baseline (ind_eld): 96.2 ± 6.5" and "(a clear loss)" with intervals over 2 test speakers and
    no word of them, where train.py, infer.py and probe.py say such an interval understates other speakers."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    score = Estimate([96.0, 97.0], 96.5, 0.7, [90.0, 100.0], [85.0, 100.0], 6.5)
    delta = Estimate([-96.0, -97.0], -96.5, 0.7, [-100.0, -90.0], [-100.0, -85.0], 6.5)
    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "X(l,a)", [], score, delta, chance=40.0)
    lost = MixtureResult("zho_eld", "z", "z", "inference", "X(¬l,a)", ["zho_eld"], score, delta, chance=40.0)
    advice = Advice("ind_eld", "ind_eld", 24, 40.0, [0, 1], 0.95, 100, "mean", "probe", [baseline, lost], Path("."))
    few = dataclasses.replace(advice, test_speakers=2)
    assert "Its test set holds 2 speakers: the intervals over it understate" in summary_lines(few)[0]
    assert "Its test set holds 2 speakers" in render_markdown(few)
    for enough in (advice, dataclasses.replace(advice, test_speakers=8)):  # none named (CSED), or enough
        assert "speakers: the intervals" not in "\n".join(summary_lines(enough))
    one = "\n".join(summary_lines(dataclasses.replace(advice, test_speakers=1)))  # resampled by clip: said alike
    assert "Its test set holds 1 speaker: the intervals over it understate" in one


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_a_test_set_mixing_a_corpus_without_speaker_ids_counts_its_clips_beside_the_speakers():
    """A test set of CSED (no speaker ids) and a corpus of one's own of 3 test speakers: advise said "Its test
    clips are of 3 speakers", though most of them are CSED's, of speakers no one counted; it now says the 3
    speakers and the clips without speaker ids beside them."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    pred = {
        "id": np.array([f"c{i}" for i in range(46)]),
        "group": np.array(["zho_eld"] * 46),
        "corpus": np.array(["csed"] * 40 + ["mine"] * 6),
        "speaker": np.array([""] * 40 + ["a", "a", "b", "b", "c", "c"]),
    }
    from bimotion.training.metrics import speaker_counts  # what collect_advice counts them with

    assert speaker_counts(pred["group"], pred["corpus"], pred["speaker"]) == {"zho_eld": (3, 40)}
    assert speaker_counts(pred["group"], pred["corpus"], None) == {"zho_eld": (0, 46)}  # older predictions
    score = Estimate([60.0, 61.0], 60.5, 0.7, [55.0, 66.0], [50.0, 70.0], 5.0)
    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "X(l,a)", [], score, score, chance=40.0)
    advice = Advice("ind_eld", "ind_eld", 46, 40.0, [0, 1], 0.95, 100, "mean", "probe", [baseline], Path("."),
                    test_speakers=3, unnamed_test_clips=40)  # fmt: skip
    words = "Its test set holds 3 speakers and 40 clips without speaker ids: the intervals over it"
    assert words in summary_lines(advice)[0] and words in render_markdown(advice)
    one = dataclasses.replace(advice, unnamed_test_clips=1)
    assert "holds 3 speakers and 1 clip without speaker ids: " in summary_lines(one)[0]
    assert advice.to_json()["unnamed_test_clips"] == 40


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_a_verdict_names_test_clips_where_the_bootstrap_drew_no_speakers():
    """On CSED (no speaker ids) or a test set of one speaker a corpus, the bootstrap resamples clips, and advise
    said "its 95% interval over test speakers ... includes 0" all the same; it now says over test clips there."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    score = Estimate([60.0, 61.0], 60.5, 0.7, [55.0, 66.0], [50.0, 70.0], 5.0)
    delta = Estimate([2.0, 3.0], 2.5, 0.7, [1.0, 4.0], [-6.0, 11.0], 5.0)  # clear over seeds, not over the test set
    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "X(l,a)", [], score, delta, chance=40.0)
    added = MixtureResult("ind_eld+zho_eld", "z", "z", "augment", "X(l,a)+zho_eld", ["zho_eld"], score, delta,
                          chance=40.0)  # fmt: skip
    advice = Advice("ind_eld", "ind_eld", 24, 40.0, [0, 1], 0.95, 100, "mean", "probe", [baseline, added], Path("."))
    clips = dataclasses.replace(advice, by_speaker=False)
    for text in ("\n".join(summary_lines(clips)), render_markdown(clips)):
        assert "not clear: its 95% interval over test clips, [-6.0, 11.0], includes 0" in text, text
        assert "over seeds and over test clips both exclude 0" in text and "test speakers both" not in text, text
    assert "its 95% interval over test speakers, [-6.0, 11.0], includes 0" in "\n".join(summary_lines(advice))


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_a_model_that_never_trained_on_some_target_labels_says_so_on_its_line():
    """The worked example's stdout said "a model of Mandarin elderly alone scores 0.0 ± 0.0 † on Indonesian
    elderly, 48.6 ± 7.7 below the baseline (a clear loss)" with no word that CSED's model never trained on 4
    of the 5 labels it is scored on; only advice.md said so.  Its line now says it, in advice.md's words."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    def estimate(value: float) -> Estimate:
        return Estimate([value, value], value, 0.0, [value - 1, value + 1], [value - 2, value + 2], 1.0)

    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "X(l,a)", [], estimate(60.0), estimate(0.0),
                             chance=40.0)  # fmt: skip
    lost = MixtureResult("zho_eld", "z", "z", "inference", "X(¬l,a)", ["zho_eld"], estimate(0.0), estimate(-60.0),
                         untrained=["sadness", "anger", "happiness", "surprise"], chance=40.0)  # fmt: skip
    kept = MixtureResult("eng_eld", "e", "e", "inference", "X(¬l,a)", ["eng_eld"], estimate(55.0), estimate(-5.0),
                         chance=40.0)  # fmt: skip
    advice = Advice("ind_eld", "ind_eld", 48, 40.0, [0, 1], 0.95, 100, "mean", "probe", [baseline, lost, kept],
                    Path("."))  # fmt: skip
    lines = summary_lines(advice)
    line = next(line for line in lines if "a model of Mandarin elderly alone" in line)
    assert line.endswith(
        "below the baseline (a clear loss). Labels the target annotates that it never trained on (scored as "
        "absent): sadness, anger, happiness, surprise."
    ), line
    other = next(line for line in lines if "a model of English elderly alone" in line)
    assert "never trained on" not in other, other
    assert (
        "- Labels the target annotates that a model never trained on (scored as absent): `zho_eld`: sadness, "
        "anger, happiness, surprise." in render_markdown(advice)
    )


def test_a_plural_group_is_not_given_an_apostrophe_s():
    """`bimotion advise --target nan_adu` on a corpus of one's own printed "these features do not separate
    Hokkien (Min Nan) adults's labels" and "only added to Hokkien (Min Nan) adults's data"; the summary now
    says "the labels of Hokkien (Min Nan) adults" and "the data of Mandarin adults"."""
    from bimotion.advise.caveat import backend_caveat
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import summary_lines

    dirs = {"bimotion": "/data/mine", "cache_dir": "/out/datasets-cache"}
    probe = GridConfig(tables=[], backend="probe", features="logmel", target="zho_adu", groups=["zho_adu"])
    caveat = backend_caveat(probe, dirs, baseline_at_chance=True)
    assert "'s" not in caveat.split(" Ask with")[0] and "separate the labels of Mandarin adults at" in caveat, caveat
    score = Estimate([40.0], 40.0, 0.0, [math.nan] * 2, [39.0, 41.0], 1.0)
    baseline = MixtureResult("zho_adu", "zho_adu", "zho_adu", "baseline", "X(l,a)", [], score, score, test_clips=101)
    advice = Advice("zho_adu", "zho_adu", 101, 50.0, [0], 0.95, 100, "mean", "probe", [baseline], Path("."),
                    augment_only=["zho_eld"])  # fmt: skip
    text = "\n".join(summary_lines(advice))
    assert "adults's" not in text and "so only added to the data of Mandarin adults, never" in text, text


def test_models_at_chance_at_the_threshold_that_rank_the_labels_above_chance_are_not_called_unusable(
    probe_advice, tmp_path, capsys
):
    """A user's own corpus of one label per clip (CSED relabelled, target nan_adu, the probe): every model's
    weighted F1 at the 0.5 threshold was at or below chance, and advise said "none of these mixtures gives a
    usable model", while the baseline's arg-max weighted F1 was 55.1 against 33.4 and its UA 55.2% against
    33.3% in its metrics file.  The real probe run's predictions (the fixture's probe learns nothing), made those
    of a model that ranks each clip's label first but puts every label over 0.5, are scored again by the grid;
    the verdict now says both readings, with the metrics files' numbers."""
    from bimotion.grid.saved import load_npz
    from loaders.files import save_npz

    argv, out, _ = probe_advice
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    for path in (copy / "predictions").rglob("*.npz"):
        pred = load_npz(path)
        save_npz(path, {**pred, "logits": 1.0 + pred["labels"].astype(np.float32)})  # every label over 0.5
    shutil.rmtree(copy / "metrics")  # scored again, by the grid, from the shifted predictions
    for name in ("advice.json", "advice.md"):
        (copy / name).unlink()
    assert main([*argv[:-1], str(copy)]) == 0
    printed = capsys.readouterr().out
    advice = json.loads((copy / "advice.json").read_text())
    base = next(m for m in advice["mixtures"] if m["role"] == "baseline")
    assert all(m["score"]["mean"] <= advice["chance"] for m in advice["mixtures"])  # all-positive: chance itself
    metrics = [json.loads((copy / "metrics" / base["slug"] / f"seed{s}.json").read_text()) for s in (0, 1)]
    argmax = np.mean([100 * m["tests"]["zho_eld"]["weighted_f1_argmax"] for m in metrics])
    chance = 100 * metrics[0]["tests"]["zho_eld"]["chance_argmax"]
    assert argmax > chance, "the fixture's baseline must rank the labels above chance"
    summary = (copy / "advice.md").read_text()
    for text in (printed, summary):
        assert "usable model" not in text and "No model scores above chance" not in text, text
        assert (
            f"At the 0.5 threshold no model scores above chance ({advice['chance']:.1f}) on Mandarin elderly; read by "
            f"arg-max (one label per clip), the in-group baseline scores {argmax:.1f} vs chance {chance:.1f}"
        ) in text, text
        assert "badly calibrated at 0.5" in text and "`metric: weighted_f1_argmax`" in text
    # the probe's first line no longer says that its features do not separate the labels
    assert "these features rank the labels of Mandarin elderly above chance but are badly calibrated" in printed
    assert "do not separate the labels" not in printed
    corpora = [m["scores"]["groups"]["zho_eld"]["corpora"] for m in metrics]  # UA as the metrics files record it
    (corpus,) = {s.corpus for s in parse_mixture("zho_eld").shards}
    ua = np.mean([100 * c[corpus]["unweighted_accuracy"] for c in corpora])
    assert f"its UA {ua:.1f}% vs {100 * corpora[0][corpus]['chance']['unweighted_accuracy']:.1f}%" in printed
    # advice.json holds the readings per seed, as the metrics files
    assert base["argmax"] == pytest.approx([100 * m["tests"]["zho_eld"]["weighted_f1_argmax"] for m in metrics])
    assert base["ua"] == pytest.approx([100 * c[corpus]["unweighted_accuracy"] for c in corpora])
    assert advice["chance_argmax"] == pytest.approx(chance)


def test_models_at_chance_by_both_readings_keep_the_verdict_that_none_is_usable():
    """At chance at the 0.5 threshold and by arg-max (or UA) too: the verdict stays "no usable model"."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult, ranks_labels
    from bimotion.advise.report import _verdict_line

    low = Estimate([40.0], 40.0, 0.0, [math.nan] * 2, [39.0, 41.0], 1.0)
    base = MixtureResult("zho_eld", "b", "b", "baseline", "X(l,a)", [], low, low, chance=50.0, argmax=[30.0],
                         ua=[40.0])  # fmt: skip
    other = MixtureResult("zho_eld+zho_adu", "m", "m", "augment", "X(l,A)", ["zho_adu"], low, low, chance=50.0,
                          argmax=[33.0], ua=[30.0])  # fmt: skip
    assert not ranks_labels(other, 33.4, 33.3) and not ranks_labels(base, 33.4, 33.3)  # UA at chance: no ranking
    advice = Advice("zho_eld", "zho_eld", 100, 50.0, [0], 0.95, 100, "mean", "probe", [base, other], Path("."),
                    chance_argmax=33.4, chance_ua=33.3)  # fmt: skip
    assert _verdict_line(advice).startswith("No model scores above chance (50.0) on Mandarin elderly: none of these")
    ranked = dataclasses.replace(advice, mixtures=[base, dataclasses.replace(other, argmax=[40.0], ua=[45.0])])
    assert "read by arg-max (one label per clip), adding Mandarin adults (zho_eld+zho_adu) scores 40.0 vs chance " \
           "33.4 and its UA 45.0% vs 33.3%" in _verdict_line(ranked)  # fmt: skip


def test_the_ranked_verdict_says_only_the_models_that_rank_the_labels_do():
    """Where only the baseline ranked the labels above chance by arg-max, the headline said "the models rank
    the labels above chance", of the mixtures that do not too; it now says so of the named model, and names
    any other that does."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import _verdict_line

    low = Estimate([40.0], 40.0, 0.0, [math.nan] * 2, [39.0, 41.0], 1.0)
    base = MixtureResult("zho_eld", "b", "b", "baseline", "X(l,a)", [], low, low, chance=50.0, argmax=[40.0],
                         ua=[45.0])  # fmt: skip
    other = MixtureResult("zho_eld+zho_adu", "m", "m", "augment", "X(l,A)", ["zho_adu"], low, low, chance=50.0,
                          argmax=[30.0], ua=[30.0])  # fmt: skip
    advice = Advice("zho_eld", "zho_eld", 100, 50.0, [0], 0.95, 100, "mean", "probe", [base, other], Path("."),
                    chance_argmax=33.4, chance_ua=33.3)  # fmt: skip
    line = _verdict_line(advice)
    assert "the in-group baseline scores 40.0 vs chance 33.4 and its UA 45.0% vs 33.3%: it ranks the labels " \
           "above chance but is badly calibrated at 0.5," in line, line  # fmt: skip
    assert "models rank" not in line, line
    both = dataclasses.replace(advice, mixtures=[base, dataclasses.replace(other, argmax=[38.0], ua=[40.0])])
    assert ": it and zho_eld+zho_adu rank the labels above chance but are badly calibrated" in _verdict_line(both)


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_the_summarys_first_line_names_the_reading_every_score_is():
    """Under ``metric: weighted_f1_argmax`` (advice.json's "metric") the summary's first line said "weighted F1 (%)
    on its test set", as at the 0.5 threshold, of every number below it; it now names the reading judged."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    score = Estimate([60.0], 60.0, 0.0, [math.nan] * 2, [59.0, 61.0], 1.0)
    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "l_a", [], score, score, chance=30.0)
    advice = Advice("ind_eld", "ind_eld", 48, 30.0, [0], 0.95, 100, "mean", "probe", [baseline], Path("."))
    first = "Target: Indonesian elderly (ind_eld), 48 test clips; weighted F1 (%) {} on its test set, chance level 30.0"
    assert summary_lines(advice)[0].startswith(first.format("at the 0.5 threshold")), summary_lines(advice)[0]
    argmax = dataclasses.replace(advice, metric="weighted_f1_argmax")
    assert summary_lines(argmax)[0].startswith(first.format("read by arg-max")), summary_lines(argmax)[0]
    assert first.format("read by arg-max") in render_markdown(argmax)


def test_the_ranked_verdict_leaves_out_a_model_not_held_out_by_it_or_by_its_baseline():
    """The arg-max verdict skipped a mixture whose own model trained on test clips without a word of it, and
    named as ranking the labels one whose baseline did (its Δ not held out either); both are left out now,
    and named with whose score was of clips it trained on."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import _ranked_line

    low = Estimate([40.0], 40.0, 0.0, [math.nan] * 2, [39.0, 41.0], 1.0)
    base = MixtureResult("zho_eld", "b", "b", "baseline", "X(l,a)", [], low, low, chance=50.0, argmax=[40.0],
                         ua=[45.0])  # fmt: skip
    trained = MixtureResult("zho_eld+zho_adu", "m", "m", "augment", "X(l,A)", ["zho_adu"], low, low, chance=50.0,
                            argmax=[42.0], ua=[46.0], training_clips=12)  # fmt: skip
    advice = Advice("zho_eld", "zho_eld", 100, 50.0, [0], 0.95, 100, "mean", "probe", [base, trained], Path("."),
                    chance_argmax=33.4, chance_ua=33.3)  # fmt: skip
    line = _ranked_line(advice)
    assert "the in-group baseline scores 40.0 vs chance 33.4 and its UA 45.0% vs 33.3%: it ranks the labels" in line
    assert line.endswith(
        " Left out, not held out (‡): zho_eld+zho_adu (it was scored on 12 test clips it trained on)."
    ), line
    # a baseline scored on clips it trained on: a mixture's Δ from it is not held out, so it ranks nothing either
    unheld_base = dataclasses.replace(base, argmax=[30.0], training_clips=7, baseline_training_clips=7)
    other = dataclasses.replace(trained, training_clips=0, baseline_training_clips=7)
    assert _ranked_line(dataclasses.replace(advice, mixtures=[unheld_base, other])) == ""


def test_a_ua_that_is_not_a_number_is_said_so_and_never_compared(tmp_path):
    """A metrics file holding NaN for a model's UA (or for its chance level) made the arg-max verdict print
    "its UA nan% vs 33.3%"; it now says the UA is not a number there and that the arg-max F1 alone judged it,
    and whether a model ranks the labels compares no NaN."""
    from types import SimpleNamespace

    from bimotion.advise.collect import Advice, Estimate, MixtureResult, ranks_labels, recorded_ua
    from bimotion.advise.report import _ranked_line

    corpus = {"unweighted_accuracy": math.nan, "num_samples": 40, "chance": {"unweighted_accuracy": 1 / 3}}
    path = tmp_path / "seed0.json"
    path.write_text(json.dumps({"scores": {"groups": {"zho_eld": {"corpora": {"csed": corpus}}}}}))  # NaN as JSON's
    grid = SimpleNamespace(config=SimpleNamespace(group_score="mean"), metrics_file=lambda model, seed: path)
    ua, chance_ua = recorded_ua(grid, None, [0], [SimpleNamespace(group="zho_eld", corpus="csed")])
    assert math.isnan(ua[0]) and chance_ua == pytest.approx(100 / 3)
    low = Estimate([40.0], 40.0, 0.0, [math.nan] * 2, [39.0, 41.0], 1.0)
    base = MixtureResult("zho_eld", "b", "zho_eld", "baseline", "X(l,a)", [], low, low, chance=50.0, argmax=[40.0],
                         ua=ua)  # fmt: skip
    advice = Advice("zho_eld", "zho_eld", 100, 50.0, [0], 0.95, 100, "mean", "probe", [base], Path("."),
                    chance_argmax=33.4, chance_ua=chance_ua)  # fmt: skip
    assert ranks_labels(base, 33.4, chance_ua) and not ranks_labels(base, math.nan, chance_ua)
    assert not ranks_labels(dataclasses.replace(base, argmax=[math.nan]), 33.4, chance_ua)
    line = _ranked_line(advice)
    assert "nan" not in line.lower(), line
    assert (
        "the in-group baseline scores 40.0 vs chance 33.4 (its UA n/a: not a number in metrics/zho_eld/seed<k>.json, "
        "so judged by the arg-max F1 alone): it ranks the labels" in line
    ), line
    no_chance = dataclasses.replace(advice, mixtures=[dataclasses.replace(base, ua=[45.0])], chance_ua=math.nan)
    assert "nan" not in _ranked_line(no_chance).lower() and "its UA n/a" in _ranked_line(no_chance)
    assert advice.to_json()["mixtures"][0]["ua"] == [None]  # strict JSON: advice.json holds null


def test_a_metrics_file_advise_cannot_read_is_one_error_naming_it_and_the_fix(tmp_path):
    """recorded_ua read a model's metrics file itself: one it could not read (chmod 000) ended bimotion advise with
    a PermissionError traceback, after every model had trained. It now reads it as the grid does (read_metrics):
    one DamagedFileError (the command line's one error: line) naming the file and the fix (run unprivileged:
    skipped where root cannot drop its capabilities)."""
    from conftest import run_snippet_locked

    path = tmp_path / "seed0.json"
    path.write_text("{}")
    code = (
        "from pathlib import Path\nfrom types import SimpleNamespace as N\n"
        "from bimotion.advise.collect import recorded_ua\n"
        f"grid = N(config=N(group_score='mean'), metrics_file=lambda model, seed: Path({str(path)!r}))\n"
        "try:\n    recorded_ua(grid, None, [0], [N(group='zho_eld', corpus='csed')])\n"
        "except Exception as e:\n    print(type(e).__name__, e)"
    )
    proc = run_snippet_locked(code, path, 0o644)
    assert proc.stdout.startswith(
        f"DamagedFileError {path}: cannot be read (Permission denied), so advise cannot weigh the model's UA (seed 0) "
        "against chance: "
    ), proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("then run the same command again"), proc.stdout


def test_collect_advice_reads_each_models_run_by_name():
    """collect_advice kept each mixture's model, scores, predictions, heard clips and arg-max readings in a 7-tuple
    read by position (``base[4]``, ``base[5]``, ``base[6][3]``); it is a frozen record of named fields now (the
    advice itself unchanged: the tests above)."""
    from bimotion.advise.collect import ModelRun

    names = [f.name for f in dataclasses.fields(ModelRun)]
    assert names == ["model", "values", "boot", "untrained", "pred", "heard", "argmax", "ua", "chance_ua",
                     "chance_argmax"]  # fmt: skip
    run = ModelRun(None, np.zeros(1), np.zeros(3), [], {}, 0, [], [], math.nan, math.nan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.heard = 12


def test_a_baseline_alone_that_ranks_the_labels_says_its_arg_max_reading():
    """`bimotion advise --target zho_eld` on the real CSED prepared alone (the log-mel probe, 3 seeds) printed first
    that the features "rank the labels of Mandarin elderly above chance but are badly calibrated at the 0.5 threshold
    (read by arg-max: the verdict below)", and the verdict below was "No other group was given: nothing to compare
    ...", with no arg-max figure anywhere (only metrics/zho_eld/seed0.json held it: 50.3 vs chance 33.4).  The
    verdict now says it, with its chance level and UA."""
    from bimotion.advise.caveat import backend_caveat
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown, summary_lines

    probe = GridConfig(tables=[], backend="probe", features="logmel", target="zho_eld", groups=["zho_eld"])
    score = Estimate([45.3, 47.0, 47.1], 46.5, 1.0, [44.0, 49.0], [41.8, 51.2], 2.5)
    baseline = MixtureResult("zho_eld", "zho_eld", "zho_eld", "baseline", "X(l,a)", [], score, score, test_clips=400,
                             chance=50.0, argmax=[50.25, 51.26, 48.45], ua=[51.0, 51.34, 48.66])  # fmt: skip
    advice = Advice("zho_eld", "zho_eld", 400, 50.0, [0, 1, 2], 0.95, 1000, "mean", "probe", [baseline], Path("."),
                    caveat=backend_caveat(probe, {"bimotion": "csed"}, True, ranks=True), chance_argmax=33.35,
                    chance_ua=33.33)  # fmt: skip
    lines = summary_lines(advice)
    assert "(read by arg-max: the verdict below)" in lines[0]
    assert lines[3] == (
        "No other group was given: nothing to compare with training on Mandarin elderly alone. At the 0.5 threshold "
        "it scores at or below chance (50.0); read by arg-max (one label per clip), the in-group baseline scores 50.0 "
        "vs chance 33.4 and its UA 50.3% vs 33.3%: it ranks the labels above chance but is badly calibrated at 0.5 "
        "(per seed: metrics/zho_eld/seed<k>.json)."
    ), lines[3]
    assert lines[3] in render_markdown(advice)
    above = dataclasses.replace(baseline, score=Estimate([60.0], 60.0, 0.0, [math.nan] * 2, [59.0, 61.0], 1.0))
    alone = summary_lines(dataclasses.replace(advice, mixtures=[above], caveat=""))  # above chance: as before
    assert alone[2] == "No other group was given: nothing to compare with training on Mandarin elderly alone.", alone


@pytest.mark.usefixtures("own_corpora")  # ind_eld: the specs are parsed
def test_advice_mds_table_names_the_reading_and_its_chance_level_by_the_metric():
    """Under ``metric: weighted_f1_argmax`` advice.md's table header said "Weighted F1 % (mean ± std over seeds)" and
    its footnote explained the chance level in the 0.5 threshold's words (an all-positive predictor), of scores read
    by arg-max; both now follow the metric: the reading's name (training.f1.READINGS) and its own chance level's words."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import render_markdown
    from bimotion.training.metrics import CHANCE_OF

    score = Estimate([60.0], 60.0, 0.0, [math.nan] * 2, [59.0, 61.0], 1.0)
    baseline = MixtureResult("ind_eld", "b", "b", "baseline", "l_a", [], score, score, chance=30.0)
    advice = Advice("ind_eld", "ind_eld", 48, 30.0, [0], 0.95, 100, "mean", "probe", [baseline], Path("."))
    for metric, reading in (("weighted_f1", "at the 0.5 threshold"), ("weighted_f1_argmax", "read by arg-max")):
        text = render_markdown(dataclasses.replace(advice, metric=metric))
        assert f"| Weighted F1 % {reading} (mean ± std over seeds) |" in text, text
        assert f"† at or below its chance level ({CHANCE_OF[metric]})." in text, text
    assert "all-positive" not in render_markdown(dataclasses.replace(advice, metric="weighted_f1_argmax"))


def test_the_baselines_see_the_first_line_points_to_the_backend_caveat_beside_the_generated_data_line():
    """On generated data with a log-mel baseline at chance (the demo's corpora, one seed) the summary began with
    the generated-data line, then the backend's caveat, and the baseline's † said "see the first line": the
    generated-data line, not the caveat it meant.  The backend's caveat is first again, the generated-data line
    second."""
    from bimotion.advise.caveat import synthetic_caveat
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import summary_lines

    score = Estimate([14.3], 14.3, 0.0, [math.nan] * 2, [0.0, 40.0], 21.4)
    baseline = MixtureResult("zho_eld", "b", "b", "baseline", "X(l,a)", [], score, score, test_clips=400, chance=67.3)
    advice = Advice("zho_eld", "zho_eld", 400, 67.3, [0], 0.95, 100, "mean", "probe", [baseline], Path("."),
                    caveat="Not evidence that the audio carries no emotion: ...", synthetic=["csed", "esd"])  # fmt: skip
    lines = summary_lines(advice)
    assert lines[0] == advice.caveat and lines[1] == synthetic_caveat(["csed", "esd"], "zho_eld"), lines[:2]
    assert lines[3].endswith("†: at or below chance, see the first line."), lines[3]
    alone = summary_lines(dataclasses.replace(advice, caveat=""))  # no backend caveat: the generated-data line first
    assert alone[0].startswith("Generated data, not evidence about real speakers: csed and esd are synthetic")


def test_the_summarys_points_name_the_reading_of_weighted_f1_by_the_metric():
    """Under ``metric: weighted_f1_argmax`` the summary's best line and each augmentation's line said "by 5.0 ± 1.0
    weighted-F1 points", the words of either reading, though the first line and the table name it.  Both now name
    the reading (training.f1.READINGS): "weighted-F1 points read by arg-max" or "at the 0.5 threshold"."""
    from bimotion.advise.collect import Advice, Estimate, MixtureResult
    from bimotion.advise.report import summary_lines
    from bimotion.training.f1 import READINGS

    def estimate(value: float) -> Estimate:
        return Estimate([value], value, 0.0, [math.nan] * 2, [value - 1, value + 1], 1.0)

    baseline = MixtureResult("zho_eld", "b", "b", "baseline", "X(l,a)", [], estimate(60.0), estimate(0.0),
                             test_clips=48, chance=30.0)  # fmt: skip
    held = MixtureResult("zho_eld+eng_eld", "e", "e", "augment", "X(l,a)+eng_eld", ["eng_eld"], estimate(65.0),
                         estimate(5.0), test_clips=48, chance=30.0)  # fmt: skip
    advice = Advice("zho_eld", "zho_eld", 48, 30.0, [0], 0.95, 100, "mean", "probe", [baseline, held], Path("."))
    for metric, reading in READINGS.items():
        text = "\n".join(summary_lines(dataclasses.replace(advice, metric=metric)))
        points = f"raises Mandarin elderly by 5.0 ± 1.0 weighted-F1 points {reading}"
        assert text.count(points) == 2, text  # the best line's and the augmentation's
        assert "weighted-F1 points" not in text.replace(points, ""), text


def test_a_grid_that_writes_no_tables_ends_advise_with_one_line_and_exit_1(data_dirs, tmp_path, capsys, monkeypatch):
    """Where the grid writes no tables (another worker holds the tables claim, or the tables wait for a unit a
    live worker holds: bimotion.grid.workers.report_once), advise exited 0 with no error line, as if it had
    advised. It now says, as the demo does, that the tables were not written and why (the grid's own line), and
    exits 1."""
    from bimotion.grid.runner import Grid

    said = "[grid] every model is finished; pid 4242 on otherhost is writing the tables"

    def no_tables(self):
        self.log(said)
        return None

    monkeypatch.setattr(Grid, "run", no_tables)
    args = ["--target", "zho_eld", "--bimotion", str(data_dirs["bimotion"]), "--output", str(tmp_path / "o")]
    assert main(["advise", *args]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: the tables were not written: every model is finished; pid 4242 on otherhost is writing the tables"
    ], captured.err
    assert "advice.md" not in captured.out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to oneself")
def test_a_sigterm_lost_as_advise_collects_writes_no_advice(probe_advice, tmp_path, monkeypatch, capsys):
    """A stop a finalizer swallowed after the grid's last safe point (its tables written, or as the advice was
    collected from the predictions) was not taken: advise wrote advice.json and advice.md and exited 0."""
    from test_signals import _losing_once

    from bimotion.advise import run

    argv, out, _ = probe_advice
    again = tmp_path / "out"
    shutil.copytree(out, again)
    for name in ("advice.json", "advice.md"):
        (again / name).unlink()
    _losing_once(monkeypatch, run, "collect_advice")
    assert main([*argv[:-2], "--output", str(again)]) == 143  # every model reused
    assert capsys.readouterr().err.splitlines()[-1] == "terminated"
    assert not (again / "advice.json").exists() and not (again / "advice.md").exists()
