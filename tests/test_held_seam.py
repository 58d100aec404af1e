"""Which groups a prepared dataset holds, and what its card's configs are, is one answer
(:func:`bimotion.data.held.held_pairs`, :func:`bimotion.data.held.card_configs`) read by the training
checks, the loaders, the default test sets and the grid's groups; and the sentence about a dataset
without prepare.json is formed in one place (:func:`bimotion.data.held.unrecorded`)."""

from __future__ import annotations

import pytest

from bimotion.data import layout
from bimotion.data.held import RECORD_FIX, held_pairs, held_shards
from bimotion.grid.config import prepared_groups
from bimotion.training import testing
from bimotion.training.data import Sources, default_test_configs
from bimotion.training.data_checks import check_dataset, check_datasets, check_present
from bimotion.training.mixtures import shards
from bimotion.training.parsing import ArgumentError


@pytest.fixture(scope="module")
def card_only(tmp_path_factory):
    """Parquet files and the card of CSED (zho_eld) and ESD (zho_adu), written by the real writer, its
    prepare.json then removed: a dataset someone uploaded without its record."""
    folder = testing.write_prepared(
        tmp_path_factory.mktemp("seam") / "card-only",
        shards=[("csed", "zho_eld"), ("esd", "zho_adu")],
        sizes={"train": 4, "validation": 2, "test": 2},
    )
    (folder / layout.INFO_FILE).unlink()
    return folder


def test_the_checks_the_loaders_the_test_sets_and_the_grid_name_the_same_groups(card_only):
    """The grid's error listed the card's configs (`zho_eld, zho_adu, zho, adu, all, csed, esd`) as
    groups to give --groups, unions and corpora among them; it lists the groups every other reader
    finds, those of held_pairs."""
    assert held_pairs(card_only, "bimotion") == [("zho_eld", "csed"), ("zho_adu", "esd")]
    groups = ["zho_eld", "zho_adu"]
    assert [s.group for s in held_shards({"bimotion": str(card_only)}.get, shards(["bimotion:all"]))] == groups
    assert default_test_configs(Sources(str(card_only))) == groups
    with pytest.raises(ArgumentError, match=r"has no rows of eng_eld \(it holds zho_adu, zho_eld; "):
        check_present({"--train_configs": ["eng_eld"]}, {"bimotion": str(card_only)}, every_group=None)
    with pytest.raises(ValueError) as err:
        prepared_groups({"bimotion": str(card_only)})
    message = str(err.value)
    assert f"--bimotion {card_only} has no prepare.json" in message
    assert "groups: in the config; its card has configs of zho_eld, zho_adu), or " + RECORD_FIX in message
    check_dataset(str(card_only), "--bimotion", "bimotion")  # a folder in the Hub's layout is taken


