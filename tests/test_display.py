import pytest

from cnnkit.display import glue


def test_glue_returns_the_value_and_checks_the_name():
    assert glue("lenet_accuracy", 0.98) == 0.98
    with pytest.raises(ValueError, match="glue name"):
        glue("two words", 1)
    with pytest.raises(ValueError, match="glue name"):
        glue("", 1)


def test_glue_stores_numpy_scalars_as_python_numbers(monkeypatch):
    import myst_nb
    import numpy as np

    stored = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: stored.update({name: value}))
    value = np.float64(0.25)
    assert glue("quarter", value) is value
    assert type(stored["quarter"]) is float and stored["quarter"] == 0.25
