"""Metric families: one module each (`rouge`, `stance`, `diagnostics`), registered by name.

Third-party families come in through `register_metric` or the `harness.metrics` entry points.
"""
