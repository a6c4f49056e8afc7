"""A Sphinx extension for the API reference (api.md), loaded by _config.yml.

api.md documents each public object of cnnkit once, under the name a chapter imports it by
(``cnnkit.ops.conv2d``, defined in ``cnnkit.ops.conv``). A docstring may name the same object
another way: by its short name inside its defining module (``:func:`conv2d``` in
``cnnkit.ops.conv``), or by the path of a module that re-exports it
(``cnnkit.viz.cam.upsample_map``, defined in ``cnnkit.viz.maps``). Such a reference is resolved
here by importing what it names and linking the documented name of that same object; a name that
imports nothing, or an object the page does not document, stays unresolved (a warning under -n).

A constant with no docstring of its own would otherwise show the docstring of its type (an int's,
an ndarray's); it shows none. A constant's or an attribute's docstring is shown as written (see
keep_prose).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from sphinx.util.nodes import make_refnode


def _import(path: str) -> Any:
    """The object a dotted path names (a module, or attributes of one), or None."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _documented(env) -> dict[int, tuple[str, str, str]]:
    """id(object) -> (docname, documented name, node id) for every documented cnnkit function,
    class or module (constants are left out: equal small values can be one object)."""
    cache = getattr(env, "_api_reference_objects", None)
    if cache is None:
        cache = {}
        for name, entry in env.get_domain("py").objects.items():
            if not name.startswith("cnnkit") or entry.aliased:
                continue
            obj = _import(name)
            if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
                cache.setdefault(id(obj), (entry.docname, name, entry.node_id))
        env._api_reference_objects = cache
    return cache


def resolve(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates.insert(0, f"{module}.{target}")
        if cls:
            candidates.insert(0, f"{module}.{cls}.{target}")
    # The docstring's own object, by its defining module ("...:docstring of cnnkit.ops.conv.conv2d"),
    # and the scopes around it: a short name in a docstring is one of its module's names.
    parent = node
    while parent is not None and not parent.source:
        parent = parent.parent
    source = parent.source if parent is not None else ""
    if "docstring of " in source:
        scope = source.rsplit("docstring of ", 1)[1].split(":")[0].split(".")
        candidates[:0] = [".".join([*scope[:i], target]) for i in range(len(scope), 1, -1)]
    documented = _documented(env)

    def link(obj: Any):
        docname, name, node_id = documented[id(obj)]
        return make_refnode(app.builder, node["refdoc"], docname, node_id, contnode, name)

    candidates = [c for c in candidates if c.startswith("cnnkit")]
    for candidate in candidates:
        obj = _import(candidate)
        if obj is not None and id(obj) in documented:
            return link(obj)
    # A short name that no scope holds: the one documented object of that name, if there is one.
    if "." not in target:
        named = [obj for obj in map(_import, env.get_domain("py").objects) if getattr(obj, "__name__", None) == target]
        named = [obj for obj in named if obj is not None and id(obj) in documented]
        if len({id(obj) for obj in named}) == 1:
            return link(named[0])
    # A member with no entry of its own (a method without a docstring, an instance attribute, a
    # module's private constant): the entry of the class or module that holds it.
    for candidate in candidates:
        parent = _import(candidate.rsplit(".", 1)[0])
        holds = inspect.isclass(parent) or (inspect.ismodule(parent) and hasattr(parent, candidate.rsplit(".", 1)[1]))
        if parent is not None and id(parent) in documented and holds:
            return link(parent)
    return None


def forget(app, env) -> None:
    env._api_reference_objects = None


def drop_type_docstring(app, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if what in ("data", "attribute") and not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)):
        # a constant's own __doc__ is its type's (its docstring in the source, a #: comment or a
        # string after it, is found by autodoc elsewhere)
        type_doc = getattr(obj, "__doc__", None)
        doc = [line.strip() for line in type_doc.splitlines() if line.strip()] if isinstance(type_doc, str) else []
        if doc and [line.strip() for line in lines if line.strip()][:3] == doc[:3]:
            lines[:] = []


_PROSE = ("data", "attribute", "property")


def keep_prose(app, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """napoleon reads the first line of a constant's or an attribute's docstring as "type:
    description"; cnnkit's are prose ("The input normalisation ..., for RGB values in [0, 1]:
    ..."), kept as written: stored before napoleon runs, put back after."""
    if what in _PROSE:
        if app.env.temp_data.get("api_reference_prose", (None,))[0] == name:
            lines[:] = app.env.temp_data.pop("api_reference_prose")[1]
        else:
            app.env.temp_data["api_reference_prose"] = (name, list(lines))


def setup(app) -> dict[str, Any]:
    app.connect("missing-reference", resolve)
    app.connect("env-updated", forget)
    app.connect("autodoc-process-docstring", drop_type_docstring, priority=100)  # before napoleon
    app.connect("autodoc-process-docstring", keep_prose, priority=101)  # before napoleon ...
    app.connect("autodoc-process-docstring", keep_prose, priority=900)  # ... and after it
    return {"parallel_read_safe": True, "parallel_write_safe": True}
