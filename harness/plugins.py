"""Named components (metrics, task kinds) registered in code or through entry points.

Built-ins register themselves when their module is imported; third-party packages add theirs
through an entry-point group, loaded the first time a name is looked up. One class serves every
component type so that lookup, errors and entry-point handling behave the same everywhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from harness.errors import InputError

T = TypeVar("T", bound=type)


class Registry(Generic[T]):
    """Classes by name: `register` in code, `group` entry points, `builtins` modules."""

    def __init__(self, what: str, base: type, group: str, builtins: Iterable[str]) -> None:
        self.what, self.base, self.group = what, base, group
        self._builtins = tuple(builtins)
        self._classes: dict[str, T] = {}
        self._builtins_loaded = False
        self._scanned = False

    def register(self, name: str) -> Callable[[T], T]:
        """Class decorator: make a component available under `name`."""

        def decorate(cls: T) -> T:
            if not (isinstance(cls, type) and issubclass(cls, self.base)):
                raise TypeError(f"{cls!r} is not a {self.base.__name__} subclass")
            cls.name = name  # type: ignore[attr-defined]
            self._classes[name] = cls
            return cls

        return decorate

    def _load(self, *, scan: bool = True) -> None:
        """Import the built-ins once; scan the entry points (cheap) unless told not to."""
        if not self._builtins_loaded:
            self._builtins_loaded = True
            for module in self._builtins:
                importlib.import_module(module)
        if not scan:
            return
        for ep in entry_points(group=self.group):
            if ep.name in self._classes:
                continue
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, self.base)):
                raise InputError(f"entry point {ep.value!r} is not a {self.base.__name__}",
                                 field=f"{self.group}:{ep.name}")
            self.register(ep.name)(cls)  # type: ignore[arg-type]  # checked just above

    def available(self) -> dict[str, T]:
        self._load()
        return dict(sorted(self._classes.items()))

    def get(self, name: str, *, field: str | None = None) -> T:
        """The class registered as `name`; an unknown name is an input error listing the known."""
        self._load(scan=False)
        if name not in self._classes:
            self._load()  # installed since the last look?
        if name not in self._classes:
            known = ", ".join(sorted(self._classes)) or "none"
            raise InputError(f"unknown {self.what} {name!r} (known: {known})", field=field)
        return self._classes[name]

    def __contains__(self, name: object) -> bool:
        """Whether `name` is known: built-ins, code registrations, entry points scanned once."""
        if not self._scanned:
            self._load()
            self._scanned = True
        return name in self._classes
