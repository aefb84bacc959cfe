"""The judge's parts: rubric prompts (versioned data), answer parsing, calls, agreement."""
