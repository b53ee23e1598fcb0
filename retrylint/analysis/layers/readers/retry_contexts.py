"""Form ``context``: a retry context, only ever iterated (``for attempt in
stamina.retry_context(on=...): with attempt: ...``)."""

from __future__ import annotations

from retrylint.analysis.layers.readers.base import CALL, IMPORTED_CALL, FormReader
from retrylint.analysis.layers.readers.retrying_objects import read_iteration


class RetryContextReader(FormReader):
    form = "context"
    prefilter_shapes = (CALL, IMPORTED_CALL)
    at_loop = staticmethod(read_iteration)
