"""One idea, one spelling: the parameter names of cnnkit's public signatures.

As torchvision's ``test_naming_conventions``, this walks every public module of cnnkit, takes the
signature of every public function and class (and of a class's public methods) defined there, and
fails when one idea is spelled two ways:

- the ideas of a convolution take PyTorch's names everywhere (``stride``, ``padding``,
  ``dilation``, ``kernel_size``, ``padding_mode``), never a synonym from ``SYNONYMS``;
- **the stated exception**: :mod:`cnnkit.shapes` writes the symbols of its formulas (``i``, ``k``,
  ``s``, ``p``, ``d``, ``o``) in every function, since the chapters write the formulas, and call
  these functions, in them (``conv_output_size(5, 3, p=1)``); there, and only there, the symbol
  is the spelling, and PyTorch's name is the synonym;
- randomness by its type: a numpy ``Generator`` is ``rng``, a ``torch.Generator`` is
  ``generator``, an int is ``seed`` (SPEC 7 for numpy, PyTorch's own names for torch).

A letter that names another idea (``k`` as torch.topk's count) is listed in ``OTHER_IDEAS`` with
what it means. And no two modules of cnnkit share a file name.
"""

import importlib
import inspect
import pkgutil
from collections import Counter
from pathlib import Path

import pytest

import cnnkit

# idea: its one spelling, then the spellings that must not appear
SYNONYMS = {
    "stride": {"s", "strides"},
    "padding": {"p", "pad", "pads"},
    "dilation": {"d", "dilation_rate"},
    "kernel_size": {"k", "ksize", "pool_size"},
    "padding_mode": {"boundary", "border_mode"},
}
# cnnkit.shapes: the symbol of each idea
SYMBOL_PACKAGE = "cnnkit.shapes"
SYMBOLS = {"stride": "s", "padding": "p", "dilation": "d", "kernel_size": "k"}

# (module, function or class, parameter): the other idea the letter names
OTHER_IDEAS = {
    ("cnnkit.viz.exemplars", "top_activating", "k"): "how many exemplars to keep, torch.topk's k",
    ("cnnkit.viz.exemplars", "exemplars_from_maps", "k"): "how many exemplars to keep, torch.topk's k",
}
# known to break the randomness rule, with the reason (a parameter that takes both an int and a
# torch.Generator, named for the int)
RANDOMNESS_EXCEPTIONS = {
    ("cnnkit.viz.featvis.parametrisations", "PixelImage", "seed"): "a seed or a torch.Generator",
    ("cnnkit.viz.featvis.parametrisations", "FourierImage", "seed"): "a seed or a torch.Generator",
    ("cnnkit.viz.featvis.parametrisations", "image_param", "seed"): "a seed or a torch.Generator",
}


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(cnnkit.__path__, "cnnkit."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts) or parts[-1] == "conftest":
            continue
        names.append(info.name)
    return names


def _signatures() -> list[tuple[str, str, inspect.Parameter]]:
    """(module, public name, parameter) for every parameter of cnnkit's public signatures."""
    found = []
    for name in _public_modules():
        module = importlib.import_module(name)
        for public in getattr(module, "__all__", []):
            obj = getattr(module, public)
            if getattr(obj, "__module__", None) != name or not callable(obj):
                continue
            targets = [obj]
            if inspect.isclass(obj):
                targets = [obj.__init__] + [
                    v for k, v in vars(obj).items() if inspect.isfunction(v) and not k.startswith("_")
                ]
            for target in targets:
                try:
                    parameters = inspect.signature(target).parameters.values()
                except (TypeError, ValueError):
                    continue
                found += [(name, public, p) for p in parameters if p.name not in ("self", "cls")]
    return found


SIGNATURES = _signatures()


def test_the_walk_sees_the_package():
    modules = {module for module, _, _ in SIGNATURES}
    assert (
        len(SIGNATURES) > 500 and {"cnnkit.ops.conv", "cnnkit.shapes.output_sizes", "cnnkit.plot.diagrams"} <= modules
    )


def test_one_spelling_per_idea():
    found = []
    for module, public, parameter in SIGNATURES:
        if (module, public, parameter.name) in OTHER_IDEAS:
            continue
        in_shapes = module == SYMBOL_PACKAGE or module.startswith(SYMBOL_PACKAGE + ".")
        for idea, synonyms in SYNONYMS.items():
            banned = synonyms | {idea}
            banned -= {SYMBOLS.get(idea)} if in_shapes else {idea}
            if parameter.name in banned:
                spelling = SYMBOLS[idea] if in_shapes else idea
                found.append(f"{module}.{public}({parameter.name}=...): spell {idea} as {spelling!r}")
    assert found == []


def test_randomness_is_named_by_its_type():
    found = []
    for module, public, parameter in SIGNATURES:
        if (module, public, parameter.name) in RANDOMNESS_EXCEPTIONS:
            continue
        annotation = str(parameter.annotation)
        members = {member.strip() for member in annotation.split("|")}  # the annotations are strings
        numpy_generator = bool(members & {"np.random.Generator", "numpy.random.Generator"})
        torch_generator = "torch.Generator" in members
        if numpy_generator and parameter.name != "rng":
            found.append(f"{module}.{public}({parameter.name}: {annotation}): a numpy Generator is 'rng'")
        if torch_generator and parameter.name != "generator":
            found.append(f"{module}.{public}({parameter.name}: {annotation}): a torch.Generator is 'generator'")
        if parameter.name == "rng" and not numpy_generator:
            found.append(f"{module}.{public}(rng: {annotation}): 'rng' is a numpy Generator")
        if parameter.name == "generator" and not torch_generator:
            found.append(f"{module}.{public}(generator: {annotation}): 'generator' is a torch.Generator")
    assert found == []


@pytest.mark.parametrize("listed", sorted(OTHER_IDEAS) + sorted(RANDOMNESS_EXCEPTIONS), ids=str)
def test_every_listed_exception_still_exists(listed):
    assert listed in {(module, public, parameter.name) for module, public, parameter in SIGNATURES}


def test_no_two_modules_share_a_name():
    """A module's file name says what it holds, once: ``viz/exemplars.py`` computes the exemplars,
    ``plot/exemplar_grids.py`` draws them (``__init__.py`` and ``conftest.py`` aside)."""
    package = Path(cnnkit.__file__).parent
    names = Counter(path.name for path in package.rglob("*.py") if path.name not in ("__init__.py", "conftest.py"))
    assert [name for name, count in names.items() if count > 1] == []