def test_a_card_whose_header_does_not_parse_is_no_dataset_folder(tmp_path):
    """`--bimotion DIR` whose README.md has a `configs:` line in a header YAML cannot read was taken by
    the argument check (a look for the line) and failed as `datasets` loaded it, in a traceback after
    the run started; the check reads the card as every other reader does, and names the folder."""
    (tmp_path / "README.md").write_text("---\nconfigs: [zho_eld\n  - b: :\n---\n# a corpus\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=rf"--bimotion {tmp_path} is not a prepared dataset folder"):
        check_dataset(str(tmp_path), "--bimotion", "bimotion")


def test_default_test_sets_of_a_dataset_whose_card_has_no_configs_is_an_error_naming_it(card_only, tmp_path):
    """A dataset with Parquet files but neither prepare.json nor configs in its card was scored on no
    group at all (`datasets` names its one config `default`, which is no group): no test set, and no
    word why.  It is now one error naming the dataset and the fixes."""
    import shutil

    folder = shutil.copytree(card_only, tmp_path / "no-configs")
    (folder / layout.CARD_FILE).write_text("---\nlicense: mit\n---\n# uploaded by hand\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        default_test_configs(Sources(str(folder)))
    message = str(err.value)
    assert f"--bimotion {folder} has no prepare.json" in message
    assert "its card (README.md) declares no configs" in message
    assert "name the groups to score with --test_configs, or " + RECORD_FIX in message


def test_probes_say_the_folder_has_no_record_and_how_to_make_one(card_only):
    with pytest.raises(ArgumentError) as err:
        check_datasets({"bimotion": str(card_only)}, local_only=True)
    assert str(err.value) == (
        f"--bimotion {card_only} has no prepare.json, the record of the groups, corpora and splits a dataset "
        "holds that `bimotion prepare` writes and `bimotion push` uploads beside the Parquet files, so only its "
        "card's configs are known, and probes read only local prepared folders (their features are cached per "
        f"folder, by its prepare.json): {RECORD_FIX}"
    )


def test_the_grid_says_a_hub_datasets_record_could_not_be_fetched_not_that_it_has_none(
    card_only, tmp_path, monkeypatch
):
    """advise given a Hub dataset whose card is cached but whose prepare.json could not be fetched (offline)
    said it 'has no prepare.json' and to prepare and push it again, though it may well have one (the
    training checks already said why it could not be read); the grid now says so too."""
    from huggingface_hub import constants

    commit, hub_id = "0" * 40, "my-lab/card-only"
    repo = tmp_path / f"datasets--{hub_id.replace('/', '--')}"
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "snapshots" / commit / layout.CARD_FILE).write_bytes((card_only / layout.CARD_FILE).read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)  # where the id is no local path
    with pytest.raises(ValueError) as err:
        prepared_groups({"bimotion": hub_id})
    message = str(err.value)
    assert f"could not reach the Hub to read prepare.json of the dataset {hub_id}: " in message
    assert "has no prepare.json" not in message and "bimotion prepare" not in message, message
    assert (
        "list the groups to draw from (--groups, or groups: in the config; its card has configs of zho_eld" in message
    )


def _seed_hub_cache(tmp_path, monkeypatch, hub_id: str, files: dict[str, bytes]) -> None:
    """The Hub's cache holding ``files`` of the dataset ``hub_id``, read offline (as a Hub answering them
    would have left it), and ``tmp_path`` the working folder, where the id is no local path."""
    from huggingface_hub import constants

    commit = "0" * 40
    repo = tmp_path / f"datasets--{hub_id.replace('/', '--')}"
    (repo / "snapshots" / commit).mkdir(parents=True)
    for name, data in files.items():
        (repo / "snapshots" / commit / name).write_bytes(data)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)


def test_the_grid_reads_the_groups_of_a_hub_dataset_from_its_record(tmp_path, monkeypatch):
    """`bimotion advise --bimotion me/ds` (no --groups), a Hub dataset with its prepare.json and a card with
    configs, printed a blank `error: ` and exited 2: its card's configs sent it to the error of a dataset
    without a record, whose sentence is "" where the record is read.  Its groups are now its record's."""
    from bimotion.grid.config import unrecorded_groups

    folder = testing.write_prepared(tmp_path / "made", shards=[("csed", "zho_eld"), ("esd", "zho_adu")])
    hub_id = "me/ds"
    files = {name: (folder / name).read_bytes() for name in (layout.CARD_FILE, layout.INFO_FILE)}
    _seed_hub_cache(tmp_path / "hub", monkeypatch, hub_id, files)
    assert prepared_groups({"bimotion": hub_id}) == prepared_groups({"bimotion": str(folder)}) == groups_of(folder)
    assert prepared_groups({"bimotion": hub_id}, local_only=True) == []  # the Hub is not asked
    # asked of a recorded dataset all the same, the sentence is never empty
    assert unrecorded_groups(hub_id, "bimotion", named=f"--bimotion {hub_id}").startswith(f"--bimotion {hub_id} ")


def groups_of(folder) -> list[str]:
    """The groups ``folder``'s prepare.json records train rows of, as written."""
    import json

    info = json.loads((folder / layout.INFO_FILE).read_text(encoding="utf-8"))
    return list(dict.fromkeys(s["group"] for s in info["shards"] if s["split"] == "train" and s["rows"]))


PUSHED_CARD = (  # the card `datasets.push_to_hub` writes: its one config is `default`, which is no group
    "---\ndataset_info:\n  features:\n  - name: audio\n    dtype: audio\nconfigs:\n- config_name: default\n"
    "  data_files:\n  - split: train\n    path: data/**/*.parquet\n---\n"
)


