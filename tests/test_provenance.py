"""What produced a result: every scores.json, inference and grid metrics file records the software
(versions, the checkout's commit), the command line and the prepared data by content, with no path
of this machine and no token (the runs that write them: test_self_describing, test_no_secrets,
test_probe, test_grid, test_training_recipes)."""

from __future__ import annotations

import hashlib
from importlib import metadata

from bimotion.training import testing
from bimotion.training.provenance import HIDDEN, provenance, public_command


def test_the_command_names_scripts_and_folders_and_hides_tokens(tmp_path):
    data = tmp_path / "corpora" / "bimotion"
    data.mkdir(parents=True)
    argv = [str(tmp_path / "recipes" / "train.py"), "--bimotion", str(data), "--train_configs", "zho_eld"]
    argv += ["--hub_token", "hf_secret", "--hub_token=hf_other", f"--output_dir={tmp_path / 'out'}"]
    command = public_command(argv)
    assert command == [
        "train.py", "--bimotion", "local:bimotion", "--train_configs", "zho_eld",
        "--hub_token", HIDDEN, f"--hub_token={HIDDEN}", "--output_dir=local:out",
    ]  # fmt: skip
    assert str(tmp_path) not in " ".join(command) and "hf_" not in " ".join(command)
    assert public_command([str(tmp_path / "bimotion" / "__main__.py"), "demo"]) == ["-m bimotion", "demo"]
    # a setting whose name only mentions tokens is no secret: recorded as given (was hidden, so the
    # recorded command did not say how the loss was averaged)
    assert public_command(["train.py", "--average_tokens_across_devices", "False", "--token", "t"]) == [
        "train.py", "--average_tokens_across_devices", "False", "--token", HIDDEN,
    ]  # fmt: skip


def test_a_secrets_flag_spelled_with_dashes_is_hidden_too():
    """transformers' argument parser takes ``--hub-token`` for ``--hub_token``; the recorded command
    showed its value (the secret rule read only the underscore spelling)."""
    assert public_command(["train.py", "--hub-token", "hf_secret", "--hub-token=hf_other"]) == [
        "train.py", "--hub-token", HIDDEN, f"--hub-token={HIDDEN}",
    ]  # fmt: skip


def test_provenance_names_the_versions_and_the_data_by_content(tmp_path):
    folder = testing.write_prepared(tmp_path / "bimotion", shards=[("csed", "zho_eld")], sizes={"test": 2})
    recorded = provenance({"bimotion": str(folder), "yuemotion": None, "cache_dir": str(tmp_path)}, seed=3)
    digest = hashlib.sha256((folder / "prepare.json").read_bytes()).hexdigest()
    assert recorded["data"] == {"bimotion": {"prepare.json": f"sha256:{digest}"}}  # no cache_dir, no absent one
    assert recorded["seed"] == 3
    import torch  # the threads a CPU run used: on 1 and 2 threads the same run ends points apart

    assert provenance({})["torch_threads"] == torch.get_num_threads()
    versions = recorded["versions"]
    assert versions["torch"] == metadata.version("torch") and versions["transformers"] == metadata.version(
        "transformers"
    )
    assert versions["bimotion"] and versions["python"].count(".") == 2
    assert recorded["commit"] is None or len(recorded["commit"].removesuffix("+dirty")) == 40


def test_produced_by_names_each_value_once_or_every_value_where_the_models_differ():
    """The grid's tables say what produced them (test_grid); where their models were trained with other
    libraries or threads (workers on other machines, a model kept from before an upgrade) the line says so."""
    from bimotion.training.provenance import produced_by

    one = {"versions": {"bimotion": "0.1.0", "torch": "2.5.1", "transformers": "4.46.0", "datasets": "3.1.0"},
           "commit": "a" * 40, "torch_threads": 1, "command": ["grid.py", "--config", "paper"]}  # fmt: skip
    same = "Produced by bimotion 0.1.0, commit " + "a" * 40 + ", torch 2.5.1, transformers 4.46.0, datasets 3.1.0"
    assert produced_by([one, {**one, "command": ["grid.py", "--shard", "1/2"]}]) == same + ", torch threads 1."
    other = {**one, "torch_threads": 2, "versions": {**one["versions"], "torch": "2.6.0"}}
    line = produced_by([one, other, None])
    assert "torch 2.5.1 or 2.6.0 (not the same for every model)" in line and "torch threads 1 or 2 (" in line
    assert line.endswith("(1 of 3 metrics files record none).") and "grid.py" not in line


