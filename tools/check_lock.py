"""Prove that requirements.txt resolves on every supported platform and Python, without installing.

Usage: python tools/check_lock.py [--lock requirements.txt] [--markdown]

For each platform and Python below, `uv pip compile LOCK --python-platform P --python-version V`
resolves the lock as pip would on that machine: environment markers are evaluated for the target
(unlike `pip install --dry-run --platform`, which evaluates them against this machine), and a pinned
version with no wheel for the target and no source distribution fails the resolution. A target
passes when uv resolves and every package it resolves is pinned in the lock at the same version (so
the lock is complete there, and nothing floats). It prints one row per target, the number of
packages and how many of them are CUDA packages (nvidia-*, cuda-*, triton), and exits 1 if any
supported target fails.

It needs uv (in the test extra) and the package registry; nothing is downloaded but metadata.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (name in the README, uv's --python-platform, the oldest OS release PyTorch's wheels need)
PLATFORMS = [
    ("Linux x86-64", "x86_64-manylinux_2_28", {}),
    ("Linux aarch64", "aarch64-manylinux_2_28", {}),
    # torch 2.15's macOS wheels are tagged macosx_14_0_arm64: macOS 14 (Sonoma) or newer
    ("macOS arm64", "aarch64-apple-darwin", {"MACOSX_DEPLOYMENT_TARGET": "14.0"}),
    ("macOS x86-64", "x86_64-apple-darwin", {}),
    ("Windows x86-64", "x86_64-pc-windows-msvc", {}),
]
PYTHONS = ["3.11", "3.12", "3.13", "3.14"]

#: Targets with no PyTorch at all, so no lock can serve them: PyTorch's last Intel-Mac wheels are
#: 2.2.2, for Python 3.8 to 3.12. They are expected to fail; if one ever resolves, it is reported.
UNSUPPORTED = {("macOS x86-64", "3.13"), ("macOS x86-64", "3.14")}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", re.M)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, set[str]]:
    """The `name==version` lines of a requirements file (markers ignored), by normalised name.

    A universal lock may pin two versions of a package under different markers (torch on Intel
    Macs, say), so each name maps to the set of its pinned versions.
    """
    found: dict[str, set[str]] = {}
    for name, version in _PIN.findall(text):
        found.setdefault(normalise(name), set()).add(version)
    return found


def is_cuda(name: str) -> bool:
    return name.startswith(("nvidia-", "cuda-")) or name == "triton"


def uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found is None:
        sys.exit("tools/check_lock.py needs uv: `pip install uv` (it is in the test extra)")
    return found


def resolve(lock: Path, platform: str, python: str, env: dict[str, str]) -> tuple[bool, dict[str, set[str]], str]:
    """Resolve the lock for one target: (resolved?, the pins uv chose, uv's error if any)."""
    result = subprocess.run(
        [
            uv(),
            "pip",
            "compile",
            str(lock),
            "--python-platform",
            platform,
            "--python-version",
            python,
            "--no-header",
            "--no-annotate",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    if result.returncode != 0:
        return False, {}, result.stderr.strip()
    return True, pins(result.stdout), ""


def check_target(
    locked: dict[str, set[str]], lock: Path, label: str, platform: str, env: dict[str, str], python: str
) -> dict:
    ok, chosen, error = resolve(lock, platform, python, env)
    drift = sorted(f"{n}=={v}" for n, vs in chosen.items() for v in vs if v not in locked.get(n, ()))
    if ok and drift:
        ok, error = False, "resolved packages not pinned in the lock: " + ", ".join(drift)
    expected = (label, python) not in UNSUPPORTED
    if not expected:
        error = (
            "expected: PyTorch has no wheels here"
            if not ok
            else "resolves, although listed as unsupported: update UNSUPPORTED and the README"
        )
    return {
        "platform": label,
        "uv_platform": platform,
        "python": python,
        "ok": ok,
        "expected": expected,
        "packages": len(chosen),
        "cuda": sum(is_cuda(n) for n in chosen),
        "error": error.splitlines()[-1] if error else "",
    }


def check(lock: Path) -> list[dict]:
    """One row per (platform, Python), in table order; the resolutions run a few at a time."""
    locked = pins(lock.read_text())
    targets = [(label, platform, env, python) for label, platform, env in PLATFORMS for python in PYTHONS]
    with ThreadPoolExecutor(max_workers=5) as pool:
        return list(pool.map(lambda t: check_target(locked, lock, *t), targets))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.txt")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    rows = check(args.lock)
    if args.markdown:
        print("| platform | Python | resolves | packages | of which CUDA |")
        print("|---|---|---|---:|---:|")
    for r in rows:
        status = "yes" if r["ok"] else ("NO" if r["expected"] else "no (no PyTorch)")
        if args.markdown:
            print(f"| {r['platform']} | {r['python']} | {status} | {r['packages']} | {r['cuda']} |")
        else:
            print(
                f"{r['platform']:15} Python {r['python']:5} {status:4} {r['packages']:4} packages"
                f" ({r['cuda']} CUDA)" + (f"  {r['error']}" if r["error"] else "")
            )
    supported = [r for r in rows if r["expected"]]
    failed = [r for r in supported if not r["ok"]]
    print(
        f"{len(supported) - len(failed)} of {len(supported)} supported platform/Python targets resolve "
        f"{args.lock.name}; {len(rows) - len(supported)} targets have no PyTorch."
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
