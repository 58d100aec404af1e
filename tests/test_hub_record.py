"""A Hub dataset's record (the ``prepare.json`` that ``bimotion push`` uploads) is checked as a local
folder's is (:func:`bimotion.data.record.not_a_record`), where it is read (:func:`bimotion.data.layout.hub_info`):
one without ``benchmark``, with shards not prepare's, or no JSON, was a ``KeyError``/``TypeError`` traceback in
advise and the grid (or passed the recipes' checks, to fail as ``datasets`` loaded it); it is one error naming
the dataset, the file and the fix.  And advise drawing from a group that a Hub dataset's record lacks said that
the id was no local folder (``me/ds: no such folder``); it names the group, and to prepare it and push again.
The Hub here is its cache, read offline, as ``hf_hub_download`` leaves it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import unprivileged

from bimotion.cli import main
from bimotion.data import layout
from bimotion.data.held import held_pairs
from bimotion.grid.config import prepared_groups
from bimotion.training import testing
from bimotion.training.data_checks import check_present


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A folder the real writer prepared of CSED (zho_eld) and ESD (zho_adu)."""
    return testing.write_prepared(
        tmp_path_factory.mktemp("made") / "made", shards=[("csed", "zho_eld"), ("esd", "zho_adu")]
    )


def hub_cached(root, hub_id: str, files: dict[str, bytes]) -> dict[str, Path]:
    """The Hub cache at ``root`` holding ``files`` of the dataset ``hub_id`` as ``hf_hub_download`` leaves
    them (each a link in the snapshot to its bytes in ``blobs/``); ``{name: its bytes' file}``."""
    import hashlib

    commit = "0" * 40
    repo = root / f"datasets--{hub_id.replace('/', '--')}"
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "blobs").mkdir()
    blobs = {}
    for name, data in files.items():
        blobs[name] = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blobs[name].write_bytes(data)
        (repo / "snapshots" / commit / name).symlink_to(Path("..", "..", "blobs", blobs[name].name))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return blobs


def seed_hub(tmp_path, monkeypatch, hub_id: str, files: dict[str, bytes]) -> dict[str, Path]:
    """The Hub's cache holding ``files`` of the dataset ``hub_id`` (:func:`hub_cached`), read offline, and
    ``tmp_path`` the working folder, where the id is no local path."""
    from huggingface_hub import constants

    blobs = hub_cached(tmp_path / "hub", hub_id, files)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)
    return blobs


def damaged(made, kind: str) -> bytes:
    info = json.loads((made / layout.INFO_FILE).read_text(encoding="utf-8"))
    if kind == "no_benchmark":
        del info["benchmark"]
    elif kind == "shards":
        info["shards"] = [1, 2]
    elif kind == "truncated":  # a download cut short: the cache's copy, not the Hub's
        return (made / layout.INFO_FILE).read_bytes()[:200]
    else:
        return b"{not json"
    return json.dumps(info).encode()


SAID = {
    "no_benchmark": "prepare.json of the Hub dataset me/ds is not prepare's record (no benchmark, protocol, corpora",
    "shards": "prepare.json of the Hub dataset me/ds: its shards are not prepare's (corpus, group, split, files, rows",
    "not_json": "prepare.json of the Hub dataset me/ds is unreadable (",
    "truncated": "prepare.json of the Hub dataset me/ds is unreadable (",
}
FIX = "push the prepared folder it was made from again: bimotion push OUT --repo-id me/ds"


