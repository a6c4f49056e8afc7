"""The interactive explorers of chapters 1-6 (`_static/explorers.js`), driven in a real browser and
compared with cnnkit.

Each explorer is driven through window.cnnExplorers, which fills in its controls as a reader would
(strings, as typed) and returns what it then shows: the output size and the error message on the
page, the window it highlights, and the numbers it drew the picture from. Over a grid of settings,
edge cases and invalid settings included, the test compares

- sizes and error messages (type and text) with `cnnkit.shapes` (`conv_output_size`,
  `tf_same_padding`, `pool_output_size`, `conv_transpose_output_size`) and, for a padding per side,
  the check of `cnnkit.ops.pad2d`;
- the input cells each window reads with `cnnkit.ops.conv2d` and `max_pool2d` run on an input
  whose cells hold their own index, the cells no window reads with `cnnkit.shapes.window_coverage`,
  and where each stamp of a transposed convolution lands with `cnnkit.ops.conv_transpose2d`;
- the filtered photograph, to 1e-9, with `cnnkit.ops.filters.filter2d(image, kernel, padding_mode=...)`
  on the same 8-bit image (`tools/explorer_assets.py`, regenerated and compared here).

It also checks that the chapters' pages carry their explorers, that the controls are labelled and
work from the keyboard, that each explorer fits a phone's width (360 px) and that the page without
JavaScript keeps a fallback text; one screenshot per explorer goes to `_build/screenshots/`. The
number of settings compared is printed at the end of the run.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cnnkit.ops import conv2d, conv_transpose2d, max_pool2d, pad2d
from cnnkit.ops.filters import (
    binomial_kernel3,
    box_kernel,
    filter2d,
    gaussian_kernel,
    laplacian_kernel,
    prewitt_kernels,
    sobel_kernels,
)
from cnnkit.shapes import (
    conv_output_size,
    conv_transpose_output_size,
    padding_amounts,
    pool_output_size,
    tf_same_padding,
    window_coverage,
)
from tests.book.conftest import HTML, ROOT, SHOTS, WINDOW, wait_for

#: The chapters that carry an explorer, and its kind.
PAGES = {
    "chapters/01_convolution": "conv",
    "chapters/02_image_filtering": "filter",
    "chapters/03_padding": "conv",
    "chapters/04_stride": "conv",
    "chapters/05_pooling": "pool",
    "chapters/06_transposed_convolution": "transpose",
}
#: The page on which each kind is swept over its grid of settings.
SWEEP_PAGE = {
    "conv": "chapters/03_padding",
    "pool": "chapters/05_pooling",
    "transpose": "chapters/06_transposed_convolution",
    "filter": "chapters/02_image_filtering",
}
CHUNK = 300  # settings per call into the browser


# ------------------------------------------------------------------------------------------------
# Driving the browser
# ------------------------------------------------------------------------------------------------


# the explorer's boundary control and filter2d's padding_mode (PyTorch's names)
PADDING_MODE = {"zero": "zeros", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def open_page(server, browser, page: str) -> None:
    browser.get(f"{server}/{page}.html")
    wait_for(browser, "return document.readyState === 'complete'")
    ready = wait_for(browser, "return !!window.cnnExplorers && window.cnnExplorers.ready()", timeout=60)
    assert ready, f"{page}: the explorers did not start (is _static/explorers.js loaded?)"
    errors = browser.execute_script("return window.cnnExplorers.errors")
    assert not errors, f"{page}: the explorers raised {errors}"


def sweep(browser, kind: str, settings: list[dict]) -> list[dict]:
    """Set each settings dict on the page's explorer of `kind`; return what it showed."""
    results = []
    for start in range(0, len(settings), CHUNK):
        results += browser.execute_script(
            """
            const explorer = window.cnnExplorers.find(arguments[0]);
            return explorer.sweep(arguments[1]).map((r) => {
              if (r.state && r.state.filtered) r.state.filtered = Array.from(r.state.filtered);
              return r;
            });
            """,
            kind,
            settings[start : start + CHUNK],
        )
    return results


