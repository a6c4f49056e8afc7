"""Copy the book's files (those git tracks, as they are in the working tree) into a folder.

Usage: python tools/copy_book.py DEST

`make book-online` executes chapters with ImageNet weights in such a copy, so that the committed
notebooks (the offline version that nbval checks) are never rewritten.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_book(dest: Path) -> int:
    files = subprocess.check_output(["git", "-C", str(ROOT), "ls-files", "-z"], text=True).split("\0")
    count = 0
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    dest = Path(argv[0]).resolve()
    if dest == ROOT or (ROOT in dest.parents and dest.parts[len(ROOT.parts)] != "_build"):
        print(f"refusing to copy the book into {dest}: use a folder under _build/ or outside the repository")
        return 2
    print(f"copied {copy_book(dest)} files into {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
