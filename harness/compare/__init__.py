"""`harness compare`: are several models' runs on the same task comparable, and which is better?

Split by concern: `loading` (finding runs, comparability), `stats` (tables and paired tests),
`plots` (matplotlib → inline SVG), `markdown` and `html` (the two renderings), `command` (CLI).
"""
