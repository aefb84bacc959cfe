"""Adapter registry: built-ins, code registrations, and the `harness.adapters` entry points.

A model is named on the command line as `ADAPTER[:NAME][,key=value...]`, for example
`lead,k=1`, `openai:gpt-4o-mini,temperature=0.2` or `replay:my-model,path=preds.jsonl`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.adapters.base import Adapter
from harness.adapters.generation import check_generation, split_generation
from harness.errors import InputError
from harness.models.backend import Backend

ENTRY_POINT_GROUP = "harness.adapters"
_REGISTRY: dict[str, type[Adapter]] = {}
A = TypeVar("A", bound=type[Adapter] | type[Backend])


def _as_adapter(cls: object) -> type[Adapter] | None:
    """An Adapter class as is; a Backend class wrapped in the model layer; else None."""
    if isinstance(cls, type) and issubclass(cls, Adapter):
        return cls
    if isinstance(cls, type) and issubclass(cls, Backend):
        from harness.models.adapter import BackendAdapter  # tenacity: only when one is used

        return BackendAdapter.wrapping(cls)
    return None


def _register(name: str, cls: type[Adapter]) -> None:
    cls.registered_name = name  # type: ignore[attr-defined]
    _REGISTRY[name] = cls


def register_adapter(name: str) -> Callable[[A], A]:
    """Class decorator: make an adapter, or a backend on the model layer, `--model NAME`."""

    def decorate(cls: A) -> A:
        adapter = _as_adapter(cls)
        if adapter is None:
            raise TypeError(f"{cls!r} is neither an Adapter nor a Backend subclass")
        _register(name, adapter)
        return cls

    return decorate


def _load_entry_points() -> None:
    from importlib.metadata import entry_points  # ~20 ms: only when an adapter is looked up

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in _REGISTRY:
            adapter = _as_adapter(ep.load())
            if adapter is None:
                raise InputError(
                    f"entry point {ep.value!r} is not an Adapter or Backend subclass",
                    field=f"{ENTRY_POINT_GROUP}:{ep.name}",
                )
            _register(ep.name, adapter)


def available_adapters() -> dict[str, type[Adapter]]:
    import harness.adapters.builtin  # noqa: F401 - registers the built-in adapters

    _load_entry_points()
    return dict(sorted(_REGISTRY.items()))


@dataclass(frozen=True)
class ModelSpec:
    """A model to run: its adapter, name and options, and the generation overrides that were
    split off them (the runner's, not the adapter's: see `harness.adapters.generation`)."""

    adapter: str
    name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    generation: dict[str, Any] = field(default_factory=dict)  # from the spec: wins over flags
    config_generation: dict[str, Any] = field(default_factory=dict)  # models config: loses

    @property
    def label(self) -> str:
        """Folder-safe label: the name if given, else adapter plus options (`lead-k1`)."""
        if self.name:
            base = self.name
        else:
            given = {**self.options, **self.generation}
            base = "-".join([self.adapter, *(f"{k}{v}" for k, v in sorted(given.items()))])
        return re.sub(r"[^A-Za-z0-9_.=-]+", "_", base).strip("._") or self.adapter


def _coerce(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(value.lower(), value)


def parse_model_spec(text: str) -> ModelSpec:
    """Parse `ADAPTER[:NAME][,key=value...]`; bad syntax is a usage error."""
    head, *pairs = text.split(",")
    adapter, _, name = head.partition(":")
    if not adapter:
        raise InputError(
            f"bad model spec {text!r}: expected ADAPTER[:NAME][,key=value...]", field="--model"
        )
    options: dict[str, Any] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise InputError(
                f"bad model option {pair!r} in {text!r}: expected key=value", field="--model"
            )
        options[key.strip()] = _coerce(value.strip())
    options, generation = split_generation(options)
    return ModelSpec(adapter=adapter, name=name or None, options=options,
                     generation=check_generation(generation))


def create_adapter(spec: ModelSpec | str) -> Adapter:
    """Instantiate an adapter by spec; unknown adapters and options are usage errors.

    The spec's generation overrides are not the adapter's: pass them to `run_task` as
    `generation=effective_generation(task settings, spec.generation)`.
    """
    spec = parse_model_spec(spec) if isinstance(spec, str) else spec
    adapters = available_adapters()
    if spec.adapter not in adapters:
        raise InputError(
            f"unknown adapter {spec.adapter!r} (available: {', '.join(adapters)})", field="--model"
        )
    try:
        adapter = adapters[spec.adapter](name=spec.label, **spec.options)
    except TypeError as exc:
        raise InputError(f"adapter {spec.adapter!r}: {exc}", field="--model") from None
    return adapter
