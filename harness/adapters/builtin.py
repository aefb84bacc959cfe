"""Importing this module registers every built-in adapter."""

from harness.adapters import baselines, openai_compat, replay  # noqa: F401
