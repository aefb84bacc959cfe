"""How long do `harness --help`, `harness tasks` and `import harness` take, beside `python -c pass`?

Each command runs ``--runs`` times in a fresh interpreter, taking turns so that load from others
hits every command alike; the median wall time is printed, with the interpreter's own start
(`python -c pass`) as the floor that no import work can go below.

Run: ``.venv/bin/python benchmarks/startup.py [--runs 11]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import harness'": [sys.executable, "-c", "import harness"],
    "harness --help": [str(BIN / "harness"), "--help"],
    "harness tasks": [str(BIN / "harness"), "tasks"],
}


def main(argv: Sequence[str] | None = None) -> int:
    """Time every command ``--runs`` times and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}; median of {args.runs} runs (min–max)\n")
    print(f"{'command':<30}{'median':>9}  range")
    for name, seconds in times.items():
        print(f"{name:<30}{statistics.median(seconds):>8.3f}s  "
              f"{min(seconds):.3f}–{max(seconds):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