@pytest.mark.parametrize("kind", list(SAID))
def test_a_damaged_hub_record_is_one_error_naming_it_and_the_fix(made, tmp_path, monkeypatch, capsys, kind):
    files = {layout.CARD_FILE: (made / layout.CARD_FILE).read_bytes(), layout.INFO_FILE: damaged(made, kind)}
    blobs = seed_hub(tmp_path, monkeypatch, "me/ds", files)
    for read in (layout.hub_info, layout.held_info, layout.recorded_info, lambda s: held_pairs(s, "bimotion")):
        with pytest.raises(ValueError) as err:
            read("me/ds")
        assert str(err.value).startswith(SAID[kind]) and str(err.value).endswith(FIX), err.value
        if kind in ("not_json", "truncated"):  # the cache's copy may be what is damaged: it is named
            copy = f"; the Hub cache's copy, {blobs[layout.INFO_FILE]}): delete that file to fetch it again; if it is"
            assert copy in str(err.value), err.value
    with pytest.raises(ValueError, match="^" + SAID[kind][:40]):  # every caller, each time (it is cached)
        prepared_groups({"bimotion": "me/ds"})
    # the recipes' check (it passed a record without a benchmark, which failed as datasets loaded it)
    with pytest.raises(ValueError, match="^" + SAID[kind][:40]):
        check_present({"--train_configs": ["zho_eld"]}, {"bimotion": "me/ds"}, every_group=None)
    assert main(["advise", "--target", "zho_eld", "--bimotion", "me/ds", "-o", str(tmp_path / "out")]) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"error: {SAID[kind]}") and said.rstrip().endswith(FIX), said
    assert "Traceback" not in said and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "unreadable, cached, groups",
    [
        ("prepare.json", ("README.md", "prepare.json"), ["--groups", "zho_eld", "eng_eld"]),
        ("README.md", ("README.md",), []),
    ],
)
def test_a_cached_hub_file_that_cannot_be_read_is_one_error_naming_it(made, tmp_path, unreadable, cached, groups):
    """Before: a copy in the Hub cache that could not be read (chmod 000) was taken for no file at all: of the
    dataset's prepare.json, no record (advise said "me/ds has no prepare.json ..." and to prepare the corpora
    again); of its README.md, its prepare.json not at hand, a card without configs ("--bimotion me/ds does not
    exist, so its groups cannot be read: prepare it, ...").  Now one error line naming that copy and the fix
    (layout.cached_unreadable), exit 2, nothing written."""
    blob = hub_cached(tmp_path / "hub", "me/ds", {name: (made / name).read_bytes() for name in cached})[unreadable]
    blob.chmod(0o000)
    argv = ["advise", "--target", "zho_eld", *groups, "--bimotion", "me/ds", "-o", str(tmp_path / "out")]
    proc = subprocess.run(
        unprivileged([sys.executable, "-m", "bimotion.cli", *argv]),
        env=testing.subprocess_env(HF_HUB_CACHE=str(tmp_path / "hub")),  # offline: the cache alone
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"error: {unreadable} of the Hub dataset me/ds cannot be read (Permission denied: the Hub cache's copy, "
        f"{blob}): make it readable (chmod u+rx, or run as its owner), or delete that file to fetch it again"
    ]
    assert not (tmp_path / "out").exists()


def test_a_sound_hub_record_is_read_as_the_local_one(made, tmp_path, monkeypatch):
    files = {name: (made / name).read_bytes() for name in (layout.CARD_FILE, layout.INFO_FILE)}
    seed_hub(tmp_path, monkeypatch, "me/ds", files)
    assert layout.hub_info("me/ds") == layout.read_info(made)
    assert prepared_groups({"bimotion": "me/ds"}) == prepared_groups({"bimotion": str(made)})


