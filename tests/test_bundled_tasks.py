"""The bundled real-data tasks: licensed data copied unchanged, valid tasks, sensible baselines."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import REPO, SHARED_DATA, TASKS

from harness.adapters.registry import create_adapter, parse_model_spec
from harness.runner import run_task
from harness.tasks import load_task, parse_task_file, task_files

REFERENCES = REPO / "references"
BUNDLED = {
    "marsum/marsum_headlines.jsonl": (
        983,
        "f21acff635d07f7a6bce5c84948b81e64d817c25f39dee60eebc9001a3f15d56",
    ),
    "arabicstancex/arabicstancex_stance.jsonl": (
        1522,
        "ad2c04af65be41ac4d6f0ebfffc6944d40773379386724fed01773702bd8f5f7",
    ),
}


def run(task_file: str, model: str) -> dict:
    task = load_task(TASKS / task_file)
    adapter = create_adapter(parse_model_spec(model))
    return asyncio.run(run_task(task, adapter, results_dir=None)).report


@pytest.mark.parametrize("relative", sorted(BUNDLED))
def test_bundled_data_is_an_unchanged_copy(relative: str) -> None:
    rows, digest = BUNDLED[relative]
    path = REFERENCES / relative
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    assert len(data.decode("utf-8").splitlines()) == rows
    shared = SHARED_DATA / Path(relative).name
    if shared.is_file():
        assert shared.read_bytes() == data


def test_unclear_licence_data_is_not_bundled() -> None:
    assert not list(REPO.glob("references/**/ant_bbc*"))
    assert not list(REPO.glob("tasks/**/*ant_bbc*"))


def test_references_readme_names_licences_and_citations() -> None:
    text = (REFERENCES / "README.md").read_text("utf-8")
    for needle in ("CC BY 4.0", "Gaanoun", "Alkhathlan", "seed/", "musk_stance.jsonl"):
        assert needle in text


def test_every_task_file_parses() -> None:
    names = {p.stem: parse_task_file(p) for p in task_files(TASKS)}
    assert {"marsum_headlines", "arabicstancex", "hub_xlsum_arabic", "hub_mawqif_stance"} <= set(
        names
    )
    for stem, spec in names.items():
        assert spec.name == stem
        assert (spec.data.hub is not None) == stem.startswith("hub_")


def test_every_stance_target_has_an_arabic_name() -> None:
    task = load_task(TASKS / "arabicstancex.yaml")
    targets = {e.fields["target"] for e in task.examples}
    names = task.spec.metric_settings("stance").target_names
    assert len(targets) == 17 and set(names) == targets
    for english, arabic in names.items():
        assert any("\u0600" <= c <= "\u06ff" for c in arabic), english
    prompt = task.messages(task.examples[0])[-1]["content"]
    assert names[task.examples[0].fields["target"]] in prompt
    assert task.examples[0].fields["target"] not in prompt  # no English target in the prompt
    assert all(word in prompt for word in ("مؤيد", "معارض", "محايد"))


def test_marsum_prompt_asks_for_a_headline() -> None:
    task = load_task(TASKS / "marsum_headlines.yaml")
    example = task.examples[0]
    prompt = task.messages(example)[-1]["content"]
    assert "عنوان" in prompt and example.fields["article"] in prompt
    assert example.fields["references"][0] not in prompt  # the gold headline never reaches the model


def test_lead1_headline_rouge_is_nonzero() -> None:
    report = run("marsum_headlines.yaml", "lead,k=1")
    assert report["summary"]["n_scored"] == 983
    for name in ("rouge1", "rouge2", "rougeL"):
        assert 0.02 < report["metrics"][name]["value"] < 0.6, name
    diag = report["details"]["diagnostics"]
    assert diag["predictions"]["mean_coverage"] == pytest.approx(1.0)  # lead copies the article
    assert 0.2 < diag["references"]["mean_coverage"] < 0.9  # headlines are partly abstractive


def test_majority_accuracy_is_the_majority_share() -> None:
    rows = [
        json.loads(line)
        for line in (REFERENCES / "arabicstancex/arabicstancex_stance.jsonl").open(encoding="utf-8")
    ]
    label, count = Counter(r["label"] for r in rows).most_common(1)[0]
    report = run("arabicstancex.yaml", "majority")
    assert report["model"]["settings"]["answer"] == label
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(count / len(rows))
    assert report["metrics"]["invalid_rate"]["value"] == 0.0
