"""The reach of a retrying object handed a billable SDK method rather than a project function
(``self.retryer(self.client.chat.completions.create, **kwargs)``, ``Layer.handed``): each retry
makes that one call, with the arguments handed after it, through the client it is a method of."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.client_retries import client_use
from retrylint.analysis.layers import Layer
from retrylint.analysis.model.typeflow import tracing, via
from retrylint.analysis.reach_record import Reach, display_name
from retrylint.diagnostics import ChainLink

if TYPE_CHECKING:
    from retrylint.analysis.reach import Reachability


def handed_reaches(reachability: "Reachability", layer: Layer) -> list[Reach]:
    """The billable call ``layer`` makes of the callable it is handed, or none."""
    function, handover = layer.function, layer.anchor
    model = function.scope.model
    with tracing() as steps:
        target = model.qualify(layer.handed, function.scope)
    spec = reachability.catalog.billable(target) if target is not None else None
    if spec is None or model.resolve_function(target) is not None:
        return []
    call = cst.Call(func=layer.handed, args=handover.args[1:])  # the call each attempt makes
    client = client_use(reachability.catalog, call, function, target)
    if client is not None and client.local:
        return []  # a server on this machine bills nothing
    name = display_name(target, spec)
    return [Reach(
        call=handover,
        function=function,
        spec=spec,
        name=name,
        chain=[ChainLink(model.path, model.line(handover), name, via(steps))],
        client=client,
    )]