@pytest.fixture(scope="module")
def pushed(card_only, tmp_path_factory):
    """``card_only`` with the card `datasets.push_to_hub` writes (:data:`PUSHED_CARD`)."""
    import shutil

    folder = shutil.copytree(card_only, tmp_path_factory.mktemp("pushed") / "pushed")
    (folder / layout.CARD_FILE).write_text(PUSHED_CARD, encoding="utf-8")
    return folder


def test_a_group_of_a_dataset_whose_card_names_no_group_says_it_holds_none(pushed):
    """The error named what the dataset holds as nothing at all: `(it holds ; DIR has no prepare.json ...)`;
    its default test sets were none, no error (held_pairs' [] read as a dataset holding nothing to score)."""
    with pytest.raises(ArgumentError) as err:
        check_present({"--train_configs": ["zho_eld"]}, {"bimotion": str(pushed)}, every_group=None)
    assert f"has no rows of zho_eld (it holds no group; {pushed} has no prepare.json" in str(err.value)
    # and, asked from Python (train_model, evaluate), its default test sets are an error, not none at all
    with pytest.raises(ValueError, match=r"its card's configs \(default\) are of no bimotion group, each of"):
        default_test_configs(Sources(str(pushed)))


@pytest.mark.parametrize(
    ("recipe_name", "argv", "flag"),
    [  # with two benchmarks, training scored the other alone without a word; inference of one, a traceback
        (
            "train",
            ["--bimotion", "{recorded}", "--yuemotion", "{pushed}", "--train_configs", "zho_eld"],
            "--test_configs",
        ),
        ("infer", ["--bimotion", "{pushed}"], "--configs"),
    ],
)
def test_a_dataset_whose_card_names_no_group_is_one_error_before_any_work(
    recipe_name, argv, flag, pushed, tmp_path, capsys
):
    """A dataset without prepare.json whose card's one config is `default` (as `datasets.push_to_hub`
    writes it): held_pairs names no group ([], not None), which default_test_configs took for a dataset
    holding nothing to score: `infer` of it ended in `ValueError: no configs given` from parse_mixture, and
    `train` with it beside another benchmark scored that benchmark alone, without a word.  Without the test
    sets named, it is now one `error:` line naming the dataset and the flag, before anything is written."""
    from conftest import load_recipe

    assert held_pairs(pushed, "yuemotion") == held_pairs(pushed, "bimotion") == []
    recorded = testing.write_prepared(tmp_path / "recorded", shards=[("csed", "zho_eld")], sizes={"train": 4})
    tiny = testing.save_tiny_model(tmp_path / "tiny")
    out = tmp_path / "out"
    given = [a.format(recorded=recorded, pushed=pushed) for a in argv]
    model = (
        ["--model_name_or_path", str(tiny), "--output_dir", str(out)]
        if recipe_name == "train"
        else ["--model", str(tiny)]
    )
    model += ["--dataset_cache_dir", str(tmp_path / "cache")]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as exit_:
        load_recipe(recipe_name).main(model + given)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "Traceback" not in err
    error_lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(error_lines) == 1 and err.splitlines()[-1] == error_lines[0], err
    bench = "yuemotion" if recipe_name == "train" else "bimotion"
    assert f"--{bench} {pushed} has no prepare.json" in error_lines[0], err
    assert f"its card's configs (default) are of no {bench} group" in error_lines[0], err
    assert f"name the groups to score with {flag}, or {RECORD_FIX}" in error_lines[0], err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written


def test_the_flag_whose_absence_means_every_group_is_named_by_its_caller(pushed):
    """check_present checked that some group of each dataset is known only for a flag named
    `--test_configs` or `--configs` (a fixed tuple): a caller whose every-group flag had another name
    silently went without the check.  The caller now names it (every_group=), whatever its name."""
    with pytest.raises(ArgumentError) as err:
        check_present({"--eval_configs": None}, {"bimotion": str(pushed)}, every_group="--eval_configs")
    assert "name the groups to score with --eval_configs, or " + RECORD_FIX in str(err.value)
    check_present({"--test_configs": None}, {"bimotion": str(pushed)}, every_group=None)  # none: unchecked
    with pytest.raises(ValueError, match=r"every_group '--configs' is none of the flags --test_configs"):
        check_present({"--test_configs": None}, {"bimotion": str(pushed)}, every_group="--configs")


