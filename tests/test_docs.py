"""The registry-driven tables in docs/ are up to date (regenerate with `python scripts/gen_docs.py`), and
every test the docs name as the proof of a promise exists."""

from __future__ import annotations

import importlib.util
import re

from conftest import REPO


def test_generated_doc_blocks_are_fresh():
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    gen_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_docs)
    assert gen_docs.main(["--check"]) == 0
    text = (REPO / "docs" / "corpora.md").read_text(encoding="utf-8")
    from loaders import READERS

    for name in READERS:
        assert f"| {name} |" in text


def test_every_test_the_docs_cite_exists():
    defined = {
        m
        for path in (REPO / "tests").glob("test_*.py")
        for m in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)
    }
    cited = {
        (doc.name, name)
        for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
        # not a flag (--test_configs), a path, a quoted key, nor an attribute (data_args.test_configs)
        for name in re.findall(r"(?<![\w/\".-])(test_\w+)(?![\w.*\"])", doc.read_text(encoding="utf-8"))
    }
    missing = sorted((doc, name) for doc, name in cited if name not in defined)
    assert not missing, f"docs cite tests that do not exist: {missing}"


def batch_scripts() -> list[tuple[str, str]]:
    """Every whole script the docs show (a ```bash block that starts with ``#!/bin/bash``): (doc, script)."""
    found = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for block in re.findall(r"```bash\n(#!/bin/bash\n.*?)```", doc.read_text(encoding="utf-8"), re.S):
            found.append((doc.name, block))
    return found


def test_the_docs_batch_scripts_run_as_written():
    """A Slurm script in the docs is copied into a file and submitted as it is.  The grid's job-array
    script ended with a placeholder line (``python recipes/grid.py ...same arguments... --shard 0/1``),
    which every array task then ran after its share: an error at best.  Every such script is now
    whole: bash parses it, it has no ``...``, the files it names are in the checkout, and each recipe
    it runs accepts every flag given to it (its ``--help_all``)."""
    import subprocess
    import sys

    from bimotion.training.testing import subprocess_env

    scripts = batch_scripts()
    assert {doc for doc, _ in scripts} >= {"recipes.md", "recipes-grid.md"}
    helps: dict[str, str] = {}
    for doc, script in scripts:
        checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert checked.returncode == 0, f"{doc}: {checked.stderr}\n{script}"
        assert "..." not in script, f"{doc}: a placeholder in a script to run as written:\n{script}"
        words = re.sub(r"#.*", "", script.replace("\\\n", " ")).split()
        for word in words:
            if re.fullmatch(r"(recipes|bimotion)/[\w/.-]+\.(py|yaml)", word):
                assert (REPO / word).is_file(), f"{doc}: {word} is not in the checkout"
        for i, word in enumerate(words):
            if not re.fullmatch(r"recipes/\w+\.py", word):
                continue
            if word not in helps:
                helps[word] = subprocess.run(
                    [sys.executable, str(REPO / word), "--help_all"],
                    capture_output=True,
                    text=True,
                    env=subprocess_env(),
                ).stdout
            end = next((j for j in range(i + 1, len(words)) if words[j] in {"&&", ";", "|"}), len(words))
            for flag in (w.split("=")[0] for w in words[i + 1 : end] if w.startswith("--")):
                assert re.search(rf"^\s+{re.escape(flag)}\b", helps[word], re.M), f"{doc}: {word} has no {flag}"


