"""A probe given a Hub dataset id (``probe --bimotion someorg/ds``): probes read local prepared folders
only, and the argument check said so, but only after the check every recipe shares had asked the Hub
about the id (:func:`bimotion.hub.hub_unreachable_for`): a request for nothing, and without network a
wait of up to HF_HUB_ETAG_TIMEOUT before the refusal.  Now the refusal comes first, with no request:
a local server standing in for the Hub (HF_ENDPOINT) counts the connections made to it, none."""

from __future__ import annotations

import pytest
from conftest import load_recipe as recipe
from conftest import socket_hub
from test_hub_asked_once import slept  # noqa: F401 (the fixture)
from test_hub_unreachable_records import at

from bimotion import hub


@pytest.fixture
def counting(monkeypatch, slept):  # noqa: F811 (slept: the Hub cache empty, back-off not slept)
    """A stand-in Hub at HF_ENDPOINT that answers every request 200 and records the request line of
    each connection made to it (:func:`conftest.socket_hub`); nothing remembered of any Hub before (a
    fresh process)."""
    monkeypatch.setattr(hub, "_silent", {})
    with socket_hub("200") as (endpoint, asked):
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        at(monkeypatch, endpoint)
        yield asked


@pytest.mark.parametrize("flag", ["--bimotion", "--yuemotion"])
def test_a_hub_dataset_id_given_to_a_probe_is_refused_without_asking_the_hub(flag, counting, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        recipe("probe").main([flag, "someorg/ds", "--train_configs", "zho_eld", "--output_dir", str(out)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and err.splitlines()[-1] == errors[0], err
    said = (
        f"{flag} someorg/ds: probes read local prepared folders only (their features are cached per folder), "
        "not Hub ids: download it first, e.g. hf download someorg/ds --repo-type dataset --local-dir DIR"
    )
    assert errors[0].endswith(": error: " + said), errors[0]
    assert counting == []  # the Hub was not asked
    assert not out.exists()
