"""A prepared dataset's file or stored clip, or a model's weights, damaged after they were written:
each command names the file (and clip) in one `error:` line with the fix, exit 2; `check` lists a
clip that does not decode as a problem (exit 1).  Never a reader's traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from conftest import damage_clip
from conftest import load_recipe as recipe

from bimotion.cli import main
from bimotion.training import testing
from loaders.errors import DamagedFileError

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """A small prepared folder and a tiny fine-tuned-like classifier (13-label head, 3 trained labels)."""
    from bimotion.training.model import build_model, suppress_untrained

    root = tmp_path_factory.mktemp("damaged")
    data = testing.write_prepared(
        root / "data", shards=[("csed", "zho_eld")], sizes={"train": 8, "validation": 4, "test": 6}
    )
    model, fe = build_model(str(testing.save_tiny_model(root / "tiny")), classifier_proj_size=16)
    model.config.trained_labels = ["neutral", "positive", "negative"]
    suppress_untrained(model)
    model.save_pretrained(root / "model")
    fe.save_pretrained(root / "model")
    soundfile.write(root / "x.wav", np.random.default_rng(0).normal(0, 0.1, 16000), 16000)
    return {"data": data, "model": root / "model", "wav": root / "x.wav"}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch) -> Path:
    """A datasets cache of the test's own: the copies share their prepare.json, so the cache key, with
    the intact folder (a cache built from intact files would hide their damage)."""
    monkeypatch.setattr("datasets.config.HF_DATASETS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _copy(path: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(path, tmp_path / path.name))


def _one_error(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if "error: " in line]
    assert len(lines) == 1 and err.strip().splitlines()[-1] == lines[0], err
    return lines[0]


def _infer(model: Path, data: Path, tmp_path: Path) -> int:
    argv = ["--model", str(model), "--bimotion", str(data), "--output_file", str(tmp_path / "scores.json")]
    return recipe("infer").main([*argv, "--disable_tqdm", "true"])


def test_a_stored_clip_that_does_not_decode_is_named_with_its_parquet_file_and_row(made, tmp_path, own_cache, capsys):
    """4 bytes overwritten inside the second clip's FLAC of a test file: `check` lists it (exit 1),
    inference stops with one line naming the file, row and clip, and saying to prepare it again; the
    file made whole again, the damaged copy in the datasets cache is named, to delete."""
    data = _copy(made["data"], tmp_path)
    shard = next((data / "data").rglob("test-*.parquet"))
    whole = shard.read_bytes()
    blob = damage_clip(shard, row=1)
    rel = shard.relative_to(data).as_posix()

    assert main(["check", str(data), "--no-audio"]) == 1  # its name's digest: changed since prepare wrote it
    assert f"changed file {rel}" in capsys.readouterr().out
    written = _copy(made["data"], tmp_path / "as-written")  # the same bytes as prepare would name them
    renamed = testing.rewrite_parquet(written, written / rel, blob).relative_to(written).as_posix()
    assert main(["check", str(written)]) == 1
    out = capsys.readouterr().out
    assert f"{renamed} row 1 (clip csed/zho_eld-test-0001): stored audio does not decode (" in out, out

    assert _infer(made["model"], data, tmp_path) == 2
    line = _one_error(capsys.readouterr().err)
    assert line.startswith(f"error: {shard} row 1 (clip csed/zho_eld-test-0001): stored audio does not decode"), line
    assert "prepare it again" in line and f"bimotion check {data}" in line

    shard.write_bytes(whole)
    assert _infer(made["model"], data, tmp_path) == 2
    line = _one_error(capsys.readouterr().err)
    assert "row 1 (clip csed/zho_eld-test-0001) reads, but its copy in the datasets cache does not decode" in line
    assert f"delete the cache {own_cache / 'bimotion-prepared'}" in line, line


def test_an_unreadable_parquet_file_is_named_not_blamed_on_a_missing_split(made, tmp_path, capsys):
    """A truncated train file fails loading the test split too (datasets reads every split's files):
    inference and advise name that file and `bimotion check`, not 'no test split of zho_eld'."""
    data = _copy(made["data"], tmp_path)
    shard = next((data / "data").rglob("train-*.parquet"))
    shard.write_bytes(shard.read_bytes()[:100])

    assert _infer(made["model"], data, tmp_path) == 2
    line = _one_error(capsys.readouterr().err)
    assert line.startswith(f"error: {shard}: unreadable Parquet file (") and "has no test split" not in line, line
    assert f"prepare it again (`bimotion check {data}`" in line

    assert main(["advise", "--bimotion", str(data), "--target", "zho_eld", "--output", str(tmp_path / "a")]) == 2
    assert _one_error(capsys.readouterr().err) == line


def test_a_damaged_file_met_in_a_dataloader_worker_keeps_its_one_line():
    """torch re-raises a worker's error with the worker's traceback as its message: the last line is kept."""
    from torch._utils import ExceptionWrapper

    message = "data/x.parquet row 3 (clip a/b): stored audio does not decode (lost sync): prepare it again"
    try:
        raise DamagedFileError(message, "lost sync")
    except DamagedFileError:
        wrapped = ExceptionWrapper(where="in DataLoader worker process 0")
    with pytest.raises(DamagedFileError) as raised:
        wrapped.reraise()
    assert str(raised.value) == message


@pytest.mark.parametrize("keep", [50, 0.5], ids=["header", "half"])
def test_truncated_model_weights_are_named_by_every_loader(made, keep, tmp_path, capsys):
    """`predict` (exit 2, as its --help says), the recipes' model check and the library's loaders."""
    from bimotion.training.model import build_model, load_classifier

    model = _copy(made["model"], tmp_path)
    weights = model / "model.safetensors"
    full = weights.read_bytes()
    weights.write_bytes(full[: keep if isinstance(keep, int) else int(len(full) * keep)])

    assert main(["predict", "--model", str(model), str(made["wav"]), "--no-progress"]) == 2
    line = _one_error(capsys.readouterr().err)
    assert line.startswith(f"error: {weights}: incomplete or damaged (") and "copy or download it again" in line, line

    with pytest.raises(SystemExit) as exit_:
        _infer(model, made["data"], tmp_path)
    assert exit_.value.code == 2
    assert f"--model {weights}: incomplete or damaged" in _one_error(capsys.readouterr().err)

    for load in (load_classifier, build_model):
        with pytest.raises(DamagedFileError, match=f"^{weights}: incomplete or damaged"):
            load(str(model))


def test_the_probe_recipe_names_a_clip_that_does_not_decode(made, tmp_path, capsys):
    """The probe, the grid and the projections reach the clip decoder too: one line, exit 2 (the
    probe's feature extraction raised the decoder's traceback)."""
    data = _copy(made["data"], tmp_path)
    shard = next((data / "data").rglob("train-*.parquet"))
    damage_clip(shard, row=0)
    argv = ["--bimotion", str(data), "--train_configs", "zho_eld", "--output_dir", str(tmp_path / "probe")]
    assert recipe("probe").main(argv) == 2
    line = _one_error(capsys.readouterr().err)
    assert f"error: {shard} row 0 (clip " in line and "stored audio does not decode" in line, line


def test_a_damaged_clip_is_found_in_the_folder_that_holds_its_bytes_not_blamed_on_the_cache(made, tmp_path):
    """Two copies of one preparation read in one process: the clip was looked for in the last one read
    first, whose intact bytes differ, and its cache was blamed (review)."""
    import pyarrow.parquet as pq

    from bimotion.data.reading import decode_stored, load

    damaged = _copy(made["data"], tmp_path / "damaged")
    intact = _copy(made["data"], tmp_path / "intact")
    shard = next((damaged / "data").rglob("test-*.parquet"))
    damage_clip(shard, row=0)
    for folder in (damaged, intact):  # the intact copy read last
        load(folder, "zho_eld", "test", cache_dir=tmp_path / f"cache-{folder.name}")
    item = pq.read_table(shard, columns=["audio"]).column(0)[0].as_py()
    with pytest.raises(DamagedFileError) as found:
        decode_stored(item)
    assert str(found.value).startswith(f"{shard} row 0 (clip "), found.value
    assert "stored audio does not decode" in str(found.value)
