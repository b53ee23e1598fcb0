"""A reach: one billable call that a retry layer can re-run, the chain of helper calls down
to it and what happens around it; how two paths to the same call merge; and how rule
messages describe a reach (the chain of calls, the stack of layers that retry it).

``reach.py`` finds the reaches; this module holds what they are and how they read."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import libcst as cst

from retrylint.analysis.call_order import Follower, branches, distinct, kept_followers
from retrylint.analysis.client_retries import ClientUse
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

    def merge_key(self) -> tuple:
        """Paths to the same call under the same layers (their stacks are equal) from the same
        branches of the unit are one reach."""
        return (id(self.call), tuple(id(layer) for layer in self.inner_layers), branches(self.path))

    def signature(self) -> tuple:
        """What a call cycle's fixed point compares between rounds."""
        return (self.merge_key(), tuple(self.chain), self.in_loop, tuple(self.followers), tuple(self.later_billable),
                self.guarded, self.direct, self.calls)


UNBOUNDED, UNKNOWN = "unbounded", "capped, count unknown"


def _unknown(layer: Layer) -> bool:
    """Capped by a number retrylint cannot read (``stop_after_attempt(self.max_retries)``)."""
    return layer.policy.capped and layer.policy.attempts is None


def retry_stack(layer: Layer, reach: Reach) -> tuple[list[int | None], list[str]]:
    """Every layer that retries ``reach`` from ``layer`` down, SDK client included: the
    worst-case attempts of each (None: unbounded, or capped by a number not written here) and
    how messages name them."""
    layers = _retrying_layers(layer, reach)
    factors = [item.policy.factor() for item in layers]
    parts = [f"{item.name} ({f if f is not None else UNKNOWN if _unknown(item) else UNBOUNDED})"
             for item, f in zip(layers, factors)]
    client = _retrying_client(reach)
    if client is not None:
        factors.append(client.attempts)
        default = " by default" if client.retries == client.spec.default_retries else ""
        each = f" x {client.per_retry} requests" if client.per_retry > 1 else ""
        note = f", {client.note}" if client.note else ""
        parts.append(f"{client.spec.label} ({count_text(client.attempts)}: retries {number_text(client.retries)}{each}{default}{note})")
    return factors, parts


def billed_stack(layer: Layer, reach: Reach) -> list[int | None]:
    """The factors of ``retry_stack`` that bill: an SDK that sends one idempotency key with all
    its own retries of the call (the catalog's ``retries.keyed``: Stripe) bills them once."""
    layers = _retrying_layers(layer, reach)
    factors = [item.policy.factor() for item in layers]
    client = _retrying_client(reach)
    if client is not None and not client.spec.retries.keyed:
        factors.append(client.attempts)
    return factors


def _retrying_layers(layer: Layer, reach: Reach) -> list[Layer]:
    layers = [layer, *(inner for inner in reach.inner_layers if inner.policy.retries)]
    if _retrying_client(reach) is not None:  # a layer the client's count already holds is counted there
        layers = [item for item in layers if item.spec is None or not item.spec.counted_by_client]
    return layers


def _retrying_client(reach: Reach):
    """The SDK client under the layers when it retries the call too (under a layer that re-asks
    only on a malformed answer too: each re-ask is a request the client retries)."""
    client = reach.client
    return client if client is not None and client.attempts > 1 else None


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
