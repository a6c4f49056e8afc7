"""Time cnnkit's numpy operations against torch.nn.functional, in one process.

Run with ``make benchmark`` (or ``python benchmarks/ops.py [--markdown] [--repeats N]``).
Both libraries get the same float32 inputs; torch uses as many threads as numpy's BLAS
(``--threads`` overrides it), and the header reports both. Each entry is the median
of several runs after a warm-up (the ratio of the best runs is printed too: on a busy machine
the median can catch a process waiting for a core). Timings depend on the machine and on what
else it is doing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit.ops import conv2d, conv2d_loop, conv_transpose2d, max_pool2d


def timings(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median, best) wall time in seconds over ``repeats`` runs, after a warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def blas_threads() -> int | None:
    """How many threads numpy's BLAS uses, if it can be found out (threadpoolctl, or asking the
    OpenBLAS that numpy's wheels bundle); None otherwise."""
    try:
        from threadpoolctl import threadpool_info  # optional

        counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
        if counts:
            return int(counts[0])
    except ImportError:
        pass
    import ctypes
    import glob

    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(lib, symbol):
                return int(getattr(lib, symbol)())
    return None


def cases(rng: np.random.Generator):
    """(name, cnnkit call, torch call, target ratio) for each benchmark."""
    t = torch.from_numpy
    x = rng.standard_normal((8, 3, 224, 224)).astype(np.float32)
    for k in (3, 5):
        w = rng.standard_normal((16, 3, k, k)).astype(np.float32)
        yield (
            f"conv2d (8,3,224,224), 16 filters {k}x{k}, valid",
            lambda x=x, w=w: conv2d(x, w),
            lambda x=t(x), w=t(w): F.conv2d(x, w),
            3.0,
        )
    xp = rng.standard_normal((8, 64, 224, 224)).astype(np.float32)
    yield (
        "max_pool2d (8,64,224,224), 2x2 stride 2",
        lambda: max_pool2d(xp, 2, 2),
        lambda x=t(xp): F.max_pool2d(x, 2, 2),
        1.0,
    )
    xt = rng.standard_normal((4, 128, 10, 8)).astype(np.float32)
    wt = rng.standard_normal((128, 32, 3, 3)).astype(np.float32)
    yield (
        "conv_transpose2d (4,128,10,8), 32 filters 3x3, stride 2",
        lambda: conv_transpose2d(xt, wt, stride=2),
        lambda x=t(xt), w=t(wt): F.conv_transpose2d(x, w, stride=2),
        6.0,
    )
    xs = rng.standard_normal((1, 1, 5, 5)).astype(np.float32)
    ws = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    yield (
        "conv2d_loop (1,1,5,5), 3x3 (target: under 1 ms)",
        lambda: conv2d_loop(xs, ws),
        lambda x=t(xs), w=t(ws): F.conv2d(x, w),
        None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    parser.add_argument("--repeats", type=int, default=7, help="runs per measurement (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: as numpy's BLAS)")
    args = parser.parse_args()

    numpy_threads = blas_threads()
    torch.set_num_threads(args.threads or numpy_threads or os.cpu_count() or 1)
    rng = np.random.default_rng(0)
    rows = []
    for name, ours, theirs, target in cases(rng):
        (a, a_best), (b, b_best) = timings(ours, args.repeats), timings(theirs, args.repeats)
        ratio = a / b
        if target is None:
            verdict = "ok" if a < 1e-3 else "SLOW"
            target_text = "< 1 ms"
        else:
            verdict = "ok" if ratio <= target else "SLOW"
            target_text = f"<= {target:g}x"
        rows.append((name, a * 1e3, b * 1e3, ratio, a_best / b_best, target_text, verdict))

    header = (
        f"{datetime.datetime.now().isoformat(timespec='seconds')} | {platform.platform()} | "
        f"{platform.processor() or platform.machine()} | {os.cpu_count()} CPUs | numpy {np.__version__} "
        f"(BLAS threads: {numpy_threads or 'unknown'}) | torch {torch.__version__} ({torch.get_num_threads()} threads) | "
        f"median of {args.repeats} runs, float32"
    )
    if args.markdown:
        print(header)
        print()
        print("| operation | cnnkit (ms) | torch (ms) | ratio | best-run ratio | target | |")
        print("|---|---:|---:|---:|---:|---|---|")
        for name, a, b, ratio, best, target_text, verdict in rows:
            print(f"| {name} | {a:.3f} | {b:.3f} | {ratio:.2f}x | {best:.2f}x | {target_text} | {verdict} |")
        return
    print(header.replace(" | ", "\n"))
    print()
    width = max(len(r[0]) for r in rows)
    print(f"{'operation':<{width}}  {'cnnkit ms':>10}  {'torch ms':>10}  {'ratio':>7}  {'best':>7}  target")
    for name, a, b, ratio, best, target_text, verdict in rows:
        print(f"{name:<{width}}  {a:10.3f}  {b:10.3f}  {ratio:6.2f}x  {best:6.2f}x  {target_text} {verdict}")


if __name__ == "__main__":
    main()
