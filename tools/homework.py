"""Set implement-it exercises as homework, and grade the notebooks that come back.

Make a homework notebook from a chapter's exercises (the exercise text and the stub cell that
calls the checker, without the solutions)::

    python tools/homework.py make chapters/05_pooling.ipynb ex-ch5-4 ex-ch5-5 -o pooling_homework.ipynb

The notebook starts with the chapter's set-up cell (so it installs cnnkit under Colab, pinned
to the book's release), imports numpy, torch and the checkers, then holds one exercise after
another. Students write the function bodies and run the cells; each cell ends with the
checker, so they see at once whether their function agrees with the book's.

Grade the notebooks that come back: each is executed in a fresh kernel (errors do not stop
it), and every checker's verdict is read from the output of its cell::

    python tools/homework.py grade submissions/*.ipynb

prints one line per notebook, ``alice.ipynb: 2/2 passed (ex-ch5-4 passed, ex-ch5-5 passed)``,
and exits with 0. Nothing here needs the network.

``python tools/homework.py list chapters/*.ipynb`` lists the implement-it exercises of the book.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

CHECK_CALL = re.compile(r"^(check_\w+)\(", re.M)
LABEL = re.compile(r"^:label:\s*(\S+)", re.M)


@dataclass
class Exercise:
    """An implement-it exercise: its label, its text (markdown) and its stub cell."""

    label: str
    text: nbformat.NotebookNode
    stub: nbformat.NotebookNode

    @property
    def checkers(self) -> list[str]:
        return CHECK_CALL.findall(self.stub.source)


def implement_it_exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """The exercises whose first code cell is a stub (``raise NotImplementedError``) ending with a checker."""
    found = []
    cells = notebook.cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown" or "```{exercise}" not in cell.source:
            continue
        label = LABEL.search(cell.source)
        following = cells[i + 1] if i + 1 < len(cells) else None
        if (label and following is not None and following.cell_type == "code"
                and "NotImplementedError" in following.source and CHECK_CALL.search(following.source)):
            found.append(Exercise(label.group(1), cell, following))
    return found


def plain_markdown(exercise: Exercise) -> str:
    """The exercise's text as plain Markdown (a heading and the text), not the book's directive."""
    body = exercise.text.source.split("```{exercise}", 1)[1].rsplit("```", 1)[0]
    body = LABEL.sub("", body).strip()
    return f"## Exercise {exercise.label}\n\n{body}"


def make_homework(chapter: Path, labels: list[str]) -> nbformat.NotebookNode:
    """A notebook with the chapter's set-up cell, the imports and the chosen exercises without solutions."""
    notebook = nbformat.read(chapter, as_version=4)
    exercises = {e.label: e for e in implement_it_exercises(notebook)}
    unknown = [label for label in labels if label not in exercises]
    if unknown:
        raise SystemExit(f"{chapter}: no implement-it exercise labelled {', '.join(unknown)}; "
                         f"this chapter has: {', '.join(exercises) or 'none'}")
    chosen = [exercises[label] for label in labels]
    title = next((c.source.splitlines()[0].lstrip("# ") for c in notebook.cells if c.cell_type == "markdown"), chapter.stem)
    setup = next(c for c in notebook.cells if c.cell_type == "code")
    checkers = sorted({name for e in chosen for name in e.checkers})
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# Homework: {title}\n\nWrite the body of each function below and run its cell: the checker "
            "at the end of the cell compares your function with the book's on fixed and random inputs "
            "and shows the first input where they disagree. Hand in this notebook with every cell run."),
        nbformat.v4.new_code_cell(setup.source),
        nbformat.v4.new_code_cell("import numpy as np\nimport torch\n\nfrom cnnkit.exercises import "
                                  + ", ".join(checkers)),
    ]
    for exercise in chosen:
        text = nbformat.v4.new_markdown_cell(plain_markdown(exercise))
        stub = nbformat.v4.new_code_cell(exercise.stub.source)
        stub.metadata["homework"] = {"label": exercise.label}
        cells += [text, stub]
    homework = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)
    for i, cell in enumerate(homework.cells):
        cell.id = f"homework-{i}"
    return homework


def verdicts(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """For each homework cell of an executed notebook: 'passed', 'failed', 'not implemented' or 'error'."""
    result = {}
    for cell in notebook.cells:
        label = cell.get("metadata", {}).get("homework", {}).get("label")
        if cell.cell_type != "code" or label is None:
            continue
        text = ""
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = "error"
                break
            text += str(output.get("data", {}).get("text/plain", "")) + output.get("text", "")
        if text == "error":
            result[label] = "error"
        elif text.lstrip().startswith("passed"):
            result[label] = "passed"
        elif "not implemented" in text:
            result[label] = "not implemented"
        else:
            result[label] = "failed"
    return result


def grade(path: Path, timeout: int = 600) -> dict[str, str]:
    """Execute a submitted notebook in a fresh kernel, errors allowed, and return its verdicts."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    return verdicts(notebook)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="a homework notebook from a chapter's exercises")
    make.add_argument("chapter", type=Path)
    make.add_argument("labels", nargs="+", help="exercise labels, e.g. ex-ch5-4")
    make.add_argument("-o", "--output", type=Path, required=True)
    grade_p = sub.add_parser("grade", help="execute submitted notebooks and print each checker's verdict")
    grade_p.add_argument("notebooks", nargs="+", type=Path)
    list_p = sub.add_parser("list", help="list the implement-it exercises of chapters")
    list_p.add_argument("chapters", nargs="+", type=Path)
    args = parser.parse_args(argv)

    if args.command == "make":
        nbformat.write(make_homework(args.chapter, args.labels), args.output)
        print(f"wrote {args.output} with {', '.join(args.labels)}")
    elif args.command == "grade":
        for path in args.notebooks:
            result = grade(path)
            passed = sum(v == "passed" for v in result.values())
            details = ", ".join(f"{label} {verdict}" for label, verdict in result.items())
            print(f"{path.name}: {passed}/{len(result)} passed ({details})")
    else:
        for path in args.chapters:
            for e in implement_it_exercises(nbformat.read(path, as_version=4)):
                print(f"{path.name:<36} {e.label:<12} {', '.join(e.checkers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
