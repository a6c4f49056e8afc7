"""Repository-wide pytest hooks.

Under nbval, pretrained weights are switched off (CNNKIT_NO_PRETRAINED=1), as when the stored
outputs were made.

When nbval runs the chapters, pytest sees one test per cell. This hook adds the cells' times up
per notebook, prints them at the end of the run against the budget and writes them to
_build/notebook_times.json, so that a chapter that grows slow is seen. A time never fails the run:
on a shared machine the same chapter has taken 19 s and 119 s. `make timings` reports them alone.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

#: A chapter should execute within this many seconds on a quiet 2-core machine (reported, not tested).
NOTEBOOK_BUDGET_S = 90.0
TIMES_FILE = Path(__file__).parent / "_build" / "notebook_times.json"

_durations: dict[str, float] = defaultdict(float)


def pytest_configure(config):
    # nbval compares with the stored outputs, which are the offline ones (tools/execute.py): the
    # kernels it starts must not pick up ImageNet weights that happen to be cached on this machine.
    if getattr(config.option, "nbval", False):
        os.environ["CNNKIT_NO_PRETRAINED"] = "1"


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _durations[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _durations:
        return
    terminalreporter.write_sep("=", "notebook execution times (seconds)")
    for path, seconds in sorted(_durations.items()):
        flag = f"  over the {NOTEBOOK_BUDGET_S:.0f} s budget (a report, not a failure)" if seconds > NOTEBOOK_BUDGET_S else ""
        terminalreporter.write_line(f"{seconds:7.1f}  {path}{flag}")
    total = sum(_durations.values())
    terminalreporter.write_line(f"{total:7.1f}  total ({len(_durations)} notebooks)")
    TIMES_FILE.parent.mkdir(exist_ok=True)
    TIMES_FILE.write_text(json.dumps({p: round(s, 1) for p, s in sorted(_durations.items())}, indent=2) + "\n")
