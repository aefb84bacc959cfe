"""The `evaluate` metric modules load offline and give exactly the harness's numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, TASKS, score_with

from harness.evaluate_modules import MODULES, module_path
from harness.metrics.rouge import Rouge, RougeSettings
from harness.metrics.stance import Stance, StanceSettings
from harness.scoring.bootstrap import BootstrapConfig
from harness.tasks import load_task
from harness.text import ArabicTokenizer, NormalizationOptions

BOOT = BootstrapConfig(resamples=100)
TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
NORMALIZATION = {"stem": True, "unify_alef": False}
STANCE_ANSWERS = ("مؤيد", "Answer: against", "محايد", "معارض.", "لا أعرف", "", "favor")

SCRIPT = """
import json, sys
import evaluate
from harness.evaluate_modules import module_path

job = json.load(sys.stdin)
rouge = evaluate.load(module_path("arabic_rouge"))
stance = evaluate.load(module_path("arabic_stance"))
out = {
    "rouge": rouge.compute(predictions=job["predictions"], references=job["references"],
                           rouge_types=job["types"], normalization=job["normalization"]),
    "rouge_per_example": rouge.compute(predictions=job["predictions"][:3],
                                       references=job["references"][:3],
                                       rouge_types=["rouge1"], use_aggregator=False),
    "stance": stance.compute(predictions=job["answers"], references=job["gold"],
                             aliases=job["aliases"]),
}
print(json.dumps(out))
"""


def summarization_job() -> tuple[list[str], list[list[str]]]:
    """Lead-1 predictions and references for 40 MArSum articles (real Darija text)."""
    task = load_task(TASKS / "marsum_headlines.yaml")
    tokenizer = ArabicTokenizer()
    examples = task.examples[:40]
    predictions = [tokenizer.sentences(e.fields["article"])[0] for e in examples]
    return predictions, [e.fields["references"] for e in examples]


@pytest.fixture(scope="module")
def offline_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    predictions, references = summarization_job()
    stance_task = load_task(TASKS / "arabicstancex.yaml")
    gold = [e.fields["label"] for e in stance_task.examples[:70]]
    answers = [STANCE_ANSWERS[i % len(STANCE_ANSWERS)] for i in range(len(gold))]
    job = {
        "predictions": predictions,
        "references": references,
        "types": list(TYPES),
        "normalization": NORMALIZATION,
        "answers": answers,
        "gold": gold,
        "aliases": {k: list(v) for k, v in stance_task.spec.metric_settings("stance").aliases.items()},
    }
    home = tmp_path_factory.mktemp("hf")
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        HF_EVALUATE_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_HOME=str(home),
        HF_MODULES_CACHE=str(home / "modules"),
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps(job),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {"job": job, "out": json.loads(done.stdout.strip().splitlines()[-1])}


def test_module_paths_exist() -> None:
    for name in MODULES:
        folder = Path(module_path(name))
        assert (folder / f"{name}.py").is_file()
    assert (Path(module_path("arabic_rouge")).parent / "__init__.py").is_file()
    with pytest.raises(ValueError, match="unknown evaluate module"):
        module_path("rouge")


def test_rouge_module_matches_harness(offline_results: dict) -> None:
    job = offline_results["job"]
    rouge = Rouge(RougeSettings(types=TYPES, normalization=NormalizationOptions(**NORMALIZATION)))
    _, harness_scores = score_with(rouge, [{"references": r} for r in job["references"]],
                                   job["predictions"], BOOT)
    got = offline_results["out"]["rouge"]
    assert set(got) == set(harness_scores.values)
    for name, metric in harness_scores.values.items():
        assert got[name] == pytest.approx(metric["value"], abs=1e-12), name
    assert 0 < got["rouge1"] < 1


def test_rouge_module_per_example(offline_results: dict) -> None:
    job = offline_results["job"]
    scores, _ = score_with(Rouge(RougeSettings(types=("rouge1",))),
                           [{"references": r} for r in job["references"][:3]],
                           job["predictions"][:3], BOOT)
    expected = [s["rouge1"]["fmeasure"] for s in scores]
    assert offline_results["out"]["rouge_per_example"]["rouge1"] == pytest.approx(expected)


def test_stance_module_matches_harness(offline_results: dict) -> None:
    job = offline_results["job"]
    labels = ("favor", "against", "none")
    stance = Stance(StanceSettings(labels=labels, aliases=job["aliases"]))
    _, harness_scores = score_with(stance, [{"label": g} for g in job["gold"]], job["answers"],
                                   BOOT)
    got = offline_results["out"]["stance"]
    for name, metric in harness_scores.values.items():
        assert got[name] == pytest.approx(metric["value"], abs=1e-12), name
    assert got["invalid_rate"] > 0  # "لا أعرف" and "" are invalid, never guessed
    assert got["per_class"] == harness_scores.details["per_class"]
    assert got["confusion_matrix"] == harness_scores.details["confusion_matrix"]
