"""A layer that retries the object it is called on (LangChain ``model.with_structured_output(S)
.with_retry(...)``, catalog layer ``runnable``): what it wraps is invoked later, but when the
chain starts at a billable model (``ChatOpenAI(...)``, ``init_chat_model(...)``, a name bound to
one), each retry invokes that model again. The reach is that model's invocation, at the place the
model is made, followed by the parsing a ``with_structured_output`` adds after the paid call."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.client_retries import client_use
from retrylint.analysis.layers import Layer
from retrylint.analysis.model import identifier
from retrylint.analysis.model.typeflow import tracing, via
from retrylint.analysis.reach_record import Reach
from retrylint.diagnostics import ChainLink

if TYPE_CHECKING:
    from retrylint.analysis.reach import Reachability


def runnable_reaches(reachability: "Reachability", layer: Layer) -> list[Reach]:
    """The billable model invocation ``layer`` retries, or none when its chain starts elsewhere."""
    runnable = layer.spec.runnable
    call = layer.call
    if call is None or not isinstance(call.func, cst.Attribute):
        return []
    expr, parses = call.func.value, []
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and identifier(expr.func.attr.value) in runnable.through:
        parses += [identifier(expr.func.attr.value)] if identifier(expr.func.attr.value) in runnable.parses else []
        expr = expr.func.value
    model, function = reachability.model, layer.function
    with tracing() as steps:
        owner = model.qualify(expr, function.scope)
    target = f"{owner}.{runnable.invokes}" if owner is not None else None
    spec = reachability.catalog.billable(target) if target is not None else None
    if spec is None or model.resolve_function(target) is not None:
        return []
    made = expr if isinstance(expr, cst.Call) else call  # where the model is made, or the layer's own call
    name = f"{owner.rpartition('.')[2]}.{runnable.invokes}"
    invocation = cst.Call(func=cst.Attribute(value=expr, attr=cst.Name(runnable.invokes)))
    return [Reach(
        call=made,
        function=function,
        spec=spec,
        name=name,
        chain=[ChainLink(model.path, model.line(made), name, via(steps))],
        followers=[(f"{parsed}'s parsing", None) for parsed in dict.fromkeys(parses)],
        client=client_use(reachability.catalog, invocation, function, target),
    )]
