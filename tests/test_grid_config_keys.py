"""A grid config's keys that are read only as the grid runs (num_threads, tiny_model, keep_checkpoints, target:)
and the data its figures read: refused before anything is made or trained, in one line."""

from __future__ import annotations

import pytest
import yaml
from conftest import demo_refuses


def _demo_refuses(tmp_path, capsys, config: dict, said: str) -> None:
    """``bimotion demo --config F`` exits 2 in seconds with the one line ``said`` (after ``--config F: `` where
    ``said`` does not name F itself), writing nothing."""
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    demo_refuses(path, said, tmp_path, capsys)


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("num_threads", "2", "num_threads must be a whole number ≥ 1 (torch's CPU threads) or null (torch's default), not '2'"),
        ("num_threads", 0, "num_threads must be a whole number ≥ 1 (torch's CPU threads) or null (torch's default), not 0"),
        ("keep_checkpoints", "no", "keep_checkpoints must be true or false, not 'no'"),
        ("eval_batch_size", 0, "eval_batch_size must be a whole number ≥ 1 (clips per batch as the grid predicts its test sets), not 0"),
        ("tiny_model", [64], "tiny_model must be a mapping of wav2vec2 config overrides ({}: the defaults), or null, not [64]"),
        ("tiny_model", {"hidden_size": "64"}, "tiny_model: hidden_size must be a whole number ≥ 1, not '64'"),
        ("tiny_model", {"hidden_size": 63}, "tiny_model: hidden_size (63) must be a multiple of num_attention_heads (2)"),
    ],
)  # fmt: skip
def test_a_run_key_of_the_wrong_type_is_refused_when_the_config_is_loaded(tmp_path, capsys, key, value, said):
    """num_threads: '2' was read only by torch.set_num_threads once the demo had made its data (a TypeError
    traceback); keep_checkpoints: 'no' (a truthy string) kept every checkpoint; a tiny_model whose sizes do
    not fit failed as the first model was built; eval_batch_size: 0 was read only as the grid predicted its test
    sets, once the first model had trained. Now: exit 2, one line naming the key, the value and the fix."""
    config = {"tables": ["table5"], "tiny_model": {}, "projections": [], key: value}
    _demo_refuses(tmp_path, capsys, config, f"{said}: correct it, or delete the line")


def test_a_mistyped_key_of_tiny_model_is_refused_naming_the_file_the_key_and_the_known_keys(tmp_path, capsys):
    """tiny_model: {hiden_size: 64} was kept by Wav2Vec2Config as an attribute no layer reads: the demo and
    recipes/grid.py trained the default tiny model (hidden_size 32) and said nothing. Now: exit 2, one line naming
    the file, the key, the key it is close to, the known keys and the fix; a key of Wav2Vec2Config's still passes."""
    from conftest import load_recipe

    from bimotion.grid.config import load_config
    from bimotion.training.testing import tiny_model_keys

    config = {"tables": ["table5"], "tiny_model": {"hiden_size": 64}, "projections": []}
    said = (
        "tiny_model: unknown key 'hiden_size' (did you mean 'hidden_size'?); the known keys: "
        f"{', '.join(tiny_model_keys())}: correct it, or delete the line"
    )
    assert "hidden_dropout, hidden_size" in said
    _demo_refuses(tmp_path, capsys, config, said)
    path = tmp_path / "grid.yaml"
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--output_dir", str(tmp_path / "grid")])
    err = capsys.readouterr().err.splitlines()
    assert exit_.value.code == 2 and err[-1].endswith(f": error: --config {path}: {said}"), err
    assert not (tmp_path / "grid").exists()
    load_config({"tables": ["table5"], "tiny_model": {"hidden_dropout": 0.0, "hidden_size": 64}})


def test_run_keys_of_the_right_type_pass():
    from bimotion.grid.config import load_config

    for ok in ({"num_threads": 1}, {"num_threads": None}, {"keep_checkpoints": True}, {"tiny_model": None},
               {"tiny_model": {"hidden_size": 64, "num_attention_heads": 4}}):  # fmt: skip
        load_config({"tables": ["table5"], **ok})


