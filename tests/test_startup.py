"""Startup stays fast: `import harness` and building the CLI parser load no heavy dependency.

Each check runs in a fresh interpreter, since this test process has imported everything.
Timings live in `benchmarks/startup.py`; these tests keep the imports that decide them honest.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import harness

HEAVY = ("nltk", "scipy", "datasets", "rich", "jinja2", "openai", "numpy")


def _loaded_after(code: str) -> list[str]:
    """Top-level modules from HEAVY that are in sys.modules after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(set({list(HEAVY)!r}) & set(sys.modules))))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_import_harness_loads_no_heavy_dependency() -> None:
    assert _loaded_after("import harness") == []


def test_cli_parser_loads_no_scorer_dependency() -> None:
    """`harness --help` builds every subcommand's parser; rich prints, nothing else heavy."""
    assert set(_loaded_after("from harness.cli import build_parser\nbuild_parser()")) <= {"rich"}


def test_tokenizer_without_stemming_does_not_import_nltk() -> None:
    code = "from harness.text import ArabicTokenizer\nArabicTokenizer().tokenize('كتاب')"
    assert "nltk" not in _loaded_after(code)


@pytest.mark.parametrize("name", harness.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(harness, name)
    assert value is not None
    assert name in dir(harness)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        harness.no_such_name  # noqa: B018