def test_a_group_a_hub_datasets_record_lacks_is_named_with_how_to_add_it(made, tmp_path, monkeypatch, capsys):
    """advise --groups naming a group the Hub dataset's record lacks said 'error: me/ds: no such folder' (its
    record was read as a local folder's), then the grid's error ("me/ds holds no rows of eng_eld ..., which this
    grid reads (...). The paper's tables compare every group: ...; or give the grid groups it holds (tables: [],
    with mixtures: and extra_tests:), or run bimotion advise --target GROUP", to a user running just that); it
    now says it as for a local folder: the group, what the datasets hold, and to prepare with its corpora and
    push again, or leave it out."""
    files = {name: (made / name).read_bytes() for name in (layout.CARD_FILE, layout.INFO_FILE)}
    seed_hub(tmp_path, monkeypatch, "me/ds", files)
    argv = ["advise", "--target", "zho_eld", "--groups", "zho_eld", "eng_eld", "--bimotion", "me/ds"]
    assert main([*argv, "-o", str(tmp_path / "out")]) == 2
    said = capsys.readouterr().err
    assert said == (
        "error: group 'eng_eld' (--groups, or groups: in the config) has no rows in the Hub dataset me/ds (prepared "
        "from esd, csed; eng_eld is made from crema_d, tess, elderreact; the prepared datasets hold zho_eld, "
        "zho_adu): leave it out, or prepare the Hub dataset again with their corpora, under its own protocol and "
        "seed so its splits stay, and push it again: bimotion prepare --source esd=DIR --source csed=DIR --source "
        "crema_d=DIR --source tess=DIR --source elderreact=DIR --protocol paper --seed 0 --output OUT (each DIR the "
        "corpus's raw folder), then bimotion push OUT --repo-id me/ds\n"
    )
    assert "too few speakers" not in said  # it was first called a group of too few speakers, in a note
    assert not (tmp_path / "out").exists()
    from bimotion.grid.checks import check_prepared
    from bimotion.mixture import parse_mixture
    from bimotion.training.parsing import ArgumentError

    with pytest.raises(ArgumentError) as grid:  # a grid's config reading it: the grid's words, its fix the same
        check_prepared([("eng_eld", parse_mixture(["eng_eld"]).shards, "train")], {"bimotion": "me/ds"})
    assert str(grid.value).startswith("me/ds holds no rows of eng_eld (prepared from esd, csed), which this grid reads")
    assert "then bimotion push OUT --repo-id me/ds; or give the grid groups it holds" in str(grid.value)


def test_a_group_the_card_of_a_dataset_without_a_record_lacks_names_the_missing_record(made, tmp_path):
    """The same check of a folder with its card and no prepare.json said it was no prepared dataset; it says its
    card has no config of the group, and how to give it a record."""
    import shutil

    from bimotion.grid.checks import check_prepared
    from bimotion.mixture import parse_mixture
    from bimotion.training.parsing import ArgumentError

    folder = shutil.copytree(made, tmp_path / "card-only")
    (folder / layout.INFO_FILE).unlink()
    with pytest.raises(ArgumentError) as err:
        check_prepared([("eng_eld", parse_mixture(["eng_eld"]).shards, "train")], {"bimotion": str(folder)})
    said = str(err.value)
    assert said.startswith(f"{folder} has no prepare.json"), said
    assert "its card has no config of eng_eld, which this grid reads (eng_eld by model eng_eld)" in said
    assert "give the grid groups it holds" in said and "bimotion prepare --source NAME=DIR" in said


