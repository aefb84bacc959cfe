"""Does a tokenizer change cost speed? This tree's ROUGE against git revisions', side by side.

Lead-3 of each BBC article is scored against its summary (all four ROUGE types, one process)
and tokenized alone (`sentence_tokens`), by this checkout and by each ``--base`` (a git
revision, exported to a temporary folder; give it more than once). Runs alternate between the
trees in child processes so that all see the same machine load; each child times three passes
in CPU time of its own process (`time.process_time`: on a shared machine, waiting for a core
is not counted), and the best of ``--repeats`` children is kept for each tree.

Run: ``.venv/bin/python benchmarks/tokenizer_versions.py [--base REV ...] [--data F]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared/data/ant_bbc_summaries.jsonl"

CHILD = r"""
import json, sys, time
from harness.scoring.rouge import ROUGE_TYPES, score_batch
from harness.text.arabic import ArabicTokenizer
tok = ArabicTokenizer()
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
preds = ["\n".join(tok.sentences(r["article"])[:3]) for r in rows]
refs = [[r["summary"]] for r in rows]
texts = preds + [r[0] for r in refs]
tokenize = score = 0.0
for _ in range(3):
    start = time.process_time()
    for text in texts:
        tok.sentence_tokens(text)
    tokenize = max(tokenize, len(texts) / (time.process_time() - start))
    start = time.process_time()
    score_batch(preds, refs, tok, ROUGE_TYPES, processes=1)
    score = max(score, len(preds) / (time.process_time() - start))
print(json.dumps({"version": tok.VERSION, "tokenize": tokenize, "score": score}))
"""


def export(revision: str, into: Path) -> None:
    """`git archive` of the revision's harness package into ``into``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "harness"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into, filter="data")


def measure(tree: Path, data: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(data)], env=env, check=True,
                         capture_output=True, text=True, cwd=tree).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", action="append",
                        help="git revision to compare with (repeatable; default HEAD)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not args.data.is_file():
        sys.exit(f"data not found: {args.data}")
    with tempfile.TemporaryDirectory() as tmp:
        trees: list[tuple[str, Path]] = []
        for index, revision in enumerate(args.base or ["HEAD"]):
            export(revision, Path(tmp) / str(index))
            trees.append((revision, Path(tmp) / str(index)))
        trees.append(("this tree", ROOT))
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.repeats):
            for name, tree in trees:
                result = measure(tree, args.data)
                label = f"{name} (tokenizer {result['version']})"
                kept = best.setdefault(label, {"tokenize": 0.0, "score": 0.0})
                for key in ("tokenize", "score"):
                    kept[key] = max(kept[key], result[key])
    print(f"{args.data.name}, best of {args.repeats} x 3 passes, runs alternated, CPU time of "
          "one process each")
    print(f"{'tree':40} {'texts/s tokenized':>18} {'pairs/s scored':>15}")
    for label, figures in best.items():
        print(f"{label:40} {figures['tokenize']:>18,.0f} {figures['score']:>15,.0f}")


if __name__ == "__main__":
    main()
