"""Errors the CLI turns into exit codes.

Bad input must be reported where it is (file, line, field) so that a user can fix it without
reading our code; `InputError` carries that location and maps to exit status 2.
"""

from __future__ import annotations

from pathlib import Path


class HarnessError(Exception):
    """Base class: a failure the CLI reports without a traceback."""

    exit_code = 1


class InputError(HarnessError):
    """A task, reference, prediction or option is invalid (exit status 2)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f"{': ' if where else ''}field '{self.field}'"
        return f"{where}: {self.message}" if where else self.message


class AdapterError(HarnessError):
    """A model adapter cannot run at all (wrong key, unknown model, bad base URL)."""

    exit_code = 1


class ModelError(HarnessError):
    """One example's model call failed (transport, server, malformed answer) after retries.

    Raised from `Adapter.generate`, it becomes an errored example; any other exception from an
    adapter is a bug and stops the run.
    """


def check_output_file(path: Path | None, option: str) -> None:
    """An output file option must not name a folder: refused before any work is done."""
    if path is not None and path.is_dir():
        raise InputError(f"is a folder: {option} names a file to write", path=path, field=option)
