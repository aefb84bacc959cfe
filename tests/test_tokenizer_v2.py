"""Tokenizer 2.0.0: digit runs cut from Arabic letters; default-ignorable code points deleted.

Pins the new cases, and that what version 1 already got right did not move.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

from harness.text import ArabicTokenizer
from harness.text.arabic import _ENCLOSING_MARKS, _INVISIBLE
from harness.text.segment import DIGIT_ARABIC_BOUNDARY_RE, TOKEN_RE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tok() -> ArabicTokenizer:
    return ArabicTokenizer()


def test_version_is_two(tok: ArabicTokenizer) -> None:
    assert tok.describe()["version"] == "2.0.0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("و2015", ["و", "2015"]),
        ("2023م", ["2023", "م"]),
        ("15سوق", ["15", "سوق"]),
        ("و٢٠١٥", ["و", "2015"]),  # Arabic-Indic digits become ASCII first
        ("وَ2015", ["و", "2015"]),
        ("و3.5م", ["و", "3.5", "م"]),
        ("في عام 2015م.", ["في", "عام", "2015", "م"]),
        ("(و2015)", ["و", "2015"]),
        ("COVID19", ["covid19"]),
        ("G20", ["g20"]),
        ("mp3", ["mp3"]),
        ("G20ب", ["g20", "ب"]),
        ("❤️", []),
        ("1️⃣", ["1"]),
        ("رائع❤️👍🏽", ["رائع"]),
        ("كتاب\ufe00الطالب", ["كتابالطالب"]),  # deleted, not a space, like ZWNJ
        ("نص\U000e0067\U000e0062", ["نص"]),  # tag characters
        ("وا\u034fحد", ["واحد"]),  # combining grapheme joiner
    ],
)
def test_v2_cases(tok: ArabicTokenizer, text: str, expected: list[str]) -> None:
    assert tok.tokenize(text) == expected
    assert [t for s in tok.sentence_tokens(text) for t in s] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # version 1 gave exactly these, and so must version 2
        ("ارتفع 3.5٪ إلى 1,000 دولار", ["ارتفع", "3.5", "الي", "1,000", "دولار"]),
        ("عام ٢٠٢٣", ["عام", "2023"]),
        ("كتاب\u200cالطالب", ["كتابالطالب"]),
        ("قال: «نعم»، ثم…", ["قال", "نعم", "ثم"]),
        ("الـ CNN و BBC", ["ال", "cnn", "و", "bbc"]),
        ("2020-2021", ["2020", "2021"]),
        ("#السعودية @user1", ["السعوديه", "user1"]),
    ],
)
def test_v1_cases_unchanged(tok: ArabicTokenizer, text: str, expected: list[str]) -> None:
    assert tok.tokenize(text) == expected


def test_deleted_code_points_are_the_default_ignorables_and_enclosing_marks() -> None:
    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    ignorable = {ord(c) for c in regex.findall(r"\p{Default_Ignorable_Code_Point}", every)}
    enclosing = {ord(c) for c in regex.findall(r"\p{Me}", every)}
    assert set(_INVISIBLE) == ignorable
    assert set(_ENCLOSING_MARKS) == enclosing


def _texts() -> list[str]:
    texts: list[str] = []
    for path in (ROOT / "references/marsum/marsum_headlines.jsonl",
                 ROOT / "references/seed/musk_trump_summaries.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines()[:60]:
            row = json.loads(line)
            texts += [v for v in row.values() if isinstance(v, str)]
            texts += [v for v in row.get("summaries", []) if isinstance(v, str)]
    return texts


def test_bundled_text_moves_only_at_digit_letter_boundaries(tok: ArabicTokenizer) -> None:
    """On the bundled news, every version-1 token (`TOKEN_RE` over the normalized text) is
    either unchanged or cut into pieces that spell it, at a digit next to an Arabic letter."""
    moved = 0
    for text in _texts():
        pieces = iter(tok.tokenize(text))
        for old in TOKEN_RE.findall(tok.normalize(text)):
            new = [next(pieces)]
            while "".join(new) != old:
                new.append(next(pieces))
            if len(new) > 1:
                moved += 1
                assert DIGIT_ARABIC_BOUNDARY_RE.split(old) == new
        assert next(pieces, None) is None
    assert moved > 0  # MArSum's Darija news has "2023م"-style tokens


def test_runs_of_different_tokenizer_versions_are_not_compared(tmp_path: Path, capsys) -> None:
    from harness.cli import main

    assert main(["run", "seed_summarization", "--results-dir", str(tmp_path / "now")]) == 0
    (path,) = (tmp_path / "now").rglob("*.json")
    old = json.loads(path.read_text("utf-8"))
    old["metric_settings"]["rouge"]["tokenizer"]["version"] = "1.0.0"
    base = tmp_path / "base" / path.name
    base.parent.mkdir()
    base.write_text(json.dumps(old, ensure_ascii=False), "utf-8")
    assert main(["check", str(path), "--baseline", str(base)]) == 2
    assert "tokenizer" in capsys.readouterr().err