def test_numpy_integers_pass_as_the_whole_numbers_they_are_and_a_bool_does_not():
    """A config built in Python with numpy integers (num_threads=np.int64(2)) was refused: 'num_threads must be a
    whole number ≥ 1 ..., not np.int64(2)', eval_batch_size and tiny_model's sizes alike; its np.int64 seeds passed,
    and would have failed the table's JSON once every model had trained. Each now passes, held as an int."""
    import json
    from dataclasses import asdict

    import numpy as np

    from bimotion.grid.checks import check_config
    from bimotion.grid.config import load_config

    config = load_config(
        {"tables": ["table5"], "num_threads": np.int64(2), "eval_batch_size": np.int32(4), "seeds": [np.int64(0), 1],
         "bootstrap_samples": np.int64(10), "tiny_model": {"hidden_size": np.int64(64), "num_attention_heads": 4}}
    )  # fmt: skip
    check_config(config)
    json.dumps(asdict(config))  # as plan.json's settings and a table's seeds are written
    assert (config.num_threads, config.eval_batch_size, config.seeds, config.bootstrap_samples) == (2, 4, [0, 1], 10)
    assert [type(v) for v in (config.num_threads, config.eval_batch_size, *config.seeds, config.bootstrap_samples,
                              *config.tiny_model.values())] == [int] * 7  # fmt: skip
    for key, value in (
        ("num_threads", True),
        ("eval_batch_size", np.float64(2)),
        ("tiny_model", {"hidden_size": True}),
    ):
        with pytest.raises(ValueError, match="must be a whole number ≥ 1"):
            load_config({"tables": ["table5"], key: value})


def test_a_figures_numpy_integers_and_a_numpy_bool_keep_checkpoints_pass_as_what_they_are():
    """A config built in Python was refused for a figure's numpy integers ("n_neighbors must be a whole number ≥ 2,
    not np.int64(15)"; max_test, seed, ... alike) and for keep_checkpoints=np.True_ ("must be true or false, not
    np.True_"). Each now passes, held as the int (the bool) of the same value, so the figure's JSON takes it; a bool
    is still no count."""
    import json
    from dataclasses import asdict

    import numpy as np

    from bimotion.grid.config import load_config
    from bimotion.projection_spec import ProjectionSpec

    figure = {"name": "f", "title": "F", "model": "zho_eld", "test": "zho_eld", "panels": [{"title": "a", "train": "zho_eld"}],
              "n_neighbors": np.int64(15), "max_test": np.int32(100), "seed": np.int64(1), "batch_size": np.uint8(4)}  # fmt: skip
    spec = ProjectionSpec.from_dict(figure)
    assert [(type(v), v) for v in (spec.n_neighbors, spec.max_test, spec.seed, spec.batch_size)] == [
        (int, 15), (int, 100), (int, 1), (int, 4)
    ]  # fmt: skip
    json.dumps(asdict(spec))  # as the figure's JSON records its numbers
    with pytest.raises(ValueError, match="n_neighbors must be a whole number ≥ 2, not np.True_"):
        ProjectionSpec.from_dict({**figure, "n_neighbors": np.True_})
    config = load_config({"tables": ["table5"], "keep_checkpoints": np.True_})
    assert config.keep_checkpoints is True
    with pytest.raises(ValueError, match="keep_checkpoints must be true or false, not np.int64"):
        load_config({"tables": ["table5"], "keep_checkpoints": np.int64(1)})


def test_a_figures_numpy_min_dist_passes_as_a_float_and_a_bool_is_refused():
    """A config built in Python was refused for a figure's min_dist=np.float32(0.25) ("min_dist must be a number from
    0 to 1, not np.float32(0.25)"; np.int64(0) alike): only int and float passed. Each numbers.Real now
    passes, held as the float of it (the figure's JSON takes it); a bool (np.True_ too) is still refused."""
    import json
    from dataclasses import asdict

    import numpy as np

    from bimotion.projection_spec import ProjectionSpec

    figure = {"name": "f", "title": "F", "model": "zho_eld", "test": "zho_eld", "panels": [{"title": "a", "train": "zho_eld"}]}  # fmt: skip
    for value, held in ((np.float32(0.25), 0.25), (np.float64(0.5), 0.5), (np.int64(0), 0.0), (1, 1.0)):
        spec = ProjectionSpec.from_dict({**figure, "min_dist": value})
        assert type(spec.min_dist) is float and spec.min_dist == held, value
        json.dumps(asdict(spec))
    assert ProjectionSpec.from_dict(figure).min_dist == 0.1
    for value in (True, np.True_, np.float32(1.5), "0.1"):
        with pytest.raises(ValueError, match=r"'f': min_dist must be a number from 0 to 1, not "):
            ProjectionSpec.from_dict({**figure, "min_dist": value})


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("seeds", ["0"], "SOURCE: seeds: must be integers in [0, 2**32), not '0'"),
        ("seeds", [1.5], "SOURCE: seeds: must be integers in [0, 2**32), not 1.5"),
        ("seeds", [0, True], "SOURCE: seeds: must be integers in [0, 2**32), not True"),
        ("bootstrap_samples", "10", "SOURCE: bootstrap_samples: must be a whole number > 0, not '10'"),
        ("bootstrap_samples", 2.5, "SOURCE: bootstrap_samples: must be a whole number > 0, not 2.5"),
    ],
)
def test_a_seed_or_bootstrap_samples_that_is_no_whole_number_is_refused_in_one_line(tmp_path, capsys, key, value, said):
    """seeds: ['0'] and bootstrap_samples: '10' ended recipes/grid.py and the demo with a TypeError traceback
    ("'<=' not supported between instances of 'int' and 'str'"); seeds: [1.5] and bootstrap_samples: 2.5 passed
    (a model folder seed1.5). Now: exit 2, one line naming the key, the value and what it must be."""
    said = said.replace("SOURCE", f"grid config {tmp_path / 'grid.yaml'}")  # the file's seeds:, not --seeds
    _demo_refuses(tmp_path, capsys, {"tables": ["table5"], "tiny_model": {}, "projections": [], key: value}, said)


