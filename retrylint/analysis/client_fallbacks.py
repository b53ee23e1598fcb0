"""The fallbacks of a client (LiteLLM ``Router(fallbacks=[{"gpt-4o": ["gpt-4o-mini"]}],
default_fallbacks=[...], max_fallbacks=5)``), read at litellm 1.80.0: when a model group fails
after all its retries, the Router tries each group its fallback list names in turn, each with all
its retries again (router.py async_function_with_fallbacks -> async_function_with_retries;
router_utils/fallback_event_handlers.py run_async_fallback). A fallback group that fails falls back
in its turn, through its own list or the generic one (``default_fallbacks`` is appended to
``fallbacks`` as ``{"*": [...]}``, router.py 492-497, and applies to every group without a list of
its own, get_fallback_model_group), each group tried adding one to a depth no list is started at
once it reaches ``max_fallbacks`` (5 by default, ROUTER_MAX_FALLBACKS; 0 or less: none). So
``default_fallbacks=["b", "c"]`` tries 10 groups by default, not 3. ``context_window_fallbacks``
and ``content_policy_fallbacks`` take their error alone, which the Router then does not retry
(should_retry_this_error): one request a group, exact names only. A call's own ``fallbacks=`` replaces
the Router's lists (kwargs.get("fallbacks", self.fallbacks)); given as names alone, the whole list is
tried after every group that fails (_check_non_standard_fallback_format); ``disable_fallbacks=True``
tries none."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import libcst as cst

from retrylint.analysis.client_retries import _argument, _is_int, bound_value
from retrylint.analysis.model import Scope

GENERIC = "*"


@dataclass(frozen=True)
class Fallbacks:
    """The fallback groups a client may try after the first, for a given error path."""

    tried: int  # groups tried after the first, each with all the client's attempts
    error_groups: int = 0  # groups tried on an error that is not retried (context window, content policy), first included


def with_fallbacks(spec, constructor: cst.Call | None, where: Scope, attempts: int, note: str,
                   call: cst.Call, scope: Scope) -> tuple[int, str, int]:
    """The attempts and note with the fallback groups the constructor makes the client try after
    the first, and how many (0: none, or none readable)."""
    config = spec.fallbacks
    if constructor is None or config.param is None or _disabled(call, config.disable_param, scope):
        return attempts, note, 0
    model = where.model
    given = [_argument(constructor, name, where) for name in (config.param, config.default_param)]
    off = _argument(constructor, config.off_param, where)
    limit = model.literal(*off) if off is not None else config.depth
    if _is_int(limit) and limit <= 0:
        return attempts, note, 0
    depth = limit if _is_int(limit) else 1  # an unread max_fallbacks: no chain is counted
    start = _start_group(call, config.model_param, scope)
    table = _table(given[0], model) if given[0] is not None else {}
    if given[1] is not None:
        generic = _groups(*given[1], model)
        table = None if table is None or generic is None else {**table, GENERIC: generic}
    passed = _argument(call, config.param, scope)  # the call's own list replaces the Router's (both)
    if passed is not None:
        names = _groups(*passed, scope.model)  # ["gpt-4o-mini", "claude"]: tried after every group that fails
        table = {GENERIC: names} if names else _table(passed, scope.model)
    tried = _tried(table, start, depth) if table else 0
    regular = attempts * (1 + tried)
    tables = ((name, _argument(constructor, name, where)) for name in config.error_params)
    found = [(1 + _tried(errors, start, depth), name) for name, given in tables
             if given is not None and (errors := _table(given, model))]
    worst, name = max(found, default=(0, ""))
    if worst > regular:  # one request a group on the one error such a list takes, which is not retried
        return worst, ", ".join(filter(None, [note, f"{worst} model groups through {name}, one request each"])), worst - 1
    if not tried:
        return attempts, note, 0
    groups = f"on each of {1 + tried} model groups: {tried} fallback{'s' if tried != 1 else ''}"
    return regular, ", ".join(filter(None, [note, groups])), tried


def _disabled(call: cst.Call, param: str | None, scope: Scope) -> bool:
    """The call passes ``disable_fallbacks=`` something that may be true."""
    given = _argument(call, param, scope) if param else None
    return given is not None and scope.model.literal(*given) is not False


def _start_group(call: cst.Call, param: str | None, scope: Scope) -> str | None:
    """The model group the call names as a literal (None: any)."""
    given = _argument(call, param, scope) if param else None
    value = scope.model.literal(*given) if given is not None else None
    return value if isinstance(value, str) else None


def _table(given, model) -> dict[str, tuple[str, ...]] | None:
    """``[{"a": ["b", "c"]}, {"*": ["d"]}]`` written as literals: each group's fallback groups;
    None when it cannot be read."""
    value, scope = given
    value = bound_value(value, scope)
    if not isinstance(value, (cst.List, cst.Tuple)):
        return None
    table: dict[str, tuple[str, ...]] = {}
    for element in value.elements:
        entry = bound_value(element.value, scope) if isinstance(element, cst.Element) else None
        if not isinstance(entry, cst.Dict) or len(entry.elements) != 1 or not isinstance(entry.elements[0], cst.DictElement):
            return None
        item = entry.elements[0]
        key, groups = model.literal(item.key, scope), _groups(item.value, scope, model)
        if not isinstance(key, str) or groups is None:
            return None
        if key == GENERIC or key not in table:  # the first exact entry wins, the last generic one
            table[key] = groups
    return table


def _groups(value, scope, model) -> tuple[str, ...] | None:
    """The groups a list names; a name alone is no group: run_async_fallback's ``for mg in
    fallback_model_group`` takes its letters for groups, which no deployment serves."""
    if isinstance(model.literal(value, scope), str):
        return ()
    value = bound_value(value, scope)
    if not isinstance(value, (cst.List, cst.Tuple)):
        return None
    names = [model.literal(element.value, scope) for element in value.elements if isinstance(element, cst.Element)]
    return tuple(names) if all(isinstance(name, str) for name in names) else None


def _tried(table: dict[str, tuple[str, ...]], start: str | None, depth: int) -> int:
    """The groups tried after ``start`` (any group when None: the most), following each failed
    fallback's own list as the Router does, no list started at ``depth`` or deeper."""
    lists = dict(table)

    @lru_cache(maxsize=None)
    def groups(group: str | None, reached: int) -> int:
        count = 1
        found = lists.get(group, lists.get(GENERIC)) if group is not None else lists.get(GENERIC)
        if found is None or reached >= depth:
            return count
        for fallback in found:
            if fallback == group:
                continue
            reached += 1
            count += groups(fallback, reached)
        return count

    starts = [start] if start is not None else [None, *(key for key in table if key != GENERIC)]
    return max(groups(group, 0) for group in starts) - 1