def test_a_record_of_no_rows_is_named_as_such(tmp_path):
    """A prepared folder whose prepare.json records every shard with no rows holds no group: the error
    says its prepare.json records none (not that it has no prepare.json), then what to do."""
    import json

    from bimotion.data.held import groups_unknown

    folder = testing.write_prepared(tmp_path / "empty", shards=[("csed", "zho_eld")], sizes={"train": 4})
    info = json.loads((folder / layout.INFO_FILE).read_text(encoding="utf-8"))
    for shard in info["shards"]:
        shard["rows"] = 0
    (folder / layout.INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    assert held_pairs(folder, "bimotion") == []
    why = groups_unknown(folder, "bimotion", "name the groups to score with --configs", named=f"--bimotion {folder}")
    assert why == (
        f"--bimotion {folder}: its prepare.json records no rows of any group: name the groups to score with "
        f"--configs, or {RECORD_FIX}"
    )


@pytest.mark.parametrize(
    ("recipe_name", "flag"),
    [("train", "--test_configs"), ("augment", "--test_configs"), ("probe", "--test_configs"), ("infer", "--configs")],
)
def test_each_recipe_names_its_every_group_flag_for_a_record_of_no_rows(recipe_name, flag, tmp_path, capsys):
    """Each recipe (augment through check_training, as train) names the flag whose absence scores every
    group (every_group=, which every caller of check_present now passes: it has no default): beside a dataset with
    rows, a prepared yuemotion folder whose prepare.json records no rows is one `error:` line naming it
    and that flag, before anything is written."""
    import json

    from conftest import load_recipe

    recorded = testing.write_prepared(tmp_path / "recorded", shards=[("csed", "zho_eld")], sizes={"train": 4})
    empty = testing.write_prepared(
        tmp_path / "empty", benchmark="yuemotion", shards=[("yuemotion", "yue_eld")], sizes={"train": 4}
    )
    info = json.loads((empty / layout.INFO_FILE).read_text(encoding="utf-8"))
    info["shards"] = [{**shard, "rows": 0} for shard in info["shards"]]
    (empty / layout.INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    out = tmp_path / "out"
    given = ["--bimotion", str(recorded), "--yuemotion", str(empty)]
    if recipe_name == "probe":
        argv = [*given, "--train_configs", "zho_eld", "--output_dir", str(out)]
    else:
        tiny = testing.save_tiny_model(tmp_path / "tiny")
        argv = [*given, "--dataset_cache_dir", str(tmp_path / "cache")]
        if recipe_name in ("train", "augment"):
            argv += ["--model_name_or_path", str(tiny), "--output_dir", str(out)]
            argv += ["--train_configs", "zho_eld"] if recipe_name == "train" else ["--target", "zho_eld"]
            argv += ["--mixture", "baseline"] if recipe_name == "augment" else []
        else:
            argv += ["--model", str(tiny)]
    with pytest.raises(SystemExit) as exit_:
        load_recipe(recipe_name).main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err, err
    assert err.splitlines()[-1].endswith(
        f"--yuemotion {empty}: its prepare.json records no rows of any group: name the groups to score with "
        f"{flag}, or {RECORD_FIX}"
    ), err
    assert not out.exists()


SHARDS_SAID = "its shards are not prepare's (corpus, group, split, files, rows each): shard 1 (csed zho_eld train)"
SPLITS_SAID = "its shards are not prepare's (corpus, group, split, files, rows each): shard 1"


@pytest.mark.parametrize(
    ("change", "shard", "said"),
    [
        ({"benchmark": "bimotoin"}, {}, "its benchmark 'bimotoin' is not prepare's (bimotion or yuemotion)"),
        ({"benchmark": ["bimotion"]}, {}, "its benchmark ['bimotion'] is not prepare's (bimotion or yuemotion)"),
        ({"user_sources": {"home": {"name": "home"}}}, {}, "its user_sources are not prepare's"),
        ({"user_sources": ["home"]}, {}, "its user_sources are not prepare's"),
        ({}, {"rows": "4"}, f"{SHARDS_SAID}'s rows is '4', not a count of rows (a whole number, 0 or more)"),
        ({}, {"rows": -4}, f"{SHARDS_SAID}'s rows is -4, not a count of rows (a whole number, 0 or more)"),
        ({}, {"rows": 4.0}, f"{SHARDS_SAID}'s rows is 4.0, not a count of rows (a whole number, 0 or more)"),
        ({}, {"files": [7]}, f"{SHARDS_SAID}'s files holds 7, not a file's path"),
        ({}, {"files": ["data/a.parquet", None]}, f"{SHARDS_SAID}'s files holds None, not a file's path"),
        ({}, {"files": "data/csed"}, f"{SHARDS_SAID}'s files is 'data/csed', not a list of its files' paths"),
        ({}, {"corpus": 5}, "its shards are not prepare's (corpus, group, split, files, rows each): shard 1's corpus is 5, not a name"),
        ({}, {"split": "dev"}, f"{SPLITS_SAID} (csed zho_eld dev)'s split is 'dev', not one of prepare's splits (train, validation, test)"),
        ({}, {"split": "Train"}, f"{SPLITS_SAID} (csed zho_eld Train)'s split is 'Train', not one of prepare's splits (train, validation, test)"),
    ],
    ids=["benchmark-mistyped", "benchmark-a-list", "user-source-cut-short", "user-sources-a-list", "rows-a-string",
         "rows-negative", "rows-a-float", "files-holding-a-number", "files-holding-null", "files-a-string", "corpus-a-number",
         "split-unknown", "split-capitalised"],
)  # fmt: skip
def test_a_tampered_prepare_json_is_the_same_one_error_through_the_grid_and_the_recipes(
    change, shard, said, tmp_path, capsys
):
    """The grid's groups (advise; prepared_groups) read prepare.json's benchmark and corpora of one's own
    themselves: a mistyped benchmark was `--bimotion DIR holds the prepared bimotoin dataset: give it as
    --bimotoin`, a user source cut short a TypeError traceback (`SourceInfo.__init__() missing 8 required
    positional arguments`), where the recipes' check said either as its own sentence or not at all. Each
    now reads it through record.not_a_record (held.prepared_as): one error naming the file and the fix.
    A shard's field of another type (rows "4", files holding a number) passed that check and failed later,
    each reader its own way (`bimotion check`: a TypeError traceback, or rows miscounted); it is the same
    one error, through `bimotion check` too, naming the shard and its field.  So is a split none of prepare's
    (dev, Train): `bimotion check` said five card configs named the wrong files (exit 1), the grid's groups
    dropped its rows without a word."""
    import json

    from conftest import load_recipe

    from bimotion.cli import main
    from bimotion.training.data_checks import register_prepared

    folder = testing.write_prepared(tmp_path / "csed", shards=[("csed", "zho_eld")], sizes={"train": 4, "test": 2})
    info = json.loads((folder / layout.INFO_FILE).read_text(encoding="utf-8"))
    info["shards"][0].update(shard)
    (folder / layout.INFO_FILE).write_text(json.dumps({**info, **change}), encoding="utf-8")
    error = f"{folder / layout.INFO_FILE}: {said}"
    assert main(["check", str(folder), "--no-audio"]) == 2
    err = capsys.readouterr().err
    assert error in err and "again with --overwrite" in err and "Traceback" not in err, err
    with pytest.raises(SystemExit) as exit_:  # a recipe, as run
        load_recipe("probe").main(["--bimotion", str(folder), "--train_configs", "zho_eld", "--output_dir",
                                   str(tmp_path / "probe")])  # fmt: skip
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and error in err and "Traceback" not in err, err
    assert not (tmp_path / "probe").exists()
    with pytest.raises(ValueError) as grid:
        prepared_groups({"bimotion": str(folder)})
    assert str(grid.value).startswith(error) and f"prepare {folder} again with" in str(grid.value)
    with pytest.raises(ValueError) as registered:  # what the recipes, the projections and augment read
        register_prepared({"bimotion": str(folder)})
    with pytest.raises(ArgumentError) as checked:
        check_datasets({"bimotion": str(folder)})
    assert str(registered.value) == str(grid.value) and str(checked.value) == f"--bimotion {folder}: {grid.value}"
    assert main(["advise", "--target", "zho_eld", "--bimotion", str(folder), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert error in err and "again with --overwrite" in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()
