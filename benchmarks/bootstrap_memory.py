"""Peak memory of a bootstrap CI: resample blocks (now) beside one resamples × rows array (before).

For 10^4, 10^5 and 10^6 rows, each way computes a mean CI (as ROUGE does) and the stance CIs
(one bincount per block) with 1,000 resamples; every measurement runs in a fresh interpreter,
which reports its peak RSS (`ru_maxrss`), its RSS before the bootstrap (imports and data) and
the seconds taken. The old way is the pre-block code, kept verbatim below; it runs under an
address-space cap (`--cap-gb`) so that it cannot take a shared machine's memory: where it needs
more, the row says so. Where both ways finish, their intervals must be equal bit for bit.

Run: ``.venv/bin/python benchmarks/bootstrap_memory.py [--sizes 10000,100000,1000000]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

LABELS = ("favor", "against", "none")
RESAMPLES = 1000


def _old_indices(n: int, config: Any) -> Any:
    import numpy as np

    rng = np.random.default_rng(config.seed)
    return rng.integers(0, n, size=(config.resamples, n), dtype=np.int64)


def _old_mean_ci(values: Any, config: Any) -> tuple[float, float]:
    from harness.scoring.bootstrap import percentile_interval

    means = values[_old_indices(values.size, config)].mean(axis=1)
    return percentile_interval(means, config.confidence)


def _old_stance_ci(gold: list[str], predicted: list[str], config: Any) -> dict[str, Any]:
    import numpy as np

    from harness.scoring.bootstrap import percentile_interval
    from harness.scoring.stance import CI_METRICS, _encode, _metrics_from_counts

    gold_codes, pred_codes = _encode(gold, predicted, LABELS)
    k = len(LABELS)
    per_table = k * (k + 1)
    cells = gold_codes * (k + 1) + pred_codes
    idx = _old_indices(gold_codes.size, config)
    offsets = np.arange(config.resamples, dtype=np.int64)[:, None] * per_table
    flat = np.bincount((cells[idx] + offsets).ravel(), minlength=config.resamples * per_table)
    m = _metrics_from_counts(flat.reshape(config.resamples, k, k + 1), LABELS)
    return {name: percentile_interval(m[name], config.confidence) for name in CI_METRICS}


def child(way: str, workload: str, n: int, cap_gb: float) -> None:
    """One measurement; prints a JSON line (the parent reads it)."""
    import numpy as np

    from harness.scoring.bootstrap import BootstrapConfig, mean_ci
    from harness.scoring.stance import stance_ci

    config = BootstrapConfig(resamples=RESAMPLES, seed=12345)
    rng = np.random.default_rng(0)
    if workload == "mean":
        data: Any = rng.random(n)
    else:
        data = ([LABELS[i] for i in rng.integers(0, 3, n)],
                [LABELS[i] for i in rng.integers(0, 3, n)])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if way == "old":
        cap = int(cap_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    start = time.perf_counter()
    try:
        if workload == "mean":
            ci: Any = (mean_ci if way == "new" else _old_mean_ci)(data, config)
        elif way == "new":
            ci = stance_ci(*data, LABELS, config)
        else:
            ci = _old_stance_ci(*data, config)
        error = None
    except MemoryError:
        ci, error = None, f"MemoryError under the {cap_gb:g} GB cap"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mb": peak / 1024, "before_mb": before / 1024, "seconds": seconds,
                      "ci": repr(ci), "error": error}))


def measure(way: str, workload: str, n: int, cap_gb: float) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", way, workload, str(n),
                          "--cap-gb", str(cap_gb)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}"}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _cell(result: dict[str, Any]) -> str:
    if result.get("error"):
        return f"{result['error']:>38}"
    return (f"{result['peak_mb']:8.0f} MB peak ({result['before_mb']:4.0f} before) "
            f"{result['seconds']:6.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--cap-gb", type=float, default=4.0,
                        help="address-space cap for the old way (default 4)")
    parser.add_argument("--child", nargs=3, metavar=("WAY", "WORKLOAD", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]), args.cap_gb)
        return 0
    print(f"bootstrap of {RESAMPLES} resamples; peak RSS of a fresh interpreter per cell "
          f"(old way capped at {args.cap_gb:g} GB of address space)")
    print(f"{'rows':>9} {'CI':>6} | {'blocks (now)':^38} | {'one array (before)':^38} | same CI")
    for n in (int(s) for s in args.sizes.split(",")):
        for workload in ("mean", "stance"):
            new = measure("new", workload, n, args.cap_gb)
            old = measure("old", workload, n, args.cap_gb)
            same = ("-" if old.get("error") or new.get("error")
                    else "yes" if new["ci"] == old["ci"] else "NO")
            print(f"{n:>9} {workload:>6} | {_cell(new)} | {_cell(old)} | {same}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
