"""The advice names a group drawn from some of its corpora with them ("English elderly (tess)"), read from
the group's spec.  The names code split the spec on ``+`` and ``[`` by hand: a spec written with its
benchmark (``yuemotion:yue_eld[canto]``), with a space (``eng_eld [tess]``), or restricting a config of
several groups (``eng[tess]``) lost its corpora from the name, and a group drawn from all of its corpora
through two parts read as some.  It now reads the spec with the one parser, :func:`bimotion.mixture.parse_mixture`."""

from __future__ import annotations

import pytest

from bimotion.advise.names import names_list


@pytest.mark.usefixtures("own_corpora")
@pytest.mark.parametrize(
    ("groups", "spec", "named"),
    [
        (["eng_eld"], "eng_eld", "English elderly"),  # the whole group
        (["eng_eld"], "eng_eld[tess]", "English elderly (tess)"),
        (["eng_eld"], "bimotion:eng_eld[tess]", "English elderly (tess)"),  # a benchmark prefix
        (["eng_eld"], "eng_eld [tess]", "English elderly (tess)"),  # spaces, as the parser allows
        (["eng_eld"], "eng_eld[crema_d,tess]", "English elderly (crema_d, tess)"),
        (["eng_eld"], "eng_eld[tess]+eng_eld[crema_d,elderreact]", "English elderly"),  # all of it, in two parts
        (["eng_eld", "eng_adu"], "eng[tess]", "English elderly (tess) and English adults (tess)"),  # a union, some
        (["eng_eld", "zho_eld"], "ind_eld+eng_eld[tess]+zho_eld", "English elderly (tess) and Mandarin elderly"),
        (["eng_eld", "eng_adu"], "tess", "English elderly (tess) and English adults (tess)"),  # a corpus config
        (["yue_eld"], "yue_eld[canto]", "Cantonese elderly (canto)"),
        (["yue_eld"], "yuemotion:yue_eld[canto]", "Cantonese elderly (canto)"),
        (["yue_eld", "yue_adu"], "yuemotion:all", "Cantonese elderly and Cantonese adults"),
        (["ind_eld"], "bimotion:ind_eld", "Indonesian elderly"),
        (["zho_eld"], "", "Mandarin elderly"),  # no spec: the group alone
    ],
)
def test_a_group_drawn_from_some_of_its_corpora_is_named_with_them_in_every_form_of_spec(groups, spec, named):
    assert names_list(groups, spec) == named


def test_a_spec_that_names_no_config_is_the_parsers_error_not_a_name_without_its_corpora():
    with pytest.raises(ValueError, match=r"eng_eld has no corpus canto; its corpora: crema_d, tess, elderreact"):
        names_list(["eng_eld"], "eng_eld[canto]")
