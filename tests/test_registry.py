"""The typed group of the registry: parsed once from its name, which stays the on-disk and CLI form."""

import pytest

from bimotion.registry import BENCHMARKS, BIMOTION, YUEMOTION, Group
from loaders import READERS


def test_group_round_trips_its_name():
    group = Group.parse("eng_eld")
    assert (group.language, group.age_group) == ("eng", "eld")
    assert group.name == str(group) == "eng_eld"
    assert group.description == "English elderly (60+)"
    assert Group.parse(Group("yue", "adu").name) == Group("yue", "adu")


@pytest.mark.parametrize("bad", ["eng", "eng-eld", "fr_eld", "Eng_eld", "eng_kid", "eng_eld_x", ""])
def test_bad_group_name_is_named_with_the_known_groups(bad):
    with pytest.raises(ValueError, match=f"{bad!r} is not a group.*known groups: eng_eld, eng_adu"):
        Group.parse(bad)


def test_benchmarks_expose_typed_groups_with_string_names():
    for bench in BENCHMARKS.values():
        assert [g.name for g in bench.typed_groups] == list(bench.groups)
    assert BIMOTION.group("zho_adu") == Group("zho", "adu")
    assert (BIMOTION.languages, BIMOTION.age_groups) == (["eng", "zho"], ["adu", "eld"])
    assert (YUEMOTION.languages, YUEMOTION.age_groups) == (["yue"], ["adu", "eld"])
    with pytest.raises(KeyError, match="bimotion has no group 'yue_adu'"):
        BIMOTION.group("yue_adu")


def test_a_mistyped_config_name_gets_a_suggestion():
    from bimotion.registry import BENCHMARKS, find_config

    for typed, meant in (("zho_eldd", "zho_eld"), ("ENG_ELD", "eng_eld"), ("csd", "csed")):
        with pytest.raises(KeyError, match=f"did you mean '{meant}'"):
            find_config(typed)
    with pytest.raises(KeyError, match="did you mean 'zho_eld'"):
        BENCHMARKS["bimotion"].config("zho_eldd")
    with pytest.raises(KeyError) as caught:
        find_config("xyz")
    assert "did you mean" not in caught.value.args[0]
    with pytest.raises(KeyError, match="no benchmark 'foo'; choose one of: bimotion, yuemotion"):
        find_config("foo:all")


def test_an_unknown_key_is_worded_once_wherever_a_grid_config_holds_it(tmp_path):
    """A grid config's unknown key, its probe ``training:`` key and a projection's were three wordings
    ("unknown grid config keys [...]; known: [...]", "the grid config's training: [...] are not probe
    arguments", "unknown projection keys [...]"), none naming the file or the key meant: one helper
    (mistyped.check_keys) names the file and the place in it, the key, the one it is close to, and
    the known keys."""
    import yaml

    from bimotion.grid.checks import check_config
    from bimotion.grid.config import load_config
    from bimotion.probe.run import probe_arguments
    from bimotion.training.parsing import ArgumentError

    def written(config: dict):
        path = tmp_path / "grid.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    path = written({"seeds": [0], "tabels": ["table3"]})
    with pytest.raises(ValueError) as err:
        load_config(str(path))
    assert str(err.value).startswith(
        f"grid config {path}: unknown key 'tabels' (did you mean 'tables'?); the known keys: augment_only, backend, "
    )
    config = load_config(str(written({"backend": "probe", "features": "logmel", "training": {"learning_rat": 0.1}})))
    with pytest.raises(ValueError) as err:
        probe_arguments(config.features, config.training, config.source)
    assert str(err.value).startswith(
        f"grid config {path}: training: (backend: probe): unknown key 'learning_rat' (did you mean "
        "'learning_rate'?); the known keys: batch_size, "
    )
    figure = {
        "name": "fig",
        "title": "Fig",
        "model": "m",
        "test": "zho_eld",
        "panels": [{"title": "zho", "train": "zho_eld"}],
    }
    two = {**figure, "name": "two", "nneighbors": 5, "colour": "red"}
    config = load_config(str(written({"projections": [figure, two]})))
    with pytest.raises(ArgumentError) as err:  # checked before the grid trains, not when it draws at its end
        check_config(config)
    assert str(err.value).startswith(
        f"grid config {path}: projections: 'two': unknown keys 'colour', 'nneighbors' (did you mean "
        "'n_neighbors'?); the known keys: batch_size, labels, "
    ), str(err.value)


