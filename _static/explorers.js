/*
 * explorers.js: the book's interactive explorers of convolution, pooling, transposed convolution
 * and image filtering. Plain JavaScript (ES2017), no dependencies, no network: it runs in the
 * static HTML pages, offline.
 *
 * A chapter asks for an explorer with an element such as
 *
 *     <div class="cnn-explorer" data-explorer="conv" data-i="7" data-k="3" data-s="2">
 *       <p>(shown without JavaScript)</p>
 *     </div>
 *
 * where data-explorer is "conv", "pool", "transpose" or "filter", and the other data-* attributes
 * set the first settings (the names of the controls below). The element's content is replaced.
 *
 * The arithmetic mirrors cnnkit, the book's Python package, function by function and check by
 * check, so that a size and an error message here are the ones cnnkit gives:
 *   convOutputSize      cnnkit.shapes.conv_output_size
 *   tfSamePadding       cnnkit.shapes.tf_same_padding
 *   poolOutputSize      cnnkit.shapes.pool_output_size
 *   convTransposeSize   cnnkit.shapes.conv_transpose_output_size
 *   padPairs            cnnkit.ops.conv.pad2d's check of a per-side padding
 *   boxKernel, gaussianKernel, KERNELS, filter2d   cnnkit.ops.filters (filter2d with padding='same')
 * tests/book/test_explorers.py drives every explorer in a browser over a grid of settings and
 * compares what it shows with cnnkit.
 *
 * window.cnnExplorers lists the explorers of the page; each has set(settings), which fills in the
 * controls as a reader would and returns what the explorer shows, and sweep(list of settings).
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------------
  // 1. Python values and cnnkit's argument checks (cnnkit/_checks.py)
  // ---------------------------------------------------------------------------------------------

  /** A Python float. A number typed with a decimal point ("3.0", "2.5") is a float, not an int,
   *  as it would be in Python; cnnkit refuses it where it wants an int. */
  class PyFloat {
    constructor(value) { this.value = value; }
  }

  /** An error that cnnkit raises: type is "ValueError" or "TypeError". */
  class CnnkitError extends Error {
    constructor(type, message) { super(message); this.type = type; }
  }
  const valueError = (message) => new CnnkitError("ValueError", message);
  /** A message of the explorer's own, for what cnnkit never sees: an empty field, a setting
   *  beyond what the explorer draws. */
  class Notice extends Error {}
  const typeError = (message) => new CnnkitError("TypeError", message);

  const isInt = (x) => typeof x === "number" && Number.isInteger(x);
  const isPair = (x) => Array.isArray(x);

  /** Python's repr() of a float: "3.0", "2.5", "1e-05", "nan". */
  function floatRepr(v) {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
    const a = Math.abs(v);
    if (a < 1e-4 || a >= 1e16) {
      const m = v.toExponential().match(/^(-?[\d.]+)e([+-])(\d+)$/);
      return m[1] + "e" + m[2] + m[3].padStart(2, "0");
    }
    const s = String(v);
    return s.includes(".") ? s : s + ".0";
  }

  /** Python's repr() of the values the explorers pass to cnnkit. */
  function repr(x) {
    if (x === null || x === undefined) return "None";
    if (x instanceof PyFloat) return floatRepr(x.value);
    if (typeof x === "boolean") return x ? "True" : "False";
    if (typeof x === "string") return "'" + x + "'";
    if (isPair(x)) return "(" + x.map(repr).join(", ") + ")";
    return String(x);
  }

  /** A number as Python would have it: an int stays an int, a PyFloat gives its value. */
  const num = (x) => (x instanceof PyFloat ? x.value : x);

  /** fmt: write a pair as "(3, 3)" and a scalar as "3", to echo what the user passed. */
  const fmt = (values, asPair) => (asPair ? `(${values[0]}, ${values[1]})` : `${values[0]}`);

  /** as_pair: an int or a pair of ints -> a pair, naming the argument in the TypeError. */
  function asPair(value, name) {
    if (isInt(value)) return [value, value];
    if (isPair(value) && value.length === 2 && isInt(value[0]) && isInt(value[1])) return [value[0], value[1]];
    throw typeError(`${name} must be an int or a pair of ints (height, width); got ${repr(value)}`);
  }

  /** check_at_least */
  function checkAtLeast(values, minimum, name, givenAsPair, what) {
    if (values.some((v) => v < minimum)) throw valueError(`${name} must be ${what}; got ${fmt(values, givenAsPair)}`);
  }

  /** to_pair with a minimum (positive_pair, non_negative_pair) */
  function toPair(value, name, minimum) {
    const pair = asPair(value, name);
    const what = { 0: "non-negative", 1: "positive" }[minimum] || `at least ${minimum}`;
    checkAtLeast(pair, minimum, name, isPair(value), what);
    return pair;
  }

  /** cnnkit.shapes._check_int */
  function checkInt(value, name, minimum, what) {
    if (!isInt(value)) throw typeError(`${name} must be an int or a pair of ints; got ${repr(value)}`);
    if (value < minimum) throw valueError(`${name} must be ${what}; got ${value}`);
    return value;
  }

  const floorDiv = (a, b) => Math.floor(a / b); // Python's a // b for ints (b > 0)
  const ceilDiv = (a, b) => -Math.floor(-a / b); // Python's -(-a // b)
  const range = (n) => Array.from({ length: Math.max(n, 0) }, (_, j) => j);

  // ---------------------------------------------------------------------------------------------
  // 2. Size arithmetic (cnnkit/shapes.py). i input size, k kernel size, s stride, p padding,
  //    d dilation, o output size. Sizes are ints; the input of conv may be a pair (height, width).
  // ---------------------------------------------------------------------------------------------

  /** dilated_span: a kernel of k taps with dilation d spans d(k - 1) + 1 samples. */
  const dilatedSpan = (k, d) => d * (k - 1) + 1;

  /** same_padding: PyTorch's (before, after) for 'same', the extra sample after. */
  function samePadding(k, d) {
    const total = d * (k - 1);
    return [floorDiv(total, 2), total - floorDiv(total, 2)];
  }

  /** _pad_amounts: the padding argument as [[top, bottom], [left, right]]. */
  function padAmounts(padding, k, d, s, name) {
    if (typeof padding === "string") {
      if (!["valid", "same", "full"].includes(padding)) {
        throw valueError(`${name} must be one of 'valid', 'same', 'full' or an int; got ${repr(padding)}`);
      }
      if (padding === "valid") return [[0, 0], [0, 0]];
      if (padding === "full") return [0, 1].map((a) => [d[a] * (k[a] - 1), d[a] * (k[a] - 1)]);
      if (s.some((v) => v !== 1)) {
        throw valueError(
          `${name}='same' is not supported for strided convolutions; got stride ${fmt(s, true)}. ` +
            "Use an explicit padding (for example padding=k//2) instead"
        );
      }
      return [samePadding(k[0], d[0]), samePadding(k[1], d[1])];
    }
    if (!(isInt(padding) || isPair(padding))) {
      throw typeError(`${name} must be one of 'valid', 'same', 'full', an int or a pair of ints; got ${repr(padding)}`);
    }
    const p = asPair(padding, name);
    checkAtLeast(p, 0, name, isPair(padding), "non-negative");
    return [[p[0], p[0]], [p[1], p[1]]];
  }

  /** _check_kernel_fits: the (dilated) kernel must fit in the padded input. */
  function checkKernelFits(padded, k, d, pads, pairsGiven) {
    const eff = [0, 1].map((a) => dilatedSpan(k[a], d[a]));
    if (eff.every((e, a) => e <= padded[a])) return;
    let kernel = `kernel ${fmt(k, pairsGiven)}`;
    if (d.some((v) => v !== 1)) {
      kernel = `dilated kernel ${fmt(k, pairsGiven)} with dilation ${fmt(d, pairsGiven)} (spanning ${fmt(eff, pairsGiven)})`;
    }
    const need = Math.max(...[0, 1].map((a) => floorDiv(pads[a], 2) + Math.ceil((eff[a] - padded[a]) / 2)));
    throw valueError(
      `${kernel} is larger than the padded input ${fmt(padded, pairsGiven)}; use padding >= ${need} or a smaller kernel`
    );
  }

  /** conv_output_size(i, k, s, p, d) -> [oH, oW]. k, s and d are scalars here; i may be a pair,
   *  p an int or one of 'valid', 'same', 'full'. */
  function convOutputSize(i, k, s, p, d) {
    const pairsGiven = [i, k, s, p, d].some(isPair);
    const ii = asPair(i, "input size i");
    const kk = asPair(k, "kernel size k");
    const ss = asPair(s, "stride s");
    const dd = asPair(d, "dilation d");
    checkAtLeast(kk, 1, "kernel size k", false, "positive");
    checkAtLeast(ss, 1, "stride s", false, "positive");
    checkAtLeast(dd, 1, "dilation d", false, "positive");
    checkAtLeast(ii, 0, "input size i", isPair(i), "non-negative");
    const pads = padAmounts(p, kk, dd, ss, typeof p === "string" ? "padding" : "padding p");
    const totals = pads.map((pa) => pa[0] + pa[1]);
    checkKernelFits([ii[0] + totals[0], ii[1] + totals[1]], kk, dd, totals, pairsGiven);
    return [0, 1].map((a) => floorDiv(ii[a] + totals[a] - dd[a] * (kk[a] - 1) - 1, ss[a]) + 1);
  }

  /** tf_same_padding(i, k, s, d) -> [before, after]: TensorFlow's 'same', o = ceil(i / s). */
  function tfSamePadding(i, k, s, d) {
    checkInt(i, "input size i", 1, "positive");
    checkInt(k, "kernel size k", 1, "positive");
    checkInt(s, "stride s", 1, "positive");
    checkInt(d, "dilation d", 1, "positive");
    const o = ceilDiv(i, s);
    const total = Math.max((o - 1) * s + d * (k - 1) + 1 - i, 0);
    return [floorDiv(total, 2), total - floorDiv(total, 2)];
  }

  /** pad2d's check of an explicit per-side padding [[top, bottom], [left, right]]. */
  function padPairs(pads) {
    const checked = pads.map((pa) => asPair(pa, "padding"));
    if ([].concat(...checked).some((v) => v < 0)) throw valueError(`padding must be non-negative; got ${repr(pads)}`);
    return checked;
  }

  /** pool_output_size(i, k, s, p, d, ceil_mode) with PyTorch's rule for the last window.
   *  Returns { o, dropped }: dropped is true when ceil_mode's last window was dropped because it
   *  would start in the right padding. s === null means s = k (PyTorch's stride=None). */
  function poolOutputSize(i, k, s, p, d, ceilMode) {
    if (s === null) s = k;
    const kk = asPair(k, "kernel size k");
    const pp = asPair(p, "padding p");
    checkAtLeast(kk, 1, "kernel size k", false, "positive");
    checkAtLeast(pp, 0, "padding p", false, "non-negative");
    if (pp[0] > floorDiv(kk[0], 2)) {
      throw valueError(
        "padding p must be at most half the window size (p <= k // 2, as PyTorch requires); " +
          `got p=${pp[0]} for k=${kk[0]}`
      );
    }
    if (!ceilMode) return { o: convOutputSize(i, k, s, p, d)[0], dropped: false };
    const ii = asPair(i, "input size i");
    const ss = asPair(s, "stride s");
    const dd = asPair(d, "dilation d");
    checkAtLeast(ii, 0, "input size i", false, "non-negative");
    checkAtLeast(ss, 1, "stride s", false, "positive");
    checkAtLeast(dd, 1, "dilation d", false, "positive");
    let o = ceilDiv(i + 2 * p - d * (k - 1) - 1, s) + 1;
    let dropped = false;
    if ((o - 1) * s >= i + p) { // the last window must start inside the input or the left padding
      o -= 1;
      dropped = true;
    }
    if (o < 1) checkKernelFits([i + 2 * p, i + 2 * p], kk, dd, [2 * p, 2 * p], false);
    return { o, dropped };
  }

  /** conv_transpose_output_size(i, k, s, p, output_padding, d), all scalars. */
  function convTransposeSize(i, k, s, p, op, d) {
    const names = ["input size i", "kernel size k", "stride s", "padding p", "output_padding", "dilation d"];
    const [ii, kk, ss, pp, oo, dd] = [i, k, s, p, op, d].map((v, a) => asPair(v, names[a]));
    checkAtLeast(kk, 1, "kernel size k", false, "positive");
    checkAtLeast(ss, 1, "stride s", false, "positive");
    checkAtLeast(dd, 1, "dilation d", false, "positive");
    checkAtLeast(ii, 1, "input size i", false, "positive");
    checkAtLeast(pp, 0, "padding p", false, "non-negative");
    checkAtLeast(oo, 0, "output_padding", false, "non-negative");
    if (op >= s && op >= d) {
      throw valueError(
        `output_padding must be smaller than either stride or dilation; got output_padding=${op} with stride ${s} and dilation ${d}`
      );
    }
    const o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1;
    if (o < 1) {
      throw valueError(
        `padding p=${p} removes more than the transposed convolution produces: output size would be ${o}; use a smaller padding`
      );
    }
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // 3. Kernels and filtering (cnnkit/ops/filters.py)
  // ---------------------------------------------------------------------------------------------

  const outer = (a, b) => a.map((x) => b.map((y) => x * y));

  /** box_kernel(kernel_size): every weight 1 / k^2. */
  function boxKernel(k) {
    const [kh, kw] = toPair(k, "kernel_size", 1);
    return range(kh).map(() => range(kw).map(() => 1.0 / (kh * kw)));
  }

  /** gaussian_kernel(kernel_size, sigma): the Gaussian sampled at the pixel centres, divided by its sum. */
  function gaussianKernel(size, sigma) {
    if (!isInt(size) || size < 1) throw valueError(`kernel_size must be a positive int; got ${repr(size)}`);
    const sv = num(sigma);
    if (typeof sv !== "number" || !(sv > 0) || !Number.isFinite(sv)) {
      throw valueError(`sigma must be a positive, finite number of pixels; got ${repr(sigma)}`);
    }
    const x = range(size).map((j) => j - (size - 1) / 2);
    const g1 = x.map((v) => Math.exp(-(v ** 2) / (2.0 * sv ** 2)));
    const g = outer(g1, g1);
    const total = g.reduce((acc, row) => acc + row.reduce((a, b) => a + b, 0), 0);
    return g.map((row) => row.map((v) => v / total));
  }

  const sobelX = () => outer([1, 2, 1], [-1, 0, 1]); // sobel_kernels()[0], d/dx: vertical edges
  const transpose = (m) => m[0].map((_, c) => m.map((row) => row[c]));
  const KERNELS = {
    binomial: () => outer([0.25, 0.5, 0.25], [0.25, 0.5, 0.25]), // binomial_kernel3()
    "sobel-x": sobelX,
    "sobel-y": () => transpose(sobelX()), // sobel_kernels()[1], d/dy: horizontal edges
    "prewitt-x": () => outer([1, 1, 1], [-1, 0, 1]), // prewitt_kernels()[0]
    laplacian: () => [[0, 1, 0], [1, -4, 1], [0, 1, 0]], // laplacian_kernel()
    sharpen: () => [[0, -1, 0], [-1, 5, -1], [0, -1, 0]], // the identity minus laplacian_kernel()
  };

  /** Where a row or column index outside 0..n-1 reads from, for filter2d's boundary modes
   *  (numpy.pad's constant, reflect, edge and wrap); -1 means a zero. */
  const EXTEND = {
    zero: (j, n) => (j < 0 || j >= n ? -1 : j),
    reflect: (j, n) => (j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j),
    replicate: (j, n) => Math.min(Math.max(j, 0), n - 1),
    circular: (j, n) => ((j % n) + n) % n,
  };

  /** filter2d(image, kernel, padding='same', boundary): correlation of a grey image, the image
   *  extended beyond its border by boundary. image: {width, height, values (Float64Array)}. */
  function filter2d(image, kernel, boundary) {
    const { width: w, height: h, values } = image;
    const kh = kernel.length, kw = kernel[0].length;
    const [top] = samePadding(kh, 1), [left] = samePadding(kw, 1);
    const extend = EXTEND[boundary]; // kernels up to 31 x 31 on 128 x 128: reflect never runs out
    const rows = range(h + kh - 1).map((r) => extend(r - top, h));
    const cols = range(w + kw - 1).map((c) => extend(c - left, w));
    const out = new Float64Array(h * w);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        let acc = 0;
        for (let a = 0; a < kh; a++) {
          const y = rows[r + a];
          if (y < 0) continue;
          for (let b = 0; b < kw; b++) {
            const x = cols[c + b];
            if (x >= 0) acc += values[y * w + x] * kernel[a][b];
          }
        }
        out[r * w + c] = acc;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // 4. Building the page: controls and SVG grids
  // ---------------------------------------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  const MAX_DRAWN = 40; // the pictures show grids up to this many cells a side
  const MAX_SIZE = 4096; // the explorers compute sizes up to this many samples per axis

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    return node;
  }

  /** What a reader typed, as Python would read it: "" -> undefined (not filled in), "7" -> 7,
   *  "2.5" or "3.0" -> PyFloat. */
  function parseNumber(text) {
    const t = String(text).trim();
    if (t === "") return undefined;
    if (/^[+-]?\d+$/.test(t)) return parseInt(t, 10);
    const v = Number(t);
    return Number.isNaN(v) ? undefined : new PyFloat(v);
  }

  let counter = 0;

  /** The base of every explorer: a form of labelled controls, an error line, a picture. */
  class Explorer {
    constructor(root, kind, title) {
      this.root = root;
      this.kind = kind;
      this.id = `cx${++counter}`;
      this.fields = {};
      root.textContent = "";
      root.classList.add("cx", `cx-${kind}`);
      this.form = el("form", { class: "cx-controls", "aria-label": `${title}: settings` });
      this.form.addEventListener("submit", (event) => event.preventDefault());
      this.error = el("p", { class: "cx-error", role: "alert", hidden: true });
      this.figure = el("div", { class: "cx-figure" });
      this.status = el("p", { class: "cx-status", "aria-live": "polite" });
      root.append(el("p", { class: "cx-title", text: title }), this.form, this.error, this.figure, this.status);
    }

    /** A labelled number field; its value is read with parseNumber. */
    number(key, label, value, attrs) {
      const id = `${this.id}-${key}`;
      const input = el("input", Object.assign({ id, type: "number", step: 1, inputmode: "numeric", value }, attrs || {}));
      input.addEventListener("input", () => this.update());
      const wrap = el("div", { class: "cx-field" }, el("label", { for: id, text: label }), input);
      this.fields[key] = input;
      return wrap;
    }

    /** A labelled drop-down list of [value, text] options. */
    choice(key, label, options, value) {
      const id = `${this.id}-${key}`;
      const input = el("select", { id });
      for (const [optionValue, text] of options) input.append(el("option", { value: optionValue, text }));
      input.value = value;
      input.addEventListener("change", () => this.update());
      this.fields[key] = input;
      return el("div", { class: "cx-field" }, el("label", { for: id, text: label }), input);
    }

    checkbox(key, label, checked) {
      const id = `${this.id}-${key}`;
      const input = el("input", { id, type: "checkbox", checked });
      input.addEventListener("change", () => this.update());
      this.fields[key] = input;
      return el("div", { class: "cx-field cx-check" }, input, el("label", { for: id, text: label }));
    }

    button(label, onClick, attrs) {
      const b = el("button", Object.assign({ type: "button", class: "cx-button", text: label }, attrs || {}));
      b.addEventListener("click", onClick);
      return b;
    }

    /** The settings as typed: numbers parsed, selects and checkboxes as they are. */
    values() {
      const v = {};
      for (const [key, input] of Object.entries(this.fields)) {
        if (input.type === "checkbox") v[key] = input.checked;
        else if (input.tagName === "SELECT") v[key] = input.value;
        else v[key] = parseNumber(input.value);
      }
      return v;
    }

    /** Fill in the controls (strings as a reader would type them, booleans for checkboxes) and
     *  return what the explorer then shows. */
    set(settings) {
      for (const [key, value] of Object.entries(settings || {})) {
        const input = this.fields[key];
        if (!input) throw new Error(`${this.kind} explorer has no setting ${key}`);
        if (input.type === "checkbox") input.checked = Boolean(value);
        else input.value = String(value);
      }
      this.update();
      return this.result();
    }

    /** set() for each of a list of settings; what the explorer showed for each. */
    sweep(settingsList) {
      return settingsList.map((settings) => this.set(settings));
    }

    /** Show a cnnkit error (or the explorer's own message, for an empty field). */
    showError(error) {
      const python = error instanceof CnnkitError;
      this.error.textContent = python ? `${error.type}: ${error.message}` : error.message;
      this.error.hidden = false;
      this.root.dataset.error = error.message;
      this.root.dataset.errorType = python ? error.type : "explorer";
      delete this.root.dataset.outputSize;
      delete this.root.dataset.window;
      this.figure.textContent = "";
      this.status.textContent = "";
    }

    clearError() {
      this.error.hidden = true;
      this.error.textContent = "";
      delete this.root.dataset.error;
      delete this.root.dataset.errorType;
    }

    /** Every field must be filled in (cnnkit would get None, which means nothing here). */
    requireFilled(v, keys, labels) {
      for (const key of keys) {
        if (v[key] === undefined) throw new Notice(`Enter a number for ${labels[key] || key}.`);
      }
    }

    /** The explorer computes and draws sizes up to MAX_SIZE samples (cnnkit has no limit). */
    requireAtMost(values, what) {
      if (values.some((x) => x > MAX_SIZE)) throw new Notice(`The explorer takes ${what} up to ${MAX_SIZE} samples (cnnkit has no such limit).`);
    }

    update() {
      this.clearError();
      try {
        this.state = this.compute(this.values());
        this.state.ok = true;
        this.render();
      } catch (error) {
        if (!(error instanceof CnnkitError || error instanceof Notice)) throw error;
        this.state = { ok: false, error: error.message, errorType: error.type || "explorer" };
        this.showError(error);
      }
      this.root.dataset.ready = "true";
    }

    /** Re-draw, keeping the keyboard focus on the grid that had it. */
    redraw() {
      const focused = document.activeElement;
      const had = focused && this.figure.contains(focused) && focused.dataset && focused.dataset.grid;
      this.render();
      if (had) {
        const again = this.figure.querySelector(`[data-grid="${had}"]`);
        if (again) again.focus();
      }
    }

    /** What the page shows: the state the picture was drawn from, and the page's own attributes
     *  and texts (output size, window, error message). */
    result() {
      return {
        state: this.state,
        page: {
          outputSize: this.root.dataset.outputSize || null,
          window: this.root.dataset.window || null,
          error: this.error.hidden ? null : this.error.textContent,
          status: this.status.textContent,
        },
      };
    }
  }

  /** An SVG grid of rows x cols cells, each cell 10 units; cell(r, c) returns
   *  {cls, text} for the cell in row r and column c (0-based in the drawing). */
  function gridSvg(rows, cols, cell, label, extra) {
    const size = 10;
    const svg = svgEl("svg", {
      viewBox: `-1 -1 ${cols * size + 2} ${rows * size + 2}`,
      role: "img",
      "aria-label": label,
      class: "cx-grid",
    });
    svg.style.width = `${Math.min(cols * 26, 520)}px`;
    const showText = rows <= 16 && cols <= 16;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const info = cell(r, c);
        if (!info) continue;
        const g = svgEl("g", { class: `cx-cell ${info.cls || ""}`, "data-r": r, "data-c": c });
        g.append(svgEl("rect", { x: c * size, y: r * size, width: size, height: size }));
        if (info.text !== undefined && info.text !== "" && showText) {
          g.append(svgEl("text", { x: c * size + size / 2, y: r * size + size / 2 + 0.5, text: info.text }));
        }
        svg.append(g);
      }
    }
    if (extra) extra(svg, size);
    return svg;
  }

  /** An outline around the cells [r0, r1] x [c0, c1] of a grid drawn by gridSvg. */
  function outline(svg, r0, c0, r1, c1, cls) {
    const size = 10;
    svg.append(svgEl("rect", {
      class: cls,
      x: c0 * size,
      y: r0 * size,
      width: (c1 - c0 + 1) * size,
      height: (r1 - r0 + 1) * size,
    }));
  }

  /** A picture with its caption (not a <figure>: the book's theme styles those). */
  function panel(caption, content) {
    return el("div", { class: "cx-panel" }, content, el("p", { class: "cx-caption", text: caption }));
  }

  const list = (values) => (values.length <= 2 ? values.join(" and ") : `${values.slice(0, -1).join(", ")} and ${values[values.length - 1]}`);
  const times = (o) => `${o[0]} × ${o[1]}`;

  /** Arrow keys on a grid move a selection (u, v) within rows x cols. */
  function arrowKeys(node, name, get, set, rows, cols) {
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "group");
    node.dataset.grid = name;
    node.addEventListener("keydown", (event) => {
      const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      const [u, v] = get();
      set(Math.min(Math.max(u + move[0], 0), rows - 1), Math.min(Math.max(v + move[1], 0), cols - 1));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 5. The explorers
  // ---------------------------------------------------------------------------------------------

  const CONV_PADDING = [
    ["p", "p on every side (padding=p)"],
    ["sides", "per side (pad, then 'valid')"],
    ["valid", "'valid' (PyTorch, TensorFlow)"],
    ["same", "'same', PyTorch (stride 1 only)"],
    ["tf-same", "'same', TensorFlow/Keras"],
    ["full", "'full'"],
  ];
  const LABELS = {
    i: "input size i", k: "kernel size k", s: "stride s", d: "dilation d", p: "padding p",
    top: "top", bottom: "bottom", left: "left", right: "right", op: "output_padding",
  };

  /** Windows of a convolution or pooling along one axis: window u reads samples
   *  u*s - before + d*a, a = 0..k-1 (negative or >= i: padding). */
  const axisWindows = (o, k, s, d, before) => range(o).map((u) => range(k).map((a) => u * s - before + d * a));

  /** How many windows read each of the i samples of one axis. */
  function axisCoverage(windows, i) {
    const counts = new Array(Math.max(i, 0)).fill(0);
    for (const taps of windows) for (const t of taps) if (t >= 0 && t < i) counts[t] += 1;
    return counts;
  }

  /** The base of the convolution and pooling explorers: a padded input with windows on it, and
   *  the output grid. Subclasses compute this.state with rows, cols (the windows along each axis),
   *  outputSize, pads and input size i. */
  class WindowExplorer extends Explorer {
    constructor(root, kind, title) {
      super(root, kind, title);
      this.current = [0, 0];
    }

    navigation() {
      return el("div", { class: "cx-nav" },
        this.button("◀ previous window", () => this.step(-1)),
        this.button("next window ▶", () => this.step(1)));
    }

    step(delta) {
      if (!this.state || !this.state.ok) return;
      const [oh, ow] = this.state.outputSize;
      const n = oh * ow;
      if (!n) return;
      const index = (((this.current[0] * ow + this.current[1] + delta) % n) + n) % n;
      this.select(Math.floor(index / ow), index % ow);
    }

    select(u, v) {
      this.current = [u, v];
      this.redraw();
    }

    /** The taps of the current window as [row, column, kind] with kind "input", "padding" or
     *  "beyond" (past the padding, where only a ceil_mode window reaches). */
    windowCells() {
      const { rows, cols, i } = this.state;
      const [u, v] = this.current;
      const kindOf = (t, before, after) => (t >= 0 && t < i ? "input" : t >= -before && t < i + after ? "padding" : "beyond");
      const [[top, bottom], [left, right]] = this.state.pads;
      const cells = [];
      for (const r of rows[u]) for (const c of cols[v]) {
        const kr = kindOf(r, top, bottom), kc = kindOf(c, left, right);
        const kind = kr === "beyond" || kc === "beyond" ? "beyond" : kr === "input" && kc === "input" ? "input" : "padding";
        cells.push([r, c, kind]);
      }
      return cells;
    }

    render() {
      const st = this.state;
      const [oh, ow] = st.outputSize;
      this.current = [Math.min(this.current[0], Math.max(oh - 1, 0)), Math.min(this.current[1], Math.max(ow - 1, 0))];
      const [u, v] = this.current;
      this.root.dataset.outputSize = `${oh}x${ow}`;
      const cells = oh && ow ? this.windowCells() : [];
      this.root.dataset.window = JSON.stringify({ u, v, cells });
      st.current = { u, v, cells };
      this.figure.textContent = "";
      this.figure.append(el("p", { class: "cx-size" }, el("strong", { text: `Output size: ${times(st.outputSize)}` }), ` ${st.formula}`));
      if (st.note) this.figure.append(el("p", { class: "cx-note", text: st.note }));
      if (!oh || !ow) {
        this.status.textContent = "The output is empty: no window fits.";
        return;
      }
      const padCount = cells.filter((c) => c[2] !== "input").length;
      const rowsRead = st.rows[u], colsRead = st.cols[v];
      this.status.textContent =
        `Output (${u}, ${v}) reads input rows ${list(rowsRead)} and columns ${list(colsRead)}; ` +
        `${padCount} of its ${cells.length} taps fall ${this.kind === "pool" ? "outside the input" : "on padding"}.`;
      const [[top, bottom], [left, right]] = st.pads;
      const lastRow = Math.max(st.i + bottom, ...st.rows.map((t) => t[t.length - 1] + 1), ...(st.extraRows || []).map((t) => t + 1));
      const lastCol = Math.max(st.i + right, ...st.cols.map((t) => t[t.length - 1] + 1), ...(st.extraCols || []).map((t) => t + 1));
      const nr = lastRow + top, nc = lastCol + left; // drawn rows and columns
      if (nr > MAX_DRAWN || nc > MAX_DRAWN) {
        this.figure.append(el("p", { class: "cx-note", text: `The picture is drawn for grids up to ${MAX_DRAWN} cells a side; this one has ${nr} × ${nc}.` }));
        return;
      }
      const taps = new Map(cells.map(([r, c, kind]) => [`${r},${c}`, kind]));
      const showCounts = this.fields.coverage && this.fields.coverage.checked;
      const input = gridSvg(nr, nc, (gr, gc) => {
        const r = gr - top, c = gc - left;
        const inside = r >= 0 && r < st.i && c >= 0 && c < st.i;
        const padded = r >= -top && r < st.i + bottom && c >= -left && c < st.i + right;
        let cls = inside ? "cx-in" : padded ? "cx-pad" : "cx-beyond";
        let text = padded && !inside && this.kind === "conv" ? "0" : ""; // zero padding (pooling's depends on the pool)
        if (inside && st.coverage[r][c] === 0) cls += " cx-unread";
        if (inside && showCounts) text = String(st.coverage[r][c]);
        if (taps.has(`${r},${c}`)) cls += " cx-tap";
        return { cls, text };
      }, `Input of ${st.i} × ${st.i} with padding; the current window is highlighted`, (svg) => {
        outline(svg, rowsRead[0] + top, colsRead[0] + left, rowsRead[rowsRead.length - 1] + top, colsRead[colsRead.length - 1] + left, "cx-window");
        if (st.dropped) { // the last column and the last row of windows, which PyTorch drops
          const [dr, dc] = st.dropped;
          const first = st.rows[0][0], end = dr[dr.length - 1];
          outline(svg, first + top, dc[0] + left, end + top, dc[dc.length - 1] + left, "cx-dropped");
          outline(svg, dr[0] + top, first + left, dr[dr.length - 1] + top, end + left, "cx-dropped");
        }
      });
      const output = gridSvg(oh, ow, (r, c) => ({ cls: r === u && c === v ? "cx-out cx-current" : "cx-out" }),
        `Output of ${oh} × ${ow}; use the arrow keys to choose a window`);
      output.addEventListener("click", (event) => {
        const g = event.target.closest("g[data-r]");
        if (g) this.select(Number(g.dataset.r), Number(g.dataset.c));
      });
      arrowKeys(output, "output", () => this.current, (a, b) => this.select(a, b), oh, ow);
      const legend = el("ul", { class: "cx-legend" },
        el("li", {}, el("span", { class: "cx-key cx-in" }), "input"),
        el("li", {}, el("span", { class: "cx-key cx-pad" }), this.kind === "pool" ? "padding (−∞ for max pooling)" : "padding (zeros)"),
        el("li", {}, el("span", { class: "cx-key cx-tap" }), "read by the current window"),
        el("li", {}, el("span", { class: "cx-key cx-unread" }), "read by no window"));
      if (this.kind === "pool") legend.append(el("li", {}, el("span", { class: "cx-key cx-beyond" }), "past the padding (ignored)"));
      if (st.dropped) legend.append(el("li", {}, el("span", { class: "cx-key cx-dropped-key" }), "the last column and row of windows, which PyTorch drops"));
      this.figure.append(
        el("div", { class: "cx-panels" },
          panel(`input, ${st.i} × ${st.i}, padded`, input),
          el("div", { class: "cx-output" }, panel(`output, ${times(st.outputSize)}`, output))),
        legend);
    }
  }

  /** Convolution: input size, kernel, stride, dilation and every padding convention. */
  class ConvExplorer extends WindowExplorer {
    constructor(root) {
      super(root, "conv", "Explore convolution arithmetic");
      const ds = root.dataset;
      const fields = el("div", { class: "cx-row" },
        this.number("i", "input size i", ds.i || 5, { min: 0 }),
        this.number("k", "kernel size k", ds.k || 3, { min: 1 }),
        this.number("s", "stride s", ds.s || 1, { min: 1 }),
        this.number("d", "dilation d", ds.d || 1, { min: 1 }));
      const padding = el("div", { class: "cx-row" },
        this.choice("padding", "padding", CONV_PADDING, ds.padding || "p"),
        this.number("p", "padding p", ds.p || 0, { min: 0 }));
      const sides = el("fieldset", { class: "cx-row cx-sides" }, el("legend", { text: "padding per side" }),
        this.number("top", "top", ds.top || 0, { min: 0 }),
        this.number("bottom", "bottom", ds.bottom || 0, { min: 0 }),
        this.number("left", "left", ds.left || 0, { min: 0 }),
        this.number("right", "right", ds.right || 0, { min: 0 }));
      this.form.append(fields, padding, sides,
        this.checkbox("coverage", "show how many windows read each cell", ds.coverage === "on"), this.navigation());
      this.update();
    }

    compute(v) {
      const mode = v.padding;
      const fill = (pads) => { // show the padding of every convention in the per-side fields
        [["top", pads[0][0]], ["bottom", pads[0][1]], ["left", pads[1][0]], ["right", pads[1][1]]].forEach(([key, value]) => {
          this.fields[key].value = value;
        });
      };
      for (const key of ["top", "bottom", "left", "right"]) this.fields[key].disabled = mode !== "sides";
      this.fields.p.disabled = mode !== "p";
      this.requireFilled(v, ["i", "k", "s", "d"].concat(mode === "p" ? ["p"] : mode === "sides" ? ["top", "bottom", "left", "right"] : []), LABELS);
      const { i, k, s, d } = v;
      let out, pads, formula;
      if (mode === "tf-same") {
        const [before, after] = tfSamePadding(i, k, s, d);
        out = convOutputSize(i + before + after, k, s, 0, d);
        pads = [[before, after], [before, after]];
        const total = before + after;
        formula = `TensorFlow: o = ⌈i / s⌉ = ⌈${i} / ${s}⌉ = ${out[0]}, with ${total} padded sample${total === 1 ? "" : "s"} (${before} before, ${after} after).`;
      } else if (mode === "sides") {
        pads = padPairs([[v.top, v.bottom], [v.left, v.right]]);
        const ih = isInt(i) ? i + pads[0][0] + pads[0][1] : new PyFloat(num(i) + pads[0][0] + pads[0][1]);
        const iw = isInt(i) ? i + pads[1][0] + pads[1][1] : new PyFloat(num(i) + pads[1][0] + pads[1][1]);
        out = convOutputSize([ih, iw], k, s, 0, d);
        formula = `o = ⌊(i + before + after − d(k − 1) − 1) / s⌋ + 1 = ` +
          `⌊(${i} + ${pads[0][0]} + ${pads[0][1]} − ${d}·${k - 1} − 1) / ${s}⌋ + 1 = ${out[0]} rows, ` +
          `⌊(${i} + ${pads[1][0]} + ${pads[1][1]} − ${d}·${k - 1} − 1) / ${s}⌋ + 1 = ${out[1]} columns.`;
      } else {
        const p = mode === "p" ? v.p : mode;
        out = convOutputSize(i, k, s, p, d);
        pads = padAmounts(p, [k, k], [d, d], [s, s], "padding");
        const [b, a] = pads[0];
        formula = b === a
          ? `o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(${i} + ${2 * b} − ${d}·${k - 1} − 1) / ${s}⌋ + 1 = ${out[0]}.`
          : `o = ⌊(i + before + after − d(k − 1) − 1) / s⌋ + 1 = ⌊(${i} + ${b} + ${a} − ${d}·${k - 1} − 1) / ${s}⌋ + 1 = ${out[0]}; ` +
            `'same' pads ${b} before and ${a} after.`;
      }
      if (mode !== "sides") fill(pads);
      this.requireAtMost([i, k, d * (k - 1) + 1, out[0], out[1]], "inputs, kernels and outputs");
      const rows = axisWindows(out[0], k, s, d, pads[0][0]);
      const cols = axisWindows(out[1], k, s, d, pads[1][0]);
      const ch = axisCoverage(rows, i), cw = axisCoverage(cols, i);
      return { i, outputSize: out, pads, rows, cols, coverage: i <= 64 ? outer(ch, cw) : null, formula };
    }
  }

  /** Pooling: window, stride (empty: the window size, as PyTorch), padding, dilation, ceil_mode. */
  class PoolExplorer extends WindowExplorer {
    constructor(root) {
      super(root, "pool", "Explore pooling arithmetic");
      const ds = root.dataset;
      this.form.append(
        el("div", { class: "cx-row" },
          this.number("i", "input size i", ds.i || 5, { min: 0 }),
          this.number("k", "window size k", ds.k || 2, { min: 1 }),
          this.number("s", "stride s (empty: k)", ds.s === undefined ? "" : ds.s, { min: 1 }),
          this.number("p", "padding p", ds.p || 0, { min: 0 }),
          this.number("d", "dilation d", ds.d || 1, { min: 1 })),
        this.checkbox("ceil", "ceil_mode", ds.ceil === "on"),
        this.navigation());
      this.update();
    }

    compute(v) {
      this.requireFilled(v, ["i", "k", "p", "d"], Object.assign({}, LABELS, { k: "window size k" }));
      const { i, k, p, d, ceil } = v;
      const s = v.s === undefined ? null : v.s; // an empty stride is PyTorch's stride=None
      const { o, dropped } = poolOutputSize(i, k, s, p, d, ceil);
      const step = s === null ? k : s;
      this.requireAtMost([i, k, d * (k - 1) + 1, o], "inputs, windows and outputs");
      const windows = axisWindows(o, k, step, d, p);
      const coverage = axisCoverage(windows, i);
      const rule = ceil ? "⌈" : "⌊";
      const close = ceil ? "⌉" : "⌋";
      let formula = `o = ${rule}(i + 2p − d(k − 1) − 1) / s${close} + 1 = ${rule}(${i} + ${2 * p} − ${d}·${k - 1} − 1) / ${step}${close} + 1`;
      formula += dropped ? ` − 1 = ${o}.` : ` = ${o}.`;
      const state = { i, outputSize: [o, o], pads: [[p, p], [p, p]], rows: windows, cols: windows, coverage: i <= 64 ? outer(coverage, coverage) : null, formula, dropped: null };
      if (dropped) {
        const last = range(k).map((a) => o * step - p + d * a);
        state.dropped = [last, last];
        state.extraRows = last;
        state.extraCols = last;
        state.note = `With ceil_mode the formula gives ${o + 1} windows per axis, but the last would start at sample ${o * step - p}, ` +
          `after the input's ${i} samples. A window must start inside the input or the left padding, so PyTorch drops it ` +
          "(the rule (o − 1)s ≥ i + p), and so does cnnkit.";
      } else if (ceil && windows.length && windows[o - 1][k - 1] >= i + p) {
        state.note = "With ceil_mode the last window hangs over the padding; the samples past it are ignored.";
      }
      return state;
    }
  }

  /** Transposed convolution: every input value stamps the kernel into the output (scatter view). */
  class TransposeExplorer extends Explorer {
    constructor(root) {
      super(root, "transpose", "Explore transposed convolution arithmetic");
      const ds = root.dataset;
      this.current = [0, 0];
      this.form.append(
        el("div", { class: "cx-row" },
          this.number("i", "input size i", ds.i || 3, { min: 1 }),
          this.number("k", "kernel size k", ds.k || 3, { min: 1 }),
          this.number("s", "stride s", ds.s || 2, { min: 1 }),
          this.number("p", "padding p", ds.p || 0, { min: 0 }),
          this.number("op", "output_padding", ds.op || 0, { min: 0 }),
          this.number("d", "dilation d", ds.d || 1, { min: 1 })),
        el("div", { class: "cx-nav" },
          this.button("◀ previous input value", () => this.step(-1)),
          this.button("next input value ▶", () => this.step(1))));
      this.update();
    }

    step(delta) {
      if (!this.state || !this.state.ok) return;
      const n = this.state.i * this.state.i;
      const index = (((this.current[0] * this.state.i + this.current[1] + delta) % n) + n) % n;
      this.select(Math.floor(index / this.state.i), index % this.state.i);
    }

    select(u, v) {
      this.current = [u, v];
      this.redraw();
    }

    compute(v) {
      this.requireFilled(v, ["i", "k", "s", "p", "op", "d"], LABELS);
      const { i, k, s, p, op, d } = v;
      const o = convTransposeSize(i, k, s, p, op, d);
      this.requireAtMost([i, k, o, (i - 1) * s + dilatedSpan(k, d)], "inputs, kernels and outputs");
      const full = (i - 1) * s + dilatedSpan(k, d); // every stamp, before the padding is removed
      // stamps[u]: where the taps of input u land in the output (negative or >= o: removed)
      const stamps = range(i).map((u) => range(k).map((a) => u * s + d * a - p));
      // along one axis, how many stamps add into each sample of the uncropped canvas
      const canvas = new Array(Math.max(full, p + o)).fill(0);
      for (const taps of stamps) for (const t of taps) canvas[t + p] += 1;
      const counts = canvas.slice(p, p + o);
      const formula = `o = (i − 1)s − 2p + d(k − 1) + output_padding + 1 = ${i - 1}·${s} − ${2 * p} + ${d}·${k - 1} + ${op} + 1 = ${o}.`;
      return { i, o, p, outputSize: [o, o], full, stamps, canvas, counts: o <= 64 ? outer(counts, counts) : null, formula };
    }

    render() {
      const st = this.state;
      const { i, o, p, full } = st;
      this.current = [Math.min(this.current[0], i - 1), Math.min(this.current[1], i - 1)];
      const [u, v] = this.current;
      const rowsTo = st.stamps[u], colsTo = st.stamps[v];
      const cells = [];
      for (const r of rowsTo) for (const c of colsTo) cells.push([r, c, r >= 0 && r < o && c >= 0 && c < o ? "kept" : "removed"]);
      st.current = { u, v, cells };
      this.root.dataset.outputSize = `${o}x${o}`;
      this.root.dataset.window = JSON.stringify({ u, v, cells });
      const kept = cells.filter((c) => c[2] === "kept").length;
      this.status.textContent = `Input (${u}, ${v}) stamps the kernel onto output rows ${list(rowsTo)} and columns ${list(colsTo)}; ` +
        `${kept} of its ${cells.length} taps are kept, ${cells.length - kept} removed by the padding.`;
      this.figure.textContent = "";
      this.figure.append(el("p", { class: "cx-size" }, el("strong", { text: `Output size: ${o} × ${o}` }), ` ${st.formula}`));
      const extra = Math.max(0, p + o - full); // rows added by output_padding that no stamp reaches
      const n = full + extra; // the uncropped canvas, in which output row r is canvas row r + p
      if (n > MAX_DRAWN) {
        this.figure.append(el("p", { class: "cx-note", text: `The picture is drawn for grids up to ${MAX_DRAWN} cells a side; this one has ${n}.` }));
        return;
      }
      const input = gridSvg(i, i, (r, c) => ({ cls: r === u && c === v ? "cx-in cx-current" : "cx-in" }),
        `Input of ${i} × ${i}; use the arrow keys to choose a value`);
      input.addEventListener("click", (event) => {
        const g = event.target.closest("g[data-r]");
        if (g) this.select(Number(g.dataset.r), Number(g.dataset.c));
      });
      arrowKeys(input, "input", () => this.current, (a, b) => this.select(a, b), i, i);
      const hit = new Set(cells.map(([r, c]) => `${r},${c}`));
      const output = gridSvg(n, n, (gr, gc) => {
        const r = gr - p, c = gc - p;
        const inside = r >= 0 && r < o && c >= 0 && c < o;
        let cls = inside ? "cx-out" : "cx-cropped";
        if (gr >= full || gc >= full) cls += " cx-extra";
        if (hit.has(`${r},${c}`)) cls += " cx-tap";
        return { cls, text: String(st.canvas[gr] * st.canvas[gc]) };
      }, `Output before the padding is removed, ${n} × ${n}; the stamp of the current input value is highlighted`,
      (svg) => { if (o > 0) outline(svg, p, p, p + o - 1, p + o - 1, "cx-window"); });
      this.figure.append(
        el("div", { class: "cx-panels" },
          panel(`input, ${i} × ${i}`, input),
          panel(`output: the outlined ${o} × ${o}; numbers count the stamps that add into each cell`, output)),
        el("ul", { class: "cx-legend" },
          el("li", {}, el("span", { class: "cx-key cx-tap" }), "stamp of the current input value"),
          el("li", {}, el("span", { class: "cx-key cx-cropped" }), "removed by the padding p"),
          el("li", {}, el("span", { class: "cx-key cx-extra" }), "added by output_padding, no stamp reaches it")));
    }
  }

  /** Filtering one of the book's photographs with a chosen or typed kernel. */
  class FilterExplorer extends Explorer {
    constructor(root, image) {
      super(root, "filter", "Explore image filtering");
      const ds = root.dataset;
      this.image = image;
      this.pixel = [Number(ds.row || 60), Number(ds.col || 64)];
      const kernels = [
        ["box", "box (mean) k × k"], ["gaussian", "Gaussian, size and σ"], ["binomial", "binomial 3 × 3"],
        ["sobel-x", "Sobel, vertical edges (d/dx)"], ["sobel-y", "Sobel, horizontal edges (d/dy)"],
        ["prewitt-x", "Prewitt, vertical edges"], ["laplacian", "Laplacian"], ["sharpen", "sharpen (identity − Laplacian)"],
        ["custom", "type a 3 × 3 kernel"],
      ];
      const custom = el("fieldset", { class: "cx-custom" }, el("legend", { text: "3 × 3 kernel" }));
      const typed = (ds.custom || "0 0 0 0 1 0 0 0 0").split(/\s+/);
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          const key = `w${r}${c}`;
          const id = `${this.id}-${key}`;
          const input = el("input", { id, type: "text", inputmode: "decimal", value: typed[r * 3 + c], "aria-label": `weight, row ${r + 1}, column ${c + 1}` });
          input.addEventListener("input", () => this.update());
          this.fields[key] = input;
          custom.append(input);
        }
      }
      this.custom = custom;
      this.form.append(
        el("div", { class: "cx-row" },
          this.choice("kernel", "kernel", kernels, ds.kernel || "box"),
          this.number("size", "size k", ds.size || 3, { min: 1, max: 31 }),
          this.number("sigma", "σ (pixels)", ds.sigma || 1, { min: 0, step: "any", inputmode: "decimal" }),
          this.choice("boundary", "padding_mode", [["zero", "zeros"], ["reflect", "reflect"], ["replicate", "replicate"], ["circular", "circular"]], ds.boundary || "reflect")),
        custom,
        el("div", { class: "cx-row" },
          this.number("row", "pixel row", this.pixel[0], { min: 0, max: image.height - 1 }),
          this.number("col", "pixel column", this.pixel[1], { min: 0, max: image.width - 1 })));
      this.update();
    }

    values() {
      const v = super.values();
      for (const key of Object.keys(v)) if (/^w\d\d$/.test(key)) v[key] = this.fields[key].value;
      return v;
    }

    kernel(v) {
      this.fields.size.disabled = !["box", "gaussian"].includes(v.kernel);
      this.fields.sigma.disabled = v.kernel !== "gaussian";
      this.custom.hidden = v.kernel !== "custom";
      if (v.kernel === "box") {
        this.requireFilled(v, ["size"], { size: "size k" });
        return boxKernel(v.size);
      }
      if (v.kernel === "gaussian") {
        this.requireFilled(v, ["size", "sigma"], { size: "size k", sigma: "σ" });
        return gaussianKernel(v.size, v.sigma);
      }
      if (v.kernel === "custom") {
        return range(3).map((r) => range(3).map((c) => {
          const text = v[`w${r}${c}`].trim();
          const value = Number(text);
          if (text === "" || !Number.isFinite(value)) throw new Notice(`Enter a number for the weight in row ${r + 1}, column ${c + 1}.`);
          return value;
        }));
      }
      return KERNELS[v.kernel]();
    }

    compute(v) {
      const kernel = this.kernel(v);
      if (kernel.length > 31 || kernel[0].length > 31) {
        throw new Notice("The explorer filters with kernels up to 31 × 31 (cnnkit has no such limit).");
      }
      const filtered = filter2d(this.image, kernel, v.boundary);
      this.requireFilled(v, ["row", "col"], { row: "pixel row", col: "pixel column" });
      const clamp = (x, n) => Math.min(Math.max(isInt(x) ? x : 0, 0), n - 1);
      const row = clamp(v.row, this.image.height), col = clamp(v.col, this.image.width);
      const kh = kernel.length, kw = kernel[0].length;
      const [top] = samePadding(kh, 1), [left] = samePadding(kw, 1);
      const extend = EXTEND[v.boundary];
      const value = (r, c) => {
        const y = extend(r, this.image.height), x = extend(c, this.image.width);
        return y < 0 || x < 0 ? 0 : this.image.values[y * this.image.width + x];
      };
      const window = range(kh).map((a) => range(kw).map((b) => value(row - top + a, col - left + b)));
      let sum = 0;
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) sum += window[a][b] * kernel[a][b];
      const kernelSum = kernel.reduce((acc, r) => acc + r.reduce((x, y) => x + y, 0), 0);
      const signed = Math.abs(kernelSum) < 1e-12; // an edge or derivative kernel: signed results
      const maxAbs = filtered.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const outputSize = [this.image.height, this.image.width]; // 'same': the size of the photograph
      return { kernel, filtered, outputSize, row, col, top, left, window, sum, signed, maxAbs, boundary: v.boundary };
    }

    render() {
      const st = this.state;
      const { width: w, height: h } = this.image;
      this.root.dataset.outputSize = `${h}x${w}`;
      this.root.dataset.window = JSON.stringify({ row: st.row, col: st.col, values: st.window, sum: st.sum });
      const fmt3 = (x) => (Math.abs(x) < 5e-4 ? "0" : x.toFixed(3));
      const fmtW = (x) => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 0.01 ? x.toFixed(3) : x.toExponential(1));
      this.status.textContent = `Pixel (${st.row}, ${st.col}): the sum of the window's values times the kernel's weights is ${st.sum.toFixed(4)}.`;
      this.figure.textContent = "";
      const original = this.canvas(this.image.values, false, "the photograph");
      const filtered = this.canvas(st.filtered, st.signed, "the filtered photograph");
      const mark = (wrap) => {
        const box = svgEl("svg", { class: "cx-mark", viewBox: `0 0 ${w} ${h}`, "aria-hidden": "true" });
        box.append(svgEl("rect", { x: st.col - st.left, y: st.row - st.top, width: st.kernel[0].length, height: st.kernel.length }));
        wrap.append(box);
        return wrap;
      };
      const pick = (wrap) => {
        wrap.addEventListener("click", (event) => {
          const rect = wrap.getBoundingClientRect();
          this.set({ row: Math.floor(((event.clientY - rect.top) / rect.height) * h), col: Math.floor(((event.clientX - rect.left) / rect.width) * w) });
        });
        return wrap;
      };
      const scale = st.signed
        ? `blue negative, white zero, red positive, up to ±${st.maxAbs.toFixed(3)}`
        : "grey from 0 (black) to 1 (white); values outside are clipped for display";
      this.figure.append(el("div", { class: "cx-panels" },
        panel(`photograph, ${h} × ${w} (click to choose a pixel)`, pick(mark(el("div", { class: "cx-canvas" }, original)))),
        panel(`filtered: ${scale}`, pick(mark(el("div", { class: "cx-canvas" }, filtered))))));
      const kh = st.kernel.length, kw = st.kernel[0].length;
      if (kh * kw <= 81) {
        const table = (caption, m, f) => {
          const t = el("table", { class: "cx-numbers" }, el("caption", { text: caption }));
          for (const row of m) t.append(el("tr", {}, ...row.map((x) => el("td", { text: f(x) }))));
          return t;
        };
        this.figure.append(el("div", { class: "cx-tables" },
          table(`window at (${st.row}, ${st.col}), padding_mode ${st.boundary === "zero" ? "zeros" : st.boundary}`, st.window, fmt3),
          table("kernel", st.kernel, fmtW),
          el("p", { class: "cx-sum", text: `sum of products = ${st.sum.toFixed(4)}` })));
      } else {
        this.figure.append(el("p", { class: "cx-note", text: `The window has ${kh * kw} numbers; the tables list windows up to 9 × 9.` }));
      }
    }

    /** A canvas of an image's values: grey in [0, 1], or a diverging map for signed results. */
    canvas(values, signed, label) {
      const { width: w, height: h } = this.image;
      const canvas = el("canvas", { width: w, height: h, class: "cx-image", role: "img", "aria-label": label });
      const ctx = canvas.getContext("2d");
      const data = ctx.createImageData(w, h);
      const maxAbs = this.state.maxAbs;
      for (let j = 0; j < w * h; j++) {
        let rgb;
        if (signed) {
          const t = maxAbs > 0 ? values[j] / maxAbs : 0; // -1 .. 1
          const end = t < 0 ? [33, 102, 172] : [178, 24, 43];
          const a = Math.abs(t);
          rgb = end.map((e) => Math.round(247 + (e - 247) * a));
        } else {
          const g = Math.round(Math.min(Math.max(values[j], 0), 1) * 255);
          rgb = [g, g, g];
        }
        data.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * j);
      }
      ctx.putImageData(data, 0, 0);
      return canvas;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 6. Start-up: find the explorers, load the photograph for the filtering explorer
  // ---------------------------------------------------------------------------------------------

  const here = document.currentScript ? document.currentScript.src : "";

  /** The photograph is a script beside this one (explorer_camera.js, written by
   *  tools/explorer_assets.py), so that it loads from file:// too, where fetch() may not. */
  function loadImage(name) {
    const images = (window.cnnExplorerImages = window.cnnExplorerImages || {});
    if (images[name]) return Promise.resolve(images[name]);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(`explorer_${name}.js`, here || document.baseURI).href;
      script.onload = () => resolve(images[name]);
      script.onerror = () => reject(new Error(`could not load explorer_${name}.js`));
      document.head.append(script);
    });
  }

  function decode(image) {
    const bytes = atob(image.pixels);
    const values = new Float64Array(bytes.length);
    for (let j = 0; j < bytes.length; j++) values[j] = bytes.charCodeAt(j) / 255;
    return { width: image.width, height: image.height, values, source: image.source };
  }

  const KINDS = { conv: ConvExplorer, pool: PoolExplorer, transpose: TransposeExplorer };
  const registry = [];

  window.cnnExplorers = {
    /** every explorer of the page, in document order */
    all: registry,
    /** the first explorer of a kind ("conv", "pool", "transpose", "filter") */
    find: (kind) => registry.find((e) => e.kind === kind) || null,
    /** true once every explorer of the page has drawn itself */
    ready: () => Array.from(document.querySelectorAll(".cnn-explorer")).every((n) => n.dataset.ready === "true"),
    /** what went wrong while the explorers started (empty when all is well) */
    errors: [],
  };

  function start() {
    for (const root of document.querySelectorAll(".cnn-explorer")) {
      const kind = root.dataset.explorer;
      try {
        if (kind === "filter") {
          loadImage(root.dataset.image || "camera").then((image) => {
            registry.push(new FilterExplorer(root, decode(image)));
          }).catch((error) => {
            window.cnnExplorers.errors.push(String(error));
            root.dataset.ready = "true";
          });
        } else if (KINDS[kind]) {
          registry.push(new KINDS[kind](root));
        } else {
          throw new Error(`unknown explorer ${kind}`);
        }
      } catch (error) {
        window.cnnExplorers.errors.push(`${error}\n${error.stack}`);
        root.dataset.ready = "true";
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
