"""tools/homework.py: a homework notebook holds the exercise and its stub, never the solution,
and grading reads each checker's verdict from the executed notebook."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import homework

STUB = '''def pad2d(x, p):
    """Zero padding."""
    raise NotImplementedError("write this function")

check_pad2d(pad2d)'''
SOLUTION = '''import numpy as np

def pad2d(x, p):
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p), dtype=x.dtype)
    out[p:p + x.shape[0], p:p + x.shape[1]] = x
    return out

check_pad2d(pad2d)'''
WRONG = '''import numpy as np

def pad2d(x, p):
    return np.pad(x, p + 1)

check_pad2d(pad2d)'''


def chapter(tmp_path: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# Padding\n\nText."),
        code("import cnnkit  # set-up"),
        code("from cnnkit.exercises import check_pad2d"),
        md("```{exercise}\n:label: ex-ch3-9\n**Implement it.** Write `pad2d`.\n```"),
        code(STUB),
        md("```{solution-start} ex-ch3-9\n:class: dropdown\n```"),
        code(SOLUTION),
        md("```{solution-end}\n```"),
        md("```{exercise}\n:label: ex-ch3-10\nA question without code.\n```"),
    ]
    path = tmp_path / "03_padding.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_only_exercises_with_a_stub_and_a_checker_are_implement_it(tmp_path):
    found = homework.implement_it_exercises(nbformat.read(chapter(tmp_path), as_version=4))
    assert [(e.label, e.checkers) for e in found] == [("ex-ch3-9", ["check_pad2d"])]


def test_the_homework_has_the_stub_and_not_the_solution(tmp_path):
    hw = homework.make_homework(chapter(tmp_path), ["ex-ch3-9"])
    sources = [c.source for c in hw.cells]
    assert sources[1] == "import cnnkit  # set-up"
    assert "from cnnkit.exercises import check_pad2d" in sources[2]
    assert STUB in sources and SOLUTION not in sources
    assert not any("solution" in s for s in sources)
    assert "## Exercise ex-ch3-9\n\n**Implement it.** Write `pad2d`." in sources  # plain Markdown, no directive
    assert not any("```" in s for s in sources)
    with pytest.raises(SystemExit, match="no implement-it exercise labelled ex-ch3-10"):
        homework.make_homework(chapter(tmp_path), ["ex-ch3-10"])


@pytest.mark.parametrize("body, verdict", [(STUB, "not implemented"), (SOLUTION, "passed"), (WRONG, "failed"),
                                           ("raise ValueError('oops')", "error")])
def test_grading_reads_each_checkers_verdict(tmp_path, body, verdict):
    hw = homework.make_homework(chapter(tmp_path), ["ex-ch3-9"])
    stub = next(c for c in hw.cells if c.metadata.get("homework"))
    stub.source = body
    path = tmp_path / "student.ipynb"
    nbformat.write(hw, path)
    assert homework.grade(path) == {"ex-ch3-9": verdict}


def test_every_chapter_has_at_least_two_implement_it_exercises():
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        found = homework.implement_it_exercises(nbformat.read(path, as_version=4))
        assert len(found) >= 2, f"{path.name}: {len(found)} implement-it exercises"
        for exercise in found:
            assert exercise.checkers, f"{path.name} {exercise.label}: the stub calls no checker"


TRAINING = ROOT / "chapters" / "07_training.ipynb"
TRAINING_EXERCISES = {
    "ex-ch7-1": "check_conv2d",
    "ex-ch7-2": "check_conv2d_backward",
    "ex-ch7-3": "check_numerical_gradient",
    "ex-ch7-4": "check_small_cnn",
}


def solution_cells(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """For each exercise label, the first code cell of its solution that calls a checker."""
    found, label = {}, None
    for cell in notebook.cells:
        start = re.search(r"```\{solution-start\}\s+(\S+)", cell.source) if cell.cell_type == "markdown" else None
        if start:
            label = start.group(1)
        elif cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            label = None
        elif label and cell.cell_type == "code" and homework.CHECK_CALL.search(cell.source) and label not in found:
            found[label] = cell.source
    return found


def test_the_training_chapter_lists_its_four_implement_it_exercises():
    found = homework.implement_it_exercises(nbformat.read(TRAINING, as_version=4))
    assert {e.label: e.checkers for e in found} == {label: [name] for label, name in TRAINING_EXERCISES.items()}
    listing = subprocess.run([sys.executable, str(ROOT / "tools" / "homework.py"), "list", str(TRAINING)],
                             capture_output=True, text=True, check=True).stdout
    assert [line.split()[1:] for line in listing.splitlines()] == [[label, name] for label, name in TRAINING_EXERCISES.items()]


def test_the_training_exercises_state_the_checkers_settings():
    from cnnkit.data import mnist_split
    from cnnkit.exercises import SMALL_CNN_MIN_ACCURACY, SMALL_CNN_TRAINING

    text = next(e.text.source for e in homework.implement_it_exercises(nbformat.read(TRAINING, as_version=4))
                if e.label == "ex-ch7-4")
    split = mnist_split()
    batch = SMALL_CNN_TRAINING["batch_size"]
    steps = SMALL_CNN_TRAINING["epochs"] * -(-len(split.x_train) // batch)
    for fact in (f"{SMALL_CNN_MIN_ACCURACY:.0%}", f"{steps} steps of Adam", f"batches of {batch}",
                 f"{len(split.x_train):,} training digits", f"{len(split.x_test):,} held-out digits"):
        assert fact in text, fact


def test_the_training_exercises_as_homework_grade_their_stubs_and_their_solutions(tmp_path):
    labels = list(TRAINING_EXERCISES)
    solutions = solution_cells(nbformat.read(TRAINING, as_version=4))
    assert sorted(solutions) == labels
    stubs = homework.make_homework(TRAINING, labels)
    nbformat.write(stubs, tmp_path / "stubs.ipynb")
    answered = homework.make_homework(TRAINING, labels)
    for cell in answered.cells:
        if cell.metadata.get("homework"):
            cell.source = solutions[cell.metadata["homework"]["label"]]
    nbformat.write(answered, tmp_path / "solutions.ipynb")
    assert homework.grade(tmp_path / "stubs.ipynb") == dict.fromkeys(labels, "not implemented")
    assert homework.grade(tmp_path / "solutions.ipynb") == dict.fromkeys(labels, "passed")
