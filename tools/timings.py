"""Execute every chapter in a fresh kernel and report its time against the budget.

Usage: python tools/timings.py chapters/*.ipynb guide/*.ipynb     (what `make timings` runs)

The notebooks are executed as `make execute` does (offline, CPU, fixed seeds), but their outputs
are discarded. This is a report, never a test: it exits 0 whatever the times, because the same
chapter has taken 19 s on a quiet machine and 119 s beside two busy processes. It exits 1 only if a
notebook fails to run. The budget (conftest.NOTEBOOK_BUDGET_S) is for a quiet 2-core machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from execute import execute

from conftest import NOTEBOOK_BUDGET_S


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    os.environ["CNNKIT_NO_PRETRAINED"] = "1"
    print(
        f"budget: {NOTEBOOK_BUDGET_S:.0f} s per notebook on a quiet 2-core machine; this one has {os.cpu_count()} CPUs"
    )
    total = 0.0
    for name in argv:
        seconds = execute(Path(name), write=False)
        total += seconds
        verdict = "within budget" if seconds <= NOTEBOOK_BUDGET_S else "OVER BUDGET"
        print(f"{seconds:7.1f} s  {verdict:13}  {name}", flush=True)
    print(f"{total:7.1f} s  total ({len(argv)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