def count(request, kind: str, n: int) -> None:
    counts = getattr(request.config, "explorer_counts", {})
    counts[kind] = counts.get(kind, 0) + n
    request.config.explorer_counts = counts


def python_value(text: str):
    """What the explorer makes of a typed setting: an int, else a float (as Python would)."""
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)


def check_shown(result: dict, expected: dict, where: str) -> None:
    """The error (type and text), or the output size, on the page and in the state."""
    state, page = result["state"], result["page"]
    if "error" in expected:
        kind, message = expected["error"]
        assert not state["ok"], f"{where}: cnnkit raises {kind}: {message}, the explorer shows a result"
        assert (state["errorType"], state["error"]) == (kind, message), f"{where}: error differs"
        assert page["error"] == f"{kind}: {message}", f"{where}: the page shows {page['error']!r}"
        assert page["outputSize"] is None and page["window"] is None, f"{where}: a size is left on the page"
        return
    assert state["ok"], f"{where}: the explorer says {state.get('error')!r}, cnnkit gives {expected['size']}"
    assert page["error"] is None
    assert tuple(state["outputSize"]) == expected["size"], f"{where}: size {state['outputSize']} != {expected['size']}"
    assert page["outputSize"] == f"{expected['size'][0]}x{expected['size'][1]}", f"{where}: page size"
    shown = json.loads(page["window"])
    current = state.get("current") or {key: state[key] for key in ("row", "col", "sum")} | {"values": state["window"]}
    assert shown == current, f"{where}: the highlighted window is not the computed one"


def expect(call) -> dict:
    """{'size': ..., ...} from call(), or {'error': (type, message)} if cnnkit raises."""
    try:
        return call()
    except (ValueError, TypeError) as error:
        return {"error": (type(error).__name__, str(error))}


# ------------------------------------------------------------------------------------------------
# Every chapter: present, labelled, keyboard, phone width, no-JavaScript fallback, screenshot
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_explorer_on_page(page, server, browser):
    kind = PAGES[page]
    html = (HTML / f"{page}.html").read_text()
    fallback = re.search(r'<div class="cnn-explorer" data-explorer="(\w+)"[^>]*>\s*<p><em>([^<]+)</em></p>', html)
    assert fallback and fallback.group(1) == kind, f"{page}: no {kind} explorer with a fallback text in the HTML"
    assert "JavaScript" in fallback.group(2)

    open_page(server, browser, page)
    found = browser.execute_script("return window.cnnExplorers.all.map((e) => e.kind)")
    assert found == [kind], f"{page}: explorers {found}, expected [{kind!r}]"
    result = browser.execute_script(f"return window.cnnExplorers.find('{kind}').result()")
    assert result["state"]["ok"], f"{page}: the explorer's first settings give {result['state'].get('error')}"

    unlabelled = browser.execute_script(
        """
        const root = document.querySelector('.cnn-explorer');
        return Array.from(root.querySelectorAll('input, select, button')).filter((c) =>
          !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.textContent.trim()).map((c) => c.outerHTML);
        """
    )
    assert not unlabelled, f"{page}: controls without a label: {unlabelled}"

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = browser.find_element(By.CSS_SELECTOR, ".cnn-explorer")
    browser.execute_script("arguments[0].scrollIntoView()", root)
    current = "return JSON.parse(document.querySelector('.cnn-explorer').dataset.window)"
    before = browser.execute_script(current)
    if kind == "filter":  # type a pixel row into its field
        field = root.find_element(By.CSS_SELECTOR, "input[id$='-row']")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys("7")
        assert browser.execute_script(current)["row"] == 7, f"{page}: typing a row did not move the window"
    else:  # Enter on the "next" button, then an arrow key on the grid
        button = root.find_elements(By.CSS_SELECTOR, "button.cx-button")[1]
        button.send_keys(Keys.ENTER)
        after = browser.execute_script(current)
        assert (after["u"], after["v"]) != (before["u"], before["v"]), f"{page}: Enter on 'next' did nothing"
        grid = root.find_element(By.CSS_SELECTOR, "svg[data-grid]")
        grid.send_keys(Keys.ARROW_DOWN)
        moved = browser.execute_script(current)
        assert (moved["u"], moved["v"]) == (after["u"] + 1, after["v"]), (
            f"{page}: the down arrow on the grid did nothing"
        )
        browser.execute_script(f"window.cnnExplorers.find('{kind}').select(0, 0)")

    browser.execute_script("arguments[0].scrollIntoView()", root)
    time.sleep(0.2)
    root.screenshot(str(SHOTS / f"explorer_{page.replace('/', '_')}.png"))

    browser.set_window_size(360, 1600)
    try:
        time.sleep(0.3)
        widths = browser.execute_script(
            "const r = document.querySelector('.cnn-explorer'); return [r.scrollWidth, r.clientWidth, r.getBoundingClientRect().right]"
        )
        assert widths[0] <= widths[1] + 1, f"{page}: the explorer is wider than its box on a 360 px screen: {widths}"
        assert widths[2] <= 360 + 1, f"{page}: the explorer reaches past a 360 px screen: {widths}"
    finally:
        browser.set_window_size(*WINDOW)


