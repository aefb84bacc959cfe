"""`harness check` (the CI gate) and `harness baseline` (commit reports to gate against).

`check` holds the decision logic, `summary` and `junit` render its outcomes, `baseline` copies
reports into the committed layout, `command` wires them to the CLI.
"""
