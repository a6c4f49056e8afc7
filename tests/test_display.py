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


def test_admonition_renders_html_and_text_and_checks_its_kind():
    from cnnkit.display import Admonition

    box = Admonition("Careful", ["Run `make test` <first>."], kind="note")
    assert box._repr_html_() == (
        '<div class="admonition note"><p class="admonition-title">Careful</p>'
        "<p>Run <code>make test</code> &lt;first&gt;.</p></div>"
    )
    assert repr(box) == "NOTE: Careful\nRun `make test` <first>."
    with pytest.raises(ValueError, match=r"^Admonition: kind='warn' is not one of 'warning', 'note'"):
        Admonition("t", ["x"], kind="warn")
    with pytest.raises(TypeError, match="list of strings"):
        Admonition("t", "one string")


def test_show_writes_the_object_outside_a_notebook(capsys):
    from cnnkit.display import show

    show(42)
    assert capsys.readouterr().out == "42\n"
