"""How a labelled task's answer is asked for and read: free text, structured JSON, or scored.

- ``free_text``: the model writes an answer; the label parser reads it (or finds it invalid).
- ``structured``: the request asks for a JSON object ``{"label": ...}`` whose value is one of
  the labels' verbalizations (OpenAI ``response_format`` JSON schema, which vLLM and llama.cpp's
  server accept too); the answer is parsed strictly.
- ``loglikelihood``: nothing is generated; each label's verbalization is scored as a
  continuation of the prompt (`harness.models.loglikelihood`) and the argmax is the answer,
  so no answer is invalid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

AnswerMode = Literal["free_text", "structured", "loglikelihood"]
ANSWER_MODES: tuple[str, ...] = ("free_text", "structured", "loglikelihood")
FREE_TEXT: AnswerMode = "free_text"
STRUCTURED: AnswerMode = "structured"
LOGLIKELIHOOD: AnswerMode = "loglikelihood"
ANSWER_KEY = "label"  # the JSON object's one key in structured mode


SCHEMA_STYLES = ("json_schema", "json_object")


def response_format(choices: Mapping[str, str], style: str = "json_schema") -> dict[str, Any]:
    """The `response_format` asking for ``{"label": <one verbalization>}``: OpenAI's
    ``json_schema`` (OpenAI, vLLM, llama.cpp's C++ server), or ``json_object`` with a
    ``schema`` (llama-cpp-python's server, which rejects ``json_schema``)."""
    schema = {"type": "object", "additionalProperties": False, "required": [ANSWER_KEY],
              "properties": {ANSWER_KEY: {"type": "string", "enum": list(choices.values())}}}
    if style == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema",
            "json_schema": {"name": "answer", "strict": True, "schema": schema}}


def parse_structured(text: str, choices: Mapping[str, str]) -> str | None:
    """The label of a structured answer, or None unless it is exactly the object asked for."""
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return None
    if not isinstance(value, dict) or set(value) != {ANSWER_KEY}:
        return None
    matches = [label for label, verbal in choices.items() if verbal == value[ANSWER_KEY]]
    return matches[0] if len(matches) == 1 else None
