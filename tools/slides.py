"""Build one reveal.js slide deck per chapter from the chapter notebooks, offline.

Usage: python tools/slides.py [--book DIR] [--out DIR] [chapters/05_pooling.ipynb ...]
(`make slides` runs it on every chapter of _toc.yml, into _build/slides/.)

The chapters carry no slide metadata: this script derives it when it builds, from a copy of each
notebook, so that the decks show the same tested outputs as the book and nothing in the chapters
needs editing. The rules:

- a `#` or `##` heading starts a slide, a `###` heading a sub-slide (reveal.js's vertical slides);
  the chapter's `#` heading becomes a title slide;
- under a heading, the slide shows the first sentence of the prose that follows, every display
  equation, every table and list (list items cut to their first sentence), and the figures;
  the full prose goes into the speaker notes (press `s` in the deck);
- a figure keeps its alt text and caption (from the cell's `mystnb` metadata); when a slide is
  full (a figure already, or many blocks), the next figure or block starts a sub-slide that
  repeats the section's title;
- code is hidden, and text outputs with it, except in the sections that the instructors' page
  (guide/instructors.ipynb) names in its "run live" column: there every code cell (also one the
  book folds away) is shown with its outputs, on a sub-slide of its own, so the instructor can
  run it in front of the class;
- exercises become one slide that lists them (their first sentence), and solutions are left out;
- MyST is turned into plain Markdown: `{glue:text}` roles become the values the chapter stored
  (myst-nb's glue outputs, formatted as myst-nb does), `{cite:p}` and `{cite:t}` become author and
  year from references.bib, `{ref}` and `{doc}` become their text or the title they point to,
  `literalinclude` a line naming the source, an admonition a quotation with its title.

The decks are written with nbconvert's SlidesExporter (what `jupyter nbconvert --to slides` runs)
and a template that loads nothing from the network: reveal.js (vendored in tools/revealjs) and
MathJax (_static/mathjax) are copied next to the decks, and the decks refer to them by relative paths.
A section named live on the instructors' page that no chapter has is an error. When the HTML book
has been built (BOOK/_build/html), the decks are also copied into its slides/ folder, where the
instructors' page links them.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})\s*(\{([\w:-]+)\})?\s*(.*)$")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
SLIDE_CAPACITY = 8  # a rough measure of what fits on a 1100x720 slide (see weight())

# The Font Awesome icons of matplotlib's animation buttons come from a CDN stylesheet, which a deck
# must not load; these characters stand in for them.
ANIMATION_ICONS = {
    "fa-minus": "−",
    "fa-plus": "+",
    "fa-fast-backward": "|◀",
    "fa-step-backward": "◀|",
    "fa-play fa-flip-horizontal": "◀",
    "fa-pause": "||",
    "fa-play": "▶",
    "fa-step-forward": "|▶",
    "fa-fast-forward": "▶|",
}


# --- what the book knows: chapters, live sections, glued values, references, labels ------------


def toc_chapters(book: Path) -> list[tuple[int | None, Path]]:
    """(chapter number or None, notebook path) for every chapter notebook in _toc.yml, in order."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    found, number = [], 0
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            path = book / (chapter["file"] + ".ipynb")
            if not chapter["file"].startswith("chapters/") or not path.is_file():
                continue
            if part.get("numbered"):
                number += 1
            found.append((number if part.get("numbered") else None, path))
    return found