def test_a_repeated_seed_names_the_config_files_seeds_unless_the_seeds_flag_gave_it(tmp_path, capsys):
    """seeds: [0, 0] in the config file, with no --seeds flag, was refused as "--seeds lists seed 0 more than
    once", naming a flag the user never gave. Now the demo and recipes/grid.py name the file's seeds:; --seeds 1 1
    is still named --seeds."""
    from conftest import load_recipe

    config = {"tables": ["table5"], "tiny_model": {}, "projections": [], "seeds": [0, 0]}
    said = f"grid config {tmp_path / 'grid.yaml'}: seeds: lists seed 0 more than once"
    _demo_refuses(tmp_path, capsys, config, said)
    for flag, named in (([], said), (["--seeds", "1", "1"], "--seeds lists seed 1 more than once")):
        with pytest.raises(SystemExit) as exit_:
            load_recipe("grid").main(
                ["--config", str(tmp_path / "grid.yaml"), *flag, "--output_dir", str(tmp_path / "g")]
            )
        assert exit_.value.code == 2 and capsys.readouterr().err.splitlines()[-1].endswith(f"error: {named}")


def test_bootstrap_samples_names_the_config_files_key_unless_the_flag_gave_it(tmp_path, capsys):
    """bootstrap_samples: 0 in the config file was refused as "--bootstrap_samples must be a whole number > 0, not
    0", naming a flag the user never gave (recipes/grid.py, bimotion demo, advise). The error now names the file's
    key, as seeds: does; recipes/grid.py --bootstrap_samples 0 is still named --bootstrap_samples, and a good flag
    over a bad file's value passes that check."""
    from conftest import load_recipe

    config = {"tables": ["table5"], "tiny_model": {}, "projections": [], "bootstrap_samples": 0}
    said = f"grid config {tmp_path / 'grid.yaml'}: bootstrap_samples: must be a whole number > 0, not 0"
    _demo_refuses(tmp_path, capsys, config, said)
    flagged = "--bootstrap_samples must be a whole number > 0, not -3"
    for flag, named in (([], said), (["--bootstrap_samples", "-3"], flagged)):
        with pytest.raises(SystemExit) as exit_:
            load_recipe("grid").main(
                ["--config", str(tmp_path / "grid.yaml"), *flag, "--output_dir", str(tmp_path / "g")]
            )
        assert exit_.value.code == 2 and capsys.readouterr().err.splitlines()[-1].endswith(f"error: {named}")
    with pytest.raises(SystemExit) as exit_:  # the flag's 10 replaces the file's 0: refused later, for the data
        load_recipe("grid").main(
            ["--config", str(tmp_path / "grid.yaml"), "--bootstrap_samples", "10", "--output_dir", str(tmp_path / "g")]
        )
    assert "bootstrap_samples" not in capsys.readouterr().err


def test_a_target_that_is_not_among_the_groups_is_refused_before_the_demo_makes_its_data(tmp_path, capsys):
    """target: zho_eldd was read only by make_plan, which bimotion demo's early check of the config never
    called: it generated and prepared the data first, then ended with the error. Now: exit 2 in seconds, one
    line naming the file, the target's closest group and the fix; nothing written."""
    config = {"tables": [], "tiny_model": {}, "projections": [], "target": "zho_eldd", "groups": ["zho_eld", "yue_eld"]}
    said = (
        f"grid config {tmp_path / 'grid.yaml'}: target 'zho_eldd' is not among the groups with training data "
        "(did you mean 'zho_eld'?): zho_eld, yue_eld: correct target:, groups: or augment_only:"
    )
    _demo_refuses(tmp_path, capsys, config, said)


