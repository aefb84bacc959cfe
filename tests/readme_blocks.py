"""Extract README.md's shell and Python blocks for `test_readme_blocks.py`.

Marker convention (an HTML comment, invisible on GitHub, on the line(s) right above a fence):

    <!-- readme-test: skip: REASON -->                 the block is not run (a synopsis with
                                                       placeholders, needs an API key, ...)
    <!-- readme-test: skip-command PREFIX: REASON -->  lines starting with PREFIX are not run

A reason is required. Fences may be indented (inside lists) and use ``` or ~~~; the language
is the info string's first word: bash / sh / shell / console (`$ ` prompts are stripped) run
in bash, python / py / python3 in Python; every other block (yaml, toml, text) is not run.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

SHELL = {"bash", "sh", "shell", "console", "zsh"}
PYTHON = {"python", "py", "python3"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
MARKER = re.compile(r"^\s*<!--\s*readme-test:\s*(?P<what>skip-command|skip)\b\s*(?P<rest>.*?)"
                    r"\s*-->\s*$")


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    language: str  # "shell" or "python"
    code: str
    skip: str | None = None  # the reason it is not run
    skip_commands: list[str] = field(default_factory=list)

    def runnable_code(self) -> str:
        if self.language != "shell":
            return self.code
        lines = []
        for raw in self.code.splitlines():
            line = raw[2:] if raw.startswith("$ ") else raw
            if not any(line.strip().startswith(prefix) for prefix in self.skip_commands):
                lines.append(line)
        return "\n".join(lines) + "\n"


def _marker(lines: list[str], at: int) -> tuple[str | None, list[str]]:
    """Markers on the lines right above line index `at` (blank lines between are allowed)."""
    skip, commands = None, []
    index = at - 1
    while index >= 0 and (not lines[index].strip() or MARKER.match(lines[index])):
        found = MARKER.match(lines[index])
        if found:
            rest = found.group("rest")
            if found.group("what") == "skip":
                reason = rest.lstrip(":—- ").strip()
                if not reason:
                    raise ValueError(f"README line {index + 1}: a skip marker needs a reason")
                skip = reason
            else:
                prefix, _, reason = rest.partition(":")
                if not prefix.strip() or not reason.strip():
                    raise ValueError(f"README line {index + 1}: skip-command PREFIX: REASON")
                commands.append(prefix.strip())
        index -= 1
    return skip, commands


def extract(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opened = FENCE.match(lines[index])
        if not opened:
            index += 1
            continue
        fence, indent = opened.group("fence"), opened.group("indent")
        words = opened.group("info").strip().split()
        language = words[0].lower().strip("{}.") if words else ""
        end = index + 1
        while end < len(lines):
            closing = FENCE.match(lines[end])
            if closing and closing.group("fence")[0] == fence[0] and \
                    len(closing.group("fence")) >= len(fence) and not closing.group("info").strip():
                break
            end += 1
        body = textwrap.dedent("\n".join(
            line[len(indent):] if line.startswith(indent) else line
            for line in lines[index + 1:end]))
        kind = "shell" if language in SHELL else "python" if language in PYTHON else None
        if kind is not None:
            skip, commands = _marker(lines, index)
            blocks.append(Block(index + 1, kind, body + "\n", skip, commands))
        index = end + 1
    return blocks