def test_a_cached_hub_card_that_is_not_utf8_is_one_error_naming_it(made, tmp_path, monkeypatch, capsys):
    """Before: the Hub cache's copy of a Hub dataset's card (README.md) that was not UTF-8 text was read as a card
    without configs, its prepare.json not at hand: advise said "--bimotion me/ds: no such folder here, and could not
    reach the Hub to read prepare.json ...; so its groups cannot be read: list the groups to draw from", naming
    neither the card nor its copy.  Now one error naming that copy and the fix (layout.cached_damaged), exit 2,
    nothing written."""
    from bimotion.data.held import card_configs

    card = (made / layout.CARD_FILE).read_bytes().replace(b"---", b"---\n# \xff\xfe", 1)
    blob = seed_hub(tmp_path, monkeypatch, "me/ds", {layout.CARD_FILE: card})[layout.CARD_FILE]
    said = (
        "README.md of the Hub dataset me/ds is unreadable ('utf-8' codec can't decode byte 0xff in position 6: "
        f"invalid start byte; the Hub cache's copy, {blob}): delete that file to fetch it again; if it is so again, "
        "push the prepared folder it was made from again: bimotion push OUT --repo-id me/ds"
    )
    for _ in range(2):  # kept for the process, said each time
        with pytest.raises(ValueError) as err:
            card_configs("me/ds")  # was None: a card without configs
        assert str(err.value) == said
    assert main(["advise", "--target", "zho_eld", "--bimotion", "me/ds", "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {said}"]
    assert not (tmp_path / "out").exists() and blob.read_bytes() == card


@pytest.fixture(scope="module")
def own_made(tmp_path_factory):
    """A folder prepared of a corpus of one's own, ``carehome`` (Indonesian elderly: ``ind_eld``), by the
    command line; this process's registries left as they were, as a fresh process knows nothing of it."""
    from bimotion.registry import BENCHMARKS
    from loaders import SOURCES
    from loaders import testing as corpora

    base = tmp_path_factory.mktemp("own")
    root = corpora.make_corpus("audiofolder", base / "raw", corpus="carehome", language="ind", age_groups=("eld",))
    saved = [(registry, dict(registry)) for registry in (SOURCES, BENCHMARKS)]
    try:
        assert main(["prepare", "-q", "--source", f"carehome={root}", "--output", str(base / "own")]) == 0
    finally:
        for registry, before in saved:
            registry.clear()
            registry.update(before)
    return base / "own"


def test_a_group_of_a_hub_datasets_own_corpus_is_one_to_draw_from(own_made, tmp_path, monkeypatch, capsys):
    """advise --groups ind_eld, the Hub dataset holding a corpus of one's own (carehome: ind_eld), said
    "config 'ind_eld' is unknown (a group of your own corpus is known once its prepared folder is given ...)",
    with every built-in config as the choice, where without --groups advise drew from it: the Hub dataset's
    record was read for the groups to draw from, not for those given.  It is now read once a group is not known:
    ind_eld is drawn from, and a group it does not hold is named with the groups it does."""
    from bimotion.advise import advise_config

    seed_hub(
        tmp_path, monkeypatch, "me/ds", {n: (own_made / n).read_bytes() for n in (layout.CARD_FILE, layout.INFO_FILE)}
    )
    argv = ["advise", "--target", "ind_eld", "--bimotion", "me/ds", "-o", str(tmp_path / "out"), "--groups", "ind_eld"]
    assert main([*argv, "ind_edl"]) == 2
    assert capsys.readouterr().err == (
        "error: group 'ind_edl' (--groups, or groups: in the config) is not one the prepared datasets hold (did you "
        "mean 'ind_eld'?); they hold: ind_eld\n"
    )
    config = advise_config("advise-tiny", {"bimotion": "me/ds"}, target="ind_eld", groups=["ind_eld"])
    assert (config.target, config.groups) == ("ind_eld", ["ind_eld"])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("refused", ["a probe given a Hub dataset", "a base model not cached"])
def test_an_argument_the_grids_checks_refuse_is_one_usage_error_of_advise(made, tmp_path, monkeypatch, capsys, refused):
    """advise given a Hub dataset with its default config, the probe, or a config whose base model the Hub cache
    lacks (offline) was refused inside advise() by the grid's checks ("probes read local prepared folders only",
    "this model is not in the local cache") as a traceback ending in ArgumentError, exit 1.  It is one `error:`
    line, exit 2, as advise's other usage errors; nothing written."""
    seed_hub(tmp_path, monkeypatch, "me/ds", {n: (made / n).read_bytes() for n in (layout.CARD_FILE, layout.INFO_FILE)})
    argv = ["advise", "--target", "zho_eld", "--bimotion", "me/ds", "-o", str(tmp_path / "out")]
    said = (
        "error: --bimotion me/ds: probes read local prepared folders only (their features are cached per folder), "
        "not Hub ids: download it first, e.g. hf download me/ds --repo-type dataset --local-dir DIR"
    )
    if refused == "a base model not cached":
        (tmp_path / "model.yaml").write_text("model_name_or_path: someone/not-cached\n")
        argv += ["--config", str(tmp_path / "model.yaml")]
        said = (
            "error: --model_name_or_path someone/not-cached: the Hugging Face Hub cannot be reached (HF_HUB_OFFLINE "
            "is set) and this model is not in the local cache; download it where there is network (hf download "
            "someone/not-cached --local-dir DIR) and pass DIR"
        )
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [said]
    assert not (tmp_path / "out").exists()
