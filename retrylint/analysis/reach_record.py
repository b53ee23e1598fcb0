"""A reach: one billable call that a retry layer can re-run, the chain of helper calls down
to it and what happens around it; how two paths to the same call merge; and how rule
messages describe a reach (the chain of calls, the stack of layers that retry it).

``reach.py`` finds the reaches; this module holds what they are and how they read."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import libcst as cst

from retrylint.analysis.call_order import Follower, branches, distinct, exclusive, kept_followers
from retrylint.analysis.client_retries import ClientUse
from retrylint.analysis.foreign_errors import foreign_libraries
from retrylint.analysis.layers import Layer
from retrylint.analysis.model import Function
from retrylint.analysis.model.typeflow import IMPORT, SHAPE
from retrylint.catalog import BillableSpec
from retrylint.diagnostics import ChainLink, count_text, number_text


@dataclass
class Reach:
    call: cst.Call
    function: Function  # the function the billable call sits in
    spec: BillableSpec
    name: str  # e.g. "chat.completions.create"
    chain: list[ChainLink]  # from the retried function down to the billable call (the shortest path)
    in_loop: bool = False
    followers: list[Follower] = field(default_factory=list)  # calls that can fail after it (first few, distinct)
    later_billable: list[str] = field(default_factory=list)
    guarded: bool = False  # every path to it skips work already done
    keyed: bool = False
    inner_layers: list[Layer] = field(default_factory=list)
    client: ClientUse | None = None
    direct: bool = True  # the call sits in the retried unit itself, not in a helper
    path: tuple = ()  # where the call (or the helper call leading to it) sits in the retried unit
    calls: int = 1  # how many times one run makes it: the call paths merged into this reach
    trail: tuple = ()  # for each call into a helper down to it: (id of that call, the branches it lies in there)

    def merge_key(self) -> tuple:
        """Paths to the same call under the same layers (their stacks are equal) from the same
        branches of the unit are one reach."""
        return (id(self.call), tuple(id(layer) for layer in self.inner_layers), branches(self.path))

    def signature(self) -> tuple:
        """What a call cycle's fixed point compares between rounds."""
        return (self.merge_key(), tuple(self.chain), self.in_loop, tuple(self.followers), tuple(self.later_billable),
                self.guarded, self.direct, self.calls, self.trail)

    def excludes(self, other: "Reach") -> bool:
        """At most one of the two runs per attempt: they lie in different branches of one ``if``,
        in the unit or in one call of a helper down both their chains (``if stream: return
        self._stream(...)`` then ``self._complete(...)`` in the helper the unit calls)."""
        if exclusive(self.path, other.path):
            return True
        for (call, where), (other_call, other_where) in zip(self.trail, other.trail):
            if call != other_call:
                return False
            if exclusive(where, other_where):
                return True
        return False


def display_name(target: str, spec: BillableSpec) -> str:
    """How messages name a billable call: without its client (``chat.completions.create``), an
    instance called by its class (``Runner.__call__`` of a callable client)."""
    for client in sorted(spec.clients, key=len, reverse=True):
        if target.startswith(client + "."):
            shown = target[len(client) + 1 :]
            return f"{client.rpartition('.')[2]}.{shown}" if shown == "__call__" else shown  # an instance called
    return target


UNBOUNDED, UNKNOWN = "unbounded", "capped, count unknown"


def _unknown(layer: Layer) -> bool:
    """Capped by a number retrylint cannot read (``stop_after_attempt(self.max_retries)``)."""
    return layer.policy.capped and layer.policy.attempts is None


class RetryStack(NamedTuple):
    """The layers retrying a reach, outermost first: the worst-case attempts of each (None:
    unbounded, or capped by a number not written here), how messages name them (a layer whose
    retries add to the client's under it is one part with it: ``(A + B)``), and how many
    layers there are."""

    factors: list[int | None]
    parts: list[str]
    depth: int


def retry_stack(layer: Layer, reach: Reach) -> RetryStack:
    """Every layer that retries ``reach`` from ``layer`` down, SDK client included."""
    layers = _retrying_layers(layer, reach)
    factors = [item.policy.factor() for item in layers]
    parts = [f"{item.name} ({f'{f}{item.policy.default_text()}' if f is not None else UNKNOWN if _unknown(item) else UNBOUNDED})"
             for item, f in zip(layers, factors)]
    client = _retrying_client(reach, layers)
    if client is None:
        return RetryStack(factors, parts, len(parts))
    default = " by default" if not client.given and (client.retries == client.spec.default_retries or not client.note) else ""
    each = f" x {client.per_retry} requests" if client.per_retry > 1 else ""
    note = f", {client.note}" if client.note else ""
    part = f"{client.spec.label} ({count_text(client.attempts)}: retries {number_text(client.retries)}{each}{default}{note})"
    if _adds(layers):
        last, retries = layers[-1], _added(layers[-1])
        factors[-1] = None if retries is None else client.attempts + retries
        added = number_text(retries) if retries is not None else UNKNOWN if _unknown(last) else UNBOUNDED
        parts[-1] = f"({part} + {last.name} ({added} more))"
        return RetryStack(factors, parts, len(layers) + 1)
    counted = _counted_layer(layer, reach)
    if counted is None:
        factors.append(client.attempts)
        parts.append(part)
        return RetryStack(factors, parts, len(layers) + 1)
    # LiteLLM num_retries=N: the SDK client retries N times, then its wrapper N more (2N + 1 requests)
    known = client.per_retry > 1 and _added(counted) is not None
    factors.append(client.attempts if known else None)
    sdk = f"{count_text(client.retries + 1)}: retries {number_text(client.retries)}" if known else UNKNOWN
    added = number_text(_added(counted)) if known else "as many"  # N either way: its count is the client's
    parts.append(f"({client.spec.label} ({sdk}) + {counted.name} ({added} more))")
    return RetryStack(factors, parts, len(layers) + 2)


