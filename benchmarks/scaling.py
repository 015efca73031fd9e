"""The scaling run of issue 15, section 4: the three tables a user's waiting time grows with, in one go.

1. analysis seconds per track for 30 s, 5 min and 20 min files (``benchmarks/analyze.py --lengths``);
2. radio first-track and next-track times (and ``similar``) at 10k, 100k and 300k tracks
   (``benchmarks/radio_start.py --scale``);
3. pretraining time against the number of rows: MSD fragment, Last.fm 2k and a synthetic 10x Last.fm,
   ``implicit`` and Spark (``benchmarks/pretrain_scaling.py``).

Each part is its own script (run one alone to study it); this one runs them in turn as separate
processes, so that no part's imports, caches or threads colour the next, and prints their tables.
Figures are wall-clock on whatever else the machine does; no test asserts them.

Usage: ``.venv/bin/python benchmarks/scaling.py [--parts analysis,radio,pretrain] [--quick]``
(``--quick``: smaller sizes, for a smoke run of the whole thing).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

PARTS = {
    "analysis": (
        ["analyze.py", "--lengths", "30", "300", "1200", "--per-length", "8"],
        ["analyze.py", "--lengths", "30", "300", "--per-length", "2"],
    ),
    "radio": (
        ["radio_start.py", "--scale", "10000,100000,300000"],
        ["radio_start.py", "--scale", "10000", "--repeat", "1"],
    ),
    "pretrain": (
        ["pretrain_scaling.py"],
        ["pretrain_scaling.py", "--datasets", "msd-fragment", "--engines", "implicit"],
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated subset of " + ", ".join(PARTS)
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args(argv)
    wanted = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)} (choose from {', '.join(PARTS)})")
    failed = []
    for name in wanted:
        script, *rest = PARTS[name][1 if args.quick else 0]
        command = [sys.executable, str(HERE / script), *rest]
        print(f"\n## {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command)
        print(f"({name}: {time.perf_counter() - start:.0f} s, exit {code})", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