def live_sections(book: Path) -> dict[str, list[str]]:
    """The sections the instructors' page names to run live: chapter file stem -> section titles.

    Read from the page's table whose header has a column "run live": the first column links the
    chapter with {doc}, the live column names sections in italics, exactly as their headings read.
    """
    page = nbformat.read(book / "guide" / "instructors.ipynb", as_version=4)
    live: dict[str, list[str]] = {}
    for cell in page.cells:
        if cell.cell_type != "markdown":
            continue
        rows = [r for r in cell.source.splitlines() if r.startswith("|")]
        if not rows:
            continue
        header = [c.strip().lower() for c in rows[0].strip("|").split("|")]
        column = next((i for i, c in enumerate(header) if "run live" in c), None)
        if column is None:
            continue
        for row in rows[2:]:
            cells = [c.strip() for c in row.strip().strip("|").split("|")]
            target = re.search(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`", cells[0])
            if target and column < len(cells):
                stem = Path(target.group(1)).name
                live[stem] = re.findall(r"(?<![*\w])\*([^*]+)\*(?![*\w])", cells[column])
    return live


def glue_values(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """name -> the text/plain that myst-nb's glue stored in the notebook's outputs."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if not scrapbook:
                continue
            prefix = scrapbook.get("mime_prefix", "")
            text = output.get("data", {}).get(prefix + "text/plain")
            if text is not None:
                values[scrapbook["name"]] = text if isinstance(text, str) else "".join(text)
    return values


def format_glue(text: str, spec: str) -> str:
    """A glued value as the book shows it: myst-nb's own formatting of text/plain with a format spec."""
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(text, spec)


def references(book: Path) -> dict[str, tuple[str, str]]:
    """BibTeX key -> (authors as cited, year), e.g. ("Krizhevsky et al.", "2012")."""
    import pybtex.database

    found = {}
    for bibfile in yaml.safe_load((book / "_config.yml").read_text()).get("bibtex_bibfiles", []):
        for key, entry in pybtex.database.parse_file(str(book / bibfile)).entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [" ".join(p.last_names) or " ".join(p.first_names) for p in people]
            names = [re.sub(r"[{}]", "", n) for n in names]
            if not names:
                authors = re.sub(r"[{}]", "", entry.fields.get("organization", entry.fields.get("title", key)))
            elif len(names) == 1:
                authors = names[0]
            elif len(names) == 2:
                authors = f"{names[0]} and {names[1]}"
            else:
                authors = f"{names[0]} et al."
            found[key] = (authors, entry.fields.get("year", "n.d."))
    return found


def heading_titles(book: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(label -> title of the heading it stands before, document name -> its first heading)."""
    labels, docs = {}, {}
    sources = [(p, nbformat.read(p, as_version=4).cells) for p in sorted((book / "chapters").glob("*.ipynb"))]
    sources += [(p, [nbformat.v4.new_markdown_cell(p.read_text())]) for p in sorted(book.glob("*.md"))]
    for path, cells in sources:
        for cell in cells:
            if cell.cell_type != "markdown":
                continue
            lines = cell.source.splitlines()
            for i, line in enumerate(lines):
                heading = HEADING.match(line)
                if heading and path.stem not in docs:
                    docs[path.stem] = strip_markup(heading.group(2))
                label = re.match(r"^\(([\w-]+)\)=\s*$", line)
                if label:
                    after = next((HEADING.match(x) for x in lines[i + 1 :] if x.strip()), None)
                    if after:
                        labels[label.group(1)] = strip_markup(after.group(2))
    return labels, docs


def strip_markup(text: str) -> str:
    return re.sub(r"[`*]", "", text).strip()


@dataclass
class Book:
    """What the conversion of one chapter needs to know about the whole book."""

    root: Path
    refs: dict[str, tuple[str, str]]
    labels: dict[str, str]
    docs: dict[str, str]
    live: dict[str, list[str]]
    title: str

    @classmethod
    def load(cls, root: Path) -> Book:
        labels, docs = heading_titles(root)
        title = yaml.safe_load((root / "_config.yml").read_text()).get("title", "")
        return cls(root, references(root), labels, docs, live_sections(root), title)


# --- MyST to plain Markdown ---------------------------------------------------------------------


