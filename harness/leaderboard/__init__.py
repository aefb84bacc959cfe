"""`harness leaderboard`: many models across many tasks, ranked in significance groups.

loading (every run, history, comparable sets) → groups (paired tests against each group's
leader, Holm-corrected) → build (the board) → markdown / export (JSON) / html (static site).
"""
