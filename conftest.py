"""Repository-wide pytest hooks.

Under nbval, pretrained weights are switched off (CNNKIT_NO_PRETRAINED=1), as when the stored
outputs were made.

When nbval runs the chapters, pytest sees one test per cell. This hook adds the cells' times up
per notebook and prints them at the end of the run, so that a chapter that grows slow is seen.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

#: A chapter must execute within this many seconds on the 2-core machine.
NOTEBOOK_BUDGET_S = 90.0

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
        flag = "  OVER BUDGET" if seconds > NOTEBOOK_BUDGET_S else ""
        terminalreporter.write_line(f"{seconds:7.1f}  {path}{flag}")
    total = sum(_durations.values())
    terminalreporter.write_line(f"{total:7.1f}  total ({len(_durations)} notebooks)")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    over = [p for p, s in _durations.items() if s > NOTEBOOK_BUDGET_S]
    if over and exitstatus == 0:
        session.exitstatus = 1
        print(f"\nnotebooks over the {NOTEBOOK_BUDGET_S:.0f} s budget: {', '.join(over)}")
