"""A Hub model's ``train_manifest.txt`` and a Hub dataset's ``prepare.json`` that could not be fetched
(no network, a firewall, a refused token) read as none: ``bimotion infer`` said "no train_manifest.txt
beside the model", and a run recorded no split rule, as if the Hub had answered that there is none.
Now only the Hub's own answer (HTTP 404) reads as none; a Hub that cannot be reached raises
:class:`~bimotion.hub.HubUnreachableError`, and infer, predict and training say so, naming the
repository, why, and what to do.  For real, without network and at once: the Hub's endpoint at a
closed local port (connection refused), and at a local server answering 404."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import local_hubs
from huggingface_hub import constants

from bimotion.hub import HubUnreachableError


@pytest.fixture
def endpoints(monkeypatch, tmp_path):
    """Puts the Hub at ``"refused"`` (a closed local port), ``"absent"`` (a local server answering 404) or
    ``"manifest only"`` (one serving me/ser's train_manifest.txt, naming ``csed/a``, and 404 to all else); an
    empty Hub cache."""

    sleep = time.sleep  # huggingface_hub's retries back off for ~30 s: not slept here
    monkeypatch.setattr(time, "sleep", lambda seconds: None if seconds >= 1 else sleep(seconds))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    with local_hubs({"absent": 404, "manifest only": {"/me/ser/resolve/main/train_manifest.txt": b"csed/a\n"}}) as urls:
        yield lambda name: at(monkeypatch, urls[name])


def warned(capsys) -> str:
    """The ``warning:`` line printed since the last call ("" for none), and no other (huggingface_hub's
    own retry log lines, and its logging's complaints of a stream an earlier test captured, aside)."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    if len(lines) > 1:
        raise AssertionError(f"one warning line expected, not {lines}")
    return "".join(lines)


def at(monkeypatch, endpoint: str) -> None:
    """The Hub at ``endpoint`` for this process (what HF_ENDPOINT sets as huggingface_hub is imported)."""
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")


def test_an_unreachable_hubs_manifest_and_record_raise_and_an_absent_one_reads_as_none(endpoints, capsys):
    from bimotion.data.layout import held_info, recorded_info, recorded_infos
    from bimotion.training.outputs import training_manifest

    endpoints("refused")
    with pytest.raises(HubUnreachableError) as err:
        training_manifest("me/ser")
    assert (
        str(err.value).startswith(
            "could not reach the Hub to read train_manifest.txt of me/ser: cannot reach the Hub at http://127.0.0.1:"
        )
        and "ConnectionRefusedError" in str(err.value)
        and str(err.value).endswith(
            "set HF_HUB_OFFLINE=1 to read only the local cache, or pass a local folder of me/ser"
        )
    )
    for _ in range(2):  # asked of the Hub once a process, raised each time
        with pytest.raises(HubUnreachableError, match=r"^could not reach the Hub to read prepare.json of the dataset "
                           r"me/data: cannot reach the Hub at .*, or pass a local folder of me/data$"):  # fmt: skip
            recorded_info("me/data")
    assert held_info("me/data") is None  # its shards all kept: checked as it loads
    capsys.readouterr()
    assert recorded_infos({"bimotion": "me/data"}) == {"bimotion": None}  # the grid's, the projections': said
    warning = warned(capsys)
    assert warning.startswith("warning: could not reach the Hub to read prepare.json of the dataset me/data: ")
    assert warning.endswith("; read as recording no generated data and no identical audio")
    unreached: dict = {}
    assert recorded_infos({"bimotion": "me/data"}, unreached=unreached) == {"bimotion": None}
    assert list(unreached) == ["bimotion"] and "prepare.json of the dataset me/data" in str(unreached["bimotion"])
    assert warned(capsys) == ""  # for the caller to say

    endpoints("absent")  # the Hub answers: there is none
    assert training_manifest("me/ser") is None and recorded_info("me/data") is None


def test_infer_and_predict_say_a_hub_models_manifest_could_not_be_read_not_that_it_has_none(
    endpoints, monkeypatch, capsys
):
    from bimotion.predict.audio import AudioSource
    from bimotion.predict.model import training_notes
    from bimotion.training.evaluation import training_clips, warn_training_clips

    endpoints("refused")
    pred = {"id": ["csed/a", "csed/b"], "group": ["zho_eld", "zho_eld"]}
    seen = training_clips("me/ser", pred, [])
    assert seen["checked"] is False and seen["unreached"] is True
    assert seen["why"].startswith("could not reach the Hub to read train_manifest.txt of me/ser: cannot reach the Hub")
    assert "no train_manifest.txt" not in seen["why"]
    warn_training_clips(seen, "me/ser", {"bimotion": "data"}, "test")
    warning = warned(capsys)
    assert warning.startswith(
        "warning: the test clips scored were not checked against those me/ser was trained on: could not reach "
        "the Hub to read train_manifest.txt of me/ser"
    ) and warning.endswith("or pass a local folder of me/ser")
    files = [AudioSource(Path("clips/a.wav"), "a.wav", None)]
    names, notes = training_notes("me/ser", files)
    assert names == [] and len(notes) == 1
    assert notes[0].startswith(
        "the input files were not checked against the clips me/ser was trained on: could not reach the Hub to read "
        "train_manifest.txt of me/ser"
    )

    endpoints("absent")  # none: said as before
    assert training_clips("me/ser", pred, []) == {
        "checked": False,
        "why": "no train_manifest.txt beside the model (recipes/train.py writes it)",
    }
    assert training_notes("me/ser", files) == ([], [])


def test_infer_and_training_warn_of_a_hub_datasets_record_that_could_not_be_read(endpoints, capsys):
    from bimotion.training.data import Sources
    from bimotion.training.evaluation import _data_provenance, _scored_records
    from bimotion.training.summary import prepared_records

    endpoints("refused")
    infos, unreached = _scored_records({"bimotion": "me/data"})
    assert infos == {"bimotion": None} and list(unreached) == ["bimotion"]
    warning = warned(capsys)
    assert warning.startswith("warning: could not reach the Hub to read prepare.json of the dataset me/data: ")
    assert warning.endswith("(scored_data) lacks its split rule and seed, and its clips with a training clip's "
                            "audio were not looked for")  # fmt: skip
    recorded = _data_provenance("me/data", None, unreached["bimotion"])
    assert recorded["protocol"] is None and recorded["unread"] == str(unreached["bimotion"])
    assert "unread" not in _data_provenance("me/data", None)
    assert prepared_records(Sources(bimotion="me/data")) == {"bimotion": None}
    assert warned(capsys).endswith(
        "or pass a local folder of me/data; scores.json and the model card record no split rule or generated data of it"
    )


def test_a_hub_that_refuses_the_token_is_not_called_unreachable(monkeypatch, tmp_path):
    """A Hub that answered HTTP 403 (a token without access) was said as "could not reach the Hub to read
    train_manifest.txt of me/ser: the Hub at ... refused access, HTTP 403"; it was reached: "could not read
    train_manifest.txt of me/ser from the Hub: the Hub at ... refused access, HTTP 403 ..." (bimotion.hub.could_not_read)."""
    from bimotion.data.layout import recorded_info
    from bimotion.training.outputs import training_manifest

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with local_hubs({"refusing": 403}) as urls:
        at(monkeypatch, urls["refusing"])
        with pytest.raises(HubUnreachableError) as manifest:
            training_manifest("me/ser")
        with pytest.raises(HubUnreachableError) as record:
            recorded_info("me/data")
    refused = f"from the Hub: the Hub at {urls['refusing']} refused access, HTTP 403"
    assert str(manifest.value).startswith(f"could not read train_manifest.txt of me/ser {refused}"), manifest.value
    assert str(record.value).startswith(f"could not read prepare.json of the dataset me/data {refused}"), record.value
    assert "reach" not in str(manifest.value) + str(record.value)


def test_predict_says_a_hub_models_training_audio_could_not_be_fetched_not_that_it_has_none(endpoints, tmp_path):
    """A Hub model whose train_manifest.txt is cached (fetched by an earlier bimotion predict) and whose
    train_audio.txt is not, on a machine that cannot reach the Hub: predict's note said the model "has no
    train_audio.txt of its training audio, as models trained before bimotion wrote one".  It now says the
    file could not be fetched, why, and that the names were compared instead."""
    from huggingface_hub import constants

    from bimotion.predict.audio import AudioSource
    from bimotion.predict.model import training_notes
    from bimotion.training.outputs import trained_audio

    snapshot = Path(constants.HF_HUB_CACHE) / "models--me--ser" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "train_manifest.txt").write_text("csed/a\n")
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0" * 40)
    endpoints("refused")
    with pytest.raises(HubUnreachableError, match=r"^could not reach the Hub to read train_audio.txt of me/ser: "):
        trained_audio("me/ser")
    names, notes = training_notes("me/ser", [AudioSource(Path("clips/a.wav"), "a.wav", None)])
    assert names == ["a.wav"] and len(notes) == 1
    assert "Matched by name only" in notes[0] and "as models trained before bimotion wrote one" not in notes[0]
    assert "the audio was not compared: could not reach the Hub to read train_audio.txt of me/ser: " in notes[0]


def test_predict_says_a_hub_model_the_hub_answers_has_no_training_audio_has_none_and_matches_by_name(endpoints):
    """A Hub model whose train_manifest.txt the Hub serves and whose train_audio.txt it answers with 404 (trained
    before bimotion recorded its training audio): predict matches the input files by name, and its note says the
    model has no train_audio.txt, not that one could not be fetched."""
    from bimotion.predict.audio import AudioSource
    from bimotion.predict.model import training_notes
    from bimotion.training.outputs import trained_audio, training_manifest

    endpoints("manifest only")
    assert training_manifest("me/ser") == frozenset({"csed/a"}) and trained_audio("me/ser") is None
    names, notes = training_notes("me/ser", [AudioSource(Path("clips/a.wav"), "a.wav", None)])
    assert names == ["a.wav"] and len(notes) == 1
    assert "Matched by name only" in notes[0]
    assert "it has no train_audio.txt of its training audio, as models trained before bimotion wrote one" in notes[0]
    assert "could not" not in notes[0] and "not compared" not in notes[0]