@pytest.mark.parametrize(
    ("target", "key", "items", "said"),
    [
        ("yue_eld", "groups", ["yue_adu", "yuemotion:all+eng_adu[esd]"], "groups: item 2, 'yuemotion:all+eng_adu[esd]', is 3 groups (yue_adu, yue_eld, eng_adu), and each item of groups: is one group: list each group as its own item: yue_adu, yue_eld, eng_adu[esd]"),
        ("yue_adu", "groups", ["yue_adu", "eng_adu+eng_eld[crema_d]"], "groups: item 2, 'eng_adu+eng_eld[crema_d]', is 2 groups (eng_adu, eng_eld), and each item of groups: is one group: list each group as its own item: eng_adu, eng_eld[crema_d]"),
        ("yue_adu", "groups", ["yue_adu", "bimotion:all"], "groups: item 2, 'bimotion:all', is 4 groups (eng_eld, eng_adu, zho_eld, zho_adu), and each item of groups: is one group: list each group as its own item: eng_eld, eng_adu, zho_eld, zho_adu"),
        ("yue_adu", "augment_only", ["zho_eld+eng_eld"], "augment_only: item 1, 'zho_eld+eng_eld', is 2 groups (zho_eld, eng_eld), and each item of augment_only: is one group: list each group as its own item: zho_eld, eng_eld"),
    ],
)  # fmt: skip
def test_an_item_of_groups_that_is_several_groups_is_refused_naming_them(tmp_path, capsys, target, key, items, said):
    """An item of groups: or augment_only: is one group (docs/recipes-grid.md), and one of several was silently cut to
    its first: groups: [yue_adu, "yuemotion:all+eng_adu[esd]"] said "groups with training data: yue_adu, yue_adu";
    eng_adu+eng_eld trained the X(l,a)+eng_adu model on eng_eld too; augment_only: [zho_eld+eng_eld] left eng_eld a
    model alone. Now: one line naming the file, the key, the item, its groups and the items to list instead, before
    the demo makes anything, and make_plan refuses it too (a config built in Python)."""
    from bimotion.grid.config import load_config
    from bimotion.grid.plan import make_plan

    groups = {"groups": ["yue_adu", "zho_eld", "eng_eld"]} if key == "augment_only" else {}
    config = {"tables": [], "tiny_model": {}, "projections": [], "target": target, **groups, key: items}
    with pytest.raises(ValueError) as err:
        make_plan(load_config(config))
    assert str(err.value) == said
    _demo_refuses(tmp_path, capsys, config, f"grid config {tmp_path / 'grid.yaml'}: {said}")


@pytest.mark.parametrize("name", ["demo", "paper", "authors", "probe", "advise-tiny"])
def test_the_shipped_configs_load_check_and_plan(name):
    """The shipped configs' groups (none, or advise-tiny's [], which advise fills with the prepared groups, each one
    group) pass the one-group-an-item check."""
    from bimotion.grid.checks import check_config
    from bimotion.grid.config import load_config
    from bimotion.grid.plan import make_plan

    config = load_config(name)
    if config.target:  # advise-tiny's zho_eld, its groups read from the data
        config = config.replaced(groups=["zho_eld", "zho_adu", "eng_eld[crema_d]"])
    check_config(config)
    assert make_plan(config).models


def test_a_figures_data_is_checked_against_the_given_datasets_before_anything_trains(tmp_path, capsys, monkeypatch):
    """A figure's test: yue_adu (or a panel's train: eng_eld) run with only --bimotion (prepared from CSED
    alone) passed recipes/grid.py's checks: the grid trained every model and only then failed, drawing the
    figure. Now: exit 2, one line naming the dataset (or the groups it lacks) and the figure; nothing trains."""
    from conftest import load_recipe, prepared_csed

    import bimotion.grid.runner

    def trains(*args, **kwargs):
        raise AssertionError("the grid ran: the figure's data was not checked")

    monkeypatch.setattr(bimotion.grid.runner, "run_grid", trains)
    bimotion = prepared_csed(tmp_path / "csed")
    figure = {
        "name": "f",
        "title": "F",
        "model": "zho_eld",
        "test": "yue_adu",
        "panels": [{"title": "p", "train": "zho_eld"}],
    }
    config = {
        "tables": [],
        "mixtures": ["zho_eld"],
        "extra_tests": ["zho_eld"],
        "tiny_model": {},
        "projections": [figure],
    }
    path = tmp_path / "grid.yaml"
    argv = ["--config", str(path), "--bimotion", str(bimotion), "--output_dir", str(tmp_path / "grid")]
    for test, train, said in [
        ("yue_adu", "zho_eld", "--yuemotion is required: this grid's figure 'f' reads the prepared yuemotion dataset"),
        ("zho_eld", "eng_eld", f"{bimotion} holds no rows of eng_eld (prepared from csed), which this grid reads (eng_eld by figure 'f' (panel 1))"),
    ]:  # fmt: skip
        figure.update(test=test, panels=[{"title": "p", "train": train}])
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            load_recipe("grid").main(argv)
        err = capsys.readouterr().err.splitlines()
        assert exit_.value.code == 2 and said in err[-1], err
        assert not (tmp_path / "grid").exists()