def myst_roles(text: str, book: Book, glue: dict[str, str]) -> str:
    """Replace MyST roles by what they show in the book."""

    def role(match: re.Match) -> str:
        name, content = match.group(1), match.group(2)
        explicit = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content, re.S)
        if name in ("glue", "glue:text", "glue:"):
            key, _, spec = content.partition(":")
            key = key.split("::")[-1]
            if key not in glue:
                raise KeyError(f"{{glue:text}}`{content}`: no value glued under {key!r}")
            return format_glue(glue[key], spec)
        if name in ("cite:p", "cite:t", "cite", "cite:ps", "cite:ts"):
            cited = [book.refs.get(k.strip(), (k.strip(), "")) for k in content.split(",")]
            if name.startswith("cite:t"):
                return "; ".join(f"{a} ({y})" for a, y in cited)
            return "(" + "; ".join(f"{a}, {y}" for a, y in cited) + ")"
        if explicit:
            return explicit.group(1)
        if name == "ref":
            return book.labels.get(content, content)
        if name == "doc":
            return book.docs.get(Path(content).name, content)
        if name in ("math", "eq"):
            return f"${content}$"
        return content

    return re.sub(r"\{([\w:-]+)\}`([^`]*)`", role, text)


def myst_directives(text: str, book: Book) -> str:
    """Turn MyST directives into plain Markdown; drop target labels such as `(sec-x)=`."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"^\([\w-]+\)=\s*$", line):
            i += 1
            continue
        fence = FENCE.match(line)
        if not fence or not fence.group(4):
            out.append(line)
            i += 1
            continue
        indent, marker, name, argument = fence.group(1), fence.group(2), fence.group(4), fence.group(5).strip()
        body, i = [], i + 1
        while i < len(lines) and not re.match(rf"^\s*{re.escape(marker[0])}{{{len(marker)},}}\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        options = dict(re.findall(r"^\s*:([\w-]+):\s*(.*)$", "\n".join(body), re.M))
        content = [b for b in body if not re.match(r"^\s*:[\w-]+:", b)]
        out += directive(name, argument, options, content, indent)
    return "\n".join(out)


def directive(name: str, argument: str, options: dict, content: list[str], indent: str) -> list[str]:
    if name == "literalinclude":
        what = options.get("pyobject")
        source = argument.replace("../", "")
        return [f"{indent}*Source: `{source}`" + (f", `{what}`*" if what else "*")]
    if name in ("math",):
        return [f"{indent}$$", *content, f"{indent}$$"]
    if name in ("code", "code-block", "code-cell"):
        return [f"{indent}```{argument}", *content, f"{indent}```"]
    if name in ("figure", "image"):
        alt = options.get("alt", argument)
        caption = " ".join(c.strip() for c in content if c.strip())
        return [f"{indent}![{alt}]({argument})", "", caption]
    if name in ("tableofcontents", "bibliography", "glossary", "toctree"):
        return []
    title = argument or name.capitalize()
    quoted = [f"{indent}> **{title}**", f"{indent}>"]
    quoted += [f"{indent}> {c}" if c.strip() else f"{indent}>" for c in content]
    return quoted


def blocks(markdown: str) -> list[tuple[str, str]]:
    """Split Markdown into (kind, text) blocks: heading, math, list, table, code, quote, prose."""
    found: list[tuple[str, str]] = []
    lines, i = markdown.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if HEADING.match(line):
            found.append(("heading", line))
            i += 1
            continue
        if line.strip().startswith("$$") or line.strip().startswith("\\begin{"):
            end = "$$" if line.strip().startswith("$$") else "\\end{"
            chunk = [line]
            if not (end == "$$" and line.strip().count("$$") >= 2 and len(line.strip()) > 2):
                i += 1
                while i < len(lines) and end not in lines[i]:
                    chunk.append(lines[i])
                    i += 1
                if i < len(lines):
                    chunk.append(lines[i])
            found.append(("math", "\n".join(chunk)))
            i += 1
            continue
        if line.lstrip().startswith("```"):
            chunk = [line]
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith("```"):
                chunk.append(lines[i])
                i += 1
            chunk.append(lines[i] if i < len(lines) else "```")
            found.append(("code", "\n".join(chunk)))
            i += 1
            continue
        chunk = []
        while (
            i < len(lines)
            and lines[i].strip()
            and not HEADING.match(lines[i])
            and not (chunk and lines[i].strip().startswith("$$"))
        ):
            chunk.append(lines[i])
            i += 1
        first = chunk[0].lstrip()
        if first.startswith("|"):
            kind = "table"
        elif re.match(r"([-*+]|\d+\.)\s", first):
            kind = "list"
        elif first.startswith(">"):
            kind = "quote"
        else:
            kind = "prose"
        found.append((kind, "\n".join(chunk)))
    return found


def first_sentence(text: str) -> str:
    """The text up to its first full stop that ends a sentence (not inside maths or code)."""
    flat = " ".join(text.split())
    protected = re.sub(r"\$[^$]*\$|`[^`]*`|\([^()]*\)", lambda m: "x" * len(m.group(0)), flat)
    match = re.search(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bet al)(?<!\bcf)[.!?:](?=\s+[A-Z*(`$])", protected)
    return flat[: match.end()] if match else flat


def list_items_cut(text: str) -> str:
    """A Markdown list whose items are cut to their first sentence."""
    items, current = [], []
    for line in text.splitlines():
        if re.match(r"\s{0,1}([-*+]|\d+\.)\s", line):
            if current:
                items.append(current)
            current = [line]
        else:
            current.append(line)
    if current:
        items.append(current)
    out = []
    for item in items:
        marker = re.match(r"\s*([-*+]|\d+\.)\s", item[0]).group(0)
        out.append(marker + first_sentence(" ".join(item)[len(marker) :]))
    return "\n".join(out)


# --- the deck ----------------------------------------------------------------------------------


@dataclass
class Deck:
    """The cells of a deck being assembled, with how full the current slide is."""

    cells: list = field(default_factory=list)
    load: float = 0
    figures: int = 0
    section: str = ""

    def start(self, kind: str, source: str, title: str | None = None) -> None:
        self.cells.append(md(source, kind))
        self.load, self.figures = 1, 0
        if title is not None:
            self.section = title

    def add(self, cell, weight: float, figure: bool = False) -> None:
        """Put a cell on the current slide, or on a continuation sub-slide when it is full."""
        if self.cells and (self.load + weight > SLIDE_CAPACITY or (figure and self.figures)):
            self.cells.append(md(f"### {self.section}", "subslide"))
            self.load, self.figures = 1, 0
        cell.metadata["slideshow"] = {"slide_type": "-"}
        self.cells.append(cell)
        self.load += weight
        self.figures += figure

    def notes(self, text: str) -> None:
        if text.strip():
            self.cells.append(md(text, "notes"))


def md(source: str, slide_type: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def weight(kind: str, text: str) -> float:
    lines = text.count("\n") + 1
    return {"math": 1 + lines / 4, "table": 1 + lines / 3, "list": 1 + lines / 3}.get(kind, 1 + len(text) / 300)


def markdown_to_html(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def figure_output(output, alt: str, caption_html: str) -> nbformat.NotebookNode:
    """An image output as an HTML figure with its alt text and caption."""
    data = output["data"]
    mime = next(m for m in IMAGE_MIMES if m in data)
    payload = data[mime] if isinstance(data[mime], str) else "".join(data[mime])
    if mime == "image/svg+xml":
        payload = base64.b64encode(payload.encode()).decode()
    image = f'<img src="data:{mime};base64,{payload.strip()}" alt="{html.escape(alt, quote=True)}">'
    caption = f"<figcaption>{caption_html}</figcaption>" if caption_html else ""
    return nbformat.v4.new_output(
        "display_data", data={"text/html": f'<figure class="book-figure">{image}{caption}</figure>'}
    )


def animation_output(output) -> nbformat.NotebookNode:
    """matplotlib's jshtml animation, without its CDN stylesheet; the buttons get characters instead."""
    text = "".join(output["data"]["text/html"])
    text = re.sub(r"<link[^>]*stylesheet[^>]*>", "", text)
    for icon, char in ANIMATION_ICONS.items():
        text = text.replace(f'<i class="fa {icon}"></i>', char)
    return nbformat.v4.new_output("display_data", data={"text/html": text})


