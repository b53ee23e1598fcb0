"""Configured entry points (``[[entrypoint]]`` in the catalog or the config): a function that
another system re-invokes when it fails (a Cloud Tasks or SQS handler, a webhook), matched by
qualified-name globs or by a marker string in its body. Not a catalog form: read for every function."""

from __future__ import annotations

import fnmatch

from retrylint.catalog import Catalog, EntryPointSpec
from retrylint.analysis.layers.layer import ExceptionRef, Layer, Policy
from retrylint.analysis.model import Function


def marked_specs(catalog: Catalog, source: str) -> list[EntryPointSpec]:
    """The entry points whose markers the module's text holds somewhere."""
    return [spec for spec in catalog.entrypoints if any(marker in source.lower() for marker in spec.markers)]


def read(finder, function: Function, marked: list[EntryPointSpec]) -> Layer | None:
    catalog = finder.catalog
    specs = [s for s in catalog.entrypoints if any(fnmatch.fnmatchcase(function.qualname, n) for n in s.names)]
    if marked:
        body = finder.model.code(function.node.body).lower()
        specs += [s for s in marked if any(marker in body for marker in s.markers)]
    if not specs:
        return None
    spec = specs[0]
    policy = Policy(capped=spec.attempts != "unbounded", attempts=spec.attempts if isinstance(spec.attempts, int) else None)
    policy.retry_all = not spec.retry_on
    policy.retry_on = [ExceptionRef(catalog.canonical_exception(n), function.node.name) for n in spec.retry_on]
    return Layer("entrypoint", "external", spec.label, function.node.name, function, None, policy)
