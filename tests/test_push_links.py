"""A prepared folder pushed to the Hub records where it went (``pushed.json``, in the folder, never
uploaded), so that a model trained on it names that Hub dataset in its card and model-index: trained
before the push (its later ``bimotion push`` finds the folder) or after it (training reads the record).
The Hub is the ``hub`` fixture's fake (conftest.py)."""

from __future__ import annotations

import json
import shutil

import torch
from conftest import load_recipe as recipe
from huggingface_hub import ModelCard

from bimotion.cli import main
from bimotion.data.layout import PUSHED_FILE
from bimotion.data.pushed import pushed_hub_id
from bimotion.prepare import prepare
from bimotion.training import testing
from loaders import testing as corpora

torch.set_num_threads(2)
DATASET = "my-lab/bimotion-csed"
LINK = f"[`{DATASET}`](https://huggingface.co/datasets/{DATASET})"


def train(tiny, data, out) -> None:
    argv = ["--model_name_or_path", str(tiny), "--bimotion", str(data), "--output_dir", str(out)]
    argv += "--train_configs zho_eld --max_steps 1 --eval_strategy no --save_strategy no --report_to none".split()
    argv += "--load_best_model_at_end false --early_stopping_patience 0 --classifier_proj_size 16".split()
    assert recipe("train").main([*argv, "--disable_tqdm", "true"]) == 0


def prepared_and_trained(tmp_path):
    """A prepared folder of a generated CSED (``tmp_path/bimotion``) and a model trained on it
    (``tmp_path/models/m``)."""
    tiny = testing.save_tiny_model(tmp_path / "tiny")
    data = prepare(
        {"csed": corpora.make_corpus("csed", tmp_path / "raw")}, tmp_path / "bimotion", progress=False
    ).out_dir
    model = tmp_path / "models" / "m"
    train(tiny, data, model)
    return data, model


def names_the_hub_dataset(card_text: str) -> bool:
    card = ModelCard(card_text)
    types = {result.dataset_type for result in card.data.eval_results}
    return (
        types == {DATASET} and card.data.datasets == [DATASET] and f"bimotion from the Hub dataset {LINK}" in card_text
    )


def test_a_model_of_a_folder_pushed_to_the_hub_names_that_dataset_and_links_it(tmp_path, hub, capsys, monkeypatch):
    """The team lead trains on a prepared folder, pushes the folder, then the model: its card said
    ``dataset.type: local:bimotion`` (no link) since nothing on disk recorded the dataset's Hub id."""
    tiny = testing.save_tiny_model(tmp_path / "tiny")
    raw = corpora.make_corpus("csed", tmp_path / "raw" / "csed")
    data = prepare({"csed": raw}, tmp_path / "bimotion", progress=False).out_dir
    train(tiny, data, tmp_path / "models" / "before")
    assert "type: local:bimotion" in (tmp_path / "models" / "before" / "README.md").read_text()

    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    assert main(["push", str(data), "--repo-id", DATASET, "--dry-run"]) == 0 and not (data / PUSHED_FILE).exists()
    assert main(["push", str(data), "--repo-id", DATASET, "--token", "hf_x"]) == 0
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file() and p.name != PUSHED_FILE} == before
    assert pushed_hub_id(data) == DATASET and PUSHED_FILE not in hub[-1][1]["sent"]  # the folder's own
    assert main(["push", str(data), "--repo-id", DATASET, "--dry-run"]) == 0  # the record is no file left behind
    assert "stay behind" not in capsys.readouterr().err

    # trained before the push: its push finds the folder (beside the model's parents), by its prepare.json
    edited = tmp_path / "models" / "edited"
    shutil.copytree(tmp_path / "models" / "before", edited)
    (edited / "README.md").write_text((edited / "README.md").read_text() + "\nMy notes.\n")
    monkeypatch.chdir(tmp_path / "raw")
    assert main(["push", str(tmp_path / "models" / "before"), "--repo-id", "my-lab/ser", "--token", "hf_x"]) == 0
    sent = hub[-1][1]["sent"]
    assert names_the_hub_dataset(sent["README.md"].decode()) and 'model="my-lab/ser"' in sent["README.md"].decode()
    assert json.loads(sent["scores.json"])["datasets"] == {"bimotion": DATASET}
    assert f"name bimotion's data by the Hub dataset {DATASET}" in capsys.readouterr().out
    # a card edited since training is not written anew: said, and left naming the folder
    assert main(["push", str(edited), "--repo-id", "my-lab/ser-edited", "--token", "hf_x"]) == 0
    assert "was edited since training: it keeps naming local folders" in capsys.readouterr().err
    assert "type: local:bimotion" in hub[-1][1]["sent"]["README.md"].decode()

    # trained after the push: named from the start
    train(tiny, data, tmp_path / "models" / "after")
    assert names_the_hub_dataset((tmp_path / "models" / "after" / "README.md").read_text())
    assert json.loads((tmp_path / "models" / "after" / "scores.json").read_text())["datasets"] == {"bimotion": DATASET}


