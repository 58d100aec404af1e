"""The typed group of the registry: parsed once from its name, which stays the on-disk and CLI form."""

import pytest

from bimotion.registry import BENCHMARKS, BIMOTION, YUEMOTION, Group


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