@pytest.mark.parametrize(
    ("test", "train", "said"),
    [
        ("yue_adu", "zho_eld", "--yuemotion is required: this grid's figure 'f' reads the prepared yuemotion dataset"),
        ("zho_eld", "eng_eld", "holds no rows of eng_eld (prepared from csed), which this grid reads (eng_eld by figure 'f' (panel 1))"),
    ],
)  # fmt: skip
def test_a_probe_grid_from_python_checks_its_figures_data_before_any_probe_trains(tmp_path, test, train, said):
    """``run_grid`` of a probe config (not through recipes/grid.py's checks) whose figure reads a dataset not
    given (test: yue_adu, only --bimotion) or groups the given one lacks (a panel's train: eng_eld, CSED alone):
    the grid trained every probe, then failed drawing the figure. Now: the same one-line error as the recipe's,
    before anything trains."""
    from conftest import prepared_csed

    from bimotion.grid import run_grid
    from bimotion.training.parsing import ArgumentError

    bimotion = prepared_csed(tmp_path / "csed")
    figure = {"name": "f", "title": "F", "model": "zho_eld", "test": test, "panels": [{"title": "p", "train": train}]}
    config = {
        "backend": "probe",
        "features": "logmel",
        "training": {"num_train_epochs": 2},
        "tables": [],
        "mixtures": ["zho_eld"],
        "extra_tests": ["zho_eld"],
        "seeds": [0],
        "bootstrap_samples": 10,
        "projections": [figure],
    }
    with pytest.raises(ArgumentError, match=r"^.*" + said.replace("(", r"\(").replace(")", r"\)")):
        run_grid(config, {"bimotion": bimotion}, tmp_path / "grid", log=None)
    assert not (tmp_path / "grid" / "models").exists()


@pytest.mark.parametrize(("text", "what"), [("hi\n", "the single value 'hi'"), ("- a\n- b\n", "a list")])
def test_a_config_file_that_holds_no_mapping_says_so(tmp_path, capsys, text, what):
    """A --config file holding a word or a list (a notes file given by mistake) was read as keys: 'unknown keys
    'h', 'i'', its letters. Now: one line saying what the file holds and what a grid config is."""
    path = tmp_path / "grid.yaml"
    path.write_text(text, encoding="utf-8")
    said = (
        f"grid config {path} holds {what}, not a grid config's `key: value` lines (backend: probe, seeds: [0, 1, 2], "
        "...): give a grid config file, or a shipped config's name: advise-tiny, authors, demo, paper, probe"
    )
    demo_refuses(path, said, tmp_path, capsys)


def test_a_grids_plan_holds_the_given_folders_own_groups_from_the_start(tmp_path, monkeypatch):
    """A prepared folder with a corpus of one's own (``carehome``, Indonesian elderly: ``ind_eld``): ``eld`` and
    ``bimotion:all`` take its group too, as the grid trains them. The plan was made before the folder's own
    groups were registered, by the recipe for every check (``eld`` = eng_eld, zho_eld) and by ``Grid`` from
    Python (a second grid in the process planned what the first had registered): each plans with them now."""
    from conftest import load_recipe

    from bimotion.grid.runner import Grid
    from bimotion.prepare import prepare
    from loaders import testing

    root = testing.make_corpus("audiofolder", tmp_path / "raw", language="ind", age_groups=("eld",), speakers=4)
    csed = testing.make_corpus("csed", tmp_path / "csed")
    data = prepare({"carehome": root, "csed": csed}, tmp_path / "mine", protocol="speaker", progress=False).out_dir
    config = tmp_path / "g.yaml"
    config.write_text("tables: []\nmixtures: [eld, bimotion:all]\nextra_tests: [zho_eld]\nseeds: [0]\ntiny_model: {}\n")

    def groups(plan) -> dict[str, set[str]]:
        return {m.name: {s.group for s in m.shards} for m in plan.models}

    plan = Grid(str(config), {"bimotion": str(data), "yuemotion": None}, tmp_path / "out", log=None).plan
    assert (
        "ind_eld" in groups(plan)["eld"] and "ind_eld" in groups(plan)["bimotion:all"]
    )  # made first: nothing registered
    import bimotion.grid.checks

    grid = load_recipe("grid")
    planned = []
    monkeypatch.setattr(
        bimotion.grid.checks, "check_inputs", lambda config, data_dirs, **kw: planned.append(kw["plan"])
    )
    grid.grid_config(grid.GridArguments(config=str(config), bimotion=str(data), output_dir=str(tmp_path / "out")))
    assert "ind_eld" in groups(planned[0])["eld"] and "ind_eld" in groups(planned[0])["bimotion:all"]
    assert groups(plan) == groups(planned[0])


LIST_VALUES = [  # each list-valued key of GridConfig given as one value, what it holds, and its fix
    ("tables", "table3", "the single value 'table3'", "tables: [table3]"),
    ("seeds", 0, "the single value 0", "seeds: [0]"),
    ("mixtures", "eld", "the single value 'eld'", "mixtures: [eld]"),
    ("mixtures", "eng_eld[crema_d]", "the single value 'eng_eld[crema_d]'", "mixtures: ['eng_eld[crema_d]']"),
    ("extra_tests", 5, "the single value 5", "extra_tests: [5]"),
    ("projections", {"kind": "umap", "name": "f"}, "one mapping (kind, name)", "projections: [{kind: umap, name: f}]"),
    ("groups", "zho_eld", "the single value 'zho_eld'", "groups: [zho_eld]"),
    ("augment_only", "eng_eld", "the single value 'eng_eld'", "augment_only: [eng_eld]"),
    ("mixtures", None, "nothing (null)", "mixtures: [] (none), or delete the line"),
]


