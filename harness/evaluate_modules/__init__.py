"""The harness's Arabic metrics as `evaluate` modules, loadable offline from the installed package.

`evaluate.load(module_path("arabic_rouge"))` gives the same numbers as a harness report because
the modules call the harness's own scoring functions; no Hub access is involved.
"""

from __future__ import annotations

from pathlib import Path

MODULES: tuple[str, ...] = ("arabic_rouge", "arabic_stance")


def module_path(name: str) -> str:
    """Folder of the named metric module, as `evaluate.load` expects a local module path."""
    if name not in MODULES:
        raise ValueError(f"unknown evaluate module {name!r} (known: {', '.join(MODULES)})")
    return str(Path(__file__).resolve().parent / name)


__all__ = ["MODULES", "module_path"]
