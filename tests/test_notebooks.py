"""Static checks of the chapter notebooks (nbval re-runs them; these check how they are stored).

- every chapter in _toc.yml exists, and every notebook in chapters/ is in _toc.yml;
- the first code cell is the pinned Colab set-up cell (tools/pin.py), tagged hide-cell;
- the notebook was executed top to bottom in one fresh kernel (execution counts 1, 2, 3, ...);
- no stored output is an error, a traceback or a machine path;
- every cell that stores an image has alt text in its metadata.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import pin


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_toc_and_chapters_agree():
    listed = {f for f in toc_files() if f.startswith("chapters/")}
    on_disk = {f"chapters/{p.stem}" for p in CHAPTERS}
    assert listed == on_disk, f"in _toc.yml only: {listed - on_disk}; on disk only: {on_disk - listed}"
    for f in toc_files():
        assert any((ROOT / f"{f}{ext}").is_file() for ext in (".md", ".ipynb")), f"{f} in _toc.yml does not exist"


def test_chapters_are_numbered_in_reading_order():
    numbers = [int(p.name[:2]) for p in CHAPTERS]
    assert numbers == list(range(1, len(CHAPTERS) + 1))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_setup_cell_is_pinned(path):
    assert pin.check(path) is None, pin.check(path)


def test_pin_uses_the_package_version_and_config_url():
    import cnnkit

    header = pin.expected_header()
    assert f'@v{cnnkit.__version__}"' in header
    assert pin.repository_url() in header
    assert 'if "google.colab" in sys.modules:' in header


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_executed_top_to_bottom_without_errors(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: run `python tools/execute.py {path.name}`"
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: code cell {i} stores an error"
            text = json.dumps(out)
            if "image/png" not in out.get("data", {}):
                assert "Traceback" not in text, f"{path.name}: code cell {i} shows a traceback"
            assert not re.search(r"/(root|work|tmp|home)/", text), f"{path.name}: code cell {i} shows a machine path"
            if out.get("name") == "stderr":
                assert "Warning" not in text, f"{path.name}: code cell {i} prints a warning: {text[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_has_alt_text(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            assert alt.strip(), f"{path.name}: cell {i} draws a figure without alt text (metadata mystnb.image.alt)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_notebook_is_small(path):
    assert path.stat().st_size < 8e6, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"


#: Colour maps that are not perceptually uniform, or that lose their order in greyscale or for
#: colour-blind readers.
UNREADABLE_CMAPS = ("jet", "rainbow", "hsv", "gist_rainbow", "nipy_spectral", "gist_ncar", "prism", "flag")


@pytest.mark.parametrize("path", CHAPTERS + sorted((ROOT / "cnnkit").rglob("*.py")), ids=lambda p: p.name)
def test_no_unreadable_colour_maps(path):
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    else:
        text = path.read_text()
    for name in UNREADABLE_CMAPS:
        assert not re.search(rf"""cmap\s*=\s*["']{name}["']|cm\.{name}\b""", text), (
            f"{path.name} uses the {name} colour map"
        )


@pytest.mark.parametrize("path", sorted((ROOT / "guide").glob("*.ipynb")), ids=lambda p: p.name)
def test_guide_setup_cell_is_pinned(path):
    """The instructors' page has a Colab launch button too, so `make pin` keeps its cell current."""
    assert path in pin.chapters()
    assert pin.check(path) is None, pin.check(path)