# ------------------------------------------------------------------------------------------------
# Convolution
# ------------------------------------------------------------------------------------------------

CONV_PADDINGS = [
    {"padding": "p", "p": "0"},
    {"padding": "p", "p": "1"},
    {"padding": "p", "p": "2"},
    {"padding": "valid"},
    {"padding": "same"},
    {"padding": "tf-same"},
    {"padding": "full"},
    {"padding": "sides", "top": "0", "bottom": "1", "left": "2", "right": "0"},
    {"padding": "sides", "top": "2", "bottom": "0", "left": "1", "right": "1"},
]
CONV_EDGES = [  # beyond the grid: invalid values, floats, and named edge cases
    {"i": "3", "k": "5", "s": "1", "d": "1", "padding": "p", "p": "0"},  # kernel larger than the input
    {"i": "3", "k": "5", "s": "1", "d": "1", "padding": "p", "p": "1"},  # exactly fits the padded input
    {"i": "2", "k": "3", "s": "2", "d": "2", "padding": "p", "p": "1"},  # dilated kernel too large
    {"i": "7", "k": "3", "s": "3", "d": "2", "padding": "p", "p": "2"},  # dilation with stride
    {"i": "6", "k": "3", "s": "2", "d": "1", "padding": "tf-same"},  # TensorFlow: (0, 1)
    {"i": "6", "k": "4", "s": "1", "d": "1", "padding": "tf-same"},  # (1, 2)
    {"i": "224", "k": "7", "s": "2", "d": "1", "padding": "p", "p": "3"},  # ResNet's stem, not drawn
    {"i": "5", "k": "3", "s": "2", "d": "1", "padding": "same"},  # PyTorch refuses
    {"i": "-1", "k": "3", "s": "1", "d": "1", "padding": "p", "p": "0"},
    {"i": "5", "k": "0", "s": "1", "d": "1", "padding": "p", "p": "0"},
    {"i": "5", "k": "3", "s": "0", "d": "1", "padding": "p", "p": "0"},
    {"i": "5", "k": "3", "s": "1", "d": "0", "padding": "p", "p": "0"},
    {"i": "5", "k": "3", "s": "1", "d": "1", "padding": "p", "p": "-1"},
    {"i": "0", "k": "3", "s": "1", "d": "1", "padding": "tf-same"},
    {"i": "5", "k": "3", "s": "0", "d": "1", "padding": "tf-same"},
    {"i": "5", "k": "3", "s": "1", "d": "1", "padding": "sides", "top": "-1", "bottom": "0", "left": "0", "right": "0"},
    {"i": "2.5", "k": "3", "s": "1", "d": "1", "padding": "p", "p": "0"},
    {"i": "5", "k": "3.0", "s": "1", "d": "1", "padding": "p", "p": "0"},
    {"i": "5", "k": "3", "s": "1.5", "d": "1", "padding": "valid"},
    {"i": "5", "k": "3", "s": "1", "d": "2.0", "padding": "full"},
    {"i": "5", "k": "3", "s": "1", "d": "1", "padding": "p", "p": "0.5"},
    {"i": "5.5", "k": "3", "s": "1", "d": "1", "padding": "tf-same"},
    {"i": "5", "k": "3", "s": "2.0", "d": "1", "padding": "tf-same"},
    {
        "i": "5",
        "k": "3",
        "s": "1",
        "d": "1",
        "padding": "sides",
        "top": "1.5",
        "bottom": "0",
        "left": "0",
        "right": "0",
    },
    {
        "i": "4.5",
        "k": "3",
        "s": "1",
        "d": "1",
        "padding": "sides",
        "top": "1",
        "bottom": "0",
        "left": "0",
        "right": "0",
    },
    {"i": "1e-05", "k": "3", "s": "1", "d": "1", "padding": "valid"},
]


