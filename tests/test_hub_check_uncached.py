"""Training with a Hub id that is not in the cache, where the Hub's name resolves but it gives no answer
(a refused connection, HF_ENDPOINT mistyped, not offline mode): the argument check of a Hub id acted only
on what this process already knew of the Hub, and in a fresh one nothing had asked it yet, so the run
read its data and ended in transformers' ``OSError`` traceback (a dataset: ~30 s of retries first).
Now the check asks the Hub once for the file it then looks for in the cache
(:func:`bimotion.hub.hub_unreachable_for`): no answer, and an uncached id is a usage error, one line
naming it and the download, before any data is read; a cached model passes, the Hub asked once at most.
For real, without network: a closed local port, a server that resets each connection, one answering 200."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_recipe as recipe
from conftest import local_hubs
from test_hub_asked_once import slept  # noqa: F401 (the fixture)
from test_hub_cached_model import _in_cache, resetting, tiny  # noqa: F401 (the fixtures)
from test_hub_unreachable_records import at

from bimotion import hub
from bimotion.training import testing


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    return str(testing.write_prepared(tmp_path_factory.mktemp("data") / "bimotion", shards=[("csed", "zho_eld")]))


@pytest.fixture
def refused(monkeypatch, slept):  # noqa: F811 (slept: the Hub cache empty, back-off not slept)
    """The Hub at a closed local port, nothing known of any Hub yet (a fresh process)."""
    monkeypatch.setattr(hub, "_silent", {})
    with local_hubs({}) as urls:
        at(monkeypatch, urls["refused"])
        yield urls["refused"]


@pytest.mark.parametrize(
    ("flags", "named", "fix"),
    [
        (["--model_name_or_path", "me/none"], "--model_name_or_path me/none: ", "hf download me/none --local-dir DIR"),
        (["--bimotion", "me/nodata"], "--bimotion me/nodata: no such folder here, and ", "--repo-type dataset"),
    ],
    ids=["model", "dataset"],
)
def test_an_uncached_hub_id_is_one_usage_error_where_the_hub_does_not_answer(
    flags,
    named,
    fix,
    refused,
    data,
    tiny,  # noqa: F811
    tmp_path,
    capsys,
):
    out = tmp_path / "out"
    argv = ["--model_name_or_path", str(tiny), "--bimotion", data, "--train_configs", "zho_eld"]
    with pytest.raises(SystemExit) as exit_:
        recipe("train").main([*argv, *flags, "--output_dir", str(out)])  # the flags given last win
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "Traceback" not in err and "OSError" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and err.splitlines()[-1] == errors[0], err
    assert named in errors[0] and fix in errors[0], errors[0]
    unanswered = f"the Hugging Face Hub cannot be reached (the Hub at {refused} did not answer (ConnectionRefusedError"
    assert unanswered in errors[0], errors[0]
    assert not out.exists()  # nothing read, nothing written


def _checked(model: str, data: str, out: Path) -> None:
    """The train recipe's arguments parsed and checked, as its ``main`` does before any data is read."""
    from transformers import HfArgumentParser

    from bimotion.training.args import check_training
    from bimotion.training.parsing import parse_arguments

    argv = ["--model_name_or_path", model, "--bimotion", data, "--train_configs", "zho_eld", "--output_dir", str(out)]
    recipe_args, *rest = parse_arguments(HfArgumentParser(recipe("train").ARGUMENTS), argv)
    check_training(*rest, train_configs=recipe_args.train_configs)  # raises nothing


def test_a_cached_hub_model_passes_asking_a_hub_that_does_not_answer_once(resetting, slept, data, tiny, tmp_path):  # noqa: F811
    endpoint, asked = resetting
    _in_cache(tiny, "me/tiny")
    _checked("me/tiny", data, tmp_path / "out")
    of_hub = [line for line in asked if "/api/agent-harnesses " not in line]  # not huggingface_hub's own registry
    assert of_hub == ["HEAD /me/tiny/resolve/main/config.json HTTP/1.1"]
    assert hub.hub_unreachable().startswith(f"the Hub at {endpoint} did not answer")  # the load reads the cache
    assert hub.download_kwargs("me/tiny") == {"local_files_only": True} and len(asked) == len(of_hub)
    assert not (tmp_path / "out").exists()


def test_a_hub_that_answers_is_asked_once_and_the_check_passes(slept, data, tiny, tmp_path, monkeypatch):  # noqa: F811
    asked: list[str] = []
    monkeypatch.setattr(hub, "_silent", {})
    with local_hubs({"answers": 200}, asked) as urls:
        at(monkeypatch, urls["answers"])
        _checked("me/uncached", data, tmp_path / "out")  # the Hub answers: from_pretrained fetches it
        assert asked == ["/me/uncached/resolve/main/config.json"]
        assert hub.hub_unreachable() is None
