"""Safe YAML loading that remembers where every value came from.

Task files are data, never code: only YAML's safe constructors run, so a tag such as
`!!python/object` is refused before anything is built. Node positions are kept so that a
validation error can name the line of the offending field. Hostile files are refused with a line
and bounded memory: aliases (a few lines that expand to gigabytes), nesting deeper than
`MAX_DEPTH`, files over `MAX_YAML_BYTES`, lone surrogate escapes, integers too long to convert.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.errors import InputError

MAX_DEPTH = 64  # nesting levels; task files use fewer than 10
MAX_YAML_BYTES = 4 << 20  # a task file or models config is a few KB


def _refuse(problem: str, node: yaml.Node | yaml.Event) -> yaml.MarkedYAMLError:
    mark: Any = node.start_mark
    return yaml.constructor.ConstructorError(None, None, problem, mark)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, aliases, deep nesting and unconvertible scalars."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _refuse("aliases (*name) are refused in task files and models configs: "
                          "write the value out", self.peek_event())
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _refuse(f"nested deeper than {MAX_DEPTH} levels", self.peek_event())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
        value = self.construct_scalar(node)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _refuse("a lone surrogate escape (\\ud800-\\udfff) is not text", node) from None
        return value

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise _refuse("integer too long to convert", node) from None

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


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:str", _UniqueKeyLoader.construct_yaml_str)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _UniqueKeyLoader.construct_yaml_int)


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file safely; return the data and its node tree (for error lines)."""
    raw = read_limited(path, MAX_YAML_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("invalid UTF-8", path=path, line=line) from None
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        error_line: int | None = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in problem:
            problem = "tag refused: task files are data only; " + problem
        raise InputError(f"invalid YAML: {problem}", path=path, line=error_line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
    return data, node


def read_limited(path: Path, limit: int) -> bytes:
    """A file's bytes, or an input error: missing, a folder, a symlink loop, or over `limit`."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if len(raw) > limit:
        raise InputError(f"larger than {limit} bytes: not a task file or config", path=path)
    return raw


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