@pytest.mark.parametrize(("key", "value", "holds", "fix"), LIST_VALUES)
def test_a_list_key_given_as_one_value_is_refused_naming_the_file_the_key_and_the_list_to_write(
    tmp_path, capsys, key, value, holds, fix
):
    """A list-valued key written as one word was read letter by letter (``mixtures: eld``: "config 'e' is
    unknown"; ``tables: table3``: "unknown tables ['t', 'a', ...]"), a number or null was a TypeError traceback
    (``extra_tests: 5``).  Now: exit 2, one line naming the config file, the key, what it holds and the list to
    write; every list-valued key of GridConfig is refused alike."""
    target = {"target": "zho_eld", "groups": ["zho_eld", "eng_eld"]} if key in ("groups", "augment_only") else {}
    config = {"tables": ["table5"], "tiny_model": {}, "projections": [], **target, key: value}
    path = tmp_path / "grid.yaml"
    said = f"grid config {path}: {key}: holds {holds}, not a list: write it as a list: {fix}"
    _demo_refuses(tmp_path, capsys, config, said)
    assert yaml.safe_load(fix.split(" (none)")[0]) == {key: [] if value is None else [value]}  # the fix reads back


def test_every_list_valued_key_of_a_grid_config_is_tested_given_as_one_value():
    """LIST_VALUES covers each list-valued field of GridConfig, a new one too."""
    from dataclasses import fields

    from bimotion.grid.config import GridConfig

    assert {k for k, *_ in LIST_VALUES} == {f.name for f in fields(GridConfig) if str(f.type).startswith("list[")}


def test_a_list_key_given_as_one_value_in_python_is_refused_with_the_list_to_give():
    """The same for a config built in Python (``GridConfig(mixtures="eld")``, or a mapping): its fix in Python's
    words; a tuple is a list there."""
    from bimotion.grid.config import GridConfig, load_config

    with pytest.raises(ValueError) as err:
        load_config({"mixtures": "eld"})
    assert str(err.value) == (
        "a grid config built in Python: mixtures: holds the single value 'eld', not a list: "
        "give it as a list: mixtures=['eld']"
    )
    with pytest.raises(ValueError, match=r"^a grid config built in Python: tables: holds the single value 'table3'"):
        GridConfig(tables="table3")
    assert GridConfig(tables=("table3",), seeds=(0, 1)).tables == ("table3",)


def test_a_list_key_given_as_a_range_or_an_array_in_python_is_a_list():
    """``seeds=range(2)`` (or ``np.arange(2)``, a generator) in a config built in Python was refused as "the single
    value range(0, 2)" with the fix ``seeds=[range(0, 2)]``, which fails too (an independent review): any ordered
    iterable is taken as the list of its items; a set (its order differs from one process to the next) is refused
    with its items sorted as the list to give."""
    import numpy as np

    from bimotion.grid.config import load_config

    for seeds in (range(2), np.arange(2), (s for s in (0, 1))):
        assert load_config({"model_name_or_path": "x", "seeds": seeds}).seeds == [0, 1]
    with pytest.raises(ValueError) as err:
        load_config({"mixtures": {"zho_eld", "eld"}})
    assert str(err.value).startswith("a grid config built in Python: mixtures: holds a set {")
    assert str(err.value).endswith("(no order), not a list: give it as a list: mixtures=['eld', 'zho_eld']")


SPEC_FIX = 'write each as a config name, or several joined by +, e.g. {key}: [yue_adu, "yuemotion:all+eng_adu[esd]"]'


