"""`harness meta-eval`: which metric notices a controlled error in a reference summary."""
