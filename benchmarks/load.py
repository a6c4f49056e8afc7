"""Time a chapter quiet and beside CPU-bound processes: does it slow down in proportion?

Usage: python benchmarks/load.py [--busy 0 2] [--repeat 1] chapters/08_architectures.ipynb

For each number of busy processes, that many Python processes spin (`while True: pass`, one core
each) while the notebook executes in a fresh kernel (nbclient, outputs discarded); the wall time
is printed. On a 2-core machine with two busy processes, a chapter that shares the CPU fairly takes
about twice as long as when the machine is quiet; one whose threads spin-wait for each other can
take many times longer. Nothing here is a test: timings on a shared machine are only reported.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def spin() -> None:  # pragma: no cover - runs in a child process until terminated
    while True:
        pass


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument(
        "--busy", type=int, nargs="+", default=[0, 2], help="numbers of competing CPU-bound processes to try"
    )
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ.setdefault("CNNKIT_NO_PRETRAINED", "1")
    print(
        f"{args.notebook} on {os.cpu_count()} CPUs; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"
    )
    for busy in args.busy:
        workers = [mp.Process(target=spin, daemon=True) for _ in range(busy)]
        for w in workers:
            w.start()
        try:
            for _ in range(args.repeat):
                print(f"  {busy} busy processes: {execute(args.notebook):6.1f} s", flush=True)
        finally:
            for w in workers:
                w.terminate()
                w.join()


if __name__ == "__main__":
    main()
