"""Time cnnkit's numpy operations against torch.nn.functional, in one process.

Run with ``make benchmark`` (or ``python benchmarks/ops.py [--markdown] [--repeats N]``).
The backward passes (``*_backward``) are timed against torch's backward alone: autograd through
a graph of ``F.conv2d``, ``F.max_pool2d`` or ``F.avg_pool2d`` built once, with the same
``grad_output`` (torch's max pooling kept the indices of its forward; cnnkit finds them again).
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
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit.ops import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv2d_loop,
    conv_transpose2d,
    max_pool2d,
    max_pool2d_backward,
)


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


def torch_backward(
    forward: Callable[..., torch.Tensor], grad_output: np.ndarray, *arrays: np.ndarray
) -> Callable[[], object]:
    """torch's backward pass alone: the graph of ``forward(*arrays)`` is built once and kept
    (``retain_graph``); each call runs autograd through it, for the gradient of every array."""
    leaves = [torch.from_numpy(a).requires_grad_() for a in arrays]
    y = forward(*leaves)
    gy = torch.from_numpy(grad_output)
    return lambda: torch.autograd.grad(y, leaves, gy, retain_graph=True)


def cases(rng: np.random.Generator):
    """(name, cnnkit call, torch call, target ratio) for each benchmark."""
    t = torch.from_numpy
    x = rng.standard_normal((8, 3, 224, 224)).astype(np.float32)
    tx = t(x)
    for k in (3, 5):
        w = rng.standard_normal((16, 3, k, k)).astype(np.float32)
        tw = t(w)
        yield (
            f"conv2d (8,3,224,224), 16 filters {k}x{k}, valid",
            lambda x=x, w=w: conv2d(x, w),
            lambda x=tx, w=tw: F.conv2d(x, w),
            3.0,
        )
    xp = rng.standard_normal((8, 64, 224, 224)).astype(np.float32)
    txp = t(xp)
    yield (
        "max_pool2d (8,64,224,224), 2x2 stride 2",
        lambda: max_pool2d(xp, 2, 2),
        lambda x=txp: F.max_pool2d(x, 2, 2),
        1.0,
    )
    xt = rng.standard_normal((4, 128, 10, 8)).astype(np.float32)
    wt = rng.standard_normal((128, 32, 3, 3)).astype(np.float32)
    txt, twt = t(xt), t(wt)
    yield (
        "conv_transpose2d (4,128,10,8), 32 filters 3x3, stride 2",
        lambda: conv_transpose2d(xt, wt, stride=2),
        lambda x=txt, w=twt: F.conv_transpose2d(x, w, stride=2),
        6.0,
    )
    xs = rng.standard_normal((1, 1, 5, 5)).astype(np.float32)
    ws = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    txs, tws = t(xs), t(ws)
    yield (
        "conv2d_loop (1,1,5,5), 3x3 (target: under 1 ms)",
        lambda: conv2d_loop(xs, ws),
        lambda x=txs, w=tws: F.conv2d(x, w),
        None,
    )
    # backward passes: cnnkit's gradients against torch's autograd, the same grad_output
    for shape, c_out, kwargs, label in (
        ((8, 3, 224, 224), 16, dict(), "valid"),
        ((8, 64, 56, 56), 64, dict(padding=1), "padding 1"),
        ((8, 64, 56, 56), 128, dict(stride=2, padding=1), "stride 2, padding 1"),
    ):
        xb = rng.standard_normal(shape).astype(np.float32)
        wb = rng.standard_normal((c_out, shape[1], 3, 3)).astype(np.float32)
        bb = np.zeros(c_out, dtype=np.float32)
        gy = rng.standard_normal(conv2d(xb, wb, **kwargs).shape).astype(np.float32)
        yield (
            f"conv2d_backward ({','.join(map(str, shape))}), {c_out} filters 3x3, {label}",
            lambda xb=xb, wb=wb, gy=gy, kwargs=kwargs: conv2d_backward(xb, wb, gy, **kwargs),
            torch_backward(lambda x, w, b, kwargs=kwargs: F.conv2d(x, w, b, **kwargs), gy, xb, wb, bb),
            3.0,
        )
    xm = rng.standard_normal((8, 64, 112, 112)).astype(np.float32)
    for k, s, p in ((2, 2, 0), (3, 2, 1)):
        gy = rng.standard_normal(max_pool2d(xm, k, s, p).shape).astype(np.float32)
        yield (
            f"max_pool2d_backward (8,64,112,112), {k}x{k} stride {s}" + (f" padding {p}" if p else ""),
            lambda k=k, s=s, p=p, gy=gy: max_pool2d_backward(xm, gy, k, s, p),
            torch_backward(lambda x, k=k, s=s, p=p: F.max_pool2d(x, k, s, p), gy, xm),
            4.0,
        )
    gy = rng.standard_normal(avg_pool2d(xm, 2, 2).shape).astype(np.float32)
    yield (
        "avg_pool2d_backward (8,64,112,112), 2x2 stride 2",
        lambda: avg_pool2d_backward(xm, gy, 2, 2),
        torch_backward(lambda x: F.avg_pool2d(x, 2, 2), gy, xm),
        4.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    parser.add_argument("--repeats", type=int, default=7, help="runs per measurement (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: as numpy's BLAS)")
    args = parser.parse_args()

    # The 1-minute load average: above the number of CPUs, other processes take cores away from
    # both libraries, and a ratio measures the machine's load more than the code.
    load_before = os.getloadavg()[0]
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
        f"{platform.processor() or platform.machine()} | {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after | numpy {np.__version__} "
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
