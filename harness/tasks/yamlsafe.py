"""Safe YAML loading that remembers where every value came from.

Task files are data, never code: only YAML's safe constructors run, so a tag such as
`!!python/object` is refused before anything is built. Node positions are kept so that a
validation error can name the line of the offending field.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.errors import InputError


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file safely; return the data and its node tree (for error lines)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError("invalid UTF-8", path=path, line=line) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        error_line: int | None = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in problem:
            problem = "tag refused: task files are data only; " + problem
        raise InputError(f"invalid YAML: {problem}", path=path, line=error_line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=path) from None
    return data, node


def line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """Line (1-based) where the field at a pydantic error location is written.

    For a mapping entry that is the line of its key (`max_tokens: many`), which is where a
    reader looks even when the value is a block on the following lines.
    """
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            entry = next(((k, v) for k, v in node.value if k.value == part), None)
            if entry is None:
                return best
            best, node = entry[0].start_mark.line + 1, entry[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return best
            node = node.value[part]
            best = node.start_mark.line + 1
        else:
            return best
    return best


def present_path(data: Any, loc: Sequence[str | int]) -> list[str | int]:
    """The prefix of a pydantic error location that names real keys in the YAML data.

    Pydantic adds union member names (`version.int`) to locations; users never wrote those.
    """
    path: list[str | int] = []
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_list or (isinstance(data, dict) and part in data):
            data = data[part]
        elif isinstance(data, dict):
            path.append(part)  # a missing or unknown key: name it, then stop
            break
        else:
            break
        path.append(part)
    return path
