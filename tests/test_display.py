import pytest

from cnnkit.display import glue


def test_glue_returns_the_value_and_checks_the_name():
    assert glue("lenet_accuracy", 0.98) == 0.98
    with pytest.raises(ValueError, match="glue name"):
        glue("two words", 1)
    with pytest.raises(ValueError, match="glue name"):
        glue("", 1)