def conv_settings() -> Iterator[dict]:
    for i, k, s, d, padding in itertools.product(
        ("0", "1", "2", "3", "5", "6", "7", "8"),
        ("1", "2", "3", "4", "5"),
        ("1", "2", "3"),
        ("1", "2", "3"),
        CONV_PADDINGS,
    ):
        yield {"i": i, "k": k, "s": s, "d": d, **padding}
    yield from CONV_EDGES


def conv_expected(st: dict) -> dict:
    i, k, s, d = (python_value(st[key]) for key in "iksd")
    mode = st["padding"]

    def call() -> dict:
        if mode == "tf-same":
            before, after = tf_same_padding(i, k, s, d)
            size = conv_output_size(i + before + after, k, s, 0, d)
            pads = ((before, after), (before, after))
        elif mode == "sides":
            pads = tuple((python_value(st[a]), python_value(st[b])) for a, b in (("top", "bottom"), ("left", "right")))
            pad2d(np.zeros((1, 1)), pads)  # cnnkit's check of a per-side padding
            size = conv_output_size((i + pads[0][0] + pads[0][1], i + pads[1][0] + pads[1][1]), k, s, 0, d)
        else:
            p = python_value(st["p"]) if mode == "p" else mode
            size = conv_output_size(i, k, s, p, d)
            pads = padding_amounts(p, k, s, d)
        size = size if isinstance(size, tuple) else (size, size)
        return {"size": size, "pads": tuple(tuple(x) for x in pads)}

    return expect(call)


def conv_windows_from_cnnkit(st: dict, pads) -> tuple[np.ndarray, np.ndarray]:
    """(taps, coverage): taps[a, b, u, v] is 1 + the index of the input cell that tap (a, b) of
    window (u, v) reads (0 on padding), from cnnkit.ops.conv2d on an input holding its own indices
    and one-hot kernels; coverage from cnnkit.shapes.window_coverage."""
    i, k, s, d = (python_value(st[key]) for key in "iksd")
    x = (np.arange(i * i) + 1).reshape(1, 1, i, i)
    onehot = np.eye(k * k, dtype=np.int64).reshape(k * k, 1, k, k)
    if st["padding"] in ("tf-same", "sides"):
        taps = conv2d(pad2d(x, pads), onehot, stride=s, dilation=d)[0]
        padded = (i + sum(pads[0]), i + sum(pads[1]))
        coverage = window_coverage(padded, k, s, 0, d)[pads[0][0] : pads[0][0] + i, pads[1][0] : pads[1][0] + i]
    else:
        p = python_value(st["p"]) if st["padding"] == "p" else st["padding"]
        taps = conv2d(x, onehot, stride=s, padding=p, dilation=d)[0]
        coverage = window_coverage(i, k, s, p, d)
    return taps.reshape(k, k, *taps.shape[1:]), coverage


def windows_read(rows: list, cols: list, i: int) -> np.ndarray:
    """What the explorer's windows read, as conv_windows_from_cnnkit's taps."""
    r = np.array(rows, dtype=np.int64).T[:, None, :, None]  # (k, 1, oH, 1)
    c = np.array(cols, dtype=np.int64).T[None, :, None, :]  # (1, k, 1, oW)
    inside = (r >= 0) & (r < i) & (c >= 0) & (c < i)
    return np.where(inside, r * i + c + 1, 0)


