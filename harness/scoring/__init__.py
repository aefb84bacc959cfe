"""Scoring: metrics, seeded bootstrap confidence intervals and paired significance tests.

Modules are imported directly (``harness.scoring.stance`` etc.); nothing is re-exported here so
that importing one scorer never pulls in the dependencies of another (ROUGE needs no numpy;
scipy loads only when a significance test runs, nltk only when a task stems).
"""