def test_the_docs_tiny_model_one_liner_says_nothing(tmp_path):
    """docs/recipes.md makes its base model with a ``python3 -c`` one-liner (``save_tiny_model``), which
    printed transformers' "Writing model shards: 100%|...| 1/1" bar for a file written in a moment:
    noise before the run the page explains.  Run as written (in a scratch folder), it now prints
    nothing and leaves the model."""
    import shlex
    import subprocess

    from bimotion.training.testing import subprocess_env

    text = (REPO / "docs" / "recipes.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("python3 -c") and "save_tiny_model(" in line]
    assert len(lines) == 1, lines
    done = subprocess.run(
        shlex.split(lines[0]), cwd=tmp_path, capture_output=True, text=True, env=subprocess_env(), timeout=300
    )
    assert done.returncode == 0 and (done.stdout, done.stderr) == ("", ""), done.stderr[-2000:]
    assert (tmp_path / "demo" / "tiny" / "config.json").is_file()


def test_the_end_of_run_table_in_recipes_md_is_the_one_train_py_prints():
    """docs/recipes.md showed train.py's end table with its score column two spaces left of where
    train.py prints it (the table's layout changed, the doc's copy did not): the doc's rows are now
    what :func:`scores_report` prints for the doc's own numbers."""
    from bimotion.training.report import scores_report

    text = (REPO / "docs" / "recipes.md").read_text(encoding="utf-8")
    block = text[text.index("test scores per group (weighted F1") :].split("\n† at or below chance")[0]
    shown = block.splitlines()[1:]
    groups, mean = {}, None
    for line in shown[1:]:
        cells = line.replace("†", "").split()
        if line.startswith("all (mean of test sets)"):
            mean = [float(cells[-2]) / 100, float(cells[-1]) / 100]
            continue
        low, high = (float(x) / 100 for x in cells[2].split("-"))
        groups[cells[0]] = {
            "weighted_f1": float(cells[1]) / 100,
            "weighted_f1_ci": [low, high],
            "chance": float(cells[3]) / 100,
            "num_samples": int(cells[4]),
        }
    assert groups and mean, shown
    scores = {"groups": groups, "weighted_f1": mean[0], "chance": mean[1]}
    printed = scores_report(scores).split("\n† at or below chance")[0].splitlines()[1:]
    assert printed == shown


def test_the_end_of_run_notes_in_recipes_md_are_the_ones_train_py_prints():
    """docs/recipes.md's tiny-model run ended its 95% CI line at "(1000 resamples)", where train.py
    now goes on to name the test sets of few speakers (that command's scores.json records 3 test
    speakers for eng_eld, 15 for eng_adu, none for CSED's zho_eld, 2 for zho_adu): the doc's line is
    what :func:`scores_report` prints for the doc's numbers and that run's recorded speakers."""
    from bimotion.training.report import scores_report

    text = (REPO / "docs" / "recipes.md").read_text(encoding="utf-8")
    block = text[text.index("test scores per group (weighted F1") :].split("\n```")[0]
    shown = [line for line in block.splitlines() if line.startswith("95% CI:")]
    speakers = {"eng_eld": 3, "eng_adu": 15, "zho_adu": 2}  # the run's scores.json, num_speakers
    groups = {
        group: {"weighted_f1": 0.5, "weighted_f1_ci": [0.4, 0.6], "chance": 0.3, "num_samples": 1}
        | ({"num_speakers": speakers[group]} if group in speakers else {})
        for group in ("eng_eld", "eng_adu", "zho_eld", "zho_adu")
    }
    drawn = {"resampled": "test speakers within each corpus (clips where a corpus names none)", "samples": 1000}
    printed = scores_report({"groups": groups, "weighted_f1": 0.5, "chance": 0.3, "intervals": drawn})
    assert shown == [line for line in printed.splitlines() if line.startswith("95% CI:")]


def test_no_doc_points_at_the_ci_folder_of_real_material():
    """README.md said the real-material tests use `../shared`: a folder beside the project's CI
    checkout that no user has.  No user-facing doc (README, docs/, the templates a card is written
    from) names it."""
    pages = [REPO / "README.md", *(REPO / "docs").glob("*.md"), *(REPO / "bimotion" / "templates").glob("*.md")]
    named = [p.relative_to(REPO).as_posix() for p in pages if "../shared" in p.read_text(encoding="utf-8")]
    assert not named


def test_the_readme_and_the_demos_help_give_one_honest_estimate_of_the_demos_time():
    """The README's first command said the demo takes "~10 min on 2 cores" and `bimotion demo --help`
    "about 10 min", while on 2 cores it took 7.4 min in CI on an idle machine and 10.5 to 16.4 min on
    one busy with other work: a figure that a longer run belied.  Both give the range now, the same one."""
    from bimotion.commands import demo

    readme = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    [command] = [line for line in readme if line.startswith("bash scripts/setup.sh && bimotion demo")]
    [help_line] = [line for line in demo.__doc__.splitlines() if "# everything:" in line]
    span = r"(\d+)-(\d+) min on 2 (?:CPU )?cores"
    said, helped = re.search(span, command), re.search(span, help_line)
    assert said and helped, (command, help_line)
    assert said.groups() == helped.groups()
    low, high = map(int, said.groups())
    assert low <= 7.4 and high >= 16  # CI's fastest and slowest demo on 2 cores (7.4 and 16.4 min)


def test_architecture_md_names_every_recipe_that_prints_the_out_of_memory_line():
    """docs/architecture.md said `out_of_memory` was the line "a command, train.py, augment.py and
    infer.py" print, where grid.py, probe.py and project.py print it too (each calls
    ``said_out_of_memory``; train.py and augment.py through ``train_and_report``): the sentence names
    every recipe that prints it."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    sentence = text[text.index("holds `out_of_memory`") :].split(" print for an allocation")[0]
    printing = {
        path.name
        for path in (REPO / "recipes").glob("*.py")
        if re.search(r"\b(said_out_of_memory|train_and_report)\b", path.read_text(encoding="utf-8"))
    }
    assert printing >= {"train.py", "infer.py", "grid.py"}
    assert {name for name in printing if f"`{name}`" not in sentence} == set()


def test_the_grid_config_listing_in_recipes_grid_md_has_every_key():
    """docs/recipes-grid.md's "The config" listing had no `num_threads`, `backend` or `features`,
    keys every grid config may set (the demo's num_threads: 1, probe.yaml's backend: probe): the
    listing now has every field of :class:`GridConfig`."""
    from dataclasses import fields

    from bimotion.grid.config import GridConfig

    text = (REPO / "docs" / "recipes-grid.md").read_text(encoding="utf-8")
    listing = text[text.index("## The config") :].split("```yaml\n")[1].split("```")[0]
    keys = set(re.findall(r"^(\w+):", listing, re.M))
    assert {f.name for f in fields(GridConfig)} - keys == set()


def test_the_scores_json_listing_in_recipes_md_has_every_key_of_a_test_group():
    """docs/recipes.md's listing of scores.json had no `num_speakers`, which every test group whose
    corpora name speakers records (the tiny-model run's eng_eld: 3), and which its end table reads:
    every key :func:`score_groups` writes for a test group with intervals is in the listing."""
    import numpy as np

    from bimotion.training.metrics import score_groups

    text = (REPO / "docs" / "recipes.md").read_text(encoding="utf-8")
    listing = text[text.index("`scores.json` (the same shape") :].split("```\n")[1]
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(12, 13)), (rng.random((12, 13)) < 0.3).astype(np.int8)
    mask = np.ones((12, 13), dtype=np.int8)
    scores = score_groups(
        logits, labels, mask, np.array(["tess"] * 12), np.array(["eng_eld"] * 12),
        intervals=7, speakers=np.array(["a", "b"] * 6),
    )  # fmt: skip
    keys = set(scores) | set(scores["groups"]["eng_eld"])
    assert {key for key in keys if f'"{key}"' not in listing} == set()


def test_the_prepare_json_listing_in_datasets_md_names_the_user_split_keys():
    """docs/datasets.md's listing of what prepare.json holds named user_sources but not
    user_split_columns or user_split_shared_speakers, which prepare writes for a corpus of one's own
    (its `split` column, and how many speakers it put in more than one split) and `check` and the
    cards read: the listing names every key of :data:`bimotion.splits.RECORD_KEYS`."""
    from bimotion.splits import RECORD_KEYS

    text = (REPO / "docs" / "datasets.md").read_text(encoding="utf-8")
    listing = text[text.index("## What `prepare` writes") :].split("  data/<corpus>/")[0]
    assert [key for key in RECORD_KEYS if key not in listing] == []


CSED_LOGMEL_UA = (48.7, 51.3)  # UA (%) of the log-mel probe's baseline on the real CSED, lowest and highest of 3 seeds


def test_advise_md_gives_csed_log_mel_ua_as_measured():
    """docs/advise.md gave the real CSED's log-mel baseline UA as "49-51 (3 seeds)", a rounded range narrower than a
    fresh run's per-seed 48.7-51.3 (mean 50.3); it now gives the measured range."""
    text = " ".join((REPO / "docs" / "advise.md").read_text(encoding="utf-8").split())
    found = re.search(r"while its UA is ([\d.]+)-([\d.]+) \(3 seeds\)", text)
    assert found and (float(found[1]), float(found[2])) == CSED_LOGMEL_UA, found and found[0]


def test_advise_md_names_a_differences_points_as_advise_prints_them():
    """docs/advise.md's prose said "a clear gain of 34.3 ± 11.8 points" and "adds 6.0 ± 6.6 points": points of
    what, where its scores are weighted F1 in percent; ``bimotion advise`` prints "weighted-F1 points at the 0.5
    threshold" (advise.report._points).  Every difference in points it gives now says so."""
    from types import SimpleNamespace

    from bimotion.advise.report import _points

    text = " ".join((REPO / "docs" / "advise.md").read_text(encoding="utf-8").split())
    unit = _points(SimpleNamespace(metric="weighted_f1"))
    assert unit == "weighted-F1 points at the 0.5 threshold"
    bare = re.findall(r"(?<![\w.-])\d+(?:\.\d+)?(?: ± \d+(?:\.\d+)?)? points\b", text)
    assert not bare, bare
    for number in ("34.3 ± 11.8", "6.0 ± 6.6", "8.6 ± 1.2"):
        assert f"{number} {unit}" in text, number


def test_the_readmes_demo_claim_names_its_unit_and_holds_for_the_demos_documented_run():
    """README said the demo's Table 3 baselines score "at least 20 points above" chance, without saying
    points of what: they are weighted-F1 percentage points at the 0.5 threshold (the demo config's
    ``metric``, as ``bimotion advise`` says its differences); and the run docs/reproducing.md reports
    clears that margin in every cell (its lowest: English elderly, 56.7 against 32.1)."""
    from bimotion.grid.config import load_config
    from bimotion.training.f1 import READINGS

    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    claim = re.search(r"every baseline cell of Table 3 at least (\d+) (.*?) above its chance level", readme)
    assert claim, "README's claim of the demo's baseline cells is gone"
    unit = claim[2]
    reading = READINGS[load_config("demo").metric]
    assert "weighted-F1 points" in unit and "percentage points" in unit and reading in unit, unit
    text = " ".join((REPO / "docs" / "reproducing.md").read_text(encoding="utf-8").split())
    section = text[text.index("## The demo is not a reproduction") :]
    section = section.split(" ## ")[0]  # to the next section, if any
    measured = re.findall(r"(\d+\.\d) on (?:English|Mandarin) (?:elderly|adults) \(chance (\d+\.\d)\)", section)
    assert len(measured) == 4, measured
    assert all(float(score) - float(chance) >= int(claim[1]) for score, chance in measured), measured