def test_conv_explorer(request, server, browser):
    open_page(server, browser, SWEEP_PAGE["conv"])
    settings = list(conv_settings())
    results = sweep(browser, "conv", settings)
    errors = 0
    for st, result in zip(settings, results):
        where = f"conv explorer {st}"
        expected = conv_expected(st)
        check_shown(result, expected, where)
        if "error" in expected:
            errors += 1
            continue
        state = result["state"]
        assert tuple(map(tuple, state["pads"])) == expected["pads"], f"{where}: padding {state['pads']}"
        i = python_value(st["i"])
        if i == 0 or i > 64:  # nothing but padding; or not drawn, and no coverage kept
            continue
        taps, coverage = conv_windows_from_cnnkit(st, expected["pads"])
        np.testing.assert_array_equal(windows_read(state["rows"], state["cols"], i), taps, err_msg=where)
        np.testing.assert_array_equal(
            np.array(state["coverage"], dtype=np.int64).reshape(i, i), coverage, err_msg=where
        )
    assert errors > 200 and len(settings) - errors > 1500, (errors, len(settings))
    count(request, "conv", len(settings))


# ------------------------------------------------------------------------------------------------
# Pooling
# ------------------------------------------------------------------------------------------------

POOL_EDGES = [
    {"i": "5", "k": "2", "s": "2", "p": "1", "d": "1", "ceil": True},  # ceil_mode's dropped window
    {"i": "4", "k": "1", "s": "2", "p": "0", "d": "1", "ceil": True},  # dropped: a 1-sample window at 4
    {"i": "1", "k": "2", "s": "", "p": "0", "d": "1", "ceil": True},  # a window larger than the input
    {"i": "2", "k": "2", "s": "3", "p": "1", "d": "3", "ceil": False},  # a dilated window reading only padding
    {"i": "1", "k": "2", "s": "3", "p": "1", "d": "3", "ceil": False},  # a dilated window too large
    {"i": "5", "k": "3", "s": "2", "p": "2", "d": "1", "ceil": False},  # padding more than half the window
    {"i": "0", "k": "1", "s": "2", "p": "0", "d": "1", "ceil": True},
    {"i": "-1", "k": "2", "s": "2", "p": "0", "d": "1", "ceil": True},
    {"i": "5", "k": "0", "s": "", "p": "0", "d": "1", "ceil": False},
    {"i": "5", "k": "2", "s": "0", "p": "0", "d": "1", "ceil": True},
    {"i": "5", "k": "2", "s": "0", "p": "0", "d": "1", "ceil": False},
    {"i": "5", "k": "2", "s": "2", "p": "0", "d": "0", "ceil": True},
    {"i": "5", "k": "2", "s": "2", "p": "-1", "d": "1", "ceil": False},
    {"i": "5.0", "k": "2", "s": "2", "p": "0", "d": "1", "ceil": True},
    {"i": "5", "k": "2.5", "s": "2", "p": "0", "d": "1", "ceil": False},
    {"i": "5", "k": "2", "s": "1.5", "p": "0", "d": "1", "ceil": False},
    {"i": "5", "k": "2", "s": "2", "p": "0.5", "d": "1", "ceil": True},
    {"i": "5", "k": "2", "s": "2", "p": "0", "d": "1.5", "ceil": True},
]


def pool_settings() -> Iterator[dict]:
    for i, k, s, p, d, ceil in itertools.product(
        ("0", "1", "2", "3", "4", "5", "6", "7", "9"),
        ("1", "2", "3", "4"),
        ("", "1", "2", "3"),
        ("0", "1", "2"),
        ("1", "2"),
        (False, True),
    ):
        yield {"i": i, "k": k, "s": s, "p": p, "d": d, "ceil": ceil}
    yield from POOL_EDGES