def test_the_record_of_a_push_counts_only_for_the_data_it_sent(tmp_path, hub):
    """Prepared again (``--overwrite``), a folder holds other data: its record goes with the old data,
    and a record whose prepare.json is not the folder's names nothing."""
    raw = corpora.make_corpus("csed", tmp_path / "raw" / "csed")
    data = prepare({"csed": raw}, tmp_path / "bimotion", progress=False).out_dir
    assert main(["push", str(data), "--repo-id", DATASET, "--token", "hf_x"]) == 0 and pushed_hub_id(data) == DATASET
    record = json.loads((data / PUSHED_FILE).read_text())
    (data / PUSHED_FILE).write_text(json.dumps({**record, "prepare.json": "sha256:" + "0" * 64}))
    assert pushed_hub_id(data) is None
    prepare({"csed": raw}, data, progress=False, overwrite=True, seed=1)  # the record is prepare's to replace
    assert not (data / PUSHED_FILE).exists() and pushed_hub_id(data) is None


def test_a_folder_pushed_from_elsewhere_is_linked_through_data_dir(tmp_path, hub, capsys, monkeypatch):
    """Data kept away from the models (``~/data/...``, the runs in ``~/runs``): the push cannot find
    the folder by its name, says so, and ``--data-dir`` names it; a wrong ``--data-dir`` is an error."""
    tiny = testing.save_tiny_model(tmp_path / "tiny")
    raw = corpora.make_corpus("csed", tmp_path / "raw" / "csed")
    data = prepare({"csed": raw}, tmp_path / "store" / "csed_v1", progress=False).out_dir
    model = tmp_path / "runs" / "m1"
    train(tiny, data, model)
    assert main(["push", str(data), "--repo-id", DATASET, "--token", "hf_x"]) == 0
    monkeypatch.chdir(tmp_path / "raw")
    capsys.readouterr()

    assert main(["push", str(model), "--repo-id", "my-lab/ser", "--dry-run"]) == 0
    assert "then this model again with `--data-dir FOLDER`" in capsys.readouterr().err
    assert main(["push", str(model), "--repo-id", "my-lab/ser", "--token", "hf_x", "--data-dir", str(data)]) == 0
    assert f"name bimotion's data by the Hub dataset {DATASET}" in capsys.readouterr().out
    assert names_the_hub_dataset(hub[-1][1]["sent"]["README.md"].decode())

    assert main(["push", str(model), "--repo-id", "my-lab/ser", "--dry-run", "--data-dir", str(raw)]) == 2
    assert f"--data-dir {raw}: not a prepared folder" in capsys.readouterr().err
    assert main(["push", str(data), "--repo-id", DATASET, "--dry-run", "--data-dir", str(data)]) == 2
    assert "give it with a model folder" in capsys.readouterr().err


