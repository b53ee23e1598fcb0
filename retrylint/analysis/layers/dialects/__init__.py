"""How a layer's arguments read as a policy, one module per catalog ``dialect``:
``tenacity`` (builder expressions) and ``kwargs`` (keyword arguments the catalog describes)."""

from __future__ import annotations

from retrylint.analysis.layers.dialects import keywords, tenacity

DIALECTS = {
    "tenacity": tenacity.read_policy,
    "kwargs": keywords.read_policy,
}


def policy_reader(dialect: str):
    """The policy reader of ``dialect`` (keyword arguments for any other)."""
    return DIALECTS.get(dialect, keywords.read_policy)
