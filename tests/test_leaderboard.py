"""`harness leaderboard`: significance groups against hand-computed cases, left-out runs,
history drops, Markdown and JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from compare_fixtures import edit_report, fake_stance_run, fake_summary_run, harness

from harness.leaderboard.build import build_leaderboard
from harness.leaderboard.groups import holm, significance_groups
from harness.leaderboard.loading import load_all_runs
from harness.scoring.significance import PairedResult

GOLD = ["favor", "against", "none", "favor"] * 10  # 40 examples


def _result(p: float, diff: float = -0.1) -> tuple[PairedResult, bool]:
    return PairedResult("m", 0.5, 0.5 + diff, diff, diff, diff, p, "stub", 40), True


def test_holm_adjusts_as_computed_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04 -> 3*0.01=0.03, 2*0.03=0.06, max(0.06, 1*0.04)=0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.2, math.nan])
    assert adjusted[0] == pytest.approx(0.2) and math.isnan(adjusted[1])


def test_holm_keeps_three_marginal_models_with_the_leader() -> None:
    # unadjusted 0.02, 0.03, 0.04 are each < 0.05, but Holm gives 0.06, 0.06, 0.06: one group
    p = {"b": 0.02, "c": 0.03, "d": 0.04}
    placed = significance_groups(list("abcd"), lambda lead, other: _result(p[other]))
    assert [x.rank_text for x in placed] == ["1–4"] * 4
    assert [x.p_adjusted for x in placed[1:]] == pytest.approx([0.06, 0.06, 0.06])


def test_groups_split_at_the_first_significant_gap_and_restart() -> None:
    table = {("a", "b"): 0.5, ("a", "c"): 0.001, ("a", "d"): 0.001, ("c", "d"): 0.7}
    placed = significance_groups(list("abcd"), lambda lead, other: _result(table[lead, other]))
    assert [(x.item, x.rank_text, x.group) for x in placed] == [
        ("a", "1–2", 1), ("b", "1–2", 1), ("c", "3–4", 2), ("d", "3–4", 2)]


def test_untestable_comparison_never_separates() -> None:
    def test(lead: str, other: str) -> tuple[PairedResult, bool]:
        return _result(0.0001)[0], False

    assert [x.rank_text for x in significance_groups(["a", "b"], test)] == ["1–2", "1–2"]


def _stance_runs(tmp: Path) -> Path:
    folder = tmp / "runs"
    wrong = {"favor": "against", "against": "none", "none": "favor"}
    fake_stance_run(folder, "perfect", GOLD, GOLD)
    fake_stance_run(folder, "perfect-twin", GOLD, GOLD)  # identical predictions
    fake_stance_run(folder, "hopeless", GOLD, [wrong[g] for g in GOLD])
    return folder


def test_identical_models_share_a_group_and_a_large_gap_separates(tmp_path: Path) -> None:
    board = build_leaderboard(load_all_runs([_stance_runs(tmp_path)]))
    (task,) = board.tasks
    assert task.metric == "accuracy"
    ranks = {p.item.model: p.rank_text for p in task.placed}
    assert ranks == {"perfect": "1–2", "perfect-twin": "1–2", "hopeless": "3"}
    twin = next(p for p in task.placed if p.item.model == "perfect-twin")
    assert twin.vs_leader is not None and twin.vs_leader.difference == 0
    # McNemar exact, 40 discordant pairs all one way: p = 2 * 0.5**40, far below 0.05
    mean_ranks = {m.model: m.mean_rank for m in board.models}
    assert mean_ranks == {"perfect": 1.5, "perfect-twin": 1.5, "hopeless": 3.0}


def test_summaries_identical_and_far_apart(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    fake_summary_run(folder, "good", [0.8, 0.9] * 10)
    fake_summary_run(folder, "good-copy", [0.8, 0.9] * 10)
    fake_summary_run(folder, "poor", [0.1, 0.2] * 10)
    board = build_leaderboard(load_all_runs([folder]))
    assert {p.item.model: p.rank_text for p in board.tasks[0].placed} == {
        "good": "1–2", "good-copy": "1–2", "poor": "3"}


def test_incomparable_runs_are_left_out_with_the_reason(tmp_path: Path) -> None:
    folder = _stance_runs(tmp_path)
    other = fake_stance_run(tmp_path / "other", "relabelled", GOLD, GOLD)
    edit_report(other, lambda r: r["metric_settings"]["stance"].update(labels=["favor", "none"]))
    board = build_leaderboard(load_all_runs([folder, other]))
    (task,) = board.tasks
    assert "relabelled" not in {p.item.model for p in task.placed}
    (run, why), = task.left_out
    assert run.model == "relabelled" and "metric_settings.stance.labels" in why[0]


def test_history_flags_a_significant_drop(tmp_path: Path) -> None:
    folder = _stance_runs(tmp_path)
    wrong = {"favor": "against", "against": "none", "none": "favor"}
    fake_stance_run(folder, "perfect", GOLD, [wrong[g] for g in GOLD],
                    run_id="20250201T000000Z-00000000")
    board = build_leaderboard(load_all_runs([folder]))
    points = board.history[("perfect", "fake_stance")]
    assert [p.drop for p in points] == [False, True]
    assert points[1].vs_previous is not None and points[1].vs_previous.difference == -1.0
    assert harness("leaderboard", folder, "--out", tmp_path / "site") == 0
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "significant drop ▼" in page and "20250201T000000Z-00000000" in page
    # the newest run is ranked, the older one is listed as superseded
    assert [r.run_id for r in board.tasks[0].older] == ["20250101T000000Z-00000000"]
    assert not board.tasks[0].left_out


def test_markdown_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _stance_runs(tmp_path)
    assert harness("leaderboard", folder, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["significance"]["correction"] == "Holm"
    ranking = data["tasks"][0]["ranking"]
    assert [(r["model"], r["rank"]) for r in ranking] == [
        ("perfect", "1–2"), ("perfect-twin", "1–2"), ("hopeless", "3")]
    assert ranking[2]["vs_leader"]["method"] == "mcnemar_exact" and ranking[2]["leads_group"]
    assert ranking[2]["vs_leader"]["difference"] == -1.0
    assert harness("leaderboard", folder) == 0
    text = capsys.readouterr().out
    assert "| 1–2 | perfect-twin |" in text and "Holm" in text
    assert "invalid_rate" not in text  # ranked by the primary headline value only


def test_bad_input_exits_2(tmp_path: Path) -> None:
    assert harness("leaderboard", tmp_path / "missing") == 2


def test_answer_mode_is_shown_where_a_report_records_one(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    for model in ("a", "b"):
        path = fake_stance_run(folder, model, GOLD, GOLD)
        edit_report(path, lambda r: r["metric_settings"]["stance"].update(
            answer_mode="structured", judges=[{"label": "judge-x", "model": "x"}]))
    board = build_leaderboard(load_all_runs([folder]))
    assert board.tasks[0].mode == "answer mode: structured; judged by judge-x"
    from harness.leaderboard.markdown import render_markdown

    assert "answer mode: structured; judged by judge-x" in render_markdown(board)


def test_a_task_without_per_example_records_is_listed_not_ranked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _stance_runs(tmp_path)
    lonely = fake_stance_run(folder, "lonely", GOLD, GOLD, task="other_task")
    lonely.with_name(lonely.stem + ".examples.jsonl").unlink()
    assert harness("leaderboard", folder) == 0
    text = capsys.readouterr().out
    assert "### other_task (stance): no run can be ranked" in text
    assert "no per-example records" in text
