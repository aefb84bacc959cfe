"""Where a number came from: harness version, git state, Python and package versions."""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

KEY_PACKAGES = (
    "arabic-eval-harness",
    "datasets",
    "evaluate",
    "rouge-score",
    "openai",
    "tenacity",
    "nltk",
    "regex",
    "numpy",
    "scipy",
    "pydantic",
    "jinja2",
    "pyyaml",
)
REPO_ROOT = Path(__file__).resolve().parents[2]


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def harness_version() -> str:
    return package_version("arabic-eval-harness") or "0+unknown"


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


@lru_cache(maxsize=1)
def git_state() -> dict[str, Any]:
    """Commit of the harness checkout and whether code differs from it (results/ ignored)."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results")
    return {"commit": commit, "dirty": bool(status)}


@lru_cache(maxsize=1)
def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {name: package_version(name) for name in KEY_PACKAGES},
    }
