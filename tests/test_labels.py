"""Label parsing: realistic model outputs, and refusal (None) whenever the answer is unclear."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.scoring.labels import DEFAULT_ALIASES, parse_label

LABELS = ("favor", "against", "none")

CASES: list[tuple[str, str | None]] = [
    # bare labels, case, punctuation, quotes, markdown
    ("favor", "favor"),
    ("AGAINST", "against"),
    ("None.", "none"),
    ('"favor"', "favor"),
    ("**Favor**", "favor"),
    ("# against", "against"),
    ("`none`", "none"),
    ("«معارضة»", "against"),
    ("Favour", "favor"),
    ("Pro", "favor"),
    # prefixes
    ("Answer: favor", "favor"),
    ("Stance - against", "against"),
    ("Final answer: Stance: FAVOUR.", "favor"),
    ("The stance is: Neutral", "none"),
    ("الإجابة: مؤيد", "favor"),
    ("الموقف: لا موقف", "none"),
    ("الموقف هو المعارضة", "against"),
    ("Answer: مع الاقتراح", "favor"),
    # Arabic forms, diacritics, tatweel, hamza
    ("مَعَ", "favor"),
    ("مـــؤيـــد", "favor"),
    ("مُؤَيِّدٌ", "favor"),
    ("مؤيداً", "favor"),
    ("تأييد", "favor"),
    ("ضد", "against"),
    ("رافض", "against"),
    ("محايد", "none"),
    ("لا يوجد موقف", "none"),
    ("غير واضح", "none"),
    ("المؤيدون", "favor"),
    # a label on the first line, then the prompt echoed back (small models do this)
    ("محايد\n\nالمقال:\nيدعم الرئيس القرار ويعارضه آخرون", "none"),
    ("**Against**\nThe article says he supports it.", "against"),
    ("الموقف مؤيد ومعارض\nمحايد", None),
    # free text with a single clear stance
    ("I think the tweet supports the target.", "favor"),
    ("The author clearly opposes the new law.", "against"),
    ("The text is unrelated to the target.", None),  # another scheme's word: task aliases
    ("يرفض الكاتب القرار بشدة", "against"),
    ("مع القرار لأنه يدعم الاقتصاد", "favor"),
    ("الكاتب يعارض هذا القرار", "against"),
    ("The author is not in favor; against.", "against"),
    ("neither favor nor against", "none"),
    ("لا مع ولا ضد", "none"),
    ("no stance", "none"),
    ("مع ذلك فإن الكاتب يعارض القرار", "against"),  # "مع ذلك" = "however"
    # ambiguous, negated or empty -> None
    ("favor or against", None),
    ("مع وضد", None),
    ("not against", None),
    ("غير معارض", None),
    ("لا يؤيد", "against"),  # a negated favor is against
    ("The author doesn't support the policy", "against"),
    ("The author supports the fight against corruption", None),
    ("الكاتب يتحدث مع الوزير عن الميزانية", None),  # "مع" = "with", not a stance
    ("I cannot determine the stance.", None),
    ("", None),
    ("   ", None),
    ("**Answer:**", None),
    ("yes", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_label(text: str, expected: str | None) -> None:
    assert parse_label(text, LABELS) == expected


def test_enough_cases() -> None:
    assert len(CASES) >= 30


def test_task_aliases_extend_and_win() -> None:
    assert parse_label("yes", LABELS, {"favor": ["yes"]}) == "favor"
    assert parse_label("favor", LABELS, {"favor": ["yes"]}) == "favor"  # defaults still apply
    assert parse_label("con", LABELS, {"none": ["con"]}) == "none"  # overrides default "con"
    assert parse_label("yes", LABELS, {"favor": "yes"}) == "favor"  # a bare string, not chars
    assert parse_label("نعم", LABELS, {"against": ("نَعَم",)}) == "against"  # normalized too


def test_aliases_for_unknown_labels_are_ignored() -> None:
    assert parse_label("maybe", LABELS, {"other": ["maybe"]}) is None


def test_label_sets_named_like_default_aliases() -> None:
    labels = ["support", "oppose", "neutral"]
    assert parse_label("مؤيد", labels) == "support"
    assert parse_label("ضد", labels) == "oppose"
    assert parse_label("none", labels) == "neutral"
    assert parse_label("FAVOR", ["FAVOR", "AGAINST"]) == "FAVOR"


def test_only_labels_in_the_label_set_are_returned() -> None:
    assert parse_label("neutral", ("favor", "against")) is None
    assert parse_label("positive", ("positive", "negative")) == "positive"


def test_default_aliases_cover_the_three_stances() -> None:
    assert set(DEFAULT_ALIASES) == {"favor", "against", "none"}
    for label, aliases in DEFAULT_ALIASES.items():
        for alias in aliases:
            assert parse_label(alias, LABELS) == label, alias


def test_runs_parsed_by_different_parser_versions_are_not_compared(tmp_path: Path,
                                                                     capsys) -> None:
    from harness.cli import main
    from harness.scoring.labels import PARSER_VERSION

    assert main(["run", "seed_stance", "--results-dir", str(tmp_path / "now")]) == 0
    (path,) = (tmp_path / "now").rglob("*Z-*[0-9a-f].json")
    report = json.loads(path.read_text("utf-8"))
    assert report["metric_settings"]["stance"]["parser"] == f"harness.labels {PARSER_VERSION}"
    report["metric_settings"]["stance"]["parser"] = "harness.labels 1"
    base = tmp_path / "base" / path.name
    base.parent.mkdir()
    base.write_text(json.dumps(report, ensure_ascii=False), "utf-8")
    assert main(["check", str(path), "--baseline", str(base)]) == 2
    assert "metric_settings.stance.parser" in capsys.readouterr().err
