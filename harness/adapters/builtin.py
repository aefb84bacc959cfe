"""Importing this module registers every built-in adapter."""

from harness.adapters import baselines, replay  # noqa: F401