def is_animation(output) -> bool:
    return "text/html" in output.get("data", {}) and "_anim_img" in "".join(output["data"]["text/html"])


def shown_outputs(cell, alt: str, caption_html: str) -> list:
    """The outputs a deck shows for a code cell whose code is hidden: figures and animations."""
    kept = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(m in data for m in IMAGE_MIMES):
            kept.append(figure_output(output, alt, caption_html))
        elif is_animation(output):
            kept.append(animation_output(output))
    return kept


def trimmed(outputs: list, max_lines: int = 14) -> list:
    """A live cell's outputs, long text cut to its first lines (the cell prints the rest when run)."""
    kept = []
    for output in outputs:
        output = copy.deepcopy(output)
        if output.get("metadata", {}).get("scrapbook"):
            continue
        if output["output_type"] == "stream":
            lines = "".join(output["text"]).splitlines()
            if len(lines) > max_lines:
                output["text"] = "\n".join([*lines[:max_lines], f"… ({len(lines) - max_lines} more lines)"]) + "\n"
        if any(m in output.get("data", {}) for m in IMAGE_MIMES):
            continue  # replaced by figure_output by the caller
        if is_animation(output):
            output = animation_output(output)
        kept.append(output)
    return kept


def chapter_deck(path: Path, number: int | None, book: Book) -> tuple[nbformat.NotebookNode, list[str]]:
    """The deck notebook of one chapter, and the live sections named for it that were found."""
    chapter = nbformat.read(path, as_version=4)
    glue = glue_values(chapter)
    live_names = {strip_markup(s) for s in book.live.get(path.stem, [])}
    found_live: list[str] = []
    deck = Deck()
    exercises: list[str] = []
    in_solution = in_exercises = live = False
    live_level, live_title = 0, ""

    for cell in chapter.cells:
        source = cell.source
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            if "{solution-start}" in source:
                in_solution = True
            if in_solution or "{solution}" in source:
                if "{solution-end}" in source:
                    in_solution = False
                continue
            if "{exercise}" in source:
                body = myst_directives(myst_roles(source, book, glue), book)
                text = " ".join(line.lstrip("> ").strip() for line in body.splitlines()[2:])
                exercises.append(first_sentence(text))
                continue
            text = myst_directives(myst_roles(source, book, glue), book)
            lead_pending = shown_now = shown_last = False
            notes: list[str] = []
            for kind, chunk in blocks(text):
                if kind == "heading":
                    level, title = HEADING.match(chunk).groups()
                    if in_exercises and exercises:
                        deck.add(md(exercise_list(exercises), "-"), 2)
                        exercises = []
                    in_exercises = strip_markup(title).lower() == "exercises"
                    if in_exercises:
                        deck.start("slide", f"## {title}", title)
                        continue
                    # a live section's subsections are live too
                    if strip_markup(title) in live_names:
                        live, live_level, live_title = True, len(level), strip_markup(title)
                        found_live.append(strip_markup(title))
                    elif live and len(level) <= live_level:
                        live = False
                    if len(level) == 1:
                        subtitle = f"Chapter {number} of *{book.title}*" if number else f"*{book.title}*"
                        deck.start("slide", f"# {title}\n\n{subtitle}", title)
                    else:
                        deck.start(
                            "subslide" if len(level) >= 3 else "slide", f"{'#' * min(len(level), 3)} {title}", title
                        )
                    lead_pending = True
                    continue
                if in_exercises:
                    continue
                notes.append(chunk)
                shown_last, shown_now = shown_now, False
                if kind == "prose":
                    if lead_pending:
                        deck.add(md(first_sentence(chunk), "-"), 1)
                        lead_pending, shown_now = False, True
                elif kind == "list" and (lead_pending or shown_last or deck.section.lower() == "summary"):
                    # a list is shown where it stands for the section (its first block, or after the
                    # lead); one in the middle of an argument stays in the notes with its paragraph
                    cut = list_items_cut(chunk)
                    deck.add(md(cut, "-"), weight(kind, cut))
                    lead_pending = False
                elif kind == "quote":
                    title_line = chunk.splitlines()[0]
                    rest = " ".join(line.lstrip("> ").strip() for line in chunk.splitlines()[2:])
                    deck.add(md(f"{title_line}\n>\n> {first_sentence(rest)}", "-"), 2)
                elif kind in ("math", "table", "code"):
                    deck.add(md(chunk, "-"), weight(kind, chunk))
            deck.notes("\n\n".join(notes))
            continue

        if cell.cell_type != "code" or in_solution or in_exercises or tags & {"remove-cell", "hide-cell"}:
            continue
        figure_meta = cell.metadata.get("mystnb", {})
        alt = figure_meta.get("image", {}).get("alt", "")
        caption = figure_meta.get("figure", {}).get("caption", "")
        caption_html = markdown_to_html(myst_roles(caption, book, glue)) if caption else ""
        alt = alt or strip_markup(myst_roles(caption, book, glue))
        images = shown_outputs(cell, alt, caption_html)
        if live and "remove-input" not in tags:
            shown = copy.deepcopy(cell)
            shown.outputs = trimmed(cell.outputs) + [o for o in images if "book-figure" in o["data"]["text/html"]]
            shown.metadata = {"slideshow": {"slide_type": "subslide"}}
            where = live_title if deck.section == live_title else f"{live_title}, {deck.section}"
            deck.cells.append(md(f"### Run it live: {where}", "subslide"))
            deck.load, deck.figures = 1, 0
            deck.add(shown, 3)
            continue
        if images:
            shown = nbformat.v4.new_code_cell(source=cell.source, outputs=images)
            shown.metadata["tags"] = ["remove-input"]
            deck.add(shown, 4 * len(images), figure=True)
    if exercises:
        deck.add(md(exercise_list(exercises), "-"), 2)

    notebook = nbformat.v4.new_notebook(
        cells=deck.cells,
        metadata={
            "kernelspec": chapter.metadata.get("kernelspec", {}),
            "language_info": chapter.metadata.get("language_info", {}),
            "title": book.docs.get(path.stem, path.stem),
        },
    )
    return notebook, found_live


