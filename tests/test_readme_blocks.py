"""Every shell and Python block in README.md runs as written from a fresh clone, in order (a
block may use files an earlier one made), and writes only where git ignores it.

The clone shares the checkout's committed history, with the working tree's uncommitted and
untracked files copied over (so an edited README is what is tested), and uses the checkout's
virtual environment through a `.venv` link, as after `make evaluate`; `.venv/bin` is first on
PATH, as the README asks. Blocks that must not run carry a marker: see `readme_blocks.py`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from readme_blocks import extract

REPO = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def _fresh_clone(target: Path) -> Path:
    _git(REPO.parent, "clone", "--quiet", "--shared", str(REPO), str(target))
    changed = _git(REPO, "ls-files", "--modified", "--others", "--exclude-standard").splitlines()
    deleted = set(_git(REPO, "ls-files", "--deleted").splitlines())
    for name in changed:
        if name in deleted:
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target / name)
    (target / ".venv").symlink_to(VENV)
    # keep make from reinstalling into the shared environment: the stamp must stay newer
    stamp = VENV / ".installed-stamp"
    if not stamp.exists():
        message = (f"{VENV} was not made by `make` (no .installed-stamp): the README's `make` "
                   "commands would reinstall into it; run the tests with `make test`")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    old = stamp.stat().st_mtime - 60
    os.utime(target / "pyproject.toml", (old, old))
    return target


def _status(clone: Path) -> set[str]:
    return set(_git(clone, "status", "--porcelain", "--untracked-files=all").splitlines())


def test_extractor_reads_markers_fences_and_languages() -> None:
    text = "\n".join([
        "<!-- readme-test: skip: needs a key -->", "```bash", "harness run x", "```",
        "<!-- readme-test: skip-command make test: runs the suite -->", "",
        "  ```sh title=x", "  $ make evaluate", "  make test", "  ```",
        "~~~python", "print(1)", "~~~", "```yaml", "a: 1", "```"])
    first, second, third = extract(text)
    assert first.skip == "needs a key" and first.line == 2
    assert second.skip is None and second.runnable_code() == "make evaluate\n"
    assert third.language == "python" and third.code == "print(1)\n"


def test_a_skip_marker_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        extract("<!-- readme-test: skip -->\n```bash\nls\n```\n")


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs a git checkout")
def test_readme_blocks_run_from_a_fresh_clone(tmp_path: Path) -> None:
    blocks = extract((REPO / "README.md").read_text(encoding="utf-8"))
    runnable = [b for b in blocks if b.skip is None]
    assert len(runnable) >= 6, "the README lost its runnable examples"
    clone = _fresh_clone(tmp_path / "clone")
    before = _status(clone)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_"))}
    env.update(PATH=f"{clone / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               VIRTUAL_ENV=str(clone / ".venv"), PYTHONDONTWRITEBYTECODE="1")
    for block in runnable:
        if block.language == "shell":
            command = ["bash", "-euo", "pipefail", "-c", block.runnable_code()]
        else:
            command = [str(clone / ".venv" / "bin" / "python"), "-c", block.code]
        done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, (
            f"README block at line {block.line} failed ({done.returncode}):\n{block.code}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
    created = sorted(_status(clone) - before)
    assert not created, f"README commands wrote files git does not ignore: {created}"
