"""Execute a chapter notebook in place: a fresh kernel, top to bottom, outputs stored.

Usage: python tools/execute.py [--online] chapters/01_convolution.ipynb [more.ipynb ...]

Without --online, pretrained weights are switched off (CNNKIT_NO_PRETRAINED=1), so the stored
outputs are the offline ones that nbval checks; --online (the publish workflow) lets the chapters
use ImageNet weights where they are cached.

This is what `make execute` runs, so that the stored outputs (the ones the book shows and
nbval checks) are always produced the same way. It prints how long each notebook took and
records it, with the machine it ran on, in chapters/execution_times.json (the instructors' page
reads that file).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TIMEOUT_PER_CELL = 600


def execute(path: Path, write: bool = True) -> float:
    """Run the notebook in a fresh kernel, top to bottom; store its outputs unless write=False."""
    nb = nbformat.read(path, as_version=4)
    # CPU only, as in CI, so that the stored outputs are the ones nbval reproduces.
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # Waiting OpenMP threads sleep rather than spin, so a busy machine slows a chapter fairly.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # numpy's OpenBLAS on one thread, as the Makefile sets (its spinning threads stall on a busy machine).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.pop("MPLBACKEND", None)  # let the kernel use the inline backend
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_PER_CELL,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if write:
        nbformat.write(nb, path)
    return seconds


TIMES = Path(__file__).resolve().parents[1] / "chapters" / "execution_times.json"


def record(path: Path, seconds: float) -> None:
    """Store the notebook's execution time and the machine's description in TIMES."""
    times = json.loads(TIMES.read_text()) if TIMES.is_file() else {}
    times[path.name] = {
        "seconds": round(seconds, 1),
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
    }
    TIMES.write_text(json.dumps(dict(sorted(times.items())), indent=2) + "\n")


def main(argv: list[str]) -> int:
    online = "--online" in argv
    argv = [a for a in argv if a != "--online"]
    if not argv:
        print(__doc__)
        return 2
    if not online:
        os.environ["CNNKIT_NO_PRETRAINED"] = "1"
    for name in argv:
        path = Path(name)
        if not path.is_file():
            print(f"no such notebook: {name}", file=sys.stderr)
            return 2
        seconds = execute(path)
        if path.parent.name == "chapters" and not online:
            record(path, seconds)
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
