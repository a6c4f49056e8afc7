"""Check, as far as can be done without Colab, that a chapter runs the way Colab runs it.

Usage: python tools/colab_check.py [--python 3.12] [--keep] [chapters/05_pooling.ipynb ...]
(`make colab-check` runs it on chapter 5, pooling, which also reads the MNIST digits shipped in the
package, and on the instructors' page, guide/instructors.ipynb, whose launch buttons open it in Colab
too: alone in its folder it finds no chapters/ or tools/ beside it, and must run all the same.)

Colab gives a Python with the newest numpy, torch and matplotlib already installed, and the first
cell of every chapter installs cnnkit from the public repository with
`%pip install "cnnkit @ git+<repository>@v<version>"`. This script does the same here:

1. a fresh virtual environment (uv, the given Python; Colab's is 3.12) with the newest releases of
   cnnkit's dependencies, ipykernel and nbclient: not the lock, only pyproject.toml's loose bounds;
2. cnnkit installed from a `git+file://` URL of this repository, at the tag the Colab cells pin if it
   exists here, else at HEAD's commit (so: what is committed, not the working tree);
3. each chapter copied to an empty folder (so no `cnnkit/` folder is on the path) and executed in
   that environment's kernel, top to bottom. Success means every cell ran; outputs are not compared,
   because newer packages may print other digits.

What it cannot check: that the public repository and the tag exist and are reachable, and Colab's
own preinstalled versions. The release workflow (.github/workflows/release.yml) creates the tag.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from pin import expected_header, version

RUNNER = """
import sys, time, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
print(f"{time.perf_counter() - start:.1f}")
"""


def uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found is None:
        sys.exit("tools/colab_check.py needs uv: `pip install uv` (it is in the test extra)")
    return found


def find_python(wanted: str) -> str:
    """A Python interpreter for `wanted`, a path or a version such as 3.12."""
    if Path(wanted).is_file():
        return wanted
    for candidate in sorted(Path("/root/.pyenv/versions").glob(f"{wanted}*/bin/python3")) + [
        Path(p) for p in filter(None, [shutil.which(f"python{wanted}")])
    ]:
        if subprocess.run([str(candidate), "--version"], capture_output=True).returncode == 0:
            return str(candidate)
    return wanted  # let uv look for it


def colab_requirement() -> str:
    """The requirement the Colab cell installs, pointed at this repository instead of GitHub."""
    match = re.search(r'%pip install --quiet "cnnkit @ git\+(\S+)@(\S+)"', expected_header())
    assert match, "the Colab set-up cell has no pinned `%pip install` line"
    tag = match.group(2)
    have_tag = (
        subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"], capture_output=True
        ).returncode
        == 0
    )
    ref = tag if have_tag else subprocess.check_output(["git", "-C", str(ROOT), "rev-parse", "HEAD"], text=True).strip()
    print(
        f"the Colab cell installs cnnkit @ {match.group(1)}@{tag}; here: git+file://{ROOT}@{ref}"
        + ("" if have_tag else f" (no tag {tag} in this clone; HEAD instead)")
    )
    return f"cnnkit @ git+file://{ROOT}@{ref}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        default=[ROOT / "chapters" / "05_pooling.ipynb", ROOT / "guide" / "instructors.ipynb"],
    )
    parser.add_argument("--python", default="3.12", help="interpreter or version (Colab's is 3.12)")
    parser.add_argument("--keep", action="store_true", help="keep the environment and print its path")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="colab-check-"))
    venv = work / "venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["CNNKIT_NO_PRETRAINED"] = "1"
    try:
        subprocess.run([uv(), "venv", "--quiet", "--python", find_python(args.python), str(venv)], check=True, env=env)
        # The newest releases within cnnkit's own bounds, as Colab has them (Colab also ships Keras 3,
        # which the chapters' Keras cells run on the torch backend); then cnnkit from git.
        newest = [
            "numpy",
            "scipy",
            "matplotlib",
            "scikit-image",
            "torch",
            "torchvision",
            "keras",
            "ipykernel",
            "nbclient",
        ]
        subprocess.run(
            [uv(), "pip", "install", "--quiet", "--python", str(python), "--upgrade", *newest], check=True, env=env
        )
        subprocess.run(
            [uv(), "pip", "install", "--quiet", "--python", str(python), colab_requirement()], check=True, env=env
        )
        versions = subprocess.check_output(
            [
                str(python),
                "-c",
                "import sys, cnnkit, numpy, torch, matplotlib; "
                "print(f'Python {sys.version.split()[0]}, cnnkit {cnnkit.__version__} from {cnnkit.__file__}, '"
                "f'numpy {numpy.__version__}, torch {torch.__version__}, matplotlib {matplotlib.__version__}')",
            ],
            text=True,
            env=env,
            cwd=work,
        ).strip()
        print(versions)
        assert str(ROOT) not in versions.split(" from ")[1], "cnnkit was imported from the repository, not the install"
        failures = 0
        for notebook in args.notebooks:
            folder = work / notebook.stem
            folder.mkdir()
            copy = folder / notebook.name
            shutil.copy(notebook, copy)
            start = time.perf_counter()
            done = subprocess.run(
                [str(python), "-c", RUNNER, str(copy), str(folder)], capture_output=True, text=True, env=env, cwd=folder
            )
            if done.returncode == 0:
                print(f"{notebook.name}: ran to the end in {done.stdout.strip()} s")
            else:
                failures += 1
                print(f"{notebook.name}: FAILED after {time.perf_counter() - start:.0f} s\n{done.stderr[-3000:]}")
        summary = {"cnnkit": version(), "environment": versions, "notebooks": len(args.notebooks), "failed": failures}
        print(json.dumps(summary))
        return 1 if failures else 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
