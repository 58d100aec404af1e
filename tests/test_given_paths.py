"""Paths and `--source`s as a new user types them in a first afternoon: `--output ..` from inside the
dataset, `--source yuemotion DIR` to `yuemotion prepare`, YueMotion given to `bimotion prepare`, one
folder through a link under two corpus names.  Each through the real CLI."""

from __future__ import annotations

import shlex

import pytest

from bimotion.cli import main as bimotion_main
from bimotion.data.layout import read_info
from loaders import testing
from yuemotion.cli import main as yuemotion_main


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
    assert f"-> {out} in" in said.out and f"every skipped input, with its reason and fix: {out}.skipped.tsv" in said.err
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


def test_yuemotion_prepare_with_a_space_for_the_equals_sign_says_how_to_write_it(tmp_path, monkeypatch, capsys):
    """`yuemotion prepare --source yuemotion raw/yue -o yy` said only argparse's 'unrecognized
    arguments: raw/yue'; it now says the fix as `bimotion prepare` does.  A bare DIR still works."""
    root = testing.make_corpus("yuemotion", tmp_path / "raw")
    monkeypatch.chdir(tmp_path)  # where no folder is named yuemotion (the checkout has one)
    for name in ("yuemotion", "canto"):
        with pytest.raises(SystemExit) as done:
            yuemotion_main(["prepare", "--source", name, str(root), "-o", str(tmp_path / "yy")])
        err = capsys.readouterr().err
        assert done.value.code == 2 and "unrecognized" not in err, err
        assert f"got '{name}', which is no folder here: write --source {name}=DIR, with '=' and no space" in err
    assert not (tmp_path / "yy").exists()
    assert yuemotion_main(["prepare", "-q", "--source", str(root), "-o", str(tmp_path / "yy")]) == 0


def test_a_space_for_the_equals_sign_is_said_where_a_folder_has_the_corpus_name(tmp_path, monkeypatch, capsys):
    """`yuemotion prepare --source yuemotion raw/yue`, run where a folder is named yuemotion (an
    earlier --output yuemotion), took that folder as the release and ended in argparse's bare
    'unrecognized arguments: raw/yue'; `bimotion prepare --source csed raw/csed` beside a folder csed
    said only to name the corpus of ./csed.  Both now say to write NAME=DIR, with '=' and no space."""
    root = testing.make_corpus("yuemotion", tmp_path / "raw")
    for name in ("yuemotion", "csed"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path)
    fix = "write --source {}=DIR, with '=' and no space"
    for main, name, spaced in [
        (yuemotion_main, "yuemotion", ["--source", "yuemotion", str(root)]),
        (yuemotion_main, "yuemotion", ["--source=yuemotion", str(root)]),
        (bimotion_main, "csed", ["--source", "csed", str(root)]),
    ]:
        with pytest.raises(SystemExit) as done:
            main(["prepare", *spaced, "-o", str(tmp_path / "yy")])
        err = capsys.readouterr().err
        assert done.value.code == 2 and fix.format(name) in err, err
    assert not (tmp_path / "yy").exists() and not any((tmp_path / "yuemotion").iterdir())
    with pytest.raises(SystemExit):  # a stray that follows no bare --source NAME: argparse's words alone
        yuemotion_main(["prepare", "--source", "yuemotion", "-o", str(tmp_path / "yy"), str(root)])
    assert capsys.readouterr().err.endswith(f"unrecognized arguments: {root}\n")


def test_yuemotion_given_to_bimotion_prepare_is_told_the_command_that_prepares_it(tmp_path, monkeypatch, capsys):
    """`bimotion prepare --source yuemotion=DIR` said 'prepare it with `yuemotion prepare`'; it now
    gives the whole command, with the user's folder, --output and options, which then runs."""
    root = testing.make_corpus("yuemotion", tmp_path / "raw raw")
    csed = testing.make_corpus("csed", tmp_path / "raw")
    monkeypatch.chdir(tmp_path)
    given = ["prepare", "--source", f"yuemotion={root}", "--output", "yy", "--protocol", "speaker", "--skip-bad"]
    assert bimotion_main(given) == 2
    err = capsys.readouterr().err
    command = f"yuemotion prepare --source {shlex.quote(f'yuemotion={root}')} --output yy --protocol speaker --skip-bad"
    assert f"prepare it with `{command}`" in err, err
    assert yuemotion_main([*shlex.split(command)[1:], "-q"]) == 0
    assert read_info(tmp_path / "yy")["protocol"] == "speaker"
    # with corpora of BiMotion too: YueMotion to a folder of its own beside --output, the others here
    assert bimotion_main(["prepare", "--source", f"csed={csed}", "--source", f"yuemotion={root}", "-o", "o/b"]) == 2
    err = capsys.readouterr().err
    assert "--output o/yuemotion`, and the others here without it" in err, err
    assert not (tmp_path / "o").exists()


def test_one_folder_under_two_corpus_names_is_named_as_given(tmp_path, monkeypatch, capsys):
    """A folder given twice, once through a link, was named twice by its resolved path in 'is the same
    folder as', which the user never typed; each is named as given, the link with the folder it leads to."""
    root = testing.make_corpus("audiofolder", tmp_path / "raw")
    (tmp_path / "link").symlink_to(root)
    monkeypatch.chdir(tmp_path)
    typed = str(root.relative_to(tmp_path))
    for command in ("prepare", "scan"):
        assert bimotion_main([command, "--source", f"mine={typed}", "--source", "mine2=link", "-o", "out"]) == 2
        err = capsys.readouterr().err
        assert f"--source mine={typed} is the same folder as --source mine2=link ({root})" in err, err
    assert bimotion_main(["scan", "--source", "mine=link", "-o", "link/m.jsonl"]) == 2
    assert f"--output link/m.jsonl is inside the mine corpus folder link ({root})" in capsys.readouterr().err
