"""How a layer's arguments read as a policy, and how a fix writes one, one module per catalog
``dialect``: ``tenacity`` (builder expressions) and ``kwargs`` (keyword arguments the catalog
describes). Each module gives ``read_policy`` and ``fix_templates``."""

from __future__ import annotations

from retrylint.analysis.layers.dialects import keywords, tenacity
from retrylint.analysis.layers.dialects.templates import FixTemplate

DIALECTS = {
    "tenacity": tenacity,
    "kwargs": keywords,
}

__all__ = ["DIALECTS", "FixTemplate", "fix_templates", "policy_reader"]


def policy_reader(dialect: str):
    """The policy reader of ``dialect`` (keyword arguments for any other)."""
    return DIALECTS.get(dialect, keywords).read_policy


def fix_templates(dialect: str):
    """``(catalog, spec) -> {purpose: templates}``: what the fixes write for ``dialect``."""
    return DIALECTS.get(dialect, keywords).fix_templates
