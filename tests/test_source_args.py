"""The per-corpus options of the commands that read raw corpora: ``--label-map NAME=FILE`` and
``--license NAME=TEXT`` (one way to add both, :mod:`bimotion.commands.source_args`)."""

from __future__ import annotations

import argparse

import pytest

from bimotion.commands.source_args import add_own_corpus_arguments


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bimotion prepare")
    add_own_corpus_arguments(p)
    return p


def test_label_map_and_license_are_repeatable_name_value_pairs():
    args = parser().parse_args(["--label-map", "mine=map.csv", "--license", "mine=CC-BY-4.0", "--label-map", "b=x=y"])
    assert args.label_maps == [("mine", "map.csv"), ("b", "x=y")]
    assert args.licenses == [("mine", "CC-BY-4.0")]
    assert parser().parse_args([]).label_maps == parser().parse_args([]).licenses == []
    usage = parser().format_usage()
    assert "--label-map NAME=FILE" in usage and "--license NAME=TEXT" in usage


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--label-map", "mine"], "argument --label-map: expected NAME=FILE, got 'mine'"),
        (["--license", "mine="], "argument --license: expected NAME=TEXT, got 'mine='"),
    ],
)
def test_a_value_without_its_name_is_a_usage_error_naming_the_form(argv, said, capsys):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(argv)
    assert exit_.value.code == 2 and said in capsys.readouterr().err