def test_a_card_written_by_another_template_is_linked_and_an_edited_one_is_not(tmp_path, hub, capsys, monkeypatch):
    """Whether a card was edited is told by the digest scores.json keeps of the card training wrote, not
    by rendering it again: a card from an earlier template (another release of bimotion) was taken for
    an edited one and never linked.  A card whose digest no longer matches is the user's: kept, and the
    digest dropped, so no later push writes over it either."""
    from bimotion.training.model_card import CARD_DIGEST, card_digest

    data, model = prepared_and_trained(tmp_path)
    card, scores = model / "README.md", json.loads((model / "scores.json").read_text())
    assert scores[CARD_DIGEST] == card_digest(card.read_text(encoding="utf-8"))
    older = card.read_text().replace("chance", "Chance")  # as another template wrote it
    card.write_text(older)
    (model / "scores.json").write_text(json.dumps({**scores, CARD_DIGEST: card_digest(older)}))
    assert main(["push", str(data), "--repo-id", DATASET, "--token", "hf_x"]) == 0
    assert main(["push", str(model), "--repo-id", "my-lab/ser", "--token", "hf_x"]) == 0
    sent = hub[-1][1]["sent"]
    assert names_the_hub_dataset(sent["README.md"].decode())
    assert json.loads(sent["scores.json"])[CARD_DIGEST] == card_digest(sent["README.md"].decode())

    card.write_text(card.read_text() + "\nMy notes.\n")  # the user's now
    capsys.readouterr()
    assert main(["push", str(model), "--repo-id", "my-lab/ser", "--token", "hf_x"]) == 0
    assert "is not the card bimotion wrote" not in capsys.readouterr().err  # already linked: nothing to write
    assert sent["README.md"].decode() + "\nMy notes.\n" == hub[-1][1]["sent"]["README.md"].decode()
    assert CARD_DIGEST not in json.loads(hub[-1][1]["sent"]["scores.json"])


def test_a_push_walks_its_folder_once_and_renders_a_card_of_an_earlier_bimotion_once(
    tmp_path, hub, capsys, monkeypatch
):
    """``bimotion push`` listed the folder for its plan, again for its note on what a file browser
    left (and a prepared folder's ``data/`` a third time, for a check of files prepare.json does not
    list whose findings it set aside: the plan's note says them); and a card written by an earlier
    bimotion (no ``card_sha256`` in scores.json) was rendered twice to tell whether it was edited.
    Each folder is listed once, each card rendered once, and the push is as before."""
    import os
    from collections import Counter

    from bimotion.training import model_card
    from bimotion.training.model_card import CARD_DIGEST
    from loaders.testing.mangle import add_browser_files

    data, model = prepared_and_trained(tmp_path)
    scores = json.loads((model / "scores.json").read_text())
    del scores[CARD_DIGEST]  # as an earlier bimotion wrote it
    (model / "scores.json").write_text(json.dumps(scores))
    added = {folder: add_browser_files(folder) for folder in (data, model)}

    listed: Counter = Counter()
    real_scandir, real_listdir = os.scandir, os.listdir

    def count(path) -> None:
        if isinstance(path, str | bytes | os.PathLike):
            listed[os.path.realpath(path)] += 1

    def scandir(path="."):
        count(path)
        return real_scandir(path)

    def listdir(path="."):
        count(path)
        return real_listdir(path)

    rendered: list[str] = []
    real_render = model_card.render_card

    def render_card(summary, *args, **kwargs):
        rendered.append(json.dumps(summary, sort_keys=True))
        return real_render(summary, *args, **kwargs)

    assert main(["push", str(data), "--repo-id", DATASET, "--token", "hf_x"]) == 0  # the model's push links it
    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(model_card, "render_card", render_card)
    for folder, repo in ((data, DATASET), (model, "my-lab/ser")):
        listed.clear()
        capsys.readouterr()
        assert main(["push", str(folder), "--repo-id", repo, "--dry-run"]) == 0  # all a push does before sending
        inside = {path: n for path, n in listed.items() if path.startswith(str(folder.resolve()))}
        assert inside and max(inside.values()) == 1, inside
        said = capsys.readouterr()
        assert f"not sent: {added[folder]} files a file browser or a macOS zip left" in said.err
    assert f"would name bimotion's data by the Hub dataset {DATASET}" in said.out  # linked: the card is written anew
    assert len(rendered) == len(set(rendered)) == 2, rendered  # the card as it is judged, the card linking the data