def exercise_list(exercises: list[str]) -> str:
    cut = [e if len(e) < 160 else e[:157].rsplit(" ", 1)[0] + " …" for e in exercises]
    return "The chapter's exercises, with solutions in the book:\n\n" + "\n".join(f"- {e}" for e in cut)


# --- export ------------------------------------------------------------------------------------

TEMPLATE = r"""
{%- extends 'reveal/index.html.j2' -%}

{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}

{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  options: {ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'tex2jax_process'},
  startup: {typeset: true}
};
</script>
<script src="mathjax/tex-chtml.js"></script>
{%- endblock html_head_js_mathjax -%}

{%- block html_head_css -%}
<style type="text/css">
.reveal .slides section { text-align: left; font-size: 0.62em; }
.reveal .slides section h1, .reveal .slides section h2, .reveal .slides section h3 { text-transform: none; }
.reveal h1 { font-size: 2.0em; } .reveal h2 { font-size: 1.5em; } .reveal h3 { font-size: 1.2em; }
.reveal figure.book-figure { margin: 0.3em 0; text-align: center; }
.reveal figure.book-figure img { max-height: 430px; max-width: 100%; width: auto; margin: 0; }
.reveal figure.book-figure figcaption { font-size: 0.7em; color: #444; text-align: left; }
.reveal .jp-OutputArea-output pre, .reveal .jp-InputArea pre { font-size: 0.55em; line-height: 1.25; }
.reveal .jp-InputArea { max-height: 330px; overflow-y: auto; }
.reveal .jp-CodeCell .jp-OutputArea { max-height: 300px; overflow-y: auto; }
.reveal table { font-size: 0.7em; }
.reveal blockquote { width: 95%; font-size: 0.9em; }
.reveal .anim-buttons button { font-size: 0.9em; min-width: 2em; }
.jp-InputPrompt, .jp-OutputPrompt, .reveal a.anchor-link { display: none; }
.reveal .jp-RenderedHTMLCommon, .reveal .jp-Cell, .reveal .jp-OutputArea-output { overflow: visible; }
</style>
{%- endblock html_head_css -%}

{% block footer_js %}
<script src="revealjs/dist/reveal.js"></script>
<script src="revealjs/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true, progress: true, history: true, center: false, slideNumber: "c/t",
  transition: "none", width: 1100, height: 720, margin: 0.04, plugins: [RevealNotes]
});
</script>
{% endblock footer_js %}
"""