def test_a_grid_configs_dump_loads_again_and_a_source_key_is_refused_naming_the_file(tmp_path):
    """``GridConfig.source`` (where the config was read from, for its errors) was a dataclass field: a
    YAML dump of a config (``dataclasses.asdict``) held it, and loading that dump took the key as the
    config's source, so its errors named the file it was dumped from, not the one read; a ``source:`` a
    user wrote was dropped without a word.  It is no field now: a dump loads again as the same config,
    naming its own file, and a ``source`` key is refused, naming the file and the fix."""
    import dataclasses

    import yaml

    from bimotion.grid.config import GridConfig, load_config

    first = tmp_path / "first.yaml"
    first.write_text(yaml.safe_dump({"seeds": [0, 1], "tables": ["table3"]}), encoding="utf-8")
    config = load_config(str(first))
    assert config.source == f"grid config {first}"
    dumped = dataclasses.asdict(config)
    assert "source" not in dumped
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump(dumped), encoding="utf-8")
    again = load_config(str(second))
    assert again == config and again.source == f"grid config {second}"
    assert GridConfig().source == load_config({"seeds": [2]}).source == "a grid config built in Python"
    # a loaded config's __dict__ (source is an instance attribute), changed and loaded again, names its file
    # (it was refused: test_probe's, test_advise's and test_hub_offline's grids of the shipped probe config)
    changed = load_config({**config.__dict__, "seeds": [3]})
    assert changed.seeds == [3] and changed.source == f"grid config {first}"
    assert config.replaced(seeds=[4]).source == f"grid config {first}"  # dataclasses.replace drops it

    second.write_text(yaml.safe_dump({**dumped, "source": f"grid config {first}"}), encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_config(str(second))
    assert str(err.value) == (
        f"grid config {second}: 'source' is not a key of a grid config (bimotion records itself which file a "
        "config was read from): delete that line"
    )


def test_a_mistyped_name_gets_the_closest_names_swaps_included_and_all_when_tied():
    """``--source cesd=/path/to/csed`` suggested 'esd' (difflib's pick), never 'csed': two letters
    swapped are one edit, the names equally close are both listed, and the folder's name settles it."""
    import argparse

    from bimotion.commands.source_args import parse_source
    from bimotion.mistyped import closest, did_you_mean, edits
    from loaders import READERS

    assert (edits("cesd", "csed"), edits("cesd", "esd"), edits("tabels", "tables"), edits("ravdess", "tess")) == (
        1,
        1,
        1,
        4,
    )
    assert closest("cesd", READERS) == ["esd", "csed"]
    assert did_you_mean("cesd", READERS) == " (did you mean 'esd' or 'csed'?)"
    assert did_you_mean("CSED", READERS) == " (did you mean 'csed'?)"
    assert did_you_mean("ravdess", READERS) == ""
    for root, guess in (
        ("/path/to/csed", "(did you mean 'csed', as its folder is named?)"),  # the folder settles the tie
        ("/path/to/CSED/", "(did you mean 'csed', as its folder is named?)"),
        ("/path/to/mandarin", "(did you mean 'esd' or 'csed'?)"),
    ):
        with pytest.raises(argparse.ArgumentTypeError) as caught:
            parse_source(f"cesd={root}")
        assert f"unknown corpus 'cesd' {guess}; choose one of" in str(caught.value)
    with pytest.raises(argparse.ArgumentTypeError) as caught:  # the folder names a corpus the name is not close to
        parse_source("tes=/path/to/esd")
    assert "(did you mean 'esd', as its folder is named, or 'tess'?)" in str(caught.value)


def test_all_is_the_benchmark_whose_data_is_given():
    """``--train_configs all`` with only ``--bimotion`` given stopped on "config 'all' is in more
    than one benchmark": with one benchmark's data given, it is that benchmark's all (and is recorded
    so); with both, or none, which one is still asked."""
    from bimotion.mixture import parse_mixture
    from bimotion.registry import find_config, given

    try:
        for data in ([], ["bimotion", "yuemotion"]):
            given(data)
            with pytest.raises(KeyError, match="in more than one benchmark: write which one, bimotion:all"):
                find_config("all")
        for name in ("bimotion", "yuemotion"):
            given([name])
            assert find_config("all")[0].name == name
            assert parse_mixture("all+eng_eld" if name == "bimotion" else "all").configs[0] == f"{name}:all"
        assert parse_mixture("eng_eld").configs == ("eng_eld",)  # a name of one benchmark is kept as written
    finally:
        given([])


@pytest.mark.parametrize("name", READERS)
def test_every_corpus_declares_how_its_speech_was_made_and_how_its_rows_got_their_age_group(name):
    """The facts the cards state of a corpus are its reader's declaration (SourceInfo), not tables in
    the cards' modules: how its speech was made, and either whose ages grouped its rows or why the
    paper filed it whole in its age group (its release gives no ages)."""
    from loaders import SOURCES

    info = SOURCES[name]
    assert info.speech.strip(), f"{name} declares no `speech`"
    assert bool(info.ages_from.strip()) != bool(info.filed_without_ages.strip()), (
        f"{name} must declare exactly one of `ages_from` and `filed_without_ages`"
    )
    if info.filed_without_ages:  # filed whole in one age group: the paper's filing, one age group
        assert "gives no ages" in info.filed_without_ages


def test_a_users_corpus_declares_no_corpus_facts_and_its_record_stays_as_before():
    """A user's corpus gets its ages from its metadata's `age` or `age_group` column: it declares none
    of the seven corpora's facts, and prepare.json's record of its source has none of those fields
    (as before they existed), which reads back the same."""
    from loaders import SourceInfo

    info = SourceInfo("carehome", "t", ("zho",), ("eld",), 4, "other", "u", "l", "c", groups=("zho_eld",))
    assert (info.speech, info.ages_from, info.filed_without_ages) == ("", "", "")
    assert not set(SourceInfo.DECLARED) & set(info.to_dict())
    assert SourceInfo.from_dict(info.to_dict()) == info
    declared = SourceInfo("x", "t", ("zho",), ("eld",), 4, "other", "u", "l", "c", speech="acted", ages_from="ages")
    assert SourceInfo.from_dict(declared.to_dict()) == declared
