"""Reasoning models' thinking text, kept apart from the answer.

Some servers return the thinking in a field (`reasoning_content`, `reasoning`), others inline
as ``<think>…</think>`` before the answer (some chat templates emit the opening tag in the
prompt, so the text starts inside the block and only ``</think>`` appears). The answer that is
parsed and scored is the text outside every block; the thinking goes into the record.
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"<think>(.*?)</think>", re.DOTALL | re.IGNORECASE)
_OPEN = re.compile(r"<think>", re.IGNORECASE)
_CLOSE = re.compile(r"</think>", re.IGNORECASE)


def split_reasoning(text: str) -> tuple[str, str | None]:
    """(answer, thinking) of a model's text; thinking None when there is none.

    Closed blocks are removed; text before a lone ``</think>`` is thinking; an unclosed
    ``<think>`` (the answer was cut off while thinking) makes the rest thinking, not answer.
    """
    parts: list[str] = []
    close = list(_CLOSE.finditer(text))
    if close and not _OPEN.search(text[: close[0].start()]):
        parts.append(text[: close[0].start()])
        text = text[close[0].end() :]
    parts.extend(m.group(1) for m in _BLOCK.finditer(text))
    text = _BLOCK.sub("", text)
    opened = _OPEN.search(text)
    if opened:
        parts.append(text[opened.end() :])
        text = text[: opened.start()]
    if not parts:
        return text, None
    return text.strip(), "\n\n".join(p.strip() for p in parts)


def join_reasoning(*parts: str | None) -> str | None:
    """Thinking from several places (a field and inline blocks), None when all are empty."""
    kept = [p for p in parts if p]
    return "\n\n".join(kept) if kept else None