def exporter():
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input"}
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.reveal_url_prefix = "revealjs"
    config.SlidesExporter.reveal_theme = "white"
    return SlidesExporter(
        config=config, extra_loaders=[DictLoader({"book_deck.html.j2": TEMPLATE})], template_file="book_deck.html.j2"
    )


# reveal.js is vendored beside this script, not in _static/: Jupyter Book adds every .js and .css
# file under _static/ to every page of the book.
SOURCES = {"revealjs": lambda book: ROOT / "tools" / "revealjs", "mathjax": lambda book: book / "_static" / "mathjax"}


def copy_assets(book: Path, out: Path) -> None:
    """reveal.js and MathJax, copied next to the decks, which load them by relative paths."""
    for name in ("revealjs", "mathjax"):
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(SOURCES[name](book), target, ignore=shutil.ignore_patterns("README.md"))


def count_slides(html_text: str) -> int:
    """The number of slides of a deck: innermost <section> elements."""
    opened = re.findall(r"<section\b|</section>", html_text)
    count, depth, last_open = 0, 0, False
    for tag in opened:
        if tag == "<section":
            depth += 1
            last_open = True
        else:
            count += last_open
            depth -= 1
            last_open = False
    return count


def build(book_dir: Path, out: Path, only: list[Path] | None = None) -> dict[str, int]:
    """Write every deck into `out`; return deck name -> number of slides."""
    book = Book.load(book_dir)
    chapters = toc_chapters(book_dir)
    if only:
        wanted = {p.resolve() for p in only}
        chapters = [(n, p) for n, p in chapters if p.resolve() in wanted]
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(book_dir, out)
    slides_exporter = exporter()
    counts, missing = {}, []
    for number, path in chapters:
        try:
            notebook, found = chapter_deck(path, number, book)
        except KeyError as error:  # a {glue:text} role whose value the stored outputs lack
            raise SystemExit(f"tools/slides.py: {path.name}: {error.args[0]} (re-execute the chapter)") from None
        missing += [
            f"{path.name}: no section titled {s!r}"
            for s in book.live.get(path.stem, [])
            if strip_markup(s) not in found
        ]
        body, _ = slides_exporter.from_notebook_node(
            notebook, resources={"metadata": {"name": notebook.metadata.title}}
        )
        target = out / f"{path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        counts[target.name] = count_slides(body)
    if missing:
        raise SystemExit("the instructors' page names live sections that the chapters lack:\n  " + "\n  ".join(missing))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", type=Path, help="only these chapters (default: all of _toc.yml)")
    parser.add_argument("--book", type=Path, default=ROOT, help="the book's folder (default: this repository)")
    parser.add_argument("--out", type=Path, default=None, help="where the decks go (default: BOOK/_build/slides)")
    args = parser.parse_args(argv)
    out = args.out or args.book / "_build" / "slides"
    start = time.perf_counter()
    counts = build(args.book.resolve(), out.resolve(), args.chapters or None)
    for name, slides in counts.items():
        size = (out / name).stat().st_size / 1e6
        print(f"{name:<42} {slides:>4} slides {size:>6.1f} MB")
    print(f"{len(counts)} decks in {out} ({time.perf_counter() - start:.0f} s)")
    site = args.book / "_build" / "html"
    if args.out is None and (site / "index.html").is_file():
        # beside the HTML book, where the instructors' page links them (../slides/...)
        shutil.rmtree(site / "slides", ignore_errors=True)
        shutil.copytree(out, site / "slides")
        print(f"copied them into {site / 'slides'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