def billed_stack(layer: Layer, reach: Reach) -> list[int | None]:
    """The factors of ``retry_stack`` that bill: an SDK that sends one idempotency key with all
    its own retries of the call (the catalog's ``retries.keyed``: Stripe) bills them once."""
    layers = _retrying_layers(layer, reach)
    factors = [item.policy.factor() for item in layers]
    client = _retrying_client(reach, layers)
    if client is None:
        return factors
    attempts = 1 if client.spec.retries.keyed else client.attempts
    if _adds(layers):
        retries = _added(layers[-1])
        factors[-1] = None if retries is None else attempts + retries
    elif attempts > 1:
        factors.append(attempts)
    return factors


def _adds(layers: list[Layer]) -> bool:
    """The innermost layer's retries add to the client's attempts under it (each replay is one
    request: the Agents SDK's runner turns the SDK's retries off for it)."""
    return bool(layers) and layers[-1].spec is not None and layers[-1].spec.adds and layers[-1].policy.retries


def _added(layer: Layer) -> int | None:
    factor = layer.policy.factor()
    return None if factor is None else factor - 1


def _counted_layer(layer: Layer, reach: Reach) -> Layer | None:
    """The retrying layer whose requests the client's count holds (LiteLLM num_retries), if any."""
    return next((item for item in (layer, *reach.inner_layers)
                 if item.policy.retries and item.spec is not None and item.spec.counted_by_client), None)


def _retrying_layers(layer: Layer, reach: Reach) -> list[Layer]:
    """The layer and the layers under it that retry the reach's call: not one retrying only errors
    its SDK never raises (metagpt's ConnectionError layer over the Anthropic SDK)."""
    layers = [layer, *(inner for inner in reach.inner_layers
                       if inner.policy.retries and foreign_libraries(inner, reach) is None)]
    if _retrying_client(reach, layers) is not None:  # a layer the client's count already holds is counted there
        layers = [item for item in layers if item.spec is None or not item.spec.counted_by_client]
    return layers


def _retrying_client(reach: Reach, layers: list[Layer] = ()):
    """The SDK client under the layers when it retries the call too (under a layer that re-asks
    only on a malformed answer too: each re-ask is a request the client retries); not when a
    layer's settings turn its retries off."""
    client = reach.client
    if any(item.client_off for item in (*layers, *reach.inner_layers)):
        return None
    if client is None or client.attempts <= 1:
        return None
    keywords = {client.spec.retries_param, *client.spec.retries.sdk_params}
    if client.spec.retries_param is not None and any(keywords <= item.handed_zero for item in layers):
        return None  # a layer hands the retried function each of its retries keywords as 0
    return client


def turns(reach: Reach) -> int | None:
    """The paid requests the billable call sends itself, one per turn of its agent loop
    (``Runner.run(max_turns=10)``: the catalog's ``turns``); None when uncapped (``max_turns=None``),
    1 for a call that sends one (or a cap not written as a number)."""
    spec = reach.spec.turns
    if spec.param is None:
        return 1
    given = next((arg.value for arg in reach.call.args if arg.keyword is not None and arg.keyword.value == spec.param), None)
    if given is None:
        return spec.default
    value = reach.function.scope.model.literal(given, reach.function.scope)
    if value is None:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def chain_text(reaches: list[Reach]) -> str:
    """``build_course -> run_batch (pipeline.py:4) -> messages.create`` for the first reach,
    with a count of the others; a link resolved through a type (an annotation, a factory's
    return, an attribute) says so: ``messages.create (via annotation)``."""
    chain = reaches[0].chain
    middle = [f"{link.name} ({link.path}:{link.line}{_via(link, ', ')})" for link in chain[1:-1]]
    last = chain[-1]
    text = " -> ".join([chain[0].name, *middle, last.name + (f" ({_via(last)})" if _via(last) else "")])
    others = len({r.name for r in reaches}) - 1
    return text + (f" and {others} more billable call{'s' if others > 1 else ''}" if others > 0 else "")


def _via(link: ChainLink, separator: str = "") -> str:
    if link.via == SHAPE:
        return f"{separator}inferred from the call's shape"
    return f"{separator}via {link.via}" if link.via not in ("", IMPORT) else ""


def distinct_layers(layers: list[Layer]) -> list[Layer]:
    """Each layer once: a call cycle passes through a decorated function on every turn."""
    first: dict[int, Layer] = {}
    for layer in layers:
        first.setdefault(id(layer), layer)
    return list(first.values())


def merged_reach(kept: Reach, other: Reach) -> Reach:
    """Two paths to the same call: the shorter chain (the first of equals), the union of what
    happens around each, and both paths counted."""
    chain = other.chain if len(other.chain) < len(kept.chain) else kept.chain
    return replace(
        kept,
        chain=chain,
        in_loop=kept.in_loop or other.in_loop,
        followers=kept_followers([*kept.followers, *other.followers]),
        later_billable=distinct([*kept.later_billable, *other.later_billable]),
        guarded=kept.guarded and other.guarded,
        direct=kept.direct or other.direct,
        calls=kept.calls + other.calls,
    )