@pytest.mark.parametrize(
    ("key", "items", "said"),
    [
        ("mixtures", [5], "item 1 is the number 5, not a mixture spec: " + SPEC_FIX),
        ("mixtures", [[5]], "item 1 is the list [5], not a mixture spec: " + SPEC_FIX),
        ("mixtures", [None], "item 1 is nothing (null), not a mixture spec: " + SPEC_FIX),
        ("mixtures", [{"a": 1}], "item 1 is the mapping {'a': 1}, not a mixture spec: " + SPEC_FIX),
        ("mixtures", ["eng_eld", True], "item 2 is the boolean True, not a mixture spec: " + SPEC_FIX),
        ("extra_tests", ["yue_adu", 1.5], "item 2 is the number 1.5, not a mixture spec: " + SPEC_FIX),
        ("mixtures", ["eng_eldd"], "item 1: 'eng_eldd': config 'eng_eldd' is unknown (did you mean 'eng_eld'?); choose one of: "),
    ],
)  # fmt: skip
def test_a_mixture_item_that_is_no_spec_is_refused_naming_the_file_the_key_the_item_and_a_spec(
    tmp_path, capsys, key, items, said
):
    """mixtures: [5] (or [[5]], [null]) was a TypeError traceback as a grid built in Python made its plan
    (bimotion/mixture.py), and recipes/grid.py said "'int' object is not iterable"; [{a: 1}] was read as config 'a'.
    Now: exit 2, one line naming the config file, the key, the item's place, what it holds and a spec to write (the
    shipped paper config's, which reads back as a list of specs); an unknown group names the item's place too."""
    from conftest import load_recipe

    from bimotion.grid.config import load_config

    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({"tables": ["table5"], "tiny_model": {}, key: items}), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        load_recipe("grid").main(["--config", str(path), "--output_dir", str(tmp_path / "grid")])
    last = capsys.readouterr().err.splitlines()[-1]
    assert exit_.value.code == 2 and f"{path}: {key}: {said.replace('{key}', key)}" in last, last
    assert last.count(str(path)) == 1, last
    assert last.endswith(SPEC_FIX.replace("{key}", key) if "not a mixture spec" in said else "correct it, or delete it")
    assert not (tmp_path / "grid").exists()
    assert yaml.safe_load(SPEC_FIX.replace("{key}", key).split("e.g. ")[1]) == {
        key: ["yue_adu", "yuemotion:all+eng_adu[esd]"]
    }
    if "not a mixture spec" in said:  # a config built in Python alike, in Python's words
        with pytest.raises(ValueError) as err:
            load_config({key: items})
        assert str(err.value) == (
            f"a grid config built in Python: {key}: {said.split(': write')[0]}: give each as a string, e.g. "
            f"{key}=['yue_adu', 'yuemotion:all+eng_adu[esd]']"
        )


GROUP_FIXES = {"groups": "[yue_adu, eng_eld]", "augment_only": "[eng_eld]"}


