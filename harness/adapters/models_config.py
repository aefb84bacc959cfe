"""Named models from a config file, resolved together with run-wide options into `ModelSpec`s.

A models config (YAML) names endpoints once so a model's name is enough:

    gpt4o-mini:
      adapter: openai            # default
      model: gpt-4o-mini         # default: the entry's name
      api_key_env: OPENAI_API_KEY
      price: {input: 0.15, output: 0.60}   # USD per 1M tokens
    local-qwen:
      model: qwen2.5-7b-instruct
      base_url: http://127.0.0.1:8000/v1
      price: {input: 0, output: 0}

Precedence, highest first: options in the model spec, run-wide options, the config entry.
Secrets never go in the file: `api_key_env` names the environment variable holding the key.
Plain values in, no argparse: errors name the spec key or the file and field the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.adapters.base import Adapter
from harness.adapters.generation import check_generation, split_generation
from harness.adapters.registry import ModelSpec, available_adapters, parse_model_spec
from harness.errors import InputError


def load_models_config(path: str | Path) -> dict[str, dict[str, Any]]:
    """Entries `{name: {adapter, model, base_url, api_key_env, price, ...options}}`."""
    from harness.tasks.yamlsafe import load_yaml

    data, _ = load_yaml(Path(path))
    if not isinstance(data, Mapping):
        raise InputError("expected a mapping of model names to settings", path=path)
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in data.items():
        if not isinstance(entry, Mapping):
            raise InputError("expected a mapping of settings", path=path, field=str(name))
        if "api_key" in entry:
            raise InputError("never store a key here; name its environment variable with "
                             "api_key_env", path=path, field=f"{name}.api_key")
        entries[str(name)] = dict(entry)
    return entries


def _layer_options(adapter: type[Adapter] | None) -> frozenset[str] | None:
    """The options a model-layer adapter accepts (None: not on the model layer)."""
    from harness.models.adapter import BackendAdapter

    if adapter is not None and issubclass(adapter, BackendAdapter):
        return adapter.accepted_options()
    return None


def resolve_model_specs(
    models: Sequence[str], *, config: Mapping[str, Mapping[str, Any]] | None = None,
    config_path: str | Path | None = None, run_options: Mapping[str, Any] | None = None,
) -> list[ModelSpec]:
    """Parse model specs, expand config names, and give model-layer adapters the run-wide
    options they accept (`base_url`, `rpm`, `cache`...); other adapters get none."""
    config = config or {}
    run = {k: v for k, v in (run_options or {}).items() if v is not None}
    adapters = available_adapters()
    specs = []
    for text in models:
        spec = parse_model_spec(text)
        base: dict[str, Any] = {}
        config_generation: dict[str, Any] = {}
        if spec.name is None and spec.adapter in config:
            entry = dict(config[spec.adapter])
            adapter = str(entry.pop("adapter", "openai"))
            base, generation = split_generation(entry)
            config_generation = check_generation(
                generation, path=config_path,
                names={k: f"{spec.adapter}.{k}" for k in generation})
            if _layer_options(adapters.get(adapter)) is not None:
                base.setdefault("model", spec.adapter)
            spec = ModelSpec(adapter=adapter, name=spec.adapter, options=spec.options,
                             generation=spec.generation)
        accepted = _layer_options(adapters.get(spec.adapter))
        if accepted is not None:
            if spec.name and "model" not in base:
                base["model"] = spec.name  # the raw name: the label is made folder-safe
            options = {**base, **{k: v for k, v in run.items() if k in accepted},
                       **spec.options}
            if not str(options.get("model") or ""):
                raise InputError(f"{spec.adapter} needs a model name: --model "
                                 f"{spec.adapter}:MODEL (or model=MODEL)", field="--model")
        else:
            options = {**base, **spec.options}
        specs.append(ModelSpec(adapter=spec.adapter, name=spec.name, options=options,
                               generation=spec.generation,
                               config_generation=config_generation))
    return specs
