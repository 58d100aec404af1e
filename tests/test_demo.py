"""The README's main command, `bimotion demo`, end to end on the embedded default corpus."""

from __future__ import annotations

import pytest

from bimotion.cli import main


def test_demo_runs_every_stage_and_leaves_loadable_datasets(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    for stage in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]", "Done in"):
        assert stage in text
    assert "synthetic" in text
    assert "load_dataset(" in text and "at 16000 Hz" in text
    for name in ("bimotion", "yuemotion"):
        card = (out / name / "README.md").read_text(encoding="utf-8")
        assert card.startswith("---") and "configs:" in card
        assert list((out / name / "data").rglob("*.parquet"))
    tables = out / "grid" / "tables"
    for table in ("table3", "table4", "table5"):
        assert (tables / f"{table}.md").read_text(encoding="utf-8").count("|") > 20
    assert (tables / "heatmap.png").stat().st_size > 1000
    # a second run replaces its own output
    assert main(["demo", "--output", str(out), "--no-grid"]) == 0


def test_demo_refuses_to_overwrite_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not written by `bimotion demo`"):
        main(["demo", "--output", str(tmp_path)])
    assert (tmp_path / "precious.txt").read_text() == "keep me"
