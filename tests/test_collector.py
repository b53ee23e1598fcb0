"""The cyclic garbage collector is paused only while a module's model is built (collector.py),
and left as it was found afterwards, whether the build ends well or not."""

from __future__ import annotations

import gc

import libcst as cst
import pytest

from retrylint.analysis.model import ModuleModel
from retrylint.catalog import load_catalog

CATALOG = load_catalog()


def test_the_collector_runs_again_after_a_model_is_built():
    assert gc.isenabled()
    model = ModuleModel("def f():\n    return g(1)\n", "m.py", CATALOG)
    assert [function.name for function in model.functions] == ["<module>", "f"]
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_parse_fails():
    with pytest.raises(cst.ParserSyntaxError):
        ModuleModel("def f(:\n", "m.py", CATALOG)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused():
    gc.disable()
    try:
        ModuleModel("x = 1\n", "m.py", CATALOG)
        assert not gc.isenabled()
    finally:
        gc.enable()