def pool_expected(st: dict) -> dict:
    i, k, p, d = (python_value(st[key]) for key in "ikpd")
    s = python_value(st["s"]) if st["s"] else None

    def call() -> dict:
        o = pool_output_size(i, k, s, p, d, ceil_mode=st["ceil"])
        step = k if s is None else s
        # PyTorch's ceil_mode drops the last window when it would start past the input (pool_output_size's docstring)
        rounded_up = -(-(i + 2 * p - d * (k - 1) - 1) // step) + 1
        return {"size": (o, o), "dropped": bool(st["ceil"]) and rounded_up == o + 1}

    return expect(call)


def test_pool_explorer(request, server, browser):
    open_page(server, browser, SWEEP_PAGE["pool"])
    settings = list(pool_settings())
    results = sweep(browser, "pool", settings)
    errors = dropped = 0
    for st, result in zip(settings, results):
        where = f"pool explorer {st}"
        expected = pool_expected(st)
        check_shown(result, expected, where)
        if "error" in expected:
            errors += 1
            continue
        state = result["state"]
        assert (state["dropped"] is not None) == expected["dropped"], f"{where}: dropped window {state['dropped']}"
        dropped += expected["dropped"]
        i, k, p, d = (python_value(st[key]) for key in "ikpd")
        s = python_value(st["s"]) if st["s"] else None
        x = (np.arange(i * i, dtype=np.float64) + 1).reshape(1, 1, i, i)
        largest = max_pool2d(x, k, s, p, d, ceil_mode=st["ceil"])[0, 0]
        smallest = -max_pool2d(-x, k, s, p, d, ceil_mode=st["ceil"])[0, 0]
        read = windows_read(state["rows"], state["cols"], i).astype(np.float64)  # 0 where no input
        shown_max = np.where(read > 0, read, -np.inf).max(axis=(0, 1))
        shown_min = np.where(read > 0, read, np.inf).min(axis=(0, 1))
        np.testing.assert_array_equal(shown_max, largest, err_msg=f"{where}: largest cell of each window")
        np.testing.assert_array_equal(shown_min, smallest, err_msg=f"{where}: smallest cell of each window")
    assert errors > 100 and dropped > 20, (errors, dropped)
    count(request, "pool", len(settings))


# ------------------------------------------------------------------------------------------------
# Transposed convolution
# ------------------------------------------------------------------------------------------------

TRANSPOSE_EDGES = [
    {"i": "3", "k": "3", "s": "2", "p": "1", "op": "1", "d": "1"},  # the chapter's 3 -> 6
    {"i": "3", "k": "3", "s": "3", "p": "0", "op": "2", "d": "1"},  # output_padding at its limit, s - 1
    {"i": "3", "k": "3", "s": "1", "p": "0", "op": "2", "d": "3"},  # at its limit, d - 1
    {"i": "3", "k": "3", "s": "2", "p": "0", "op": "2", "d": "2"},  # one past the limit
    {"i": "2", "k": "1", "s": "1", "p": "1", "op": "0", "d": "1"},  # padding removes everything
    {"i": "0", "k": "3", "s": "2", "p": "0", "op": "0", "d": "1"},
    {"i": "3", "k": "0", "s": "2", "p": "0", "op": "0", "d": "1"},
    {"i": "3", "k": "3", "s": "0", "p": "0", "op": "0", "d": "1"},
    {"i": "3", "k": "3", "s": "2", "p": "-1", "op": "0", "d": "1"},
    {"i": "3", "k": "3", "s": "2", "p": "0", "op": "-1", "d": "1"},
    {"i": "3", "k": "3", "s": "2", "p": "0", "op": "0", "d": "0"},
    {"i": "3.0", "k": "3", "s": "2", "p": "0", "op": "0", "d": "1"},
    {"i": "3", "k": "3", "s": "2", "p": "0", "op": "0.5", "d": "1"},
]


def transpose_settings() -> Iterator[dict]:
    for i, k, s, p, op, d in itertools.product(
        ("1", "2", "3", "4"),
        ("1", "2", "3", "4"),
        ("1", "2", "3"),
        ("0", "1", "2", "3"),
        ("0", "1", "2", "3"),
        ("1", "2", "3"),
    ):
        yield {"i": i, "k": k, "s": s, "p": p, "op": op, "d": d}
    yield from TRANSPOSE_EDGES


def test_transpose_explorer(request, server, browser):
    open_page(server, browser, SWEEP_PAGE["transpose"])
    settings = list(transpose_settings())
    results = sweep(browser, "transpose", settings)
    errors = 0
    for st, result in zip(settings, results):
        where = f"transpose explorer {st}"
        values = [python_value(st[key]) for key in ("i", "k", "s", "p", "op", "d")]

        def call(values=values) -> dict:
            o = conv_transpose_output_size(*values)
            return {"size": (o, o)}

        expected = expect(call)
        check_shown(result, expected, where)
        if "error" in expected:
            errors += 1
            continue
        i, k, s, p, op, d = values
        o = expected["size"][0]
        state = result["state"]
        # where the stamp of each input value lands: one-hot inputs, a kernel holding 1 + its tap's index
        onehot = np.eye(i * i, dtype=np.int64).reshape(i * i, 1, i, i)
        coded = (np.arange(k * k, dtype=np.int64) + 1).reshape(1, 1, k, k)
        landed = conv_transpose2d(onehot, coded, stride=s, padding=p, output_padding=op, dilation=d)[:, 0]
        shown = np.zeros_like(landed)
        stamps = np.array(state["stamps"], dtype=np.int64)  # (i, k): output sample of tap a of input u
        for u, v, a, b in itertools.product(range(i), range(i), range(k), range(k)):
            r, c = stamps[u, a], stamps[v, b]
            if 0 <= r < o and 0 <= c < o:
                shown[u * i + v, r, c] = a * k + b + 1
        np.testing.assert_array_equal(shown, landed, err_msg=f"{where}: where the stamps land")
        counts = conv_transpose2d(
            np.ones((1, 1, i, i), dtype=np.int64),
            np.ones((1, 1, k, k), dtype=np.int64),
            stride=s,
            padding=p,
            output_padding=op,
            dilation=d,
        )[0, 0]
        np.testing.assert_array_equal(np.array(state["counts"]), counts, err_msg=f"{where}: stamps per output cell")
    assert errors > 100, errors
    count(request, "transpose", len(settings))


# ------------------------------------------------------------------------------------------------
# Filtering
# ------------------------------------------------------------------------------------------------


def filter_settings() -> Iterator[dict]:
    boundaries = ("zero", "reflect", "replicate", "circular")
    for size in range(1, 8):
        yield {"kernel": "box", "size": str(size), "boundary": boundaries[size % 4]}
    for boundary in boundaries:
        yield {"kernel": "box", "size": "3", "boundary": boundary}
        yield {"kernel": "gaussian", "size": "9", "sigma": "1.5", "boundary": boundary}
    for n, (size, sigma) in enumerate(
        [("1", "1"), ("3", "0.5"), ("4", "1"), ("5", "1"), ("7", "2"), ("15", "3"), ("31", "5")]
    ):
        yield {"kernel": "gaussian", "size": size, "sigma": sigma, "boundary": boundaries[n % 4]}
    for n, kernel in enumerate(("binomial", "sobel-x", "sobel-y", "prewitt-x", "laplacian", "sharpen")):
        for boundary in ("zero", boundaries[1 + n % 3]):
            yield {"kernel": kernel, "boundary": boundary, "row": str(n * 20), "col": str(127 - n * 20)}
    rng = np.random.default_rng(22)
    for boundary in boundaries:
        weights = rng.integers(-9, 10, size=9) / rng.choice([1, 2, 4, 8])
        yield {
            "kernel": "custom",
            "boundary": boundary,
            **{f"w{j // 3}{j % 3}": repr(float(w)) for j, w in enumerate(weights)},
        }
    yield {
        "kernel": "custom",
        "boundary": "zero",
        "row": "0",
        "col": "0",
        **{f"w{j // 3}{j % 3}": "1" for j in range(9)},
    }
    # invalid: cnnkit's messages
    yield {"kernel": "box", "size": "0", "boundary": "zero"}
    yield {"kernel": "box", "size": "2.5", "boundary": "zero"}
    yield {"kernel": "gaussian", "size": "0", "sigma": "1", "boundary": "zero"}
    yield {"kernel": "gaussian", "size": "3.0", "sigma": "1", "boundary": "zero"}
    yield {"kernel": "gaussian", "size": "5", "sigma": "0", "boundary": "zero"}
    yield {"kernel": "gaussian", "size": "5", "sigma": "-1.5", "boundary": "zero"}
    yield {"kernel": "gaussian", "size": "5", "sigma": "0.0", "boundary": "zero"}
    yield {"kernel": "gaussian", "size": "5", "sigma": "1e-05", "boundary": "zero"}  # valid: a tiny sigma


def filter_kernel(st: dict) -> np.ndarray:
    fixed = {
        "binomial": binomial_kernel3,
        "sobel-x": lambda: sobel_kernels()[0],
        "sobel-y": lambda: sobel_kernels()[1],
        "prewitt-x": lambda: prewitt_kernels()[0],
        "laplacian": laplacian_kernel,
        "sharpen": lambda: np.pad([[1.0]], 1) - laplacian_kernel(),  # the identity minus the Laplacian
    }
    if st["kernel"] == "box":
        return box_kernel(python_value(st["size"]))
    if st["kernel"] == "gaussian":
        return gaussian_kernel(python_value(st["size"]), python_value(st["sigma"]))
    if st["kernel"] == "custom":
        return np.array([[float(st[f"w{r}{c}"]) for c in range(3)] for r in range(3)])
    return fixed[st["kernel"]]()


def test_explorer_photograph_is_reproducible():
    """_static/explorer_camera.js is what tools/explorer_assets.py writes (skimage's photograph)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("explorer_assets", ROOT / "tools" / "explorer_assets.py")
    assets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(assets)
    assert (ROOT / "_static" / "explorer_camera.js").read_text() == assets.script(assets.pixels()), (
        "_static/explorer_camera.js is out of date: run python tools/explorer_assets.py"
    )


def test_filter_explorer(request, server, browser):
    open_page(server, browser, SWEEP_PAGE["filter"])
    script = Path(HTML / "_static" / "explorer_camera.js").read_text()
    record = json.loads(script.split("] = ", 1)[1].rstrip().rstrip(";"))
    import base64

    image = (
        np.frombuffer(base64.b64decode(record["pixels"]), dtype=np.uint8).reshape(record["height"], record["width"])
        / 255
    )
    shown_image = browser.execute_script("return Array.from(window.cnnExplorers.find('filter').image.values)")
    np.testing.assert_array_equal(np.array(shown_image).reshape(image.shape), image)

    settings = list(filter_settings())
    results = sweep(browser, "filter", settings)
    errors = 0
    for st, result in zip(settings, results):
        where = f"filter explorer {st}"
        expected = expect(lambda st=st: {"kernel": filter_kernel(st), "size": image.shape})
        check_shown(result, expected, where)
        if "error" in expected:
            errors += 1
            continue
        state = result["state"]
        kernel = expected["kernel"]
        np.testing.assert_allclose(np.array(state["kernel"]), kernel, rtol=0, atol=1e-15, err_msg=where)
        reference = filter2d(image, kernel, padding="same", padding_mode=PADDING_MODE[st["boundary"]])
        shown = np.array(state["filtered"]).reshape(image.shape)
        np.testing.assert_allclose(shown, reference, rtol=0, atol=1e-9, err_msg=f"{where}: filtered values")
        # the numbers of one window: the image extended as filter2d extends it
        pads = padding_amounts("same", kernel.shape)
        mode = {"zero": "zeros"}.get(st["boundary"], st["boundary"])
        extended = pad2d(image, pads, mode=mode)
        r, c = state["row"], state["col"]
        window = extended[r : r + kernel.shape[0], c : c + kernel.shape[1]]
        np.testing.assert_array_equal(np.array(state["window"]), window, err_msg=f"{where}: window values")
        assert abs(state["sum"] - reference[r, c]) < 1e-9, f"{where}: the window's sum"
    assert errors == 7, errors
    count(request, "filter", len(settings))