def test_an_argument_longer_than_a_file_name_is_kept_as_given():
    """A value longer than a file name may be (255 bytes: a long --run_name, a mixture of many shards)
    made Path.exists() raise 'File name too long' as the run wrote its scores.json, after all its
    training: the run ended in a traceback.  It is no local path: kept as given."""
    long = "+".join(f"eng_adu[esd]+zho_eld[csed]+yuemotion:all{i}" for i in range(10))
    assert len(long) > 255
    assert public_command(["train.py", "--train_configs", long, f"--run_name={long}"]) == [
        "train.py", "--train_configs", long, f"--run_name={long}",
    ]  # fmt: skip


def test_an_abbreviated_secrets_flag_is_hidden_too():
    """argparse takes an unambiguous prefix of a flag: ``--hub_tok hf_x`` sets --hub_token, and its value was
    recorded in plain text (provenance, model cards, metrics files)."""
    command = public_command(["train.py", "--hub_tok", "hf_x", "--hub-tok=hf_y", "--hub_model_id", "me/m"])
    assert command == ["train.py", "--hub_tok", HIDDEN, f"--hub-tok={HIDDEN}", "--hub_model_id", "me/m"]


def test_a_value_that_names_a_folder_here_is_recorded_as_given_unless_its_flag_reads_a_path(tmp_path, monkeypatch):
    """`infer.py --configs nan_eld carehome` run beside a folder `carehome` recorded `--configs nan_eld local:carehome`:
    every argument that happened to be an existing path was taken for a folder, and the recorded command could not
    be run again.  Only a path's flag's values (--bimotion, --model, --output_dir, ...) are recorded `local:<name>`
    now; another flag's as given, unless absolute (this machine's folders are still named nowhere)."""
    for name in ("carehome", "data", "tiny"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path)
    argv = ["infer.py", "--model", "tiny", "--bimotion", "data", "--configs", "nan_eld", "carehome"]
    argv += ["--output_file=carehome", "--run_name", "carehome", f"--test_configs={tmp_path / 'carehome'}"]
    assert public_command(argv) == [
        "infer.py", "--model", "local:tiny", "--bimotion", "local:data", "--configs", "nan_eld", "carehome",
        "--output_file=local:carehome", "--run_name", "carehome", "--test_configs=local:carehome",
    ]  # fmt: skip
    # a value after a hidden secret is its flag's no more; an abbreviated path flag's absolute path is still hidden
    assert public_command(["train.py", "--hub_token", "hf_x", "carehome", "--bimo", str(tmp_path / "data")]) == [
        "train.py", "--hub_token", HIDDEN, "carehome", "--bimo", "local:data",
    ]  # fmt: skip


def test_a_short_flag_of_a_path_is_recorded_as_its_long_flag_is(tmp_path, monkeypatch):
    """`bimotion advise -o out` (its grid's metrics files record the command) recorded `-o out` where `--output out`
    recorded `--output local:out`; after a path's flag, `--bimotion data -q x` took -q and x for --bimotion's
    values (`local:x`). A short flag is a flag: `-o` reads a path as --output does, any other none."""
    for name in ("data", "out", "x"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path)
    argv = ["bimotion", "advise", "--target", "zho_eld", "-o", "out", "--bimotion", "data", "-q", "x"]
    argv += [f"-o{tmp_path / 'out'}", f"-o={tmp_path / 'out'}", "--seeds", "-1"]
    assert public_command(argv) == [
        "bimotion", "advise", "--target", "zho_eld", "-o", "local:out", "--bimotion", "local:data", "-q", "x",
        "-olocal:out", "-o=local:out", "--seeds", "-1",
    ]  # fmt: skip