@pytest.mark.parametrize("key", ["groups", "augment_only"])
def test_a_group_item_that_is_no_spec_is_refused_with_group_names_to_write(tmp_path, capsys, key):
    """groups: [5] (or augment_only:) was told to write, "as the paper config does", groups: [yue_adu,
    "yuemotion:all+eng_adu[esd]"]: the paper config has no groups:, and an item of groups: is one group (the
    multi-group spec was read as its first group). Now the example is group names, one an item, as
    docs/recipes-grid.md describes these keys, and it loads and plans; in a config built in Python, its list."""
    from bimotion.cli import main as bimotion_main
    from bimotion.grid.config import load_config
    from bimotion.grid.plan import make_plan

    example = GROUP_FIXES[key]
    said = f"{key}: item 1 is the number 5, not a group: write each as one group's name (with its corpora: eng_eld[crema_d]), e.g. {key}: {example}"
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({key: [5]}), encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_config(path)
    assert str(err.value) == f"grid config {path}: {said}"
    assert bimotion_main(["demo", "--config", str(path), "--output", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: --config {path}: {said}"
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError) as err:
        load_config({key: [5]})
    names = yaml.safe_load(example)
    assert str(err.value) == (
        f"a grid config built in Python: {key}: item 1 is the number 5, not a group: give each as a string, e.g. "
        f"{key}={names!r}"
    )
    written = {"groups": ["yue_adu", "eng_eld"], "target": "yue_adu", key: names}
    plan = make_plan(load_config({"tables": [], **written}))  # the example, written, is what it says
    assert {m.spec: m.added for m in plan.target}["yue_adu+eng_eld"] == ("eng_eld",)
    assert ("eng_eld" in [m.spec for m in plan.target]) == (key == "groups")  # augment_only: no model of it alone


def test_an_error_that_names_the_config_file_names_it_once_after_the_flag(tmp_path, capsys):
    """recipes/grid.py, bimotion demo and bimotion advise put "--config F: " before an error that named the file
    already: "--config F: grid config F: mixtures: holds ...".  Now each line names the flag and the file once; an
    error that does not name the file (a YAML syntax error) is said after the flag as before."""
    from conftest import load_recipe

    from bimotion.cli import main as bimotion_main

    path = tmp_path / "grid.yaml"
    said = f"--config {path}: mixtures: holds the single value 'eld', not a list: write it as a list: mixtures: [eld]"
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables: [table3\n", encoding="utf-8")
    for config, start in ((path, f"error: {said}"), (bad, f"error: --config {bad}: while parsing a flow sequence")):
        path.write_text("mixtures: eld\n", encoding="utf-8")
        with pytest.raises(SystemExit) as exit_:
            load_recipe("grid").main(["--config", str(config), "--output_dir", str(tmp_path / "grid")])
        lines = [capsys.readouterr().err.splitlines()[-1].split(": ", 1)[1]]  # after "grid.py: "
        assert exit_.value.code == 2
        assert bimotion_main(["demo", "--config", str(config), "--output", str(tmp_path / "demo")]) == 2
        lines.append(capsys.readouterr().err.strip())
        data = ["--bimotion", str(tmp_path / "missing"), "--output", str(tmp_path / "o")]
        assert bimotion_main(["advise", "--config", str(config), "--target", "zho_eld", *data]) == 2
        lines.append(capsys.readouterr().err.strip())
        for line in lines:
            assert line.startswith(start) and line.count(str(config)) == 1 and "\n" not in line, lines
    assert not any((tmp_path / name).exists() for name in ("grid", "demo", "o"))


def test_the_shipped_configs_say_which_step_reads_each_eval_batch_size():
    """paper.yaml and authors.yaml set training:'s per_device_eval_batch_size: 8 beside eval_batch_size: 16, with no
    word of which step reads which (two batch sizes of one thing, to a reader).  Each line now says it: the first is
    the Trainer's, as a model trains (each epoch's validation, and its scores.json); the second the grid's, as it
    predicts the test sets for its tables.  The values are the same."""
    from bimotion.grid.config import load_config, shipped_config, shipped_configs

    both = []
    for name in shipped_configs():
        lines = shipped_config(name).read_text(encoding="utf-8").splitlines()
        per_device = [line for line in lines if line.strip().startswith("per_device_eval_batch_size:")]
        grid = [line for line in lines if line.startswith("eval_batch_size:")]
        if per_device and grid:
            both.append(name)
            assert "# clips per device in training's evaluation: each epoch's validation" in per_device[0], name
            assert "# clips per batch as the grid, after training, predicts each test set" in grid[0], name
            config = load_config(name)
            assert (config.training["per_device_eval_batch_size"], config.eval_batch_size) == (8, 16), name
    assert both == ["authors", "paper"]


def test_the_grid_checks_register_the_data_and_make_the_plan_once(tmp_path, monkeypatch):
    """recipes/grid.py registered its datasets (register_prepared: a prepared folder's prepare.json read and its
    groups registered) before its plan, then check_inputs did it again; check_inputs called without a plan made it
    for the figures' checks (check_config), then again itself.  Each is done once now, the checks passing as
    before (counted through wrappers that still call the real functions; check_inputs' check of the training
    arguments registers nothing: test_the_grid_checks_leave_the_datasets_given_registered)."""
    from conftest import load_recipe, prepared_csed

    import bimotion.grid.checks
    import bimotion.grid.runner
    import bimotion.training.data_checks
    from bimotion.grid.checks import check_inputs
    from bimotion.grid.config import load_config

    calls = []

    def counting(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(bimotion.training.data_checks, "register_prepared")
    counting(bimotion.grid.checks, "make_plan")
    monkeypatch.setattr(bimotion.grid.runner, "run_grid", lambda *args, **kwargs: None)  # the checks alone
    bimotion = prepared_csed(tmp_path / "csed")
    figure = {"name": "f", "title": "F", "model": "zho_eld", "test": "zho_eld", "panels": [{"title": "p", "train": "zho_eld"}]}  # fmt: skip
    config = {"tables": [], "mixtures": ["zho_eld"], "extra_tests": ["zho_eld"], "tiny_model": {}, "projections": [figure]}  # fmt: skip
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    argv = ["--config", str(path), "--bimotion", str(bimotion), "--output_dir", str(tmp_path / "grid")]
    assert load_recipe("grid").main(argv) == 0
    assert calls.count("register_prepared") == 1, calls
    calls.clear()
    check_inputs(load_config(str(path)), {"bimotion": bimotion})
    assert calls == ["register_prepared", "make_plan"]


def test_the_grid_checks_leave_the_datasets_given_registered(tmp_path, tmp_path_factory):
    """check_inputs checked the training arguments on a TrainSpec made from the config's training: values, which name
    no dataset, and that spec registered them (register_prepared of none: no benchmark given).  A grid given
    --bimotion alone with a test set `all` (in both benchmarks, and so resolved by the data given) then ended in a
    KeyError traceback, exit 1, before anything trained: "config 'all' is in more than one benchmark", from the
    checks' own count of its rows, and a rerun writing its tables alone would have met it too.  The checks register
    no data now: `all` is BiMotion's after them."""
    from conftest import load_recipe

    from bimotion.grid import prepare_fixtures
    from bimotion.mixture import parse_mixture

    bimotion = prepare_fixtures(tmp_path_factory.getbasetemp() / "grid-fixture-data")["bimotion"]  # the grid tests'
    config = {"tables": [], "mixtures": ["zho_eld"], "extra_tests": ["all"], "tiny_model": {}, "projections": []}
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    grid = load_recipe("grid")
    args = grid.GridArguments(config=str(path), bimotion=str(bimotion), output_dir=str(tmp_path / "grid"))
    assert grid.grid_config(args).extra_tests == ["all"]
    assert {shard.benchmark for shard in parse_mixture("all").shards} == {"bimotion"}
