"""Paths and `--source`s as a new user types them in a first afternoon: `--output ..` from inside the
dataset, `--source yuemotion DIR` to `yuemotion prepare`, YueMotion given to `bimotion prepare`, one
folder through a link under two corpus names.  Each through the real CLI."""

from __future__ import annotations

from bimotion.cli import main as bimotion_main
from bimotion.data.layout import read_info
from loaders import testing


def test_an_output_given_as_dot_dot_from_inside_the_dataset_is_that_dataset(tmp_path, monkeypatch, capsys):
    """`cd csed-ds/data && bimotion prepare ... --output .. --overwrite` said '.../csed-ds/data/.. lies
    inside the prepared dataset .../csed-ds': `..` was compared as a folder below `data`.  It replaces
    the dataset, and its list of skipped inputs lies beside it, not in `data`."""
    root = testing.make_corpus("csed", tmp_path / "raw", bad=True)
    out = tmp_path / "csed-ds"
    argv = ["prepare", "-q", "--skip-bad", "--source", f"csed={root}", "--overwrite"]
    assert bimotion_main([*argv, "--output", str(out)]) == 0
    first = read_info(out)
    capsys.readouterr()
    (tmp_path / "csed-ds.skipped.tsv").unlink()
    monkeypatch.chdir(out / "data")
    assert bimotion_main([*argv, "--seed", "3", "--output", ".."]) == 0, capsys.readouterr().err
    said = capsys.readouterr()
    assert f"-> {out} in" in said.out and f"every skipped input, with its reason: {out}.skipped.tsv" in said.err
    assert read_info(out)["seed"] == 3 != first["seed"]
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "data", "prepare.json"]
    assert sorted(p.name for p in (out / "data").iterdir()) == ["csed"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csed-ds", "csed-ds.skipped.tsv", "raw"]
    monkeypatch.chdir(tmp_path)  # ./x/../x and a trailing slash are x too
    for given in ("./csed-ds/../csed-ds", "csed-ds/"):
        assert bimotion_main([*argv, "--output", given]) == 0, capsys.readouterr().err
        assert f"-> {out} in" in capsys.readouterr().out
    assert bimotion_main([*argv, "--output", "csed-ds/data/csed/.."]) == 2  # what lies inside is refused
    assert f"{out / 'data'} lies inside the prepared dataset {out}" in capsys.readouterr().err
